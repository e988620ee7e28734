//! `Series` streams: the first series arrives before the blocks are read, a client that goes
//! away stops the reading, limits trip before series entries or chunks are fetched, `limit`
//! is honoured, blocks whose own labels the request rewrites still come out sorted, and a
//! block found corrupt during a query is skipped, logged and counted.

mod common;

use std::path::PathBuf;

use common::*;
use mnemos_store::BucketStore;
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::store_server::Store;
use mnemos_storeapi::thanos::{
    series_response, LabelMatcher, LabelValuesRequest, Series, SeriesRequest,
};
use mnemos_tsdb::index::{IndexReader, Toc};
use mnemos_tsdb::{BytesFile, Labels};
use prometheus_client::registry::Registry;

const T0: i64 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR2;
const SERIES: usize = 2_000;
const BATCH: usize = 50;

/// Two replicas of one cluster, two consecutive 2h blocks each, `SERIES` series per block.
struct Fixture {
    _work: tempfile::TempDir,
    data_dir: PathBuf,
    dirs: Vec<PathBuf>,
    bucket: mnemos_objstore::Bucket,
    recording: std::sync::Arc<Recording>,
}

async fn fixture() -> Fixture {
    let work = tempfile::tempdir().expect("tempdir");
    let staging = work.path().join("staging");
    std::fs::create_dir_all(&staging).expect("staging");
    let (bucket, recording) = bucket(&mut Registry::default());
    let mut dirs = Vec::new();
    for replica in ["a", "b"] {
        for k in 0..2 {
            let dir = write_block(&staging, &numbered(SERIES), T0 + k * HOUR2);
            upload(&bucket, &dir, &[("cluster", "c"), ("replica", replica)]).await;
            dirs.push(dir);
        }
    }
    Fixture {
        data_dir: work.path().join("data"),
        _work: work,
        dirs,
        bucket,
        recording,
    }
}

impl Fixture {
    /// A gateway with its own metrics; the reads it made loading the blocks are forgotten.
    async fn store(
        &self,
        tune: impl FnOnce(&mut mnemos_store::StoreConfig),
    ) -> (BucketStore, Registry) {
        let mut config = config(self.data_dir.clone(), BATCH);
        tune(&mut config);
        let mut registry = Registry::default();
        let store = store(self.bucket.clone(), config, &mut registry).await;
        self.recording.take_reads();
        (store, registry)
    }
}

fn all_of_m() -> SeriesRequest {
    SeriesRequest {
        min_time: T0,
        max_time: T0 + 2 * HOUR2 - 1,
        matchers: vec![LabelMatcher::new(Type::Eq, "__name__", "m")],
        ..Default::default()
    }
}

