//! The Prometheus HTTP API (DESIGN.md section 8) over the engine and the fan-out, with
//! Thanos' extra parameters: `dedup`, `replicaLabels[]`, `partial_response`,
//! `max_source_resolution`. GET and form-encoded POST are both accepted.

pub mod params;
pub mod response;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use mnemos_promql::{selector_matchers, Engine, Value};
use mnemos_tsdb::{Labels, Matcher};
use tokio::runtime::Handle;

use crate::fanout::{Fanout, FanoutError, LabelsRequest, SelectRequest};
use crate::storage::{FanoutStorage, ReadOptions};
use params::{parse_duration_ms, Params, MAX_TIME_MS, MIN_TIME_MS};
use response::{push_labels, push_str, push_str_array, query_data, success, ApiError, ErrorType};

/// Points a range query may return per series (Prometheus' limit).
pub const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// The API's defaults (querier flags).
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// `--query.replica-label`.
    pub replica_labels: Vec<String>,
    /// `--query.partial-response`: the default of `partial_response`.
    pub partial_response: bool,
    /// `--query.auto-downsampling`: without `max_source_resolution`, use step / 5.
    pub auto_downsampling: bool,
}

/// What `/api/v1/status/buildinfo` reports.
#[derive(Clone, Debug, Default)]
pub struct BuildInfo {
    /// mnemos' version.
    pub version: String,
    /// The git revision, when known.
    pub revision: String,
}

/// The API's state.
pub struct QueryApi {
    engine: Arc<Engine>,
    fanout: Arc<Fanout>,
    options: ApiOptions,
    build: BuildInfo,
}

type ApiResult = Result<Response, ApiError>;

impl QueryApi {
    /// The API over `engine` and `fanout`.
    pub fn new(
        engine: Arc<Engine>,
        fanout: Arc<Fanout>,
        options: ApiOptions,
        build: BuildInfo,
    ) -> Self {
        Self {
            engine,
            fanout,
            options,
            build,
        }
    }

