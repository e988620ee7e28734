//! The postings offset table: every label pair and where its postings list is.

use bytes::Bytes;

use crate::encoding::Decbuf;
use crate::error::{CorruptAt, Corruption};

/// Key of the list of all series: the empty name and value.
pub const ALL_POSTINGS_KEY: (&str, &str) = ("", "");

/// One label name's values, each with its postings list offset.
#[derive(Clone, Debug, Default)]
struct NameEntry {
    name: String,
    values: Vec<(String, u64)>,
}

/// The decoded postings offset table, sorted by name then value.
#[derive(Clone, Debug, Default)]
pub struct PostingsTable {
    names: Vec<NameEntry>,
}

impl PostingsTable {
    /// Decodes the table from its section body, starting at file offset `base`.
    pub fn decode(body: &Bytes, base: u64) -> Result<Self, CorruptAt> {
        let mut d = Decbuf::new(body, base);
        let n = d.be32()?;
        let mut names: Vec<NameEntry> = Vec::new();
        let mut prev: Option<(String, String)> = None;
        for _ in 0..n {
            let at = d.offset();
            let keys = d.u8()?;
            if keys != 2 {
                return Err(CorruptAt::new(
                    at,
                    Corruption::Invalid(format!(
                        "postings table entry has {keys} keys, expected 2"
                    )),
                ));
            }
            let name = d.uvarint_str()?;
            let value = d.uvarint_str()?;
            let offset = d.uvarint()?;
            if let Some((pn, pv)) = &prev {
                if (pn.as_str(), pv.as_str()) >= (name, value) {
                    return Err(CorruptAt::new(
                        at,
                        Corruption::Invalid("postings table is not sorted".into()),
                    ));
                }
            }
            prev = Some((name.to_string(), value.to_string()));
            match names.last_mut() {
                Some(e) if e.name == name => e.values.push((value.to_string(), offset)),
                _ => names.push(NameEntry {
                    name: name.to_string(),
                    values: vec![(value.to_string(), offset)],
                }),
            }
        }
        Ok(Self { names })
    }

    fn entry(&self, name: &str) -> Option<&NameEntry> {
        self.names
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.names[i])
    }

    /// Offset of the postings list of `name="value"`.
    pub fn offset(&self, name: &str, value: &str) -> Option<u64> {
        let e = self.entry(name)?;
        e.values
            .binary_search_by(|(v, _)| v.as_str().cmp(value))
            .ok()
            .map(|i| e.values[i].1)
    }

    /// Label names (without the all-postings key), sorted.
    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .map(|e| e.name.as_str())
            .filter(|n| !n.is_empty())
    }

    /// Values of label `name` with their postings offsets, sorted by value.
    pub fn values(&self, name: &str) -> impl Iterator<Item = (&str, u64)> {
        self.entry(name)
            .into_iter()
            .flat_map(|e| e.values.iter().map(|(v, o)| (v.as_str(), *o)))
    }

    /// Number of label pairs.
    pub fn len(&self) -> usize {
        self.names.iter().map(|e| e.values.len()).sum()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
