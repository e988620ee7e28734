//! `mnemos query`: flags and wiring of the querier (crate `mnemos-query`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgAction, Args};
use mnemos_promql::{Engine, EngineOptions};
use mnemos_query::api::{ApiOptions, BuildInfo, QueryApi};
use mnemos_query::endpoints::{
    ConfigSource, EndpointSet, EndpointSetOptions, EndpointSpec, Target,
};
use mnemos_query::fanout::Fanout;
use mnemos_query::metrics::QueryMetrics;
use mnemos_server::{register_build_info, router, Readiness, Shutdown};
use prometheus_client::registry::Registry;
use tracing::info;

use anyhow::Context;
use mnemos_query::proxy::{ProxyOptions, ProxyStore};
use mnemos_server::bind;

use super::{parse_duration, runtime, serve_grpc, store_and_prometheus_api_routes};

/// `mnemos query` flags (Thanos' names where Thanos has the flag).
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The gRPC listener (the querier's own StoreAPI and Info API, for queriers stacked on
    /// this one) and the HTTP listener.
    #[command(flatten)]
    server: super::ServerArgs,
    /// The UI's URL prefixes.
    #[command(flatten)]
    web_prefix: super::WebPrefixArgs,
    /// StoreAPI endpoints: host:port, dns+host:port (A/AAAA), dnssrv+_grpc._tcp.name (SRV).
    /// Repeatable.
    #[arg(long = "endpoint", env = "MNEMOS_ENDPOINT", value_delimiter = ',')]
    endpoints: Vec<String>,
    /// Static StoreAPI endpoints (host:port) that are always queried, as Thanos'
    /// `--endpoint-strict` (mnemos never drops a configured endpoint: an unavailable one is
    /// a warning, or an error without partial responses). Repeatable.
    #[arg(
        long = "endpoint-strict",
        env = "MNEMOS_ENDPOINT_STRICT",
        value_delimiter = ','
    )]
    strict_endpoints: Vec<String>,
    /// Endpoint groups, as Thanos' `--endpoint-group`: a name (`host:port`, `dns+host:port`,
    /// `dnssrv+name`) whose addresses are replicas of one endpoint (HA queriers); each call
    /// goes to one of them, round-robin over those that answer Info. Repeatable.
    #[arg(
        long = "endpoint-group",
        env = "MNEMOS_ENDPOINT_GROUP",
        value_delimiter = ','
    )]
    endpoint_groups: Vec<String>,
    /// Endpoint groups that are always queried, as Thanos' `--endpoint-group-strict`
    /// (mnemos never drops a configured endpoint, so they behave as `--endpoint-group`).
    /// Repeatable.
    #[arg(
        long = "endpoint-group-strict",
        env = "MNEMOS_ENDPOINT_GROUP_STRICT",
        value_delimiter = ','
    )]
    strict_endpoint_groups: Vec<String>,
    /// Endpoint configuration file (Thanos' format: `endpoints:` with `address`, `strict`
    /// and `grpc_client_config` with per-endpoint `tls_config` and `server_name`).
    #[arg(
        long = "endpoint.sd-config-file",
        env = "MNEMOS_ENDPOINT_SD_CONFIG_FILE"
    )]
    endpoint_config_file: Option<PathBuf>,
    /// The endpoint configuration inline (alternative to --endpoint.sd-config-file).
    #[arg(
        long = "endpoint.sd-config",
        env = "MNEMOS_ENDPOINT_SD_CONFIG",
        conflicts_with = "endpoint_config_file"
    )]
    endpoint_config: Option<String>,
    /// How often --endpoint.sd-config-file is reread.
    #[arg(long = "endpoint.sd-config-reload-interval", env = "MNEMOS_ENDPOINT_SD_CONFIG_RELOAD_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    endpoint_config_reload_interval: Duration,
    /// TLS of the connections to the endpoints.
    #[command(flatten)]
    grpc_client_tls: GrpcClientTlsArgs,
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
    /// How replicas are merged: `penalty` (follow one replica, fill its gaps from the
    /// others, lift counters at switches) or `chain` (every replica's samples by timestamp,
    /// one per timestamp).
    #[arg(long = "deduplication.func", env = "MNEMOS_DEDUPLICATION_FUNC", default_value = "penalty", value_parser = super::parse_query_dedup_func)]
    pub(crate) dedup_func: mnemos_dedup::DedupFunc,
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
    /// Features to turn on (Thanos' flag; repeatable or comma-separated):
    /// `promql-experimental-functions` accepts PromQL functions of Prometheus versions after
    /// 2.42 (`histogram_avg`, `histogram_stddev`, `histogram_stdvar`); `promql-at-modifier`
    /// and `promql-negative-offset` are always on (accepted, no-ops). Anything else is an
    /// error.
    #[arg(
        long = "enable-feature",
        env = "MNEMOS_ENABLE_FEATURE",
        value_delimiter = ','
    )]
    features: Vec<String>,
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

