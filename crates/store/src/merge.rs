//! The k-way merge of the series streams of the blocks a request reads: each block sends
//! batches of series in label order through its own bounded channel; [`Merger::next`] takes
//! the smallest head and merges the series with the same labels (overlapping blocks of one
//! stream, or streams made equal by `without_replica_labels`): chunks in time order,
//! identical chunks once. A block that fails becomes a warning, or ends the request when
//! partial responses are off; a limit always ends it.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

use mnemos_storeapi::thanos::AggrChunk;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use ulid::Ulid;

use crate::error::{Error, Result};
use crate::query::OutSeries;

/// What a block's task sends: a batch of series in label order, or the error that ended it.
pub type BlockBatch = Result<Vec<OutSeries>>;

/// One block's stream as the merger reads it.
pub struct BlockStream {
    /// The block.
    pub id: Ulid,
    /// Its batches.
    pub batches: mpsc::Receiver<BlockBatch>,
    buffered: VecDeque<OutSeries>,
}

impl BlockStream {
    /// The stream of block `id`, read from `batches`.
    pub fn new(id: Ulid, batches: mpsc::Receiver<BlockBatch>) -> Self {
        Self {
            id,
            batches,
            buffered: VecDeque::new(),
        }
    }
}

/// A block's current first series, ordered by labels then block position (smallest first
/// out of the max-heap through [`Reverse`]).
struct Head {
    series: OutSeries,
    source: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        self.series
            .labels
            .cmp(&other.series.labels)
            .then(self.source.cmp(&other.source))
    }
}

/// Called for every block that fails during the merge, with the error (to count and log
/// it).
pub type OnBlockFailure = Box<dyn Fn(Ulid, &Error) + Send + Sync>;

/// Merges the blocks' streams into one stream of series sorted by labels.
pub struct Merger {
    sources: Vec<BlockStream>,
    heap: BinaryHeap<Reverse<Head>>,
    started: bool,
    abort: bool,
    warnings: Vec<String>,
    on_failure: OnBlockFailure,
    /// The blocks' tasks; dropping the merger aborts them.
    _tasks: JoinSet<()>,
}

impl Merger {
    /// A merger over `sources`, fed by `tasks`. With `abort`, a failing block ends the
    /// merge with its error; otherwise it becomes a warning. `on_failure` sees every
    /// block failure (limits excepted).
    pub fn new(
        sources: Vec<BlockStream>,
        tasks: JoinSet<()>,
        abort: bool,
        on_failure: OnBlockFailure,
    ) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(sources.len()),
            sources,
            started: false,
            abort,
            warnings: Vec::new(),
            on_failure,
            _tasks: tasks,
        }
    }

    /// Warnings so far (failed blocks, with partial responses allowed).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Adds a warning (for failures found before the merge started).
    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// The next series in label order, merged across blocks; `None` at the end.
    pub async fn next(&mut self) -> Result<Option<OutSeries>> {
        if !self.started {
            self.started = true;
            for i in 0..self.sources.len() {
                self.advance(i).await?;
            }
        }
        let Some(Reverse(first)) = self.heap.pop() else {
            return Ok(None);
        };
        self.advance(first.source).await?;
        let mut out = first.series;
        let mut merged = false;
        while self
            .heap
            .peek()
            .is_some_and(|Reverse(h)| h.series.labels == out.labels)
        {
            if let Some(Reverse(same)) = self.heap.pop() {
                self.advance(same.source).await?;
                out.chunks.extend(same.series.chunks);
                merged = true;
            }
        }
        if merged {
            merge_chunks(&mut out.chunks);
        }
        Ok(Some(out))
    }

    /// Puts the next series of source `i` into the heap, if it has one.
    async fn advance(&mut self, i: usize) -> Result<()> {
        let source = &mut self.sources[i];
        loop {
            if let Some(series) = source.buffered.pop_front() {
                self.heap.push(Reverse(Head { series, source: i }));
                return Ok(());
            }
            match source.batches.recv().await {
                Some(Ok(batch)) => source.buffered = batch.into(),
                None => return Ok(()),
                Some(Err(e @ Error::Limit(_))) => return Err(e),
                Some(Err(e)) => {
                    (self.on_failure)(source.id, &e);
                    if self.abort {
                        return Err(e);
                    }
                    self.warnings.push(format!("block {}: {e}", source.id));
                    return Ok(());
                }
            }
        }
    }
}

