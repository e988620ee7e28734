//! Converted blocks read as a data lake: the Parquet files `mnemos tools bucket parquet
//! convert` writes are opened, as they are, by DuckDB (`read_parquet`) and by pyarrow
//! (`pyarrow.parquet.read_table`) in `tests/python/parquet_datalake.py`, run with the venv
//! `scripts/install-test-deps.sh` makes (`~/.cache/mnemos-tools/datalake-venv`, or
//! `$MNEMOS_DATALAKE_PYTHON`).
//!
//! promtool backfills 2h blocks from OpenMetrics text (unicode and escaped label values,
//! multi-hour gaps); mnemos' compactor merges them into one block spanning several 8h data
//! columns; `mnemos tools bucket upload` puts all of them in a filesystem bucket and
//! `mnemos tools bucket parquet convert` converts each. For every block, both engines must
//! report what `promtool tsdb dump` and `promtool tsdb analyze` of the source block report
//! (and its meta.json): the series count, every label name's values, the total samples
//! (sample counts of the XOR chunk records in the `s_data_*` cells), the samples of each
//! series, the first and last timestamps; and the two engines must agree with each other.
//! The cardinality report SQL of `docs/parquet-duckdb.md` (which must hold the script's SQL
//! verbatim) is run over all converted blocks at once and checked against the dump of the
//! whole data set and promtool's analysis of the compacted block.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use mnemos_compact::source::Source;
use mnemos_e2e::openmetrics::Spec;
use mnemos_e2e::process::{run_ok, stdout_of};
use mnemos_e2e::{dump_line_labels, mnemos_bin, promtool, require_tool};
use mnemos_tsdb::meta::BlockDesc;
use mnemos_tsdb::BlockMeta;
use serde::Deserialize;

/// A series' labels, sorted by name.
type LabelSet = Vec<(String, String)>;

/// What the script prints.
#[derive(Debug, Deserialize)]
struct Output {
    versions: BTreeMap<String, String>,
    blocks: BTreeMap<String, Engines>,
    report: Report,
    agree: bool,
}

#[derive(Debug, Deserialize)]
struct Engines {
    duckdb: Summary,
    pyarrow: Summary,
}

/// One engine's reading of one block.
#[derive(Debug, PartialEq, Deserialize)]
struct Summary {
    series: u64,
    label_values: BTreeMap<String, Vec<String>>,
    samples: u64,
    samples_by_encoding: BTreeMap<String, u64>,
    chunks: u64,
    min_time: Option<i64>,
    max_time: Option<i64>,
    data_columns: u64,
    series_samples: Vec<(BTreeMap<String, String>, u64)>,
}

/// The cardinality report (DuckDB, all blocks at once).
#[derive(Debug, Deserialize)]
struct Report {
    sql: BTreeMap<String, String>,
    series_per_metric: Vec<(String, u64)>,
    series_per_label: Vec<(String, u64, u64)>,
    top_label_values: Vec<(String, String, u64)>,
}

/// What promtool says of a data directory.
struct Truth {
    /// Samples per series (from `promtool tsdb dump`, one line per sample).
    series: BTreeMap<LabelSet, u64>,
    samples: u64,
    min_time: i64,
    max_time: i64,
}

impl Truth {
    fn of_dump(dump: &str) -> Truth {
        let mut series: BTreeMap<LabelSet, u64> = BTreeMap::new();
        let (mut samples, mut min_time, mut max_time) = (0u64, i64::MAX, i64::MIN);
        for line in dump.lines() {
            let mut labels = dump_line_labels(line);
            labels.sort();
            *series.entry(labels).or_default() += 1;
            let t: i64 = line
                .rsplit(' ')
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("no timestamp in dump line {line:?}"));
            min_time = min_time.min(t);
            max_time = max_time.max(t);
            samples += 1;
        }
        Truth {
            series,
            samples,
            min_time,
            max_time,
        }
    }

    fn label_values(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (name, value) in self.series.keys().flatten() {
            out.entry(name.clone()).or_default().insert(value.clone());
        }
        out
    }

    /// Series per label pair.
    fn pairs(&self) -> BTreeMap<(String, String), u64> {
        let mut out: BTreeMap<(String, String), u64> = BTreeMap::new();
        for pair in self.series.keys().flatten() {
            *out.entry(pair.clone()).or_default() += 1;
        }
        out
    }
}

