//! Reading one converted shard through any [`AsyncFileReader`] (the store gateway's ranged,
//! cached bucket reads): footers and page indexes once ([`ParquetShard::open`]), then per
//! request only what the request needs.
//!
//! - [`ParquetShard::select`]: a matcher with literal values first prunes pages with the
//!   label columns' page index (min/max per page), then every matcher is evaluated on its
//!   label column for the rows still candidates only (a row selection: pages without a
//!   candidate row are not fetched), the most selective matchers first. Matchers are
//!   evaluated once per dictionary value, not per row.
//! - [`ParquetShard::labels`]: the label columns of the selected rows.
//! - [`ParquetShard::chunks`]: only the chunk columns of the time slices asked for, only
//!   the pages holding the selected rows.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, BinaryArray, DictionaryArray, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt, TryStreamExt};
use mnemos_tsdb::chunkenc::aggr::{encode_aggr, AggrPart, AGGR_ENCODING};
use mnemos_tsdb::chunkenc::Encoding;
use mnemos_tsdb::{Label, Labels, MatchType, Matcher};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, RowSelection};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData};
use parquet::file::page_index::column_index::ColumnIndexMetaData;

use crate::cell::{decode_records, Record};
use crate::error::{Error, Result};
use crate::page_guard::{column_chunk_range, PageGuard};
use crate::schema::{Part, TimeSlices, LABEL_PREFIX};

/// What reads a shard's files: any cloneable async Parquet reader.
pub trait Reader: AsyncFileReader + Clone + Unpin + Send + 'static {}
impl<R: AsyncFileReader + Clone + Unpin + Send + 'static> Reader for R {}

/// Rows read per batch.
const BATCH_ROWS: usize = 8192;

/// A series' chunk as read: a raw chunk, or an aggregate chunk assembled in Thanos'
/// `AggrChunk` encoding from the aggregate columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadChunk {
    /// First timestamp (ms).
    pub min_time: i64,
    /// Last timestamp (ms).
    pub max_time: i64,
    /// Chunk encoding byte (1–3, or 0xff for an aggregate chunk).
    pub encoding: u8,
    /// Chunk bytes.
    pub data: Bytes,
}

/// A shard's two files as readers. Each read clones the reader it uses, so a reader can
/// carry per-request state (such as byte counters) while the opened [`ParquetShard`] is
/// shared.
#[derive(Clone, Debug)]
pub struct ShardFiles<R> {
    /// The labels file.
    pub labels: R,
    /// The chunks file.
    pub chunks: R,
}

/// One shard's footers and page indexes, opened once and shared by every request.
#[derive(Clone, Debug)]
pub struct ParquetShard {
    labels: OpenFile,
    chunks: OpenFile,
    slices: TimeSlices,
    /// Label names with a column, sorted, and their leaf index in the labels file.
    label_leaves: Vec<(String, usize)>,
    chunk_leaves: HashMap<String, usize>,
    /// First row of each row group, and the total at the end.
    group_starts: Vec<u64>,
}

/// One opened file: its footer and page indexes, and the guard its pages pass before the
/// Parquet library decodes them.
#[derive(Clone, Debug)]
struct OpenFile {
    meta: ArrowReaderMetadata,
    guard: Arc<PageGuard>,
}

impl OpenFile {
    fn new(meta: ArrowReaderMetadata) -> Result<Self> {
        let guard = Arc::new(PageGuard::new(meta.metadata())?);
        Ok(Self { meta, guard })
    }
}

/// A reader whose ranges pass a [`PageGuard`] before the library sees them.
#[derive(Clone)]
struct GuardedReader<R> {
    inner: R,
    guard: Arc<PageGuard>,
}

