//! Reading the pieces of one loaded block a query needs, each as byte ranges of its objects:
//! the postings of the matchers (prefetched, then the tsdb crate's matcher logic), the
//! series entries of some series IDs, and the chunks of some series (passed on as stored,
//! re-encoded only where tombstones delete samples). Every length read from the data is
//! checked against the object's size before more is fetched.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use mnemos_tsdb::chunkenc::{decode_xor_into, encode_xor};
use mnemos_tsdb::chunks::{chunk_offset, decode_chunk, split_ref, ChunkMeta};
use mnemos_tsdb::error::{CorruptAt, Corruption};
use mnemos_tsdb::index::{SeriesEntry, SERIES_ALIGNMENT};
use mnemos_tsdb::read_at::{length_prefixed_size, MAX_LENGTH_PREFIX};
use mnemos_tsdb::{Labels, Matcher, ReadAt};

use crate::aggr::{to_aggr_chunk, XOR_ENCODING};
use crate::block::LoadedBlock;
use crate::bucket_file::{BucketFile, FetchStats, Pinned};
use crate::error::{Error, Result};
use crate::query::{BlockRequest, OutSeries};

/// Bytes fetched past a series entry's start, expecting the whole entry to fit.
const SERIES_ESTIMATE: u64 = 1024;
/// Bytes fetched past a chunk's start, expecting the whole chunk to fit.
const CHUNK_ESTIMATE: u64 = 2048;

fn tsdb(block: &LoadedBlock, source: mnemos_tsdb::Error) -> Error {
    Error::Tsdb {
        block: block.id,
        source,
    }
}

/// IDs of the series of `block` matching `matchers`, sorted (index order). The postings
/// lists the matchers read are fetched first, as merged ranges.
pub async fn postings(
    block: &Arc<LoadedBlock>,
    matchers: &[Matcher],
    stats: &FetchStats,
) -> Result<Vec<u32>> {
    let table = block.index.postings_table();
    let mut wanted: Vec<Range<u64>> = Vec::new();
    for m in matchers {
        let empty = m.matches("");
        wanted.extend(
            table
                .values(&m.name)
                .filter(|(v, _)| m.matches(v) != empty)
                .map(|(_, o)| block.postings_range(o)),
        );
    }
    if matchers.is_empty() || matchers.iter().any(|m| m.matches("")) {
        if let Some(o) = table.offset("", "") {
            wanted.push(block.postings_range(o));
        }
    }
    block
        .index
        .source()
        .fetch(wanted, stats)
        .await
        .map_err(|e| tsdb(block, e))?;
    let reader = block.clone();
    let matchers = matchers.to_vec();
    tokio::task::spawn_blocking(move || reader.index.postings_for_matchers(&matchers))
        .await
        .map_err(|e| Error::Config(format!("postings task failed: {e}")))?
        .map_err(|e| tsdb(block, e))
}

