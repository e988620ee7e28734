//! Parquet blocks against their TSDB blocks through the gateway, in-process over a
//! filesystem bucket: a raw 24h block (chunks crossing the 8h column boundaries, a
//! tombstone) and its 5m downsampling are converted with the compactor's conversion, then
//! one gateway reads every block as TSDB and another reads the converted ones from Parquet.
//! `Series` (samples of every chunk, raw and aggregates), `LabelNames` and `LabelValues`
//! must be equal for many matcher sets and time ranges. The end-to-end test over Garage and
//! promtool-made blocks is `tests/tests/parquet_s3.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mnemos_store::{BucketStore, StoreConfig};
use mnemos_storeapi::thanos::store_server::Store;
use mnemos_storeapi::thanos::{
    label_matcher::Type, series_response, Aggr, LabelMatcher, LabelNamesRequest,
    LabelValuesRequest, Series, SeriesRequest,
};
use mnemos_tsdb::chunkenc::decode_xor_into;
use mnemos_tsdb::meta::{Downsample, ThanosMeta};
use mnemos_tsdb::tombstones::{Interval, Tombstones};
use mnemos_tsdb::{Block, BlockMeta, BlockWriter, Labels, Matcher};
use prometheus_client::registry::Registry;

const HOUR: i64 = 3_600_000;

fn thanos(resolution: i64) -> ThanosMeta {
    ThanosMeta {
        version: 1,
        labels: BTreeMap::from([("cluster".into(), "eu".into())]),
        downsample: Downsample { resolution },
        source: "test".into(),
        ..ThanosMeta::default()
    }
}

/// 150 series over 24h, scraped every 30s, some only for part of the day; values vary by
/// series so that chunks differ.
fn raw_block(parent: &Path, mint: i64) -> PathBuf {
    let mut series = Vec::new();
    for (j, job) in ["api", "db", "web"].iter().enumerate() {
        for i in 0..50usize {
            let name = match i % 5 {
                0 => "up".to_string(),
                k => format!("http_requests_{k}"),
            };
            let mut pairs = vec![
                ("__name__", name),
                ("job", job.to_string()),
                ("instance", format!("host-{i:02}")),
            ];
            if i % 7 == 0 {
                pairs.push(("zone", format!("z{}", i % 3)));
            }
            let labels = Labels::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
            // Some series start late or stop early.
            let (from, to) = match i % 11 {
                3 => (9 * HOUR, 24 * HOUR),
                5 => (0, 7 * HOUR + 1234),
                _ => (0, 24 * HOUR),
            };
            let samples: Vec<(i64, f64)> = (from / 30_000..to / 30_000)
                .map(|k| {
                    let t = mint + k * 30_000;
                    (t, ((k as usize * (i + 1) + j) % 1000) as f64 * 0.5)
                })
                .collect();
            series.push((labels, samples));
        }
    }
    series.sort_by(|a, b| a.0.cmp(&b.0));
    let symbols = mnemos_tsdb::block_writer::symbols_of(series.iter().map(|(l, _)| l));
    let mut w = BlockWriter::create(parent, symbols).expect("writer");
    for (labels, samples) in &series {
        w.add_series(labels, samples).expect("add");
    }
    let meta = w
        .finish(BlockMeta::new(String::new(), mint, mint + 24 * HOUR))
        .expect("finish");
    parent.join(meta.ulid)
}

/// Every sample of a wire series: raw samples, or each aggregate's samples, by part.
fn samples(s: &Series) -> BTreeMap<&'static str, Vec<(i64, u64)>> {
    let mut out: BTreeMap<&'static str, Vec<(i64, u64)>> = BTreeMap::new();
    let mut add = |part: &'static str, data: &[u8]| {
        let (mut t, mut v) = (Vec::new(), Vec::new());
        decode_xor_into(data, &mut t, &mut v).expect("xor chunk");
        out.entry(part)
            .or_default()
            .extend(t.into_iter().zip(v.into_iter().map(f64::to_bits)));
    };
    for c in &s.chunks {
        for (part, chunk) in [
            ("raw", &c.raw),
            ("count", &c.count),
            ("sum", &c.sum),
            ("min", &c.min),
            ("max", &c.max),
            ("counter", &c.counter),
        ] {
            if let Some(chunk) = chunk {
                add(part, &chunk.data);
            }
        }
    }
    out
}

async fn series(store: &BucketStore, req: SeriesRequest) -> Vec<(String, String)> {
    let mut stream = store
        .series(tonic::Request::new(req))
        .await
        .expect("Series")
        .into_inner();
    let mut out = Vec::new();
    while let Some(frame) = futures::StreamExt::next(&mut stream).await {
        match frame.expect("frame").result {
            Some(series_response::Result::Series(s)) => {
                let labels = Labels::from_pairs(
                    s.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())),
                );
                out.push((labels.to_string(), format!("{:?}", samples(&s))));
            }
            Some(series_response::Result::Warning(w)) => panic!("warning: {w}"),
            _ => {}
        }
    }
    out
}

