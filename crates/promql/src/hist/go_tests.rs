// Generated from Prometheus v2.42.0 model/histogram/float_histogram_test.go by a script.
#![allow(clippy::bool_assert_comparison)]
use super::*;
use mnemos_tsdb::histogram::Span;

#[test]
#[allow(clippy::approx_constant, clippy::excessive_precision)]
fn go_add() {
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 2.345_f64,
            positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
            positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 8f64,
                count: 21f64,
                sum: 1.234_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![0f64, 0f64, 2f64, 3f64, 6f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 19f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 5f64, 7f64, 13f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![4f64, 2f64, 9f64, 10f64],
                ..FloatHistogram::default()
            },
            "same bucket layout"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 2.345_f64,
            positive_spans: vec![Span::new(-2, 2), Span::new(1, 1), Span::new(0, 2)],
            positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 8f64,
                count: 21f64,
                sum: 1.234_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 2), Span::new(0, 1)],
                positive_buckets: vec![0f64, 0f64, 2f64, 3f64, 6f64],
                negative_spans: vec![Span::new(3, 7)],
                negative_buckets: vec![1f64, 1f64, 0f64, 0f64, 0f64, 4f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 19f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 1), Span::new(0, 2)],
                positive_buckets: vec![1f64, 0f64, 5f64, 7f64, 13f64],
                negative_spans: vec![Span::new(3, 5), Span::new(0, 2)],
                negative_buckets: vec![4f64, 2f64, 0f64, 0f64, 0f64, 9f64, 10f64],
                ..FloatHistogram::default()
            },
            "same bucket layout, defined differently"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.001_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 2.345_f64,
            positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
            positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.001_f64,
                zero_count: 8f64,
                count: 21f64,
                sum: 1.234_f64,
                positive_spans: vec![Span::new(0, 2), Span::new(3, 3)],
                positive_buckets: vec![5f64, 4f64, 2f64, 3f64, 6f64],
                negative_spans: vec![Span::new(-9, 2), Span::new(3, 2)],
                negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.001_f64,
                zero_count: 19f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-2, 4), Span::new(0, 6)],
                positive_buckets: vec![1f64, 0f64, 5f64, 4f64, 3f64, 4f64, 7f64, 2f64, 3f64, 6f64],
                negative_spans: vec![
                    Span::new(-9, 2),
                    Span::new(3, 2),
                    Span::new(5, 2),
                    Span::new(3, 2)
                ],
                negative_buckets: vec![1f64, 1f64, 4f64, 4f64, 3f64, 1f64, 5f64, 6f64],
                ..FloatHistogram::default()
            },
            "non-overlapping spans"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 8f64,
            count: 21f64,
            sum: 1.234_f64,
            positive_spans: vec![Span::new(0, 2), Span::new(3, 3)],
            positive_buckets: vec![5f64, 4f64, 2f64, 3f64, 6f64],
            negative_spans: vec![Span::new(-9, 2), Span::new(3, 2)],
            negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 11f64,
                count: 30f64,
                sum: 2.345_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
                positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 19f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(0, 5), Span::new(0, 3)],
                positive_buckets: vec![1f64, 0f64, 5f64, 4f64, 3f64, 4f64, 7f64, 2f64, 3f64, 6f64],
                negative_spans: vec![
                    Span::new(-9, 2),
                    Span::new(3, 2),
                    Span::new(5, 2),
                    Span::new(3, 2)
                ],
                negative_buckets: vec![1f64, 1f64, 4f64, 4f64, 3f64, 1f64, 5f64, 6f64],
                ..FloatHistogram::default()
            },
            "non-overlapping inverted order"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 2.345_f64,
            positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
            positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 8f64,
                count: 21f64,
                sum: 1.234_f64,
                positive_spans: vec![Span::new(-1, 4), Span::new(0, 3)],
                positive_buckets: vec![5f64, 4f64, 2f64, 3f64, 6f64, 2f64, 5f64],
                negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
                negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 19f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-2, 4), Span::new(0, 4)],
                positive_buckets: vec![1f64, 5f64, 4f64, 2f64, 6f64, 10f64, 9f64, 5f64],
                negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
                negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],
                ..FloatHistogram::default()
            },
            "overlapping spans"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 8f64,
            count: 21f64,
            sum: 1.234_f64,
            positive_spans: vec![Span::new(-1, 4), Span::new(0, 3)],
            positive_buckets: vec![5f64, 4f64, 2f64, 3f64, 6f64, 2f64, 5f64],
            negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
            negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 11f64,
                count: 30f64,
                sum: 2.345_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
                positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 19f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-2, 5), Span::new(0, 3)],
                positive_buckets: vec![1f64, 5f64, 4f64, 2f64, 6f64, 10f64, 9f64, 5f64],
                negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
                negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],
                ..FloatHistogram::default()
            },
            "overlapping spans inverted order"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 8f64,
            count: 21f64,
            sum: 1.234_f64,
            schema: 0,
            positive_spans: vec![Span::new(-1, 4), Span::new(0, 3)],
            positive_buckets: vec![5f64, 4f64, 2f64, 3f64, 6f64, 2f64, 5f64],
            negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
            negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 11f64,
                count: 30f64,
                sum: 2.345_f64,
                schema: 1,
                positive_spans: vec![Span::new(-4, 3), Span::new(5, 5)],
                positive_buckets: vec![1f64, 0f64, 0f64, 3f64, 2f64, 2f64, 3f64, 4f64],
                negative_spans: vec![Span::new(6, 3), Span::new(6, 4)],
                negative_buckets: vec![3f64, 0.5_f64, 0.5_f64, 2f64, 3f64, 2f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 19f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-2, 5), Span::new(0, 3)],
                positive_buckets: vec![1f64, 5f64, 4f64, 2f64, 6f64, 10f64, 9f64, 5f64],
                negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
                negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],
                ..FloatHistogram::default()
            },
            "schema change"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 1f64,
            zero_count: 17f64,
            count: 21f64,
            sum: 1.234_f64,
            positive_spans: vec![Span::new(1, 2), Span::new(0, 3)],
            positive_buckets: vec![2f64, 3f64, 6f64, 2f64, 5f64],
            negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
            negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 11f64,
                count: 30f64,
                sum: 2.345_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
                positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 1f64,
                zero_count: 29f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(1, 2), Span::new(0, 3)],
                positive_buckets: vec![2f64, 6f64, 10f64, 9f64, 5f64],
                negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
                negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],
                ..FloatHistogram::default()
            },
            "larger zero bucket in first histogram"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 2.345_f64,
            positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
            positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 1f64,
                zero_count: 17f64,
                count: 21f64,
                sum: 1.234_f64,
                positive_spans: vec![Span::new(1, 2), Span::new(0, 3)],
                positive_buckets: vec![2f64, 3f64, 6f64, 2f64, 5f64],
                negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
                negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 1f64,
                zero_count: 29f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(1, 5)],
                positive_buckets: vec![2f64, 6f64, 10f64, 9f64, 5f64],
                negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
                negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],
                ..FloatHistogram::default()
            },
            "larger zero bucket in second histogram"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.2_f64,
            zero_count: 17f64,
            count: 21f64,
            sum: 1.234_f64,
            positive_spans: vec![Span::new(1, 2), Span::new(0, 3)],
            positive_buckets: vec![2f64, 3f64, 6f64, 2f64, 5f64],
            negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
            negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 11f64,
                count: 30f64,
                sum: 2.345_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
                positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(h, FloatHistogram { zero_threshold: 0.25_f64, zero_count: 29f64, count: 51f64, sum: 3.579_f64, positive_spans: vec![Span::new(-1, 1), Span::new(1, 5)], positive_buckets: vec![0f64, 2f64, 6f64, 10f64, 9f64, 5f64], negative_spans: vec![Span::new(3, 3), Span::new(1, 3)], negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],  ..FloatHistogram::default() }, "larger zero threshold in first histogram ends up inside a populated bucket of second histogram");
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 2.345_f64,
            positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
            positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.2_f64,
                zero_count: 17f64,
                count: 21f64,
                sum: 1.234_f64,
                positive_spans: vec![Span::new(1, 2), Span::new(0, 3)],
                positive_buckets: vec![2f64, 3f64, 6f64, 2f64, 5f64],
                negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
                negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(h, FloatHistogram { zero_threshold: 0.25_f64, zero_count: 29f64, count: 51f64, sum: 3.579_f64, positive_spans: vec![Span::new(1, 5)], positive_buckets: vec![2f64, 6f64, 10f64, 9f64, 5f64], negative_spans: vec![Span::new(3, 3), Span::new(1, 3)], negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],  ..FloatHistogram::default() }, "larger zero threshold in second histogram ends up inside a populated bucket of first histogram");
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 8f64,
            count: 21f64,
            sum: 1.234_f64,
            schema: 0,
            positive_spans: vec![Span::new(-2, 5), Span::new(0, 3)],
            positive_buckets: vec![2f64, 5f64, 4f64, 2f64, 3f64, 6f64, 2f64, 5f64],
            negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
            negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.25_f64,
                zero_count: 12f64,
                count: 30f64,
                sum: 2.345_f64,
                schema: 1,
                positive_spans: vec![Span::new(-3, 2), Span::new(5, 5)],
                positive_buckets: vec![1f64, 0f64, 3f64, 2f64, 2f64, 3f64, 4f64],
                negative_spans: vec![Span::new(6, 3), Span::new(6, 4)],
                negative_buckets: vec![3f64, 0.5_f64, 0.5_f64, 2f64, 3f64, 2f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.25_f64,
                zero_count: 22f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-1, 7)],
                positive_buckets: vec![6f64, 4f64, 2f64, 6f64, 10f64, 9f64, 5f64],
                negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
                negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],
                ..FloatHistogram::default()
            },
            "schema change combined with larger zero bucket in second histogram"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.25_f64,
            zero_count: 8f64,
            count: 21f64,
            sum: 1.234_f64,
            schema: 0,
            positive_spans: vec![Span::new(-1, 4), Span::new(0, 3)],
            positive_buckets: vec![5f64, 4f64, 2f64, 3f64, 6f64, 2f64, 5f64],
            negative_spans: vec![Span::new(4, 2), Span::new(1, 2)],
            negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
            ..FloatHistogram::default()
        };
        add(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 11f64,
                count: 30f64,
                sum: 2.345_f64,
                schema: 1,
                positive_spans: vec![Span::new(-4, 3), Span::new(5, 5)],
                positive_buckets: vec![1f64, 0f64, 0f64, 3f64, 2f64, 2f64, 3f64, 4f64],
                negative_spans: vec![Span::new(6, 3), Span::new(6, 4)],
                negative_buckets: vec![3f64, 0.5_f64, 0.5_f64, 2f64, 3f64, 2f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.25_f64,
                zero_count: 20f64,
                count: 51f64,
                sum: 3.579_f64,
                positive_spans: vec![Span::new(-1, 4), Span::new(0, 3)],
                positive_buckets: vec![5f64, 4f64, 2f64, 6f64, 10f64, 9f64, 5f64],
                negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
                negative_buckets: vec![3f64, 2f64, 1f64, 4f64, 9f64, 6f64],
                ..FloatHistogram::default()
            },
            "schema change combined with larger zero bucket in first histogram"
        );
    }
}

