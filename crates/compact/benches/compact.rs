//! Compactor throughput on local blocks (no bucket): raw → 5m downsampling of a 2-day block
//! and 2h → 8h compaction of four adjacent blocks, both through the real block reader and
//! writer (chunk decoding, merging, re-encoding, index writing), plus the in-memory raw → 5m
//! aggregation of one series alone (floats, and a native histogram), and a vertical compaction with offline deduplication of
//! two replicas (the general, re-encoding path). Data: 15 s scrapes; half the series are gauges (a random
//! walk in hundredths), half counters (integer increments with occasional resets).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mnemos_compact::downsample::{downsample_raw, RES_5M};
use mnemos_compact::downsample_block::downsample_block;
use mnemos_compact::downsample_histograms::downsample_raw_histograms;
use mnemos_compact::merge::compact_blocks;
use mnemos_compact::source::Source;
use mnemos_dedup::DedupFunc;
use mnemos_tsdb::block_writer::symbols_of;
use mnemos_tsdb::histogram::{CounterResetHint, FloatHistogram, Span};
use mnemos_tsdb::{BlockMeta, BlockWriter, Labels};
use ulid::Ulid;

const SCRAPE_MS: i64 = 15_000;
const HOUR_MS: i64 = 3_600_000;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn series_labels(n: usize) -> Vec<Labels> {
    let mut out: Vec<Labels> = (0..n)
        .map(|i| {
            let name = if i % 2 == 0 {
                "http_requests_total"
            } else {
                "node_temperature"
            };
            Labels::from_pairs([
                ("__name__", name.to_string()),
                ("instance", format!("10.0.{}.{}:9100", i / 256, i % 256)),
                ("job", format!("job{}", i % 10)),
            ])
        })
        .collect();
    out.sort();
    out
}

fn samples(labels: &Labels, seed: u64, from: i64, to: i64) -> Vec<(i64, f64)> {
    let mut rng = Lcg(seed);
    let counter = labels
        .get("__name__")
        .is_some_and(|n| n.ends_with("_total"));
    let mut v = (rng.next() % 1000) as f64;
    let mut out = Vec::with_capacity(((to - from) / SCRAPE_MS) as usize);
    let mut t = from;
    while t < to {
        if counter {
            if rng.next().is_multiple_of(5000) {
                v = 0.0;
            } else {
                v += (rng.next() % 4) as f64;
            }
        } else {
            v = ((v * 100.0).round() + (rng.next() % 201) as f64 - 100.0) / 100.0;
        }
        out.push((t, v));
        t += SCRAPE_MS;
    }
    out
}

/// Writes one block of `series` series over `[from, to)`; returns its directory and samples.
fn write_block(parent: &Path, series: usize, from: i64, to: i64) -> (PathBuf, u64) {
    let labels = series_labels(series);
    let mut w = BlockWriter::create(parent, symbols_of(labels.iter())).expect("writer");
    let mut total = 0;
    for (i, l) in labels.iter().enumerate() {
        let s = samples(l, i as u64 * 7919 + from as u64, from, to);
        total += s.len() as u64;
        w.add_series(l, &s).expect("add series");
    }
    let meta = w
        .finish(BlockMeta::new(String::new(), from, to))
        .expect("finish");
    (parent.join(&meta.ulid), total)
}

fn open(dir: &Path) -> Source {
    Source::open_dir(dir).expect("open block")
}

