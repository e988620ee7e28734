//! The table of contents: the last 52 bytes of an index file.

use crate::encoding::{verify_crc, Decbuf, Encbuf};
use crate::error::CorruptAt;

/// Size of the TOC in bytes: six u64 offsets and a CRC.
pub const TOC_LEN: usize = 6 * 8 + 4;

/// Offsets of the index sections (0 = absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Toc {
    /// Symbol table.
    pub symbols: u64,
    /// Start of the series section.
    pub series: u64,
    /// Start of the (deprecated) label index sections.
    pub label_indices: u64,
    /// Label offset table.
    pub label_indices_table: u64,
    /// Start of the postings lists.
    pub postings: u64,
    /// Postings offset table.
    pub postings_table: u64,
}

impl Toc {
    /// Decodes the TOC from the last [`TOC_LEN`] bytes; `offset` is where they start.
    pub fn decode(buf: &[u8], offset: u64) -> Result<Self, CorruptAt> {
        let mut d = Decbuf::new(buf, offset);
        let body = d.bytes(TOC_LEN - 4)?;
        let crc_at = d.offset();
        let stored = d.be32()?;
        verify_crc(body, stored, crc_at)?;
        let mut d = Decbuf::new(body, offset);
        Ok(Self {
            symbols: d.be64()?,
            series: d.be64()?,
            label_indices: d.be64()?,
            label_indices_table: d.be64()?,
            postings: d.be64()?,
            postings_table: d.be64()?,
        })
    }

    /// End of the postings lists in an index of `file_size` bytes: where the first section
    /// after them starts (the label offset table or the postings offset table, as
    /// Prometheus orders them), else the TOC.
    pub fn postings_end(&self, file_size: u64) -> u64 {
        let toc_at = file_size.saturating_sub(TOC_LEN as u64);
        [self.label_indices_table, self.postings_table]
            .into_iter()
            .filter(|o| *o > self.postings)
            .fold(toc_at, u64::min)
    }

    /// Encodes the TOC.
    pub fn encode(&self, e: &mut Encbuf) {
        let from = e.len();
        for v in [
            self.symbols,
            self.series,
            self.label_indices,
            self.label_indices_table,
            self.postings,
            self.postings_table,
        ] {
            e.put_be64(v);
        }
        e.put_crc_of_tail(from);
    }
}
