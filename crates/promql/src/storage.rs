//! What the engine reads: series selected by matchers over a time range. The querier
//! implements [`Storage`] over StoreAPI fan-out; tests use [`MemStorage`].

use mnemos_tsdb::{BlockSet, Labels, Matcher};

/// A stored series: labels and samples in time order (`STALE_NAN_BITS` values are
/// staleness markers).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSeries {
    /// Labels, `__name__` included.
    pub labels: Labels,
    /// `(t ms, value)` in time order.
    pub samples: Vec<(i64, f64)>,
}

/// Storage errors, as text (the storage's own error types stay with it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StorageError(pub String);

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

    /// [`Storage::select_each`] with the engine's hints; the default ignores them.
    fn select_hinted(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
        hints: &SelectHints,
        f: &mut dyn FnMut(StoredSeries) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let _ = hints;
        self.select_each(matchers, mint, maxt, f)
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
        let idx = match self.series.iter().position(|s| s.labels == labels) {
            Some(i) => i,
            None => {
                self.series.push(StoredSeries {
                    labels,
                    samples: Vec::new(),
                });
                self.series.len() - 1
            }
        };
        let s = &mut self.series[idx];
        for &(t, v) in samples {
            match s.samples.binary_search_by_key(&t, |(st, _)| *st) {
                Ok(i) => s.samples[i] = (t, v),
                Err(i) => s.samples.insert(i, (t, v)),
            }
        }
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
            })
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(out)
    }
}

/// The blocks of a local data directory (a Prometheus `--storage.tsdb.path`, or downloaded
/// blocks), read with the tsdb crate.
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
            let samples = series.samples(mint, maxt).map_err(err)?;
            if !samples.is_empty() {
                f(StoredSeries {
                    labels: series.labels.clone(),
                    samples,
                })?;
            }
        }
        Ok(())
    }
}
