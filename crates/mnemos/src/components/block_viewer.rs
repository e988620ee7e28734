//! The block viewer (`/blocks` and `/api/v1/blocks`) of `mnemos tools bucket web` and the
//! compactor: its flags and its refresh task.

use std::time::Duration;

use clap::Args;
use mnemos_block::MetaFetcher;
use mnemos_objstore::Bucket;
use mnemos_ui::{BlocksView, BlocksViewMetrics, Component};
use prometheus_client::registry::Registry;

use super::{parse_duration, WebPrefixArgs};

/// How the block viewer refreshes, and what titles its streams.
#[derive(Debug, Args)]
pub struct BlockViewerArgs {
    /// The URL prefixes of the viewer.
    #[command(flatten)]
    pub prefix: WebPrefixArgs,
    /// External label whose value titles each stream of blocks (Thanos' `--label` of
    /// `tools bucket web`, `--bucket-web-label` of the compactor); empty: every label.
    #[arg(
        long = "bucket-web-label",
        alias = "label",
        env = "MNEMOS_BUCKET_WEB_LABEL",
        default_value = ""
    )]
    pub label: String,
}

/// A block viewer over `bucket`: its routes (under the route prefix) and its refresh task
/// (every `interval`, each refresh within `timeout`) until `shutdown`. Its metrics are
/// `mnemos_block_viewer_*` in `registry`; the metas it reads are fetched apart from any
/// other fetcher of the process.
pub fn spawn(
    args: &BlockViewerArgs,
    component: Component,
    bucket: Bucket,
    (interval, timeout): (Duration, Duration),
    registry: &mut Registry,
    shutdown: mnemos_server::Shutdown,
) -> anyhow::Result<(mnemos_server::Router, tokio::task::JoinHandle<()>)> {
    let prefix = args.prefix.prefix()?;
    // The viewer's own fetcher: its sync metrics would clash with the component's.
    let fetcher = MetaFetcher::new(bucket, None, &mut Registry::default());
    let view = BlocksView::new(
        fetcher,
        args.label.clone(),
        BlocksViewMetrics::new(registry),
    );
    let routes = mnemos_ui::with_route_prefix(
        &prefix,
        mnemos_ui::bucket_pages(prefix.clone(), component, view.clone()),
    );
    let task = tokio::spawn(view.run(interval, timeout, shutdown.wait()));
    Ok((routes, task))
}

/// The refresh flags of `tools bucket web` (Thanos' names).
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// How often the bucket's metas are read again.
    #[arg(long = "interval", env = "MNEMOS_INTERVAL", default_value = "1m", value_parser = parse_duration)]
    pub interval: Duration,
    /// Longest one refresh may take.
    #[arg(long = "timeout", env = "MNEMOS_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
}
