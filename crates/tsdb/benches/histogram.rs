//! Native histogram chunk decoding beside XOR decoding, in one run:
//! `cargo bench -p mnemos-tsdb --bench histogram`.
//!
//! Every input is 1000 chunks of 120 samples at a regular 15 s scrape
//! interval:
//! * `int` / `float`: a counter histogram of schema 3 with 20 positive and
//!   4 negative buckets (two spans each side), where each scrape adds a few
//!   observations to a few buckets (integer and float chunks of the same
//!   values);
//! * `xor_counter`: the XOR bench's counter shape (integers-as-floats that
//!   grow at about a quarter of the scrapes), the reference.
//!
//! Throughput is in samples (one histogram or one float each).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mnemos_tsdb::chunkenc::{
    decode_xor_into, FloatHistogramEncoder, FloatHistogramIter, HistogramEncoder, HistogramIter,
    XorEncoder, XorIter,
};
use mnemos_tsdb::histogram::{Histogram, Span};
use mnemos_tsdb::testdata::Rng;

const CHUNKS: usize = 1000;
const SAMPLES_PER_CHUNK: usize = 120;
const SCRAPE_MS: i64 = 15_000;

fn histograms() -> Vec<Vec<(i64, Histogram)>> {
    let mut rng = Rng(11);
    let mut t = 1_700_000_000_000i64;
    let mut pos = [0u64; 20];
    let mut neg = [0u64; 4];
    let mut zc = 0u64;
    let mut sum = 0.0f64;
    (0..CHUNKS)
        .map(|_| {
            (0..SAMPLES_PER_CHUNK)
                .map(|_| {
                    t += SCRAPE_MS;
                    for _ in 0..rng.below(6) {
                        let n = 1 + rng.below(3);
                        match rng.below(10) {
                            0 => zc += n,
                            1 => neg[rng.below(4) as usize] += n,
                            _ => pos[rng.below(20) as usize] += n,
                        }
                        sum += rng.unit() * 100.0;
                    }
                    let deltas = |abs: &[u64]| {
                        let mut prev = 0i64;
                        abs.iter()
                            .map(|&c| {
                                let d = c as i64 - prev;
                                prev = c as i64;
                                d
                            })
                            .collect()
                    };
                    let h = Histogram {
                        schema: 3,
                        zero_threshold: 2f64.powi(-128),
                        zero_count: zc,
                        count: zc + pos.iter().sum::<u64>() + neg.iter().sum::<u64>(),
                        sum,
                        positive_spans: vec![Span::new(-4, 12), Span::new(2, 8)],
                        negative_spans: vec![Span::new(0, 2), Span::new(1, 2)],
                        positive_buckets: deltas(&pos),
                        negative_buckets: deltas(&neg),
                        ..Histogram::default()
                    };
                    (t, h)
                })
                .collect()
        })
        .collect()
}

fn xor_counter() -> Vec<Vec<(i64, f64)>> {
    let mut rng = Rng(2);
    let mut t = 1_700_000_000_000i64;
    let mut c: u64 = 1_234_567;
    (0..CHUNKS)
        .map(|_| {
            (0..SAMPLES_PER_CHUNK)
                .map(|_| {
                    t += SCRAPE_MS;
                    if rng.below(4) == 0 {
                        let max = if rng.below(8) == 0 { 100_000 } else { 100 };
                        c += 1 + rng.below(max);
                    }
                    (t, c as f64)
                })
                .collect()
        })
        .collect()
}

fn bench_decode(c: &mut Criterion) {
    let hs = histograms();
    let int_chunks: Vec<Vec<u8>> = hs
        .iter()
        .map(|chunk| {
            let mut e = HistogramEncoder::new();
            for (t, h) in chunk {
                e.append(*t, h).unwrap();
            }
            e.into_bytes()
        })
        .collect();
    let float_chunks: Vec<Vec<u8>> = hs
        .iter()
        .map(|chunk| {
            let mut e = FloatHistogramEncoder::new();
            for (t, h) in chunk {
                e.append(*t, &h.to_float()).unwrap();
            }
            e.into_bytes()
        })
        .collect();
    let xor_chunks: Vec<Vec<u8>> = xor_counter()
        .iter()
        .map(|chunk| {
            let mut e = XorEncoder::new();
            for &(t, v) in chunk {
                e.append(t, v);
            }
            e.into_bytes()
        })
        .collect();
    let samples = (CHUNKS * SAMPLES_PER_CHUNK) as f64;
    for (name, chunks) in [
        ("int", &int_chunks),
        ("float", &float_chunks),
        ("xor_counter", &xor_chunks),
    ] {
        let bytes: usize = chunks.iter().map(Vec::len).sum();
        eprintln!("{name}: {:.2} bytes/sample", bytes as f64 / samples);
    }

    let mut group = c.benchmark_group("histogram_decode");
    group.throughput(Throughput::Elements((CHUNKS * SAMPLES_PER_CHUNK) as u64));
    group.bench_function("int/advance", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for chunk in &int_chunks {
                let mut it = HistogramIter::new(black_box(chunk)).unwrap();
                while it.advance().unwrap() {
                    let (t, h) = it.at();
                    acc = acc.wrapping_add(t as u64 ^ h.count ^ h.sum.to_bits());
                    acc = acc.wrapping_add(h.positive_buckets[19] as u64);
                }
            }
            black_box(acc)
        })
    });
    group.bench_function("int/next_sample", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for chunk in &int_chunks {
                let mut it = HistogramIter::new(black_box(chunk)).unwrap();
                while let Some((t, h)) = it.next_sample().unwrap() {
                    acc = acc.wrapping_add(t as u64 ^ h.count);
                }
            }
            black_box(acc)
        })
    });
    group.bench_function("float/advance", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for chunk in &float_chunks {
                let mut it = FloatHistogramIter::new(black_box(chunk)).unwrap();
                while it.advance().unwrap() {
                    let (t, h) = it.at();
                    acc = acc.wrapping_add(t as u64 ^ h.count.to_bits() ^ h.sum.to_bits());
                    acc = acc.wrapping_add(h.positive_buckets[19].to_bits());
                }
            }
            black_box(acc)
        })
    });
    group.bench_function("xor_counter/into", |b| {
        let mut ts = Vec::with_capacity(SAMPLES_PER_CHUNK);
        let mut vs = Vec::with_capacity(SAMPLES_PER_CHUNK);
        b.iter(|| {
            let mut sum = 0i64;
            for chunk in &xor_chunks {
                ts.clear();
                vs.clear();
                decode_xor_into(black_box(chunk), &mut ts, &mut vs).unwrap();
                sum = sum.wrapping_add(ts[ts.len() - 1]);
            }
            black_box((sum, &ts, &vs));
        })
    });
    group.bench_function("xor_counter/iter", |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for chunk in &xor_chunks {
                let mut it = XorIter::new(black_box(chunk)).unwrap();
                while let Some((t, v)) = it.next_sample().unwrap() {
                    sum = sum.wrapping_add(t as u64 ^ v.to_bits());
                }
            }
            black_box(sum)
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_decode
}
criterion_main!(benches);
