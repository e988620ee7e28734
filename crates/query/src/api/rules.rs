//! `/api/v1/rules` and `/api/v1/alerts`: the rule groups and alerts of every endpoint that
//! serves the Rules API, merged ([`crate::rules`]), in Prometheus 2.42's JSON field for
//! field. Parameters: `type` (`alert`, `record`), Thanos' `match[]`, `rule_name[]`,
//! `rule_group[]`, `file[]`, and `dedup`, `replicaLabels[]`, `partial_response` as for
//! queries.

use std::fmt::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use mnemos_storeapi::prost_types::Timestamp;
use mnemos_storeapi::thanos::rules_request::Type as RuleType;
use mnemos_storeapi::thanos::{
    rule, Alert, AlertInstance, AlertState, Label, RecordingRule, RuleGroup,
};
use mnemos_tsdb::gofmt::{format_e, format_f};

use super::params::Params;
use super::response::{push_str, success, ApiError};
use super::{answer, endpoint_error, QueryApi};
use crate::rules::{set_labels, RulesQuery};

/// Go's zero `time.Time` in JSON: what Prometheus reports for a rule never evaluated.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// The replica labels a request removes: none without deduplication.
fn replica_labels(api: &QueryApi, p: &Params) -> Result<(Vec<String>, bool), ApiError> {
    let options = api.read_options(p, 0)?;
    let labels = if options.dedup {
        options.replica_labels
    } else {
        Vec::new()
    };
    Ok((labels, options.partial_response))
}

/// `/api/v1/rules`.
pub(super) async fn rules(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = api.clone();
    answer(
        &api,
        "/api/v1/rules",
        (q, &headers, &body),
        |p, _| async move {
            let query = rules_query(&p)?;
            let (replicas, partial) = replica_labels(&inner, &p)?;
            let (groups, warnings) = inner
                .fanout
                .rules(&query, &replicas, partial)
                .await
                .map_err(endpoint_error)?;
            Ok(success(&rules_json(&groups), &warnings))
        },
    )
    .await
}

/// `/api/v1/alerts`: the alerts of every alerting rule (after deduplication).
pub(super) async fn alerts(
    State(api): State<Arc<QueryApi>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let inner = api.clone();
    answer(
        &api,
        "/api/v1/alerts",
        (q, &headers, &body),
        |p, _| async move {
            let query = RulesQuery {
                rule_type: RuleType::Alert,
                ..Default::default()
            };
            let (replicas, partial) = replica_labels(&inner, &p)?;
            let (groups, warnings) = inner
                .fanout
                .rules(&query, &replicas, partial)
                .await
                .map_err(endpoint_error)?;
            Ok(success(&alerts_json(&groups), &warnings))
        },
    )
    .await
}

/// The rules a request asks for.
fn rules_query(p: &Params) -> Result<RulesQuery, ApiError> {
    let rule_type = match p.get("type").map(str::to_ascii_lowercase).as_deref() {
        None => RuleType::All,
        Some("alert") => RuleType::Alert,
        Some("record") => RuleType::Record,
        Some(other) => {
            return Err(ApiError::invalid_param(
                "type",
                &format!("not supported value {other:?}"),
            ))
        }
    };
    let strings = |name: &str| -> Vec<String> {
        p.all(name)
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    };
    let matcher_strings = strings("match[]");
    let matchers = matcher_strings
        .iter()
        .map(|m| mnemos_promql::selector_matchers(m).map_err(|e| ApiError::bad_data(e.to_string())))
        .collect::<Result<_, _>>()?;
    Ok(RulesQuery {
        rule_type,
        matcher_strings,
        matchers,
        rule_names: strings("rule_name[]"),
        rule_groups: strings("rule_group[]"),
        files: strings("file[]"),
    })
}

/// Appends a float as Go's `encoding/json` writes it (`'f'`, or `'e'` below 1e-6 and from
/// 1e21 on with a one-digit negative exponent); JSON has no NaN or infinities: 0.
fn push_float(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push('0');
        return;
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format_e(v);
        // Go's encoder turns `e-07` into `e-7`.
        match e.split_once("e-0") {
            Some((mantissa, exp)) => {
                let _ = write!(out, "{mantissa}e-{exp}");
            }
            None => out.push_str(&e),
        }
    } else {
        out.push_str(&format_f(v));
    }
}

/// Appends a time as Go's `time.Time` JSON (RFC 3339 with nanoseconds, UTC); the zero time
/// when absent.
fn push_time(out: &mut String, t: &Option<Timestamp>) {
    match t {
        Some(t) => push_str(
            out,
            &mnemos_tsdb::gofmt::rfc3339_nano(t.seconds, u32::try_from(t.nanos).unwrap_or(0)),
        ),
        None => push_str(out, ZERO_TIME),
    }
}

