//! The gateway's gRPC services: StoreAPI (`Series`, `LabelNames`, `LabelValues`) and the
//! Info API. Every StoreAPI call waits for a turn at the request gate
//! (`--store.grpc.series-max-concurrency`). `Series` streams: a task reads the blocks
//! ([`crate::select`]) and sends each series into a bounded channel as soon as it is
//! merged, so a slow client slows the reading down and a client that goes away stops it.

use std::collections::{BTreeMap, BTreeSet};
use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use mnemos_storeapi::convert;
use mnemos_storeapi::helpers::{component_type, limit_count};
use mnemos_storeapi::thanos::info::{
    info_server::Info, InfoRequest, InfoResponse, StoreInfo, TsdbInfo,
};
use mnemos_storeapi::thanos::{
    self, store_server::Store, Aggr, LabelNamesRequest, LabelNamesResponse, LabelValuesRequest,
    LabelValuesResponse, SeriesRequest, SeriesResponse,
};
use mnemos_tsdb::Labels;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::block::Loaded;
use crate::bucket_file::FetchStats;
use crate::error::Error;
use crate::query::{BlockRequest, OutSeries};
use crate::service::{BucketStore, Planned};
use mnemos_tsdb::time::now_ms;

/// Series frames buffered between the reading task and the client.
const SERIES_BUFFER: usize = 16;

type SeriesStream = Pin<Box<dyn Stream<Item = Result<SeriesResponse, Status>> + Send>>;

fn status(e: &Error) -> Status {
    match e {
        Error::Limit(m) => Status::resource_exhausted(m.clone()),
        other => Status::internal(other.to_string()),
    }
}

fn to_wire(s: OutSeries) -> thanos::Series {
    thanos::Series {
        labels: convert::wire_labels(s.labels),
        chunks: s.chunks,
    }
}

fn aggregates(req: &SeriesRequest) -> Vec<Aggr> {
    req.aggregates
        .iter()
        .filter_map(|a| Aggr::try_from(*a).ok())
        .collect()
}

/// How a `Series` call's reading ended.
enum Ended {
    /// Everything (or `limit` series) sent.
    Done,
    /// The client went away.
    ClientGone,
}

impl BucketStore {
    /// Reads `plan` for `req` and sends the series, then the warnings, into `tx`; stops as
    /// soon as the client goes away, even while waiting for the bucket.
    async fn stream_series(
        &self,
        plan: Vec<Planned>,
        req: BlockRequest,
        abort: bool,
        limit: usize,
        tx: mpsc::Sender<Result<SeriesResponse, Status>>,
    ) {
        let ended = tokio::select! {
            biased;
            _ = tx.closed() => Ok(Ended::ClientGone),
            ended = self.send_series(plan, req, abort, limit, &tx) => ended,
        };
        match ended {
            Ok(Ended::Done) => {}
            Ok(Ended::ClientGone) => {
                self.inner.metrics.requests_cancelled.inc();
            }
            Err(e) => {
                if matches!(e, Error::Limit(_)) {
                    self.inner.metrics.limit_rejections.inc();
                }
                let _ = tx.send(Err(status(&e))).await;
            }
        }
    }

    async fn send_series(
        &self,
        plan: Vec<Planned>,
        req: BlockRequest,
        abort: bool,
        limit: usize,
        tx: &mpsc::Sender<Result<SeriesResponse, Status>>,
    ) -> Result<Ended, Error> {
        let mut selection = self.select(plan, req, abort).await?;
        let mut sent = 0;
        while sent < limit {
            let Some(series) = selection.next().await? else {
                break;
            };
            if tx
                .send(Ok(SeriesResponse::series(to_wire(series))))
                .await
                .is_err()
            {
                return Ok(Ended::ClientGone);
            }
            sent += 1;
        }
        for w in selection.take_warnings() {
            if tx.send(Ok(SeriesResponse::warning(w))).await.is_err() {
                return Ok(Ended::ClientGone);
            }
        }
        Ok(Ended::Done)
    }

