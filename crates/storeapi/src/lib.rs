//! gRPC protocol of mnemos: the Thanos-compatible StoreAPI (`thanos.Store`), the Info API
//! (`thanos.info.Info`) and the Prometheus remote-read messages the sidecar uses.
//!
//! The Rust code is generated at build time (prost + tonic) from the `.proto` files in the
//! workspace's `proto/` directory, whose field numbers are the wire contract of DESIGN.md
//! section 3 (identical to Thanos' and Prometheus' own files).
//!
//! # Modules
//!
//! Modules follow the protobuf packages:
//!
//! | module | proto package | contents |
//! |---|---|---|
//! | [`thanos`] | `thanos` | messages (`SeriesRequest`, `SeriesResponse`, `Series`, `AggrChunk`, `Chunk`, `Label`, `LabelMatcher`, …), the client [`thanos::store_client::StoreClient`] and the server [`thanos::store_server::StoreServer`] with its trait [`thanos::store_server::Store`] |
//! | [`thanos::info`] | `thanos.info` | `InfoRequest`, `InfoResponse`, `StoreInfo`, `TSDBInfo`, …, [`thanos::info::info_client::InfoClient`], [`thanos::info::info_server::InfoServer`] and its trait [`thanos::info::info_server::Info`] |
//! | [`prometheus`] | `prometheus` | remote read: `ReadRequest`, `ReadResponse`, `ChunkedReadResponse`, `ChunkedSeries`, `Chunk`, … (messages only; remote read is HTTP, not gRPC) |
//!
//! Enums are generated as Rust enums (e.g. [`thanos::label_matcher::Type`]) while the message
//! fields hold `i32`; use the generated getters and setters (`r#type()`, `set_type()`) to
//! convert. `google.protobuf.Any` is [`prost_types::Any`]. Chunk payloads (`data`) are
//! [`prost::bytes::Bytes`].
//!
//! Hand-written helpers (constructors and constants) live in this crate's [`helpers`] module
//! as inherent `impl`s and constants on the generated types.

#![deny(missing_docs)]

/// Generated code; its items are re-exported below under the package names.
#[allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/_includes.rs"));
}

pub mod convert;
pub mod helpers;

pub use generated::{prometheus, thanos};

pub use prost;
pub use prost_types;
pub use tonic;
