//! Go's text forms of strings and floats, so tool output matches `promtool` and the
//! HTTP API matches Prometheus byte for byte: `strconv.Quote` and `strconv.FormatFloat`
//! with the shortest round-tripping precision (`%g`, `'f'`, `'e'`).

use std::fmt::Write;

use unicode_general_category::{get_general_category, GeneralCategory as G};

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and ASCII space.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
    )
}

/// Go's `strconv.Quote`: a double-quoted string with Go escape sequences.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_print(c) => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Shortest decimal digits of a finite, non-zero |v| and the position of the
/// decimal point (Go's `digs.d` and `digs.dp`: v = 0.d1d2d3… × 10^dp). When two candidates
/// of that length are exactly as close to v, Go takes the even one (round half to even);
/// Rust's shortest formatting takes the upper one, so such ties are settled here.
fn shortest_digits(v: f64) -> (String, i32) {
    let (digits, dp) = scientific_digits(&format!("{:e}", v.abs()));
    // A tie needs the rounding interval (half an ulp, about 10^(dp-16.65)) to reach half a
    // unit of the last digit: only 16- and 17-digit results can be ties.
    if digits.len() >= 16 {
        if let Some(even) = half_even_tie(v.abs(), &digits, dp) {
            return (even, dp);
        }
    }
    (digits, dp)
}

/// The significant digits (trailing zeros dropped) and decimal point position of Rust's
/// `{:e}` text.
fn scientific_digits(s: &str) -> (String, i32) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exp + 1)
}

/// If `v` lies exactly halfway between two decimals of `digits.len()` significant digits,
/// one of them `digits`, the even one of the two (its decimal point unchanged); `None`
/// otherwise.
fn half_even_tie(v: f64, digits: &str, dp: i32) -> Option<String> {
    let n = digits.len();
    // Cheap first look: v to n+1 digits must end in 5 for a tie.
    let one_more = format!("{:.*e}", n, v);
    let (more, more_dp) = scientific_digits(&one_more);
    if more_dp != dp || more.len() != n + 1 || !more.ends_with('5') {
        return None;
    }
    // The exact expansion (a double has at most 767 significant digits) must stop there.
    let exact = format!("{:.*e}", 800, v);
    let (exact, exact_dp) = scientific_digits(&exact);
    if exact_dp != dp || exact != more {
        return None;
    }
    // Halfway between `low` (the first n digits) and `low + 1`: take the even one.
    let low = &exact[..n];
    let low_is_even = low
        .bytes()
        .last()
        .is_some_and(|d| (d - b'0').is_multiple_of(2));
    if low_is_even {
        return (low != digits).then(|| low.to_string());
    }
    // `low` is odd: the even candidate is low + 1 (Rust's usual answer already).
    if digits != low {
        return None;
    }
    let mut up = low.as_bytes().to_vec();
    for d in up.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            let up = String::from_utf8(up).ok()?;
            return Some(up.trim_end_matches('0').to_string());
        }
    }
    None // all nines: the carry would move the decimal point; keep Rust's answer
}

/// How Go (and Prometheus) write the special floats: `NaN`, `+Inf`, `-Inf`; `None` for
/// finite values.
pub fn special_float(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("+Inf")
    } else if v == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

fn push_e(out: &mut String, digits: &str, dp: i32) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let exp = dp - 1;
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exp.abs());
}

fn push_f(out: &mut String, digits: &str, dp: i32) {
    let nd = digits.len() as i32;
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..-dp {
            out.push('0');
        }
        out.push_str(digits);
    } else if dp >= nd {
        out.push_str(digits);
        for _ in 0..dp - nd {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
}

fn format_with(v: f64, choose_e: impl Fn(i32) -> bool) -> String {
    if let Some(s) = special_float(v) {
        return s.to_string();
    }
    let mut out = String::new();
    if v.is_sign_negative() {
        out.push('-');
    }
    if v == 0.0 {
        out.push('0');
        return out;
    }
    let (digits, dp) = shortest_digits(v);
    if choose_e(dp - 1) {
        push_e(&mut out, &digits, dp);
    } else {
        push_f(&mut out, &digits, dp);
    }
    out
}

/// Go's `fmt.Sprintf("%g", v)` (shortest precision), as `promtool tsdb dump` prints values.
pub fn format_g(v: f64) -> String {
    format_with(v, |exp| !(-4..6).contains(&exp))
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
pub fn format_f(v: f64) -> String {
    format_with(v, |_| false)
}

/// Go's `strconv.FormatFloat(v, 'e', -1, 64)`.
pub fn format_e(v: f64) -> String {
    format_with(v, |_| true)
}

/// The proleptic Gregorian date of a day count since 1970-01-01: (year, month 1-12, day
/// 1-31) (Howard Hinnant's civil-from-days algorithm).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Parses RFC 3339 (`2026-11-22T06:00:00Z`, `…T06:00:00.123+01:00`; fractions beyond
/// milliseconds are cut) to milliseconds since the epoch; `None` for anything else.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0i64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = s.get(start..i)?;
        if frac.is_empty() {
            return None;
        }
        let digits: String = frac.chars().chain("000".chars()).take(3).collect();
        ms = digits.parse().ok()?;
    }
    let offset_min = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        c @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *c == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + hour * 3600 + min * 60 + sec - offset_min * 60) * 1000) + ms)
}

