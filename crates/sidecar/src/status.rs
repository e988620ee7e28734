//! The sidecar's Status API (`thanos.Status`): Prometheus' `/api/v1/status/tsdb` as one
//! frame, under the empty tenant key, as Thanos' sidecar answers it (Thanos main; v0.40's
//! sidecar does not serve the Status API yet). A request whose matchers do not all match
//! the external labels gets no statistics.

use std::collections::BTreeMap;
use std::pin::Pin;

use futures::Stream;
use mnemos_storeapi::thanos::status_server::Status as StatusApi;
use mnemos_storeapi::thanos::{
    tsdb_statistics_response, HeadStatistics, LabelMatcher, Statistic, TsdbStatistics,
    TsdbStatisticsEntry, TsdbStatisticsRequest, TsdbStatisticsResponse,
};
use mnemos_tsdb::Matcher;
use serde_json::Value;
use tonic::{Request, Response, Status};

use crate::api_json::list;
use crate::store::SidecarStore;

type StatisticsStream = Pin<Box<dyn Stream<Item = Result<TsdbStatisticsResponse, Status>> + Send>>;

/// One list of `{"name", "value"}` statistics.
fn statistics(data: &Value, field: &str) -> Result<Vec<Statistic>, String> {
    list(data, field)?
        .iter()
        .map(|s| {
            Ok(Statistic {
                name: s["name"].as_str().unwrap_or_default().to_string(),
                value: s["value"]
                    .as_u64()
                    .ok_or_else(|| format!("{field}: value {} is not a count", s["value"]))?,
            })
        })
        .collect()
}

/// The statistics of a `/api/v1/status/tsdb` answer's `data`.
pub fn statistics_from_api(data: &Value) -> Result<TsdbStatisticsEntry, String> {
    let head = &data["headStats"];
    if !head.is_object() {
        return Err("TSDB status answer: no headStats".to_string());
    }
    let int = |field: &str| head[field].as_i64().unwrap_or_default();
    Ok(TsdbStatisticsEntry {
        head_statistics: Some(HeadStatistics {
            num_series: head["numSeries"].as_u64().unwrap_or_default(),
            num_label_pairs: int("numLabelPairs"),
            chunk_count: int("chunkCount"),
            min_time: int("minTime"),
            max_time: int("maxTime"),
        }),
        series_count_by_metric_name: statistics(data, "seriesCountByMetricName")?,
        label_value_count_by_label_name: statistics(data, "labelValueCountByLabelName")?,
        memory_in_bytes_by_label_name: statistics(data, "memoryInBytesByLabelName")?,
        series_count_by_label_value_pair: statistics(data, "seriesCountByLabelValuePair")?,
    })
    .map_err(|e: String| format!("TSDB status answer: {e}"))
}

/// Whether every matcher accepts the external labels (a label that is not external counts
/// as empty, as in Thanos).
pub fn external_labels_match(
    external: &BTreeMap<String, String>,
    matchers: &[LabelMatcher],
) -> Result<bool, Status> {
    for m in matchers {
        let kind = mnemos_storeapi::convert::match_type(m.r#type());
        let matcher = Matcher::new(kind, m.name.clone(), m.value.clone())
            .map_err(|e| Status::invalid_argument(format!("matcher {}: {e}", m.name)))?;
        if !matcher.matches(external.get(&m.name).map_or("", String::as_str)) {
            return Ok(false);
        }
    }
    Ok(true)
}

#[tonic::async_trait]
impl StatusApi for SidecarStore {
    type TSDBStatisticsStream = StatisticsStream;

    #[tracing::instrument(name = "sidecar.tsdb_statistics", skip_all)]
    async fn tsdb_statistics(
        &self,
        request: Request<TsdbStatisticsRequest>,
    ) -> Result<Response<StatisticsStream>, Status> {
        let req = request.into_inner();
        let mut statistics = std::collections::HashMap::new();
        if external_labels_match(&self.external_labels(), &req.matchers)? {
            let _permit = self.admit().await?;
            let data = self
                .prometheus()
                .tsdb_status(req.limit)
                .await
                .map_err(|e| Status::unavailable(e.to_string()))?;
            statistics.insert(
                String::new(),
                statistics_from_api(&data).map_err(Status::internal)?,
            );
        }
        let frame = TsdbStatisticsResponse {
            result: Some(tsdb_statistics_response::Result::Statistics(
                TsdbStatistics { statistics },
            )),
        };
        Ok(Response::new(Box::pin(futures::stream::once(async {
            Ok(frame)
        }))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::thanos::label_matcher::Type;

    #[test]
    fn prometheus_tsdb_status_answer() {
        let data = serde_json::json!({
            "headStats": {"numSeries": 12, "numLabelPairs": 30, "chunkCount": 14,
                          "minTime": 1000, "maxTime": 5000},
            "seriesCountByMetricName": [{"name": "up", "value": 3}],
            "labelValueCountByLabelName": [{"name": "job", "value": 2}],
            "memoryInBytesByLabelName": [],
            "seriesCountByLabelValuePair": [{"name": "job=a", "value": 3}]
        });
        let s = statistics_from_api(&data).expect("converts");
        let head = s.head_statistics.expect("head");
        assert_eq!(
            (head.num_series, head.num_label_pairs, head.chunk_count),
            (12, 30, 14)
        );
        assert_eq!((head.min_time, head.max_time), (1000, 5000));
        assert_eq!(s.series_count_by_metric_name[0].name, "up");
        assert_eq!(s.series_count_by_label_value_pair[0].value, 3);
        assert!(s.memory_in_bytes_by_label_name.is_empty());
        assert!(statistics_from_api(&serde_json::json!({})).is_err());
        let negative = serde_json::json!({"headStats": {},
            "seriesCountByMetricName": [{"name": "x", "value": -1}]});
        assert!(statistics_from_api(&negative).is_err());
    }

    #[test]
    fn matchers_select_by_external_labels() {
        let ext = BTreeMap::from([("region".to_string(), "eu".to_string())]);
        let m = |t, n: &str, v: &str| LabelMatcher::new(t, n, v);
        let ok = |ms: &[LabelMatcher]| external_labels_match(&ext, ms).ok();
        assert_eq!(ok(&[]), Some(true));
        assert_eq!(ok(&[m(Type::Eq, "region", "eu")]), Some(true));
        assert_eq!(ok(&[m(Type::Re, "region", "u.")]), Some(false));
        assert_eq!(
            ok(&[m(Type::Eq, "job", "a")]),
            Some(false),
            "a label that is not external is empty"
        );
        assert!(external_labels_match(&ext, &[m(Type::Re, "region", "(")]).is_err());
    }
}
