//! The Parquet tier's hot paths on a local 24h block (4,000 series: 160 metrics × 25, a
//! sample every 30 s, counters growing by varying steps), in memory (no bucket):
//! - `convert`: the whole block to the two Parquet files (`convert_block`).
//! - `select_chunks/{selective,broad}`: a query's rows with their labels and raw chunks from
//!   the Parquet files ([`ParquetShard::select_labels`] then [`ParquetShard::chunks`]),
//!   against the peer measured in the same run, the TSDB block read with the tsdb crate
//!   (postings, series entries, then every chunk of the series): `tsdb/{selective,broad}`.
//!   Selective: one metric of one job (5 series); broad: every tenth metric (400 series).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mnemos_parquet::{convert_block, ConvertOptions, ParquetShard, ShardFiles};
use mnemos_tsdb::block_writer::symbols_of;
use mnemos_tsdb::{Block, BlockMeta, BlockWriter, Labels, MatchType, Matcher};

#[path = "../tests/common/mod.rs"]
mod common;

use common::MemFile;

const HOUR_MS: i64 = 3_600_000;
const STEP_MS: i64 = 30_000;
const METRICS: usize = 160;

fn write_block(parent: &Path) -> (PathBuf, u64) {
    let mut all = Vec::new();
    for m in 0..METRICS {
        for j in 0..5 {
            for i in 0..5 {
                all.push(Labels::from_pairs([
                    ("__name__", format!("bench_metric_{m:03}")),
                    ("instance", format!("10.0.{j}.{i}:9100")),
                    ("job", format!("job{j}")),
                ]));
            }
        }
    }
    all.sort();
    let mint = 1_700_006_400_000 - 1_700_006_400_000 % (24 * HOUR_MS);
    let mut w = BlockWriter::create(parent, symbols_of(&all)).expect("writer");
    let mut samples_total = 0u64;
    for (n, l) in all.iter().enumerate() {
        let mut v = (n * 1000) as f64;
        let samples: Vec<(i64, f64)> = (0..24 * HOUR_MS / STEP_MS)
            .map(|k| {
                v += ((k * 7 + n as i64 * 13) % 23) as f64;
                (mint + k * STEP_MS, v)
            })
            .collect();
        samples_total += samples.len() as u64;
        w.add_series(l, &samples).expect("add series");
    }
    let meta = w
        .finish(BlockMeta::new(String::new(), mint, mint + 24 * HOUR_MS))
        .expect("finish");
    (parent.join(meta.ulid), samples_total)
}

fn queries() -> [(&'static str, Vec<Matcher>); 2] {
    [
        (
            "selective",
            vec![
                Matcher::equal("__name__", "bench_metric_080"),
                Matcher::equal("job", "job3"),
            ],
        ),
        (
            "broad",
            vec![Matcher::new(MatchType::Regex, "__name__", "bench_metric_..3").expect("regex")],
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (block_dir, samples) = write_block(dir.path());
    let block = Block::open(&block_dir).expect("open block");
    let (mint, maxt) = (block.meta().min_time, block.meta().max_time - 1);

    let mut g = c.benchmark_group("convert");
    g.sample_size(10);
    g.throughput(Throughput::Elements(samples));
    let out = dir.path().join("parquet");
    g.bench_function("convert", |b| {
        b.iter(|| {
            let _ = std::fs::remove_dir_all(&out);
            std::fs::create_dir_all(&out).expect("out dir");
            black_box(convert_block(&block, &out, &ConvertOptions::default()).expect("convert"))
        })
    });
    g.finish();

    // The files the reads use (also when a filter skipped `convert`).
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("out dir");
    let converted = convert_block(&block, &out, &ConvertOptions::default()).expect("convert");
    let mut files = ShardFiles {
        labels: MemFile::read(&converted.files[0]),
        chunks: MemFile::read(&converted.files[1]),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let shard = rt
        .block_on(ParquetShard::open(&mut files))
        .expect("open shard");

    let mut g = c.benchmark_group("select_chunks");
    for (name, matchers) in queries() {
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let rows = shard
                        .select_labels(&files, &matchers)
                        .await
                        .expect("select");
                    let ids: Vec<u64> = rows.iter().map(|(r, _)| *r).collect();
                    let chunks = shard
                        .chunks(&files, &ids, mint, maxt, &[])
                        .await
                        .expect("chunks");
                    black_box((rows, chunks))
                })
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("tsdb");
    for (name, matchers) in queries() {
        g.bench_function(name, |b| {
            b.iter(|| {
                let ids = block.select(&matchers).expect("select");
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let entry = block.index().series(id).expect("series");
                    let chunks: Vec<_> = entry
                        .chunks
                        .iter()
                        .map(|c| block.chunks().chunk(c.chunk_ref).expect("chunk"))
                        .collect();
                    out.push((entry.labels, chunks));
                }
                black_box(out)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
