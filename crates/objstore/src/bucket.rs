//! [`Bucket`]: the few object operations mnemos needs, over any `object_store` backend,
//! each one timed, counted and turned into this crate's errors.

use std::future::Future;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, Result};
use crate::metrics::{BucketMetrics, OpLabels};

/// Files larger than this are uploaded in parts, so memory stays bounded.
const MULTIPART_THRESHOLD: u64 = 32 << 20;
/// Size of one part of a multipart upload.
const PART_SIZE: usize = 16 << 20;
/// Parts in flight at once during a multipart upload.
const PART_CONCURRENCY: usize = 2;

/// An object in a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Full key, e.g. `01H…/chunks/000001`.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// A bucket: cheap to clone, safe to share between tasks.
#[derive(Clone)]
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    name: Arc<str>,
    metrics: BucketMetrics,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket").field("name", &self.name).finish()
    }
}

impl Bucket {
    /// Wraps a backend; `name` is what logs, errors and the `bucket` metric label show.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        name: impl Into<String>,
        metrics: BucketMetrics,
    ) -> Self {
        Self {
            store,
            name: name.into().into(),
            metrics,
        }
    }

    /// The display name (`s3://bucket`, `file:///dir`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs one operation with its metrics. Not-found answers are not failures.
    async fn observe<T>(
        &self,
        op: &'static str,
        key: &str,
        fut: impl Future<Output = object_store::Result<T>>,
        size_of: impl FnOnce(&T) -> u64,
    ) -> Result<T> {
        let labels = OpLabels {
            bucket: self.name.to_string(),
            operation: op,
        };
        self.metrics.operations.get_or_create(&labels).inc();
        let start = Instant::now();
        let result = fut.await;
        self.metrics
            .duration
            .get_or_create(&labels)
            .observe(start.elapsed().as_secs_f64());
        match result {
            Ok(value) => {
                self.metrics
                    .bytes
                    .get_or_create(&labels)
                    .inc_by(size_of(&value));
                Ok(value)
            }
            Err(object_store::Error::NotFound { .. }) => Err(Error::NotFound {
                bucket: self.name.to_string(),
                key: key.to_string(),
            }),
            Err(source) => {
                self.metrics.failures.get_or_create(&labels).inc();
                Err(Error::Store {
                    bucket: self.name.to_string(),
                    op,
                    key: key.to_string(),
                    source: Box::new(source),
                })
            }
        }
    }

    /// Reads a whole object.
    pub async fn get(&self, key: &str) -> Result<Bytes> {
        let path = ObjectPath::from(key);
        let fut = async { self.store.get(&path).await?.bytes().await };
        self.observe("get", key, fut, |b| b.len() as u64).await
    }

    /// Reads a whole object, or `None` when it does not exist.
    pub async fn get_if_exists(&self, key: &str) -> Result<Option<Bytes>> {
        match self.get(key).await {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads bytes `range` of an object.
    pub async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let path = ObjectPath::from(key);
        let fut = self.store.get_range(&path, range);
        self.observe("get_range", key, fut, |b| b.len() as u64)
            .await
    }

    /// Size of an object, or `None` when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>> {
        let path = ObjectPath::from(key);
        match self
            .observe("head", key, self.store.head(&path), |_| 0)
            .await
        {
            Ok(meta) => Ok(Some(meta.size)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether an object exists.
    pub async fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.size(key).await?.is_some())
    }

    /// Writes an object (replacing it). Visible to readers only once complete.
    pub async fn put(&self, key: &str, data: Bytes) -> Result<()> {
        let path = ObjectPath::from(key);
        let len = data.len() as u64;
        let fut = self.store.put(&path, PutPayload::from(data));
        self.observe("put", key, fut, |_| len).await.map(|_| ())
    }

    /// Uploads a local file; large files go in parts so memory stays bounded.
    /// Returns the number of bytes uploaded.
    pub async fn upload_file(&self, key: &str, local: &Path) -> Result<u64> {
        let io_err = |source| Error::Io {
            path: local.to_path_buf(),
            source,
        };
        let mut file = tokio::fs::File::open(local).await.map_err(io_err)?;
        let len = file.metadata().await.map_err(io_err)?.len();
        if len < MULTIPART_THRESHOLD {
            let mut data = Vec::with_capacity(len as usize);
            file.read_to_end(&mut data).await.map_err(io_err)?;
            self.put(key, Bytes::from(data)).await?;
            return Ok(len);
        }
        let path = ObjectPath::from(key);
        // Local read errors abort the upload; they surface as the I/O error below.
        let mut local_error = None;
        let fut = async {
            let upload = self.store.put_multipart(&path).await?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            let mut buf = vec![0u8; PART_SIZE];
            loop {
                writer.wait_for_capacity(PART_CONCURRENCY).await?;
                let n = match file.read(&mut buf).await {
                    Ok(n) => n,
                    Err(e) => {
                        local_error = Some(e);
                        writer.abort().await?;
                        return Ok(0);
                    }
                };
                if n == 0 {
                    break;
                }
                writer.write(&buf[..n]);
            }
            writer.finish().await?;
            Ok(len)
        };
        let sent = self.observe("upload", key, fut, |n| *n).await?;
        match local_error {
            Some(e) => Err(io_err(e)),
            None => Ok(sent),
        }
    }

    /// Downloads an object into a local file (streamed: memory stays bounded).
    /// Returns the number of bytes written.
    pub async fn download_file(&self, key: &str, local: &Path) -> Result<u64> {
        let path = ObjectPath::from(key);
        let mut local_error = None;
        let fut = async {
            let mut stream = self.store.get(&path).await?.into_stream();
            let mut file = match tokio::fs::File::create(local).await {
                Ok(f) => f,
                Err(e) => {
                    local_error = Some(e);
                    return Ok(0);
                }
            };
            let mut written = 0u64;
            while let Some(piece) = stream.try_next().await? {
                if let Err(e) = file.write_all(&piece).await {
                    local_error = Some(e);
                    return Ok(written);
                }
                written += piece.len() as u64;
            }
            if let Err(e) = file.sync_all().await {
                local_error = Some(e);
            }
            Ok(written)
        };
        let written = self.observe("get", key, fut, |n| *n).await?;
        match local_error {
            Some(source) => Err(Error::Io {
                path: local.to_path_buf(),
                source,
            }),
            None => Ok(written),
        }
    }

    /// Deletes an object; deleting a missing object succeeds.
    pub async fn delete(&self, key: &str) -> Result<()> {
        let path = ObjectPath::from(key);
        match self
            .observe("delete", key, self.store.delete(&path), |_| 0)
            .await
        {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }

    /// Names of the "directories" directly under `prefix` (`""` for the root), without
    /// the prefix and trailing slash.
    pub async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        let path = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
        let fut = self.store.list_with_delimiter(path.as_ref());
        let listing = self.observe("list", prefix, fut, |_| 0).await?;
        let mut dirs: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        dirs.sort();
        Ok(dirs)
    }

    /// Every object under `prefix` (recursively), sorted by key.
    pub async fn list_objects(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let path = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
        let fut = self
            .store
            .list(path.as_ref())
            .map_ok(|meta| ObjectInfo {
                key: meta.location.to_string(),
                size: meta.size,
            })
            .try_collect::<Vec<_>>();
        let mut objects = self.observe("list", prefix, fut, |_| 0).await?;
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }
}
