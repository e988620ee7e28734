//! `mnemos tools tsdb dump`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use mnemos_tsdb::gofmt::format_g;
use mnemos_tsdb::BlockSet;

/// Flags of `tools tsdb dump`.
#[derive(Debug, Args)]
pub struct DumpArgs {
    /// A block directory, or a data directory holding blocks.
    #[arg(env = "MNEMOS_TSDB_DUMP_DIR")]
    dir: PathBuf,
    /// Minimum timestamp to dump (ms, inclusive).
    #[arg(long = "min-time", env = "MNEMOS_TSDB_DUMP_MIN_TIME", default_value_t = i64::MIN, allow_hyphen_values = true)]
    min_time: i64,
    /// Maximum timestamp to dump (ms, inclusive).
    #[arg(long = "max-time", env = "MNEMOS_TSDB_DUMP_MAX_TIME", default_value_t = i64::MAX, allow_hyphen_values = true)]
    max_time: i64,
    /// Series selector, e.g. `up{job="x"}`. Default: every series.
    #[arg(long = "match", env = "MNEMOS_TSDB_DUMP_MATCH")]
    selector: Option<String>,
}

impl DumpArgs {
    /// Prints the samples.
    pub fn run(self) -> anyhow::Result<()> {
        let matchers = match &self.selector {
            Some(s) => crate::selector::parse_selector(s)?,
            None => Vec::new(),
        };
        let set =
            BlockSet::open(&self.dir).with_context(|| format!("opening {}", self.dir.display()))?;
        super::with_stdout(|out| {
            let mut line = String::with_capacity(256);
            for series in set.select(&matchers, self.min_time, self.max_time)? {
                let series = series?;
                let labels = series.labels.to_string();
                for (t, v) in series.dump_samples_2_42(self.min_time, self.max_time)? {
                    line.clear();
                    line.push_str(&labels);
                    line.push(' ');
                    line.push_str(&format_g(v));
                    line.push(' ');
                    line.push_str(&t.to_string());
                    line.push('\n');
                    out.write_all(line.as_bytes())?;
                }
            }
            Ok(())
        })
    }
}