#[test]
#[allow(clippy::approx_constant, clippy::excessive_precision)]
fn go_sub() {
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 23f64,
            positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
            positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
            ..FloatHistogram::default()
        };
        sub(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 8f64,
                count: 21f64,
                sum: 12f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![0f64, 0f64, 2f64, 3f64, 6f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![1f64, 1f64, 4f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 3f64,
                count: 9f64,
                sum: 11f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 1f64, 1f64, 1f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![2f64, 0f64, 1f64, 2f64],
                ..FloatHistogram::default()
            },
            "same bucket layout"
        );
    }
    {
        let mut h = FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 8f64,
            count: 59f64,
            sum: 1.234_f64,
            schema: 0,
            positive_spans: vec![Span::new(-2, 5), Span::new(0, 3)],
            positive_buckets: vec![2f64, 5f64, 4f64, 2f64, 3f64, 6f64, 7f64, 5f64],
            negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
            negative_buckets: vec![4f64, 10f64, 1f64, 4f64, 14f64, 7f64],
            ..FloatHistogram::default()
        };
        sub(
            &mut h,
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 2f64,
                count: 19f64,
                sum: 0.345_f64,
                schema: 1,
                positive_spans: vec![Span::new(-4, 3), Span::new(5, 5)],
                positive_buckets: vec![1f64, 0f64, 0f64, 1f64, 2f64, 2f64, 3f64, 4f64],
                negative_spans: vec![Span::new(6, 3), Span::new(6, 4)],
                negative_buckets: vec![3f64, 0.5_f64, 0.5_f64, 2f64, 3f64, 2f64, 4f64],
                ..FloatHistogram::default()
            },
        );
        assert_eq!(
            h,
            FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 6f64,
                count: 40f64,
                sum: 0.889_f64,
                positive_spans: vec![Span::new(-2, 5), Span::new(0, 3)],
                positive_buckets: vec![1f64, 5f64, 4f64, 2f64, 2f64, 2f64, 0f64, 5f64],
                negative_spans: vec![Span::new(3, 3), Span::new(1, 3)],
                negative_buckets: vec![1f64, 9f64, 1f64, 4f64, 9f64, 1f64],
                ..FloatHistogram::default()
            },
            "schema change"
        );
    }
}

