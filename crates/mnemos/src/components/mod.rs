//! The long-running components: their flags and how they are wired.

mod compact;
mod query;
mod sidecar;
mod store;

use anyhow::Context;
use clap::Args;

pub use compact::CompactArgs;
pub use query::QueryArgs;
pub use sidecar::SidecarArgs;
pub use store::StoreArgs;

/// Flags every server component has, with Thanos' names and defaults.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Listen address for the gRPC server (StoreAPI, Info API).
    #[arg(
        long = "grpc-address",
        env = "MNEMOS_GRPC_ADDRESS",
        default_value = "0.0.0.0:10901"
    )]
    pub grpc_address: String,
    /// Listen address for HTTP (/metrics, /-/healthy, /-/ready, APIs).
    #[arg(
        long = "http-address",
        env = "MNEMOS_HTTP_ADDRESS",
        default_value = "0.0.0.0:10902"
    )]
    pub http_address: String,
}

/// Object storage configuration flags (Thanos' objstore YAML).
#[derive(Debug, Args)]
pub struct ObjstoreArgs {
    /// Path to a YAML file with the object storage configuration.
    #[arg(long = "objstore.config-file", env = "MNEMOS_OBJSTORE_CONFIG_FILE")]
    pub config_file: Option<std::path::PathBuf>,
    /// The object storage configuration YAML inline (alternative to the file).
    #[arg(
        long = "objstore.config",
        env = "MNEMOS_OBJSTORE_CONFIG",
        conflicts_with = "config_file"
    )]
    pub config: Option<String>,
}

impl ObjstoreArgs {
    /// The configuration given, if any.
    pub fn config(&self) -> anyhow::Result<Option<mnemos_objstore::BucketConfig>> {
        let yaml = match (&self.config_file, &self.config) {
            (Some(path), _) => std::fs::read_to_string(path)
                .with_context(|| format!("reading --objstore.config-file {}", path.display()))?,
            (None, Some(inline)) => inline.clone(),
            (None, None) => return Ok(None),
        };
        Ok(Some(mnemos_objstore::BucketConfig::from_yaml(&yaml)?))
    }

    /// Opens the configured bucket, if any, registering its metrics.
    pub fn open(
        &self,
        registry: &mut prometheus_client::registry::Registry,
    ) -> anyhow::Result<Option<mnemos_objstore::Bucket>> {
        match self.config()? {
            None => Ok(None),
            Some(config) => {
                tracing::info!(bucket = %config.display_name(), "using object storage");
                Ok(Some(mnemos_objstore::open(&config, registry)?))
            }
        }
    }

    /// Opens the bucket, which must be configured.
    pub fn open_required(
        &self,
        registry: &mut prometheus_client::registry::Registry,
    ) -> anyhow::Result<mnemos_objstore::Bucket> {
        self.open(registry)?.ok_or_else(|| {
            anyhow::anyhow!(
                "no bucket configured: pass --objstore.config-file or --objstore.config"
            )
        })
    }
}

/// Parses a Prometheus duration (`0s`, `30s`, `5m`, `2h`, `1d`, `2w`, `1h30m`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    mnemos_promql::parse_duration(s.trim()).map(|ms| std::time::Duration::from_millis(ms as u64))
}

/// A multi-threaded Tokio runtime for a component.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
