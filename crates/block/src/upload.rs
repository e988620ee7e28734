//! Safe upload of a local block directory: chunk segments, then the index, then tombstones,
//! and meta.json last, so a block in the bucket is visible (has meta.json) only once every
//! other file is complete. A crash part-way leaves a directory without meta.json, which every
//! reader skips as a partial upload; uploading again overwrites it.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use mnemos_objstore::Bucket;
use mnemos_tsdb::meta::{BlockFile, BlockMeta, ThanosMeta};
use serde_json::Map;
use tracing::{debug, info};
use ulid::Ulid;

use crate::error::{Error, IoContext, Result};
use crate::layout::{block_key, meta_key, CHUNKS_DIR, INDEX_FILE, META_FILE, TOMBSTONES_FILE};

/// A file of a local block, in upload order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFile {
    /// Path relative to the block directory (`chunks/000001`, `index`, `tombstones`).
    pub rel_path: String,
    /// Size in bytes.
    pub size: u64,
}

/// The block id named by a directory, checked against its meta.json.
pub fn block_id_of_dir(dir: &Path, meta: &BlockMeta) -> Result<Ulid> {
    let invalid = |reason: String| Error::InvalidBlock {
        dir: dir.to_path_buf(),
        reason,
    };
    let id = Ulid::from_string(&meta.ulid)
        .map_err(|e| invalid(format!("meta.json ulid {:?}: {e}", meta.ulid)))?;
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name != meta.ulid {
        return Err(invalid(format!(
            "directory name {name:?} differs from meta.json ulid {}",
            meta.ulid
        )));
    }
    Ok(id)
}

/// The files of a block directory in upload order (meta.json excluded): chunk segments
/// sorted by name, the index, and the tombstones file when present.
pub fn local_block_files(dir: &Path) -> Result<Vec<LocalFile>> {
    let mut files = Vec::new();
    let chunks = dir.join(CHUNKS_DIR);
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(&chunks).at(&chunks)? {
        let entry = entry.at(&chunks)?;
        let size = entry.metadata().at(&entry.path())?.len();
        segments.push(LocalFile {
            rel_path: format!("{CHUNKS_DIR}/{}", entry.file_name().to_string_lossy()),
            size,
        });
    }
    segments.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    files.extend(segments);
    let index = dir.join(INDEX_FILE);
    let size = std::fs::metadata(&index).at(&index)?.len();
    files.push(LocalFile {
        rel_path: INDEX_FILE.to_string(),
        size,
    });
    let tombstones = dir.join(TOMBSTONES_FILE);
    if let Ok(m) = std::fs::metadata(&tombstones) {
        files.push(LocalFile {
            rel_path: TOMBSTONES_FILE.to_string(),
            size: m.len(),
        });
    }
    Ok(files)
}

/// The meta.json to upload: the local meta with the `thanos` section filled in (labels,
/// resolution and source from `thanos`, plus the file list with sizes).
pub fn meta_for_upload(local: &BlockMeta, thanos: ThanosMeta, files: &[LocalFile]) -> BlockMeta {
    let mut meta = local.clone();
    let mut section = thanos;
    section.version = 1;
    section.segment_files = files
        .iter()
        .filter_map(|f| f.rel_path.strip_prefix("chunks/").map(str::to_string))
        .collect();
    section.files = files
        .iter()
        .map(|f| BlockFile {
            rel_path: f.rel_path.clone(),
            size_bytes: f.size,
            extra: Map::new(),
        })
        .chain(std::iter::once(BlockFile {
            rel_path: META_FILE.to_string(),
            size_bytes: 0,
            extra: Map::new(),
        }))
        .collect();
    meta.thanos = Some(section);
    meta
}

/// Uploads the block in `dir` with the given `thanos` section (labels, source, resolution);
/// returns the meta.json written to the bucket.
#[tracing::instrument(name = "block.upload", skip_all, fields(dir = %dir.display()))]
pub async fn upload_block(bucket: &Bucket, dir: &Path, thanos: ThanosMeta) -> Result<BlockMeta> {
    let local = BlockMeta::read_from_dir(dir)?;
    let id = block_id_of_dir(dir, &local)?;
    let files = local_block_files(dir)?;
    let meta = meta_for_upload(&local, thanos, &files);
    let json = meta.to_json().map_err(|source| Error::Json {
        key: meta_key(id),
        source,
    })?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    info!(block = %id, files = files.len(), bytes = total, bucket = bucket.name(), "uploading block");
    for file in &files {
        let path: PathBuf = dir.join(&file.rel_path);
        let sent = bucket
            .upload_file(&block_key(id, &file.rel_path), &path)
            .await?;
        if sent != file.size {
            return Err(Error::InvalidBlock {
                dir: dir.to_path_buf(),
                reason: format!(
                    "{} changed during upload ({} bytes listed, {sent} sent)",
                    file.rel_path, file.size
                ),
            });
        }
        debug!(block = %id, file = %file.rel_path, bytes = sent, "uploaded file");
    }
    bucket.put(&meta_key(id), Bytes::from(json)).await?;
    info!(block = %id, bytes = total, "uploaded block");
    Ok(meta)
}
