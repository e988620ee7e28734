//! Go's text forms used by `promtool` output: `time.Duration`, `time.Time` and
//! `units.Base2Bytes` strings, plus `text/tabwriter` column layout.

/// Go's `time.Duration.String()` for a duration given in milliseconds.
pub fn duration_ms(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let neg = ms < 0;
    let ms = ms.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if ms < 1000 {
        out.push_str(&format!("{ms}ms"));
        return out;
    }
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, frac) = (rest / 1000, rest % 1000);
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&s.to_string());
    if frac > 0 {
        let f = format!("{frac:03}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push('s');
    out
}

/// Go's `time.Unix(ms/1000, 0).UTC().String()`: `2023-11-14 22:13:20 +0000 UTC`.
pub fn utc_seconds(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, mo, d) = mnemos_tsdb::gofmt::civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} +0000 UTC",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// `units.Base2Bytes(n).String()` as promtool prints sizes: `1KiB512B`.
pub fn base2_bytes(mut n: i64) -> String {
    const MAGNITUDES: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    let mut parts: Vec<String> = Vec::new();
    for (i, m) in MAGNITUDES.iter().enumerate() {
        if n % 1024 != 0 || (i == 0 && n == 0) {
            let suffix = if i == 0 { "B" } else { "iB" };
            parts.push(format!("{}{m}{suffix}", n % 1024));
        }
        n /= 1024;
        if n == 0 {
            break;
        }
    }
    parts.reverse();
    parts.concat()
}

/// Lays out rows as Go's `tabwriter.NewWriter(w, minwidth, 0, padding, ' ', 0)`:
/// every cell but the last of a row is padded to its column's width.
pub fn tabwrite(rows: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max((cell.chars().count() + padding).max(minwidth));
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_forms() {
        assert_eq!(duration_ms(105_001), "1m45.001s");
        assert_eq!(duration_ms(7_200_000), "2h0m0s");
        assert_eq!(duration_ms(500), "500ms");
        assert_eq!(duration_ms(1_500), "1.5s");
        assert_eq!(duration_ms(0), "0s");
        assert_eq!(
            utc_seconds(1_700_000_105_001),
            "2023-11-14 22:15:05 +0000 UTC"
        );
        assert_eq!(utc_seconds(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(base2_bytes(853), "853B");
        assert_eq!(base2_bytes(1536), "1KiB512B");
        assert_eq!(base2_bytes(1 << 20), "1MiB");
        assert_eq!(base2_bytes(0), "0B");
    }
}
