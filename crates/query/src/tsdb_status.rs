//! TSDB statistics from every endpoint that serves the Status API, merged as Thanos'
//! querier merges them: head series, label pairs and chunks added up, the oldest minimum
//! and newest maximum time, per-name counts added up (label value counts: the largest, as
//! the same values may be on several sources), each list sorted by count (descending, then
//! by name) and cut at `limit`. Replicas of one Prometheus are counted once each: these are
//! the series every source holds in memory.

use std::collections::{BTreeMap, HashMap};

use mnemos_storeapi::convert;
use mnemos_storeapi::thanos::status_client::StatusClient;
use mnemos_storeapi::thanos::{
    tsdb_statistics_response, HeadStatistics, Statistic, TsdbStatistics, TsdbStatisticsEntry,
    TsdbStatisticsRequest, TsdbStatisticsResponse,
};
use mnemos_tsdb::Matcher;

use crate::fanout::{partial_response_strategy, read_frames, Fanout};

/// Largest statistics answer read from one endpoint.
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// One statistics list, by name.
fn merge_list(into: &mut Vec<Statistic>, more: Vec<Statistic>, add: bool) {
    let mut by_name: BTreeMap<String, u64> = std::mem::take(into)
        .into_iter()
        .map(|s| (s.name, s.value))
        .collect();
    for s in more {
        let v = by_name.entry(s.name).or_default();
        *v = if add {
            v.saturating_add(s.value)
        } else {
            (*v).max(s.value)
        };
    }
    *into = by_name
        .into_iter()
        .map(|(name, value)| Statistic { name, value })
        .collect();
    into.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
}

/// Adds `more` into `into` (see the module's documentation).
pub fn merge_entry(into: &mut TsdbStatisticsEntry, more: TsdbStatisticsEntry) {
    let head = into
        .head_statistics
        .get_or_insert_with(HeadStatistics::default);
    if let Some(h) = more.head_statistics {
        head.num_series = head.num_series.saturating_add(h.num_series);
        head.num_label_pairs = head.num_label_pairs.saturating_add(h.num_label_pairs);
        head.chunk_count = head.chunk_count.saturating_add(h.chunk_count);
        if head.min_time <= 0 || head.min_time > h.min_time {
            head.min_time = h.min_time;
        }
        head.max_time = head.max_time.max(h.max_time);
    }
    merge_list(
        &mut into.series_count_by_metric_name,
        more.series_count_by_metric_name,
        true,
    );
    merge_list(
        &mut into.label_value_count_by_label_name,
        more.label_value_count_by_label_name,
        false,
    );
    merge_list(
        &mut into.memory_in_bytes_by_label_name,
        more.memory_in_bytes_by_label_name,
        true,
    );
    merge_list(
        &mut into.series_count_by_label_value_pair,
        more.series_count_by_label_value_pair,
        true,
    );
}

/// The statistics of every tenant of every frame merged by tenant.
pub fn merge_by_tenant(frames: Vec<TsdbStatistics>) -> HashMap<String, TsdbStatisticsEntry> {
    let mut out: HashMap<String, TsdbStatisticsEntry> = HashMap::new();
    for frame in frames {
        // Map order is random: merge tenants in name order so equal counts sort alike.
        let tenants: BTreeMap<_, _> = frame.statistics.into_iter().collect();
        for (tenant, entry) in tenants {
            merge_entry(out.entry(tenant).or_default(), entry);
        }
    }
    out
}

/// The statistics of all tenants together, each list cut at `limit` entries.
pub fn total(by_tenant: HashMap<String, TsdbStatisticsEntry>, limit: usize) -> TsdbStatisticsEntry {
    let mut all = TsdbStatisticsEntry {
        head_statistics: Some(HeadStatistics::default()),
        ..Default::default()
    };
    let tenants: BTreeMap<_, _> = by_tenant.into_iter().collect();
    for entry in tenants.into_values() {
        merge_entry(&mut all, entry);
    }
    for list in [
        &mut all.series_count_by_metric_name,
        &mut all.label_value_count_by_label_name,
        &mut all.memory_in_bytes_by_label_name,
        &mut all.series_count_by_label_value_pair,
    ] {
        list.truncate(limit);
    }
    all
}

