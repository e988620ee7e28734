//! Reads an index file through [`ReadAt`]: at open only the TOC, the symbol table
//! and the postings offset table are read; postings and series are read on demand.

use bytes::Bytes;

use super::postings::{decode_postings, intersect, subtract, union};
use super::postings_table::{PostingsTable, ALL_POSTINGS_KEY};
use super::section::decode_section;
use super::series::{decode_series, SeriesEntry};
use super::symbols::Symbols;
use super::toc::{Toc, TOC_LEN};
use super::{FORMAT_V2, HEADER_LEN, MAGIC_INDEX, SERIES_ALIGNMENT};
use crate::encoding::{check_header, Decbuf};
use crate::error::{CorruptAt, Corruption, Error, Result};
use crate::labels::{Label, Labels, MatchType, Matcher};
use crate::read_at::{read_length_prefixed, read_sized, ReadAt};

/// An open index file.
pub struct IndexReader<R: ReadAt> {
    src: R,
    toc: Toc,
    symbols: Symbols,
    postings_table: PostingsTable,
}

impl<R: ReadAt> IndexReader<R> {
    /// Opens an index: checks the header, reads the TOC, symbols and postings table.
    pub fn open(src: R) -> Result<Self> {
        let size = src.size();
        let min = HEADER_LEN + TOC_LEN as u64;
        if size < min {
            return Err(CorruptAt::new(
                0,
                Corruption::Truncated {
                    needed: min,
                    available: size,
                },
            )
            .in_file(src.path()));
        }
        let header = src.read_at(0, HEADER_LEN as usize)?;
        check_header(&header, MAGIC_INDEX, FORMAT_V2).map_err(|e| e.in_file(src.path()))?;
        let toc_at = size - TOC_LEN as u64;
        let toc_bytes = src.read_at(toc_at, TOC_LEN)?;
        let toc = Toc::decode(&toc_bytes, toc_at).map_err(|e| e.in_file(src.path()))?;
        for (what, off) in [
            ("symbols", toc.symbols),
            ("postings offset table", toc.postings_table),
        ] {
            if off < HEADER_LEN || off >= toc_at {
                return Err(CorruptAt::new(
                    toc_at,
                    Corruption::Invalid(format!("TOC {what} offset {off} out of range")),
                )
                .in_file(src.path()));
            }
        }
        let symbols_body = read_section(&src, toc.symbols, toc_at)?;
        let symbols =
            Symbols::decode(symbols_body, toc.symbols + 4).map_err(|e| e.in_file(src.path()))?;
        let table_body = read_section(&src, toc.postings_table, toc_at)?;
        let postings_table = PostingsTable::decode(&table_body, toc.postings_table + 4)
            .map_err(|e| e.in_file(src.path()))?;
        Ok(Self {
            src,
            toc,
            symbols,
            postings_table,
        })
    }

    /// The table of contents.
    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    /// The symbol table.
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// The postings offset table.
    pub fn postings_table(&self) -> &PostingsTable {
        &self.postings_table
    }

    /// The underlying file.
    pub fn source(&self) -> &R {
        &self.src
    }

    /// All label names, sorted.
    pub fn label_names(&self) -> Vec<&str> {
        self.postings_table.label_names().collect()
    }

    /// All values of label `name`, sorted.
    pub fn label_values(&self, name: &str) -> Vec<&str> {
        self.postings_table.values(name).map(|(v, _)| v).collect()
    }

    /// The byte range of the postings lists: a postings list must lie inside it.
    pub fn postings_section(&self) -> std::ops::Range<u64> {
        self.toc.postings..self.toc.postings_end(self.src.size())
    }

    /// Reads the postings list at `offset` (an offset from the postings offset table, so
    /// checked to lie in the postings section before anything is read).
    pub fn postings_at(&self, offset: u64) -> Result<Vec<u32>> {
        let section = self.postings_section();
        if !section.contains(&offset) {
            return Err(CorruptAt::new(
                offset,
                Corruption::Invalid(format!(
                    "postings list offset {offset} outside the postings section {section:?}"
                )),
            )
            .in_file(self.src.path()));
        }
        let body = read_section(&self.src, offset, section.end)?;
        decode_postings(&body, offset + 4).map_err(|e| e.in_file(self.src.path()))
    }

    /// Series IDs with label `name="value"` (empty when there are none).
    pub fn postings(&self, name: &str, value: &str) -> Result<Vec<u32>> {
        match self.postings_table.offset(name, value) {
            Some(off) => self.postings_at(off),
            None => Ok(Vec::new()),
        }
    }

    /// IDs of every series in the index.
    pub fn all_postings(&self) -> Result<Vec<u32>> {
        self.postings(ALL_POSTINGS_KEY.0, ALL_POSTINGS_KEY.1)
    }

