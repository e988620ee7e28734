//! Differential test of the engine's native histogram support against the real Prometheus
//! 2.42 (`/usr/bin/prometheus`; skipped, saying why, when it is absent).
//!
//! The blocks in `crates/tsdb/testdata/native_histograms/` (written by Prometheus 2.42 while
//! it scraped integer, float and gauge histograms with resets, a schema change, stale
//! markers; see their README) are copied into a temporary data directory for a Prometheus
//! started with `--enable-feature=native-histograms`, and read in place by the engine over
//! [`BlockStorage`]. Every query of [`queries`] is run as range queries and instant queries
//! on both; the answers must be equal: labels, timestamps, and every number as the HTTP
//! API prints it (Go's shortest form, so textual equality is bitwise equality with NaN equal
//! to NaN) — float values, and histograms' count, sum and buckets (rule, bounds, count) as
//! [`mnemos_promql::value::histogram_json`] prints them. Errors must be errors on both
//! sides. Queries listed in [`KNOWN_DIFFERENCES`] are compared and reported but may differ.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mnemos_promql::{BlockStorage, Engine};

mod histjson;
use histjson::{agree, first_difference, from_engine, from_prometheus, Answer, Point};

const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Queries whose answers from the engine differ from Prometheus 2.42's, with why: each a
/// 2.42 defect the engine does not reproduce. They are still run and reported.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "{__name__=~\"fx_.*|up\"}[10s]",
    "2.42 bug: a range selector's points come through one sample ring shared by all its \
     series, whose iterator keeps the last float histogram it returned and gives it for \
     every buffered integer-histogram point after it (`sampleRingIterator.AtFloatHistogram` \
     returns `it.fh` when set): fx_gauge, fx_int and fx_stale, which follow the float \
     histogram series in label order, all show fx_float_stale's last histogram. The engine \
     returns each series' own samples (as 2.42 does for selectors of one kind of histogram)",
)];

/// Range query windows `(start, end, step)` in ms: the whole data every second, and steps
/// that fall exactly on scrape times (xxx.912 s) with a coarser step.
const RANGES: &[(i64, i64, i64)] = &[
    (1_796_607_340_000, 1_796_607_402_000, 1_000),
    (1_796_607_343_912, 1_796_607_399_912, 4_000),
];

/// Instant query times (ms): between scrapes, exactly on scrapes, after the last sample
/// (lookback) and past the lookback.
const INSTANTS: &[i64] = &[
    1_796_607_344_000,
    1_796_607_350_000,
    1_796_607_360_912,
    1_796_607_371_500,
    1_796_607_385_000,
    1_796_607_392_912,
    1_796_607_399_912,
    1_796_607_410_000,
    1_796_607_700_000,
];

/// The histogram series of the fixture.
const HISTS: &[&str] = &[
    "fx_int",
    "fx_big",
    "fx_empty",
    "fx_gauge",
    "fx_float",
    "fx_float_gauge",
    "fx_stale",
    "fx_float_stale",
];

/// Queries with a range vector result: instant queries only.
fn matrix_queries() -> Vec<String> {
    let mut q: Vec<String> = Vec::new();
    for m in HISTS {
        q.push(format!("{m}[10s]"));
        q.push(format!("{m}[3s]"));
    }
    q.extend(
        [
            "fx_big[1m]",
            "fx_stale[1m]",
            "fx_float_stale[1m]",
            "fx_gauge[5s] offset 20s",
            "fx_empty[1m] @ 1796607380",
            "{__name__=~\"fx_float.*\"}[10s]",
            "{__name__=~\"fx_(int|big|empty|gauge|stale)\"}[10s]",
            "{__name__=~\"fx_.*|up\"}[10s]",
            "fx_int[20s:2s]",
            "(fx_float + 1)[10s:3s]",
            "rate(fx_int[5s])[20s:5s]",
        ]
        .map(String::from),
    );
    q
}

