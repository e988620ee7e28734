//! The penalty merge with look-ahead (DESIGN.md section 6).
//!
//! The merge follows one replica (the *current* one) while it keeps its rhythm and switches
//! only when it is *late*: its next sample comes more than one and a half scrape intervals
//! after the last emitted one. The interval is read from the data at hand around that point
//! (the smallest step among the nearby samples of every replica), so a single missed scrape
//! counts as a gap while scrape jitter does not. On a switch the merge continues with the
//! replica whose first sample after the last emitted one comes earliest: nothing any replica
//! holds inside the gap is dropped (Thanos instead skips the new replica's samples within its
//! penalty window, up to two intervals of real data at every switch).
//!
//! Consequences, checked by the property tests:
//! - replicas with the same timestamps and holes (runs of at least two samples) merge into
//!   exactly their union;
//! - replicas at different offsets merge without duplicate timestamps and without a gap
//!   longer than the larger scrape interval wherever some replica has a sample;
//! - with `counter`, a switch never makes the output go down: the replica switched to is
//!   lifted by the difference (measured at the last emitted timestamp when that replica has a
//!   sample there, else at its first sample after it) and keeps that offset.

use crate::seek::first_after;

/// Nearby steps considered per replica when estimating the scrape interval: the two before
/// a replica's next sample and the one after it.
const STEPS_BEHIND: usize = 2;

/// One replica's read position.
struct Cursor<'a, V> {
    samples: &'a [(i64, V)],
    /// Index of the first sample after the last emitted timestamp.
    next: usize,
}

impl<V> Cursor<'_, V> {
    fn head_time(&self) -> Option<i64> {
        self.samples.get(self.next).map(|s| s.0)
    }

    /// The smallest step between consecutive samples around the read position.
    fn local_step(&self) -> Option<i64> {
        let lo = self.next.saturating_sub(STEPS_BEHIND);
        let hi = self.next.saturating_add(2).min(self.samples.len());
        self.samples
            .get(lo..hi)?
            .windows(2)
            .map(|w| w[1].0.saturating_sub(w[0].0))
            .filter(|&d| d > 0)
            .min()
    }
}

/// Walks replicas of one series (each in time order) with the penalty algorithm, calling
/// `emit(replica, index)` for each sample of the merged series, in time order. Ties go to
/// the replica being followed, then to the earlier replica in `replicas`.
fn walk<V>(replicas: &[&[(i64, V)]], mut emit: impl FnMut(usize, usize)) {
    let mut cursors: Vec<Cursor<'_, V>> = replicas
        .iter()
        .map(|samples| Cursor { samples, next: 0 })
        .collect();
    let mut current: Option<usize> = None;
    let mut last_t: Option<i64> = None;
    loop {
        let take = match current.and_then(|c| Some((c, cursors[c].head_time()?))) {
            Some((c, t)) if !is_late(&cursors, last_t, t) => Some(c),
            _ => earliest(&cursors, current),
        };
        let Some(take) = take else { break };
        let index = cursors[take].next;
        let Some(t) = cursors[take].head_time() else {
            break;
        };
        emit(take, index);
        last_t = Some(t);
        current = Some(take);
        for cursor in &mut cursors {
            cursor.next = first_after(cursor.samples, cursor.next, t);
        }
    }
}

/// Merges replicas of one series (samples `(t ms, value)`, each in time order) into one
/// with the penalty algorithm. `counter` turns on counter adjustment at switches. Ties go to
/// the replica being followed, then to the earlier replica in `replicas`.
pub fn merge_replicas(replicas: &[&[(i64, f64)]], counter: bool) -> Vec<(i64, f64)> {
    if !counter {
        return merge_replicas_of(replicas);
    }
    if let [one] = replicas {
        return one.to_vec();
    }
    let capacity = replicas.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut out: Vec<(i64, f64)> = Vec::with_capacity(capacity);
    let mut offsets = vec![0.0f64; replicas.len()];
    let mut current: Option<usize> = None;
    // The last emitted value that is not NaN (counter adjustment compares with it).
    let mut last_value: Option<f64> = None;
    walk(replicas, |take, index| {
        let (t, raw) = replicas[take][index];
        if current != Some(take) {
            if let Some(prev) = last_value {
                // The replica's value at the last emitted timestamp when it has one there
                // (aligned replicas: a reset right after the switch stays visible), else
                // its first value after it.
                let last_t = out.last().map(|s| s.0);
                let reference = index
                    .checked_sub(1)
                    .map(|i| replicas[take][i])
                    .filter(|s| Some(s.0) == last_t)
                    .map_or(raw, |s| s.1);
                let lifted = reference + offsets[take];
                if prev > lifted {
                    offsets[take] += prev - lifted;
                }
            }
        }
        // NaN passes as it is: arithmetic would quiet Prometheus' stale marker (a
        // signalling NaN) into an ordinary NaN, which PromQL then keeps as a sample.
        let value = if raw.is_nan() {
            raw
        } else {
            raw + offsets[take]
        };
        out.push((t, value));
        if !value.is_nan() {
            last_value = Some(value);
        }
        current = Some(take);
    });
    out
}

