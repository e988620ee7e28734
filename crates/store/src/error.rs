//! Errors of the store gateway.

use std::path::PathBuf;

use ulid::Ulid;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong serving blocks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bucket failed.
    #[error(transparent)]
    Bucket(#[from] mnemos_objstore::Error),
    /// Listing or reading block metas failed.
    #[error(transparent)]
    Block(#[from] mnemos_block::Error),
    /// A block's files are unusable.
    #[error("block {block}: {reason}")]
    CorruptBlock {
        /// The block.
        block: Ulid,
        /// What is wrong.
        reason: String,
    },
    /// Reading or decoding block data failed.
    #[error("block {block}: {source}")]
    Tsdb {
        /// The block.
        block: Ulid,
        /// The error.
        #[source]
        source: mnemos_tsdb::Error,
    },
    /// Reading a block's Parquet files failed.
    #[error("block {block}: {source}")]
    Parquet {
        /// The block.
        block: Ulid,
        /// The error.
        #[source]
        source: mnemos_parquet::Error,
    },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A configuration value is invalid.
    #[error("{0}")]
    Config(String),
    /// A request limit was exceeded.
    #[error("{0}")]
    Limit(String),
}

impl Error {
    /// Whether the error says the block itself is bad (not the bucket being unavailable).
    pub fn is_corruption(&self) -> bool {
        if let Error::Parquet { source, .. } = self {
            return source.is_corruption();
        }
        matches!(
            self,
            Error::CorruptBlock { .. }
                | Error::Tsdb {
                    source: mnemos_tsdb::Error::Corrupt { .. }
                        | mnemos_tsdb::Error::UnsupportedEncoding { .. },
                    ..
                }
        )
    }
}
