//! Errors of the sidecar.

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in the sidecar.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Prometheus could not be reached or answered with an error.
    #[error("prometheus {url}: {message}")]
    Prometheus {
        /// The URL called.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Prometheus' configuration is unusable for a sidecar.
    #[error("{0}")]
    Config(String),
    /// The remote-read stream is malformed.
    #[error("remote read: {0}")]
    RemoteRead(String),
    /// Moving a block to the bucket failed.
    #[error(transparent)]
    Block(#[from] mnemos_block::Error),
    /// Reading Prometheus' data directory failed.
    #[error(transparent)]
    Tsdb(#[from] mnemos_tsdb::Error),
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
