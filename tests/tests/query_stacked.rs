//! Stacked queriers (issue #18, item 1), all real processes on 127.0.0.1: two regions, each
//! with its own target scraped by two Prometheus 2.42 replicas (`replica="a"` / `"b"`),
//! their sidecars shipping to one Garage bucket, a store gateway serving only its region's
//! blocks (`--selector.relabel-config`), and a regional querier over the three. A global
//! querier over the two regional queriers' gRPC StoreAPI must answer exactly as one querier
//! over all six endpoints: one series per target with deduplication (replica labels honoured
//! through both levels), one per replica without; the regional queriers announce themselves
//! as `query` endpoints with their regions' label sets; a querier reaching them as endpoint
//! groups (`--endpoint-group`, `--endpoint-group-strict`) answers the same; a failed
//! sidecar in one region is a warning passed up to the global answer, or its error without
//! partial responses.

use std::path::Path;
use std::time::Duration;

use mnemos_e2e::component::Component;
use mnemos_e2e::garage::Garage;
use mnemos_e2e::http::{self, encode};
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::promapi::data;
use mnemos_e2e::prometheus::{Prometheus, TestTarget};
use mnemos_e2e::promql_diff::{now_ms, secs};
use serde_json::Value;

/// One region: its target, replicas, sidecars, store gateway and querier.
struct Region {
    name: &'static str,
    _target: TestTarget,
    replicas: Vec<Prometheus>,
    sidecars: Vec<Component>,
    store: Component,
    querier: Component,
}

impl Region {
    fn start(work: &Path, name: &'static str, objstore: &Path) -> Self {
        let target = TestTarget::clock();
        let mut replicas = Vec::new();
        let mut sidecars = Vec::new();
        for replica in ["a", "b"] {
            let config = format!(
                "global: {{scrape_interval: 1s, external_labels: {{region: {name}, replica: {replica}}}}}\nscrape_configs:\n  - job_name: clock\n    static_configs: [{{targets: ['127.0.0.1:{}']}}]\n",
                target.port
            );
            let prom = Prometheus::start(
                work,
                &format!("prometheus-{name}-{replica}"),
                &config,
                "20s",
                free_port(),
            );
            sidecars.push(Component::start(
                work,
                &format!("sidecar-{name}-{replica}"),
                &[
                    "sidecar".to_string(),
                    format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
                    format!("--tsdb.path={}", prom.data_dir.display()),
                    format!("--objstore.config-file={}", objstore.display()),
                    "--shipper.sync-interval=1s".to_string(),
                ],
            ));
            replicas.push(prom);
        }
        let mut store = Component::start(
            work,
            &format!("store-{name}"),
            &[
                "store".to_string(),
                format!("--objstore.config-file={}", objstore.display()),
                format!("--data-dir={}", work.join(format!("store-{name}")).display()),
                "--sync-block-duration=1s".to_string(),
                format!(
                    "--selector.relabel-config=- action: keep\n  source_labels: [region]\n  regex: {name}\n"
                ),
            ],
        );
        store.wait_ready(Duration::from_secs(30));
        let endpoints: Vec<u16> = sidecars
            .iter()
            .map(|s| s.grpc_port)
            .chain([store.grpc_port])
            .collect();
        let querier = querier(work, &format!("query-{name}"), &endpoints);
        Self {
            name,
            _target: target,
            replicas,
            sidecars,
            store,
            querier,
        }
    }

    /// Whether both sidecars shipped a block and the store gateway serves them.
    fn shipped(&self) -> bool {
        self.sidecars
            .iter()
            .all(|s| s.metric("mnemos_shipper_uploads_total") >= 1.0)
            && self.store.metric("mnemos_store_blocks") >= 2.0
    }
}

/// A querier deduplicating `replica` over the StoreAPI endpoints on `ports`, ready.
fn querier(work: &Path, name: &str, ports: &[u16]) -> Component {
    let mut args = vec![
        "query".to_string(),
        "--query.replica-label=replica".to_string(),
        "--endpoint.refresh-interval=1s".to_string(),
        "--endpoint.info-timeout=2s".to_string(),
    ];
    args.extend(ports.iter().map(|p| format!("--endpoint=127.0.0.1:{p}")));
    let mut q = Component::start(work, name, &args);
    q.wait_ready(Duration::from_secs(30));
    q
}

