//! One series' chunks, gathered from every endpoint, as samples: identical chunks dropped,
//! the right aggregate picked from downsampled chunks (DESIGN.md section 7), overlapping
//! sources (HA replicas, or a sidecar and a store gateway holding the same block) split
//! apart and merged: with the deduplication function when deduplicating (DESIGN.md
//! section 6), by timestamp (the chain merge) otherwise.

use std::collections::HashSet;

use mnemos_dedup::DedupFunc;
use mnemos_storeapi::thanos::{self, chunk::Encoding, Aggr, AggrChunk};
use mnemos_tsdb::chunkenc::{self, XorIter};
use mnemos_tsdb::histogram::FloatHistogram;
use mnemos_tsdb::Labels;

use crate::{Error, Result};

/// The functions whose input is a counter: deduplication adjusts replica switches and
/// downsampled data is read from the counter aggregate.
pub fn is_counter_func(func: Option<&str>) -> bool {
    matches!(func, Some("rate" | "increase" | "irate" | "resets"))
}

/// The aggregates to read from downsampled blocks for the input of `func` (DESIGN.md
/// section 7): counter for rate/increase/irate/resets, min/max/count/sum for the matching
/// `_over_time` function, sum and count (their ratio, the window's average) otherwise.
pub fn aggregates_for(func: Option<&str>) -> Vec<Aggr> {
    match func {
        f if is_counter_func(f) => vec![Aggr::Counter],
        Some("min_over_time") => vec![Aggr::Min],
        Some("max_over_time") => vec![Aggr::Max],
        Some("count_over_time") => vec![Aggr::Count],
        Some("sum_over_time") => vec![Aggr::Sum],
        _ => vec![Aggr::Count, Aggr::Sum],
    }
}

/// How a series' sources are merged.
#[derive(Clone, Copy, Debug)]
pub struct MergeMode {
    /// Merge overlapping sources with `func` (HA deduplication); otherwise by timestamp.
    pub dedup: bool,
    /// The deduplication function (`--deduplication.func`).
    pub func: DedupFunc,
    /// Adjust counter values on replica switches.
    pub counter: bool,
}

/// One series' samples: floats, and native histograms (integer ones as float histograms,
/// as Prometheus' chunk iterator reads them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    /// `(t ms, value)` in time order.
    pub floats: Vec<(i64, f64)>,
    /// `(t ms, histogram)` in time order.
    pub histograms: Vec<(i64, FloatHistogram)>,
}

/// The samples of one series from its chunks, within `[mint, maxt]`.
pub fn samples(
    labels: &Labels,
    chunks: Vec<AggrChunk>,
    aggregates: &[Aggr],
    mint: i64,
    maxt: i64,
    mode: MergeMode,
) -> Result<Samples> {
    let chunk_err = |reason: String| Error::Chunk {
        series: labels.to_string(),
        reason,
    };
    let mut seen = HashSet::new();
    let mut decoded: Vec<Run<f64>> = Vec::with_capacity(chunks.len());
    let mut histograms: Vec<Run<FloatHistogram>> = Vec::new();
    let counter_aggregate = aggregates == [Aggr::Counter];
    for c in chunks {
        if !seen.insert(identity(&c)) {
            continue;
        }
        if let Some(h) = decode_histograms(&c, aggregates).map_err(chunk_err)? {
            if !h.is_empty() {
                histograms.push(Run {
                    samples: h,
                    counter_aggregate: false,
                });
            }
            continue;
        }
        let samples = decode(&c, aggregates).map_err(chunk_err)?;
        if !samples.is_empty() {
            decoded.push(Run {
                samples,
                counter_aggregate: counter_aggregate && c.raw.is_none(),
            });
        }
    }
    let groups: Vec<Vec<(i64, f64)>> = split_overlapping(decoded)
        .into_iter()
        .map(flatten_group)
        .collect();
    let floats = match groups.len() {
        0 => Vec::new(),
        1 => groups.into_iter().next().unwrap_or_default(),
        _ => {
            let refs: Vec<&[(i64, f64)]> = groups.iter().map(Vec::as_slice).collect();
            if mode.dedup {
                mnemos_dedup::merge(mode.func, &refs, mode.counter)
            } else {
                mnemos_dedup::merge_chain(&refs)
            }
        }
    };
    let groups: Vec<Vec<(i64, FloatHistogram)>> = split_overlapping(histograms)
        .into_iter()
        .map(|g| g.into_iter().flat_map(|r| r.samples).collect())
        .collect();
    let histograms = match groups.len() {
        0 => Vec::new(),
        1 => groups.into_iter().next().unwrap_or_default(),
        _ => {
            let refs: Vec<&[(i64, FloatHistogram)]> = groups.iter().map(Vec::as_slice).collect();
            if mode.dedup {
                mnemos_dedup::merge_of(mode.func, &refs)
            } else {
                mnemos_dedup::merge_chain(&refs)
            }
        }
    };
    Ok(Samples {
        floats: within(floats, mint, maxt),
        histograms: within(histograms, mint, maxt),
    })
}

