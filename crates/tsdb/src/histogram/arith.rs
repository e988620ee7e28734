//! Native histogram arithmetic as Prometheus 2.42 does it
//! (`model/histogram/float_histogram.go`, `generic.go`), ported statement by statement so
//! that results are bit-identical: the bucket layouts (spans) that `Add`, `Sub`,
//! `CopyToSchema` and `Compact` produce, the order in which counts are added, and
//! `DetectReset`. PromQL (`mnemos_promql`) and downsampling (`mnemos_compact`) share it.

use super::{bucket_bound, FloatHistogram, Span};

/// One bucket (Go's `histogram.Bucket[float64]`).
pub type Bucket = super::Bucket<f64>;

/// Go's `baseBucketIterator.At()`: bounds from `schema` (the histogram's own schema, also
/// for iterators merging to a lower target schema, whose bounds 2.42 never uses).
fn bucket_at(idx: i32, schema: i32, positive: bool, count: f64) -> Bucket {
    Bucket::at(idx, schema, positive, count)
}

/// Go's `floatBucketIterator`: the buckets of one sign in ascending index order, merged to
/// `target` schema (≤ the histogram's), skipping buckets whose upper bound (in the target
/// schema) is ≤ `abs_start`.
pub struct FwdIter<'a> {
    spans: &'a [Span],
    buckets: &'a [f64],
    schema: i32,
    target: i32,
    positive: bool,
    abs_start: f64,
    spans_idx: usize,
    idx_in_span: u32,
    buckets_idx: usize,
    orig_idx: i32,
    curr_idx: i32,
    curr_count: f64,
}

impl<'a> FwdIter<'a> {
    /// The buckets of `h` of one sign (`positive`) merged to schema `target`, from the
    /// first whose upper bound exceeds `abs_start`.
    pub fn new(h: &'a FloatHistogram, positive: bool, abs_start: f64, target: i32) -> Self {
        // Go panics for a target above the schema; callers never ask for one.
        let target = target.min(h.schema);
        let (spans, buckets) = if positive {
            (&h.positive_spans[..], &h.positive_buckets[..])
        } else {
            (&h.negative_spans[..], &h.negative_buckets[..])
        };
        FwdIter {
            spans,
            buckets,
            schema: h.schema,
            target,
            positive,
            abs_start,
            spans_idx: 0,
            idx_in_span: 0,
            buckets_idx: 0,
            orig_idx: 0,
            curr_idx: 0,
            curr_count: 0.0,
        }
    }

    fn target_idx(&self, idx: i32) -> i32 {
        if self.schema == self.target {
            return idx;
        }
        let shift = (self.schema - self.target) as u32;
        (idx.wrapping_sub(1) >> shift.min(31)).wrapping_add(1)
    }
}

impl Iterator for FwdIter<'_> {
    type Item = Bucket;

    fn next(&mut self) -> Option<Bucket> {
        loop {
            if self.spans_idx >= self.spans.len() {
                return None;
            }
            let (mut orig_idx, mut spans_idx, mut idx_in_span) =
                (self.orig_idx, self.spans_idx, self.idx_in_span);
            let mut span = self.spans[spans_idx];
            let mut first_pass = true;
            self.curr_count = 0.0;
            'merge: loop {
                if self.buckets_idx == 0 {
                    orig_idx = span.offset;
                } else {
                    orig_idx = orig_idx.wrapping_add(1);
                }
                while idx_in_span >= span.length {
                    idx_in_span = 0;
                    spans_idx += 1;
                    if spans_idx >= self.spans.len() {
                        if first_pass {
                            return None;
                        }
                        break 'merge;
                    }
                    span = self.spans[spans_idx];
                    orig_idx = orig_idx.wrapping_add(span.offset);
                }
                let curr = self.target_idx(orig_idx);
                if first_pass {
                    self.curr_idx = curr;
                    first_pass = false;
                } else if curr != self.curr_idx {
                    break 'merge;
                }
                // Fewer buckets than the spans describe: Go would panic; stop instead.
                let Some(&c) = self.buckets.get(self.buckets_idx) else {
                    self.spans_idx = self.spans.len();
                    return None;
                };
                self.curr_count += c;
                idx_in_span += 1;
                self.buckets_idx += 1;
                self.orig_idx = orig_idx;
                self.spans_idx = spans_idx;
                self.idx_in_span = idx_in_span;
                if self.schema == self.target {
                    break 'merge;
                }
            }
            if bucket_bound(self.curr_idx, self.target) <= self.abs_start {
                continue;
            }
            return Some(bucket_at(
                self.curr_idx,
                self.schema,
                self.positive,
                self.curr_count,
            ));
        }
    }
}

