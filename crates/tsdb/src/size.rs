//! Sizes as Thanos takes them in flags and configuration files (`250MB`, `1GiB`): base 2,
//! as Go's `units.ParseBase2Bytes` reads them.

/// Parses `250MB`, `1GiB`, `512KB`, `1TB`, `1024` (bytes); `KB` and `KiB` both mean 1024.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 250MB"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "KB" | "KIB" => 10,
        "MB" | "MIB" => 20,
        "GB" | "GIB" => 30,
        "TB" | "TIB" => 40,
        other => return Err(format!("unknown size unit {other:?} (B, KB, MB, GB, TB)")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_parse_base_2() {
        assert_eq!(parse_bytes("250MB"), Ok(250 << 20));
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("1TB"), Ok(1 << 40));
        assert_eq!(parse_bytes(" 1024 "), Ok(1024));
        assert!(parse_bytes("MB").is_err() && parse_bytes("1PB").is_err());
        assert!(parse_bytes("99999999999999TB").is_err(), "overflow");
    }
}
