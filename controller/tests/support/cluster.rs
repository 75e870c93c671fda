//! A test world on the real control plane: one API server and etcd for the whole test binary,
//! a namespace per test, the controller's context driven by a clock the test moves, metrics
//! from a source the test sets, and the test itself acting as the ReplicaSet controller and
//! the kubelet (no controller-manager or kubelet runs): it creates the pods the Deployment asks
//! for and marks them Running and Ready.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, CustomResourceExt, ResourceExt};
use podscale_controller::clock::{Clock, ManualClock};
use podscale_controller::metrics_api::{
    ContainerUsage, DescribedObject, MetricQuery, MetricsError, MetricsFuture, MetricsSource,
    ObjectValue, PodUsage, PodValue,
};
use podscale_controller::podscaler::PodScaler;
use podscale_controller::reconciler::{Context, Settings, SyncSummary, pod_reflector};
use podscale_controlplane::ControlPlane;
use serde_json::{Value, json};

/// 2026-03-02T10:00:00Z: tests start their clocks here.
pub const START_MS: i64 = 1_772_445_600_000;

static CONTROL_PLANE: OnceLock<Mutex<Option<ControlPlane>>> = OnceLock::new();

/// The kubeconfig of the shared control plane, starting it (and installing the CRD) on first
/// use. Its processes are killed by the harness's watchdog when the test binary exits.
pub fn kubeconfig() -> std::path::PathBuf {
    let cell = CONTROL_PLANE.get_or_init(|| {
        let cp =
            ControlPlane::start().unwrap_or_else(|e| panic!("needs `make controlplane`?\n{e}"));
        let crd = serde_json::to_value(PodScaler::crd()).unwrap();
        cp.install_crd(&crd).unwrap();
        Mutex::new(Some(cp))
    });
    let guard = cell
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.as_ref().unwrap().kubeconfig_path().to_path_buf()
}

/// A client of the shared control plane, for this test's runtime.
pub async fn client() -> Client {
    let path = kubeconfig();
    let kubeconfig = Kubeconfig::read_from(&path).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

/// Metrics the test sets: a CPU usage per pod (by Deployment), served as metrics.k8s.io would.
#[derive(Clone, Default)]
pub struct TestMetrics {
    clock: ManualClock,
    /// namespace -> pod name -> millicores.
    cpu: Arc<Mutex<HashMap<String, BTreeMap<String, i64>>>>,
    /// Namespaces whose metrics API is down.
    failing: Arc<Mutex<Vec<String>>>,
    /// Answers of external metrics, by metric name.
    external: Arc<Mutex<HashMap<String, Vec<i64>>>>,
}

impl TestMetrics {
    pub fn new(clock: ManualClock) -> Self {
        Self {
            clock,
            ..Self::default()
        }
    }

    pub fn set_cpu(&self, namespace: &str, pod: &str, milli: i64) {
        let mut cpu = self.cpu.lock().unwrap();
        cpu.entry(namespace.to_owned())
            .or_default()
            .insert(pod.to_owned(), milli);
    }

    pub fn forget_pod(&self, namespace: &str, pod: &str) {
        if let Some(pods) = self.cpu.lock().unwrap().get_mut(namespace) {
            pods.remove(pod);
        }
    }

    pub fn fail(&self, namespace: &str, failing: bool) {
        let mut list = self.failing.lock().unwrap();
        list.retain(|n| n != namespace);
        if failing {
            list.push(namespace.to_owned());
        }
    }
}

impl MetricsSource for TestMetrics {
    fn pod_usage<'a>(&'a self, namespace: &'a str, _: &'a str) -> MetricsFuture<'a, Vec<PodUsage>> {
        Box::pin(async move {
            let request = format!("metrics.k8s.io pods in {namespace}");
            if self.failing.lock().unwrap().iter().any(|n| n == namespace) {
                return Err(MetricsError::Unavailable {
                    request,
                    message: "the server is currently unable to handle the request".to_owned(),
                });
            }
            let now = self.clock.now_ms();
            let cpu = self.cpu.lock().unwrap();
            let pods: Vec<PodUsage> = cpu
                .get(namespace)
                .into_iter()
                .flatten()
                .map(|(pod, milli)| PodUsage {
                    pod: pod.clone(),
                    timestamp_ms: now,
                    window_ms: 15_000,
                    containers: vec![ContainerUsage {
                        name: "app".to_owned(),
                        usage: BTreeMap::from([
                            ("cpu".to_owned(), *milli),
                            ("memory".to_owned(), 100 * 1024 * 1024 * 1000),
                        ]),
                    }],
                })
                .collect();
            if pods.is_empty() {
                return Err(MetricsError::NoMetrics { request });
            }
            Ok(pods)
        })
    }

    fn pods_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
        _: &'a str,
    ) -> MetricsFuture<'a, Vec<PodValue>> {
        Box::pin(async move {
            Err(MetricsError::NoMetrics {
                request: format!("custom.metrics.k8s.io {namespace} pods/*/{}", metric.name),
            })
        })
    }

    fn object_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
        _: &'a DescribedObject,
    ) -> MetricsFuture<'a, ObjectValue> {
        Box::pin(async move {
            Err(MetricsError::NoMetrics {
                request: format!("custom.metrics.k8s.io {namespace} {}", metric.name),
            })
        })
    }

    fn external_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
    ) -> MetricsFuture<'a, Vec<i64>> {
        Box::pin(async move {
            self.external
                .lock()
                .unwrap()
                .get(&metric.name)
                .cloned()
                .ok_or_else(|| MetricsError::NoMetrics {
                    request: format!("external.metrics.k8s.io {namespace} {}", metric.name),
                })
        })
    }
}

