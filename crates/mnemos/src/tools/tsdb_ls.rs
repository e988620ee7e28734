//! `mnemos tools tsdb ls`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use mnemos_tsdb::BlockSet;

use super::gotext::{base2_bytes, duration_ms, tabwrite, utc_seconds};

/// Flags of `tools tsdb ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// A Prometheus data directory (or one block directory).
    #[arg(env = "MNEMOS_TSDB_LS_DIR")]
    dir: PathBuf,
    /// Print human readable times and sizes.
    #[arg(
        short = 'r',
        long = "human-readable",
        env = "MNEMOS_TSDB_LS_HUMAN_READABLE"
    )]
    human_readable: bool,
}

impl LsArgs {
    /// Prints one line per block.
    pub fn run(self) -> anyhow::Result<()> {
        let set =
            BlockSet::open(&self.dir).with_context(|| format!("opening {}", self.dir.display()))?;
        let mut rows = vec![[
            "BLOCK ULID",
            "MIN TIME",
            "MAX TIME",
            "DURATION",
            "NUM SAMPLES",
            "NUM CHUNKS",
            "NUM SERIES",
            "SIZE",
        ]
        .map(String::from)
        .to_vec()];
        for b in set.blocks() {
            let m = b.meta();
            let (min, max, size) = if self.human_readable {
                (
                    utc_seconds(m.min_time),
                    utc_seconds(m.max_time),
                    base2_bytes(b.size_bytes() as i64),
                )
            } else {
                (
                    m.min_time.to_string(),
                    m.max_time.to_string(),
                    b.size_bytes().to_string(),
                )
            };
            rows.push(vec![
                m.ulid.clone(),
                min,
                max,
                duration_ms(m.max_time - m.min_time),
                m.stats.num_samples.to_string(),
                m.stats.num_chunks.to_string(),
                m.stats.num_series.to_string(),
                size,
            ]);
        }
        let text = tabwrite(&rows, 13, 2);
        super::with_stdout(|out| Ok(out.write_all(text.as_bytes())?))
    }
}
