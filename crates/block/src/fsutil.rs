//! Durable local writes for the small files the block and compactor crates keep on disk
//! (meta cache, upload journal, partial-upload times): a crash leaves either the old or the
//! new content, never a torn file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// Writes `data` to `path` atomically: a temporary file in the same directory is written
/// and fsynced, renamed over `path`, then the directory is fsynced so the rename survives
/// a crash.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name"),
        })?;
    // Unique per process, so two writers of one directory never share a temporary file.
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp).at(&tmp)?;
        f.write_all(data).at(&tmp)?;
        f.sync_all().at(&tmp)?;
        std::fs::rename(&tmp, path).at(path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_dir(&dir)
}

/// Fsyncs a directory so the creations, renames and removals inside it are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal");
        write_atomic(&path, b"one\n").expect("first write");
        write_atomic(&path, b"two\n").expect("second write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two\n");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["journal".to_string()]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state");
        write_atomic(&path, b"old").expect("write");
        // A directory in the way of the rename: the write fails, the old file is untouched
        // and the temporary file is removed.
        let blocked = dir.path().join("sub");
        std::fs::create_dir_all(blocked.join("x")).expect("mkdir");
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(std::fs::read(&path).expect("read"), b"old");
        assert!(std::fs::read_dir(dir.path()).expect("list").all(|e| !e
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .contains(".tmp-")));
    }
}
