//! Positional reads of a file's byte ranges. Readers of index and chunk files go
//! through [`ReadAt`], never assuming the whole file is in memory, so the same
//! decoding code serves local files and ranged object-storage reads.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::encoding::decode_uvarint;
use crate::error::{CorruptAt, Corruption, Error, IoContext, Result};

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

/// Reads a record framed as `uvarint len | len + extra bytes` at `offset`
/// (a series entry has a 4-byte CRC after its body: extra 4; a chunk also has
/// its encoding byte: extra 5). Returns the whole record, prefix included.
pub fn read_length_prefixed<R: ReadAt + ?Sized>(src: &R, offset: u64, extra: u64) -> Result<Bytes> {
    let head = src.read_at_most(offset, 10)?;
    let (len, n) = decode_uvarint(&head)
        .ok_or_else(|| CorruptAt::new(offset, Corruption::Varint).in_file(src.path()))?;
    let total = (n as u64).saturating_add(len).saturating_add(extra);
    let avail = src.size().saturating_sub(offset);
    if total > avail {
        return Err(CorruptAt::new(
            offset,
            Corruption::Truncated {
                needed: total,
                available: avail,
            },
        )
        .in_file(src.path()));
    }
    src.read_at(offset, total as usize)
}

/// A file's bytes held as [`Bytes`]: a memory-mapped local file or data
/// already in memory (downloaded ranges, tests). Reads are zero-copy slices.
#[derive(Clone, Debug)]
pub struct BytesFile {
    data: Bytes,
    path: PathBuf,
}

impl BytesFile {
    /// Maps the local file at `path` read-only.
    pub fn map(path: &Path) -> Result<Self> {
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
        Ok(Self::new(data, path))
    }

    /// Wraps bytes already in memory, named `path` in errors.
    pub fn new(data: impl Into<Bytes>, path: impl Into<PathBuf>) -> Self {
        Self {
            data: data.into(),
            path: path.into(),
        }
    }
}

impl ReadAt for BytesFile {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes> {
        let size = self.data.len() as u64;
        match offset.checked_add(len as u64) {
            Some(end) if end <= size => Ok(self.data.slice(offset as usize..end as usize)),
            _ => Err(Error::Corrupt {
                path: self.path.clone(),
                offset,
                kind: Corruption::Truncated {
                    needed: len as u64,
                    available: size.saturating_sub(offset),
                },
            }),
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }
}
