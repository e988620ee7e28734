//! Wrappers around `promtool`, the oracle for block contents.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{run_ok, stdout_of};
use crate::require_tool;

/// `promtool tsdb create-blocks-from openmetrics <file> <out>`.
pub fn create_blocks(openmetrics: &Path, out: &Path) {
    run_ok(
        Command::new(require_tool("promtool"))
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(openmetrics)
            .arg(out),
    );
}

/// Makes `dir` dumpable by promtool 2.42, which needs a `wal` directory.
pub fn ensure_wal(dir: &Path) {
    std::fs::create_dir_all(dir.join("wal")).expect("create wal dir");
}

/// A data directory holding only a copy of `block` (promtool skips symlinks).
pub fn single_block_dir(block: &Path) -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    let name = block.file_name().expect("block dir name");
    copy_dir(block, &d.path().join(name));
    ensure_wal(d.path());
    d
}

/// Copies a directory tree, hard-linking files where the file system allows.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else if std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst).expect("copy file");
        }
    }
}

/// `promtool tsdb dump [extra…] <data_dir>` output.
pub fn dump(data_dir: &Path, extra: &[&str]) -> String {
    tsdb("dump", data_dir, extra)
}

/// `promtool tsdb list [extra…] <data_dir>` output.
pub fn list(data_dir: &Path, extra: &[&str]) -> String {
    tsdb("list", data_dir, extra)
}

fn tsdb(subcommand: &str, data_dir: &Path, extra: &[&str]) -> String {
    ensure_wal(data_dir);
    stdout_of(
        Command::new(require_tool("promtool"))
            .args(["tsdb", subcommand])
            .args(extra)
            .arg(data_dir),
    )
}

/// Blocks backfilled by promtool from the series `spec` describes, in `<work>/local` (the
/// OpenMetrics input in `<work>/data.om`): the data directory and its blocks (at least one).
pub fn backfill(work: &Path, spec: &crate::openmetrics::Spec) -> (PathBuf, Vec<PathBuf>) {
    let om = work.join("data.om");
    crate::openmetrics::write(spec, &om);
    let data = work.join("local");
    create_blocks(&om, &data);
    let blocks = blocks_in(&data);
    assert!(!blocks.is_empty(), "promtool made no block");
    (data, blocks)
}

/// Block directories directly under `data_dir`, sorted.
pub fn blocks_in(data_dir: &Path) -> Vec<PathBuf> {
    mnemos_tsdb::block_set::block_dirs(data_dir).expect("list block directories")
}
