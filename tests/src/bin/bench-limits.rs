//! Peak resident memory of the querier and the store gateway under the limits of issue #12,
//! against Prometheus 2.42 on the same block in the same run. One 2h block of SERIES series
//! (default 1,000,000) of `bench_metric`, 24 samples each, in a filesystem bucket behind
//! `mnemos store`, and `mnemos query` over it:
//! 1. `count(bench_metric)` (every series) with `--store.limits.request-series=LIMIT`
//!    (default 100,000) on store and querier: refused, and what the refusal costs in memory;
//! 2. 50 queries at once, `count(bench_metric{shard="<i>"})` (1/36 of the series each), under
//!    the series limit and `--query.max-concurrent` (default 20);
//! 3. both again on a fresh store and querier without a series limit: answered.
//!
//! Prometheus answers both on a copy of the block. Every figure is the process' peak RSS
//! (`VmHWM`, reset before each step) and its RSS when idle before it.
//! Usage: `bench-limits [SERIES] [LIMIT]`.

use std::path::Path;
use std::time::{Duration, Instant};

use mnemos_e2e::bench::{
    bench_labels, numeric_args, prometheus_on_blocks, BenchBucket, HOUR_MS, SHARDS,
};
use mnemos_e2e::component::Component;
use mnemos_e2e::http;
use mnemos_e2e::process::{proc_status_kib, reset_peak_rss, wait_for};

const SAMPLES: i64 = 24;
const BURST: usize = 50;

/// Writes the block of `series` series from `mint` and uploads it.
fn write_block(bucket: &BenchBucket, series: usize, mint: i64) {
    let begin = Instant::now();
    let labels = (0..series)
        .map(|s| bench_labels(s, format!("s{s:07}")))
        .collect();
    bucket.add_block(labels, mint, |i| {
        (0..SAMPLES)
            .map(|k| (mint + k * 5 * 60_000, (i as i64 + k) as f64))
            .collect()
    });
    eprintln!(
        "wrote and uploaded {series} series in {:.0} s",
        begin.elapsed().as_secs_f64()
    );
}

/// Memory of the processes watched, in MiB: idle before the step and peak during it.
struct Watch<'a> {
    pids: Vec<(&'a str, u32)>,
    idle: Vec<u64>,
}

