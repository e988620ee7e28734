//! Chunk segment files (`chunks/000001`, …): header, then chunks each as
//! `uvarint len | encoding byte | data | CRC32C(encoding+data)`.
//! A chunk reference is `segment index << 32 | byte offset`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::chunkenc::Encoding;
use crate::encoding::{check_header, decode_uvarint, verify_crc_after};
use crate::error::{CorruptAt, Corruption, Error, IoContext, Result};
use crate::read_at::{read_length_prefixed, BytesFile, ReadAt};

/// Magic number at the start of every chunk segment file.
pub const MAGIC_CHUNKS: u32 = 0x85BD_40DD;
const FORMAT_V1: u8 = 1;
/// Bytes before the first chunk: magic, version, 3 bytes of padding.
pub const SEGMENT_HEADER_SIZE: u64 = 8;
/// Largest segment file Prometheus writes before cutting a new one (512 MiB).
pub const DEFAULT_MAX_SEGMENT_SIZE: u64 = 512 * 1024 * 1024;
/// Directory of the segment files inside a block.
pub const CHUNKS_DIRNAME: &str = "chunks";

/// Where a chunk is and which time range it covers, as the index records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkMeta {
    /// Timestamp of the first sample (ms).
    pub min_time: i64,
    /// Timestamp of the last sample (ms).
    pub max_time: i64,
    /// `segment << 32 | offset`.
    pub chunk_ref: u64,
}

impl ChunkMeta {
    /// Whether the chunk may hold samples in `[mint, maxt]`.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.min_time <= maxt && mint <= self.max_time
    }
}

/// A chunk's encoding byte and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawChunk {
    /// Encoding byte as stored (1 = XOR).
    pub encoding: u8,
    /// The encoded samples.
    pub data: Bytes,
}

impl RawChunk {
    /// The encoding, or `None` for a byte this library does not know.
    pub fn kind(&self) -> Option<Encoding> {
        Encoding::from_byte(self.encoding)
    }
}

/// Splits a chunk reference into segment index and offset.
pub fn split_ref(chunk_ref: u64) -> (usize, u64) {
    ((chunk_ref >> 32) as usize, chunk_ref & 0xffff_ffff)
}

/// Name of the segment file with index `seq` (0 → `000001`).
pub fn segment_name(seq: usize) -> String {
    format!("{:06}", seq + 1)
}

/// The offset of chunk `chunk_ref` in its segment file of `size` bytes (the reference
/// comes from the index, so it is checked): fails when it points into the file header or
/// past the end.
pub fn chunk_offset(chunk_ref: u64, size: u64) -> Result<u64, CorruptAt> {
    let (_, offset) = split_ref(chunk_ref);
    if offset < SEGMENT_HEADER_SIZE || offset >= size {
        return Err(CorruptAt::new(
            offset,
            Corruption::Invalid(format!(
                "chunk reference {chunk_ref:#x} out of range (segment of {size} bytes)"
            )),
        ));
    }
    Ok(offset)
}

/// Checks a segment file's 8-byte header.
pub fn check_segment_header(header: &[u8]) -> Result<(), CorruptAt> {
    check_header(header, MAGIC_CHUNKS, FORMAT_V1)
}

/// Parses the chunk at the front of `buf` (which starts at file offset `offset`):
/// returns the chunk and its total length on disk. Verifies the CRC.
pub fn decode_chunk(buf: &Bytes, offset: u64) -> Result<(RawChunk, usize), CorruptAt> {
    let (len, n) = decode_uvarint(buf).ok_or(CorruptAt::new(offset, Corruption::Varint))?;
    let len = usize::try_from(len).map_err(|_| CorruptAt::new(offset, Corruption::Varint))?;
    let total = n
        .checked_add(1)
        .and_then(|x| x.checked_add(len))
        .and_then(|x| x.checked_add(4))
        .ok_or(CorruptAt::new(offset, Corruption::Varint))?;
    if buf.len() < total {
        return Err(CorruptAt::new(
            offset,
            Corruption::Truncated {
                needed: total as u64,
                available: buf.len() as u64,
            },
        ));
    }
    verify_crc_after(buf, n, n + 1 + len, offset)?;
    Ok((
        RawChunk {
            encoding: buf[n],
            data: buf.slice(n + 1..n + 1 + len),
        },
        total,
    ))
}

