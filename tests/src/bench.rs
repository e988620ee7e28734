//! What the peer benchmarks (`src/bin/bench-*.rs`) share: their numeric arguments, medians,
//! backfilled Prometheus blocks, generated `bench_metric` blocks in a filesystem bucket, and
//! Prometheus 2.42 over a copy of blocks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mnemos_objstore::Bucket;
use mnemos_tsdb::{BlockMeta, Labels};

use crate::http;
use crate::openmetrics::{self, Spec};
use crate::process::{free_port, wait_for, ChildGuard};
use crate::promtool;

/// The numeric command-line arguments, each defaulting to `defaults[i]` when absent.
pub fn numeric_args<const N: usize>(defaults: [u64; N]) -> [u64; N] {
    let given: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let mut out = defaults;
    for (slot, v) in out.iter_mut().zip(given) {
        *slot = v;
    }
    out
}

/// The median of some timings.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Backfills `series` generated series (gauges, counters, special values; 2 extra labels)
/// of `samples` samples each from `start_ms` into Prometheus blocks with promtool; returns
/// the directory holding them.
pub fn backfill_blocks(work: &Path, series: usize, samples: usize, start_ms: i64) -> PathBuf {
    let om = work.join("data.om");
    openmetrics::write(
        &Spec {
            seed: 1,
            series,
            samples_per_series: samples,
            label_names: 2,
            start_ms,
            max_step_ms: 30_000,
        },
        &om,
    );
    let blocks = work.join("blocks");
    promtool::create_blocks(&om, &blocks);
    blocks
}

/// Prometheus 2.42 on a copy of the block directories in `blocks` (an empty WAL, no scrapes,
/// 10 years of retention), ready; returns it, its port and how long it took to be ready.
pub fn prometheus_on_blocks(work: &Path, blocks: &Path) -> (ChildGuard, u16, Duration) {
    let data = work.join("prometheus-data");
    let status = Command::new("cp")
        .arg("-r")
        .arg(blocks)
        .arg(&data)
        .status()
        .expect("cp");
    assert!(status.success(), "copy the blocks for Prometheus");
    std::fs::create_dir_all(data.join("wal")).expect("wal");
    let port = free_port();
    let cfg = work.join("prometheus.yml");
    std::fs::write(&cfg, "global: {scrape_interval: 1h}\n").expect("cfg");
    let begin = Instant::now();
    let mut prom = ChildGuard::spawn(
        "prometheus",
        Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--storage.tsdb.retention.time=10y"),
        &work.join("prometheus.log"),
    );
    let ready = wait_for(Duration::from_secs(600), Duration::from_millis(100), || {
        prom.assert_running();
        http::get(port, "/-/ready").ok().filter(|r| r.status == 200)
    });
    assert!(ready.is_some(), "Prometheus did not get ready");
    (prom, port, begin.elapsed())
}

/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// Values of the `shard` label of `bench_metric` series.
pub const SHARDS: usize = 36;

/// The labels of `bench_metric` series number `s`, called `name`: `job` (10 values),
/// `series` (`name`) and `shard` ([`SHARDS`] values).
pub fn bench_labels(s: usize, name: String) -> Labels {
    Labels::from_pairs([
        ("__name__", "bench_metric".to_string()),
        ("job", format!("job{}", s % 10)),
        ("series", name),
        ("shard", (s % SHARDS).to_string()),
    ])
}

/// A filesystem bucket in `<work>/bucket` with its objstore YAML in `<work>/bucket.yml`, to
/// which generated blocks are written (through `<work>/staging`) and uploaded.
pub struct BenchBucket {
    /// The objstore configuration file (`--objstore.config-file`).
    pub config: PathBuf,
    /// The bucket's directory (block directories at its root).
    pub dir: PathBuf,
    staging: PathBuf,
    bucket: Bucket,
    runtime: tokio::runtime::Runtime,
}

impl BenchBucket {
    /// Creates the bucket, its configuration file and the staging directory.
    pub fn create(work: &Path) -> Self {
        let dir = work.join("bucket");
        let staging = work.join("staging");
        std::fs::create_dir_all(&staging).expect("staging");
        let yaml = format!(
            "type: FILESYSTEM\nconfig:\n  directory: {}\n",
            dir.display()
        );
        let config = work.join("bucket.yml");
        std::fs::write(&config, &yaml).expect("objstore config");
        let bucket = crate::open_bucket(&yaml);
        let runtime = crate::runtime();
        Self {
            config,
            dir,
            staging,
            bucket,
            runtime,
        }
    }

    /// Writes a 2 h block from `mint` holding `labels` (sorted here), the `i`-th series (in
    /// label order) with `samples(i)`, and uploads it with the external label
    /// `cluster="bench"`. The written block stays in [`BenchBucket::staging`].
    pub fn add_block(
        &self,
        labels: Vec<Labels>,
        mint: i64,
        samples: impl Fn(usize) -> Vec<(i64, f64)>,
    ) {
        crate::write_and_upload_block(
            &self.runtime,
            &self.bucket,
            &self.staging,
            labels,
            samples,
            BlockMeta::new(String::new(), mint, mint + 2 * HOUR_MS),
            (&[("cluster", "bench")], "bench"),
        );
    }

    /// The local directory holding the written blocks (for Prometheus).
    pub fn staging(&self) -> &Path {
        &self.staging
    }
}