impl<'a> Watch<'a> {
    fn start(pids: Vec<(&'a str, u32)>) -> Self {
        let idle = pids
            .iter()
            .map(|(_, pid)| {
                reset_peak_rss(*pid);
                proc_status_kib(*pid, "VmRSS:")
            })
            .collect();
        Self { pids, idle }
    }

    fn report(&self, step: &str, answer: &str, took: Duration) {
        let figures: Vec<String> = self
            .pids
            .iter()
            .zip(&self.idle)
            .map(|((name, pid), idle)| {
                format!(
                    "{name} idle {} MiB, peak {} MiB",
                    idle / 1024,
                    proc_status_kib(*pid, "VmHWM:") / 1024
                )
            })
            .collect();
        println!(
            "{step}: {answer} in {:.2} s; {}",
            took.as_secs_f64(),
            figures.join("; ")
        );
    }
}

/// Runs `query` at `time` (s); returns a short account of the answer and how long it took.
fn instant(port: u16, query: &str, time: f64) -> (String, Duration) {
    let begin = Instant::now();
    let r = http::get(
        port,
        &format!("/api/v1/query?query={}&time={time}", http::encode(query)),
    )
    .expect("query");
    let took = begin.elapsed();
    let answer = match r.body.split("\"value\":[").nth(1) {
        Some(v) if r.status == 200 => format!(
            "HTTP 200, value {}",
            v.split(',')
                .nth(1)
                .unwrap_or("?")
                .trim_matches(|c| c == '"' || c == ']')
        ),
        _ => format!(
            "HTTP {}, {}",
            r.status,
            r.body
                .split("\"error\":\"")
                .nth(1)
                .map_or(r.body.as_str(), |e| e.split('"').next().unwrap_or(e))
        ),
    };
    (answer, took)
}

/// Sends the burst of shard queries at once; returns how many got HTTP 200 and the time.
fn burst(port: u16, time: f64) -> (String, Duration) {
    let begin = Instant::now();
    let answers: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..BURST)
            .map(|i| {
                s.spawn(move || {
                    instant(
                        port,
                        &format!("count(bench_metric{{shard=\"{}\"}})", i % SHARDS),
                        time,
                    )
                    .0
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let ok = answers.iter().filter(|a| a.starts_with("HTTP 200")).count();
    let other = answers.iter().find(|a| !a.starts_with("HTTP 200"));
    let account = match other {
        Some(o) => format!("{ok}/{BURST} answered (else e.g. {o})"),
        None => format!("{ok}/{BURST} answered"),
    };
    (account, begin.elapsed())
}

/// A store gateway and a querier over it, both with `--store.limits.request-series=limit`.
fn pair(work: &Path, name: &str, config: &Path, limit: u64) -> (Component, Component) {
    let mut store = Component::start(
        work,
        &format!("store-{name}"),
        &[
            "store".into(),
            format!("--objstore.config-file={}", config.display()),
            format!(
                "--data-dir={}",
                work.join(format!("store-{name}")).display()
            ),
            format!("--store.limits.request-series={limit}"),
            "--log.level=warn".into(),
        ],
    );
    store.wait_ready(Duration::from_secs(300));
    let mut q = Component::start(
        work,
        &format!("query-{name}"),
        &[
            "query".into(),
            format!("--endpoint=127.0.0.1:{}", store.grpc_port),
            format!("--store.limits.request-series={limit}"),
            "--log.level=warn".into(),
        ],
    );
    q.wait_ready(Duration::from_secs(60));
    let seen = wait_for(Duration::from_secs(60), Duration::from_millis(200), || {
        http::get(q.http_port, "/api/v1/label/__name__/values")
            .ok()
            .filter(|r| r.body.contains("bench_metric"))
    });
    assert!(seen.is_some(), "the querier never saw the store's block");
    (store, q)
}

/// Runs the single query and the burst against `querier`, reporting both processes.
fn steps(querier: &Component, store: &Component, what: &str, at: f64) {
    let everything = "count(bench_metric)";
    let pids = || vec![("querier", querier.pid()), ("store", store.pid())];
    let watch = Watch::start(pids());
    let (answer, took) = instant(querier.http_port, everything, at);
    watch.report(&format!("mnemos, {everything}, {what}"), &answer, took);
    let watch = Watch::start(pids());
    let (answer, took) = burst(querier.http_port, at);
    watch.report(
        &format!("mnemos, {BURST} shard queries at once, {what}"),
        &answer,
        took,
    );
}

fn main() {
    let [series, limit] = numeric_args([1_000_000, 100_000]);
    let now = mnemos_tsdb::time::now_ms();
    let mint = now - now % (2 * HOUR_MS) - 4 * HOUR_MS;
    // One minute after the last sample: every series is in the 5 m lookback.
    let at = (mint + (SAMPLES - 1) * 5 * 60_000 + 60_000) as f64 / 1000.0;
    // MNEMOS_BENCH_WORK keeps the block and logs for inspection.
    let temp = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var_os("MNEMOS_BENCH_WORK").map(std::path::PathBuf::from);
    let work = kept.as_deref().unwrap_or(temp.path());
    let bucket = BenchBucket::create(work);
    write_block(&bucket, series as usize, mint);
    let config = bucket.config.clone();

    println!(
        "{series} series in one block; --query.max-concurrent=20 (default), \
         --query.max-samples=50000000 (default)"
    );
    let (mut store, querier) = pair(work, "limited", &config, limit);
    steps(&querier, &store, &format!("series limit {limit}"), at);
    drop(querier);
    store.assert_running();
    drop(store);
    let (mut store, querier) = pair(work, "unlimited", &config, 0);
    steps(&querier, &store, "no series limit", at);
    drop(querier);
    store.assert_running();
    drop(store);

    let everything = "count(bench_metric)";
    let (prom, port, _) = prometheus_on_blocks(work, bucket.staging());
    let watch = Watch::start(vec![("prometheus", prom.pid())]);
    let (answer, took) = instant(port, everything, at);
    watch.report(&format!("prometheus 2.42, {everything}"), &answer, took);
    let watch = Watch::start(vec![("prometheus", prom.pid())]);
    let (answer, took) = burst(port, at);
    watch.report(
        &format!("prometheus 2.42, {BURST} shard queries at once"),
        &answer,
        took,
    );
}
