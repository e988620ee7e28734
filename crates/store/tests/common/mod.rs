//! Shared fixtures of the gateway's integration tests: an in-memory bucket that records
//! every ranged read, blocks written and uploaded to it, a gateway over it, and metric
//! values read back from the registry.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use mnemos_objstore::{Bucket, BucketMetrics};
use mnemos_store::{BucketStore, StoreConfig};
use mnemos_storeapi::thanos::store_server::Store;
use mnemos_storeapi::thanos::{series_response, Series, SeriesRequest};
use mnemos_tsdb::meta::{Downsample, ThanosMeta};
use mnemos_tsdb::{BlockMeta, BlockWriter, Labels};
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use prometheus_client::registry::Registry;

/// Two hours in ms.
pub const HOUR2: i64 = 2 * 3_600_000;

/// One read of an object: its key and byte range (`None`: the whole object).
pub type Read = (String, Option<Range<u64>>);

/// An in-memory object store that records every read.
#[derive(Debug, Default)]
pub struct Recording {
    inner: InMemory,
    reads: Mutex<Vec<Read>>,
}

impl Recording {
    /// The reads so far, forgetting them.
    pub fn take_reads(&self) -> Vec<Read> {
        std::mem::take(&mut *self.reads.lock().unwrap())
    }
}

impl fmt::Display for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recording({})", self.inner)
    }
}

#[tonic::async_trait]
impl ObjectStore for Recording {
    async fn put_opts(
        &self,
        location: &ObjectPath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
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
        if !options.head {
            let range = match &options.range {
                Some(GetRange::Bounded(r)) => Some(r.clone()),
                _ => None,
            };
            self.reads
                .lock()
                .unwrap()
                .push((location.to_string(), range));
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

/// The Thanos section of a raw block with these external labels.
pub fn thanos(external: &[(&str, &str)]) -> ThanosMeta {
    ThanosMeta {
        version: 1,
        labels: external
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        downsample: Downsample { resolution: 0 },
        source: "test".into(),
        ..ThanosMeta::default()
    }
}

/// Writes a block of `series` (any order) over `[mint, mint + 2h)`, each with one chunk of
/// 120 samples a minute apart; returns its directory.
pub fn write_block(parent: &Path, series: &[Labels], mint: i64) -> PathBuf {
    let mut sorted = series.to_vec();
    sorted.sort();
    let symbols = mnemos_tsdb::block_writer::symbols_of(sorted.iter());
    let mut w = BlockWriter::create(parent, symbols).expect("writer");
    for (n, labels) in sorted.iter().enumerate() {
        let samples: Vec<(i64, f64)> = (0..120)
            .map(|k| (mint + k * 60_000, (k * n as i64) as f64))
            .collect();
        w.add_series(labels, &samples).expect("add");
    }
    let meta = w
        .finish(BlockMeta::new(String::new(), mint, mint + HOUR2))
        .expect("finish");
    parent.join(meta.ulid)
}

/// `{__name__="m", i="0000"}` … for `n` series.
pub fn numbered(n: usize) -> Vec<Labels> {
    (0..n)
        .map(|i| Labels::from_pairs([("__name__", "m".to_string()), ("i", format!("{i:04}"))]))
        .collect()
}

/// A bucket over a recording in-memory store, with its metrics in `registry`.
pub fn bucket(registry: &mut Registry) -> (Bucket, Arc<Recording>) {
    let recording = Arc::new(Recording::default());
    let bucket = Bucket::new(
        recording.clone(),
        "memory://test",
        BucketMetrics::new(registry),
    );
    (bucket, recording)
}

/// Uploads the block at `dir` with these external labels.
pub async fn upload(bucket: &Bucket, dir: &Path, external: &[(&str, &str)]) {
    mnemos_block::upload_block(bucket, dir, thanos(external))
        .await
        .expect("upload");
}

/// Gateway settings for tests: small caches, no limits, `batch` series per batch.
pub fn config(data_dir: PathBuf, batch: usize) -> StoreConfig {
    StoreConfig {
        index_cache_bytes: 1 << 20,
        chunk_cache_bytes: 0,
        max_concurrency: 4,
        series_batch_size: batch,
        ..StoreConfig::new(data_dir)
    }
}

/// A gateway over `bucket`, synced and with every block loaded.
pub async fn store(bucket: Bucket, config: StoreConfig, registry: &mut Registry) -> BucketStore {
    let store = BucketStore::new(bucket, config, registry).expect("store");
    store.sync().await.expect("sync");
    store.load_pending().await;
    store
}

/// Every frame of a `Series` call: the series and the warnings, or the status it ended with.
pub async fn series(
    store: &BucketStore,
    req: SeriesRequest,
) -> Result<(Vec<Series>, Vec<String>), tonic::Status> {
    let mut stream = store.series(tonic::Request::new(req)).await?.into_inner();
    let (mut out, mut warnings) = (Vec::new(), Vec::new());
    while let Some(frame) = futures::StreamExt::next(&mut stream).await {
        match frame?.result {
            Some(series_response::Result::Series(s)) => out.push(s),
            Some(series_response::Result::Warning(w)) => warnings.push(w),
            _ => {}
        }
    }
    Ok((out, warnings))
}

/// The value of a metric sample (`name` with labels, as exposed), 0 when absent.
pub fn metric(registry: &Registry, name: &str) -> f64 {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).expect("encode");
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Bytes of chunk segments read in `reads`.
pub fn chunk_bytes(reads: &[Read]) -> u64 {
    reads
        .iter()
        .filter(|(key, _)| key.contains("/chunks/"))
        .map(|(_, r)| r.as_ref().map_or(u64::MAX, |r| r.end - r.start))
        .fold(0, u64::saturating_add)
}

/// Total bytes of the chunk segments of the blocks in `dirs`.
pub fn chunk_files_bytes(dirs: &[PathBuf]) -> u64 {
    dirs.iter()
        .flat_map(|d| std::fs::read_dir(d.join("chunks")).expect("chunks dir"))
        .map(|e| e.expect("entry").metadata().expect("metadata").len())
        .sum()
}

/// Labels of a wire series as text, `{a="1", b="2"}`.
pub fn text(s: &Series) -> String {
    Labels::from_pairs(s.labels.iter().map(|l| (l.name.as_str(), l.value.as_str()))).to_string()
}
