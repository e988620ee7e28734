//! The response cache configuration, in Thanos' YAML (`--query-range.response-cache-config`,
//! `--labels.response-cache-config`):
//!
//! ```yaml
//! type: IN-MEMORY          # or MEMCACHED, REDIS
//! config:
//!   max_size: 256MB        # IN-MEMORY: max_size and/or max_size_items, validity
//!   max_size_items: 0
//!   validity: 0s
//! ```
//!
//! Every field Thanos documents is known. A field mnemos does not apply is either refused
//! when set to something that changes behaviour (Redis TLS, Sentinel, client-side caching,
//! memcached auto discovery, DNS service discovery, circuit breakers), or reported by
//! [`CacheConfig::notes`] when it only tunes Go's connection pools (logged at startup). An
//! unknown field is an error. The Redis password never appears in errors, logs or `Debug`.

use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

/// A parsed response cache configuration.
#[derive(Clone, Debug)]
pub enum CacheConfig {
    /// An LRU cache in the frontend's memory.
    InMemory(InMemoryConfig),
    /// memcached servers.
    Memcached(MemcachedConfig),
    /// One Redis server.
    Redis(RedisConfig),
}

/// `type: IN-MEMORY`.
#[derive(Clone, Debug, PartialEq)]
pub struct InMemoryConfig {
    /// Bytes of cached values (keys and values); `None`: no byte bound.
    pub max_bytes: Option<u64>,
    /// Entries; `None`: no count bound.
    pub max_items: Option<usize>,
    /// How long an entry is valid; `None`: until evicted.
    pub validity: Option<Duration>,
}

/// `type: MEMCACHED`.
#[derive(Clone, Debug, PartialEq)]
pub struct MemcachedConfig {
    /// `host:port` of each server; keys are spread over them by hash.
    pub addresses: Vec<String>,
    /// Longest a get or set may take (connecting included).
    pub timeout: Duration,
    /// Idle connections kept per server.
    pub max_idle_connections: usize,
    /// Sets running at once in the background.
    pub max_async_concurrency: usize,
    /// Sets waiting for a turn; more are dropped (and counted).
    pub max_async_buffer_size: usize,
    /// Values larger than this are not stored.
    pub max_item_size: u64,
    /// Time to live of stored values.
    pub expiration: Duration,
}

/// `type: REDIS`.
#[derive(Clone, PartialEq)]
pub struct RedisConfig {
    /// `host:port` of the server.
    pub addr: String,
    /// ACL user name (empty: none).
    pub username: String,
    /// Password (empty: none). Never printed.
    pub password: String,
    /// Database number.
    pub db: i64,
    /// Longest a connection attempt may take.
    pub dial_timeout: Duration,
    /// Longest a command may wait for its answer.
    pub read_timeout: Duration,
    /// Sets running at once in the background.
    pub max_async_concurrency: usize,
    /// Sets waiting for a turn; more are dropped (and counted).
    pub max_async_buffer_size: usize,
    /// Time to live of stored values.
    pub expiration: Duration,
}

impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("addr", &self.addr)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "<secret>"
                },
            )
            .field("db", &self.db)
            .field("dial_timeout", &self.dial_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Thanos' default expiration of memcached and Redis entries.
const DEFAULT_EXPIRATION: Duration = Duration::from_secs(24 * 3600);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopYaml {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    config: Option<serde_yaml_ng::Value>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InMemoryYaml {
    #[serde(default)]
    max_size: Option<String>,
    #[serde(default)]
    max_size_items: Option<usize>,
    #[serde(default)]
    validity: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemcachedYaml {
    #[serde(default)]
    addresses: Vec<String>,
    #[serde(default)]
    timeout: Option<String>,
    #[serde(default)]
    max_idle_connections: Option<usize>,
    #[serde(default)]
    max_async_concurrency: Option<usize>,
    #[serde(default)]
    max_async_buffer_size: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    max_get_multi_concurrency: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    max_get_multi_batch_size: Option<usize>,
    #[serde(default)]
    max_item_size: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    dns_provider_update_interval: Option<String>,
    #[serde(default)]
    auto_discovery: bool,
    #[serde(default)]
    set_async_circuit_breaker_config: Option<CircuitBreakerYaml>,
    #[serde(default)]
    expiration: Option<String>,
}

#[derive(Default, Deserialize)]
struct CircuitBreakerYaml {
    #[serde(default)]
    enabled: bool,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedisYaml {
    #[serde(default)]
    addr: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    db: i64,
    #[serde(default)]
    dial_timeout: Option<String>,
    #[serde(default)]
    read_timeout: Option<String>,
    #[serde(default)]
    write_timeout: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    pool_size: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    min_idle_conns: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    idle_timeout: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    max_conn_age: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    max_get_multi_concurrency: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    get_multi_batch_size: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    max_set_multi_concurrency: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)] // known, without effect: CacheConfig::notes
    set_multi_batch_size: Option<usize>,
    #[serde(default)]
    tls_enabled: bool,
    #[serde(default)]
    tls_config: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    cache_size: Option<u64>,
    #[serde(default)]
    master_name: String,
    #[serde(default)]
    max_async_buffer_size: Option<usize>,
    #[serde(default)]
    max_async_concurrency: Option<usize>,
    #[serde(default)]
    set_async_circuit_breaker_config: Option<CircuitBreakerYaml>,
    #[serde(default)]
    expiration: Option<String>,
}

fn err(msg: impl Into<String>) -> Error {
    Error::CacheConfig(msg.into())
}

/// A duration field (`500ms`, `24h`); absent or `0s` is `None`.
fn duration(field: &str, v: &Option<String>) -> Result<Option<Duration>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => {
            let d =
                mnemos_tsdb::time::parse_duration(s).map_err(|e| err(format!("{field}: {e}")))?;
            Ok((!d.is_zero()).then_some(d))
        }
    }
}

/// A size field: a number of bytes or a string like `1MiB`.
fn size(field: &str, v: &serde_yaml_ng::Value) -> Result<u64> {
    match v {
        serde_yaml_ng::Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| err(format!("{field}: {n} is not a size"))),
        serde_yaml_ng::Value::String(s) => {
            mnemos_tsdb::size::parse_bytes(s).map_err(|e| err(format!("{field}: {e}")))
        }
        other => Err(err(format!("{field}: {other:?} is not a size"))),
    }
}

/// A plain `host:port`; DNS service discovery prefixes are not implemented.
fn address(field: &str, a: &str) -> Result<String> {
    let a = a.trim();
    if a.starts_with("dns+") || a.starts_with("dnssrv+") || a.starts_with("dnssrvnoa+") {
        return Err(err(format!(
            "{field}: {a}: DNS service discovery is not implemented; give host:port addresses"
        )));
    }
    let (host, port) = a
        .rsplit_once(':')
        .ok_or_else(|| err(format!("{field}: {a:?} is not host:port")))?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(err(format!("{field}: {a:?} is not host:port")));
    }
    Ok(a.to_string())
}

impl CacheConfig {
    /// Parses a configuration (YAML or JSON) as Thanos reads it.
    pub fn parse(text: &str) -> Result<Self> {
        let top: TopYaml = serde_yaml_ng::from_str(text).map_err(|e| err(e.to_string()))?;
        let config = match top.config {
            None | Some(serde_yaml_ng::Value::Null) => {
                serde_yaml_ng::Value::Mapping(Default::default())
            }
            Some(v) => v,
        };
        match top.kind.trim().to_ascii_uppercase().as_str() {
            "IN-MEMORY" => {
                let y: InMemoryYaml = serde_yaml_ng::from_value(config)
                    .map_err(|e| err(format!("IN-MEMORY config: {e}")))?;
                Self::in_memory(y)
            }
            "MEMCACHED" => {
                let y: MemcachedYaml = serde_yaml_ng::from_value(config)
                    .map_err(|e| err(format!("MEMCACHED config: {e}")))?;
                Self::memcached(y)
            }
            "REDIS" => {
                let y: RedisYaml = serde_yaml_ng::from_value(config)
                    .map_err(|e| err(format!("REDIS config: {e}")))?;
                Self::redis(y)
            }
            other => Err(err(format!(
                "type {other:?}: mnemos has IN-MEMORY, MEMCACHED and REDIS"
            ))),
        }
    }

    fn in_memory(y: InMemoryYaml) -> Result<Self> {
        let max_bytes = match y.max_size.as_deref().map(str::trim) {
            None | Some("") | Some("0") => None,
            Some(s) => {
                Some(mnemos_tsdb::size::parse_bytes(s).map_err(|e| err(format!("max_size: {e}")))?)
            }
        };
        let max_items = y.max_size_items.filter(|n| *n > 0);
        if max_bytes.is_none() && max_items.is_none() {
            // Thanos silently runs without a cache then; a configured cache that caches
            // nothing is a mistake worth stopping for.
            return Err(err(
                "IN-MEMORY: set max_size and/or max_size_items (with neither, Thanos creates no cache)",
            ));
        }
        Ok(Self::InMemory(InMemoryConfig {
            max_bytes,
            max_items,
            validity: duration("validity", &y.validity)?,
        }))
    }

