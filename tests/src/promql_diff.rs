//! Differential testing of mnemos' PromQL engine against a real Prometheus 2.42: test data
//! (backfill text for promtool and a live scrape target whose series flap and vanish, so
//! Prometheus writes staleness markers), query templates, both sides' range-query results
//! and their comparison.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mnemos_promql::{Engine, Storage, Value};
use mnemos_tsdb::testdata::Rng;

use crate::http;
use crate::openmetrics::SPECIAL_VALUES;
use crate::promapi::{point, points};

/// Labels of a result series (`__name__` included when kept).
pub type LabelSet = BTreeMap<String, String>;
/// A range-query result: series by label set, or the error text.
pub type Outcome = Result<BTreeMap<LabelSet, Vec<(i64, f64)>>, String>;

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// `ms` as the decimal seconds Prometheus' API takes.
pub fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// First timestamp of the backfilled data: 2026-10-31T20:00:00Z, so that the data crosses
/// midnight, a month end and a month length change (time-of-day functions).
pub const BACKFILL_START_MS: i64 = 1_793_476_800_000;
/// How long each backfilled series runs (some start later or end earlier).
pub const BACKFILL_SPAN_MS: i64 = 8 * 3_600_000;

const JOBS: [&str; 3] = ["api", "db", "web"];
/// Histogram bucket bounds, as exposed in `le`.
pub const BUCKETS: [(&str, f64); 8] = [
    ("0.05", 0.05),
    ("0.1", 0.1),
    ("0.25", 0.25),
    ("0.5", 0.5),
    ("1", 1.0),
    ("2.5", 2.5),
    ("5", 5.0),
    ("+Inf", f64::INFINITY),
];

/// Sample times of one series: irregular steps of 1..`max_step` ms, occasional gaps of
/// 5 to 90 minutes, within `[from, to)`.
fn times(rng: &mut Rng, from: i64, to: i64, max_step: u64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = from + rng.below(30_000) as i64;
    while t < to {
        out.push(t);
        t += 1 + rng.below(max_step) as i64;
        if rng.below(300) == 0 {
            t += 300_000 + rng.below(85 * 60_000) as i64;
        }
    }
    out
}

fn line(out: &mut String, name: &str, labels: &str, v: f64, t: i64) {
    let _ = writeln!(
        out,
        "{name}{{{labels}}} {} {}",
        crate::openmetrics::om_value(v),
        secs(t)
    );
}

/// Values whose sums cancel catastrophically: series 0 is about 1e16, series 1 small,
/// series 2 about -1e16, series 3 cycles through 1e16, 1.25, -1e16, 0.5.
pub fn cancelling(series: usize, n: u64) -> f64 {
    match series {
        0 => 1e16 + (n % 7) as f64,
        1 => 1.5 + (n % 5) as f64 * 0.25,
        2 => -1e16 - (n % 3) as f64,
        _ => [1e16, 1.25, -1e16, 0.5][(n % 4) as usize],
    }
}

/// OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: 12 gauges
/// (`diff_gauge{job,instance,zone}`, random walks around 0 with gaps, one starting 2h late
/// and one ending 2h early), 24 counters with resets (`diff_requests_total{job,instance,
/// path}`), 4 series of special values (`diff_special{job,instance,kind}`: NaN, ±Inf, huge,
/// subnormal, -0), 4 series of cancelling values (`diff_cancel{job,idx}`, see
/// [`cancelling`]) and a histogram (`diff_latency_seconds{job,instance}`, 8 buckets, with
/// resets).
pub fn backfill_openmetrics(seed: u64) -> String {
    let mut rng = Rng(seed);
    let (t0, t1) = (BACKFILL_START_MS, BACKFILL_START_MS + BACKFILL_SPAN_MS);
    let mut out = String::new();
    out.push_str("# HELP diff_gauge A random walk.\n# TYPE diff_gauge gauge\n");
    for i in 0..12 {
        let labels = format!(
            "job=\"{}\",instance=\"host-{i}\",zone=\"z{}\"",
            JOBS[i % 3],
            i % 4
        );
        let from = if i == 5 { t0 + 2 * 3_600_000 } else { t0 };
        let to = if i == 7 { t1 - 2 * 3_600_000 } else { t1 };
        let mut v = rng.unit() * 40.0 - 20.0;
        for t in times(&mut rng, from, to, 30_000) {
            v += (rng.unit() - 0.5) * 4.0;
            line(
                &mut out,
                "diff_gauge",
                &labels,
                (v * 1000.0).round() / 1000.0,
                t,
            );
        }
    }
    out.push_str("# HELP diff_requests A counter.\n# TYPE diff_requests counter\n");
    for i in 0..12 {
        for path in ["/a", "/b"] {
            let labels = format!(
                "job=\"{}\",instance=\"host-{i}\",path=\"{path}\"",
                JOBS[i % 3]
            );
            let mut c = rng.below(1000) as f64;
            for t in times(&mut rng, t0, t1, 30_000) {
                if rng.below(25) == 0 {
                    c = rng.below(3) as f64;
                } else {
                    c += rng.below(1000) as f64 / 4.0;
                }
                line(&mut out, "diff_requests_total", &labels, c, t);
            }
        }
    }
    out.push_str("# HELP diff_special Special values.\n# TYPE diff_special gauge\n");
    for i in 0..4 {
        let labels = format!(
            "job=\"{}\",instance=\"host-{i}\",kind=\"k{i}\"",
            JOBS[i % 3]
        );
        for (n, t) in times(&mut rng, t0, t1, 60_000).into_iter().enumerate() {
            let v = SPECIAL_VALUES[(n * (i + 1) + i) % SPECIAL_VALUES.len()];
            line(&mut out, "diff_special", &labels, v, t);
        }
    }
    out.push_str("# HELP diff_cancel Cancelling values.\n# TYPE diff_cancel gauge\n");
    for i in 0..4 {
        let labels = format!("job=\"{}\",idx=\"{i}\"", JOBS[i % 2]);
        for (n, t) in times(&mut rng, t0, t1, 30_000).into_iter().enumerate() {
            line(&mut out, "diff_cancel", &labels, cancelling(i, n as u64), t);
        }
    }
    out.push_str(
        "# HELP diff_latency_seconds A histogram.\n# TYPE diff_latency_seconds histogram\n",
    );
    let mut sums = String::new();
    let mut counts = String::new();
    for i in 0..4 {
        let base = format!("job=\"{}\",instance=\"host-{i}\"", JOBS[i % 3]);
        let ts = times(&mut rng, t0, t1, 30_000);
        let mut cum = [0f64; BUCKETS.len()];
        let mut sum = 0.0;
        let mut rows: Vec<[f64; BUCKETS.len()]> = Vec::new();
        let mut sum_rows = Vec::new();
        for _ in &ts {
            if rng.below(100) == 0 {
                cum = [0.0; BUCKETS.len()];
                sum = 0.0;
            }
            // New observations, skewed per instance.
            for _ in 0..rng.below(20) {
                let x = rng.unit().powi(2 + i as i32) * 6.0;
                sum += x;
                for (b, (_, le)) in BUCKETS.iter().enumerate() {
                    if x <= *le {
                        cum[b] += 1.0;
                    }
                }
            }
            rows.push(cum);
            sum_rows.push(sum);
        }
        for (b, (le, _)) in BUCKETS.iter().enumerate() {
            let labels = format!("{base},le=\"{le}\"");
            for (row, t) in rows.iter().zip(&ts) {
                line(&mut out, "diff_latency_seconds_bucket", &labels, row[b], *t);
            }
        }
        for ((row, s), t) in rows.iter().zip(&sum_rows).zip(&ts) {
            line(&mut sums, "diff_latency_seconds_sum", &base, *s, *t);
            line(
                &mut counts,
                "diff_latency_seconds_count",
                &base,
                row[BUCKETS.len() - 1],
                *t,
            );
        }
    }
    out.push_str(&sums);
    out.push_str(&counts);
    out.push_str("# EOF\n");
    out
}

/// The exposition of the live target at scrape `n`: counters with resets
/// (`diff_live_requests_total{path,shard}`), gauges present only on some scrapes
/// (`diff_live_gauge{zone,shard}`: Prometheus writes a staleness marker each time one
/// vanishes), special values (`diff_live_special`), cancelling values (`diff_live_cancel`)
/// and a histogram (`diff_live_latency_seconds{shard}`).
pub fn live_exposition(n: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# TYPE diff_live_requests_total counter");
    let counters = [
        ("/a", "0", (n * 3) as f64),
        ("/b", "0", if n % 7 == 6 { 0.0 } else { (n * 5 + 1) as f64 }),
        ("/c", "1", (n % 13) as f64 * 2.5),
    ];
    for (path, shard, v) in counters {
        let _ = writeln!(
            out,
            "diff_live_requests_total{{path=\"{path}\",shard=\"{shard}\"}} {}",
            crate::openmetrics::om_value(v)
        );
    }
    let _ = writeln!(out, "# TYPE diff_live_gauge gauge");
    for k in 0..5u64 {
        if (n / (k + 2)) % 3 == 2 {
            continue; // vanishes for a while: a staleness marker
        }
        let v = ((n * (k + 1)) % 17) as f64 * 1.25 - 8.0 + k as f64 * 0.1;
        let _ = writeln!(
            out,
            "diff_live_gauge{{zone=\"z{k}\",shard=\"{k}\"}} {}",
            crate::openmetrics::om_value(v)
        );
    }
    let _ = writeln!(out, "# TYPE diff_live_special gauge");
    for k in 0..3usize {
        let v = SPECIAL_VALUES[(n as usize * (k + 2) + k) % SPECIAL_VALUES.len()];
        let _ = writeln!(
            out,
            "diff_live_special{{kind=\"k{k}\",shard=\"{}\"}} {}",
            k % 2,
            crate::openmetrics::om_value(v)
        );
    }
    let _ = writeln!(out, "# TYPE diff_live_cancel gauge");
    for i in 0..4 {
        let _ = writeln!(
            out,
            "diff_live_cancel{{idx=\"{i}\"}} {}",
            crate::openmetrics::om_value(cancelling(i, n))
        );
    }
    let _ = writeln!(out, "# TYPE diff_live_latency_seconds histogram");
    for shard in 0..2u64 {
        let reset = n / 11; // all buckets reset every 11 scrapes
        let m = n % 11 + reset % 2;
        let mut cum = 0.0;
        for (b, (le, _)) in BUCKETS.iter().enumerate() {
            cum += (m * (b as u64 + shard + 1) % 5) as f64;
            let _ = writeln!(
                out,
                "diff_live_latency_seconds_bucket{{shard=\"{shard}\",le=\"{le}\"}} {cum}"
            );
        }
        let _ = writeln!(
            out,
            "diff_live_latency_seconds_sum{{shard=\"{shard}\"}} {}",
            crate::openmetrics::om_value(cum * 0.37)
        );
        let _ = writeln!(
            out,
            "diff_live_latency_seconds_count{{shard=\"{shard}\"}} {cum}"
        );
    }
    out
}