/// One test's namespace, controller context, clock and metrics.
pub struct World {
    pub client: Client,
    pub namespace: String,
    pub clock: ManualClock,
    pub metrics: TestMetrics,
    pub ctx: Arc<Context<TestMetrics, ManualClock>>,
    pods_task: tokio::task::JoinHandle<()>,
    next_pod: Mutex<u64>,
}

impl Drop for World {
    fn drop(&mut self) {
        self.pods_task.abort();
    }
}

impl World {
    /// A fresh namespace `name` with a controller context over it.
    pub async fn new(name: &str) -> Self {
        let client = client().await;
        Self::build(name, client.clone(), client, Some(name)).await
    }

    /// A fresh namespace `name`, set up by the admin client as [`World::new`] does, with a
    /// controller context whose every request goes through `controller` (another identity,
    /// such as the service account of deploy/rbac.yaml) and whose pod cache watches every
    /// namespace, as `podscale run` does without `--namespace`.
    pub async fn acting_as(name: &str, controller: Client) -> Self {
        Self::build(name, client().await, controller, None).await
    }

    async fn build(
        name: &str,
        client: Client,
        controller: Client,
        pods_namespace: Option<&str>,
    ) -> Self {
        let namespaces: Api<Namespace> = Api::all(client.clone());
        namespaces
            .create(
                &PostParams::default(),
                &serde_json::from_value(json!({"metadata": {"name": name}})).unwrap(),
            )
            .await
            .unwrap();
        let clock = ManualClock::new(START_MS);
        let metrics = TestMetrics::new(clock.clone());
        let (store, task) = pod_reflector(controller.clone(), pods_namespace);
        let pods_task = tokio::spawn(task);
        store.wait_until_ready().await.unwrap();
        let ctx = Arc::new(Context::new(
            controller,
            metrics.clone(),
            clock.clone(),
            store,
            Settings::default(),
        ));
        Self {
            client,
            namespace: name.to_owned(),
            clock,
            metrics,
            ctx,
            pods_task,
            next_pod: Mutex::new(0),
        }
    }

