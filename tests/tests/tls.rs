//! TLS and authentication end to end, with certificates made here (rcgen):
//! - the TLS library's handshakes: mTLS accepted and refused, server names, skip-verify,
//!   a certificate rotated on disk served without restart;
//! - querier ↔ store gateway ↔ sidecar (over a real Prometheus 2.42) over mTLS: queries
//!   work with the flags and with a per-endpoint `--endpoint.sd-config-file`; a querier
//!   without a client certificate, or with one of another CA, gets nothing; the store's
//!   rotated certificate is picked up without restart;
//! - every component behind `--http.config` (TLS and basic auth, a header): curl and
//!   `promtool query instant` are refused without or with wrong credentials and served
//!   with the right ones; a changed web config is applied without restart.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use mnemos_e2e::bench::{bench_labels, BenchBucket, HOUR_MS};
use mnemos_e2e::certs::{CertFiles, TestCa};
use mnemos_e2e::component::Component;
use mnemos_e2e::http;
use mnemos_e2e::process::{free_port, wait_for};
use mnemos_e2e::prometheus::Prometheus;
use mnemos_e2e::require_tool;
use mnemos_tls::{ClientAuth, ClientTls, ClientTlsSpec, ServerTls, ServerTlsSpec, TlsVersion};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn server_spec(files: &CertFiles, client_ca: Option<&Path>) -> ServerTlsSpec {
    ServerTlsSpec {
        cert_file: files.cert.clone(),
        key_file: files.key.clone(),
        client_ca_file: client_ca.map(Path::to_path_buf),
        client_auth: if client_ca.is_some() {
            ClientAuth::RequireAndVerify
        } else {
            ClientAuth::None
        },
        min_version: TlsVersion::Tls12,
        max_version: TlsVersion::Tls13,
        alpn: vec![],
    }
}

fn client(ca: Option<&Path>, cert: Option<&CertFiles>, server_name: Option<&str>) -> ClientTls {
    ClientTls::new(ClientTlsSpec {
        ca_file: ca.map(Path::to_path_buf),
        cert_file: cert.map(|c| c.cert.clone()),
        key_file: cert.map(|c| c.key.clone()),
        server_name: server_name.map(str::to_string),
        insecure_skip_verify: false,
        alpn: vec![],
    })
    .expect("client TLS")
}

/// A TLS echo server on 127.0.0.1 (4 bytes back); returns its port.
async fn echo_server(tls: ServerTls) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut conns = Box::pin(mnemos_tls::incoming(
        listener,
        Arc::new(tls),
        Duration::from_secs(5),
        8,
    ));
    tokio::spawn(async move {
        while let Some(Ok(mut conn)) = conns.next().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4];
                if conn.read_exact(&mut buf).await.is_ok() {
                    let _ = conn.write_all(&buf).await;
                    let _ = conn.flush().await;
                }
            });
        }
    });
    port
}

/// Connects over TLS, checks an echo, returns the server's leaf certificate (DER).
async fn ping(client: &ClientTls, port: u16) -> std::io::Result<Vec<u8>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut conn = client.connect("127.0.0.1", tcp).await?;
    conn.write_all(b"ping").await?;
    conn.flush().await?;
    let mut buf = [0u8; 4];
    conn.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"ping");
    let (_, session) = conn.get_ref();
    Ok(session
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .unwrap_or_default())
}

