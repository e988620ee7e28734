//! The evaluator: every node is evaluated for all steps of the query at once
//! (step-vectorised): an instant vector is a set of series with one optional value per step,
//! a range vector keeps each series' points once and windows them per step.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mnemos_tsdb::chunkenc::STALE_NAN_BITS;
use mnemos_tsdb::histogram::FloatHistogram;
use mnemos_tsdb::{Label, Labels, MatchType, Matcher};
use promql_parser::parser::{self as ast, Expr};

use crate::budget::{Budget, Charge};
use crate::error::{Error, Result};
use crate::functions;
use crate::nesting::{self, EVAL_STACK_BYTES};
use crate::storage::{SelectHints, Storage, StorageError, StoredSeries};
use crate::value::{Sample, Series, Value};

/// Engine settings (Prometheus' defaults).
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample (ms); Prometheus' default 5m.
    pub lookback_delta: i64,
    /// Samples a query may hold in memory at once.
    pub max_samples: usize,
    /// Default step of subqueries without one (ms).
    pub default_subquery_step: i64,
    /// Longest a query may run (none: no limit).
    pub timeout: Option<std::time::Duration>,
    /// Queries evaluated at once; more wait for a slot until their timeout (0: no limit).
    pub max_concurrent: usize,
    /// Accept `histogram_avg`, `histogram_stddev` and `histogram_stdvar`, functions of
    /// later Prometheus versions (2.50) that 2.42 does not know. Off by default: with it
    /// off they are parse errors, as in 2.42.
    pub histogram_stat_functions: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            lookback_delta: 5 * 60_000,
            max_samples: 50_000_000,
            default_subquery_step: 60_000,
            timeout: Some(std::time::Duration::from_secs(120)),
            max_concurrent: 20,
            histogram_stat_functions: false,
        }
    }
}

/// Operands of one query evaluated in parallel at most (besides its own thread).
const PARALLEL_OPERANDS: usize = 3;

/// How one query may be ended early, besides the engine's own limits.
#[derive(Clone, Debug, Default)]
pub struct Control {
    /// The request's timeout; the engine's timeout still caps it (Prometheus' `timeout`
    /// parameter).
    pub timeout: Option<Duration>,
    /// Set by the caller when the client has gone: the query stops with
    /// [`Error::Canceled`] at its next check.
    pub canceled: Option<Arc<AtomicBool>>,
}

/// A PromQL engine; clones share the concurrency limit.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    options: EngineOptions,
    running: std::sync::Arc<(std::sync::Mutex<usize>, std::sync::Condvar)>,
}

/// A query's place among the running ones; frees it when dropped.
struct Slot<'a>(&'a (std::sync::Mutex<usize>, std::sync::Condvar));

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let (count, cv) = self.0;
        *count.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        cv.notify_one();
    }
}

/// A native histogram as the engine holds it: shared, because a sample found by lookback
/// stands for many steps (changed copies are made where Prometheus copies).
pub(crate) type Hist = Arc<FloatHistogram>;

/// The histograms beside a series' values (per step, or per point of a range), aligned
/// with them; `None` for a series without any, so that floats take no extra space or time.
///
/// A sample is a histogram sample where a histogram is present; its float value beside
/// it is what Prometheus 2.42 keeps in the `V` of such a point (0 from storage; vector ⊕
/// scalar arithmetic changes it), which every function, operator and aggregation that is
/// not histogram-aware uses as if the sample were that float, as 2.42 does.
pub(crate) type Hists = Option<Vec<Option<Hist>>>;

/// `n` empty histogram slots.
pub(crate) fn no_hists(n: usize) -> Vec<Option<Hist>> {
    (0..n).map(|_| None).collect()
}

/// An instant vector over the steps of the evaluation.
#[derive(Clone, Debug)]
pub(crate) struct VSeries {
    pub labels: Labels,
    pub vals: Vec<Option<f64>>,
    /// Histograms at the steps that hold histogram samples (see [`Hists`]).
    pub hists: Hists,
}

impl VSeries {
    /// A series of floats (or of values whose histograms are dropped).
    pub fn floats(labels: Labels, vals: Vec<Option<f64>>) -> Self {
        VSeries {
            labels,
            vals,
            hists: None,
        }
    }

    /// The histogram at step `i`, if the sample there is one.
    pub fn hist(&self, i: usize) -> Option<&Hist> {
        self.hists.as_ref()?.get(i)?.as_ref()
    }

    /// Sets (or clears) the histogram at step `i`.
    pub fn set_hist(&mut self, i: usize, h: Option<Hist>) {
        match (&mut self.hists, h) {
            (Some(hs), h) => hs[i] = h,
            (None, None) => {}
            (None, Some(h)) => {
                let mut hs = no_hists(self.vals.len());
                hs[i] = Some(h);
                self.hists = Some(hs);
            }
        }
    }

    /// Whether any step holds a histogram sample.
    pub fn has_hists(&self) -> bool {
        self.hists
            .as_ref()
            .is_some_and(|hs| hs.iter().any(Option::is_some))
    }
}

/// One series of a computed range vector: points and the histograms beside them.
#[derive(Clone, Debug)]
pub(crate) struct RSeries {
    pub labels: Labels,
    pub pts: Vec<(i64, f64)>,
    pub hists: Hists,
}

/// Where a range vector's points come from.
#[derive(Clone, Debug)]
pub(crate) enum Points {
    /// Already computed (subqueries).
    Loaded(Vec<RSeries>),
    /// Streamed from storage one series at a time when a function reduces it.
    Select {
        matchers: Vec<Matcher>,
        mint: i64,
        maxt: i64,
        /// The function the range is an argument of, passed to storage as a hint.
        func: Option<&'static str>,
    },
}

