//! Writes a new block: chunks and index into a temporary directory, then
//! tombstones and meta.json, then an atomic rename to `<parent>/<ULID>`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::chunkenc::{Encoding, XorEncoder};
use crate::chunks::{ChunkMeta, ChunkWriter, RawChunk, CHUNKS_DIRNAME};
use crate::error::{Error, IoContext, Result};
use crate::index::{IndexWriter, INDEX_FILENAME};
use crate::labels::Labels;
use crate::meta::BlockMeta;
use crate::tombstones::Tombstones;

/// Samples per chunk, as Prometheus cuts them.
pub const SAMPLES_PER_CHUNK: usize = 120;

/// The sorted symbol set of some label sets, plus "" as Prometheus includes it.
pub fn symbols_of<'a>(label_sets: impl IntoIterator<Item = &'a Labels>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    out.insert(String::new());
    for ls in label_sets {
        for l in ls.iter() {
            if !out.contains(&l.name) {
                out.insert(l.name.clone());
            }
            if !out.contains(&l.value) {
                out.insert(l.value.clone());
            }
        }
    }
    out
}

/// Builds one block.
pub struct BlockWriter {
    parent: PathBuf,
    ulid: String,
    tmp_dir: PathBuf,
    chunks: ChunkWriter,
    index: IndexWriter,
    num_samples: u64,
    num_chunks: u64,
    metas: Vec<ChunkMeta>,
}

impl BlockWriter {
    /// Starts a block under `parent` with a fresh ULID; `symbols` (sorted, unique)
    /// must hold every label name and value of the series to be added.
    pub fn create(parent: &Path, symbols: impl IntoIterator<Item = String>) -> Result<Self> {
        let ulid = ulid::Ulid::new().to_string();
        let tmp_dir = parent.join(format!("{ulid}.tmp-for-creation"));
        std::fs::create_dir_all(&tmp_dir).at_path(&tmp_dir)?;
        let chunks = ChunkWriter::new(&tmp_dir.join(CHUNKS_DIRNAME))?;
        let index = IndexWriter::create(&tmp_dir.join(INDEX_FILENAME), symbols)?;
        Ok(Self {
            parent: parent.to_path_buf(),
            ulid,
            tmp_dir,
            chunks,
            index,
            num_samples: 0,
            num_chunks: 0,
            metas: Vec::new(),
        })
    }

    /// The new block's ULID.
    pub fn ulid(&self) -> &str {
        &self.ulid
    }

    /// Adds a series from samples (strictly increasing timestamps), XOR-encoded
    /// in chunks of [`SAMPLES_PER_CHUNK`]. Series come in label order.
    pub fn add_series(&mut self, labels: &Labels, samples: &[(i64, f64)]) -> Result<()> {
        if samples.is_empty() {
            return Ok(());
        }
        if let Some(w) = samples.windows(2).find(|w| w[0].0 >= w[1].0) {
            return Err(Error::InvalidInput(format!(
                "series {labels}: timestamps not strictly increasing ({} then {})",
                w[0].0, w[1].0
            )));
        }
        self.metas.clear();
        for part in samples.chunks(SAMPLES_PER_CHUNK) {
            let mut enc = XorEncoder::new();
            for &(t, v) in part {
                enc.append(t, v);
            }
            let chunk_ref = self
                .chunks
                .write_chunk(Encoding::Xor.as_byte(), enc.bytes())?;
            self.metas.push(ChunkMeta {
                min_time: part[0].0,
                max_time: part[part.len() - 1].0,
                chunk_ref,
            });
        }
        self.num_samples += samples.len() as u64;
        self.finish_series(labels)
    }

    /// Adds a series from already-encoded chunks, copied unchanged. `num_samples`
    /// is the total sample count of the chunks (for the block stats).
    pub fn add_series_chunks(
        &mut self,
        labels: &Labels,
        chunks: &[(ChunkMeta, RawChunk)],
        num_samples: u64,
    ) -> Result<()> {
        if chunks.is_empty() {
            return Ok(());
        }
        self.metas.clear();
        for (meta, raw) in chunks {
            let chunk_ref = self.chunks.write_chunk(raw.encoding, &raw.data)?;
            self.metas.push(ChunkMeta { chunk_ref, ..*meta });
        }
        self.num_samples += num_samples;
        self.finish_series(labels)
    }

    fn finish_series(&mut self, labels: &Labels) -> Result<()> {
        self.index.add_series(labels, &self.metas)?;
        self.num_chunks += self.metas.len() as u64;
        Ok(())
    }

    /// Finishes the block: `meta` supplies time range, compaction and `thanos`
    /// fields; ULID and stats are filled in. Returns the final meta.
    pub fn finish(self, mut meta: BlockMeta) -> Result<BlockMeta> {
        let num_series = self.index.num_series() as u64;
        self.chunks.finish()?;
        self.index.finish()?;
        Tombstones::new().write_to_dir(&self.tmp_dir)?;
        meta.ulid = self.ulid.clone();
        meta.stats.num_samples = self.num_samples;
        meta.stats.num_series = num_series;
        meta.stats.num_chunks = self.num_chunks;
        meta.stats.num_tombstones = 0;
        // A meta made before the ULID was known (`BlockMeta::new("")`) names no real source.
        meta.compaction.sources.retain(|s| !s.is_empty());
        if meta.compaction.sources.is_empty() {
            meta.compaction.sources.push(self.ulid.clone());
        }
        meta.write_to_dir(&self.tmp_dir)?;
        crate::fsutil::sync_dir(&self.tmp_dir)?;
        let final_dir = self.parent.join(&self.ulid);
        std::fs::rename(&self.tmp_dir, &final_dir).at_path(&final_dir)?;
        crate::fsutil::sync_dir(&self.parent)?;
        Ok(meta)
    }

    /// Abandons the block, removing its temporary directory.
    pub fn abort(self) -> Result<()> {
        let dir = self.tmp_dir.clone();
        drop(self);
        std::fs::remove_dir_all(&dir).at_path(&dir)
    }
}
