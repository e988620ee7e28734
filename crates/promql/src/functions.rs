//! PromQL functions of Prometheus 2.42.
//!
//! Histogram samples: `rate`, `increase` and `delta` compute histograms,
//! `histogram_quantile`, `histogram_fraction`, `histogram_count` and `histogram_sum` read
//! them, `sort` and `sort_desc` keep them; every other function sees a histogram sample
//! as its float value (0 from storage) and returns floats, as 2.42 does (`irate(h[1m])`
//! is 0, `count_over_time` counts histogram samples, `last_over_time` gives 0).

use calendar::{civil, days_in_month};
use mnemos_tsdb::{Label, Labels};
use promql_parser::parser::{Call, Expr};

use crate::aggregate::quantile;
use crate::budget::Charge;
use crate::engine::{
    drop_name, eval, merge_same_labels, with_label, Ctx, Hist, Points, Range, VSeries, Val,
};
use crate::error::{Error, Result};
use crate::gomath;
use crate::hist;

fn exec(msg: impl Into<String>) -> Error {
    Error::Execution(msg.into())
}

/// Calendar arithmetic without a date crate.
mod calendar {
    /// (year, month 1-12, day 1-31, day of week 0=Sunday, day of year 1-366, hour, minute).
    pub fn civil(secs: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = mnemos_tsdb::gofmt::civil_from_days(days);
        let dow = (days + 4).rem_euclid(7);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let doy = cum[(month - 1) as usize] + day + i64::from(leap && month > 2);
        (year, month, day, dow, doy, rem / 3600, rem % 3600 / 60)
    }

    /// Days in the month of `secs`.
    pub fn days_in_month(secs: i64) -> i64 {
        let (y, m, ..) = civil(secs);
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }
}

fn vector_arg(ctx: &Ctx, e: &Expr) -> Result<Vec<VSeries>> {
    match eval(ctx, e)?.val {
        Val::Vector(v) => Ok(v),
        _ => Err(exec("expected an instant vector argument")),
    }
}

fn scalar_arg(ctx: &Ctx, e: &Expr) -> Result<Vec<f64>> {
    match eval(ctx, e)?.val {
        Val::Scalar(v) => Ok(v),
        _ => Err(exec("expected a scalar argument")),
    }
}

fn string_arg(ctx: &Ctx, e: &Expr) -> Result<String> {
    match eval(ctx, e)?.val {
        Val::Str(s) => Ok(s),
        _ => Err(exec("expected a string argument")),
    }
}

/// Evaluates a range-vector argument of function `func`; the name goes with a selection
/// to storage as a hint (downsampled aggregates, counter-aware dedup).
/// The range's charge (a subquery's points) comes along: keep it while the range is used.
fn range_arg<'a>(ctx: &Ctx<'a>, e: &Expr, func: &'static str) -> Result<(Range, Charge<'a>)> {
    let held = eval(ctx, e)?;
    let charge = held.charge;
    match held.val {
        Val::Matrix(mut r) => {
            match &mut r.points {
                Points::Select { func: f, .. } => *f = Some(func),
                // Computed points (subqueries) count once each, like raw samples.
                // Histogram points (value 0) count 1 each.
                Points::Loaded(series) if func == crate::storage::COUNT_HINT => {
                    for s in series.iter_mut() {
                        for p in s.pts.iter_mut() {
                            p.1 = crate::storage::as_count(p.1);
                        }
                    }
                }
                Points::Loaded(_) => {}
            }
            Ok((r, charge))
        }
        _ => Err(exec("expected a range vector argument")),
    }
}

/// Applies `f` to every value (a histogram sample's float value included), dropping the
/// metric name and any histogram.
fn map_values(v: Vec<VSeries>, f: impl Fn(f64) -> f64) -> Vec<VSeries> {
    v.into_iter()
        .map(|s| {
            VSeries::floats(
                drop_name(&s.labels),
                s.vals.into_iter().map(|x| x.map(&f)).collect(),
            )
        })
        .collect()
}

/// Applies `f(points, window, step index)` to each step's window of each series, streaming
/// series from storage; `keep_name` for last_over_time. Histogram points are seen as
/// their float value (0); the results are floats.
fn over_windows(
    ctx: &Ctx,
    r: &Range,
    keep_name: bool,
    f: impl Fn(&[(i64, f64)], (i64, i64), usize) -> Option<f64>,
) -> Result<Vec<VSeries>> {
    over_windows_h(ctx, r, keep_name, |p, _, w, i| {
        f(p, w, i).map(|v| (v, None))
    })
}

