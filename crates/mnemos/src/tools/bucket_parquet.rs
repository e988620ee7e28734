//! `mnemos tools bucket parquet convert|ls|inspect`: the Parquet files of the bucket's blocks.

use std::ops::Range;
use std::path::PathBuf;

use anyhow::Context;
use bytes::Bytes;
use clap::{Args, Subcommand};
use futures::future::BoxFuture;
use futures::FutureExt;
use mnemos_block::parquet_mark::{chunks_key, labels_key};
use mnemos_block::{read_mark, ConverterMark};
use mnemos_compact::convert_in_bucket;
use mnemos_objstore::Bucket;
use parquet::arrow::async_reader::MetadataFetch;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use ulid::Ulid;

use super::bucket::fetch;
use crate::components::parquet::ParquetFormatArgs;
use crate::components::ObjstoreArgs;
use crate::tools::with_stdout;

/// `mnemos tools bucket parquet …`
#[derive(Debug, Subcommand)]
pub enum ParquetCommand {
    /// Converts blocks to Parquet (files first, converter mark last; running it again after
    /// an interruption finishes the job).
    Convert(ConvertArgs),
    /// Lists converted blocks: mark, shards, and bytes of the Parquet and TSDB files.
    Ls(ParquetLsArgs),
    /// Shows the footers of blocks' Parquet files: rows, row groups, columns, metadata.
    Inspect(ParquetInspectArgs),
}

impl ParquetCommand {
    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            ParquetCommand::Convert(a) => a.run().await,
            ParquetCommand::Ls(a) => a.run().await,
            ParquetCommand::Inspect(a) => a.run().await,
        }
    }
}

/// `mnemos tools bucket parquet convert`
#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Blocks to convert (repeatable); default every live block without a converter mark.
    #[arg(long = "id", env = "MNEMOS_ID", value_delimiter = ',')]
    ids: Vec<Ulid>,
    /// Convert again blocks that already have a converter mark.
    #[arg(long = "force", env = "MNEMOS_FORCE")]
    force: bool,
    /// Scratch directory (a block is downloaded and converted there, then removed).
    #[arg(long = "dir", env = "MNEMOS_DIR", default_value = "./parquet-convert")]
    dir: PathBuf,
    #[command(flatten)]
    format: ParquetFormatArgs,
}

impl ConvertArgs {
    async fn run(self) -> anyhow::Result<()> {
        let (bucket, blocks) = fetch(&self.objstore).await?;
        let options = self.format.options()?;
        let ids: Vec<Ulid> = if self.ids.is_empty() {
            blocks.live().map(|(id, _)| *id).collect()
        } else {
            for id in &self.ids {
                anyhow::ensure!(blocks.metas.contains_key(id), "no block {id} in the bucket");
            }
            self.ids.clone()
        };
        for id in ids {
            if !self.force && blocks.parquet_converted.contains(&id) {
                println!("{id}\talready converted");
                continue;
            }
            let work = self.dir.join(id.to_string());
            let done = convert_in_bucket(&bucket, id, &work, &options)
                .await
                .with_context(|| format!("converting block {id}"))?;
            println!(
                "{id}\tconverted\tseries={}\tchunks={}\trow_groups={}",
                done.series, done.chunks, done.row_groups
            );
        }
        Ok(())
    }
}

/// `mnemos tools bucket parquet ls`
#[derive(Debug, Args)]
pub struct ParquetLsArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
}

