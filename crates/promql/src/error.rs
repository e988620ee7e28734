//! Errors a query can end with, worded as Prometheus words them.

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a query failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The query does not parse (or uses syntax Prometheus 2.42 rejects).
    #[error("{0}")]
    Parse(String),
    /// Evaluation failed (Prometheus' wording, e.g. "vector cannot contain metrics with the
    /// same labelset").
    #[error("{0}")]
    Execution(String),
    /// The query would hold more samples in memory than allowed.
    #[error("query processing would load too many samples into memory in query execution")]
    TooManySamples,
    /// The query ran past its timeout.
    #[error("query timed out in query execution")]
    Timeout,
    /// The query's client went away.
    #[error("query was canceled in query execution")]
    Canceled,
    /// The storage failed.
    #[error("{0}")]
    Storage(String),
}