/// The DER of the first certificate in a PEM file.
fn der(path: &Path) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_file(path)
        .expect("PEM certificate")
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_mtls_server_names_and_rotation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = TestCa::new(dir.path(), "a");
    let other = TestCa::new(dir.path(), "b");
    let server = ca.issue("server", &["store.example", "127.0.0.1"]);
    let port =
        echo_server(ServerTls::new(server_spec(&server, Some(&ca.ca_file()))).expect("server TLS"))
            .await;
    let ca_file = ca.ca_file();
    let good = ca.issue("client", &["querier"]);
    let foreign = other.issue("foreign", &["querier"]);
    let before = ping(&client(Some(&ca_file), Some(&good), None), port)
        .await
        .expect("a client of the CA is served");
    assert!(
        ping(&client(Some(&ca_file), None, None), port)
            .await
            .is_err(),
        "no client cert"
    );
    assert!(
        ping(&client(Some(&ca_file), Some(&foreign), None), port)
            .await
            .is_err(),
        "a client certificate of another CA"
    );
    assert!(
        ping(&client(Some(&other.ca_file()), Some(&good), None), port)
            .await
            .is_err(),
        "a server certificate of another CA"
    );
    let named = client(Some(&ca_file), Some(&good), Some("store.example"));
    ping(&named, port).await.expect("verified as store.example");
    let misnamed = client(Some(&ca_file), Some(&good), Some("other.example"));
    assert!(
        ping(&misnamed, port).await.is_err(),
        "name not in the certificate"
    );
    let skip = ClientTls::new(ClientTlsSpec {
        cert_file: Some(good.cert.clone()),
        key_file: Some(good.key.clone()),
        insecure_skip_verify: true,
        ..Default::default()
    })
    .expect("skip-verify client");
    ping(&skip, port)
        .await
        .expect("skip-verify accepts the server");

    // Rotation: half a rotation (new certificate, old key) keeps the old pair; the whole
    // one is served by the next handshake.
    let staged = ca.issue("staged", &["127.0.0.1"]);
    std::fs::copy(&staged.cert, &server.cert).expect("copy certificate");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let good_client = client(Some(&ca_file), Some(&good), None);
    assert_eq!(
        ping(&good_client, port).await.expect("still served"),
        before
    );
    std::fs::copy(&staged.key, &server.key).expect("copy key");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        ping(&good_client, port).await.expect("rotated"),
        der(&staged.cert)
    );

    // Startup errors name the file.
    let missing = CertFiles {
        cert: dir.path().join("missing.pem"),
        key: dir.path().join("missing.key"),
    };
    let err = ServerTls::new(server_spec(&missing, None)).expect_err("missing files");
    assert!(err.to_string().contains("missing.pem"), "{err}");
    let mismatched = CertFiles {
        cert: good.cert.clone(),
        key: foreign.key.clone(),
    };
    let err = ServerTls::new(server_spec(&mismatched, None)).expect_err("key of another cert");
    assert!(err.to_string().contains("client.pem"), "{err}");
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

/// A querier over `endpoints` with extra flags, ready.
fn querier(work: &Path, name: &str, endpoints: &[u16], extra: &[String]) -> Component {
    let mut args = vec![
        "query".to_string(),
        "--endpoint.info-timeout=2s".to_string(),
    ];
    args.extend(
        endpoints
            .iter()
            .map(|p| format!("--endpoint=127.0.0.1:{p}")),
    );
    args.extend(extra.iter().cloned());
    let mut q = Component::start(work, name, &args);
    q.wait_ready(Duration::from_secs(30));
    q
}

/// An instant query; the answer's JSON.
fn query(port: u16, expr: &str, time_ms: i64) -> Value {
    let path = format!(
        "/api/v1/query?query={}&time={:.3}",
        http::encode(expr),
        time_ms as f64 / 1000.0
    );
    let r = http::get(port, &path).expect("query");
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{path}: {e}: {}", r.body))
}

/// The series count of a successful instant query's vector.
fn series_count(answer: &Value) -> usize {
    assert_eq!(answer["status"], "success", "{answer}");
    answer["data"]["result"].as_array().map_or(0, Vec::len)
}

