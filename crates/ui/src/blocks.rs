//! The block viewer's data: `/api/v1/blocks` (Thanos' bucket web answer: `blocks`, the
//! metas as stored, `label`, `refreshedAt`, `err`), each block with mnemos' `marks` (the
//! marks' own JSON) and `sizeBytes`, plus `partial` uploads and `corrupted` metas. The
//! answer is rebuilt in the background every refresh interval and served from memory.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::{stream, StreamExt};
use mnemos_block::{
    read_mark, BucketBlocks, DeletionMark, Mark, MetaFetcher, NoCompactMark, NoDownsampleMark,
};
use mnemos_objstore::Bucket;
use mnemos_tsdb::gofmt::rfc3339;
use mnemos_tsdb::time::now_ms;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde_json::{json, Map, Value};
use ulid::Ulid;

/// Marks read at once.
const MARK_CONCURRENCY: usize = 16;

/// Metrics of the block viewer.
#[derive(Clone, Default)]
pub struct BlocksViewMetrics {
    refreshes: Counter,
    failures: Counter,
    blocks: Gauge,
}

impl BlocksViewMetrics {
    /// The metrics, registered as `mnemos_block_viewer_*`.
    pub fn new(registry: &mut Registry) -> Self {
        let m = Self::default();
        let sub = registry.sub_registry_with_prefix("mnemos_block_viewer");
        sub.register(
            "refreshes",
            "Refreshes of the block list",
            m.refreshes.clone(),
        );
        sub.register(
            "refresh_failures",
            "Refreshes of the block list that failed",
            m.failures.clone(),
        );
        sub.register(
            "blocks",
            "Blocks shown at the last refresh",
            m.blocks.clone(),
        );
        m
    }
}

/// What the last successful refresh found (empty before the first).
#[derive(Default)]
struct Listing {
    blocks: Vec<Value>,
    partial: Vec<Value>,
    corrupted: Vec<Value>,
    refreshed_ms: Option<i64>,
}

impl Listing {
    /// The whole answer's JSON, with `err` when the last refresh failed.
    fn answer(&self, label: &str, err: Option<&str>) -> Bytes {
        json!({
            "status": "success",
            "data": {
                "blocks": self.blocks,
                "partial": self.partial,
                "corrupted": self.corrupted,
                "label": label,
                "refreshedAt": self.refreshed_ms.map(rfc3339),
                "err": err,
            }
        })
        .to_string()
        .into()
    }
}

/// A mark the viewer shows, under its key in a block's `marks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum MarkKind {
    Deletion,
    NoCompact,
    NoDownsample,
}

impl MarkKind {
    const ALL: [MarkKind; 3] = [
        MarkKind::Deletion,
        MarkKind::NoCompact,
        MarkKind::NoDownsample,
    ];

    fn key(self) -> &'static str {
        match self {
            MarkKind::Deletion => "deletion",
            MarkKind::NoCompact => "noCompact",
            MarkKind::NoDownsample => "noDownsample",
        }
    }

    /// The blocks the listing found with this mark.
    fn marked(self, found: &BucketBlocks) -> &BTreeSet<Ulid> {
        match self {
            MarkKind::Deletion => &found.deletion_marked,
            MarkKind::NoCompact => &found.no_compact_marked,
            MarkKind::NoDownsample => &found.no_downsample_marked,
        }
    }

    /// Block `id`'s mark of this kind as JSON; a mark that cannot be read is shown as
    /// `{"id": …, "error": …}`.
    async fn read(self, bucket: Bucket, id: Ulid) -> ((Ulid, MarkKind), Value) {
        let got = match self {
            MarkKind::Deletion => read_json::<DeletionMark>(&bucket, id).await,
            MarkKind::NoCompact => read_json::<NoCompactMark>(&bucket, id).await,
            MarkKind::NoDownsample => read_json::<NoDownsampleMark>(&bucket, id).await,
        };
        let v = match got {
            Ok(Some(v)) => v,
            Ok(None) => json!({"id": id.to_string(), "error": "gone since the listing"}),
            Err(e) => json!({"id": id.to_string(), "error": e.to_string()}),
        };
        ((id, self), v)
    }
}

/// Mark `M` of block `id` as JSON, `None` when it is absent.
async fn read_json<M: Mark>(bucket: &Bucket, id: Ulid) -> mnemos_block::Result<Option<Value>> {
    Ok(read_mark::<M>(bucket, id).await?.map(|m| json!(m)))
}

