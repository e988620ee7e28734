//! Rules, alerts, exemplars and TSDB statistics through the querier (issue #18, item 3), all
//! real processes on 127.0.0.1: region `eu` with two Prometheus 2.42 replicas
//! (`replica="a"`/`"b"`) of one target, region `us` with one, each Prometheus evaluating a
//! rules file (a recording and an always-firing alerting rule, every second) and storing the
//! exemplars its target exposes in OpenMetrics (`--enable-feature=exemplar-storage`); a
//! sidecar next to each. A querier over the three sidecars (one level), and a global
//! querier over a regional `eu` querier and the `us` sidecar (two levels), must report what
//! each Prometheus reports: rules and alerts with the external labels the sidecars add to
//! rule labels, HA replicas merged (or apart with `dedup=false`), exemplars with external
//! labels on their series, and TSDB statistics added up over the sources.
//!
//! Normalised before comparing, because they differ between replicas and between calls:
//! `evaluationTime` and `lastEvaluation` (groups and rules: when and how long the last
//! evaluation ran) and the alerts' `activeAt` (when each replica's evaluation first saw the
//! alert). Everything else must be equal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mnemos_e2e::component::Component;
use mnemos_e2e::http::{self, encode};
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::promapi::data;
use mnemos_e2e::prometheus::{Prometheus, TestTarget};
use mnemos_e2e::promql_diff::{now_ms, secs};
use serde_json::{json, Value};

/// Gauge series the target exposes: the metric with the most series in every Prometheus.
const ITEMS: usize = 12;

/// A target exposing, in OpenMetrics, a counter with one fixed exemplar per series (so
/// replicas store the same exemplars) and `ITEMS` gauge series.
fn exemplar_target(region: &'static str) -> TestTarget {
    let exemplar_ms = now_ms() - 60_000;
    TestTarget::serving_as(
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        move |n| {
            let mut body = String::from(
                "# HELP demo_requests Requests served.\n# TYPE demo_requests counter\n",
            );
            for (path, value) in [("/a", 1.0), ("/b", 2.5)] {
                body.push_str(&format!(
                    "demo_requests_total{{path=\"{path}\"}} {n} # {{trace_id=\"{region}{path}\"}} {value} {}\n",
                    secs(exemplar_ms)
                ));
            }
            body.push_str("# TYPE demo_items gauge\n");
            for i in 0..ITEMS {
                body.push_str(&format!("demo_items{{item=\"{i}\"}} {i}\n"));
            }
            body.push_str("# EOF\n");
            body.into_bytes()
        },
    )
}

/// A rules file with a recording rule and an always-firing alerting rule.
fn rules_file(work: &Path, region: &str) -> PathBuf {
    let path = work.join(format!("rules-{region}.yml"));
    std::fs::write(
        &path,
        r#"groups:
  - name: demo
    interval: 1s
    rules:
      - record: job:demo_items:sum
        expr: sum by (job) (demo_items)
        labels:
          source: recording
      - alert: DemoAlwaysFiring
        expr: vector(1) > 0
        for: 0s
        labels:
          severity: page
        annotations:
          summary: "demo value {{ $value }}"
"#,
    )
    .expect("write rules");
    path
}

/// One Prometheus with its sidecar.
struct Replica {
    prom: Prometheus,
    sidecar: Component,
}

fn replica(work: &Path, region: &str, name: &str, target: u16, rules: &Path) -> Replica {
    let config = format!(
        "global: {{scrape_interval: 1s, evaluation_interval: 1s, external_labels: {{region: {region}, replica: {name}}}}}\n\
         rule_files: ['{}']\n\
         scrape_configs:\n  - job_name: demo\n    static_configs: [{{targets: ['127.0.0.1:{target}']}}]\n",
        rules.display()
    );
    let prom = Prometheus::start_with_flags(
        work,
        &format!("prometheus-{region}-{name}"),
        &config,
        ("2h", "2h"),
        free_port(),
        &["--enable-feature=exemplar-storage"],
    );
    let mut sidecar = Component::start(
        work,
        &format!("sidecar-{region}-{name}"),
        &[
            "sidecar".to_string(),
            format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
            format!("--tsdb.path={}", prom.data_dir.display()),
        ],
    );
    sidecar.wait_ready(Duration::from_secs(30));
    Replica { prom, sidecar }
}