#[test]
#[allow(clippy::approx_constant, clippy::excessive_precision)]
fn go_compact() {
    {
        let mut h = FloatHistogram {
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                ..FloatHistogram::default()
            },
            "empty histogram"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-2, 1), Span::new(2, 3)],
            positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 1), Span::new(2, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            "nothing should happen"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-2, 1), Span::new(0, 3), Span::new(0, 1)],
            positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
            negative_spans: vec![
                Span::new(0, 2),
                Span::new(0, 2),
                Span::new(2, 1),
                Span::new(0, 1),
            ],
            negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 5)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
                negative_spans: vec![Span::new(0, 4), Span::new(2, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64],
                ..FloatHistogram::default()
            },
            "eliminate zero offsets"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-2, 2), Span::new(2, 0), Span::new(3, 3)],
            positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
            negative_spans: vec![
                Span::new(0, 2),
                Span::new(0, 0),
                Span::new(2, 0),
                Span::new(1, 4),
            ],
            negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 2), Span::new(5, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
                negative_spans: vec![Span::new(0, 2), Span::new(3, 4)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64],
                ..FloatHistogram::default()
            },
            "eliminate zero length"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![
                Span::new(-2, 2),
                Span::new(2, 0),
                Span::new(2, 0),
                Span::new(2, 0),
                Span::new(3, 3),
            ],
            positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 2), Span::new(9, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
                ..FloatHistogram::default()
            },
            "eliminate multiple zero length spans"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-4, 4), Span::new(5, 3)],
            positive_buckets: vec![0f64, 0f64, 1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
            negative_spans: vec![Span::new(0, 2), Span::new(3, 5)],
            negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64, 0f64],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 2), Span::new(5, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
                negative_spans: vec![Span::new(0, 2), Span::new(3, 4)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64],
                ..FloatHistogram::default()
            },
            "cut empty buckets at start or end"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-4, 4), Span::new(5, 6)],
            positive_buckets: vec![
                0f64, 0f64, 1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64, 0f64, 0f64, 0f64,
            ],
            negative_spans: vec![Span::new(-2, 4), Span::new(3, 5)],
            negative_buckets: vec![
                0f64,
                0f64,
                3.1_f64,
                3f64,
                1.234e5_f64,
                1000f64,
                3f64,
                4f64,
                0f64,
            ],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 2), Span::new(5, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
                negative_spans: vec![Span::new(0, 2), Span::new(3, 4)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64],
                ..FloatHistogram::default()
            },
            "cut empty buckets at start and end"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-4, 6), Span::new(3, 6)],
            positive_buckets: vec![
                0f64, 0f64, 1f64, 3.3_f64, 0f64, 0f64, 4.2_f64, 0.1_f64, 3.3_f64, 0f64, 0f64, 0f64,
            ],
            negative_spans: vec![Span::new(0, 2), Span::new(2, 6)],
            negative_buckets: vec![3.1_f64, 3f64, 0f64, 1.234e5_f64, 1000f64, 3f64, 4f64, 0f64],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 2), Span::new(5, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
                negative_spans: vec![Span::new(0, 2), Span::new(3, 4)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64],
                ..FloatHistogram::default()
            },
            "cut empty buckets at start or end of spans, even in the middle"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-4, 6), Span::new(3, 3)],
            positive_buckets: vec![
                0f64, 0f64, 1f64, 0f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64,
            ],
            negative_spans: vec![Span::new(0, 2), Span::new(3, 5)],
            negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 0f64, 3f64, 4f64],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 1), Span::new(2, 1), Span::new(3, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
                negative_spans: vec![Span::new(0, 2), Span::new(3, 2), Span::new(1, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64, 3f64, 4f64],
                ..FloatHistogram::default()
            },
            "cut empty buckets from the middle of a span"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-4, 3), Span::new(2, 2), Span::new(3, 4)],
            positive_buckets: vec![
                0f64, 0f64, 1f64, 0f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64,
            ],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-2, 1), Span::new(7, 4)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64, 3.3_f64],
                ..FloatHistogram::default()
            },
            "cut out a span containing only empty buckets"
        );
    }
    {
        let mut h = FloatHistogram {
            positive_spans: vec![Span::new(-10, 2), Span::new(2, 1), Span::new(3, 3)],
            positive_buckets: vec![0f64, 0f64, 0f64, 0f64, 2f64, 3f64],
            negative_spans: vec![Span::new(-10, 2), Span::new(2, 1), Span::new(3, 3)],
            negative_buckets: vec![2f64, 3f64, 0f64, 0f64, 0f64, 0f64],
            ..FloatHistogram::default()
        };
        compact(&mut h);
        assert_eq!(
            h,
            FloatHistogram {
                positive_spans: vec![Span::new(-1, 2)],
                positive_buckets: vec![2f64, 3f64],
                negative_spans: vec![Span::new(-10, 2)],
                negative_buckets: vec![2f64, 3f64],
                ..FloatHistogram::default()
            },
            "multiple spans of only empty buckets"
        );
    }
}

