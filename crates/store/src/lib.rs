//! The mnemos store gateway: StoreAPI over the blocks in object storage.
//!
//! - [`BucketStore::sync`] keeps the served block set in line with the bucket (meta
//!   fetcher, time window, relabel sharding, deletion marks); blocks load lazily and in
//!   parallel ([`BucketStore::load_pending`]), and a block is used only once fully loaded.
//! - Per block, a small local index header ([`index_header`]) holds the symbols and the
//!   postings offset table; postings, series and chunks are read by range, nearby ranges
//!   merged ([`bucket_file`]), through byte-bounded caches ([`range_cache`]).
//! - Limits fail early ([`limits`]); corrupt blocks are skipped, logged and counted.

#![deny(missing_docs)]

pub mod aggr;
pub mod block;
pub mod bucket_file;
mod error;
pub mod index_header;
pub mod limits;
pub mod metrics;
pub mod query;
pub mod range_cache;
pub mod selection;
mod service;

pub use error::{Error, Result};
pub use selection::{Relabel, TimeBound};
pub use service::{merge, BucketStore, StoreConfig, SyncReport};
