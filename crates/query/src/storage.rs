//! The PromQL engine's view of the StoreAPI fan-out: one [`FanoutStorage`] per query, with
//! that query's deduplication, partial-response and resolution choices, collecting the
//! warnings the answer will carry.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mnemos_dedup::DedupFunc;
use mnemos_promql::{collect_series, SelectHints, Storage, StorageError, StoredSeries};
use mnemos_tsdb::Matcher;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::fanout::{Fanout, FanoutError, SelectRequest};
use crate::series::{aggregates_for, is_counter_func, samples, MergeMode};

/// Per-query read options (the API's `dedup`, `replicaLabels[]`, `partial_response`,
/// `max_source_resolution` parameters).
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Merge HA replicas.
    pub dedup: bool,
    /// The labels that tell replicas apart.
    pub replica_labels: Vec<String>,
    /// How replicas are merged (`--deduplication.func`).
    pub dedup_func: DedupFunc,
    /// Answer with warnings when an endpoint fails.
    pub partial_response: bool,
    /// Coarsest acceptable downsampling resolution (ms).
    pub max_resolution_ms: i64,
    /// Query step (ms), passed on as a hint.
    pub step_ms: i64,
    /// `--store.limits.request-series`: series one selection may gather (0: no limit).
    pub max_series: usize,
}

/// The error of a request that selects more than `max` series (Thanos' wording first).
pub fn series_limit_message(max: usize) -> String {
    format!(
        "exceeded series limit: the request selects more than {max} series \
         (--store.limits.request-series); narrow the selectors or the time range"
    )
}

/// When a request must stop: its deadline, and a token cancelled when its client has gone.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    /// The request's deadline, if any.
    pub deadline: Option<tokio::time::Instant>,
    /// Cancelled when the request's client has gone (its handler was dropped).
    pub canceled: CancellationToken,
}

/// Why [`Stop::run`] ended work early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The deadline passed.
    Timeout,
    /// The client went away.
    Canceled,
}

impl Stop {
    /// Runs `work` until it ends, the deadline passes or the request is cancelled, whichever
    /// comes first; `work` is dropped (its streams closed) when it does not finish.
    pub async fn run<T>(&self, work: impl std::future::Future<Output = T>) -> Result<T, Stopped> {
        let deadline = async {
            match self.deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            out = work => Ok(out),
            () = deadline => Err(Stopped::Timeout),
            () = self.canceled.cancelled() => Err(Stopped::Canceled),
        }
    }
}

/// [`Storage`] over the fan-out, for one query. The engine runs on a blocking thread; each
/// selection runs on the runtime behind `handle`, and stops with the query (deadline,
/// client gone) even while an endpoint is silent.
pub struct FanoutStorage {
    fanout: Arc<Fanout>,
    handle: Handle,
    options: ReadOptions,
    stop: Stop,
    warnings: Mutex<BTreeSet<String>>,
    answered: Mutex<BTreeSet<String>>,
    endpoint_failed: AtomicBool,
    limited: AtomicBool,
    stopped: Mutex<Option<Stopped>>,
}

impl FanoutStorage {
    /// A storage for one query, stopping selections when `stop` says so.
    pub fn new(fanout: Arc<Fanout>, handle: Handle, options: ReadOptions, stop: Stop) -> Self {
        Self {
            fanout,
            handle,
            options,
            stop,
            warnings: Mutex::new(BTreeSet::new()),
            answered: Mutex::new(BTreeSet::new()),
            endpoint_failed: AtomicBool::new(false),
            limited: AtomicBool::new(false),
            stopped: Mutex::new(None),
        }
    }

    /// Why a selection was stopped early, if one was.
    pub fn stopped(&self) -> Option<Stopped> {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a selection failed because an endpoint failed (partial responses off).
    pub fn endpoint_failed(&self) -> bool {
        self.endpoint_failed.load(Ordering::Relaxed)
    }

    /// Whether a selection failed because it passed a series limit: the querier's
    /// `--store.limits.request-series` or an endpoint's own limits.
    pub fn limited(&self) -> bool {
        self.limited.load(Ordering::Relaxed)
    }

    /// The warnings collected so far (sorted, each once).
    pub fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The endpoints that answered a selection of this query in full (sorted, each once).
    pub fn answered(&self) -> Vec<String> {
        self.answered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The request for a selection under this query's options.
    pub fn request(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
        func: Option<&str>,
    ) -> SelectRequest {
        SelectRequest {
            matchers: matchers.to_vec(),
            mint,
            maxt,
            skip_chunks: false,
            max_resolution_ms: self.options.max_resolution_ms,
            aggregates: aggregates_for(func),
            without_replica_labels: if self.options.dedup {
                self.options.replica_labels.clone()
            } else {
                Vec::new()
            },
            partial_response: self.options.partial_response,
            func: func.map(str::to_string),
            step_ms: self.options.step_ms,
            range_ms: 0,
        }
    }
}

impl Storage for FanoutStorage {
    fn select(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
    ) -> Result<Vec<StoredSeries>, StorageError> {
        collect_series(|f| self.select_hinted(matchers, mint, maxt, &SelectHints::default(), f))
    }

    fn select_hinted(
        &self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
        hints: &SelectHints,
        f: &mut dyn FnMut(StoredSeries) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut req = self.request(matchers, mint, maxt, hints.func);
        req.range_ms = hints.range_ms;
        let mode = MergeMode {
            dedup: self.options.dedup,
            func: self.options.dedup_func,
            counter: is_counter_func(hints.func),
        };
        let aggregates = req.aggregates.clone();
        let max_series = self.options.max_series;
        let mut gathered = 0usize;
        let work = self.fanout.select(&req, |labels, chunks| {
            gathered += 1;
            if max_series > 0 && gathered > max_series {
                self.limited.store(true, Ordering::Relaxed);
                return Err(StorageError(series_limit_message(max_series)));
            }
            let samples = samples(&labels, chunks, &aggregates, mint, maxt, mode)
                .map_err(|e| StorageError(e.to_string()))?;
            if samples.floats.is_empty() && samples.histograms.is_empty() {
                return Ok(());
            }
            f(StoredSeries {
                labels,
                samples: samples.floats,
                histograms: samples.histograms,
            })
        });
        let answer = match self.handle.block_on(self.stop.run(work)) {
            Ok(answer) => answer,
            Err(why) => {
                *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
                return Err(StorageError(match why {
                    Stopped::Timeout => "query timed out in query execution".into(),
                    Stopped::Canceled => "query was canceled in query execution".into(),
                }));
            }
        };
        match answer {
            Ok(selection) => {
                self.warnings
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(selection.warnings);
                self.answered
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(selection.answered);
                Ok(())
            }
            Err(FanoutError::Endpoint(e @ crate::Error::LimitExceeded(_))) => {
                self.limited.store(true, Ordering::Relaxed);
                Err(StorageError(e.to_string()))
            }
            Err(FanoutError::Endpoint(e)) => {
                self.endpoint_failed.store(true, Ordering::Relaxed);
                Err(StorageError(e.to_string()))
            }
            Err(FanoutError::Stopped(e)) => Err(e),
        }
    }
}
