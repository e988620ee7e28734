//! Endpoint specifications as Thanos writes them, and their resolution to addresses.

use hickory_resolver::TokioResolver;

use crate::{Error, Result};

/// One `--endpoint` value or file SD target.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndpointSpec {
    /// `host:port`, dialled as is.
    Static(String),
    /// `dns+host:port`: every A/AAAA address of `host`, with `port`.
    Dns {
        /// The name to look up.
        host: String,
        /// The port of every address.
        port: u16,
    },
    /// `dnssrv+_grpc._tcp.name`: every SRV target and port (resolved to addresses).
    DnsSrv(String),
}

impl EndpointSpec {
    /// Parses `host:port`, `dns+host:port` or `dnssrv+name`.
    pub fn parse(spec: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidEndpoint {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let spec = spec.trim();
        if let Some(name) = spec.strip_prefix("dnssrv+") {
            if name.is_empty() {
                return Err(invalid("empty SRV name"));
            }
            return Ok(Self::DnsSrv(name.to_string()));
        }
        if let Some(rest) = spec.strip_prefix("dns+") {
            let (host, port) = split_host_port(rest).ok_or_else(|| invalid("want host:port"))?;
            return Ok(Self::Dns {
                host: host.to_string(),
                port,
            });
        }
        if spec.contains('+') && !spec.starts_with('[') {
            return Err(invalid("unknown scheme (want dns+ or dnssrv+)"));
        }
        split_host_port(spec).ok_or_else(|| invalid("want host:port"))?;
        Ok(Self::Static(spec.to_string()))
    }

    /// The `host:port` addresses this spec stands for now.
    pub async fn resolve(&self, resolver: &TokioResolver) -> Result<Vec<String>> {
        match self {
            Self::Static(addr) => Ok(vec![addr.clone()]),
            Self::Dns { host, port } => {
                let found = tokio::net::lookup_host((host.as_str(), *port))
                    .await
                    .map_err(|e| Error::Dns {
                        name: host.clone(),
                        reason: e.to_string(),
                    })?;
                let mut out: Vec<String> = found.map(|a| a.to_string()).collect();
                out.sort();
                out.dedup();
                Ok(out)
            }
            Self::DnsSrv(name) => {
                let dns = |e: &dyn std::fmt::Display| Error::Dns {
                    name: name.clone(),
                    reason: e.to_string(),
                };
                let srv = resolver
                    .srv_lookup(name.as_str())
                    .await
                    .map_err(|e| dns(&e))?;
                let mut out = Vec::new();
                for record in srv.answers() {
                    let hickory_resolver::proto::rr::RData::SRV(s) = &record.data else {
                        continue;
                    };
                    let target = s.target.to_utf8();
                    let target = target.trim_end_matches('.');
                    let addrs = tokio::net::lookup_host((target, s.port))
                        .await
                        .map_err(|e| dns(&e))?;
                    out.extend(addrs.map(|a| a.to_string()));
                }
                out.sort();
                out.dedup();
                Ok(out)
            }
        }
    }
}

impl std::fmt::Display for EndpointSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static(a) => f.write_str(a),
            Self::Dns { host, port } => write!(f, "dns+{host}:{port}"),
            Self::DnsSrv(n) => write!(f, "dnssrv+{n}"),
        }
    }
}

/// Splits `host:port` (`[v6]:port` too); `None` without a valid port or host.
fn split_host_port(s: &str) -> Option<(&str, u16)> {
    let (host, port) = s.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    (!host.is_empty()).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_thanos_endpoint_forms() {
        assert_eq!(
            EndpointSpec::parse("127.0.0.1:10901").unwrap(),
            EndpointSpec::Static("127.0.0.1:10901".into())
        );
        assert_eq!(
            EndpointSpec::parse("dns+store.svc:10901").unwrap(),
            EndpointSpec::Dns {
                host: "store.svc".into(),
                port: 10901
            }
        );
        assert_eq!(
            EndpointSpec::parse("dnssrv+_grpc._tcp.store.svc").unwrap(),
            EndpointSpec::DnsSrv("_grpc._tcp.store.svc".into())
        );
        assert_eq!(
            EndpointSpec::parse("[::1]:10901").unwrap(),
            EndpointSpec::Static("[::1]:10901".into())
        );
        for bad in [
            "store",
            "store:x",
            "dns+store",
            "dnssrv+",
            "consul+a:1",
            ":10901",
        ] {
            let err = EndpointSpec::parse(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[tokio::test]
    async fn dns_resolves_localhost() {
        let resolver = TokioResolver::builder_tokio().unwrap().build().unwrap();
        let spec = EndpointSpec::parse("dns+localhost:10901").unwrap();
        let addrs = spec.resolve(&resolver).await.unwrap();
        assert!(
            addrs
                .iter()
                .any(|a| a == "127.0.0.1:10901" || a == "[::1]:10901"),
            "{addrs:?}"
        );
    }
}
