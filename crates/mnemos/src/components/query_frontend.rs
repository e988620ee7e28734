//! `mnemos query-frontend`: flags and wiring of the query-frontend (crate
//! `mnemos-frontend`), with Thanos' flag names.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{ArgAction, Args};
use mnemos_frontend::cache::{Compression, ResultsCache};
use mnemos_frontend::config::CacheConfig;
use mnemos_frontend::downstream::{Downstream, DownstreamOptions};
use mnemos_frontend::handler::{Frontend, HandlerOptions, HeaderName};
use mnemos_frontend::metadata::{MetadataFrontend, MetadataOptions};
use mnemos_frontend::metrics::FrontendMetrics;
use mnemos_frontend::range::{RangeFrontend, RangeOptions};
use mnemos_server::{register_build_info, router, Readiness, Shutdown};
use prometheus_client::registry::Registry;
use tracing::{info, warn};

use super::{parse_bytes, parse_duration, runtime, HttpArgs};

/// `mnemos query-frontend` flags.
#[derive(Debug, Args)]
pub struct QueryFrontendArgs {
    /// The HTTP listener.
    #[command(flatten)]
    http: HttpArgs,
    /// URL of the querier's Prometheus HTTP API.
    #[arg(
        long = "query-frontend.downstream-url",
        env = "MNEMOS_QUERY_FRONTEND_DOWNSTREAM_URL",
        default_value = "http://localhost:9090"
    )]
    downstream_url: String,
    /// Longest one call to the querier may take, answer included (mnemos' flag: Thanos has
    /// no deadline of its own).
    #[arg(long = "query-frontend.downstream-timeout", env = "MNEMOS_QUERY_FRONTEND_DOWNSTREAM_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    downstream_timeout: Duration,
    /// Largest answer read from the querier (mnemos' flag); a larger one fails the request.
    #[arg(long = "query-frontend.downstream-max-response-size", env = "MNEMOS_QUERY_FRONTEND_DOWNSTREAM_MAX_RESPONSE_SIZE", default_value = "512MB", value_parser = parse_bytes)]
    downstream_max_response: usize,
    /// Request headers passed on to the querier. Repeatable.
    #[arg(
        long = "query-frontend.forward-header",
        env = "MNEMOS_QUERY_FRONTEND_FORWARD_HEADER",
        value_delimiter = ','
    )]
    forward_headers: Vec<String>,
    /// Log requests slower than this; 0 disables, a negative duration logs every request.
    #[arg(long = "query-frontend.log-queries-longer-than", env = "MNEMOS_QUERY_FRONTEND_LOG_QUERIES_LONGER_THAN", default_value = "0", value_parser = parse_slow_query_threshold, allow_hyphen_values = true)]
    slow_query_threshold: SlowQueryThreshold,
    /// Header whose value names the user in slow-query logs (else the basic-auth user).
    #[arg(
        long = "query-frontend.slow-query-logs-user-header",
        env = "MNEMOS_QUERY_FRONTEND_SLOW_QUERY_LOGS_USER_HEADER",
        default_value = ""
    )]
    user_header: String,
    /// Attempts per instant query and other passed-through request (Thanos' "retries").
    #[arg(
        long = "query.max-retries-per-request",
        env = "MNEMOS_QUERY_MAX_RETRIES_PER_REQUEST",
        default_value = "5"
    )]
    other_attempts: usize,
    /// Range queries.
    #[command(flatten)]
    range: RangeArgs,
    /// Label and series requests.
    #[command(flatten)]
    labels: LabelsArgs,
    /// Compression of cached values: `snappy` or empty (none).
    #[arg(
        long = "cache-compression-type",
        env = "MNEMOS_CACHE_COMPRESSION_TYPE",
        default_value = "",
        value_parser = Compression::parse
    )]
    compression: Compression,
}

