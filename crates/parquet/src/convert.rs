//! One TSDB block written as a Parquet shard: `0.labels.parquet` and `0.chunks.parquet`
//! with the same rows in the same order (one row per series with data), row groups cut at
//! the same rows in both files.
//!
//! Rows are sorted by the sort labels' values (a missing label sorts as ""), then by the
//! whole label set, as parquet-common sorts them. Label columns are dictionary encoded with
//! page statistics and a page index (the reader prunes pages with them); `l___name__` has a
//! bloom filter; chunk columns have no statistics, only the offset index the reader uses to
//! fetch the pages of the rows it wants.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use mnemos_block::parquet_mark::{chunks_file_name, labels_file_name};
use mnemos_tsdb::chunkenc::aggr::{decode_aggr, AGGR_ENCODING};
use mnemos_tsdb::chunkenc::Encoding;
use mnemos_tsdb::{Block, Labels};
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding as PqEncoding, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

use crate::cell::{encode_col_indexes, encode_records, Record};
use crate::error::{Error, Result};
use crate::schema::{
    label_column, stable_hash, Part, TimeSlices, COL_INDEXES, DEFAULT_COLUMN_DURATION_MS,
    NAME_COLUMN, SERIES_HASH,
};
use crate::slices::place_raw_chunk;

/// How blocks are written.
#[derive(Clone, Debug)]
pub struct ConvertOptions {
    /// Labels rows are sorted by after `__name__` (parquet-common sorts by `__name__` only).
    pub sort_labels: Vec<String>,
    /// Time per raw chunk column (ms).
    pub column_duration_ms: i64,
    /// Rows per row group at most (parquet-common: 1,000,000).
    pub max_rows_per_row_group: usize,
    /// Chunk bytes per row group at most, before compression (bounds the writer's memory).
    pub max_row_group_bytes: usize,
    /// Target size of a chunk column page (the unit a selective read fetches).
    pub chunk_page_bytes: usize,
    /// zstd level.
    pub zstd_level: i32,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        Self {
            sort_labels: Vec::new(),
            column_duration_ms: DEFAULT_COLUMN_DURATION_MS,
            max_rows_per_row_group: 1_000_000,
            max_row_group_bytes: 256 << 20,
            chunk_page_bytes: 8 << 10,
            zstd_level: 3,
        }
    }
}

/// What a conversion wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Converted {
    /// Rows (series with data).
    pub series: u64,
    /// Chunk records written.
    pub chunks: u64,
    /// Row groups per file.
    pub row_groups: usize,
    /// The files written, labels file first.
    pub files: Vec<PathBuf>,
}

/// The time slicing of `block`'s files: raw blocks in `column_duration_ms` columns from the
/// block's min time; downsampled blocks in one column per aggregate.
pub fn slices_for(block: &mnemos_tsdb::BlockMeta, column_duration_ms: i64) -> TimeSlices {
    let resolution = block.resolution();
    let span = block.max_time.saturating_sub(block.min_time).max(0);
    TimeSlices {
        min_t: block.min_time,
        max_t: block.max_time,
        duration: if resolution > 0 {
            span.saturating_add(1)
        } else {
            column_duration_ms.max(1)
        },
        resolution,
    }
}

/// The chunk columns of a file, in name order (as parquet-go orders a group's fields).
pub fn chunk_columns(slices: &TimeSlices) -> Vec<(Part, usize, String)> {
    let parts: &[Part] = if slices.resolution > 0 {
        &Part::AGGREGATES
    } else {
        &[Part::Data]
    };
    let mut cols: Vec<(Part, usize, String)> = parts
        .iter()
        .flat_map(|p| (0..slices.count()).map(move |k| (*p, k, p.column(k))))
        .collect();
    cols.sort_by(|a, b| a.2.cmp(&b.2));
    cols
}

