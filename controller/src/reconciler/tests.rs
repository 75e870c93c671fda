//! One sync against a mock API server: the exact requests, in order, with their bodies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::client::Body;
use kube::runtime::reflector;
use kube::runtime::watcher;
use serde_json::{Value, json};

use super::{Context, Settings};
use crate::clock::ManualClock;
use crate::metrics_api::{
    ContainerUsage, DescribedObject, MetricQuery, MetricsError, MetricsFuture, MetricsSource,
    ObjectValue, PodUsage, PodValue,
};
use crate::podscaler::PodScaler;

const NOW_MS: i64 = 1_772_445_600_000;

/// Every pod uses 400m.
struct Busy;

impl MetricsSource for Busy {
    fn pod_usage<'a>(&'a self, _: &'a str, _: &'a str) -> MetricsFuture<'a, Vec<PodUsage>> {
        Box::pin(async {
            Ok(vec![PodUsage {
                pod: "web-1".to_owned(),
                timestamp_ms: NOW_MS,
                window_ms: 15_000,
                containers: vec![ContainerUsage {
                    name: "app".to_owned(),
                    usage: BTreeMap::from([("cpu".to_owned(), 400)]),
                }],
            }])
        })
    }
    fn pods_metric<'a>(
        &'a self,
        _: &'a str,
        _: &'a MetricQuery,
        _: &'a str,
    ) -> MetricsFuture<'a, Vec<PodValue>> {
        Box::pin(async {
            Err(MetricsError::NoMetrics {
                request: String::new(),
            })
        })
    }
    fn object_metric<'a>(
        &'a self,
        _: &'a str,
        _: &'a MetricQuery,
        _: &'a DescribedObject,
    ) -> MetricsFuture<'a, ObjectValue> {
        Box::pin(async {
            Err(MetricsError::NoMetrics {
                request: String::new(),
            })
        })
    }
    fn external_metric<'a>(
        &'a self,
        _: &'a str,
        _: &'a MetricQuery,
    ) -> MetricsFuture<'a, Vec<i64>> {
        Box::pin(async {
            Err(MetricsError::NoMetrics {
                request: String::new(),
            })
        })
    }
}

/// A request as seen: method, path and query, and the JSON body (`null` when empty).
type Seen = (String, String, Value);

/// Serves `answers` in turn (status, JSON body) and records every request.
fn mock(answers: Vec<(u16, Value)>) -> (Client, Arc<Mutex<Vec<Seen>>>) {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        for (status, body) in answers {
            let Some((request, send)) = handle.next_request().await else {
                return;
            };
            let (parts, body_in) = request.into_parts();
            let bytes = http_body_util::BodyExt::collect(body_in)
                .await
                .unwrap()
                .to_bytes();
            let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            log.lock().unwrap().push((
                parts.method.to_string(),
                parts.uri.path_and_query().unwrap().to_string(),
                json,
            ));
            send.send_response(
                Response::builder()
                    .status(status)
                    .body(Body::from(body.to_string().into_bytes()))
                    .unwrap(),
            );
        }
    });
    (Client::new(service, "default"), seen)
}

fn scaler() -> PodScaler {
    serde_json::from_value(json!({
        "apiVersion": "podscale.dev/v1alpha1",
        "kind": "PodScaler",
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "generation": 1},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1, "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
        },
    }))
    .unwrap()
}

fn pods() -> reflector::Store<Pod> {
    let (store, mut writer) = reflector::store();
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m"}}}]},
        "status": {
            "phase": "Running",
            "startTime": "2026-03-02T09:00:00Z",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-03-02T09:00:10Z"}],
        },
    }))
    .unwrap();
    writer.apply_watcher_event(&watcher::Event::Apply(pod));
    store
}

fn discovery() -> Value {
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1", "resources": [
        {"name": "deployments", "singularName": "deployment", "namespaced": true, "kind": "Deployment", "verbs": ["get", "list", "update"]},
        {"name": "deployments/scale", "singularName": "", "namespaced": true, "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]},
    ]})
}

fn scale(replicas: i32, resource_version: &str) -> Value {
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "shop", "resourceVersion": resource_version},
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas, "selector": "app=web"},
    })
}

fn conflict() -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict", "code": 409,
        "message": "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"})
}

/// The answers to a sync's last two writes: the status applied, an event created.
fn status_and_event() -> [(u16, Value); 2] {
    [
        (200, serde_json::to_value(scaler()).unwrap()),
        (
            201,
            json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"}}),
        ),
    ]
}

fn context(client: Client) -> Context<Busy, ManualClock> {
    Context::new(
        client,
        Busy,
        ManualClock::new(NOW_MS),
        pods(),
        Settings::default(),
    )
}

const SCALE: &str = "/apis/apps/v1/namespaces/shop/deployments/web/scale";
const STATUS: &str = "/apis/podscale.dev/v1alpha1/namespaces/shop/podscalers/web/status?&force=true&fieldManager=podscale";

