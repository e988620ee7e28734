//! The gateway in-process over a filesystem bucket, for what the S3 end-to-end test does not
//! cover: tombstones applied, a downsampled (AggrChunk) block served with the requested
//! aggregates and raw blocks filling the range it does not cover, `skip_chunks`,
//! `without_replica_labels`.

use std::collections::BTreeMap;
use std::path::Path;

use mnemos_store::{BucketStore, StoreConfig};
use mnemos_storeapi::thanos::store_server::Store;
use mnemos_storeapi::thanos::{
    label_matcher::Type, series_response, Aggr, LabelMatcher, LabelValuesRequest, Series,
    SeriesRequest,
};
use mnemos_tsdb::chunkenc::{decode_xor_into, encode_xor};
use mnemos_tsdb::chunks::{ChunkMeta, RawChunk};
use mnemos_tsdb::meta::{Downsample, ThanosMeta};
use mnemos_tsdb::tombstones::{Interval, Tombstones};
use mnemos_tsdb::{Block, BlockMeta, BlockWriter, Labels, Matcher};
use prometheus_client::registry::Registry;

const HOUR: i64 = 3_600_000;

fn labels() -> Labels {
    Labels::from_pairs([("__name__", "m"), ("i", "1")])
}

fn thanos(resolution: i64) -> ThanosMeta {
    ThanosMeta {
        version: 1,
        labels: BTreeMap::from([
            ("cluster".into(), "c".into()),
            ("replica".into(), "r".into()),
        ]),
        downsample: Downsample { resolution },
        source: "test".into(),
        ..ThanosMeta::default()
    }
}

fn raw_block(parent: &Path, mint: i64) -> std::path::PathBuf {
    let symbols = mnemos_tsdb::block_writer::symbols_of([&labels()]);
    let mut w = BlockWriter::create(parent, symbols).expect("writer");
    let samples: Vec<(i64, f64)> = (0..120).map(|k| (mint + k * 60_000, k as f64)).collect();
    w.add_series(&labels(), &samples).expect("add");
    let meta = w
        .finish(BlockMeta::new(String::new(), mint, mint + 2 * HOUR))
        .expect("finish");
    parent.join(meta.ulid)
}

/// A 5m block over `[mint, mint + 2h)`: count, sum, min, max, counter per window.
fn downsampled_block(parent: &Path, mint: i64) -> std::path::PathBuf {
    let windows: Vec<i64> = (0..24).map(|w| mint + w * 300_000 + 299_999).collect();
    let part = |f: &dyn Fn(usize) -> f64| {
        let s: Vec<(i64, f64)> = windows
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, f(i)))
            .collect();
        encode_xor(&s)
    };
    let mut data = vec![];
    for p in [
        part(&|_| 5.0),
        part(&|i| 10.0 * i as f64),
        part(&|i| i as f64),
        part(&|i| i as f64 + 4.0),
        part(&|i| 5.0 * i as f64),
    ] {
        let mut len = Vec::new();
        let mut n = p.len() as u64;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                len.push(b);
                break;
            }
            len.push(b | 0x80);
        }
        data.extend(len);
        data.push(1);
        data.extend(p);
    }
    let symbols = mnemos_tsdb::block_writer::symbols_of([&labels()]);
    let mut w = BlockWriter::create(parent, symbols).expect("writer");
    let meta = ChunkMeta {
        min_time: windows[0],
        max_time: windows[23],
        chunk_ref: 0,
    };
    let raw = RawChunk {
        encoding: 0xff,
        data: data.into(),
    };
    w.add_series_chunks(&labels(), &[(meta, raw)], 24)
        .expect("add");
    let meta = w
        .finish(BlockMeta::new(String::new(), mint, mint + 2 * HOUR))
        .expect("finish");
    parent.join(meta.ulid)
}

async fn series(store: &BucketStore, req: SeriesRequest) -> Vec<Series> {
    let mut stream = store
        .series(tonic::Request::new(req))
        .await
        .expect("Series")
        .into_inner();
    let mut out = Vec::new();
    while let Some(frame) = futures::StreamExt::next(&mut stream).await {
        if let Some(series_response::Result::Series(s)) = frame.expect("frame").result {
            out.push(s);
        }
    }
    out
}

fn samples(s: &Series) -> Vec<i64> {
    let mut ts = Vec::new();
    for c in &s.chunks {
        let raw = c.raw.as_ref().expect("raw chunk");
        let (mut t, mut v) = (Vec::new(), Vec::new());
        decode_xor_into(&raw.data, &mut t, &mut v).expect("xor");
        ts.extend(t);
    }
    ts
}

