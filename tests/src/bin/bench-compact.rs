//! Peer benchmark of compaction: the same three adjacent 2h blocks (promtool backfill)
//! compacted into one 6h block by Prometheus 2.42's own compactor (its `compact blocks` log
//! line gives the duration) and by mnemos' compactor merge (`mnemos_compact::merge::
//! compact_blocks`, the step `mnemos compact` runs after its download); both write and
//! fsync the new block. Checks that `promtool tsdb dump` of both results is identical.
//! Then memory: the peak RSS of the Prometheus process after that compaction, and of a
//! whole `mnemos compact` pass (download, merge, upload of every full 6h range, one after
//! the other) over the same blocks in a filesystem bucket with ranges 2h,6h.
//! Usage: `bench-compact [SERIES] [RUNS]` (defaults 3000 3).

use std::path::Path;
use std::time::{Duration, Instant};

use mnemos_compact::merge::compact_blocks;
use mnemos_compact::source::Source;
use mnemos_e2e::bench::{backfill_blocks, median, numeric_args};
use mnemos_e2e::process::{
    free_port, log_digest, problem_lines, proc_status_kib, run_ok, wait_for, ChildGuard,
};
use mnemos_e2e::prometheus::Prometheus;
use mnemos_e2e::promtool;
use mnemos_e2e::{http, mnemos_bin};
use mnemos_tsdb::BlockMeta;

const HOUR: i64 = 3_600_000;

/// Go's duration text (`1.5s`, `850.2ms`, `2m3.1s`) in seconds.
fn go_duration(s: &str) -> Option<f64> {
    let (mut total, mut rest) = (0.0, s);
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        total += value
            * match &rest[..u] {
                "h" => 3600.0,
                "m" => 60.0,
                "s" => 1.0,
                "ms" => 1e-3,
                "µs" | "us" => 1e-6,
                "ns" => 1e-9,
                _ => return None,
            };
        rest = &rest[u..];
    }
    Some(total)
}

fn open(dir: &Path) -> Source {
    Source::open_dir(dir).expect("open block")
}

fn main() {
    let [series, runs] = numeric_args([3000, 3]).map(|v| v as usize);
    let now = mnemos_tsdb::time::now_ms();
    // 8 hours starting on a 6h boundary: four 2h blocks, the first three fill one 6h range.
    let start = (now - 2 * 24 * HOUR) / (6 * HOUR) * (6 * HOUR);
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let blocks = backfill_blocks(work, series, 1920, start);
    let dirs = promtool::blocks_in(&blocks);
    assert!(dirs.len() >= 4, "{} blocks", dirs.len());
    let sources: Vec<_> = dirs
        .iter()
        .filter(|d| {
            let m = BlockMeta::read_from_dir(d).expect("meta");
            m.max_time <= start + 6 * HOUR
        })
        .cloned()
        .collect();
    assert_eq!(sources.len(), 3, "three 2h blocks in the first 6h");
    let samples: u64 = sources
        .iter()
        .map(|d| BlockMeta::read_from_dir(d).expect("meta").stats.num_samples)
        .sum();

    // Prometheus: the blocks in its data dir, ranges 2h and 6h; it compacts the first 6h on
    // its first compaction cycle (about a minute after start) and logs the duration.
    let data = work.join("prometheus-data");
    for d in &dirs {
        promtool::copy_dir(d, &data.join(d.file_name().expect("name")));
    }
    let config = "global: {scrape_interval: 1h}\nscrape_configs: []\n";
    let prom = Prometheus::start_with(work, "prometheus", config, "2h", "6h", free_port());
    let log = work.join("prometheus.log");
    let line = wait_for(Duration::from_secs(180), Duration::from_millis(500), || {
        std::fs::read_to_string(&log)
            .ok()?
            .lines()
            .find(|l| l.contains("msg=\"compact blocks\""))
            .map(str::to_string)
    })
    .expect("Prometheus compacted within 3 minutes");
    let prom_secs = line
        .split_whitespace()
        .find_map(|f| f.strip_prefix("duration="))
        .and_then(go_duration)
        .expect("duration in the compact log line");
    let prom_peak_mib = proc_status_kib(prom.pid(), "VmHWM:") / 1024;
    let prom_block = line
        .split_whitespace()
        .find_map(|f| f.strip_prefix("ulid="))
        .expect("ulid in the compact log line")
        .to_string();

    // mnemos: the same three blocks.
    let out = work.join("mnemos-out");
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        if let Some(id) = last.take() {
            std::fs::remove_dir_all(out.join::<String>(id)).expect("clean");
        }
        let opened: Vec<Source> = sources.iter().map(|d| open(d)).collect();
        let meta = BlockMeta::new(String::new(), start, start + 6 * HOUR);
        let begin = Instant::now();
        let (meta, stats) = compact_blocks(opened, &out, meta, None).expect("compact");
        times.push(begin.elapsed());
        assert_eq!(stats.samples_out, samples);
        last = Some(meta.ulid);
    }
    let mnemos_secs = median(times).as_secs_f64();
    let ours = out.join(last.expect("a run"));
    let theirs = data.join(&prom_block);
    let want = promtool::dump(promtool::single_block_dir(&theirs).path(), &[]);
    let got = promtool::dump(promtool::single_block_dir(&ours).path(), &[]);
    assert!(want == got, "promtool dumps of the two 6h blocks differ");
    drop(prom);
    // Every backfilled block, as Prometheus has them: one pass compacts each full 6h range.
    let (pass_secs, mnemos_peak_mib) = compactor_pass(work, &dirs);
    println!("3 × 2h blocks → 6h: {series} series, {samples} samples; promtool dumps identical");
    println!(
        "prometheus 2.42 compactor: {:.3} s ({:.1} M samples/s)",
        prom_secs,
        samples as f64 / prom_secs / 1e6
    );
    println!(
        "mnemos compact_blocks (median of {runs}): {:.3} s ({:.1} M samples/s)",
        mnemos_secs,
        samples as f64 / mnemos_secs / 1e6
    );
    println!("ratio prometheus/mnemos: {:.2}", prom_secs / mnemos_secs);
    println!(
        "peak RSS: prometheus 2.42 process {prom_peak_mib} MiB (startup, open blocks, compaction)"
    );
    println!(
        "peak RSS: mnemos compact process {mnemos_peak_mib} MiB (a whole pass over all {} blocks: download, merge, upload of each full 6h range; {pass_secs:.3} s)",
        dirs.len()
    );
}

