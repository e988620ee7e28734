//! The mnemos store gateway: StoreAPI over the blocks in object storage.
//!
//! - [`BucketStore::sync`] keeps the served block set in line with the bucket (meta
//!   fetcher, time window, relabel sharding, deletion marks); blocks load lazily and in
//!   parallel ([`BucketStore::load_pending`]), and a block is used only once fully loaded.
//! - Per block, a small local index header ([`index_header`]) holds the symbols and the
//!   postings offset table; postings, series and chunks are read by range, nearby ranges
//!   merged ([`bucket_file`]), through byte-bounded caches ([`range_cache`]).
//! - `Series` streams: each block is read a batch at a time in label order ([`query`],
//!   [`order`]), the blocks' streams are merged ([`merge`]) and sent through a bounded
//!   channel, so memory per request does not grow with the answer and a client that goes
//!   away stops the reading.
//! - Limits fail early ([`limits`]); corrupt blocks are skipped, logged and counted.

#![deny(missing_docs)]

pub mod aggr;
mod api;
pub mod block;
mod block_read;
pub mod bucket_file;
mod error;
pub mod index_header;
pub mod limits;
pub mod merge;
pub mod metrics;
pub mod order;
pub mod parquet_block;
mod parquet_query;
pub mod query;
pub mod range_cache;
mod select;
mod service;

pub use error::{Error, Result};
pub use mnemos_block::Relabel;
pub use service::{BucketStore, StoreConfig, SyncReport};
