//! One compactor pass over a bucket: compact until no group has a plan, downsample, apply
//! retention, then delete what was marked long enough ago. Problem blocks get no-compact
//! marks and the pass goes on with the rest.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{stream, StreamExt, TryStreamExt};
use mnemos_block::{
    delete_block, download_block, read_mark, upload_block, write_mark, BucketBlocks, DeletionMark,
    MetaFetcher, NoCompactMark,
};
use mnemos_objstore::Bucket;
use mnemos_tsdb::block::dir_size;
use mnemos_tsdb::meta::{BlockMeta, ThanosMeta};
use mnemos_tsdb::time::now_ms;
use prometheus_client::registry::Registry;
use tracing::{error, info, warn};
use ulid::Ulid;

use crate::downsample::{RES_1H, RES_5M};
use crate::downsample_block::downsample_block;
use crate::error::{BadKind, Error, IoContext, Result};
use crate::group::{external_labels, group_blocks, GroupKey};
use crate::journal::Journal;
use crate::merge::compact_blocks;
use crate::metrics::{Metrics, ResolutionLabel};
use crate::parquet_convert::{convert_in_bucket, ParquetConvertConfig};
use crate::partials::PartialTracker;
use crate::plan::{check_ranges, plan, PlanBlock};
use crate::readback::{verify_uploaded, Readback};
use crate::source::Source;

/// `thanos.source` of blocks this compactor writes.
pub const COMPACTOR_SOURCE: &str = "compactor";
/// Raw blocks spanning at least this long (ms) are downsampled to 5m.
pub const DOWNSAMPLE_5M_MIN_SPAN: i64 = 40 * 3_600_000;
/// 5m blocks spanning at least this long (ms) are downsampled to 1h.
pub const DOWNSAMPLE_1H_MIN_SPAN: i64 = 10 * 24 * 3_600_000;
/// Partial uploads (no meta.json) this old by ULID time and seen by the compactor for this
/// long are abandoned and deleted (Thanos uses the ULID time alone).
pub const PARTIAL_UPLOAD_MAX_AGE: Duration = Duration::from_secs(2 * 24 * 3600);
/// Blocks of one plan downloaded at once.
const DOWNLOAD_CONCURRENCY: usize = 4;
/// Upper bound on compactions in one pass (a safety net against a planning loop).
const MAX_COMPACTIONS_PER_PASS: usize = 100_000;
/// `reason` of the no-compact mark on a new block that failed read-back verification.
pub const VERIFICATION_FAILED: &str = "verification-failed";

/// The blocks of one plan with their metas, in time order.
type PlanMetas = Vec<(Ulid, Arc<BlockMeta>)>;

/// What the compactor does and where.
#[derive(Clone, Debug)]
pub struct Config {
    /// Local scratch directory (downloads, new blocks, meta cache, upload journal).
    pub data_dir: PathBuf,
    /// Compaction ranges in ms, smallest first (2h, 8h, 2d, 14d by default).
    pub ranges: Vec<i64>,
    /// Blocks younger than this (by ULID time) are not touched, unless a compactor wrote them.
    pub consistency_delay: Duration,
    /// External labels that tell HA replicas apart; when set, replicas are merged offline.
    pub replica_labels: Vec<String>,
    /// How replicas are merged (`--deduplication.func`).
    pub dedup_func: mnemos_dedup::DedupFunc,
    /// Time between a deletion mark and the deletion.
    pub delete_delay: Duration,
    /// Retention of raw blocks (zero: forever).
    pub retention_raw: Duration,
    /// Retention of 5m blocks (zero: forever).
    pub retention_5m: Duration,
    /// Retention of 1h blocks (zero: forever).
    pub retention_1h: Duration,
    /// Whether to downsample.
    pub downsampling: bool,
    /// Groups compacted at once (each compaction uses one core).
    pub compact_concurrency: usize,
    /// Blocks downsampled at once.
    pub downsample_concurrency: usize,
    /// Which blocks this compactor handles (`--selector.relabel-config`); others are left to
    /// other compactors.
    pub selector: mnemos_block::Relabel,
    /// Which blocks are converted to Parquet after compaction and downsampling.
    pub parquet: ParquetConvertConfig,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Compactions done.
    pub compactions: usize,
    /// Downsampled blocks uploaded.
    pub downsamples: usize,
    /// Blocks converted to Parquet.
    pub parquet_conversions: usize,
    /// Blocks given a no-compact mark.
    pub marked_no_compact: usize,
    /// Blocks given a deletion mark.
    pub marked_deletion: usize,
    /// Blocks deleted.
    pub deleted: usize,
    /// Plans or downsamplings that failed for reasons other than a bad block.
    pub failures: usize,
    /// New blocks that failed read-back verification (each got a no-compact mark; the
    /// blocks they were made from were kept).
    pub unverified: usize,
}

