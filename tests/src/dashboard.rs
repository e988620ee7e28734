//! Days of history for query-frontend tests and benchmarks: one-day blocks of two HA
//! replicas (`replica="a"`/`"b"`, same samples) written with mnemos' block writer and
//! uploaded to a Garage bucket, a store gateway over it and a querier deduplicating
//! `replica`; plus a "dashboard" of range queries over the whole span.

use std::path::Path;
use std::time::Duration;

use mnemos_tsdb::{BlockMeta, Labels};

use crate::component::Component;
use crate::garage::Garage;
use crate::http::{self, encode};
use crate::process::wait_for;

/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * 3_600_000;
/// Sample interval of the written series.
pub const SCRAPE_MS: i64 = 60_000;

/// The six panels of the dashboard: rates, raw counters, gauges, aggregations.
pub const PANELS: [&str; 6] = [
    "sum by (code) (rate(fe_requests_total[10m]))",
    "fe_requests_total{code=\"500\"}",
    "max_over_time(fe_temperature_celsius[1h])",
    "avg by (instance) (fe_temperature_celsius)",
    "sum(increase(fe_requests_total[1h])) / 3600",
    "count by (code) (fe_requests_total > 1000)",
];

/// The labels and samples of the written series over `mint..maxt`: per instance, a
/// counter for each of 2 codes and a gauge.
fn series(mint: i64, maxt: i64, instances: usize) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let mut out = Vec::new();
    for i in 0..instances {
        let instance = format!("10.0.{}.{}:9100", i / 256, i % 256);
        for (c, code) in ["200", "500"].iter().enumerate() {
            let per_sec = (1 + i + 3 * c) as f64 * 0.5;
            let samples = (mint..maxt)
                .step_by(SCRAPE_MS as usize)
                .map(|t| (t, (t / 1000) as f64 * per_sec % 1e9))
                .collect();
            out.push((
                Labels::from_pairs([
                    ("__name__", "fe_requests_total"),
                    ("code", code),
                    ("instance", instance.as_str()),
                    ("job", "api"),
                ]),
                samples,
            ));
        }
        let samples = (mint..maxt)
            .step_by(SCRAPE_MS as usize)
            .map(|t| {
                let hours = t as f64 / 3_600_000.0;
                (
                    t,
                    20.0 + i as f64 + 5.0 * (hours / 24.0 * std::f64::consts::TAU).sin(),
                )
            })
            .collect();
        out.push((
            Labels::from_pairs([
                ("__name__", "fe_temperature_celsius"),
                ("instance", instance.as_str()),
                ("job", "api"),
            ]),
            samples,
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A store gateway and a querier over `days` days of history.
pub struct History {
    /// The S3 server.
    pub garage: Garage,
    /// The store gateway.
    pub store: Component,
    /// The querier (`--query.replica-label=replica`).
    pub querier: Component,
    /// First sample time (ms, a day boundary).
    pub start: i64,
    /// End of the data (ms, exclusive; a day boundary at least six hours ago).
    pub end: i64,
}

impl History {
    /// Writes and uploads the blocks (3 series per instance: `instances`), starts the
    /// store gateway and the querier (with `querier_args` added), and waits until the
    /// querier answers over the whole span.
    pub fn start(work: &Path, days: i64, instances: usize, querier_args: &[String]) -> Self {
        let now = mnemos_tsdb::time::now_ms();
        let end = (now - 6 * 3_600_000).div_euclid(DAY_MS) * DAY_MS;
        let start = end - days * DAY_MS;
        let garage = Garage::start(work);
        let yaml = garage.objstore_yaml(&garage.endpoint());
        let objstore = work.join("history-objstore.yml");
        std::fs::write(&objstore, &yaml).expect("objstore config");
        let bucket = crate::open_bucket(&yaml);
        let rt = crate::runtime();
        let staging = work.join("history-blocks");
        std::fs::create_dir_all(&staging).expect("staging");
        for day in 0..days {
            let mint = start + day * DAY_MS;
            let data = series(mint, mint + DAY_MS, instances);
            for replica in ["a", "b"] {
                crate::write_and_upload_block(
                    &rt,
                    &bucket,
                    &staging,
                    data.iter().map(|(l, _)| l.clone()).collect(),
                    |i| data[i].1.clone(),
                    BlockMeta::new(String::new(), mint, mint + DAY_MS),
                    (&[("cluster", "history"), ("replica", replica)], "e2e"),
                );
            }
        }
        let mut store = Component::start(
            work,
            "history-store",
            &[
                "store".to_string(),
                format!("--objstore.config-file={}", objstore.display()),
                format!("--data-dir={}", work.join("history-store").display()),
                "--sync-block-duration=1s".to_string(),
            ],
        );
        store.wait_ready(Duration::from_secs(60));
        let mut args = vec![
            "query".to_string(),
            "--query.replica-label=replica".to_string(),
            "--endpoint.refresh-interval=1s".to_string(),
            format!("--endpoint=127.0.0.1:{}", store.grpc_port),
        ];
        args.extend(querier_args.iter().cloned());
        let mut querier = Component::start(work, "history-query", &args);
        querier.wait_ready(Duration::from_secs(30));
        let history = Self {
            garage,
            store,
            querier,
            start,
            end,
        };
        let every_day = wait_for(Duration::from_secs(60), Duration::from_millis(500), || {
            let path = format!(
                "/api/v1/query_range?query=count(fe_temperature_celsius)&start={}&end={}&step=1h",
                start / 1000,
                (end - SCRAPE_MS) / 1000
            );
            let r = http::get(history.querier.http_port, &path).ok()?;
            let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
            let points = v["data"]["result"][0]["values"].as_array()?.len() as i64;
            (points == days * 24).then_some(())
        });
        assert!(
            every_day.is_some(),
            "the querier does not serve all {days} days"
        );
        history
    }

    /// The dashboard's range query paths over `start..=end` at `step_s` seconds.
    pub fn dashboard(&self, start: i64, end: i64, step_s: i64) -> Vec<String> {
        PANELS
            .iter()
            .map(|q| {
                format!(
                    "/api/v1/query_range?query={}&start={}&end={}&step={step_s}",
                    encode(q),
                    start / 1000,
                    end / 1000
                )
            })
            .collect()
    }
}
