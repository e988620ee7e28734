//! Deletion, no-compact and no-downsample marks (`deletion-mark.json`,
//! `no-compact-mark.json`, `no-downsample-mark.json`), in Thanos' JSON format so Thanos
//! components and mnemos read each other's marks.

use bytes::Bytes;
use mnemos_objstore::Bucket;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use ulid::Ulid;

use crate::error::{Error, Result};
use crate::layout::{block_key, DELETION_MARK_FILE, NO_COMPACT_MARK_FILE, NO_DOWNSAMPLE_MARK_FILE};

/// Version of every mark format.
pub const MARK_VERSION: u32 = 1;

/// `deletion-mark.json`: the block is to be deleted after the delete delay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionMark {
    /// Block id.
    pub id: Ulid,
    /// Format version (1).
    pub version: u32,
    /// Why the block is deleted.
    #[serde(default)]
    pub details: String,
    /// When the mark was written (Unix seconds).
    pub deletion_time: i64,
}

/// `no-compact-mark.json`: the compactor must leave the block alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoCompactMark {
    /// Block id.
    pub id: Ulid,
    /// Format version (1).
    pub version: u32,
    /// Human-readable details.
    #[serde(default)]
    pub details: String,
    /// When the mark was written (Unix seconds).
    pub no_compact_time: i64,
    /// Machine-readable reason (`manual`, `index-size-exceeding`, `out-of-order-chunks`, …).
    #[serde(default)]
    pub reason: String,
}

/// `no-downsample-mark.json`: the compactor must not downsample the block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoDownsampleMark {
    /// Block id.
    pub id: Ulid,
    /// Format version (1).
    pub version: u32,
    /// Human-readable details.
    #[serde(default)]
    pub details: String,
    /// When the mark was written (Unix seconds).
    pub no_downsample_time: i64,
    /// Machine-readable reason (`manual`, …).
    #[serde(default)]
    pub reason: String,
}

/// A kind of mark, stored at a fixed file name in the block directory.
pub trait Mark: Serialize + DeserializeOwned {
    /// File name inside the block directory.
    const FILE: &'static str;
}

impl Mark for DeletionMark {
    const FILE: &'static str = DELETION_MARK_FILE;
}

impl Mark for NoCompactMark {
    const FILE: &'static str = NO_COMPACT_MARK_FILE;
}

impl Mark for NoDownsampleMark {
    const FILE: &'static str = NO_DOWNSAMPLE_MARK_FILE;
}

/// Now as Unix seconds.
pub fn unix_now() -> i64 {
    mnemos_tsdb::time::now_ms() / 1000
}

impl DeletionMark {
    /// A mark written now.
    pub fn now(id: Ulid, details: impl Into<String>) -> Self {
        Self {
            id,
            version: MARK_VERSION,
            details: details.into(),
            deletion_time: unix_now(),
        }
    }
}

impl NoCompactMark {
    /// A mark written now.
    pub fn now(id: Ulid, reason: impl Into<String>, details: impl Into<String>) -> Self {
        Self {
            id,
            version: MARK_VERSION,
            details: details.into(),
            no_compact_time: unix_now(),
            reason: reason.into(),
        }
    }
}

impl NoDownsampleMark {
    /// A mark written now.
    pub fn now(id: Ulid, reason: impl Into<String>, details: impl Into<String>) -> Self {
        Self {
            id,
            version: MARK_VERSION,
            details: details.into(),
            no_downsample_time: unix_now(),
            reason: reason.into(),
        }
    }
}

/// Removes block `id`'s mark of a kind; true when there was one.
pub async fn remove_mark<M: Mark>(bucket: &Bucket, id: Ulid) -> Result<bool> {
    let key = block_key(id, M::FILE);
    if !bucket.exists(&key).await? {
        return Ok(false);
    }
    bucket.delete(&key).await?;
    Ok(true)
}

/// Writes a mark for block `id` (replacing an older one of the same kind).
pub async fn write_mark<M: Mark>(bucket: &Bucket, id: Ulid, mark: &M) -> Result<()> {
    let key = block_key(id, M::FILE);
    let json = serde_json::to_vec_pretty(mark).map_err(|source| Error::Json {
        key: key.clone(),
        source,
    })?;
    bucket.put(&key, Bytes::from(json)).await?;
    Ok(())
}

/// Reads the mark of a kind for block `id`, if there is one.
pub async fn read_mark<M: Mark>(bucket: &Bucket, id: Ulid) -> Result<Option<M>> {
    let key = block_key(id, M::FILE);
    match bucket.get_if_exists(&key).await? {
        None => Ok(None),
        Some(data) => serde_json::from_slice(&data)
            .map(Some)
            .map_err(|source| Error::Json { key, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanos_json_format() {
        let id = Ulid::from_string("01BKGV7JBM69T2G1BGBGM6KB12").expect("ulid");
        let thanos = r#"{"id":"01BKGV7JBM69T2G1BGBGM6KB12","deletion_time":1600000000,"version":1,"details":"compacted"}"#;
        let mark: DeletionMark = serde_json::from_str(thanos).expect("thanos deletion mark");
        assert_eq!(mark.id, id);
        assert_eq!(mark.deletion_time, 1_600_000_000);
        let thanos = r#"{"id":"01BKGV7JBM69T2G1BGBGM6KB12","version":1,"details":"x","no_compact_time":1600000000,"reason":"manual"}"#;
        let mark: NoCompactMark = serde_json::from_str(thanos).expect("thanos no-compact mark");
        assert_eq!(mark.reason, "manual");
        let back = serde_json::to_value(&mark).expect("json");
        assert_eq!(back["no_compact_time"], 1_600_000_000);
        assert_eq!(back["id"], "01BKGV7JBM69T2G1BGBGM6KB12");
        let thanos = r#"{"id":"01BKGV7JBM69T2G1BGBGM6KB12","version":1,"reason":"manual","no_downsample_time":1600000000,"details":"x"}"#;
        let mark: NoDownsampleMark =
            serde_json::from_str(thanos).expect("thanos no-downsample mark");
        assert_eq!((mark.id, mark.no_downsample_time), (id, 1_600_000_000));
        let back = serde_json::to_value(&mark).expect("json");
        assert_eq!(back["no_downsample_time"], 1_600_000_000);
        assert_eq!(back["reason"], "manual");
    }
}
