//! Prometheus' PromQL test-script language (`promql/testdata/*.test`, as run by
//! `promql/test.go` of Prometheus v2.42): a parser into [`Command`]s and a runner that
//! evaluates every `eval` case against an [`Engine`] and reports each case on its own.
//!
//! The script language, line by line (surrounding whitespace is ignored, lines starting with
//! `#` are comments and count as blank lines, which end a block):
//!
//! - `load <interval>` followed by `<series> <values>` lines: sample `i` of a series is at
//!   `i * interval` (ms since the epoch). Values are space separated items: a number (`1`,
//!   `-2.5`, `1e3`, `.5`, `Inf`, `-Inf`, `NaN`), `stale` (a staleness marker), `_` (no
//!   sample), `_xN` (N samples skipped), `axN` (N+1 copies of `a`), `a+bxN` / `a-bxN` (N+1
//!   samples starting at `a`, step `b`, summed up as Prometheus does).
//! - `clear`: drops all series.
//! - `eval instant at <duration> <expr>`, `eval_fail instant at ...`,
//!   `eval_ordered instant at ...`, followed by the expected result: `<series> <value>`
//!   lines, or one bare number for a scalar result.
//!
//! [`run_script`] mirrors the harness' checks: each instant query is compared with the
//! expected result, then re-run as a range query around the evaluation time, and then the
//! same again with `@ <eval time>` added to every selector (see [`at_modifier_variants`]).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, SystemTime};

use mnemos_tsdb::chunkenc::STALE_NAN_BITS;
use mnemos_tsdb::time::parse_duration_ms as parse_duration;
use mnemos_tsdb::Labels;
use promql_parser::label::MatchOp;
use promql_parser::parser::{AtModifier, BinModifier, Expr, LabelModifier};

use mnemos_promql::{Engine, MemStorage, Sample, Value};

/// Relative tolerance of value comparisons (Prometheus' `epsilon`).
pub const EPSILON: f64 = 0.000_001;

/// The smallest positive normal `f64` (Prometheus' `minNormal`).
const MIN_NORMAL: f64 = f64::MIN_POSITIVE;

/// Functions whose result depends on the evaluation time even when their arguments are
/// step invariant (Prometheus' `AtModifierUnsafeFunctions`): expressions calling one
/// outside a subquery get no `@` variants.
pub const AT_MODIFIER_UNSAFE_FUNCTIONS: &[&str] = &[
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "time",
    "timestamp",
];

/// One command of a test script.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `load <interval>`: series to add to the storage.
    Load {
        /// Distance between consecutive samples (ms).
        interval_ms: i64,
        /// Each series with its samples `(t ms, value)`, in the order first defined; a series
        /// defined twice in one block keeps the later samples (as Prometheus does).
        series: Vec<(Labels, Vec<(i64, f64)>)>,
    },
    /// `clear`: removes every series.
    Clear,
    /// `eval[_fail|_ordered] instant at <t> <expr>` and its expected result.
    Eval {
        /// Which flavour of `eval`.
        kind: EvalKind,
        /// Evaluation time (ms since the epoch).
        at_ms: i64,
        /// The PromQL expression, as written.
        expr: String,
        /// The expected result lines, in script order (empty: an empty vector).
        expected: Vec<Expected>,
        /// 1-based line number of the `eval` line.
        line: usize,
    },
}

/// The flavour of an `eval` command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalKind {
    /// `eval`: the result must equal the expected one, in any order.
    Instant,
    /// `eval_fail`: the query must fail.
    Fail,
    /// `eval_ordered`: the result must equal the expected one, in the expected order.
    Ordered,
}

/// One expected result line of an `eval` command.
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    /// A bare number: the result must be a scalar with this value.
    Scalar(f64),
    /// `<series> <value>`: a sample of the expected instant vector.
    Sample {
        /// The sample's labels (`__name__` included when written).
        labels: Labels,
        /// The sample's value.
        value: f64,
    },
}

/// Parses a whole test script. Errors name the 1-based line they occur on.
pub fn parse_script(text: &str) -> Result<Vec<Command>, String> {
    // Prometheus' getLines: trimmed, comments blanked (so a comment ends a block).
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                ""
            } else {
                l
            }
        })
        .collect();
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.is_empty() {
            i += 1;
            continue;
        }
        let word = l
            .split([' ', '\t'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if word == "clear" {
            cmds.push(Command::Clear);
            i += 1;
        } else if word == "load" {
            let (next, cmd) = parse_load(&lines, i)?;
            cmds.push(cmd);
            i = next;
        } else if word.starts_with("eval") {
            let (next, cmd) = parse_eval(&lines, i)?;
            cmds.push(cmd);
            i = next;
        } else {
            return Err(format!("line {}: invalid command {l:?}", i + 1));
        }
    }
    Ok(cmds)
}

/// Parses the `load` block starting at `lines[i]`; returns the index after the block.
fn parse_load(lines: &[&str], i: usize) -> Result<(usize, Command), String> {
    let line_no = i + 1;
    let l = lines[i];
    let interval = l
        .strip_prefix("load")
        .filter(|rest| rest.starts_with([' ', '\t']))
        .map(str::trim)
        .filter(|rest| !rest.is_empty())
        .ok_or_else(|| format!("line {line_no}: invalid load command. (load <step:duration>)"))?;
    let interval_ms = parse_duration(interval)
        .map_err(|e| format!("line {line_no}: invalid step definition {interval:?}: {e}"))?;
    let mut series: Vec<(Labels, Vec<(i64, f64)>)> = Vec::new();
    let mut j = i + 1;
    while j < lines.len() && !lines[j].is_empty() {
        let (labels, values) =
            parse_series_desc(lines[j]).map_err(|e| format!("line {}: {e}", j + 1))?;
        let mut samples = Vec::with_capacity(values.len());
        for (k, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let t = (k as i64)
                    .checked_mul(interval_ms)
                    .ok_or_else(|| format!("line {}: sample time overflows", j + 1))?;
                samples.push((t, *v));
            }
        }
        match series.iter_mut().find(|(l, _)| *l == labels) {
            Some(existing) => existing.1 = samples,
            None => series.push((labels, samples)),
        }
        j += 1;
    }
    Ok((
        j,
        Command::Load {
            interval_ms,
            series,
        },
    ))
}

