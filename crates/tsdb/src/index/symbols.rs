//! The symbol table: sorted, deduplicated strings referenced by position.

use bytes::Bytes;

use crate::encoding::Decbuf;
use crate::error::{CorruptAt, Corruption};

/// A decoded symbol table. Keeps the section bytes and one offset per symbol.
#[derive(Clone, Debug)]
pub struct Symbols {
    body: Bytes,
    /// Offset of each symbol's length prefix within `body`.
    offsets: Vec<u32>,
    /// File offset of `body`, for errors.
    base: u64,
}

impl Symbols {
    /// Decodes a symbol table from its section body (the `len` bytes after the
    /// length field), which starts at file offset `base`.
    pub fn decode(body: Bytes, base: u64) -> Result<Self, CorruptAt> {
        let mut d = Decbuf::new(&body, base);
        let count = d.be32()? as usize;
        if count > body.len() {
            return Err(d.error(Corruption::Invalid(format!(
                "symbol count {count} exceeds the table size"
            ))));
        }
        let mut offsets = Vec::with_capacity(count);
        let mut prev: Option<&[u8]> = None;
        for _ in 0..count {
            offsets.push(d.position() as u32);
            let at = d.offset();
            let s = d.uvarint_bytes()?;
            if std::str::from_utf8(s).is_err() {
                return Err(CorruptAt::new(
                    at,
                    Corruption::Invalid("symbol is not UTF-8".into()),
                ));
            }
            if prev.is_some_and(|p| p >= s) {
                return Err(CorruptAt::new(
                    at,
                    Corruption::Invalid("symbols are not sorted".into()),
                ));
            }
            prev = Some(s);
        }
        Ok(Self {
            body,
            offsets,
            base,
        })
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// The symbol with reference `r`.
    pub fn lookup(&self, r: u32) -> Result<&str, CorruptAt> {
        let off = *self.offsets.get(r as usize).ok_or_else(|| {
            CorruptAt::new(
                self.base,
                Corruption::Invalid(format!(
                    "symbol reference {r} out of range ({} symbols)",
                    self.len()
                )),
            )
        })? as usize;
        let mut d = Decbuf::new(&self.body[off..], self.base + off as u64);
        let s = d.uvarint_bytes()?;
        // Validated as UTF-8 in `decode`.
        std::str::from_utf8(s).map_err(|_| {
            CorruptAt::new(
                self.base + off as u64,
                Corruption::Invalid("symbol is not UTF-8".into()),
            )
        })
    }

    /// Iterates all symbols in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).filter_map(|r| self.lookup(r).ok())
    }

    /// Approximate heap bytes held.
    pub fn size_bytes(&self) -> usize {
        self.body.len() + self.offsets.len() * 4
    }
}
