//! Making the `promql-parser` crate accept exactly Prometheus 2.42's language: it no longer
//! knows `holt_winters` (registered here), and it accepts functions and aggregations added
//! after 2.42, which are refused here with Prometheus' own parse error.

use std::sync::Once;

use promql_parser::parser::value::ValueType;
use promql_parser::parser::{Expr, Function};
use promql_parser::util::{walk_expr, ExprVisitor};

/// Functions of Prometheus 2.42.
const FUNCTIONS_2_42: &[&str] = &[
    "abs",
    "absent",
    "absent_over_time",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "cos",
    "cosh",
    "count_over_time",
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "deg",
    "delta",
    "deriv",
    "exp",
    "floor",
    "histogram_count",
    "histogram_sum",
    "histogram_fraction",
    "histogram_quantile",
    "holt_winters",
    "hour",
    "idelta",
    "increase",
    "irate",
    "label_replace",
    "label_join",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "max_over_time",
    "min_over_time",
    "minute",
    "month",
    "pi",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rad",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sin",
    "sinh",
    "sort",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "tan",
    "tanh",
    "time",
    "timestamp",
    "vector",
    "year",
];

/// Aggregations of Prometheus 2.42.
const AGGREGATIONS_2_42: &[&str] = &[
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
];

/// Registers `holt_winters(range, scalar, scalar)` with the parser (once per process).
pub fn register_functions() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = promql_parser::parser::register_extra_functions(vec![Function {
            name: "holt_winters",
            arg_types: vec![ValueType::Matrix, ValueType::Scalar, ValueType::Scalar],
            variadic: 0,
            return_type: ValueType::Vector,
            experimental: false,
        }]);
    });
}

/// Functions of later Prometheus versions (2.50) the engine evaluates when
/// `EngineOptions::histogram_stat_functions` is set.
pub const HISTOGRAM_STAT_FUNCTIONS: &[&str] =
    &["histogram_avg", "histogram_stddev", "histogram_stdvar"];

struct Check<'a> {
    /// Functions accepted besides 2.42's.
    also: &'a [&'a str],
}

impl ExprVisitor for Check<'_> {
    type Error = String;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, String> {
        match expr {
            Expr::Call(c)
                if !FUNCTIONS_2_42.contains(&c.func.name) && !self.also.contains(&c.func.name) =>
            {
                Err(format!("unknown function with name {:?}", c.func.name))
            }
            Expr::Aggregate(a) if !AGGREGATIONS_2_42.contains(&a.op.to_string().as_str()) => {
                Err(format!("unexpected aggregation {:?}", a.op.to_string()))
            }
            _ => Ok(true),
        }
    }
}

/// Refuses what Prometheus 2.42 does not know, except the functions in `also`.
pub fn check_2_42(expr: &Expr, also: &[&str]) -> Result<(), String> {
    walk_expr(&mut Check { also }, expr).map(|_| ())
}
