//! `mnemos sidecar`: flags and wiring of the sidecar (crate `mnemos-sidecar`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use mnemos_server::{bind, register_build_info, router, Readiness, Shutdown};
use mnemos_sidecar::{HttpClientConfig, PrometheusClient, Shipper, Sidecar};
use mnemos_tsdb::time::TimeBound;
use prometheus_client::registry::Registry;
use tracing::{error, info};

use super::{parse_duration, runtime, ObjstoreArgs, ServerArgs, StoreApiGateArgs};
use super::{serve_grpc, store_and_prometheus_api_routes};

/// `mnemos sidecar` flags.
#[derive(Debug, Args)]
pub struct SidecarArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// URL of the Prometheus this sidecar runs next to.
    #[arg(
        long = "prometheus.url",
        env = "MNEMOS_PROMETHEUS_URL",
        default_value = "http://localhost:9090"
    )]
    prometheus_url: String,
    /// How the sidecar reaches Prometheus, a file in Thanos' format (`basic_auth`,
    /// `bearer_token(_file)`, `tls_config`): what prometheus-operator passes.
    #[arg(
        long = "prometheus.http-client-file",
        env = "MNEMOS_PROMETHEUS_HTTP_CLIENT_FILE"
    )]
    http_client_file: Option<PathBuf>,
    /// The same configuration inline (alternative to --prometheus.http-client-file).
    #[arg(
        long = "prometheus.http-client",
        env = "MNEMOS_PROMETHEUS_HTTP_CLIENT",
        conflicts_with = "http_client_file"
    )]
    http_client: Option<String>,
    /// Prometheus' data directory.
    #[arg(long = "tsdb.path", env = "MNEMOS_TSDB_PATH", default_value = "./data")]
    tsdb_path: PathBuf,
    /// Longest to wait for Prometheus to answer at startup; then the sidecar exits with an
    /// error.
    #[arg(
        long = "prometheus.ready_timeout",
        env = "MNEMOS_PROMETHEUS_READY_TIMEOUT",
        default_value = "10m",
        value_parser = parse_duration
    )]
    ready_timeout: Duration,
    /// Deadline of each call reading Prometheus' configuration (external labels), flags and
    /// TSDB status.
    #[arg(
        long = "prometheus.get_config_timeout",
        env = "MNEMOS_PROMETHEUS_GET_CONFIG_TIMEOUT",
        default_value = "30s",
        value_parser = parse_duration
    )]
    get_config_timeout: Duration,
    /// How often to re-read external labels and the oldest timestamp from Prometheus.
    #[arg(
        long = "prometheus.get_config_interval",
        env = "MNEMOS_PROMETHEUS_GET_CONFIG_INTERVAL",
        default_value = "30s",
        value_parser = parse_duration
    )]
    get_config_interval: Duration,
    /// Serve only data from this time on: RFC 3339 or relative to now (`-2w`), as Thanos'
    /// sidecar `--min-time` (older data is left to the store gateway).
    #[arg(long = "min-time", env = "MNEMOS_MIN_TIME", default_value = "0000-01-01T00:00:00Z", value_parser = TimeBound::parse)]
    min_time: TimeBound,
    /// How often to look for new blocks to upload.
    #[arg(
        long = "shipper.sync-interval",
        env = "MNEMOS_SHIPPER_SYNC_INTERVAL",
        default_value = "30s",
        value_parser = parse_duration
    )]
    ship_interval: Duration,
    #[command(flatten)]
    gate: StoreApiGateArgs,
    /// Deadline of each call a StoreAPI request makes to Prometheus: a label call must be
    /// answered within it; a remote read must start answering within it and never pause
    /// longer than it (a read that keeps flowing is not cut). Not in Thanos, whose sidecar
    /// relies on the querier's deadline.
    #[arg(
        long = "prometheus.read_timeout",
        env = "MNEMOS_PROMETHEUS_READ_TIMEOUT",
        default_value = "2m",
        value_parser = parse_duration
    )]
    read_timeout: Duration,
}

impl SidecarArgs {
    /// Runs the sidecar until SIGINT/SIGTERM.
    pub fn run(self) -> anyhow::Result<()> {
        runtime()?.block_on(self.serve())
    }

    async fn serve(self) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let mut registry = Registry::default();
        register_build_info(&mut registry, "sidecar");
        let prometheus_up = mnemos_sidecar::register_prometheus_up(&mut registry);
        let shipper = match self.objstore.open(&mut registry)? {
            Some(bucket) => Some(Shipper::new(
                self.tsdb_path.clone(),
                bucket,
                Default::default(),
                &mut registry,
            )),
            None => {
                info!("no object storage configured: blocks are not uploaded");
                None
            }
        };
        let readiness = Readiness::default();
        let grpc_tls = self.server.grpc_tls.load()?;
        let grpc = bind(&self.server.grpc_address).await?;
        let app = router(Arc::new(registry), readiness.clone());
        let http_task = self.server.http.serve(app, shutdown.clone()).await?;

        let http_client = match (&self.http_client_file, &self.http_client) {
            (Some(path), _) => std::fs::read_to_string(path).with_context(|| {
                format!("reading --prometheus.http-client-file {}", path.display())
            })?,
            (None, Some(inline)) => inline.clone(),
            (None, None) => String::new(),
        };
        let prometheus = PrometheusClient::new(&self.prometheus_url)?
            .with_http_config(HttpClientConfig::parse(&http_client)?)?
            .with_read_timeout(self.read_timeout)
            .with_config_timeout(self.get_config_timeout);
        let sidecar = tokio::select! {
            connected = Sidecar::connect_reporting(prometheus, self.tsdb_path.clone(), self.ready_timeout, prometheus_up) => connected?,
            _ = shutdown.clone().wait() => return Ok(()),
        };
        let store = sidecar
            .store(self.gate.max_concurrency)
            .with_min_time(self.min_time);
        readiness.set_ready();
        let limits = self.server.grpc_limits.limits();
        let routes = store_and_prometheus_api_routes(&limits, store);
        let grpc_server = serve_grpc(&limits, grpc_tls, routes, grpc, shutdown.clone());

        let shipping = async {
            if let Some(shipper) = shipper {
                sidecar
                    .run_shipper(shipper, self.ship_interval, shutdown.clone().wait())
                    .await;
            }
        };
        let refreshing = sidecar.run_refresher(self.get_config_interval, shutdown.clone().wait());
        let (grpc_result, (), ()) = tokio::join!(grpc_server, shipping, refreshing);
        readiness.set_not_ready();
        if let Err(e) = &grpc_result {
            error!(error = %e, "gRPC server failed");
        }
        grpc_result.context("gRPC server")?;
        http_task.await.context("HTTP server task")??;
        info!("sidecar stopped");
        Ok(())
    }
}
