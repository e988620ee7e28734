//! prometheus-operator drop-in: `mnemos sidecar` started with the argument list the operator
//! gives its Thanos sidecar container (pkg/prometheus/server/statefulset.go, with object
//! storage, tracing, log, min-time, timeouts and the Prometheus HTTP client file set), next
//! to a real Prometheus 2.42 on `localhost:9090`, listening on `:10901` and `:10902` as in
//! the pod. The kubelet's `$(OBJSTORE_CONFIG)`/`$(TRACING_CONFIG)` expansions are done here;
//! the two volume paths (`/prometheus`, `/etc/thanos/config/…`) are the test's own
//! directories, the only change. With the operator's HTTP client file
//! (`tls_config: {insecure_skip_verify: true}`) the sidecar ships Prometheus' block to the
//! bucket and serves StoreAPI to a querier.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use mnemos_e2e::component::Component;
use mnemos_e2e::http;
use mnemos_e2e::mnemos_bin;
use mnemos_e2e::openmetrics::Spec;
use mnemos_e2e::otlp::OtlpSink;
use mnemos_e2e::process::{wait_for, ChildGuard};
use mnemos_e2e::prometheus::Prometheus;

/// The pod's fixed ports must be free on this machine.
fn assert_free(port: u16) {
    if let Err(e) = TcpListener::bind(("0.0.0.0", port)) {
        panic!(
            "port {port} is taken ({e}): the operator's arguments need it; stop what listens there"
        );
    }
}

#[test]
fn the_operators_sidecar_arguments_start_mnemos_unchanged() {
    for port in [9090, 10901, 10902] {
        assert_free(port);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    // A level-1 block in Prometheus' data directory (backfilled by promtool, 6 h old): what
    // the sidecar must ship.
    let spec = Spec::recent(11, 6);
    let blocks = Prometheus::seed_blocks(work, "prometheus", &spec);
    let prom = Prometheus::start_self_scraping_in(
        work,
        "prometheus",
        "prometheus: monitoring/k8s, prometheus_replica: prometheus-k8s-0",
        9090,
    );
    let objstore = format!(
        "type: FILESYSTEM\nconfig:\n  directory: {}\n",
        work.join("bucket").display()
    );
    let tracing = OtlpSink::start();
    let http_client = work.join("prometheus.http-client-file.yaml");
    // The Secret the operator writes (its test pins this exact text).
    std::fs::write(&http_client, "tls_config:\n  insecure_skip_verify: true\n").expect("write");
    let args = [
        "sidecar".to_string(),
        "--prometheus.url=http://localhost:9090/".to_string(),
        "--grpc-address=:10901".to_string(),
        "--http-address=:10902".to_string(),
        format!("--objstore.config={objstore}"),
        format!("--tsdb.path={}", prom.data_dir.display()),
        format!("--tracing.config={}", tracing.tracing_yaml()),
        "--log.level=info".to_string(),
        "--log.format=logfmt".to_string(),
        "--min-time=-2w".to_string(),
        "--prometheus.ready_timeout=10m".to_string(),
        "--prometheus.get_config_timeout=30s".to_string(),
        "--prometheus.get_config_interval=30s".to_string(),
        format!("--prometheus.http-client-file={}", http_client.display()),
    ];
    let log = work.join("sidecar.log");
    let mut cmd = Command::new(mnemos_bin());
    cmd.args(&args);
    let mut sidecar = ChildGuard::spawn("sidecar", &mut cmd, &log);
    let ready = wait_for(Duration::from_secs(60), Duration::from_millis(200), || {
        sidecar.assert_running();
        http::get(10902, "/-/ready")
            .ok()
            .filter(|r| r.status == 200)
    });
    let text = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(ready.is_some(), "sidecar not ready on :10902: {}", text());
    assert!(
        text().contains("level=info"),
        "--log.format=logfmt writes logfmt: {}",
        text()
    );

    // A querier reads Prometheus' data through the sidecar's :10901.
    let mut query = Component::start(
        work,
        "query",
        &[
            "query".to_string(),
            "--endpoint=127.0.0.1:10901".to_string(),
            "--query.replica-label=prometheus_replica".to_string(),
        ],
    );
    query.wait_ready(Duration::from_secs(30));
    let bucket = work.join("bucket");
    let shipped = wait_for(Duration::from_secs(60), Duration::from_millis(300), || {
        let dirs = std::fs::read_dir(&bucket).ok()?;
        let n = dirs
            .filter_map(Result::ok)
            .filter(|d| d.path().join("meta.json").is_file())
            .count();
        (n == blocks.len()).then_some(())
    });
    assert!(
        shipped.is_some(),
        "the sidecar shipped no block: {}",
        text()
    );
    let at = (spec.start_ms + 300_000) / 1000;
    let r = http::get(
        query.http_port,
        &format!("/api/v1/query?query=count(mnemos_gauge)&time={at}"),
    )
    .expect("query");
    assert!(
        r.body.contains("\"result\":[{"),
        "the block's series through the sidecar: {}",
        r.body
    );
    let up = wait_for(Duration::from_secs(30), Duration::from_millis(300), || {
        let r = http::get(query.http_port, "/api/v1/query?query=up").ok()?;
        (r.status == 200 && r.body.contains("\"prometheus\":\"monitoring/k8s\"")).then_some(r.body)
    });
    assert!(
        up.is_some(),
        "up through the sidecar; sidecar log: {}",
        text()
    );
    sidecar.assert_running();
}
