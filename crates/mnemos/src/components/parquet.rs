//! Flags of conversion to Parquet, shared by `mnemos compact` and
//! `mnemos tools bucket parquet convert`.

use std::time::Duration;

use clap::Args;
use mnemos_compact::ParquetConvertConfig;
use mnemos_parquet::ConvertOptions;

use super::parse_duration;

/// How blocks are written as Parquet.
#[derive(Clone, Debug, Args)]
pub struct ParquetFormatArgs {
    /// Labels rows are sorted by after `__name__` (Cortex' `parquet_converter_sort_columns`):
    /// matchers on them prune more pages. Comma-separated.
    #[arg(
        long = "parquet.convert.sort-labels",
        env = "MNEMOS_PARQUET_CONVERT_SORT_LABELS",
        value_delimiter = ','
    )]
    sort_labels: Vec<String>,
    /// Time covered by one chunk column (`s_data_<n>`): a query reads only the columns of
    /// its range, one request per column and block. parquet-common and Cortex (24h blocks)
    /// use 8h; 2d suits mnemos' 2d and 14d blocks (one and seven columns).
    #[arg(long = "parquet.convert.column-duration", env = "MNEMOS_PARQUET_CONVERT_COLUMN_DURATION", default_value = "2d", value_parser = parse_duration)]
    column_duration: Duration,
    /// Rows (series) per row group at most (Cortex' `-parquet-converter.max-rows-per-row-group`).
    #[arg(
        long = "parquet.convert.max-rows-per-row-group",
        env = "MNEMOS_PARQUET_CONVERT_MAX_ROWS_PER_ROW_GROUP",
        default_value = "1000000"
    )]
    max_rows_per_row_group: usize,
}

impl ParquetFormatArgs {
    /// The conversion options these flags give.
    pub fn options(&self) -> anyhow::Result<ConvertOptions> {
        let column_duration_ms = i64::try_from(self.column_duration.as_millis())?;
        anyhow::ensure!(
            column_duration_ms > 0,
            "--parquet.convert.column-duration must be positive"
        );
        anyhow::ensure!(
            self.max_rows_per_row_group > 0,
            "--parquet.convert.max-rows-per-row-group must be positive"
        );
        Ok(ConvertOptions {
            sort_labels: self.sort_labels.clone(),
            column_duration_ms,
            max_rows_per_row_group: self.max_rows_per_row_group,
            ..ConvertOptions::default()
        })
    }
}

/// Which blocks `mnemos compact` converts to Parquet.
#[derive(Clone, Debug, Args)]
pub struct ParquetConvertArgs {
    /// Convert blocks to Parquet after compaction and downsampling (files first, converter
    /// mark last); store gateways then serve them from Parquet (`--parquet.serve`).
    #[arg(
        long = "parquet.convert.enabled",
        env = "MNEMOS_PARQUET_CONVERT_ENABLED"
    )]
    enabled: bool,
    /// Blocks spanning less than this are not converted (they are still to be compacted).
    /// The default, 8h, is Cortex' rule with the default ranges: blocks longer than the
    /// first compaction range.
    #[arg(long = "parquet.convert.min-block-duration", env = "MNEMOS_PARQUET_CONVERT_MIN_BLOCK_DURATION", default_value = "8h", value_parser = parse_duration)]
    min_block_duration: Duration,
    /// Blocks converted at once (each keeps one core busy).
    #[arg(
        long = "parquet.convert.concurrency",
        env = "MNEMOS_PARQUET_CONVERT_CONCURRENCY",
        default_value = "1"
    )]
    concurrency: usize,
    #[command(flatten)]
    format: ParquetFormatArgs,
}

impl ParquetConvertArgs {
    /// The compactor's conversion settings.
    pub fn config(&self) -> anyhow::Result<ParquetConvertConfig> {
        Ok(ParquetConvertConfig {
            enabled: self.enabled,
            min_block_duration_ms: i64::try_from(self.min_block_duration.as_millis())?,
            concurrency: self.concurrency.max(1),
            options: self.format.options()?,
        })
    }
}
