//! Time as Prometheus and Thanos take it on the command line and in APIs: durations
//! (`model.ParseDuration`), time bounds absolute or relative to now (`--min-time=-2w`), and
//! the current time in milliseconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// A Prometheus duration (see [`parse_duration_ms`]) as a [`std::time::Duration`]; negative
/// ones are refused.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let ms = parse_duration_ms(s)?;
    u64::try_from(ms)
        .map(std::time::Duration::from_millis)
        .map_err(|_| format!("negative duration {s:?}"))
}

/// Parses a Prometheus duration (`model.ParseDuration`): `0`, or units in the order
/// `y w d h m s ms` (e.g. `1h30m`, `50m`, `10s`, `1ms`), into milliseconds.
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err("empty duration string".into());
    }
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let invalid = || format!("not a valid duration string: {s:?}");
    let bytes = s.as_bytes();
    let mut pos = 0;
    let mut next_unit = 0;
    let mut total: i64 = 0;
    while pos < bytes.len() {
        let start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos == start {
            return Err(invalid());
        }
        let n: i64 = s[start..pos].parse().map_err(|_| invalid())?;
        let unit_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_alphabetic() {
            pos += 1;
        }
        let unit = &s[unit_start..pos];
        let idx = UNITS[next_unit..]
            .iter()
            .position(|(u, _)| *u == unit)
            .map(|p| p + next_unit)
            .ok_or_else(invalid)?;
        next_unit = idx + 1;
        total = n
            .checked_mul(UNITS[idx].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration out of range: {s:?}"))?;
    }
    Ok(total)
}

/// A time bound: absolute (ms) or relative to now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeBound {
    /// Milliseconds since the epoch.
    Absolute(i64),
    /// Offset from now in ms (negative: in the past).
    Relative(i64),
}

impl TimeBound {
    /// Parses RFC 3339 (`2024-01-02T03:04:05Z`) or a signed duration (`-2w`, `-36h`, `1d`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (sign, rest) = match s.strip_prefix('-') {
            Some(r) => (-1, r),
            None => (1, s.strip_prefix('+').unwrap_or(s)),
        };
        if let Ok(d) = parse_duration_ms(rest) {
            return Ok(TimeBound::Relative(sign * d));
        }
        crate::gofmt::parse_rfc3339(s)
            .map(TimeBound::Absolute)
            .ok_or_else(|| format!("{s:?} is neither an RFC 3339 time nor a duration like -2w"))
    }

    /// The bound in ms at time `now_ms`.
    pub fn at(&self, now_ms: i64) -> i64 {
        match self {
            TimeBound::Absolute(t) => *t,
            TimeBound::Relative(d) => now_ms.saturating_add(*d),
        }
    }
}

/// Now in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As objstore YAML timeouts use them (Thanos' `model.Duration`).
    #[test]
    fn durations_as_std_durations() {
        use std::time::Duration;
        for (text, ms) in [
            ("0", 0),
            ("0s", 0),
            ("90s", 90_000),
            ("1m30s", 90_000),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("500ms", 500),
            ("1d", 86_400_000),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["", "10", "1x", "s", "1.5s", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("0"), Ok(0));
        assert_eq!(parse_duration_ms("0s"), Ok(0));
        assert_eq!(parse_duration_ms("50m"), Ok(3_000_000));
        assert_eq!(parse_duration_ms("1h"), Ok(3_600_000));
        assert_eq!(parse_duration_ms("10s"), Ok(10_000));
        assert_eq!(parse_duration_ms("1ms"), Ok(1));
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("1d"), Ok(86_400_000));
        assert!(parse_duration_ms("").is_err());
        assert!(parse_duration_ms("5").is_err());
        assert!(parse_duration_ms("1m1h").is_err());
        assert!(parse_duration_ms("1.5m").is_err());
    }
    #[test]
    fn time_bounds() {
        assert_eq!(
            TimeBound::parse("-2w").expect("rel"),
            TimeBound::Relative(-1_209_600_000)
        );
        assert_eq!(
            TimeBound::parse("1h30m").expect("rel"),
            TimeBound::Relative(5_400_000)
        );
        assert_eq!(
            TimeBound::parse("2023-11-14T22:13:20Z").expect("abs"),
            TimeBound::Absolute(1_700_000_000_000)
        );
        assert_eq!(
            TimeBound::parse("2023-11-14T23:13:20.5+01:00").expect("abs"),
            TimeBound::Absolute(1_700_000_000_500)
        );
        assert!(TimeBound::parse("yesterday").is_err());
        assert!(
            TimeBound::parse("-99999999999y").is_err(),
            "overflows i64 ms"
        );
        assert_eq!(TimeBound::Relative(-1000).at(5000), 4000);
    }
}
