//! Property tests of the histogram chunk codecs: random histograms round-trip
//! bit-exactly, random layout sequences pushed the way Prometheus' head does
//! decode to the same buckets, arbitrary bytes never panic the decoders.

use mnemos_tsdb::chunkenc::{
    decode_float_histograms, decode_histograms, CounterResetHeader, FloatHistogramEncoder,
    HistogramEncoder, Pushed, STALE_NAN_BITS,
};
use mnemos_tsdb::histogram::{CounterResetHint, FloatHistogram, Histogram, Span};
use proptest::prelude::*;

fn spans() -> impl Strategy<Value = Vec<Span>> {
    proptest::collection::vec((-3i32..4, 0u32..4), 0..4).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (o, l))| Span::new(if i == 0 { o * 7 } else { o.abs() }, l))
            .collect()
    })
}

/// Interesting float bit patterns, including NaNs and the stale marker.
fn float_bits() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        Just(f64::NAN.to_bits()),
        Just(STALE_NAN_BITS),
        Just(0),
        Just((-0.0f64).to_bits()),
        Just(f64::INFINITY.to_bits()),
        (0u32..1000).prop_map(|x| (f64::from(x) * 0.25).to_bits()),
    ]
}

fn int_value() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), -40i64..40, -100_000i64..100_000]
}

fn zero_threshold() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(2f64.powi(-128)),
        Just(0.001),
        (-250i32..20).prop_map(|e| 2f64.powi(e)),
        any::<u64>().prop_map(f64::from_bits),
    ]
}

/// A chunk's worth of histograms sharing one layout, as (t, h).
fn int_chunk() -> impl Strategy<Value = Vec<(i64, Histogram)>> {
    (spans(), spans(), -4i32..9, zero_threshold(), 1usize..40).prop_flat_map(
        |(ps, ns, schema, zt, n)| {
            let np: usize = ps.iter().map(|s| s.length as usize).sum();
            let nn: usize = ns.iter().map(|s| s.length as usize).sum();
            let sample = (
                any::<u64>(),
                prop_oneof![any::<u64>(), 0u64..100],
                float_bits(),
                proptest::collection::vec(int_value(), np),
                proptest::collection::vec(int_value(), nn),
                prop_oneof![1i64..100_000, any::<i64>()],
            );
            proptest::collection::vec(sample, n).prop_map(move |v| {
                let mut t = -1_000_000i64;
                let mut stale = false;
                v.into_iter()
                    .map(|(count, zc, sum, pb, nb, dt)| {
                        t = t.wrapping_add(dt);
                        // After a stale marker, only stale markers.
                        stale |= sum == STALE_NAN_BITS;
                        let h = if stale {
                            Histogram::stale()
                        } else {
                            Histogram {
                                schema,
                                zero_threshold: zt,
                                count,
                                zero_count: zc,
                                sum: f64::from_bits(sum),
                                positive_spans: ps.clone(),
                                negative_spans: ns.clone(),
                                positive_buckets: pb,
                                negative_buckets: nb,
                                ..Histogram::default()
                            }
                        };
                        (t, h)
                    })
                    .collect()
            })
        },
    )
}

/// Compares histograms with sums as bits and without the hint.
/// What must round-trip, floats by their bits (a NaN zero threshold or sum equals itself).
fn key(h: &Histogram) -> (Histogram, u64, u64) {
    let mut c = h.clone();
    c.counter_reset_hint = CounterResetHint::Unknown;
    c.sum = 0.0;
    c.zero_threshold = 0.0;
    (c, h.sum.to_bits(), h.zero_threshold.to_bits())
}

type FloatKey = (
    i32,
    u64,
    u64,
    u64,
    u64,
    Vec<Span>,
    Vec<Span>,
    Vec<u64>,
    Vec<u64>,
);

fn fkey(h: &FloatHistogram) -> FloatKey {
    (
        h.schema,
        h.zero_threshold.to_bits(),
        h.count.to_bits(),
        h.zero_count.to_bits(),
        h.sum.to_bits(),
        h.positive_spans.clone(),
        h.negative_spans.clone(),
        h.positive_buckets.iter().map(|x| x.to_bits()).collect(),
        h.negative_buckets.iter().map(|x| x.to_bits()).collect(),
    )
}

