//! Several blocks read as one: series merged by label set across blocks, in
//! label order, with samples merged by timestamp (as a Prometheus data dir reads).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use crate::block::{Block, Sample};
use crate::error::{IoContext, Result};
use crate::index::SeriesEntry;
use crate::labels::{Labels, Matcher};
use crate::meta::META_FILENAME;

/// The blocks of a data directory (or a single block directory).
pub struct BlockSet {
    blocks: Vec<Block>,
}

/// Whether `dir` is a block directory (holds meta.json).
pub fn is_block_dir(dir: &Path) -> bool {
    dir.join(META_FILENAME).is_file()
}

/// Block directories directly under `data_dir`, sorted by name. Directories without
/// meta.json (partial writes, `wal`, `chunks_head`) are not blocks and are left out.
pub fn block_dirs(data_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(data_dir)
        .at_path(data_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && is_block_dir(p))
        .collect();
    out.sort();
    Ok(out)
}

impl BlockSet {
    /// Opens `dir`: the block itself if it holds meta.json, else every block in it.
    pub fn open(dir: &Path) -> Result<Self> {
        let dirs = if is_block_dir(dir) {
            vec![dir.to_path_buf()]
        } else {
            block_dirs(dir)?
        };
        let blocks = dirs
            .iter()
            .map(|d| Block::open(d))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::from_blocks(blocks))
    }

    /// Wraps opened blocks, ordering them by min time.
    pub fn from_blocks(mut blocks: Vec<Block>) -> Self {
        blocks.sort_by_key(|b| (b.meta().min_time, b.meta().ulid.clone()));
        Self { blocks }
    }

    /// The blocks, by min time.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Series matching `matchers` with data in `[mint, maxt]`, in label order.
    pub fn select<'a>(
        &'a self,
        matchers: &[Matcher],
        mint: i64,
        maxt: i64,
    ) -> Result<MergedSeries<'a>> {
        let mut cursors = Vec::new();
        for (i, b) in self.blocks.iter().enumerate() {
            if b.meta().max_time <= mint || b.meta().min_time > maxt {
                continue;
            }
            let ids = b.select(matchers)?;
            cursors.push(Cursor {
                block: i,
                ids,
                pos: 0,
            });
        }
        let mut merged = MergedSeries {
            set: self,
            cursors,
            heap: BinaryHeap::new(),
            mint,
            maxt,
        };
        for c in 0..merged.cursors.len() {
            merged.advance(c)?;
        }
        Ok(merged)
    }
}

struct Cursor {
    block: usize,
    ids: Vec<u32>,
    pos: usize,
}

/// One merged series: its labels and the parts of it in each block.
pub struct SeriesParts<'a> {
    /// The label set.
    pub labels: Labels,
    /// (block, series entry) for each block holding the series.
    pub parts: Vec<(&'a Block, SeriesEntry)>,
}

impl SeriesParts<'_> {
    /// What `promtool tsdb dump` of Prometheus 2.42 prints of this series in
    /// `[mint, maxt]`: its float samples, merged by timestamp, up to (not
    /// including) its first native histogram sample. 2.42's dump loop runs
    /// only while a series' samples are floats, so histogram samples and any
    /// float sample after the first of them are never printed.
    pub fn dump_samples_2_42(&self, mint: i64, maxt: i64) -> Result<Vec<Sample>> {
        let mut out = Vec::new();
        let mut stop: Option<i64> = None;
        for (block, entry) in &self.parts {
            if let Some(t) = block.read_floats_until_histogram(entry, mint, maxt, &mut out)? {
                stop = Some(stop.map_or(t, |s| s.min(t)));
            }
        }
        if let Some(stop) = stop {
            out.retain(|s| s.0 < stop);
        }
        if self.parts.len() > 1 {
            out.sort_by_key(|s| s.0);
            out.dedup_by_key(|s| s.0);
        }
        Ok(out)
    }

    /// All samples in `[mint, maxt]` from every block, merged by timestamp
    /// (a timestamp present in several blocks appears once).
    pub fn samples(&self, mint: i64, maxt: i64) -> Result<Vec<Sample>> {
        let mut out = Vec::new();
        if let [(block, entry)] = self.parts.as_slice() {
            block.read_samples(entry, mint, maxt, &mut out)?;
            return Ok(out);
        }
        for (block, entry) in &self.parts {
            block.read_samples(entry, mint, maxt, &mut out)?;
        }
        out.sort_by_key(|s| s.0);
        out.dedup_by_key(|s| s.0);
        Ok(out)
    }
}

/// Iterator over merged series, in label order.
pub struct MergedSeries<'a> {
    set: &'a BlockSet,
    cursors: Vec<Cursor>,
    heap: BinaryHeap<Reverse<HeapItem>>,
    mint: i64,
    maxt: i64,
}

/// A cursor's current series, ordered by its labels (then cursor, for determinism).
struct HeapItem {
    entry: SeriesEntry,
    cursor: usize,
}

impl HeapItem {
    fn key(&self) -> (&Labels, usize) {
        (&self.entry.labels, self.cursor)
    }
}

impl PartialEq for HeapItem {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl<'a> MergedSeries<'a> {
    /// Pushes cursor `c`'s next series with data in range onto the heap.
    fn advance(&mut self, c: usize) -> Result<()> {
        let cur = &mut self.cursors[c];
        let block = &self.set.blocks[cur.block];
        while cur.pos < cur.ids.len() {
            let id = cur.ids[cur.pos];
            cur.pos += 1;
            let entry = block.index().series(id)?;
            if block.has_data_in(&entry, self.mint, self.maxt) {
                self.heap.push(Reverse(HeapItem { entry, cursor: c }));
                break;
            }
        }
        Ok(())
    }

    fn next_parts(&mut self) -> Result<Option<SeriesParts<'a>>> {
        let Some(Reverse(first)) = self.heap.pop() else {
            return Ok(None);
        };
        self.advance(first.cursor)?;
        let labels = first.entry.labels.clone();
        let mut parts = vec![(
            &self.set.blocks[self.cursors[first.cursor].block],
            first.entry,
        )];
        while self
            .heap
            .peek()
            .is_some_and(|Reverse(item)| item.entry.labels == labels)
        {
            if let Some(Reverse(item)) = self.heap.pop() {
                self.advance(item.cursor)?;
                parts.push((
                    &self.set.blocks[self.cursors[item.cursor].block],
                    item.entry,
                ));
            }
        }
        Ok(Some(SeriesParts { labels, parts }))
    }
}

impl<'a> Iterator for MergedSeries<'a> {
    type Item = Result<SeriesParts<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_parts().transpose()
    }
}
