//! [`BucketStore`]: the set of blocks the gateway serves (kept in sync with the bucket),
//! loading them, and planning which of them a request reads. The gRPC services over it are
//! in [`crate::api`], a request's reading in [`crate::select`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::{stream, StreamExt};
use mnemos_block::{read_mark, DeletionMark, MetaFetcher};
use mnemos_objstore::Bucket;
use mnemos_tsdb::{Labels, Matcher};
use prometheus_client::registry::Registry;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;
use tracing::{info, warn};
use ulid::Ulid;

use crate::aggr::{choose_by_resolution, Span};
use crate::block::{Loaded, Loader, StoreBlock};
use crate::error::{Error, Result};
use crate::limits::RequestLimits;
use crate::metrics::StoreMetrics;
use crate::range_cache::RangeCache;
use mnemos_block::Relabel;
use mnemos_tsdb::time::{now_ms, TimeBound};

/// Blocks loaded or read at once (per request for reads).
pub(crate) const BLOCK_CONCURRENCY: usize = 8;

/// Gateway settings.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Local directory for index headers and the meta cache.
    pub data_dir: PathBuf,
    /// Bytes of index ranges (postings, series) cached in memory.
    pub index_cache_bytes: usize,
    /// Bytes of chunk ranges cached in memory.
    pub chunk_cache_bytes: usize,
    /// Series one request may touch (0 = unlimited).
    pub max_series: u64,
    /// Samples one request may touch, estimated from chunks (0 = unlimited).
    pub max_samples: u64,
    /// `Series`, `LabelNames` and `LabelValues` calls served at once; more wait.
    pub max_concurrency: usize,
    /// Series read from a block per batch (0 = [`crate::query::DEFAULT_BATCH_SERIES`]).
    pub series_batch_size: usize,
    /// Serve only blocks ending after this.
    pub min_time: TimeBound,
    /// Serve only blocks starting before this.
    pub max_time: TimeBound,
    /// Keep/drop/hashmod over external labels.
    pub relabel: Relabel,
    /// Blocks marked for deletion longer ago than this are no longer served.
    pub ignore_deletion_marks_delay: Duration,
    /// Serve blocks with a Parquet converter mark from their Parquet files (their TSDB
    /// files are then not read); otherwise every block is read as TSDB.
    pub serve_parquet: bool,
}

impl StoreConfig {
    /// The gateway's defaults (those of `mnemos store`'s flags) over `data_dir`: 250 MB
    /// caches, no series or sample limit, 20 calls at once, every block served, converted
    /// blocks from their Parquet files.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            index_cache_bytes: 250_000_000,
            chunk_cache_bytes: 250_000_000,
            max_series: 0,
            max_samples: 0,
            max_concurrency: 20,
            series_batch_size: 0,
            min_time: TimeBound::Absolute(i64::MIN / 2),
            max_time: TimeBound::Absolute(i64::MAX / 2),
            relabel: Relabel::default(),
            ignore_deletion_marks_delay: Duration::from_secs(24 * 3600),
            serve_parquet: true,
        }
    }
}

pub(crate) type BlockSet = Arc<BTreeMap<Ulid, Arc<StoreBlock>>>;
/// A block to query with the matchers left for its series.
pub(crate) type Planned = (Arc<StoreBlock>, Vec<Matcher>);

pub(crate) struct Inner {
    loader: Loader,
    fetcher: MetaFetcher,
    pub(crate) config: StoreConfig,
    blocks: RwLock<BlockSet>,
    failed: Mutex<HashMap<Ulid, String>>,
    deletion_times: Mutex<HashMap<Ulid, i64>>,
    pub(crate) metrics: StoreMetrics,
    /// Admits `Series`, `LabelNames` and `LabelValues` calls (`max_concurrency`).
    request_gate: Arc<Semaphore>,
}

/// The store gateway's state and gRPC services; cheap to clone.
#[derive(Clone)]
pub struct BucketStore {
    pub(crate) inner: Arc<Inner>,
}

/// Counts of one sync.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Blocks served after the sync.
    pub blocks: usize,
    /// Blocks new in this sync.
    pub added: usize,
    /// Blocks gone in this sync.
    pub removed: usize,
}

/// Blocks of `set` read from their Parquet files.
fn parquet_count(set: &BlockSet) -> usize {
    set.values().filter(|b| b.parquet).count()
}

