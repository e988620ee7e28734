//! Byte-level primitives of the TSDB formats: a bounds-checked decoding buffer
//! (big-endian integers, Go-style varints, CRC32-Castagnoli) and its encoding twin.

use crate::error::{CorruptAt, Corruption};

/// CRC32-Castagnoli of `data`, as every TSDB file uses.
pub fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Checks that `stored` is the CRC32-Castagnoli of `data`; `offset` locates the checksum.
pub fn verify_crc(data: &[u8], stored: u32, offset: u64) -> Result<(), CorruptAt> {
    let computed = crc32c(data);
    if computed == stored {
        Ok(())
    } else {
        Err(CorruptAt::new(
            offset,
            Corruption::Checksum { stored, computed },
        ))
    }
}

/// Verifies the big-endian CRC32-Castagnoli stored right after `buf[start..end]`
/// against those bytes; `base` is the file offset of `buf[0]`.
pub fn verify_crc_after(buf: &[u8], start: usize, end: usize, base: u64) -> Result<(), CorruptAt> {
    let at = base.saturating_add(end as u64);
    let Some(stored) = buf.get(end..end.saturating_add(4)) else {
        return Err(CorruptAt::new(
            at,
            Corruption::Truncated {
                needed: 4,
                available: buf.len().saturating_sub(end) as u64,
            },
        ));
    };
    let stored = u32::from_be_bytes([stored[0], stored[1], stored[2], stored[3]]);
    let data = buf.get(start..end).ok_or_else(|| {
        CorruptAt::new(
            base.saturating_add(start as u64),
            Corruption::Invalid(format!(
                "checksummed range {start}..{end} is empty or reversed"
            )),
        )
    })?;
    verify_crc(data, stored, at)
}

/// Checks that `buf` starts with big-endian `magic` followed by the `version` byte.
pub fn check_header(buf: &[u8], magic: u32, version: u8) -> Result<(), CorruptAt> {
    let mut d = Decbuf::new(buf, 0);
    let found = d.be32()?;
    if found != magic {
        return Err(CorruptAt::new(
            0,
            Corruption::BadMagic {
                found,
                expected: magic,
            },
        ));
    }
    match d.u8()? {
        v if v == version => Ok(()),
        v => Err(CorruptAt::new(4, Corruption::BadVersion(v))),
    }
}

/// A cursor over bytes that never reads past the end; errors carry absolute offsets.
#[derive(Clone, Debug)]
pub struct Decbuf<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Decbuf<'a> {
    /// A cursor over `buf`, whose first byte is at absolute offset `base` in its file.
    pub fn new(buf: &'a [u8], base: u64) -> Self {
        Self { buf, pos: 0, base }
    }

    /// Absolute file offset of the next byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Position relative to the start of the buffer.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// An error of kind `kind` at the current position.
    pub fn error(&self, kind: Corruption) -> CorruptAt {
        CorruptAt::new(self.offset(), kind)
    }

    fn truncated(&self, needed: usize) -> CorruptAt {
        self.error(Corruption::Truncated {
            needed: needed as u64,
            available: self.remaining() as u64,
        })
    }

    /// Reads `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], CorruptAt> {
        if self.remaining() < n {
            return Err(self.truncated(n));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), CorruptAt> {
        self.bytes(n).map(|_| ())
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, CorruptAt> {
        Ok(self.bytes(1)?[0])
    }

    /// Reads a big-endian u32.
    pub fn be32(&mut self) -> Result<u32, CorruptAt> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a big-endian u64.
    pub fn be64(&mut self) -> Result<u64, CorruptAt> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// Reads an unsigned LEB128 varint (Go `binary.Uvarint`).
    pub fn uvarint(&mut self) -> Result<u64, CorruptAt> {
        match decode_uvarint(self.rest()) {
            Some((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            None => Err(self.error(Corruption::Varint)),
        }
    }

    /// Reads an unsigned varint that must fit in 32 bits.
    pub fn uvarint32(&mut self) -> Result<u32, CorruptAt> {
        let at = self.offset();
        let v = self.uvarint()?;
        u32::try_from(v).map_err(|_| {
            CorruptAt::new(
                at,
                Corruption::Invalid(format!("varint {v} exceeds 32 bits")),
            )
        })
    }

    /// Reads a zigzag signed varint (Go `binary.Varint`).
    pub fn varint(&mut self) -> Result<i64, CorruptAt> {
        let u = self.uvarint()?;
        Ok(unzigzag(u))
    }

    /// Reads a uvarint length followed by that many bytes.
    pub fn uvarint_bytes(&mut self) -> Result<&'a [u8], CorruptAt> {
        let n = self.uvarint()?;
        let n = usize::try_from(n).map_err(|_| self.truncated(usize::MAX))?;
        self.bytes(n)
    }

    /// Reads a uvarint-prefixed UTF-8 string.
    pub fn uvarint_str(&mut self) -> Result<&'a str, CorruptAt> {
        let at = self.offset();
        let b = self.uvarint_bytes()?;
        std::str::from_utf8(b)
            .map_err(|_| CorruptAt::new(at, Corruption::Invalid("string is not UTF-8".into())))
    }
}

