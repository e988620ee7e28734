//! The sidecar's StoreAPI (`thanos.Store`) and Info API (`thanos.info.Info`), answering from
//! Prometheus: `Series` through remote read with streamed XOR chunks, `LabelNames` and
//! `LabelValues` through the HTTP API. External labels are attached to every series, and
//! matchers on them are decided here, without calling Prometheus. StoreAPI calls wait for a
//! turn at a gate; `Series` forwards each remote-read frame as it arrives through a bounded
//! channel and stops reading when the client goes away.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use futures::Stream;
use mnemos_storeapi::helpers::{component_type, limit_count};
use mnemos_storeapi::prometheus as prom;
use mnemos_storeapi::thanos::info::{
    info_server::Info, ExemplarsInfo, InfoRequest, InfoResponse, MetricMetadataInfo, RulesInfo,
    StatusInfo, StoreInfo, TargetsInfo, TsdbInfo,
};
use mnemos_storeapi::thanos::{
    self, label_matcher, store_server::Store, AggrChunk, Label, LabelNamesRequest,
    LabelNamesResponse, LabelValuesRequest, LabelValuesResponse, SeriesRequest, SeriesResponse,
};
use mnemos_tsdb::time::{now_ms, TimeBound};
use mnemos_tsdb::{is_valid_label_name, Matcher};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::{debug, warn};

use crate::prometheus::{PrometheusClient, RemoteReadStream};

/// What the sidecar knows about its Prometheus, refreshed periodically.
#[derive(Debug, Default)]
pub struct SidecarState {
    external_labels: RwLock<BTreeMap<String, String>>,
    min_time: AtomicI64,
}

