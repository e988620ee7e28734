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
        let avail = usize::try_from(self.size().saturating_sub(offset)).unwrap_or(usize::MAX);
        self.read_at(offset, len.min(avail))
    }
}

/// Longest prefix of a length-prefixed record: a 64-bit uvarint.
pub const MAX_LENGTH_PREFIX: usize = 10;

/// Total size of a record framed as `uvarint len | len + extra bytes` (a series entry has
/// a 4-byte CRC after its body: extra 4; a chunk also has its encoding byte: extra 5),
/// from its first bytes `head`: the record starts at `offset` of a file of `size` bytes.
/// The length comes from the data, so it is checked before anything is read or allocated:
/// a record that would run past the end of the file is an error.
pub fn length_prefixed_size(
    head: &[u8],
    offset: u64,
    extra: u64,
    size: u64,
) -> Result<u64, CorruptAt> {
    let (len, n) = decode_uvarint(head).ok_or(CorruptAt::new(offset, Corruption::Varint))?;
    let available = size.saturating_sub(offset);
    let total = (n as u64)
        .checked_add(len)
        .and_then(|t| t.checked_add(extra))
        .filter(|t| *t <= available)
        .ok_or(CorruptAt::new(
            offset,
            Corruption::Truncated {
                needed: (n as u64).saturating_add(len).saturating_add(extra),
                available,
            },
        ))?;
    Ok(total)
}

/// Reads a record framed as `uvarint len | len + extra bytes` at `offset` (see
/// [`length_prefixed_size`]). Returns the whole record, prefix included.
pub fn read_length_prefixed<R: ReadAt + ?Sized>(src: &R, offset: u64, extra: u64) -> Result<Bytes> {
    let head = src.read_at_most(offset, MAX_LENGTH_PREFIX)?;
    let total = length_prefixed_size(&head, offset, extra, src.size())
        .map_err(|e| e.in_file(src.path()))?;
    read_sized(src, offset, total)
}

/// Reads `total` bytes at `offset`: a size computed from the data and already checked
/// against the file (so only a platform whose `usize` cannot hold it refuses it).
pub(crate) fn read_sized<R: ReadAt + ?Sized>(src: &R, offset: u64, total: u64) -> Result<Bytes> {
    let len = usize::try_from(total).map_err(|_| {
        CorruptAt::new(
            offset,
            Corruption::Invalid(format!("{total} bytes do not fit in memory")),
        )
        .in_file(src.path())
    })?;
    src.read_at(offset, len)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lengths_from_the_data_never_overflow_or_pass_the_end() {
        // A length of 2^64 - 1: no overflow, a clear error.
        let huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        let err = length_prefixed_size(&huge, 100, 5, 1 << 20).unwrap_err();
        assert_eq!(err.offset, 100);
        assert!(
            matches!(
                err.kind,
                Corruption::Truncated {
                    needed: u64::MAX,
                    ..
                }
            ),
            "{err:?}"
        );
        // One byte too long for the file.
        assert!(length_prefixed_size(&[10], 0, 4, 14).is_err());
        assert_eq!(length_prefixed_size(&[10], 0, 4, 15), Ok(15));
        // Offset past the end of the file.
        assert!(length_prefixed_size(&[0], 20, 0, 10).is_err());
        // No prefix at all.
        assert!(matches!(
            length_prefixed_size(&[], 0, 0, 10).unwrap_err().kind,
            Corruption::Varint
        ));
    }

    #[test]
    fn reading_a_record_with_a_huge_length_is_an_error_naming_the_file() {
        let mut data = vec![0u8; 8];
        data.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        let file = BytesFile::new(data, "seg");
        let err = read_length_prefixed(&file, 8, 5).unwrap_err().to_string();
        assert!(err.starts_with("seg at offset 8: truncated"), "{err}");
        let err = read_length_prefixed(&file, 1_000, 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("seg at offset 1000"), "{err}");
    }
}
