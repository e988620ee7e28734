//! The querier as a StoreAPI endpoint (Thanos' proxy store), so queriers stack: `Series`,
//! `LabelNames` and `LabelValues` fan out to this querier's endpoints and merge their
//! answers (series in label order, each label set once with the distinct chunks of every
//! endpoint); `Info` announces the union of the endpoints' external label sets and time
//! ranges. It also serves the Metric Metadata, Targets, Rules, Exemplars and Status APIs
//! over the endpoints that do (merged, exact copies once; the caller removes its own replica
//! labels).
//! Replica labels are those of the caller's request (`without_replica_labels`),
//! passed down to the endpoints as Thanos' querier does; an upper querier deduplicates the
//! replicas' chunks it receives in one series. Failed endpoints are warning frames, or the
//! call's error when the caller disabled partial responses.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use mnemos_storeapi::convert;
use mnemos_storeapi::helpers::{component_type, limit_count};
use mnemos_storeapi::thanos::exemplars_server::Exemplars;
use mnemos_storeapi::thanos::info::{
    info_server::Info, ExemplarsInfo, InfoRequest, InfoResponse, MetricMetadataInfo, RulesInfo,
    StatusInfo, StoreInfo, TargetsInfo, TsdbInfo,
};
use mnemos_storeapi::thanos::metadata_server::Metadata;
use mnemos_storeapi::thanos::rules_server::Rules;
use mnemos_storeapi::thanos::status_server::Status as StatusApi;
use mnemos_storeapi::thanos::targets_server::Targets;
use mnemos_storeapi::thanos::{
    self, store_server::Store, Aggr, LabelNamesRequest, LabelNamesResponse, LabelValuesRequest,
    LabelValuesResponse, PartialResponseStrategy, SeriesRequest, SeriesResponse,
};
use mnemos_storeapi::thanos::{
    exemplars_response, metric_metadata_response, rules_response, targets_response,
    tsdb_statistics_response, ExemplarsRequest, ExemplarsResponse, MetricMetadata,
    MetricMetadataEntry, MetricMetadataRequest, MetricMetadataResponse, RulesRequest,
    RulesResponse, TargetsRequest, TargetsResponse, TsdbStatistics, TsdbStatisticsRequest,
    TsdbStatisticsResponse,
};
use mnemos_tsdb::{Labels, Matcher};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::fanout::{Fanout, LabelsRequest, Merge, SelectRequest};
use crate::series::distinct_chunks;
use crate::storage::series_limit_message;

/// Series frames buffered between the merge and the caller.
const SERIES_BUFFER: usize = 16;

type SeriesStream = Pin<Box<dyn Stream<Item = Result<SeriesResponse, Status>> + Send>>;

/// Limits of the querier's StoreAPI.
#[derive(Clone, Debug)]
pub struct ProxyOptions {
    /// Longest one call may take (`--query.timeout`).
    pub timeout: Duration,
    /// Series one `Series` call may gather (`--store.limits.request-series`; 0: no limit).
    pub max_series: usize,
}

/// The querier's StoreAPI and Info API.
#[derive(Clone)]
pub struct ProxyStore {
    fanout: Arc<Fanout>,
    gate: Arc<Semaphore>,
    ready: Arc<dyn Fn() -> bool + Send + Sync>,
    options: ProxyOptions,
}

impl ProxyStore {
    /// The StoreAPI over `fanout`; calls take a turn at `gate` (shared with the HTTP API, so
    /// `--query.max-concurrent` bounds all of the querier's work) and its `Info` answers
    /// "not ready" while `ready` says no.
    pub fn new(
        fanout: Arc<Fanout>,
        gate: Arc<Semaphore>,
        ready: Arc<dyn Fn() -> bool + Send + Sync>,
        options: ProxyOptions,
    ) -> Self {
        Self {
            fanout,
            gate,
            ready,
            options,
        }
    }

