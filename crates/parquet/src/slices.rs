//! A block's chunks placed in time-slice columns. A raw chunk inside one slice is copied as
//! it is; one that crosses a slice boundary or holds deleted samples is decoded and written
//! again as one chunk per slice (parquet-common re-encodes every chunk; copying keeps the
//! stored bytes where nothing needs to change). Downsampled blocks have one slice, so their
//! aggregate chunks are always copied.

use bytes::Bytes;
use mnemos_tsdb::chunkenc::{
    decode_float_histograms, decode_histograms, decode_xor_into, AppendError, CounterResetHeader,
    Encoding, FloatHistogramEncoder, FloatHistogramIter, HistogramEncoder, HistogramIter, Pushed,
    XorEncoder, MAX_SAMPLES_PER_CHUNK,
};
use mnemos_tsdb::histogram::{FloatHistogram, Histogram};
use mnemos_tsdb::tombstones::Intervals;

use crate::cell::Record;
use crate::error::{Error, Result};
use crate::schema::TimeSlices;

/// Places one raw chunk (`encoding`, covering `[min, max]`) in `columns`, one record list
/// per slice, without the samples `deleted` covers.
pub(crate) fn place_raw_chunk(
    encoding: Encoding,
    data: Bytes,
    (min, max): (i64, i64),
    slices: &TimeSlices,
    deleted: Option<&Intervals>,
    columns: &mut [Vec<Record>],
) -> Result<()> {
    let touches_deleted = deleted.is_some_and(|d| !d.is_empty() && overlaps(d, min, max));
    let first = slices.index_of(min);
    if !touches_deleted && first == slices.index_of(max) {
        let col = columns
            .get_mut(first)
            .ok_or_else(|| outside(min, max, slices))?;
        col.push(Record {
            encoding: encoding.as_byte(),
            min_time: min,
            max_time: max,
            data,
        });
        return Ok(());
    }
    let keep = |t: i64| !deleted.is_some_and(|d| d.contains(t));
    match encoding {
        Encoding::Xor => {
            let (mut ts, mut vs) = (Vec::new(), Vec::new());
            decode_xor_into(&data, &mut ts, &mut vs).map_err(chunk_error)?;
            let samples = ts.into_iter().zip(vs).filter(|(t, _)| keep(*t));
            split(samples, slices, columns, |group| {
                let mut out = Vec::new();
                for piece in group.chunks(usize::from(MAX_SAMPLES_PER_CHUNK)) {
                    let mut enc = XorEncoder::new();
                    for &(t, v) in piece {
                        enc.append(t, v);
                    }
                    out.push(record(
                        encoding,
                        piece[0].0,
                        piece[piece.len() - 1].0,
                        enc.into_bytes(),
                    ));
                }
                Ok(out)
            })
        }
        Encoding::Histogram => {
            let header = HistogramIter::new(&data)
                .map_err(chunk_error)?
                .counter_reset_header();
            let samples = decode_histograms(&data).map_err(chunk_error)?;
            let samples = samples.into_iter().filter(|(t, _)| keep(*t));
            let mut header = Some(header);
            split(samples, slices, columns, |group| {
                recode::<HistogramEncoder>(encoding, group, header.take().unwrap_or_default())
            })
        }
        Encoding::FloatHistogram => {
            let header = FloatHistogramIter::new(&data)
                .map_err(chunk_error)?
                .counter_reset_header();
            let samples = decode_float_histograms(&data).map_err(chunk_error)?;
            let samples = samples.into_iter().filter(|(t, _)| keep(*t));
            let mut header = Some(header);
            split(samples, slices, columns, |group| {
                recode::<FloatHistogramEncoder>(encoding, group, header.take().unwrap_or_default())
            })
        }
    }
}

/// A native histogram chunk encoder (integer or float histograms).
trait HistogramChunk: Sized {
    /// The sample type.
    type Sample;
    /// An empty chunk with this counter-reset header.
    fn with_header(header: CounterResetHeader) -> Self;
    /// Appends, or says a new chunk must start (with which header).
    fn push(&mut self, t: i64, h: &Self::Sample) -> std::result::Result<Pushed, AppendError>;
    /// Appends to an empty chunk.
    fn append(&mut self, t: i64, h: &Self::Sample) -> std::result::Result<(), AppendError>;
    /// The last timestamp appended.
    fn max_time(&self) -> Option<i64>;
    /// The chunk's bytes.
    fn into_bytes(self) -> Vec<u8>;
}