/// The block viewer's answer, kept up to date; cheap to clone.
#[derive(Clone)]
pub struct BlocksView {
    inner: Arc<Inner>,
}

struct Inner {
    fetcher: MetaFetcher,
    label: String,
    metrics: BlocksViewMetrics,
    /// The answer as served: the last listing, with the last refresh's error.
    answer: RwLock<Bytes>,
    last: Mutex<Listing>,
    /// Mark contents by block and kind (a mark never changes while it exists).
    marks: Mutex<HashMap<(Ulid, MarkKind), Value>>,
}

impl BlocksView {
    /// A view over `fetcher`'s bucket; `label` names the external label that titles each
    /// stream (Thanos' `--label` / `--bucket-web-label`; `""` for all labels).
    pub fn new(fetcher: MetaFetcher, label: String, metrics: BlocksViewMetrics) -> Self {
        let answer = Listing::default().answer(&label, Some("not loaded yet"));
        Self {
            inner: Arc::new(Inner {
                fetcher,
                label,
                metrics,
                answer: RwLock::new(answer),
                last: Mutex::new(Listing::default()),
                marks: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Rebuilds the answer within `timeout`; on failure the last blocks stay, with `err`.
    pub async fn refresh(&self, timeout: Duration) {
        let inner = &self.inner;
        inner.metrics.refreshes.inc();
        let built = match tokio::time::timeout(timeout, self.build()).await {
            Ok(built) => built,
            Err(_) => Err(format!("refresh timed out after {timeout:?}")),
        };
        let mut last = inner.last.lock().unwrap_or_else(|p| p.into_inner());
        let answer = match built {
            Ok(listing) => {
                inner.metrics.blocks.set(listing.blocks.len() as i64);
                *last = listing;
                last.answer(&inner.label, None)
            }
            Err(e) => {
                inner.metrics.failures.inc();
                tracing::warn!(error = %e, "refreshing the block viewer failed");
                last.answer(&inner.label, Some(&e))
            }
        };
        *inner.answer.write().unwrap_or_else(|p| p.into_inner()) = answer;
    }

    /// Refreshes now and then every `interval` until `shutdown` completes.
    pub async fn run(
        self,
        interval: Duration,
        timeout: Duration,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            self.refresh(timeout).await;
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = &mut shutdown => return,
            }
        }
    }

    /// `/api/v1/blocks`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v1/blocks", get(answer))
            .with_state(self.clone())
    }

    /// The blocks (metas with marks and sizes), partial uploads and corrupted metas.
    async fn build(&self) -> Result<Listing, String> {
        let found = self
            .inner
            .fetcher
            .fetch()
            .await
            .map_err(|e| e.to_string())?;
        let marks = self.marks(&found).await;
        let size = |id: &Ulid| found.sizes.get(id).copied().unwrap_or(0);
        let mut blocks = Vec::with_capacity(found.metas.len());
        for (id, meta) in &found.metas {
            let mut v = serde_json::to_value(meta.as_ref()).map_err(|e| e.to_string())?;
            if let Value::Object(o) = &mut v {
                let mut m = Map::new();
                for kind in MarkKind::ALL {
                    if let Some(mark) = marks.get(&(*id, kind)) {
                        m.insert(kind.key().to_string(), mark.clone());
                    }
                }
                if found.parquet_converted.contains(id) {
                    m.insert("parquet".into(), json!({}));
                }
                o.insert("marks".into(), Value::Object(m));
                o.insert("sizeBytes".into(), json!(size(id)));
            }
            blocks.push(v);
        }
        let partial = found
            .partial
            .iter()
            .map(|id| {
                json!({
                    "ulid": id.to_string(),
                    "sizeBytes": size(id),
                    "files": found.partial_files.get(id).cloned().unwrap_or_default(),
                })
            })
            .collect();
        let corrupted = found
            .corrupted
            .iter()
            .map(|(id, why)| json!({"ulid": id.to_string(), "error": why}))
            .collect();
        Ok(Listing {
            blocks,
            partial,
            corrupted,
            refreshed_ms: Some(now_ms()),
        })
    }

    /// The content of every mark the listing found, each read once per block and kind.
    async fn marks(&self, found: &BucketBlocks) -> HashMap<(Ulid, MarkKind), Value> {
        let wanted: HashSet<(Ulid, MarkKind)> = MarkKind::ALL
            .iter()
            .flat_map(|&kind| kind.marked(found).iter().map(move |id| (*id, kind)))
            .collect();
        let missing: Vec<(Ulid, MarkKind)> = {
            let mut cache = self.inner.marks.lock().unwrap_or_else(|p| p.into_inner());
            cache.retain(|k, _| wanted.contains(k));
            wanted
                .iter()
                .filter(|k| !cache.contains_key(k))
                .copied()
                .collect()
        };
        let bucket = self.inner.fetcher.bucket();
        // Collected first: a closure in the stream's type defeats the Send check of the
        // refresh task (rust-lang/rust#102211).
        let reads: Vec<_> = missing
            .into_iter()
            .map(|(id, kind)| kind.read(bucket.clone(), id))
            .collect();
        let read: Vec<((Ulid, MarkKind), Value)> = stream::iter(reads)
            .buffer_unordered(MARK_CONCURRENCY)
            .collect()
            .await;
        let mut cache = self.inner.marks.lock().unwrap_or_else(|p| p.into_inner());
        cache.extend(read);
        cache.clone()
    }
}

async fn answer(State(view): State<BlocksView>) -> Response {
    let body = view
        .inner
        .answer
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_objstore::BucketConfig;

    /// Writes `text` at `key`.
    async fn put(bucket: &Bucket, key: &str, text: &str) {
        bucket
            .put(key, text.as_bytes().to_vec().into())
            .await
            .expect("put");
    }

    /// A level-1 raw 2h block's meta.json of stream `cluster="eu"`.
    fn meta_json(id: Ulid) -> String {
        format!(
            r#"{{"ulid":"{id}","minTime":0,"maxTime":7200000,"stats":{{"numSamples":10,"numSeries":1,"numChunks":1}},"compaction":{{"level":1,"sources":["{id}"]}},"version":1,"thanos":{{"labels":{{"cluster":"eu"}},"downsample":{{"resolution":0}},"source":"sidecar"}}}}"#
        )
    }

    #[tokio::test]
    async fn blocks_marks_sizes_and_partial_uploads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut registry = Registry::default();
        let config = BucketConfig::from_yaml(&format!(
            "type: FILESYSTEM\nconfig:\n  directory: {}\n",
            dir.path().display()
        ))
        .expect("config");
        let bucket = mnemos_objstore::open(&config, &mut registry).expect("bucket");
        let (a, b, partial) = (Ulid::new(), Ulid::from_parts(1, 2), Ulid::from_parts(3, 4));
        for id in [a, b] {
            put(&bucket, &format!("{id}/meta.json"), &meta_json(id)).await;
            put(&bucket, &format!("{id}/index"), "0123456789").await;
        }
        put(
            &bucket,
            &format!("{b}/deletion-mark.json"),
            &format!(r#"{{"id":"{b}","version":1,"details":"test","deletion_time":1700000000}}"#),
        )
        .await;
        put(&bucket, &format!("{partial}/chunks/000001"), "abc").await;
        let fetcher = MetaFetcher::new(bucket, None, &mut registry);
        let view = BlocksView::new(
            fetcher,
            "cluster".into(),
            BlocksViewMetrics::new(&mut registry),
        );
        view.refresh(Duration::from_secs(10)).await;
        let body = view.inner.answer.read().expect("answer").clone();
        let v: Value = serde_json::from_slice(&body).expect("json");
        let data = &v["data"];
        assert_eq!(data["err"], Value::Null);
        assert_eq!(data["label"], "cluster");
        let blocks = data["blocks"].as_array().expect("blocks");
        assert_eq!(blocks.len(), 2);
        let of = |id: Ulid| {
            blocks
                .iter()
                .find(|x| x["ulid"] == id.to_string())
                .expect("block")
        };
        assert_eq!(of(b)["marks"]["deletion"]["deletion_time"], 1_700_000_000);
        assert_eq!(of(a)["marks"], json!({}));
        assert_eq!(of(a)["thanos"]["labels"]["cluster"], "eu");
        assert_eq!(of(a)["sizeBytes"], json!(10 + meta_json(a).len()));
        assert_eq!(
            data["partial"],
            json!([{"ulid": partial.to_string(), "sizeBytes": 3, "files": ["chunks/000001"]}])
        );
        assert!(data["refreshedAt"].as_str().is_some());
    }
}
