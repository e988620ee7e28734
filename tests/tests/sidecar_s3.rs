//! `mnemos sidecar` with a real Prometheus 2.42 and a real S3 server (Garage) on 127.0.0.1:
//! - every block Prometheus cuts reaches the bucket with a correct meta.json and the same
//!   contents, and the StoreAPI answers like Prometheus' own query API;
//! - an S3 outage (503s, refused connections) is survived, counted and recovered from;
//! - a sidecar killed (SIGKILL) in the middle of an upload leaves only a partial directory
//!   that readers skip, and after a restart every block is in the bucket exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mnemos_block::{verify_block, MetaFetcher};
use mnemos_e2e::component::Component;
use mnemos_e2e::faultproxy::{FaultProxy, Mode};
use mnemos_e2e::garage::Garage;
use mnemos_e2e::http::encode;
use mnemos_e2e::openmetrics::{self, Spec};
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::prometheus::Prometheus;
use mnemos_e2e::storeapi::{self, SeriesSamples};
use mnemos_e2e::{assert_same_dump, mnemos_bin, mnemos_dump, promtool};
use mnemos_objstore::Bucket;
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::{LabelMatcher, LabelNamesRequest, LabelValuesRequest, SeriesRequest};
use prometheus_client::registry::Registry;
use ulid::Ulid;

const EXTERNAL: [(&str, &str); 2] = [("cluster", "test"), ("replica", "a")];

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

fn prometheus_config(scrape_interval: &str) -> String {
    let labels: Vec<String> = EXTERNAL.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!(
        "global: {{scrape_interval: {scrape_interval}, external_labels: {{{}}}}}\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{{targets: ['127.0.0.1:PROMPORT']}}]\n",
        labels.join(", ")
    )
}

/// Starts Prometheus scraping itself; `block` is its block duration.
fn start_prometheus(work: &Path, block: &str, scrape_interval: &str) -> Prometheus {
    let port = free_port();
    let config = prometheus_config(scrape_interval).replace("PROMPORT", &port.to_string());
    Prometheus::start(work, "prometheus", &config, block, port)
}

fn start_sidecar(work: &Path, name: &str, prom: &Prometheus, objstore_yaml: &str) -> Component {
    let config = work.join(format!("{name}-objstore.yml"));
    std::fs::write(&config, objstore_yaml).expect("write objstore config");
    Component::start(
        work,
        name,
        &[
            "sidecar".to_string(),
            format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
            format!("--tsdb.path={}", prom.data_dir.display()),
            format!("--objstore.config-file={}", config.display()),
            "--shipper.sync-interval=1s".to_string(),
            "--prometheus.get_config_interval=2s".to_string(),
        ],
    )
}

/// Block ids in Prometheus' data dir.
fn local_blocks(data_dir: &Path) -> BTreeMap<Ulid, std::path::PathBuf> {
    promtool::blocks_in(data_dir)
        .into_iter()
        .filter_map(|p| {
            let id = Ulid::from_string(p.file_name()?.to_str()?).ok()?;
            Some((id, p))
        })
        .collect()
}

/// Blocks with meta.json in the bucket; panics if any of them misses a file (the invariant
/// that must hold at every moment).
fn complete_blocks(rt: &tokio::runtime::Runtime, bucket: &Bucket) -> BTreeSet<Ulid> {
    rt.block_on(async {
        let objects = bucket.list_objects("").await.expect("list");
        let with_meta: BTreeSet<Ulid> = objects
            .iter()
            .filter_map(|o| o.key.strip_suffix("/meta.json"))
            .filter_map(|id| Ulid::from_string(id).ok())
            .collect();
        for id in &with_meta {
            let problems = verify_block(bucket, *id).await.expect("verify");
            assert!(
                problems.is_empty(),
                "visible block {id} is incomplete: {problems:?}"
            );
        }
        with_meta
    })
}

fn matcher(t: Type, name: &str, value: &str) -> LabelMatcher {
    LabelMatcher::new(t, name, value)
}

