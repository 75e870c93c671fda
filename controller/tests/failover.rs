//! Two controller replicas on the real control plane, in real time with a short lease: one
//! acts, the other stands by; a graceful stop hands over at once, a crash after the lease
//! runs out, and at no point do both act.
//!
//! Needs the binaries of `make controlplane`; `make controlplane-test` runs it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use podscale_controller::clock::{Clock, SystemClock};
use podscale_controller::leader_election::LeaseTimings;
use podscale_controller::manager::{RunOptions, run};
use podscale_controller::metrics_api::{
    DescribedObject, MetricQuery, MetricsFuture, MetricsSource, ObjectValue, PodUsage, PodValue,
};
use podscale_controller::reconciler::Settings;
use serde_json::json;
use support::cluster::{TestMetrics, World};
use tokio::sync::oneshot;

/// Every metrics read, in order, by replica: only a replica that syncs reads metrics.
type ReadLog = Arc<Mutex<Vec<(Instant, &'static str)>>>;

#[derive(Clone)]
struct Replica {
    name: &'static str,
    inner: TestMetrics,
    log: ReadLog,
}

impl MetricsSource for Replica {
    fn pod_usage<'a>(&'a self, ns: &'a str, sel: &'a str) -> MetricsFuture<'a, Vec<PodUsage>> {
        self.log.lock().unwrap().push((Instant::now(), self.name));
        self.inner.pod_usage(ns, sel)
    }
    fn pods_metric<'a>(
        &'a self,
        ns: &'a str,
        m: &'a MetricQuery,
        s: &'a str,
    ) -> MetricsFuture<'a, Vec<PodValue>> {
        self.inner.pods_metric(ns, m, s)
    }
    fn object_metric<'a>(
        &'a self,
        ns: &'a str,
        m: &'a MetricQuery,
        o: &'a DescribedObject,
    ) -> MetricsFuture<'a, ObjectValue> {
        self.inner.object_metric(ns, m, o)
    }
    fn external_metric<'a>(
        &'a self,
        ns: &'a str,
        m: &'a MetricQuery,
    ) -> MetricsFuture<'a, Vec<i64>> {
        self.inner.external_metric(ns, m)
    }
}

const LEASE: Duration = Duration::from_secs(2);

fn start(
    w: &World,
    name: &'static str,
    log: &ReadLog,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let options = RunOptions {
        settings: Settings {
            sync_period: Duration::from_millis(500),
            instance: name.to_owned(),
            ..Settings::default()
        },
        namespace: Some(w.namespace.clone()),
        ops_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        leader_election: true,
        lease: (w.namespace.clone(), "podscale".to_owned()),
        identity: name.to_owned(),
        lease_timings: LeaseTimings {
            lease_duration: LEASE,
            renew_deadline: Duration::from_millis(1500),
            retry_period: Duration::from_millis(250),
        },
        concurrency: 4,
    };
    let replica = Replica {
        name,
        inner: w.metrics.clone(),
        log: log.clone(),
    };
    let client = w.client.clone();
    let task = tokio::spawn(async move {
        run(client, replica, SystemClock, options, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (stop, task)
}

async fn wait_for_reads(log: &ReadLog, name: &str, after: Instant, within: Duration) -> Instant {
    let deadline = Instant::now() + within;
    loop {
        let first = log
            .lock()
            .unwrap()
            .iter()
            .find(|(t, who)| *who == name && *t >= after)
            .map(|(t, _)| *t);
        if let Some(t) = first {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not sync within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn holder(w: &World) -> Option<String> {
    let leases: Api<Lease> = Api::namespaced(w.client.clone(), &w.namespace);
    leases.get("podscale").await.ok()?.spec?.holder_identity
}

/// Whether every read of `first` comes before every read of `second` after `from`.
fn partitioned(log: &ReadLog, first: &str, second: &str, from: Instant) -> bool {
    let log = log.lock().unwrap();
    let last_first = log
        .iter()
        .filter(|(t, w)| *w == first && *t >= from)
        .map(|(t, _)| *t)
        .max();
    let first_second = log
        .iter()
        .filter(|(t, w)| *w == second && *t >= from)
        .map(|(t, _)| *t)
        .min();
    match (last_first, first_second) {
        (Some(a), Some(b)) => a < b,
        _ => true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn one_replica_acts_and_the_other_takes_over_on_stop_and_on_crash() {
    let w = World::new("failover").await;
    w.clock.set(SystemClock.now_ms());
    w.deployment("web", 2, "200m").await;
    w.podscaler("web", json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 1, "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
    }))
    .await
    .unwrap();
    w.set_cpu("web", 100).await;
    let log: ReadLog = Arc::default();
    let t0 = Instant::now();

    let (stop_a, a) = start(&w, "a", &log);
    wait_for_reads(&log, "a", t0, Duration::from_secs(10)).await;
    let (_stop_b, b) = start(&w, "b", &log);
    tokio::time::sleep(LEASE * 2).await;
    assert_eq!(holder(&w).await.as_deref(), Some("a"));
    assert!(
        !log.lock().unwrap().iter().any(|(_, who)| *who == "b"),
        "the standby synced while the leader held the lease"
    );

    // A graceful stop releases the lease: the standby acts well within one lease duration.
    let stopped_at = Instant::now();
    stop_a.send(()).unwrap();
    a.await.unwrap();
    let b_first = wait_for_reads(&log, "b", stopped_at, LEASE * 3).await;
    let handover = b_first - stopped_at;
    eprintln!("graceful handover: {handover:?}");
    assert!(handover < LEASE, "took {handover:?}");
    assert!(
        partitioned(&log, "a", "b", t0),
        "a and b both synced at once"
    );
    assert_eq!(holder(&w).await.as_deref(), Some("b"));

    // A crash (the task dropped, nothing released): a new standby waits out the lease.
    let (_stop_c, c) = start(&w, "c", &log);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let crashed_at = Instant::now();
    b.abort();
    let _ = b.await;
    let c_first = wait_for_reads(&log, "c", crashed_at, LEASE * 5).await;
    let takeover = c_first - crashed_at;
    eprintln!("takeover after a crash: {takeover:?}");
    assert!(
        partitioned(&log, "b", "c", t0),
        "b and c both synced at once"
    );
    assert_eq!(holder(&w).await.as_deref(), Some("c"));
    c.abort();
}