/// Go's `addBucket`: adds bucket `b` after the coordinates of the last one handled,
/// inserting it (and spans) when missing. Returns the new coordinates.
#[allow(clippy::too_many_arguments)]
fn add_bucket(
    b: Bucket,
    spans: &mut Vec<Span>,
    buckets: &mut Vec<f64>,
    mut i_span: isize,
    mut i_bucket: usize,
    mut i_in_span: i32,
    mut index: i32,
) -> (isize, usize, i32) {
    if i_span == -1 {
        if spans.is_empty() || spans[0].offset > b.index {
            buckets.insert(0, b.count);
            if !spans.is_empty() && spans[0].offset == b.index.wrapping_add(1) {
                spans[0].length = spans[0].length.wrapping_add(1);
                spans[0].offset = spans[0].offset.wrapping_sub(1);
                return (0, 0, 0);
            }
            spans.insert(0, Span::new(b.index, 1));
            if spans.len() > 1 {
                spans[1].offset = spans[1].offset.wrapping_sub(b.index.wrapping_add(1));
            }
            return (0, 0, 0);
        }
        if spans[0].offset == b.index {
            if let Some(first) = buckets.first_mut() {
                *first += b.count;
            }
            return (0, 0, 0);
        }
        i_span = 0;
        i_bucket = 0;
        i_in_span = 0;
        index = spans[0].offset;
    }
    let mut delta_index = b.index.wrapping_sub(index);
    loop {
        let s = i_span as usize;
        let remaining_in_span = (spans[s].length as i32).wrapping_sub(i_in_span);
        if delta_index < remaining_in_span {
            i_bucket = i_bucket.wrapping_add(delta_index as isize as usize);
            i_in_span = i_in_span.wrapping_add(delta_index);
            if let Some(c) = buckets.get_mut(i_bucket) {
                *c += b.count;
            }
            return (i_span, i_bucket, i_in_span);
        }
        delta_index = delta_index.wrapping_sub(remaining_in_span);
        i_bucket = i_bucket.wrapping_add(remaining_in_span as isize as usize);
        i_span += 1;
        let s = i_span as usize;
        if s == spans.len() || delta_index < spans[s].offset {
            let at = i_bucket.min(buckets.len());
            buckets.insert(at, b.count);
            if delta_index == 0 {
                if s < spans.len() {
                    spans[s].offset = spans[s].offset.wrapping_sub(1);
                }
                i_span -= 1;
                let p = i_span as usize;
                i_in_span = spans[p].length as i32;
                spans[p].length = spans[p].length.wrapping_add(1);
                return (i_span, i_bucket, i_in_span);
            }
            if s < spans.len() && delta_index == spans[s].offset.wrapping_sub(1) {
                spans[s].offset = spans[s].offset.wrapping_sub(1);
                spans[s].length = spans[s].length.wrapping_add(1);
                return (i_span, i_bucket, 0);
            }
            if s < spans.len() {
                spans[s].offset = spans[s].offset.wrapping_sub(delta_index.wrapping_add(1));
            }
            spans.insert(s, Span::new(delta_index, 1));
            return (i_span, i_bucket, 0);
        }
        delta_index = delta_index.wrapping_sub(spans[s].offset);
        i_in_span = 0;
    }
}

/// Adds (or, with `negate`, subtracts) the buckets `src` yields into one sign of `h`.
fn add_buckets(spans: &mut Vec<Span>, buckets: &mut Vec<f64>, src: Vec<Bucket>, negate: bool) {
    let (mut i_span, mut i_bucket, mut i_in_span, mut index) = (-1isize, 0usize, 0i32, 0i32);
    for mut b in src {
        if negate {
            b.count *= -1.0;
        }
        (i_span, i_bucket, i_in_span) =
            add_bucket(b, spans, buckets, i_span, i_bucket, i_in_span, index);
        index = b.index;
    }
}

