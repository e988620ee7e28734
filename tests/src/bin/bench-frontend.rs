//! The query-frontend's results cache on a 7-day dashboard (6 range queries at a 5m step)
//! over a store gateway (Garage) and a querier: the querier alone (its peer, no cache), then
//! through the frontend with an empty cache (cold) and again (warm), for the in-memory,
//! memcached and Redis caches; same run, same data. Checks every answer equals the
//! querier's, prints medians and ratios.
//! Usage: `MNEMOS_BIN=… bench-frontend [INSTANCES] [DAYS] [RUNS]` (defaults 100 7 5; 3
//! series per instance).

use std::time::{Duration, Instant};

use mnemos_e2e::bench::{median, numeric_args};
use mnemos_e2e::cache_servers::CacheServer;
use mnemos_e2e::component::Component;
use mnemos_e2e::dashboard::History;
use mnemos_e2e::http;

/// Runs the dashboard's panels one after another (as a browser rendering them would, on
/// one connection each); checks each answer; returns the total time.
fn dashboard(port: u16, paths: &[String], want: &[String]) -> Duration {
    let begin = Instant::now();
    for (p, w) in paths.iter().zip(want) {
        let r = http::get(port, p).expect("request");
        assert_eq!(r.status, 200, "{p}: {}", r.body);
        assert!(r.body == *w, "{p}: the answer differs from the querier's");
    }
    begin.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let [instances, days, runs] = numeric_args([100, 7, 5]);
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let setup = Instant::now();
    let history = History::start(
        work,
        days as i64,
        instances as usize,
        &["--log.level=warn".to_string()],
    );
    println!(
        "{} series ({instances} instances × 3) × 2 replicas, {days} days of 1-day blocks at 60s, set up in {:.1} s",
        instances * 3,
        setup.elapsed().as_secs_f64()
    );
    let (start, end) = (history.start, history.end - 300_000);
    let paths = history.dashboard(start, end, 300);
    let q = history.querier.http_port;
    let want: Vec<String> = paths
        .iter()
        .map(|p| http::get(q, p).expect("request").body)
        .collect();
    let memcached = CacheServer::memcached(work);
    let redis = CacheServer::redis(work);
    let backends: [(&str, String, Option<&CacheServer>); 3] = [
        (
            "in-memory",
            "type: IN-MEMORY\nconfig:\n  max_size: 512MB\n".to_string(),
            None,
        ),
        ("memcached", memcached.config.clone(), Some(&memcached)),
        ("redis", redis.config.clone(), Some(&redis)),
    ];
    let querier: Vec<Duration> = (0..runs).map(|_| dashboard(q, &paths, &want)).collect();
    let querier = median(querier);
    println!(
        "querier alone: {:.1} ms for the dashboard (median of {runs})",
        ms(querier)
    );
    for (name, config, server) in backends {
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        for run in 0..runs {
            // A fresh frontend (empty in-memory cache) and an emptied shared cache.
            if let Some(s) = server {
                s.flush();
            }
            let mut fe = Component::start_http(
                work,
                &format!("fe-{name}-{run}"),
                &[
                    "query-frontend".to_string(),
                    format!("--query-frontend.downstream-url=http://127.0.0.1:{q}"),
                    format!("--query-range.response-cache-config={config}"),
                    "--log.level=warn".to_string(),
                ],
            );
            fe.wait_ready(Duration::from_secs(20));
            cold.push(dashboard(fe.http_port, &paths, &want));
            // Let the background cache writes finish before the warm run.
            let stored = mnemos_e2e::process::wait_for(
                Duration::from_secs(30),
                Duration::from_millis(20),
                || {
                    let puts = fe.metric("mnemos_frontend_cache_puts_total");
                    (fe.metric("mnemos_frontend_cache_stored_total") == puts).then_some(())
                },
            );
            assert!(stored.is_some(), "{name}: cache writes did not finish");
            warm.push(dashboard(fe.http_port, &paths, &want));
            fe.kill();
        }
        let (cold, warm) = (median(cold), median(warm));
        println!(
            "{name}: cold {:.1} ms ({:.2}× the querier alone), warm {:.1} ms ({:.3}× the querier alone, {:.0}× faster than cold)",
            ms(cold),
            cold.as_secs_f64() / querier.as_secs_f64(),
            ms(warm),
            warm.as_secs_f64() / querier.as_secs_f64(),
            cold.as_secs_f64() / warm.as_secs_f64()
        );
    }
}