    fn memcached(y: MemcachedYaml) -> Result<Self> {
        if y.auto_discovery {
            return Err(err("MEMCACHED auto_discovery is not implemented"));
        }
        if y.set_async_circuit_breaker_config
            .is_some_and(|c| c.enabled)
        {
            return Err(err(
                "MEMCACHED set_async_circuit_breaker_config is not implemented",
            ));
        }
        if y.addresses.is_empty() {
            return Err(err("MEMCACHED: addresses is empty"));
        }
        let addresses = y
            .addresses
            .iter()
            .map(|a| address("MEMCACHED addresses", a))
            .collect::<Result<Vec<_>>>()?;
        let max_item_size = match &y.max_item_size {
            None => 1 << 20,
            Some(v) => match size("max_item_size", v)? {
                0 => 1 << 20,
                n => n,
            },
        };
        Ok(Self::Memcached(MemcachedConfig {
            addresses,
            timeout: duration("timeout", &y.timeout)?.unwrap_or(Duration::from_millis(500)),
            max_idle_connections: y.max_idle_connections.filter(|n| *n > 0).unwrap_or(100),
            max_async_concurrency: y.max_async_concurrency.filter(|n| *n > 0).unwrap_or(20),
            max_async_buffer_size: y.max_async_buffer_size.filter(|n| *n > 0).unwrap_or(10_000),
            max_item_size,
            expiration: duration("expiration", &y.expiration)?.unwrap_or(DEFAULT_EXPIRATION),
        }))
    }

    fn redis(y: RedisYaml) -> Result<Self> {
        if y.tls_enabled || y.tls_config.is_some() {
            return Err(err(
                "REDIS tls_enabled/tls_config: TLS to Redis is not implemented",
            ));
        }
        if !y.master_name.trim().is_empty() {
            return Err(err("REDIS master_name: Redis Sentinel is not implemented"));
        }
        if y.cache_size.unwrap_or(0) > 0 {
            return Err(err(
                "REDIS cache_size: client-side caching is not implemented",
            ));
        }
        if y.set_async_circuit_breaker_config
            .is_some_and(|c| c.enabled)
        {
            return Err(err(
                "REDIS set_async_circuit_breaker_config is not implemented",
            ));
        }
        if y.addr.contains(',') {
            return Err(err(format!(
                "REDIS addr {:?}: Redis Cluster (several addresses) is not implemented",
                y.addr
            )));
        }
        if y.addr.trim().is_empty() {
            return Err(err("REDIS: addr is empty"));
        }
        let read_timeout = duration("read_timeout", &y.read_timeout)?;
        let write_timeout = duration("write_timeout", &y.write_timeout)?;
        Ok(Self::Redis(RedisConfig {
            addr: address("REDIS addr", &y.addr)?,
            username: y.username,
            password: y.password,
            db: y.db,
            dial_timeout: duration("dial_timeout", &y.dial_timeout)?
                .unwrap_or(Duration::from_secs(5)),
            // One deadline per command: the longer of Thanos' read and write timeouts.
            read_timeout: read_timeout
                .max(write_timeout)
                .unwrap_or(Duration::from_secs(3)),
            max_async_concurrency: y.max_async_concurrency.filter(|n| *n > 0).unwrap_or(20),
            max_async_buffer_size: y.max_async_buffer_size.filter(|n| *n > 0).unwrap_or(10_000),
            expiration: duration("expiration", &y.expiration)?.unwrap_or(DEFAULT_EXPIRATION),
        }))
    }