impl SidecarState {
    /// Current external labels.
    pub fn external_labels(&self) -> BTreeMap<String, String> {
        self.external_labels
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the external labels.
    pub fn set_external_labels(&self, labels: BTreeMap<String, String>) {
        *self
            .external_labels
            .write()
            .unwrap_or_else(|p| p.into_inner()) = labels;
    }

    /// Oldest timestamp Prometheus still has (ms).
    pub fn min_time(&self) -> i64 {
        self.min_time.load(Ordering::Relaxed)
    }

    /// Sets the oldest timestamp Prometheus still has (ms).
    pub fn set_min_time(&self, ms: i64) {
        self.min_time.store(ms, Ordering::Relaxed);
    }
}

/// Matchers to send to Prometheus, or `None` when a matcher contradicts an external label
/// (then no series can match).
pub fn split_matchers(
    external: &BTreeMap<String, String>,
    matchers: &[thanos::LabelMatcher],
) -> Result<Option<Vec<prom::LabelMatcher>>, Status> {
    let mut remaining = Vec::new();
    for m in matchers {
        let prom_type = match m.r#type() {
            label_matcher::Type::Eq => prom::label_matcher::Type::Eq,
            label_matcher::Type::Neq => prom::label_matcher::Type::Neq,
            label_matcher::Type::Re => prom::label_matcher::Type::Re,
            label_matcher::Type::Nre => prom::label_matcher::Type::Nre,
        };
        let kind = mnemos_storeapi::convert::match_type(m.r#type());
        if let Some(value) = external.get(&m.name) {
            let matcher = Matcher::new(kind, m.name.clone(), m.value.clone())
                .map_err(|e| Status::invalid_argument(format!("matcher {}: {e}", m.name)))?;
            if !matcher.matches(value) {
                return Ok(None);
            }
            continue;
        }
        remaining.push(prom::LabelMatcher {
            r#type: prom_type as i32,
            name: m.name.clone(),
            value: m.value.clone(),
        });
    }
    Ok(Some(remaining))
}

/// The series' labels with the external labels set (they win over the series' own), sorted,
/// minus `drop` (the request's `without_replica_labels`). Prometheus sends labels sorted, so
/// this is a merge of two sorted lists.
pub fn complete_labels(
    mut series: Vec<prom::Label>,
    external: &BTreeMap<String, String>,
    drop: &[String],
) -> Vec<Label> {
    if !series.is_sorted_by(|a, b| a.name <= b.name) {
        series.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let mut out = Vec::with_capacity(series.len() + external.len());
    let mut ext = external.iter().peekable();
    for l in series {
        while let Some((name, value)) = ext.next_if(|(name, _)| name.as_str() < l.name.as_str()) {
            out.push(Label::new(name.as_str(), value.as_str()));
        }
        if ext.peek().is_some_and(|(name, _)| **name == l.name) {
            continue; // the external label wins; pushed on the next round or at the end
        }
        out.push(Label {
            name: l.name,
            value: l.value,
        });
    }
    out.extend(ext.map(|(name, value)| Label::new(name.as_str(), value.as_str())));
    if !drop.is_empty() {
        out.retain(|l| !drop.contains(&l.name));
    }
    out
}

/// One remote-read series as a StoreAPI series: external labels attached, `drop` labels
/// removed, chunks converted (or left out with `skip_chunks`).
pub fn store_series(
    series: prom::ChunkedSeries,
    external: &BTreeMap<String, String>,
    drop: &[String],
    skip_chunks: bool,
) -> thanos::Series {
    let labels = complete_labels(series.labels, external, drop);
    let chunks = if skip_chunks {
        Vec::new()
    } else {
        series
            .chunks
            .into_iter()
            .filter_map(convert_chunk)
            .collect()
    };
    thanos::Series { labels, chunks }
}

fn convert_chunk(chunk: prom::Chunk) -> Option<AggrChunk> {
    let encoding = thanos::chunk::Encoding::from_prometheus(chunk.r#type())?;
    let hash = xxhash_rust::xxh64::xxh64(&chunk.data, 0);
    Some(AggrChunk::raw(
        chunk.min_time_ms,
        chunk.max_time_ms,
        thanos::Chunk {
            r#type: encoding as i32,
            data: chunk.data,
            hash,
        },
    ))
}

/// StoreAPI and Info API of one sidecar.
#[derive(Clone)]
pub struct SidecarStore {
    prometheus: PrometheusClient,
    state: Arc<SidecarState>,
    /// Admits `Series`, `LabelNames` and `LabelValues` calls.
    gate: Arc<Semaphore>,
    serve_from: TimeBound,
}

impl SidecarStore {
    /// A store answering from `prometheus`, labelled from `state`, serving at most
    /// `max_concurrency` StoreAPI calls at once (more wait).
    pub fn new(
        prometheus: PrometheusClient,
        state: Arc<SidecarState>,
        max_concurrency: usize,
    ) -> Self {
        Self {
            prometheus,
            state,
            gate: Arc::new(Semaphore::new(max_concurrency.max(1))),
            serve_from: TimeBound::Absolute(i64::MIN),
        }
    }

    /// Serves only data from `bound` on (Thanos' `--min-time`): requests are clamped to it
    /// and the Info API's min time is never older.
    pub fn with_min_time(mut self, bound: TimeBound) -> Self {
        self.serve_from = bound;
        self
    }

    /// The request range `[start, end]` clamped to `--min-time`, or `None` when it ends
    /// before it.
    fn clamp(&self, start: i64, end: i64) -> Option<(i64, i64)> {
        let from = self.serve_from.at(now_ms());
        (end >= from).then_some((start.max(from), end))
    }

    /// The Prometheus this sidecar answers from.
    pub(crate) fn prometheus(&self) -> &PrometheusClient {
        &self.prometheus
    }

    /// The external labels now.
    pub(crate) fn external_labels(&self) -> BTreeMap<String, String> {
        self.state.external_labels()
    }

    /// Waits for a turn to serve a StoreAPI call; the call is served while the permit is
    /// held (a `Series` call until its last frame).
    pub(crate) async fn admit(&self) -> Result<OwnedSemaphorePermit, Status> {
        self.gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Status::unavailable("sidecar is shutting down"))
    }
}

fn unavailable(e: crate::Error) -> Status {
    Status::unavailable(e.to_string())
}

/// Series frames sent ahead of the client.
const SERIES_BUFFER: usize = 64;

/// How the series of one `Series` call are turned into frames.
struct Forward {
    external: BTreeMap<String, String>,
    drop_labels: Vec<String>,
    skip_chunks: bool,
    limit: usize,
}

impl Forward {
    /// Sends the series of `stream` into `tx` as their frames arrive, until the answer ends,
    /// `limit` series are sent or the client is gone (its end of `tx` dropped).
    async fn run(
        self,
        mut stream: RemoteReadStream,
        tx: &mpsc::Sender<Result<SeriesResponse, Status>>,
    ) {
        let mut sent = 0;
        loop {
            let batch = match stream.next_series_batch().await {
                Ok(Some(batch)) => batch,
                Ok(None) => return,
                Err(e) => {
                    warn!(error = %e, "remote read failed mid-stream");
                    let _ = tx.send(Err(Status::unavailable(e.to_string()))).await;
                    return;
                }
            };
            for series in batch {
                let series =
                    store_series(series, &self.external, &self.drop_labels, self.skip_chunks);
                if tx.send(Ok(SeriesResponse::series(series))).await.is_err() {
                    return;
                }
                sent += 1;
                if sent == self.limit {
                    return;
                }
            }
        }
    }
}

type SeriesStream = Pin<Box<dyn Stream<Item = Result<SeriesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Store for SidecarStore {
    type SeriesStream = SeriesStream;

    #[tracing::instrument(name = "store.series", skip_all)]
    async fn series(
        &self,
        request: Request<SeriesRequest>,
    ) -> Result<Response<SeriesStream>, Status> {
        let req = request.into_inner();
        let permit = self.admit().await?;
        let external = self.state.external_labels();
        let empty = || -> SeriesStream { Box::pin(tokio_stream::empty()) };
        let Some(matchers) = split_matchers(&external, &req.matchers)? else {
            debug!("series request contradicts the external labels; answering without Prometheus");
            return Ok(Response::new(empty()));
        };
        if matchers.is_empty() {
            return Err(Status::invalid_argument(
                "no matchers specified (excluding external labels)",
            ));
        }
        let Some((start, end)) = self.clamp(req.min_time, req.max_time) else {
            return Ok(Response::new(empty()));
        };
        let query = prom::Query {
            start_timestamp_ms: start,
            end_timestamp_ms: end,
            matchers,
            // Labels only: Prometheus then reads no chunks at all (its `series` hint).
            hints: req.skip_chunks.then(|| prom::ReadHints {
                func: "series".into(),
                start_ms: start,
                end_ms: end,
                ..Default::default()
            }),
        };
        let stream = self
            .prometheus
            .remote_read(query)
            .await
            .map_err(unavailable)?;
        let (tx, rx) = mpsc::channel(SERIES_BUFFER);
        let forward = Forward {
            external,
            drop_labels: req.without_replica_labels,
            skip_chunks: req.skip_chunks,
            limit: limit_count(req.limit),
        };
        tokio::spawn(async move {
            let _permit = permit;
            // A client that goes away stops the read even while Prometheus is silent:
            // dropping the answer closes the connection to Prometheus.
            tokio::select! {
                biased;
                _ = tx.closed() => debug!("client went away; remote read stopped"),
                _ = forward.run(stream, &tx) => {}
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    #[tracing::instrument(name = "store.label_names", skip_all)]
    async fn label_names(
        &self,
        request: Request<LabelNamesRequest>,
    ) -> Result<Response<LabelNamesResponse>, Status> {
        let req = request.into_inner();
        let _permit = self.admit().await?;
        let external = self.state.external_labels();
        let Some(matchers) = split_matchers(&external, &req.matchers)? else {
            return Ok(Response::new(LabelNamesResponse::default()));
        };
        let Some((start, end)) = self.clamp(req.start, req.end) else {
            return Ok(Response::new(LabelNamesResponse::default()));
        };
        let mut names = self
            .prometheus
            .label_names(start, end, &matchers)
            .await
            .map_err(unavailable)?;
        if names.is_empty() {
            // No series matched: do not invent the external labels.
            return Ok(Response::new(LabelNamesResponse::default()));
        }
        names.extend(external.keys().cloned());
        names.retain(|n| !req.without_replica_labels.contains(n));
        names.sort();
        names.dedup();
        names.truncate(limit_count(req.limit));
        Ok(Response::new(LabelNamesResponse {
            names,
            ..Default::default()
        }))
    }

    #[tracing::instrument(name = "store.label_values", skip_all)]
    async fn label_values(
        &self,
        request: Request<LabelValuesRequest>,
    ) -> Result<Response<LabelValuesResponse>, Status> {
        let req = request.into_inner();
        if !req.wants_values()? {
            return Ok(Response::new(LabelValuesResponse::default()));
        }
        let _permit = self.admit().await?;
        let external = self.state.external_labels();
        let Some(matchers) = split_matchers(&external, &req.matchers)? else {
            return Ok(Response::new(LabelValuesResponse::default()));
        };
        // A name no series can have (Prometheus would refuse it), or a range before
        // `--min-time`: no values.
        let range = self.clamp(req.start, req.end);
        let Some((start, end)) = range.filter(|_| is_valid_label_name(&req.label)) else {
            return Ok(Response::new(LabelValuesResponse::default()));
        };
        let mut values = match external.get(&req.label) {
            Some(value) => vec![value.clone()],
            None => self
                .prometheus
                .label_values(&req.label, start, end, &matchers)
                .await
                .map_err(unavailable)?,
        };
        values.truncate(limit_count(req.limit));
        Ok(Response::new(LabelValuesResponse {
            values,
            ..Default::default()
        }))
    }
}

#[tonic::async_trait]
impl Info for SidecarStore {
    async fn info(&self, _request: Request<InfoRequest>) -> Result<Response<InfoResponse>, Status> {
        let labels: Vec<Label> = self
            .state
            .external_labels()
            .into_iter()
            .map(|(name, value)| Label { name, value })
            .collect();
        let min_time = self.state.min_time().max(self.serve_from.at(now_ms()));
        Ok(Response::new(InfoResponse {
            label_sets: vec![labels.clone().into()],
            component_type: component_type::SIDECAR.to_string(),
            store: Some(StoreInfo {
                min_time,
                max_time: i64::MAX,
                supports_sharding: false,
                supports_without_replica_labels: true,
                tsdb_infos: vec![TsdbInfo {
                    labels: Some(labels.into()),
                    min_time,
                    max_time: i64::MAX,
                }],
                supports_projections: false,
            }),
            metric_metadata: Some(MetricMetadataInfo {}),
            targets: Some(TargetsInfo {}),
            rules: Some(RulesInfo {}),
            // Thanos' sidecar announces no time range for exemplars (both 0): Prometheus'
            // exemplar storage is a ring buffer of unknown span, and queriers do not prune
            // by it.
            exemplars: Some(ExemplarsInfo {
                min_time: 0,
                max_time: 0,
            }),
            status: Some(StatusInfo {}),
            query: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thanos::label_matcher::Type;

    fn ext() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("cluster".to_string(), "eu1".to_string()),
            ("replica".to_string(), "a".to_string()),
        ])
    }

    fn m(t: Type, n: &str, v: &str) -> thanos::LabelMatcher {
        thanos::LabelMatcher::new(t, n, v)
    }

    #[test]
    fn matchers_on_external_labels_are_decided_locally() {
        let kept = split_matchers(
            &ext(),
            &[
                m(Type::Eq, "cluster", "eu1"),
                m(Type::Re, "replica", "a|b"),
                m(Type::Eq, "job", "x"),
            ],
        )
        .expect("valid")
        .expect("can match");
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name, "job");
        for contradicting in [
            m(Type::Eq, "cluster", "us1"),
            m(Type::Neq, "replica", "a"),
            m(Type::Re, "cluster", "eu"),
            m(Type::Nre, "cluster", "eu.*"),
            m(Type::Eq, "cluster", ""),
        ] {
            assert_eq!(
                split_matchers(&ext(), &[contradicting.clone(), m(Type::Eq, "job", "x")])
                    .expect("valid"),
                None,
                "{contradicting:?}"
            );
        }
        assert!(split_matchers(&ext(), &[m(Type::Re, "cluster", "(")]).is_err());
    }

    #[test]
    fn external_labels_are_attached_sorted_and_replica_labels_dropped() {
        let series = vec![
            prom::Label::new("__name__", "up"),
            prom::Label::new("zone", "z"),
            prom::Label::new("cluster", "own"),
        ];
        let labels = complete_labels(series, &ext(), &["replica".to_string()]);
        let pairs: Vec<(&str, &str)> = labels
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![("__name__", "up"), ("cluster", "eu1"), ("zone", "z")]
        );
    }
}
