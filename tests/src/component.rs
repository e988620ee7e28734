//! A running mnemos component (`mnemos sidecar|store|query|compact …`) on free 127.0.0.1
//! ports, with its log file and HTTP endpoints.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::http;
use crate::mnemos_bin;
use crate::process::{free_port, wait_for, ChildGuard};

/// A mnemos server process.
pub struct Component {
    /// gRPC port (StoreAPI, Info API); 0 for HTTP-only components.
    pub grpc_port: u16,
    /// HTTP port (/metrics, /-/healthy, /-/ready).
    pub http_port: u16,
    /// Its log file.
    pub log: PathBuf,
    guard: ChildGuard,
}

impl Component {
    /// Starts `mnemos <args…> --grpc-address … --http-address …` logging to
    /// `<work>/<name>.log`, and waits until `/-/healthy` answers.
    pub fn start(work: &Path, name: &str, args: &[String]) -> Self {
        Self::start_on(work, name, args, Some(free_port()), free_port())
    }

    /// Like [`Component::start`] for a component without gRPC (the compactor).
    pub fn start_http(work: &Path, name: &str, args: &[String]) -> Self {
        Self::start_on(work, name, args, None, free_port())
    }

    /// Starts on given ports (a restart that must keep its address); no
    /// `--grpc-address` when `grpc_port` is `None`.
    pub fn start_on(
        work: &Path,
        name: &str,
        args: &[String],
        grpc_port: Option<u16>,
        http_port: u16,
    ) -> Self {
        Self::start_probed(work, name, args, grpc_port, http_port, |port| {
            http::get(port, "/-/healthy").is_ok_and(|r| r.status == 200)
        })
    }

    /// Like [`Component::start_on`], healthy once `healthy(http_port)` says so (for
    /// listeners behind TLS or credentials).
    pub fn start_probed(
        work: &Path,
        name: &str,
        args: &[String],
        grpc_port: Option<u16>,
        http_port: u16,
        healthy: impl Fn(u16) -> bool,
    ) -> Self {
        let log = work.join(format!("{name}.log"));
        let mut cmd = Command::new(mnemos_bin());
        cmd.args(args);
        if let Some(port) = grpc_port {
            cmd.arg(format!("--grpc-address=127.0.0.1:{port}"));
        }
        cmd.arg(format!("--http-address=127.0.0.1:{http_port}"))
            .env("MNEMOS_LOG_LEVEL", "debug");
        let mut guard = ChildGuard::spawn(name, &mut cmd, &log);
        let healthy = wait_for(Duration::from_secs(30), Duration::from_millis(100), || {
            guard.assert_running();
            healthy(http_port).then_some(())
        });
        assert!(
            healthy.is_some(),
            "{name} not healthy within 30s; log {}",
            log.display()
        );
        Self {
            grpc_port: grpc_port.unwrap_or(0),
            http_port,
            log,
            guard,
        }
    }

    /// Waits until `/-/ready` answers 200.
    pub fn wait_ready(&mut self, timeout: Duration) {
        let port = self.http_port;
        let guard = &mut self.guard;
        let ready = wait_for(timeout, Duration::from_millis(100), || {
            guard.assert_running();
            http::get(port, "/-/ready").ok().filter(|r| r.status == 200)
        });
        assert!(
            ready.is_some(),
            "not ready within {timeout:?}; log {}",
            self.log.display()
        );
    }

    /// Panics if the process has exited.
    pub fn assert_running(&mut self) {
        self.guard.assert_running();
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// Kills the process with SIGKILL, as a crash would.
    pub fn kill(self) {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(self.guard.pid().to_string())
            .status();
        drop(self.guard);
    }

    /// The sum of a metric's samples over all label sets on `/metrics`.
    pub fn metric(&self, name: &str) -> f64 {
        let r = http::get(self.http_port, "/metrics").expect("GET /metrics");
        metric_sum(&r.body, name)
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The sum of the samples of metric `name` in Prometheus text format.
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
