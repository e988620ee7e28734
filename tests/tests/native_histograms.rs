//! Native histograms from a real Prometheus 2.42 (`--enable-feature=native-histograms`)
//! scraping a protobuf target whose histograms change bucket layouts, reset, change schema,
//! stay empty, hold negative and zero buckets, and vanish (issue #16):
//! - Prometheus ingests them (its API answers with `histogram` fields);
//! - the sidecar serves their chunks as Prometheus stored them (encoding `HISTOGRAM`), and
//!   after the sidecar ships Prometheus' blocks to Garage, the store gateway serves the very
//!   same chunk bytes for a shipped block's time range;
//! - those chunks decode (mnemos' codec) to what Prometheus' API answers for each sample:
//!   count, sum and every bucket;
//! - PromQL over them through the querier answers as Prometheus does, from the sidecar and
//!   the store gateway, and again from the store gateway alone after the compactor has
//!   compacted the shipped blocks;
//! - two replicas deduplicate, offline in the compactor and live in the querier.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mnemos_e2e::component::Component;
use mnemos_e2e::garage::Garage;
use mnemos_e2e::http;
use mnemos_e2e::native_histograms;
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::promapi::{data, parse_go_float};
use mnemos_e2e::prometheus::Prometheus;
use mnemos_e2e::{mnemos_bin, storeapi};
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::{chunk::Encoding, LabelMatcher, SeriesRequest};
use mnemos_tsdb::chunkenc::decode_histograms;
use mnemos_tsdb::histogram::Histogram;
use mnemos_tsdb::BlockMeta;

/// Per series (labels without external labels, as text), its chunks: (min, max, encoding,
/// bytes).
type Chunks = BTreeMap<String, Vec<(i64, i64, i32, Vec<u8>)>>;

