//! Binary operators: arithmetic, comparison (filter or `bool`), set operators, with
//! `on`/`ignoring` and `group_left`/`group_right`, matched step by step as Prometheus does.
//!
//! Histogram samples, as in Prometheus 2.42:
//! * vector ⊕ scalar computes with the sample's float value (0 from storage) and keeps
//!   the histogram unchanged beside the new value (`h * 2`, `h > bool 1` and `-h` print
//!   the histogram as it was; a comparison that fails drops it);
//! * vector ⊕ vector: `+` of two histograms is their sum; any other operator between two
//!   histograms gives the float result of their float values (`h - h` is 0, `h == h`
//!   keeps 0); a histogram against a float gives nothing;
//! * `and`, `or`, `unless` pass samples through as they are.

use std::collections::HashMap;
use std::sync::Arc;

use mnemos_tsdb::{Label, Labels};
use promql_parser::parser::{self as ast, BinaryExpr, LabelModifier, VectorMatchCardinality};

use crate::engine::{drop_name, eval, Ctx, VSeries, Val};
use crate::error::{Error, Result};
use crate::gomath;
use crate::hist;

fn exec(msg: impl Into<String>) -> Error {
    Error::Execution(msg.into())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Atan2,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    And,
    Or,
    Unless,
}

impl Op {
    fn of(token: &ast::token::TokenType) -> Result<Self> {
        Ok(match token.to_string().as_str() {
            "+" => Op::Add,
            "-" => Op::Sub,
            "*" => Op::Mul,
            "/" => Op::Div,
            "%" => Op::Mod,
            "^" => Op::Pow,
            "atan2" => Op::Atan2,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            ">" => Op::Gt,
            "<" => Op::Lt,
            ">=" => Op::Ge,
            "<=" => Op::Le,
            "and" => Op::And,
            "or" => Op::Or,
            "unless" => Op::Unless,
            other => return Err(exec(format!("unknown binary operator {other:?}"))),
        })
    }

    fn is_comparison(self) -> bool {
        matches!(self, Op::Eq | Op::Ne | Op::Gt | Op::Lt | Op::Ge | Op::Le)
    }

    /// Whether the result loses the metric name (arithmetic except atan2, as in 2.42).
    fn drops_name(self) -> bool {
        matches!(
            self,
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod | Op::Pow
        )
    }

    fn is_set(self) -> bool {
        matches!(self, Op::And | Op::Or | Op::Unless)
    }

    /// `(value, keep)`: arithmetic keeps always; comparisons return the left value and
    /// whether the comparison holds.
    fn apply(self, l: f64, r: f64) -> (f64, bool) {
        match self {
            Op::Add => (l + r, true),
            Op::Sub => (l - r, true),
            Op::Mul => (l * r, true),
            Op::Div => (l / r, true),
            Op::Mod => (l % r, true),
            Op::Pow => (gomath::pow(l, r), true),
            Op::Atan2 => (gomath::atan2(l, r), true),
            Op::Eq => (l, l == r),
            Op::Ne => (l, l != r),
            Op::Gt => (l, l > r),
            Op::Lt => (l, l < r),
            Op::Ge => (l, l >= r),
            Op::Le => (l, l <= r),
            Op::And | Op::Or | Op::Unless => (l, true),
        }
    }
}

pub(crate) fn binary(ctx: &Ctx, b: &BinaryExpr) -> Result<Val> {
    let op = Op::of(&b.op)?;
    let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
    // Independent sides: the right one on a second thread when both do real work.
    let literal =
        |e: &ast::Expr| matches!(e, ast::Expr::NumberLiteral(_) | ast::Expr::StringLiteral(_));
    let (lhs, rhs) = if literal(&b.lhs) || literal(&b.rhs) {
        (eval(ctx, &b.lhs), eval(ctx, &b.rhs))
    } else {
        ctx.join(|| eval(ctx, &b.lhs), || eval(ctx, &b.rhs))
    };
    // Both operands stay charged until the result is built.
    let (lhs, rhs) = (lhs?, rhs?);
    let (_lhs_charge, _rhs_charge) = (lhs.charge, rhs.charge);
    match (lhs.val, rhs.val) {
        (Val::Scalar(l), Val::Scalar(r)) => Ok(Val::Scalar(
            l.into_iter()
                .zip(r)
                .map(|(a, b)| {
                    let (v, keep) = op.apply(a, b);
                    if op.is_comparison() {
                        if keep {
                            1.0
                        } else {
                            0.0
                        }
                    } else {
                        v
                    }
                })
                .collect(),
        )),
        (Val::Vector(l), Val::Scalar(r)) => {
            Ok(Val::Vector(vector_scalar(op, l, &r, false, return_bool)))
        }
        (Val::Scalar(l), Val::Vector(r)) => {
            Ok(Val::Vector(vector_scalar(op, r, &l, true, return_bool)))
        }
        (Val::Vector(l), Val::Vector(r)) => {
            if op.is_set() {
                // `or` can give the same labels from both sides at different steps: one series.
                let out = set_op(op, l, r, b.modifier.as_ref(), ctx.steps.len());
                crate::engine::merge_same_labels(out).map(Val::Vector)
            } else {
                vector_vector(op, l, r, b.modifier.as_ref(), return_bool, ctx.steps.len())
                    .map(Val::Vector)
            }
        }
        _ => Err(exec(
            "binary expression must contain only scalar and instant vector types",
        )),
    }
}