/// `promtool tsdb analyze` of a data directory holding one block: its counts and the
/// `count item` lists by heading.
struct Analysis {
    series: u64,
    label_names: u64,
    lists: BTreeMap<String, Vec<(u64, String)>>,
}

impl Analysis {
    fn of(data_dir: &Path) -> Analysis {
        promtool::ensure_wal(data_dir);
        let text = stdout_of(
            Command::new(require_tool("promtool"))
                .args(["tsdb", "analyze", "--limit=20"])
                .arg(data_dir),
        );
        let number = |key: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.trim().parse().ok())
                .unwrap_or_else(|| panic!("no {key:?} in promtool tsdb analyze:\n{text}"))
        };
        let mut lists: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
        let mut heading: Option<String> = None;
        for line in text.lines() {
            if let Some(h) = line.strip_suffix(':') {
                heading = Some(h.to_string());
                continue;
            }
            let Some(h) = &heading else { continue };
            let list = lists.entry(h.clone()).or_default();
            // analyze prints values raw: a value with a newline continues on the next line.
            match line
                .split_once(' ')
                .map(|(n, rest)| (n.parse::<u64>(), rest))
            {
                Some((Ok(n), item)) => list.push((n, item.to_string())),
                _ if line.is_empty() => heading = None,
                _ => {
                    let (_, item) = list
                        .last_mut()
                        .unwrap_or_else(|| panic!("analyze line {line:?} under {h:?}"));
                    item.push('\n');
                    item.push_str(line);
                }
            }
        }
        Analysis {
            series: number("Series:"),
            label_names: number("Label names:"),
            lists,
        }
    }

    fn list(&self, heading: &str) -> &[(u64, String)] {
        self.lists
            .get(heading)
            .unwrap_or_else(|| panic!("no {heading:?} list in promtool tsdb analyze"))
    }
}

/// The datalake venv's Python (`$MNEMOS_DATALAKE_PYTHON`, else
/// `~/.cache/mnemos-tools/datalake-venv/bin/python`), or `None` with a note on stderr when it
/// is missing outside CI; under `CI=true` a missing venv fails the test.
fn datalake_python_or_skip(test: &str) -> Option<PathBuf> {
    let found = match std::env::var_os("MNEMOS_DATALAKE_PYTHON") {
        Some(p) => Some(PathBuf::from(p)).filter(|p| p.is_file()),
        None => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".cache/mnemos-tools/datalake-venv/bin/python"))
            .filter(|p| p.is_file()),
    };
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the DuckDB/pyarrow venv is not installed (CI=true): scripts/install-test-deps.sh \
             installs it"
        );
        eprintln!(
            "skipping {test}: the DuckDB/pyarrow venv is not installed (run \
             scripts/install-test-deps.sh, or set MNEMOS_DATALAKE_PYTHON)"
        );
    }
    found
}

const HOUR_MS: i64 = 3_600_000;
/// Time per `s_data_<n>` column the test converts with (parquet-common's 8h, not mnemos'
/// 2d default, so the compacted block has several columns).
const COLUMN_MS: i64 = 8 * HOUR_MS;