/// `--query-range.*` flags.
#[derive(Debug, Args)]
struct RangeArgs {
    /// Range queries are split at multiples of this (0: no splitting and no caching).
    #[arg(long = "query-range.split-interval", env = "MNEMOS_QUERY_RANGE_SPLIT_INTERVAL", default_value = "24h", value_parser = parse_duration)]
    range_split_interval: Duration,
    /// Move start and end down to multiples of the step (better cache hits; Grafana does it
    /// already).
    #[arg(long = "query-range.align-range-with-step", env = "MNEMOS_QUERY_RANGE_ALIGN_RANGE_WITH_STEP", default_value_t = true, action = ArgAction::Set)]
    range_align: bool,
    /// Attempts per call to the querier (Thanos' "retries": 5 means up to 5 calls).
    #[arg(
        long = "query-range.max-retries-per-request",
        env = "MNEMOS_QUERY_RANGE_MAX_RETRIES_PER_REQUEST",
        default_value = "5"
    )]
    range_attempts: usize,
    /// Longest `end - start` accepted (0: any).
    #[arg(long = "query-range.max-query-length", env = "MNEMOS_QUERY_RANGE_MAX_QUERY_LENGTH", default_value = "0", value_parser = parse_duration)]
    range_max_query_length: Duration,
    /// Parts of one range query asked of the querier at once.
    #[arg(
        long = "query-range.max-query-parallelism",
        env = "MNEMOS_QUERY_RANGE_MAX_QUERY_PARALLELISM",
        default_value = "14"
    )]
    range_parallelism: usize,
    /// Results newer than this are not cached (they may still change).
    #[arg(long = "query-range.response-cache-max-freshness", env = "MNEMOS_QUERY_RANGE_RESPONSE_CACHE_MAX_FRESHNESS", default_value = "1m", value_parser = parse_duration)]
    range_max_freshness: Duration,
    /// `partial_response` for requests that do not set it.
    #[arg(long = "query-range.partial-response", env = "MNEMOS_QUERY_RANGE_PARTIAL_RESPONSE", default_value_t = true, action = ArgAction::Set)]
    range_partial_response: bool,
    /// Results cache configuration file (Thanos' YAML: IN-MEMORY, MEMCACHED, REDIS); no
    /// cache without it.
    #[arg(
        long = "query-range.response-cache-config-file",
        env = "MNEMOS_QUERY_RANGE_RESPONSE_CACHE_CONFIG_FILE"
    )]
    range_cache_config_file: Option<PathBuf>,
    /// The results cache configuration inline.
    #[arg(
        long = "query-range.response-cache-config",
        env = "MNEMOS_QUERY_RANGE_RESPONSE_CACHE_CONFIG",
        conflicts_with = "range_cache_config_file"
    )]
    range_cache_config: Option<String>,
}

/// `--labels.*` flags.
#[derive(Debug, Args)]
struct LabelsArgs {
    /// Label and series requests are split at multiples of this (0: passed through).
    #[arg(long = "labels.split-interval", env = "MNEMOS_LABELS_SPLIT_INTERVAL", default_value = "24h", value_parser = parse_duration)]
    labels_split_interval: Duration,
    /// Attempts per call to the querier.
    #[arg(
        long = "labels.max-retries-per-request",
        env = "MNEMOS_LABELS_MAX_RETRIES_PER_REQUEST",
        default_value = "5"
    )]
    labels_attempts: usize,
    /// Pieces of one request asked of the querier at once.
    #[arg(
        long = "labels.max-query-parallelism",
        env = "MNEMOS_LABELS_MAX_QUERY_PARALLELISM",
        default_value = "14"
    )]
    labels_parallelism: usize,
    /// Pieces newer than this are not cached.
    #[arg(long = "labels.response-cache-max-freshness", env = "MNEMOS_LABELS_RESPONSE_CACHE_MAX_FRESHNESS", default_value = "1m", value_parser = parse_duration)]
    labels_max_freshness: Duration,
    /// `partial_response` for requests that do not set it.
    #[arg(long = "labels.partial-response", env = "MNEMOS_LABELS_PARTIAL_RESPONSE", default_value_t = true, action = ArgAction::Set)]
    labels_partial_response: bool,
    /// Labels cache configuration file (same format); no cache without it.
    #[arg(
        long = "labels.response-cache-config-file",
        env = "MNEMOS_LABELS_RESPONSE_CACHE_CONFIG_FILE"
    )]
    labels_cache_config_file: Option<PathBuf>,
    /// The labels cache configuration inline.
    #[arg(
        long = "labels.response-cache-config",
        env = "MNEMOS_LABELS_RESPONSE_CACHE_CONFIG",
        conflicts_with = "labels_cache_config_file"
    )]
    labels_cache_config: Option<String>,
}

/// `--query-frontend.log-queries-longer-than`: off, every request, or a threshold.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SlowQueryThreshold(Option<Duration>);

fn parse_slow_query_threshold(s: &str) -> Result<SlowQueryThreshold, String> {
    let s = s.trim();
    if let Some(negative) = s.strip_prefix('-') {
        parse_duration(negative)?;
        return Ok(SlowQueryThreshold(Some(Duration::ZERO)));
    }
    let d = parse_duration(s)?;
    Ok(SlowQueryThreshold((!d.is_zero()).then_some(d)))
}