/// [`over_windows`] for functions that read or give histograms: `f` also gets the
/// histograms beside the window's points (`None` when the series has none) and may
/// return a histogram sample.
fn over_windows_h(
    ctx: &Ctx,
    r: &Range,
    keep_name: bool,
    f: impl Fn(&[(i64, f64)], Option<&[Option<Hist>]>, (i64, i64), usize) -> Option<(f64, Option<Hist>)>,
) -> Result<Vec<VSeries>> {
    let mut out = Vec::new();
    let mut kept = ctx.charge(0)?;
    r.for_each(ctx, |labels, pts, hists| {
        let mut series = VSeries::floats(
            if keep_name {
                labels.clone()
            } else {
                drop_name(labels)
            },
            Vec::with_capacity(r.windows.len()),
        );
        for (i, &(ws, we)) in r.windows.iter().enumerate() {
            let a = pts.partition_point(|(t, _)| *t < ws);
            let b = pts.partition_point(|(t, _)| *t <= we);
            let got = if a >= b {
                None
            } else {
                f(&pts[a..b], hists.map(|h| &h[a..b]), (ws, we), i)
            };
            series.vals.push(got.as_ref().map(|g| g.0));
            if let Some((_, Some(h))) = got {
                if series.hists.is_none() {
                    series.hists = Some(crate::engine::no_hists(r.windows.len()));
                }
                if let Some(hs) = series.hists.as_mut() {
                    hs[i] = Some(h);
                }
            }
        }
        if series.vals.iter().any(Option::is_some) {
            kept.grow(series.vals.len())?;
            out.push(series);
        }
        Ok(())
    })?;
    Ok(out)
}

/// `rate`/`increase`/`delta` of one window as Prometheus 2.42's `extrapolatedRate`: of
/// histograms when the first point is a histogram (nothing when any other point is not),
/// of floats otherwise (nothing when any point is a histogram).
fn extrapolated_rate(
    pts: &[(i64, f64)],
    hists: Option<&[Option<Hist>]>,
    window: (i64, i64),
    range_ms: i64,
    is_counter: bool,
    is_rate: bool,
) -> Option<(f64, Option<Hist>)> {
    if pts.len() < 2 {
        return None;
    }
    let Some(hs) = hists else {
        return extrapolated(pts, window, range_ms, is_counter, is_rate).map(|v| (v, None));
    };
    if hs[0].is_none() {
        if hs.iter().any(Option::is_some) {
            return None;
        }
        return extrapolated(pts, window, range_ms, is_counter, is_rate).map(|v| (v, None));
    }
    let points: Vec<Option<&mnemos_tsdb::histogram::FloatHistogram>> =
        hs.iter().map(|h| h.as_deref()).collect();
    let mut h = hist::histogram_rate(&points, is_counter)?;
    // The float result is 0 beside a histogram: no extrapolation to a zero count.
    let factor = extrapolation_factor(pts, window, range_ms, is_counter, is_rate, 0.0);
    hist::scale(&mut h, factor);
    Some((0.0, Some(std::sync::Arc::new(h))))
}

/// Prometheus' extrapolated rate/increase/delta of floats.
fn extrapolated(
    pts: &[(i64, f64)],
    window: (i64, i64),
    range_ms: i64,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    if pts.len() < 2 {
        return None;
    }
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    let mut result = last.1 - first.1;
    if is_counter {
        let mut prev = 0.0;
        for &(_, v) in pts {
            if v < prev {
                result += prev;
            }
            prev = v;
        }
    }
    Some(result * extrapolation_factor(pts, window, range_ms, is_counter, is_rate, result))
}

