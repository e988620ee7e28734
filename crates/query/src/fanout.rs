//! Fan-out: one `Series` call per endpoint that may hold matching data, all at once; the
//! sorted answers are merged k-way as they arrive (each endpoint's stream goes through a
//! small bounded channel, so memory holds a few series per endpoint, not whole answers).

use std::sync::Arc;
use std::time::Duration;

use mnemos_storeapi::convert;
use mnemos_storeapi::thanos::{
    self, series_response, AggrChunk, PartialResponseStrategy, SeriesRequest,
};
use mnemos_tsdb::{Labels, Matcher};
use tokio::sync::mpsc;

use crate::endpoints::{Endpoint, EndpointSet};
use crate::metrics::QueryMetrics;

/// Series frames buffered per endpoint.
const STREAM_BUFFER: usize = 64;

/// One selection, as the fan-out sends it.
#[derive(Clone, Debug, Default)]
pub struct SelectRequest {
    /// Label matchers (all must match).
    pub matchers: Vec<Matcher>,
    /// Start (ms, inclusive).
    pub mint: i64,
    /// End (ms, inclusive).
    pub maxt: i64,
    /// Labels only, no chunks (`/api/v1/series`).
    pub skip_chunks: bool,
    /// Coarsest downsampling resolution acceptable (ms); 0 = raw only.
    pub max_resolution_ms: i64,
    /// Aggregates wanted from downsampled blocks.
    pub aggregates: Vec<thanos::Aggr>,
    /// Replica labels the endpoints drop (deduplication on); empty otherwise.
    pub without_replica_labels: Vec<String>,
    /// Whether a failing endpoint only adds a warning.
    pub partial_response: bool,
    /// The enclosing PromQL function, step and range, passed on as query hints.
    pub func: Option<String>,
    /// Query step (ms).
    pub step_ms: i64,
    /// Range of the range vector (ms).
    pub range_ms: i64,
}

/// How a fan-out ended without an answer.
#[derive(Debug)]
pub enum FanoutError<E> {
    /// An endpoint failed and partial responses are off.
    Endpoint(crate::Error),
    /// The consumer stopped the merge with its own error.
    Stopped(E),
}

/// Sends selections to endpoints and merges their answers.
pub struct Fanout {
    endpoints: Arc<EndpointSet>,
    response_timeout: Option<Duration>,
    metrics: QueryMetrics,
}

/// A message from one endpoint's stream.
enum Frame {
    Series(Labels, Vec<AggrChunk>),
    Warning(String),
    /// The call failed; `exhausted` when the endpoint refused it for passing its limits.
    Failed {
        msg: String,
        exhausted: bool,
    },
}

/// One endpoint's stream and its current head.
struct Stream {
    endpoint: Arc<Endpoint>,
    rx: mpsc::Receiver<Frame>,
    head: Option<(Labels, Vec<AggrChunk>)>,
    done: bool,
    /// The stream ended without a failure: the endpoint answered in full.
    answered: bool,
    task: tokio::task::JoinHandle<()>,
}

