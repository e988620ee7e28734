//! Native histogram series in the general compaction path (overlapping parts, tombstones,
//! replicas): every part decoded, merged by timestamp (identical samples collapse, different
//! ones at one timestamp are an unresolvable overlap) or across replicas with the
//! deduplication function (the querier's, without counter adjustment), then cut into chunks
//! as Prometheus' head cuts them (a new chunk on a counter reset or a schema or zero
//! threshold change, at most 120 samples per chunk).

use bytes::Bytes;
use mnemos_dedup::DedupFunc;
use mnemos_tsdb::block_writer::SAMPLES_PER_CHUNK;
use mnemos_tsdb::chunkenc::{
    ChunkError, CounterResetHeader, Encoding, FloatHistogramEncoder, FloatHistogramIter,
    HistogramEncoder, HistogramIter, Pushed,
};
use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
use mnemos_tsdb::histogram::{FloatHistogram, Histogram};
use mnemos_tsdb::index::SeriesEntry;
use mnemos_tsdb::{Block, Labels};
use ulid::Ulid;

use crate::error::{BadKind, Error, Result};
use crate::rechunk::Rechunked;
use crate::source::{check_chunk_order, read_chunk};

/// What a series' chunks hold, across all its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesKind {
    /// XOR chunks only.
    Floats,
    /// Integer histogram chunks only.
    Histograms,
    /// Float histogram chunks only.
    FloatHistograms,
}

/// The kind of a series' chunks; a series mixing kinds is not compactable here.
pub fn series_kind(
    parts: &[(&Block, SeriesEntry)],
    id_of: impl Fn(&Block) -> Ulid,
) -> Result<SeriesKind> {
    let mut kind: Option<SeriesKind> = None;
    for (block, entry) in parts {
        let id = id_of(block);
        for c in &entry.chunks {
            let raw = read_chunk(block, id, c)?;
            let this = match raw.kind() {
                Some(Encoding::Xor) => SeriesKind::Floats,
                Some(Encoding::Histogram) => SeriesKind::Histograms,
                Some(Encoding::FloatHistogram) => SeriesKind::FloatHistograms,
                None => {
                    return Err(Error::BadBlocks {
                        blocks: vec![id],
                        kind: BadKind::UnsupportedEncoding,
                        detail: format!(
                            "series {}: chunk encoding {} at {}",
                            entry.labels, raw.encoding, c.chunk_ref
                        ),
                    })
                }
            };
            match kind {
                Some(k) if k != this => {
                    return Err(Error::BadBlocks {
                        blocks: vec![id],
                        kind: BadKind::UnsupportedEncoding,
                        detail: format!(
                            "series {} mixes {k:?} and {this:?} chunks where they overlap",
                            entry.labels
                        ),
                    })
                }
                _ => kind = Some(this),
            }
        }
    }
    Ok(kind.unwrap_or(SeriesKind::Floats))
}

/// A histogram sample type the compactor merges: decoding, bitwise sameness, chunk cutting.
pub trait HistogramSample: Clone + Sized {
    /// The samples of one chunk.
    fn decode(chunk: &[u8]) -> std::result::Result<Vec<(i64, Self)>, ChunkError>;
    /// Whether two samples are the same bit for bit (a NaN sum equals the same NaN).
    fn same(&self, other: &Self) -> bool;
    /// Chunks of `samples` (time order), cut as Prometheus' head cuts them.
    fn encode(samples: &[(i64, Self)]) -> std::result::Result<Vec<(ChunkMeta, RawChunk)>, String>;
}

/// The chunk encoders of the two histogram kinds, as the chunk cutter uses them.
trait ChunkEncoder<H> {
    fn empty(header: CounterResetHeader) -> Self;
    fn samples(&self) -> u16;
    fn header_for(&self, h: &H) -> CounterResetHeader;
    fn push_sample(&mut self, t: i64, h: &H) -> std::result::Result<Pushed, String>;
    fn chunk_bytes(&self) -> &[u8];
}

macro_rules! chunk_encoder {
    ($encoder:ty, $sample:ty) => {
        impl ChunkEncoder<$sample> for $encoder {
            fn empty(header: CounterResetHeader) -> Self {
                <$encoder>::with_header(header)
            }
            fn samples(&self) -> u16 {
                self.num_samples()
            }
            fn header_for(&self, h: &$sample) -> CounterResetHeader {
                self.new_chunk_header(h)
            }
            fn push_sample(&mut self, t: i64, h: &$sample) -> std::result::Result<Pushed, String> {
                self.push(t, h).map_err(|e| e.to_string())
            }
            fn chunk_bytes(&self) -> &[u8] {
                self.bytes()
            }
        }
    };
}

