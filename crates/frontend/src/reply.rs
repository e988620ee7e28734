//! Answers made of the querier's replies: passed on as they are, the querier out of reach,
//! and the warnings of several parts merged.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use mnemos_query::api::response::{ApiError, ErrorType};

use crate::downstream::{Call, Downstream, Reply};

/// The querier's answer as it is: status, content type, cache control, body.
pub fn passthrough(reply: Reply) -> Response {
    let mut response = axum::response::Response::new(axum::body::Body::from(reply.body));
    *response.status_mut() = axum::http::StatusCode::from_u16(reply.status)
        .unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
    for name in [
        axum::http::header::CONTENT_TYPE,
        axum::http::header::CACHE_CONTROL,
        axum::http::header::CONTENT_ENCODING,
        axum::http::header::LOCATION,
    ] {
        for value in reply.headers.get_all(name.as_str()) {
            if let Ok(v) = HeaderValue::from_bytes(value.as_bytes()) {
                response.headers_mut().append(name.clone(), v);
            }
        }
    }
    response
}

/// The querier could not be reached (after retries): Prometheus' `unavailable`, 503.
pub fn unavailable(e: crate::Error) -> Response {
    ApiError::new(ErrorType::Unavailable, e.to_string()).into_response()
}

/// Makes `call` (up to `attempts` times) and answers with the querier's reply as it is.
pub async fn forward(
    downstream: &Downstream,
    op: &'static str,
    call: &Call,
    attempts: usize,
) -> Response {
    match downstream.call(op, call, attempts).await {
        Ok(reply) => passthrough(reply),
        Err(e) => unavailable(e),
    }
}

/// Adds `more` to `warnings`, each text once, in the order first seen.
pub fn add_warnings(warnings: &mut Vec<String>, more: Vec<String>) {
    for w in more {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
}
