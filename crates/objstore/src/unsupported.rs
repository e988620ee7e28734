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
}

/// Checks the keys of `config` mnemos did not read (`http_config`, which every provider but
/// FILESYSTEM has, is read: see [`crate::http_config`]). Returns the tuning keys accepted
/// but not applied (`config.part_size`, …), or the first refused key with the reason.
pub(crate) fn check(
    provider: Provider,
    other: &BTreeMap<String, Value>,
) -> Result<Vec<String>, String> {
    let mut not_applied = Vec::new();
    for (key, value) in other {
        let path = format!("config.{key}");
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
    fn thanos_example_s3_keys_are_accepted_with_tuning_reported() {
        // The S3 keys of Thanos' storage docs mnemos does not read, at their defaults.
        let keys = other(
            "disable_dualstack: false\naws_sdk_auth: false\nsignature_version2: false\n\
             put_user_metadata: {}\ntrace:\n  enable: false\nlist_objects_version: \"\"\n\
             send_content_md5: true\ndisable_multipart: false\npart_size: 67108864\n",
        );
        let not_applied = check(Provider::S3, &keys).expect("accepted");
        assert!(not_applied.contains(&"config.part_size".to_string()));
        assert!(not_applied.contains(&"config.send_content_md5".to_string()));
    }

    #[test]
    fn settings_that_would_be_weaker_or_unknown_are_refused_by_name() {
        for (provider, yaml, key) in [
            (Provider::S3, "aws_sdk_auth: true\n", "config.aws_sdk_auth"),
            (
                Provider::S3,
                "put_user_metadata:\n  X-Amz-Storage-Class: GLACIER\n",
                "config.put_user_metadata",
            ),
            (Provider::S3, "trace:\n  enable: true\n", "config.trace"),
            (Provider::S3, "acces_key: typo\n", "config.acces_key"),
            (Provider::Gcs, "use_grpc: true\n", "config.use_grpc"),
            (
                Provider::Azure,
                "storage_connection_string: CONNVAL\n",
                "config.storage_connection_string",
            ),
            (
                Provider::Filesystem,
                "http_config: {max_idle_conns: 1}\n",
                "config.http_config",
            ),
        ] {
            let err = check(provider, &other(yaml)).expect_err(yaml);
            assert!(err.starts_with(key), "{yaml:?}: {err}");
            for secret in ["GLACIER", "typo", "CONNVAL"] {
                assert!(!err.contains(secret), "a value leaked into {err:?}");
            }
        }
    }
}