impl Fanout {
    /// The TSDB statistics of every endpoint serving them (of the TSDBs whose external
    /// labels match `matchers`), merged by tenant; with the warnings (failed endpoints when
    /// `partial`). Endpoints are asked for `limit` entries per list.
    pub async fn tsdb_statistics(
        &self,
        limit: i32,
        matchers: &[Matcher],
        partial: bool,
    ) -> crate::Result<(HashMap<String, TsdbStatisticsEntry>, Vec<String>)> {
        let request = TsdbStatisticsRequest {
            tenant: String::new(),
            limit,
            partial_response_strategy: partial_response_strategy(partial),
            matchers: matchers.iter().map(convert::wire_matcher).collect(),
        };
        let (frames, warnings) = self
            .on_each_serving(
                |info| info.serves_status,
                partial,
                |channel| {
                    let request = request.clone();
                    async move {
                        let mut client =
                            StatusClient::new(channel).max_decoding_message_size(MAX_ANSWER_BYTES);
                        let stream = client.tsdb_statistics(request).await?.into_inner();
                        read_frames(stream, |m: TsdbStatisticsResponse| match m.result? {
                            tsdb_statistics_response::Result::Statistics(s) => Some(Ok(s)),
                            tsdb_statistics_response::Result::Warning(w) => Some(Err(w)),
                        })
                        .await
                    }
                },
            )
            .await?;
        Ok((merge_by_tenant(frames), warnings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(name: &str, value: u64) -> Statistic {
        Statistic {
            name: name.into(),
            value,
        }
    }

    fn entry(series: u64, min: i64, max: i64, metrics: &[(&str, u64)]) -> TsdbStatisticsEntry {
        TsdbStatisticsEntry {
            head_statistics: Some(HeadStatistics {
                num_series: series,
                num_label_pairs: 10,
                chunk_count: 3,
                min_time: min,
                max_time: max,
            }),
            series_count_by_metric_name: metrics.iter().map(|(n, v)| stat(n, *v)).collect(),
            label_value_count_by_label_name: vec![stat("job", series)],
            ..Default::default()
        }
    }

    fn frame(tenant: &str, e: TsdbStatisticsEntry) -> TsdbStatistics {
        TsdbStatistics {
            statistics: HashMap::from([(tenant.to_string(), e)]),
        }
    }

    #[test]
    fn sources_add_up_per_tenant_then_together() {
        let frames = vec![
            frame("", entry(5, 100, 900, &[("up", 2), ("a", 3)])),
            frame("", entry(7, 50, 800, &[("up", 2), ("b", 1)])),
            frame("team", entry(1, 10, 1000, &[("c", 4)])),
        ];
        let by_tenant = merge_by_tenant(frames);
        let head = by_tenant[""].head_statistics.expect("head");
        assert_eq!(
            (head.num_series, head.num_label_pairs, head.chunk_count),
            (12, 20, 6)
        );
        assert_eq!((head.min_time, head.max_time), (50, 900));
        assert_eq!(
            by_tenant[""].series_count_by_metric_name,
            vec![stat("up", 4), stat("a", 3), stat("b", 1)]
        );
        assert_eq!(
            by_tenant[""].label_value_count_by_label_name,
            vec![stat("job", 7)],
            "label value counts: the largest"
        );
        let all = total(by_tenant, 2);
        let head = all.head_statistics.expect("head");
        assert_eq!(
            (head.num_series, head.min_time, head.max_time),
            (13, 10, 1000)
        );
        assert_eq!(
            all.series_count_by_metric_name,
            vec![stat("c", 4), stat("up", 4)],
            "cut at the limit, ties by name"
        );
        assert!(total(HashMap::new(), 10)
            .series_count_by_metric_name
            .is_empty());
    }
}