fn histogram_chunks(port: u16, min_time: i64, max_time: i64) -> Chunks {
    let request = SeriesRequest {
        min_time,
        max_time,
        matchers: vec![LabelMatcher::new(Type::Re, "__name__", "nh_.*")],
        ..SeriesRequest::default()
    };
    let (series, warnings) = storeapi::series_chunks(port, request).expect("Series");
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut out = Chunks::new();
    for s in series {
        let labels: Vec<String> = s
            .labels
            .iter()
            .filter(|l| l.name != "replica")
            .map(|l| format!("{}={:?}", l.name, l.value))
            .collect();
        let chunks = s
            .chunks
            .into_iter()
            .filter_map(|c| {
                let raw = c.raw?;
                Some((c.min_time, c.max_time, raw.r#type, raw.data.to_vec()))
            })
            .collect();
        out.insert(labels.join(","), chunks);
    }
    out
}

/// A Prometheus 2.42 replica with native histograms on, scraping `target` every second,
/// 20 s blocks; returns once it has ingested a few histograms.
fn start_replica(work: &Path, replica: &str, target: u16) -> Prometheus {
    let config = format!(
        "global: {{scrape_interval: 1s, external_labels: {{replica: {replica}}}}}\nscrape_configs:\n  - job_name: nh\n    static_configs: [{{targets: ['127.0.0.1:{target}']}}]\n"
    );
    let prom = Prometheus::start_with_flags(
        work,
        &format!("prom-{replica}"),
        &config,
        ("20s", "20s"),
        free_port(),
        &["--enable-feature=native-histograms"],
    );
    let ingested = wait_for(Duration::from_secs(30), Duration::from_millis(500), || {
        let d = prom.api("/api/v1/query?query=nh_signed_values");
        let h = d["result"].get(0)?.get("histogram")?.clone();
        // Zero, negative and positive buckets once a few scrapes are in.
        h[1]["buckets"]
            .as_array()
            .is_some_and(|b| b.len() > 6)
            .then_some(h)
    });
    assert!(
        ingested.is_some(),
        "Prometheus {replica} ingests the target's native histograms"
    );
    prom
}

/// Garage's objstore YAML in a file.
fn objstore_config(work: &Path, garage: &Garage) -> std::path::PathBuf {
    let path = work.join("objstore.yml");
    std::fs::write(&path, garage.objstore_yaml(&garage.endpoint())).expect("write");
    path
}

/// A ready store gateway over the bucket, syncing every second.
fn start_store(work: &Path, objstore: &Path) -> Component {
    let mut store = Component::start(
        work,
        "store",
        &[
            "store".to_string(),
            format!("--objstore.config-file={}", objstore.display()),
            format!("--data-dir={}", work.join("store-data").display()),
            "--sync-block-duration=1s".to_string(),
        ],
    );
    store.wait_ready(Duration::from_secs(30));
    store
}

/// A sidecar beside `prom` shipping its blocks every second.
fn start_sidecar(work: &Path, replica: &str, prom: &Prometheus, objstore: &Path) -> Component {
    Component::start(
        work,
        &format!("sidecar-{replica}"),
        &[
            "sidecar".to_string(),
            format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
            format!("--tsdb.path={}", prom.data_dir.display()),
            format!("--objstore.config-file={}", objstore.display()),
            "--shipper.sync-interval=1s".to_string(),
        ],
    )
}

/// A histogram as the API shows it: count, sum, non-empty buckets (rule, lower, upper,
/// count).
type ApiHistogram = (f64, f64, Vec<(u8, f64, f64, f64)>);

/// What Prometheus' API answers for `selector` at `t` (ms), if a histogram.
fn api_histogram(prom: &Prometheus, selector: &str, t: i64) -> Option<ApiHistogram> {
    let d = prom.api(&format!(
        "/api/v1/query?query={}&time={}.{:03}",
        http::encode(selector),
        t / 1000,
        t % 1000
    ));
    let h = d["result"].get(0)?.get("histogram")?.get(1)?.clone();
    let num = |v: &serde_json::Value| parse_go_float(v.as_str().expect("number"));
    let buckets = h["buckets"]
        .as_array()
        .map(|bs| {
            bs.iter()
                .map(|b| {
                    let rule = b[0].as_u64().expect("rule") as u8;
                    (rule, num(&b[1]), num(&b[2]), num(&b[3]))
                })
                .collect()
        })
        .unwrap_or_default();
    Some((num(&h["count"]), num(&h["sum"]), buckets))
}

/// A decoded histogram as the API would show it.
fn api_view(h: &Histogram) -> ApiHistogram {
    let f = h.to_float_from_absolute();
    let buckets = f
        .all_buckets()
        .into_iter()
        .filter(|b| b.count != 0.0)
        .map(|b| (b.boundary_rule(), b.lower, b.upper, b.count))
        .collect();
    (f.count, f.sum, buckets)
}

fn same_view(a: &ApiHistogram, b: &ApiHistogram) -> bool {
    a.0.to_bits() == b.0.to_bits() && a.1.to_bits() == b.1.to_bits() && a.2 == b.2
}

#[test]
fn native_histograms_pass_through_sidecar_and_store_gateway() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let objstore = objstore_config(work, &garage);
    let target = native_histograms::target();
    let prom = start_replica(work, "a", target.port);
    let sidecar = start_sidecar(work, "a", &prom, &objstore);
    let mut store = start_store(work, &objstore);
    // Four shipped 20 s blocks: the compactor then has a whole minute to compact (below),
    // wherever the first block starts in its minute.
    let shipped = wait_for(Duration::from_secs(180), Duration::from_secs(1), || {
        (sidecar.metric("mnemos_shipper_uploads_total") >= 4.0
            && store.metric("mnemos_store_blocks") >= 4.0)
            .then_some(())
    });
    assert!(
        shipped.is_some(),
        "no four blocks shipped and synced within 180s"
    );
    let mut metas: Vec<BlockMeta> = std::fs::read_dir(&prom.data_dir)
        .expect("ls data dir")
        .filter_map(|e| BlockMeta::read_from_dir(&e.ok()?.path()).ok())
        .collect();
    // The four oldest are shipped (the shipper uploads in time order).
    metas.sort_by_key(|m| m.min_time);
    metas.truncate(4);
    assert_eq!(metas.len(), 4, "{metas:?}");
    for meta in &metas {
        // Block time ranges are half-open: [min_time, max_time).
        let (min, max) = (meta.min_time, meta.max_time - 1);
        let from_store = histogram_chunks(store.grpc_port, min, max);
        let from_sidecar = histogram_chunks(sidecar.grpc_port, min, max);
        assert!(
            from_store.len() >= 4,
            "block {}: series {:?}",
            meta.ulid,
            from_store.keys()
        );
        for (labels, chunks) in &from_store {
            assert!(
                chunks.iter().all(|c| c.2 == Encoding::Histogram as i32),
                "{labels}: encodings {:?}",
                chunks.iter().map(|c| c.2).collect::<Vec<_>>()
            );
            let sidecar_chunks = from_sidecar
                .get(labels)
                .unwrap_or_else(|| panic!("{labels} missing from the sidecar"));
            // The sidecar may also send head chunks overlapping the range; the block's
            // chunks are among them byte for byte.
            for c in chunks {
                assert!(
                    sidecar_chunks.contains(c),
                    "block {} {labels}: chunk {}..{} differs between store and sidecar",
                    meta.ulid,
                    c.0,
                    c.1
                );
            }
        }
    }
    // The store's chunks decode (mnemos' histogram codec) to what Prometheus' API answers
    // at each sample's timestamp: count, sum and every bucket.
    let mut compared = 0;
    for meta in &metas {
        let chunks = histogram_chunks(store.grpc_port, meta.min_time, meta.max_time - 1);
        for (labels, chunks) in &chunks {
            let selector = format!("{{{labels}}}");
            for (_, _, _, data) in chunks {
                let samples = decode_histograms(data).expect("a valid histogram chunk");
                for (t, h) in samples.iter().filter(|(_, h)| !h.is_stale()) {
                    let want = api_histogram(&prom, &selector, *t)
                        .unwrap_or_else(|| panic!("{labels}: Prometheus has no histogram at {t}"));
                    let got = api_view(h);
                    assert!(
                        same_view(&got, &want),
                        "{labels} at {t}: {got:?} vs {want:?}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 40, "compared only {compared} histogram samples");

    // PromQL over the histograms through the querier, over the shipped blocks' range: the
    // same JSON as Prometheus' own answers from the sidecar alone, the store gateway alone,
    // and both (the same blocks from two endpoints, deduplicated).
    let start = metas[0].min_time + 10_000;
    let end = metas[metas.len() - 1].max_time - 1;
    let querier_on = |name: &str, endpoints: &[&Component], extra: &[&str]| {
        let mut args = vec!["query".to_string()];
        args.extend(
            endpoints
                .iter()
                .map(|e| format!("--endpoint=127.0.0.1:{}", e.grpc_port)),
        );
        args.push("--query.replica-label=replica".to_string());
        args.extend(extra.iter().map(|a| a.to_string()));
        let mut querier = Component::start(work, name, &args);
        querier.wait_ready(Duration::from_secs(30));
        querier
    };
    for (name, endpoints) in [
        ("query-sidecar", vec![&sidecar]),
        ("query-store", vec![&store]),
    ] {
        let querier = querier_on(name, &endpoints, &[]);
        same_answers_as_prometheus(&prom, querier.http_port, start, end);
    }
    let querier = querier_on("query", &[&sidecar, &store], &[]);
    same_answers_as_prometheus(&prom, querier.http_port, start, end);
    // Functions of later Prometheus versions are parse errors, as in 2.42, unless enabled.
    let avg = format!(
        "/api/v1/query?query={}&time={}",
        http::encode("histogram_avg(nh_request_seconds)"),
        end / 1000
    );
    let refused = http::get(querier.http_port, &avg).expect("request");
    assert_eq!(refused.status, 400, "{}", refused.body);
    store.assert_running();
    drop(querier);

    // After compaction (20 s blocks into 1m ones): a store gateway over the compacted
    // bucket alone gives Prometheus' answers too. A pass leaves the newest block alone and
    // compacts a minute's blocks once the minute is whole or a later block exists (Thanos'
    // planner); Prometheus' first block starts mid-range, so four shipped blocks may not
    // be enough yet: passes repeat (as `--wait` would) until a compacted block covers part
    // of the queried range.
    drop(store);
    let bucket = mnemos_e2e::open_bucket(&std::fs::read_to_string(&objstore).expect("config"));
    let mut listing = String::new();
    let compacted = (0..4).any(|pass| {
        if pass > 0 {
            std::thread::sleep(Duration::from_secs(20));
        }
        let out = Command::new(mnemos_bin())
            .args(["compact", "--consistency-delay=0s", "--delete-delay=0s"])
            .arg(format!("--objstore.config-file={}", objstore.display()))
            .arg(format!("--data-dir={}", work.join("compact").display()))
            .arg(format!("--http-address=127.0.0.1:{}", free_port()))
            .args(["--compact.ranges=20s,1m", "--downsampling.disable"])
            .output()
            .expect("run mnemos compact");
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "compact failed: {log}");
        assert!(!log.contains("no-compact"), "{log}");
        let fetched = mnemos_e2e::runtime()
            .block_on(
                mnemos_block::MetaFetcher::new(bucket.clone(), None, &mut Default::default())
                    .fetch(),
            )
            .expect("fetch metas");
        listing = fetched
            .live()
            .map(|(id, m)| {
                format!(
                    "{id} [{}, {}) level {}\n",
                    m.min_time, m.max_time, m.compaction.level
                )
            })
            .collect();
        let covered = fetched
            .live()
            .any(|(_, m)| m.compaction.level >= 2 && m.min_time <= end && m.max_time > start);
        covered
    });
    assert!(
        compacted,
        "no compacted block in the queried range [{start}, {end}]:\n{listing}"
    );
    let mut store = start_store(work, &objstore);
    let querier = querier_on(
        "query-compacted",
        &[&store],
        &["--enable-feature=promql-experimental-functions"],
    );
    same_answers_as_prometheus(&prom, querier.http_port, start, end);
    // Enabled: histogram_avg is what later Prometheus versions define, sum ÷ count.
    let by_prometheus = format!(
        "/api/v1/query?query={}&time={}",
        http::encode("histogram_sum(nh_request_seconds) / histogram_count(nh_request_seconds)"),
        end / 1000
    );
    let (got, want) = (data(querier.http_port, &avg), prom.api(&by_prometheus));
    assert!(
        want["result"].as_array().is_some_and(|r| !r.is_empty()),
        "{want}"
    );
    let pairs = |d: &serde_json::Value| {
        let mut p: Vec<(String, String)> = d["result"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| (s["metric"].to_string(), s["value"].to_string()))
            .collect();
        p.sort();
        p
    };
    assert_eq!(pairs(&got), pairs(&want));
    store.assert_running();
}

/// Range and instant PromQL over the histograms, from the querier on `port` between
/// `start` and `end` (ms): the same JSON as Prometheus' own answers.
fn same_answers_as_prometheus(prom: &Prometheus, port: u16, start: i64, end: i64) {
    let normalized = |mut d: serde_json::Value| {
        if let Some(r) = d["result"].as_array_mut() {
            r.sort_by_key(|s| s["metric"].to_string());
        }
        d
    };
    for query in [
        "nh_request_seconds",
        "nh_signed_values",
        "rate(nh_request_seconds[10s])",
        "increase(nh_signed_values[5s])",
        "sum(nh_request_seconds)",
        "histogram_quantile(0.9, rate(nh_request_seconds[10s]))",
        "histogram_quantile(0.5, nh_signed_values)",
        "histogram_fraction(0, 0.01, nh_request_seconds)",
        "histogram_count(nh_empty_seconds)",
        "histogram_sum(rate(nh_signed_values[6s]))",
        "nh_request_seconds + nh_request_seconds",
        "nh_signed_values * 2",
        "count_over_time(nh_request_seconds[5s])",
    ] {
        let path = format!(
            "/api/v1/query_range?query={}&start={}.{:03}&end={}.{:03}&step=1",
            http::encode(query),
            start / 1000,
            start % 1000,
            end / 1000,
            end % 1000
        );
        let want = normalized(prom.api(&path));
        assert!(
            want["result"].as_array().is_some_and(|r| !r.is_empty()),
            "{query}: Prometheus has no answer"
        );
        let got = normalized(data(port, &path));
        assert_eq!(got, want, "{query}");
        let at = format!(
            "/api/v1/query?query={}&time={}",
            http::encode(query),
            end / 1000
        );
        assert_eq!(
            normalized(data(port, &at)),
            normalized(prom.api(&at)),
            "{query} at {}",
            end / 1000
        );
    }
}

/// Two replicas scrape the same histograms and ship 20 s blocks; one compactor pass with
/// `--deduplication.replica-label=replica` merges them offline (decode, merge, re-encode
/// with mnemos' codec). Through a store gateway: every merged sample is one of the
/// replicas' samples exactly as Prometheus answers it, timestamps strictly increase, and
/// the live series have no gap above 1.5 scrape intervals.
#[test]
fn replicas_of_native_histograms_deduplicate_offline() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let objstore = objstore_config(work, &garage);
    let target = native_histograms::target();
    let prom_a = start_replica(work, "a", target.port);
    let prom_b = start_replica(work, "b", target.port);
    let sidecars = [
        start_sidecar(work, "a", &prom_a, &objstore),
        start_sidecar(work, "b", &prom_b, &objstore),
    ];
    let shipped = wait_for(Duration::from_secs(150), Duration::from_secs(1), || {
        sidecars
            .iter()
            .all(|s| s.metric("mnemos_shipper_uploads_total") >= 3.0)
            .then_some(())
    });
    assert!(
        shipped.is_some(),
        "both replicas ship three blocks within 150s"
    );
    live_dedup_follows_the_other_replica_through_a_hole(work, &prom_a, &prom_b, &sidecars);
    drop(sidecars);
    let out = Command::new(mnemos_bin())
        .args(["compact", "--consistency-delay=0s", "--delete-delay=0s"])
        .arg(format!("--objstore.config-file={}", objstore.display()))
        .arg(format!("--data-dir={}", work.join("compact").display()))
        .arg(format!("--http-address=127.0.0.1:{}", free_port()))
        .args([
            "--deduplication.replica-label=replica",
            "--compact.ranges=20s,1m",
            "--downsampling.disable",
        ])
        .output()
        .expect("run mnemos compact");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "compact failed: {log}");
    assert!(!log.contains("no-compact"), "{log}");

    let mut store = start_store(work, &objstore);
    let request = SeriesRequest {
        min_time: i64::MIN,
        max_time: i64::MAX,
        matchers: vec![LabelMatcher::new(Type::Re, "__name__", "nh_.*")],
        ..SeriesRequest::default()
    };
    let (series, warnings) = storeapi::series_chunks(store.grpc_port, request).expect("Series");
    assert!(warnings.is_empty(), "{warnings:?}");
    let merged: Vec<_> = series
        .into_iter()
        .filter(|s| !s.labels.iter().any(|l| l.name == "replica"))
        .collect();
    assert!(merged.len() >= 4, "deduplicated series: {}", merged.len());
    let mut compared = 0;
    for s in &merged {
        let labels: Vec<String> = s
            .labels
            .iter()
            .map(|l| format!("{}={:?}", l.name, l.value))
            .collect();
        let selector = format!("{{{}}}", labels.join(","));
        let mut samples: Vec<(i64, Histogram)> = Vec::new();
        for c in &s.chunks {
            let raw = c.raw.as_ref().expect("raw chunk");
            assert_eq!(raw.r#type, Encoding::Histogram as i32, "{selector}");
            samples.extend(decode_histograms(&raw.data).expect("a valid histogram chunk"));
        }
        assert!(
            samples.windows(2).all(|w| w[0].0 < w[1].0),
            "{selector}: order"
        );
        let live: Vec<&(i64, Histogram)> = samples.iter().filter(|(_, h)| !h.is_stale()).collect();
        if !selector.contains("short_lived") {
            for w in live.windows(2) {
                assert!(
                    w[1].0 - w[0].0 <= 1_500,
                    "{selector}: gap {}..{}",
                    w[0].0,
                    w[1].0
                );
            }
        }
        for (t, h) in live {
            let got = api_view(h);
            let from = [&prom_a, &prom_b]
                .iter()
                .filter_map(|p| api_histogram(p, &selector, *t))
                .any(|want| same_view(&got, &want));
            assert!(
                from,
                "{selector} at {t}: {got:?} is neither replica's sample"
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "compared only {compared} samples");
    store.assert_running();
}

/// Live deduplication in the querier: replica a freezes (SIGSTOP) for five scrapes while b
/// goes on; over both sidecars, the querier's raw samples of a histogram series have no gap
/// above 1.5 scrape intervals, each is a's or b's sample at its timestamp, and they hold no
/// counter reset that the two replicas' samples merged in time order do not hold (the
/// target's counters grow with every scrape of either replica, so a replica switch must not
/// look like a reset).
fn live_dedup_follows_the_other_replica_through_a_hole(
    work: &Path,
    prom_a: &Prometheus,
    prom_b: &Prometheus,
    sidecars: &[Component],
) {
    let signal = |sig: &str| {
        let ok = Command::new("kill")
            .arg(sig)
            .arg(prom_a.pid().to_string())
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig}");
    };
    signal("-STOP");
    std::thread::sleep(Duration::from_secs(5));
    signal("-CONT");
    std::thread::sleep(Duration::from_secs(3));
    let mut querier = Component::start(
        work,
        "query-live",
        &[
            "query".to_string(),
            format!("--endpoint=127.0.0.1:{}", sidecars[0].grpc_port),
            format!("--endpoint=127.0.0.1:{}", sidecars[1].grpc_port),
            "--query.replica-label=replica".to_string(),
        ],
    );
    querier.wait_ready(Duration::from_secs(30));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
        - 1_000;
    let path = format!(
        "/api/v1/query?query={}&time={}.{:03}",
        http::encode(r#"nh_request_seconds{path="/a"}[40s]"#),
        now / 1000,
        now % 1000
    );
    // (t ms, count, the sample's JSON) of the one series in a range-vector answer.
    let samples = |d: serde_json::Value| -> Vec<(i64, f64, serde_json::Value)> {
        let r = d["result"].as_array().expect("matrix");
        assert_eq!(r.len(), 1, "{d}");
        assert!(r[0]["metric"].get("replica").is_none(), "{d}");
        r[0]["histograms"]
            .as_array()
            .expect("histograms")
            .iter()
            .map(|p| {
                let t = (p[0].as_f64().expect("time") * 1000.0).round() as i64;
                let count = parse_go_float(p[1]["count"].as_str().expect("count"));
                (t, count, p[1].clone())
            })
            .collect()
    };
    let got = samples(data(querier.http_port, &path));
    let a = samples(prom_a.api(&path));
    let b = samples(prom_b.api(&path));
    assert!(got.len() >= 35, "{} samples in 40 s", got.len());
    // a really has the hole, b not.
    assert!(
        a.windows(2).any(|w| w[1].0 - w[0].0 > 3_000),
        "no hole in a: {a:?}"
    );
    for w in got.windows(2) {
        assert!(w[0].0 < w[1].0, "order");
        assert!(w[1].0 - w[0].0 <= 1_500, "gap {}..{}", w[0].0, w[1].0);
    }
    for (t, _, json) in &got {
        let of = |r: &[(i64, f64, serde_json::Value)]| r.iter().any(|s| s.0 == *t && &s.2 == json);
        assert!(of(&a) || of(&b), "sample at {t} is neither replica's");
    }
    let resets = |s: &[(i64, f64)]| s.windows(2).filter(|w| w[1].1 < w[0].1).count();
    let mut union: Vec<(i64, f64)> = a.iter().chain(&b).map(|s| (s.0, s.1)).collect();
    union.sort_by_key(|x| x.0);
    let merged: Vec<(i64, f64)> = got.iter().map(|s| (s.0, s.1)).collect();
    assert!(
        resets(&merged) <= resets(&union),
        "deduplicated resets {} > the replicas' {}",
        resets(&merged),
        resets(&union)
    );
}