/// The factor 2.42 multiplies the raw increase `result` of a window's points by:
/// extrapolation to the window's ends (not below a zero count for counters), per second
/// for rates.
fn extrapolation_factor(
    pts: &[(i64, f64)],
    window: (i64, i64),
    range_ms: i64,
    is_counter: bool,
    is_rate: bool,
    result: f64,
) -> f64 {
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    // The window start as Prometheus sees it: end - range (inclusive window).
    let range_start = window.1 - range_ms;
    let range_end = window.1;
    let mut to_start = (first.0 - range_start) as f64 / 1000.0;
    let to_end = (range_end - last.0) as f64 / 1000.0;
    let sampled = (last.0 - first.0) as f64 / 1000.0;
    let avg = sampled / (pts.len() - 1) as f64;
    if is_counter && result > 0.0 && first.1 >= 0.0 {
        let to_zero = sampled * (first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = avg * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        avg / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        avg / 2.0
    };
    // One factor, then one multiplication, as Prometheus 2.42 computes it.
    let mut factor = interval / sampled;
    if is_rate {
        factor /= range_ms as f64 / 1000.0;
    }
    factor
}

fn instant_delta(pts: &[(i64, f64)], is_rate: bool) -> Option<f64> {
    if pts.len() < 2 {
        return None;
    }
    let (prev, last) = (pts[pts.len() - 2], pts[pts.len() - 1]);
    let mut d = last.1 - prev.1;
    if is_rate && last.1 < prev.1 {
        d = last.1;
    }
    let dt = (last.0 - prev.0) as f64 / 1000.0;
    if is_rate {
        if dt == 0.0 {
            return None;
        }
        d /= dt;
    }
    Some(d)
}

/// Kahan-Neumaier compensated summation step: returns the new sum and compensation.
#[inline(never)]
pub(crate) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// Least-squares slope and intercept at `intercept_t`, with compensated sums as in
/// Prometheus 2.42 (a constant infinite series gives NaN).
fn linear_regression(pts: &[(i64, f64)], intercept_t: i64) -> (f64, f64) {
    let n = pts.len() as f64;
    let (mut sx, mut cx, mut sy, mut cy) = (0.0, 0.0, 0.0, 0.0);
    let (mut sxy, mut cxy, mut sx2, mut cx2) = (0.0, 0.0, 0.0, 0.0);
    let y0 = pts[0].1;
    let mut const_y = true;
    for (i, &(t, v)) in pts.iter().enumerate() {
        if const_y && i > 0 && v != y0 {
            const_y = false;
        }
        let x = (t - intercept_t) as f64 / 1000.0;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(v, sy, cy);
        (sxy, cxy) = kahan_inc(x * v, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if const_y {
        if y0.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, y0);
    }
    let (sx, sy, sxy, sx2) = (sx + cx, sy + cy, sxy + cxy, sx2 + cx2);
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

/// Population variance with compensated sums (Prometheus 2.42's stdvar_over_time).
fn stats(pts: &[(i64, f64)]) -> (f64, f64) {
    let (mut n, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(_, v) in pts {
        n += 1.0;
        let delta = v - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / n, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (v - (mean + c_mean)), aux, c_aux);
    }
    (mean + c_mean, (aux + c_aux) / n)
}

fn avg_over(pts: &[(i64, f64)]) -> f64 {
    let (mut mean, mut c, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for &(_, v) in pts {
        n += 1.0;
        if mean.is_infinite()
            && ((v.is_infinite() && (mean > 0.0) == (v > 0.0)) || (!v.is_infinite() && !v.is_nan()))
        {
            continue;
        }
        (mean, c) = kahan_inc(v / n - mean / n, mean, c);
    }
    if mean.is_infinite() {
        mean
    } else {
        mean + c
    }
}

/// Compensated sum (Prometheus 2.42's sum_over_time).
fn kahan_sum(pts: &[(i64, f64)]) -> f64 {
    let (mut sum, mut c) = (0.0, 0.0);
    for &(_, v) in pts {
        (sum, c) = kahan_inc(v, sum, c);
    }
    if sum.is_infinite() {
        sum
    } else {
        sum + c
    }
}

fn holt_winters(pts: &[(i64, f64)], sf: f64, tf: f64) -> Option<f64> {
    if pts.len() < 2 {
        return None;
    }
    let (mut s0, mut s1) = (0.0, pts[0].1);
    let mut b = pts[1].1 - pts[0].1;
    for (i, &(_, v)) in pts.iter().enumerate().skip(1) {
        let x = sf * v;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    Some(s1)
}

/// Go's `math.Max`: +Inf wins, then NaN.
fn go_max(a: f64, b: f64) -> f64 {
    if a == f64::INFINITY || b == f64::INFINITY {
        f64::INFINITY
    } else if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Go's `math.Min`: -Inf wins, then NaN.
fn go_min(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY || b == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn label_valid(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()))
}

/// Prometheus' bucket quantile over classic histogram buckets `(le, count)`.
fn bucket_quantile(q: f64, buckets: &mut [(f64, f64)]) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.len() < 2 || buckets[buckets.len() - 1].0 != f64::INFINITY {
        return f64::NAN;
    }
    // Coalesce equal bounds, ensure monotonic counts.
    let mut bs: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for &(le, c) in buckets.iter() {
        match bs.last_mut() {
            Some(last) if last.0 == le => last.1 += c,
            _ => bs.push((le, c)),
        }
    }
    let mut max = f64::NEG_INFINITY;
    for b in bs.iter_mut() {
        if b.1 > max {
            max = b.1;
        } else {
            b.1 = max;
        }
    }
    if bs.len() < 2 {
        return f64::NAN;
    }
    let observations = bs[bs.len() - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let rank = q * observations;
    let b = bs[..bs.len() - 1]
        .iter()
        .position(|x| x.1 >= rank)
        .unwrap_or(bs.len() - 1);
    if b == bs.len() - 1 {
        return bs[bs.len() - 2].0;
    }
    if b == 0 && bs[0].0 <= 0.0 {
        return bs[0].0;
    }
    let end = bs[b].0;
    let (mut start, mut count, mut rank) = (0.0, bs[b].1, rank);
    if b > 0 {
        start = bs[b - 1].0;
        count -= bs[b - 1].1;
        rank -= bs[b - 1].1;
    }
    start + (end - start) * (rank / count)
}

pub(crate) fn call(ctx: &Ctx, call: &Call) -> Result<Val> {
    let name = call.func.name;
    let args: Vec<&Expr> = call.args.args.iter().map(|b| b.as_ref()).collect();
    let steps = ctx.steps.len();
    let arg = |i: usize| -> Result<&Expr> {
        args.get(i)
            .copied()
            .ok_or_else(|| exec(format!("{name}: missing argument")))
    };
    let math = |f: fn(f64) -> f64| -> Result<Val> {
        Ok(Val::Vector(map_values(vector_arg(ctx, arg(0)?)?, f)))
    };
    match name {
        // Range functions.
        "rate" | "increase" | "delta" => {
            let (r, _charge) = range_arg(ctx, arg(0)?, name)?;
            let range = r.range;
            let (counter, rate) = (name != "delta", name == "rate");
            Ok(Val::Vector(over_windows_h(
                ctx,
                &r,
                false,
                |p, h, w, _| extrapolated_rate(p, h, w, range, counter, rate),
            )?))
        }
        "irate" | "idelta" => {
            let (r, _charge) = range_arg(ctx, arg(0)?, name)?;
            let rate = name == "irate";
            Ok(Val::Vector(over_windows(ctx, &r, false, |p, _, _| {
                instant_delta(p, rate)
            })?))
        }
        "avg_over_time" => over(ctx, name, arg(0)?, false, |p| Some(avg_over(p))),
        "sum_over_time" => over(ctx, name, arg(0)?, false, |p| Some(kahan_sum(p))),
        // Storage hands count_over_time each point's sample count as its value (1 for raw
        // samples, a window's count for downsampled data): the count is their sum.
        "count_over_time" => over(ctx, name, arg(0)?, false, |p| {
            Some(p.iter().map(|x| x.1).sum())
        }),
        "min_over_time" => over(ctx, name, arg(0)?, false, |p| {
            Some(
                p.iter()
                    .map(|x| x.1)
                    .fold(f64::NAN, |m, v| if m.is_nan() || v < m { v } else { m }),
            )
        }),
        "max_over_time" => over(ctx, name, arg(0)?, false, |p| {
            Some(
                p.iter()
                    .map(|x| x.1)
                    .fold(f64::NAN, |m, v| if m.is_nan() || v > m { v } else { m }),
            )
        }),
        "last_over_time" => over(ctx, name, arg(0)?, true, |p| p.last().map(|x| x.1)),
        "present_over_time" => over(ctx, name, arg(0)?, false, |_| Some(1.0)),
        "stddev_over_time" => over(ctx, name, arg(0)?, false, |p| Some(stats(p).1.sqrt())),
        "stdvar_over_time" => over(ctx, name, arg(0)?, false, |p| Some(stats(p).1)),
        "changes" => over(ctx, name, arg(0)?, false, |p| {
            Some(
                p.windows(2)
                    .filter(|w| w[0].1 != w[1].1 && !(w[0].1.is_nan() && w[1].1.is_nan()))
                    .count() as f64,
            )
        }),
        "resets" => over(ctx, name, arg(0)?, false, |p| {
            Some(p.windows(2).filter(|w| w[1].1 < w[0].1).count() as f64)
        }),
        "quantile_over_time" => {
            let q = scalar_arg(ctx, arg(0)?)?;
            let (r, _charge) = range_arg(ctx, arg(1)?, name)?;
            let out = over_windows(ctx, &r, false, |p, _, i| {
                let mut vals: Vec<f64> = p.iter().map(|x| x.1).collect();
                Some(quantile(q[i], &mut vals))
            })?;
            Ok(Val::Vector(out))
        }
        "deriv" => over(ctx, name, arg(0)?, false, |p| {
            (p.len() >= 2).then(|| linear_regression(p, p[0].0).0)
        }),
        "predict_linear" => {
            let (r, _charge) = range_arg(ctx, arg(0)?, name)?;
            let d = scalar_arg(ctx, arg(1)?)?;
            // The intercept is at the evaluation time, even with `@`.
            let out = over_windows(ctx, &r, false, |p, _, i| {
                (p.len() >= 2).then(|| {
                    let (slope, icpt) = linear_regression(p, ctx.steps[i]);
                    slope * d[i] + icpt
                })
            })?;
            Ok(Val::Vector(out))
        }
        "holt_winters" => {
            let (r, _charge) = range_arg(ctx, arg(0)?, name)?;
            let sf = scalar_arg(ctx, arg(1)?)?;
            let tf = scalar_arg(ctx, arg(2)?)?;
            // Prometheus checks the factors only when it evaluates a series.
            let evaluated = std::cell::Cell::new(false);
            let out = over_windows(ctx, &r, false, |p, _, _| {
                evaluated.set(true);
                holt_winters(p, sf[0], tf[0])
            })?;
            if evaluated.get() {
                if sf[0] <= 0.0 || sf[0] >= 1.0 {
                    return Err(exec(format!(
                        "invalid smoothing factor. Expected: 0 < sf < 1, got: {}",
                        sf[0]
                    )));
                }
                if tf[0] <= 0.0 || tf[0] >= 1.0 {
                    return Err(exec(format!(
                        "invalid trend factor. Expected: 0 < tf < 1, got: {}",
                        tf[0]
                    )));
                }
            }
            Ok(Val::Vector(out))
        }
        "absent_over_time" => {
            let (r, _charge) = range_arg(ctx, arg(0)?, name)?;
            let present = over_windows(ctx, &r, false, |_, _, _| Some(1.0))?;
            let vals: Vec<Option<f64>> = (0..steps)
                .map(|i| (!present.iter().any(|s| s.vals[i].is_some())).then_some(1.0))
                .collect();
            Ok(absent_result(arg(0)?, vals))
        }
        "absent" => {
            let v = vector_arg(ctx, arg(0)?)?;
            let vals: Vec<Option<f64>> = (0..steps)
                .map(|i| (!v.iter().any(|s| s.vals[i].is_some())).then_some(1.0))
                .collect();
            Ok(absent_result(arg(0)?, vals))
        }
        // Math.
        "abs" => math(f64::abs),
        "ceil" => math(f64::ceil),
        "floor" => math(f64::floor),
        "exp" => math(gomath::exp),
        "sqrt" => math(f64::sqrt),
        "ln" => math(gomath::log),
        "log2" => math(gomath::log2),
        "log10" => math(gomath::log10),
        "sgn" => math(|v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            }
        }),
        "acos" => math(gomath::acos),
        "acosh" => math(gomath::acosh),
        "asin" => math(gomath::asin),
        "asinh" => math(gomath::asinh),
        "atan" => math(gomath::atan),
        "atanh" => math(gomath::atanh),
        "cos" => math(gomath::cos),
        "cosh" => math(gomath::cosh),
        "sin" => math(gomath::sin),
        "sinh" => math(gomath::sinh),
        "tan" => math(gomath::tan),
        "tanh" => math(gomath::tanh),
        "deg" => math(gomath::deg),
        "rad" => math(gomath::rad),
        "pi" => Ok(Val::Scalar(vec![std::f64::consts::PI; steps])),
        "round" => {
            let v = vector_arg(ctx, arg(0)?)?;
            let to = match args.get(1) {
                Some(e) => scalar_arg(ctx, e)?,
                None => vec![1.0; steps],
            };
            Ok(Val::Vector(
                v.into_iter()
                    .map(|s| VSeries {
                        labels: drop_name(&s.labels),
                        vals: s
                            .vals
                            .into_iter()
                            .zip(&to)
                            .map(|(x, t)| x.map(|x| (x * (1.0 / t) + 0.5).floor() / (1.0 / t)))
                            .collect(),
                        hists: None,
                    })
                    .collect(),
            ))
        }
        "clamp" | "clamp_min" | "clamp_max" => {
            let v = vector_arg(ctx, arg(0)?)?;
            let (lo, hi) = match name {
                "clamp" => (scalar_arg(ctx, arg(1)?)?, scalar_arg(ctx, arg(2)?)?),
                "clamp_min" => (scalar_arg(ctx, arg(1)?)?, vec![f64::INFINITY; steps]),
                _ => (vec![f64::NEG_INFINITY; steps], scalar_arg(ctx, arg(1)?)?),
            };
            Ok(Val::Vector(
                v.into_iter()
                    .filter_map(|s| {
                        let vals: Vec<Option<f64>> = s
                            .vals
                            .iter()
                            .enumerate()
                            .map(|(i, x)| {
                                let x = (*x)?;
                                if name == "clamp" && hi[i] < lo[i] {
                                    return None;
                                }
                                Some(go_max(lo[i], go_min(hi[i], x)))
                            })
                            .collect();
                        vals.iter().any(Option::is_some).then(|| VSeries {
                            labels: drop_name(&s.labels),
                            vals,
                            hists: None,
                        })
                    })
                    .collect(),
            ))
        }
        // Time.
        "time" => Ok(Val::Scalar(
            ctx.steps.iter().map(|t| *t as f64 / 1000.0).collect(),
        )),
        "timestamp" => {
            let mut inner = arg(0)?;
            while let Expr::Paren(p) = inner {
                inner = &p.expr;
            }
            let v = match inner {
                Expr::VectorSelector(vs) => crate::engine::select_timestamps(ctx, vs)?,
                e => vector_arg(ctx, e)?
                    .into_iter()
                    .map(|s| VSeries {
                        labels: s.labels,
                        vals: s
                            .vals
                            .iter()
                            .zip(&ctx.steps)
                            .map(|(v, t)| v.map(|_| *t as f64 / 1000.0))
                            .collect(),
                        hists: None,
                    })
                    .collect(),
            };
            Ok(Val::Vector(map_values(v, |x| x)))
        }
        "minute" | "hour" | "day_of_week" | "day_of_month" | "day_of_year" | "days_in_month"
        | "month" | "year" => {
            let pick = move |secs: f64| -> f64 {
                let s = secs.floor() as i64;
                let (y, mo, d, dow, doy, h, mi) = civil(s);
                (match name {
                    "minute" => mi,
                    "hour" => h,
                    "day_of_week" => dow,
                    "day_of_month" => d,
                    "day_of_year" => doy,
                    "days_in_month" => days_in_month(s),
                    "month" => mo,
                    _ => y,
                }) as f64
            };
            match args.first() {
                None => Ok(Val::Vector(vec![VSeries {
                    labels: Labels::new(),
                    vals: ctx
                        .steps
                        .iter()
                        .map(|t| Some(pick(*t as f64 / 1000.0)))
                        .collect(),
                    hists: None,
                }])),
                Some(e) => {
                    let v = vector_arg(ctx, e)?;
                    Ok(Val::Vector(
                        v.into_iter()
                            .map(|s| VSeries {
                                labels: drop_name(&s.labels),
                                vals: s
                                    .vals
                                    .into_iter()
                                    .map(|x| {
                                        x.map(|x| {
                                            if x.is_nan() || x.is_infinite() {
                                                x
                                            } else {
                                                pick(x)
                                            }
                                        })
                                    })
                                    .collect(),
                                hists: None,
                            })
                            .collect(),
                    ))
                }
            }
        }
        // Types.
        "vector" => {
            let s = scalar_arg(ctx, arg(0)?)?;
            Ok(Val::Vector(vec![VSeries {
                labels: Labels::new(),
                vals: s.into_iter().map(Some).collect(),
                hists: None,
            }]))
        }
        "scalar" => {
            let v = vector_arg(ctx, arg(0)?)?;
            Ok(Val::Scalar(
                (0..steps)
                    .map(|i| {
                        let present: Vec<f64> = v.iter().filter_map(|s| s.vals[i]).collect();
                        if present.len() == 1 {
                            present[0]
                        } else {
                            f64::NAN
                        }
                    })
                    .collect(),
            ))
        }
        "sort" | "sort_desc" => {
            let mut v = vector_arg(ctx, arg(0)?)?;
            if steps == 1 {
                let desc = name == "sort_desc";
                v.sort_by(|a, b| {
                    crate::aggregate::nan_last(
                        a.vals[0].unwrap_or(f64::NAN),
                        b.vals[0].unwrap_or(f64::NAN),
                        desc,
                    )
                });
            }
            Ok(Val::Vector(v))
        }
        // Labels.
        "label_replace" => {
            let v = vector_arg(ctx, arg(0)?)?;
            let dst = string_arg(ctx, arg(1)?)?;
            let repl = string_arg(ctx, arg(2)?)?;
            let src = string_arg(ctx, arg(3)?)?;
            let re = string_arg(ctx, arg(4)?)?;
            let regex = regex::Regex::new(&format!("^(?s:{re})$")).map_err(|e| {
                exec(format!(
                    "invalid regular expression in label_replace(): {re}: {e}"
                ))
            })?;
            if !label_valid(&dst) {
                return Err(exec(format!(
                    "invalid destination label name in label_replace(): {dst}"
                )));
            }
            let out: Vec<VSeries> = v
                .into_iter()
                .map(|s| {
                    let value = s.labels.get(&src).unwrap_or("").to_string();
                    let labels = match regex.captures(&value) {
                        Some(caps) => {
                            // `$1`, `${1}` and `$name` expand as in Go's regexp templates.
                            let mut res = String::new();
                            caps.expand(&repl, &mut res);
                            with_label(&s.labels, &dst, &res)
                        }
                        None => s.labels.clone(),
                    };
                    VSeries {
                        labels,
                        vals: s.vals,
                        hists: None,
                    }
                })
                .collect();
            merge_same_labels(out).map(Val::Vector)
        }
        "label_join" => {
            let v = vector_arg(ctx, arg(0)?)?;
            let dst = string_arg(ctx, arg(1)?)?;
            let sep = string_arg(ctx, arg(2)?)?;
            let mut srcs = Vec::new();
            for e in &args[3..] {
                srcs.push(string_arg(ctx, e)?);
            }
            if !label_valid(&dst) {
                return Err(exec(format!(
                    "invalid destination label name in label_join(): {dst}"
                )));
            }
            let out: Vec<VSeries> = v
                .into_iter()
                .map(|s| {
                    let joined: Vec<&str> =
                        srcs.iter().map(|n| s.labels.get(n).unwrap_or("")).collect();
                    VSeries {
                        labels: with_label(&s.labels, &dst, &joined.join(&sep)),
                        vals: s.vals,
                        hists: None,
                    }
                })
                .collect();
            merge_same_labels(out).map(Val::Vector)
        }
        "histogram_quantile" => {
            let q = scalar_arg(ctx, arg(0)?)?;
            let v = vector_arg(ctx, arg(1)?)?;
            Ok(Val::Vector(histogram_quantile(&q, &v, steps)))
        }
        "histogram_count" | "histogram_sum" | "histogram_avg" => {
            let v = vector_arg(ctx, arg(0)?)?;
            Ok(Val::Vector(of_histograms(v, |h| match name {
                "histogram_count" => h.count,
                "histogram_sum" => h.sum,
                _ => h.sum / h.count,
            })))
        }
        "histogram_stddev" => {
            let v = vector_arg(ctx, arg(0)?)?;
            Ok(Val::Vector(of_histograms(v, |h| {
                hist::histogram_variance(h).sqrt()
            })))
        }
        "histogram_stdvar" => {
            let v = vector_arg(ctx, arg(0)?)?;
            Ok(Val::Vector(of_histograms(v, hist::histogram_variance)))
        }
        "histogram_fraction" => {
            let lower = scalar_arg(ctx, arg(0)?)?;
            let upper = scalar_arg(ctx, arg(1)?)?;
            let v = vector_arg(ctx, arg(2)?)?;
            let mut out = Vec::new();
            for s in v {
                let Some(hs) = &s.hists else { continue };
                let vals: Vec<Option<f64>> = hs
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        h.as_ref()
                            .map(|h| hist::histogram_fraction(lower[i], upper[i], h))
                    })
                    .collect();
                if vals.iter().any(Option::is_some) {
                    out.push(VSeries::floats(drop_name(&s.labels), vals));
                }
            }
            Ok(Val::Vector(out))
        }
        other => Err(exec(format!("function {other:?} is not supported"))),
    }
}

/// `f` of each histogram sample, float samples left out, the metric name dropped (2.42's
/// `histogram_count`, `histogram_sum`; later versions' `histogram_avg`, …).
fn of_histograms(
    v: Vec<VSeries>,
    f: impl Fn(&mnemos_tsdb::histogram::FloatHistogram) -> f64,
) -> Vec<VSeries> {
    v.into_iter()
        .filter_map(|s| {
            let hs = s.hists.as_ref()?;
            let vals: Vec<Option<f64>> = hs.iter().map(|h| h.as_deref().map(&f)).collect();
            vals.iter()
                .any(Option::is_some)
                .then(|| VSeries::floats(drop_name(&s.labels), vals))
        })
        .collect()
}

/// `histogram_quantile` as Prometheus 2.42 computes it at each step: float samples with a
/// parsable `le` label are classic buckets, grouped by their labels without `le` (the
/// metric name included); histogram samples give their own quantile, unless a classic
/// group with exactly their labels has buckets at that step (then neither gives a result).
/// Results drop the metric name (and `le`); histogram results come first.
fn histogram_quantile(q: &[f64], v: &[VSeries], steps: usize) -> Vec<VSeries> {
    let mut groups: Vec<(Labels, Vec<(f64, usize)>)> = Vec::new();
    for (j, s) in v.iter().enumerate() {
        let Some(le) = s.labels.get("le") else {
            continue;
        };
        let Ok(bound) = le.parse::<f64>().or(match le {
            "+Inf" | "Inf" | "inf" => Ok(f64::INFINITY),
            _ => Err(()),
        }) else {
            continue;
        };
        let key = Labels::from_sorted(
            s.labels
                .iter()
                .filter(|l| l.name != "le")
                .cloned()
                .collect(),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, b)) => b.push((bound, j)),
            None => groups.push((key, vec![(bound, j)])),
        }
    }
    // Classic buckets at step i: float samples only.
    let buckets_at = |buckets: &[(f64, usize)], i: usize| -> Vec<(f64, f64)> {
        buckets
            .iter()
            .filter(|(_, j)| v[*j].hist(i).is_none())
            .filter_map(|(le, j)| v[*j].vals[i].map(|c| (*le, c)))
            .collect()
    };
    let mut out = Vec::new();
    // Per group and step: whether a histogram sample with the group's labels took it out.
    let mut blocked: Vec<Vec<bool>> = vec![vec![false; steps]; groups.len()];
    for s in v.iter().filter(|s| s.has_hists()) {
        let group = groups.iter().position(|(k, _)| *k == s.labels);
        let vals: Vec<Option<f64>> = (0..steps)
            .map(|i| {
                let h = s.hist(i)?;
                if let Some(g) = group {
                    if !buckets_at(&groups[g].1, i).is_empty() {
                        blocked[g][i] = true;
                        return None;
                    }
                }
                Some(hist::histogram_quantile(q[i], h))
            })
            .collect();
        if vals.iter().any(Option::is_some) {
            out.push(VSeries::floats(drop_name(&s.labels), vals));
        }
    }
    for (g, (labels, buckets)) in groups.iter().enumerate() {
        let vals: Vec<Option<f64>> = (0..steps)
            .map(|i| {
                if blocked[g][i] {
                    return None;
                }
                let mut bs = buckets_at(buckets, i);
                (!bs.is_empty()).then(|| bucket_quantile(q[i], &mut bs))
            })
            .collect();
        if vals.iter().any(Option::is_some) {
            out.push(VSeries::floats(drop_name(labels), vals));
        }
    }
    out
}