/// A native counter histogram scraped every 15 s until `to`: schema 3, 20 positive and 4
/// negative buckets in two spans, each growing by a random 0-3 per scrape; counter-reset
/// hints as a chunk iterator gives them.
fn histogram_samples(to: i64) -> Vec<(i64, FloatHistogram)> {
    let mut rng = Lcg(7);
    let mut h = FloatHistogram {
        schema: 3,
        zero_threshold: 1e-128,
        positive_spans: vec![Span::new(-4, 12), Span::new(3, 8)],
        negative_spans: vec![Span::new(0, 4)],
        positive_buckets: vec![0.0; 20],
        negative_buckets: vec![0.0; 4],
        ..FloatHistogram::default()
    };
    (0..to / SCRAPE_MS)
        .map(|i| {
            for b in h.positive_buckets.iter_mut().chain(&mut h.negative_buckets) {
                let add = (rng.next() % 4) as f64;
                *b += add;
                h.count += add;
                h.sum += add * 0.25;
            }
            // As decoded from a chunk: later samples say "no counter reset".
            if i > 0 {
                h.counter_reset_hint = CounterResetHint::NotCounterReset;
            }
            (i * SCRAPE_MS, h.clone())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).expect("mkdir");

    // raw → 5m: one 2-day block, 1,000 series × 11,520 samples (11.5 M samples).
    let (two_days, ds_samples) = write_block(tmp.path(), 1000, 0, 48 * HOUR_MS);
    {
        // Sizes, for docs/benchmarks.md: what downsampling saves on disk.
        let (meta, _) = downsample_block(&open(&two_days), RES_5M, &out).expect("downsample");
        let five = out.join(&meta.ulid);
        eprintln!(
            "raw 2-day block: {} bytes; its 5m block: {} bytes",
            open(&two_days).block.size_bytes(),
            open(&five).block.size_bytes()
        );
        std::fs::remove_dir_all(five).expect("clean");
    }
    let mut g = c.benchmark_group("downsample");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ds_samples));
    g.bench_function("raw_to_5m_block", |b| {
        b.iter(|| {
            let source = open(&two_days);
            let (meta, _) = downsample_block(&source, RES_5M, &out).expect("downsample");
            std::fs::remove_dir_all(out.join(&meta.ulid)).expect("clean");
        })
    });
    let one = samples(&series_labels(1)[0], 1, 0, 48 * HOUR_MS);
    g.throughput(Throughput::Elements(one.len() as u64));
    g.bench_function("raw_to_5m_series_in_memory", |b| {
        b.iter(|| black_box(downsample_raw(black_box(&one), RES_5M)))
    });
    // The same 2 days of one native histogram counter: schema 3, 24 buckets in 2 spans.
    let hist = histogram_samples(48 * HOUR_MS);
    g.throughput(Throughput::Elements(hist.len() as u64));
    g.bench_function("raw_to_5m_histogram_series_in_memory", |b| {
        b.iter(|| black_box(downsample_raw_histograms(black_box(&hist), RES_5M)))
    });
    // Without hints (every sample compared with the previous one for a reset).
    let unhinted: Vec<_> = hist
        .iter()
        .map(|(t, h)| {
            let mut h = h.clone();
            h.counter_reset_hint = CounterResetHint::Unknown;
            (*t, h)
        })
        .collect();
    g.bench_function("raw_to_5m_histogram_series_unhinted", |b| {
        b.iter(|| black_box(downsample_raw_histograms(black_box(&unhinted), RES_5M)))
    });
    g.finish();

    // 2h → 8h: four adjacent 2h blocks, 5,000 series × 480 samples each (9.6 M samples).
    let blocks: Vec<(PathBuf, u64)> = (0..4)
        .map(|i| write_block(tmp.path(), 5000, i * 2 * HOUR_MS, (i + 1) * 2 * HOUR_MS))
        .collect();
    let total: u64 = blocks.iter().map(|b| b.1).sum();
    let mut g = c.benchmark_group("compact");
    g.sample_size(10);
    g.throughput(Throughput::Elements(total));
    g.bench_function("2h_to_8h_4_blocks", |b| {
        b.iter(|| {
            let sources: Vec<Source> = blocks.iter().map(|(d, _)| open(d)).collect();
            let meta = BlockMeta::new(String::new(), 0, 8 * HOUR_MS);
            let (meta, stats) = compact_blocks(sources, &out, meta, None).expect("compact");
            assert_eq!(stats.samples_out, total);
            std::fs::remove_dir_all(out.join(&meta.ulid)).expect("clean");
        })
    });

    // Vertical compaction with offline dedup: the same 2h block from two replicas (the
    // general path: decode, penalty merge, re-encode).
    let (a, _) = &blocks[0];
    let copy = tmp.path().join(Ulid::new().to_string());
    std::fs::create_dir_all(copy.join("chunks")).expect("mkdir");
    for f in ["index", "tombstones", "chunks/000001"] {
        std::fs::copy(a.join(f), copy.join(f)).expect("copy block file");
    }
    let mut meta = BlockMeta::read_from_dir(a).expect("meta");
    meta.ulid = copy
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    meta.write_to_dir(&copy).expect("meta");
    g.throughput(Throughput::Elements(2 * blocks[0].1));
    g.bench_function("dedup_2_replicas_2h", |b| {
        b.iter(|| {
            let mut ra = open(a);
            ra.replica = "a".into();
            let mut rb = open(&copy);
            rb.replica = "b".into();
            let meta = BlockMeta::new(String::new(), 0, 2 * HOUR_MS);
            let (meta, stats) =
                compact_blocks(vec![ra, rb], &out, meta, Some(DedupFunc::Penalty)).expect("dedup");
            assert_eq!(stats.samples_out, blocks[0].1);
            std::fs::remove_dir_all(out.join(&meta.ulid)).expect("clean");
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
