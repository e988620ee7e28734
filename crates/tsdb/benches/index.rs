//! Index lookups on a 100,000-series block: postings for matchers (equality,
//! intersection, regex, negative regex) and series entry reads.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mnemos_tsdb::block_writer::symbols_of;
use mnemos_tsdb::labels::MatchType;
use mnemos_tsdb::{Block, BlockMeta, BlockWriter, Labels, Matcher};

const SERIES: usize = 100_000;

fn build_block(dir: &std::path::Path) -> std::path::PathBuf {
    let mut series: Vec<Labels> = (0..SERIES)
        .map(|i| {
            Labels::from_pairs([
                ("__name__", format!("metric_{}", i % 50)),
                ("job", format!("job{}", i % 10)),
                (
                    "instance",
                    format!("10.0.{}.{}:9100", (i / 50) % 256, (i / 50) / 256),
                ),
                ("pod", format!("pod-{i:06}")),
            ])
        })
        .collect();
    series.sort();
    let mut w = BlockWriter::create(dir, symbols_of(series.iter())).unwrap();
    for l in &series {
        w.add_series(l, &[(0, 1.0), (15_000, 2.0)]).unwrap();
    }
    let meta = w.finish(BlockMeta::new(String::new(), 0, 15_001)).unwrap();
    dir.join(meta.ulid)
}

fn m(kind: MatchType, name: &str, value: &str) -> Matcher {
    Matcher::new(kind, name, value).unwrap()
}

fn bench_index(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let block = Block::open(&build_block(dir.path())).unwrap();
    let cases: Vec<(&str, Vec<Matcher>)> = vec![
        ("eq_name", vec![m(MatchType::Equal, "__name__", "metric_7")]),
        (
            "eq_name_and_job",
            vec![
                m(MatchType::Equal, "__name__", "metric_7"),
                m(MatchType::Equal, "job", "job7"),
            ],
        ),
        (
            "regex_job_set",
            vec![m(MatchType::Regex, "job", "job1|job2|job3")],
        ),
        (
            "name_and_neg_regex_instance",
            vec![
                m(MatchType::Equal, "__name__", "metric_7"),
                m(MatchType::NotRegex, "instance", "10\\.0\\.1.*"),
            ],
        ),
        (
            "regex_pod_prefix",
            vec![m(MatchType::Regex, "pod", "pod-00.*")],
        ),
    ];
    let mut g = c.benchmark_group("postings_for_matchers");
    for (name, ms) in &cases {
        let n = block.select(ms).unwrap().len();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(*name, |b| {
            b.iter(|| black_box(block.select(black_box(ms)).unwrap()))
        });
    }
    g.finish();

    let ids = block.select(&cases[0].1).unwrap();
    let mut g = c.benchmark_group("series_entries");
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function("read_2000_series", |b| {
        b.iter(|| {
            for &id in &ids {
                black_box(block.index().series(id).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench_index
}
criterion_main!(benches);
