//! Cached extents of a range query part: answers for time ranges already computed, kept
//! under the part's cache key. A request is partitioned into what the extents hold and the
//! ranges still missing; new answers are merged into the extents (adjacent ones joined),
//! and nothing newer than the max freshness is kept.
//!
//! Every range here lies on the request's step grid (its start plus whole steps), which
//! the cache key pins, so missing ranges are evaluated at exactly the request's times.

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::value::RawValue;

use crate::matrix::{self, Series, ValueText};

/// The answer for `start..=end`.
#[derive(Clone, Debug)]
pub struct Extent {
    /// First time covered (ms).
    pub start: i64,
    /// Last time covered (ms).
    pub end: i64,
    /// The series in that range.
    pub series: Vec<Series>,
}

/// First bytes of a stored entry (format version 1).
const MAGIC: &[u8; 4] = b"MFE1";

/// The entry stored under `key`, in a compact binary form: the key, then per extent its
/// range and series (labels; points as time and value text; histograms as their JSON).
/// Little-endian, lengths and counts as `u32` (a value's length as `u8`).
pub fn encode(key: &str, extents: &[Extent]) -> Bytes {
    fn text(out: &mut BytesMut, s: &[u8]) {
        out.put_u32_le(s.len() as u32);
        out.put_slice(s);
    }
    let points: usize = extents
        .iter()
        .flat_map(|e| &e.series)
        .map(|s| s.floats.len())
        .sum();
    let mut out = BytesMut::with_capacity(64 + key.len() + points * 20);
    out.put_slice(MAGIC);
    text(&mut out, key.as_bytes());
    out.put_u32_le(extents.len() as u32);
    for e in extents {
        out.put_i64_le(e.start);
        out.put_i64_le(e.end);
        out.put_u32_le(e.series.len() as u32);
        for s in &e.series {
            out.put_u32_le(s.labels.len() as u32);
            for (name, value) in &s.labels {
                text(&mut out, name.as_bytes());
                text(&mut out, value.as_bytes());
            }
            out.put_u32_le(s.floats.len() as u32);
            for (t, v) in &s.floats {
                out.put_i64_le(*t);
                let v = v.as_str().as_bytes();
                let v = &v[..v.len().min(255)];
                out.put_u8(v.len() as u8);
                out.put_slice(v);
            }
            out.put_u32_le(s.histograms.len() as u32);
            for (t, h) in &s.histograms {
                out.put_i64_le(*t);
                text(&mut out, h.get().as_bytes());
            }
        }
    }
    out.freeze()
}

/// Reads a stored entry; every length and count is checked against the bytes left, so a
/// corrupt or hostile entry is refused without allocating for it.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<usize> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        self.u64().map(|v| v as i64)
    }
    /// A count of items of at least `min_size` bytes each.
    fn count(&mut self, min_size: usize) -> Option<usize> {
        let n = self.u32()?;
        (n.checked_mul(min_size)? <= self.0.len()).then_some(n)
    }
    fn text(&mut self) -> Option<&'a str> {
        let n = self.u32()?;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

fn read_entry(key: &str, stored: &[u8]) -> Option<Option<Vec<Extent>>> {
    let mut r = Reader(stored);
    if r.take(4)? != MAGIC {
        return None;
    }
    if r.text()? != key {
        return Some(None);
    }
    let n = r.count(20)?;
    let mut extents = Vec::with_capacity(n);
    for _ in 0..n {
        let (start, end) = (r.i64()?, r.i64()?);
        let n_series = r.count(12)?;
        let mut series = Vec::with_capacity(n_series);
        for _ in 0..n_series {
            let n_labels = r.count(8)?;
            let mut labels = Vec::with_capacity(n_labels);
            for _ in 0..n_labels {
                labels.push((r.text()?.to_string(), r.text()?.to_string()));
            }
            let n_floats = r.count(9)?;
            let mut floats = Vec::with_capacity(n_floats);
            for _ in 0..n_floats {
                let t = r.i64()?;
                let len = r.take(1)?[0] as usize;
                let v = std::str::from_utf8(r.take(len)?).ok()?;
                floats.push((t, ValueText::new(v)));
            }
            let n_hists = r.count(12)?;
            let mut histograms = Vec::with_capacity(n_hists);
            for _ in 0..n_hists {
                let t = r.i64()?;
                let h = RawValue::from_string(r.text()?.to_string()).ok()?;
                histograms.push((t, h));
            }
            series.push(Series {
                labels,
                floats,
                histograms,
            });
        }
        extents.push(Extent { start, end, series });
    }
    r.0.is_empty().then_some(Some(extents))
}

/// The extents of a stored entry; none when it is unreadable or belongs to another key (a
/// hash collision of the backend key).
pub fn decode(key: &str, stored: &[u8]) -> Vec<Extent> {
    match read_entry(key, stored) {
        Some(Some(extents)) => extents,
        Some(None) => {
            tracing::warn!("results cache entry under another key (hash collision); ignored");
            Vec::new()
        }
        None => {
            tracing::warn!(
                bytes = stored.len(),
                "unreadable results cache entry; ignored"
            );
            Vec::new()
        }
    }
}