fn with_external(labels: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: BTreeMap<String, String> = labels
        .as_object()
        .expect("metric labels")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("label value").to_string()))
        .collect();
    for (k, v) in EXTERNAL {
        out.insert(k.to_string(), v.to_string());
    }
    out.into_iter().collect()
}

fn parse_value(v: &serde_json::Value) -> (i64, f64) {
    let t = (v[0].as_f64().expect("timestamp") * 1000.0).round() as i64;
    let x: f64 = v[1].as_str().expect("value").parse().expect("float");
    (t, x)
}

/// Raw samples of a selector from Prometheus: `selector[range]` at `end`.
fn prometheus_raw(prom: &Prometheus, selector: &str, start: i64, end: i64) -> Vec<SeriesSamples> {
    let query = format!("{selector}[{}ms]", end - start);
    let data = prom.api(&format!(
        "/api/v1/query?query={}&time={}",
        encode(&query),
        end as f64 / 1000.0
    ));
    let mut out: Vec<SeriesSamples> = data["result"]
        .as_array()
        .expect("matrix")
        .iter()
        .map(|s| SeriesSamples {
            labels: with_external(&s["metric"]),
            samples: s["values"]
                .as_array()
                .expect("values")
                .iter()
                .map(parse_value)
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    out
}

fn same_values(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn sidecar_ships_blocks_and_serves_storeapi() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let yaml = garage.objstore_yaml(&garage.endpoint());
    let prom = start_prometheus(work, "20s", "1s");
    let mut sidecar = start_sidecar(work, "sidecar", &prom, &yaml);
    sidecar.wait_ready(Duration::from_secs(30));
    let bucket = mnemos_e2e::open_bucket(&yaml);
    let rt = mnemos_e2e::runtime();

    // Info API: the external labels and a min time no later than now.
    let info = storeapi::info(sidecar.grpc_port);
    assert_eq!(info.component_type, "sidecar");
    let set: Vec<(String, String)> = info.label_sets[0]
        .labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect();
    assert_eq!(
        set,
        vec![
            ("cluster".into(), "test".into()),
            ("replica".into(), "a".into())
        ]
    );
    let store = info.store.expect("store info");
    assert!(
        store.min_time > 0 && store.min_time <= now_ms(),
        "{store:?}"
    );
    assert_eq!(store.max_time, i64::MAX);
    assert!(store.supports_without_replica_labels);

    // Two blocks cut by Prometheus, both shipped.
    let shipped = wait_for(Duration::from_secs(150), Duration::from_millis(500), || {
        sidecar.assert_running();
        let local = local_blocks(&prom.data_dir);
        let in_bucket = complete_blocks(&rt, &bucket);
        (local.len() >= 2 && local.keys().all(|id| in_bucket.contains(id))).then_some(local)
    })
    .unwrap_or_else(|| {
        panic!(
            "blocks not shipped in time; sidecar log {}",
            sidecar.log.display()
        )
    });
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(prom.data_dir.join("thanos.shipper.json")).expect("shipper file"),
    )
    .expect("shipper json");
    assert_eq!(state["version"], 1);
    let down = work.join("downloaded");
    for (id, dir) in &shipped {
        let meta = rt
            .block_on(mnemos_block::fetch_meta(&bucket, *id))
            .expect("meta");
        let thanos = meta.thanos.as_ref().expect("thanos section");
        assert_eq!(thanos.source, "sidecar");
        assert_eq!(
            thanos.labels,
            EXTERNAL
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        );
        assert_eq!(thanos.downsample.resolution, 0);
        for f in thanos.files.iter().filter(|f| f.rel_path != "meta.json") {
            let size = std::fs::metadata(dir.join(&f.rel_path))
                .expect("local file")
                .len();
            assert_eq!(f.size_bytes, size, "{id}/{}", f.rel_path);
        }
        assert!(state["uploaded"]
            .as_array()
            .expect("uploaded")
            .iter()
            .any(|u| u == &id.to_string()));
        let got = rt
            .block_on(mnemos_block::download_block(&bucket, *id, &down))
            .expect("download");
        let local = promtool::single_block_dir(dir);
        let remote = promtool::single_block_dir(&got);
        let want = mnemos_dump(local.path(), &[]);
        assert!(!want.is_empty(), "block {id} is empty");
        assert_same_dump(
            &format!("block {id}"),
            &want,
            &mnemos_dump(remote.path(), &[]),
        );
    }
    assert!(sidecar.metric("mnemos_shipper_uploads_total") >= 2.0);
    assert!(sidecar.metric("mnemos_objstore_bucket_operations_total") > 0.0);

    // StoreAPI Series == Prometheus' raw samples, external labels attached.
    let end = now_ms() - 3_000;
    let start = end - 60_000;
    let selector = r#"{__name__=~"prometheus_tsdb_head_(series|chunks)|up",job="prometheus"}"#;
    let request = SeriesRequest {
        min_time: start,
        max_time: end,
        matchers: vec![
            matcher(
                Type::Re,
                "__name__",
                "prometheus_tsdb_head_(series|chunks)|up",
            ),
            matcher(Type::Eq, "job", "prometheus"),
            matcher(Type::Eq, "cluster", "test"),
        ],
        ..Default::default()
    };
    let (mut got, warnings) = storeapi::series(sidecar.grpc_port, request.clone()).expect("Series");
    assert!(warnings.is_empty(), "{warnings:?}");
    got.sort_by(|a, b| a.labels.cmp(&b.labels));
    let want = prometheus_raw(&prom, selector, start, end);
    assert_eq!(want.len(), 3, "{want:?}");
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.labels, w.labels);
        assert_eq!(g.samples.len(), w.samples.len(), "{:?}", g.labels);
        assert!(
            g.samples.len() >= 20,
            "{:?}: {} samples",
            g.labels,
            g.samples.len()
        );
        for (a, b) in g.samples.iter().zip(&w.samples) {
            assert!(
                a.0 == b.0 && same_values(a.1, b.1),
                "{:?}: {a:?} vs {b:?}",
                g.labels
            );
        }
    }

    // And /api/v1/query_range: each step's value is the last sample within the lookback.
    let range = prom.api(&format!(
        "/api/v1/query_range?query={}&start={}&end={}&step=5",
        encode(r#"up{job="prometheus"}"#),
        (start + 10_000) as f64 / 1000.0,
        end as f64 / 1000.0
    ));
    let values = range["result"][0]["values"]
        .as_array()
        .expect("values")
        .clone();
    assert!(values.len() >= 5, "query_range steps: {values:?}");
    let up = got
        .iter()
        .find(|s| s.labels.iter().any(|(k, v)| k == "__name__" && v == "up"))
        .expect("up series");
    for v in &values {
        let (t, x) = parse_value(v);
        let last = up
            .samples
            .iter()
            .rev()
            .find(|(ts, _)| *ts <= t)
            .expect("sample in lookback");
        assert!(
            t - last.0 < 300_000 && same_values(last.1, x),
            "step {t}: {x} vs {last:?}"
        );
    }

    // without_replica_labels and skip_chunks.
    let (series_only, _) = storeapi::series(
        sidecar.grpc_port,
        SeriesRequest {
            skip_chunks: true,
            without_replica_labels: vec!["replica".into()],
            ..request.clone()
        },
    )
    .expect("Series");
    assert_eq!(series_only.len(), 3);
    for s in &series_only {
        assert!(s.samples.is_empty());
        assert!(!s.labels.iter().any(|(k, _)| k == "replica"));
        assert!(s.labels.iter().any(|(k, v)| k == "cluster" && v == "test"));
    }

    // Labels.
    let names = storeapi::label_names(
        sidecar.grpc_port,
        LabelNamesRequest {
            start,
            end,
            ..Default::default()
        },
    )
    .expect("LabelNames");
    for n in ["__name__", "cluster", "instance", "job", "replica"] {
        assert!(names.contains(&n.to_string()), "{n} missing from {names:?}");
    }
    let value_of = |label: &str| {
        storeapi::label_values(
            sidecar.grpc_port,
            LabelValuesRequest {
                label: label.into(),
                start,
                end,
                ..Default::default()
            },
        )
        .expect("LabelValues")
    };
    assert_eq!(value_of("cluster"), vec!["test".to_string()]);
    assert!(value_of("job").contains(&"prometheus".to_string()));

    // A matcher contradicting an external label is answered without Prometheus: with
    // Prometheus frozen (SIGSTOP) the answer still comes at once, and is empty.
    let kill = |sig: &str| {
        Command::new("kill")
            .arg(sig)
            .arg(prom.pid().to_string())
            .status()
            .expect("kill");
    };
    kill("-STOP");
    let port = sidecar.grpc_port;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = storeapi::series(
            port,
            SeriesRequest {
                min_time: start,
                max_time: end,
                matchers: vec![
                    matcher(Type::Eq, "__name__", "up"),
                    matcher(Type::Eq, "cluster", "other"),
                ],
                ..Default::default()
            },
        );
        let _ = tx.send(r.map(|(s, _)| s.len()));
    });
    let answer = rx.recv_timeout(Duration::from_secs(10));
    kill("-CONT");
    assert_eq!(
        answer
            .expect("answered while Prometheus was frozen")
            .expect("Series"),
        0
    );

    // Health and metrics endpoints.
    let ready = mnemos_e2e::http::get(sidecar.http_port, "/-/ready").expect("ready");
    assert_eq!(ready.status, 200);
}