/// A range vector: each series' points, and per step the window `[start, end]` to use.
#[derive(Clone, Debug)]
pub(crate) struct Range {
    pub points: Points,
    /// Per step: (window start, window end), inclusive.
    pub windows: Vec<(i64, i64)>,
    /// The range (ms).
    pub range: i64,
}

/// An intermediate value.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    Scalar(Vec<f64>),
    Str(String),
    Vector(Vec<VSeries>),
    Matrix(Range),
}

impl Range {
    /// Calls `f` with each series' labels, points (staleness markers removed) and the
    /// histograms beside them (`None` for a series of floats), one series at a time.
    /// Histogram points have the value 0 (as 2.42's `Point.V`), or 1 in a selection for
    /// `count_over_time`, whose values are sample counts.
    pub fn for_each(
        &self,
        ctx: &Ctx,
        mut f: impl FnMut(&Labels, &[(i64, f64)], Option<&[Option<Hist>]>) -> Result<()>,
    ) -> Result<()> {
        match &self.points {
            Points::Loaded(series) => series
                .iter()
                .try_for_each(|s| f(&s.labels, &s.pts, s.hists.as_deref())),
            Points::Select {
                matchers,
                mint,
                maxt,
                func,
            } => {
                let hints = SelectHints {
                    func: *func,
                    range_ms: self.range,
                };
                let hist_value = if *func == Some(crate::storage::COUNT_HINT) {
                    1.0
                } else {
                    0.0
                };
                stream_series(ctx, matchers, *mint, *maxt, &hints, |s| {
                    let (labels, pts, hists) = timeline(s, hist_value);
                    match hists {
                        None => {
                            let pts: Vec<(i64, f64)> =
                                pts.into_iter().filter(|(_, v)| !stale(*v)).collect();
                            f(&labels, &pts, None)
                        }
                        Some(hs) => {
                            let (pts, hs): (Vec<(i64, f64)>, Vec<Option<Hist>>) = pts
                                .into_iter()
                                .zip(hs)
                                .filter(|((_, v), _)| !stale(*v))
                                .unzip();
                            f(&labels, &pts, Some(&hs))
                        }
                    }
                })
            }
        }
    }
}

/// A stored series' samples as one timeline, as PromQL 2.42 reads them: float samples as
/// they are, each histogram sample as the value `hist_value` (2.42's `Point.V` of a
/// histogram point: 0) with its histogram beside it, staleness markers of either kind as
/// the float staleness marker (so that [`stale`] finds both). A timestamp holding both
/// kinds keeps the float. Floats pass through untouched when the series has no histogram.
pub(crate) fn timeline(s: StoredSeries, hist_value: f64) -> (Labels, Vec<(i64, f64)>, Hists) {
    if s.histograms.is_empty() {
        return (s.labels, s.samples, None);
    }
    let n = s.samples.len() + s.histograms.len();
    let mut pts = Vec::with_capacity(n);
    let mut hs = Vec::with_capacity(n);
    let mut floats = s.samples.into_iter().peekable();
    for (t, h) in s.histograms {
        let mut taken = false;
        while let Some(&(ft, fv)) = floats.peek() {
            if ft > t {
                break;
            }
            taken |= ft == t;
            pts.push((ft, fv));
            hs.push(None);
            floats.next();
        }
        if taken {
            continue;
        }
        if h.is_stale() {
            pts.push((t, f64::from_bits(STALE_NAN_BITS)));
            hs.push(None);
        } else {
            pts.push((t, hist_value));
            hs.push(Some(Arc::new(h)));
        }
    }
    for p in floats {
        pts.push(p);
        hs.push(None);
    }
    (s.labels, pts, Some(hs))
}

/// Streams the series `matchers` select in `[mint, maxt]` through `f`, one at a time in
/// label order, each checked against the deadline and charged to the budget while in hand.
/// `f`'s first error ends the selection and is returned as is; a failure of the storage
/// itself is [`Error::Storage`].
fn stream_series(
    ctx: &Ctx,
    matchers: &[Matcher],
    mint: i64,
    maxt: i64,
    hints: &SelectHints,
    mut f: impl FnMut(StoredSeries) -> Result<()>,
) -> Result<()> {
    let mut failed: Option<Error> = None;
    let r = ctx
        .storage
        .select_hinted(matchers, mint, maxt, hints, &mut |s| {
            let step = ctx
                .check_deadline()
                .and_then(|()| ctx.charge(s.len()))
                .and_then(|_in_hand| f(s));
            step.map_err(|e| {
                failed = Some(e);
                StorageError("stopped".into())
            })
        });
    match (failed, r) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(Error::Storage(e.0)),
        (None, Ok(())) => Ok(()),
    }
}

pub(crate) fn stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// Evaluation context: the steps and the query's time bounds.
pub(crate) struct Ctx<'a> {
    pub storage: &'a dyn Storage,
    pub steps: Vec<i64>,
    pub start: i64,
    pub end: i64,
    pub opts: &'a EngineOptions,
    /// When the query must be done by.
    pub deadline: Option<std::time::Instant>,
    /// Set when the query's client has gone.
    pub canceled: Option<&'a AtomicBool>,
    /// The samples the query holds, against `--query.max-samples`.
    pub budget: &'a Budget,
    /// Threads the query may still start to evaluate independent operands in parallel.
    pub spare_threads: &'a AtomicUsize,
}

