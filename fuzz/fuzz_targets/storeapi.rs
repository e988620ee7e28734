//! StoreAPI requests decoded from arbitrary bytes and served by the store gateway
//! (`mnemos_store::BucketStore`) over a filesystem bucket holding one real block
//! (`fuzz/data/`, made by promtool) and its 5m downsampled twin, through the gRPC handler
//! methods of the `Store` trait, the response stream drained.
//!
//! Input: the first byte picks the request (0 `Series`, 1 `LabelNames`, 2 `LabelValues`,
//! by remainder), the rest is the protobuf message.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use futures::StreamExt;
use libfuzzer_sys::fuzz_target;
use mnemos_store::{BucketStore, StoreConfig};
use mnemos_storeapi::prost::Message;
use mnemos_storeapi::thanos::store_server::Store;
use mnemos_storeapi::thanos::{LabelNamesRequest, LabelValuesRequest, SeriesRequest};
use mnemos_storeapi::tonic::Request;
use mnemos_tsdb::meta::ThanosMeta;
use prometheus_client::registry::Registry;

/// The real block: `promtool tsdb create-blocks-from openmetrics` (see make_corpus.py).
const BLOCK: &str = "01M94ZW59D8EKYW3VMZFSE01JV";
const FILES: [(&str, &[u8]); 4] = [
    (
        "meta.json",
        include_bytes!("../data/01M94ZW59D8EKYW3VMZFSE01JV/meta.json"),
    ),
    (
        "index",
        include_bytes!("../data/01M94ZW59D8EKYW3VMZFSE01JV/index"),
    ),
    (
        "chunks/000001",
        include_bytes!("../data/01M94ZW59D8EKYW3VMZFSE01JV/chunks/000001"),
    ),
    (
        "tombstones",
        include_bytes!("../data/01M94ZW59D8EKYW3VMZFSE01JV/tombstones"),
    ),
];

struct Fixture {
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    store: BucketStore,
}

fn thanos(resolution: i64) -> ThanosMeta {
    let mut meta = ThanosMeta {
        version: 1,
        labels: BTreeMap::from([
            ("cluster".to_string(), "fuzz".to_string()),
            ("replica".to_string(), "a".to_string()),
        ]),
        source: "fuzz".into(),
        ..ThanosMeta::default()
    };
    meta.downsample.resolution = resolution;
    meta
}

fn write_block(parent: &Path) -> std::path::PathBuf {
    let dir = parent.join(BLOCK);
    for (name, data) in FILES {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("block dir");
        std::fs::write(&path, data).expect("block file");
    }
    dir
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let raw = write_block(&dir.path().join("local"));
        let down_parent = dir.path().join("down");
        std::fs::create_dir_all(&down_parent).expect("dir");
        let source = mnemos_compact::source::Source::open_dir(&raw).expect("open block");
        let (down_meta, _) =
            mnemos_compact::downsample_block::downsample_block(&source, 300_000, &down_parent)
                .expect("downsample");
        let down = down_parent.join(&down_meta.ulid);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let store = runtime.block_on(async {
            let mut registry = Registry::default();
            let config = mnemos_objstore::BucketConfig::filesystem(dir.path().join("bucket"));
            let bucket = mnemos_objstore::open(&config, &mut registry).expect("bucket");
            for (block, res) in [(&raw, 0), (&down, 300_000)] {
                mnemos_block::upload_block(&bucket, block, thanos(res))
                    .await
                    .expect("upload");
            }
            let store = BucketStore::new(
                bucket,
                StoreConfig {
                    index_cache_bytes: 1 << 20,
                    chunk_cache_bytes: 1 << 20,
                    max_series: 10_000,
                    max_samples: 1_000_000,
                    max_concurrency: 4,
                    series_batch_size: 16,
                    ..StoreConfig::new(dir.path().join("data"))
                },
                &mut registry,
            )
            .expect("store");
            let synced = store.sync().await.expect("sync");
            assert_eq!(synced.blocks, 2, "both blocks served");
            store.load_pending().await;
            store
        });
        Fixture {
            _dir: dir,
            runtime,
            store,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let f = fixture();
    f.runtime.block_on(async {
        match kind % 3 {
            0 => {
                let Ok(req) = SeriesRequest::decode(body) else {
                    return;
                };
                if let Ok(response) = f.store.series(Request::new(req)).await {
                    let mut stream = response.into_inner();
                    while stream.next().await.is_some() {}
                }
            }
            1 => {
                let Ok(req) = LabelNamesRequest::decode(body) else {
                    return;
                };
                let _ = f.store.label_names(Request::new(req)).await;
            }
            _ => {
                let Ok(req) = LabelValuesRequest::decode(body) else {
                    return;
                };
                let _ = f.store.label_values(Request::new(req)).await;
            }
        }
    });
});