/// Parses the `eval` block starting at `lines[i]`; returns the index after the block.
fn parse_eval(lines: &[&str], i: usize) -> Result<(usize, Command), String> {
    let line_no = i + 1;
    let l = lines[i];
    let usage = || {
        format!(
            "line {line_no}: invalid evaluation command. \
             (eval[_fail|_ordered] instant [at <offset:duration>] <query>)"
        )
    };
    let (word, rest) = split_word(l).ok_or_else(usage)?;
    let kind = match word {
        "eval" => EvalKind::Instant,
        "eval_fail" => EvalKind::Fail,
        "eval_ordered" => EvalKind::Ordered,
        _ => return Err(usage()),
    };
    let (instant, rest) = split_word(rest).ok_or_else(usage)?;
    if instant != "instant" {
        return Err(usage());
    }
    let (at, rest) = split_word(rest).ok_or_else(usage)?;
    if at != "at" {
        return Err(usage());
    }
    let (time, expr) = split_word(rest).ok_or_else(usage)?;
    if expr.is_empty() {
        return Err(usage());
    }
    let at_ms = parse_duration(time)
        .map_err(|e| format!("line {line_no}: invalid eval time {time:?}: {e}"))?;

    let mut expected = Vec::new();
    let mut j = i + 1;
    while j < lines.len() && !lines[j].is_empty() {
        let def = lines[j];
        if let Some(v) = parse_go_number(def) {
            // A scalar ends the block (the next line is read as a command).
            expected.push(Expected::Scalar(v));
            j += 1;
            break;
        }
        let (labels, values) =
            parse_series_desc(def).map_err(|e| format!("line {}: {e}", j + 1))?;
        let value = match values.as_slice() {
            [Some(v)] => *v,
            [None] => return Err(format!("line {}: expected value may not be `_`", j + 1)),
            [] => return Err(format!("line {}: expected a value after the series", j + 1)),
            _ => {
                return Err(format!(
                    "line {}: expecting multiple values in instant evaluation not allowed",
                    j + 1
                ))
            }
        };
        expected.push(Expected::Sample { labels, value });
        j += 1;
    }
    Ok((
        j,
        Command::Eval {
            kind,
            at_ms,
            expr: expr.to_string(),
            expected,
            line: line_no,
        },
    ))
}

/// Splits off the first whitespace-delimited word; the rest has its leading whitespace
/// removed. `None` for an empty string.
fn split_word(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    match s.find([' ', '\t']) {
        Some(p) => Some((&s[..p], s[p..].trim_start())),
        None => Some((s, "")),
    }
}

/// Parses a number the way the harness parses a bare expected scalar (Go's
/// `strconv.ParseInt(s, 0, 64)`, then `strconv.ParseFloat(s, 64)`): decimal, `0x`/`0o`/`0b`
/// and leading-`0` octal integers, floats, `Inf`/`+Inf`/`-Inf`/`NaN` in any case.
pub fn parse_go_number(s: &str) -> Option<f64> {
    if let Some(i) = parse_go_int(s) {
        return Some(i as f64);
    }
    if s.is_empty() || s.contains('_') {
        return None;
    }
    // Rust accepts what Go's ParseFloat accepts for decimal input, including "inf",
    // "infinity" and "nan" in any case, ".5" and "5.".
    s.parse::<f64>().ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    // Underscores may only separate digits (Go's underscoreOK, simplified).
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || (radix == 10 && digits.contains('_'))
    {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if !clean.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(&clean, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 {
            Some(-(magnitude as i64))
        } else if magnitude == i64::MAX as u64 + 1 {
            Some(i64::MIN)
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Parses a series description line (`name{l="v", ...} <values>`, `{l="v"} <values>` or
/// `name <values>`) into its labels and its expanded value sequence (`None` = no sample).
///
/// The label part is parsed with `promql-parser`; every matcher must be `=`.
pub fn parse_series_desc(line: &str) -> Result<(Labels, Vec<Option<f64>>), String> {
    let line = line.trim();
    let (name, braces, rest) = split_series(line)?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(name) = name {
        pairs.push(("__name__".to_string(), name.to_string()));
    }
    if let Some(braces) = braces {
        pairs.extend(parse_label_braces(braces)?);
    }
    if pairs.is_empty() && braces.is_none() {
        return Err(format!("missing series name or labels in {line:?}"));
    }
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return Err(format!(
            "expected a space between series and values in {line:?}"
        ));
    }
    let values = parse_values(rest)?;
    Ok((Labels::from_pairs(pairs), values))
}

/// Splits a series line into its metric name, its `{...}` part (braces included) and the
/// rest.
fn split_series(line: &str) -> Result<(Option<&str>, Option<&str>, &str), String> {
    let bytes = line.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let c = bytes[pos];
        let ok =
            c.is_ascii_alphabetic() || c == b'_' || c == b':' || (pos > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        pos += 1;
    }
    let name = (pos > 0).then(|| &line[..pos]);
    if pos < bytes.len() && bytes[pos] == b'{' {
        let end = closing_brace(&line[pos..])
            .ok_or_else(|| format!("unterminated label set in {line:?}"))?;
        let braces = &line[pos..pos + end + 1];
        Ok((name, Some(braces), &line[pos + end + 1..]))
    } else if name.is_some() {
        Ok((name, None, &line[pos..]))
    } else {
        Err(format!("invalid series description {line:?}"))
    }
}

/// Byte index of the `}` closing the `{` at the start of `s`, skipping quoted strings.
fn closing_brace(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '}' => return Some(i),
                _ => {}
            },
        }
    }
    None
}

/// Label name of a placeholder matcher that keeps `promql-parser` from rejecting label
/// sets it would consider empty (`{}`, `{a=""}`).
const PLACEHOLDER_LABEL: &str = "__mnemos_testscript_placeholder__";

/// Parses `{a="b", ...}` (braces included) with `promql-parser` into name/value pairs.
fn parse_label_braces(braces: &str) -> Result<Vec<(String, String)>, String> {
    let inner = braces
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(|| format!("invalid label set {braces:?}"))?;
    let text = if inner.trim().is_empty() {
        format!("{{{PLACEHOLDER_LABEL}=\"x\"}}")
    } else {
        format!("{{{PLACEHOLDER_LABEL}=\"x\", {inner}}}")
    };
    let expr = promql_parser::parser::parse(&text)
        .map_err(|e| format!("invalid label set {braces:?}: {e}"))?;
    let vs = match expr {
        Expr::VectorSelector(vs) => vs,
        _ => return Err(format!("invalid label set {braces:?}")),
    };
    if !vs.matchers.or_matchers.is_empty() || vs.at.is_some() || vs.offset.is_some() {
        return Err(format!("invalid label set {braces:?}"));
    }
    let mut out = Vec::new();
    for m in vs.matchers.matchers {
        if m.name == PLACEHOLDER_LABEL {
            continue;
        }
        if m.op != MatchOp::Equal {
            return Err(format!("label matcher {m} in {braces:?} is not `=`"));
        }
        out.push((m.name, m.value));
    }
    Ok(out)
}

/// Parses a whitespace-separated value sequence.
fn parse_values(text: &str) -> Result<Vec<Option<f64>>, String> {
    let mut out = Vec::new();
    for item in text.split_whitespace() {
        parse_value_item(item, &mut out).map_err(|e| format!("invalid value {item:?}: {e}"))?;
    }
    Ok(out)
}

/// Expands one item of a value sequence into `out`.
fn parse_value_item(item: &str, out: &mut Vec<Option<f64>>) -> Result<(), String> {
    if item == "_" {
        out.push(None);
        return Ok(());
    }
    if let Some(n) = item.strip_prefix("_x") {
        let n = parse_times(n)?;
        out.extend(std::iter::repeat_n(None, n));
        return Ok(());
    }
    if item == "stale" {
        out.push(Some(f64::from_bits(STALE_NAN_BITS)));
        return Ok(());
    }
    let mut cur = Cursor { s: item, pos: 0 };
    let first = cur.signed_number(true)?;
    if cur.done() {
        out.push(Some(first));
        return Ok(());
    }
    match cur.peek() {
        Some('x') => {
            cur.pos += 1;
            let n = parse_times(cur.rest())?;
            out.extend(std::iter::repeat_n(Some(first), n + 1));
            Ok(())
        }
        Some('+') | Some('-') => {
            let step = cur.signed_number(false)?;
            if cur.peek() != Some('x') {
                return Err("expected `x<count>` after the step".into());
            }
            cur.pos += 1;
            let n = parse_times(cur.rest())?;
            // Prometheus adds the step repeatedly; keep its rounding.
            let mut v = first;
            out.push(Some(v));
            for _ in 0..n {
                v += step;
                out.push(Some(v));
            }
            Ok(())
        }
        _ => Err("unexpected characters".into()),
    }
}

/// Parses the repetition count after `x`.
fn parse_times(s: &str) -> Result<usize, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid repetition count {s:?}"));
    }
    let n: usize = s
        .parse()
        .map_err(|_| format!("invalid repetition count {s:?}"))?;
    // Guard against absurd expansions (Prometheus would try and run out of memory).
    if n > 10_000_000 {
        return Err(format!("repetition count {n} too large"));
    }
    Ok(n)
}

