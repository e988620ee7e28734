//! Downsampling of one series (DESIGN.md section 7, Thanos' algorithm): raw samples to
//! aggregates per window, and aggregates to coarser aggregates.
//!
//! A window of resolution `res` holding `t` ends at `t - t % res + res - 1`; each window
//! yields count, sum, min, max and the running counter (resets applied), stamped with the
//! window end (capped at the chunk's last raw timestamp). The counter part of every chunk
//! also starts with the chunk's first raw sample and ends with its last raw value at the
//! last aggregate's timestamp, so readers can tell resets between chunks apart.

use mnemos_tsdb::chunkenc::STALE_NAN_BITS;

use crate::aggr::{AggrChunkBuilder, AggrType};

/// Raw resolution (ms).
pub const RES_RAW: i64 = 0;
/// 5-minute resolution (ms).
pub const RES_5M: i64 = 300_000;
/// 1-hour resolution (ms).
pub const RES_1H: i64 = 3_600_000;
/// Windows (aggregates) per output chunk.
pub const WINDOWS_PER_CHUNK: usize = 120;

/// An encoded aggregate chunk: `(min_time, max_time, data)`.
pub type AggrChunkData = (i64, i64, Vec<u8>);

/// End of the window of resolution `res` holding `t`.
pub fn window_end(t: i64, res: i64) -> i64 {
    t - t.rem_euclid(res) + res - 1
}

/// Per-window state plus the running counter across windows.
#[derive(Clone, Copy, Debug)]
struct Aggregator {
    total: u64,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    counter: f64,
    last: f64,
}

impl Aggregator {
    fn new() -> Self {
        Self {
            total: 0,
            count: 0,
            sum: 0.0,
            min: f64::MAX,
            max: -f64::MAX,
            counter: 0.0,
            last: 0.0,
        }
    }

    fn reset_window(&mut self) {
        self.count = 0;
        self.sum = 0.0;
        self.min = f64::MAX;
        self.max = -f64::MAX;
    }

    fn add(&mut self, v: f64) {
        if self.total == 0 {
            self.counter = v;
        } else if v < self.last {
            self.counter += v;
        } else {
            self.counter += v - self.last;
        }
        self.last = v;
        self.sum += v;
        self.count += 1;
        self.total += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }
}

fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// Downsamples raw samples (time-ordered) to aggregate chunks of resolution `res`,
/// [`WINDOWS_PER_CHUNK`] windows per chunk. Stale markers are skipped.
pub fn downsample_raw(samples: &[(i64, f64)], res: i64) -> Vec<AggrChunkData> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < samples.len() {
        // A batch is up to WINDOWS_PER_CHUNK whole windows.
        let mut end = start;
        let mut windows = 0;
        while end < samples.len() && windows < WINDOWS_PER_CHUNK {
            let w = window_end(samples[end].0, res);
            while end < samples.len() && samples[end].0 <= w {
                end += 1;
            }
            windows += 1;
        }
        if let Some(chunk) = raw_batch(&samples[start..end], res) {
            out.push(chunk);
        }
        start = end;
    }
    out
}