/// Ranged reads the bucket has served (`mnemos_objstore_bucket_operations_total`).
fn get_range_requests(registry: &Registry) -> u64 {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).expect("encode");
    text.lines()
        .filter(|l| {
            l.starts_with("mnemos_objstore_bucket_operations_total{")
                && l.contains("operation=\"get_range\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn store_config(data_dir: PathBuf, serve_parquet: bool) -> StoreConfig {
    StoreConfig {
        index_cache_bytes: 1 << 20,
        chunk_cache_bytes: 1 << 20,
        max_concurrency: 4,
        series_batch_size: 7,
        serve_parquet,
        ..StoreConfig::new(data_dir)
    }
}

#[test]
fn parquet_blocks_answer_as_their_tsdb_blocks() {
    let work = tempfile::tempdir().expect("tempdir");
    let staging = work.path().join("staging");
    std::fs::create_dir_all(&staging).expect("staging");
    let t0 = 1_700_006_400_000 - 1_700_006_400_000 % (24 * HOUR);
    let raw = raw_block(&staging, t0);
    // Tombstone 20 minutes of one series, across the first column boundary.
    let id = Block::open(&raw)
        .expect("open")
        .select(&[
            Matcher::equal("job", "api"),
            Matcher::equal("instance", "host-01"),
        ])
        .expect("select")[0];
    let mut tomb = Tombstones::new();
    tomb.add(
        u64::from(id),
        Interval {
            min_time: t0 + 8 * HOUR - 10 * 60_000,
            max_time: t0 + 8 * HOUR + 10 * 60_000,
        },
    );
    tomb.write_to_dir(&raw).expect("tombstones");
    let down_dir = staging.join("down");
    std::fs::create_dir_all(&down_dir).expect("down");
    let source = mnemos_compact::source::Source::open_dir(&raw).expect("source");
    let (down_meta, _) =
        mnemos_compact::downsample_block::downsample_block(&source, 300_000, &down_dir)
            .expect("downsample");
    let down = down_dir.join(&down_meta.ulid);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut registry = Registry::default();
        let config = mnemos_objstore::BucketConfig::filesystem(work.path().join("bucket"));
        let bucket = mnemos_objstore::open(&config, &mut registry).expect("bucket");
        let mut ids = Vec::new();
        for (dir, res) in [(&raw, 0), (&down, 300_000)] {
            let meta = mnemos_block::upload_block(&bucket, dir, thanos(res))
                .await
                .expect("upload");
            ids.push(meta.ulid.parse::<ulid::Ulid>().expect("ulid"));
        }
        for id in &ids {
            let scratch = work.path().join("convert");
            mnemos_compact::convert_in_bucket(
                &bucket,
                *id,
                &scratch,
                &mnemos_parquet::ConvertOptions {
                    max_rows_per_row_group: 40,
                    chunk_page_bytes: 2048,
                    column_duration_ms: mnemos_parquet::schema::PARQUET_COMMON_COLUMN_DURATION_MS,
                    ..Default::default()
                },
            )
            .await
            .expect("convert");
        }
        let tsdb = BucketStore::new(
            bucket.clone(),
            store_config(work.path().join("tsdb"), false),
            &mut Registry::default(),
        )
        .expect("store");
        let mut parquet_registry = Registry::default();
        let parquet = BucketStore::new(
            bucket.clone(),
            store_config(work.path().join("parquet"), true),
            &mut parquet_registry,
        )
        .expect("store");
        for s in [&tsdb, &parquet] {
            assert_eq!(s.sync().await.expect("sync").blocks, 2);
            s.load_pending().await;
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &parquet_registry).expect("encode");
        assert!(
            text.contains("mnemos_store_parquet_blocks 2"),
            "parquet gauge: {text}"
        );
        // The Parquet gateway keeps nothing on disk for its blocks.
        let blocks_dir = work.path().join("parquet").join("blocks");
        assert!(
            !blocks_dir.exists()
                || std::fs::read_dir(&blocks_dir)
                    .expect("blocks dir")
                    .next()
                    .is_none(),
            "no local state for Parquet blocks"
        );

        // Labels files this small were read whole with their footers at load: a selective
        // query reads only chunk pages: one request for its one row (one row group, one 8h
        // chunk column, one block).
        let before = get_range_requests(&registry);
        let selective = series(
            &parquet,
            SeriesRequest {
                min_time: t0 + HOUR,
                max_time: t0 + 2 * HOUR,
                matchers: vec![
                    LabelMatcher::new(Type::Eq, "__name__", "http_requests_2"),
                    LabelMatcher::new(Type::Eq, "job", "db"),
                    LabelMatcher::new(Type::Eq, "instance", "host-02"),
                ],
                ..Default::default()
            },
        )
        .await;
        assert_eq!(selective.len(), 1);
        assert_eq!(
            get_range_requests(&registry) - before,
            1,
            "chunk pages only"
        );

        let m = |t: Type, n: &str, v: &str| LabelMatcher::new(t, n, v);
        let matcher_sets = vec![
            vec![m(Type::Eq, "__name__", "up")],
            vec![
                m(Type::Eq, "__name__", "http_requests_2"),
                m(Type::Eq, "job", "db"),
            ],
            vec![
                m(Type::Re, "__name__", "http_requests_.*"),
                m(Type::Neq, "job", "web"),
            ],
            vec![m(Type::Re, "instance", "host-0[1-4]")],
            vec![m(Type::Eq, "zone", "z1")],
            vec![m(Type::Eq, "zone", ""), m(Type::Eq, "__name__", "up")],
            vec![m(Type::Nre, "zone", "z.*"), m(Type::Eq, "job", "api")],
            vec![
                m(Type::Eq, "cluster", "eu"),
                m(Type::Eq, "instance", "host-07"),
            ],
            vec![m(Type::Eq, "__name__", "absent")],
            vec![m(Type::Eq, "cluster", "us")],
        ];
        let ranges = [
            (t0, t0 + 24 * HOUR - 1),
            (t0 + 7 * HOUR, t0 + 9 * HOUR),
            (t0 + 8 * HOUR - 5 * 60_000, t0 + 8 * HOUR + 5 * 60_000),
            (t0 + 20 * HOUR + 17, t0 + 30 * HOUR),
            (t0 - HOUR, t0 + 30_000),
        ];
        let mut compared = 0;
        let mut answers = Vec::new();
        for matchers in &matcher_sets {
            for (mint, maxt) in ranges {
                for (resolution, aggregates) in [
                    (0, vec![]),
                    (300_000, vec![Aggr::Count as i32, Aggr::Sum as i32]),
                    (
                        300_000,
                        vec![Aggr::Min as i32, Aggr::Max as i32, Aggr::Counter as i32],
                    ),
                ] {
                    for skip_chunks in [false, true] {
                        let req = SeriesRequest {
                            min_time: mint,
                            max_time: maxt,
                            matchers: matchers.clone(),
                            max_resolution_window: resolution,
                            aggregates: aggregates.clone(),
                            skip_chunks,
                            ..Default::default()
                        };
                        let req_again = req.clone();
                        let want = series(&tsdb, req.clone()).await;
                        let got = series(&parquet, req).await;
                        assert_eq!(
                            got, want,
                            "{matchers:?} [{mint}, {maxt}] res {resolution} skip {skip_chunks}"
                        );
                        compared += want.len();
                        answers.push((req_again, want));
                    }
                }
            }
        }
        assert!(compared > 1000, "compared {compared} series");

        // without_replica_labels: the output labels change, and so may the order.
        let req = SeriesRequest {
            min_time: t0,
            max_time: t0 + 24 * HOUR,
            matchers: vec![m(Type::Re, "__name__", ".+")],
            without_replica_labels: vec!["instance".into()],
            ..Default::default()
        };
        assert_eq!(
            series(&parquet, req.clone()).await,
            series(&tsdb, req).await
        );

        for s in [&tsdb, &parquet] {
            let names = s
                .label_names(tonic::Request::new(LabelNamesRequest {
                    start: t0,
                    end: t0 + 24 * HOUR,
                    ..Default::default()
                }))
                .await
                .expect("names")
                .into_inner()
                .names;
            assert_eq!(names, ["__name__", "cluster", "instance", "job", "zone"]);
        }
        for label in ["__name__", "zone", "instance"] {
            for matchers in [vec![], vec![m(Type::Eq, "job", "api")]] {
                let req = LabelValuesRequest {
                    label: label.into(),
                    start: t0,
                    end: t0 + 24 * HOUR,
                    matchers,
                    ..Default::default()
                };
                let values = |s: &BucketStore| {
                    let req = req.clone();
                    let s = s.clone();
                    async move {
                        s.label_values(tonic::Request::new(req))
                            .await
                            .expect("values")
                            .into_inner()
                            .values
                    }
                };
                assert_eq!(values(&parquet).await, values(&tsdb).await, "{label}");
            }
        }
        // The Parquet path reads no TSDB file: with them gone, a new gateway answers the same.
        for id in &ids {
            for o in bucket.list_objects(&format!("{id}/")).await.expect("list") {
                let rel = &o.key[27..];
                if rel == "index" || rel.starts_with("chunks/") {
                    bucket.delete(&o.key).await.expect("delete");
                }
            }
        }
        let fresh = BucketStore::new(
            bucket.clone(),
            store_config(work.path().join("fresh"), true),
            &mut Registry::default(),
        )
        .expect("store");
        fresh.sync().await.expect("sync");
        for (req, want) in answers {
            assert_eq!(series(&fresh, req).await, want);
        }
    });
}
