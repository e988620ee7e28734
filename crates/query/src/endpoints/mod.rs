//! StoreAPI endpoints: where they are ([`spec`], [`file_sd`]) and what they hold ([`set`]).

pub mod file_sd;
pub mod set;
pub mod spec;

pub use set::{Endpoint, EndpointInfo, EndpointSet, EndpointSetOptions, EndpointStatus};
pub use spec::EndpointSpec;
