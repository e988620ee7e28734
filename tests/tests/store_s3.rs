//! `mnemos store` over blocks in a real S3 server (Garage): two streams with different
//! external labels, adjacent 2h blocks and an overlapping duplicate block; `Series` equals
//! promtool's dump for a range of matchers and time ranges, labels equal the blocks' own;
//! corrupt blocks are skipped; limits fail early; blocks added and deleted while serving.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mnemos_e2e::component::Component;
use mnemos_e2e::garage::Garage;
use mnemos_e2e::openmetrics::{self, Spec};
use mnemos_e2e::process::wait_for;
use mnemos_e2e::promtool;
use mnemos_e2e::storeapi::{self, SeriesSamples};
use mnemos_objstore::Bucket;
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::{LabelMatcher, LabelNamesRequest, LabelValuesRequest, SeriesRequest};
use mnemos_tsdb::gofmt::format_g;
use mnemos_tsdb::meta::ThanosMeta;
use mnemos_tsdb::{BlockMeta, Labels};
use ulid::Ulid;

fn upload(rt: &tokio::runtime::Runtime, bucket: &Bucket, dir: &Path, cluster: &str) -> Ulid {
    let thanos = ThanosMeta {
        version: 1,
        labels: BTreeMap::from([
            ("cluster".into(), cluster.into()),
            ("replica".into(), "a".into()),
        ]),
        source: "test".into(),
        ..ThanosMeta::default()
    };
    let meta = rt
        .block_on(mnemos_block::upload_block(bucket, dir, thanos))
        .expect("upload");
    Ulid::from_string(&meta.ulid).expect("ulid")
}

/// A copy of `block` under a new ULID (same chunks: an overlapping duplicate).
fn duplicate(block: &Path, parent: &Path) -> PathBuf {
    let id = Ulid::new().to_string();
    let dest = parent.join(&id);
    promtool::copy_dir(block, &dest);
    let mut meta = BlockMeta::read_from_dir(&dest).expect("meta");
    meta.ulid = id;
    meta.write_to_dir(&dest).expect("write meta");
    dest
}

fn backfill(work: &Path, name: &str, seed: u64) -> PathBuf {
    let spec = Spec {
        seed,
        series: 60,
        samples_per_series: 300,
        label_names: 2,
        start_ms: 1_700_000_000_000,
        max_step_ms: 60_000,
    };
    let om = work.join(format!("{name}.om"));
    openmetrics::write(&spec, &om);
    let dir = work.join(name);
    promtool::create_blocks(&om, &dir);
    promtool::ensure_wal(&dir);
    dir
}

fn m(t: Type, name: &str, value: &str) -> LabelMatcher {
    LabelMatcher::new(t, name, value)
}

