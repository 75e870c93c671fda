//! The HorizontalPodAutoscaler: an `autoscaling/v2` spec as written in manifests, one decision
//! with its full explanation, replays over series, and the pieces of upstream's controller one
//! at a time (pod grouping, the replica calculator, stabilization, rate limits, scale events).
//!
//! Everything decides through [`podscale::hpa`]; this module only reads and writes the
//! Kubernetes shapes. Field names are the manifests' (`minReplicas`,
//! `stabilizationWindowSeconds`); quantities are strings (`"200m"`) or numbers; instants are
//! Unix milliseconds or RFC 3339 text; durations are seconds or Go text (`"5m"`).
//!
//! ```
//! use podscale_bindings::decode::from_json;
//! use podscale_bindings::hpa::{HorizontalPodAutoscaler, HpaState};
//! let hpa = HorizontalPodAutoscaler::new(
//!     from_json(r#"{"scaleTargetRef": {"kind": "Deployment", "name": "web"},
//!                   "minReplicas": 1, "maxReplicas": 10,
//!                   "metrics": [{"type": "Resource", "resource": {"name": "cpu",
//!                       "target": {"type": "Utilization", "averageUtilization": 50}}}]}"#)?,
//!     from_json(r#"{"podTemplate": {"spec": {"containers": [
//!                   {"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}}}"#)?,
//! )?;
//! let mut state = HpaState::new();
//! // Two pods using 190m each against 200m requested: 95% for a 50% target.
//! let decision = hpa.decide_uniform(&mut state, 0, 2, 190.0)?;
//! assert_eq!(decision.desired_replicas, 4);
//! assert_eq!(decision.metrics[0].current.average_utilization, Some(95));
//! # Ok::<(), podscale_bindings::Error>(())
//! ```

mod parts;
mod replay;
mod spec;

use std::collections::BTreeMap;

use podscale::hpa::{
    self as core, ConditionStatus, ContainerKind, MetricData, MetricSpec, PodPhase, ReadyCondition,
    ResourceAmount,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::{Duration, Instant, Milli};

pub use parts::*;
pub use replay::{REASONS, ReplayColumns, ReplayInput, Usage};
pub(crate) use spec::origin as spec_origin;
pub use spec::{
    ControllerOptions, FeatureGateOptions, HpaOptions, MetricKind, OwnedHpaSpec, OwnedMetric,
};

/// A whole `HorizontalPodAutoscaler` manifest (`metadata` and `spec`).
pub use podscale_controller::manifest::Hpa as HpaManifest;
/// A pod template (`spec.template` of a Deployment): the requests of the replayed pods.
pub use podscale_controller::manifest::deployment::PodTemplateSpec;
/// `spec` of an `autoscaling/v2` HorizontalPodAutoscaler (and v1's
/// `targetCPUUtilizationPercentage`), the controller crate's manifest struct.
pub use podscale_controller::manifest::hpa::HpaSpecManifest as HorizontalPodAutoscalerSpec;
/// `behavior`, `behavior.scaleUp` and `behavior.scaleDown` as in manifests.
pub use podscale_controller::manifest::hpa::{BehaviorManifest, RulesManifest};

/// Everything an HPA carries from sync to sync: recommendations, scale events, conditions,
/// `desiredReplicas`, `lastScaleTime`. Plain data the caller owns; serializes (serde) exactly.
pub type HpaState = core::HpaState;

/// A resource list as pods carry it, every amount in milli-units (memory in milli-bytes, as
/// the HPA reads `MilliValue()`): `{"cpu": "200m", "memory": "256Mi"}`.
pub type ResourceMap = BTreeMap<String, Milli>;

/// `resources` of a container or pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequirements {
    /// `requests`.
    #[serde(default)]
    pub requests: ResourceMap,
}

/// One of a pod's `spec.containers` or `spec.initContainers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodContainer {
    /// `name`.
    pub name: String,
    /// `resources`.
    #[serde(default)]
    pub resources: ResourceRequirements,
    /// `restartPolicy`: `Always` makes an init container a sidecar.
    #[serde(default)]
    pub restart_policy: Option<String>,
}

/// `metadata` of a pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMetadata {
    /// `name`.
    pub name: String,
    /// `deletionTimestamp`: the pod is being deleted.
    #[serde(default)]
    pub deletion_timestamp: Option<Instant>,
}

