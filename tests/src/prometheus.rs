//! A real Prometheus 2.42 server (Debian package) on a free 127.0.0.1 port,
//! and a scrape target served by the test itself.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::http;
use crate::process::{free_port, wait_for, ChildGuard};
use crate::require_tool;

/// A running Prometheus.
pub struct Prometheus {
    /// Its HTTP port on 127.0.0.1.
    pub port: u16,
    /// Its data directory.
    pub data_dir: PathBuf,
    guard: ChildGuard,
}

impl Prometheus {
    /// Starts Prometheus with `config` (YAML) in `work`, block duration
    /// `block` (hidden flags; short blocks make tests fast), and waits until ready.
    pub fn start(work: &Path, name: &str, config: &str, block: &str, port: u16) -> Self {
        Self::start_with(work, name, config, block, block, port)
    }

    /// Starts Prometheus on a free port scraping itself every second, with
    /// `external_labels` (YAML flow map body, e.g. `replica: a`) and 2 h blocks: the
    /// Prometheus a sidecar runs beside.
    pub fn start_self_scraping(work: &Path, name: &str, external_labels: &str) -> Self {
        Self::start_self_scraping_in(work, name, external_labels, free_port())
    }

    /// Like [`Prometheus::start_self_scraping`] on a given port.
    pub fn start_self_scraping_in(
        work: &Path,
        name: &str,
        external_labels: &str,
        port: u16,
    ) -> Self {
        let config = format!(
            "global: {{scrape_interval: 1s, external_labels: {{{external_labels}}}}}
scrape_configs:
  - job_name: self
    static_configs: [{{targets: ['127.0.0.1:{port}']}}]
"
        );
        Self::start(work, name, &config, "2h", port)
    }

    /// Places level-1 blocks of `spec`'s series (backfilled by promtool) in the data
    /// directory of a Prometheus called `name` that is yet to start (`<work>/<name>-data`),
    /// as blocks it cut itself; returns them.
    pub fn seed_blocks(work: &Path, name: &str, spec: &crate::openmetrics::Spec) -> Vec<PathBuf> {
        let (_, blocks) = crate::promtool::backfill(work, spec);
        let data_dir = work.join(format!("{name}-data"));
        std::fs::create_dir_all(&data_dir).expect("create data dir");
        for block in &blocks {
            let to = data_dir.join(block.file_name().expect("block name"));
            crate::process::run_ok(Command::new("cp").arg("-r").arg(block).arg(&to));
        }
        blocks
    }

    /// Like [`Prometheus::start`] with different minimum and maximum block durations, so
    /// that Prometheus compacts its blocks (ranges min, 3×min, … up to max).
    pub fn start_with(
        work: &Path,
        name: &str,
        config: &str,
        min_block: &str,
        max_block: &str,
        port: u16,
    ) -> Self {
        Self::start_with_flags(work, name, config, (min_block, max_block), port, &[])
    }

    /// Like [`Prometheus::start`] with extra command-line flags (e.g.
    /// `--enable-feature=native-histograms`).
    pub fn start_with_flags(
        work: &Path,
        name: &str,
        config: &str,
        (min_block, max_block): (&str, &str),
        port: u16,
        flags: &[&str],
    ) -> Self {
        let data_dir = work.join(format!("{name}-data"));
        std::fs::create_dir_all(&data_dir).expect("create data dir");
        let cfg = work.join(format!("{name}.yml"));
        std::fs::write(&cfg, config).expect("write config");
        let mut cmd = Command::new(require_tool("prometheus"));
        cmd.arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data_dir.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--storage.tsdb.min-block-duration={min_block}"))
            .arg(format!("--storage.tsdb.max-block-duration={max_block}"))
            .arg("--storage.tsdb.retention.time=10y")
            .arg("--web.enable-admin-api")
            .args(flags);
        let mut guard = ChildGuard::spawn(name, &mut cmd, &work.join(format!("{name}.log")));
        let ready = wait_for(Duration::from_secs(60), Duration::from_millis(200), || {
            guard.assert_running();
            http::get(port, "/-/ready").ok().filter(|r| r.status == 200)
        });
        assert!(ready.is_some(), "prometheus {name} not ready within 60s");
        Self {
            port,
            data_dir,
            guard,
        }
    }