/// The API answer (status, whole body) of a GET.
fn get(port: u16, path: &str) -> (u16, Value) {
    let r = http::get(port, path).expect("request");
    let v = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{path}: {e}: {}", r.body));
    (r.status, v)
}

/// A successful answer's data with its series sorted by labels (the order of equal-scored
/// series is not part of the API).
fn sorted_data(port: u16, path: &str) -> Value {
    let mut d = data(port, path);
    if let Some(result) = d["result"].as_array_mut() {
        result.sort_by_key(|s| s["metric"].to_string());
    }
    d
}

#[test]
fn global_querier_over_regional_queriers_equals_one_querier_over_all_endpoints() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let objstore = work.join("objstore.yml");
    std::fs::write(&objstore, garage.objstore_yaml(&garage.endpoint())).expect("write");
    let started = now_ms();
    let mut regions = [
        Region::start(work, "eu", &objstore),
        Region::start(work, "us", &objstore),
    ];
    let global = querier(
        work,
        "query-global",
        &[regions[0].querier.grpc_port, regions[1].querier.grpc_port],
    );
    let all_ports: Vec<u16> = regions
        .iter()
        .flat_map(|r| {
            r.sidecars
                .iter()
                .map(|s| s.grpc_port)
                .chain([r.store.grpc_port])
        })
        .collect();
    let single = querier(work, "query-single", &all_ports);
    // The regional queriers as endpoint groups (Thanos' flags; one address each here, since
    // no name resolves to several loopback addresses on a test machine).
    let mut grouped = Component::start(
        work,
        "query-grouped",
        &[
            "query".to_string(),
            "--query.replica-label=replica".to_string(),
            "--endpoint.refresh-interval=1s".to_string(),
            format!(
                "--endpoint-group=127.0.0.1:{}",
                regions[0].querier.grpc_port
            ),
            format!(
                "--endpoint-group-strict=127.0.0.1:{}",
                regions[1].querier.grpc_port
            ),
        ],
    );
    grouped.wait_ready(Duration::from_secs(30));
    let (g, s) = (global.http_port, single.http_port);

    let shipped = wait_for(Duration::from_secs(150), Duration::from_secs(1), || {
        regions.iter().all(Region::shipped).then_some(())
    });
    assert!(
        shipped.is_some(),
        "no blocks shipped and served within 150s"
    );

    // The regional queriers as the global one sees them.
    let stores = data(g, "/api/v1/stores");
    let queries = stores["query"].as_array().expect("query endpoints");
    assert_eq!(queries.len(), 2, "{stores}");
    for region in &regions {
        let addr = format!("127.0.0.1:{}", region.querier.grpc_port);
        let entry = queries
            .iter()
            .find(|e| e["name"] == addr.as_str())
            .unwrap_or_else(|| panic!("{addr} in {stores}"));
        let sets = entry["labelSets"].as_array().expect("labelSets");
        // Both replicas' label sets (the sidecars' and the store gateway's blocks').
        assert_eq!(sets.len(), 2, "{entry}");
        assert!(sets.iter().all(|s| s["region"] == region.name), "{entry}");
        assert!(entry["minTime"].as_i64().expect("minTime") <= started + 60_000);
    }

    // Same answers through two levels as through one, on ranges that cover shipped blocks
    // (store gateways) and the heads (sidecars).
    std::thread::sleep(Duration::from_secs(3));
    let end = now_ms() - 1_000;
    let start = started + 5_000;
    let range = |q: &str, extra: &str| {
        format!(
            "/api/v1/query_range?query={}&start={}&end={}&step=2{extra}",
            encode(q),
            secs(start),
            secs(end)
        )
    };
    let instant = |q: &str, extra: &str| {
        format!(
            "/api/v1/query?query={}&time={}{extra}",
            encode(q),
            secs(end)
        )
    };
    let up = sorted_data(g, &instant("up", ""));
    let up_series = up["result"].as_array().expect("result");
    assert_eq!(up_series.len(), 2, "one series per target: {up}");
    assert!(
        up_series
            .iter()
            .all(|s| s["metric"].get("replica").is_none()),
        "{up}"
    );
    let up_raw = sorted_data(g, &instant("up", "&dedup=false"));
    assert_eq!(
        up_raw["result"].as_array().map(Vec::len),
        Some(4),
        "{up_raw}"
    );
    let paths = [
        instant("up", ""),
        instant("up", "&dedup=false"),
        instant("clock_seconds", ""),
        range("rate(clock_requests_total[15s])", ""),
        range("rate(clock_requests_total[15s])", "&dedup=false"),
        range("sum by (region) (increase(clock_requests_total[30s]))", ""),
        range("clock_seconds", ""),
        range(
            "max_over_time(clock_seconds[10s])",
            "&partial_response=false",
        ),
    ];
    for path in &paths {
        let (two, one) = (sorted_data(g, path), sorted_data(s, path));
        assert!(
            !two["result"].as_array().is_some_and(Vec::is_empty),
            "{path}: empty"
        );
        assert_eq!(two, one, "{path}: global querier vs one querier");
        assert_eq!(
            sorted_data(grouped.http_port, path),
            two,
            "{path}: endpoint groups vs endpoints"
        );
    }
    let series = |port: u16| {
        data(
            port,
            &format!(
                "/api/v1/series?match[]={}&start={}&end={}",
                encode("clock_requests_total"),
                secs(start),
                secs(end)
            ),
        )
    };
    assert_eq!(series(g), series(s));
    assert_eq!(
        series(g).as_array().map(Vec::len),
        Some(4),
        "2 regions × 2 paths"
    );
    assert_eq!(data(g, "/api/v1/labels"), data(s, "/api/v1/labels"));
    assert_eq!(
        data(g, "/api/v1/label/region/values"),
        serde_json::json!(["eu", "us"])
    );
    let names = data(g, "/api/v1/labels");
    assert!(
        !names
            .as_array()
            .expect("names")
            .iter()
            .any(|n| n == "replica"),
        "{names}"
    );

    // Metric metadata and scrape targets from the sidecars' Prometheus servers, through one
    // and two levels, equal to what each Prometheus reports.
    let prom = &regions[0].replicas[0];
    for path in ["/api/v1/metadata", "/api/v1/metadata?metric=clock_seconds"] {
        let want = prom.api(path);
        assert!(
            !want.as_object().is_some_and(|o| o.is_empty()),
            "{path}: {want}"
        );
        assert_eq!(data(s, path), want, "{path}: one querier vs Prometheus");
        assert_eq!(data(g, path), want, "{path}: global querier vs Prometheus");
    }
    assert_eq!(
        data(g, "/api/v1/metadata?limit=1")
            .as_object()
            .map(|o| o.len()),
        Some(1)
    );
    let stable = |t: &Value| {
        let mut t = t.clone();
        for volatile in [
            "lastScrape",
            "lastScrapeDuration",
            "scrapeInterval",
            "scrapeTimeout",
        ] {
            t.as_object_mut().expect("target").remove(volatile);
        }
        t
    };
    let active = |port: u16, extra: &str| -> Vec<Value> {
        let mut t: Vec<Value> = data(port, &format!("/api/v1/targets?state=active{extra}"))
            ["activeTargets"]
            .as_array()
            .expect("activeTargets")
            .iter()
            .map(stable)
            .collect();
        t.sort_by_key(|t| t["labels"].to_string());
        t
    };
    let mut want: Vec<Value> = Vec::new();
    for region in &regions {
        let t = &region.replicas[0].api("/api/v1/targets?state=active")["activeTargets"][0];
        let mut t = stable(t);
        // The sidecar adds its external labels; deduplication removes `replica` again.
        for set in ["labels", "discoveredLabels"] {
            t[set]["region"] = Value::String(region.name.to_string());
        }
        want.push(t);
    }
    want.sort_by_key(|t| t["labels"].to_string());
    assert_eq!(
        active(s, ""),
        want,
        "one target per region through one querier"
    );
    assert_eq!(active(g, ""), want, "and through two");
    assert_eq!(
        active(s, "&dedup=false").len(),
        4,
        "one per replica without dedup"
    );

    // A failed sidecar in one region: a warning through both levels, or the error.
    let us = &mut regions[1];
    let failed_port = us.sidecars[1].grpc_port;
    us.sidecars.pop().expect("sidecar").kill();
    let path = instant("up", "");
    let (status, body) = get(g, &path);
    assert_eq!(status, 200, "{body}");
    let warnings = body["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.contains(&failed_port.to_string()))),
        "the regional querier's warning names the failed sidecar: {body}"
    );
    assert_eq!(body["data"]["result"].as_array().map(Vec::len), Some(2));
    let (status, body) = get(g, &instant("up", "&partial_response=false"));
    assert_ne!(status, 200, "{body}");
    assert_eq!(body["status"], "error", "{body}");
}
