//! The mnemos compactor (DESIGN.md sections 1, 4, 6, 7): groups the blocks of a bucket by
//! external labels and resolution, compacts them 2h → 8h → 2d → 14d (vertical compaction of
//! overlaps, offline HA deduplication with replica labels), downsamples raw → 5m → 1h,
//! applies retention per resolution and deletes replaced blocks after a delay. It never
//! halts: a block it cannot compact gets a no-compact mark, a log line and a metric.
//!
//! Layers, bottom up: [`aggr`] (AggrChunk encoding), [`downsample`] and
//! [`downsample_histograms`] (one series),
//! [`plan`] and [`group`] (pure planning), [`source`], [`rechunk`], [`merge`] and
//! [`downsample_block`]
//! (local blocks in, a local block out), [`journal`], [`readback`] (verification of an
//! uploaded block), [`parquet_convert`] (a block of the bucket to Parquet) and
//! [`compactor`] (the bucket pass).
#![deny(missing_docs)]

pub mod aggr;
pub mod compactor;
pub mod downsample;
pub mod downsample_block;
pub mod downsample_histograms;
pub mod error;
pub mod group;
pub mod histograms;
pub mod journal;
pub mod merge;
pub mod metrics;
pub mod parquet_convert;
pub mod partials;
pub mod plan;
pub mod readback;
pub mod rechunk;
pub mod source;

pub use compactor::{Compactor, Config, PassReport};
pub use error::{BadKind, Error, Result};
pub use parquet_convert::{convert_in_bucket, ParquetConvertConfig};