impl<'a> Ctx<'a> {
    /// Fails once the query's time is up or its client has gone.
    pub fn check_deadline(&self) -> Result<()> {
        if self.canceled.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Canceled);
        }
        match self.deadline {
            Some(d) if std::time::Instant::now() > d => Err(Error::Timeout),
            _ => Ok(()),
        }
    }

    /// Charges `n` samples to the query's budget until the charge is dropped.
    pub fn charge(&self, n: usize) -> Result<Charge<'a>> {
        self.budget.charge(n)
    }

    /// Runs `a` here and `b` beside it on another thread when the query has one to spare
    /// (otherwise after `a`); both results are returned.
    pub fn join<A: Send, B: Send>(
        &self,
        a: impl FnOnce() -> A + Send,
        b: impl FnOnce() -> B + Send,
    ) -> (A, B) {
        let took = self
            .spare_threads
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        if !took {
            return (a(), b());
        }
        // `b` waits in a slot, so it still runs here when no thread can be started.
        let b = std::sync::Mutex::new(Some(b));
        let run_b = || {
            let f = b.lock().unwrap_or_else(|p| p.into_inner()).take();
            f.map(|f| f())
        };
        let out = std::thread::scope(|s| {
            let spawned = std::thread::Builder::new()
                .name("promql-eval".into())
                .stack_size(EVAL_STACK_BYTES)
                .spawn_scoped(s, run_b);
            let a = a();
            let b = match spawned {
                Ok(handle) => match handle.join() {
                    Ok(b) => b,
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(_) => run_b(),
            };
            (a, b)
        });
        self.spare_threads.fetch_add(1, Ordering::AcqRel);
        let (a, b) = out;
        match b {
            Some(b) => (a, b),
            // The slot is emptied exactly once, by whichever of the two ran it.
            None => unreachable!("the second operand was evaluated"),
        }
    }
}

fn exec(msg: impl Into<String>) -> Error {
    Error::Execution(msg.into())
}

fn dur_ms(d: &std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn offset_ms(o: &Option<ast::Offset>) -> i64 {
    match o {
        Some(ast::Offset::Pos(d)) => dur_ms(d),
        Some(ast::Offset::Neg(d)) => -dur_ms(d),
        None => 0,
    }
}

fn at_ms(at: &Option<ast::AtModifier>, start: i64, end: i64) -> Option<i64> {
    match at {
        None => None,
        Some(ast::AtModifier::Start) => Some(start),
        Some(ast::AtModifier::End) => Some(end),
        Some(ast::AtModifier::At(t)) => Some(match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => dur_ms(&d),
            Err(e) => -dur_ms(&e.duration()),
        }),
    }
}

fn to_matchers(vs: &ast::VectorSelector) -> Result<Vec<Matcher>> {
    let mut out = Vec::new();
    if let Some(name) = &vs.name {
        out.push(Matcher::equal("__name__", name.clone()));
    }
    for m in &vs.matchers.matchers {
        let kind = match &m.op {
            promql_parser::label::MatchOp::Equal => MatchType::Equal,
            promql_parser::label::MatchOp::NotEqual => MatchType::NotEqual,
            promql_parser::label::MatchOp::Re(_) => MatchType::Regex,
            promql_parser::label::MatchOp::NotRe(_) => MatchType::NotRegex,
        };
        out.push(
            Matcher::new(kind, m.name.clone(), m.value.clone())
                .map_err(|e| Error::Parse(e.to_string()))?,
        );
    }
    Ok(out)
}

/// The matchers of a series selector (`up`, `{job="a"}`, `up{job=~"a.*"}`), as the series
/// and labels APIs take them in `match[]`; errors worded as Prometheus' parser words them.
pub fn selector_matchers(selector: &str) -> Result<Vec<Matcher>> {
    match checked_parse(selector)? {
        Expr::VectorSelector(vs) => to_matchers(&vs),
        _ => Err(Error::Parse(format!(
            "1:1: parse error: {selector:?} is not a series selector"
        ))),
    }
}

