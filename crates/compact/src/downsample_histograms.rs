//! Downsampling of native histogram series in the format Thanos writes (PR #8110, v0.38):
//! per window an aggregate chunk with `count` (XOR: samples in the window), `sum` (float
//! histogram chunk, gauge: the window's histograms added) and `counter` (float histogram
//! chunk: the reset-corrected running total at the window's end); `min` and `max` absent.
//! Raw samples and 5m aggregates ([`Window`]s) go through the same window loop.
//!
//! Where mnemos differs from Thanos, it is to keep readers right, never the format:
//! - The running counter goes on across the chunks of a series (Thanos restarts it at each
//!   output chunk, so a reset inside one chunk makes the next chunk's first counter look
//!   like another reset to `rate`). Its schema is therefore the lowest seen so far in the
//!   series (Thanos: the lowest of the chunk's batch).
//! - Resets are detected on the histograms as scraped (a schema increase is a reset, as
//!   Prometheus' `DetectReset` says) and from a chunk's "counter reset" hint; a "no counter
//!   reset" hint is not believed without the comparison. Thanos believes both hints and
//!   compares a sample with the previous one already reduced to the batch schema.
//! - A zero-threshold change (a float histogram chunk cannot hold two) ends the aggregate
//!   chunk and starts another; Thanos would drop the earlier part of the chunk.
//!
//! - A window is stamped with its end (`t - t % res + res - 1`); only the series' last one is
//!   capped at its last input's timestamp. (Thanos caps the last window of every output
//!   chunk, which moves that point off the window's end: `rate` at that window's end then
//!   differs from the raw answer.)
//!
//! A stale marker is skipped; one output chunk holds at most [`WINDOWS_PER_CHUNK`] windows.

use std::borrow::Cow;

use mnemos_tsdb::chunkenc::aggr::{encode_aggr, AggrPart, AggrType};
use mnemos_tsdb::chunkenc::{
    decode_as_float_histograms, decode_xor_into, Appendable, CounterResetHeader, Encoding,
    FloatHistogramEncoder, XorEncoder,
};
use mnemos_tsdb::histogram::arith::{add, copy_to_schema, detect_reset, sub};
use mnemos_tsdb::histogram::{CounterResetHint, FloatHistogram};

use crate::downsample::{window_end, AggrChunkData, WINDOWS_PER_CHUNK};
use crate::error::{Error, Result};

/// One window of a native histogram series' aggregates: decoded from an aggregate chunk,
/// or the input of a coarser downsampling.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Timestamp (ms): the window's end (the series' last window: its last input's time).
    pub t: i64,
    /// Samples in the window.
    pub count: f64,
    /// The sum of its histograms.
    pub sum: FloatHistogram,
    /// The running counter at `t`.
    pub counter: FloatHistogram,
}

/// One input of the window loop, borrowed: a raw sample (count 1, the histogram as both
/// sum and counter) or a finer window.
#[derive(Clone, Copy)]
struct Input<'a> {
    t: i64,
    count: f64,
    sum: &'a FloatHistogram,
    counter: &'a FloatHistogram,
}

/// Downsamples a native histogram series' raw samples (time order; stale markers skipped)
/// to resolution `res`.
pub fn downsample_raw_histograms(
    samples: &[(i64, FloatHistogram)],
    res: i64,
) -> Result<Vec<AggrChunkData>> {
    let inputs: Vec<Input<'_>> = samples
        .iter()
        .filter(|(_, h)| !h.is_stale())
        .map(|(t, h)| Input {
            t: *t,
            count: 1.0,
            sum: h,
            counter: h,
        })
        .collect();
    downsample_inputs(&inputs, res)
}

/// Downsamples a native histogram series' windows of a finer resolution (in time order) to
/// resolution `res`.
pub fn downsample_histogram_aggregates(windows: &[Window], res: i64) -> Result<Vec<AggrChunkData>> {
    let inputs: Vec<Input<'_>> = windows
        .iter()
        .map(|w| Input {
            t: w.t,
            count: w.count,
            sum: &w.sum,
            counter: &w.counter,
        })
        .collect();
    downsample_inputs(&inputs, res)
}

