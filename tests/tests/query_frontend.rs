//! `mnemos query-frontend` in front of a real querier, all real processes on 127.0.0.1: a
//! store gateway over 7 days of one-day blocks of two HA replicas in Garage, the querier
//! deduplicating them, memcached and Redis (Debian packages) as result caches.
//! - a held-out 7-day dashboard (6 panels, plus dedup off and a form POST) answers byte for
//!   byte as the querier does, split by day, through an in-memory, a memcached and a Redis
//!   cache; the second run is served from the cache: the querier sees no new request, the
//!   frontend counts hits;
//! - a range reaching now: the second run asks the querier only for the recent part;
//! - label names and series through the labels cache equal the querier's; whole days are
//!   not asked again;
//! - a partial answer (an endpoint down) is passed on with its warning and never cached;
//! - failed calls are retried (a proxy answering 503), and the last failure is returned
//!   after the configured attempts;
//! - hostile and malformed requests get the querier's own answer;
//! - `--query-range.max-query-length` refuses longer ranges; the slow-query log names the
//!   query.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use mnemos_e2e::cache_servers::CacheServer;
use mnemos_e2e::component::Component;
use mnemos_e2e::dashboard::{History, DAY_MS};
use mnemos_e2e::faultproxy::FaultProxy;
use mnemos_e2e::http::{self, encode};
use mnemos_e2e::process::{free_port, wait_for};

fn frontend(work: &Path, name: &str, downstream_port: u16, extra: &[String]) -> Component {
    let mut args = vec![
        "query-frontend".to_string(),
        format!("--query-frontend.downstream-url=http://127.0.0.1:{downstream_port}"),
    ];
    args.extend(extra.iter().cloned());
    let mut fe = Component::start_http(work, name, &args);
    fe.wait_ready(Duration::from_secs(20));
    fe
}

