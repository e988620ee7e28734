//! `mnemos tools`: operator tools.

mod bucket;
mod bucket_parquet;
mod bucket_web;
mod gotext;
mod tsdb_dump;
mod tsdb_ls;
mod tsdb_rewrite;

use clap::Subcommand;

/// Tool groups.
#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// Local TSDB block tools (like `promtool tsdb`).
    #[command(subcommand)]
    Tsdb(TsdbCommand),
    /// Blocks in object storage.
    #[command(subcommand)]
    Bucket(bucket::BucketCommand),
}

/// `mnemos tools tsdb …`
#[derive(Debug, Subcommand)]
pub enum TsdbCommand {
    /// Prints every sample as `promtool tsdb dump` does: `{labels} value timestamp_ms`.
    Dump(tsdb_dump::DumpArgs),
    /// Lists the blocks of a data directory as `promtool tsdb list` does.
    Ls(tsdb_ls::LsArgs),
    /// Reads a block and writes it again with mnemos' writer as a new block.
    Rewrite(tsdb_rewrite::RewriteArgs),
}

impl ToolsCommand {
    /// Runs the tool.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            ToolsCommand::Tsdb(TsdbCommand::Dump(a)) => a.run(),
            ToolsCommand::Tsdb(TsdbCommand::Ls(a)) => a.run(),
            ToolsCommand::Tsdb(TsdbCommand::Rewrite(a)) => a.run(),
            ToolsCommand::Bucket(c) => c.run(),
        }
    }
}

/// Runs `f` writing to a buffered stdout; a closed pipe (`| head`) ends quietly.
pub(crate) fn with_stdout(
    f: impl FnOnce(&mut dyn std::io::Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let res = f(&mut out).and_then(|()| Ok(std::io::Write::flush(&mut out)?));
    match res {
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}
