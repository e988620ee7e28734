//! The sidecar's Metric Metadata API (`thanos.Metadata`): Prometheus' `/api/v1/metadata`,
//! as one frame.

use std::collections::HashMap;
use std::pin::Pin;

use futures::Stream;
use mnemos_storeapi::thanos::metadata_server::Metadata;
use mnemos_storeapi::thanos::{
    metric_metadata_response, Meta, MetricMetadata, MetricMetadataEntry, MetricMetadataRequest,
    MetricMetadataResponse,
};
use serde_json::Value;
use tonic::{Request, Response, Status};

use crate::store::SidecarStore;

type MetadataStream = Pin<Box<dyn Stream<Item = Result<MetricMetadataResponse, Status>> + Send>>;

/// The metadata in a `/api/v1/metadata` answer's `data` (`{"metric": [{type, help, unit}]}`).
pub fn metadata_from_api(data: &Value) -> Result<MetricMetadata, String> {
    let metrics = data
        .as_object()
        .ok_or("metadata answer: data is not an object")?;
    let text = |m: &Value, field: &str| m[field].as_str().unwrap_or_default().to_string();
    let mut metadata = HashMap::with_capacity(metrics.len());
    for (metric, metas) in metrics {
        let metas = metas
            .as_array()
            .ok_or_else(|| format!("metadata answer: {metric} is not a list"))?
            .iter()
            .map(|m| Meta {
                r#type: text(m, "type"),
                help: text(m, "help"),
                unit: text(m, "unit"),
            })
            .collect();
        metadata.insert(metric.clone(), MetricMetadataEntry { metas });
    }
    Ok(MetricMetadata { metadata })
}

#[tonic::async_trait]
impl Metadata for SidecarStore {
    type MetricMetadataStream = MetadataStream;

    #[tracing::instrument(name = "sidecar.metric_metadata", skip_all)]
    async fn metric_metadata(
        &self,
        request: Request<MetricMetadataRequest>,
    ) -> Result<Response<MetadataStream>, Status> {
        let req = request.into_inner();
        let _permit = self.admit().await?;
        let data = self
            .prometheus()
            .metadata(&req.metric, req.limit)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let metadata = metadata_from_api(&data).map_err(Status::internal)?;
        let frame = MetricMetadataResponse {
            result: Some(metric_metadata_response::Result::Metadata(metadata)),
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
    fn prometheus_metadata_answer() {
        let data = serde_json::json!({
            "http_requests_total": [
                {"type": "counter", "help": "Requests.", "unit": ""},
                {"type": "counter", "help": "Requests served.", "unit": ""}
            ],
            "temperature_celsius": [{"type": "gauge", "help": "Heat.", "unit": "celsius"}]
        });
        let m = metadata_from_api(&data).expect("converts");
        assert_eq!(m.metadata["http_requests_total"].metas.len(), 2);
        let t = &m.metadata["temperature_celsius"].metas[0];
        assert_eq!((t.r#type.as_str(), t.unit.as_str()), ("gauge", "celsius"));
        assert!(metadata_from_api(&serde_json::json!([])).is_err());
        assert!(metadata_from_api(&serde_json::json!({"x": 1})).is_err());
    }
}
