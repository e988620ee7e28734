//! The long-running components: their flags and how they are wired.

mod compact;
mod query;
mod sidecar;
mod store;

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use mnemos_storeapi::thanos::info::info_server::Info;
use mnemos_storeapi::thanos::store_server::Store;

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
    /// Limits of the HTTP listener.
    #[command(flatten)]
    pub http_limits: HttpLimitArgs,
    /// Limits of the gRPC listener.
    #[command(flatten)]
    pub grpc_limits: GrpcLimitArgs,
}

/// Limits of every HTTP listener (Prometheus' `--web.*` names where it has the flag).
#[derive(Debug, Args)]
pub struct HttpLimitArgs {
    /// Connections served at once; more wait to be accepted.
    #[arg(
        long = "web.max-connections",
        env = "MNEMOS_WEB_MAX_CONNECTIONS",
        default_value = "512"
    )]
    max_connections: usize,
    /// Longest a client may take to send a request's headers.
    #[arg(long = "web.read-header-timeout", env = "MNEMOS_WEB_READ_HEADER_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    read_header_timeout: Duration,
    /// A connection without traffic for this long is closed (idle keep-alive, slow sender).
    #[arg(long = "web.read-timeout", env = "MNEMOS_WEB_READ_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// Longest any request may take before it is answered 503 (queries end at
    /// --query.timeout before that).
    #[arg(long = "web.request-timeout", env = "MNEMOS_WEB_REQUEST_TIMEOUT", default_value = "10m", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Largest request body (e.g. a POSTed query) read; larger ones get 413.
    #[arg(
        long = "web.max-request-body-bytes",
        env = "MNEMOS_WEB_MAX_REQUEST_BODY_BYTES",
        default_value = "10485760"
    )]
    max_request_body_bytes: usize,
}

impl HttpLimitArgs {
    /// The limits these flags set.
    pub fn limits(&self) -> mnemos_server::HttpLimits {
        mnemos_server::HttpLimits {
            max_connections: self.max_connections,
            read_header_timeout: self.read_header_timeout,
            idle_timeout: self.idle_timeout,
            request_timeout: self.request_timeout,
            max_request_body_bytes: self.max_request_body_bytes,
        }
    }
}

/// Serves `api` as the StoreAPI and the Info API on `listener` under the gRPC listener's
/// `limits`, until `shutdown`.
pub async fn serve_store_api<S>(
    limits: &mnemos_server::GrpcLimits,
    api: S,
    listener: tokio::net::TcpListener,
    shutdown: mnemos_server::Shutdown,
) -> Result<(), tonic::transport::Error>
where
    S: Store + Info + Clone,
{
    use mnemos_storeapi::thanos::info::info_server::InfoServer;
    use mnemos_storeapi::thanos::store_server::StoreServer;
    tracing::info!(address = ?listener.local_addr().ok(), "serving StoreAPI and Info API over gRPC");
    limits
        .server()
        .add_service(
            StoreServer::new(api.clone())
                .max_decoding_message_size(limits.max_recv_msg_size)
                .max_encoding_message_size(limits.max_send_msg_size),
        )
        .add_service(InfoServer::new(api))
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            shutdown.wait(),
        )
        .await
}

/// The StoreAPI admission gate of the components that serve it (sidecar, store gateway).
#[derive(Debug, Args)]
pub struct StoreApiGateArgs {
    /// StoreAPI calls (Series, LabelNames, LabelValues) served at once; more wait. A Series
    /// call holds its turn until its last frame is sent. The Thanos store gateway's flag
    /// (Thanos' sidecar has no such limit).
    #[arg(
        long = "store.grpc.series-max-concurrency",
        env = "MNEMOS_STORE_GRPC_SERIES_MAX_CONCURRENCY",
        default_value = "20"
    )]
    pub max_concurrency: usize,
}

/// Limits of every gRPC listener (Thanos' `--grpc-server-*` names where it has the flag).
#[derive(Debug, Args)]
pub struct GrpcLimitArgs {
    /// Connections are closed gracefully after this long, so clients rebalance.
    #[arg(long = "grpc-server-max-connection-age", env = "MNEMOS_GRPC_SERVER_MAX_CONNECTION_AGE", default_value = "60m", value_parser = parse_duration)]
    max_connection_age: Duration,
    /// HTTP/2 keepalive pings to clients this often.
    #[arg(long = "grpc-server-keepalive-time", env = "MNEMOS_GRPC_SERVER_KEEPALIVE_TIME", default_value = "30s", value_parser = parse_duration)]
    keepalive_interval: Duration,
    /// A client that leaves a keepalive ping unanswered this long is dropped.
    #[arg(long = "grpc-server-keepalive-timeout", env = "MNEMOS_GRPC_SERVER_KEEPALIVE_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    keepalive_timeout: Duration,
    /// Calls one connection may have open at once.
    #[arg(
        long = "grpc-server-max-concurrent-streams",
        env = "MNEMOS_GRPC_SERVER_MAX_CONCURRENT_STREAMS",
        default_value = "100"
    )]
    max_concurrent_streams: u32,
    /// Largest request message accepted (bytes).
    #[arg(
        long = "grpc-server-max-recv-msg-size",
        env = "MNEMOS_GRPC_SERVER_MAX_RECV_MSG_SIZE",
        default_value = "4194304"
    )]
    max_recv_msg_size: usize,
    /// Largest response message sent (bytes).
    #[arg(
        long = "grpc-server-max-send-msg-size",
        env = "MNEMOS_GRPC_SERVER_MAX_SEND_MSG_SIZE",
        default_value = "67108864"
    )]
    max_send_msg_size: usize,
}

impl GrpcLimitArgs {
    /// The limits these flags set.
    pub fn limits(&self) -> mnemos_server::GrpcLimits {
        mnemos_server::GrpcLimits {
            keepalive_interval: self.keepalive_interval,
            keepalive_timeout: self.keepalive_timeout,
            max_connection_age: self.max_connection_age,
            max_concurrent_streams: self.max_concurrent_streams,
            max_recv_msg_size: self.max_recv_msg_size,
            max_send_msg_size: self.max_send_msg_size,
        }
    }
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
    let ms = mnemos_tsdb::time::parse_duration_ms(s.trim())?;
    u64::try_from(ms)
        .map(std::time::Duration::from_millis)
        .map_err(|_| format!("negative duration {s:?}"))
}

/// A multi-threaded Tokio runtime for a component.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