chunk_encoder!(HistogramEncoder, Histogram);
chunk_encoder!(FloatHistogramEncoder, FloatHistogram);

/// Cuts `samples` into chunks: a new chunk where the encoder says the sample needs one
/// (counter reset, schema or zero threshold change) and after 120 samples.
fn cut_chunks<H, E: ChunkEncoder<H>>(
    samples: &[(i64, H)],
    encoding: Encoding,
) -> std::result::Result<Vec<(ChunkMeta, RawChunk)>, String> {
    let mut out = Vec::new();
    let mut enc = E::empty(CounterResetHeader::Unknown);
    let mut span: Option<(i64, i64)> = None;
    let finish =
        |enc: &E, (min_time, max_time): (i64, i64), out: &mut Vec<(ChunkMeta, RawChunk)>| {
            out.push((
                ChunkMeta {
                    min_time,
                    max_time,
                    chunk_ref: 0,
                },
                RawChunk {
                    encoding: encoding.as_byte(),
                    data: Bytes::copy_from_slice(enc.chunk_bytes()),
                },
            ));
        };
    for (t, h) in samples {
        let pushed = if usize::from(enc.samples()) >= SAMPLES_PER_CHUNK {
            Pushed::NewChunk(enc.header_for(h))
        } else {
            enc.push_sample(*t, h)?
        };
        if let Pushed::NewChunk(header) = pushed {
            if let Some(s) = span.take() {
                finish(&enc, s, &mut out);
            }
            enc = E::empty(header);
            enc.push_sample(*t, h)?;
        }
        span = Some(span.map_or((*t, *t), |(first, _)| (first, *t)));
    }
    if let Some(s) = span {
        finish(&enc, s, &mut out);
    }
    Ok(out)
}

impl HistogramSample for Histogram {
    fn decode(chunk: &[u8]) -> std::result::Result<Vec<(i64, Self)>, ChunkError> {
        HistogramIter::new(chunk)?.collect()
    }

    fn same(&self, other: &Self) -> bool {
        self.sum.to_bits() == other.sum.to_bits() && comparable(self) == comparable(other)
    }

    fn encode(samples: &[(i64, Self)]) -> std::result::Result<Vec<(ChunkMeta, RawChunk)>, String> {
        cut_chunks::<_, HistogramEncoder>(samples, Encoding::Histogram)
    }
}

impl HistogramSample for FloatHistogram {
    fn decode(chunk: &[u8]) -> std::result::Result<Vec<(i64, Self)>, ChunkError> {
        FloatHistogramIter::new(chunk)?.collect()
    }

    fn same(&self, other: &Self) -> bool {
        self.sum.to_bits() == other.sum.to_bits() && comparable(self) == comparable(other)
    }

    fn encode(samples: &[(i64, Self)]) -> std::result::Result<Vec<(ChunkMeta, RawChunk)>, String> {
        cut_chunks::<_, FloatHistogramEncoder>(samples, Encoding::FloatHistogram)
    }
}

/// A histogram as compared across chunks: a chunk holds its samples in the chunk's
/// layout (empty buckets where a later sample needed them), so compare without empty
/// buckets, sum (compared bitwise by the caller) and counter-reset hint (chunk metadata).
fn comparable<H: Compactable>(h: &H) -> H {
    let mut h = h.clone();
    h.normalize();
    h
}

/// Histograms that can drop their empty buckets.
trait Compactable: Clone {
    fn normalize(&mut self);
}

impl Compactable for Histogram {
    fn normalize(&mut self) {
        self.compact(0);
        self.sum = 0.0;
        self.counter_reset_hint = Default::default();
    }
}

impl Compactable for FloatHistogram {
    fn normalize(&mut self) {
        self.compact(0);
        self.sum = 0.0;
        self.counter_reset_hint = Default::default();
    }
}

/// One part's samples (tombstones applied), in time order.
fn read_part<H: HistogramSample>(
    block: &Block,
    entry: &SeriesEntry,
    id: Ulid,
) -> Result<Vec<(i64, H)>> {
    check_chunk_order(id, entry)?;
    let deleted = block.tombstones().get(u64::from(entry.id));
    let mut out = Vec::new();
    for c in &entry.chunks {
        let raw = read_chunk(block, id, c)?;
        let samples = H::decode(&raw.data).map_err(|e| Error::BadBlocks {
            blocks: vec![id],
            kind: BadKind::Corrupt,
            detail: format!("series {}: chunk at {}: {e}", entry.labels, c.chunk_ref),
        })?;
        out.extend(
            samples
                .into_iter()
                .filter(|(t, _)| !deleted.is_some_and(|d| d.contains(*t))),
        );
    }
    Ok(out)
}