/// Writes `block` as shard 0 into `out_dir` (which must exist).
pub fn convert_block(block: &Block, out_dir: &Path, opts: &ConvertOptions) -> Result<Converted> {
    let meta = block.meta();
    let slices = slices_for(meta, opts.column_duration_ms);
    let index = block.index();
    let mut rows = Vec::new();
    let mut names = BTreeSet::new();
    for id in index.all_postings()? {
        let entry = index.series(id)?;
        if !block.has_data_in(
            &entry,
            meta.min_time,
            meta.max_time.saturating_sub(1).max(meta.min_time),
        ) {
            continue;
        }
        names.extend(entry.labels.iter().map(|l| l.name.clone()));
        rows.push(entry);
    }
    let mut sort_by = vec!["__name__".to_string()];
    sort_by.extend(
        opts.sort_labels
            .iter()
            .filter(|l| *l != "__name__")
            .cloned(),
    );
    rows.sort_by(|a, b| {
        let key = |l: &Labels| -> Vec<String> {
            sort_by
                .iter()
                .map(|n| l.get(n).unwrap_or("").to_string())
                .collect()
        };
        key(&a.labels)
            .cmp(&key(&b.labels))
            .then_with(|| a.labels.cmp(&b.labels))
    });
    let names: Vec<String> = names.into_iter().collect();

    let labels_schema = Arc::new(labels_schema(&names));
    let chunk_cols = chunk_columns(&slices);
    let chunks_schema = Arc::new(Schema::new(
        chunk_cols
            .iter()
            .map(|(_, _, n)| Field::new(n, DataType::Binary, false))
            .collect::<Vec<_>>(),
    ));
    let kv: Vec<KeyValue> = slices
        .to_metadata()
        .into_iter()
        .map(|(k, v)| KeyValue::new(k, v))
        .collect();
    let sorting: Vec<SortingColumn> = sort_by
        .iter()
        .filter_map(|n| names.binary_search(n).ok())
        .map(|i| SortingColumn {
            column_idx: i as i32,
            descending: false,
            nulls_first: false,
        })
        .collect();
    let labels_path = out_dir.join(labels_file_name(0));
    let chunks_path = out_dir.join(chunks_file_name(0));
    let mut labels_writer = writer(
        &labels_path,
        labels_schema.clone(),
        labels_props(&names, &kv, sorting, opts),
    )?;
    let mut chunks_writer = writer(
        &chunks_path,
        chunks_schema.clone(),
        chunks_props(&chunk_cols, &kv, opts),
    )?;

    let mut out = Converted {
        series: rows.len() as u64,
        ..Converted::default()
    };
    let mut batch = LabelsBatch::new(names.len());
    let mut cells: Vec<BinaryBuilder> = chunk_cols.iter().map(|_| BinaryBuilder::new()).collect();
    let col_of: std::collections::HashMap<(Part, usize), usize> = chunk_cols
        .iter()
        .enumerate()
        .map(|(i, (p, k, _))| ((*p, *k), i))
        .collect();
    let (mut group_rows, mut group_bytes, mut batch_rows) = (0usize, 0usize, 0usize);
    let mut per_column: Vec<Vec<Record>> = vec![Vec::new(); chunk_cols.len()];
    let mut cell = Vec::new();
    for entry in &rows {
        batch.push(&names, &entry.labels);
        for c in &mut per_column {
            c.clear();
        }
        let deleted = block.tombstones().get(u64::from(entry.id));
        for c in &entry.chunks {
            let raw = block.chunks().chunk(c.chunk_ref)?;
            place_chunk(
                raw.encoding,
                raw.data,
                (c.min_time, c.max_time),
                &slices,
                deleted,
                &col_of,
                &mut per_column,
            )?;
        }
        for (records, builder) in per_column.iter_mut().zip(&mut cells) {
            if slices.resolution == 0 {
                records.sort_by_key(|r| (r.encoding, r.min_time));
            }
            out.chunks += records.iter().filter(|r| !r.data.is_empty()).count() as u64;
            cell.clear();
            encode_records(records, &mut cell);
            group_bytes = group_bytes.saturating_add(cell.len());
            builder.append_value(&cell);
        }
        group_rows += 1;
        batch_rows += 1;
        let full = group_rows >= opts.max_rows_per_row_group.max(1)
            || group_bytes >= opts.max_row_group_bytes;
        if batch_rows >= 1024 || full {
            write_rows(&mut labels_writer, &mut batch, &labels_schema)?;
            write_chunk_rows(&mut chunks_writer, &mut cells, &chunks_schema)?;
            batch_rows = 0;
        }
        if full {
            labels_writer.flush()?;
            chunks_writer.flush()?;
            out.row_groups += 1;
            group_rows = 0;
            group_bytes = 0;
        }
    }
    if batch_rows > 0 {
        write_rows(&mut labels_writer, &mut batch, &labels_schema)?;
        write_chunk_rows(&mut chunks_writer, &mut cells, &chunks_schema)?;
    }
    if group_rows > 0 {
        out.row_groups += 1;
    }
    labels_writer.close()?;
    chunks_writer.close()?;
    out.files = vec![labels_path, chunks_path];
    Ok(out)
}

