//! HTTP clients that present a TLS client certificate (`http_config.tls_config.cert_file` and
//! `key_file`). The `object_store` crate's own client options cannot carry one, so a bucket
//! with a client certificate gets this connector: it builds each client (the bucket's, and
//! those of token exchanges) from the same options `object_store` asks for — timeouts, pool,
//! plain-HTTP and invalid-certificate switches, read through `ClientOptions`' getters — plus
//! the CA certificates and the identity it holds.

use std::fmt;
use std::time::Duration;

use object_store::client::{HttpClient, HttpConnector};
use object_store::{ClientConfigKey, ClientOptions};

use crate::error::{Error, Result};

/// The user agent of mnemos' object storage requests when a client certificate is used.
const USER_AGENT: &str = concat!("mnemos/", env!("CARGO_PKG_VERSION"));

/// Builds HTTP clients that present a client certificate.
pub(crate) struct ClientCertConnector {
    identity: reqwest::Identity,
    roots: Vec<reqwest::Certificate>,
}

impl fmt::Debug for ClientCertConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertConnector")
            .field("identity", &"<client certificate>")
            .field("roots", &self.roots.len())
            .finish()
    }
}

impl ClientCertConnector {
    /// A connector presenting the certificate chain and key of the PEM texts `cert` and
    /// `key`, trusting `roots` (PEM CA bundle) besides the system roots.
    pub(crate) fn new(cert: &[u8], key: &[u8], roots: Option<&[u8]>) -> Result<Self> {
        let mut pem = cert.to_vec();
        if !pem.ends_with(b"\n") {
            pem.push(b'\n');
        }
        pem.extend_from_slice(key);
        let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
            Error::Config(
                "objstore config: config.http_config.tls_config.cert_file and key_file are not \
                 a PEM certificate and its private key"
                    .to_string(),
            )
        })?;
        let roots = match roots {
            Some(pem) => reqwest::Certificate::from_pem_bundle(pem).map_err(|_| {
                Error::Config(
                    "objstore config: config.http_config.tls_config.ca_file holds no PEM \
                     certificate"
                        .to_string(),
                )
            })?,
            None => Vec::new(),
        };
        Ok(Self { identity, roots })
    }
}

/// A duration option as `ClientOptions` prints it (humantime: `5s`, `1m 30s`).
fn duration_option(options: &ClientOptions, key: ClientConfigKey) -> Option<Duration> {
    let text = options.get_config_value(&key)?;
    mnemos_tsdb::time::parse_duration(&text.replace(' ', "")).ok()
}

fn flag(options: &ClientOptions, key: ClientConfigKey) -> bool {
    options.get_config_value(&key).as_deref() == Some("true")
}

impl HttpConnector for ClientCertConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let mut b = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .identity(self.identity.clone())
            .tls_certs_merge(self.roots.iter().cloned())
            .http1_only();
        if let Some(t) = duration_option(options, ClientConfigKey::Timeout) {
            b = b.timeout(t);
        }
        if let Some(t) = duration_option(options, ClientConfigKey::ConnectTimeout) {
            b = b.connect_timeout(t);
        }
        if let Some(t) = duration_option(options, ClientConfigKey::ReadTimeout) {
            b = b.read_timeout(t);
        }
        if let Some(t) = duration_option(options, ClientConfigKey::PoolIdleTimeout) {
            b = b.pool_idle_timeout(t);
        }
        if let Some(n) = options
            .get_config_value(&ClientConfigKey::PoolMaxIdlePerHost)
            .and_then(|v| v.parse().ok())
        {
            b = b.pool_max_idle_per_host(n);
        }
        if flag(options, ClientConfigKey::AllowInvalidCertificates) {
            b = b.danger_accept_invalid_certs(true);
        }
        let client = b
            .https_only(!flag(options, ClientConfigKey::AllowHttp))
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "HTTP client",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(client))
    }
}
