//! Aggregations with `by`/`without`, evaluated per step: sum, avg, min, max, count, group,
//! stddev, stdvar, topk, bottomk, quantile, count_values.
//!
//! Histogram samples, as in Prometheus 2.42: `sum` adds them (a group mixing histograms
//! and floats at a step gives nothing there); every other aggregation sees a histogram
//! sample as its float value (0 from storage) and gives floats (`count` counts them,
//! `avg` averages their zeros, `topk` returns their float values).

use std::collections::HashMap;

use mnemos_tsdb::{Label, Labels};
use promql_parser::parser::{AggregateExpr, LabelModifier};

use crate::engine::{eval, Ctx, Hist, VSeries, Val};
use crate::error::{Error, Result};
use crate::hist;

fn exec(msg: impl Into<String>) -> Error {
    Error::Execution(msg.into())
}

/// The grouping labels of a series.
fn group_labels(l: &Labels, modifier: Option<&LabelModifier>) -> Labels {
    match modifier {
        Some(LabelModifier::Include(by)) => Labels::from_sorted(
            l.iter()
                .filter(|x| by.labels.contains(&x.name))
                .cloned()
                .collect(),
        ),
        Some(LabelModifier::Exclude(without)) => Labels::from_sorted(
            l.iter()
                .filter(|x| x.name != "__name__" && !without.labels.contains(&x.name))
                .cloned()
                .collect(),
        ),
        None => Labels::new(),
    }
}

/// Prometheus' quantile over unsorted values.
pub(crate) fn quantile(phi: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    if phi.is_nan() {
        return f64::NAN;
    }
    if phi < 0.0 {
        return f64::NEG_INFINITY;
    }
    if phi > 1.0 {
        return f64::INFINITY;
    }
    // Go's sort.Float64s: NaN before every number.
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    });
    let n = values.len() as f64;
    let rank = phi * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// Which of `values` (in input order) topk (`top`) or bottomk keep, chosen exactly as
/// Prometheus 2.42 does: a Go `container/heap` filled in input order; a better value (or
/// any value when the root is NaN) pops the root and is pushed, so ties and NaNs resolve
/// as in Prometheus.
fn heap_select(values: &[(usize, f64)], k: usize, top: bool) -> Vec<usize> {
    // Go's vectorByValueHeap (topk) / vectorByReverseValueHeap (bottomk) Less: NaN first.
    let less = |a: f64, b: f64| a.is_nan() || if top { a < b } else { a > b };
    let mut heap: Vec<(usize, f64)> = Vec::with_capacity(k.min(values.len()));
    let up = |heap: &mut Vec<(usize, f64)>, mut j: usize| {
        while j > 0 {
            let i = (j - 1) / 2;
            if !less(heap[j].1, heap[i].1) {
                break;
            }
            heap.swap(i, j);
            j = i;
        }
    };
    let down = |heap: &mut Vec<(usize, f64)>, i0: usize| -> bool {
        let n = heap.len();
        let mut i = i0;
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            if j1 + 1 < n && less(heap[j1 + 1].1, heap[j1].1) {
                j = j1 + 1;
            }
            if !less(heap[j].1, heap[i].1) {
                break;
            }
            heap.swap(i, j);
            i = j;
        }
        i > i0
    };
    if k == 0 {
        return Vec::new();
    }
    for &(idx, v) in values {
        let root = heap.first().map_or(f64::NAN, |r| r.1);
        let better = if top { root < v } else { root > v };
        if heap.len() < k || better || root.is_nan() {
            if heap.len() == k {
                if k == 1 {
                    heap[0] = (idx, v);
                    continue;
                }
                // heap.Pop: the last element to the root, sift down, drop the old root.
                let last = heap.len() - 1;
                heap.swap(0, last);
                heap.pop();
                down(&mut heap, 0);
            }
            heap.push((idx, v));
            let last = heap.len() - 1;
            up(&mut heap, last);
        }
    }
    heap.into_iter().map(|(idx, _)| idx).collect()
}

/// Orders values ascending (or descending) with NaN last either way, as Prometheus'
/// topk, bottomk, sort and sort_desc do.
pub(crate) fn nan_last(a: f64, b: f64, descending: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ if descending => b.total_cmp(&a),
        _ => a.total_cmp(&b),
    }
}

#[derive(Clone, Default)]
struct Acc {
    n: f64,
    sum: f64,
    mean: f64,
    min: f64,
    max: f64,
    values: Vec<f64>,
    /// `sum`: whether float or histogram samples were added, and the histograms' sum.
    has_float: bool,
    has_hist: bool,
    hist: Option<Box<mnemos_tsdb::histogram::FloatHistogram>>,
}

