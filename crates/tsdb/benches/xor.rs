//! XOR chunk codec throughput: `cargo bench -p mnemos-tsdb --bench xor`.
//!
//! Every input is 1000 chunks of 120 samples (Prometheus' chunk size) at a
//! regular 15 s scrape interval, for three value shapes:
//! * `gauge`: a slow random walk of values with two decimal digits;
//! * `counter`: integers-as-floats that grow at about a quarter of the
//!   scrapes, by increments of varying size;
//! * `random`: uniformly random bit patterns of finite floats (worst case).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mnemos_tsdb::chunkenc::{decode_xor_into, XorEncoder, XorIter};
use mnemos_tsdb::testdata::Rng;

const CHUNKS: usize = 1000;
const SAMPLES_PER_CHUNK: usize = 120;
const SCRAPE_MS: i64 = 15_000;

/// A series of chunks: each chunk is a vector of (t, v) samples.
type Series = Vec<Vec<(i64, f64)>>;

fn make_series(mut value: impl FnMut(&mut Rng) -> f64, seed: u64) -> Series {
    let mut rng = Rng(seed);
    let mut t = 1_700_000_000_000i64;
    (0..CHUNKS)
        .map(|_| {
            (0..SAMPLES_PER_CHUNK)
                .map(|_| {
                    t += SCRAPE_MS;
                    (t, value(&mut rng))
                })
                .collect()
        })
        .collect()
}

fn gauge() -> Series {
    // Hundredths: 42.17, 42.25, 41.98, ...
    let mut cents: i64 = 4_217;
    make_series(
        move |rng| {
            cents += rng.below(41) as i64 - 20;
            cents as f64 / 100.0
        },
        1,
    )
}

fn counter() -> Series {
    let mut c: u64 = 1_234_567;
    make_series(
        move |rng| {
            if rng.below(4) == 0 {
                // Mostly small increments, sometimes large bursts.
                let max = if rng.below(8) == 0 { 100_000 } else { 100 };
                c += 1 + rng.below(max);
            }
            c as f64
        },
        2,
    )
}

fn random() -> Series {
    make_series(
        |rng| loop {
            let v = f64::from_bits(rng.next_u64());
            if v.is_finite() {
                return v;
            }
        },
        3,
    )
}

fn encode(series: &Series) -> Vec<Vec<u8>> {
    series
        .iter()
        .map(|chunk| {
            let mut enc = XorEncoder::new();
            for &(t, v) in chunk {
                enc.append(t, v);
            }
            enc.into_bytes()
        })
        .collect()
}

fn inputs() -> Vec<(&'static str, Series)> {
    vec![
        ("gauge", gauge()),
        ("counter", counter()),
        ("random", random()),
    ]
}

fn total_samples(series: &Series) -> u64 {
    series.iter().map(|c| c.len() as u64).sum()
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("xor_decode");
    for (name, series) in inputs() {
        let chunks = encode(&series);
        let bytes: usize = chunks.iter().map(Vec::len).sum();
        eprintln!(
            "{name}: {CHUNKS} chunks, {:.2} bytes/sample",
            bytes as f64 / total_samples(&series) as f64
        );
        group.throughput(Throughput::Elements(total_samples(&series)));
        group.bench_function(format!("into/{name}"), |b| {
            let mut ts = Vec::with_capacity(SAMPLES_PER_CHUNK);
            let mut vs = Vec::with_capacity(SAMPLES_PER_CHUNK);
            b.iter(|| {
                let mut sum = 0i64;
                for chunk in &chunks {
                    ts.clear();
                    vs.clear();
                    decode_xor_into(black_box(chunk), &mut ts, &mut vs).unwrap();
                    sum = sum.wrapping_add(ts[ts.len() - 1]);
                }
                black_box((sum, &ts, &vs));
            })
        });
        group.bench_function(format!("iter/{name}"), |b| {
            b.iter(|| {
                let mut sum = 0u64;
                for chunk in &chunks {
                    let mut it = XorIter::new(black_box(chunk)).unwrap();
                    while let Some((t, v)) = it.next_sample().unwrap() {
                        sum = sum.wrapping_add(t as u64 ^ v.to_bits());
                    }
                }
                black_box(sum)
            })
        });
    }
    group.finish();
}

fn bench_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("xor_encode");
    for (name, series) in inputs() {
        group.throughput(Throughput::Elements(total_samples(&series)));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut bytes = 0usize;
                for chunk in black_box(&series) {
                    let mut enc = XorEncoder::new();
                    for &(t, v) in chunk {
                        enc.append(t, v);
                    }
                    bytes += enc.bytes().len();
                }
                black_box(bytes)
            })
        });
    }
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
    targets = bench_decode, bench_encode
}
criterion_main!(benches);