fn vector_scalar(
    op: Op,
    vec: Vec<VSeries>,
    scalar: &[f64],
    swap: bool,
    return_bool: bool,
) -> Vec<VSeries> {
    let drop = op.drops_name() || return_bool;
    vec.into_iter()
        .filter_map(|s| {
            let vals: Vec<Option<f64>> = s
                .vals
                .iter()
                .zip(scalar)
                .map(|(v, sc)| {
                    let v = (*v)?;
                    let (l, r) = if swap { (*sc, v) } else { (v, *sc) };
                    let (mut value, keep) = op.apply(l, r);
                    if op.is_comparison() && swap {
                        value = r;
                    }
                    if return_bool {
                        Some(if keep { 1.0 } else { 0.0 })
                    } else if keep {
                        Some(value)
                    } else {
                        None
                    }
                })
                .collect();
            // Kept samples keep their histograms.
            let hists = s.hists.map(|hs| {
                hs.into_iter()
                    .zip(&vals)
                    .map(|(h, v)| h.filter(|_| v.is_some()))
                    .collect::<Vec<_>>()
            });
            vals.iter().any(Option::is_some).then(|| VSeries {
                labels: if drop { drop_name(&s.labels) } else { s.labels },
                vals,
                hists,
            })
        })
        .collect()
}