impl ParquetLsArgs {
    async fn run(self) -> anyhow::Result<()> {
        let (bucket, blocks) = fetch(&self.objstore).await?;
        let mut text = String::from("ULID\tVERSION\tSHARDS\tPARQUET_BYTES\tTSDB_BYTES\tRATIO\n");
        for id in &blocks.parquet_converted {
            if !blocks.metas.contains_key(id) || blocks.deletion_marked.contains(id) {
                continue;
            }
            let mark = read_mark::<ConverterMark>(&bucket, *id).await?;
            let (version, shards) = mark.map_or((0, 0), |m| (m.version, m.shard_count()));
            let (mut parquet, mut tsdb) = (0u64, 0u64);
            for o in bucket.list_objects(&format!("{id}/")).await? {
                let rel = &o.key[id.to_string().len() + 1..];
                if rel.ends_with(".parquet") {
                    parquet += o.size;
                } else if rel == "index" || rel.starts_with("chunks/") {
                    tsdb += o.size;
                }
            }
            let ratio = if tsdb > 0 {
                parquet as f64 / tsdb as f64
            } else {
                0.0
            };
            text.push_str(&format!(
                "{id}\t{version}\t{shards}\t{parquet}\t{tsdb}\t{ratio:.3}\n"
            ));
        }
        with_stdout(|out| Ok(out.write_all(text.as_bytes())?))
    }
}

/// `mnemos tools bucket parquet inspect`
#[derive(Debug, Args)]
pub struct ParquetInspectArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Blocks to show (repeatable).
    #[arg(long = "id", env = "MNEMOS_ID", value_delimiter = ',', required = true)]
    ids: Vec<Ulid>,
}

/// Ranged reads of one object, for the Parquet footer reader.
struct ObjectRanges<'a> {
    bucket: &'a Bucket,
    key: &'a str,
}

impl MetadataFetch for ObjectRanges<'_> {
    fn fetch(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.bucket
                .get_range(self.key, range)
                .await
                .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))
        }
        .boxed()
    }
}

async fn footer(bucket: &Bucket, key: &str) -> anyhow::Result<(u64, ParquetMetaData)> {
    let size = bucket
        .size(key)
        .await?
        .with_context(|| format!("{key} is missing"))?;
    let meta = ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Skip)
        .load_and_finish(ObjectRanges { bucket, key }, size)
        .await
        .with_context(|| format!("reading the footer of {key}"))?;
    Ok((size, meta))
}

fn describe(key: &str, size: u64, meta: &ParquetMetaData, text: &mut String) {
    let file = meta.file_metadata();
    text.push_str(&format!(
        "  {key}: {size} bytes, {} rows, {} row groups, created by {}\n",
        file.num_rows(),
        meta.num_row_groups(),
        file.created_by().unwrap_or("?")
    ));
    for kv in file.key_value_metadata().into_iter().flatten() {
        text.push_str(&format!(
            "    metadata {} = {}\n",
            kv.key,
            kv.value.as_deref().unwrap_or("")
        ));
    }
    let schema = file.schema_descr();
    for (i, column) in schema.columns().iter().enumerate() {
        let (mut compressed, mut plain) = (0i64, 0i64);
        let mut encodings = Vec::new();
        let mut compression = String::new();
        for g in meta.row_groups() {
            let c = g.column(i);
            compressed += c.compressed_size();
            plain += c.uncompressed_size();
            compression = c.compression().to_string();
            for e in c.encodings() {
                let e = format!("{e:?}");
                if !encodings.contains(&e) {
                    encodings.push(e);
                }
            }
        }
        text.push_str(&format!(
            "    column {}: {compressed} bytes ({plain} uncompressed), {compression}, {}\n",
            column.name(),
            encodings.join("+")
        ));
    }
}

impl ParquetInspectArgs {
    async fn run(self) -> anyhow::Result<()> {
        let mut registry = prometheus_client::registry::Registry::default();
        let bucket = self.objstore.open_required(&mut registry)?;
        let mut text = String::new();
        for id in &self.ids {
            let mark = read_mark::<ConverterMark>(&bucket, *id).await?;
            text.push_str(&format!("block {id}\n"));
            let Some(mark) = mark else {
                text.push_str("  not converted (no parquet-converter-mark.json)\n");
                continue;
            };
            text.push_str(&format!(
                "  mark: version {} shards {}\n",
                mark.version,
                mark.shard_count()
            ));
            for shard in 0..mark.shard_count() {
                for key in [labels_key(*id, shard), chunks_key(*id, shard)] {
                    let (size, meta) = footer(&bucket, &key).await?;
                    describe(&key, size, &meta, &mut text);
                }
            }
        }
        with_stdout(|out| Ok(out.write_all(text.as_bytes())?))
    }
}
