//! Exemplars from every endpoint that serves the Exemplars API, as Thanos' querier gathers
//! them: the query's selectors go to the endpoints whose external labels they can match,
//! without their matchers on external labels (Prometheus does not know those labels; a
//! querier endpoint keeps them to route by), joined into one query per endpoint; the
//! answers are merged by series with the replica labels removed, each distinct exemplar
//! once, in time order, the series sorted by labels.

use std::collections::BTreeMap;

use mnemos_storeapi::helpers::component_type;
use mnemos_storeapi::thanos::exemplars_client::ExemplarsClient;
use mnemos_storeapi::thanos::{
    exemplars_response, Exemplar, ExemplarData, ExemplarsRequest, ExemplarsResponse, Label,
};
use mnemos_tsdb::Matcher;

use crate::endpoints::set::labels_compatible;
use crate::endpoints::EndpointInfo;
use crate::fanout::{partial_response_strategy, read_frames, Fanout};

/// Largest exemplars answer read from one endpoint.
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// A selector left without matchers selects every series (Prometheus refuses `{}`).
const EVERY_SERIES: &str = r#"{__name__=~".+"}"#;

/// The query an endpoint is sent for `selectors`: each selector its external label sets can
/// match, without the matchers on its external labels unless it is a querier, as `{…}`,
/// joined by `+`; `None` when no selector can match.
pub fn endpoint_query(selectors: &[Vec<Matcher>], info: &EndpointInfo) -> Option<String> {
    let external = |name: &str| info.label_sets.iter().any(|ls| ls.get(name).is_some());
    let keep_external = info.component == component_type::QUERY;
    let parts: Vec<String> = selectors
        .iter()
        .filter(|ms| {
            info.label_sets.is_empty() || info.label_sets.iter().any(|ls| labels_compatible(ls, ms))
        })
        .map(|ms| {
            let kept: Vec<String> = ms
                .iter()
                .filter(|m| keep_external || !external(&m.name))
                .map(ToString::to_string)
                .collect();
            if kept.is_empty() {
                EVERY_SERIES.to_string()
            } else {
                format!("{{{}}}", kept.join(", "))
            }
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" + "))
}

/// Labels as comparable pairs.
fn pairs(labels: &[Label]) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect()
}

/// Exemplars merged by series (replica labels removed), each distinct exemplar once in
/// time order (then labels, then value), series sorted by labels; series without exemplars
/// are left out.
pub fn merge(data: Vec<ExemplarData>, replica_labels: &[String]) -> Vec<ExemplarData> {
    let mut by_series: BTreeMap<Vec<(String, String)>, Vec<Exemplar>> = BTreeMap::new();
    for d in data {
        if d.exemplars.is_empty() {
            continue;
        }
        let mut labels = d.series_labels.map(|s| s.labels).unwrap_or_default();
        labels.retain(|l| !replica_labels.contains(&l.name));
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        by_series
            .entry(pairs(&labels))
            .or_default()
            .extend(d.exemplars);
    }
    by_series
        .into_iter()
        .map(|(labels, mut exemplars)| {
            for e in &mut exemplars {
                if let Some(set) = &mut e.labels {
                    set.labels.sort_by(|a, b| a.name.cmp(&b.name));
                }
            }
            let key = |e: &Exemplar| {
                (
                    e.ts,
                    pairs(e.labels.as_ref().map_or(&[], |s| s.labels.as_slice())),
                )
            };
            exemplars.sort_by(|a, b| {
                key(a)
                    .cmp(&key(b))
                    .then_with(|| a.value.total_cmp(&b.value))
            });
            exemplars.dedup_by(|later, kept| {
                key(later) == key(kept) && later.value.to_bits() == kept.value.to_bits()
            });
            ExemplarData {
                series_labels: Some(
                    labels
                        .into_iter()
                        .map(|(name, value)| Label { name, value })
                        .collect::<Vec<_>>()
                        .into(),
                ),
                exemplars,
            }
        })
        .collect()
}

