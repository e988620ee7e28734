//! HA replica deduplication (DESIGN.md section 6).
//!
//! Series that are equal once the replica labels are dropped hold the same data scraped by
//! different Prometheus replicas. [`merge_replicas`] interleaves them into one series with
//! the *penalty* algorithm: it follows one replica as long as that replica keeps its scrape
//! rhythm and switches only across a gap, so the result has no duplicate samples and no
//! gaps where any replica has data.
//!
//! For counters (inputs of `rate`, `increase`, `irate`, `resets`) a switch to a replica whose
//! value is lower than the last emitted one would look like a counter reset and make a
//! spike; the replica is offset by the difference from then on instead.

#![deny(missing_docs)]

/// The penalty applied to the other replica after the first sample, when there is no
/// previous timestamp to measure the scrape interval from (ms).
pub const INITIAL_PENALTY_MS: i64 = 5000;

/// Merges replicas of one series (samples `(t ms, value)` in time order) into one.
///
/// `counter` turns on counter adjustment. Replicas are merged pairwise, left to right, so
/// the first replica wins ties.
pub fn merge_replicas(replicas: &[&[(i64, f64)]], counter: bool) -> Vec<(i64, f64)> {
    match replicas {
        [] => Vec::new(),
        [one] => one.to_vec(),
        [first, rest @ ..] => {
            let mut merged = first.to_vec();
            for next in rest {
                merged = merge_pair(&merged, next, counter);
            }
            merged
        }
    }
}

/// One replica's read position and counter offset.
struct Cursor<'a> {
    samples: &'a [(i64, f64)],
    pos: usize,
    penalty: i64,
    offset: f64,
}

impl<'a> Cursor<'a> {
    fn new(samples: &'a [(i64, f64)]) -> Self {
        Self {
            samples,
            pos: 0,
            penalty: 0,
            offset: 0.0,
        }
    }

    /// Drops the samples before `after` (already covered by the output), then looks at
    /// the first sample at or after `t` without moving past the ones before it: a
    /// penalty only delays a replica, it does not discard its samples.
    fn peek(&mut self, after: i64, t: i64) -> Option<(usize, (i64, f64))> {
        self.pos = first_at_or_after(self.samples, self.pos, after);
        let i = first_at_or_after(self.samples, self.pos, t);
        self.samples.get(i).map(|s| (i, *s))
    }
}

