//! Request parameters as Prometheus reads them: from the URL query and, for
//! form-encoded POSTs, the body; times and durations in Prometheus' formats; errors worded as
//! Prometheus words them.

use crate::api::response::ApiError;

/// A request's parameters in order (a name may repeat, e.g. `match[]`).
#[derive(Clone, Debug, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parameters from a URL query string and an optional form body.
    pub fn parse(query: Option<&str>, form: Option<&[u8]>) -> Result<Self, ApiError> {
        let mut out: Vec<(String, String)> = match query {
            Some(q) => serde_urlencoded::from_str(q)
                .map_err(|e| ApiError::bad_data(format!("invalid query string: {e}")))?,
            None => Vec::new(),
        };
        if let Some(body) = form {
            let more: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                .map_err(|e| ApiError::bad_data(format!("invalid form body: {e}")))?;
            // Go's FormValue prefers the body over the URL query.
            out.splice(0..0, more);
        }
        Ok(Self(out))
    }

    /// The first value of `name` (empty values count as absent, as in Go's FormValue).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// An optional time parameter (ms), `default` when absent; a bad value is reported as
    /// Prometheus' `parseTimeParam` reports it.
    pub fn time(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(s) => parse_time(s).map_err(|e| {
                ApiError::invalid_param(name, &format!("Invalid time value for '{name}': {e}"))
            }),
        }
    }

    /// A required time parameter (ms), as `query_range` reads `start` and `end`.
    pub fn required_time(&self, name: &str) -> Result<i64, ApiError> {
        parse_time(self.get(name).unwrap_or_default())
            .map_err(|e| ApiError::invalid_param(name, &e))
    }

    /// A duration parameter (ms), `None` when absent.
    pub fn duration(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|s| parse_duration_ms(s).map_err(|e| ApiError::invalid_param(name, &e)))
            .transpose()
    }

    /// The `limit` parameter: at most this many entries (absent or 0: no limit).
    pub fn limit(&self) -> Result<Option<usize>, ApiError> {
        match self.get("limit") {
            None => Ok(None),
            Some(s) => match s.parse::<i64>() {
                Ok(0) => Ok(None),
                Ok(n) if n > 0 => Ok(usize::try_from(n).ok()),
                _ => Err(ApiError::invalid_param(
                    "limit",
                    &format!("cannot parse {s:?} to a positive integer"),
                )),
            },
        }
    }

    /// A boolean parameter (`true`/`1`/`false`/`0`, any case), `default` when absent.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(ApiError::invalid_param(
                    name,
                    &format!("cannot parse {s:?} to a boolean"),
                )),
            },
        }
    }
}

/// The earliest and latest times the API accepts (Prometheus' `minTime`/`maxTime`, ms).
pub const MIN_TIME_MS: i64 = -9_223_309_901_257_974;
/// See [`MIN_TIME_MS`].
pub const MAX_TIME_MS: i64 = 9_223_309_901_257_974;

/// A Unix time in seconds (fractions to the millisecond) or RFC 3339, to ms.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || format!("cannot parse {s:?} to a valid timestamp");
    if let Ok(f) = s.parse::<f64>() {
        if !f.is_finite() {
            return Err(bad());
        }
        let secs = f.trunc();
        let ms = ((f - secs) * 1000.0).round();
        let total = secs * 1000.0 + ms;
        if total > MAX_TIME_MS as f64 || total < MIN_TIME_MS as f64 {
            return Err(bad());
        }
        return Ok(total as i64);
    }
    mnemos_tsdb::gofmt::parse_rfc3339(s).ok_or_else(bad)
}

/// Seconds as a float, or a Prometheus duration (`5m`, `1h30m`), to ms.
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>() {
        let ms = f * 1000.0;
        if !ms.is_finite() || ms.abs() > i64::MAX as f64 / 1e6 {
            return Err(format!(
                "cannot parse {s:?} to a valid duration. It overflows int64"
            ));
        }
        return Ok(ms.round() as i64);
    }
    mnemos_tsdb::time::parse_duration_ms(s)
        .map_err(|_| format!("cannot parse {s:?} to a valid duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_like_prometheus() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("1700000000.123"), Ok(1_700_000_000_123));
        assert_eq!(parse_time("2026-11-22T06:00:00Z"), Ok(1_795_327_200_000));
        assert_eq!(
            parse_time("2026-11-22T07:00:00.5+01:00"),
            Ok(1_795_327_200_500)
        );
        assert_eq!(
            parse_time("yesterday"),
            Err("cannot parse \"yesterday\" to a valid timestamp".into())
        );
        assert!(parse_time("2026-13-22T06:00:00Z").is_err());
    }

    #[test]
    fn durations_parse_like_prometheus() {
        assert_eq!(parse_duration_ms("15"), Ok(15_000));
        assert_eq!(parse_duration_ms("0.5"), Ok(500));
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("0s"), Ok(0));
        assert_eq!(parse_duration_ms("5m"), Ok(300_000));
        assert_eq!(
            parse_duration_ms("fast"),
            Err("cannot parse \"fast\" to a valid duration".into())
        );
    }

    #[test]
    fn form_body_comes_first_and_repeats_are_kept() {
        let p = Params::parse(Some("query=up&match[]=a"), Some(b"query=down&match[]=b")).unwrap();
        assert_eq!(p.get("query"), Some("down"));
        assert_eq!(p.all("match[]"), ["b", "a"]);
        assert!(p.flag("dedup", true).unwrap());
    }
}
