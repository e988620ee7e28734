//! A TCP proxy on 127.0.0.1 in front of an upstream server (typically
//! Garage's S3 API) that can be switched at run time to be slow or failing.
//! Std threads only.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::process::free_port;

/// How the proxy treats traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forward bytes both ways unchanged.
    Pass,
    /// Forward, but limit the client→upstream direction (uploads) to about
    /// `bytes_per_sec`; the upstream→client direction is not limited.
    Throttle {
        /// Upload rate limit in bytes per second.
        bytes_per_sec: u64,
    },
    /// Answer every new HTTP request with `503 Service Unavailable` and an
    /// S3-style XML error body (`Connection: close`), never contacting the
    /// upstream. Switching to this mode closes open forwarded connections.
    Fail503,
    /// Accept connections and close them at once without a response.
    /// Switching to this mode closes open forwarded connections.
    Refuse,
}

/// State shared by the accept thread and the connection threads.
struct Shared {
    mode: Mutex<Mode>,
    stop: AtomicBool,
    connections: AtomicU64,
    failed: AtomicU64,
    /// Connections still to answer with 503 whatever the mode ([`FaultProxy::fail_next`]).
    fail_budget: AtomicU64,
    next_id: AtomicU64,
    /// Clones of the sockets of open connections (and whether they are
    /// forwarded to upstream), to close them from outside.
    open: Mutex<HashMap<u64, (bool, Vec<TcpStream>)>>,
}

impl Shared {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }

    fn register(&self, forwarded: bool, streams: &[&TcpStream]) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let clones = streams.iter().filter_map(|s| s.try_clone().ok()).collect();
        self.open.lock().unwrap().insert(id, (forwarded, clones));
        id
    }

    fn unregister(&self, id: u64) {
        self.open.lock().unwrap().remove(&id);
    }

    /// Shuts down open connections: only forwarded ones, or all.
    fn close(&self, only_forwarded: bool) {
        let mut open = self.open.lock().unwrap();
        let ids: Vec<u64> = open
            .iter()
            .filter(|(_, (fwd, _))| *fwd || !only_forwarded)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some((_, streams)) = open.remove(&id) {
                for s in streams {
                    let _ = s.shutdown(Shutdown::Both);
                }
            }
        }
    }
}

/// A fault-injecting TCP proxy; stops accepting and closes every connection
/// when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on a free 127.0.0.1 port and forwards to `upstream` in
    /// [`Mode::Pass`].
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let port = free_port();
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind fault proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Pass),
            stop: AtomicBool::new(false),
            connections: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            fail_budget: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        });
        let sh = shared.clone();
        let accept = std::thread::Builder::new()
            .name("faultproxy-accept".into())
            .spawn(move || accept_loop(listener, upstream, sh))
            .expect("spawn proxy accept thread");
        FaultProxy {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// The proxy's listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy's address as `127.0.0.1:PORT` (no scheme), for S3 configs.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.shared.mode()
    }

    /// Switches mode. Applies to new connections at once and to open ones:
    /// throttling is re-checked on every read, and switching to
    /// [`Mode::Fail503`] or [`Mode::Refuse`] closes open forwarded
    /// connections so that clients reconnect and meet the new behaviour.
    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
        if matches!(mode, Mode::Fail503 | Mode::Refuse) {
            self.shared.close(true);
        }
    }

    /// Answers the requests of the next `n` new connections with 503 (as
    /// [`Mode::Fail503`], which closes each), then behaves as the mode says again;
    /// open forwarded connections are closed so that clients reconnect.
    pub fn fail_next(&self, n: u64) {
        self.shared.fail_budget.store(n, Ordering::SeqCst);
        self.shared.close(true);
    }

    /// Number of client connections accepted so far (in any mode).
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Number of `503` responses sent so far.
    pub fn failed_requests(&self) -> u64 {
        self.shared.failed.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Unblock accept().
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        self.shared.close(false);
    }
}

fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let client = match conn {
            Ok(c) => c,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let _ = client.set_nodelay(true);
        let budgeted = shared
            .fail_budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
            .is_ok();
        let mode = if budgeted {
            Mode::Fail503
        } else {
            shared.mode()
        };
        match mode {
            Mode::Refuse => {
                let _ = client.shutdown(Shutdown::Both);
                drop(client);
            }
            Mode::Fail503 => {
                let sh = shared.clone();
                let _ = std::thread::Builder::new()
                    .name("faultproxy-503".into())
                    .spawn(move || {
                        let id = sh.register(false, &[&client]);
                        answer_503(client, &sh);
                        sh.unregister(id);
                    });
            }
            Mode::Pass | Mode::Throttle { .. } => {
                let sh = shared.clone();
                let _ = std::thread::Builder::new()
                    .name("faultproxy-conn".into())
                    .spawn(move || forward(client, upstream, sh));
            }
        }
    }
    // Dropping the listener closes the port.
}

/// Connects to upstream and pumps both directions until either side closes.
fn forward(client: TcpStream, upstream: SocketAddr, shared: Arc<Shared>) {
    let server = match TcpStream::connect_timeout(&upstream, Duration::from_secs(5)) {
        Ok(s) => s,
        Err(_) => {
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
    };
    let _ = server.set_nodelay(true);
    let id = shared.register(true, &[&client, &server]);
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
        shared.unregister(id);
        return;
    };
    let sh = shared.clone();
    // upstream → client: never throttled.
    let down = std::thread::Builder::new()
        .name("faultproxy-down".into())
        .spawn(move || pump(server2, client2, None));
    // client → upstream: throttled according to the current mode.
    pump(client, server, Some(&sh));
    if let Ok(h) = down {
        let _ = h.join();
    }
    shared.unregister(id);
}

/// Copies `from` to `to`; with `shared`, applies [`Mode::Throttle`] per read.
/// On EOF half-closes `to`; on error closes both.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: Option<&Shared>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let rate = match shared.map(Shared::mode) {
            Some(Mode::Throttle { bytes_per_sec }) => Some(bytes_per_sec.max(1)),
            _ => None,
        };
        // Under throttling, read at most ~1/10 s worth of bytes so that mode
        // changes take effect quickly.
        let max = match rate {
            Some(r) => (r / 10).clamp(1, buf.len() as u64) as usize,
            None => buf.len(),
        };
        let started = Instant::now();
        let n = match from.read(&mut buf[..max]) {
            Ok(0) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        if let Some(r) = rate {
            let budget = Duration::from_secs_f64(n as f64 / r as f64);
            let spent = started.elapsed();
            if budget > spent {
                std::thread::sleep(budget - spent);
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// Reads one HTTP request (headers, then a `Content-Length` body unless the
/// client waits for `100-continue`), answers 503 with an S3 XML error, and
/// closes the connection after draining what the client still sends.
fn answer_503(mut client: TcpStream, shared: &Shared) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 8192];
    let header_end = loop {
        if let Some(p) = find(&head, b"\r\n\r\n") {
            break p + 4;
        }
        if head.len() > 1 << 20 {
            return;
        }
        match client.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    };
    let text = String::from_utf8_lossy(&head[..header_end]).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let resource = parts.next().unwrap_or("/").to_string();
    let mut content_length: u64 = 0;
    let mut expect_continue = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("expect")
                && value.eq_ignore_ascii_case("100-continue")
            {
                expect_continue = true;
            }
        }
    }
    if !expect_continue {
        let mut remaining = content_length.saturating_sub((head.len() - header_end) as u64);
        while remaining > 0 {
            let want = remaining.min(buf.len() as u64) as usize;
            match client.read(&mut buf[..want]) {
                Ok(0) | Err(_) => break,
                Ok(n) => remaining -= n as u64,
            }
        }
    }
    let n = shared.failed.fetch_add(1, Ordering::SeqCst) + 1;
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ServiceUnavailable</Code><Message>Service Unavailable (injected by FaultProxy)</Message><Resource>{}</Resource><RequestId>faultproxy-{n}</RequestId></Error>",
        xml_escape(&resource)
    );
    let mut resp = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if !method.eq_ignore_ascii_case("HEAD") {
        resp.push_str(&body);
    }
    if client.write_all(resp.as_bytes()).is_err() {
        return;
    }
    let _ = client.flush();
    // Lingering close: half-close, then drain briefly so that unread request
    // bytes do not turn the close into a reset that hides the response.
    let _ = client.shutdown(Shutdown::Write);
    let _ = client.set_read_timeout(Some(Duration::from_millis(500)));
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