#[tokio::test]
async fn a_sync_reads_the_scale_writes_it_once_then_applies_the_status_and_an_event() {
    let (client, seen) = mock(
        vec![
            (200, discovery()),
            (200, scale(1, "7")),
            (200, scale(4, "8")),
        ]
        .into_iter()
        .chain(status_and_event())
        .collect(),
    );
    let clock = ManualClock::new(NOW_MS);
    let ctx = Context::new(client, Busy, clock.clone(), pods(), Settings::default());
    let summary = ctx.sync(&scaler()).await.unwrap();
    assert_eq!(summary.rescaled_to, Some(4));
    // Its own status write wakes the controller at once; the next sync waits for the period,
    // unless the spec changes.
    assert_eq!(ctx.due_in(&scaler()), Some(Duration::from_secs(15)));
    clock.advance(14_000);
    assert_eq!(ctx.due_in(&scaler()), Some(Duration::from_secs(1)));
    let mut edited = scaler();
    edited.metadata.generation = Some(2);
    assert_eq!(ctx.due_in(&edited), None);
    clock.advance(1_000);
    assert_eq!(ctx.due_in(&scaler()), None);
    let seen = seen.lock().unwrap().clone();
    let requests: Vec<(&str, &str)> = seen
        .iter()
        .map(|(m, u, _)| (m.as_str(), u.as_str()))
        .collect();
    assert_eq!(
        requests,
        vec![
            ("GET", "/apis/apps/v1"),
            ("GET", SCALE),
            ("PUT", &format!("{SCALE}?")[..]),
            ("PATCH", STATUS),
            ("POST", "/apis/events.k8s.io/v1/namespaces/shop/events?"),
        ]
    );
    // The write carries the resource version it was decided on.
    assert_eq!(seen[2].2["metadata"]["resourceVersion"], "7");
    assert_eq!(seen[2].2["spec"]["replicas"], 4);
    // Server-side apply of the status alone.
    let status = &seen[3].2;
    assert_eq!(status["kind"], "PodScaler");
    assert!(status.get("spec").is_none());
    assert_eq!(status["status"]["desiredReplicas"], 4);
    assert_eq!(status["status"]["checkpoint"]["version"], 1);
    let event = &seen[4].2;
    assert_eq!(event["reason"], "SuccessfulRescale");
    assert_eq!(
        event["note"],
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"
    );
    assert_eq!(event["regarding"]["kind"], "PodScaler");
}

#[tokio::test]
async fn a_conflicting_scale_write_is_read_again_and_retried() {
    let (client, seen) = mock(
        vec![
            (200, discovery()),
            (200, scale(1, "7")),
            (409, conflict()),
            // Someone touched the Deployment (new version), not its replicas: retry on it.
            (200, scale(1, "9")),
            (200, scale(4, "10")),
        ]
        .into_iter()
        .chain(status_and_event())
        .collect(),
    );
    let summary = context(client).sync(&scaler()).await.unwrap();
    assert_eq!(summary.rescaled_to, Some(4));
    let seen = seen.lock().unwrap().clone();
    let requests: Vec<(&str, &str)> = seen
        .iter()
        .map(|(m, u, _)| (m.as_str(), u.as_str()))
        .collect();
    assert_eq!(
        requests,
        vec![
            ("GET", "/apis/apps/v1"),
            ("GET", SCALE),
            ("PUT", &format!("{SCALE}?")[..]),
            ("GET", SCALE),
            ("PUT", &format!("{SCALE}?")[..]),
            ("PATCH", STATUS),
            ("POST", "/apis/events.k8s.io/v1/namespaces/shop/events?"),
        ]
    );
    assert_eq!(seen[2].2["metadata"]["resourceVersion"], "7");
    assert_eq!(seen[4].2["metadata"]["resourceVersion"], "9");
}

#[tokio::test]
async fn replicas_changed_by_someone_else_are_not_overwritten() {
    let (client, seen) = mock(
        vec![
            (200, discovery()),
            (200, scale(1, "7")),
            (409, conflict()),
            // Someone scaled to 3 meanwhile: this sync gives up its write; the next decides from 3.
            (200, scale(3, "9")),
        ]
        .into_iter()
        .chain(status_and_event())
        .collect(),
    );
    let summary = context(client).sync(&scaler()).await.unwrap();
    assert_eq!(summary.rescaled_to, None);
    let seen = seen.lock().unwrap().clone();
    let methods: Vec<&str> = seen.iter().map(|(m, _, _)| m.as_str()).collect();
    assert_eq!(methods, vec!["GET", "GET", "PUT", "GET", "PATCH", "POST"]);
    let status = &seen[4].2["status"];
    let able = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "AbleToScale")
        .unwrap();
    assert_eq!(able["status"], "False");
    assert_eq!(able["reason"], "FailedUpdateScale");
    assert_eq!(seen[5].2["reason"], "FailedRescale");
}
