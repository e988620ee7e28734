//! Range query answers (`resultType: matrix`): read from the querier's JSON, cut to a time
//! range, merged across parts, and written back byte for byte as the querier writes them
//! (labels in order, Go's string escaping, timestamps as seconds with milliseconds, values
//! in Go's shortest form, histogram objects as received).
//!
//! Values are kept as the text the querier wrote ([`ValueText`], inline: no allocation per
//! point), so writing them back needs no float formatting (Go's shortest formatting is
//! costly) and gives the same bytes.

use std::collections::BTreeMap;

use mnemos_query::api::response::{push_str, push_timestamp};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A sample value as the querier wrote it (`1.5`, `NaN`, `+Inf`, `1e-07`), without quotes.
/// Inline up to 30 bytes (Go's shortest forms of a float are at most 26).
#[derive(Clone)]
pub enum ValueText {
    /// Up to 30 bytes in place.
    Inline {
        /// Bytes used.
        len: u8,
        /// The text.
        buf: [u8; 30],
    },
    /// Longer text.
    Long(Box<str>),
}

impl ValueText {
    /// The value `s`.
    pub fn new(s: &str) -> Self {
        let b = s.as_bytes();
        if b.len() <= 30 {
            let mut buf = [0u8; 30];
            buf[..b.len()].copy_from_slice(b);
            Self::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            Self::Long(s.into())
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Inline { len, buf } => {
                std::str::from_utf8(&buf[..*len as usize]).unwrap_or_default()
            }
            Self::Long(s) => s,
        }
    }
}

impl std::fmt::Debug for ValueText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl PartialEq for ValueText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// One series of a matrix.
#[derive(Clone, Debug)]
pub struct Series {
    /// Label pairs, sorted by name.
    pub labels: Vec<(String, String)>,
    /// Float points: time (ms) and value.
    pub floats: Vec<(i64, ValueText)>,
    /// Histogram points: time (ms) and the histogram object as the querier wrote it.
    pub histograms: Vec<(i64, Box<RawValue>)>,
}

impl Series {
    fn is_empty(&self) -> bool {
        self.floats.is_empty() && self.histograms.is_empty()
    }
}

/// A successful range query answer.
#[derive(Debug, Default)]
pub struct Answer {
    /// The series, sorted by labels.
    pub series: Vec<Series>,
    /// Its warnings.
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
struct EnvelopeJson<'a> {
    status: String,
    #[serde(default, borrow)]
    data: Option<DataJson<'a>>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct DataJson<'a> {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(borrow)]
    result: Vec<SeriesJson<'a>>,
}

#[derive(Deserialize)]
struct SeriesJson<'a> {
    metric: BTreeMap<String, String>,
    // Values hold no escapes (numbers, NaN, ±Inf): borrowed, no string per point. A value
    // with an escape fails to borrow and the answer is passed on as it is.
    #[serde(default, borrow)]
    values: Vec<(serde_json::Number, &'a str)>,
    #[serde(default)]
    histograms: Vec<(serde_json::Number, Box<RawValue>)>,
}

/// Seconds as the API writes them to ms.
fn ms(n: &serde_json::Number) -> Result<i64, String> {
    if let Some(i) = n.as_i64() {
        return i
            .checked_mul(1000)
            .ok_or_else(|| format!("timestamp {n} out of range"));
    }
    let f = n
        .as_f64()
        .ok_or_else(|| format!("timestamp {n} is not a number"))?;
    let v = (f * 1000.0).round();
    if !v.is_finite() || v.abs() >= i64::MAX as f64 {
        return Err(format!("timestamp {n} out of range"));
    }
    Ok(v as i64)
}

/// Reads a `query_range` answer; an error when it is not a successful matrix.
pub fn parse_answer(body: &[u8]) -> Result<Answer, String> {
    let env: EnvelopeJson = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if env.status != "success" {
        return Err(format!("status {}", env.status));
    }
    let data = env.data.ok_or("no data")?;
    if data.result_type != "matrix" {
        return Err(format!("resultType {}", data.result_type));
    }
    let mut series = Vec::with_capacity(data.result.len());
    for s in data.result {
        series.push(Series {
            labels: s.metric.into_iter().collect(),
            floats: s
                .values
                .into_iter()
                .map(|(t, v)| Ok((ms(&t)?, ValueText::new(v))))
                .collect::<Result<_, String>>()?,
            histograms: s
                .histograms
                .into_iter()
                .map(|(t, h)| Ok((ms(&t)?, h)))
                .collect::<Result<_, String>>()?,
        });
    }
    Ok(Answer {
        series: merge(vec![series]),
        warnings: env.warnings,
    })
}

/// [`extract`] of series the caller gives up: filtered in place, nothing copied.
pub fn extract_owned(mut series: Vec<Series>, start: i64, end: i64) -> Vec<Series> {
    let within = |t: i64| t >= start && t <= end;
    for s in &mut series {
        s.floats.retain(|p| within(p.0));
        s.histograms.retain(|p| within(p.0));
    }
    series.retain(|s| !s.is_empty());
    series
}

