//! The `tombstones` file: deleted time ranges per series, applied when reading.

use std::collections::BTreeMap;
use std::path::Path;

use crate::encoding::{check_header, verify_crc_after, Decbuf, Encbuf};
use crate::error::{CorruptAt, IoContext, Result};

/// File name of a block's tombstones.
pub const TOMBSTONES_FILENAME: &str = "tombstones";
/// Magic number at the start of a tombstones file.
pub const MAGIC_TOMBSTONES: u32 = 0x0130_BA30;
const FORMAT_V1: u8 = 1;

/// A closed interval of deleted timestamps, `[min_time, max_time]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// First deleted timestamp (ms).
    pub min_time: i64,
    /// Last deleted timestamp (ms).
    pub max_time: i64,
}

impl Interval {
    /// Whether `t` is deleted by this interval.
    pub fn contains(&self, t: i64) -> bool {
        self.min_time <= t && t <= self.max_time
    }
}

/// Sorted, merged deleted intervals of one series.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Intervals(Vec<Interval>);

impl Intervals {
    /// Adds an interval, merging overlapping and adjacent ones.
    pub fn add(&mut self, iv: Interval) {
        self.0.push(iv);
        self.0.sort();
        let mut merged: Vec<Interval> = Vec::with_capacity(self.0.len());
        for iv in self.0.drain(..) {
            match merged.last_mut() {
                Some(last) if iv.min_time <= last.max_time.saturating_add(1) => {
                    last.max_time = last.max_time.max(iv.max_time);
                }
                _ => merged.push(iv),
            }
        }
        self.0 = merged;
    }

    /// Whether `t` is deleted.
    pub fn contains(&self, t: i64) -> bool {
        self.0.iter().any(|iv| iv.contains(t))
    }

    /// Whether the whole range `[mint, maxt]` is deleted.
    pub fn covers(&self, mint: i64, maxt: i64) -> bool {
        self.0
            .iter()
            .any(|iv| iv.min_time <= mint && maxt <= iv.max_time)
    }

    /// The intervals, sorted.
    pub fn as_slice(&self) -> &[Interval] {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Deleted intervals of every series of a block, keyed by series reference.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tombstones {
    by_series: BTreeMap<u64, Intervals>,
}

impl Tombstones {
    /// No tombstones.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `[iv.min_time, iv.max_time]` of series `series_ref` deleted.
    pub fn add(&mut self, series_ref: u64, iv: Interval) {
        self.by_series.entry(series_ref).or_default().add(iv);
    }

    /// The deleted intervals of a series (None when it has none).
    pub fn get(&self, series_ref: u64) -> Option<&Intervals> {
        self.by_series.get(&series_ref)
    }

    /// Number of intervals in total.
    pub fn num_intervals(&self) -> u64 {
        self.by_series.values().map(|i| i.0.len() as u64).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_series.is_empty()
    }

    /// Decodes a tombstones file's bytes.
    pub fn decode(data: &[u8]) -> Result<Self, CorruptAt> {
        check_header(data, MAGIC_TOMBSTONES, FORMAT_V1)?;
        // The CRC covers everything between the header and itself.
        let end = data.len().saturating_sub(4).max(5);
        verify_crc_after(data, 5, end, 0)?;
        let body = &data[5..end];
        let mut d = Decbuf::new(body, 5);
        let mut out = Tombstones::new();
        while d.remaining() > 0 {
            let series_ref = d.uvarint()?;
            let min_time = d.varint()?;
            let max_time = d.varint()?;
            out.add(series_ref, Interval { min_time, max_time });
        }
        Ok(out)
    }

    /// Encodes as a tombstones file.
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encbuf::new();
        e.put_be32(MAGIC_TOMBSTONES);
        e.put_u8(FORMAT_V1);
        for (series_ref, ivs) in &self.by_series {
            for iv in ivs.as_slice() {
                e.put_uvarint(*series_ref);
                e.put_varint(iv.min_time);
                e.put_varint(iv.max_time);
            }
        }
        e.put_crc_of_tail(5);
        e.into_inner()
    }

    /// Reads `<dir>/tombstones`; a missing file means no tombstones.
    pub fn read_from_dir(dir: &Path) -> Result<Self> {
        let path = dir.join(TOMBSTONES_FILENAME);
        match std::fs::read(&path) {
            Ok(data) => Self::decode(&data).map_err(|e| e.in_file(&path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::new()),
            Err(e) => Err(e).at_path(&path),
        }
    }

    /// Writes `<dir>/tombstones` durably.
    pub fn write_to_dir(&self, dir: &Path) -> Result<()> {
        crate::fsutil::write_file_synced(&dir.join(TOMBSTONES_FILENAME), &self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Corruption;

    #[test]
    fn empty_file_is_what_prometheus_writes() {
        // Bytes of a promtool 2.42 block's tombstones file.
        let promtool = [0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0];
        assert_eq!(Tombstones::new().encode(), promtool);
        assert!(Tombstones::decode(&promtool).unwrap().is_empty());
    }

    #[test]
    fn round_trip_merges_and_detects_corruption() {
        let mut t = Tombstones::new();
        t.add(
            5,
            Interval {
                min_time: 10,
                max_time: 20,
            },
        );
        t.add(
            5,
            Interval {
                min_time: 21,
                max_time: 30,
            },
        );
        t.add(
            7,
            Interval {
                min_time: -5,
                max_time: 0,
            },
        );
        let bytes = t.encode();
        let back = Tombstones::decode(&bytes).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.get(5).unwrap().as_slice().len(), 1);
        assert!(back.get(5).unwrap().covers(10, 30));
        let mut bad = bytes.clone();
        bad[6] ^= 0xff;
        assert!(matches!(
            Tombstones::decode(&bad).unwrap_err().kind,
            Corruption::Checksum { .. }
        ));
        assert!(Tombstones::decode(&bytes[..4]).is_err());
    }
}
