//! The mnemos sidecar, next to one Prometheus:
//!
//! - [`Sidecar::connect`] waits for Prometheus, reads its external labels (refusing to run
//!   without any) and checks its block-duration flags;
//! - [`Sidecar::run_shipper`] ships new level-1 blocks to the bucket ([`shipper`]);
//! - [`Sidecar::run_refresher`] keeps external labels and the oldest timestamp current;
//! - [`Sidecar::store`] is the StoreAPI and Info API service ([`store`]), also serving
//!   Prometheus' metric metadata ([`metadata`]), scrape targets ([`targets`]), rules and
//!   alerts ([`rules`]), exemplars ([`exemplars`]) and TSDB statistics ([`status`]).

#![deny(missing_docs)]

mod api_json;
mod error;
pub mod exemplars;
pub mod http_client;
pub mod metadata;
pub mod prometheus;
pub mod rules;
pub mod shipper;
pub mod status;
pub mod store;
pub mod targets;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mnemos_tsdb::block_set::block_dirs;
use mnemos_tsdb::meta::BlockMeta;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tracing::{info, warn};

pub use error::{Error, Result};
pub use http_client::HttpClientConfig;
pub use prometheus::PrometheusClient;
pub use shipper::{ShipReport, Shipper};
pub use store::{SidecarState, SidecarStore};

/// A sidecar connected to its Prometheus.
pub struct Sidecar {
    prometheus: PrometheusClient,
    tsdb_path: PathBuf,
    state: Arc<SidecarState>,
    prometheus_up: Gauge,
}

/// `mnemos_sidecar_prometheus_up`: 1 while Prometheus answers the sidecar's configuration
/// reads, 0 while it does not (also before the first answer). Registered in `registry`.
pub fn register_prometheus_up(registry: &mut Registry) -> Gauge {
    let up = Gauge::default();
    registry.register(
        "mnemos_sidecar_prometheus_up",
        "Whether Prometheus answered the sidecar's last configuration read (1) or not (0)",
        up.clone(),
    );
    up
}

impl Sidecar {
    /// Waits until Prometheus answers (retrying with backoff, logging each failure) for at
    /// most `ready_timeout`, then loads external labels and checks TSDB flags. Fails when
    /// Prometheus has not answered in time, or has no external labels: without them the
    /// shipped blocks could not be told apart.
    pub async fn connect(
        prometheus: PrometheusClient,
        tsdb_path: PathBuf,
        ready_timeout: Duration,
    ) -> Result<Self> {
        Self::connect_reporting(prometheus, tsdb_path, ready_timeout, Gauge::default()).await
    }

    /// [`Sidecar::connect`], keeping `prometheus_up` (see [`register_prometheus_up`]) at
    /// whether Prometheus answers, now and in [`Sidecar::run_refresher`].
    pub async fn connect_reporting(
        prometheus: PrometheusClient,
        tsdb_path: PathBuf,
        ready_timeout: Duration,
        prometheus_up: Gauge,
    ) -> Result<Self> {
        prometheus_up.set(0);
        let deadline = tokio::time::Instant::now() + ready_timeout;
        let mut delay = Duration::from_millis(500);
        let labels = loop {
            match prometheus.external_labels().await {
                Ok(labels) => {
                    prometheus_up.set(1);
                    break labels;
                }
                Err(e) if tokio::time::Instant::now() + delay >= deadline => {
                    return Err(Error::Config(format!(
                        "Prometheus at {} did not answer within {ready_timeout:?} \
                         (--prometheus.ready_timeout): {e}",
                        prometheus.url()
                    )))
                }
                Err(e) => {
                    warn!(error = %e, retry_in = ?delay, "waiting for Prometheus");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        };
        if labels.is_empty() {
            return Err(Error::Config(format!(
                "Prometheus at {} has no external labels; set global.external_labels in its configuration \
                 (e.g. cluster and replica): they identify the blocks this sidecar ships",
                prometheus.url()
            )));
        }
        match prometheus.tsdb_flags().await {
            Ok(flags) if flags.min_block_duration != flags.max_block_duration => warn!(
                min = %flags.min_block_duration,
                max = %flags.max_block_duration,
                "Prometheus compacts its own blocks (min and max block duration differ); only level-1 blocks are shipped, \
                 so data in locally compacted blocks is not uploaded. Set --storage.tsdb.min-block-duration and \
                 --storage.tsdb.max-block-duration to the same value (2h)"
            ),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "could not read Prometheus' flags"),
        }
        info!(prometheus = prometheus.url(), external_labels = ?labels, "connected to Prometheus");
        let state = Arc::new(SidecarState::default());
        state.set_external_labels(labels);
        let sidecar = Self {
            prometheus,
            tsdb_path,
            state,
            prometheus_up,
        };
        sidecar.refresh_min_time().await;
        Ok(sidecar)
    }

    /// Shared state (external labels, oldest timestamp).
    pub fn state(&self) -> Arc<SidecarState> {
        self.state.clone()
    }

    /// The StoreAPI / Info API service, serving at most `max_concurrency` StoreAPI calls at
    /// once.
    pub fn store(&self, max_concurrency: usize) -> SidecarStore {
        SidecarStore::new(self.prometheus.clone(), self.state.clone(), max_concurrency)
    }

    /// Oldest timestamp Prometheus has: its oldest local block, else its head, else now.
    async fn refresh_min_time(&self) {
        let oldest_block = block_dirs(&self.tsdb_path)
            .unwrap_or_default()
            .iter()
            .filter_map(|dir| BlockMeta::read_from_dir(dir).ok())
            .map(|m| m.min_time)
            .min();
        let head = self.prometheus.head_min_time().await.unwrap_or_else(|e| {
            warn!(error = %e, "could not read Prometheus' TSDB status");
            None
        });
        let min = oldest_block
            .into_iter()
            .chain(head)
            .min()
            .unwrap_or_else(mnemos_tsdb::time::now_ms);
        self.state.set_min_time(min);
    }

    /// Refreshes external labels and the oldest timestamp every `interval` until `shutdown`.
    pub async fn run_refresher(&self, interval: Duration, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(interval) => {}
            }
            let answer = self.prometheus.external_labels().await;
            self.prometheus_up.set(i64::from(answer.is_ok()));
            match answer {
                Ok(labels) if labels.is_empty() => {
                    warn!("Prometheus lost its external labels; keeping the previous ones")
                }
                Ok(labels) => {
                    if labels != self.state.external_labels() {
                        info!(external_labels = ?labels, "external labels changed");
                    }
                    self.state.set_external_labels(labels);
                }
                Err(e) => warn!(error = %e, "could not refresh external labels"),
            }
            self.refresh_min_time().await;
        }
    }

    /// Ships blocks every `interval` (starting at once) until `shutdown`.
    pub async fn run_shipper(
        &self,
        mut shipper: Shipper,
        interval: Duration,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            shipper.set_labels(self.state.external_labels());
            if let Ok(report) = shipper.sync().await {
                if !report.uploaded.is_empty() {
                    info!(blocks = report.uploaded.len(), "shipped blocks");
                }
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// Prometheus' data directory.
    pub fn tsdb_path(&self) -> &std::path::Path {
        &self.tsdb_path
    }
}
