//! The long-running components: their flags and how they are wired.

pub mod block_viewer;
mod compact;
pub mod parquet;
mod query;
mod query_frontend;
mod sidecar;
mod store;

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use mnemos_storeapi::thanos::exemplars_server::Exemplars;
use mnemos_storeapi::thanos::info::info_server::Info;
use mnemos_storeapi::thanos::metadata_server::Metadata;
use mnemos_storeapi::thanos::rules_server::Rules;
use mnemos_storeapi::thanos::status_server::Status as StatusApi;
use mnemos_storeapi::thanos::store_server::Store;
use mnemos_storeapi::thanos::targets_server::Targets;

pub use compact::CompactArgs;
pub use query::QueryArgs;
pub use query_frontend::QueryFrontendArgs;
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
    /// The HTTP listener.
    #[command(flatten)]
    pub http: HttpArgs,
    /// Limits of the gRPC listener.
    #[command(flatten)]
    pub grpc_limits: GrpcLimitArgs,
    /// TLS of the gRPC listener.
    #[command(flatten)]
    pub grpc_tls: GrpcServerTlsArgs,
}

/// TLS of a gRPC listener, with Thanos' flags: no certificate and key means plain text.
#[derive(Debug, Args)]
pub struct GrpcServerTlsArgs {
    /// TLS certificate (PEM) of the gRPC server; with --grpc-server-tls-key turns TLS on.
    /// Reloaded when the file changes.
    #[arg(
        long = "grpc-server-tls-cert",
        env = "MNEMOS_GRPC_SERVER_TLS_CERT",
        default_value = ""
    )]
    cert: String,
    /// TLS private key (PEM) of the gRPC server.
    #[arg(
        long = "grpc-server-tls-key",
        env = "MNEMOS_GRPC_SERVER_TLS_KEY",
        default_value = ""
    )]
    key: String,
    /// CA (PEM) client certificates are verified against; set, every client must present
    /// a certificate it signed (mTLS).
    #[arg(
        long = "grpc-server-tls-client-ca",
        env = "MNEMOS_GRPC_SERVER_TLS_CLIENT_CA",
        default_value = ""
    )]
    client_ca: String,
    /// Oldest TLS version accepted: 1.2 or 1.3 (1.0 and 1.1 are accepted as 1.2: mnemos
    /// never serves older versions).
    #[arg(
        long = "grpc-server-tls-min-version",
        env = "MNEMOS_GRPC_SERVER_TLS_MIN_VERSION",
        default_value = "1.3"
    )]
    min_version: String,
}

impl GrpcServerTlsArgs {
    /// The listener's TLS, `None` when no certificate and key are given (as Thanos).
    pub fn load(&self) -> anyhow::Result<Option<std::sync::Arc<mnemos_tls::ServerTls>>> {
        let path = |s: &String| (!s.trim().is_empty()).then(|| std::path::PathBuf::from(s.trim()));
        let (cert, key, client_ca) = (path(&self.cert), path(&self.key), path(&self.client_ca));
        let (cert_file, key_file) = match (cert, key) {
            (None, None) if client_ca.is_some() => anyhow::bail!(
                "--grpc-server-tls-client-ca needs --grpc-server-tls-cert and --grpc-server-tls-key"
            ),
            (None, None) => return Ok(None),
            (Some(cert), Some(key)) => (cert, key),
            _ => anyhow::bail!(
                "--grpc-server-tls-cert and --grpc-server-tls-key go together: give both or neither"
            ),
        };
        let min_version = mnemos_tls::TlsVersion::parse(&self.min_version)
            .context("--grpc-server-tls-min-version")?;
        if min_version < mnemos_tls::TlsVersion::Tls12 {
            tracing::warn!(
                min_version = %self.min_version,
                "TLS 1.0 and 1.1 are not served: the gRPC listener accepts TLS 1.2 and 1.3"
            );
        }
        let client_auth = if client_ca.is_some() {
            mnemos_tls::ClientAuth::RequireAndVerify
        } else {
            mnemos_tls::ClientAuth::None
        };
        tracing::info!(
            cert = %cert_file.display(),
            mtls = client_ca.is_some(),
            "gRPC listener serves TLS"
        );
        let tls = mnemos_tls::ServerTls::new(mnemos_tls::ServerTlsSpec {
            cert_file,
            key_file,
            client_ca_file: client_ca,
            client_auth,
            min_version,
            max_version: mnemos_tls::TlsVersion::Tls13,
            alpn: vec![b"h2".to_vec()],
        })
        .context("gRPC server TLS")?;
        Ok(Some(std::sync::Arc::new(tls)))
    }
}

