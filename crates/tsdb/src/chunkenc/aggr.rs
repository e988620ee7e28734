//! Downsampled chunks (Thanos' `AggrChunk`, stored with encoding byte `0xff`): five optional
//! chunks in the order count, sum, min, max, counter, each stored as `uvarint length |
//! encoding byte | data`, a length of 0 meaning the part is absent (DESIGN.md section 7).
//! Float series use XOR parts; native histogram series use [`AggrPart`]s of float histogram
//! chunks for sum and counter (see [`is_histogram_aggr`]).
//!
//! The counter part of each chunk is a running total with resets applied, preceded by the
//! chunk's first raw sample and followed by its last raw value at the timestamp of the last
//! window. [`apply_counter_resets`] reads such parts back as one monotonic counter, the way
//! Thanos' readers do; queries over downsampled counters (`rate`, `increase`, …) must read
//! them through it.

use crate::encoding::decode_uvarint;

use super::Encoding;

/// Encoding byte of an aggregate chunk in a chunk segment file.
pub const AGGR_ENCODING: u8 = 0xff;

/// The five aggregates, in storage order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggrType {
    /// Samples per window.
    Count = 0,
    /// Sum of the values per window.
    Sum = 1,
    /// Minimum per window.
    Min = 2,
    /// Maximum per window.
    Max = 3,
    /// Running counter total (resets applied), plus the first and last raw values.
    Counter = 4,
}

/// A malformed aggregate chunk.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("aggregate chunk: {0}")]
pub struct AggrChunkError(pub String);

/// One part of an aggregate chunk: a chunk of its own encoding. Float series keep all five
/// parts as XOR chunks; native histogram series (Thanos #8110) keep `count` as XOR and `sum`
/// and `counter` as float histogram chunks, without `min` and `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggrPart<'a> {
    /// The part's chunk encoding.
    pub encoding: Encoding,
    /// The part's chunk bytes.
    pub data: &'a [u8],
}

impl<'a> AggrPart<'a> {
    /// An XOR part.
    pub fn xor(data: &'a [u8]) -> Self {
        Self {
            encoding: Encoding::Xor,
            data,
        }
    }
}

/// Encodes the five parts (`None` when absent) as one aggregate chunk.
pub fn encode_aggr(parts: [Option<AggrPart<'_>>; 5]) -> Vec<u8> {
    let total: usize = parts.iter().flatten().map(|p| p.data.len() + 11).sum();
    let mut out = Vec::with_capacity(total + 5);
    for part in parts {
        match part {
            None => out.push(0),
            Some(part) => {
                let mut v = part.data.len() as u64;
                while v >= 0x80 {
                    out.push((v as u8) | 0x80);
                    v >>= 7;
                }
                out.push(v as u8);
                out.push(part.encoding.as_byte());
                out.extend_from_slice(part.data);
            }
        }
    }
    out
}

/// Splits aggregate chunk data into its five parts (`None` when absent).
pub fn decode_aggr(data: &[u8]) -> Result<[Option<AggrPart<'_>>; 5], AggrChunkError> {
    let mut out: [Option<AggrPart<'_>>; 5] = [None; 5];
    let mut at = 0usize;
    for (i, slot) in out.iter_mut().enumerate() {
        let (len, n) = decode_uvarint(data.get(at..).unwrap_or_default())
            .ok_or_else(|| AggrChunkError(format!("bad length of part {i}")))?;
        at += n;
        if len == 0 {
            continue;
        }
        let len = usize::try_from(len).map_err(|_| AggrChunkError(format!("part {i} too long")))?;
        let end = at
            .checked_add(1)
            .and_then(|e| e.checked_add(len))
            .filter(|&e| e <= data.len())
            .ok_or_else(|| AggrChunkError(format!("part {i} runs past the end")))?;
        let encoding = Encoding::from_byte(data[at])
            .ok_or_else(|| AggrChunkError(format!("part {i} has unknown encoding {}", data[at])))?;
        *slot = Some(AggrPart {
            encoding,
            data: &data[at + 1..end],
        });
        at = end;
    }
    Ok(out)
}

/// Whether decoded parts are a native histogram series' aggregates: Thanos' test, the
/// counter part is a (float) histogram chunk.
pub fn is_histogram_aggr(parts: &[Option<AggrPart<'_>>; 5]) -> bool {
    parts[AggrType::Counter as usize].is_some_and(|p| p.encoding != Encoding::Xor)
}

/// The counter parts of consecutive aggregate chunks (in time order) read as one counter
/// with resets applied: a monotonic running total. A sample at the same timestamp as the
/// previous one is a chunk's true last raw value; it only sets the value the next chunk's
/// first sample is compared with (a drop there is a reset). NaN samples are skipped.
/// Returns the samples and the last raw value.
pub fn apply_counter_resets(chunks: &[Vec<(i64, f64)>]) -> (Vec<(i64, f64)>, f64) {
    let mut out: Vec<(i64, f64)> = Vec::new();
    let (mut last_t, mut last_v, mut total) = (i64::MIN, 0.0f64, 0.0f64);
    for &(t, v) in chunks.iter().flatten() {
        if v.is_nan() {
            continue;
        }
        if out.is_empty() {
            (last_t, last_v, total) = (t, v, v);
            out.push((t, v));
            continue;
        }
        if t > last_t {
            total += if v >= last_v { v - last_v } else { v };
            (last_t, last_v) = (t, v);
            out.push((t, total));
        } else {
            last_v = v;
        }
    }
    (out, last_v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip() {
        let x = |d| Some(AggrPart::xor(d));
        let data = encode_aggr([x(&[1, 2, 3][..]), None, None, x(&[4][..]), None]);
        let parts = decode_aggr(&data).expect("decode");
        assert_eq!(parts, [x(&[1, 2, 3][..]), None, None, x(&[4][..]), None]);
        assert!(!is_histogram_aggr(&parts));
        assert!(decode_aggr(&data[..data.len() - 1]).is_err());
        assert!(decode_aggr(&[]).is_err());
    }

    #[test]
    fn a_huge_part_length_is_an_error_not_an_overflow() {
        // Part 0 announces 2^64 - 1 bytes.
        let mut data = vec![0xff; 9];
        data.extend_from_slice(&[0x01, Encoding::Xor.as_byte(), 0, 0]);
        let err = decode_aggr(&data).unwrap_err();
        assert!(err.0.contains("part 0 runs past the end"), "{err}");
        // A varint longer than 64 bits.
        assert!(decode_aggr(&[0x80; 11]).is_err());
    }

    #[test]
    fn counter_resets_across_chunks() {
        // Chunk 1 had a reset inside (running total 31 but last raw 11); chunk 2 goes on
        // from 11 without a reset, then chunk 3 starts after a reset.
        let chunks = vec![
            vec![(0, 15.0), (100, 31.0), (100, 11.0)],
            vec![(200, 12.0), (300, 14.0), (300, 14.0)],
            vec![(400, 2.0), (500, 5.0), (500, 5.0)],
        ];
        let (c, last) = apply_counter_resets(&chunks);
        assert_eq!(
            c,
            vec![
                (0, 15.0),
                (100, 31.0),
                (200, 32.0),
                (300, 34.0),
                (400, 36.0),
                (500, 39.0)
            ]
        );
        assert_eq!(last, 5.0);
    }
}
