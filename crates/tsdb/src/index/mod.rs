//! Index format v2. Each section has a pure decoder over its bytes (so a store
//! gateway can fetch sections by byte range and reuse them); [`IndexReader`]
//! composes them over any [`crate::ReadAt`] and [`IndexWriter`] writes the file.

pub mod postings;
mod postings_table;
mod reader;
mod section;
mod series;
mod symbols;
mod toc;
mod writer;

pub use postings_table::{PostingsTable, ALL_POSTINGS_KEY};
pub use reader::IndexReader;
pub use section::{decode_section, section_len_at};
pub use series::{decode_series, encode_series, SeriesEntry, SeriesRefs};
pub use symbols::Symbols;
pub use toc::{Toc, TOC_LEN};
pub use writer::IndexWriter;

/// Magic number at the start of an index file.
pub const MAGIC_INDEX: u32 = 0xBAAA_D700;
/// The index format version this library reads and writes.
pub const FORMAT_V2: u8 = 2;
/// Bytes before the symbol table: magic and version.
pub const HEADER_LEN: u64 = 5;
/// File name of a block's index.
pub const INDEX_FILENAME: &str = "index";
/// Series entries are aligned to this many bytes; a series ID is its offset divided by it.
pub const SERIES_ALIGNMENT: u64 = 16;
