//! Thanos' `--prometheus.http-client(-file)`: how the sidecar authenticates to Prometheus
//! and verifies it.
//!
//! ```yaml
//! basic_auth: {username: u, password: p}        # or password_file
//! bearer_token: t                               # or bearer_token_file
//! tls_config: {ca_file: …, cert_file: …, key_file: …, server_name: …, insecure_skip_verify: false}
//! transport_config: {…}                         # connection tuning: accepted, not applied
//! ```
//!
//! Password and token files are read on every request, so a rotated secret is used at once.
//! `proxy_url` is not implemented and is refused. Values never appear in errors or logs.

use std::path::PathBuf;

use mnemos_tls::ClientTlsSpec;
use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigYaml {
    #[serde(default)]
    basic_auth: Option<BasicAuthYaml>,
    #[serde(default)]
    bearer_token: String,
    #[serde(default)]
    bearer_token_file: String,
    #[serde(default)]
    proxy_url: String,
    #[serde(default)]
    tls_config: Option<TlsYaml>,
    #[serde(default)]
    transport_config: Option<serde_yaml_ng::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BasicAuthYaml {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_file: String,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsYaml {
    #[serde(default)]
    ca_file: String,
    #[serde(default)]
    cert_file: String,
    #[serde(default)]
    key_file: String,
    #[serde(default)]
    server_name: String,
    #[serde(default)]
    insecure_skip_verify: bool,
}

/// A secret given inline or as a file read when used.
#[derive(Clone)]
enum Secret {
    Inline(String),
    File(PathBuf),
}

impl Secret {
    fn of(inline: String, file: String, what: &str) -> Result<Option<Self>> {
        match (inline.is_empty(), file.is_empty()) {
            (true, true) => Ok(None),
            (false, true) => Ok(Some(Self::Inline(inline))),
            (true, false) => Ok(Some(Self::File(PathBuf::from(file)))),
            (false, false) => Err(Error::Config(format!(
                "--prometheus.http-client: {what} and {what}_file are mutually exclusive"
            ))),
        }
    }

    fn value(&self) -> Result<String> {
        match self {
            Self::Inline(s) => Ok(s.clone()),
            Self::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .map_err(|e| Error::Config(format!("reading {}: {e}", path.display()))),
        }
    }
}

/// How to reach Prometheus: credentials and TLS.
#[derive(Clone, Default)]
pub struct HttpClientConfig {
    basic_auth: Option<(String, Option<Secret>)>,
    bearer_token: Option<Secret>,
    /// TLS for an `https://` Prometheus URL.
    pub tls: Option<ClientTlsSpec>,
}

impl std::fmt::Debug for HttpClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientConfig")
            .field("basic_auth", &self.basic_auth.is_some())
            .field("bearer_token", &self.bearer_token.is_some())
            .field("tls", &self.tls)
            .finish()
    }
}

impl HttpClientConfig {
    /// Parses the YAML (or JSON) of the flag; empty means no settings.
    pub fn parse(yaml: &str) -> Result<Self> {
        let fail = |reason: String| Error::Config(format!("--prometheus.http-client: {reason}"));
        if yaml.trim().is_empty() {
            return Ok(Self::default());
        }
        let c: ConfigYaml = serde_yaml_ng::from_str(yaml).map_err(|e| fail(e.to_string()))?;
        if !c.proxy_url.is_empty() {
            return Err(fail("proxy_url is not implemented".to_string()));
        }
        if c.transport_config.is_some() {
            tracing::warn!(
                "--prometheus.http-client: transport_config (connection tuning) is not applied"
            );
        }
        let basic_auth = c
            .basic_auth
            .map(|b| {
                Ok::<_, Error>((
                    b.username,
                    Secret::of(b.password, b.password_file, "password")?,
                ))
            })
            .transpose()?;
        let bearer_token = Secret::of(c.bearer_token, c.bearer_token_file, "bearer_token")?;
        if basic_auth.is_some() && bearer_token.is_some() {
            return Err(fail(
                "basic_auth and bearer_token are mutually exclusive".to_string(),
            ));
        }
        let tls = c.tls_config.map(|t| {
            ClientTlsSpec::from_settings(
                t.ca_file,
                t.cert_file,
                t.key_file,
                t.server_name,
                t.insecure_skip_verify,
                b"http/1.1",
            )
        });
        Ok(Self {
            basic_auth,
            bearer_token,
            tls,
        })
    }

    /// Adds the credentials to a request.
    pub(crate) fn authorize(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder> {
        Ok(match (&self.basic_auth, &self.bearer_token) {
            (Some((user, password)), _) => {
                let password = password.as_ref().map(Secret::value).transpose()?;
                request.basic_auth(user, password)
            }
            (None, Some(token)) => request.bearer_auth(token.value()?),
            (None, None) => request,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_operator_default_and_refusals() {
        let c = HttpClientConfig::parse("tls_config:\n  insecure_skip_verify: true\n")
            .expect("operator's");
        assert!(c.tls.as_ref().is_some_and(|t| t.insecure_skip_verify));
        assert!(HttpClientConfig::parse("").expect("empty").tls.is_none());
        let json = HttpClientConfig::parse(r#"{"tls_config": {"insecure_skip_verify":true}}"#)
            .expect("json");
        assert!(json.tls.is_some());
        for (yaml, expect) in [
            ("proxy_url: http://p\n", "proxy_url"),
            (
                "bearer_token: a\nbearer_token_file: b\n",
                "mutually exclusive",
            ),
            (
                "basic_auth: {username: u, password: secretvalue}\nbearer_token: t\n",
                "mutually exclusive",
            ),
            ("tls_config: {insecure: true}\n", "unknown field"),
        ] {
            let err = HttpClientConfig::parse(yaml).expect_err(yaml).to_string();
            assert!(err.contains(expect), "{yaml}: {err}");
            assert!(!err.contains("secretvalue"), "{err}");
        }
    }
}
