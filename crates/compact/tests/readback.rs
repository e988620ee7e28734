//! The compactor over a filesystem bucket whose objects a test wrapper corrupts or fails to
//! return: a new block that does not read back as written keeps its sources, an upload
//! that could not be verified is taken back next pass, and an unreadable deletion mark
//! never gets a block deleted early.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use mnemos_block::{
    read_mark, remove_mark, upload_block, write_mark, DeletionMark, MetaFetcher, NoCompactMark,
    NoDownsampleMark,
};
use mnemos_compact::compactor::VERIFICATION_FAILED;
use mnemos_compact::metrics::{KindLabel, ResultLabel};
use mnemos_compact::{Compactor, Config};
use mnemos_objstore::{Bucket, BucketMetrics};
use mnemos_tsdb::block_writer::symbols_of;
use mnemos_tsdb::meta::{BlockMeta, ThanosMeta};
use mnemos_tsdb::{BlockWriter, Labels};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use prometheus_client::registry::Registry;
use ulid::Ulid;

const H: i64 = 3_600_000;

/// Blocks in the bucket with their deletion and no-compact marks.
type State = BTreeMap<Ulid, (Option<DeletionMark>, Option<NoCompactMark>)>;

/// What the wrapper does to objects of blocks it was not told about (the new ones).
#[derive(Clone, Debug)]
enum Fault {
    /// Flips a byte of each object written whose key ends with the suffix.
    CorruptPut(&'static str),
    /// Replaces each meta.json written with one whose sample count is one higher.
    WrongMetaStats,
    /// Writes only the first half of each meta.json.
    TruncateMeta,
    /// Fails every read of an object whose key ends with the suffix.
    FailGet(&'static str),
}

/// A filesystem bucket that applies a [`Fault`] to objects outside the `known` blocks.
#[derive(Debug)]
struct FaultyStore {
    inner: LocalFileSystem,
    fault: Mutex<Option<Fault>>,
    known: Mutex<BTreeSet<String>>,
}

impl fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({})", self.inner)
    }
}

impl FaultyStore {
    fn fault_for(&self, location: &ObjectPath) -> Option<Fault> {
        let key = location.to_string();
        let block = key.split('/').next().unwrap_or_default().to_string();
        if self.known.lock().expect("lock").contains(&block) {
            return None;
        }
        self.fault.lock().expect("lock").clone()
    }

    fn injected(what: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "FaultyStore",
            source: what.to_string().into(),
        }
    }
}

#[async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &ObjectPath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let key = location.to_string();
        let payload = match self.fault_for(location) {
            Some(Fault::CorruptPut(suffix)) if key.ends_with(suffix) => {
                let mut data = Bytes::from(payload).to_vec();
                let at = data.len().saturating_sub(12);
                if let Some(b) = data.get_mut(at) {
                    *b ^= 0x5a;
                }
                PutPayload::from(data)
            }
            Some(Fault::WrongMetaStats) if key.ends_with("/meta.json") => {
                let data = Bytes::from(payload);
                let mut meta: serde_json::Value = serde_json::from_slice(&data).expect("meta.json");
                let n = meta["stats"]["numSamples"].as_u64().expect("numSamples");
                meta["stats"]["numSamples"] = (n + 1).into();
                PutPayload::from(serde_json::to_vec(&meta).expect("json"))
            }
            Some(Fault::TruncateMeta) if key.ends_with("/meta.json") => {
                let data = Bytes::from(payload);
                PutPayload::from(data.slice(..data.len() / 2))
            }
            _ => payload,
        };
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &ObjectPath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &ObjectPath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        if let Some(Fault::FailGet(suffix)) = self.fault_for(location) {
            if location.to_string().ends_with(suffix) {
                return Err(Self::injected("injected read failure"));
            }
        }
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<ObjectPath>>,
    ) -> BoxStream<'static, object_store::Result<ObjectPath>> {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&ObjectPath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&ObjectPath>,
    ) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &ObjectPath,
        to: &ObjectPath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// A bucket over a temporary directory with blocks uploaded by a "sidecar".
struct Setup {
    _dir: tempfile::TempDir,
    data_dir: std::path::PathBuf,
    store: Arc<FaultyStore>,
    bucket: Bucket,
    /// The uploaded blocks, in time order.
    blocks: Vec<Ulid>,
}

