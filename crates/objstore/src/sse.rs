//! S3 server-side encryption (`sse_config`), as Thanos configures it:
//!
//! ```yaml
//! sse_config:
//!   type: SSE-KMS              # SSE-S3 | SSE-KMS | SSE-C; empty: none
//!   kms_key_id: alias/thanos   # SSE-KMS: required
//!   kms_encryption_context: {} # SSE-KMS: refused unless empty (see below)
//!   encryption_key: /etc/key   # SSE-C: a file holding the 32-byte key
//! ```
//!
//! SSE-S3 and SSE-KMS send the encryption headers on every write; SSE-C sends the key on
//! every read and write (an object written with it cannot be read without it). The
//! `object_store` client has no way to send a KMS encryption context, so a non-empty
//! `kms_encryption_context` is a startup error rather than ignored. The key and its path
//! never appear in logs or errors.

use std::collections::BTreeMap;
use std::path::PathBuf;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use serde::Deserialize;

use crate::error::{Error, Result};

/// Length of an SSE-C key in bytes (AES-256).
pub const SSE_C_KEY_LEN: usize = 32;

/// `sse_config` of an S3 bucket (names as in Thanos).
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SseConfig {
    /// `SSE-S3`, `SSE-KMS` or `SSE-C`; empty for no server-side encryption.
    #[serde(rename = "type")]
    pub kind: String,
    /// KMS key id (SSE-KMS).
    pub kms_key_id: String,
    /// KMS encryption context (SSE-KMS); must be empty, see the module doc.
    pub kms_encryption_context: BTreeMap<String, String>,
    /// Path of the file holding the 32-byte SSE-C key.
    pub encryption_key: PathBuf,
}

/// The encryption a bucket's writes (and, for SSE-C, reads) carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SseKind {
    /// No `sse_config.type`.
    None,
    /// `SSE-S3`: keys managed by S3.
    S3,
    /// `SSE-KMS`: keys in KMS.
    Kms,
    /// `SSE-C`: the customer's key, sent with every request.
    Customer,
}

impl SseConfig {
    /// Which encryption, after checking the settings it needs (no file is read here).
    pub(crate) fn kind(&self) -> Result<SseKind> {
        let kind = match self.kind.as_str() {
            "" => SseKind::None,
            "SSE-S3" => SseKind::S3,
            "SSE-KMS" => SseKind::Kms,
            "SSE-C" => SseKind::Customer,
            _ => {
                return Err(error(
                    "config.sse_config.type is not one of SSE-S3, SSE-KMS, SSE-C",
                ))
            }
        };
        if kind == SseKind::Kms && self.kms_key_id.is_empty() {
            return Err(error(
                "config.sse_config.kms_key_id must be set if sse_config.type is set to 'SSE-KMS'",
            ));
        }
        if kind == SseKind::Customer && self.encryption_key.as_os_str().is_empty() {
            return Err(error(
                "config.sse_config.encryption_key must be set if sse_config.type is set to 'SSE-C'",
            ));
        }
        if !self.kms_encryption_context.is_empty() {
            return Err(error(
                "config.sse_config.kms_encryption_context is set, but mnemos' S3 client cannot \
                 send a KMS encryption context; remove it (objects would otherwise be \
                 encrypted without it)",
            ));
        }
        Ok(kind)
    }

    /// Configures `builder` for this encryption; SSE-C reads the key file.
    pub(crate) fn apply(&self, builder: AmazonS3Builder) -> Result<AmazonS3Builder> {
        Ok(match self.kind()? {
            SseKind::None => builder,
            SseKind::S3 => builder.with_config(config_key("aws_server_side_encryption")?, "AES256"),
            SseKind::Kms => builder.with_sse_kms_encryption(&self.kms_key_id),
            SseKind::Customer => {
                let key = std::fs::read(&self.encryption_key).map_err(|e| {
                    error(&format!(
                        "config.sse_config.encryption_key cannot be read: {}",
                        e.kind()
                    ))
                })?;
                if key.len() != SSE_C_KEY_LEN {
                    return Err(error(&format!(
                        "config.sse_config.encryption_key must name a file of exactly \
                         {SSE_C_KEY_LEN} bytes (an AES-256 key), not {} bytes",
                        key.len()
                    )));
                }
                builder.with_ssec_encryption(base64(&key))
            }
        })
    }

