//! Downsampling of a whole local block into a new block of a coarser resolution: series by
//! series (memory holds one series), raw samples or aggregate chunks in, aggregate chunks out.

use std::path::Path;

use bytes::Bytes;
use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
use mnemos_tsdb::meta::BlockMeta;
use mnemos_tsdb::BlockWriter;
use tracing::info;

use mnemos_tsdb::chunkenc::aggr::is_histogram_aggr;
use mnemos_tsdb::chunkenc::Encoding;
use mnemos_tsdb::index::SeriesEntry;

use crate::aggr::{decode_aggr, decode_part, AggrType, AGGR_ENCODING};
use crate::downsample::{downsample_aggr, downsample_raw, AggrChunkData, AggrSeries};
use crate::downsample_histograms::{
    decode_histogram_aggr, downsample_histogram_aggregates, downsample_raw_histograms, Window,
};
use crate::error::{Error, Result};
use crate::merge::MergeStats;
use crate::source::{check_chunk_order, corrupt, read_chunk, Source};

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
        for (n, sid) in ids.into_iter().enumerate() {
            if n > 0 && n % PROGRESS_EVERY == 0 {
                info!(block = %source.id, series_done = n, series_total = total, "downsampling progress");
            }
            let entry = block
                .index()
                .series(sid)
                .map_err(|e| corrupt(source.id, &e))?;
            check_chunk_order(source.id, &entry)?;
            let chunks = if src.resolution() == 0 {
                raw_series(source, &entry, res, &mut stats)?
            } else {
                aggr_series(source, &entry, res, &mut stats)?
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

/// A chunk error in `entry` of `source`: the block is corrupt.
fn bad(source: &Source, entry: &SeriesEntry, e: Error) -> Error {
    Error::BadBlocks {
        blocks: vec![source.id],
        kind: crate::error::BadKind::Corrupt,
        detail: format!("series {}: {e}", entry.labels),
    }
}

/// Aggregate chunks of resolution `res` from a raw series. A series of one kind (floats or
/// native histograms, the usual case) is read once; one that changed kind is read again run
/// by run of consecutive chunks of one kind (Thanos downsamples each run on its own, so the
/// series keeps both).
fn raw_series(
    source: &Source,
    entry: &SeriesEntry,
    res: i64,
    stats: &mut MergeStats,
) -> Result<Vec<AggrChunkData>> {
    let (mut floats, mut histograms) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    // Downsamples `part` unless it mixes kinds (then says so).
    let mut downsample = |part: &SeriesEntry| -> Result<bool> {
        floats.clear();
        histograms.clear();
        source
            .block
            .read_all_samples(part, i64::MIN, i64::MAX, &mut floats, &mut histograms)
            .map_err(|e| corrupt(source.id, &e))?;
        if !floats.is_empty() && !histograms.is_empty() {
            return Ok(true);
        }
        stats.samples_in += (floats.len() + histograms.len()) as u64;
        out.extend(downsample_raw(&floats, res));
        out.extend(downsample_raw_histograms(&histograms, res).map_err(|e| bad(source, entry, e))?);
        Ok(false)
    };
    if !downsample(entry)? {
        return Ok(out);
    }
    let mut runs: Vec<(bool, Vec<ChunkMeta>)> = Vec::new();
    for c in &entry.chunks {
        let raw = read_chunk(&source.block, source.id, c)?;
        let histogram = raw.kind().is_some_and(|k| k != Encoding::Xor);
        match runs.last_mut() {
            Some((kind, run)) if *kind == histogram => run.push(*c),
            _ => runs.push((histogram, vec![*c])),
        }
    }
    for (_, chunks) in runs {
        downsample(&SeriesEntry {
            id: entry.id,
            labels: entry.labels.clone(),
            chunks,
        })?;
    }
    Ok(out)
}

/// Aggregate chunks of resolution `res` from a downsampled series (chunks other than
/// aggregate chunks are skipped), in one pass over its chunks: runs of float and of native
/// histogram aggregate chunks are downsampled each on its own.
fn aggr_series(
    source: &Source,
    entry: &SeriesEntry,
    res: i64,
    stats: &mut MergeStats,
) -> Result<Vec<AggrChunkData>> {
    let mut out = Vec::new();
    let mut floats = AggrSeries::default();
    let mut windows: Vec<Window> = Vec::new();
    let mut part = Vec::new();
    let mut flush = |floats: &mut AggrSeries, windows: &mut Vec<Window>| -> Result<()> {
        if !floats.count.is_empty() || !floats.counter_chunks.is_empty() {
            stats.samples_in += floats.count.len() as u64;
            out.extend(downsample_aggr(floats, res));
            *floats = AggrSeries::default();
        }
        if !windows.is_empty() {
            stats.samples_in += windows.len() as u64;
            out.extend(
                downsample_histogram_aggregates(windows, res).map_err(|e| bad(source, entry, e))?,
            );
            windows.clear();
        }
        Ok(())
    };
    for c in &entry.chunks {
        let raw = read_chunk(&source.block, source.id, c)?;
        if raw.encoding != AGGR_ENCODING {
            continue;
        }
        let parts = decode_aggr(&raw.data).map_err(|e| bad(source, entry, e))?;
        if is_histogram_aggr(&parts) {
            if !floats.count.is_empty() || !floats.counter_chunks.is_empty() {
                flush(&mut floats, &mut windows)?;
            }
            decode_histogram_aggr(&raw.data, &mut windows).map_err(|e| bad(source, entry, e))?;
            continue;
        }
        if !windows.is_empty() {
            flush(&mut floats, &mut windows)?;
        }
        for (p, dst) in [
            (AggrType::Count, &mut floats.count),
            (AggrType::Sum, &mut floats.sum),
            (AggrType::Min, &mut floats.min),
            (AggrType::Max, &mut floats.max),
        ] {
            decode_part(&raw.data, p, &mut part).map_err(|e| bad(source, entry, e))?;
            dst.extend_from_slice(&part);
        }
        decode_part(&raw.data, AggrType::Counter, &mut part).map_err(|e| bad(source, entry, e))?;
        floats.counter_chunks.push(part.clone());
    }
    flush(&mut floats, &mut windows)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::downsample::{RES_1H, RES_5M};
    use mnemos_tsdb::block_writer::symbols_of;
    use mnemos_tsdb::{Block, Labels};
    use ulid::Ulid;

    fn open(dir: &Path) -> Source {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let id = Ulid::from_string(name).expect("ulid dir");
        Source::open(id, dir, String::new()).expect("open")
    }

    /// Per series: (sum of counts, sum of sums, min, max, last counter value) over all chunks.
    fn totals(dir: &Path) -> Vec<(Labels, f64, f64, f64, f64, f64)> {
        let block = Block::open(dir).expect("open");
        let mut out = Vec::new();
        let mut part = Vec::new();
        for id in block.index().all_postings().expect("postings") {
            let s = block.index().series(id).expect("series");
            let mut t = (s.labels.clone(), 0.0, 0.0, f64::MAX, -f64::MAX, 0.0);
            let mut counters = Vec::new();
            for c in &s.chunks {
                let raw = block.chunks().chunk(c.chunk_ref).expect("chunk");
                assert_eq!(raw.encoding, AGGR_ENCODING);
                decode_part(&raw.data, AggrType::Count, &mut part).expect("count");
                t.1 += part.iter().map(|p| p.1).sum::<f64>();
                decode_part(&raw.data, AggrType::Sum, &mut part).expect("sum");
                t.2 += part.iter().map(|p| p.1).sum::<f64>();
                decode_part(&raw.data, AggrType::Min, &mut part).expect("min");
                t.3 = part.iter().map(|p| p.1).fold(t.3, f64::min);
                decode_part(&raw.data, AggrType::Max, &mut part).expect("max");
                t.4 = part.iter().map(|p| p.1).fold(t.4, f64::max);
                decode_part(&raw.data, AggrType::Counter, &mut part).expect("counter");
                counters.push(part.clone());
            }
            let (c, _) = crate::downsample::apply_counter_resets(&counters);
            t.5 = c.last().map_or(0.0, |s| s.1);
            out.push(t);
        }
        out
    }

    /// Finishes `w` as a raw block of `[0, max_time)` in `dir`, downsamples it to 5m and
    /// that to 1h in `dir/out`: the raw, 5m (with its stats) and 1h metas, and `dir/out`.
    fn downsample_twice(
        dir: &Path,
        w: BlockWriter,
        max_time: i64,
    ) -> (
        BlockMeta,
        BlockMeta,
        MergeStats,
        BlockMeta,
        std::path::PathBuf,
    ) {
        let meta = w
            .finish(BlockMeta::new(String::new(), 0, max_time))
            .expect("finish");
        let out = dir.join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let (five, stats) =
            downsample_block(&open(&dir.join(&meta.ulid)), RES_5M, &out).expect("5m");
        let (hour, _) = downsample_block(&open(&out.join(&five.ulid)), RES_1H, &out).expect("1h");
        (meta, five, stats, hour, out)
    }

    #[test]
    fn raw_to_5m_to_1h_keeps_totals() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let labels = [
            Labels::from_pairs([("__name__", "g"), ("i", "1")]),
            Labels::from_pairs([("__name__", "requests_total"), ("i", "2")]),
        ];
        let mut w = BlockWriter::create(tmp.path(), symbols_of(labels.iter())).expect("writer");
        // 11 days at 1-minute scrapes: integer-valued samples keep float sums exact.
        let n = 11 * 24 * 60;
        let gauge: Vec<(i64, f64)> = (0..n)
            .map(|i| (i * 60_000, ((i * 7) % 13) as f64 - 6.0))
            .collect();
        // A counter growing by 2 a minute, reset to 0 every 1,000 minutes.
        let counter: Vec<(i64, f64)> = (0..n)
            .map(|i| (i * 60_000, ((i % 1000) * 2) as f64))
            .collect();
        w.add_series(&labels[0], &gauge).expect("gauge");
        w.add_series(&labels[1], &counter).expect("counter");
        let (meta, five, stats, hour, out) = downsample_twice(tmp.path(), w, n * 60_000);
        assert_eq!(stats.samples_in, 2 * n as u64);
        assert_eq!(five.resolution(), RES_5M);
        assert_eq!((five.min_time, five.max_time), (0, n * 60_000));
        assert_eq!(five.compaction.parents[0].ulid, meta.ulid);
        assert_eq!(hour.resolution(), RES_1H);
        assert!(
            downsample_block(&open(&out.join(&five.ulid)), RES_5M, &out).is_err(),
            "not finer"
        );

        // Raw totals: the counter's increase counts each reset's new value.
        let increase: f64 = counter
            .windows(2)
            .map(|w| {
                if w[1].1 >= w[0].1 {
                    w[1].1 - w[0].1
                } else {
                    w[1].1
                }
            })
            .sum::<f64>()
            + counter[0].1;
        let want = vec![
            (
                labels[0].clone(),
                n as f64,
                gauge.iter().map(|s| s.1).sum::<f64>(),
                -6.0,
                6.0,
            ),
            (
                labels[1].clone(),
                n as f64,
                counter.iter().map(|s| s.1).sum::<f64>(),
                0.0,
                1998.0,
            ),
        ];
        for dir in [out.join(&five.ulid), out.join(&hour.ulid)] {
            let got = totals(&dir);
            assert_eq!(got.len(), 2);
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(
                    (&g.0, g.1, g.2, g.3, g.4),
                    (&w.0, w.1, w.2, w.3, w.4),
                    "{}",
                    dir.display()
                );
            }
            assert_eq!(got[1].5, increase, "counter total in {}", dir.display());
        }
        // 1h windows: 11 days × 24 per series, in chunks of at most 120 windows.
        assert_eq!(hour.stats.num_samples, 2 * 11 * 24);
        assert_eq!(hour.stats.num_chunks, 2 * (264_u64.div_ceil(120)));
    }

    /// An integer counter histogram scraped every minute: two buckets growing by k and 2k
    /// observations, reset every 500 scrapes.
    fn histogram_samples(n: i64, from: i64) -> Vec<(i64, mnemos_tsdb::histogram::Histogram)> {
        (from..n)
            .map(|i| {
                let k = (i % 500) as u64;
                let h = mnemos_tsdb::histogram::Histogram {
                    schema: 0,
                    zero_threshold: 0.001,
                    count: 3 * k,
                    sum: 5.0 * k as f64,
                    positive_spans: vec![mnemos_tsdb::histogram::Span::new(1, 2)],
                    positive_buckets: vec![k as i64, k as i64],
                    ..Default::default()
                };
                (i * 60_000, h)
            })
            .collect()
    }

    #[test]
    fn native_histogram_series_downsample_in_thanos_format() {
        use crate::histograms::HistogramSample;
        use mnemos_tsdb::chunkenc::aggr::is_histogram_aggr;
        let tmp = tempfile::tempdir().expect("tempdir");
        let labels = [
            Labels::from_pairs([("__name__", "h"), ("i", "1")]),
            Labels::from_pairs([("__name__", "mixed"), ("i", "2")]),
        ];
        let mut w = BlockWriter::create(tmp.path(), symbols_of(labels.iter())).expect("writer");
        // Two days at one scrape a minute.
        let n = 2 * 24 * 60;
        let hist = histogram_samples(n, 0);
        let chunks = HistogramSample::encode(&hist).expect("encode");
        w.add_series_chunks(&labels[0], &chunks, n as u64)
            .expect("h");
        // A series that was a float counter for its first day, then a histogram.
        let floats: Vec<(i64, f64)> = (0..n / 2).map(|i| (i * 60_000, i as f64)).collect();
        let mut mixed: Vec<_> = floats
            .chunks(120)
            .map(|c| {
                (
                    ChunkMeta {
                        min_time: c[0].0,
                        max_time: c[c.len() - 1].0,
                        chunk_ref: 0,
                    },
                    RawChunk {
                        encoding: mnemos_tsdb::chunkenc::Encoding::Xor.as_byte(),
                        data: Bytes::from(mnemos_tsdb::chunkenc::encode_xor(c)),
                    },
                )
            })
            .collect();
        mixed.extend(HistogramSample::encode(&histogram_samples(n, n / 2)).expect("encode"));
        w.add_series_chunks(&labels[1], &mixed, n as u64)
            .expect("mixed");
        let (_, five, stats, hour, out) = downsample_twice(tmp.path(), w, n * 60_000);
        assert_eq!(stats.samples_in, 2 * n as u64);
        for (dir, windows) in [(&five.ulid, n / 5), (&hour.ulid, n / 60)] {
            let block = Block::open(&out.join(dir)).expect("open");
            let mut kinds = Vec::new();
            for id in block.index().all_postings().expect("postings") {
                let s = block.index().series(id).expect("series");
                let mut inputs = Vec::new();
                let mut float_windows = 0;
                let mut last_max = i64::MIN;
                let mut series_kinds = Vec::new();
                for c in &s.chunks {
                    assert!(c.min_time > last_max, "{}: chunks overlap", s.labels);
                    last_max = c.max_time;
                    let raw = block.chunks().chunk(c.chunk_ref).expect("chunk");
                    assert_eq!(raw.encoding, AGGR_ENCODING);
                    let histogram = is_histogram_aggr(&decode_aggr(&raw.data).expect("parts"));
                    series_kinds.push(histogram);
                    if histogram {
                        decode_histogram_aggr(&raw.data, &mut inputs).expect("decode");
                    } else {
                        let mut part = Vec::new();
                        decode_part(&raw.data, AggrType::Count, &mut part).expect("count");
                        float_windows += part.len() as i64;
                    }
                }
                series_kinds.dedup();
                kinds.push(series_kinds);
                // Every raw sample counted once, in whole windows.
                let counted: f64 = inputs.iter().map(|i| i.count).sum();
                let want = if s.labels == labels[0] { n } else { n / 2 };
                assert_eq!(counted, want as f64, "{} in {dir}", s.labels);
                assert_eq!(inputs.len() as i64 + float_windows, windows, "{}", s.labels);
                // The counter at the end: every reset's new value counted (scrape 500
                // and 1000 restart at 0; the count grows by 3 a scrape otherwise).
                let last = inputs.last().expect("windows");
                let first = if s.labels == labels[0] { 0 } else { n / 2 };
                let increase: f64 = (first + 1..n)
                    .map(|i| if i % 500 == 0 { 0.0 } else { 3.0 })
                    .sum::<f64>()
                    + 3.0 * (first % 500) as f64;
                assert_eq!(last.counter.count, increase, "{} in {dir}", s.labels);
            }
            // The histogram series: histogram aggregates only; the mixed one: floats first.
            assert_eq!(kinds, vec![vec![true], vec![false, true]], "{dir}");
        }
    }
}
