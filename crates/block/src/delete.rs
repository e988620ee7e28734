//! Deletion of a block from the bucket in the safe order: meta.json first (readers stop
//! seeing the block at once), then the global copy of its Parquet converter mark, then the
//! other files, the deletion mark last (so an
//! interrupted deletion is finished by the next cleanup, which still sees the mark).

use mnemos_objstore::Bucket;
use tracing::info;
use ulid::Ulid;

use crate::error::Result;
use crate::layout::{meta_key, DELETION_MARK_FILE};
use crate::parquet_mark::global_mark_key;

/// Deletes every object of block `id`; returns how many were deleted.
pub async fn delete_block(bucket: &Bucket, id: Ulid) -> Result<usize> {
    let meta = meta_key(id);
    bucket.delete(&meta).await?;
    let global_mark = global_mark_key(id);
    if bucket.exists(&global_mark).await? {
        bucket.delete(&global_mark).await?;
    }
    let prefix = format!("{id}/");
    let mut objects = bucket.list_objects(&prefix).await?;
    // The mark goes last.
    objects.sort_by_key(|o| o.key.ends_with(DELETION_MARK_FILE));
    let mut deleted = 1;
    for object in &objects {
        if object.key == meta {
            continue; // listed before the delete was visible
        }
        bucket.delete(&object.key).await?;
        deleted += 1;
    }
    info!(block = %id, objects = deleted, "deleted block");
    Ok(deleted)
}
