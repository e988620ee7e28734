//! `/api/v1/query_range` through the frontend: limit the length, align to the step, split
//! by interval, answer each part from the cache and the querier, merge.
//!
//! What is never cached: answers with warnings or `Cache-Control: no-store` (partial
//! responses), anything after now minus the max freshness, and queries whose result
//! depends on more than each evaluation time: `@ start()`/`@ end()` (those are not split
//! either), an `@` time after the part's end or within the freshness window, a negative
//! offset. A range touching more than [`MAX_PARTS`] intervals is not split.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use axum::response::IntoResponse;
use futures::stream::{self, StreamExt};
use mnemos_promql::Modifiers;
use mnemos_query::api::params::Params;
use mnemos_query::api::response::ApiError;

use crate::cache::ResultsCache;
use crate::downstream::{Call, Downstream};
use crate::extents::{self, Extent};
use crate::matrix::{self, Answer, Series};
use crate::metrics::FrontendMetrics;
use crate::reply::{add_warnings, forward, passthrough, unavailable};
use crate::request::RangeRequest;
use crate::split::{align, intervals_touched, last_time, split_range, MAX_PARTS};

/// The API path.
pub const PATH: &str = "/api/v1/query_range";

/// How range queries are handled (Thanos' `--query-range.*` flags).
#[derive(Clone, Debug)]
pub struct RangeOptions {
    /// Parts are cut at multiples of this (0: no splitting, no caching).
    pub split_interval: Duration,
    /// Start and end are moved down to multiples of the step.
    pub align: bool,
    /// Longest `end - start` accepted (0: any).
    pub max_query_length: Duration,
    /// Parts asked of the querier at once.
    pub parallelism: usize,
    /// Attempts per downstream call.
    pub attempts: usize,
    /// Results newer than this are not cached.
    pub max_freshness: Duration,
    /// `partial_response` when the request has none.
    pub partial_response: bool,
}

/// What a part gave: series and warnings, or an answer to return as it is (an error).
type PartResult = Result<Answer, axum::response::Response>;

/// The range query handler.
#[derive(Clone)]
pub struct RangeFrontend {
    downstream: Downstream,
    cache: Option<ResultsCache>,
    options: RangeOptions,
    metrics: FrontendMetrics,
}

/// A downstream answer: its content, and whether it may be cached.
struct Fetched {
    answer: Answer,
    cacheable: bool,
}

fn now_ms() -> i64 {
    mnemos_tsdb::time::now_ms()
}

impl RangeFrontend {
    /// A handler calling `downstream`, caching in `cache` when given.
    pub fn new(
        downstream: Downstream,
        cache: Option<ResultsCache>,
        options: RangeOptions,
        metrics: FrontendMetrics,
    ) -> Self {
        Self {
            downstream,
            cache,
            options,
            metrics,
        }
    }

    /// Answers a `query_range` request with parameters `params`.
    pub async fn serve(
        &self,
        params: &Params,
        headers: &[(HeaderName, HeaderValue)],
    ) -> axum::response::Response {
        let Some(mut req) = RangeRequest::parse(params) else {
            // Malformed or special: the querier answers it (and words any error).
            let form = serde_urlencoded::to_string(&params.0).unwrap_or_default();
            let call = Call::post_form(PATH, form, headers.to_vec());
            return forward(
                &self.downstream,
                "query_range",
                &call,
                self.options.attempts,
            )
            .await;
        };
        let max_len = self.options.max_query_length.as_millis() as i64;
        if max_len > 0 && req.end - req.start > max_len {
            return ApiError::bad_data(format!(
                "the query time range exceeds the limit (query length: {}, limit: {})",
                go_duration(req.end - req.start),
                go_duration(max_len)
            ))
            .into_response();
        }
        if self.options.align {
            (req.start, req.end) = align(req.start, req.end, req.step);
        }
        // Every range from here on lies on the step grid: evaluation times are unchanged.
        req.end = last_time(req.start, req.end, req.step);
        req.default_param(
            "partial_response",
            if self.options.partial_response {
                "true"
            } else {
                "false"
            },
        );
        let modifiers = mnemos_promql::modifiers(&req.query);
        let interval = self.options.split_interval.as_millis() as i64;
        let splittable = modifiers.as_ref().is_some_and(|m| !m.at_start_or_end)
            && intervals_touched(req.start, req.end, interval) <= MAX_PARTS;
        let parts = if splittable {
            split_range(req.start, req.end, req.step, interval)
        } else {
            vec![(req.start, req.end)]
        };
        self.metrics.split(parts.len());
        let results: Vec<PartResult> = stream::iter(parts)
            .map(|(s, e)| self.part(req.with_range(s, e), modifiers.as_ref(), headers))
            .buffered(self.options.parallelism.max(1))
            .collect()
            .await;
        let mut series = Vec::with_capacity(results.len());
        let mut warnings: Vec<String> = Vec::new();
        for r in results {
            match r {
                Ok(a) => {
                    series.push(a.series);
                    add_warnings(&mut warnings, a.warnings);
                }
                Err(response) => return response,
            }
        }
        respond(&matrix::merge(series), &warnings)
    }