/// Decodes an unsigned varint from the front of `b`: value and bytes used.
pub fn decode_uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x: u64 = 0;
    let mut shift = 0u32;
    for (i, &byte) in b.iter().enumerate() {
        if i == 10 {
            return None;
        }
        if byte < 0x80 {
            if i == 9 && byte > 1 {
                return None;
            }
            return Some((x | (u64::from(byte) << shift), i + 1));
        }
        x |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    None
}

/// Zigzag-decodes a signed varint's unsigned form.
pub fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Zigzag-encodes a signed integer.
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// A growable output buffer with the same primitives as [`Decbuf`].
#[derive(Clone, Debug, Default)]
pub struct Encbuf {
    buf: Vec<u8>,
}

impl Encbuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes written.
    pub fn get(&self) -> &[u8] {
        &self.buf
    }

    /// Empties the buffer, keeping its capacity.
    pub fn reset(&mut self) {
        self.buf.clear();
    }

    /// Appends raw bytes.
    pub fn put_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Appends one byte.
    pub fn put_u8(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// Appends a big-endian u32.
    pub fn put_be32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends a big-endian u64.
    pub fn put_be64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Overwrites a big-endian u32 at `pos` (for length fields written after their body).
    pub fn patch_be32(&mut self, pos: usize, v: u32) {
        self.buf[pos..pos + 4].copy_from_slice(&v.to_be_bytes());
    }

    /// Appends an unsigned varint.
    pub fn put_uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    /// Appends a zigzag signed varint.
    pub fn put_varint(&mut self, v: i64) {
        self.put_uvarint(zigzag(v));
    }

    /// Appends a uvarint length and the string's bytes.
    pub fn put_uvarint_str(&mut self, s: &str) {
        self.put_uvarint(s.len() as u64);
        self.put_bytes(s.as_bytes());
    }

    /// Appends the CRC32-Castagnoli of the bytes from `from` to the end.
    pub fn put_crc_of_tail(&mut self, from: usize) {
        let c = crc32c(&self.buf[from..]);
        self.put_be32(c);
    }

    /// Takes the bytes out.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_like_go() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut e = Encbuf::new();
            e.put_uvarint(v);
            let mut d = Decbuf::new(e.get(), 0);
            assert_eq!(d.uvarint().unwrap(), v);
            assert_eq!(d.remaining(), 0);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, 1_700_000_000_000] {
            let mut e = Encbuf::new();
            e.put_varint(v);
            assert_eq!(Decbuf::new(e.get(), 0).varint().unwrap(), v);
        }
        // Go's PutVarint(1700000000000) as seen in a promtool chunk.
        let mut e = Encbuf::new();
        e.put_varint(1_700_000_000_000);
        assert_eq!(e.get(), &[0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62]);
    }

    #[test]
    fn overlong_and_truncated_varints_are_errors() {
        assert!(decode_uvarint(&[0x80; 11]).is_none());
        assert!(decode_uvarint(&[0x80, 0x80]).is_none());
        assert!(
            decode_uvarint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).is_none()
        );
        let mut d = Decbuf::new(&[0, 0, 1], 100);
        let err = d.be32().unwrap_err();
        assert_eq!(err.offset, 100);
        assert!(matches!(
            err.kind,
            Corruption::Truncated {
                needed: 4,
                available: 3
            }
        ));
    }
}
