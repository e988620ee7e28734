//! Series entries: a label set (symbol references) and chunk metas.

use crate::chunks::ChunkMeta;
use crate::encoding::{verify_crc, Decbuf, Encbuf};
use crate::error::{CorruptAt, Corruption, Error};
use crate::labels::Labels;

/// A series entry as stored: label pairs as symbol references, and chunk metas.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeriesRefs {
    /// (name ref, value ref) pairs in label-name order.
    pub labels: Vec<(u32, u32)>,
    /// Chunk metas in time order.
    pub chunks: Vec<ChunkMeta>,
}

/// A series with its labels resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesEntry {
    /// Series ID (offset / 16).
    pub id: u32,
    /// The label set.
    pub labels: Labels,
    /// Chunk metas in time order.
    pub chunks: Vec<ChunkMeta>,
}

/// Decodes a series entry from the front of `buf` (which starts at file offset
/// `offset`): `uvarint len | body | CRC32C`. Verifies the checksum.
pub fn decode_series(buf: &[u8], offset: u64) -> Result<SeriesRefs, CorruptAt> {
    let mut d = Decbuf::new(buf, offset);
    let len = d.uvarint()?;
    // A length past the data fails in `bytes` (as `usize::MAX` when it does not fit).
    let body = d.bytes(usize::try_from(len).unwrap_or(usize::MAX))?;
    let crc_at = d.offset();
    let stored = d.be32()?;
    verify_crc(body, stored, crc_at)?;
    let mut d = Decbuf::new(body, crc_at - body.len() as u64);
    let nlabels = usize::try_from(d.uvarint()?).unwrap_or(usize::MAX);
    // Each label takes at least two bytes: a count past the body is corrupt, and checking
    // it first bounds the allocation below.
    if nlabels > body.len() {
        return Err(d.error(Corruption::Invalid(format!("series has {nlabels} labels"))));
    }
    let mut labels = Vec::with_capacity(nlabels);
    for _ in 0..nlabels {
        labels.push((d.uvarint32()?, d.uvarint32()?));
    }
    let nchunks = usize::try_from(d.uvarint()?).unwrap_or(usize::MAX);
    if nchunks > body.len() {
        return Err(d.error(Corruption::Invalid(format!("series has {nchunks} chunks"))));
    }
    let mut chunks = Vec::with_capacity(nchunks);
    let mut prev: Option<ChunkMeta> = None;
    for _ in 0..nchunks {
        let at = d.offset();
        let meta = match prev {
            None => {
                let min_time = d.varint()?;
                let max_time = min_time.wrapping_add(d.uvarint()? as i64);
                let chunk_ref = d.uvarint()?;
                ChunkMeta {
                    min_time,
                    max_time,
                    chunk_ref,
                }
            }
            Some(p) => {
                let min_time = p.max_time.wrapping_add(d.uvarint()? as i64);
                let max_time = min_time.wrapping_add(d.uvarint()? as i64);
                let chunk_ref = (p.chunk_ref as i64).wrapping_add(d.varint()?) as u64;
                ChunkMeta {
                    min_time,
                    max_time,
                    chunk_ref,
                }
            }
        };
        if meta.max_time < meta.min_time {
            return Err(CorruptAt::new(
                at,
                Corruption::Invalid("chunk max time before min time".into()),
            ));
        }
        chunks.push(meta);
        prev = Some(meta);
    }
    Ok(SeriesRefs { labels, chunks })
}

/// Encodes a series entry (length, body, CRC) into `e`.
pub fn encode_series(
    e: &mut Encbuf,
    labels: &[(u32, u32)],
    chunks: &[ChunkMeta],
) -> Result<(), Error> {
    let mut body = Encbuf::new();
    body.put_uvarint(labels.len() as u64);
    for &(n, v) in labels {
        body.put_uvarint(u64::from(n));
        body.put_uvarint(u64::from(v));
    }
    body.put_uvarint(chunks.len() as u64);
    let mut prev: Option<&ChunkMeta> = None;
    for c in chunks {
        if c.max_time < c.min_time {
            return Err(Error::InvalidInput(format!(
                "chunk max time {} before min time {}",
                c.max_time, c.min_time
            )));
        }
        match prev {
            None => {
                body.put_varint(c.min_time);
                body.put_uvarint((c.max_time - c.min_time) as u64);
                body.put_uvarint(c.chunk_ref);
            }
            Some(p) => {
                if c.min_time < p.max_time {
                    return Err(Error::InvalidInput(format!(
                        "chunks overlap or are out of order: min time {} before previous max time {}",
                        c.min_time, p.max_time
                    )));
                }
                body.put_uvarint((c.min_time - p.max_time) as u64);
                body.put_uvarint((c.max_time - c.min_time) as u64);
                body.put_varint(c.chunk_ref as i64 - p.chunk_ref as i64);
            }
        }
        prev = Some(c);
    }
    e.put_uvarint(body.len() as u64);
    let from = e.len();
    e.put_bytes(body.get());
    e.put_crc_of_tail(from);
    Ok(())
}
