//! The shipper: uploads every complete level-1 block of Prometheus' data directory that is
//! not yet in the bucket, oldest first, and remembers what it shipped in
//! `thanos.shipper.json` (Thanos' format: `{"version": 1, "uploaded": [ULID…]}`).
//!
//! Safety: a block is uploaded from a hard-linked copy under `<tsdb>/thanos/upload/`, so
//! Prometheus deleting the block mid-upload cannot corrupt it; meta.json goes last (see
//! `mnemos_block::upload`); a block is recorded as shipped only after its meta.json is in the
//! bucket; before uploading, the bucket is asked whether the block is already there, so a
//! lost or stale shipper file never causes a second copy.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mnemos_block::layout::meta_key;
use mnemos_block::upload_block;
use mnemos_objstore::Bucket;
use mnemos_tsdb::block_set::block_dirs;
use mnemos_tsdb::meta::{BlockMeta, ThanosMeta};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tracing::{debug, info, warn};
use ulid::Ulid;

use crate::error::{Error, Result};

/// Name of the shipper's state file in the data directory.
pub const SHIPPER_FILE: &str = "thanos.shipper.json";
/// Where hard-linked copies of blocks being uploaded live, relative to the data directory.
const UPLOAD_DIR: &str = "thanos/upload";

/// Contents of `thanos.shipper.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipperState {
    /// Format version (1).
    pub version: u32,
    /// Blocks known to be in the bucket.
    #[serde(default)]
    pub uploaded: BTreeSet<Ulid>,
}

