//! The monitoring mixin (`deploy/mixin/`) against live components: a real Prometheus 2.42
//! scrapes a store gateway, a compactor, a sidecar (beside its own Prometheus) and a querier,
//! every target is up (so Prometheus parses what mnemos serves), and every metric name the
//! mixin lists for a component (`deploy/mixin/metrics.txt`, which `deploy/mixin/check.sh`
//! holds the alerts and dashboards to) is among the series Prometheus scraped from it.
//! A few families only appear with their first event (a failure, a mark); they are named
//! here with the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mnemos_e2e::bench::{bench_labels, BenchBucket, HOUR_MS};
use mnemos_e2e::component::Component;
use mnemos_e2e::http;
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::prometheus::Prometheus;

/// Families that print nothing until their first event, which this short, healthy run
/// never has: (component, or `*` for any; name prefix; the event).
const AFTER_FIRST_EVENT: [(&str, &str, &str); 8] = [
    (
        "*",
        "mnemos_objstore_bucket_operation_failures_total",
        "a bucket operation failing",
    ),
    (
        "query",
        "mnemos_query_endpoint_failures_total",
        "an endpoint failing",
    ),
    (
        "compact",
        "mnemos_compact_blocks_marked_total",
        "a no-compact or deletion mark",
    ),
    (
        "compact",
        "mnemos_compact_downsamples_total",
        "a block old enough to downsample",
    ),
    (
        "compact",
        "mnemos_compact_verifications_total",
        "a compaction to verify",
    ),
    (
        "compact",
        "mnemos_compact_deletion_mark_read_failures_total",
        "an unreadable deletion mark",
    ),
    (
        "sidecar",
        "mnemos_shipper_upload_failures_total",
        "a failed upload",
    ),
    (
        "sidecar",
        "mnemos_objstore_bucket_operation",
        "the sidecar's first upload (Prometheus cuts its first block after 2h)",
    ),
];

/// Whether `name` of `component` may be absent until its first event.
fn after_first_event(component: &str, name: &str) -> bool {
    AFTER_FIRST_EVENT
        .iter()
        .any(|(c, prefix, _)| (*c == "*" || *c == component) && name.starts_with(prefix))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// `deploy/mixin/metrics.txt`: component -> names.
fn mixin_metrics() -> BTreeMap<String, BTreeSet<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/mixin/metrics.txt");
    let text = std::fs::read_to_string(&path).expect("deploy/mixin/metrics.txt");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (name, component) = line.split_once('\t').expect("name<TAB>component");
        out.entry(component.trim().to_string())
            .or_default()
            .insert(name.trim().to_string());
    }
    out
}

#[test]
fn prometheus_scrapes_every_component_and_the_mixin_names_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    let bucket = BenchBucket::create(work);
    let mint = (now_ms() - 8 * HOUR_MS) / (2 * HOUR_MS) * (2 * HOUR_MS);
    for block in 0..2 {
        let start = mint + block * 2 * HOUR_MS;
        bucket.add_block(vec![bench_labels(0, "s0".into())], start, |_| {
            (0..240).map(|i| (start + i * 30_000, i as f64)).collect()
        });
    }
    let objstore = format!("--objstore.config-file={}", bucket.config.display());
    let mut store = Component::start(
        work,
        "store",
        &[
            "store".into(),
            objstore.clone(),
            format!("--data-dir={}", work.join("store-data").display()),
        ],
    );
    store.wait_ready(Duration::from_secs(30));
    let compact = Component::start_http(
        work,
        "compact",
        &[
            "compact".into(),
            objstore.clone(),
            "--wait".into(),
            "--wait-interval=1s".into(),
            "--consistency-delay=0s".into(),
            format!("--data-dir={}", work.join("compact-data").display()),
        ],
    );
    let prom = Prometheus::start_self_scraping(work, "prometheus", "replica: a");
    let mut sidecar = Component::start(
        work,
        "sidecar",
        &[
            "sidecar".into(),
            format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
            format!("--tsdb.path={}", prom.data_dir.display()),
            objstore,
            "--shipper.sync-interval=1s".into(),
        ],
    );
    sidecar.wait_ready(Duration::from_secs(30));
    let mut query = Component::start(
        work,
        "query",
        &[
            "query".into(),
            format!("--endpoint=127.0.0.1:{}", store.grpc_port),
            format!("--endpoint=127.0.0.1:{}", sidecar.grpc_port),
        ],
    );
    query.wait_ready(Duration::from_secs(30));
    // A query through both endpoints, so the query and store families have samples.
    let r = http::get(
        query.http_port,
        &format!(
            "/api/v1/query?query=bench_metric&time={}",
            (mint + HOUR_MS) / 1000
        ),
    )
    .expect("query");
    assert!(r.body.contains("bench_metric"), "{}", r.body);

    // The scraper.
    let targets: Vec<(&str, u16)> = vec![
        ("store", store.http_port),
        ("compact", compact.http_port),
        ("sidecar", sidecar.http_port),
        ("query", query.http_port),
    ];
    let mut config = String::from("global: {scrape_interval: 1s}\nscrape_configs:\n");
    for (job, port) in &targets {
        config.push_str(&format!(
            "  - job_name: {job}\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        ));
    }
    let scraper = Prometheus::start(work, "scraper", &config, "2h", free_port());
    let all_up = wait_for(Duration::from_secs(30), Duration::from_millis(500), || {
        let up = scraper.api("/api/v1/query?query=up");
        let results = up["result"].as_array().cloned().unwrap_or_default();
        (results.len() == targets.len() && results.iter().all(|r| r["value"][1] == "1"))
            .then_some(())
    });
    let targets_state = scraper.api("/api/v1/targets");
    assert!(
        all_up.is_some(),
        "not every component scraped: {targets_state}"
    );

    let mut missing = Vec::new();
    for (component, names) in mixin_metrics() {
        let query = format!("count by (__name__) ({{job=\"{component}\"}})");
        let scraped: BTreeSet<String> = scraper
            .api(&format!("/api/v1/query?query={}", http::encode(&query)))["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r["metric"]["__name__"].as_str().map(str::to_string))
            .collect();
        assert!(!scraped.is_empty(), "nothing scraped from {component}");
        for name in names {
            if !scraped.contains(&name) && !after_first_event(&component, &name) {
                missing.push(format!("{component}: {name}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "names in deploy/mixin/metrics.txt that the live components do not export:\n{}",
        missing.join("\n")
    );
}