/// Longest a client may take to finish a TLS handshake with a listener.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP listener of every component: its address, `--http.config` and limits.
#[derive(Debug, Args)]
pub struct HttpArgs {
    /// Listen address for HTTP (/metrics, /-/healthy, /-/ready, APIs).
    #[arg(
        long = "http-address",
        env = "MNEMOS_HTTP_ADDRESS",
        default_value = "0.0.0.0:10902"
    )]
    pub address: String,
    /// Web configuration file in Prometheus' format (exporter-toolkit): TLS with optional
    /// client certificates, basic auth users with bcrypt hashes, response headers. Reread
    /// when it changes.
    #[arg(long = "http.config", env = "MNEMOS_HTTP_CONFIG", default_value = "")]
    pub web_config: String,
    /// Limits of the HTTP listener.
    #[command(flatten)]
    pub limits: HttpLimitArgs,
}

impl HttpArgs {
    /// Loads the web configuration and binds the address (errors are startup errors), then
    /// serves `router` in a task until `shutdown`.
    pub async fn serve(
        &self,
        router: mnemos_server::Router,
        shutdown: mnemos_server::Shutdown,
    ) -> anyhow::Result<tokio::task::JoinHandle<Result<(), mnemos_server::Error>>> {
        let web = match self.web_config.trim() {
            "" => None,
            path => Some(std::sync::Arc::new(
                mnemos_server::WebConfig::load(std::path::Path::new(path))
                    .context("--http.config")?,
            )),
        };
        let listener = mnemos_server::bind(&self.address).await?;
        Ok(tokio::spawn(mnemos_server::serve_http(
            listener,
            router,
            self.limits.limits(),
            web,
            shutdown.wait(),
        )))
    }
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

/// The StoreAPI and the Info API of `api`, with the gRPC listener's message size limits; a
/// component adds its other services (metadata, targets) to these routes.
pub fn store_api_routes<S>(limits: &mnemos_server::GrpcLimits, api: S) -> tonic::service::Routes
where
    S: Store + Info + Clone,
{
    use mnemos_storeapi::thanos::info::info_server::InfoServer;
    use mnemos_storeapi::thanos::store_server::StoreServer;
    tonic::service::Routes::new(
        StoreServer::new(api.clone())
            .max_decoding_message_size(limits.max_recv_msg_size)
            .max_encoding_message_size(limits.max_send_msg_size),
    )
    .add_service(InfoServer::new(api))
}

/// The StoreAPI and Info API of `api` plus the Metric Metadata, Targets, Rules, Exemplars
/// and Status APIs (the sidecar, and the querier for queriers stacked on it).
pub fn store_and_prometheus_api_routes<S>(
    limits: &mnemos_server::GrpcLimits,
    api: S,
) -> tonic::service::Routes
where
    S: Store + Info + Metadata + Targets + Rules + Exemplars + StatusApi + Clone,
{
    use mnemos_storeapi::thanos::exemplars_server::ExemplarsServer;
    use mnemos_storeapi::thanos::metadata_server::MetadataServer;
    use mnemos_storeapi::thanos::rules_server::RulesServer;
    use mnemos_storeapi::thanos::status_server::StatusServer;
    use mnemos_storeapi::thanos::targets_server::TargetsServer;
    let send = limits.max_send_msg_size;
    store_api_routes(limits, api.clone())
        .add_service(MetadataServer::new(api.clone()).max_encoding_message_size(send))
        .add_service(TargetsServer::new(api.clone()).max_encoding_message_size(send))
        .add_service(RulesServer::new(api.clone()).max_encoding_message_size(send))
        .add_service(ExemplarsServer::new(api.clone()).max_encoding_message_size(send))
        .add_service(StatusServer::new(api).max_encoding_message_size(send))
}

/// Serves `routes` on `listener` under the gRPC listener's `limits`, over TLS when `tls` is
/// given, until `shutdown`.
pub async fn serve_grpc(
    limits: &mnemos_server::GrpcLimits,
    tls: Option<std::sync::Arc<mnemos_tls::ServerTls>>,
    routes: tonic::service::Routes,
    listener: tokio::net::TcpListener,
    shutdown: mnemos_server::Shutdown,
) -> Result<(), tonic::transport::Error> {
    tracing::info!(
        address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        tls = tls.is_some(),
        "serving gRPC (StoreAPI, Info API)"
    );
    let router = limits.server().add_routes(routes);
    match tls {
        None => {
            router
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    shutdown.wait(),
                )
                .await
        }
        Some(tls) => {
            let backlog = usize::try_from(limits.max_concurrent_streams).unwrap_or(usize::MAX);
            router
                .serve_with_incoming_shutdown(
                    mnemos_tls::incoming(listener, tls, TLS_HANDSHAKE_TIMEOUT, backlog),
                    shutdown.wait(),
                )
                .await
        }
    }
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

/// Thanos' `--selector.relabel-config(-file)`: relabel rules (`keep`, `drop`, `hashmod`)
/// over a block's external labels and `__block_id` choosing the blocks a store gateway
/// serves or a compactor compacts, so several share one bucket.
#[derive(Debug, Args)]
pub struct SelectorArgs {
    /// Relabel rules selecting the blocks handled, as a file (YAML list; external labels and
    /// `__block_id`).
    #[arg(
        long = "selector.relabel-config-file",
        env = "MNEMOS_SELECTOR_RELABEL_CONFIG_FILE"
    )]
    file: Option<std::path::PathBuf>,
    /// The same rules inline.
    #[arg(
        long = "selector.relabel-config",
        env = "MNEMOS_SELECTOR_RELABEL_CONFIG",
        conflicts_with = "file"
    )]
    inline: Option<String>,
}

