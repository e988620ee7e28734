//! [`BucketStore`]: the set of blocks the gateway serves (kept in sync with the bucket) and
//! the StoreAPI / Info API over it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::{stream, Stream, StreamExt};
use mnemos_block::{read_mark, DeletionMark, MetaFetcher};
use mnemos_objstore::Bucket;
use mnemos_storeapi::helpers::component_type;
use mnemos_storeapi::thanos::info::{
    info_server::Info, InfoRequest, InfoResponse, StoreInfo, TsdbInfo,
};
use mnemos_storeapi::thanos::{
    self, label_matcher, store_server::Store, Aggr, LabelNamesRequest, LabelNamesResponse,
    LabelValuesRequest, LabelValuesResponse, SeriesRequest, SeriesResponse,
};
use mnemos_tsdb::{Labels, MatchType, Matcher};
use prometheus_client::registry::Registry;
use tokio::sync::Semaphore;
use tonic::{Request, Response, Status};
use tracing::{info, warn};
use ulid::Ulid;

use crate::aggr::{choose_by_resolution, Span};
use crate::block::{Loader, StoreBlock};
use crate::bucket_file::FetchStats;
use crate::error::{Error, Result};
use crate::limits::RequestLimits;
use crate::metrics::StoreMetrics;
use crate::query::{select, BlockRequest, OutSeries};
use crate::range_cache::RangeCache;
use crate::selection::{now_ms, Relabel, TimeBound};

/// Blocks loaded or queried at once.
const BLOCK_CONCURRENCY: usize = 8;

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
    /// `Series` calls served at once; more wait.
    pub max_concurrency: usize,
    /// Serve only blocks ending after this.
    pub min_time: TimeBound,
    /// Serve only blocks starting before this.
    pub max_time: TimeBound,
    /// Keep/drop/hashmod over external labels.
    pub relabel: Relabel,
    /// Blocks marked for deletion longer ago than this are no longer served.
    pub ignore_deletion_marks_delay: Duration,
}

type BlockSet = Arc<BTreeMap<Ulid, Arc<StoreBlock>>>;
/// A block to query with the matchers left for its series.
type Planned = (Arc<StoreBlock>, Vec<Matcher>);
/// One block's answer.
type BlockAnswer = (Ulid, Result<(Vec<OutSeries>, crate::query::Touched)>);

struct Inner {
    loader: Loader,
    fetcher: MetaFetcher,
    config: StoreConfig,
    blocks: RwLock<BlockSet>,
    failed: Mutex<HashMap<Ulid, String>>,
    deletion_times: Mutex<HashMap<Ulid, i64>>,
    metrics: StoreMetrics,
    series_gate: Semaphore,
}

