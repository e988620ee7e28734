//! Store gateway over the same blocks in a real S3 server (Garage), TSDB path vs Parquet path,
//! in one run: DAYS days of 2d blocks (as the compactor leaves them: 2h → 8h → 2d) of
//! METRICS metric names × 25 series each (5 jobs × 5 instances), a sample every STEP s. Every
//! block is converted with `mnemos tools bucket parquet convert`; then a gateway reading
//! every block as TSDB (`--parquet.serve=false`) and one reading them from Parquet each
//! start on an empty data directory and answer a selective query (one metric of one job
//! over all DAYS days) and a broad one (every tenth metric, every series), each cold
//! then warm. Reported: bucket requests and bytes (the gateway's objstore counters) for
//! startup and for each query, latency, resident memory, startup time, bytes in the bucket
//! of both formats, and the conversion time.
//! Usage: `bench-parquet [DAYS] [METRICS] [STEP] [COLUMN_HOURS]` (defaults 30 80 60 48;
//! COLUMN_HOURS is `--parquet.convert.column-duration`). `MNEMOS_BENCH_WORK=<dir>` keeps the
//! work directory (logs included); `MNEMOS_BENCH_LOG` is the gateways' `--log.level` (default
//! `warn`; `mnemos_store::bucket_file=trace` logs every bucket range read).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mnemos_e2e::bench::numeric_args;
use mnemos_e2e::component::Component;
use mnemos_e2e::garage::Garage;
use mnemos_e2e::mnemos_bin;
use mnemos_e2e::process::{proc_status_kib, run_ok, wait_for};
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::store_client::StoreClient;
use mnemos_storeapi::thanos::{series_response, LabelMatcher, SeriesRequest};
use mnemos_tsdb::{BlockMeta, Labels};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn labels(metric: usize, job: usize, instance: usize) -> Labels {
    Labels::from_pairs([
        ("__name__", format!("bench_metric_{metric:03}")),
        ("instance", format!("10.0.{job}.{instance}:9100")),
        ("job", format!("job{job}")),
    ])
}

/// Writes and uploads one 2d block from `mint` (level 3, as compacted from 2h blocks).
fn add_block(
    bucket: &mnemos_objstore::Bucket,
    rt: &tokio::runtime::Runtime,
    staging: &Path,
    (metrics, step): (usize, i64),
    mint: i64,
) {
    let mut all = Vec::new();
    for m in 0..metrics {
        for j in 0..5 {
            for i in 0..5 {
                all.push(labels(m, j, i));
            }
        }
    }
    all.sort();
    let mut meta = BlockMeta::new(String::new(), mint, mint + 2 * DAY);
    meta.compaction.level = 3;
    let meta = mnemos_e2e::write_and_upload_block(
        rt,
        bucket,
        staging,
        all,
        |n| {
            // A counter growing by a varying step: realistic XOR compression.
            let mut v = (n * 1000) as f64;
            (0..2 * DAY / step)
                .map(|k| {
                    v += ((k * 7 + n as i64 * 13) % 23) as f64;
                    (mint + k * step, v)
                })
                .collect()
        },
        meta,
        (&[("cluster", "bench")], "compactor"),
    );
    std::fs::remove_dir_all(staging.join(&meta.ulid)).expect("cleanup");
}

/// Bucket requests and bytes the gateway has made so far.
fn bucket_counters(store: &Component) -> (f64, f64) {
    (
        store.metric("mnemos_objstore_bucket_operations_total"),
        store.metric("mnemos_objstore_bucket_operation_transferred_bytes_total"),
    )
}

fn series_call(
    port: u16,
    matchers: Vec<LabelMatcher>,
    mint: i64,
    maxt: i64,
) -> (usize, usize, Duration) {
    mnemos_e2e::runtime().block_on(async {
        let begin = Instant::now();
        let mut client = StoreClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .expect("connect")
            .max_decoding_message_size(256 << 20);
        let req = SeriesRequest {
            min_time: mint,
            max_time: maxt,
            matchers,
            ..Default::default()
        };
        let mut stream = client.series(req).await.expect("Series").into_inner();
        let (mut series, mut chunks) = (0, 0);
        while let Some(f) = stream.message().await.expect("frame") {
            if let Some(series_response::Result::Series(s)) = f.result {
                series += 1;
                chunks += s.chunks.len();
            }
        }
        (series, chunks, begin.elapsed())
    })
}