impl SelectorArgs {
    /// The rules given (none: every block).
    pub fn load(&self) -> anyhow::Result<mnemos_block::Relabel> {
        Ok(match (&self.file, &self.inline) {
            (Some(path), _) => mnemos_block::Relabel::from_yaml(
                &std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
            )?,
            (None, Some(yaml)) => mnemos_block::Relabel::from_yaml(yaml)?,
            (None, None) => mnemos_block::Relabel::default(),
        })
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

/// Parses a size flag (`250MB`, `1GiB`, `1024`) into bytes.
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let n = mnemos_tsdb::size::parse_bytes(s)?;
    usize::try_from(n).map_err(|_| format!("{s:?} is too large"))
}

/// Parses a Prometheus duration (`0s`, `30s`, `5m`, `2h`, `1d`, `2w`, `1h30m`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    mnemos_tsdb::time::parse_duration(s.trim())
}

/// Parses the querier's `--deduplication.func`: `penalty` or `chain`; empty means the
/// default, `penalty` (as Thanos' querier reads it).
pub fn parse_query_dedup_func(s: &str) -> Result<mnemos_dedup::DedupFunc, String> {
    match s.trim() {
        "" => Ok(mnemos_dedup::DedupFunc::Penalty),
        other => other
            .parse()
            .map_err(|e: mnemos_dedup::UnknownDedupFunc| e.to_string()),
    }
}

/// Parses the compactor's `--deduplication.func`: `penalty` or `chain`. Empty is refused:
/// Thanos' compactor reads it as its 1:1 merge (mnemos' `chain`) while mnemos' default is
/// `penalty`, so an empty value would mean different things to the two.
pub fn parse_compact_dedup_func(s: &str) -> Result<mnemos_dedup::DedupFunc, String> {
    match s.trim() {
        "" => Err(
            "empty --deduplication.func: say \"chain\" for Thanos' default 1:1 deduplication \
             or \"penalty\" (mnemos' default) for HA replicas"
                .to_string(),
        ),
        other => other
            .parse()
            .map_err(|e: mnemos_dedup::UnknownDedupFunc| e.to_string()),
    }
}

/// A multi-threaded Tokio runtime for a component.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Thanos' URL prefix flags of a component with a web UI.
#[derive(Debug, Args)]
pub struct WebPrefixArgs {
    /// Prefix of the API and UI endpoints (the UI then runs on a sub-path). Defaults to the
    /// path of --web.external-prefix.
    #[arg(
        long = "web.route-prefix",
        env = "MNEMOS_WEB_ROUTE_PREFIX",
        default_value = ""
    )]
    route_prefix: String,
    /// Static prefix of every HTML link and redirect of the UI (a path or an http(s) URL),
    /// for a reverse proxy that strips a sub-path; the endpoints stay on / or
    /// --web.route-prefix.
    #[arg(
        long = "web.external-prefix",
        env = "MNEMOS_WEB_EXTERNAL_PREFIX",
        default_value = ""
    )]
    external_prefix: String,
    /// Request header whose value (a path) prefixes the UI's links and redirects; ignored
    /// when --web.external-prefix is set. Set it only behind a proxy that always sets or
    /// removes the header.
    #[arg(
        long = "web.prefix-header",
        env = "MNEMOS_WEB_PREFIX_HEADER",
        default_value = ""
    )]
    prefix_header: String,
}

impl WebPrefixArgs {
    /// The prefixes these flags set (a bad one is a startup error).
    pub fn prefix(&self) -> anyhow::Result<mnemos_ui::WebPrefix> {
        let prefix = mnemos_ui::WebPrefix::new(
            &self.route_prefix,
            &self.external_prefix,
            &self.prefix_header,
        )?;
        if prefix.mismatched() {
            tracing::warn!(
                route_prefix = prefix.route(),
                external_prefix = %self.external_prefix,
                "different values for --web.route-prefix and --web.external-prefix: the UI works only behind a proxy mapping one to the other"
            );
        }
        Ok(prefix)
    }
}
