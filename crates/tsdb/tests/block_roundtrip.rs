//! Blocks written by `BlockWriter` read back exactly; index lookups by matchers
//! equal a brute-force filter; tombstones remove exactly the deleted samples.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use mnemos_tsdb::labels::MatchType;
use mnemos_tsdb::tombstones::{Interval, Tombstones};
use mnemos_tsdb::{Block, BlockSet, Labels, Matcher};
use proptest::prelude::*;

fn label_set() -> impl Strategy<Value = Labels> {
    proptest::collection::btree_map(
        prop::sample::select(vec!["__name__", "job", "a", "b", "ünï"]),
        prop::sample::select(vec!["x", "y", "xy", "z", "", "日本"]),
        1..5,
    )
    .prop_map(Labels::from_pairs)
    .prop_filter("non-empty", |l| !l.is_empty())
}

fn samples() -> impl Strategy<Value = Vec<(i64, f64)>> {
    proptest::collection::vec((1i64..100_000, any::<u64>()), 1..300).prop_map(|steps| {
        let mut t = -50_000i64;
        steps
            .into_iter()
            .map(|(d, bits)| {
                t += d;
                (t, f64::from_bits(bits))
            })
            .collect()
    })
}

fn matcher() -> impl Strategy<Value = Matcher> {
    (
        prop::sample::select(vec![
            MatchType::Equal,
            MatchType::NotEqual,
            MatchType::Regex,
            MatchType::NotRegex,
        ]),
        prop::sample::select(vec!["__name__", "job", "a", "b", "ünï", "missing"]),
        prop::sample::select(vec!["x", "y", "", "x.*", ".*", ".+", "x|日本", "z?"]),
    )
        .prop_map(|(k, n, v)| Matcher::new(k, n, v).unwrap())
}

