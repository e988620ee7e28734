//! Names, file metadata and time slicing of parquet-common's schema (commit `65ebeae2`),
//! and mnemos' extension for downsampled blocks (`docs/parquet.md`).

use std::collections::HashMap;

use mnemos_tsdb::Labels;

use crate::error::{Error, Result};

/// Prefix of a label column: `l_<label name>`.
pub const LABEL_PREFIX: &str = "l_";
/// Per row, the label columns it has values in ([`crate::cell::encode_col_indexes`]).
pub const COL_INDEXES: &str = "s_col_indexes";
/// Per row, Prometheus' `labels.StableHash` as 8 big-endian bytes ([`stable_hash`]).
pub const SERIES_HASH: &str = "s_series_hash";
/// The metric name's column, sorted first and bloom-filtered.
pub const NAME_COLUMN: &str = "l___name__";
/// File metadata key: first timestamp covered (ms).
pub const META_MIN_T: &str = "minT";
/// File metadata key: end of the time covered (ms; the block's exclusive max time).
pub const META_MAX_T: &str = "maxT";
/// File metadata key: ms covered by one data column.
pub const META_COL_DURATION: &str = "data_col_duration_ms";
/// mnemos extension key: the block's downsampling resolution in ms (absent for raw data).
pub const META_RESOLUTION: &str = "mnemos.resolution_ms";
/// parquet-common's default time per data column (8 hours; Cortex' blocks are at most 24h).
pub const PARQUET_COMMON_COLUMN_DURATION_MS: i64 = 8 * 3600 * 1000;
/// mnemos' default time per data column: 2 days, one column per 2d block, seven per 14d
/// block. A query reads one column chunk (one request) per block and column it touches, so
/// parquet-common's 8h would cost a selective 30-day query over 2d blocks six requests per
/// block where the TSDB path needs about three (`docs/benchmarks.md`).
pub const DEFAULT_COLUMN_DURATION_MS: i64 = 48 * 3600 * 1000;

/// The label column of `name`.
pub fn label_column(name: &str) -> String {
    format!("{LABEL_PREFIX}{name}")
}

/// What a chunk column holds: raw chunks (`s_data_<k>`, parquet-common) or one aggregate
/// of a downsampled block (`s_<aggregate>_<k>`, mnemos' extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// Raw chunks.
    Data,
    /// Samples per window.
    Count,
    /// Sum per window.
    Sum,
    /// Minimum per window.
    Min,
    /// Maximum per window.
    Max,
    /// Running counter.
    Counter,
}

impl Part {
    /// The five aggregates in Thanos' `AggrChunk` order.
    pub const AGGREGATES: [Part; 5] = [Part::Count, Part::Sum, Part::Min, Part::Max, Part::Counter];

    /// The word in the column name.
    pub fn word(self) -> &'static str {
        match self {
            Part::Data => "data",
            Part::Count => "count",
            Part::Sum => "sum",
            Part::Min => "min",
            Part::Max => "max",
            Part::Counter => "counter",
        }
    }

    /// The name of this part's column `k`.
    pub fn column(self, k: usize) -> String {
        format!("s_{}_{k}", self.word())
    }
}

/// The time range a file covers and how it is sliced into chunk columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSlices {
    /// First timestamp covered (ms).
    pub min_t: i64,
    /// End of the covered time (ms).
    pub max_t: i64,
    /// Time per column (ms, > 0).
    pub duration: i64,
    /// Downsampling resolution (ms); 0 for raw data.
    pub resolution: i64,
}

impl TimeSlices {
    /// Number of chunk columns per part: parquet-common's `for t := minT; t <= maxT; t += d`.
    pub fn count(&self) -> usize {
        let span = self.max_t.saturating_sub(self.min_t).max(0);
        usize::try_from(span / self.duration).unwrap_or(usize::MAX - 1) + 1
    }

    /// The column holding timestamp `t` (times before `min_t` in column 0).
    pub fn index_of(&self, t: i64) -> usize {
        if t <= self.min_t {
            return 0;
        }
        // i128: `t - min_t` overflows i64 for times from the file's metadata far apart.
        let k = (i128::from(t) - i128::from(self.min_t)) / i128::from(self.duration.max(1));
        usize::try_from(k).unwrap_or(usize::MAX)
    }

    /// The first timestamp of column `k` (saturating).
    pub fn start_of(&self, k: usize) -> i64 {
        let k = i64::try_from(k).unwrap_or(i64::MAX);
        self.min_t.saturating_add(k.saturating_mul(self.duration))
    }

    /// The columns to read for `[mint, maxt]`.
    pub fn columns_for(&self, mint: i64, maxt: i64) -> std::ops::Range<usize> {
        if maxt < mint || maxt < self.min_t {
            return 0..0;
        }
        let last = self.count() - 1;
        let first = self.index_of(mint).min(last + 1);
        first..self.index_of(maxt).min(last) + 1
    }

