//! Harness for end-to-end tests that start real processes: the `mnemos` binary,
//! `promtool` and `prometheus` (Debian package). Everything binds to 127.0.0.1
//! on free ports, and every child process is killed when its guard drops.

pub mod bench;
pub mod cache_servers;
pub mod certs;
pub mod component;
pub mod dashboard;
pub mod faultproxy;
pub mod garage;
pub mod http;
pub mod moto;
pub mod native_histograms;
pub mod openmetrics;
pub mod otlp;
pub mod process;
pub mod promapi;
pub mod prometheus;
pub mod promql_diff;
pub mod promtool;
pub mod storeapi;
pub mod trickle;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A current-thread Tokio runtime, for test and bench code that blocks on async calls.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The bucket an objstore YAML describes (its metrics in a throwaway registry).
pub fn open_bucket(yaml: &str) -> mnemos_objstore::Bucket {
    let config = mnemos_objstore::BucketConfig::from_yaml(yaml).expect("objstore config");
    mnemos_objstore::open(
        &config,
        &mut prometheus_client::registry::Registry::default(),
    )
    .expect("open bucket")
}

/// Writes a block under `staging` holding `labels` (sorted here), the `i`-th series (in
/// label order) with `samples(i)`, its meta from `meta` (ULID assigned), and uploads it to
/// `bucket` with the external labels `external`. Returns the written block's meta.
pub fn write_and_upload_block(
    rt: &tokio::runtime::Runtime,
    bucket: &mnemos_objstore::Bucket,
    staging: &Path,
    mut labels: Vec<mnemos_tsdb::Labels>,
    samples: impl Fn(usize) -> Vec<(i64, f64)>,
    meta: mnemos_tsdb::BlockMeta,
    (external, source): (&[(&str, &str)], &str),
) -> mnemos_tsdb::BlockMeta {
    labels.sort();
    let symbols = mnemos_tsdb::block_writer::symbols_of(&labels);
    let mut w = mnemos_tsdb::BlockWriter::create(staging, symbols).expect("writer");
    for (i, l) in labels.iter().enumerate() {
        w.add_series(l, &samples(i)).expect("add series");
    }
    let meta = w.finish(meta).expect("finish block");
    let thanos = mnemos_tsdb::meta::ThanosMeta {
        version: 1,
        labels: external
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        source: source.into(),
        ..Default::default()
    };
    rt.block_on(mnemos_block::upload_block(
        bucket,
        &staging.join(&meta.ulid),
        thanos,
    ))
    .expect("upload");
    meta
}

/// Path of the `mnemos` binary built next to this test executable
/// (`cargo build -p mnemos` must have run; the test command does it).
pub fn mnemos_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("MNEMOS_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile directory");
    let bin = dir.join("mnemos");
    assert!(
        bin.is_file(),
        "{} not found: build it first with `cargo build -p mnemos` (the README test command does)",
        bin.display()
    );
    bin
}

/// Path of an external tool the tests need; fails with how to install it.
pub fn require_tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{name}` is not installed: run the README test command (scripts/test.sh), which installs the Debian packages the tests need (prometheus, memcached, redis-server)");
}

/// `mnemos tools tsdb dump [extra…] <dir>` output.
pub fn mnemos_dump(dir: &Path, extra: &[&str]) -> String {
    process::stdout_of(
        Command::new(mnemos_bin())
            .args(["tools", "tsdb", "dump"])
            .args(extra)
            .arg(dir),
    )
}

/// `mnemos tools tsdb rewrite <block> <out>`: returns the new block directory.
pub fn mnemos_rewrite(block: &Path, out: &Path) -> PathBuf {
    let printed = process::stdout_of(
        Command::new(mnemos_bin())
            .args(["tools", "tsdb", "rewrite"])
            .arg(block)
            .arg(out),
    );
    let dir = PathBuf::from(printed.trim());
    assert!(
        dir.join("meta.json").is_file(),
        "rewrite printed {printed:?}, not a block directory"
    );
    dir
}

/// Compares two dumps, reporting the first differing line instead of megabytes.
pub fn assert_same_dump(what: &str, want: &str, got: &str) {
    if want == got {
        return;
    }
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let first = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    panic!(
        "{what}: dumps differ ({} vs {} lines); first difference at line {}:\n promtool: {:?}\n mnemos:   {:?}",
        w.len(),
        g.len(),
        first + 1,
        w.get(first),
        g.get(first)
    );
}

/// The label pairs of a `promtool tsdb dump` line (`{a="x", b="y"} value ts`), with Go
/// string escapes undone.
pub fn dump_line_labels(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = line.strip_prefix('{').unwrap_or(line).chars().peekable();
    loop {
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if chars.next() != Some('"') {
            break;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some('r') => value.push('\r'),
                    Some(u @ ('u' | 'U' | 'x')) => {
                        let n = match u {
                            'u' => 4,
                            'U' => 8,
                            _ => 2,
                        };
                        let hex: String = chars.by_ref().take(n).collect();
                        if let Some(ch) =
                            u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            value.push(ch);
                        }
                    }
                    Some(other) => value.push(other),
                    None => break,
                },
                c => value.push(c),
            }
        }
        out.push((name.trim_start_matches([',', ' ']).to_string(), value));
        if chars.peek() == Some(&'}') {
            break;
        }
    }
    out
}
