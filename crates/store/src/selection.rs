//! Which blocks a gateway serves: a time window (`--min-time`/`--max-time`, absolute or
//! relative to now) and relabel rules over external labels (`keep`, `drop`, `hashmod`), so
//! several gateways can share one bucket.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, Result};

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
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        let (sign, rest) = match s.strip_prefix('-') {
            Some(r) => (-1, r),
            None => (1, s.strip_prefix('+').unwrap_or(s)),
        };
        if let Ok(d) = promql_duration(rest) {
            return Ok(TimeBound::Relative(sign * d));
        }
        mnemos_tsdb::gofmt::parse_rfc3339(s)
            .map(TimeBound::Absolute)
            .ok_or_else(|| {
                Error::Config(format!(
                    "{s:?} is neither an RFC 3339 time nor a duration like -2w"
                ))
            })
    }

    /// The bound in ms at time `now_ms`.
    pub fn at(&self, now_ms: i64) -> i64 {
        match self {
            TimeBound::Absolute(t) => *t,
            TimeBound::Relative(d) => now_ms.saturating_add(*d),
        }
    }
}

/// Now in ms.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn promql_duration(s: &str) -> std::result::Result<i64, ()> {
    let mut total = 0i64;
    let mut num = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    if s.is_empty() {
        return Err(());
    }
    while i < b.len() {
        let c = b[i] as char;
        if c.is_ascii_digit() {
            num.push(c);
            i += 1;
            continue;
        }
        let unit = if s[i..].starts_with("ms") {
            i += 2;
            1
        } else {
            i += 1;
            match c {
                's' => 1000,
                'm' => 60_000,
                'h' => 3_600_000,
                'd' => 86_400_000,
                'w' => 604_800_000,
                'y' => 31_536_000_000,
                _ => return Err(()),
            }
        };
        let n: i64 = num.parse().map_err(|_| ())?;
        total = n
            .checked_mul(unit)
            .and_then(|d| total.checked_add(d))
            .ok_or(())?;
        num.clear();
    }
    if num.is_empty() {
        Ok(total)
    } else {
        Err(())
    }
}

/// One relabel rule (Prometheus' format; actions `keep`, `drop`, `hashmod`).
#[derive(Clone, Debug, Deserialize)]
pub struct RelabelRule {
    /// `keep`, `drop` or `hashmod` (default `replace` is not supported here).
    pub action: String,
    /// Labels whose values are joined with `separator`.
    #[serde(default)]
    pub source_labels: Vec<String>,
    /// Separator (default `;`).
    #[serde(default = "default_separator")]
    pub separator: String,
    /// Anchored regex (default `(.*)`).
    #[serde(default = "default_regex")]
    pub regex: String,
    /// For `hashmod`: the modulus.
    #[serde(default)]
    pub modulus: u64,
    /// For `hashmod`: the label to write the hash to.
    #[serde(default)]
    pub target_label: String,
}

fn default_separator() -> String {
    ";".into()
}
fn default_regex() -> String {
    "(.*)".into()
}

/// Compiled relabel rules.
#[derive(Clone, Debug, Default)]
pub struct Relabel {
    rules: Vec<(RelabelRule, Regex)>,
}

impl Relabel {
    /// Parses a YAML list of rules.
    pub fn from_yaml(yaml: &str) -> Result<Self> {
        let rules: Vec<RelabelRule> = serde_yaml_ng::from_str(yaml)
            .map_err(|e| Error::Config(format!("selector relabel config: {e}")))?;
        let mut out = Vec::new();
        for r in rules {
            if !matches!(r.action.as_str(), "keep" | "drop" | "hashmod") {
                return Err(Error::Config(format!(
                    "selector relabel config: action {:?} is not supported (keep, drop, hashmod)",
                    r.action
                )));
            }
            if r.action == "hashmod" && (r.modulus == 0 || r.target_label.is_empty()) {
                return Err(Error::Config(
                    "selector relabel config: hashmod needs modulus and target_label".into(),
                ));
            }
            let re = Regex::new(&format!("^(?s:{})$", r.regex)).map_err(|e| {
                Error::Config(format!("selector relabel config: regex {:?}: {e}", r.regex))
            })?;
            out.push((r, re));
        }
        Ok(Self { rules: out })
    }

    /// Whether a block with these external labels is served.
    pub fn keeps(&self, labels: &BTreeMap<String, String>) -> bool {
        let mut labels = labels.clone();
        for (rule, re) in &self.rules {
            let value: Vec<&str> = rule
                .source_labels
                .iter()
                .map(|n| labels.get(n).map(String::as_str).unwrap_or(""))
                .collect();
            let value = value.join(&rule.separator);
            match rule.action.as_str() {
                "keep" if !re.is_match(&value) => return false,
                "drop" if re.is_match(&value) => return false,
                "hashmod" => {
                    let sum = Md5::digest(value.as_bytes());
                    let mut tail = [0u8; 8];
                    tail.copy_from_slice(&sum[8..16]);
                    let h = u64::from_be_bytes(tail) % rule.modulus;
                    labels.insert(rule.target_label.clone(), h.to_string());
                }
                _ => {}
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn relabel_keep_drop_hashmod() {
        let l = |c: &str| BTreeMap::from([("cluster".to_string(), c.to_string())]);
        let keep =
            Relabel::from_yaml("- action: keep\n  source_labels: [cluster]\n  regex: eu.*\n")
                .expect("rules");
        assert!(keep.keeps(&l("eu1")) && !keep.keeps(&l("us1")));
        let drop = Relabel::from_yaml("- action: drop\n  source_labels: [cluster]\n  regex: eu1\n")
            .expect("rules");
        assert!(!drop.keeps(&l("eu1")) && drop.keeps(&l("eu10")));
        let shard = |n: u64| {
            Relabel::from_yaml(&format!(
                "- action: hashmod\n  source_labels: [cluster]\n  modulus: 2\n  target_label: shard\n- action: keep\n  source_labels: [shard]\n  regex: \"{n}\"\n"
            ))
            .expect("rules")
        };
        for c in ["a", "b", "c", "d", "e", "f"] {
            assert!(
                shard(0).keeps(&l(c)) != shard(1).keeps(&l(c)),
                "{c} in exactly one shard"
            );
        }
        assert!(Relabel::from_yaml("- action: replace\n").is_err());
    }
}
