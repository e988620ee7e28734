//! Errors of bucket operations.

use std::path::PathBuf;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong talking to a bucket.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The objstore configuration is invalid.
    #[error("{0}")]
    Config(String),
    /// The object does not exist.
    #[error("object {key:?} not found in bucket {bucket}")]
    NotFound {
        /// Bucket display name.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// The backend failed (after its retries).
    #[error("bucket {bucket}: {op} {key:?}: {source}")]
    Store {
        /// Bucket display name.
        bucket: String,
        /// Operation name (`get`, `put`, …).
        op: &'static str,
        /// Object key or prefix.
        key: String,
        /// The backend's error.
        #[source]
        source: Box<object_store::Error>,
    },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the error means "no such object".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}
