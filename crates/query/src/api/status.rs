//! `/api/v1/status/tsdb`: the TSDB statistics of every endpoint that serves the Status API
//! (a sidecar answers from its Prometheus' `/api/v1/status/tsdb`), merged
//! ([`crate::tsdb_status`]), in Prometheus 2.42's JSON. Parameters as Thanos' querier has
//! them: `limit` (entries per list, default 10) and `match[]` (only the TSDBs whose external
//! labels match), with `partial_response` as for queries.

use std::fmt::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mnemos_storeapi::thanos::{Statistic, TsdbStatisticsEntry};

use super::response::{push_str, success, ApiError};
use super::{answer, endpoint_error, QueryApi};
use crate::tsdb_status::total;

/// Entries per list when the request sets no `limit` (Prometheus' and Thanos' 10).
const DEFAULT_LIMIT: usize = 10;

/// `/api/v1/status/tsdb`.
pub(super) async fn tsdb(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = api.clone();
    answer(
        &api,
        "/api/v1/status/tsdb",
        (q, &headers, &body),
        |p, _| async move {
            let limit = p.limit()?.unwrap_or(DEFAULT_LIMIT);
            let wire_limit = i32::try_from(limit)
                .map_err(|_| ApiError::bad_data(format!("limit {limit} overflows int32")))?;
            let mut matchers = Vec::new();
            for m in p.all("match[]").into_iter().filter(|m| !m.is_empty()) {
                matchers.extend(
                    mnemos_promql::selector_matchers(m)
                        .map_err(|e| ApiError::bad_data(e.to_string()))?,
                );
            }
            let options = inner.read_options(&p, 0)?;
            let (by_tenant, warnings) = inner
                .fanout
                .tsdb_statistics(wire_limit, &matchers, options.partial_response)
                .await
                .map_err(endpoint_error)?;
            Ok(success(
                &tsdb_status_json(&total(by_tenant, limit)),
                &warnings,
            ))
        },
    )
    .await
}

fn push_list(out: &mut String, name: &str, list: &[Statistic]) {
    out.push_str(",\"");
    out.push_str(name);
    out.push_str("\":[");
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"name":"#);
        push_str(out, &s.name);
        let _ = write!(out, r#","value":{}}}"#, s.value);
    }
    out.push(']');
}

/// Statistics as Prometheus writes them: `{"headStats":{…},"seriesCountByMetricName":[…],
/// "labelValueCountByLabelName":[…],"memoryInBytesByLabelName":[…],
/// "seriesCountByLabelValuePair":[…]}`.
pub fn tsdb_status_json(s: &TsdbStatisticsEntry) -> String {
    let head = s.head_statistics.unwrap_or_default();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"{{"headStats":{{"numSeries":{},"numLabelPairs":{},"chunkCount":{},"minTime":{},"maxTime":{}}}"#,
        head.num_series, head.num_label_pairs, head.chunk_count, head.min_time, head.max_time
    );
    push_list(
        &mut out,
        "seriesCountByMetricName",
        &s.series_count_by_metric_name,
    );
    push_list(
        &mut out,
        "labelValueCountByLabelName",
        &s.label_value_count_by_label_name,
    );
    push_list(
        &mut out,
        "memoryInBytesByLabelName",
        &s.memory_in_bytes_by_label_name,
    );
    push_list(
        &mut out,
        "seriesCountByLabelValuePair",
        &s.series_count_by_label_value_pair,
    );
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::thanos::HeadStatistics;

    #[test]
    fn prometheus_tsdb_status_json() {
        let s = TsdbStatisticsEntry {
            head_statistics: Some(HeadStatistics {
                num_series: 12,
                num_label_pairs: 30,
                chunk_count: 14,
                min_time: 1000,
                max_time: 5000,
            }),
            series_count_by_metric_name: vec![Statistic {
                name: "up".into(),
                value: 3,
            }],
            series_count_by_label_value_pair: vec![Statistic {
                name: "job=\"a\"".into(),
                value: 3,
            }],
            ..Default::default()
        };
        assert_eq!(
            tsdb_status_json(&s),
            concat!(
                r#"{"headStats":{"numSeries":12,"numLabelPairs":30,"chunkCount":14,"minTime":1000,"maxTime":5000},"#,
                r#""seriesCountByMetricName":[{"name":"up","value":3}],"labelValueCountByLabelName":[],"#,
                r#""memoryInBytesByLabelName":[],"seriesCountByLabelValuePair":[{"name":"job=\"a\"","value":3}]}"#
            )
        );
    }
}
