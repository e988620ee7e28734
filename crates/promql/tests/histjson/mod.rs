//! Query answers of Prometheus 2.42's HTTP API and of the engine in one comparable form,
//! for the native histogram tests: labels, timestamps, and every number as the API prints
//! it (Go's shortest form, so textual equality is bitwise equality, NaN equal to NaN),
//! histograms as [`mnemos_promql::value::histogram_json`] prints them.
#![allow(dead_code)]

use std::collections::BTreeMap;

use mnemos_promql::value::histogram_json;
use mnemos_promql::Value;
use mnemos_tsdb::gofmt::{format_e, format_f, special_float};
use serde_json::Value as Json;

/// A histogram as printed: count, sum, buckets `(rule, lower, upper, count)`.
pub type Hist = (String, String, Vec<(u64, String, String, String)>);

/// A series' float points and histogram points.
pub type SeriesPoints = (Vec<(i64, String)>, Vec<(i64, Hist)>);

/// An answer in a form both sides give exactly: by label set, points `(t ms, value)` where
/// a value is a printed float or a printed histogram.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Error(String),
    Scalar(i64, String),
    String(String),
    Vector(BTreeMap<String, (i64, Point)>),
    Matrix(BTreeMap<String, SeriesPoints>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Point {
    Float(String),
    Hist(Hist),
}

/// A sample value as Prometheus' API prints it (`jsonutil.MarshalValue`).
pub fn fmt_value(v: f64) -> String {
    if let Some(s) = special_float(v) {
        return s.to_string();
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        format_e(v)
    } else {
        format_f(v)
    }
}

pub fn parse_hist(j: &Json) -> Hist {
    let s = |v: &Json| v.as_str().unwrap_or("?").to_string();
    let buckets = j
        .get("buckets")
        .and_then(Json::as_array)
        .map(|bs| {
            bs.iter()
                .map(|b| (b[0].as_u64().unwrap_or(99), s(&b[1]), s(&b[2]), s(&b[3])))
                .collect()
        })
        .unwrap_or_default();
    (s(&j["count"]), s(&j["sum"]), buckets)
}

pub fn ms(t: &Json) -> i64 {
    (t.as_f64().unwrap_or(f64::NAN) * 1000.0).round() as i64
}

pub fn labels_key(metric: &Json) -> String {
    let mut pairs: Vec<String> = metric
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={:?}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    format!("{{{}}}", pairs.join(", "))
}

/// Prometheus' JSON answer in [`Answer`] form.
pub fn from_prometheus(body: &str) -> Answer {
    let j: Json = match serde_json::from_str(body) {
        Ok(j) => j,
        Err(e) => return Answer::Error(format!("unparsable answer ({e}): {body}")),
    };
    if j["status"] != "success" {
        return Answer::Error(j["error"].as_str().unwrap_or("").to_string());
    }
    let data = &j["data"];
    let result = &data["result"];
    match data["resultType"].as_str() {
        Some("scalar") => Answer::Scalar(ms(&result[0]), result[1].as_str().unwrap_or("").into()),
        Some("string") => Answer::String(result[1].as_str().unwrap_or("").into()),
        Some("vector") => {
            let mut out = BTreeMap::new();
            for s in result.as_array().into_iter().flatten() {
                let point = if let Some(v) = s.get("value") {
                    (ms(&v[0]), Point::Float(v[1].as_str().unwrap_or("").into()))
                } else {
                    let h = &s["histogram"];
                    (ms(&h[0]), Point::Hist(parse_hist(&h[1])))
                };
                out.insert(labels_key(&s["metric"]), point);
            }
            Answer::Vector(out)
        }
        Some("matrix") => {
            let mut out = BTreeMap::new();
            for s in result.as_array().into_iter().flatten() {
                let values = s
                    .get("values")
                    .and_then(Json::as_array)
                    .map(|vs| {
                        vs.iter()
                            .map(|v| (ms(&v[0]), v[1].as_str().unwrap_or("").to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                let hists = s
                    .get("histograms")
                    .and_then(Json::as_array)
                    .map(|hs| hs.iter().map(|h| (ms(&h[0]), parse_hist(&h[1]))).collect())
                    .unwrap_or_default();
                out.insert(labels_key(&s["metric"]), (values, hists));
            }
            Answer::Matrix(out)
        }
        other => Answer::Error(format!("unknown result type {other:?}")),
    }
}

pub fn labels_key_of(l: &mnemos_tsdb::Labels) -> String {
    let mut pairs: Vec<String> = l
        .iter()
        .map(|l| format!("{}={:?}", l.name, l.value))
        .collect();
    pairs.sort();
    format!("{{{}}}", pairs.join(", "))
}

/// The engine's histogram printed with `histogram_json`, read back.
pub fn engine_hist(h: &mnemos_tsdb::histogram::FloatHistogram) -> Hist {
    let json = histogram_json(h, fmt_value);
    match serde_json::from_str::<Json>(&json) {
        Ok(j) => parse_hist(&j),
        Err(e) => (format!("bad JSON {json}: {e}"), String::new(), Vec::new()),
    }
}

/// The engine's answer in [`Answer`] form.
pub fn from_engine(v: mnemos_promql::Result<Value>) -> Answer {
    match v {
        Err(e) => Answer::Error(e.to_string()),
        Ok(Value::Scalar { t, v }) => Answer::Scalar(t, fmt_value(v)),
        Ok(Value::String { v, .. }) => Answer::String(v),
        Ok(Value::Vector(samples)) => Answer::Vector(
            samples
                .iter()
                .map(|s| {
                    let p = match &s.h {
                        Some(h) => Point::Hist(engine_hist(h)),
                        None => Point::Float(fmt_value(s.v)),
                    };
                    (labels_key_of(&s.labels), (s.t, p))
                })
                .collect(),
        ),
        Ok(Value::Matrix(series)) => Answer::Matrix(
            series
                .iter()
                .map(|s| {
                    (
                        labels_key_of(&s.labels),
                        (
                            s.points.iter().map(|(t, v)| (*t, fmt_value(*v))).collect(),
                            s.histograms
                                .iter()
                                .map(|(t, h)| (*t, engine_hist(h)))
                                .collect(),
                        ),
                    )
                })
                .collect(),
        ),
    }
}

/// Whether two answers agree: equal, or both errors.
pub fn agree(a: &Answer, b: &Answer) -> bool {
    matches!((a, b), (Answer::Error(_), Answer::Error(_))) || a == b
}

/// The first difference between two answers, for the report.
pub fn first_difference(prom: &Answer, ours: &Answer) -> String {
    match (prom, ours) {
        (Answer::Vector(p), Answer::Vector(o)) => {
            for (k, v) in p {
                match o.get(k) {
                    None => return format!("{k} missing from the engine's answer: {v:?}"),
                    Some(w) if w != v => return format!("{k}: prometheus {v:?}, engine {w:?}"),
                    _ => {}
                }
            }
            for (k, v) in o {
                if !p.contains_key(k) {
                    return format!("{k} only in the engine's answer: {v:?}");
                }
            }
            "?".into()
        }
        (Answer::Matrix(p), Answer::Matrix(o)) => {
            for (k, v) in p {
                match o.get(k) {
                    None => return format!("{k} missing from the engine's answer"),
                    Some(w) if w != v => {
                        let fp = v.0.iter().zip(&w.0).find(|(a, b)| a != b);
                        let hp = v.1.iter().zip(&w.1).find(|(a, b)| a != b);
                        return format!(
                            "{k}: {}/{} values, {}/{} histograms (prometheus/engine); first \
                             differing value {fp:?}, histogram {hp:?}",
                            v.0.len(),
                            w.0.len(),
                            v.1.len(),
                            w.1.len()
                        );
                    }
                    _ => {}
                }
            }
            for k in o.keys() {
                if !p.contains_key(k) {
                    return format!("{k} only in the engine's answer");
                }
            }
            "?".into()
        }
        _ => format!("prometheus {prom:?}, engine {ours:?}"),
    }
}
