//! Which blocks a store gateway serves, or a compactor compacts, by their external labels
//! and their id: Thanos' `--selector.relabel-config` rules (`keep`, `drop`, `hashmod`) over a
//! block's external labels plus `__block_id` (its ULID), so several gateways share one bucket
//! by block hash, and several compactors one bucket by stream. (The time window,
//! `--min-time`/`--max-time`, is a [`mnemos_tsdb::time::TimeBound`] pair.)

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use regex::Regex;
use serde::Deserialize;

use ulid::Ulid;

use crate::error::{Error, Result};

/// The label a block's id is offered under (Thanos' name).
pub const BLOCK_ID_LABEL: &str = "__block_id";

/// One relabel rule (Prometheus' format; actions `keep`, `drop`, `hashmod`).
#[derive(Clone, Debug, Deserialize)]
pub struct RelabelRule {
    /// `keep`, `drop` or `hashmod` (default `replace` is not supported here).
    pub action: String,
    /// Labels whose values are joined with `separator`.
    #[serde(default)]
    pub source_labels: Vec<String>,
    /// Separator (default `;`).
    #[serde(default = "default_separator")]
    pub separator: String,
    /// Anchored regex (default `(.*)`).
    #[serde(default = "default_regex")]
    pub regex: String,
    /// For `hashmod`: the modulus.
    #[serde(default)]
    pub modulus: u64,
    /// For `hashmod`: the label to write the hash to.
    #[serde(default)]
    pub target_label: String,
}

fn default_separator() -> String {
    ";".into()
}
fn default_regex() -> String {
    "(.*)".into()
}

/// Compiled relabel rules.
#[derive(Clone, Debug, Default)]
pub struct Relabel {
    rules: Vec<(RelabelRule, Regex)>,
}

impl Relabel {
    /// Parses a YAML list of rules.
    pub fn from_yaml(yaml: &str) -> Result<Self> {
        let rules: Vec<RelabelRule> = serde_yaml_ng::from_str(yaml)
            .map_err(|e| Error::Config(format!("selector relabel config: {e}")))?;
        let mut out = Vec::new();
        for r in rules {
            if !matches!(r.action.as_str(), "keep" | "drop" | "hashmod") {
                return Err(Error::Config(format!(
                    "selector relabel config: action {:?} is not supported (keep, drop, hashmod)",
                    r.action
                )));
            }
            if r.action == "hashmod" && (r.modulus == 0 || r.target_label.is_empty()) {
                return Err(Error::Config(
                    "selector relabel config: hashmod needs modulus and target_label".into(),
                ));
            }
            let re = Regex::new(&format!("^(?s:{})$", r.regex)).map_err(|e| {
                Error::Config(format!("selector relabel config: regex {:?}: {e}", r.regex))
            })?;
            out.push((r, re));
        }
        Ok(Self { rules: out })
    }

    /// Whether no rule is configured (every block kept).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether block `id` with external labels `labels` is selected (`__block_id` is
    /// offered to the rules beside the external labels).
    pub fn keeps_block(&self, id: &Ulid, labels: &BTreeMap<String, String>) -> bool {
        if self.rules.is_empty() {
            return true;
        }
        let mut labels = labels.clone();
        labels.insert(BLOCK_ID_LABEL.to_string(), id.to_string());
        self.keeps(&labels)
    }

    /// Whether a block with these labels is selected.
    pub fn keeps(&self, labels: &BTreeMap<String, String>) -> bool {
        let mut labels = labels.clone();
        for (rule, re) in &self.rules {
            let value: Vec<&str> = rule
                .source_labels
                .iter()
                .map(|n| labels.get(n).map(String::as_str).unwrap_or(""))
                .collect();
            let value = value.join(&rule.separator);
            match rule.action.as_str() {
                "keep" if !re.is_match(&value) => return false,
                "drop" if re.is_match(&value) => return false,
                "hashmod" => {
                    let sum = Md5::digest(value.as_bytes());
                    let mut tail = [0u8; 8];
                    tail.copy_from_slice(&sum[8..16]);
                    let h = u64::from_be_bytes(tail) % rule.modulus;
                    labels.insert(rule.target_label.clone(), h.to_string());
                }
                _ => {}
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relabel_keep_drop_hashmod() {
        let l = |c: &str| BTreeMap::from([("cluster".to_string(), c.to_string())]);
        let keep =
            Relabel::from_yaml("- action: keep\n  source_labels: [cluster]\n  regex: eu.*\n")
                .expect("rules");
        assert!(keep.keeps(&l("eu1")) && !keep.keeps(&l("us1")));
        let drop = Relabel::from_yaml("- action: drop\n  source_labels: [cluster]\n  regex: eu1\n")
            .expect("rules");
        assert!(!drop.keeps(&l("eu1")) && drop.keeps(&l("eu10")));
        let shard = |n: u64| {
            Relabel::from_yaml(&format!(
                "- action: hashmod\n  source_labels: [cluster]\n  modulus: 2\n  target_label: shard\n- action: keep\n  source_labels: [shard]\n  regex: \"{n}\"\n"
            ))
            .expect("rules")
        };
        for c in ["a", "b", "c", "d", "e", "f"] {
            assert!(
                shard(0).keeps(&l(c)) != shard(1).keeps(&l(c)),
                "{c} in exactly one shard"
            );
        }
        assert!(Relabel::from_yaml("- action: replace\n").is_err());
    }

    #[test]
    fn block_id_shards_blocks_of_one_stream() {
        let shard = |n: u64| {
            Relabel::from_yaml(&format!(
                "- action: hashmod\n  source_labels: [__block_id]\n  modulus: 3\n  target_label: shard\n- action: keep\n  source_labels: [shard]\n  regex: \"{n}\"\n"
            ))
            .expect("rules")
        };
        let labels = BTreeMap::from([("replica".to_string(), "a".to_string())]);
        let mut per_shard = [0usize; 3];
        for i in 0..60u128 {
            let id = Ulid::from(i * 7_919 + 1);
            let owners: Vec<u64> = (0..3)
                .filter(|&n| shard(n).keeps_block(&id, &labels))
                .collect();
            assert_eq!(owners.len(), 1, "block {id} in exactly one shard");
            per_shard[owners[0] as usize] += 1;
        }
        assert!(per_shard.iter().all(|&n| n > 5), "spread {per_shard:?}");
        assert!(Relabel::default().keeps_block(&Ulid::nil(), &labels));
    }
}
