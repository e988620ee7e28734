//! Object storage for mnemos.
//!
//! A [`Bucket`] is opened from Thanos' objstore YAML ([`BucketConfig`]) over the
//! `object_store` crate's S3, GCS, Azure or local-filesystem backend. Requests are retried
//! with exponential backoff on 5xx answers, throttling, timeouts and connection errors (the
//! backend's retry policy, bounded by `max_retries` and [`RETRY_TIMEOUT`]); every operation is
//! counted, timed and measured in bytes ([`BucketMetrics`]). Credentials are resolved in the
//! order Thanos resolves them per provider, and the chosen source (never a secret) is logged;
//! S3 server-side encryption ([`SseConfig`]) and the HTTP client's TLS and timeouts
//! ([`HttpConfig`]) follow Thanos' YAML. Credentials never reach logs.

#![deny(missing_docs)]

mod azure_credentials;
mod bucket;
mod client_cert;
mod config;
mod error;
mod gcs_credentials;
mod http_config;
mod metrics;
mod s3_credentials;
mod sse;
mod unsupported;

use std::sync::{Arc, Once};
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};
use prometheus_client::registry::Registry;

use crate::azure_credentials::AzureCredentials;
use crate::gcs_credentials::GcsCredentials;
use crate::s3_credentials::S3Credentials;

pub use bucket::{Bucket, ObjectInfo};
pub use config::{
    AzureConfig, Backend, BucketConfig, FilesystemConfig, GcsConfig, S3Config, UnreadKeys,
};
pub use error::{Error, Result};
pub use http_config::{HttpConfig, TlsConfig};
pub use metrics::{BucketMetrics, OpLabels};
pub use sse::{SseConfig, SSE_C_KEY_LEN};

/// Longest time one request is retried before its error is returned.
pub const RETRY_TIMEOUT: Duration = Duration::from_secs(60);
/// Retries per request when the config does not set `max_retries`.
pub const DEFAULT_MAX_RETRIES: usize = 10;

/// Opens the bucket a configuration describes and registers its metrics.
pub fn open(config: &BucketConfig, registry: &mut Registry) -> Result<Bucket> {
    open_with_metrics(config, BucketMetrics::new(registry))
}

/// Opens a bucket with existing metric families (several buckets may share them).
pub fn open_with_metrics(config: &BucketConfig, metrics: BucketMetrics) -> Result<Bucket> {
    let store = backend_store(&config.backend)?;
    let store: Arc<dyn ObjectStore> = if config.prefix.is_empty() {
        store
    } else {
        Arc::new(PrefixStore::new(store, config.prefix.as_str()))
    };
    Ok(Bucket::new(store, config.display_name(), metrics))
}

fn retry(max_retries: usize) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: if max_retries == 0 {
            DEFAULT_MAX_RETRIES
        } else {
            max_retries
        },
        retry_timeout: RETRY_TIMEOUT,
    }
}

/// Installs ring as rustls' process-wide crypto provider (idempotent). Opening a bucket does
/// it; other TLS clients of the process (trace export) call it too.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only when another provider is installed already, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn store_error(what: &str, e: object_store::Error) -> Error {
    Error::Config(format!("objstore config: {what}: {e}"))
}

fn backend_store(backend: &Backend) -> Result<Arc<dyn ObjectStore>> {
    install_crypto_provider();
    Ok(match backend {
        Backend::Filesystem(c) => {
            std::fs::create_dir_all(&c.directory).map_err(|source| Error::Io {
                path: c.directory.clone(),
                source,
            })?;
            let fs = LocalFileSystem::new_with_prefix(&c.directory)
                .map_err(|e| store_error("filesystem directory", e))?
                .with_automatic_cleanup(true)
                .with_fsync(true);
            Arc::new(fs)
        }
        Backend::S3(c) => {
            let url = c.endpoint_url();
            let host = match &url {
                Some(u) => host_of(u),
                None => format!("s3.{}.amazonaws.com", region_or_default(&c.region)),
            };
            let (options, connector) = c.http_config.client(&host)?;
            // Client options first: with_allow_http edits them.
            let mut b = AmazonS3Builder::new()
                .with_client_options(options)
                .with_bucket_name(&c.bucket)
                .with_region(region_or_default(&c.region))
                .with_virtual_hosted_style_request(c.virtual_hosted())
                .with_allow_http(c.insecure)
                .with_retry(retry(c.max_retries));
            if let Some(url) = url {
                b = b.with_endpoint(url);
            }
            if let Some(connector) = connector {
                b = b.with_http_connector(connector);
            }
            let credentials = S3Credentials::resolve(c, |name| std::env::var(name).ok())?;
            tracing::info!(
                bucket = %c.bucket,
                source = credentials.source(),
                sse = c.sse_config.describe(),
                "S3 credentials"
            );
            b = credentials.apply(b);
            b = c.sse_config.apply(b)?;
            Arc::new(b.build().map_err(|e| store_error("S3", e))?)
        }
        Backend::Gcs(c) => {
            let credentials = GcsCredentials::resolve(c, |name| std::env::var(name).ok())?;
            tracing::info!(
                bucket = %c.bucket,
                source = credentials.source(),
                "GCS credentials"
            );
            let (options, connector) = c.http_config.client("storage.googleapis.com")?;
            let mut b = GoogleCloudStorageBuilder::new()
                .with_client_options(options)
                .with_bucket_name(&c.bucket)
                .with_retry(retry(c.max_retries));
            if let Some(connector) = connector {
                b = b.with_http_connector(connector);
            }
            let b = credentials.apply(b);
            Arc::new(b.build().map_err(|e| store_error("GCS", e))?)
        }
        Backend::Azure(c) => {
            let url = if c.endpoint.is_empty() {
                format!("https://{}.blob.core.windows.net", c.storage_account)
            } else if c.endpoint.contains("://") {
                c.endpoint.clone()
            } else {
                format!("https://{}.{}", c.storage_account, c.endpoint)
            };
            let env = |name: &str| std::env::var(name).ok();
            let credentials = AzureCredentials::resolve(c, env);
            tracing::info!(
                storage_account = %c.storage_account,
                container = %c.container,
                source = credentials.source(),
                "Azure credentials"
            );
            let (options, connector) = c.http_config.client(&host_of(&url))?;
            let mut b = MicrosoftAzureBuilder::new()
                .with_client_options(options)
                .with_account(&c.storage_account)
                .with_container_name(&c.container)
                .with_retry(retry(c.max_retries));
            if !c.endpoint.is_empty() {
                b = b
                    .with_allow_http(url.starts_with("http://"))
                    .with_endpoint(url);
            }
            if let Some(connector) = connector {
                b = b.with_http_connector(connector);
            }
            let b = credentials.apply(b, env);
            Arc::new(b.build().map_err(|e| store_error("AZURE", e))?)
        }
    })
}

fn region_or_default(region: &str) -> &str {
    if region.is_empty() {
        "us-east-1"
    } else {
        region
    }
}

/// The host of a URL (`https://host:port/path` → `host`).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default().to_string();
    }
    authority.split(':').next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_endpoint_urls() {
        assert_eq!(host_of("https://s3.example:9000/x"), "s3.example");
        assert_eq!(host_of("http://127.0.0.1:9000"), "127.0.0.1");
        assert_eq!(host_of("https://[::1]:443"), "::1");
        assert_eq!(
            host_of("https://acc.blob.core.windows.net"),
            "acc.blob.core.windows.net"
        );
    }
}