/// `spec` of a pod, the fields the HPA reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `containers`.
    #[serde(default)]
    pub containers: Vec<PodContainer>,
    /// `initContainers` (sidecars count when their `restartPolicy` is `Always`).
    #[serde(default)]
    pub init_containers: Vec<PodContainer>,
    /// `overhead`.
    #[serde(default)]
    pub overhead: Option<ResourceMap>,
    /// Pod-level `resources`.
    #[serde(default)]
    pub resources: Option<ResourceRequirements>,
}

/// One of a pod's `status.conditions` (only `Ready` is read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodCondition {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `status`: `True`, `False` or `Unknown`.
    pub status: ConditionStatus,
    /// `lastTransitionTime`.
    pub last_transition_time: Instant,
}

/// `status` of a pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    /// `phase`.
    pub phase: PodPhase,
    /// `startTime`.
    #[serde(default)]
    pub start_time: Option<Instant>,
    /// `conditions`.
    #[serde(default)]
    pub conditions: Vec<PodCondition>,
}

/// A pod as the API returns it, the fields the HPA reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    /// `metadata`.
    pub metadata: PodMetadata,
    /// `spec`.
    #[serde(default)]
    pub spec: PodSpec,
    /// `status`.
    pub status: PodStatus,
}

/// One of `containers` of a `PodMetrics` (metrics.k8s.io).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerMetrics {
    /// `name`.
    pub name: String,
    /// `usage`.
    pub usage: ResourceMap,
}

/// A `PodMetrics` item of the resource metrics API (metrics.k8s.io).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodMetrics {
    /// `metadata` (its `name` is the pod's).
    pub metadata: PodMetadata,
    /// `timestamp`.
    pub timestamp: Instant,
    /// `window`.
    pub window: Duration,
    /// `containers`.
    pub containers: Vec<ContainerMetrics>,
}

/// One pod's value of a `Pods` metric (custom.metrics.k8s.io).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodsMetricValue {
    /// The pod's name.
    pub pod: String,
    /// `value`.
    pub value: Milli,
    /// `timestamp`.
    pub timestamp: Instant,
    /// `window` (upstream's `windowSeconds`).
    pub window: Duration,
}

/// What the controller sees in one sync: the scale subresource, the pods, and the answers of
/// the metrics APIs. A metric whose API answer is absent is unavailable (the API call failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// The scale's `spec.replicas`: the current count.
    pub replicas: i32,
    /// The scale's `status.replicas` (default: `replicas`).
    #[serde(default)]
    pub status_replicas: Option<i32>,
    /// The scale's selector: `Valid` (default), `Invalid` or `Ambiguous`.
    #[serde(default)]
    pub selector: core::SelectorState,
    /// The pods the selector matches.
    #[serde(default)]
    pub pods: Vec<Pod>,
    /// The resource metrics API's items (Resource and ContainerResource metrics); absent: the
    /// call failed.
    #[serde(default)]
    pub pod_metrics: Option<Vec<PodMetrics>>,
    /// Per metric name, the custom metrics API's values per pod (Pods metrics).
    #[serde(default)]
    pub pods_metrics: BTreeMap<String, Vec<PodsMetricValue>>,
    /// Per metric name, the custom metrics API's value for the object (Object metrics).
    #[serde(default)]
    pub object_metrics: BTreeMap<String, Milli>,
    /// Per metric name, the external metrics API's values (External metrics).
    #[serde(default)]
    pub external_metrics: BTreeMap<String, Vec<Milli>>,
}

/// A metric's current value, as `status.currentMetrics` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricValueStatus {
    /// `averageUtilization`, percent of the request.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub average_utilization: Option<i32>,
    /// `averageValue`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub average_value: Option<Milli>,
    /// `value`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<Milli>,
}

/// One metric of `spec.metrics` in a decision: its proposal and current value, or why it
/// could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricStatus {
    /// The metric's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource or metric name.
    pub name: String,
    /// The replicas this metric proposes.
    pub replicas: Option<i32>,
    /// Its current value.
    pub current: MetricValueStatus,
    /// Why it has no proposal (upstream's error text).
    pub error: Option<String>,
}

