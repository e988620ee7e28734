//! Prometheus v2.42's own PromQL test scripts (`/work/shared/conformance/promql-v2.42`),
//! run case by case with the `testscript` harness next to this file.
//!
//! Prints `file: passed/failed` per file and a total line, writes every failed case to
//! `$TMPDIR/mnemos-promql-conformance.txt`, and fails when fewer than [`BASELINE`] cases
//! pass (raise it as the engine improves).

use std::fmt::Write as _;
use std::path::PathBuf;

mod testscript;

use mnemos_promql::{Engine, EngineOptions};
use testscript::{run_script, Outcome};

/// Cases that must pass; raise it when the engine passes more.
const BASELINE: usize = 566;

/// `eval` cases in the suite (11 files).
const TOTAL_CASES: usize = 566;

#[test]
fn promql_conformance() {
    // A copy of ../shared/conformance/promql-v2.42 (Apache-2.0, LICENSE and NOTICE kept)
    // lives in the crate so that CI on a fresh clone runs it.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/promql-v2.42");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) => panic!(
            "PromQL conformance suite missing at {}: {e} (expected Prometheus v2.42's promql/testdata/*.test there)",
            dir.display()
        ),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());

    // The harness' engine settings (the update keeps this compiling as options are added).
    #[allow(clippy::needless_update)]
    let engine = Engine::new(EngineOptions {
        lookback_delta: 5 * 60_000,
        max_samples: 10_000,
        default_subquery_step: 60_000,
        ..EngineOptions::default()
    });

    // Engine panics are reported per case; keep their backtraces off the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    let (mut passed, mut failed, mut total) = (0, 0, 0);
    let mut details = String::new();
    let mut parse_errors = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                parse_errors.push(format!("{name}: {e}"));
                continue;
            }
        };
        let report = run_script(&engine, &text);
        if let Some(e) = &report.parse_error {
            parse_errors.push(format!("{name}: {e}"));
        }
        let (p, f) = (report.passed(), report.failed());
        println!("{name}: {p}/{f}");
        passed += p;
        failed += f;
        total += report.cases.len();
        for case in &report.cases {
            match &case.outcome {
                Outcome::Pass => {}
                Outcome::Fail(reason) => {
                    let _ = writeln!(
                        details,
                        "FAIL {name}:{} {}\n    {reason}",
                        case.line, case.expr
                    );
                }
            }
            for note in &case.notes {
                let _ = writeln!(
                    details,
                    "NOTE {name}:{} {}\n    {note}",
                    case.line, case.expr
                );
            }
        }
    }
    std::panic::set_hook(default_hook);

    println!("promql conformance: {passed} passed, {failed} failed of {total}");
    let out = std::env::temp_dir().join("mnemos-promql-conformance.txt");
    match std::fs::write(&out, &details) {
        Ok(()) => println!("per-case failures: {}", out.display()),
        Err(e) => println!("could not write {}: {e}", out.display()),
    }

    assert!(
        parse_errors.is_empty(),
        "scripts failed to parse: {parse_errors:#?}"
    );
    assert_eq!(total, TOTAL_CASES, "eval cases parsed");
    assert!(
        passed >= BASELINE,
        "{passed} cases passed, fewer than the baseline {BASELINE}; see {}",
        out.display()
    );
}
