//! mnemos' PromQL engine: Prometheus 2.42 semantics for floats and native histograms,
//! parsed with the `promql-parser` crate, evaluated over a [`Storage`] (the querier's
//! StoreAPI fan-out, [`BlockStorage`] over local blocks, or [`MemStorage`] in tests).
//!
//! # Native histograms
//!
//! Storage hands out histogram samples beside float samples ([`StoredSeries::histograms`],
//! integer histograms converted to [`mnemos_tsdb::histogram::FloatHistogram`] by absolute
//! count, as Prometheus' chunk iterator does). Inside the engine a series keeps its float
//! values as they are, and histograms ride beside them in an optional per-step (or
//! per-point) vector that is `None` for series without any: float-only queries allocate
//! and branch no more than before. A histogram sample also has a float value — 0 from
//! storage — because that is how Prometheus 2.42 evaluates every function, operator and
//! aggregation that does not know histograms (its `Point` holds `V` and `H` side by side):
//!
//! * selectors (instant and range, lookback, offset, `@`, subqueries) give histograms; a
//!   histogram stale marker ends a series as a float one does;
//! * `rate`, `increase`, `delta` of histogram windows give histograms (counter resets and
//!   schema changes handled as 2.42's `histogramRate`; nothing for windows mixing floats
//!   and histograms); `histogram_quantile`, `histogram_fraction`, `histogram_count`,
//!   `histogram_sum` read them; `sort`, `sort_desc` keep them;
//! * `sum` adds histograms (a group mixing both kinds gives nothing at that step);
//! * binary `+` between two histograms adds them; any other operator between two
//!   histograms gives the float result of their values (0); a histogram against a float
//!   gives nothing; vector ⊕ scalar keeps the histogram unchanged beside the computed
//!   value, filtering on it for comparisons (so `h * 2` is `h`); `and`/`or`/`unless` and
//!   unary `-` pass histograms through;
//! * everything else sees a histogram sample as its float value (`irate` 0,
//!   `count_over_time` counts them, `avg` averages zeros, `topk` returns floats,
//!   `last_over_time` gives 0, `label_replace` drops the histogram).
//!
//! `histogram_avg`, `histogram_stddev` and `histogram_stdvar` (Prometheus 2.50) are
//! available with [`EngineOptions::histogram_stat_functions`] (off by default).
//!
//! Results carry histograms in [`Sample::h`] and [`Series::histograms`];
//! [`value::histogram_json`] prints one as Prometheus' HTTP API does.
//!
//! Two 2.42 defects are not reproduced: its range vectors read several series through one
//! sample buffer whose iterator keeps the last float histogram it returned and hands it out
//! again for later integer-histogram points (of other series too, hiding their stale
//! markers); and it converts integer histograms buffered in a range vector with
//! `Histogram.ToFloat` (running sums of converted deltas), which differs from the absolute
//! conversion used everywhere else when counts exceed 2^53.

#![deny(missing_docs)]

mod aggregate;
mod binary;
mod budget;
mod compat;
mod durations;
mod engine;
mod error;
mod functions;
mod gomath;
mod hist;
mod modifiers;
mod nesting;
pub mod storage;
pub mod value;

pub use engine::{query_selectors, selector_matchers, Control, Engine, EngineOptions};
pub use error::{Error, Result};
pub use modifiers::{modifiers, Modifiers};
pub use nesting::{EVAL_STACK_BYTES, MAX_NESTING};
pub use storage::{
    as_count, collect_series, BlockStorage, MemStorage, SelectHints, Storage, StorageError,
    StoredSeries, COUNT_HINT,
};
pub use value::{Sample, Series, Value};
