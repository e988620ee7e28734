//! Native histograms as Prometheus 2.42 models them (`model/histogram`):
//! [`Histogram`] (integer counts, buckets delta-encoded as stored) and
//! [`FloatHistogram`] (float counts, absolute), their bucket layout
//! ([`Span`]s), bucket boundaries ([`bucket_bound`]) and text form.
//!
//! # Buckets
//!
//! Buckets have integer indices; with schema `s` (`-4..=8`), positive
//! bucket `i` covers `(2^((i-1)·2^-s), 2^(i·2^-s)]` and negative bucket `i`
//! the mirror image `[-2^(i·2^-s), -2^((i-1)·2^-s))`. Observations with
//! `|x| <= zero_threshold` count in the zero bucket. The indices in use are
//! given by spans: the first span's offset is the index of its first
//! bucket, each further span's offset is the gap after the previous span.
//! Buckets hold, in span order, the counts of the indices in use: for
//! [`Histogram`] the first is absolute and each further one the delta to the
//! previous bucket (as Prometheus stores them); for [`FloatHistogram`] all
//! are absolute.
//!
//! # Stale markers
//!
//! Prometheus marks a histogram series stale with a histogram whose `sum`
//! has the bits of the stale NaN ([`STALE_NAN_BITS`]); the other fields of
//! such a sample carry no meaning ([`Histogram::stale`],
//! [`Histogram::is_stale`]).
//!
//! # Text form and `promtool tsdb dump`
//!
//! `Display` of [`Histogram`] and [`FloatHistogram`] is Go's `String()` of
//! Prometheus 2.42 (`{count:6, sum:7.5, [-2,-1):1, [-0.001,0.001]:2,
//! (1,2]:3}`), what Prometheus prints for histograms in logs and tests
//! (and what later `promtool tsdb dump` versions print per sample).
//!
//! `promtool tsdb dump` of Prometheus 2.42 prints no histogram samples at
//! all: its loop over a series' samples runs only while they are floats, so
//! a series' output stops at its first histogram sample (checked on blocks
//! with integer and float histogram series: only their XOR series were
//! printed). A dump that matches 2.42 must therefore, per series, print the
//! float samples before the first histogram sample and nothing from there
//! on: [`crate::block_set::SeriesParts::dump_samples_2_42`].
#![deny(missing_docs)]

pub mod arith;
mod bounds;

use std::fmt;

use crate::chunkenc::STALE_NAN_BITS;
use crate::gofmt::format_g;

pub(crate) use bounds::ldexp;
pub use bounds::{bucket_bound, MAX_SCHEMA, MIN_SCHEMA};

/// A run of consecutive buckets in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Gap to the previous span, or index of the first bucket for the first
    /// span (which may be negative; later ones never are in valid data).
    pub offset: i32,
    /// Number of consecutive buckets.
    pub length: u32,
}

impl Span {
    /// A span.
    pub const fn new(offset: i32, length: u32) -> Self {
        Span { offset, length }
    }
}

/// What a histogram sample says about counter resets (Prometheus'
/// `histogram.CounterResetHint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum CounterResetHint {
    /// Unknown whether the counts were reset before this sample (`0`).
    #[default]
    Unknown,
    /// The counts were reset before this sample (`1`).
    CounterReset,
    /// The counts were not reset before this sample (`2`).
    NotCounterReset,
    /// A gauge histogram, where counter resets do not apply (`3`).
    Gauge,
}

impl CounterResetHint {
    /// Prometheus' numeric value of the hint.
    pub const fn as_u8(self) -> u8 {
        match self {
            CounterResetHint::Unknown => 0,
            CounterResetHint::CounterReset => 1,
            CounterResetHint::NotCounterReset => 2,
            CounterResetHint::Gauge => 3,
        }
    }
}