#[test]
fn sidecar_survives_s3_outage() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let proxy = FaultProxy::start(garage.addr());
    proxy.set_mode(Mode::Fail503);
    // Few retries per request so failures surface in seconds.
    let yaml = format!(
        "{}  max_retries: 2\n",
        garage.objstore_yaml(&proxy.endpoint())
    );
    let prom = start_prometheus(work, "20s", "1s");
    let mut sidecar = start_sidecar(work, "sidecar", &prom, &yaml);
    sidecar.wait_ready(Duration::from_secs(30));

    // A block is cut while S3 answers 503: the upload fails, is counted and logged.
    let failed = wait_for(Duration::from_secs(120), Duration::from_millis(500), || {
        sidecar.assert_running();
        (sidecar.metric("mnemos_shipper_upload_failures_total") >= 1.0).then_some(())
    });
    assert!(
        failed.is_some(),
        "no upload failure counted; log {}",
        sidecar.log.display()
    );
    assert!(sidecar.metric("mnemos_objstore_bucket_operation_failures_total") >= 1.0);
    assert!(proxy.failed_requests() >= 1);
    assert!(sidecar.log_text().contains("shipping blocks failed"));

    // Then connections are refused: still running, still failing, still ready.
    proxy.set_mode(Mode::Refuse);
    let before = sidecar.metric("mnemos_shipper_upload_failures_total");
    let more = wait_for(Duration::from_secs(60), Duration::from_millis(500), || {
        sidecar.assert_running();
        (sidecar.metric("mnemos_shipper_upload_failures_total") > before).then_some(())
    });
    assert!(
        more.is_some(),
        "refused connections not counted; log {}",
        sidecar.log.display()
    );
    assert_eq!(
        mnemos_e2e::http::get(sidecar.http_port, "/-/ready")
            .expect("ready")
            .status,
        200
    );

    // S3 is back: every local block ends up in the bucket.
    proxy.set_mode(Mode::Pass);
    let bucket = mnemos_e2e::open_bucket(&garage.objstore_yaml(&garage.endpoint()));
    let rt = mnemos_e2e::runtime();
    let shipped = wait_for(Duration::from_secs(90), Duration::from_millis(500), || {
        sidecar.assert_running();
        let local = local_blocks(&prom.data_dir);
        let in_bucket = complete_blocks(&rt, &bucket);
        (!local.is_empty() && local.keys().all(|id| in_bucket.contains(id))).then_some(local.len())
    });
    assert!(
        shipped.is_some(),
        "blocks not shipped after recovery; log {}",
        sidecar.log.display()
    );
}