impl<R: Reader> AsyncFileReader for GuardedReader<R> {
    fn get_bytes(
        &mut self,
        range: Range<u64>,
    ) -> futures::future::BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            let data = self.inner.get_bytes(range.clone()).await?;
            self.guard.check(range.start, &data)?;
            Ok(data)
        }
        .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> futures::future::BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            let starts: Vec<u64> = ranges.iter().map(|r| r.start).collect();
            let data = self.inner.get_byte_ranges(ranges).await?;
            for (start, bytes) in starts.into_iter().zip(&data) {
                self.guard.check(start, bytes)?;
            }
            Ok(data)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> futures::future::BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        self.inner.get_metadata(options)
    }
}

fn options(dictionary_labels: Option<Arc<Schema>>) -> ArrowReaderOptions {
    let o = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
    match dictionary_labels {
        Some(s) => o.with_schema(s),
        None => o,
    }
}

impl ParquetShard {
    /// Reads both files' footers and page indexes and checks that they agree.
    pub async fn open<R: AsyncFileReader>(files: &mut ShardFiles<R>) -> Result<Self> {
        let plain = guarded(ArrowReaderMetadata::load_async(
            &mut files.labels,
            options(None),
        ))
        .await?;
        check_page_index(plain.metadata(), "labels")?;
        // Label columns read as dictionaries: matchers run once per distinct value.
        let fields: Vec<Field> = plain
            .schema()
            .fields()
            .iter()
            .map(|f| {
                if f.name().starts_with(LABEL_PREFIX) {
                    Field::new(
                        f.name(),
                        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                        true,
                    )
                } else {
                    f.as_ref().clone()
                }
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let labels_meta = std::panic::catch_unwind(AssertUnwindSafe(|| {
            ArrowReaderMetadata::try_new(plain.metadata().clone(), options(Some(schema)))
        }))
        .map_err(|p| Error::Schema(reader_panic(&p)))??;
        let chunks_meta = guarded(ArrowReaderMetadata::load_async(
            &mut files.chunks,
            options(None),
        ))
        .await?;
        check_page_index(chunks_meta.metadata(), "chunks")?;
        let slices = TimeSlices::from_metadata(&key_values(labels_meta.metadata()))?;
        let label_leaves = labels_meta
            .parquet_schema()
            .columns()
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((c.name().strip_prefix(LABEL_PREFIX)?.to_string(), i)))
            .collect::<Vec<_>>();
        if !label_leaves.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err(Error::Schema("label columns are not sorted by name".into()));
        }
        let chunk_leaves = chunks_meta
            .parquet_schema()
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name().to_string(), i))
            .collect();
        let rows = |m: &ParquetMetaData| -> Vec<i64> {
            m.row_groups().iter().map(|g| g.num_rows()).collect()
        };
        let (lr, cr) = (rows(labels_meta.metadata()), rows(chunks_meta.metadata()));
        if lr != cr {
            return Err(Error::Schema(format!(
                "labels and chunks files have different row groups ({lr:?} vs {cr:?})"
            )));
        }
        let mut group_starts = vec![0u64];
        for n in lr {
            let n =
                u64::try_from(n).map_err(|_| Error::Schema(format!("row group of {n} rows")))?;
            let next = group_starts[group_starts.len() - 1]
                .checked_add(n)
                .ok_or_else(|| Error::Schema("row count overflows".into()))?;
            group_starts.push(next);
        }
        Ok(Self {
            labels: OpenFile::new(labels_meta)?,
            chunks: OpenFile::new(chunks_meta)?,
            slices,
            label_leaves,
            chunk_leaves,
            group_starts,
        })
    }

    /// The time range and slicing.
    pub fn slices(&self) -> &TimeSlices {
        &self.slices
    }

    /// Rows (series) in the shard.
    pub fn num_rows(&self) -> u64 {
        self.group_starts[self.group_starts.len() - 1]
    }

    /// Label names with a column, sorted.
    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.label_leaves.iter().map(|(n, _)| n.as_str())
    }

    /// Bytes of both footers held in memory.
    pub fn metadata_bytes(&self) -> usize {
        self.labels.meta.metadata().memory_size() + self.chunks.meta.metadata().memory_size()
    }

    /// The bytes of the labels file that hold the label columns (`l_*`), one range per row
    /// group: all a query's matchers and label sets read, while `s_col_indexes` and
    /// `s_series_hash` (most of the file: 8 bytes a row) follow them in each row group. A
    /// store can fetch these once to serve later queries' label reads from memory. `None`
    /// when the footer's offsets are negative or overflow.
    pub fn label_column_ranges(&self) -> Option<Vec<Range<u64>>> {
        let meta = self.labels.meta.metadata();
        let mut ranges = Vec::with_capacity(meta.num_row_groups());
        for group in meta.row_groups() {
            let mut span: Option<Range<u64>> = None;
            for &(_, leaf) in &self.label_leaves {
                let Range { start, end } = column_chunk_range(group.columns().get(leaf)?)?;
                span = Some(match span {
                    None => start..end,
                    Some(s) => s.start.min(start)..s.end.max(end),
                });
            }
            ranges.extend(span.filter(|s| s.start < s.end));
        }
        Some(ranges)
    }

    fn label_leaf(&self, name: &str) -> Option<usize> {
        self.label_leaves
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.label_leaves[i].1)
    }

    /// The rows the page indexes leave as candidates for `matchers` (`None` when a matcher
    /// on a label no row has rules every row out), and the matchers in evaluation order:
    /// literal ones first (they prune pages), equality first among them.
    fn candidates<'m>(&self, matchers: &'m [Matcher]) -> Option<(RowSet, Vec<&'m Matcher>)> {
        let mut rows = RowSet::all(self.num_rows());
        let mut order: Vec<&Matcher> = matchers.iter().collect();
        order.sort_by_key(|m| (m.literal_set().is_none(), m.kind != MatchType::Equal));
        for m in &order {
            match self.label_leaf(&m.name) {
                None => {
                    if !m.matches("") {
                        return None;
                    }
                }
                Some(leaf) => {
                    if let Some(values) = m.literal_set() {
                        if !values.iter().any(String::is_empty) {
                            rows = rows.intersect(&self.pages_with(leaf, values));
                        }
                    }
                }
            }
        }
        Some((rows, order))
    }

    /// The rows whose series match every matcher, with their label sets, in row order: one
    /// read of every label column over the rows the page indexes leave as candidates, the
    /// matchers evaluated once per dictionary value. Fewer requests than [`Self::select`]
    /// then [`Self::labels`] (one per matcher, one for the labels) when the candidates are
    /// few; more bytes when a matcher on an unsorted label is what selects.
    pub async fn select_labels<R: Reader>(
        &self,
        files: &ShardFiles<R>,
        matchers: &[Matcher],
    ) -> Result<Vec<(u64, Labels)>> {
        let Some((rows, order)) = self.candidates(matchers) else {
            return Ok(Vec::new());
        };
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let leaves: Vec<usize> = self.label_leaves.iter().map(|(_, l)| *l).collect();
        let names: Vec<&str> = self.label_leaves.iter().map(|(n, _)| n.as_str()).collect();
        // (column in the projection, matcher); matchers on absent labels passed above.
        let checks: Vec<(usize, &Matcher)> = order
            .into_iter()
            .filter(|m| !(m.kind == MatchType::Regex && m.value == ".*"))
            .filter_map(|m| Some((names.binary_search(&m.name.as_str()).ok()?, m)))
            .collect();
        let mut ids = rows.iter();
        let mut out = Vec::new();
        let mut stream = self.stream(&files.labels, &self.labels, &leaves, &rows)?;
        while let Some(batch) = stream.try_next().await? {
            let cols = dictionary_columns(&batch, &names)?;
            let matched: Vec<Vec<bool>> = checks
                .iter()
                .map(|(c, m)| {
                    let values = cols[*c].values().as_string::<i32>();
                    (0..values.len())
                        .map(|i| m.matches(values.value(i)))
                        .collect()
                })
                .collect();
            for r in 0..batch.num_rows() {
                let row = ids
                    .next()
                    .ok_or_else(|| Error::Schema("more rows read than selected".into()))?;
                let hit = checks.iter().zip(&matched).all(|((c, m), hits)| {
                    let keys = cols[*c].keys();
                    if keys.is_valid(r) {
                        hits.get(keys.value(r) as usize).copied().unwrap_or(false)
                    } else {
                        m.matches("")
                    }
                });
                if hit {
                    out.push((row, row_labels(&cols, &names, r)));
                }
            }
        }
        Ok(out)
    }

    /// The rows whose series match every matcher, in row order.
    pub async fn select<R: Reader>(
        &self,
        files: &ShardFiles<R>,
        matchers: &[Matcher],
    ) -> Result<Vec<u64>> {
        let Some((mut rows, order)) = self.candidates(matchers) else {
            return Ok(Vec::new());
        };
        for m in order {
            if rows.is_empty() {
                break;
            }
            let Some(leaf) = self.label_leaf(&m.name) else {
                continue;
            };
            if m.kind == MatchType::Regex && m.value == ".*" {
                continue;
            }
            rows = self.filter_rows(&files.labels, leaf, &rows, m).await?;
        }
        Ok(rows.into_rows())
    }

    /// The rows of the pages of column `leaf` whose min/max admit one of `values`; every
    /// row where the page index is missing.
    fn pages_with(&self, leaf: usize, values: &[String]) -> RowSet {
        let meta = self.labels.meta.metadata();
        let mut ranges = Vec::new();
        for (g, start) in self.group_starts.windows(2).enumerate() {
            let (start, end) = (start[0], start[1]);
            let index = meta.page_index_for_row_group(g);
            let (Some(ColumnIndexMetaData::BYTE_ARRAY(ci)), Some(oi)) =
                (index.column_index(leaf), index.offset_index(leaf))
            else {
                ranges.push(start..end);
                continue;
            };
            let pages = oi.page_locations();
            for (p, loc) in pages.iter().enumerate() {
                let first = start + loc.first_row_index.max(0) as u64;
                let last = pages
                    .get(p + 1)
                    .map_or(end, |n| start + n.first_row_index.max(0) as u64);
                let admits = match (ci.min_value(p), ci.max_value(p)) {
                    _ if ci.is_null_page(p) => false,
                    (Some(min), Some(max)) => values
                        .iter()
                        .any(|v| min <= v.as_bytes() && v.as_bytes() <= max),
                    _ => true,
                };
                if admits && first < last {
                    ranges.push(first..last);
                }
            }
        }
        RowSet::from_ranges(ranges)
    }

    /// The rows of `rows` where `m` matches the value of column `leaf`.
    async fn filter_rows<R: Reader>(
        &self,
        reader: &R,
        leaf: usize,
        rows: &RowSet,
        m: &Matcher,
    ) -> Result<RowSet> {
        let empty_matches = m.matches("");
        let mut out = Vec::new();
        let mut ids = rows.iter();
        let batches = self.read(reader, &self.labels, &[leaf], rows).await?;
        for batch in batches {
            let col = batch.column(0);
            let dict = col.as_dictionary_opt::<Int32Type>().ok_or_else(|| {
                Error::Schema(format!("label column {} is not dictionary-typed", m.name))
            })?;
            let values = dict.values().as_string::<i32>();
            let matched: Vec<bool> = (0..values.len())
                .map(|i| m.matches(values.value(i)))
                .collect();
            for key in dict.keys().iter() {
                let row = ids
                    .next()
                    .ok_or_else(|| Error::Schema("more values than rows selected".into()))?;
                let hit = match key {
                    None => empty_matches,
                    Some(k) => matched.get(k as usize).copied().unwrap_or(false),
                };
                if hit {
                    out.push(row);
                }
            }
        }
        Ok(RowSet::from_sorted_rows(&out))
    }

    /// The label sets of `rows` (sorted row numbers), in that order.
    pub async fn labels<R: Reader>(
        &self,
        files: &ShardFiles<R>,
        rows: &[u64],
    ) -> Result<Vec<Labels>> {
        let set = RowSet::from_sorted_rows(rows);
        let leaves: Vec<usize> = self.label_leaves.iter().map(|(_, l)| *l).collect();
        let names: Vec<&str> = self.label_leaves.iter().map(|(n, _)| n.as_str()).collect();
        let mut out = Vec::with_capacity(rows.len());
        for batch in self
            .read(&files.labels, &self.labels, &leaves, &set)
            .await?
        {
            // Projected columns come in leaf order, which is name order.
            let cols = dictionary_columns(&batch, &names)?;
            out.extend((0..batch.num_rows()).map(|r| row_labels(&cols, &names, r)));
        }
        if out.len() != rows.len() {
            return Err(Error::Schema(format!(
                "read {} label sets for {} rows",
                out.len(),
                rows.len()
            )));
        }
        Ok(out)
    }

    /// The distinct values of label `name` over the whole shard.
    pub async fn label_values<R: Reader>(
        &self,
        files: &ShardFiles<R>,
        name: &str,
    ) -> Result<Vec<String>> {
        let Some(leaf) = self.label_leaf(name) else {
            return Ok(Vec::new());
        };
        let all = RowSet::all(self.num_rows());
        let mut values = std::collections::BTreeSet::new();
        for batch in self
            .read(&files.labels, &self.labels, &[leaf], &all)
            .await?
        {
            let dict = batch
                .column(0)
                .as_dictionary_opt::<Int32Type>()
                .ok_or_else(|| {
                    Error::Schema(format!("label column {name} is not dictionary-typed"))
                })?;
            let strings = dict.values().as_string::<i32>();
            let mut used = vec![false; strings.len()];
            for k in dict.keys().iter().flatten() {
                if let Some(u) = used.get_mut(k as usize) {
                    *u = true;
                }
            }
            for (i, u) in used.into_iter().enumerate() {
                if u && !strings.value(i).is_empty() && !values.contains(strings.value(i)) {
                    values.insert(strings.value(i).to_string());
                }
            }
        }
        Ok(values.into_iter().collect())
    }

    /// The chunks of `rows` (sorted row numbers) that may hold samples in `[mint, maxt]`,
    /// per row in time order. Downsampled shards read only the aggregate columns of `parts`
    /// (all five when empty) and return them as aggregate chunks.
    pub async fn chunks<R: Reader>(
        &self,
        files: &ShardFiles<R>,
        rows: &[u64],
        mint: i64,
        maxt: i64,
        parts: &[Part],
    ) -> Result<Vec<Vec<ReadChunk>>> {
        let slices = self.slices.columns_with_data(mint, maxt);
        let wanted: Vec<Part> = if self.slices.resolution == 0 {
            vec![Part::Data]
        } else if parts.is_empty() {
            Part::AGGREGATES.to_vec()
        } else {
            Part::AGGREGATES
                .iter()
                .copied()
                .filter(|p| parts.contains(p))
                .collect()
        };
        // (part, slice, leaf), in leaf order as the projection returns them.
        let mut cols: Vec<(Part, usize, usize)> = Vec::new();
        for p in &wanted {
            for k in slices.clone() {
                let name = p.column(k);
                let leaf = *self
                    .chunk_leaves
                    .get(&name)
                    .ok_or_else(|| Error::Schema(format!("chunk column {name} is missing")))?;
                cols.push((*p, k, leaf));
            }
        }
        cols.sort_by_key(|c| c.2);
        let mut out: Vec<Vec<ReadChunk>> = Vec::with_capacity(rows.len());
        if cols.is_empty() {
            out.resize(rows.len(), Vec::new());
            return Ok(out);
        }
        let leaves: Vec<usize> = cols.iter().map(|c| c.2).collect();
        let set = RowSet::from_sorted_rows(rows);
        for batch in self
            .read(&files.chunks, &self.chunks, &leaves, &set)
            .await?
        {
            let arrays: Vec<&BinaryArray> = (0..batch.num_columns())
                .map(|c| {
                    batch
                        .column(c)
                        .as_binary_opt::<i32>()
                        .ok_or_else(|| Error::Schema("chunk column is not binary".into()))
                })
                .collect::<Result<_>>()?;
            for r in 0..batch.num_rows() {
                let mut per: Vec<(Part, usize, Vec<Record>)> = Vec::with_capacity(cols.len());
                for ((p, k, _), a) in cols.iter().zip(&arrays) {
                    let cell = Bytes::copy_from_slice(a.value(r));
                    per.push((*p, *k, decode_records(&cell, mint, maxt)?));
                }
                out.push(if self.slices.resolution == 0 {
                    raw_chunks(per)
                } else {
                    aggregate_chunks(per, &wanted)?
                });
            }
        }
        if out.len() != rows.len() {
            return Err(Error::Schema(format!(
                "read chunks of {} rows for {}",
                out.len(),
                rows.len()
            )));
        }
        Ok(out)
    }

    /// Reads columns `leaves` of `rows` from one file.
    async fn read<R: Reader>(
        &self,
        reader: &R,
        file: &OpenFile,
        leaves: &[usize],
        rows: &RowSet,
    ) -> Result<Vec<RecordBatch>> {
        Ok(self
            .stream(reader, file, leaves, rows)?
            .try_collect()
            .await?)
    }

    /// Columns `leaves` of `rows` from one file, a batch at a time.
    fn stream<R: Reader>(
        &self,
        reader: &R,
        file: &OpenFile,
        leaves: &[usize],
        rows: &RowSet,
    ) -> Result<futures::stream::BoxStream<'static, parquet::errors::Result<RecordBatch>>> {
        let (groups, selection) = rows.plan(&self.group_starts);
        if groups.is_empty() {
            return Ok(Box::pin(futures::stream::empty()));
        }
        let mask = ProjectionMask::leaves(file.meta.parquet_schema(), leaves.iter().copied());
        let reader = GuardedReader {
            inner: reader.clone(),
            guard: file.guard.clone(),
        };
        let build = || {
            ParquetRecordBatchStreamBuilder::new_with_metadata(reader, file.meta.clone())
                .with_projection(mask)
                .with_row_groups(groups)
                .with_row_selection(selection)
                .with_batch_size(BATCH_ROWS)
                .build()
        };
        let stream = std::panic::catch_unwind(AssertUnwindSafe(build))
            .map_err(|p| Error::Schema(reader_panic(&p)))??;
        // A panic of the Parquet library on malformed data ends the stream with an error.
        Ok(Box::pin(AssertUnwindSafe(stream).catch_unwind().map(
            |item| match item {
                Ok(batch) => batch,
                Err(p) => Err(parquet::errors::ParquetError::General(reader_panic(&p))),
            },
        )))
    }
}