/// Parses RFC 3339 with up to nanoseconds (Go's `time.RFC3339Nano`, as Prometheus' API
/// writes `lastScrape`) to seconds since the epoch and nanoseconds; `None` for anything else.
pub fn parse_rfc3339_nanos(s: &str) -> Option<(i64, u32)> {
    let secs = parse_rfc3339(s)?.div_euclid(1000);
    let nanos = match s.get(19..).filter(|rest| rest.starts_with('.')) {
        None => 0,
        Some(rest) => {
            let digits: String = rest[1..].chars().take_while(char::is_ascii_digit).collect();
            if digits.len() > 9 {
                return None;
            }
            format!("{digits:0<9}").parse().ok()?
        }
    };
    Some((secs, nanos))
}

/// Seconds and nanoseconds since the epoch as Go's `time.RFC3339Nano` in UTC
/// (`2006-01-02T15:04:05.999999999Z`: trailing zeros of the fraction dropped).
pub fn rfc3339_nano(secs: i64, nanos: u32) -> String {
    let base = rfc3339(secs.saturating_mul(1000));
    if nanos == 0 {
        return base;
    }
    let frac = format!("{:09}", nanos.min(999_999_999));
    format!(
        "{}.{}Z",
        &base[..base.len() - 1],
        frac.trim_end_matches('0')
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch as Go's `time.RFC3339` in UTC (`2006-01-02T15:04:05Z`).
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn rfc3339_nanos_round_trip() {
        let (secs, nanos) = parse_rfc3339_nanos("2026-12-07T18:00:01.123456789Z").expect("parses");
        assert_eq!((secs, nanos), (1_796_666_401, 123_456_789));
        assert_eq!(rfc3339_nano(secs, nanos), "2026-12-07T18:00:01.123456789Z");
        assert_eq!(rfc3339_nano(secs, 120_000_000), "2026-12-07T18:00:01.12Z");
        assert_eq!(rfc3339_nano(secs, 0), "2026-12-07T18:00:01Z");
        assert_eq!(
            parse_rfc3339_nanos("2026-12-07T19:00:01.5+01:00"),
            Some((1_796_666_401, 500_000_000))
        );
        assert_eq!(
            parse_rfc3339_nanos("0001-01-01T00:00:00Z").map(|t| t.1),
            Some(0)
        );
        assert!(parse_rfc3339_nanos("2026-12-07T18:00:01.1234567890Z").is_none());
        assert!(parse_rfc3339_nanos("yesterday").is_none());
    }

    #[test]
    fn rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_999), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    use super::*;

    #[test]
    fn format_g_matches_go() {
        // Pairs checked against promtool 2.42's dump output and Go's documentation.
        let cases = [
            (1.0, "1"),
            (2.5, "2.5"),
            (1e-300, "1e-300"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1.2345678901234569e23, "1.2345678901234569e+23"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.0, "-0"),
            (0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (-123.456, "-123.456"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (100.0, "100"),
        ];
        for (v, want) in cases {
            assert_eq!(format_g(v), want, "format_g({v:?})");
        }
    }

    #[test]
    fn ties_round_half_to_even_as_go() {
        // 234142914464.015625 (k/64) is exactly halfway between two 17-digit decimals.
        let tie = (234_142_914_464u64 * 64 + 1) as f64 / 64.0;
        assert_eq!(format_g(tie), "2.3414291446401562e+11");
        assert_eq!(format_g(-tie), "-2.3414291446401562e+11");
        // 234142914464.046875: not a 17-digit tie, read back as itself.
        let odd_low = (234_142_914_464u64 * 64 + 3) as f64 / 64.0;
        assert_eq!(format_g(odd_low).parse::<f64>().ok(), Some(odd_low));
        // Every result reads back as the same double, and is never longer than Rust's.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let g = format_g(v);
            assert_eq!(g.parse::<f64>().ok(), Some(v), "{v:e} -> {g}");
            let (ours, _) = shortest_digits(v);
            let (rusts, _) = scientific_digits(&format!("{:e}", v.abs()));
            assert_eq!(ours.len(), rusts.len(), "{v:e}");
        }
        // Ties built on purpose: k·2^-6 with 17 significant digits ending in 5 at the 18th.
        let mut ties = 0;
        for k in 0..20_000u64 {
            let v = (234_142_914_464u64 * 64 + k) as f64 / 64.0;
            let g = format_g(v);
            assert_eq!(g.parse::<f64>().ok(), Some(v), "{v} -> {g}");
            let exact = format!("{:.*e}", 800, v);
            let (exact, _) = scientific_digits(&exact);
            if exact.len() == 18 && exact.ends_with('5') {
                ties += 1;
                let (digits, _) = shortest_digits(v);
                if digits.len() == 17 {
                    let last = digits.as_bytes()[16] - b'0';
                    assert_eq!(last % 2, 0, "{v}: {g} is not the even neighbour");
                }
            }
        }
        assert!(ties > 100, "{ties} ties built");
    }

    #[test]
    fn format_f_and_e_match_go() {
        assert_eq!(format_f(1e21), "1000000000000000000000");
        assert_eq!(format_f(1e-7), "0.0000001");
        assert_eq!(format_f(123.25), "123.25");
        assert_eq!(format_e(123.25), "1.2325e+02");
        assert_eq!(format_e(1e-7), "1e-07");
    }

    #[test]
    fn quote_matches_go() {
        assert_eq!(quote(r#"tab\there"q\"#), r#""tab\\there\"q\\""#);
        assert_eq!(quote("ünï ✓"), "\"ünï ✓\"");
        assert_eq!(quote("a\tb\n\u{0}\u{7f}"), r#""a\tb\n\x00\x7f""#);
        assert_eq!(quote("\u{a0}\u{200b}"), r#""\u00a0\u200b""#);
        assert_eq!(quote("\u{e0000}"), r#""\U000e0000""#);
        assert_eq!(quote("日本語😀"), "\"日本語😀\"");
    }
}
