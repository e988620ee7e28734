//! Errors of the Parquet tier.

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong converting or reading Parquet blocks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Parquet library failed (a malformed file, a failed read underneath).
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrow failed building or reading a batch.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The source TSDB block could not be read.
    #[error(transparent)]
    Tsdb(#[from] mnemos_tsdb::Error),
    /// A file is well-formed Parquet but breaks the schema (the text says how).
    #[error("{0}")]
    Schema(String),
    /// A chunk cell's bytes are malformed.
    #[error("chunk cell: {0}")]
    Cell(String),
    /// A local file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether the error says the data itself is bad (rather than a read that failed and
    /// may succeed when retried).
    pub fn is_corruption(&self) -> bool {
        match self {
            Error::Schema(_) | Error::Cell(_) | Error::Arrow(_) => true,
            Error::Parquet(e) => !matches!(e, parquet::errors::ParquetError::External(_)),
            Error::Tsdb(_) | Error::Io { .. } => false,
        }
    }
}
