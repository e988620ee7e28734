//! Checks every page the Parquet library is about to decode, before it decodes it.
//!
//! The `parquet` crate trusts counts inside a page: its delta decoders allocate as many
//! lengths as the delta header of the page's values claims (`DELTA_LENGTH_BYTE_ARRAY`,
//! `DELTA_BYTE_ARRAY`), a 64-bit count a few malformed bytes can set to anything, and an
//! allocation that fails aborts the process. So every range read from inside a column
//! chunk goes through [`PageGuard::check`] first: each page header in it is parsed (Thrift
//! compact protocol; the crate keeps its own parser private) and must be a data or
//! dictionary page with sizes within [`MAX_PAGE_BYTES`], at most [`MAX_PAGE_VALUES`] values
//! and no more values than its row group has rows, in an encoding mnemos reads; for the
//! delta encodings the counts in the delta headers must not exceed the page's values.
//! Delta-encoded values are decompressed for that (zstd and snappy, the codecs mnemos'
//! build of the crate reads); other pages are not.

use std::io::Read;

use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;

/// Largest uncompressed page accepted (a chunk cell of one series over a long slice is
/// far smaller; parquet-common and mnemos cut pages at a few KiB).
pub const MAX_PAGE_BYTES: i32 = 256 << 20;
/// Most values accepted in one page.
pub const MAX_PAGE_VALUES: i64 = 1 << 22;
/// Deepest nesting of Thrift structs accepted in a page header.
const MAX_DEPTH: usize = 8;

/// Page types (parquet.thrift `PageType`).
const DATA_PAGE: i32 = 0;
const DICTIONARY_PAGE: i32 = 2;
const DATA_PAGE_V2: i32 = 3;

/// Encodings (parquet.thrift `Encoding`).
const PLAIN: i32 = 0;
const PLAIN_DICTIONARY: i32 = 2;
const RLE: i32 = 3;
const DELTA_BINARY_PACKED: i32 = 5;
const DELTA_LENGTH_BYTE_ARRAY: i32 = 6;
const DELTA_BYTE_ARRAY: i32 = 7;
const RLE_DICTIONARY: i32 = 8;
const BYTE_STREAM_SPLIT: i32 = 9;

fn bad(what: impl std::fmt::Display) -> ParquetError {
    ParquetError::General(format!("malformed page: {what}"))
}

/// One column chunk's byte range and what reading its pages needs.
#[derive(Clone, Debug)]
struct ChunkInfo {
    start: u64,
    end: u64,
    codec: Compression,
    max_def_level: i16,
    max_rep_level: i16,
    rows: i64,
}

/// The column chunks of one file, to check the pages of ranges read from them.
#[derive(Clone, Debug, Default)]
pub struct PageGuard {
    /// Sorted by start.
    chunks: Vec<ChunkInfo>,
    /// Where the offset indexes put data pages, and the chunk (index into `chunks`) whose
    /// page each is; sorted by offset, no offset twice.
    pages: Vec<(u64, usize)>,
}