    /// The encryption's name for the startup log (never a key).
    pub(crate) fn describe(&self) -> &'static str {
        match self.kind() {
            Ok(SseKind::S3) => "SSE-S3",
            Ok(SseKind::Kms) => "SSE-KMS",
            Ok(SseKind::Customer) => "SSE-C",
            _ => "none",
        }
    }
}

impl std::fmt::Debug for SseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseConfig")
            .field("type", &self.kind)
            .field("kms_key_id", &self.kms_key_id)
            .field(
                "kms_encryption_context",
                &self.kms_encryption_context.keys().collect::<Vec<_>>(),
            )
            .field("encryption_key", &"<path>")
            .finish()
    }
}

/// An `object_store` S3 setting by name (the encryption keys' enum is not exported).
fn config_key(name: &str) -> Result<AmazonS3ConfigKey> {
    name.parse()
        .map_err(|e| error(&format!("S3 client setting {name}: {e}")))
}

fn error(message: &str) -> Error {
    Error::Config(format!("objstore config: {message}"))
}

/// Standard base64 with padding (RFC 4648), the form S3 takes the SSE-C key in.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> SseConfig {
        serde_yaml_ng::from_str(yaml).expect("sse yaml")
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn sse_s3_and_kms_reach_the_builder() {
        let b = parse("type: SSE-S3")
            .apply(AmazonS3Builder::new())
            .expect("s3");
        let kind = config_key("aws_server_side_encryption").expect("key");
        assert_eq!(b.get_config_value(&kind).as_deref(), Some("AES256"));
        let b = parse("type: SSE-KMS\nkms_key_id: alias/k")
            .apply(AmazonS3Builder::new())
            .expect("kms");
        assert_eq!(b.get_config_value(&kind).as_deref(), Some("aws:kms"));
        let id = config_key("aws_sse_kms_key_id").expect("key");
        assert_eq!(b.get_config_value(&id).as_deref(), Some("alias/k"));
    }

    #[test]
    fn types_and_their_required_settings() {
        assert_eq!(parse("type: \"\"").kind().expect("none"), SseKind::None);
        assert_eq!(parse("type: SSE-S3").kind().expect("s3"), SseKind::S3);
        assert_eq!(
            parse("type: SSE-KMS\nkms_key_id: alias/k")
                .kind()
                .expect("kms"),
            SseKind::Kms
        );
        for (yaml, expect) in [
            ("type: SSE-KMS", "kms_key_id must be set"),
            ("type: SSE-C", "encryption_key must be set"),
            ("type: AES256", "is not one of SSE-S3, SSE-KMS, SSE-C"),
            (
                "type: SSE-KMS\nkms_key_id: k\nkms_encryption_context: {dept: secretvalue}",
                "kms_encryption_context is set",
            ),
        ] {
            let err = parse(yaml).kind().expect_err(yaml).to_string();
            assert!(err.contains(expect), "{yaml:?}: {err}");
            assert!(
                !err.contains("secretvalue") && !err.contains("AES256"),
                "{err}"
            );
        }
        let unknown = serde_yaml_ng::from_str::<SseConfig>("type: SSE-C\nkey_file: /k");
        assert!(unknown.is_err());
    }

    #[test]
    fn sse_c_key_file_must_hold_32_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let short = dir.path().join("short");
        std::fs::write(&short, b"0123456789").expect("write");
        let c = parse(&format!("type: SSE-C\nencryption_key: {}", short.display()));
        let err = c
            .apply(AmazonS3Builder::new())
            .expect_err("short key")
            .to_string();
        assert!(
            err.contains("exactly 32 bytes") && err.contains("not 10 bytes"),
            "{err}"
        );
        assert!(!err.contains(&short.display().to_string()), "{err}");
        let good = dir.path().join("good");
        std::fs::write(&good, [7u8; 32]).expect("write");
        let c = parse(&format!("type: SSE-C\nencryption_key: {}", good.display()));
        let b = c.apply(AmazonS3Builder::new()).expect("32-byte key");
        assert_eq!(
            b.get_config_value(&config_key("aws_sse_customer_key_base64").expect("key"))
                .as_deref(),
            Some(base64(&[7u8; 32]).as_str())
        );
        assert!(!format!("{c:?}").contains("good"));
    }
}
