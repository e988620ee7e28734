//! `mnemos compact` over a real S3 server (Garage) with blocks made by promtool and uploaded
//! with `mnemos tools bucket upload`: one pass compacts 2h blocks of two replicas into 8h
//! and 2d blocks with correct metas, downsamples the 2d blocks to 5m, deletes the sources;
//! promtool's dump of a compacted block equals the dump of its sources. A corrupt block and
//! an overlapping pair with conflicting samples get no-compact marks while the rest is
//! compacted. Offline deduplication merges replicas. SIGKILLs during passes, then a rerun:
//! the bucket converges with nothing lost, duplicated or orphaned.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use mnemos_block::{read_mark, BucketBlocks, MetaFetcher, NoCompactMark};
use mnemos_e2e::component::{metric_sum, Component};
use mnemos_e2e::garage::GarageBucket;
use mnemos_e2e::http;
use mnemos_e2e::openmetrics::{self, Spec};
use mnemos_e2e::process::{free_port, log_digest, wait_for, ChildGuard};
use mnemos_e2e::promapi::{data, matrix};
use mnemos_e2e::prometheus::Prometheus;
use mnemos_e2e::{assert_same_dump, dump_line_labels, mnemos_bin, promtool, storeapi};
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::store_client::StoreClient;
use mnemos_storeapi::thanos::{series_response, Aggr, LabelMatcher, SeriesRequest};
use mnemos_tsdb::chunkenc::decode_xor_into;
use mnemos_tsdb::BlockMeta;
use prometheus_client::registry::Registry;
use ulid::Ulid;

/// Start of the test data: 2023-11-15T00:00:00Z, aligned to 2h and to 2d (since the epoch).
const START_MS: i64 = 1_700_006_400_000;
const HOUR: i64 = 3_600_000;

/// The shared Garage work environment, with this test's helpers on top.
struct Env(GarageBucket);

impl std::ops::Deref for Env {
    type Target = GarageBucket;
    fn deref(&self) -> &GarageBucket {
        &self.0
    }
}

impl Env {
    fn start() -> Env {
        Env(GarageBucket::start())
    }

    /// ~3 days of irregular samples (counter resets, gaps, special values) as 2h blocks.
    fn backfill(&self, name: &str, seed: u64) -> PathBuf {
        let spec = Spec {
            seed,
            series: 12,
            samples_per_series: 2000,
            label_names: 1,
            start_ms: START_MS,
            max_step_ms: 120_000,
        };
        let om = self.path().join(format!("{name}.om"));
        openmetrics::write(&spec, &om);
        let dir = self.path().join(name);
        promtool::create_blocks(&om, &dir);
        dir
    }

    /// One 2h block of one gauge: `value(i)` every minute from START_MS.
    fn single_block(&self, name: &str, value: impl Fn(i64) -> f64) -> PathBuf {
        let mut om = String::from("# TYPE overlap gauge\n");
        for i in 0..120 {
            let t = START_MS + i * 60_000;
            om.push_str(&format!(
                "overlap{{k=\"v\"}} {} {}.{:03}\n",
                value(i),
                t / 1000,
                t % 1000
            ));
        }
        om.push_str("# EOF\n");
        let path = self.path().join(format!("{name}.om"));
        std::fs::write(&path, om).expect("write openmetrics");
        let dir = self.path().join(name);
        promtool::create_blocks(&path, &dir);
        dir
    }

    /// `mnemos tools bucket upload --label … <blocks>`; returns the uploaded ids.
    fn upload(&self, labels: &[&str], blocks: &[PathBuf]) -> Vec<Ulid> {
        let mut cmd = Command::new(mnemos_bin());
        cmd.args(["tools", "bucket", "upload"])
            .arg(format!("--objstore.config-file={}", self.config.display()));
        for l in labels {
            cmd.arg(format!("--label={l}"));
        }
        cmd.args(blocks);
        let out = mnemos_e2e::process::stdout_of(&mut cmd);
        out.lines()
            .map(|l| Ulid::from_string(l.trim()).expect("uploaded ulid"))
            .collect()
    }

    /// One compactor pass, which must succeed; returns its output.
    fn compact(&self, data: &str, extra: &[&str]) -> Output {
        let out = self
            .compact_cmd(data, free_port(), extra)
            .output()
            .expect("run mnemos compact");
        assert!(
            out.status.success(),
            "mnemos compact failed: {}\n{}",
            out.status,
            log_digest(&String::from_utf8_lossy(&out.stderr))
        );
        out
    }

    fn blocks(&self) -> BucketBlocks {
        let fetcher = MetaFetcher::new(self.bucket.clone(), None, &mut Registry::default());
        self.rt.block_on(fetcher.fetch()).expect("fetch metas")
    }

    fn no_compact_mark(&self, id: Ulid) -> Option<NoCompactMark> {
        self.rt
            .block_on(read_mark::<NoCompactMark>(&self.bucket, id))
            .expect("read mark")
    }

    /// promtool's dump of the given bucket blocks, downloaded into one fresh directory.
    fn dump_bucket_blocks(&self, name: &str, ids: &[Ulid]) -> String {
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for id in ids {
            self.rt
                .block_on(mnemos_block::download_block(&self.bucket, *id, &dir))
                .expect("download");
        }
        promtool::dump(&dir, &[])
    }
}

/// promtool's dump of local block directories, copied into one data directory.
fn dump_local(work: &Path, name: &str, blocks: &[PathBuf]) -> String {
    let dir = work.join(name);
    for b in blocks {
        promtool::copy_dir(b, &dir.join(b.file_name().expect("block name")));
    }
    promtool::dump(&dir, &[])
}

fn labels_of(m: &BlockMeta) -> BTreeMap<String, String> {
    m.thanos
        .as_ref()
        .map(|t| t.labels.clone())
        .unwrap_or_default()
}

fn source_of(m: &BlockMeta) -> &str {
    m.thanos.as_ref().map_or("", |t| t.source.as_str())
}

fn has_labels(m: &BlockMeta, want: &[(&str, &str)]) -> bool {
    let want: BTreeMap<String, String> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    labels_of(m) == want
}

/// Live blocks of a stream and resolution.
fn stream(blocks: &BucketBlocks, labels: &[(&str, &str)], res: i64) -> Vec<(Ulid, Arc<BlockMeta>)> {
    blocks
        .live()
        .filter(|(_, m)| has_labels(m, labels) && m.resolution() == res)
        .map(|(id, m)| (*id, m.clone()))
        .collect()
}

fn sources(id: Ulid, m: &BlockMeta) -> Vec<String> {
    if m.compaction.sources.is_empty() {
        vec![id.to_string()]
    } else {
        m.compaction.sources.clone()
    }
}

