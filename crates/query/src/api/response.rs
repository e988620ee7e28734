//! Responses in Prometheus' JSON, byte for byte: the `{"status","data","errorType","error",
//! "warnings"}` envelope, values as Go formats them (`'f'`, or `'e'` below 1e-6 and from
//! 1e21 on, `NaN`, `+Inf`, `-Inf`), timestamps as seconds with milliseconds only when there
//! are some, and strings escaped as Go's `encoding/json` escapes them.

use std::fmt::Write;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mnemos_promql::value::histogram_json;
use mnemos_promql::{Sample, Series, Value};
use mnemos_tsdb::gofmt::{format_e, format_f, special_float};
use mnemos_tsdb::histogram::FloatHistogram;
use mnemos_tsdb::Labels;

/// Prometheus' error types with their HTTP codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// 400.
    BadData,
    /// 422.
    Execution,
    /// 503.
    Timeout,
    /// 503.
    Unavailable,
    /// 503: the client went away.
    Canceled,
    /// 500.
    Internal,
    /// 404.
    NotFound,
}

impl ErrorType {
    fn name(self) -> &'static str {
        match self {
            Self::BadData => "bad_data",
            Self::Execution => "execution",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
            Self::Canceled => "canceled",
            Self::Internal => "internal",
            Self::NotFound => "not_found",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::BadData => StatusCode::BAD_REQUEST,
            Self::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Timeout | Self::Unavailable | Self::Canceled => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

/// An API error: type and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The type (and so the HTTP code).
    pub kind: ErrorType,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// A `bad_data` error.
    pub fn bad_data(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorType::BadData,
            message: message.into(),
        }
    }

    /// `invalid parameter "name": reason`, as Prometheus reports a bad parameter.
    pub fn invalid_param(name: &str, reason: &str) -> Self {
        Self::bad_data(format!("invalid parameter {}: {reason}", quote(name)))
    }

