//! `MEMCACHED`: keys spread over the servers by hash, a pool of idle connections per
//! server, every operation (connecting included) within `timeout`. The protocol is
//! `async-memcached`'s (text protocol `get`/`set`).

use std::sync::Mutex;
use std::time::Duration;

use async_memcached::{AsciiProtocol, Client};
use bytes::Bytes;
use futures::future::BoxFuture;
use xxhash_rust::xxh64::xxh64;

use super::{Backend, BackendError};
use crate::config::MemcachedConfig;

/// memcached reads an expiration over 30 days as a Unix time.
const MAX_RELATIVE_EXPIRATION: Duration = Duration::from_secs(30 * 24 * 3600);

struct Server {
    address: String,
    idle: Mutex<Vec<Client>>,
}

/// The memcached backend.
pub struct MemcachedBackend {
    servers: Vec<Server>,
    config: MemcachedConfig,
}

impl MemcachedBackend {
    /// A backend over `config.addresses`; connections are made when first needed.
    pub fn new(config: &MemcachedConfig) -> Self {
        Self {
            servers: config
                .addresses
                .iter()
                .map(|a| Server {
                    address: a.clone(),
                    idle: Mutex::new(Vec::new()),
                })
                .collect(),
            config: config.clone(),
        }
    }

    fn server(&self, key: &str) -> &Server {
        let n = self.servers.len().max(1) as u64;
        &self.servers[(xxh64(key.as_bytes(), 0) % n) as usize]
    }

    async fn client(&self, server: &Server) -> Result<Client, BackendError> {
        let idle = server.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(c) if !c.is_closed() => Ok(c),
            _ => Client::new(format!("tcp://{}", server.address))
                .await
                .map_err(|e| BackendError(format!("memcached {}: {e}", server.address))),
        }
    }

    fn release(&self, server: &Server, client: Client) {
        let mut idle = server.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.config.max_idle_connections && !client.is_closed() {
            idle.push(client);
        }
    }

    fn ttl_seconds(&self) -> i64 {
        let e = self.config.expiration;
        if e <= MAX_RELATIVE_EXPIRATION {
            return e.as_secs() as i64;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (now + e).as_secs() as i64
    }

    async fn within<T>(
        &self,
        server: &Server,
        op: &str,
        f: impl std::future::Future<Output = Result<T, BackendError>>,
    ) -> Result<T, BackendError> {
        tokio::time::timeout(self.config.timeout, f)
            .await
            .map_err(|_| {
                BackendError(format!(
                    "memcached {}: {op} timed out after {:?}",
                    server.address, self.config.timeout
                ))
            })?
    }
}

impl Backend for MemcachedBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, BackendError>> {
        Box::pin(async move {
            let server = self.server(key);
            self.within(server, "get", async {
                let mut client = self.client(server).await?;
                let value = client
                    .get(key)
                    .await
                    .map_err(|e| BackendError(format!("memcached {}: get: {e}", server.address)))?;
                self.release(server, client);
                Ok(value.and_then(|v| v.data).map(Bytes::from))
            })
            .await
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: Bytes) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            if value.len() as u64 > self.config.max_item_size {
                return Ok(());
            }
            let server = self.server(key);
            self.within(server, "set", async {
                let mut client = self.client(server).await?;
                client
                    .set(key, &value[..], Some(self.ttl_seconds()), None)
                    .await
                    .map_err(|e| BackendError(format!("memcached {}: set: {e}", server.address)))?;
                self.release(server, client);
                Ok(())
            })
            .await
        })
    }
}