impl PageGuard {
    /// The guard of a file with this metadata; column chunks at negative offsets or of
    /// negative sizes are refused (the library's `byte_range` would panic on them).
    pub fn new(meta: &ParquetMetaData) -> Result<Self, ParquetError> {
        let mut chunks = Vec::new();
        let mut pages = Vec::new();
        for (g, group) in meta.row_groups().iter().enumerate() {
            let index = meta.page_index_for_row_group(g);
            for (c, column) in group.columns().iter().enumerate() {
                if let Some(offsets) = index.offset_index(c) {
                    for page in offsets.page_locations() {
                        let offset = u64::try_from(page.offset)
                            .map_err(|_| bad(format!("page at offset {}", page.offset)))?;
                        pages.push((offset, chunks.len()));
                    }
                }
                let start = column
                    .dictionary_page_offset()
                    .unwrap_or(column.data_page_offset());
                let (Ok(start), Ok(len)) = (
                    u64::try_from(start),
                    u64::try_from(column.compressed_size()),
                ) else {
                    return Err(bad(format!(
                        "column chunk at {start} of {} bytes",
                        column.compressed_size()
                    )));
                };
                chunks.push(ChunkInfo {
                    start,
                    end: start.saturating_add(len),
                    codec: column.compression(),
                    max_def_level: column.column_descr().max_def_level(),
                    max_rep_level: column.column_descr().max_rep_level(),
                    rows: group.num_rows(),
                });
            }
        }
        // Pages refer to chunks by their position before sorting.
        let mut order: Vec<usize> = (0..chunks.len()).collect();
        order.sort_by_key(|&i| chunks[i].start);
        let mut position = vec![0; chunks.len()];
        for (sorted, &i) in order.iter().enumerate() {
            position[i] = sorted;
        }
        let chunks: Vec<ChunkInfo> = order.iter().map(|&i| chunks[i].clone()).collect();
        for page in &mut pages {
            page.1 = position[page.1];
        }
        pages.sort_unstable();
        if pages.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(bad("two offset-index pages at one offset"));
        }
        Ok(Self { chunks, pages })
    }

    /// The chunk whose pages a read at `offset` holds: the chunk of the offset-index page
    /// starting there, else the chunk the offset lies in (a whole chunk or its dictionary
    /// page).
    fn chunk_at(&self, offset: u64) -> Option<&ChunkInfo> {
        if let Ok(i) = self.pages.binary_search_by_key(&offset, |p| p.0) {
            return self.chunks.get(self.pages[i].1);
        }
        let i = self.chunks.partition_point(|c| c.start <= offset);
        i.checked_sub(1)
            .map(|i| &self.chunks[i])
            .filter(|c| offset < c.end)
    }

    /// Checks the pages of `data`, read at `offset` to be decoded (the library reads
    /// pages from their first byte: a whole chunk, a dictionary page or one data page at a
    /// time). A read that is neither at an offset-index page nor inside a column chunk is
    /// refused, and so is a page running past the read's end (a well-formed file's pages
    /// end where its chunks and offset-index pages do).
    pub fn check(&self, offset: u64, data: &[u8]) -> Result<(), ParquetError> {
        let Some(chunk) = self.chunk_at(offset) else {
            return Err(bad(format!(
                "a read at {offset} is in no column chunk and at no page"
            )));
        };
        let mut pos = 0usize;
        while pos < data.len() {
            let header = PageHeader::parse(&data[pos..])?;
            header.check(chunk)?;
            let body_start = pos + header.len;
            // The library decodes a page cut short by the read from what it has: refuse it.
            let body_end = body_start
                .checked_add(header.compressed as usize)
                .filter(|e| *e <= data.len())
                .ok_or_else(|| {
                    bad(format!(
                        "a page of {} bytes runs past the {} bytes read at {offset}",
                        header.compressed,
                        data.len()
                    ))
                })?;
            if matches!(
                header.encoding,
                DELTA_BINARY_PACKED | DELTA_LENGTH_BYTE_ARRAY | DELTA_BYTE_ARRAY
            ) {
                check_delta_counts(&header, chunk, &data[body_start..body_end])?;
            }
            pos = body_end;
        }
        Ok(())
    }
}

/// The fields of a page header the checks use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct PageHeader {
    kind: i32,
    uncompressed: i32,
    compressed: i32,
    num_values: i32,
    encoding: i32,
    /// Levels encoding of a v1 data page (definition, repetition).
    v1_levels: (i32, i32),
    v2: Option<V2Header>,
    /// Bytes of the header itself.
    len: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct V2Header {
    num_rows: i32,
    def_len: i32,
    rep_len: i32,
    is_compressed: bool,
}