/// Queries with an instant vector or scalar result: range and instant queries.
fn queries() -> Vec<String> {
    let mut q: Vec<String> = Vec::new();
    let mut add = |s: String| q.push(s);
    // Selectors, modifiers, mixed vectors.
    for s in [
        "{__name__=~\"fx_.*\"}",
        "{__name__=~\".+\"}",
        "fx_int offset 10s",
        "fx_float offset -5s",
        "fx_gauge @ 1796607370",
        "fx_stale @ end()",
        "fx_float_stale offset 3s",
    ] {
        add(s.into());
    }
    for m in HISTS {
        add((*m).into());
        // Rates over several ranges.
        for r in ["2s", "5s", "10s", "30s", "1m"] {
            add(format!("rate({m}[{r}])"));
            add(format!("increase({m}[{r}])"));
            add(format!("delta({m}[{r}])"));
        }
        add(format!("irate({m}[5s])"));
        add(format!("idelta({m}[5s])"));
        // Aggregations.
        for a in [
            "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar",
        ] {
            add(format!("{a}({m})"));
        }
        add(format!("topk(1, {m})"));
        add(format!("bottomk(1, {m})"));
        add(format!("quantile(0.5, {m})"));
        add(format!("count_values(\"v\", {m})"));
        add(format!("sum(rate({m}[10s]))"));
        add(format!("sum by (job) ({m})"));
        // Operators.
        for o in [
            "{m} + {m}",
            "{m} - {m}",
            "{m} * {m}",
            "{m} / {m}",
            "{m} == {m}",
            "{m} != bool {m}",
            "{m} * 2",
            "{m} / 2",
            "2 * {m}",
            "{m} + 1",
            "-{m}",
            "{m} > 0",
            "{m} < 1",
            "{m} >= bool 0",
            "({m} + 5) > 3",
            "sum({m} + 5)",
            "{m} + up",
            "up - {m}",
            "{m} and up",
            "{m} or up",
            "up or {m}",
            "{m} unless up",
            "up unless {m}",
            "{m} + ignoring(job_kind) group_left {m}",
        ] {
            add(o.replace("{m}", m));
        }
        // Histogram functions.
        for qq in [
            "0", "0.1", "0.25", "0.5", "0.75", "0.9", "0.99", "1", "-0.5", "1.5", "NaN",
        ] {
            add(format!("histogram_quantile({qq}, {m})"));
        }
        add(format!("histogram_quantile(0.9, rate({m}[10s]))"));
        add(format!("histogram_quantile(0.5, sum({m}))"));
        for (lo, hi) in [
            ("0", "1"),
            ("-1", "1"),
            ("-Inf", "0"),
            ("0", "+Inf"),
            ("1", "2"),
            ("0.5", "0.75"),
            ("-Inf", "+Inf"),
            ("2", "1"),
            ("NaN", "1"),
            ("-0.001", "0.001"),
            ("1.1", "1.9"),
        ] {
            add(format!("histogram_fraction({lo}, {hi}, {m})"));
        }
        add(format!("histogram_fraction(0, 2, rate({m}[10s]))"));
        add(format!("histogram_count({m})"));
        add(format!("histogram_sum({m})"));
        add(format!("histogram_count(rate({m}[10s]))"));
        add(format!("histogram_sum(increase({m}[20s]))"));
        // Functions that see histograms as their float values (or keep them: sort).
        for f in [
            "abs",
            "ceil",
            "floor",
            "exp",
            "ln",
            "sqrt",
            "round",
            "sgn",
            "timestamp",
            "sort",
            "sort_desc",
            "absent",
            "scalar",
            "day_of_month",
            "cos",
        ] {
            add(format!("{f}({m})"));
        }
        add(format!("clamp({m}, -1, 1)"));
        add(format!("clamp_min({m}, 1)"));
        add(format!("vector(scalar({m}))"));
        add(format!(
            "label_replace({m}, \"x\", \"$1\", \"job\", \"(.*)\")"
        ));
        add(format!(
            "label_join({m}, \"x\", \"-\", \"job\", \"instance\")"
        ));
        for f in [
            "changes",
            "resets",
            "deriv",
            "avg_over_time",
            "sum_over_time",
            "count_over_time",
            "min_over_time",
            "max_over_time",
            "last_over_time",
            "present_over_time",
            "stddev_over_time",
            "stdvar_over_time",
            "absent_over_time",
        ] {
            add(format!("{f}({m}[10s])"));
        }
        add(format!("quantile_over_time(0.5, {m}[10s])"));
        add(format!("predict_linear({m}[10s], 60)"));
        add(format!("holt_winters({m}[10s], 0.5, 0.5)"));
        // Subqueries.
        add(format!("rate({m}[20s:3s])"));
        add(format!("last_over_time({m}[10s:1s])"));
        add(format!("count_over_time({m}[10s:2s])"));
    }
    // Across series: schemas, zero thresholds, mixed kinds.
    for s in [
        "sum({__name__=~\"fx_.*\"})",
        "sum({__name__=~\"fx_(int|float)\"})",
        "sum({__name__=~\"fx_(int|big|float_gauge)\"})",
        "sum by (__name__) ({__name__=~\"fx_.*\"})",
        "sum({__name__=~\"fx_.*|up\"})",
        "avg({__name__=~\".+\"})",
        "count({__name__=~\".+\"})",
        "count by (__name__) ({__name__=~\".+\"})",
        "max({__name__=~\".+\"})",
        "topk(3, {__name__=~\".+\"})",
        "fx_int + ignoring(__name__) fx_float",
        "fx_int + on(job) fx_big",
        "fx_float + on(job) fx_float_gauge",
        "fx_int - on(job) fx_float",
        "fx_int + on(job) up",
        "fx_int or on(job) up",
        "histogram_quantile(0.5, {__name__=~\".+\"})",
        "histogram_count({__name__=~\".+\"})",
        "histogram_sum({__name__=~\".+\"})",
        "sum(rate({__name__=~\"fx_(int|big|empty|gauge|stale)\"}[10s]))",
        "sum(rate({__name__=~\"fx_float.*\"}[10s]))",
        "rate({__name__=~\"fx_.*\"}[10s])",
        "increase({__name__=~\"fx_.*|up\"}[30s])",
        "count_over_time({__name__=~\".+\"}[20s])",
    ] {
        add(s.into());
    }
    q
}