/// Go's `CopyToSchema`: a copy with buckets merged to the lower `target` schema (the
/// counter reset hint is not copied when the schema changes, as in Go).
pub fn copy_to_schema(h: &FloatHistogram, target: i32) -> FloatHistogram {
    if target >= h.schema {
        return h.clone();
    }
    let mut c = FloatHistogram {
        schema: target,
        zero_threshold: h.zero_threshold,
        zero_count: h.zero_count,
        count: h.count,
        sum: h.sum,
        ..FloatHistogram::default()
    };
    let pos: Vec<Bucket> = FwdIter::new(h, true, 0.0, target).collect();
    add_buckets(&mut c.positive_spans, &mut c.positive_buckets, pos, false);
    let neg: Vec<Bucket> = FwdIter::new(h, false, 0.0, target).collect();
    add_buckets(&mut c.negative_spans, &mut c.negative_buckets, neg, false);
    c
}

/// Go's `Scale`.
pub fn scale(h: &mut FloatHistogram, factor: f64) {
    h.zero_count *= factor;
    h.count *= factor;
    h.sum *= factor;
    for b in &mut h.positive_buckets {
        *b *= factor;
    }
    for b in &mut h.negative_buckets {
        *b *= factor;
    }
}

/// Whether `h` and `other` have one bucket layout (schema, zero threshold, spans) with
/// every bucket above the zero bucket: then Go's `Add`/`Sub` only add the bucket counts in
/// place, which [`add_or_sub`] does without its bucket iterators (same additions, same
/// order, same result bits).
fn same_layout(h: &FloatHistogram, other: &FloatHistogram) -> bool {
    // Ascending indices (later spans never go back), the lowest bucket above the zero
    // bucket (Go's iterator skips those below).
    let above_zero = |spans: &[Span]| {
        spans.iter().skip(1).all(|s| s.offset >= 0)
            && spans
                .first()
                .is_none_or(|s| bucket_bound(s.offset, h.schema) > h.zero_threshold)
    };
    h.schema == other.schema
        && h.zero_threshold == other.zero_threshold
        && h.positive_spans == other.positive_spans
        && h.negative_spans == other.negative_spans
        && super::count_buckets(&h.positive_spans) == Some(h.positive_buckets.len())
        && super::count_buckets(&h.negative_spans) == Some(h.negative_buckets.len())
        && h.positive_buckets.len() == other.positive_buckets.len()
        && h.negative_buckets.len() == other.negative_buckets.len()
        && above_zero(&h.positive_spans)
        && above_zero(&h.negative_spans)
}

/// Go's `Add` (`negate`: `Sub`): `other`'s schema must be ≥ `h`'s.
fn add_or_sub(h: &mut FloatHistogram, other: &FloatHistogram, negate: bool) {
    if same_layout(h, other) {
        let sign = if negate { -1.0 } else { 1.0 };
        h.zero_count += sign * other.zero_count;
        h.count += sign * other.count;
        h.sum += sign * other.sum;
        for (b, o) in h
            .positive_buckets
            .iter_mut()
            .zip(&other.positive_buckets)
            .chain(h.negative_buckets.iter_mut().zip(&other.negative_buckets))
        {
            *b += sign * o;
        }
        return;
    }
    add_or_sub_general(h, other, negate);
}

/// Go's `Add`/`Sub` statement by statement, for any two layouts.
fn add_or_sub_general(h: &mut FloatHistogram, other: &FloatHistogram, negate: bool) {
    let other_zero_count = reconcile_zero_buckets(h, other);
    if negate {
        h.zero_count -= other_zero_count;
        h.count -= other.count;
        h.sum -= other.sum;
    } else {
        h.zero_count += other_zero_count;
        h.count += other.count;
        h.sum += other.sum;
    }
    let pos: Vec<Bucket> = FwdIter::new(other, true, h.zero_threshold, h.schema).collect();
    add_buckets(&mut h.positive_spans, &mut h.positive_buckets, pos, negate);
    let neg: Vec<Bucket> = FwdIter::new(other, false, h.zero_threshold, h.schema).collect();
    add_buckets(&mut h.negative_spans, &mut h.negative_buckets, neg, negate);
}

