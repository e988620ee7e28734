//! Rewrites a block with this library's writer: same series and samples,
//! chunks re-encoded, tombstones applied, a new ULID.

use std::path::Path;

use crate::block::Block;
use crate::block_writer::BlockWriter;
use crate::error::Result;
use crate::meta::BlockMeta;

/// Series between two progress log lines.
const PROGRESS_EVERY: usize = 100_000;

/// Reads every series of `block` and writes it as a new block under `out_parent`.
/// The new block keeps the time range, compaction level, sources and `thanos`
/// section, and records the source block as its parent.
pub fn rewrite_block(block: &Block, out_parent: &Path) -> Result<BlockMeta> {
    let src = block.meta();
    let symbols: Vec<String> = block.index().symbols().iter().map(str::to_string).collect();
    let mut writer = BlockWriter::create(out_parent, symbols)?;
    let mut samples = Vec::new();
    let ids = block.index().all_postings()?;
    let total = ids.len();
    for (n, id) in ids.into_iter().enumerate() {
        if n > 0 && n % PROGRESS_EVERY == 0 {
            tracing::info!(block = %src.ulid, series_done = n, series_total = total, "rewrite progress");
        }
        let series = block.index().series(id)?;
        samples.clear();
        block.read_samples(&series, i64::MIN, i64::MAX, &mut samples)?;
        if let Err(e) = writer.add_series(&series.labels, &samples) {
            let _ = writer.abort();
            return Err(e);
        }
    }
    let mut meta = BlockMeta::new(String::new(), src.min_time, src.max_time);
    meta.compaction.level = src.compaction.level.max(1);
    meta.compaction.sources = src.compaction.sources.clone();
    meta.compaction.parents = vec![src.desc()];
    meta.thanos = src.thanos.clone();
    writer.finish(meta)
}
