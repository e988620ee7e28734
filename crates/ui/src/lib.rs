//! mnemos' web UI: the page bundles built from `ui/` (esbuild; see `ui/README.md`) and
//! embedded in the binary, the HTML shell of each page, the assets with cache headers and
//! gzip, Thanos' URL prefix flags (`--web.route-prefix`, `--web.external-prefix`,
//! `--web.prefix-header`), and the bucket block viewer's `/api/v1/blocks`.
//!
//! The querier serves the query and stores pages ([`query_pages`]); `mnemos tools bucket
//! web` and the compactor serve the block viewer ([`bucket_pages`]).

mod assets;
mod blocks;
mod error;
mod pages;
mod prefix;
mod shell;

pub use assets::{asset_names, asset_version};
pub use blocks::{BlocksView, BlocksViewMetrics};
pub use error::Error;
pub use pages::{bucket_pages, query_pages, with_route_prefix};
pub use prefix::WebPrefix;
pub use shell::{Component, Page, PageDefaults};
