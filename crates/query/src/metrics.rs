//! Metrics of the querier (prefix `mnemos_query_`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Label of per-handler metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HandlerLabel {
    /// API path, e.g. `/api/v1/query_range`.
    pub handler: String,
    /// HTTP status code.
    pub code: u16,
}

/// Label of per-endpoint metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabel {
    /// `host:port`.
    pub endpoint: String,
}

/// Label of endpoint-state gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// `healthy` or `unhealthy`.
    pub state: &'static str,
}

/// The querier's metrics.
#[derive(Clone)]
pub struct QueryMetrics {
    endpoints: Family<StateLabel, Gauge>,
    requests: Family<HandlerLabel, Counter>,
    request_duration: Histogram,
    endpoint_failures: Family<EndpointLabel, Counter>,
    /// Series calls sent to endpoints.
    pub series_calls: Counter,
    /// Series received from endpoints (before merging).
    pub series_received: Counter,
    /// Series frames dropped by deduplication (replicas and overlapping sources).
    pub replicas_merged: Counter,
    /// Queries answered with a partial-response warning.
    pub partial_responses: Counter,
}

impl QueryMetrics {
    /// Creates and registers the metrics.
    pub fn new(registry: &mut Registry) -> Self {
        let m = Self {
            endpoints: Family::default(),
            requests: Family::default(),
            request_duration: Histogram::new(exponential_buckets(0.001, 4.0, 10)),
            endpoint_failures: Family::default(),
            series_calls: Counter::default(),
            series_received: Counter::default(),
            replicas_merged: Counter::default(),
            partial_responses: Counter::default(),
        };
        let r = registry.sub_registry_with_prefix("mnemos_query");
        r.register(
            "endpoints",
            "Known StoreAPI endpoints by state",
            m.endpoints.clone(),
        );
        r.register(
            "http_requests",
            "API requests by handler and code",
            m.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "API request duration",
            m.request_duration.clone(),
        );
        r.register(
            "endpoint_failures",
            "Series calls that failed or timed out, by endpoint",
            m.endpoint_failures.clone(),
        );
        r.register(
            "series_calls",
            "Series calls sent to endpoints",
            m.series_calls.clone(),
        );
        r.register(
            "series_received",
            "Series received from endpoints before merging",
            m.series_received.clone(),
        );
        r.register(
            "replicas_merged",
            "Series frames merged into another (HA replicas, overlapping sources)",
            m.replicas_merged.clone(),
        );
        r.register(
            "partial_responses",
            "Answers that carry a partial-response warning",
            m.partial_responses.clone(),
        );
        m
    }

    /// Metrics registered nowhere (tests).
    pub fn unregistered() -> Self {
        Self::new(&mut Registry::default())
    }

    /// Sets the endpoint gauges.
    pub fn set_endpoints(&self, healthy: usize, unhealthy: usize) {
        self.endpoints
            .get_or_create(&StateLabel { state: "healthy" })
            .set(healthy as i64);
        self.endpoints
            .get_or_create(&StateLabel { state: "unhealthy" })
            .set(unhealthy as i64);
    }

    /// Counts a finished API request.
    pub fn request(&self, handler: &str, code: u16, seconds: f64) {
        self.requests
            .get_or_create(&HandlerLabel {
                handler: handler.to_string(),
                code,
            })
            .inc();
        self.request_duration.observe(seconds);
    }

    /// Counts a failed Series call.
    pub fn endpoint_failure(&self, endpoint: &str) {
        self.endpoint_failures
            .get_or_create(&EndpointLabel {
                endpoint: endpoint.to_string(),
            })
            .inc();
    }
}