/// Places a stored chunk: raw chunks by time slice, aggregate chunks part by part into the
/// aggregate columns of their slice, with an empty record for an absent part so that the
/// i-th record of every aggregate column of a row belongs to the same chunk.
fn place_chunk(
    encoding: u8,
    data: Bytes,
    range: (i64, i64),
    slices: &TimeSlices,
    deleted: Option<&mnemos_tsdb::tombstones::Intervals>,
    col_of: &std::collections::HashMap<(Part, usize), usize>,
    per_column: &mut [Vec<Record>],
) -> Result<()> {
    if encoding == AGGR_ENCODING {
        if slices.resolution == 0 {
            return Err(Error::Schema("aggregate chunk in a raw block".into()));
        }
        let k = slices.index_of(range.0);
        let parts = decode_aggr(&data).map_err(|e| Error::Cell(e.to_string()))?;
        for (part, p) in Part::AGGREGATES.iter().zip(parts) {
            let col = col_of
                .get(&(*part, k))
                .ok_or_else(|| Error::Schema(format!("chunk at {} outside the block", range.0)))?;
            per_column[*col].push(Record {
                encoding: p.map_or(Encoding::Xor.as_byte(), |p| p.encoding.as_byte()),
                min_time: range.0,
                max_time: range.1,
                data: p.map_or_else(Bytes::new, |p| data.slice_ref(p.data)),
            });
        }
        return Ok(());
    }
    let kind = Encoding::from_byte(encoding)
        .ok_or_else(|| Error::Cell(format!("unknown chunk encoding {encoding}")))?;
    if slices.resolution > 0 {
        return Err(Error::Schema("raw chunk in a downsampled block".into()));
    }
    let mut data_cols: Vec<Vec<Record>> = vec![Vec::new(); slices.count()];
    place_raw_chunk(kind, data, range, slices, deleted, &mut data_cols)?;
    for (k, records) in data_cols.into_iter().enumerate() {
        if let Some(col) = col_of.get(&(Part::Data, k)) {
            per_column[*col].extend(records);
        }
    }
    Ok(())
}

fn labels_schema(names: &[String]) -> Schema {
    let mut fields: Vec<Field> = names
        .iter()
        .map(|n| Field::new(label_column(n), DataType::Utf8, true))
        .collect();
    fields.push(Field::new(COL_INDEXES, DataType::Binary, false));
    fields.push(Field::new(SERIES_HASH, DataType::Binary, false));
    Schema::new(fields)
}

/// Rows per label column page at most (parquet-go cuts pages by bytes only).
const LABEL_PAGE_ROWS: usize = 1024;

fn base_props(
    kv: &[KeyValue],
    opts: &ConvertOptions,
) -> parquet::file::properties::WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(opts.zstd_level).unwrap_or_default(),
        ))
        .set_max_row_group_row_count(None)
        .set_max_row_group_bytes(None)
        .set_key_value_metadata(Some(kv.to_vec()))
        .set_created_by(format!("mnemos {}", env!("CARGO_PKG_VERSION")))
}

