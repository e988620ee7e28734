//! `mnemos tools tsdb rewrite`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use mnemos_tsdb::block::Block;
use mnemos_tsdb::rewrite::rewrite_block;

/// Flags of `tools tsdb rewrite`.
#[derive(Debug, Args)]
pub struct RewriteArgs {
    /// The block directory to read.
    #[arg(env = "MNEMOS_TSDB_REWRITE_BLOCK")]
    block_dir: PathBuf,
    /// Where to write the new block (as `<OUT_DIR>/<new ULID>/`).
    #[arg(env = "MNEMOS_TSDB_REWRITE_OUT")]
    out_dir: PathBuf,
}

impl RewriteArgs {
    /// Rewrites the block and prints the new block's directory.
    pub fn run(self) -> anyhow::Result<()> {
        let block = Block::open(&self.block_dir)
            .with_context(|| format!("opening block {}", self.block_dir.display()))?;
        std::fs::create_dir_all(&self.out_dir)
            .with_context(|| format!("creating {}", self.out_dir.display()))?;
        let meta = rewrite_block(&block, &self.out_dir)?;
        tracing::info!(
            source = %block.meta().ulid,
            ulid = %meta.ulid,
            series = meta.stats.num_series,
            samples = meta.stats.num_samples,
            chunks = meta.stats.num_chunks,
            "block rewritten"
        );
        println!("{}", self.out_dir.join(&meta.ulid).display());
        Ok(())
    }
}
