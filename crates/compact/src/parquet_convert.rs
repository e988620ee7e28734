//! Converting a block of the bucket to Parquet (crate `mnemos-parquet`), crash-safe like an
//! upload: the block is downloaded, converted locally, its Parquet files uploaded, then the
//! global copy of the converter mark and last the block's own mark. Readers use a block's
//! Parquet files only once its mark exists, so a conversion killed at any point leaves
//! nothing half-visible, and running it again overwrites the files and finishes.

use std::path::Path;

use mnemos_block::parquet_mark::{chunks_key, global_mark_key, labels_key};
use mnemos_block::{download_block, write_mark, ConverterMark};
use mnemos_objstore::Bucket;
use mnemos_parquet::{convert_block, ConvertOptions, Converted};
use mnemos_tsdb::meta::BlockMeta;
use tracing::info;
use ulid::Ulid;

use crate::error::{Error, IoContext, Result};

/// Which blocks the compactor converts (`--parquet.convert.*`).
#[derive(Clone, Debug)]
pub struct ParquetConvertConfig {
    /// Whether the compactor converts blocks at all.
    pub enabled: bool,
    /// Blocks spanning less than this (ms) are left alone: they are still to be compacted
    /// further, and converting them would be wasted.
    pub min_block_duration_ms: i64,
    /// Blocks converted at once.
    pub concurrency: usize,
    /// How the files are written.
    pub options: ConvertOptions,
}

impl Default for ParquetConvertConfig {
    /// Off; when on, blocks of 8h and more (Cortex' rule with the default ranges: blocks
    /// longer than the first compaction range), one at a time.
    fn default() -> Self {
        Self {
            enabled: false,
            min_block_duration_ms: 8 * 3_600_000,
            concurrency: 1,
            options: ConvertOptions::default(),
        }
    }
}

impl ParquetConvertConfig {
    /// Whether a block with `meta` is to be converted (not yet converted, nor marked for
    /// deletion: the caller checks those).
    pub fn wants(&self, meta: &BlockMeta) -> bool {
        self.enabled && meta.max_time.saturating_sub(meta.min_time) >= self.min_block_duration_ms
    }
}

/// Converts block `id` of `bucket` using `work` as scratch space (emptied first, removed
/// after) and uploads the result: files first, marks last.
pub async fn convert_in_bucket(
    bucket: &Bucket,
    id: Ulid,
    work: &Path,
    options: &ConvertOptions,
) -> Result<Converted> {
    if work.exists() {
        std::fs::remove_dir_all(work).at(work)?;
    }
    std::fs::create_dir_all(work).at(work)?;
    let result = convert_and_upload(bucket, id, work, options).await;
    let _ = std::fs::remove_dir_all(work);
    result
}

async fn convert_and_upload(
    bucket: &Bucket,
    id: Ulid,
    work: &Path,
    options: &ConvertOptions,
) -> Result<Converted> {
    let started = std::time::Instant::now();
    let dir = download_block(bucket, id, work).await?;
    let out = work.join("parquet");
    std::fs::create_dir_all(&out).at(&out)?;
    let (out_dir, opts) = (out.clone(), options.clone());
    let converted = tokio::task::spawn_blocking(move || {
        let block = mnemos_tsdb::Block::open(&dir)?;
        Ok::<_, Error>(convert_block(&block, &out_dir, &opts)?)
    })
    .await
    .map_err(|e| Error::Task(e.to_string()))??;
    let [labels, chunks] = converted.files.as_slice() else {
        return Err(Error::Task(format!(
            "conversion wrote {} files, expected 2",
            converted.files.len()
        )));
    };
    let mut bytes = bucket
        .upload_file(&labels_key(id, 0), labels)
        .await
        .map_err(mnemos_block::Error::from)?;
    bytes += bucket
        .upload_file(&chunks_key(id, 0), chunks)
        .await
        .map_err(mnemos_block::Error::from)?;
    let mark = ConverterMark::new(1);
    let json = serde_json::to_vec(&mark).map_err(|e| Error::Task(e.to_string()))?;
    bucket
        .put(&global_mark_key(id), json.into())
        .await
        .map_err(mnemos_block::Error::from)?;
    write_mark(bucket, id, &mark).await?;
    info!(
        block = %id,
        series = converted.series,
        chunks = converted.chunks,
        row_groups = converted.row_groups,
        bytes,
        elapsed_s = started.elapsed().as_secs_f64(),
        "converted block to Parquet"
    );
    Ok(converted)
}
