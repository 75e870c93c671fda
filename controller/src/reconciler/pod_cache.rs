//! Pods from a reflector cache: one watch for every PodScaler, so a sync selects its target's
//! pods in memory instead of listing them. Each cached pod keeps only what the HPA reads.

use std::future::Future;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodStatus};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};

use crate::label_selector::LabelSelector;
use crate::podscaler::{PodView, pod_labels};

/// The container fields the HPA reads: name, requests and (for init containers) whether it
/// keeps running as a sidecar.
fn slim_container(c: &Container) -> Container {
    Container {
        name: c.name.clone(),
        resources: c.resources.clone().map(|mut r| {
            r.limits = None;
            r.claims = None;
            r
        }),
        restart_policy: c.restart_policy.clone(),
        ..Container::default()
    }
}

/// The pod without what the HPA never reads (managed fields, annotations, most of the spec
/// and status), so that a cache of many pods stays small.
fn slim(pod: &mut Pod) {
    pod.managed_fields_mut().clear();
    pod.annotations_mut().clear();
    pod.metadata.owner_references = None;
    if let Some(spec) = pod.spec.take() {
        pod.spec = Some(PodSpec {
            containers: spec.containers.iter().map(slim_container).collect(),
            init_containers: spec
                .init_containers
                .map(|list| list.iter().map(slim_container).collect()),
            overhead: spec.overhead,
            resources: spec.resources,
            ..PodSpec::default()
        });
    }
    if let Some(status) = pod.status.take() {
        pod.status = Some(PodStatus {
            phase: status.phase,
            start_time: status.start_time,
            conditions: status
                .conditions
                .map(|c| c.into_iter().filter(|c| c.type_ == "Ready").collect()),
            ..PodStatus::default()
        });
    }
}

/// A pod cache over `namespace` (every namespace when `None`), and the task that keeps it
/// current; run the task for the cache to fill.
pub fn pod_reflector(
    client: Client,
    namespace: Option<&str>,
) -> (Store<Pod>, impl Future<Output = ()> + Send + 'static) {
    let api: Api<Pod> = match namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    };
    let (store, writer) = reflector::store();
    let stream = watcher(api, watcher::Config::default())
        .default_backoff()
        .modify(slim);
    let task = reflector::reflector(writer, stream).for_each(|event| async move {
        if let Err(e) = event {
            tracing::warn!(error = %e, "pod watch failed; retrying");
        }
    });
    (store, task)
}

/// The pods of `namespace` that `selector` selects, as the HPA reads them
/// [podLister.Pods(namespace).List(selector)].
pub fn select_pods(store: &Store<Pod>, namespace: &str, selector: &LabelSelector) -> Vec<PodView> {
    let mut pods: Vec<PodView> = store
        .state()
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(namespace))
        .filter(|p| selector.matches(pod_labels(p)))
        .map(|p| PodView::from_pod(p))
        .collect();
    // Sorted by name, as the metrics APIs list them: the core matches samples in one pass.
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    pods
}