fn bits(s: &[(i64, f64)]) -> Vec<(i64, u64)> {
    s.iter().map(|(t, v)| (*t, v.to_bits())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_is_exact(
        series in proptest::collection::btree_map(label_set(), samples(), 1..40),
        queries in proptest::collection::vec(proptest::collection::vec(matcher(), 1..4), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let series: Vec<(Labels, Vec<(i64, f64)>)> = series.into_iter().collect();
        let block_dir = common::write_block(dir.path(), &series);
        let block = Block::open(&block_dir).unwrap();
        let idx = block.index();

        // Every series reads back bit-exactly, in label order.
        let ids = idx.all_postings().unwrap();
        prop_assert_eq!(ids.len(), series.len());
        for (id, (labels, want)) in ids.iter().zip(&series) {
            let s = idx.series(*id).unwrap();
            prop_assert_eq!(&s.labels, labels);
            let mut got = Vec::new();
            block.read_samples(&s, i64::MIN, i64::MAX, &mut got).unwrap();
            prop_assert_eq!(bits(&got), bits(want));
        }
        let total: usize = series.iter().map(|(_, s)| s.len()).sum();
        prop_assert_eq!(block.meta().stats.num_samples, total as u64);

        // Label names and values equal the set computed from the input.
        let mut by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (l, _) in &series {
            for lab in l.iter() {
                by_name.entry(lab.name.clone()).or_default().insert(lab.value.clone());
            }
        }
        let names: Vec<&str> = idx.label_names();
        prop_assert_eq!(names, by_name.keys().map(String::as_str).collect::<Vec<_>>());
        for (n, vals) in &by_name {
            prop_assert_eq!(idx.label_values(n), vals.iter().map(String::as_str).collect::<Vec<_>>());
        }

        // Matchers select exactly the series a brute-force filter selects.
        for ms in &queries {
            let got: Vec<Labels> = block.select(ms).unwrap().into_iter().map(|id| idx.series(id).unwrap().labels).collect();
            let want: Vec<Labels> = series.iter().filter(|(l, _)| ms.iter().all(|m| m.matches_labels(l))).map(|(l, _)| l.clone()).collect();
            prop_assert_eq!(got, want, "matchers {:?}", ms.iter().map(|m| m.to_string()).collect::<Vec<_>>());
        }
    }
}

#[test]
fn tombstones_and_time_ranges_trim_samples() {
    let dir = tempfile::tempdir().unwrap();
    let series = common::fixture_series(6, 300);
    let block_dir = common::write_block(dir.path(), &series);
    let block = Block::open(&block_dir).unwrap();
    let ids = block.index().all_postings().unwrap();
    let mut t = Tombstones::new();
    t.add(
        u64::from(ids[1]),
        Interval {
            min_time: 10_000,
            max_time: 50_000,
        },
    );
    t.add(
        u64::from(ids[1]),
        Interval {
            min_time: 100_000,
            max_time: 100_000,
        },
    );
    t.add(
        u64::from(ids[2]),
        Interval {
            min_time: i64::MIN,
            max_time: i64::MAX,
        },
    );
    t.write_to_dir(&block_dir).unwrap();
    let block = Block::open(&block_dir).unwrap();

    let read = |i: usize, mint, maxt| {
        let s = block.index().series(ids[i]).unwrap();
        let mut out = Vec::new();
        block.read_samples(&s, mint, maxt, &mut out).unwrap();
        out
    };
    let keep = |i: usize, f: &dyn Fn(i64) -> bool| -> Vec<(i64, f64)> {
        series[i].1.iter().copied().filter(|(t, _)| f(*t)).collect()
    };
    assert_eq!(read(0, i64::MIN, i64::MAX), series[0].1);
    assert_eq!(
        read(1, i64::MIN, i64::MAX),
        keep(1, &|t| !(10_000..=50_000).contains(&t) && t != 100_000)
    );
    assert!(read(2, i64::MIN, i64::MAX).is_empty());
    assert_eq!(
        read(3, 20_000, 30_003),
        keep(3, &|t| (20_000..=30_003).contains(&t))
    );

    // The merged view leaves out the fully deleted series.
    let set = BlockSet::from_blocks(vec![block]);
    let labels: Vec<Labels> = set
        .select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| s.unwrap().labels)
        .collect();
    assert_eq!(labels.len(), 5);
    assert!(!labels.contains(&series[2].0));
}

#[test]
fn overlapping_blocks_merge_per_series() {
    let dir = tempfile::tempdir().unwrap();
    let a = common::fixture_series(4, 100);
    let b: Vec<_> = a
        .iter()
        .map(|(l, s)| {
            (
                l.clone(),
                s.iter().map(|(t, v)| (t + 50_000, *v)).collect::<Vec<_>>(),
            )
        })
        .collect();
    common::write_block(dir.path(), &a);
    common::write_block(dir.path(), &b);
    let set = BlockSet::open(dir.path()).unwrap();
    assert_eq!(set.blocks().len(), 2);
    let merged: Vec<_> = set
        .select(&[], i64::MIN, i64::MAX)
        .unwrap()
        .map(|s| s.unwrap())
        .collect();
    assert_eq!(merged.len(), 4);
    for (m, ((la, sa), (_, sb))) in merged.iter().zip(a.iter().zip(&b)) {
        assert_eq!(&m.labels, la);
        let mut want: Vec<(i64, f64)> = sa.iter().chain(sb).copied().collect();
        want.sort_by_key(|s| s.0);
        want.dedup_by_key(|s| s.0);
        assert_eq!(m.samples(i64::MIN, i64::MAX).unwrap(), want);
    }
}

#[test]
fn histogram_chunks_are_a_clear_unsupported_encoding_error() {
    use mnemos_tsdb::block_writer::symbols_of;
    use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
    use mnemos_tsdb::{BlockMeta, BlockWriter, Error};

    let dir = tempfile::tempdir().unwrap();
    let labels = Labels::from_pairs([("__name__", "h")]);
    let mut w = BlockWriter::create(dir.path(), symbols_of([&labels])).unwrap();
    let chunk = RawChunk {
        encoding: 2,
        data: bytes::Bytes::from_static(&[0, 1, 2, 3]),
    };
    let meta = ChunkMeta {
        min_time: 0,
        max_time: 10,
        chunk_ref: 0,
    };
    w.add_series_chunks(&labels, &[(meta, chunk)], 1).unwrap();
    let meta = w.finish(BlockMeta::new(String::new(), 0, 11)).unwrap();
    let block = Block::open(&dir.path().join(&meta.ulid)).unwrap();
    let s = block
        .index()
        .series(block.index().all_postings().unwrap()[0])
        .unwrap();
    let err = block
        .read_samples(&s, i64::MIN, i64::MAX, &mut Vec::new())
        .unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedEncoding { encoding: 2, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("chunks/000001 at offset 8: unsupported chunk encoding 2"),
        "{msg}"
    );
}
