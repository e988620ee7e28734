//! A byte-bounded LRU cache of byte ranges of bucket objects. Entries are the ranges that
//! were fetched (often several merged requests); a lookup is served when one cached range
//! contains the requested one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

/// Identifies an object: block, file kind and number (index = 0, segment N = N).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileKey {
    /// Block id.
    pub block: ulid::Ulid,
    /// 0 for the index, N for chunk segment N (1-based).
    pub file: u32,
}

/// Counters of one cache.
#[derive(Clone, Debug, Default)]
pub struct CacheMetrics {
    /// Lookups served from the cache.
    pub hits: Counter,
    /// Lookups not served.
    pub misses: Counter,
    /// Bytes held.
    pub bytes: Gauge,
    /// Entries evicted.
    pub evictions: Counter,
}

struct Entry {
    data: Bytes,
    tick: u64,
}

#[derive(Default)]
struct Inner {
    files: HashMap<FileKey, BTreeMap<u64, Entry>>,
    /// tick -> (file, start): least recently used first.
    lru: BTreeMap<u64, (FileKey, u64)>,
    used: usize,
    tick: u64,
}

/// The cache; cheap to clone.
#[derive(Clone)]
pub struct RangeCache {
    inner: Arc<Mutex<Inner>>,
    capacity: usize,
    metrics: CacheMetrics,
}

impl RangeCache {
    /// A cache holding at most `capacity` bytes (0 disables it).
    pub fn new(capacity: usize, metrics: CacheMetrics) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner::default())),
            capacity,
            metrics,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes `[offset, offset + len)` of `file`, if a cached range holds them.
    pub fn get(&self, file: FileKey, offset: u64, len: usize) -> Option<Bytes> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let found = inner.files.get_mut(&file).and_then(|ranges| {
            let (start, entry) = ranges.range_mut(..=offset).next_back()?;
            let from = usize::try_from(offset - start).ok()?;
            let end = from.checked_add(len).filter(|e| *e <= entry.data.len())?;
            let old = entry.tick;
            entry.tick = tick;
            Some((*start, old, entry.data.slice(from..end)))
        });
        match found {
            Some((start, old, data)) => {
                inner.lru.remove(&old);
                inner.lru.insert(tick, (file, start));
                self.metrics.hits.inc();
                Some(data)
            }
            None => {
                self.metrics.misses.inc();
                None
            }
        }
    }

    /// Caches `data` as the bytes of `file` starting at `offset`, evicting the least
    /// recently used ranges beyond capacity. Ranges larger than the capacity are not cached.
    pub fn insert(&self, file: FileKey, offset: u64, data: Bytes) {
        if data.len() > self.capacity / 2 || data.is_empty() {
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let size = data.len();
        let previous = inner
            .files
            .entry(file)
            .or_default()
            .insert(offset, Entry { data, tick });
        if let Some(prev) = previous {
            inner.lru.remove(&prev.tick);
            inner.used -= prev.data.len();
        }
        inner.lru.insert(tick, (file, offset));
        inner.used += size;
        while inner.used > self.capacity {
            let Some((_, (f, start))) = inner.lru.pop_first() else {
                break;
            };
            let mut freed = 0;
            let mut now_empty = false;
            if let Some(ranges) = inner.files.get_mut(&f) {
                if let Some(e) = ranges.remove(&start) {
                    freed = e.data.len();
                    self.metrics.evictions.inc();
                }
                now_empty = ranges.is_empty();
            }
            if now_empty {
                inner.files.remove(&f);
            }
            inner.used -= freed;
        }
        self.metrics.bytes.set(inner.used as i64);
    }

    /// Drops every range of a block (it left the bucket).
    pub fn forget_block(&self, block: ulid::Ulid) {
        let mut inner = self.lock();
        let keys: Vec<FileKey> = inner
            .files
            .keys()
            .filter(|k| k.block == block)
            .copied()
            .collect();
        for k in keys {
            if let Some(ranges) = inner.files.remove(&k) {
                for e in ranges.values() {
                    inner.used -= e.data.len();
                    inner.lru.remove(&e.tick);
                }
            }
        }
        self.metrics.bytes.set(inner.used as i64);
    }

    /// Bytes held.
    pub fn used(&self) -> usize {
        self.lock().used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> FileKey {
        FileKey {
            block: ulid::Ulid::nil(),
            file: n,
        }
    }

    #[test]
    fn serves_contained_ranges_and_evicts_lru() {
        let cache = RangeCache::new(100, CacheMetrics::default());
        cache.insert(key(0), 10, Bytes::from(vec![1u8; 40]));
        assert_eq!(cache.get(key(0), 20, 10).map(|b| b.len()), Some(10));
        assert!(cache.get(key(0), 45, 10).is_none(), "crosses the end");
        assert!(cache.get(key(0), 5, 10).is_none(), "starts before");
        assert!(cache.get(key(1), 20, 10).is_none(), "other file");
        assert!(cache.get(key(0), 20, usize::MAX).is_none(), "huge length");
        assert!(cache.get(key(0), u64::MAX, 1).is_none(), "huge offset");
        cache.insert(key(1), 0, Bytes::from(vec![2u8; 40]));
        // Touch key(0) so key(1) is the least recently used.
        assert!(cache.get(key(0), 10, 1).is_some());
        cache.insert(key(2), 0, Bytes::from(vec![3u8; 40]));
        assert_eq!(cache.used(), 80);
        assert!(cache.get(key(1), 0, 1).is_none(), "evicted");
        assert!(cache.get(key(0), 10, 1).is_some());
        assert_eq!(cache.metrics.evictions.get(), 1);
        cache.forget_block(ulid::Ulid::nil());
        assert_eq!(cache.used(), 0);
    }

    #[test]
    fn oversized_ranges_are_not_cached() {
        let cache = RangeCache::new(100, CacheMetrics::default());
        cache.insert(key(0), 0, Bytes::from(vec![0u8; 60]));
        assert_eq!(cache.used(), 0);
    }
}