    /// The columns that can hold samples in `[mint, maxt]`: [`Self::columns_for`] without
    /// the columns starting at or after `max_t`. A block's max time is exclusive (the TSDB
    /// meta's, which both mnemos and parquet-common write as `maxT`), so such a column is
    /// always empty: with an aligned block, parquet-common's `floor((maxT - minT) / d) + 1`
    /// columns end with one. Reading it would cost a request for nothing.
    pub fn columns_with_data(&self, mint: i64, maxt: i64) -> std::ops::Range<usize> {
        let last_time = if self.max_t > self.min_t {
            self.max_t - 1
        } else {
            self.min_t
        };
        self.columns_for(mint, maxt.min(last_time))
    }

    /// The key/value metadata written to both files.
    pub fn to_metadata(&self) -> Vec<(String, String)> {
        let mut kv = vec![
            (META_COL_DURATION.to_string(), self.duration.to_string()),
            (META_MAX_T.to_string(), self.max_t.to_string()),
            (META_MIN_T.to_string(), self.min_t.to_string()),
        ];
        if self.resolution > 0 {
            kv.push((META_RESOLUTION.to_string(), self.resolution.to_string()));
        }
        kv.sort();
        kv
    }

    /// Reads the metadata back; the three parquet-common keys are required.
    pub fn from_metadata(kv: &HashMap<String, String>) -> Result<Self> {
        let int = |key: &str, required: bool| -> Result<i64> {
            match kv.get(key) {
                Some(v) => v
                    .parse()
                    .map_err(|_| Error::Schema(format!("metadata {key}={v:?} is not an integer"))),
                None if required => Err(Error::Schema(format!("metadata {key} is missing"))),
                None => Ok(0),
            }
        };
        let slices = Self {
            min_t: int(META_MIN_T, true)?,
            max_t: int(META_MAX_T, true)?,
            duration: int(META_COL_DURATION, true)?,
            resolution: int(META_RESOLUTION, false)?,
        };
        if slices.duration <= 0 || slices.max_t < slices.min_t || slices.resolution < 0 {
            return Err(Error::Schema(format!("bad time metadata {slices:?}")));
        }
        Ok(slices)
    }
}

/// Prometheus' `labels.StableHash`: xxhash64 over each label's name, 0xff, value, 0xff.
pub fn stable_hash(labels: &Labels) -> u64 {
    let mut h = xxhash_rust::xxh64::Xxh64::new(0);
    for l in labels.iter() {
        h.update(l.name.as_bytes());
        h.update(&[0xff]);
        h.update(l.value.as_bytes());
        h.update(&[0xff]);
    }
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600 * 1000;

    #[test]
    fn a_day_in_eight_hour_columns_has_four_like_cortex() {
        let s = TimeSlices {
            min_t: 0,
            max_t: 24 * H,
            duration: 8 * H,
            resolution: 0,
        };
        assert_eq!(s.count(), 4);
        assert_eq!(s.index_of(8 * H - 1), 0);
        assert_eq!(s.index_of(8 * H), 1);
        assert_eq!(s.columns_for(7 * H, 9 * H), 0..2);
        assert_eq!(s.columns_for(-5, 0), 0..1);
        assert_eq!(s.columns_for(30 * H, 40 * H), 3..4);
        assert_eq!(s.columns_for(-10, -5), 0..0);
        assert_eq!(s.start_of(2), 16 * H);
        // The fourth column starts at maxT (exclusive): never read.
        assert_eq!(s.columns_with_data(0, 24 * H), 0..3);
        assert_eq!(s.columns_with_data(7 * H, 9 * H), 0..2);
        assert_eq!(s.columns_with_data(24 * H, 40 * H), 0..0);
        assert_eq!(s.columns_with_data(16 * H, i64::MAX), 2..3);
        let unaligned = TimeSlices { max_t: 20 * H, ..s };
        assert_eq!(unaligned.columns_with_data(0, 30 * H), 0..3);
    }

    #[test]
    fn slices_over_the_whole_i64_range_do_not_overflow() {
        let s = TimeSlices {
            min_t: i64::MIN + 1,
            max_t: i64::MAX,
            duration: 1,
            resolution: 0,
        };
        assert_eq!(s.index_of(i64::MAX), usize::MAX - 1);
        let last = s.count() - 1;
        assert_eq!(s.columns_for(i64::MIN, i64::MAX), 0..last + 1);
    }

    #[test]
    fn metadata_round_trips() {
        let s = TimeSlices {
            min_t: 7,
            max_t: 9 * H,
            duration: H,
            resolution: 300_000,
        };
        let kv: HashMap<String, String> = s.to_metadata().into_iter().collect();
        assert_eq!(TimeSlices::from_metadata(&kv).unwrap(), s);
        let mut bad = kv.clone();
        bad.insert(META_COL_DURATION.into(), "0".into());
        assert!(TimeSlices::from_metadata(&bad).is_err());
    }

    #[test]
    fn stable_hash_is_xxhash_of_separated_pairs() {
        let l = Labels::from_pairs([("a", "1"), ("b", "2")]);
        let expected = xxhash_rust::xxh64::xxh64(b"a\xff1\xffb\xff2\xff", 0);
        assert_eq!(stable_hash(&l), expected);
    }
}
