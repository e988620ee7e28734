//! Native histogram arithmetic as Prometheus 2.42 does it
//! (`model/histogram/float_histogram.go`, `generic.go`, `promql/quantile.go`), ported
//! statement by statement so that results are bit-identical: the bucket layouts (spans)
//! that `Add`, `Sub`, `CopyToSchema` and `Compact` produce, the order in which counts are
//! added, and the interpolation of `histogram_quantile` / `histogram_fraction`.
//!
//! Histograms are [`mnemos_tsdb::histogram::FloatHistogram`]s (float counts, absolute
//! buckets), as PromQL sees every histogram sample.
//!
//! The bucket arithmetic itself is `mnemos_tsdb::histogram::arith` (shared with
//! downsampling); this module adds what only PromQL needs.

use mnemos_tsdb::histogram::FloatHistogram;

pub(crate) use mnemos_tsdb::histogram::arith::{
    add, compact, copy_to_schema, detect_reset, scale, sub, sum_of, Bucket,
};

/// `rate`/`increase` (`is_counter`) or `delta` of histogram points, as 2.42's
/// `histogramRate`: `None` when any point is not a histogram. Not yet extrapolated.
pub(crate) fn histogram_rate(
    points: &[Option<&FloatHistogram>],
    is_counter: bool,
) -> Option<FloatHistogram> {
    let first = (*points.first()?)?;
    let last = (*points.last()?)?;
    let mut min_schema = first.schema.min(last.schema);
    if points.len() > 2 {
        for p in &points[1..points.len() - 1] {
            let curr = (*p)?;
            if is_counter && curr.schema < min_schema {
                min_schema = curr.schema;
            }
        }
    }
    let mut h = copy_to_schema(last, min_schema);
    sub(&mut h, first);
    if is_counter {
        let mut prev = first;
        for p in &points[1..] {
            let curr = (*p)?;
            if detect_reset(curr, prev) {
                add(&mut h, prev);
            }
            prev = curr;
        }
    }
    compact(&mut h);
    Some(h)
}

/// 2.42's `histogramQuantile` (linear interpolation within the bucket, 0 as the natural
/// bound of a zero bucket next to buckets of one sign only).
pub(crate) fn histogram_quantile(q: f64, h: &FloatHistogram) -> f64 {
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    if h.count == 0.0 || q.is_nan() {
        return f64::NAN;
    }
    let rank_total = q * h.count;
    let mut bucket = Bucket::default();
    let mut count = 0.0;
    for b in h.all_buckets() {
        bucket = b;
        count += b.count;
        if count >= rank_total {
            break;
        }
    }
    if bucket.lower < 0.0 && bucket.upper > 0.0 {
        if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
            bucket.lower = 0.0;
        } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
            bucket.upper = 0.0;
        }
    }
    if count > h.count {
        count = h.count;
    }
    if count < rank_total {
        return bucket.upper;
    }
    let rank = rank_total - (count - bucket.count);
    bucket.lower + (bucket.upper - bucket.lower) * (rank / bucket.count)
}

/// 2.42's `histogramFraction`: the estimated fraction of observations in
/// `[lower, upper]`.
pub(crate) fn histogram_fraction(lower: f64, upper: f64, h: &FloatHistogram) -> f64 {
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    for mut b in h.all_buckets() {
        if b.lower < 0.0 && b.upper > 0.0 {
            if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
                b.lower = 0.0;
            } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
                b.upper = 0.0;
            }
        }
        if !lower_set && b.lower >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && b.lower >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && b.lower < lower && b.upper > lower {
            lower_rank = rank + b.count * (lower - b.lower) / (b.upper - b.lower);
            lower_set = true;
        }
        if !upper_set && b.lower < upper && b.upper > upper {
            upper_rank = rank + b.count * (upper - b.lower) / (b.upper - b.lower);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank += b.count;
    }
    if !lower_set || lower_rank > h.count {
        lower_rank = h.count;
    }
    if !upper_set || upper_rank > h.count {
        upper_rank = h.count;
    }
    (upper_rank - lower_rank) / h.count
}

/// Compensated summation step (Prometheus' `kahanSumInc`).
fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    crate::functions::kahan_inc(inc, sum, c)
}

/// `histogram_stddev`/`histogram_stdvar` of later Prometheus versions (v2.50): the
/// variance of the observations estimated from the buckets, each bucket's observations
/// taken at its geometric mean (0 in the zero bucket).
pub(crate) fn histogram_variance(h: &FloatHistogram) -> f64 {
    let mean = h.sum / h.count;
    let (mut variance, mut c) = (0.0, 0.0);
    for b in h.all_buckets() {
        if b.count == 0.0 {
            continue;
        }
        let val = if b.lower <= 0.0 && b.upper >= 0.0 {
            0.0
        } else {
            let v = (b.upper * b.lower).sqrt();
            if b.upper < 0.0 {
                -v
            } else {
                v
            }
        };
        let delta = val - mean;
        (variance, c) = kahan_inc(b.count * delta * delta, variance, c);
    }
    (variance + c) / h.count
}

#[cfg(test)]
mod go_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::histogram::Span;

    fn fh(
        schema: i32,
        zt: f64,
        zc: f64,
        count: f64,
        sum: f64,
        pos: (&[Span], &[f64]),
        neg: (&[Span], &[f64]),
    ) -> FloatHistogram {
        FloatHistogram {
            schema,
            zero_threshold: zt,
            zero_count: zc,
            count,
            sum,
            positive_spans: pos.0.to_vec(),
            positive_buckets: pos.1.to_vec(),
            negative_spans: neg.0.to_vec(),
            negative_buckets: neg.1.to_vec(),
            ..FloatHistogram::default()
        }
    }

    fn s(o: i32, l: u32) -> Span {
        Span::new(o, l)
    }

    #[test]
    fn quantile_and_fraction() {
        // Buckets (0.5,1]:2 (1,2]:2 (2,4]:4, zero bucket [-0.001,0.001]:2.
        let h = fh(
            0,
            0.001,
            2.0,
            10.0,
            20.0,
            (&[s(0, 3)], &[2.0, 2.0, 4.0]),
            (&[], &[]),
        );
        assert_eq!(histogram_quantile(1.0, &h), 4.0);
        assert_eq!(histogram_quantile(0.0, &h), 0.0);
        // rank 5 in (1,2]: 1 + 1 * (1 / 2)
        assert_eq!(histogram_quantile(0.5, &h), 1.5);
        assert_eq!(histogram_quantile(-1.0, &h), f64::NEG_INFINITY);
        assert_eq!(histogram_quantile(1.5, &h), f64::INFINITY);
        assert!(histogram_quantile(f64::NAN, &h).is_nan());
        assert_eq!(
            histogram_fraction(f64::NEG_INFINITY, f64::INFINITY, &h),
            1.0
        );
        assert_eq!(histogram_fraction(1.0, 2.0, &h), 0.2);
        assert_eq!(histogram_fraction(2.0, 1.0, &h), 0.0);
        // Half of (2,4] by linear interpolation.
        assert_eq!(histogram_fraction(3.0, 4.0, &h), 0.2);
        let empty = FloatHistogram::default();
        assert!(histogram_quantile(0.5, &empty).is_nan());
        assert!(histogram_fraction(0.0, 1.0, &empty).is_nan());
    }
}
