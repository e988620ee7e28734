//! The sidecar's Rules API (`thanos.Rules`): Prometheus' `/api/v1/rules`, one frame per rule
//! group, with the external labels added to every rule's labels as Thanos' sidecar adds them
//! (Prometheus does not; the labels of the alerts themselves are left as Prometheus reports
//! them).

use std::collections::BTreeMap;
use std::pin::Pin;

use futures::Stream;
use mnemos_storeapi::thanos::rules_request::Type as RuleType;
use mnemos_storeapi::thanos::rules_server::Rules;
use mnemos_storeapi::thanos::{
    rule, rules_response, Alert, AlertInstance, AlertState, PartialResponseStrategy, RecordingRule,
    Rule, RuleGroup, RulesRequest, RulesResponse,
};
use serde_json::Value;
use tonic::{Request, Response, Status};

use crate::api_json::{float, label_set, list, text, timestamp};
use crate::store::SidecarStore;

type RulesStream = Pin<Box<dyn Stream<Item = Result<RulesResponse, Status>> + Send>>;

/// An alert or rule state as Prometheus writes it (`inactive`, `pending`, `firing`).
fn alert_state(s: &str) -> AlertState {
    match s {
        "inactive" => AlertState::Inactive,
        "pending" => AlertState::Pending,
        "firing" => AlertState::Firing,
        _ => AlertState::Unknown,
    }
}

/// One active alert of an alerting rule.
fn alert_instance(a: &Value) -> Result<AlertInstance, String> {
    Ok(AlertInstance {
        labels: Some(label_set(&a["labels"], &BTreeMap::new())),
        annotations: Some(label_set(&a["annotations"], &BTreeMap::new())),
        state: alert_state(a["state"].as_str().unwrap_or_default()) as i32,
        active_at: timestamp(a, "activeAt")?,
        value: text(a, "value"),
        partial_response_strategy: PartialResponseStrategy::Warn as i32,
    })
}

/// One rule of a group, external labels added to its labels.
fn rule(r: &Value, external: &BTreeMap<String, String>) -> Result<Rule, String> {
    let result = match r["type"].as_str() {
        Some("alerting") => rule::Result::Alert(Alert {
            state: alert_state(r["state"].as_str().unwrap_or_default()) as i32,
            name: text(r, "name"),
            query: text(r, "query"),
            duration_seconds: float(r, "duration")?,
            labels: Some(label_set(&r["labels"], external)),
            annotations: Some(label_set(&r["annotations"], &BTreeMap::new())),
            alerts: list(r, "alerts")?
                .iter()
                .map(alert_instance)
                .collect::<Result<_, _>>()?,
            health: text(r, "health"),
            last_error: text(r, "lastError"),
            evaluation_duration_seconds: float(r, "evaluationTime")?,
            last_evaluation: timestamp(r, "lastEvaluation")?,
            keep_firing_for_seconds: float(r, "keepFiringFor")?,
        }),
        Some("recording") => rule::Result::Recording(RecordingRule {
            name: text(r, "name"),
            query: text(r, "query"),
            labels: Some(label_set(&r["labels"], external)),
            health: text(r, "health"),
            last_error: text(r, "lastError"),
            evaluation_duration_seconds: float(r, "evaluationTime")?,
            last_evaluation: timestamp(r, "lastEvaluation")?,
        }),
        other => return Err(format!("rule of unknown type {other:?}")),
    };
    Ok(Rule {
        result: Some(result),
    })
}

/// The rule groups of a `/api/v1/rules` answer's `data`, external labels added to every
/// rule's labels.
pub fn groups_from_api(
    data: &Value,
    external: &BTreeMap<String, String>,
) -> Result<Vec<RuleGroup>, String> {
    let in_group = |g: &Value| -> Result<RuleGroup, String> {
        Ok(RuleGroup {
            name: text(g, "name"),
            file: text(g, "file"),
            rules: list(g, "rules")?
                .iter()
                .map(|r| rule(r, external))
                .collect::<Result<_, _>>()?,
            interval: float(g, "interval")?,
            evaluation_duration_seconds: float(g, "evaluationTime")?,
            last_evaluation: timestamp(g, "lastEvaluation")?,
            // Prometheus has no partial responses (Thanos' sidecar says so too).
            partial_response_strategy: PartialResponseStrategy::Abort as i32,
            limit: g["limit"].as_i64().unwrap_or_default(),
        })
    };
    list(data, "groups")
        .and_then(|groups| groups.iter().map(in_group).collect())
        .map_err(|e| format!("rules answer: {e}"))
}

