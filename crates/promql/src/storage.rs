//! What the engine reads: series selected by matchers over a time range. The querier
//! implements [`Storage`] over StoreAPI fan-out; tests use [`MemStorage`].

use mnemos_tsdb::histogram::FloatHistogram;
use mnemos_tsdb::{BlockSet, Labels, Matcher};

/// A stored series: labels, float samples and native histogram samples, each in time
/// order (a series may switch between the two; a timestamp holds one sample).
///
/// Float samples with the bits of `STALE_NAN_BITS` are staleness markers, and so are
/// histogram samples whose sum has those bits ([`FloatHistogram::is_stale`]): either
/// ends the series for the lookback window. Integer histograms (chunk encoding 2) are
/// given as PromQL sees them, converted with [`mnemos_tsdb::histogram::Histogram::to_float_from_absolute`]
/// as Prometheus' chunk iterator converts them (`AtFloatHistogram`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredSeries {
    /// Labels, `__name__` included.
    pub labels: Labels,
    /// Float samples `(t ms, value)` in time order.
    pub samples: Vec<(i64, f64)>,
    /// Histogram samples `(t ms, histogram)` in time order.
    pub histograms: Vec<(i64, FloatHistogram)>,
}

impl StoredSeries {
    /// A series of float samples only.
    pub fn floats(labels: Labels, samples: Vec<(i64, f64)>) -> Self {
        StoredSeries {
            labels,
            samples,
            histograms: Vec::new(),
        }
    }

    /// Samples of both kinds.
    pub fn len(&self) -> usize {
        self.samples.len() + self.histograms.len()
    }

    /// Whether the series has no sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty() && self.histograms.is_empty()
    }
}

/// Storage errors, as text (the storage's own error types stay with it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(pub String);

/// The function whose selections carry sample counts as values (see
/// [`Storage::select_hinted`]).
pub const COUNT_HINT: &str = "count_over_time";

/// A raw sample's value as a count: 1, or the staleness marker unchanged.
pub fn as_count(v: f64) -> f64 {
    if v.to_bits() == mnemos_tsdb::chunkenc::STALE_NAN_BITS {
        v
    } else {
        1.0
    }
}

/// What the engine knows about a selection, for storages that can use it (Prometheus'
/// `SelectHints`): the querier picks downsampled aggregates and counter-aware dedup by it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectHints {
    /// The function whose range-vector argument this is (`rate`, `max_over_time`, …).
    pub func: Option<&'static str>,
    /// The range of the range vector (ms); 0 for instant vectors.
    pub range_ms: i64,
}

/// A source of series.
pub trait Storage: Sync {
    /// Series matching all `matchers` with their samples in `[mint, maxt]` (inclusive).
    fn select(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<StoredSeries>, StorageError>;

    /// The same series handed to `f` one at a time, in label order, so a caller that
    /// reduces each series (range functions) never holds them all. The default collects.
    fn select_each(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
        f: &mut dyn FnMut(StoredSeries) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        for s in self.select(matchers, mint, maxt)? {
            f(s)?;
        }
        Ok(())
    }

    /// [`Storage::select_each`] with the engine's hints. One hint changes the answer: for
    /// `count_over_time` every float value is the number of raw samples the point stands
    /// for (1 for a raw sample, the window's count for a downsampled one), so counts stay
    /// exact over downsampled data; staleness markers are kept (histogram samples stay
    /// as they are: each counts 1). The default does that for raw data and otherwise
    /// ignores the hints.
    fn select_hinted(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
        hints: &SelectHints,
        f: &mut dyn FnMut(StoredSeries) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        if hints.func != Some(COUNT_HINT) {
            return self.select_each(matchers, mint, maxt, f);
        }
        self.select_each(matchers, mint, maxt, &mut |mut s| {
            for sample in &mut s.samples {
                sample.1 = as_count(sample.1);
            }
            f(s)
        })
    }
}

/// Series held in memory (tests, the conformance runner).
#[derive(Clone, Debug, Default)]
pub struct MemStorage {
    series: Vec<StoredSeries>,
}

impl MemStorage {
    /// Empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds samples to the series with `labels` (created when new); samples are kept in time
    /// order, a sample at an existing timestamp replaces it.
    pub fn add(&mut self, labels: Labels, samples: &[(i64, f64)]) {
        let s = self.entry(labels);
        for &(t, v) in samples {
            if let Ok(i) = s.histograms.binary_search_by_key(&t, |(ht, _)| *ht) {
                s.histograms.remove(i);
            }
            match s.samples.binary_search_by_key(&t, |(st, _)| *st) {
                Ok(i) => s.samples[i] = (t, v),
                Err(i) => s.samples.insert(i, (t, v)),
            }
        }
    }

