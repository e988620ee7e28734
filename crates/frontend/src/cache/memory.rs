//! `IN-MEMORY`: a least-recently-used cache bounded by bytes and/or entries, entries valid
//! for `validity`.

use std::sync::Mutex;
use std::time::Instant;

use bytes::Bytes;
use futures::future::BoxFuture;
use lru::LruCache;

use super::{Backend, BackendError};
use crate::config::InMemoryConfig;

struct Entry {
    value: Bytes,
    stored: Instant,
}

struct State {
    lru: LruCache<String, Entry>,
    bytes: u64,
}

/// The in-memory backend.
pub struct MemoryBackend {
    config: InMemoryConfig,
    state: Mutex<State>,
}

impl MemoryBackend {
    /// An empty cache.
    pub fn new(config: &InMemoryConfig) -> Self {
        Self {
            config: config.clone(),
            state: Mutex::new(State {
                lru: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    fn cost(key: &str, value: &Bytes) -> u64 {
        (key.len() + value.len()) as u64
    }

    fn lookup(&self, key: &str) -> Option<Bytes> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let entry = state.lru.get(key)?;
        if self
            .config
            .validity
            .is_some_and(|v| entry.stored.elapsed() > v)
        {
            if let Some(old) = state.lru.pop(key) {
                state.bytes -= Self::cost(key, &old.value);
            }
            return None;
        }
        Some(entry.value.clone())
    }

    fn insert(&self, key: &str, value: Bytes) {
        let cost = Self::cost(key, &value);
        if self.config.max_bytes.is_some_and(|max| cost > max) {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = state.lru.pop(key) {
            state.bytes -= Self::cost(key, &old.value);
        }
        state.bytes += cost;
        state.lru.put(
            key.to_string(),
            Entry {
                value,
                stored: Instant::now(),
            },
        );
        loop {
            let over_bytes = self.config.max_bytes.is_some_and(|max| state.bytes > max);
            let over_items = self
                .config
                .max_items
                .is_some_and(|max| state.lru.len() > max);
            if !(over_bytes || over_items) {
                break;
            }
            match state.lru.pop_lru() {
                Some((k, e)) => state.bytes -= Self::cost(&k, &e.value),
                None => break,
            }
        }
    }
}

impl Backend for MemoryBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, BackendError>> {
        Box::pin(async move { Ok(self.lookup(key)) })
    }

    fn set<'a>(&'a self, key: &'a str, value: Bytes) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.insert(key, value);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cache(max_bytes: Option<u64>, max_items: Option<usize>) -> MemoryBackend {
        MemoryBackend::new(&InMemoryConfig {
            max_bytes,
            max_items,
            validity: None,
        })
    }

    #[test]
    fn evicts_least_recently_used_by_bytes_and_items() {
        let c = cache(Some(30), None);
        c.insert("a", Bytes::from(vec![0; 10]));
        c.insert("b", Bytes::from(vec![0; 10]));
        assert!(c.lookup("a").is_some(), "a is now the most recent");
        c.insert("c", Bytes::from(vec![0; 10]));
        assert!(c.lookup("b").is_none(), "b was least recently used");
        assert!(c.lookup("a").is_some() && c.lookup("c").is_some());
        c.insert("huge", Bytes::from(vec![0; 100]));
        assert!(c.lookup("huge").is_none(), "larger than the whole cache");

        let c = cache(None, Some(2));
        for k in ["a", "b", "c"] {
            c.insert(k, Bytes::from_static(b"v"));
        }
        assert!(c.lookup("a").is_none() && c.lookup("c").is_some());
        c.insert("c", Bytes::from_static(b"replaced"));
        assert_eq!(c.lookup("c").as_deref(), Some(&b"replaced"[..]));
        assert_eq!(c.state.lock().unwrap().bytes, (1 + 1) + (1 + 8));
    }

    #[test]
    fn entries_expire_after_validity() {
        let c = MemoryBackend::new(&InMemoryConfig {
            max_bytes: None,
            max_items: Some(10),
            validity: Some(Duration::from_millis(1)),
        });
        c.insert("a", Bytes::from_static(b"v"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(c.lookup("a").is_none());
        assert_eq!(c.state.lock().unwrap().bytes, 0);
    }
}