impl PageHeader {
    fn parse(buf: &[u8]) -> Result<Self, ParquetError> {
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

    /// Type, sizes, value count and encoding against the limits and the chunk.
    fn check(&self, chunk: &ChunkInfo) -> Result<(), ParquetError> {
        if !(0..=MAX_PAGE_BYTES).contains(&self.uncompressed) || self.compressed < 0 {
            return Err(bad(format!(
                "sizes {} (uncompressed) / {} (compressed), limit {MAX_PAGE_BYTES}",
                self.uncompressed, self.compressed
            )));
        }
        let values = i64::from(self.num_values);
        let rows = match &self.v2 {
            Some(v) => i64::from(v.num_rows),
            None if chunk.max_rep_level == 0 => values,
            None => 0,
        };
        if !(0..=MAX_PAGE_VALUES).contains(&values) || !(0..=chunk.rows.max(0)).contains(&rows) {
            return Err(bad(format!(
                "{values} values in {rows} rows (row group of {} rows, limit {MAX_PAGE_VALUES})",
                chunk.rows
            )));
        }
        if chunk.max_rep_level == 0 && values > chunk.rows.max(0) {
            return Err(bad(format!(
                "{values} values in a flat column of {} rows",
                chunk.rows
            )));
        }
        let allowed: &[i32] = match self.kind {
            DICTIONARY_PAGE => &[PLAIN, PLAIN_DICTIONARY],
            DATA_PAGE | DATA_PAGE_V2 => &[
                PLAIN,
                PLAIN_DICTIONARY,
                RLE,
                DELTA_BINARY_PACKED,
                DELTA_LENGTH_BYTE_ARRAY,
                DELTA_BYTE_ARRAY,
                RLE_DICTIONARY,
                BYTE_STREAM_SPLIT,
            ],
            other => return Err(bad(format!("page type {other}"))),
        };
        if !allowed.contains(&self.encoding) {
            return Err(bad(format!(
                "encoding {} in a page of type {}",
                self.encoding, self.kind
            )));
        }
        Ok(())
    }
}

/// The counts in a delta-encoded page's headers do not exceed its values.
fn check_delta_counts(
    header: &PageHeader,
    chunk: &ChunkInfo,
    body: &[u8],
) -> Result<(), ParquetError> {
    let max = u64::try_from(header.num_values).unwrap_or(0);
    // The delta headers sit at the start of the values; a whole prefix stream must be
    // walked to reach the suffix lengths of DELTA_BYTE_ARRAY.
    let need = match header.encoding {
        DELTA_BYTE_ARRAY => usize::MAX,
        _ => 64,
    };
    let values = values_section(header, chunk, body, need)?;
    if header.encoding != DELTA_BYTE_ARRAY {
        delta_count(&mut Compact::new(&values), max)?;
        return Ok(());
    }
    let (count, len) = delta_stream(&values, max)?;
    let suffix_count = delta_count(
        &mut Compact::new(values.get(len..).unwrap_or_default()),
        max,
    )?;
    if suffix_count != count {
        return Err(bad(format!(
            "{count} prefix lengths but {suffix_count} suffix lengths"
        )));
    }
    Ok(())
}

/// The first `need` bytes (or all) of a data page's values, decompressed, after its
/// levels.
fn values_section(
    header: &PageHeader,
    chunk: &ChunkInfo,
    body: &[u8],
    need: usize,
) -> Result<Vec<u8>, ParquetError> {
    let expected = usize::try_from(header.uncompressed).unwrap_or(0);
    if let Some(v2) = &header.v2 {
        let levels = usize::try_from(v2.def_len)
            .ok()
            .zip(usize::try_from(v2.rep_len).ok())
            .and_then(|(d, r)| d.checked_add(r))
            .filter(|l| *l <= body.len() && *l <= expected)
            .ok_or_else(|| bad("level lengths beyond the page"))?;
        let raw = &body[levels..];
        return if v2.is_compressed {
            decompress(chunk.codec, raw, expected - levels, need)
        } else {
            Ok(raw[..raw.len().min(need)].to_vec())
        };
    }
    // v1: levels are inside the compressed data, each run-length encoded behind its
    // 4-byte length when the column has them.
    let all = decompress(chunk.codec, body, expected, usize::MAX)?;
    let mut pos = 0usize;
    for (encoding, present) in [
        (header.v1_levels.1, chunk.max_rep_level > 0),
        (header.v1_levels.0, chunk.max_def_level > 0),
    ] {
        if !present {
            continue;
        }
        if encoding != RLE {
            return Err(bad(format!("level encoding {encoding} with delta values")));
        }
        let len = all
            .get(pos..pos + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| bad("levels beyond the page"))?;
        pos = pos
            .checked_add(4 + len)
            .filter(|p| *p <= all.len())
            .ok_or_else(|| bad("levels beyond the page"))?;
    }
    Ok(all[pos..].to_vec())
}

/// Decompresses at most `need` bytes of `input`, which must not hold more than `expected`.
fn decompress(
    codec: Compression,
    input: &[u8],
    expected: usize,
    need: usize,
) -> Result<Vec<u8>, ParquetError> {
    let limit = expected.min(need);
    match codec {
        Compression::UNCOMPRESSED => Ok(input[..input.len().min(limit)].to_vec()),
        Compression::ZSTD(_) => {
            let decoder = zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| bad(format!("zstd: {e}")))?;
            let mut out = Vec::new();
            decoder
                .take(limit as u64)
                .read_to_end(&mut out)
                .map_err(|e| bad(format!("zstd: {e}")))?;
            Ok(out)
        }
        Compression::SNAPPY => {
            let len = snap::raw::decompress_len(input).map_err(|e| bad(format!("snappy: {e}")))?;
            if len > expected {
                return Err(bad(format!(
                    "snappy data of {len} bytes in a page of {expected}"
                )));
            }
            let mut out = snap::raw::Decoder::new()
                .decompress_vec(input)
                .map_err(|e| bad(format!("snappy: {e}")))?;
            out.truncate(limit);
            Ok(out)
        }
        other => Err(bad(format!("codec {other} is not read by mnemos"))),
    }
}