/// Awaits a Parquet library future; a panic in it (on malformed data) becomes an error.
async fn guarded<T>(f: impl std::future::Future<Output = parquet::errors::Result<T>>) -> Result<T> {
    match AssertUnwindSafe(f).catch_unwind().await {
        Ok(r) => Ok(r?),
        Err(p) => Err(Error::Schema(reader_panic(&p))),
    }
}

/// The text of a panic caught in the Parquet library.
fn reader_panic(p: &Box<dyn std::any::Any + Send>) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("the Parquet reader failed on malformed data: {what}")
}

/// Checks a file's offset index before any read uses it: pages start at row 0, in row
/// order, inside the row group, at non-negative offsets with positive sizes that do not
/// overflow. (The Parquet library computes byte ranges from these without checks.)
fn check_page_index(meta: &ParquetMetaData, file: &str) -> Result<()> {
    let bad = |g: usize, c: usize, what: &str| {
        Err(Error::Schema(format!(
            "{file} file: row group {g} column {c}: offset index {what}"
        )))
    };
    for (g, group) in meta.row_groups().iter().enumerate() {
        let rows = group.num_rows();
        let index = meta.page_index_for_row_group(g);
        for c in 0..group.num_columns() {
            let Some(column) = index.offset_index(c) else {
                continue;
            };
            let mut previous: Option<i64> = None;
            for page in column.page_locations() {
                let end = page
                    .offset
                    .checked_add(i64::from(page.compressed_page_size));
                if page.offset < 0 || page.compressed_page_size <= 0 || end.is_none() {
                    return bad(g, c, "has a page with a bad offset or size");
                }
                let first = page.first_row_index;
                let in_order = match previous {
                    None => first == 0,
                    Some(p) => first > p,
                };
                if !in_order || first >= rows.max(1) {
                    return bad(g, c, "has pages out of row order");
                }
                previous = Some(first);
            }
        }
    }
    Ok(())
}