/// A scrape target serving [`live_exposition`] until `lifetime` has passed, then closing
/// its port, so Prometheus marks all its series stale.
pub struct LiveTarget {
    /// Port on 127.0.0.1.
    pub port: u16,
    stopped_ms: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl LiveTarget {
    /// Starts serving on a free port.
    pub fn start(lifetime: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind live target");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stopped_ms = Arc::new(AtomicI64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (stopped2, stop2) = (stopped_ms.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + lifetime;
            let mut n = 0u64;
            while Instant::now() < deadline && !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf);
                        let body = live_exposition(n);
                        n += 1;
                        let _ = write!(
                            s,
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            drop(listener);
            stopped2.store(now_ms(), Ordering::SeqCst);
        });
        Self {
            port,
            stopped_ms,
            stop,
            handle: Some(handle),
        }
    }

    /// When the port closed (ms), once it has.
    pub fn stopped_ms(&self) -> Option<i64> {
        Some(self.stopped_ms.load(Ordering::SeqCst)).filter(|t| *t > 0)
    }
}

impl Drop for LiveTarget {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// What a template's placeholders stand for in one data set.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Name in reports.
    pub name: &'static str,
    /// `{g}`: gauge metric name (labels include `zone`).
    pub g: String,
    /// `{c}`: counter metric name (labels include `path`).
    pub c: String,
    /// `{s}`: special-values metric name.
    pub s: String,
    /// `{h}`: histogram base name (`{h}_bucket`, `{h}_sum`, `{h}_count`).
    pub h: String,
    /// `{j}`: labels joining gauges, counters and histograms one-to-one per gauge.
    pub j: String,
    /// `{r}`: a short range.
    pub r: String,
    /// `{R}`: a long range.
    pub big_r: String,
    /// `{sq}`: a subquery range and step (`30m:1m`).
    pub sq: String,
    /// `{sq0}`: a subquery range with the default step (`10m:`).
    pub sq0: String,
    /// `{o}`: an offset.
    pub o: String,
    /// `{at}`: an `@` time (seconds) inside the data.
    pub at: String,
    /// `{t}`: a unix time (seconds) inside the data, as a number.
    pub t: String,
    /// `{k}`: a metric of huge values of both signs and small ones (`idx` label).
    pub k: String,
}

impl Dataset {
    /// The query for `template`.
    pub fn expand(&self, template: &str) -> String {
        template
            .replace("{g}", &self.g)
            .replace("{c}", &self.c)
            .replace("{s}", &self.s)
            .replace("{h}", &self.h)
            .replace("{j}", &self.j)
            .replace("{r}", &self.r)
            .replace("{R}", &self.big_r)
            .replace("{sq}", &self.sq)
            .replace("{sq0}", &self.sq0)
            .replace("{o}", &self.o)
            .replace("{at}", &self.at)
            .replace("{t}", &self.t)
            .replace("{k}", &self.k)
    }
}

