//! Rule groups from every endpoint that serves the Rules API, filtered and deduplicated as
//! Thanos' querier does: groups with the same file and name are one group; in it, replica
//! labels are removed from every rule's labels, and rules equal by type, name, labels, query
//! and (for alerting rules) hold duration are one rule, the copy kept being the alerting rule
//! in the most severe state (firing, pending, inactive) and then the most recently evaluated
//! one. Unlike Thanos, which sorts a group's rules, rules keep the order in which they were
//! first seen (the rules file's order, as Prometheus lists them); groups are sorted by file,
//! then name, as Prometheus sorts them, and a merged group's own fields (interval, limit,
//! evaluation time) are those of its most recently evaluated copy.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use mnemos_storeapi::convert;
use mnemos_storeapi::prost_types::Timestamp;
use mnemos_storeapi::thanos::rules_client::RulesClient;
use mnemos_storeapi::thanos::rules_request::Type as RuleType;
use mnemos_storeapi::thanos::{
    rule, rules_response, Label, Rule, RuleGroup, RulesRequest, RulesResponse, ZLabelSet,
};
use mnemos_tsdb::Matcher;

use crate::fanout::{partial_response_strategy, read_frames, Fanout};

/// Largest rules answer read from one endpoint.
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// Which rules a request wants (Prometheus' `type`, Thanos' `match[]`, `rule_name[]`,
/// `rule_group[]`, `file[]`).
#[derive(Clone, Debug, Default)]
pub struct RulesQuery {
    /// Alerting rules, recording rules or both; groups are kept even when none is left.
    pub rule_type: RuleType,
    /// `match[]` as written, passed on to the endpoints.
    pub matcher_strings: Vec<String>,
    /// `match[]` parsed: a rule is kept when its labels match every matcher of one set.
    pub matchers: Vec<Vec<Matcher>>,
    /// Rule names to keep (all when empty).
    pub rule_names: Vec<String>,
    /// Group names to keep (all when empty).
    pub rule_groups: Vec<String>,
    /// Files to keep (all when empty).
    pub files: Vec<String>,
}

impl RulesQuery {
    /// Whether a filter besides the type is set (then groups left without rules go).
    fn filters(&self) -> bool {
        !(self.matchers.is_empty()
            && self.rule_names.is_empty()
            && self.rule_groups.is_empty()
            && self.files.is_empty())
    }

    /// Whether a rule passes the type, name and `match[]` filters.
    fn keeps_rule(&self, r: &Rule) -> bool {
        let alert = matches!(r.result, Some(rule::Result::Alert(_)));
        let type_ok = match self.rule_type {
            RuleType::All => true,
            RuleType::Alert => alert,
            RuleType::Record => !alert,
        };
        let name_ok = self.rule_names.is_empty() || self.rule_names.contains(&rule_name(r));
        let labels = convert::labels(rule_labels(r).to_vec());
        let match_ok = self.matchers.is_empty()
            || self
                .matchers
                .iter()
                .any(|set| set.iter().all(|m| m.matches_labels(&labels)));
        type_ok && name_ok && match_ok
    }

    /// The groups that pass the filters, with the rules that pass them.
    pub fn filter(&self, groups: Vec<RuleGroup>) -> Vec<RuleGroup> {
        groups
            .into_iter()
            .filter(|g| self.rule_groups.is_empty() || self.rule_groups.contains(&g.name))
            .filter(|g| self.files.is_empty() || self.files.contains(&g.file))
            .filter_map(|mut g| {
                g.rules.retain(|r| self.keeps_rule(r));
                (!self.filters() || !g.rules.is_empty()).then_some(g)
            })
            .collect()
    }
}

fn rule_name(r: &Rule) -> String {
    match &r.result {
        Some(rule::Result::Alert(a)) => a.name.clone(),
        Some(rule::Result::Recording(rec)) => rec.name.clone(),
        None => String::new(),
    }
}

fn rule_labels(r: &Rule) -> &[Label] {
    let set = match &r.result {
        Some(rule::Result::Alert(a)) => a.labels.as_ref(),
        Some(rule::Result::Recording(rec)) => rec.labels.as_ref(),
        None => None,
    };
    set.map_or(&[], |s| s.labels.as_slice())
}

fn without_replica_labels(r: &mut Rule, replica_labels: &[String]) {
    let labels = match &mut r.result {
        Some(rule::Result::Alert(a)) => &mut a.labels,
        Some(rule::Result::Recording(rec)) => &mut rec.labels,
        None => return,
    };
    if let Some(set) = labels {
        set.labels.retain(|l| !replica_labels.contains(&l.name));
    }
}

/// What makes two rules the same rule: type, name, labels, query, hold duration.
type Identity = (bool, String, Vec<(String, String)>, String, u64);

