//! The web UI (issue #19) in headless Chromium driven by Playwright (`ui/e2e/run.sh`, which
//! runs `ui/e2e/browser.mjs` with `playwright-core` and `/usr/bin/chromium`), against real
//! processes on 127.0.0.1: two Prometheus 2.42 replicas (`replica="a"`/`"b"`) of one target
//! with sidecars, a store gateway over a filesystem bucket the test fills (two streams,
//! a block marked for deletion, a partial upload), a querier over the three served under
//! `--web.route-prefix=/mnemos`, `mnemos tools bucket web` over the bucket, and the
//! compactor's block viewer.
//!
//! The browser types a query, runs it, and checks the table and the graph (deduplicated,
//! then with deduplication off: twice the series), a shared link with Prometheus' URL
//! parameters, a bad query's error, the stores page (every endpoint up, then one down after
//! its sidecar is killed), the block viewer (blocks, deletion mark, partial upload, a
//! block's details) and a graph of 1,000 series. Screenshots and the page figures (JS+CSS
//! transfer size, time to first graph) are written to the artefact directory printed by
//! the test (`$CARGO_TARGET_DIR/test-artifacts/web-ui`, else `target/test-artifacts/web-ui`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mnemos_e2e::component::Component;
use mnemos_e2e::http;
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::prometheus::{Prometheus, TestTarget};
use mnemos_tsdb::{BlockMeta, Labels};
use serde_json::{json, Value};

/// Series of `demo_items` each replica scrapes.
const ITEMS: usize = 3;
/// Series of `demo_big` (the responsiveness check).
const BIG: usize = 1000;
const HOUR: i64 = 3_600_000;

/// Where screenshots and figures go.
fn artifacts() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = base.join("test-artifacts/web-ui");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("artifact dir");
    dir
}

/// One Prometheus replica with its sidecar.
fn replica(work: &Path, name: &str, target: u16) -> (Prometheus, Component) {
    let config = format!(
        "global: {{scrape_interval: 1s, external_labels: {{cluster: eu, replica: {name}}}}}\n\
         scrape_configs:\n  - job_name: demo\n    static_configs: [{{targets: ['127.0.0.1:{target}']}}]\n"
    );
    let prom = Prometheus::start(
        work,
        &format!("prometheus-{name}"),
        &config,
        "2h",
        free_port(),
    );
    let mut sidecar = Component::start(
        work,
        &format!("sidecar-{name}"),
        &[
            "sidecar".to_string(),
            format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
            format!("--tsdb.path={}", prom.data_dir.display()),
        ],
    );
    sidecar.wait_ready(Duration::from_secs(30));
    (prom, sidecar)
}

/// Fills the bucket: stream `cluster="eu"` with two 2h blocks (the older marked for
/// deletion), stream `cluster="us"` with one, and a partial upload. Returns (blocks, the
/// deleted block's id, the partial upload's id).
fn fill_bucket(work: &Path, objstore: &str) -> (usize, String, String) {
    let rt = mnemos_e2e::runtime();
    let bucket = mnemos_e2e::open_bucket(objstore);
    let staging = work.join("staging");
    std::fs::create_dir_all(&staging).expect("staging");
    let day_ago = (mnemos_e2e::promql_diff::now_ms() / (2 * HOUR) - 36) * 2 * HOUR;
    let mut ids = Vec::new();
    for (cluster, mint) in [("eu", day_ago), ("eu", day_ago + 2 * HOUR), ("us", day_ago)] {
        let labels = (0..4)
            .map(|i| {
                Labels::from_pairs([("__name__", "ui_stored".to_string()), ("n", i.to_string())])
            })
            .collect();
        let meta = mnemos_e2e::write_and_upload_block(
            &rt,
            &bucket,
            &staging,
            labels,
            |i| {
                (0..120)
                    .map(|k| (mint + k * 60_000, (i * 10 + k as usize) as f64))
                    .collect()
            },
            BlockMeta::new(String::new(), mint, mint + 2 * HOUR),
            (&[("cluster", cluster)], "sidecar"),
        );
        ids.push(meta.ulid);
    }
    let deleted = ids[0].clone();
    rt.block_on(mnemos_block::write_mark(
        &bucket,
        deleted.parse().expect("ulid"),
        &mnemos_block::DeletionMark {
            id: deleted.parse().expect("ulid"),
            version: 1,
            details: "web UI test".into(),
            deletion_time: mnemos_e2e::promql_diff::now_ms() / 1000,
        },
    ))
    .expect("deletion mark");
    let partial = ulid::Ulid::new().to_string();
    rt.block_on(bucket.put(&format!("{partial}/chunks/000001"), vec![1u8; 64].into()))
        .expect("partial upload");
    (ids.len(), deleted, partial)
}

