//! `mnemos query` end to end, all real processes on 127.0.0.1: two Prometheus 2.42
//! replicas (`replica="a"` / `"b"`) scraping the same target, their sidecars shipping blocks
//! to Garage (S3), a store gateway over the bucket, and the querier over all three.
//! - `up` and a counter `rate()` over a range spanning shipped blocks and the live head give
//!   one series per target with dedup and two without, equal to one Prometheus' answer
//!   within scrape jitter;
//! - Grafana's requests (GET and form POST) work: query, query_range, labels, label values,
//!   series, buildinfo;
//! - malformed requests get Prometheus' status codes and messages (checked against the
//!   real Prometheus);
//! - a killed sidecar gives a partial answer with a warning (an error with
//!   `partial_response=false`), the querier stays healthy and recovers when it returns;
//! - a replica stopped mid-range leaves no gap and no rate spike in the deduplicated result.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mnemos_e2e::component::Component;
use mnemos_e2e::garage::Garage;
use mnemos_e2e::http::{self, encode};
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::promapi::{data, matrix};
use mnemos_e2e::prometheus::{Prometheus, TestTarget};
use serde_json::Value;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

fn secs(ms: i64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

fn start_replica(work: &Path, replica: &str, target: u16) -> Prometheus {
    let port = free_port();
    let config = format!(
        "global: {{scrape_interval: 1s, external_labels: {{cluster: test, replica: {replica}}}}}\nscrape_configs:\n  - job_name: clock\n    static_configs: [{{targets: ['127.0.0.1:{target}']}}]\n"
    );
    Prometheus::start(work, &format!("prometheus-{replica}"), &config, "20s", port)
}

fn sidecar_args(work: &Path, prom: &Prometheus, yaml: &str) -> Vec<String> {
    let config = work.join("objstore.yml");
    std::fs::write(&config, yaml).expect("write objstore config");
    vec![
        "sidecar".to_string(),
        format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
        format!("--tsdb.path={}", prom.data_dir.display()),
        format!("--objstore.config-file={}", config.display()),
        "--shipper.sync-interval=1s".to_string(),
    ]
}

/// GET (or form POST) an API path; returns status and parsed body.
fn call(port: u16, path: &str, form: Option<&str>) -> (u16, Value) {
    let r = match form {
        None => http::get(port, path),
        Some(f) => http::post_form(port, path, f),
    }
    .expect("request");
    let v = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{path}: {e}: {}", r.body));
    (r.status, v)
}

fn range_path(query: &str, start: i64, end: i64, step: &str, extra: &str) -> String {
    format!(
        "/api/v1/query_range?query={}&start={}&end={}&step={step}{extra}",
        encode(query),
        secs(start),
        secs(end),
    )
}

fn labels_of(data: &Value) -> Vec<String> {
    let mut out: Vec<String> = data["result"]
        .as_array()
        .expect("result")
        .iter()
        .map(|s| s["metric"].to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn querier_deduplicates_replicas_across_sidecars_and_store_gateway() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let yaml = garage.objstore_yaml(&garage.endpoint());
    let target = TestTarget::clock();
    let prom_a = start_replica(work, "a", target.port);
    let mut prom_b = Some(start_replica(work, "b", target.port));
    let started = now_ms();
    let sidecar_a = Component::start(work, "sidecar-a", &sidecar_args(work, &prom_a, &yaml));
    let b_args = sidecar_args(work, prom_b.as_ref().expect("b"), &yaml);
    let mut sidecar_b = Some(Component::start(work, "sidecar-b", &b_args));
    let (b_grpc, b_http) = {
        let b = sidecar_b.as_ref().expect("sidecar b");
        (b.grpc_port, b.http_port)
    };
    let store_config = work.join("store-objstore.yml");
    std::fs::write(&store_config, &yaml).expect("write");
    let mut store = Component::start(
        work,
        "store",
        &[
            "store".to_string(),
            format!("--objstore.config-file={}", store_config.display()),
            format!("--data-dir={}", work.join("store-data").display()),
            "--sync-block-duration=1s".to_string(),
        ],
    );
    store.wait_ready(Duration::from_secs(30));
    let endpoints =
        [sidecar_a.grpc_port, b_grpc, store.grpc_port].map(|p| format!("--endpoint=127.0.0.1:{p}"));
    let mut args = vec![
        "query".to_string(),
        "--query.replica-label=replica".to_string(),
        "--endpoint.refresh-interval=1s".to_string(),
    ];
    args.extend(endpoints);
    let mut querier = Component::start(work, "query", &args);
    querier.wait_ready(Duration::from_secs(30));
    let q = querier.http_port;

    // Wait until both replicas shipped a block and the store gateway serves them.
    let shipped = wait_for(Duration::from_secs(150), Duration::from_secs(1), || {
        (sidecar_a.metric("mnemos_shipper_uploads_total") >= 1.0
            && sidecar_b
                .as_ref()
                .is_some_and(|b| b.metric("mnemos_shipper_uploads_total") >= 1.0)
            && store.metric("mnemos_store_blocks") >= 2.0)
            .then_some(())
    });
    assert!(
        shipped.is_some(),
        "no blocks shipped and synced within 150s"
    );
    // Let the head grow past the shipped blocks, then query both.
    std::thread::sleep(Duration::from_secs(5));
    let end = now_ms();
    let start = started + 5_000;

    // `up`: one series with dedup, one per replica without.
    let t = secs(end);
    let up = data(q, &format!("/api/v1/query?query=up&time={t}"));
    assert_eq!(
        labels_of(&up),
        [
            r#"{"__name__":"up","cluster":"test","instance":"127.0.0.1:TARGET","job":"clock"}"#
                .replace("TARGET", &target.port.to_string())
        ]
    );
    let up_raw = data(q, &format!("/api/v1/query?query=up&time={t}&dedup=false"));
    assert_eq!(labels_of(&up_raw).len(), 2, "{up_raw}");

    // A counter rate over shipped blocks and head: equal to replica a's own answer. The
    // window spans 15 scrapes, so one late scrape on a busy machine moves it little. Values
    // are compared only where the window lies wholly after the first scrapes: before that
    // it holds a replica's first few samples, which differ between replicas (each starts
    // scraping at its own offset), and so does the extrapolated rate.
    let rate = "rate(clock_requests_total[15s])";
    let settled = started + 20_000;
    let deduped = matrix(&data(q, &range_path(rate, start, end, "2s", "")));
    let all = matrix(&data(
        q,
        &range_path(rate, start, end, "2s", "&dedup=false"),
    ));
    assert_eq!(deduped.len(), 2, "one series per path: {deduped:?}");
    assert_eq!(all.len(), 4, "two paths × two replicas");
    let oracle = matrix(&prom_a.api(&range_path(rate, start, end, "2s", "")));
    assert_eq!(oracle.len(), 2);
    for ((labels, got), (_, want)) in deduped.iter().zip(&oracle) {
        assert!(!labels.contains("replica"), "{labels}");
        let steps = (end - start) / 2000;
        assert!(
            got.len() as i64 >= steps - 3,
            "{labels}: gaps: {} of {steps} steps",
            got.len()
        );
        let want: std::collections::BTreeMap<i64, f64> = want.iter().copied().collect();
        let mut compared = 0;
        for (t, v) in got.iter().filter(|(t, _)| *t >= settled) {
            if let Some(w) = want.get(t) {
                // Scrape jitter: replicas scrape at different offsets within the second.
                assert!(
                    (v - w).abs() <= 0.15 * w.abs().max(1.0),
                    "{labels} at {t}: {v} vs {w}"
                );
                compared += 1;
            }
        }
        let settled_steps = (end - settled) / 2000;
        assert!(
            compared as i64 >= settled_steps - 3,
            "{labels}: compared {compared} of {settled_steps} steps"
        );
    }
    let store_series = store.metric("mnemos_store_query_series_touched_sum");
    assert!(
        store_series > 0.0,
        "the store gateway served part of the range"
    );

    // Grafana: POST form queries, labels, values, series, buildinfo.
    let form = format!(
        "query={}&start={}&end={}&step=2",
        encode("sum by (path) (rate(clock_requests_total[15s]))"),
        secs(start),
        secs(end)
    );
    let (status, posted) = call(q, "/api/v1/query_range", Some(&form));
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted["data"]["result"].as_array().map(Vec::len), Some(2));
    let (status, posted) = call(q, "/api/v1/query", Some(&format!("query=up&time={t}")));
    assert_eq!(
        (status, posted["data"]["result"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let names = data(q, "/api/v1/labels");
    let names: Vec<&str> = names
        .as_array()
        .expect("names")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for want in ["__name__", "cluster", "instance", "job", "path"] {
        assert!(names.contains(&want), "{names:?}");
    }
    assert!(
        !names.contains(&"replica"),
        "replica label hidden with dedup: {names:?}"
    );
    let metrics = data(q, "/api/v1/label/__name__/values");
    let metrics: Vec<&str> = metrics
        .as_array()
        .expect("values")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for want in ["clock_requests_total", "clock_seconds", "up"] {
        assert!(metrics.contains(&want), "{metrics:?}");
    }
    let series = data(
        q,
        &format!(
            "/api/v1/series?match[]={}&start={}&end={}",
            encode("clock_requests_total"),
            secs(start),
            secs(end)
        ),
    );
    assert_eq!(series.as_array().map(Vec::len), Some(2), "{series}");
    let build = data(q, "/api/v1/status/buildinfo");
    assert!(build["version"].is_string(), "{build}");
    let stores = data(q, "/api/v1/stores");
    assert_eq!(
        stores["sidecar"].as_array().map(Vec::len),
        Some(2),
        "{stores}"
    );
    assert_eq!(
        stores["store"].as_array().map(Vec::len),
        Some(1),
        "{stores}"
    );

    // Malformed requests: the same status, error type and message as Prometheus 2.42.
    let bad = [
        "/api/v1/query?query=up&time=yesterday".to_string(),
        format!("/api/v1/query_range?query=up&start={t}&end={t}&step=0"),
        format!("/api/v1/query_range?query=up&start={t}&end={t}&step=fast"),
        format!(
            "/api/v1/query_range?query=up&start={t}&end={}&step=15",
            secs(end - 60_000)
        ),
        format!("/api/v1/query_range?query=up&start=0&end={t}&step=1"),
        format!("/api/v1/query_range?query=up&end={t}&step=15"),
        format!("/api/v1/query_range?query=up&start={t}&end={t}"),
        "/api/v1/series".to_string(),
        "/api/v1/label/0bad/values".to_string(),
        "/api/v1/labels?start=soon".to_string(),
    ];
    for path in &bad {
        let (status, got) = call(q, path, None);
        let want_raw = http::get(prom_a.port, path).expect("prometheus");
        let want: Value = serde_json::from_str(&want_raw.body).expect("json");
        assert_eq!(status, want_raw.status, "{path}: {got} vs {want}");
        assert_eq!(got["errorType"], want["errorType"], "{path}");
        assert_eq!(got["error"], want["error"], "{path}");
    }
    let (status, got) = call(
        q,
        &format!("/api/v1/query?query={}", encode("rate(up[5m]")),
        None,
    );
    assert_eq!(status, 400, "{got}");
    assert_eq!(got["errorType"], "bad_data");
    assert!(
        got["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("invalid parameter \"query\": ")),
        "{got}"
    );

    // A killed sidecar: partial answer with a warning, or an error when asked.
    if let Some(b) = sidecar_b.take() {
        b.kill();
    }
    let path = range_path(rate, start, now_ms(), "2s", "");
    let (status, partial) = call(q, &path, None);
    assert_eq!(status, 200, "{partial}");
    let warnings = partial["warnings"].to_string();
    assert!(
        warnings.contains(&format!("127.0.0.1:{b_grpc}")),
        "warning names the endpoint: {partial}"
    );
    assert_eq!(matrix(&partial["data"]).len(), 2, "replica a still answers");
    let (status, failed) = call(q, &format!("{path}&partial_response=false"), None);
    assert_eq!(status, 503, "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains(&b_grpc.to_string())),
        "{failed}"
    );
    assert_eq!(http::get(q, "/-/healthy").expect("healthy").status, 200);
    // It comes back on the same address: the querier recovers.
    let b_args = sidecar_args(work, prom_b.as_ref().expect("b"), &yaml);
    let sidecar_b_again =
        Component::start_on(work, "sidecar-b-again", &b_args, Some(b_grpc), b_http);
    let recovered = wait_for(Duration::from_secs(30), Duration::from_millis(500), || {
        let (status, v) = call(
            q,
            &range_path(rate, start, now_ms(), "2s", "&partial_response=false"),
            None,
        );
        (status == 200 && v.get("warnings").is_none()).then_some(())
    });
    assert!(
        recovered.is_some(),
        "querier did not recover after the sidecar returned"
    );

    // Replica b stops mid-range: no gap, no spike in the deduplicated rate.
    let stopped = now_ms();
    drop(prom_b.take());
    std::thread::sleep(Duration::from_secs(12));
    let end = now_ms();
    let from = stopped - 20_000;
    let (status, around) = call(q, &range_path(rate, from, end, "1s", ""), None);
    assert_eq!(status, 200, "{around}");
    let around = matrix(&around["data"]);
    assert_eq!(around.len(), 2, "{around:?}");
    for (labels, points) in &around {
        let expected = if labels.contains("/a") { 10.0 } else { 20.0 };
        let steps = (end - from) / 1000;
        assert!(
            points.len() as i64 >= steps - 2,
            "{labels}: {} points of {steps}: gap",
            points.len()
        );
        for w in points.windows(2) {
            assert!(
                w[1].0 - w[0].0 <= 1000,
                "{labels}: gap between {} and {}",
                w[0].0,
                w[1].0
            );
        }
        for (t, v) in points {
            assert!(
                (v - expected).abs() <= 0.25 * expected,
                "{labels} at {t} (replica b stopped at {stopped}): rate {v}, expected about {expected}"
            );
        }
    }
    assert_eq!(http::get(q, "/-/ready").expect("ready").status, 200);
    assert!(querier.metric("mnemos_query_endpoint_failures_total") >= 1.0);
    querier.assert_running();
    drop(sidecar_b_again);
}

/// Endpoints found by DNS (`dns+localhost:port`) and by file SD (reread when the file
/// changes, dropped when removed from it), as `/api/v1/stores` shows them.
#[test]
fn querier_discovers_endpoints_by_dns_and_file_sd() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let bucket = work.join("bucket");
    std::fs::create_dir_all(&bucket).expect("bucket dir");
    let objstore = format!(
        "type: FILESYSTEM\nconfig:\n  directory: {}\n",
        bucket.display()
    );
    let mut store = Component::start(
        work,
        "store",
        &[
            "store".to_string(),
            format!("--objstore.config={objstore}"),
            format!("--data-dir={}", work.join("store-data").display()),
        ],
    );
    store.wait_ready(Duration::from_secs(30));
    let addr = format!("127.0.0.1:{}", store.grpc_port);
    let healthy_names = |port: u16| -> Vec<String> {
        let stores = data(port, "/api/v1/stores");
        stores
            .as_object()
            .expect("stores by type")
            .values()
            .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            .filter(|e| e["healthy"] == true)
            .filter_map(|e| e["name"].as_str().map(str::to_string))
            .collect()
    };

    let mut by_dns = Component::start(
        work,
        "query-dns",
        &[
            "query".to_string(),
            format!("--endpoint=dns+localhost:{}", store.grpc_port),
        ],
    );
    by_dns.wait_ready(Duration::from_secs(30));
    assert!(
        healthy_names(by_dns.http_port).contains(&addr),
        "dns+ endpoint"
    );

    let sd = work.join("stores.yml");
    std::fs::write(&sd, "- targets: []\n").expect("write sd file");
    let mut by_file = Component::start(
        work,
        "query-file",
        &[
            "query".to_string(),
            format!("--store.sd-files={}", sd.display()),
            "--endpoint.refresh-interval=500ms".to_string(),
        ],
    );
    by_file.wait_ready(Duration::from_secs(30));
    assert!(healthy_names(by_file.http_port).is_empty());
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(&sd, format!("- targets: ['{addr}']\n")).expect("write sd file");
    let found = wait_for(Duration::from_secs(20), Duration::from_millis(200), || {
        healthy_names(by_file.http_port)
            .contains(&addr)
            .then_some(())
    });
    assert!(found.is_some(), "file SD change not picked up");
    // A later modification time, so the change is seen even on coarse-mtime filesystems.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(&sd, "- targets: []\n").expect("write sd file");
    let dropped = wait_for(Duration::from_secs(20), Duration::from_millis(200), || {
        healthy_names(by_file.http_port).is_empty().then_some(())
    });
    assert!(
        dropped.is_some(),
        "endpoint removed from the file is still listed"
    );
}

/// Two replicas scrape the same target; replica a is stopped for 3 minutes and restarted
/// (same data directory, same port; its sidecar keeps running). The deduplicated `rate()`
/// over the whole range has a point at every step and stays within 10% of replica b's own
/// `rate()` at every step: the merge switches to b at a's last sample, back nowhere, and
/// the counter never looks reset.
#[test]
fn replica_stopped_for_three_minutes_then_restarted_leaves_no_gap() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let target = TestTarget::clock();
    let prom_a = start_replica(work, "a", target.port);
    let prom_b = start_replica(work, "b", target.port);
    let (a_port, a_config) = (
        prom_a.port,
        std::fs::read_to_string(work.join("prometheus-a.yml")),
    );
    let started = now_ms();
    let sidecar = |name: &str, prom: &Prometheus| {
        let mut args = sidecar_args(work, prom, "");
        args.retain(|a| !a.starts_with("--objstore") && !a.starts_with("--shipper"));
        Component::start(work, name, &args)
    };
    let sidecar_a = sidecar("sidecar-a", &prom_a);
    let sidecar_b = sidecar("sidecar-b", &prom_b);
    let mut args = vec![
        "query".to_string(),
        "--query.replica-label=replica".to_string(),
        "--endpoint.refresh-interval=1s".to_string(),
    ];
    args.extend(
        [sidecar_a.grpc_port, sidecar_b.grpc_port].map(|p| format!("--endpoint=127.0.0.1:{p}")),
    );
    let mut querier = Component::start(work, "query", &args);
    querier.wait_ready(Duration::from_secs(30));
    let q = querier.http_port;

    std::thread::sleep(Duration::from_secs(30));
    let stopped = now_ms();
    prom_a.stop(Duration::from_secs(20));
    std::thread::sleep(Duration::from_secs(180));
    let restarted = now_ms();
    let config = a_config.expect("replica a's config");
    let _prom_a = Prometheus::start(work, "prometheus-a", &config, "20s", a_port);
    std::thread::sleep(Duration::from_secs(30));
    let end = now_ms();

    let rate = "rate(clock_requests_total[15s])";
    // From when both replicas have a full window of samples.
    let start = started + 20_000;
    let (status, got) = call(q, &range_path(rate, start, end, "1s", ""), None);
    assert_eq!(status, 200, "{got}");
    let got = matrix(&got["data"]);
    let want = matrix(&prom_b.api(&range_path(rate, start, end, "1s", "")));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(want.len(), 2, "{want:?}");
    let steps = (end - start) / 1000 + 1;
    for ((labels, g), (_, w)) in got.iter().zip(&want) {
        assert!(!labels.contains("replica"), "{labels}");
        assert_eq!(
            g.len() as i64,
            steps,
            "{labels}: a gap (a stopped at {stopped}, restarted at {restarted})"
        );
        let w: BTreeMap<i64, f64> = w.iter().copied().collect();
        for (t, v) in g {
            let b = w
                .get(t)
                .unwrap_or_else(|| panic!("{labels}: replica b has no rate at {t}"));
            assert!(
                (v - b).abs() <= 0.1 * b.abs(),
                "{labels} at {t} (a stopped at {stopped}, restarted at {restarted}): deduplicated {v}, replica b {b}"
            );
        }
    }
    querier.assert_running();
}
