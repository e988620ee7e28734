//! The meta fetcher: which blocks the bucket holds and their metas.
//!
//! One recursive listing tells, per block directory, whether meta.json and the marks exist;
//! metas not seen before are fetched concurrently and cached (in memory, and on disk under
//! the cache directory so a restart needs no refetch: a block's meta.json never changes once
//! uploaded). Directories without meta.json are partial uploads and are never read;
//! unparsable metas are reported as corrupted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::{stream, StreamExt};
use mnemos_objstore::Bucket;
use mnemos_tsdb::meta::BlockMeta;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tracing::{debug, warn};
use ulid::Ulid;

use crate::download::fetch_meta;
use crate::error::{IoContext, Result};
use crate::layout::{
    parse_block_key, DELETION_MARK_FILE, META_FILE, NO_COMPACT_MARK_FILE, NO_DOWNSAMPLE_MARK_FILE,
    PARQUET_MARK_FILE,
};

/// Metas fetched at once.
const FETCH_CONCURRENCY: usize = 32;

/// What one sync found.
#[derive(Clone, Debug, Default)]
pub struct BucketBlocks {
    /// Complete blocks (meta.json present and valid), marked ones included.
    pub metas: BTreeMap<Ulid, Arc<BlockMeta>>,
    /// Blocks with a deletion mark.
    pub deletion_marked: BTreeSet<Ulid>,
    /// Blocks with a no-compact mark.
    pub no_compact_marked: BTreeSet<Ulid>,
    /// Blocks with a no-downsample mark.
    pub no_downsample_marked: BTreeSet<Ulid>,
    /// Blocks with a Parquet converter mark (their Parquet files are complete).
    pub parquet_converted: BTreeSet<Ulid>,
    /// Block directories without meta.json (uploads in progress or abandoned).
    pub partial: BTreeSet<Ulid>,
    /// Blocks whose meta.json could not be read or parsed, with the reason.
    pub corrupted: BTreeMap<Ulid, String>,
    /// Bytes of every object in each block directory (files, meta.json and marks).
    pub sizes: BTreeMap<Ulid, u64>,
    /// The files of each partial upload, relative to its directory.
    pub partial_files: BTreeMap<Ulid, Vec<String>>,
}

impl BucketBlocks {
    /// Complete blocks not marked for deletion: what queries should read.
    pub fn live(&self) -> impl Iterator<Item = (&Ulid, &Arc<BlockMeta>)> {
        self.metas
            .iter()
            .filter(|(id, _)| !self.deletion_marked.contains(id))
    }
}

/// Labels of the synced-blocks gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

/// Metrics of the fetcher.
#[derive(Clone)]
struct FetcherMetrics {
    syncs: Counter,
    sync_failures: Counter,
    synced: Family<StateLabel, Gauge>,
}

impl FetcherMetrics {
    fn new(registry: &mut Registry) -> Self {
        let m = Self {
            syncs: Counter::default(),
            sync_failures: Counter::default(),
            synced: Family::default(),
        };
        let sub = registry.sub_registry_with_prefix("mnemos_blocks_meta");
        sub.register("syncs", "Meta syncs with the bucket", m.syncs.clone());
        sub.register(
            "sync_failures",
            "Meta syncs that failed",
            m.sync_failures.clone(),
        );
        sub.register(
            "synced",
            "Block directories in the bucket by state at the last sync (loaded, partial, corrupted-meta-json, marked-for-deletion, marked-no-compact)",
            m.synced.clone(),
        );
        m
    }
}

/// Lists blocks and fetches their metas, caching what it saw.
pub struct MetaFetcher {
    bucket: Bucket,
    selector: crate::Relabel,
    cache_dir: Option<PathBuf>,
    cache: Mutex<HashMap<Ulid, Arc<BlockMeta>>>,
    metrics: FetcherMetrics,
}

impl MetaFetcher {
    /// A fetcher over `bucket`; metas are also cached under `cache_dir` when given.
    pub fn new(bucket: Bucket, cache_dir: Option<PathBuf>, registry: &mut Registry) -> Self {
        Self {
            bucket,
            selector: crate::Relabel::default(),
            cache_dir,
            cache: Mutex::new(HashMap::new()),
            metrics: FetcherMetrics::new(registry),
        }
    }

    /// Only blocks `selector` keeps are reported (with their marks); the others are left to
    /// other shards. Blocks without a meta.json cannot be told apart and are all reported.
    pub fn with_selector(mut self, selector: crate::Relabel) -> Self {
        self.selector = selector;
        self
    }

    /// The bucket this fetcher reads.
    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// Lists the bucket and returns its blocks by state.
    pub async fn fetch(&self) -> Result<BucketBlocks> {
        self.metrics.syncs.inc();
        let start = Instant::now();
        let result = self.fetch_inner().await;
        match &result {
            Ok(blocks) => {
                for (state, n) in [
                    ("loaded", blocks.metas.len()),
                    ("partial", blocks.partial.len()),
                    ("corrupted-meta-json", blocks.corrupted.len()),
                    ("marked-for-deletion", blocks.deletion_marked.len()),
                    ("marked-no-compact", blocks.no_compact_marked.len()),
                    ("marked-no-downsample", blocks.no_downsample_marked.len()),
                ] {
                    self.metrics
                        .synced
                        .get_or_create(&StateLabel { state })
                        .set(n as i64);
                }
                debug!(
                    blocks = blocks.metas.len(),
                    partial = blocks.partial.len(),
                    corrupted = blocks.corrupted.len(),
                    elapsed_ms = start.elapsed().as_millis() as u64,
                    "synced block metas"
                );
            }
            Err(e) => {
                self.metrics.sync_failures.inc();
                warn!(error = %e, "syncing block metas failed");
            }
        }
        result
    }