/// Appends labels as a JSON object in their order (sorted by name where they come from).
pub(super) fn push_label_object(out: &mut String, labels: &[Label]) {
    out.push('{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, &l.name);
        out.push(':');
        push_str(out, &l.value);
    }
    out.push('}');
}

/// An alert state as Prometheus writes it.
fn state_name(s: AlertState) -> &'static str {
    match s {
        AlertState::Inactive => "inactive",
        AlertState::Pending => "pending",
        AlertState::Firing => "firing",
        AlertState::Unknown => "unknown",
    }
}

fn push_alert(out: &mut String, a: &AlertInstance) {
    out.push_str(r#"{"labels":"#);
    push_label_object(out, set_labels(&a.labels));
    out.push_str(r#","annotations":"#);
    push_label_object(out, set_labels(&a.annotations));
    out.push_str(r#","state":"#);
    push_str(out, state_name(a.state()));
    if a.active_at.is_some() {
        out.push_str(r#","activeAt":"#);
        push_time(out, &a.active_at);
    }
    out.push_str(r#","value":"#);
    push_str(out, &a.value);
    out.push('}');
}

fn push_alerting_rule(out: &mut String, a: &Alert) {
    out.push_str(r#"{"state":"#);
    push_str(out, state_name(a.state()));
    out.push_str(r#","name":"#);
    push_str(out, &a.name);
    out.push_str(r#","query":"#);
    push_str(out, &a.query);
    out.push_str(r#","duration":"#);
    push_float(out, a.duration_seconds);
    out.push_str(r#","keepFiringFor":"#);
    push_float(out, a.keep_firing_for_seconds);
    out.push_str(r#","labels":"#);
    push_label_object(out, set_labels(&a.labels));
    out.push_str(r#","annotations":"#);
    push_label_object(out, set_labels(&a.annotations));
    out.push_str(r#","alerts":["#);
    for (i, alert) in a.alerts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_alert(out, alert);
    }
    out.push(']');
    push_rule_state(
        out,
        &a.health,
        &a.last_error,
        a.evaluation_duration_seconds,
        &a.last_evaluation,
        "alerting",
    );
}

/// The fields every rule ends with: health, last error, evaluation, type; closes the object.
fn push_rule_state(
    out: &mut String,
    health: &str,
    last_error: &str,
    evaluation_seconds: f64,
    last_evaluation: &Option<Timestamp>,
    kind: &str,
) {
    out.push_str(r#","health":"#);
    push_str(out, health);
    if !last_error.is_empty() {
        out.push_str(r#","lastError":"#);
        push_str(out, last_error);
    }
    out.push_str(r#","evaluationTime":"#);
    push_float(out, evaluation_seconds);
    out.push_str(r#","lastEvaluation":"#);
    push_time(out, last_evaluation);
    out.push_str(r#","type":"#);
    push_str(out, kind);
    out.push('}');
}

fn push_recording_rule(out: &mut String, r: &RecordingRule) {
    out.push_str(r#"{"name":"#);
    push_str(out, &r.name);
    out.push_str(r#","query":"#);
    push_str(out, &r.query);
    let labels = set_labels(&r.labels);
    if !labels.is_empty() {
        out.push_str(r#","labels":"#);
        push_label_object(out, labels);
    }
    push_rule_state(
        out,
        &r.health,
        &r.last_error,
        r.evaluation_duration_seconds,
        &r.last_evaluation,
        "recording",
    );
}

fn push_group(out: &mut String, g: &RuleGroup) {
    out.push_str(r#"{"name":"#);
    push_str(out, &g.name);
    out.push_str(r#","file":"#);
    push_str(out, &g.file);
    out.push_str(r#","rules":["#);
    let mut first = true;
    for r in &g.rules {
        let Some(result) = &r.result else { continue };
        if !first {
            out.push(',');
        }
        first = false;
        match result {
            rule::Result::Alert(a) => push_alerting_rule(out, a),
            rule::Result::Recording(rec) => push_recording_rule(out, rec),
        }
    }
    out.push_str(r#"],"interval":"#);
    push_float(out, g.interval);
    let _ = write!(out, r#","limit":{}"#, g.limit);
    out.push_str(r#","evaluationTime":"#);
    push_float(out, g.evaluation_duration_seconds);
    out.push_str(r#","lastEvaluation":"#);
    push_time(out, &g.last_evaluation);
    out.push('}');
}

/// Rule groups as Prometheus writes them: `{"groups":[…]}`.
pub fn rules_json(groups: &[RuleGroup]) -> String {
    let mut out = String::from(r#"{"groups":["#);
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_group(&mut out, g);
    }
    out.push_str("]}");
    out
}

/// The alerts of the groups' alerting rules as Prometheus writes them: `{"alerts":[…]}`.
pub fn alerts_json(groups: &[RuleGroup]) -> String {
    let mut out = String::from(r#"{"alerts":["#);
    let alerts = groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter_map(|r| match &r.result {
            Some(rule::Result::Alert(a)) => Some(&a.alerts),
            _ => None,
        })
        .flatten();
    for (i, a) in alerts.enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_alert(&mut out, a);
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::thanos::Rule;

    fn set(pairs: &[(&str, &str)]) -> Option<mnemos_storeapi::thanos::ZLabelSet> {
        Some(
            pairs
                .iter()
                .map(|(n, v)| Label::new(*n, *v))
                .collect::<Vec<_>>()
                .into(),
        )
    }

    #[test]
    fn go_json_floats() {
        let f = |v: f64| {
            let mut s = String::new();
            push_float(&mut s, v);
            s
        };
        assert_eq!(f(1.0), "1");
        assert_eq!(f(0.000123456), "0.000123456");
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(2e-10), "2e-10");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(f64::NAN), "0");
    }

    #[test]
    fn prometheus_rules_and_alerts_json() {
        let alert = AlertInstance {
            labels: set(&[("alertname", "AlwaysOn"), ("severity", "page")]),
            annotations: set(&[("summary", "a <b> & \"c\"")]),
            state: AlertState::Firing as i32,
            active_at: Some(Timestamp {
                seconds: 1_796_666_401,
                nanos: 123_456_789,
            }),
            value: "1e+00".into(),
            ..Default::default()
        };
        let group = RuleGroup {
            name: "demo".into(),
            file: "/rules.yml".into(),
            rules: vec![
                Rule {
                    result: Some(rule::Result::Alert(Alert {
                        state: AlertState::Firing as i32,
                        name: "AlwaysOn".into(),
                        query: "vector(1) > 0".into(),
                        duration_seconds: 0.0,
                        labels: set(&[("severity", "page")]),
                        annotations: set(&[("summary", "x")]),
                        alerts: vec![alert],
                        health: "ok".into(),
                        evaluation_duration_seconds: 0.000125,
                        last_evaluation: Some(Timestamp {
                            seconds: 1_796_666_402,
                            nanos: 0,
                        }),
                        ..Default::default()
                    })),
                },
                Rule {
                    result: Some(rule::Result::Recording(RecordingRule {
                        name: "job:up:sum".into(),
                        query: "sum by (job) (up)".into(),
                        health: "err".into(),
                        last_error: "boom".into(),
                        ..Default::default()
                    })),
                },
            ],
            interval: 1.0,
            limit: 0,
            evaluation_duration_seconds: 0.5,
            last_evaluation: None,
            ..Default::default()
        };
        assert_eq!(
            rules_json(std::slice::from_ref(&group)),
            concat!(
                r#"{"groups":[{"name":"demo","file":"/rules.yml","rules":["#,
                r#"{"state":"firing","name":"AlwaysOn","query":"vector(1) \u003e 0","duration":0,"keepFiringFor":0,"#,
                r#""labels":{"severity":"page"},"annotations":{"summary":"x"},"alerts":["#,
                r#"{"labels":{"alertname":"AlwaysOn","severity":"page"},"#,
                r#""annotations":{"summary":"a \u003cb\u003e \u0026 \"c\""},"state":"firing","#,
                r#""activeAt":"2026-12-07T18:00:01.123456789Z","value":"1e+00"}],"#,
                r#""health":"ok","evaluationTime":0.000125,"lastEvaluation":"2026-12-07T18:00:02Z","type":"alerting"},"#,
                r#"{"name":"job:up:sum","query":"sum by (job) (up)","health":"err","lastError":"boom","#,
                r#""evaluationTime":0,"lastEvaluation":"0001-01-01T00:00:00Z","type":"recording"}],"#,
                r#""interval":1,"limit":0,"evaluationTime":0.5,"lastEvaluation":"0001-01-01T00:00:00Z"}]}"#,
            )
        );
        assert_eq!(rules_json(&[]), r#"{"groups":[]}"#);
        let alerts = alerts_json(&[group]);
        assert!(
            alerts.starts_with(r#"{"alerts":[{"labels":{"alertname":"AlwaysOn","#),
            "{alerts}"
        );
        assert_eq!(alerts_json(&[]), r#"{"alerts":[]}"#);
    }

    #[test]
    fn rules_parameters() {
        let p = |q: &str| Params::parse(Some(q), None).expect("params");
        let q = rules_query(&p(
            "type=ALERT&match[]=up{job=\"a\"}&rule_name[]=x&rule_group[]=g&file[]=f",
        ))
        .expect("valid");
        assert_eq!(q.rule_type, RuleType::Alert);
        assert_eq!(q.matchers.len(), 1);
        assert_eq!(
            (q.rule_names, q.rule_groups, q.files),
            (vec!["x".into()], vec!["g".into()], vec!["f".into()])
        );
        let bad = rules_query(&p("type=nope")).expect_err("bad type");
        assert_eq!(
            bad.message,
            r#"invalid parameter "type": not supported value "nope""#
        );
        assert!(rules_query(&p("match[]=up{")).is_err());
    }
}
