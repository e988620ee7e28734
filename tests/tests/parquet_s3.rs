//! The Parquet tier over a real S3 server (Garage), on blocks made by promtool: 17 days of
//! 2h blocks are compacted up to a 14d block and downsampled to 5m and 1h by
//! `mnemos compact`; then a compactor with `--parquet.convert.enabled` is SIGKILLed while
//! converting (a block's Parquet files are in the bucket, its converter mark not yet) and
//! a gateway started then still answers from the TSDB files; a rerun converges (every block
//! has both files and both marks, nothing else). Then a gateway reading every block as TSDB
//! (`--parquet.serve=false`) and one reading the converted blocks from Parquet give equal
//! `Series` (samples of raw chunks and of every aggregate) for many matcher sets, time
//! ranges and resolutions, and queriers over each give equal PromQL answers.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use mnemos_block::{BucketBlocks, MetaFetcher};
use mnemos_e2e::component::Component;
use mnemos_e2e::garage::GarageBucket;
use mnemos_e2e::http;
use mnemos_e2e::process::{free_port, log_digest, wait_for, ChildGuard};
use mnemos_e2e::promapi::data;
use mnemos_e2e::{mnemos_bin, promtool, storeapi};
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::{Aggr, LabelMatcher, Series, SeriesRequest};
use mnemos_tsdb::chunkenc::decode_xor_into;
use prometheus_client::registry::Registry;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// A 14-day boundary since the epoch (2023-11-09T00:00:00Z).
const START: i64 = 1_699_488_000_000;
const DAYS: i64 = 17;
const STEP: i64 = 120_000;

/// The shared Garage work environment, with this test's helpers on top.
struct Env(GarageBucket);

impl std::ops::Deref for Env {
    type Target = GarageBucket;
    fn deref(&self) -> &GarageBucket {
        &self.0
    }
}

impl Env {
    fn start() -> Env {
        Env(GarageBucket::start())
    }

    fn compact(&self, extra: &[&str]) {
        let out = self
            .compact_cmd("compact", free_port(), extra)
            .output()
            .expect("run mnemos compact");
        assert!(
            out.status.success(),
            "mnemos compact failed: {}\n{}",
            out.status,
            log_digest(&String::from_utf8_lossy(&out.stderr))
        );
    }

    fn blocks(&self) -> BucketBlocks {
        let fetcher = MetaFetcher::new(self.bucket.clone(), None, &mut Registry::default());
        self.rt.block_on(fetcher.fetch()).expect("fetch metas")
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        self.rt
            .block_on(self.bucket.list_objects(prefix))
            .expect("list")
            .into_iter()
            .map(|o| o.key)
            .collect()
    }

    fn store(&self, name: &str, serve_parquet: bool) -> Component {
        let mut store = Component::start(
            self.path(),
            &format!("store-{name}"),
            &[
                "store".to_string(),
                format!("--objstore.config-file={}", self.config.display()),
                format!("--data-dir={}", self.path().join(name).display()),
                format!("--parquet.serve={serve_parquet}"),
            ],
        );
        store.wait_ready(Duration::from_secs(60));
        store
    }
}

/// 17 days every 2 minutes: a gauge and a counter (with resets) for 2 jobs × 3 instances.
fn openmetrics() -> String {
    let n = DAYS * DAY / STEP;
    let mut om = String::from("# TYPE pq_gauge gauge\n");
    for job in ["api", "db"] {
        for inst in 0..3 {
            for i in 0..n {
                let t = START + i * STEP;
                let v = ((i * 37 + inst * 11) % 101) as f64 / 4.0;
                om.push_str(&format!(
                    "pq_gauge{{job=\"{job}\",instance=\"h{inst}\"}} {v} {}\n",
                    t / 1000
                ));
            }
        }
    }
    om.push_str("# TYPE pq_requests counter\n");
    for job in ["api", "db"] {
        for inst in 0..3 {
            for i in 0..n {
                let t = START + i * STEP;
                om.push_str(&format!(
                    "pq_requests_total{{job=\"{job}\",instance=\"h{inst}\"}} {} {}\n",
                    (i % (900 + inst * 50)) * 3,
                    t / 1000
                ));
            }
        }
    }
    om.push_str("# EOF\n");
    om
}

/// Per series (labels text) and part (`raw`, `count`, …), every sample as (t, value bits).
type Samples = Vec<(String, BTreeMap<&'static str, Vec<(i64, u64)>>)>;

fn decoded(series: Vec<Series>) -> Samples {
    series
        .into_iter()
        .map(|s| {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|l| format!("{}={:?}", l.name, l.value))
                .collect();
            let mut parts: BTreeMap<&'static str, Vec<(i64, u64)>> = BTreeMap::new();
            for c in &s.chunks {
                for (part, chunk) in [
                    ("raw", &c.raw),
                    ("count", &c.count),
                    ("sum", &c.sum),
                    ("min", &c.min),
                    ("max", &c.max),
                    ("counter", &c.counter),
                ] {
                    if let Some(chunk) = chunk {
                        let (mut t, mut v) = (Vec::new(), Vec::new());
                        decode_xor_into(&chunk.data, &mut t, &mut v).expect("xor chunk");
                        parts
                            .entry(part)
                            .or_default()
                            .extend(t.into_iter().zip(v.into_iter().map(f64::to_bits)));
                    }
                }
            }
            (labels.join(","), parts)
        })
        .collect()
}

