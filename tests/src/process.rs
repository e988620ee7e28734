//! Child processes that die with the test, free ports, and command helpers.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound and released; the caller binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Runs a command to completion; panics with its output when it fails.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\nstdout:\n{}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        log_digest(&String::from_utf8_lossy(&out.stderr))
    );
    out
}

/// The WARN and ERROR lines of a process log (and an `Error: …` exit message).
pub fn problem_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains(" level=warn ") || l.contains(" level=error ") || l.starts_with("Error")
        })
        .collect()
}

/// The part of a process log worth reading when it failed: its WARN and ERROR lines
/// first (CI shows only the head of a failure), then its last lines.
pub fn log_digest(log: &str) -> String {
    const TAIL: usize = 15;
    let lines: Vec<&str> = log.lines().collect();
    let problems = problem_lines(log);
    let tail = &lines[lines.len().saturating_sub(TAIL)..];
    format!(
        "{} warning/error lines:\n{}\nlast {} of {} lines:\n{}",
        problems.len(),
        problems.join("\n"),
        tail.len(),
        lines.len(),
        tail.join("\n")
    )
}

/// Runs a command and returns its stdout as text.
pub fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).expect("utf-8 output")
}

/// A running child process, killed (SIGKILL) and reaped on drop.
pub struct ChildGuard {
    child: Child,
    name: String,
}

impl ChildGuard {
    /// Spawns `cmd` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, cmd: &mut Command, log: &Path) -> Self {
        let f = std::fs::File::create(log).expect("create log file");
        let f2 = f.try_clone().expect("clone log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(f))
            .stderr(Stdio::from(f2))
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {name}: {e}"));
        Self {
            child,
            name: name.to_string(),
        }
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Panics if the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early with {status}", self.name);
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for exit (then SIGKILL).
    pub fn stop(mut self, timeout: Duration) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` every `every` until it returns Some or `timeout` passes.
pub fn wait_for<T>(
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(every);
    }
}

/// A memory figure of a running process from `/proc/<pid>/status`, in KiB (`VmRSS:` for
/// resident memory now, `VmHWM:` for its peak); 0 when unavailable.
pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Forgets a running process' peak resident memory (`VmHWM:` restarts from its current
/// `VmRSS:`), so the next peak belongs to what runs next. Needs Linux 4.0+.
pub fn reset_peak_rss(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .unwrap_or_else(|e| panic!("reset the peak RSS of {pid}: {e}"));
}
