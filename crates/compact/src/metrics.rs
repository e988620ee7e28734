//! The compactor's metrics (`mnemos_compact_*`).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of the marked-blocks counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MarkLabels {
    /// `deletion` or `no-compact`.
    pub marker: String,
    /// Why: `compacted`, `retention`, `replaced`, or a no-compact reason.
    pub reason: String,
}

/// Labels of the downsamplings counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResolutionLabel {
    /// Target resolution in ms.
    pub resolution: i64,
}

/// Labels of the read-back verification counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// `ok`, `failed` (differs or does not decode: the block is marked no-compact) or
    /// `error` (the bucket failed: retried next pass).
    pub result: &'static str,
}

/// Labels of the deletion-mark read failures counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// `transient` (bucket error: the block is skipped this pass) or `corrupt` (the mark
    /// does not parse: its time is taken as now).
    pub kind: &'static str,
}

/// Metrics of the compactor.
#[derive(Clone)]
pub struct Metrics {
    /// Groups at the last planning.
    pub groups: Gauge,
    /// Compactions planned.
    pub compactions_planned: Counter,
    /// Compactions done (block uploaded, sources marked).
    pub compactions: Counter,
    /// Compactions that failed.
    pub compaction_failures: Counter,
    /// Vertical compactions (overlapping blocks) done.
    pub vertical_compactions: Counter,
    /// Downsamplings done, by target resolution.
    pub downsamples: Family<ResolutionLabel, Counter>,
    /// Downsamplings that failed.
    pub downsample_failures: Counter,
    /// Blocks converted to Parquet.
    pub parquet_conversions: Counter,
    /// Conversions to Parquet that failed.
    pub parquet_conversion_failures: Counter,
    /// Blocks marked, by marker and reason.
    pub blocks_marked: Family<MarkLabels, Counter>,
    /// Blocks deleted from the bucket.
    pub blocks_deleted: Counter,
    /// Partial uploads (no meta.json) deleted.
    pub partial_deleted: Counter,
    /// Bytes of blocks downloaded.
    pub bytes_read: Counter,
    /// Bytes of blocks uploaded.
    pub bytes_written: Counter,
    /// Samples written by compactions and downsamplings.
    pub samples_written: Counter,
    /// Passes run.
    pub passes: Counter,
    /// Passes that failed.
    pub pass_failures: Counter,
    /// Unix time of the last pass that finished without error.
    pub last_success: Gauge<f64, AtomicU64>,
    /// Read-back verifications of uploaded blocks, by result.
    pub verifications: Family<ResultLabel, Counter>,
    /// Deletion marks that could not be read, by kind.
    pub mark_read_failures: Family<KindLabel, Counter>,
}

impl Metrics {
    /// Creates the metrics and registers them under `mnemos_compact_`.
    pub fn new(registry: &mut Registry) -> Self {
        let m = Self {
            groups: Gauge::default(),
            compactions_planned: Counter::default(),
            compactions: Counter::default(),
            compaction_failures: Counter::default(),
            vertical_compactions: Counter::default(),
            downsamples: Family::default(),
            downsample_failures: Counter::default(),
            parquet_conversions: Counter::default(),
            parquet_conversion_failures: Counter::default(),
            blocks_marked: Family::default(),
            blocks_deleted: Counter::default(),
            partial_deleted: Counter::default(),
            bytes_read: Counter::default(),
            bytes_written: Counter::default(),
            samples_written: Counter::default(),
            passes: Counter::default(),
            pass_failures: Counter::default(),
            last_success: Gauge::default(),
            verifications: Family::default(),
            mark_read_failures: Family::default(),
        };
        let r = registry.sub_registry_with_prefix("mnemos_compact");
        r.register(
            "groups",
            "Block groups (external labels and resolution) at the last planning",
            m.groups.clone(),
        );
        r.register(
            "parquet_conversions",
            "Blocks converted to Parquet (files and converter mark uploaded)",
            m.parquet_conversions.clone(),
        );
        r.register(
            "parquet_conversion_failures",
            "Conversions to Parquet that failed (retried next pass)",
            m.parquet_conversion_failures.clone(),
        );
        r.register(
            "compactions_planned",
            "Compactions planned",
            m.compactions_planned.clone(),
        );
        r.register(
            "compactions",
            "Compactions done (new block uploaded, sources marked for deletion)",
            m.compactions.clone(),
        );
        r.register(
            "compaction_failures",
            "Compactions that failed",
            m.compaction_failures.clone(),
        );
        r.register(
            "vertical_compactions",
            "Compactions of overlapping blocks",
            m.vertical_compactions.clone(),
        );
        r.register(
            "downsamples",
            "Downsampled blocks uploaded, by resolution (ms)",
            m.downsamples.clone(),
        );
        r.register(
            "downsample_failures",
            "Downsamplings that failed",
            m.downsample_failures.clone(),
        );
        r.register(
            "blocks_marked",
            "Blocks marked, by marker (deletion, no-compact) and reason",
            m.blocks_marked.clone(),
        );
        r.register(
            "blocks_deleted",
            "Blocks deleted from the bucket after the delete delay",
            m.blocks_deleted.clone(),
        );
        r.register(
            "partial_uploads_deleted",
            "Abandoned partial uploads (no meta.json) deleted",
            m.partial_deleted.clone(),
        );
        r.register(
            "read_bytes",
            "Bytes of blocks downloaded",
            m.bytes_read.clone(),
        );
        r.register(
            "written_bytes",
            "Bytes of blocks uploaded",
            m.bytes_written.clone(),
        );
        r.register(
            "written_samples",
            "Samples (or aggregate windows) written",
            m.samples_written.clone(),
        );
        r.register(
            "passes",
            "Passes (compact, downsample, retention, cleanup) run",
            m.passes.clone(),
        );
        r.register(
            "pass_failures",
            "Passes that stopped on an error",
            m.pass_failures.clone(),
        );
        r.register(
            "last_successful_run_timestamp_seconds",
            "Unix time the last pass finished without error",
            m.last_success.clone(),
        );
        r.register(
            "verifications",
            "Read-back verifications of uploaded blocks before their sources are marked, by result (ok, failed, error)",
            m.verifications.clone(),
        );
        r.register(
            "deletion_mark_read_failures",
            "Deletion marks that could not be read, by kind (transient: block skipped this pass; corrupt: time taken as now)",
            m.mark_read_failures.clone(),
        );
        m
    }

    /// Counts a read-back verification.
    pub fn verified(&self, result: &'static str) {
        self.verifications
            .get_or_create(&ResultLabel { result })
            .inc();
    }

    /// Counts a deletion mark that could not be read.
    pub fn mark_read_failed(&self, kind: &'static str) {
        self.mark_read_failures
            .get_or_create(&KindLabel { kind })
            .inc();
    }

    /// Counts a mark.
    pub fn marked(&self, marker: &str, reason: &str) {
        self.blocks_marked
            .get_or_create(&MarkLabels {
                marker: marker.to_string(),
                reason: reason.to_string(),
            })
            .inc();
    }
}
