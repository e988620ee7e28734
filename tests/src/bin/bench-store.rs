//! Store gateway benchmark against Prometheus 2.42 on the same blocks, in the same run:
//! BLOCKS 2h blocks of SERIES series each (all series distinct across blocks: BLOCKS × SERIES
//! series in all) in a filesystem bucket. Measures time to ready, time until every index
//! header is loaded, resident memory idle and after a query touching ~10,000 series over 30
//! days, bytes read from the bucket for that query, and a restart (headers on disk).
//! Prometheus opens a copy of the same block directories.
//! Usage: `bench-store [BLOCKS] [SERIES]` (defaults 1000 1000).

use std::path::Path;
use std::time::{Duration, Instant};

use mnemos_e2e::bench::{bench_labels, prometheus_on_blocks, BenchBucket, HOUR_MS};
use mnemos_e2e::component::Component;
use mnemos_e2e::http;
use mnemos_e2e::process::{proc_status_kib, wait_for};
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::store_client::StoreClient;
use mnemos_storeapi::thanos::{series_response, LabelMatcher, SeriesRequest};

fn write_blocks(bucket: &BenchBucket, blocks: usize, series: usize, t0: i64) {
    let begin = Instant::now();
    for b in 0..blocks {
        let mint = t0 + b as i64 * 2 * HOUR_MS;
        let labels = (0..series)
            .map(|s| bench_labels(s, format!("b{b}-s{s}")))
            .collect();
        bucket.add_block(labels, mint, |i| {
            (0..120)
                .map(|k| (mint + k * 60_000, (i as i64 * k) as f64))
                .collect()
        });
        if b % 100 == 99 {
            eprintln!(
                "wrote {} blocks ({:.0} s)",
                b + 1,
                begin.elapsed().as_secs_f64()
            );
        }
    }
}

fn query(port: u16, mint: i64, maxt: i64) -> (usize, Duration) {
    let rt = mnemos_e2e::runtime();
    rt.block_on(async {
        let begin = Instant::now();
        let mut client = StoreClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .expect("connect")
            .max_decoding_message_size(256 << 20);
        let req = SeriesRequest {
            min_time: mint,
            max_time: maxt,
            matchers: vec![
                LabelMatcher::new(Type::Eq, "__name__", "bench_metric"),
                LabelMatcher::new(Type::Eq, "shard", "7"),
            ],
            ..Default::default()
        };
        let mut stream = client.series(req).await.expect("Series").into_inner();
        let mut n = 0;
        while let Some(f) = stream.message().await.expect("frame") {
            if let Some(series_response::Result::Series(_)) = f.result {
                n += 1;
            }
        }
        (n, begin.elapsed())
    })
}

fn run_store(work: &Path, name: &str, config: &Path, blocks: usize, mint: i64, maxt: i64) {
    let begin = Instant::now();
    let mut store = Component::start(
        work,
        name,
        &[
            "store".into(),
            format!("--objstore.config-file={}", config.display()),
            format!("--data-dir={}", work.join("store-data").display()),
            "--log.level=warn".into(),
        ],
    );
    store.wait_ready(Duration::from_secs(120));
    let ready = begin.elapsed();
    let loaded = wait_for(Duration::from_secs(600), Duration::from_millis(100), || {
        (store.metric("mnemos_store_blocks_loaded_total") >= blocks as f64).then_some(())
    });
    assert!(loaded.is_some(), "blocks not loaded");
    let all_loaded = begin.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let idle = proc_status_kib(store.pid(), "VmRSS:");
    let before = store.metric("mnemos_store_query_bucket_bytes_sum");
    let (n, took) = query(store.grpc_port, mint, maxt);
    let bytes = store.metric("mnemos_store_query_bucket_bytes_sum") - before;
    let after = proc_status_kib(store.pid(), "VmRSS:");
    let (_, warm) = query(store.grpc_port, mint, maxt);
    let peak = proc_status_kib(store.pid(), "VmHWM:");
    println!(
        "mnemos store ({name}): ready {:.2} s, all {blocks} index headers loaded {:.2} s",
        ready.as_secs_f64(),
        all_loaded.as_secs_f64()
    );
    println!("  idle RSS {} MiB; query: {n} series in {:.0} ms cold, {:.0} ms warm; {:.1} MiB read from the bucket (cold); RSS after {} MiB, peak {} MiB",
        idle / 1024, took.as_secs_f64() * 1e3, warm.as_secs_f64() * 1e3, bytes / 1048576.0, after / 1024, peak / 1024);
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let blocks = *args.first().unwrap_or(&1000);
    let series = *args.get(1).unwrap_or(&1000);
    let now = mnemos_tsdb::time::now_ms();
    let end = now - now % (2 * HOUR_MS) - 2 * HOUR_MS;
    let t0 = end - blocks as i64 * 2 * HOUR_MS;
    // MNEMOS_BENCH_WORK keeps the blocks and logs for inspection.
    let temp = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var_os("MNEMOS_BENCH_WORK").map(std::path::PathBuf::from);
    let work = kept.as_deref().unwrap_or(temp.path());
    let bucket = BenchBucket::create(work);
    write_blocks(&bucket, blocks, series, t0);
    std::fs::remove_dir_all(bucket.staging()).expect("cleanup");
    let (mint, maxt) = (end - 30 * 24 * HOUR_MS, end);
    println!(
        "{blocks} blocks × {series} series = {} series; query: shard=\"7\" over the last 30 days",
        blocks * series
    );

    run_store(work, "store-cold", &bucket.config, blocks, mint, maxt);
    run_store(work, "store-restart", &bucket.config, blocks, mint, maxt);

    // Peer: Prometheus 2.42 over a copy of the same block directories.
    let (prom, port, ready) = prometheus_on_blocks(work, &bucket.dir);
    std::thread::sleep(Duration::from_secs(2));
    let idle = proc_status_kib(prom.pid(), "VmRSS:");
    let q = format!(
        "/api/v1/query?query={}&time={}",
        http::encode(&format!(
            "count(count_over_time(bench_metric{{shard=\"7\"}}[{}h]))",
            30 * 24
        )),
        maxt as f64 / 1000.0
    );
    let begin = Instant::now();
    let r = http::get(port, &q).expect("query");
    let took = begin.elapsed();
    let begin = Instant::now();
    let _ = http::get(port, &q).expect("query");
    let warm = begin.elapsed();
    let after = proc_status_kib(prom.pid(), "VmRSS:");
    let peak = proc_status_kib(prom.pid(), "VmHWM:");
    let count = match r.body.split("\"value\":[").nth(1) {
        Some(v) => v.chars().take_while(|c| *c != ']').collect::<String>(),
        None => format!(
            "unexpected answer: {}",
            r.body.chars().take(300).collect::<String>()
        ),
    };
    println!(
        "prometheus 2.42: ready {:.2} s; idle RSS {} MiB; count_over_time over the same series: {:.0} ms cold, {:.0} ms warm (result {count}); RSS after {} MiB, peak {} MiB",
        ready.as_secs_f64(), idle / 1024, took.as_secs_f64() * 1e3, warm.as_secs_f64() * 1e3, after / 1024, peak / 1024
    );
}