/// A native histogram with integer counts (Prometheus' `histogram.Histogram`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Histogram {
    /// Counter reset information.
    pub counter_reset_hint: CounterResetHint,
    /// Bucket schema, `-4..=8`: each power of two is split into `2^schema`
    /// buckets.
    pub schema: i32,
    /// Half-width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// Total number of observations.
    pub count: u64,
    /// Sum of observations (the stale marker when its bits are
    /// [`STALE_NAN_BITS`]).
    pub sum: f64,
    /// Layout of the positive buckets.
    pub positive_spans: Vec<Span>,
    /// Layout of the negative buckets.
    pub negative_spans: Vec<Span>,
    /// Positive bucket counts: the first absolute, the others deltas to the
    /// previous bucket.
    pub positive_buckets: Vec<i64>,
    /// Negative bucket counts, delta-encoded like `positive_buckets`.
    pub negative_buckets: Vec<i64>,
}

/// A native histogram with float counts (Prometheus'
/// `histogram.FloatHistogram`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FloatHistogram {
    /// Counter reset information.
    pub counter_reset_hint: CounterResetHint,
    /// Bucket schema, `-4..=8`.
    pub schema: i32,
    /// Half-width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// Total number of observations.
    pub count: f64,
    /// Sum of observations (the stale marker when its bits are
    /// [`STALE_NAN_BITS`]).
    pub sum: f64,
    /// Layout of the positive buckets.
    pub positive_spans: Vec<Span>,
    /// Layout of the negative buckets.
    pub negative_spans: Vec<Span>,
    /// Absolute positive bucket counts.
    pub positive_buckets: Vec<f64>,
    /// Absolute negative bucket counts.
    pub negative_buckets: Vec<f64>,
}

/// One bucket with its boundaries (Prometheus' `histogram.Bucket`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bucket<C> {
    /// Lower boundary.
    pub lower: f64,
    /// Upper boundary.
    pub upper: f64,
    /// Whether `lower` belongs to the bucket.
    pub lower_inclusive: bool,
    /// Whether `upper` belongs to the bucket.
    pub upper_inclusive: bool,
    /// Observations in the bucket.
    pub count: C,
    /// Bucket index in the schema (0 for the zero bucket).
    pub index: i32,
}

impl<C> Bucket<C> {
    /// The boundary rule of the HTTP API's JSON (`[rule, lower, upper,
    /// count]`): 0 = open left, 1 = open right, 2 = open both, 3 = closed.
    pub fn boundary_rule(&self) -> u8 {
        match (self.lower_inclusive, self.upper_inclusive) {
            (false, true) => 0,
            (true, false) => 1,
            (false, false) => 2,
            (true, true) => 3,
        }
    }

    /// The bucket at `index` of `schema` (positive or negative side) holding `count`, with
    /// Prometheus' boundaries: a bound is inclusive on the side away from zero.
    pub fn at(index: i32, schema: i32, positive: bool, count: C) -> Self {
        let (lower, upper) = if positive {
            (
                bucket_bound(index.wrapping_sub(1), schema),
                bucket_bound(index, schema),
            )
        } else {
            (
                -bucket_bound(index, schema),
                -bucket_bound(index.wrapping_sub(1), schema),
            )
        };
        Bucket {
            lower,
            upper,
            lower_inclusive: lower < 0.0,
            upper_inclusive: upper > 0.0,
            count,
            index,
        }
    }
}

/// Go's `%v` of a bucket count.
trait GoCount: Copy {
    fn go_fmt(self) -> String;
}

impl GoCount for u64 {
    fn go_fmt(self) -> String {
        self.to_string()
    }
}

impl GoCount for f64 {
    fn go_fmt(self) -> String {
        format_g(self)
    }
}

impl<C: GoCount> fmt::Display for Bucket<C> {
    /// Go's `Bucket.String()`: `(0.5,1]:3`, brackets for inclusive bounds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{},{}{}:{}",
            if self.lower_inclusive { '[' } else { '(' },
            format_g(self.lower),
            format_g(self.upper),
            if self.upper_inclusive { ']' } else { ')' },
            self.count.go_fmt()
        )
    }
}

/// The bucket indices a span list describes, in order (zero-length spans
/// only add their offsets), as Prometheus' bucket iterators compute them
/// (32-bit, wrapping).
#[derive(Clone, Debug)]
pub struct SpanIndices<'a> {
    spans: &'a [Span],
    span: usize,
    in_span: u32,
    idx: i32,
    started: bool,
}