/// Merges replicas of one series with the penalty algorithm, values as they are (no
/// counter adjustment): for gauges, and for samples of any other type (native histograms).
pub fn merge_replicas_of<V: Clone>(replicas: &[&[(i64, V)]]) -> Vec<(i64, V)> {
    if let [one] = replicas {
        return one.to_vec();
    }
    let capacity = replicas.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut out = Vec::with_capacity(capacity);
    walk(replicas, |take, index| {
        out.push(replicas[take][index].clone())
    });
    out
}

/// Whether the followed replica's next sample at `next_t` comes after a gap: more than one
/// and a half local scrape intervals after the last emitted sample.
fn is_late<V>(cursors: &[Cursor<'_, V>], last_t: Option<i64>, next_t: i64) -> bool {
    let Some(last_t) = last_t else {
        return false;
    };
    let Some(step) = cursors.iter().filter_map(Cursor::local_step).min() else {
        return false;
    };
    // gap > 1.5 · step, in integers (i128: both come from data).
    2 * (i128::from(next_t) - i128::from(last_t)) > 3 * i128::from(step)
}

/// The replica with the earliest next sample; ties go to `current`, then to the first.
fn earliest<V>(cursors: &[Cursor<'_, V>], current: Option<usize>) -> Option<usize> {
    let mut best: Option<(i64, usize)> = None;
    for (i, cursor) in cursors.iter().enumerate() {
        let Some(t) = cursor.head_time() else {
            continue;
        };
        let better = match best {
            None => true,
            Some((bt, _)) => t < bt || (t == bt && current == Some(i)),
        };
        if better {
            best = Some((t, i));
        }
    }
    best.map(|(_, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(samples: &[(i64, f64)]) -> Vec<i64> {
        samples.iter().map(|s| s.0).collect()
    }

    #[test]
    fn replicas_with_gaps_fill_each_other() {
        let a = [(10000, 1.0), (20000, 2.0)];
        let a1 = [(60000, 3.0), (70000, 4.0)];
        let a2 = [(200000, 5.0), (210000, 6.0)];
        let want = vec![
            (10000, 1.0),
            (20000, 2.0),
            (60000, 3.0),
            (70000, 4.0),
            (200000, 5.0),
            (210000, 6.0),
        ];
        assert_eq!(merge_replicas(&[&a, &a1, &a2, &a], false), want);
        assert_eq!(merge_replicas(&[&a, &a2, &a1, &a], true), want);
    }

    #[test]
    fn a_switch_keeps_the_samples_inside_the_gap() {
        // A stops after 30 s; B (3 s later) holds 33 s and 48 s, which Thanos' penalty
        // (two intervals) would skip.
        let a: Vec<_> = (0..3).map(|i| (i * 15_000, i as f64)).collect();
        let b: Vec<_> = (0..8).map(|i| (3_000 + i * 15_000, i as f64)).collect();
        let got = merge_replicas(&[&a, &b], false);
        assert_eq!(
            ts(&got),
            vec![0, 15_000, 30_000, 33_000, 48_000, 63_000, 78_000, 93_000, 108_000]
        );
    }

    #[test]
    fn one_missed_scrape_is_filled_from_the_other_replica() {
        let base: Vec<(i64, f64)> = (0..10).map(|i| (i * 10_000, i as f64)).collect();
        let mut a = base.clone();
        a.remove(4);
        let mut b = base.clone();
        b.remove(7);
        assert_eq!(merge_replicas(&[&a, &b], true), base);
        assert_eq!(merge_replicas(&[&b, &a], false), base);
    }

    #[test]
    fn scrape_jitter_does_not_switch() {
        let a: Vec<_> = [0, 15_002, 29_999, 45_001, 60_003]
            .iter()
            .map(|&t| (t, 1.0))
            .collect();
        let b: Vec<_> = [7_000, 22_001, 37_000, 52_002]
            .iter()
            .map(|&t| (t, 2.0))
            .collect();
        assert_eq!(merge_replicas(&[&a, &b], false), a);
    }

    #[test]
    fn counter_switch_is_lifted_and_never_goes_down() {
        // A scrapes every 15 s until 60 s and stops; B (3 s later, value 1 lower) runs
        // throughout: B takes over at its first sample after A's last, lifted to A's level.
        let a: Vec<_> = (0..5).map(|i| (i * 15_000, i as f64 + 1.0)).collect();
        let b: Vec<_> = (0..10).map(|i| (3_000 + i * 15_000, i as f64)).collect();
        let got = merge_replicas(&[&a, &b], true);
        assert_eq!(
            ts(&got),
            vec![
                0, 15_000, 30_000, 45_000, 60_000, 63_000, 78_000, 93_000, 108_000, 123_000,
                138_000
            ]
        );
        assert_eq!(got[5].1, 5.0);
        assert!(got.windows(2).all(|w| w[1].1 >= w[0].1));
        // As a gauge, B's own values.
        assert_eq!(merge_replicas(&[&a, &b], false)[5].1, 4.0);
    }

    #[test]
    fn a_reset_at_an_aligned_switch_is_kept() {
        // Same timestamps; A misses 30 s, where the counter resets: B's value at the last
        // emitted timestamp equals A's, so no lift, and the reset stays visible to rate().
        let a = [(0, 5.0), (10_000, 6.0), (20_000, 7.0), (40_000, 2.0)];
        let b = [
            (0, 5.0),
            (10_000, 6.0),
            (20_000, 7.0),
            (30_000, 1.0),
            (40_000, 2.0),
        ];
        assert_eq!(merge_replicas(&[&a, &b], true), b.to_vec());
    }

    #[test]
    fn one_or_no_replica_passes_through() {
        let b = [(1, 1.0), (2, 2.0)];
        assert!(merge_replicas(&[], true).is_empty());
        assert_eq!(merge_replicas(&[&b], true), b.to_vec());
    }

    #[test]
    fn identical_replicas_collapse() {
        let a: Vec<_> = (0..20).map(|i| (i * 1000, i as f64)).collect();
        assert_eq!(merge_replicas(&[&a, &a, &a], true), a);
    }

    #[test]
    fn nan_values_pass_and_do_not_break_counter_adjustment() {
        let a = [(0, 1.0), (10_000, f64::NAN), (20_000, 3.0)];
        let b = [(5_000, 0.5), (15_000, 2.0), (25_000, 4.0), (35_000, 5.0)];
        let got = merge_replicas(&[&a, &b], true);
        assert_eq!(ts(&got), vec![0, 10_000, 20_000, 25_000, 35_000]);
        assert!(got[1].1.is_nan());
    }

    #[test]
    fn stale_markers_keep_their_bits_through_counter_adjustment() {
        // Prometheus' stale marker: a NaN with this exact bit pattern.
        let stale = f64::from_bits(0x7ff0_0000_0000_0002);
        let a = [(0, 10.0), (10_000, 20.0), (20_000, stale)];
        let b = [(5_000, 1.0), (15_000, 2.0), (25_000, 3.0), (35_000, 4.0)];
        for got in [
            merge_replicas(&[&a, &b], true),
            merge_replicas(&[&b, &a], true),
        ] {
            for (t, v) in &got {
                if v.is_nan() {
                    assert_eq!(v.to_bits(), stale.to_bits(), "at {t}");
                }
            }
        }
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let a = [(i64::MIN, 1.0), (i64::MIN + 1, 2.0), (i64::MAX, 3.0)];
        let b = [(i64::MIN + 2, 1.5), (0, 2.5)];
        let got = merge_replicas(&[&a, &b], true);
        assert_eq!(
            ts(&got),
            vec![i64::MIN, i64::MIN + 1, i64::MIN + 2, 0, i64::MAX]
        );
    }
}