/// The store gateway's state and gRPC services; cheap to clone.
#[derive(Clone)]
pub struct BucketStore {
    inner: Arc<Inner>,
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

fn status(e: &Error) -> Status {
    match e {
        Error::Limit(m) => Status::resource_exhausted(m.clone()),
        other => Status::internal(other.to_string()),
    }
}

fn to_matchers(matchers: &[thanos::LabelMatcher]) -> std::result::Result<Vec<Matcher>, Status> {
    matchers
        .iter()
        .map(|m| {
            let kind = match m.r#type() {
                label_matcher::Type::Eq => MatchType::Equal,
                label_matcher::Type::Neq => MatchType::NotEqual,
                label_matcher::Type::Re => MatchType::Regex,
                label_matcher::Type::Nre => MatchType::NotRegex,
            };
            Matcher::new(kind, m.name.clone(), m.value.clone())
                .map_err(|e| Status::invalid_argument(format!("matcher {}: {e}", m.name)))
        })
        .collect()
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
        let gate = Semaphore::new(config.max_concurrency.max(1));
        Ok(Self {
            inner: Arc::new(Inner {
                loader,
                fetcher,
                config,
                blocks: RwLock::new(Arc::new(BTreeMap::new())),
                failed: Mutex::new(HashMap::new()),
                deletion_times: Mutex::new(HashMap::new()),
                metrics,
                series_gate: gate,
            }),
        })
    }

    fn snapshot(&self) -> BlockSet {
        self.inner
            .blocks
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn failed(&self, id: &Ulid) -> bool {
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
        let mut wanted: BTreeMap<Ulid, Arc<mnemos_tsdb::BlockMeta>> = BTreeMap::new();
        for (id, meta) in &found.metas {
            if meta.max_time <= min || meta.min_time > max {
                continue;
            }
            let labels = meta
                .thanos
                .as_ref()
                .map(|t| t.labels.clone())
                .unwrap_or_default();
            if !inner.config.relabel.keeps(&labels) {
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
            wanted.insert(*id, meta.clone());
        }
        let current = self.snapshot();
        let mut next: BTreeMap<Ulid, Arc<StoreBlock>> = BTreeMap::new();
        let mut added = 0;
        for (id, meta) in wanted {
            match current.get(&id) {
                Some(b) => {
                    next.insert(id, b.clone());
                }
                None => {
                    added += 1;
                    next.insert(id, Arc::new(StoreBlock::new(id, meta)));
                }
            }
        }
        let removed: Vec<Ulid> = current
            .keys()
            .filter(|id| !next.contains_key(id))
            .copied()
            .collect();
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

    async fn load_block(&self, b: &StoreBlock) -> Result<Arc<crate::block::LoadedBlock>> {
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
                    warn!(block = %b.id, error = %e, "skipping corrupt block");
                    self.inner
                        .failed
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(b.id, e.to_string());
                    self.inner.metrics.blocks_corrupt.inc();
                } else {
                    warn!(block = %b.id, error = %e, "loading block failed; retrying on next use");
                }
            }
        }
        result
    }

    /// Blocks for a request: overlapping `[mint, maxt]`, external labels matching, chosen by
    /// resolution per stream. Returns each with the matchers left for its series.
    fn plan(
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

    /// Runs `req` on the planned blocks; per-block failures become warnings (or an error
    /// with `abort`).
    async fn run(
        &self,
        plan: Vec<Planned>,
        req: BlockRequest,
        limits: &RequestLimits,
        abort: bool,
    ) -> std::result::Result<(Vec<OutSeries>, Vec<String>), Status> {
        let stats = FetchStats::default();
        let start = Instant::now();
        let blocks_touched = plan.len();
        let results: Vec<BlockAnswer> = stream::iter(plan)
            .map(|(b, matchers)| {
                let req = BlockRequest {
                    matchers,
                    ..req.clone()
                };
                let stats = &stats;
                async move {
                    let result = match self.load_block(&b).await {
                        Ok(loaded) => select(loaded, &b.external, &req, limits, stats).await,
                        Err(e) => Err(e),
                    };
                    (b.id, result)
                }
            })
            .buffer_unordered(BLOCK_CONCURRENCY)
            .collect()
            .await;
        let mut all = Vec::new();
        let mut warnings = Vec::new();
        let (mut series, mut chunks) = (0, 0);
        for (id, result) in results {
            match result {
                Ok((s, touched)) => {
                    series += touched.series;
                    chunks += touched.chunks;
                    all.extend(s);
                }
                Err(e @ Error::Limit(_)) => {
                    self.inner.metrics.limit_rejections.inc();
                    return Err(status(&e));
                }
                Err(e) => {
                    self.inner.metrics.block_query_failures.inc();
                    warn!(block = %id, error = %e, "block failed during a query");
                    if abort {
                        return Err(status(&e));
                    }
                    warnings.push(format!("block {id}: {e}"));
                }
            }
        }
        let m = &self.inner.metrics;
        m.query_blocks.observe(blocks_touched as f64);
        m.query_series.observe(series as f64);
        m.query_chunks.observe(chunks as f64);
        m.query_bucket_bytes
            .observe(stats.bucket_bytes.load(Ordering::Relaxed) as f64);
        m.query_duration.observe(start.elapsed().as_secs_f64());
        Ok((merge(all), warnings))
    }

    /// Label sets of the series with data in `[mint, maxt]` in `blocks` (no chunks read).
    async fn series_labels(
        &self,
        blocks: Vec<Planned>,
        mint: i64,
        maxt: i64,
        abort: bool,
        warnings: &mut Vec<String>,
    ) -> std::result::Result<Vec<Labels>, Status> {
        if blocks.is_empty() {
            return Ok(Vec::new());
        }
        let req = BlockRequest {
            matchers: Vec::new(),
            min_time: mint,
            max_time: maxt,
            skip_chunks: true,
            aggregates: Vec::new(),
            drop_labels: Vec::new(),
        };
        let (series, w) = self.run(blocks, req, &self.limits(), abort).await?;
        warnings.extend(w);
        Ok(series.into_iter().map(|s| s.labels).collect())
    }

    fn limits(&self) -> RequestLimits {
        RequestLimits::new(self.inner.config.max_series, self.inner.config.max_samples)
    }

    fn clamp(&self, mint: i64, maxt: i64) -> (i64, i64) {
        let now = now_ms();
        (
            mint.max(self.inner.config.min_time.at(now)),
            maxt.min(self.inner.config.max_time.at(now)),
        )
    }
}