impl<'a> SpanIndices<'a> {
    /// The indices of `spans`.
    pub fn new(spans: &'a [Span]) -> Self {
        SpanIndices {
            spans,
            span: 0,
            in_span: 0,
            idx: 0,
            started: false,
        }
    }
}

impl Iterator for SpanIndices<'_> {
    type Item = i32;

    fn next(&mut self) -> Option<i32> {
        let first = self.spans.get(self.span)?;
        if self.started {
            self.idx = self.idx.wrapping_add(1);
        } else {
            self.idx = first.offset;
            self.started = true;
        }
        while self.in_span >= self.spans[self.span].length {
            self.in_span = 0;
            self.span += 1;
            let s = self.spans.get(self.span)?;
            self.idx = self.idx.wrapping_add(s.offset);
        }
        self.in_span += 1;
        Some(self.idx)
    }
}

/// Total number of buckets `spans` describe, `None` if it overflows
/// `usize`.
pub fn count_buckets(spans: &[Span]) -> Option<usize> {
    spans
        .iter()
        .try_fold(0usize, |n, s| n.checked_add(s.length as usize))
}

/// Absolute counts of delta-encoded integer buckets (wrapping, as Go).
fn absolute(deltas: &[i64]) -> impl Iterator<Item = i64> + '_ {
    deltas.iter().scan(0i64, |cur, &d| {
        *cur = cur.wrapping_add(d);
        Some(*cur)
    })
}

/// Buckets of one sign with their boundaries, in index order.
fn buckets_of<'a, C: Copy + 'a>(
    spans: &'a [Span],
    counts: impl Iterator<Item = C> + 'a,
    schema: i32,
    positive: bool,
) -> impl Iterator<Item = Bucket<C>> + 'a {
    SpanIndices::new(spans)
        .zip(counts)
        .map(move |(i, c)| Bucket::at(i, schema, positive, c))
}

/// Go's `String()` of a histogram: count, sum, then the non-empty buckets
/// from the lowest to the highest (negative, zero, positive).
fn go_string<C: GoCount + PartialEq + Default>(
    f: &mut fmt::Formatter<'_>,
    count: String,
    sum: f64,
    neg: impl Iterator<Item = Bucket<C>>,
    zero: Option<Bucket<C>>,
    pos: impl Iterator<Item = Bucket<C>>,
) -> fmt::Result {
    write!(f, "{{count:{count}, sum:{}", format_g(sum))?;
    let empty = C::default();
    let neg: Vec<_> = neg.filter(|b| b.count != empty).collect();
    for b in neg.iter().rev() {
        write!(f, ", {b}")?;
    }
    if let Some(z) = zero.filter(|z| z.count != empty) {
        write!(f, ", {z}")?;
    }
    for b in pos.filter(|b| b.count != empty) {
        write!(f, ", {b}")?;
    }
    f.write_str("}")
}

fn zero_bucket<C>(threshold: f64, count: C) -> Bucket<C> {
    Bucket {
        lower: -threshold,
        upper: threshold,
        lower_inclusive: true,
        upper_inclusive: true,
        count,
        index: 0,
    }
}

/// Keeps the buckets whose count is not `is_empty`, re-deriving the spans
/// (Prometheus' `compactBuckets`): runs of up to `max_empty` empty buckets
/// between populated ones stay (gaps up to that size between spans are
/// filled with empty buckets), longer runs split spans, and empty buckets
/// at the ends go. The resulting spans never have zero length or a zero
/// offset after the first.
fn compact_layout<C: Copy>(
    spans: &[Span],
    counts: &[C],
    is_empty: impl Fn(C) -> bool,
    empty: C,
    max_empty: u32,
) -> (Vec<Span>, Vec<C>) {
    let mut out_spans: Vec<Span> = Vec::new();
    let mut out: Vec<C> = Vec::new();
    let mut last: Option<i32> = None;
    for (idx, &c) in SpanIndices::new(spans).zip(counts) {
        if is_empty(c) {
            continue;
        }
        match last {
            Some(l) => {
                let gap = i64::from(idx) - i64::from(l) - 1;
                if (0..=i64::from(max_empty)).contains(&gap) {
                    // Same span, filling the gap.
                    for _ in 0..gap {
                        out.push(empty);
                    }
                    if let Some(s) = out_spans.last_mut() {
                        s.length = s.length.wrapping_add(gap as u32).wrapping_add(1);
                    }
                } else {
                    out_spans.push(Span::new(gap as i32, 1));
                }
            }
            None => out_spans.push(Span::new(idx, 1)),
        }
        out.push(c);
        last = Some(idx);
    }
    (out_spans, out)
}

