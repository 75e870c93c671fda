//! The `PodScaler` resource (`podscale.dev/v1alpha1`): what a user writes, and the status the
//! controller reports.
//!
//! `metrics` and `behavior` are `autoscaling/v2`'s own types, so an HPA's spec moves over
//! unchanged; `schedules` carry KEDA's cron trigger fields; `idleReplicas` and the cooldowns
//! are KEDA's scale to zero; `vertical` asks for VPA recommendations in the status.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscalerBehavior, MetricSpec, MetricStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The desired autoscaling of one workload: an HPA's metrics and behavior, cron schedules,
/// scale to zero and vertical recommendations, decided by the podscale core.
///
/// ```
/// use podscale_controller::podscaler::PodScaler;
/// // `kubectl autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10`
/// let scaler: PodScaler = serde_json::from_value(serde_json::json!({
///     "apiVersion": "podscale.dev/v1alpha1",
///     "kind": "PodScaler",
///     "metadata": {"name": "php-apache", "namespace": "default"},
///     "spec": {
///         "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
///         "minReplicas": 1,
///         "maxReplicas": 10,
///         "metrics": [{"type": "Resource", "resource": {
///             "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]
///     }
/// }))?;
/// assert_eq!(scaler.spec.max_replicas, 10);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "podscale.dev",
    version = "v1alpha1",
    kind = "PodScaler",
    plural = "podscalers",
    shortname = "psc",
    namespaced,
    status = "PodScalerStatus",
    derive = "PartialEq",
    doc = "Autoscaling of one workload by the podscale core: HPA metrics and behavior, cron \
           schedules, scale to zero and vertical recommendations.",
    printcolumn = r#"{"name": "Reference", "type": "string", "jsonPath": ".spec.scaleTargetRef.name"}"#,
    printcolumn = r#"{"name": "MinPods", "type": "integer", "jsonPath": ".spec.minReplicas"}"#,
    printcolumn = r#"{"name": "MaxPods", "type": "integer", "jsonPath": ".spec.maxReplicas"}"#,
    printcolumn = r#"{"name": "Replicas", "type": "integer", "jsonPath": ".status.currentReplicas"}"#,
    printcolumn = r#"{"name": "Desired", "type": "integer", "jsonPath": ".status.desiredReplicas"}"#,
    printcolumn = r#"{"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[x_kube(
    validation = Rule::new("!has(self.minReplicas) || self.minReplicas <= self.maxReplicas")
        .message("minReplicas must not be greater than maxReplicas"),
    validation = Rule::new("!has(self.idleReplicas) || !has(self.minReplicas) || self.idleReplicas < self.minReplicas")
        .message("idleReplicas must be less than minReplicas"),
    validation = Rule::new("(has(self.minReplicas) && self.minReplicas > 0) || (has(self.schedules) && size(self.schedules) > 0)")
        .message("scaling to zero (minReplicas 0) needs at least one schedule to wake the workload"),
    validation = Rule::new("!has(self.idleReplicas) || (has(self.schedules) && size(self.schedules) > 0)")
        .message("idleReplicas needs at least one schedule to wake the workload")
)]
#[serde(rename_all = "camelCase")]
pub struct PodScalerSpec {
    /// The workload to scale: anything with a `scale` subresource.
    pub scale_target_ref: CrossVersionObjectReference,
    /// The fewest replicas while active; 0 lets the schedules scale the workload to zero.
    /// Defaults to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_replicas: Option<i32>,
    /// The most replicas.
    #[schemars(range(min = 1))]
    pub max_replicas: i32,
    /// The metrics to scale on, as `autoscaling/v2` writes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricSpec>,
    /// Stabilization windows, rate policies and tolerance per direction, as `autoscaling/v2`
    /// writes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<HorizontalPodAutoscalerBehavior>,
    /// Cron windows that ask for a number of replicas, with KEDA's cron trigger fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<Schedule>,
    /// The replica count while no schedule is active (KEDA's `idleReplicaCount`, only 0);
    /// without it, an inactive workload scales to `minReplicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 0))]
    pub idle_replicas: Option<i32>,
    /// Seconds to wait after the last active schedule before scaling to zero or idle (KEDA's
    /// `cooldownPeriod`, default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub cooldown_period_seconds: Option<i32>,
    /// Seconds after creation before the first scale to zero (KEDA's
    /// `initialCooldownPeriod`, default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub initial_cooldown_period_seconds: Option<i32>,
    /// Vertical recommendations, written to the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical: Option<VerticalSpec>,
}

