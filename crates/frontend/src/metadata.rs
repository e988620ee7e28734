//! `/api/v1/labels`, `/api/v1/label/<name>/values` and `/api/v1/series` through the
//! frontend (Thanos' `--labels.*` flags): a request with a start and an end is cut at
//! multiples of the split interval, each piece asked of the querier, and the answers'
//! union returned sorted. A piece covering a whole interval that ended before now minus the
//! max freshness is cached. Requests without a time range, with `limit`, or touching more
//! than [`MAX_PARTS`] intervals pass through.
//! The querier is asked with GET (the label values API has no POST).
//!
//! The union is exact: the querier answers a time range with the names, values and series
//! of the blocks it overlaps, and a block overlaps the range exactly when it overlaps one
//! of its pieces.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use futures::stream::{self, StreamExt};
use mnemos_query::api::params::{parse_time, Params};
use mnemos_query::api::response::{push_str, success};
use serde::{Deserialize, Serialize};

use crate::cache::ResultsCache;
use crate::downstream::{Call, Downstream};
use crate::metrics::FrontendMetrics;
use crate::reply::{add_warnings, forward, passthrough, unavailable};
use crate::request::{seconds, sorted_params};
use crate::split::{interval_pieces, intervals_touched, MAX_PARTS};

/// How metadata requests are handled.
#[derive(Clone, Debug)]
pub struct MetadataOptions {
    /// Pieces are cut at multiples of this (0: no splitting, no caching).
    pub split_interval: Duration,
    /// Pieces asked of the querier at once.
    pub parallelism: usize,
    /// Attempts per downstream call.
    pub attempts: usize,
    /// Pieces newer than this are not cached.
    pub max_freshness: Duration,
    /// `partial_response` when the request has none.
    pub partial_response: bool,
}

/// The metadata handler.
#[derive(Clone)]
pub struct MetadataFrontend {
    downstream: Downstream,
    cache: Option<ResultsCache>,
    options: MetadataOptions,
    metrics: FrontendMetrics,
}

/// One item of an answer's `data`: a name or value, or a series' labels.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
enum Item {
    Text(String),
    Labels(std::collections::BTreeMap<String, String>),
}

#[derive(Deserialize)]
struct EnvelopeJson {
    status: String,
    #[serde(default)]
    data: Vec<Item>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    data: Vec<Item>,
}

struct Piece {
    data: Vec<Item>,
    warnings: Vec<String>,
}

impl MetadataFrontend {
    /// A handler calling `downstream`, caching in `cache` when given.
    pub fn new(
        downstream: Downstream,
        cache: Option<ResultsCache>,
        options: MetadataOptions,
        metrics: FrontendMetrics,
    ) -> Self {
        Self {
            downstream,
            cache,
            options,
            metrics,
        }
    }

    /// Answers a request to `path` (`op` names it in metrics) with `params`.
    pub async fn serve(
        &self,
        op: &'static str,
        path: &str,
        params: &Params,
        headers: &[(HeaderName, HeaderValue)],
    ) -> axum::response::Response {
        let interval = self.options.split_interval.as_millis() as i64;
        let range = match (params.get("start"), params.get("end")) {
            (Some(s), Some(e)) => parse_time(s).ok().zip(parse_time(e).ok()),
            _ => None,
        };
        let Some((start, end)) = range.filter(|(s, e)| {
            s <= e
                && interval > 0
                && params.get("limit").is_none()
                && intervals_touched(*s, *e, interval) <= MAX_PARTS
        }) else {
            let query = serde_urlencoded::to_string(&params.0).unwrap_or_default();
            let call = Call::get(path, query, headers.to_vec());
            return forward(&self.downstream, op, &call, self.options.attempts).await;
        };
        let mut rest: Vec<(String, String)> = params
            .0
            .iter()
            .filter(|(k, _)| k != "start" && k != "end")
            .cloned()
            .collect();
        if params.get("partial_response").is_none() {
            rest.retain(|(k, _)| k != "partial_response");
            rest.push((
                "partial_response".into(),
                self.options.partial_response.to_string(),
            ));
        }
        let max_time = mnemos_tsdb::time::now_ms() - self.options.max_freshness.as_millis() as i64;
        let pieces = interval_pieces(start, end, interval);
        let results: Vec<Result<Piece, axum::response::Response>> = stream::iter(pieces)
            .map(|(s, e, whole)| {
                let cacheable = whole && e <= max_time;
                self.piece(op, path, &rest, (s, e), cacheable, headers)
            })
            .buffered(self.options.parallelism.max(1))
            .collect()
            .await;
        let mut items = BTreeSet::new();
        let mut warnings: Vec<String> = Vec::new();
        for r in results {
            match r {
                Ok(p) => {
                    items.extend(p.data);
                    add_warnings(&mut warnings, p.warnings);
                }
                Err(response) => return response,
            }
        }
        success(&data_json(&items), &warnings)
    }