/// One `mnemos compact` pass over `blocks` uploaded to a filesystem bucket (ranges 2h,6h,
/// no downsampling); returns the pass' duration from its log and the process' peak RSS in
/// MiB, read before it is stopped.
fn compactor_pass(work: &Path, blocks: &[std::path::PathBuf]) -> (f64, u64) {
    let config = work.join("bucket.yml");
    let yaml = format!(
        "type: FILESYSTEM\nconfig:\n  directory: {}\n",
        work.join("bucket").display()
    );
    std::fs::write(&config, yaml).expect("write bucket config");
    let objstore = format!("--objstore.config-file={}", config.display());
    run_ok(
        std::process::Command::new(mnemos_bin())
            .args(["tools", "bucket", "upload", &objstore, "--label=replica=a"])
            .args(blocks),
    );
    let port = free_port();
    let log = work.join("mnemos-compact.log");
    let mut cmd = std::process::Command::new(mnemos_bin());
    cmd.args([
        "compact",
        &objstore,
        "--wait",
        "--wait-interval=1h",
        "--consistency-delay=0s",
        "--compact.ranges=2h,6h",
        "--downsampling.disable",
    ])
    .arg(format!(
        "--data-dir={}",
        work.join("compact-data").display()
    ))
    .arg(format!("--http-address=127.0.0.1:{port}"));
    let mut child = ChildGuard::spawn("mnemos-compact", &mut cmd, &log);
    let elapsed = wait_for(Duration::from_secs(300), Duration::from_millis(50), || {
        child.assert_running();
        let text = std::fs::read_to_string(&log).ok()?;
        let line = text.lines().find(|l| l.contains("compactor pass done"))?;
        line.split_whitespace()
            .find_map(|f| f.strip_prefix("elapsed_s="))
            .and_then(|v| v.parse::<f64>().ok())
    })
    .expect("mnemos compact finished a pass within 5 minutes");
    let metrics = http::get(port, "/metrics").expect("metrics").body;
    let compactions: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("mnemos_compact_compactions_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(
        compactions >= 1.0 && !log_has_errors(&log),
        "the pass compacted ({compactions}) without errors: {}",
        log_digest(&std::fs::read_to_string(&log).unwrap_or_default())
    );
    let peak = proc_status_kib(child.pid(), "VmHWM:") / 1024;
    child.stop(Duration::from_secs(10));
    (elapsed, peak)
}

fn log_has_errors(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|t| !problem_lines(&t).is_empty())
}