/// Reads a DELTA_BINARY_PACKED header (parquet Encodings.md) and checks it: its value
/// count, which must be at most `max`. Leaves `r` after the header.
fn delta_count(r: &mut Compact<'_>, max: u64) -> Result<u64, ParquetError> {
    let (_, _, count) = delta_header(r, max)?;
    Ok(count)
}

/// A checked DELTA_BINARY_PACKED header: values per miniblock, miniblocks per block, count.
fn delta_header(r: &mut Compact<'_>, max: u64) -> Result<(u64, u64, u64), ParquetError> {
    let block = r.varint()?;
    let minis = r.varint()?;
    let count = r.varint()?;
    r.varint()?; // first value, zigzag
    if block == 0 || block % 128 != 0 || minis == 0 || block % minis != 0 {
        return Err(bad(format!("delta block of {block} in {minis} miniblocks")));
    }
    let per_mini = block / minis;
    if per_mini % 32 != 0 {
        return Err(bad(format!("delta miniblock of {per_mini} values")));
    }
    if count > max {
        return Err(bad(format!(
            "delta header of {count} values in a page of {max}"
        )));
    }
    Ok((per_mini, minis, count))
}

/// Walks a whole DELTA_BINARY_PACKED stream without decoding it: its value count (at most
/// `max`) and its length in bytes.
fn delta_stream(buf: &[u8], max: u64) -> Result<(u64, usize), ParquetError> {
    let mut r = Compact::new(buf);
    let (per_mini, minis, count) = delta_header(&mut r, max)?;
    let mut left = count.saturating_sub(1);
    while left > 0 {
        r.varint()?; // min delta, zigzag
        let widths_at = r.pos;
        let minis_len = usize::try_from(minis).map_err(|_| bad("miniblock count"))?;
        r.pos = widths_at
            .checked_add(minis_len)
            .filter(|p| *p <= buf.len())
            .ok_or_else(|| bad("delta bit widths beyond the page"))?;
        for &width in &buf[widths_at..r.pos] {
            if left == 0 {
                break;
            }
            if width > 64 {
                return Err(bad(format!("delta bit width {width}")));
            }
            let bytes = per_mini
                .checked_mul(u64::from(width))
                .and_then(|b| usize::try_from(b / 8).ok())
                .ok_or_else(|| bad("miniblock size"))?;
            r.pos = r
                .pos
                .checked_add(bytes)
                .ok_or_else(|| bad("miniblock beyond the page"))?;
            left = left.saturating_sub(per_mini);
        }
    }
    if r.pos > buf.len() {
        return Err(bad("delta miniblocks beyond the page"));
    }
    Ok((count, r.pos))
}

/// Thrift compact protocol types.
const TRUE: u8 = 1;
const FALSE: u8 = 2;
const I32: u8 = 5;
const STRUCT: u8 = 12;

/// A Thrift compact protocol reader over a buffer, every read bounds-checked.
struct Compact<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Compact<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn byte(&mut self) -> Result<u8, ParquetError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| bad("header beyond the read"))?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, ParquetError> {
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

    fn zigzag(&mut self) -> Result<i64, ParquetError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn i32(&mut self) -> Result<i32, ParquetError> {
        i32::try_from(self.zigzag()?).map_err(|_| bad("i32 out of range"))
    }