/// What a finished selection reports besides its series.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Endpoints that failed (when partial responses are on) and the endpoints' own
    /// warnings.
    pub warnings: Vec<String>,
    /// The endpoints that answered in full (their addresses).
    pub answered: Vec<String>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fanout {
    /// A fan-out over `endpoints`; `response_timeout` bounds the wait for each message of
    /// an endpoint's answer (`None`: no bound besides the query's own timeout).
    pub fn new(
        endpoints: Arc<EndpointSet>,
        response_timeout: Option<Duration>,
        metrics: QueryMetrics,
    ) -> Self {
        Self {
            endpoints,
            response_timeout,
            metrics,
        }
    }

    /// The endpoint set.
    pub fn endpoints(&self) -> &Arc<EndpointSet> {
        &self.endpoints
    }

    /// The metrics.
    pub fn metrics(&self) -> &QueryMetrics {
        &self.metrics
    }

    /// Selects series from every endpoint that may hold them and hands each distinct label
    /// set to `f` once, in label order, with the chunks of every frame that carried it.
    /// Returns the warnings (endpoints that failed, when partial responses are on, and the
    /// endpoints' own warnings) and the endpoints that answered.
    #[tracing::instrument(name = "fanout.series", skip_all, fields(mint = req.mint, maxt = req.maxt))]
    pub async fn select<E>(
        &self,
        req: &SelectRequest,
        mut f: impl FnMut(Labels, Vec<AggrChunk>) -> Result<(), E>,
    ) -> Result<Selection, FanoutError<E>> {
        let mut merge = self.merge(req).map_err(FanoutError::Endpoint)?;
        while let Some((labels, chunks)) = merge.next().await.map_err(FanoutError::Endpoint)? {
            f(labels, chunks).map_err(FanoutError::Stopped)?;
        }
        let answered = merge.answered();
        Ok(Selection {
            warnings: merge.finish(),
            answered,
        })
    }

    /// Starts the `Series` calls of a selection on every endpoint that may hold matching
    /// series; [`Merge::next`] then yields the merged series one at a time.
    pub fn merge(&self, req: &SelectRequest) -> crate::Result<Merge> {
        let mut merge = Merge {
            metrics: self.metrics.clone(),
            streams: Vec::new(),
            partial: req.partial_response,
            warnings: Vec::new(),
        };
        let targets = self.endpoints_for(
            &req.matchers,
            req.mint,
            req.maxt,
            req.partial_response,
            &mut merge.warnings,
        )?;
        merge.streams = targets
            .into_iter()
            .map(|endpoint| self.open(endpoint, series_request(req)))
            .collect();
        Ok(merge)
    }

    /// The endpoints to call for a selection: those that may hold matching series. Known
    /// unhealthy ones are failures instead: warnings, or the error when partial responses
    /// are off.
    fn endpoints_for(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
        partial: bool,
        warnings: &mut Vec<String>,
    ) -> crate::Result<Vec<Arc<Endpoint>>> {
        let mut out = Vec::new();
        for endpoint in self.endpoints.all() {
            if !endpoint.may_match(matchers, mint, maxt) {
                continue;
            }
            match unavailable(&endpoint) {
                Some(msg) => failure(&self.metrics, &endpoint.addr, msg, partial, false, warnings)?,
                None => out.push(endpoint),
            }
        }
        Ok(out)
    }

    /// Starts the `Series` call of one endpoint, feeding a bounded channel.
    fn open(&self, endpoint: Arc<Endpoint>, req: SeriesRequest) -> Stream {
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let mut client = endpoint.store_client();
        let timeout = self.response_timeout;
        self.metrics.series_calls.inc();
        let task = tokio::spawn(async move {
            let within = |what: &str| Frame::Failed {
                msg: format!("{what} timed out after {timeout:?}"),
                exhausted: false,
            };
            let call = client.series(req);
            let answer = match timeout {
                Some(t) => tokio::time::timeout(t, call).await.ok(),
                None => Some(call.await),
            };
            let mut stream = match answer {
                None => {
                    let _ = tx.send(within("series call")).await;
                    return;
                }
                Some(Err(status)) => {
                    let _ = tx.send(failed(&status)).await;
                    return;
                }
                Some(Ok(resp)) => resp.into_inner(),
            };
            loop {
                let next = match timeout {
                    Some(t) => tokio::time::timeout(t, stream.message()).await.ok(),
                    None => Some(stream.message().await),
                };
                let frames = match next {
                    None => vec![within("receiving series")],
                    Some(Err(status)) => vec![failed(&status)],
                    Some(Ok(None)) => return,
                    Some(Ok(Some(msg))) => frames_of(msg),
                };
                for frame in frames {
                    let last = matches!(frame, Frame::Failed { .. });
                    if tx.send(frame).await.is_err() || last {
                        return;
                    }
                }
            }
        });
        Stream {
            endpoint,
            rx,
            head: None,
            done: false,
            answered: false,
            task,
        }
    }
}

/// A selection in progress: every endpoint's sorted stream, merged k-way.
pub struct Merge {
    metrics: QueryMetrics,
    streams: Vec<Stream>,
    partial: bool,
    warnings: Vec<String>,
}

impl Merge {
    /// The next distinct label set (in label order) with the chunks of every frame that
    /// carried it, from every endpoint; `None` when every stream has ended. An endpoint's
    /// failure is an error unless partial responses are on (then a warning).
    pub async fn next(&mut self) -> crate::Result<Option<(Labels, Vec<AggrChunk>)>> {
        for s in self.streams.iter_mut() {
            if s.head.is_none() && !s.done {
                advance(&self.metrics, s, self.partial, &mut self.warnings).await?;
            }
        }
        let Some(min) = self
            .streams
            .iter()
            .filter_map(|s| s.head.as_ref().map(|h| &h.0))
            .min()
            .cloned()
        else {
            return Ok(None);
        };
        let mut chunks = Vec::new();
        let mut frames = 0u64;
        for s in self.streams.iter_mut() {
            // An endpoint may send one series in several consecutive frames.
            while s.head.as_ref().is_some_and(|h| h.0 == min) {
                if let Some((_, c)) = s.head.take() {
                    chunks.extend(c);
                    frames += 1;
                }
                advance(&self.metrics, s, self.partial, &mut self.warnings).await?;
            }
        }
        self.metrics
            .replicas_merged
            .inc_by(frames.saturating_sub(1));
        Ok(Some((min, chunks)))
    }