    /// The API's routes.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/api/v1/query", get(query).post(query))
            .route("/api/v1/query_range", get(query_range).post(query_range))
            .route("/api/v1/series", get(series).post(series))
            .route("/api/v1/labels", get(labels).post(labels))
            .route("/api/v1/label/{name}/values", get(label_values))
            .route("/api/v1/status/buildinfo", get(buildinfo))
            .route("/api/v1/stores", get(stores))
            .route("/api/v1/metadata", get(metadata))
            .route("/api/v1/query_exemplars", get(exemplars).post(exemplars))
            .with_state(self)
    }

    /// The read options of a request with query step `step_ms` (0 for instant queries).
    fn read_options(&self, p: &Params, step_ms: i64) -> Result<ReadOptions, ApiError> {
        let replica_labels: Vec<String> = p
            .all("replicaLabels[]")
            .into_iter()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let auto = step_ms / 5;
        let max_resolution_ms = match p.get("max_source_resolution") {
            None if self.options.auto_downsampling => auto,
            None => 0,
            Some("auto") => auto,
            Some(s) => parse_duration_ms(s)
                .map_err(|e| ApiError::invalid_param("max_source_resolution", &e))?,
        };
        Ok(ReadOptions {
            dedup: p.flag("dedup", true)?,
            replica_labels: if replica_labels.is_empty() {
                self.options.replica_labels.clone()
            } else {
                replica_labels
            },
            partial_response: p.flag("partial_response", self.options.partial_response)?,
            max_resolution_ms: max_resolution_ms.max(0),
            step_ms,
        })
    }

    /// Runs the engine on a blocking thread over a fresh [`FanoutStorage`].
    async fn evaluate(
        &self,
        options: ReadOptions,
        run: impl FnOnce(&Engine, &FanoutStorage) -> mnemos_promql::Result<Value> + Send + 'static,
    ) -> ApiResult {
        let storage = FanoutStorage::new(self.fanout.clone(), Handle::current(), options);
        let engine = self.engine.clone();
        let (result, storage) = tokio::task::spawn_blocking(move || {
            let r = run(&engine, &storage);
            (r, storage)
        })
        .await
        .map_err(|e| ApiError::new(ErrorType::Internal, format!("query panicked: {e}")))?;
        let value = result.map_err(|e| engine_error(e, storage.endpoint_failed()))?;
        Ok(success(&query_data(&value), &storage.warnings()))
    }

    #[tracing::instrument(name = "query.instant", skip_all)]
    async fn instant(&self, p: Params) -> ApiResult {
        let t = p.time("time", now_ms())?;
        p.duration("timeout")?;
        let query = p.get("query").unwrap_or_default().to_string();
        let options = self.read_options(&p, 0)?;
        self.evaluate(options, move |engine, storage| {
            engine.instant(storage, &query, t)
        })
        .await
    }

    #[tracing::instrument(name = "query.range", skip_all)]
    async fn range(&self, p: Params) -> ApiResult {
        let start = p.required_time("start")?;
        let end = p.required_time("end")?;
        if end < start {
            return Err(ApiError::invalid_param(
                "end",
                "end timestamp must not be before start time",
            ));
        }
        let step = p.duration("step")?.ok_or_else(|| {
            ApiError::invalid_param("step", "cannot parse \"\" to a valid duration")
        })?;
        if step <= 0 {
            return Err(ApiError::invalid_param(
                "step",
                "zero or negative query resolution step widths are not accepted. Try a positive integer",
            ));
        }
        if (end - start) / step > MAX_POINTS_PER_SERIES {
            return Err(ApiError::bad_data(
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
            ));
        }
        p.duration("timeout")?;
        let query = p.get("query").unwrap_or_default().to_string();
        let options = self.read_options(&p, step)?;
        self.evaluate(options, move |engine, storage| {
            engine.range(storage, &query, start, end, step)
        })
        .await
    }

    fn match_params(p: &Params) -> Result<Vec<Vec<Matcher>>, ApiError> {
        p.all("match[]")
            .into_iter()
            .map(|m| selector_matchers(m).map_err(|e| ApiError::bad_data(e.to_string())))
            .collect()
    }

    fn labels_request(&self, p: &Params) -> Result<(LabelsRequest, Vec<Vec<Matcher>>), ApiError> {
        let start = p.time("start", MIN_TIME_MS)?;
        let end = p.time("end", MAX_TIME_MS)?;
        let sets = Self::match_params(p)?;
        let options = self.read_options(p, 0)?;
        let req = LabelsRequest {
            matchers: Vec::new(),
            start,
            end,
            without_replica_labels: if options.dedup {
                options.replica_labels
            } else {
                Vec::new()
            },
            partial_response: options.partial_response,
        };
        Ok((req, sets))
    }

    #[tracing::instrument(name = "query.series", skip_all)]
    async fn series(&self, p: Params) -> ApiResult {
        let sets = Self::match_params(&p)?;
        if sets.is_empty() {
            return Err(ApiError::bad_data("no match[] parameter provided"));
        }
        let start = p.time("start", MIN_TIME_MS)?;
        let end = p.time("end", MAX_TIME_MS)?;
        let options = self.read_options(&p, 0)?;
        let storage = FanoutStorage::new(self.fanout.clone(), Handle::current(), options);
        let mut all = BTreeSet::new();
        let mut warnings = Vec::new();
        for matchers in sets {
            let mut req: SelectRequest = storage.request(&matchers, start, end, None);
            req.skip_chunks = true;
            let w = self
                .fanout
                .select(&req, |labels, _| {
                    all.insert(labels);
                    Ok::<(), ()>(())
                })
                .await
                .map_err(|e| match e {
                    FanoutError::Endpoint(e) => {
                        ApiError::new(ErrorType::Unavailable, e.to_string())
                    }
                    FanoutError::Stopped(()) => ApiError::new(ErrorType::Internal, "stopped"),
                })?;
            warnings.extend(w);
        }
        let mut data = String::from("[");
        for (i, labels) in all.iter().enumerate() {
            if i > 0 {
                data.push(',');
            }
            push_labels(&mut data, labels);
        }
        data.push(']');
        Ok(success(&data, &warnings))
    }

    /// Runs a label API call once per `match[]` set (or once without), unioning answers.
    async fn label_call<'a, F, Fut>(&'a self, p: &Params, call: F) -> ApiResult
    where
        F: Fn(LabelsRequest) -> Fut,
        Fut: std::future::Future<Output = crate::Result<(Vec<String>, Vec<String>)>> + 'a,
    {
        let (req, sets) = self.labels_request(p)?;
        let sets = if sets.is_empty() {
            vec![Vec::new()]
        } else {
            sets
        };
        let mut values = BTreeSet::new();
        let mut warnings = Vec::new();
        for matchers in sets {
            let (v, w) = call(LabelsRequest {
                matchers,
                ..req.clone()
            })
            .await
            .map_err(|e| ApiError::new(ErrorType::Unavailable, e.to_string()))?;
            values.extend(v);
            warnings.extend(w);
        }
        let mut data = String::new();
        push_str_array(&mut data, &values.into_iter().collect::<Vec<_>>());
        Ok(success(&data, &warnings))
    }

    fn stores_data(&self) -> String {
        let mut by_kind: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
            Default::default();
        for e in self.fanout.endpoints().all() {
            let s = e.status();
            let kind = s
                .info
                .as_ref()
                .map_or("unknown".to_string(), |i| i.component.clone());
            let label_sets: Vec<serde_json::Value> = s
                .info
                .as_ref()
                .map(|i| {
                    i.label_sets
                        .iter()
                        .map(|ls| {
                            serde_json::Value::Object(
                                ls.iter()
                                    .map(|l| (l.name.clone(), l.value.clone().into()))
                                    .collect(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            by_kind.entry(kind).or_default().push(serde_json::json!({
                "name": e.addr,
                "healthy": s.healthy,
                "lastCheck": s.last_check.map(|t| {
                    let ms = t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
                    mnemos_tsdb::gofmt::rfc3339(ms)
                }),
                "lastError": s.last_error,
                "labelSets": label_sets,
                "minTime": s.info.as_ref().map(|i| i.min_time),
                "maxTime": s.info.as_ref().map(|i| i.max_time),
            }));
        }
        serde_json::to_string(&by_kind).unwrap_or_else(|_| "{}".into())
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// An engine error as the API reports it.
fn engine_error(e: mnemos_promql::Error, endpoint_failed: bool) -> ApiError {
    use mnemos_promql::Error as E;
    match e {
        E::Parse(msg) => ApiError::invalid_param("query", &msg),
        E::Execution(msg) => ApiError::new(ErrorType::Execution, msg),
        E::TooManySamples => ApiError::new(ErrorType::Execution, e.to_string()),
        E::Timeout => ApiError::new(ErrorType::Timeout, e.to_string()),
        E::Storage(msg) if endpoint_failed => ApiError::new(ErrorType::Unavailable, msg),
        E::Storage(msg) => ApiError::new(ErrorType::Internal, msg),
    }
}

/// The parameters of a request: its URL query and, for form POSTs, its body.
fn request_params(
    query: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Params, ApiError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    Params::parse(query.as_deref(), is_form.then_some(body.as_ref()))
}

/// Records the request in the metrics and turns errors into Prometheus' error answers.
async fn answer(
    api: &QueryApi,
    handler: &str,
    work: impl std::future::Future<Output = ApiResult>,
) -> Response {
    let started = Instant::now();
    let response = match work.await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(handler, error = %e.message, "request failed");
            e.into_response()
        }
    };
    api.fanout.metrics().request(
        handler,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn query(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&api, "/api/v1/query", async {
        api.instant(request_params(q, &headers, &body)?).await
    })
    .await
}

async fn query_range(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&api, "/api/v1/query_range", async {
        api.range(request_params(q, &headers, &body)?).await
    })
    .await
}

async fn series(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&api, "/api/v1/series", async {
        api.series(request_params(q, &headers, &body)?).await
    })
    .await
}

async fn labels(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&api, "/api/v1/labels", async {
        let p = request_params(q, &headers, &body)?;
        let fanout = api.fanout.clone();
        api.label_call(&p, |req| {
            let fanout = fanout.clone();
            async move { fanout.label_names(&req).await }
        })
        .await
    })
    .await
}

async fn label_values(
    State(api): State<Arc<QueryApi>>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    answer(&api, "/api/v1/label/:name/values", async {
        if !is_label_name(&name) {
            return Err(ApiError::bad_data(format!("invalid label name: {name:?}")));
        }
        let p = request_params(q, &HeaderMap::new(), &Bytes::new())?;
        let fanout = api.fanout.clone();
        let name = name.clone();
        api.label_call(&p, |req| {
            let (fanout, name) = (fanout.clone(), name.clone());
            async move { fanout.label_values(&name, &req).await }
        })
        .await
    })
    .await
}

/// Prometheus' label name rule: `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

async fn buildinfo(State(api): State<Arc<QueryApi>>) -> Response {
    let mut data = String::from(r#"{"version":"#);
    push_str(&mut data, &api.build.version);
    data.push_str(r#","revision":"#);
    push_str(&mut data, &api.build.revision);
    data.push_str(r#","branch":"","buildUser":"","buildDate":"","goVersion":""}"#);
    success(&data, &[])
}

async fn stores(State(api): State<Arc<QueryApi>>) -> Response {
    success(&api.stores_data(), &[])
}

/// Metric metadata is not collected by mnemos: an empty answer, as from a Prometheus that
/// has none (Grafana asks on every editor load).
async fn metadata() -> Response {
    success("{}", &[])
}

/// Exemplars are not stored by mnemos: an empty answer (Grafana asks when enabled).
async fn exemplars() -> Response {
    success("[]", &[])
}

/// Labels as a JSON object (for tests and tools).
pub fn labels_json(labels: &Labels) -> String {
    let mut s = String::new();
    push_labels(&mut s, labels);
    s
}
