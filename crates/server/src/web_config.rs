//! `--http.config`: Prometheus' web configuration file (the exporter-toolkit format), on
//! every HTTP listener. TLS (`tls_server_config`, client certificates included), basic
//! authentication (`basic_auth_users` with bcrypt hashes) and response headers
//! (`http_server_config.headers`). The file is reread when it changes, and the certificate
//! files it names when they change; a change that does not load keeps the previous
//! configuration and is logged. Settings mnemos does not implement are errors.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mnemos_tls::{ClientAuth, Reloading, ServerTls, ServerTlsSpec, TlsVersion};
use serde::Deserialize;

/// Errors loading a web configuration.
#[derive(Debug, thiserror::Error)]
pub enum WebConfigError {
    /// The file can't be read.
    #[error("reading web config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid web configuration.
    #[error("web config {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (never a value: hashes and keys stay out of messages).
        reason: String,
    },
    /// Its TLS settings can't be loaded.
    #[error("web config {path}: {source}")]
    Tls {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: mnemos_tls::Error,
    },
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileYaml {
    #[serde(default)]
    tls_server_config: Option<TlsYaml>,
    #[serde(default)]
    http_server_config: Option<HttpYaml>,
    #[serde(default)]
    basic_auth_users: Option<BTreeMap<String, String>>,
    #[serde(default)]
    rate_limit: Option<serde_yaml_ng::Value>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsYaml {
    #[serde(default)]
    cert_file: String,
    #[serde(default)]
    key_file: String,
    #[serde(default)]
    cert: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    client_auth_type: String,
    #[serde(default)]
    client_ca_file: String,
    #[serde(default)]
    client_ca: String,
    #[serde(default)]
    client_allowed_sans: Vec<String>,
    #[serde(default)]
    min_version: String,
    #[serde(default)]
    max_version: String,
    #[serde(default)]
    cipher_suites: Vec<String>,
    #[serde(default)]
    curve_preferences: Vec<String>,
    #[serde(default)]
    prefer_server_cipher_suites: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpYaml {
    #[serde(default)]
    http2: Option<bool>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// The response headers the exporter-toolkit lets a web config set.
const ALLOWED_HEADERS: [&str; 5] = [
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "X-XSS-Protection",
    "Strict-Transport-Security",
];

/// One loaded web configuration.
pub struct WebSettings {
    /// The listener's TLS, `None`: plain HTTP.
    pub tls: Option<Arc<ServerTls>>,
    users: BTreeMap<String, String>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl WebSettings {
    fn load(path: &Path) -> Result<Self, WebConfigError> {
        let invalid = |reason: String| WebConfigError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| WebConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file: FileYaml = if text.trim().is_empty() {
            FileYaml::default()
        } else {
            serde_yaml_ng::from_str(&text).map_err(|e| invalid(e.to_string()))?
        };
        if file.rate_limit.is_some() {
            return Err(invalid("rate_limit is not implemented".to_string()));
        }
        let tls = match file.tls_server_config {
            None => None,
            Some(t) => tls_spec(t, path)
                .map_err(invalid)?
                .map(|spec| {
                    ServerTls::new(spec).map_err(|source| WebConfigError::Tls {
                        path: path.to_path_buf(),
                        source,
                    })
                })
                .transpose()?
                .map(Arc::new),
        };
        let mut headers = Vec::new();
        if let Some(http) = file.http_server_config {
            let _ = http.http2; // mnemos serves HTTP/1.1; clients negotiate it over ALPN.
            for (name, value) in http.headers {
                let Some(allowed) = ALLOWED_HEADERS
                    .iter()
                    .find(|h| h.eq_ignore_ascii_case(&name))
                else {
                    return Err(invalid(format!(
                        "header {name:?} cannot be set (allowed: {})",
                        ALLOWED_HEADERS.join(", ")
                    )));
                };
                let value = HeaderValue::from_str(&value)
                    .map_err(|_| invalid(format!("header {allowed}: invalid value")))?;
                let name = HeaderName::from_bytes(allowed.as_bytes())
                    .map_err(|_| invalid(format!("header {allowed}: invalid name")))?;
                headers.push((name, value));
            }
        }
        let users = file.basic_auth_users.unwrap_or_default();
        for (user, hash) in &users {
            if bcrypt_cost(hash).is_none() {
                return Err(invalid(format!(
                    "basic_auth_users.{user}: not a bcrypt hash ($2a$, $2b$ or $2y$)"
                )));
            }
        }
        Ok(Self {
            tls,
            users,
            headers,
        })
    }
}

/// The cost of a bcrypt hash, `None` if it is not one.
fn bcrypt_cost(hash: &str) -> Option<u32> {
    let rest = ["$2a$", "$2b$", "$2y$"]
        .iter()
        .find_map(|p| hash.strip_prefix(p))?;
    let (cost, salt_and_hash) = rest.split_once('$')?;
    (salt_and_hash.len() == 53).then_some(())?;
    cost.parse().ok()
}

/// The TLS of a `tls_server_config`, `None` when it names no certificate (plain HTTP, as
/// the exporter-toolkit does with an empty section).
fn tls_spec(t: TlsYaml, path: &Path) -> Result<Option<ServerTlsSpec>, String> {
    let unsupported = |key: &str| Err(format!("tls_server_config.{key} is not implemented"));
    if !t.cert.is_empty() || !t.key.is_empty() || !t.client_ca.is_empty() {
        return unsupported("cert/key/client_ca (inline PEM; use the *_file keys)");
    }
    if !t.client_allowed_sans.is_empty() {
        return unsupported("client_allowed_sans");
    }
    if !t.cipher_suites.is_empty() {
        return unsupported("cipher_suites (rustls' own secure suites are used)");
    }
    if !t.curve_preferences.is_empty() {
        return unsupported("curve_preferences");
    }
    let _ = t.prefer_server_cipher_suites; // rustls always prefers the server's order.
    if t.cert_file.is_empty() && t.key_file.is_empty() {
        if !t.client_ca_file.is_empty() || !t.client_auth_type.is_empty() {
            return Err("client certificates need cert_file and key_file".to_string());
        }
        return Ok(None);
    }
    if t.cert_file.is_empty() {
        return Err("missing cert_file".to_string());
    }
    if t.key_file.is_empty() {
        return Err("missing key_file".to_string());
    }
    let client_auth = match t.client_auth_type.as_str() {
        "" | "NoClientCert" => ClientAuth::None,
        "VerifyClientCertIfGiven" => ClientAuth::VerifyIfGiven,
        "RequireAndVerifyClientCert" => ClientAuth::RequireAndVerify,
        "RequestClientCert" | "RequireAnyClientCert" => {
            return Err(format!(
                "client_auth_type {} is not implemented (client certificates are always verified)",
                t.client_auth_type
            ))
        }
        other => return Err(format!("invalid client_auth_type {other:?}")),
    };
    if client_auth == ClientAuth::None && !t.client_ca_file.is_empty() {
        return Err("client_ca_file is set without a client_auth_type that verifies".to_string());
    }
    if client_auth != ClientAuth::None && t.client_ca_file.is_empty() {
        return Err(format!(
            "client_auth_type {} needs client_ca_file",
            t.client_auth_type
        ));
    }
    let version = |s: &str, default: TlsVersion| {
        if s.is_empty() {
            Ok(default)
        } else {
            TlsVersion::parse(s).map_err(|e| e.to_string())
        }
    };
    // Files are relative to the web config file, as in the exporter-toolkit.
    let dir = path.parent().unwrap_or(Path::new("."));
    Ok(Some(ServerTlsSpec {
        cert_file: dir.join(&t.cert_file),
        key_file: dir.join(&t.key_file),
        client_ca_file: (!t.client_ca_file.is_empty()).then(|| dir.join(&t.client_ca_file)),
        client_auth,
        min_version: version(&t.min_version, TlsVersion::Tls12)?,
        max_version: version(&t.max_version, TlsVersion::Tls13)?,
        alpn: vec![b"http/1.1".to_vec()],
    }))
}

/// A listener's web configuration, reread when its file changes.
pub struct WebConfig {
    settings: Reloading<WebSettings, WebConfigError>,
    /// Verified (user, password, hash) triples, so a scraper is not bcrypt-hashed on every
    /// request; cleared when it grows past [`VERIFIED_CACHE`].
    verified: Mutex<HashMap<u64, bool>>,
}

/// Verification results kept at most.
const VERIFIED_CACHE: usize = 1024;

/// A bcrypt hash of nothing anyone knows, checked for unknown users so that a wrong user
/// name takes as long as a wrong password.
const DUMMY_HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

impl WebConfig {
    /// Loads `path` (an error is a startup error).
    pub fn load(path: &Path) -> Result<Self, WebConfigError> {
        let file = path.to_path_buf();
        let settings = Reloading::new(
            "web config",
            vec![file.clone()],
            Box::new(move || WebSettings::load(&file)),
        )?;
        let config = Self {
            settings,
            verified: Mutex::new(HashMap::new()),
        };
        let now = config.current();
        tracing::info!(
            file = %path.display(),
            tls = now.tls.is_some(),
            basic_auth_users = now.users.len(),
            headers = now.headers.len(),
            "web config loaded"
        );
        Ok(config)
    }

    /// The configuration now.
    pub fn current(&self) -> Arc<WebSettings> {
        self.settings.current()
    }

    /// Whether `user`/`password` are valid under `settings` (always, without
    /// `basic_auth_users`).
    async fn authorized(
        &self,
        settings: &WebSettings,
        credentials: Option<(String, String)>,
    ) -> bool {
        if settings.users.is_empty() {
            return true;
        }
        let Some((user, password)) = credentials else {
            return false;
        };
        let hash = settings.users.get(&user).cloned();
        let key = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (&user, &password, &hash).hash(&mut h);
            h.finish()
        };
        if let Some(ok) = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return *ok;
        }
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
                .await
                .unwrap_or(false)
                && known;
        let mut cache = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= VERIFIED_CACHE {
            cache.clear();
        }
        cache.insert(key, ok);
        ok
    }
}

/// `user` and `password` of a `Basic` Authorization header.
pub(crate) fn basic_credentials(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Middleware: answers 401 without valid credentials (when users are configured) and adds
/// the configured headers to every response.
pub(crate) async fn enforce(
    State(config): State<Arc<WebConfig>>,
    request: Request,
    next: Next,
) -> Response {
    let settings = config.current();
    let mut response = if config
        .authorized(&settings, basic_credentials(request.headers()))
        .await
    {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic")],
            "Unauthorized\n",
        )
            .into_response()
    };
    for (name, value) in &settings.headers {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Result<WebSettings, WebConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("web.yml");
        std::fs::write(&path, yaml).expect("write");
        WebSettings::load(&path)
    }

    #[test]
    fn settings_mnemos_does_not_implement_are_errors() {
        for (yaml, expect) in [
            ("tls_server_config:\n  cert_file: a\n", "missing key_file"),
            ("tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", "cipher_suites"),
            (
                "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n",
                "RequireAnyClientCert",
            ),
            (
                "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
                "needs client_ca_file",
            ),
            ("http_server_config:\n  headers:\n    X-Custom: 1\n", "X-Custom"),
            ("basic_auth_users:\n  alice: plaintext\n", "alice"),
            ("rate_limit:\n  interval: 1s\n", "rate_limit"),
            ("tls_server_configs: {}\n", "unknown field"),
        ] {
            let err = load(yaml).err().expect(yaml).to_string();
            assert!(err.contains(expect), "{yaml}: {err}");
            assert!(!err.contains("plaintext"), "values stay out of errors: {err}");
        }
    }

    #[test]
    fn plain_http_with_users_and_headers() {
        let hash = bcrypt::hash("s3cret", 4).expect("hash");
        let settings = load(&format!(
            "basic_auth_users:\n  alice: {hash}\nhttp_server_config:\n  http2: true\n  headers:\n    x-frame-options: deny\n"
        ))
        .expect("loads");
        assert!(settings.tls.is_none());
        assert_eq!(settings.users.len(), 1);
        assert_eq!(settings.headers[0].0.as_str(), "x-frame-options");
        assert!(load("").expect("empty file").users.is_empty());
    }
}
