//! Peer benchmark of the querier: the same range queries answered by one Prometheus 2.42
//! over HTTP, and by `mnemos query` over two Prometheus replicas holding the same blocks
//! (external labels `replica="a"`/`"b"`) through their sidecars, deduplicated; same run,
//! same data. Checks that both answers are equal, prints medians, ratios and peak memory.
//! Usage: `MNEMOS_BIN=… bench-query [SERIES] [SAMPLES_PER_SERIES] [RUNS]`
//! (defaults 3000 240 7).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mnemos_e2e::bench::{backfill_blocks, median, numeric_args};
use mnemos_e2e::component::Component;
use mnemos_e2e::http::{self, encode};
use mnemos_e2e::process::{free_port, proc_status_kib, run_ok};
use mnemos_e2e::prometheus::Prometheus;

fn replica(work: &Path, blocks: &Path, name: &str) -> Prometheus {
    let data = work.join(format!("{name}-data"));
    run_ok(Command::new("cp").arg("-r").arg(blocks).arg(&data));
    let config = format!(
        "global: {{scrape_interval: 1h, external_labels: {{cluster: bench, replica: {name}}}}}\nscrape_configs: []\n"
    );
    Prometheus::start(work, name, &config, "2h", free_port())
}

/// The `result` of a query_range answer, sorted, as text.
fn result(port: u16, path: &str) -> String {
    let r = http::get(port, path).expect("request");
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["status"], "success", "{path}: {}", r.body);
    let mut series: Vec<String> = v["data"]["result"]
        .as_array()
        .expect("result")
        .iter()
        .map(|s| s.to_string())
        .collect();
    series.sort();
    series.join("\n")
}

fn main() {
    let [series, samples, runs] = numeric_args([3000, 240, 7]).map(|v| v as usize);
    let now = mnemos_tsdb::time::now_ms();
    let start = now - 3 * 3_600_000;
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let blocks = backfill_blocks(work, series, samples, start);
    let prom_a = replica(work, &blocks, "a");
    let prom_b = replica(work, &blocks, "b");
    let mut endpoints = Vec::new();
    let mut sidecars = Vec::new();
    for p in [&prom_a, &prom_b] {
        let mut s = Component::start(
            work,
            &format!("sidecar-{}", p.port),
            &[
                "sidecar".into(),
                format!("--prometheus.url=http://127.0.0.1:{}", p.port),
                format!("--tsdb.path={}", p.data_dir.display()),
                "--log.level=warn".into(),
            ],
        );
        s.wait_ready(Duration::from_secs(30));
        endpoints.push(format!("--endpoint=127.0.0.1:{}", s.grpc_port));
        sidecars.push(s);
    }
    let mut args = vec![
        "query".to_string(),
        "--query.replica-label=replica".into(),
        "--log.level=warn".into(),
    ];
    args.extend(endpoints);
    let mut querier = Component::start(work, "query", &args);
    querier.wait_ready(Duration::from_secs(30));

    let (t0, t1) = (start, start + 2 * 3_600_000);
    let queries = [
        "sum by (job) (rate(mnemos_requests_total[5m]))",
        "max_over_time(mnemos_gauge[10m])",
        "mnemos_requests_total",
    ];
    println!(
        "series: {series} ({} per metric), samples: {}, runs: {runs}, range 2h at 60s steps",
        series / 3,
        series * samples
    );
    for q in queries {
        let path = format!(
            "/api/v1/query_range?query={}&start={}&end={}&step=60",
            encode(q),
            t0 / 1000,
            t1 / 1000
        );
        // Warm both, and check the deduplicated answer equals one Prometheus' answer
        // (external labels aside: Prometheus' own answer has none).
        let want = result(prom_a.port, &path);
        let got = result(querier.http_port, &path).replace(",\"cluster\":\"bench\"", "");
        let got = got
            .replace("\"cluster\":\"bench\",", "")
            .replace("{\"cluster\":\"bench\"}", "{}");
        assert_eq!(want, got, "{q}: answers differ");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let begin = Instant::now();
            result(prom_a.port, &path);
            a.push(begin.elapsed());
            let begin = Instant::now();
            result(querier.http_port, &path);
            b.push(begin.elapsed());
        }
        let (a, b) = (median(a), median(b));
        println!(
            "{q}: prometheus {:.1} ms, mnemos query (2 replicas, dedup) {:.1} ms, ratio {:.2}",
            a.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
    println!(
        "peak RSS: querier {} MiB, each sidecar {} MiB, prometheus {} MiB",
        proc_status_kib(querier.pid(), "VmHWM:") / 1024,
        proc_status_kib(sidecars[0].pid(), "VmHWM:") / 1024,
        proc_status_kib(prom_a.pid(), "VmHWM:") / 1024
    );
    drop(prom_b);
}
