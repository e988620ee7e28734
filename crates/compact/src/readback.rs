//! Read-back verification of a block the compactor uploaded, before its sources are marked
//! for deletion: the block is read back from the bucket (not from the local copy it was
//! uploaded from), meta.json must parse and list files that exist with their sizes, the
//! index and every chunk must decode, and the series, chunk and sample counts must equal
//! what the writer reported.
//!
//! Memory stays bounded: the block is downloaded to a scratch directory, and series are
//! decoded one at a time from the memory-mapped files.

use std::path::Path;

use mnemos_block::{download_block, verify_block};
use mnemos_objstore::Bucket;
use mnemos_tsdb::chunkenc::{
    decode_float_histograms, decode_histograms, decode_xor_into, Encoding,
};
use mnemos_tsdb::chunks::RawChunk;
use mnemos_tsdb::meta::{BlockMeta, BlockStats};
use mnemos_tsdb::{Block, Labels};
use ulid::Ulid;

use crate::aggr::{decode_aggr, AGGR_ENCODING};
use crate::error::{Error, Result};

/// What reading a block back found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readback {
    /// The block reads back as written.
    Sound,
    /// The block in the bucket differs from what was written or does not decode; the
    /// text says what and where.
    Mismatch(String),
}

/// Counts found while decoding a block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    /// Series in the index.
    pub series: u64,
    /// Chunks referenced by the series.
    pub chunks: u64,
    /// Samples, counted as the writer counts them (aggregate windows in downsampled
    /// blocks, samples of the chunk header for encodings this crate does not decode).
    pub samples: u64,
}

