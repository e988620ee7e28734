//! A block the gateway serves: its meta (always in memory) and, once loaded, either its
//! TSDB index (local header + ranged reads), chunk segments and tombstones, or, for a block
//! with a Parquet converter mark, its Parquet footers ([`crate::parquet_block`]). Loading
//! happens once, on first use or in the background after a sync; a block is used only once
//! fully loaded.

use std::path::PathBuf;
use std::sync::Arc;

use mnemos_block::{read_mark, ConverterMark};
use mnemos_objstore::Bucket;
use mnemos_tsdb::index::IndexReader;
use mnemos_tsdb::meta::BlockMeta;
use mnemos_tsdb::tombstones::Tombstones;
use mnemos_tsdb::Labels;
use tokio::sync::OnceCell;
use tracing::warn;
use ulid::Ulid;

use crate::bucket_file::BucketFile;
use crate::error::{Error, Result};
use crate::index_header::IndexHeader;
use crate::parquet_block::{load_parquet, ParquetBlock};
use crate::range_cache::{FileKey, RangeCache};

/// What loading a block needs.
#[derive(Clone)]
pub struct Loader {
    /// The bucket.
    pub bucket: Bucket,
    /// Where index headers are kept.
    pub data_dir: PathBuf,
    /// Cache of index ranges (postings, series).
    pub index_cache: RangeCache,
    /// Cache of chunk ranges.
    pub chunk_cache: RangeCache,
    /// Runtime for blocking reads.
    pub runtime: tokio::runtime::Handle,
}

/// A loaded block.
pub struct LoadedBlock {
    /// Block id.
    pub id: Ulid,
    /// The index (header local, the rest read by range).
    pub index: IndexReader<BucketFile>,
    /// Chunk segments; index 0 is `chunks/000001`.
    pub segments: Vec<BucketFile>,
    /// Deleted intervals per series.
    pub tombstones: Tombstones,
    /// Sorted offsets of every postings list, to know where each one ends.
    postings_offsets: Vec<u64>,
    /// End of the postings section.
    postings_end: u64,
}

impl LoadedBlock {
    /// The byte range of the postings list at `offset` (an offset from the postings offset
    /// table): up to the next list, clipped to the postings section. An offset outside the
    /// section gives an empty range; reading the list then reports the corruption.
    pub fn postings_range(&self, offset: u64) -> std::ops::Range<u64> {
        let i = self.postings_offsets.partition_point(|o| *o <= offset);
        let end = self
            .postings_offsets
            .get(i)
            .copied()
            .unwrap_or(self.postings_end)
            .min(self.postings_end);
        offset..end.max(offset)
    }
}

/// A loaded block, by the files it is read from.
#[derive(Clone)]
pub enum Loaded {
    /// Its TSDB index and chunk segments.
    Tsdb(Arc<LoadedBlock>),
    /// Its Parquet files.
    Parquet(Arc<ParquetBlock>),
}

/// A block of the bucket.
pub struct StoreBlock {
    /// Block id.
    pub id: Ulid,
    /// Its meta.json.
    pub meta: Arc<BlockMeta>,
    /// Its external labels (from meta.json).
    pub external: Labels,
    /// Whether to read it from its Parquet files (it has a converter mark).
    pub parquet: bool,
    loaded: OnceCell<Loaded>,
}

