//! `mnemos tools bucket ls|inspect|upload|verify|download|mark`: blocks in object storage
//! (`parquet …` in [`super::bucket_parquet`], `web` in [`super::bucket_web`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use mnemos_block::{
    remove_mark, upload_block, verify_block, write_mark, BucketBlocks, DeletionMark, MetaFetcher,
    NoCompactMark, NoDownsampleMark,
};
use mnemos_objstore::Bucket;
use mnemos_tsdb::meta::{BlockMeta, ThanosMeta};
use prometheus_client::registry::Registry;
use ulid::Ulid;

use crate::components::{runtime, ObjstoreArgs};
use crate::tools::with_stdout;
use mnemos_tsdb::gofmt::rfc3339;

/// `mnemos tools bucket …`
#[derive(Debug, Subcommand)]
pub enum BucketCommand {
    /// Lists the blocks: id, time range, resolution, level, stats, source, labels.
    Ls(LsArgs),
    /// Shows every block directory in detail: marks, files and sizes, partial uploads and
    /// unreadable metas included.
    Inspect(InspectArgs),
    /// Uploads local block directories the safe way (meta.json last), with external labels
    /// (also as Thanos' `upload-blocks --path DIR`).
    #[command(alias = "upload-blocks")]
    Upload(UploadArgs),
    /// Checks that each block's files exist with the sizes its meta.json records.
    Verify(VerifyArgs),
    /// Downloads blocks into a local directory (one `<ULID>` directory each).
    Download(DownloadArgs),
    /// Puts a deletion, no-compact or no-downsample mark on blocks, or removes it (as
    /// Thanos' `tools bucket mark`).
    Mark(MarkArgs),
    /// The blocks' Parquet files: convert, list, inspect.
    #[command(subcommand)]
    Parquet(super::bucket_parquet::ParquetCommand),
    /// Serves the block viewer (blocks on a timeline per stream and resolution, marks,
    /// partial uploads) until SIGINT/SIGTERM.
    Web(Box<super::bucket_web::WebArgs>),
}

impl BucketCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<()> {
        runtime()?.block_on(async {
            match self {
                BucketCommand::Ls(a) => a.run().await,
                BucketCommand::Inspect(a) => a.run().await,
                BucketCommand::Upload(a) => a.run().await,
                BucketCommand::Verify(a) => a.run().await,
                BucketCommand::Download(a) => a.run().await,
                BucketCommand::Mark(a) => a.run().await,
                BucketCommand::Parquet(c) => c.run().await,
                BucketCommand::Web(a) => a.run().await,
            }
        })
    }
}

/// Opens the bucket and fetches its block list.
pub(super) async fn fetch(objstore: &ObjstoreArgs) -> anyhow::Result<(Bucket, BucketBlocks)> {
    let mut registry = Registry::default();
    let bucket = objstore.open_required(&mut registry)?;
    let fetcher = MetaFetcher::new(bucket.clone(), None, &mut registry);
    let blocks = fetcher.fetch().await?;
    Ok((bucket, blocks))
}

/// A duration in ms as `2h0m0s`-style text (Prometheus' short form: `2h`, `1h30m`, `20s`).
fn short_duration(ms: i64) -> String {
    let mut s = String::new();
    let mut secs = ms / 1000;
    for (unit, len) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= len {
            s.push_str(&format!("{}{unit}", secs / len));
            secs %= len;
        }
    }
    if s.is_empty() {
        format!("{ms}ms")
    } else {
        s
    }
}

fn labels_text(thanos: Option<&ThanosMeta>) -> String {
    let labels: Vec<String> = thanos
        .map(|t| t.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect())
        .unwrap_or_default();
    format!("{{{}}}", labels.join(","))
}

fn resolution_text(meta: &BlockMeta) -> String {
    match meta.resolution() {
        0 => "raw".to_string(),
        r => short_duration(r),
    }
}

/// A block's meta as the listing tools print it.
struct Described {
    from: String,
    until: String,
    range: String,
    resolution: String,
    level: u32,
    series: u64,
    samples: u64,
    chunks: u64,
    labels: String,
    source: String,
}