    /// A second controller over the same namespace, sharing nothing with the first but the
    /// cluster and the clock: a restart, or another replica.
    pub async fn restarted_context(&self) -> Arc<Context<TestMetrics, ManualClock>> {
        let (store, task) = pod_reflector(self.client.clone(), Some(&self.namespace));
        tokio::spawn(task);
        store.wait_until_ready().await.unwrap();
        Arc::new(Context::new(
            self.client.clone(),
            self.metrics.clone(),
            self.clock.clone(),
            store,
            Settings::default(),
        ))
    }

    pub fn deployments(&self) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    pub fn podscalers(&self) -> Api<PodScaler> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// A Deployment `name` of `replicas` pods, each requesting `cpu_request`, and its pods.
    pub async fn deployment(&self, name: &str, replicas: i32, cpu_request: &str) {
        let labels = json!({"app": name});
        let deployment: Deployment = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{
                        "name": "app",
                        "image": "registry.k8s.io/hpa-example",
                        "resources": {"requests": {"cpu": cpu_request}},
                    }]},
                },
            },
        }))
        .unwrap();
        self.deployments()
            .create(&PostParams::default(), &deployment)
            .await
            .unwrap();
        self.settle(name).await;
    }

    /// Acts as the ReplicaSet controller and the kubelet for Deployment `name`: pods up or
    /// down to `spec.replicas`, new ones Running and Ready since a minute before now (past
    /// the CPU initialization period would need five; a minute is enough for readiness), the
    /// status replicas updated; then waits for the pod cache to see them.
    pub async fn settle(&self, name: &str) {
        let deployment = self.deployments().get(name).await.unwrap();
        let want = deployment.spec.replicas.unwrap_or(1);
        let template = deployment.spec.template.clone();
        let selector = format!("app={name}");
        let mut pods = self
            .pods()
            .list(&ListParams::default().labels(&selector))
            .await
            .unwrap()
            .items;
        pods.sort_by_key(|p| p.name_any());
        let have = i32::try_from(pods.len()).unwrap();
        // The newest go first, as a ReplicaSet scales down.
        for pod in pods
            .iter()
            .rev()
            .take(usize::try_from((have - want).max(0)).unwrap())
        {
            self.pods()
                .delete(&pod.name_any(), &DeleteParams::default().grace_period(0))
                .await
                .unwrap();
            self.metrics.forget_pod(&self.namespace, &pod.name_any());
        }
        for _ in have..want {
            let ordinal = {
                let mut next = self.next_pod.lock().unwrap();
                *next += 1;
                *next
            };
            let pod_name = format!("{name}-{ordinal:05}");
            let mut pod_json = json!({
                "metadata": {"name": pod_name, "labels": {"app": name}},
                "spec": template.spec,
            });
            pod_json["spec"]["nodeName"] = json!("node-a");
            let pod: Pod = serde_json::from_value(pod_json).unwrap();
            self.pods()
                .create(&PostParams::default(), &pod)
                .await
                .unwrap();
            // A pod started five minutes and a bit ago, ready ever since.
            let started = podscale_controller::podscaler::api_time(self.clock.now_ms() - 330_000);
            let ready = podscale_controller::podscaler::api_time(self.clock.now_ms() - 320_000);
            let status = json!({"status": {
                "phase": "Running",
                "startTime": started,
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ready}],
            }});
            self.pods()
                .patch_status(&pod_name, &PatchParams::default(), &Patch::Merge(&status))
                .await
                .unwrap();
        }
        let replicas = json!({"status": {"replicas": want, "readyReplicas": want}});
        self.deployments()
            .patch_status(name, &PatchParams::default(), &Patch::Merge(&replicas))
            .await
            .unwrap();
        self.wait_for_cached_pods(name, want).await;
    }

    /// Waits until the pod cache holds `count` ready pods of `name`.
    pub async fn wait_for_cached_pods(&self, name: &str, count: i32) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let cached = self
                .ctx
                .pods()
                .state()
                .iter()
                // A cache over every namespace (`acting_as`) holds other tests' pods too.
                .filter(|p| p.namespace().as_deref() == Some(self.namespace.as_str()))
                .filter(|p| p.labels().get("app").map(String::as_str) == Some(name))
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .count();
            if i32::try_from(cached).unwrap() == count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "pod cache has {cached} pods of {name}, want {count}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sets every current pod of `name` to use `milli` CPU.
    pub async fn set_cpu(&self, name: &str, milli: i64) {
        let pods = self
            .pods()
            .list(&ListParams::default().labels(&format!("app={name}")))
            .await
            .unwrap();
        for pod in pods.items {
            self.metrics
                .set_cpu(&self.namespace, &pod.name_any(), milli);
        }
    }

    /// Creates a PodScaler from its spec.
    pub async fn podscaler(&self, name: &str, spec: Value) -> Result<PodScaler, kube::Error> {
        let scaler: PodScaler = serde_json::from_value(json!({
            "apiVersion": "podscale.dev/v1alpha1",
            "kind": "PodScaler",
            "metadata": {"name": name},
            "spec": spec,
        }))
        .unwrap();
        self.podscalers()
            .create(&PostParams::default(), &scaler)
            .await
    }

    /// One sync of PodScaler `name` by `ctx`, as read fresh from the API server.
    pub async fn sync_with(
        &self,
        ctx: &Context<TestMetrics, ManualClock>,
        name: &str,
    ) -> SyncSummary {
        let scaler = self.podscalers().get(name).await.unwrap();
        ctx.sync(&scaler).await.unwrap()
    }

    /// One sync of PodScaler `name`.
    pub async fn sync(&self, name: &str) -> SyncSummary {
        self.sync_with(&self.ctx, name).await
    }

    /// Moves the clock `seconds` on, syncing `scaler` every 15 s on the way and settling the
    /// Deployment after each, as a running cluster would; returns the replicas after each sync.
    pub async fn run_for(&self, scaler: &str, deployment: &str, seconds: i64) -> Vec<i32> {
        let mut seen = Vec::new();
        for _ in 0..seconds / 15 {
            self.clock.advance(15_000);
            self.sync(scaler).await;
            self.settle(deployment).await;
            seen.push(self.replicas(deployment).await);
        }
        seen
    }

    /// The Deployment's `spec.replicas`.
    pub async fn replicas(&self, name: &str) -> i32 {
        let d = self.deployments().get(name).await.unwrap();
        d.spec.replicas.unwrap_or(1)
    }

    /// The PodScaler's condition `type_` as (status, reason, message).
    pub async fn condition(&self, name: &str, type_: &str) -> Option<(String, String, String)> {
        let scaler = self.podscalers().get(name).await.unwrap();
        scaler
            .status?
            .conditions
            .into_iter()
            .find(|c| c.type_ == type_)
            .map(|c| {
                (
                    c.status,
                    c.reason.unwrap_or_default(),
                    c.message.unwrap_or_default(),
                )
            })
    }

    /// The events on PodScaler `name`, oldest first, as (type, reason, note).
    pub async fn events(&self, name: &str) -> Vec<(String, String, String)> {
        let api: Api<k8s_openapi::api::events::v1::Event> =
            Api::namespaced(self.client.clone(), &self.namespace);
        let mut events = api.list(&ListParams::default()).await.unwrap().items;
        events.retain(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name));
        events.sort_by_key(|e| e.metadata.creation_timestamp.clone().map(|t| t.0));
        let _ = std::marker::PhantomData::<Event>;
        events
            .into_iter()
            .map(|e| {
                (
                    e.type_.unwrap_or_default(),
                    e.reason.unwrap_or_default(),
                    e.note.unwrap_or_default(),
                )
            })
            .collect()
    }
}
