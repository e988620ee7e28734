//! Truncated and bit-flipped block files must give errors, never panics.

mod common;

use std::path::Path;

use mnemos_tsdb::labels::MatchType;
use mnemos_tsdb::{Block, Matcher};
use proptest::prelude::*;

/// Opens a block and reads everything in it, returning the sample count; any
/// error is fine, a panic is not.
fn read_everything(dir: &Path) -> Result<usize, mnemos_tsdb::Error> {
    let block = Block::open(dir)?;
    let idx = block.index();
    for name in idx.label_names() {
        assert!(!idx.label_values(name).is_empty());
    }
    let mut n = 0;
    let matchers = [
        Matcher::new(MatchType::Regex, "job", "job[01]")?,
        Matcher::new(MatchType::NotEqual, "zone", "z1")?,
    ];
    let _ = block.select(&matchers)?;
    let mut samples = Vec::new();
    for id in idx.all_postings()? {
        let s = idx.series(id)?;
        samples.clear();
        block.read_samples(&s, i64::MIN, i64::MAX, &mut samples)?;
        n += samples.len();
    }
    Ok(n)
}

fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let block = common::write_block(dir.path(), &common::fixture_series(12, 150));
    (dir, block)
}

fn copy_block(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst.join("chunks")).unwrap();
    for f in ["index", "meta.json", "tombstones", "chunks/000001"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
}

#[test]
fn every_truncation_of_index_and_chunks_is_an_error_or_harmless() {
    let (_tmp, block) = fixture();
    let total = read_everything(&block).unwrap();
    assert_eq!(total, 12 * 150);
    for file in ["index", "chunks/000001"] {
        let data = std::fs::read(block.join(file)).unwrap();
        let work = tempfile::tempdir().unwrap();
        copy_block(&block, work.path());
        let mut errors = 0;
        for len in 0..data.len() {
            std::fs::write(work.path().join(file), &data[..len]).unwrap();
            match read_everything(work.path()) {
                Err(e) => {
                    errors += 1;
                    let msg = e.to_string();
                    assert!(
                        msg.contains(file.rsplit('/').next().unwrap()),
                        "error does not name the file: {msg}"
                    );
                }
                Ok(n) => assert!(n <= total),
            }
        }
        // Cutting a file short must be noticed (almost) always.
        assert!(
            errors >= data.len() - 1,
            "{file}: only {errors} of {} truncations detected",
            data.len()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn bit_flips_never_panic(file in 0usize..2, pos in any::<prop::sample::Index>(), bit in 0u8..8, extra in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4)) {
        let (_tmp, block) = fixture();
        let file = ["index", "chunks/000001"][file];
        let work = tempfile::tempdir().unwrap();
        copy_block(&block, work.path());
        let mut data = std::fs::read(block.join(file)).unwrap();
        let p = pos.index(data.len());
        data[p] ^= 1 << bit;
        for (i, b) in extra {
            let i = i.index(data.len());
            data[i] = b;
        }
        std::fs::write(work.path().join(file), &data).unwrap();
        let _ = read_everything(work.path());
    }
}
