//! The Parquet long-term tier: TSDB blocks written as prometheus-community/parquet-common
//! shards (`<block>/<n>.labels.parquet`, `<block>/<n>.chunks.parquet`, Cortex' converter
//! mark), and read back with page-index and row-selection pushdown. `docs/parquet.md`
//! describes the format, the commit of parquet-common it follows and mnemos' extension
//! for downsampled blocks.

#![deny(missing_docs)]

pub mod cell;
pub mod convert;
mod error;
pub mod page_guard;
pub mod read;
pub mod schema;
mod slices;

pub use convert::{convert_block, ConvertOptions, Converted};
pub use error::{Error, Result};
pub use read::{ParquetShard, ReadChunk, Reader, ShardFiles};
pub use schema::{Part, TimeSlices};
