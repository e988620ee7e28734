//! meta.json and the marker files (deletion-mark.json, no-compact-mark.json) parsed from
//! arbitrary bytes. What parses must serialise and parse back to the same value (unknown
//! fields are kept).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mnemos_block::{DeletionMark, NoCompactMark};
use mnemos_tsdb::BlockMeta;

/// The fields of a meta that mnemos reads, without the unknown ones kept in `extra`.
fn known_fields(m: &BlockMeta) -> serde_json::Value {
    let thanos = m.thanos.as_ref().map(|t| {
        let files: Vec<(&str, u64)> = t
            .files
            .iter()
            .map(|f| (f.rel_path.as_str(), f.size_bytes))
            .collect();
        serde_json::json!([
            t.version,
            t.labels,
            t.downsample.resolution,
            t.source,
            t.segment_files,
            files
        ])
    });
    let s = &m.stats;
    let c = &m.compaction;
    let parents: Vec<(&str, i64, i64)> = c
        .parents
        .iter()
        .map(|p| (p.ulid.as_str(), p.min_time, p.max_time))
        .collect();
    serde_json::json!([
        m.ulid,
        m.min_time,
        m.max_time,
        m.version,
        [s.num_samples, s.num_series, s.num_chunks, s.num_tombstones],
        [c.level, c.sources, parents],
        thanos,
    ])
}

fuzz_target!(|data: &[u8]| {
    if let Ok(meta) = BlockMeta::parse(data, Path::new("meta.json")) {
        let _ = (meta.resolution(), meta.desc());
        let json = meta.to_json().expect("a parsed meta serialises");
        let again = BlockMeta::parse(&json, Path::new("meta.json")).expect("re-parse");
        // Every field mnemos reads survives exactly. (Unknown fields are kept too, but a
        // float among them may change in its last digit: serde_json parses floats without
        // its `float_roundtrip` feature.)
        assert_eq!(
            known_fields(&again),
            known_fields(&meta),
            "meta.json changes through a round trip"
        );
    }
    if let Ok(mark) = serde_json::from_slice::<DeletionMark>(data) {
        let json = serde_json::to_vec(&mark).expect("serialise");
        let again: DeletionMark = serde_json::from_slice(&json).expect("re-parse");
        assert_eq!(again, mark);
    }
    if let Ok(mark) = serde_json::from_slice::<NoCompactMark>(data) {
        let json = serde_json::to_vec(&mark).expect("serialise");
        let again: NoCompactMark = serde_json::from_slice(&json).expect("re-parse");
        assert_eq!(again, mark);
    }
});
