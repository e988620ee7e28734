//! `http_config` of the S3, GCS and Azure providers (Thanos' `exthttp.HTTPConfig`) turned into
//! the `object_store` client's options. Applied: `idle_conn_timeout` (pool idle timeout),
//! `response_header_timeout` (read timeout: no byte for that long fails the request, which is
//! retried), `max_idle_conns_per_host`, `insecure_skip_verify` (both places), and
//! `tls_config.ca_file` (trusted in addition to the system roots). Accepted and reported as
//! not applied, because the client has no such knob and leaving it out cannot make storage
//! less safe: `tls_handshake_timeout` (the 5 s connect timeout covers the handshake),
//! `expect_continue_timeout`, `max_idle_conns`, `max_conns_per_host`, `disable_compression`
//! (the client never compresses). Refused with an error naming the key: a
//! `tls_config.server_name` other than the endpoint's host (the client cannot verify the
//! server under another name).
//! Values never appear in errors.

use std::collections::BTreeMap;
use std::time::Duration;

use object_store::{Certificate, ClientOptions};
use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::client_cert::ClientCertConnector;
use crate::error::{Error, Result};

/// Connect timeout of every bucket client (TCP and TLS handshake).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest time one HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// `http_config`: connection settings of a bucket's HTTP client (names as in Thanos).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// How long an idle pooled connection is kept (`90s`, `1m30s`…).
    pub idle_conn_timeout: Option<Value>,
    /// How long to wait for bytes of an answer; applied as the client's read timeout.
    pub response_header_timeout: Option<Value>,
    /// TLS handshake timeout (not applied: the connect timeout covers it).
    pub tls_handshake_timeout: Option<Value>,
    /// `Expect: 100-continue` wait (not applied: the client does not send it).
    pub expect_continue_timeout: Option<Value>,
    /// Idle connections kept in total (not applied: the pool is per host).
    pub max_idle_conns: Option<Value>,
    /// Idle connections kept per host.
    pub max_idle_conns_per_host: Option<Value>,
    /// Connection limit per host (not applied: no such limit in the client).
    pub max_conns_per_host: Option<Value>,
    /// Disable transparent compression (not applied: the client never compresses).
    pub disable_compression: Option<Value>,
    /// Accept any server certificate (insecure; logged as a warning).
    pub insecure_skip_verify: bool,
    /// TLS settings.
    #[serde(deserialize_with = "crate::config::null_as_default")]
    pub tls_config: TlsConfig,
    /// Keys Thanos' `http_config` does not have (each one is an error).
    #[serde(flatten)]
    unknown: BTreeMap<String, Value>,
}

/// `http_config.tls_config` (Prometheus' TLS config names).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TlsConfig {
    /// PEM file of CA certificates to trust (in addition to the system roots).
    pub ca_file: String,
    /// PEM file of the client certificate (chain) to present; with `key_file`.
    pub cert_file: String,
    /// PEM file of the client certificate's private key.
    pub key_file: String,
    /// Server name to verify; only the endpoint's own host is accepted.
    pub server_name: String,
    /// Accept any server certificate (insecure; logged as a warning).
    pub insecure_skip_verify: bool,
    /// Keys a TLS config does not have (each one is an error).
    #[serde(flatten)]
    unknown: BTreeMap<String, Value>,
}

impl HttpConfig {
    /// Checks the settings without touching files: unknown keys, durations, numbers, and
    /// what mnemos refuses. Returns the keys accepted but not applied (their full paths).
    pub(crate) fn check(&self) -> Result<Vec<String>> {
        const PATH: &str = "config.http_config";
        if let Some(key) = self.unknown.keys().next() {
            return Err(config_error(format!(
                "{PATH}.{key} is not a key of http_config"
            )));
        }
        if let Some(key) = self.tls_config.unknown.keys().next() {
            return Err(config_error(format!(
                "{PATH}.tls_config.{key} is not a key of tls_config"
            )));
        }
        for (name, value) in [
            ("idle_conn_timeout", &self.idle_conn_timeout),
            ("response_header_timeout", &self.response_header_timeout),
            ("tls_handshake_timeout", &self.tls_handshake_timeout),
            ("expect_continue_timeout", &self.expect_continue_timeout),
        ] {
            duration_of(name, value)?;
        }
        for (name, value) in [
            ("max_idle_conns", &self.max_idle_conns),
            ("max_idle_conns_per_host", &self.max_idle_conns_per_host),
            ("max_conns_per_host", &self.max_conns_per_host),
        ] {
            count_of(name, value)?;
        }
        if !matches!(self.disable_compression, None | Some(Value::Bool(_))) {
            return Err(config_error(format!(
                "{PATH}.disable_compression must be true or false"
            )));
        }
        if self.tls_config.cert_file.is_empty() != self.tls_config.key_file.is_empty() {
            return Err(config_error(format!(
                "{PATH}.tls_config.cert_file and {PATH}.tls_config.key_file must be set together"
            )));
        }
        let mut not_applied = Vec::new();
        for (name, set) in [
            (
                "tls_handshake_timeout",
                self.tls_handshake_timeout.is_some(),
            ),
            (
                "expect_continue_timeout",
                self.expect_continue_timeout.is_some(),
            ),
            ("max_idle_conns", self.max_idle_conns.is_some()),
            ("max_conns_per_host", self.max_conns_per_host.is_some()),
            ("disable_compression", self.disable_compression.is_some()),
        ] {
            if set {
                not_applied.push(format!("{PATH}.{name}"));
            }
        }
        Ok(not_applied)
    }

