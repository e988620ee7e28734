//! The mnemos store gateway.

#![deny(missing_docs)]

pub mod range_cache;