/// Go's `h.Add(other)` (in place).
pub fn add(h: &mut FloatHistogram, other: &FloatHistogram) {
    add_or_sub(h, other, false);
}

/// Go's `h.Sub(other)` (in place).
pub fn sub(h: &mut FloatHistogram, other: &FloatHistogram) {
    add_or_sub(h, other, true);
}

/// The sum of two histograms as PromQL 2.42 adds them (binary `+`, `sum`): the one with
/// the lower (or equal) schema is copied and the other added to it.
pub fn sum_of(lhs: &FloatHistogram, rhs: &FloatHistogram) -> FloatHistogram {
    if rhs.schema >= lhs.schema {
        let mut h = lhs.clone();
        add(&mut h, rhs);
        h
    } else {
        let mut h = rhs.clone();
        add(&mut h, lhs);
        h
    }
}

/// Go's `zeroCountForLargerThreshold`.
fn zero_count_for_larger_threshold(h: &FloatHistogram, mut larger: f64) -> (f64, f64) {
    if larger == h.zero_threshold {
        return (h.zero_count, larger);
    }
    // Go panics for a smaller threshold; callers never pass one.
    'outer: loop {
        let mut count = h.zero_count;
        for b in FwdIter::new(h, true, 0.0, h.schema) {
            if b.lower >= larger {
                break;
            }
            count += b.count;
            if b.upper > larger {
                if b.count != 0.0 {
                    larger = b.upper;
                }
                break;
            }
        }
        for b in FwdIter::new(h, false, 0.0, h.schema) {
            if b.upper <= -larger {
                break;
            }
            count += b.count;
            if b.lower < -larger {
                if b.count != 0.0 {
                    larger = -b.lower;
                    continue 'outer;
                }
                break;
            }
        }
        return (count, larger);
    }
}

/// Go's `trimBucketsInZeroBucket`.
fn trim_buckets_in_zero_bucket(h: &mut FloatHistogram) {
    let zt = h.zero_threshold;
    let n_pos = FwdIter::new(h, true, 0.0, h.schema)
        .take_while(|b| b.lower < zt)
        .count();
    let n_neg = FwdIter::new(h, false, 0.0, h.schema)
        .take_while(|b| b.upper > -zt)
        .count();
    for b in h.positive_buckets.iter_mut().take(n_pos) {
        *b = 0.0;
    }
    for b in h.negative_buckets.iter_mut().take(n_neg) {
        *b = 0.0;
    }
    compact(h);
}

/// Go's `reconcileZeroBuckets`: widens `h`'s zero bucket to `other`'s if needed and
/// returns the zero count `other` has at the common threshold.
fn reconcile_zero_buckets(h: &mut FloatHistogram, other: &FloatHistogram) -> f64 {
    let mut other_zero_count = other.zero_count;
    let mut other_zero_threshold = other.zero_threshold;
    // NaN thresholds never compare equal: Go would loop forever; stop after a pass.
    let mut passes = 0;
    while other_zero_threshold != h.zero_threshold && passes < 64 {
        passes += 1;
        if h.zero_threshold > other_zero_threshold {
            (other_zero_count, other_zero_threshold) =
                zero_count_for_larger_threshold(other, h.zero_threshold);
        }
        if other_zero_threshold > h.zero_threshold {
            let (c, t) = zero_count_for_larger_threshold(h, other_zero_threshold);
            h.zero_count = c;
            h.zero_threshold = t;
            trim_buckets_in_zero_bucket(h);
        }
    }
    other_zero_count
}

/// Go's `Compact(0)`: drops empty buckets (and zero-length spans), merging what remains.
pub fn compact(h: &mut FloatHistogram) {
    let (b, s) = compact_buckets(
        std::mem::take(&mut h.positive_buckets),
        std::mem::take(&mut h.positive_spans),
    );
    h.positive_buckets = b;
    h.positive_spans = s;
    let (b, s) = compact_buckets(
        std::mem::take(&mut h.negative_buckets),
        std::mem::take(&mut h.negative_spans),
    );
    h.negative_buckets = b;
    h.negative_spans = s;
}