/// Logs a [`PassReport`] at `$level`, each count a field, with more fields and the message.
macro_rules! log_pass {
    ($level:ident, $report:expr, $($rest:tt)+) => {
        tracing::$level!(
            compactions = $report.compactions,
            downsamples = $report.downsamples,
            parquet_conversions = $report.parquet_conversions,
            marked_no_compact = $report.marked_no_compact,
            marked_deletion = $report.marked_deletion,
            deleted = $report.deleted,
            failures = $report.failures,
            unverified = $report.unverified,
            $($rest)+
        )
    };
}

/// The compactor of one bucket.
pub struct Compactor {
    bucket: Bucket,
    fetcher: MetaFetcher,
    config: Config,
    metrics: Metrics,
    journal: Journal,
    partials: PartialTracker,
    /// Blocks found not downsamplable (native histograms) in this process.
    not_downsampled: Mutex<BTreeSet<Ulid>>,
    /// Sources of compactions whose result failed read-back verification in this process:
    /// plans holding any of them are not retried until restart (a deterministic failure
    /// would otherwise leave one more bad block behind on every pass).
    unverified_sources: Mutex<BTreeSet<Ulid>>,
}

fn fresh_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).at(dir)?;
    }
    std::fs::create_dir_all(dir).at(dir)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Task(e.to_string()))?
}