/// A cron window: from each `start` firing to the next `end` firing, ask for
/// `desiredReplicas` (KEDA's `cron` trigger).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// An IANA time zone name (`Asia/Seoul`, `Etc/UTC`).
    #[schemars(length(min = 1))]
    pub timezone: String,
    /// Five-field cron expression at which the window opens.
    #[schemars(length(min = 1))]
    pub start: String,
    /// Five-field cron expression at which the window closes.
    #[schemars(length(min = 1))]
    pub end: String,
    /// Replicas asked for while the window is open.
    #[schemars(range(min = 1))]
    pub desired_replicas: i32,
    /// How "inside the window" is decided: `Keda` (default, KEDA's rule exactly) or `Civil`
    /// (the most recent start is later than the most recent end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_mode: Option<WindowMode>,
}

/// [`Schedule::window_mode`].
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowMode {
    /// KEDA's rule: active when the next end comes no later than the next start.
    Keda,
    /// Active when the most recent start is later than the most recent end.
    Civil,
}

/// Vertical recommendations for the target's containers.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VerticalSpec {
    /// `Recommend` writes recommendations to the status; `Off` keeps none.
    pub mode: VerticalMode,
    /// Per-container bounds and switches, as the VPA's `resourcePolicy.containerPolicies`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_policies: Vec<ContainerPolicy>,
}

/// [`VerticalSpec::mode`].
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerticalMode {
    /// No recommendations.
    Off,
    /// Recommendations in `status.recommendation`.
    Recommend,
}

/// One container's policy, as the VPA's `containerPolicies` entry.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPolicy {
    /// The container, or `*` for every container without a policy of its own.
    #[schemars(length(min = 1))]
    pub container_name: String,
    /// `Auto` (default) or `Off` (no recommendation for this container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ContainerMode>,
    /// The smallest recommendation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_allowed: Option<BTreeMap<String, Quantity>>,
    /// The largest recommendation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_allowed: Option<BTreeMap<String, Quantity>>,
    /// `cpu`, `memory` or both (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_resources: Option<Vec<String>>,
    /// `RequestsAndLimits` (default) or `RequestsOnly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_values: Option<String>,
}

/// [`ContainerPolicy::mode`].
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerMode {
    /// Recommend for this container.
    Auto,
    /// No recommendation for this container.
    Off,
}

/// What the controller last observed and decided.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodScalerStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// When the controller last synced this PodScaler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_time: Option<Time>,
    /// The target's replicas when last synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_replicas: Option<i32>,
    /// The replicas last decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_replicas: Option<i32>,
    /// When the target was last rescaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_scale_time: Option<Time>,
    /// The last value read of each metric, as `autoscaling/v2` reports them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub current_metrics: Vec<MetricStatus>,
    /// `AbleToScale`, `ScalingActive` and `ScalingLimited` with the HPA's reasons, and
    /// `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<PodScalerCondition>,
    /// Each schedule's state, in `spec.schedules` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<ScheduleStatus>,
    /// The vertical recommendation, when `vertical.mode` is `Recommend`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Recommendation>,
    /// The core's state (recommendation history, scale events, activity, histograms) in a
    /// versioned format, so a restarted or newly elected controller continues from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_fields")]
    pub checkpoint: Option<serde_json::Value>,
}

/// A status condition, shaped as the HPA's.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PodScalerCondition {
    /// `AbleToScale`, `ScalingActive`, `ScalingLimited` or `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// A CamelCase reason (upstream's, for the HPA's conditions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the status last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
}

/// One schedule's state.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleStatus {
    /// Whether the window is open.
    pub active: bool,
    /// The replicas it asks for now (its `desiredReplicas` while open, else 0).
    pub desired_replicas: i32,
}

/// Vertical recommendations, as the VPA's `status.recommendation`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    /// One entry per container with enough samples.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_recommendations: Vec<ContainerRecommendation>,
}

/// One container's recommendation.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRecommendation {
    /// The container.
    pub container_name: String,
    /// The recommended requests.
    pub target: BTreeMap<String, Quantity>,
    /// The lowest requests still safe to run with.
    pub lower_bound: BTreeMap<String, Quantity>,
    /// Beyond these requests, resources are likely wasted.
    pub upper_bound: BTreeMap<String, Quantity>,
    /// The target before the container policy's bounds.
    pub uncapped_target: BTreeMap<String, Quantity>,
}

/// The schema of a field the API server keeps as written: the checkpoint's format belongs to
/// the core and carries its own version.
fn preserve_unknown_fields(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}