/// Merges `blocks` into one block under `out` with mnemos' compactor; returns its directory.
fn compact(blocks: &[PathBuf], out: &Path) -> PathBuf {
    let metas: Vec<BlockMeta> = blocks
        .iter()
        .map(|d| BlockMeta::read_from_dir(d).expect("source meta.json"))
        .collect();
    let min = metas.iter().map(|m| m.min_time).min().expect("a block");
    let max = metas.iter().map(|m| m.max_time).max().expect("a block");
    let mut meta = BlockMeta::new(String::new(), min, max);
    meta.compaction.level = 2;
    meta.compaction.sources = metas
        .iter()
        .flat_map(|m| m.compaction.sources.clone())
        .collect();
    meta.compaction.parents = metas
        .iter()
        .map(|m| BlockDesc {
            ulid: m.ulid.clone(),
            min_time: m.min_time,
            max_time: m.max_time,
        })
        .collect();
    let sources: Vec<Source> = blocks
        .iter()
        .map(|d| Source::open_dir(d).expect("open source block"))
        .collect();
    std::fs::create_dir_all(out).expect("create compaction output dir");
    let (meta, _) =
        mnemos_compact::merge::compact_blocks(sources, out, meta, None).expect("compact blocks");
    out.join(meta.ulid)
}

/// One engine's summary of a block against promtool's dump and analysis of it.
fn check_block(engine: &str, block: &Path, got: &Summary, truth: &Truth, analysis: &Analysis) {
    let what = format!("{engine}, block {}", block.display());
    let meta = BlockMeta::read_from_dir(block).expect("meta.json");

    assert_eq!(
        got.series,
        truth.series.len() as u64,
        "{what}: series (dump)"
    );
    assert_eq!(got.series, analysis.series, "{what}: series (analyze)");
    assert_eq!(
        got.series, meta.stats.num_series,
        "{what}: series (meta.json)"
    );

    let want_values: BTreeMap<String, Vec<String>> = truth
        .label_values()
        .into_iter()
        .map(|(name, values)| (name, values.into_iter().collect()))
        .collect();
    assert_eq!(got.label_values, want_values, "{what}: label values (dump)");
    assert_eq!(
        got.label_values.len() as u64,
        analysis.label_names,
        "{what}: label names (analyze)"
    );
    for (count, name) in analysis.list("Highest cardinality labels") {
        let values = got.label_values.get(name).map_or(0, Vec::len);
        assert_eq!(
            values as u64, *count,
            "{what}: values of label {name:?} (analyze)"
        );
    }
    for (count, metric) in analysis.list("Highest cardinality metric names") {
        let series = got
            .series_samples
            .iter()
            .filter(|(l, _)| l.get("__name__") == Some(metric))
            .count();
        assert_eq!(
            series as u64, *count,
            "{what}: series of {metric:?} (analyze)"
        );
    }

    assert_eq!(got.samples, truth.samples, "{what}: samples (dump lines)");
    assert_eq!(
        got.samples, meta.stats.num_samples,
        "{what}: samples (meta.json)"
    );
    assert_eq!(
        got.samples_by_encoding.get("xor"),
        Some(&got.samples),
        "{what}: all samples are floats: {:?}",
        got.samples_by_encoding
    );
    assert!(got.chunks >= got.series, "{what}: {} chunks", got.chunks);
    assert_eq!(
        (got.min_time, got.max_time),
        (Some(truth.min_time), Some(truth.max_time)),
        "{what}: first and last sample times (dump)"
    );
    assert_eq!(
        got.data_columns as i64,
        (meta.max_time - meta.min_time) / COLUMN_MS + 1,
        "{what}: s_data_* columns for [{}, {})",
        meta.min_time,
        meta.max_time
    );

    let got_series: BTreeMap<LabelSet, u64> = got
        .series_samples
        .iter()
        .map(|(l, n)| (l.clone().into_iter().collect(), *n))
        .collect();
    assert_eq!(
        got_series.len(),
        got.series_samples.len(),
        "{what}: a label set in two rows"
    );
    if got_series != truth.series {
        let differing: Vec<_> = truth
            .series
            .iter()
            .filter(|(l, n)| got_series.get(*l) != Some(n))
            .take(3)
            .map(|(l, n)| (l, n, got_series.get(l)))
            .collect();
        panic!(
            "{what}: samples per series differ from the dump (labels, dump, parquet): \
             {differing:?}"
        );
    }
}

