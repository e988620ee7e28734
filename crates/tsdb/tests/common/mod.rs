//! Shared fixtures for the block library's integration tests.

use std::path::{Path, PathBuf};

use mnemos_tsdb::block_writer::symbols_of;
use mnemos_tsdb::{BlockMeta, BlockWriter, Labels};

/// A series for fixtures: labels and samples.
pub type SeriesData = (Labels, Vec<(i64, f64)>);

/// Deterministic series: `n` series over a few metrics/jobs, `per` samples each.
pub fn fixture_series(n: usize, per: usize) -> Vec<SeriesData> {
    let mut out: Vec<SeriesData> = (0..n)
        .map(|i| {
            let labels = Labels::from_pairs([
                ("__name__", format!("metric_{}", i % 5)),
                ("job", format!("job{}", i % 3)),
                ("instance", format!("i{i}")),
                (
                    "zone",
                    if i % 4 == 0 {
                        String::new()
                    } else {
                        format!("z{}", i % 2)
                    },
                ),
            ]);
            let samples = (0..per)
                .map(|k| (1_000 * k as i64 + i as i64, (k * i) as f64 * 0.5 - 3.0))
                .collect();
            (labels, samples)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Writes `series` (sorted by labels) as a block under `parent`; returns its dir.
pub fn write_block(parent: &Path, series: &[SeriesData]) -> PathBuf {
    let symbols = symbols_of(series.iter().map(|(l, _)| l));
    let mut w = BlockWriter::create(parent, symbols).unwrap();
    let mint = series
        .iter()
        .filter_map(|(_, s)| s.first())
        .map(|s| s.0)
        .min()
        .unwrap_or(0);
    let maxt = series
        .iter()
        .filter_map(|(_, s)| s.last())
        .map(|s| s.0)
        .max()
        .unwrap_or(0);
    for (l, s) in series {
        w.add_series(l, s).unwrap();
    }
    let meta = w
        .finish(BlockMeta::new(String::new(), mint, maxt + 1))
        .unwrap();
    parent.join(meta.ulid)
}
