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

#[test]
fn native_histograms_match_prometheus_2_42() {
    if !Path::new(PROMETHEUS).exists() {
        println!("skipped: {PROMETHEUS} is absent (this test compares with Prometheus 2.42)");
        return;
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tsdb/testdata/native_histograms");
    let prom = match Prometheus::start(&fixture) {
        Ok(p) => p,
        Err(e) => panic!("could not start Prometheus: {e}"),
    };
    let storage = BlockStorage::open(&fixture).expect("open the fixture's blocks");
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

    let vector_queries = queries();
    let matrix_queries = matrix_queries();
    for q in &vector_queries {
        for &(start, end, step) in RANGES {
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
    for q in vector_queries.iter().chain(&matrix_queries) {
        for &t in INSTANTS {
            let p = prom.query("/api/v1/query", &[("query", q.clone()), ("time", secs(t))]);
            let o = from_engine(engine.instant(&storage, q, t));
            check(q, format!("instant at {}", secs(t)), p, o);
        }
    }

    println!(
        "{} queries, {compared} answers compared: {matched} equal ({non_empty} non-empty, \
         {with_histograms} with histograms, {errors_both} errors on both sides), {} queries \
         differ",
        vector_queries.len() + matrix_queries.len(),
        mismatched.len()
    );
    let mut unexpected = Vec::new();
    for (q, (n, first)) in &mismatched {
        let known = KNOWN_DIFFERENCES.iter().find(|(k, _)| k == q);
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
