//! `mnemos compact`: flags and wiring of the compactor (crate `mnemos-compact`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use mnemos_compact::{Compactor, Config};
use mnemos_server::{register_build_info, router, Readiness, Shutdown};
use prometheus_client::registry::Registry;
use tracing::info;

use super::{parse_duration, runtime, ObjstoreArgs};

/// `mnemos compact` flags.
#[derive(Debug, Args)]
pub struct CompactArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// The HTTP listener.
    #[command(flatten)]
    http: super::HttpArgs,
    /// Local scratch directory (downloads, new blocks, meta cache, upload journal).
    #[arg(long = "data-dir", env = "MNEMOS_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Keep running, one pass every --wait-interval; without it, one pass then exit.
    #[arg(long = "wait", env = "MNEMOS_WAIT")]
    pub(crate) wait: bool,
    /// Time between passes with --wait.
    #[arg(long = "wait-interval", env = "MNEMOS_WAIT_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    wait_interval: Duration,
    /// Blocks younger than this (by ULID time) are left alone, unless a compactor wrote them.
    #[arg(long = "consistency-delay", env = "MNEMOS_CONSISTENCY_DELAY", default_value = "30m", value_parser = parse_duration)]
    consistency_delay: Duration,
    /// Compaction ranges, smallest first, each a multiple of the previous.
    #[arg(
        long = "compact.ranges",
        env = "MNEMOS_COMPACT_RANGES",
        default_value = "2h,8h,2d,14d",
        value_delimiter = ',',
        value_parser = parse_duration
    )]
    ranges: Vec<Duration>,
    /// External labels telling HA replicas apart; their blocks are merged offline (with
    /// --deduplication.func) into one block without these labels. Repeatable.
    #[arg(
        long = "deduplication.replica-label",
        env = "MNEMOS_DEDUPLICATION_REPLICA_LABEL",
        value_delimiter = ','
    )]
    replica_labels: Vec<String>,
    /// How replicas' samples are merged offline: `penalty` (follow one replica, fill its
    /// gaps from the others, lift counters at switches) or `chain` (every replica's samples
    /// by timestamp, one per timestamp; Thanos' default 1:1 merge).
    #[arg(long = "deduplication.func", env = "MNEMOS_DEDUPLICATION_FUNC", default_value = "penalty", value_parser = super::parse_compact_dedup_func)]
    pub(crate) dedup_func: mnemos_dedup::DedupFunc,
    /// Time between a block's deletion mark and its deletion.
    #[arg(long = "delete-delay", env = "MNEMOS_DELETE_DELAY", default_value = "48h", value_parser = parse_duration)]
    delete_delay: Duration,
    /// Retention of raw blocks (0d: forever).
    #[arg(long = "retention.resolution-raw", env = "MNEMOS_RETENTION_RESOLUTION_RAW", default_value = "0d", value_parser = parse_duration)]
    retention_raw: Duration,
    /// Retention of 5m-downsampled blocks (0d: forever).
    #[arg(long = "retention.resolution-5m", env = "MNEMOS_RETENTION_RESOLUTION_5M", default_value = "0d", value_parser = parse_duration)]
    retention_5m: Duration,
    /// Retention of 1h-downsampled blocks (0d: forever).
    #[arg(long = "retention.resolution-1h", env = "MNEMOS_RETENTION_RESOLUTION_1H", default_value = "0d", value_parser = parse_duration)]
    retention_1h: Duration,
    /// Groups compacted at once (each compaction keeps one core busy).
    #[arg(
        long = "compact.concurrency",
        env = "MNEMOS_COMPACT_CONCURRENCY",
        default_value = "1"
    )]
    compact_concurrency: usize,
    /// Blocks downsampled at once.
    #[arg(
        long = "downsample.concurrency",
        env = "MNEMOS_DOWNSAMPLE_CONCURRENCY",
        default_value = "1"
    )]
    downsample_concurrency: usize,
    /// Do not downsample.
    #[arg(long = "downsampling.disable", env = "MNEMOS_DOWNSAMPLING_DISABLE")]
    downsampling_disable: bool,
    /// Which blocks this compactor compacts (several compactors on one bucket, each with its
    /// own streams).
    #[command(flatten)]
    selector: super::SelectorArgs,
    /// Conversion to Parquet.
    #[command(flatten)]
    parquet: super::parquet::ParquetConvertArgs,
    /// The block viewer on the HTTP listener (`/blocks`).
    #[command(flatten)]
    viewer: super::block_viewer::BlockViewerArgs,
    /// Do not serve the block viewer.
    #[arg(long = "web.disable", env = "MNEMOS_WEB_DISABLE")]
    web_disable: bool,
    /// How often the block viewer reads the bucket's metas.
    #[arg(long = "block-viewer.global.sync-block-interval", env = "MNEMOS_BLOCK_VIEWER_GLOBAL_SYNC_BLOCK_INTERVAL", default_value = "1m", value_parser = parse_duration)]
    viewer_interval: Duration,
    /// Longest one block viewer refresh may take.
    #[arg(long = "block-viewer.global.sync-block-timeout", env = "MNEMOS_BLOCK_VIEWER_GLOBAL_SYNC_BLOCK_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    viewer_timeout: Duration,
}