impl Setup {
    /// Blocks spanning `[start, end)` hours each, three series of one sample a minute.
    async fn new(spans: &[(i64, i64)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("bucket");
        std::fs::create_dir_all(&root).expect("bucket dir");
        let store = Arc::new(FaultyStore {
            inner: LocalFileSystem::new_with_prefix(&root).expect("fs store"),
            fault: Mutex::new(None),
            known: Mutex::new(BTreeSet::new()),
        });
        let bucket = Bucket::new(
            store.clone(),
            "faulty",
            BucketMetrics::new(&mut Registry::default()),
        );
        let local = dir.path().join("local");
        let mut blocks = Vec::new();
        for &(start, end) in spans {
            let id = write_block(&local, start * H, end * H);
            let thanos = ThanosMeta {
                version: 1,
                labels: BTreeMap::from([("cluster".to_string(), "a".to_string())]),
                source: "sidecar".into(),
                ..ThanosMeta::default()
            };
            upload_block(&bucket, &local.join(id.to_string()), thanos)
                .await
                .expect("upload");
            store.known.lock().expect("lock").insert(id.to_string());
            blocks.push(id);
        }
        Self {
            data_dir: dir.path().join("data"),
            _dir: dir,
            store,
            bucket,
            blocks,
        }
    }

    fn fault(&self, fault: Option<Fault>) {
        *self.store.fault.lock().expect("lock") = fault;
    }

    fn compactor(&self, delete_delay: Duration) -> Compactor {
        let config = Config {
            data_dir: self.data_dir.clone(),
            ranges: vec![2 * H, 8 * H],
            consistency_delay: Duration::ZERO,
            replica_labels: Vec::new(),
            dedup_func: Default::default(),
            delete_delay,
            retention_raw: Duration::ZERO,
            retention_5m: Duration::ZERO,
            retention_1h: Duration::ZERO,
            downsampling: true,
            compact_concurrency: 1,
            downsample_concurrency: 1,
            selector: Default::default(),
            parquet: Default::default(),
        };
        Compactor::new(self.bucket.clone(), config, &mut Registry::default()).expect("compactor")
    }

    /// Every block with meta.json (parsable or not), with its deletion and no-compact marks.
    async fn state(&self) -> State {
        let fetcher = MetaFetcher::new(self.bucket.clone(), None, &mut Registry::default());
        let blocks = fetcher.fetch().await.expect("fetch");
        let mut out = BTreeMap::new();
        for id in blocks.metas.keys().chain(blocks.corrupted.keys()) {
            let deletion = read_mark::<DeletionMark>(&self.bucket, *id)
                .await
                .expect("deletion mark");
            let no_compact = read_mark::<NoCompactMark>(&self.bucket, *id)
                .await
                .expect("no-compact mark");
            out.insert(*id, (deletion, no_compact));
        }
        out
    }
}

/// Writes a block of three series, one sample a minute over `[min, max)`.
fn write_block(parent: &Path, min: i64, max: i64) -> Ulid {
    let series: Vec<Labels> = (0..3)
        .map(|i| Labels::from_pairs([("__name__", "up".to_string()), ("i", i.to_string())]))
        .collect();
    let mut w = BlockWriter::create(parent, symbols_of(series.iter())).expect("writer");
    for (n, labels) in series.iter().enumerate() {
        let samples: Vec<(i64, f64)> = (min..max)
            .step_by(60_000)
            .map(|t| (t, (t / 60_000) as f64 + n as f64))
            .collect();
        w.add_series(labels, &samples).expect("add series");
    }
    let meta = w
        .finish(BlockMeta::new(String::new(), min, max))
        .expect("finish");
    Ulid::from_string(&meta.ulid).expect("ulid")
}

/// Asserts that `blocks` carry no mark in `state`.
fn assert_untouched(state: &State, blocks: &[Ulid]) {
    for id in blocks {
        assert_eq!(state.get(id), Some(&(None, None)), "block {id} untouched");
    }
}

fn verifications(c: &Compactor, result: &'static str) -> u64 {
    c.metrics()
        .verifications
        .get_or_create(&ResultLabel { result })
        .get()
}

fn mark_read_failures(c: &Compactor, kind: &'static str) -> u64 {
    c.metrics()
        .mark_read_failures
        .get_or_create(&KindLabel { kind })
        .get()
}

/// Four 2h blocks filling [0, 8h) and the newest one after them: one plan of four.
const FOUR_AND_ONE: [(i64, i64); 5] = [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)];

