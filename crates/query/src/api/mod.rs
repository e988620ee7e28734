//! The Prometheus HTTP API (DESIGN.md section 8) over the engine and the fan-out, with
//! Thanos' extra parameters: `dedup`, `replicaLabels[]`, `partial_response`,
//! `max_source_resolution`. GET and form-encoded POST are both accepted.

mod exemplars;
pub mod params;
pub mod response;
mod rules;
mod scrape;
mod status;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use mnemos_promql::{selector_matchers, Control, Engine, Value};
use mnemos_tsdb::time::now_ms;
use mnemos_tsdb::{Labels, Matcher};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::fanout::{Fanout, FanoutError, LabelsRequest, SelectRequest};
use crate::storage::{series_limit_message, FanoutStorage, ReadOptions, Stop, Stopped};
use params::{parse_duration_ms, Params, MAX_TIME_MS, MIN_TIME_MS};
use response::{push_labels, push_str, push_str_array, query_data, success, ApiError, ErrorType};

/// The warning of an answer cut at the request's `limit` (Prometheus' wording).
const TRUNCATED: &str = "results truncated due to limit";

/// Why a series gathering stopped early.
enum SeriesStop {
    /// The request's `limit` was reached: the answer is truncated.
    Limit,
    /// `--store.limits.request-series` was passed: the request fails.
    TooMany,
}

/// The header of a query answer listing the endpoints that answered its selections in
/// full, comma separated (the UI's "Show endpoints").
pub const ENDPOINTS_HEADER: &str = "mnemos-endpoints";

