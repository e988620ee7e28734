//! Errors of block operations on a bucket.

use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong moving blocks between disk and bucket.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bucket failed.
    #[error(transparent)]
    Bucket(#[from] mnemos_objstore::Error),
    /// A configuration (relabel rules, …) is invalid.
    #[error("{0}")]
    Config(String),
    /// A local block or file is unusable.
    #[error(transparent)]
    Tsdb(#[from] mnemos_tsdb::Error),
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON document in the bucket (meta.json, a mark) does not parse.
    #[error("{key}: invalid JSON: {source}")]
    Json {
        /// Object key.
        key: String,
        /// Parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The block directory or its meta.json is not a valid block to upload.
    #[error("block {dir}: {reason}")]
    InvalidBlock {
        /// Local block directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Attaches a path to I/O errors.
pub(crate) trait IoContext<T> {
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
