//! How deeply a query may nest, decided from its tokens before it is parsed.
//!
//! Parsing, checking, evaluating and dropping an expression all recurse once per level of
//! the tree. Every level needs at least one token that opens it: an operator (binary or
//! unary), `(` (parentheses, calls, aggregations) or `[` (range selectors, subqueries).
//! Counting those tokens outside label matchers (`{…}`) bounds the depth of the tree from
//! above, so a query under [`MAX_NESTING`] cannot recurse deeper than that, and the engine
//! evaluates on a thread whose stack ([`EVAL_STACK_BYTES`]) holds that depth with room to
//! spare. Over the bound the query is refused as a parse error (HTTP 400), never evaluated.

use promql_parser::parser::lex::lexer;
use promql_parser::parser::token::{
    TokenType, T_LEFT_BRACE, T_LEFT_BRACKET, T_LEFT_PAREN, T_RIGHT_BRACE,
};

use crate::error::{Error, Result};
use lrpar::{Lexeme, Lexer};

/// Most operators and opening brackets a query may have (outside label matchers).
pub const MAX_NESTING: usize = 1_000;

/// Stack of the threads that parse and evaluate queries: enough for [`MAX_NESTING`] levels
/// in unoptimised builds, with a wide margin (the memory is reserved, touched only as used).
pub const EVAL_STACK_BYTES: usize = 256 << 20;

/// Refuses a query whose tree could nest deeper than [`MAX_NESTING`]. Queries the lexer
/// refuses pass through: the parser words their error.
pub(crate) fn check(query: &str) -> Result<()> {
    let Ok(tokens) = lexer(query) else {
        return Ok(());
    };
    let mut levels = 0usize;
    let mut in_matchers = false;
    for token in tokens.iter().flatten() {
        let id = token.tok_id();
        match id {
            T_LEFT_BRACE => in_matchers = true,
            T_RIGHT_BRACE => in_matchers = false,
            _ if in_matchers => {}
            T_LEFT_PAREN | T_LEFT_BRACKET => levels += 1,
            _ if TokenType::new(id).is_operator() => levels += 1,
            _ => {}
        }
        if levels > MAX_NESTING {
            return Err(Error::Parse(format!(
                "query is too complex: more than {MAX_NESTING} nested operators, parentheses \
                 and brackets"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> String {
        vec!["1"; n].join("+")
    }

    #[test]
    fn counts_operators_and_brackets_outside_matchers() {
        assert!(check(&chain(MAX_NESTING + 1)).is_ok(), "exactly the limit");
        assert!(check(&chain(MAX_NESTING + 2)).is_err());
        let parens = format!(
            "{}1{}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert!(matches!(check(&parens), Err(Error::Parse(m)) if m.contains("too complex")));
        // Matchers do not nest: many of them are fine.
        let matchers: Vec<String> = (0..5 * MAX_NESTING)
            .map(|i| format!("l{i}!=\"x\""))
            .collect();
        assert!(check(&format!("up{{{}}}", matchers.join(","))).is_ok());
        // The lexer's own errors are left to the parser.
        assert!(check("sum(\"unterminated").is_ok());
    }
}
