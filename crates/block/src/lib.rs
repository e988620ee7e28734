//! Blocks in object storage (DESIGN.md section 4): the bucket layout, safe upload (meta.json
//! last) and atomic download, deletion (meta.json first), deletion and no-compact marks, verification, and the meta
//! fetcher every component uses to see which blocks exist.

#![deny(missing_docs)]

pub mod delete;
pub mod download;
mod error;
pub mod fetcher;
pub mod fsutil;
pub mod layout;
pub mod marks;
pub mod parquet_mark;
pub mod selection;
pub mod upload;
pub mod verify;

pub use delete::delete_block;
pub use download::{download_block, fetch_meta};
pub use error::{Error, Result};
pub use fetcher::{BucketBlocks, MetaFetcher};
pub use fsutil::write_atomic;
pub use marks::{
    read_mark, remove_mark, write_mark, DeletionMark, Mark, NoCompactMark, NoDownsampleMark,
};
pub use parquet_mark::ConverterMark;
pub use selection::{Relabel, BLOCK_ID_LABEL};
pub use upload::{local_block_files, meta_for_upload, upload_block};
pub use verify::verify_block;