    /// The client options of a bucket whose endpoint host is `host`, and the connector that
    /// presents the client certificate when one is configured (reads the TLS files).
    pub(crate) fn client(
        &self,
        host: &str,
    ) -> Result<(ClientOptions, Option<ClientCertConnector>)> {
        let tls = &self.tls_config;
        if !tls.server_name.is_empty() && !tls.server_name.eq_ignore_ascii_case(host) {
            return Err(config_error(
                "config.http_config.tls_config.server_name differs from the endpoint's host, \
                 and mnemos cannot verify the server under another name; remove it or set \
                 the endpoint to that name"
                    .to_string(),
            ));
        }
        let mut options = ClientOptions::new()
            .with_connect_timeout(CONNECT_TIMEOUT)
            .with_timeout(REQUEST_TIMEOUT);
        // Zero means "no limit" and "the default" in Go; the client keeps its defaults then.
        if let Some(idle) =
            duration_of("idle_conn_timeout", &self.idle_conn_timeout)?.filter(|d| !d.is_zero())
        {
            options = options.with_pool_idle_timeout(idle);
        }
        if let Some(read) = duration_of("response_header_timeout", &self.response_header_timeout)?
            .filter(|d| !d.is_zero())
        {
            options = options.with_read_timeout(read);
        }
        if let Some(n) =
            count_of("max_idle_conns_per_host", &self.max_idle_conns_per_host)?.filter(|n| *n > 0)
        {
            options = options.with_pool_max_idle_per_host(n);
        }
        let ca = read_tls_file("ca_file", &tls.ca_file)?;
        if let Some(pem) = &ca {
            let certs = Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|c| !c.is_empty());
            let Some(certs) = certs else {
                return Err(config_error(
                    "config.http_config.tls_config.ca_file holds no PEM certificate".to_string(),
                ));
            };
            for cert in certs {
                options = options.with_root_certificate(cert);
            }
        }
        if self.insecure_skip_verify || tls.insecure_skip_verify {
            tracing::warn!(
                "objstore config: insecure_skip_verify is set: the server's TLS certificate \
                 is not verified"
            );
            options = options.with_allow_invalid_certificates(true);
        }
        let connector = match (
            read_tls_file("cert_file", &tls.cert_file)?,
            read_tls_file("key_file", &tls.key_file)?,
        ) {
            (Some(cert), Some(key)) => Some(ClientCertConnector::new(&cert, &key, ca.as_deref())?),
            _ => None,
        };
        Ok((options, connector))
    }
}

/// The content of `tls_config.<name>`, `None` when the key is empty.
fn read_tls_file(name: &str, path: &str) -> Result<Option<Vec<u8>>> {
    if path.is_empty() {
        return Ok(None);
    }
    std::fs::read(path).map(Some).map_err(|e| {
        config_error(format!(
            "config.http_config.tls_config.{name} cannot be read: {}",
            e.kind()
        ))
    })
}

fn config_error(message: String) -> Error {
    Error::Config(format!("objstore config: {message}"))
}

/// A duration key's value (`None` when unset); a string such as `1m30s` or a zero.
fn duration_of(name: &str, value: &Option<Value>) -> Result<Option<Duration>> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => mnemos_tsdb::time::parse_duration(s.trim()).ok(),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Some(Duration::ZERO),
        Some(_) => None,
    };
    parsed.map(Some).ok_or_else(|| {
        config_error(format!(
            "config.http_config.{name} is not a duration such as 90s or 1m30s"
        ))
    })
}