    /// The warnings so far (failed endpoints when partial responses are on, and the
    /// endpoints' own warnings), taken out.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// The endpoints whose streams have ended without a failure.
    pub fn answered(&self) -> Vec<String> {
        self.streams
            .iter()
            .filter(|s| s.answered)
            .map(|s| s.endpoint.addr.clone())
            .collect()
    }

    /// Ends the selection: its warnings; a failed endpoint counts as a partial response.
    pub fn finish(mut self) -> Vec<String> {
        if self.warnings.iter().any(|w| w.starts_with("endpoint ")) {
            self.metrics.partial_responses.inc();
        }
        self.take_warnings()
    }
}

/// Records an endpoint's failure: a warning when partial responses are on, else the
/// error. A refusal for passing the endpoint's limits (`exhausted`) is always an error.
fn failure(
    metrics: &QueryMetrics,
    addr: &str,
    msg: String,
    partial: bool,
    exhausted: bool,
    warnings: &mut Vec<String>,
) -> crate::Result<()> {
    metrics.endpoint_failure(addr);
    tracing::warn!(endpoint = addr, error = %msg, "series call failed");
    if exhausted {
        Err(crate::Error::LimitExceeded(msg))
    } else if partial {
        warnings.push(msg);
        Ok(())
    } else {
        Err(crate::Error::EndpointFailed(msg))
    }
}

/// Pulls the next series of `s` into its head (warnings on the way are collected).
async fn advance(
    metrics: &QueryMetrics,
    s: &mut Stream,
    partial: bool,
    warnings: &mut Vec<String>,
) -> crate::Result<()> {
    loop {
        match s.rx.recv().await {
            None => {
                s.done = true;
                s.answered = true;
                return Ok(());
            }
            Some(Frame::Series(labels, chunks)) => {
                metrics.series_received.inc();
                s.head = Some((labels, chunks));
                return Ok(());
            }
            Some(Frame::Warning(w)) => {
                warnings.push(format!("endpoint {}: {w}", s.endpoint.addr));
            }
            Some(Frame::Failed { msg, exhausted }) => {
                s.done = true;
                let msg = format!("endpoint {}: {msg}", s.endpoint.addr);
                return failure(metrics, &s.endpoint.addr, msg, partial, exhausted, warnings);
            }
        }
    }
}

/// Why an endpoint is not called: its last Info check failed.
fn unavailable(endpoint: &Endpoint) -> Option<String> {
    let status = endpoint.status();
    (!status.healthy && status.last_check.is_some()).then(|| {
        format!(
            "endpoint {} is unavailable: {}",
            endpoint.addr,
            status.last_error.as_deref().unwrap_or("unhealthy")
        )
    })
}

/// Reads a streamed answer to its end: the data of its frames, and its warning frames
/// (`split` tells them apart; `None` for a frame that carries neither).
pub async fn read_frames<M, T>(
    mut stream: tonic::Streaming<M>,
    split: impl Fn(M) -> Option<Result<T, String>>,
) -> Result<(Vec<T>, Vec<String>), tonic::Status> {
    let (mut data, mut warnings) = (Vec::new(), Vec::new());
    while let Some(msg) = stream.message().await? {
        match split(msg) {
            Some(Ok(d)) => data.push(d),
            Some(Err(w)) => warnings.push(w),
            None => {}
        }
    }
    Ok((data, warnings))
}

/// The frame of a failed call.
fn failed(status: &tonic::Status) -> Frame {
    Frame::Failed {
        msg: status_text(status),
        exhausted: refused_for_limits(status),
    }
}

/// Whether the endpoint refused the call for passing its limits (`ResourceExhausted`).
fn refused_for_limits(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::ResourceExhausted
}

fn status_text(status: &tonic::Status) -> String {
    format!(
        "rpc error: code = {:?} desc = {}",
        status.code(),
        status.message()
    )
}

