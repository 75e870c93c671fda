//! What one step of a simulation recorded.

use crate::hpa::{Condition, RescaleReason};
use crate::keda::ScaleAction;
use crate::vpa::Resources;

/// Where a pod is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PodStage {
    /// Created, container not running yet (`Pending`): no usage, no metrics.
    Pending,
    /// Running, not yet `Ready`: it idles and gets no traffic.
    Starting,
    /// Running and `Ready`: the Service sends it its share.
    Ready,
}

/// One pod at the current step, as [`Simulation::pods`](crate::sim::Simulation::pods) shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodView<'s> {
    /// The pod's name.
    pub name: &'s str,
    /// When it was created, Unix milliseconds.
    pub created_ms: i64,
    /// Its stage.
    pub stage: PodStage,
    /// CPU it uses during this step, millicores (never above its limit).
    pub usage_m: i64,
    /// `usage_m` as a percentage of its request, rounded down.
    pub utilization_percent: i64,
    /// What the metrics pipeline last reported for it, millicores.
    pub metrics_m: Option<i64>,
}

/// What the HPA decided at a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HpaStep {
    /// The replica count decided (`status.desiredReplicas`).
    pub desired_replicas: i32,
    /// The metrics' proposal before stabilization and limits, when they gave one.
    pub metric_replicas: Option<i32>,
    /// Whether it wrote the scale.
    pub rescale: bool,
    /// Why it wanted a change.
    pub reason: Option<RescaleReason>,
    /// The first metric's `averageUtilization`, as `kubectl get hpa` shows it.
    pub utilization_percent: Option<i32>,
    /// `AbleToScale` after the sync (for example `ScaleDownStabilized`).
    pub able_to_scale: Option<Condition>,
    /// `ScalingActive` after the sync.
    pub scaling_active: Option<Condition>,
    /// `ScalingLimited` after the sync (for example `ScaleUpLimit`).
    pub scaling_limited: Option<Condition>,
}

/// What KEDA decided at a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KedaStep {
    /// Whether any trigger was active.
    pub active: bool,
    /// The replica write KEDA made, if any (activation, scale to zero, to the minimum).
    pub action: Option<ScaleAction>,
}

/// What the VPA recommended after sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VpaStep {
    /// `target`.
    pub target: Resources,
    /// `lowerBound`.
    pub lower_bound: Resources,
    /// `upperBound`.
    pub upper_bound: Resources,
}

/// One step of a simulation: the instant, the workload after this step's scale writes, the
/// usage during the step, and what each autoscaler did (`None` when it did not act).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StepRecord {
    /// The instant, Unix milliseconds.
    pub time_ms: i64,
    /// The workload's `spec.replicas`: the pods that exist.
    pub spec_replicas: i32,
    /// Pods that are `Ready`.
    pub ready_replicas: i32,
    /// CPU the demand asks for, millicores.
    pub offered_m: i64,
    /// CPU the ready pods serve of it, millicores (the rest is dropped or queued).
    pub served_m: i64,
    /// Requests served, milli-requests per second (request-based demand only).
    pub throughput_milli_rps: Option<i64>,
    /// CPU all pods use, idle and starting ones included, millicores.
    pub usage_m: i64,
    /// Usage of the ready pods as a percentage of their requests, rounded down.
    pub ready_utilization_percent: Option<i64>,
    /// The HPA's decision, at its syncs.
    pub hpa: Option<HpaStep>,
    /// KEDA's poll, at its polls.
    pub keda: Option<KedaStep>,
    /// Whether a cron trigger was active when last evaluated (by a poll or an HPA query).
    pub cron_active: Option<bool>,
    /// The VPA's recommendation, at its samples.
    pub vpa: Option<VpaStep>,
}