pub(crate) fn aggregate(ctx: &Ctx, agg: &AggregateExpr) -> Result<Val> {
    let op = agg.op.to_string();
    let steps = ctx.steps.len();
    let param = match &agg.param {
        Some(p) => Some(eval(ctx, p)?.val),
        None => None,
    };
    // The input stays charged until the aggregate is built.
    let input = eval(ctx, &agg.expr)?;
    let _input_charge = input.charge;
    let input = match input.val {
        Val::Vector(v) => v,
        _ => return Err(exec("aggregation is only allowed on instant vectors")),
    };
    let modifier = agg.modifier.as_ref();
    match op.as_str() {
        "topk" | "bottomk" => {
            let k = match param {
                Some(Val::Scalar(v)) => v,
                _ => return Err(exec("topk/bottomk need a scalar parameter")),
            };
            let top = op == "topk";
            let groups: Vec<Labels> = input
                .iter()
                .map(|s| group_labels(&s.labels, modifier))
                .collect();
            let mut out: Vec<VSeries> = input
                .iter()
                .map(|s| VSeries {
                    labels: s.labels.clone(),
                    vals: vec![None; steps],
                    hists: None,
                })
                .collect();
            for (i, &kk) in k.iter().enumerate().take(steps) {
                if kk.is_nan() {
                    return Err(exec("Parameter value is NaN"));
                }
                let kk = if kk < 1.0 {
                    0
                } else {
                    kk.min(i64::MAX as f64) as usize
                };
                let mut by_group: HashMap<&Labels, Vec<usize>> = HashMap::new();
                for (j, s) in input.iter().enumerate() {
                    if s.vals[i].is_some() {
                        by_group.entry(&groups[j]).or_default().push(j);
                    }
                }
                for (_, members) in by_group {
                    let values: Vec<(usize, f64)> = members
                        .iter()
                        .map(|&j| (j, input[j].vals[i].unwrap_or(f64::NAN)))
                        .collect();
                    for j in heap_select(&values, kk, top) {
                        out[j].vals[i] = input[j].vals[i];
                    }
                }
            }
            let mut out: Vec<VSeries> = out
                .into_iter()
                .filter(|s| s.vals.iter().any(Option::is_some))
                .collect();
            if steps == 1 {
                out.sort_by(|a, b| {
                    nan_last(
                        a.vals[0].unwrap_or(f64::NAN),
                        b.vals[0].unwrap_or(f64::NAN),
                        top,
                    )
                });
            }
            Ok(Val::Vector(out))
        }
        "count_values" => {
            let label = match param {
                Some(Val::Str(s)) => s,
                _ => return Err(exec("count_values needs a string parameter")),
            };
            if label.is_empty()
                || !label.chars().enumerate().all(|(i, c)| {
                    c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
                })
            {
                return Err(exec(format!("invalid label name {label:?}")));
            }
            let mut index: HashMap<Labels, usize> = HashMap::new();
            let mut out: Vec<VSeries> = Vec::new();
            // Each distinct value makes a series of its own: charged as it is made.
            let mut made = ctx.charge(0)?;
            for s in &input {
                let base = group_labels(&s.labels, modifier);
                for i in 0..steps {
                    let Some(v) = s.vals[i] else { continue };
                    let mut ls: Vec<Label> =
                        base.iter().filter(|l| l.name != label).cloned().collect();
                    ls.push(Label::new(label.as_str(), mnemos_tsdb::gofmt::format_f(v)));
                    ls.sort_by(|a, b| a.name.cmp(&b.name));
                    let key = Labels::from_sorted(ls);
                    let idx = match index.get(&key) {
                        Some(&idx) => idx,
                        None => {
                            made.grow(steps)?;
                            index.insert(key.clone(), out.len());
                            out.push(VSeries {
                                labels: key,
                                vals: vec![None; steps],
                                hists: None,
                            });
                            out.len() - 1
                        }
                    };
                    let slot = &mut out[idx].vals[i];
                    *slot = Some(slot.unwrap_or(0.0) + 1.0);
                }
            }
            Ok(Val::Vector(out))
        }
        "stddev" | "stdvar" => Ok(Val::Vector(stdvar(&input, modifier, steps, op == "stddev"))),
        "sum" | "avg" | "min" | "max" | "count" | "group" | "quantile" => {
            let phi = match (&param, op.as_str()) {
                (Some(Val::Scalar(v)), "quantile") => Some(v.clone()),
                (_, "quantile") => return Err(exec("quantile needs a scalar parameter")),
                _ => None,
            };
            let mut index: HashMap<Labels, usize> = HashMap::new();
            let mut groups: Vec<(Labels, Vec<Option<Acc>>)> = Vec::new();
            let is_sum = op == "sum";
            for s in &input {
                let key = group_labels(&s.labels, modifier);
                let idx = *index.entry(key.clone()).or_insert_with(|| {
                    groups.push((key, vec![None; steps]));
                    groups.len() - 1
                });
                for i in 0..steps {
                    let Some(v) = s.vals[i] else { continue };
                    let h = if is_sum { s.hist(i) } else { None };
                    let slot = &mut groups[idx].1[i];
                    match slot {
                        None => {
                            *slot = Some(Acc {
                                n: 1.0,
                                sum: v,
                                mean: v,
                                min: v,
                                max: v,
                                values: if phi.is_some() { vec![v] } else { Vec::new() },
                                has_float: h.is_none(),
                                has_hist: h.is_some(),
                                hist: h.map(|h| {
                                    Box::new(mnemos_tsdb::histogram::FloatHistogram::clone(h))
                                }),
                            })
                        }
                        Some(a) if h.is_some() || (is_sum && a.has_hist) => {
                            // sum: a histogram is added to the histograms (the one with
                            // the lower schema receives); a float after histograms only
                            // spoils the group.
                            match h {
                                Some(h) => {
                                    a.has_hist = true;
                                    if let Some(g) = a.hist.as_mut() {
                                        if h.schema >= g.schema {
                                            hist::add(g, h);
                                        } else {
                                            let mut sum =
                                                mnemos_tsdb::histogram::FloatHistogram::clone(h);
                                            hist::add(&mut sum, g);
                                            **g = sum;
                                        }
                                    }
                                }
                                None => {
                                    a.has_float = true;
                                    a.sum += v;
                                }
                            }
                        }
                        Some(a) => {
                            a.n += 1.0;
                            a.has_float = true;
                            a.sum += v;
                            // avg as Prometheus 2.42 computes it (incremental, Inf-aware).
                            if a.mean.is_infinite()
                                && ((v.is_infinite() && (a.mean > 0.0) == (v > 0.0))
                                    || (!v.is_infinite() && !v.is_nan()))
                            {
                                // keep the infinite mean
                            } else {
                                a.mean += v / a.n - a.mean / a.n;
                            }
                            if a.min > v || a.min.is_nan() {
                                a.min = v;
                            }
                            if a.max < v || a.max.is_nan() {
                                a.max = v;
                            }
                            if phi.is_some() {
                                a.values.push(v);
                            }
                        }
                    }
                }
            }
            let mut out = Vec::with_capacity(groups.len());
            for (labels, accs) in groups {
                let mut hists: Option<Vec<Option<Hist>>> = None;
                let vals: Vec<Option<f64>> = accs
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let mut a = a?;
                        if is_sum && a.has_hist {
                            // Histograms and floats cannot be summed together.
                            if a.has_float {
                                return None;
                            }
                            let hs = hists.get_or_insert_with(|| crate::engine::no_hists(steps));
                            hs[i] = a.hist.take().map(|h| std::sync::Arc::new(*h));
                        }
                        Some(match op.as_str() {
                            "sum" => a.sum,
                            "avg" => a.mean,
                            "min" => a.min,
                            "max" => a.max,
                            "count" => a.n,
                            "quantile" => quantile(
                                phi.as_ref().map(|p| p[i]).unwrap_or(f64::NAN),
                                &mut a.values,
                            ),
                            _ => 1.0, // group
                        })
                    })
                    .collect();
                out.push(VSeries {
                    labels,
                    vals,
                    hists,
                });
            }
            Ok(Val::Vector(out))
        }
        other => Err(exec(format!("aggregation {other:?} is not supported"))),
    }
}