#[test]
fn querier_store_and_sidecar_over_mutual_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    let ca = TestCa::new(work, "mesh");
    let other = TestCa::new(work, "other");
    let store_cert = ca.issue("store", &["localhost", "127.0.0.1"]);
    let sidecar_cert = ca.issue("sidecar", &["localhost", "127.0.0.1"]);
    let querier_cert = ca.issue("querier", &["querier"]);
    let foreign_cert = other.issue("foreign", &["querier"]);
    let server_tls = |c: &CertFiles| {
        vec![
            format!("--grpc-server-tls-cert={}", c.cert.display()),
            format!("--grpc-server-tls-key={}", c.key.display()),
            format!("--grpc-server-tls-client-ca={}", ca.ca_file().display()),
        ]
    };

    // A block in a filesystem bucket for the store gateway, 6 h ago.
    let bucket = BenchBucket::create(work);
    let mint = (now_ms() - 6 * HOUR_MS) / (2 * HOUR_MS) * (2 * HOUR_MS);
    let labels: Vec<_> = (0..3).map(|s| bench_labels(s, format!("s{s}"))).collect();
    bucket.add_block(labels, mint, |s| {
        (0..240)
            .map(|i| (mint + i * 30_000, (s * 1000 + i as usize) as f64))
            .collect()
    });
    let mut args = vec![
        "store".to_string(),
        format!("--objstore.config-file={}", bucket.config.display()),
        format!("--data-dir={}", work.join("store-data").display()),
    ];
    args.extend(server_tls(&store_cert));
    let mut store = Component::start(work, "store", &args);
    store.wait_ready(Duration::from_secs(30));

    // A sidecar over a real Prometheus scraping itself.
    let prom = Prometheus::start_self_scraping(work, "prometheus", "cluster: tls, replica: a");
    let mut args = vec![
        "sidecar".to_string(),
        format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
        format!("--tsdb.path={}", prom.data_dir.display()),
    ];
    args.extend(server_tls(&sidecar_cert));
    let mut sidecar = Component::start(work, "sidecar", &args);
    sidecar.wait_ready(Duration::from_secs(30));
    let endpoints = [store.grpc_port, sidecar.grpc_port];
    let at = mint + HOUR_MS;

    // With the flags: both endpoints answer.
    let client_flags = |cert: Option<&CertFiles>| {
        let mut f = vec![
            "--grpc-client-tls-secure".to_string(),
            format!("--grpc-client-tls-ca={}", ca.ca_file().display()),
            "--grpc-client-server-name=localhost".to_string(),
        ];
        if let Some(c) = cert {
            f.push(format!("--grpc-client-tls-cert={}", c.cert.display()));
            f.push(format!("--grpc-client-tls-key={}", c.key.display()));
        }
        f
    };
    let q = querier(
        work,
        "query-flags",
        &endpoints,
        &client_flags(Some(&querier_cert)),
    );
    assert_eq!(series_count(&query(q.http_port, "bench_metric", at)), 3);
    let up = wait_for(Duration::from_secs(30), Duration::from_millis(500), || {
        (series_count(&query(q.http_port, "up", now_ms())) == 1).then_some(())
    });
    assert!(
        up.is_some(),
        "the sidecar answers over mTLS; log {}",
        q.log.display()
    );

    // With a per-endpoint configuration file and no TLS flags.
    let config = work.join("endpoints.yml");
    let mut yaml = String::from("endpoints:\n");
    for port in endpoints {
        yaml.push_str(&format!(
            "  - address: 127.0.0.1:{port}\n    grpc_client_config:\n      server_name: localhost\n      tls_config:\n        enabled: true\n        ca_file: {}\n        cert_file: {}\n        key_file: {}\n",
            ca.ca_file().display(),
            querier_cert.cert.display(),
            querier_cert.key.display()
        ));
    }
    std::fs::write(&config, yaml).expect("endpoint config");
    let q2 = querier(
        work,
        "query-sd-config",
        &[],
        &[format!("--endpoint.sd-config-file={}", config.display())],
    );
    assert_eq!(series_count(&query(q2.http_port, "bench_metric", at)), 3);
    assert_eq!(series_count(&query(q2.http_port, "up", now_ms())), 1);

    // Without a client certificate, or with one of another CA: refused, nothing served.
    let anonymous = querier(work, "query-anonymous", &endpoints, &client_flags(None));
    let foreign = querier(
        work,
        "query-foreign",
        &endpoints,
        &client_flags(Some(&foreign_cert)),
    );
    let plain = querier(work, "query-plain", &endpoints, &[]);
    for q in [&anonymous, &foreign, &plain] {
        let answer = query(q.http_port, "bench_metric", at);
        assert_eq!(series_count(&answer), 0, "{answer}");
        assert!(
            answer["warnings"].as_array().is_some_and(|w| !w.is_empty()),
            "refused endpoints are warnings: {answer}"
        );
        let strict = http::get(
            q.http_port,
            &format!(
                "/api/v1/query?query=bench_metric&partial_response=false&time={}",
                at / 1000
            ),
        )
        .expect("query");
        assert_ne!(strict.status, 200, "{}", strict.body);
    }

    // Rotation: the store serves a new certificate without restart; queries go on.
    let rotated = ca.issue("store-rotated", &["localhost", "127.0.0.1"]);
    std::fs::copy(&rotated.cert, &store_cert.cert).expect("rotate certificate");
    std::fs::copy(&rotated.key, &store_cert.key).expect("rotate key");
    let probe = client(Some(&ca.ca_file()), Some(&querier_cert), Some("localhost"));
    let rt = mnemos_e2e::runtime();
    let served = wait_for(Duration::from_secs(15), Duration::from_millis(300), || {
        let der_now = rt.block_on(async {
            let tcp = TcpStream::connect(("127.0.0.1", store.grpc_port))
                .await
                .ok()?;
            let conn = probe.connect("127.0.0.1", tcp).await.ok()?;
            let (_, session) = conn.get_ref();
            session.peer_certificates()?.first().map(|c| c.to_vec())
        })?;
        (der_now == der(&rotated.cert)).then_some(())
    });
    assert!(
        served.is_some(),
        "rotated certificate not served; log {}",
        store.log.display()
    );
    store.assert_running();
    let fresh = querier(
        work,
        "query-after-rotation",
        &endpoints,
        &client_flags(Some(&querier_cert)),
    );
    assert_eq!(series_count(&query(fresh.http_port, "bench_metric", at)), 3);
    assert_eq!(series_count(&query(q.http_port, "bench_metric", at)), 3);
    assert!(store.log_text().contains("configuration reloaded"));
    sidecar.assert_running();
}

