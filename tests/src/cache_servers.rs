//! Real memcached and Redis servers (Debian packages `memcached`, `redis-server`) on free
//! 127.0.0.1 ports, for the query-frontend's results cache; killed when dropped.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::{free_port, wait_for, ChildGuard};

/// A running cache server.
pub struct CacheServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The frontend's `--query-range.response-cache-config` for it.
    pub config: String,
    /// The command that empties it, in its text protocol.
    flush: &'static str,
    _guard: ChildGuard,
}

fn wait_listening(port: u16, name: &str, guard: &mut ChildGuard) {
    let up = wait_for(Duration::from_secs(20), Duration::from_millis(50), || {
        guard.assert_running();
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    assert!(up.is_some(), "{name} did not start listening on {port}");
}

impl CacheServer {
    /// memcached with 64 MiB of memory, TCP only.
    pub fn memcached(work: &Path) -> Self {
        let bin = crate::require_tool("memcached");
        let port = free_port();
        let mut cmd = Command::new(bin);
        // memcached refuses to run as root unless told which user to run as.
        if crate::process::stdout_of(Command::new("id").arg("-u")).trim() == "0" {
            cmd.args(["-u", "root"]);
        }
        let mut guard = ChildGuard::spawn(
            "memcached",
            cmd.args([
                "-l",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "0",
                "-m",
                "64",
                "-t",
                "1",
            ]),
            &work.join(format!("memcached-{port}.log")),
        );
        wait_listening(port, "memcached", &mut guard);
        Self {
            port,
            flush: "flush_all\r\nquit\r\n",
            config: format!(
                "type: MEMCACHED\nconfig:\n  addresses: [127.0.0.1:{port}]\n  timeout: 2s\n"
            ),
            _guard: guard,
        }
    }

    /// Redis without persistence, with a password (the frontend must send it).
    pub fn redis(work: &Path) -> Self {
        let bin = crate::require_tool("redis-server");
        let port = free_port();
        let dir = work.join(format!("redis-{port}"));
        std::fs::create_dir_all(&dir).expect("redis dir");
        let mut guard = ChildGuard::spawn(
            "redis-server",
            Command::new(bin).args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                "e2e-secret",
                "--dir",
                &dir.display().to_string(),
            ]),
            &work.join(format!("redis-{port}.log")),
        );
        wait_listening(port, "redis-server", &mut guard);
        Self {
            port,
            flush: "AUTH e2e-secret\r\nFLUSHALL\r\nQUIT\r\n",
            config: format!(
                "type: REDIS\nconfig:\n  addr: 127.0.0.1:{port}\n  password: e2e-secret\n  read_timeout: 2s\n"
            ),
            _guard: guard,
        }
    }

    /// Empties the cache.
    pub fn flush(&self) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.write_all(self.flush.as_bytes()).expect("flush");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(
            answer.starts_with("OK") || answer.starts_with("+OK"),
            "flush: {answer}"
        );
    }
}