/// Requests the querier answered on `handler` so far.
fn querier_calls(querier: &Component, handler: &str) -> f64 {
    let text = http::get(querier.http_port, "/metrics")
        .expect("querier metrics")
        .body;
    let label = format!("handler=\"{handler}\"");
    text.lines()
        .filter(|l| l.starts_with("mnemos_query_http_requests_total{") && l.contains(&label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Waits until every result the frontend queued for its caches has been written.
fn wait_stored(fe: &Component) {
    let done = wait_for(Duration::from_secs(20), Duration::from_millis(50), || {
        let puts = fe.metric("mnemos_frontend_cache_puts_total");
        (fe.metric("mnemos_frontend_cache_stored_total") == puts).then_some(puts)
    });
    assert!(done.is_some(), "the frontend's cache writes did not finish");
    assert_eq!(fe.metric("mnemos_frontend_cache_errors_total"), 0.0);
}

fn get_ok(port: u16, path: &str) -> http::Response {
    let r = http::get(port, path).expect("request");
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r
}

fn series_count(body: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(body).expect("json");
    v["data"]["result"].as_array().map_or(0, Vec::len)
}

#[test]
fn query_frontend_splits_caches_and_retries_in_front_of_the_querier() {
    let work = tempfile::tempdir().expect("tempdir");
    let work = work.path();
    let history = History::start(work, 7, 4, &[]);
    let q = &history.querier;
    let memcached = CacheServer::memcached(work);
    let redis = CacheServer::redis(work);
    let querier_addr: SocketAddr = format!("127.0.0.1:{}", q.http_port).parse().expect("addr");
    let proxy = FaultProxy::start(querier_addr);

    let fe_memory = frontend(
        work,
        "fe-memory",
        proxy.addr().port(),
        &[
            "--query-range.response-cache-config=type: IN-MEMORY\nconfig:\n  max_size: 64MB\n"
                .to_string(),
            "--query-frontend.log-queries-longer-than=-1s".to_string(),
            "--query-range.max-query-length=8d".to_string(),
            "--query.max-retries-per-request=3".to_string(),
        ],
    );
    let fe_memcached = frontend(
        work,
        "fe-memcached",
        q.http_port,
        &[
            format!("--query-range.response-cache-config={}", memcached.config),
            "--cache-compression-type=snappy".to_string(),
        ],
    );
    let fe_redis = frontend(
        work,
        "fe-redis",
        q.http_port,
        &[
            format!("--query-range.response-cache-config={}", redis.config),
            format!("--labels.response-cache-config={}", redis.config),
        ],
    );

    // The held-out dashboard: 7 days at a 5m step, the data's whole span.
    let (start, end) = (history.start, history.end - 300_000);
    let mut paths = history.dashboard(start, end, 300);
    paths.push(format!(
        "/api/v1/query_range?query={}&start={}&end={}&step=1800&dedup=false",
        encode("fe_temperature_celsius{instance=\"10.0.0.1:9100\"}"),
        start / 1000,
        end / 1000
    ));
    let want: Vec<String> = paths.iter().map(|p| get_ok(q.http_port, p).body).collect();
    assert!(want.iter().all(|b| series_count(b) > 0), "{want:?}");
    assert_eq!(series_count(&want[6]), 2, "dedup=false shows both replicas");
    let form = format!(
        "query={}&start={}&end={}&step=3600",
        encode("sum(rate(fe_requests_total[1h]))"),
        start / 1000,
        end / 1000
    );
    let want_form = http::post_form(q.http_port, "/api/v1/query_range", &form)
        .expect("post")
        .body;

    for fe in [&fe_memory, &fe_memcached, &fe_redis] {
        let name = fe.log.display().to_string();
        let before = querier_calls(q, "/api/v1/query_range");
        for (p, w) in paths.iter().zip(&want) {
            assert_eq!(&get_ok(fe.http_port, p).body, w, "{p} through {name}");
        }
        let r = http::post_form(fe.http_port, "/api/v1/query_range", &form).expect("post");
        assert_eq!(r.body, want_form, "form POST through {name}");
        let first = querier_calls(q, "/api/v1/query_range") - before;
        // Split by day: 7 parts for each of the 8 queries.
        assert!(first >= 8.0 * 7.0, "{first} calls through {name}");
        assert!(fe.metric("mnemos_frontend_split_queries_total") >= 8.0 * 7.0);
        wait_stored(fe);

        let hits = fe.metric("mnemos_frontend_cache_hits_total");
        let before = querier_calls(q, "/api/v1/query_range");
        for (p, w) in paths.iter().zip(&want) {
            assert_eq!(
                &get_ok(fe.http_port, p).body,
                w,
                "{p} from the cache of {name}"
            );
        }
        let r = http::post_form(fe.http_port, "/api/v1/query_range", &form).expect("post");
        assert_eq!(r.body, want_form);
        assert_eq!(
            querier_calls(q, "/api/v1/query_range") - before,
            0.0,
            "the second run through {name} is served from the cache"
        );
        assert!(
            fe.metric("mnemos_frontend_cache_hits_total") - hits >= first,
            "{name} counts its hits"
        );
    }

    // A range reaching now: only the part newer than the max freshness (1m) is asked again.
    let now = mnemos_tsdb::time::now_ms() / 60_000 * 60_000;
    let recent = format!(
        "/api/v1/query_range?query={}&start={}&end={}&step=60",
        encode("sum(rate(fe_requests_total[5m]))"),
        (now - 3 * 3_600_000) / 1000,
        now / 1000
    );
    let before = querier_calls(q, "/api/v1/query_range");
    let body = get_ok(fe_redis.http_port, &recent).body;
    assert_eq!(body, get_ok(q.http_port, &recent).body);
    let first = querier_calls(q, "/api/v1/query_range") - before - 1.0;
    assert!(first >= 1.0);
    wait_stored(&fe_redis);
    let before = querier_calls(q, "/api/v1/query_range");
    get_ok(fe_redis.http_port, &recent);
    assert_eq!(
        querier_calls(q, "/api/v1/query_range") - before,
        1.0,
        "only the recent part is asked again"
    );

    // Label names and series through the labels cache: whole days come from the cache.
    let meta_paths = [
        format!(
            "/api/v1/labels?start={}&end={}",
            (start + 3_600_000) / 1000,
            (end - 3_600_000) / 1000
        ),
        format!(
            "/api/v1/series?match[]={}&start={}&end={}",
            encode("fe_requests_total{code=\"500\"}"),
            (start + 3_600_000) / 1000,
            (end - 3_600_000) / 1000
        ),
        format!(
            "/api/v1/label/instance/values?start={}&end={}",
            start / 1000,
            end / 1000
        ),
    ];
    for p in &meta_paths {
        let handler = p.split('?').next().expect("path");
        let handler = if handler.starts_with("/api/v1/label/") {
            "/api/v1/label/:name/values"
        } else {
            handler
        };
        let want = get_ok(q.http_port, p).body;
        let before = querier_calls(q, handler);
        assert_eq!(get_ok(fe_redis.http_port, p).body, want, "{p}");
        let first = querier_calls(q, handler) - before;
        assert!(first >= 7.0, "{p}: {first} pieces");
        wait_stored(&fe_redis);
        let before = querier_calls(q, handler);
        assert_eq!(
            get_ok(fe_redis.http_port, p).body,
            want,
            "{p} from the cache"
        );
        let again = querier_calls(q, handler) - before;
        assert!(
            again <= 2.0,
            "{p}: {again} calls; only partial days are asked again"
        );
    }

    // A partial answer: an endpoint down. Passed on with its warning, never cached.
    let mut partial_querier = Component::start(
        work,
        "query-partial",
        &[
            "query".to_string(),
            "--query.replica-label=replica".to_string(),
            "--endpoint.refresh-interval=1s".to_string(),
            format!("--endpoint=127.0.0.1:{}", history.store.grpc_port),
            format!("--endpoint=127.0.0.1:{}", free_port()),
        ],
    );
    partial_querier.wait_ready(Duration::from_secs(30));
    let fe_partial = frontend(
        work,
        "fe-partial",
        partial_querier.http_port,
        &[
            "--query-range.response-cache-config=type: IN-MEMORY\nconfig:\n  max_size_items: 100\n"
                .to_string(),
        ],
    );
    let before = querier_calls(&partial_querier, "/api/v1/query_range");
    for _ in 0..2 {
        let r = get_ok(fe_partial.http_port, &paths[0]);
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        assert!(
            v["warnings"].as_array().is_some_and(|w| !w.is_empty()),
            "{}",
            r.body
        );
        assert!(
            r.header("cache-control")
                .is_some_and(|v| v.contains("no-store")),
            "{}",
            r.head
        );
        assert!(series_count(&r.body) > 0);
    }
    let calls = querier_calls(&partial_querier, "/api/v1/query_range") - before;
    assert_eq!(
        calls,
        2.0 * 7.0,
        "both runs asked the querier for all 7 days"
    );
    assert_eq!(fe_partial.metric("mnemos_frontend_cache_puts_total"), 0.0);
    assert_eq!(
        fe_partial.metric("mnemos_frontend_uncacheable_responses_total"),
        14.0
    );

    // Retries: two failed calls, then the querier answers; five failures exhaust them.
    let instant = format!(
        "/api/v1/query?query=count(fe_temperature_celsius)&time={}",
        end / 1000
    );
    let want = get_ok(q.http_port, &instant).body;
    let failed = proxy.failed_requests();
    proxy.fail_next(2);
    assert_eq!(get_ok(fe_memory.http_port, &instant).body, want);
    assert_eq!(proxy.failed_requests() - failed, 2);
    assert_eq!(fe_memory.metric("mnemos_frontend_retries_total"), 2.0);
    proxy.fail_next(10);
    let r = http::get(fe_memory.http_port, &instant).expect("request");
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(
        proxy.failed_requests() - failed,
        2 + 3,
        "3 attempts, as configured"
    );
    proxy.fail_next(0);
    let range = format!(
        "/api/v1/query_range?query=up&start={}&end={}&step=60",
        start / 1000,
        (start + 3 * DAY_MS) / 1000
    );
    proxy.fail_next(1);
    get_ok(fe_memory.http_port, &range);

    // Hostile and malformed requests get the querier's own answer, and the frontend stays up.
    let deep = format!("{}up{}", "(".repeat(50_000), ")".repeat(50_000));
    for path in [
        format!(
            "/api/v1/query_range?query={}&start={}&end={}&step=60",
            encode(&deep),
            start / 1000,
            end / 1000
        ),
        format!(
            "/api/v1/query_range?query=up&start={}&end={}&step=0.001",
            start / 1000,
            end / 1000
        ),
        "/api/v1/query_range?query=up&start=x&end=1&step=1".to_string(),
        "/api/v1/query_range?query=sum(&start=1&end=2&step=1".to_string(),
        "/api/v1/labels?start=-9223309901257&end=9223309901257".to_string(),
        "/api/v1/series?match[]=up&start=0&end=9223309901257".to_string(),
    ] {
        let want = http::get(q.http_port, &path).expect("querier");
        let got = http::get(fe_redis.http_port, &path).expect("frontend");
        assert_eq!(
            (got.status, &got.body),
            (want.status, &want.body),
            "{}",
            &path[..80.min(path.len())]
        );
    }
    get_ok(fe_redis.http_port, "/-/healthy");

    // Limits and the slow-query log.
    let long = format!(
        "/api/v1/query_range?query=up&start={}&end={}&step=3600",
        (end - 9 * DAY_MS) / 1000,
        end / 1000
    );
    let r = http::get(fe_memory.http_port, &long).expect("request");
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains(
            "the query time range exceeds the limit (query length: 216h0m0s, limit: 192h0m0s)"
        ),
        "{}",
        r.body
    );
    let log = fe_memory.log_text();
    assert!(
        log.contains("slow query detected")
            && log.contains("param_query=\"sum by (code) (rate(fe_requests_total[10m]))\""),
        "{log}"
    );
    assert!(
        !fe_redis.log_text().contains("e2e-secret"),
        "the Redis password is never logged"
    );
}