/// A Prometheus 2.42 serving a copy of the fixture's blocks; stopped (and its data
/// removed) when dropped.
struct Prometheus {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Prometheus {
    fn start(blocks: &Path) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!(
            "mnemos-promql-hist-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let data = dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        for entry in std::fs::read_dir(blocks).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            if entry.path().join("meta.json").is_file() {
                copy_dir(&entry.path(), &data.join(entry.file_name()))?;
            }
        }
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            "global:\n  scrape_interval: 1h\nscrape_configs: []\n",
        )
        .map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("prometheus.log")).map_err(|e| e.to_string())?;
        let child = Command::new(PROMETHEUS)
            .arg("--enable-feature=native-histograms")
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--storage.tsdb.retention.time=10y")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting {PROMETHEUS}: {e}"))?;
        let prom = Prometheus { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((status, _)) = http_get(port, "/-/ready") {
                if status == 200 {
                    return Ok(prom);
                }
            }
            if Instant::now() > deadline {
                return Err("Prometheus did not become ready within 60s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn query(&self, path: &str, params: &[(&str, String)]) -> Answer {
        let qs: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        match http_get(self.port, &format!("{path}?{}", qs.join("&"))) {
            Ok((_, body)) => from_prometheus(&body),
            Err(e) => Answer::Error(format!("request failed: {e}")),
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A plain HTTP/1.1 GET on loopback: status and body (chunked bodies decoded).
fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no header end")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or("bad chunk")?;
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&rest[..line_end])
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim(),
                16,
            )
            .map_err(|e| e.to_string())?;
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size.min(rest.len())]);
            rest = &rest[(size + 2).min(rest.len())..];
        }
        body = out;
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// One comparison: blocks, queries, times, and the queries allowed to differ.
struct Suite<'a> {
    blocks: &'a Path,
    vector_queries: Vec<String>,
    matrix_queries: Vec<String>,
    ranges: &'a [(i64, i64, i64)],
    instants: &'a [i64],
    known: &'a [(&'a str, &'a str)],
}

