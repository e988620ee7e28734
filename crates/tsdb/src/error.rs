//! Errors of the block library: every corruption names the file and the byte offset.

use std::path::PathBuf;

use crate::chunkenc::ChunkError;

/// What is wrong with a piece of a file, independent of which file it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Corruption {
    /// The file does not start with the expected magic number.
    #[error("bad magic {found:#010x}, expected {expected:#010x}")]
    BadMagic {
        /// Magic number read.
        found: u32,
        /// Magic number this file kind must have.
        expected: u32,
    },
    /// The format version is not one this library reads.
    #[error("unsupported format version {0}")]
    BadVersion(u8),
    /// A CRC32-Castagnoli checksum does not match the data it covers.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// Checksum stored in the file.
        stored: u32,
        /// Checksum computed over the data.
        computed: u32,
    },
    /// The data ends before a field or section it announces.
    #[error("truncated: needed {needed} bytes, {available} available")]
    Truncated {
        /// Bytes the reader needed.
        needed: u64,
        /// Bytes that were there.
        available: u64,
    },
    /// A varint is longer than 64 bits or runs off the end of the data.
    #[error("invalid varint")]
    Varint,
    /// A structural rule of the format is broken (the text says which).
    #[error("{0}")]
    Invalid(String),
    /// A chunk's payload does not decode.
    #[error("chunk: {0}")]
    Chunk(#[from] ChunkError),
}

/// A corruption found at an absolute byte offset of a file not yet named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptAt {
    /// Absolute byte offset in the file.
    pub offset: u64,
    /// What is wrong there.
    pub kind: Corruption,
}

impl CorruptAt {
    /// A corruption at `offset`.
    pub fn new(offset: u64, kind: Corruption) -> Self {
        Self { offset, kind }
    }

    /// Names the file, making a full [`Error`].
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        Error::Corrupt {
            path: path.into(),
            offset: self.offset,
            kind: self.kind,
        }
    }
}

/// Errors of the block library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file's content breaks the format.
    #[error("{path} at offset {offset}: {kind}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Absolute byte offset of the problem.
        offset: u64,
        /// What is wrong.
        kind: Corruption,
    },
    /// A chunk uses an encoding this library cannot decode (native histograms).
    #[error("{path} at offset {offset}: unsupported chunk encoding {encoding}")]
    UnsupportedEncoding {
        /// The chunk segment file.
        path: PathBuf,
        /// Offset of the chunk.
        offset: u64,
        /// The encoding byte found.
        encoding: u8,
    },
    /// meta.json cannot be parsed or written.
    #[error("{path}: invalid meta.json: {source}")]
    Meta {
        /// The meta.json file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A label matcher's regular expression does not compile.
    #[error("invalid regular expression {pattern:?} in matcher: {source}")]
    Regex {
        /// The regular expression as given.
        pattern: String,
        /// The compile error.
        #[source]
        source: regex::Error,
    },
    /// A writer was called against its contract (order, limits).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

/// Result type of the block library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds the file path to an `std::io::Error`.
pub(crate) trait IoContext<T> {
    /// Wraps the error with the path it concerns.
    fn at_path(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at_path(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