fn series(port: u16, req: SeriesRequest) -> Samples {
    let (series, warnings) = storeapi::series_chunks(port, req).expect("Series");
    assert!(warnings.is_empty(), "{warnings:?}");
    decoded(series)
}

fn m(t: Type, name: &str, value: &str) -> LabelMatcher {
    LabelMatcher::new(t, name, value)
}

/// Every (matchers, range, resolution, aggregates) request, compared on two gateways.
fn assert_same_series(tsdb: u16, parquet: u16) -> usize {
    let matcher_sets = [
        vec![m(Type::Eq, "__name__", "pq_gauge")],
        vec![
            m(Type::Eq, "__name__", "pq_requests_total"),
            m(Type::Eq, "job", "db"),
        ],
        vec![
            m(Type::Re, "__name__", "pq_.*"),
            m(Type::Neq, "instance", "h1"),
        ],
        vec![m(Type::Re, "instance", "h[02]"), m(Type::Eq, "job", "api")],
        vec![m(Type::Eq, "cluster", "eu"), m(Type::Nre, "job", "a.*")],
        vec![m(Type::Eq, "__name__", "absent")],
    ];
    let ranges = [
        (START, START + DAYS * DAY),
        (START + 3 * DAY + 5 * HOUR, START + 3 * DAY + 9 * HOUR),
        (START + 8 * HOUR - 60_000, START + 8 * HOUR + 60_000),
        (START + 13 * DAY, START + 15 * DAY + 7 * HOUR),
        (START + 16 * DAY + 23 * HOUR, START + 18 * DAY),
    ];
    let resolutions: [(i64, Vec<i32>); 4] = [
        (0, vec![]),
        (300_000, vec![Aggr::Count as i32, Aggr::Sum as i32]),
        (3_600_000, vec![Aggr::Min as i32, Aggr::Max as i32]),
        (3_600_000, vec![Aggr::Counter as i32]),
    ];
    let mut compared = 0;
    for matchers in &matcher_sets {
        for (mint, maxt) in ranges {
            for (res, aggregates) in &resolutions {
                for skip_chunks in [false, true] {
                    let req = SeriesRequest {
                        min_time: mint,
                        max_time: maxt,
                        matchers: matchers.clone(),
                        max_resolution_window: *res,
                        aggregates: aggregates.clone(),
                        skip_chunks,
                        ..Default::default()
                    };
                    let want = series(tsdb, req.clone());
                    let got = series(parquet, req);
                    assert!(
                        got == want,
                        "{matchers:?} [{mint}, {maxt}] res {res} {aggregates:?} skip {skip_chunks}: {} series vs {}",
                        got.len(),
                        want.len()
                    );
                    compared += want
                        .iter()
                        .map(|(_, p)| p.values().map(Vec::len).sum::<usize>())
                        .sum::<usize>();
                }
            }
        }
    }
    compared
}

fn querier(env: &Env, name: &str, store: &Component) -> Component {
    let mut q = Component::start(
        env.path(),
        &format!("query-{name}"),
        &[
            "query".to_string(),
            format!("--endpoint=127.0.0.1:{}", store.grpc_port),
            "--endpoint.refresh-interval=1s".to_string(),
        ],
    );
    q.wait_ready(Duration::from_secs(30));
    let port = q.http_port;
    let seen = wait_for(Duration::from_secs(30), Duration::from_millis(200), || {
        let d = data(port, "/api/v1/series?match[]=pq_gauge");
        (!d.as_array().is_some_and(|a| a.is_empty())).then_some(())
    });
    assert!(seen.is_some(), "querier {name} sees the store's series");
    q
}

fn range_query(port: u16, query: &str, res: &str) -> serde_json::Value {
    let path = format!(
        "/api/v1/query_range?query={}&start={}&end={}&step=3600&max_source_resolution={res}",
        http::encode(query),
        START / 1000,
        (START + DAYS * DAY) / 1000,
    );
    data(port, &path)
}

