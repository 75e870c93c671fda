//! What the controller read from the cluster for one sync, owned, and its view in the core's
//! borrowed types.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use podscale::hpa::{
    ConditionStatus, Container, ContainerKind, ContainerUsage as CoreContainerUsage, MetricData,
    Pod as CorePod, PodMetricSample, PodPhase, PodResourceMetrics, ReadyCondition, ResourceAmount,
};

use crate::manifest::quantity::parse_scaled;
use crate::metrics_api::{MetricsError, ObjectValue, PodUsage, PodValue};

/// A pod as the HPA reads it: phase, readiness, start time and requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodView {
    /// `metadata.name`.
    pub name: String,
    /// `status.phase`.
    pub phase: PodPhase,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// `status.startTime`, Unix milliseconds.
    pub start_time_ms: Option<i64>,
    /// The `Ready` condition.
    pub ready: Option<ReadyCondition>,
    /// Regular containers, then init containers, with their requests in milli-units.
    pub containers: Vec<ContainerView>,
    /// `spec.overhead`, milli-units.
    pub overhead: Option<Vec<(String, i64)>>,
    /// `spec.resources.requests` (pod-level resources), milli-units.
    pub pod_requests: Option<Vec<(String, i64)>>,
}

/// One container of a [`PodView`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerView {
    /// `name`.
    pub name: String,
    /// Regular, sidecar (an init container that keeps running) or init.
    pub kind: ContainerKind,
    /// `resources.requests`, milli-units.
    pub requests: Vec<(String, i64)>,
}

/// Requests in milli-units. The API server validated every quantity, so one that does not
/// parse is left out, which the HPA reports as a missing request rather than guessing.
fn milli_amounts<'q>(
    list: impl IntoIterator<
        Item = (
            &'q String,
            &'q k8s_openapi::apimachinery::pkg::api::resource::Quantity,
        ),
    >,
) -> Vec<(String, i64)> {
    list.into_iter()
        .filter_map(|(name, q)| parse_scaled(&q.0, 3).ok().map(|m| (name.clone(), m)))
        .collect()
}

impl PodView {
    /// The pod as the HPA reads it [groupPods, calculatePodRequests].
    pub fn from_pod(pod: &Pod) -> Self {
        let spec = pod.spec.as_ref();
        let status = pod.status.as_ref();
        let phase = match status.and_then(|s| s.phase.as_deref()) {
            Some("Running") => PodPhase::Running,
            Some("Succeeded") => PodPhase::Succeeded,
            Some("Failed") => PodPhase::Failed,
            Some("Pending") => PodPhase::Pending,
            _ => PodPhase::Unknown,
        };
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
            .map(|c| ReadyCondition {
                status: match c.status.as_str() {
                    "True" => ConditionStatus::True,
                    "False" => ConditionStatus::False,
                    _ => ConditionStatus::Unknown,
                },
                last_transition_time_ms: c
                    .last_transition_time
                    .as_ref()
                    .map_or(0, |t| t.0.as_millisecond()),
            });
        let requests = |r: Option<&k8s_openapi::api::core::v1::ResourceRequirements>| {
            milli_amounts(r.and_then(|r| r.requests.as_ref()).into_iter().flatten())
        };
        let mut containers: Vec<ContainerView> = spec
            .map(|s| &s.containers[..])
            .unwrap_or_default()
            .iter()
            .map(|c| ContainerView {
                name: c.name.clone(),
                kind: ContainerKind::Regular,
                requests: requests(c.resources.as_ref()),
            })
            .collect();
        for c in spec
            .and_then(|s| s.init_containers.as_deref())
            .unwrap_or_default()
        {
            let kind = if c.restart_policy.as_deref() == Some("Always") {
                ContainerKind::Sidecar
            } else {
                ContainerKind::Init
            };
            containers.push(ContainerView {
                name: c.name.clone(),
                kind,
                requests: requests(c.resources.as_ref()),
            });
        }
        Self {
            name: pod.metadata.name.clone().unwrap_or_default(),
            phase,
            deleting: pod.metadata.deletion_timestamp.is_some(),
            start_time_ms: status
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0.as_millisecond()),
            ready,
            containers,
            overhead: spec
                .and_then(|s| s.overhead.as_ref())
                .map(|o| milli_amounts(o.iter())),
            pod_requests: spec
                .and_then(|s| s.resources.as_ref())
                .and_then(|r| r.requests.as_ref())
                .map(|r| milli_amounts(r.iter())),
        }
    }
}

/// What one metric's API answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricReading {
    /// `metrics.k8s.io` (Resource, ContainerResource).
    Resource(Vec<PodUsage>),
    /// `custom.metrics.k8s.io`, per pod (Pods).
    Pods(Vec<PodValue>),
    /// `custom.metrics.k8s.io`, one object (Object).
    Object(ObjectValue),
    /// `external.metrics.k8s.io` (External), or a schedule's value, milli-units.
    External(Vec<i64>),
    /// The API call failed.
    Failed(MetricsError),
}

/// A pod's `overhead` and pod-level requests in the core's amounts.
type PodExtras<'o> = (
    Option<Vec<ResourceAmount<'o>>>,
    Option<Vec<ResourceAmount<'o>>>,
);

/// The owned amounts the core's views borrow, built once per sync.
#[derive(Debug, Default)]
pub(crate) struct CoreViews<'o> {
    pod_amounts: Vec<Vec<Vec<ResourceAmount<'o>>>>,
    pod_extras: Vec<PodExtras<'o>>,
    usage_amounts: Vec<Vec<Vec<Vec<ResourceAmount<'o>>>>>,
    pod_samples: Vec<Vec<PodMetricSample<'o>>>,
}