/// Query templates by category: PromQL with the placeholders of [`Dataset::expand`]
/// (`{g}`, `{c}`, …); any other braces are PromQL's own. Templates in the `error` category
/// must fail on both sides in range queries.
pub fn templates() -> Vec<(&'static str, String)> {
    let mut t: Vec<(&'static str, String)> = Vec::new();
    let mut add = |cat: &'static str, q: &str| t.push((cat, q.to_string()));
    // Selectors and modifiers.
    for q in [
        "{g}",
        "{c}",
        "{s}",
        "{h}_bucket",
        "{g}{zone=~\"z[12]\"}",
        "{c}{path!=\"/a\"}",
        "{h}_bucket{le=~\"0.1|\\\\+Inf\"}",
        "{__name__=~\"{g}|{s}\"}",
        "{g} offset {o}",
        "{c} offset {o}",
        "{g} @ {at}",
        "{c} @ start()",
        "{g} @ end()",
        "{g} @ {at} offset {o}",
        "nonexistent_metric",
        "{g} offset -5m",
        "{g} @ end() offset -{o}",
        "{c}{job=~\"a.*|web\", path=~\"/.\"}",
    ] {
        add("selector", q);
    }
    for q in [
        "absent({g})",
        "absent(nonexistent_metric{job=\"x\", zone=~\"z.*\"})",
        "absent({g}{zone=\"nope\"})",
        "absent(sum(nonexistent_metric))",
        "absent({g} > 15)",
        "absent_over_time({g}[{r}] offset {o})",
    ] {
        add("absent", q);
    }
    // Range-vector functions on gauges and counters.
    for f in [
        "rate",
        "irate",
        "increase",
        "delta",
        "idelta",
        "deriv",
        "changes",
        "resets",
        "avg_over_time",
        "min_over_time",
        "max_over_time",
        "sum_over_time",
        "count_over_time",
        "stddev_over_time",
        "stdvar_over_time",
        "last_over_time",
        "present_over_time",
    ] {
        add("range-fn", &format!("{f}({{c}}[{{r}}])"));
        add("range-fn", &format!("{f}({{g}}[{{R}}])"));
    }
    for q in [
        "rate({c}[{R}])",
        "increase({h}_bucket[{r}])",
        "delta({c}[{r}])",
        "rate({s}[{r}])",
        "deriv({s}[{R}])",
        "avg_over_time({s}[{R}])",
        "sum_over_time({s}[{r}])",
        "stddev_over_time({s}[{R}])",
        "stdvar_over_time({s}[{R}])",
        "max_over_time({s}[{r}])",
        "min_over_time({s}[{r}])",
        "changes({s}[{R}])",
        "predict_linear({g}[{R}], 600)",
        "predict_linear({c}[{r}], -60)",
        "predict_linear({s}[{R}], 60)",
        "holt_winters({g}[{R}], 0.3, 0.7)",
        "holt_winters({c}[{r}], 0.9, 0.1)",
        "holt_winters({s}[{R}], 0.5, 0.5)",
        "quantile_over_time(0.5, {g}[{R}])",
        "quantile_over_time(0.95, {c}[{r}])",
        "quantile_over_time(0, {g}[{r}])",
        "quantile_over_time(1.5, {g}[{r}])",
        "quantile_over_time(-1, {g}[{r}])",
        "quantile_over_time(0.3, {s}[{R}])",
        "absent_over_time({g}[{r}])",
        "absent_over_time(nonexistent_metric{job=\"x\"}[{r}])",
        "absent_over_time({g}{zone=\"nope\"}[{r}])",
        "rate({c}[{r}] offset {o})",
        "rate({c}[{R}] @ {at})",
        "max_over_time({g}[{r}] @ end())",
        "count_over_time({__name__=~\"{g}|{c}\"}[{r}])",
        "deriv((vector(1) / 0)[{sq}])",
        "predict_linear((-vector(1) / 0)[{sq}], 60)",
    ] {
        add("range-fn", q);
    }
    // Catastrophic cancellation: Prometheus 2.42 sums with Kahan/Neumaier compensation in
    // the *_over_time functions and regressions, plainly in aggregations.
    for q in [
        "{k}",
        "sum_over_time({k}[{R}])",
        "avg_over_time({k}[{R}])",
        "stddev_over_time({k}[{R}])",
        "stdvar_over_time({k}[{r}])",
        "deriv({k}[{R}])",
        "predict_linear({k}[{R}], 30)",
        "increase({k}[{R}])",
        "sum({k})",
        "avg({k})",
        "sum by (job) ({k})",
        "stddev({k})",
        "stdvar without (idx) ({k})",
        "sum_over_time(sum({k})[{sq}])",
        "{k} - {k} offset {o}",
    ] {
        add("cancellation", q);
    }
    // Instant-vector math.
    for f in [
        "abs", "ceil", "floor", "round", "sqrt", "exp", "ln", "log2", "log10", "sgn",
    ] {
        add("math", &format!("{f}({{g}})"));
        add("math", &format!("{f}({{s}})"));
    }
    for q in [
        "round({g}, 0.5)",
        "round({c}, 7)",
        "round({g}, -3)",
        "clamp({g}, -5, 5)",
        "clamp({g}, 5, -5)",
        "clamp({s}, -1, 1)",
        "clamp_min({g}, 0)",
        "clamp_max({g}, 0)",
        "clamp_max({s}, 2)",
        "exp({g} / 10)",
        "ln({c})",
        "-{g}",
        "timestamp({g})",
        "timestamp({c} offset {o})",
        "timestamp({g} @ {at})",
        "timestamp(rate({c}[{r}]))",
        "time()",
        "vector(time())",
        "vector(1)",
        "scalar(sum({g}))",
        "scalar({g})",
        "{g} - scalar(min({g}))",
        "sort({g})",
        "sort_desc(rate({c}[{r}]))",
        "pi()",
        "time() - {t}",
    ] {
        add("math", q);
    }
    for f in [
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
        "atanh", "deg", "rad",
    ] {
        add("trig", &format!("{f}({{g}} / 20)"));
    }
    add("trig", "sin({s})");
    add("trig", "atanh({s})");
    // Go's math where it is not the correctly rounded one (Prometheus' results are Go's
    // formulas' results): arguments near 0, near 1 and huge, and the special values.
    for (funcs, args) in [
        (
            &["ln", "log2", "log10"][..],
            &[
                "1 + {g} * 1e-12",
                "abs({g}) * 1e-300",
                "abs({g}) * 1e300",
                "{s}",
            ][..],
        ),
        (&["exp"], &["{g} * 1e-12", "{g} * 20", "{s}"]),
        (&["sqrt"], &["abs({g}) * 1e300", "abs({g}) * 1e-310"]),
        (
            &["sin", "cos", "tan"],
            &["{g} * 1e-12", "{g} * 1e8", "{g} * 1e20", "{s}"],
        ),
        (
            &["asin", "acos", "atanh"],
            &["1 - abs({g}) * 1e-12", "{g} * 1e-12", "{g} / 61"],
        ),
        (
            &["atan", "sinh", "cosh", "tanh", "asinh"],
            &["{g} * 1e-12", "{g} * 15", "{s}"],
        ),
        (&["acosh"], &["1 + abs({g}) * 1e-12", "abs({g}) * 1e300"]),
        (&["deg", "rad"], &["{s}", "{g} * 1e306", "{g} * 1e-310"]),
    ] {
        for f in funcs {
            for a in args {
                add("go-math", &format!("{f}({a})"));
            }
        }
    }
    for q in [
        "(1 + {g} * 1e-9) ^ 1e9",
        "{g} ^ 7",
        "abs({g}) ^ 0.5",
        "{s} ^ -3",
        "2 ^ ({g} * 30)",
        "(abs({g}) * 1e-310) ^ 0.25",
        "{g} * 1e15 % 7.5",
        "{s} % 7",
        "-7.5 % {g}",
        "{g} atan2 -3",
        "({g} * 1e-300) atan2 -1",
    ] {
        add("go-math", q);
    }
    for f in [
        "hour",
        "minute",
        "month",
        "year",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
    ] {
        add("time", &format!("{f}()"));
        add("time", &format!("{f}(timestamp({{g}}))"));
    }
    add("time", "hour(vector({t}))");
    add("time", "minute({c} % 100000)");
    // Labels.
    for q in [
        "label_replace({g}, \"dst\", \"x-$1\", \"instance\", \"host-(.*)\")",
        "label_replace({g}, \"zone\", \"\", \"zone\", \".*\")",
        "label_replace({g}, \"zone\", \"$2/$1\", \"zone\", \"(z)(.)\")",
        "label_replace({c}, \"path\", \"nomatch\", \"path\", \"/x\")",
        "label_replace(rate({c}[{r}]), \"__name__\", \"renamed\", \"\", \"\")",
        "label_replace({g}, \"job\", \"same\", \"\", \"\")",
        "label_join({g}, \"joined\", \"/\", \"zone\", \"instance\", \"job\")",
        "label_join({c}, \"path\", \"-\", \"path\", \"path\")",
        "label_join({g}, \"zone\", \",\")",
        "label_join({g}, \"__name__\", \"\", \"zone\")",
    ] {
        add("label", q);
    }
    // Histograms.
    for q in [
        "histogram_quantile(0.9, rate({h}_bucket[{r}]))",
        "histogram_quantile(0.5, sum by (le) (rate({h}_bucket[{R}])))",
        "histogram_quantile(0.99, sum by (le, job) (increase({h}_bucket[{r}])))",
        "histogram_quantile(0, rate({h}_bucket[{R}]))",
        "histogram_quantile(1, rate({h}_bucket[{R}]))",
        "histogram_quantile(1.5, rate({h}_bucket[{R}]))",
        "histogram_quantile(-0.5, rate({h}_bucket[{R}]))",
        "histogram_quantile(0.5, {h}_bucket)",
        "histogram_quantile(0.75, {h}_bucket{le!=\"+Inf\"})",
        "histogram_quantile(0.5, {h}_bucket{le=~\"0.5|1|\\\\+Inf\"})",
        "histogram_quantile(scalar(vector(0.3)), rate({h}_bucket[{r}]))",
        "rate({h}_sum[{R}]) / rate({h}_count[{R}])",
    ] {
        add("histogram", q);
    }
    // Aggregations.
    for op in [
        "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar",
    ] {
        add("aggregation", &format!("{op}({{g}})"));
        add(
            "aggregation",
            &format!("{op} by (job) (rate({{c}}[{{r}}]))"),
        );
        add("aggregation", &format!("{op} without (zone) ({{g}})"));
        add("aggregation", &format!("{op}({{s}})"));
    }
    for q in [
        "sum by (zone, job) ({g})",
        "sum by (__name__) ({__name__=~\"{g}|{c}\"})",
        "avg by (le) ({h}_bucket)",
        "count without () ({c})",
        "max by (nonexistent) ({c})",
        "topk(3, {g})",
        "bottomk(2, rate({c}[{r}]))",
        "topk by (job) (1, {g})",
        "bottomk without (path) (1, {c})",
        "topk(0, {g})",
        "topk(2, {s})",
        "bottomk(2, {s})",
        "topk(scalar(count({g}) or vector(4)) / 4, {g})",
        "quantile(0.75, {g})",
        "quantile by (job) (0.5, rate({c}[{r}]))",
        "quantile(2, {g})",
        "quantile(-1, {g})",
        "quantile(0.5, {s})",
        "count_values(\"value\", round({g} / 10))",
        "count_values by (job) (\"v\", ceil({g} / 20))",
        "count_values(\"v\", {s})",
        "count_values(\"v\", {c} > 10000)",
        "sum(rate({c}[{r}])) by (path)",
        "avg(sum by (job) ({g}))",
        "stddev by (zone) ({g})",
        "group without (path) ({c})",
    ] {
        add("aggregation", q);
    }
    // Binary operators.
    for q in [
        "{g} + 1",
        "{g} - {g}",
        "2 * {g}",
        "{g} / 0",
        "-{g} / 0",
        "{g} % 7",
        "{g} % -3.5",
        "{g} ^ 2",
        "2 ^ {g}",
        "{g} atan2 1",
        "{c} / {c} offset {o}",
        "{s} * 0",
        "{s} / {s}",
        "{s} - {s}",
        "{s} % 3",
        "rate({c}[{r}]) / on({j}) group_left(zone) {g}",
        "{g} * on({j}) group_right rate({c}[{r}])",
        "{c} / ignoring(path) {g}",
        "{c} / ignoring(path, zone) group_left {g}",
        "sum by (job) ({c}) / on(job) group_left sum by (job) ({g})",
        "{g} > 0",
        "{g} > bool 0",
        "{g} < 1",
        "{g} == bool {g}",
        "{g} != 5",
        "{g} <= {g} offset {o}",
        "{g} >= bool {g} offset {o}",
        "0 < {g}",
        "1 < bool 2",
        "{s} == {s}",
        "{s} > bool 0",
        "{s} != bool {s}",
        "{g} and {g} > 0",
        "{g} or {c}",
        "{g} unless {g} < 0",
        "{c} and on({j}) {g} > 0",
        "{c} unless ignoring(path) {g} < 0",
        "{g} or vector(1)",
        "({g} > 0) or ({g} < -5)",
        "{g} and {c}",
        "1 + 2 * 3",
        "2 ^ 3 ^ 2",
        "(time() % 60) > bool 30",
        "{h}_bucket / ignoring(le) group_left {h}_count",
        "{g} + on({j}) group_left {g}",
        "(({g} > 0) or ({g} < -5)) + 1",
        "(({g} > 0) or ({g} < -5)) * on({j}) group_left {g}",
        "sum by (zone) (({g} > 0) or ({g} < -5))",
        "({c} > 1000) or ({c} < 500)",
        "({g} > 0) unless ({g} > 5)",
        "{c} > bool on({j}) group_left {g}",
        "{g} or on() vector(0)",
        "{c} and ignoring(path) {g} > 5",
        "{s} > 0",
        "{s} ^ 0.5",
        "-{s}",
        "{s} atan2 {s}",
        "{h}_sum / on({j}) {h}_count",
    ] {
        add("binary", q);
    }
    // Subqueries.
    for q in [
        "max_over_time(rate({c}[{r}])[{sq}])",
        "avg_over_time({g}[{sq}])",
        "min_over_time(({g} > 0)[{sq}])",
        "rate({c}[{sq0}])",
        "sum_over_time(sum by (job) ({g})[{sq}] offset {o})",
        "max_over_time(deriv({g}[{r}])[{sq}] @ {at})",
        "last_over_time(vector(time())[{sq}])",
        "count_over_time(({g} > 5)[{sq}])",
        "max_over_time(avg_over_time({g}[{r}])[{sq}])",
        "stddev_over_time((time() - timestamp({g}))[{sq}])",
        "quantile_over_time(0.9, rate({c}[{r}])[{sq0}])",
        "changes(({g} > bool 0)[{sq}])",
        "count_over_time((({g} > 0) or ({g} < -5))[{sq}])",
        "avg_over_time({g}[{sq}] @ start())",
        "rate(rate({c}[{r}])[{sq}])",
        "holt_winters({g}[{sq}], 0.5, 0.1)",
        "max_over_time(max_over_time({g}[{r}])[{sq}] offset {o})",
        "resets({h}_bucket[{sq0}])",
    ] {
        add("subquery", q);
    }
    // Errors: both sides must fail.
    for q in [
        "sum(",
        "rate({g})",
        "abs({__name__=~\"{h}_sum|{h}_count\"})",
        "label_replace({g}, \"dst\", \"$1\", \"zone\", \"(\")",
        "label_replace({g}, \"1bad\", \"$1\", \"zone\", \"(.*)\")",
        "holt_winters({g}[{r}], 1.5, 0.5)",
        "topk(\"a\", {g})",
        "quantile_over_time(0.5, {g})",
        "{g}[{r}]",
        "count_values(\"1bad\", {g})",
        "double_exponential_smoothing({g}[{r}], 0.5, 0.5)",
        "{g} / on({j}) {c}",
        "{g} / on() {g}",
        "topk(scalar(count(nonexistent_metric)), {g})",
        "{g} offset 0s",
        "rate({c}[0s])",
    ] {
        add("error", q);
    }
    t
}

/// Prometheus' `/api/v1/query` answer at `t`, and the order of its series (scalars and
/// strings come back as one series labelled `__scalar__`/`__string__`, vectors as
/// one-point series).
pub fn prometheus_instant(port: u16, query: &str, t: i64) -> (Outcome, Vec<LabelSet>) {
    let path = format!(
        "/api/v1/query?query={}&time={}",
        http::encode(query),
        secs(t)
    );
    let r = match http::get(port, &path) {
        Ok(r) => r,
        Err(e) => return (Err(format!("request failed: {e}")), Vec::new()),
    };
    let v: serde_json::Value = serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("bad JSON for {query}: {e}: {}", r.body));
    if v["status"] != "success" {
        let e = format!(
            "{}: {}",
            v["errorType"].as_str().unwrap_or("?"),
            v["error"].as_str().unwrap_or("?")
        );
        return (Err(e), Vec::new());
    }
    let data = &v["data"];
    let mut out = BTreeMap::new();
    let mut order = Vec::new();
    match data["resultType"].as_str().expect("resultType") {
        "scalar" => {
            out.insert(marker("__scalar__", ""), vec![point(&data["result"])]);
        }
        "string" => {
            let s = data["result"][1].as_str().expect("string").to_string();
            let t = (data["result"][0].as_f64().expect("t") * 1000.0).round() as i64;
            out.insert(marker("__string__", &s), vec![(t, 0.0)]);
        }
        kind => {
            for s in data["result"].as_array().expect("result array") {
                let labels: LabelSet = s["metric"]
                    .as_object()
                    .expect("metric")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().expect("label value").to_string()))
                    .collect();
                let points = if kind == "vector" {
                    vec![point(&s["value"])]
                } else {
                    s["values"]
                        .as_array()
                        .expect("values")
                        .iter()
                        .map(point)
                        .collect()
                };
                order.push(labels.clone());
                out.insert(labels, points);
            }
        }
    }
    (Ok(out), order)
}

