//! The local index header of a block: the byte ranges of its index that every query needs
//! (file header, symbol table, postings offset table, TOC), fetched once with four range
//! requests and kept under the data directory so restarts need no bucket request. The rest
//! of the index (postings lists, series) is read by range when a query needs it.
//!
//! File format (little-endian): `MNEMOSIH` magic, u32 version (1), u64 index size, u32 range
//! count, per range u64 start and u64 length, then the ranges' bytes back to back.

use std::path::Path;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use mnemos_objstore::Bucket;
use mnemos_tsdb::index::{Toc, HEADER_LEN, TOC_LEN};
use mnemos_tsdb::{BytesFile, ReadAt};
use ulid::Ulid;

use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"MNEMOSIH";
const VERSION: u32 = 1;
/// Name of the header file inside the block's local directory.
pub const HEADER_FILE: &str = "index-header";

/// The locally kept ranges of one index file.
#[derive(Clone, Debug)]
pub struct IndexHeader {
    /// Size of the index object in the bucket.
    pub index_size: u64,
    /// `(start, bytes)` sorted by start.
    pub ranges: Vec<(u64, Bytes)>,
    /// The decoded TOC.
    pub toc: Toc,
}

fn corrupt(block: Ulid, what: impl Into<String>) -> Error {
    Error::CorruptBlock {
        block,
        reason: what.into(),
    }
}

impl IndexHeader {
    /// Fetches the header ranges of block `id`'s index from the bucket.
    pub async fn build(bucket: &Bucket, id: Ulid) -> Result<Self> {
        let key = format!("{id}/index");
        let size = bucket
            .size(&key)
            .await?
            .ok_or_else(|| corrupt(id, "index file is missing"))?;
        let min = HEADER_LEN + TOC_LEN as u64;
        if size < min {
            return Err(corrupt(
                id,
                format!("index is {size} bytes, shorter than {min}"),
            ));
        }
        let toc_at = size - TOC_LEN as u64;
        let (head, toc_bytes) = futures::try_join!(
            bucket.get_range(&key, 0..HEADER_LEN),
            bucket.get_range(&key, toc_at..size)
        )?;
        let toc = Toc::decode(&toc_bytes, toc_at).map_err(|e| Error::Tsdb {
            block: id,
            source: e.in_file(Path::new(&key)),
        })?;
        let symbols_end = if toc.series > toc.symbols {
            toc.series
        } else {
            toc_at
        };
        for (what, start, end) in [
            ("symbols", toc.symbols, symbols_end),
            ("postings offset table", toc.postings_table, toc_at),
        ] {
            if start < HEADER_LEN || start >= end || end > toc_at {
                return Err(corrupt(
                    id,
                    format!("index TOC: {what} section [{start}, {end}) out of range"),
                ));
            }
        }
        let (symbols, table) = futures::try_join!(
            bucket.get_range(&key, toc.symbols..symbols_end),
            bucket.get_range(&key, toc.postings_table..toc_at)
        )?;
        Ok(Self {
            index_size: size,
            ranges: vec![
                (0, head),
                (toc.symbols, symbols),
                (toc.postings_table, table),
                (toc_at, toc_bytes),
            ],
            toc,
        })
    }

    /// Writes the header file atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut out = BytesMut::new();
        out.put_slice(MAGIC);
        out.put_u32_le(VERSION);
        out.put_u64_le(self.index_size);
        out.put_u32_le(self.ranges.len() as u32);
        for (start, data) in &self.ranges {
            out.put_u64_le(*start);
            out.put_u64_le(data.len() as u64);
        }
        for (_, data) in &self.ranges {
            out.put_slice(data);
        }
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!("{HEADER_FILE}.tmp"));
        std::fs::write(&tmp, &out).map_err(io)?;
        std::fs::rename(&tmp, dir.join(HEADER_FILE)).map_err(io)
    }

    /// Reads a header file (memory-mapped); `None` when it is missing or unusable. Every
    /// count and range in it is checked against the file and the index size it records, so a
    /// damaged header is rebuilt instead of misread.
    pub fn load(dir: &Path) -> Option<Self> {
        let file = BytesFile::map(&dir.join(HEADER_FILE)).ok()?;
        let all = file.read_at(0, usize::try_from(file.size()).ok()?).ok()?;
        Self::decode(all)
    }

    /// Decodes the bytes of a header file (see [`IndexHeader::load`]).
    pub fn decode(all: Bytes) -> Option<Self> {
        let mut b = all.clone();
        if b.remaining() < 24 || &b.copy_to_bytes(8)[..] != MAGIC || b.get_u32_le() != VERSION {
            return None;
        }
        let index_size = b.get_u64_le();
        let n = b.get_u32_le() as usize;
        if b.remaining() < n.checked_mul(16)? {
            return None;
        }
        let spans: Vec<(u64, u64)> = (0..n).map(|_| (b.get_u64_le(), b.get_u64_le())).collect();
        let mut at = all.len() - b.remaining();
        let mut ranges = Vec::with_capacity(n);
        for (start, len) in spans {
            let in_index = start.checked_add(len).is_some_and(|end| end <= index_size);
            let end = at.checked_add(usize::try_from(len).ok()?)?;
            if !in_index || end > all.len() {
                return None;
            }
            ranges.push((start, all.slice(at..end)));
            at = end;
        }
        let (toc_at, toc_bytes) = ranges.last()?.clone();
        if toc_at.checked_add(TOC_LEN as u64) != Some(index_size) {
            return None;
        }
        let toc = Toc::decode(&toc_bytes, toc_at).ok()?;
        Some(Self {
            index_size,
            ranges,
            toc,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> IndexHeader {
        let mut toc = bytes::BytesMut::new();
        let mut e = mnemos_tsdb::encoding::Encbuf::new();
        Toc::default().encode(&mut e);
        toc.put_slice(e.get());
        IndexHeader {
            index_size: 100 + TOC_LEN as u64,
            ranges: vec![
                (0, Bytes::from_static(&[1, 2, 3, 4, 5])),
                (100, toc.freeze()),
            ],
            toc: Toc::default(),
        }
    }

    fn encoded(h: &IndexHeader) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("tempdir");
        h.write(dir.path()).expect("write");
        std::fs::read(dir.path().join(HEADER_FILE)).expect("read")
    }

    #[test]
    fn headers_round_trip() {
        let h = header();
        let back = IndexHeader::decode(Bytes::from(encoded(&h))).expect("valid");
        assert_eq!(back.index_size, h.index_size);
        assert_eq!(back.ranges, h.ranges);
    }

    #[test]
    fn damaged_headers_are_refused_not_misread() {
        let good = encoded(&header());
        // Range count 2^32 - 1: more than the file holds.
        let mut bad = good.clone();
        bad[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(IndexHeader::decode(Bytes::from(bad)).is_none());
        // A range length of 2^64 - 1.
        let mut bad = good.clone();
        bad[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(IndexHeader::decode(Bytes::from(bad)).is_none());
        // A range starting past the index it describes.
        let mut bad = good.clone();
        bad[24..32].copy_from_slice(&(u64::MAX - 2).to_le_bytes());
        assert!(IndexHeader::decode(Bytes::from(bad)).is_none());
        // Index size not ending at the TOC.
        let mut bad = good.clone();
        bad[12..20].copy_from_slice(&1_000u64.to_le_bytes());
        assert!(IndexHeader::decode(Bytes::from(bad)).is_none());
        // Every truncation.
        for len in 0..good.len() {
            assert!(IndexHeader::decode(Bytes::copy_from_slice(&good[..len])).is_none());
        }
    }
}
