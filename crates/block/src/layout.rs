//! Object keys of the bucket layout (DESIGN.md section 4):
//! `<ULID>/meta.json`, `<ULID>/index`, `<ULID>/chunks/000001…`, `<ULID>/tombstones`,
//! `<ULID>/deletion-mark.json`, `<ULID>/no-compact-mark.json`.

use ulid::Ulid;

/// File name of a block's meta.
pub const META_FILE: &str = "meta.json";
/// File name of a block's index.
pub const INDEX_FILE: &str = "index";
/// Directory of a block's chunk segments.
pub const CHUNKS_DIR: &str = "chunks";
/// File name of a block's tombstones.
pub const TOMBSTONES_FILE: &str = "tombstones";
/// File name of a deletion mark.
pub const DELETION_MARK_FILE: &str = "deletion-mark.json";
/// File name of a no-compact mark.
pub const NO_COMPACT_MARK_FILE: &str = "no-compact-mark.json";
/// File name of a no-downsample mark.
pub const NO_DOWNSAMPLE_MARK_FILE: &str = "no-downsample-mark.json";
/// File name of the mark saying a block's Parquet files are complete (Cortex' format).
pub const PARQUET_MARK_FILE: &str = "parquet-converter-mark.json";
/// Every mark's file name: files of a block directory that are not block data.
pub const MARK_FILES: [&str; 4] = [
    DELETION_MARK_FILE,
    NO_COMPACT_MARK_FILE,
    NO_DOWNSAMPLE_MARK_FILE,
    PARQUET_MARK_FILE,
];
/// Extension of a block's Parquet files (not TSDB block data).
pub const PARQUET_EXTENSION: &str = ".parquet";

/// Key of a file inside a block: `<id>/<rel_path>`.
pub fn block_key(id: Ulid, rel_path: &str) -> String {
    format!("{id}/{rel_path}")
}

/// Key of a block's meta.json.
pub fn meta_key(id: Ulid) -> String {
    block_key(id, META_FILE)
}

/// Splits a key into its block id and the path inside the block, when it is one.
pub fn parse_block_key(key: &str) -> Option<(Ulid, &str)> {
    let (dir, rest) = key.split_once('/')?;
    Some((Ulid::from_string(dir).ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let id = Ulid::from_string("01BKGV7JBM69T2G1BGBGM6KB12").expect("ulid");
        assert_eq!(meta_key(id), "01BKGV7JBM69T2G1BGBGM6KB12/meta.json");
        assert_eq!(
            parse_block_key("01BKGV7JBM69T2G1BGBGM6KB12/chunks/000001"),
            Some((id, "chunks/000001"))
        );
        assert_eq!(parse_block_key("debug/metas/x.json"), None);
        assert_eq!(parse_block_key("01BKGV7JBM69T2G1BGBGM6KB12"), None);
    }
}
