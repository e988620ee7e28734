//! A real AWS STS and S3 implementation on 127.0.0.1: moto's server (PyPI `moto[server]`,
//! installed by `scripts/install-test-deps.sh` into `~/.cache/mnemos-tools/moto-venv`),
//! served over HTTPS with a certificate from [`crate::tls`], with one bucket ([`BUCKET`]).
//!
//! moto recognizes an unsigned `AssumeRoleWithWebIdentity` call by its form body, while the
//! `object_store` client sends the same parameters in the query string (as AWS also
//! accepts); the small launcher below hands such calls to moto's STS application and
//! everything else to moto's usual dispatcher. moto does not check S3 signatures.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::certs::{CertFiles, TestCa};
use crate::process::{free_port, run_ok, wait_for, ChildGuard};

/// The bucket every [`Moto`] creates.
pub const BUCKET: &str = "mnemos";
/// The region the bucket is in.
pub const REGION: &str = "us-east-1";

/// Runs moto's S3 and STS over HTTPS (argv: host, port, certificate, key, and the CA file
/// client certificates must chain to, or "" for no client certificate).
const LAUNCHER: &str = r#"
import ssl, sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

host, port, cert, key, client_ca = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(cert, key)
if client_ca:
    tls.verify_mode = ssl.CERT_REQUIRED
    tls.load_verify_locations(client_ca)
dispatcher = DomainDispatcherApplication(create_backend_app)
sts = create_backend_app("sts")

def app(environ, start_response):
    query = environ.get("QUERY_STRING", "")
    if environ.get("REQUEST_METHOD") == "POST" and "Action=AssumeRoleWithWebIdentity" in query:
        return sts(environ, start_response)
    return dispatcher(environ, start_response)

run_simple(host, port, app, threaded=True, ssl_context=tls)
"#;

/// Creates the bucket with boto3 (argv: endpoint, CA file, bucket, and optionally the client
/// certificate and key).
const CREATE_BUCKET: &str = r#"
import sys, boto3
from botocore.config import Config
cert = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else None
s3 = boto3.client("s3", endpoint_url=sys.argv[1], verify=sys.argv[2], region_name="us-east-1",
                  aws_access_key_id="moto", aws_secret_access_key="moto",
                  config=Config(client_cert=cert))
s3.create_bucket(Bucket=sys.argv[3])
"#;

/// The Python of the moto venv: `$MNEMOS_MOTO_PYTHON`, else
/// `~/.cache/mnemos-tools/moto-venv/bin/python`; `None` when it is not there.
pub fn moto_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MNEMOS_MOTO_PYTHON") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let home = std::env::var_os("HOME")?;
    let p = PathBuf::from(home).join(".cache/mnemos-tools/moto-venv/bin/python");
    p.is_file().then_some(p)
}

/// The moto venv's Python, or `None` (with a note on stderr) when it is missing outside
/// CI, so the calling test can return early. Under `CI=true` a missing moto fails.
pub fn moto_python_or_skip(test: &str) -> Option<PathBuf> {
    let found = moto_python();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "moto is not installed (CI=true): scripts/install-test-deps.sh installs it"
        );
        eprintln!(
            "skipping {test}: moto is not installed (run scripts/install-test-deps.sh, or set \
             MNEMOS_MOTO_PYTHON)"
        );
    }
    found
}

/// A running moto server with bucket [`BUCKET`], killed when this value drops.
pub struct Moto {
    port: u16,
    ca: PathBuf,
    client: CertFiles,
    log: PathBuf,
    _guard: ChildGuard,
}

impl Moto {
    /// Starts moto over HTTPS on a free port of 127.0.0.1 (log in `work/moto.log`) and
    /// creates [`BUCKET`].
    pub fn start(python: &Path, work: &Path) -> Moto {
        Self::start_with(python, work, false)
    }

    /// As [`Moto::start`], but every client must present a certificate signed by the test
    /// CA ([`Moto::client_cert`]).
    pub fn start_mutual_tls(python: &Path, work: &Path) -> Moto {
        Self::start_with(python, work, true)
    }

    fn start_with(python: &Path, work: &Path, mutual: bool) -> Moto {
        let dir = work.join("moto-certs");
        std::fs::create_dir_all(&dir).expect("create cert dir");
        let ca = TestCa::new(&dir, "moto");
        let server = ca.issue("server", &["127.0.0.1", "localhost"]);
        let client = ca.issue("client", &["mnemos"]);
        let port = free_port();
        let log = work.join("moto.log");
        let mut cmd = Command::new(python);
        cmd.arg("-c")
            .arg(LAUNCHER)
            .arg("127.0.0.1")
            .arg(port.to_string())
            .arg(&server.cert)
            .arg(&server.key)
            .arg(if mutual {
                ca.ca_file().into_os_string()
            } else {
                std::ffi::OsString::new()
            });
        let mut guard = ChildGuard::spawn("moto", &mut cmd, &log);
        let up = wait_for(Duration::from_secs(30), Duration::from_millis(100), || {
            guard.assert_running();
            // Closed at once: the server does the TLS handshake of each connection in its
            // accept loop, so a probe left open would stall it.
            TcpStream::connect(("127.0.0.1", port)).ok().map(drop)
        });
        assert!(
            up.is_some(),
            "moto did not listen on 127.0.0.1:{port} within 30s; log: {}",
            log.display()
        );
        let moto = Moto {
            port,
            ca: ca.ca_file(),
            client,
            log,
            _guard: guard,
        };
        let mut create = Command::new(python);
        create
            .arg("-c")
            .arg(CREATE_BUCKET)
            .arg(moto.url())
            .arg(&moto.ca)
            .arg(BUCKET)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE")
            .env_remove("AWS_CA_BUNDLE");
        if mutual {
            create.arg(&moto.client.cert).arg(&moto.client.key);
        }
        run_ok(&mut create);
        moto
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT` (no scheme), the S3 `endpoint` of an objstore YAML.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The CA certificate that signed the server's certificate.
    pub fn ca_file(&self) -> &Path {
        &self.ca
    }

    /// The client certificate and key (PEM files) the test CA signed.
    pub fn client_cert(&self) -> (&Path, &Path) {
        (&self.client.cert, &self.client.key)
    }

    /// The server log (one line per request).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Number of `AssumeRoleWithWebIdentity` calls moto answered with 200.
    pub fn web_identity_calls(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("Action=AssumeRoleWithWebIdentity") && l.contains("\" 200 "))
            .count()
    }
}