fn to_float_bits(h: &Histogram, rot: u32) -> FloatHistogram {
    // Float histograms with arbitrary bit patterns derived from the ints.
    let f = |x: i64| f64::from_bits((x as u64).rotate_left(rot));
    FloatHistogram {
        counter_reset_hint: CounterResetHint::Unknown,
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count: f64::from_bits(h.zero_count),
        count: f64::from_bits(h.count),
        sum: h.sum,
        positive_spans: h.positive_spans.clone(),
        negative_spans: h.negative_spans.clone(),
        positive_buckets: h.positive_buckets.iter().map(|&x| f(x)).collect(),
        negative_buckets: h.negative_buckets.iter().map(|&x| f(x)).collect(),
    }
}

/// Counter histograms over a small index range whose buckets come and go,
/// with occasional resets, schema changes and stale markers.
fn counter_sequence() -> impl Strategy<Value = Vec<Histogram>> {
    proptest::collection::vec(
        (
            proptest::collection::vec(0u64..6, 8),
            proptest::collection::vec(0u64..6, 4),
            0u8..20,
            float_bits(),
        ),
        1..60,
    )
    .prop_map(|steps| {
        let mut pos = [0u64; 8];
        let mut neg = [0u64; 4];
        let mut zc = 0u64;
        let mut schema = 0;
        steps
            .into_iter()
            .map(|(dp, dn, event, sum)| {
                if sum == STALE_NAN_BITS {
                    return Histogram::stale();
                }
                match event {
                    0 => {
                        pos = [0; 8];
                        neg = [0; 4];
                        zc = 0;
                    }
                    1 => schema = (schema + 1) % 3,
                    _ => {}
                }
                // Buckets only ever grow, some from 0 (they appear).
                for (p, d) in pos.iter_mut().zip(&dp) {
                    *p += if *d > 3 { 0 } else { *d };
                }
                for (p, d) in neg.iter_mut().zip(&dn) {
                    *p += if *d > 4 { 0 } else { *d };
                }
                zc += u64::from(event % 3);
                let mut h = layout_of(&pos, &neg, schema);
                h.zero_count = zc;
                h.count = zc + pos.iter().sum::<u64>() + neg.iter().sum::<u64>();
                h.sum = f64::from_bits(sum);
                h
            })
            .collect()
    })
}

/// A compact histogram (no empty buckets) from absolute counts at indices
/// -3.. (positive) and 2.. (negative).
fn layout_of(pos: &[u64], neg: &[u64], schema: i32) -> Histogram {
    let mut h = Histogram {
        schema,
        zero_threshold: 0.125,
        positive_spans: vec![Span::new(-3, pos.len() as u32)],
        negative_spans: vec![Span::new(2, neg.len() as u32)],
        positive_buckets: deltas(pos),
        negative_buckets: deltas(neg),
        ..Histogram::default()
    };
    h.compact(0);
    h
}

fn deltas(abs: &[u64]) -> Vec<i64> {
    let mut prev = 0i64;
    abs.iter()
        .map(|&c| {
            let d = c as i64 - prev;
            prev = c as i64;
            d
        })
        .collect()
}

/// Encodes histograms (timestamps 1000 apart) the way Prometheus' head
/// does, cutting chunks only where it must; returns the chunks.
fn push_all(hs: &[Histogram]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut enc: Option<HistogramEncoder> = None;
    for (i, h) in hs.iter().enumerate() {
        let t = i as i64 * 1000;
        let e = match enc.as_mut() {
            Some(e) => e,
            None => enc.insert(HistogramEncoder::with_header(
                CounterResetHeader::for_first_chunk(h.counter_reset_hint),
            )),
        };
        match e.push(t, h).unwrap() {
            Pushed::Appended | Pushed::Recoded => {}
            Pushed::NewChunk(header) => {
                chunks.push(e.bytes().to_vec());
                let mut n = HistogramEncoder::with_header(header);
                assert_eq!(n.push(t, h), Ok(Pushed::Appended));
                *e = n;
            }
        }
    }
    chunks.extend(enc.map(|e| e.into_bytes()));
    chunks
}