/// Sorts the chunks of one series from several blocks by time and keeps identical chunks
/// once.
pub fn merge_chunks(chunks: &mut Vec<AggrChunk>) {
    chunks.sort_by_key(|c| (c.min_time, c.max_time));
    chunks.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::thanos::Chunk;
    use mnemos_tsdb::Labels;
    use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
    use std::sync::Arc;

    fn series(name: &str, chunks: &[(i64, u8)]) -> OutSeries {
        OutSeries {
            labels: Labels::from_pairs([("__name__", name)]),
            chunks: chunks
                .iter()
                .map(|(t, b)| {
                    AggrChunk::raw(
                        *t,
                        *t + 10,
                        Chunk {
                            r#type: 0,
                            data: vec![*b].into(),
                            hash: 0,
                        },
                    )
                })
                .collect(),
        }
    }

    /// A source fed with `batches`, then closed.
    fn source(batches: Vec<BlockBatch>) -> BlockStream {
        let (tx, rx) = mpsc::channel(batches.len().max(1));
        for b in batches {
            tx.try_send(b).expect("capacity");
        }
        BlockStream::new(Ulid::nil(), rx)
    }

    fn merger(sources: Vec<BlockStream>, abort: bool) -> (Merger, Arc<AtomicUsize>) {
        let failures = Arc::new(AtomicUsize::new(0));
        let seen = failures.clone();
        let m = Merger::new(
            sources,
            JoinSet::new(),
            abort,
            Box::new(move |_, _| {
                seen.fetch_add(1, AtomicOrdering::Relaxed);
            }),
        );
        (m, failures)
    }

    async fn drain(m: &mut Merger) -> Result<Vec<OutSeries>> {
        let mut out = Vec::new();
        while let Some(s) = m.next().await? {
            out.push(s);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn equal_labels_merge_across_blocks_and_within_one() {
        let a = source(vec![
            Ok(vec![series("a", &[(0, 1)]), series("c", &[(0, 1)])]),
            Ok(vec![]),
            Ok(vec![series("c", &[(20, 2)])]),
        ]);
        let b = source(vec![
            Ok(vec![series("a", &[(0, 1), (20, 3)])]),
            Ok(vec![series("b", &[(5, 1)])]),
        ]);
        let (mut m, _) = merger(vec![a, b], false);
        let out = drain(&mut m).await.expect("merged");
        let names: Vec<String> = out.iter().map(|s| s.labels.to_string()).collect();
        assert_eq!(
            names,
            vec![
                r#"{__name__="a"}"#,
                r#"{__name__="b"}"#,
                r#"{__name__="c"}"#
            ]
        );
        // a: the identical chunk at 0 once, then 20.
        let times: Vec<i64> = out[0].chunks.iter().map(|c| c.min_time).collect();
        assert_eq!(times, vec![0, 20]);
        // c came twice from the same block: one series with both chunks.
        assert_eq!(out[2].chunks.len(), 2);
    }

    #[tokio::test]
    async fn failed_blocks_warn_or_abort_and_limits_always_abort() {
        let failing = || {
            source(vec![
                Ok(vec![series("a", &[(0, 1)])]),
                Err(Error::Config("bucket down".into())),
            ])
        };
        let healthy = || source(vec![Ok(vec![series("b", &[(0, 1)])])]);
        let (mut m, failures) = merger(vec![failing(), healthy()], false);
        let out = drain(&mut m).await.expect("partial answer");
        assert_eq!(out.len(), 2);
        assert_eq!(failures.load(AtomicOrdering::Relaxed), 1);
        let warnings = m.take_warnings();
        assert!(
            warnings.len() == 1 && warnings[0].contains("bucket down"),
            "{warnings:?}"
        );

        let (mut m, _) = merger(vec![failing(), healthy()], true);
        assert!(drain(&mut m).await.is_err());

        let limited = source(vec![Err(Error::Limit("exceeded samples limit".into()))]);
        let (mut m, failures) = merger(vec![limited, healthy()], false);
        let err = drain(&mut m).await.unwrap_err();
        assert!(matches!(err, Error::Limit(_)));
        assert_eq!(failures.load(AtomicOrdering::Relaxed), 0);
    }
}
