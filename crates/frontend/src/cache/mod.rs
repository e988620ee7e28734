//! The results cache: a key-value [`Backend`] (in memory, memcached, Redis) behind
//! [`ResultsCache`], which hashes keys to a form every backend takes, optionally
//! compresses values, stores in the background within bounds, and counts requests, hits
//! and errors. A failing backend never fails a query: an error is a miss, logged and
//! counted.

mod memcached;
mod memory;
mod redis;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::sync::Semaphore;
use xxhash_rust::xxh64::xxh64;

use crate::config::CacheConfig;
use crate::metrics::FrontendMetrics;

pub use self::memcached::MemcachedBackend;
pub use self::memory::MemoryBackend;
pub use self::redis::RedisBackend;

/// A backend's failure, as text for the log (never holding a secret).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackendError(pub String);

/// A key-value store the results cache keeps its entries in.
pub trait Backend: Send + Sync {
    /// The value under `key`, if any.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, BackendError>>;
    /// Stores `value` under `key`.
    fn set<'a>(&'a self, key: &'a str, value: Bytes) -> BoxFuture<'a, Result<(), BackendError>>;
}

/// How cached values are compressed (`--cache-compression-type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// As they are.
    #[default]
    None,
    /// Snappy (block format).
    Snappy,
}

impl Compression {
    /// Parses the flag's value: `snappy` or empty.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" => Ok(Self::None),
            "snappy" => Ok(Self::Snappy),
            other => Err(format!(
                "cache compression {other:?}: supported are 'snappy' and '' (none)"
            )),
        }
    }
}

/// Bounds of the background stores.
#[derive(Clone, Copy, Debug)]
pub struct StoreLimits {
    /// Stores running at once.
    pub concurrency: usize,
    /// Stores waiting or running; more are dropped.
    pub buffer: usize,
}

/// The results cache of one API (`query-range` or `labels`).
#[derive(Clone)]
pub struct ResultsCache {
    name: &'static str,
    backend: Arc<dyn Backend>,
    compression: Compression,
    metrics: FrontendMetrics,
    gate: Arc<Semaphore>,
    pending: Arc<AtomicUsize>,
    limits: StoreLimits,
}

impl ResultsCache {
    /// A cache named `name` (a metrics label) over the backend `config` describes.
    pub fn new(
        name: &'static str,
        config: &CacheConfig,
        compression: Compression,
        metrics: FrontendMetrics,
    ) -> Result<Self, crate::Error> {
        let (backend, limits): (Arc<dyn Backend>, StoreLimits) = match config {
            CacheConfig::InMemory(c) => (
                Arc::new(MemoryBackend::new(c)),
                StoreLimits {
                    concurrency: 1,
                    buffer: 10_000,
                },
            ),
            CacheConfig::Memcached(c) => (
                Arc::new(MemcachedBackend::new(c)),
                StoreLimits {
                    concurrency: c.max_async_concurrency,
                    buffer: c.max_async_buffer_size,
                },
            ),
            CacheConfig::Redis(c) => (
                Arc::new(RedisBackend::new(c)?),
                StoreLimits {
                    concurrency: c.max_async_concurrency,
                    buffer: c.max_async_buffer_size,
                },
            ),
        };
        Ok(Self::with_backend(
            name,
            backend,
            limits,
            compression,
            metrics,
        ))
    }

    /// A cache over a given backend.
    pub fn with_backend(
        name: &'static str,
        backend: Arc<dyn Backend>,
        limits: StoreLimits,
        compression: Compression,
        metrics: FrontendMetrics,
    ) -> Self {
        Self {
            name,
            backend,
            compression,
            metrics,
            gate: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            pending: Arc::new(AtomicUsize::new(0)),
            limits,
        }
    }

    /// The value stored under the logical `key`; a backend error counts as a miss.
    pub async fn get(&self, key: &str) -> Option<Bytes> {
        self.metrics.cache_request(self.name);
        let stored = match self.backend.get(&storage_key(key)).await {
            Ok(v) => v?,
            Err(e) => {
                self.metrics.cache_error(self.name, "get");
                tracing::warn!(cache = self.name, error = %e, "results cache get failed");
                return None;
            }
        };
        let value = match self.compression {
            Compression::None => Some(stored),
            Compression::Snappy => snap::raw::Decoder::new()
                .decompress_vec(&stored)
                .ok()
                .map(Bytes::from),
        };
        if value.is_some() {
            self.metrics.cache_hit(self.name);
        }
        value
    }

    /// Stores `value` under the logical `key` in the background; dropped (and counted)
    /// when too many stores are already waiting.
    pub fn put(&self, key: &str, value: Bytes) {
        self.metrics.cache_put(self.name);
        if self.pending.fetch_add(1, Ordering::AcqRel) >= self.limits.buffer {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            self.metrics.cache_error(self.name, "set_dropped");
            return;
        }
        let value = match self.compression {
            Compression::None => value,
            Compression::Snappy => match snap::raw::Encoder::new().compress_vec(&value) {
                Ok(v) => Bytes::from(v),
                Err(_) => {
                    self.pending.fetch_sub(1, Ordering::AcqRel);
                    return;
                }
            },
        };
        let this = self.clone();
        let key = storage_key(key);
        tokio::spawn(async move {
            if let Ok(_permit) = this.gate.acquire().await {
                match this.backend.set(&key, value).await {
                    Ok(()) => this.metrics.cache_stored(this.name),
                    Err(e) => {
                        this.metrics.cache_error(this.name, "set");
                        tracing::warn!(cache = this.name, error = %e, "results cache set failed");
                    }
                }
            }
            this.pending.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

/// The backend key of a logical key: 128 bits of hash in hex, short and plain enough for
/// memcached (at most 250 bytes, no spaces). Entries hold their logical key, so a
/// collision is detected and read as a miss.
fn storage_key(key: &str) -> String {
    let a = xxh64(key.as_bytes(), 0);
    let b = xxh64(key.as_bytes(), 0x9e37_79b9_7f4a_7c15);
    format!("mnemos-fe:{a:016x}{b:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InMemoryConfig;

    #[tokio::test]
    async fn values_round_trip_compressed_and_count_hits() {
        let metrics = FrontendMetrics::unregistered();
        for compression in [Compression::None, Compression::Snappy] {
            let config = CacheConfig::InMemory(InMemoryConfig {
                max_bytes: Some(1 << 20),
                max_items: None,
                validity: None,
            });
            let cache =
                ResultsCache::new("test", &config, compression, metrics.clone()).expect("cache");
            assert_eq!(cache.get("k").await, None);
            cache.put("k", Bytes::from_static(b"value value value value"));
            for _ in 0..100 {
                if cache.get("k").await.is_some() {
                    break;
                }
                tokio::task::yield_now().await;
            }
            assert_eq!(
                cache.get("k").await.as_deref(),
                Some(&b"value value value value"[..])
            );
        }
        assert!(metrics.cache_hits("test") >= 2.0);
    }

    #[test]
    fn storage_keys_are_memcached_safe() {
        let k = storage_key(&"x y\r\n".repeat(1000));
        assert!(k.len() <= 250 && !k.contains(char::is_whitespace), "{k}");
        assert_ne!(storage_key("a"), storage_key("b"));
        assert_eq!(Compression::parse("snappy"), Ok(Compression::Snappy));
        assert!(Compression::parse("zstd").is_err());
    }
}
