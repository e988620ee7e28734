//! [`BucketFile`]: one object of a block (its index or a chunk segment) read by byte
//! ranges. Reads are served, in order, from the local index header, from the range cache,
//! and only then from the bucket. [`BucketFile::fetch`] fetches many ranges at once,
//! merging those closer than [`MERGE_GAP`] into one request.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures::{stream, StreamExt, TryStreamExt};
use mnemos_objstore::Bucket;
use mnemos_tsdb::ReadAt;

use crate::range_cache::{FileKey, RangeCache};

/// Ranges closer than this are fetched as one request.
pub const MERGE_GAP: u64 = 64 << 10;
/// Requests in flight at once per fetch.
const FETCH_CONCURRENCY: usize = 8;

/// Bytes fetched for one query, by whoever read them.
#[derive(Debug, Default)]
pub struct FetchStats {
    /// Bytes read from the bucket.
    pub bucket_bytes: AtomicU64,
    /// Requests sent to the bucket.
    pub requests: AtomicU64,
}

/// Ranges of one file held for the duration of a query.
#[derive(Clone, Debug, Default)]
pub struct Pinned {
    ranges: Vec<(u64, Bytes)>,
}

impl Pinned {
    /// The bytes from `offset` to the end of the pinned range that holds it.
    pub fn tail_at(&self, offset: u64) -> Option<Bytes> {
        let (start, data) = containing(&self.ranges, offset)?;
        let from = usize::try_from(offset - start).ok()?;
        (from < data.len()).then(|| data.slice(from..))
    }
}

/// The range of `ranges` (sorted by start) that starts at or before `offset`.
fn containing(ranges: &[(u64, Bytes)], offset: u64) -> Option<&(u64, Bytes)> {
    let i = ranges.partition_point(|(start, _)| *start <= offset);
    ranges.get(i.checked_sub(1)?)
}

/// Merges sorted-or-not ranges whose gaps are at most `gap`.
pub fn merge_ranges(mut ranges: Vec<Range<u64>>, gap: u64) -> Vec<Range<u64>> {
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(gap) => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// One object of a block.
pub struct BucketFile {
    bucket: Bucket,
    key: String,
    file: FileKey,
    size: u64,
    path: PathBuf,
    header: Vec<(u64, Bytes)>,
    cache: RangeCache,
    runtime: tokio::runtime::Handle,
}

fn to_tsdb(path: &Path, e: mnemos_objstore::Error) -> mnemos_tsdb::Error {
    mnemos_tsdb::Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

impl BucketFile {
    /// A file of `size` bytes at `key`; `header` holds ranges kept locally.
    pub fn new(
        bucket: Bucket,
        key: String,
        file: FileKey,
        size: u64,
        header: Vec<(u64, Bytes)>,
        cache: RangeCache,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        let path = PathBuf::from(format!("{}/{key}", bucket.name()));
        Self {
            bucket,
            key,
            file,
            size,
            path,
            header,
            cache,
            runtime,
        }
    }

    fn header_slice(&self, offset: u64, len: usize) -> Option<Bytes> {
        let (start, data) = containing(&self.header, offset)?;
        let from = usize::try_from(offset - start).ok()?;
        let end = from.checked_add(len).filter(|e| *e <= data.len())?;
        Some(data.slice(from..end))
    }

    /// Fetches `ranges` (clipped to the file), merged, from the cache or the bucket, and
    /// keeps them for the caller; fetched ranges also go into the cache.
    pub async fn fetch(
        &self,
        ranges: Vec<Range<u64>>,
        stats: &FetchStats,
    ) -> Result<Pinned, mnemos_tsdb::Error> {
        let clipped: Vec<Range<u64>> = ranges
            .into_iter()
            .map(|r| r.start.min(self.size)..r.end.min(self.size))
            .filter(|r| r.start < r.end)
            .collect();
        let merged = merge_ranges(clipped, MERGE_GAP);
        let mut pinned: Vec<(u64, Bytes)> = stream::iter(merged)
            .map(|r| async move {
                let len = (r.end - r.start) as usize;
                if let Some(data) = self.cache.get(self.file, r.start, len) {
                    return Ok((r.start, data));
                }
                let data = self
                    .bucket
                    .get_range(&self.key, r.clone())
                    .await
                    .map_err(|e| to_tsdb(&self.path, e))?;
                stats
                    .bucket_bytes
                    .fetch_add(data.len() as u64, Ordering::Relaxed);
                stats.requests.fetch_add(1, Ordering::Relaxed);
                tracing::trace!(
                    object = %self.key,
                    offset = r.start,
                    bytes = data.len(),
                    "bucket range read"
                );
                self.cache.insert(self.file, r.start, data.clone());
                Ok::<_, mnemos_tsdb::Error>((r.start, data))
            })
            .buffer_unordered(FETCH_CONCURRENCY)
            .try_collect()
            .await?;
        pinned.sort_by_key(|(start, _)| *start);
        Ok(Pinned { ranges: pinned })
    }
}

impl ReadAt for BucketFile {
    fn size(&self) -> u64 {
        self.size
    }

    /// Header, then cache, then the bucket (blocking the calling thread: callers run on
    /// blocking threads, never on the async workers).
    fn read_at(&self, offset: u64, len: usize) -> mnemos_tsdb::Result<Bytes> {
        let truncated = |available: u64| mnemos_tsdb::Error::Corrupt {
            path: self.path.clone(),
            offset,
            kind: mnemos_tsdb::error::Corruption::Truncated {
                needed: len as u64,
                available,
            },
        };
        let end = offset.saturating_add(len as u64);
        if end > self.size {
            return Err(truncated(self.size.saturating_sub(offset)));
        }
        if let Some(data) = self.header_slice(offset, len) {
            return Ok(data);
        }
        if let Some(data) = self.cache.get(self.file, offset, len) {
            return Ok(data);
        }
        let data = self
            .runtime
            .block_on(self.bucket.get_range(&self.key, offset..end))
            .map_err(|e| to_tsdb(&self.path, e))?;
        if data.len() != len {
            // The object is shorter than its listed size (replaced underneath us).
            return Err(truncated(data.len() as u64));
        }
        self.cache.insert(self.file, offset, data.clone());
        Ok(data)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_across_small_gaps() {
        let merged = merge_ranges(vec![100..200, 0..10, 250..300, 10_000..10_010], 60);
        assert_eq!(merged, vec![0..10, 100..300, 10_000..10_010]);
        assert_eq!(merge_ranges(vec![0..10, 5..8], 0), vec![0..10]);
    }

    #[test]
    fn pinned_serves_from_offset_to_range_end() {
        let p = Pinned {
            ranges: vec![
                (10, Bytes::from_static(b"abcdef")),
                (100, Bytes::from_static(b"xyz")),
            ],
        };
        assert_eq!(p.tail_at(12).as_deref(), Some(&b"cdef"[..]));
        assert_eq!(p.tail_at(101).as_deref(), Some(&b"yz"[..]));
        assert!(p.tail_at(16).is_none() && p.tail_at(5).is_none() && p.tail_at(103).is_none());
    }
}