    /// One part: from the cache where it may be, the rest from the querier.
    async fn part(
        &self,
        req: RangeRequest,
        modifiers: Option<&Modifiers>,
        headers: &[(HeaderName, HeaderValue)],
    ) -> PartResult {
        let max_time = now_ms() - self.options.max_freshness.as_millis() as i64;
        let interval = self.options.split_interval.as_millis() as i64;
        let cacheable_query = modifiers.is_some_and(|m| {
            !m.at_start_or_end
                && !m.negative_offset
                && m.at_times_ms
                    .iter()
                    .all(|t| *t <= req.end && *t <= max_time)
        });
        let cache = match &self.cache {
            Some(c) if cacheable_query && interval > 0 && req.start <= max_time => c,
            _ => return self.fetch(&req, headers).await.map(|f| f.answer),
        };
        let key = req.cache_key(interval);
        let cached = match cache.get(&key).await {
            Some(bytes) => extents::decode(&key, &bytes),
            None => Vec::new(),
        };
        let plan = extents::partition(req.start, req.end, req.step, &cached);
        if plan.missing.is_empty() {
            // All from the cache: nothing to store again, so the extents are taken apart.
            let mut cached = cached;
            let parts = plan
                .cached
                .iter()
                .map(|&(i, s, e)| {
                    matrix::extract_owned(std::mem::take(&mut cached[i].series), s, e)
                })
                .collect();
            return Ok(Answer {
                series: matrix::merge(parts),
                warnings: Vec::new(),
            });
        }
        let mut parts: Vec<Vec<Series>> = plan
            .cached
            .iter()
            .map(|&(i, s, e)| matrix::extract(&cached[i].series, s, e))
            .collect();
        let mut warnings = Vec::new();
        let mut new: Vec<Extent> = Vec::new();
        for (s, e) in plan.missing {
            let fetched = self.fetch(&req.with_range(s, e), headers).await?;
            if fetched.cacheable {
                new.push(Extent {
                    start: s,
                    end: e,
                    series: fetched.answer.series.clone(),
                });
            } else {
                self.metrics.uncacheable("query_range");
            }
            warnings.extend(fetched.answer.warnings);
            parts.push(fetched.answer.series);
        }
        if !new.is_empty() {
            new.extend(cached);
            let kept =
                extents::drop_recent(extents::merge_extents(new, req.step), max_time, req.step);
            if !kept.is_empty() {
                cache.put(&key, extents::encode(&key, &kept));
            }
        }
        Ok(Answer {
            series: matrix::extract_owned(matrix::merge(parts), req.start, req.end),
            warnings,
        })
    }

    /// Asks the querier for `req`.
    async fn fetch(
        &self,
        req: &RangeRequest,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<Fetched, axum::response::Response> {
        let call = Call::post_form(PATH, req.form(), headers.to_vec());
        let reply = self
            .downstream
            .call("query_range", &call, self.options.attempts)
            .await
            .map_err(unavailable)?;
        if reply.status != 200 {
            return Err(passthrough(reply));
        }
        match matrix::parse_answer(&reply.body) {
            Ok(answer) => Ok(Fetched {
                cacheable: answer.warnings.is_empty() && !reply.no_store(),
                answer,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "query_range answer that is not a matrix; returned as is");
                Err(passthrough(reply))
            }
        }
    }
}

/// A merged answer (marked `no-store` when it carries warnings, so no cache in front keeps
/// it).
pub fn respond(series: &[Series], warnings: &[String]) -> axum::response::Response {
    mnemos_query::api::response::success(&matrix::data_json(series), warnings)
}

/// A duration as Go's `time.Duration.String()` writes whole seconds: `721h0m0s`, `1m30s`.
fn go_duration(ms: i64) -> String {
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let frac = ms % 1000;
    let s = if frac == 0 {
        format!("{s}")
    } else {
        format!("{s}.{frac:03}").trim_end_matches('0').to_string()
    };
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, m) => format!("{m}m{s}s"),
        (h, m) => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::go_duration;

    #[test]
    fn durations_read_as_go_writes_them() {
        assert_eq!(go_duration(721 * 3_600_000), "721h0m0s");
        assert_eq!(go_duration(90_000), "1m30s");
        assert_eq!(go_duration(1_500), "1.5s");
    }
}
