//! What the crate's tests, benchmark and fuzz target (`fuzz/fuzz_targets/parquet_files.rs`)
//! share: a Parquet file held in memory, read through the same `AsyncFileReader` interface
//! the store gateway reads the bucket with; reads past its end are errors, as from a bucket.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};

/// A file held in memory.
#[derive(Clone)]
pub struct MemFile(pub Bytes);

impl MemFile {
    /// The file at `path`, read whole.
    #[allow(dead_code)] // not used by the fuzz target
    pub fn read(path: &Path) -> Self {
        Self(Bytes::from(std::fs::read(path).expect("read parquet file")))
    }
}

impl AsyncFileReader for MemFile {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        let len = self.0.len() as u64;
        let out = if range.start <= range.end && range.end <= len {
            Ok(self.0.slice(range.start as usize..range.end as usize))
        } else {
            Err(ParquetError::EOF(format!("{range:?} beyond {len} bytes")))
        };
        async move { out }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        let len = self.0.len() as u64;
        async move {
            let reader = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .with_page_index_policy(PageIndexPolicy::Optional);
            Ok(Arc::new(reader.load_and_finish(self, len).await?))
        }
        .boxed()
    }
}