fn labels_props(
    names: &[String],
    kv: &[KeyValue],
    sorting: Vec<SortingColumn>,
    opts: &ConvertOptions,
) -> WriterProperties {
    let mut b = base_props(kv, opts)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_dictionary_enabled(true)
        .set_data_page_size_limit(256 << 10)
        // Pages of at most ~1024 rows: the page index then narrows a metric name to a few
        // pages, and a selective read to their rows.
        .set_data_page_row_count_limit(LABEL_PAGE_ROWS)
        .set_sorting_columns(Some(sorting));
    for n in names {
        // Readers decode label pages through their dictionary: never fall back to plain.
        b = b.set_column_dictionary_page_size_limit(ColumnPath::from(label_column(n)), 1 << 30);
    }
    if names.iter().any(|n| label_column(n) == NAME_COLUMN) {
        b = b
            .set_column_bloom_filter_enabled(ColumnPath::from(NAME_COLUMN), true)
            .set_column_bloom_filter_fpp(ColumnPath::from(NAME_COLUMN), 0.01);
    }
    for (col, enc) in [
        (COL_INDEXES, PqEncoding::DELTA_BYTE_ARRAY),
        (SERIES_HASH, PqEncoding::DELTA_LENGTH_BYTE_ARRAY),
    ] {
        let path = ColumnPath::from(col);
        b = b
            .set_column_dictionary_enabled(path.clone(), false)
            .set_column_encoding(path.clone(), enc)
            .set_column_statistics_enabled(path, EnabledStatistics::None);
    }
    b.build()
}

fn chunks_props(
    cols: &[(Part, usize, String)],
    kv: &[KeyValue],
    opts: &ConvertOptions,
) -> WriterProperties {
    let mut b = base_props(kv, opts)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_data_page_size_limit(opts.chunk_page_bytes.max(1))
        .set_write_batch_size(16);
    for (_, _, n) in cols {
        b = b.set_column_encoding(
            ColumnPath::from(n.as_str()),
            PqEncoding::DELTA_LENGTH_BYTE_ARRAY,
        );
    }
    b.build()
}

/// Writes the label rows gathered in `batch` (and empties it).
fn write_rows(
    writer: &mut ArrowWriter<File>,
    batch: &mut LabelsBatch,
    schema: &Arc<Schema>,
) -> Result<()> {
    writer.write(&batch.finish(schema)?)?;
    Ok(())
}

/// Writes the chunk cells gathered in `cells` (and empties them).
fn write_chunk_rows(
    writer: &mut ArrowWriter<File>,
    cells: &mut [BinaryBuilder],
    schema: &Arc<Schema>,
) -> Result<()> {
    let arrays: Vec<ArrayRef> = cells
        .iter_mut()
        .map(|b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    writer.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
    Ok(())
}

fn writer(path: &Path, schema: Arc<Schema>, props: WriterProperties) -> Result<ArrowWriter<File>> {
    let file = File::create(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    Ok(ArrowWriter::try_new_with_options(file, schema, options)?)
}

/// The labels file's columns being filled for the next batch.
struct LabelsBatch {
    values: Vec<StringBuilder>,
    col_indexes: BinaryBuilder,
    hashes: BinaryBuilder,
}

impl LabelsBatch {
    fn new(names: usize) -> Self {
        Self {
            values: (0..names).map(|_| StringBuilder::new()).collect(),
            col_indexes: BinaryBuilder::new(),
            hashes: BinaryBuilder::new(),
        }
    }

    fn push(&mut self, names: &[String], labels: &Labels) {
        let mut have = Vec::with_capacity(labels.len());
        let mut next = labels.iter().peekable();
        for (i, (name, builder)) in names.iter().zip(&mut self.values).enumerate() {
            match next.peek() {
                Some(l) if l.name == *name => {
                    builder.append_value(&l.value);
                    have.push(i);
                    next.next();
                }
                _ => builder.append_null(),
            }
        }
        self.col_indexes.append_value(encode_col_indexes(&have));
        self.hashes.append_value(stable_hash(labels).to_be_bytes());
    }

    fn finish(&mut self, schema: &Arc<Schema>) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = self
            .values
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        arrays.push(Arc::new(self.col_indexes.finish()));
        arrays.push(Arc::new(self.hashes.finish()));
        Ok(RecordBatch::try_new(schema.clone(), arrays)?)
    }
}
