//! The page bundles, embedded: `crates/ui/assets/*`, built from `ui/` by `ui/build.sh` (CI
//! checks the committed files equal a fresh build). Each has a version (a hash of its
//! bytes, for cache busting) and a gzip copy made once, on first use.

use std::io::Write;
use std::sync::LazyLock;

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "query.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/query.js"),
    },
    Asset {
        name: "query.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/query.css"),
    },
    Asset {
        name: "bucket.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/bucket.js"),
    },
    Asset {
        name: "bucket.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/bucket.css"),
    },
];

/// Version and gzip copy of each asset, in [`ASSETS`] order.
struct Prepared {
    version: String,
    gzip: Vec<u8>,
}

static PREPARED: LazyLock<Vec<Prepared>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| Prepared {
            version: format!("{:016x}", xxhash_rust::xxh64::xxh64(a.bytes, 0)),
            gzip: gzip(a.bytes),
        })
        .collect()
});

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// An embedded asset ready to serve.
pub(crate) struct Served {
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes as built.
    pub bytes: &'static [u8],
    /// The same, gzip-compressed.
    pub gzip: &'static [u8],
    /// The version (hash of `bytes`).
    pub version: &'static str,
}

/// The asset named `name` (`query.js`, …).
pub(crate) fn served(name: &str) -> Option<Served> {
    let i = ASSETS.iter().position(|a| a.name == name)?;
    let p = PREPARED.get(i)?;
    Some(Served {
        content_type: ASSETS[i].content_type,
        bytes: ASSETS[i].bytes,
        gzip: &p.gzip,
        version: &p.version,
    })
}

/// The names of the embedded assets.
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}

/// The version of asset `name` (the `v` of its URL), `""` for an unknown name.
pub fn asset_version(name: &str) -> &'static str {
    served(name).map_or("", |s| s.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_built_and_its_gzip_copy_inflates_to_it() {
        for name in asset_names() {
            let s = served(name).expect("asset");
            assert!(!s.bytes.is_empty(), "{name} is empty: run ui/build.sh");
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(s.gzip), &mut out)
                .expect("gunzip");
            assert_eq!(out, s.bytes, "{name}");
            assert_eq!(s.version.len(), 16);
        }
    }

    #[test]
    fn the_bucket_bundle_carries_no_editor() {
        let js = served("bucket.js").expect("bucket.js").bytes;
        let text = String::from_utf8_lossy(js);
        assert!(!text.contains("codemirror") && !text.contains("cm-editor"));
    }
}
