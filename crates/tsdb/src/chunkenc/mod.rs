//! Chunk encodings of the Prometheus TSDB (`chunkenc` in Prometheus).
//!
//! All three encodings Prometheus 2.42 writes are implemented, bit-exact
//! with it: chunks written by Prometheus decode here and chunks encoded here
//! load in Prometheus, byte-identical to Prometheus' own for the same
//! samples.
//!
//! * float XOR ("Gorilla" compression, encoding byte `1`): [`XorEncoder`],
//!   [`decode_xor_into`], [`XorIter`];
//! * integer native histograms (encoding byte `2`): [`HistogramEncoder`],
//!   [`HistogramIter`], [`decode_histograms`];
//! * float native histograms (encoding byte `3`): [`FloatHistogramEncoder`],
//!   [`FloatHistogramIter`], [`decode_float_histograms`].
//!
//! # XOR chunk layout
//!
//! A chunk is a 2-byte big-endian sample count followed by an MSB-first bit
//! stream whose final byte is zero-padded:
//!
//! * sample 0: the timestamp as a zig-zag varint (Go `binary.PutVarint`),
//!   then the 64 bits of the value;
//! * sample 1: the timestamp delta as an unsigned varint (Go
//!   `binary.PutUvarint`), then the XOR-encoded value;
//! * sample `n >= 2`: the delta-of-delta of the timestamp in one of five
//!   variable-length forms (`0`, `10`+14 bits, `110`+17 bits, `1110`+20 bits,
//!   `1111`+64 bits), then the XOR-encoded value.
//!
//! Values are handled as bit patterns throughout: every `f64` (all NaN
//! payloads including the Prometheus stale marker, `-0.0`, subnormals, the
//! infinities) round-trips bit-exactly.
//!
//! The encoder output is byte-identical to Prometheus 2.42's, including a
//! quirk of its bit writer: when the last write of a sample is a multiple
//! of 8 bits (the 64 value bits of sample 0, or an XOR payload of 8, 16, ...
//! significant bits) and ends on a byte boundary, the chunk ends with an
//! extra zero byte (so a 1-sample chunk is one byte longer than its bits
//! need). Decoders, ours and Prometheus', ignore bytes after the last
//! sample. The histogram encoders reproduce the same quirk.
//!
//! # Histogram chunk layout
//!
//! A 2-byte big-endian sample count, a byte whose top two bits are the
//! [`CounterResetHeader`] (`00` unknown, `10` counter reset, `01` no counter
//! reset, `11` gauge; the other six bits zero), then an MSB-first bit stream.
//! Integers in it use the "varbit" encoding: `0` for zero, else a prefix
//! `10`, `110`, ..., `11111110`, `11111111` followed by 3, 6, 9, 12, 18, 25,
//! 56 or 64 bits (two's complement for signed values).
//!
//! The first sample starts with the chunk's layout: the zero threshold (one
//! byte: 0 for 0, `e + 243` for `0.5 * 2^e` with `-242 <= e <= 11`, else 255
//! and the 64 bits), the schema (varbit), then for the positive and then the
//! negative buckets the number of spans (varbit unsigned) and each span's
//! length (unsigned) and offset (signed). Then:
//!
//! * integer histograms: the timestamp (varbit), count and zero count
//!   (varbit unsigned), the 64 bits of the sum, each bucket's stored value
//!   (varbit, delta-encoded across buckets as in [`Histogram`]); later
//!   samples: the delta-of-delta of the timestamp, count and zero count
//!   (varbit; the second sample's "delta of delta" is its delta), the
//!   XOR-encoded sum, and each bucket's delta-of-delta;
//! * float histograms: the timestamp (varbit), then the 64 bits of count,
//!   zero count, sum and each bucket; later samples: the timestamp's
//!   delta-of-delta, then count, zero count, sum and each bucket XOR-encoded
//!   against their previous values (each with its own XOR window).
//!
//! A stale marker (a sum with [`STALE_NAN_BITS`]) is written without
//! buckets (and, as the first sample, with an empty layout); decoders return
//! it as [`Histogram::stale`] / [`FloatHistogram::stale`].
//!
//! All samples of a chunk share its layout. When a counter histogram brings
//! new buckets, Prometheus rewrites the chunk with empty buckets inserted
//! ("recoding", [`HistogramEncoder::recode`]); when a count decreases, a
//! bucket disappears, the schema or zero threshold changes, or a sample
//! follows a stale marker, it cuts a new chunk. Gauge histograms recode both
//! the chunk and the sample to the union of their layouts. The encoders'
//! `appendable` / `appendable_gauge` give Prometheus' decision and `push`
//! acts on it; `new_chunk_header` gives the header Prometheus sets on a new
//! chunk.
//!
//! # Entry points
//!
//! * [`XorEncoder`] builds a chunk sample by sample ([`encode_xor`] for a
//!   whole slice at once);
//! * [`decode_xor_into`] decodes a whole chunk into two column vectors, the
//!   fast path for queries (several hundred million samples per second);
//! * [`XorIter`] decodes sample by sample;
//! * the histogram encoders and iterators above.
//!
//! All decoders accept any input without panicking: truncated or corrupt
//! chunks give a [`ChunkError`] (or, for corruption that still parses,
//! different samples), and no decoder allocates more than a small multiple
//! of the chunk's size.
#![deny(missing_docs)]

