//! `/api/v1/metadata` and `/api/v1/targets`: what the endpoints' Prometheus servers know
//! about their scrapes, merged over every endpoint that serves the Metric Metadata and
//! Targets APIs, in Prometheus' format (targets as Thanos' querier shows them: without
//! `scrapeInterval` and `scrapeTimeout`, which the Targets API does not carry).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mnemos_storeapi::thanos::targets_request::State as TargetState;
use mnemos_storeapi::thanos::{ActiveTarget, TargetDiscovery, TargetHealth, ZLabelSet};
use serde_json::{json, Map, Value};

use super::response::{success, ApiError};
use super::{answer, endpoint_error, QueryApi};
use crate::metadata::MetadataByMetric;

/// `/api/v1/metadata` (`metric`, `limit`, `partial_response`).
pub(super) async fn metadata(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = api.clone();
    answer(
        &api,
        "/api/v1/metadata",
        (q, &headers, &body),
        |p, _| async move {
            let limit = match p.get("limit") {
                None | Some("") => -1,
                Some(s) => s
                    .parse::<i32>()
                    .map_err(|_| ApiError::bad_data("limit must be a number"))?,
            };
            let metric = p.get("metric").unwrap_or_default();
            let options = inner.read_options(&p, 0)?;
            let (metadata, warnings) = inner
                .fanout
                .metric_metadata(metric, limit, options.partial_response)
                .await
                .map_err(endpoint_error)?;
            Ok(success(&metadata_json(&metadata), &warnings))
        },
    )
    .await
}

/// `/api/v1/targets` (`state`: `any`, `active` or `dropped`; `dedup`, `replicaLabels[]`,
/// `partial_response`).
pub(super) async fn targets(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = api.clone();
    answer(
        &api,
        "/api/v1/targets",
        (q, &headers, &body),
        |p, _| async move {
            let state = match p.get("state").map(str::to_ascii_lowercase).as_deref() {
                None | Some("") | Some("any") => TargetState::Any,
                Some("active") => TargetState::Active,
                Some("dropped") => TargetState::Dropped,
                Some(other) => {
                    return Err(ApiError::bad_data(format!(
                        "invalid targets parameter state {other:?}: want any, active or dropped"
                    )))
                }
            };
            let options = inner.read_options(&p, 0)?;
            let replica_labels = if options.dedup {
                options.replica_labels.clone()
            } else {
                Vec::new()
            };
            let (targets, warnings) = inner
                .fanout
                .targets(state, &replica_labels, options.partial_response)
                .await
                .map_err(endpoint_error)?;
            Ok(success(&targets_json(&targets).to_string(), &warnings))
        },
    )
    .await
}

/// Metadata as Prometheus writes it: `{"<metric>": [{"type", "help", "unit"}]}`.
pub fn metadata_json(metadata: &MetadataByMetric) -> String {
    let object: Map<String, Value> = metadata
        .iter()
        .map(|(metric, metas)| {
            let metas: Vec<Value> = metas
                .iter()
                .map(|m| json!({"type": m.r#type, "help": m.help, "unit": m.unit}))
                .collect();
            (metric.clone(), Value::Array(metas))
        })
        .collect();
    Value::Object(object).to_string()
}

fn labels_object(set: &Option<ZLabelSet>) -> Value {
    Value::Object(
        set.iter()
            .flat_map(|s| &s.labels)
            .map(|l| (l.name.clone(), Value::String(l.value.clone())))
            .collect(),
    )
}

fn active_json(t: &ActiveTarget) -> Value {
    let health = match t.health() {
        TargetHealth::Up => "up",
        TargetHealth::Down => "down",
        TargetHealth::Unknown => "unknown",
    };
    let last_scrape = t.last_scrape.as_ref().map_or_else(
        || "0001-01-01T00:00:00Z".to_string(),
        |s| mnemos_tsdb::gofmt::rfc3339_nano(s.seconds, u32::try_from(s.nanos).unwrap_or(0)),
    );
    json!({
        "discoveredLabels": labels_object(&t.discovered_labels),
        "labels": labels_object(&t.labels),
        "scrapePool": t.scrape_pool,
        "scrapeUrl": t.scrape_url,
        "globalUrl": t.global_url,
        "lastError": t.last_error,
        "lastScrape": last_scrape,
        "lastScrapeDuration": t.last_scrape_duration,
        "health": health,
    })
}

/// Targets as Prometheus writes them: `{"activeTargets": […], "droppedTargets": […]}`.
pub fn targets_json(targets: &TargetDiscovery) -> Value {
    json!({
        "activeTargets": targets.active_targets.iter().map(active_json).collect::<Vec<_>>(),
        "droppedTargets": targets
            .dropped_targets
            .iter()
            .map(|t| json!({"discoveredLabels": labels_object(&t.discovered_labels)}))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::prost_types::Timestamp;
    use mnemos_storeapi::thanos::{Label, Meta};

    #[test]
    fn prometheus_formats() {
        let mut m = MetadataByMetric::new();
        m.insert(
            "up".into(),
            vec![Meta {
                r#type: "gauge".into(),
                help: "Up.".into(),
                unit: String::new(),
            }],
        );
        assert_eq!(
            metadata_json(&m),
            r#"{"up":[{"help":"Up.","type":"gauge","unit":""}]}"#
        );
        let t = TargetDiscovery {
            active_targets: vec![ActiveTarget {
                labels: Some(vec![Label::new("job", "j")].into()),
                scrape_pool: "j".into(),
                last_scrape: Some(Timestamp {
                    seconds: 1_796_666_401,
                    nanos: 5_000_000,
                }),
                health: TargetHealth::Up as i32,
                ..Default::default()
            }],
            dropped_targets: Vec::new(),
        };
        let v = targets_json(&t);
        assert_eq!(v["activeTargets"][0]["health"], "up");
        assert_eq!(v["activeTargets"][0]["labels"]["job"], "j");
        assert_eq!(
            v["activeTargets"][0]["lastScrape"],
            "2026-12-07T18:00:01.005Z"
        );
        assert_eq!(v["droppedTargets"], json!([]));
    }
}
