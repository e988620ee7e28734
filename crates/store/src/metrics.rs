//! Metrics of the store gateway (prefix `mnemos_store_`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::range_cache::CacheMetrics;

/// Label of cache metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabel {
    /// `index` or `chunks`.
    pub cache: &'static str,
}

/// The gateway's metrics.
#[derive(Clone)]
pub struct StoreMetrics {
    /// Blocks served.
    pub blocks: Gauge,
    /// Blocks served from their Parquet files.
    pub parquet_blocks: Gauge,
    /// Blocks loaded (index header ready).
    pub blocks_loaded: Counter,
    /// Block loads that failed.
    pub block_load_failures: Counter,
    /// Blocks skipped as corrupt.
    pub blocks_corrupt: Counter,
    /// Blocks that failed during a query (reported as warnings).
    pub block_query_failures: Counter,
    /// Requests rejected by a limit.
    pub limit_rejections: Counter,
    /// `Series` calls whose client went away before the end (reading stopped).
    pub requests_cancelled: Counter,
    /// Blocks whose matching series entries were all held to be sorted, because one of
    /// their series carries a label named like an external or dropped label.
    pub query_blocks_sorted: Counter,
    /// Blocks touched per query.
    pub query_blocks: Histogram,
    /// Series returned per query.
    pub query_series: Histogram,
    /// Chunks returned per query.
    pub query_chunks: Histogram,
    /// Bytes read from the bucket per query.
    pub query_bucket_bytes: Histogram,
    /// Requests sent to the bucket per query.
    pub query_bucket_requests: Histogram,
    /// Query duration.
    pub query_duration: Histogram,
    cache_hits: Family<CacheLabel, Counter>,
    cache_misses: Family<CacheLabel, Counter>,
    cache_bytes: Family<CacheLabel, Gauge>,
    cache_evictions: Family<CacheLabel, Counter>,
}

impl StoreMetrics {
    /// Creates and registers the metrics.
    pub fn new(registry: &mut Registry) -> Self {
        let m = Self {
            blocks: Gauge::default(),
            parquet_blocks: Gauge::default(),
            blocks_loaded: Counter::default(),
            block_load_failures: Counter::default(),
            blocks_corrupt: Counter::default(),
            block_query_failures: Counter::default(),
            limit_rejections: Counter::default(),
            requests_cancelled: Counter::default(),
            query_blocks_sorted: Counter::default(),
            query_blocks: Histogram::new(exponential_buckets(1.0, 4.0, 8)),
            query_series: Histogram::new(exponential_buckets(1.0, 4.0, 12)),
            query_chunks: Histogram::new(exponential_buckets(1.0, 4.0, 14)),
            query_bucket_bytes: Histogram::new(exponential_buckets(1024.0, 4.0, 12)),
            query_bucket_requests: Histogram::new(exponential_buckets(1.0, 4.0, 10)),
            query_duration: Histogram::new(exponential_buckets(0.001, 4.0, 10)),
            cache_hits: Family::default(),
            cache_misses: Family::default(),
            cache_bytes: Family::default(),
            cache_evictions: Family::default(),
        };
        let r = registry.sub_registry_with_prefix("mnemos_store");
        r.register("blocks", "Blocks served", m.blocks.clone());
        r.register(
            "parquet_blocks",
            "Blocks served from their Parquet files",
            m.parquet_blocks.clone(),
        );
        r.register(
            "blocks_loaded",
            "Blocks loaded (index header ready)",
            m.blocks_loaded.clone(),
        );
        r.register(
            "block_load_failures",
            "Block loads that failed",
            m.block_load_failures.clone(),
        );
        r.register(
            "blocks_corrupt",
            "Blocks skipped as corrupt",
            m.blocks_corrupt.clone(),
        );
        r.register(
            "block_query_failures",
            "Blocks that failed during a query",
            m.block_query_failures.clone(),
        );
        r.register(
            "limit_rejections",
            "Requests rejected by a series or samples limit",
            m.limit_rejections.clone(),
        );
        r.register(
            "requests_cancelled",
            "Series calls whose client went away before the end; reading stopped",
            m.requests_cancelled.clone(),
        );
        r.register(
            "query_blocks_sorted",
            "Blocks whose matching series entries were all held to sort them (a series label named like an external or dropped label)",
            m.query_blocks_sorted.clone(),
        );
        r.register(
            "query_blocks_touched",
            "Blocks touched per query",
            m.query_blocks.clone(),
        );
        r.register(
            "query_series_touched",
            "Series returned per query",
            m.query_series.clone(),
        );
        r.register(
            "query_chunks_touched",
            "Chunks returned per query",
            m.query_chunks.clone(),
        );
        r.register(
            "query_bucket_bytes",
            "Bytes read from the bucket per query",
            m.query_bucket_bytes.clone(),
        );
        r.register(
            "query_bucket_requests",
            "Requests sent to the bucket per query",
            m.query_bucket_requests.clone(),
        );
        r.register(
            "query_duration_seconds",
            "Duration of Series calls",
            m.query_duration.clone(),
        );
        r.register("cache_hits", "Cache lookups served", m.cache_hits.clone());
        r.register(
            "cache_misses",
            "Cache lookups not served",
            m.cache_misses.clone(),
        );
        r.register(
            "cache_bytes",
            "Bytes held by the cache",
            m.cache_bytes.clone(),
        );
        r.register(
            "cache_evictions",
            "Ranges evicted from the cache",
            m.cache_evictions.clone(),
        );
        m
    }

    /// The counters of one cache.
    pub fn cache(&self, cache: &'static str) -> CacheMetrics {
        let l = CacheLabel { cache };
        CacheMetrics {
            hits: self.cache_hits.get_or_create(&l).clone(),
            misses: self.cache_misses.get_or_create(&l).clone(),
            bytes: self.cache_bytes.get_or_create(&l).clone(),
            evictions: self.cache_evictions.get_or_create(&l).clone(),
        }
    }
}