/// One status condition of the HPA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `type`: `AbleToScale`, `ScalingActive`, `ScalingLimited`, `ScaledToZero`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `status`: `True`, `False`, `Unknown`.
    pub status: String,
    /// `reason`, upstream's (`ScaleDownStabilized`, `TooFewReplicas`, …).
    pub reason: String,
    /// `lastTransitionTime`.
    pub last_transition_time: Instant,
}

/// The outcome of one sync, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The scale's `spec.replicas` when the sync began.
    pub current_replicas: i32,
    /// The count decided (`status.desiredReplicas`).
    pub desired_replicas: i32,
    /// Whether the scale is written with `desiredReplicas`.
    pub rescale: bool,
    /// Why it changes size: `AboveMaxReplicas`, `BelowMinReplicas`, `MetricAboveTarget` or
    /// `AllMetricsBelowTarget`.
    pub reason: Option<String>,
    /// For `MetricAboveTarget`, the index in `spec.metrics` of the metric that proposed most.
    pub reason_metric: Option<usize>,
    /// The largest valid proposal of the metrics, before stabilization and limits.
    pub metric_replicas: Option<i32>,
    /// Each metric of `spec.metrics`, in order (empty when metrics were not evaluated).
    pub metrics: Vec<MetricStatus>,
    /// The conditions after this sync.
    pub conditions: Vec<Condition>,
}

impl Decision {
    /// The condition of `kind` (`"ScalingLimited"`), if set.
    pub fn condition(&self, kind: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
}

/// A configured HPA: its spec, the controller's flags, and the pod template replays use.
#[derive(Debug, Clone, PartialEq)]
pub struct HorizontalPodAutoscaler {
    spec: OwnedHpaSpec,
    config: core::ControllerConfig,
    template: Vec<TemplateContainer>,
    /// `pod-0`, `pod-1`, …: the replayed pods' names, made once.
    pod_names: Vec<String>,
}

/// The most pods a replay or uniform decision holds.
pub const MAX_REPLAY_PODS: usize = 10_000;

/// A container of the pod template, its requests in the core's terms.
#[derive(Debug, Clone, PartialEq)]
struct TemplateContainer {
    name: String,
    requests: Vec<ResourceAmount<'static>>,
}

impl HorizontalPodAutoscaler {
    /// An HPA from its `spec` and options.
    ///
    /// # Errors
    ///
    /// A spec the API server refuses (unless `options.validate` is false, which takes it as
    /// stored, upstream's controller's view, unknown metric types included), more metrics or
    /// policies than the core holds, or bad options; each names its field (`spec.…` for the
    /// spec, the option's name otherwise).
    pub fn new(spec: HorizontalPodAutoscalerSpec, options: HpaOptions) -> Result<Self> {
        Self::build(&spec, options).map_err(|e| Error {
            path: e
                .path
                .strip_prefix("spec.")
                .or_else(|| e.path.strip_prefix("spec"))
                .unwrap_or(&e.path)
                .to_string(),
            ..e
        })
    }

    /// An HPA from its whole manifest (`apiVersion`, `kind`, `metadata`, `spec`); errors name
    /// fields from the manifest's root (`spec.metrics[0]…`).
    ///
    /// # Errors
    ///
    /// As [`HorizontalPodAutoscaler::new`].
    pub fn from_manifest(manifest: HpaManifest, options: HpaOptions) -> Result<Self> {
        Self::build(&manifest.spec, options)
    }

    fn build(spec: &HorizontalPodAutoscalerSpec, options: HpaOptions) -> Result<Self> {
        let owned = OwnedHpaSpec::read(spec, options.validate.unwrap_or(true))?;
        let config = options.controller.unwrap_or_default().to_config();
        let template = match &options.pod_template {
            None => Vec::new(),
            Some(t) => t
                .spec
                .containers
                .iter()
                .map(|c| TemplateContainer {
                    name: c.name.clone(),
                    requests: template_requests(&c.resources.requests),
                })
                .collect(),
        };
        // Enough names for maxReplicas (and beyond: a recorded count may exceed it).
        let count = usize::try_from(owned.max_replicas.max(1))
            .unwrap_or(1)
            .saturating_mul(2)
            .clamp(64, MAX_REPLAY_PODS);
        let pod_names = (0..count).map(|i| format!("pod-{i}")).collect();
        Ok(Self {
            spec: owned,
            config,
            template,
            pod_names,
        })
    }