    async fn piece(
        &self,
        op: &'static str,
        path: &str,
        rest: &[(String, String)],
        (start, end): (i64, i64),
        cacheable: bool,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<Piece, axum::response::Response> {
        let cache = self.cache.as_ref().filter(|_| cacheable);
        let key = format!("meta:{path}:{start}:{end}:{}", sorted_params(rest));
        if let Some(bytes) = match cache {
            Some(c) => c.get(&key).await,
            None => None,
        } {
            match serde_json::from_slice::<Entry>(&bytes) {
                Ok(e) if e.key == key => {
                    return Ok(Piece {
                        data: e.data,
                        warnings: Vec::new(),
                    })
                }
                _ => tracing::warn!(op, "unusable metadata cache entry; ignored"),
            }
        }
        let mut form = rest.to_vec();
        form.push(("start".into(), seconds(start)));
        form.push(("end".into(), seconds(end)));
        let query = serde_urlencoded::to_string(&form).unwrap_or_default();
        let call = Call::get(path, query, headers.to_vec());
        let reply = self
            .downstream
            .call(op, &call, self.options.attempts)
            .await
            .map_err(unavailable)?;
        if reply.status != 200 {
            return Err(passthrough(reply));
        }
        let env: EnvelopeJson = match serde_json::from_slice(&reply.body) {
            Ok(env) => env,
            Err(e) => {
                tracing::warn!(op, error = %e, "metadata answer not understood; returned as is");
                return Err(passthrough(reply));
            }
        };
        if env.status != "success" {
            return Err(passthrough(reply));
        }
        if let Some(cache) = cache {
            if env.warnings.is_empty() && !reply.no_store() {
                let entry = Entry {
                    key: key.clone(),
                    data: env.data.clone(),
                };
                if let Ok(bytes) = serde_json::to_vec(&entry) {
                    cache.put(&key, bytes.into());
                }
            } else {
                self.metrics.uncacheable(op);
            }
        }
        Ok(Piece {
            data: env.data,
            warnings: env.warnings,
        })
    }
}

/// The union as the querier writes it: strings, or label objects, in sorted order.
fn data_json(items: &BTreeSet<Item>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Item::Text(s) => push_str(&mut out, s),
            Item::Labels(labels) => {
                out.push('{');
                for (j, (k, v)) in labels.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    push_str(&mut out, k);
                    out.push(':');
                    push_str(&mut out, v);
                }
                out.push('}');
            }
        }
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unions_are_sorted_as_the_querier_sorts() {
        let names: Vec<Item> =
            serde_json::from_str(r#"["job","__name__","instance"]"#).expect("names");
        let more: Vec<Item> = serde_json::from_str(r#"["zone","job"]"#).expect("names");
        let set: BTreeSet<Item> = names.into_iter().chain(more).collect();
        assert_eq!(data_json(&set), r#"["__name__","instance","job","zone"]"#);

        let series: Vec<Item> = serde_json::from_str(
            r#"[{"__name__":"up","job":"b"},{"__name__":"up","job":"a"},{"__name__":"up","job":"b"}]"#,
        )
        .expect("series");
        let set: BTreeSet<Item> = series.into_iter().collect();
        assert_eq!(
            data_json(&set),
            r#"[{"__name__":"up","job":"a"},{"__name__":"up","job":"b"}]"#
        );
    }
}
