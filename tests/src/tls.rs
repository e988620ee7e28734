//! A throwaway certificate authority, a server certificate for 127.0.0.1 and a client
//! certificate, made with the `openssl` command line tool, so tests can serve HTTPS (also
//! mutual TLS) and have mnemos trust it through `http_config.tls_config.ca_file` and present
//! `cert_file`/`key_file`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::run_ok;

/// PEM files of a test CA, of a server certificate it signed for `127.0.0.1` and
/// `localhost`, and of a client certificate it signed.
pub struct TestCerts {
    /// The CA certificate (what clients trust, and servers trust clients by).
    pub ca: PathBuf,
    /// The server certificate.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
    /// The client certificate.
    pub client_cert: PathBuf,
    /// The client's private key.
    pub client_key: PathBuf,
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
    let leaf = |name: &str, subject: &str, extensions: &str| {
        run_ok(openssl().args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            subject,
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
        ]));
        std::fs::write(path(&format!("{name}.ext")), extensions).expect("write extensions");
        run_ok(openssl().args([
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ]));
    };
    leaf(
        "server",
        "/CN=127.0.0.1",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    );
    leaf(
        "client",
        "/CN=mnemos test client",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
         extendedKeyUsage=clientAuth\n",
    );
    TestCerts {
        ca: path("ca.pem"),
        cert: path("server.pem"),
        key: path("server.key"),
        client_cert: path("client.pem"),
        client_key: path("client.key"),
    }
}