    /// The spec as the core reads it.
    pub fn spec(&self) -> &OwnedHpaSpec {
        &self.spec
    }

    /// The controller's configuration.
    pub fn config(&self) -> &core::ControllerConfig {
        &self.config
    }

    /// `behavior` with upstream's defaults filled in (`None` without `behavior`).
    pub fn behavior(&self) -> Option<Behavior> {
        self.spec
            .behavior
            .as_ref()
            .map(|b| Behavior::from_core(&b.defaulted()))
    }

    /// One sync: decides from `observation` at `now_ms` and records it in `state`, as if the
    /// scale write succeeded.
    ///
    /// # Errors
    ///
    /// A bad observation (naming its field) or a decision the core refuses (a full history);
    /// `state` is then unchanged.
    pub fn decide(
        &self,
        state: &mut HpaState,
        observation: &Observation,
        now_ms: i64,
    ) -> Result<Decision> {
        let spec = self.spec.view();
        let amounts = pod_amounts(observation);
        let containers = pod_containers(observation, &amounts);
        let pods = core_pods(observation, &amounts, &containers);
        let resource_list = observation.pod_metrics.as_deref().unwrap_or(&[]);
        let usage = sample_amounts(resource_list);
        let usage_containers = sample_containers(resource_list, &usage);
        let resource_samples = samples(resource_list, &usage_containers);
        let empty = Vec::new();
        let pods_metric_samples: Vec<Vec<core::PodMetricSample<'_>>> = spec
            .metrics
            .iter()
            .map(|m| match m {
                MetricSpec::Pods { metric, .. } => {
                    pods_samples(observation.pods_metrics.get(*metric).unwrap_or(&empty))
                }
                _ => Vec::new(),
            })
            .collect();
        let external: Vec<Vec<i64>> = spec
            .metrics
            .iter()
            .map(|m| match m {
                MetricSpec::External { metric, .. } => observation
                    .external_metrics
                    .get(*metric)
                    .map(|v| v.iter().map(|q| q.0).collect())
                    .unwrap_or_default(),
                _ => Vec::new(),
            })
            .collect();
        let data: Vec<MetricData<'_>> = spec
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| match m {
                MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. } => {
                    if observation.pod_metrics.is_some() {
                        MetricData::Resource(&resource_samples)
                    } else {
                        MetricData::Unavailable
                    }
                }
                MetricSpec::Pods { metric, .. } => {
                    if observation.pods_metrics.contains_key(*metric) {
                        MetricData::Pods(pods_metric_samples.get(i).map_or(&[], Vec::as_slice))
                    } else {
                        MetricData::Unavailable
                    }
                }
                MetricSpec::Object { metric, .. } => observation
                    .object_metrics
                    .get(*metric)
                    .map_or(MetricData::Unavailable, |v| MetricData::Object(v.0)),
                MetricSpec::External { metric, .. } => {
                    if observation.external_metrics.contains_key(*metric) {
                        MetricData::External(external.get(i).map_or(&[], Vec::as_slice))
                    } else {
                        MetricData::Unavailable
                    }
                }
                MetricSpec::Unknown { .. } => MetricData::Unavailable,
            })
            .collect();
        let core_observation = core::Observation {
            selector: observation.selector,
            ..core::Observation::new(
                observation.replicas,
                observation.status_replicas.unwrap_or(observation.replicas),
                &pods,
                &data,
            )
        };
        let decision = core::sync(&spec, &self.config, state, &core_observation, now_ms)
            .map_err(|e| Error::refused(e.to_string()))?;
        Ok(explain(&spec, &decision, state))
    }

    /// One sync over `replicas` identical Running and Ready pods of the pod template, each
    /// using `usage` (milli-units of the metrics' resource: millicores for `cpu`); Object and
    /// External metrics read `usage` as their value. The fast path of a single decision.
    ///
    /// # Errors
    ///
    /// As [`HorizontalPodAutoscaler::replay`].
    pub fn decide_uniform(
        &self,
        state: &mut HpaState,
        now_ms: i64,
        replicas: i32,
        usage: f64,
    ) -> Result<Decision> {
        let usage = [usage];
        let containers = replay::template_containers(self);
        let mut runner = replay::Runner::new(self, &containers, Usage::Average(&usage), 0)?;
        let spec = self.spec.view();
        runner.step(&spec, &self.config, state, 0, replicas, now_ms)
    }
}