/// The samples in `[mint, maxt]`.
fn within<V>(mut samples: Vec<(i64, V)>, mint: i64, maxt: i64) -> Vec<(i64, V)> {
    let hi = samples.partition_point(|s| s.0 <= maxt);
    samples.truncate(hi);
    let lo = samples.partition_point(|s| s.0 < mint);
    samples.drain(..lo);
    samples
}

/// A native histogram series' samples from one chunk: a raw histogram chunk's, or what a
/// downsampled histogram chunk (Thanos #8110: count XOR, sum and counter float histogram
/// chunks) gives for `aggregates`: the counter for rate and friends (as stored, PromQL
/// handles resets), the sum for `sum_over_time`, nothing for `min`/`max` (histograms have
/// none), the window average (sum ÷ count) otherwise. `None` for float chunks and for the
/// count, which is an XOR chunk read as floats.
fn decode_histograms(
    c: &AggrChunk,
    aggregates: &[Aggr],
) -> std::result::Result<Option<Vec<(i64, FloatHistogram)>>, String> {
    if let Some(raw) = &c.raw {
        return histogram_chunk(raw);
    }
    let is_histogram = |p: &Option<thanos::Chunk>| {
        p.as_ref().is_some_and(|p| {
            p.r#type == Encoding::Histogram as i32 || p.r#type == Encoding::FloatHistogram as i32
        })
    };
    if !is_histogram(&c.sum) && !is_histogram(&c.counter) {
        return Ok(None);
    }
    let part = |p: &Option<thanos::Chunk>, name: &str| {
        p.as_ref()
            .ok_or_else(|| format!("downsampled histogram chunk has no {name} aggregate"))
            .and_then(|p| {
                histogram_chunk(p)?.ok_or_else(|| format!("{name} is not a histogram chunk"))
            })
    };
    match aggregates {
        [Aggr::Counter] => part(&c.counter, "COUNTER").map(Some),
        [Aggr::Sum] => part(&c.sum, "SUM").map(Some),
        [Aggr::Count] => Ok(None),
        [Aggr::Min] | [Aggr::Max] => Ok(Some(Vec::new())),
        _ => {
            let sums = part(&c.sum, "SUM")?;
            let counts = c
                .count
                .as_ref()
                .ok_or("downsampled histogram chunk has no COUNT aggregate")
                .map_err(str::to_string)
                .and_then(decode_xor)?;
            Ok(Some(window_averages(sums, &counts, |mut h, n| {
                divide(&mut h, n);
                h
            })))
        }
    }
}

/// The window averages of downsampled data: each window's sum divided (`div`) by its count,
/// the two parts matched by timestamp (a window missing from either gives nothing).
fn window_averages<V>(
    sums: Vec<(i64, V)>,
    counts: &[(i64, f64)],
    div: impl Fn(V, f64) -> V,
) -> Vec<(i64, V)> {
    let mut out = Vec::with_capacity(sums.len());
    let mut j = 0;
    for (t, s) in sums {
        while j < counts.len() && counts[j].0 < t {
            j += 1;
        }
        if let Some(&(ct, n)) = counts.get(j) {
            if ct == t {
                out.push((t, div(s, n)));
            }
        }
    }
    out
}

