//! Hostile and heavy requests against real processes on 127.0.0.1: a Prometheus 2.42 with a
//! high-cardinality target, its sidecar, a store gateway over backfilled blocks in Garage
//! (S3), a StoreAPI endpoint that trickles one series every 2 s forever, and the querier over
//! all of them with a 5 s query timeout. Every request gets an error or a bounded answer
//! within its timeout, every process stays up and ready, and a normal query works after.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mnemos_e2e::component::Component;
use mnemos_e2e::garage::Garage;
use mnemos_e2e::http::{self, encode};
use mnemos_e2e::openmetrics::{self, Spec};
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::prometheus::{Prometheus, TestTarget};
use mnemos_e2e::promtool;
use mnemos_e2e::trickle::TrickleStore;
use mnemos_tsdb::meta::ThanosMeta;
use serde_json::Value;

/// The querier's `--query.timeout`.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Label values the target exposes (one series each).
const CARDINALITY: u64 = 20_000;
/// The querier's `--store.limits.request-series`, below [`CARDINALITY`].
const QUERIER_SERIES_LIMIT: u64 = 15_000;
/// The store gateway's `--store.limits.request-series`, below the backfill's 300 series.
const STORE_SERIES_LIMIT: u64 = 200;
/// A selector of half the wide series: under the querier's series limit.
const HALF: &str = "wide{cluster=\"live\",id=~\"00.*\"}";

fn json(r: &http::Response) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// POSTs a form and checks the answer came within the timeout (plus slack for a busy
/// machine) with one of `statuses`; returns the parsed body.
fn post(port: u16, path: &str, form: &str, statuses: &[u16], what: &str) -> Value {
    let started = Instant::now();
    let r = http::post_form(port, path, form).unwrap_or_else(|e| panic!("{what}: {e}"));
    let took = started.elapsed();
    assert!(
        took < QUERY_TIMEOUT + Duration::from_secs(10),
        "{what}: answered after {took:?}"
    );
    assert!(
        statuses.contains(&r.status),
        "{what}: status {} not in {statuses:?}: {}",
        r.status,
        &r.body[..r.body.len().min(500)]
    );
    json(&r)
}

fn error_of(v: &Value) -> String {
    v["error"].as_str().unwrap_or_default().to_string()
}

/// Sends a request head announcing `len` body bytes and only part of them; returns the
/// status line the server answers with.
fn oversized_body(port: u16, len: usize) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let head = format!(
        "POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\n\r\nquery="
    );
    s.write_all(head.as_bytes()).expect("write head");
    // Up to a megabyte of body; the server may answer (and close) before reading it.
    let _ = s.write_all(&vec![b'1'; 1 << 20]);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn backfill_and_upload(work: &Path, yaml: &str) {
    let spec = Spec {
        seed: 7,
        series: 300,
        samples_per_series: 500,
        label_names: 2,
        start_ms: 1_700_000_000_000,
        max_step_ms: 60_000,
    };
    let om = work.join("backfill.om");
    openmetrics::write(&spec, &om);
    let dir = work.join("backfill");
    promtool::create_blocks(&om, &dir);
    let rt = mnemos_e2e::runtime();
    let bucket = mnemos_e2e::open_bucket(yaml);
    for block in promtool::blocks_in(&dir) {
        let thanos = ThanosMeta {
            version: 1,
            labels: BTreeMap::from([("cluster".into(), "backfill".into())]),
            source: "test".into(),
            ..ThanosMeta::default()
        };
        rt.block_on(mnemos_block::upload_block(&bucket, &block, thanos))
            .expect("upload");
    }
}