impl Histogram {
    /// A stale marker: `sum` is the stale NaN, all else empty.
    pub fn stale() -> Self {
        Histogram {
            sum: f64::from_bits(STALE_NAN_BITS),
            ..Histogram::default()
        }
    }

    /// Whether this sample is a stale marker (`sum` has the stale NaN bits).
    pub fn is_stale(&self) -> bool {
        self.sum.to_bits() == STALE_NAN_BITS
    }

    /// Absolute counts of the positive buckets, in span order.
    pub fn positive_counts(&self) -> Vec<u64> {
        absolute(&self.positive_buckets).map(|c| c as u64).collect()
    }

    /// Absolute counts of the negative buckets, in span order.
    pub fn negative_counts(&self) -> Vec<u64> {
        absolute(&self.negative_buckets).map(|c| c as u64).collect()
    }

    /// The zero bucket `[-zero_threshold, zero_threshold]`.
    pub fn zero_bucket(&self) -> Bucket<u64> {
        zero_bucket(self.zero_threshold, self.zero_count)
    }

    /// The positive buckets in ascending order of their bounds (Prometheus'
    /// `PositiveBucketIterator`). Stops early if there are fewer buckets than
    /// the spans describe.
    pub fn positive_bucket_iter(&self) -> impl Iterator<Item = Bucket<u64>> + '_ {
        buckets_of(
            &self.positive_spans,
            absolute(&self.positive_buckets).map(|c| c as u64),
            self.schema,
            true,
        )
    }

    /// The negative buckets in index order, i.e. descending values (lower
    /// bound `-bound(i)`, upper `-bound(i-1)`; Prometheus'
    /// `NegativeBucketIterator`).
    pub fn negative_bucket_iter(&self) -> impl Iterator<Item = Bucket<u64>> + '_ {
        buckets_of(
            &self.negative_spans,
            absolute(&self.negative_buckets).map(|c| c as u64),
            self.schema,
            false,
        )
    }

    /// Go's `Histogram.ToFloat()`: the same histogram with float counts
    /// (bucket counts are running float sums of the deltas).
    pub fn to_float(&self) -> FloatHistogram {
        let run = |d: &[i64]| {
            let mut cur = 0f64;
            d.iter()
                .map(|&x| {
                    cur += x as f64;
                    cur
                })
                .collect()
        };
        FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            zero_count: self.zero_count as f64,
            count: self.count as f64,
            sum: self.sum,
            positive_spans: self.positive_spans.clone(),
            negative_spans: self.negative_spans.clone(),
            positive_buckets: run(&self.positive_buckets),
            negative_buckets: run(&self.negative_buckets),
        }
    }

    /// The float histogram a Prometheus 2.42 chunk iterator gives for this
    /// sample (`AtFloatHistogram`, what queries see): bucket counts are the
    /// absolute integer counts converted to float (unlike
    /// [`Histogram::to_float`], which sums converted deltas; the two differ
    /// only for counts above 2^53).
    pub fn to_float_from_absolute(&self) -> FloatHistogram {
        let conv = |d: &[i64]| absolute(d).map(|c| c as f64).collect();
        FloatHistogram {
            positive_buckets: conv(&self.positive_buckets),
            negative_buckets: conv(&self.negative_buckets),
            ..self.to_float()
        }
    }

    /// Removes empty buckets as Prometheus' `Histogram.Compact` (which the
    /// scrape applies with `max_empty_buckets = 0`): see [`FloatHistogram::compact`].
    pub fn compact(&mut self, max_empty_buckets: u32) {
        for (spans, buckets) in [
            (&mut self.positive_spans, &mut self.positive_buckets),
            (&mut self.negative_spans, &mut self.negative_buckets),
        ] {
            let abs: Vec<i64> = absolute(buckets).collect();
            let (s, a) = compact_layout(spans, &abs, |c| c == 0, 0, max_empty_buckets);
            let mut prev = 0i64;
            *buckets = a
                .iter()
                .map(|&c| {
                    let d = c.wrapping_sub(prev);
                    prev = c;
                    d
                })
                .collect();
            *spans = s;
        }
    }
}

