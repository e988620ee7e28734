//! `mnemos query`: flags and wiring of the querier (crate `mnemos-query`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgAction, Args};
use mnemos_promql::{Engine, EngineOptions};
use mnemos_query::api::{ApiOptions, BuildInfo, QueryApi};
use mnemos_query::endpoints::{EndpointSet, EndpointSetOptions, EndpointSpec};
use mnemos_query::fanout::Fanout;
use mnemos_query::metrics::QueryMetrics;
use mnemos_server::{bind, register_build_info, router, serve_http, Readiness, Shutdown};
use prometheus_client::registry::Registry;
use tracing::info;

use super::{parse_duration, runtime};

/// `mnemos query` flags (Thanos' names where Thanos has the flag).
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// HTTP listen address: the Prometheus API, /metrics, health.
    #[arg(
        long = "http-address",
        env = "MNEMOS_HTTP_ADDRESS",
        default_value = "0.0.0.0:10902"
    )]
    http_address: String,
    /// Limits of the HTTP listener.
    #[command(flatten)]
    http_limits: super::HttpLimitArgs,
    /// StoreAPI endpoints: host:port, dns+host:port (A/AAAA), dnssrv+_grpc._tcp.name (SRV).
    /// Repeatable.
    #[arg(long = "endpoint", env = "MNEMOS_ENDPOINT", value_delimiter = ',')]
    endpoints: Vec<String>,
    /// Prometheus file_sd files (JSON or YAML) listing endpoints; reread when they change.
    #[arg(
        long = "store.sd-files",
        env = "MNEMOS_STORE_SD_FILES",
        value_delimiter = ','
    )]
    sd_files: Vec<PathBuf>,
    /// How often endpoints are re-resolved (DNS, files) and their Info API polled.
    #[arg(long = "endpoint.refresh-interval", env = "MNEMOS_ENDPOINT_REFRESH_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    refresh_interval: Duration,
    /// Longest an Info call may take before the endpoint is marked unhealthy.
    #[arg(long = "endpoint.info-timeout", env = "MNEMOS_ENDPOINT_INFO_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    info_timeout: Duration,
    /// Longest wait for each message of an endpoint's answer; then the endpoint counts as
    /// failed (a warning with partial responses on). 0s: no limit but the query timeout.
    #[arg(long = "store.response-timeout", env = "MNEMOS_STORE_RESPONSE_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    response_timeout: Duration,
    /// Labels that identify HA replicas; series equal without them are deduplicated.
    /// Repeatable.
    #[arg(
        long = "query.replica-label",
        env = "MNEMOS_QUERY_REPLICA_LABEL",
        value_delimiter = ','
    )]
    replica_labels: Vec<String>,
    /// Answer with a warning when an endpoint fails (the default of `partial_response`).
    #[arg(long = "query.partial-response", env = "MNEMOS_QUERY_PARTIAL_RESPONSE", default_value_t = true, action = ArgAction::Set)]
    pub(crate) partial_response: bool,
    /// Without `max_source_resolution`, read downsampled data up to step / 5.
    #[arg(
        long = "query.auto-downsampling",
        env = "MNEMOS_QUERY_AUTO_DOWNSAMPLING"
    )]
    auto_downsampling: bool,
    /// Longest a query may run.
    #[arg(long = "query.timeout", env = "MNEMOS_QUERY_TIMEOUT", default_value = "2m", value_parser = parse_duration)]
    timeout: Duration,
    /// API requests (queries, series, labels) served at once; more wait for a slot within
    /// their timeout.
    #[arg(
        long = "query.max-concurrent",
        env = "MNEMOS_QUERY_MAX_CONCURRENT",
        default_value = "20"
    )]
    max_concurrent: usize,
    /// Series one selection may gather from the stores (a PromQL selector, the `match[]`
    /// of one `/api/v1/series` request; 0: no limit); past it the request fails with 422
    /// (the `limit` parameter of the series API truncates the answer instead).
    #[arg(
        long = "store.limits.request-series",
        env = "MNEMOS_STORE_LIMITS_REQUEST_SERIES",
        default_value = "1000000"
    )]
    max_series: usize,
    /// Samples one query may hold in memory.
    #[arg(
        long = "query.max-samples",
        env = "MNEMOS_QUERY_MAX_SAMPLES",
        default_value = "50000000"
    )]
    max_samples: usize,
    /// How far back an instant selector looks for a sample.
    #[arg(long = "query.lookback-delta", env = "MNEMOS_QUERY_LOOKBACK_DELTA", default_value = "5m", value_parser = parse_duration)]
    lookback_delta: Duration,
    /// Step of subqueries that give none.
    #[arg(long = "query.default-evaluation-interval", env = "MNEMOS_QUERY_DEFAULT_EVALUATION_INTERVAL", default_value = "1m", value_parser = parse_duration)]
    default_evaluation_interval: Duration,
}

impl QueryArgs {
    /// Runs the querier until SIGINT/SIGTERM.
    pub fn run(self) -> anyhow::Result<()> {
        runtime()?.block_on(self.serve())
    }

    async fn serve(self) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let specs = self
            .endpoints
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| EndpointSpec::parse(e))
            .collect::<Result<Vec<_>, _>>()?;
        if specs.is_empty() && self.sd_files.is_empty() {
            tracing::warn!("no --endpoint and no --store.sd-files: every query will be empty");
        }
        let mut registry = Registry::default();
        register_build_info(&mut registry, "query");
        let metrics = QueryMetrics::new(&mut registry);
        let endpoints = Arc::new(EndpointSet::new(
            EndpointSetOptions {
                specs,
                sd_files: self.sd_files.clone(),
                info_timeout: self.info_timeout,
                connect_timeout: self.info_timeout,
            },
            metrics.clone(),
        )?);
        let response_timeout = (!self.response_timeout.is_zero()).then_some(self.response_timeout);
        let fanout = Arc::new(Fanout::new(endpoints.clone(), response_timeout, metrics));
        let engine = Arc::new(Engine::new(EngineOptions {
            lookback_delta: self.lookback_delta.as_millis() as i64,
            max_samples: self.max_samples,
            default_subquery_step: self.default_evaluation_interval.as_millis() as i64,
            timeout: Some(self.timeout),
            max_concurrent: self.max_concurrent,
        }));
        let api = Arc::new(QueryApi::new(
            engine,
            fanout,
            ApiOptions {
                replica_labels: self.replica_labels.clone(),
                partial_response: self.partial_response,
                auto_downsampling: self.auto_downsampling,
                timeout: self.timeout,
                max_concurrent: self.max_concurrent,
                max_series: self.max_series,
            },
            BuildInfo {
                version: env!("CARGO_PKG_VERSION").to_string(),
                revision: option_env!("MNEMOS_GIT_REVISION")
                    .unwrap_or("unknown")
                    .to_string(),
            },
        ));
        let readiness = Readiness::default();
        let http = bind(&self.http_address).await?;
        let app = router(Arc::new(registry), readiness.clone()).merge(api.router());
        let http_task = tokio::spawn(serve_http(
            http,
            app,
            self.http_limits.limits(),
            shutdown.clone().wait(),
        ));
        // Ready once every endpoint has been asked for its Info once.
        endpoints.refresh().await;
        readiness.set_ready();
        info!(
            endpoints = endpoints.all().len(),
            replica_labels = ?self.replica_labels,
            "querier ready"
        );
        let refresher = tokio::spawn(endpoints.run(self.refresh_interval, shutdown.clone().wait()));
        http_task.await??;
        refresher.abort();
        Ok(())
    }
}