/// The live raw blocks of a stream hold each uploaded block exactly once (sources disjoint,
/// union = uploaded), with sane compaction metas.
fn check_stream_converged(
    blocks: &BucketBlocks,
    labels: &[(&str, &str)],
    uploaded: &[Ulid],
) -> Vec<(Ulid, Arc<BlockMeta>)> {
    let live = stream(blocks, labels, 0);
    let mut seen = BTreeSet::new();
    for (id, m) in &live {
        for s in sources(*id, m) {
            assert!(
                seen.insert(s.clone()),
                "source {s} in two live blocks of {labels:?}"
            );
        }
        if source_of(m) == "compactor" {
            assert!(
                m.compaction.level >= 2,
                "{id}: level {}",
                m.compaction.level
            );
            let mut parents = m.compaction.parents.clone();
            assert!(
                parents.len() >= 2 || m.compaction.level >= 2,
                "{id}: parents {parents:?}"
            );
            parents.sort_by_key(|p| p.min_time);
            assert_eq!(
                parents.first().map(|p| p.min_time),
                Some(m.min_time),
                "{id}"
            );
            assert_eq!(
                parents.iter().map(|p| p.max_time).max(),
                Some(m.max_time),
                "{id}"
            );
            if m.compaction.level == 2 {
                let mut ps: Vec<String> = parents.iter().map(|p| p.ulid.clone()).collect();
                ps.sort();
                assert_eq!(
                    ps, m.compaction.sources,
                    "{id}: level-2 parents are its sources"
                );
            }
        }
    }
    let want: BTreeSet<String> = uploaded.iter().map(Ulid::to_string).collect();
    assert_eq!(
        seen, want,
        "live blocks of {labels:?} cover exactly the uploaded blocks"
    );
    live
}

/// The store gateway serves the downsampled twin of `raw` (whose promtool dump is
/// `raw_dump`) for a `max_resolution_window` of `res`: per series, the counts add up to the
/// raw sample count, the min and max aggregates to the raw extremes, and the counter parts
/// to the raw counter total.
fn check_downsampled_through_store_gateway(env: &Env, raw: &BlockMeta, raw_dump: &str, res: i64) {
    let mut want: BTreeMap<Vec<(String, String)>, (u64, f64, f64)> = BTreeMap::new();
    // Per series: the counter total (first value plus increases, a drop being a reset) and
    // the last value, computed from the raw samples in dump (time) order.
    let mut counters: BTreeMap<Vec<(String, String)>, (f64, f64)> = BTreeMap::new();
    for line in raw_dump.lines() {
        let mut fields = line.rsplitn(3, ' ');
        let (Some(_ts), Some(v)) = (fields.next(), fields.next()) else {
            panic!("dump line {line:?}");
        };
        let v: f64 = match v {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or(f64::NAN),
        };
        let e = want
            .entry(dump_line_labels(line))
            .or_insert((0, f64::MAX, -f64::MAX));
        *e = (e.0 + 1, e.1.min(v), e.2.max(v));
        if line.starts_with("{__name__=\"mnemos_requests_total\"") {
            let c = counters.entry(dump_line_labels(line)).or_insert((v, v));
            c.0 += if v >= c.1 { v - c.1 } else { v };
            c.1 = v;
        }
    }
    assert!(!counters.is_empty(), "the data has counters");
    let mut store = Component::start(
        env.path(),
        "store",
        &[
            "store".to_string(),
            format!("--objstore.config-file={}", env.config.display()),
            format!(
                "--data-dir={}",
                env.path().join(format!("store-data-{res}")).display()
            ),
        ],
    );
    store.wait_ready(Duration::from_secs(30));
    let request = SeriesRequest {
        min_time: raw.min_time,
        max_time: raw.max_time - 1,
        matchers: vec![
            LabelMatcher::new(Type::Re, "__name__", ".+"),
            LabelMatcher::new(Type::Eq, "cluster", "eu"),
            LabelMatcher::new(Type::Eq, "replica", "a"),
        ],
        max_resolution_window: res,
        aggregates: vec![
            Aggr::Count as i32,
            Aggr::Min as i32,
            Aggr::Max as i32,
            Aggr::Counter as i32,
        ],
        ..SeriesRequest::default()
    };
    let series = env.rt.block_on(async {
        let mut client = StoreClient::connect(format!("http://127.0.0.1:{}", store.grpc_port))
            .await
            .expect("connect");
        let mut stream = client.series(request).await.expect("series").into_inner();
        let mut out = Vec::new();
        while let Some(frame) = stream.message().await.expect("frame") {
            if let Some(series_response::Result::Series(s)) = frame.result {
                out.push(s);
            }
        }
        out
    });
    assert_eq!(series.len(), want.len(), "series through the store gateway");
    let decode = |c: &Option<mnemos_storeapi::thanos::Chunk>| -> Vec<f64> {
        let c = c.as_ref().expect("aggregate present in a 5m chunk");
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        decode_xor_into(&c.data, &mut ts, &mut vs).expect("XOR aggregate");
        vs
    };
    for s in &series {
        let labels: Vec<(String, String)> = s
            .labels
            .iter()
            .filter(|l| l.name != "cluster" && l.name != "replica")
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect();
        let (count, min, max) = want[&labels];
        assert!(
            s.chunks.iter().all(|c| c.raw.is_none()),
            "{labels:?}: 5m chunks, not raw"
        );
        // One count per window of `res`: the resolution asked for was served.
        let windows = s.chunks.iter().flat_map(|c| decode(&c.count)).count() as i64;
        let most = (raw.max_time - raw.min_time) / res + 1;
        assert!(windows <= most, "{labels:?}: {windows} windows of {res} ms");
        let got_count: f64 = s.chunks.iter().flat_map(|c| decode(&c.count)).sum();
        assert_eq!(got_count, count as f64, "{labels:?}: count");
        let got_min = s
            .chunks
            .iter()
            .flat_map(|c| decode(&c.min))
            .fold(f64::MAX, f64::min);
        let got_max = s
            .chunks
            .iter()
            .flat_map(|c| decode(&c.max))
            .fold(-f64::MAX, f64::max);
        assert_eq!((got_min, got_max), (min, max), "{labels:?}: min and max");
        if let Some(&(total, last)) = counters.get(&labels) {
            // Read the counter parts as Thanos does: a sample at the previous timestamp is
            // the true last raw value of a chunk; otherwise increases add up, drops reset.
            let mut state: Option<(i64, f64, f64)> = None; // (last t, last raw, total)
            for c in &s.chunks {
                let part = c.counter.as_ref().expect("counter part");
                let (mut ts, mut vs) = (Vec::new(), Vec::new());
                decode_xor_into(&part.data, &mut ts, &mut vs).expect("XOR counter");
                for (t, v) in ts.into_iter().zip(vs) {
                    state = Some(match state {
                        None => (t, v, v),
                        Some((lt, lv, tot)) if t > lt => {
                            (t, v, tot + if v >= lv { v - lv } else { v })
                        }
                        Some((lt, _, tot)) => (lt, v, tot),
                    });
                }
            }
            let (_, got_last, got_total) = state.expect("counter samples");
            assert_eq!((got_total, got_last), (total, last), "{labels:?}: counter");
        }
    }
}

/// A ready store gateway over the bucket.
fn start_store(env: &Env, name: &str) -> Component {
    let mut store = Component::start(
        env.path(),
        &format!("store-{name}"),
        &[
            "store".to_string(),
            format!("--objstore.config-file={}", env.config.display()),
            format!(
                "--data-dir={}",
                env.path().join(format!("store-{name}")).display()
            ),
        ],
    );
    store.wait_ready(Duration::from_secs(30));
    store
}

/// Every raw series of the bucket through a fresh store gateway (sorted by labels).
fn raw_series_via_store(env: &Env, name: &str) -> Vec<storeapi::SeriesSamples> {
    let store = start_store(env, name);
    let request = SeriesRequest {
        min_time: i64::MIN,
        max_time: i64::MAX,
        matchers: vec![LabelMatcher::new(Type::Re, "__name__", ".+")],
        ..SeriesRequest::default()
    };
    let (series, warnings) = storeapi::series(store.grpc_port, request).expect("Series");
    assert!(warnings.is_empty(), "{warnings:?}");
    series
}

