//! HA replica deduplication (DESIGN.md section 6): the one implementation the querier and
//! the compactor's offline deduplication share.
//!
//! Series that are equal once the replica labels are dropped hold the same data scraped by
//! different Prometheus replicas. [`merge`] turns them into one series with the function an
//! operator picks with `--deduplication.func` ([`DedupFunc`]):
//! - [`DedupFunc::Penalty`] ([`merge_replicas`]) follows one replica while it keeps its
//!   scrape rhythm and switches across a gap without dropping anything the other replicas
//!   hold inside it; counters are lifted at a switch instead of showing a fake reset;
//! - [`DedupFunc::Chain`] ([`merge_chain`]) takes every replica's samples by timestamp, one
//!   per timestamp (Thanos' 1:1 deduplication).

#![deny(missing_docs)]

mod chain;
mod penalty;
mod seek;

use std::fmt;
use std::str::FromStr;

pub use chain::merge_chain;
pub use penalty::{merge_replicas, merge_replicas_of};

/// How replicas are merged (`--deduplication.func`, Thanos v0.38's values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DedupFunc {
    /// Follow one replica, switch across gaps (the default).
    #[default]
    Penalty,
    /// All replicas' samples by timestamp, one per timestamp.
    Chain,
}

impl DedupFunc {
    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            DedupFunc::Penalty => "penalty",
            DedupFunc::Chain => "chain",
        }
    }
}

impl fmt::Display for DedupFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--deduplication.func` value that is neither `penalty` nor `chain`.
#[derive(Debug, thiserror::Error)]
#[error("unknown deduplication function {0:?} (expected \"penalty\" or \"chain\")")]
pub struct UnknownDedupFunc(pub String);

impl FromStr for DedupFunc {
    type Err = UnknownDedupFunc;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "penalty" => Ok(DedupFunc::Penalty),
            "chain" => Ok(DedupFunc::Chain),
            other => Err(UnknownDedupFunc(other.to_string())),
        }
    }
}

/// Merges replicas of one series (samples `(t ms, value)`, each in time order) with `func`.
/// `counter` (inputs of `rate`, `increase`, `irate`, `resets`) turns on the penalty merge's
/// counter adjustment; the chain merge takes values as they are.
pub fn merge(func: DedupFunc, replicas: &[&[(i64, f64)]], counter: bool) -> Vec<(i64, f64)> {
    match func {
        DedupFunc::Penalty => merge_replicas(replicas, counter),
        DedupFunc::Chain => merge_chain(replicas),
    }
}

/// Merges replicas of one series whose samples are of any type (native histograms) with
/// `func`, values as they are: the same choice of samples as [`merge`] without counter
/// adjustment.
pub fn merge_of<V: Clone>(func: DedupFunc, replicas: &[&[(i64, V)]]) -> Vec<(i64, V)> {
    match func {
        DedupFunc::Penalty => merge_replicas_of(replicas),
        DedupFunc::Chain => merge_chain(replicas),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values_parse_and_print() {
        for f in [DedupFunc::Penalty, DedupFunc::Chain] {
            assert_eq!(f.as_str().parse::<DedupFunc>().unwrap(), f);
        }
        assert_eq!(DedupFunc::default(), DedupFunc::Penalty);
        let err = "".parse::<DedupFunc>().unwrap_err().to_string();
        assert!(err.contains("expected \"penalty\" or \"chain\""), "{err}");
    }
}