/// Reads chunks by reference from a block's segment files.
pub struct ChunkReader<R: ReadAt = BytesFile> {
    segments: Vec<R>,
}

impl ChunkReader<BytesFile> {
    /// Opens every segment file in `<block>/chunks`.
    pub fn open_dir(dir: &Path) -> Result<Self> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .at_path(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .collect();
        names.sort();
        for (i, p) in names.iter().enumerate() {
            let expected = segment_name(i);
            if p.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
                return Err(Error::Corrupt {
                    path: dir.to_path_buf(),
                    offset: 0,
                    kind: Corruption::Invalid(format!(
                        "chunk segment files are not consecutive: expected {expected}, found {}",
                        p.display()
                    )),
                });
            }
        }
        let segments = names
            .iter()
            .map(|p| BytesFile::map(p))
            .collect::<Result<Vec<_>>>()?;
        Self::new(segments)
    }
}

impl<R: ReadAt> ChunkReader<R> {
    /// A reader over already-opened segment files (index 0 = `000001`).
    pub fn new(segments: Vec<R>) -> Result<Self> {
        for s in &segments {
            let header = s.read_at(0, SEGMENT_HEADER_SIZE as usize)?;
            check_segment_header(&header).map_err(|e| e.in_file(s.path()))?;
        }
        Ok(Self { segments })
    }

    /// Number of segment files.
    pub fn num_segments(&self) -> usize {
        self.segments.len()
    }

    /// Reads the chunk at `chunk_ref`, verifying its checksum.
    pub fn chunk(&self, chunk_ref: u64) -> Result<RawChunk> {
        let (seq, offset) = split_ref(chunk_ref);
        let seg = self.segments.get(seq).ok_or_else(|| Error::Corrupt {
            path: PathBuf::from(CHUNKS_DIRNAME).join(segment_name(seq)),
            offset,
            kind: Corruption::Invalid(format!(
                "chunk reference {chunk_ref:#x}: no such segment file"
            )),
        })?;
        chunk_offset(chunk_ref, seg.size()).map_err(|e| e.in_file(seg.path()))?;
        // After the length: the encoding byte, the data, the 4-byte CRC.
        let buf = read_length_prefixed(seg, offset, 5)?;
        let (chunk, _) = decode_chunk(&buf, offset).map_err(|e| e.in_file(seg.path()))?;
        Ok(chunk)
    }
}

/// Writes chunks into segment files, cutting a new file at the size limit.
pub struct ChunkWriter {
    dir: PathBuf,
    max_segment_size: u64,
    seq: usize,
    file: Option<BufWriter<std::fs::File>>,
    pos: u64,
    written: Vec<(String, u64)>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    /// A writer creating segment files in `dir` (created if missing).
    pub fn new(dir: &Path) -> Result<Self> {
        Self::with_segment_size(dir, DEFAULT_MAX_SEGMENT_SIZE)
    }

