//! Structured logging with Thanos' flags (`--log.level`, `--log.format`), and optional
//! OpenTelemetry trace export with Thanos' `--tracing.config(-file)` YAML (`type: OTLP`).

use clap::{Args, ValueEnum};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use serde::Deserialize;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

mod logfmt;

/// Log output format.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    /// logfmt lines: `ts=… level=… caller=… msg="…" key=value` (Thanos' default).
    Logfmt,
    /// One JSON object per line.
    Json,
}

/// Logging and tracing flags.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log filtering level (error, warn, info, debug) or a tracing filter directive.
    #[arg(
        long = "log.level",
        env = "MNEMOS_LOG_LEVEL",
        default_value = "info",
        global = true
    )]
    pub level: String,
    /// Log format.
    #[arg(
        long = "log.format",
        env = "MNEMOS_LOG_FORMAT",
        value_enum,
        default_value = "logfmt",
        global = true
    )]
    pub format: LogFormat,
    /// Path to a tracing configuration YAML (Thanos format, `type: OTLP`); no tracing when unset.
    #[arg(
        long = "tracing.config-file",
        env = "MNEMOS_TRACING_CONFIG_FILE",
        global = true
    )]
    pub tracing_config_file: Option<std::path::PathBuf>,
    /// The tracing configuration YAML inline (alternative to the file).
    #[arg(
        long = "tracing.config",
        env = "MNEMOS_TRACING_CONFIG",
        global = true,
        conflicts_with = "tracing_config_file"
    )]
    pub tracing_config: Option<String>,
}

/// Thanos' tracing YAML: `type: OTLP` with `config: {client_type, endpoint, insecure,
/// service_name}`. Only `client_type: http` (OTLP/HTTP protobuf) is supported.
#[derive(Debug, Deserialize)]
struct TracingConfig {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    config: OtlpConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OtlpConfig {
    client_type: String,
    endpoint: String,
    insecure: bool,
    service_name: String,
}

/// Keeps the trace exporter alive; flushes pending spans when dropped.
pub struct TracingGuard(Option<SdkTracerProvider>);

impl Drop for TracingGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take() {
            let _ = provider.shutdown();
        }
    }
}

impl LogArgs {
    fn tracing_yaml(&self) -> anyhow::Result<Option<String>> {
        Ok(match (&self.tracing_config_file, &self.tracing_config) {
            (Some(path), _) => Some(std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("reading --tracing.config-file {}: {e}", path.display())
            })?),
            (None, Some(yaml)) => Some(yaml.clone()),
            (None, None) => None,
        })
    }
}

/// Builds the OTLP trace provider the configuration asks for.
fn tracer_provider(yaml: &str, component: &str) -> anyhow::Result<SdkTracerProvider> {
    let config: TracingConfig =
        serde_yaml_ng::from_str(yaml).map_err(|e| anyhow::anyhow!("tracing config: {e}"))?;
    if !config.kind.eq_ignore_ascii_case("OTLP") {
        anyhow::bail!(
            "tracing config: type {:?} is not supported (use OTLP)",
            config.kind
        );
    }
    let c = config.config;
    if !matches!(c.client_type.as_str(), "http" | "") {
        anyhow::bail!(
            "tracing config: client_type {:?} is not supported; use client_type: http (OTLP/HTTP, port 4318)",
            c.client_type
        );
    }
    let endpoint = if c.endpoint.is_empty() {
        "127.0.0.1:4318".to_string()
    } else {
        c.endpoint
    };
    let url = if endpoint.contains("://") {
        endpoint
    } else {
        let scheme = if c.insecure { "http" } else { "https" };
        format!("{scheme}://{endpoint}/v1/traces")
    };
    // rustls needs a crypto provider for https endpoints (ring, as for object storage).
    mnemos_objstore::install_crypto_provider();
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(url)
        .build()?;
    let service = if c.service_name.is_empty() {
        format!("mnemos-{component}")
    } else {
        c.service_name
    };
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build())
}

/// Installs the global subscriber: logs to stderr (tool output stays clean) and, when
/// configured, spans to an OTLP collector.
pub fn init(args: &LogArgs, component: &str) -> anyhow::Result<TracingGuard> {
    let filter = EnvFilter::try_new(&args.level)?;
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let fmt = match args.format {
        LogFormat::Logfmt => fmt.event_format(logfmt::Logfmt).boxed(),
        LogFormat::Json => fmt.json().boxed(),
    };
    let provider = match args.tracing_yaml()? {
        Some(yaml) => Some(tracer_provider(&yaml, component)?),
        None => None,
    };
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("mnemos"))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(TracingGuard(provider))
}