    /// A turn at the gate, waiting at most the call's timeout.
    async fn admit(&self) -> Result<OwnedSemaphorePermit, Status> {
        match tokio::time::timeout(self.options.timeout, self.gate.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(Status::unavailable("the querier is shutting down")),
            Err(_) => Err(Status::resource_exhausted(format!(
                "no free query slot within {:?} (--query.max-concurrent)",
                self.options.timeout
            ))),
        }
    }
}

/// Whether a request asks for an error rather than a warning when an endpoint fails.
fn aborts(disabled: bool, strategy: i32) -> bool {
    disabled || strategy == PartialResponseStrategy::Abort as i32
}

/// The fan-out's selection for a StoreAPI `Series` request.
fn select_request(req: &SeriesRequest, matchers: Vec<Matcher>) -> SelectRequest {
    let hints = req.query_hints.as_ref();
    SelectRequest {
        matchers,
        mint: req.min_time,
        maxt: req.max_time,
        skip_chunks: req.skip_chunks,
        max_resolution_ms: req.max_resolution_window,
        aggregates: req
            .aggregates
            .iter()
            .filter_map(|a| Aggr::try_from(*a).ok())
            .collect(),
        without_replica_labels: req.without_replica_labels.clone(),
        partial_response: !aborts(req.partial_response_disabled, req.partial_response_strategy),
        func: hints.and_then(|h| h.func.as_ref()).map(|f| f.name.clone()),
        step_ms: hints.map_or(req.step, |h| h.step_millis),
        range_ms: hints
            .and_then(|h| h.range.as_ref())
            .map_or(req.range, |r| r.millis),
    }
}

/// The fan-out's request for a StoreAPI `LabelNames` or `LabelValues` request.
fn labels_request(
    matchers: &[thanos::LabelMatcher],
    (start, end): (i64, i64),
    without_replica_labels: &[String],
    abort: bool,
    limit: i64,
) -> Result<LabelsRequest, Status> {
    Ok(LabelsRequest {
        matchers: convert::matchers(matchers)?,
        start,
        end,
        without_replica_labels: without_replica_labels.to_vec(),
        partial_response: !abort,
        limit,
    })
}

/// The gRPC status of a failed fan-out.
fn status(e: crate::Error) -> Status {
    match e {
        crate::Error::LimitExceeded(m) => Status::resource_exhausted(m),
        crate::Error::EndpointFailed(m) => Status::aborted(m),
        other => Status::internal(other.to_string()),
    }
}