pub mod aggr;
mod bstream;
mod float_histogram;
mod histogram;
mod histogram_meta;
mod histogram_push;
mod xor;

#[cfg(doc)]
use crate::histogram::{FloatHistogram, Histogram};

pub use float_histogram::{decode_float_histograms, FloatHistogramEncoder, FloatHistogramIter};
pub use histogram::{decode_histograms, HistogramEncoder, HistogramIter};
pub use histogram_meta::{
    AppendError, Appendable, CounterResetHeader, GaugeInserts, Insert, Pushed,
};
pub use xor::{decode_xor_into, encode_xor, XorEncoder, XorIter, MAX_SAMPLES_PER_CHUNK};

/// The samples of a native histogram chunk of either encoding as float histograms, as
/// PromQL sees every histogram sample (integer ones converted with
/// [`Histogram::to_float_from_absolute`]); `None` for an XOR chunk.
pub fn decode_as_float_histograms(
    encoding: Encoding,
    chunk: &[u8],
) -> Option<Result<Vec<(i64, crate::histogram::FloatHistogram)>, ChunkError>> {
    match encoding {
        Encoding::Xor => None,
        Encoding::FloatHistogram => Some(decode_float_histograms(chunk)),
        Encoding::Histogram => Some(HistogramIter::new(chunk).and_then(|mut it| {
            let mut out = Vec::with_capacity(usize::from(it.num_samples()));
            while it.advance()? {
                let (t, h) = it.at();
                out.push((t, h.to_float_from_absolute()));
            }
            Ok(out)
        })),
    }
}

/// Prometheus stale marker: the NaN written when a series disappears.
///
/// Compare values against it with `v.to_bits() == STALE_NAN_BITS`, never with
/// float comparison.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Chunk encodings as stored in the chunk segment encoding byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Float samples, XOR ("Gorilla") compressed. Byte value `1`.
    Xor,
    /// Native histograms with integer counts. Byte value `2`; see
    /// [`HistogramEncoder`] and [`HistogramIter`].
    Histogram,
    /// Native histograms with float counts. Byte value `3`; see
    /// [`FloatHistogramEncoder`] and [`FloatHistogramIter`].
    FloatHistogram,
}

impl Encoding {
    /// Parses the encoding byte of a chunk segment entry; `None` for values
    /// Prometheus does not define (including `0`, "none").
    pub fn from_byte(b: u8) -> Option<Encoding> {
        match b {
            1 => Some(Encoding::Xor),
            2 => Some(Encoding::Histogram),
            3 => Some(Encoding::FloatHistogram),
            _ => None,
        }
    }

    /// The encoding byte as stored in chunk segment files.
    pub const fn as_byte(self) -> u8 {
        match self {
            Encoding::Xor => 1,
            Encoding::Histogram => 2,
            Encoding::FloatHistogram => 3,
        }
    }
}

/// Errors decoding a chunk.
///
/// These carry no file context (segment, offset, series); callers add it.
/// Bit offsets count from the first byte of the chunk, i.e. they include the
/// 16 bits of the sample-count header.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// The chunk is shorter than its 2-byte sample-count header.
    #[error("chunk too short: {len} byte(s), need at least 2 for the sample count")]
    TooShort {
        /// Length of the data that was given.
        len: usize,
    },
    /// The bit stream ended before all samples announced by the header were
    /// read.
    #[error(
        "chunk truncated: sample {sample} (starting at bit {bit_offset}) runs past the end \
         of the {len}-byte chunk"
    )]
    Truncated {
        /// Index of the sample that could not be read completely.
        sample: u16,
        /// Bit offset at which that sample starts.
        bit_offset: u64,
        /// Length of the chunk in bytes.
        len: usize,
    },
    /// The varint timestamp of sample 0 or the varint delta of sample 1 is
    /// longer than 10 bytes or overflows 64 bits.
    #[error("corrupt chunk: varint of sample {sample} overflows 64 bits")]
    VarintOverflow {
        /// Index of the sample (0 or 1).
        sample: u16,
    },
    /// An XOR value header announces a window that does not fit in 64 bits
    /// (leading zeros + significant bits > 64).
    #[error(
        "corrupt chunk: sample {sample} has an XOR window of {leading} leading zero(s) and \
         {significant} significant bit(s), more than 64"
    )]
    BadXorWindow {
        /// Index of the sample.
        sample: u16,
        /// Leading zero count read from the stream.
        leading: u8,
        /// Significant bit count read from the stream (0 already mapped to 64).
        significant: u8,
    },
    /// A histogram chunk is shorter than its 3-byte header.
    #[error("histogram chunk too short: {len} byte(s), need at least 3 for the header")]
    HistogramTooShort {
        /// Length of the data that was given.
        len: usize,
    },
    /// A histogram chunk's layout cannot be valid.
    #[error("corrupt histogram chunk: {0}")]
    BadLayout(&'static str),
    /// The chunk has an encoding this decoder does not handle.
    #[error("unsupported chunk encoding {0}")]
    UnsupportedEncoding(u8),
}

#[cfg(test)]
mod histogram_tests;
#[cfg(test)]
mod tests;