    /// As [`ChunkWriter::new`] with a custom segment size limit (tests use small ones).
    pub fn with_segment_size(dir: &Path, max_segment_size: u64) -> Result<Self> {
        std::fs::create_dir_all(dir).at_path(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            max_segment_size,
            seq: 0,
            file: None,
            pos: 0,
            written: Vec::new(),
            buf: Vec::with_capacity(512),
        })
    }

    fn cut(&mut self) -> Result<()> {
        self.finish_segment()?;
        let seq = self.written.len();
        let path = self.dir.join(segment_name(seq));
        let f = std::fs::File::create(&path).at_path(&path)?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let mut header = [0u8; SEGMENT_HEADER_SIZE as usize];
        header[..4].copy_from_slice(&MAGIC_CHUNKS.to_be_bytes());
        header[4] = FORMAT_V1;
        w.write_all(&header).at_path(&path)?;
        self.file = Some(w);
        self.seq = seq;
        self.pos = SEGMENT_HEADER_SIZE;
        self.written.push((segment_name(seq), 0));
        Ok(())
    }

    fn finish_segment(&mut self) -> Result<()> {
        if let Some(w) = self.file.take() {
            let path = self.dir.join(segment_name(self.seq));
            let f = w.into_inner().map_err(|e| e.into_error()).at_path(&path)?;
            f.sync_all().at_path(&path)?;
            if let Some(last) = self.written.last_mut() {
                last.1 = self.pos;
            }
        }
        Ok(())
    }

    /// Appends one chunk; returns its reference.
    pub fn write_chunk(&mut self, encoding: u8, data: &[u8]) -> Result<u64> {
        self.buf.clear();
        let mut len = data.len() as u64;
        while len >= 0x80 {
            self.buf.push((len as u8) | 0x80);
            len >>= 7;
        }
        self.buf.push(len as u8);
        let crc_from = self.buf.len();
        self.buf.push(encoding);
        self.buf.extend_from_slice(data);
        let crc = crc32c::crc32c(&self.buf[crc_from..]);
        self.buf.extend_from_slice(&crc.to_be_bytes());
        let size = self.buf.len() as u64;
        if self.file.is_none() || self.pos + size > self.max_segment_size {
            self.cut()?;
        }
        if self.pos > u32::MAX as u64 {
            return Err(Error::InvalidInput(
                "chunk segment offset exceeds 32 bits".into(),
            ));
        }
        let chunk_ref = ((self.seq as u64) << 32) | self.pos;
        let path = &self.dir;
        match self.file.as_mut() {
            Some(w) => w.write_all(&self.buf).at_path(path)?,
            None => return Err(Error::InvalidInput("no open chunk segment".into())),
        }
        self.pos += size;
        Ok(chunk_ref)
    }

    /// Flushes and fsyncs; returns each segment's name and size.
    pub fn finish(mut self) -> Result<Vec<(String, u64)>> {
        self.finish_segment()?;
        crate::fsutil::sync_dir(&self.dir)?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_and_cut_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ChunkWriter::with_segment_size(dir.path(), 64).unwrap();
        let mut refs = Vec::new();
        for i in 0..10u8 {
            refs.push(w.write_chunk(1, &[i; 20]).unwrap());
        }
        let files = w.finish().unwrap();
        assert!(files.len() > 1, "{files:?}");
        assert_eq!(refs[0], 8);
        let r = ChunkReader::open_dir(dir.path()).unwrap();
        for (i, &cref) in refs.iter().enumerate() {
            let c = r.chunk(cref).unwrap();
            assert_eq!(c.encoding, 1);
            assert_eq!(&c.data[..], &vec![i as u8; 20][..]);
        }
    }

    #[test]
    fn crafted_chunk_lengths_are_errors() {
        // Length 2^64 - 1, then 2^63: no overflow, no allocation, an error.
        let mut huge = vec![0xff; 9];
        huge.push(0x01);
        huge.extend_from_slice(&[1, 0, 0, 0, 0]);
        assert!(decode_chunk(&Bytes::from(huge), 8).is_err());
        let mut big = vec![0x80; 9];
        big.push(0x01);
        assert!(decode_chunk(&Bytes::from(big), 8).is_err());
        // Length one past the data.
        let err =
            decode_chunk(&Bytes::from_static(&[3, 1, 0xaa, 0xbb, 0, 0, 0, 0]), 8).unwrap_err();
        assert!(
            matches!(
                err.kind,
                Corruption::Truncated {
                    needed: 9,
                    available: 8
                }
            ),
            "{err:?}"
        );
        assert_eq!(chunk_offset(8, 100), Ok(8));
        assert!(chunk_offset(7, 100).is_err() && chunk_offset(100, 100).is_err());
    }

    #[test]
    fn corruption_names_file_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ChunkWriter::new(dir.path()).unwrap();
        let cref = w.write_chunk(1, b"abcdef").unwrap();
        w.finish().unwrap();
        let path = dir.path().join("000001");
        let mut data = std::fs::read(&path).unwrap();
        data[10] ^= 1;
        std::fs::write(&path, &data).unwrap();
        let r = ChunkReader::open_dir(dir.path()).unwrap();
        let err = r.chunk(cref).unwrap_err().to_string();
        assert!(
            err.contains("000001 at offset") && err.contains("checksum"),
            "{err}"
        );
        std::fs::write(&path, &data[..9]).unwrap();
        let r = ChunkReader::open_dir(dir.path()).unwrap();
        assert!(r.chunk(cref).unwrap_err().to_string().contains("truncated"));
        assert!(r
            .chunk(1 << 20)
            .unwrap_err()
            .to_string()
            .contains("out of range"));
        assert!(r.chunk(3).unwrap_err().to_string().contains("out of range"));
        std::fs::write(&path, b"garbage!").unwrap();
        let err = ChunkReader::open_dir(dir.path()).err().unwrap().to_string();
        assert!(err.contains("bad magic"), "{err}");
    }
}