impl Described {
    fn of(meta: &BlockMeta) -> Self {
        Self {
            from: rfc3339(meta.min_time),
            until: rfc3339(meta.max_time),
            range: short_duration(meta.max_time - meta.min_time),
            resolution: resolution_text(meta),
            level: meta.compaction.level,
            series: meta.stats.num_series,
            samples: meta.stats.num_samples,
            chunks: meta.stats.num_chunks,
            labels: labels_text(meta.thanos.as_ref()),
            source: meta
                .thanos
                .as_ref()
                .map(|t| t.source.clone())
                .unwrap_or_default(),
        }
    }
}

/// `mnemos tools bucket ls`
#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Output format: `table` or `json` (one meta.json per line).
    #[arg(
        short = 'o',
        long = "output",
        env = "MNEMOS_OUTPUT",
        default_value = "table"
    )]
    output: String,
}

impl LsArgs {
    async fn run(self) -> anyhow::Result<()> {
        let (_bucket, blocks) = fetch(&self.objstore).await?;
        let json = match self.output.as_str() {
            "json" => true,
            "table" => false,
            other => bail!("--output must be table or json, not {other:?}"),
        };
        with_stdout(|out| {
            if !json {
                writeln!(
                    out,
                    "ULID\tFROM\tUNTIL\tRANGE\tRESOLUTION\tLEVEL\tSERIES\tSAMPLES\tCHUNKS\tSOURCE\tLABELS"
                )?;
            }
            for (id, meta) in blocks.live() {
                if json {
                    writeln!(out, "{}", serde_json::to_string(meta.as_ref())?)?;
                    continue;
                }
                let d = Described::of(meta);
                writeln!(
                    out,
                    "{id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    d.from,
                    d.until,
                    d.range,
                    d.resolution,
                    d.level,
                    d.series,
                    d.samples,
                    d.chunks,
                    d.source,
                    d.labels
                )?;
            }
            Ok(())
        })?;
        report_skipped(&blocks);
        Ok(())
    }
}

/// Tells on stderr which directories were not listed and why.
fn report_skipped(blocks: &BucketBlocks) {
    for id in &blocks.partial {
        eprintln!("skipped {id}: partial upload (no meta.json)");
    }
    for (id, reason) in &blocks.corrupted {
        eprintln!("skipped {id}: {reason}");
    }
    for id in &blocks.deletion_marked {
        eprintln!("skipped {id}: marked for deletion");
    }
}

/// `mnemos tools bucket inspect`
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Only these blocks (repeatable); default all.
    #[arg(long = "id", env = "MNEMOS_ID", value_delimiter = ',')]
    ids: Vec<Ulid>,
}

impl InspectArgs {
    async fn run(self) -> anyhow::Result<()> {
        let (bucket, blocks) = fetch(&self.objstore).await?;
        let mut states: BTreeMap<Ulid, String> = BTreeMap::new();
        for id in blocks.metas.keys() {
            let mut marks = Vec::new();
            if blocks.deletion_marked.contains(id) {
                marks.push("deletion-mark");
            }
            if blocks.no_compact_marked.contains(id) {
                marks.push("no-compact-mark");
            }
            if blocks.no_downsample_marked.contains(id) {
                marks.push("no-downsample-mark");
            }
            if blocks.parquet_converted.contains(id) {
                marks.push("parquet-converter-mark");
            }
            states.insert(
                *id,
                if marks.is_empty() {
                    "ok".into()
                } else {
                    marks.join(",")
                },
            );
        }
        for id in &blocks.partial {
            states.insert(*id, "partial upload (no meta.json)".into());
        }
        for (id, reason) in &blocks.corrupted {
            states.insert(*id, format!("unreadable meta.json: {reason}"));
        }
        let mut text = String::new();
        for (id, state) in states {
            if !self.ids.is_empty() && !self.ids.contains(&id) {
                continue;
            }
            text.push_str(&format!("block {id}\n  state: {state}\n"));
            if let Some(meta) = blocks.metas.get(&id) {
                let d = Described::of(meta);
                text.push_str(&format!(
                    "  time: {} .. {} ({})\n  resolution: {}\n  level: {}\n  stats: series={} samples={} chunks={}\n  labels: {}\n  source: {}\n",
                    d.from, d.until, d.range, d.resolution, d.level, d.series, d.samples, d.chunks, d.labels, d.source
                ));
            }
            for object in bucket.list_objects(&format!("{id}/")).await? {
                text.push_str(&format!("  file: {} {} bytes\n", object.key, object.size));
            }
        }
        with_stdout(|out| Ok(out.write_all(text.as_bytes())?))
    }
}

