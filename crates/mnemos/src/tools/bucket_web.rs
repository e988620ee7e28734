//! `mnemos tools bucket web`: the block viewer of a bucket on its own (Thanos' `tools
//! bucket web`), until SIGINT/SIGTERM.

use std::sync::Arc;

use clap::Args;
use mnemos_server::{register_build_info, router, Readiness, Shutdown};
use prometheus_client::registry::Registry;
use tracing::info;

use crate::components::block_viewer::{spawn, BlockViewerArgs, RefreshArgs};
use crate::components::{HttpArgs, ObjstoreArgs};

/// `mnemos tools bucket web`
#[derive(Debug, Args)]
pub struct WebArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// The HTTP listener.
    #[command(flatten)]
    http: HttpArgs,
    /// The viewer's prefixes and stream label.
    #[command(flatten)]
    viewer: BlockViewerArgs,
    /// How often and how long the bucket is read.
    #[command(flatten)]
    refresh: RefreshArgs,
}

impl WebArgs {
    /// Serves the viewer until a signal.
    pub async fn run(self) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let mut registry = Registry::default();
        register_build_info(&mut registry, "bucket-web");
        let bucket = self.objstore.open_required(&mut registry)?;
        let (routes, refresher) = spawn(
            &self.viewer,
            mnemos_ui::Component::Bucket,
            bucket,
            (self.refresh.interval, self.refresh.timeout),
            &mut registry,
            shutdown.clone(),
        )?;
        let readiness = Readiness::default();
        let app = router(Arc::new(registry), readiness.clone()).merge(routes);
        let http_task = self.http.serve(app, shutdown).await?;
        readiness.set_ready();
        info!(address = %self.http.address, "block viewer ready");
        let result = http_task.await;
        refresher.abort();
        result??;
        Ok(())
    }
}