/// The label columns of a batch (projected in name order) as dictionary arrays.
fn dictionary_columns<'b>(
    batch: &'b RecordBatch,
    names: &[&str],
) -> Result<Vec<&'b DictionaryArray<Int32Type>>> {
    (0..batch.num_columns())
        .map(|c| {
            batch
                .column(c)
                .as_dictionary_opt::<Int32Type>()
                .ok_or_else(|| {
                    Error::Schema(format!(
                        "label column {} is not dictionary-typed",
                        names.get(c).copied().unwrap_or("?")
                    ))
                })
        })
        .collect()
}

/// The label set of row `r` of a batch's label columns (null and empty values are absent).
fn row_labels(cols: &[&DictionaryArray<Int32Type>], names: &[&str], r: usize) -> Labels {
    let mut labels = Vec::new();
    for (c, dict) in cols.iter().enumerate() {
        let keys = dict.keys();
        if !keys.is_valid(r) {
            continue;
        }
        let values = dict.values().as_string::<i32>();
        let k = keys.value(r) as usize;
        if k < values.len() && !values.value(k).is_empty() {
            labels.push(Label::new(names[c], values.value(k)));
        }
    }
    Labels::from_sorted(labels)
}

/// A row's raw chunks from every slice, in time order.
fn raw_chunks(per: Vec<(Part, usize, Vec<Record>)>) -> Vec<ReadChunk> {
    let mut chunks: Vec<ReadChunk> = per
        .into_iter()
        .flat_map(|(_, _, records)| records)
        .map(|r| ReadChunk {
            min_time: r.min_time,
            max_time: r.max_time,
            encoding: r.encoding,
            data: r.data,
        })
        .collect();
    chunks.sort_by_key(|c| (c.min_time, c.max_time));
    chunks
}