/// A count key's value (`None` when unset); a non-negative integer.
fn count_of(name: &str, value: &Option<Value>) -> Result<Option<usize>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                config_error(format!(
                    "config.http_config.{name} is not a non-negative integer"
                ))
            }),
        Some(_) => Err(config_error(format!(
            "config.http_config.{name} is not a non-negative integer"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ClientConfigKey;

    fn parse(yaml: &str) -> HttpConfig {
        serde_yaml_ng::from_str(yaml).expect("http_config yaml")
    }

    #[test]
    fn thanos_defaults_are_accepted_and_tuning_reported() {
        let c = parse(
            "idle_conn_timeout: 1m30s\nresponse_header_timeout: 2m\ninsecure_skip_verify: false\n\
             tls_handshake_timeout: 10s\nexpect_continue_timeout: 1s\nmax_idle_conns: 100\n\
             max_idle_conns_per_host: 100\nmax_conns_per_host: 0\ntls_config:\n  ca_file: \"\"\n  \
             cert_file: \"\"\n  key_file: \"\"\n  server_name: \"\"\n  insecure_skip_verify: false\n\
             disable_compression: false\n",
        );
        let not_applied = c.check().expect("accepted");
        assert!(not_applied.contains(&"config.http_config.tls_handshake_timeout".to_string()));
        assert!(!not_applied.iter().any(|k| k.contains("idle_conn_timeout")));
        let (options, connector) = c.client("s3.amazonaws.com").expect("options");
        assert!(connector.is_none());
        assert_eq!(
            options
                .get_config_value(&ClientConfigKey::PoolIdleTimeout)
                .as_deref(),
            Some("1m 30s")
        );
        assert_eq!(
            options
                .get_config_value(&ClientConfigKey::ReadTimeout)
                .as_deref(),
            Some("2m")
        );
        assert_eq!(
            options
                .get_config_value(&ClientConfigKey::PoolMaxIdlePerHost)
                .as_deref(),
            Some("100")
        );
        // Go's zeros (no limit, the default) leave the client's defaults alone.
        let zeros = parse("idle_conn_timeout: 0s\nmax_idle_conns_per_host: 0\n");
        let (options, _) = zeros.client("h").expect("options");
        assert_eq!(
            options.get_config_value(&ClientConfigKey::PoolIdleTimeout),
            None
        );
        assert_eq!(
            options.get_config_value(&ClientConfigKey::PoolMaxIdlePerHost),
            None
        );
    }

    #[test]
    fn a_client_certificate_pair_must_be_pem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, "not a certificate").expect("write");
        std::fs::write(&key, "SECRETKEY").expect("write");
        let c = parse(&format!(
            "tls_config:\n  cert_file: {}\n  key_file: {}\n",
            cert.display(),
            key.display()
        ));
        c.check().expect("both set");
        let err = c.client("h").expect_err("not PEM").to_string();
        assert!(err.contains("cert_file and key_file are not"), "{err}");
        assert!(
            !err.contains("SECRETKEY") && !err.contains("k.pem"),
            "{err}"
        );
    }

    #[test]
    fn refusals_name_the_key_and_never_the_value() {
        for (yaml, key) in [
            (
                "tls_config:\n  cert_file: /secret/c.pem\n",
                "tls_config.cert_file",
            ),
            (
                "tls_config:\n  key_file: /secret/k.pem\n",
                "tls_config.key_file",
            ),
            ("idle_conn_timeout: /secret/\n", "idle_conn_timeout"),
            ("max_idle_conns: /secret/\n", "max_idle_conns"),
            ("tls_config:\n  ca_fil: /secret/\n", "tls_config.ca_fil"),
            ("proxy_url: /secret/\n", "http_config.proxy_url"),
        ] {
            let err = parse(yaml).check().expect_err(yaml).to_string();
            assert!(err.contains(key), "{yaml:?}: {err}");
            assert!(!err.contains("/secret/"), "{err}");
        }
        let other_name = parse("tls_config:\n  server_name: other.example\n");
        other_name.check().expect("checked at open");
        let err = other_name
            .client("s3.example")
            .expect_err("other server name")
            .to_string();
        assert!(err.contains("tls_config.server_name"), "{err}");
        assert!(!err.contains("other.example"), "{err}");
        parse("tls_config:\n  server_name: S3.example\n")
            .client("s3.example")
            .expect("the endpoint's own name");
    }

    #[test]
    fn ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").expect("write");
        let c = parse(&format!("tls_config:\n  ca_file: {}\n", path.display()));
        let err = c.client("h").expect_err("no cert").to_string();
        assert!(err.contains("no PEM certificate"), "{err}");
        let missing = parse("tls_config:\n  ca_file: /nonexistent/ca.pem\n");
        let err = missing.client("h").expect_err("missing").to_string();
        assert!(
            err.contains("cannot be read") && !err.contains("/nonexistent"),
            "{err}"
        );
    }
}
