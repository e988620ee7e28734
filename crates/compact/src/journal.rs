//! The upload journal: ids of blocks being uploaded, in a local file, so a run after a
//! crash can delete the partial uploads it left.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use ulid::Ulid;

use crate::error::{IoContext, Result};

/// A set of block ids persisted in one file (one id a line).
pub struct Journal {
    path: PathBuf,
    lock: Mutex<()>,
}

impl Journal {
    /// A journal stored at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    /// The ids in the journal (unparsable lines are ignored).
    pub fn list(&self) -> Result<BTreeSet<Ulid>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| Ulid::from_string(l.trim()).ok())
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
            Err(e) => Err(e).at(&self.path),
        }
    }

    /// Adds `id`, durably.
    pub fn add(&self, id: Ulid) -> Result<()> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut ids = self.list()?;
        ids.insert(id);
        self.store(&ids)
    }

    /// Removes `id`.
    pub fn remove(&self, id: Ulid) -> Result<()> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut ids = self.list()?;
        if ids.remove(&id) {
            self.store(&ids)?;
        }
        Ok(())
    }

    /// Replaces the file atomically (temporary file, fsync, rename, directory fsync): a
    /// crash leaves the old or the new list, never a torn one.
    fn store(&self, ids: &BTreeSet<Ulid>) -> Result<()> {
        let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
        mnemos_block::write_atomic(&self.path, text.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_remove_persist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let j = Journal::new(dir.path().join("j"));
        assert!(j.list().expect("list").is_empty());
        let (a, b) = (Ulid::from_parts(1, 1), Ulid::from_parts(2, 2));
        j.add(a).expect("add");
        j.add(b).expect("add");
        j.remove(a).expect("remove");
        let again = Journal::new(dir.path().join("j"));
        assert_eq!(again.list().expect("list"), BTreeSet::from([b]));
    }
}
