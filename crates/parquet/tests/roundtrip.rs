//! A block converted to Parquet and read back: for many matcher sets and time ranges, the
//! series and samples equal the TSDB block's.

use mnemos_parquet::{convert_block, ConvertOptions, ParquetShard, ShardFiles};
use mnemos_tsdb::block_writer::symbols_of;
use mnemos_tsdb::chunkenc::{decode_xor_into, Encoding};
use mnemos_tsdb::testdata::Rng;
use mnemos_tsdb::{Block, BlockMeta, BlockWriter, Labels, MatchType, Matcher};

mod common;

use common::MemFile;

const H: i64 = 3600 * 1000;

fn make_block(dir: &std::path::Path) -> std::path::PathBuf {
    let mut rng = Rng(7);
    let mut series = Vec::new();
    for job in ["api", "db", "web"] {
        for i in 0..40 {
            let mut pairs = vec![
                (
                    "__name__",
                    if i % 3 == 0 {
                        "up".to_string()
                    } else {
                        format!("metric_{}", i % 5)
                    },
                ),
                ("job", job.to_string()),
                ("instance", format!("host-{i:02}")),
            ];
            if i % 4 == 0 {
                pairs.push(("zone", format!("z{}", i % 3)));
            }
            let labels = Labels::from_pairs(pairs);
            // 24h of 30s samples, with a gap, so chunks cross the 8h column boundaries.
            let samples: Vec<(i64, f64)> = (0..2880)
                .filter(|k| !(1000..1100).contains(k) || i % 2 == 0)
                .map(|k| (k * 30_000 + (i as i64), rng.unit() * 100.0))
                .collect();
            series.push((labels, samples));
        }
    }
    series.sort_by(|a, b| a.0.cmp(&b.0));
    let mut w = BlockWriter::create(dir, symbols_of(series.iter().map(|s| &s.0))).unwrap();
    for (l, s) in &series {
        w.add_series(l, s).unwrap();
    }
    let meta = w.finish(BlockMeta::new(String::new(), 0, 24 * H)).unwrap();
    dir.join(meta.ulid)
}

fn m(kind: MatchType, name: &str, value: &str) -> Matcher {
    Matcher::new(kind, name, value).unwrap()
}

/// The test block under `dir`, opened, and converted in small row groups (17 rows), 4 KiB
/// chunk pages and parquet-common's 8h columns.
fn convert_small(dir: &std::path::Path) -> (Block, mnemos_parquet::Converted) {
    let block = Block::open(&make_block(dir)).unwrap();
    let out = dir.join("pq");
    std::fs::create_dir_all(&out).unwrap();
    let opts = ConvertOptions {
        max_rows_per_row_group: 17,
        chunk_page_bytes: 4096,
        column_duration_ms: mnemos_parquet::schema::PARQUET_COMMON_COLUMN_DURATION_MS,
        ..ConvertOptions::default()
    };
    let converted = convert_block(&block, &out, &opts).unwrap();
    (block, converted)
}

#[tokio::test]
async fn parquet_answers_equal_the_tsdb_block() {
    let tmp = tempfile::tempdir().unwrap();
    let (block, converted) = convert_small(tmp.path());
    assert_eq!(converted.series, 120);
    assert_eq!(converted.row_groups, 8);
    let mut files = ShardFiles {
        labels: MemFile::read(&converted.files[0]),
        chunks: MemFile::read(&converted.files[1]),
    };
    let shard = ParquetShard::open(&mut files).await.unwrap();
    assert_eq!(shard.num_rows(), 120);
    assert_eq!(shard.slices().count(), 4);
    assert_eq!(
        shard.label_names().collect::<Vec<_>>(),
        ["__name__", "instance", "job", "zone"]
    );
    assert_eq!(
        shard.label_values(&files, "zone").await.unwrap(),
        ["z0", "z1", "z2"]
    );

    let matcher_sets = vec![
        vec![m(MatchType::Equal, "__name__", "up")],
        vec![
            m(MatchType::Equal, "__name__", "metric_1"),
            m(MatchType::Equal, "job", "db"),
        ],
        vec![
            m(MatchType::Regex, "job", "api|web"),
            m(MatchType::NotEqual, "__name__", "up"),
        ],
        vec![m(MatchType::Regex, "instance", "host-0.*")],
        vec![m(MatchType::Equal, "zone", "")],
        vec![m(MatchType::NotRegex, "zone", "z1|")],
        vec![m(MatchType::Equal, "nope", "x")],
        vec![m(MatchType::Equal, "nope", "")],
        vec![m(MatchType::Equal, "__name__", "absent")],
    ];
    let ranges = [
        (0, 24 * H),
        (7 * H, 9 * H),
        (8 * H, 8 * H),
        (23 * H, 30 * H),
        (-5, 10),
    ];
    for matchers in &matcher_sets {
        let mut ids = block.select(matchers).unwrap();
        ids.sort_by_key(|id| block.index().series(*id).unwrap().labels);
        let rows = shard.select(&files, matchers).await.unwrap();
        let labels = shard.labels(&files, &rows).await.unwrap();
        let fused = shard.select_labels(&files, matchers).await.unwrap();
        assert_eq!(
            fused,
            rows.iter()
                .copied()
                .zip(labels.iter().cloned())
                .collect::<Vec<_>>()
        );
        let mut got: Vec<(Labels, u64)> = labels.into_iter().zip(rows.iter().copied()).collect();
        got.sort();
        let want: Vec<Labels> = ids
            .iter()
            .map(|id| block.index().series(*id).unwrap().labels)
            .collect();
        assert_eq!(
            got.iter().map(|g| g.0.clone()).collect::<Vec<_>>(),
            want,
            "{matchers:?}"
        );
        for &(mint, maxt) in &ranges {
            let sorted_rows: Vec<u64> = {
                let mut r = rows.clone();
                r.sort();
                r
            };
            let chunks = shard
                .chunks(&files, &sorted_rows, mint, maxt, &[])
                .await
                .unwrap();
            for (row, chunks) in sorted_rows.iter().zip(chunks) {
                let (l, _) = got.iter().find(|g| g.1 == *row).unwrap();
                let id = ids[want.iter().position(|w| w == l).unwrap()];
                let entry = block.index().series(id).unwrap();
                let mut expected = Vec::new();
                block
                    .read_samples(&entry, mint, maxt, &mut expected)
                    .unwrap();
                let mut samples = Vec::new();
                for c in &chunks {
                    assert_eq!(c.encoding, Encoding::Xor.as_byte());
                    let (mut ts, mut vs) = (Vec::new(), Vec::new());
                    decode_xor_into(&c.data, &mut ts, &mut vs).unwrap();
                    assert_eq!((ts[0], ts[ts.len() - 1]), (c.min_time, c.max_time));
                    samples.extend(
                        ts.into_iter()
                            .zip(vs)
                            .filter(|(t, _)| (mint..=maxt).contains(t)),
                    );
                }
                assert_eq!(samples, expected, "{l} in [{mint}, {maxt}]");
                // No chunk crosses a column boundary.
                for c in &chunks {
                    assert_eq!(
                        shard.slices().index_of(c.min_time),
                        shard.slices().index_of(c.max_time)
                    );
                }
            }
        }
    }
}

