//! Seeking in a replica's samples.

/// The index of the first sample after `t`, searching from `from`: galloping, since the
/// answer is almost always within a few samples.
pub(crate) fn first_after<V>(samples: &[(i64, V)], from: usize, t: i64) -> usize {
    let mut lo = from.min(samples.len());
    let mut hi = lo;
    let mut step = 1usize;
    while hi < samples.len() && samples[hi].0 <= t {
        lo = hi + 1;
        hi = hi.saturating_add(step);
        step = step.saturating_mul(2);
    }
    let hi = hi.min(samples.len());
    lo + samples[lo..hi].partition_point(|(st, _)| *st <= t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn galloping_search_finds_the_first_sample_after() {
        let s: Vec<(i64, f64)> = (0..100).map(|i| (i * 10, 0.0)).collect();
        for from in [0, 3, 50, 99, 100, 150] {
            for t in [-5, 0, 5, 10, 495, 500, 990, 991, 2000] {
                let from_c = from.min(s.len());
                let want = from_c + s[from_c..].partition_point(|x| x.0 <= t);
                assert_eq!(first_after(&s, from, t), want, "from {from} t {t}");
            }
        }
    }
}