    /// An error of `kind`.
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = String::from(r#"{"status":"error","errorType":"#);
        push_str(&mut body, self.kind.name());
        body.push_str(r#","error":"#);
        push_str(&mut body, &self.message);
        body.push('}');
        json_response(self.kind.status(), body)
    }
}

/// A `success` answer with `data` (already JSON) and warnings; with warnings it is marked
/// `Cache-Control: no-store`.
pub fn success(data: &str, warnings: &[String]) -> Response {
    let mut body = String::with_capacity(data.len() + 64);
    body.push_str(r#"{"status":"success","data":"#);
    body.push_str(data);
    if !warnings.is_empty() {
        body.push_str(r#","warnings":["#);
        for (i, w) in warnings.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            push_str(&mut body, w);
        }
        body.push(']');
    }
    body.push('}');
    let mut response = json_response(StatusCode::OK, body);
    if !warnings.is_empty() {
        // A partial answer: no cache in front (a query-frontend) may keep it, as Thanos'
        // querier marks it.
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn quote(s: &str) -> String {
    let mut out = String::new();
    push_str(&mut out, s);
    out
}

/// Appends `s` as a JSON string, escaped as Go's `encoding/json` does (HTML-safe).
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let plain = |b: u8| b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&' | 0xe2);
    if s.bytes().all(plain) {
        // Nothing to escape (0xe2 starts U+2028/U+2029): one copy.
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a list of strings as a JSON array.
pub fn push_str_array(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, s);
    }
    out.push(']');
}

/// Appends labels as a JSON object in label order.
pub fn push_labels(out: &mut String, labels: &Labels) {
    out.push('{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, &l.name);
        out.push(':');
        push_str(out, &l.value);
    }
    out.push('}');
}

/// A sample value as Prometheus writes it (a JSON string).
pub fn format_value(v: f64) -> String {
    let mut out = String::new();
    push_value(&mut out, v);
    out
}

/// Appends a sample value as Prometheus writes it, without quotes.
fn push_value(out: &mut String, v: f64) {
    if let Some(s) = special_float(v) {
        out.push_str(s);
        return;
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        out.push_str(&format_e(v));
    } else {
        // Go's 'f' with precision -1: Rust's `{v}` but for ties, which Go rounds to even.
        out.push_str(&format_f(v));
    }
}

/// Appends a timestamp (ms) as seconds: `1700000000`, or `1700000000.5` → `1700000000.500`.
pub fn push_timestamp(out: &mut String, t: i64) {
    if t < 0 {
        out.push('-');
    }
    let a = t.unsigned_abs();
    let _ = write!(out, "{}", a / 1000);
    let frac = a % 1000;
    if frac != 0 {
        let _ = write!(out, ".{frac:03}");
    }
}

fn push_point(out: &mut String, t: i64, v: f64) {
    out.push('[');
    push_timestamp(out, t);
    out.push_str(",\"");
    push_value(out, v);
    out.push_str("\"]");
}

/// Appends `[t,{"count":…,"sum":…,"buckets":[…]}]`, a native histogram as Prometheus
/// writes it.
fn push_histogram_point(out: &mut String, t: i64, h: &FloatHistogram) {
    out.push('[');
    push_timestamp(out, t);
    out.push(',');
    out.push_str(&histogram_json(h, format_value));
    out.push(']');
}

fn push_sample(out: &mut String, s: &Sample) {
    out.push_str(r#"{"metric":"#);
    push_labels(out, &s.labels);
    match &s.h {
        Some(h) => {
            out.push_str(r#","histogram":"#);
            push_histogram_point(out, s.t, h);
        }
        None => {
            out.push_str(r#","value":"#);
            push_point(out, s.t, s.v);
        }
    }
    out.push('}');
}

/// A matrix series: `"values"` (float points) and `"histograms"` (histogram points), each
/// left out when empty, as Prometheus 2.42 writes them.
fn push_series(out: &mut String, s: &Series) {
    out.push_str(r#"{"metric":"#);
    push_labels(out, &s.labels);
    if !s.points.is_empty() {
        out.push_str(r#","values":["#);
        for (i, (t, v)) in s.points.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_point(out, *t, *v);
        }
        out.push(']');
    }
    if !s.histograms.is_empty() {
        out.push_str(r#","histograms":["#);
        for (i, (t, h)) in s.histograms.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_histogram_point(out, *t, h);
        }
        out.push(']');
    }
    out.push('}');
}

/// A query result as the `data` of `/api/v1/query(_range)`.
pub fn query_data(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Scalar { t, v } => {
            out.push_str(r#"{"resultType":"scalar","result":"#);
            push_point(&mut out, *t, *v);
        }
        Value::String { t, v } => {
            out.push_str(r#"{"resultType":"string","result":["#);
            push_timestamp(&mut out, *t);
            out.push(',');
            push_str(&mut out, v);
            out.push(']');
        }
        Value::Vector(samples) => {
            out.push_str(r#"{"resultType":"vector","result":["#);
            for (i, s) in samples.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_sample(&mut out, s);
            }
            out.push(']');
        }
        Value::Matrix(series) => {
            out.push_str(r#"{"resultType":"matrix","result":["#);
            for (i, s) in series.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_series(&mut out, s);
            }
            out.push(']');
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_timestamps_format_like_prometheus() {
        let cases = [
            (1.0, "1"),
            (0.1, "0.1"),
            (1e-7, "1e-07"),
            (1.5e21, "1.5e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (-0.0, "-0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(format_value(v), want, "{v}");
        }
        let ts = |t| {
            let mut s = String::new();
            push_timestamp(&mut s, t);
            s
        };
        assert_eq!(ts(1_700_000_000_000), "1700000000");
        assert_eq!(ts(1_700_000_000_500), "1700000000.500");
        assert_eq!(ts(1_700_000_000_007), "1700000000.007");
        assert_eq!(ts(-1500), "-1.500");
    }

    #[test]
    fn values_in_the_f_range_are_go_f_format() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let v = f64::from_bits(rng);
            if !v.is_finite() || (v != 0.0 && !(1e-6..1e21).contains(&v.abs())) {
                continue;
            }
            assert_eq!(format_value(v), format_f(v), "{v:e}");
            // Rust's own text differs only on ties, and reads back the same.
            assert_eq!(format_value(v).parse::<f64>().ok(), Some(v));
        }
        // Halfway between two 17-digit decimals: Go (and Prometheus) take the even one.
        let tie = (234_142_914_464u64 * 64 + 1) as f64 / 64.0;
        assert_eq!(format!("{tie}"), "234142914464.01563");
        assert_eq!(format_value(tie), "234142914464.01562");
        for v in [
            0.1,
            1e-6,
            123.456,
            1e20,
            999999999999999900000.0,
            -0.0,
            5e-324_f64.max(1e-6),
        ] {
            assert_eq!(format_value(v), format_f(v));
        }
    }

    #[test]
    fn strings_escape_like_go() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\n<&>\u{1}é");
        assert_eq!(s, r#""a\"b\\c\n\u003c\u0026\u003e\u0001é""#);
    }

    #[test]
    fn vectors_render_in_prometheus_shape() {
        let v = Value::Vector(vec![Sample::float(
            Labels::from_pairs([("__name__", "up"), ("job", "a")]),
            1_700_000_000_123,
            1.0,
        )]);
        assert_eq!(
            query_data(&v),
            r#"{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000.123,"1"]}]}"#
        );
    }
}
