//! PromQL benchmark against Prometheus 2.42 on the same blocks, in the same run: 10,000
//! series × 24 h at a 15 s interval (9,000 counters `bench_requests_total` over 10 jobs, 100
//! classic histograms of 10 buckets `bench_latency_seconds_bucket`, and 10 `bench_job_weight`
//! gauges). Each query is a 24 h range query at a 5 m step; Prometheus answers over HTTP,
//! the mnemos engine runs in-process over the same block directories (tsdb crate); both warm,
//! median of 5.
//! Usage: `bench-promql [SERIES_SCALE]` (default 1.0 = the sizes above).

use std::path::Path;
use std::time::Instant;

use mnemos_e2e::bench::{median, prometheus_on_blocks};
use mnemos_e2e::http;
use mnemos_e2e::process::proc_status_kib;
use mnemos_promql::{BlockStorage, Engine, Value};
use mnemos_tsdb::block_writer::symbols_of;
use mnemos_tsdb::{BlockMeta, BlockWriter, Labels};

const HOUR: i64 = 3_600_000;
const STEP: i64 = 15_000;

/// Every series' labels and its value at sample `k`.
fn series(scale: f64) -> Vec<(Labels, u8)> {
    let mut out = Vec::new();
    let counters = (9000.0 * scale) as usize;
    for i in 0..counters {
        out.push((
            Labels::from_pairs([
                ("__name__", "bench_requests_total".to_string()),
                ("job", format!("job{}", i % 10)),
                ("instance", format!("host-{i}")),
            ]),
            0,
        ));
    }
    let histograms = (100.0 * scale).max(1.0) as usize;
    for h in 0..histograms {
        for le in [
            "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf",
        ] {
            out.push((
                Labels::from_pairs([
                    ("__name__", "bench_latency_seconds_bucket".to_string()),
                    ("job", format!("job{}", h % 10)),
                    ("instance", format!("host-{h}")),
                    ("le", le.to_string()),
                ]),
                1,
            ));
        }
    }
    for j in 0..10 {
        out.push((
            Labels::from_pairs([
                ("__name__", "bench_job_weight".to_string()),
                ("job", format!("job{j}")),
            ]),
            2,
        ));
    }
    out
}

fn value(kind: u8, idx: usize, k: i64, le_rank: usize) -> f64 {
    match kind {
        // Counters with a reset every ~6 h on some series.
        0 => {
            let k = if idx.is_multiple_of(7) { k % 1440 } else { k };
            (k * (1 + (idx % 5) as i64)) as f64 + (idx % 3) as f64 * 0.5
        }
        1 => (k * (le_rank as i64 + 1)) as f64,
        _ => 1.0 + (idx % 4) as f64,
    }
}

fn write_blocks(dir: &Path, scale: f64, t0: i64) {
    let all = series(scale);
    let begin = Instant::now();
    for b in 0..12i64 {
        let mint = t0 + b * 2 * HOUR;
        let labels: Vec<&Labels> = all.iter().map(|(l, _)| l).collect();
        let mut w = BlockWriter::create(dir, symbols_of(labels.iter().copied())).expect("writer");
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by(|a, b| all[*a].0.cmp(&all[*b].0));
        for idx in order {
            let (l, kind) = &all[idx];
            let le_rank = l.get("le").map(|_| idx % 10).unwrap_or(0);
            let samples: Vec<(i64, f64)> = (0..480)
                .map(|i| {
                    let k = b * 480 + i;
                    (mint + i * STEP, value(*kind, idx, k, le_rank))
                })
                .collect();
            w.add_series(l, &samples).expect("add");
        }
        w.finish(BlockMeta::new(String::new(), mint, mint + 2 * HOUR))
            .expect("finish");
    }
    eprintln!(
        "wrote 12 blocks of {} series in {:.1} s",
        all.len(),
        begin.elapsed().as_secs_f64()
    );
}

fn main() {
    let scale: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let now = mnemos_tsdb::time::now_ms();
    let t0 = now - now % (2 * HOUR) - 26 * HOUR;
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("blocks");
    std::fs::create_dir_all(&data).expect("blocks dir");
    write_blocks(&data, scale, t0);
    let (prom, port, _) = prometheus_on_blocks(work.path(), &data);
    let storage = BlockStorage::open(&data).expect("open blocks");
    let engine = Engine::default();
    let (start, end, step) = (t0 + HOUR, t0 + 24 * HOUR, 5 * 60_000);
    let queries = [
        "rate(bench_requests_total[5m])",
        "sum by (job) (rate(bench_requests_total[5m]))",
        "histogram_quantile(0.9, sum by (le) (rate(bench_latency_seconds_bucket[5m])))",
        "rate(bench_requests_total[5m]) * on (job) group_left () bench_job_weight",
        "topk(10, rate(bench_requests_total[5m]))",
        "max_over_time(sum by (job) (rate(bench_requests_total[5m]))[1h:5m])",
    ];
    println!(
        "{} series × 24 h at 15 s; range queries over 23 h, step 5m; median of 5 (warm)",
        series(scale).len()
    );
    println!("| query | Prometheus 2.42 | mnemos | speed-up | series |");
    println!("|---|---|---|---|---|");
    for q in queries {
        let path = format!(
            "/api/v1/query_range?query={}&start={}&end={}&step=300",
            http::encode(q),
            start as f64 / 1000.0,
            end as f64 / 1000.0
        );
        let mut prom_times = Vec::new();
        let mut prom_body = String::new();
        for _ in 0..6 {
            let begin = Instant::now();
            let r = http::get(port, &path).expect("query_range");
            prom_times.push(begin.elapsed());
            prom_body = r.body;
        }
        prom_times.remove(0);
        let prom_series = prom_body.matches("\"metric\"").count();
        assert!(
            prom_body.contains("\"status\":\"success\""),
            "{q}: {}",
            &prom_body[..prom_body.len().min(300)]
        );
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..6 {
            let begin = Instant::now();
            let v = engine
                .range(&storage, q, start, end, step)
                .expect("mnemos query");
            times.push(begin.elapsed());
            if let Value::Matrix(m) = v {
                n = m.len();
            }
        }
        times.remove(0);
        assert_eq!(n, prom_series, "{q}: series count differs");
        let (p, m) = (median(prom_times), median(times));
        println!(
            "| `{q}` | {:.0} ms | {:.0} ms | {:.2}× | {n} |",
            p.as_secs_f64() * 1e3,
            m.as_secs_f64() * 1e3,
            p.as_secs_f64() / m.as_secs_f64()
        );
    }
    println!(
        "peak RSS: Prometheus {} MiB (process), mnemos {} MiB (this benchmark process, blocks memory-mapped)",
        proc_status_kib(prom.pid(), "VmHWM:") / 1024,
        proc_status_kib(std::process::id(), "VmHWM:") / 1024
    );
}
