//! Handshakes between the server and client configurations on certificates made here: mTLS
//! accepted and refused, skip-verify, server names, and rotation on disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// A certificate authority that writes PEM files into a directory.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: PathBuf,
    name: &'static str,
}

impl Ca {
    fn new(dir: &Path, name: &'static str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer =
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("ca");
        let ca = Self {
            issuer,
            dir: dir.to_path_buf(),
            name,
        };
        std::fs::write(ca.ca_file(), ca.issuer.pem()).expect("write ca");
        ca
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.join(format!("{}-ca.pem", self.name))
    }

    /// Issues a certificate for `names`, written to `<file>.pem` and `<file>.key`.
    fn issue(&self, file: &str, names: &[&str]) -> (PathBuf, PathBuf) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let key = KeyPair::generate().expect("key");
        let cert = CertificateParams::new(names)
            .expect("params")
            .signed_by(&key, &self.issuer)
            .expect("sign");
        let (c, k) = (
            self.dir.join(format!("{file}.pem")),
            self.dir.join(format!("{file}.key")),
        );
        std::fs::write(&c, cert.pem()).expect("write cert");
        std::fs::write(&k, key.serialize_pem()).expect("write key");
        (c, k)
    }
}

fn server_spec(cert: PathBuf, key: PathBuf, client_ca: Option<PathBuf>) -> ServerTlsSpec {
    ServerTlsSpec {
        client_auth: if client_ca.is_some() {
            ClientAuth::RequireAndVerify
        } else {
            ClientAuth::None
        },
        cert_file: cert,
        key_file: key,
        client_ca_file: client_ca,
        min_version: TlsVersion::Tls12,
        max_version: TlsVersion::Tls13,
        alpn: vec![],
    }
}

/// A TLS echo server on 127.0.0.1; returns its port.
async fn echo_server(tls: ServerTls) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut conns = Box::pin(incoming(listener, Arc::new(tls), Duration::from_secs(5), 8));
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

/// Connects, sends "ping" and returns the echo and the server's leaf certificate.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_accepts_only_clients_of_the_ca() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new(dir.path(), "a");
    let other = Ca::new(dir.path(), "b");
    let (cert, key) = ca.issue("server", &["localhost", "127.0.0.1"]);
    let (client_cert, client_key) = ca.issue("client", &["querier"]);
    let (foreign_cert, foreign_key) = other.issue("foreign", &["querier"]);
    let server = ServerTls::new(server_spec(cert, key, Some(ca.ca_file()))).expect("server");
    let port = echo_server(server).await;

    let good = ClientTls::new(ClientTlsSpec {
        ca_file: Some(ca.ca_file()),
        cert_file: Some(client_cert),
        key_file: Some(client_key),
        ..Default::default()
    })
    .expect("client");
    ping(&good, port)
        .await
        .expect("a client of the CA is served");

    let anonymous = ClientTls::new(ClientTlsSpec {
        ca_file: Some(ca.ca_file()),
        ..Default::default()
    })
    .expect("client");
    assert!(
        ping(&anonymous, port).await.is_err(),
        "no client certificate"
    );

    let foreign = ClientTls::new(ClientTlsSpec {
        ca_file: Some(ca.ca_file()),
        cert_file: Some(foreign_cert),
        key_file: Some(foreign_key),
        ..Default::default()
    })
    .expect("client");
    assert!(
        ping(&foreign, port).await.is_err(),
        "a certificate of another CA"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_names_and_skip_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new(dir.path(), "a");
    let other = Ca::new(dir.path(), "b");
    let (cert, key) = ca.issue("server", &["store.example"]);
    let port = echo_server(ServerTls::new(server_spec(cert, key, None)).expect("server")).await;

    let by_address = ClientTls::new(ClientTlsSpec {
        ca_file: Some(ca.ca_file()),
        ..Default::default()
    })
    .expect("client");
    assert!(
        ping(&by_address, port).await.is_err(),
        "127.0.0.1 is not in the certificate"
    );
    let named = ClientTls::new(ClientTlsSpec {
        ca_file: Some(ca.ca_file()),
        server_name: Some("store.example".to_string()),
        ..Default::default()
    })
    .expect("client");
    ping(&named, port).await.expect("verified as store.example");
    let wrong_ca = ClientTls::new(ClientTlsSpec {
        ca_file: Some(other.ca_file()),
        server_name: Some("store.example".to_string()),
        ..Default::default()
    })
    .expect("client");
    assert!(ping(&wrong_ca, port).await.is_err(), "signed by another CA");
    let skip = ClientTls::new(ClientTlsSpec {
        insecure_skip_verify: true,
        ..Default::default()
    })
    .expect("client");
    ping(&skip, port)
        .await
        .expect("skip-verify accepts any certificate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_served_without_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::new(dir.path(), "a");
    let (cert, key) = ca.issue("server", &["127.0.0.1"]);
    let port = echo_server(ServerTls::new(server_spec(cert, key, None)).expect("server")).await;
    let client = ClientTls::new(ClientTlsSpec {
        ca_file: Some(ca.ca_file()),
        ..Default::default()
    })
    .expect("client");
    let before = ping(&client, port).await.expect("first certificate");

    // Half a rotation (new certificate, old key) keeps serving the old pair.
    let staged = ca.issue("staged", &["127.0.0.1"]);
    std::fs::copy(&staged.0, dir.path().join("server.pem")).expect("copy cert");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(ping(&client, port).await.expect("still served"), before);

    std::fs::copy(&staged.1, dir.path().join("server.key")).expect("copy key");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = ping(&client, port).await.expect("rotated certificate");
    assert_ne!(before, after, "the new certificate is served");
    let staged_der = files::certificates(&staged.0).expect("read")[0].to_vec();
    assert_eq!(after, staged_der);
}

#[test]
fn startup_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.pem");
    let err = ServerTls::new(server_spec(missing.clone(), missing, None)).expect_err("missing");
    assert!(err.to_string().contains("missing.pem"), "{err}");
    let ca = Ca::new(dir.path(), "a");
    let (cert, _) = ca.issue("one", &["x"]);
    let (_, other_key) = ca.issue("two", &["x"]);
    let err = ServerTls::new(server_spec(cert, other_key, None)).expect_err("mismatched");
    assert!(err.to_string().contains("one.pem"), "{err}");
    let err = ClientTls::new(ClientTlsSpec {
        cert_file: Some(ca.ca_file()),
        ..Default::default()
    })
    .expect_err("cert without key");
    assert!(err.to_string().contains("both"), "{err}");
    assert!(TlsVersion::parse("1.4").is_err());
    assert_eq!(TlsVersion::parse("TLS13").expect("v"), TlsVersion::Tls13);
}
