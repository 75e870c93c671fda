//! The controller on a real kube-apiserver and etcd: scale up, stabilization, scale down,
//! policy limits, the schedules' scale to zero and back, restarts, bad specs and a target
//! that goes away. Time is the test's clock; every sync is one call, 15 s apart.
//!
//! These need the binaries of `make controlplane`, so a plain `cargo test` skips them:
//! `make controlplane-test` runs them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::json;
use support::cluster::World;

const NEEDS: &str = "needs the control plane binaries (make controlplane)";

/// `kubectl autoscale deployment NAME --cpu-percent=50 --min=1 --max=10`.
fn cpu_50(target: &str) -> serde_json::Value {
    json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
        "minReplicas": 1,
        "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
    })
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn scales_up_holds_through_the_stabilization_window_then_scales_down() {
    let w = World::new("scale-up-down").await;
    w.deployment("web", 1, "200m").await;
    w.podscaler("web", cpu_50("web")).await.expect(NEEDS);

    // 400m of 200m is 200% against 50%: four pods.
    w.set_cpu("web", 400).await;
    let synced = w.sync("web").await;
    assert_eq!(synced.rescaled_to, Some(4));
    assert_eq!(w.replicas("web").await, 4);
    let events = w.events("web").await;
    assert!(
        events.iter().any(|(t, r, n)| t == "Normal"
            && r == "SuccessfulRescale"
            && n == "New size: 4; reason: cpu resource utilization (percentage of request) above target"),
        "{events:?}"
    );
    let (status, reason, message) = w.condition("web", "ScalingActive").await.unwrap();
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "ValidMetricFound")
    );
    assert!(
        message.contains("cpu resource utilization (percentage of request)"),
        "{message}"
    );
    let scaler = w.podscalers().get("web").await.unwrap();
    let status = scaler.status.unwrap();
    assert_eq!(status.desired_replicas, Some(4));
    assert_eq!(
        status.current_metrics[0]
            .resource
            .as_ref()
            .unwrap()
            .current
            .average_utilization,
        Some(200)
    );
    w.settle("web").await;

    // Load falls to 50m a pod (25%): two pods would do, but the default five-minute window
    // holds four until every recommendation of the last 300 s is two or fewer.
    w.set_cpu("web", 50).await;
    let seen = w.run_for("web", "web", 285).await;
    assert!(seen.iter().all(|r| *r == 4), "{seen:?}");
    let (_, reason, _) = w.condition("web", "AbleToScale").await.unwrap();
    assert_eq!(reason, "ScaleDownStabilized");
    let seen = w.run_for("web", "web", 30).await;
    // The recommendation of 4 made at 0 s still counts at 300 s (only older ones are
    // dropped [stabilizeRecommendation]), so the scale-down comes at 315 s.
    assert_eq!(seen, vec![4, 2]);
    let events = w.events("web").await;
    assert!(
        events.iter().any(|(_, r, n)| r == "SuccessfulRescale"
            && n == "New size: 2; reason: All metrics below target"),
        "{events:?}"
    );
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn a_pods_policy_limits_each_scale_up() {
    let w = World::new("policy-limits").await;
    w.deployment("api", 1, "100m").await;
    let mut spec = cpu_50("api");
    spec["behavior"] = json!({"scaleUp": {
        "stabilizationWindowSeconds": 0,
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
    }});
    w.podscaler("api", spec).await.expect(NEEDS);
    w.set_cpu("api", 500).await; // 500% of the request: the metric alone asks for 10
    assert_eq!(w.sync("api").await.rescaled_to, Some(2));
    w.settle("api").await;
    w.set_cpu("api", 500).await;
    let (_, reason, _) = w.condition("api", "ScalingLimited").await.unwrap();
    assert_eq!(reason, "ScaleUpLimit");
    // One more pod per minute: nothing for the next three syncs, then one.
    let mut seen = Vec::new();
    for _ in 0..8 {
        w.clock.advance(15_000);
        w.sync("api").await;
        w.settle("api").await;
        w.set_cpu("api", 500).await;
        seen.push(w.replicas("api").await);
    }
    assert_eq!(seen, vec![2, 2, 2, 3, 3, 3, 3, 4]);
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn a_restart_inside_the_stabilization_window_continues_from_the_status() {
    let w = World::new("restart").await;
    w.deployment("web", 1, "200m").await;
    w.podscaler("web", cpu_50("web")).await.expect(NEEDS);
    w.set_cpu("web", 400).await;
    w.sync("web").await;
    w.settle("web").await;
    w.set_cpu("web", 50).await;
    w.run_for("web", "web", 150).await;

    // A new controller (nothing in memory) takes over halfway through the window: it reads
    // the checkpoint, so it neither scales down early nor restarts the window. Without a
    // restart the same timeline scales down at the sync 315 s after the scale-up (the first
    // test): the recommendation of 4 at 0 s still counts at 300 s [stabilizeRecommendation].
    let restarted = w.restarted_context().await;
    let mut seen = Vec::new();
    for _ in 0..11 {
        w.clock.advance(15_000);
        w.sync_with(&restarted, "web").await;
        w.settle("web").await;
        seen.push(w.replicas("web").await);
    }
    assert_eq!(seen, vec![4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 2]);
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn a_schedule_wakes_the_workload_from_zero_and_lets_it_sleep_after_the_cooldown() {
    let w = World::new("cron-zero").await;
    w.deployment("batch", 0, "100m").await;
    w.podscaler(
        "batch",
        json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "batch"},
            "minReplicas": 0,
            "maxReplicas": 5,
            "cooldownPeriodSeconds": 60,
            // 10:15 to 10:20 UTC each day; the clock starts at 10:00.
            "schedules": [{"timezone": "Etc/UTC", "start": "15 10 * * *", "end": "20 10 * * *", "desiredReplicas": 1}],
        }),
    )
    .await
    .expect(NEEDS);
    let mut seen = Vec::new();
    // 10:00 to 10:25, a sync every 15 s.
    for _ in 0..100 {
        w.sync("batch").await;
        w.settle("batch").await;
        seen.push(w.replicas("batch").await);
        w.clock.advance(15_000);
    }
    // Asleep until 10:15 (sync 60). At 10:20:00 the window has closed (the next end is
    // tomorrow's, after the next start), so the last active sync is 10:19:45; the cooldown ends
    // strictly after 10:20:45, at the sync of 10:21:00 (sync 84), which scales to zero.
    let first_awake = seen.iter().position(|r| *r == 1).unwrap();
    let last_awake = seen.iter().rposition(|r| *r == 1).unwrap();
    assert_eq!(first_awake, 60, "{seen:?}");
    assert_eq!(last_awake, 83, "{seen:?}");
    assert!(seen[..60].iter().all(|r| *r == 0));
    assert!(seen[60..=83].iter().all(|r| *r == 1));
    assert!(seen[84..].iter().all(|r| *r == 0));
    let scaler = w.podscalers().get("batch").await.unwrap();
    assert!(!scaler.status.unwrap().schedules[0].active);
    let events = w.events("batch").await;
    let rescales: Vec<&str> = events
        .iter()
        .filter(|(_, r, _)| r == "SuccessfulRescale")
        .map(|(_, _, n)| n.as_str())
        .collect();
    assert_eq!(
        rescales,
        vec![
            "New size: 1; reason: a schedule is active",
            "New size: 0; reason: no schedule active for the cooldown period",
        ]
    );
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn bad_specs_are_conditions_and_events_while_others_keep_working() {
    let w = World::new("bad-specs").await;
    w.deployment("good", 1, "200m").await;
    w.podscaler("good", cpu_50("good")).await.expect(NEEDS);

    // The API server's rules refuse min > max outright.
    let mut inverted = cpu_50("good");
    inverted["minReplicas"] = json!(5);
    inverted["maxReplicas"] = json!(2);
    let refused = w.podscaler("inverted", inverted).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("minReplicas must not be greater than maxReplicas"),
        "{refused}"
    );

    // What only the controller can check becomes Ready=False with the field and the value.
    let cron = |start: &str, zone: &str| {
        json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "good"},
            "minReplicas": 1, "maxReplicas": 3,
            "schedules": [{"timezone": zone, "start": start, "end": "0 18 * * *", "desiredReplicas": 2}],
        })
    };
    w.podscaler("bad-cron", cron("61 * * * *", "Etc/UTC"))
        .await
        .unwrap();
    w.podscaler("bad-zone", cron("0 9 * * *", "Mars/Olympus_Mons"))
        .await
        .unwrap();
    let mut missing = cpu_50("nowhere");
    missing["scaleTargetRef"]["name"] = json!("nowhere");
    w.podscaler("missing-target", missing).await.unwrap();

    w.set_cpu("good", 400).await;
    for name in ["bad-cron", "bad-zone", "missing-target", "good"] {
        w.sync(name).await;
    }
    assert_eq!(
        w.replicas("good").await,
        4,
        "the good one scaled regardless"
    );

    let (status, reason, message) = w.condition("bad-cron", "Ready").await.unwrap();
    assert_eq!((status.as_str(), reason.as_str()), ("False", "InvalidSpec"));
    assert!(
        message.starts_with("spec.schedules[0].start: `61 * * * *`"),
        "{message}"
    );
    let (_, reason, message) = w.condition("bad-zone", "Ready").await.unwrap();
    assert_eq!(reason, "InvalidSpec");
    assert!(
        message.starts_with("spec.schedules[0].timezone: `Mars/Olympus_Mons`"),
        "{message}"
    );
    let (_, reason, message) = w.condition("missing-target", "Ready").await.unwrap();
    assert_eq!(reason, "FailedGetScale");
    assert!(
        message.contains("Deployment bad-specs/nowhere"),
        "{message}"
    );
    let (status, reason, _) = w.condition("missing-target", "AbleToScale").await.unwrap();
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "FailedGetScale")
    );

    // One warning per distinct mistake, not one per sync.
    w.clock.advance(15_000);
    w.sync("bad-cron").await;
    let warnings: Vec<_> = w
        .events("bad-cron")
        .await
        .into_iter()
        .filter(|(t, r, _)| t == "Warning" && r == "InvalidSpec")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        w.events("missing-target")
            .await
            .iter()
            .any(|(t, r, _)| t == "Warning" && r == "FailedGetScale")
    );
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn a_deleted_and_recreated_target_is_picked_up_again() {
    let w = World::new("recreate").await;
    w.deployment("web", 1, "200m").await;
    w.podscaler("web", cpu_50("web")).await.expect(NEEDS);
    w.set_cpu("web", 100).await;
    w.sync("web").await;
    assert_eq!(w.condition("web", "Ready").await.unwrap().0, "True");

    w.deployments()
        .delete("web", &kube::api::DeleteParams::default())
        .await
        .unwrap();
    w.clock.advance(15_000);
    w.sync("web").await;
    let (status, reason, _) = w.condition("web", "Ready").await.unwrap();
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "FailedGetScale")
    );

    w.deployment("web", 2, "200m").await;
    w.set_cpu("web", 300).await;
    w.clock.advance(15_000);
    let synced = w.sync("web").await;
    assert_eq!(synced.current_replicas, Some(2));
    // 150% of 50% from 2 pods asks for 6; without `behavior` the HPA's legacy limit allows
    // max(2 x 2, 4) = 4 in one step [calculateScaleUpLimit].
    assert_eq!(synced.rescaled_to, Some(4));
    assert_eq!(w.condition("web", "Ready").await.unwrap().0, "True");
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn a_metrics_outage_is_a_condition_never_a_scale() {
    let w = World::new("metrics-outage").await;
    w.deployment("web", 3, "200m").await;
    w.podscaler("web", cpu_50("web")).await.expect(NEEDS);
    w.metrics.fail("metrics-outage", true);
    let synced = w.sync("web").await;
    assert_eq!(synced.rescaled_to, None);
    assert_eq!(w.replicas("web").await, 3);
    let (status, reason, message) = w.condition("web", "ScalingActive").await.unwrap();
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "FailedGetResourceMetric")
    );
    assert!(
        message.contains("the HPA was unable to compute the replica count"),
        "{message}"
    );
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn vertical_recommendations_go_to_the_status_within_the_policy() {
    let w = World::new("vertical").await;
    w.deployment("web", 2, "200m").await;
    let mut spec = cpu_50("web");
    spec["vertical"] = json!({"mode": "Recommend", "containerPolicies": [
        {"containerName": "app", "maxAllowed": {"cpu": "300m"}},
    ]});
    w.podscaler("web", spec).await.expect(NEEDS);
    w.set_cpu("web", 500).await; // each pod burns half a core
    for _ in 0..8 {
        w.sync("web").await;
        w.clock.advance(60_000);
    }
    let scaler = w.podscalers().get("web").await.unwrap();
    let recommendation = scaler.status.unwrap().recommendation.unwrap();
    let app = &recommendation.container_recommendations[0];
    assert_eq!(app.container_name, "app");
    // Half a core asks for more, but the policy caps the target at 300m; the uncapped target
    // says what the histogram wanted.
    assert_eq!(app.target["cpu"].0, "300m");
    let uncapped: i64 = app.uncapped_target["cpu"]
        .0
        .trim_end_matches('m')
        .parse()
        .unwrap();
    assert!(uncapped > 500, "{uncapped}");
    assert!(app.target.contains_key("memory"));
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn a_scale_write_that_conflicts_is_retried_without_losing_the_other_write() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use http::{Method, Request};
    use kube::api::{Patch, PatchParams};
    use kube::client::Body;
    use podscale_controller::reconciler::{Context, Settings};

    let w = World::new("conflict").await;
    w.deployment("web", 1, "200m").await;
    w.podscaler("web", cpu_50("web")).await.expect(NEEDS);
    w.set_cpu("web", 400).await;

    // Someone else writes the Deployment (an annotation: a new resourceVersion, the same
    // replicas) after this controller read the scale and before its write arrives.
    let meddled = Arc::new(AtomicBool::new(false));
    let scale_writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let service = {
        let inner = w.client.clone();
        let meddled = meddled.clone();
        let writes = scale_writes.clone();
        let namespace = w.namespace.clone();
        tower::service_fn(move |request: Request<Body>| {
            let (inner, meddled, namespace) = (inner.clone(), meddled.clone(), namespace.clone());
            if request.method() == Method::PUT && request.uri().path().ends_with("/scale") {
                writes.fetch_add(1, Ordering::SeqCst);
            }
            async move {
                if request.method() == Method::PUT
                    && request.uri().path().ends_with("/scale")
                    && !meddled.swap(true, Ordering::SeqCst)
                {
                    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
                        kube::Api::namespaced(inner.clone(), &namespace);
                    let note = json!({"metadata": {"annotations": {"team": "payments"}}});
                    deployments
                        .patch("web", &PatchParams::default(), &Patch::Merge(&note))
                        .await?;
                }
                inner.send(request).await
            }
        })
    };
    let ctx = Context::new(
        kube::Client::new(service, w.namespace.clone()),
        w.metrics.clone(),
        w.clock.clone(),
        w.ctx.pods().clone(),
        Settings::default(),
    );
    let synced = w.sync_with(&ctx, "web").await;
    assert!(
        meddled.load(Ordering::SeqCst),
        "the scale write was intercepted"
    );
    assert_eq!(
        scale_writes.load(Ordering::SeqCst),
        2,
        "refused once, then retried"
    );
    assert_eq!(synced.rescaled_to, Some(4));
    let deployment = w.deployments().get("web").await.unwrap();
    assert_eq!(deployment.spec.replicas, Some(4));
    assert_eq!(
        deployment.metadata.annotations.unwrap()["team"],
        "payments",
        "the other write is kept"
    );
}
