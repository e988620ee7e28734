//! Top-level command line: global flags and the subcommands.

use clap::{Parser, Subcommand};

use crate::components::{CompactArgs, QueryArgs, SidecarArgs, StoreArgs};
use crate::logging::LogArgs;
use crate::tools::ToolsCommand;

/// Global query and long-term storage for Prometheus.
#[derive(Debug, Parser)]
#[command(name = "mnemos", version, about, long_about = None)]
pub struct Cli {
    /// Logging flags shared by every subcommand.
    #[command(flatten)]
    pub log: LogArgs,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, named as in Thanos.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs next to one Prometheus: ships its blocks to object storage, serves recent data.
    Sidecar(SidecarArgs),
    /// Store gateway: serves the blocks in object storage over StoreAPI.
    Store(StoreArgs),
    /// Compactor: compacts, downsamples and applies retention in object storage.
    Compact(CompactArgs),
    /// Querier: a Prometheus HTTP API over every sidecar and store gateway.
    Query(QueryArgs),
    /// Operator tools: TSDB blocks and buckets.
    #[command(subcommand)]
    Tools(ToolsCommand),
}

impl Command {
    /// Name of the component, for traces (`service.name`) and metrics.
    pub fn component(&self) -> &'static str {
        match self {
            Command::Sidecar(_) => "sidecar",
            Command::Store(_) => "store",
            Command::Compact(_) => "compact",
            Command::Query(_) => "query",
            Command::Tools(_) => "tools",
        }
    }

    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Sidecar(a) => a.run(),
            Command::Store(a) => a.run(),
            Command::Compact(a) => a.run(),
            Command::Query(a) => a.run(),
            Command::Tools(t) => t.run(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_flag_has_an_env_var() {
        fn check(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") || arg.is_positional() {
                    continue;
                }
                assert!(
                    arg.get_env().is_some(),
                    "flag --{} of `{path}` has no env var",
                    arg.get_long().unwrap_or(id)
                );
            }
            for sub in cmd.get_subcommands() {
                check(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        Cli::command().debug_assert();
        check(&Cli::command(), "mnemos");
    }
}