fn frames_of(msg: thanos::SeriesResponse) -> Vec<Frame> {
    let series = |s: thanos::Series| Frame::Series(convert::labels(s.labels), s.chunks);
    match msg.result {
        Some(series_response::Result::Series(s)) => vec![series(s)],
        Some(series_response::Result::Batch(b)) => b.series.into_iter().map(series).collect(),
        Some(series_response::Result::Warning(w)) => vec![Frame::Warning(w)],
        Some(series_response::Result::Hints(_)) | None => Vec::new(),
    }
}

/// The partial response strategy of a request: `Warn` when partial responses are on,
/// `Abort` otherwise.
pub fn partial_response_strategy(partial: bool) -> i32 {
    if partial {
        PartialResponseStrategy::Warn as i32
    } else {
        PartialResponseStrategy::Abort as i32
    }
}

/// The StoreAPI request for a selection.
fn series_request(req: &SelectRequest) -> SeriesRequest {
    SeriesRequest {
        min_time: req.mint,
        max_time: req.maxt,
        matchers: req.matchers.iter().map(convert::wire_matcher).collect(),
        max_resolution_window: req.max_resolution_ms,
        aggregates: req.aggregates.iter().map(|a| *a as i32).collect(),
        partial_response_disabled: !req.partial_response,
        partial_response_strategy: partial_response_strategy(req.partial_response),
        skip_chunks: req.skip_chunks,
        step: req.step_ms,
        range: req.range_ms,
        query_hints: req.func.as_ref().map(|f| thanos::QueryHints {
            step_millis: req.step_ms,
            func: Some(thanos::Func { name: f.clone() }),
            range: Some(thanos::Range {
                millis: req.range_ms,
            }),
            ..Default::default()
        }),
        without_replica_labels: req.without_replica_labels.clone(),
        ..Default::default()
    }
}

/// What the label APIs ask every endpoint.
#[derive(Clone, Debug, Default)]
pub struct LabelsRequest {
    /// Series matchers (empty: all series).
    pub matchers: Vec<Matcher>,
    /// Start (ms).
    pub start: i64,
    /// End (ms).
    pub end: i64,
    /// Replica labels to leave out (deduplication on).
    pub without_replica_labels: Vec<String>,
    /// Whether a failing endpoint only adds a warning.
    pub partial_response: bool,
    /// Values each endpoint returns at most (0: all).
    pub limit: i64,
}

impl Fanout {
    /// Label names of the matching series on every endpoint, sorted, each once.
    pub async fn label_names(
        &self,
        req: &LabelsRequest,
    ) -> crate::Result<(Vec<String>, Vec<String>)> {
        let request = thanos::LabelNamesRequest {
            partial_response_disabled: !req.partial_response,
            start: req.start,
            end: req.end,
            matchers: req.matchers.iter().map(convert::wire_matcher).collect(),
            without_replica_labels: req.without_replica_labels.clone(),
            limit: req.limit,
            ..Default::default()
        };
        let (mut names, warnings) = self
            .on_each_endpoint(req, move |mut client| {
                let request = request.clone();
                async move {
                    let r = client.label_names(request).await?.into_inner();
                    Ok((r.names, r.warnings))
                }
            })
            .await?;
        // Endpoints that keep replica labels anyway must not show them.
        names.retain(|n| !req.without_replica_labels.contains(n));
        Ok((names, warnings))
    }

    /// Values of label `name` on the matching series of every endpoint, sorted, each once.
    pub async fn label_values(
        &self,
        name: &str,
        req: &LabelsRequest,
    ) -> crate::Result<(Vec<String>, Vec<String>)> {
        let request = thanos::LabelValuesRequest {
            label: name.to_string(),
            partial_response_disabled: !req.partial_response,
            start: req.start,
            end: req.end,
            matchers: req.matchers.iter().map(convert::wire_matcher).collect(),
            without_replica_labels: req.without_replica_labels.clone(),
            limit: req.limit,
            ..Default::default()
        };
        self.on_each_endpoint(req, move |mut client| {
            let request = request.clone();
            async move {
                let r = client.label_values(request).await?.into_inner();
                Ok((r.values, r.warnings))
            }
        })
        .await
    }

