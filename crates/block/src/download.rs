//! Download of a block from the bucket into a local directory, atomically: files go to a
//! temporary directory that is renamed to `<ULID>` once complete.

use std::path::{Path, PathBuf};

use mnemos_objstore::Bucket;
use mnemos_tsdb::meta::BlockMeta;
use tracing::info;
use ulid::Ulid;

use crate::error::{Error, IoContext, Result};
use crate::layout::{block_key, meta_key, MARK_FILES, META_FILE, PARQUET_EXTENSION};

/// Reads and parses a block's meta.json from the bucket.
pub async fn fetch_meta(bucket: &Bucket, id: Ulid) -> Result<BlockMeta> {
    let key = meta_key(id);
    let data = bucket.get(&key).await?;
    serde_json::from_slice(&data).map_err(|source| Error::Json { key, source })
}

/// Downloads block `id` into `<parent>/<id>` and returns that path. An existing directory
/// of that name is replaced.
pub async fn download_block(bucket: &Bucket, id: Ulid, parent: &Path) -> Result<PathBuf> {
    let meta = fetch_meta(bucket, id).await?;
    let tmp = parent.join(format!("{id}.tmp-download"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("chunks")).at(&tmp)?;
    let prefix = format!("{id}/");
    let mut bytes = 0;
    for object in bucket.list_objects(&prefix).await? {
        let rel = &object.key[prefix.len()..];
        if rel == META_FILE || MARK_FILES.contains(&rel) || rel.ends_with(PARQUET_EXTENSION) {
            continue;
        }
        let local = tmp.join(rel);
        if let Some(dir) = local.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        bytes += bucket.download_file(&block_key(id, rel), &local).await?;
    }
    meta.write_to_dir(&tmp)?;
    let dest = parent.join(id.to_string());
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&tmp, &dest).at(&dest)?;
    crate::fsutil::sync_dir(parent)?;
    info!(block = %id, bytes, dir = %dest.display(), "downloaded block");
    Ok(dest)
}
