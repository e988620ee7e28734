//! Cortex' converter mark: `<block>/parquet-converter-mark.json` says a block's Parquet
//! files (`<block>/<shard>.labels.parquet`, `<block>/<shard>.chunks.parquet`) are complete,
//! with a copy at `parquet-markers/<block>-parquet-converter-mark.json` so one listing
//! finds every converted block. Both are written after the files, the global copy first,
//! so a reader never sees a mark without its files.

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::layout::{block_key, PARQUET_EXTENSION, PARQUET_MARK_FILE};
use crate::marks::Mark;

/// Version of the files this crate writes: 2 has `s_series_hash`.
pub const CONVERTER_MARK_VERSION: u32 = 2;
/// Folder of the global copies.
pub const MARKERS_DIR: &str = "parquet-markers";

/// The mark's JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConverterMark {
    /// Format version (1 or 2).
    pub version: u32,
    /// Shards `0..shards`; absent in old marks, meaning one.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shards: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Mark for ConverterMark {
    const FILE: &'static str = PARQUET_MARK_FILE;
}

impl ConverterMark {
    /// A mark for `shards` shards in the current version.
    pub fn new(shards: u32) -> Self {
        Self {
            version: CONVERTER_MARK_VERSION,
            shards,
        }
    }

    /// The number of shards to read (at least one).
    pub fn shard_count(&self) -> u32 {
        self.shards.max(1)
    }

    /// Whether this crate reads the files the mark describes.
    pub fn is_readable(&self) -> bool {
        matches!(self.version, 1 | 2)
    }
}

/// Object key of a block's global mark copy.
pub fn global_mark_key(block: Ulid) -> String {
    format!("{MARKERS_DIR}/{block}-{PARQUET_MARK_FILE}")
}

/// The block a global mark copy's key names.
pub fn block_of_global_mark(key: &str) -> Option<Ulid> {
    let name = key.rsplit('/').next()?;
    name.strip_suffix(&format!("-{PARQUET_MARK_FILE}"))?
        .parse()
        .ok()
}

/// File name of shard `shard`'s labels file inside its block.
pub fn labels_file_name(shard: u32) -> String {
    format!("{shard}.labels{PARQUET_EXTENSION}")
}

/// File name of shard `shard`'s chunks file inside its block.
pub fn chunks_file_name(shard: u32) -> String {
    format!("{shard}.chunks{PARQUET_EXTENSION}")
}

/// Object key of shard `shard`'s labels file.
pub fn labels_key(block: Ulid, shard: u32) -> String {
    block_key(block, &labels_file_name(shard))
}

/// Object key of shard `shard`'s chunks file.
pub fn chunks_key(block: Ulid, shard: u32) -> String {
    block_key(block, &chunks_file_name(shard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mark_json_is_cortex_format() {
        assert_eq!(
            serde_json::to_string(&ConverterMark::new(1)).unwrap(),
            r#"{"version":2,"shards":1}"#
        );
        let old: ConverterMark = serde_json::from_str(r#"{"version":1}"#).unwrap();
        assert_eq!(old.shard_count(), 1);
        let id = Ulid::new();
        assert_eq!(block_of_global_mark(&global_mark_key(id)), Some(id));
        assert_eq!(block_of_global_mark("parquet-markers/x.json"), None);
    }
}