fn marker(name: &str, value: &str) -> LabelSet {
    LabelSet::from([(name.to_string(), value.to_string())])
}

/// mnemos' answer to the same instant query, shaped like [`prometheus_instant`]'s.
pub fn mnemos_instant(
    engine: &Engine,
    storage: &dyn Storage,
    query: &str,
    t: i64,
) -> (Outcome, Vec<LabelSet>) {
    let to_set = |l: &mnemos_tsdb::Labels| -> LabelSet {
        l.iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect()
    };
    let mut out = BTreeMap::new();
    let mut order = Vec::new();
    match engine.instant(storage, query, t) {
        Err(e) => return (Err(format!("mnemos error: {e}")), order),
        Ok(Value::Scalar { t, v }) => {
            out.insert(marker("__scalar__", ""), vec![(t, v)]);
        }
        Ok(Value::String { t, v }) => {
            out.insert(marker("__string__", &v), vec![(t, 0.0)]);
        }
        Ok(Value::Vector(samples)) => {
            for s in samples {
                let labels = to_set(&s.labels);
                order.push(labels.clone());
                if out.insert(labels.clone(), vec![(s.t, s.v)]).is_some() {
                    return (Err(format!("mnemos returned {labels:?} twice")), order);
                }
            }
        }
        Ok(Value::Matrix(series)) => {
            for s in series {
                let labels = to_set(&s.labels);
                order.push(labels.clone());
                if out.insert(labels.clone(), s.points).is_some() {
                    return (Err(format!("mnemos returned {labels:?} twice")), order);
                }
            }
        }
    }
    (Ok(out), order)
}

