//! Pieces of Prometheus' HTTP API answers as the StoreAPI family of services carries them:
//! label objects (with the sidecar's external labels), RFC 3339 times, Go floats.

use std::collections::BTreeMap;

use mnemos_storeapi::prost_types::Timestamp;
use mnemos_storeapi::thanos::{Label, ZLabelSet};
use serde_json::Value;

/// A label object of an answer with `external` set over it (external labels win, as for
/// series), sorted by name; an absent or malformed object is no labels.
pub(crate) fn label_set(v: &Value, external: &BTreeMap<String, String>) -> ZLabelSet {
    let mut labels: BTreeMap<String, String> = v
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    labels.extend(external.iter().map(|(k, v)| (k.clone(), v.clone())));
    labels
        .into_iter()
        .map(|(name, value)| Label { name, value })
        .collect::<Vec<_>>()
        .into()
}

/// An RFC 3339 time field (Go's `time.RFC3339Nano`, any offset) as a protobuf timestamp;
/// `None` when the field is absent.
pub(crate) fn timestamp(v: &Value, field: &str) -> Result<Option<Timestamp>, String> {
    match &v[field] {
        Value::Null => Ok(None),
        Value::String(s) => {
            let (seconds, nanos) = mnemos_tsdb::gofmt::parse_rfc3339_nanos(s)
                .ok_or_else(|| format!("{field} {s:?} is not an RFC 3339 time"))?;
            Ok(Some(Timestamp {
                seconds,
                nanos: i32::try_from(nanos).unwrap_or_default(),
            }))
        }
        other => Err(format!("{field} {other} is not an RFC 3339 time")),
    }
}

/// A number field, or a float as Prometheus writes sample values (`"1.5"`, `"NaN"`,
/// `"+Inf"`, `"-Inf"`); 0 when absent.
pub(crate) fn float(v: &Value, field: &str) -> Result<f64, String> {
    match &v[field] {
        Value::Null => Ok(0.0),
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{field} {n} is not a float")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "+Inf" | "Inf" => Ok(f64::INFINITY),
            "-Inf" => Ok(f64::NEG_INFINITY),
            _ => s
                .parse()
                .map_err(|_| format!("{field} {s:?} is not a float")),
        },
        other => Err(format!("{field} {other} is not a float")),
    }
}

/// A string field; empty when absent.
pub(crate) fn text(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_string()
}

/// A list field; empty when absent or `null`.
pub(crate) fn list<'a>(v: &'a Value, field: &str) -> Result<&'a [Value], String> {
    match &v[field] {
        Value::Null => Ok(&[]),
        Value::Array(a) => Ok(a),
        other => Err(format!("{field} {other} is not a list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_prometheus_answers() {
        let v = serde_json::json!({
            "t": "2026-12-07T19:00:01.5+01:00",
            "zero": "0001-01-01T00:00:00Z",
            "bad": "yesterday",
            "n": 0.25,
            "s": "+Inf",
            "l": [1],
            "labels": {"job": "a", "replica": "x"}
        });
        assert_eq!(
            timestamp(&v, "t"),
            Ok(Some(Timestamp {
                seconds: 1_796_666_401,
                nanos: 500_000_000
            }))
        );
        assert_eq!(
            timestamp(&v, "zero").map(|t| t.map(|t| t.seconds)),
            Ok(Some(-62_135_596_800))
        );
        assert_eq!(timestamp(&v, "absent"), Ok(None));
        assert!(timestamp(&v, "bad").is_err());
        assert_eq!(float(&v, "n"), Ok(0.25));
        assert_eq!(float(&v, "s"), Ok(f64::INFINITY));
        assert!(float(&v, "t").is_err());
        assert_eq!(list(&v, "l").map(<[Value]>::len), Ok(1));
        assert_eq!(list(&v, "absent").map(<[Value]>::len), Ok(0));
        assert!(list(&v, "n").is_err());
        let ext = BTreeMap::from([("replica".to_string(), "b".to_string())]);
        let set = label_set(&v["labels"], &ext);
        assert_eq!(
            set.labels,
            vec![Label::new("job", "a"), Label::new("replica", "b")]
        );
    }
}