/// The points of `series` within `start..=end`; series left without points are dropped.
pub fn extract(series: &[Series], start: i64, end: i64) -> Vec<Series> {
    let within = |t: i64| t >= start && t <= end;
    series
        .iter()
        .map(|s| Series {
            labels: s.labels.clone(),
            floats: s.floats.iter().filter(|p| within(p.0)).cloned().collect(),
            histograms: s
                .histograms
                .iter()
                .filter(|p| within(p.0))
                .cloned()
                .collect(),
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The union of several answers' series: one series per label set, sorted by labels
/// (Prometheus' order), points in time order, one per timestamp (the first seen).
pub fn merge(parts: Vec<Vec<Series>>) -> Vec<Series> {
    let mut by_labels: BTreeMap<Vec<(String, String)>, Series> = BTreeMap::new();
    for s in parts.into_iter().flatten() {
        match by_labels.get_mut(&s.labels) {
            Some(into) => {
                into.floats.extend(s.floats);
                into.histograms.extend(s.histograms);
            }
            None => {
                by_labels.insert(s.labels.clone(), s);
            }
        }
    }
    by_labels
        .into_values()
        .map(|mut s| {
            s.floats.sort_by_key(|p| p.0);
            s.floats.dedup_by_key(|p| p.0);
            s.histograms.sort_by_key(|p| p.0);
            s.histograms.dedup_by_key(|p| p.0);
            s
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The answer's `data` as the querier writes it.
pub fn data_json(series: &[Series]) -> String {
    let mut out = String::from(r#"{"resultType":"matrix","result":["#);
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"metric":{"#);
        for (j, (name, value)) in s.labels.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_str(&mut out, name);
            out.push(':');
            push_str(&mut out, value);
        }
        out.push('}');
        if !s.floats.is_empty() {
            out.push_str(r#","values":["#);
            for (j, (t, v)) in s.floats.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push('[');
                push_timestamp(&mut out, *t);
                out.push_str(",\"");
                out.push_str(v.as_str());
                out.push_str("\"]");
            }
            out.push(']');
        }
        if !s.histograms.is_empty() {
            out.push_str(r#","histograms":["#);
            for (j, (t, h)) in s.histograms.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push('[');
                push_timestamp(&mut out, *t);
                out.push(',');
                out.push_str(h.get());
                out.push(']');
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"a<b"},"values":[[1700000000,"1"],[1700000060.5,"0.25"],[1700000120,"NaN"],[1700000180,"+Inf"],[1700000240,"1e-07"],[1700000300,"1.7976931348623157e+308"],[1700000360,"-0.000123"]]},{"metric":{"job":"h"},"histograms":[[1700000000,{"count":"2","sum":"3","buckets":[[0,"-1","1","2"]]}]]}]}}"#;

    #[test]
    fn round_trips_byte_for_byte() {
        let a = parse_answer(BODY.as_bytes()).expect("parses");
        assert_eq!(a.series.len(), 2);
        assert_eq!(
            a.series[0].floats[1],
            (1_700_000_060_500, ValueText::new("0.25"))
        );
        let data = data_json(&a.series);
        let want = &BODY[r#"{"status":"success","data":"#.len()..BODY.len() - 1];
        let want = want.replace("a<b", "a\\u003cb").replace("060.5", "060.500");
        assert_eq!(data, want);
    }

    #[test]
    fn extracts_and_merges_parts() {
        let a = parse_answer(BODY.as_bytes()).expect("parses").series;
        let first = extract(&a, 0, 1_700_000_000_000);
        let second = extract(&a, 1_700_000_000_001, i64::MAX);
        assert_eq!(
            data_json(&extract_owned(a.clone(), 1_700_000_000_001, i64::MAX)),
            data_json(&second)
        );
        assert_eq!(first.len(), 2);
        assert_eq!(second.len(), 1, "the histogram series has no later point");
        let merged = merge(vec![second, first]);
        assert_eq!(data_json(&merged), data_json(&a));
        assert!(extract(&a, 0, 1).is_empty());
    }

    #[test]
    fn value_texts_inline_or_not() {
        for v in ["1", "NaN", "-2.2250738585072014e-308", &"9".repeat(40)] {
            assert_eq!(ValueText::new(v).as_str(), v);
        }
        assert!(matches!(ValueText::new("1.5"), ValueText::Inline { .. }));
        assert!(std::mem::size_of::<ValueText>() <= 32);
    }

    #[test]
    fn refuses_what_is_not_a_matrix() {
        for body in [
            r#"{"status":"error","errorType":"bad_data","error":"x"}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1e300,"1"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"a\"b"]]}]}}"#,
            "not json",
        ] {
            assert!(parse_answer(body.as_bytes()).is_err(), "{body}");
        }
        let warned = parse_answer(
            br#"{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["w"]}"#,
        )
        .expect("parses");
        assert_eq!(warned.warnings, ["w"]);
    }
}