/// TLS of the querier's gRPC connections, with Thanos' flags.
#[derive(Debug, Args)]
pub struct GrpcClientTlsArgs {
    /// Dial endpoints over TLS (verified against --grpc-client-tls-ca, or the system's CAs).
    #[arg(long = "grpc-client-tls-secure", env = "MNEMOS_GRPC_CLIENT_TLS_SECURE")]
    secure: bool,
    /// Accept any server certificate (encrypted, but the endpoint is not verified).
    #[arg(
        long = "grpc-client-tls-skip-verify",
        env = "MNEMOS_GRPC_CLIENT_TLS_SKIP_VERIFY"
    )]
    skip_verify: bool,
    /// Client certificate (PEM) presented to endpoints that require one (mTLS).
    #[arg(
        long = "grpc-client-tls-cert",
        env = "MNEMOS_GRPC_CLIENT_TLS_CERT",
        default_value = ""
    )]
    client_cert: String,
    /// Private key (PEM) of --grpc-client-tls-cert.
    #[arg(
        long = "grpc-client-tls-key",
        env = "MNEMOS_GRPC_CLIENT_TLS_KEY",
        default_value = ""
    )]
    client_key: String,
    /// CA (PEM) endpoint certificates are verified against.
    #[arg(
        long = "grpc-client-tls-ca",
        env = "MNEMOS_GRPC_CLIENT_TLS_CA",
        default_value = ""
    )]
    server_ca: String,
    /// Name endpoint certificates are verified as (and sent as SNI); the dialled host when
    /// empty.
    #[arg(
        long = "grpc-client-server-name",
        env = "MNEMOS_GRPC_CLIENT_SERVER_NAME",
        default_value = ""
    )]
    server_name: String,
}

impl GrpcClientTlsArgs {
    /// The TLS these flags configure; `None` without --grpc-client-tls-secure. TLS settings
    /// given without it are an error (Thanos would silently dial in plain text).
    fn spec(&self) -> anyhow::Result<Option<mnemos_tls::ClientTlsSpec>> {
        if !self.secure {
            let given = [
                &self.client_cert,
                &self.client_key,
                &self.server_ca,
                &self.server_name,
            ]
            .iter()
            .any(|s| !s.trim().is_empty())
                || self.skip_verify;
            anyhow::ensure!(
                !given,
                "--grpc-client-tls-* settings are given without --grpc-client-tls-secure: add it \
                 (mnemos does not dial endpoints in plain text when TLS is configured)"
            );
            return Ok(None);
        }
        let trimmed = |s: &String| s.trim().to_string();
        Ok(Some(mnemos_tls::ClientTlsSpec::from_settings(
            trimmed(&self.server_ca),
            trimmed(&self.client_cert),
            trimmed(&self.client_key),
            trimmed(&self.server_name),
            self.skip_verify,
            b"h2",
        )))
    }
}

/// Whether `--enable-feature` turns on the PromQL functions of later Prometheus versions;
/// an unknown feature is an error.
fn experimental_functions(features: &[String]) -> anyhow::Result<bool> {
    let mut on = false;
    for f in features.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        match f {
            "promql-experimental-functions" => on = true,
            "promql-at-modifier" | "promql-negative-offset" => {
                tracing::warn!(feature = f, "--enable-feature: always on in mnemos; a no-op")
            }
            other => anyhow::bail!(
                "--enable-feature={other}: unknown feature (mnemos knows promql-experimental-functions, promql-at-modifier, promql-negative-offset)"
            ),
        }
    }
    Ok(on)
}

impl QueryArgs {
    /// Runs the querier until SIGINT/SIGTERM.
    pub fn run(self) -> anyhow::Result<()> {
        runtime()?.block_on(self.serve())
    }

