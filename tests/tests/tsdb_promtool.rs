//! `mnemos tools tsdb` against the real `promtool` (Prometheus 2.42): dumps of
//! promtool-made blocks are identical, `rewrite` output dumps identically with
//! promtool itself, and `ls` prints what `promtool tsdb list` prints.

use std::process::Command;

use mnemos_e2e::openmetrics::{self, Spec};
use mnemos_e2e::process::stdout_of;
use mnemos_e2e::{assert_same_dump, mnemos_bin, mnemos_dump, mnemos_rewrite, promtool};

fn check_dataset(name: &str, spec: &Spec) {
    let work = tempfile::tempdir().unwrap();
    let om = work.path().join("data.om");
    openmetrics::write(spec, &om);
    let data = work.path().join("data");
    promtool::create_blocks(&om, &data);
    let blocks = promtool::blocks_in(&data);
    assert!(!blocks.is_empty(), "{name}: promtool made no block");

    // The whole data dir, merged across blocks.
    let want = promtool::dump(&data, &[]);
    let expected_lines = spec.series * spec.samples_per_series;
    assert_eq!(
        want.lines().count(),
        expected_lines,
        "{name}: promtool dump line count"
    );
    assert_same_dump(
        &format!("{name}: data dir"),
        &want,
        &mnemos_dump(&data, &[]),
    );

    // Time ranges and selectors, as promtool interprets them.
    let (t0, t1) = time_span(&want);
    let mid = t0 + (t1 - t0) / 3;
    let late = t0 + 2 * (t1 - t0) / 3;
    let cases: Vec<Vec<String>> = vec![
        vec![format!("--min-time={mid}"), format!("--max-time={late}")],
        vec![format!("--max-time={t0}")],
        vec!["--match={series=\"1\"}".into()],
        vec![
            "--match=mnemos_gauge{job=~\"job[0-3]\"}".into(),
            format!("--min-time={mid}"),
        ],
        vec!["--match={__name__=~\"mnemos_.*\",job!=\"job2\"}".into()],
        vec!["--match={instance=~\"host-1.*\",series!~\"1[0-9]+\"}".into()],
        vec!["--match={__name__=~'(?s:.*)'}".into()],
        vec!["--match={l00=~\".*✓.*|日本.*\"}".into()],
    ];
    for args in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_same_dump(
            &format!("{name}: dump {args:?}"),
            &promtool::dump(&data, &args),
            &mnemos_dump(&data, &args),
        );
    }

    // `ls` equals `promtool tsdb list`, plain and human readable.
    for extra in [&[][..], &["-r"][..]] {
        let got = stdout_of(
            Command::new(mnemos_bin())
                .args(["tools", "tsdb", "ls"])
                .args(extra)
                .arg(&data),
        );
        assert_eq!(got, promtool::list(&data, extra), "{name}: ls {extra:?}");
    }

    // Each block alone, and rewritten by mnemos then dumped by promtool.
    let out = work.path().join("rewritten");
    for block in &blocks {
        let single = promtool::single_block_dir(block);
        let want = promtool::dump(single.path(), &[]);
        assert_same_dump(
            &format!("{name}: block {}", block.display()),
            &want,
            &mnemos_dump(block, &[]),
        );
        let new_block = &mnemos_rewrite(block, &out);
        let rewritten = promtool::single_block_dir(new_block);
        assert_same_dump(
            &format!("{name}: promtool dump of rewritten {}", block.display()),
            &want,
            &promtool::dump(rewritten.path(), &[]),
        );
        let src = mnemos_tsdb::BlockMeta::read_from_dir(block).unwrap();
        let dst = mnemos_tsdb::BlockMeta::read_from_dir(new_block).unwrap();
        assert_eq!((dst.min_time, dst.max_time), (src.min_time, src.max_time));
        assert_eq!(dst.stats.num_samples, src.stats.num_samples);
        assert_eq!(dst.stats.num_series, src.stats.num_series);
        assert_eq!(dst.compaction.parents[0].ulid, src.ulid);
    }
}