#[test]
fn tombstones_downsampled_blocks_and_request_options() {
    let work = tempfile::tempdir().expect("tempdir");
    let staging = work.path().join("staging");
    std::fs::create_dir_all(&staging).expect("staging");
    let t0 = 1_700_000_000_000 - 1_700_000_000_000 % (2 * HOUR);
    let r1 = raw_block(&staging, t0);
    let r2 = raw_block(&staging, t0 + 2 * HOUR);
    let d1 = downsampled_block(&staging, t0);
    // Tombstone 10 minutes of the first raw block.
    let id = Block::open(&r1)
        .expect("open")
        .select(&[Matcher::equal("i", "1")])
        .expect("select")[0];
    let mut tomb = Tombstones::new();
    tomb.add(
        u64::from(id),
        Interval {
            min_time: t0 + 10 * 60_000,
            max_time: t0 + 19 * 60_000,
        },
    );
    tomb.write_to_dir(&r1).expect("tombstones");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut registry = Registry::default();
        let config = mnemos_objstore::BucketConfig::filesystem(work.path().join("bucket"));
        let bucket = mnemos_objstore::open(&config, &mut registry).expect("bucket");
        for (dir, res) in [(&r1, 0), (&r2, 0), (&d1, 300_000)] {
            mnemos_block::upload_block(&bucket, dir, thanos(res))
                .await
                .expect("upload");
        }
        let store = BucketStore::new(
            bucket,
            StoreConfig {
                index_cache_bytes: 1 << 20,
                chunk_cache_bytes: 1 << 20,
                max_concurrency: 4,
                ..StoreConfig::new(work.path().join("data"))
            },
            &mut registry,
        )
        .expect("store");
        assert_eq!(store.sync().await.expect("sync").blocks, 3);
        let base = SeriesRequest {
            min_time: t0,
            max_time: t0 + 4 * HOUR - 1,
            matchers: vec![LabelMatcher::new(Type::Eq, "__name__", "m")],
            ..Default::default()
        };

        // Raw: both raw blocks merged into one series, tombstoned samples gone.
        let raw = series(&store, base.clone()).await;
        assert_eq!(raw.len(), 1);
        let ts = samples(&raw[0]);
        assert_eq!(ts.len(), 240 - 10);
        assert!(!ts
            .iter()
            .any(|t| (t0 + 10 * 60_000..=t0 + 19 * 60_000).contains(t)));
        assert!(ts.windows(2).all(|w| w[0] < w[1]));

        // 5m allowed: the downsampled block for [t0, t0+2h) with only the requested
        // aggregates, the raw block for the rest.
        let down = series(
            &store,
            SeriesRequest {
                max_resolution_window: 300_000,
                aggregates: vec![Aggr::Count as i32, Aggr::Sum as i32],
                ..base.clone()
            },
        )
        .await;
        assert_eq!(down.len(), 1);
        let chunks = &down[0].chunks;
        assert_eq!(chunks.len(), 2, "{chunks:?}");
        let aggr = &chunks[0];
        assert!(aggr.raw.is_none() && aggr.count.is_some() && aggr.sum.is_some());
        assert!(aggr.min.is_none() && aggr.max.is_none() && aggr.counter.is_none());
        let (mut t, mut v) = (Vec::new(), Vec::new());
        decode_xor_into(&aggr.sum.as_ref().expect("sum").data, &mut t, &mut v).expect("xor");
        assert_eq!((t.len(), v[3]), (24, 30.0));
        assert!(chunks[1].raw.is_some() && chunks[1].min_time >= t0 + 2 * HOUR);

        // skip_chunks and without_replica_labels.
        let bare = series(
            &store,
            SeriesRequest {
                skip_chunks: true,
                without_replica_labels: vec!["replica".into()],
                ..base.clone()
            },
        )
        .await;
        assert_eq!(bare.len(), 1);
        assert!(bare[0].chunks.is_empty());
        let names: Vec<&str> = bare[0].labels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, vec!["__name__", "cluster", "i"]);

        let values = store
            .label_values(tonic::Request::new(LabelValuesRequest {
                label: "i".into(),
                start: t0,
                end: t0 + 4 * HOUR,
                ..Default::default()
            }))
            .await
            .expect("LabelValues")
            .into_inner()
            .values;
        assert_eq!(values, vec!["1".to_string()]);
    });
}
