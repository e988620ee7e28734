//! The engine's answers to native histogram queries over the fixture blocks
//! (`crates/tsdb/testdata/native_histograms/`) against the answers Prometheus 2.42 gave to
//! the same queries on the same blocks, recorded in `testdata/native_histograms_2_42.json`
//! (one entry per query and time: `query`, `time` or `start`/`end`/`step` in ms, and the
//! API's JSON `answer`). Runs without Prometheus; `native_histograms_vs_prometheus` asks a
//! live one many more queries.
//!
//! Each function and operator meets histogram samples here: selectors with offset and `@`,
//! stale markers, range selectors, subqueries, `rate`/`increase`/`delta`/`irate`/`idelta`,
//! every aggregation, arithmetic between histograms and with scalars, comparisons, set
//! operators, `histogram_quantile`/`histogram_fraction`/`histogram_count`/`histogram_sum`,
//! and functions that see histograms as 0.

use std::path::Path;

use mnemos_promql::{BlockStorage, Engine};
use serde_json::Value as Json;

mod histjson;
use histjson::{agree, first_difference, from_engine, from_prometheus, Answer, Point};

#[test]
fn native_histogram_answers_equal_prometheus_2_42s() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = dir.join("../tsdb/testdata/native_histograms");
    let recorded = std::fs::read_to_string(dir.join("testdata/native_histograms_2_42.json"))
        .expect("read the recorded answers");
    let entries: Vec<Json> = serde_json::from_str(&recorded).expect("parse the recorded answers");
    let storage = BlockStorage::open(&fixture).expect("open the fixture's blocks");
    let engine = Engine::default();
    let (mut non_empty, mut with_histograms) = (0, 0);
    let mut failures = Vec::new();
    for e in &entries {
        let query = e["query"].as_str().expect("query");
        let expected = from_prometheus(&e["answer"].to_string());
        let (what, ours) = match e.get("time").and_then(Json::as_i64) {
            Some(t) => (
                format!("instant at {t}"),
                engine.instant(&storage, query, t),
            ),
            None => {
                let ms = |k: &str| e[k].as_i64().expect("range bound");
                (
                    format!("range {}..{} step {}", ms("start"), ms("end"), ms("step")),
                    engine.range(&storage, query, ms("start"), ms("end"), ms("step")),
                )
            }
        };
        let ours = from_engine(ours);
        match &expected {
            Answer::Vector(v) if !v.is_empty() => {
                non_empty += 1;
                with_histograms +=
                    usize::from(v.values().any(|(_, p)| matches!(p, Point::Hist(_))));
            }
            Answer::Matrix(m) if !m.is_empty() => {
                non_empty += 1;
                with_histograms += usize::from(m.values().any(|(_, h)| !h.is_empty()));
            }
            _ => {}
        }
        if !agree(&expected, &ours) {
            failures.push(format!(
                "{query} ({what}): {}",
                first_difference(&expected, &ours)
            ));
        }
    }
    println!(
        "{} recorded answers: {non_empty} non-empty, {with_histograms} with histograms",
        entries.len()
    );
    assert!(entries.len() > 300 && with_histograms > 100);
    assert!(failures.is_empty(), "{failures:#?}");
}
