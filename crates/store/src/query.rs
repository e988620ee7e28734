//! Reading the series of one loaded block for a request: postings (prefetched, then the
//! tsdb crate's matcher logic), series entries and chunks fetched as merged ranges, chunks
//! passed on as stored (re-encoded only where tombstones delete samples).

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use mnemos_storeapi::thanos::{Aggr, AggrChunk};
use mnemos_tsdb::chunkenc::{decode_xor_into, encode_xor};
use mnemos_tsdb::chunks::{chunk_offset, decode_chunk, split_ref, ChunkMeta};
use mnemos_tsdb::error::{CorruptAt, Corruption};
use mnemos_tsdb::index::{SeriesEntry, SERIES_ALIGNMENT};
use mnemos_tsdb::read_at::{length_prefixed_size, MAX_LENGTH_PREFIX};
use mnemos_tsdb::{Label, Labels, Matcher, ReadAt};

use crate::aggr::{to_aggr_chunk, XOR_ENCODING};
use crate::block::LoadedBlock;
use crate::bucket_file::{BucketFile, FetchStats, Pinned};
use crate::error::{Error, Result};
use crate::limits::RequestLimits;

/// Bytes fetched past a series entry's start, expecting the whole entry to fit.
const SERIES_ESTIMATE: u64 = 1024;
/// Bytes fetched past a chunk's start, expecting the whole chunk to fit.
const CHUNK_ESTIMATE: u64 = 2048;

/// One series as the gateway sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct OutSeries {
    /// Labels, external labels included.
    pub labels: Labels,
    /// Chunks in time order.
    pub chunks: Vec<AggrChunk>,
}

/// What a request asks of a block.
#[derive(Clone, Debug)]
pub struct BlockRequest {
    /// Matchers on series labels (those on external labels already decided).
    pub matchers: Vec<Matcher>,
    /// First timestamp wanted (ms).
    pub min_time: i64,
    /// Last timestamp wanted (ms).
    pub max_time: i64,
    /// Labels only.
    pub skip_chunks: bool,
    /// Aggregates wanted from downsampled chunks.
    pub aggregates: Vec<Aggr>,
    /// Labels to drop (`without_replica_labels`).
    pub drop_labels: Vec<String>,
}

/// What one block touched.
#[derive(Clone, Copy, Debug, Default)]
pub struct Touched {
    /// Series returned.
    pub series: u64,
    /// Chunks returned.
    pub chunks: u64,
}

fn tsdb(block: &LoadedBlock, source: mnemos_tsdb::Error) -> Error {
    Error::Tsdb {
        block: block.id,
        source,
    }
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
    // At most the file's size, so it fits in memory's address space.
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

/// Series of `block` matching `req`, sorted by labels, external labels attached.
pub async fn select(
    block: Arc<LoadedBlock>,
    external: &Labels,
    req: &BlockRequest,
    limits: &RequestLimits,
    stats: &FetchStats,
) -> Result<(Vec<OutSeries>, Touched)> {
    // Postings: prefetch the lists the matchers will read, then evaluate.
    let index_file = block.index.source();
    let table = block.index.postings_table();
    let mut wanted: Vec<Range<u64>> = Vec::new();
    for m in &req.matchers {
        let empty = m.matches("");
        wanted.extend(
            table
                .values(&m.name)
                .filter(|(v, _)| m.matches(v) != empty)
                .map(|(_, o)| block.postings_range(o)),
        );
    }
    if req.matchers.is_empty() || req.matchers.iter().any(|m| m.matches("")) {
        if let Some(o) = table.offset("", "") {
            wanted.push(block.postings_range(o));
        }
    }
    index_file
        .fetch(wanted, stats)
        .await
        .map_err(|e| tsdb(&block, e))?;
    let ids = {
        let reader = block.clone();
        let matchers = req.matchers.clone();
        tokio::task::spawn_blocking(move || reader.index.postings_for_matchers(&matchers))
            .await
            .map_err(|e| Error::Config(format!("postings task failed: {e}")))?
            .map_err(|e| tsdb(&block, e))?
    };
    limits.add_series(ids.len() as u64)?;

    // Series entries.
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
        .map_err(|e| tsdb(&block, e))?;
    let mut entries: Vec<SeriesEntry> = Vec::with_capacity(ids.len());
    for (id, offset) in ids.iter().zip(&offsets) {
        let buf = record(index_file, &pinned, *offset, 4, stats)
            .await
            .map_err(|e| tsdb(&block, e))?;
        let mut entry = block
            .index
            .decode_series_at(*id, &buf)
            .map_err(|e| tsdb(&block, e))?;
        let deleted = block.tombstones.get(u64::from(*id));
        entry.chunks.retain(|c| {
            c.overlaps(req.min_time, req.max_time)
                && !deleted.is_some_and(|d| {
                    d.covers(c.min_time.max(req.min_time), c.max_time.min(req.max_time))
                })
        });
        if !entry.chunks.is_empty() {
            entries.push(entry);
        }
    }
    let num_chunks: usize = entries.iter().map(|e| e.chunks.len()).sum();
    limits.add_chunks(num_chunks as u64)?;

    // Chunks, fetched per segment as merged ranges.
    let mut pinned_segments: Vec<Pinned> = vec![Pinned::default(); block.segments.len()];
    if !req.skip_chunks {
        let mut per_segment: Vec<Vec<Range<u64>>> = vec![Vec::new(); block.segments.len()];
        for c in entries.iter().flat_map(|e| &e.chunks) {
            let (seq, off) = split_ref(c.chunk_ref);
            if let Some(ranges) = per_segment.get_mut(seq) {
                ranges.push(off..off + CHUNK_ESTIMATE);
            }
        }
        let fetches = block
            .segments
            .iter()
            .zip(per_segment)
            .map(|(seg, ranges)| seg.fetch(ranges, stats));
        pinned_segments = futures::future::try_join_all(fetches)
            .await
            .map_err(|e| tsdb(&block, e))?;
    }

    let mut out = Vec::with_capacity(entries.len());
    let mut touched = Touched::default();
    for entry in entries {
        let labels = with_external(&entry.labels, external, &req.drop_labels);
        let mut chunks = Vec::new();
        if !req.skip_chunks {
            let deleted = block.tombstones.get(u64::from(entry.id));
            for c in &entry.chunks {
                let raw = read_chunk(&block, &pinned_segments, c, stats).await?;
                let (encoding, data, min, max) = match deleted {
                    Some(d) if raw.0 == XOR_ENCODING && !d.is_empty() => {
                        match without_deleted(&raw.1, |t| d.contains(t)) {
                            Some((data, min, max)) => (XOR_ENCODING, data, min, max),
                            None => continue,
                        }
                    }
                    _ => (raw.0, raw.1, c.min_time, c.max_time),
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
            if chunks.is_empty() {
                continue;
            }
        }
        touched.series += 1;
        touched.chunks += chunks.len() as u64;
        out.push(OutSeries { labels, chunks });
    }
    // External labels or dropped labels can change the order.
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok((out, touched))
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
/// when nothing is left (or the chunk does not decode: then it is left as is upstream).
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

/// Series labels with the external labels set (they win) and `drop` removed, sorted.
pub fn with_external(series: &Labels, external: &Labels, drop: &[String]) -> Labels {
    let mut labels: Vec<Label> = series
        .iter()
        .filter(|l| external.get(&l.name).is_none())
        .cloned()
        .chain(external.iter().cloned())
        .filter(|l| !drop.contains(&l.name))
        .collect();
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    Labels::from_sorted(labels)
}
