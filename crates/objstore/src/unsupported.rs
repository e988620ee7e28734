//! Keys of Thanos' objstore YAML that mnemos does not implement. A setting is never
//! silently ignored: such a key is accepted only at its default value (what Thanos' own
//! example configs carry), or, for connection tuning that cannot make storage less safe,
//! accepted and reported as not applied. Any other value, and any key Thanos does not have
//! (a typo), is an error naming the key. Values are never put in messages (they may be
//! secrets).

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

/// What mnemos does with one key it does not implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Refused unless at its default (empty, false, zero, or a map of such).
    DefaultOnly,
    /// Connection or upload tuning: accepted with any value, reported as not applied.
    Tuning,
}

/// `http_config` keys (every provider), relative to `http_config`.
const HTTP_CONFIG: &[(&str, Rule)] = &[
    ("idle_conn_timeout", Rule::Tuning),
    ("response_header_timeout", Rule::Tuning),
    ("tls_handshake_timeout", Rule::Tuning),
    ("expect_continue_timeout", Rule::Tuning),
    ("max_idle_conns", Rule::Tuning),
    ("max_idle_conns_per_host", Rule::Tuning),
    ("max_conns_per_host", Rule::Tuning),
    ("disable_compression", Rule::Tuning),
    ("insecure_skip_verify", Rule::DefaultOnly),
    ("tls_config", Rule::DefaultOnly),
];

/// S3 keys Thanos has and mnemos does not implement.
const S3: &[(&str, Rule)] = &[
    ("disable_dualstack", Rule::Tuning),
    ("send_content_md5", Rule::Tuning),
    ("disable_multipart", Rule::Tuning),
    ("part_size", Rule::Tuning),
    ("list_objects_version", Rule::Tuning),
    ("aws_sdk_auth", Rule::DefaultOnly),
    ("signature_version2", Rule::DefaultOnly),
    ("put_user_metadata", Rule::DefaultOnly),
    ("trace", Rule::DefaultOnly),
    ("sse_config", Rule::DefaultOnly),
    ("sts_endpoint", Rule::DefaultOnly),
];

/// GCS keys Thanos has and mnemos does not implement.
const GCS: &[(&str, Rule)] = &[
    ("chunk_size_bytes", Rule::Tuning),
    ("grpc_conn_pool_size", Rule::Tuning),
    ("use_grpc", Rule::DefaultOnly),
];

/// Azure keys Thanos has and mnemos does not implement.
const AZURE: &[(&str, Rule)] = &[
    ("reader_config", Rule::Tuning),
    ("pipeline_config", Rule::Tuning),
    ("storage_connection_string", Rule::DefaultOnly),
    ("user_assigned_id", Rule::DefaultOnly),
    ("msi_resource", Rule::DefaultOnly),
];

/// The providers whose unimplemented keys this module knows.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Provider {
    /// `type: S3`.
    S3,
    /// `type: GCS`.
    Gcs,
    /// `type: AZURE`.
    Azure,
    /// `type: FILESYSTEM`.
    Filesystem,
}

impl Provider {
    fn keys(self) -> &'static [(&'static str, Rule)] {
        match self {
            Provider::S3 => S3,
            Provider::Gcs => GCS,
            Provider::Azure => AZURE,
            Provider::Filesystem => &[],
        }
    }

    fn has_http_config(self) -> bool {
        !matches!(self, Provider::Filesystem)
    }
}

/// Checks the keys of `config` mnemos did not read. Returns the tuning keys accepted but
/// not applied (`config.http_config.idle_conn_timeout`, …), or the first refused key with
/// the reason.
pub(crate) fn check(
    provider: Provider,
    other: &BTreeMap<String, Value>,
) -> Result<Vec<String>, String> {
    let mut not_applied = Vec::new();
    for (key, value) in other {
        let path = format!("config.{key}");
        if key == "http_config" && provider.has_http_config() {
            let Value::Mapping(map) = value else {
                if is_default(value) {
                    continue;
                }
                return Err(format!("{path} must be a mapping"));
            };
            for (k, v) in map {
                let name = k.as_str().unwrap_or_default();
                let sub = format!("{path}.{name}");
                match HTTP_CONFIG.iter().find(|(n, _)| *n == name) {
                    Some((_, Rule::Tuning)) => not_applied.push(sub),
                    Some((_, Rule::DefaultOnly)) if is_default(v) => {}
                    Some((_, Rule::DefaultOnly)) => return Err(not_implemented(&sub)),
                    None => return Err(unknown(&sub)),
                }
            }
            continue;
        }
        match provider.keys().iter().find(|(n, _)| n == key) {
            Some((_, Rule::Tuning)) => not_applied.push(path),
            Some((_, Rule::DefaultOnly)) if is_default(value) => {}
            Some((_, Rule::DefaultOnly)) => return Err(not_implemented(&path)),
            None => return Err(unknown(&path)),
        }
    }
    Ok(not_applied)
}

