//! Calls to the querier's HTTP API: each within a deadline, answers read up to a size
//! limit, retried on transport errors and 5xx answers.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use reqwest::Method;

use crate::error::{Error, Result};
use crate::metrics::FrontendMetrics;

/// How the querier is called.
#[derive(Clone, Debug)]
pub struct DownstreamOptions {
    /// Base URL of the querier (`--query-frontend.downstream-url`).
    pub url: String,
    /// Longest one call may take, answer included.
    pub timeout: Duration,
    /// Largest answer read; a larger one fails the call.
    pub max_response_bytes: usize,
}

/// One call: method, API path, URL query, form body, headers passed on.
#[derive(Clone, Debug)]
pub struct Call {
    /// GET or POST.
    pub method: Method,
    /// The path, e.g. `/api/v1/query_range`.
    pub path: String,
    /// The URL query (encoded, without `?`); may be empty.
    pub query: String,
    /// A form-encoded body (POST).
    pub form: Option<String>,
    /// Headers passed on from the client (`--query-frontend.forward-header`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Call {
    /// A GET of `path` with the encoded URL `query`.
    pub fn get(path: &str, query: String, headers: Vec<(HeaderName, HeaderValue)>) -> Self {
        Self {
            method: Method::GET,
            path: path.to_string(),
            query,
            form: None,
            headers,
        }
    }

    /// A form POST of `form` to `path`.
    pub fn post_form(path: &str, form: String, headers: Vec<(HeaderName, HeaderValue)>) -> Self {
        Self {
            method: Method::POST,
            path: path.to_string(),
            query: String::new(),
            form: Some(form),
            headers,
        }
    }
}

/// The querier's answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl Reply {
    /// Whether the querier asked that the answer not be cached (`Cache-Control: no-store`,
    /// which Thanos' querier sets on partial responses).
    pub fn no_store(&self) -> bool {
        self.headers
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("no-store"))
    }
}

/// The querier, as the frontend calls it.
#[derive(Clone)]
pub struct Downstream {
    client: reqwest::Client,
    base: String,
    options: DownstreamOptions,
    metrics: FrontendMetrics,
}

impl Downstream {
    /// A client for `options.url` (http or https, verified against the system's CAs).
    pub fn new(options: DownstreamOptions, metrics: FrontendMetrics) -> Result<Self> {
        let url = reqwest::Url::parse(&options.url).map_err(|e| {
            Error::DownstreamConfig(format!("--query-frontend.downstream-url: {e}"))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::DownstreamConfig(format!(
                "--query-frontend.downstream-url: scheme {} (http or https)",
                url.scheme()
            )));
        }
        // rustls needs its process-wide crypto provider (for https downstreams).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5).min(options.timeout))
            .timeout(options.timeout)
            .build()
            .map_err(|e| Error::DownstreamConfig(format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            base: options.url.trim_end_matches('/').to_string(),
            options,
            metrics,
        })
    }

    /// Makes `call`, up to `attempts` times (at least once) while it fails with a transport
    /// error or a 5xx answer; the last answer or error is returned.
    pub async fn call(&self, op: &'static str, call: &Call, attempts: usize) -> Result<Reply> {
        let attempts = attempts.max(1);
        let mut last = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                self.metrics.retry(op);
                tokio::time::sleep(Duration::from_millis(50 * attempt as u64)).await;
            }
            let result = self.once(call).await;
            self.metrics
                .downstream(op, result.as_ref().map(|r| r.status).unwrap_or(0));
            match result {
                Ok(reply) if reply.status < 500 => return Ok(reply),
                other => {
                    if let Err(e) = &other {
                        tracing::warn!(op, attempt = attempt + 1, error = %e, "downstream call failed");
                    }
                    last = Some(other);
                }
            }
        }
        last.unwrap_or_else(|| Err(self.error("no attempt made")))
    }

    fn error(&self, reason: impl Into<String>) -> Error {
        Error::Downstream {
            url: self.base.clone(),
            reason: reason.into(),
        }
    }

    async fn once(&self, call: &Call) -> Result<Reply> {
        let mut url = format!("{}{}", self.base, call.path);
        if !call.query.is_empty() {
            url.push('?');
            url.push_str(&call.query);
        }
        let mut req = self.client.request(call.method.clone(), &url);
        for (name, value) in &call.headers {
            req = req.header(name, value);
        }
        if let Some(form) = &call.form {
            req = req
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form.clone());
        }
        // Errors without the URL: it may hold credentials.
        let mut resp = req
            .send()
            .await
            .map_err(|e| self.error(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let limit = self.options.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(self.error(format!("answer larger than {limit} bytes")));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.error(e.without_url().to_string()))?
        {
            if body.len() + chunk.len() > limit {
                return Err(self.error(format!("answer larger than {limit} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body: body.freeze(),
        })
    }
}
