//! Where Azure credentials come from, in the order of Thanos' Azure provider: the
//! `storage_account_key` of the YAML; a service principal in the YAML (`az_tenant_id`,
//! `client_id`, `client_secret`); the user-assigned managed identity `user_assigned_id`;
//! otherwise Azure's default chain: a service principal in the environment
//! (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`), workload identity
//! (`AZURE_FEDERATED_TOKEN_FILE` with `AZURE_CLIENT_ID` and `AZURE_TENANT_ID`), and last the
//! managed identity of the machine (user-assigned when `AZURE_CLIENT_ID` is set).
//! `AZURE_AUTHORITY_HOST` and `IDENTITY_ENDPOINT` are honoured as the Azure SDK does.
//! [`AzureCredentials::source`] names the choice for the log, never a secret.

use object_store::azure::MicrosoftAzureBuilder;

use crate::config::AzureConfig;
use crate::error::{Error, Result};

/// The credentials an Azure container is opened with.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum AzureCredentials {
    /// The storage account key of the YAML.
    AccessKey(String),
    /// A service principal with a client secret.
    ClientSecret {
        /// Tenant id.
        tenant_id: String,
        /// Client (application) id.
        client_id: String,
        /// Client secret.
        secret: String,
        /// Where they came from (no secret).
        origin: &'static str,
    },
    /// Workload identity: a federated token file exchanged for a token.
    WorkloadIdentity {
        /// Tenant id.
        tenant_id: String,
        /// Client id.
        client_id: String,
        /// `AZURE_FEDERATED_TOKEN_FILE`.
        token_file: String,
    },
    /// The managed identity of the machine, user-assigned when a client id is given.
    ManagedIdentity {
        /// Client id of a user-assigned identity.
        client_id: Option<String>,
        /// Where the client id came from, if any.
        origin: &'static str,
    },
}

/// Checks the combinations Thanos refuses (values are never named).
pub(crate) fn check(config: &AzureConfig) -> Result<()> {
    let refuse = |message: &str| Err(Error::Config(format!("objstore config: {message}")));
    if !config.user_assigned_id.is_empty() && !config.storage_account_key.is_empty() {
        return refuse(
            "config.user_assigned_id cannot be set when using storage_account_key authentication",
        );
    }
    if !config.user_assigned_id.is_empty() && !config.client_id.is_empty() {
        return refuse("config.user_assigned_id cannot be set when using client_id authentication");
    }
    let principal = [
        &config.az_tenant_id,
        &config.client_id,
        &config.client_secret,
    ];
    if principal.iter().any(|v| !v.is_empty()) && principal.iter().any(|v| v.is_empty()) {
        return refuse(
            "config.az_tenant_id, config.client_id and config.client_secret must be set together",
        );
    }
    if !config.msi_resource.is_empty() {
        tracing::warn!(
            "objstore config: config.msi_resource is deprecated in Thanos and ignored (the \
             resource is chosen by the identity service)"
        );
    }
    Ok(())
}

impl AzureCredentials {
    /// Resolves the credentials for `config`, reading the environment through `env`.
    pub(crate) fn resolve(config: &AzureConfig, env: impl Fn(&str) -> Option<String>) -> Self {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        if !config.storage_account_key.is_empty() {
            return Self::AccessKey(config.storage_account_key.clone());
        }
        if !config.client_secret.is_empty() {
            return Self::ClientSecret {
                tenant_id: config.az_tenant_id.clone(),
                client_id: config.client_id.clone(),
                secret: config.client_secret.clone(),
                origin: "objstore config (client_secret)",
            };
        }
        if !config.user_assigned_id.is_empty() {
            return Self::ManagedIdentity {
                client_id: Some(config.user_assigned_id.clone()),
                origin: "user_assigned_id",
            };
        }
        let (tenant, client) = (env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID"));
        if let (Some(tenant_id), Some(client_id), Some(secret)) =
            (tenant.clone(), client.clone(), env("AZURE_CLIENT_SECRET"))
        {
            return Self::ClientSecret {
                tenant_id,
                client_id,
                secret,
                origin: "environment (AZURE_CLIENT_SECRET)",
            };
        }
        if let (Some(tenant_id), Some(client_id), Some(token_file)) =
            (tenant, client.clone(), env("AZURE_FEDERATED_TOKEN_FILE"))
        {
            return Self::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
            };
        }
        Self::ManagedIdentity {
            origin: if client.is_some() {
                "AZURE_CLIENT_ID"
            } else {
                ""
            },
            client_id: client,
        }
    }

    /// Where the credentials come from, for the log (never a secret).
    pub(crate) fn source(&self) -> String {
        match self {
            Self::AccessKey(_) => "objstore config (storage_account_key)".to_string(),
            Self::ClientSecret {
                client_id, origin, ..
            } => format!("service principal {client_id} from {origin}"),
            Self::WorkloadIdentity { client_id, .. } => {
                format!("workload identity (AZURE_FEDERATED_TOKEN_FILE, client {client_id})")
            }
            Self::ManagedIdentity {
                client_id: Some(id),
                origin,
            } => format!("managed identity (user-assigned {id} from {origin})"),
            Self::ManagedIdentity {
                client_id: None, ..
            } => "managed identity (system-assigned)".to_string(),
        }
    }

