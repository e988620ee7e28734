//! mnemos' query-frontend: Thanos' `query-frontend` in front of a querier's Prometheus HTTP
//! API.
//!
//! - Range queries ([`range`]) are aligned to their step, split at multiples of
//!   `--query-range.split-interval` ([`split`]), and each part is answered from the results
//!   cache ([`extents`]) or by the querier ([`downstream`], retried on failure), then merged
//!   ([`matrix`]).
//! - Label names, label values and series ([`metadata`]) are split the same way, and whole
//!   intervals are cached.
//! - Everything else passes through, retried.
//!
//! The cache ([`cache`]) is in memory, memcached or Redis ([`config`], Thanos' YAML). A
//! result is never cached when the querier marks it `Cache-Control: no-store` or it carries
//! a warning (a partial response), nor for the most recent minute (`max freshness`).

#![deny(missing_docs)]

pub mod cache;
pub mod config;
pub mod downstream;
mod error;
pub mod extents;
pub mod handler;
pub mod matrix;
pub mod metadata;
pub mod metrics;
pub mod range;
pub mod reply;
pub mod request;
pub mod split;

pub use error::{Error, Result};
