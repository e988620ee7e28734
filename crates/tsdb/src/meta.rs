//! A block's `meta.json`: Prometheus' fields plus Thanos' optional `thanos` section.
//! Unknown fields are kept and written back, so rewriting a meta never loses data.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, IoContext, Result};

/// File name of a block's metadata.
pub const META_FILENAME: &str = "meta.json";

/// The `meta.json` of a block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockMeta {
    /// Block identifier (a ULID, also the directory name).
    pub ulid: String,
    /// First timestamp in the block, in ms (inclusive).
    #[serde(rename = "minTime")]
    pub min_time: i64,
    /// End of the block's time range, in ms (exclusive).
    #[serde(rename = "maxTime")]
    pub max_time: i64,
    /// Counts of what the block holds.
    #[serde(default)]
    pub stats: BlockStats,
    /// Compaction history.
    #[serde(default)]
    pub compaction: Compaction,
    /// Format version of the block (1).
    pub version: u32,
    /// Thanos' section, written by sidecars and compactors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanos: Option<ThanosMeta>,
    /// Fields this library does not know, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Counts of what a block holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockStats {
    /// Samples in the block.
    #[serde(rename = "numSamples", default, skip_serializing_if = "is_zero")]
    pub num_samples: u64,
    /// Series in the block.
    #[serde(rename = "numSeries", default, skip_serializing_if = "is_zero")]
    pub num_series: u64,
    /// Chunks in the block.
    #[serde(rename = "numChunks", default, skip_serializing_if = "is_zero")]
    pub num_chunks: u64,
    /// Tombstone intervals in the block.
    #[serde(rename = "numTombstones", default, skip_serializing_if = "is_zero")]
    pub num_tombstones: u64,
    /// Other counters, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Compaction history of a block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Compaction {
    /// 1 for a block cut from the head; one more than its parents after compaction.
    #[serde(default)]
    pub level: u32,
    /// ULIDs of the level-1 blocks this block's data came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// The blocks directly compacted into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<BlockDesc>,
    /// Other fields (`failed`, `deletable`, `hints`), kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Identity and range of a parent block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDesc {
    /// Parent ULID.
    pub ulid: String,
    /// Parent's min time (ms).
    #[serde(rename = "minTime")]
    pub min_time: i64,
    /// Parent's max time (ms, exclusive).
    #[serde(rename = "maxTime")]
    pub max_time: i64,
}

/// Thanos' `thanos` section of meta.json.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThanosMeta {
    /// Version of the section (1).
    #[serde(default)]
    pub version: u32,
    /// External labels of the Prometheus the block came from.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Downsampling state.
    #[serde(default)]
    pub downsample: Downsample,
    /// Which component wrote the block ("sidecar", "compactor", …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Chunk segment file names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_files: Vec<String>,
    /// The block's files with their sizes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<BlockFile>,
    /// Other fields, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Downsampling resolution of a block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downsample {
    /// Resolution in ms: 0 (raw), 300000 (5m), 3600000 (1h).
    #[serde(default)]
    pub resolution: i64,
}

/// A file of a block as listed in the `thanos` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockFile {
    /// Path relative to the block directory, e.g. `chunks/000001`.
    pub rel_path: String,
    /// Size in bytes (absent for meta.json itself).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size_bytes: u64,
    /// Other fields (hashes), kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl BlockMeta {
    /// A fresh level-1 meta for a new block.
    pub fn new(ulid: String, min_time: i64, max_time: i64) -> Self {
        Self {
            compaction: Compaction {
                level: 1,
                sources: vec![ulid.clone()],
                ..Compaction::default()
            },
            ulid,
            min_time,
            max_time,
            stats: BlockStats::default(),
            version: 1,
            thanos: None,
            extra: Map::new(),
        }
    }

    /// Parses meta.json bytes; `path` names the file in errors.
    pub fn parse(data: &[u8], path: &Path) -> Result<Self> {
        serde_json::from_slice(data).map_err(|source| Error::Meta {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads `<dir>/meta.json`.
    pub fn read_from_dir(dir: &Path) -> Result<Self> {
        let path = dir.join(META_FILENAME);
        let data = std::fs::read(&path).at_path(&path)?;
        Self::parse(&data, &path)
    }

    /// Serialises as Prometheus does (tab-indented JSON).
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        self.serialize(&mut ser)?;
        Ok(out)
    }

    /// Writes `<dir>/meta.json` atomically (temporary file, fsync, rename).
    pub fn write_to_dir(&self, dir: &Path) -> Result<()> {
        let path = dir.join(META_FILENAME);
        let tmp = dir.join(format!("{META_FILENAME}.tmp"));
        let json = self.to_json().map_err(|source| Error::Meta {
            path: path.clone(),
            source,
        })?;
        crate::fsutil::write_file_synced(&tmp, &json)?;
        std::fs::rename(&tmp, &path).at_path(&path)?;
        crate::fsutil::sync_dir(dir)
    }

    /// This block as a parent entry of a compacted block.
    pub fn desc(&self) -> BlockDesc {
        BlockDesc {
            ulid: self.ulid.clone(),
            min_time: self.min_time,
            max_time: self.max_time,
        }
    }

    /// Downsampling resolution in ms (0 when raw or no `thanos` section).
    pub fn resolution(&self) -> i64 {
        self.thanos.as_ref().map_or(0, |t| t.downsample.resolution)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THANOS_META: &str = r#"{
	"ulid": "01M80CW3FPVKSMJK256M1PEK23",
	"minTime": 1700000000000,
	"maxTime": 1700000105001,
	"stats": {"numSamples": 10, "numSeries": 2, "numChunks": 2, "numFloatSamples": 10},
	"compaction": {"level": 2, "sources": ["A", "B"], "parents": [{"ulid": "A", "minTime": 1, "maxTime": 2}], "hints": ["x"]},
	"version": 1,
	"thanos": {"version": 1, "labels": {"replica": "a"}, "downsample": {"resolution": 300000},
	           "source": "compactor", "segment_files": ["000001"],
	           "files": [{"rel_path": "chunks/000001", "size_bytes": 5}, {"rel_path": "meta.json"}],
	           "index_stats": {"series_max_size": 10}},
	"future_field": true
}"#;

    #[test]
    fn thanos_section_and_unknown_fields_survive_a_round_trip() {
        let meta = BlockMeta::parse(THANOS_META.as_bytes(), Path::new("meta.json")).unwrap();
        assert_eq!(meta.resolution(), 300_000);
        assert_eq!(meta.compaction.parents[0].ulid, "A");
        let again = BlockMeta::parse(&meta.to_json().unwrap(), Path::new("meta.json")).unwrap();
        assert_eq!(meta, again);
        let v: Value = serde_json::from_slice(&meta.to_json().unwrap()).unwrap();
        let orig: Value = serde_json::from_str(THANOS_META).unwrap();
        assert_eq!(v, orig);
    }

    #[test]
    fn broken_meta_is_a_clear_error() {
        let err = BlockMeta::parse(b"{\"ulid\": 3}", Path::new("/b/meta.json")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/b/meta.json: invalid meta.json"),
            "{err}"
        );
    }
}
