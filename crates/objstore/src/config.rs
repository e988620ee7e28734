//! Bucket configuration in Thanos' objstore YAML format:
//!
//! ```yaml
//! type: S3            # S3 | FILESYSTEM | GCS | AZURE
//! config:
//!   bucket: metrics
//!   endpoint: 127.0.0.1:9000
//!   ...
//! prefix: optional/key/prefix
//! ```
//!
//! Keys Thanos has but mnemos does not implement (`aws_sdk_auth`, `signature_version2`, …)
//! are accepted only at their defaults, so Thanos' example files load unchanged while a
//! setting mnemos would not honour is an error naming the key; connection tuning keys are
//! accepted and logged as not applied (see [`crate::unsupported`] and
//! [`crate::http_config`]). Secrets never appear in `Debug` output or errors.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::http_config::HttpConfig;
use crate::sse::SseConfig;
use crate::unsupported::{self, Provider};

/// The keys of a backend's `config` that mnemos does not read itself; checked by
/// [`crate::unsupported`]. `Debug` shows their names only.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct UnreadKeys(BTreeMap<String, serde_yaml_ng::Value>);

impl fmt::Debug for UnreadKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// A parsed objstore configuration.
#[derive(Clone, Deserialize)]
pub struct BucketConfig {
    /// Which backend, with its settings.
    #[serde(flatten)]
    pub backend: Backend,
    /// Optional key prefix: every object of mnemos lives under it.
    #[serde(default)]
    pub prefix: String,
}

/// The backend and its settings (`type` + `config`).
#[derive(Clone, Deserialize)]
#[serde(tag = "type", content = "config")]
pub enum Backend {
    /// Any S3-compatible server.
    #[serde(rename = "S3", alias = "s3")]
    S3(S3Config),
    /// A local directory.
    #[serde(rename = "FILESYSTEM", alias = "filesystem")]
    Filesystem(FilesystemConfig),
    /// Google Cloud Storage.
    #[serde(rename = "GCS", alias = "gcs")]
    Gcs(GcsConfig),
    /// Azure Blob Storage.
    #[serde(rename = "AZURE", alias = "azure")]
    Azure(AzureConfig),
}

/// `type: S3` settings (names as in Thanos).
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// `host[:port]`; a scheme is optional (`http://` when `insecure`). Empty: AWS.
    pub endpoint: String,
    /// Region; S3-compatible servers usually accept any value.
    pub region: String,
    /// Access key id; empty uses the AWS environment/instance credentials.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token for temporary credentials.
    pub session_token: String,
    /// Use plain HTTP instead of HTTPS.
    pub insecure: bool,
    /// `auto` (virtual-hosted for AWS endpoints, path-style otherwise), `path` or
    /// `virtual-hosted`.
    pub bucket_lookup_type: String,
    /// Retries per request on 5xx, throttling and connection errors (0: default of 10).
    pub max_retries: usize,
    /// Server-side encryption.
    #[serde(deserialize_with = "null_as_default")]
    pub sse_config: SseConfig,
    /// STS endpoint for web identity (AssumeRoleWithWebIdentity); empty: the
    /// `AWS_ENDPOINT_URL_STS` environment variable, else AWS' regional STS.
    pub sts_endpoint: String,
    /// HTTP client settings.
    #[serde(deserialize_with = "null_as_default")]
    pub http_config: HttpConfig,
    /// Keys mnemos does not implement (accepted only as [`crate::unsupported`] allows).
    #[serde(flatten)]
    pub unread: UnreadKeys,
}

/// `type: FILESYSTEM` settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct FilesystemConfig {
    /// Root directory of the bucket (created when missing).
    pub directory: PathBuf,
    /// Keys mnemos does not implement (none are allowed).
    #[serde(flatten)]
    pub unread: UnreadKeys,
}

/// `type: GCS` settings.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct GcsConfig {
    /// Bucket name.
    pub bucket: String,
    /// Service account key JSON (the content, not a path); empty uses the environment's
    /// application default credentials.
    pub service_account: String,
    /// Retries per request (0: default).
    pub max_retries: usize,
    /// HTTP client settings.
    #[serde(deserialize_with = "null_as_default")]
    pub http_config: HttpConfig,
    /// Keys mnemos does not implement (accepted only as [`crate::unsupported`] allows).
    #[serde(flatten)]
    pub unread: UnreadKeys,
}

