//! Reading PEM files, and telling when they changed.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// The certificate chain in a PEM file (at least one certificate).
pub(crate) fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let fail = |reason: String| Error::File {
        what: "certificate",
        path: path.to_path_buf(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no CERTIFICATE block".to_string()));
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| Error::File {
        what: "private key",
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The certificate authorities in a PEM file.
pub(crate) fn roots(path: &Path) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    for cert in certificates(path)? {
        store.add(cert).map_err(|e| Error::File {
            what: "CA",
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    Ok(store)
}

/// What a file looked like when last read: changes when it is rewritten or when a
/// symbolic link (a Kubernetes Secret volume) is pointed at a new file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamp(Vec<Option<(SystemTime, u64, u64)>>);

impl Stamp {
    /// The stamp of `files` now (a missing file has its own stamp).
    pub(crate) fn of(files: &[PathBuf]) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self(
            files
                .iter()
                .map(|f| {
                    std::fs::metadata(f).ok().map(|m| {
                        (
                            m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                            m.len(),
                            m.ino(),
                        )
                    })
                })
                .collect(),
        )
    }
}