/// Dump lines (promtool format, labels without external ones) of the series of one
/// cluster; checks the external labels on the way.
fn lines_of(series: &[SeriesSamples], cluster: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in series {
        let get = |n: &str| {
            s.labels
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        if get("cluster") != Some(cluster) {
            continue;
        }
        assert_eq!(get("replica"), Some("a"), "{:?}", s.labels);
        let own = Labels::from_pairs(
            s.labels
                .iter()
                .filter(|(k, _)| k != "cluster" && k != "replica")
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        for (t, v) in &s.samples {
            out.push(format!("{own} {} {t}", format_g(*v)));
        }
    }
    out
}

fn assert_lines(what: &str, want: &str, mut got: Vec<String>) {
    let mut want: Vec<String> = want.lines().map(str::to_string).collect();
    want.sort();
    got.sort();
    if want != got {
        let first = want
            .iter()
            .zip(&got)
            .position(|(a, b)| a != b)
            .unwrap_or(want.len().min(got.len()));
        panic!(
            "{what}: {} lines expected, {} got; first difference at {first}: {:?} vs {:?}",
            want.len(),
            got.len(),
            want.get(first),
            got.get(first)
        );
    }
}

fn start_store(work: &Path, name: &str, yaml: &str, extra: &[&str]) -> Component {
    let config = work.join(format!("{name}.yml"));
    std::fs::write(&config, yaml).expect("config");
    let mut args = vec![
        "store".to_string(),
        format!("--objstore.config-file={}", config.display()),
        format!("--data-dir={}", work.join(format!("{name}-data")).display()),
        "--sync-block-duration=1s".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut c = Component::start(work, name, &args);
    c.wait_ready(Duration::from_secs(30));
    c
}

#[test]
fn store_gateway_serves_bucket_blocks_like_promtool() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let garage = Garage::start(work);
    let yaml = garage.objstore_yaml(&garage.endpoint());
    let bucket = mnemos_e2e::open_bucket(&yaml);
    let rt = mnemos_e2e::runtime();

    let eu = backfill(work, "eu1", 1);
    let us = backfill(work, "us1", 2);
    let eu_blocks = promtool::blocks_in(&eu);
    for b in &eu_blocks {
        upload(&rt, &bucket, b, "eu1");
    }
    for b in promtool::blocks_in(&us) {
        upload(&rt, &bucket, &b, "us1");
    }
    let dup_dir = work.join("dups");
    let dup = duplicate(&eu_blocks[1], &dup_dir);
    let dup_id = upload(&rt, &bucket, &dup, "eu1");

    // Three corrupt blocks of a third stream: truncated index, bad CRC, missing chunks.
    let bad = backfill(work, "bad", 3);
    let bad_blocks = promtool::blocks_in(&bad);
    let ids: Vec<Ulid> = bad_blocks
        .iter()
        .take(3)
        .map(|b| upload(&rt, &bucket, b, "bad"))
        .collect();
    rt.block_on(async {
        let key = format!("{}/index", ids[0]);
        let index = bucket.get(&key).await.expect("index");
        bucket
            .put(&key, index.slice(..index.len() - 100))
            .await
            .expect("truncate");
        let key = format!("{}/index", ids[1]);
        let mut index = bucket.get(&key).await.expect("index").to_vec();
        index[12] ^= 0xff; // inside the symbol table
        bucket.put(&key, index.into()).await.expect("flip");
        bucket
            .delete(&format!("{}/chunks/000001", ids[2]))
            .await
            .expect("delete chunks");
    });

    let mut store = start_store(work, "store", &yaml, &[]);
    let port = store.grpc_port;

    // Corrupt blocks are skipped, logged and counted; the gateway keeps running.
    let skipped = wait_for(Duration::from_secs(30), Duration::from_millis(200), || {
        store.assert_running();
        (store.metric("mnemos_store_blocks_corrupt_total") >= 3.0).then_some(())
    });
    assert!(
        skipped.is_some(),
        "corrupt blocks not counted; log {}",
        store.log.display()
    );
    assert!(store.log_text().contains("skipping corrupt block"));

    let info = storeapi::info(port);
    let sets: Vec<String> = info
        .label_sets
        .iter()
        .map(|s| {
            s.labels
                .iter()
                .map(|l| format!("{}={}", l.name, l.value))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    assert_eq!(sets, vec!["cluster=eu1,replica=a", "cluster=us1,replica=a"]);

    let all = promtool::dump(&eu, &[]);
    let first: i64 = all
        .lines()
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .min()
        .expect("samples");
    let last: i64 = all
        .lines()
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .max()
        .expect("samples");
    let mid = first + (last - first) / 3;
    let late = first + 2 * (last - first) / 3;
    let cases: Vec<(Vec<LabelMatcher>, &str, i64, i64)> = vec![
        (
            vec![m(Type::Eq, "__name__", "mnemos_gauge")],
            "{__name__=\"mnemos_gauge\"}",
            first,
            last,
        ),
        (
            vec![m(Type::Re, "job", "job1|job2")],
            "{job=~\"job1|job2\"}",
            mid,
            late,
        ),
        (
            vec![
                m(Type::Re, "__name__", "mnemos_.*"),
                m(Type::Neq, "series", "3"),
            ],
            "{__name__=~\"mnemos_.*\",series!=\"3\"}",
            first,
            late,
        ),
        (
            vec![
                m(Type::Eq, "cluster", "eu1"),
                m(Type::Re, "instance", "host-1.*"),
            ],
            "{instance=~\"host-1.*\"}",
            mid,
            last,
        ),
        (
            vec![m(Type::Nre, "l00", ".*plain.*"), m(Type::Eq, "job", "job3")],
            "{l00!~\".*plain.*\",job=\"job3\"}",
            first,
            last,
        ),
        (
            vec![
                m(Type::Eq, "cluster", "us1"),
                m(Type::Eq, "__name__", "mnemos_requests_total"),
            ],
            "{__name__=\"mnemos_requests_total\"}",
            late,
            last,
        ),
    ];
    for (matchers, selector, mint, maxt) in cases {
        let clusters: Vec<&str> = ["eu1", "us1"]
            .into_iter()
            .filter(|c| {
                !matchers
                    .iter()
                    .any(|m| m.name == "cluster" && m.value != *c)
            })
            .collect();
        let (got, warnings) = storeapi::series(
            port,
            SeriesRequest {
                min_time: mint,
                max_time: maxt,
                matchers: matchers.clone(),
                ..Default::default()
            },
        )
        .expect("Series");
        assert!(warnings.is_empty(), "{warnings:?}");
        // Series are sorted by labels, one per label set (the duplicate block merged in).
        let keys: Vec<&Vec<(String, String)>> = got.iter().map(|s| &s.labels).collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "{selector}: not sorted or not merged"
        );
        assert!(!got.is_empty(), "{selector}: no series");
        for cluster in ["eu1", "us1"] {
            let dir = if cluster == "eu1" { &eu } else { &us };
            let want = if clusters.contains(&cluster) {
                promtool::dump(
                    dir,
                    &[
                        &format!("--match={selector}"),
                        &format!("--min-time={mint}"),
                        &format!("--max-time={maxt}"),
                    ],
                )
            } else {
                String::new()
            };
            assert_lines(
                &format!("{selector} {cluster} [{mint},{maxt}]"),
                &want,
                lines_of(&got, cluster),
            );
        }
    }

    // A contradicting external-label matcher: nothing.
    let (none, _) = storeapi::series(
        port,
        SeriesRequest {
            min_time: first,
            max_time: last,
            matchers: vec![m(Type::Eq, "cluster", "nope"), m(Type::Re, "job", ".+")],
            ..Default::default()
        },
    )
    .expect("Series");
    assert!(none.is_empty());

    // Label names and values equal the sets in promtool's dump (plus external labels).
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut jobs: BTreeSet<String> = BTreeSet::new();
    for line in all.lines() {
        for (n, v) in mnemos_e2e::dump_line_labels(line) {
            if n == "job" {
                jobs.insert(v);
            }
            names.insert(n);
        }
    }
    assert!(
        names.contains("__name__") && names.contains("l01") && jobs.len() == 7,
        "{names:?} {jobs:?}"
    );
    names.extend(["cluster".to_string(), "replica".to_string()]);
    let got_names = storeapi::label_names(
        port,
        LabelNamesRequest {
            start: first,
            end: last,
            matchers: vec![m(Type::Eq, "cluster", "eu1")],
            ..Default::default()
        },
    )
    .expect("LabelNames");
    assert_eq!(got_names, names.into_iter().collect::<Vec<_>>());
    let got_jobs = storeapi::label_values(
        port,
        LabelValuesRequest {
            label: "job".into(),
            start: first,
            end: last,
            matchers: vec![m(Type::Eq, "cluster", "eu1")],
            ..Default::default()
        },
    )
    .expect("LabelValues");
    assert_eq!(got_jobs, jobs.into_iter().collect::<Vec<_>>());
    let clusters = storeapi::label_values(
        port,
        LabelValuesRequest {
            label: "cluster".into(),
            start: first,
            end: last,
            ..Default::default()
        },
    )
    .expect("LabelValues");
    assert_eq!(clusters, vec!["eu1".to_string(), "us1".to_string()]);

    // Blocks deleted and added while serving: answers stay complete.
    rt.block_on(mnemos_block::delete_block(&bucket, dup_id))
        .expect("delete dup");
    let extra = duplicate(&eu_blocks[0], &dup_dir);
    upload(&rt, &bucket, &extra, "eu1");
    for _ in 0..10 {
        let (got, _) = storeapi::series(
            port,
            SeriesRequest {
                min_time: first,
                max_time: last,
                matchers: vec![m(Type::Eq, "__name__", "mnemos_gauge")],
                ..Default::default()
            },
        )
        .expect("Series while syncing");
        assert_lines(
            "while syncing",
            &promtool::dump(&eu, &["--match={__name__=\"mnemos_gauge\"}"]),
            lines_of(&got, "eu1"),
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(store.metric("mnemos_objstore_bucket_operation_transferred_bytes_total") > 0.0);

    // Limits fail early with a clear error, in a second gateway over the same bucket.
    let limited = start_store(work, "limited", &yaml, &["--store.limits.request-series=5"]);
    let err = storeapi::series(
        limited.grpc_port,
        SeriesRequest {
            min_time: first,
            max_time: last,
            matchers: vec![m(Type::Re, "__name__", ".+")],
            ..Default::default()
        },
    )
    .expect_err("over the series limit");
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err}");
    assert!(
        err.message().contains("exceeded series limit: limit 5"),
        "{err}"
    );
    // Sharding: a gateway keeping only cluster us1, and one serving only a time window.
    let shard = start_store(
        work,
        "shard",
        &yaml,
        &["--selector.relabel-config=- action: keep\n  source_labels: [cluster]\n  regex: us1\n"],
    );
    let info = storeapi::info(shard.grpc_port);
    assert_eq!(info.label_sets.len(), 1);
    assert!(info.label_sets[0]
        .labels
        .iter()
        .any(|l| l.name == "cluster" && l.value == "us1"));
    let min_time = format!("--min-time={}", mnemos_tsdb::gofmt::rfc3339(late));
    let window = start_store(work, "window", &yaml, &[&min_time]);
    // Before the window: nothing; across it: only chunks reaching into it.
    let window_series = |min_time: i64, max_time: i64| {
        storeapi::series(
            window.grpc_port,
            SeriesRequest {
                min_time,
                max_time,
                matchers: vec![m(Type::Eq, "cluster", "eu1"), m(Type::Re, "job", ".+")],
                ..Default::default()
            },
        )
        .expect("Series")
        .0
    };
    assert!(window_series(first, late - 1000).is_empty());
    let across = window_series(first, last);
    assert!(!across.is_empty());
    assert!(across
        .iter()
        .all(|s| s.samples.last().is_some_and(|(t, _)| *t >= late - 1000)));
    let store_info = storeapi::info(window.grpc_port).store.expect("store info");
    assert!(store_info.min_time >= late - 1000, "{store_info:?}");
}
