//! Properties of the penalty merge (DESIGN.md section 6), on generated replicas.
//!
//! Holes are runs of missing samples anywhere (start, middle, end, several per replica);
//! every run of present samples between them holds at least two samples, so a replica always
//! shows its scrape rhythm somewhere near a gap (a lone sample between two holes cannot be
//! told from a replica at another offset with a longer interval).

use mnemos_dedup::{merge_chain, merge_replicas};
use proptest::prelude::*;

/// A presence mask over `n` samples with holes (start, length in samples), then lone
/// present samples removed.
fn mask(n: usize, holes: &[(usize, usize)]) -> Vec<bool> {
    let mut present = vec![true; n];
    for &(start, len) in holes {
        for p in present.iter_mut().skip(start).take(len) {
            *p = false;
        }
    }
    for i in 0..n {
        let before = i > 0 && present[i - 1];
        let after = i + 1 < n && present[i + 1];
        if present[i] && !before && !after {
            present[i] = false;
        }
    }
    present
}

/// Up to six holes, most of them short (one missed scrape is the hardest case).
fn holes() -> impl Strategy<Value = Vec<(usize, usize)>> {
    let len = prop_oneof![3 => 1usize..4, 1 => 4usize..80];
    prop::collection::vec((0usize..300, len), 0..6)
}

/// Regular timestamps with jitter: `n` samples `interval` apart, each moved by up to
/// `jitter` ms (deterministic from `seed`).
fn jittered(n: usize, start: i64, interval: i64, jitter: i64, seed: u64) -> Vec<i64> {
    let mut x = seed | 1;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let j = if jitter == 0 {
                0
            } else {
                (x % (2 * jitter as u64 + 1)) as i64 - jitter
            };
            start + i as i64 * interval + j
        })
        .collect()
}

/// A counter read at time `t`: the same for every replica, non-decreasing in time.
fn counter_at(t: i64) -> f64 {
    (t / 1000) as f64 * 0.5
}

fn keep(ts: &[i64], present: &[bool], value: impl Fn(i64) -> f64) -> Vec<(i64, f64)> {
    ts.iter()
        .zip(present)
        .filter(|(_, p)| **p)
        .map(|(&t, _)| (t, value(t)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Replicas with the same timestamps (jittered by up to a tenth of the interval) and
    /// arbitrary holes merge into exactly their union, gauges and counters alike.
    #[test]
    fn aligned_replicas_merge_into_their_union(
        n in 2usize..300,
        interval in 1_000i64..120_000,
        jitter_percent in prop_oneof![0i64..=0, 0i64..=10],
        seed in any::<u64>(),
        replica_holes in prop::collection::vec(holes(), 2..=3),
        counter in any::<bool>(),
    ) {
        let ts = jittered(n, 1_700_000_000_000, interval, interval * jitter_percent / 100, seed);
        let value = |t: i64| if counter { counter_at(t) } else { ((t / 7) % 1000) as f64 - 500.0 };
        let masks: Vec<Vec<bool>> = replica_holes.iter().map(|h| mask(n, h)).collect();
        let replicas: Vec<Vec<(i64, f64)>> = masks.iter().map(|m| keep(&ts, m, value)).collect();
        let union_mask: Vec<bool> = (0..n).map(|i| masks.iter().any(|m| m[i])).collect();
        let union = keep(&ts, &union_mask, value);
        let refs: Vec<&[(i64, f64)]> = replicas.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(&merge_replicas(&refs, counter), &union);
        prop_assert_eq!(&merge_chain(&refs), &union);
    }

    /// Replicas at different offsets (and possibly intervals) with holes: timestamps
    /// strictly increasing, each one some replica's, from the first input sample to the
    /// last; a gap longer than the larger interval only where no replica has a sample;
    /// gauges keep their values, counters never go down.
    #[test]
    fn offset_replicas_leave_no_avoidable_gap(
        n in 2usize..300,
        specs in prop::collection::vec((1_000i64..60_000, 0i64..60_000, holes()), 2..=3),
        counter in any::<bool>(),
    ) {
        let value = |t: i64| if counter { counter_at(t) } else { (t % 9973) as f64 };
        let replicas: Vec<Vec<(i64, f64)>> = specs
            .iter()
            .map(|(interval, phase, h)| {
                let ts = jittered(n, 1_700_000_000_000 + phase, *interval, 0, 1);
                keep(&ts, &mask(n, h), value)
            })
            .collect();
        let largest = specs.iter().map(|s| s.0).max().unwrap();
        let refs: Vec<&[(i64, f64)]> = replicas.iter().map(Vec::as_slice).collect();
        let got = merge_replicas(&refs, counter);
        // Counter adjustment changes values only, never which samples are taken; any other
        // sample type (native histograms) is merged the same way.
        let times = |s: &[(i64, f64)]| s.iter().map(|x| x.0).collect::<Vec<_>>();
        prop_assert_eq!(times(&got), times(&merge_replicas(&refs, !counter)));
        let tagged: Vec<Vec<(i64, (usize, i64))>> = replicas
            .iter()
            .enumerate()
            .map(|(r, s)| s.iter().map(|x| (x.0, (r, x.0))).collect())
            .collect();
        let tagged_refs: Vec<&[(i64, (usize, i64))]> = tagged.iter().map(Vec::as_slice).collect();
        let picked: Vec<i64> = mnemos_dedup::merge_replicas_of(&tagged_refs).iter().map(|x| x.0).collect();
        prop_assert_eq!(times(&got), picked);
        let mut all: Vec<i64> = replicas.iter().flatten().map(|s| s.0).collect();
        all.sort_unstable();
        all.dedup();
        prop_assert_eq!(got.first().map(|s| s.0), all.first().copied());
        prop_assert_eq!(got.last().map(|s| s.0), all.last().copied());
        for w in got.windows(2) {
            let (t1, t2) = (w[0].0, w[1].0);
            prop_assert!(t1 < t2, "timestamps {} then {}", t1, t2);
            if t2 - t1 > largest {
                let inside = all.iter().find(|&&t| t > t1 && t < t2);
                prop_assert!(inside.is_none(), "gap {}..{} skips {:?} (largest interval {})", t1, t2, inside, largest);
            }
            if counter {
                prop_assert!(w[1].1 >= w[0].1, "counter down at {}: {} -> {}", t2, w[0].1, w[1].1);
            }
        }
        for (t, v) in &got {
            prop_assert!(all.binary_search(t).is_ok(), "{} is no replica's sample", t);
            if !counter {
                prop_assert_eq!(*v, value(*t));
            }
        }
    }
}