fn push_all_float(hs: &[FloatHistogram]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let first = hs
        .first()
        .map_or(CounterResetHint::Unknown, |h| h.counter_reset_hint);
    let mut enc = FloatHistogramEncoder::with_header(CounterResetHeader::for_first_chunk(first));
    for (i, h) in hs.iter().enumerate() {
        let t = i as i64 * 1000;
        if let Pushed::NewChunk(header) = enc.push(t, h).unwrap() {
            chunks.push(enc.bytes().to_vec());
            enc = FloatHistogramEncoder::with_header(header);
            assert_eq!(enc.push(t, h), Ok(Pushed::Appended));
        }
    }
    chunks.push(enc.into_bytes());
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn int_chunks_roundtrip(samples in int_chunk()) {
        let mut e = HistogramEncoder::new();
        for (i, (t, h)) in samples.iter().enumerate() {
            e.append(*t, h).unwrap();
            // Valid after every append.
            let d = decode_histograms(e.bytes()).unwrap();
            prop_assert_eq!(d.len(), i + 1);
        }
        let d = decode_histograms(e.bytes()).unwrap();
        prop_assert_eq!(
            d.iter().map(|(t, h)| (*t, key(h))).collect::<Vec<_>>(),
            samples.iter().map(|(t, h)| (*t, key(h))).collect::<Vec<_>>()
        );
        prop_assert_eq!(e.min_time(), samples.first().map(|s| s.0));
        prop_assert_eq!(e.max_time(), samples.last().map(|s| s.0));
        // Re-encoding the decoded samples gives the same bytes.
        let mut again = HistogramEncoder::new();
        for (t, h) in &d {
            again.append(*t, h).unwrap();
        }
        prop_assert_eq!(again.bytes(), e.bytes());
    }

    #[test]
    fn float_chunks_roundtrip(samples in int_chunk(), rot in 0u32..64) {
        let fs: Vec<(i64, FloatHistogram)> = samples
            .iter()
            .map(|(t, h)| (*t, if h.is_stale() { FloatHistogram::stale() } else { to_float_bits(h, rot) }))
            .collect();
        let mut e = FloatHistogramEncoder::new();
        for (t, h) in &fs {
            e.append(*t, h).unwrap();
        }
        let d = decode_float_histograms(e.bytes()).unwrap();
        prop_assert_eq!(
            d.iter().map(|(t, h)| (*t, fkey(h))).collect::<Vec<_>>(),
            fs.iter().map(|(t, h)| (*t, fkey(h))).collect::<Vec<_>>()
        );
        let mut again = FloatHistogramEncoder::new();
        for (t, h) in &d {
            again.append(*t, h).unwrap();
        }
        prop_assert_eq!(again.bytes(), e.bytes());
    }

    #[test]
    fn pushed_counters_decode_to_their_buckets(hs in counter_sequence(), gauge in any::<bool>()) {
        let hs: Vec<Histogram> = hs
            .into_iter()
            .map(|mut h| {
                if gauge && !h.is_stale() {
                    h.counter_reset_hint = CounterResetHint::Gauge;
                }
                h
            })
            .collect();
        let chunks = push_all(&hs);
        let decoded: Vec<(i64, Histogram)> =
            chunks.iter().flat_map(|c| decode_histograms(c).unwrap()).collect();
        prop_assert_eq!(decoded.len(), hs.len());
        for (i, ((t, d), h)) in decoded.iter().zip(&hs).enumerate() {
            prop_assert_eq!(*t, i as i64 * 1000);
            let (mut d, mut h) = (d.clone(), h.clone());
            // Recoding only adds empty buckets.
            d.compact(0);
            h.compact(0);
            prop_assert_eq!(key(&d).0.positive_buckets, key(&h).0.positive_buckets);
            prop_assert_eq!(key(&d).1, key(&h).1);
            d.counter_reset_hint = h.counter_reset_hint;
            prop_assert_eq!(key(&d), key(&h));
        }
        // Chunks re-encode to themselves; only gauge chunks hold gauges.
        for c in &chunks {
            let header = CounterResetHeader::from_byte(c[2]);
            let mut e = HistogramEncoder::with_header(header);
            for (t, h) in decode_histograms(c).unwrap() {
                e.append(t, &h).unwrap();
            }
            prop_assert_eq!(e.bytes(), &c[..]);
        }
        // The float view pushed the same way decodes to the same values.
        let fs: Vec<FloatHistogram> = hs
            .iter()
            .map(|h| if h.is_stale() { FloatHistogram::stale() } else { h.to_float() })
            .collect();
        let fchunks = push_all_float(&fs);
        let fdec: Vec<(i64, FloatHistogram)> =
            fchunks.iter().flat_map(|c| decode_float_histograms(c).unwrap()).collect();
        prop_assert_eq!(fchunks.len(), chunks.len());
        for ((_, f), (_, d)) in fdec.iter().zip(&decoded) {
            let mut want = if d.is_stale() { FloatHistogram::stale() } else { d.to_float() };
            want.counter_reset_hint = f.counter_reset_hint;
            prop_assert_eq!(fkey(f), fkey(&want));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        mut bytes in proptest::collection::vec(any::<u8>(), 0..400),
        count in 0u16..300,
    ) {
        if bytes.len() >= 2 {
            bytes[..2].copy_from_slice(&count.to_be_bytes());
        }
        let _ = decode_histograms(&bytes);
        let _ = decode_float_histograms(&bytes);
    }
}
