//! Downsampled chunks (Thanos' `AggrChunk`, encoding byte `0xff`): the codec lives in
//! `mnemos_tsdb::chunkenc::aggr` (shared with readers); this module builds chunks from
//! appended aggregates and decodes single parts.

use mnemos_tsdb::chunkenc::{decode_xor_into, Encoding, XorEncoder};

use crate::error::{Error, Result};

pub use mnemos_tsdb::chunkenc::aggr::{encode_aggr, AggrPart, AggrType, AGGR_ENCODING};

/// Splits aggregate chunk data into its five parts (`None` when absent).
pub fn decode_aggr(data: &[u8]) -> Result<[Option<AggrPart<'_>>; 5]> {
    mnemos_tsdb::chunkenc::aggr::decode_aggr(data).map_err(|e| Error::Chunk(e.to_string()))
}

/// Decodes one XOR part of an aggregate chunk into samples (empty when absent; an error
/// when the part is a histogram chunk).
pub fn decode_part(data: &[u8], part: AggrType, out: &mut Vec<(i64, f64)>) -> Result<()> {
    out.clear();
    let parts = decode_aggr(data)?;
    if let Some(p) = parts[part as usize] {
        if p.encoding != Encoding::Xor {
            return Err(Error::Chunk(format!(
                "aggregate part {part:?} is a {:?} chunk, want XOR",
                p.encoding
            )));
        }
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        decode_xor_into(p.data, &mut ts, &mut vs).map_err(|e| Error::Chunk(e.to_string()))?;
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
        let parts = self
            .parts
            .each_ref()
            .map(|e| (e.num_samples() > 0).then(|| AggrPart::xor(e.bytes())));
        Some((min, max, encode_aggr(parts)))
    }
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
