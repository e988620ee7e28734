//! `mnemos store`: flags and wiring of the store gateway (crate `mnemos-store`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{ArgAction, Args};
use mnemos_server::{bind, register_build_info, router, Readiness, Shutdown};
use mnemos_store::{BucketStore, StoreConfig};
use mnemos_tsdb::time::TimeBound;
use prometheus_client::registry::Registry;
use tracing::{info, warn};

use super::{parse_bytes, parse_duration, runtime, ObjstoreArgs, ServerArgs, StoreApiGateArgs};
use super::{serve_grpc, store_api_routes};

/// `mnemos store` flags.
#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Local directory for index headers and the meta cache.
    #[arg(long = "data-dir", env = "MNEMOS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// How often to sync block metas with the bucket.
    #[arg(long = "sync-block-duration", env = "MNEMOS_SYNC_BLOCK_DURATION", default_value = "15m", value_parser = parse_duration)]
    sync_interval: Duration,
    /// Bytes of postings and series ranges cached in memory.
    #[arg(long = "index-cache-size", env = "MNEMOS_INDEX_CACHE_SIZE", default_value = "250MB", value_parser = parse_bytes)]
    index_cache: usize,
    /// Bytes of chunk ranges cached in memory.
    #[arg(long = "chunk-cache-size", env = "MNEMOS_CHUNK_CACHE_SIZE", default_value = "250MB", value_parser = parse_bytes)]
    chunk_cache: usize,
    /// Series one request may touch (0: unlimited); checked before series are fetched.
    #[arg(
        long = "store.limits.request-series",
        env = "MNEMOS_STORE_LIMITS_REQUEST_SERIES",
        default_value = "0"
    )]
    max_series: u64,
    /// Samples one request may touch, estimated as 120 per chunk (0: unlimited).
    #[arg(
        long = "store.limits.request-samples",
        env = "MNEMOS_STORE_LIMITS_REQUEST_SAMPLES",
        default_value = "0"
    )]
    max_samples: u64,
    #[command(flatten)]
    gate: StoreApiGateArgs,
    /// Series read from a block at a time by a Series call (at most 4096 chunks per batch);
    /// memory per call is a few batches per block read.
    #[arg(
        long = "debug.series-batch-size",
        env = "MNEMOS_DEBUG_SERIES_BATCH_SIZE",
        default_value = "256"
    )]
    series_batch_size: usize,
    /// Serve only data after this: RFC 3339 or relative to now (`-2w`).
    #[arg(long = "min-time", env = "MNEMOS_MIN_TIME", default_value = "0000-01-01T00:00:00Z", value_parser = TimeBound::parse)]
    min_time: TimeBound,
    /// Serve only data before this: RFC 3339 or relative to now (`-2h`).
    #[arg(long = "max-time", env = "MNEMOS_MAX_TIME", default_value = "9999-12-31T23:59:59Z", value_parser = TimeBound::parse)]
    max_time: TimeBound,
    /// Which blocks this gateway serves.
    #[command(flatten)]
    selector: super::SelectorArgs,
    /// Blocks marked for deletion longer ago than this are no longer served.
    #[arg(long = "ignore-deletion-marks-delay", env = "MNEMOS_IGNORE_DELETION_MARKS_DELAY", default_value = "24h", value_parser = parse_duration)]
    ignore_deletion_marks_delay: Duration,
    /// Serve blocks with a Parquet converter mark (`mnemos compact --parquet.convert.enabled`,
    /// `mnemos tools bucket parquet convert`, Cortex' converter) from their Parquet files,
    /// skipping their TSDB files; `false` reads every block as TSDB.
    #[arg(long = "parquet.serve", env = "MNEMOS_PARQUET_SERVE", default_value_t = true, action = ArgAction::Set)]
    serve_parquet: bool,
}

impl StoreArgs {
    /// Runs the store gateway until SIGINT/SIGTERM.
    pub fn run(self) -> anyhow::Result<()> {
        runtime()?.block_on(self.serve())
    }

    async fn serve(self) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let relabel = self.selector.load()?;
        let mut registry = Registry::default();
        register_build_info(&mut registry, "store");
        let bucket = self.objstore.open_required(&mut registry)?;
        let config = StoreConfig {
            data_dir: self.data_dir.clone(),
            index_cache_bytes: self.index_cache,
            chunk_cache_bytes: self.chunk_cache,
            max_series: self.max_series,
            max_samples: self.max_samples,
            max_concurrency: self.gate.max_concurrency,
            series_batch_size: self.series_batch_size,
            min_time: self.min_time,
            max_time: self.max_time,
            relabel,
            ignore_deletion_marks_delay: self.ignore_deletion_marks_delay,
            serve_parquet: self.serve_parquet,
        };
        let store = BucketStore::new(bucket, config, &mut registry)?;
        let readiness = Readiness::default();
        let grpc_tls = self.server.grpc_tls.load()?;
        let grpc = bind(&self.server.grpc_address).await?;
        let app = router(Arc::new(registry), readiness.clone());
        let http_task = self.server.http.serve(app, shutdown.clone()).await?;

        // Ready after the first sync of metas; indexes load in the background (and on use).
        let mut delay = Duration::from_millis(500);
        loop {
            tokio::select! {
                synced = store.sync() => match synced {
                    Ok(report) => {
                        info!(blocks = report.blocks, "initial sync done");
                        break;
                    }
                    Err(e) => warn!(error = %e, retry_in = ?delay, "initial sync failed"),
                },
                _ = shutdown.clone().wait() => return Ok(()),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
        readiness.set_ready();
        let background = {
            let store = store.clone();
            let shutdown = shutdown.clone();
            let interval = self.sync_interval;
            async move {
                store.load_pending().await;
                loop {
                    tokio::select! {
                        _ = shutdown.clone().wait() => return,
                        _ = tokio::time::sleep(interval) => {}
                    }
                    if let Err(e) = store.sync().await {
                        warn!(error = %e, "block sync failed; serving the previous block set");
                    }
                    store.load_pending().await;
                }
            }
        };
        let limits = self.server.grpc_limits.limits();
        let routes = store_api_routes(&limits, store.clone());
        let grpc_server = serve_grpc(&limits, grpc_tls, routes, grpc, shutdown.clone());
        let (grpc_result, ()) = tokio::join!(grpc_server, background);
        readiness.set_not_ready();
        grpc_result.context("gRPC server")?;
        http_task.await.context("HTTP server task")??;
        info!("store gateway stopped");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("250MB"), Ok(250 << 20));
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert!(parse_bytes("MB").is_err());
    }
}