/// The matchers of every vector selector of `query`, in the order they appear (range and
/// subquery selectors included, each selector's metric name as a `__name__` matcher), as
/// Prometheus' `parser.ExtractSelectors` gives them to its exemplars API; errors worded as
/// the parser words them. Parsing, walking and dropping the expression recurse once per
/// level, so they run on a thread with the engine's stack ([`EVAL_STACK_BYTES`]).
pub fn query_selectors(query: &str) -> Result<Vec<Vec<Matcher>>> {
    struct Selectors(Vec<Vec<Matcher>>);
    impl promql_parser::util::ExprVisitor for Selectors {
        type Error = Error;
        fn pre_visit(&mut self, expr: &Expr) -> Result<bool> {
            match expr {
                Expr::VectorSelector(vs) => self.0.push(to_matchers(vs)?),
                // The walk does not descend into a range selector's vector selector.
                Expr::MatrixSelector(ms) => self.0.push(to_matchers(&ms.vs)?),
                _ => {}
            }
            Ok(true)
        }
    }
    let run = || {
        let expr = checked_parse(query)?;
        let mut selectors = Selectors(Vec::new());
        promql_parser::util::walk_expr(&mut selectors, &expr)?;
        Ok(selectors.0)
    };
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("promql-parse".into())
            .stack_size(EVAL_STACK_BYTES)
            .spawn_scoped(s, run)
            .map_err(|e| exec(format!("starting the parser's thread: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(exec("parsing the query panicked")))
    })
}

/// Parses `query` after the checks that keep the parser within bounds: nesting depth
/// ([`nesting`]) and numbers in duration position ([`crate::durations`]).
fn checked_parse(query: &str) -> Result<Expr> {
    nesting::check(query)?;
    crate::durations::check(query)?;
    crate::compat::register_functions();
    promql_parser::parser::parse(query).map_err(Error::Parse)
}

/// Labels without `__name__`.
pub(crate) fn drop_name(l: &Labels) -> Labels {
    Labels::from_sorted(l.iter().filter(|l| l.name != "__name__").cloned().collect())
}

impl Engine {
    /// An engine with `options`.
    pub fn new(options: EngineOptions) -> Self {
        Self {
            options,
            running: Default::default(),
        }
    }

    /// Waits for a free slot (until `deadline`, if any) when `max_concurrent` queries run.
    fn admit(&self, deadline: Option<std::time::Instant>) -> Result<Slot<'_>> {
        let (count, cv) = &*self.running;
        let mut n = count.lock().unwrap_or_else(|p| p.into_inner());
        let limit = self.options.max_concurrent;
        let began = std::time::Instant::now();
        while limit > 0 && *n >= limit {
            let left = deadline.map_or(Duration::from_secs(3600), |d| {
                d.saturating_duration_since(std::time::Instant::now())
            });
            if left.is_zero() {
                let waited = began.elapsed();
                return Err(Error::Execution(format!(
                    "too many concurrent queries: {limit} running, waited {waited:?} for a slot"
                )));
            }
            n = cv
                .wait_timeout(n, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *n += 1;
        Ok(Slot(&self.running))
    }

    fn parse(&self, query: &str) -> Result<Expr> {
        let expr = checked_parse(query)?;
        let later: &[&str] = if self.options.histogram_stat_functions {
            crate::compat::HISTOGRAM_STAT_FUNCTIONS
        } else {
            &[]
        };
        crate::compat::check_2_42(&expr, later).map_err(Error::Parse)?;
        Ok(expr)
    }

    /// Evaluates `query` at time `t` (ms).
    pub fn instant(&self, storage: &dyn Storage, query: &str, t: i64) -> Result<Value> {
        self.instant_with(storage, query, t, &Control::default())
    }

    /// [`Engine::instant`] under `control` (the request's own timeout, cancellation).
    pub fn instant_with(
        &self,
        storage: &dyn Storage,
        query: &str,
        t: i64,
        control: &Control,
    ) -> Result<Value> {
        self.execute(storage, query, (t, t, 0), control, |ctx, held| {
            Ok(match held.val {
                Val::Scalar(v) => Value::Scalar { t, v: v[0] },
                Val::Str(s) => Value::String { t, v: s },
                Val::Vector(vs) => Value::Vector(
                    vs.into_iter()
                        .filter_map(|s| {
                            let h = s.hist(0).map(|h| Box::new(FloatHistogram::clone(h)));
                            s.vals[0].map(|v| Sample {
                                labels: s.labels,
                                t,
                                v,
                                h,
                            })
                        })
                        .collect(),
                ),
                Val::Matrix(r) => {
                    let (ws, we) = r.windows[0];
                    let mut out = Vec::new();
                    // A range vector answer holds all its points at once.
                    let mut kept = ctx.charge(0)?;
                    r.for_each(ctx, |labels, pts, hists| {
                        let a = pts.partition_point(|(pt, _)| *pt < ws);
                        let b = pts.partition_point(|(pt, _)| *pt <= we);
                        kept.grow(b.saturating_sub(a))?;
                        if a < b {
                            let (points, histograms) =
                                split_points(&pts[a..b], hists.map(|h| &h[a..b]));
                            out.push(Series {
                                labels: labels.clone(),
                                points,
                                histograms,
                            });
                        }
                        Ok(())
                    })?;
                    Value::Matrix(out)
                }
            })
        })
    }

    /// Evaluates `query` at every step from `start` to `end` (ms): a matrix.
    pub fn range(
        &self,
        storage: &dyn Storage,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Value> {
        self.range_with(storage, query, start, end, step, &Control::default())
    }

    /// [`Engine::range`] under `control` (the request's own timeout, cancellation).
    pub fn range_with(
        &self,
        storage: &dyn Storage,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
        control: &Control,
    ) -> Result<Value> {
        if step <= 0 {
            return Err(Error::Execution(
                "zero or negative query resolution step widths are not accepted".into(),
            ));
        }
        self.execute(storage, query, (start, end, step), control, |ctx, held| {
            let steps = &ctx.steps;
            let mut series = match held.val {
                Val::Scalar(v) => vec![Series {
                    labels: Labels::new(),
                    points: steps.iter().copied().zip(v).collect(),
                    histograms: Vec::new(),
                }],
                Val::Vector(vs) => vs
                    .into_iter()
                    .map(|s| {
                        let (points, histograms) = match &s.hists {
                            None => (
                                steps
                                    .iter()
                                    .zip(s.vals)
                                    .filter_map(|(t, v)| v.map(|v| (*t, v)))
                                    .collect(),
                                Vec::new(),
                            ),
                            Some(hs) => {
                                let (pts, hs): (Vec<(i64, f64)>, Vec<Option<Hist>>) = steps
                                    .iter()
                                    .zip(&s.vals)
                                    .zip(hs)
                                    .filter_map(|((t, v), h)| v.map(|v| ((*t, v), h.clone())))
                                    .unzip();
                                split_points(&pts, Some(&hs))
                            }
                        };
                        Series {
                            labels: s.labels,
                            points,
                            histograms,
                        }
                    })
                    .filter(|s| !s.points.is_empty() || !s.histograms.is_empty())
                    .collect(),
                Val::Str(_) | Val::Matrix(_) => {
                    return Err(Error::Execution(
                        "invalid expression type for range query, must be Scalar or instant \
                         Vector"
                            .into(),
                    ))
                }
            };
            series.sort_by(|a, b| a.labels.cmp(&b.labels));
            Ok(Value::Matrix(series))
        })
    }

    /// Parses and evaluates `query` over the steps `(start, end, step)` (step 0: the one
    /// instant `start`), then turns the value into the answer with `answer`, all on a
    /// thread of its own whose stack holds the deepest query [`nesting`] lets through (the
    /// tree is dropped there too). A panic is an error, never the caller's.
    fn execute(
        &self,
        storage: &dyn Storage,
        query: &str,
        (start, end, step): (i64, i64, i64),
        control: &Control,
        answer: impl FnOnce(&Ctx, Held) -> Result<Value> + Send,
    ) -> Result<Value> {
        let timeout = match (self.options.timeout, control.timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let deadline = timeout.map(|d| std::time::Instant::now() + d);
        let run = || -> Result<Value> {
            let expr = self.parse(query)?;
            let budget = Budget::new(self.options.max_samples);
            let steps = if step == 0 {
                vec![start]
            } else {
                step_times(&budget, start, end, step)?
            };
            let spare_threads = AtomicUsize::new(PARALLEL_OPERANDS);
            let ctx = Ctx {
                storage,
                steps,
                start,
                end,
                opts: &self.options,
                deadline,
                canceled: control.canceled.as_deref(),
                budget: &budget,
                spare_threads: &spare_threads,
            };
            let _slot = self.admit(deadline)?;
            let held = eval(&ctx, &expr)?;
            answer(&ctx, held)
        };
        std::thread::scope(|s| {
            let thread = std::thread::Builder::new()
                .name("promql-query".into())
                .stack_size(EVAL_STACK_BYTES)
                .spawn_scoped(s, run)
                .map_err(|e| exec(format!("starting the query's thread: {e}")))?;
            thread
                .join()
                .unwrap_or_else(|_| Err(exec("query evaluation panicked")))
        })
    }
}

/// The float points and the histogram points of an answer's series.
type SplitPoints = (Vec<(i64, f64)>, Vec<(i64, FloatHistogram)>);

/// Points split into the float points and the histogram points of an answer.
fn split_points(pts: &[(i64, f64)], hists: Option<&[Option<Hist>]>) -> SplitPoints {
    let Some(hs) = hists else {
        return (pts.to_vec(), Vec::new());
    };
    let (mut points, mut histograms) = (Vec::new(), Vec::new());
    for (p, h) in pts.iter().zip(hs) {
        match h {
            Some(h) => histograms.push((p.0, FloatHistogram::clone(h))),
            None => points.push(*p),
        }
    }
    (points, histograms)
}

/// Steps with their effective reference times for a selector with `@`/offset.
fn ref_times(ctx: &Ctx, at: &Option<ast::AtModifier>, offset: &Option<ast::Offset>) -> Vec<i64> {
    let off = offset_ms(offset);
    match at_ms(at, ctx.start, ctx.end) {
        Some(a) => ctx.steps.iter().map(|_| a.saturating_sub(off)).collect(),
        None => ctx.steps.iter().map(|t| t.saturating_sub(off)).collect(),
    }
}

/// Each reference time's window `[t - range, t]`.
fn windows_of(refs: &[i64], range: i64) -> Vec<(i64, i64)> {
    refs.iter().map(|t| (t.saturating_sub(range), *t)).collect()
}

/// The times `first, first + step, …` up to `last`, refused when there would be more of
/// them than the query may hold samples (checked before anything is allocated).
pub(crate) fn step_times(budget: &Budget, first: i64, last: i64, step: i64) -> Result<Vec<i64>> {
    if step <= 0 || last < first {
        return Ok(Vec::new());
    }
    let span = last.checked_sub(first).ok_or(Error::TooManySamples)?;
    let n = usize::try_from(span / step)
        .ok()
        .and_then(|n| n.checked_add(1))
        .ok_or(Error::TooManySamples)?;
    budget.check(n)?;
    Ok((0..n as i64).map(|i| first + i * step).collect())
}

/// A value with the samples it holds charged to the query's budget until it is dropped.
pub(crate) struct Held<'a> {
    /// The value.
    pub val: Val,
    /// Its charge; keep it as long as the value is held.
    pub charge: Charge<'a>,
}

impl Val {
    /// The samples this value holds (see the `budget` module).
    fn samples(&self) -> usize {
        match self {
            Val::Scalar(v) => v.len(),
            Val::Str(_) => 0,
            Val::Vector(vs) => vs.iter().map(|s| s.vals.len()).sum(),
            Val::Matrix(r) => match &r.points {
                Points::Loaded(series) => series.iter().map(|s| s.pts.len()).sum(),
                Points::Select { .. } => 0,
            },
        }
    }
}

/// Evaluates `expr`, charging its value to the query's budget.
pub(crate) fn eval<'a>(ctx: &Ctx<'a>, expr: &Expr) -> Result<Held<'a>> {
    ctx.check_deadline()?;
    let val = eval_node(ctx, expr)?;
    let charge = ctx.charge(val.samples())?;
    Ok(Held { val, charge })
}

fn eval_node(ctx: &Ctx, expr: &Expr) -> Result<Val> {
    match expr {
        Expr::NumberLiteral(n) => Ok(Val::Scalar(vec![n.val; ctx.steps.len()])),
        Expr::StringLiteral(s) => Ok(Val::Str(s.val.clone())),
        Expr::Paren(p) => eval(ctx, &p.expr).map(|h| h.val),
        Expr::Unary(u) => match eval(ctx, &u.expr)?.val {
            Val::Scalar(v) => Ok(Val::Scalar(v.into_iter().map(|x| -x).collect())),
            // Histogram samples keep their histogram (2.42 negates only `V`).
            Val::Vector(vs) => merge_same_labels(
                vs.into_iter()
                    .map(|s| VSeries {
                        labels: drop_name(&s.labels),
                        vals: s.vals.into_iter().map(|v| v.map(|x| -x)).collect(),
                        hists: s.hists,
                    })
                    .collect(),
            )
            .map(Val::Vector),
            _ => Err(exec(
                "unary expression only allowed on expressions of type scalar or instant vector",
            )),
        },
        Expr::VectorSelector(vs) => select_vector(ctx, vs),
        Expr::MatrixSelector(ms) => select_matrix(ctx, ms),
        Expr::Subquery(sq) => subquery(ctx, sq),
        Expr::Call(call) => match functions::call(ctx, call)? {
            // Dropping the metric name can make two series one: an error at a shared step.
            Val::Vector(v) => merge_same_labels(v).map(Val::Vector),
            other => Ok(other),
        },
        Expr::Aggregate(agg) => crate::aggregate::aggregate(ctx, agg),
        Expr::Binary(b) => crate::binary::binary(ctx, b),
        Expr::Extension(_) => Err(exec("extension expressions are not supported")),
    }
}

/// A vector selector evaluated at every step: per series, `value_of` the latest sample at or
/// before the step within the lookback window (staleness markers end a series). Series
/// without any value are dropped. Series are streamed from storage one at a time; each is
/// charged to the budget (its decoded samples while in hand, its steps once kept).
fn select_instant(
    ctx: &Ctx,
    vs: &ast::VectorSelector,
    value_of: impl Fn((i64, f64)) -> f64,
    with_hists: bool,
) -> Result<Vec<VSeries>> {
    let matchers = to_matchers(vs)?;
    let refs = ref_times(ctx, &vs.at, &vs.offset);
    let lb = ctx.opts.lookback_delta;
    let mint = refs.iter().min().copied().unwrap_or(0).saturating_sub(lb);
    let maxt = refs.iter().max().copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut kept = ctx.charge(0)?;
    let hints = SelectHints::default();
    stream_series(ctx, &matchers, mint, maxt, &hints, |s| {
        let (labels, samples, hists) = timeline(s, 0.0);
        let hists = hists.filter(|_| with_hists);
        let mut step_hists: Hists = None;
        let vals: Vec<Option<f64>> = refs
            .iter()
            .enumerate()
            .map(|(k, &rt)| {
                let i = samples.partition_point(|(t, _)| *t <= rt);
                let at = (i > 0)
                    .then(|| i - 1)
                    .filter(|&j| samples[j].0 >= rt - lb && !stale(samples[j].1))?;
                if let Some(h) = hists.as_ref().and_then(|hs| hs[at].as_ref()) {
                    step_hists.get_or_insert_with(|| no_hists(refs.len()))[k] = Some(h.clone());
                }
                Some(value_of(samples[at]))
            })
            .collect();
        if vals.iter().any(Option::is_some) {
            kept.grow(vals.len())?;
            out.push(VSeries {
                labels,
                vals,
                hists: step_hists,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

fn select_vector(ctx: &Ctx, vs: &ast::VectorSelector) -> Result<Val> {
    select_instant(ctx, vs, |(_, v)| v, true).map(Val::Vector)
}

/// A vector selector whose values are the selected samples' timestamps (seconds), for
/// `timestamp()`.
pub(crate) fn select_timestamps(ctx: &Ctx, vs: &ast::VectorSelector) -> Result<Vec<VSeries>> {
    select_instant(ctx, vs, |(t, _)| t as f64 / 1000.0, false)
}

fn select_matrix(ctx: &Ctx, ms: &ast::MatrixSelector) -> Result<Val> {
    let vs = &ms.vs;
    let matchers = to_matchers(vs)?;
    let range = dur_ms(&ms.range);
    let refs = ref_times(ctx, &vs.at, &vs.offset);
    let windows = windows_of(&refs, range);
    let mint = windows.iter().map(|w| w.0).min().unwrap_or(0);
    let maxt = windows.iter().map(|w| w.1).max().unwrap_or(0);
    Ok(Val::Matrix(Range {
        points: Points::Select {
            matchers,
            mint,
            maxt,
            func: None,
        },
        windows,
        range,
    }))
}

fn subquery(ctx: &Ctx, sq: &ast::SubqueryExpr) -> Result<Val> {
    let range = dur_ms(&sq.range);
    let step = sq
        .step
        .as_ref()
        .map(dur_ms)
        .filter(|s| *s > 0)
        .unwrap_or(ctx.opts.default_subquery_step);
    let refs = ref_times(ctx, &sq.at, &sq.offset);
    let windows = windows_of(&refs, range);
    let lo = windows.iter().map(|w| w.0).min().unwrap_or(0);
    let hi = windows.iter().map(|w| w.1).max().unwrap_or(0);
    // Inner steps: multiples of the step, from the first one at or after the earliest
    // window start (as Prometheus 2.42 aligns them).
    let first = lo.div_euclid(step).saturating_mul(step);
    let first = if first < lo {
        first.saturating_add(step)
    } else {
        first
    };
    let inner_steps = step_times(ctx.budget, first, hi, step)?;
    let inner = Ctx {
        storage: ctx.storage,
        steps: inner_steps.clone(),
        start: ctx.start,
        end: ctx.end,
        opts: ctx.opts,
        deadline: ctx.deadline,
        canceled: ctx.canceled,
        budget: ctx.budget,
        spare_threads: ctx.spare_threads,
    };
    let held = if inner_steps.is_empty() {
        None
    } else {
        Some(eval(&inner, &sq.expr)?)
    };
    let (val, _inner_charge) = match held {
        Some(h) => (h.val, Some(h.charge)),
        None => (Val::Vector(Vec::new()), None),
    };
    // As storage series (2.42 reads a subquery's result back through a series iterator):
    // histogram points with the value 0 beside their histogram.
    let series: Vec<RSeries> = match val {
        Val::Vector(vs) => vs
            .into_iter()
            .map(|s| match s.hists {
                None => RSeries {
                    pts: inner_steps
                        .iter()
                        .zip(s.vals)
                        .filter_map(|(t, v)| v.map(|v| (*t, v)))
                        .collect(),
                    labels: s.labels,
                    hists: None,
                },
                Some(hs) => {
                    let (pts, hs): (Vec<(i64, f64)>, Vec<Option<Hist>>) = inner_steps
                        .iter()
                        .zip(s.vals)
                        .zip(hs)
                        .filter_map(|((t, v), h)| {
                            v.map(|v| ((*t, if h.is_some() { 0.0 } else { v }), h))
                        })
                        .unzip();
                    RSeries {
                        labels: s.labels,
                        pts,
                        hists: Some(hs),
                    }
                }
            })
            .collect(),
        Val::Scalar(v) => vec![RSeries {
            labels: Labels::new(),
            pts: inner_steps.iter().copied().zip(v).collect(),
            hists: None,
        }],
        _ => {
            return Err(exec(
                "subquery is only allowed on instant vector or scalar expressions",
            ))
        }
    };
    Ok(Val::Matrix(Range {
        points: Points::Loaded(series),
        windows,
        range,
    }))
}

/// Merges series with the same labels (values at distinct steps) into one.
pub(crate) fn merge_same_labels(series: Vec<VSeries>) -> Result<Vec<VSeries>> {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut out: Vec<VSeries> = Vec::new();
    for s in series {
        match index.get(&s.labels) {
            Some(&i) => {
                let target = &mut out[i];
                for (j, b) in s.vals.into_iter().enumerate() {
                    if b.is_some() {
                        if target.vals[j].is_some() {
                            return Err(exec(
                                "vector cannot contain metrics with the same labelset",
                            ));
                        }
                        target.vals[j] = b;
                        target.set_hist(j, s.hists.as_ref().and_then(|h| h[j].clone()));
                    }
                }
            }
            None => {
                index.insert(s.labels.clone(), out.len());
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// A label set with one label set or removed.
pub(crate) fn with_label(l: &Labels, name: &str, value: &str) -> Labels {
    let mut v: Vec<Label> = l.iter().filter(|x| x.name != name).cloned().collect();
    if !value.is_empty() {
        v.push(Label::new(name, value));
    }
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Labels::from_sorted(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemStorage;

    fn storage() -> MemStorage {
        let mut s = MemStorage::new();
        for (job, step) in [("api", 10.0), ("db", 20.0)] {
            let samples: Vec<(i64, f64)> =
                (0..=10).map(|i| (i * 60_000, i as f64 * step)).collect();
            s.add(
                Labels::from_pairs([("__name__", "reqs"), ("job", job)]),
                &samples,
            );
        }
        s
    }

    fn vector(v: Value) -> Vec<(String, f64)> {
        match v {
            Value::Vector(s) => s.into_iter().map(|s| (s.labels.to_string(), s.v)).collect(),
            other => panic!("not a vector: {other:?}"),
        }
    }

    #[test]
    fn query_selectors_are_every_selector_in_order() {
        let text = |q: &str| -> Vec<String> {
            query_selectors(q)
                .expect("parses")
                .iter()
                .map(|ms| {
                    let parts: Vec<String> = ms.iter().map(ToString::to_string).collect();
                    parts.join(",")
                })
                .collect()
        };
        assert_eq!(
            text(
                r#"sum(rate(a_total{job="x"}[5m])) / on() group_left max_over_time(b[1m:10s]) + c"#
            ),
            vec![
                r#"__name__="a_total",job="x""#.to_string(),
                r#"__name__="b""#.to_string(),
                r#"__name__="c""#.to_string(),
            ]
        );
        assert_eq!(text(r#"{job=~"a|b"}"#), vec![r#"job=~"a|b""#.to_string()]);
        assert!(text("vector(1) + 2").is_empty());
        assert!(query_selectors("sum(").is_err());
        let n = crate::MAX_NESTING + 1;
        let deep = format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert!(query_selectors(&deep).is_err(), "over the nesting bound");
    }

    #[test]
    fn selectors_rates_aggregations_and_joins() {
        let e = Engine::default();
        let s = storage();
        let at = 10 * 60_000;
        assert_eq!(
            vector(e.instant(&s, "reqs{job=\"api\"}", at).expect("eval")),
            vec![("{__name__=\"reqs\", job=\"api\"}".into(), 100.0)]
        );
        let r = vector(e.instant(&s, "rate(reqs[5m])", at).expect("eval"));
        assert_eq!(r.len(), 2);
        assert!((r[0].1 - 10.0 / 60.0).abs() < 1e-9, "{r:?}");
        let sum = vector(e.instant(&s, "sum(rate(reqs[5m]))", at).expect("eval"));
        assert!((sum[0].1 - 0.5).abs() < 1e-9, "{sum:?}");
        let top = vector(e.instant(&s, "topk(1, reqs)", at).expect("eval"));
        assert_eq!(top, vec![("{__name__=\"reqs\", job=\"db\"}".into(), 200.0)]);
        let ratio = vector(
            e.instant(&s, "reqs{job=\"api\"} / ignoring(job) reqs{job=\"db\"}", at)
                .expect("eval"),
        );
        assert_eq!(ratio, vec![("{}".into(), 0.5)]);
        let err = e
            .instant(&s, "reqs / on() reqs", at)
            .expect_err("many-to-many");
        assert!(
            err.to_string()
                .contains("many-to-many matching not allowed"),
            "{err}"
        );
        assert!(matches!(e.instant(&s, "sum(", at), Err(Error::Parse(_))));
        // Lookback: nothing 5m after the last sample.
        assert!(vector(e.instant(&s, "reqs", at + 5 * 60_000 + 1).expect("eval")).is_empty());
        // Range query: one point per step.
        match e.range(&s, "sum(reqs)", 0, at, 60_000).expect("range") {
            Value::Matrix(m) => assert_eq!(m[0].points.len(), 11),
            other => panic!("{other:?}"),
        }
        let sub = vector(
            e.instant(&s, "max_over_time(rate(reqs[2m])[5m:1m])", at)
                .expect("eval"),
        );
        assert_eq!(sub.len(), 2);
        // 2.42's language exactly: holt_winters exists, later additions do not.
        assert_eq!(
            vector(
                e.instant(&s, "holt_winters(reqs[5m], 0.5, 0.5)", at)
                    .expect("holt_winters")
            )
            .len(),
            2
        );
        for newer in [
            "double_exponential_smoothing(reqs[5m], 0.5, 0.5)",
            "limitk(1, reqs)",
            "mad_over_time(reqs[5m])",
        ] {
            assert!(
                matches!(e.instant(&s, newer, at), Err(Error::Parse(_))),
                "{newer}"
            );
        }
    }

    #[test]
    fn deep_and_long_expressions_evaluate_or_fail_cleanly() {
        let e = Engine::default();
        let s = storage();
        let chain = |n: usize| vec!["1"; n].join("+");
        // As deep as allowed: evaluated (on the engine's own stack, in a debug build too).
        match e.instant(&s, &chain(crate::MAX_NESTING + 1), 0) {
            Ok(Value::Scalar { v, .. }) => assert_eq!(v, (crate::MAX_NESTING + 1) as f64),
            other => panic!("{other:?}"),
        }
        let parens = crate::MAX_NESTING - 1;
        let nested = format!("{}reqs{}", "(".repeat(parens), ")".repeat(parens));
        assert_eq!(vector(e.instant(&s, &nested, 0).expect("nested")).len(), 2);
        let calls = format!("{}reqs{}", "abs(".repeat(parens), ")".repeat(parens));
        assert_eq!(vector(e.instant(&s, &calls, 0).expect("calls")).len(), 2);
        // Deeper: refused before parsing, as a parse error (HTTP 400).
        for q in [
            chain(20_000),
            format!("{}1{}", "(".repeat(50_000), ")".repeat(50_000)),
        ] {
            match e.instant(&s, &q, 0) {
                Err(Error::Parse(m)) => assert!(m.contains("too complex"), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        // Both operands non-literal at every level: parallel operands stay bounded.
        let wide = vec!["reqs"; 500].join(" + ");
        let sum = vector(e.instant(&s, &format!("sum({wide})"), 0).expect("wide"));
        assert_eq!(sum, vec![("{}".into(), 0.0)]);
    }

    #[test]
    fn huge_subqueries_and_ranges_hit_the_sample_limit_before_allocating() {
        let e = Engine::default();
        let s = storage();
        for q in [
            "max_over_time(vector(1)[100y:1ms])",
            "max_over_time(reqs[100y:1ms])",
            "rate(reqs[5m])[1000y:1ms]",
            "max_over_time(vector(1)[292000000y:1ms])",
            "sum_over_time((vector(1))[100y:1ms] offset 292000000y)",
        ] {
            assert_eq!(e.instant(&s, q, 0), Err(Error::TooManySamples), "{q}");
        }
        assert_eq!(
            e.range(&s, "vector(1)", i64::MIN, i64::MAX, 1),
            Err(Error::TooManySamples)
        );
        assert_eq!(
            e.range(&s, "vector(1)", 0, 100_000_000, 1),
            Err(Error::TooManySamples)
        );
        // Within the limit the same shapes work.
        assert!(e.instant(&s, "max_over_time(vector(1)[1h:1s])", 0).is_ok());
    }

    #[test]
    fn the_budget_counts_every_value_held_at_once() {
        let s = storage();
        let steps = 11; // 0..=10 minutes
        let limit = |max_samples| {
            Engine::new(EngineOptions {
                max_samples,
                ..EngineOptions::default()
            })
        };
        // reqs: 2 series × 11 steps = 22 slots, plus the series in hand while decoding.
        let range = |max, q| limit(max).range(&s, q, 0, 10 * 60_000, 60_000);
        assert!(range(4 * steps, "reqs").is_ok());
        assert_eq!(range(2 * steps - 1, "reqs"), Err(Error::TooManySamples));
        // Both operands are held at once: 44 slots at least.
        assert!(range(8 * steps, "reqs + reqs").is_ok());
        assert_eq!(
            range(4 * steps - 1, "reqs + reqs"),
            Err(Error::TooManySamples)
        );
        // count_values: each distinct value is a series over all steps.
        assert_eq!(
            limit(100).range(&s, "count_values(\"v\", reqs)", 0, 10 * 60_000, 60_000),
            Err(Error::TooManySamples)
        );
    }

    #[test]
    fn a_canceled_query_stops_with_canceled() {
        let s = storage();
        let e = Engine::default();
        let canceled = Arc::new(AtomicBool::new(true));
        let control = Control {
            canceled: Some(canceled.clone()),
            ..Control::default()
        };
        assert_eq!(
            e.instant_with(&s, "sum(reqs)", 0, &control),
            Err(Error::Canceled)
        );
        canceled.store(false, Ordering::Relaxed);
        assert!(e.instant_with(&s, "sum(reqs)", 0, &control).is_ok());
        // The request's timeout is capped by the engine's, and applies on its own.
        let zero = Control {
            timeout: Some(Duration::ZERO),
            ..Control::default()
        };
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            e.instant_with(&s, "sum(reqs)", 0, &zero),
            Err(Error::Timeout)
        );
    }

    #[test]
    fn timeout_and_concurrency_limits_are_clear_errors() {
        let s = storage();
        let e = Engine::new(EngineOptions {
            timeout: Some(std::time::Duration::ZERO),
            ..EngineOptions::default()
        });
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(e.instant(&s, "sum(reqs)", 0), Err(Error::Timeout));
        let e = Engine::new(EngineOptions {
            timeout: Some(std::time::Duration::from_millis(50)),
            max_concurrent: 1,
            ..EngineOptions::default()
        });
        let held = e.admit(None).expect("first slot");
        let err = e.instant(&s, "sum(reqs)", 0).expect_err("no slot");
        assert!(
            err.to_string().contains("too many concurrent queries"),
            "{err}"
        );
        drop(held);
        assert!(e.instant(&s, "sum(reqs)", 10 * 60_000).is_ok());
        let small = Engine::new(EngineOptions {
            max_samples: 5,
            ..EngineOptions::default()
        });
        assert_eq!(
            small.instant(&s, "rate(reqs[10m])", 10 * 60_000),
            Err(Error::TooManySamples)
        );
        // A range vector answer counts all its series' points (5 each here), as in
        // Prometheus.
        assert_eq!(
            small.instant(&s, "reqs[4m]", 10 * 60_000),
            Err(Error::TooManySamples)
        );
    }
}