    async fn fetch_inner(&self) -> Result<BucketBlocks> {
        let mut blocks = self.fetch_all().await?;
        if !self.selector.is_empty() {
            let others: BTreeSet<Ulid> = blocks
                .metas
                .iter()
                .filter(|(id, meta)| {
                    let labels = meta
                        .thanos
                        .as_ref()
                        .map(|t| t.labels.clone())
                        .unwrap_or_default();
                    !self.selector.keeps_block(id, &labels)
                })
                .map(|(id, _)| *id)
                .collect();
            blocks.metas.retain(|id, _| !others.contains(id));
            for marked in [
                &mut blocks.deletion_marked,
                &mut blocks.no_compact_marked,
                &mut blocks.no_downsample_marked,
                &mut blocks.parquet_converted,
            ] {
                marked.retain(|id| !others.contains(id));
            }
        }
        Ok(blocks)
    }

    async fn fetch_all(&self) -> Result<BucketBlocks> {
        let mut blocks = BucketBlocks::default();
        let mut with_meta = BTreeSet::new();
        let mut dirs = BTreeSet::new();
        let objects = self.bucket.list_objects("").await?;
        for object in &objects {
            let Some((id, rel)) = parse_block_key(&object.key) else {
                continue;
            };
            dirs.insert(id);
            let size = blocks.sizes.entry(id).or_insert(0);
            *size = size.saturating_add(object.size);
            match rel {
                META_FILE => {
                    with_meta.insert(id);
                }
                DELETION_MARK_FILE => {
                    blocks.deletion_marked.insert(id);
                }
                NO_COMPACT_MARK_FILE => {
                    blocks.no_compact_marked.insert(id);
                }
                NO_DOWNSAMPLE_MARK_FILE => {
                    blocks.no_downsample_marked.insert(id);
                }
                PARQUET_MARK_FILE => {
                    blocks.parquet_converted.insert(id);
                }
                _ => {}
            }
        }
        blocks.partial = dirs.difference(&with_meta).copied().collect();
        for object in &objects {
            if let Some((id, rel)) = parse_block_key(&object.key) {
                if blocks.partial.contains(&id) {
                    blocks
                        .partial_files
                        .entry(id)
                        .or_default()
                        .push(rel.to_string());
                }
            }
        }

        let mut missing = Vec::new();
        {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.retain(|id, _| with_meta.contains(id));
            for id in &with_meta {
                match cache.get(id) {
                    Some(meta) => {
                        blocks.metas.insert(*id, meta.clone());
                    }
                    None => missing.push(*id),
                }
            }
        }
        let fetched: Vec<(Ulid, Result<BlockMeta>)> = stream::iter(missing)
            .map(|id| async move { (id, self.load_meta(id).await) })
            .buffer_unordered(FETCH_CONCURRENCY)
            .collect()
            .await;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        for (id, result) in fetched {
            match result {
                Ok(meta) if meta.ulid == id.to_string() => {
                    let meta = Arc::new(meta);
                    cache.insert(id, meta.clone());
                    blocks.metas.insert(id, meta);
                }
                Ok(meta) => {
                    let reason = format!("meta.json names block {}", meta.ulid);
                    warn!(block = %id, %reason, "skipping block with corrupted meta.json");
                    blocks.corrupted.insert(id, reason);
                }
                Err(crate::Error::Bucket(e)) if e.is_not_found() => {
                    // Deleted between listing and fetching.
                    blocks.partial.insert(id);
                }
                Err(e @ crate::Error::Json { .. }) => {
                    warn!(block = %id, error = %e, "skipping block with corrupted meta.json");
                    blocks.corrupted.insert(id, e.to_string());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(blocks)
    }

    /// A meta from the disk cache, or from the bucket (then written to the disk cache).
    async fn load_meta(&self, id: Ulid) -> Result<BlockMeta> {
        let cached = self.cache_dir.as_ref().map(|d| d.join(id.to_string()));
        if let Some(dir) = &cached {
            if let Ok(meta) = BlockMeta::read_from_dir(dir) {
                return Ok(meta);
            }
        }
        let meta = fetch_meta(&self.bucket, id).await?;
        if let Some(dir) = &cached {
            if let Err(error) = store_cached_meta(dir, &meta) {
                warn!(block = %id, %error, "could not cache meta.json on disk");
            }
        }
        Ok(meta)
    }
}

/// Writes a meta into the disk cache: `<cache>/<id>/meta.json` written atomically (by
/// [`BlockMeta::write_to_dir`]), and the new `<id>` directory made durable in the cache
/// directory, so a crash never leaves a torn cached meta.
fn store_cached_meta(dir: &std::path::Path, meta: &BlockMeta) -> Result<()> {
    let created = !dir.exists();
    std::fs::create_dir_all(dir).at(dir)?;
    meta.write_to_dir(dir)?;
    match dir.parent() {
        Some(parent) if created => crate::fsutil::sync_dir(parent),
        _ => Ok(()),
    }
}
