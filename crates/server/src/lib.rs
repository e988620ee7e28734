//! The HTTP surface every mnemos component shares: `/metrics` (Prometheus text format),
//! `/-/healthy` (the process runs) and `/-/ready` (the component can serve), plus a
//! shutdown signal for SIGINT/SIGTERM. Components add their own routes to [`router`].
//! Every listener takes `--http.config` ([`WebConfig`]: TLS, basic auth, headers).

#![deny(missing_docs)]

mod limits;
mod web_config;

pub use limits::{GrpcLimits, HttpLimits};
pub use web_config::{WebConfig, WebConfigError, WebSettings};

/// The router components merge their routes into (axum's).
pub use axum::Router;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

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

/// The user name of a request's `Authorization: Basic` header (never its password), for
/// logs.
pub fn basic_auth_user(headers: &axum::http::HeaderMap) -> Option<String> {
    web_config::basic_credentials(headers).map(|(user, _)| user)
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
                // prometheus-client writes OpenMetrics (`info` types, `# EOF`): Prometheus'
                // text parser refuses that body under the text format's content type.
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
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
    TcpListener::bind(listen_address(addr).as_ref())
        .await
        .map_err(|source| Error::Bind {
            addr: addr.to_string(),
            source,
        })
}

/// A listen address as Go (and so Thanos and Prometheus) reads it: `:port` means every
/// IPv4 interface; `host:port` and `[v6]:port` are used as given.
pub fn listen_address(addr: &str) -> std::borrow::Cow<'_, str> {
    if addr.starts_with(':') {
        format!("0.0.0.0{addr}").into()
    } else {
        addr.into()
    }
}

/// Serves `router` on `listener` until `shutdown` completes, within `limits`: at most
/// `max_connections` connections at once (more wait to be accepted), headers (and a TLS
/// handshake) within `read_header_timeout`, connections closed after `idle_timeout` without
/// traffic, requests answered 503 after `request_timeout` and 413 past
/// `max_request_body_bytes`. With a web configuration, connections are TLS when it says so
/// and requests need its credentials. On shutdown the listener closes and open connections
/// finish their requests.
pub async fn serve_http(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    web: Option<Arc<WebConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    info!(address = ?addr, max_connections = limits.max_connections, web_config = web.is_some(), "serving HTTP");
    let router = match &web {
        Some(web) => router.layer(axum::middleware::from_fn_with_state(
            web.clone(),
            web_config::enforce,
        )),
        None => router,
    };
    let app = router
        .layer(axum::extract::DefaultBodyLimit::max(
            limits.max_request_body_bytes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limits.request_timeout,
            request_timeout,
        ));
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let (closing_tx, closing) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, never spin or exit.
                    tracing::warn!(error = %e, "accepting an HTTP connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let stream = limits::IdleTimeout::new(stream, limits.idle_timeout);
        let web = web.clone();
        let app = app.clone();
        let closing = closing.clone();
        let header_timeout = limits.read_header_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            // The web config's TLS as of now (reading changed files happens here, not in
            // the accept loop).
            let tls = web.as_ref().and_then(|w| w.current().tls.clone());
            let result = match tls {
                None => serve_connection(stream, app, header_timeout, closing).await,
                Some(tls) => match tls.accept(stream, header_timeout).await {
                    Ok(stream) => serve_connection(stream, app, header_timeout, closing).await,
                    Err(e) => {
                        tracing::debug!(peer = %peer, error = %e, "TLS handshake failed");
                        return;
                    }
                },
            };
            if let Err(e) = result {
                tracing::debug!(peer = %peer, error = %e, "HTTP connection ended with an error");
            }
        });
    }
    let _ = closing_tx.send(true);
    // Open connections finish their requests once the slots they hold are all back.
    let _ = slots
        .acquire_many(u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX))
        .await;
    Ok(())
}

/// Serves HTTP/1.1 on one connection until it ends, or gracefully once `closing` changes.
async fn serve_connection<IO>(
    io: IO,
    app: Router,
    header_timeout: std::time::Duration,
    mut closing: tokio::sync::watch::Receiver<bool>,
) -> Result<(), hyper::Error>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper_util::service::TowerToHyperService::new(app);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => r,
        _ = closing.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    }
}

/// Largest request head (request line and headers) read, as Go's default (1 MiB).
const MAX_HEADER_BYTES: usize = 1 << 20;

async fn request_timeout(
    State(limit): State<std::time::Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(r) => r,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("request timed out after {limit:?}\n"),
        )
            .into_response(),
    }
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

    #[tokio::test]
    async fn go_style_listen_addresses() {
        assert_eq!(listen_address(":10901"), "0.0.0.0:10901");
        assert_eq!(listen_address("127.0.0.1:10901"), "127.0.0.1:10901");
        assert_eq!(listen_address("[::1]:10901"), "[::1]:10901");
        let any = bind(":0").await.expect("bind :0");
        assert!(any.local_addr().expect("addr").ip().is_unspecified());
        let err = bind("nonsense").await.expect_err("no port");
        assert!(err.to_string().contains("nonsense"), "{err}");
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
        let server = tokio::spawn(serve_http(
            listener,
            app,
            HttpLimits::default(),
            None,
            async {
                let _ = rx.await;
            },
        ));
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
