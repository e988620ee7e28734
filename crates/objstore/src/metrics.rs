//! Per-operation metrics of a bucket: counts, failures, latency and bytes.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Labels of every bucket metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpLabels {
    /// Bucket display name (`s3://name`, `file:///dir`).
    pub bucket: String,
    /// Operation: get, get_range, head, put, upload, delete, list.
    pub operation: &'static str,
}

/// The metric families, shared by every clone of a bucket.
#[derive(Clone)]
pub struct BucketMetrics {
    pub(crate) operations: Family<OpLabels, Counter>,
    pub(crate) failures: Family<OpLabels, Counter>,
    pub(crate) duration: Family<OpLabels, Histogram>,
    pub(crate) bytes: Family<OpLabels, Counter>,
}

impl BucketMetrics {
    /// Creates the families and registers them (prefix `mnemos_objstore_bucket_`).
    pub fn new(registry: &mut Registry) -> Self {
        let metrics = Self {
            operations: Family::default(),
            failures: Family::default(),
            duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 4.0, 10))
            }),
            bytes: Family::default(),
        };
        let sub = registry.sub_registry_with_prefix("mnemos_objstore_bucket");
        sub.register(
            "operations",
            "Bucket operations started",
            metrics.operations.clone(),
        );
        sub.register(
            "operation_failures",
            "Bucket operations that failed after retries (not-found answers excluded)",
            metrics.failures.clone(),
        );
        sub.register(
            "operation_duration_seconds",
            "Duration of bucket operations, retries included",
            metrics.duration.clone(),
        );
        sub.register(
            "operation_transferred_bytes",
            "Bytes read from or written to the bucket",
            metrics.bytes.clone(),
        );
        metrics
    }
}