/// A new block that reads back differently gets a no-compact mark with the reason and
/// keeps its sources unmarked, in this pass and the next.
async fn corrupted_upload_keeps_sources(fault: Fault, expected_detail: &str) {
    let setup = Setup::new(&FOUR_AND_ONE).await;
    setup.fault(Some(fault));
    let compactor = setup.compactor(Duration::from_secs(3600));
    let report = compactor.run_pass().await.expect("pass");
    assert_eq!(report.compactions, 0, "{report:?}");
    assert_eq!(report.unverified, 1, "{report:?}");
    assert_eq!(report.marked_no_compact, 1, "{report:?}");
    assert_eq!(report.marked_deletion, 0, "{report:?}");
    assert_eq!(verifications(&compactor, "failed"), 1);
    assert_eq!(verifications(&compactor, "ok"), 0);

    let state = setup.state().await;
    let new: Vec<&Ulid> = state
        .keys()
        .filter(|id| !setup.blocks.contains(id))
        .collect();
    assert_eq!(new.len(), 1, "one new block: {state:?}");
    let (deletion, no_compact) = &state[new[0]];
    assert!(deletion.is_none());
    let mark = no_compact
        .as_ref()
        .expect("the new block is marked no-compact");
    assert_eq!(mark.reason, VERIFICATION_FAILED);
    assert!(
        mark.details.contains(expected_detail),
        "details {:?} should name {expected_detail:?}",
        mark.details
    );
    assert_untouched(&state, &setup.blocks);

    // The next pass neither marks the sources as replaced by the bad block nor retries
    // the plan (a deterministic failure would leave a bad block on every pass).
    setup.fault(None);
    let report = compactor.run_pass().await.expect("second pass");
    assert_eq!(
        (report.compactions, report.marked_deletion),
        (0, 0),
        "{report:?}"
    );
    let again = setup.state().await;
    assert_eq!(again.len(), state.len());
    assert_untouched(&again, &setup.blocks);
}

#[tokio::test]
async fn flipped_chunk_byte_keeps_sources() {
    corrupted_upload_keeps_sources(Fault::CorruptPut("/chunks/000001"), "chunks/000001").await;
}

#[tokio::test]
async fn corrupt_index_keeps_sources() {
    corrupted_upload_keeps_sources(Fault::CorruptPut("/index"), "index").await;
}

#[tokio::test]
async fn meta_stats_differing_from_the_writer_keep_sources() {
    corrupted_upload_keeps_sources(Fault::WrongMetaStats, "samples").await;
}

#[tokio::test]
async fn unparsable_meta_json_keeps_sources() {
    corrupted_upload_keeps_sources(Fault::TruncateMeta, "meta.json").await;
}

#[tokio::test]
async fn bucket_error_during_readback_is_retried_next_pass() {
    let setup = Setup::new(&FOUR_AND_ONE).await;
    setup.fault(Some(Fault::FailGet("/index")));
    let compactor = setup.compactor(Duration::from_secs(3600));
    let report = compactor.run_pass().await.expect("pass");
    assert_eq!(
        (report.compactions, report.failures, report.unverified),
        (0, 1, 0),
        "{report:?}"
    );
    assert_eq!(verifications(&compactor, "error"), 1);
    let state = setup.state().await;
    let unverified: Vec<Ulid> = state
        .keys()
        .filter(|id| !setup.blocks.contains(id))
        .copied()
        .collect();
    assert_eq!(unverified.len(), 1, "{state:?}");
    assert_eq!(state[&unverified[0]], (None, None));
    assert_untouched(&state, &setup.blocks);

    // Next pass: the unverified upload is marked for deletion, the plan done again and
    // verified, and only then are the sources marked.
    setup.fault(None);
    let report = compactor.run_pass().await.expect("second pass");
    assert_eq!(report.compactions, 1, "{report:?}");
    assert_eq!(verifications(&compactor, "ok"), 1);
    let state = setup.state().await;
    let (deletion, _) = &state[&unverified[0]];
    let deletion = deletion
        .as_ref()
        .expect("unverified upload marked for deletion");
    assert!(deletion.details.contains("never verified"), "{deletion:?}");
    let fresh: Vec<&Ulid> = state
        .keys()
        .filter(|id| !setup.blocks.contains(id) && **id != unverified[0])
        .collect();
    assert_eq!(fresh.len(), 1, "{state:?}");
    assert_eq!(state[fresh[0]], (None, None));
    for id in &setup.blocks[..4] {
        let (deletion, _) = &state[id];
        let deletion = deletion
            .as_ref()
            .expect("compacted source marked for deletion");
        assert_eq!(deletion.details, format!("compacted into {}", fresh[0]));
    }
    assert_eq!(
        state[&setup.blocks[4]],
        (None, None),
        "the newest block is left alone"
    );
}