/// `type: AZURE` settings.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct AzureConfig {
    /// Storage account name.
    pub storage_account: String,
    /// Storage account key; empty uses the environment's credentials.
    pub storage_account_key: String,
    /// Container name.
    pub container: String,
    /// Endpoint suffix or full URL of the blob service (empty: Azure public cloud).
    pub endpoint: String,
    /// Tenant of the service principal (with `client_id` and `client_secret`).
    pub az_tenant_id: String,
    /// Client id of the service principal.
    pub client_id: String,
    /// Client secret of the service principal.
    pub client_secret: String,
    /// Client id of the user-assigned managed identity to use.
    pub user_assigned_id: String,
    /// Deprecated in Thanos and ignored there; accepted with a warning.
    pub msi_resource: String,
    /// Retries per request (0: default).
    pub max_retries: usize,
    /// HTTP client settings.
    #[serde(deserialize_with = "null_as_default")]
    pub http_config: HttpConfig,
    /// Keys mnemos does not implement (accepted only as [`crate::unsupported`] allows).
    #[serde(flatten)]
    pub unread: UnreadKeys,
}

/// A key written without a value (`sse_config:`) is its default, as in Thanos.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

impl BucketConfig {
    /// Parses Thanos' objstore YAML.
    pub fn from_yaml(yaml: &str) -> Result<Self> {
        let config: Self = serde_yaml_ng::from_str(yaml)
            .map_err(|e| Error::Config(format!("parsing objstore YAML: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// A filesystem bucket rooted at `directory` (the embedded default).
    pub fn filesystem(directory: impl Into<PathBuf>) -> Self {
        Self {
            backend: Backend::Filesystem(FilesystemConfig {
                directory: directory.into(),
                unread: UnreadKeys::default(),
            }),
            prefix: String::new(),
        }
    }

    /// A short name for logs and the `bucket` metric label (never a secret).
    pub fn display_name(&self) -> String {
        match &self.backend {
            Backend::S3(c) => format!("s3://{}", c.bucket),
            Backend::Filesystem(c) => format!("file://{}", c.directory.display()),
            Backend::Gcs(c) => format!("gs://{}", c.bucket),
            Backend::Azure(c) => format!("azure://{}/{}", c.storage_account, c.container),
        }
    }

    fn validate(&self) -> Result<()> {
        let missing = |what: &str| {
            Err(Error::Config(format!(
                "objstore config: `{what}` is required"
            )))
        };
        match &self.backend {
            Backend::S3(c) if c.bucket.is_empty() => missing("config.bucket"),
            Backend::S3(c) if !matches!(c.bucket_lookup_type.as_str(), "" | "auto" | "path" | "virtual-hosted") => {
                Err(Error::Config(format!(
                    "objstore config: bucket_lookup_type {:?} is not one of auto, path, virtual-hosted",
                    c.bucket_lookup_type
                )))
            }
            Backend::Filesystem(c) if c.directory.as_os_str().is_empty() => missing("config.directory"),
            Backend::Gcs(c) if c.bucket.is_empty() => missing("config.bucket"),
            Backend::Azure(c) if c.container.is_empty() => missing("config.container"),
            Backend::Azure(c) if c.storage_account.is_empty() => missing("config.storage_account"),
            _ => Ok(()),
        }?;
        let (provider, unread) = match &self.backend {
            Backend::S3(c) => (Provider::S3, &c.unread),
            Backend::Gcs(c) => (Provider::Gcs, &c.unread),
            Backend::Azure(c) => (Provider::Azure, &c.unread),
            Backend::Filesystem(c) => (Provider::Filesystem, &c.unread),
        };
        let mut not_applied = unsupported::check(provider, &unread.0)
            .map_err(|e| Error::Config(format!("objstore config: {e}")))?;
        match &self.backend {
            Backend::S3(c) => {
                c.sse_config.kind()?;
                crate::s3_credentials::check_sts_endpoint(&c.sts_endpoint)?;
                not_applied.extend(c.http_config.check()?);
            }
            Backend::Gcs(c) => not_applied.extend(c.http_config.check()?),
            Backend::Azure(c) => {
                crate::azure_credentials::check(c)?;
                not_applied.extend(c.http_config.check()?);
            }
            Backend::Filesystem(_) => {}
        }
        if !not_applied.is_empty() {
            tracing::warn!(
                keys = not_applied.join(","),
                "objstore config: connection tuning accepted but not applied (mnemos' HTTP \
                 client uses its own pool and timeouts)"
            );
        }
        Ok(())
    }
}

impl S3Config {
    /// The endpoint as a URL with scheme, or `None` for AWS' default endpoint.
    pub fn endpoint_url(&self) -> Option<String> {
        if self.endpoint.is_empty() {
            return None;
        }
        if self.endpoint.contains("://") {
            return Some(self.endpoint.clone());
        }
        let scheme = if self.insecure { "http" } else { "https" };
        Some(format!("{scheme}://{}", self.endpoint))
    }

    /// Whether requests name the bucket in the host (`bucket.endpoint`) rather than the path.
    pub fn virtual_hosted(&self) -> bool {
        match self.bucket_lookup_type.as_str() {
            "virtual-hosted" => true,
            "path" => false,
            _ => self.endpoint.is_empty() || self.endpoint.contains("amazonaws.com"),
        }
    }
}

/// Shows a secret as set/unset only.
fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() {
        "<unset>"
    } else {
        "<redacted>"
    }
}

impl fmt::Debug for BucketConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketConfig")
            .field("backend", &self.backend)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::S3(c) => f.debug_tuple("S3").field(c).finish(),
            Backend::Filesystem(c) => f.debug_tuple("Filesystem").field(c).finish(),
            Backend::Gcs(c) => f.debug_tuple("Gcs").field(c).finish(),
            Backend::Azure(c) => f.debug_tuple("Azure").field(c).finish(),
        }
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &redacted(&self.access_key))
            .field("secret_key", &redacted(&self.secret_key))
            .field("session_token", &redacted(&self.session_token))
            .field("insecure", &self.insecure)
            .field("bucket_lookup_type", &self.bucket_lookup_type)
            .field("max_retries", &self.max_retries)
            .field("sse_config", &self.sse_config)
            .field("sts_endpoint", &self.sts_endpoint)
            .field("http_config", &self.http_config)
            .finish()
    }
}

