//! "The chart's commands work": the Helm chart (`helm/mnemos`, rendered by the pinned Helm
//! 3.19) and the plain-Prometheus example (`deploy/kubernetes/prometheus-with-sidecar.yaml`)
//! give containers whose exact args and env start the real binary. Each rendered Secret and
//! ConfigMap is written at its mount path (mapped to a local directory); only listen
//! addresses, mount paths and the endpoints' DNS names are mapped, and the mapping is
//! printed. Against Garage: the example's sidecar beside a real Prometheus ships its block;
//! two store gateway shards (hashmod on `__block_id`) split the bucket's blocks between
//! them; the compactor and the querier come up; the querier answers with the block's series
//! read from a store gateway; the query-frontend in front of it gives the same range answer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mnemos_e2e::component::metric_sum;
use mnemos_e2e::garage::Garage;
use mnemos_e2e::http;
use mnemos_e2e::mnemos_bin;
use mnemos_e2e::openmetrics::Spec;
use mnemos_e2e::process::{free_port, run_ok, wait_for, ChildGuard};
use mnemos_e2e::prometheus::Prometheus;
use serde_yaml_ng::Value;

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The pinned helm (installed by `scripts/check-helm.sh` when missing).
fn helm() -> PathBuf {
    let out = run_ok(Command::new(root().join("scripts/check-helm.sh")).arg("--install-only"));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The documents of a multi-document YAML text.
fn documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML document"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn str_of<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut v = v;
    for key in path {
        v = &v[*key];
    }
    v.as_str().unwrap_or("")
}

/// A rendered container, ready to run here.
struct Workload {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    http_port: u16,
    grpc_port: Option<u16>,
}

/// Maps a rendered workload (Deployment or StatefulSet) to local paths and ports: volumes
/// become directories under `work/<name>/`, Secrets and ConfigMaps are written there,
/// listen addresses get free 127.0.0.1 ports, endpoints' DNS names become `endpoints`.
fn localize(
    work: &Path,
    object: &Value,
    config: &BTreeMap<String, BTreeMap<String, String>>,
    endpoints: &BTreeMap<String, Vec<String>>,
    mapping: &mut Vec<String>,
) -> Workload {
    let name = str_of(object, &["metadata", "name"]).to_string();
    let pod = &object["spec"]["template"]["spec"];
    let container = pod["containers"]
        .as_sequence()
        .and_then(|c| {
            c.iter().find(|c| {
                matches!(
                    c["args"][0].as_str(),
                    Some("sidecar" | "store" | "query" | "compact" | "query-frontend")
                )
            })
        })
        .expect("a mnemos container")
        .clone();
    // Volumes: name -> local directory, filled from its Secret or ConfigMap.
    let mut mounts: Vec<(String, PathBuf)> = Vec::new();
    for m in container["volumeMounts"]
        .as_sequence()
        .cloned()
        .unwrap_or_default()
    {
        let vol = str_of(&m, &["name"]).to_string();
        let mount = str_of(&m, &["mountPath"]).to_string();
        let local = work.join(&name).join(&vol);
        std::fs::create_dir_all(&local).expect("volume dir");
        let source = pod["volumes"]
            .as_sequence()
            .and_then(|vs| vs.iter().find(|v| str_of(v, &["name"]) == vol))
            .cloned();
        let from = source.as_ref().and_then(|v| {
            let secret = str_of(v, &["secret", "secretName"]);
            let cm = str_of(v, &["configMap", "name"]);
            config.get(if secret.is_empty() { cm } else { secret })
        });
        if let Some(files) = from {
            for (key, text) in files {
                std::fs::write(local.join(key), text).expect("write mounted file");
            }
        }
        mapping.push(format!("{name}: {mount} -> {}", local.display()));
        mounts.push((mount, local));
    }
    mounts.sort_by_key(|(m, _)| std::cmp::Reverse(m.len()));
    let http_port = free_port();
    let mut grpc_port = None;
    let mut args = Vec::new();
    for arg in container["args"].as_sequence().cloned().unwrap_or_default() {
        let arg = arg.as_str().expect("string arg").to_string();
        let (flag, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        let mapped: Vec<String> = if flag == "--http-address" {
            vec![format!("{flag}=127.0.0.1:{http_port}")]
        } else if flag == "--grpc-address" {
            let port = free_port();
            grpc_port = Some(port);
            vec![format!("{flag}=127.0.0.1:{port}")]
        } else if flag == "--endpoint" {
            let local = endpoints
                .iter()
                .find(|(dns, _)| value.contains(dns.as_str()))
                .map(|(_, addrs)| addrs.clone())
                .unwrap_or_else(|| panic!("no local endpoint for {value}"));
            local.iter().map(|a| format!("--endpoint={a}")).collect()
        } else if let Some((mount, local)) =
            mounts.iter().find(|(m, _)| value.starts_with(m.as_str()))
        {
            vec![format!(
                "{flag}={}{}",
                local.display(),
                &value[mount.len()..]
            )]
        } else {
            vec![arg.clone()]
        };
        if mapped != [arg.clone()] {
            mapping.push(format!("{name}: {arg} -> {}", mapped.join(" ")));
        }
        args.extend(mapped);
    }
    let env = container["env"]
        .as_sequence()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let value = e["value"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: env {:?} without a plain value", e["name"]));
            (str_of(e, &["name"]).to_string(), value.to_string())
        })
        .collect();
    Workload {
        name,
        args,
        env,
        http_port,
        grpc_port,
    }
}

