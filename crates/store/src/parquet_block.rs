//! Blocks served from their Parquet files (a Parquet converter mark says they are
//! complete). Loading reads each shard's two footers with their page indexes into memory
//! and the labels file's label columns into the index cache (a small labels file whole, in
//! the footer's request; a larger one's label columns in a second request), and nothing
//! else: no index header, nothing on local disk. Every later read goes through
//! [`ParquetObject`], the Parquet library's view of a [`BucketFile`]: ranged reads merged
//! and served from the same byte-bounded caches as TSDB blocks (labels files in the index
//! cache, chunks files in the chunk cache), counted per request.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use mnemos_block::parquet_mark::{chunks_file_name, labels_file_name};
use mnemos_block::ConverterMark;
use mnemos_parquet::{ParquetShard, ShardFiles};
use mnemos_tsdb::ReadAt;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use ulid::Ulid;

use crate::block::Loader;
use crate::bucket_file::{BucketFile, FetchStats};
use crate::error::{Error, Result};
use crate::range_cache::FileKey;

/// Cache keys of Parquet files start here (0 is the TSDB index, 1.. its chunk segments):
/// shard `n`'s labels file is `PARQUET_FILE_KEYS + 2n`, its chunks file the next.
const PARQUET_FILE_KEYS: u32 = 1 << 31;
/// Bytes read from a file's end in the first request for its footer: small footers and
/// their page indexes then come in one request.
const FOOTER_PREFETCH: usize = 64 << 10;
/// A labels file at most this large is read whole by the request that reads its footer, so
/// its label columns (at the file's start, before `s_col_indexes` and `s_series_hash`, as
/// parquet-common orders them) sit in the index cache and a query reads only chunk pages.
const WHOLE_LABELS_FILE: u64 = 256 << 10;
/// A larger labels file has its label columns (at its start; `s_series_hash`, 8 bytes a
/// row, makes up most of the rest) read at load into the index cache when they take at
/// most this many bytes, so that a query still reads only chunk pages. The index cache
/// (`--index-cache-size`) bounds what all blocks keep; this bounds one file's share. About
/// 23 KB for a block of 50,000 series with three labels; a block whose label columns are
/// larger reads, per query, only the pages of the rows its matchers select.
const LABEL_COLUMNS_AT_LOAD: u64 = 1 << 20;

/// One Parquet file of a block as the Parquet library reads it, counting into one
/// request's [`FetchStats`].
#[derive(Clone)]
pub struct ParquetObject {
    file: Arc<BucketFile>,
    stats: Arc<FetchStats>,
    /// Files at most this large are read whole with their footer.
    read_whole_below: u64,
}

fn external(e: impl std::error::Error + Send + Sync + 'static) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl ParquetObject {
    async fn fetch(&self, ranges: Vec<Range<u64>>) -> parquet::errors::Result<Vec<Bytes>> {
        let pinned = self
            .file
            .fetch(ranges.clone(), &self.stats)
            .await
            .map_err(external)?;
        ranges
            .into_iter()
            .map(|r| {
                let len = usize::try_from(r.end.saturating_sub(r.start))
                    .map_err(|_| ParquetError::EOF(format!("range {r:?} too long")))?;
                match pinned.tail_at(r.start) {
                    Some(data) if data.len() >= len => Ok(data.slice(..len)),
                    _ => Err(ParquetError::EOF(format!(
                        "{}: range {r:?} beyond the object's {} bytes",
                        self.file.path().display(),
                        self.file.size()
                    ))),
                }
            })
            .collect()
    }
}

impl AsyncFileReader for ParquetObject {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            let mut data = self.fetch(vec![range]).await?;
            data.pop()
                .ok_or_else(|| ParquetError::EOF("empty read".into()))
        }
        .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move { self.fetch(ranges).await }.boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.file.size();
            let prefetch = if size <= self.read_whole_below {
                usize::try_from(size).unwrap_or(FOOTER_PREFETCH)
            } else {
                FOOTER_PREFETCH
            };
            let reader = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .with_page_index_policy(PageIndexPolicy::Optional)
                .with_prefetch_hint(Some(prefetch));
            Ok(Arc::new(reader.load_and_finish(self, size).await?))
        }
        .boxed()
    }
}

/// One shard of a Parquet block: its opened footers and its two objects.
struct Shard {
    shard: ParquetShard,
    labels: Arc<BucketFile>,
    chunks: Arc<BucketFile>,
}

/// A block served from its Parquet files.
pub struct ParquetBlock {
    /// Block id.
    pub id: Ulid,
    shards: Vec<Shard>,
}

