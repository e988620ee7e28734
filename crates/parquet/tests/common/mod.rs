//! What the crate's tests and benchmarks share: a Parquet file held in memory, read through
//! the same `AsyncFileReader` interface the store gateway reads the bucket with.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};

/// A file held in memory.
#[derive(Clone)]
pub struct MemFile(pub Bytes);

impl MemFile {
    /// The file at `path`, read whole.
    pub fn read(path: &Path) -> Self {
        Self(Bytes::from(std::fs::read(path).expect("read parquet file")))
    }
}

impl AsyncFileReader for MemFile {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        let data = self.0.slice(range.start as usize..range.end as usize);
        async move { Ok(data) }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        let data = self.0.clone();
        async move {
            let mut r =
                ParquetMetaDataReader::new().with_page_index_policy(PageIndexPolicy::Optional);
            r.try_parse(&data)?;
            Ok(Arc::new(r.finish()?))
        }
        .boxed()
    }
}