impl Fanout {
    /// The exemplars between `start` and `end` (ms) of the series `selectors` select, from
    /// every endpoint serving exemplars whose external labels they can match, merged
    /// without `replica_labels`; with the warnings (failed endpoints when `partial`).
    pub async fn exemplars(
        &self,
        selectors: &[Vec<Matcher>],
        (start, end): (i64, i64),
        replica_labels: &[String],
        partial: bool,
    ) -> crate::Result<(Vec<ExemplarData>, Vec<String>)> {
        let (data, warnings) = self
            .on_each_planned(
                |info| {
                    info.serves_exemplars
                        .then(|| endpoint_query(selectors, info))
                        .flatten()
                },
                partial,
                |channel, query| async move {
                    let request = ExemplarsRequest {
                        query,
                        start,
                        end,
                        partial_response_strategy: partial_response_strategy(partial),
                    };
                    let mut client =
                        ExemplarsClient::new(channel).max_decoding_message_size(MAX_ANSWER_BYTES);
                    let stream = client.exemplars(request).await?.into_inner();
                    read_frames(stream, |m: ExemplarsResponse| match m.result? {
                        exemplars_response::Result::Data(d) => Some(Ok(d)),
                        exemplars_response::Result::Warning(w) => Some(Err(w)),
                    })
                    .await
                },
            )
            .await?;
        Ok((merge(data, replica_labels), warnings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::labels::MatchType;
    use mnemos_tsdb::Labels;

    fn info(component: &str, sets: &[&[(&str, &str)]]) -> EndpointInfo {
        EndpointInfo {
            component: component.into(),
            label_sets: sets
                .iter()
                .map(|s| Labels::from_pairs(s.iter().copied()))
                .collect(),
            min_time: 0,
            max_time: 0,
            supports_without_replica_labels: true,
            serves_metadata: true,
            serves_targets: true,
            serves_rules: true,
            serves_exemplars: true,
            serves_status: true,
        }
    }

    #[test]
    fn endpoints_get_the_selectors_they_can_match_without_external_matchers() {
        let re = |n: &str, v: &str| Matcher::new(MatchType::Regex, n, v).expect("regex");
        let selectors = vec![
            vec![
                Matcher::equal("__name__", "requests_total"),
                Matcher::equal("region", "eu"),
            ],
            vec![Matcher::equal("region", "us")],
            vec![Matcher::equal("job", "a\"b"), re("replica", "a|b")],
        ];
        let eu = info("sidecar", &[&[("region", "eu"), ("replica", "a")]]);
        assert_eq!(
            endpoint_query(&selectors, &eu).as_deref(),
            Some(r#"{__name__="requests_total"} + {job="a\"b"}"#)
        );
        let us = info("sidecar", &[&[("region", "us"), ("replica", "a")]]);
        assert_eq!(
            endpoint_query(&selectors, &us).as_deref(),
            Some(r#"{__name__=~".+"} + {job="a\"b"}"#),
            "a selector left empty selects every series"
        );
        let asia = info("sidecar", &[&[("region", "asia"), ("replica", "c")]]);
        assert_eq!(endpoint_query(&selectors[..2], &asia), None);
        let querier = info("query", &[&[("region", "eu")], &[("region", "us")]]);
        assert_eq!(
            endpoint_query(&selectors[..2], &querier).as_deref(),
            Some(r#"{__name__="requests_total", region="eu"} + {region="us"}"#),
            "a querier routes by external labels itself"
        );
        let unlabelled = info("receive", &[]);
        assert!(endpoint_query(&selectors, &unlabelled).is_some());
    }

    fn data(series: &[(&str, &str)], exemplars: &[(i64, &str, f64)]) -> ExemplarData {
        ExemplarData {
            series_labels: Some(
                series
                    .iter()
                    .map(|(n, v)| Label::new(*n, *v))
                    .collect::<Vec<_>>()
                    .into(),
            ),
            exemplars: exemplars
                .iter()
                .map(|(ts, trace, value)| Exemplar {
                    labels: Some(vec![Label::new("trace_id", *trace)].into()),
                    value: *value,
                    ts: *ts,
                })
                .collect(),
        }
    }

    #[test]
    fn replicas_exemplars_merge_by_series_once_each_in_time_order() {
        let a = data(
            &[("job", "api"), ("replica", "a")],
            &[(20, "y", 2.0), (10, "x", 1.0)],
        );
        let b = data(
            &[("job", "api"), ("replica", "b")],
            &[(10, "x", 1.0), (30, "z", 3.0)],
        );
        let other = data(&[("job", "db"), ("replica", "a")], &[(5, "w", 0.5)]);
        let empty = data(&[("job", "idle")], &[]);
        let replicas = vec!["replica".to_string()];
        let merged = merge(vec![other.clone(), a.clone(), b.clone(), empty], &replicas);
        assert_eq!(merged.len(), 2, "series without exemplars go");
        assert_eq!(
            merged[0].series_labels.as_ref().map(|s| s.labels.clone()),
            Some(vec![Label::new("job", "api")])
        );
        assert_eq!(
            merged[0].exemplars.iter().map(|e| e.ts).collect::<Vec<_>>(),
            [10, 20, 30]
        );
        assert_eq!(merged[1].exemplars.len(), 1);
        let apart = merge(vec![a, b, other], &[]);
        assert_eq!(
            apart.len(),
            3,
            "without replica labels each replica is a series"
        );
    }
}