    /// Configures `builder` with these credentials (and the identity service settings of
    /// the environment, read through `env`).
    pub(crate) fn apply(
        self,
        builder: MicrosoftAzureBuilder,
        env: impl Fn(&str) -> Option<String>,
    ) -> MicrosoftAzureBuilder {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let mut b = match self {
            Self::AccessKey(key) => builder.with_access_key(key),
            Self::ClientSecret {
                tenant_id,
                client_id,
                secret,
                ..
            } => builder.with_client_secret_authorization(client_id, secret, tenant_id),
            Self::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
            } => builder
                .with_client_id(client_id)
                .with_tenant_id(tenant_id)
                .with_federated_token_file(token_file),
            Self::ManagedIdentity { client_id, .. } => {
                let b = match env("IDENTITY_ENDPOINT") {
                    Some(url) => builder.with_msi_endpoint(url),
                    None => builder,
                };
                match client_id {
                    Some(id) => b.with_client_id(id),
                    None => b,
                }
            }
        };
        if let Some(host) = env("AZURE_AUTHORITY_HOST") {
            b = b.with_authority_host(host);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::azure::AzureConfigKey;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| vars.get(k).cloned()
    }

    fn base() -> AzureConfig {
        AzureConfig {
            storage_account: "acc".into(),
            container: "c".into(),
            ..AzureConfig::default()
        }
    }

    #[test]
    fn the_chain_in_thanos_order() {
        let all_env = [
            ("AZURE_TENANT_ID", "tenant"),
            ("AZURE_CLIENT_ID", "envclient"),
            ("AZURE_CLIENT_SECRET", "ENVSECRET"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/azure-token"),
        ];
        let key = AzureConfig {
            storage_account_key: "KEYSECRET".into(),
            ..base()
        };
        let chosen = AzureCredentials::resolve(&key, env_of(&all_env));
        assert_eq!(chosen.source(), "objstore config (storage_account_key)");
        let principal = AzureConfig {
            az_tenant_id: "t".into(),
            client_id: "yamlclient".into(),
            client_secret: "YAMLSECRET".into(),
            ..base()
        };
        assert_eq!(
            AzureCredentials::resolve(&principal, env_of(&all_env)).source(),
            "service principal yamlclient from objstore config (client_secret)"
        );
        let uai = AzureConfig {
            user_assigned_id: "uai".into(),
            ..base()
        };
        assert_eq!(
            AzureCredentials::resolve(&uai, env_of(&all_env)).source(),
            "managed identity (user-assigned uai from user_assigned_id)"
        );
        let chosen = AzureCredentials::resolve(&base(), env_of(&all_env));
        assert_eq!(
            chosen.source(),
            "service principal envclient from environment (AZURE_CLIENT_SECRET)"
        );
        let workload = AzureCredentials::resolve(&base(), env_of(&all_env[..2]));
        assert_eq!(
            workload.source(),
            "managed identity (user-assigned envclient from AZURE_CLIENT_ID)"
        );
        let federated = [all_env[0], all_env[1], all_env[3]];
        let workload = AzureCredentials::resolve(&base(), env_of(&federated));
        assert_eq!(
            workload.source(),
            "workload identity (AZURE_FEDERATED_TOKEN_FILE, client envclient)"
        );
        let b = workload.apply(MicrosoftAzureBuilder::new(), env_of(&[]));
        assert_eq!(
            b.get_config_value(&AzureConfigKey::FederatedTokenFile)
                .as_deref(),
            Some("/var/run/azure-token")
        );
        assert_eq!(
            AzureCredentials::resolve(&base(), env_of(&[])).source(),
            "managed identity (system-assigned)"
        );
        for c in [&key, &principal] {
            let source = AzureCredentials::resolve(c, env_of(&all_env)).source();
            assert!(!source.contains("SECRET"), "{source}");
        }
    }

    #[test]
    fn thanos_refusals() {
        for (config, expect) in [
            (
                AzureConfig {
                    user_assigned_id: "u".into(),
                    storage_account_key: "k".into(),
                    ..base()
                },
                "user_assigned_id cannot be set when using storage_account_key",
            ),
            (
                AzureConfig {
                    user_assigned_id: "u".into(),
                    client_id: "c".into(),
                    ..base()
                },
                "user_assigned_id cannot be set when using client_id",
            ),
            (
                AzureConfig {
                    client_secret: "SECRET".into(),
                    ..base()
                },
                "must be set together",
            ),
        ] {
            let err = check(&config).expect_err(expect).to_string();
            assert!(err.contains(expect) && !err.contains("SECRET"), "{err}");
        }
    }
}
