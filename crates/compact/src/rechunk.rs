//! The fast path of compaction: a series whose parts are disjoint in time and untouched by
//! tombstones keeps its full chunks byte for byte; only short chunks (typically cut at a
//! block boundary) are decoded and re-cut into chunks of about 120 samples; chunks of other
//! encodings (native histograms) are copied as they are. Any other series takes the general
//! path (decode, merge, re-encode), which handles XOR chunks only.

use bytes::Bytes;
use mnemos_tsdb::block_writer::SAMPLES_PER_CHUNK;
use mnemos_tsdb::chunkenc::{decode_xor_into, encode_xor, Encoding};
use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
use mnemos_tsdb::index::SeriesEntry;
use mnemos_tsdb::Block;
use ulid::Ulid;

use crate::error::{BadKind, Error, Result};
use crate::source::{check_chunk_order, read_chunk};

/// Chunks with at least this many samples are copied unchanged.
pub const MIN_COPY_SAMPLES: usize = SAMPLES_PER_CHUNK / 2;

/// A series' chunks ready for the writer, and their total sample count.
pub type Rechunked = (Vec<(ChunkMeta, RawChunk)>, u64);

/// The series' chunks when the fast path applies (`None` otherwise). `id_of` names the
/// source block of a part, for errors.
pub fn copy_or_rechunk(
    parts: &[(&Block, SeriesEntry)],
    id_of: impl Fn(&Block) -> Ulid,
) -> Result<Option<Rechunked>> {
    let mut ordered: Vec<&(&Block, SeriesEntry)> = Vec::with_capacity(parts.len());
    for part in parts {
        let (block, entry) = part;
        check_chunk_order(id_of(block), entry)?;
        if block
            .tombstones()
            .get(u64::from(entry.id))
            .is_some_and(|t| !t.is_empty())
        {
            return Ok(None);
        }
        if !entry.chunks.is_empty() {
            ordered.push(part);
        }
    }
    ordered.sort_by_key(|(_, e)| e.chunks[0].min_time);
    let disjoint = ordered.windows(2).all(|w| {
        let last = w[0].1.chunks[w[0].1.chunks.len() - 1].max_time;
        last < w[1].1.chunks[0].min_time
    });
    if !disjoint {
        return Ok(None);
    }
    let mut out = Rechunker::default();
    for (block, entry) in ordered {
        let id = id_of(block);
        for c in &entry.chunks {
            let raw = read_chunk(block, id, c)?;
            let n = raw
                .data
                .get(..2)
                .map(|h| usize::from(u16::from_be_bytes([h[0], h[1]])))
                .ok_or_else(|| Error::BadBlocks {
                    blocks: vec![id],
                    kind: BadKind::Corrupt,
                    detail: format!("series {}: empty chunk at {}", entry.labels, c.chunk_ref),
                })?;
            // Other encodings (native histograms) are copied as they are: never re-cut.
            let other = raw.kind() != Some(Encoding::Xor);
            let full = n >= MIN_COPY_SAMPLES
                && (out.pending.is_empty() || out.pending.len() >= MIN_COPY_SAMPLES);
            if other || full {
                out.flush_all();
                out.total += n as u64;
                out.chunks.push((*c, raw));
                continue;
            }
            let (mut ts, mut vs) = (Vec::with_capacity(n), Vec::with_capacity(n));
            decode_xor_into(&raw.data, &mut ts, &mut vs).map_err(|e| Error::BadBlocks {
                blocks: vec![id],
                kind: BadKind::Corrupt,
                detail: format!("series {}: chunk at {}: {e}", entry.labels, c.chunk_ref),
            })?;
            out.pending.extend(ts.into_iter().zip(vs));
            out.flush_full();
        }
    }
    out.flush_all();
    Ok(Some((out.chunks, out.total)))
}

#[derive(Default)]
struct Rechunker {
    chunks: Vec<(ChunkMeta, RawChunk)>,
    pending: Vec<(i64, f64)>,
    total: u64,
}

