//! Metrics of the query-frontend (prefix `mnemos_frontend_`). Thanos' equivalents:
//! `thanos_query_frontend_queries_total` (queries), `cortex_frontend_split_queries_total`
//! (split_queries), `cortex_cache_fetched_keys` / `cortex_cache_hits` (cache_requests /
//! cache_hits), `cortex_query_frontend_retries` (retries).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Label of per-operation metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpLabel {
    /// `query_range`, `labels`, `label_values`, `series` or `other`.
    pub op: &'static str,
}

/// Label of per-cache metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabel {
    /// `query-range` or `labels`.
    pub cache: &'static str,
}

/// Label of cache errors.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheErrorLabel {
    /// `query-range` or `labels`.
    pub cache: &'static str,
    /// `get`, `set` or `set_dropped` (too many stores waiting).
    pub op: &'static str,
}

/// Label of downstream calls.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DownstreamLabel {
    /// The operation.
    pub op: &'static str,
    /// HTTP status code, 0 when no answer came.
    pub code: u16,
}

/// The frontend's metrics.
#[derive(Clone)]
pub struct FrontendMetrics {
    queries: Family<OpLabel, Counter>,
    duration: Family<OpLabel, Histogram>,
    split_queries: Counter,
    downstream: Family<DownstreamLabel, Counter>,
    retries: Family<OpLabel, Counter>,
    cache_requests: Family<CacheLabel, Counter>,
    cache_hits: Family<CacheLabel, Counter>,
    cache_errors: Family<CacheErrorLabel, Counter>,
    cache_puts: Family<CacheLabel, Counter>,
    cache_stored: Family<CacheLabel, Counter>,
    uncacheable: Family<OpLabel, Counter>,
}

impl FrontendMetrics {
    /// Creates and registers the metrics.
    pub fn new(registry: &mut Registry) -> Self {
        let m = Self {
            queries: Family::default(),
            duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 4.0, 10))
            }),
            split_queries: Counter::default(),
            downstream: Family::default(),
            retries: Family::default(),
            cache_requests: Family::default(),
            cache_hits: Family::default(),
            cache_errors: Family::default(),
            cache_puts: Family::default(),
            cache_stored: Family::default(),
            uncacheable: Family::default(),
        };
        let r = registry.sub_registry_with_prefix("mnemos_frontend");
        r.register(
            "queries",
            "Requests received, by operation",
            m.queries.clone(),
        );
        r.register(
            "request_duration_seconds",
            "Time to answer a request, by operation",
            m.duration.clone(),
        );
        r.register(
            "split_queries",
            "Range query parts after splitting by interval",
            m.split_queries.clone(),
        );
        r.register(
            "downstream_requests",
            "Requests sent to the querier, by operation and status code (0: no answer)",
            m.downstream.clone(),
        );
        r.register(
            "retries",
            "Downstream requests repeated after a failure, by operation",
            m.retries.clone(),
        );
        r.register(
            "cache_requests",
            "Results cache lookups, by cache",
            m.cache_requests.clone(),
        );
        r.register(
            "cache_hits",
            "Results cache hits, by cache",
            m.cache_hits.clone(),
        );
        r.register(
            "cache_errors",
            "Results cache failures (get, set) and dropped stores (set_dropped)",
            m.cache_errors.clone(),
        );
        r.register(
            "cache_puts",
            "Results queued to be stored, by cache",
            m.cache_puts.clone(),
        );
        r.register(
            "cache_stored",
            "Results written to the cache backend, by cache",
            m.cache_stored.clone(),
        );
        r.register(
            "uncacheable_responses",
            "Downstream answers not cached: partial responses, Cache-Control: no-store",
            m.uncacheable.clone(),
        );
        m
    }

    /// Metrics registered nowhere (tests).
    pub fn unregistered() -> Self {
        Self::new(&mut Registry::default())
    }

    /// Counts a request and its duration.
    pub fn query(&self, op: &'static str, seconds: f64) {
        self.queries.get_or_create(&OpLabel { op }).inc();
        self.duration
            .get_or_create(&OpLabel { op })
            .observe(seconds);
    }

    /// Counts range query parts.
    pub fn split(&self, parts: usize) {
        self.split_queries.inc_by(parts as u64);
    }

    /// Counts a downstream call's outcome.
    pub fn downstream(&self, op: &'static str, code: u16) {
        self.downstream
            .get_or_create(&DownstreamLabel { op, code })
            .inc();
    }

    /// Counts a retry.
    pub fn retry(&self, op: &'static str) {
        self.retries.get_or_create(&OpLabel { op }).inc();
    }

    /// Counts an answer that was not cached.
    pub fn uncacheable(&self, op: &'static str) {
        self.uncacheable.get_or_create(&OpLabel { op }).inc();
    }

    /// Counts a cache lookup.
    pub fn cache_request(&self, cache: &'static str) {
        self.cache_requests
            .get_or_create(&CacheLabel { cache })
            .inc();
    }

    /// Counts a cache hit.
    pub fn cache_hit(&self, cache: &'static str) {
        self.cache_hits.get_or_create(&CacheLabel { cache }).inc();
    }

    /// Counts a cache failure.
    pub fn cache_error(&self, cache: &'static str, op: &'static str) {
        self.cache_errors
            .get_or_create(&CacheErrorLabel { cache, op })
            .inc();
    }

    /// Counts a result queued to be stored.
    pub fn cache_put(&self, cache: &'static str) {
        self.cache_puts.get_or_create(&CacheLabel { cache }).inc();
    }

    /// Counts a result written to the backend.
    pub fn cache_stored(&self, cache: &'static str) {
        self.cache_stored.get_or_create(&CacheLabel { cache }).inc();
    }

    /// Hits of `cache` so far (tests).
    pub fn cache_hits(&self, cache: &'static str) -> f64 {
        self.cache_hits.get_or_create(&CacheLabel { cache }).get() as f64
    }
}