#[test]
fn compaction_downsampling_and_problem_blocks() {
    let env = Env::start();
    let work = env.path().to_path_buf();
    let a_dir = env.backfill("replica-a", 1);
    let b_dir = env.backfill("replica-b", 2);
    let a_blocks = promtool::blocks_in(&a_dir);
    let b_blocks = promtool::blocks_in(&b_dir);
    assert!(a_blocks.len() >= 30, "{} blocks", a_blocks.len());
    let a_ids = env.upload(&["cluster=eu", "replica=a"], &a_blocks);
    let b_ids = env.upload(&["cluster=eu", "replica=b"], &b_blocks);

    // A third stream with a corrupt block among nine adjacent 2h blocks.
    let bad_dir = env.backfill("bad", 3);
    let bad_blocks: Vec<PathBuf> = promtool::blocks_in(&bad_dir).into_iter().take(9).collect();
    let bad_ids = env.upload(&["cluster=bad"], &bad_blocks);
    env.rt.block_on(async {
        let key = format!("{}/index", bad_ids[1]);
        let mut index = env.bucket.get(&key).await.expect("index").to_vec();
        index[12] ^= 0xff; // inside the symbol table: the CRC no longer matches
        env.bucket
            .put(&key, index.into())
            .await
            .expect("corrupt index");
    });
    // A fourth stream: two blocks over the same 2h with different values.
    let x = env.single_block("overlap-x", |i| i as f64);
    let y = env.single_block("overlap-y", |i| i as f64 + 0.5);
    let mut overlap = promtool::blocks_in(&x);
    overlap.extend(promtool::blocks_in(&y));
    let overlap_ids = env.upload(&["cluster=overlap"], &overlap);
    assert_eq!(overlap_ids.len(), 2);

    let out = env.compact(
        "compact-data",
        &["--compact.concurrency=2", "--downsample.concurrency=2"],
    );
    let log = String::from_utf8_lossy(&out.stderr).to_string();
    let blocks = env.blocks();

    // Nothing half-done: no partial uploads, everything marked was deleted (delay 0s).
    assert!(blocks.partial.is_empty(), "partial: {:?}", blocks.partial);
    assert!(
        blocks.deletion_marked.is_empty(),
        "marked: {:?}",
        blocks.deletion_marked
    );

    for (replica, ids, dir_blocks) in [("a", &a_ids, &a_blocks), ("b", &b_ids, &b_blocks)] {
        let labels = [("cluster", "eu"), ("replica", replica)];
        let live = check_stream_converged(&blocks, &labels, ids);
        let compacted: Vec<&(Ulid, Arc<BlockMeta>)> = live
            .iter()
            .filter(|(_, m)| source_of(m) == "compactor")
            .collect();
        assert!(
            compacted.iter().any(|(_, m)| m.compaction.level == 3),
            "replica {replica}: a 2d (level 3) block: {live:?}"
        );
        // Every raw block of at least 40h has a 5m block with the same sources and range.
        let fives = stream(&blocks, &labels, 300_000);
        let mut big = 0;
        for (id, m) in &live {
            if m.max_time - m.min_time < 40 * HOUR {
                continue;
            }
            big += 1;
            let twin = fives
                .iter()
                .find(|(_, f)| f.compaction.sources == m.compaction.sources);
            let (fid, f) = twin.unwrap_or_else(|| panic!("no 5m block for {id}"));
            assert_eq!((f.min_time, f.max_time), (m.min_time, m.max_time), "{fid}");
            assert_eq!(source_of(f), "compactor");
            assert_eq!(f.compaction.parents[0].ulid, id.to_string());
            assert!(
                f.stats.num_series > 0 && f.stats.num_chunks > 0,
                "{fid}: {:?}",
                f.stats
            );
        }
        assert!(
            big >= 1,
            "replica {replica}: no block of 40h or more: {:?}",
            live.iter()
                .map(|(id, m)| (id, (m.max_time - m.min_time) / 60_000, m.compaction.level))
                .collect::<Vec<_>>()
        );

        // promtool's dump of the largest compacted block equals its sources' merged dump.
        let (id, m) = compacted
            .iter()
            .max_by_key(|(_, m)| m.max_time - m.min_time)
            .expect("a compacted block");
        let got = env.dump_bucket_blocks(&format!("dl-{replica}"), &[*id]);
        let srcs: Vec<PathBuf> = dir_blocks
            .iter()
            .filter(|b| {
                let name = b.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                m.compaction.sources.iter().any(|s| s == name)
            })
            .cloned()
            .collect();
        assert_eq!(srcs.len(), m.compaction.sources.len());
        let want = dump_local(&work, &format!("src-{replica}"), &srcs);
        assert!(
            want.lines().count() > 1000,
            "{} lines",
            want.lines().count()
        );
        assert_same_dump(
            &format!("compacted block {id} of replica {replica}"),
            &want,
            &got,
        );
        assert!(
            m.max_time - m.min_time >= 40 * HOUR,
            "the largest block has a 5m twin"
        );
        if replica == "a" {
            check_downsampled_through_store_gateway(&env, m, &got, 300_000);
        }
    }

    // The corrupt block is marked and skipped; its neighbours were compacted anyway.
    let mark = env
        .no_compact_mark(bad_ids[1])
        .expect("no-compact mark on the corrupt block");
    assert_eq!(mark.reason, "corrupt-block");
    assert!(mark.details.contains("index"), "details: {}", mark.details);
    let bad_live = stream(&blocks, &[("cluster", "bad")], 0);
    assert!(
        bad_live.iter().any(|(_, m)| source_of(m) == "compactor"
            && !m.compaction.sources.contains(&bad_ids[1].to_string())),
        "the rest of the corrupt block's group was compacted: {bad_live:?}"
    );
    assert!(
        bad_live.iter().any(|(id, _)| *id == bad_ids[1]),
        "the corrupt block stays"
    );

    // Both blocks of the conflicting overlap are marked; nothing replaced them.
    for id in &overlap_ids {
        let mark = env
            .no_compact_mark(*id)
            .expect("no-compact mark on overlapping block");
        assert_eq!(mark.reason, "unresolvable-overlap");
        assert!(
            mark.details.contains("__name__=\"overlap\"") && mark.details.contains("0.5"),
            "details: {}",
            mark.details
        );
    }
    assert_eq!(stream(&blocks, &[("cluster", "overlap")], 0).len(), 2);
    assert!(log.contains("marking it no-compact"), "log says why");

    // Retention per resolution: the data is years old, so one day of raw retention expires
    // every raw block while the 5m blocks (kept forever) stay.
    let fives_before: BTreeSet<Ulid> = blocks
        .live()
        .filter(|(_, m)| m.resolution() == 300_000)
        .map(|(id, _)| *id)
        .collect();
    assert!(!fives_before.is_empty());
    env.compact("compact-data", &["--retention.resolution-raw=1d"]);
    let after = env.blocks();
    assert!(
        after.metas.values().all(|m| m.resolution() == 300_000),
        "raw blocks left"
    );
    let fives_after: BTreeSet<Ulid> = after.metas.keys().copied().collect();
    assert_eq!(fives_after, fives_before);
    assert!(after.partial.is_empty() && after.deletion_marked.is_empty());
}

