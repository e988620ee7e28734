//! Source blocks opened for compaction or downsampling, with errors attributed to the block
//! they come from (so that block, and only it, gets a no-compact mark).

use std::collections::BTreeSet;
use std::path::Path;

use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
use mnemos_tsdb::index::SeriesEntry;
use mnemos_tsdb::Block;
use ulid::Ulid;

use crate::error::{BadKind, Error, Result};

/// An opened source block and the replica it comes from.
pub struct Source {
    /// Block id.
    pub id: Ulid,
    /// The opened block.
    pub block: Block,
    /// Values of the replica labels, joined (empty without replica labels).
    pub replica: String,
}

impl Source {
    /// Opens the block in `dir`; failures mark the block corrupt.
    pub fn open(id: Ulid, dir: &Path, replica: String) -> Result<Self> {
        let block = Block::open(dir).map_err(|e| corrupt(id, &e))?;
        Ok(Self { id, block, replica })
    }

    /// Opens a block directory named by its ULID (as blocks are downloaded and written),
    /// without replica labels.
    pub fn open_dir(dir: &Path) -> Result<Self> {
        let id = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| Ulid::from_string(n).ok())
            .ok_or_else(|| Error::Io {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "block directory not named by a ULID",
                ),
            })?;
        Self::open(id, dir, String::new())
    }
}

/// A tsdb error while reading block `id`, as a bad-block error.
pub fn corrupt(id: Ulid, e: &mnemos_tsdb::Error) -> Error {
    let kind = match e {
        mnemos_tsdb::Error::UnsupportedEncoding { .. } => BadKind::UnsupportedEncoding,
        _ => BadKind::Corrupt,
    };
    Error::BadBlocks {
        blocks: vec![id],
        kind,
        detail: e.to_string(),
    }
}

/// The stored chunk `c` of block `id`, a read error as a bad-block error.
pub fn read_chunk(block: &Block, id: Ulid, c: &ChunkMeta) -> Result<RawChunk> {
    block
        .chunks()
        .chunk(c.chunk_ref)
        .map_err(|e| corrupt(id, &e))
}

/// Checks that a series' chunks are in time order without overlap.
pub fn check_chunk_order(id: Ulid, series: &SeriesEntry) -> Result<()> {
    let mut prev_max: Option<i64> = None;
    for c in &series.chunks {
        if c.min_time > c.max_time || prev_max.is_some_and(|p| c.min_time <= p) {
            return Err(Error::BadBlocks {
                blocks: vec![id],
                kind: BadKind::OutOfOrderChunks,
                detail: format!(
                    "series {}: chunk [{}, {}] after one ending at {}",
                    series.labels,
                    c.min_time,
                    c.max_time,
                    prev_max.unwrap_or(i64::MIN)
                ),
            });
        }
        prev_max = Some(c.max_time);
    }
    Ok(())
}

/// The union of the blocks' symbol tables (sorted, unique).
pub fn union_symbols<'a>(blocks: impl IntoIterator<Item = &'a Block>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    out.insert(String::new());
    for b in blocks {
        for s in b.index().symbols().iter() {
            if !out.contains(s) {
                out.insert(s.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::chunks::ChunkMeta;
    use mnemos_tsdb::Labels;

    fn entry(spans: &[(i64, i64)]) -> SeriesEntry {
        SeriesEntry {
            id: 1,
            labels: Labels::from_pairs([("__name__", "m")]),
            chunks: spans
                .iter()
                .map(|&(min_time, max_time)| ChunkMeta {
                    min_time,
                    max_time,
                    chunk_ref: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn chunk_order() {
        let id = Ulid::from_parts(1, 1);
        assert!(check_chunk_order(id, &entry(&[(0, 10), (11, 20)])).is_ok());
        // Prometheus' writer refuses these; old or foreign blocks can hold them.
        for bad in [&[(0, 10), (5, 20)][..], &[(0, 10), (10, 20)], &[(20, 10)]] {
            match check_chunk_order(id, &entry(bad)) {
                Err(Error::BadBlocks {
                    blocks,
                    kind,
                    detail,
                }) => {
                    assert_eq!((blocks, kind), (vec![id], BadKind::OutOfOrderChunks));
                    assert!(detail.contains("__name__=\"m\""), "{detail}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