/// The report over all blocks against the dump of the whole data set and promtool's
/// analysis of the compacted block (which holds all of it).
fn check_report(report: &Report, truth: &Truth, analysis: &Analysis) {
    let mut per_metric: BTreeMap<String, u64> = BTreeMap::new();
    for labels in truth.series.keys() {
        let name = labels
            .iter()
            .find(|(n, _)| n == "__name__")
            .map(|(_, v)| v.clone())
            .expect("a series without a metric name");
        *per_metric.entry(name).or_default() += 1;
    }
    let mut want_metrics: Vec<(String, u64)> = per_metric.into_iter().collect();
    want_metrics.sort_by(|a, b| (Reverse(a.1), &a.0).cmp(&(Reverse(b.1), &b.0)));
    assert_eq!(report.series_per_metric, want_metrics, "series per metric");
    for (count, metric) in analysis.list("Highest cardinality metric names") {
        assert!(
            report.series_per_metric.contains(&(metric.clone(), *count)),
            "{metric:?} has {count} series (analyze); report: {:?}",
            report.series_per_metric
        );
    }

    let pairs = truth.pairs();
    let mut per_label: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for ((name, _), series) in &pairs {
        let e = per_label.entry(name.clone()).or_default();
        e.0 += series;
        e.1 += 1;
    }
    let mut want_labels: Vec<(String, u64, u64)> = per_label
        .into_iter()
        .map(|(name, (series, values))| (name, series, values))
        .collect();
    want_labels.sort_by(|a, b| (Reverse(a.2), &a.0).cmp(&(Reverse(b.2), &b.0)));
    assert_eq!(report.series_per_label, want_labels, "series per label");
    for (count, name) in analysis.list("Highest cardinality labels") {
        let row = report.series_per_label.iter().find(|r| &r.0 == name);
        assert_eq!(
            row.map(|r| r.2),
            Some(*count),
            "distinct values of {name:?} (analyze)"
        );
    }

    let mut want_top: Vec<(String, String, u64)> = pairs
        .iter()
        .map(|((n, v), s)| (n.clone(), v.clone(), *s))
        .collect();
    want_top.sort_by(|a, b| (Reverse(a.2), &a.0, &a.1).cmp(&(Reverse(b.2), &b.0, &b.1)));
    want_top.truncate(20);
    assert_eq!(report.top_label_values, want_top, "top label values");
    // promtool lists the same 20 counts (ties in its own order), each right.
    let common = analysis.list("Most common label pairs");
    assert_eq!(
        common.iter().map(|(n, _)| *n).collect::<Vec<u64>>(),
        report
            .top_label_values
            .iter()
            .map(|r| r.2)
            .collect::<Vec<u64>>(),
        "top label pair counts (analyze)"
    );
    for (count, pair) in common {
        let (name, value) = pair
            .split_once('=')
            .unwrap_or_else(|| panic!("label pair {pair:?} in promtool tsdb analyze"));
        assert_eq!(
            pairs.get(&(name.to_string(), value.to_string())),
            Some(count),
            "series with {pair:?} (analyze)"
        );
    }
}

