//! Reading a request's blocks as one stream of series sorted by labels: every planned block
//! is opened first (its postings evaluated and its series counted against the series limit,
//! so that limit trips before any series entry is fetched), then each block gets a task
//! that reads it a batch at a time into a bounded channel, and a [`Merger`] merges the
//! blocks' streams. Memory per request is a few batches per block, whatever the size of the
//! answer; dropping the [`Selection`] stops every task.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use futures::{stream, StreamExt};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::block::Loaded;
use crate::bucket_file::FetchStats;
use crate::error::{Error, Result};
use crate::limits::RequestLimits;
use crate::merge::{BlockBatch, BlockStream, Merger};
use crate::parquet_query::ParquetQuery;
use crate::query::{BlockQuery, BlockRequest, OutSeries, DEFAULT_BATCH_SERIES};
use crate::service::{BucketStore, Planned, BLOCK_CONCURRENCY};

/// A request's merged stream of series; its metrics are recorded when it is dropped.
pub struct Selection {
    merger: Merger,
    store: BucketStore,
    stats: Arc<FetchStats>,
    start: Instant,
    blocks: usize,
    series: u64,
    chunks: u64,
}

impl Selection {
    /// The next series in label order; `None` at the end.
    pub async fn next(&mut self) -> Result<Option<OutSeries>> {
        let next = self.merger.next().await?;
        if let Some(s) = &next {
            self.series += 1;
            self.chunks += s.chunks.len() as u64;
        }
        Ok(next)
    }

    /// The warnings so far (blocks that failed, with partial responses allowed).
    pub fn take_warnings(&mut self) -> Vec<String> {
        self.merger.take_warnings()
    }
}

impl Drop for Selection {
    fn drop(&mut self) {
        let m = &self.store.inner.metrics;
        m.query_blocks.observe(self.blocks as f64);
        m.query_series.observe(self.series as f64);
        m.query_chunks.observe(self.chunks as f64);
        m.query_bucket_bytes
            .observe(self.stats.bucket_bytes.load(Ordering::Relaxed) as f64);
        m.query_bucket_requests
            .observe(self.stats.requests.load(Ordering::Relaxed) as f64);
        m.query_duration.observe(self.start.elapsed().as_secs_f64());
    }
}

impl BucketStore {
    /// Opens the planned blocks for `req` and starts reading them. A block that fails
    /// becomes a warning, or the error with `abort`; a limit is always an error.
    pub(crate) async fn select(
        &self,
        plan: Vec<Planned>,
        req: BlockRequest,
        abort: bool,
    ) -> Result<Selection> {
        let start = Instant::now();
        let blocks = plan.len();
        let limits = Arc::new(self.limits());
        let stats = Arc::new(FetchStats::default());
        let batch = match self.inner.config.series_batch_size {
            0 => DEFAULT_BATCH_SERIES,
            n => n,
        };
        let mut opening = stream::iter(plan)
            .map(|(b, matchers)| {
                let req = Arc::new(BlockRequest {
                    matchers,
                    ..req.clone()
                });
                let (limits, stats) = (&limits, &stats);
                async move {
                    let opened = match self.load_block(&b).await {
                        Ok(Loaded::Tsdb(loaded)) => {
                            BlockQuery::open(loaded, &b.external, req, limits, stats, batch)
                                .await
                                .map(Cursor::Tsdb)
                        }
                        Ok(Loaded::Parquet(loaded)) => {
                            let range = (b.meta.min_time, b.meta.max_time);
                            ParquetQuery::open(
                                loaded,
                                &b.external,
                                range,
                                req,
                                limits,
                                stats,
                                batch,
                            )
                            .await
                            .map(Cursor::Parquet)
                        }
                        Err(e) => Err(e),
                    };
                    (b.id, opened)
                }
            })
            .buffer_unordered(BLOCK_CONCURRENCY);
        let mut sources = Vec::with_capacity(blocks);
        let mut tasks = JoinSet::new();
        let mut warnings = Vec::new();
        let fetch_gate = Arc::new(Semaphore::new(BLOCK_CONCURRENCY));
        while let Some((id, opened)) = opening.next().await {
            match opened {
                Ok(query) => {
                    if matches!(&query, Cursor::Tsdb(q) if q.collects_all()) {
                        self.inner.metrics.query_blocks_sorted.inc();
                    }
                    let (tx, rx) = mpsc::channel(1);
                    tasks.spawn(read_block(
                        query,
                        tx,
                        limits.clone(),
                        stats.clone(),
                        fetch_gate.clone(),
                    ));
                    sources.push(BlockStream::new(id, rx));
                }
                Err(e @ Error::Limit(_)) => return Err(e),
                Err(e) => {
                    self.block_failed(id, &e);
                    if abort {
                        return Err(e);
                    }
                    warnings.push(format!("block {id}: {e}"));
                }
            }
        }
        drop(opening);
        let store = self.clone();
        let on_failure = Box::new(move |id, e: &Error| store.block_failed(id, e));
        let mut merger = Merger::new(sources, tasks, abort, on_failure);
        for w in warnings {
            merger.warn(w);
        }
        Ok(Selection {
            merger,
            store: self.clone(),
            stats,
            start,
            blocks,
            series: 0,
            chunks: 0,
        })
    }

    /// Counts a block that failed during a query; a corrupt one is skipped from then on.
    fn block_failed(&self, id: ulid::Ulid, e: &Error) {
        self.inner.metrics.block_query_failures.inc();
        tracing::warn!(block = %id, error = %e, "block failed during a query");
        if e.is_corruption() {
            self.skip_corrupt(id, e);
        }
    }
}

/// A request's cursor over one block, by the files the block is read from.
enum Cursor {
    Tsdb(BlockQuery),
    Parquet(ParquetQuery),
}

impl Cursor {
    async fn next_batch(
        &mut self,
        limits: &RequestLimits,
        stats: &FetchStats,
    ) -> Result<Option<Vec<OutSeries>>> {
        match self {
            Cursor::Tsdb(q) => q.next_batch(limits, stats).await,
            Cursor::Parquet(q) => q.next_batch(limits).await,
        }
    }
}

/// Reads `query` a batch at a time into `tx` until the block ends, fails or the merger goes
/// away (its end of the channel dropped). At most `BLOCK_CONCURRENCY` blocks of one request
/// read at once (`fetch_gate`).
async fn read_block(
    mut query: Cursor,
    tx: mpsc::Sender<BlockBatch>,
    limits: Arc<RequestLimits>,
    stats: Arc<FetchStats>,
    fetch_gate: Arc<Semaphore>,
) {
    loop {
        let batch = {
            let Ok(_turn) = fetch_gate.acquire().await else {
                return;
            };
            query.next_batch(&limits, &stats).await
        };
        let (message, last) = match batch {
            Ok(Some(series)) => (Ok(series), false),
            Ok(None) => return,
            Err(e) => (Err(e), true),
        };
        if tx.send(message).await.is_err() || last {
            return;
        }
    }
}
