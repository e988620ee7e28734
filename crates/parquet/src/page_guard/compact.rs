//! A reader of Thrift's compact protocol over a buffer, every read bounds-checked.

use parquet::errors::ParquetError;

use super::bad;

/// Deepest nesting of Thrift structs accepted in a page header.
const MAX_DEPTH: usize = 8;

/// Thrift compact protocol types.
pub(super) const TRUE: u8 = 1;
pub(super) const FALSE: u8 = 2;
pub(super) const I32: u8 = 5;
pub(super) const STRUCT: u8 = 12;

/// A Thrift compact protocol reader over a buffer, every read bounds-checked.
pub(super) struct Compact<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Compact<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(super) fn byte(&mut self) -> Result<u8, ParquetError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| bad("header beyond the read"))?;
        self.pos += 1;
        Ok(b)
    }

    pub(super) fn varint(&mut self) -> Result<u64, ParquetError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("varint longer than 10 bytes"))
    }

    pub(super) fn zigzag(&mut self) -> Result<i64, ParquetError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    pub(super) fn i32(&mut self) -> Result<i32, ParquetError> {
        i32::try_from(self.zigzag()?).map_err(|_| bad("i32 out of range"))
    }

    /// The next field's id and type; `None` at the struct's end.
    pub(super) fn field(&mut self, last: &mut i16) -> Result<Option<(i16, u8)>, ParquetError> {
        let b = self.byte()?;
        if b == 0 {
            return Ok(None);
        }
        let ty = b & 0x0f;
        let delta = i16::from(b >> 4);
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).map_err(|_| bad("field id"))?
        } else {
            last.checked_add(delta).ok_or_else(|| bad("field id"))?
        };
        *last = id;
        Ok(Some((id, ty)))
    }

    fn skip_bytes(&mut self, n: u64) -> Result<(), ParquetError> {
        self.pos = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .filter(|p| *p <= self.buf.len())
            .ok_or_else(|| bad("header beyond the read"))?;
        Ok(())
    }

    /// Skips a value of type `ty` (`depth`: structs around it).
    pub(super) fn skip(&mut self, ty: u8, depth: usize) -> Result<(), ParquetError> {
        if depth > MAX_DEPTH {
            return Err(bad("header nested too deep"));
        }
        match ty {
            TRUE | FALSE => Ok(()),
            3 => self.skip_bytes(1),
            4..=6 => self.varint().map(drop),
            7 => self.skip_bytes(8),
            8 => {
                let n = self.varint()?;
                self.skip_bytes(n)
            }
            9 | 10 => {
                let b = self.byte()?;
                let n = match b >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                self.skip_elements(n, b & 0x0f, depth)
            }
            11 => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                for _ in 0..n {
                    self.skip_element(kv >> 4, depth)?;
                    self.skip_element(kv & 0x0f, depth)?;
                }
                Ok(())
            }
            STRUCT => {
                let mut last = 0i16;
                while let Some((_, ty)) = self.field(&mut last)? {
                    self.skip(ty, depth + 1)?;
                }
                Ok(())
            }
            other => Err(bad(format!("thrift type {other}"))),
        }
    }

    fn skip_elements(&mut self, n: u64, ty: u8, depth: usize) -> Result<(), ParquetError> {
        // Every element takes at least a byte: a count beyond the bytes left is malformed.
        if n > (self.buf.len() - self.pos) as u64 {
            return Err(bad("collection longer than the header"));
        }
        for _ in 0..n {
            self.skip_element(ty, depth)?;
        }
        Ok(())
    }

    /// Collection elements: booleans take a byte each.
    fn skip_element(&mut self, ty: u8, depth: usize) -> Result<(), ParquetError> {
        match ty {
            TRUE | FALSE => self.skip_bytes(1),
            ty => self.skip(ty, depth + 1),
        }
    }
}