fn time_span(dump: &str) -> (i64, i64) {
    let ts = dump
        .lines()
        .filter_map(|l| l.rsplit(' ').next()?.parse::<i64>().ok());
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for t in ts {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    (lo, hi)
}

const START: i64 = 1_700_000_000_000;

#[test]
fn a_single_series() {
    check_dataset(
        "single",
        &Spec {
            seed: 6,
            series: 1,
            samples_per_series: 1_000,
            label_names: 2,
            start_ms: START,
            max_step_ms: 45_000,
        },
    );
}

#[test]
fn three_series_of_special_values() {
    check_dataset(
        "special",
        &Spec {
            seed: 1,
            series: 3,
            samples_per_series: 700,
            label_names: 0,
            start_ms: START,
            max_step_ms: 30_000,
        },
    );
}

#[test]
fn hundred_series_many_labels_irregular() {
    check_dataset(
        "mixed",
        &Spec {
            seed: 2,
            series: 100,
            samples_per_series: 400,
            label_names: 12,
            start_ms: START,
            max_step_ms: 90_000,
        },
    );
}

#[test]
fn wide_label_sets() {
    check_dataset(
        "wide",
        &Spec {
            seed: 3,
            series: 6,
            samples_per_series: 250,
            label_names: 60,
            start_ms: START,
            max_step_ms: 20_000,
        },
    );
}

#[test]
fn ten_thousand_series() {
    check_dataset(
        "10k",
        &Spec {
            seed: 4,
            series: 10_000,
            samples_per_series: 15,
            label_names: 3,
            start_ms: START,
            max_step_ms: 60_000,
        },
    );
}

#[test]
fn tiny_and_sub_second_steps() {
    check_dataset(
        "dense",
        &Spec {
            seed: 5,
            series: 9,
            samples_per_series: 2_000,
            label_names: 1,
            start_ms: START,
            max_step_ms: 3,
        },
    );
}

/// Values exactly halfway between two shortest decimals (k/64 near 2.3e11, 17 significant
/// digits and a 5): Go rounds them half to even, and so must the dump.
#[test]
fn tie_values_dump_like_promtool() {
    let work = tempfile::tempdir().expect("tempdir");
    let om = work.path().join("ties.om");
    let mut text = String::from("# TYPE ties gauge\n");
    for k in 0..2_000u64 {
        let v = (234_142_914_464u64 * 64 + k) as f64 / 64.0;
        // The exact decimal of v, as OpenMetrics text (promtool parses it to v exactly).
        text.push_str(&format!(
            "ties{{k=\"{}\"}} {v:.6} {}\n",
            k % 4,
            1_700_000_000 + k as i64 * 15
        ));
    }
    text.push_str("# EOF\n");
    std::fs::write(&om, text).expect("write");
    let data = work.path().join("data");
    promtool::create_blocks(&om, &data);
    let want = promtool::dump(&data, &[]);
    assert!(want.contains("2.3414291446401562e+11"), "promtool's tie");
    assert_same_dump("ties", &want, &mnemos_dump(&data, &[]));
}

/// Blocks Prometheus 2.42 wrote while scraping native histograms (integer and float, gauge
/// histograms, stale markers) beside float series (`crates/tsdb/testdata/native_histograms`):
/// promtool 2.42 prints a series only up to its first histogram sample, and so does mnemos.
#[test]
fn blocks_with_native_histograms_dump_like_promtool() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/tsdb/testdata/native_histograms");
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("data");
    let mut blocks = 0;
    for entry in std::fs::read_dir(&fixture).expect("fixture") {
        let path = entry.expect("entry").path();
        if path.join("meta.json").is_file() {
            promtool::copy_dir(&path, &data.join(path.file_name().expect("name")));
            blocks += 1;
        }
    }
    assert!(blocks >= 3, "fixture blocks");
    let want = promtool::dump(&data, &[]);
    assert!(
        want.lines().count() > 50,
        "promtool prints the float series"
    );
    assert_same_dump("native histogram blocks", &want, &mnemos_dump(&data, &[]));
}
