//! The querier (DESIGN.md sections 3, 6 and 8): finds StoreAPI endpoints (static, DNS, file
//! discovery) and polls their Info API ([`endpoints`]), fans a selection out to every
//! endpoint that can hold matching data and merges the sorted streams ([`fanout`]), turns a
//! series' chunks into samples with HA deduplication ([`series`]), lets the PromQL engine
//! read through all that ([`storage`]), serves the Prometheus HTTP API ([`api`]), and serves the StoreAPI
//! itself so queriers stack ([`proxy`]); metric metadata ([`metadata`]), scrape targets
//! ([`targets`]), rules and alerts ([`rules`]), exemplars ([`exemplars`]) and TSDB
//! statistics ([`tsdb_status`]) come from the endpoints that serve them.

#![deny(missing_docs)]

pub mod api;
pub mod endpoints;
mod error;
pub mod exemplars;
pub mod fanout;
pub mod metadata;
pub mod metrics;
pub mod proxy;
pub mod rules;
pub mod series;
pub mod storage;
pub mod targets;
pub mod tsdb_status;

pub use error::{Error, Result};