/// A template container's requests in the core's milli-units (memory in milli-bytes), as the
/// replay's pods carry them.
pub fn template_requests(
    list: &podscale_controller::manifest::quantity::ResourceList,
) -> Vec<ResourceAmount<'static>> {
    let mut out = Vec::new();
    if let Some(cpu) = list.cpu {
        out.push(ResourceAmount::cpu(cpu.0));
    }
    if let Some(memory) = list.memory {
        out.push(ResourceAmount::memory(memory.0.saturating_mul(1000)));
    }
    out
}

/// The answer for a decision, from the core's and the state after it.
fn explain(spec: &core::HpaSpec<'_>, decision: &core::Decision<'_>, state: &HpaState) -> Decision {
    let metrics = decision
        .metrics
        .iter()
        .zip(&spec.metrics)
        .map(|(result, metric)| {
            let (kind, name) = metric_kind_name(metric);
            match result {
                Ok(p) => MetricStatus {
                    kind: kind.to_string(),
                    name: name.to_string(),
                    replicas: Some(p.replicas),
                    current: MetricValueStatus {
                        average_utilization: p.current.average_utilization,
                        average_value: p.current.average_value_milli.map(Milli),
                        value: p.current.value_milli.map(Milli),
                    },
                    error: None,
                },
                Err(e) => MetricStatus {
                    kind: kind.to_string(),
                    name: name.to_string(),
                    replicas: None,
                    current: MetricValueStatus::default(),
                    error: Some(e.to_string()),
                },
            }
        })
        .collect();
    let (reason, reason_metric) = match decision.reason {
        None => (None, None),
        Some(core::RescaleReason::AboveMaxReplicas) => (Some("AboveMaxReplicas"), None),
        Some(core::RescaleReason::BelowMinReplicas) => (Some("BelowMinReplicas"), None),
        Some(core::RescaleReason::MetricAboveTarget(i)) => (Some("MetricAboveTarget"), Some(i)),
        Some(core::RescaleReason::AllMetricsBelowTarget) => (Some("AllMetricsBelowTarget"), None),
    };
    Decision {
        current_replicas: decision.current_replicas,
        desired_replicas: decision.desired_replicas,
        rescale: decision.rescale,
        reason: reason.map(str::to_string),
        reason_metric,
        metric_replicas: decision.metric_replicas,
        metrics,
        conditions: conditions(&state.conditions),
    }
}

/// The conditions as the status lists them.
pub fn conditions(list: &core::Conditions) -> Vec<Condition> {
    list.as_slice()
        .iter()
        .map(|c| Condition {
            kind: c.kind.as_str().to_string(),
            status: status_text(c.status).to_string(),
            reason: c.reason.as_str().to_string(),
            last_transition_time: Instant(c.last_transition_time_ms),
        })
        .collect()
}

const fn status_text(status: ConditionStatus) -> &'static str {
    match status {
        ConditionStatus::True => "True",
        ConditionStatus::False => "False",
        ConditionStatus::Unknown => "Unknown",
    }
}

/// A metric's `type` and its resource or metric name, as a [`Decision`]'s metrics name them.
pub fn metric_kind_name<'a>(metric: &MetricSpec<'a>) -> (&'a str, &'a str) {
    match metric {
        MetricSpec::Resource { name, .. } => ("Resource", name.as_str()),
        MetricSpec::ContainerResource { name, .. } => ("ContainerResource", name.as_str()),
        MetricSpec::Pods { metric, .. } => ("Pods", metric),
        MetricSpec::Object { metric, .. } => ("Object", metric),
        MetricSpec::External { metric, .. } => ("External", metric),
        MetricSpec::Unknown { kind } => (kind, ""),
    }
}

/// The amounts of one pod of an [`Observation`] in the core's terms.
struct PodAmounts<'o> {
    containers: Vec<Vec<ResourceAmount<'o>>>,
    overhead: Option<Vec<ResourceAmount<'o>>>,
    pod: Option<Vec<ResourceAmount<'o>>>,
}