impl CompactArgs {
    /// Runs the compactor: one pass, or passes until SIGINT/SIGTERM with --wait.
    pub fn run(self) -> anyhow::Result<()> {
        runtime()?.block_on(self.serve())
    }

    fn config(&self) -> anyhow::Result<Config> {
        Ok(Config {
            data_dir: self.data_dir.clone(),
            ranges: self.ranges.iter().map(|d| d.as_millis() as i64).collect(),
            consistency_delay: self.consistency_delay,
            replica_labels: self.replica_labels.clone(),
            dedup_func: self.dedup_func,
            delete_delay: self.delete_delay,
            retention_raw: self.retention_raw,
            retention_5m: self.retention_5m,
            retention_1h: self.retention_1h,
            downsampling: !self.downsampling_disable,
            compact_concurrency: self.compact_concurrency,
            downsample_concurrency: self.downsample_concurrency,
            selector: self.selector.load()?,
            parquet: self.parquet.config()?,
        })
    }

    async fn serve(self) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let mut registry = Registry::default();
        register_build_info(&mut registry, "compact");
        let bucket = self.objstore.open_required(&mut registry)?;
        let viewer = if self.web_disable {
            None
        } else {
            Some(super::block_viewer::spawn(
                &self.viewer,
                mnemos_ui::Component::Compact,
                bucket.clone(),
                (self.viewer_interval, self.viewer_timeout),
                &mut registry,
                shutdown.clone(),
            )?)
        };
        let compactor = Compactor::new(bucket, self.config()?, &mut registry)
            .context("setting up the compactor")?;
        let readiness = Readiness::default();
        let mut app = router(Arc::new(registry), readiness.clone());
        let viewer_task = viewer.map(|(routes, task)| {
            app = app.clone().merge(routes);
            task
        });
        let http_task = self.http.serve(app, shutdown.clone()).await?;
        readiness.set_ready();
        let result = loop {
            let pass = tokio::select! {
                r = compactor.run_pass() => r,
                _ = shutdown.clone().wait() => break Ok(()),
            };
            if !self.wait {
                // One pass: a failure (retried by the next run) makes the exit status 1.
                break pass.map_err(anyhow::Error::from).and_then(|report| {
                    info!("one pass done; exiting (no --wait)");
                    if report.failures > 0 {
                        anyhow::bail!(
                            "{} compactions or downsamplings failed (see the log); the next run retries them",
                            report.failures
                        );
                    }
                    Ok(())
                });
            }
            tokio::select! {
                _ = tokio::time::sleep(self.wait_interval) => {}
                _ = shutdown.clone().wait() => break Ok(()),
            }
        };
        readiness.set_not_ready();
        http_task.abort();
        if let Some(task) = viewer_task {
            task.abort();
        }
        info!("compactor stopped");
        result.context("compactor pass")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_durations() {
        for z in ["0", "0s", "0d", "00h"] {
            assert_eq!(parse_duration(z), Ok(Duration::ZERO), "{z}");
        }
        assert_eq!(parse_duration("48h"), Ok(Duration::from_secs(48 * 3600)));
        assert!(parse_duration("0x").is_err());
    }
}
