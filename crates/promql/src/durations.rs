//! Numbers written where the grammar takes a duration, checked before parsing.
//!
//! `x[300]`, `x[1h:30]` and `x offset 60` take a plain number as seconds. The parser turns
//! such a number into a duration with a conversion that panics when the number is not a
//! finite count of seconds a duration can hold (`x[88888888888888888888]`, `x[Inf]`). This
//! check refuses those numbers first, as a parse error (HTTP 400), the way Prometheus refuses
//! a duration out of range.

use lrpar::{Lexeme, Lexer};
use promql_parser::parser::lex::lexer;
use promql_parser::parser::token::{T_ADD, T_COLON, T_LEFT_BRACKET, T_NUMBER, T_OFFSET, T_SUB};
use promql_parser::util::parse_str_radix;

use crate::error::{Error, Result};

/// Longest duration a query may write as a number of seconds (about 292 years, what
/// Prometheus' millisecond `time.Duration` holds).
const MAX_SECONDS: f64 = (i64::MAX / 1_000_000_000) as f64;

/// Refuses a number in duration position that no duration can hold. Queries the lexer
/// refuses pass through: the parser words their error.
pub(crate) fn check(query: &str) -> Result<()> {
    let Ok(tokens) = lexer(query) else {
        return Ok(());
    };
    // The two tokens before the current one (`offset -` takes a duration too).
    let (mut before, mut last) = (None, None);
    for token in tokens.iter().flatten() {
        let id = token.tok_id();
        if id == T_NUMBER {
            let takes_duration = match last {
                Some(T_LEFT_BRACKET | T_COLON | T_OFFSET) => true,
                Some(T_ADD | T_SUB) => before == Some(T_OFFSET),
                _ => false,
            };
            let span = token.span();
            let text = query.get(span.start()..span.end()).unwrap_or_default();
            if takes_duration {
                let fits = parse_str_radix(text)
                    .is_ok_and(|s| s.is_finite() && (0.0..=MAX_SECONDS).contains(&s));
                if !fits {
                    return Err(Error::Parse(format!(
                        "1:{}: parse error: duration out of range: {text:?}",
                        span.start() + 1
                    )));
                }
            }
        }
        before = last;
        last = Some(id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_numbers_no_duration_holds() {
        for q in [
            "e[88888888888888888888]",
            "e[88888888888888888888]s",
            "x[1h:1e300]",
            "x offset 1e300",
            "x offset -1e300",
            "x[0x7fffffffffffffffffff]",
        ] {
            assert!(
                matches!(check(q), Err(Error::Parse(m)) if m.contains("out of range")),
                "{q}"
            );
        }
        // Words are not numbers inside brackets: the lexer refuses them, no check needed.
        assert!(check("x[Inf]").is_ok() && promql_parser::parser::parse("x[Inf]").is_err());
        for q in [
            "x[300]",
            "x[1h:30]",
            "x offset 60",
            "x offset -60",
            "1e300 - 1e400",
        ] {
            assert!(check(q).is_ok(), "{q}");
        }
    }
}
