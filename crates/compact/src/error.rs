//! Errors of the compactor.

use std::path::PathBuf;

use ulid::Ulid;

/// Why a block cannot be compacted; each kind is also the `reason` of its no-compact mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadKind {
    /// The block's files cannot be read (bad index, bad chunks, missing files).
    Corrupt,
    /// A series' chunks are not in time order or overlap inside the block.
    OutOfOrderChunks,
    /// The block overlaps another one of its group with different samples at the same
    /// timestamps, and no replica labels say which one to prefer.
    UnresolvableOverlap,
    /// Chunks this compactor cannot merge: an unknown encoding, or a series mixing float
    /// and histogram chunks where its parts overlap (and, for downsampling, native
    /// histograms, which are not downsampled yet).
    UnsupportedEncoding,
}

impl BadKind {
    /// The `reason` written in the no-compact mark.
    pub fn reason(self) -> &'static str {
        match self {
            BadKind::Corrupt => "corrupt-block",
            BadKind::OutOfOrderChunks => "out-of-order-chunks",
            BadKind::UnresolvableOverlap => "unresolvable-overlap",
            BadKind::UnsupportedEncoding => "unsupported-chunk-encoding",
        }
    }
}

/// Errors of the compactor library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bucket operation on blocks failed.
    #[error(transparent)]
    Block(#[from] mnemos_block::Error),
    /// Reading or writing a local block failed (not attributed to one source block).
    #[error(transparent)]
    Tsdb(#[from] mnemos_tsdb::Error),
    /// A local file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Source blocks that cannot be compacted; they get no-compact marks.
    #[error("blocks {blocks:?} cannot be compacted ({}): {detail}", kind.reason())]
    BadBlocks {
        /// The blocks to mark.
        blocks: Vec<Ulid>,
        /// What is wrong.
        kind: BadKind,
        /// Details for the log and the mark.
        detail: String,
    },
    /// A block this compactor uploaded does not read back from the bucket as it was written
    /// (it gets a no-compact mark; the blocks it was made from are kept).
    #[error("uploaded block {block} failed read-back verification: {detail}")]
    Unverified {
        /// The new block.
        block: Ulid,
        /// What differs or does not decode.
        detail: String,
    },
    /// Converting a block to Parquet failed.
    #[error(transparent)]
    Parquet(#[from] mnemos_parquet::Error),
    /// A chunk could not be decoded or encoded.
    #[error("{0}")]
    Chunk(String),
    /// A blocking task panicked or was cancelled.
    #[error("compaction task failed: {0}")]
    Task(String),
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Result type of the compactor.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Extension to attach a path to I/O errors.
pub(crate) trait IoContext<T> {
    /// Wraps the error with `path`.
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
