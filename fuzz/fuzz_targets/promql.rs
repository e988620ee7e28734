//! PromQL: the input (UTF-8) is parsed and evaluated as an instant query and as a range
//! query over a small fixed in-memory storage, with small limits (100,000 samples, 1 s).
//! Errors are fine; panics, hangs past the timeout and runaway memory are findings.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mnemos_promql::{Engine, EngineOptions, MemStorage};
use mnemos_tsdb::Labels;

/// Start of the stored data (ms).
const T0: i64 = 1_700_000_000_000;
/// One sample every 15 s for 30 minutes.
const STEP: i64 = 15_000;
const SAMPLES: i64 = 120;

struct Fixture {
    engine: Engine,
    storage: MemStorage,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut storage = MemStorage::new();
        let series: [(&[(&str, &str)], fn(i64) -> f64); 5] = [
            (
                &[
                    ("__name__", "http_requests_total"),
                    ("job", "api"),
                    ("code", "200"),
                ],
                |i| (i * 3) as f64,
            ),
            (
                &[
                    ("__name__", "http_requests_total"),
                    ("job", "api"),
                    ("code", "500"),
                ],
                |i| {
                    // A counter reset half-way.
                    if i < 60 {
                        i as f64
                    } else {
                        (i - 60) as f64
                    }
                },
            ),
            (
                &[
                    ("__name__", "temp_celsius"),
                    ("room", "a"),
                    ("job", "sensor"),
                ],
                |i| 20.0 + (i % 7) as f64 * 0.25,
            ),
            (
                &[
                    ("__name__", "temp_celsius"),
                    ("room", "b"),
                    ("job", "sensor"),
                ],
                |i| if i % 10 == 0 { f64::NAN } else { -(i as f64) },
            ),
            (
                &[("__name__", "up"), ("job", "api"), ("instance", "x:9090")],
                |i| (i % 2) as f64,
            ),
        ];
        for (labels, value) in series {
            let samples: Vec<(i64, f64)> =
                (0..SAMPLES).map(|i| (T0 + i * STEP, value(i))).collect();
            storage.add(Labels::from_pairs(labels.iter().copied()), &samples);
        }
        let engine = Engine::new(EngineOptions {
            max_samples: 100_000,
            timeout: Some(Duration::from_secs(1)),
            ..EngineOptions::default()
        });
        Fixture { engine, storage }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    let end = T0 + (SAMPLES - 1) * STEP;
    let _ = f.engine.instant(&f.storage, query, end);
    let _ = f.engine.range(&f.storage, query, T0, end, 60_000);
});