/// Go's `compactBuckets` for absolute float buckets and `maxEmptyBuckets == 0`.
fn compact_buckets(mut buckets: Vec<f64>, mut spans: Vec<Span>) -> (Vec<f64>, Vec<Span>) {
    // Fast path: no empty bucket, no span offset ≤ 0, no zero-length span.
    if buckets.iter().all(|&b| b != 0.0) && spans.iter().all(|s| s.offset > 0 && s.length != 0) {
        return (buckets, spans);
    }
    // Merge spans with zero offset.
    let mut i_span = 0usize;
    if spans.len() > 1 {
        for i in 0..spans.len() - 1 {
            let span = spans[i + 1];
            if span.offset == 0 {
                spans[i_span].length = spans[i_span].length.wrapping_add(span.length);
                continue;
            }
            i_span += 1;
            if i + 1 != i_span {
                spans[i_span] = span;
            }
        }
        spans.truncate(i_span + 1);
        i_span = 0;
    }
    // Merge spans with zero length.
    for i in 0..spans.len() {
        let span = spans[i];
        if span.length == 0 {
            if i + 1 < spans.len() {
                spans[i + 1].offset = spans[i + 1].offset.wrapping_add(span.offset);
            }
            continue;
        }
        if i != i_span {
            spans[i_span] = span;
        }
        i_span += 1;
    }
    spans.truncate(i_span);
    i_span = 0;

    let mut i_bucket = 0usize;
    let mut pos_in_span: u32 = 0;
    while i_bucket < buckets.len() {
        if i_span >= spans.len() {
            // More buckets than spans describe (Go would panic): drop the rest.
            buckets.truncate(i_bucket);
            break;
        }
        // emptyBucketsHere.
        let n_empty = {
            let mut i = 0usize;
            let mut abs = buckets[i_bucket];
            while (i as u32).wrapping_add(pos_in_span) < spans[i_span].length && abs == 0.0 {
                i += 1;
                if i + i_bucket >= buckets.len() {
                    break;
                }
                abs = buckets[i + i_bucket];
            }
            i
        };
        if n_empty > 0 {
            let end = (i_bucket + n_empty).min(buckets.len());
            buckets.drain(i_bucket..end);
            let n = n_empty as u32;
            if pos_in_span == 0 {
                if n == spans[i_span].length {
                    let offset = spans[i_span].offset;
                    spans.remove(i_span);
                    if spans.len() > i_span {
                        spans[i_span].offset = spans[i_span]
                            .offset
                            .wrapping_add(offset)
                            .wrapping_add(n as i32);
                    }
                    continue;
                }
                spans[i_span].length = spans[i_span].length.wrapping_sub(n);
                spans[i_span].offset = spans[i_span].offset.wrapping_add(n as i32);
                continue;
            }
            let new_span = Span::new(
                n as i32,
                spans[i_span]
                    .length
                    .wrapping_sub(pos_in_span)
                    .wrapping_sub(n),
            );
            spans[i_span].length = pos_in_span;
            i_span += 1;
            pos_in_span = 0;
            if new_span.length == 0 {
                if i_span < spans.len() {
                    spans[i_span].offset = spans[i_span].offset.wrapping_add(n as i32);
                }
                continue;
            }
            spans.insert(i_span.min(spans.len()), new_span);
            continue;
        }
        i_bucket += 1;
        pos_in_span += 1;
        if pos_in_span >= spans[i_span].length {
            pos_in_span = 0;
            i_span += 1;
        }
    }
    (buckets, spans)
}