/// A row's aggregate chunks: the i-th record of every aggregate column of one slice are the
/// parts of one chunk (an empty record is an absent part).
fn aggregate_chunks(
    per: Vec<(Part, usize, Vec<Record>)>,
    wanted: &[Part],
) -> Result<Vec<ReadChunk>> {
    let mut by_slice: std::collections::BTreeMap<usize, Vec<(Part, Vec<Record>)>> =
        Default::default();
    for (p, k, records) in per {
        by_slice.entry(k).or_default().push((p, records));
    }
    let mut out = Vec::new();
    for (_, parts) in by_slice {
        let n = parts[0].1.len();
        if parts.iter().any(|(_, r)| r.len() != n) {
            return Err(Error::Cell(
                "aggregate columns of a row hold different chunk counts".into(),
            ));
        }
        for i in 0..n {
            let mut slots: [Option<AggrPart<'_>>; 5] = [None; 5];
            let (mut min, mut max) = (i64::MAX, i64::MIN);
            for (p, records) in &parts {
                let r = &records[i];
                min = min.min(r.min_time);
                max = max.max(r.max_time);
                if r.data.is_empty() {
                    continue;
                }
                let encoding = Encoding::from_byte(r.encoding).ok_or_else(|| {
                    Error::Cell(format!("aggregate part encoding {}", r.encoding))
                })?;
                let slot = Part::AGGREGATES.iter().position(|a| a == p).unwrap_or(0);
                slots[slot] = Some(AggrPart {
                    encoding,
                    data: &r.data,
                });
            }
            if slots.iter().all(Option::is_none) && !wanted.is_empty() {
                continue;
            }
            out.push(ReadChunk {
                min_time: min,
                max_time: max,
                encoding: AGGR_ENCODING,
                data: Bytes::from(encode_aggr(slots)),
            });
        }
    }
    out.sort_by_key(|c| (c.min_time, c.max_time));
    Ok(out)
}

fn key_values(meta: &ParquetMetaData) -> HashMap<String, String> {
    meta.file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .filter_map(|e| Some((e.key.clone(), e.value.clone()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Sorted, disjoint row ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RowSet(Vec<Range<u64>>);

impl RowSet {
    fn all(rows: u64) -> Self {
        let mut ranges = Vec::with_capacity(1);
        if rows > 0 {
            ranges.push(0..rows);
        }
        Self(ranges)
    }

    fn from_ranges(mut ranges: Vec<Range<u64>>) -> Self {
        ranges.sort_by_key(|r| r.start);
        let mut out: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
        for r in ranges.into_iter().filter(|r| r.start < r.end) {
            match out.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        Self(out)
    }

    fn from_sorted_rows(rows: &[u64]) -> Self {
        let mut out: Vec<Range<u64>> = Vec::new();
        for &r in rows {
            match out.last_mut() {
                Some(last) if last.end == r => last.end = r + 1,
                _ => out.push(r..r + 1),
            }
        }
        Self(out)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().flat_map(|r| r.clone())
    }

    fn into_rows(self) -> Vec<u64> {
        self.iter().collect()
    }

    fn intersect(&self, other: &RowSet) -> RowSet {
        let (mut i, mut j, mut out) = (0, 0, Vec::new());
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (&self.0[i], &other.0[j]);
            let (start, end) = (a.start.max(b.start), a.end.min(b.end));
            if start < end {
                out.push(start..end);
            }
            if a.end < b.end {
                i += 1;
            } else {
                j += 1;
            }
        }
        RowSet(out)
    }

    /// The row groups holding rows of the set, and the set as a selection over them.
    fn plan(&self, group_starts: &[u64]) -> (Vec<usize>, RowSelection) {
        let mut groups = Vec::new();
        let mut ranges: Vec<Range<usize>> = Vec::new();
        let mut offset = 0u64;
        for (g, w) in group_starts.windows(2).enumerate() {
            let (start, end) = (w[0], w[1]);
            let mut any = false;
            for r in &self.0 {
                let (s, e) = (r.start.max(start), r.end.min(end));
                if s < e {
                    any = true;
                    ranges.push((offset + s - start) as usize..(offset + e - start) as usize);
                }
            }
            if any {
                groups.push(g);
                offset += end - start;
            }
        }
        let selection = RowSelection::from_consecutive_ranges(ranges.into_iter(), offset as usize);
        (groups, selection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sets_plan_over_row_groups() {
        let set = RowSet::from_ranges(vec![5..7, 0..2, 12..15]);
        assert_eq!(set.0, vec![0..2, 5..7, 12..15]);
        let (groups, sel) = set.plan(&[0, 4, 10, 20]);
        assert_eq!(groups, vec![0, 1, 2]);
        assert_eq!(sel.row_count(), 7);
        let (groups, sel) = RowSet::from_sorted_rows(&[11, 12]).plan(&[0, 4, 10, 20]);
        assert_eq!(groups, vec![2]);
        assert_eq!(sel.row_count(), 2);
        let a = RowSet::from_ranges(vec![0..10, 20..30]);
        let b = RowSet::from_ranges(vec![5..15, 15..25]);
        assert_eq!(a.intersect(&b).0, vec![5..10, 20..25]);
    }
}
