//! The resource's own rules: spec errors naming the field and value, the core's view of a
//! spec, checkpoints refused rather than misread, and conditions keeping their transition time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use podscale::hpa::{MetricSpec, MetricTarget};
use serde_json::{Value, json};

use super::*;

fn scaler(spec: Value) -> PodScaler {
    serde_json::from_value(json!({
        "apiVersion": "podscale.dev/v1alpha1",
        "kind": "PodScaler",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": spec,
    }))
    .unwrap()
}

fn base() -> Value {
    json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1,
        "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
    })
}

fn error_of(spec: Value) -> SpecError {
    scaler(spec).prepare().unwrap_err()
}

#[test]
fn errors_name_the_field_and_the_value() {
    let mut spec = base();
    spec["minReplicas"] = json!(0);
    assert_eq!(error_of(spec).path, "spec.schedules");

    let mut spec = base();
    spec["schedules"] = json!([{"timezone": "Etc/UTC", "start": "61 * * * *", "end": "0 18 * * *", "desiredReplicas": 2}]);
    let e = error_of(spec);
    assert_eq!(e.path, "spec.schedules[0].start");
    assert!(e.message.starts_with("`61 * * * *`: "), "{e}");

    let mut spec = base();
    spec["schedules"] = json!([{"timezone": "Mars/Base", "start": "0 8 * * *", "end": "0 18 * * *", "desiredReplicas": 2}]);
    let e = error_of(spec);
    assert_eq!(e.path, "spec.schedules[0].timezone");
    assert!(e.message.contains("Mars/Base"), "{e}");

    let mut spec = base();
    spec["schedules"] = json!([{"timezone": "Etc/UTC", "start": "0 8 * * *", "end": "0 8 * * *", "desiredReplicas": 2}]);
    assert_eq!(error_of(spec).path, "spec.schedules[0].end");

    let mut spec = base();
    spec["metrics"] = json!([{"type": "Resource"}]);
    assert_eq!(error_of(spec).path, "spec.metrics[0].resource");

    let mut spec = base();
    spec["metrics"][0]["resource"]["target"] = json!({"type": "AverageValue"});
    assert_eq!(
        error_of(spec).path,
        "spec.metrics[0].resource.target.averageValue"
    );

    let mut spec = base();
    spec["metrics"] = json!([{"type": "Memory"}]);
    let e = error_of(spec);
    assert_eq!(e.path, "spec.metrics[0].type");
    assert!(e.message.contains("`Memory`"), "{e}");

    let mut spec = base();
    spec["maxReplicas"] = json!(0);
    assert_eq!(error_of(spec).path, "spec.maxReplicas");

    let mut spec = base();
    spec["metrics"] = json!([]);
    assert_eq!(error_of(spec).path, "spec.metrics");
}

#[test]
fn schedules_become_external_metrics_and_a_scaled_object() {
    let mut spec = base();
    spec["minReplicas"] = json!(0);
    spec["cooldownPeriodSeconds"] = json!(60);
    spec["schedules"] = json!([{"timezone": "Asia/Seoul", "start": "0 8 * * *", "end": "0 18 * * *", "desiredReplicas": 3}]);
    let scaler = scaler(spec);
    let prepared = scaler.prepare().unwrap();
    let config = prepared.config(&scaler).unwrap();
    assert_eq!(config.hpa.metrics.len(), 2);
    assert_eq!(
        config.hpa.metrics[1],
        MetricSpec::External {
            metric: "s0-cron-Asia-Seoul-08xxx-018xxx",
            target: MetricTarget::AverageValue(1000),
        }
    );
    // Zero is the ScaledObject's; the HPA keeps one [newHPAForScaledObject].
    assert_eq!(config.hpa.min_replicas(), 1);
    let so = config.scaled_object.unwrap();
    assert_eq!(so.min_replica_count, Some(0));
    assert_eq!(so.max_replica_count, Some(10));
    assert_eq!(so.cooldown_period_seconds, Some(60));
    assert_eq!(
        prepared.feeds,
        vec![MetricFeed::Resource, MetricFeed::Schedule(0)]
    );
}

#[test]
fn a_checkpoint_of_another_version_or_shape_is_refused() {
    let status = |checkpoint: Value| PodScalerStatus {
        checkpoint: Some(checkpoint),
        ..PodScalerStatus::default()
    };
    let e =
        ScalerState::from_status(Some(&status(json!({"version": 2, "state": {}})))).unwrap_err();
    assert!(e.to_string().contains("format version 2"), "{e}");
    let e = ScalerState::from_status(Some(&status(json!({"version": 1, "state": {"hpa": 7}}))))
        .unwrap_err();
    assert!(
        e.to_string().starts_with("status.checkpoint: state.hpa"),
        "{e}"
    );
    assert_eq!(
        ScalerState::from_status(None).unwrap(),
        ScalerState::default()
    );
}

#[test]
fn ready_keeps_its_transition_time_while_its_status_holds() {
    let mut scaler = scaler(base());
    let state = ScalerState::default();
    let report = SyncReport::default();
    let first = scaler.status_after(None, &state, &report, 1_000_000);
    let ready = |s: &PodScalerStatus| {
        s.conditions
            .iter()
            .find(|c| c.type_ == "Ready")
            .cloned()
            .unwrap()
    };
    assert_eq!(ready(&first).status, "True");
    scaler.status = Some(first.clone());
    let second = scaler.status_after(None, &state, &report, 2_000_000);
    assert_eq!(
        ready(&second).last_transition_time,
        ready(&first).last_transition_time
    );
    assert_eq!(second.last_sync_time, Some(api_time(2_000_000)));
    scaler.status = Some(second);
    let failed = SyncReport {
        problem: Some(SyncProblem {
            reason: "InvalidSpec",
            message: "spec.x: y".to_owned(),
        }),
        ..SyncReport::default()
    };
    let third = scaler.status_after(None, &state, &failed, 3_000_000);
    assert_eq!(ready(&third).status, "False");
    assert_eq!(
        ready(&third).last_transition_time,
        Some(api_time(3_000_000))
    );
}
