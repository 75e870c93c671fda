//! The controller at scale: 1,000 PodScalers on the real control plane, synced by the real
//! `podscale run` binary. Prints how long the first round took, whether every PodScaler was
//! synced within each 15 s period after it, the sync latency (from the controller's own
//! `/metrics`) and the controller's peak RSS. A benchmark, not a test: it asserts only that
//! every PodScaler was synced without errors; `make bench-controller` runs it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use podscale_controller::podscaler::PodScaler;
use serde_json::json;
use support::cluster::{client, kubeconfig};

const SCALERS: usize = 1000;
const NAMESPACE: &str = "scale";
const PERIOD: Duration = Duration::from_secs(15);

/// `/metrics` of the controller, as text.
fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

/// The value of the first line starting with `prefix`.
fn value(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// The `q` quantile of the decision-duration histogram: the upper bound of its bucket.
fn quantile(metrics: &str, q: f64) -> f64 {
    let buckets: Vec<(f64, f64)> = metrics
        .lines()
        .filter(|l| l.starts_with("podscale_decision_duration_seconds_bucket"))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let count = l.rsplit(' ').next()?.parse().ok()?;
            Some((le.parse().unwrap_or(f64::INFINITY), count))
        })
        .collect();
    let total = buckets.last().map_or(0.0, |b| b.1);
    buckets
        .iter()
        .find(|(_, count)| *count >= q * total)
        .map_or(f64::NAN, |b| b.0)
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark of a few minutes: make bench-controller"]
async fn a_thousand_podscalers_each_synced_every_period() {
    let config = kubeconfig();
    let client = client().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": NAMESPACE}})).unwrap(),
        )
        .await
        .unwrap();
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NAMESPACE);
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    let scalers: Api<PodScaler> = Api::namespaced(client.clone(), NAMESPACE);
    let setup = Instant::now();
    stream::iter(0..SCALERS)
        .map(|i| {
            let (deployments, pods, scalers) = (deployments.clone(), pods.clone(), scalers.clone());
            async move {
                let name = format!("w{i:04}");
                let labels = json!({"app": name});
                let spec = json!({"containers": [{"name": "app", "image": "app", "resources": {"requests": {"cpu": "100m"}}}]});
                deployments
                    .create(&PostParams::default(), &serde_json::from_value(json!({
                        "metadata": {"name": name},
                        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                            "template": {"metadata": {"labels": labels}, "spec": spec}},
                    })).unwrap())
                    .await?;
                let pod = format!("{name}-0");
                pods.create(&PostParams::default(), &serde_json::from_value(json!({
                    "metadata": {"name": pod, "labels": labels}, "spec": spec,
                })).unwrap())
                .await?;
                pods.patch_status(&pod, &PatchParams::default(), &Patch::Merge(json!({"status": {
                    "phase": "Running", "startTime": "2026-01-01T00:00:00Z",
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:10Z"}],
                }})))
                .await?;
                // Half scale on CPU (no metrics server runs here: each sync reports the
                // outage as a condition), half on a schedule that is always open.
                let scaling = if i % 2 == 0 {
                    json!({"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]})
                } else {
                    json!({"schedules": [{"timezone": "Etc/UTC", "start": "* * * * *", "end": "0 0 1 1 *", "desiredReplicas": 1}]})
                };
                let mut spec = json!({
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": 1, "maxReplicas": 10,
                });
                spec.as_object_mut().unwrap().extend(scaling.as_object().unwrap().clone());
                scalers
                    .create(&PostParams::default(), &serde_json::from_value(json!({
                        "apiVersion": "podscale.dev/v1alpha1", "kind": "PodScaler",
                        "metadata": {"name": name}, "spec": spec,
                    })).unwrap())
                    .await?;
                Ok::<_, kube::Error>(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    eprintln!(
        "created {SCALERS} Deployments, pods and PodScalers in {:.1?}",
        setup.elapsed()
    );

    let port = free_port();
    let mut controller = Command::new(env!("CARGO_BIN_EXE_podscale"))
        .args([
            "run",
            "--namespace",
            NAMESPACE,
            "--ops-addr",
            &format!("127.0.0.1:{port}"),
            "--log-filter",
            "warn",
        ])
        .env("KUBECONFIG", &config)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();

    // The first round: every PodScaler has a status.
    let first_round = loop {
        let list = scalers.list(&ListParams::default()).await.unwrap();
        let synced = list
            .items
            .iter()
            .filter(|s| {
                s.status
                    .as_ref()
                    .is_some_and(|s| s.last_sync_time.is_some())
            })
            .count();
        if synced == SCALERS {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{synced} of {SCALERS} synced after 5 min"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("first round: all {SCALERS} synced {first_round:.1?} after start");

    // Three more periods: at each check, how many were synced within the last period.
    let mut stale_counts = Vec::new();
    for _ in 0..3 {
        tokio::time::sleep(PERIOD).await;
        let checked_at = jiff::Timestamp::now();
        let list = scalers.list(&ListParams::default()).await.unwrap();
        let stale = list
            .items
            .iter()
            .filter(|s| {
                let last = s
                    .status
                    .as_ref()
                    .and_then(|s| s.last_sync_time.as_ref())
                    .map(|t| t.0);
                last.is_none_or(|t| {
                    checked_at.duration_since(t) > jiff::SignedDuration::try_from(PERIOD).unwrap()
                })
            })
            .count();
        stale_counts.push(stale);
    }
    let metrics = scrape(port);
    let rss = peak_rss_kib(controller.id());
    controller.kill().unwrap();
    let _ = controller.wait();

    let reconciles = value(&metrics, "podscale_reconciles_total");
    let sum = value(&metrics, "podscale_decision_duration_seconds_sum");
    let count = value(&metrics, "podscale_decision_duration_seconds_count");
    let status_errors = value(
        &metrics,
        "podscale_reconcile_errors_total{reason=\"StatusWriteFailed\"}",
    );
    eprintln!("PodScalers not synced within the last 15 s, at three checks: {stale_counts:?}");
    eprintln!(
        "syncs: {reconciles} in {:.0?}; latency mean {:.1} ms, p50 <= {:.1} ms, p99 <= {:.1} ms",
        started.elapsed(),
        sum / count.max(1.0) * 1000.0,
        quantile(&metrics, 0.5) * 1000.0,
        quantile(&metrics, 0.99) * 1000.0,
    );
    eprintln!("controller peak RSS: {:.1} MiB", rss as f64 / 1024.0);
    assert_eq!(status_errors, 0.0, "status writes failed:\n{metrics}");
    assert!(count >= SCALERS as f64);
}