fn amounts(map: &ResourceMap) -> Vec<ResourceAmount<'_>> {
    map.iter()
        .map(|(name, q)| ResourceAmount::new(name, q.0))
        .collect()
}

/// Regular containers, then init containers (sidecars with `restartPolicy: Always`).
fn containers_of(pod: &Pod) -> impl Iterator<Item = (&PodContainer, ContainerKind)> {
    let regular = pod
        .spec
        .containers
        .iter()
        .map(|c| (c, ContainerKind::Regular));
    let init = pod.spec.init_containers.iter().map(|c| {
        let kind = if c.restart_policy.as_deref() == Some("Always") {
            ContainerKind::Sidecar
        } else {
            ContainerKind::Init
        };
        (c, kind)
    });
    regular.chain(init)
}

fn pod_amounts(observation: &Observation) -> Vec<PodAmounts<'_>> {
    observation
        .pods
        .iter()
        .map(|p| PodAmounts {
            containers: containers_of(p)
                .map(|(c, _)| amounts(&c.resources.requests))
                .collect(),
            overhead: p.spec.overhead.as_ref().map(amounts),
            pod: p.spec.resources.as_ref().map(|r| amounts(&r.requests)),
        })
        .collect()
}

fn pod_containers<'o>(
    observation: &'o Observation,
    amounts: &'o [PodAmounts<'o>],
) -> Vec<Vec<core::Container<'o>>> {
    observation
        .pods
        .iter()
        .zip(amounts)
        .map(|(pod, a)| {
            containers_of(pod)
                .zip(&a.containers)
                .map(|((c, kind), requests)| core::Container {
                    kind,
                    ..core::Container::new(&c.name, requests)
                })
                .collect()
        })
        .collect()
}

fn core_pods<'o>(
    observation: &'o Observation,
    amounts: &'o [PodAmounts<'o>],
    containers: &'o [Vec<core::Container<'o>>],
) -> Vec<core::Pod<'o>> {
    observation
        .pods
        .iter()
        .zip(amounts)
        .zip(containers)
        .map(|((pod, a), containers)| core::Pod {
            name: &pod.metadata.name,
            phase: pod.status.phase,
            deleting: pod.metadata.deletion_timestamp.is_some(),
            start_time_ms: pod.status.start_time.map(|t| t.0),
            ready: pod
                .status
                .conditions
                .iter()
                .find(|c| c.kind == "Ready")
                .map(|c| ReadyCondition {
                    status: c.status,
                    last_transition_time_ms: c.last_transition_time.0,
                }),
            containers,
            pod_requests: a.pod.as_deref(),
            overhead: a.overhead.as_deref(),
        })
        .collect()
}

/// Usage per container of each `PodMetrics` item.
fn sample_amounts(list: &[PodMetrics]) -> Vec<Vec<Vec<ResourceAmount<'_>>>> {
    list.iter()
        .map(|m| m.containers.iter().map(|c| amounts(&c.usage)).collect())
        .collect()
}

fn sample_containers<'o>(
    list: &'o [PodMetrics],
    amounts: &'o [Vec<Vec<ResourceAmount<'o>>>],
) -> Vec<Vec<core::ContainerUsage<'o>>> {
    list.iter()
        .zip(amounts)
        .map(|(m, a)| {
            m.containers
                .iter()
                .zip(a)
                .map(|(c, usage)| core::ContainerUsage::new(&c.name, usage))
                .collect()
        })
        .collect()
}

fn samples<'o>(
    list: &'o [PodMetrics],
    containers: &'o [Vec<core::ContainerUsage<'o>>],
) -> Vec<core::PodResourceMetrics<'o>> {
    list.iter()
        .zip(containers)
        .map(|(m, c)| core::PodResourceMetrics::new(&m.metadata.name, m.timestamp.0, m.window.0, c))
        .collect()
}

fn pods_samples<'o>(list: &'o [PodsMetricValue]) -> Vec<core::PodMetricSample<'o>> {
    list.iter()
        .map(|v| core::PodMetricSample {
            pod: &v.pod,
            value_milli: v.value.0,
            timestamp_ms: v.timestamp.0,
            window_ms: v.window.0,
        })
        .collect()
}
