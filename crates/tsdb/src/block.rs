//! An open block directory: meta.json, index, chunk segments and tombstones.

use std::path::{Path, PathBuf};

use crate::chunkenc::{decode_xor_into, ChunkError, Encoding, FloatHistogramIter, HistogramIter};
use crate::chunks::{segment_name, split_ref, ChunkMeta, ChunkReader, RawChunk, CHUNKS_DIRNAME};
use crate::error::{Error, Result};
use crate::histogram::FloatHistogram;
use crate::index::{IndexReader, SeriesEntry, INDEX_FILENAME};
use crate::labels::Matcher;
use crate::meta::BlockMeta;
use crate::read_at::BytesFile;
use crate::tombstones::{Intervals, Tombstones};

/// A sample: timestamp in ms and value.
pub type Sample = (i64, f64);

/// A block opened from a local directory.
pub struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    index: IndexReader<BytesFile>,
    chunks: ChunkReader<BytesFile>,
    tombstones: Tombstones,
}

impl Block {
    /// Opens the block in `dir`, reading meta.json, the index header and tombstones.
    pub fn open(dir: &Path) -> Result<Self> {
        let meta = BlockMeta::read_from_dir(dir)?;
        let index = IndexReader::open(BytesFile::map(&dir.join(INDEX_FILENAME))?)?;
        let chunks = ChunkReader::open_dir(&dir.join(CHUNKS_DIRNAME))?;
        let tombstones = Tombstones::read_from_dir(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            meta,
            index,
            chunks,
            tombstones,
        })
    }

    /// The block directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The parsed meta.json.
    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// The index.
    pub fn index(&self) -> &IndexReader<BytesFile> {
        &self.index
    }

    /// The chunk segments.
    pub fn chunks(&self) -> &ChunkReader<BytesFile> {
        &self.chunks
    }

    /// The tombstones.
    pub fn tombstones(&self) -> &Tombstones {
        &self.tombstones
    }

    /// Sum of the sizes of the block's files, as `promtool tsdb list` reports.
    pub fn size_bytes(&self) -> u64 {
        dir_size(&self.dir)
    }

    /// IDs of the series matching `matchers`.
    pub fn select(&self, matchers: &[Matcher]) -> Result<Vec<u32>> {
        self.index.postings_for_matchers(matchers)
    }

    /// Whether a series has samples left in `[mint, maxt]` after tombstones, judged
    /// from chunk metas (as Prometheus' block querier does).
    pub fn has_data_in(&self, series: &SeriesEntry, mint: i64, maxt: i64) -> bool {
        let deleted = self.tombstones.get(u64::from(series.id));
        series.chunks.iter().any(|c| {
            c.overlaps(mint, maxt)
                && !deleted.is_some_and(|d| d.covers(c.min_time.max(mint), c.max_time.min(maxt)))
        })
    }

    /// Decodes the samples of `series` in `[mint, maxt]`, without tombstoned
    /// ones, appending to `out` in time order.
    pub fn read_samples(
        &self,
        series: &SeriesEntry,
        mint: i64,
        maxt: i64,
        out: &mut Vec<Sample>,
    ) -> Result<()> {
        let deleted = self.tombstones.get(u64::from(series.id));
        let mut ts = Vec::new();
        let mut vs = Vec::new();
        for c in series.chunks.iter().filter(|c| c.overlaps(mint, maxt)) {
            ts.clear();
            vs.clear();
            self.decode_chunk(c, &mut ts, &mut vs)?;
            push_filtered(&ts, &vs, mint, maxt, deleted, out);
        }
        Ok(())
    }

    /// Decodes the samples of `series` in `[mint, maxt]`, without tombstoned
    /// ones: floats (XOR chunks) appended to `floats`, native histograms to
    /// `histograms` (integer ones as float histograms, converted by absolute
    /// count as Prometheus' chunk iterator does), each in time order.
    pub fn read_all_samples(
        &self,
        series: &SeriesEntry,
        mint: i64,
        maxt: i64,
        floats: &mut Vec<Sample>,
        histograms: &mut Vec<(i64, FloatHistogram)>,
    ) -> Result<()> {
        let deleted = self.tombstones.get(u64::from(series.id));
        let keep = |t: i64| t >= mint && t <= maxt && !deleted.is_some_and(|d| d.contains(t));
        let mut ts = Vec::new();
        let mut vs = Vec::new();
        for c in series.chunks.iter().filter(|c| c.overlaps(mint, maxt)) {
            let raw = self.chunks.chunk(c.chunk_ref)?;
            let corrupt = |e: ChunkError| self.corrupt_chunk(c.chunk_ref, e);
            match raw
                .kind()
                .and_then(|k| crate::chunkenc::decode_as_float_histograms(k, &raw.data))
            {
                Some(decoded) => histograms.extend(
                    decoded
                        .map_err(corrupt)?
                        .into_iter()
                        .filter(|(t, _)| keep(*t)),
                ),
                None => {
                    ts.clear();
                    vs.clear();
                    self.decode_raw(c.chunk_ref, &raw, &mut ts, &mut vs)?;
                    push_filtered(&ts, &vs, mint, maxt, deleted, floats);
                }
            }
        }
        Ok(())
    }

    /// The float samples of `series` in `[mint, maxt]` (without tombstoned
    /// ones) before its first native histogram sample there, appended to
    /// `out` in time order; returns that histogram sample's time, if any.
    /// (`promtool tsdb dump` of Prometheus 2.42 prints a series up to there.)
    pub fn read_floats_until_histogram(
        &self,
        series: &SeriesEntry,
        mint: i64,
        maxt: i64,
        out: &mut Vec<Sample>,
    ) -> Result<Option<i64>> {
        let deleted = self.tombstones.get(u64::from(series.id));
        let keep = |t: i64| t >= mint && t <= maxt && !deleted.is_some_and(|d| d.contains(t));
        let mut ts = Vec::new();
        let mut vs = Vec::new();
        for c in series.chunks.iter().filter(|c| c.overlaps(mint, maxt)) {
            let raw = self.chunks.chunk(c.chunk_ref)?;
            let corrupt = |e: ChunkError| self.corrupt_chunk(c.chunk_ref, e);
            let first = match raw.kind() {
                Some(Encoding::Histogram) => {
                    let mut it = HistogramIter::new(&raw.data).map_err(corrupt)?;
                    first_kept(|| Ok(it.advance()?.then(|| it.at().0)), keep).map_err(corrupt)?
                }
                Some(Encoding::FloatHistogram) => {
                    let mut it = FloatHistogramIter::new(&raw.data).map_err(corrupt)?;
                    first_kept(|| Ok(it.advance()?.then(|| it.at().0)), keep).map_err(corrupt)?
                }
                _ => {
                    ts.clear();
                    vs.clear();
                    self.decode_raw(c.chunk_ref, &raw, &mut ts, &mut vs)?;
                    push_filtered(&ts, &vs, mint, maxt, deleted, out);
                    None
                }
            };
            if first.is_some() {
                return Ok(first);
            }
        }
        Ok(None)
    }

    /// Decodes one chunk into timestamps and values.
    pub fn decode_chunk(&self, c: &ChunkMeta, ts: &mut Vec<i64>, vs: &mut Vec<f64>) -> Result<()> {
        let raw = self.chunks.chunk(c.chunk_ref)?;
        self.decode_raw(c.chunk_ref, &raw, ts, vs)
    }

    /// Decodes the float samples of a chunk read at `chunk_ref`.
    fn decode_raw(
        &self,
        chunk_ref: u64,
        raw: &RawChunk,
        ts: &mut Vec<i64>,
        vs: &mut Vec<f64>,
    ) -> Result<()> {
        match raw.kind() {
            Some(Encoding::Xor) => {
                decode_xor_into(&raw.data, ts, vs).map_err(|e| self.corrupt_chunk(chunk_ref, e))
            }
            _ => {
                let (seq, offset) = split_ref(chunk_ref);
                Err(Error::UnsupportedEncoding {
                    path: self.dir.join(CHUNKS_DIRNAME).join(segment_name(seq)),
                    offset,
                    encoding: raw.encoding,
                })
            }
        }
    }

    /// The error of a chunk at `chunk_ref` that does not decode.
    fn corrupt_chunk(&self, chunk_ref: u64, e: ChunkError) -> Error {
        let (seq, offset) = split_ref(chunk_ref);
        Error::Corrupt {
            path: self.dir.join(CHUNKS_DIRNAME).join(segment_name(seq)),
            offset,
            kind: e.into(),
        }
    }
}

/// The first timestamp `next` yields that `keep` accepts.
fn first_kept(
    mut next: impl FnMut() -> std::result::Result<Option<i64>, ChunkError>,
    keep: impl Fn(i64) -> bool,
) -> std::result::Result<Option<i64>, ChunkError> {
    while let Some(t) = next()? {
        if keep(t) {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

fn push_filtered(
    ts: &[i64],
    vs: &[f64],
    mint: i64,
    maxt: i64,
    deleted: Option<&Intervals>,
    out: &mut Vec<Sample>,
) {
    for (&t, &v) in ts.iter().zip(vs) {
        if t < mint || t > maxt || deleted.is_some_and(|d| d.contains(t)) {
            continue;
        }
        out.push((t, v));
    }
}

/// Bytes of the files under `dir`, recursively; unreadable entries count as 0.
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