#[test]
#[allow(clippy::approx_constant, clippy::excessive_precision)]
fn go_detectreset() {
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                ..FloatHistogram::default()
            }
        ),
        false,
        "zero values"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 1), Span::new(2, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                ..FloatHistogram::default()
            }
        ),
        false,
        "no buckets to some buckets"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 1), Span::new(2, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "some buckets to no buckets"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 1), Span::new(2, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "one bucket appears, nothing else changes"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 1), Span::new(2, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "one bucket disappears, nothing else changes"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 1), Span::new(2, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "an unpopulated bucket disappears, nothing else changes"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 1), Span::new(1, 2)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 1), Span::new(1, 3)],
                positive_buckets: vec![1f64, 3.3_f64, 4.2_f64, 0f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "an unpopulated bucket at the end disappears, nothing else changes"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                positive_spans: vec![Span::new(23, 1)],
                positive_buckets: vec![0f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "an unpopulated bucket disappears in a histogram with nothing else"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.6_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "zero count goes up"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.4_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "zero count goes down"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.4_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "count goes up"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.2_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "count goes down"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349210f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "sum goes up"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349200f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "sum goes down"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.3_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "one positive bucket goes up"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.1_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "one positive bucket goes down"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3.1_f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "one negative bucket goes up"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 2.9_f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 0f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "one negative bucket goes down"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.009_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "zero threshold decreases"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.011_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "zero threshold increases without touching any existing buckets"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 1f64,
                zero_count: 7.73_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(1, 3)],
                positive_buckets: vec![3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        false,
        "zero threshold increases enough to cover existing buckets"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.3_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "zero threshold increases into the middle of an existing buckets"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                schema: 1,
                positive_spans: vec![Span::new(-5, 4), Span::new(2, 6)],
                positive_buckets: vec![
                    0.4_f64, 0.6_f64, 1f64, 0.23_f64, 2f64, 1.3_f64, 1.2_f64, 3f64, 0.05_f64,
                    0.05_f64
                ],
                negative_spans: vec![Span::new(5, 4), Span::new(6, 4)],
                negative_buckets: vec![
                    2f64,
                    1.1_f64,
                    2f64,
                    1f64,
                    0.234e5_f64,
                    1e5_f64,
                    500f64,
                    500f64
                ],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                schema: 0,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            }
        ),
        true,
        "schema increases without any other changes"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                schema: 0,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 3.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                schema: 1,
                positive_spans: vec![Span::new(-5, 4), Span::new(2, 6)],
                positive_buckets: vec![
                    0.4_f64, 0.6_f64, 1f64, 0.23_f64, 2f64, 1.3_f64, 1.2_f64, 3f64, 0.05_f64,
                    0.05_f64
                ],
                negative_spans: vec![Span::new(5, 4), Span::new(6, 4)],
                negative_buckets: vec![
                    2f64,
                    1.1_f64,
                    2f64,
                    1f64,
                    0.234e5_f64,
                    1e5_f64,
                    500f64,
                    500f64
                ],
                ..FloatHistogram::default()
            }
        ),
        false,
        "schema decreases without any other changes"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                schema: 0,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 4.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                schema: 1,
                positive_spans: vec![Span::new(-5, 4), Span::new(2, 6)],
                positive_buckets: vec![
                    0.4_f64, 0.6_f64, 1f64, 0.23_f64, 2f64, 1.3_f64, 1.2_f64, 3f64, 0.05_f64,
                    0.05_f64
                ],
                negative_spans: vec![Span::new(5, 4), Span::new(6, 4)],
                negative_buckets: vec![
                    2f64,
                    1.1_f64,
                    2f64,
                    1f64,
                    0.234e5_f64,
                    1e5_f64,
                    500f64,
                    500f64
                ],
                ..FloatHistogram::default()
            }
        ),
        false,
        "schema decreases and a bucket goes up"
    );
    assert_eq!(
        detect_reset(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                schema: 0,
                positive_spans: vec![Span::new(-2, 2), Span::new(1, 3)],
                positive_buckets: vec![1f64, 1.23_f64, 2.3_f64, 4.2_f64, 0.1_f64],
                negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
                negative_buckets: vec![3.1_f64, 3f64, 1.234e5_f64, 1000f64],
                ..FloatHistogram::default()
            },
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 5.5_f64,
                count: 3493.3_f64,
                sum: 2349209.324_f64,
                schema: 1,
                positive_spans: vec![Span::new(-5, 4), Span::new(2, 6)],
                positive_buckets: vec![
                    0.4_f64, 0.6_f64, 1f64, 0.23_f64, 2f64, 1.3_f64, 1.2_f64, 3f64, 0.05_f64,
                    0.05_f64
                ],
                negative_spans: vec![Span::new(5, 4), Span::new(6, 4)],
                negative_buckets: vec![
                    2f64,
                    1.1_f64,
                    2f64,
                    1f64,
                    0.234e5_f64,
                    1e5_f64,
                    500f64,
                    500f64
                ],
                ..FloatHistogram::default()
            }
        ),
        true,
        "schema decreases and a bucket goes down"
    );
}

