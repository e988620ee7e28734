//! Tests of the histogram data model.
#![allow(clippy::too_many_arguments, clippy::approx_constant)]

use super::*;

fn h(
    count: u64,
    sum: f64,
    zc: u64,
    zt: f64,
    pos: &[(i32, u32)],
    pb: &[i64],
    neg: &[(i32, u32)],
    nb: &[i64],
) -> Histogram {
    Histogram {
        count,
        sum,
        zero_count: zc,
        zero_threshold: zt,
        positive_spans: pos.iter().map(|&(o, l)| Span::new(o, l)).collect(),
        positive_buckets: pb.to_vec(),
        negative_spans: neg.iter().map(|&(o, l)| Span::new(o, l)).collect(),
        negative_buckets: nb.to_vec(),
        ..Histogram::default()
    }
}

#[test]
fn go_string() {
    // Prometheus 2.42's TestHistogramString cases.
    assert_eq!(Histogram::default().to_string(), "{count:0, sum:0}");
    let a = h(
        9,
        -3.1415,
        12,
        0.001,
        &[],
        &[],
        &[(0, 5), (1, 1)],
        &[1, 2, -2, 1, -1, 0],
    );
    assert_eq!(
        a.to_string(),
        "{count:9, sum:-3.1415, [-64,-32):1, [-16,-8):1, [-8,-4):2, [-4,-2):1, [-2,-1):3, \
         [-1,-0.5):1, [-0.001,0.001]:12}"
    );
    let b = h(
        19,
        2.7,
        0,
        0.0,
        &[(0, 4), (0, 0), (0, 3)],
        &[1, 2, -2, 1, -1, 0, 0],
        &[(0, 5), (1, 0), (0, 1)],
        &[1, 2, -2, 1, -1, 0],
    );
    assert_eq!(
        b.to_string(),
        "{count:19, sum:2.7, [-64,-32):1, [-16,-8):1, [-8,-4):2, [-4,-2):1, [-2,-1):3, \
         [-1,-0.5):1, (0.5,1]:1, (1,2]:3, (2,4]:1, (4,8]:2, (8,16]:1, (16,32]:1, (32,64]:1}"
    );
    // Float: counts with %g.
    let mut f = b.to_float();
    f.count = 19.5;
    f.positive_buckets[0] = 0.25;
    assert!(f
        .to_string()
        .starts_with("{count:19.5, sum:2.7, [-64,-32):1,"));
    assert!(f.to_string().contains("(0.5,1]:0.25, (1,2]:3"));
    assert_eq!(Histogram::stale().to_string(), "{count:0, sum:NaN}");
    let nan = FloatHistogram {
        sum: f64::INFINITY,
        count: 1e21,
        ..FloatHistogram::default()
    };
    assert_eq!(nan.to_string(), "{count:1e+21, sum:+Inf}");
}

#[test]
fn stale_markers() {
    assert!(Histogram::stale().is_stale());
    assert!(FloatHistogram::stale().is_stale());
    let mut x = Histogram::stale();
    x.sum = f64::NAN;
    assert!(!x.is_stale());
    assert!(Histogram::stale().to_float().is_stale());
}

#[test]
fn buckets_and_counts() {
    let x = h(
        10,
        1.0,
        1,
        0.5,
        &[(-1, 2), (0, 0), (2, 1)],
        &[3, -1, 2],
        &[(1, 1)],
        &[4],
    );
    assert_eq!(x.positive_counts(), vec![3, 2, 4]);
    assert_eq!(x.negative_counts(), vec![4]);
    let p: Vec<_> = x.positive_bucket_iter().collect();
    assert_eq!(
        p.iter().map(|b| b.index).collect::<Vec<_>>(),
        vec![-1, 0, 3]
    );
    assert_eq!((p[0].lower, p[0].upper), (0.25, 0.5));
    assert_eq!((p[2].lower, p[2].upper), (4.0, 8.0));
    assert!(!p[0].lower_inclusive && p[0].upper_inclusive);
    let n: Vec<_> = x.negative_bucket_iter().collect();
    assert_eq!((n[0].lower, n[0].upper, n[0].count), (-2.0, -1.0, 4));
    assert!(n[0].lower_inclusive && !n[0].upper_inclusive);
    let f = x.to_float();
    assert_eq!(f.positive_buckets, vec![3.0, 2.0, 4.0]);
    let all = f.all_buckets();
    let rules: Vec<_> = all
        .iter()
        .map(|b| (b.boundary_rule(), b.lower, b.upper, b.count))
        .collect();
    assert_eq!(
        rules,
        vec![
            (1, -2.0, -1.0, 4.0),
            (3, -0.5, 0.5, 1.0),
            // Clipped to the zero threshold.
            (0, 0.5, 0.5, 3.0),
            (0, 0.5, 1.0, 2.0),
            (0, 4.0, 8.0, 4.0),
        ]
    );
    // Fewer buckets than the spans describe: iteration stops, no panic.
    let short = h(1, 0.0, 0, 0.0, &[(0, 5)], &[1], &[], &[]);
    assert_eq!(short.positive_bucket_iter().count(), 1);
    assert_eq!(count_buckets(&short.positive_spans), Some(5));
}

#[test]
fn to_float_variants() {
    // Deltas whose float running sum differs from the converted absolute.
    let x = h(0, 0.0, 0, 0.0, &[(0, 2)], &[(1 << 53) + 1, 1], &[], &[]);
    assert_eq!(x.to_float().positive_buckets[1], (1u64 << 53) as f64 + 1.0);
    assert_eq!(
        x.to_float_from_absolute().positive_buckets[1],
        ((1u64 << 53) + 2) as f64
    );
}

#[test]
fn compact() {
    let mut x = h(
        10,
        1.0,
        0,
        0.0,
        &[(-2, 4), (0, 0), (3, 3)],
        // indices -2..=1 | 5..=7, absolute 0 5 0 0 | 2 0 7
        &[0, 5, -5, 0, 2, -2, 7],
        &[],
        &[],
    );
    let mut y = x.clone();
    x.compact(0);
    assert_eq!(
        x.positive_spans,
        vec![Span::new(-1, 1), Span::new(5, 1), Span::new(1, 1)]
    );
    assert_eq!(x.positive_counts(), vec![5, 2, 7]);
    y.compact(1);
    assert_eq!(y.positive_spans, vec![Span::new(-1, 1), Span::new(5, 3)]);
    assert_eq!(y.positive_counts(), vec![5, 2, 0, 7]);
    let mut f = h(1, 0.0, 0, 0.0, &[(0, 3)], &[0, 1, -1], &[], &[]).to_float();
    f.compact(0);
    assert_eq!(f.positive_spans, vec![Span::new(1, 1)]);
    assert_eq!(f.positive_buckets, vec![1.0]);
}

#[test]
fn hints() {
    assert_eq!(CounterResetHint::Unknown.as_u8(), 0);
    assert_eq!(CounterResetHint::Gauge.as_u8(), 3);
}