impl Rechunker {
    fn emit(&mut self, samples: &[(i64, f64)]) {
        let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
            return;
        };
        let meta = ChunkMeta {
            min_time: first.0,
            max_time: last.0,
            chunk_ref: 0,
        };
        let raw = RawChunk {
            encoding: Encoding::Xor.as_byte(),
            data: Bytes::from(encode_xor(samples)),
        };
        self.total += samples.len() as u64;
        self.chunks.push((meta, raw));
    }

    /// Cuts full chunks off the pending samples.
    fn flush_full(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mut rest = pending.as_slice();
        while rest.len() >= SAMPLES_PER_CHUNK {
            let (head, tail) = rest.split_at(SAMPLES_PER_CHUNK);
            self.emit(head);
            rest = tail;
        }
        self.pending = rest.to_vec();
    }

    /// Writes every pending sample.
    fn flush_all(&mut self) {
        self.flush_full();
        let pending = std::mem::take(&mut self.pending);
        self.emit(&pending);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::block_writer::symbols_of;
    use mnemos_tsdb::meta::BlockMeta;
    use mnemos_tsdb::{BlockSet, BlockWriter, Labels};

    fn block(parent: &std::path::Path, labels: &Labels, samples: &[(i64, f64)]) -> Block {
        let mut w = BlockWriter::create(parent, symbols_of([labels])).expect("writer");
        w.add_series(labels, samples).expect("add");
        let meta = w
            .finish(BlockMeta::new(
                String::new(),
                samples[0].0,
                samples[samples.len() - 1].0 + 1,
            ))
            .expect("finish");
        Block::open(&parent.join(meta.ulid)).expect("open")
    }

    #[test]
    fn full_chunks_copied_short_ones_recut() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let l = Labels::from_pairs([("__name__", "m")]);
        let all: Vec<(i64, f64)> = (0..380).map(|i| (i * 1000, (i % 17) as f64)).collect();
        // Chunks of 120 + 10, then 120 + 120 + 10.
        let set = BlockSet::from_blocks(vec![
            block(tmp.path(), &l, &all[..130]),
            block(tmp.path(), &l, &all[130..]),
        ]);
        let parts = set
            .select(&[], i64::MIN, i64::MAX)
            .expect("select")
            .next()
            .expect("one series")
            .expect("series");
        let (chunks, n) = copy_or_rechunk(&parts.parts, |_| Ulid::nil())
            .expect("no error")
            .expect("fast path applies");
        assert_eq!(n, 380);
        let sizes: Vec<usize> = chunks
            .iter()
            .map(|(_, r)| usize::from(u16::from_be_bytes([r.data[0], r.data[1]])))
            .collect();
        assert_eq!(sizes, vec![120, 120, 120, 20]);
        // The first chunk is the source's, unchanged.
        let (first_block, first_entry) = &parts.parts[0];
        let original = first_block
            .chunks()
            .chunk(first_entry.chunks[0].chunk_ref)
            .expect("chunk");
        assert_eq!(chunks[0].1, original);
        let mut got = Vec::new();
        for (meta, raw) in &chunks {
            let (mut ts, mut vs) = (Vec::new(), Vec::new());
            decode_xor_into(&raw.data, &mut ts, &mut vs).expect("decode");
            assert_eq!((meta.min_time, meta.max_time), (ts[0], ts[ts.len() - 1]));
            got.extend(ts.into_iter().zip(vs));
        }
        assert_eq!(got, all);
    }

    /// A block whose one series holds a single chunk of encoding 2 (a native histogram;
    /// the payload is opaque here) at `[t, t + 10]`.
    fn histogram_block(parent: &std::path::Path, labels: &Labels, t: i64) -> Block {
        let mut w = BlockWriter::create(parent, symbols_of([labels])).expect("writer");
        let raw = RawChunk {
            encoding: 2,
            data: Bytes::from_static(&[0, 3, 0xde, 0xad, 0xbe, 0xef]),
        };
        let meta = ChunkMeta {
            min_time: t,
            max_time: t + 10,
            chunk_ref: 0,
        };
        w.add_series_chunks(labels, &[(meta, raw)], 3).expect("add");
        let m = w
            .finish(BlockMeta::new(String::new(), t, t + 11))
            .expect("finish");
        Block::open(&parent.join(m.ulid)).expect("open")
    }

    #[test]
    fn other_encodings_are_copied_or_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let l = Labels::from_pairs([("__name__", "h")]);
        let set = BlockSet::from_blocks(vec![
            histogram_block(tmp.path(), &l, 0),
            histogram_block(tmp.path(), &l, 100),
        ]);
        let parts = set
            .select(&[], i64::MIN, i64::MAX)
            .expect("select")
            .next()
            .expect("one")
            .expect("series");
        let (chunks, n) = copy_or_rechunk(&parts.parts, |_| Ulid::nil())
            .expect("ok")
            .expect("fast path");
        assert_eq!(n, 6);
        assert_eq!(chunks.len(), 2);
        assert!(chunks
            .iter()
            .all(|(_, r)| r.encoding == 2 && r.data.len() == 6));

        // Overlapping: the general path decodes them, and these payloads are no valid
        // histogram chunks; the blocks are named.
        let a = histogram_block(tmp.path(), &l, 0);
        let b = histogram_block(tmp.path(), &l, 5);
        let ids: Vec<Ulid> = [&a, &b]
            .iter()
            .map(|blk| Ulid::from_string(&blk.meta().ulid).expect("ulid"))
            .collect();
        let sources = [a, b]
            .into_iter()
            .zip(&ids)
            .map(|(blk, id)| {
                crate::source::Source::open(*id, blk.dir(), String::new()).expect("open")
            })
            .collect();
        let out = tmp.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let meta = BlockMeta::new(String::new(), 0, 16);
        match crate::merge::compact_blocks(sources, &out, meta, None) {
            Err(Error::BadBlocks { kind, blocks, .. }) => {
                assert_eq!(kind, BadKind::Corrupt);
                assert!(ids.contains(&blocks[0]));
            }
            other => panic!("want a corrupt block, got {:?}", other.map(|r| r.1)),
        }
    }

    #[test]
    fn overlapping_parts_take_the_general_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let l = Labels::from_pairs([("__name__", "m")]);
        let all: Vec<(i64, f64)> = (0..200).map(|i| (i * 1000, i as f64)).collect();
        let set = BlockSet::from_blocks(vec![
            block(tmp.path(), &l, &all[..150]),
            block(tmp.path(), &l, &all[100..]),
        ]);
        let parts = set
            .select(&[], i64::MIN, i64::MAX)
            .expect("select")
            .next()
            .expect("one")
            .expect("series");
        assert!(copy_or_rechunk(&parts.parts, |_| Ulid::nil())
            .expect("ok")
            .is_none());
    }
}
