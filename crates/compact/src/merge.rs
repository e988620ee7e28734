//! Compaction of local blocks into one: series merged across blocks in label order (k-way),
//! samples merged by timestamp with tombstones applied and re-chunked by the tsdb writer;
//! identical samples of overlapping blocks collapse, replicas are merged with the
//! deduplication function (`mnemos_dedup`, the querier's), conflicting samples make the blocks un-compactable. Memory holds one series.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use mnemos_dedup::DedupFunc;
use mnemos_tsdb::block_set::SeriesParts;
use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
use mnemos_tsdb::histogram::{FloatHistogram, Histogram};
use mnemos_tsdb::index::SeriesEntry;
use mnemos_tsdb::labels::METRIC_NAME;
use mnemos_tsdb::meta::BlockMeta;
use mnemos_tsdb::{Block, BlockSet, BlockWriter, Labels};
use tracing::info;
use ulid::Ulid;

use crate::aggr::{decode_aggr, AGGR_ENCODING};
use crate::error::{BadKind, Error, Result};
use crate::histograms::{self, series_kind, SeriesKind};
use crate::rechunk::copy_or_rechunk;
use crate::source::{check_chunk_order, corrupt, read_chunk, union_symbols, Source};

/// Series between two progress log lines.
const PROGRESS_EVERY: usize = 100_000;

/// Counts of one compaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeStats {
    /// Samples read from the sources (after tombstones).
    pub samples_in: u64,
    /// Samples written.
    pub samples_out: u64,
    /// Series written.
    pub series: u64,
}

/// Whether samples of a metric are a counter, for replica merging: Prometheus' naming
/// conventions (`_total`, and the `_count`/`_sum`/`_bucket` series of summaries and
/// histograms) are all a block tells.
pub fn is_counter(labels: &Labels) -> bool {
    labels.get(METRIC_NAME).is_some_and(|n| {
        n.ends_with("_total")
            || n.ends_with("_count")
            || n.ends_with("_sum")
            || n.ends_with("_bucket")
    })
}