/// A querier deduplicating `replica` over the endpoints on `ports`, ready.
fn querier(work: &Path, name: &str, ports: &[u16]) -> Component {
    let mut args = vec![
        "query".to_string(),
        "--query.replica-label=replica".to_string(),
        "--endpoint.refresh-interval=1s".to_string(),
    ];
    args.extend(ports.iter().map(|p| format!("--endpoint=127.0.0.1:{p}")));
    let mut q = Component::start(work, name, &args);
    q.wait_ready(Duration::from_secs(30));
    q
}

/// `v` without the fields that differ between replicas and calls (see the module docs).
fn stable(v: &Value) -> Value {
    let mut v = v.clone();
    // `get_mut`, not indexing: indexing a missing key inserts `null`.
    let groups = v.get_mut("groups").and_then(Value::as_array_mut);
    for group in groups.into_iter().flatten() {
        let g = group.as_object_mut().expect("group");
        g.remove("evaluationTime");
        g.remove("lastEvaluation");
        for rule in g["rules"].as_array_mut().into_iter().flatten() {
            let r = rule.as_object_mut().expect("rule");
            r.remove("evaluationTime");
            r.remove("lastEvaluation");
            for alert in r
                .get_mut("alerts")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                alert.as_object_mut().expect("alert").remove("activeAt");
            }
        }
    }
    let alerts = v.get_mut("alerts").and_then(Value::as_array_mut);
    for alert in alerts.into_iter().flatten() {
        alert.as_object_mut().expect("alert").remove("activeAt");
    }
    v
}

/// A Prometheus' rules answer as a querier reports it: the sidecar's external labels on
/// every rule's labels, without the replica label (deduplication).
fn with_external_labels(rules: &Value, region: &str) -> Value {
    let mut v = stable(rules);
    for group in v["groups"].as_array_mut().into_iter().flatten() {
        for rule in group["rules"].as_array_mut().into_iter().flatten() {
            let labels = rule
                .as_object_mut()
                .expect("rule")
                .entry("labels")
                .or_insert_with(|| json!({}));
            labels["region"] = Value::String(region.to_string());
        }
    }
    v
}

/// The groups of both regions' Prometheus servers, as one querier reports them (groups
/// sorted by file: `rules-eu.yml` before `rules-us.yml`).
fn expected_rules(eu: &Prometheus, us: &Prometheus, path: &str) -> Value {
    let mut groups = Vec::new();
    for (prom, region) in [(eu, "eu"), (us, "us")] {
        let v = with_external_labels(&prom.api(path), region);
        groups.extend(v["groups"].as_array().expect("groups").iter().cloned());
    }
    json!({ "groups": groups })
}

/// Alerts sorted (Prometheus lists them in no particular order), `activeAt` removed.
fn sorted_alerts(v: &Value) -> Vec<Value> {
    let mut alerts: Vec<Value> = stable(v)["alerts"].as_array().expect("alerts").to_vec();
    alerts.sort_by_key(Value::to_string);
    alerts
}

/// Exemplar series sorted by their labels, optionally with external labels added.
fn sorted_exemplars(v: &Value, region: Option<&str>) -> Vec<Value> {
    let mut series: Vec<Value> = v.as_array().expect("exemplars").to_vec();
    if let Some(region) = region {
        for s in &mut series {
            s["seriesLabels"]["region"] = Value::String(region.to_string());
        }
    }
    series.sort_by_key(|s| s["seriesLabels"].to_string());
    series
}

/// The API answer (status, whole body) of a GET.
fn get(port: u16, path: &str) -> (u16, Value) {
    let r = http::get(port, path).expect("request");
    let v = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{path}: {e}: {}", r.body));
    (r.status, v)
}