    /// Adds histogram samples as [`MemStorage::add`] adds floats (a histogram at the time
    /// of a float sample replaces it).
    pub fn add_histograms(&mut self, labels: Labels, samples: &[(i64, FloatHistogram)]) {
        let s = self.entry(labels);
        for (t, h) in samples {
            if let Ok(i) = s.samples.binary_search_by_key(t, |(st, _)| *st) {
                s.samples.remove(i);
            }
            match s.histograms.binary_search_by_key(t, |(ht, _)| *ht) {
                Ok(i) => s.histograms[i] = (*t, h.clone()),
                Err(i) => s.histograms.insert(i, (*t, h.clone())),
            }
        }
    }

    fn entry(&mut self, labels: Labels) -> &mut StoredSeries {
        let idx = match self.series.iter().position(|s| s.labels == labels) {
            Some(i) => i,
            None => {
                self.series.push(StoredSeries {
                    labels,
                    ..StoredSeries::default()
                });
                self.series.len() - 1
            }
        };
        &mut self.series[idx]
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        self.series.clear();
    }
}

impl Storage for MemStorage {
    fn select(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<StoredSeries>, StorageError> {
        let mut out: Vec<StoredSeries> = self
            .series
            .iter()
            .filter(|s| matchers.iter().all(|m| m.matches_labels(&s.labels)))
            .map(|s| StoredSeries {
                labels: s.labels.clone(),
                samples: s
                    .samples
                    .iter()
                    .copied()
                    .filter(|(t, _)| *t >= mint && *t <= maxt)
                    .collect(),
                histograms: s
                    .histograms
                    .iter()
                    .filter(|(t, _)| *t >= mint && *t <= maxt)
                    .cloned()
                    .collect(),
            })
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(out)
    }
}

/// The blocks of a local data directory (a Prometheus `--storage.tsdb.path`, or downloaded
/// blocks), read with the tsdb crate: float (XOR) chunks and native histogram chunks
/// (integer histograms converted as [`StoredSeries`] says).
pub struct BlockStorage {
    set: BlockSet,
}

impl BlockStorage {
    /// Opens every block under `dir` (or `dir` itself when it is one block).
    pub fn open(dir: &std::path::Path) -> Result<Self, StorageError> {
        BlockSet::open(dir)
            .map(|set| Self { set })
            .map_err(|e| StorageError(e.to_string()))
    }
}

/// Collects the series a streaming selection hands out: `select` for storages whose
/// natural form is `select_each`.
pub fn collect_series(
    select: impl FnOnce(
        &mut dyn FnMut(StoredSeries) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>,
) -> Result<Vec<StoredSeries>, StorageError> {
    let mut out = Vec::new();
    select(&mut |s| {
        out.push(s);
        Ok(())
    })?;
    Ok(out)
}

impl Storage for BlockStorage {
    fn select(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<StoredSeries>, StorageError> {
        collect_series(|f| self.select_each(matchers, mint, maxt, f))
    }

    fn select_each(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
        f: &mut dyn FnMut(StoredSeries) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let err = |e: mnemos_tsdb::Error| StorageError(e.to_string());
        for series in self.set.select(matchers, mint, maxt).map_err(err)? {
            let series = series.map_err(err)?;
            let mut out = StoredSeries {
                labels: series.labels,
                ..StoredSeries::default()
            };
            for (block, entry) in &series.parts {
                block
                    .read_all_samples(entry, mint, maxt, &mut out.samples, &mut out.histograms)
                    .map_err(err)?;
            }
            if series.parts.len() > 1 {
                out.samples.sort_by_key(|s| s.0);
                out.samples.dedup_by_key(|s| s.0);
                out.histograms.sort_by_key(|s| s.0);
                out.histograms.dedup_by_key(|s| s.0);
            }
            if !out.is_empty() {
                f(out)?;
            }
        }
        Ok(())
    }
}