/// The matchers left for a block's series, or `None` when its external labels fail one.
fn block_matchers(external: &Labels, matchers: &[Matcher]) -> Option<Vec<Matcher>> {
    let mut rest = Vec::new();
    for m in matchers {
        match external.get(&m.name) {
            Some(v) if !m.matches(v) => return None,
            Some(_) => {}
            None => rest.push(m.clone()),
        }
    }
    Some(rest)
}

impl BucketStore {
    /// A gateway over `bucket`; registers its metrics.
    pub fn new(bucket: Bucket, config: StoreConfig, registry: &mut Registry) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| Error::Io {
            path: config.data_dir.clone(),
            source,
        })?;
        let metrics = StoreMetrics::new(registry);
        let loader = Loader {
            bucket: bucket.clone(),
            data_dir: config.data_dir.join("blocks"),
            index_cache: RangeCache::new(config.index_cache_bytes, metrics.cache("index")),
            chunk_cache: RangeCache::new(config.chunk_cache_bytes, metrics.cache("chunks")),
            runtime: tokio::runtime::Handle::current(),
        };
        let fetcher = MetaFetcher::new(bucket, Some(config.data_dir.join("meta-syncer")), registry);
        let gate = Arc::new(Semaphore::new(config.max_concurrency.max(1)));
        Ok(Self {
            inner: Arc::new(Inner {
                loader,
                fetcher,
                config,
                blocks: RwLock::new(Arc::new(BTreeMap::new())),
                failed: Mutex::new(HashMap::new()),
                deletion_times: Mutex::new(HashMap::new()),
                metrics,
                request_gate: gate,
            }),
        })
    }

    pub(crate) fn snapshot(&self) -> BlockSet {
        self.inner
            .blocks
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn failed(&self, id: &Ulid) -> bool {
        self.inner
            .failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(id)
    }

    /// Blocks served now, with whether each is loaded.
    pub fn blocks(&self) -> Vec<(Ulid, bool)> {
        self.snapshot()
            .values()
            .filter(|b| !self.failed(&b.id))
            .map(|b| (b.id, b.is_loaded()))
            .collect()
    }

    /// Brings the block set in line with the bucket: new blocks are added (loaded later,
    /// never half-used), vanished or long-deletion-marked ones removed.
    pub async fn sync(&self) -> Result<SyncReport> {
        let inner = &self.inner;
        let found = inner.fetcher.fetch().await?;
        let now = now_ms();
        let (min, max) = (inner.config.min_time.at(now), inner.config.max_time.at(now));
        let delay = inner.config.ignore_deletion_marks_delay.as_secs() as i64;
        let mut wanted: BTreeMap<Ulid, (Arc<mnemos_tsdb::BlockMeta>, bool)> = BTreeMap::new();
        for (id, meta) in &found.metas {
            if meta.max_time <= min || meta.min_time > max {
                continue;
            }
            let labels = meta
                .thanos
                .as_ref()
                .map(|t| t.labels.clone())
                .unwrap_or_default();
            if !inner.config.relabel.keeps_block(id, &labels) {
                continue;
            }
            if found.deletion_marked.contains(id) {
                let known = inner
                    .deletion_times
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(id)
                    .copied();
                let marked_at = match known {
                    Some(t) => t,
                    None => {
                        let t = match read_mark::<DeletionMark>(inner.fetcher.bucket(), *id).await {
                            Ok(Some(m)) => m.deletion_time,
                            _ => 0,
                        };
                        inner
                            .deletion_times
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(*id, t);
                        t
                    }
                };
                if now / 1000 - marked_at >= delay {
                    continue;
                }
            }
            let parquet = inner.config.serve_parquet && found.parquet_converted.contains(id);
            wanted.insert(*id, (meta.clone(), parquet));
        }
        let current = self.snapshot();
        let mut next: BTreeMap<Ulid, Arc<StoreBlock>> = BTreeMap::new();
        let mut added = 0;
        let mut removed = Vec::new();
        for (id, (meta, parquet)) in wanted {
            match current.get(&id) {
                Some(b) if b.parquet == parquet => {
                    next.insert(id, b.clone());
                }
                known => {
                    if known.is_some() {
                        // Converted (or its mark gone) since it was loaded: read it anew.
                        info!(block = %id, parquet, "block changed format");
                        removed.push(id);
                    }
                    added += 1;
                    next.insert(id, Arc::new(StoreBlock::new(id, meta, parquet)));
                }
            }
        }
        removed.extend(current.keys().filter(|id| !next.contains_key(id)).copied());
        for id in &removed {
            inner.loader.index_cache.forget_block(*id);
            inner.loader.chunk_cache.forget_block(*id);
            inner
                .failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(id);
            let _ = std::fs::remove_dir_all(inner.loader.data_dir.join(id.to_string()));
        }
        let report = SyncReport {
            blocks: next.len(),
            added,
            removed: removed.len(),
        };
        *inner.blocks.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        inner.metrics.blocks.set(report.blocks as i64);
        let parquet = parquet_count(&self.snapshot());
        inner.metrics.parquet_blocks.set(parquet as i64);
        if added > 0 || !removed.is_empty() {
            info!(
                blocks = report.blocks,
                added,
                removed = removed.len(),
                "synced blocks"
            );
        }
        Ok(report)
    }

    /// Loads every block not loaded yet, a few at a time; failures are logged, counted and
    /// the block is skipped from then on.
    pub async fn load_pending(&self) {
        let pending: Vec<Arc<StoreBlock>> = self
            .snapshot()
            .values()
            .filter(|b| !b.is_loaded() && !self.failed(&b.id))
            .cloned()
            .collect();
        if pending.is_empty() {
            return;
        }
        let start = Instant::now();
        let total = pending.len();
        stream::iter(pending)
            .for_each_concurrent(BLOCK_CONCURRENCY, |b| async move {
                let _ = self.load_block(&b).await;
            })
            .await;
        info!(
            blocks = total,
            elapsed_ms = start.elapsed().as_millis() as u64,
            "loaded blocks"
        );
    }

    /// The loaded block, loading it first if needed. A failure is counted; a corrupt block
    /// is skipped from then on.
    pub(crate) async fn load_block(&self, b: &StoreBlock) -> Result<Loaded> {
        let was_loaded = b.is_loaded();
        let result = b.load(&self.inner.loader).await;
        match &result {
            Ok(_) => {
                if !was_loaded {
                    self.inner.metrics.blocks_loaded.inc();
                }
            }
            Err(e) => {
                self.inner.metrics.block_load_failures.inc();
                if e.is_corruption() {
                    self.skip_corrupt(b.id, e);
                } else {
                    warn!(block = %b.id, error = %e, "loading block failed; retrying on next use");
                }
            }
        }
        result
    }

    /// Stops serving block `id` because its data is corrupt (found loading it or reading
    /// it for a query): logged and counted once.
    pub(crate) fn skip_corrupt(&self, id: Ulid, e: &Error) {
        let first = self
            .inner
            .failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, e.to_string())
            .is_none();
        if first {
            warn!(block = %id, error = %e, "skipping corrupt block");
            self.inner.metrics.blocks_corrupt.inc();
        }
    }

    /// Waits for a turn to serve a `Series`, `LabelNames` or `LabelValues` call (at most
    /// `max_concurrency` at once); the call is served while the permit is held.
    pub(crate) async fn admit(&self) -> std::result::Result<OwnedSemaphorePermit, Status> {
        self.inner
            .request_gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Status::unavailable("store is shutting down"))
    }

    /// Blocks for a request: overlapping `[mint, maxt]`, external labels matching, chosen by
    /// resolution per stream. Returns each with the matchers left for its series.
    pub(crate) fn plan(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
        max_resolution: i64,
    ) -> Vec<Planned> {
        let mut streams: BTreeMap<Labels, Vec<Planned>> = BTreeMap::new();
        for b in self.snapshot().values() {
            if self.failed(&b.id) || b.meta.min_time > maxt || b.meta.max_time <= mint {
                continue;
            }
            if let Some(rest) = block_matchers(&b.external, matchers) {
                streams
                    .entry(b.external.clone())
                    .or_default()
                    .push((b.clone(), rest));
            }
        }
        let mut out = Vec::new();
        for blocks in streams.into_values() {
            let spans: Vec<Span> = blocks
                .iter()
                .map(|(b, _)| Span {
                    min_time: b.meta.min_time,
                    max_time: b.meta.max_time,
                    resolution: b.resolution(),
                })
                .collect();
            let chosen: BTreeSet<usize> = choose_by_resolution(&spans, mint, maxt, max_resolution)
                .into_iter()
                .collect();
            out.extend(
                blocks
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| chosen.contains(i))
                    .map(|(_, b)| b),
            );
        }
        out
    }

    pub(crate) fn limits(&self) -> RequestLimits {
        RequestLimits::new(self.inner.config.max_series, self.inner.config.max_samples)
    }

    pub(crate) fn clamp(&self, mint: i64, maxt: i64) -> (i64, i64) {
        let now = now_ms();
        (
            mint.max(self.inner.config.min_time.at(now)),
            maxt.min(self.inner.config.max_time.at(now)),
        )
    }
}