#[test]
fn rules_alerts_exemplars_and_tsdb_status_through_one_and_two_queriers() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let (eu_target, us_target) = (exemplar_target("eu"), exemplar_target("us"));
    let (eu_rules, us_rules) = (rules_file(work, "eu"), rules_file(work, "us"));
    let eu_a = replica(work, "eu", "a", eu_target.port, &eu_rules);
    let eu_b = replica(work, "eu", "b", eu_target.port, &eu_rules);
    let mut us_a = Some(replica(work, "us", "a", us_target.port, &us_rules));
    let us_sidecar_port = us_a.as_ref().map_or(0, |r| r.sidecar.grpc_port);
    let single = querier(
        work,
        "query-single",
        &[
            eu_a.sidecar.grpc_port,
            eu_b.sidecar.grpc_port,
            us_sidecar_port,
        ],
    );
    let regional = querier(
        work,
        "query-eu",
        &[eu_a.sidecar.grpc_port, eu_b.sidecar.grpc_port],
    );
    let global = querier(work, "query-global", &[regional.grpc_port, us_sidecar_port]);
    let (s, g) = (single.http_port, global.http_port);
    let proms: Vec<&Prometheus> = vec![&eu_a.prom, &eu_b.prom, &us_a.as_ref().expect("us").prom];
    let us = proms[2];

    // Every Prometheus has evaluated both rules, fires the alert and holds the exemplars.
    let exemplars_path = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        encode("demo_requests_total"),
        secs(now_ms() - 3_600_000),
        secs(now_ms() + 3_600_000)
    );
    let settled = wait_for(Duration::from_secs(40), Duration::from_millis(500), || {
        proms
            .iter()
            .all(|p| {
                let rules = p.api("/api/v1/rules");
                let health_ok = rules["groups"][0]["rules"]
                    .as_array()
                    .is_some_and(|r| r.len() == 2 && r.iter().all(|r| r["health"] == "ok"));
                let firing = p.api("/api/v1/alerts")["alerts"][0]["state"] == "firing";
                let exemplars = p.api(&exemplars_path).as_array().map_or(0, Vec::len) == 2;
                health_ok && firing && exemplars
            })
            .then_some(())
    });
    assert!(
        settled.is_some(),
        "rules, alerts or exemplars missing in 40s"
    );
    // The global querier sees the regional one's APIs once it has polled its Info.
    let seen = wait_for(Duration::from_secs(20), Duration::from_millis(500), || {
        (data(g, "/api/v1/rules")["groups"].as_array().map(Vec::len) == Some(2)).then_some(())
    });
    assert!(
        seen.is_some(),
        "the global querier lists both regions' groups"
    );

    // Rules, all and by type, through one and two levels.
    for path in [
        "/api/v1/rules",
        "/api/v1/rules?type=alert",
        "/api/v1/rules?type=record",
    ] {
        let want = expected_rules(&eu_a.prom, us, path);
        assert_eq!(
            want["groups"].as_array().map(Vec::len),
            Some(2),
            "{path}: {want}"
        );
        assert_eq!(stable(&data(s, path)), want, "{path}: one querier");
        assert_eq!(stable(&data(g, path)), want, "{path}: two queriers");
        // Replica b reports the same once its replica label is gone.
        assert_eq!(
            expected_rules(&eu_b.prom, us, path),
            want,
            "{path}: replicas agree"
        );
    }
    // Without deduplication the eu group holds each replica's rules, replica label kept.
    for port in [s, g] {
        let raw = data(port, "/api/v1/rules?dedup=false");
        let eu_group = &raw["groups"][0]["rules"];
        assert_eq!(eu_group.as_array().map(Vec::len), Some(4), "{raw}");
        let mut replicas: Vec<&str> = eu_group
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["labels"]["replica"].as_str())
            .collect();
        replicas.sort_unstable();
        assert_eq!(replicas, ["a", "a", "b", "b"]);
    }
    // Thanos' filters.
    let by_name = data(s, "/api/v1/rules?rule_name[]=DemoAlwaysFiring");
    assert_eq!(
        by_name["groups"][0]["rules"].as_array().map(Vec::len),
        Some(1),
        "{by_name}"
    );
    let us_only = data(
        g,
        &format!("/api/v1/rules?match[]={}", encode("{region=\"us\"}")),
    );
    assert_eq!(
        stable(&us_only)["groups"],
        expected_rules(&eu_a.prom, us, "/api/v1/rules")["groups"]
            .as_array()
            .map(|g| json!([g[1]]))
            .expect("groups")
    );
    let (status, body) = get(s, "/api/v1/rules?type=bogus");
    assert_eq!((status, &body["errorType"]), (400, &json!("bad_data")));

    // Alerts: the merged alerting rules' alerts (labels as Prometheus reports them: the
    // sidecar adds external labels to rules, not to alerts).
    let mut want_alerts = sorted_alerts(&eu_a.prom.api("/api/v1/alerts"));
    want_alerts.extend(sorted_alerts(&us.api("/api/v1/alerts")));
    want_alerts.sort_by_key(Value::to_string);
    assert_eq!(want_alerts.len(), 2);
    assert_eq!(
        sorted_alerts(&data(s, "/api/v1/alerts")),
        want_alerts,
        "one querier"
    );
    assert_eq!(
        sorted_alerts(&data(g, "/api/v1/alerts")),
        want_alerts,
        "two queriers"
    );
    assert_eq!(
        data(s, "/api/v1/alerts?dedup=false")["alerts"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "one alert per replica without dedup"
    );

    // Exemplars: each Prometheus' series with its external labels, replicas merged.
    let mut want = sorted_exemplars(&eu_a.prom.api(&exemplars_path), Some("eu"));
    assert_eq!(
        want,
        sorted_exemplars(&eu_b.prom.api(&exemplars_path), Some("eu")),
        "replicas store the same exemplars"
    );
    let want_us = sorted_exemplars(&us.api(&exemplars_path), Some("us"));
    want.extend(want_us.iter().cloned());
    want.sort_by_key(|s| s["seriesLabels"].to_string());
    assert_eq!(want.len(), 4, "{want:?}");
    for port in [s, g] {
        assert_eq!(sorted_exemplars(&data(port, &exemplars_path), None), want);
        let us_path = format!(
            "/api/v1/query_exemplars?query={}&start={}&end={}",
            encode("rate(demo_requests_total{region=\"us\"}[1m])"),
            secs(now_ms() - 3_600_000),
            secs(now_ms() + 3_600_000)
        );
        assert_eq!(
            sorted_exemplars(&data(port, &us_path), None),
            want_us,
            "a matcher on an external label selects that region only"
        );
        let raw = data(port, &format!("{exemplars_path}&dedup=false"));
        assert_eq!(raw.as_array().map(Vec::len), Some(6), "{raw}");
        assert_eq!(
            data(port, "/api/v1/query_exemplars?query=vector(1)"),
            Value::Null,
            "no selector: null, as Prometheus answers"
        );
    }
    let (status, body) = get(s, "/api/v1/query_exemplars?query=sum(");
    let (prom_status, prom_body) = get(us.port, "/api/v1/query_exemplars?query=sum(");
    assert_eq!(status, prom_status, "{body} vs {prom_body}");
    assert_eq!(body["errorType"], prom_body["errorType"]);

    // TSDB statistics: the sources' head statistics added up. Prometheus caches its
    // cardinality lists for 30 s, and the sidecars asked once at startup (empty head), so
    // the lists fill in up to 30 s after each Prometheus started.
    let top = |v: &Value| v["seriesCountByMetricName"][0].clone();
    let statistics_settled = wait_for(Duration::from_secs(60), Duration::from_secs(1), || {
        let per_prom: Vec<Value> = proms.iter().map(|p| p.api("/api/v1/status/tsdb")).collect();
        let items = json!({"name": "demo_items", "value": ITEMS});
        if !per_prom.iter().all(|v| top(v) == items) {
            return None;
        }
        let sum = |field: &str| -> i64 {
            per_prom
                .iter()
                .map(|v| v["headStats"][field].as_i64().unwrap_or(0))
                .sum()
        };
        let one = data(s, "/api/v1/status/tsdb");
        let two = data(g, "/api/v1/status/tsdb");
        let same_keys = one.as_object().map(|o| o.keys().collect::<Vec<_>>())
            == per_prom[0]
                .as_object()
                .map(|o| o.keys().collect::<Vec<_>>());
        (one["headStats"]["numSeries"].as_i64() == Some(sum("numSeries"))
            && one["headStats"]["numLabelPairs"].as_i64() == Some(sum("numLabelPairs"))
            && top(&one) == json!({"name": "demo_items", "value": 3 * ITEMS})
            && two["headStats"] == one["headStats"]
            && top(&two) == top(&one)
            && same_keys)
            .then_some(per_prom)
    });
    let per_prom = statistics_settled.unwrap_or_else(|| {
        panic!(
            "querier statistics never equal the sum of the sources': {}",
            data(s, "/api/v1/status/tsdb")
        )
    });
    let us_status = data(
        g,
        &format!("/api/v1/status/tsdb?match[]={}", encode("{region=\"us\"}")),
    );
    assert_eq!(
        us_status["headStats"]["numSeries"], per_prom[2]["headStats"]["numSeries"],
        "match[] selects sources by external labels"
    );
    assert_eq!(
        data(s, "/api/v1/status/tsdb?limit=1")["seriesCountByMetricName"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // A failed sidecar: a warning naming it, or the error without partial responses.
    if let Some(r) = us_a.take() {
        r.sidecar.kill();
        drop(r.prom);
    }
    let (status, body) = get(s, "/api/v1/rules");
    assert_eq!(status, 200, "{body}");
    assert!(
        body["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w
                .as_str()
                .is_some_and(|w| w.contains(&us_sidecar_port.to_string())))),
        "{body}"
    );
    assert_eq!(
        body["data"]["groups"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    let (status, body) = get(s, "/api/v1/alerts?partial_response=false");
    assert_eq!((status, &body["status"]), (503, &json!("error")), "{body}");
}