#[test]
fn offline_deduplication_of_replicas() {
    let env = Env::start();
    let work = env.path().to_path_buf();
    // Two replicas that scraped the same samples (the same text backfilled twice).
    let a_dir = env.backfill("replica-a", 7);
    let b_dir = env.backfill("replica-b", 7);
    let a_blocks = promtool::blocks_in(&a_dir);
    let a_ids = env.upload(&["cluster=eu", "replica=a"], &a_blocks);
    let b_ids = env.upload(&["cluster=eu", "replica=b"], &promtool::blocks_in(&b_dir));
    // This time as a long-running compactor (--wait), watched through /metrics.
    let port = free_port();
    let mut cmd = env.compact_cmd(
        "dedup-data",
        port,
        &[
            "--deduplication.replica-label=replica",
            "--downsampling.disable",
            "--wait",
            "--wait-interval=1h",
        ],
    );
    let mut compactor = ChildGuard::spawn("compact", &mut cmd, &work.join("compact-wait.log"));
    let metrics = wait_for(Duration::from_secs(60), Duration::from_millis(200), || {
        compactor.assert_running();
        let body = http::get(port, "/metrics").ok()?.body;
        (metric_sum(
            &body,
            "mnemos_compact_last_successful_run_timestamp_seconds",
        ) > 0.0)
            .then_some(body)
    })
    .expect("a successful pass within 60s");
    let m = |name: &str| metric_sum(&metrics, name);
    let uploaded = (a_ids.len() + b_ids.len()) as f64;
    assert_eq!(m("mnemos_compact_passes_total"), 1.0);
    assert_eq!(m("mnemos_compact_pass_failures_total"), 0.0);
    assert_eq!(m("mnemos_compact_groups"), 1.0, "replicas form one group");
    assert!(
        m("mnemos_compact_compactions_total") >= a_ids.len() as f64,
        "{metrics}"
    );
    assert_eq!(
        m("mnemos_compact_compactions_total"),
        m("mnemos_compact_compactions_planned_total")
    );
    assert!(m("mnemos_compact_vertical_compactions_total") >= a_ids.len() as f64);
    assert!(m("mnemos_compact_blocks_marked_total") >= uploaded);
    assert_eq!(
        m("mnemos_compact_blocks_deleted_total"),
        m("mnemos_compact_blocks_marked_total")
    );
    assert!(
        m("mnemos_compact_read_bytes_total") > 0.0 && m("mnemos_compact_written_bytes_total") > 0.0
    );
    compactor.stop(Duration::from_secs(10));
    let blocks = env.blocks();
    assert!(blocks.partial.is_empty() && blocks.deletion_marked.is_empty());
    // Every live block lost the replica label; together they hold both replicas' sources.
    let all: Vec<Ulid> = a_ids.iter().chain(&b_ids).copied().collect();
    let live = check_stream_converged(&blocks, &[("cluster", "eu")], &all);
    assert!(blocks
        .live()
        .all(|(_, m)| !labels_of(m).contains_key("replica")));
    assert!(blocks.live().all(|(_, m)| m.resolution() == 0));
    let (id, m) = live
        .iter()
        .max_by_key(|(_, m)| m.max_time - m.min_time)
        .expect("a block");
    assert!(
        m.compaction.level >= 3,
        "{id}: level {}",
        m.compaction.level
    );
    // Identical replicas deduplicate to one replica's data.
    let srcs: Vec<PathBuf> = a_blocks
        .iter()
        .filter(|b| {
            let name = b.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            m.compaction.sources.iter().any(|s| s == name)
        })
        .cloned()
        .collect();
    assert!(!srcs.is_empty());
    let want = dump_local(&work, "src-a", &srcs);
    let got = env.dump_bucket_blocks("dl", &[*id]);
    assert_same_dump(&format!("deduplicated block {id}"), &want, &got);
}

#[test]
fn sigkill_during_passes_then_rerun_converges() {
    let env = Env::start();
    let work = env.path().to_path_buf();
    let dir = env.backfill("replica-a", 11);
    let local = promtool::blocks_in(&dir);
    let ids = env.upload(&["cluster=eu", "replica=a"], &local);
    let uploaded_samples: u64 = env
        .blocks()
        .metas
        .values()
        .map(|m| m.stats.num_samples)
        .sum();
    let before = raw_series_via_store(&env, "before");
    assert!(before.len() >= 10, "{} series", before.len());
    // Kill passes at spread-out points (jittered by the clock so runs differ).
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_millis()) % 200)
        .unwrap_or(0);
    for (i, delay_ms) in [150u64, 400, 700, 1000, 1500, 2200, 3000]
        .iter()
        .enumerate()
    {
        let log = work.join(format!("killed-{i}.log"));
        let guard = ChildGuard::spawn(
            "compact",
            &mut env.compact_cmd("kill-data", free_port(), &[]),
            &log,
        );
        std::thread::sleep(Duration::from_millis(delay_ms + jitter));
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(guard.pid().to_string())
            .status();
        drop(guard);
    }
    env.compact("kill-data", &[]);
    env.compact("kill-data", &[]);
    let blocks = env.blocks();
    assert!(
        blocks.partial.is_empty(),
        "orphaned partial uploads: {:?}",
        blocks.partial
    );
    assert!(blocks.deletion_marked.is_empty());
    let live = check_stream_converged(&blocks, &[("cluster", "eu"), ("replica", "a")], &ids);
    let samples: u64 = live.iter().map(|(_, m)| m.stats.num_samples).sum();
    assert_eq!(samples, uploaded_samples, "no sample lost or duplicated");
    // The store gateway returns the same raw series and samples as before compaction.
    let after = raw_series_via_store(&env, "after");
    assert_eq!(
        after.len(),
        before.len(),
        "series through the store gateway"
    );
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(a.labels, b.labels);
        assert!(
            a.samples.len() == b.samples.len()
                && a.samples
                    .iter()
                    .zip(&b.samples)
                    .all(|(x, y)| x.0 == y.0 && x.1.to_bits() == y.1.to_bits()),
            "{:?}: samples differ after compaction ({} vs {})",
            a.labels,
            a.samples.len(),
            b.samples.len()
        );
    }
    let live_ids: Vec<Ulid> = live.iter().map(|(id, _)| *id).collect();
    let got = env.dump_bucket_blocks("dl", &live_ids);
    let want = dump_local(&work, "src", &local);
    assert_same_dump("all live raw blocks after kills", &want, &got);
    // Every 5m block downsamples a live raw block.
    for (id, m) in stream(&blocks, &[("cluster", "eu"), ("replica", "a")], 300_000) {
        assert!(
            live.iter()
                .any(|(_, r)| r.compaction.sources == m.compaction.sources),
            "5m block {id} has no raw twin"
        );
    }
}

/// A copy of `block` under a new ULID whose time is `age` ago.
fn copy_with_age(block: &Path, parent: &Path, age: Duration) -> PathBuf {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    let id = Ulid::from_parts(now - age.as_millis() as u64, Ulid::new().random()).to_string();
    let dest = parent.join(&id);
    promtool::copy_dir(block, &dest);
    let mut meta = BlockMeta::read_from_dir(&dest).expect("meta");
    meta.ulid = id;
    meta.compaction.sources = vec![meta.ulid.clone()];
    meta.write_to_dir(&dest).expect("write meta");
    dest
}

fn mark(env: &Env, id: Ulid, marker: &str, details: &str) {
    mnemos_e2e::process::run_ok(
        Command::new(mnemos_bin())
            .args(["tools", "bucket", "mark"])
            .arg(format!("--objstore.config-file={}", env.config.display()))
            .arg(format!("--id={id}"))
            .arg(format!("--marker={marker}"))
            .arg(format!("--details={details}")),
    );
}