/// The series entries of `ids` with their chunks cut to those overlapping
/// `[min_time, max_time]` and not wholly deleted; series left without chunks are dropped.
pub async fn series_entries(
    block: &LoadedBlock,
    ids: &[u32],
    min_time: i64,
    max_time: i64,
    stats: &FetchStats,
) -> Result<Vec<SeriesEntry>> {
    let index_file = block.index.source();
    let offsets: Vec<u64> = ids
        .iter()
        .map(|id| u64::from(*id) * SERIES_ALIGNMENT)
        .collect();
    let pinned = index_file
        .fetch(
            offsets.iter().map(|o| *o..o + SERIES_ESTIMATE).collect(),
            stats,
        )
        .await
        .map_err(|e| tsdb(block, e))?;
    let mut entries = Vec::with_capacity(ids.len());
    for (id, offset) in ids.iter().zip(&offsets) {
        let buf = record(index_file, &pinned, *offset, 4, stats)
            .await
            .map_err(|e| tsdb(block, e))?;
        let mut entry = block
            .index
            .decode_series_at(*id, &buf)
            .map_err(|e| tsdb(block, e))?;
        let deleted = block.tombstones.get(u64::from(*id));
        entry.chunks.retain(|c| {
            c.overlaps(min_time, max_time)
                && !deleted
                    .is_some_and(|d| d.covers(c.min_time.max(min_time), c.max_time.min(max_time)))
        });
        if !entry.chunks.is_empty() {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// The series of `entries` (each with the labels it is sent with) with their chunks, or
/// labels only with `skip_chunks`. Chunks are fetched per segment as merged ranges. A series
/// whose chunks tombstones empty entirely is left out.
pub async fn with_chunks(
    block: &LoadedBlock,
    entries: Vec<(Labels, SeriesEntry)>,
    req: &BlockRequest,
    stats: &FetchStats,
) -> Result<Vec<OutSeries>> {
    if req.skip_chunks {
        return Ok(entries
            .into_iter()
            .map(|(labels, _)| OutSeries {
                labels,
                chunks: Vec::new(),
            })
            .collect());
    }
    let mut per_segment: Vec<Vec<Range<u64>>> = vec![Vec::new(); block.segments.len()];
    for c in entries.iter().flat_map(|(_, e)| &e.chunks) {
        let (seq, off) = split_ref(c.chunk_ref);
        if let Some(ranges) = per_segment.get_mut(seq) {
            ranges.push(off..off.saturating_add(CHUNK_ESTIMATE));
        }
    }
    let fetches = block
        .segments
        .iter()
        .zip(per_segment)
        .map(|(seg, ranges)| seg.fetch(ranges, stats));
    let pinned = futures::future::try_join_all(fetches)
        .await
        .map_err(|e| tsdb(block, e))?;

    let mut out = Vec::with_capacity(entries.len());
    for (labels, entry) in entries {
        let deleted = block.tombstones.get(u64::from(entry.id));
        let mut chunks = Vec::with_capacity(entry.chunks.len());
        for c in &entry.chunks {
            let (encoding, data) = read_chunk(block, &pinned, c, stats).await?;
            let (encoding, data, min, max) = match deleted {
                Some(d) if encoding == XOR_ENCODING && !d.is_empty() => {
                    match without_deleted(&data, |t| d.contains(t)) {
                        Some((data, min, max)) => (XOR_ENCODING, data, min, max),
                        None => continue,
                    }
                }
                _ => (encoding, data, c.min_time, c.max_time),
            };
            match to_aggr_chunk(min, max, encoding, data, &req.aggregates) {
                Ok(Some(chunk)) => chunks.push(chunk),
                Ok(None) => {}
                Err(reason) => {
                    return Err(Error::CorruptBlock {
                        block: block.id,
                        reason,
                    })
                }
            }
        }
        if !chunks.is_empty() {
            out.push(OutSeries { labels, chunks });
        }
    }
    Ok(out)
}

/// Bytes of a length-prefixed record at `offset` (`uvarint len | len + extra`), from
/// `pinned` when it holds all of it, else fetched exactly. The length comes from the data:
/// it is checked against the file's size before anything more is fetched.
async fn record(
    file: &BucketFile,
    pinned: &Pinned,
    offset: u64,
    extra: u64,
    stats: &FetchStats,
) -> std::result::Result<Bytes, mnemos_tsdb::Error> {
    let head = match pinned.tail_at(offset) {
        Some(head) => head,
        None => {
            let probe = offset..offset.saturating_add(MAX_LENGTH_PREFIX as u64);
            file.fetch(vec![probe], stats)
                .await?
                .tail_at(offset)
                .unwrap_or_default()
        }
    };
    let truncated = |available: usize, need: u64| {
        CorruptAt::new(
            offset,
            Corruption::Truncated {
                needed: need,
                available: available as u64,
            },
        )
        .in_file(file.path())
    };
    let need = length_prefixed_size(&head, offset, extra, file.size())
        .map_err(|e| e.in_file(file.path()))?;
    // At most the file's size.
    let len = usize::try_from(need).map_err(|_| truncated(head.len(), need))?;
    if head.len() >= len {
        return Ok(head.slice(..len));
    }
    let exact = offset..offset + need;
    let whole = file.fetch(vec![exact], stats).await?.tail_at(offset);
    match whole {
        Some(b) if b.len() >= len => Ok(b.slice(..len)),
        other => Err(truncated(other.map_or(0, |b| b.len()), need)),
    }
}

/// The chunk at `c`: (encoding, data), CRC checked.
async fn read_chunk(
    block: &LoadedBlock,
    pinned: &[Pinned],
    c: &ChunkMeta,
    stats: &FetchStats,
) -> Result<(u8, Bytes)> {
    let (seq, off) = split_ref(c.chunk_ref);
    let (Some(seg), Some(pinned)) = (block.segments.get(seq), pinned.get(seq)) else {
        return Err(Error::CorruptBlock {
            block: block.id,
            reason: format!("chunk reference {:#x}: no such segment", c.chunk_ref),
        });
    };
    chunk_offset(c.chunk_ref, seg.size()).map_err(|e| tsdb(block, e.in_file(seg.path())))?;
    let buf = record(seg, pinned, off, 5, stats)
        .await
        .map_err(|e| tsdb(block, e))?;
    let (chunk, _) = decode_chunk(&buf, off).map_err(|e| tsdb(block, e.in_file(seg.path())))?;
    Ok((chunk.encoding, chunk.data))
}

/// An XOR chunk without the samples `deleted` says are gone: (data, min, max), or `None`
/// when nothing is left or the chunk does not decode.
fn without_deleted(data: &Bytes, deleted: impl Fn(i64) -> bool) -> Option<(Bytes, i64, i64)> {
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    decode_xor_into(data, &mut ts, &mut vs).ok()?;
    let kept: Vec<(i64, f64)> = ts
        .into_iter()
        .zip(vs)
        .filter(|(t, _)| !deleted(*t))
        .collect();
    let (first, last) = (kept.first()?.0, kept.last()?.0);
    Some((Bytes::from(encode_xor(&kept)), first, last))
}