/// A cursor over one value item, lexing numbers the way Prometheus' series-description
/// lexer does (no hexadecimal; `x` may follow a number directly).
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn done(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    /// A number with an optional sign (mandatory when `sign_optional` is false): digits
    /// with optional fraction and exponent, or `Inf`/`NaN` (any case).
    fn signed_number(&mut self, sign_optional: bool) -> Result<f64, String> {
        let neg = match self.peek() {
            Some('+') => {
                self.pos += 1;
                false
            }
            Some('-') => {
                self.pos += 1;
                true
            }
            _ if sign_optional => false,
            _ => return Err("expected a sign".into()),
        };
        let v = self.unsigned_number()?;
        Ok(if neg { -v } else { v })
    }

    fn unsigned_number(&mut self) -> Result<f64, String> {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let first = *bytes.first().ok_or("missing number")?;
        if first.is_ascii_alphabetic() {
            // An identifier: Prometheus' keywords `inf` and `nan` are numbers.
            let len = bytes
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .unwrap_or(bytes.len());
            let word = &rest[..len];
            let v = match word.to_ascii_lowercase().as_str() {
                "inf" => f64::INFINITY,
                "nan" => f64::NAN,
                _ => return Err(format!("unexpected identifier {word:?}")),
            };
            self.pos += len;
            return Ok(v);
        }
        let mut len = 0;
        let digits = |len: &mut usize| {
            while *len < bytes.len() && bytes[*len].is_ascii_digit() {
                *len += 1;
            }
        };
        digits(&mut len);
        if len < bytes.len() && bytes[len] == b'.' {
            len += 1;
            digits(&mut len);
        }
        if len == 0 || (len == 1 && bytes[0] == b'.') {
            return Err("missing number".into());
        }
        if len < bytes.len() && (bytes[len] == b'e' || bytes[len] == b'E') {
            len += 1;
            if len < bytes.len() && (bytes[len] == b'+' || bytes[len] == b'-') {
                len += 1;
            }
            digits(&mut len);
        }
        if len < bytes.len() && bytes[len] != b'x' && bytes[len].is_ascii_alphanumeric() {
            return Err("bad number".into());
        }
        let v = rest[..len]
            .parse::<f64>()
            .map_err(|e| format!("bad number {:?}: {e}", &rest[..len]))?;
        self.pos += len;
        Ok(v)
    }
}

/// Prometheus' `almostEqual`: true when both are NaN, when equal (so equal infinities),
/// or when the relative difference is below [`EPSILON`]; when either is zero (or the
/// difference is subnormal) the difference must be below `EPSILON * MIN_NORMAL`.
pub fn almost_equal(a: f64, b: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || diff < MIN_NORMAL {
        return diff < EPSILON * MIN_NORMAL;
    }
    diff / (a.abs() + b.abs()) < EPSILON
}