/// The windows in one native histogram aggregate chunk, appended to `out`: count, sum and
/// counter matched by timestamp (a window missing one of them is skipped).
pub fn decode_histogram_aggr(data: &[u8], out: &mut Vec<Window>) -> Result<()> {
    let parts = crate::aggr::decode_aggr(data)?;
    let bad = |what: String| Error::Chunk(format!("histogram aggregate chunk: {what}"));
    let part = |a: AggrType| parts[a as usize].ok_or_else(|| bad(format!("no {a:?} part")));
    let (count, sum, counter) = (
        part(AggrType::Count)?,
        part(AggrType::Sum)?,
        part(AggrType::Counter)?,
    );
    if count.encoding != Encoding::Xor {
        return Err(bad(format!("count part is {:?}", count.encoding)));
    }
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    decode_xor_into(count.data, &mut ts, &mut vs).map_err(|e| bad(e.to_string()))?;
    let sums = histogram_part(sum).map_err(bad)?;
    let counters = histogram_part(counter).map_err(bad)?;
    let (mut i, mut j) = (0, 0);
    for (t, n) in ts.into_iter().zip(vs) {
        while i < sums.len() && sums[i].0 < t {
            i += 1;
        }
        while j < counters.len() && counters[j].0 < t {
            j += 1;
        }
        if let (Some((st, s)), Some((ct, c))) = (sums.get(i), counters.get(j)) {
            if *st == t && *ct == t {
                out.push(Window {
                    t,
                    count: n,
                    sum: s.clone(),
                    counter: c.clone(),
                });
            }
        }
    }
    Ok(())
}

/// The samples of an integer or float histogram chunk, as float histograms.
fn histogram_part(part: AggrPart<'_>) -> std::result::Result<Vec<(i64, FloatHistogram)>, String> {
    decode_as_float_histograms(part.encoding, part.data)
        .ok_or_else(|| "an XOR chunk where a histogram chunk belongs".to_string())?
        .map_err(|e| e.to_string())
}

/// The running counter of a series: its schema (the lowest seen), total, the previous
/// input reduced to the schema and, when that changed it, as given.
struct Counter {
    gauge: bool,
    schema: i32,
    total: Option<FloatHistogram>,
    prev: Option<FloatHistogram>,
    prev_given: Option<FloatHistogram>,
    /// Scratch space for a delta.
    delta: FloatHistogram,
}

impl Counter {
    fn lower_schema(&mut self, schema: i32) {
        if schema >= self.schema {
            return;
        }
        self.schema = schema;
        if self.prev_given.is_none() {
            // Reset detection compares the next input with the previous one as given.
            self.prev_given = self.prev.clone();
        }
        for h in [&mut self.total, &mut self.prev].into_iter().flatten() {
            *h = copy_to_schema(h, schema);
        }
    }

    /// `h` in the counter's schema (borrowed when already there).
    fn reduce<'h>(&self, h: &'h FloatHistogram) -> Cow<'h, FloatHistogram> {
        if h.schema > self.schema {
            Cow::Owned(copy_to_schema(h, self.schema))
        } else {
            Cow::Borrowed(h)
        }
    }

    /// Adds the next counter value.
    fn add(&mut self, h: &FloatHistogram) {
        let reduced = self.reduce(h);
        match (&mut self.total, &self.prev) {
            (Some(total), Some(prev)) => {
                // A chunk's hint that says "reset" is believed; "no reset" is checked (a
                // chunk from elsewhere may hold a reset inside).
                let reset = !self.gauge
                    && (h.counter_reset_hint == CounterResetHint::CounterReset
                        || detect_reset(h, self.prev_given.as_ref().unwrap_or(prev)));
                if reset {
                    add(total, &reduced);
                } else {
                    self.delta.clone_from(&reduced);
                    sub(&mut self.delta, prev);
                    add(total, &self.delta);
                }
            }
            _ => self.total = Some(reduced.clone().into_owned()),
        }
        match &mut self.prev {
            Some(prev) => prev.clone_from(&reduced),
            None => self.prev = Some(reduced.clone().into_owned()),
        }
        if let Cow::Owned(_) = reduced {
            match &mut self.prev_given {
                Some(given) => given.clone_from(h),
                None => self.prev_given = Some(h.clone()),
            }
        } else {
            self.prev_given = None;
        }
    }
}