#[test]
fn sidecar_killed_mid_upload_converges() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let bucket = mnemos_e2e::open_bucket(&garage.objstore_yaml(&garage.endpoint()));
    let rt = mnemos_e2e::runtime();

    // History backfilled into Prometheus' data dir before it starts: a few big 2h blocks.
    let data_dir = work.join("prometheus-data");
    let spec = Spec {
        seed: 7,
        series: 3000,
        samples_per_series: 400,
        label_names: 1,
        start_ms: now_ms() - 30 * 3_600_000,
        max_step_ms: 30_000,
    };
    let om = work.join("history.om");
    openmetrics::write(&spec, &om);
    promtool::create_blocks(&om, &data_dir);
    let local = local_blocks(&data_dir);
    assert!(!local.is_empty());
    let prom = start_prometheus(work, "2h", "15s");
    assert_eq!(prom.data_dir, data_dir);
    let oldest = {
        let mut metas: Vec<_> = local
            .iter()
            .map(|(id, dir)| {
                (
                    mnemos_tsdb::BlockMeta::read_from_dir(dir)
                        .expect("meta")
                        .min_time,
                    *id,
                )
            })
            .collect();
        metas.sort();
        metas[0].1
    };

    // A slow S3 (throttled proxy) makes the upload take seconds; kill the sidecar as soon
    // as the first file of the oldest block is in the bucket.
    let proxy = FaultProxy::start(garage.addr());
    proxy.set_mode(Mode::Throttle {
        bytes_per_sec: 400_000,
    });
    let yaml = garage.objstore_yaml(&proxy.endpoint());
    let sidecar = start_sidecar(work, "sidecar-1", &prom, &yaml);
    let prefix = format!("{oldest}/");
    let started = wait_for(Duration::from_secs(60), Duration::from_millis(20), || {
        let objects = rt.block_on(bucket.list_objects(&prefix)).expect("list");
        (!objects.is_empty()).then_some(objects)
    })
    .expect("upload never started");
    sidecar.kill();
    assert!(
        !started.iter().any(|o| o.key.ends_with("/meta.json")),
        "upload finished before the kill; make the block bigger: {started:?}"
    );
    proxy.set_mode(Mode::Pass);

    // Readers skip the partial directory.
    let partial_seen = complete_blocks(&rt, &bucket);
    assert!(!partial_seen.contains(&oldest));
    let fetcher = MetaFetcher::new(bucket.clone(), None, &mut Registry::default());
    let blocks = rt.block_on(fetcher.fetch()).expect("fetch");
    assert!(blocks.partial.contains(&oldest), "{blocks:?}");
    let config = work.join("direct.yml");
    std::fs::write(&config, garage.objstore_yaml(&garage.endpoint())).expect("config");
    let ls = Command::new(mnemos_bin())
        .args(["tools", "bucket", "ls"])
        .arg(format!("--objstore.config-file={}", config.display()))
        .output()
        .expect("ls");
    assert!(ls.status.success());
    assert!(!String::from_utf8_lossy(&ls.stdout).contains(&oldest.to_string()));
    assert!(
        String::from_utf8_lossy(&ls.stderr).contains(&format!("skipped {oldest}: partial upload"))
    );

    // Restart: everything converges, each block once, checked at every poll.
    let mut sidecar = start_sidecar(work, "sidecar-2", &prom, &yaml);
    let done = wait_for(Duration::from_secs(120), Duration::from_millis(100), || {
        sidecar.assert_running();
        let in_bucket = complete_blocks(&rt, &bucket);
        local
            .keys()
            .all(|id| in_bucket.contains(id))
            .then_some(in_bucket)
    })
    .unwrap_or_else(|| panic!("not converged; log {}", sidecar.log.display()));
    assert_eq!(
        done.len(),
        local.len(),
        "extra blocks in the bucket: {done:?}"
    );
    let dirs = rt.block_on(bucket.list_dirs("")).expect("list dirs");
    assert_eq!(dirs.len(), local.len(), "{dirs:?}");
    let got = rt
        .block_on(mnemos_block::download_block(
            &bucket,
            oldest,
            &work.join("down"),
        ))
        .expect("download");
    let a = promtool::single_block_dir(&local[&oldest]);
    let b = promtool::single_block_dir(&got);
    assert_same_dump(
        "interrupted block",
        &promtool::dump(a.path(), &[]),
        &promtool::dump(b.path(), &[]),
    );
}
