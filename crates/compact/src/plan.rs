//! The planner: which blocks of one group to compact next (Prometheus' leveled planner, as
//! Thanos uses it). Overlapping blocks come first (vertical compaction); otherwise, for each
//! range after the first, blocks that fall into one aligned range are compacted together
//! when they fill the range or lie before the newest block. The newest block is left alone.
//! Blocks with a no-compact mark take part in choosing the range (so marking a block does
//! not shift what gets compacted) but are cut out of the plan: the first run of two or more
//! unmarked blocks on either side is compacted, so no new block spans a marked one.

use ulid::Ulid;

/// Default compaction ranges: 2h, 8h, 2d, 14d (ms).
pub const DEFAULT_RANGES: [i64; 4] = [
    2 * 3_600_000,
    8 * 3_600_000,
    48 * 3_600_000,
    14 * 24 * 3_600_000,
];

/// What the planner needs to know of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanBlock {
    /// Block id.
    pub id: Ulid,
    /// First timestamp (ms, inclusive).
    pub min_time: i64,
    /// End (ms, exclusive).
    pub max_time: i64,
    /// The block has a no-compact mark.
    pub no_compact: bool,
}

/// The blocks to compact together next, or an empty list when nothing is to be done.
pub fn plan(blocks: &[PlanBlock], ranges: &[i64]) -> Vec<Ulid> {
    let mut sorted: Vec<&PlanBlock> = blocks.iter().collect();
    sorted.sort_by_key(|b| (b.min_time, b.max_time, b.id));
    let unmarked: Vec<&PlanBlock> = sorted.iter().copied().filter(|b| !b.no_compact).collect();
    let overlapping = first_overlapping(&unmarked);
    if !overlapping.is_empty() {
        return overlapping;
    }
    // Leave the newest block alone (it may still get neighbours of its range).
    sorted.pop();
    select_range(&sorted, ranges)
}

/// The first set of mutually chained overlapping blocks (more than one), in time order.
fn first_overlapping(sorted: &[&PlanBlock]) -> Vec<Ulid> {
    let mut group: Vec<Ulid> = Vec::new();
    let mut group_max = i64::MIN;
    for b in sorted {
        if !group.is_empty() && b.min_time < group_max {
            group.push(b.id);
            group_max = group_max.max(b.max_time);
            continue;
        }
        if group.len() > 1 {
            return group;
        }
        group = vec![b.id];
        group_max = b.max_time;
    }
    if group.len() > 1 {
        group
    } else {
        Vec::new()
    }
}

fn select_range(sorted: &[&PlanBlock], ranges: &[i64]) -> Vec<Ulid> {
    let Some(high_time) = sorted.last().map(|b| b.min_time) else {
        return Vec::new();
    };
    for &range in ranges.iter().skip(1) {
        for part in split_by_range(sorted, range) {
            let (mint, maxt) = (part[0].min_time, part[part.len() - 1].max_time);
            if part.len() < 2 || (maxt - mint != range && maxt > high_time) {
                continue;
            }
            // Cut out marked blocks: the first run of at least two unmarked ones.
            for run in part.split(|b| b.no_compact) {
                if run.len() > 1 {
                    return run.iter().map(|b| b.id).collect();
                }
            }
        }
    }
    Vec::new()
}

/// Start of the aligned range of size `range` holding `t`.
fn range_start(t: i64, range: i64) -> i64 {
    t - t.rem_euclid(range)
}

/// Groups consecutive blocks that fit in one aligned range of size `range`; blocks larger
/// than the range, or crossing its boundary, belong to no group.
fn split_by_range<'a>(sorted: &[&'a PlanBlock], range: i64) -> Vec<Vec<&'a PlanBlock>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let t0 = range_start(sorted[i].min_time, range);
        if sorted[i].max_time > t0 + range {
            i += 1;
            continue;
        }
        let mut group = Vec::new();
        while i < sorted.len() && sorted[i].max_time <= t0 + range {
            group.push(sorted[i]);
            i += 1;
        }
        out.push(group);
    }
    out
}