/// Runs `suite` against a Prometheus 2.42 serving a copy of its blocks and the engine
/// reading them; fails on differences not in `known`.
fn run_suite(suite: Suite) {
    let prom = match Prometheus::start(suite.blocks) {
        Ok(p) => p,
        Err(e) => panic!("could not start Prometheus: {e}"),
    };
    let storage = BlockStorage::open(suite.blocks).expect("open the blocks");
    let engine = Engine::default();

    let (mut compared, mut matched, mut errors_both) = (0usize, 0usize, 0usize);
    let mut non_empty = 0usize;
    let mut with_histograms = 0usize;
    let mut mismatched: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut check = |query: &str, what: String, prom_answer: Answer, ours: Answer| {
        compared += 1;
        if agree(&prom_answer, &ours) {
            matched += 1;
            match &prom_answer {
                Answer::Error(_) => errors_both += 1,
                Answer::Vector(v) if !v.is_empty() => {
                    non_empty += 1;
                    if v.values().any(|(_, p)| matches!(p, Point::Hist(_))) {
                        with_histograms += 1;
                    }
                }
                Answer::Matrix(m) if !m.is_empty() => {
                    non_empty += 1;
                    if m.values().any(|(_, h)| !h.is_empty()) {
                        with_histograms += 1;
                    }
                }
                Answer::Scalar(..) | Answer::String(_) => non_empty += 1,
                _ => {}
            }
        } else {
            let entry = mismatched.entry(query.to_string()).or_insert_with(|| {
                (
                    0,
                    format!("{what}: {}", first_difference(&prom_answer, &ours)),
                )
            });
            entry.0 += 1;
        }
    };

    for q in &suite.vector_queries {
        for &(start, end, step) in suite.ranges {
            let p = prom.query(
                "/api/v1/query_range",
                &[
                    ("query", q.clone()),
                    ("start", secs(start)),
                    ("end", secs(end)),
                    ("step", secs(step)),
                ],
            );
            let o = from_engine(engine.range(&storage, q, start, end, step));
            check(
                q,
                format!("range {}..{} step {}", secs(start), secs(end), secs(step)),
                p,
                o,
            );
        }
    }
    for q in suite.vector_queries.iter().chain(&suite.matrix_queries) {
        for &t in suite.instants {
            let p = prom.query("/api/v1/query", &[("query", q.clone()), ("time", secs(t))]);
            let o = from_engine(engine.instant(&storage, q, t));
            check(q, format!("instant at {}", secs(t)), p, o);
        }
    }

    println!(
        "{}: {} queries, {compared} answers compared: {matched} equal ({non_empty} non-empty, \
         {with_histograms} with histograms, {errors_both} errors on both sides), {} queries \
         differ",
        suite.blocks.display(),
        suite.vector_queries.len() + suite.matrix_queries.len(),
        mismatched.len()
    );
    let mut unexpected = Vec::new();
    for (q, (n, first)) in &mismatched {
        let known = suite.known.iter().find(|(k, _)| k == q);
        println!(
            "{} {q} ({n} answers differ) {first}{}",
            if known.is_some() { "KNOWN" } else { "DIFF" },
            known
                .map(|(_, why)| format!("\n    why: {why}"))
                .unwrap_or_default()
        );
        if known.is_none() {
            unexpected.push(q.clone());
        }
    }
    drop(prom);
    assert!(
        unexpected.is_empty(),
        "{} queries answer differently from Prometheus 2.42: {unexpected:#?}",
        unexpected.len()
    );
}

fn prometheus_present() -> bool {
    if Path::new(PROMETHEUS).exists() {
        return true;
    }
    println!("skipped: {PROMETHEUS} is absent (this test compares with Prometheus 2.42)");
    false
}