/// The index of the first sample at or after `t`, searching from `from`: galloping, since
/// the answer is almost always within a few samples.
fn first_at_or_after(samples: &[(i64, f64)], from: usize, t: i64) -> usize {
    let mut lo = from;
    let mut step = 1;
    let mut hi = from;
    while hi < samples.len() && samples[hi].0 < t {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    let hi = hi.min(samples.len());
    lo + samples[lo..hi].partition_point(|(st, _)| *st < t)
}

/// Merges two replicas with the penalty algorithm.
fn merge_pair(a: &[(i64, f64)], b: &[(i64, f64)], counter: bool) -> Vec<(i64, f64)> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let mut cursors = [Cursor::new(a), Cursor::new(b)];
    let mut last_t: Option<i64> = None;
    // The replica the last sample came from, and the last emitted non-NaN value.
    let mut current: Option<usize> = None;
    let mut last_value: Option<f64> = None;
    loop {
        let from = last_t.map_or(i64::MIN, |t| t + 1);
        let heads = [0, 1].map(|i| {
            let penalty = cursors[i].penalty;
            cursors[i].peek(from, from.saturating_add(penalty))
        });
        let take = match heads {
            [None, None] => break,
            [Some(_), None] => 0,
            [None, Some(_)] => 1,
            [Some((_, (ta, _))), Some((_, (tb, _)))] => usize::from(tb < ta),
        };
        let Some((index, (t, raw))) = heads[take] else {
            break;
        };
        if counter && current != Some(take) {
            if let Some(last) = last_value {
                let adjusted = raw + cursors[take].offset;
                if last > adjusted {
                    cursors[take].offset += last - adjusted;
                }
            }
        }
        let value = if counter {
            raw + cursors[take].offset
        } else {
            raw
        };
        cursors[1 - take].penalty = match last_t {
            Some(lt) => 2 * (t - lt),
            None => INITIAL_PENALTY_MS,
        };
        cursors[take].penalty = 0;
        cursors[take].pos = index + 1;
        last_t = Some(t);
        current = Some(take);
        if !value.is_nan() {
            last_value = Some(value);
        }
        out.push((t, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test vectors of DESIGN.md section 6.
    #[test]
    fn replicas_with_gaps_fill_each_other() {
        let a = [(10000, 1.0), (20000, 2.0)];
        let a1 = [(60000, 3.0), (70000, 4.0)];
        let a2 = [(200000, 5.0), (210000, 6.0)];
        let a3 = [(10000, 1.0), (20000, 2.0)];
        let want = vec![
            (10000, 1.0),
            (20000, 2.0),
            (60000, 3.0),
            (70000, 4.0),
            (200000, 5.0),
            (210000, 6.0),
        ];
        assert_eq!(merge_replicas(&[&a, &a1, &a2, &a3], false), want);
        assert_eq!(merge_replicas(&[&a3, &a2, &a1, &a], true), want);
    }

    const A: [(i64, f64); 8] = [
        (10000, 8.0),
        (20000, 9.0),
        (50001, 10.0),
        (60000, 11.0),
        (70000, 12.0),
        (80000, 13.0),
        (90000, 14.0),
        (100000, 15.0),
    ];
    const B: [(i64, f64); 4] = [(10001, 8.0), (45001, 8.5), (55001, 9.5), (65001, 10.5)];

    #[test]
    fn counter_switch_is_adjusted() {
        assert_eq!(
            merge_replicas(&[&A, &B], true),
            vec![
                (10000, 8.0),
                (20000, 9.0),
                (45001, 9.0),
                (55001, 10.0),
                (65001, 11.0),
                (90000, 14.0),
                (100000, 15.0)
            ]
        );
    }

    #[test]
    fn gauge_switch_is_not_adjusted() {
        assert_eq!(
            merge_replicas(&[&A, &B], false),
            vec![
                (10000, 8.0),
                (20000, 9.0),
                (45001, 8.5),
                (55001, 9.5),
                (65001, 10.5),
                (90000, 14.0),
                (100000, 15.0)
            ]
        );
    }

    #[test]
    fn galloping_search_finds_the_first_sample_at_or_after() {
        let s: Vec<(i64, f64)> = (0..100).map(|i| (i * 10, 0.0)).collect();
        for from in [0, 3, 50, 99, 100] {
            for t in [-5, 0, 5, 10, 495, 500, 990, 991, 2000] {
                let want = from + s[from..].partition_point(|x| x.0 < t);
                assert_eq!(first_at_or_after(&s, from, t), want, "from {from} t {t}");
            }
        }
    }

    #[test]
    fn one_or_no_replica_passes_through() {
        assert!(merge_replicas(&[], true).is_empty());
        assert_eq!(merge_replicas(&[&B], true), B.to_vec());
    }

    #[test]
    fn identical_replicas_collapse() {
        assert_eq!(merge_replicas(&[&A, &A], true), A.to_vec());
    }

    #[test]
    fn replica_stopping_mid_range_leaves_no_gap() {
        // A scrapes every 15 s until 60 s and stops; B (3 s later, value 1 lower) runs
        // throughout. B takes over after the penalty (two intervals), below the 5m
        // lookback, and is lifted to A's level instead of resetting.
        let a: Vec<_> = (0..5).map(|i| (i * 15000, i as f64 + 1.0)).collect();
        let b: Vec<_> = (0..10).map(|i| (3000 + i * 15000, i as f64)).collect();
        let got = merge_replicas(&[&a, &b], true);
        let ts: Vec<i64> = got.iter().map(|s| s.0).collect();
        assert_eq!(
            ts,
            vec![0, 15000, 30000, 45000, 60000, 93000, 108000, 123000, 138000]
        );
        assert_eq!(got[5].1, 6.0);
        // Never decreasing: no fake reset at the switch.
        assert!(got.windows(2).all(|w| w[1].1 >= w[0].1));
    }
}