fn over(
    ctx: &Ctx,
    func: &'static str,
    e: &Expr,
    keep_name: bool,
    f: impl Fn(&[(i64, f64)]) -> Option<f64>,
) -> Result<Val> {
    let (r, _charge) = range_arg(ctx, e, func)?;
    Ok(Val::Vector(over_windows(ctx, &r, keep_name, |p, _, _| {
        f(p)
    })?))
}

/// The result of absent(): labels from the selector's equality matchers.
fn absent_result(e: &Expr, vals: Vec<Option<f64>>) -> Val {
    let vs = match e {
        Expr::VectorSelector(vs) => Some(vs),
        Expr::MatrixSelector(ms) => Some(&ms.vs),
        _ => None,
    };
    // Prometheus: equality matchers give labels; a name with any other matcher (or a
    // second one) is left out.
    let mut labels: Vec<Label> = Vec::new();
    if let Some(vs) = vs {
        let mut empty: Vec<&str> = Vec::new();
        for m in &vs.matchers.matchers {
            if m.name == "__name__" {
                continue;
            }
            if matches!(m.op, promql_parser::label::MatchOp::Equal)
                && !labels.iter().any(|l| l.name == m.name)
            {
                labels.push(Label::new(m.name.as_str(), m.value.as_str()));
            } else {
                empty.push(&m.name);
            }
        }
        labels.retain(|l| !empty.contains(&l.name.as_str()));
    }
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    if vals.iter().all(Option::is_none) {
        return Val::Vector(Vec::new());
    }
    Val::Vector(vec![VSeries {
        labels: Labels::from_sorted(labels),
        vals,
        hists: None,
    }])
}
