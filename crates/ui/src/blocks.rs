//! The block viewer's data: `/api/v1/blocks` (Thanos' bucket web answer: `blocks`, the
//! metas as stored, `label`, `refreshedAt`, `err`), each block with mnemos' `marks` (the
//! marks' own JSON) and `sizeBytes`, plus `partial` uploads and `corrupted` metas. The
//! answer is rebuilt in the background every refresh interval and served from memory.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::{stream, StreamExt};
use mnemos_block::{
    read_mark, BucketBlocks, DeletionMark, MetaFetcher, NoCompactMark, NoDownsampleMark,
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

/// The block viewer's answer, kept up to date; cheap to clone.
#[derive(Clone)]
pub struct BlocksView {
    inner: Arc<Inner>,
}

struct Inner {
    fetcher: MetaFetcher,
    label: String,
    metrics: BlocksViewMetrics,
    /// The `data` of the last answer, and what the last successful refresh built.
    answer: RwLock<Arc<String>>,
    last_good: Mutex<Option<(Value, Value, Value, i64)>>,
    /// Mark contents by block (a mark never changes while it exists).
    marks: Mutex<HashMap<(Ulid, &'static str), Value>>,
}

impl BlocksView {
    /// A view over `fetcher`'s bucket; `label` names the external label that titles each
    /// stream (Thanos' `--label` / `--bucket-web-label`; `""` for all labels).
    pub fn new(fetcher: MetaFetcher, label: String, metrics: BlocksViewMetrics) -> Self {
        let first = data(
            &Value::Array(Vec::new()),
            &json!([]),
            &json!([]),
            &label,
            None,
            Some("not loaded yet"),
        );
        Self {
            inner: Arc::new(Inner {
                fetcher,
                label,
                metrics,
                answer: RwLock::new(Arc::new(first)),
                last_good: Mutex::new(None),
                marks: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Rebuilds the answer within `timeout`; on failure the last blocks stay, with `err`.
    pub async fn refresh(&self, timeout: Duration) {
        let inner = &self.inner;
        inner.metrics.refreshes.inc();
        let built = match tokio::time::timeout(timeout, self.build()).await {
            Ok(Ok(b)) => Ok(b),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("refresh timed out after {timeout:?}")),
        };
        let mut last = inner.last_good.lock().unwrap_or_else(|p| p.into_inner());
        let text = match built {
            Ok((blocks, partial, corrupted)) => {
                inner
                    .metrics
                    .blocks
                    .set(blocks.as_array().map_or(0, Vec::len) as i64);
                let at = now_ms();
                let text = data(&blocks, &partial, &corrupted, &inner.label, Some(at), None);
                *last = Some((blocks, partial, corrupted, at));
                text
            }
            Err(e) => {
                inner.metrics.failures.inc();
                tracing::warn!(error = %e, "refreshing the block viewer failed");
                match &*last {
                    Some((b, p, c, at)) => data(b, p, c, &inner.label, Some(*at), Some(&e)),
                    None => data(
                        &json!([]),
                        &json!([]),
                        &json!([]),
                        &inner.label,
                        None,
                        Some(&e),
                    ),
                }
            }
        };
        *inner.answer.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(text);
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
    async fn build(&self) -> Result<(Value, Value, Value), String> {
        let inner = &self.inner;
        let found = inner.fetcher.fetch().await.map_err(|e| e.to_string())?;
        let marks = self.marks(&found).await;
        let mut blocks = Vec::with_capacity(found.metas.len());
        for (id, meta) in &found.metas {
            let mut v = serde_json::to_value(meta.as_ref()).map_err(|e| e.to_string())?;
            if let Value::Object(o) = &mut v {
                let mut m = Map::new();
                for (key, _) in MARK_KINDS {
                    if let Some(mark) = marks.get(&(*id, key)) {
                        m.insert(key.to_string(), mark.clone());
                    }
                }
                if found.parquet_converted.contains(id) {
                    m.insert("parquet".into(), json!({}));
                }
                o.insert("marks".into(), Value::Object(m));
                o.insert(
                    "sizeBytes".into(),
                    json!(found.sizes.get(id).copied().unwrap_or(0)),
                );
            }
            blocks.push(v);
        }
        let mut partial = Vec::with_capacity(found.partial.len());
        for id in &found.partial {
            let files = inner
                .fetcher
                .bucket()
                .list_objects(&format!("{id}/"))
                .await
                .map_err(|e| e.to_string())?;
            let prefix = format!("{id}/");
            let names: Vec<&str> = files
                .iter()
                .map(|f| f.key.strip_prefix(&prefix).unwrap_or(&f.key))
                .collect();
            partial.push(json!({
                "ulid": id.to_string(),
                "sizeBytes": found.sizes.get(id).copied().unwrap_or(0),
                "files": names,
            }));
        }
        let corrupted: Vec<Value> = found
            .corrupted
            .iter()
            .map(|(id, why)| json!({"ulid": id.to_string(), "error": why}))
            .collect();
        Ok((
            Value::Array(blocks),
            Value::Array(partial),
            Value::Array(corrupted),
        ))
    }

    /// The content of every mark the listing found, read once per block and kind; a mark
    /// that cannot be read is shown as `{"id": …, "error": …}`.
    async fn marks(&self, found: &BucketBlocks) -> BTreeMap<(Ulid, &'static str), Value> {
        let wanted: Vec<(Ulid, &'static str)> = MARK_KINDS
            .iter()
            .flat_map(|(key, set)| set(found).iter().map(move |id| (*id, *key)))
            .collect();
        let mut cache = self
            .inner
            .marks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        cache.retain(|k, _| wanted.contains(k));
        let missing: Vec<(Ulid, &'static str)> = wanted
            .iter()
            .filter(|k| !cache.contains_key(k))
            .copied()
            .collect();
        let bucket = self.inner.fetcher.bucket().clone();
        // Collected first: a closure in the stream's type defeats the Send check of the
        // refresh task (rust-lang/rust#102211).
        let reads: Vec<_> = missing
            .into_iter()
            .map(|(id, key)| read_one(bucket.clone(), id, key))
            .collect();
        let read: Vec<((Ulid, &'static str), Value)> = stream::iter(reads)
            .buffer_unordered(MARK_CONCURRENCY)
            .collect()
            .await;
        cache.extend(read);
        *self.inner.marks.lock().unwrap_or_else(|p| p.into_inner()) = cache.clone();
        cache.into_iter().collect()
    }
}

/// The content of block `id`'s mark `key`.
async fn read_one(bucket: Bucket, id: Ulid, key: &'static str) -> ((Ulid, &'static str), Value) {
    let got = match key {
        "deletion" => read_mark::<DeletionMark>(&bucket, id)
            .await
            .map(|m| m.map(|m| json!(m))),
        "noCompact" => read_mark::<NoCompactMark>(&bucket, id)
            .await
            .map(|m| m.map(|m| json!(m))),
        _ => read_mark::<NoDownsampleMark>(&bucket, id)
            .await
            .map(|m| m.map(|m| json!(m))),
    };
    let v = match got {
        Ok(Some(v)) => v,
        Ok(None) => json!({"id": id.to_string(), "error": "gone since the listing"}),
        Err(e) => json!({"id": id.to_string(), "error": e.to_string()}),
    };
    ((id, key), v)
}

/// The marks shown, by key in `marks`, with the blocks carrying each.
type MarkSet = fn(&BucketBlocks) -> &std::collections::BTreeSet<Ulid>;
const MARK_KINDS: [(&str, MarkSet); 3] = [
    ("deletion", |b| &b.deletion_marked),
    ("noCompact", |b| &b.no_compact_marked),
    ("noDownsample", |b| &b.no_downsample_marked),
];

/// The whole answer's JSON.
fn data(
    blocks: &Value,
    partial: &Value,
    corrupted: &Value,
    label: &str,
    refreshed_ms: Option<i64>,
    err: Option<&str>,
) -> String {
    json!({
        "status": "success",
        "data": {
            "blocks": blocks,
            "partial": partial,
            "corrupted": corrupted,
            "label": label,
            "refreshedAt": refreshed_ms.map(rfc3339),
            "err": err,
        }
    })
    .to_string()
}

async fn answer(State(view): State<BlocksView>) -> Response {
    let text = view
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
        text.as_str().to_owned(),
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
        let text = view.inner.answer.read().expect("answer").clone();
        let v: Value = serde_json::from_str(&text).expect("json");
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
