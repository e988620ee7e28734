//! Groups: blocks with the same external labels (replica labels removed) and resolution,
//! compacted only with each other.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use mnemos_tsdb::meta::BlockMeta;
use ulid::Ulid;

/// The identity of a group.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupKey {
    /// Resolution in ms (0 = raw).
    pub resolution: i64,
    /// External labels without the replica labels.
    pub labels: BTreeMap<String, String>,
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{{", self.resolution)?;
        for (i, (k, v)) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v:?}")?;
        }
        f.write_str("}")
    }
}

/// External labels of a block (empty when it has no `thanos` section).
pub fn external_labels(meta: &BlockMeta) -> BTreeMap<String, String> {
    meta.thanos
        .as_ref()
        .map(|t| t.labels.clone())
        .unwrap_or_default()
}

/// The group a block belongs to.
pub fn group_key(meta: &BlockMeta, replica_labels: &[String]) -> GroupKey {
    let mut labels = external_labels(meta);
    labels.retain(|k, _| !replica_labels.contains(k));
    GroupKey {
        resolution: meta.resolution(),
        labels,
    }
}

/// Blocks by group, each group's blocks sorted by min time.
pub fn group_blocks<'a>(
    metas: impl IntoIterator<Item = (&'a Ulid, &'a Arc<BlockMeta>)>,
    replica_labels: &[String],
) -> BTreeMap<GroupKey, Vec<(Ulid, Arc<BlockMeta>)>> {
    let mut out: BTreeMap<GroupKey, Vec<(Ulid, Arc<BlockMeta>)>> = BTreeMap::new();
    for (id, meta) in metas {
        out.entry(group_key(meta, replica_labels))
            .or_default()
            .push((*id, meta.clone()));
    }
    for blocks in out.values_mut() {
        blocks.sort_by_key(|(id, m)| (m.min_time, m.max_time, *id));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::meta::ThanosMeta;

    fn meta(labels: &[(&str, &str)], res: i64) -> Arc<BlockMeta> {
        let mut m = BlockMeta::new(Ulid::new().to_string(), 0, 1);
        let mut t = ThanosMeta {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ThanosMeta::default()
        };
        t.downsample.resolution = res;
        m.thanos = Some(t);
        Arc::new(m)
    }

    #[test]
    fn replicas_share_a_group_only_without_the_replica_label() {
        let blocks = BTreeMap::from([
            (
                Ulid::from_parts(1, 0),
                meta(&[("c", "eu"), ("replica", "a")], 0),
            ),
            (
                Ulid::from_parts(2, 0),
                meta(&[("c", "eu"), ("replica", "b")], 0),
            ),
            (
                Ulid::from_parts(3, 0),
                meta(&[("c", "eu"), ("replica", "a")], 300_000),
            ),
        ]);
        assert_eq!(group_blocks(&blocks, &[]).len(), 3);
        let g = group_blocks(&blocks, &["replica".to_string()]);
        assert_eq!(g.len(), 2);
        let raw = g.keys().next().expect("group");
        assert_eq!(raw.to_string(), "0@{c=\"eu\"}");
        assert_eq!(g[raw].len(), 2);
    }
}
