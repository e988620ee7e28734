//! Positional reads of a file's byte ranges. Readers of index and chunk files go
//! through [`ReadAt`], never assuming the whole file is in memory, so the same
//! decoding code serves local files and ranged object-storage reads.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{Error, IoContext, Result};

/// A file whose byte ranges can be read independently.
pub trait ReadAt: Send + Sync {
    /// Total size in bytes.
    fn size(&self) -> u64;
    /// Reads exactly `len` bytes at `offset`; a range past the end is an error.
    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes>;
    /// Where the bytes come from, for error messages.
    fn path(&self) -> &Path;

    /// Reads up to `len` bytes at `offset`, fewer when the file ends first.
    fn read_at_most(&self, offset: u64, len: usize) -> Result<Bytes> {
        let avail = self.size().saturating_sub(offset);
        self.read_at(offset, len.min(avail as usize))
    }
}

/// A local file mapped into memory; reads are zero-copy slices.
#[derive(Clone, Debug)]
pub struct MappedFile {
    data: Bytes,
    path: PathBuf,
}

impl MappedFile {
    /// Maps the file at `path` read-only.
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).at_path(path)?;
        let len = file.metadata().at_path(path)?.len();
        let data = if len == 0 {
            Bytes::new()
        } else {
            // SAFETY: the block files are immutable once written (blocks are
            // written to a temporary directory and renamed into place); a file
            // truncated underneath us by another process is outside the
            // contract, as for every TSDB reader.
            let map = unsafe { memmap2::Mmap::map(&file) }.at_path(path)?;
            Bytes::from_owner(map)
        };
        Ok(Self {
            data,
            path: path.to_path_buf(),
        })
    }
}

impl ReadAt for MappedFile {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes> {
        slice_range(&self.data, offset, len, &self.path)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

/// Bytes already in memory (downloaded ranges, tests) presented as a file.
#[derive(Clone, Debug)]
pub struct InMemoryFile {
    data: Bytes,
    path: PathBuf,
}

impl InMemoryFile {
    /// Wraps `data`, named `path` in errors.
    pub fn new(data: impl Into<Bytes>, path: impl Into<PathBuf>) -> Self {
        Self {
            data: data.into(),
            path: path.into(),
        }
    }
}

impl ReadAt for InMemoryFile {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes> {
        slice_range(&self.data, offset, len, &self.path)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

fn slice_range(data: &Bytes, offset: u64, len: usize, path: &Path) -> Result<Bytes> {
    let size = data.len() as u64;
    let end = offset.checked_add(len as u64);
    match end {
        Some(end) if end <= size => Ok(data.slice(offset as usize..end as usize)),
        _ => Err(Error::Corrupt {
            path: path.to_path_buf(),
            offset,
            kind: crate::error::Corruption::Truncated {
                needed: len as u64,
                available: size.saturating_sub(offset),
            },
        }),
    }
}