    /// Label sets of the series with data in `[mint, maxt]` in `blocks` (no chunks read),
    /// folded into `fold` one at a time; returns the warnings.
    async fn fold_series_labels(
        &self,
        blocks: Vec<Planned>,
        mint: i64,
        maxt: i64,
        abort: bool,
        mut fold: impl FnMut(Labels),
    ) -> Result<Vec<String>, Status> {
        if blocks.is_empty() {
            return Ok(Vec::new());
        }
        let req = BlockRequest {
            matchers: Vec::new(),
            min_time: mint,
            max_time: maxt,
            skip_chunks: true,
            aggregates: Vec::new(),
            drop_labels: Vec::new(),
        };
        let limited = |e: Error| {
            if matches!(e, Error::Limit(_)) {
                self.inner.metrics.limit_rejections.inc();
            }
            status(&e)
        };
        let mut selection = self.select(blocks, req, abort).await.map_err(limited)?;
        while let Some(series) = selection.next().await.map_err(limited)? {
            fold(series.labels);
        }
        Ok(selection.take_warnings())
    }
}

#[tonic::async_trait]
impl Store for BucketStore {
    type SeriesStream = SeriesStream;

    #[tracing::instrument(name = "store.series", skip_all)]
    async fn series(
        &self,
        request: Request<SeriesRequest>,
    ) -> Result<Response<SeriesStream>, Status> {
        let req = request.into_inner();
        let matchers = convert::matchers(&req.matchers)?;
        let permit = self.admit().await?;
        let (mint, maxt) = self.clamp(req.min_time, req.max_time);
        if mint > maxt {
            // Entirely outside the window this gateway serves.
            return Ok(Response::new(Box::pin(futures::stream::empty())));
        }
        let plan = self.plan(mint, maxt, &matchers, req.max_resolution_window);
        let block_req = BlockRequest {
            matchers: Vec::new(),
            min_time: mint,
            max_time: maxt,
            skip_chunks: req.skip_chunks,
            aggregates: aggregates(&req),
            drop_labels: req.without_replica_labels.clone(),
        };
        let abort = req.partial_response_disabled
            || req.partial_response_strategy == thanos::PartialResponseStrategy::Abort as i32;
        let limit = limit_count(req.limit);
        let (tx, rx) = mpsc::channel(SERIES_BUFFER);
        let store = self.clone();
        tokio::spawn(async move {
            let _permit = permit;
            store.stream_series(plan, block_req, abort, limit, tx).await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    #[tracing::instrument(name = "store.label_names", skip_all)]
    async fn label_names(
        &self,
        request: Request<LabelNamesRequest>,
    ) -> Result<Response<LabelNamesResponse>, Status> {
        let req = request.into_inner();
        let matchers = convert::matchers(&req.matchers)?;
        let _permit = self.admit().await?;
        let (mint, maxt) = self.clamp(req.start, req.end);
        let plan = self.plan(mint, maxt, &matchers, i64::MAX);
        let mut names = BTreeSet::new();
        let mut warnings = Vec::new();
        let mut with_series = Vec::new();
        for (b, rest) in plan {
            if !rest.is_empty() {
                with_series.push((b, rest));
                continue;
            }
            match self.load_block(&b).await {
                Ok(Loaded::Tsdb(loaded)) => {
                    names.extend(loaded.index.label_names().into_iter().map(str::to_string));
                    names.extend(b.external.iter().map(|l| l.name.clone()));
                }
                Ok(Loaded::Parquet(loaded)) => {
                    names.extend(loaded.label_names());
                    names.extend(b.external.iter().map(|l| l.name.clone()));
                }
                Err(e) => warnings.push(format!("block {}: {e}", b.id)),
            }
        }
        let abort = req.partial_response_disabled;
        warnings.extend(
            self.fold_series_labels(with_series, mint, maxt, abort, |labels| {
                names.extend(labels.iter().map(|l| l.name.clone()))
            })
            .await?,
        );
        let mut names: Vec<String> = names
            .into_iter()
            .filter(|n| !req.without_replica_labels.contains(n))
            .collect();
        names.truncate(limit_count(req.limit));
        Ok(Response::new(LabelNamesResponse {
            names,
            warnings,
            hints: None,
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
        let matchers = convert::matchers(&req.matchers)?;
        let _permit = self.admit().await?;
        let (mint, maxt) = self.clamp(req.start, req.end);
        let plan = self.plan(mint, maxt, &matchers, i64::MAX);
        let mut values = BTreeSet::new();
        let mut warnings = Vec::new();
        let mut with_series = Vec::new();
        for (b, rest) in plan {
            if let Some(v) = b.external.get(&req.label) {
                if rest.is_empty() {
                    values.insert(v.to_string());
                } else {
                    with_series.push((b, rest));
                }
                continue;
            }
            if !rest.is_empty() {
                with_series.push((b, rest));
                continue;
            }
            match self.load_block(&b).await {
                Ok(Loaded::Tsdb(loaded)) => values.extend(
                    loaded
                        .index
                        .label_values(&req.label)
                        .into_iter()
                        .map(str::to_string),
                ),
                Ok(Loaded::Parquet(loaded)) => {
                    let stats = Arc::new(FetchStats::default());
                    match loaded.label_values(&req.label, &stats).await {
                        Ok(v) => values.extend(v),
                        Err(e) => warnings.push(format!("block {}: {e}", b.id)),
                    }
                }
                Err(e) => warnings.push(format!("block {}: {e}", b.id)),
            }
        }
        let abort = req.partial_response_disabled;
        warnings.extend(
            self.fold_series_labels(with_series, mint, maxt, abort, |labels| {
                if let Some(v) = labels.get(&req.label) {
                    values.insert(v.to_string());
                }
            })
            .await?,
        );
        let mut values: Vec<String> = values.into_iter().collect();
        values.truncate(limit_count(req.limit));
        Ok(Response::new(LabelValuesResponse {
            values,
            warnings,
            hints: None,
        }))
    }
}

#[tonic::async_trait]
impl Info for BucketStore {
    async fn info(&self, _request: Request<InfoRequest>) -> Result<Response<InfoResponse>, Status> {
        let mut streams: BTreeMap<Labels, (i64, i64)> = BTreeMap::new();
        for b in self.snapshot().values().filter(|b| !self.failed(&b.id)) {
            let e = streams
                .entry(b.external.clone())
                .or_insert((i64::MAX, i64::MIN));
            e.0 = e.0.min(b.meta.min_time);
            e.1 = e.1.max(b.meta.max_time);
        }
        let now = now_ms();
        let (lo, hi) = (
            self.inner.config.min_time.at(now),
            self.inner.config.max_time.at(now),
        );
        let to_set = convert::wire_label_set;
        let min = streams
            .values()
            .map(|s| s.0)
            .min()
            .unwrap_or(i64::MAX)
            .max(lo);
        let max = streams
            .values()
            .map(|s| s.1)
            .max()
            .unwrap_or(i64::MIN)
            .min(hi);
        Ok(Response::new(InfoResponse {
            label_sets: streams.keys().map(to_set).collect(),
            component_type: component_type::STORE.to_string(),
            store: Some(StoreInfo {
                min_time: min,
                max_time: max,
                supports_sharding: false,
                supports_without_replica_labels: true,
                tsdb_infos: streams
                    .iter()
                    .map(|(l, (a, b))| TsdbInfo {
                        labels: Some(to_set(l)),
                        min_time: *a,
                        max_time: *b,
                    })
                    .collect(),
                supports_projections: false,
            }),
            ..Default::default()
        }))
    }
}
