//! The querier's per-series hot path: chunks from several endpoints to samples, with HA
//! deduplication (two replicas, 120-sample XOR chunks, 15 s scrapes offset by 3 s), and
//! the same with the chain function and without dedup. Throughput in samples out per second.
//!
//! `cargo bench -p mnemos-query --bench merge`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mnemos_dedup::DedupFunc;
use mnemos_query::series::{samples, MergeMode};
use mnemos_storeapi::thanos::{self, chunk::Encoding, AggrChunk};
use mnemos_tsdb::chunkenc::encode_xor;
use mnemos_tsdb::Labels;

/// One replica's chunks for `n` samples starting at `offset` ms.
fn replica(n: usize, offset: i64) -> Vec<AggrChunk> {
    let pts: Vec<(i64, f64)> = (0..n)
        .map(|i| (offset + i as i64 * 15_000, (i * 7) as f64))
        .collect();
    pts.chunks(120)
        .map(|c| {
            let data = encode_xor(c);
            AggrChunk {
                min_time: c[0].0,
                max_time: c[c.len() - 1].0,
                raw: Some(thanos::Chunk {
                    r#type: Encoding::Xor as i32,
                    hash: xxhash_rust::xxh64::xxh64(&data, 0),
                    data: data.into(),
                }),
                ..Default::default()
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let labels = Labels::from_pairs([("__name__", "http_requests_total"), ("job", "api")]);
    let mut group = c.benchmark_group("series_merge");
    // 24 h at 15 s per replica.
    let n = 5760;
    let (a, b) = (replica(n, 0), replica(n, 3000));
    for (name, dedup, func) in [
        ("dedup_2_replicas", true, DedupFunc::Penalty),
        ("chain_dedup_2_replicas", true, DedupFunc::Chain),
        ("no_dedup_2_replicas", false, DedupFunc::Penalty),
    ] {
        let mode = MergeMode {
            dedup,
            func,
            counter: true,
        };
        let out = if dedup && func == DedupFunc::Penalty {
            n
        } else {
            2 * n
        };
        group.throughput(Throughput::Elements(out as u64));
        group.bench_function(BenchmarkId::new(name, n), |bench| {
            bench.iter(|| {
                let chunks: Vec<AggrChunk> = a.iter().chain(&b).cloned().collect();
                samples(&labels, chunks, &[], 0, i64::MAX, mode)
                    .expect("merge")
                    .floats
            })
        });
    }
    let one = replica(n, 0);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(BenchmarkId::new("single_source", n), |bench| {
        bench.iter(|| {
            let mode = MergeMode {
                dedup: true,
                func: DedupFunc::Penalty,
                counter: true,
            };
            samples(&labels, one.clone(), &[], 0, i64::MAX, mode)
                .expect("merge")
                .floats
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
