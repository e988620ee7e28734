//! TLS for every mnemos listener and client, configured as Thanos and Prometheus configure
//! it: PEM files for the certificate chain, the key and the certificate authorities. The
//! rustls configuration is rebuilt when any of the files changes, so a rotated certificate
//! is picked up by the next handshake without a restart; a rebuild that fails (a key half
//! written, say) keeps the previous configuration and is logged.
//!
//! - [`ServerTls`]: a listener's configuration, optionally verifying client certificates
//!   (mTLS); [`incoming`] turns a TCP listener into a stream of TLS connections.
//! - [`ClientTls`]: a client's configuration (CA, client certificate, server name, skip
//!   verification); [`Connector`] dials TLS connections for gRPC channels.
//! - [`Reloading`]: any value built from files and rebuilt when they change (the HTTP
//!   listeners' web configuration uses it too).

#![deny(missing_docs)]

mod client;
mod files;
mod reload;
mod server;

pub use client::{ClientTls, ClientTlsSpec, Connector};
pub use reload::{Build, Reloading};
pub use server::{incoming, ClientAuth, ServerTls, ServerTlsSpec};

use std::path::PathBuf;

/// Errors building a TLS configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or held no usable PEM item.
    #[error("{what} {path}: {reason}")]
    File {
        /// What the file should hold ("certificate", "private key", "CA").
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it is unusable.
        reason: String,
    },
    /// rustls refused the configuration (a key that does not match the certificate, …).
    #[error("TLS configuration: {0}")]
    Config(String),
    /// A setting is invalid or not implemented.
    #[error("{0}")]
    Invalid(String),
}

/// A TLS protocol version, as Thanos' and Prometheus' flags and files name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.0 (served as 1.2: rustls has no older versions).
    Tls10,
    /// TLS 1.1 (served as 1.2: rustls has no older versions).
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// Parses Thanos' `--grpc-server-tls-min-version` values (`1.0` … `1.3`) and the
    /// exporter-toolkit's (`TLS10` … `TLS13`).
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "1.0" | "TLS10" => Ok(Self::Tls10),
            "1.1" | "TLS11" => Ok(Self::Tls11),
            "1.2" | "TLS12" => Ok(Self::Tls12),
            "1.3" | "TLS13" => Ok(Self::Tls13),
            other => Err(Error::Invalid(format!(
                "unknown TLS version {other:?} (1.0, 1.1, 1.2, 1.3 or TLS10 … TLS13)"
            ))),
        }
    }

    /// The rustls versions from `min` to `max` (1.0 and 1.1 count as 1.2).
    fn between(
        min: Self,
        max: Self,
    ) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, Error> {
        let mut versions = Vec::new();
        if min <= Self::Tls12 && max >= Self::Tls12 {
            versions.push(&rustls::version::TLS12);
        }
        if max >= Self::Tls13 {
            versions.push(&rustls::version::TLS13);
        }
        if versions.is_empty() || min > max {
            return Err(Error::Invalid(format!(
                "no TLS version between {min:?} and {max:?} that mnemos serves (1.2, 1.3)"
            )));
        }
        Ok(versions)
    }
}

/// The one crypto provider mnemos uses (ring).
fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(TlsVersion::parse("1.4").is_err());
        assert_eq!(TlsVersion::parse("TLS13").expect("v"), TlsVersion::Tls13);
        assert_eq!(TlsVersion::parse("1.0").expect("v"), TlsVersion::Tls10);
        assert_eq!(
            TlsVersion::between(TlsVersion::Tls10, TlsVersion::Tls13)
                .expect("both")
                .len(),
            2
        );
        assert!(TlsVersion::between(TlsVersion::Tls13, TlsVersion::Tls12).is_err());
        assert!(TlsVersion::between(TlsVersion::Tls10, TlsVersion::Tls11).is_err());
    }
}
