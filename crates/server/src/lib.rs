//! The HTTP surface every mnemos component shares: `/metrics` (Prometheus text format),
//! `/-/healthy` (the process runs) and `/-/ready` (the component can serve), plus a
//! shutdown signal for SIGINT/SIGTERM. Components add their own routes to [`router`].

#![deny(missing_docs)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tracing::info;

/// Errors starting a server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listen address could not be bound.
    #[error("listening on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an error.
    #[error("serving HTTP: {0}")]
    Serve(#[source] std::io::Error),
}

/// Whether the component is ready to serve; `/-/ready` answers 200 only when set.
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Marks the component ready.
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }
    /// Marks the component not ready.
    pub fn set_not_ready(&self) {
        self.0.store(false, Ordering::Release);
    }
    /// Whether the component is ready.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Registers `mnemos_build_info{version, component}` and `process_start_time_seconds`.
pub fn register_build_info(registry: &mut Registry, component: &str) {
    let info = Info::new(vec![
        ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ("component".to_string(), component.to_string()),
    ]);
    registry.register("mnemos_build", "Version of mnemos", info);
    let start: Gauge<f64, std::sync::atomic::AtomicU64> = Gauge::default();
    start.set(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
    );
    registry.register(
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch",
        start,
    );
}

#[derive(Clone)]
struct Shared {
    registry: Arc<Registry>,
    readiness: Readiness,
}

/// The router with `/metrics`, `/-/healthy` and `/-/ready`; merge component routes into it.
pub fn router(registry: Arc<Registry>, readiness: Readiness) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/-/healthy", get(|| async { "OK\n" }))
        .route("/-/ready", get(ready))
        .with_state(Shared {
            registry,
            readiness,
        })
}

async fn metrics(State(shared): State<Shared>) -> Response {
    let mut body = String::new();
    match encode(&mut body, &shared.registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn ready(State(shared): State<Shared>) -> Response {
    if shared.readiness.is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
    }
}

/// Binds a TCP listener, with the address in the error.
pub async fn bind(addr: &str) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|source| Error::Bind {
        addr: addr.to_string(),
        source,
    })
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve_http(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    info!(address = ?addr, "serving HTTP");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(Error::Serve)
}

/// A shutdown notice every task can wait for; cheap to clone.
#[derive(Clone, Debug)]
pub struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    /// Fires on SIGINT or SIGTERM (spawns the listening task; needs a Tokio runtime).
    pub fn on_signal() -> Self {
        let (tx, shutdown) = Self::manual();
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = tx.send(true);
        });
        shutdown
    }

    /// Fires when the returned sender sends `true` (or is dropped).
    pub fn manual() -> (tokio::sync::watch::Sender<bool>, Self) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, Self(rx))
    }

    /// Completes once shutdown is requested.
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    info!("shutdown signal received");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn health_readiness_and_metrics() {
        let mut registry = Registry::default();
        register_build_info(&mut registry, "test");
        let readiness = Readiness::default();
        let listener = bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = router(Arc::new(registry), readiness.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_http(listener, app, async {
            let _ = rx.await;
        }));
        assert!(get(addr, "/-/healthy").await.starts_with("HTTP/1.0 200"));
        assert!(get(addr, "/-/ready").await.starts_with("HTTP/1.0 503"));
        readiness.set_ready();
        assert!(get(addr, "/-/ready").await.starts_with("HTTP/1.0 200"));
        let metrics = get(addr, "/metrics").await;
        assert!(
            metrics.contains("mnemos_build_info{version=\"0.1.0\",component=\"test\"} 1"),
            "{metrics}"
        );
        let _ = tx.send(());
        server.await.expect("join").expect("serve");
    }
}