/// Reads block `id` back from `bucket` into `scratch` (created when missing, left for the
/// caller to remove) and compares it with `written`, the meta the writer returned.
///
/// Errors are failures that say nothing about the block (a bucket that failed after its
/// retries, a local disk error): the caller retries later. Everything the block itself is
/// to blame for is a [`Readback::Mismatch`].
pub async fn verify_uploaded(
    bucket: &Bucket,
    id: Ulid,
    written: &BlockMeta,
    scratch: &Path,
) -> Result<Readback> {
    let problems = verify_block(bucket, id).await?;
    if !problems.is_empty() {
        return Ok(Readback::Mismatch(problems.join("; ")));
    }
    std::fs::create_dir_all(scratch).map_err(|source| Error::Io {
        path: scratch.to_path_buf(),
        source,
    })?;
    let dir = match download_block(bucket, id, scratch).await {
        Ok(dir) => dir,
        // Gone or unparsable between the check above and the download: the block's fault.
        Err(mnemos_block::Error::Bucket(e)) if e.is_not_found() => {
            return Ok(Readback::Mismatch(e.to_string()))
        }
        Err(e @ mnemos_block::Error::Json { .. }) => return Ok(Readback::Mismatch(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let written = written.clone();
    let check = tokio::task::spawn_blocking(move || check_local(&dir, id, &written))
        .await
        .map_err(|e| Error::Task(e.to_string()))?;
    Ok(match check {
        Ok(()) => Readback::Sound,
        Err(problem) => Readback::Mismatch(problem),
    })
}

/// Checks a downloaded block against the writer's meta; `Err` says what is wrong.
pub fn check_local(dir: &Path, id: Ulid, written: &BlockMeta) -> std::result::Result<(), String> {
    let block = Block::open(dir).map_err(|e| e.to_string())?;
    let meta = block.meta();
    if meta.ulid != id.to_string() {
        return Err(format!("meta.json names block {}", meta.ulid));
    }
    let (stored, expected) = (&meta.stats, &written.stats);
    if !same_counts(stored, expected) {
        return Err(format!(
            "meta.json stats (series {}, chunks {}, samples {}) differ from the written ones (series {}, chunks {}, samples {})",
            stored.num_series, stored.num_chunks, stored.num_samples,
            expected.num_series, expected.num_chunks, expected.num_samples
        ));
    }
    if (meta.min_time, meta.max_time, meta.resolution())
        != (written.min_time, written.max_time, written.resolution())
    {
        return Err(format!(
            "meta.json range [{}, {}) resolution {} differs from the written [{}, {}) resolution {}",
            meta.min_time,
            meta.max_time,
            meta.resolution(),
            written.min_time,
            written.max_time,
            written.resolution()
        ));
    }
    let counted = count_block(&block)?;
    let expected_counts = Counted {
        series: expected.num_series,
        chunks: expected.num_chunks,
        samples: expected.num_samples,
    };
    if counted != expected_counts {
        return Err(format!(
            "read back series {}, chunks {}, samples {}; written series {}, chunks {}, samples {}",
            counted.series,
            counted.chunks,
            counted.samples,
            expected_counts.series,
            expected_counts.chunks,
            expected_counts.samples
        ));
    }
    Ok(())
}

fn same_counts(a: &BlockStats, b: &BlockStats) -> bool {
    (a.num_series, a.num_chunks, a.num_samples) == (b.num_series, b.num_chunks, b.num_samples)
}

/// Decodes every series and chunk of `block`, one series at a time, and counts them.
pub fn count_block(block: &Block) -> std::result::Result<Counted, String> {
    let resolution = block.meta().resolution();
    let ids = block.index().all_postings().map_err(|e| e.to_string())?;
    let mut counted = Counted::default();
    let mut previous: Option<Labels> = None;
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    for sid in ids {
        let entry = block.index().series(sid).map_err(|e| e.to_string())?;
        if previous.as_ref().is_some_and(|p| *p >= entry.labels) {
            return Err(format!(
                "index: series {} does not sort after the one before it",
                entry.labels
            ));
        }
        for c in &entry.chunks {
            let raw = block
                .chunks()
                .chunk(c.chunk_ref)
                .map_err(|e| e.to_string())?;
            counted.samples += chunk_samples(&raw, resolution, &mut ts, &mut vs)
                .map_err(|e| format!("series {}: chunk {:#x}: {e}", entry.labels, c.chunk_ref))?;
        }
        counted.series += 1;
        counted.chunks += entry.chunks.len() as u64;
        previous = Some(entry.labels);
    }
    Ok(counted)
}

/// Decodes one chunk and returns its samples as the writer counts them: XOR samples in
/// raw blocks, aggregate windows (samples of the count part) in downsampled blocks; chunks
/// this crate copies without decoding (native histograms) count the samples of their
/// header.
fn chunk_samples(
    raw: &RawChunk,
    resolution: i64,
    ts: &mut Vec<i64>,
    vs: &mut Vec<f64>,
) -> std::result::Result<u64, String> {
    ts.clear();
    vs.clear();
    if raw.encoding == AGGR_ENCODING {
        let parts = decode_aggr(&raw.data).map_err(|e| e.to_string())?;
        let mut windows = 0;
        for (i, part) in parts.iter().enumerate() {
            let Some(part) = part else { continue };
            ts.clear();
            vs.clear();
            let decoded = match part.encoding {
                Encoding::Xor => decode_xor_into(part.data, ts, vs).map(|()| ts.len()),
                Encoding::FloatHistogram => decode_float_histograms(part.data).map(|h| h.len()),
                Encoding::Histogram => decode_histograms(part.data).map(|h| h.len()),
            };
            let n = decoded.map_err(|e| format!("aggregate part {i}: {e}"))?;
            if i == 0 {
                windows = n as u64;
            }
        }
        // Raw blocks count an aggregate chunk by its leading bytes, as copied (never
        // written by this compactor, kept consistent with the writer's count).
        return Ok(if resolution > 0 {
            windows
        } else {
            header_samples(raw)?
        });
    }
    if raw.kind() == Some(Encoding::Xor) {
        decode_xor_into(&raw.data, ts, vs).map_err(|e| e.to_string())?;
        return Ok(if resolution > 0 { 0 } else { ts.len() as u64 });
    }
    if resolution > 0 {
        return Ok(0);
    }
    header_samples(raw)
}

/// The sample count in the 2-byte header every Prometheus chunk encoding starts with.
fn header_samples(raw: &RawChunk) -> std::result::Result<u64, String> {
    raw.data
        .get(..2)
        .map(|h| u64::from(u16::from_be_bytes([h[0], h[1]])))
        .ok_or_else(|| format!("chunk of {} byte(s) has no sample count", raw.data.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::block_writer::symbols_of;
    use mnemos_tsdb::BlockWriter;

    fn write_block(parent: &Path) -> (Ulid, BlockMeta) {
        let series = [
            (Labels::from_pairs([("__name__", "a"), ("i", "1")]), 250),
            (Labels::from_pairs([("__name__", "b"), ("i", "2")]), 7),
        ];
        let mut w =
            BlockWriter::create(parent, symbols_of(series.iter().map(|s| &s.0))).expect("writer");
        for (labels, n) in &series {
            let samples: Vec<(i64, f64)> = (0..*n).map(|i| (i * 1000, i as f64)).collect();
            w.add_series(labels, &samples).expect("add");
        }
        let meta = w
            .finish(BlockMeta::new(String::new(), 0, 250_000))
            .expect("finish");
        (Ulid::from_string(&meta.ulid).expect("ulid"), meta)
    }

    #[test]
    fn a_sound_block_counts_as_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (id, meta) = write_block(dir.path());
        let block_dir = dir.path().join(id.to_string());
        let block = Block::open(&block_dir).expect("open");
        assert_eq!(
            count_block(&block),
            Ok(Counted {
                series: 2,
                chunks: 4,
                samples: 257
            })
        );
        assert_eq!(check_local(&block_dir, id, &meta), Ok(()));
    }

    #[test]
    fn writer_stats_that_differ_are_a_mismatch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (id, mut meta) = write_block(dir.path());
        meta.stats.num_samples += 1;
        let problem =
            check_local(&dir.path().join(id.to_string()), id, &meta).expect_err("stats differ");
        assert!(problem.contains("meta.json stats"), "{problem}");
    }

    #[test]
    fn a_flipped_chunk_byte_is_a_mismatch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (id, meta) = write_block(dir.path());
        let block_dir = dir.path().join(id.to_string());
        let segment = block_dir.join("chunks").join("000001");
        let mut data = std::fs::read(&segment).expect("read");
        let last = data.len() - 10;
        data[last] ^= 0x40;
        std::fs::write(&segment, data).expect("write");
        let problem = check_local(&block_dir, id, &meta).expect_err("corrupt chunk");
        assert!(problem.contains("000001"), "{problem}");
    }
}