/// Prometheus' `/api/v1/query_range` answer.
pub fn prometheus_range(port: u16, query: &str, start: i64, end: i64, step: i64) -> Outcome {
    let path = format!(
        "/api/v1/query_range?query={}&start={}&end={}&step={}",
        http::encode(query),
        secs(start),
        secs(end),
        secs(step)
    );
    let r = http::get(port, &path).map_err(|e| format!("request failed: {e}"))?;
    let v: serde_json::Value = serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("bad JSON for {query}: {e}: {}", r.body));
    if v["status"] != "success" {
        return Err(format!(
            "{}: {}",
            v["errorType"].as_str().unwrap_or("?"),
            v["error"].as_str().unwrap_or("?")
        ));
    }
    assert_eq!(v["data"]["resultType"], "matrix", "{query}: {}", r.body);
    let mut out = BTreeMap::new();
    for s in v["data"]["result"].as_array().expect("result array") {
        let labels: LabelSet = s["metric"]
            .as_object()
            .expect("metric")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("label value").to_string()))
            .collect();
        out.insert(labels, points(&s["values"]));
    }
    Ok(out)
}

/// mnemos' answer to the same range query.
pub fn mnemos_range(
    engine: &Engine,
    storage: &dyn Storage,
    query: &str,
    start: i64,
    end: i64,
    step: i64,
) -> Outcome {
    match engine.range(storage, query, start, end, step) {
        Ok(Value::Matrix(series)) => {
            let mut out = BTreeMap::new();
            for s in series {
                let labels: LabelSet = s
                    .labels
                    .iter()
                    .map(|l| (l.name.clone(), l.value.clone()))
                    .collect();
                if out.insert(labels.clone(), s.points).is_some() {
                    return Err(format!("mnemos returned {labels:?} twice"));
                }
            }
            Ok(out)
        }
        Ok(other) => Err(format!("range query returned a non-matrix: {other:?}")),
        Err(e) => Err(format!("mnemos error: {e}")),
    }
}