/// Points a range query may return per series (Prometheus' limit).
pub const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// The API's defaults (querier flags).
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// `--query.replica-label`.
    pub replica_labels: Vec<String>,
    /// `--deduplication.func`: how replicas are merged.
    pub dedup_func: mnemos_dedup::DedupFunc,
    /// `--query.partial-response`: the default of `partial_response`.
    pub partial_response: bool,
    /// `--query.auto-downsampling`: without `max_source_resolution`, use step / 5.
    pub auto_downsampling: bool,
    /// `--query.timeout`: the longest any API request may take (the `timeout` parameter
    /// may only shorten it).
    pub timeout: std::time::Duration,
    /// `--query.max-concurrent`: API requests that read from the stores at once; more wait
    /// for a slot within their timeout.
    pub max_concurrent: usize,
    /// `--store.limits.request-series`: series one selection (a PromQL selector, one
    /// `match[]` of `/api/v1/series`) may gather (0: no limit); past it the request fails
    /// (`limit` truncates below it instead).
    pub max_series: usize,
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
    gate: Arc<Semaphore>,
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
        let gate = Arc::new(Semaphore::new(options.max_concurrent.max(1)));
        Self {
            engine,
            fanout,
            options,
            build,
            gate,
        }
    }

    /// The gate every request takes a turn at (`--query.max-concurrent`), for other
    /// services of the querier to share.
    pub fn gate(&self) -> Arc<Semaphore> {
        self.gate.clone()
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
            .route("/api/v1/metadata", get(scrape::metadata))
            .route("/api/v1/targets", get(scrape::targets))
            .route("/api/v1/rules", get(rules::rules))
            .route("/api/v1/alerts", get(rules::alerts))
            .route(
                "/api/v1/query_exemplars",
                get(exemplars::exemplars).post(exemplars::exemplars),
            )
            .route("/api/v1/status/tsdb", get(status::tsdb))
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
            dedup_func: self.options.dedup_func,
            partial_response: p.flag("partial_response", self.options.partial_response)?,
            max_resolution_ms: max_resolution_ms.max(0),
            step_ms,
            max_series: self.options.max_series,
        })
    }

    /// Runs the engine on a blocking thread over a fresh [`FanoutStorage`]; the query stops
    /// at `stop`'s deadline or as soon as the client has gone.
    async fn evaluate(
        &self,
        options: ReadOptions,
        stop: Stop,
        run: impl FnOnce(&Engine, &FanoutStorage, &Control) -> mnemos_promql::Result<Value>
            + Send
            + 'static,
    ) -> ApiResult {
        let canceled = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let control = Control {
            timeout: stop
                .deadline
                .map(|d| d.saturating_duration_since(tokio::time::Instant::now())),
            canceled: Some(canceled.clone()),
        };
        // The engine's flag follows the request's token (cancelled at the latest when the
        // request ends, so this task always ends).
        let token = stop.canceled.clone();
        tokio::spawn(async move {
            token.cancelled().await;
            canceled.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let storage = FanoutStorage::new(self.fanout.clone(), Handle::current(), options, stop);
        let engine = self.engine.clone();
        let (result, storage) = tokio::task::spawn_blocking(move || {
            let r = run(&engine, &storage, &control);
            (r, storage)
        })
        .await
        .map_err(|e| ApiError::new(ErrorType::Internal, format!("query panicked: {e}")))?;
        let value = result.map_err(|e| engine_error(e, &storage))?;
        let mut resp = success(&query_data(&value), &storage.warnings());
        if let Ok(v) = header::HeaderValue::from_str(&storage.answered().join(",")) {
            resp.headers_mut().insert(ENDPOINTS_HEADER, v);
        }
        Ok(resp)
    }

    #[tracing::instrument(name = "query.instant", skip_all)]
    async fn instant(&self, p: Params, stop: Stop) -> ApiResult {
        let t = p.time("time", now_ms())?;
        let query = p.get("query").unwrap_or_default().to_string();
        let options = self.read_options(&p, 0)?;
        self.evaluate(options, stop, move |engine, storage, control| {
            engine.instant_with(storage, &query, t, control)
        })
        .await
    }

    #[tracing::instrument(name = "query.range", skip_all)]
    async fn range(&self, p: Params, stop: Stop) -> ApiResult {
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
        let query = p.get("query").unwrap_or_default().to_string();
        let options = self.read_options(&p, step)?;
        self.evaluate(options, stop, move |engine, storage, control| {
            engine.range_with(storage, &query, start, end, step, control)
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
        let without_replica_labels = if options.dedup {
            options.replica_labels
        } else {
            Vec::new()
        };
        // From each endpoint, one more than `limit` (to know whether the union was cut) and
        // room for replica labels an endpoint may return anyway (they are dropped here).
        let limit = p.limit()?.map_or(0, |l| {
            l.saturating_add(1 + without_replica_labels.len())
                .try_into()
                .unwrap_or(i64::MAX)
        });
        let req = LabelsRequest {
            matchers: Vec::new(),
            start,
            end,
            without_replica_labels,
            partial_response: options.partial_response,
            limit,
        };
        Ok((req, sets))
    }

    #[tracing::instrument(name = "query.series", skip_all)]
    async fn series(&self, p: Params, stop: Stop) -> ApiResult {
        let sets = Self::match_params(&p)?;
        if sets.is_empty() {
            return Err(ApiError::bad_data("no match[] parameter provided"));
        }
        let start = p.time("start", MIN_TIME_MS)?;
        let end = p.time("end", MAX_TIME_MS)?;
        let limit = p.limit()?;
        let options = self.read_options(&p, 0)?;
        let storage = FanoutStorage::new(self.fanout.clone(), Handle::current(), options, stop);
        let max = self.options.max_series;
        let mut all = BTreeSet::new();
        let mut warnings = Vec::new();
        let mut truncated = false;
        for matchers in sets {
            let mut req: SelectRequest = storage.request(&matchers, start, end, None);
            req.skip_chunks = true;
            let gathered = self.fanout.select(&req, |labels, _| {
                all.insert(labels);
                match limit {
                    Some(l) if all.len() > l => Err(SeriesStop::Limit),
                    _ if max > 0 && all.len() > max => Err(SeriesStop::TooMany),
                    _ => Ok(()),
                }
            });
            match gathered.await {
                Ok(selection) => warnings.extend(selection.warnings),
                Err(FanoutError::Stopped(SeriesStop::Limit)) => {
                    truncated = true;
                    break;
                }
                Err(FanoutError::Stopped(SeriesStop::TooMany)) => {
                    return Err(ApiError::new(
                        ErrorType::Execution,
                        series_limit_message(max),
                    ))
                }
                Err(FanoutError::Endpoint(e)) => return Err(endpoint_error(e)),
            }
        }
        if truncated {
            if let Some(l) = limit {
                while all.len() > l {
                    all.pop_last();
                }
            }
            warnings.push(TRUNCATED.to_string());
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
            .map_err(endpoint_error)?;
            values.extend(v);
            warnings.extend(w);
        }
        let mut values: Vec<String> = values.into_iter().collect();
        if let Some(l) = p.limit()? {
            if values.len() > l {
                values.truncate(l);
                warnings.push(TRUNCATED.to_string());
            }
        }
        let mut data = String::new();
        push_str_array(&mut data, &values);
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

/// An engine error as the API reports it.
fn engine_error(e: mnemos_promql::Error, storage: &FanoutStorage) -> ApiError {
    use mnemos_promql::Error as E;
    match e {
        E::Parse(msg) => ApiError::invalid_param("query", &msg),
        E::Execution(msg) => ApiError::new(ErrorType::Execution, msg),
        E::TooManySamples => ApiError::new(ErrorType::Execution, e.to_string()),
        E::Timeout => ApiError::new(ErrorType::Timeout, e.to_string()),
        E::Canceled => ApiError::new(ErrorType::Canceled, e.to_string()),
        E::Storage(msg) => match storage.stopped() {
            Some(Stopped::Timeout) => ApiError::new(ErrorType::Timeout, msg),
            Some(Stopped::Canceled) => ApiError::new(ErrorType::Canceled, msg),
            None if storage.limited() => ApiError::new(ErrorType::Execution, msg),
            None if storage.endpoint_failed() => ApiError::new(ErrorType::Unavailable, msg),
            None => ApiError::new(ErrorType::Internal, msg),
        },
    }
}

/// An endpoint's failure, as the API reports it: a refusal for passing the endpoint's
/// limits is the client's to fix (422), anything else is unavailability (503).
fn endpoint_error(e: crate::Error) -> ApiError {
    match e {
        crate::Error::LimitExceeded(msg) => ApiError::new(ErrorType::Execution, msg),
        e => ApiError::new(ErrorType::Unavailable, e.to_string()),
    }
}

/// A request stopped early, as the API reports it.
fn stopped_error(why: Stopped, in_queue: bool) -> ApiError {
    let place = if in_queue {
        "query queue"
    } else {
        "query execution"
    };
    match why {
        Stopped::Timeout => {
            ApiError::new(ErrorType::Timeout, format!("query timed out in {place}"))
        }
        Stopped::Canceled => ApiError::new(
            ErrorType::Canceled,
            format!("query was canceled in {place}"),
        ),
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

/// Runs one API request: reads its parameters, waits for a slot among
/// `--query.max-concurrent`, bounds it by its timeout (`--query.timeout`, shortened by the
/// `timeout` parameter) and cancels its work when the client goes away (the handler is
/// dropped); records it in the metrics and turns errors into Prometheus' error answers.
async fn answer<F, Fut>(
    api: &QueryApi,
    handler: &str,
    (query, headers, body): (Option<String>, &HeaderMap, &Bytes),
    work: F,
) -> Response
where
    F: FnOnce(Params, Stop) -> Fut,
    Fut: std::future::Future<Output = ApiResult>,
{
    let started = Instant::now();
    let token = CancellationToken::new();
    let _cancel_when_dropped = token.clone().drop_guard();
    let run = async {
        let p = request_params(query, headers, body)?;
        let timeout = match p.duration("timeout")? {
            Some(ms) if ms > 0 => api
                .options
                .timeout
                .min(std::time::Duration::from_millis(ms as u64)),
            _ => api.options.timeout,
        };
        let stop = Stop {
            deadline: Some(tokio::time::Instant::now() + timeout),
            canceled: token.clone(),
        };
        let _permit = stop
            .run(api.gate.acquire())
            .await
            .map_err(|why| stopped_error(why, true))?
            .map_err(|_| ApiError::new(ErrorType::Unavailable, "the querier is shutting down"))?;
        stop.run(work(p, stop.clone()))
            .await
            .map_err(|why| stopped_error(why, false))?
    };
    let response = match run.await {
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
    answer(&api, "/api/v1/query", (q, &headers, &body), |p, stop| {
        api.instant(p, stop)
    })
    .await
}

async fn query_range(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(
        &api,
        "/api/v1/query_range",
        (q, &headers, &body),
        |p, stop| api.range(p, stop),
    )
    .await
}

async fn series(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&api, "/api/v1/series", (q, &headers, &body), |p, stop| {
        api.series(p, stop)
    })
    .await
}

async fn labels(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = api.clone();
    answer(
        &api,
        "/api/v1/labels",
        (q, &headers, &body),
        |p, _| async move {
            let api = inner;
            let fanout = api.fanout.clone();
            api.label_call(&p, |req| {
                let fanout = fanout.clone();
                async move { fanout.label_names(&req).await }
            })
            .await
        },
    )
    .await
}

async fn label_values(
    State(api): State<Arc<QueryApi>>,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let none = (q, &HeaderMap::new(), &Bytes::new());
    let inner = api.clone();
    answer(
        &api,
        "/api/v1/label/:name/values",
        none,
        |p, _| async move {
            let api = inner;
            if !is_label_name(&name) {
                return Err(ApiError::bad_data(format!("invalid label name: {name:?}")));
            }
            let fanout = api.fanout.clone();
            let name = name.clone();
            api.label_call(&p, |req| {
                let (fanout, name) = (fanout.clone(), name.clone());
                async move { fanout.label_values(&name, &req).await }
            })
            .await
        },
    )
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

/// Labels as a JSON object (for tests and tools).
pub fn labels_json(labels: &Labels) -> String {
    let mut s = String::new();
    push_labels(&mut s, labels);
    s
}