/// Starts the whole-fixture request and reads its first frame, a series.
async fn first_series(store: &BucketStore) -> (<BucketStore as Store>::SeriesStream, Series) {
    let mut stream = store
        .series(tonic::Request::new(all_of_m()))
        .await
        .expect("Series")
        .into_inner();
    let first = match futures::StreamExt::next(&mut stream).await {
        Some(Ok(frame)) => frame.result,
        other => panic!("no first frame: {other:?}"),
    };
    let Some(series_response::Result::Series(first)) = first else {
        panic!("first frame is not a series: {first:?}");
    };
    (stream, first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_series_arrives_before_the_blocks_are_read() {
    let f = fixture().await;
    let (store, _) = f.store(|_| {}).await;
    let total = chunk_files_bytes(&f.dirs);

    let (mut stream, first) = first_series(&store).await;
    // However far the reading got meanwhile, the bounded channels hold it back: a few
    // batches per block, far from all the chunks.
    let early = chunk_bytes(&f.recording.take_reads());
    assert!(
        early > 0 && early * 4 < total,
        "read {early} of {total} chunk bytes"
    );

    let mut all = vec![first];
    while let Some(frame) = futures::StreamExt::next(&mut stream).await {
        if let Some(series_response::Result::Series(s)) = frame.expect("frame").result {
            all.push(s);
        }
    }
    assert_eq!(all.len(), 2 * SERIES);
    // By the end, every chunk (all but the segment headers) has been read.
    let late = chunk_bytes(&f.recording.take_reads());
    assert!(early + late >= total - 8 * f.dirs.len() as u64);
    let labels: Vec<Labels> = all
        .iter()
        .map(|s| Labels::from_pairs(s.labels.iter().map(|l| (l.name.as_str(), l.value.as_str()))))
        .collect();
    assert!(
        labels.windows(2).all(|w| w[0] < w[1]),
        "sorted, no duplicates"
    );
    // Each series is its replica's two blocks merged, chunks in time order.
    assert!(all.iter().all(|s| s.chunks.len() == 2
        && s.chunks[0].min_time == T0
        && s.chunks[1].min_time == T0 + HOUR2));
    assert_eq!(
        text(&all[1]),
        r#"{__name__="m", cluster="c", i="0000", replica="b"}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_stops_the_reading() {
    let f = fixture().await;
    let (store, registry) = f.store(|c| c.max_concurrency = 1).await;
    let total = chunk_files_bytes(&f.dirs);

    let (stream, _) = first_series(&store).await;
    drop(stream);
    // One call at a time: this one gets its turn only once the Series call has stopped.
    let values = store
        .label_values(tonic::Request::new(LabelValuesRequest {
            label: "replica".into(),
            start: T0,
            end: T0 + 2 * HOUR2,
            ..Default::default()
        }))
        .await
        .expect("LabelValues")
        .into_inner()
        .values;
    assert_eq!(values, vec!["a".to_string(), "b".to_string()]);
    let read = chunk_bytes(&f.recording.take_reads());
    assert!(
        read > 0 && read * 4 < total,
        "read {read} of {total} chunk bytes"
    );
    assert_eq!(
        metric(&registry, "mnemos_store_requests_cancelled_total"),
        1.0
    );
}

/// The series section of each block's index, by index key.
fn series_sections(dirs: &[PathBuf]) -> Vec<(String, std::ops::Range<u64>)> {
    dirs.iter()
        .map(|d| {
            let reader =
                IndexReader::open(BytesFile::map(&d.join("index")).expect("map")).expect("index");
            let toc: &Toc = reader.toc();
            let id = d.file_name().expect("name").to_string_lossy().to_string();
            (format!("{id}/index"), toc.series..toc.label_indices)
        })
        .collect()
}

/// Runs the whole-fixture request on a gateway tuned by `tune`, which must reject it with
/// `ResourceExhausted` and a message starting with `message`; returns the reads it made.
async fn rejected(
    f: &Fixture,
    tune: impl FnOnce(&mut mnemos_store::StoreConfig),
    message: &str,
) -> Vec<Read> {
    let (limited, registry) = f.store(tune).await;
    let err = series(&limited, all_of_m())
        .await
        .expect_err("over the limit");
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err}");
    assert!(err.message().starts_with(message), "{err}");
    assert_eq!(
        metric(&registry, "mnemos_store_limit_rejections_total"),
        1.0
    );
    f.recording.take_reads()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_trip_before_series_entries_or_chunks_are_fetched() {
    let f = fixture().await;
    let sections = series_sections(&f.dirs);

    let reads = rejected(
        &f,
        |c| c.max_series = 100,
        "exceeded series limit: limit 100 violated",
    )
    .await;
    assert_eq!(chunk_bytes(&reads), 0);
    for (key, range) in &reads {
        let r = range.clone().expect("ranged read");
        for (index, series) in &sections {
            assert!(
                key != index || r.end <= series.start || r.start >= series.end,
                "{key} {r:?} reads series entries {series:?}"
            );
        }
    }

    let reads = rejected(
        &f,
        |c| c.max_samples = 1,
        "exceeded samples limit: limit 1 violated",
    )
    .await;
    assert_eq!(chunk_bytes(&reads), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_limit_keeps_the_first_series() {
    let f = fixture().await;
    let (store, _) = f.store(|_| {}).await;
    let (got, _) = series(
        &store,
        SeriesRequest {
            limit: 3,
            ..all_of_m()
        },
    )
    .await
    .expect("Series");
    let names: Vec<String> = got.iter().map(text).collect();
    assert_eq!(
        names,
        vec![
            r#"{__name__="m", cluster="c", i="0000", replica="a"}"#,
            r#"{__name__="m", cluster="c", i="0000", replica="b"}"#,
            r#"{__name__="m", cluster="c", i="0001", replica="a"}"#,
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_whose_own_labels_the_request_drops_are_merged_in_order() {
    let work = tempfile::tempdir().expect("tempdir");
    let mut registry = Registry::default();
    let (bucket, _) = bucket(&mut registry);
    // Series carrying `zone` themselves, and optional labels that reorder once it is gone.
    let own: Vec<Labels> = [
        vec![("__name__", "m"), ("zone", "1")],
        vec![("__name__", "m"), ("a", "x"), ("zone", "2")],
        vec![("__name__", "m"), ("zone", "2")],
        vec![("__name__", "m"), ("b", "y"), ("zone", "1")],
        vec![("__name__", "m"), ("a", "x"), ("zone", "1")],
    ]
    .into_iter()
    .map(Labels::from_pairs)
    .collect();
    let dir = write_block(work.path(), &own, T0);
    upload(&bucket, &dir, &[("replica", "r")]).await;
    let store = store(bucket, config(work.path().join("data"), 2), &mut registry).await;
    let (got, warnings) = series(
        &store,
        SeriesRequest {
            without_replica_labels: vec!["zone".into(), "replica".into()],
            ..all_of_m()
        },
    )
    .await
    .expect("Series");
    assert!(warnings.is_empty(), "{warnings:?}");
    let names: Vec<String> = got.iter().map(text).collect();
    assert_eq!(
        names,
        vec![
            r#"{__name__="m"}"#,
            r#"{__name__="m", a="x"}"#,
            r#"{__name__="m", b="y"}"#,
        ]
    );
    // zone 1 and zone 2 of `{__name__="m"}` became one series: both chunks, same time.
    assert_eq!(got[0].chunks.len(), 2);
    assert_eq!(
        metric(&registry, "mnemos_store_query_blocks_sorted_total"),
        1.0
    );
}

/// A gateway over two blocks of the same 10 series, the second one damaged by `damage`
/// (given its directory) before the upload.
async fn one_damaged_block(
    work: &std::path::Path,
    damage: impl FnOnce(&std::path::Path),
) -> (BucketStore, Registry) {
    let mut registry = Registry::default();
    let (bucket, _) = bucket(&mut registry);
    let good = write_block(work, &numbered(10), T0);
    let bad = write_block(work, &numbered(10), T0 + HOUR2);
    damage(&bad);
    upload(&bucket, &good, &[("replica", "r")]).await;
    upload(&bucket, &bad, &[("replica", "r")]).await;
    let store = store(bucket, config(work.join("data"), 4), &mut registry).await;
    (store, registry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_found_corrupt_by_a_query_is_skipped_logged_and_counted() {
    let work = tempfile::tempdir().expect("tempdir");
    let (store, registry) = one_damaged_block(work.path(), |bad| {
        // Flip a byte inside the first chunk's data: its checksum no longer matches.
        let segment = bad.join("chunks/000001");
        let mut data = std::fs::read(&segment).expect("segment");
        data[12] ^= 0xff;
        std::fs::write(&segment, data).expect("write");
    })
    .await;
    assert_eq!(store.blocks().len(), 2);

    let strict = series(
        &store,
        SeriesRequest {
            partial_response_disabled: true,
            ..all_of_m()
        },
    )
    .await
    .expect_err("partial responses off");
    assert!(strict.message().contains("checksum"), "{strict}");
    // Skipped from then on: the next request reads only the good block, without warning.
    let (got, warnings) = series(&store, all_of_m()).await.expect("Series");
    assert_eq!(got.len(), 10);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(got
        .iter()
        .all(|s| s.chunks.len() == 1 && s.chunks[0].min_time == T0));
    assert_eq!(store.blocks().len(), 1);
    assert_eq!(metric(&registry, "mnemos_store_blocks_corrupt_total"), 1.0);
    assert_eq!(
        metric(&registry, "mnemos_store_block_query_failures_total"),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_block_becomes_a_warning_with_partial_responses() {
    let work = tempfile::tempdir().expect("tempdir");
    let (store, registry) = one_damaged_block(work.path(), |bad| {
        // A series entry announcing 2^64 - 1 bytes: an error, not an allocation.
        let index = bad.join("index");
        let mut data = std::fs::read(&index).expect("index");
        let toc = *IndexReader::open(BytesFile::new(data.clone(), "index"))
            .expect("index")
            .toc();
        // The first entry: the series section's start, 16-byte aligned.
        let at = toc.series.div_ceil(16) as usize * 16;
        data[at..at + 10]
            .copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        std::fs::write(&index, data).expect("write");
    })
    .await;
    let (got, warnings) = series(&store, all_of_m()).await.expect("Series");
    assert_eq!(got.len(), 10);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("truncated"), "{warnings:?}");
    assert_eq!(metric(&registry, "mnemos_store_blocks_corrupt_total"), 1.0);
}
