//! A hostile StoreAPI endpoint on 127.0.0.1: it claims every series of `cluster="trickle"`
//! for all time, then answers `Series` with one series every `interval`, forever, and label
//! calls never. It records when a client stops a call (its stream or future dropped), so a
//! test can check that the querier's timeout and cancellation reach the store.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use mnemos_storeapi::thanos::info::info_server::{Info, InfoServer};
use mnemos_storeapi::thanos::info::{InfoRequest, InfoResponse, StoreInfo};
use mnemos_storeapi::thanos::store_server::{Store, StoreServer};
use mnemos_storeapi::thanos::{
    self, Label, LabelNamesRequest, LabelNamesResponse, LabelValuesRequest, LabelValuesResponse,
    SeriesRequest, SeriesResponse,
};
use tonic::{Request, Response, Status};

use crate::process::free_port;

/// Counts of what the trickling store saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Calls started.
    pub started: AtomicU64,
    /// Calls the client stopped before they ended (all of them: they never end).
    pub stopped: AtomicU64,
}

/// Increments `stopped` when dropped: the call's stream or future went away.
struct OnDrop(Arc<Seen>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.stopped.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Clone)]
struct Trickle {
    interval: Duration,
    seen: Arc<Seen>,
}

type SeriesStream = Pin<Box<dyn Stream<Item = Result<SeriesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Store for Trickle {
    type SeriesStream = SeriesStream;

    async fn series(
        &self,
        _request: Request<SeriesRequest>,
    ) -> Result<Response<SeriesStream>, Status> {
        self.seen.started.fetch_add(1, Ordering::SeqCst);
        let guard = OnDrop(self.seen.clone());
        let interval = self.interval;
        let frames = futures::stream::unfold((0u64, guard), move |(n, guard)| async move {
            tokio::time::sleep(interval).await;
            let series = thanos::Series {
                labels: vec![
                    Label {
                        name: "__name__".into(),
                        value: "trickle".into(),
                    },
                    Label {
                        name: "n".into(),
                        value: format!("{n:012}"),
                    },
                ],
                chunks: Vec::new(),
            };
            Some((Ok(SeriesResponse::series(series)), (n + 1, guard)))
        });
        Ok(Response::new(Box::pin(frames)))
    }

    async fn label_names(
        &self,
        _request: Request<LabelNamesRequest>,
    ) -> Result<Response<LabelNamesResponse>, Status> {
        self.seen.started.fetch_add(1, Ordering::SeqCst);
        let _guard = OnDrop(self.seen.clone());
        std::future::pending().await
    }

    async fn label_values(
        &self,
        _request: Request<LabelValuesRequest>,
    ) -> Result<Response<LabelValuesResponse>, Status> {
        self.seen.started.fetch_add(1, Ordering::SeqCst);
        let _guard = OnDrop(self.seen.clone());
        std::future::pending().await
    }
}

#[tonic::async_trait]
impl Info for Trickle {
    async fn info(&self, _request: Request<InfoRequest>) -> Result<Response<InfoResponse>, Status> {
        let labels = vec![Label {
            name: "cluster".into(),
            value: "trickle".into(),
        }];
        Ok(Response::new(InfoResponse {
            label_sets: vec![labels.into()],
            component_type: "store".into(),
            store: Some(StoreInfo {
                min_time: i64::MIN,
                max_time: i64::MAX,
                supports_without_replica_labels: true,
                ..Default::default()
            }),
            ..Default::default()
        }))
    }
}

/// The trickling store, served on its own runtime thread until dropped.
pub struct TrickleStore {
    /// gRPC port on 127.0.0.1.
    pub port: u16,
    /// What it saw.
    pub seen: Arc<Seen>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TrickleStore {
    /// Starts serving, one series every `interval`.
    pub fn start(interval: Duration) -> Self {
        let port = free_port();
        let seen = Arc::new(Seen::default());
        let store = Trickle {
            interval,
            seen: seen.clone(),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.spawn(async move {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let _ = tonic::transport::Server::builder()
                .add_service(StoreServer::new(store.clone()))
                .add_service(InfoServer::new(store))
                .serve(addr)
                .await;
        });
        Self {
            port,
            seen,
            runtime: Some(runtime),
        }
    }
}

impl Drop for TrickleStore {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
