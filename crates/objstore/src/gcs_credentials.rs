//! Where GCS credentials come from, in the order of Thanos (Google's application default
//! credentials): the service account key JSON in the YAML (`service_account`); the file
//! named by `GOOGLE_APPLICATION_CREDENTIALS`; gcloud's well-known file
//! (`~/.config/gcloud/application_default_credentials.json`); last the metadata server
//! (GKE workload identity, GCE service accounts). [`GcsCredentials::source`] names the
//! choice for the log, never a secret.

use std::path::PathBuf;

use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use serde::Deserialize;

use crate::config::GcsConfig;
use crate::error::{Error, Result};

/// The credentials a GCS bucket is opened with.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum GcsCredentials {
    /// The key JSON of `service_account` in the YAML.
    ServiceAccountKey(String),
    /// A credentials file: `GOOGLE_APPLICATION_CREDENTIALS` or gcloud's well-known file.
    File {
        /// Its path.
        path: String,
        /// Where the path came from.
        origin: &'static str,
    },
    /// The metadata server.
    MetadataServer,
}

/// The fields of a service account key mnemos checks before handing it on.
#[derive(Deserialize)]
struct KeyShape {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    client_email: String,
    #[serde(default)]
    private_key: String,
}

impl GcsCredentials {
    /// Resolves the credentials for `config`, reading the environment through `env`.
    pub(crate) fn resolve(
        config: &GcsConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        if !config.service_account.is_empty() {
            check_key(&config.service_account)?;
            return Ok(Self::ServiceAccountKey(config.service_account.clone()));
        }
        if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
            if !std::path::Path::new(&path).is_file() {
                return Err(Error::Config(
                    "GCS credentials: GOOGLE_APPLICATION_CREDENTIALS does not name a readable file"
                        .to_string(),
                ));
            }
            return Ok(Self::File {
                path,
                origin: "GOOGLE_APPLICATION_CREDENTIALS",
            });
        }
        if let Some(home) = env("HOME") {
            let well_known =
                PathBuf::from(home).join(".config/gcloud/application_default_credentials.json");
            if well_known.is_file() {
                return Ok(Self::File {
                    path: well_known.to_string_lossy().into_owned(),
                    origin: "gcloud application default credentials",
                });
            }
        }
        Ok(Self::MetadataServer)
    }

    /// Where the credentials come from, for the log (never a secret).
    pub(crate) fn source(&self) -> String {
        match self {
            Self::ServiceAccountKey(_) => "objstore config (service_account)".to_string(),
            Self::File { path, origin } => format!("{origin} ({path})"),
            Self::MetadataServer => "metadata server (workload identity)".to_string(),
        }
    }

    /// Configures `builder` with these credentials.
    pub(crate) fn apply(self, builder: GoogleCloudStorageBuilder) -> GoogleCloudStorageBuilder {
        match self {
            Self::ServiceAccountKey(json) => builder.with_service_account_key(json),
            Self::File { path, .. } => {
                builder.with_config(GoogleConfigKey::ApplicationCredentials, path)
            }
            Self::MetadataServer => builder,
        }
    }
}

/// Checks that the YAML's `service_account` is a service account key, without echoing it.
fn check_key(json: &str) -> Result<()> {
    let shape: Option<KeyShape> = serde_yaml_ng::from_str(json).ok();
    match shape {
        Some(k)
            if k.kind == "service_account"
                && !k.client_email.is_empty()
                && !k.private_key.is_empty() =>
        {
            Ok(())
        }
        _ => Err(Error::Config(
            "objstore config: config.service_account is not a service account key JSON \
             (with type service_account, client_email and private_key)"
                .to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = r#"{"type": "service_account", "project_id": "p", "private_key_id": "1",
        "private_key": "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n",
        "client_email": "mnemos@p.iam.gserviceaccount.com", "client_id": "2"}"#;

    fn resolve(config: &GcsConfig, vars: &[(&str, &str)]) -> Result<GcsCredentials> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        GcsCredentials::resolve(config, |k| vars.get(k).cloned())
    }

    #[test]
    fn the_chain_in_application_default_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("sa.json");
        std::fs::write(&file, KEY).expect("write");
        let file = file.to_str().expect("utf-8 path");
        let home = dir.path().join("home");
        let gcloud = home.join(".config/gcloud");
        std::fs::create_dir_all(&gcloud).expect("mkdir");
        let home = home.to_str().expect("utf-8 path");

        let yaml = GcsConfig {
            bucket: "b".into(),
            service_account: KEY.into(),
            ..GcsConfig::default()
        };
        let none = GcsConfig {
            bucket: "b".into(),
            ..GcsConfig::default()
        };
        let env = [("GOOGLE_APPLICATION_CREDENTIALS", file), ("HOME", home)];
        let chosen = resolve(&yaml, &env).expect("yaml");
        assert_eq!(chosen.source(), "objstore config (service_account)");
        assert!(!chosen.source().contains("TOPSECRET"));
        assert_eq!(
            resolve(&none, &env).expect("env").source(),
            format!("GOOGLE_APPLICATION_CREDENTIALS ({file})")
        );
        assert!(
            resolve(&none, &[("HOME", home)]).expect("metadata") == GcsCredentials::MetadataServer
        );
        std::fs::write(gcloud.join("application_default_credentials.json"), KEY).expect("write");
        assert!(resolve(&none, &[("HOME", home)])
            .expect("well-known")
            .source()
            .starts_with("gcloud application default credentials"));
        let missing = [("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/sa.json")];
        let err = resolve(&none, &missing)
            .err()
            .expect("missing file")
            .to_string();
        assert!(err.contains("GOOGLE_APPLICATION_CREDENTIALS") && !err.contains("/nonexistent"));
    }

    #[test]
    fn a_service_account_that_is_not_a_key_is_refused_without_echo() {
        for bad in [
            "TOPSECRET",
            r#"{"type": "authorized_user", "refresh_token": "TOPSECRET"}"#,
        ] {
            let c = GcsConfig {
                bucket: "b".into(),
                service_account: bad.into(),
                ..GcsConfig::default()
            };
            let err = resolve(&c, &[]).err().expect("refused").to_string();
            assert!(err.contains("config.service_account is not"), "{err}");
            assert!(!err.contains("TOPSECRET"), "{err}");
        }
    }

    #[test]
    fn the_key_reaches_the_builder() {
        let b =
            GcsCredentials::ServiceAccountKey(KEY.into()).apply(GoogleCloudStorageBuilder::new());
        assert!(b
            .get_config_value(&GoogleConfigKey::ServiceAccountKey)
            .is_some());
        let b = GcsCredentials::File {
            path: "/etc/sa.json".into(),
            origin: "GOOGLE_APPLICATION_CREDENTIALS",
        }
        .apply(GoogleCloudStorageBuilder::new());
        assert_eq!(
            b.get_config_value(&GoogleConfigKey::ApplicationCredentials)
                .as_deref(),
            Some("/etc/sa.json")
        );
    }
}