/// Runs the browser driver on `spec`; its last stdout line (JSON figures).
fn browser(work: &Path, name: &str, spec: &Value) -> Value {
    let path = work.join(format!("{name}.json"));
    std::fs::write(&path, spec.to_string()).expect("spec");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/e2e/run.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&path)
        .output()
        .expect("run ui/e2e/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser phase {name} failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("figures line {last:?}: {e}"))
}

/// The number of series a query returns through the querier, with `dedup`.
fn series_count(port: u16, query: &str, dedup: bool) -> usize {
    let path = format!(
        "/mnemos/api/v1/query?query={}&dedup={dedup}",
        http::encode(query)
    );
    http::get(port, &path)
        .ok()
        .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
        .and_then(|v| v["data"]["result"].as_array().map(Vec::len))
        .unwrap_or(0)
}

#[test]
fn query_stores_and_block_viewer_pages_in_headless_chromium() {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: scripts/install-test-deps.sh installs Debian's chromium"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path();
    let shots = artifacts();
    let target = TestTarget::serving(|n| {
        let mut body = String::from("# TYPE demo_items gauge\n");
        for i in 0..ITEMS {
            body.push_str(&format!(
                "demo_items{{item=\"{i}\"}} {}\n",
                i as u64 * 10 + n % 7
            ));
        }
        body.push_str("# TYPE demo_big gauge\n");
        for i in 0..BIG {
            body.push_str(&format!("demo_big{{i=\"{i}\"}} {}\n", (i as u64 + n) % 50));
        }
        body
    });
    let scraped_from = std::time::Instant::now();
    let (prom_a, sidecar_a) = replica(work, "a", target.port);
    let (_prom_b, sidecar_b) = replica(work, "b", target.port);

    let bucket_dir = work.join("bucket");
    std::fs::create_dir_all(&bucket_dir).expect("bucket dir");
    let objstore = format!(
        "type: FILESYSTEM\nconfig:\n  directory: {}\n",
        bucket_dir.display()
    );
    let (blocks, deleted, partial) = fill_bucket(work, &objstore);
    let objstore_file = work.join("bucket.yml");
    std::fs::write(&objstore_file, &objstore).expect("objstore file");
    let objstore_flag = format!("--objstore.config-file={}", objstore_file.display());

    let mut store = Component::start(
        work,
        "store",
        &[
            "store".to_string(),
            objstore_flag.clone(),
            format!("--data-dir={}", work.join("store").display()),
        ],
    );
    store.wait_ready(Duration::from_secs(30));
    let endpoints: Vec<String> = [&sidecar_a, &sidecar_b, &store]
        .iter()
        .map(|c| format!("127.0.0.1:{}", c.grpc_port))
        .collect();
    let mut args = vec![
        "query".to_string(),
        "--query.replica-label=replica".to_string(),
        "--endpoint.refresh-interval=1s".to_string(),
        "--web.route-prefix=/mnemos".to_string(),
    ];
    args.extend(endpoints.iter().map(|e| format!("--endpoint={e}")));
    let mut querier = Component::start(work, "query", &args);
    querier.wait_ready(Duration::from_secs(30));
    let web = Component::start_http(
        work,
        "bucket-web",
        &[
            "tools".to_string(),
            "bucket".to_string(),
            "web".to_string(),
            objstore_flag.clone(),
            "--label=cluster".to_string(),
        ],
    );

    // Both replicas scraped (and 1,000 series in), before the browser looks.
    let port = querier.http_port;
    let seen = wait_for(Duration::from_secs(60), Duration::from_millis(500), || {
        (series_count(port, "demo_items", false) == 2 * ITEMS
            && series_count(port, "demo_big", true) == BIG)
            .then_some(())
    });
    assert!(
        seen.is_some(),
        "replicas not scraped in time; log {}",
        querier.log.display()
    );
    // Half a minute of samples, so the 2-minute graphs (and their screenshots) show lines.
    std::thread::sleep(Duration::from_secs(30).saturating_sub(scraped_from.elapsed()));
    // The querier's own answer names the endpoints that answered (the UI's "Show endpoints").
    let r = http::get(port, "/mnemos/api/v1/query?query=demo_items").expect("query");
    let answered = r.header("mnemos-endpoints").unwrap_or_default();
    for e in &endpoints[..2] {
        assert!(
            answered.contains(e.as_str()),
            "{e} not in mnemos-endpoints: {answered:?}"
        );
    }

    let querier_url = format!("http://127.0.0.1:{port}/mnemos");
    let mut spec = json!({
        "phase": "healthy",
        "querier": querier_url,
        "bucket": format!("http://127.0.0.1:{}", web.http_port),
        "query": "demo_items",
        "graphRange": "2m",
        // The peer for the page figures: Prometheus' own UI on the same query and range.
        "prometheus": format!("http://127.0.0.1:{}", prom_a.port),
        "dedupSeries": ITEMS,
        "rawSeries": 2 * ITEMS,
        "badQuery": "sum(rate(demo_items[5m])",
        "badQueryError": "unclosed left parenthesis",
        "bigQuery": "demo_big",
        "bigSeries": BIG,
        "endpoints": endpoints,
        "down": [],
        "blocks": {"count": blocks, "deleted": deleted, "partial": partial},
        "screenshots": shots.display().to_string(),
    });
    let figures = browser(work, "healthy", &spec);
    println!("web UI figures: {figures}");
    std::fs::write(shots.join("figures.json"), figures.to_string()).expect("figures");

    // Sidecar b stops: the stores page shows it down, the others up.
    let down = endpoints[1].clone();
    sidecar_b.kill();
    spec["phase"] = json!("down");
    spec["bucket"] = Value::Null;
    spec["down"] = json!([down]);
    browser(work, "down", &spec);

    // The compactor serves the same viewer.
    let compact = Component::start_http(
        work,
        "compact",
        &[
            "compact".to_string(),
            objstore_flag,
            format!("--data-dir={}", work.join("compact").display()),
            "--wait".to_string(),
            "--wait-interval=1h".to_string(),
            "--web.external-prefix=/proxied/compactor".to_string(),
            "--web.route-prefix=/".to_string(),
        ],
    );
    let page = http::get(compact.http_port, "/blocks").expect("compactor /blocks");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("data-component=\"compact\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("src=\"/proxied/compactor/static/bucket.js?v="),
        "{}",
        page.body
    );
    let listed = wait_for(Duration::from_secs(30), Duration::from_millis(200), || {
        let r = http::get(compact.http_port, "/api/v1/blocks").ok()?;
        let v: Value = serde_json::from_str(&r.body).ok()?;
        (v["data"]["refreshedAt"].is_string()).then_some(v)
    })
    .expect("compactor block list");
    let ids: Vec<&str> = listed["data"]["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter_map(|b| b["ulid"].as_str())
        .collect();
    assert!(ids.contains(&deleted.as_str()), "{listed}");
    println!("screenshots in {}", shots.display());
}
