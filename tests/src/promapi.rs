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
        .map(|s| {
            let points = s["values"]
                .as_array()
                .expect("values")
                .iter()
                .map(|p| {
                    let t = (p[0].as_f64().expect("t") * 1000.0).round() as i64;
                    (t, p[1].as_str().expect("v").parse::<f64>().expect("float"))
                })
                .collect();
            (s["metric"].to_string(), points)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