/// `mnemos tools bucket upload`
#[derive(Debug, Args)]
pub struct UploadArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// External labels of the block, `name=value` (repeatable); at least one.
    #[arg(
        long = "label",
        env = "MNEMOS_LABEL",
        value_delimiter = ',',
        required = true
    )]
    labels: Vec<String>,
    /// Value of `thanos.source` in the uploaded meta.json.
    #[arg(
        long = "source",
        env = "MNEMOS_SOURCE",
        default_value = "bucket.upload"
    )]
    source: String,
    /// A directory whose block directories are all uploaded (Thanos' `upload-blocks
    /// --path`); the default when no block directory is named is `./data`, as in Thanos.
    #[arg(long = "path", env = "MNEMOS_PATH")]
    path: Option<PathBuf>,
    /// Block directories to upload (besides those under `--path`).
    blocks: Vec<PathBuf>,
}

impl UploadArgs {
    async fn run(self) -> anyhow::Result<()> {
        let mut labels = BTreeMap::new();
        for pair in &self.labels {
            let Some((name, value)) = pair.split_once('=') else {
                bail!("--label {pair:?} is not name=value");
            };
            labels.insert(name.to_string(), value.trim_matches('"').to_string());
        }
        let mut dirs = self.blocks.clone();
        let path = match (&self.path, dirs.is_empty()) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => Some(PathBuf::from("./data")),
            (None, false) => None,
        };
        if let Some(path) = path {
            let found = mnemos_tsdb::block_set::block_dirs(&path)
                .with_context(|| format!("listing blocks in {}", path.display()))?;
            if found.is_empty() {
                bail!("{} holds no block directories", path.display());
            }
            dirs.extend(found);
        }
        let mut registry = Registry::default();
        let bucket = self.objstore.open_required(&mut registry)?;
        for dir in &dirs {
            let thanos = ThanosMeta {
                version: 1,
                labels: labels.clone(),
                source: self.source.clone(),
                ..ThanosMeta::default()
            };
            let meta = upload_block(&bucket, dir, thanos)
                .await
                .with_context(|| format!("uploading {}", dir.display()))?;
            println!("{}", meta.ulid);
        }
        Ok(())
    }
}

/// `mnemos tools bucket verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Only these blocks (repeatable); default all.
    #[arg(long = "id", env = "MNEMOS_ID", value_delimiter = ',')]
    ids: Vec<Ulid>,
}

impl VerifyArgs {
    async fn run(self) -> anyhow::Result<()> {
        let (bucket, blocks) = fetch(&self.objstore).await?;
        let mut bad = 0;
        let mut checked = 0;
        for id in blocks.metas.keys() {
            if !self.ids.is_empty() && !self.ids.contains(id) {
                continue;
            }
            checked += 1;
            let problems = verify_block(&bucket, *id).await?;
            if problems.is_empty() {
                println!("{id}: ok");
            } else {
                bad += 1;
                for p in problems {
                    println!("{id}: {p}");
                }
            }
        }
        for (id, reason) in &blocks.corrupted {
            bad += 1;
            println!("{id}: {reason}");
        }
        for id in &blocks.partial {
            println!("{id}: partial upload (no meta.json), not verified");
        }
        if bad > 0 {
            bail!(
                "{bad} of {} blocks have problems",
                checked + blocks.corrupted.len()
            );
        }
        Ok(())
    }
}

