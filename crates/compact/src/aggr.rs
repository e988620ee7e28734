//! Downsampled chunks (Thanos' `AggrChunk`, encoding byte `0xff`): five optional XOR chunks
//! in the order count, sum, min, max, counter, each stored as `uvarint length | encoding
//! byte | data`, a length of 0 meaning the part is absent.

use mnemos_tsdb::chunkenc::{decode_xor_into, Encoding, XorEncoder};
use mnemos_tsdb::encoding::decode_uvarint;

use crate::error::{Error, Result};

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

/// Encodes the five parts (XOR chunk bytes, `None` when absent) as one aggregate chunk.
pub fn encode_aggr(parts: [Option<&[u8]>; 5]) -> Vec<u8> {
    let total: usize = parts.iter().flatten().map(|p| p.len() + 11).sum();
    let mut out = Vec::with_capacity(total + 5);
    for part in parts {
        match part {
            None => out.push(0),
            Some(data) => {
                put_uvarint(&mut out, data.len() as u64);
                out.push(Encoding::Xor.as_byte());
                out.extend_from_slice(data);
            }
        }
    }
    out
}

/// Splits aggregate chunk data into its five XOR parts (`None` when absent).
pub fn decode_aggr(data: &[u8]) -> Result<[Option<&[u8]>; 5]> {
    let mut out: [Option<&[u8]>; 5] = [None; 5];
    let mut at = 0usize;
    for (i, slot) in out.iter_mut().enumerate() {
        let (len, n) = decode_uvarint(data.get(at..).unwrap_or_default())
            .ok_or_else(|| Error::Chunk(format!("aggregate chunk: bad length of part {i}")))?;
        at += n;
        if len == 0 {
            continue;
        }
        let len = usize::try_from(len)
            .map_err(|_| Error::Chunk(format!("aggregate chunk: part {i} too long")))?;
        let end = at
            .checked_add(1 + len)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| Error::Chunk(format!("aggregate chunk: part {i} runs past the end")))?;
        let encoding = data[at];
        if encoding != Encoding::Xor.as_byte() {
            return Err(Error::Chunk(format!(
                "aggregate chunk: part {i} has encoding {encoding}, want XOR"
            )));
        }
        *slot = Some(&data[at + 1..end]);
        at = end;
    }
    Ok(out)
}

/// Decodes one part of an aggregate chunk into samples (empty when absent).
pub fn decode_part(data: &[u8], part: AggrType, out: &mut Vec<(i64, f64)>) -> Result<()> {
    out.clear();
    let parts = decode_aggr(data)?;
    if let Some(bytes) = parts[part as usize] {
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        decode_xor_into(bytes, &mut ts, &mut vs).map_err(|e| Error::Chunk(e.to_string()))?;
        out.extend(ts.into_iter().zip(vs));
    }
    Ok(())
}

/// Builds an aggregate chunk from appended samples of each part.
#[derive(Default)]
pub struct AggrChunkBuilder {
    parts: [XorEncoder; 5],
    min_time: Option<i64>,
    max_time: Option<i64>,
}

impl AggrChunkBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a sample to one part. Timestamps per part must not decrease.
    pub fn append(&mut self, part: AggrType, t: i64, v: f64) {
        self.parts[part as usize].append(t, v);
        self.min_time = Some(self.min_time.map_or(t, |m| m.min(t)));
        self.max_time = Some(self.max_time.map_or(t, |m| m.max(t)));
    }

    /// Appends one window's five aggregates (count, sum, min, max, counter) at `t`.
    pub fn append_window(&mut self, t: i64, values: [f64; 5]) {
        for (enc, v) in self.parts.iter_mut().zip(values) {
            enc.append(t, v);
        }
        self.min_time = Some(self.min_time.map_or(t, |m| m.min(t)));
        self.max_time = Some(self.max_time.map_or(t, |m| m.max(t)));
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.min_time.is_none()
    }

    /// The chunk: `(min_time, max_time, bytes)`, or `None` when empty.
    pub fn finish(self) -> Option<(i64, i64, Vec<u8>)> {
        let (min, max) = (self.min_time?, self.max_time?);
        let parts: Vec<Option<&[u8]>> = self
            .parts
            .iter()
            .map(|e| (e.num_samples() > 0).then(|| e.bytes()))
            .collect();
        let parts = [parts[0], parts[1], parts[2], parts[3], parts[4]];
        Some((min, max, encode_aggr(parts)))
    }
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_absent_parts() {
        let mut b = AggrChunkBuilder::new();
        b.append(AggrType::Count, 299_999, 3.0);
        b.append(AggrType::Sum, 299_999, 6.5);
        b.append(AggrType::Counter, 10, 1.0);
        b.append(AggrType::Counter, 299_999, 4.0);
        let (min, max, data) = b.finish().expect("not empty");
        assert_eq!((min, max), (10, 299_999));
        assert_eq!(data[0] & 0x80, 0);
        let parts = decode_aggr(&data).expect("decode");
        assert!(parts[2].is_none() && parts[3].is_none());
        let mut s = Vec::new();
        decode_part(&data, AggrType::Counter, &mut s).expect("counter");
        assert_eq!(s, vec![(10, 1.0), (299_999, 4.0)]);
        decode_part(&data, AggrType::Sum, &mut s).expect("sum");
        assert_eq!(s, vec![(299_999, 6.5)]);
        decode_part(&data, AggrType::Min, &mut s).expect("min");
        assert!(s.is_empty());
    }

    #[test]
    fn truncated_data_is_an_error() {
        let mut b = AggrChunkBuilder::new();
        b.append(AggrType::Count, 1, 1.0);
        let (_, _, data) = b.finish().expect("chunk");
        assert!(decode_aggr(&data[..data.len() - 1]).is_err());
        assert!(decode_aggr(&[]).is_err());
    }
}
