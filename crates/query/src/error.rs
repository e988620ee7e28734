//! Errors of the querier library.

/// Result with the querier's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while finding endpoints or reading from them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An `--endpoint` value or a file SD target that is not `host:port`,
    /// `dns+host:port` or `dnssrv+name`.
    #[error("invalid endpoint {spec:?}: {reason}")]
    InvalidEndpoint {
        /// The value as given.
        spec: String,
        /// Why it is refused.
        reason: String,
    },
    /// A file SD file that can't be read or parsed.
    #[error("file SD {path}: {reason}")]
    FileSd {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// The endpoint configuration file (`--endpoint.sd-config`) can't be read, parsed or
    /// used.
    #[error("endpoint config {source_name}: {reason}")]
    EndpointConfig {
        /// The file, or "--endpoint.sd-config".
        source_name: String,
        /// What failed.
        reason: String,
    },
    /// A TLS configuration of the endpoints can't be loaded.
    #[error("endpoint TLS: {0}")]
    Tls(#[from] mnemos_tls::Error),
    /// A DNS lookup failed.
    #[error("DNS lookup of {name}: {reason}")]
    Dns {
        /// The name looked up.
        name: String,
        /// The resolver's error.
        reason: String,
    },
    /// An endpoint failed or timed out and partial responses are off.
    #[error("{0}")]
    EndpointFailed(String),
    /// An endpoint refused the request for passing one of its limits (gRPC
    /// `ResourceExhausted`, e.g. `--store.limits.request-series`): the request fails even
    /// with partial responses on, since an empty or partial answer would look complete.
    #[error("{0}")]
    LimitExceeded(String),
    /// A chunk that can't be decoded.
    #[error("decoding a chunk of {series}: {reason}")]
    Chunk {
        /// The series' labels.
        series: String,
        /// The decoder's error.
        reason: String,
    },
}
