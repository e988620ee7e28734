//! A listener's TLS: certificate and key, optionally client certificates verified against a
//! CA (mTLS), reloaded on change; and the stream of TLS connections of a TCP listener.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

use crate::files;
use crate::reload::Reloading;
use crate::{provider, Error, TlsVersion};

/// Whether and how client certificates are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// No client certificate is asked for.
    None,
    /// A client certificate is asked for and, when given, must verify against the client CA.
    VerifyIfGiven,
    /// Every client must present a certificate that verifies against the client CA (mTLS).
    RequireAndVerify,
}

/// The files and settings of a listener's TLS.
#[derive(Clone, Debug)]
pub struct ServerTlsSpec {
    /// PEM certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// PEM private key of the leaf certificate.
    pub key_file: PathBuf,
    /// PEM certificate authorities client certificates are verified against.
    pub client_ca_file: Option<PathBuf>,
    /// Whether client certificates are asked for (needs `client_ca_file` unless `None`).
    pub client_auth: ClientAuth,
    /// Oldest TLS version accepted.
    pub min_version: TlsVersion,
    /// Newest TLS version accepted.
    pub max_version: TlsVersion,
    /// ALPN protocols offered (`h2` for gRPC, `http/1.1` for HTTP).
    pub alpn: Vec<Vec<u8>>,
}

impl ServerTlsSpec {
    fn files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.cert_file.clone(), self.key_file.clone()];
        files.extend(self.client_ca_file.clone());
        files
    }

    /// Builds the rustls configuration from the files as they are now.
    fn build(&self) -> Result<ServerConfig, Error> {
        let versions = TlsVersion::between(self.min_version, self.max_version)?;
        let builder = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&versions)
            .map_err(|e| Error::Config(e.to_string()))?;
        let builder = match (self.client_auth, &self.client_ca_file) {
            (ClientAuth::None, _) => builder.with_no_client_auth(),
            (auth, Some(ca)) => {
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(files::roots(ca)?),
                    provider(),
                );
                let verifier = if auth == ClientAuth::VerifyIfGiven {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                builder.with_client_cert_verifier(
                    verifier.build().map_err(|e| Error::Config(e.to_string()))?,
                )
            }
            (_, None) => {
                return Err(Error::Invalid(
                    "verifying client certificates needs a client CA file".to_string(),
                ))
            }
        };
        let mut config = builder
            .with_single_cert(
                files::certificates(&self.cert_file)?,
                files::private_key(&self.key_file)?,
            )
            .map_err(|e| Error::Config(format!("{}: {e}", self.cert_file.display())))?;
        config.alpn_protocols = self.alpn.clone();
        Ok(config)
    }
}

/// A listener's TLS configuration, rebuilt when its files change.
pub struct ServerTls {
    config: Reloading<ServerConfig>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerTls")
    }
}

impl ServerTls {
    /// Loads the files once; an error is a startup error.
    pub fn new(spec: ServerTlsSpec) -> Result<Self, Error> {
        let files = spec.files();
        let config = Reloading::new("server", files, Box::new(move || spec.build()))?;
        Ok(Self { config })
    }

    /// The configuration for the next handshake.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.config.current()
    }

    /// Performs the server side of a handshake on `stream` within `timeout`.
    pub async fn accept<IO>(&self, stream: IO, timeout: Duration) -> std::io::Result<TlsStream<IO>>
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.config());
        match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
            Ok(result) => result,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("TLS handshake not done within {timeout:?}"),
            )),
        }
    }
}

/// The TLS connections of `listener`: each accepted TCP connection does its handshake in its
/// own task within `handshake_timeout` (a slow or failing client never holds up the others);
/// failed handshakes are logged and dropped. At most `backlog` finished handshakes wait to
/// be taken. Accepting stops when the stream is dropped.
pub fn incoming(
    listener: TcpListener,
    tls: Arc<ServerTls>,
    handshake_timeout: Duration,
    backlog: usize,
) -> impl Stream<Item = std::io::Result<TlsStream<TcpStream>>> + Send + 'static {
    let (tx, mut rx) = tokio::sync::mpsc::channel(backlog.max(1));
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => return,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let tls = tls.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match tls.accept(stream, handshake_timeout).await {
                    Ok(conn) => {
                        let _ = tx.send(Ok(conn)).await;
                    }
                    Err(e) => tracing::debug!(peer = %peer, error = %e, "TLS handshake failed"),
                }
            });
        }
    });
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