#[test]
fn duckdb_and_pyarrow_read_converted_blocks_as_promtool_does() {
    let Some(python) =
        datalake_python_or_skip("duckdb_and_pyarrow_read_converted_blocks_as_promtool_does")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();

    // promtool's 2h blocks: 30 series over more than a day (irregular steps, gaps of hours),
    // label values with unicode, quotes, backslashes and newlines.
    let spec = Spec {
        seed: 17,
        series: 30,
        samples_per_series: 600,
        label_names: 3,
        start_ms: 1_700_000_000_000,
        max_step_ms: 240_000,
    };
    let (data, blocks) = promtool::backfill(work, &spec);
    assert!(blocks.len() >= 4, "{} blocks from promtool", blocks.len());
    // mnemos' compactor merges them all into one block spanning several 8h data columns.
    let compacted = compact(&blocks, &work.join("compacted"));
    let compacted_meta = BlockMeta::read_from_dir(&compacted).expect("compacted meta.json");
    assert!(
        compacted_meta.max_time - compacted_meta.min_time > 2 * COLUMN_MS,
        "the compacted block spans {} ms",
        compacted_meta.max_time - compacted_meta.min_time
    );

    // A filesystem bucket with every block, converted by the CLI.
    let bucket = work.join("bucket");
    std::fs::create_dir_all(&bucket).expect("create bucket dir");
    let objstore = work.join("objstore.yaml");
    std::fs::write(
        &objstore,
        format!(
            "type: FILESYSTEM\nconfig:\n  directory: {}\n",
            bucket.display()
        ),
    )
    .expect("write objstore config");
    let uploaded = stdout_of(
        Command::new(mnemos_bin())
            .args(["tools", "bucket", "upload", "--objstore.config-file"])
            .arg(&objstore)
            .args(["--label", "cluster=datalake", "--path"])
            .arg(&data)
            .arg(&compacted),
    );
    let mut local: Vec<PathBuf> = blocks.clone();
    local.push(compacted.clone());
    let ids: Vec<&str> = local
        .iter()
        .map(|d| d.file_name().and_then(|n| n.to_str()).expect("block name"))
        .collect();
    assert_eq!(
        uploaded.lines().collect::<BTreeSet<&str>>(),
        ids.iter().copied().collect::<BTreeSet<&str>>(),
        "uploaded blocks"
    );

    let converted = stdout_of(
        Command::new(mnemos_bin())
            .args([
                "tools",
                "bucket",
                "parquet",
                "convert",
                "--objstore.config-file",
            ])
            .arg(&objstore)
            .arg("--dir")
            .arg(work.join("scratch"))
            .arg("--parquet.convert.column-duration=8h"),
    );
    for id in &ids {
        assert!(
            converted
                .lines()
                .any(|l| l.starts_with(&format!("{id}\tconverted\t"))),
            "{id} not converted:\n{converted}"
        );
        assert!(
            bucket
                .join(id)
                .join("parquet-converter-mark.json")
                .is_file(),
            "{id}: no converter mark"
        );
    }

    // Both engines, every block; the report over all of them.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/parquet_datalake.py");
    let dirs: Vec<PathBuf> = ids.iter().map(|id| bucket.join(id)).collect();
    let out = run_ok(Command::new(&python).arg(&script).args(&dirs));
    let text = String::from_utf8(out.stdout).expect("utf-8 JSON");
    let output: Output = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("script output is not the expected JSON ({e}):\n{text}"));
    eprintln!("script ran with {:?}", output.versions);
    assert!(output.agree, "DuckDB and pyarrow disagree");

    for (dir, block) in dirs.iter().zip(&local) {
        let engines = output
            .blocks
            .get(dir.to_str().expect("utf-8 path"))
            .unwrap_or_else(|| panic!("no result for {}", dir.display()));
        let single = promtool::single_block_dir(block);
        let truth = Truth::of_dump(&promtool::dump(single.path(), &[]));
        let analysis = Analysis::of(single.path());
        check_block("duckdb", block, &engines.duckdb, &truth, &analysis);
        check_block("pyarrow", block, &engines.pyarrow, &truth, &analysis);
        assert_eq!(engines.duckdb, engines.pyarrow, "DuckDB vs pyarrow");
        eprintln!(
            "{}: {} series, {} samples in {} chunks, {} data columns: as promtool",
            dir.display(),
            engines.duckdb.series,
            engines.duckdb.samples,
            engines.duckdb.chunks,
            engines.duckdb.data_columns
        );
    }

    let all = Truth::of_dump(&promtool::dump(&data, &[]));
    assert_eq!(
        all.samples,
        (spec.series * spec.samples_per_series) as u64,
        "samples in the data set"
    );
    let compacted_single = promtool::single_block_dir(&compacted);
    check_report(&output.report, &all, &Analysis::of(compacted_single.path()));

    // The user doc runs the very same SQL.
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/parquet-duckdb.md");
    let doc = std::fs::read_to_string(&doc_path).expect("read docs/parquet-duckdb.md");
    for (name, sql) in &output.report.sql {
        assert!(
            doc.contains(sql.as_str()),
            "docs/parquet-duckdb.md lacks the script's {name} SQL verbatim:\n{sql}"
        );
    }
}