/// Go's `DetectReset`: whether `curr` is a counter reset after `prev`.
pub fn detect_reset(curr: &FloatHistogram, prev: &FloatHistogram) -> bool {
    if curr.count < prev.count {
        return true;
    }
    if same_layout(curr, prev) {
        // Go's comparisons below, bucket by bucket in place.
        return curr.zero_count < prev.zero_count
            || curr
                .positive_buckets
                .iter()
                .zip(&prev.positive_buckets)
                .chain(curr.negative_buckets.iter().zip(&prev.negative_buckets))
                .any(|(c, p)| c < p);
    }
    if curr.schema > prev.schema {
        return true;
    }
    if curr.zero_threshold < prev.zero_threshold {
        return true;
    }
    let (prev_zero_count, new_threshold) =
        zero_count_for_larger_threshold(prev, curr.zero_threshold);
    if new_threshold != curr.zero_threshold {
        return true;
    }
    if curr.zero_count < prev_zero_count {
        return true;
    }
    let zt = curr.zero_threshold;
    for positive in [true, false] {
        let c = FwdIter::new(curr, positive, zt, curr.schema);
        let p = FwdIter::new(prev, positive, zt, curr.schema);
        if detect_reset_buckets(c, p) {
            return true;
        }
    }
    false
}

/// Go's `detectReset` over two bucket iterators.
fn detect_reset_buckets(
    mut curr: impl Iterator<Item = Bucket>,
    mut prev: impl Iterator<Item = Bucket>,
) -> bool {
    let Some(mut pb) = prev.next() else {
        return false;
    };
    let Some(mut cb) = curr.next() else {
        loop {
            if pb.count != 0.0 {
                return true;
            }
            match prev.next() {
                Some(b) => pb = b,
                None => return false,
            }
        }
    };
    loop {
        while cb.index < pb.index {
            match curr.next() {
                Some(b) => cb = b,
                None => loop {
                    if pb.count != 0.0 {
                        return true;
                    }
                    match prev.next() {
                        Some(b) => pb = b,
                        None => return false,
                    }
                },
            }
        }
        if cb.index > pb.index {
            if pb.count != 0.0 {
                return true;
            }
        } else if cb.count < pb.count {
            return true;
        }
        match prev.next() {
            Some(b) => pb = b,
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A histogram of schema 1 with buckets at the given positive and negative spans and
    /// counts from `seed`.
    fn hist(seed: u64, zero_threshold: f64) -> FloatHistogram {
        let mut x = seed;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) % 1000) as f64 / 7.0
        };
        FloatHistogram {
            schema: 1,
            zero_threshold,
            zero_count: next(),
            count: next(),
            sum: next(),
            positive_spans: vec![Span::new(-3, 2), Span::new(0, 1), Span::new(4, 3)],
            negative_spans: vec![Span::new(2, 2)],
            positive_buckets: (0..6).map(|_| next()).collect(),
            negative_buckets: (0..2).map(|_| next()).collect(),
            ..FloatHistogram::default()
        }
    }

    #[test]
    fn same_layout_fast_paths_match_go() {
        for seed in 0..200u64 {
            let (a, b) = (hist(seed, 1e-128), hist(seed + 1000, 1e-128));
            assert!(same_layout(&a, &b));
            for negate in [false, true] {
                let (mut fast, mut general) = (a.clone(), a.clone());
                add_or_sub(&mut fast, &b, negate);
                add_or_sub_general(&mut general, &b, negate);
                assert_eq!(format!("{fast:?}"), format!("{general:?}"), "seed {seed}");
            }
        }
        // Buckets inside the zero bucket: Go's iterators skip them, so no fast path.
        let (a, b) = (hist(1, 0.4), hist(2, 0.4));
        assert!(!same_layout(&a, &b));
    }

    #[test]
    fn same_layout_reset_detection_matches_go() {
        for seed in 0..200u64 {
            let prev = hist(seed, 1e-128);
            let mut curr = prev.clone();
            curr.count += 1.0;
            let i = (seed % 9) as usize;
            // Grow every bucket, or shrink one of them (or the zero bucket).
            for (j, b) in curr
                .positive_buckets
                .iter_mut()
                .chain(&mut curr.negative_buckets)
                .enumerate()
            {
                *b += if j == i && seed % 2 == 0 { -0.5 } else { 1.0 };
            }
            if i == 8 && seed % 2 == 0 {
                curr.zero_count -= 0.5;
            }
            let mut other_layout = prev.clone();
            other_layout.positive_spans.push(Span::new(3, 1));
            other_layout.positive_buckets.push(0.0);
            assert_eq!(
                detect_reset(&curr, &prev),
                detect_reset(&curr, &other_layout),
                "seed {seed}"
            );
        }
    }
}