    /// Fields of `text` that only tune Go's client pools and have no effect in mnemos (one
    /// multiplexed Redis connection; memcached gets of one key each), to log at startup.
    pub fn notes(text: &str) -> Vec<String> {
        let Ok(top) = serde_yaml_ng::from_str::<TopYaml>(text) else {
            return Vec::new();
        };
        let Some(serde_yaml_ng::Value::Mapping(fields)) = top.config else {
            return Vec::new();
        };
        let inert: &[&str] = match top.kind.trim().to_ascii_uppercase().as_str() {
            "MEMCACHED" => &[
                "max_get_multi_concurrency",
                "max_get_multi_batch_size",
                "dns_provider_update_interval",
            ],
            "REDIS" => &[
                "pool_size",
                "min_idle_conns",
                "idle_timeout",
                "max_conn_age",
                "max_get_multi_concurrency",
                "get_multi_batch_size",
                "max_set_multi_concurrency",
                "set_multi_batch_size",
            ],
            _ => &[],
        };
        fields
            .keys()
            .filter_map(|k| k.as_str())
            .filter(|k| inert.contains(k))
            .map(str::to_string)
            .collect()
    }

    /// The backend's name for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InMemory(_) => "in-memory",
            Self::Memcached(_) => "memcached",
            Self::Redis(_) => "redis",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_as_thanos_documents_it() {
        let c = CacheConfig::parse(
            "type: IN-MEMORY\nconfig:\n  max_size: 256MB\n  max_size_items: 0\n  validity: 6h\n",
        )
        .expect("parses");
        let CacheConfig::InMemory(m) = c else {
            panic!("in memory")
        };
        assert_eq!(m.max_bytes, Some(256 << 20));
        assert_eq!(m.max_items, None);
        assert_eq!(m.validity, Some(Duration::from_secs(6 * 3600)));
        let e = CacheConfig::parse("type: in-memory\nconfig: {}\n").unwrap_err();
        assert!(e.to_string().contains("max_size"), "{e}");
    }

    #[test]
    fn memcached_defaults_and_refusals() {
        let c = CacheConfig::parse(
            "type: MEMCACHED\nconfig:\n  addresses: [127.0.0.1:11211]\n  max_item_size: 2MiB\n",
        )
        .expect("parses");
        let CacheConfig::Memcached(m) = c else {
            panic!("memcached")
        };
        assert_eq!(m.addresses, ["127.0.0.1:11211"]);
        assert_eq!(m.timeout, Duration::from_millis(500));
        assert_eq!(m.max_item_size, 2 << 20);
        assert_eq!(m.expiration, DEFAULT_EXPIRATION);
        for (yaml, want) in [
            (
                "type: MEMCACHED\nconfig: {addresses: []}",
                "addresses is empty",
            ),
            (
                "type: MEMCACHED\nconfig: {addresses: ['dns+cache:11211']}",
                "DNS service discovery",
            ),
            (
                "type: MEMCACHED\nconfig: {addresses: [a:1], auto_discovery: true}",
                "auto_discovery",
            ),
            (
                "type: MEMCACHED\nconfig: {addresses: [a:1], bogus: 1}",
                "unknown field",
            ),
            ("type: FIFO\n", "IN-MEMORY, MEMCACHED and REDIS"),
        ] {
            let e = CacheConfig::parse(yaml).unwrap_err().to_string();
            assert!(e.contains(want), "{yaml}: {e}");
        }
        assert_eq!(
            CacheConfig::notes(
                "type: MEMCACHED\nconfig: {addresses: [a:1], max_get_multi_batch_size: 5}"
            ),
            ["max_get_multi_batch_size"]
        );
    }

    #[test]
    fn redis_password_is_never_printed() {
        let c = CacheConfig::parse(
            "type: REDIS\nconfig:\n  addr: 127.0.0.1:6379\n  password: hunter2\n  db: 3\n  read_timeout: 1s\n  write_timeout: 2s\n",
        )
        .expect("parses");
        let CacheConfig::Redis(r) = &c else {
            panic!("redis")
        };
        assert_eq!(r.db, 3);
        assert_eq!(r.read_timeout, Duration::from_secs(2));
        assert!(!format!("{c:?}").contains("hunter2"));
        for (yaml, want) in [
            (
                "type: REDIS\nconfig: {addr: 'a:1', tls_enabled: true}",
                "TLS",
            ),
            (
                "type: REDIS\nconfig: {addr: 'a:1', master_name: m}",
                "Sentinel",
            ),
            ("type: REDIS\nconfig: {addr: 'a:1,b:2'}", "Cluster"),
            (
                "type: REDIS\nconfig: {addr: 'a:1', cache_size: 10}",
                "client-side",
            ),
        ] {
            let e = CacheConfig::parse(yaml).unwrap_err().to_string();
            assert!(e.contains(want), "{yaml}: {e}");
        }
    }
}