/// `h` divided by `n` (Go's `FloatHistogram.Div`).
fn divide(h: &mut FloatHistogram, n: f64) {
    h.zero_count /= n;
    h.count /= n;
    h.sum /= n;
    for b in h.positive_buckets.iter_mut().chain(&mut h.negative_buckets) {
        *b /= n;
    }
}

/// The samples of a native histogram chunk (integer histograms as float histograms), or
/// `None` for any other encoding.
fn histogram_chunk(
    chunk: &thanos::Chunk,
) -> std::result::Result<Option<Vec<(i64, FloatHistogram)>>, String> {
    let encoding = match Encoding::try_from(chunk.r#type) {
        Ok(Encoding::Histogram) => chunkenc::Encoding::Histogram,
        Ok(Encoding::FloatHistogram) => chunkenc::Encoding::FloatHistogram,
        _ => return Ok(None),
    };
    chunkenc::decode_as_float_histograms(encoding, &chunk.data)
        .transpose()
        .map_err(|e| e.to_string())
}

/// `chunks` without repeats (the same chunk from two endpoints holding one block), in
/// time order: what one merged series carries when the querier passes it on.
pub fn distinct_chunks(chunks: Vec<AggrChunk>) -> Vec<AggrChunk> {
    let mut seen = HashSet::new();
    let mut out: Vec<AggrChunk> = chunks
        .into_iter()
        .filter(|c| seen.insert(identity(c)))
        .collect();
    out.sort_by_key(|c| (c.min_time, c.max_time));
    out
}

/// What makes two chunks the same: time range and content hash.
fn identity(c: &AggrChunk) -> (i64, i64, u64) {
    let hash = |ch: &Option<thanos::Chunk>| {
        ch.as_ref().map_or(0, |ch| {
            if ch.hash != 0 {
                ch.hash
            } else {
                xxhash_rust::xxh64::xxh64(&ch.data, 0)
            }
        })
    };
    let mut h = hash(&c.raw);
    for part in [&c.count, &c.sum, &c.min, &c.max, &c.counter] {
        h = h.rotate_left(7) ^ hash(part);
    }
    (c.min_time, c.max_time, h)
}

