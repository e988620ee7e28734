//! mnemos' PromQL engine: Prometheus 2.42 semantics for floats, parsed with the
//! `promql-parser` crate, evaluated over a [`Storage`] (the querier's StoreAPI fan-out, or
//! [`MemStorage`] in tests).

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
mod nesting;
pub mod storage;
pub mod value;

pub use engine::{selector_matchers, Control, Engine, EngineOptions};
pub use error::{Error, Result};
pub use nesting::{EVAL_STACK_BYTES, MAX_NESTING};
pub use storage::{
    as_count, collect_series, BlockStorage, MemStorage, SelectHints, Storage, StorageError,
    StoredSeries, COUNT_HINT,
};
pub use value::{Sample, Series, Value};
