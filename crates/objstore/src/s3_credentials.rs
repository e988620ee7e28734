//! Where S3 credentials come from, in the order Thanos (minio-go) resolves them: keys in the
//! objstore YAML; the `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` environment variables; the
//! shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`) at
//! profile `AWS_PROFILE` (else `default`); then the role of the workload: web identity
//! (IRSA: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`), ECS container credentials
//! (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`), EKS Pod Identity
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`), and
//! last the instance metadata service (IMDSv2). [`S3Credentials::source`] names the choice
//! for the log; secrets never leave this module except into the S3 client.
//!
//! Web identity exchanges the token at the STS endpoint: `sts_endpoint` of the YAML, else
//! `AWS_ENDPOINT_URL_STS`, else the global `https://sts.amazonaws.com` when
//! `AWS_STS_REGIONAL_ENDPOINTS=legacy`, else the regional `https://sts.<region>.amazonaws.com`.
//! The token is only ever sent over HTTPS.

use std::path::PathBuf;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

use crate::config::S3Config;
use crate::error::{Error, Result};

/// The credentials an S3 bucket is opened with.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum S3Credentials {
    /// Keys, from the YAML, the environment or the shared credentials file.
    Static {
        /// Access key id.
        key_id: String,
        /// Secret access key.
        secret: String,
        /// Session token, for temporary keys.
        token: Option<String>,
        /// Where they came from (no secret).
        source: String,
    },
    /// AssumeRoleWithWebIdentity with a token file (IRSA).
    WebIdentity {
        /// `AWS_WEB_IDENTITY_TOKEN_FILE`.
        token_file: String,
        /// `AWS_ROLE_ARN`.
        role_arn: String,
        /// `AWS_ROLE_SESSION_NAME`, if set.
        session_name: Option<String>,
        /// The STS endpoint; `None` for the regional AWS STS.
        sts_endpoint: Option<String>,
    },
    /// ECS task role (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`).
    EcsContainer(String),
    /// EKS Pod Identity (`AWS_CONTAINER_CREDENTIALS_FULL_URI` and the token file).
    EksPodIdentity {
        /// The agent's URI.
        uri: String,
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`.
        token_file: String,
    },
    /// The instance metadata service (IMDSv2).
    InstanceMetadata,
}

impl S3Credentials {
    /// Resolves the credentials for `config`, reading the environment through `env`.
    pub(crate) fn resolve(config: &S3Config, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        if !config.access_key.is_empty() || !config.secret_key.is_empty() {
            return static_keys(
                &config.access_key,
                &config.secret_key,
                Some(config.session_token.clone()),
                "objstore config (access_key)",
            );
        }
        if let Some(key_id) = env("AWS_ACCESS_KEY_ID").or_else(|| env("AWS_ACCESS_KEY")) {
            let secret = env("AWS_SECRET_ACCESS_KEY")
                .or_else(|| env("AWS_SECRET_KEY"))
                .unwrap_or_default();
            return static_keys(
                &key_id,
                &secret,
                env("AWS_SESSION_TOKEN"),
                "environment (AWS_ACCESS_KEY_ID)",
            );
        }
        if let Some(found) = shared_file(&env)? {
            return Ok(found);
        }
        if let (Some(token_file), Some(role_arn)) =
            (env("AWS_WEB_IDENTITY_TOKEN_FILE"), env("AWS_ROLE_ARN"))
        {
            return Ok(Self::WebIdentity {
                token_file,
                role_arn,
                session_name: env("AWS_ROLE_SESSION_NAME"),
                sts_endpoint: sts_endpoint(&config.sts_endpoint, &env)?,
            });
        }
        if let Some(uri) = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return Ok(Self::EcsContainer(uri));
        }
        if let (Some(uri), Some(token_file)) = (
            env("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
        ) {
            return Ok(Self::EksPodIdentity { uri, token_file });
        }
        Ok(Self::InstanceMetadata)
    }

    /// Where the credentials come from, for the log (never a secret).
    pub(crate) fn source(&self) -> String {
        match self {
            Self::Static { source, .. } => source.clone(),
            Self::WebIdentity { role_arn, .. } => format!("web identity (role {role_arn})"),
            Self::EcsContainer(_) => "ECS container credentials".into(),
            Self::EksPodIdentity { .. } => "EKS Pod Identity".into(),
            Self::InstanceMetadata => "instance metadata (IMDSv2)".into(),
        }
    }

    /// Configures `builder` with these credentials.
    pub(crate) fn apply(self, builder: AmazonS3Builder) -> AmazonS3Builder {
        match self {
            Self::Static {
                key_id,
                secret,
                token,
                ..
            } => {
                let b = builder
                    .with_access_key_id(key_id)
                    .with_secret_access_key(secret);
                match token {
                    Some(t) => b.with_token(t),
                    None => b,
                }
            }
            Self::WebIdentity {
                token_file,
                role_arn,
                session_name,
                sts_endpoint,
            } => {
                let mut b = builder
                    .with_config(AmazonS3ConfigKey::WebIdentityTokenFile, token_file)
                    .with_config(AmazonS3ConfigKey::RoleArn, role_arn);
                if let Some(url) = sts_endpoint {
                    b = b.with_config(AmazonS3ConfigKey::StsEndpoint, url);
                }
                match session_name {
                    Some(n) => b.with_config(AmazonS3ConfigKey::RoleSessionName, n),
                    None => b,
                }
            }
            Self::EcsContainer(uri) => {
                builder.with_config(AmazonS3ConfigKey::ContainerCredentialsRelativeUri, uri)
            }
            Self::EksPodIdentity { uri, token_file } => builder
                .with_config(AmazonS3ConfigKey::ContainerCredentialsFullUri, uri)
                .with_config(
                    AmazonS3ConfigKey::ContainerAuthorizationTokenFile,
                    token_file,
                ),
            Self::InstanceMetadata => builder,
        }
    }
}

/// Checks `sts_endpoint` of the YAML: empty, a host, or an `https://` URL (the web identity
/// token must not travel in clear text).
pub(crate) fn check_sts_endpoint(value: &str) -> Result<()> {
    normalize_sts(value, "config.sts_endpoint").map(|_| ())
}

/// An STS endpoint as an `https://` URL; `what` names its origin in errors.
fn normalize_sts(value: &str, what: &str) -> Result<Option<String>> {
    let value = value.trim().trim_end_matches('/');
    if value.is_empty() {
        return Ok(None);
    }
    match value.split_once("://") {
        None => Ok(Some(format!("https://{value}"))),
        Some(("https", rest)) if !rest.is_empty() => Ok(Some(value.to_string())),
        Some(_) => Err(Error::Config(format!(
            "objstore config: {what} must be an https:// URL or a host (the web identity \
             token is sent to it)"
        ))),
    }
}

/// The STS endpoint of the web identity exchange (see the module doc).
fn sts_endpoint(configured: &str, env: &impl Fn(&str) -> Option<String>) -> Result<Option<String>> {
    if let Some(url) = normalize_sts(configured, "config.sts_endpoint")? {
        return Ok(Some(url));
    }
    if let Some(url) = env("AWS_ENDPOINT_URL_STS") {
        return normalize_sts(&url, "AWS_ENDPOINT_URL_STS");
    }
    if env("AWS_STS_REGIONAL_ENDPOINTS").is_some_and(|v| v.eq_ignore_ascii_case("legacy")) {
        return Ok(Some("https://sts.amazonaws.com".to_string()));
    }
    Ok(None)
}

/// Keys that must come as a pair.
fn static_keys(
    key_id: &str,
    secret: &str,
    token: Option<String>,
    source: &str,
) -> Result<S3Credentials> {
    if key_id.is_empty() || secret.is_empty() {
        return Err(Error::Config(format!(
            "S3 credentials from {source}: the access key id and the secret key must both be set"
        )));
    }
    Ok(S3Credentials::Static {
        key_id: key_id.to_string(),
        secret: secret.to_string(),
        token: token.filter(|t| !t.is_empty()),
        source: source.to_string(),
    })
}

/// Keys from the shared credentials file, if it exists and has the profile. A profile
/// named by `AWS_PROFILE` that is not there is an error (it was asked for explicitly).
fn shared_file(env: &impl Fn(&str) -> Option<String>) -> Result<Option<S3Credentials>> {
    let path = match env("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => PathBuf::from(p),
        None => match env("HOME") {
            Some(home) => PathBuf::from(home).join(".aws").join("credentials"),
            None => return Ok(None),
        },
    };
    let named = env("AWS_PROFILE");
    let profile = named.clone().unwrap_or_else(|| "default".to_string());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named.is_none() => return Ok(None),
        Err(e) => {
            return Err(Error::Config(format!(
                "S3 credentials: reading {}: {e}",
                path.display()
            )))
        }
    };
    let ini = ini::Ini::load_from_str(&text).map_err(|e| {
        Error::Config(format!(
            "S3 credentials: parsing {} (line {}): not an INI file",
            path.display(),
            e.line
        ))
    })?;
    let Some(section) = ini.section(Some(profile.as_str())) else {
        return match named {
            Some(_) => Err(Error::Config(format!(
                "S3 credentials: AWS_PROFILE={profile} is not a profile of {}",
                path.display()
            ))),
            None => Ok(None),
        };
    };
    let get = |k: &str| section.get(k).unwrap_or_default();
    static_keys(
        get("aws_access_key_id"),
        get("aws_secret_access_key"),
        Some(get("aws_session_token").to_string()),
        &format!(
            "shared credentials file {} (profile {profile})",
            path.display()
        ),
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(config: &S3Config, vars: &[(&str, &str)]) -> Result<S3Credentials> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        S3Credentials::resolve(config, |k| vars.get(k).cloned())
    }

    #[test]
    fn the_chain_in_minio_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "[default]\naws_access_key_id = DEF\naws_secret_access_key = defsecret\n\n\
             [team]\naws_access_key_id = TEAM\naws_secret_access_key = teamsecret\n\
             aws_session_token = tok\n",
        )
        .expect("write");
        let file = file.to_str().expect("utf-8 path");
        let yaml = S3Config {
            access_key: "YAML".into(),
            secret_key: "yamlsecret".into(),
            ..S3Config::default()
        };
        let none = S3Config::default();
        let env_keys = [
            ("AWS_ACCESS_KEY_ID", "ENV"),
            ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ("AWS_SHARED_CREDENTIALS_FILE", file),
        ];
        let key_of = |c: Result<S3Credentials>| match c.expect("resolved") {
            S3Credentials::Static { key_id, token, .. } => (key_id, token),
            other => panic!("not static: {}", other.source()),
        };
        assert_eq!(key_of(resolve(&yaml, &env_keys)).0, "YAML");
        assert_eq!(key_of(resolve(&none, &env_keys)).0, "ENV");
        let file_only = [("AWS_SHARED_CREDENTIALS_FILE", file)];
        assert_eq!(key_of(resolve(&none, &file_only)).0, "DEF");
        let team = [
            ("AWS_SHARED_CREDENTIALS_FILE", file),
            ("AWS_PROFILE", "team"),
        ];
        assert_eq!(
            key_of(resolve(&none, &team)),
            ("TEAM".to_string(), Some("tok".to_string()))
        );
        let missing = [
            ("AWS_SHARED_CREDENTIALS_FILE", file),
            ("AWS_PROFILE", "nope"),
        ];
        let err = resolve(&none, &missing).err().expect("unknown profile");
        assert!(err.to_string().contains("AWS_PROFILE=nope"), "{err}");

        let irsa = [
            ("HOME", "/nonexistent"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
        ];
        let web = resolve(&none, &irsa).expect("web identity");
        assert_eq!(web.source(), "web identity (role arn:aws:iam::1:role/r)");
        let sts_of = |c: S3Credentials| match c {
            S3Credentials::WebIdentity { sts_endpoint, .. } => sts_endpoint,
            other => panic!("not web identity: {}", other.source()),
        };
        assert_eq!(sts_of(web), None, "regional AWS STS by default");
        let with_env = [
            irsa.as_slice(),
            &[("AWS_ENDPOINT_URL_STS", "https://sts.env:8443")],
        ]
        .concat();
        assert_eq!(
            sts_of(resolve(&none, &with_env).expect("env sts")).as_deref(),
            Some("https://sts.env:8443")
        );
        let legacy = [irsa.as_slice(), &[("AWS_STS_REGIONAL_ENDPOINTS", "legacy")]].concat();
        assert_eq!(
            sts_of(resolve(&none, &legacy).expect("legacy")).as_deref(),
            Some("https://sts.amazonaws.com")
        );
        let yaml_sts = S3Config {
            sts_endpoint: "sts.yaml.example".into(),
            ..S3Config::default()
        };
        assert_eq!(
            sts_of(resolve(&yaml_sts, &with_env).expect("yaml sts")).as_deref(),
            Some("https://sts.yaml.example"),
            "the YAML wins over the environment"
        );
        let plain = S3Config {
            sts_endpoint: "http://sts.example".into(),
            ..S3Config::default()
        };
        let err = resolve(&plain, &irsa)
            .err()
            .expect("plain http")
            .to_string();
        assert!(
            err.contains("config.sts_endpoint must be an https:// URL"),
            "{err}"
        );
        assert!(!err.contains("sts.example"), "{err}");
        let ecs = [
            ("HOME", "/nonexistent"),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds"),
        ];
        assert_eq!(
            resolve(&none, &ecs).expect("ecs").source(),
            "ECS container credentials"
        );
        let eks = [
            ("HOME", "/nonexistent"),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://169.254.170.23/v1/credentials",
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                "/var/run/eks-token",
            ),
        ];
        assert_eq!(
            resolve(&none, &eks).expect("eks").source(),
            "EKS Pod Identity"
        );
        let nothing = [("HOME", "/nonexistent")];
        assert!(resolve(&none, &nothing).expect("imds") == S3Credentials::InstanceMetadata);
    }

    #[test]
    fn half_a_key_pair_is_an_error_without_the_secret() {
        let half = S3Config {
            access_key: "AKID".into(),
            ..S3Config::default()
        };
        let err = resolve(&half, &[]).err().expect("half a pair").to_string();
        assert!(err.contains("must both be set"), "{err}");
        let env_half = [("AWS_ACCESS_KEY_ID", "AKID"), ("HOME", "/nonexistent")];
        assert!(resolve(&S3Config::default(), &env_half).is_err());
        let secret_only = S3Config {
            secret_key: "topsecret".into(),
            ..S3Config::default()
        };
        let err = resolve(&secret_only, &[])
            .err()
            .expect("no key id")
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
    }
}