impl Compactor {
    /// A compactor over `bucket`; registers its metrics (and the meta fetcher's).
    pub fn new(bucket: Bucket, config: Config, registry: &mut Registry) -> Result<Self> {
        check_ranges(&config.ranges).map_err(Error::Config)?;
        std::fs::create_dir_all(&config.data_dir).at(&config.data_dir)?;
        let fetcher = MetaFetcher::new(
            bucket.clone(),
            Some(config.data_dir.join("meta-syncer")),
            registry,
        )
        .with_selector(config.selector.clone());
        let journal = Journal::new(config.data_dir.join("uploads-in-progress"));
        let partials = PartialTracker::new(config.data_dir.join("partial-uploads-seen"));
        Ok(Self {
            bucket,
            fetcher,
            metrics: Metrics::new(registry),
            config,
            journal,
            partials,
            not_downsampled: Mutex::new(BTreeSet::new()),
            unverified_sources: Mutex::new(BTreeSet::new()),
        })
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Runs one pass; counts it and records the time of success.
    pub async fn run_pass(&self) -> Result<PassReport> {
        self.metrics.passes.inc();
        let started = std::time::Instant::now();
        let result = self.pass().await;
        match &result {
            Ok(report) if report.failures == 0 => {
                self.metrics.last_success.set(now_ms() as f64 / 1000.0);
                log_pass!(
                    info,
                    report,
                    elapsed_s = started.elapsed().as_secs_f64(),
                    "compactor pass done"
                );
            }
            Ok(report) => {
                self.metrics.pass_failures.inc();
                log_pass!(
                    warn,
                    report,
                    "compactor pass done with failures; they are retried next pass"
                );
            }
            Err(e) => {
                self.metrics.pass_failures.inc();
                error!(error = %e, "compactor pass failed");
            }
        }
        result
    }

    async fn pass(&self) -> Result<PassReport> {
        let mut report = PassReport::default();
        fresh_dir(&self.scratch())?;
        self.clean_aborted_uploads().await?;
        self.compact_all(&mut report).await?;
        if self.config.downsampling {
            self.downsample_all(&mut report).await?;
        }
        if self.config.parquet.enabled {
            self.convert_all(&mut report).await?;
        }
        self.apply_retention(&mut report).await?;
        self.delete_marked(&mut report).await?;
        let _ = std::fs::remove_dir_all(self.scratch());
        Ok(report)
    }

    fn scratch(&self) -> PathBuf {
        self.config.data_dir.join("scratch")
    }

    /// Blocks to work on: complete, not marked for deletion, old enough (compactor output
    /// always is), not an upload of this compactor still unverified (in the journal), and
    /// without a no-compact mark unless `with_no_compact`.
    fn eligible(
        &self,
        blocks: &BucketBlocks,
        with_no_compact: bool,
    ) -> Result<BTreeMap<Ulid, Arc<BlockMeta>>> {
        let cutoff = now_ms() - self.config.consistency_delay.as_millis() as i64;
        let unverified = self.journal.list()?;
        Ok(blocks
            .metas
            .iter()
            .filter(|(id, _)| {
                !blocks.deletion_marked.contains(id)
                    && !unverified.contains(id)
                    && (with_no_compact || !blocks.no_compact_marked.contains(id))
            })
            .filter(|(id, m)| {
                let source = m.thanos.as_ref().map_or("", |t| t.source.as_str());
                source == COMPACTOR_SOURCE || (id.timestamp_ms() as i64) <= cutoff
            })
            .map(|(id, m)| (*id, m.clone()))
            .collect())
    }

    async fn compact_all(&self, report: &mut PassReport) -> Result<()> {
        let mut skip: BTreeSet<GroupKey> = BTreeSet::new();
        for _ in 0..MAX_COMPACTIONS_PER_PASS {
            let blocks = self.fetcher.fetch().await?;
            if self.mark_replaced(&blocks, report).await? > 0 {
                continue;
            }
            // No-compact blocks take part in planning (the planner cuts them out of plans).
            let eligible = self.eligible(&blocks, true)?;
            let groups = group_blocks(eligible.iter(), &self.config.replica_labels);
            self.metrics.groups.set(groups.len() as i64);
            let marked = &blocks.no_compact_marked;
            let unverified_sources = self
                .unverified_sources
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            // The next plan of every group; up to `compact_concurrency` run at once.
            let plans: Vec<(GroupKey, PlanMetas)> = groups
                .iter()
                .filter(|(k, _)| !skip.contains(k))
                .filter_map(|(key, members)| {
                    let spans: Vec<PlanBlock> = members
                        .iter()
                        .map(|(id, m)| PlanBlock {
                            id: *id,
                            min_time: m.min_time,
                            max_time: m.max_time,
                            no_compact: marked.contains(id),
                        })
                        .collect();
                    let metas: Vec<(Ulid, Arc<BlockMeta>)> = plan(&spans, &self.config.ranges)
                        .iter()
                        .filter_map(|id| eligible.get(id).map(|m| (*id, m.clone())))
                        .collect();
                    if metas.iter().any(|(id, _)| unverified_sources.contains(id)) {
                        // Its last result failed verification: left to the operator (or
                        // the next restart).
                        return None;
                    }
                    (metas.len() > 1).then(|| (key.clone(), metas))
                })
                .take(self.config.compact_concurrency.max(1))
                .collect();
            if plans.is_empty() {
                return Ok(());
            }
            self.metrics.compactions_planned.inc_by(plans.len() as u64);
            let results: Vec<(GroupKey, Vec<Ulid>, Result<()>)> = stream::iter(plans)
                .map(|(key, metas)| async move {
                    let ids = metas.iter().map(|(id, _)| *id).collect();
                    let result = self.compact_plan(&key, metas).await;
                    (key, ids, result)
                })
                .buffer_unordered(self.config.compact_concurrency.max(1))
                .collect()
                .await;
            for (key, ids, result) in results {
                match result {
                    Ok(()) => report.compactions += 1,
                    Err(Error::Unverified { block, detail }) => {
                        self.metrics.compaction_failures.inc();
                        self.unverified_sources
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .extend(ids.iter().copied());
                        self.reject_unverified(block, &detail, &ids, report).await?;
                        skip.insert(key);
                    }
                    Err(Error::BadBlocks {
                        blocks,
                        kind,
                        detail,
                    }) => {
                        self.metrics.compaction_failures.inc();
                        for id in blocks {
                            self.mark_no_compact(id, kind.reason(), &detail, report)
                                .await?;
                        }
                    }
                    Err(e) => {
                        self.metrics.compaction_failures.inc();
                        report.failures += 1;
                        error!(group = %key, error = %e, "compaction failed; skipping the group this pass");
                        skip.insert(key);
                    }
                }
            }
        }
        warn!("compaction stopped after {MAX_COMPACTIONS_PER_PASS} plans in one pass");
        Ok(())
    }

    async fn compact_plan(&self, key: &GroupKey, metas: Vec<(Ulid, Arc<BlockMeta>)>) -> Result<()> {
        let Some(first) = metas.first().map(|(id, _)| *id) else {
            return Ok(());
        };
        let work = self.scratch().join(format!("compact-{first}"));
        fresh_dir(&work)?;
        let result = self.compact_in(key, &metas, &work).await;
        let _ = std::fs::remove_dir_all(&work);
        result
    }

    async fn compact_in(
        &self,
        key: &GroupKey,
        metas: &[(Ulid, Arc<BlockMeta>)],
        work: &Path,
    ) -> Result<()> {
        let vertical = metas.windows(2).any(|w| w[1].1.min_time < w[0].1.max_time);
        info!(
            group = %key,
            blocks = metas.len(),
            vertical,
            ids = ?metas.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>(),
            "compacting"
        );
        // Downloads run concurrently (a few at a time), results in plan order.
        let dirs: Vec<PathBuf> = stream::iter(metas.iter().map(|(id, _)| *id))
            .map(|id| download_block(&self.bucket, id, work))
            .buffered(DOWNLOAD_CONCURRENCY)
            .try_collect()
            .await?;
        for dir in &dirs {
            self.metrics.bytes_read.inc_by(dir_size(dir));
        }
        let replica_labels = self.config.replica_labels.clone();
        let dedup = (!replica_labels.is_empty()).then_some(self.config.dedup_func);
        let meta = self.compacted_meta(key, metas);
        let ids: Vec<Ulid> = metas.iter().map(|(id, _)| *id).collect();
        let replicas: Vec<String> = metas
            .iter()
            .map(|(_, m)| {
                let labels = external_labels(m);
                replica_labels
                    .iter()
                    .map(|l| labels.get(l).cloned().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        let out = work.join("out");
        std::fs::create_dir_all(&out).at(&out)?;
        let out_parent = out.clone();
        let (new_meta, stats) = blocking(move || {
            let mut sources = Vec::with_capacity(ids.len());
            for ((id, dir), replica) in ids.iter().zip(&dirs).zip(replicas) {
                sources.push(Source::open(*id, dir, replica)?);
            }
            let merged = compact_blocks(sources, &out_parent, meta, dedup)?;
            // The sources' local copies are not needed any more (disk for the read-back).
            for dir in &dirs {
                let _ = std::fs::remove_dir_all(dir);
            }
            Ok(merged)
        })
        .await?;
        let new_id = self.upload_verified(&out, &new_meta, work).await?;
        self.metrics.samples_written.inc_by(stats.samples_out);
        for (id, _) in metas {
            let details = format!("compacted into {new_id}");
            write_mark(&self.bucket, *id, &DeletionMark::now(*id, details)).await?;
            self.metrics.marked("deletion", "compacted");
        }
        self.metrics.compactions.inc();
        if vertical {
            self.metrics.vertical_compactions.inc();
        }
        info!(
            group = %key,
            block = %new_id,
            level = new_meta.compaction.level,
            series = stats.series,
            samples_in = stats.samples_in,
            samples_out = stats.samples_out,
            "compacted; sources marked for deletion"
        );
        Ok(())
    }

    /// The meta of a compaction's result (ULID and stats are filled in by the writer).
    fn compacted_meta(&self, key: &GroupKey, metas: &[(Ulid, Arc<BlockMeta>)]) -> BlockMeta {
        let min = metas.iter().map(|(_, m)| m.min_time).min().unwrap_or(0);
        let max = metas.iter().map(|(_, m)| m.max_time).max().unwrap_or(0);
        let mut meta = BlockMeta::new(String::new(), min, max);
        meta.compaction.level = metas
            .iter()
            .map(|(_, m)| m.compaction.level)
            .max()
            .unwrap_or(0)
            + 1;
        let sources: BTreeSet<String> = metas
            .iter()
            .flat_map(|(id, m)| {
                let own = if m.compaction.sources.is_empty() {
                    vec![id.to_string()]
                } else {
                    m.compaction.sources.clone()
                };
                own.into_iter()
            })
            .collect();
        meta.compaction.sources = sources.into_iter().collect();
        meta.compaction.parents = metas.iter().map(|(_, m)| m.desc()).collect();
        let mut thanos = ThanosMeta {
            version: 1,
            labels: key.labels.clone(),
            source: COMPACTOR_SOURCE.into(),
            ..ThanosMeta::default()
        };
        thanos.downsample.resolution = key.resolution;
        meta.thanos = Some(thanos);
        meta
    }

    /// Uploads the single block written under `parent`, then reads it back from the bucket
    /// (into `work`) and compares it with `meta`, the writer's. The block stays in the
    /// upload journal until it has been verified, so a crash or a bucket error before then
    /// leaves a block the next pass takes back (see [`Self::clean_aborted_uploads`]), and
    /// an unverified block never stands in for its sources.
    ///
    /// A block that reads back differently is [`Error::Unverified`]; the caller marks it.
    async fn upload_verified(&self, parent: &Path, meta: &BlockMeta, work: &Path) -> Result<Ulid> {
        let id = Ulid::from_string(&meta.ulid).map_err(|e| {
            Error::Task(format!("new block has no valid ULID {:?}: {e}", meta.ulid))
        })?;
        let dir = parent.join(&meta.ulid);
        self.journal.add(id)?;
        let thanos = meta.thanos.clone().unwrap_or_default();
        upload_block(&self.bucket, &dir, thanos).await?;
        self.metrics.bytes_written.inc_by(dir_size(&dir));
        // Verification reads the bucket, never this copy.
        let _ = std::fs::remove_dir_all(&dir);
        let scratch = work.join("verify");
        let readback = verify_uploaded(&self.bucket, id, meta, &scratch).await;
        let _ = std::fs::remove_dir_all(&scratch);
        match readback {
            Ok(Readback::Sound) => {
                self.metrics.verified("ok");
                self.journal.remove(id)?;
                Ok(id)
            }
            Ok(Readback::Mismatch(detail)) => {
                self.metrics.verified("failed");
                Err(Error::Unverified { block: id, detail })
            }
            Err(e) => {
                self.metrics.verified("error");
                warn!(block = %id, error = %e,
                    "could not read the uploaded block back; its sources are kept, retried next pass");
                Err(e)
            }
        }
    }

    /// A new block failed verification: it gets a no-compact mark (so it never stands in
    /// for `sources`, which stay as they are) and leaves the upload journal.
    async fn reject_unverified(
        &self,
        block: Ulid,
        detail: &str,
        sources: &[Ulid],
        report: &mut PassReport,
    ) -> Result<()> {
        error!(
            block = %block,
            reason = VERIFICATION_FAILED,
            detail,
            sources = ?sources.iter().map(Ulid::to_string).collect::<Vec<_>>(),
            "uploaded block differs from what was written; keeping its sources, marking it no-compact"
        );
        report.unverified += 1;
        self.mark_no_compact(block, VERIFICATION_FAILED, detail, report)
            .await?;
        self.journal.remove(block)
    }

    /// Takes back what earlier uploads left unfinished, from the journal: a block still
    /// without meta.json (upload interrupted) is deleted; a complete one was never verified
    /// (interrupted, or the bucket failed during the read-back), so its sources were never
    /// marked: it gets a deletion mark and its plan is done again.
    async fn clean_aborted_uploads(&self) -> Result<()> {
        for id in self.journal.list()? {
            if !self
                .bucket
                .exists(&format!("{id}/meta.json"))
                .await
                .map_err(mnemos_block::Error::from)?
            {
                warn!(block = %id, "deleting a partial upload left by an interrupted run");
                delete_block(&self.bucket, id).await?;
                self.metrics.partial_deleted.inc();
            } else {
                let details = "uploaded but never verified (interrupted run or bucket error); its sources were kept";
                warn!(block = %id, details, "marking an unverified upload for deletion");
                write_mark(&self.bucket, id, &DeletionMark::now(id, details)).await?;
                self.metrics.marked("deletion", "unverified");
            }
            self.journal.remove(id)?;
        }
        Ok(())
    }

    /// Marks blocks whose sources another block of the same resolution covers (the result
    /// of a compaction whose sources were not all marked before a crash). Returns how many.
    ///
    /// A block with a no-compact mark, or one still in the upload journal (not verified),
    /// never counts as holding another's data: its sources stay.
    async fn mark_replaced(&self, blocks: &BucketBlocks, report: &mut PassReport) -> Result<usize> {
        let unverified = self.journal.list()?;
        let trusted =
            |id: &Ulid| !blocks.no_compact_marked.contains(id) && !unverified.contains(id);
        let live: Vec<(Ulid, &Arc<BlockMeta>)> = blocks.live().map(|(id, m)| (*id, m)).collect();
        let sources_of = |id: &Ulid, m: &BlockMeta| -> BTreeSet<String> {
            if m.compaction.sources.is_empty() {
                BTreeSet::from([id.to_string()])
            } else {
                m.compaction.sources.iter().cloned().collect()
            }
        };
        let sets: Vec<BTreeSet<String>> = live.iter().map(|(id, m)| sources_of(id, m)).collect();
        let mut containing: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, set) in sets.iter().enumerate() {
            for s in set {
                containing.entry(s.as_str()).or_default().push(i);
            }
        }
        let mut marked = 0;
        for (i, (id, meta)) in live.iter().enumerate() {
            let Some(first) = sets[i].iter().next() else {
                continue;
            };
            let by = containing
                .get(first.as_str())
                .into_iter()
                .flatten()
                .find(|&&j| {
                    let (other, om) = &live[j];
                    j != i
                        && trusted(other)
                        && om.resolution() == meta.resolution()
                        && sets[i].is_subset(&sets[j])
                        && (sets[i].len() < sets[j].len()
                            || (om.compaction.level, *other) > (meta.compaction.level, *id))
                });
            if let Some(&j) = by {
                let details = format!(
                    "replaced by {} (its sources include all of this block's)",
                    live[j].0
                );
                info!(block = %id, %details, "marking replaced block for deletion");
                write_mark(&self.bucket, *id, &DeletionMark::now(*id, details)).await?;
                self.metrics.marked("deletion", "replaced");
                report.marked_deletion += 1;
                marked += 1;
            }
        }
        Ok(marked)
    }

    async fn mark_no_compact(
        &self,
        id: Ulid,
        reason: &str,
        detail: &str,
        report: &mut PassReport,
    ) -> Result<()> {
        warn!(block = %id, reason, detail, "block cannot be compacted: marking it no-compact; the rest goes on");
        write_mark(&self.bucket, id, &NoCompactMark::now(id, reason, detail)).await?;
        self.metrics.marked("no-compact", reason);
        report.marked_no_compact += 1;
        Ok(())
    }

    async fn downsample_all(&self, report: &mut PassReport) -> Result<()> {
        for (from, to, min_span) in [
            (0, RES_5M, DOWNSAMPLE_5M_MIN_SPAN),
            (RES_5M, RES_1H, DOWNSAMPLE_1H_MIN_SPAN),
        ] {
            let blocks = self.fetcher.fetch().await?;
            let eligible = self.eligible(&blocks, false)?;
            // Sources already downsampled to `to` (by any live block of that resolution).
            let done: BTreeSet<&String> = blocks
                .live()
                .filter(|(_, m)| m.resolution() == to)
                .flat_map(|(_, m)| m.compaction.sources.iter())
                .collect();
            let mut todo = Vec::new();
            for (id, meta) in &eligible {
                if meta.resolution() != from
                    || meta.max_time - meta.min_time < min_span
                    || blocks.no_downsample_marked.contains(id)
                {
                    continue;
                }
                let own = id.to_string();
                let sources: Vec<&String> = if meta.compaction.sources.is_empty() {
                    vec![&own]
                } else {
                    meta.compaction.sources.iter().collect()
                };
                if sources.iter().all(|s| done.contains(s)) {
                    continue;
                }
                if self
                    .not_downsampled
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains(id)
                {
                    continue;
                }
                todo.push(*id);
            }
            let results: Vec<(Ulid, Result<()>)> = stream::iter(todo)
                .map(|id| async move { (id, self.downsample_one(id, to).await) })
                .buffer_unordered(self.config.downsample_concurrency.max(1))
                .collect()
                .await;
            for (id, result) in results {
                match result {
                    Ok(()) => report.downsamples += 1,
                    Err(Error::Unverified { block, detail }) => {
                        // The new block is live at the target resolution, so the source is
                        // not downsampled again; it stays raw and untouched.
                        self.metrics.downsample_failures.inc();
                        self.reject_unverified(block, &detail, &[id], report)
                            .await?;
                    }
                    Err(Error::BadBlocks {
                        kind: BadKind::UnsupportedEncoding,
                        detail,
                        ..
                    }) => {
                        // The block compacts fine (its chunks are copied); it just cannot
                        // be downsampled. No mark, not retried while this process runs.
                        self.metrics.downsample_failures.inc();
                        warn!(block = %id, %detail, "block holds chunks that cannot be downsampled; leaving it raw");
                        self.not_downsampled
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(id);
                    }
                    Err(Error::BadBlocks {
                        blocks,
                        kind,
                        detail,
                    }) => {
                        self.metrics.downsample_failures.inc();
                        for b in blocks {
                            self.mark_no_compact(b, kind.reason(), &detail, report)
                                .await?;
                        }
                    }
                    Err(e) => {
                        self.metrics.downsample_failures.inc();
                        report.failures += 1;
                        error!(block = %id, resolution = to, error = %e, "downsampling failed; retried next pass");
                    }
                }
            }
        }
        Ok(())
    }

    async fn downsample_one(&self, id: Ulid, res: i64) -> Result<()> {
        let work = self.scratch().join(format!("downsample-{id}"));
        fresh_dir(&work)?;
        let result = async {
            info!(block = %id, resolution = res, "downsampling");
            let dir = download_block(&self.bucket, id, &work).await?;
            self.metrics.bytes_read.inc_by(dir_size(&dir));
            let out = work.join("out");
            std::fs::create_dir_all(&out).at(&out)?;
            let out_parent = out.clone();
            let (meta, stats) = blocking(move || {
                let source = Source::open(id, &dir, String::new())?;
                let done = downsample_block(&source, res, &out_parent)?;
                // The source's local copy is not needed any more (disk for the read-back).
                drop(source);
                let _ = std::fs::remove_dir_all(&dir);
                Ok(done)
            })
            .await?;
            let new_id = self.upload_verified(&out, &meta, &work).await?;
            self.metrics.samples_written.inc_by(stats.samples_out);
            self.metrics
                .downsamples
                .get_or_create(&ResolutionLabel { resolution: res })
                .inc();
            info!(block = %id, downsampled = %new_id, resolution = res, series = stats.series,
                samples_in = stats.samples_in, windows_out = stats.samples_out, "downsampled");
            Ok(())
        }
        .await;
        let _ = std::fs::remove_dir_all(&work);
        result
    }

    /// Converts the blocks `--parquet.convert.*` selects that have no converter mark yet,
    /// newest first (as Cortex does). A failure is counted and retried next pass.
    async fn convert_all(&self, report: &mut PassReport) -> Result<()> {
        let blocks = self.fetcher.fetch().await?;
        let eligible = self.eligible(&blocks, true)?;
        let mut todo: Vec<Ulid> = eligible
            .iter()
            .filter(|(id, meta)| {
                !blocks.parquet_converted.contains(id) && self.config.parquet.wants(meta)
            })
            .map(|(id, _)| *id)
            .collect();
        todo.sort_by_key(|id| std::cmp::Reverse(eligible[id].max_time));
        let results: Vec<(Ulid, Result<()>)> = stream::iter(todo)
            .map(|id| async move {
                let work = self.scratch().join(format!("parquet-{id}"));
                let done = convert_in_bucket(&self.bucket, id, &work, &self.config.parquet.options)
                    .await
                    .map(|_| ());
                (id, done)
            })
            .buffer_unordered(self.config.parquet.concurrency.max(1))
            .collect()
            .await;
        for (id, result) in results {
            match result {
                Ok(()) => {
                    self.metrics.parquet_conversions.inc();
                    report.parquet_conversions += 1;
                }
                Err(e) => {
                    self.metrics.parquet_conversion_failures.inc();
                    report.failures += 1;
                    error!(block = %id, error = %e, "converting to Parquet failed; retried next pass");
                }
            }
        }
        Ok(())
    }

    async fn apply_retention(&self, report: &mut PassReport) -> Result<()> {
        let retention = |res: i64| match res {
            0 => self.config.retention_raw,
            RES_5M => self.config.retention_5m,
            RES_1H => self.config.retention_1h,
            _ => Duration::ZERO,
        };
        let now = now_ms();
        let blocks = self.fetcher.fetch().await?;
        for (id, meta) in blocks.live() {
            let keep = retention(meta.resolution());
            if keep.is_zero() || meta.max_time >= now - keep.as_millis() as i64 {
                continue;
            }
            let details = format!(
                "retention of resolution {} ({keep:?}) expired",
                meta.resolution()
            );
            info!(block = %id, %details, "marking block for deletion");
            write_mark(&self.bucket, *id, &DeletionMark::now(*id, details)).await?;
            self.metrics.marked("deletion", "retention");
            report.marked_deletion += 1;
        }
        Ok(())
    }

    /// Removes cached metas of blocks no longer in the bucket (the fetcher only adds).
    fn prune_meta_cache(&self, blocks: &BucketBlocks) {
        let dir = self.config.data_dir.join("meta-syncer");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(id) = name.to_str().and_then(|n| Ulid::from_string(n).ok()) else {
                continue;
            };
            if !blocks.metas.contains_key(&id) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }

    /// When block `id` was marked for deletion (Unix seconds), or `None` when it is not to
    /// be deleted this pass. An unreadable mark never counts as an old one:
    /// - the bucket failed to return it: skipped this pass (retried next pass);
    /// - it is gone since the listing (unmarked meanwhile): skipped;
    /// - it does not parse: rewritten with `now`, so the delete delay starts now.
    async fn deletion_time(&self, id: Ulid, now_s: i64) -> Option<i64> {
        match read_mark::<DeletionMark>(&self.bucket, id).await {
            Ok(Some(mark)) => Some(mark.deletion_time),
            Ok(None) => {
                info!(block = %id, "deletion mark gone since the listing; not deleting");
                None
            }
            Err(mnemos_block::Error::Json { key, source }) => {
                self.metrics.mark_read_failed("corrupt");
                let details = format!(
                    "rewritten by the compactor: the previous mark did not parse ({source})"
                );
                warn!(block = %id, key, error = %source, deletion_time = now_s,
                    "unparsable deletion mark; taking its time as now and rewriting it");
                let mark = DeletionMark {
                    deletion_time: now_s,
                    ..DeletionMark::now(id, details)
                };
                if let Err(e) = write_mark(&self.bucket, id, &mark).await {
                    warn!(block = %id, error = %e, "could not rewrite the deletion mark; retried next pass");
                }
                Some(now_s)
            }
            Err(e) => {
                self.metrics.mark_read_failed("transient");
                warn!(block = %id, error = %e,
                    "could not read the deletion mark; not deleting the block this pass, retried next pass");
                None
            }
        }
    }

    async fn delete_marked(&self, report: &mut PassReport) -> Result<()> {
        let blocks = self.fetcher.fetch().await?;
        let now_s = now_ms() / 1000;
        for id in &blocks.deletion_marked {
            let Some(marked_at) = self.deletion_time(*id, now_s).await else {
                continue;
            };
            if now_s - marked_at < self.config.delete_delay.as_secs() as i64 {
                continue;
            }
            delete_block(&self.bucket, *id).await?;
            self.metrics.blocks_deleted.inc();
            report.deleted += 1;
        }
        self.prune_meta_cache(&blocks);
        let max_age = PARTIAL_UPLOAD_MAX_AGE.as_secs() as i64;
        let partial: BTreeSet<Ulid> = blocks
            .partial
            .difference(&blocks.deletion_marked)
            .copied()
            .collect();
        for id in self.partials.observe(&partial, now_s, max_age)? {
            let ulid_age = now_s - (id.timestamp_ms() / 1000) as i64;
            if ulid_age < max_age {
                continue;
            }
            warn!(block = %id, "deleting a partial upload seen for {PARTIAL_UPLOAD_MAX_AGE:?}");
            delete_block(&self.bucket, id).await?;
            self.metrics.partial_deleted.inc();
        }
        Ok(())
    }
}
