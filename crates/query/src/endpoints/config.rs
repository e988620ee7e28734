//! The endpoint configuration of Thanos' `--endpoint.sd-config(-file)`: a YAML list of
//! endpoints, each with its own gRPC client settings.
//!
//! ```yaml
//! endpoints:
//!   - address: store.eu.example:10901        # host:port, dns+host:port or dnssrv+name
//!     strict: false
//!     grpc_client_config:
//!       server_name: store.eu.example
//!       tls_config: {enabled: true, ca_file: ca.pem, cert_file: c.pem, key_file: c.key}
//! ```
//!
//! An entry with no TLS settings uses the `--grpc-client-tls-*` flags; one with
//! `enabled: true` uses its own. Unlike Thanos, an
//! entry's TLS also covers the addresses a `dns+`/`dnssrv+` name resolves to, and an entry
//! that names TLS files or a server name without `enabled: true` is an error (Thanos
//! silently dials it in plain text). `group: true` makes the entry one endpoint whose calls
//! go round-robin over the addresses its name resolves to (Thanos' endpoint groups, for HA
//! replicas of a querier). Service configs and snappy compression are not implemented and
//! are refused.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mnemos_tls::ClientTlsSpec;
use serde::Deserialize;

use crate::endpoints::EndpointSpec;
use crate::{Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigYaml {
    #[serde(default)]
    endpoints: Vec<EntryYaml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryYaml {
    address: String,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    group: bool,
    #[serde(default)]
    service_config: String,
    #[serde(default)]
    grpc_client_config: ClientYaml,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientYaml {
    #[serde(default)]
    tls_config: TlsYaml,
    #[serde(default)]
    server_name: String,
    #[serde(default)]
    compression_type: String,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsYaml {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    insecure_skip_verify: bool,
    #[serde(default)]
    cert_file: String,
    #[serde(default)]
    key_file: String,
    #[serde(default)]
    ca_file: String,
}

/// How an endpoint is dialled.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Transport {
    /// As the `--grpc-client-tls-*` flags say (an entry without TLS settings).
    Global,
    /// TLS with these settings.
    Tls(ClientTlsSpec),
}

/// An endpoint to resolve and dial.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// Where it is.
    pub spec: EndpointSpec,
    /// How to dial it.
    pub transport: Transport,
    /// An endpoint group: one endpoint over every address `spec` resolves to, called
    /// round-robin (`--endpoint-group`), instead of one endpoint per address.
    pub group: bool,
}

impl Target {
    /// A target dialled as the flags say (`--endpoint`, file SD).
    pub fn global(spec: EndpointSpec) -> Self {
        Self {
            spec,
            transport: Transport::Global,
            group: false,
        }
    }

    /// An endpoint group dialled as the flags say (`--endpoint-group`).
    pub fn group(spec: EndpointSpec) -> Self {
        Self {
            group: true,
            ..Self::global(spec)
        }
    }
}

/// Parses the YAML of an endpoint configuration.
pub fn parse(yaml: &str, source_name: &str) -> Result<Vec<Target>> {
    let fail = |reason: String| Error::EndpointConfig {
        source_name: source_name.to_string(),
        reason,
    };
    if yaml.trim().is_empty() {
        return Ok(Vec::new());
    }
    let config: ConfigYaml = serde_yaml_ng::from_str(yaml).map_err(|e| fail(e.to_string()))?;
    config
        .endpoints
        .into_iter()
        .map(|entry| {
            let address = entry.address.clone();
            target(entry).map_err(|reason| fail(format!("endpoint {address:?}: {reason}")))
        })
        .collect()
}

fn target(entry: EntryYaml) -> std::result::Result<Target, String> {
    let spec = EndpointSpec::parse(&entry.address).map_err(|e| e.to_string())?;
    if !entry.service_config.is_empty() {
        return Err(
            "service_config is not implemented (a group's calls go round-robin over its \
             addresses that answer)"
                .to_string(),
        );
    }
    if entry.strict && !entry.group && !matches!(spec, EndpointSpec::Static(_)) {
        return Err(
            "a strict endpoint must be a static host:port, not a DNS-discovered one".to_string(),
        );
    }
    let client = entry.grpc_client_config;
    match client.compression_type.as_str() {
        "" | "none" => {}
        "snappy" => return Err("snappy compression is not implemented".to_string()),
        other => {
            return Err(format!(
                "invalid compression {other:?}: must be none or snappy"
            ))
        }
    }
    let tls = client.tls_config;
    let settings_given = !tls.cert_file.is_empty()
        || !tls.key_file.is_empty()
        || !tls.ca_file.is_empty()
        || !client.server_name.is_empty()
        || tls.insecure_skip_verify;
    let transport = if tls.enabled {
        Transport::Tls(ClientTlsSpec::from_settings(
            tls.ca_file,
            tls.cert_file,
            tls.key_file,
            client.server_name,
            tls.insecure_skip_verify,
            b"h2",
        ))
    } else if settings_given {
        return Err(
            "TLS files, server_name or insecure_skip_verify are given but tls_config.enabled \
             is false: set enabled: true (mnemos does not dial such an endpoint in plain text)"
                .to_string(),
        );
    } else {
        Transport::Global
    };
    Ok(Target {
        spec,
        transport,
        group: entry.group,
    })
}

/// Where the endpoint configuration comes from, reread from its file every
/// `--endpoint.sd-config-reload-interval`.
#[derive(Debug)]
pub enum ConfigSource {
    /// `--endpoint.sd-config-file`.
    File {
        /// The file.
        path: PathBuf,
        /// How often it is reread.
        reload_interval: Duration,
        /// When it was last read, and its targets then.
        last: Option<(Instant, Vec<Target>)>,
    },
    /// `--endpoint.sd-config`: given once.
    Inline(Vec<Target>),
}

impl ConfigSource {
    /// The configuration in `path`, read now (an error is a startup error).
    pub fn file(path: PathBuf, reload_interval: Duration) -> Result<Self> {
        let mut source = Self::File {
            path,
            reload_interval,
            last: None,
        };
        if let Some(e) = source.poll().1 {
            return Err(e);
        }
        Ok(source)
    }

    /// The configuration given inline.
    pub fn inline(yaml: &str) -> Result<Self> {
        Ok(Self::Inline(parse(yaml, "--endpoint.sd-config")?))
    }

    /// The targets now: a file is reread when its reload interval passed; a file that fails
    /// to read or parse keeps its previous targets, and the error is returned alongside.
    pub fn poll(&mut self) -> (Vec<Target>, Option<Error>) {
        match self {
            Self::Inline(targets) => (targets.clone(), None),
            Self::File {
                path,
                reload_interval,
                last,
            } => {
                if let Some((read, targets)) = last {
                    if read.elapsed() < *reload_interval {
                        return (targets.clone(), None);
                    }
                }
                let name = path.display().to_string();
                let read = std::fs::read_to_string(&*path)
                    .map_err(|e| Error::EndpointConfig {
                        source_name: name.clone(),
                        reason: e.to_string(),
                    })
                    .and_then(|yaml| parse(&yaml, &name));
                match read {
                    Ok(targets) => {
                        *last = Some((Instant::now(), targets.clone()));
                        (targets, None)
                    }
                    Err(e) => {
                        let kept = last.as_ref().map(|(_, t)| t.clone()).unwrap_or_default();
                        if let Some((at, _)) = last {
                            *at = Instant::now();
                        }
                        (kept, Some(e))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanos_endpoint_config() {
        let yaml = r#"
endpoints:
  - address: 127.0.0.1:10901
    strict: true
  - address: dns+store.svc:10901
    grpc_client_config:
      server_name: store.example
      tls_config:
        enabled: true
        ca_file: /etc/tls/ca.pem
        cert_file: /etc/tls/c.pem
        key_file: /etc/tls/c.key
  - address: 10.0.0.1:10901
    grpc_client_config:
      compression_type: none
"#;
        let targets = parse(yaml, "t").expect("parses");
        assert_eq!(targets[0].transport, Transport::Global);
        assert_eq!(
            targets[1].transport,
            Transport::Tls(ClientTlsSpec {
                ca_file: Some("/etc/tls/ca.pem".into()),
                cert_file: Some("/etc/tls/c.pem".into()),
                key_file: Some("/etc/tls/c.key".into()),
                server_name: Some("store.example".into()),
                insecure_skip_verify: false,
                alpn: vec![b"h2".to_vec()],
            })
        );
        assert_eq!(targets[2].transport, Transport::Global);
        assert!(targets.iter().all(|t| !t.group));
        assert!(parse("", "t").expect("empty").is_empty());
        let group = parse(
            "endpoints:\n- address: dns+query.eu:10901\n  group: true\n  strict: true\n",
            "t",
        )
        .expect("a strict DNS group");
        assert!(group[0].group);
    }

    #[test]
    fn what_is_refused_is_named() {
        for (yaml, expect) in [
            (
                "endpoints:\n- address: a:1\n  group: true\n  service_config: '{}'\n",
                "service_config",
            ),
            ("endpoints:\n- address: dns+a:1\n  strict: true\n", "strict"),
            (
                "endpoints:\n- address: a:1\n  grpc_client_config:\n    compression_type: snappy\n",
                "snappy",
            ),
            (
                "endpoints:\n- address: a:1\n  grpc_client_config:\n    tls_config:\n      ca_file: x\n",
                "enabled",
            ),
            ("endpoints:\n- address: a:1\n  tls_config: {}\n", "unknown field"),
            ("endpoints:\n- address: nonsense\n", "nonsense"),
        ] {
            let err = parse(yaml, "cfg.yaml").expect_err(yaml).to_string();
            assert!(err.contains(expect) && err.contains("cfg.yaml"), "{yaml}: {err}");
        }
    }
}