/// One source block's samples of a series.
type SourcePart<H> = (Ulid, Vec<(i64, H)>);

/// Parts of one stream merged by timestamp: identical samples collapse, different ones at
/// one timestamp cannot be resolved.
fn merge_stream<H: HistogramSample>(
    labels: &Labels,
    parts: Vec<SourcePart<H>>,
) -> Result<Vec<(i64, H)>> {
    let mut tagged: Vec<(i64, usize, H)> = Vec::new();
    for (i, (_, samples)) in parts.iter().enumerate() {
        tagged.extend(samples.iter().map(|(t, h)| (*t, i, h.clone())));
    }
    tagged.sort_by_key(|s| (s.0, s.1));
    let mut out: Vec<(i64, H)> = Vec::with_capacity(tagged.len());
    let mut last_part = 0usize;
    for (t, part, h) in tagged {
        if let Some((lt, lh)) = out.last() {
            if *lt == t {
                if !lh.same(&h) {
                    return Err(Error::BadBlocks {
                        blocks: vec![parts[last_part].0, parts[part].0],
                        kind: BadKind::UnresolvableOverlap,
                        detail: format!("series {labels} has two different histograms at {t}"),
                    });
                }
                continue;
            }
        }
        out.push((t, h));
        last_part = part;
    }
    Ok(out)
}

