//! The sidecar's Exemplars API (`thanos.Exemplars`): Prometheus' `/api/v1/query_exemplars`,
//! one frame per series, with the external labels added to the series' labels as Thanos'
//! sidecar adds them. The query goes to Prometheus as the caller sends it (a querier leaves
//! out the matchers on this sidecar's external labels, which Prometheus does not know).

use std::collections::BTreeMap;
use std::pin::Pin;

use futures::Stream;
use mnemos_storeapi::thanos::exemplars_server::Exemplars;
use mnemos_storeapi::thanos::{
    exemplars_response, Exemplar, ExemplarData, ExemplarsRequest, ExemplarsResponse,
};
use serde_json::Value;
use tonic::{Request, Response, Status};

use crate::api_json::{float, label_set, list};
use crate::store::SidecarStore;

type ExemplarsStream = Pin<Box<dyn Stream<Item = Result<ExemplarsResponse, Status>> + Send>>;

/// One exemplar: its labels, value and time (seconds in the answer, ms here).
fn exemplar(e: &Value) -> Result<Exemplar, String> {
    let seconds = e["timestamp"]
        .as_f64()
        .ok_or_else(|| format!("exemplar timestamp {} is not a number", e["timestamp"]))?;
    Ok(Exemplar {
        labels: Some(label_set(&e["labels"], &BTreeMap::new())),
        value: float(e, "value")?,
        ts: (seconds * 1000.0).round() as i64,
    })
}

/// The series of a `/api/v1/query_exemplars` answer's `data` (`null` when the query selects
/// nothing), external labels added to their labels.
pub fn exemplars_from_api(
    data: &Value,
    external: &BTreeMap<String, String>,
) -> Result<Vec<ExemplarData>, String> {
    let series = match data {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a,
        other => return Err(format!("exemplars answer: data {other} is not a list")),
    };
    series
        .iter()
        .map(|s| {
            Ok(ExemplarData {
                series_labels: Some(label_set(&s["seriesLabels"], external)),
                exemplars: list(s, "exemplars")?
                    .iter()
                    .map(exemplar)
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect::<Result<_, String>>()
        .map_err(|e| format!("exemplars answer: {e}"))
}

#[tonic::async_trait]
impl Exemplars for SidecarStore {
    type ExemplarsStream = ExemplarsStream;

    #[tracing::instrument(name = "sidecar.exemplars", skip_all, fields(start = request.get_ref().start, end = request.get_ref().end))]
    async fn exemplars(
        &self,
        request: Request<ExemplarsRequest>,
    ) -> Result<Response<ExemplarsStream>, Status> {
        let req = request.into_inner();
        let _permit = self.admit().await?;
        let data = self
            .prometheus()
            .exemplars(&req.query, req.start, req.end)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let series =
            exemplars_from_api(&data, &self.external_labels()).map_err(Status::internal)?;
        let frames: Vec<Result<ExemplarsResponse, Status>> = series
            .into_iter()
            .map(|d| {
                Ok(ExemplarsResponse {
                    result: Some(exemplars_response::Result::Data(d)),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(futures::stream::iter(frames))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::thanos::Label;

    #[test]
    fn prometheus_exemplars_answer_with_external_labels_on_series() {
        let data = serde_json::json!([{
            "seriesLabels": {"__name__": "requests_total", "job": "api"},
            "exemplars": [
                {"labels": {"trace_id": "abc"}, "value": "1.5", "timestamp": 1796666401.123},
                {"labels": {"trace_id": "def"}, "value": "NaN", "timestamp": 1796666402}
            ]
        }]);
        let ext = BTreeMap::from([("region".to_string(), "eu".to_string())]);
        let series = exemplars_from_api(&data, &ext).expect("converts");
        assert_eq!(series.len(), 1);
        assert_eq!(
            series[0].series_labels.as_ref().map(|l| l.labels.clone()),
            Some(vec![
                Label::new("__name__", "requests_total"),
                Label::new("job", "api"),
                Label::new("region", "eu"),
            ])
        );
        let e = &series[0].exemplars;
        assert_eq!((e[0].value, e[0].ts), (1.5, 1_796_666_401_123));
        assert!(e[1].value.is_nan());
        assert_eq!(e[1].ts, 1_796_666_402_000);
        assert_eq!(
            e[0].labels.as_ref().map(|l| l.labels.clone()),
            Some(vec![Label::new("trace_id", "abc")])
        );
        assert_eq!(
            exemplars_from_api(&Value::Null, &ext).map(|s| s.len()),
            Ok(0)
        );
        assert!(exemplars_from_api(&serde_json::json!({"x": 1}), &ext).is_err());
        let no_time = serde_json::json!([{"exemplars": [{"value": "1"}]}]);
        assert!(exemplars_from_api(&no_time, &ext).is_err());
    }
}
