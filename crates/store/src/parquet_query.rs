//! One Parquet block's part of a request, the counterpart of [`crate::query::BlockQuery`]:
//! [`ParquetQuery::open`] selects the matching rows of every shard with their labels (one
//! read of the label columns over the rows the page index leaves as candidates) and counts
//! them against the series limit before any chunk is read, then sorts them by the labels
//! they are sent with (rows are stored by metric name, not by full label set).
//! [`ParquetQuery::next_batch`] reads the chunk columns of the queried time slices for a
//! batch of rows at a time. The chunks of a batch are only known once read, so they are
//! counted against the samples limit right after: at most one batch past the limit is read.

use std::collections::VecDeque;
use std::sync::Arc;

use mnemos_parquet::{Part, ShardFiles};
use mnemos_storeapi::thanos::Aggr;
use mnemos_tsdb::Labels;

use crate::aggr::to_aggr_chunk;
use crate::bucket_file::FetchStats;
use crate::error::{Error, Result};
use crate::limits::RequestLimits;
use crate::order::LabelTransform;
use crate::parquet_block::{ParquetBlock, ParquetObject};
use crate::query::{BlockRequest, OutSeries};

/// A row of the block: the labels it is sent with, its shard and its row number.
struct Row {
    labels: Labels,
    shard: usize,
    row: u64,
}

/// A request's cursor over one Parquet block's series.
pub struct ParquetQuery {
    block: Arc<ParquetBlock>,
    req: Arc<BlockRequest>,
    files: Vec<ShardFiles<ParquetObject>>,
    /// Rows in output order, not yet sent.
    ready: VecDeque<Row>,
    parts: Vec<Part>,
    /// Whether chunks must be read even for a labels-only request: the request covers only
    /// part of the block, so a row may have no sample in it (and is then left out).
    check_chunks: bool,
    batch: usize,
}

/// The aggregate columns that hold `aggregates` (all of them for none, or for raw only).
fn parts_for(aggregates: &[Aggr]) -> Vec<Part> {
    aggregates
        .iter()
        .filter_map(|a| match a {
            Aggr::Count => Some(Part::Count),
            Aggr::Sum => Some(Part::Sum),
            Aggr::Min => Some(Part::Min),
            Aggr::Max => Some(Part::Max),
            Aggr::Counter => Some(Part::Counter),
            Aggr::Raw => None,
        })
        .collect()
}

impl ParquetQuery {
    /// Selects `req`'s rows in every shard of `block` with their labels and counts them
    /// against `limits` (a limit error here means no chunk was read), then puts them in
    /// output order. `batch` is the series per batch.
    pub async fn open(
        block: Arc<ParquetBlock>,
        external: &Labels,
        block_range: (i64, i64),
        req: Arc<BlockRequest>,
        limits: &RequestLimits,
        stats: &Arc<FetchStats>,
        batch: usize,
    ) -> Result<Self> {
        let transform = LabelTransform::new(external, &req.drop_labels);
        let mut files = Vec::with_capacity(block.shard_count());
        let mut ready = Vec::new();
        for i in 0..block.shard_count() {
            let (Some(shard), Some(f)) = (block.shard(i), block.files(i, stats)) else {
                continue;
            };
            let rows = shard
                .select_labels(&f, &req.matchers)
                .await
                .map_err(|e| block.error(e))?;
            limits.add_series(rows.len() as u64)?;
            ready.extend(rows.into_iter().map(|(row, labels)| Row {
                labels: transform.apply(&labels),
                shard: i,
                row,
            }));
            files.push(f);
        }
        ready.sort_by(|a, b| a.labels.cmp(&b.labels));
        let (block_min, block_max) = block_range;
        let check_chunks = req.min_time > block_min || req.max_time < block_max - 1;
        Ok(Self {
            parts: parts_for(&req.aggregates),
            block,
            req,
            files,
            ready: ready.into(),
            check_chunks,
            batch: batch.max(1),
        })
    }

    /// The next batch of series in output order, with their chunks; `None` at the end.
    pub async fn next_batch(&mut self, limits: &RequestLimits) -> Result<Option<Vec<OutSeries>>> {
        while !self.ready.is_empty() {
            let take = self.batch.min(self.ready.len());
            let rows: Vec<Row> = self.ready.drain(..take).collect();
            let series = if self.req.skip_chunks && !self.check_chunks {
                rows.into_iter()
                    .map(|r| OutSeries {
                        labels: r.labels,
                        chunks: Vec::new(),
                    })
                    .collect()
            } else {
                self.with_chunks(rows, limits).await?
            };
            if !series.is_empty() {
                return Ok(Some(series));
            }
        }
        Ok(None)
    }

    /// The series of `rows` with their chunks in the request's range; rows left without
    /// chunks are dropped (for a labels-only request, the chunks are dropped after).
    async fn with_chunks(&self, rows: Vec<Row>, limits: &RequestLimits) -> Result<Vec<OutSeries>> {
        let (mint, maxt) = (self.req.min_time, self.req.max_time);
        // Per shard, the batch's rows sorted, with their place in the batch.
        let mut per_shard: Vec<Vec<(u64, usize)>> = vec![Vec::new(); self.files.len()];
        for (at, r) in rows.iter().enumerate() {
            if let Some(list) = per_shard.get_mut(r.shard) {
                list.push((r.row, at));
            }
        }
        let mut chunks_of: Vec<Vec<mnemos_parquet::ReadChunk>> = vec![Vec::new(); rows.len()];
        for (i, mut list) in per_shard.into_iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            list.sort_unstable();
            let (Some(shard), Some(files)) = (self.block.shard(i), self.files.get(i)) else {
                continue;
            };
            let sorted: Vec<u64> = list.iter().map(|(row, _)| *row).collect();
            let read = shard
                .chunks(files, &sorted, mint, maxt, &self.parts)
                .await
                .map_err(|e| self.block.error(e))?;
            for ((_, at), chunks) in list.into_iter().zip(read) {
                chunks_of[at] = chunks;
            }
        }
        let total: usize = chunks_of.iter().map(Vec::len).sum();
        if !self.req.skip_chunks {
            limits.add_chunks(total as u64)?;
        }
        let mut out = Vec::with_capacity(rows.len());
        for (r, chunks) in rows.into_iter().zip(chunks_of) {
            let mut sent = Vec::with_capacity(chunks.len());
            for c in chunks {
                if c.max_time < mint || c.min_time > maxt {
                    continue;
                }
                match to_aggr_chunk(
                    c.min_time,
                    c.max_time,
                    c.encoding,
                    c.data,
                    &self.req.aggregates,
                ) {
                    Ok(Some(chunk)) => sent.push(chunk),
                    Ok(None) => {}
                    Err(reason) => {
                        return Err(Error::CorruptBlock {
                            block: self.block.id,
                            reason,
                        })
                    }
                }
            }
            if sent.is_empty() {
                continue;
            }
            if self.req.skip_chunks {
                sent.clear();
            }
            out.push(OutSeries {
                labels: r.labels,
                chunks: sent,
            });
        }
        Ok(out)
    }
}