fn identity(r: &Rule) -> Identity {
    let labels = rule_labels(r)
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect();
    match &r.result {
        Some(rule::Result::Alert(a)) => (
            true,
            a.name.clone(),
            labels,
            a.query.clone(),
            a.duration_seconds.to_bits(),
        ),
        Some(rule::Result::Recording(rec)) => {
            (false, rec.name.clone(), labels, rec.query.clone(), 0)
        }
        None => (false, String::new(), labels, String::new(), 0),
    }
}

fn time_key(t: &Option<Timestamp>) -> (i64, i32) {
    t.as_ref().map_or((i64::MIN, 0), |t| (t.seconds, t.nanos))
}

/// Whether `candidate` is the copy to keep over `kept` (both the same rule): the more severe
/// alert state, then the later evaluation.
fn better(candidate: &Rule, kept: &Rule) -> bool {
    match (&candidate.result, &kept.result) {
        (Some(rule::Result::Alert(c)), Some(rule::Result::Alert(k))) => {
            (c.state, time_key(&c.last_evaluation)) > (k.state, time_key(&k.last_evaluation))
        }
        (Some(rule::Result::Recording(c)), Some(rule::Result::Recording(k))) => {
            time_key(&c.last_evaluation) > time_key(&k.last_evaluation)
        }
        _ => false,
    }
}

/// One group per file and name, each rule once (see the module's documentation), replica
/// labels removed from the rules' labels; sorted by file, then name.
pub fn merge(groups: Vec<RuleGroup>, replica_labels: &[String]) -> Vec<RuleGroup> {
    struct Merged {
        group: RuleGroup,
        index: BTreeMap<Identity, usize>,
    }
    let mut merged: BTreeMap<(String, String), Merged> = BTreeMap::new();
    for mut group in groups {
        let rules = std::mem::take(&mut group.rules);
        let key = (group.file.clone(), group.name.clone());
        let m = match merged.entry(key) {
            Entry::Vacant(v) => v.insert(Merged {
                group,
                index: BTreeMap::new(),
            }),
            Entry::Occupied(o) => {
                let m = o.into_mut();
                if time_key(&group.last_evaluation) > time_key(&m.group.last_evaluation) {
                    let kept = std::mem::take(&mut m.group.rules);
                    m.group = RuleGroup {
                        rules: kept,
                        ..group
                    };
                }
                m
            }
        };
        for mut r in rules {
            without_replica_labels(&mut r, replica_labels);
            let id = identity(&r);
            match m.index.get(&id) {
                Some(&i) => {
                    if better(&r, &m.group.rules[i]) {
                        m.group.rules[i] = r;
                    }
                }
                None => {
                    m.index.insert(id, m.group.rules.len());
                    m.group.rules.push(r);
                }
            }
        }
    }
    merged.into_values().map(|m| m.group).collect()
}

impl Fanout {
    /// The rule groups `query` asks for from every endpoint serving them, filtered and
    /// merged without `replica_labels`; with the warnings (failed endpoints when `partial`).
    pub async fn rules(
        &self,
        query: &RulesQuery,
        replica_labels: &[String],
        partial: bool,
    ) -> crate::Result<(Vec<RuleGroup>, Vec<String>)> {
        let request = RulesRequest {
            r#type: query.rule_type as i32,
            partial_response_strategy: partial_response_strategy(partial),
            matcher_string: query.matcher_strings.clone(),
            rule_name: query.rule_names.clone(),
            rule_group: query.rule_groups.clone(),
            file: query.files.clone(),
        };
        let (groups, warnings) = self
            .on_each_serving(
                |info| info.serves_rules,
                partial,
                |channel| {
                    let request = request.clone();
                    async move {
                        let mut client =
                            RulesClient::new(channel).max_decoding_message_size(MAX_ANSWER_BYTES);
                        let stream = client.rules(request).await?.into_inner();
                        read_frames(stream, |m: RulesResponse| match m.result? {
                            rules_response::Result::Group(g) => Some(Ok(g)),
                            rules_response::Result::Warning(w) => Some(Err(w)),
                        })
                        .await
                    }
                },
            )
            .await?;
        Ok((merge(query.filter(groups), replica_labels), warnings))
    }
}

