//! A client's TLS (Thanos' `--grpc-client-tls-*` flags and an endpoint's `tls_config`):
//! the CA that verifies servers (the system's when none), an optional client certificate
//! for mTLS, the name servers are verified as, or no verification at all; reloaded on
//! change. [`Connector`] dials TLS connections with it for gRPC channels.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::files;
use crate::reload::Reloading;
use crate::{provider, Error};

/// The files and settings of a client's TLS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTlsSpec {
    /// PEM certificate authorities servers are verified against; the system's when `None`.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain (mTLS), with `key_file`.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file`.
    pub key_file: Option<PathBuf>,
    /// The name the server's certificate must carry (and SNI); the dialled host when `None`.
    pub server_name: Option<String>,
    /// Accept any server certificate (the connection is encrypted, the server unverified).
    pub insecure_skip_verify: bool,
    /// ALPN protocols asked for (`h2` for gRPC).
    pub alpn: Vec<Vec<u8>>,
}

impl ClientTlsSpec {
    /// The spec of a configuration file's `tls_config` (Prometheus' and Thanos' keys, an
    /// empty string meaning unset), asking for `alpn`.
    pub fn from_settings(
        ca_file: String,
        cert_file: String,
        key_file: String,
        server_name: String,
        insecure_skip_verify: bool,
        alpn: &[u8],
    ) -> Self {
        let path = |s: String| (!s.is_empty()).then(|| PathBuf::from(s));
        Self {
            ca_file: path(ca_file),
            cert_file: path(cert_file),
            key_file: path(key_file),
            server_name: (!server_name.is_empty()).then_some(server_name),
            insecure_skip_verify,
            alpn: vec![alpn.to_vec()],
        }
    }

    fn files(&self) -> Vec<PathBuf> {
        [&self.ca_file, &self.cert_file, &self.key_file]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// Builds the rustls configuration from the files as they are now.
    fn build(&self) -> Result<ClientConfig, Error> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(e.to_string()))?;
        let builder = if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification))
        } else {
            let roots = match &self.ca_file {
                Some(ca) => files::roots(ca)?,
                None => system_roots(),
            };
            builder.with_root_certificates(roots)
        };
        let mut config = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(files::certificates(cert)?, files::private_key(key)?)
                .map_err(|e| Error::Config(format!("{}: {e}", cert.display())))?,
            (None, None) => builder.with_no_client_auth(),
            _ => {
                return Err(Error::Invalid(
                    "a client certificate needs both a certificate and a key file".to_string(),
                ))
            }
        };
        config.alpn_protocols = self.alpn.clone();
        Ok(config)
    }
}

/// The system's certificate authorities (none found: an empty store, so every server fails
/// verification rather than any passing).
fn system_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(error = %e, "reading the system's certificate authorities");
    }
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        tracing::warn!("no system certificate authorities found: give a CA file");
    }
    roots
}

/// A client's TLS configuration, rebuilt when its files change.
pub struct ClientTls {
    server_name: Option<String>,
    config: Reloading<ClientConfig>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Loads the files once; an error is a startup error.
    pub fn new(spec: ClientTlsSpec) -> Result<Self, Error> {
        let server_name = spec.server_name.clone().filter(|s| !s.is_empty());
        let files = spec.files();
        let config = Reloading::new("client", files, Box::new(move || spec.build()))?;
        Ok(Self {
            server_name,
            config,
        })
    }

    /// The rustls configuration now (rebuilt first if its files changed).
    pub fn config(&self) -> Arc<ClientConfig> {
        self.config.current()
    }

    /// Opens a TLS connection over `stream` to `host` (verified as the configured server
    /// name, or as `host`).
    pub async fn connect<IO>(&self, host: &str, stream: IO) -> std::io::Result<TlsStream<IO>>
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let name = self.server_name.as_deref().unwrap_or(host);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(name.to_string()).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("server name {name:?}: {e}"),
            )
        })?;
        tokio_rustls::TlsConnector::from(self.config.current())
            .connect(name, stream)
            .await
    }
}

/// Dials `host:port` of a URI and opens TLS over it: the connector of a gRPC channel to a
/// TLS endpoint.
#[derive(Clone, Debug)]
pub struct Connector {
    tls: Arc<ClientTls>,
}

impl Connector {
    /// A connector using `tls`.
    pub fn new(tls: Arc<ClientTls>) -> Self {
        Self { tls }
    }
}

type Connecting =
    Pin<Box<dyn Future<Output = std::io::Result<TokioIo<TlsStream<TcpStream>>>> + Send>>;

impl tower::Service<http::Uri> for Connector {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = std::io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let tls = self.tls.clone();
        Box::pin(async move {
            let invalid = |what: &str| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{what} in {uri}"))
            };
            let host = uri.host().ok_or_else(|| invalid("no host"))?.to_string();
            let port = uri.port_u16().ok_or_else(|| invalid("no port"))?;
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let tcp = TcpStream::connect((bare, port)).await?;
            let _ = tcp.set_nodelay(true);
            Ok(TokioIo::new(tls.connect(&host, tcp).await?))
        })
    }
}

/// Accepts every server certificate (`insecure_skip_verify`); handshake signatures are still
/// checked, so the connection is encrypted to whoever holds the certificate's key.
#[derive(Debug)]
struct NoVerification;

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