#[test]
fn native_histograms_match_prometheus_2_42() {
    if !prometheus_present() {
        return;
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tsdb/testdata/native_histograms");
    run_suite(Suite {
        blocks: &fixture,
        vector_queries: queries(),
        matrix_queries: matrix_queries(),
        ranges: RANGES,
        instants: INSTANTS,
        known: KNOWN_DIFFERENCES,
    });
}

/// Start of the synthetic block (ms), its sample interval and sample count.
const T0: i64 = 1_800_000_000_000;
const EVERY: i64 = 5_000;
const N: i64 = 30;

/// Queries on the synthetic block that answer differently from 2.42, with why.
const SYNTH_KNOWN: &[(&str, &str)] = &[
    (
        "sx[20s]",
        "2.42's shared sample ring (see KNOWN_DIFFERENCES): the buffered points of the integer \
         histogram series after the float histogram series (kind=gauge, kind=int) are the last \
         float histogram the ring returned",
    ),
    (
        "rate(sx[10s])",
        "the same ring defect in a function's range argument: rates of the integer series \
         computed from another series' histogram (count 0, sum NaN at 37s); and the stale \
         marker of kind=int,s=b, read through the ring as that float histogram, is not seen \
         as stale, so it counts as a point (a rate at 65s where there is one sample)",
    ),
    (
        "count_over_time(sx[30s])",
        "the ring defect hides kind=int,s=b's stale marker: 2.42 counts it (6 samples for 5)",
    ),
    (
        "rate(sx{kind=\"big\"}[30s])",
        "2.42 converts an integer histogram to floats twice over: by absolute count where \
         the chunk iterator is read (instant selectors, the point at the window's end) and \
         by summing converted deltas (`Histogram.ToFloat`) for the points buffered in a \
         range; above 2^53 the two differ (bucket counts 2^60+…: 1152921504606863600 vs \
         1152921504606864000). The engine converts all points by absolute count",
    ),
    (
        "sx{kind=\"big\"}[30s]",
        "the two conversions of integer histograms, as for rate(sx{kind=\"big\"}[30s])",
    ),
];

/// An integer histogram from absolute counts.
fn int_hist(
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    pos: (&[mnemos_tsdb::histogram::Span], &[u64]),
    neg: (&[mnemos_tsdb::histogram::Span], &[u64]),
    sum: f64,
) -> mnemos_tsdb::histogram::Histogram {
    let deltas = |abs: &[u64]| {
        let mut prev = 0i64;
        abs.iter()
            .map(|&c| {
                let d = (c as i64).wrapping_sub(prev);
                prev = c as i64;
                d
            })
            .collect::<Vec<i64>>()
    };
    mnemos_tsdb::histogram::Histogram {
        schema,
        zero_threshold,
        zero_count,
        count: zero_count + pos.1.iter().sum::<u64>() + neg.1.iter().sum::<u64>(),
        sum,
        positive_spans: pos.0.to_vec(),
        negative_spans: neg.0.to_vec(),
        positive_buckets: deltas(pos.1),
        negative_buckets: deltas(neg.1),
        ..Default::default()
    }
}

/// A float histogram.
fn float_hist(
    schema: i32,
    zero_threshold: f64,
    zero_count: f64,
    pos: (&[mnemos_tsdb::histogram::Span], &[f64]),
    neg: (&[mnemos_tsdb::histogram::Span], &[f64]),
    sum: f64,
) -> mnemos_tsdb::histogram::FloatHistogram {
    mnemos_tsdb::histogram::FloatHistogram {
        schema,
        zero_threshold,
        zero_count,
        count: zero_count + pos.1.iter().sum::<f64>() + neg.1.iter().sum::<f64>(),
        sum,
        positive_spans: pos.0.to_vec(),
        negative_spans: neg.0.to_vec(),
        positive_buckets: pos.1.to_vec(),
        negative_buckets: neg.1.to_vec(),
        ..Default::default()
    }
}

/// A series' samples for the synthetic block.
enum Samples {
    Floats(Vec<(i64, f64)>),
    Ints(Vec<(i64, mnemos_tsdb::histogram::Histogram)>),
    Floaths(Vec<(i64, mnemos_tsdb::histogram::FloatHistogram)>),
}

/// Chunks of histogram samples as Prometheus cuts them: a new chunk when the layout
/// changes or after a stale marker.
fn histogram_chunks<H>(
    samples: &[(i64, H)],
    layout: impl Fn(&H) -> String,
    stale: impl Fn(&H) -> bool,
) -> Vec<Vec<usize>> {
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    let mut key: Option<String> = None;
    let mut after_stale = false;
    for (i, (_, h)) in samples.iter().enumerate() {
        let k = layout(h);
        let same = stale(h) || (!after_stale && key.as_deref() == Some(k.as_str()));
        if !same || chunks.is_empty() {
            chunks.push(Vec::new());
        }
        if !stale(h) {
            key = Some(k);
        }
        after_stale = stale(h);
        if let Some(c) = chunks.last_mut() {
            c.push(i);
        }
    }
    chunks
}

/// Writes the synthetic block under `dir`: integer, float and gauge histograms with
/// different schemas and zero thresholds, counts above 2^53, a reset, a schema change, a
/// stale marker, a NaN sum, floats, and classic buckets beside native histograms of the
/// same name (series differ by labels, so that functions keep them apart).
fn write_synthetic_block(dir: &Path) {
    use mnemos_tsdb::chunkenc::{Encoding, FloatHistogramEncoder, HistogramEncoder};
    use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
    use mnemos_tsdb::histogram::{Histogram, Span};
    use mnemos_tsdb::{BlockMeta, BlockWriter, Labels};

    let sp = Span::new;
    let t = |k: i64| T0 + k * EVERY;
    let mut series: Vec<(Labels, Samples)> = Vec::new();
    let l = |pairs: &[(&str, &str)]| Labels::from_pairs(pairs.iter().copied());
    let big = 1u64 << 60;
    series.push((
        l(&[("__name__", "sx"), ("kind", "big"), ("s", "e")]),
        Samples::Ints(
            (0..N)
                .map(|k| {
                    let k = k as u64;
                    (
                        t(k as i64),
                        int_hist(
                            0,
                            0.001,
                            k,
                            (&[sp(0, 2)], &[big + 129 + k * 1000, big + 329 + k * 1500]),
                            (&[], &[]),
                            k as f64 * 1e3,
                        ),
                    )
                })
                .collect(),
        ),
    ));
    series.push((
        l(&[("__name__", "sx"), ("kind", "float"), ("s", "c")]),
        Samples::Floaths(
            (0..N)
                .map(|k| {
                    let x = if k < 15 { k as f64 } else { (k - 15) as f64 };
                    (
                        t(k),
                        float_hist(
                            -1,
                            0.01,
                            0.5 * x,
                            (&[sp(-1, 3)], &[0.1 * x, 0.25 * x, 1.5 * x]),
                            (&[sp(0, 2)], &[0.3 * x, 0.7 * x]),
                            1.7 * x,
                        ),
                    )
                })
                .collect(),
        ),
    ));
    series.push((
        l(&[("__name__", "sx"), ("kind", "float"), ("s", "f")]),
        Samples::Floaths(
            (0..N)
                .map(|k| {
                    let x = k as f64;
                    let sum = if k == 7 { f64::NAN } else { 0.1 * x };
                    (
                        t(k),
                        float_hist(
                            2,
                            0.0,
                            0.0,
                            (&[sp(3, 2), sp(2, 1)], &[x, 2.0 * x, 0.5 * x]),
                            (&[], &[]),
                            sum,
                        ),
                    )
                })
                .collect(),
        ),
    ));
    series.push((
        l(&[("__name__", "sx"), ("kind", "gauge"), ("s", "d")]),
        Samples::Ints(
            (0..N)
                .map(|k| {
                    let u = k as u64;
                    let mut h = int_hist(
                        1,
                        0.001,
                        u % 3,
                        (&[sp(0, 3)], &[(u * 7) % 5, (u * 3) % 4 + 1, 2]),
                        (&[], &[]),
                        (k % 5) as f64 - 2.0,
                    );
                    h.counter_reset_hint = mnemos_tsdb::histogram::CounterResetHint::Gauge;
                    (t(k), h)
                })
                .collect(),
        ),
    ));
    series.push((
        l(&[("__name__", "sx"), ("kind", "int"), ("s", "a")]),
        Samples::Ints(
            (0..N)
                .map(|k| {
                    let u = if (10..20).contains(&k) { k - 10 } else { k } as u64;
                    let h = if k < 20 {
                        int_hist(
                            0,
                            0.001,
                            u,
                            (&[sp(-1, 2), sp(1, 1)], &[u, 2 * u, 3 * u]),
                            (&[], &[]),
                            u as f64 * 2.5,
                        )
                    } else {
                        int_hist(
                            1,
                            0.001,
                            u,
                            (&[sp(-2, 4)], &[u, u, u, 2 * u]),
                            (&[], &[]),
                            u as f64 * 2.5,
                        )
                    };
                    (t(k), h)
                })
                .collect(),
        ),
    ));
    series.push((
        l(&[("__name__", "sx"), ("kind", "int"), ("s", "b")]),
        Samples::Ints(
            (0..N)
                .filter(|k| !(13..=14).contains(k))
                .map(|k| {
                    let u = k as u64;
                    let h = if k == 12 {
                        Histogram::stale()
                    } else {
                        int_hist(
                            3,
                            0.5,
                            2 * u,
                            (&[sp(4, 3)], &[u, 2 * u, u]),
                            (&[sp(5, 2)], &[u, u / 2]),
                            -0.5 * u as f64,
                        )
                    };
                    (t(k), h)
                })
                .collect(),
        ),
    ));
    series.push((
        l(&[("__name__", "sx"), ("kind", "num"), ("s", "g")]),
        Samples::Floats((0..N).map(|k| (t(k), k as f64 * 1.5)).collect()),
    ));
    series.push((
        l(&[("__name__", "sy"), ("s", "a")]),
        Samples::Ints(
            (0..N)
                .map(|k| {
                    let u = k as u64;
                    (
                        t(k),
                        int_hist(0, 0.001, 0, (&[sp(1, 3)], &[u, u, u]), (&[], &[]), u as f64),
                    )
                })
                .collect(),
        ),
    ));
    series.push((
        l(&[("__name__", "sy"), ("s", "b")]),
        Samples::Floaths(
            (0..N)
                .map(|k| {
                    let x = k as f64;
                    (
                        t(k),
                        float_hist(0, 0.001, 0.0, (&[sp(0, 2)], &[x, 0.5 * x]), (&[], &[]), x),
                    )
                })
                .collect(),
        ),
    ));
    for s in ["a", "c"] {
        for (le, f) in [("1", 1.0), ("2", 2.0), ("4", 3.0), ("+Inf", 3.0)] {
            series.push((
                l(&[("__name__", "sy"), ("le", le), ("s", s)]),
                Samples::Floats((0..N).map(|k| (t(k), f * k as f64)).collect()),
            ));
        }
    }
    series.sort_by(|a, b| a.0.cmp(&b.0));

    let symbols = mnemos_tsdb::block_writer::symbols_of(series.iter().map(|(l, _)| l));
    let mut w = BlockWriter::create(dir, symbols).expect("create the block");
    for (labels, samples) in &series {
        match samples {
            Samples::Floats(f) => w.add_series(labels, f).expect("add floats"),
            Samples::Ints(hs) => {
                let layout = |h: &Histogram| {
                    format!(
                        "{} {} {:?} {:?}",
                        h.schema, h.zero_threshold, h.positive_spans, h.negative_spans
                    )
                };
                let mut chunks = Vec::new();
                for idx in histogram_chunks(hs, layout, Histogram::is_stale) {
                    let mut enc = HistogramEncoder::new();
                    for &i in &idx {
                        enc.append(hs[i].0, &hs[i].1).expect("append a histogram");
                    }
                    chunks.push((
                        ChunkMeta {
                            min_time: hs[idx[0]].0,
                            max_time: hs[idx[idx.len() - 1]].0,
                            chunk_ref: 0,
                        },
                        RawChunk {
                            encoding: Encoding::Histogram.as_byte(),
                            data: bytes::Bytes::from(enc.bytes().to_vec()),
                        },
                    ));
                }
                w.add_series_chunks(labels, &chunks, hs.len() as u64)
                    .expect("add histograms");
            }
            Samples::Floaths(hs) => {
                let layout = |h: &mnemos_tsdb::histogram::FloatHistogram| {
                    format!(
                        "{} {} {:?} {:?}",
                        h.schema, h.zero_threshold, h.positive_spans, h.negative_spans
                    )
                };
                let mut chunks = Vec::new();
                for idx in histogram_chunks(hs, layout, |h| h.is_stale()) {
                    let mut enc = FloatHistogramEncoder::new();
                    for &i in &idx {
                        enc.append(hs[i].0, &hs[i].1)
                            .expect("append a float histogram");
                    }
                    chunks.push((
                        ChunkMeta {
                            min_time: hs[idx[0]].0,
                            max_time: hs[idx[idx.len() - 1]].0,
                            chunk_ref: 0,
                        },
                        RawChunk {
                            encoding: Encoding::FloatHistogram.as_byte(),
                            data: bytes::Bytes::from(enc.bytes().to_vec()),
                        },
                    ));
                }
                w.add_series_chunks(labels, &chunks, hs.len() as u64)
                    .expect("add float histograms");
            }
        }
    }
    w.finish(BlockMeta::new(String::new(), T0, T0 + N * EVERY))
        .expect("finish the block");
}

/// Queries on the synthetic block. Range selections keep float-histogram series (`F`)
/// apart from integer-histogram ones (`R`), and the integer series with counts above 2^53
/// (`kind="big"`) apart from both, except in the queries of [`SYNTH_KNOWN`] (2.42 defects).
fn synth_queries() -> Vec<String> {
    const R: &str = "sx{kind=~\"int|gauge|num\"}";
    const F: &str = "sx{kind=\"float\"}";
    let mut q: Vec<String> = [
        "sx",
        "sy",
        "{__name__=~\"s.*\"}",
        "sx offset 10s",
        "sx @ 1800000050",
        "sum(sx)",
        "sum by (kind) (sx)",
        "avg by (kind) (sx)",
        "count by (kind) (sx)",
        "max(sx)",
        "topk(2, sx)",
        "quantile(0.5, sx)",
        "sum(sx{kind=~\"int|big\"})",
        "sum(sx{kind=\"float\"})",
        "sum(sy)",
        "sum by (s) (sy)",
        "sx + sx",
        "sx - sx",
        "sx * 3",
        "sx / -2",
        "sx{s=\"a\"} + ignoring(s, kind) sx{s=\"c\"}",
        "sx{s=\"c\"} + ignoring(s, kind) sx{s=\"a\"}",
        "sx{s=\"b\"} + ignoring(s, kind) sx{s=\"e\"}",
        "sx{kind=\"int\"} + on(kind) group_left sx{s=\"a\"}",
        "sx{s=\"f\"} + on() group_right sx{kind=\"float\"}",
        "sx > 0",
        "sx == bool 0",
        "sx and sy",
        "sx or sy",
        "sy unless on(s) sx",
        "histogram_quantile(0.5, sy)",
        "histogram_quantile(0.5, sum by (kind) (sx))",
        "histogram_quantile(0.75, rate(sy[20s]))",
        "histogram_fraction(0, 1, sx)",
        "histogram_fraction(-1, 1, sx)",
        "histogram_fraction(0.7, 3, sx)",
        "histogram_fraction(-Inf, 0, sx)",
        "histogram_count(sx)",
        "histogram_sum(sx)",
        "sort_desc(sx)",
        "timestamp(sx)",
        "rate(sx[30s:5s])",
        "increase(sx[1m:10s])",
        // The defects of SYNTH_KNOWN.
        "sx[20s]",
        "rate(sx[10s])",
        "count_over_time(sx[30s])",
        "rate(sx{kind=\"big\"}[30s])",
    ]
    .map(String::from)
    .to_vec();
    for sel in [R, F] {
        for r in ["10s", "20s", "1m"] {
            q.push(format!("rate({sel}[{r}])"));
            q.push(format!("increase({sel}[{r}])"));
            q.push(format!("delta({sel}[{r}])"));
        }
        q.push(format!("irate({sel}[15s])"));
        q.push(format!("count_over_time({sel}[30s])"));
        q.push(format!("last_over_time({sel}[30s])"));
        q.push(format!("sum by (kind) (rate({sel}[30s]))"));
        q.push(format!("histogram_quantile(0.9, rate({sel}[30s]))"));
        q.push(format!("histogram_count(rate({sel}[30s]))"));
    }
    for k in ["int", "float", "gauge"] {
        q.push(format!("rate(sx{{kind=\"{k}\"}}[30s])"));
        q.push(format!("sx{{kind=\"{k}\"}}"));
    }
    for qq in ["0", "0.3", "0.5", "0.9", "1"] {
        q.push(format!("histogram_quantile({qq}, sx)"));
    }
    q
}

#[test]
fn synthetic_histograms_match_prometheus_2_42() {
    if !prometheus_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mnemos-promql-synth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    write_synthetic_block(&dir);
    let s = |k: i64| T0 + k;
    let result = std::panic::catch_unwind(|| {
        run_suite(Suite {
            blocks: &dir,
            vector_queries: synth_queries(),
            matrix_queries: [
                "sx{kind=\"big\"}[30s]",
                "sx{kind=~\"int|gauge|num\"}[20s]",
                "sx{kind=\"float\"}[20s]",
                "sy[10s]",
                "sx[30s:5s]",
            ]
            .map(String::from)
            .to_vec(),
            ranges: &[
                (s(-10_000), s(160_000), 5_000),
                (s(1_000), s(150_000), 7_000),
            ],
            instants: &[
                s(37_000),
                s(62_500),
                s(65_000),
                s(100_000),
                s(145_000),
                s(200_000),
            ],
            known: SYNTH_KNOWN,
        })
    });
    // MNEMOS_KEEP_SYNTHETIC=1 keeps the block for a look with Prometheus.
    if std::env::var_os("MNEMOS_KEEP_SYNTHETIC").is_some() {
        println!("synthetic block kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
