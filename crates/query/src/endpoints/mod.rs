//! StoreAPI endpoints: where they are ([`spec`], [`file_sd`], [`config`]) and what they
//! hold ([`set`]).

pub mod config;
pub mod file_sd;
pub mod set;
pub mod spec;

pub use config::{ConfigSource, Target, Transport};
pub use set::{Endpoint, EndpointInfo, EndpointSet, EndpointSetOptions, EndpointStatus};
pub use spec::EndpointSpec;