#[test]
fn consistency_delay_manual_marks_and_identical_overlaps() {
    let env = Env::start();
    let work = env.path().to_path_buf();
    let dir = env.backfill("stream", 13);
    // Blocks uploaded two hours ago (by ULID time), past the default 30m consistency delay.
    let local: Vec<PathBuf> = promtool::blocks_in(&dir)
        .iter()
        .take(12)
        .map(|b| copy_with_age(b, &work.join("old"), Duration::from_secs(7200)))
        .collect();
    let ids = env.upload(&["cluster=eu"], &local);
    // A fresh duplicate of block 1: younger than the default 30m consistency delay.
    let dup = copy_with_age(&local[1], &work.join("dups"), Duration::ZERO);
    let dup_id = env.upload(&["cluster=eu"], &[dup])[0];
    // Operator marks: keep block 5 as it is, delete block 11.
    mark(&env, ids[5], "no-compact", "hands off");
    mark(&env, ids[11], "deletion", "not wanted");

    let mut cmd = Command::new(mnemos_bin());
    cmd.arg("compact")
        .arg(format!("--objstore.config-file={}", env.config.display()))
        .arg(format!("--data-dir={}", work.join("data").display()))
        .arg(format!("--http-address=127.0.0.1:{}", free_port()))
        .args(["--delete-delay=0s", "--downsampling.disable"]);
    mnemos_e2e::process::run_ok(&mut cmd);
    let blocks = env.blocks();
    assert!(
        blocks.metas.contains_key(&dup_id),
        "the young block is left alone"
    );
    assert!(!blocks.deletion_marked.contains(&dup_id));
    let mark5 = env.no_compact_mark(ids[5]).expect("manual mark");
    assert_eq!(
        (mark5.reason.as_str(), mark5.details.as_str()),
        ("manual", "hands off")
    );
    assert!(
        blocks.metas.contains_key(&ids[5]),
        "the no-compact block stays"
    );
    assert!(
        !blocks.metas.contains_key(&ids[11]),
        "the deletion-marked block is deleted"
    );
    let compacted: Vec<(Ulid, Arc<BlockMeta>)> = blocks
        .live()
        .filter(|(_, m)| source_of(m) == "compactor")
        .map(|(id, m)| (*id, m.clone()))
        .collect();
    assert!(!compacted.is_empty());
    let five = blocks.metas[&ids[5]].clone();
    for (id, m) in &compacted {
        assert!(!m.compaction.sources.contains(&ids[5].to_string()), "{id}");
        assert!(!m.compaction.sources.contains(&dup_id.to_string()), "{id}");
        // Plans are cut at the no-compact block: nothing new spans it.
        assert!(
            m.max_time <= five.min_time || m.min_time >= five.max_time,
            "{id} [{}, {}) spans the no-compact block [{}, {})",
            m.min_time,
            m.max_time,
            five.min_time,
            five.max_time
        );
    }

    // Without the delay, the duplicate overlaps the block holding block 1: a vertical
    // compaction collapses the identical samples.
    env.compact("data", &["--downsampling.disable"]);
    let blocks = env.blocks();
    assert!(!blocks.metas.contains_key(&dup_id));
    let (id, m) = blocks
        .live()
        .find(|(_, m)| m.compaction.sources.contains(&dup_id.to_string()))
        .expect("a block made from the duplicate");
    assert!(m.compaction.sources.contains(&ids[1].to_string()));
    let srcs: Vec<PathBuf> = local
        .iter()
        .filter(|b| {
            let name = b.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            m.compaction.sources.iter().any(|s| s == name)
        })
        .cloned()
        .collect();
    let want = dump_local(&work, "src", &srcs);
    let got = env.dump_bucket_blocks("dl", &[*id]);
    assert_same_dump(
        &format!("block {id} with a collapsed duplicate"),
        &want,
        &got,
    );
}

#[test]
fn two_weeks_downsampled_to_one_hour() {
    let env = Env::start();
    let work = env.path().to_path_buf();
    // 17 days from a 14-day boundary (since the epoch), a gauge and a counter every 2 minutes.
    const DAY: i64 = 24 * HOUR;
    let start = 1_699_488_000_000;
    assert_eq!(start % (14 * DAY), 0);
    let mut om = String::from("# TYPE mnemos_gauge gauge\n");
    let n = 17 * DAY / 120_000;
    for i in 0..n {
        let t = start + i * 120_000;
        om.push_str(&format!(
            "mnemos_gauge{{k=\"g\"}} {} {}\n",
            (i * 37 % 101) as f64 / 4.0,
            t / 1000
        ));
    }
    om.push_str("# TYPE mnemos_requests counter\n");
    for i in 0..n {
        let t = start + i * 120_000;
        // A reset every 1,000 samples.
        om.push_str(&format!(
            "mnemos_requests_total{{k=\"c\"}} {} {}\n",
            (i % 1000) * 3,
            t / 1000
        ));
    }
    om.push_str("# EOF\n");
    let om_path = work.join("two-weeks.om");
    std::fs::write(&om_path, om).expect("write openmetrics");
    let dir = work.join("two-weeks");
    promtool::create_blocks(&om_path, &dir);
    let local = promtool::blocks_in(&dir);
    env.upload(&["cluster=eu", "replica=a"], &local);

    env.compact("data", &["--compact.concurrency=2"]);
    let blocks = env.blocks();
    let labels = [("cluster", "eu"), ("replica", "a")];
    let raw = stream(&blocks, &labels, 0);
    let (_, fortnight) = raw
        .iter()
        .find(|(_, m)| m.min_time == start && m.max_time > start + 13 * DAY)
        .unwrap_or_else(|| panic!("a 14d raw block: {raw:?}"));
    assert_eq!(fortnight.compaction.level, 4, "2h -> 8h -> 2d -> 14d");
    for res in [300_000, 3_600_000] {
        let twin = stream(&blocks, &labels, res)
            .into_iter()
            .find(|(_, m)| m.compaction.sources == fortnight.compaction.sources);
        let (id, m) = twin.unwrap_or_else(|| panic!("no {res} ms block of the 14d block"));
        assert_eq!(
            (m.min_time, m.max_time),
            (fortnight.min_time, fortnight.max_time),
            "{id}"
        );
    }
    let srcs: Vec<PathBuf> = local
        .iter()
        .filter(|b| {
            let name = b.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            fortnight.compaction.sources.iter().any(|s| s == name)
        })
        .cloned()
        .collect();
    let raw_dump = dump_local(&work, "src", &srcs);
    check_downsampled_through_store_gateway(&env, fortnight, &raw_dump, 3_600_000);
}

/// Per series (labels as JSON text), the `(t ms, value)` points of a range query answer.
fn query_matrix(
    port: u16,
    query: &str,
    start: i64,
    end: i64,
    step: &str,
    res: &str,
) -> Vec<(String, Vec<(i64, f64)>)> {
    let secs = |ms: i64| format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000));
    let path = format!(
        "/api/v1/query_range?query={}&start={}&end={}&step={step}{}",
        http::encode(query),
        secs(start),
        secs(end),
        // Raw: `0s`, what the querier also does without the parameter.
        if res == "raw" {
            "&max_source_resolution=0s".to_string()
        } else {
            format!("&max_source_resolution={res}")
        }
    );
    matrix(&data(port, &path))
}

/// A store gateway and a querier over the bucket; returns them (alive) and the querier's port.
fn start_query_path(env: &Env, name: &str) -> (Component, Component, u16) {
    start_query_path_for(env, name, "mnemos_gauge")
}

