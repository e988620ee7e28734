//! A minimal OTLP/HTTP collector for tests: accepts `POST /v1/traces` on a free 127.0.0.1
//! port, answers 200, and keeps each request's path and body.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A received request: path and raw (protobuf) body.
pub type Received = (String, Vec<u8>);

/// The collector; runs until the process ends.
pub struct OtlpSink {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl OtlpSink {
    /// Starts listening.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind OTLP sink");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                let mut length = 0usize;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                store.lock().expect("lock").push((path, body));
                let _ = reader.get_mut().write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Self { port, received }
    }

    /// Thanos-format tracing YAML pointing at this sink.
    pub fn tracing_yaml(&self) -> String {
        format!(
            "type: OTLP\nconfig:\n  client_type: http\n  endpoint: 127.0.0.1:{}\n  insecure: true\n",
            self.port
        )
    }

    /// Requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}