struct QueryFigures {
    series: usize,
    requests: f64,
    bytes: f64,
    cold: Duration,
    warm: Duration,
}

fn measure(store: &Component, matchers: &[LabelMatcher], mint: i64, maxt: i64) -> QueryFigures {
    let (r0, b0) = bucket_counters(store);
    let (series, _, cold) = series_call(store.grpc_port, matchers.to_vec(), mint, maxt);
    let (r1, b1) = bucket_counters(store);
    let (_, _, warm) = series_call(store.grpc_port, matchers.to_vec(), mint, maxt);
    QueryFigures {
        series,
        requests: r1 - r0,
        bytes: b1 - b0,
        cold,
        warm,
    }
}

struct Run {
    ready: Duration,
    loaded: Duration,
    startup_requests: f64,
    startup_bytes: f64,
    idle_rss: u64,
    selective: QueryFigures,
    broad: QueryFigures,
    peak_rss: u64,
    disk: u64,
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_bytes(&p)
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

fn run(
    work: &Path,
    config: &Path,
    parquet: bool,
    (blocks, metrics): (usize, usize),
    mint: i64,
    maxt: i64,
) -> Run {
    let name = if parquet { "parquet" } else { "tsdb" };
    let data = work.join(format!("store-{name}"));
    let begin = Instant::now();
    let mut store = Component::start(
        work,
        &format!("store-{name}"),
        &[
            "store".into(),
            format!("--objstore.config-file={}", config.display()),
            format!("--data-dir={}", data.display()),
            format!("--parquet.serve={parquet}"),
            format!(
                "--log.level={}",
                std::env::var("MNEMOS_BENCH_LOG").unwrap_or_else(|_| "warn".into())
            ),
        ],
    );
    store.wait_ready(Duration::from_secs(120));
    let ready = begin.elapsed();
    let loaded = wait_for(Duration::from_secs(600), Duration::from_millis(20), || {
        (store.metric("mnemos_store_blocks_loaded_total") >= blocks as f64).then_some(())
    });
    assert!(loaded.is_some(), "blocks not loaded");
    let loaded = begin.elapsed();
    let (startup_requests, startup_bytes) = bucket_counters(&store);
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = proc_status_kib(store.pid(), "VmRSS:");
    let m = |t: Type, n: &str, v: &str| LabelMatcher::new(t, n, v);
    let selective = measure(
        &store,
        &[
            m(
                Type::Eq,
                "__name__",
                &format!("bench_metric_{:03}", metrics / 2),
            ),
            m(Type::Eq, "job", "job3"),
        ],
        mint,
        maxt,
    );
    let broad = measure(
        &store,
        &[m(Type::Re, "__name__", "bench_metric_..3")],
        mint,
        maxt,
    );
    let peak_rss = proc_status_kib(store.pid(), "VmHWM:");
    Run {
        ready,
        loaded,
        startup_requests,
        startup_bytes,
        idle_rss,
        selective,
        broad,
        peak_rss,
        disk: dir_bytes(&data),
    }
}

fn main() {
    let [days, metrics, step_s, column_hours] = numeric_args([30, 80, 60, 48]);
    let step = step_s as i64 * 1000;
    let blocks = (days / 2).max(1) as usize;
    let temp = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var_os("MNEMOS_BENCH_WORK").map(std::path::PathBuf::from);
    let work = kept.as_deref().unwrap_or(temp.path());
    let garage = Garage::start(work);
    let yaml = garage.objstore_yaml(&garage.endpoint());
    let config = work.join("bucket.yml");
    std::fs::write(&config, &yaml).expect("objstore config");
    let bucket = mnemos_e2e::open_bucket(&yaml);
    let rt = mnemos_e2e::runtime();
    let staging = work.join("staging");
    std::fs::create_dir_all(&staging).expect("staging");
    let now = mnemos_tsdb::time::now_ms();
    let end = now - now % (2 * DAY);
    let t0 = end - blocks as i64 * 2 * DAY;
    let begin = Instant::now();
    for b in 0..blocks {
        add_block(
            &bucket,
            &rt,
            &staging,
            (metrics as usize, step),
            t0 + b as i64 * 2 * DAY,
        );
    }
    eprintln!(
        "wrote {blocks} blocks in {:.0} s",
        begin.elapsed().as_secs_f64()
    );
    let begin = Instant::now();
    run_ok(
        Command::new(mnemos_bin())
            .args(["tools", "bucket", "parquet", "convert", "--log.level=warn"])
            .arg(format!("--objstore.config-file={}", config.display()))
            .arg(format!("--dir={}", work.join("convert").display()))
            .arg(format!("--parquet.convert.column-duration={column_hours}h")),
    );
    let conversion = begin.elapsed();
    let (mut tsdb_bytes, mut parquet_bytes) = (0u64, 0u64);
    for o in rt.block_on(bucket.list_objects("")).expect("list") {
        if o.key.ends_with(".parquet") {
            parquet_bytes += o.size;
        } else if o.key.ends_with("/index") || o.key.contains("/chunks/") {
            tsdb_bytes += o.size;
        }
    }
    let series = metrics as usize * 25;
    println!(
        "{blocks} blocks of 2d × {series} series ({metrics} metrics × 25), a sample every {step_s} s, {days} days; Garage S3; chunk columns of {column_hours}h"
    );
    println!(
        "bucket bytes: TSDB (index + chunks) {:.1} MiB, Parquet (labels + chunks) {:.1} MiB: {:.3}x; conversion {:.1} s ({:.1} s per block)",
        tsdb_bytes as f64 / 1048576.0,
        parquet_bytes as f64 / 1048576.0,
        parquet_bytes as f64 / tsdb_bytes as f64,
        conversion.as_secs_f64(),
        conversion.as_secs_f64() / blocks as f64
    );
    let (mint, maxt) = (t0, end);
    let tsdb = run(work, &config, false, (blocks, metrics as usize), mint, maxt);
    let parquet = run(work, &config, true, (blocks, metrics as usize), mint, maxt);
    let mib = |b: f64| b / 1048576.0;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("| figure | TSDB path | Parquet path | TSDB / Parquet |");
    println!("|---|---|---|---|");
    let row = |what: &str, t: f64, p: f64, unit: &str| {
        println!(
            "| {what} | {t:.1} {unit} | {p:.1} {unit} | {:.2} |",
            if p > 0.0 { t / p } else { f64::INFINITY }
        );
    };
    row("ready", ms(tsdb.ready), ms(parquet.ready), "ms");
    row(
        "all blocks loaded",
        ms(tsdb.loaded),
        ms(parquet.loaded),
        "ms",
    );
    row(
        "startup bucket requests",
        tsdb.startup_requests,
        parquet.startup_requests,
        "",
    );
    row(
        "startup bucket bytes",
        mib(tsdb.startup_bytes),
        mib(parquet.startup_bytes),
        "MiB",
    );
    row(
        "local disk after startup",
        mib(tsdb.disk as f64),
        mib(parquet.disk as f64),
        "MiB",
    );
    row(
        "idle RSS",
        tsdb.idle_rss as f64 / 1024.0,
        parquet.idle_rss as f64 / 1024.0,
        "MiB",
    );
    for (what, t, p) in [
        ("selective", &tsdb.selective, &parquet.selective),
        ("broad", &tsdb.broad, &parquet.broad),
    ] {
        assert_eq!(t.series, p.series, "{what}: same series");
        row(
            &format!("{what} ({} series): bucket requests", t.series),
            t.requests,
            p.requests,
            "",
        );
        row(
            &format!("{what}: bucket bytes"),
            mib(t.bytes),
            mib(p.bytes),
            "MiB",
        );
        row(
            &format!("{what}: latency cold"),
            ms(t.cold),
            ms(p.cold),
            "ms",
        );
        row(
            &format!("{what}: latency warm"),
            ms(t.warm),
            ms(p.warm),
            "ms",
        );
    }
    row(
        "peak RSS",
        tsdb.peak_rss as f64 / 1024.0,
        parquet.peak_rss as f64 / 1024.0,
        "MiB",
    );
    for (what, t, p) in [
        ("selective", &tsdb.selective, &parquet.selective),
        ("broad", &tsdb.broad, &parquet.broad),
    ] {
        let per = |x: f64| x / blocks as f64;
        println!(
            "{what}, per block: TSDB {:.1} requests, {:.0} bytes; Parquet {:.1} requests, {:.0} bytes; {:.2}x fewer requests, {:.2}x fewer bytes",
            per(t.requests),
            per(t.bytes),
            per(p.requests),
            per(p.bytes),
            t.requests / p.requests.max(1.0),
            t.bytes / p.bytes.max(1.0)
        );
    }
    drop(garage);
}