    /// GET an API path and parse the JSON `data` field; panics unless status is success.
    pub fn api(&self, path_and_query: &str) -> serde_json::Value {
        let r = http::get(self.port, path_and_query).expect("prometheus request");
        let v: serde_json::Value = serde_json::from_str(&r.body)
            .unwrap_or_else(|e| panic!("bad JSON from {path_and_query}: {e}: {}", r.body));
        assert_eq!(v["status"], "success", "{path_and_query}: {}", r.body);
        v["data"].clone()
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// Stops Prometheus as an operator would (SIGTERM, then SIGKILL after `timeout`).
    pub fn stop(self, timeout: Duration) {
        self.guard.stop(timeout);
    }
}

/// A `/metrics` endpoint served from the test; `stop` makes it vanish so that
/// Prometheus writes staleness markers for its series.
pub struct TestTarget {
    /// Port on 127.0.0.1.
    pub port: u16,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl TestTarget {
    /// Starts serving a counter, a fractional gauge and a sometimes-NaN gauge.
    pub fn start() -> Self {
        Self::serving(|n| {
            format!(
                "# TYPE flaky_requests_total counter\nflaky_requests_total{{path=\"/a\"}} {}\nflaky_requests_total{{path=\"/b\"}} {}\n# TYPE flaky_temperature gauge\nflaky_temperature {}\nflaky_ratio {}\n",
                n * 3,
                if n % 10 == 9 { 0 } else { n * 7 + 1 },
                20.0 + (n as f64) * 0.125,
                if n.is_multiple_of(4) { "NaN".to_string() } else { format!("{}", 1.0 / (n as f64 + 1.0)) }
            )
        })
    }

    /// Starts serving values that depend on the clock only, so every scraper sees the same
    /// series: `clock_requests_total{path="/a"}` grows by 10/s and `{path="/b"}` by 20/s
    /// (from the target's start), `clock_seconds` is the Unix time.
    pub fn clock() -> Self {
        let started = std::time::Instant::now();
        Self::serving(move |_| {
            let ms = started.elapsed().as_millis() as u64;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            format!(
                "# TYPE clock_requests_total counter\nclock_requests_total{{path=\"/a\"}} {}\nclock_requests_total{{path=\"/b\"}} {}\n# TYPE clock_seconds gauge\nclock_seconds {now}\n",
                ms / 100,
                ms / 50
            )
        })
    }

    /// Serves `body(n)` at the n-th scrape (from 0).
    pub fn serving(body: impl Fn(u64) -> String + Send + 'static) -> Self {
        Self::serving_as("text/plain; version=0.0.4", move |n| body(n).into_bytes())
    }

    /// Serves `body(n)` at the n-th scrape (from 0) with the given content type (e.g. the
    /// protobuf exposition format, for native histograms).
    pub fn serving_as(
        content_type: &'static str,
        body: impl Fn(u64) -> Vec<u8> + Send + 'static,
    ) -> Self {
        let port = free_port();
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind test target");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let scrapes = Arc::new(AtomicU64::new(0));
        let stop2 = stop.clone();
        let handle = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf);
                        let body = body(scrapes.fetch_add(1, Ordering::SeqCst));
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = s
                            .write_all(head.as_bytes())
                            .and_then(|()| s.write_all(&body));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self {
            port,
            stop,
            handle: Some(handle),
        }
    }

    /// Stops serving: the port closes and scrapes fail from now on.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for TestTarget {
    fn drop(&mut self) {
        self.stop();
    }
}
