//! The `@` and `offset` modifiers of a query, read from its tokens without parsing it.
//!
//! A query-frontend splits a range query into shorter ones and caches their results. Both
//! are only right when every part of the query moves with the evaluation time: `@ start()`
//! and `@ end()` mean the whole range's bounds, an `@` time past the range's end or in the
//! recent past can change, and a negative offset reads the future. Reading tokens costs no
//! recursion, so any query, however deeply nested, is classified in linear time.

use lrpar::{Lexeme, Lexer};
use promql_parser::parser::lex::lexer;
use promql_parser::parser::token::{T_AT, T_END, T_NUMBER, T_OFFSET, T_START, T_SUB};

/// The modifiers a query uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Modifiers {
    /// Some selector or subquery is evaluated `@ start()` or `@ end()`.
    pub at_start_or_end: bool,
    /// The times (ms) of `@ <time>` modifiers.
    pub at_times_ms: Vec<i64>,
    /// Some selector or subquery has a negative offset (`offset -5m`).
    pub negative_offset: bool,
}

/// The modifiers of `query`; `None` when the lexer refuses it (the querier words the error).
pub fn modifiers(query: &str) -> Option<Modifiers> {
    let tokens = lexer(query).ok()?;
    let mut lexemes = Vec::new();
    for token in tokens.iter() {
        lexemes.push(token.ok()?);
    }
    let mut out = Modifiers::default();
    let text = |i: usize| -> &str {
        let span = lexemes[i].span();
        query.get(span.start()..span.end()).unwrap_or_default()
    };
    for i in 0..lexemes.len() {
        let next = |k: usize| lexemes.get(i + k).map(|l| l.tok_id());
        match lexemes[i].tok_id() {
            T_AT => match next(1) {
                Some(T_START) | Some(T_END) => out.at_start_or_end = true,
                Some(T_NUMBER) => out.at_times_ms.push(seconds_ms(text(i + 1))?),
                Some(T_SUB) if next(2) == Some(T_NUMBER) => {
                    out.at_times_ms.push(-seconds_ms(text(i + 2))?)
                }
                _ => {}
            },
            T_OFFSET if next(1) == Some(T_SUB) => out.negative_offset = true,
            _ => {}
        }
    }
    Some(out)
}

/// Seconds as PromQL writes a number (decimal, hex, exponent) to ms; `None` for NaN/Inf.
fn seconds_ms(s: &str) -> Option<i64> {
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok()? as f64,
        None => s.parse::<f64>().ok()?,
    };
    let ms = (v * 1000.0).round();
    (ms.is_finite() && ms.abs() < i64::MAX as f64).then_some(ms as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_at_and_negative_offsets() {
        let m = |q: &str| modifiers(q).expect("lexes");
        assert_eq!(m("rate(up[5m])"), Modifiers::default());
        assert!(m("up @ start()").at_start_or_end);
        assert!(m("sum(rate(x[1m] @ end()))").at_start_or_end);
        assert_eq!(m("up @ 1700000000.5").at_times_ms, [1_700_000_000_500]);
        assert_eq!(m("up @ -10").at_times_ms, [-10_000]);
        assert!(m("up offset -5m").negative_offset);
        assert!(!m("up offset 5m").negative_offset);
        assert!(!m("up - offset").negative_offset, "a metric named offset");
        // A metric named start is not a modifier.
        assert!(!m("start + end").at_start_or_end);
        assert!(modifiers("sum(\"unterminated").is_none());
    }

    #[test]
    fn deep_queries_are_read_without_recursion() {
        let deep = format!("{}up @ start(){}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(modifiers(&deep).expect("lexes").at_start_or_end);
    }
}