/// The matching signature of a series.
fn signature(l: &Labels, modifier: Option<&ast::BinModifier>) -> Vec<(String, String)> {
    match modifier.and_then(|m| m.matching.as_ref()) {
        Some(LabelModifier::Include(on)) => on
            .labels
            .iter()
            .map(|n| (n.clone(), l.get(n).unwrap_or("").to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        Some(LabelModifier::Exclude(ign)) => l
            .iter()
            .filter(|x| x.name != "__name__" && !ign.labels.contains(&x.name))
            .map(|x| (x.name.clone(), x.value.clone()))
            .collect(),
        None => l
            .iter()
            .filter(|x| x.name != "__name__")
            .map(|x| (x.name.clone(), x.value.clone()))
            .collect(),
    }
}

fn set_op(
    op: Op,
    l: Vec<VSeries>,
    r: Vec<VSeries>,
    modifier: Option<&ast::BinModifier>,
    steps: usize,
) -> Vec<VSeries> {
    let lsig: Vec<_> = l.iter().map(|s| signature(&s.labels, modifier)).collect();
    let rsig: Vec<_> = r.iter().map(|s| signature(&s.labels, modifier)).collect();
    let mut lout: Vec<VSeries> = l
        .iter()
        .map(|s| VSeries::floats(s.labels.clone(), vec![None; steps]))
        .collect();
    let mut rout: Vec<VSeries> = r
        .iter()
        .map(|s| VSeries::floats(s.labels.clone(), vec![None; steps]))
        .collect();
    for i in 0..steps {
        let rset: std::collections::HashSet<&Vec<(String, String)>> = r
            .iter()
            .zip(&rsig)
            .filter(|(s, _)| s.vals[i].is_some())
            .map(|(_, g)| g)
            .collect();
        let lset: std::collections::HashSet<&Vec<(String, String)>> = l
            .iter()
            .zip(&lsig)
            .filter(|(s, _)| s.vals[i].is_some())
            .map(|(_, g)| g)
            .collect();
        for (j, s) in l.iter().enumerate() {
            let Some(v) = s.vals[i] else { continue };
            let keep = match op {
                Op::And => rset.contains(&lsig[j]),
                Op::Unless => !rset.contains(&lsig[j]),
                _ => true,
            };
            if keep {
                lout[j].vals[i] = Some(v);
                lout[j].set_hist(i, s.hist(i).cloned());
            }
        }
        if op == Op::Or {
            for (j, s) in r.iter().enumerate() {
                if let Some(v) = s.vals[i] {
                    if !lset.contains(&rsig[j]) {
                        rout[j].vals[i] = Some(v);
                        rout[j].set_hist(i, s.hist(i).cloned());
                    }
                }
            }
        }
    }
    lout.into_iter()
        .chain(rout)
        .filter(|s| s.vals.iter().any(Option::is_some))
        .collect()
}

fn sig_text(sig: &[(String, String)]) -> String {
    let parts: Vec<String> = sig.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", parts.join(", "))
}

fn vector_vector(
    op: Op,
    l: Vec<VSeries>,
    r: Vec<VSeries>,
    modifier: Option<&ast::BinModifier>,
    return_bool: bool,
    steps: usize,
) -> Result<Vec<VSeries>> {
    let card = modifier
        .map(|m| m.card.clone())
        .unwrap_or(VectorMatchCardinality::OneToOne);
    // Normalise group_right to group_left by swapping sides.
    let (many, one, swapped, include) = match &card {
        VectorMatchCardinality::OneToMany(inc) => (r, l, true, inc.labels.clone()),
        VectorMatchCardinality::ManyToOne(inc) => (l, r, false, inc.labels.clone()),
        _ => (l, r, false, Vec::new()),
    };
    let grouped = matches!(
        card,
        VectorMatchCardinality::ManyToOne(_) | VectorMatchCardinality::OneToMany(_)
    );
    let msig: Vec<_> = many
        .iter()
        .map(|s| signature(&s.labels, modifier))
        .collect();
    let osig: Vec<_> = one.iter().map(|s| signature(&s.labels, modifier)).collect();
    let drop = op.drops_name() || return_bool;
    let on = matches!(
        modifier.and_then(|m| m.matching.as_ref()),
        Some(LabelModifier::Include(_))
    );
    let matching: Vec<String> = modifier
        .and_then(|m| m.matching.as_ref())
        .map(|m| m.labels().labels.clone())
        .unwrap_or_default();
    let mut out: Vec<VSeries> = Vec::new();
    // Per result series: 1 + the last step a match claimed it (also a match that gives
    // nothing, a histogram against a float), to find a second match at a step.
    let mut claimed: Vec<usize> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for i in 0..steps {
        let mut one_map: HashMap<&Vec<(String, String)>, usize> = HashMap::new();
        for (j, s) in one.iter().enumerate() {
            if s.vals[i].is_none() {
                continue;
            }
            if let Some(prev) = one_map.insert(&osig[j], j) {
                let side = if swapped { "left" } else { "right" };
                return Err(exec(format!(
                    "found duplicate series for the match group {} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                    sig_text(&osig[j]),
                    one[prev].labels,
                    s.labels
                )));
            }
        }
        let mut matched_one: HashMap<&Vec<(String, String)>, usize> = HashMap::new();
        for (j, s) in many.iter().enumerate() {
            let Some(mv) = s.vals[i] else { continue };
            let Some(&k) = one_map.get(&msig[j]) else {
                continue;
            };
            let ov = one[k].vals[i].unwrap_or(f64::NAN);
            let (lv, rv) = if swapped { (ov, mv) } else { (mv, ov) };
            let (mh, oh) = (s.hist(i), one[k].hist(i));
            let (lh, rh) = if swapped { (oh, mh) } else { (mh, oh) };
            let (value, keep, sum) = match (op, lh, rh) {
                (Op::Add, Some(a), Some(b)) => (0.0, true, Some(Arc::new(hist::sum_of(a, b)))),
                _ => {
                    let (value, keep) = op.apply(lv, rv);
                    (value, keep, None)
                }
            };
            let value = if return_bool {
                if keep {
                    1.0
                } else {
                    0.0
                }
            } else if keep {
                value
            } else {
                continue;
            };
            if !grouped {
                if let Some(_prev) = matched_one.insert(&msig[j], j) {
                    return Err(exec("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"));
                }
            }
            // Result labels.
            let mut labels: Vec<Label> = if drop {
                drop_name(&s.labels).into_vec()
            } else {
                s.labels.clone().into_vec()
            };
            if grouped {
                for name in &include {
                    labels.retain(|x| &x.name != name);
                    if let Some(v) = one[k].labels.get(name) {
                        if !v.is_empty() {
                            labels.push(Label::new(name.as_str(), v));
                        }
                    }
                }
                labels.sort_by(|a, b| a.name.cmp(&b.name));
            } else if on {
                labels.retain(|x| matching.contains(&x.name));
            } else {
                labels.retain(|x| !matching.contains(&x.name));
            }
            let labels = Labels::from_sorted(labels);
            let idx = match index.get(&labels) {
                Some(&x) => x,
                None => {
                    index.insert(labels.clone(), out.len());
                    out.push(VSeries::floats(labels, vec![None; steps]));
                    claimed.push(0);
                    out.len() - 1
                }
            };
            if claimed[idx] == i + 1 {
                return Err(exec(if grouped {
                    "multiple matches for labels: grouping labels must ensure unique matches"
                } else {
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
                }));
            }
            claimed[idx] = i + 1;
            // A histogram against a float gives nothing.
            if lh.is_some() != rh.is_some() {
                continue;
            }
            out[idx].vals[i] = Some(value);
            out[idx].set_hist(i, sum);
        }
    }
    out.retain(|s| s.vals.iter().any(Option::is_some));
    Ok(out)
}