impl fmt::Debug for GcsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcsConfig")
            .field("bucket", &self.bucket)
            .field("service_account", &redacted(&self.service_account))
            .field("max_retries", &self.max_retries)
            .field("http_config", &self.http_config)
            .finish()
    }
}

impl fmt::Debug for AzureConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureConfig")
            .field("storage_account", &self.storage_account)
            .field("storage_account_key", &redacted(&self.storage_account_key))
            .field("container", &self.container)
            .field("endpoint", &self.endpoint)
            .field("az_tenant_id", &self.az_tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(&self.client_secret))
            .field("user_assigned_id", &self.user_assigned_id)
            .field("max_retries", &self.max_retries)
            .field("http_config", &self.http_config)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_thanos_s3_config_with_unused_fields() {
        let yaml = "type: S3\nconfig:\n  bucket: metrics\n  endpoint: 127.0.0.1:9000\n  region: garage\n  access_key: AKID\n  secret_key: SUPERSECRET\n  insecure: true\n  http_config:\n    idle_conn_timeout: 1m\n  trace:\n    enable: false\nprefix: tenant-a\n";
        let config = BucketConfig::from_yaml(yaml).expect("valid config");
        let Backend::S3(s3) = &config.backend else {
            panic!("expected S3, got {config:?}")
        };
        assert_eq!(s3.bucket, "metrics");
        assert_eq!(s3.endpoint_url().as_deref(), Some("http://127.0.0.1:9000"));
        assert!(!s3.virtual_hosted());
        assert_eq!(config.prefix, "tenant-a");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("SUPERSECRET") && !debug.contains("AKID"),
            "{debug}"
        );
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn thanos_full_example_s3_config_loads() {
        // Every S3 key of Thanos' storage docs at its documented default.
        let yaml = "type: S3\nconfig:\n  bucket: b\n  endpoint: s3.example\n  region: \"\"\n  \
            aws_sdk_auth: false\n  access_key: \"\"\n  insecure: false\n  signature_version2: false\n  \
            secret_key: \"\"\n  session_token: \"\"\n  put_user_metadata: {}\n  http_config:\n    \
            idle_conn_timeout: 1m30s\n    response_header_timeout: 2m\n    insecure_skip_verify: false\n    \
            tls_handshake_timeout: 10s\n    expect_continue_timeout: 1s\n    max_idle_conns: 100\n    \
            max_idle_conns_per_host: 100\n    max_conns_per_host: 0\n    tls_config:\n      \
            ca_file: \"\"\n      cert_file: \"\"\n      key_file: \"\"\n      server_name: \"\"\n      \
            insecure_skip_verify: false\n    disable_compression: false\n  trace:\n    enable: false\n  \
            list_objects_version: \"\"\n  bucket_lookup_type: auto\n  send_content_md5: true\n  \
            disable_multipart: false\n  part_size: 67108864\n  sse_config:\n    type: \"\"\n    \
            kms_key_id: \"\"\n    kms_encryption_context: {}\n    encryption_key: \"\"\n  \
            sts_endpoint: \"\"\nprefix: \"\"\n";
        let config = BucketConfig::from_yaml(yaml).expect("Thanos' example");
        let Backend::S3(s3) = &config.backend else {
            panic!("expected S3")
        };
        assert_eq!(s3.sse_config.describe(), "none");
        let empty = "type: S3\nconfig:\n  bucket: b\n  sse_config:\n  http_config:\n";
        BucketConfig::from_yaml(empty).expect("keys without a value are their defaults");
    }

    #[test]
    fn parses_filesystem_gcs_and_azure() {
        let fs = BucketConfig::from_yaml("type: FILESYSTEM\nconfig:\n  directory: /tmp/b\n")
            .expect("fs");
        assert_eq!(fs.display_name(), "file:///tmp/b");
        let gcs = BucketConfig::from_yaml("type: GCS\nconfig:\n  bucket: b\n").expect("gcs");
        assert_eq!(gcs.display_name(), "gs://b");
        let az = BucketConfig::from_yaml(
            "type: AZURE\nconfig:\n  storage_account: acc\n  storage_account_key: k\n  container: c\n",
        )
        .expect("azure");
        assert_eq!(az.display_name(), "azure://acc/c");
    }

    #[test]
    fn aws_endpoints_are_virtual_hosted_by_default() {
        let mut c = S3Config {
            bucket: "b".into(),
            endpoint: "s3.eu-west-1.amazonaws.com".into(),
            ..S3Config::default()
        };
        assert!(c.virtual_hosted());
        assert_eq!(
            c.endpoint_url().as_deref(),
            Some("https://s3.eu-west-1.amazonaws.com")
        );
        c.bucket_lookup_type = "path".into();
        assert!(!c.virtual_hosted());
    }

    #[test]
    fn rejects_bad_configs_with_clear_errors() {
        for (yaml, expect) in [
            ("type: S3\nconfig:\n  endpoint: x\n", "config.bucket"),
            ("type: FILESYSTEM\nconfig: {}\n", "config.directory"),
            ("type: SWIFT\nconfig: {}\n", "unknown variant"),
            (
                "type: S3\nconfig:\n  bucket: b\n  bucket_lookup_type: dns\n",
                "bucket_lookup_type",
            ),
            ("not yaml: [", "parsing objstore YAML"),
            (
                "type: S3\nconfig:\n  bucket: b\n  sse_config:\n    type: SSE-KMS\n",
                "config.sse_config.kms_key_id must be set",
            ),
            (
                "type: S3\nconfig:\n  bucket: b\n  aws_sdk_auth: true\n",
                "config.aws_sdk_auth is set, but mnemos does not implement it",
            ),
            (
                "type: S3\nconfig:\n  bucket: b\n  http_config:\n    tls_config:\n      cert_file: /c\n",
                "config.http_config.tls_config.cert_file and config.http_config.tls_config.key_file must be set together",
            ),
            (
                "type: FILESYSTEM\nconfig:\n  directory: /d\n  http_config: {}\n",
                "config.http_config is not a key",
            ),
            (
                "type: FILESYSTEM\nconfig:\n  directory: /d\n  secret_key: x\n",
                "config.secret_key is not a key",
            ),
        ] {
            let err = BucketConfig::from_yaml(yaml).expect_err(yaml).to_string();
            assert!(err.contains(expect), "{yaml:?}: {err}");
        }
    }
}