fn stdvar(
    input: &[VSeries],
    modifier: Option<&LabelModifier>,
    steps: usize,
    sqrt: bool,
) -> Vec<VSeries> {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    /// Per step: count, mean, sum of squared deviations.
    type Welford = Option<(f64, f64, f64)>;
    let mut groups: Vec<(Labels, Vec<Welford>)> = Vec::new();
    for s in input {
        let key = group_labels(&s.labels, modifier);
        let idx = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, vec![None; steps]));
            groups.len() - 1
        });
        for i in 0..steps {
            let Some(v) = s.vals[i] else { continue };
            let (n, mean, m2) = groups[idx].1[i].unwrap_or((0.0, 0.0, 0.0));
            let n = n + 1.0;
            let delta = v - mean;
            let mean = mean + delta / n;
            let m2 = m2 + delta * (v - mean);
            groups[idx].1[i] = Some((n, mean, m2));
        }
    }
    groups
        .into_iter()
        .map(|(labels, accs)| VSeries {
            labels,
            vals: accs
                .into_iter()
                .map(|a| {
                    a.map(|(n, _, m2)| {
                        let var = m2 / n;
                        if sqrt {
                            var.sqrt()
                        } else {
                            var
                        }
                    })
                })
                .collect(),
            hists: None,
        })
        .collect()
}