#[test]
fn hostile_requests_get_bounded_answers_and_nothing_goes_down() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let yaml = garage.objstore_yaml(&garage.endpoint());
    backfill_and_upload(work, &yaml);
    let objstore = work.join("objstore.yml");
    std::fs::write(&objstore, &yaml).expect("write objstore config");

    // A target with CARDINALITY series of one metric.
    let target = TestTarget::serving(|n| {
        let mut body = String::from("# TYPE wide gauge\n");
        for i in 0..CARDINALITY {
            body.push_str(&format!("wide{{id=\"{i:06}\"}} {}\n", n + i));
        }
        body
    });
    let config = format!(
        "global: {{scrape_interval: 2s, external_labels: {{cluster: live, replica: a}}}}\nscrape_configs:\n  - job_name: wide\n    static_configs: [{{targets: ['127.0.0.1:{}']}}]\n",
        target.port
    );
    let prom = Prometheus::start(work, "prometheus", &config, "20s", free_port());
    let mut sidecar = Component::start(
        work,
        "sidecar",
        &[
            "sidecar".to_string(),
            format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
            format!("--tsdb.path={}", prom.data_dir.display()),
        ],
    );
    let mut store = Component::start(
        work,
        "store",
        &[
            "store".to_string(),
            format!("--objstore.config-file={}", objstore.display()),
            format!("--data-dir={}", work.join("store-data").display()),
            "--sync-block-duration=2s".to_string(),
            format!("--store.limits.request-series={STORE_SERIES_LIMIT}"),
        ],
    );
    store.wait_ready(Duration::from_secs(60));
    sidecar.wait_ready(Duration::from_secs(60));
    let trickle = TrickleStore::start(Duration::from_secs(2));
    let mut querier = Component::start(
        work,
        "query",
        &[
            "query".to_string(),
            format!("--endpoint=127.0.0.1:{}", sidecar.grpc_port),
            format!("--endpoint=127.0.0.1:{}", store.grpc_port),
            format!("--endpoint=127.0.0.1:{}", trickle.port),
            "--endpoint.refresh-interval=1s".to_string(),
            "--query.replica-label=replica".to_string(),
            format!("--query.timeout={}s", QUERY_TIMEOUT.as_secs()),
            "--query.max-concurrent=4".to_string(),
            format!("--store.limits.request-series={QUERIER_SERIES_LIMIT}"),
            "--web.max-request-body-bytes=1048576".to_string(),
        ],
    );
    querier.wait_ready(Duration::from_secs(30));
    let q = querier.http_port;
    // Wait until Prometheus has scraped the high-cardinality series.
    let scraped = wait_for(Duration::from_secs(60), Duration::from_secs(1), || {
        let v = post(
            prom.port,
            "/api/v1/query",
            "query=count(wide)",
            &[200],
            "count",
        );
        (v["data"]["result"][0]["value"][1].as_str() == Some(&CARDINALITY.to_string()))
            .then_some(())
    });
    assert!(scraped.is_some(), "the wide target was not scraped in time");

    // Label APIs over high cardinality: bounded by `limit`, and by the series limit.
    let r = http::get(
        q,
        &format!(
            "/api/v1/label/id/values?limit=10&match[]={}",
            encode("wide{cluster=\"live\"}")
        ),
    )
    .expect("label values");
    assert_eq!(r.status, 200, "{}", r.body);
    let v = json(&r);
    assert_eq!(v["data"].as_array().map(Vec::len), Some(10), "{v}");
    let v = post(
        q,
        "/api/v1/series",
        "match[]=wide%7Bcluster%3D%22live%22%7D&limit=10",
        &[200],
        "series limit",
    );
    assert_eq!(v["data"].as_array().map(Vec::len), Some(10), "{v}");
    assert!(v["warnings"].to_string().contains("truncated"), "{v}");
    let v = post(
        q,
        "/api/v1/series",
        "match[]=wide%7Bcluster%3D%22live%22%7D",
        &[422],
        "series over the limit",
    );
    assert!(error_of(&v).contains("exceeded series limit"), "{v}");
    // A PromQL selector over the series limit fails the same way; one under it is answered.
    let v = post(
        q,
        "/api/v1/query",
        &format!("query={}", encode("count(wide{cluster=\"live\"})")),
        &[422],
        "selector over the series limit",
    );
    assert!(error_of(&v).contains("exceeded series limit"), "{v}");
    let v = post(
        q,
        "/api/v1/query",
        &format!("query={}", encode(&format!("count({HALF})"))),
        &[200],
        "selector under the series limit",
    );
    assert_eq!(
        v["data"]["result"][0]["value"][1].as_str(),
        Some((CARDINALITY / 2).to_string().as_str()),
        "{v}"
    );
    // A store gateway refusing a selection over its own limit fails the query too, even
    // with partial responses on (an empty answer would look complete).
    let v = post(
        q,
        "/api/v1/query",
        &format!(
            "query={}&time=1700000300",
            encode("count({__name__=~\".+\",cluster=\"backfill\"})")
        ),
        &[422],
        "selector over the store's series limit",
    );
    assert!(error_of(&v).contains("exceeded series limit"), "{v}");
    assert!(error_of(&v).contains("ResourceExhausted"), "{v}");
    // Very deep and very long expressions: refused as bad data, or evaluated.
    let deep = vec!["1"; 20_000].join("+");
    let v = post(
        q,
        "/api/v1/query",
        &format!("query={}", encode(&deep)),
        &[400],
        "deep",
    );
    assert!(error_of(&v).contains("too complex"), "{v}");
    let parens = format!("{}1{}", "(".repeat(30_000), ")".repeat(30_000));
    post(
        q,
        "/api/v1/query",
        &format!("query={}", encode(&parens)),
        &[400],
        "parens",
    );
    let long = vec!["1"; 900].join("+");
    let v = post(
        q,
        "/api/v1/query",
        &format!("query={}", encode(&long)),
        &[200],
        "long",
    );
    assert_eq!(v["data"]["result"][1], "900", "{v}");

    // Huge subqueries and ranges: Prometheus' sample limit error, before any allocation.
    for query in [
        "max_over_time(vector(1)[100y:1ms])",
        "max_over_time(wide[30d:1ms])",
        "sum_over_time(rate(wide[1m])[1y:1s])",
    ] {
        let v = post(
            q,
            "/api/v1/query",
            &format!("query={}", encode(query)),
            &[422, 503],
            query,
        );
        let e = error_of(&v);
        assert!(
            e.contains("too many samples")
                || e.contains("timed out")
                || e.contains("exceeded series limit"),
            "{query}: {v}"
        );
    }

    // Huge regexes and matcher sets.
    let alternation: Vec<String> = (0..20_000).map(|i| format!("v{i:05}x")).collect();
    let huge_re = format!("wide{{id=~\"{}\"}}", alternation.join("|"));
    post(
        q,
        "/api/v1/query",
        &format!("query={}", encode(&huge_re)),
        &[200, 400, 422, 503],
        "huge regex",
    );
    let many: Vec<String> = (0..3_000).map(|i| format!("l{i}!=\"x\"")).collect();
    let many = format!("count(wide{{{}}})", many.join(","));
    post(
        q,
        "/api/v1/query",
        &format!("query={}", encode(&many)),
        &[200, 422, 503],
        "many matchers",
    );
    let nested_re = format!(
        "wide{{id=~\"{}\"}}",
        "(a|".repeat(5_000) + &")".repeat(5_000)
    );
    post(
        q,
        "/api/v1/query",
        &format!("query={}", encode(&nested_re)),
        &[200, 400, 422, 503],
        "nested regex",
    );

    // Without matchers the label calls reach the trickling store too, which never answers
    // them: a timeout, in time.
    let v = post(q, "/api/v1/labels", "", &[503], "label names");
    assert!(error_of(&v).contains("timed out"), "{v}");

    // A request body beyond the limit.
    let status = oversized_body(q, 64 << 20);
    assert!(status.contains("413"), "oversized body answered {status:?}");

    // The trickling store cannot keep a query alive past the timeout; it sees the stream end.
    let v = post(
        q,
        "/api/v1/query",
        "query=count(trickle)",
        &[503],
        "trickle",
    );
    assert!(error_of(&v).contains("timed out"), "{v}");
    let stopped = wait_for(Duration::from_secs(10), Duration::from_millis(200), || {
        (trickle.seen.stopped.load(Ordering::SeqCst) >= 1).then_some(())
    });
    assert!(
        stopped.is_some(),
        "the trickling stream was not closed after the timeout"
    );

    // A client that disconnects mid-query cancels it and the streams behind it.
    let before = trickle.seen.stopped.load(Ordering::SeqCst);
    {
        let mut s = TcpStream::connect(("127.0.0.1", q)).expect("connect");
        let body = "query=count(trickle)&timeout=60s";
        write!(
            s,
            "POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        std::thread::sleep(Duration::from_millis(1500));
    }
    let cancelled_at = Instant::now();
    let stopped = wait_for(Duration::from_secs(4), Duration::from_millis(100), || {
        (trickle.seen.stopped.load(Ordering::SeqCst) > before).then_some(())
    });
    assert!(
        stopped.is_some(),
        "the trickling stream went on after the client disconnected"
    );
    assert!(
        cancelled_at.elapsed() < QUERY_TIMEOUT,
        "cancelled only by the timeout"
    );

    // 50 heavy queries at once (over the live cluster, away from the trickling store): each
    // answered (or refused) within its timeout, and the machine not swamped.
    let heavy = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                s.spawn(move || {
                    let query = if i % 2 == 0 {
                        format!("sum(rate({HALF}[1m]))")
                    } else {
                        format!("topk(5, max_over_time({HALF}[10m:2s]))")
                    };
                    let started = Instant::now();
                    let r =
                        http::post_form(q, "/api/v1/query", &format!("query={}", encode(&query)))
                            .expect("heavy query");
                    (r.status, started.elapsed())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Vec<_>>()
    });
    for (status, took) in &heavy {
        assert!([200, 422, 503].contains(status), "heavy query: {status}");
        assert!(
            *took < QUERY_TIMEOUT + Duration::from_secs(10),
            "heavy query took {took:?}"
        );
    }
    assert!(
        heavy.iter().any(|(s, _)| *s == 200),
        "no heavy query succeeded: {heavy:?}"
    );

    // Everyone is still up and ready, and a normal query works.
    for c in [&mut querier, &mut store, &mut sidecar] {
        c.assert_running();
        assert_eq!(
            http::get(c.http_port, "/-/ready").expect("ready").status,
            200
        );
    }
    let v = post(
        q,
        "/api/v1/query",
        &format!("query={}", encode(&format!("count({HALF})"))),
        &[200],
        "normal",
    );
    assert_eq!(
        v["data"]["result"][0]["value"][1].as_str(),
        Some((CARDINALITY / 2).to_string().as_str()),
        "{v}"
    );
    drop(target);
}