/// Sorts series by labels and merges those with equal labels (overlapping blocks of one
/// stream): chunks in time order, identical chunks once.
pub fn merge(mut all: Vec<OutSeries>) -> Vec<OutSeries> {
    all.sort_by(|a, b| a.labels.cmp(&b.labels));
    let mut out: Vec<OutSeries> = Vec::with_capacity(all.len());
    for s in all {
        match out.last_mut() {
            Some(last) if last.labels == s.labels => last.chunks.extend(s.chunks),
            _ => out.push(s),
        }
    }
    for s in &mut out {
        s.chunks.sort_by_key(|c| (c.min_time, c.max_time));
        s.chunks.dedup();
    }
    out
}

fn to_wire(s: OutSeries) -> thanos::Series {
    thanos::Series {
        labels: s
            .labels
            .into_vec()
            .into_iter()
            .map(|l| thanos::Label {
                name: l.name,
                value: l.value,
            })
            .collect(),
        chunks: s.chunks,
    }
}

fn aggregates(req: &SeriesRequest) -> Vec<Aggr> {
    req.aggregates
        .iter()
        .filter_map(|a| Aggr::try_from(*a).ok())
        .collect()
}

type SeriesStream = Pin<Box<dyn Stream<Item = std::result::Result<SeriesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Store for BucketStore {
    type SeriesStream = SeriesStream;

    #[tracing::instrument(name = "store.series", skip_all)]
    async fn series(
        &self,
        request: Request<SeriesRequest>,
    ) -> std::result::Result<Response<SeriesStream>, Status> {
        let req = request.into_inner();
        let _permit = self
            .inner
            .series_gate
            .acquire()
            .await
            .map_err(|_| Status::unavailable("store is shutting down"))?;
        let matchers = to_matchers(&req.matchers)?;
        let (mint, maxt) = self.clamp(req.min_time, req.max_time);
        if mint > maxt {
            // Entirely outside the window this gateway serves.
            return Ok(Response::new(Box::pin(stream::empty())));
        }
        let plan = self.plan(mint, maxt, &matchers, req.max_resolution_window);
        let block_req = BlockRequest {
            matchers: Vec::new(),
            min_time: mint,
            max_time: maxt,
            skip_chunks: req.skip_chunks,
            aggregates: aggregates(&req),
            drop_labels: req.without_replica_labels.clone(),
        };
        let abort = req.partial_response_disabled
            || req.partial_response_strategy == thanos::PartialResponseStrategy::Abort as i32;
        let (series, warnings) = self.run(plan, block_req, &self.limits(), abort).await?;
        let limit = if req.limit > 0 {
            req.limit as usize
        } else {
            usize::MAX
        };
        let frames: Vec<std::result::Result<SeriesResponse, Status>> = series
            .into_iter()
            .take(limit)
            .map(|s| Ok(SeriesResponse::series(to_wire(s))))
            .chain(warnings.into_iter().map(|w| Ok(SeriesResponse::warning(w))))
            .collect();
        Ok(Response::new(Box::pin(stream::iter(frames))))
    }

    #[tracing::instrument(name = "store.label_names", skip_all)]
    async fn label_names(
        &self,
        request: Request<LabelNamesRequest>,
    ) -> std::result::Result<Response<LabelNamesResponse>, Status> {
        let req = request.into_inner();
        let matchers = to_matchers(&req.matchers)?;
        let (mint, maxt) = self.clamp(req.start, req.end);
        let plan = self.plan(mint, maxt, &matchers, i64::MAX);
        let mut names = BTreeSet::new();
        let mut warnings = Vec::new();
        let mut with_series = Vec::new();
        for (b, rest) in plan {
            if !rest.is_empty() {
                with_series.push((b, rest));
                continue;
            }
            match self.load_block(&b).await {
                Ok(loaded) => {
                    names.extend(loaded.index.label_names().into_iter().map(str::to_string));
                    names.extend(b.external.iter().map(|l| l.name.clone()));
                }
                Err(e) => warnings.push(format!("block {}: {e}", b.id)),
            }
        }
        for labels in self
            .series_labels(
                with_series,
                mint,
                maxt,
                req.partial_response_disabled,
                &mut warnings,
            )
            .await?
        {
            names.extend(labels.iter().map(|l| l.name.clone()));
        }
        let mut names: Vec<String> = names
            .into_iter()
            .filter(|n| !req.without_replica_labels.contains(n))
            .collect();
        if req.limit > 0 {
            names.truncate(req.limit as usize);
        }
        Ok(Response::new(LabelNamesResponse {
            names,
            warnings,
            hints: None,
        }))
    }

    #[tracing::instrument(name = "store.label_values", skip_all)]
    async fn label_values(
        &self,
        request: Request<LabelValuesRequest>,
    ) -> std::result::Result<Response<LabelValuesResponse>, Status> {
        let req = request.into_inner();
        if req.label.is_empty() {
            return Err(Status::invalid_argument(
                "label name parameter cannot be empty",
            ));
        }
        if req.without_replica_labels.contains(&req.label) {
            return Ok(Response::new(LabelValuesResponse::default()));
        }
        let matchers = to_matchers(&req.matchers)?;
        let (mint, maxt) = self.clamp(req.start, req.end);
        let plan = self.plan(mint, maxt, &matchers, i64::MAX);
        let mut values = BTreeSet::new();
        let mut warnings = Vec::new();
        let mut with_series = Vec::new();
        for (b, rest) in plan {
            if let Some(v) = b.external.get(&req.label) {
                if rest.is_empty() {
                    values.insert(v.to_string());
                } else {
                    with_series.push((b, rest));
                }
                continue;
            }
            if !rest.is_empty() {
                with_series.push((b, rest));
                continue;
            }
            match self.load_block(&b).await {
                Ok(loaded) => values.extend(
                    loaded
                        .index
                        .label_values(&req.label)
                        .into_iter()
                        .map(str::to_string),
                ),
                Err(e) => warnings.push(format!("block {}: {e}", b.id)),
            }
        }
        for labels in self
            .series_labels(
                with_series,
                mint,
                maxt,
                req.partial_response_disabled,
                &mut warnings,
            )
            .await?
        {
            if let Some(v) = labels.get(&req.label) {
                values.insert(v.to_string());
            }
        }
        let mut values: Vec<String> = values.into_iter().collect();
        if req.limit > 0 {
            values.truncate(req.limit as usize);
        }
        Ok(Response::new(LabelValuesResponse {
            values,
            warnings,
            hints: None,
        }))
    }
}

