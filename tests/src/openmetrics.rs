//! Deterministic OpenMetrics test data for `promtool tsdb create-blocks-from
//! openmetrics`: irregular intervals, gaps spanning several 2h blocks, counter
//! resets, NaN, ±Inf, huge and tiny values, many label names, unicode values.

use std::fmt::Write;

use mnemos_tsdb::testdata::Rng;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    /// PRNG seed: the same spec always gives the same text.
    pub seed: u64,
    /// Number of series (spread over a gauge, a counter and a special-values family).
    pub series: usize,
    /// Samples per series.
    pub samples_per_series: usize,
    /// Extra label names per series (`l00`, `l01`, …) with unicode values.
    pub label_names: usize,
    /// First timestamp (ms).
    pub start_ms: i64,
    /// Largest regular gap between samples (ms); occasional multi-hour gaps are added.
    pub max_step_ms: i64,
}

impl Spec {
    /// Six series of 60 samples (steps up to 30 s) from `hours_ago` hours before now: a
    /// small recent block for a Prometheus to hold.
    pub fn recent(seed: u64, hours_ago: i64) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self {
            seed,
            series: 6,
            samples_per_series: 60,
            label_names: 0,
            start_ms: now_ms - hours_ago * 3_600_000,
            max_step_ms: 30_000,
        }
    }
}

const UNICODE_VALUES: &[&str] = &[
    "ünïcödé ✓",
    "日本語",
    "emoji 😀🚀",
    "quote \\\" and backslash \\\\",
    "new\\nline",
    "tab\there",
    "Ελληνικά",
    "العربية",
    "zero\u{200b}width",
    "nbsp\u{a0}space",
    "plain",
];

/// Values that stress float handling; the stale-marker NaN cannot be written in
/// OpenMetrics, real Prometheus blocks cover it.
pub const SPECIAL_VALUES: &[f64] = &[
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MAX,
    f64::MIN_POSITIVE,
    5e-324,
    1e-300,
    -0.0,
    0.0,
    -1e300,
    1.2345678901234569e23,
    0.1,
    1e-7,
    123456.0,
    1e21,
    -42.5,
];

/// A sample value as OpenMetrics text (`NaN`, `+Inf`, `-Inf`, or exponent notation).
pub fn om_value(v: f64) -> String {
    match mnemos_tsdb::gofmt::special_float(v) {
        Some(s) => s.to_string(),
        None => format!("{v:e}"),
    }
}

fn om_timestamp(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// Generates the OpenMetrics text (ends with `# EOF`).
pub fn generate(spec: &Spec) -> String {
    let mut rng = Rng(spec.seed);
    let families: [(&str, &str, &str); 3] = [
        ("mnemos_gauge", "gauge", ""),
        ("mnemos_requests", "counter", "_total"),
        ("mnemos_special", "gauge", ""),
    ];
    let mut out = String::new();
    for (fi, (family, kind, suffix)) in families.iter().enumerate() {
        let _ = writeln!(out, "# HELP {family} Test data family {fi}.");
        let _ = writeln!(out, "# TYPE {family} {kind}");
        for s in (0..spec.series).filter(|s| s % families.len() == fi) {
            let mut labels = format!(
                "job=\"job{}\",instance=\"host-{s}:9100\",series=\"{s}\"",
                s % 7
            );
            for k in 0..spec.label_names {
                let v = UNICODE_VALUES[(s + k) % UNICODE_VALUES.len()];
                let _ = write!(labels, ",l{k:02}=\"{v} {k}\"");
            }
            let mut t = spec.start_ms + rng.below(60_000) as i64;
            let mut counter = 0.0f64;
            let mut gauge = rng.unit() * 100.0 - 50.0;
            for i in 0..spec.samples_per_series {
                let v = match *kind {
                    "counter" => {
                        if rng.below(20) == 0 {
                            counter = (rng.below(3)) as f64; // counter reset
                        } else {
                            counter += (rng.below(1000) as f64) / 4.0;
                        }
                        counter
                    }
                    _ if fi == 2 => SPECIAL_VALUES[(i + s) % SPECIAL_VALUES.len()],
                    _ => {
                        gauge += (rng.unit() - 0.5) * 3.0;
                        (gauge * 1000.0).round() / 1000.0
                    }
                };
                let _ = writeln!(
                    out,
                    "{family}{suffix}{{{labels}}} {} {}",
                    om_value(v),
                    om_timestamp(t)
                );
                // Irregular steps, occasionally a gap of a few hours.
                t += 1 + rng.below((spec.max_step_ms as u64).max(1)) as i64;
                if rng.below(200) == 0 {
                    t += 3_600_000 + rng.below(3 * 3_600_000) as i64;
                }
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Writes the generated text to `path`.
pub fn write(spec: &Spec, path: &std::path::Path) {
    std::fs::write(path, generate(spec)).expect("write openmetrics file");
}
