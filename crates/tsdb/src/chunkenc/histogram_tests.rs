//! Unit tests of the histogram chunk codecs.

use super::*;
use crate::histogram::{CounterResetHint, FloatHistogram, Histogram, Span};
use crate::testdata::Rng;

fn spans(s: &[(i32, u32)]) -> Vec<Span> {
    s.iter().map(|&(o, l)| Span::new(o, l)).collect()
}

fn int_h(count: u64, sum: f64, pos: &[(i32, u32)], pb: &[i64]) -> Histogram {
    Histogram {
        count,
        sum,
        schema: 1,
        zero_threshold: 2f64.powi(-128),
        positive_spans: spans(pos),
        positive_buckets: pb.to_vec(),
        ..Histogram::default()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Decoded samples with the hint cleared (it comes from the position).
fn decoded_int(b: &[u8]) -> Vec<(i64, Histogram)> {
    decode_histograms(b)
        .unwrap()
        .into_iter()
        .map(|(t, mut h)| {
            h.counter_reset_hint = CounterResetHint::Unknown;
            (t, h)
        })
        .collect()
}

#[test]
fn header_bits() {
    for h in [
        CounterResetHeader::Unknown,
        CounterResetHeader::CounterReset,
        CounterResetHeader::NotCounterReset,
        CounterResetHeader::Gauge,
    ] {
        assert_eq!(CounterResetHeader::from_byte(h.as_byte() | 0x15), h);
        let e = HistogramEncoder::with_header(h);
        assert_eq!(e.bytes(), &[0, 0, h.as_byte()]);
        assert_eq!(
            HistogramIter::new(e.bytes())
                .unwrap()
                .counter_reset_header(),
            h
        );
        let f = FloatHistogramEncoder::with_header(h);
        assert_eq!(f.bytes(), &[0, 0, h.as_byte()]);
    }
    use crate::histogram::CounterResetHint as H;
    assert_eq!(
        CounterResetHeader::CounterReset.hint_for_sample(0),
        H::CounterReset
    );
    assert_eq!(
        CounterResetHeader::CounterReset.hint_for_sample(1),
        H::NotCounterReset
    );
    assert_eq!(
        CounterResetHeader::NotCounterReset.hint_for_sample(0),
        H::Unknown
    );
    assert_eq!(CounterResetHeader::Gauge.hint_for_sample(5), H::Gauge);
}

#[test]
fn known_bytes() {
    // Layout: threshold byte 116 (2^-128), schema 1 (10 001), 1 positive
    // span (10 001) of length 2 (10 010) at offset 0 (0), no negative span
    // (0); then t=1000 (11110 + 12 bits), count 3 (10 011), zero count 0
    // (0), sum 1.5 (64 bits, byte-aligned here), buckets 1 and 1 (10 001
    // each), zero-padded.
    let mut e = HistogramEncoder::new();
    e.append(1000, &int_h(3, 1.5, &[(0, 2)], &[1, 1])).unwrap();
    assert_eq!(hex(e.bytes()), "000100748c6478fa263ff80000000000008c40");
    assert_eq!(
        decoded_int(e.bytes()),
        vec![(1000, int_h(3, 1.5, &[(0, 2)], &[1, 1]))]
    );
}

#[test]
fn empty_and_short() {
    assert!(matches!(
        HistogramIter::new(&[0, 0]),
        Err(ChunkError::HistogramTooShort { len: 2 })
    ));
    assert!(matches!(
        FloatHistogramIter::new(&[]),
        Err(ChunkError::HistogramTooShort { len: 0 })
    ));
    assert_eq!(decode_histograms(&[0, 0, 0]).unwrap(), vec![]);
    assert_eq!(decode_float_histograms(&[0, 0, 0x40]).unwrap(), vec![]);
    // Announces a sample but has no bits.
    assert!(matches!(
        decode_histograms(&[0, 1, 0]),
        Err(ChunkError::Truncated { sample: 0, .. })
    ));
}

#[test]
fn stale_markers_and_special_sums() {
    let mut e = HistogramEncoder::new();
    let a = int_h(3, f64::NAN, &[(0, 2)], &[1, 1]);
    let b = int_h(5, -0.0, &[(0, 2)], &[2, 1]);
    e.append(10, &a).unwrap();
    e.append(20, &b).unwrap();
    assert_eq!(e.appendable(&Histogram::stale()), Appendable::Yes);
    e.append(30, &Histogram::stale()).unwrap();
    e.append(40, &Histogram::stale()).unwrap();
    // After a stale marker only stale markers fit.
    assert_eq!(
        e.appendable(&b),
        Appendable::No {
            counter_reset: false
        }
    );
    let d = decoded_int(e.bytes());
    assert_eq!(d[0].1.sum.to_bits(), f64::NAN.to_bits());
    assert_eq!(d[1].1.sum.to_bits(), (-0.0f64).to_bits());
    assert!(d[2].1.is_stale() && d[3].1.is_stale());
    assert_eq!(d[2].1.count, 0);
    assert!(d[2].1.positive_spans.is_empty() && d[2].1.positive_buckets.is_empty());
    assert_eq!(
        d.iter().map(|x| x.0).collect::<Vec<_>>(),
        vec![10, 20, 30, 40]
    );

    // A chunk that starts with a stale marker.
    let mut f = FloatHistogramEncoder::new();
    f.append(5, &FloatHistogram::stale()).unwrap();
    f.append(6, &FloatHistogram::stale()).unwrap();
    let d = decode_float_histograms(f.bytes()).unwrap();
    assert!(d.iter().all(|(_, h)| h.is_stale()));
}

#[test]
fn append_errors() {
    let mut e = HistogramEncoder::new();
    assert!(matches!(
        e.append(1, &int_h(1, 0.0, &[(0, 2)], &[1])),
        Err(AppendError::SpansBucketsMismatch { .. })
    ));
    e.append(1, &int_h(1, 0.0, &[(0, 1)], &[1])).unwrap();
    assert_eq!(
        e.append(2, &int_h(1, 0.0, &[(1, 1)], &[1])),
        Err(AppendError::LayoutMismatch { sign: "positive" })
    );
    // Same buckets, other span representation: fine.
    e.append(2, &int_h(1, 0.0, &[(0, 0), (0, 1)], &[1]))
        .unwrap();
    assert_eq!(e.num_samples(), 2);
}

#[test]
fn counter_appendability() {
    let mut e = HistogramEncoder::new();
    e.append(1, &int_h(5, 1.0, &[(0, 2)], &[2, 1])).unwrap();
    assert_eq!(
        e.appendable(&int_h(6, 1.0, &[(0, 2)], &[3, 0])),
        Appendable::Yes
    );
    // Count down.
    assert_eq!(
        e.appendable(&int_h(4, 1.0, &[(0, 2)], &[2, 0])),
        Appendable::No {
            counter_reset: true
        }
    );
    // A bucket down.
    assert_eq!(
        e.appendable(&int_h(6, 1.0, &[(0, 2)], &[1, 3])),
        Appendable::No {
            counter_reset: true
        }
    );
    // A bucket gone.
    assert_eq!(
        e.appendable(&int_h(6, 1.0, &[(0, 1)], &[6])),
        Appendable::No {
            counter_reset: true
        }
    );
    // Schema change.
    let mut s = int_h(6, 1.0, &[(0, 2)], &[3, 0]);
    s.schema = 2;
    assert_eq!(
        e.appendable(&s),
        Appendable::No {
            counter_reset: false
        }
    );
    assert_eq!(e.new_chunk_header(&s), CounterResetHeader::Unknown);
    // New buckets: recode.
    let wide = int_h(9, 2.0, &[(-1, 4)], &[1, 2, 1, 1]);
    let a = e.appendable(&wide);
    assert_eq!(
        a,
        Appendable::Recode {
            positive: vec![Insert { pos: 0, num: 1 }, Insert { pos: 2, num: 1 }],
            negative: vec![]
        }
    );
    assert_eq!(a.new_chunk_header(), CounterResetHeader::NotCounterReset);
    assert_eq!(e.push(2, &wide), Ok(Pushed::Recoded));
    assert_eq!(e.layout().0, &spans(&[(-1, 4)])[..]);
    let d = decoded_int(e.bytes());
    assert_eq!(d[0].1.positive_counts(), vec![0, 2, 3, 0]);
    assert_eq!(d[1].1.positive_counts(), vec![1, 3, 4, 5]);
    // The recoded chunk equals one written with the wide layout from the
    // start.
    let mut direct = HistogramEncoder::new();
    let first = int_h(5, 1.0, &[(-1, 4)], &[0, 2, 1, -3]);
    direct.append(1, &first).unwrap();
    direct.append(2, &wide).unwrap();
    assert_eq!(direct.bytes(), e.bytes());
    // Hints.
    let mut cr = wide.clone();
    cr.counter_reset_hint = CounterResetHint::CounterReset;
    assert_eq!(
        e.push(3, &cr),
        Ok(Pushed::NewChunk(CounterResetHeader::CounterReset))
    );
    let mut g = wide.clone();
    g.counter_reset_hint = CounterResetHint::Gauge;
    assert_eq!(
        e.push(3, &g),
        Ok(Pushed::NewChunk(CounterResetHeader::Gauge))
    );
}

#[test]
fn gauge_both_ways() {
    let mut g1 = int_h(5, 1.0, &[(0, 2)], &[2, 1]);
    g1.counter_reset_hint = CounterResetHint::Gauge;
    let mut g2 = int_h(2, 1.0, &[(1, 2)], &[1, 0]);
    g2.counter_reset_hint = CounterResetHint::Gauge;
    let mut e = HistogramEncoder::with_header(CounterResetHeader::Gauge);
    e.push(1, &g1).unwrap();
    let gi = e.appendable_gauge(&g2).unwrap();
    assert_eq!(gi.positive_forward, vec![Insert { pos: 2, num: 1 }]);
    assert_eq!(gi.positive_backward, vec![Insert { pos: 0, num: 1 }]);
    assert_eq!(gi.positive_spans, spans(&[(0, 3)]));
    assert_eq!(e.push(2, &g2), Ok(Pushed::Recoded));
    let d = decoded_int(e.bytes());
    assert_eq!(d[0].1.positive_counts(), vec![2, 3, 0]);
    assert_eq!(d[1].1.positive_counts(), vec![0, 1, 1]);
    assert!(decode_histograms(e.bytes())
        .unwrap()
        .iter()
        .all(|(_, h)| h.counter_reset_hint == CounterResetHint::Gauge));
    // Not a gauge chunk.
    let c = HistogramEncoder::new();
    let mut c2 = c.clone();
    c2.append(1, &int_h(1, 0.0, &[], &[])).unwrap();
    assert_eq!(c2.appendable_gauge(&g1), None);
}

#[test]
fn float_roundtrip_and_recode() {
    let f = |c: f64, pos: &[(i32, u32)], pb: &[f64]| FloatHistogram {
        count: c,
        sum: c * 1.5,
        zero_count: 0.5,
        zero_threshold: 0.001,
        schema: -3,
        positive_spans: spans(pos),
        positive_buckets: pb.to_vec(),
        negative_spans: spans(&[(2, 1)]),
        negative_buckets: vec![0.25],
        ..FloatHistogram::default()
    };
    let mut e = FloatHistogramEncoder::new();
    e.push(100, &f(2.0, &[(0, 1)], &[1.25])).unwrap();
    e.push(200, &f(3.0, &[(0, 1)], &[2.25])).unwrap();
    assert_eq!(
        e.push(300, &f(4.0, &[(0, 1), (1, 1)], &[2.25, 1.0])),
        Ok(Pushed::Recoded)
    );
    assert_eq!(
        e.push(400, &f(1.0, &[(0, 1), (1, 1)], &[0.0, 0.25])),
        Ok(Pushed::NewChunk(CounterResetHeader::CounterReset))
    );
    let d = decode_float_histograms(e.bytes()).unwrap();
    assert_eq!(d.len(), 3);
    assert_eq!(d[0].1.positive_buckets, vec![1.25, 0.0]);
    assert_eq!(d[2].1.positive_buckets, vec![2.25, 1.0]);
    assert_eq!(d[2].1.sum, 6.0);
    assert_eq!(d[1].0, 200);
}

#[test]
fn zero_thresholds() {
    for zt in [
        0.0,
        2f64.powi(-128),
        2f64.powi(-243),
        2f64.powi(10),
        2f64.powi(11),
        2f64.powi(-244),
        0.001,
        f64::MIN_POSITIVE / 4.0,
        f64::NAN,
        f64::INFINITY,
        -1.0,
    ] {
        let h = Histogram {
            zero_threshold: zt,
            ..Histogram::default()
        };
        let mut e = HistogramEncoder::new();
        e.append(0, &h).unwrap();
        let d = decode_histograms(e.bytes()).unwrap();
        assert_eq!(d[0].1.zero_threshold.to_bits(), zt.to_bits(), "{zt}");
        let one_byte = zt == 0.0
            || (zt > 0.0 && zt.log2().fract() == 0.0 && (-243.0..=10.0).contains(&zt.log2()));
        // 3 header bytes, threshold, schema (1 bit), spans (2 bits), t, ...
        assert_eq!(e.bytes()[3] != 255, one_byte, "{zt}");
    }
}

#[test]
fn wide_values() {
    let mut e = HistogramEncoder::new();
    let vals = [
        0i64,
        1,
        -1,
        4,
        -3,
        5,
        32,
        33,
        -31,
        -32,
        256,
        257,
        2048,
        2049,
        131072,
        131073,
        16777216,
        16777217,
        1 << 55,
        (1 << 55) + 1,
        i64::MAX,
        i64::MIN,
    ];
    let mut hs = Vec::new();
    for (i, &v) in vals.iter().enumerate() {
        let h = Histogram {
            count: v as u64,
            zero_count: (v as u64).rotate_left(7),
            sum: v as f64,
            positive_spans: spans(&[(-5, 2)]),
            positive_buckets: vec![v, v.wrapping_mul(3)],
            negative_spans: spans(&[(1000, 1)]),
            negative_buckets: vec![!v],
            ..Histogram::default()
        };
        let t = (i as i64).wrapping_mul(v | 1);
        e.append(t, &h).unwrap();
        hs.push((t, h));
    }
    assert_eq!(decoded_int(e.bytes()), hs);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let len = rng.below(64) as usize;
        let mut b: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if b.len() >= 2 && rng.below(2) == 0 {
            b[0] = 0;
            b[1] = rng.below(4) as u8;
        }
        let _ = decode_histograms(&b);
        let _ = decode_float_histograms(&b);
    }
}

#[test]
fn bit_flips_and_truncations_never_panic() {
    let mut e = HistogramEncoder::new();
    let mut f = FloatHistogramEncoder::new();
    for i in 0..20u64 {
        let h = Histogram {
            count: 10 * i,
            zero_count: i,
            sum: i as f64 * 0.7,
            schema: 3,
            zero_threshold: 0.01,
            positive_spans: spans(&[(-2, 3), (4, 2)]),
            positive_buckets: vec![i as i64, 1, 2, -1, 0],
            negative_spans: spans(&[(0, 1)]),
            negative_buckets: vec![i as i64 * 3],
            ..Histogram::default()
        };
        e.append(i as i64 * 15_000, &h).unwrap();
        f.append(i as i64 * 15_000, &h.to_float()).unwrap();
    }
    for chunk in [e.bytes().to_vec(), f.bytes().to_vec()] {
        for cut in 0..chunk.len() {
            let r = decode_histograms(&chunk[..cut]);
            let rf = decode_float_histograms(&chunk[..cut]);
            if cut < chunk.len() - 1 {
                assert!(r.is_err() || rf.is_err());
            }
        }
        for bit in 0..chunk.len() * 8 {
            let mut c = chunk.clone();
            c[bit / 8] ^= 0x80 >> (bit % 8);
            let _ = decode_histograms(&c);
            let _ = decode_float_histograms(&c);
        }
    }
}

#[test]
fn huge_layouts_are_rejected_cheaply() {
    // A span count of 2^56 and a span length of 2^32-1.
    let mut w = histogram_meta::HistWriter::new(16);
    w.w.header_mut()[..2].copy_from_slice(&[0, 1]);
    w.zero_threshold(0.0);
    w.varbit_int(0);
    w.varbit_uint(1 << 56);
    let b = w.w.into_bytes();
    assert!(decode_histograms(&b).is_err());
    assert!(decode_float_histograms(&b).is_err());
    let mut w = histogram_meta::HistWriter::new(16);
    w.w.header_mut()[..2].copy_from_slice(&[0, 1]);
    w.zero_threshold(0.0);
    w.varbit_int(0);
    for _ in 0..2 {
        w.varbit_uint(2);
        w.varbit_uint(u64::from(u32::MAX));
        w.varbit_int(0);
        w.varbit_uint(u64::from(u32::MAX));
        w.varbit_int(0);
    }
    let b = w.w.into_bytes();
    assert!(matches!(
        decode_histograms(&b),
        Err(ChunkError::Truncated { .. })
    ));
    assert!(matches!(
        decode_float_histograms(&b),
        Err(ChunkError::Truncated { .. })
    ));
}