#[tonic::async_trait]
impl Info for BucketStore {
    async fn info(
        &self,
        _request: Request<InfoRequest>,
    ) -> std::result::Result<Response<InfoResponse>, Status> {
        let mut streams: BTreeMap<Labels, (i64, i64)> = BTreeMap::new();
        for b in self.snapshot().values().filter(|b| !self.failed(&b.id)) {
            let e = streams
                .entry(b.external.clone())
                .or_insert((i64::MAX, i64::MIN));
            e.0 = e.0.min(b.meta.min_time);
            e.1 = e.1.max(b.meta.max_time);
        }
        let now = now_ms();
        let (lo, hi) = (
            self.inner.config.min_time.at(now),
            self.inner.config.max_time.at(now),
        );
        let to_set = |l: &Labels| -> thanos::ZLabelSet {
            l.iter()
                .map(|l| thanos::Label {
                    name: l.name.clone(),
                    value: l.value.clone(),
                })
                .collect::<Vec<_>>()
                .into()
        };
        let min = streams
            .values()
            .map(|s| s.0)
            .min()
            .unwrap_or(i64::MAX)
            .max(lo);
        let max = streams
            .values()
            .map(|s| s.1)
            .max()
            .unwrap_or(i64::MIN)
            .min(hi);
        Ok(Response::new(InfoResponse {
            label_sets: streams.keys().map(to_set).collect(),
            component_type: component_type::STORE.to_string(),
            store: Some(StoreInfo {
                min_time: min,
                max_time: max,
                supports_sharding: false,
                supports_without_replica_labels: true,
                tsdb_infos: streams
                    .iter()
                    .map(|(l, (a, b))| TsdbInfo {
                        labels: Some(to_set(l)),
                        min_time: *a,
                        max_time: *b,
                    })
                    .collect(),
                supports_projections: false,
            }),
            ..Default::default()
        }))
    }
}