fn amounts(list: &[(String, i64)]) -> Vec<ResourceAmount<'_>> {
    list.iter()
        .map(|(name, milli)| ResourceAmount::new(name, *milli))
        .collect()
}

impl<'o> CoreViews<'o> {
    /// Converts `pods` and `readings` into the amounts the core's views borrow.
    pub(crate) fn new(pods: &'o [PodView], readings: &'o [MetricReading]) -> Self {
        let pod_amounts = pods
            .iter()
            .map(|p| p.containers.iter().map(|c| amounts(&c.requests)).collect())
            .collect();
        let pod_extras = pods
            .iter()
            .map(|p| {
                (
                    p.overhead.as_deref().map(amounts),
                    p.pod_requests.as_deref().map(amounts),
                )
            })
            .collect();
        let usage_amounts = readings
            .iter()
            .map(|r| match r {
                MetricReading::Resource(list) => list
                    .iter()
                    .map(|pod| {
                        pod.containers
                            .iter()
                            .map(|c| {
                                c.usage
                                    .iter()
                                    .map(|(name, milli)| ResourceAmount::new(name, *milli))
                                    .collect()
                            })
                            .collect()
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let pod_samples = readings
            .iter()
            .map(|r| match r {
                MetricReading::Pods(list) => list
                    .iter()
                    .map(|v| PodMetricSample {
                        pod: &v.pod,
                        value_milli: v.value_milli,
                        timestamp_ms: v.timestamp_ms,
                        window_ms: v.window_ms,
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        Self {
            pod_amounts,
            pod_extras,
            usage_amounts,
            pod_samples,
        }
    }
}

/// The core's containers of each pod, borrowing [`CoreViews`].
pub(crate) fn core_containers<'v>(
    pods: &'v [PodView],
    views: &'v CoreViews<'v>,
) -> Vec<Vec<Container<'v>>> {
    pods.iter()
        .zip(&views.pod_amounts)
        .map(|(pod, amounts)| {
            pod.containers
                .iter()
                .zip(amounts)
                .map(|(c, requests)| Container {
                    kind: c.kind,
                    ..Container::new(&c.name, requests)
                })
                .collect()
        })
        .collect()
}

/// The core's pods, borrowing the containers of [`core_containers`].
pub(crate) fn core_pods<'v>(
    pods: &'v [PodView],
    views: &'v CoreViews<'v>,
    containers: &'v [Vec<Container<'v>>],
) -> Vec<CorePod<'v>> {
    pods.iter()
        .zip(containers)
        .zip(&views.pod_extras)
        .map(|((pod, containers), (overhead, pod_requests))| CorePod {
            name: &pod.name,
            phase: pod.phase,
            deleting: pod.deleting,
            start_time_ms: pod.start_time_ms,
            ready: pod.ready,
            containers,
            pod_requests: pod_requests.as_deref(),
            overhead: overhead.as_deref(),
        })
        .collect()
}

/// Each Resource reading's per-container usage, borrowing [`CoreViews`].
pub(crate) fn core_container_usage<'v>(
    readings: &'v [MetricReading],
    views: &'v CoreViews<'v>,
) -> Vec<Vec<Vec<CoreContainerUsage<'v>>>> {
    readings
        .iter()
        .zip(&views.usage_amounts)
        .map(|(r, amounts)| match r {
            MetricReading::Resource(list) => list
                .iter()
                .zip(amounts)
                .map(|(pod, containers)| {
                    pod.containers
                        .iter()
                        .zip(containers)
                        .map(|(c, usage)| CoreContainerUsage {
                            name: &c.name,
                            usage,
                        })
                        .collect()
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Each Resource reading's PodMetrics, borrowing [`core_container_usage`].
pub(crate) fn core_pod_metrics<'v>(
    readings: &'v [MetricReading],
    usage: &'v [Vec<Vec<CoreContainerUsage<'v>>>],
) -> Vec<Vec<PodResourceMetrics<'v>>> {
    readings
        .iter()
        .zip(usage)
        .map(|(r, containers)| match r {
            MetricReading::Resource(list) => list
                .iter()
                .zip(containers)
                .map(|(pod, containers)| PodResourceMetrics {
                    pod: &pod.pod,
                    timestamp_ms: pod.timestamp_ms,
                    window_ms: pod.window_ms,
                    containers,
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// The core's metric data, one per reading, in the same order.
pub(crate) fn core_metric_data<'v>(
    readings: &'v [MetricReading],
    views: &'v CoreViews<'v>,
    pod_metrics: &'v [Vec<PodResourceMetrics<'v>>],
) -> Vec<MetricData<'v>> {
    readings
        .iter()
        .zip(pod_metrics)
        .zip(&views.pod_samples)
        .map(|((r, pod_metrics), samples)| match r {
            MetricReading::Resource(_) => MetricData::Resource(pod_metrics),
            MetricReading::Pods(_) => MetricData::Pods(samples),
            MetricReading::Object(v) => MetricData::Object(v.value_milli),
            MetricReading::External(values) => MetricData::External(values),
            MetricReading::Failed(_) => MetricData::Unavailable,
        })
        .collect()
}

/// The labels of a pod, for matching it against the target's selector.
pub fn pod_labels(pod: &Pod) -> &BTreeMap<String, String> {
    static EMPTY: BTreeMap<String, String> = BTreeMap::new();
    pod.metadata.labels.as_ref().unwrap_or(&EMPTY)
}