    async fn serve(self) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let mut targets = Vec::new();
        for e in self.endpoints.iter().filter(|e| !e.trim().is_empty()) {
            targets.push(Target::global(EndpointSpec::parse(e)?));
        }
        for e in self
            .strict_endpoints
            .iter()
            .filter(|e| !e.trim().is_empty())
        {
            let spec = EndpointSpec::parse(e)?;
            anyhow::ensure!(
                matches!(spec, EndpointSpec::Static(_)),
                "--endpoint-strict {e}: a strict endpoint must be a static host:port"
            );
            targets.push(Target::global(spec));
        }
        for e in self
            .endpoint_groups
            .iter()
            .chain(&self.strict_endpoint_groups)
            .filter(|e| !e.trim().is_empty())
        {
            targets.push(Target::group(EndpointSpec::parse(e)?));
        }
        let config = match (&self.endpoint_config_file, &self.endpoint_config) {
            (Some(path), _) => Some(ConfigSource::file(
                path.clone(),
                self.endpoint_config_reload_interval,
            )?),
            (None, Some(yaml)) => Some(ConfigSource::inline(yaml)?),
            (None, None) => None,
        };
        if targets.is_empty() && self.sd_files.is_empty() && config.is_none() {
            tracing::warn!(
                "no --endpoint, --endpoint-group, --endpoint.sd-config or --store.sd-files: every query will be empty"
            );
        }
        let mut registry = Registry::default();
        register_build_info(&mut registry, "query");
        let metrics = QueryMetrics::new(&mut registry);
        let endpoints = Arc::new(EndpointSet::new(
            EndpointSetOptions {
                targets,
                sd_files: self.sd_files.clone(),
                config,
                tls: self.grpc_client_tls.spec()?,
                info_timeout: self.info_timeout,
                connect_timeout: self.info_timeout,
            },
            metrics.clone(),
        )?);
        let response_timeout = (!self.response_timeout.is_zero()).then_some(self.response_timeout);
        let fanout = Arc::new(Fanout::new(endpoints.clone(), response_timeout, metrics));
        let api_fanout = fanout.clone();
        let experimental_functions = experimental_functions(&self.features)?;
        let engine = Arc::new(Engine::new(EngineOptions {
            lookback_delta: self.lookback_delta.as_millis() as i64,
            max_samples: self.max_samples,
            default_subquery_step: self.default_evaluation_interval.as_millis() as i64,
            timeout: Some(self.timeout),
            max_concurrent: self.max_concurrent,
            histogram_stat_functions: experimental_functions,
        }));
        let api = Arc::new(QueryApi::new(
            engine,
            fanout,
            ApiOptions {
                replica_labels: self.replica_labels.clone(),
                dedup_func: self.dedup_func,
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
        let proxy = ProxyStore::new(
            api_fanout,
            api.gate(),
            {
                let readiness = readiness.clone();
                Arc::new(move || readiness.is_ready())
            },
            ProxyOptions {
                timeout: self.timeout,
                max_series: self.max_series,
            },
        );
        let grpc_tls = self.server.grpc_tls.load()?;
        let grpc = bind(&self.server.grpc_address).await?;
        let prefix = self.web_prefix.prefix()?;
        let app =
            router(Arc::new(registry), readiness.clone()).merge(mnemos_ui::with_route_prefix(
                &prefix,
                api.router().merge(mnemos_ui::query_pages(
                    prefix.clone(),
                    mnemos_ui::PageDefaults {
                        partial_response: self.partial_response,
                    },
                )),
            ));
        let http_task = self.server.http.serve(app, shutdown.clone()).await?;
        let limits = self.server.grpc_limits.limits();
        let grpc_shutdown = shutdown.clone();
        let grpc_task = tokio::spawn(async move {
            let routes = store_and_prometheus_api_routes(&limits, proxy);
            serve_grpc(&limits, grpc_tls, routes, grpc, grpc_shutdown).await
        });
        // Ready once every endpoint has been asked for its Info once.
        endpoints.refresh().await;
        readiness.set_ready();
        info!(
            endpoints = endpoints.all().len(),
            replica_labels = %self.replica_labels.join(","),
            dedup_func = %self.dedup_func,
            "querier ready"
        );
        let refresher = tokio::spawn(endpoints.run(self.refresh_interval, shutdown.clone().wait()));
        let http_result = http_task.await;
        readiness.set_not_ready();
        refresher.abort();
        http_result.context("HTTP server task")??;
        grpc_task
            .await
            .context("gRPC server task")?
            .context("gRPC server")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::experimental_functions;

    #[test]
    fn enable_feature_values() {
        let f = |v: &[&str]| {
            experimental_functions(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert!(!f(&[]).expect("none"));
        assert!(f(&["promql-experimental-functions"]).expect("known"));
        assert!(!f(&["promql-at-modifier", "promql-negative-offset", ""]).expect("no-ops"));
        let err = f(&["query-pushdown"]).unwrap_err().to_string();
        assert!(err.contains("unknown feature"), "{err}");
    }
}
