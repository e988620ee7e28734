//! When each partial upload (a block directory without meta.json) was first seen, kept in a
//! local file. A partial upload is abandoned only when it has been seen for the threshold
//! *and* its ULID is that old: the ULID alone can be old for a backfilled block that is
//! being uploaded right now.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use ulid::Ulid;

use crate::error::{IoContext, Result};

/// First-seen times (Unix seconds) of partial uploads, persisted in one file.
pub struct PartialTracker {
    path: PathBuf,
}

impl PartialTracker {
    /// A tracker stored at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    fn load(&self) -> Result<BTreeMap<Ulid, i64>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| {
                    let (id, t) = l.split_once(' ')?;
                    Some((Ulid::from_string(id).ok()?, t.trim().parse().ok()?))
                })
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e).at(&self.path),
        }
    }

    /// Records the partial uploads seen now (forgetting those that are gone) and returns
    /// those seen for at least `min_age_s` seconds.
    pub fn observe(
        &self,
        partial: &BTreeSet<Ulid>,
        now_s: i64,
        min_age_s: i64,
    ) -> Result<Vec<Ulid>> {
        let mut seen = self.load()?;
        seen.retain(|id, _| partial.contains(id));
        for id in partial {
            seen.entry(*id).or_insert(now_s);
        }
        let text: String = seen.iter().map(|(id, t)| format!("{id} {t}\n")).collect();
        mnemos_block::write_atomic(&self.path, text.as_bytes())?;
        Ok(seen
            .into_iter()
            .filter(|(_, t)| now_s - t >= min_age_s)
            .map(|(id, _)| id)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_enough_only_after_being_seen_that_long() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = PartialTracker::new(dir.path().join("p"));
        let (a, b) = (Ulid::from_parts(1, 1), Ulid::from_parts(2, 2));
        assert!(t
            .observe(&[a].into(), 1000, 100)
            .expect("observe")
            .is_empty());
        assert!(t
            .observe(&[a, b].into(), 1050, 100)
            .expect("observe")
            .is_empty());
        assert_eq!(
            t.observe(&[a, b].into(), 1100, 100).expect("observe"),
            vec![a]
        );
        // b finished uploading (no longer partial), then a new partial with b's id restarts.
        assert_eq!(t.observe(&[a].into(), 1200, 100).expect("observe"), vec![a]);
        assert!(t
            .observe(&[b].into(), 1250, 100)
            .expect("observe")
            .is_empty());
    }
}