/// What the extents answer of a request, and what is left to ask.
#[derive(Debug, Default)]
pub struct Plan {
    /// Parts the extents hold: extent index and the range to take from it.
    pub cached: Vec<(usize, i64, i64)>,
    /// Ranges (on the step grid) no extent covers.
    pub missing: Vec<(i64, i64)>,
}

/// Partitions `start..=end` (step `step`) over `extents` (sorted by start, not
/// overlapping).
pub fn partition(start: i64, end: i64, step: i64, extents: &[Extent]) -> Plan {
    let mut plan = Plan::default();
    let mut next = start;
    for (i, e) in extents.iter().enumerate() {
        if e.end < next || e.start > end {
            continue;
        }
        if next < e.start {
            plan.missing.push((next, e.start - step));
        }
        plan.cached.push((i, next.max(e.start), end.min(e.end)));
        next = e.end + step;
    }
    if next <= end {
        plan.missing.push((next, end));
    }
    plan
}

/// Extents sorted and joined where they touch (one step apart) or overlap.
pub fn merge_extents(mut extents: Vec<Extent>, step: i64) -> Vec<Extent> {
    extents.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Extent> = Vec::with_capacity(extents.len());
    for e in extents {
        match out.last_mut() {
            Some(acc) if acc.end.saturating_add(step) >= e.start => {
                if e.end > acc.end {
                    acc.end = e.end;
                    let series = std::mem::take(&mut acc.series);
                    acc.series = matrix::merge(vec![series, e.series]);
                }
            }
            _ => out.push(e),
        }
    }
    out
}

/// The extents without anything after `max_time` (now minus the max freshness): an extent
/// reaching past it ends at its last step before it, one entirely after it is dropped.
pub fn drop_recent(extents: Vec<Extent>, max_time: i64, step: i64) -> Vec<Extent> {
    extents
        .into_iter()
        .filter(|e| e.start <= max_time)
        .map(|mut e| {
            if e.end > max_time {
                e.end = max_time - (max_time - e.start).rem_euclid(step);
                e.series = matrix::extract(&e.series, e.start, e.end);
            }
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(times: &[i64]) -> Vec<Series> {
        vec![Series {
            labels: vec![("__name__".into(), "up".into())],
            floats: times
                .iter()
                .map(|t| (*t, ValueText::new(&t.to_string())))
                .collect(),
            histograms: Vec::new(),
        }]
    }

    fn extent(start: i64, end: i64) -> Extent {
        let times: Vec<i64> = (start..=end).step_by(10).collect();
        Extent {
            start,
            end,
            series: series(&times),
        }
    }

    fn times(s: &[Series]) -> Vec<i64> {
        s.iter()
            .flat_map(|s| s.floats.iter().map(|p| p.0))
            .collect()
    }

    #[test]
    fn partitions_around_extents_on_the_grid() {
        let extents = [extent(20, 40), extent(70, 90)];
        let plan = partition(0, 120, 10, &extents);
        assert_eq!(plan.missing, [(0, 10), (50, 60), (100, 120)]);
        assert_eq!(plan.cached, [(0, 20, 40), (1, 70, 90)]);
        // Fully covered: nothing to ask.
        let plan = partition(30, 40, 10, &extents);
        assert!(plan.missing.is_empty());
        assert_eq!(plan.cached, [(0, 30, 40)]);
        // No extents: everything.
        assert_eq!(partition(0, 0, 10, &[]).missing, [(0, 0)]);
    }

    #[test]
    fn joins_touching_extents_and_drops_recent_data() {
        let merged = merge_extents(vec![extent(50, 90), extent(0, 40), extent(100, 110)], 10);
        assert_eq!(merged.len(), 1);
        assert_eq!((merged[0].start, merged[0].end), (0, 110));
        assert_eq!(times(&merged[0].series).len(), 12);
        let apart = merge_extents(vec![extent(0, 10), extent(30, 40)], 10);
        assert_eq!(apart.len(), 2);

        let kept = drop_recent(vec![extent(0, 40), extent(60, 80)], 35, 10);
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].start, kept[0].end), (0, 30));
        assert_eq!(times(&kept[0].series), [0, 10, 20, 30]);
    }

    #[test]
    fn entries_round_trip_and_are_checked() {
        let mut e = extent(0, 10);
        e.series[0].floats.push((20, ValueText::new("NaN")));
        e.series[0].histograms.push((
            30,
            RawValue::from_string(r#"{"count":"1"}"#.into()).expect("json"),
        ));
        let bytes = encode("k", std::slice::from_ref(&e));
        let back = decode("k", &bytes);
        assert_eq!(back.len(), 1);
        assert_eq!(
            matrix::data_json(&back[0].series),
            matrix::data_json(&e.series)
        );
        assert!(decode("other", &bytes).is_empty(), "another key");
        assert!(decode("k", b"junk").is_empty());
        // Every truncation, and a count far beyond the bytes, is refused.
        for n in 0..bytes.len() {
            assert!(decode("k", &bytes[..n]).is_empty(), "cut at {n}");
        }
        let mut huge = bytes.to_vec();
        huge[4 + 4 + 1..4 + 4 + 1 + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode("k", &huge).is_empty());
    }
}