/// The `type` parameter of Prometheus' API for a request's rule type.
fn type_param(t: RuleType) -> &'static str {
    match t {
        RuleType::All => "",
        RuleType::Alert => "alert",
        RuleType::Record => "record",
    }
}

#[tonic::async_trait]
impl Rules for SidecarStore {
    type RulesStream = RulesStream;

    #[tracing::instrument(name = "sidecar.rules", skip_all)]
    async fn rules(&self, request: Request<RulesRequest>) -> Result<Response<RulesStream>, Status> {
        let req = request.into_inner();
        let _permit = self.admit().await?;
        let data = self
            .prometheus()
            .rules(type_param(req.r#type()))
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let groups = groups_from_api(&data, &self.external_labels()).map_err(Status::internal)?;
        let frames: Vec<Result<RulesResponse, Status>> = groups
            .into_iter()
            .map(|g| {
                Ok(RulesResponse {
                    result: Some(rules_response::Result::Group(g)),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(futures::stream::iter(frames))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_storeapi::prost_types::Timestamp;
    use mnemos_storeapi::thanos::Label;

    #[test]
    fn prometheus_rules_answer_with_external_labels_on_rules() {
        let data = serde_json::json!({"groups": [{
            "name": "demo",
            "file": "/etc/prometheus/rules.yml",
            "rules": [
                {
                    "state": "firing",
                    "name": "AlwaysOn",
                    "query": "vector(1) > 0",
                    "duration": 0,
                    "keepFiringFor": 0,
                    "labels": {"severity": "page"},
                    "annotations": {"summary": "value 1"},
                    "alerts": [{
                        "labels": {"alertname": "AlwaysOn", "severity": "page"},
                        "annotations": {"summary": "value 1"},
                        "state": "firing",
                        "activeAt": "2026-12-07T18:00:01.123456789Z",
                        "value": "1e+00"
                    }],
                    "health": "ok",
                    "evaluationTime": 0.000123,
                    "lastEvaluation": "2026-12-07T18:00:02Z",
                    "type": "alerting"
                },
                {
                    "name": "job:up:sum",
                    "query": "sum by (job) (up)",
                    "health": "err",
                    "lastError": "boom",
                    "evaluationTime": 0.5,
                    "lastEvaluation": "0001-01-01T00:00:00Z",
                    "type": "recording"
                }
            ],
            "interval": 1,
            "limit": 0,
            "evaluationTime": 0.00025,
            "lastEvaluation": "2026-12-07T18:00:02Z"
        }]});
        let ext = BTreeMap::from([
            ("region".to_string(), "eu".to_string()),
            ("severity".to_string(), "external".to_string()),
        ]);
        let groups = groups_from_api(&data, &ext).expect("converts");
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!((g.name.as_str(), g.interval, g.limit), ("demo", 1.0, 0));
        let Some(rule::Result::Alert(a)) = &g.rules[0].result else {
            panic!("alerting rule first: {:?}", g.rules[0]);
        };
        assert_eq!(a.state(), AlertState::Firing);
        // External labels win over the rule's own, as for series.
        assert_eq!(
            a.labels.as_ref().map(|l| l.labels.clone()),
            Some(vec![
                Label::new("region", "eu"),
                Label::new("severity", "external")
            ])
        );
        let instance = &a.alerts[0];
        assert_eq!(
            instance.labels.as_ref().map(|l| l.labels.len()),
            Some(2),
            "alerts keep Prometheus' labels"
        );
        assert_eq!(
            instance.active_at,
            Some(Timestamp {
                seconds: 1_796_666_401,
                nanos: 123_456_789
            })
        );
        assert_eq!(instance.value, "1e+00");
        assert_eq!(a.evaluation_duration_seconds, 0.000123);
        let Some(rule::Result::Recording(r)) = &g.rules[1].result else {
            panic!("recording rule second");
        };
        assert_eq!((r.health.as_str(), r.last_error.as_str()), ("err", "boom"));
        assert_eq!(
            r.labels.as_ref().map(|l| l.labels.clone()),
            Some(vec![
                Label::new("region", "eu"),
                Label::new("severity", "external")
            ])
        );
        assert_eq!(
            r.last_evaluation.as_ref().map(|t| t.seconds),
            Some(-62_135_596_800)
        );

        let bad_type = serde_json::json!({"groups": [{"rules": [{"type": "other"}]}]});
        assert!(groups_from_api(&bad_type, &ext).is_err());
        assert!(groups_from_api(&serde_json::json!({"groups": 1}), &ext).is_err());
        assert_eq!(
            groups_from_api(&serde_json::json!({"groups": []}), &ext).map(|g| g.len()),
            Ok(0)
        );
    }
}
