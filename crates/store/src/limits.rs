//! Per-request limits, checked before the memory is spent: series are counted from the
//! postings (before series entries are fetched), samples from chunk metas (120 per chunk,
//! as Thanos estimates) before chunks are fetched.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Samples counted per chunk when estimating.
pub const SAMPLES_PER_CHUNK: u64 = 120;

/// Limits of one request (0 = unlimited) and what it has used so far.
#[derive(Debug, Default)]
pub struct RequestLimits {
    max_series: u64,
    max_samples: u64,
    series: AtomicU64,
    samples: AtomicU64,
}

impl RequestLimits {
    /// Limits for one request.
    pub fn new(max_series: u64, max_samples: u64) -> Self {
        Self {
            max_series,
            max_samples,
            ..Self::default()
        }
    }

    /// Counts `n` more series; fails when over the limit.
    pub fn add_series(&self, n: u64) -> Result<()> {
        let total = self.series.fetch_add(n, Ordering::Relaxed) + n;
        if self.max_series > 0 && total > self.max_series {
            return Err(Error::Limit(format!(
                "exceeded series limit: limit {} violated (got {total})",
                self.max_series
            )));
        }
        Ok(())
    }

    /// Counts `chunks` more chunks as samples; fails when over the limit.
    pub fn add_chunks(&self, chunks: u64) -> Result<()> {
        let n = chunks * SAMPLES_PER_CHUNK;
        let total = self.samples.fetch_add(n, Ordering::Relaxed) + n;
        if self.max_samples > 0 && total > self.max_samples {
            return Err(Error::Limit(format!(
                "exceeded samples limit: limit {} violated (got {total})",
                self.max_samples
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_trip_past_the_maximum() {
        let l = RequestLimits::new(10, 240);
        assert!(l.add_series(10).is_ok());
        assert!(l
            .add_series(1)
            .unwrap_err()
            .to_string()
            .contains("exceeded series limit: limit 10 violated (got 11)"));
        assert!(l.add_chunks(2).is_ok());
        assert!(l.add_chunks(1).is_err());
        let unlimited = RequestLimits::new(0, 0);
        assert!(unlimited.add_series(u64::MAX / 2).is_ok());
    }
}