/// The cache configuration text of a file or inline flag; `None` without either.
fn cache_text(
    file: &Option<PathBuf>,
    inline: &Option<String>,
    flag: &str,
) -> anyhow::Result<Option<String>> {
    match (file, inline) {
        (Some(path), _) => {
            Ok(Some(std::fs::read_to_string(path).with_context(|| {
                format!("--{flag}-file {}", path.display())
            })?))
        }
        (None, Some(text)) if !text.trim().is_empty() => Ok(Some(text.clone())),
        _ => Ok(None),
    }
}

impl QueryFrontendArgs {
    /// Runs the query-frontend until SIGINT/SIGTERM.
    pub fn run(self) -> anyhow::Result<()> {
        runtime()?.block_on(self.serve())
    }

    fn cache(
        &self,
        name: &'static str,
        flag: &str,
        file: &Option<PathBuf>,
        inline: &Option<String>,
        split_interval: Duration,
        metrics: &FrontendMetrics,
    ) -> anyhow::Result<Option<ResultsCache>> {
        let Some(text) = cache_text(file, inline, flag)? else {
            return Ok(None);
        };
        let config = CacheConfig::parse(&text).with_context(|| format!("--{flag}"))?;
        anyhow::ensure!(
            !split_interval.is_zero(),
            "--{flag} needs a split interval above 0 (results are cached per interval)"
        );
        for field in CacheConfig::notes(&text) {
            warn!(flag, field, "cache setting has no effect in mnemos");
        }
        info!(cache = name, backend = config.kind(), "results cache");
        Ok(Some(ResultsCache::new(
            name,
            &config,
            self.compression,
            metrics.clone(),
        )?))
    }

    async fn serve(self) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let mut registry = Registry::default();
        register_build_info(&mut registry, "query-frontend");
        let metrics = FrontendMetrics::new(&mut registry);
        let downstream = Downstream::new(
            DownstreamOptions {
                url: self.downstream_url.clone(),
                timeout: self.downstream_timeout,
                max_response_bytes: self.downstream_max_response,
            },
            metrics.clone(),
        )?;
        let range_cache = self.cache(
            "query-range",
            "query-range.response-cache-config",
            &self.range.range_cache_config_file,
            &self.range.range_cache_config,
            self.range.range_split_interval,
            &metrics,
        )?;
        let labels_cache = self.cache(
            "labels",
            "labels.response-cache-config",
            &self.labels.labels_cache_config_file,
            &self.labels.labels_cache_config,
            self.labels.labels_split_interval,
            &metrics,
        )?;
        let range = RangeFrontend::new(
            downstream.clone(),
            range_cache,
            RangeOptions {
                split_interval: self.range.range_split_interval,
                align: self.range.range_align,
                max_query_length: self.range.range_max_query_length,
                parallelism: self.range.range_parallelism,
                attempts: self.range.range_attempts,
                max_freshness: self.range.range_max_freshness,
                partial_response: self.range.range_partial_response,
            },
            metrics.clone(),
        );
        let metadata = MetadataFrontend::new(
            downstream.clone(),
            labels_cache,
            MetadataOptions {
                split_interval: self.labels.labels_split_interval,
                parallelism: self.labels.labels_parallelism,
                attempts: self.labels.labels_attempts,
                max_freshness: self.labels.labels_max_freshness,
                partial_response: self.labels.labels_partial_response,
            },
            metrics.clone(),
        );
        let header = |h: &str| {
            HeaderName::from_bytes(h.trim().as_bytes())
                .with_context(|| format!("header name {h:?}"))
        };
        let forward_headers = self
            .forward_headers
            .iter()
            .filter(|h| !h.trim().is_empty())
            .map(|h| header(h))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let user_header = match self.user_header.trim() {
            "" => None,
            h => Some(header(h)?),
        };
        let frontend = Arc::new(Frontend::new(
            range,
            metadata,
            downstream,
            HandlerOptions {
                forward_headers,
                slow_query_threshold: self.slow_query_threshold.0,
                user_header,
                attempts: self.other_attempts,
            },
            metrics,
        ));
        let readiness = Readiness::default();
        let app = router(Arc::new(registry), readiness.clone()).merge(frontend.router());
        let http_task = self.http.serve(app, shutdown.clone()).await?;
        readiness.set_ready();
        info!(
            downstream = %self.downstream_url,
            split_interval = ?self.range.range_split_interval,
            "query-frontend ready"
        );
        let result = http_task.await;
        readiness.set_not_ready();
        result.context("HTTP server task")??;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_query_threshold_values() {
        assert_eq!(parse_slow_query_threshold("0").unwrap().0, None);
        assert_eq!(
            parse_slow_query_threshold("-1s").unwrap().0,
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_slow_query_threshold("5s").unwrap().0,
            Some(Duration::from_secs(5))
        );
        assert!(parse_slow_query_threshold("fast").is_err());
    }
}
