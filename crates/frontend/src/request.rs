//! A range query as the frontend handles it: the PromQL text, start, end and step, and
//! every other parameter passed through unchanged (`dedup`, `partial_response`,
//! `max_source_resolution`, `replicaLabels[]`, …).

use mnemos_query::api::params::{parse_duration_ms, parse_time, Params};
use mnemos_query::api::response::push_timestamp;

/// Prometheus' bound on points per series of a range query.
pub const MAX_POINTS: i64 = 11_000;

/// Parameters left out of cache keys: they change how an answer is produced, not what
/// it is.
const NOT_IN_KEY: [&str; 1] = ["timeout"];

/// A well-formed range query.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeRequest {
    /// The PromQL expression.
    pub query: String,
    /// First evaluation time (ms).
    pub start: i64,
    /// Last evaluation time (ms).
    pub end: i64,
    /// Step (ms, > 0).
    pub step: i64,
    /// Every other parameter, in order.
    pub rest: Vec<(String, String)>,
}

impl RangeRequest {
    /// The request in `params`; `None` when the querier should see it as it is: a missing
    /// or malformed parameter (the querier words the error), more than [`MAX_POINTS`]
    /// points, or query statistics asked for.
    pub fn parse(params: &Params) -> Option<Self> {
        let query = params.get("query")?.to_string();
        let start = parse_time(params.get("start")?).ok()?;
        let end = parse_time(params.get("end")?).ok()?;
        let step = parse_duration_ms(params.get("step")?).ok()?;
        if step <= 0 || end < start || (end - start) / step > MAX_POINTS {
            return None;
        }
        if params.get("stats").is_some() {
            return None;
        }
        let rest = params
            .0
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "query" | "start" | "end" | "step"))
            .cloned()
            .collect();
        Some(Self {
            query,
            start,
            end,
            step,
            rest,
        })
    }

    /// The same query over `start..=end`.
    pub fn with_range(&self, start: i64, end: i64) -> Self {
        Self {
            start,
            end,
            ..self.clone()
        }
    }

    /// The value of parameter `name`, if given.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.rest
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets parameter `name` when it is not given.
    pub fn default_param(&mut self, name: &str, value: &str) {
        if self.param(name).is_none_or(str::is_empty) {
            self.rest.retain(|(k, _)| k != name);
            self.rest.push((name.to_string(), value.to_string()));
        }
    }

    /// The request as a form body.
    pub fn form(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("query", self.query.clone()),
            ("start", seconds(self.start)),
            ("end", seconds(self.end)),
            ("step", seconds(self.step)),
        ];
        pairs.extend(self.rest.iter().map(|(k, v)| (k.as_str(), v.clone())));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The cache key of the split interval this request lies in: the query, the step and
    /// its offset (answers on different step grids never mix), the interval, and every
    /// other parameter but `timeout`, sorted.
    pub fn cache_key(&self, interval_ms: i64) -> String {
        let rest = sorted_params(
            self.rest
                .iter()
                .filter(|(k, _)| !NOT_IN_KEY.contains(&k.as_str())),
        );
        let interval = self.start.div_euclid(interval_ms.max(1));
        format!(
            "range:{}:{}:{}:{}:{interval_ms}:{interval}:{rest}",
            self.query.len(),
            self.query,
            self.step,
            self.start.rem_euclid(self.step),
        )
    }
}

/// Parameters sorted and encoded, for a cache key: the same request in any parameter order
/// gives the same key.
pub fn sorted_params<'a>(params: impl IntoIterator<Item = &'a (String, String)>) -> String {
    let mut sorted: Vec<&(String, String)> = params.into_iter().collect();
    sorted.sort();
    serde_urlencoded::to_string(&sorted).unwrap_or_default()
}

/// Milliseconds as the API's seconds (`1700000000`, `1700000000.500`), as the querier
/// writes timestamps.
pub fn seconds(ms: i64) -> String {
    let mut out = String::new();
    push_timestamp(&mut out, ms);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params::parse(Some(q), None).expect("params")
    }

    #[test]
    fn parses_what_prometheus_accepts_and_leaves_the_rest() {
        let r = RangeRequest::parse(&params(
            "query=rate(up[5m])&start=1700000000&end=2023-11-14T23:13:20.5Z&step=1m&dedup=false",
        ))
        .expect("well formed");
        assert_eq!(
            (r.start, r.end, r.step),
            (1_700_000_000_000, 1_700_003_600_500, 60_000)
        );
        assert_eq!(r.rest, [("dedup".to_string(), "false".to_string())]);
        for bad in [
            "start=1&end=2&step=1",
            "query=up&start=x&end=2&step=1",
            "query=up&start=2&end=1&step=1",
            "query=up&start=1&end=2&step=0",
            "query=up&start=0&end=11001&step=1",
            "query=up&start=1&end=2&step=1&stats=all",
        ] {
            assert_eq!(RangeRequest::parse(&params(bad)), None, "{bad}");
        }
    }

    #[test]
    fn forms_and_keys() {
        let mut r = RangeRequest::parse(&params(
            "query=up{a=\"b c\"}&start=1.5&end=3601.5&step=30&timeout=10s&replicaLabels[]=r",
        ))
        .expect("well formed");
        r.default_param("partial_response", "true");
        assert_eq!(
            r.form(),
            "query=up%7Ba%3D%22b+c%22%7D&start=1.500&end=3601.500&step=30&timeout=10s&replicaLabels%5B%5D=r&partial_response=true"
        );
        let key = r.cache_key(3_600_000);
        let other = r.with_range(1_500 + 30_000, 3_601_500);
        assert_eq!(other.cache_key(3_600_000), key, "same interval");
        let mut t = r.clone();
        t.rest.retain(|(k, _)| k != "timeout");
        assert_eq!(t.cache_key(3_600_000), key, "timeout is not in the key");
        let mut d = r.clone();
        d.rest.push(("dedup".into(), "false".into()));
        assert_ne!(d.cache_key(3_600_000), key);
        assert_ne!(
            r.with_range(2_500, 3_601_500).cache_key(3_600_000),
            key,
            "other grid"
        );
        assert_eq!(seconds(-1_500), "-1.500");
        assert_eq!(seconds(2_000), "2");
    }
}