#[test]
fn parquet_conversion_sigkill_and_answers_equal_tsdb() {
    let env = Env::start();
    let om = env.path().join("data.om");
    std::fs::write(&om, openmetrics()).expect("write openmetrics");
    let local = env.path().join("blocks");
    promtool::create_blocks(&om, &local);
    let mut upload = Command::new(mnemos_bin());
    upload
        .args(["tools", "bucket", "upload"])
        .arg(format!("--objstore.config-file={}", env.config.display()))
        .args(["--label=cluster=eu", "--label=replica=a"])
        .args(promtool::blocks_in(&local));
    mnemos_e2e::process::stdout_of(&mut upload);

    // Compaction and downsampling first: raw, 5m and 1h blocks.
    env.compact(&["--compact.concurrency=2"]);
    let blocks = env.blocks();
    let live: Vec<_> = blocks.live().map(|(id, m)| (*id, m.clone())).collect();
    for res in [0, 300_000, 3_600_000] {
        assert!(
            live.iter().any(|(_, m)| m.resolution() == res),
            "a block at resolution {res}: {live:?}"
        );
    }
    assert!(blocks.parquet_converted.is_empty());

    // A converting compactor, SIGKILLed once a block's Parquet files are uploaded.
    let log = env.path().join("compact-killed.log");
    let mut cmd = env.compact_cmd(
        "compact",
        free_port(),
        &[
            "--parquet.convert.enabled",
            "--parquet.convert.min-block-duration=0s",
            "--wait",
        ],
    );
    let guard = ChildGuard::spawn("compact-killed", &mut cmd, &log);
    let half = wait_for(Duration::from_secs(120), Duration::from_millis(5), || {
        env.keys("")
            .iter()
            .find(|k| k.ends_with(".chunks.parquet"))
            .cloned()
    });
    let pid = guard.pid();
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    drop(guard);
    let half = half.expect("the compactor uploads a Parquet file");
    let after_kill = env.blocks();
    // A mark is never there without its files.
    for id in &after_kill.parquet_converted {
        let keys = env.keys(&format!("{id}/"));
        assert_eq!(
            keys.iter().filter(|k| k.ends_with(".parquet")).count(),
            2,
            "{id}: {keys:?}"
        );
    }
    eprintln!(
        "killed with {} converted blocks; {half} uploaded",
        after_kill.parquet_converted.len()
    );

    // What is not marked is served from TSDB: answers equal a TSDB-only gateway.
    {
        let tsdb = env.store("tsdb-killed", false);
        let parquet = env.store("parquet-killed", true);
        assert_eq!(
            parquet.metric("mnemos_store_parquet_blocks") as usize,
            after_kill.parquet_converted.len()
        );
        let req = SeriesRequest {
            min_time: START,
            max_time: START + DAYS * DAY,
            matchers: vec![m(Type::Re, "__name__", "pq_.*")],
            ..Default::default()
        };
        assert_eq!(
            series(parquet.grpc_port, req.clone()),
            series(tsdb.grpc_port, req)
        );
    }

    // The rerun converges: every live block converted, exactly its files and marks.
    env.compact(&[
        "--parquet.convert.enabled",
        "--parquet.convert.min-block-duration=0s",
    ]);
    let blocks = env.blocks();
    let live: Vec<_> = blocks.live().map(|(id, _)| *id).collect();
    assert_eq!(
        blocks.parquet_converted.iter().copied().collect::<Vec<_>>(),
        live,
        "every live block converted"
    );
    let markers = env.keys("parquet-markers/");
    assert_eq!(markers.len(), live.len(), "{markers:?}");
    for id in &live {
        let keys = env.keys(&format!("{id}/"));
        let parquet: Vec<&String> = keys.iter().filter(|k| k.ends_with(".parquet")).collect();
        assert_eq!(parquet.len(), 2, "{id}: {keys:?}");
        assert!(keys.contains(&format!("{id}/parquet-converter-mark.json")));
    }

    // Both gateways over the converted bucket.
    let tsdb = env.store("tsdb", false);
    let parquet = env.store("parquet", true);
    assert_eq!(
        parquet.metric("mnemos_store_parquet_blocks") as usize,
        live.len()
    );
    assert_eq!(tsdb.metric("mnemos_store_parquet_blocks"), 0.0);
    let samples = assert_same_series(tsdb.grpc_port, parquet.grpc_port);
    assert!(samples > 100_000, "compared {samples} samples");
    // The Parquet gateway keeps no index header on disk.
    let headers = std::fs::read_dir(env.path().join("parquet").join("blocks"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(headers, 0, "no local state for Parquet blocks");

    let (q_tsdb, q_parquet) = (
        querier(&env, "tsdb", &tsdb),
        querier(&env, "parquet", &parquet),
    );
    for query in [
        "pq_gauge",
        "sum by (job) (rate(pq_requests_total[1h]))",
        "max_over_time(pq_gauge{instance=~\"h[01]\"}[6h])",
        "increase(pq_requests_total{job=\"db\"}[1d])",
    ] {
        for res in ["0s", "5m", "1h"] {
            let want = range_query(q_tsdb.http_port, query, res);
            let got = range_query(q_parquet.http_port, query, res);
            assert!(
                want["result"].as_array().is_some_and(|a| !a.is_empty()),
                "{query} at {res}: empty answer"
            );
            assert_eq!(got, want, "{query} at {res}");
        }
    }
}
