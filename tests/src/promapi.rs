//! Reading Prometheus HTTP API answers (from Prometheus or the querier) in tests.

use serde_json::Value;

use crate::http;

/// GET an API path; the `data` of a successful answer (panics otherwise, with the body).
pub fn data(port: u16, path: &str) -> Value {
    let r = http::get(port, path).expect("API request");
    let v: Value =
        serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{path}: {e}: {}", r.body));
    assert_eq!(r.status, 200, "{path}: {v}");
    assert_eq!(v["status"], "success", "{path}: {v}");
    v["data"].clone()
}

/// A series' labels (as JSON text) and its `(t ms, value)` points.
pub type MatrixSeries = (String, Vec<(i64, f64)>);

/// The series of a matrix `data`, sorted by labels.
pub fn matrix(data: &Value) -> Vec<MatrixSeries> {
    assert_eq!(data["resultType"], "matrix", "{data}");
    let mut out: Vec<MatrixSeries> = data["result"]
        .as_array()
        .expect("result")
        .iter()
        .map(|s| (s["metric"].to_string(), points(&s["values"])))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The `(t ms, value)` points of a range-vector series' `values` array.
pub fn points(values: &Value) -> Vec<(i64, f64)> {
    values
        .as_array()
        .expect("values")
        .iter()
        .map(point)
        .collect()
}

/// One `[unix seconds, "value"]` pair of the API as `(t ms, value)`.
pub fn point(p: &Value) -> (i64, f64) {
    let t = (p[0].as_f64().expect("timestamp") * 1000.0).round() as i64;
    (t, parse_go_float(p[1].as_str().expect("value")))
}

/// A float as Prometheus' JSON writes it (Go's `+Inf`, `-Inf`, `NaN` included).
pub fn parse_go_float(s: &str) -> f64 {
    match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        _ => s.parse().unwrap_or_else(|e| panic!("bad float {s:?}: {e}")),
    }
}