/// Equal within 1e-12 relative; NaN equals NaN, infinities must be the same.
pub fn close(a: f64, b: f64) -> bool {
    if a == b || (a.is_nan() && b.is_nan()) {
        return true;
    }
    if !a.is_finite() || !b.is_finite() {
        return false;
    }
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn fmt_labels(l: &LabelSet) -> String {
    let parts: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// `None` when both outcomes agree; else what differs first.
pub fn compare(want: &Outcome, got: &Outcome) -> Option<String> {
    let (want, got) = match (want, got) {
        (Err(_), Err(_)) => return None,
        (Err(w), Ok(g)) => {
            return Some(format!(
                "Prometheus failed ({w}) but mnemos returned {} series",
                g.len()
            ))
        }
        (Ok(w), Err(g)) => {
            return Some(format!(
                "Prometheus returned {} series but mnemos failed: {g}",
                w.len()
            ))
        }
        (Ok(w), Ok(g)) => (w, g),
    };
    for (labels, wp) in want {
        let Some(gp) = got.get(labels) else {
            let extra: Vec<String> = got
                .keys()
                .filter(|k| !want.contains_key(*k))
                .take(2)
                .map(fmt_labels)
                .collect();
            return Some(format!(
                "series {} ({} points, first {:?}) missing from mnemos ({} vs {} series; mnemos-only e.g. {})",
                fmt_labels(labels),
                wp.len(),
                wp.first(),
                want.len(),
                got.len(),
                extra.join(" ")
            ));
        };
        let n = wp.len().max(gp.len());
        for i in 0..n {
            let (w, g) = (wp.get(i), gp.get(i));
            let same = match (w, g) {
                (Some(w), Some(g)) => w.0 == g.0 && close(w.1, g.1),
                _ => false,
            };
            if !same {
                return Some(format!(
                    "series {}: point {i} of {}/{}: Prometheus {:?}, mnemos {:?}",
                    fmt_labels(labels),
                    wp.len(),
                    gp.len(),
                    w,
                    g
                ));
            }
        }
    }
    if let Some(extra) = got.keys().find(|k| !want.contains_key(*k)) {
        return Some(format!(
            "mnemos returned series {} ({} points, first {:?}) that Prometheus does not ({} vs {} series)",
            fmt_labels(extra),
            got[extra].len(),
            got[extra].first(),
            want.len(),
            got.len()
        ));
    }
    None
}
