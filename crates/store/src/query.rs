//! One block's part of a request: [`BlockQuery::open`] evaluates the postings and counts
//! the series against the request's limit before any series entry is fetched;
//! [`BlockQuery::next_batch`] then reads the series a batch at a time, in the order of the
//! labels they are sent with ([`crate::order`]), counting the chunks of each batch against
//! the samples limit before fetching them. Memory per block is a few batches, whatever the
//! number of series.

use std::collections::VecDeque;
use std::sync::Arc;

use mnemos_storeapi::thanos::{Aggr, AggrChunk};
use mnemos_tsdb::index::SeriesEntry;
use mnemos_tsdb::{Labels, Matcher};

use crate::block::LoadedBlock;
use crate::block_read::{postings, series_entries, with_chunks};
use crate::bucket_file::FetchStats;
use crate::error::Result;
use crate::limits::RequestLimits;
use crate::order::{BlockOrder, LabelTransform};

/// Series per batch when none is configured.
pub const DEFAULT_BATCH_SERIES: usize = 256;
/// Chunks per batch at most (a batch holds at least one series, whatever its chunks).
pub const MAX_BATCH_CHUNKS: usize = 4096;

/// One series as the gateway sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct OutSeries {
    /// Labels, external labels included.
    pub labels: Labels,
    /// Chunks in time order.
    pub chunks: Vec<AggrChunk>,
}

/// What a request asks of a block.
#[derive(Clone, Debug)]
pub struct BlockRequest {
    /// Matchers on series labels (those on external labels already decided).
    pub matchers: Vec<Matcher>,
    /// First timestamp wanted (ms).
    pub min_time: i64,
    /// Last timestamp wanted (ms).
    pub max_time: i64,
    /// Labels only.
    pub skip_chunks: bool,
    /// Aggregates wanted from downsampled chunks.
    pub aggregates: Vec<Aggr>,
    /// Labels to drop (`without_replica_labels`).
    pub drop_labels: Vec<String>,
}

/// A request's cursor over one block's series.
pub struct BlockQuery {
    block: Arc<LoadedBlock>,
    req: Arc<BlockRequest>,
    ids: Vec<u32>,
    /// How many of `ids` have had their entries read.
    read: usize,
    order: BlockOrder<SeriesEntry>,
    /// Entries whose place in the output is known, in output order.
    ready: VecDeque<(Labels, SeriesEntry)>,
    batch: usize,
}

impl BlockQuery {
    /// Evaluates `req`'s postings on `block` and counts the series against `limits` (a limit
    /// error here means no series entry was fetched). `batch` is the series per batch.
    pub async fn open(
        block: Arc<LoadedBlock>,
        external: &Labels,
        req: Arc<BlockRequest>,
        limits: &RequestLimits,
        stats: &FetchStats,
        batch: usize,
    ) -> Result<Self> {
        let ids = postings(&block, &req.matchers, stats).await?;
        limits.add_series(ids.len() as u64)?;
        let transform = Arc::new(LabelTransform::new(external, &req.drop_labels));
        let order = BlockOrder::new(transform, block.index.postings_table().label_names());
        Ok(Self {
            block,
            req,
            ids,
            read: 0,
            order,
            ready: VecDeque::new(),
            batch: batch.max(1),
        })
    }

    /// Whether this block's series entries are all held to be sorted (see [`crate::order`]).
    pub fn collects_all(&self) -> bool {
        self.order.collects_all()
    }

    /// The next batch of series in output order, with their chunks; `None` at the end.
    /// The batch's chunks are counted against the samples limit before they are fetched.
    pub async fn next_batch(
        &mut self,
        limits: &RequestLimits,
        stats: &FetchStats,
    ) -> Result<Option<Vec<OutSeries>>> {
        loop {
            self.fill(stats).await?;
            if self.ready.is_empty() {
                return Ok(None);
            }
            let (take, chunks) = self.batch_len();
            limits.add_chunks(chunks as u64)?;
            let entries: Vec<(Labels, SeriesEntry)> = self.ready.drain(..take).collect();
            let series = with_chunks(&self.block, entries, &self.req, stats).await?;
            if !series.is_empty() {
                return Ok(Some(series));
            }
        }
    }

    /// Reads series entries until a batch's worth is ready or the block has no more.
    async fn fill(&mut self, stats: &FetchStats) -> Result<()> {
        while self.ready.len() < self.batch && self.read < self.ids.len() {
            let end = self.ids.len().min(self.read.saturating_add(self.batch));
            let entries = series_entries(
                &self.block,
                &self.ids[self.read..end],
                self.req.min_time,
                self.req.max_time,
                stats,
            )
            .await?;
            self.read = end;
            for entry in entries {
                self.order.push(entry, &mut self.ready);
            }
            if self.read == self.ids.len() {
                self.order.finish(&mut self.ready);
            }
        }
        Ok(())
    }

    /// How many ready series the next batch takes, and their chunks: up to `batch` series
    /// and [`MAX_BATCH_CHUNKS`] chunks, at least one series.
    fn batch_len(&self) -> (usize, usize) {
        let (mut take, mut chunks) = (0, 0);
        for (_, e) in &self.ready {
            if take == self.batch || (take > 0 && chunks + e.chunks.len() > MAX_BATCH_CHUNKS) {
                break;
            }
            take += 1;
            chunks += e.chunks.len();
        }
        (take, chunks)
    }
}