/// A file in memory that records the ranges read from it.
#[derive(Clone)]
struct Recorded {
    file: MemFile,
    reads: std::sync::Arc<std::sync::Mutex<Vec<std::ops::Range<u64>>>>,
}

impl Recorded {
    fn new(file: MemFile) -> Self {
        Self {
            file,
            reads: Default::default(),
        }
    }

    fn take(&self) -> Vec<std::ops::Range<u64>> {
        std::mem::take(&mut *self.reads.lock().unwrap())
    }
}

impl parquet::arrow::async_reader::AsyncFileReader for Recorded {
    fn get_bytes(
        &mut self,
        range: std::ops::Range<u64>,
    ) -> futures::future::BoxFuture<'_, parquet::errors::Result<bytes::Bytes>> {
        self.reads.lock().unwrap().push(range.clone());
        self.file.get_bytes(range)
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a parquet::arrow::arrow_reader::ArrowReaderOptions>,
    ) -> futures::future::BoxFuture<
        'a,
        parquet::errors::Result<std::sync::Arc<parquet::file::metadata::ParquetMetaData>>,
    > {
        self.file.get_metadata(options)
    }
}

/// What the store gateway relies on to serve queries without reading labels from the
/// bucket: every label read falls inside `label_column_ranges` (which it fetches at load),
/// and no read touches the chunk column starting at the block's (exclusive) max time.
#[tokio::test]
async fn label_reads_stay_in_the_label_columns_and_the_empty_last_column_is_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, converted) = convert_small(tmp.path());
    let mut files = ShardFiles {
        labels: Recorded::new(MemFile::read(&converted.files[0])),
        chunks: Recorded::new(MemFile::read(&converted.files[1])),
    };
    let shard = ParquetShard::open(&mut files).await.unwrap();
    files.labels.take();
    files.chunks.take();
    let labels_meta = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&files.labels.file.0)
        .unwrap();
    let ranges = shard.label_column_ranges().unwrap();
    assert_eq!(ranges.len(), converted.row_groups);
    let within =
        |r: &std::ops::Range<u64>| ranges.iter().any(|l| l.start <= r.start && r.end <= l.end);
    // The label columns, not `s_col_indexes` or `s_series_hash`.
    for group in labels_meta.row_groups() {
        for column in group.columns() {
            let (start, len) = column.byte_range();
            let inside = within(&(start..start + len));
            assert_eq!(
                inside,
                column.column_path().string().starts_with("l_"),
                "{}",
                column.column_path()
            );
        }
    }
    // The 24h block's fourth 8h column starts at its max time.
    assert_eq!(shard.slices().count(), 4);
    let chunks_meta = parquet::file::metadata::ParquetMetaDataReader::new()
        .parse_and_finish(&files.chunks.file.0)
        .unwrap();
    let last: Vec<std::ops::Range<u64>> = chunks_meta
        .row_groups()
        .iter()
        .flat_map(|g| g.columns())
        .filter(|c| c.column_path().string() == "s_data_3")
        .map(|c| {
            let (start, len) = c.byte_range();
            start..start + len
        })
        .collect();
    assert_eq!(last.len(), converted.row_groups);
    for matchers in [
        vec![m(MatchType::Equal, "__name__", "up")],
        vec![
            m(MatchType::Equal, "__name__", "metric_1"),
            m(MatchType::Equal, "job", "db"),
        ],
        vec![m(MatchType::Regex, "instance", "host-0.*")],
    ] {
        let selected = shard.select_labels(&files, &matchers).await.unwrap();
        let rows: Vec<u64> = selected.iter().map(|(r, _)| *r).collect();
        assert_eq!(shard.labels(&files, &rows).await.unwrap().len(), rows.len());
        for read in files.labels.take() {
            assert!(within(&read), "{read:?} outside {ranges:?}");
        }
        shard
            .chunks(&files, &rows, i64::MIN, i64::MAX, &[])
            .await
            .unwrap();
        let reads = files.chunks.take();
        assert!(!reads.is_empty());
        for read in reads {
            assert!(
                last.iter()
                    .all(|l| read.end <= l.start || l.end <= read.start),
                "{read:?} reads the empty last column"
            );
        }
    }
}
