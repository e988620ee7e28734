//! The frontend's HTTP routes: range queries and metadata through their handlers,
//! everything else passed to the querier (retried), each request timed, counted and, past
//! `--query-frontend.log-queries-longer-than`, logged as a slow query.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
/// Header names, for [`HandlerOptions`].
pub use axum::http::HeaderName;
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use mnemos_query::api::params::Params;

use crate::downstream::{Call, Downstream};
use crate::metadata::MetadataFrontend;
use crate::metrics::FrontendMetrics;
use crate::range::RangeFrontend;
use crate::reply::forward;

/// Options of the routes.
#[derive(Clone, Debug)]
pub struct HandlerOptions {
    /// Request headers passed to the querier (`--query-frontend.forward-header`).
    pub forward_headers: Vec<HeaderName>,
    /// Requests slower than this are logged; `Some(ZERO)`: all; `None`: none.
    pub slow_query_threshold: Option<Duration>,
    /// Header naming the user in slow-query logs
    /// (`--query-frontend.slow-query-logs-user-header`); the basic-auth user otherwise.
    pub user_header: Option<HeaderName>,
    /// Attempts per passed-through call.
    pub attempts: usize,
}

/// The frontend.
pub struct Frontend {
    range: RangeFrontend,
    metadata: MetadataFrontend,
    downstream: Downstream,
    options: HandlerOptions,
    metrics: FrontendMetrics,
}

impl Frontend {
    /// The frontend over its handlers.
    pub fn new(
        range: RangeFrontend,
        metadata: MetadataFrontend,
        downstream: Downstream,
        options: HandlerOptions,
        metrics: FrontendMetrics,
    ) -> Self {
        Self {
            range,
            metadata,
            downstream,
            options,
            metrics,
        }
    }

    /// The routes; anything not routed passes through to the querier.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(crate::range::PATH, get(range).post(range))
            .route("/api/v1/labels", get(labels).post(labels))
            .route("/api/v1/label/{name}/values", get(label_values))
            .route("/api/v1/series", get(series).post(series))
            .fallback(any(other))
            .with_state(self)
    }

    fn forwarded(&self, headers: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
        self.options
            .forward_headers
            .iter()
            .flat_map(|name| {
                headers
                    .get_all(name)
                    .iter()
                    .map(move |v| (name.clone(), v.clone()))
            })
            .collect()
    }

    /// Runs `f`, then counts it and logs it when slow.
    async fn timed(
        &self,
        op: &'static str,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        params: Option<&Params>,
        f: impl std::future::Future<Output = Response>,
    ) -> Response {
        let started = Instant::now();
        let response = f.await;
        let took = started.elapsed();
        self.metrics.query(op, took.as_secs_f64());
        if self.options.slow_query_threshold.is_some_and(|t| took > t) {
            let param = |name: &str| {
                params
                    .and_then(|p| p.get(name))
                    .unwrap_or_default()
                    .to_string()
            };
            tracing::info!(
                method = %method,
                path = uri.path(),
                status = response.status().as_u16(),
                time_taken = ?took,
                remote_user = %self.user(headers),
                param_query = %param("query"),
                param_start = %param("start"),
                param_end = %param("end"),
                param_step = %param("step"),
                "slow query detected"
            );
        }
        response
    }

    /// The user for the slow-query log: the configured header, else the basic-auth user.
    fn user(&self, headers: &HeaderMap) -> String {
        if let Some(name) = &self.options.user_header {
            if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                return v.to_string();
            }
        }
        mnemos_server::basic_auth_user(headers).unwrap_or_default()
    }
}

/// The parameters of a request: URL query plus a form body.
fn params(uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Option<Params> {
    let form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    Params::parse(uri.query(), form.then_some(&body[..])).ok()
}

async fn range(
    State(f): State<Arc<Frontend>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(p) = params(&uri, &headers, &body) else {
        return pass(&f, "query_range", method, uri, headers, body).await;
    };
    let forwarded = f.forwarded(&headers);
    f.timed(
        "query_range",
        &method,
        &uri,
        &headers,
        Some(&p),
        f.range.serve(&p, &forwarded),
    )
    .await
}

async fn metadata(
    f: Arc<Frontend>,
    op: &'static str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(p) = params(&uri, &headers, &body) else {
        return pass(&f, op, method, uri, headers, body).await;
    };
    let forwarded = f.forwarded(&headers);
    let path = uri.path().to_string();
    f.timed(
        op,
        &method,
        &uri,
        &headers,
        Some(&p),
        f.metadata.serve(op, &path, &p, &forwarded),
    )
    .await
}

async fn labels(
    State(f): State<Arc<Frontend>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    metadata(f, "labels", method, uri, headers, body).await
}

async fn label_values(
    State(f): State<Arc<Frontend>>,
    Path(_name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    metadata(f, "label_values", method, uri, headers, body).await
}

async fn series(
    State(f): State<Arc<Frontend>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    metadata(f, "series", method, uri, headers, body).await
}

async fn other(
    State(f): State<Arc<Frontend>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    pass(&f, "other", method, uri, headers, body).await
}

/// Passes a request to the querier as it came (method, path, query, form body).
async fn pass(
    f: &Frontend,
    op: &'static str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::GET && method != Method::POST {
        return (
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
        )
            .into_response();
    }
    let mut forwarded = f.forwarded(&headers);
    if let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE) {
        forwarded.push((axum::http::header::CONTENT_TYPE, ct.clone()));
    }
    let call = Call {
        method: method.clone(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or_default().to_string(),
        form: (!body.is_empty()).then(|| String::from_utf8_lossy(&body).into_owned()),
        headers: forwarded,
    };
    let params = params(&uri, &headers, &body);
    f.timed(
        op,
        &method,
        &uri,
        &headers,
        params.as_ref(),
        forward(&f.downstream, op, &call, f.options.attempts),
    )
    .await
}
