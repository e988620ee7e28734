//! Durations as Thanos' YAML writes them (Prometheus' `model.Duration`): a sequence of
//! number-unit pairs such as `90s`, `1m30s`, `2h`, `500ms`; units `y`, `w`, `d`, `h`, `m`,
//! `s`, `ms`. A bare `0` is zero.

use std::time::Duration;

/// Parses a Prometheus-style duration; `None` when it is not one.
pub(crate) fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text == "0" {
        return Some(Duration::ZERO);
    }
    if text.is_empty() {
        return None;
    }
    let mut total_ms: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit_ms: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total_ms = total_ms.checked_add(number.checked_mul(unit_ms)?)?;
    }
    Some(Duration::from_millis(total_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_durations() {
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
            assert_eq!(parse(text), Some(Duration::from_millis(ms)), "{text}");
        }
        for bad in ["", "10", "1x", "s", "1.5s", "-1s"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