/// Aggregates one batch of raw samples window by window in a single pass (the hot loop of
/// downsampling: branch-free counter arithmetic, no per-sample window bookkeeping).
fn raw_batch(batch: &[(i64, f64)], res: i64) -> Option<AggrChunkData> {
    let &(first_t, first_v) = batch.iter().find(|s| !is_stale(s.1))?;
    let &(last_t, last_v) = batch.iter().rev().find(|s| !is_stale(s.1))?;
    let mut b = AggrChunkBuilder::new();
    b.append(AggrType::Counter, first_t, first_v);
    // The running counter starts at the first value; a drop is a reset.
    let (mut counter, mut last) = (first_v, first_v);
    let mut stamp = last_t;
    let mut i = 0;
    while i < batch.len() {
        let w = window_end(batch[i].0, res);
        let (mut count, mut sum, mut min, mut max) = (0u64, 0.0f64, f64::MAX, -f64::MAX);
        while i < batch.len() && batch[i].0 <= w {
            let v = batch[i].1;
            i += 1;
            if is_stale(v) {
                continue;
            }
            counter += v - if v < last { 0.0 } else { last };
            last = v;
            count += 1;
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        if count == 0 {
            continue;
        }
        stamp = w.min(last_t);
        b.append_window(stamp, [count as f64, sum, min, max, counter]);
    }
    b.append(AggrType::Counter, stamp, last_v);
    b.finish()
}

/// Feeds `batch` (stale markers skipped) to an aggregator window by window, calling `emit`
/// at each window end capped at `last_t` (the batch's last timestamp); returns the last
/// emitted timestamp.
fn aggregate_windows(
    batch: &[(i64, f64)],
    last_t: i64,
    res: i64,
    mut emit: impl FnMut(i64, &Aggregator),
) -> i64 {
    let mut a = Aggregator::new();
    let mut next_t: Option<i64> = None;
    for &(t, v) in batch {
        if is_stale(v) {
            continue;
        }
        if next_t.is_none_or(|n| t > n) {
            if let Some(n) = next_t {
                emit(n, &a);
            }
            a.reset_window();
            next_t = Some(window_end(t, res).min(last_t));
        }
        a.add(v);
    }
    let n = next_t.unwrap_or(last_t);
    emit(n, &a);
    n
}

/// The decoded parts of one series' aggregate chunks, each part time-ordered.
#[derive(Clone, Debug, Default)]
pub struct AggrSeries {
    /// Count samples.
    pub count: Vec<(i64, f64)>,
    /// Sum samples.
    pub sum: Vec<(i64, f64)>,
    /// Min samples.
    pub min: Vec<(i64, f64)>,
    /// Max samples.
    pub max: Vec<(i64, f64)>,
    /// Counter samples of each chunk (with its first and last raw values), chunk by chunk.
    pub counter_chunks: Vec<Vec<(i64, f64)>>,
}

pub use mnemos_tsdb::chunkenc::aggr::apply_counter_resets;

/// Downsamples aggregates (of a finer resolution) to resolution `res`.
pub fn downsample_aggr(series: &AggrSeries, res: i64) -> Vec<AggrChunkData> {
    let (counter, last_raw) = apply_counter_resets(&series.counter_chunks);
    // Batch boundaries: WINDOWS_PER_CHUNK windows of `res`, taken over every part.
    let mut bounds: Vec<i64> = Vec::new();
    let all_t = series
        .count
        .iter()
        .chain(&series.sum)
        .chain(&series.min)
        .chain(&series.max)
        .chain(&counter)
        .map(|s| s.0);
    let (Some(min_t), Some(max_t)) = (all_t.clone().min(), all_t.max()) else {
        return Vec::new();
    };
    let span = res.saturating_mul(WINDOWS_PER_CHUNK as i64);
    let mut b = window_end(min_t, span);
    loop {
        bounds.push(b);
        if b >= max_t {
            break;
        }
        b = b.saturating_add(span);
    }
    let mut out = Vec::new();
    let mut lo = i64::MIN;
    for (i, &hi) in bounds.iter().enumerate() {
        let pick = |s: &[(i64, f64)]| -> Vec<(i64, f64)> {
            s.iter()
                .copied()
                .filter(|x| x.0 > lo && x.0 <= hi)
                .collect()
        };
        let mut ab = AggrChunkBuilder::new();
        reduce(
            &pick(&series.count),
            res,
            &mut ab,
            AggrType::Count,
            |a, v| a + v,
        );
        reduce(&pick(&series.sum), res, &mut ab, AggrType::Sum, |a, v| {
            a + v
        });
        reduce(&pick(&series.min), res, &mut ab, AggrType::Min, f64::min);
        reduce(&pick(&series.max), res, &mut ab, AggrType::Max, f64::max);
        let c = pick(&counter);
        if let Some(&(t0, v0)) = c.first() {
            ab.append(AggrType::Counter, t0, v0);
            let last_t = aggregate_windows(&c, c[c.len() - 1].0, res, |t, a| {
                ab.append(AggrType::Counter, t, a.counter);
            });
            // The last raw value after the final chunk; between chunks the running total
            // itself (already monotonic) tells the reader there was no reset.
            let tail = if i + 1 == bounds.len() {
                last_raw
            } else {
                c[c.len() - 1].1
            };
            ab.append(AggrType::Counter, last_t, tail);
        }
        if let Some(chunk) = ab.finish() {
            out.push(chunk);
        }
        lo = hi;
    }
    out
}

/// Reduces one aggregate part per window of `res` with `f`, stamping each window at its
/// end capped at the part's last timestamp.
fn reduce(
    samples: &[(i64, f64)],
    res: i64,
    ab: &mut AggrChunkBuilder,
    part: AggrType,
    f: impl Fn(f64, f64) -> f64,
) {
    let Some(&(last_t, _)) = samples.last() else {
        return;
    };
    let mut cur: Option<(i64, f64)> = None;
    for &(t, v) in samples {
        if v.is_nan() {
            continue;
        }
        let w = window_end(t, res).min(last_t);
        cur = match cur {
            Some((cw, acc)) if cw == w => Some((cw, f(acc, v))),
            Some((cw, acc)) => {
                ab.append(part, cw, acc);
                Some((w, v))
            }
            None => Some((w, v)),
        };
    }
    if let Some((cw, acc)) = cur {
        ab.append(part, cw, acc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggr::decode_part;

    fn parts(chunk: &AggrChunkData, p: AggrType) -> Vec<(i64, f64)> {
        let mut s = Vec::new();
        decode_part(&chunk.2, p, &mut s).expect("decode");
        s
    }

    #[test]
    fn windows() {
        assert_eq!(window_end(0, RES_5M), 299_999);
        assert_eq!(window_end(299_999, RES_5M), 299_999);
        assert_eq!(window_end(300_000, RES_5M), 599_999);
    }

    #[test]
    fn raw_to_5m_aggregates_and_counter_resets() {
        // 15s samples over 10 minutes: a counter 0,1,2,... with a reset to 0 at minute 7.
        let samples: Vec<(i64, f64)> = (0..40)
            .map(|i| {
                let v = if i < 28 { i as f64 } else { (i - 28) as f64 };
                (i * 15_000, v)
            })
            .collect();
        let chunks = downsample_raw(&samples, RES_5M);
        assert_eq!(chunks.len(), 1);
        let c = &chunks[0];
        assert_eq!(
            parts(c, AggrType::Count),
            vec![(299_999, 20.0), (585_000, 20.0)]
        );
        let sum0: f64 = (0..20).map(|i| i as f64).sum();
        let sum1: f64 =
            (20..28).map(|i| i as f64).sum::<f64>() + (0..12).map(|i| i as f64).sum::<f64>();
        assert_eq!(
            parts(c, AggrType::Sum),
            vec![(299_999, sum0), (585_000, sum1)]
        );
        assert_eq!(
            parts(c, AggrType::Min),
            vec![(299_999, 0.0), (585_000, 0.0)]
        );
        assert_eq!(
            parts(c, AggrType::Max),
            vec![(299_999, 19.0), (585_000, 27.0)]
        );
        // Counter: first raw, running totals (27 before the reset + 11 after), last raw.
        assert_eq!(
            parts(c, AggrType::Counter),
            vec![(0, 0.0), (299_999, 19.0), (585_000, 38.0), (585_000, 11.0)]
        );
        assert_eq!((c.0, c.1), (0, 585_000));
    }

    #[test]
    fn stale_markers_are_skipped() {
        let stale = f64::from_bits(STALE_NAN_BITS);
        let samples = vec![(0, 1.0), (10_000, stale), (20_000, 3.0)];
        let chunks = downsample_raw(&samples, RES_5M);
        assert_eq!(parts(&chunks[0], AggrType::Count), vec![(20_000, 2.0)]);
    }

    #[test]
    fn chunks_hold_whole_windows() {
        // One sample a minute for 20 hours: 240 windows of 5m, so 2 chunks of 120.
        let samples: Vec<(i64, f64)> = (0..1200).map(|i| (i * 60_000, 1.0)).collect();
        let chunks = downsample_raw(&samples, RES_5M);
        assert_eq!(chunks.len(), 2);
        let counts: Vec<f64> = chunks
            .iter()
            .flat_map(|c| parts(c, AggrType::Count))
            .map(|s| s.1)
            .collect();
        assert_eq!(counts.len(), 240);
        assert!(counts.iter().all(|&c| c == 5.0));
        assert!(chunks[0].1 < chunks[1].0);
    }

    #[test]
    fn counter_resets_across_chunks() {
        // Chunk 1 ends at raw 10; chunk 2 starts at raw 2 (a reset between them).
        let chunks = vec![
            vec![(0, 5.0), (100, 10.0), (100, 10.0)],
            vec![(200, 2.0), (300, 4.0), (300, 4.0)],
        ];
        let (c, last) = apply_counter_resets(&chunks);
        assert_eq!(c, vec![(0, 5.0), (100, 10.0), (200, 12.0), (300, 14.0)]);
        assert_eq!(last, 4.0);
    }

    #[test]
    fn five_minutes_to_one_hour() {
        // Two hours of 5m aggregates: count 20 per window, sum 20, min 0, max 2.
        let raw: Vec<(i64, f64)> = (0..480).map(|i| (i * 15_000, (i % 3) as f64)).collect();
        let five = downsample_raw(&raw, RES_5M);
        let mut series = AggrSeries::default();
        for c in &five {
            series.count.extend(parts(c, AggrType::Count));
            series.sum.extend(parts(c, AggrType::Sum));
            series.min.extend(parts(c, AggrType::Min));
            series.max.extend(parts(c, AggrType::Max));
            series.counter_chunks.push(parts(c, AggrType::Counter));
        }
        let hour = downsample_aggr(&series, RES_1H);
        assert_eq!(hour.len(), 1);
        let count = parts(&hour[0], AggrType::Count);
        assert_eq!(count, vec![(3_599_999, 240.0), (7_185_000, 240.0)]);
        let sum: f64 = parts(&hour[0], AggrType::Sum).iter().map(|s| s.1).sum();
        assert_eq!(sum, raw.iter().map(|s| s.1).sum::<f64>());
        assert_eq!(parts(&hour[0], AggrType::Min)[0].1, 0.0);
        assert_eq!(parts(&hour[0], AggrType::Max)[1].1, 2.0);
        // The counter: resets every 3 samples (2 -> 0), so each reset adds 0.
        let counter = parts(&hour[0], AggrType::Counter);
        let (want, last) = apply_counter_resets(&series.counter_chunks);
        assert_eq!(counter.first(), want.first());
        assert_eq!(counter[counter.len() - 2].1, want[want.len() - 1].1);
        assert_eq!(counter[counter.len() - 1].1, last);
    }
}
