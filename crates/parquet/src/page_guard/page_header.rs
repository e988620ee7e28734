//! The fields of a Parquet page header that the guard checks, parsed from Thrift's compact
//! protocol (parquet.thrift `PageHeader`; the `parquet` crate keeps its parser private).

use parquet::errors::ParquetError;

use super::bad;
use super::compact::{Compact, FALSE, I32, STRUCT, TRUE};

/// The fields of a page header the checks use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct PageHeader {
    pub(super) kind: i32,
    pub(super) uncompressed: i32,
    pub(super) compressed: i32,
    pub(super) num_values: i32,
    pub(super) encoding: i32,
    /// Levels encoding of a v1 data page (definition, repetition).
    pub(super) v1_levels: (i32, i32),
    pub(super) v2: Option<V2Header>,
    /// Bytes of the header itself.
    pub(super) len: usize,
}

/// The fields of a `DataPageHeaderV2` the checks use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct V2Header {
    pub(super) num_rows: i32,
    pub(super) def_len: i32,
    pub(super) rep_len: i32,
    pub(super) is_compressed: bool,
}

impl PageHeader {
    /// Parses the header at the start of `buf`.
    pub(super) fn parse(buf: &[u8]) -> Result<Self, ParquetError> {
        let mut r = Compact::new(buf);
        let mut h = PageHeader::default();
        let (mut seen_kind, mut v2) = (false, None);
        let mut last = 0i16;
        while let Some((id, ty)) = r.field(&mut last)? {
            match (id, ty) {
                (1, I32) => {
                    h.kind = r.i32()?;
                    seen_kind = true;
                }
                (2, I32) => h.uncompressed = r.i32()?,
                (3, I32) => h.compressed = r.i32()?,
                (5, STRUCT) | (7, STRUCT) => {
                    let mut last = 0i16;
                    while let Some((id, ty)) = r.field(&mut last)? {
                        match (id, ty) {
                            (1, I32) => h.num_values = r.i32()?,
                            (2, I32) => h.encoding = r.i32()?,
                            (3, I32) => h.v1_levels.0 = r.i32()?,
                            (4, I32) => h.v1_levels.1 = r.i32()?,
                            _ => r.skip(ty, 1)?,
                        }
                    }
                }
                (8, STRUCT) => {
                    let mut v = V2Header {
                        is_compressed: true,
                        ..V2Header::default()
                    };
                    let mut last = 0i16;
                    while let Some((id, ty)) = r.field(&mut last)? {
                        match (id, ty) {
                            (1, I32) => h.num_values = r.i32()?,
                            (3, I32) => v.num_rows = r.i32()?,
                            (4, I32) => h.encoding = r.i32()?,
                            (5, I32) => v.def_len = r.i32()?,
                            (6, I32) => v.rep_len = r.i32()?,
                            (7, TRUE) => v.is_compressed = true,
                            (7, FALSE) => v.is_compressed = false,
                            _ => r.skip(ty, 1)?,
                        }
                    }
                    v2 = Some(v);
                }
                _ => r.skip(ty, 0)?,
            }
        }
        if !seen_kind {
            return Err(bad("header without a page type"));
        }
        h.v2 = v2;
        h.len = r.pos;
        Ok(h)
    }
}