/// The `@` variants Prometheus' harness runs for an instant eval of `expr` at `t_ms`: the
/// expression with `@ <t in seconds>` set on every vector selector, matrix selector and
/// subquery that has no `@` yet (selectors inside a subquery are left alone), printed back
/// with `promql-parser`'s `Display`, each with the evaluation time to run it at
/// (`-10t, 0, t/5, t, 10t`, or `-1s, 0, 1s` when `t` is 0).
///
/// `Ok(vec![])` when the expression calls one of [`AT_MODIFIER_UNSAFE_FUNCTIONS`] outside
/// a subquery (Prometheus generates no variants then). `Err` when the variant can't be
/// produced faithfully: the expression does not parse, the time is negative, or the
/// printed text does not parse back to the same tree.
pub fn at_modifier_variants(expr: &str, t_ms: i64) -> Result<Vec<(String, i64)>, String> {
    let mut ast = promql_parser::parser::parse(expr).map_err(|e| format!("promql-parser: {e}"))?;
    let at_time = u64::try_from(t_ms)
        .ok()
        .and_then(|ms| SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .ok_or_else(|| format!("eval time {t_ms} ms can't be printed as an @ modifier"))?;
    let at = AtModifier::At(at_time);
    let mut unsafe_fn = false;
    set_at(&mut ast, &at, &mut unsafe_fn);
    if unsafe_fn {
        return Ok(Vec::new());
    }
    let printed = ast.to_string();
    let mut reparsed = promql_parser::parser::parse(&printed)
        .map_err(|e| format!("printed @ expression `{printed}` does not parse: {e}"))?;
    // Display sorts matchers and leaves out no-op clauses (`by ()`, `ignoring ()`).
    normalize(&mut ast);
    normalize(&mut reparsed);
    if reparsed != ast {
        return Err(format!(
            "printed @ expression `{printed}` does not parse back to the same tree"
        ));
    }
    let times = if t_ms == 0 {
        vec![-1000, 0, 1000]
    } else {
        vec![-10 * t_ms, 0, t_ms / 5, t_ms, 10 * t_ms]
    };
    Ok(times.into_iter().map(|t| (printed.clone(), t)).collect())
}

/// Sets `at` on selectors and subqueries without one (not descending into subqueries) and
/// notes calls of step-variant functions.
fn set_at(expr: &mut Expr, at: &AtModifier, unsafe_fn: &mut bool) {
    match expr {
        Expr::VectorSelector(vs) => {
            if vs.at.is_none() {
                vs.at = Some(at.clone());
            }
        }
        Expr::MatrixSelector(ms) => {
            if ms.vs.at.is_none() {
                ms.vs.at = Some(at.clone());
            }
        }
        Expr::Subquery(sq) => {
            // After this the subquery has an @, so Prometheus leaves everything below it
            // alone (including the step-variant function check).
            if sq.at.is_none() {
                sq.at = Some(at.clone());
            }
        }
        Expr::Aggregate(a) => {
            if let Some(p) = a.param.as_mut() {
                set_at(p, at, unsafe_fn);
            }
            set_at(&mut a.expr, at, unsafe_fn);
        }
        Expr::Unary(u) => set_at(&mut u.expr, at, unsafe_fn),
        Expr::Binary(b) => {
            set_at(&mut b.lhs, at, unsafe_fn);
            set_at(&mut b.rhs, at, unsafe_fn);
        }
        Expr::Paren(p) => set_at(&mut p.expr, at, unsafe_fn),
        Expr::Call(c) => {
            if AT_MODIFIER_UNSAFE_FUNCTIONS.contains(&c.func.name) {
                *unsafe_fn = true;
            }
            for arg in c.args.args.iter_mut() {
                set_at(arg, at, unsafe_fn);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// Brings a tree to the form its printed text parses back to: matchers sorted, no-op
/// `by ()` and `ignoring ()` clauses removed.
fn normalize(expr: &mut Expr) {
    fn sort_matchers(m: &mut promql_parser::label::Matchers) {
        let key =
            |m: &promql_parser::label::Matcher| (m.name.clone(), m.op.to_string(), m.value.clone());
        m.matchers.sort_by_key(key);
        for group in m.or_matchers.iter_mut() {
            group.sort_by_key(key);
        }
    }
    match expr {
        Expr::VectorSelector(vs) => sort_matchers(&mut vs.matchers),
        Expr::MatrixSelector(ms) => sort_matchers(&mut ms.vs.matchers),
        Expr::Subquery(sq) => normalize(&mut sq.expr),
        Expr::Aggregate(a) => {
            if matches!(&a.modifier, Some(LabelModifier::Include(l)) if l.is_empty()) {
                a.modifier = None;
            }
            if let Some(p) = a.param.as_mut() {
                normalize(p);
            }
            normalize(&mut a.expr);
        }
        Expr::Unary(u) => normalize(&mut u.expr),
        Expr::Binary(b) => {
            if let Some(m) = b.modifier.as_mut() {
                if matches!(&m.matching, Some(LabelModifier::Exclude(l)) if l.is_empty()) {
                    m.matching = None;
                }
            }
            if b.modifier.as_ref() == Some(&BinModifier::default()) {
                b.modifier = None;
            }
            normalize(&mut b.lhs);
            normalize(&mut b.rhs);
        }
        Expr::Paren(p) => normalize(&mut p.expr),
        Expr::Call(c) => {
            for arg in c.args.args.iter_mut() {
                normalize(arg);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// What happened to one eval case.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Every check passed.
    Pass,
    /// A check failed; the reason names the check.
    Fail(String),
}

/// The result of one eval case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseReport {
    /// 1-based line of the `eval` command.
    pub line: usize,
    /// The expression.
    pub expr: String,
    /// What happened.
    pub outcome: Outcome,
    /// Checks that were left out although the case ran (e.g. an `@` variant that could not
    /// be printed); they do not change the outcome.
    pub notes: Vec<String>,
}

/// The result of running a script.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScriptReport {
    /// Every eval case, in script order.
    pub cases: Vec<CaseReport>,
    /// Why the script could not be parsed (then `cases` is empty).
    pub parse_error: Option<String>,
}

impl ScriptReport {
    /// Number of passed cases.
    pub fn passed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.outcome == Outcome::Pass)
            .count()
    }

    /// Number of failed cases.
    pub fn failed(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail(_)))
            .count()
    }
}

/// Runs a test script against `engine` over a fresh [`MemStorage`], checking every eval
/// case as Prometheus' v2.42 harness does and reporting each case on its own (an engine
/// error or panic fails that case only).
///
/// Per case, for the expression at its time and then for each of its
/// [`at_modifier_variants`]:
/// - `eval_fail`: the instant query must fail (nothing else is checked for it);
/// - otherwise the instant result must match the expected result (values compared with
///   [`almost_equal`], samples matched by label set, positions checked for
///   `eval_ordered`), then the range query `t-1m..t+1m` step 1m must succeed and, except
///   for `eval_ordered`, its points at `t` must match the expected result too (the first
///   series' point when the instant result is a scalar).
///
/// The harness ran its engine with max samples 10000, lookback 5m, default subquery step
/// 1m: build `engine` with those to compare like with like.
pub fn run_script(engine: &Engine, text: &str) -> ScriptReport {
    let cmds = match parse_script(text) {
        Ok(cmds) => cmds,
        Err(e) => {
            return ScriptReport {
                cases: Vec::new(),
                parse_error: Some(e),
            }
        }
    };
    let mut storage = MemStorage::new();
    let mut cases = Vec::new();
    for cmd in cmds {
        match cmd {
            Command::Clear => storage.clear(),
            Command::Load { series, .. } => {
                for (labels, samples) in series {
                    storage.add(labels, &samples);
                }
            }
            Command::Eval {
                kind,
                at_ms,
                expr,
                expected,
                line,
            } => {
                let mut notes = Vec::new();
                let outcome = run_case(engine, &storage, kind, at_ms, &expr, &expected, &mut notes);
                cases.push(CaseReport {
                    line,
                    expr,
                    outcome,
                    notes,
                });
            }
        }
    }
    ScriptReport {
        cases,
        parse_error: None,
    }
}

/// Checks one eval case.
fn run_case(
    engine: &Engine,
    storage: &MemStorage,
    kind: EvalKind,
    at_ms: i64,
    expr: &str,
    expected: &[Expected],
    notes: &mut Vec<String>,
) -> Outcome {
    if let Err(reason) = check_query(engine, storage, kind, expr, at_ms, expected, "instant") {
        return Outcome::Fail(reason);
    }
    match at_modifier_variants(expr, at_ms) {
        Ok(variants) => {
            for (variant, t) in variants {
                let what = format!("@ variant `{variant}` at {}", fmt_time(t));
                if let Err(reason) =
                    check_query(engine, storage, kind, &variant, t, expected, &what)
                {
                    return Outcome::Fail(reason);
                }
            }
        }
        Err(e) => notes.push(format!("@ variants not run: {e}")),
    }
    Outcome::Pass
}

/// One query of a case (the original or an `@` variant) at `t`: the instant check and,
/// when it applies, the range check. `what` names the query in failure reasons.
fn check_query(
    engine: &Engine,
    storage: &MemStorage,
    kind: EvalKind,
    expr: &str,
    t: i64,
    expected: &[Expected],
    what: &str,
) -> Result<(), String> {
    let result = guarded(|| engine.instant(storage, expr, t));
    let value = match (kind, result) {
        (EvalKind::Fail, Err(_)) => return Ok(()),
        (EvalKind::Fail, Ok(_)) => return Err(format!("{what}: expected an error but got none")),
        (_, Err(e)) => return Err(format!("{what}: error evaluating query: {e}")),
        (_, Ok(v)) => v,
    };
    compare_result(expected, kind == EvalKind::Ordered, &value)
        .map_err(|e| format!("{what}: {e}"))?;

    // Range mode: the middle step must give the same result.
    let range = guarded(|| engine.range(storage, expr, t - 60_000, t + 60_000, 60_000))
        .map_err(|e| format!("{what}, range mode: error evaluating query: {e}"))?;
    if kind == EvalKind::Ordered {
        // Ordering isn't defined for range queries.
        return Ok(());
    }
    let series = match range {
        Value::Matrix(series) => series,
        other => {
            return Err(format!(
                "{what}, range mode: expected a matrix, got {}",
                value_kind(&other)
            ))
        }
    };
    let vector: Vec<Sample> = series
        .iter()
        .filter_map(|s| {
            s.points
                .iter()
                .find(|(pt, _)| *pt == t)
                .map(|(pt, v)| Sample::float(s.labels.clone(), *pt, *v))
        })
        .collect();
    let mid = if matches!(value, Value::Scalar { .. }) {
        match vector.first() {
            Some(s) => Value::Scalar { t, v: s.v },
            None => return Err(format!("{what}, range mode: no point at {}", fmt_time(t))),
        }
    } else {
        Value::Vector(vector)
    };
    compare_result(expected, false, &mid).map_err(|e| format!("{what}, range mode: {e}"))
}

/// Runs `f`, turning a panic into an error.
fn guarded(f: impl FnOnce() -> mnemos_promql::Result<Value>) -> Result<Value, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_string());
            Err(format!("engine panicked: {msg}"))
        }
    }
}