impl FloatHistogram {
    /// A stale marker: `sum` is the stale NaN, all else empty.
    pub fn stale() -> Self {
        FloatHistogram {
            sum: f64::from_bits(STALE_NAN_BITS),
            ..FloatHistogram::default()
        }
    }

    /// Whether this sample is a stale marker (`sum` has the stale NaN bits).
    pub fn is_stale(&self) -> bool {
        self.sum.to_bits() == STALE_NAN_BITS
    }

    /// The zero bucket `[-zero_threshold, zero_threshold]`.
    pub fn zero_bucket(&self) -> Bucket<f64> {
        zero_bucket(self.zero_threshold, self.zero_count)
    }

    /// The positive buckets in ascending order (Prometheus'
    /// `PositiveBucketIterator`).
    pub fn positive_bucket_iter(&self) -> impl Iterator<Item = Bucket<f64>> + '_ {
        buckets_of(
            &self.positive_spans,
            self.positive_buckets.iter().copied(),
            self.schema,
            true,
        )
    }

    /// The negative buckets in index order, i.e. descending values
    /// (Prometheus' `NegativeBucketIterator`).
    pub fn negative_bucket_iter(&self) -> impl Iterator<Item = Bucket<f64>> + '_ {
        buckets_of(
            &self.negative_spans,
            self.negative_buckets.iter().copied(),
            self.schema,
            false,
        )
    }

    /// All buckets from the lowest to the highest value, as Prometheus'
    /// `AllBucketIterator` (which the HTTP API's JSON lists, skipping empty
    /// ones): negative buckets, the zero bucket if its count is above 0,
    /// positive buckets; a negative (positive) bucket overlapping the zero
    /// bucket has its upper (lower) bound clipped to the zero threshold.
    pub fn all_buckets(&self) -> Vec<Bucket<f64>> {
        let mut out: Vec<Bucket<f64>> = self.negative_bucket_iter().collect();
        out.reverse();
        for b in &mut out {
            if b.upper > -self.zero_threshold {
                b.upper = -self.zero_threshold;
            }
        }
        if self.zero_count > 0.0 {
            out.push(self.zero_bucket());
        }
        out.extend(self.positive_bucket_iter().map(|mut b| {
            if b.lower < self.zero_threshold {
                b.lower = self.zero_threshold;
            }
            b
        }));
        out
    }

    /// Removes empty (`== 0`) buckets as Prometheus' `Compact`: runs of up
    /// to `max_empty_buckets` empty buckets between populated ones stay
    /// (smaller gaps between spans are filled with empty buckets), longer
    /// runs split spans, empty buckets at either end go, and spans are
    /// merged or dropped so that none has zero length or a zero offset
    /// after the first.
    pub fn compact(&mut self, max_empty_buckets: u32) {
        for (spans, buckets) in [
            (&mut self.positive_spans, &mut self.positive_buckets),
            (&mut self.negative_spans, &mut self.negative_buckets),
        ] {
            let (s, b) = compact_layout(spans, buckets, |c| c == 0.0, 0.0, max_empty_buckets);
            *spans = s;
            *buckets = b;
        }
    }
}

impl fmt::Display for Histogram {
    /// Go's `Histogram.String()`, e.g. `{count:6, sum:7.5, [-2,-1):1,
    /// [-0.001,0.001]:2, (1,2]:3}` (empty buckets left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        go_string(
            f,
            self.count.to_string(),
            self.sum,
            self.negative_bucket_iter(),
            Some(self.zero_bucket()),
            self.positive_bucket_iter(),
        )
    }
}

impl fmt::Display for FloatHistogram {
    /// Go's `FloatHistogram.String()`, as [`Histogram`]'s with `%g` counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        go_string(
            f,
            format_g(self.count),
            self.sum,
            self.negative_bucket_iter(),
            Some(self.zero_bucket()),
            self.positive_bucket_iter(),
        )
    }
}

#[cfg(test)]
mod tests;