/// [`start_query_path`], ready once `metric`'s series are visible.
fn start_query_path_for(env: &Env, name: &str, metric: &str) -> (Component, Component, u16) {
    let store = start_store(env, name);
    let mut querier = Component::start(
        env.path(),
        &format!("query-{name}"),
        &[
            "query".to_string(),
            format!("--endpoint=127.0.0.1:{}", store.grpc_port),
            "--endpoint.refresh-interval=1s".to_string(),
        ],
    );
    querier.wait_ready(Duration::from_secs(30));
    let port = querier.http_port;
    // Ready once the store's blocks are visible through the querier.
    let seen = wait_for(Duration::from_secs(30), Duration::from_millis(200), || {
        let d = data(port, &format!("/api/v1/series?match[]={metric}"));
        (!d.as_array().is_some_and(|a| a.is_empty())).then_some(())
    });
    assert!(seen.is_some(), "querier sees the store's series");
    (store, querier, port)
}

fn assert_close(
    what: &str,
    want: &[(String, Vec<(i64, f64)>)],
    got: &[(String, Vec<(i64, f64)>)],
    rel: f64,
) {
    assert_eq!(
        want.iter().map(|s| &s.0).collect::<Vec<_>>(),
        got.iter().map(|s| &s.0).collect::<Vec<_>>(),
        "{what}: series"
    );
    for ((labels, w), (_, g)) in want.iter().zip(got) {
        assert_eq!(w.len(), g.len(), "{what} {labels}: points");
        assert!(w.len() > 100, "{what} {labels}: {} points", w.len());
        for (a, b) in w.iter().zip(g) {
            assert_eq!(a.0, b.0, "{what} {labels}: timestamps");
            let tol = rel * a.1.abs().max(b.1.abs()).max(1e-9);
            assert!(
                (a.1 - b.1).abs() <= tol,
                "{what} {labels} at {}: raw {} vs downsampled {}",
                a.0,
                a.1,
                b.1
            );
        }
    }
}

#[test]
fn queries_before_and_after_compaction_and_from_downsampled_blocks() {
    let env = Env::start();
    let work = env.path().to_path_buf();
    // Three days, every 30 s: two gauges (a random walk in quarters, so sums are exact) and
    // two counters growing by 20-29 a scrape with a reset about every 7 hours. (Over an
    // hour, the raw and the 5m rate differ by about one scrape's increase in 120, so a
    // counter whose increases vary by ±100% would not stay within 1%.)
    let n = 3 * 24 * 120;
    let mut rng: u64 = 42;
    let mut next = move || {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        rng >> 33
    };
    let mut om = String::from("# TYPE mnemos_gauge gauge\n");
    for g in 0..2 {
        let mut v = 0.0f64;
        for i in 0..n {
            v += (next() % 9) as f64 / 4.0 - 1.0;
            let t = START_MS + i * 30_000;
            om.push_str(&format!("mnemos_gauge{{g=\"{g}\"}} {v} {}\n", t / 1000));
        }
    }
    om.push_str("# TYPE mnemos_requests counter\n");
    for c in 0..2 {
        let mut v = 0u64;
        for i in 0..n {
            v = if next() % 840 == 0 {
                0
            } else {
                v + 20 + next() % 10
            };
            let t = START_MS + i * 30_000;
            om.push_str(&format!(
                "mnemos_requests_total{{c=\"{c}\"}} {v} {}\n",
                t / 1000
            ));
        }
    }
    om.push_str("# EOF\n");
    let om_path = work.join("dense.om");
    std::fs::write(&om_path, om).expect("write openmetrics");
    let dir = work.join("dense");
    promtool::create_blocks(&om_path, &dir);
    env.upload(&["cluster=eu", "replica=a"], &promtool::blocks_in(&dir));

    // Raw answers before compaction.
    let (start, end) = (START_MS, START_MS + 70 * HOUR);
    let raw_queries = [
        ("mnemos_gauge", "7m"),
        ("mnemos_requests_total", "7m"),
        ("rate(mnemos_requests_total[10m])", "15m"),
    ];
    let before: Vec<_> = {
        let (_s, _q, port) = start_query_path(&env, "before");
        raw_queries
            .iter()
            .map(|(q, step)| query_matrix(port, q, start, end, step, "raw"))
            .collect()
    };

    env.compact("data", &[]);
    let blocks = env.blocks();
    let five = stream(&blocks, &[("cluster", "eu"), ("replica", "a")], 300_000);
    assert_eq!(five.len(), 1, "one 5m block");
    let (five_min, five_max) = (five[0].1.min_time, five[0].1.max_time);

    let (_s, _q, port) = start_query_path(&env, "after");
    for ((q, step), want) in raw_queries.iter().zip(&before) {
        let got = query_matrix(port, q, start, end, step, "raw");
        assert_eq!(&got, want, "{q}: raw answers before and after compaction");
    }
    // Over the downsampled range, at the ends of 5m windows: a range of 5m minus 1ms then
    // covers whole windows (ranges are closed at both ends in Prometheus 2.42), and the 5m
    // aggregates give the raw answers.
    let (ws, we) = (
        five_min - five_min % 300_000 + 600_000 - 1,
        five_max - 600_000,
    );
    for (q, rel) in [
        ("sum_over_time(mnemos_gauge[4m59s999ms])", 1e-9),
        ("min_over_time(mnemos_gauge[4m59s999ms])", 0.0),
        ("max_over_time(mnemos_gauge[4m59s999ms])", 0.0),
        ("sum_over_time(mnemos_gauge[59m59s999ms])", 1e-9),
        ("count_over_time(mnemos_gauge[4m59s999ms])", 0.0),
        ("count_over_time(mnemos_requests_total[59m59s999ms])", 0.0),
    ] {
        let raw = query_matrix(port, q, ws, we, "5m", "raw");
        let down = query_matrix(port, q, ws, we, "5m", "5m");
        assert_close(q, &raw, &down, rel);
        // `auto` reads up to step/5: the 5m blocks at a 25m step.
        let raw = query_matrix(port, q, ws, we, "25m", "raw");
        let auto = query_matrix(port, q, ws, we, "25m", "auto");
        assert_close(q, &raw, &auto, rel);
    }
    // Counters over windows of an hour and more, across resets (about one every 7 hours
    // per series here): within 1% of the raw answers.
    for q in [
        "rate(mnemos_requests_total[1h])",
        "increase(mnemos_requests_total[1h])",
        "rate(mnemos_requests_total[3h])",
    ] {
        let raw = query_matrix(port, q, ws + 3 * HOUR, we, "5m", "raw");
        let down = query_matrix(port, q, ws + 3 * HOUR, we, "5m", "5m");
        assert_close(q, &raw, &down, 0.01);
    }
}

const MINUTE: i64 = 60_000;
/// Scrape interval of the HA data set.
const HA_STEP: i64 = 15_000;
/// Samples per series of the HA data set: 6 hours.
const HA_SAMPLES: i64 = 1440;