impl StoreBlock {
    /// A block not loaded yet, read from its Parquet files when `parquet` is set.
    pub fn new(id: Ulid, meta: Arc<BlockMeta>, parquet: bool) -> Self {
        let external = meta
            .thanos
            .as_ref()
            .map(|t| Labels::from_pairs(t.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            .unwrap_or_default();
        Self {
            id,
            meta,
            external,
            parquet,
            loaded: OnceCell::new(),
        }
    }

    /// Resolution of the block (ms).
    pub fn resolution(&self) -> i64 {
        self.meta.resolution()
    }

    /// Whether loading has completed.
    pub fn is_loaded(&self) -> bool {
        self.loaded.initialized()
    }

    /// The loaded block, loading it first if needed (concurrent callers wait for one load).
    pub async fn load(&self, loader: &Loader) -> Result<Loaded> {
        self.loaded
            .get_or_try_init(|| async {
                if self.parquet {
                    if let Some(mark) = read_mark::<ConverterMark>(&loader.bucket, self.id).await? {
                        if mark.is_readable() {
                            let block = load_parquet(self.id, &mark, loader).await?;
                            return Ok(Loaded::Parquet(Arc::new(block)));
                        }
                        warn!(block = %self.id, version = mark.version, "unknown Parquet converter mark version; serving the TSDB block");
                    }
                }
                let block = load(self.id, &self.meta, loader).await?;
                Ok(Loaded::Tsdb(Arc::new(block)))
            })
            .await
            .cloned()
    }
}

async fn load(id: Ulid, meta: &BlockMeta, loader: &Loader) -> Result<LoadedBlock> {
    let dir = loader.data_dir.join(id.to_string());
    let header = match IndexHeader::load(&dir) {
        Some(h) => h,
        None => {
            let h = IndexHeader::build(&loader.bucket, id).await?;
            h.write(&dir)?;
            h
        }
    };
    let prefix = format!("{id}/");
    let objects = loader.bucket.list_objects(&prefix).await?;
    let size_of = |rel: &str| {
        objects
            .iter()
            .find(|o| o.key.strip_prefix(&prefix) == Some(rel))
            .map(|o| o.size)
    };
    // Every file meta.json lists must be there with its size.
    if let Some(thanos) = &meta.thanos {
        for f in thanos.files.iter().filter(|f| f.rel_path != "meta.json") {
            match size_of(&f.rel_path) {
                None => {
                    return Err(Error::CorruptBlock {
                        block: id,
                        reason: format!("{} is missing", f.rel_path),
                    })
                }
                Some(size) if size != f.size_bytes && f.size_bytes != 0 => {
                    return Err(Error::CorruptBlock {
                        block: id,
                        reason: format!(
                            "{} has {size} bytes, meta.json says {}",
                            f.rel_path, f.size_bytes
                        ),
                    })
                }
                Some(_) => {}
            }
        }
    }
    let mut segment_names: Vec<(String, u64)> = objects
        .iter()
        .filter_map(|o| {
            let rel = o.key.strip_prefix(&prefix)?;
            let name = rel.strip_prefix("chunks/")?;
            Some((name.to_string(), o.size))
        })
        .collect();
    segment_names.sort();
    let mut segments = Vec::with_capacity(segment_names.len());
    for (i, (name, size)) in segment_names.iter().enumerate() {
        if *name != format!("{:06}", i + 1) {
            return Err(Error::CorruptBlock {
                block: id,
                reason: format!("chunk segments are not consecutive: found chunks/{name}"),
            });
        }
        segments.push(BucketFile::new(
            loader.bucket.clone(),
            format!("{id}/chunks/{name}"),
            FileKey {
                block: id,
                file: i as u32 + 1,
            },
            *size,
            Vec::new(),
            loader.chunk_cache.clone(),
            loader.runtime.clone(),
        ));
    }
    let tombstones = match size_of("tombstones") {
        Some(_) => {
            let data = loader.bucket.get(&format!("{id}/tombstones")).await?;
            Tombstones::decode(&data).map_err(|e| Error::Tsdb {
                block: id,
                source: e.in_file(std::path::Path::new(&format!("{id}/tombstones"))),
            })?
        }
        None => Tombstones::new(),
    };
    let index_file = BucketFile::new(
        loader.bucket.clone(),
        format!("{id}/index"),
        FileKey { block: id, file: 0 },
        header.index_size,
        header.ranges,
        loader.index_cache.clone(),
        loader.runtime.clone(),
    );
    let index = tokio::task::spawn_blocking(move || IndexReader::open(index_file))
        .await
        .map_err(|e| Error::Config(format!("loading task failed: {e}")))?
        .map_err(|source| Error::Tsdb { block: id, source })?;
    let table = index.postings_table();
    let mut postings_offsets: Vec<u64> = table
        .label_names()
        .chain(std::iter::once(""))
        .flat_map(|n| table.values(n).map(|(_, o)| o))
        .collect();
    postings_offsets.sort_unstable();
    postings_offsets.dedup();
    let postings_end = index.postings_section().end;
    Ok(LoadedBlock {
        id,
        index,
        segments,
        tombstones,
        postings_offsets,
        postings_end,
    })
}
