//! Downsampling of a whole local block into a new block of a coarser resolution: series by
//! series (memory holds one series), raw samples or aggregate chunks in, aggregate chunks out.

use std::path::Path;

use bytes::Bytes;
use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
use mnemos_tsdb::meta::BlockMeta;
use mnemos_tsdb::BlockWriter;
use tracing::info;

use crate::aggr::{decode_part, AggrType, AGGR_ENCODING};
use crate::downsample::{downsample_aggr, downsample_raw, AggrChunkData, AggrSeries};
use crate::error::{Error, Result};
use crate::merge::MergeStats;
use crate::source::{check_chunk_order, corrupt, Source};

/// Series between two progress log lines.
const PROGRESS_EVERY: usize = 100_000;

/// Downsamples `source` to resolution `res` into a new block under `out_parent`; the new
/// block keeps the time range, level, sources and labels, with `source`'s block as parent.
pub fn downsample_block(
    source: &Source,
    res: i64,
    out_parent: &Path,
) -> Result<(BlockMeta, MergeStats)> {
    let block = &source.block;
    let src = block.meta();
    if src.resolution() >= res {
        return Err(Error::Config(format!(
            "block {} has resolution {}, not finer than {res}",
            source.id,
            src.resolution()
        )));
    }
    let symbols: Vec<String> = block.index().symbols().iter().map(str::to_string).collect();
    let mut writer = BlockWriter::create(out_parent, symbols)?;
    let mut stats = MergeStats::default();
    let result = (|| -> Result<()> {
        let ids = block
            .index()
            .all_postings()
            .map_err(|e| corrupt(source.id, &e))?;
        let total = ids.len();
        let mut samples = Vec::new();
        let mut part = Vec::new();
        for (n, sid) in ids.into_iter().enumerate() {
            if n > 0 && n % PROGRESS_EVERY == 0 {
                info!(block = %source.id, series_done = n, series_total = total, "downsampling progress");
            }
            let entry = block
                .index()
                .series(sid)
                .map_err(|e| corrupt(source.id, &e))?;
            check_chunk_order(source.id, &entry)?;
            let chunks: Vec<AggrChunkData> = if src.resolution() == 0 {
                samples.clear();
                block
                    .read_samples(&entry, i64::MIN, i64::MAX, &mut samples)
                    .map_err(|e| corrupt(source.id, &e))?;
                stats.samples_in += samples.len() as u64;
                downsample_raw(&samples, res)
            } else {
                let mut series = AggrSeries::default();
                for c in &entry.chunks {
                    let raw = block
                        .chunks()
                        .chunk(c.chunk_ref)
                        .map_err(|e| corrupt(source.id, &e))?;
                    if raw.encoding != AGGR_ENCODING {
                        continue;
                    }
                    let bad = |e: Error| Error::BadBlocks {
                        blocks: vec![source.id],
                        kind: crate::error::BadKind::Corrupt,
                        detail: format!("series {}: {e}", entry.labels),
                    };
                    for (p, dst) in [
                        (AggrType::Count, &mut series.count),
                        (AggrType::Sum, &mut series.sum),
                        (AggrType::Min, &mut series.min),
                        (AggrType::Max, &mut series.max),
                    ] {
                        decode_part(&raw.data, p, &mut part).map_err(bad)?;
                        dst.extend_from_slice(&part);
                    }
                    decode_part(&raw.data, AggrType::Counter, &mut part).map_err(bad)?;
                    series.counter_chunks.push(part.clone());
                }
                stats.samples_in += series.count.len() as u64;
                downsample_aggr(&series, res)
            };
            let mut windows = 0u64;
            let out: Vec<(ChunkMeta, RawChunk)> = chunks
                .into_iter()
                .map(|(min_time, max_time, data)| {
                    let raw = RawChunk {
                        encoding: AGGR_ENCODING,
                        data: Bytes::from(data),
                    };
                    windows += crate::merge::aggr_windows(&raw);
                    (
                        ChunkMeta {
                            min_time,
                            max_time,
                            chunk_ref: 0,
                        },
                        raw,
                    )
                })
                .collect();
            if !out.is_empty() {
                stats.series += 1;
            }
            stats.samples_out += windows;
            writer.add_series_chunks(&entry.labels, &out, windows)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = writer.abort();
        return Err(e);
    }
    let mut meta = BlockMeta::new(String::new(), src.min_time, src.max_time);
    meta.compaction.level = src.compaction.level;
    meta.compaction.sources = src.compaction.sources.clone();
    meta.compaction.parents = vec![src.desc()];
    let mut thanos = src.thanos.clone().unwrap_or_default();
    thanos.downsample.resolution = res;
    thanos.source = "compactor".into();
    thanos.files.clear();
    thanos.segment_files.clear();
    meta.thanos = Some(thanos);
    Ok((writer.finish(meta)?, stats))
}
