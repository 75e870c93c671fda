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

mod never_panics {
    use proptest::prelude::*;

    use super::*;
    use crate::metrics_api::{ContainerUsage, PodUsage};

    fn cron_field() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "*", "0", "15", "*/5", "1-5", "0,30", "61", "-1", "Mon", "JAN", "?", "", "1-", "*/0",
        ])
        .prop_map(str::to_owned)
    }

    /// Mostly valid expressions (so that syncs run), sometimes anything.
    fn cron() -> impl Strategy<Value = String> {
        let valid = (
            0u32..60,
            0u32..24,
            prop::sample::select(vec!["*", "1-5", "Mon-Fri", "0,6"]),
        )
            .prop_map(|(m, h, dow)| format!("{m} {h} * * {dow}"));
        prop_oneof![
            8 => valid,
            2 => prop::collection::vec(cron_field(), 4..=6).prop_map(|f| f.join(" ")),
        ]
    }

    fn zone() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "Etc/UTC",
            "Asia/Seoul",
            "America/Sao_Paulo",
            "Pacific/Chatham",
            "Europe/Paris",
            "America/New_York",
            "Local",
            "Mars/Base",
        ])
        .prop_map(str::to_owned)
    }

    fn metric() -> impl Strategy<Value = Value> {
        prop_oneof![
            6 => (1i64..400).prop_map(|u| json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": u}}})),
            2 => prop::sample::select(vec!["100Mi", "1G", "0.5", "x", "", "1e400"]).prop_map(|q| json!({"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": q}}})),
            2 => Just(json!({"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "10"}}})),
            1 => Just(json!({"type": "Pods"})),
            1 => Just(json!({"type": "Unknown"})),
        ]
    }

    prop_compose! {
        fn spec()(
            min in prop::option::weighted(0.9, prop_oneof![9 => 0i32..4, 1 => -1i32..0]),
            max in prop_oneof![9 => 1i32..12, 1 => 0i32..1],
            idle in prop::option::weighted(0.1, 0i32..1),
            cooldown in prop::option::of(-5i32..400),
            metrics in prop::collection::vec(metric(), 1..3),
            schedules in prop::collection::vec((zone(), cron(), cron(), prop_oneof![9 => 1i32..4, 1 => 0i32..1]), 0..2),
            window in prop::sample::select(vec![None, Some("Keda"), Some("Civil")]),
        ) -> Value {
            let schedules: Vec<Value> = schedules
                .into_iter()
                .map(|(tz, start, end, desired)| json!({"timezone": tz, "start": start, "end": end, "desiredReplicas": desired, "windowMode": window}))
                .collect();
            json!({
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                "minReplicas": min, "maxReplicas": max, "idleReplicas": idle,
                "cooldownPeriodSeconds": cooldown,
                "metrics": metrics, "schedules": schedules,
                "vertical": {"mode": "Recommend"},
            })
        }
    }

    /// The property below is only worth something if many generated specs get past
    /// `prepare` to a whole sync.
    #[test]
    fn most_generated_specs_reach_a_sync() {
        use proptest::strategy::ValueTree as _;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let valid = (0..400)
            .filter(|_| {
                let spec = spec().new_tree(&mut runner).unwrap().current();
                serde_json::from_value::<PodScaler>(json!({
                    "apiVersion": "podscale.dev/v1alpha1", "kind": "PodScaler",
                    "metadata": {"name": "web", "namespace": "shop"}, "spec": spec,
                }))
                .is_ok_and(|scaler| scaler.prepare().is_ok())
            })
            .count();
        assert!(
            valid >= 80,
            "only {valid} of 400 generated specs were valid"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Whatever a user writes, a sync ends in an answer or an error naming a field.
        #[test]
        fn any_spec_any_instant(spec in spec(), now in 0i64..4_102_444_800_000, current in 0i32..20, cpu in 0i64..5000) {
            let Ok(scaler) = serde_json::from_value::<PodScaler>(json!({
                "apiVersion": "podscale.dev/v1alpha1", "kind": "PodScaler",
                "metadata": {"name": "web", "namespace": "shop"}, "spec": spec,
            })) else {
                return Ok(());
            };
            let mut state = ScalerState::default();
            let prepared = match scaler.prepare() {
                Ok(p) => p,
                Err(e) => {
                    prop_assert!(e.path.starts_with("spec"), "{e}");
                    return Ok(());
                }
            };
            let config = prepared.config(&scaler).unwrap();
            let step = scaler.schedule_step(&config, &state, current, now).unwrap();
            scaler.commit_schedule_step(&config, &mut state, &step, true, current, now).unwrap();
            let pods = vec![PodView {
                name: "web-1".to_owned(),
                phase: podscale::hpa::PodPhase::Running,
                deleting: false,
                start_time_ms: Some(now.saturating_sub(600_000)),
                ready: None,
                containers: vec![ContainerView {
                    name: "app".to_owned(),
                    kind: podscale::hpa::ContainerKind::Regular,
                    requests: vec![("cpu".to_owned(), 200), ("memory".to_owned(), 1 << 30)],
                }],
                overhead: None,
                pod_requests: None,
            }];
            let usage = vec![PodUsage {
                pod: "web-1".to_owned(),
                timestamp_ms: now,
                window_ms: 15_000,
                containers: vec![ContainerUsage {
                    name: "app".to_owned(),
                    usage: [("cpu".to_owned(), cpu), ("memory".to_owned(), cpu << 20)].into(),
                }],
            }];
            let mut readings: Vec<MetricReading> = prepared
                .feeds
                .iter()
                .filter(|f| !matches!(f, MetricFeed::Schedule(_)))
                .map(|f| match f {
                    MetricFeed::External(_) => MetricReading::External(vec![cpu]),
                    _ => MetricReading::Resource(usage.clone()),
                })
                .collect();
            readings.extend(schedule_readings(&config, &step));
            let scale = ScaleReading { spec_replicas: current, status_replicas: current, selector: podscale::hpa::SelectorState::Valid };
            let cluster = ClusterView { scale: &scale, pods: &pods, readings: &readings };
            if let Ok(outcome) = scaler.horizontal_step(&config, &podscale::hpa::ControllerConfig::default(), &mut state, cluster, now) {
                scaler.complete_horizontal(&config, &podscale::hpa::ControllerConfig::default(), &mut state, &outcome, true, now).unwrap();
                prop_assert!(outcome.desired_replicas >= 0);
            }
            scaler.vertical_step(&config, &mut state, &usage, now).unwrap();
            let status = scaler.status_after(Some(&config), &state, &SyncReport::default(), now);
            let restored = ScalerState::from_status(Some(&status)).unwrap();
            prop_assert_eq!(restored, state);
        }
    }
}
