//! Native histogram semantics of the engine on small hand-made series in [`MemStorage`]:
//! the rules of Prometheus 2.42 (checked against a live 2.42 on real blocks by
//! `native_histograms_vs_prometheus` and `native_histograms_golden`), spelled out one by one.

use mnemos_promql::value::histogram_json;
use mnemos_promql::{Engine, EngineOptions, Error, MemStorage, Value};
use mnemos_tsdb::histogram::{FloatHistogram, Span};
use mnemos_tsdb::Labels;

const S: i64 = 1000;

/// `(1,2]: a`, `(2,4]: b` at schema 0, no zero bucket; sum `sum`.
fn h(a: f64, b: f64, sum: f64) -> FloatHistogram {
    FloatHistogram {
        schema: 0,
        count: a + b,
        sum,
        positive_spans: vec![Span::new(1, 2)],
        positive_buckets: vec![a, b],
        ..FloatHistogram::default()
    }
}

fn labels(name: &str) -> Labels {
    Labels::from_pairs([("__name__", name), ("job", "j")])
}

/// `hist`: histograms every 10s from 0 to 60s (counts growing by 2 and 2 each time, a
/// reset at 40s); `gauge`: floats 1..7; `mixed`: floats up to 20s, then histograms;
/// `gone`: a histogram at 0 and a stale marker at 10s.
fn storage() -> MemStorage {
    let mut s = MemStorage::new();
    let hs: Vec<(i64, FloatHistogram)> = (0..7)
        .map(|i| {
            let n = if i < 4 { i + 1 } else { i - 3 } as f64;
            (i * 10 * S, h(n, n, 3.0 * n))
        })
        .collect();
    s.add_histograms(labels("hist"), &hs);
    let fl: Vec<(i64, f64)> = (0..7).map(|i| (i * 10 * S, (i + 1) as f64)).collect();
    s.add(labels("gauge"), &fl);
    s.add(labels("mixed"), &[(0, 1.0), (10 * S, 2.0), (20 * S, 3.0)]);
    s.add_histograms(
        labels("mixed"),
        &[(30 * S, h(1.0, 1.0, 2.0)), (40 * S, h(2.0, 2.0, 4.0))],
    );
    s.add_histograms(
        labels("gone"),
        &[(0, h(1.0, 1.0, 3.0)), (10 * S, FloatHistogram::stale())],
    );
    s
}

fn one(v: Value) -> (Labels, f64, Option<FloatHistogram>) {
    match v {
        Value::Vector(mut s) if s.len() == 1 => {
            let s = s.remove(0);
            (s.labels, s.v, s.h.map(|h| *h))
        }
        other => panic!("expected one sample, got {other:?}"),
    }
}

fn empty(v: Value) -> bool {
    matches!(v, Value::Vector(s) if s.is_empty())
}

