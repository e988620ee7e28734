//! The sidecar's Targets API (`thanos.Targets`): Prometheus' `/api/v1/targets` as one frame,
//! with the external labels added to every target's labels (Prometheus does not add them).

use std::collections::BTreeMap;
use std::pin::Pin;

use futures::Stream;
use mnemos_storeapi::prost_types::Timestamp;
use mnemos_storeapi::thanos::targets_request::State;
use mnemos_storeapi::thanos::targets_server::Targets;
use mnemos_storeapi::thanos::{
    targets_response, ActiveTarget, DroppedTarget, TargetDiscovery, TargetHealth, TargetsRequest,
    TargetsResponse,
};
use serde_json::Value;
use tonic::{Request, Response, Status};

use crate::api_json::label_set;
use crate::store::SidecarStore;

type TargetsStream = Pin<Box<dyn Stream<Item = Result<TargetsResponse, Status>> + Send>>;

/// The targets in a `/api/v1/targets` answer's `data`, external labels added.
pub fn targets_from_api(
    data: &Value,
    external: &BTreeMap<String, String>,
) -> Result<TargetDiscovery, String> {
    let list = |field: &str| -> Result<Vec<Value>, String> {
        match &data[field] {
            Value::Null => Ok(Vec::new()),
            Value::Array(a) => Ok(a.clone()),
            _ => Err(format!("targets answer: {field} is not a list")),
        }
    };
    let text = |t: &Value, field: &str| t[field].as_str().unwrap_or_default().to_string();
    let active_targets = list("activeTargets")?
        .iter()
        .map(|t| {
            let last_scrape = match t["lastScrape"].as_str() {
                None => None,
                Some(s) => {
                    let (seconds, nanos) = mnemos_tsdb::gofmt::parse_rfc3339_nanos(s)
                        .ok_or_else(|| format!("targets answer: lastScrape {s:?}"))?;
                    Some(Timestamp {
                        seconds,
                        nanos: i32::try_from(nanos).unwrap_or_default(),
                    })
                }
            };
            let health = match t["health"].as_str() {
                Some("up") => TargetHealth::Up,
                Some("down") => TargetHealth::Down,
                _ => TargetHealth::Unknown,
            };
            Ok(ActiveTarget {
                discovered_labels: Some(label_set(&t["discoveredLabels"], external)),
                labels: Some(label_set(&t["labels"], external)),
                scrape_pool: text(t, "scrapePool"),
                scrape_url: text(t, "scrapeUrl"),
                global_url: text(t, "globalUrl"),
                last_error: text(t, "lastError"),
                last_scrape,
                last_scrape_duration: t["lastScrapeDuration"].as_f64().unwrap_or_default(),
                health: health as i32,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let dropped_targets = list("droppedTargets")?
        .iter()
        .map(|t| DroppedTarget {
            discovered_labels: Some(label_set(&t["discoveredLabels"], external)),
        })
        .collect();
    Ok(TargetDiscovery {
        active_targets,
        dropped_targets,
    })
}

/// The `state` parameter of Prometheus' API for a request's state.
fn state_param(state: State) -> &'static str {
    match state {
        State::Any => "",
        State::Active => "active",
        State::Dropped => "dropped",
    }
}

#[tonic::async_trait]
impl Targets for SidecarStore {
    type TargetsStream = TargetsStream;

    #[tracing::instrument(name = "sidecar.targets", skip_all)]
    async fn targets(
        &self,
        request: Request<TargetsRequest>,
    ) -> Result<Response<TargetsStream>, Status> {
        let req = request.into_inner();
        let _permit = self.admit().await?;
        let data = self
            .prometheus()
            .targets(state_param(req.state()))
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let targets = targets_from_api(&data, &self.external_labels()).map_err(Status::internal)?;
        let frame = TargetsResponse {
            result: Some(targets_response::Result::Targets(targets)),
        };
        Ok(Response::new(Box::pin(futures::stream::once(async {
            Ok(frame)
        }))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_targets_answer_with_external_labels() {
        let data = serde_json::json!({
            "activeTargets": [{
                "discoveredLabels": {"__address__": "127.0.0.1:9100", "job": "node"},
                "labels": {"instance": "127.0.0.1:9100", "job": "node"},
                "scrapePool": "node",
                "scrapeUrl": "http://127.0.0.1:9100/metrics",
                "globalUrl": "http://host:9100/metrics",
                "lastError": "",
                "lastScrape": "2026-12-07T18:00:01.123456789Z",
                "lastScrapeDuration": 0.0042,
                "health": "up",
                "scrapeInterval": "1s",
                "scrapeTimeout": "1s"
            }],
            "droppedTargets": [{"discoveredLabels": {"__address__": "x:1"}}]
        });
        let ext = BTreeMap::from([("replica".to_string(), "a".to_string())]);
        let t = targets_from_api(&data, &ext).expect("converts");
        let a = &t.active_targets[0];
        let names: Vec<&str> = a
            .labels
            .as_ref()
            .expect("labels")
            .labels
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        assert_eq!(names, ["instance", "job", "replica"]);
        assert_eq!(a.health(), TargetHealth::Up);
        assert_eq!(
            a.last_scrape,
            Some(Timestamp {
                seconds: 1_796_666_401,
                nanos: 123_456_789
            })
        );
        assert_eq!(a.scrape_pool, "node");
        assert_eq!(
            t.dropped_targets[0]
                .discovered_labels
                .as_ref()
                .expect("d")
                .labels
                .len(),
            2
        );
        assert!(targets_from_api(&serde_json::json!({"activeTargets": 3}), &ext).is_err());
    }
}
