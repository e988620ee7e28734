//! Structured logging with Thanos' flags (`--log.level`, `--log.format`).

use clap::{Args, ValueEnum};
use tracing_subscriber::EnvFilter;

/// Log output format.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    /// `key=value` text lines.
    Logfmt,
    /// One JSON object per line.
    Json,
}

/// Logging flags.
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
}

/// Installs the global subscriber. Logs go to stderr so tool output stays clean.
pub fn init(args: &LogArgs) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&args.level)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let res = match args.format {
        LogFormat::Logfmt => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    res.map_err(|e| anyhow::anyhow!("{e}"))
}