fn decode_xor(chunk: &thanos::Chunk) -> std::result::Result<Vec<(i64, f64)>, String> {
    if chunk.r#type != Encoding::Xor as i32 {
        return Err(format!("unsupported chunk encoding {}", chunk.r#type));
    }
    let mut it = XorIter::new(&chunk.data).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(usize::from(it.num_samples()));
    while let Some(s) = it.next_sample().map_err(|e| e.to_string())? {
        out.push(s);
    }
    Ok(out)
}

/// A chunk's samples: the raw chunk, or the aggregate(s) asked for.
fn decode(c: &AggrChunk, aggregates: &[Aggr]) -> std::result::Result<Vec<(i64, f64)>, String> {
    if let Some(raw) = &c.raw {
        let mut samples = decode_xor(raw)?;
        if aggregates == [Aggr::Count] {
            // count_over_time over raw data: each sample counts once.
            for s in &mut samples {
                s.1 = mnemos_promql::as_count(s.1);
            }
        }
        return Ok(samples);
    }
    let part = |a: Aggr| {
        let chunk = match a {
            Aggr::Count => &c.count,
            Aggr::Sum => &c.sum,
            Aggr::Min => &c.min,
            Aggr::Max => &c.max,
            Aggr::Counter => &c.counter,
            Aggr::Raw => &c.raw,
        };
        chunk
            .as_ref()
            .ok_or_else(|| format!("downsampled chunk has no {} aggregate", a.as_str_name()))
            .and_then(decode_xor)
    };
    match aggregates {
        [a] => part(*a),
        _ => {
            let (sum, count) = (part(Aggr::Sum)?, part(Aggr::Count)?);
            Ok(window_averages(sum, &count, |s, n| s / n))
        }
    }
}

/// One chunk's samples.
struct Run<V> {
    samples: Vec<(i64, V)>,
    /// The counter part of a downsampled chunk: a running total that restarts per chunk,
    /// ending with the chunk's last raw value at its last window's timestamp.
    counter_aggregate: bool,
}

/// Splits chunks (as sample runs) into groups whose runs don't overlap in time; each group
/// is one source's continuous view, its runs in time order.
fn split_overlapping<V>(mut runs: Vec<Run<V>>) -> Vec<Vec<Run<V>>> {
    runs.sort_by_key(|r| r.samples.first().map_or(i64::MIN, |s| s.0));
    let mut groups: Vec<Vec<Run<V>>> = Vec::new();
    for run in runs {
        let first = run.samples.first().map_or(i64::MIN, |s| s.0);
        let ends_before = |g: &Vec<Run<V>>| {
            g.last()
                .and_then(|r| r.samples.last())
                .is_none_or(|s| s.0 < first)
        };
        match groups.iter_mut().find(|g| ends_before(g)) {
            Some(g) => g.push(run),
            None => groups.push(vec![run]),
        }
    }
    groups
}

/// A group's samples. Downsampled counter parts are read across chunks as one counter with
/// resets applied (Thanos' counter format: a chunk's appended last raw value decides whether
/// the next chunk starts after a reset), so rate and increase see no false resets.
fn flatten_group(runs: Vec<Run<f64>>) -> Vec<(i64, f64)> {
    if runs.iter().any(|r| r.counter_aggregate) {
        let parts: Vec<Vec<(i64, f64)>> = runs.into_iter().map(|r| r.samples).collect();
        return mnemos_tsdb::chunkenc::aggr::apply_counter_resets(&parts).0;
    }
    runs.into_iter().flat_map(|r| r.samples).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::chunkenc::encode_xor;

    fn raw(samples: &[(i64, f64)]) -> AggrChunk {
        let data = encode_xor(samples);
        AggrChunk {
            min_time: samples[0].0,
            max_time: samples[samples.len() - 1].0,
            raw: Some(thanos::Chunk {
                r#type: Encoding::Xor as i32,
                hash: xxhash_rust::xxh64::xxh64(&data, 0),
                data: data.into(),
            }),
            ..Default::default()
        }
    }

    const DEDUP: MergeMode = MergeMode {
        dedup: true,
        func: DedupFunc::Penalty,
        counter: true,
    };

    #[test]
    fn identical_chunks_are_dropped_and_sources_merge() {
        let l = Labels::from_pairs([("__name__", "x")]);
        let a = [(1000, 1.0), (2000, 2.0)];
        let b = [(3000, 3.0), (4000, 4.0)];
        // The same chunk from a sidecar and a store gateway, plus the next chunk.
        let got = samples(&l, vec![raw(&a), raw(&a), raw(&b)], &[], 0, 10_000, DEDUP)
            .unwrap()
            .floats;
        assert_eq!(got, [a, b].concat());
        let plain = MergeMode {
            dedup: false,
            func: DedupFunc::Penalty,
            counter: false,
        };
        let got = samples(&l, vec![raw(&a), raw(&b), raw(&a)], &[], 1500, 3000, plain)
            .unwrap()
            .floats;
        assert_eq!(got, vec![(2000, 2.0), (3000, 3.0)]);
    }

    #[test]
    fn replicas_are_penalty_merged_with_counter_adjustment() {
        // DESIGN.md section 6's counter vector, each replica one chunk.
        let a = [
            (10000, 8.0),
            (20000, 9.0),
            (50001, 10.0),
            (60000, 11.0),
            (70000, 12.0),
            (80000, 13.0),
            (90000, 14.0),
            (100000, 15.0),
        ];
        let b = [(10001, 8.0), (45001, 8.5), (55001, 9.5), (65001, 10.5)];
        let l = Labels::from_pairs([("__name__", "c")]);
        let got = samples(&l, vec![raw(&a), raw(&b)], &[], 0, i64::MAX, DEDUP)
            .unwrap()
            .floats;
        let ts: Vec<i64> = got.iter().map(|s| s.0).collect();
        // Nothing is dropped at the switches (Thanos' penalty skips 70000 and 80000).
        assert_eq!(
            ts,
            [10000, 20000, 45001, 55001, 65001, 70000, 80000, 90000, 100000]
        );
        assert_eq!(got[2].1, 9.0);
        // The chain function keeps every timestamp of both.
        let chain = MergeMode {
            func: DedupFunc::Chain,
            ..DEDUP
        };
        let got = samples(&l, vec![raw(&a), raw(&b)], &[], 0, i64::MAX, chain)
            .unwrap()
            .floats;
        assert_eq!(got.len(), 12);
        // Without dedup both replicas' samples are kept.
        let all = MergeMode {
            dedup: false,
            func: DedupFunc::Penalty,
            counter: false,
        };
        assert_eq!(
            samples(&l, vec![raw(&a), raw(&b)], &[], 0, i64::MAX, all)
                .unwrap()
                .floats
                .len(),
            12
        );
    }

    /// The samples one chunk gives for the input of `func`.
    fn samples_for(c: &AggrChunk, func: Option<&str>) -> Samples {
        samples(
            &Labels::new(),
            vec![c.clone()],
            &aggregates_for(func),
            0,
            i64::MAX,
            DEDUP,
        )
        .expect("samples")
    }

    #[test]
    fn downsampled_chunks_give_the_asked_aggregate() {
        let part = |s: &[(i64, f64)]| {
            let data = encode_xor(s);
            Some(thanos::Chunk {
                r#type: Encoding::Xor as i32,
                hash: 0,
                data: data.into(),
            })
        };
        let c = AggrChunk {
            min_time: 0,
            max_time: 600_000,
            count: part(&[(299_999, 4.0), (599_999, 2.0)]),
            sum: part(&[(299_999, 10.0), (599_999, 3.0)]),
            min: part(&[(299_999, 1.0), (599_999, 1.0)]),
            max: part(&[(299_999, 4.0), (599_999, 2.0)]),
            counter: part(&[(0, 0.0), (299_999, 7.0), (599_999, 9.0)]),
            ..Default::default()
        };
        let get = |func: Option<&str>| samples_for(&c, func).floats;
        let l = Labels::new();
        assert_eq!(
            get(Some("max_over_time")),
            vec![(299_999, 4.0), (599_999, 2.0)]
        );
        assert_eq!(get(Some("rate"))[2], (599_999, 9.0));
        assert_eq!(get(None), vec![(299_999, 2.5), (599_999, 1.5)]);
        // count_over_time: a window's count, and 1 per raw sample (mixed series stay exact).
        assert_eq!(
            get(Some("count_over_time")),
            vec![(299_999, 4.0), (599_999, 2.0)]
        );
        let later = raw(&[(600_000, 42.0), (615_000, 43.0)]);
        let mixed = samples(
            &l,
            vec![c.clone(), later],
            &[Aggr::Count],
            0,
            i64::MAX,
            DEDUP,
        );
        let total: f64 = mixed.unwrap().floats.iter().map(|s| s.1).sum();
        assert_eq!(total, 8.0);
        let mut no_counter = c.clone();
        no_counter.counter = None;
        let err = samples(&l, vec![no_counter], &[Aggr::Counter], 0, 1, DEDUP).unwrap_err();
        assert!(err.to_string().contains("no COUNTER aggregate"), "{err}");
    }

    #[test]
    fn downsampled_histogram_chunks_give_the_asked_aggregate() {
        use mnemos_tsdb::chunkenc::{CounterResetHeader, FloatHistogramEncoder};
        use mnemos_tsdb::histogram::Span;
        let h = |count: f64| FloatHistogram {
            count,
            sum: 2.0 * count,
            zero_count: count,
            positive_spans: vec![Span::new(0, 1)],
            positive_buckets: vec![0.0],
            ..FloatHistogram::default()
        };
        let fh_part = |s: &[(i64, f64)], header| {
            let mut e = FloatHistogramEncoder::with_header(header);
            for &(t, c) in s {
                e.append(t, &h(c)).expect("append");
            }
            Some(thanos::Chunk {
                r#type: Encoding::FloatHistogram as i32,
                hash: 0,
                data: e.into_bytes().into(),
            })
        };
        let windows = [(299_999, 8.0), (599_999, 3.0)];
        let c = AggrChunk {
            min_time: 299_999,
            max_time: 599_999,
            count: Some(thanos::Chunk {
                r#type: Encoding::Xor as i32,
                hash: 0,
                data: encode_xor(&[(299_999, 4.0), (599_999, 2.0)]).into(),
            }),
            sum: fh_part(&windows, CounterResetHeader::Gauge),
            counter: fh_part(
                &[(299_999, 5.0), (599_999, 7.0)],
                CounterResetHeader::Unknown,
            ),
            ..Default::default()
        };
        let get = |func: Option<&str>| samples_for(&c, func);
        let counts = |s: Samples| {
            s.histograms
                .iter()
                .map(|(t, h)| (*t, h.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            counts(get(Some("rate"))),
            vec![(299_999, 5.0), (599_999, 7.0)]
        );
        assert_eq!(counts(get(Some("sum_over_time"))), windows.to_vec());
        // Anything else: the window's average histogram.
        let avg = get(None);
        assert_eq!(counts(avg.clone()), vec![(299_999, 2.0), (599_999, 1.5)]);
        assert_eq!(avg.histograms[0].1.sum, 4.0);
        assert!(avg.floats.is_empty());
        // count_over_time reads the XOR count as floats; min/max give nothing.
        assert_eq!(
            get(Some("count_over_time")).floats,
            vec![(299_999, 4.0), (599_999, 2.0)]
        );
        assert_eq!(get(Some("min_over_time")), Samples::default());
    }

    #[test]
    fn histogram_chunks_decode_and_replicas_merge() {
        use mnemos_tsdb::chunkenc::HistogramEncoder;
        use mnemos_tsdb::histogram::{Histogram, Span};
        let h = |i: i64| Histogram {
            schema: 0,
            count: i as u64 * 3,
            sum: i as f64,
            positive_spans: vec![Span {
                offset: 0,
                length: 2,
            }],
            positive_buckets: vec![i, i],
            ..Default::default()
        };
        let chunk = |range: std::ops::Range<i64>, skip: std::ops::Range<i64>| {
            let mut enc = HistogramEncoder::new();
            let ts: Vec<i64> = range.filter(|i| !skip.contains(i)).collect();
            for &i in &ts {
                enc.push(i * 15_000, &h(i)).expect("push");
            }
            AggrChunk {
                min_time: ts[0] * 15_000,
                max_time: ts[ts.len() - 1] * 15_000,
                raw: Some(thanos::Chunk {
                    r#type: Encoding::Histogram as i32,
                    hash: 0,
                    data: enc.into_bytes().into(),
                }),
                ..Default::default()
            }
        };
        let l = Labels::from_pairs([("__name__", "h")]);
        // Two replicas with different holes: the penalty merge gives every scrape.
        let got = samples(
            &l,
            vec![chunk(1..100, 20..40), chunk(1..100, 60..70)],
            &[],
            0,
            i64::MAX,
            DEDUP,
        )
        .expect("histogram chunks decode");
        assert!(got.floats.is_empty());
        let ts: Vec<i64> = got.histograms.iter().map(|s| s.0 / 15_000).collect();
        assert_eq!(ts, (1..100).collect::<Vec<_>>());
        let mut want = h(51).to_float_from_absolute();
        // Not the first sample of its chunk: the chunk iterator says no counter reset.
        want.counter_reset_hint = mnemos_tsdb::histogram::CounterResetHint::NotCounterReset;
        assert_eq!(got.histograms[50].1, want);
        // Trimmed to the range.
        let got =
            samples(&l, vec![chunk(1..100, 0..0)], &[], 150_000, 300_000, DEDUP).expect("decode");
        assert_eq!(got.histograms.len(), 11);
    }
}