macro_rules! histogram_chunk {
    ($encoder:ty, $sample:ty) => {
        impl HistogramChunk for $encoder {
            type Sample = $sample;
            fn with_header(header: CounterResetHeader) -> Self {
                <$encoder>::with_header(header)
            }
            fn push(&mut self, t: i64, h: &$sample) -> std::result::Result<Pushed, AppendError> {
                <$encoder>::push(self, t, h)
            }
            fn append(&mut self, t: i64, h: &$sample) -> std::result::Result<(), AppendError> {
                <$encoder>::append(self, t, h)
            }
            fn max_time(&self) -> Option<i64> {
                <$encoder>::max_time(self)
            }
            fn into_bytes(self) -> Vec<u8> {
                <$encoder>::into_bytes(self)
            }
        }
    };
}

histogram_chunk!(HistogramEncoder, Histogram);
histogram_chunk!(FloatHistogramEncoder, FloatHistogram);

/// One slice's histogram samples as chunks, cut where the encoder asks for a new chunk
/// (counter reset, layout change); the first chunk keeps the original chunk's header.
fn recode<E: HistogramChunk>(
    encoding: Encoding,
    group: &[(i64, E::Sample)],
    header: CounterResetHeader,
) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut enc = E::with_header(header);
    let mut start = group[0].0;
    for (t, h) in group {
        if let Pushed::NewChunk(next) = enc.push(*t, h).map_err(append_error)? {
            let full = std::mem::replace(&mut enc, E::with_header(next));
            out.push(record(
                encoding,
                start,
                full.max_time().unwrap_or(start),
                full.into_bytes(),
            ));
            start = *t;
            enc.append(*t, h).map_err(append_error)?;
        }
    }
    out.push(record(
        encoding,
        start,
        enc.max_time().unwrap_or(start),
        enc.into_bytes(),
    ));
    Ok(out)
}

/// Groups time-ordered samples by slice and has `encode` write each group's records.
fn split<S>(
    samples: impl Iterator<Item = (i64, S)>,
    slices: &TimeSlices,
    columns: &mut [Vec<Record>],
    mut encode: impl FnMut(&[(i64, S)]) -> Result<Vec<Record>>,
) -> Result<()> {
    let mut group: Vec<(i64, S)> = Vec::new();
    let mut current = None;
    let mut flush = |group: &mut Vec<(i64, S)>, col: Option<usize>| -> Result<()> {
        if let (Some(col), false) = (col, group.is_empty()) {
            let (min, max) = (group[0].0, group[group.len() - 1].0);
            let records = encode(group)?;
            columns
                .get_mut(col)
                .ok_or_else(|| outside(min, max, slices))?
                .extend(records);
        }
        group.clear();
        Ok(())
    };
    for (t, s) in samples {
        let col = slices.index_of(t);
        if current != Some(col) {
            flush(&mut group, current)?;
            current = Some(col);
        }
        group.push((t, s));
    }
    flush(&mut group, current)
}

fn record(encoding: Encoding, min_time: i64, max_time: i64, data: Vec<u8>) -> Record {
    Record {
        encoding: encoding.as_byte(),
        min_time,
        max_time,
        data: Bytes::from(data),
    }
}

fn overlaps(d: &Intervals, min: i64, max: i64) -> bool {
    d.as_slice()
        .iter()
        .any(|iv| iv.min_time <= max && min <= iv.max_time)
}

fn outside(min: i64, max: i64, slices: &TimeSlices) -> Error {
    Error::Schema(format!(
        "chunk [{min}, {max}] lies outside the block's time range [{}, {})",
        slices.min_t, slices.max_t
    ))
}

fn chunk_error(e: mnemos_tsdb::chunkenc::ChunkError) -> Error {
    Error::Cell(format!("source chunk: {e}"))
}

fn append_error(e: AppendError) -> Error {
    Error::Cell(format!("re-encoding a histogram chunk: {e}"))
}