#[test]
fn selectors_give_histograms_and_stale_markers_end_them() {
    let e = Engine::default();
    let s = storage();
    let (l, _, got) = one(e.instant(&s, "hist", 25 * S).expect("eval"));
    assert_eq!(l, labels("hist"));
    assert_eq!(got, Some(h(3.0, 3.0, 9.0)));
    // Lookback finds the histogram at 0 until the stale marker at 10s.
    assert!(one(e.instant(&s, "gone", 9 * S).expect("eval")).2.is_some());
    assert!(empty(e.instant(&s, "gone", 10 * S).expect("eval")));
    // A series changing kind: the latest sample decides.
    assert_eq!(one(e.instant(&s, "mixed", 25 * S).expect("eval")).1, 3.0);
    assert!(one(e.instant(&s, "mixed", 35 * S).expect("eval"))
        .2
        .is_some());
    // Range vectors and range queries split float and histogram points.
    match e.instant(&s, "mixed[30s]", 40 * S).expect("eval") {
        Value::Matrix(m) => {
            assert_eq!(m[0].points, vec![(10 * S, 2.0), (20 * S, 3.0)]);
            assert_eq!(m[0].histograms.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    match e.range(&s, "mixed", 0, 40 * S, 10 * S).expect("eval") {
        Value::Matrix(m) => {
            assert_eq!(m[0].points.len(), 3);
            assert_eq!(
                m[0].histograms.iter().map(|p| p.0).collect::<Vec<_>>(),
                vec![30 * S, 40 * S]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rate_increase_and_delta_of_histograms() {
    let e = Engine::default();
    let s = storage();
    // Samples at 0s, 10s, 20s, 30s in [0, 30] (counts 2, 4, 6, 8): the increase 6 spans
    // the whole window, so nothing is extrapolated.
    let (_, v, got) = one(e.instant(&s, "increase(hist[30s])", 30 * S).expect("eval"));
    let got = got.expect("a histogram");
    assert_eq!(v, 0.0);
    assert_eq!(got.count, 6.0);
    assert_eq!(got.positive_buckets, vec![3.0, 3.0]);
    assert_eq!(got.sum, 9.0);
    // The reset at 40s is detected: over [20, 50] (counts 6, 8, 2, 4) the increase is
    // 8 - 6 + 4.
    let got = one(e.instant(&s, "increase(hist[30s])", 50 * S).expect("eval"))
        .2
        .expect("histogram");
    assert_eq!(got.count, 6.0);
    assert_eq!(got.positive_buckets, vec![3.0, 3.0]);
    // rate is per second; delta does not look for resets.
    let rate = one(e.instant(&s, "rate(hist[30s])", 30 * S).expect("eval"))
        .2
        .expect("histogram");
    assert_eq!(rate.count, 6.0 * (1.0 / 30.0));
    let delta = one(e.instant(&s, "delta(hist[30s])", 50 * S).expect("eval"))
        .2
        .expect("histogram");
    assert_eq!(delta.count, 4.0 - 6.0);
    // A window mixing floats and histograms gives nothing.
    assert!(empty(
        e.instant(&s, "rate(mixed[30s])", 30 * S).expect("eval")
    ));
    assert!(
        one(e.instant(&s, "rate(mixed[15s])", 40 * S).expect("eval"))
            .2
            .is_some()
    );
    // irate/idelta see histogram samples as 0.
    let (_, v, got) = one(e.instant(&s, "irate(hist[30s])", 30 * S).expect("eval"));
    assert_eq!((v, got), (0.0, None));
}

#[test]
fn other_functions_see_histograms_as_zero() {
    let e = Engine::default();
    let s = storage();
    let f = |q: &str| one(e.instant(&s, q, 30 * S).expect(q));
    // Windows include their start: 0s, 10s, 20s and 30s.
    assert_eq!(f("count_over_time(hist[30s])").1, 4.0);
    assert_eq!(f("count_over_time(hist[30s:10s])").1, 4.0);
    assert_eq!(f("sum_over_time(hist[30s])").1, 0.0);
    let (l, v, got) = f("last_over_time(hist[30s])");
    assert_eq!((l, v, got), (labels("hist"), 0.0, None));
    assert_eq!(f("exp(hist)").1, 1.0);
    assert_eq!(f("timestamp(hist)").1, 30.0);
    // sort keeps the histogram; label_replace does not.
    assert!(f("sort(hist)").2.is_some());
    assert!(f("label_replace(hist, \"a\", \"b\", \"\", \"\")")
        .2
        .is_none());
    assert_eq!(f("histogram_count(hist)").1, 8.0);
    assert_eq!(f("histogram_sum(hist)").1, 12.0);
    // Floats are left out by the histogram functions.
    assert!(empty(
        e.instant(&s, "histogram_count(gauge)", 30 * S)
            .expect("eval")
    ));
}

#[test]
fn aggregations() {
    let e = Engine::default();
    let s = storage();
    let f = |q: &str| e.instant(&s, q, 35 * S).expect(q);
    // hist (4,4) + mixed (1,1).
    let got = one(f("sum({__name__=~\"hist|mixed\"})")).2.expect("a sum");
    assert_eq!(got.positive_buckets, vec![5.0, 5.0]);
    assert_eq!(got.count, 10.0);
    // Floats and histograms do not add up: the group gives nothing.
    assert!(empty(f("sum({__name__=~\"hist|gauge\"})")));
    // Every other aggregation uses the histograms' float value 0.
    assert_eq!(one(f("avg({__name__=~\"hist|gauge\"})")).1, 2.0);
    assert_eq!(one(f("count({__name__=~\"hist|gauge\"})")).1, 2.0);
    assert_eq!(one(f("max({__name__=~\"hist|mixed\"})")).1, 0.0);
    let (_, v, got) = one(f("topk(1, hist)"));
    assert_eq!((v, got), (0.0, None));
}

#[test]
fn binary_operators() {
    let e = Engine::default();
    let s = storage();
    let f = |q: &str| e.instant(&s, q, 35 * S).expect(q);
    // Histogram + histogram adds.
    let got = one(f("hist + ignoring(__name__) mixed")).2.expect("a sum");
    assert_eq!(got.positive_buckets, vec![5.0, 5.0]);
    // Other operators between histograms compute with their float values.
    let (_, v, got) = one(f("hist - hist"));
    assert_eq!((v, got), (0.0, None));
    // A histogram against a float: nothing.
    assert!(empty(f("hist + ignoring(__name__) gauge")));
    // With a scalar: the histogram stays as it is, the comparison uses the float value.
    let (l, _, got) = one(f("hist * 2"));
    assert_eq!(l, Labels::from_pairs([("job", "j")]));
    assert_eq!(got, Some(h(4.0, 4.0, 12.0)));
    assert!(one(f("hist < 1")).2.is_some());
    assert!(empty(f("hist > 0")));
    let (_, v, got) = one(f("hist >= bool 1"));
    assert_eq!(v, 0.0);
    assert!(got.is_some());
    assert!(one(f("-hist")).2.is_some());
    // Set operators pass samples through.
    assert!(one(f("hist and gauge")).2.is_some());
    assert_eq!(
        match f("hist or gauge") {
            Value::Vector(v) => v.len(),
            _ => 0,
        },
        1
    );
}

#[test]
fn histogram_quantile_and_fraction() {
    let e = Engine::default();
    let mut s = MemStorage::new();
    s.add_histograms(labels("h"), &[(0, h(2.0, 2.0, 9.0))]);
    let f = |s: &MemStorage, q: &str| one(e.instant(s, q, 0).expect(q)).1;
    assert_eq!(f(&s, "histogram_quantile(0.5, h)"), 2.0);
    assert_eq!(f(&s, "histogram_quantile(0.75, h)"), 3.0);
    assert_eq!(f(&s, "histogram_quantile(0, h)"), 1.0);
    assert_eq!(f(&s, "histogram_quantile(2, h)"), f64::INFINITY);
    assert_eq!(f(&s, "histogram_fraction(0, 2, h)"), 0.5);
    assert_eq!(f(&s, "histogram_fraction(1.5, 3, h)"), 0.5);
    // Classic buckets with exactly the histogram's labels at the same step: neither is used.
    for (le, c) in [("1", 1.0), ("+Inf", 2.0)] {
        s.add(
            Labels::from_pairs([("__name__", "h"), ("job", "j"), ("le", le)]),
            &[(0, c)],
        );
    }
    assert!(empty(
        e.instant(&s, "histogram_quantile(0.5, h)", 0)
            .expect("eval")
    ));
}

#[test]
fn later_histogram_functions_only_with_the_option() {
    let mut s = MemStorage::new();
    // (1,2]: 2, (2,4]: 2, sum 10: mean 2.5; buckets at their geometric means √2 and √8.
    s.add_histograms(labels("h"), &[(0, h(2.0, 2.0, 10.0))]);
    let off = Engine::default();
    for q in [
        "histogram_avg(h)",
        "histogram_stddev(h)",
        "histogram_stdvar(h)",
    ] {
        assert!(matches!(off.instant(&s, q, 0), Err(Error::Parse(_))), "{q}");
    }
    let on = Engine::new(EngineOptions {
        histogram_stat_functions: true,
        ..EngineOptions::default()
    });
    let f = |q: &str| one(on.instant(&s, q, 0).expect(q)).1;
    assert_eq!(f("histogram_avg(h)"), 2.5);
    assert!((f("histogram_stdvar(h)") - 0.6433982822017871).abs() < 1e-12);
    assert!((f("histogram_stddev(h)") - 0.8021211144221221).abs() < 1e-12);
}

#[test]
fn histogram_json_is_prometheus_2_42s() {
    let mut x = h(3.0, 0.0, 1.5);
    x.zero_threshold = 0.001;
    x.zero_count = 2.0;
    x.count = 5.0;
    x.negative_spans = vec![Span::new(0, 1)];
    x.negative_buckets = vec![1e-7];
    let json = histogram_json(&x, |v| format!("{v}"));
    assert_eq!(
        json,
        "{\"count\":\"5\",\"sum\":\"1.5\",\"buckets\":[[1,\"-1\",\"-0.5\",\"0.0000001\"],\
         [3,\"-0.001\",\"0.001\",\"2\"],[0,\"1\",\"2\",\"3\"]]}"
    );
    let empty = histogram_json(&FloatHistogram::default(), |v| format!("{v}"));
    assert_eq!(empty, "{\"count\":\"0\",\"sum\":\"0\"}");
}