/// The labels of a set, or none.
pub fn set_labels(set: &Option<ZLabelSet>) -> &[Label] {
    set.as_ref().map_or(&[], |s| s.labels.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::thanos::{Alert, AlertState, RecordingRule};

    fn set(pairs: &[(&str, &str)]) -> Option<ZLabelSet> {
        Some(
            pairs
                .iter()
                .map(|(n, v)| Label::new(*n, *v))
                .collect::<Vec<_>>()
                .into(),
        )
    }

    fn at(seconds: i64) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos: 0 })
    }

    fn alert(replica: &str, state: AlertState, evaluated: i64) -> Rule {
        Rule {
            result: Some(rule::Result::Alert(Alert {
                state: state as i32,
                name: "AlwaysOn".into(),
                query: "vector(1) > 0".into(),
                labels: set(&[("region", "eu"), ("replica", replica)]),
                last_evaluation: at(evaluated),
                ..Default::default()
            })),
        }
    }

    fn recording(name: &str, replica: &str, evaluated: i64) -> Rule {
        Rule {
            result: Some(rule::Result::Recording(RecordingRule {
                name: name.into(),
                query: "sum(up)".into(),
                labels: set(&[("region", "eu"), ("replica", replica)]),
                last_evaluation: at(evaluated),
                ..Default::default()
            })),
        }
    }

    fn group(file: &str, rules: Vec<Rule>, evaluated: i64, interval: f64) -> RuleGroup {
        RuleGroup {
            name: "demo".into(),
            file: file.into(),
            rules,
            interval,
            last_evaluation: at(evaluated),
            ..Default::default()
        }
    }

    #[test]
    fn replicas_rules_merge_keeping_file_order_the_worst_state_and_the_latest_evaluation() {
        let replicas = vec!["replica".to_string()];
        let a = group(
            "b.yml",
            vec![
                recording("z:rule", "a", 10),
                alert("a", AlertState::Firing, 10),
            ],
            10,
            1.0,
        );
        let b = group(
            "b.yml",
            vec![
                recording("z:rule", "b", 12),
                alert("b", AlertState::Pending, 12),
            ],
            12,
            2.0,
        );
        let other = group("a.yml", vec![recording("x", "a", 5)], 5, 1.0);
        let merged = merge(vec![a.clone(), b.clone(), other], &replicas);
        assert_eq!(
            merged.iter().map(|g| g.file.as_str()).collect::<Vec<_>>(),
            ["a.yml", "b.yml"],
            "sorted by file"
        );
        let g = &merged[1];
        assert_eq!(g.interval, 2.0, "the latest copy's group fields");
        assert_eq!(g.rules.len(), 2);
        let Some(rule::Result::Recording(r)) = &g.rules[0].result else {
            panic!("file order kept: {:?}", g.rules);
        };
        assert_eq!(r.last_evaluation, at(12), "the latest evaluation");
        assert_eq!(set_labels(&r.labels), &[Label::new("region", "eu")]);
        let Some(rule::Result::Alert(al)) = &g.rules[1].result else {
            panic!("alerting rule second");
        };
        assert_eq!(al.state(), AlertState::Firing, "the worst state first");
        assert_eq!(al.last_evaluation, at(10));

        // Without replica labels, replicas stay apart.
        let apart = merge(vec![a, b], &[]);
        assert_eq!(apart[0].rules.len(), 4);
    }

    #[test]
    fn filters_by_type_name_group_file_and_matchers() {
        let groups = || {
            vec![
                group(
                    "r.yml",
                    vec![recording("rec", "a", 1), alert("a", AlertState::Firing, 1)],
                    1,
                    1.0,
                ),
                RuleGroup {
                    name: "other".into(),
                    ..group("r.yml", vec![recording("rec2", "a", 1)], 1, 1.0)
                },
            ]
        };
        let only_alerts = RulesQuery {
            rule_type: RuleType::Alert,
            ..Default::default()
        }
        .filter(groups());
        assert_eq!(only_alerts.len(), 2, "groups stay under a type filter");
        assert_eq!(only_alerts[0].rules.len(), 1);
        assert!(only_alerts[1].rules.is_empty());
        let by_name = RulesQuery {
            rule_names: vec!["rec2".into()],
            ..Default::default()
        }
        .filter(groups());
        assert_eq!(by_name.len(), 1, "emptied groups go under other filters");
        assert_eq!(by_name[0].name, "other");
        let by_group_and_file = RulesQuery {
            rule_groups: vec!["demo".into()],
            files: vec!["r.yml".into()],
            ..Default::default()
        }
        .filter(groups());
        assert_eq!(by_group_and_file.len(), 1);
        let matching = |sets: Vec<Vec<Matcher>>| {
            RulesQuery {
                matchers: sets,
                ..Default::default()
            }
            .filter(groups())
            .iter()
            .map(|g| g.rules.len())
            .sum::<usize>()
        };
        assert_eq!(matching(vec![vec![Matcher::equal("region", "eu")]]), 3);
        assert_eq!(matching(vec![vec![Matcher::equal("region", "us")]]), 0);
        assert_eq!(
            matching(vec![
                vec![Matcher::equal("region", "us")],
                vec![Matcher::equal("replica", "a")]
            ]),
            3,
            "any one set matching keeps a rule"
        );
    }
}
