//! A throwaway certificate authority and a server certificate for 127.0.0.1, made with the
//! `openssl` command line tool, so tests can serve HTTPS and have mnemos trust it through
//! `http_config.tls_config.ca_file`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::run_ok;

/// PEM files of a test CA and of a server certificate it signed for `127.0.0.1` and
/// `localhost`.
pub struct TestCerts {
    /// The CA certificate (what clients trust).
    pub ca: PathBuf,
    /// The server certificate.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
}

/// Makes a CA and a server certificate in `dir` (valid for two days).
pub fn make_certs(dir: &Path) -> TestCerts {
    std::fs::create_dir_all(dir).expect("create cert dir");
    let path = |name: &str| dir.join(name);
    let openssl = || {
        let mut c = Command::new("openssl");
        c.current_dir(dir);
        c
    };
    run_ok(openssl().args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=mnemos test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]));
    run_ok(openssl().args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]));
    std::fs::write(
        path("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write extensions");
    run_ok(openssl().args([
        "x509",
        "-req",
        "-days",
        "2",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]));
    TestCerts {
        ca: path("ca.pem"),
        cert: path("server.pem"),
        key: path("server.key"),
    }
}