    /// Union of the postings of the values of `name` for which `keep` is true.
    fn postings_where(&self, name: &str, keep: impl Fn(&str) -> bool) -> Result<Vec<u32>> {
        let lists = self
            .postings_table
            .values(name)
            .filter(|(v, _)| keep(v))
            .map(|(_, off)| self.postings_at(off))
            .collect::<Result<Vec<_>>>()?;
        Ok(union(lists))
    }

    /// IDs of the series matching all `matchers` (Prometheus semantics: a series
    /// without the label matches as if its value were ""). No matchers: all series.
    pub fn postings_for_matchers(&self, matchers: &[Matcher]) -> Result<Vec<u32>> {
        let mut positive: Option<Vec<u32>> = None;
        let mut negative: Vec<Vec<u32>> = Vec::new();
        // Cheap equality matchers first, so the intersection shrinks early.
        let mut order: Vec<&Matcher> = matchers.iter().collect();
        order.sort_by_key(|m| !matches!(m.kind, MatchType::Equal));
        for m in order {
            if positive.as_ref().is_some_and(|p| p.is_empty()) {
                return Ok(Vec::new());
            }
            if m.matches("") {
                // Series whose value for this label fails the matcher are removed.
                negative.push(self.postings_where(&m.name, |v| !m.matches(v))?);
            } else {
                let list = if m.kind == MatchType::Equal {
                    self.postings(&m.name, &m.value)?
                } else if let Some(set) = m.literal_set() {
                    // Look the literals up instead of testing every value.
                    let lists = set
                        .iter()
                        .filter_map(|v| self.postings_table.offset(&m.name, v))
                        .map(|off| self.postings_at(off))
                        .collect::<Result<Vec<_>>>()?;
                    union(lists)
                } else {
                    self.postings_where(&m.name, |v| m.matches(v))?
                };
                positive = Some(match positive {
                    None => list,
                    Some(p) => intersect(&p, &list),
                });
            }
        }
        let mut out = match positive {
            Some(p) => p,
            None => self.all_postings()?,
        };
        for n in negative {
            if !n.is_empty() {
                out = subtract(&out, &n);
            }
        }
        Ok(out)
    }

    /// Reads the series with ID `id`, resolving its labels.
    pub fn series(&self, id: u32) -> Result<SeriesEntry> {
        let offset = u64::from(id) * SERIES_ALIGNMENT;
        let path = self.src.path();
        if offset < HEADER_LEN || offset >= self.src.size() {
            return Err(CorruptAt::new(
                offset,
                Corruption::Invalid(format!("series reference {id} out of range")),
            )
            .in_file(path));
        }
        // After the length: the entry body's CRC.
        let buf = read_length_prefixed(&self.src, offset, 4)?;
        self.decode_series_at(id, &buf)
    }

    /// Decodes the series entry with ID `id` from `buf`, bytes of the index starting at the
    /// entry (`uvarint len | body | CRC`, possibly followed by more bytes), resolving its
    /// labels. Lets callers that fetched series ranges themselves (the store gateway)
    /// decode without another read.
    pub fn decode_series_at(&self, id: u32, buf: &[u8]) -> Result<SeriesEntry> {
        let offset = u64::from(id) * SERIES_ALIGNMENT;
        let path = self.src.path();
        let refs = decode_series(buf, offset).map_err(|e| e.in_file(path))?;
        let mut labels = Vec::with_capacity(refs.labels.len());
        for (n, v) in refs.labels {
            let name = self.symbols.lookup(n).map_err(|e| e.in_file(path))?;
            let value = self.symbols.lookup(v).map_err(|e| e.in_file(path))?;
            if labels
                .last()
                .is_some_and(|l: &Label| l.name.as_str() >= name)
            {
                return Err(CorruptAt::new(
                    offset,
                    Corruption::Invalid("series labels are not sorted".into()),
                )
                .in_file(path));
            }
            labels.push(Label::new(name, value));
        }
        Ok(SeriesEntry {
            id,
            labels: Labels::from_sorted(labels),
            chunks: refs.chunks,
        })
    }
}

/// Reads a framed section (length, body, CRC) at `offset`, which must end before `limit`.
fn read_section<R: ReadAt>(src: &R, offset: u64, limit: u64) -> Result<Bytes> {
    let len_bytes = src.read_at(offset, 4)?;
    let len = Decbuf::new(&len_bytes, offset)
        .be32()
        .map_err(|e| e.in_file(src.path()))?;
    let total = super::section::section_len_at(len);
    if offset.saturating_add(total) > limit {
        return Err(Error::Corrupt {
            path: src.path().to_path_buf(),
            offset,
            kind: Corruption::Truncated {
                needed: total,
                available: limit.saturating_sub(offset),
            },
        });
    }
    let buf = read_sized(src, offset, total)?;
    decode_section(&buf, offset).map_err(|e| e.in_file(src.path()))
}