/// Compacts `sources` into a new block under `out_parent`. `meta` gives the time range,
/// compaction fields and `thanos` section; `dedup` merges series of different replicas with
/// that function instead of requiring identical samples.
pub fn compact_blocks(
    sources: Vec<Source>,
    out_parent: &Path,
    meta: BlockMeta,
    dedup: Option<DedupFunc>,
) -> Result<(BlockMeta, MergeStats)> {
    let replica_of: HashMap<String, (Ulid, String)> = sources
        .iter()
        .map(|s| (s.block.meta().ulid.clone(), (s.id, s.replica.clone())))
        .collect();
    let downsampled = meta.resolution() > 0;
    let symbols = union_symbols(sources.iter().map(|s| &s.block));
    let set = BlockSet::from_blocks(sources.into_iter().map(|s| s.block).collect());
    let mut writer = BlockWriter::create(out_parent, symbols)?;
    let mut stats = MergeStats::default();
    let result = (|| -> Result<()> {
        let merged = set
            .select(&[], i64::MIN, i64::MAX)
            .map_err(|e| attribute(&e, &replica_of))?;
        for (n, parts) in merged.enumerate() {
            let parts = parts.map_err(|e| attribute(&e, &replica_of))?;
            if n > 0 && n % PROGRESS_EVERY == 0 {
                info!(
                    series_done = n,
                    samples = stats.samples_out,
                    "compaction progress"
                );
            }
            if downsampled {
                copy_aggr_series(&parts, &replica_of, &mut writer, &mut stats)?;
            } else {
                merge_raw_series(&parts, &replica_of, dedup, &mut writer, &mut stats)?;
            }
            stats.series += 1;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = writer.abort();
        return Err(e);
    }
    Ok((writer.finish(meta)?, stats))
}

/// Which source block a tsdb error comes from (by the file path it names).
fn attribute(e: &mnemos_tsdb::Error, replica_of: &HashMap<String, (Ulid, String)>) -> Error {
    let text = e.to_string();
    for (ulid, (id, _)) in replica_of {
        if text.contains(ulid.as_str()) {
            return corrupt(*id, e);
        }
    }
    Error::Chunk(text)
}

fn source_id(block: &Block, replica_of: &HashMap<String, (Ulid, String)>) -> Ulid {
    replica_of
        .get(&block.meta().ulid)
        .map(|(id, _)| *id)
        .unwrap_or_default()
}

fn read_part(
    block: &Block,
    entry: &SeriesEntry,
    replica_of: &HashMap<String, (Ulid, String)>,
    out: &mut Vec<(i64, f64)>,
) -> Result<()> {
    let id = source_id(block, replica_of);
    check_chunk_order(id, entry)?;
    block
        .read_samples(entry, i64::MIN, i64::MAX, out)
        .map_err(|e| corrupt(id, &e))
}

fn merge_raw_series(
    parts: &SeriesParts<'_>,
    replica_of: &HashMap<String, (Ulid, String)>,
    dedup: Option<DedupFunc>,
    writer: &mut BlockWriter,
    stats: &mut MergeStats,
) -> Result<()> {
    let replicas: std::collections::BTreeSet<&str> = parts
        .parts
        .iter()
        .filter_map(|(b, _)| replica_of.get(&b.meta().ulid).map(|(_, r)| r.as_str()))
        .collect();
    if dedup.is_none() || replicas.len() <= 1 {
        let fast = copy_or_rechunk(&parts.parts, |b| source_id(b, replica_of))?;
        if let Some((chunks, n)) = fast {
            stats.samples_in += n;
            stats.samples_out += n;
            writer.add_series_chunks(&parts.labels, &chunks, n)?;
            return Ok(());
        }
    }
    let kind = series_kind(&parts.parts, |b| source_id(b, replica_of))?;
    if kind != SeriesKind::Floats {
        let of = |b: &Block| replica_of.get(&b.meta().ulid).cloned().unwrap_or_default();
        let ((chunks, n), samples_in) = match kind {
            SeriesKind::Histograms => {
                histograms::merge_series::<Histogram>(&parts.labels, &parts.parts, of, dedup)?
            }
            _ => {
                histograms::merge_series::<FloatHistogram>(&parts.labels, &parts.parts, of, dedup)?
            }
        };
        stats.samples_in += samples_in;
        stats.samples_out += n;
        writer.add_series_chunks(&parts.labels, &chunks, n)?;
        return Ok(());
    }
    let samples = if let [(block, entry)] = parts.parts.as_slice() {
        let mut out = Vec::new();
        read_part(block, entry, replica_of, &mut out)?;
        stats.samples_in += out.len() as u64;
        out
    } else {
        // Parts by replica (one replica when not deduplicating).
        let mut by_replica: BTreeMap<&str, Vec<(&Block, &SeriesEntry)>> = BTreeMap::new();
        for (block, entry) in &parts.parts {
            let replica = match replica_of.get(&block.meta().ulid) {
                Some((_, r)) if dedup.is_some() => r.as_str(),
                _ => "",
            };
            by_replica.entry(replica).or_default().push((block, entry));
        }
        let mut replicas = Vec::with_capacity(by_replica.len());
        for group in by_replica.values() {
            replicas.push(merge_same_stream(&parts.labels, group, replica_of, stats)?);
        }
        match (replicas.len(), dedup) {
            (1, _) | (_, None) => replicas.pop().unwrap_or_default(),
            (_, Some(func)) => {
                let slices: Vec<&[(i64, f64)]> = replicas.iter().map(Vec::as_slice).collect();
                mnemos_dedup::merge(func, &slices, is_counter(&parts.labels))
            }
        }
    };
    stats.samples_out += samples.len() as u64;
    writer.add_series(&parts.labels, &samples)?;
    Ok(())
}

/// Merges parts of one stream: identical samples at one timestamp collapse; different
/// values at one timestamp are an overlap that cannot be resolved.
fn merge_same_stream(
    labels: &Labels,
    group: &[(&Block, &SeriesEntry)],
    replica_of: &HashMap<String, (Ulid, String)>,
    stats: &mut MergeStats,
) -> Result<Vec<(i64, f64)>> {
    let mut parts: Vec<Vec<(i64, f64)>> = Vec::with_capacity(group.len());
    for (block, entry) in group {
        let mut buf = Vec::new();
        read_part(block, entry, replica_of, &mut buf)?;
        stats.samples_in += buf.len() as u64;
        parts.push(buf);
    }
    // The usual case, adjacent blocks: parts in time order without overlap.
    let mut order: Vec<usize> = (0..parts.len()).filter(|&i| !parts[i].is_empty()).collect();
    order.sort_by_key(|&i| parts[i][0].0);
    if order
        .windows(2)
        .all(|w| parts[w[0]][parts[w[0]].len() - 1].0 < parts[w[1]][0].0)
    {
        let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for i in order {
            out.extend_from_slice(&parts[i]);
        }
        return Ok(out);
    }
    let mut tagged: Vec<(i64, u64, usize)> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        tagged.extend(p.iter().map(|&(t, v)| (t, v.to_bits(), i)));
    }
    // Parts are mostly disjoint and each sorted: a stable sort is cheap.
    tagged.sort_by_key(|s| s.0);
    let mut out: Vec<(i64, f64)> = Vec::with_capacity(tagged.len());
    let mut last: Option<(i64, u64, usize)> = None;
    for s in tagged {
        if let Some(prev) = last.filter(|p| p.0 == s.0) {
            if prev.1 != s.1 {
                let ids = vec![
                    source_id(group[prev.2].0, replica_of),
                    source_id(group[s.2].0, replica_of),
                ];
                return Err(Error::BadBlocks {
                    blocks: ids,
                    kind: BadKind::UnresolvableOverlap,
                    detail: format!(
                        "series {labels} has values {} and {} at {}",
                        f64::from_bits(prev.1),
                        f64::from_bits(s.1),
                        s.0
                    ),
                });
            }
            continue;
        }
        out.push((s.0, f64::from_bits(s.1)));
        last = Some(s);
    }
    Ok(out)
}

/// Copies the aggregate chunks of a downsampled series; identical chunks of overlapping
/// blocks collapse, other overlaps cannot be resolved.
fn copy_aggr_series(
    parts: &SeriesParts<'_>,
    replica_of: &HashMap<String, (Ulid, String)>,
    writer: &mut BlockWriter,
    stats: &mut MergeStats,
) -> Result<()> {
    let mut chunks: Vec<(ChunkMeta, RawChunk, Ulid)> = Vec::new();
    for (block, entry) in &parts.parts {
        let id = source_id(block, replica_of);
        check_chunk_order(id, entry)?;
        for c in &entry.chunks {
            let raw = read_chunk(block, id, c)?;
            chunks.push((*c, raw, id));
        }
    }
    chunks.sort_by_key(|(c, _, _)| (c.min_time, c.max_time));
    chunks.dedup_by(|b, a| {
        a.0.min_time == b.0.min_time && a.0.max_time == b.0.max_time && a.1 == b.1
    });
    let mut samples = 0u64;
    for w in chunks.windows(2) {
        if w[1].0.min_time <= w[0].0.max_time {
            return Err(Error::BadBlocks {
                blocks: vec![w[0].2, w[1].2],
                kind: BadKind::UnresolvableOverlap,
                detail: format!(
                    "series {}: downsampled chunks [{}, {}] and [{}, {}] overlap",
                    parts.labels,
                    w[0].0.min_time,
                    w[0].0.max_time,
                    w[1].0.min_time,
                    w[1].0.max_time
                ),
            });
        }
    }
    let out: Vec<(ChunkMeta, RawChunk)> = chunks
        .into_iter()
        .map(|(c, raw, _)| {
            samples += aggr_windows(&raw);
            (c, raw)
        })
        .collect();
    stats.samples_in += samples;
    stats.samples_out += samples;
    writer.add_series_chunks(&parts.labels, &out, samples)?;
    Ok(())
}

/// Windows in an aggregate chunk (samples of its count part), for block stats.
pub fn aggr_windows(raw: &RawChunk) -> u64 {
    if raw.encoding != AGGR_ENCODING {
        return 0;
    }
    match decode_aggr(&raw.data) {
        Ok(parts) => parts[0]
            .and_then(|p| p.data.get(..2))
            .map_or(0, |h| u64::from(u16::from_be_bytes([h[0], h[1]]))),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::block_writer::symbols_of;
    use mnemos_tsdb::tombstones::{Interval, Tombstones};

    type Series = (Labels, Vec<(i64, f64)>);

    fn write(parent: &Path, series: &[Series]) -> (Ulid, std::path::PathBuf) {
        let labels: Vec<&Labels> = series.iter().map(|s| &s.0).collect();
        let mut w =
            BlockWriter::create(parent, symbols_of(labels.iter().copied())).expect("writer");
        let (mut min, mut max) = (i64::MAX, i64::MIN);
        for (l, s) in series {
            w.add_series(l, s).expect("add");
            min = min.min(s[0].0);
            max = max.max(s[s.len() - 1].0 + 1);
        }
        let meta = w
            .finish(BlockMeta::new(String::new(), min, max))
            .expect("finish");
        let id = Ulid::from_string(&meta.ulid).expect("ulid");
        (id, parent.join(&meta.ulid))
    }

    fn read_all(dir: &Path) -> Vec<Series> {
        let set = BlockSet::open(dir).expect("open");
        set.select(&[], i64::MIN, i64::MAX)
            .expect("select")
            .map(|p| {
                let p = p.expect("series");
                let s = p.samples(i64::MIN, i64::MAX).expect("samples");
                (p.labels, s)
            })
            .collect()
    }

    fn l(name: &str, v: &str) -> Labels {
        Labels::from_pairs([("__name__", name), ("i", v)])
    }

    fn run(
        dir: &Path,
        blocks: &[(Ulid, std::path::PathBuf, &str)],
        dedup: Option<DedupFunc>,
    ) -> Result<(BlockMeta, MergeStats)> {
        let sources = blocks
            .iter()
            .map(|(id, d, r)| Source::open(*id, d, r.to_string()).expect("open"))
            .collect();
        let out = dir.join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        compact_blocks(
            sources,
            &out,
            BlockMeta::new(String::new(), 0, 1_000_000),
            dedup,
        )
    }

    #[test]
    fn merges_series_collapses_identical_overlaps_applies_tombstones() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a: Vec<(i64, f64)> = (0..300).map(|i| (i * 1000, i as f64)).collect();
        let (ida, da) = write(
            tmp.path(),
            &[(l("m", "1"), a[..200].to_vec()), (l("m", "2"), a.clone())],
        );
        // Overlaps the first block's m{i="1"} with identical samples, and adds a series.
        let (idb, db) = write(
            tmp.path(),
            &[(l("m", "1"), a[150..].to_vec()), (l("m", "3"), a.clone())],
        );
        // Delete [10s, 19s] of m{i="2"} in block a.
        let block = mnemos_tsdb::Block::open(&da).expect("open");
        let sid = block
            .select(&[mnemos_tsdb::Matcher::equal("i", "2")])
            .expect("select")[0];
        let mut t = Tombstones::new();
        t.add(
            u64::from(sid),
            Interval {
                min_time: 10_000,
                max_time: 19_000,
            },
        );
        t.write_to_dir(&da).expect("tombstones");
        let (meta, stats) =
            run(tmp.path(), &[(ida, da, ""), (idb, db, "")], None).expect("compact");
        let got = read_all(&tmp.path().join("out").join(&meta.ulid));
        let want_2: Vec<(i64, f64)> = a
            .iter()
            .copied()
            .filter(|s| !(10_000..=19_000).contains(&s.0))
            .collect();
        assert_eq!(
            got,
            vec![
                (l("m", "1"), a.clone()),
                (l("m", "2"), want_2),
                (l("m", "3"), a.clone())
            ]
        );
        assert_eq!(stats.samples_out, 300 + 290 + 300);
        assert_eq!(meta.stats.num_samples, 890);
        // Re-chunked at 120 samples: 3 + 3 + 3 chunks.
        assert_eq!(meta.stats.num_chunks, 9);
        assert_eq!(meta.stats.num_tombstones, 0);
    }

    #[test]
    fn conflicting_overlap_names_both_blocks() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (ida, da) = write(tmp.path(), &[(l("m", "1"), vec![(0, 1.0), (1000, 2.0)])]);
        let (idb, db) = write(tmp.path(), &[(l("m", "1"), vec![(1000, 2.5), (2000, 3.0)])]);
        match run(tmp.path(), &[(ida, da, ""), (idb, db, "")], None) {
            Err(Error::BadBlocks {
                blocks,
                kind,
                detail,
            }) => {
                assert_eq!(kind, BadKind::UnresolvableOverlap);
                let want: std::collections::BTreeSet<Ulid> = [ida, idb].into();
                assert_eq!(
                    blocks
                        .into_iter()
                        .collect::<std::collections::BTreeSet<_>>(),
                    want
                );
                assert!(
                    detail.contains("2.5") && detail.contains("1000"),
                    "{detail}"
                );
            }
            other => panic!("want a conflict, got {:?}", other.map(|r| r.1)),
        }
        // No half-written block is left behind.
        let left: Vec<_> = std::fs::read_dir(tmp.path().join("out"))
            .expect("ls")
            .collect();
        assert!(left.is_empty());
    }

    #[test]
    fn replicas_are_merged_with_the_penalty_algorithm() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // DESIGN.md section 6, first vector: replica a has a gap that b fills.
        let (ida, da) = write(
            tmp.path(),
            &[(
                l("m", "1"),
                vec![(10_000, 1.0), (20_000, 2.0), (200_000, 5.0), (210_000, 6.0)],
            )],
        );
        let (idb, db) = write(
            tmp.path(),
            &[(l("m", "1"), vec![(60_000, 3.0), (70_000, 4.0)])],
        );
        let (meta, _) = run(
            tmp.path(),
            &[(ida, da, "a"), (idb, db, "b")],
            Some(DedupFunc::Penalty),
        )
        .expect("compact");
        let got = read_all(&tmp.path().join("out").join(&meta.ulid));
        let want = vec![
            (10_000, 1.0),
            (20_000, 2.0),
            (60_000, 3.0),
            (70_000, 4.0),
            (200_000, 5.0),
            (210_000, 6.0),
        ];
        assert_eq!(got, vec![(l("m", "1"), want)]);
    }

    #[test]
    fn chain_keeps_every_timestamp_of_every_replica() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // Replicas 3 s apart: penalty follows one, chain interleaves both.
        let a: Vec<(i64, f64)> = (0..10).map(|i| (i * 15_000, i as f64)).collect();
        let b: Vec<(i64, f64)> = (0..10).map(|i| (3_000 + i * 15_000, i as f64)).collect();
        let (ida, da) = write(tmp.path(), &[(l("m", "1"), a.clone())]);
        let (idb, db) = write(tmp.path(), &[(l("m", "1"), b.clone())]);
        let blocks = [(ida, da, "a"), (idb, db, "b")];
        let out = tmp.path().join("out");
        let (meta, _) = run(tmp.path(), &blocks, Some(DedupFunc::Chain)).expect("chain");
        let mut want = [a.clone(), b.clone()].concat();
        want.sort_by_key(|s| s.0);
        assert_eq!(read_all(&out.join(&meta.ulid)), vec![(l("m", "1"), want)]);
        std::fs::remove_dir_all(out.join(&meta.ulid)).expect("rm");
        // Penalty follows a, and b's last sample after a's end.
        let (meta, _) = run(tmp.path(), &blocks, Some(DedupFunc::Penalty)).expect("penalty");
        let want = [a, vec![(138_000, 9.0)]].concat();
        assert_eq!(read_all(&out.join(&meta.ulid)), vec![(l("m", "1"), want)]);
    }

    #[test]
    fn counters_by_name() {
        assert!(is_counter(&l("http_requests_total", "1")));
        assert!(is_counter(&l("rpc_duration_seconds_count", "1")));
        assert!(!is_counter(&l("temperature", "1")));
    }
}