fn not_implemented(path: &str) -> String {
    format!(
        "{path} is set, but mnemos does not implement it yet; remove it or leave it at its \
         default (a setting is never silently ignored)"
    )
}

fn unknown(path: &str) -> String {
    format!("{path} is not a key of this storage type's configuration")
}

/// Whether `value` is a default: null, false, zero, empty, or a mapping or sequence of such.
fn is_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty() || s == "0s",
        Value::Sequence(items) => items.iter().all(is_default),
        Value::Mapping(map) => map.values().all(is_default),
        Value::Tagged(t) => is_default(&t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(yaml: &str) -> BTreeMap<String, Value> {
        serde_yaml_ng::from_str(yaml).expect("yaml")
    }

    #[test]
    fn thanos_example_s3_config_is_accepted_with_tuning_reported() {
        // The S3 block of Thanos' storage docs, with every key at its documented default.
        let keys = other(
            "disable_dualstack: false\naws_sdk_auth: false\nsignature_version2: false\n\
             put_user_metadata: {}\nhttp_config:\n  idle_conn_timeout: 1m30s\n  \
             response_header_timeout: 2m\n  insecure_skip_verify: false\n  \
             tls_handshake_timeout: 10s\n  expect_continue_timeout: 1s\n  max_idle_conns: 100\n  \
             max_idle_conns_per_host: 100\n  max_conns_per_host: 0\n  tls_config:\n    \
             ca_file: \"\"\n    cert_file: \"\"\n    key_file: \"\"\n    server_name: \"\"\n    \
             insecure_skip_verify: false\n  disable_compression: false\ntrace:\n  enable: false\n\
             list_objects_version: \"\"\nsend_content_md5: true\ndisable_multipart: false\n\
             part_size: 67108864\nsse_config:\n  type: \"\"\n  kms_key_id: \"\"\n  \
             kms_encryption_context: {}\n  encryption_key: \"\"\nsts_endpoint: \"\"\n",
        );
        let not_applied = check(Provider::S3, &keys).expect("accepted");
        assert!(not_applied.contains(&"config.http_config.idle_conn_timeout".to_string()));
        assert!(not_applied.contains(&"config.part_size".to_string()));
        assert!(!not_applied.iter().any(|k| k.contains("sse_config")));
    }

    #[test]
    fn settings_that_would_be_weaker_or_unknown_are_refused_by_name() {
        for (provider, yaml, key) in [
            (
                Provider::S3,
                "sse_config:\n  type: SSE-KMS\n  kms_key_id: k\n",
                "config.sse_config",
            ),
            (
                Provider::S3,
                "sse_config:\n  type: SSE-C\n  encryption_key: /x\n",
                "config.sse_config",
            ),
            (Provider::S3, "aws_sdk_auth: true\n", "config.aws_sdk_auth"),
            (
                Provider::S3,
                "sts_endpoint: https://sts\n",
                "config.sts_endpoint",
            ),
            (
                Provider::S3,
                "http_config:\n  tls_config:\n    ca_file: /ca.pem\n",
                "config.http_config.tls_config",
            ),
            (
                Provider::S3,
                "http_config:\n  insecure_skip_verify: true\n",
                "config.http_config.insecure_skip_verify",
            ),
            (Provider::S3, "trace:\n  enable: true\n", "config.trace"),
            (Provider::S3, "acces_key: typo\n", "config.acces_key"),
            (Provider::Gcs, "use_grpc: true\n", "config.use_grpc"),
            (
                Provider::Azure,
                "user_assigned_id: id\n",
                "config.user_assigned_id",
            ),
            (
                Provider::Filesystem,
                "http_config: {max_idle_conns: 1}\n",
                "config.http_config",
            ),
        ] {
            let err = check(provider, &other(yaml)).expect_err(yaml);
            assert!(err.starts_with(key), "{yaml:?}: {err}");
            for secret in ["/ca.pem", "typo", "https://sts", "SSE-KMS"] {
                assert!(!err.contains(secret), "a value leaked into {err:?}");
            }
        }
    }
}