impl ParquetBlock {
    /// Shards of the block.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Shard `i`'s opened footers.
    pub fn shard(&self, i: usize) -> Option<&ParquetShard> {
        self.shards.get(i).map(|s| &s.shard)
    }

    /// Shard `i`'s files, reading for one request (counting into `stats`).
    pub fn files(&self, i: usize, stats: &Arc<FetchStats>) -> Option<ShardFiles<ParquetObject>> {
        let s = self.shards.get(i)?;
        Some(ShardFiles {
            labels: ParquetObject {
                file: s.labels.clone(),
                stats: stats.clone(),
                read_whole_below: 0,
            },
            chunks: ParquetObject {
                file: s.chunks.clone(),
                stats: stats.clone(),
                read_whole_below: 0,
            },
        })
    }

    /// Label names with a column in any shard, sorted and unique.
    pub fn label_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .shards
            .iter()
            .flat_map(|s| s.shard.label_names().map(str::to_string))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The distinct values of label `name` over the block.
    pub async fn label_values(&self, name: &str, stats: &Arc<FetchStats>) -> Result<Vec<String>> {
        let mut values = Vec::new();
        for i in 0..self.shards.len() {
            let files = self.files(i, stats).ok_or_else(|| self.missing_shard(i))?;
            let shard = &self.shards[i].shard;
            values.extend(
                shard
                    .label_values(&files, name)
                    .await
                    .map_err(|e| self.error(e))?,
            );
        }
        values.sort();
        values.dedup();
        Ok(values)
    }

    /// Bytes of footers and page indexes held in memory.
    pub fn metadata_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.shard.metadata_bytes()).sum()
    }

    /// This block's error for a Parquet failure.
    pub fn error(&self, source: mnemos_parquet::Error) -> Error {
        Error::Parquet {
            block: self.id,
            source,
        }
    }

    fn missing_shard(&self, i: usize) -> Error {
        Error::CorruptBlock {
            block: self.id,
            reason: format!("no Parquet shard {i}"),
        }
    }
}

/// Opens block `id`'s Parquet shards as `mark` describes them.
pub async fn load_parquet(id: Ulid, mark: &ConverterMark, loader: &Loader) -> Result<ParquetBlock> {
    let prefix = format!("{id}/");
    let objects = loader.bucket.list_objects(&prefix).await?;
    let object = |name: &str, key: u32, cache: &crate::range_cache::RangeCache| {
        let key_name = format!("{prefix}{name}");
        let size = objects
            .iter()
            .find(|o| o.key == key_name)
            .map(|o| o.size)
            .ok_or_else(|| Error::CorruptBlock {
                block: id,
                reason: format!("converter mark present but {name} is missing"),
            })?;
        Ok::<_, Error>(Arc::new(BucketFile::new(
            loader.bucket.clone(),
            key_name,
            FileKey {
                block: id,
                file: key,
            },
            size,
            Vec::new(),
            cache.clone(),
            loader.runtime.clone(),
        )))
    };
    let stats = Arc::new(FetchStats::default());
    let mut shards = Vec::new();
    for n in 0..mark.shard_count() {
        let base = PARQUET_FILE_KEYS.saturating_add(n.saturating_mul(2));
        let labels = object(&labels_file_name(n), base, &loader.index_cache)?;
        let chunks = object(
            &chunks_file_name(n),
            base.saturating_add(1),
            &loader.chunk_cache,
        )?;
        let mut files = ShardFiles {
            labels: ParquetObject {
                file: labels.clone(),
                stats: stats.clone(),
                read_whole_below: WHOLE_LABELS_FILE,
            },
            chunks: ParquetObject {
                file: chunks.clone(),
                stats: stats.clone(),
                read_whole_below: 0,
            },
        };
        let shard = ParquetShard::open(&mut files)
            .await
            .map_err(|source| Error::Parquet { block: id, source })?;
        if labels.size() > WHOLE_LABELS_FILE {
            if let Some(ranges) = shard.label_column_ranges().filter(|ranges| {
                let total = ranges
                    .iter()
                    .fold(0u64, |t, r| t.saturating_add(r.end.saturating_sub(r.start)));
                total > 0 && total <= LABEL_COLUMNS_AT_LOAD
            }) {
                // Fetched into the index cache, where later reads find them: a query's label
                // reads lie inside these ranges and are merged the same way.
                labels
                    .fetch(ranges, &stats)
                    .await
                    .map_err(|source| Error::Tsdb { block: id, source })?;
            }
        }
        shards.push(Shard {
            shard,
            labels,
            chunks,
        });
    }
    Ok(ParquetBlock { id, shards })
}