/// The HA data set as OpenMetrics, without the samples `skip` says to cut: two gauges
/// (quarter steps) and two counters (integer increments; the first resets at the sample
/// where replica a's first hole starts), every 15 s with up to 300 ms of scrape jitter.
fn ha_openmetrics(skip: impl Fn(i64) -> bool) -> String {
    let series = [("api", "i1"), ("db", "i2")];
    let jitter = |s: usize, i: i64| ((i * 7919 + s as i64 * 104_729) % 301) - 150;
    let mut om = String::new();
    for (family, kind, name) in [
        ("ha_gauge", "gauge", "ha_gauge"),
        ("ha_requests", "counter", "ha_requests_total"),
    ] {
        om.push_str(&format!("# TYPE {family} {kind}\n"));
        for (s, (job, instance)) in series.iter().enumerate() {
            let mut value = 0.0f64;
            for i in 0..HA_SAMPLES {
                let step = ((i * 31 + s as i64 * 17) % 13) as f64;
                value = if kind == "gauge" {
                    value + (step - 6.0) * 0.25
                } else if s == 0 && i == HA_HOLES_A[0].0 {
                    step
                } else {
                    value + step + 1.0
                };
                if skip(i) {
                    continue;
                }
                let t = START_MS + i * HA_STEP + jitter(s, i);
                om.push_str(&format!(
                    "{name}{{job=\"{job}\",instance=\"{instance}\"}} {value} {}.{:03}\n",
                    t / 1000,
                    t % 1000
                ));
            }
        }
    }
    om.push_str("# EOF\n");
    om
}

/// Replica a's holes (first and last sample index, inclusive): 70 minutes across a 2h block
/// boundary, one missed scrape, three minutes.
const HA_HOLES_A: [(i64, i64); 3] = [(280, 559), (1000, 1000), (1200, 1211)];
/// Replica b's holes: 50 minutes, one missed scrape, one minute.
const HA_HOLES_B: [(i64, i64); 3] = [(720, 919), (200, 200), (1280, 1283)];

fn in_holes(holes: &[(i64, i64)], i: i64) -> bool {
    holes.iter().any(|&(from, to)| (from..=to).contains(&i))
}

/// An instant query's answer: `(labels as JSON, value as the API wrote it)`, sorted.
fn instant_answer(port: u16, query: &str, t: i64) -> Vec<(String, String)> {
    let path = format!(
        "/api/v1/query?query={}&time={}.{:03}",
        http::encode(query),
        t.div_euclid(1000),
        t.rem_euclid(1000)
    );
    let d = data(port, &path);
    let mut out: Vec<(String, String)> = match d["resultType"].as_str() {
        Some("vector") => d["result"]
            .as_array()
            .expect("result")
            .iter()
            .map(|s| (s["metric"].to_string(), s["value"][1].to_string()))
            .collect(),
        _ => vec![(String::new(), d["result"].to_string())],
    };
    out.sort();
    out
}

/// Two replicas of one data set with different holes, uploaded with `replica="a"`/`"b"`:
/// the querier's deduplicated answers (range and instant, gauges, `rate`, `increase`,
/// `irate`, `*_over_time`, with the penalty and the chain function) equal real Prometheus
/// 2.42 over the full data exactly, at every step including those right after each hole
/// starts and ends; `dedup=false` returns both replicas. Then the compactor's offline
/// deduplication of the two: promtool's dump of the result equals the full data's.
#[test]
fn replicas_with_holes_deduplicate_to_the_full_data() {
    let env = Env::start();
    let work = env.path().to_path_buf();
    let blocks_of = |name: &str, skip: &dyn Fn(i64) -> bool| {
        let om = work.join(format!("{name}.om"));
        std::fs::write(&om, ha_openmetrics(skip)).expect("write openmetrics");
        let dir = work.join(name);
        promtool::create_blocks(&om, &dir);
        promtool::blocks_in(&dir)
    };
    let full = blocks_of("ha-full", &|_| false);
    let a = blocks_of("ha-a", &|i| in_holes(&HA_HOLES_A, i));
    let b = blocks_of("ha-b", &|i| in_holes(&HA_HOLES_B, i));
    assert!(full.len() >= 3, "{full:?}");
    env.upload(&["replica=a"], &a);
    env.upload(&["replica=b"], &b);

    // The oracle: one Prometheus holding the full data.
    let oracle_data = work.join("oracle-data");
    for block in &full {
        promtool::copy_dir(block, &oracle_data.join(block.file_name().expect("name")));
    }
    let oracle = Prometheus::start(&work, "oracle", "global: {}\n", "2h", free_port());

    let store = start_store(&env, "ha");
    let querier = |name: &str, func: &str| {
        let mut q = Component::start(
            &work,
            name,
            &[
                "query".to_string(),
                format!("--endpoint=127.0.0.1:{}", store.grpc_port),
                "--endpoint.refresh-interval=1s".to_string(),
                "--query.replica-label=replica".to_string(),
                format!("--deduplication.func={func}"),
            ],
        );
        q.wait_ready(Duration::from_secs(30));
        let port = q.http_port;
        let seen = wait_for(Duration::from_secs(30), Duration::from_millis(200), || {
            let d = data(port, "/api/v1/series?match[]=ha_gauge&dedup=false");
            (d.as_array().map_or(0, Vec::len) == 4).then_some(())
        });
        assert!(seen.is_some(), "{name} sees both replicas' series");
        q
    };
    let penalty = querier("query-penalty", "penalty");
    let chain = querier("query-chain", "chain");

    let queries = [
        "ha_gauge",
        "rate(ha_requests_total[5m])",
        "sum by (job) (increase(ha_requests_total[1h]))",
        "irate(ha_requests_total[5m])",
        "increase(ha_requests_total[2m])",
        "resets(ha_requests_total[30m])",
        "avg_over_time(ha_gauge[5m])",
        "min_over_time(ha_gauge[2m])",
        "max_over_time(ha_gauge[10m])",
        "sum_over_time(ha_gauge[5m])",
        "count_over_time(ha_gauge[5m])",
        "last_over_time(ha_gauge[1m])",
        "stddev_over_time(ha_gauge[10m])",
        "changes(ha_gauge[5m])",
    ];
    let end = START_MS + HA_SAMPLES * HA_STEP + 10 * MINUTE;
    // Every hole's first and last sample, and just after each.
    let mut instants = Vec::new();
    for (from, to) in HA_HOLES_A.iter().chain(&HA_HOLES_B) {
        for i in [*from, *to + 1] {
            let t = START_MS + i * HA_STEP;
            instants.extend([t - 1_000, t + 500, t + 14_000, t + 29_000]);
        }
    }
    let mut compared = 0;
    for query in queries {
        for (start, step) in [(START_MS - 5 * MINUTE, "60s"), (START_MS + 7_001, "15s")] {
            let want = query_matrix(oracle.port, query, start, end, step, "raw");
            assert!(!want.is_empty(), "{query}: Prometheus has no answer");
            for (name, q) in [("penalty", &penalty), ("chain", &chain)] {
                let got = query_matrix(q.http_port, query, start, end, step, "raw");
                assert_eq!(
                    got.iter().map(|s| &s.0).collect::<Vec<_>>(),
                    want.iter().map(|s| &s.0).collect::<Vec<_>>(),
                    "{name}: {query}: series"
                );
                for ((labels, w), (_, g)) in want.iter().zip(&got) {
                    let first_diff = w.iter().zip(g).find(|(a, b)| {
                        a.0 != b.0
                            || a.1.to_bits() != b.1.to_bits() && !(a.1.is_nan() && b.1.is_nan())
                    });
                    assert!(
                        w.len() == g.len() && first_diff.is_none(),
                        "{name}: {query} step {step} {labels}: {} vs {} points, first difference (Prometheus, mnemos) {first_diff:?}",
                        w.len(),
                        g.len()
                    );
                    compared += w.len();
                }
            }
        }
        for &t in &instants {
            let want = instant_answer(oracle.port, query, t);
            assert_eq!(
                instant_answer(penalty.http_port, query, t),
                want,
                "{query} at {t}"
            );
            assert_eq!(
                instant_answer(chain.http_port, query, t),
                want,
                "chain: {query} at {t}"
            );
        }
    }
    eprintln!(
        "compared {compared} points and {} instants",
        queries.len() * instants.len()
    );
    // Without dedup: both replicas, each with its holes.
    let raw = matrix(&data(
        penalty.http_port,
        &format!(
            "/api/v1/query_range?query={}&start={}&end={}&step=60&dedup=false",
            http::encode("count_over_time(ha_gauge[7h])"),
            end / 1000,
            end / 1000
        ),
    ));
    let counts: Vec<(String, f64)> = raw.iter().map(|(l, p)| (l.clone(), p[0].1)).collect();
    assert_eq!(counts.len(), 4, "{counts:?}");
    for (labels, n) in &counts {
        let holes = if labels.contains("\"replica\":\"a\"") {
            &HA_HOLES_A
        } else {
            assert!(labels.contains("\"replica\":\"b\""), "{labels}");
            &HA_HOLES_B
        };
        let cut: i64 = holes.iter().map(|(f, t)| t - f + 1).sum();
        assert_eq!(*n as i64, HA_SAMPLES - cut, "{labels}");
    }
    drop((penalty, chain, store, oracle));

    // Offline: the compactor merges the two replicas into the full data.
    env.compact(
        "ha-compact",
        &[
            "--deduplication.replica-label=replica",
            "--downsampling.disable",
        ],
    );
    let blocks = env.blocks();
    let live: Vec<Ulid> = blocks.live().map(|(id, _)| *id).collect();
    assert!(blocks
        .live()
        .all(|(_, m)| !labels_of(m).contains_key("replica")));
    let want = dump_local(&work, "ha-full-dump", &full);
    let got = env.dump_bucket_blocks("ha-deduplicated", &live);
    assert_same_dump("offline deduplication of replicas with holes", &want, &got);
}