/// `mnemos tools bucket download`
#[derive(Debug, Args)]
pub struct DownloadArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Blocks to download (repeatable).
    #[arg(long = "id", env = "MNEMOS_ID", value_delimiter = ',', required = true)]
    ids: Vec<Ulid>,
    /// Directory to download into (created when missing).
    #[arg(long = "dir", env = "MNEMOS_DIR")]
    dir: PathBuf,
}

impl DownloadArgs {
    async fn run(self) -> anyhow::Result<()> {
        let mut registry = Registry::default();
        let bucket = self.objstore.open_required(&mut registry)?;
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        for id in &self.ids {
            let dir = mnemos_block::download_block(&bucket, *id, &self.dir).await?;
            println!("{}", dir.display());
        }
        Ok(())
    }
}

/// The kinds of mark `tools bucket mark` writes; Thanos' file names work too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Marker {
    /// `deletion-mark.json`: the compactor deletes the block after `--delete-delay`.
    #[value(name = "deletion", alias = "deletion-mark.json")]
    Deletion,
    /// `no-compact-mark.json`: the compactor leaves the block alone.
    #[value(name = "no-compact", alias = "no-compact-mark.json")]
    NoCompact,
    /// `no-downsample-mark.json`: the compactor does not downsample the block.
    #[value(name = "no-downsample", alias = "no-downsample-mark.json")]
    NoDownsample,
}

/// `mnemos tools bucket mark`
#[derive(Debug, Args)]
pub struct MarkArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Blocks to mark (repeatable).
    #[arg(long = "id", env = "MNEMOS_ID", value_delimiter = ',', required = true)]
    ids: Vec<Ulid>,
    /// The mark to write (or remove).
    #[arg(long = "marker", env = "MNEMOS_MARKER", value_enum)]
    marker: Marker,
    /// Why (written into the mark).
    #[arg(long = "details", env = "MNEMOS_DETAILS", default_value = "")]
    details: String,
    /// Remove the mark instead of writing it.
    #[arg(long = "remove", env = "MNEMOS_REMOVE")]
    remove: bool,
}

impl MarkArgs {
    async fn run(self) -> anyhow::Result<()> {
        let (bucket, blocks) = fetch(&self.objstore).await?;
        for id in &self.ids {
            if !blocks.metas.contains_key(id) {
                bail!("block {id} is not in the bucket (or has no readable meta.json)");
            }
        }
        for id in &self.ids {
            let id = *id;
            let details = self.details.clone();
            let done = match (self.marker, self.remove) {
                (Marker::Deletion, false) => {
                    write_mark(&bucket, id, &DeletionMark::now(id, details)).await?;
                    "marked for deletion"
                }
                (Marker::NoCompact, false) => {
                    write_mark(&bucket, id, &NoCompactMark::now(id, "manual", details)).await?;
                    "marked no-compact"
                }
                (Marker::NoDownsample, false) => {
                    let mark = NoDownsampleMark::now(id, "manual", details);
                    write_mark(&bucket, id, &mark).await?;
                    "marked no-downsample"
                }
                (marker, true) => {
                    let removed = match marker {
                        Marker::Deletion => remove_mark::<DeletionMark>(&bucket, id).await?,
                        Marker::NoCompact => remove_mark::<NoCompactMark>(&bucket, id).await?,
                        Marker::NoDownsample => {
                            remove_mark::<NoDownsampleMark>(&bucket, id).await?
                        }
                    };
                    if removed {
                        "mark removed"
                    } else {
                        "had no such mark"
                    }
                }
            };
            println!("{id}: {done}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations() {
        assert_eq!(short_duration(7_200_000), "2h");
        assert_eq!(short_duration(5_400_000), "1h30m");
        assert_eq!(short_duration(172_800_000), "2d");
        assert_eq!(short_duration(20_000), "20s");
        assert_eq!(short_duration(5), "5ms");
    }
}