fn downsample_inputs(inputs: &[Input<'_>], res: i64) -> Result<Vec<AggrChunkData>> {
    let Some(first) = inputs.first() else {
        return Ok(Vec::new());
    };
    let gauge = first.counter.counter_reset_hint == CounterResetHint::Gauge;
    let mut counter = Counter {
        gauge,
        schema: i32::MAX,
        total: None,
        prev: None,
        prev_given: None,
        delta: FloatHistogram::default(),
    };
    // Batches hold whole windows, so only the series' last window needs capping (Thanos
    // caps each batch's last window, stamping it off the window's end).
    let last_t = inputs[inputs.len() - 1].t;
    let mut out = Vec::new();
    let mut chunk = AggrChunk::new(gauge);
    let mut start = 0;
    while start < inputs.len() {
        // A batch: up to WINDOWS_PER_CHUNK whole windows.
        let mut end = start;
        let mut windows = 0;
        while end < inputs.len() && windows < WINDOWS_PER_CHUNK {
            let w = window_end(inputs[end].t, res);
            while end < inputs.len() && inputs[end].t <= w {
                end += 1;
            }
            windows += 1;
        }
        let batch = &inputs[start..end];
        let batch_schema = batch
            .iter()
            .map(|i| i.sum.schema.min(i.counter.schema))
            .min()
            .unwrap_or(i32::MAX);
        counter.lower_schema(batch_schema);
        let mut i = 0;
        while i < batch.len() {
            let stamp = window_end(batch[i].t, res).min(last_t);
            let (mut count, mut sum) = (0.0, None::<FloatHistogram>);
            while i < batch.len() && batch[i].t <= stamp {
                let input = &batch[i];
                i += 1;
                count += input.count;
                let s = counter.reduce(input.sum);
                match &mut sum {
                    Some(total) => add(total, &s),
                    None => sum = Some(s.into_owned()),
                }
                counter.add(input.counter);
            }
            let (Some(mut sum), Some(mut total)) = (sum, counter.total.clone()) else {
                continue;
            };
            sum.counter_reset_hint = CounterResetHint::Gauge;
            total.counter_reset_hint = if gauge {
                CounterResetHint::Gauge
            } else {
                CounterResetHint::Unknown
            };
            if !chunk.fits(&sum, &total) {
                out.extend(std::mem::replace(&mut chunk, AggrChunk::new(gauge)).finish());
            }
            chunk.push(stamp, count, &sum, &total)?;
        }
        out.extend(std::mem::replace(&mut chunk, AggrChunk::new(gauge)).finish());
        start = end;
    }
    Ok(out)
}

/// One output aggregate chunk being built.
struct AggrChunk {
    count: XorEncoder,
    sum: FloatHistogramEncoder,
    counter: FloatHistogramEncoder,
    gauge: bool,
    span: Option<(i64, i64)>,
}

impl AggrChunk {
    fn new(gauge: bool) -> Self {
        Self {
            count: XorEncoder::new(),
            sum: FloatHistogramEncoder::with_header(CounterResetHeader::Gauge),
            counter: if gauge {
                FloatHistogramEncoder::with_header(CounterResetHeader::Gauge)
            } else {
                FloatHistogramEncoder::new()
            },
            gauge,
            span: None,
        }
    }

    /// Whether a window's sum and counter go into this chunk (same schema and zero
    /// threshold, bucket layouts the encoders can widen to, room left).
    fn fits(&self, sum: &FloatHistogram, counter: &FloatHistogram) -> bool {
        if self.span.is_none() {
            return true;
        }
        if usize::from(self.count.num_samples()) >= WINDOWS_PER_CHUNK {
            return false;
        }
        let counter_fits = if self.gauge {
            self.counter.appendable_gauge(counter).is_some()
        } else {
            !matches!(self.counter.appendable(counter), Appendable::No { .. })
        };
        counter_fits && self.sum.appendable_gauge(sum).is_some()
    }

    fn push(
        &mut self,
        t: i64,
        count: f64,
        sum: &FloatHistogram,
        counter: &FloatHistogram,
    ) -> Result<()> {
        let append_err = |e: mnemos_tsdb::chunkenc::AppendError| {
            Error::Chunk(format!("appending a downsampled histogram at {t}: {e}"))
        };
        for (enc, h) in [(&mut self.sum, sum), (&mut self.counter, counter)] {
            if let mnemos_tsdb::chunkenc::Pushed::NewChunk(_) =
                enc.push(t, h).map_err(append_err)?
            {
                return Err(Error::Chunk(format!(
                    "a downsampled histogram at {t} does not fit its chunk"
                )));
            }
        }
        self.count.append(t, count);
        self.span = Some(self.span.map_or((t, t), |(first, _)| (first, t)));
        Ok(())
    }

    fn finish(self) -> Option<AggrChunkData> {
        let (min, max) = self.span?;
        let parts = [
            Some(AggrPart::xor(self.count.bytes())),
            Some(AggrPart {
                encoding: Encoding::FloatHistogram,
                data: self.sum.bytes(),
            }),
            None,
            None,
            Some(AggrPart {
                encoding: Encoding::FloatHistogram,
                data: self.counter.bytes(),
            }),
        ];
        Some((min, max, encode_aggr(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::downsample::{RES_1H, RES_5M};
    use mnemos_tsdb::chunkenc::aggr::{decode_aggr, is_histogram_aggr};
    use mnemos_tsdb::chunkenc::FloatHistogramIter;
    use mnemos_tsdb::histogram::Span;

    /// A histogram of `schema` with the given (index, count) positive buckets (ascending
    /// indices) and zero bucket; sum = 10 × count.
    fn hist(schema: i32, zero: f64, buckets: &[(i32, f64)]) -> FloatHistogram {
        let mut spans: Vec<Span> = Vec::new();
        let mut last: Option<i32> = None;
        for &(i, _) in buckets {
            match (last, spans.last_mut()) {
                (Some(l), Some(s)) if i == l + 1 => s.length += 1,
                (Some(l), _) => spans.push(Span::new(i - l - 1, 1)),
                (None, _) => spans.push(Span::new(i, 1)),
            }
            last = Some(i);
        }
        let count = zero + buckets.iter().map(|b| b.1).sum::<f64>();
        FloatHistogram {
            schema,
            zero_threshold: 0.001,
            zero_count: zero,
            count,
            sum: 10.0 * count,
            positive_spans: spans,
            positive_buckets: buckets.iter().map(|b| b.1).collect(),
            ..FloatHistogram::default()
        }
    }

    /// A counter scraped every 15 s for `n` scrapes: it gains buckets as it goes, resets to
    /// a small histogram at scrape 50, and its schema drops from 1 to 0 at scrape 70 and
    /// rises back to 1 (a reset, as Prometheus counts it) at scrape 90. Returns the samples
    /// and, per scrape, the increase of its count since the previous one (the whole count
    /// after a reset).
    fn counter_series(n: i64) -> (Vec<(i64, FloatHistogram)>, Vec<f64>) {
        let mut out = Vec::new();
        let mut increases = Vec::new();
        let mut prev: Option<FloatHistogram> = None;
        for i in 0..n {
            let k = if i < 50 { i } else { i - 50 } as f64;
            let schema = if (70..90).contains(&i) { 0 } else { 1 };
            let mut buckets = vec![(1, 1.0 + k), (2, 2.0 * k)];
            if k > 10.0 {
                buckets.push((4, k - 10.0));
            }
            // The same observations, in buckets of the scrape's schema.
            let h = copy_to_schema(&hist(1, k, &buckets), schema);
            let reset = i == 50 || i == 90;
            increases.push(match &prev {
                Some(p) if !reset => h.count - p.count,
                _ => h.count,
            });
            prev = Some(h.clone());
            out.push((i * 15_000, h));
        }
        (out, increases)
    }

    /// (t, count, sum, counter) per window of the chunks.
    fn windows(chunks: &[AggrChunkData]) -> Vec<Window> {
        let mut out = Vec::new();
        for (min, max, data) in chunks {
            let before = out.len();
            decode_histogram_aggr(data, &mut out).expect("decode");
            assert_eq!(out[before].t, *min);
            assert_eq!(out[out.len() - 1].t, *max);
        }
        out
    }

    #[test]
    fn chunks_are_in_thanos_histogram_format() {
        let (raw, _) = counter_series(40);
        let chunks = downsample_raw_histograms(&raw, RES_5M).expect("downsample");
        let parts = decode_aggr(&chunks[0].2).expect("parts");
        assert!(is_histogram_aggr(&parts));
        let [count, sum, min, max, counter] = parts;
        assert_eq!(count.map(|p| p.encoding), Some(Encoding::Xor));
        assert_eq!(sum.map(|p| p.encoding), Some(Encoding::FloatHistogram));
        assert_eq!(counter.map(|p| p.encoding), Some(Encoding::FloatHistogram));
        assert!(min.is_none() && max.is_none());
        let sum = FloatHistogramIter::new(sum.expect("sum").data).expect("sum chunk");
        assert_eq!(sum.counter_reset_header(), CounterResetHeader::Gauge);
    }

    #[test]
    fn raw_to_5m_counts_sums_and_counters_per_window() {
        let (raw, increases) = counter_series(120);
        let chunks = downsample_raw_histograms(&raw, RES_5M).expect("downsample");
        let got = windows(&chunks);
        // 120 scrapes of 15 s: 30 minutes, six windows.
        assert_eq!(got.len(), 6);
        let mut running = 0.0;
        let mut next = 0;
        for w in &got {
            let inside: Vec<usize> = (next..raw.len()).take_while(|&i| raw[i].0 <= w.t).collect();
            next += inside.len();
            assert_eq!(w.count, inside.len() as f64, "count at {}", w.t);
            let count: f64 = inside.iter().map(|&i| raw[i].1.count).sum();
            assert_eq!(w.sum.count, count, "sum's count at {}", w.t);
            assert_eq!(w.sum.sum, 10.0 * count, "sum's sum at {}", w.t);
            assert_eq!(w.sum.counter_reset_hint, CounterResetHint::Gauge);
            running += inside.iter().map(|&i| increases[i]).sum::<f64>();
            assert_eq!(w.counter.count, running, "counter at {}", w.t);
            // The bucket counts add up to the count (zero bucket included).
            let buckets: f64 = w.counter.positive_buckets.iter().sum();
            assert_eq!(buckets + w.counter.zero_count, w.counter.count);
        }
        assert_eq!(next, raw.len());
        // Window ends, the last capped at the last scrape.
        assert_eq!(got[0].t, 299_999);
        assert_eq!(got[5].t, 119 * 15_000);
        // The batch's lowest schema (0, scrapes 70 to 89) holds for all windows.
        assert!(got
            .iter()
            .all(|w| w.counter.schema == 0 && w.sum.schema == 0));
    }

    #[test]
    fn five_minutes_to_one_hour_keeps_totals_and_counters() {
        // Three hours of scrapes.
        let (raw, increases) = counter_series(720);
        let five = windows(&downsample_raw_histograms(&raw, RES_5M).expect("5m"));
        let hour = windows(&downsample_histogram_aggregates(&five, RES_1H).expect("1h"));
        assert_eq!(hour.len(), 3);
        let total: f64 = increases.iter().sum();
        assert_eq!(hour[2].counter.count, total);
        assert_eq!(hour.iter().map(|w| w.count).sum::<f64>(), raw.len() as f64);
        let raw_count: f64 = raw.iter().map(|(_, h)| h.count).sum();
        assert_eq!(hour.iter().map(|w| w.sum.count).sum::<f64>(), raw_count);
        for w in &hour {
            // The counter at an hour's end is the 5m counter there.
            let at = five.iter().find(|f| f.t == w.t).expect("same end");
            assert_eq!(w.counter.count, at.counter.count, "at {}", w.t);
        }
    }

    #[test]
    fn the_counter_goes_on_across_chunks() {
        // 130 windows of one scrape each: two output chunks; a reset in the first.
        let mut raw = Vec::new();
        for i in 0..130i64 {
            let k = if i < 60 { i + 100 } else { i - 60 } as f64;
            raw.push((i * RES_5M, hist(2, 0.0, &[(3, k)])));
        }
        let chunks = downsample_raw_histograms(&raw, RES_5M).expect("downsample");
        assert_eq!(chunks.len(), 2);
        let got = windows(&chunks);
        // No drop between the chunks: rate sees no reset there.
        assert!(got
            .windows(2)
            .all(|w| w[1].counter.count >= w[0].counter.count));
        assert_eq!(got[129].counter.count, 159.0 + 69.0);
    }

    #[test]
    fn a_lower_schema_in_a_later_chunk_is_no_reset() {
        // One scrape per window; the second chunk's windows drop to schema 0 from scrape
        // 125 on (the same observations in merged buckets): its whole batch is reduced, and
        // its first sample (schema 1) is compared with the previous one as given.
        let raw: Vec<(i64, FloatHistogram)> = (0..130i64)
            .map(|i| {
                let h = hist(1, 0.0, &[(1, i as f64), (2, 2.0 * i as f64)]);
                let h = if i >= 125 { copy_to_schema(&h, 0) } else { h };
                (i * RES_5M, h)
            })
            .collect();
        let got = windows(&downsample_raw_histograms(&raw, RES_5M).expect("downsample"));
        assert_eq!(got.len(), 130);
        for (i, w) in got.iter().enumerate() {
            assert_eq!(w.counter.count, 3.0 * i as f64, "window {i}");
        }
        assert_eq!((got[119].counter.schema, got[120].counter.schema), (1, 0));
    }

    #[test]
    fn a_zero_threshold_change_starts_a_new_chunk() {
        let mut raw = Vec::new();
        for i in 0..20i64 {
            let mut h = hist(0, 1.0, &[(1, i as f64)]);
            if i >= 10 {
                h.zero_threshold = 0.5;
            }
            raw.push((i * RES_5M, h));
        }
        let chunks = downsample_raw_histograms(&raw, RES_5M).expect("downsample");
        assert_eq!(chunks.len(), 2);
        assert_eq!(windows(&chunks).len(), 20);
    }

    #[test]
    fn gauge_histograms_keep_the_last_value_as_counter() {
        let raw: Vec<(i64, FloatHistogram)> = [5.0, 2.0, 7.0, 1.0]
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let mut h = hist(0, 0.0, &[(1, v)]);
                h.counter_reset_hint = CounterResetHint::Gauge;
                (i as i64 * 60_000, h)
            })
            .collect();
        let chunks = downsample_raw_histograms(&raw, RES_5M).expect("downsample");
        let got = windows(&chunks);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].counter.count, 1.0);
        assert_eq!(got[0].sum.count, 15.0);
        let parts = decode_aggr(&chunks[0].2).expect("parts");
        let counter = FloatHistogramIter::new(parts[4].expect("counter").data).expect("chunk");
        assert_eq!(counter.counter_reset_header(), CounterResetHeader::Gauge);
    }

    /// A histogram aggregate chunk laid out as Thanos writes it, from (t, count, sum's
    /// count, counter's count) per window, built with the plain encoders.
    fn thanos_chunk(windows: &[(i64, f64, f64, f64)]) -> Vec<u8> {
        let count: Vec<(i64, f64)> = windows.iter().map(|w| (w.0, w.1)).collect();
        let count = mnemos_tsdb::chunkenc::encode_xor(&count);
        let mut sum = FloatHistogramEncoder::with_header(CounterResetHeader::Gauge);
        let mut counter = FloatHistogramEncoder::new();
        for &(t, _, s, c) in windows {
            sum.append(t, &hist(0, 0.0, &[(1, s)])).expect("sum");
            counter
                .append(t, &hist(0, 0.0, &[(1, c)]))
                .expect("counter");
        }
        let fh = |data| {
            Some(AggrPart {
                encoding: Encoding::FloatHistogram,
                data,
            })
        };
        encode_aggr([
            Some(AggrPart::xor(&count)),
            fh(sum.bytes()),
            None,
            None,
            fh(counter.bytes()),
        ])
    }

    #[test]
    fn chunks_thanos_wrote_downsample_to_one_hour() {
        // Two 5m chunks; Thanos stamps a chunk's last window at its last sample and starts
        // each chunk's counter at its first raw value.
        let first = thanos_chunk(&[(299_999, 5.0, 50.0, 10.0), (540_000, 4.0, 60.0, 20.0)]);
        for (second, total) in [
            // The raw counter went on: the running total goes on.
            (
                thanos_chunk(&[(899_999, 5.0, 110.0, 22.0), (1_140_000, 4.0, 100.0, 30.0)]),
                30.0,
            ),
            // The second chunk starts lower (a reset inside the first chunk in Thanos'
            // format, or a reset between them): read as a reset, as Thanos' readers do.
            (
                thanos_chunk(&[(899_999, 5.0, 10.0, 3.0), (1_140_000, 4.0, 30.0, 8.0)]),
                28.0,
            ),
        ] {
            let mut five = Vec::new();
            decode_histogram_aggr(&first, &mut five).expect("first");
            decode_histogram_aggr(&second, &mut five).expect("second");
            assert_eq!(five.len(), 4);
            let hour = windows(&downsample_histogram_aggregates(&five, RES_1H).expect("1h"));
            assert_eq!(hour.len(), 1);
            assert_eq!(hour[0].t, 1_140_000);
            assert_eq!(hour[0].count, 18.0);
            assert_eq!(
                hour[0].sum.count,
                five.iter().map(|w| w.sum.count).sum::<f64>()
            );
            assert_eq!(hour[0].counter.count, total);
        }
    }

    #[test]
    fn stale_markers_are_skipped() {
        let raw = vec![
            (0, hist(0, 0.0, &[(1, 1.0)])),
            (15_000, FloatHistogram::stale()),
            (30_000, hist(0, 0.0, &[(1, 3.0)])),
        ];
        let got = windows(&downsample_raw_histograms(&raw, RES_5M).expect("downsample"));
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].count, got[0].counter.count), (2.0, 3.0));
    }
}