/// A native counter histogram scraped every minute for `n` scrapes from `start`, series
/// `s` (0 or 1): every scrape adds 3 observations and 5 (series 0) or 7 (series 1) to the
/// sum, also the first after each reset (every 2,000 scrapes), so the counter grows
/// evenly and rates over whole windows are the same from raw and downsampled data.
/// Series 0 has two buckets at schema 1, merged into one at schema 0 from day 7 on;
/// series 1 has a zero bucket and two positive buckets far apart.
fn nh_counter(s: usize, n: i64, start: i64) -> Vec<(i64, mnemos_tsdb::histogram::Histogram)> {
    use mnemos_tsdb::histogram::{Histogram, Span};
    (0..n)
        .map(|i| {
            let k = i % 2000 + 1;
            let h = if s == 0 {
                let (schema, spans, buckets) = if i < 7 * 1440 {
                    (1, vec![Span::new(1, 2)], vec![k, k])
                } else {
                    (0, vec![Span::new(1, 1)], vec![3 * k])
                };
                Histogram {
                    schema,
                    zero_threshold: 0.001,
                    count: 3 * k as u64,
                    sum: 5.0 * k as f64,
                    positive_spans: spans,
                    positive_buckets: buckets,
                    ..Histogram::default()
                }
            } else {
                Histogram {
                    schema: 2,
                    zero_threshold: 0.001,
                    zero_count: k as u64,
                    count: 3 * k as u64,
                    sum: 7.0 * k as f64,
                    positive_spans: vec![Span::new(-1, 1), Span::new(6, 1)],
                    // Delta-encoded: k, then k again.
                    positive_buckets: vec![k, 0],
                    ..Histogram::default()
                }
            };
            (start + i * MINUTE, h)
        })
        .collect()
}

/// Native histograms downsampled by the compactor (Thanos' format: count, sum and counter
/// aggregates): a 14-day raw block of two counter histograms, uploaded to S3, downsampled
/// to 5m and 1h in one pass. Through a store gateway and the querier, at window ends:
/// `histogram_count`, `histogram_sum`, `histogram_quantile` and `histogram_fraction` of
/// `rate`/`increase` and `count_over_time` from 5m and 1h data equal the raw answers
/// (to rounding), across resets and a schema change.
#[test]
fn native_histograms_downsampled_answer_like_raw_data() {
    use mnemos_compact::histograms::HistogramSample;
    use mnemos_tsdb::block_writer::symbols_of;
    use mnemos_tsdb::{BlockWriter, Labels};
    let env = Env::start();
    let work = env.path().to_path_buf();
    const DAY: i64 = 24 * HOUR;
    let start = 1_699_488_000_000;
    assert_eq!(start % (14 * DAY), 0);
    let n = 14 * DAY / MINUTE;
    let labels = [
        Labels::from_pairs([("__name__", "nh_request_seconds"), ("k", "a")]),
        Labels::from_pairs([("__name__", "nh_request_seconds"), ("k", "b")]),
    ];
    let dir = work.join("nh-raw");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut w = BlockWriter::create(&dir, symbols_of(labels.iter())).expect("block writer");
    for (s, l) in labels.iter().enumerate() {
        let chunks = HistogramSample::encode(&nh_counter(s, n, start)).expect("encode");
        w.add_series_chunks(l, &chunks, n as u64)
            .expect("add series");
    }
    let meta = w
        .finish(BlockMeta::new(String::new(), start, start + 14 * DAY))
        .expect("finish block");
    env.upload(&["cluster=eu", "replica=a"], &[dir.join(&meta.ulid)]);

    let out = env.compact("data", &[]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !log.contains("cannot be downsampled"),
        "{}",
        log_digest(&log)
    );
    let blocks = env.blocks();
    let ext = [("cluster", "eu"), ("replica", "a")];
    for res in [300_000, 3_600_000] {
        let down = stream(&blocks, &ext, res);
        assert_eq!(down.len(), 1, "one block at {res} ms: {down:?}");
        assert_eq!(
            (down[0].1.min_time, down[0].1.max_time),
            (meta.min_time, meta.max_time)
        );
    }

    let (_s, _q, port) = start_query_path_for(&env, "nh", "nh_request_seconds");
    // Two days around the schema change (day 7) and two resets, at the ends of 5m windows.
    let (ws, we) = (start + 6 * DAY + 300_000 - 1, start + 8 * DAY - 1);
    for q in [
        "histogram_count(rate(nh_request_seconds[1h]))",
        "histogram_sum(rate(nh_request_seconds[1h]))",
        "histogram_count(increase(nh_request_seconds[30m]))",
        "histogram_quantile(0.9, rate(nh_request_seconds{k=\"b\"}[1h]))",
        "histogram_fraction(0, 1, rate(nh_request_seconds{k=\"b\"}[1h]))",
        "count_over_time(nh_request_seconds[4m59s999ms])",
    ] {
        let raw = query_matrix(port, q, ws + HOUR, we, "5m", "raw");
        let down = query_matrix(port, q, ws + HOUR, we, "5m", "5m");
        assert_close(q, &raw, &down, 1e-9);
    }
    // The whole fortnight at the ends of 1h windows, from the 1h block.
    let (hs, he) = (start + 4 * HOUR - 1, start + 14 * DAY - HOUR - 1);
    for q in [
        "histogram_count(rate(nh_request_seconds[3h]))",
        "histogram_sum(increase(nh_request_seconds[2h]))",
        "histogram_quantile(0.5, rate(nh_request_seconds{k=\"b\"}[3h]))",
        "count_over_time(nh_request_seconds[59m59s999ms])",
    ] {
        let raw = query_matrix(port, q, hs, he, "1h", "raw");
        let down = query_matrix(port, q, hs, he, "1h", "1h");
        assert_close(q, &raw, &down, 1e-9);
    }
}
