//! Writes an index file. Symbols are given up front (sorted); series are added in
//! label order; postings, label indices and the tables are written at the end.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::series::encode_series;
use super::toc::Toc;
use super::{FORMAT_V2, MAGIC_INDEX, SERIES_ALIGNMENT};
use crate::chunks::ChunkMeta;
use crate::encoding::Encbuf;
use crate::error::{Error, IoContext, Result};
use crate::labels::Labels;

/// Writes one index file.
pub struct IndexWriter {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    pos: u64,
    symbols: HashMap<String, u32>,
    toc: Toc,
    /// Postings per (name ref, value ref); ref order is string order.
    postings: BTreeMap<(u32, u32), Vec<u32>>,
    all: Vec<u32>,
    last: Option<Labels>,
    buf: Encbuf,
    label_refs: Vec<(u32, u32)>,
}

impl IndexWriter {
    /// Creates the file and writes the header and the symbol table. `symbols`
    /// must be sorted and unique and hold every label name and value to be added.
    pub fn create(path: &Path, symbols: impl IntoIterator<Item = String>) -> Result<Self> {
        let file = std::fs::File::create(path).at_path(path)?;
        let mut w = Self {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, file),
            pos: 0,
            symbols: HashMap::new(),
            toc: Toc::default(),
            postings: BTreeMap::new(),
            all: Vec::new(),
            last: None,
            buf: Encbuf::new(),
            label_refs: Vec::new(),
        };
        let mut e = Encbuf::new();
        e.put_be32(MAGIC_INDEX);
        e.put_u8(FORMAT_V2);
        w.write(e.get())?;
        w.toc.symbols = w.pos;
        let mut body = Encbuf::new();
        body.put_be32(0);
        let mut prev: Option<String> = None;
        for (i, s) in symbols.into_iter().enumerate() {
            if prev.as_ref().is_some_and(|p| *p >= s) {
                return Err(Error::InvalidInput(format!(
                    "index symbols must be sorted and unique: {prev:?} then {s:?}"
                )));
            }
            body.put_uvarint_str(&s);
            let r = u32::try_from(i)
                .map_err(|_| Error::InvalidInput("more than 2^32 symbols".into()))?;
            w.symbols.insert(s.clone(), r);
            prev = Some(s);
        }
        let count = w.symbols.len() as u32;
        body.patch_be32(0, count);
        w.write_section(body.get())?;
        w.toc.series = w.pos;
        Ok(w)
    }

    fn write(&mut self, b: &[u8]) -> Result<()> {
        self.out.write_all(b).at_path(&self.path)?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn pad_to(&mut self, alignment: u64) -> Result<()> {
        let rem = self.pos % alignment;
        if rem != 0 {
            let zeros = [0u8; 16];
            self.write(&zeros[..(alignment - rem) as usize])?;
        }
        Ok(())
    }

    /// Writes `len <4b> | body | CRC32C(body)`.
    fn write_section(&mut self, body: &[u8]) -> Result<()> {
        let len = u32::try_from(body.len())
            .map_err(|_| Error::InvalidInput("index section larger than 4 GiB".into()))?;
        self.write(&len.to_be_bytes())?;
        self.write(body)?;
        self.write(&crc32c::crc32c(body).to_be_bytes())
    }

    fn symbol(&self, s: &str) -> Result<u32> {
        self.symbols
            .get(s)
            .copied()
            .ok_or_else(|| Error::InvalidInput(format!("{s:?} is not in the index symbol table")))
    }

    /// Adds a series; series must come in strictly increasing label order.
    /// Returns its ID (offset / 16).
    pub fn add_series(&mut self, labels: &Labels, chunks: &[ChunkMeta]) -> Result<u32> {
        if let Some(last) = &self.last {
            if last >= labels {
                return Err(Error::InvalidInput(format!(
                    "series added out of order: {labels} after {last}"
                )));
            }
        }
        self.pad_to(SERIES_ALIGNMENT)?;
        let id = u32::try_from(self.pos / SERIES_ALIGNMENT)
            .map_err(|_| Error::InvalidInput("index series section exceeds 64 GiB".into()))?;
        self.label_refs.clear();
        for l in labels.iter() {
            let pair = (self.symbol(&l.name)?, self.symbol(&l.value)?);
            self.label_refs.push(pair);
        }
        self.buf.reset();
        encode_series(&mut self.buf, &self.label_refs, chunks)?;
        let buf = std::mem::take(&mut self.buf);
        self.write(buf.get())?;
        self.buf = buf;
        for &pair in &self.label_refs {
            self.postings.entry(pair).or_default().push(id);
        }
        self.all.push(id);
        self.last = Some(labels.clone());
        Ok(id)
    }

    /// Number of series added.
    pub fn num_series(&self) -> usize {
        self.all.len()
    }

    /// Writes label indices, postings, the offset tables and the TOC; fsyncs.
    /// Returns the file size.
    pub fn finish(mut self) -> Result<u64> {
        let mut by_ref = vec![String::new(); self.symbols.len()];
        for (s, r) in std::mem::take(&mut self.symbols) {
            by_ref[r as usize] = s;
        }
        let name_of = |r: u32| by_ref[r as usize].as_str();

        // Label indices (deprecated, kept for tools that read them): one per name.
        self.toc.label_indices = self.pos;
        let mut values_by_name: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for &(n, v) in self.postings.keys() {
            values_by_name.entry(n).or_default().push(v);
        }
        let mut label_index_offsets = Vec::with_capacity(values_by_name.len());
        for (name, values) in &values_by_name {
            self.pad_to(4)?;
            label_index_offsets.push((*name, self.pos));
            let mut body = Encbuf::new();
            body.put_be32(1);
            body.put_be32(values.len() as u32);
            for v in values {
                body.put_be32(*v);
            }
            self.write_section(body.get())?;
        }

        // Postings: all series first (key "", ""), then by name and value.
        self.toc.postings = self.pos;
        let mut table: Vec<(String, String, u64)> = Vec::with_capacity(self.postings.len() + 1);
        let all = std::mem::take(&mut self.all);
        self.pad_to(4)?;
        table.push((String::new(), String::new(), self.pos));
        self.write_postings(&all)?;
        let postings = std::mem::take(&mut self.postings);
        for ((n, v), ids) in &postings {
            self.pad_to(4)?;
            table.push((name_of(*n).to_string(), name_of(*v).to_string(), self.pos));
            self.write_postings(ids)?;
        }

        // Label offset table.
        self.toc.label_indices_table = self.pos;
        let mut body = Encbuf::new();
        body.put_be32(label_index_offsets.len() as u32);
        for (name, off) in &label_index_offsets {
            body.put_u8(1);
            body.put_uvarint_str(name_of(*name));
            body.put_uvarint(*off);
        }
        self.write_section(body.get())?;

        // Postings offset table.
        self.toc.postings_table = self.pos;
        let mut body = Encbuf::new();
        body.put_be32(table.len() as u32);
        for (n, v, off) in &table {
            body.put_u8(2);
            body.put_uvarint_str(n);
            body.put_uvarint_str(v);
            body.put_uvarint(*off);
        }
        self.write_section(body.get())?;

        let mut e = Encbuf::new();
        self.toc.encode(&mut e);
        self.write(e.get())?;
        let path = self.path.clone();
        let file = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .at_path(&path)?;
        file.sync_all().at_path(&path)?;
        Ok(self.pos)
    }

    fn write_postings(&mut self, ids: &[u32]) -> Result<()> {
        let mut body = Encbuf::new();
        body.put_be32(ids.len() as u32);
        for id in ids {
            body.put_be32(*id);
        }
        self.write_section(body.get())
    }
}
