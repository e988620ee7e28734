//! Checks every page the Parquet library is about to decode, before it decodes it.
//!
//! The `parquet` crate trusts counts inside a page: its delta decoders allocate as many
//! lengths as the delta header of the page's values claims (`DELTA_LENGTH_BYTE_ARRAY`,
//! `DELTA_BYTE_ARRAY`), a 64-bit count a few malformed bytes can set to anything, and an
//! allocation that fails aborts the process. So every range the library reads to decode
//! goes through [`PageGuard::check`] first: it must start at an offset-index page or inside
//! a column chunk, and each page header in it is parsed (`page_header`, over the Thrift
//! compact protocol reader in `compact`; the crate keeps its own parser private) and must
//! be a data or dictionary page ending within the read, with sizes within
//! [`MAX_PAGE_BYTES`], at most [`MAX_PAGE_VALUES`] values and no more values than its row
//! group has rows, in an encoding mnemos reads; for the delta encodings the counts in the
//! delta headers (`delta`) must not exceed the page's values. Delta-encoded values are
//! decompressed for that (zstd and snappy, the codecs mnemos' build of the crate reads);
//! other pages are not. A delta-encoded page that passed is remembered by a hash of its
//! bytes, so the same page read again (from the gateway's caches, on every warm query) is
//! hashed instead of decompressed a second time; different bytes at that offset are
//! checked again.

use std::io::Read;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};

mod compact;
mod delta;
mod page_header;

use delta::{delta_count, delta_stream};
use page_header::PageHeader;

/// Largest uncompressed page accepted (a chunk cell of one series over a long slice is
/// far smaller; parquet-common and mnemos cut pages at a few KiB).
pub const MAX_PAGE_BYTES: i32 = 256 << 20;
/// Most values accepted in one page.
pub const MAX_PAGE_VALUES: i64 = 1 << 22;

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

/// The bytes of a column chunk, its dictionary page included; `None` when the footer puts
/// it at a negative offset or gives it a negative size (the library's `byte_range()`
/// panics on those).
pub(crate) fn column_chunk_range(column: &ColumnChunkMetaData) -> Option<Range<u64>> {
    let start = column
        .dictionary_page_offset()
        .unwrap_or_else(|| column.data_page_offset());
    let start = u64::try_from(start).ok()?;
    let len = u64::try_from(column.compressed_size()).ok()?;
    Some(start..start.checked_add(len)?)
}

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
#[derive(Debug, Default)]
pub struct PageGuard {
    /// Sorted by start.
    chunks: Vec<ChunkInfo>,
    /// Where the offset indexes put data pages, and the chunk (index into `chunks`) whose
    /// page each is; sorted by offset, no offset twice.
    pages: Vec<(u64, usize)>,
    /// Per page of `pages`, the hash of the delta-encoded page (header and body) that last
    /// passed [`check_delta_counts`]; 0 for none.
    verified: Box<[AtomicU64]>,
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
                let Some(range) = column_chunk_range(column) else {
                    return Err(bad(format!(
                        "column chunk at {} of {} bytes",
                        column
                            .dictionary_page_offset()
                            .unwrap_or(column.data_page_offset()),
                        column.compressed_size()
                    )));
                };
                chunks.push(ChunkInfo {
                    start: range.start,
                    end: range.end,
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
        let verified = pages.iter().map(|_| AtomicU64::new(0)).collect();
        Ok(Self {
            chunks,
            pages,
            verified,
        })
    }

    /// The memo of the offset-index page starting at `offset`, if one does.
    fn verified_slot(&self, offset: u64) -> Option<&AtomicU64> {
        let i = self.pages.binary_search_by_key(&offset, |p| p.0).ok()?;
        self.verified.get(i)
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
                // Never 0, the memo's "none".
                let hash = xxhash_rust::xxh64::xxh64(&data[pos..body_end], 0) | 1;
                let slot = offset
                    .checked_add(pos as u64)
                    .and_then(|at| self.verified_slot(at));
                if slot.is_none_or(|s| s.load(Ordering::Relaxed) != hash) {
                    check_delta_counts(&header, chunk, &data[body_start..body_end])?;
                    if let Some(s) = slot {
                        s.store(hash, Ordering::Relaxed);
                    }
                }
            }
            pos = body_end;
        }
        Ok(())
    }
}

impl PageHeader {
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
        delta_count(&values, max)?;
        return Ok(());
    }
    let (count, len) = delta_stream(&values, max)?;
    let suffix_count = delta_count(values.get(len..).unwrap_or_default(), max)?;
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

#[cfg(test)]
mod tests {
    use super::compact::I32;
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
            verified: Box::new([]),
        }
    }

    /// A guard whose one offset-index page starts at 0.
    fn guard_with_page(rows: i64) -> PageGuard {
        PageGuard {
            chunks: vec![chunk(rows)],
            pages: vec![(0, 0)],
            verified: Box::new([AtomicU64::new(0)]),
        }
    }

    #[test]
    fn a_page_that_passed_is_not_decoded_again_but_other_bytes_at_its_offset_are() {
        let page = |count: u64| {
            let mut body = delta_header(count);
            body.extend([0, 0, 0, 0, 0]);
            let mut page = v2_header(10, DELTA_LENGTH_BYTE_ARRAY, body.len() as i32);
            page.extend(&body);
            page
        };
        let g = guard_with_page(10);
        let good = page(10);
        g.check(0, &good).expect("a well-formed page");
        let memo = g.verified[0].load(Ordering::Relaxed);
        assert_ne!(memo, 0, "the page that passed is remembered");
        g.check(0, &good).expect("the same page again");
        // Bytes changed under the same offset (a rewritten object): checked, refused, and
        // the memo keeps the page that passed.
        assert!(g.check(0, &page(1 << 40)).is_err());
        assert_eq!(g.verified[0].load(Ordering::Relaxed), memo);
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
            verified: Box::new([AtomicU64::new(0)]),
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
