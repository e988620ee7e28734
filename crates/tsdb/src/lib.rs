//! Prometheus TSDB blocks: read and write `meta.json` (with Thanos' section),
//! index v2, chunk segment files, XOR and native histogram chunks and
//! tombstones.
//!
//! Layers, bottom up: [`encoding`] (bytes, varints, CRC), [`read_at`] (ranged
//! reads), the pure section decoders in [`index`], [`chunks`] and
//! [`tombstones`], then [`block::Block`], [`block_writer::BlockWriter`] and
//! [`block_set::BlockSet`]. Every corruption error names the file and offset.
#![deny(missing_docs)]

pub mod block;
pub mod block_set;
pub mod block_writer;
pub mod chunkenc;
pub mod chunks;
pub mod encoding;
pub mod error;
mod fsutil;
pub mod gofmt;
pub mod histogram;
pub mod index;
pub mod labels;
pub mod meta;
pub mod read_at;
pub mod rewrite;
pub mod size;
#[doc(hidden)]
pub mod testdata;
pub mod time;
pub mod tombstones;

pub use block::{Block, Sample};
pub use block_set::BlockSet;
pub use block_writer::BlockWriter;
pub use error::{Error, Result};
pub use labels::{is_valid_label_name, Label, Labels, MatchType, Matcher};
pub use meta::BlockMeta;
pub use read_at::{BytesFile, ReadAt};