/// Streams a merge's series into `tx`: at most `limit` of them, failing past
/// `max_series`, then the warnings. Stops when the client goes away.
async fn stream_merge(
    mut merge: Merge,
    skip_chunks: bool,
    limit: usize,
    max_series: usize,
    tx: &mpsc::Sender<Result<SeriesResponse, Status>>,
) -> Result<(), Status> {
    let mut sent = 0usize;
    while sent < limit {
        let Some((labels, chunks)) = merge.next().await.map_err(status)? else {
            break;
        };
        if max_series > 0 && sent >= max_series {
            return Err(Status::resource_exhausted(series_limit_message(max_series)));
        }
        let chunks = if skip_chunks {
            Vec::new()
        } else {
            distinct_chunks(chunks)
        };
        let series = thanos::Series {
            labels: convert::wire_labels(labels),
            chunks,
        };
        if tx.send(Ok(SeriesResponse::series(series))).await.is_err() {
            return Ok(());
        }
        sent += 1;
    }
    for w in merge.finish() {
        if tx.send(Ok(SeriesResponse::warning(w))).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

#[tonic::async_trait]
impl Store for ProxyStore {
    type SeriesStream = SeriesStream;

    #[tracing::instrument(name = "proxy.series", skip_all)]
    async fn series(
        &self,
        request: Request<SeriesRequest>,
    ) -> Result<Response<SeriesStream>, Status> {
        let req = request.into_inner();
        let matchers = convert::matchers(&req.matchers)?;
        if matchers.is_empty() {
            return Err(Status::invalid_argument("no matchers specified"));
        }
        let select = select_request(&req, matchers);
        let permit = self.admit().await?;
        let merge = self.fanout.merge(&select).map_err(status)?;
        let (tx, rx) = mpsc::channel(SERIES_BUFFER);
        let (timeout, max_series) = (self.options.timeout, self.options.max_series);
        let limit = limit_count(req.limit);
        tokio::spawn(async move {
            let _permit = permit;
            let work = stream_merge(merge, req.skip_chunks, limit, max_series, &tx);
            let ended = tokio::select! {
                biased;
                _ = tx.closed() => Ok(()),
                ended = tokio::time::timeout(timeout, work) => ended.unwrap_or_else(|_| {
                    Err(Status::deadline_exceeded(format!(
                        "series call timed out after {timeout:?} (--query.timeout)"
                    )))
                }),
            };
            if let Err(status) = ended {
                tracing::debug!(error = %status.message(), "series call failed");
                let _ = tx.send(Err(status)).await;
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    #[tracing::instrument(name = "proxy.label_names", skip_all)]
    async fn label_names(
        &self,
        request: Request<LabelNamesRequest>,
    ) -> Result<Response<LabelNamesResponse>, Status> {
        let req = request.into_inner();
        let labels_req = labels_request(
            &req.matchers,
            (req.start, req.end),
            &req.without_replica_labels,
            aborts(req.partial_response_disabled, req.partial_response_strategy),
            req.limit,
        )?;
        let _permit = self.admit().await?;
        let (mut names, warnings) = self.within(self.fanout.label_names(&labels_req)).await?;
        names.truncate(limit_count(req.limit));
        Ok(Response::new(LabelNamesResponse {
            names,
            warnings,
            hints: None,
        }))
    }

    #[tracing::instrument(name = "proxy.label_values", skip_all)]
    async fn label_values(
        &self,
        request: Request<LabelValuesRequest>,
    ) -> Result<Response<LabelValuesResponse>, Status> {
        let req = request.into_inner();
        if !req.wants_values()? {
            return Ok(Response::new(LabelValuesResponse::default()));
        }
        let labels_req = labels_request(
            &req.matchers,
            (req.start, req.end),
            &req.without_replica_labels,
            aborts(req.partial_response_disabled, req.partial_response_strategy),
            req.limit,
        )?;
        let _permit = self.admit().await?;
        let (mut values, warnings) = self
            .within(self.fanout.label_values(&req.label, &labels_req))
            .await?;
        values.truncate(limit_count(req.limit));
        Ok(Response::new(LabelValuesResponse {
            values,
            warnings,
            hints: None,
        }))
    }
}

type MetadataStream = Pin<Box<dyn Stream<Item = Result<MetricMetadataResponse, Status>> + Send>>;
type TargetsStream = Pin<Box<dyn Stream<Item = Result<TargetsResponse, Status>> + Send>>;
type RulesStream = Pin<Box<dyn Stream<Item = Result<RulesResponse, Status>> + Send>>;
type ExemplarsStream = Pin<Box<dyn Stream<Item = Result<ExemplarsResponse, Status>> + Send>>;
type StatisticsStream = Pin<Box<dyn Stream<Item = Result<TsdbStatisticsResponse, Status>> + Send>>;

/// Data frames followed by one warning frame per warning.
fn all_frames<T: Send + 'static>(
    data: Vec<T>,
    warnings: Vec<String>,
    warning: fn(String) -> T,
) -> Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>> {
    let all = data.into_iter().chain(warnings.into_iter().map(warning));
    Box::pin(futures::stream::iter(all.map(Ok).collect::<Vec<_>>()))
}

/// One data frame followed by one warning frame per warning.
fn frames<T: Send + 'static>(
    data: T,
    warnings: Vec<String>,
    warning: fn(String) -> T,
) -> Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>> {
    let all = std::iter::once(data).chain(warnings.into_iter().map(warning));
    Box::pin(futures::stream::iter(all.map(Ok).collect::<Vec<_>>()))
}

#[tonic::async_trait]
impl Metadata for ProxyStore {
    type MetricMetadataStream = MetadataStream;

    #[tracing::instrument(name = "proxy.metric_metadata", skip_all)]
    async fn metric_metadata(
        &self,
        request: Request<MetricMetadataRequest>,
    ) -> Result<Response<MetadataStream>, Status> {
        let req = request.into_inner();
        let partial = !aborts(false, req.partial_response_strategy);
        let _permit = self.admit().await?;
        let (merged, warnings) = self
            .within(self.fanout.metric_metadata(&req.metric, req.limit, partial))
            .await?;
        let metadata = MetricMetadata {
            metadata: merged
                .into_iter()
                .map(|(metric, metas)| (metric, MetricMetadataEntry { metas }))
                .collect(),
        };
        let data = MetricMetadataResponse {
            result: Some(metric_metadata_response::Result::Metadata(metadata)),
        };
        Ok(Response::new(frames(data, warnings, |w| {
            MetricMetadataResponse {
                result: Some(metric_metadata_response::Result::Warning(w)),
            }
        })))
    }
}

#[tonic::async_trait]
impl Targets for ProxyStore {
    type TargetsStream = TargetsStream;

    #[tracing::instrument(name = "proxy.targets", skip_all)]
    async fn targets(
        &self,
        request: Request<TargetsRequest>,
    ) -> Result<Response<TargetsStream>, Status> {
        let req = request.into_inner();
        let partial = !aborts(false, req.partial_response_strategy);
        let _permit = self.admit().await?;
        // The caller removes its own replica labels; only exact copies go here.
        let (targets, warnings) = self
            .within(self.fanout.targets(req.state(), &[], partial))
            .await?;
        let data = TargetsResponse {
            result: Some(targets_response::Result::Targets(targets)),
        };
        Ok(Response::new(frames(data, warnings, |w| TargetsResponse {
            result: Some(targets_response::Result::Warning(w)),
        })))
    }
}

#[tonic::async_trait]
impl Rules for ProxyStore {
    type RulesStream = RulesStream;

    #[tracing::instrument(name = "proxy.rules", skip_all)]
    async fn rules(&self, request: Request<RulesRequest>) -> Result<Response<RulesStream>, Status> {
        let req = request.into_inner();
        let partial = !aborts(false, req.partial_response_strategy);
        let matchers = req
            .matcher_string
            .iter()
            .map(|m| {
                mnemos_promql::selector_matchers(m)
                    .map_err(|e| Status::invalid_argument(format!("match[] {m:?}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let query = crate::rules::RulesQuery {
            rule_type: req.r#type(),
            matcher_strings: req.matcher_string,
            matchers,
            rule_names: req.rule_name,
            rule_groups: req.rule_group,
            files: req.file,
        };
        let _permit = self.admit().await?;
        // The caller removes its own replica labels; only exact copies are merged here.
        let (groups, warnings) = self.within(self.fanout.rules(&query, &[], partial)).await?;
        let data = groups
            .into_iter()
            .map(|g| RulesResponse {
                result: Some(rules_response::Result::Group(g)),
            })
            .collect();
        Ok(Response::new(all_frames(data, warnings, |w| {
            RulesResponse {
                result: Some(rules_response::Result::Warning(w)),
            }
        })))
    }
}

#[tonic::async_trait]
impl Exemplars for ProxyStore {
    type ExemplarsStream = ExemplarsStream;

    #[tracing::instrument(name = "proxy.exemplars", skip_all)]
    async fn exemplars(
        &self,
        request: Request<ExemplarsRequest>,
    ) -> Result<Response<ExemplarsStream>, Status> {
        let req = request.into_inner();
        let partial = !aborts(false, req.partial_response_strategy);
        let query = req.query.clone();
        let selectors = tokio::task::spawn_blocking(move || mnemos_promql::query_selectors(&query))
            .await
            .map_err(|e| Status::internal(format!("parsing panicked: {e}")))?
            .map_err(|e| Status::invalid_argument(format!("query {:?}: {e}", req.query)))?;
        let _permit = self.admit().await?;
        let (data, warnings) = if selectors.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            self.within(
                self.fanout
                    .exemplars(&selectors, (req.start, req.end), &[], partial),
            )
            .await?
        };
        let data = data
            .into_iter()
            .map(|d| ExemplarsResponse {
                result: Some(exemplars_response::Result::Data(d)),
            })
            .collect();
        Ok(Response::new(all_frames(data, warnings, |w| {
            ExemplarsResponse {
                result: Some(exemplars_response::Result::Warning(w)),
            }
        })))
    }
}

#[tonic::async_trait]
impl StatusApi for ProxyStore {
    type TSDBStatisticsStream = StatisticsStream;

    #[tracing::instrument(name = "proxy.tsdb_statistics", skip_all)]
    async fn tsdb_statistics(
        &self,
        request: Request<TsdbStatisticsRequest>,
    ) -> Result<Response<StatisticsStream>, Status> {
        let req = request.into_inner();
        let partial = !aborts(false, req.partial_response_strategy);
        let matchers = convert::matchers(&req.matchers)?;
        let _permit = self.admit().await?;
        let (statistics, warnings) = self
            .within(self.fanout.tsdb_statistics(req.limit, &matchers, partial))
            .await?;
        let data = TsdbStatisticsResponse {
            result: Some(tsdb_statistics_response::Result::Statistics(
                TsdbStatistics { statistics },
            )),
        };
        Ok(Response::new(frames(data, warnings, |w| {
            TsdbStatisticsResponse {
                result: Some(tsdb_statistics_response::Result::Warning(w)),
            }
        })))
    }
}

impl ProxyStore {
    /// Runs a label call within the call's timeout.
    async fn within<T>(
        &self,
        work: impl std::future::Future<Output = crate::Result<T>>,
    ) -> Result<T, Status> {
        let timeout = self.options.timeout;
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| {
                Status::deadline_exceeded(format!(
                    "call timed out after {timeout:?} (--query.timeout)"
                ))
            })?
            .map_err(status)
    }
}

/// What `Info` announces: every healthy endpoint's external label sets (each once) and the
/// time range covering all of them, as Thanos' proxy store does; no endpoint at all means
/// every time (Thanos' answer too).
pub fn announced(infos: &[crate::endpoints::EndpointInfo]) -> (Vec<Labels>, i64, i64) {
    let mut sets = BTreeSet::new();
    let (mut min, mut max) = (i64::MAX, i64::MIN);
    for info in infos {
        for ls in &info.label_sets {
            sets.insert(ls.clone());
        }
        min = min.min(info.min_time);
        max = max.max(info.max_time);
    }
    if infos.is_empty() {
        (min, max) = (i64::MIN, i64::MAX);
    }
    (sets.into_iter().collect(), min, max)
}

#[tonic::async_trait]
impl Info for ProxyStore {
    async fn info(&self, _request: Request<InfoRequest>) -> Result<Response<InfoResponse>, Status> {
        if !(self.ready)() {
            return Err(Status::unavailable("not ready"));
        }
        let infos: Vec<_> = self
            .fanout
            .endpoints()
            .all()
            .iter()
            .map(|e| e.status())
            .filter(|s| s.healthy)
            .filter_map(|s| s.info)
            .collect();
        let (sets, min_time, max_time) = announced(&infos);
        let tsdb_infos = infos
            .iter()
            .flat_map(|i| {
                i.label_sets.iter().map(|ls| TsdbInfo {
                    labels: Some(convert::wire_label_set(ls)),
                    min_time: i.min_time,
                    max_time: i.max_time,
                })
            })
            .collect();
        let metric_metadata = infos
            .iter()
            .any(|i| i.serves_metadata)
            .then_some(MetricMetadataInfo {});
        let targets = infos
            .iter()
            .any(|i| i.serves_targets)
            .then_some(TargetsInfo {});
        let rules = infos.iter().any(|i| i.serves_rules).then_some(RulesInfo {});
        // No time range, as Thanos' querier announces it.
        let exemplars = infos
            .iter()
            .any(|i| i.serves_exemplars)
            .then_some(ExemplarsInfo {
                min_time: 0,
                max_time: 0,
            });
        let status = infos
            .iter()
            .any(|i| i.serves_status)
            .then_some(StatusInfo {});
        Ok(Response::new(InfoResponse {
            label_sets: sets.iter().map(convert::wire_label_set).collect(),
            component_type: component_type::QUERY.to_string(),
            metric_metadata,
            targets,
            rules,
            exemplars,
            status,
            store: Some(StoreInfo {
                min_time,
                max_time,
                supports_sharding: false,
                supports_without_replica_labels: true,
                tsdb_infos,
                supports_projections: false,
            }),
            ..Default::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::EndpointInfo;

    fn info(sets: &[&[(&str, &str)]], min: i64, max: i64) -> EndpointInfo {
        EndpointInfo {
            component: "sidecar".into(),
            label_sets: sets
                .iter()
                .map(|s| Labels::from_pairs(s.iter().copied()))
                .collect(),
            min_time: min,
            max_time: max,
            supports_without_replica_labels: true,
            serves_metadata: true,
            serves_targets: true,
            serves_rules: true,
            serves_exemplars: true,
            serves_status: true,
        }
    }

    #[test]
    fn info_announces_the_union_of_the_endpoints() {
        let a = info(&[&[("cluster", "eu"), ("replica", "a")]], 100, 500);
        let b = info(&[&[("cluster", "eu"), ("replica", "b")]], 50, 400);
        let store = info(
            &[&[("cluster", "eu"), ("replica", "a")], &[("cluster", "us")]],
            0,
            300,
        );
        let (sets, min, max) = announced(&[a, b, store]);
        assert_eq!((min, max), (0, 500));
        assert_eq!(
            sets,
            vec![
                Labels::from_pairs([("cluster", "eu"), ("replica", "a")]),
                Labels::from_pairs([("cluster", "eu"), ("replica", "b")]),
                Labels::from_pairs([("cluster", "us")]),
            ]
        );
        assert_eq!(announced(&[]), (Vec::new(), i64::MIN, i64::MAX));
    }

    #[test]
    fn series_request_becomes_a_selection() {
        let req = SeriesRequest {
            min_time: 10,
            max_time: 20,
            max_resolution_window: 300_000,
            aggregates: vec![Aggr::Counter as i32],
            partial_response_strategy: PartialResponseStrategy::Abort as i32,
            without_replica_labels: vec!["replica".into()],
            query_hints: Some(thanos::QueryHints {
                step_millis: 15_000,
                func: Some(thanos::Func {
                    name: "rate".into(),
                }),
                range: Some(thanos::Range { millis: 60_000 }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let sel = select_request(&req, vec![Matcher::equal("__name__", "up")]);
        assert_eq!(
            (sel.mint, sel.maxt, sel.max_resolution_ms),
            (10, 20, 300_000)
        );
        assert_eq!(sel.aggregates, vec![Aggr::Counter]);
        assert!(!sel.partial_response);
        assert_eq!(sel.without_replica_labels, vec!["replica".to_string()]);
        assert_eq!(sel.func.as_deref(), Some("rate"));
        assert_eq!((sel.step_ms, sel.range_ms), (15_000, 60_000));
        let warn = SeriesRequest {
            partial_response_strategy: PartialResponseStrategy::Warn as i32,
            ..Default::default()
        };
        assert!(select_request(&warn, Vec::new()).partial_response);
    }
}