/// Parses `--compact.ranges` values (ms), checking they are positive, increasing and each
/// a multiple of the previous one.
pub fn check_ranges(ranges: &[i64]) -> Result<(), String> {
    if ranges.is_empty() {
        return Err("no compaction ranges".into());
    }
    for w in ranges.windows(2) {
        if w[0] <= 0 || w[1] <= w[0] || w[1] % w[0] != 0 {
            return Err(format!(
                "compaction ranges must increase, each a multiple of the previous: {} then {}",
                w[0], w[1]
            ));
        }
    }
    if ranges[0] <= 0 {
        return Err("compaction ranges must be positive".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn blocks(spans: &[(i64, i64)]) -> Vec<PlanBlock> {
        spans
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| PlanBlock {
                id: Ulid::from_parts(i as u64 + 1, 0),
                min_time: a * H,
                max_time: b * H,
                no_compact: false,
            })
            .collect()
    }

    fn ids(bs: &[PlanBlock], idx: &[usize]) -> Vec<Ulid> {
        idx.iter().map(|&i| bs[i].id).collect()
    }

    #[test]
    fn four_2h_blocks_make_an_8h_one_leaving_the_newest() {
        let bs = blocks(&[(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]);
        assert_eq!(plan(&bs, &DEFAULT_RANGES), ids(&bs, &[0, 1, 2, 3]));
        // Only the first three and the newest: the range is not full and the newest is
        // inside it, so nothing yet.
        let bs = blocks(&[(0, 2), (2, 4), (4, 6), (6, 8)]);
        assert_eq!(plan(&bs, &DEFAULT_RANGES), Vec::<Ulid>::new());
        // A block in the next range makes the earlier partial range compactable.
        let bs = blocks(&[(0, 2), (2, 4), (8, 10), (10, 12)]);
        assert_eq!(plan(&bs, &DEFAULT_RANGES), ids(&bs, &[0, 1]));
    }

    #[test]
    fn overlapping_blocks_first() {
        let bs = blocks(&[(0, 2), (2, 4), (2, 4), (4, 6)]);
        assert_eq!(plan(&bs, &DEFAULT_RANGES), ids(&bs, &[1, 2]));
        let bs = blocks(&[(0, 8), (6, 10), (9, 12), (12, 14)]);
        assert_eq!(plan(&bs, &DEFAULT_RANGES), ids(&bs, &[0, 1, 2]));
    }

    #[test]
    fn larger_ranges_after_smaller_ones() {
        // Six 8h blocks fill 2d (aligned to 48h), with a newer 2h block.
        let mut spans: Vec<(i64, i64)> = (0..6).map(|i| (i * 8, i * 8 + 8)).collect();
        spans.push((48, 50));
        let bs = blocks(&spans);
        assert_eq!(plan(&bs, &DEFAULT_RANGES), ids(&bs, &[0, 1, 2, 3, 4, 5]));
        // A single 2d block and a newer one: nothing to do.
        let bs = blocks(&[(0, 48), (48, 50)]);
        assert!(plan(&bs, &DEFAULT_RANGES).is_empty());
    }

    #[test]
    fn blocks_crossing_a_range_are_skipped() {
        let bs = blocks(&[(1, 9), (9, 11), (11, 13), (16, 18), (18, 20)]);
        // (1,9) crosses the 8h boundary; (9,11),(11,13) lie in [8,16) before the newest.
        assert_eq!(plan(&bs, &DEFAULT_RANGES), ids(&bs, &[1, 2]));
    }

    #[test]
    fn marked_blocks_are_cut_out_of_plans() {
        let mut bs = blocks(&[(0, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 12), (16, 18)]);
        // Marking block 1 leaves [0,2) alone and compacts 2..8; the range stays [0,8).
        bs[1].no_compact = true;
        assert_eq!(plan(&bs, &DEFAULT_RANGES), ids(&bs, &[2, 3]));
        // A marked block does not count as overlapping.
        let mut bs = blocks(&[(0, 2), (0, 2), (2, 4)]);
        bs[1].no_compact = true;
        assert!(plan(&bs, &DEFAULT_RANGES).is_empty());
        // Alone between marked ones: nothing to compact in that range; the next range goes on.
        let spans = [
            (0, 2),
            (2, 4),
            (4, 6),
            (6, 8),
            (8, 10),
            (10, 12),
            (12, 14),
            (14, 16),
            (16, 18),
        ];
        let mut bs = blocks(&spans);
        bs[0].no_compact = true;
        bs[2].no_compact = true;
        assert_eq!(plan(&bs, &DEFAULT_RANGES), ids(&bs, &[4, 5, 6, 7]));
    }

    #[test]
    fn ranges_checked() {
        assert!(check_ranges(&DEFAULT_RANGES).is_ok());
        assert!(check_ranges(&[2 * H, 3 * H]).is_err());
        assert!(check_ranges(&[]).is_err());
        assert!(check_ranges(&[0]).is_err());
    }
}