#[tokio::test]
async fn downsampled_block_failing_readback_is_marked_and_not_redone() {
    // One raw block of 40h: downsampled to 5m, never compacted.
    let setup = Setup::new(&[(0, 40)]).await;
    setup.fault(Some(Fault::CorruptPut("/chunks/000001")));
    let compactor = setup.compactor(Duration::from_secs(3600));
    let report = compactor.run_pass().await.expect("pass");
    assert_eq!(
        (report.downsamples, report.unverified),
        (0, 1),
        "{report:?}"
    );
    let state = setup.state().await;
    assert_eq!(state.len(), 2, "{state:?}");
    let (_, (deletion, no_compact)) = state
        .iter()
        .find(|(id, _)| **id != setup.blocks[0])
        .expect("the 5m block");
    assert!(deletion.is_none());
    assert_eq!(
        no_compact.as_ref().map(|m| m.reason.as_str()),
        Some(VERIFICATION_FAILED)
    );
    assert_eq!(state[&setup.blocks[0]], (None, None));

    setup.fault(None);
    let report = compactor.run_pass().await.expect("second pass");
    assert_eq!(
        (report.downsamples, report.unverified),
        (0, 0),
        "{report:?}"
    );
    assert_eq!(setup.state().await.len(), 2);
}

/// A block marked for deletion ten days ago.
async fn marked_long_ago(setup: &Setup) -> Ulid {
    let id = setup.blocks[0];
    let mut mark = DeletionMark::now(id, "test");
    mark.deletion_time -= 10 * 24 * 3600;
    write_mark(&setup.bucket, id, &mark).await.expect("mark");
    id
}

#[tokio::test]
async fn deletion_mark_read_error_skips_the_block_until_it_reads() {
    let setup = Setup::new(&[(0, 2)]).await;
    let id = marked_long_ago(&setup).await;
    // Fail reads of the mark only (the wrapper spares known blocks: forget this one).
    setup.store.known.lock().expect("lock").clear();
    setup.fault(Some(Fault::FailGet("/deletion-mark.json")));
    let compactor = setup.compactor(Duration::from_secs(3600));
    let report = compactor.run_pass().await.expect("pass");
    assert_eq!(report.deleted, 0, "{report:?}");
    assert_eq!(mark_read_failures(&compactor, "transient"), 1);
    let meta = format!("{id}/meta.json");
    assert!(
        setup.bucket.exists(&meta).await.expect("exists"),
        "not deleted"
    );

    setup.fault(None);
    let report = compactor.run_pass().await.expect("second pass");
    assert_eq!(report.deleted, 1, "{report:?}");
    assert!(
        !setup.bucket.exists(&meta).await.expect("exists"),
        "deleted once the mark reads"
    );
}

#[tokio::test]
async fn unparsable_deletion_mark_counts_from_now() {
    let setup = Setup::new(&[(0, 2)]).await;
    let id = setup.blocks[0];
    let key = format!("{id}/deletion-mark.json");
    setup
        .bucket
        .put(&key, Bytes::from_static(b"{\"id\": \"not json"))
        .await
        .expect("put");
    let before = mnemos_block::marks::unix_now();
    let compactor = setup.compactor(Duration::from_secs(3600));
    let report = compactor.run_pass().await.expect("pass");
    assert_eq!(report.deleted, 0, "{report:?}");
    assert_eq!(mark_read_failures(&compactor, "corrupt"), 1);
    let mark = read_mark::<DeletionMark>(&setup.bucket, id)
        .await
        .expect("the mark parses now")
        .expect("still marked");
    assert!(
        mark.deletion_time >= before,
        "mark time {} taken as now (pass started at {before})",
        mark.deletion_time
    );
    assert!(mark.details.contains("did not parse"), "{mark:?}");
}

#[tokio::test]
async fn a_no_downsample_mark_keeps_a_block_raw_until_it_is_removed() {
    // One raw block of 40h, long enough to be downsampled to 5m.
    let setup = Setup::new(&[(0, 40)]).await;
    let id = setup.blocks[0];
    let mark = NoDownsampleMark::now(id, "manual", "test");
    write_mark(&setup.bucket, id, &mark).await.expect("mark");
    let compactor = setup.compactor(Duration::from_secs(3600));
    let report = compactor.run_pass().await.expect("pass");
    assert_eq!(report.downsamples, 0, "{report:?}");
    assert_eq!(setup.state().await.len(), 1, "nothing new in the bucket");

    assert!(remove_mark::<NoDownsampleMark>(&setup.bucket, id)
        .await
        .expect("remove"));
    let report = compactor.run_pass().await.expect("second pass");
    assert_eq!(report.downsamples, 1, "{report:?}");
    assert_eq!(setup.state().await.len(), 2, "the 5m block is there");
}
