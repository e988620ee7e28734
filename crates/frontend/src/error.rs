//! Errors of the query-frontend library.

/// Result with the frontend's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong configuring the frontend or calling the querier.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A cache configuration that can't be parsed or asks for what mnemos doesn't do.
    #[error("response cache config: {0}")]
    CacheConfig(String),
    /// The downstream URL or HTTP client can't be set up.
    #[error("downstream: {0}")]
    DownstreamConfig(String),
    /// The querier could not be reached, or its answer could not be read.
    #[error("downstream {url}: {reason}")]
    Downstream {
        /// The URL called (no credentials: they travel in headers).
        url: String,
        /// What failed.
        reason: String,
    },
}
