//! Writes deterministic OpenMetrics test data to stdout (for benchmarks and
//! manual experiments): `gen-openmetrics SERIES SAMPLES_PER_SERIES [MAX_STEP_MS]`.

use std::io::Write;

use mnemos_e2e::openmetrics::{generate, Spec};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map_or(Ok(default), |s| s.parse())
            .unwrap_or_else(|e| {
                eprintln!("usage: gen-openmetrics SERIES SAMPLES_PER_SERIES [MAX_STEP_MS]: {e}");
                std::process::exit(2)
            })
    };
    let spec = Spec {
        seed: 42,
        series: num(0, 1000) as usize,
        samples_per_series: num(1, 1000) as usize,
        label_names: 2,
        start_ms: 1_700_000_000_000,
        max_step_ms: num(2, 30_000) as i64,
    };
    let text = generate(&spec);
    if std::io::stdout().write_all(text.as_bytes()).is_err() {
        std::process::exit(1);
    }
}
