//! Metric metadata from every endpoint that serves the Metric Metadata API, merged as
//! Thanos' querier merges it: by metric name, each distinct (type, help, unit) once, the
//! first `limit` metrics seen.

use std::collections::BTreeMap;

use mnemos_storeapi::thanos::metadata_client::MetadataClient;
use mnemos_storeapi::thanos::{
    metric_metadata_response, Meta, MetricMetadata, MetricMetadataRequest, MetricMetadataResponse,
};

use crate::fanout::{partial_response_strategy, read_frames, Fanout};

/// Largest metadata answer read from one endpoint.
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// Metadata by metric name.
pub type MetadataByMetric = BTreeMap<String, Vec<Meta>>;

/// Merges metadata frames: each metric's distinct entries in the order seen; at most
/// `limit` metrics (the first seen) when `limit` is positive, none when it is 0, all when it
/// is negative (Prometheus' and Thanos' `limit`).
pub fn merge(frames: Vec<MetricMetadata>, limit: i32) -> MetadataByMetric {
    let mut out = MetadataByMetric::new();
    if limit == 0 {
        return out;
    }
    let max = usize::try_from(limit).unwrap_or(usize::MAX);
    for frame in frames {
        // Frames are maps: take their metrics in name order, so the cut is deterministic.
        let metrics: BTreeMap<_, _> = frame.metadata.into_iter().collect();
        for (metric, entry) in metrics {
            if !out.contains_key(&metric) && out.len() >= max {
                continue;
            }
            let metas = out.entry(metric).or_default();
            for meta in entry.metas {
                if !metas.contains(&meta) {
                    metas.push(meta);
                }
            }
        }
    }
    out
}

impl Fanout {
    /// The metadata of `metric` (every metric when empty) from every endpoint serving it,
    /// merged; with the warnings (failed endpoints when `partial`).
    pub async fn metric_metadata(
        &self,
        metric: &str,
        limit: i32,
        partial: bool,
    ) -> crate::Result<(MetadataByMetric, Vec<String>)> {
        let request = MetricMetadataRequest {
            metric: metric.to_string(),
            limit,
            partial_response_strategy: partial_response_strategy(partial),
        };
        let (frames, warnings) = self
            .on_each_serving(
                |info| info.serves_metadata,
                partial,
                |channel| {
                    let request = request.clone();
                    async move {
                        let mut client = MetadataClient::new(channel)
                            .max_decoding_message_size(MAX_ANSWER_BYTES);
                        let stream = client.metric_metadata(request).await?.into_inner();
                        read_frames(stream, |m: MetricMetadataResponse| match m.result? {
                            metric_metadata_response::Result::Metadata(m) => Some(Ok(m)),
                            metric_metadata_response::Result::Warning(w) => Some(Err(w)),
                        })
                        .await
                    }
                },
            )
            .await?;
        Ok((merge(frames, limit), warnings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::thanos::MetricMetadataEntry;

    fn meta(t: &str, help: &str) -> Meta {
        Meta {
            r#type: t.into(),
            help: help.into(),
            unit: String::new(),
        }
    }

    fn frame(entries: &[(&str, Vec<Meta>)]) -> MetricMetadata {
        MetricMetadata {
            metadata: entries
                .iter()
                .map(|(m, metas)| {
                    (
                        m.to_string(),
                        MetricMetadataEntry {
                            metas: metas.clone(),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn replicas_metadata_merge_once_and_limit_counts_metrics() {
        let a = frame(&[
            ("up", vec![meta("gauge", "Up.")]),
            ("b_total", vec![meta("counter", "B.")]),
        ]);
        let b = frame(&[
            ("up", vec![meta("gauge", "Up.")]),
            ("b_total", vec![meta("counter", "B, newer help.")]),
            ("c", vec![meta("gauge", "C.")]),
        ]);
        let all = merge(vec![a.clone(), b.clone()], -1);
        assert_eq!(all["up"], vec![meta("gauge", "Up.")]);
        assert_eq!(all["b_total"].len(), 2);
        assert_eq!(all.len(), 3);
        let two = merge(vec![a.clone(), b.clone()], 2);
        assert_eq!(two.keys().collect::<Vec<_>>(), ["b_total", "up"]);
        assert!(merge(vec![a, b], 0).is_empty());
    }
}
