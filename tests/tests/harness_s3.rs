//! Self-tests of the S3 harness: a real Garage server answers on its S3 port,
//! and the fault proxy forwards, fails, refuses and throttles as told.
//! Plain HTTP only (unsigned requests), no S3 SDK.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use mnemos_e2e::faultproxy::{FaultProxy, Mode};
use mnemos_e2e::garage::Garage;
use mnemos_e2e::http;

/// Sends raw bytes and returns everything the server answers until it closes
/// (an error such as a reset is returned as is).
fn raw_exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(request)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn garage_serves_s3_and_fault_proxy_modes_apply() {
    let work = tempfile::tempdir().expect("tempdir");
    let garage = Garage::start(work.path());
    eprintln!(
        "garage started in {:?} (S3 on {}, log {})",
        garage.startup_time(),
        garage.endpoint(),
        garage.log_path().display()
    );
    assert!(
        garage.access_key().starts_with("GK"),
        "{}",
        garage.access_key()
    );
    assert_eq!(
        garage.secret_key().len(),
        64,
        "secret key {}",
        garage.secret_key()
    );
    assert_eq!(garage.bucket(), "mnemos");
    assert_eq!(garage.region(), "garage");
    assert_eq!(
        garage.endpoint(),
        format!("127.0.0.1:{}", garage.addr().port())
    );
    let yaml = garage.objstore_yaml("127.0.0.1:1234");
    assert!(
        yaml.starts_with(
            "type: S3\nconfig:\n  bucket: mnemos\n  endpoint: 127.0.0.1:1234\n  region: garage\n"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains(&format!("  access_key: {}\n", garage.access_key())),
        "{yaml}"
    );
    assert!(yaml.contains("  insecure: true\n"), "{yaml}");

    // Unsigned ListObjectsV2: 403 AccessDenied proves the S3 API is serving.
    let path = "/mnemos?list-type=2";
    let direct = http::get(garage.addr().port(), path).expect("GET garage");
    assert_eq!(direct.status, 403, "{}", direct.body);
    assert!(direct.body.contains("AccessDenied"), "{}", direct.body);
    let health = http::get(garage.admin_addr().port(), "/health").expect("GET admin /health");
    assert_eq!(health.status, 200, "{}", health.body);

    let proxy = FaultProxy::start(garage.addr());
    assert_eq!(
        proxy.endpoint(),
        format!("127.0.0.1:{}", proxy.addr().port())
    );

    // Pass: the same answer as Garage's.
    let r = http::get(proxy.addr().port(), path).expect("GET via proxy");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("AccessDenied"), "{}", r.body);
    assert_eq!(proxy.connections(), 1);

    // Fail503: a GET, and a PUT whose body the proxy must read and discard.
    proxy.set_mode(Mode::Fail503);
    let r = http::get(proxy.addr().port(), path).expect("GET via failing proxy");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body
            .contains("<Error><Code>ServiceUnavailable</Code><Message>"),
        "{}",
        r.body
    );
    let body = vec![b'x'; 200_000];
    let mut put = format!(
        "PUT /mnemos/some/object HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        proxy.endpoint(),
        body.len()
    )
    .into_bytes();
    put.extend_from_slice(&body);
    let answer = raw_exchange(proxy.addr(), &put).expect("PUT via failing proxy");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("Connection: close\r\n"), "{answer}");
    assert!(
        answer.contains("<Code>ServiceUnavailable</Code>"),
        "{answer}"
    );
    assert_eq!(proxy.failed_requests(), 2);

    // Refuse: the connection closes without a single response byte.
    proxy.set_mode(Mode::Refuse);
    let req = format!("GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", proxy.endpoint());
    match raw_exchange(proxy.addr(), req.as_bytes()) {
        Ok(bytes) => assert!(bytes.is_empty(), "refused connection answered {bytes:?}"),
        Err(e) => assert!(
            matches!(
                e.kind(),
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
            ),
            "unexpected error from a refused connection: {e}"
        ),
    }
    assert_eq!(proxy.failed_requests(), 2);

    // Back to Pass.
    proxy.set_mode(Mode::Pass);
    let r = http::get(proxy.addr().port(), path).expect("GET via proxy again");
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(proxy.connections(), 5);

    // Paused Garage: the request hangs; resumed, it answers again.
    garage.pause();
    let mut s = TcpStream::connect(garage.addr()).expect("connect to paused garage");
    s.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n",
        garage.endpoint()
    )
    .unwrap();
    let mut buf = [0u8; 64];
    let e = s
        .read(&mut buf)
        .expect_err("a paused garage must not answer");
    assert!(
        matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{e}"
    );
    garage.resume();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("answer after resume");
    assert!(
        String::from_utf8_lossy(&out).starts_with("HTTP/1.0 403")
            || String::from_utf8_lossy(&out).starts_with("HTTP/1.1 403"),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

/// A sink that, per connection, reads until EOF and answers with the number
/// of bytes received.
fn start_sink() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind sink");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 64 * 1024];
                let mut total = 0usize;
                loop {
                    match s.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => total += n,
                        Err(_) => return,
                    }
                }
                let _ = write!(s, "{total}");
            });
        }
    });
    addr
}

/// Uploads `len` bytes on `s`, half-closes, and returns the sink's count and
/// the time from the first byte written to the answer.
fn upload(mut s: TcpStream, len: usize) -> (usize, Duration) {
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let data = vec![7u8; len];
    let t0 = Instant::now();
    s.write_all(&data).expect("upload");
    s.shutdown(Shutdown::Write).expect("half-close");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("sink answer");
    let n = answer
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("sink said {answer:?}"));
    (n, t0.elapsed())
}

#[test]
fn fault_proxy_throttles_uploads() {
    let sink = start_sink();
    let proxy = FaultProxy::start(sink);
    const LEN: usize = 300_000;

    // Pass: fast.
    let (n, took) = upload(TcpStream::connect(proxy.addr()).unwrap(), LEN);
    assert_eq!(n, LEN);
    assert!(
        took < Duration::from_millis(1500),
        "pass-through upload took {took:?}"
    );

    // Throttle on a new connection: 300 KB at 100 KB/s takes about 3 s.
    proxy.set_mode(Mode::Throttle {
        bytes_per_sec: 100_000,
    });
    let (n, took) = upload(TcpStream::connect(proxy.addr()).unwrap(), LEN);
    assert_eq!(n, LEN);
    assert!(
        took >= Duration::from_secs(2),
        "throttled upload took only {took:?}"
    );
    assert!(
        took < Duration::from_secs(8),
        "throttled upload took {took:?}"
    );
    eprintln!("300 KB at 100 KB/s took {took:?}");

    // A connection opened in Pass mode is throttled once the mode changes.
    proxy.set_mode(Mode::Pass);
    let s = TcpStream::connect(proxy.addr()).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    proxy.set_mode(Mode::Throttle {
        bytes_per_sec: 200_000,
    });
    let (n, took) = upload(s, LEN);
    assert_eq!(n, LEN);
    assert!(
        took >= Duration::from_millis(1200),
        "existing connection not throttled: {took:?}"
    );
    assert_eq!(proxy.connections(), 3);
    assert_eq!(proxy.failed_requests(), 0);
}
