//! Object storage for mnemos.
//!
//! A [`Bucket`] is opened from Thanos' objstore YAML ([`BucketConfig`]) over the
//! `object_store` crate's S3, GCS, Azure or local-filesystem backend. Requests are retried
//! with exponential backoff on 5xx answers, throttling, timeouts and connection errors (the
//! backend's retry policy, bounded by `max_retries` and [`RETRY_TIMEOUT`]); every operation is
//! counted, timed and measured in bytes ([`BucketMetrics`]). Credentials never reach logs.

#![deny(missing_docs)]

mod bucket;
mod config;
mod error;
mod metrics;
mod s3_credentials;
mod unsupported;

use std::sync::{Arc, Once};
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};
use prometheus_client::registry::Registry;

use crate::s3_credentials::S3Credentials;

pub use bucket::{Bucket, ObjectInfo};
pub use config::{
    AzureConfig, Backend, BucketConfig, FilesystemConfig, GcsConfig, S3Config, UnreadKeys,
};
pub use error::{Error, Result};
pub use metrics::{BucketMetrics, OpLabels};

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

fn client_options() -> ClientOptions {
    ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(120))
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
            // Client options first: with_allow_http edits them.
            let mut b = AmazonS3Builder::new()
                .with_client_options(client_options())
                .with_bucket_name(&c.bucket)
                .with_region(if c.region.is_empty() {
                    "us-east-1"
                } else {
                    &c.region
                })
                .with_virtual_hosted_style_request(c.virtual_hosted())
                .with_allow_http(c.insecure)
                .with_retry(retry(c.max_retries));
            if let Some(url) = c.endpoint_url() {
                b = b.with_endpoint(url);
            }
            let credentials = S3Credentials::resolve(c, |name| std::env::var(name).ok())?;
            tracing::info!(
                bucket = %c.bucket,
                source = credentials.source(),
                "S3 credentials"
            );
            b = credentials.apply(b);
            Arc::new(b.build().map_err(|e| store_error("S3", e))?)
        }
        Backend::Gcs(c) => {
            let mut b = GoogleCloudStorageBuilder::from_env()
                .with_client_options(client_options())
                .with_bucket_name(&c.bucket)
                .with_retry(retry(c.max_retries));
            if !c.service_account.is_empty() {
                b = b.with_service_account_key(&c.service_account);
            }
            Arc::new(b.build().map_err(|e| store_error("GCS", e))?)
        }
        Backend::Azure(c) => {
            let mut b = MicrosoftAzureBuilder::from_env()
                .with_client_options(client_options())
                .with_account(&c.storage_account)
                .with_container_name(&c.container)
                .with_retry(retry(c.max_retries));
            if !c.storage_account_key.is_empty() {
                b = b.with_access_key(&c.storage_account_key);
            }
            if !c.endpoint.is_empty() {
                let url = if c.endpoint.contains("://") {
                    c.endpoint.clone()
                } else {
                    format!("https://{}.{}", c.storage_account, c.endpoint)
                };
                b = b
                    .with_allow_http(url.starts_with("http://"))
                    .with_endpoint(url);
            }
            Arc::new(b.build().map_err(|e| store_error("AZURE", e))?)
        }
    })
}
