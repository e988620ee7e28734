//! Parses a PromQL series selector (`--match`) into block-library matchers.

use anyhow::{bail, Context};
use mnemos_tsdb::labels::{MatchType, Matcher, METRIC_NAME};
use promql_parser::label::MatchOp;
use promql_parser::parser::Expr;

/// A matcher added while parsing `{…}` selectors and removed afterwards.
const PROBE: &str = "__mnemos_selector_probe__";

/// Parses `up{job=~"a.*"}` or `{__name__="x"}` into matchers.
///
/// Like Prometheus' `ParseMetricSelector` (promtool's `--match`), a selector
/// whose matchers all match the empty string is accepted: the query-time rule
/// "at least one non-empty matcher" that `promql-parser` applies is sidestepped
/// by parsing with a probe matcher, which is then removed.
pub fn parse_selector(s: &str) -> anyhow::Result<Vec<Matcher>> {
    let trimmed = s.trim_start();
    let to_parse = match trimmed.strip_prefix('{') {
        Some(rest) => format!("{{{PROBE}=\"1\",{rest}"),
        None => s.to_string(),
    };
    let expr = promql_parser::parser::parse(&to_parse)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("invalid series selector {s:?}"))?;
    let Expr::VectorSelector(vs) = expr else {
        bail!("invalid series selector {s:?}: not a vector selector");
    };
    if vs.matchers.or_matchers.iter().any(|g| !g.is_empty()) {
        bail!("invalid series selector {s:?}: `or` matchers are not supported");
    }
    let mut out = Vec::new();
    if let Some(name) = &vs.name {
        out.push(Matcher::equal(METRIC_NAME, name.clone()));
    }
    for m in vs.matchers.matchers.iter().filter(|m| m.name != PROBE) {
        let kind = match m.op {
            MatchOp::Equal => MatchType::Equal,
            MatchOp::NotEqual => MatchType::NotEqual,
            MatchOp::Re(_) => MatchType::Regex,
            MatchOp::NotRe(_) => MatchType::NotRegex,
        };
        out.push(Matcher::new(kind, m.name.clone(), m.value.clone())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_promtool_default_and_named_selectors() {
        let m = parse_selector("{__name__=~'(?s:.*)'}").unwrap();
        assert_eq!(m.len(), 1);
        assert!(m[0].matches("anything"));
        let m = parse_selector(r#"up{job!="a",x=~"b|c"}"#).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].name, "__name__");
        assert!(m[2].matches("c") && !m[2].matches("bc"));
        assert!(parse_selector("rate(x[5m])").is_err());
        assert!(parse_selector("{").is_err());
        assert!(parse_selector("{}").unwrap().is_empty());
        assert_eq!(parse_selector(r#"{job=""}"#).unwrap().len(), 1);
    }
}