    /// Runs `call` on every healthy endpoint whose last Info answer says it serves an API
    /// (`serves`), concurrently, each within `--store.response-timeout`; returns what each
    /// answered, in endpoint order, and the warnings (see [`Fanout::on_each_planned`]).
    pub async fn on_each_serving<F, Fut, T>(
        &self,
        serves: impl Fn(&crate::endpoints::EndpointInfo) -> bool,
        partial: bool,
        call: F,
    ) -> crate::Result<(Vec<T>, Vec<String>)>
    where
        F: Fn(tonic::transport::Channel) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<T>, Vec<String>), tonic::Status>>,
    {
        self.on_each_planned(
            |info| serves(info).then_some(()),
            partial,
            |channel, ()| call(channel),
        )
        .await
    }

    /// Runs `call` on every endpoint for which `plan` makes something of its last Info
    /// answer (e.g. the request for that endpoint), concurrently, each within
    /// `--store.response-timeout`; returns what each answered, in endpoint order, and the
    /// warnings: the endpoints' own, and failed endpoints when `partial` (otherwise a
    /// failure is the error). An endpoint planned for whose last Info call failed is not
    /// called: it is a failure, as for series.
    pub async fn on_each_planned<P, F, Fut, T>(
        &self,
        plan: impl Fn(&crate::endpoints::EndpointInfo) -> Option<P>,
        partial: bool,
        call: F,
    ) -> crate::Result<(Vec<T>, Vec<String>)>
    where
        F: Fn(tonic::transport::Channel, P) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<T>, Vec<String>), tonic::Status>>,
    {
        let mut warnings = Vec::new();
        let mut planned = Vec::new();
        for endpoint in self.endpoints.all() {
            let status = endpoint.status();
            let Some(p) = status.info.as_ref().and_then(&plan) else {
                continue;
            };
            if status.healthy {
                planned.push((endpoint, p));
            } else if let Some(msg) = unavailable(&endpoint) {
                failure(
                    &self.metrics,
                    &endpoint.addr,
                    msg,
                    partial,
                    false,
                    &mut warnings,
                )?;
            }
        }
        let out = self
            .call_all(planned, partial, |e, p| call(e.channel(), p), &mut warnings)
            .await?;
        Ok((out, warnings))
    }

    /// Runs `call` on each of `endpoints` (with what was planned for it) concurrently, each
    /// within `--store.response-timeout`, and gathers what they answered in endpoint order;
    /// their warnings and (when `partial`) failures go to `warnings`, prefixed with the
    /// endpoint.
    async fn call_all<P, F, Fut, T>(
        &self,
        endpoints: Vec<(Arc<Endpoint>, P)>,
        partial: bool,
        call: F,
        warnings: &mut Vec<String>,
    ) -> crate::Result<Vec<T>>
    where
        F: Fn(&Endpoint, P) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<T>, Vec<String>), tonic::Status>>,
    {
        let timeout = self.response_timeout;
        let (endpoints, plans): (Vec<_>, Vec<_>) = endpoints.into_iter().unzip();
        let calls = endpoints.iter().zip(plans).map(|(endpoint, p)| {
            let fut = call(endpoint, p);
            async move {
                match timeout {
                    Some(t) => tokio::time::timeout(t, fut).await.unwrap_or_else(|_| {
                        Err(tonic::Status::deadline_exceeded(format!(
                            "timed out after {t:?}"
                        )))
                    }),
                    None => fut.await,
                }
            }
        });
        let mut out = Vec::new();
        for (endpoint, answer) in endpoints.iter().zip(futures::future::join_all(calls).await) {
            match answer {
                Ok((items, w)) => {
                    out.extend(items);
                    warnings.extend(
                        w.into_iter()
                            .map(|w| format!("endpoint {}: {w}", endpoint.addr)),
                    );
                }
                Err(status) => {
                    let msg = format!("endpoint {}: {}", endpoint.addr, status_text(&status));
                    failure(
                        &self.metrics,
                        &endpoint.addr,
                        msg,
                        partial,
                        refused_for_limits(&status),
                        warnings,
                    )?;
                }
            }
        }
        Ok(out)
    }

    /// Runs `call` on every endpoint that may hold matching series, concurrently, and
    /// unions the strings they return.
    async fn on_each_endpoint<F, Fut>(
        &self,
        req: &LabelsRequest,
        call: F,
    ) -> crate::Result<(Vec<String>, Vec<String>)>
    where
        F: Fn(thanos::store_client::StoreClient<tonic::transport::Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<String>, Vec<String>), tonic::Status>>,
    {
        let mut warnings = Vec::new();
        let targets = self.endpoints_for(
            &req.matchers,
            req.start,
            req.end,
            req.partial_response,
            &mut warnings,
        )?;
        let values: std::collections::BTreeSet<String> = self
            .call_all(
                targets.into_iter().map(|e| (e, ())).collect(),
                req.partial_response,
                |e, ()| call(e.store_client()),
                &mut warnings,
            )
            .await?
            .into_iter()
            .collect();
        Ok((values.into_iter().collect(), warnings))
    }
}
