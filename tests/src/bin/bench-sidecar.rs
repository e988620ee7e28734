//! Peer benchmark of the sidecar's read path: the same remote read answered by Prometheus
//! 2.42 directly (frames read and checked, nothing else) and through `mnemos sidecar`'s
//! StoreAPI (remote read + conversion + gRPC), in the same run on the same data.
//! Prints medians, the ratio, and the sidecar's peak resident memory.
//! Usage: `bench-sidecar [SERIES] [SAMPLES_PER_SERIES] [RUNS]` (defaults 10000 240 7).

use std::time::{Duration, Instant};

use mnemos_e2e::bench::{backfill_blocks, median, numeric_args};
use mnemos_e2e::component::Component;
use mnemos_e2e::process::{free_port, proc_status_kib};
use mnemos_e2e::prometheus::Prometheus;
use mnemos_sidecar::PrometheusClient;
use mnemos_storeapi::prometheus as prom;
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::store_client::StoreClient;
use mnemos_storeapi::thanos::{series_response, LabelMatcher, SeriesRequest};

fn main() {
    let [series, samples, runs] = numeric_args([10_000, 240, 7]).map(|v| v as usize);
    let now = mnemos_tsdb::time::now_ms();
    let start = now - 3 * 3_600_000;

    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    // Where Prometheus::start expects the data of a server named "prometheus".
    let blocks = backfill_blocks(work, series, samples, start);
    std::fs::rename(blocks, work.join("prometheus-data")).expect("move blocks");
    let port = free_port();
    let config = "global: {scrape_interval: 1h, external_labels: {cluster: bench, replica: a}}\nscrape_configs: []\n";
    let prom = Prometheus::start(work, "prometheus", config, "2h", port);
    let mut sidecar = Component::start(
        work,
        "sidecar",
        &[
            "sidecar".into(),
            format!("--prometheus.url=http://127.0.0.1:{port}"),
            format!("--tsdb.path={}", prom.data_dir.display()),
            "--log.level=warn".into(),
        ],
    );
    sidecar.wait_ready(Duration::from_secs(30));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (t0, t1) = (start - 3_600_000, now);

    let direct = || {
        rt.block_on(async {
            let client =
                PrometheusClient::new(&format!("http://127.0.0.1:{port}")).expect("client");
            let query = prom::Query {
                start_timestamp_ms: t0,
                end_timestamp_ms: t1,
                matchers: vec![prom::LabelMatcher {
                    r#type: prom::label_matcher::Type::Re as i32,
                    name: "__name__".into(),
                    value: "mnemos_.+".into(),
                }],
                hints: None,
            };
            let begin = Instant::now();
            let mut stream = client.remote_read(query).await.expect("remote read");
            let mut n = 0;
            while let Some(batch) = stream.next_series_batch().await.expect("frames") {
                n += batch.len();
            }
            (begin.elapsed(), n)
        })
    };
    let via_sidecar = || {
        rt.block_on(async {
            let begin = Instant::now();
            let mut client =
                StoreClient::connect(format!("http://127.0.0.1:{}", sidecar.grpc_port))
                    .await
                    .expect("connect")
                    .max_decoding_message_size(64 << 20);
            let request = SeriesRequest {
                min_time: t0,
                max_time: t1,
                matchers: vec![LabelMatcher::new(Type::Re, "__name__", "mnemos_.+")],
                ..Default::default()
            };
            let mut stream = client.series(request).await.expect("Series").into_inner();
            let mut n = 0;
            while let Some(frame) = stream.message().await.expect("frame") {
                if let Some(series_response::Result::Series(_)) = frame.result {
                    n += 1;
                }
            }
            (begin.elapsed(), n)
        })
    };
    // Warm both paths (page cache, Prometheus' block readers).
    let (_, want) = direct();
    let (_, got) = via_sidecar();
    assert_eq!(want, got, "series counts differ");
    assert_eq!(want, series);
    let mut a = Vec::new();
    let mut b = Vec::new();
    for _ in 0..runs {
        a.push(direct().0);
        b.push(via_sidecar().0);
    }
    let (a, b) = (median(a), median(b));
    println!(
        "series: {series}, samples: {}, runs: {runs}",
        series * samples
    );
    println!(
        "prometheus remote read (direct): median {:.1} ms",
        a.as_secs_f64() * 1e3
    );
    println!(
        "mnemos sidecar Series (gRPC):    median {:.1} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "ratio sidecar/direct: {:.2}",
        b.as_secs_f64() / a.as_secs_f64()
    );
    println!(
        "sidecar peak RSS: {} MiB",
        proc_status_kib(sidecar.pid(), "VmHWM:") / 1024
    );
    println!(
        "prometheus peak RSS: {} MiB",
        proc_status_kib(prom.pid(), "VmHWM:") / 1024
    );
}
