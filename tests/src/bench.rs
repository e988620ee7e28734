//! What the peer benchmarks (`src/bin/bench-*.rs`) share: their numeric arguments, medians,
//! and backfilled Prometheus blocks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::openmetrics::{self, Spec};
use crate::promtool;

/// The numeric command-line arguments, each defaulting to `defaults[i]` when absent.
pub fn numeric_args<const N: usize>(defaults: [u64; N]) -> [u64; N] {
    let given: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let mut out = defaults;
    for (slot, v) in out.iter_mut().zip(given) {
        *slot = v;
    }
    out
}

/// The median of some timings.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Backfills `series` generated series (gauges, counters, special values; 2 extra labels)
/// of `samples` samples each from `start_ms` into Prometheus blocks with promtool; returns
/// the directory holding them.
pub fn backfill_blocks(work: &Path, series: usize, samples: usize, start_ms: i64) -> PathBuf {
    let om = work.join("data.om");
    openmetrics::write(
        &Spec {
            seed: 1,
            series,
            samples_per_series: samples,
            label_names: 2,
            start_ms,
            max_step_ms: 30_000,
        },
        &om,
    );
    let blocks = work.join("blocks");
    promtool::create_blocks(&om, &blocks);
    blocks
}