impl ShipperState {
    /// Reads the state file; a missing or unreadable file is an empty state (the bucket is
    /// checked before every upload, so nothing is shipped twice).
    pub fn load(data_dir: &Path) -> Self {
        let path = data_dir.join(SHIPPER_FILE);
        match std::fs::read(&path) {
            Ok(data) => serde_json::from_slice(&data).unwrap_or_else(|e| {
                warn!(file = %path.display(), error = %e, "ignoring unreadable shipper state");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    /// Writes the state file atomically.
    pub fn store(&self, data_dir: &Path) -> Result<()> {
        let path = data_dir.join(SHIPPER_FILE);
        let tmp = data_dir.join(format!("{SHIPPER_FILE}.tmp"));
        let state = Self {
            version: 1,
            uploaded: self.uploaded.clone(),
        };
        let json = serde_json::to_vec_pretty(&state).map_err(|e| Error::Config(e.to_string()))?;
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }
}

/// Metrics of the shipper.
#[derive(Clone)]
struct ShipperMetrics {
    syncs: Counter,
    sync_failures: Counter,
    uploads: Counter,
    upload_failures: Counter,
    last_upload: Gauge,
}

impl ShipperMetrics {
    fn new(registry: &mut Registry) -> Self {
        let m = Self {
            syncs: Counter::default(),
            sync_failures: Counter::default(),
            uploads: Counter::default(),
            upload_failures: Counter::default(),
            last_upload: Gauge::default(),
        };
        let sub = registry.sub_registry_with_prefix("mnemos_shipper");
        sub.register("dir_syncs", "Scans of the data directory", m.syncs.clone());
        sub.register(
            "dir_sync_failures",
            "Scans that ended with an error",
            m.sync_failures.clone(),
        );
        sub.register("uploads", "Blocks uploaded", m.uploads.clone());
        sub.register(
            "upload_failures",
            "Block uploads that failed (retried at the next scan)",
            m.upload_failures.clone(),
        );
        sub.register(
            "last_successful_upload_time",
            "Unix time of the last successful block upload",
            m.last_upload.clone(),
        );
        m
    }
}

/// What one scan did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShipReport {
    /// Blocks uploaded in this scan.
    pub uploaded: Vec<Ulid>,
    /// Blocks found already in the bucket and recorded without uploading.
    pub already_in_bucket: Vec<Ulid>,
}

/// Ships blocks of one Prometheus data directory.
pub struct Shipper {
    data_dir: PathBuf,
    bucket: Bucket,
    labels: BTreeMap<String, String>,
    metrics: ShipperMetrics,
}

impl Shipper {
    /// A shipper for `data_dir` that labels blocks with `labels` (the external labels).
    pub fn new(
        data_dir: PathBuf,
        bucket: Bucket,
        labels: BTreeMap<String, String>,
        registry: &mut Registry,
    ) -> Self {
        Self {
            data_dir,
            bucket,
            labels,
            metrics: ShipperMetrics::new(registry),
        }
    }

    /// Replaces the external labels (Prometheus' configuration was reloaded).
    pub fn set_labels(&mut self, labels: BTreeMap<String, String>) {
        self.labels = labels;
    }

    /// Level-1 blocks of the data directory, oldest first.
    fn candidates(&self) -> Result<Vec<(Ulid, PathBuf, BlockMeta)>> {
        let mut blocks = Vec::new();
        for dir in block_dirs(&self.data_dir)? {
            let Some(id) = dir
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| Ulid::from_string(n).ok())
            else {
                continue;
            };
            // A block Prometheus is deleting may vanish between listing and reading.
            let meta = match BlockMeta::read_from_dir(&dir) {
                Ok(meta) => meta,
                Err(e) => {
                    warn!(block = %id, error = %e, "skipping unreadable block");
                    continue;
                }
            };
            if meta.compaction.level > 1 {
                debug!(block = %id, level = meta.compaction.level, "not shipping a compacted block");
                continue;
            }
            blocks.push((id, dir, meta));
        }
        blocks.sort_by_key(|(id, _, meta)| (meta.min_time, *id));
        Ok(blocks)
    }

    /// One scan: ships what is missing. Stops at the first upload failure (the bucket is
    /// likely unavailable; the next scan retries, oldest block first).
    #[tracing::instrument(name = "shipper.sync", skip_all)]
    pub async fn sync(&self) -> Result<ShipReport> {
        self.metrics.syncs.inc();
        let result = self.sync_inner().await;
        if let Err(e) = &result {
            self.metrics.sync_failures.inc();
            warn!(error = %e, "shipping blocks failed; retrying at the next scan");
        }
        result
    }

    async fn sync_inner(&self) -> Result<ShipReport> {
        let mut state = ShipperState::load(&self.data_dir);
        let blocks = self.candidates()?;
        let on_disk: BTreeSet<Ulid> = blocks.iter().map(|(id, _, _)| *id).collect();
        let before = state.uploaded.len();
        state.uploaded.retain(|id| on_disk.contains(id));
        if state.uploaded.len() != before {
            state.store(&self.data_dir)?;
        }
        let mut report = ShipReport::default();
        for (id, dir, _meta) in blocks {
            if state.uploaded.contains(&id) {
                continue;
            }
            let shipped = self.ship_one(id, &dir).await;
            match shipped {
                Ok(uploaded) => {
                    if uploaded {
                        report.uploaded.push(id);
                    } else {
                        report.already_in_bucket.push(id);
                    }
                    state.uploaded.insert(id);
                    state.store(&self.data_dir)?;
                }
                Err(e) => {
                    self.metrics.upload_failures.inc();
                    return Err(e);
                }
            }
        }
        Ok(report)
    }

    /// Ships one block; `Ok(false)` when the bucket already had it.
    async fn ship_one(&self, id: Ulid, dir: &Path) -> Result<bool> {
        if self
            .bucket
            .exists(&meta_key(id))
            .await
            .map_err(mnemos_block::Error::from)?
        {
            info!(block = %id, "block already in the bucket; recording it as shipped");
            return Ok(false);
        }
        let copy = self.data_dir.join(UPLOAD_DIR).join(id.to_string());
        hardlink_block(dir, &copy)?;
        let thanos = ThanosMeta {
            version: 1,
            labels: self.labels.clone(),
            source: "sidecar".to_string(),
            ..ThanosMeta::default()
        };
        let result = upload_block(&self.bucket, &copy, thanos).await;
        let _ = std::fs::remove_dir_all(&copy);
        result?;
        self.metrics.uploads.inc();
        self.metrics
            .last_upload
            .set(mnemos_block::marks::unix_now());
        Ok(true)
    }
}

/// Recreates `dst` as a copy of block `src` made of hard links (chunks, index, tombstones,
/// meta.json).
fn hardlink_block(src: &Path, dst: &Path) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let _ = std::fs::remove_dir_all(dst);
    std::fs::create_dir_all(dst.join("chunks")).map_err(io(dst))?;
    let chunks = src.join("chunks");
    for entry in std::fs::read_dir(&chunks).map_err(io(&chunks))? {
        let entry = entry.map_err(io(&chunks))?;
        let to = dst.join("chunks").join(entry.file_name());
        std::fs::hard_link(entry.path(), &to).map_err(io(&to))?;
    }
    for name in ["index", "meta.json", "tombstones"] {
        let from = src.join(name);
        if from.exists() {
            let to = dst.join(name);
            std::fs::hard_link(&from, &to).map_err(io(&to))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_file_is_thanos_compatible() {
        let dir = tempfile::tempdir().expect("tempdir");
        let thanos = r#"{"version":1,"uploaded":["01BKGV7JBM69T2G1BGBGM6KB12"]}"#;
        std::fs::write(dir.path().join(SHIPPER_FILE), thanos).expect("write");
        let state = ShipperState::load(dir.path());
        assert_eq!(state.uploaded.len(), 1);
        state.store(dir.path()).expect("store");
        let back: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(SHIPPER_FILE)).expect("read"))
                .expect("json");
        assert_eq!(back["version"], 1);
        assert_eq!(back["uploaded"][0], "01BKGV7JBM69T2G1BGBGM6KB12");
    }

    #[test]
    fn unreadable_state_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(SHIPPER_FILE), "{not json").expect("write");
        assert!(ShipperState::load(dir.path()).uploaded.is_empty());
    }
}
