//! `REDIS`: one multiplexed connection to one server (the `redis` crate's connection
//! manager: connects lazily, reconnects on failure), every command within `read_timeout`,
//! values stored with `SET … PX <expiration>`.

use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};
use tokio::sync::OnceCell;

use super::{Backend, BackendError};
use crate::config::RedisConfig;

/// The Redis backend.
pub struct RedisBackend {
    client: redis::Client,
    manager: OnceCell<ConnectionManager>,
    config: RedisConfig,
}

impl RedisBackend {
    /// A backend for `config`; nothing is dialled until the first command.
    pub fn new(config: &RedisConfig) -> Result<Self, crate::Error> {
        let bad = |e: String| crate::Error::CacheConfig(format!("REDIS addr {}: {e}", config.addr));
        let (host, port) = config
            .addr
            .rsplit_once(':')
            .ok_or_else(|| bad("not host:port".into()))?;
        let port: u16 = port.parse().map_err(|_| bad("bad port".into()))?;
        let mut redis = RedisConnectionInfo::default().set_db(config.db);
        if !config.username.is_empty() {
            redis = redis.set_username(&config.username);
        }
        if !config.password.is_empty() {
            redis = redis.set_password(&config.password);
        }
        let info = ConnectionAddr::Tcp(host.trim_matches(['[', ']']).to_string(), port)
            .into_connection_info()
            .map_err(|e| bad(e.to_string()))?
            .set_redis_settings(redis);
        let client = redis::Client::open(info).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            client,
            manager: OnceCell::new(),
            config: config.clone(),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, BackendError> {
        let manager = self
            .manager
            .get_or_try_init(|| async {
                let options = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.config.dial_timeout))
                    .set_response_timeout(Some(self.config.read_timeout))
                    .set_number_of_retries(1);
                tokio::time::timeout(
                    self.config.dial_timeout + self.config.read_timeout,
                    ConnectionManager::new_with_config(self.client.clone(), options),
                )
                .await
                .map_err(|_| self.error("connect", "timed out"))?
                .map_err(|e| self.error("connect", e))
            })
            .await?;
        Ok(manager.clone())
    }

    fn error(&self, op: &str, e: impl std::fmt::Display) -> BackendError {
        BackendError(format!("redis {}: {op}: {e}", self.config.addr))
    }

    fn deadline(&self) -> Duration {
        self.config.read_timeout + Duration::from_millis(100)
    }
}

impl Backend for RedisBackend {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Bytes>, BackendError>> {
        Box::pin(async move {
            let mut conn = self.connection().await?;
            let value: Option<Vec<u8>> = tokio::time::timeout(
                self.deadline(),
                redis::cmd("GET").arg(key).query_async(&mut conn),
            )
            .await
            .map_err(|_| self.error("get", "timed out"))?
            .map_err(|e| self.error("get", e))?;
            Ok(value.map(Bytes::from))
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: Bytes) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            let mut conn = self.connection().await?;
            let ms = self.config.expiration.as_millis().max(1) as u64;
            let () = tokio::time::timeout(
                self.deadline(),
                redis::cmd("SET")
                    .arg(key)
                    .arg(&value[..])
                    .arg("PX")
                    .arg(ms)
                    .query_async(&mut conn),
            )
            .await
            .map_err(|_| self.error("set", "timed out"))?
            .map_err(|e| self.error("set", e))?;
            Ok(())
        })
    }
}