/// The merged chunks of a histogram series: parts grouped by replica (`replica_of` gives a
/// part's source id and replica; one group without `dedup`), each group merged by
/// timestamp, the groups merged with `dedup`.
pub fn merge_series<H: HistogramSample>(
    labels: &Labels,
    parts: &[(&Block, SeriesEntry)],
    replica_of: impl Fn(&Block) -> (Ulid, String),
    dedup: Option<DedupFunc>,
) -> Result<(Rechunked, u64)> {
    let mut groups: std::collections::BTreeMap<String, Vec<SourcePart<H>>> = Default::default();
    let mut samples_in = 0u64;
    for (block, entry) in parts {
        let (id, replica) = replica_of(block);
        let samples = read_part::<H>(block, entry, id)?;
        samples_in += samples.len() as u64;
        let key = if dedup.is_some() {
            replica
        } else {
            String::new()
        };
        groups.entry(key).or_default().push((id, samples));
    }
    let mut streams = Vec::with_capacity(groups.len());
    let mut ids = Vec::new();
    for (_, group) in groups {
        ids.extend(group.iter().map(|(id, _)| *id));
        streams.push(merge_stream(labels, group)?);
    }
    let merged = match (streams.len(), dedup) {
        (1, _) | (_, None) => streams.pop().unwrap_or_default(),
        (_, Some(func)) => {
            let refs: Vec<&[(i64, H)]> = streams.iter().map(Vec::as_slice).collect();
            mnemos_dedup::merge_of(func, &refs)
        }
    };
    let total = merged.len() as u64;
    let chunks = H::encode(&merged).map_err(|detail| Error::BadBlocks {
        blocks: ids,
        kind: BadKind::Corrupt,
        detail: format!("series {labels}: re-encoding histograms: {detail}"),
    })?;
    Ok(((chunks, total), samples_in))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use mnemos_tsdb::block_writer::symbols_of;
    use mnemos_tsdb::histogram::Span;
    use mnemos_tsdb::{BlockMeta, BlockSet, BlockWriter};

    use super::*;
    use crate::merge::compact_blocks;
    use crate::source::Source;

    /// A cumulative histogram at scrape `i`: two to four buckets, a reset at 150.
    fn sample(i: i64) -> Histogram {
        let n = i % 150;
        let spans = if n < 40 {
            vec![Span {
                offset: 0,
                length: 2,
            }]
        } else {
            vec![
                Span {
                    offset: -1,
                    length: 3,
                },
                Span {
                    offset: 2,
                    length: 1,
                },
            ]
        };
        let counts: Vec<i64> = (0..spans.iter().map(|s| s.length as i64).sum::<i64>())
            .map(|k| n * (k + 1))
            .collect();
        let mut prev = 0;
        let deltas = counts
            .iter()
            .map(|c| {
                let d = c - prev;
                prev = *c;
                d
            })
            .collect();
        Histogram {
            schema: 1,
            count: counts.iter().sum::<i64>() as u64,
            sum: n as f64 * 1.5,
            positive_spans: spans,
            positive_buckets: deltas,
            ..Default::default()
        }
    }

    fn series(range: std::ops::Range<i64>, skip: &[std::ops::Range<i64>]) -> Vec<(i64, Histogram)> {
        range
            .filter(|i| !skip.iter().any(|s| s.contains(i)))
            .map(|i| (i * 15_000, sample(i)))
            .collect()
    }

    fn labels() -> Labels {
        Labels::from_pairs([("__name__", "h_seconds"), ("job", "x")])
    }

    fn block(parent: &Path, samples: &[(i64, Histogram)]) -> (Ulid, std::path::PathBuf) {
        let l = labels();
        let mut w = BlockWriter::create(parent, symbols_of([&l])).expect("writer");
        let chunks = Histogram::encode(samples).expect("encode");
        w.add_series_chunks(&l, &chunks, samples.len() as u64)
            .expect("add");
        let meta = w
            .finish(BlockMeta::new(
                String::new(),
                samples[0].0,
                samples[samples.len() - 1].0 + 1,
            ))
            .expect("finish");
        (
            Ulid::from_string(&meta.ulid).expect("ulid"),
            parent.join(&meta.ulid),
        )
    }

    fn compact(
        dir: &Path,
        blocks: &[((Ulid, std::path::PathBuf), &str)],
        dedup: Option<DedupFunc>,
    ) -> Result<Vec<(i64, Histogram)>> {
        let sources = blocks
            .iter()
            .map(|((id, d), r)| Source::open(*id, d, r.to_string()).expect("open"))
            .collect();
        let out = dir.join("out");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).expect("mkdir");
        let (meta, stats) = compact_blocks(
            sources,
            &out,
            BlockMeta::new(String::new(), 0, i64::MAX),
            dedup,
        )?;
        let set = BlockSet::open(&out.join(&meta.ulid)).expect("open");
        let parts = set
            .select(&[], i64::MIN, i64::MAX)
            .expect("select")
            .next()
            .expect("one series")
            .expect("series");
        let mut got = Vec::new();
        for (b, entry) in &parts.parts {
            for c in &entry.chunks {
                let raw = b.chunks().chunk(c.chunk_ref).expect("chunk");
                assert_eq!(raw.kind(), Some(Encoding::Histogram));
                let samples = Histogram::decode(&raw.data).expect("decode");
                assert!(samples.len() <= SAMPLES_PER_CHUNK);
                assert_eq!(
                    (c.min_time, c.max_time),
                    (samples[0].0, samples[samples.len() - 1].0)
                );
                got.extend(samples);
            }
        }
        assert_eq!(stats.samples_out, got.len() as u64);
        Ok(got)
    }

    /// Counter-reset hints are chunk metadata and a chunk's layout may add empty buckets;
    /// compare the histograms without either.
    fn plain(s: Vec<(i64, Histogram)>) -> Vec<(i64, Histogram)> {
        s.into_iter()
            .map(|(t, mut h)| {
                let sum = h.sum;
                h.normalize();
                h.sum = sum;
                (t, h)
            })
            .collect()
    }

    #[test]
    fn overlapping_blocks_with_histograms_merge_by_timestamp() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = block(tmp.path(), &series(0..200, &[]));
        let b = block(tmp.path(), &series(100..400, &[]));
        let got = compact(tmp.path(), &[(a, ""), (b, "")], None).expect("compact");
        assert_eq!(plain(got), plain(series(0..400, &[])));
    }

    #[test]
    fn different_histograms_at_one_timestamp_are_an_unresolvable_overlap() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = block(tmp.path(), &series(0..20, &[]));
        let mut other = series(10..30, &[]);
        other[0].1.sum += 1.0;
        let b = block(tmp.path(), &other);
        let ids = [a.0, b.0];
        match compact(tmp.path(), &[(a, ""), (b, "")], None) {
            Err(Error::BadBlocks { kind, blocks, .. }) => {
                assert_eq!(kind, BadKind::UnresolvableOverlap);
                assert!(blocks.iter().all(|b| ids.contains(b)));
            }
            other => panic!("want an unresolvable overlap, got {other:?}"),
        }
    }

    #[test]
    fn replicas_with_holes_deduplicate_to_their_union() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = block(tmp.path(), &series(0..400, &[30..90, 200..201]));
        let b = block(tmp.path(), &series(0..400, &[140..160, 300..330]));
        for func in [DedupFunc::Penalty, DedupFunc::Chain] {
            let got = compact(
                tmp.path(),
                &[(a.clone(), "a"), (b.clone(), "b")],
                Some(func),
            )
            .expect("dedup");
            assert_eq!(plain(got), plain(series(0..400, &[])), "{func}");
        }
    }
}