/// curl's status code for `url` (0 when the connection failed), with extra arguments.
fn curl(url: &str, extra: &[&str]) -> u16 {
    let out = Command::new(require_tool("curl"))
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .args(extra)
        .arg(url)
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Writes a web config: TLS with `cert`, one user with `password`, a header.
fn write_web_config(path: &Path, cert: &CertFiles, user: &str, password: &str) {
    let hash = bcrypt::hash(password, 4).expect("bcrypt");
    let yaml = format!(
        "tls_server_config:\n  cert_file: {}\n  key_file: {}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n  {user}: {hash}\n",
        cert.cert.display(),
        cert.key.display()
    );
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, yaml).expect("write web config");
    std::fs::rename(&tmp, path).expect("replace web config");
}

#[test]
fn every_component_behind_http_config_with_tls_and_basic_auth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path();
    let ca = TestCa::new(work, "web");
    let cert = ca.issue("web", &["localhost", "127.0.0.1"]);
    let web = work.join("web.yml");
    write_web_config(&web, &cert, "admin", "correct horse");
    // Prometheus' own checker accepts the file.
    let check = Command::new(require_tool("promtool"))
        .args(["check", "web-config"])
        .arg(&web)
        .output()
        .expect("promtool check web-config");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let cacert = ca.ca_file().display().to_string();
    let https = |port: u16, path: &str| format!("https://127.0.0.1:{port}{path}");
    let authed = |port: u16, path: &str, user: &str, password: &str| {
        curl(
            &https(port, path),
            &["--cacert", &cacert, "-u", &format!("{user}:{password}")],
        )
    };
    let start = |name: &str, args: Vec<String>, grpc: bool| {
        let mut args = args;
        args.push(format!("--http.config={}", web.display()));
        let mut c = Component::start_probed(
            work,
            name,
            &args,
            grpc.then(free_port),
            free_port(),
            |port| authed(port, "/-/ready", "admin", "correct horse") == 200,
        );
        c.assert_running();
        c
    };

    let bucket = BenchBucket::create(work);
    let mint = (now_ms() - 6 * HOUR_MS) / (2 * HOUR_MS) * (2 * HOUR_MS);
    bucket.add_block(vec![bench_labels(0, "s0".into())], mint, |_| {
        (0..240).map(|i| (mint + i * 30_000, i as f64)).collect()
    });
    let objstore = format!("--objstore.config-file={}", bucket.config.display());
    let store = start(
        "store",
        vec![
            "store".into(),
            objstore.clone(),
            format!("--data-dir={}", work.join("store-data").display()),
        ],
        true,
    );
    let compact = start(
        "compact",
        vec![
            "compact".into(),
            objstore,
            "--wait".into(),
            format!("--data-dir={}", work.join("compact-data").display()),
        ],
        false,
    );
    let prom = Prometheus::start_self_scraping(work, "prometheus", "replica: a");
    let sidecar = start(
        "sidecar",
        vec![
            "sidecar".into(),
            format!("--prometheus.url=http://127.0.0.1:{}", prom.port),
            format!("--tsdb.path={}", prom.data_dir.display()),
        ],
        true,
    );
    let query = start(
        "query",
        vec![
            "query".into(),
            format!("--endpoint=127.0.0.1:{}", store.grpc_port),
            format!("--endpoint=127.0.0.1:{}", sidecar.grpc_port),
        ],
        false,
    );

    for (name, c) in [
        ("store", &store),
        ("compact", &compact),
        ("sidecar", &sidecar),
        ("query", &query),
    ] {
        let port = c.http_port;
        for path in ["/metrics", "/-/healthy"] {
            assert_eq!(
                curl(&https(port, path), &["--cacert", &cacert]),
                401,
                "{name} {path} without credentials"
            );
            assert_eq!(
                authed(port, path, "admin", "wrong"),
                401,
                "{name} {path} wrong password"
            );
            assert_eq!(
                authed(port, path, "nobody", "correct horse"),
                401,
                "{name} {path} unknown user"
            );
            assert_eq!(
                authed(port, path, "admin", "correct horse"),
                200,
                "{name} {path}"
            );
        }
        assert_eq!(
            curl(&format!("http://127.0.0.1:{port}/metrics"), &[]),
            0,
            "{name}: plain HTTP is refused"
        );
        assert_ne!(
            curl(&https(port, "/metrics"), &["-u", "admin:correct horse"]),
            200,
            "{name}: a client that does not trust the CA"
        );
        let head = Command::new(require_tool("curl"))
            .args([
                "-s",
                "-D",
                "-",
                "-o",
                "/dev/null",
                "--cacert",
                &cacert,
                "-u",
                "admin:correct horse",
            ])
            .arg(https(port, "/metrics"))
            .output()
            .expect("curl -D");
        let head = String::from_utf8_lossy(&head.stdout).to_lowercase();
        assert!(head.contains("x-frame-options: deny"), "{name}: {head}");
    }

    // The API through curl and promtool (Go's HTTP client: credentials in the URL, the CA
    // through SSL_CERT_FILE).
    let api = https(query.http_port, "/api/v1/query?query=bench_metric");
    assert_eq!(
        authed(
            query.http_port,
            "/api/v1/query?query=up",
            "admin",
            "correct horse"
        ),
        200
    );
    assert_eq!(curl(&api, &["--cacert", &cacert]), 401);
    let promtool = |user_info: &str| {
        Command::new(require_tool("promtool"))
            .env("SSL_CERT_FILE", ca.ca_file())
            .args(["query", "instant"])
            .arg(format!("https://{user_info}127.0.0.1:{}", query.http_port))
            .arg("count(up) or vector(0)")
            .output()
            .expect("promtool query instant")
    };
    let served = promtool("admin:correct%20horse@");
    assert!(
        served.status.success(),
        "{}",
        String::from_utf8_lossy(&served.stderr)
    );
    assert!(
        String::from_utf8_lossy(&served.stdout).contains("=>"),
        "{}",
        String::from_utf8_lossy(&served.stdout)
    );
    for user_info in ["", "admin:wrong@"] {
        let refused = promtool(user_info);
        assert!(
            !refused.status.success(),
            "promtool without valid credentials"
        );
        let stderr = String::from_utf8_lossy(&refused.stderr).to_string();
        assert!(
            stderr.contains("401") || stderr.contains("Unauthorized"),
            "{stderr}"
        );
    }

    // A changed web config is applied without restart: the old password stops working.
    write_web_config(&web, &cert, "admin", "battery staple");
    for c in [&store, &compact, &sidecar, &query] {
        let applied = wait_for(Duration::from_secs(10), Duration::from_millis(200), || {
            (authed(c.http_port, "/metrics", "admin", "battery staple") == 200).then_some(())
        });
        assert!(
            applied.is_some(),
            "new web config not applied; log {}",
            c.log.display()
        );
        assert_eq!(
            authed(c.http_port, "/metrics", "admin", "correct horse"),
            401
        );
    }
}