#[test]
#[allow(clippy::approx_constant, clippy::excessive_precision)]
fn go_copytoschema() {
    assert_eq!(
        copy_to_schema(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 11f64,
                count: 30f64,
                sum: 2.345_f64,
                schema: 1,
                positive_spans: vec![Span::new(-4, 3), Span::new(5, 5)],
                positive_buckets: vec![1f64, 0f64, 0f64, 3f64, 2f64, 2f64, 3f64, 4f64],
                negative_spans: vec![Span::new(6, 3), Span::new(6, 4)],
                negative_buckets: vec![3f64, 0.5_f64, 0.5_f64, 2f64, 3f64, 2f64, 4f64],
                ..FloatHistogram::default()
            },
            1
        ),
        FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 2.345_f64,
            schema: 1,
            positive_spans: vec![Span::new(-4, 3), Span::new(5, 5)],
            positive_buckets: vec![1f64, 0f64, 0f64, 3f64, 2f64, 2f64, 3f64, 4f64],
            negative_spans: vec![Span::new(6, 3), Span::new(6, 4)],
            negative_buckets: vec![3f64, 0.5_f64, 0.5_f64, 2f64, 3f64, 2f64, 4f64],
            ..FloatHistogram::default()
        },
        "no schema change"
    );
    assert_eq!(
        copy_to_schema(
            &FloatHistogram {
                zero_threshold: 0.01_f64,
                zero_count: 11f64,
                count: 30f64,
                sum: 2.345_f64,
                schema: 1,
                positive_spans: vec![Span::new(-4, 3), Span::new(5, 5)],
                positive_buckets: vec![1f64, 0f64, 0f64, 3f64, 2f64, 2f64, 3f64, 4f64],
                negative_spans: vec![Span::new(6, 3), Span::new(6, 4)],
                negative_buckets: vec![3f64, 0.5_f64, 0.5_f64, 2f64, 3f64, 2f64, 4f64],
                ..FloatHistogram::default()
            },
            0
        ),
        FloatHistogram {
            zero_threshold: 0.01_f64,
            zero_count: 11f64,
            count: 30f64,
            sum: 2.345_f64,
            schema: 0,
            positive_spans: vec![Span::new(-2, 2), Span::new(2, 3)],
            positive_buckets: vec![1f64, 0f64, 3f64, 4f64, 7f64],
            negative_spans: vec![Span::new(3, 2), Span::new(3, 2)],
            negative_buckets: vec![3f64, 1f64, 5f64, 6f64],
            ..FloatHistogram::default()
        },
        "schema change"
    );
}