/// Starts a workload with the real binary and waits for `/-/ready`.
fn run(work: &Path, w: &Workload) -> ChildGuard {
    let mut cmd = Command::new(mnemos_bin());
    cmd.args(&w.args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in &w.env {
        cmd.env(k, v);
    }
    let log = work.join(format!("{}.log", w.name));
    let mut guard = ChildGuard::spawn(&w.name, &mut cmd, &log);
    let ready = wait_for(Duration::from_secs(60), Duration::from_millis(200), || {
        guard.assert_running();
        http::get(w.http_port, "/-/ready")
            .ok()
            .filter(|r| r.status == 200)
    });
    assert!(
        ready.is_some(),
        "{} not ready: {}",
        w.name,
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    guard
}

/// Secrets' `stringData` and ConfigMaps' `data`, by object name.
fn config_files(objects: &[Value]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for o in objects {
        let data = match str_of(o, &["kind"]) {
            "Secret" => &o["stringData"],
            "ConfigMap" => &o["data"],
            _ => continue,
        };
        let files = data
            .as_mapping()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().unwrap_or("").to_string(),
                            v.as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(str_of(o, &["metadata", "name"]).to_string(), files);
    }
    out
}

#[test]
fn the_charts_commands_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    let garage = Garage::start(work);
    let objstore = garage.objstore_yaml(&garage.endpoint());
    let values = work.join("values.yaml");
    let indented: String = objstore.lines().map(|l| format!("    {l}\n")).collect();
    std::fs::write(
        &values,
        format!(
            "objstore:\n  config:\n{indented}storegateway:\n  shards: 2\n  persistence: {{enabled: false}}\n  syncBlockDuration: 1s\ncompactor:\n  persistence: {{enabled: false}}\nquery:\n  sidecars:\n    service: prometheus-sidecars\nqueryFrontend:\n  enabled: true\n"
        ),
    )
    .expect("values");
    let rendered = run_ok(
        Command::new(helm())
            .args(["template", "t"])
            .arg(root().join("helm/mnemos"))
            .arg("-f")
            .arg(&values),
    );
    let objects = documents(&String::from_utf8_lossy(&rendered.stdout));
    let config = config_files(&objects);
    let workloads: Vec<&Value> = objects
        .iter()
        .filter(|o| matches!(str_of(o, &["kind"]), "Deployment" | "StatefulSet"))
        .collect();
    let by_name = |n: &str| {
        *workloads
            .iter()
            .find(|o| str_of(o, &["metadata", "name"]) == n)
            .unwrap_or_else(|| panic!("no workload {n}"))
    };
    let mut mapping = Vec::new();

    // The example's Prometheus with a 6 h old block, and its sidecar (the chart's Secret).
    let example = documents(
        &std::fs::read_to_string(root().join("deploy/kubernetes/prometheus-with-sidecar.yaml"))
            .expect("example"),
    );
    let statefulset = example
        .iter()
        .find(|o| str_of(o, &["kind"]) == "StatefulSet")
        .expect("the example's StatefulSet");
    let spec = Spec::recent(5, 6);
    let blocks = Prometheus::seed_blocks(work, "prometheus", &spec);
    let prom = Prometheus::start_self_scraping(work, "prometheus", "cluster: test, replica: a");
    let mut sidecar_config = config.clone();
    sidecar_config.insert(
        "mnemos-objstore".into(),
        config["t-mnemos-objstore"].clone(),
    );
    let mut sidecar = localize(
        work,
        statefulset,
        &sidecar_config,
        &BTreeMap::new(),
        &mut mapping,
    );
    for arg in &mut sidecar.args {
        if arg.starts_with("--prometheus.url=") {
            mapping.push(format!(
                "sidecar: {arg} -> --prometheus.url=http://127.0.0.1:{}",
                prom.port
            ));
            *arg = format!("--prometheus.url=http://127.0.0.1:{}", prom.port);
        } else if arg.starts_with("--tsdb.path=") {
            mapping.push(format!(
                "sidecar: {arg} -> --tsdb.path={}",
                prom.data_dir.display()
            ));
            *arg = format!("--tsdb.path={}", prom.data_dir.display());
        }
    }
    let _sidecar = run(work, &sidecar);
    let bucket = mnemos_e2e::open_bucket(&objstore);
    let rt = mnemos_e2e::runtime();
    let shipped = wait_for(Duration::from_secs(60), Duration::from_millis(500), || {
        let objects = rt.block_on(bucket.list_objects("")).ok()?;
        let metas = objects
            .iter()
            .filter(|o| o.key.ends_with("/meta.json"))
            .count();
        (metas == blocks.len()).then_some(())
    });
    assert!(shipped.is_some(), "the example's sidecar shipped no block");

    // Two store gateway shards, the compactor, the querier: as rendered.
    let stores: Vec<Workload> = ["t-mnemos-storegateway-0", "t-mnemos-storegateway-1"]
        .iter()
        .map(|n| localize(work, by_name(n), &config, &BTreeMap::new(), &mut mapping))
        .collect();
    let _store_guards: Vec<ChildGuard> = stores.iter().map(|w| run(work, w)).collect();
    let compactor = localize(
        work,
        by_name("t-mnemos-compactor"),
        &config,
        &BTreeMap::new(),
        &mut mapping,
    );
    let _compactor = run(work, &compactor);
    let endpoints = BTreeMap::from([
        (
            "t-mnemos-storegateway-grpc".to_string(),
            stores
                .iter()
                .map(|w| format!("127.0.0.1:{}", w.grpc_port.expect("grpc")))
                .collect(),
        ),
        (
            "prometheus-sidecars".to_string(),
            vec![format!("127.0.0.1:{}", sidecar.grpc_port.expect("grpc"))],
        ),
    ]);
    let query = localize(
        work,
        by_name("t-mnemos-query"),
        &config,
        &endpoints,
        &mut mapping,
    );
    let _query = run(work, &query);
    // The query-frontend, its downstream URL pointed at the local querier.
    let mut frontend = localize(
        work,
        by_name("t-mnemos-query-frontend"),
        &config,
        &BTreeMap::new(),
        &mut mapping,
    );
    for arg in &mut frontend.args {
        if arg.starts_with("--query-frontend.downstream-url=") {
            let local = format!(
                "--query-frontend.downstream-url=http://127.0.0.1:{}",
                query.http_port
            );
            mapping.push(format!("query-frontend: {arg} -> {local}"));
            *arg = local;
        }
    }
    let _frontend = run(work, &frontend);
    eprintln!("mapping (rendered -> local):\n{}", mapping.join("\n"));

    // The shards split the blocks: each block on exactly one shard.
    let loaded: Vec<f64> = stores
        .iter()
        .map(|w| {
            let r = http::get(w.http_port, "/metrics").expect("metrics");
            metric_sum(&r.body, "mnemos_store_blocks")
        })
        .collect();
    assert_eq!(
        loaded.iter().sum::<f64>() as usize,
        blocks.len(),
        "blocks per shard {loaded:?}"
    );

    // The querier answers with the block's series, read from a store gateway.
    let at = (spec.start_ms + 300_000) / 1000;
    let answer = wait_for(Duration::from_secs(30), Duration::from_millis(500), || {
        let r = http::get(
            query.http_port,
            &format!("/api/v1/query?query=count(mnemos_gauge)&time={at}"),
        )
        .ok()?;
        r.body.contains("\"result\":[{").then_some(r.body)
    });
    assert!(answer.is_some(), "the querier answered no series");
    // The same range query through the query-frontend (its in-memory cache), twice; start
    // and end on the step, as the frontend aligns them.
    let range = format!(
        "/api/v1/query_range?query=count(mnemos_gauge)&start={}&end={}&step=60",
        (at - 600) / 60 * 60,
        (at + 600) / 60 * 60
    );
    let want = http::get(query.http_port, &range).expect("querier").body;
    for _ in 0..2 {
        let got = http::get(frontend.http_port, &range).expect("frontend");
        assert_eq!(
            (got.status, got.body),
            (200, want.clone()),
            "through the query-frontend"
        );
    }
    let store_queries: f64 = stores
        .iter()
        .map(|w| {
            let r = http::get(w.http_port, "/metrics").expect("metrics");
            metric_sum(&r.body, "mnemos_store_query_duration_seconds_count")
        })
        .sum();
    assert!(store_queries >= 1.0, "no store gateway served the query");
}