/// Compares a result with the expected lines (Prometheus' `compareResult`, plus a size
/// check so duplicate result series are caught).
fn compare_result(expected: &[Expected], ordered: bool, result: &Value) -> Result<(), String> {
    let scalar = expected.iter().find_map(|e| match e {
        Expected::Scalar(v) => Some(*v),
        Expected::Sample { .. } => None,
    });
    match result {
        Value::Matrix(_) => Err("received range result on instant evaluation".into()),
        Value::String { v, .. } => Err(format!("unexpected string result {v:?}")),
        Value::Scalar { v, .. } => match (scalar, expected.len()) {
            (Some(e), 1) => {
                if almost_equal(e, *v) {
                    Ok(())
                } else {
                    Err(format!(
                        "expected scalar {} but got {}",
                        fmt_f64(e),
                        fmt_f64(*v)
                    ))
                }
            }
            _ => Err(format!(
                "expected a vector of {} samples but got scalar {}",
                expected.len(),
                fmt_f64(*v)
            )),
        },
        Value::Vector(samples) => {
            if let Some(e) = scalar {
                return Err(format!(
                    "expected scalar {} but got a vector of {} samples",
                    fmt_f64(e),
                    samples.len()
                ));
            }
            // label set -> (1-based position, value); a later duplicate line wins.
            let mut want: HashMap<&Labels, (usize, f64)> = HashMap::new();
            for (i, e) in expected.iter().enumerate() {
                if let Expected::Sample { labels, value } = e {
                    want.insert(labels, (i + 1, *value));
                }
            }
            let mut seen: HashMap<&Labels, usize> = HashMap::new();
            for (i, s) in samples.iter().enumerate() {
                let Some(&(pos, v)) = want.get(&s.labels) else {
                    return Err(format!("unexpected metric {} in result", s.labels));
                };
                if ordered && pos != i + 1 {
                    return Err(format!(
                        "expected metric {} with {} at position {pos} but was at {}",
                        s.labels,
                        fmt_f64(v),
                        i + 1
                    ));
                }
                if !almost_equal(v, s.v) {
                    return Err(format!(
                        "expected {} for {} but got {}",
                        fmt_f64(v),
                        s.labels,
                        fmt_f64(s.v)
                    ));
                }
                *seen.entry(&s.labels).or_default() += 1;
            }
            for e in expected {
                if let Expected::Sample { labels, value } = e {
                    if !seen.contains_key(labels) {
                        return Err(format!(
                            "expected metric {labels} with {} not found; result: {}",
                            fmt_f64(*value),
                            fmt_samples(samples)
                        ));
                    }
                }
            }
            if let Some((labels, n)) = seen.iter().find(|(_, n)| **n > 1) {
                return Err(format!("metric {labels} appears {n} times in the result"));
            }
            Ok(())
        }
    }
}

