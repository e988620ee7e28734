//! Step alignment and splitting of time ranges at multiples of an interval (Unix epoch
//! based, so a 24h interval splits at midnight UTC).

/// Most parts a request is split into; a request spanning more intervals is not split
/// (one call to the querier instead of thousands).
pub const MAX_PARTS: i64 = 1_000;

/// How many intervals `start..=end` touches (saturating).
pub fn intervals_touched(start: i64, end: i64, interval: i64) -> i64 {
    if interval <= 0 || end < start {
        return 1;
    }
    end.div_euclid(interval)
        .saturating_sub(start.div_euclid(interval))
        .saturating_add(1)
}

/// `start` and `end` moved down to multiples of `step`
/// (`--query-range.align-range-with-step`).
pub fn align(start: i64, end: i64, step: i64) -> (i64, i64) {
    (start - start.rem_euclid(step), end - end.rem_euclid(step))
}

/// The parts of the range query `start..=end` (step `step`), one per interval it touches
/// (as Cortex splits): each part ends at the last step before the next interval boundary,
/// the next starts one step later, so the parts' evaluation times are exactly the whole
/// query's. A part never spans a boundary; a query within one interval is one part. `end`
/// is first moved down to the last evaluation time ([`last_time`]).
pub fn split_range(start: i64, end: i64, step: i64, interval: i64) -> Vec<(i64, i64)> {
    if start >= end || interval <= 0 || step <= 0 {
        return vec![(start, end)];
    }
    let end = last_time(start, end, step);
    let mut parts = Vec::new();
    let mut s = start;
    while s <= end {
        let mut e = last_step_before_boundary(s, step, interval);
        if e.saturating_add(step) > end {
            e = end;
        }
        parts.push((s, e));
        match e.checked_add(step) {
            Some(next) => s = next,
            None => break,
        }
    }
    parts
}

/// The last evaluation time of a range query: `start` plus the whole steps up to `end`.
pub fn last_time(start: i64, end: i64, step: i64) -> i64 {
    start + (end - start) / step * step
}

/// The last evaluation time (a whole number of steps from `t`) before the interval
/// boundary that follows `t`; `t` itself when the next step is past it.
fn last_step_before_boundary(t: i64, step: i64, interval: i64) -> i64 {
    let next_boundary = (t.div_euclid(interval) + 1).saturating_mul(interval);
    let steps = (next_boundary - 1 - t) / step;
    t + steps * step
}

/// The pieces of `start..=end` cut at multiples of `interval`, each with whether it covers
/// its whole interval (`[k·interval, (k+1)·interval - 1]`): the label and series APIs are
/// cached by whole interval.
pub fn interval_pieces(start: i64, end: i64, interval: i64) -> Vec<(i64, i64, bool)> {
    if interval <= 0 || end < start {
        return vec![(start, end, false)];
    }
    let mut pieces = Vec::new();
    let mut s = start;
    loop {
        let first = s.div_euclid(interval).saturating_mul(interval);
        let last = first.saturating_add(interval - 1);
        let e = last.min(end);
        pieces.push((s, e, s == first && e == last));
        if e >= end {
            break;
        }
        s = e + 1;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;

    #[test]
    fn aligns_down_to_the_step() {
        assert_eq!(align(61_000, 179_999, 60_000), (60_000, 120_000));
        assert_eq!(align(-1, 0, 1_000), (-1_000, 0));
    }

    #[test]
    fn splits_at_interval_boundaries_keeping_every_step() {
        // Three days at a 1h step from 06:00 on day 0: parts end at 23:00, restart at 00:00.
        let start = 6 * H;
        let end = 2 * D + 18 * H;
        let parts = split_range(start, end, H, D);
        assert_eq!(
            parts,
            [(6 * H, D - H), (D, 2 * D - H), (2 * D, 2 * D + 18 * H)]
        );
        // A step that does not divide the interval: the times are still the query's.
        let step = 7 * H;
        let parts = split_range(0, 5 * D, step, D);
        let times: Vec<i64> = parts
            .iter()
            .flat_map(|&(s, e)| {
                (0..)
                    .map(move |i| s + i * step)
                    .take_while(move |t| *t <= e)
            })
            .collect();
        let want: Vec<i64> = (0..)
            .map(|i| i * step)
            .take_while(|t| *t <= 5 * D)
            .collect();
        assert_eq!(times, want);
        for (s, e) in &parts {
            assert_eq!(
                s.div_euclid(D),
                e.div_euclid(D),
                "{s}..{e} spans a boundary"
            );
        }
        // One interval, an instant-like range, no interval.
        assert_eq!(split_range(H, 2 * H, H, D), [(H, 2 * H)]);
        assert_eq!(split_range(H, H, H, D), [(H, H)]);
        assert_eq!(split_range(0, 3 * D, H, 0), [(0, 3 * D)]);
        // A step longer than the interval: one part per step.
        assert_eq!(split_range(0, 2 * D, 2 * D, D), [(0, 0), (2 * D, 2 * D)]);
    }

    #[test]
    fn pieces_mark_whole_intervals() {
        assert_eq!(
            interval_pieces(H, 2 * D + H, D),
            [
                (H, D - 1, false),
                (D, 2 * D - 1, true),
                (2 * D, 2 * D + H, false)
            ]
        );
        assert_eq!(interval_pieces(0, D - 1, D), [(0, D - 1, true)]);
        assert_eq!(interval_pieces(5, 4, D), [(5, 4, false)]);
        assert_eq!(intervals_touched(H, 2 * D + H, D), 3);
        assert_eq!(
            intervals_touched(i64::MIN, i64::MAX, 1),
            i64::MAX,
            "saturates"
        );
    }
}