    /// The next field's id and type; `None` at the struct's end.
    fn field(&mut self, last: &mut i16) -> Result<Option<(i16, u8)>, ParquetError> {
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
    fn skip(&mut self, ty: u8, depth: usize) -> Result<(), ParquetError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A v2 data page header: type 3, sizes, data_page_header_v2 {num_values, num_nulls,
    /// num_rows, encoding, def_len, rep_len}.
    fn v2_header(values: i32, encoding: i32, compressed: i32) -> Vec<u8> {
        let zz = |v: i32| -> Vec<u8> {
            let mut z = ((v << 1) ^ (v >> 31)) as u32;
            let mut out = Vec::new();
            loop {
                let b = (z & 0x7f) as u8;
                z >>= 7;
                if z == 0 {
                    out.push(b);
                    return out;
                }
                out.push(b | 0x80);
            }
        };
        let mut h = vec![0x15];
        h.extend(zz(DATA_PAGE_V2));
        h.push(0x15);
        h.extend(zz(compressed));
        h.push(0x15);
        h.extend(zz(compressed));
        // field 8 (delta 5 from 3): struct
        h.push(0x5c);
        for (delta_field, v) in [
            (1, values),
            (1, 0),
            (1, values),
            (1, encoding),
            (1, 0),
            (1, 0),
        ] {
            h.push((delta_field << 4) | I32);
            h.extend(zz(v));
        }
        h.push(0x12); // field 7 is_compressed = false
        h.push(0);
        h.push(0);
        h
    }

    fn chunk(rows: i64) -> ChunkInfo {
        ChunkInfo {
            start: 0,
            end: u64::MAX,
            codec: Compression::UNCOMPRESSED,
            max_def_level: 0,
            max_rep_level: 0,
            rows,
        }
    }

    /// A delta-length stream header: block 128, 4 miniblocks, `count` values, first 0.
    fn delta_header(count: u64) -> Vec<u8> {
        let mut out = vec![0x80, 0x01, 0x04];
        let mut c = count;
        loop {
            let b = (c & 0x7f) as u8;
            c >>= 7;
            if c == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
        out.push(0);
        out
    }

    fn guard(rows: i64) -> PageGuard {
        PageGuard {
            chunks: vec![chunk(rows)],
            pages: Vec::new(),
        }
    }

    #[test]
    fn page_headers_parse() {
        let h = PageHeader::parse(&v2_header(10, DELTA_LENGTH_BYTE_ARRAY, 7)).unwrap();
        assert_eq!(h.kind, DATA_PAGE_V2);
        assert_eq!(h.num_values, 10);
        assert_eq!(h.encoding, DELTA_LENGTH_BYTE_ARRAY);
        assert_eq!(h.compressed, 7);
        assert_eq!(h.v2.as_ref().map(|v| v.is_compressed), Some(false));
        assert!(PageHeader::parse(&[0x15]).is_err());
    }

    #[test]
    fn a_delta_count_beyond_the_page_is_refused() {
        // A page of 10 values whose delta header claims 2^40 (zero-width miniblocks
        // would let the library decode them all from a few bytes).
        for (count, ok) in [(10u64, true), (1 << 40, false)] {
            let mut body = delta_header(count);
            if count > 1 {
                body.extend([0, 0, 0, 0, 0]); // min delta, four zero bit widths
            }
            let mut page = v2_header(10, DELTA_LENGTH_BYTE_ARRAY, body.len() as i32);
            page.extend(&body);
            assert_eq!(guard(10).check(0, &page).is_ok(), ok, "count {count}");
        }
    }

    #[test]
    fn long_delta_length_pages_pass() {
        // 385 lengths in three blocks of 8-bit miniblocks: the stream is far longer than
        // the header the check reads.
        let mut body = delta_header(385);
        for _ in 0..3 {
            body.push(0);
            body.extend([8, 8, 8, 8]);
            body.extend([1u8; 128]);
        }
        body.extend([7u8; 385]);
        let mut page = v2_header(385, DELTA_LENGTH_BYTE_ARRAY, body.len() as i32);
        page.extend(&body);
        guard(385).check(0, &page).expect("a well-formed page");
        let mut bytes = delta_header(385);
        bytes.extend(&body[delta_header(385).len()..]);
        assert_eq!(
            delta_stream(&bytes, 385).unwrap().1,
            delta_header(385).len() + 3 * 133
        );
    }

    #[test]
    fn counts_and_sizes_beyond_the_limits_are_refused() {
        // More values than the row group has rows.
        assert!(guard(5).check(0, &v2_header(10, PLAIN, 0)).is_err());
        // An encoding mnemos does not read.
        assert!(guard(10).check(0, &v2_header(10, 4, 0)).is_err());
        // A read outside every column chunk and page is refused, one at an offset-index
        // page is checked as a page of that page's chunk.
        let g = PageGuard {
            chunks: vec![ChunkInfo {
                start: 100,
                end: 200,
                ..chunk(10)
            }],
            pages: vec![(300, 0)],
        };
        assert!(g.check(250, &v2_header(1, PLAIN, 0)).is_err());
        assert!(g.check(300, &v2_header(1, PLAIN, 0)).is_ok());
        assert!(g.check(300, &v2_header(11, PLAIN, 0)).is_err());
        assert!(g.check(100, &[0xff; 8]).is_err());
    }

    #[test]
    fn delta_streams_are_walked_to_their_end() {
        // 129 values: the first, then one block of 4 miniblocks of 32, bit width 1 each
        // (4 bytes per miniblock).
        let mut s = delta_header(129);
        s.push(0); // min delta
        s.extend([1, 1, 1, 1]);
        s.extend([0u8; 16]);
        let len = s.len();
        s.extend([9, 9]);
        assert_eq!(delta_stream(&s, 200).unwrap(), (129, len));
        assert!(delta_stream(&s, 100).is_err());
    }
}
