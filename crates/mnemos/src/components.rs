//! Flags of the long-running components. Their servers arrive with their issues;
//! until then each says so and exits non-zero instead of pretending to run.

use clap::Args;

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
    #[arg(long = "objstore.config", env = "MNEMOS_OBJSTORE_CONFIG")]
    pub config: Option<String>,
}

fn not_yet(component: &str, issue: u32) -> anyhow::Result<()> {
    anyhow::bail!("`mnemos {component}` is not implemented yet (tracked in issue #{issue})")
}

/// `mnemos sidecar` flags.
#[derive(Debug, Args)]
pub struct SidecarArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// URL of the Prometheus this sidecar runs next to.
    #[arg(
        long = "prometheus.url",
        env = "MNEMOS_PROMETHEUS_URL",
        default_value = "http://localhost:9090"
    )]
    prometheus_url: String,
    /// Prometheus' data directory.
    #[arg(long = "tsdb.path", env = "MNEMOS_TSDB_PATH", default_value = "./data")]
    tsdb_path: std::path::PathBuf,
}

impl SidecarArgs {
    /// Runs the sidecar.
    pub fn run(self) -> anyhow::Result<()> {
        not_yet("sidecar", 3)
    }
}

/// `mnemos store` flags.
#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Local directory for index headers and caches.
    #[arg(long = "data-dir", env = "MNEMOS_DATA_DIR", default_value = "./data")]
    data_dir: std::path::PathBuf,
}

impl StoreArgs {
    /// Runs the store gateway.
    pub fn run(self) -> anyhow::Result<()> {
        not_yet("store", 4)
    }
}

/// `mnemos compact` flags.
#[derive(Debug, Args)]
pub struct CompactArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// HTTP listen address (/metrics, health).
    #[arg(
        long = "http-address",
        env = "MNEMOS_HTTP_ADDRESS",
        default_value = "0.0.0.0:10902"
    )]
    http_address: String,
    /// Local scratch directory for compaction.
    #[arg(long = "data-dir", env = "MNEMOS_DATA_DIR", default_value = "./data")]
    data_dir: std::path::PathBuf,
    /// Keep running, compacting every --wait-interval.
    #[arg(long = "wait", env = "MNEMOS_WAIT")]
    wait: bool,
}

impl CompactArgs {
    /// Runs the compactor.
    pub fn run(self) -> anyhow::Result<()> {
        not_yet("compact", 7)
    }
}

/// `mnemos query` flags.
#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// StoreAPI endpoints to query (host:port, dns+host:port, dnssrv+name). Repeatable.
    #[arg(long = "endpoint", env = "MNEMOS_ENDPOINT", value_delimiter = ',')]
    endpoints: Vec<String>,
    /// Labels that identify HA replicas; series equal without them are deduplicated.
    #[arg(
        long = "query.replica-label",
        env = "MNEMOS_QUERY_REPLICA_LABEL",
        value_delimiter = ','
    )]
    replica_labels: Vec<String>,
}

impl QueryArgs {
    /// Runs the querier.
    pub fn run(self) -> anyhow::Result<()> {
        not_yet("query", 6)
    }
}
