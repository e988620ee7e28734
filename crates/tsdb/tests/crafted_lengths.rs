//! Crafted corrupt inputs: length fields and offsets that come from the data must give a
//! clear error, never a panic, and never make a reader ask for bytes past the file.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use mnemos_tsdb::encoding::Encbuf;
use mnemos_tsdb::index::{decode_series, IndexReader, Toc, SERIES_ALIGNMENT, TOC_LEN};
use mnemos_tsdb::tombstones::Tombstones;
use mnemos_tsdb::{BytesFile, ReadAt};

/// A file that records the largest end offset any read asked for.
struct Watched {
    inner: BytesFile,
    furthest: Arc<AtomicU64>,
}

impl Watched {
    fn new(data: Vec<u8>) -> (Self, Arc<AtomicU64>) {
        let furthest = Arc::new(AtomicU64::new(0));
        let file = Self {
            inner: BytesFile::new(data, "index"),
            furthest: furthest.clone(),
        };
        (file, furthest)
    }
}

impl ReadAt for Watched {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_at(&self, offset: u64, len: usize) -> mnemos_tsdb::Result<Bytes> {
        self.furthest
            .fetch_max(offset.saturating_add(len as u64), Ordering::Relaxed);
        self.inner.read_at(offset, len)
    }

    fn path(&self) -> &Path {
        self.inner.path()
    }
}

fn index_bytes() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let block = common::write_block(dir.path(), &common::fixture_series(6, 10));
    let data = std::fs::read(block.join("index")).unwrap();
    (dir, data)
}

fn toc_of(data: &[u8]) -> Toc {
    let at = data.len() - TOC_LEN;
    Toc::decode(&data[at..], at as u64).unwrap()
}

/// Replaces the TOC (with a valid checksum) so a crafted offset gets past the TOC check.
fn with_toc(mut data: Vec<u8>, toc: Toc) -> Vec<u8> {
    let at = data.len() - TOC_LEN;
    let mut e = Encbuf::new();
    toc.encode(&mut e);
    data[at..].copy_from_slice(e.get());
    data
}

/// Opens an index over `data`; returns the error text and the furthest byte read.
fn open_err(data: Vec<u8>) -> (String, u64) {
    let (file, furthest) = Watched::new(data);
    let err = IndexReader::open(file).err().expect("corrupt index opened");
    (err.to_string(), furthest.load(Ordering::Relaxed))
}

#[test]
fn a_huge_symbol_table_length_is_truncation_without_reading_past_the_file() {
    let (_dir, mut data) = index_bytes();
    let size = data.len() as u64;
    let toc = toc_of(&data);
    let at = toc.symbols as usize;
    data[at..at + 4].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    let (err, furthest) = open_err(data);
    assert!(
        err.contains("index at offset") && err.contains("truncated"),
        "{err}"
    );
    assert!(furthest <= size, "read up to {furthest}");
}

#[test]
fn toc_offsets_past_the_end_are_errors() {
    let (_dir, data) = index_bytes();
    let size = data.len() as u64;
    let toc = toc_of(&data);
    for crafted in [
        Toc {
            symbols: size + 1_000,
            ..toc
        },
        Toc {
            postings_table: u64::MAX - 3,
            ..toc
        },
        Toc { symbols: 1, ..toc },
    ] {
        let (err, furthest) = open_err(with_toc(data.clone(), crafted));
        assert!(err.contains("out of range"), "{err}");
        assert!(furthest <= size);
    }
}

#[test]
fn postings_offsets_outside_the_postings_section_are_errors() {
    let (_dir, data) = index_bytes();
    let size = data.len() as u64;
    let (file, furthest) = Watched::new(data);
    let reader = IndexReader::open(file).unwrap();
    let section = reader.postings_section();
    for offset in [0, section.start - 1, section.end, size + 10, u64::MAX] {
        let err = reader.postings_at(offset).unwrap_err().to_string();
        assert!(
            err.contains("outside the postings section"),
            "{offset}: {err}"
        );
    }
    // The last bytes of the section cannot hold the list they would announce.
    let err = reader.postings_at(section.end - 2).unwrap_err().to_string();
    assert!(err.contains("truncated"), "{err}");
    assert!(furthest.load(Ordering::Relaxed) <= size);
}

#[test]
fn postings_counts_past_the_list_are_errors() {
    // 2^32 - 1 entries announced, one held.
    let body = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]);
    let err = mnemos_tsdb::index::postings::decode_postings(&body, 0).unwrap_err();
    assert!(
        err.kind
            .to_string()
            .contains("announces 4294967295 entries"),
        "{err:?}"
    );
}

#[test]
fn huge_series_entry_lengths_and_counts_are_errors() {
    let (_dir, mut data) = index_bytes();
    let size = data.len() as u64;
    let reader = IndexReader::open(BytesFile::new(data.clone(), "index")).unwrap();
    let id = reader.all_postings().unwrap()[0];
    drop(reader);
    let at = (u64::from(id) * SERIES_ALIGNMENT) as usize;
    // Length 2^64 - 1 in place of the first entry's length.
    data[at..at + 10]
        .copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    let (file, furthest) = Watched::new(data);
    let reader = IndexReader::open(file).unwrap();
    let err = reader.series(id).unwrap_err().to_string();
    assert!(err.contains("truncated"), "{err}");
    assert!(furthest.load(Ordering::Relaxed) <= size);
    // Series IDs past the file.
    assert!(reader.series(u32::MAX).is_err());

    // An entry announcing 2^63 labels or chunks in a few bytes (checksum valid).
    for (nlabels, nchunks) in [(1u64 << 63, 0u64), (0, 1 << 63)] {
        let mut body = Encbuf::new();
        body.put_uvarint(nlabels);
        body.put_uvarint(nchunks);
        let mut e = Encbuf::new();
        e.put_uvarint(body.len() as u64);
        let from = e.len();
        e.put_bytes(body.get());
        e.put_crc_of_tail(from);
        let err = decode_series(e.get(), 0).unwrap_err();
        assert!(err.kind.to_string().contains("series has"), "{err:?}");
    }
}

#[test]
fn crafted_tombstones_are_errors() {
    // A series reference varint longer than 64 bits, with a valid checksum.
    let mut e = Encbuf::new();
    e.put_be32(mnemos_tsdb::tombstones::MAGIC_TOMBSTONES);
    e.put_u8(1);
    e.put_bytes(&[0xff; 11]);
    e.put_crc_of_tail(5);
    assert!(Tombstones::decode(e.get()).is_err());
    // Truncated between the fields of an entry.
    let mut e = Encbuf::new();
    e.put_be32(mnemos_tsdb::tombstones::MAGIC_TOMBSTONES);
    e.put_u8(1);
    e.put_uvarint(7);
    e.put_varint(10);
    e.put_crc_of_tail(5);
    assert!(Tombstones::decode(e.get()).is_err());
    // Shorter than header and checksum.
    for len in 0..9 {
        assert!(Tombstones::decode(&[0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0][..len]).is_err());
    }
}
