//! Prometheus TSDB block format.
pub mod chunkenc;
