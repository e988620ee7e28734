//! `/api/v1/query_exemplars` (`query`, `start`, `end`): the exemplars of the series the
//! query's selectors select, from every endpoint that serves the Exemplars API, merged
//! ([`crate::exemplars`]), in Prometheus 2.42's JSON. `dedup`, `replicaLabels[]` and
//! `partial_response` as for queries.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mnemos_storeapi::thanos::ExemplarData;

use super::params::{MAX_TIME_MS, MIN_TIME_MS};
use super::response::{format_value, push_str, push_timestamp, success, ApiError, ErrorType};
use super::rules::push_label_object;
use super::{answer, endpoint_error, QueryApi};
use crate::rules::set_labels;

/// `/api/v1/query_exemplars`.
pub(super) async fn exemplars(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = api.clone();
    answer(
        &api,
        "/api/v1/query_exemplars",
        (q, &headers, &body),
        |p, _| async move {
            let start = p.time("start", MIN_TIME_MS)?;
            let end = p.time("end", MAX_TIME_MS)?;
            if end < start {
                return Err(ApiError::bad_data(
                    "end timestamp must not be before start timestamp",
                ));
            }
            let query = p.get("query").unwrap_or_default().to_string();
            let selectors =
                tokio::task::spawn_blocking(move || mnemos_promql::query_selectors(&query))
                    .await
                    .map_err(|e| {
                        ApiError::new(ErrorType::Internal, format!("parsing panicked: {e}"))
                    })?
                    .map_err(|e| ApiError::bad_data(parse_message(e)))?;
            if selectors.is_empty() {
                // Prometheus answers `null` for a query without selectors.
                return Ok(success("null", &[]));
            }
            let options = inner.read_options(&p, 0)?;
            let replicas = if options.dedup {
                options.replica_labels.clone()
            } else {
                Vec::new()
            };
            let (data, warnings) = inner
                .fanout
                .exemplars(
                    &selectors,
                    (start, end),
                    &replicas,
                    options.partial_response,
                )
                .await
                .map_err(endpoint_error)?;
            Ok(success(&exemplars_json(&data), &warnings))
        },
    )
    .await
}

/// A parse error's message as Prometheus' parser words it.
fn parse_message(e: mnemos_promql::Error) -> String {
    match e {
        mnemos_promql::Error::Parse(msg) => msg,
        other => other.to_string(),
    }
}

/// Exemplars as Prometheus writes them: `[{"seriesLabels":{…},"exemplars":[{"labels":{…},
/// "value":"…","timestamp":…}]}]`.
pub fn exemplars_json(data: &[ExemplarData]) -> String {
    let mut out = String::from("[");
    for (i, d) in data.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"seriesLabels":"#);
        push_label_object(&mut out, set_labels(&d.series_labels));
        out.push_str(r#","exemplars":["#);
        for (j, e) in d.exemplars.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(r#"{"labels":"#);
            push_label_object(&mut out, set_labels(&e.labels));
            out.push_str(r#","value":"#);
            push_str(&mut out, &format_value(e.value));
            out.push_str(r#","timestamp":"#);
            push_timestamp(&mut out, e.ts);
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::thanos::{Exemplar, Label};

    #[test]
    fn prometheus_exemplars_json() {
        let data = vec![ExemplarData {
            series_labels: Some(
                vec![
                    Label::new("__name__", "requests_total"),
                    Label::new("job", "api"),
                ]
                .into(),
            ),
            exemplars: vec![
                Exemplar {
                    labels: Some(vec![Label::new("trace_id", "abc")].into()),
                    value: 1.5,
                    ts: 1_796_666_401_123,
                },
                Exemplar {
                    labels: Some(vec![Label::new("trace_id", "def")].into()),
                    value: f64::INFINITY,
                    ts: 1_796_666_402_000,
                },
            ],
        }];
        assert_eq!(
            exemplars_json(&data),
            concat!(
                r#"[{"seriesLabels":{"__name__":"requests_total","job":"api"},"exemplars":["#,
                r#"{"labels":{"trace_id":"abc"},"value":"1.5","timestamp":1796666401.123},"#,
                r#"{"labels":{"trace_id":"def"},"value":"+Inf","timestamp":1796666402}]}]"#
            )
        );
        assert_eq!(exemplars_json(&[]), "[]");
    }
}
