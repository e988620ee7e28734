//! Durable file-system writes: data reaches the disk before a block becomes visible.

use std::io::Write;
use std::path::Path;

use crate::error::{IoContext, Result};

/// Writes `data` to `path` and fsyncs it.
pub fn write_file_synced(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = std::fs::File::create(path).at_path(path)?;
    f.write_all(data).at_path(path)?;
    f.sync_all().at_path(path)
}

/// Fsyncs a directory so renames and creations inside it are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .at_path(dir)
}
