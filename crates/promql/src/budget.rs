//! The query's sample budget (`--query.max-samples`): every value the engine holds is
//! charged before it is allocated and released when it is dropped, so one query never holds
//! more than the limit at once, whatever its shape.
//!
//! The engine is step-vectorised: an instant vector holds one slot per series and step, present
//! or not, so it is charged `series × steps`; a scalar `steps`; a materialised range vector
//! (subquery) its points; a streamed range vector the points of the one series in hand.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Samples one query holds, against its limit.
#[derive(Debug)]
pub(crate) struct Budget {
    max: usize,
    held: AtomicUsize,
}

impl Budget {
    /// An empty budget of `max` samples.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            held: AtomicUsize::new(0),
        }
    }

    /// Charges `n` samples, failing (and charging nothing) when that would pass the limit.
    pub fn charge(&self, n: usize) -> Result<Charge<'_>> {
        let mut held = self.held.load(Ordering::Relaxed);
        loop {
            let total = held
                .checked_add(n)
                .filter(|t| *t <= self.max)
                .ok_or(Error::TooManySamples)?;
            match self
                .held
                .compare_exchange_weak(held, total, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(Charge { budget: self, n }),
                Err(now) => held = now,
            }
        }
    }

    /// Fails when `n` more samples would pass the limit, charging nothing.
    pub fn check(&self, n: usize) -> Result<()> {
        self.charge(n).map(drop)
    }

    /// Samples held now.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }
}

/// Samples charged to a [`Budget`]; released when dropped.
#[derive(Debug)]
pub(crate) struct Charge<'a> {
    budget: &'a Budget,
    n: usize,
}

impl Charge<'_> {
    /// Grows the charge by `n` samples (the value it stands for grew).
    pub fn grow(&mut self, n: usize) -> Result<()> {
        let more = self.budget.charge(n)?;
        self.n += more.n;
        std::mem::forget(more);
        Ok(())
    }
}

impl Drop for Charge<'_> {
    fn drop(&mut self) {
        self.budget.held.fetch_sub(self.n, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_are_released_when_dropped_and_never_pass_the_limit() {
        let b = Budget::new(10);
        let a = b.charge(6).expect("fits");
        assert_eq!(b.charge(5).map(drop), Err(Error::TooManySamples));
        assert_eq!(b.held(), 6, "a refused charge takes nothing");
        let mut c = b.charge(4).expect("fits exactly");
        assert_eq!(c.grow(1), Err(Error::TooManySamples));
        drop(a);
        c.grow(6).expect("room again");
        assert_eq!(b.held(), 10);
        drop(c);
        assert_eq!(b.held(), 0);
        assert_eq!(b.check(usize::MAX).err(), Some(Error::TooManySamples));
    }
}
