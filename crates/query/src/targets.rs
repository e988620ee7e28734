//! Scrape targets from every endpoint that serves the Targets API, deduplicated as Thanos'
//! querier does: replica labels removed from every target's labels, then one target per
//! (scrape URL, scrape pool, discovered labels, labels), keeping the worst health (down
//! before up before unknown, so a replica that cannot scrape shows) and then the latest
//! scrape.

use std::cmp::Ordering;

use mnemos_storeapi::thanos::targets_client::TargetsClient;
use mnemos_storeapi::thanos::targets_request::State;
use mnemos_storeapi::thanos::{
    targets_response, ActiveTarget, DroppedTarget, Label, TargetDiscovery, TargetsRequest,
    TargetsResponse, ZLabelSet,
};

use crate::fanout::{partial_response_strategy, read_frames, Fanout};

/// Largest targets answer read from one endpoint.
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// `set` without the labels in `drop`, sorted by name.
fn without(set: &Option<ZLabelSet>, drop: &[String]) -> Vec<Label> {
    let mut labels: Vec<Label> = set
        .as_ref()
        .map(|s| {
            s.labels
                .iter()
                .filter(|l| !drop.contains(&l.name))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    labels.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.value.cmp(&b.value)));
    labels
}

/// Labels as comparable pairs.
type LabelKey<'a> = Vec<(&'a str, &'a str)>;

fn label_key(labels: &[Label]) -> LabelKey<'_> {
    labels
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect()
}

fn set_key(set: &Option<ZLabelSet>) -> LabelKey<'_> {
    set.as_ref().map_or(Vec::new(), |s| label_key(&s.labels))
}

/// What makes two active targets the same: scrape URL, pool, discovered labels, labels.
fn active_identity(t: &ActiveTarget) -> (&str, &str, LabelKey<'_>, LabelKey<'_>) {
    (
        t.scrape_url.as_str(),
        t.scrape_pool.as_str(),
        set_key(&t.discovered_labels),
        set_key(&t.labels),
    )
}

/// Which of two copies of a target is kept: the worse health first, then the later scrape.
fn state_order(a: &ActiveTarget, b: &ActiveTarget) -> Ordering {
    let scrape = |t: &ActiveTarget| t.last_scrape.as_ref().map(|s| (s.seconds, s.nanos));
    a.health
        .cmp(&b.health)
        .then_with(|| scrape(b).cmp(&scrape(a)))
}

/// One copy of each target of `frames`, replica labels removed, sorted by identity.
pub fn dedup(frames: Vec<TargetDiscovery>, replica_labels: &[String]) -> TargetDiscovery {
    let mut active: Vec<ActiveTarget> = Vec::new();
    let mut dropped: Vec<DroppedTarget> = Vec::new();
    for frame in frames {
        active.extend(frame.active_targets.into_iter().map(|mut t| {
            t.discovered_labels = Some(without(&t.discovered_labels, replica_labels).into());
            t.labels = Some(without(&t.labels, replica_labels).into());
            t
        }));
        dropped.extend(frame.dropped_targets.into_iter().map(|mut t| {
            t.discovered_labels = Some(without(&t.discovered_labels, replica_labels).into());
            t
        }));
    }
    active.sort_by(|a, b| {
        active_identity(a)
            .cmp(&active_identity(b))
            .then_with(|| state_order(a, b))
    });
    active.dedup_by(|later, kept| active_identity(later) == active_identity(kept));
    dropped.sort_by(|a, b| set_key(&a.discovered_labels).cmp(&set_key(&b.discovered_labels)));
    dropped.dedup_by(|later, kept| later.discovered_labels == kept.discovered_labels);
    TargetDiscovery {
        active_targets: active,
        dropped_targets: dropped,
    }
}

impl Fanout {
    /// The targets in `state` from every endpoint serving them, deduplicated without
    /// `replica_labels`; with the warnings (failed endpoints when `partial`).
    pub async fn targets(
        &self,
        state: State,
        replica_labels: &[String],
        partial: bool,
    ) -> crate::Result<(TargetDiscovery, Vec<String>)> {
        let request = TargetsRequest {
            state: state as i32,
            partial_response_strategy: partial_response_strategy(partial),
        };
        let (frames, warnings) = self
            .on_each_serving(
                |info| info.serves_targets,
                partial,
                |channel| async move {
                    let mut client =
                        TargetsClient::new(channel).max_decoding_message_size(MAX_ANSWER_BYTES);
                    let stream = client.targets(request).await?.into_inner();
                    read_frames(stream, |m: TargetsResponse| match m.result? {
                        targets_response::Result::Targets(t) => Some(Ok(t)),
                        targets_response::Result::Warning(w) => Some(Err(w)),
                    })
                    .await
                },
            )
            .await?;
        Ok((dedup(frames, replica_labels), warnings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::prost_types::Timestamp;
    use mnemos_storeapi::thanos::TargetHealth;

    fn set(pairs: &[(&str, &str)]) -> Option<ZLabelSet> {
        Some(
            pairs
                .iter()
                .map(|(n, v)| Label::new(*n, *v))
                .collect::<Vec<_>>()
                .into(),
        )
    }

    fn target(replica: &str, health: TargetHealth, scraped: i64) -> ActiveTarget {
        ActiveTarget {
            discovered_labels: set(&[("__address__", "h:1"), ("replica", replica)]),
            labels: set(&[("job", "j"), ("replica", replica)]),
            scrape_pool: "j".into(),
            scrape_url: "http://h:1/metrics".into(),
            last_scrape: Some(Timestamp {
                seconds: scraped,
                nanos: 0,
            }),
            health: health as i32,
            ..Default::default()
        }
    }

    #[test]
    fn replicas_targets_become_one_keeping_the_worst_health_then_the_latest_scrape() {
        let replicas = vec!["replica".to_string()];
        let frames = |a: ActiveTarget, b: ActiveTarget| {
            vec![
                TargetDiscovery {
                    active_targets: vec![a],
                    dropped_targets: vec![DroppedTarget {
                        discovered_labels: set(&[("__address__", "x:1"), ("replica", "a")]),
                    }],
                },
                TargetDiscovery {
                    active_targets: vec![b],
                    dropped_targets: vec![DroppedTarget {
                        discovered_labels: set(&[("__address__", "x:1"), ("replica", "b")]),
                    }],
                },
            ]
        };
        let up = dedup(
            frames(
                target("a", TargetHealth::Up, 10),
                target("b", TargetHealth::Up, 12),
            ),
            &replicas,
        );
        assert_eq!(up.active_targets.len(), 1);
        assert_eq!(up.dropped_targets.len(), 1);
        let t = &up.active_targets[0];
        assert_eq!(t.last_scrape.as_ref().map(|s| s.seconds), Some(12));
        assert!(t
            .labels
            .as_ref()
            .is_some_and(|l| l.labels.iter().all(|l| l.name != "replica")));
        let down = dedup(
            frames(
                target("a", TargetHealth::Up, 12),
                target("b", TargetHealth::Down, 10),
            ),
            &replicas,
        );
        assert_eq!(down.active_targets[0].health(), TargetHealth::Down);
        let kept_apart = dedup(
            frames(
                target("a", TargetHealth::Up, 12),
                target("b", TargetHealth::Up, 10),
            ),
            &[],
        );
        assert_eq!(kept_apart.active_targets.len(), 2);
    }
}