/// A short name of a value's type.
fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Scalar { .. } => "scalar",
        Value::String { .. } => "string",
        Value::Vector(_) => "vector",
        Value::Matrix(_) => "matrix",
    }
}

/// Formats a value for messages (`+Inf`, `-Inf`, `NaN`, shortest round-trip otherwise).
fn fmt_f64(v: f64) -> String {
    if v.is_nan() {
        if v.to_bits() == STALE_NAN_BITS {
            "StaleNaN".into()
        } else {
            "NaN".into()
        }
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v:?}")
    }
}

/// Formats a time (ms) for messages, as seconds.
fn fmt_time(t: i64) -> String {
    if t % 1000 == 0 {
        format!("{}s", t / 1000)
    } else {
        format!("{}ms", t)
    }
}

/// Formats a result vector for messages (at most 10 samples).
fn fmt_samples(samples: &[Sample]) -> String {
    let mut s = format!("{} samples", samples.len());
    for (i, smp) in samples.iter().enumerate() {
        if i == 10 {
            s.push_str(" ...");
            break;
        }
        let _ = write!(
            s,
            "{} {}{}",
            if i == 0 { ":" } else { ";" },
            smp.labels,
            fmt_f64(smp.v)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(text: &str) -> Vec<Option<f64>> {
        match parse_values(text) {
            Ok(v) => v,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn value_expansions() {
        assert_eq!(
            vals("0+10x3"),
            vec![Some(0.0), Some(10.0), Some(20.0), Some(30.0)]
        );
        assert_eq!(vals("1-2x2"), vec![Some(1.0), Some(-1.0), Some(-3.0)]);
        assert_eq!(vals("8000-10x1"), vec![Some(8000.0), Some(7990.0)]);
        assert_eq!(vals("5x2"), vec![Some(5.0); 3]);
        // No hexadecimal in series values: `0x10` is 0 repeated.
        assert_eq!(vals("0x10"), vec![Some(0.0); 11]);
        assert_eq!(vals("3+0x2"), vec![Some(3.0); 3]);
        assert_eq!(
            vals("0+1.33x2"),
            vec![Some(0.0), Some(1.33), Some(1.33 + 1.33)]
        );
        assert_eq!(vals("1 2  3"), vec![Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(
            vals(".5 2. 1e3 9.9e+307 4.5e-05 +7 -7"),
            vec![
                Some(0.5),
                Some(2.0),
                Some(1000.0),
                Some(9.9e307),
                Some(4.5e-5),
                Some(7.0),
                Some(-7.0)
            ]
        );
        assert_eq!(
            vals("0 0+10x1 100"),
            vec![Some(0.0), Some(0.0), Some(10.0), Some(100.0)]
        );
        assert!(vals("").is_empty());
    }

    #[test]
    fn special_values() {
        let v = vals("Inf -Inf +Inf inf NaN nan");
        assert_eq!(v[0], Some(f64::INFINITY));
        assert_eq!(v[1], Some(f64::NEG_INFINITY));
        assert_eq!(v[2], Some(f64::INFINITY));
        assert_eq!(v[3], Some(f64::INFINITY));
        assert!(v[4].is_some_and(f64::is_nan));
        assert!(v[5].is_some_and(f64::is_nan));
    }

    #[test]
    fn skips_and_stale() {
        let v = vals("0 1 stale 2 _ _x3 4");
        assert_eq!(v.len(), 9);
        assert_eq!(v[..2], [Some(0.0), Some(1.0)]);
        assert_eq!(v[2].map(f64::to_bits), Some(STALE_NAN_BITS));
        assert_eq!(v[3], Some(2.0));
        assert_eq!(v[4..8], [None; 4]);
        assert_eq!(v[8], Some(4.0));
    }

    #[test]
    fn bad_values() {
        for bad in [
            "1+2", "abc", "1x", "1+x3", "0xff", "1..2", "_x", "stalex2", "1+2x3y",
        ] {
            assert!(parse_values(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn series_descriptions() {
        let (l, v) = parse_series_desc(
            r#"http_requests{job="api-server", instance="0", group="production"}	0+10x2"#,
        )
        .expect("parses");
        assert_eq!(
            l,
            labels(&[
                ("__name__", "http_requests"),
                ("job", "api-server"),
                ("instance", "0"),
                ("group", "production")
            ])
        );
        assert_eq!(v, vec![Some(0.0), Some(10.0), Some(20.0)]);

        let (l, _) = parse_series_desc(r#"{__name__="metric"} 1"#).expect("parses");
        assert_eq!(l, labels(&[("__name__", "metric")]));
        let (l, _) = parse_series_desc("{} 1").expect("parses");
        assert!(l.is_empty());
        let (l, _) = parse_series_desc("trigy{} 10").expect("parses");
        assert_eq!(l, labels(&[("__name__", "trigy")]));
        let (l, _) = parse_series_desc("metric 0 1").expect("parses");
        assert_eq!(l, labels(&[("__name__", "metric")]));
        let (l, _) = parse_series_desc(r#"node_namespace_pod:kube_pod_info:{namespace="o"} 1"#)
            .expect("parses");
        assert_eq!(
            l,
            labels(&[
                ("__name__", "node_namespace_pod:kube_pod_info:"),
                ("namespace", "o")
            ])
        );
        // Empty values drop the label; a trailing comma is fine; keywords as names.
        let (l, _) = parse_series_desc(r#"sum{a="", by="x",} 1"#).expect("parses");
        assert_eq!(l, labels(&[("__name__", "sum"), ("by", "x")]));
    }

    #[test]
    fn label_escapes() {
        let (l, v) =
            parse_series_desc(r#"m{a="q\"uo}te", b='single', c="back\\slash\n", d=`raw\n`} 3"#)
                .expect("parses");
        assert_eq!(l.get("a"), Some("q\"uo}te"));
        assert_eq!(l.get("b"), Some("single"));
        assert_eq!(l.get("c"), Some("back\\slash\n"));
        assert_eq!(l.get("d"), Some("raw\\n"));
        assert_eq!(v, vec![Some(3.0)]);
    }

    #[test]
    fn bad_series() {
        for bad in [
            r#"m{a=~"b"} 1"#,
            r#"m{a!="b"} 1"#,
            r#"m{a="b" 1"#,
            "1 2",
            r#"m{a="b"}1"#,
        ] {
            assert!(parse_series_desc(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn go_numbers() {
        assert_eq!(parse_go_number("3000"), Some(3000.0));
        assert_eq!(parse_go_number("-1"), Some(-1.0));
        assert_eq!(parse_go_number("0.001"), Some(0.001));
        assert_eq!(parse_go_number("0x10"), Some(16.0));
        assert_eq!(parse_go_number("010"), Some(8.0));
        assert_eq!(parse_go_number("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_go_number("-Inf"), Some(f64::NEG_INFINITY));
        assert!(parse_go_number("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_go_number("1e-9"), Some(1e-9));
        assert_eq!(
            parse_go_number("9999999999999999999"),
            Some(9999999999999999999.0)
        );
        assert_eq!(parse_go_number("{} 1"), None);
        assert_eq!(parse_go_number("x 1"), None);
        assert_eq!(parse_go_number("1_000"), None);
    }

    #[test]
    fn script_commands() {
        let script = "\
# comment
load 5m
  a{x=\"1\"} 0+1x2
  b 1 _ 3
  a{x=\"1\"} 7

eval instant at 10m a
  a{x=\"1\"} 7

eval_fail instant at 0m  foo(

eval_ordered instant at 1h sort(a)
  {x=\"1\"} 2
  a{x=\"2\"} +Inf

eval instant at 50m 1 + 1
  2
clear
eval instant at 0s time()
\t0
";
        let cmds = parse_script(script).expect("parses");
        assert_eq!(cmds.len(), 7);
        assert_eq!(
            cmds[0],
            Command::Load {
                interval_ms: 300_000,
                series: vec![
                    (labels(&[("__name__", "a"), ("x", "1")]), vec![(0, 7.0)]),
                    (labels(&[("__name__", "b")]), vec![(0, 1.0), (600_000, 3.0)]),
                ],
            }
        );
        assert_eq!(
            cmds[1],
            Command::Eval {
                kind: EvalKind::Instant,
                at_ms: 600_000,
                expr: "a".into(),
                expected: vec![Expected::Sample {
                    labels: labels(&[("__name__", "a"), ("x", "1")]),
                    value: 7.0
                }],
                line: 7,
            }
        );
        // eval_fail with no expected lines; the next eval follows directly.
        assert_eq!(
            cmds[2],
            Command::Eval {
                kind: EvalKind::Fail,
                at_ms: 0,
                expr: "foo(".into(),
                expected: vec![],
                line: 10,
            }
        );
        // As in Prometheus, only a blank line ends an expected block.
        assert!(parse_script("eval_fail instant at 0m foo(\neval instant at 0m 1\n").is_err());
        match &cmds[3] {
            Command::Eval {
                kind,
                expected,
                line,
                ..
            } => {
                assert_eq!(*kind, EvalKind::Ordered);
                assert_eq!(*line, 12);
                assert_eq!(expected.len(), 2);
                assert_eq!(
                    expected[1],
                    Expected::Sample {
                        labels: labels(&[("__name__", "a"), ("x", "2")]),
                        value: f64::INFINITY
                    }
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        // A scalar ends the block: `clear` right after it is a command.
        match &cmds[4] {
            Command::Eval { expr, expected, .. } => {
                assert_eq!(expr, "1 + 1");
                assert_eq!(expected, &vec![Expected::Scalar(2.0)]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(cmds[5], Command::Clear);
        match &cmds[6] {
            Command::Eval { expected, .. } => assert_eq!(expected, &vec![Expected::Scalar(0.0)]),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn comment_ends_expected_block() {
        let cmds = parse_script("eval instant at 0s a\n  {} 1\n# c\n  {} 2\n");
        let err = cmds.expect_err("the line after the comment is not a command");
        assert!(err.starts_with("line 4:"), "{err}");
    }

    #[test]
    fn script_errors_have_lines() {
        let err = parse_script("\n\nload 5x\n").expect_err("bad interval");
        assert!(err.starts_with("line 3:"), "{err}");
        let err = parse_script("load 5m\n  a 1+x\n").expect_err("bad value");
        assert!(err.starts_with("line 2:"), "{err}");
        let err = parse_script("eval instant at 1m a\n  {} 1 2\n").expect_err("two values");
        assert!(err.starts_with("line 2:"), "{err}");
        let err = parse_script("evaluate instant 1m a\n").expect_err("bad eval");
        assert!(err.starts_with("line 1:"), "{err}");
        let err = parse_script("frobnicate\n").expect_err("bad command");
        assert!(err.starts_with("line 1:"), "{err}");
    }

    #[test]
    fn almost_equal_semantics() {
        assert!(almost_equal(f64::NAN, f64::NAN));
        assert!(almost_equal(f64::NAN, f64::from_bits(STALE_NAN_BITS)));
        assert!(!almost_equal(f64::NAN, 1.0));
        assert!(almost_equal(f64::INFINITY, f64::INFINITY));
        assert!(!almost_equal(f64::INFINITY, f64::NEG_INFINITY));
        assert!(!almost_equal(f64::INFINITY, f64::MAX));
        assert!(almost_equal(1.0, 1.0 + 1e-7));
        assert!(!almost_equal(1.0, 1.0 + 1e-5));
        assert!(almost_equal(2.517857143, 141.0 / 56.0));
        assert!(almost_equal(0.0, -0.0));
        assert!(!almost_equal(0.0, 1e-300));
        assert!(almost_equal(0.0, 1e-323));
    }

    #[test]
    fn at_variants() {
        let v = at_modifier_variants("rate(m[5m]) + sum(n @ 10) + o", 100_000).expect("variants");
        assert_eq!(v.len(), 5);
        assert_eq!(
            v[0].0,
            "rate(m[5m] @ 100.000) + sum(n @ 10.000) + o @ 100.000"
        );
        let times: Vec<i64> = v.iter().map(|(_, t)| *t).collect();
        assert_eq!(times, vec![-1_000_000, 0, 20_000, 100_000, 1_000_000]);

        let v = at_modifier_variants("1 + 1", 0).expect("variants");
        let times: Vec<i64> = v.iter().map(|(_, t)| *t).collect();
        assert_eq!(times, vec![-1000, 0, 1000]);

        // Subqueries get the @, what is inside them is left alone.
        let v = at_modifier_variants("sum_over_time(minute(m)[5m:1m])", 60_000).expect("variants");
        assert_eq!(v[0].0, "sum_over_time(minute(m)[5m:1m] @ 60.000)");

        // Step-variant functions outside subqueries: no variants.
        assert_eq!(at_modifier_variants("time()", 60_000), Ok(vec![]));
        assert_eq!(at_modifier_variants("timestamp(m)", 60_000), Ok(vec![]));
        assert!(at_modifier_variants("foo(", 0).is_err());

        // Printing sorts matchers and drops no-op clauses; that still counts as the same.
        for (expr, printed) in [
            (
                r#"sum by () (m{b="1", a="2"})"#,
                r#"sum(m{a="2",b="1"} @ 1.000)"#,
            ),
            ("a + ignoring() b", "a @ 1.000 + b @ 1.000"),
            ("a and on() b", "a @ 1.000 and on () b @ 1.000"),
            ("-a ^ 2", "-a @ 1.000 ^ 2"),
            ("(-a) ^ 2", "(-a @ 1.000) ^ 2"),
        ] {
            let v = at_modifier_variants(expr, 1000).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(v[0].0, printed, "{expr}");
        }
    }

    #[test]
    fn compare_results() {
        let exp = vec![
            Expected::Sample {
                labels: labels(&[("a", "1")]),
                value: 1.0,
            },
            Expected::Sample {
                labels: labels(&[("a", "2")]),
                value: f64::NAN,
            },
        ];
        let s = |a: &str, v: f64| Sample::float(labels(&[("a", a)]), 0, v);
        assert_eq!(
            compare_result(
                &exp,
                false,
                &Value::Vector(vec![s("2", f64::NAN), s("1", 1.0)])
            ),
            Ok(())
        );
        assert!(compare_result(
            &exp,
            true,
            &Value::Vector(vec![s("2", f64::NAN), s("1", 1.0)])
        )
        .is_err());
        assert_eq!(
            compare_result(
                &exp,
                true,
                &Value::Vector(vec![s("1", 1.0), s("2", f64::NAN)])
            ),
            Ok(())
        );
        assert!(compare_result(&exp, false, &Value::Vector(vec![s("1", 1.0)])).is_err());
        assert!(
            compare_result(&exp, false, &Value::Vector(vec![s("1", 1.0), s("2", 0.0)])).is_err()
        );
        assert!(compare_result(
            &exp,
            false,
            &Value::Vector(vec![s("1", 1.0), s("2", f64::NAN), s("1", 1.0)])
        )
        .is_err());
        assert!(compare_result(&exp, false, &Value::Scalar { t: 0, v: 1.0 }).is_err());
        assert_eq!(compare_result(&[], false, &Value::Vector(vec![])), Ok(()));
        assert_eq!(
            compare_result(
                &[Expected::Scalar(2.0)],
                false,
                &Value::Scalar { t: 0, v: 2.0 }
            ),
            Ok(())
        );
        assert!(compare_result(
            &[Expected::Scalar(2.0)],
            false,
            &Value::Scalar { t: 0, v: 3.0 }
        )
        .is_err());
        assert!(compare_result(&[Expected::Scalar(2.0)], false, &Value::Vector(vec![])).is_err());
        assert!(compare_result(&[], false, &Value::Matrix(vec![])).is_err());
    }

    #[test]
    fn runner_reports_each_case() {
        // The engine may not be complete; whatever it does, every case gets a report.
        let script = "load 1m\n  m 1 2 3\n\neval instant at 1m m\n  m 2\n\neval_fail instant at 0s m +\n\neval instant at 0s 1\n  1\n";
        let report = run_script(&Engine::default(), script);
        assert_eq!(report.parse_error, None);
        assert_eq!(report.cases.len(), 3);
        assert_eq!(report.cases[0].line, 4);
        // `m +` doesn't parse, so it fails whatever the engine's state.
        assert_eq!(report.cases[1].outcome, Outcome::Pass);
        assert_eq!(report.passed() + report.failed(), 3);

        let report = run_script(&Engine::default(), "bogus\n");
        assert!(report.parse_error.is_some());
        assert!(report.cases.is_empty());
    }
}
