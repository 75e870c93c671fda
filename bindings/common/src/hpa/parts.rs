//! The pieces of upstream's HPA controller one at a time, each the core function its name
//! says: pod grouping, the replica calculator, the legacy limits, stabilization, the behavior's
//! rate limits and scale events, and `behavior`'s defaults.

use podscale::hpa::{self as core, MetricTarget, ResourceName, ScalingDirection};
use podscale_controller::manifest::hpa::{BehaviorManifest, MetricManifest, RulesManifest};
use serde::{Deserialize, Serialize};

use super::spec::{MetricKind, OwnedHpaSpec, origin};
use super::{
    Observation, Pod, PodMetrics, PodsMetricValue, core_pods, pod_amounts, pod_containers,
    pods_samples, sample_amounts, sample_containers, samples,
};
use crate::error::{Error, Result};
use crate::units::{Duration, Instant, Milli};

/// One scaling policy, as in `behavior.scaleUp.policies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// `Pods` or `Percent`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `value`.
    pub value: i32,
    /// `periodSeconds`.
    pub period_seconds: i32,
}

/// `behavior.scaleUp` or `behavior.scaleDown`, as the API server returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    /// `stabilizationWindowSeconds`.
    pub stabilization_window_seconds: Option<i32>,
    /// `selectPolicy`: `Max`, `Min` or `Disabled`.
    pub select_policy: Option<String>,
    /// `policies`.
    pub policies: Option<Vec<Policy>>,
    /// `tolerance`.
    pub tolerance: Option<f64>,
}

/// `behavior`, as the API server returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Behavior {
    /// `scaleUp`.
    pub scale_up: Option<Rules>,
    /// `scaleDown`.
    pub scale_down: Option<Rules>,
}

impl Rules {
    fn from_core(r: &core::ScalingRules) -> Self {
        Self {
            stabilization_window_seconds: r.stabilization_window_seconds,
            select_policy: r.select_policy.map(|s| {
                match s {
                    core::SelectPolicy::Max => "Max",
                    core::SelectPolicy::Min => "Min",
                    core::SelectPolicy::Disabled => "Disabled",
                }
                .to_string()
            }),
            policies: r.policies.as_ref().map(|list| {
                list.iter()
                    .map(|p| Policy {
                        kind: match p.kind {
                            core::ScalingPolicyType::Pods => "Pods",
                            core::ScalingPolicyType::Percent => "Percent",
                        }
                        .to_string(),
                        value: p.value,
                        period_seconds: p.period_seconds,
                    })
                    .collect()
            }),
            tolerance: r.tolerance,
        }
    }
}

impl Behavior {
    /// The answer form of a core behavior.
    pub fn from_core(b: &core::Behavior) -> Self {
        Self {
            scale_up: b.scale_up.as_ref().map(Rules::from_core),
            scale_down: b.scale_down.as_ref().map(Rules::from_core),
        }
    }
}

/// Reads scaling rules as written in a manifest; errors name fields under `path`.
pub(crate) fn read_rules(rules: &RulesManifest, path: &str) -> Result<core::ScalingRules> {
    let behavior = BehaviorManifest {
        scale_up: Some(rules.clone()),
        scale_down: None,
    };
    let read = behavior
        .to_behavior(&origin(), "")
        .map_err(|e| Error::from(e).at(path))?;
    Ok(read.scale_up.unwrap_or_default())
}

/// `behavior` with the API server's defaults filled in [SetDefaults_HorizontalPodAutoscalerBehavior]:
/// a missing direction gets its default rules, a given field replaces the default whole.
///
/// ```
/// use podscale_bindings::decode::from_json;
/// use podscale_bindings::hpa::default_behavior;
/// let b = default_behavior(&from_json(r#"{"scaleDown": {"stabilizationWindowSeconds": 60}}"#)?)?;
/// let down = b.scale_down.unwrap();
/// assert_eq!(down.stabilization_window_seconds, Some(60));
/// assert_eq!(down.policies.unwrap()[0].value, 100); // 100% per 15 s
/// assert_eq!(b.scale_up.unwrap().stabilization_window_seconds, Some(0));
/// # Ok::<(), podscale_bindings::Error>(())
/// ```
///
/// # Errors
///
/// More policies than the core holds.
pub fn default_behavior(behavior: &BehaviorManifest) -> Result<Behavior> {
    let read = behavior.to_behavior(&origin(), "").map_err(Error::from)?;
    let up = read
        .scale_up
        .unwrap_or_default()
        .defaulted(ScalingDirection::ScaleUp);
    let down = read
        .scale_down
        .unwrap_or_default()
        .defaulted(ScalingDirection::ScaleDown);
    Ok(Behavior {
        scale_up: Some(Rules::from_core(&up)),
        scale_down: Some(Rules::from_core(&down)),
    })
}

// ---- pod grouping ---------------------------------------------------------------------------

/// The readiness flags of kube-controller-manager, shared by the requests below.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessOptions {
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (300 s).
    #[serde(default)]
    pub cpu_initialization_period: Option<Duration>,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    #[serde(default)]
    pub initial_readiness_delay: Option<Duration>,
}

impl ReadinessOptions {
    fn periods(&self) -> core::ReadinessPeriods {
        let d = core::ReadinessPeriods::default();
        core::ReadinessPeriods {
            cpu_initialization_period_ms: self
                .cpu_initialization_period
                .map_or(d.cpu_initialization_period_ms, |x| x.0),
            delay_of_initial_readiness_status_ms: self
                .initial_readiness_delay
                .map_or(d.delay_of_initial_readiness_status_ms, |x| x.0),
        }
    }
}

/// How the replica calculator sorts pods [groupPods].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupPodsRequest {
    /// The pods.
    pub pods: Vec<Pod>,
    /// The resource metrics API's items (their timestamps and windows).
    #[serde(default)]
    pub pod_metrics: Vec<PodMetrics>,
    /// The metric's resource (`cpu` applies the CPU initialization period).
    #[serde(default)]
    pub resource: Option<String>,
    /// The readiness flags.
    #[serde(flatten)]
    pub readiness: ReadinessOptions,
    /// Now (default: the Unix epoch).
    #[serde(default)]
    pub now: Option<Instant>,
}

/// The pods in upstream's four groups; names sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodGroups {
    /// Ready pods with a sample.
    pub ready_pod_count: usize,
    /// Unready pods (CPU only: not yet ready, or ready too recently to trust the sample).
    pub unready_pods: Vec<String>,
    /// Pods without a sample.
    pub missing_pods: Vec<String>,
    /// Failed or deleted pods, and pending ones.
    pub ignored_pods: Vec<String>,
}

/// Groups pods as the replica calculator does.
///
/// # Errors
///
/// None today; the `Result` leaves room for input checks.
pub fn group_pods(request: &GroupPodsRequest) -> Result<PodGroups> {
    let observation = Observation {
        replicas: 0,
        status_replicas: None,
        selector: core::SelectorState::Valid,
        pods: request.pods.clone(),
        pod_metrics: None,
        pods_metrics: Default::default(),
        object_metrics: Default::default(),
        external_metrics: Default::default(),
    };
    let amounts = pod_amounts(&observation);
    let containers = pod_containers(&observation, &amounts);
    let pods = core_pods(&observation, &amounts, &containers);
    let periods = request.readiness.periods();
    let resource = request.resource.as_deref().map(ResourceName::from);
    let now = request.now.map_or(0, |t| t.0);
    let mut groups = PodGroups {
        ready_pod_count: 0,
        unready_pods: Vec::new(),
        missing_pods: Vec::new(),
        ignored_pods: Vec::new(),
    };
    for pod in &pods {
        let sample = request
            .pod_metrics
            .iter()
            .find(|m| m.metadata.name == pod.name)
            .map(|m| core::SampleTiming {
                timestamp_ms: m.timestamp.0,
                window_ms: m.window.0,
            });
        match core::classify_pod(pod, sample, resource, &periods, now) {
            core::PodClass::Ready => groups.ready_pod_count += 1,
            core::PodClass::Unready => groups.unready_pods.push(pod.name.to_string()),
            core::PodClass::Missing => groups.missing_pods.push(pod.name.to_string()),
            core::PodClass::Ignored => groups.ignored_pods.push(pod.name.to_string()),
        }
    }
    groups.unready_pods.sort();
    groups.missing_pods.sort();
    groups.ignored_pods.sort();
    Ok(groups)
}

// ---- the replica calculator -----------------------------------------------------------------

/// One metric through the replica calculator [computeReplicasForMetric]: the function is
/// chosen by the metric's `type` and its target's `type`, as upstream chooses it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaCalculation {
    /// The scale's `spec.replicas` (for Object and External AverageValue targets, upstream
    /// passes `status.replicas`).
    pub current_replicas: i32,
    /// The metric, an entry of `spec.metrics`.
    pub metric: MetricManifest,
    /// The tolerance both ways (default 0.1).
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// The scale-up tolerance, when it differs.
    #[serde(default)]
    pub scale_up_tolerance: Option<f64>,
    /// The scale-down tolerance, when it differs.
    #[serde(default)]
    pub scale_down_tolerance: Option<f64>,
    /// The readiness flags.
    #[serde(flatten)]
    pub readiness: ReadinessOptions,
    /// The pods.
    #[serde(default)]
    pub pods: Vec<Pod>,
    /// The resource metrics API's items (Resource, ContainerResource).
    #[serde(default)]
    pub pod_metrics: Vec<PodMetrics>,
    /// The custom metrics API's values per pod (Pods).
    #[serde(default)]
    pub pods_metrics: Vec<PodsMetricValue>,
    /// The custom metrics API's value (Object).
    #[serde(default)]
    pub object_value: Option<Milli>,
    /// The external metrics API's values (External).
    #[serde(default)]
    pub external_values: Vec<Milli>,
    /// Now (default: the Unix epoch).
    #[serde(default)]
    pub now: Option<Instant>,
}

/// A metric's replica proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaProposal {
    /// Proposed replicas.
    pub replicas: i32,
    /// For Utilization targets, the average utilization, percent of request.
    pub average_utilization: Option<i32>,
    /// The usage upstream returns: the raw per-pod average for Resource and Pods metrics, the
    /// object's or the external metrics' total otherwise.
    pub usage: Milli,
}

/// Runs the replica calculator on one metric.
///
/// # Errors
///
/// A metric the calculator cannot read (naming `metric`), or upstream's errors (no metrics,
/// missing requests, …) as [`Refused`](crate::ErrorKind::Refused) with upstream's text.
pub fn calculate_replicas(request: &ReplicaCalculation) -> Result<ReplicaProposal> {
    let manifest = podscale_controller::manifest::hpa::HpaSpecManifest {
        scale_target_ref: podscale_controller::manifest::TargetRef {
            kind: String::new(),
            name: String::new(),
        },
        min_replicas: None,
        max_replicas: 1,
        metrics: vec![request.metric.clone()],
        behavior: None,
        target_cpu_utilization_percentage: None,
    };
    let spec = OwnedHpaSpec::read(&manifest, false).map_err(|e| Error {
        path: e.path.replacen("spec.metrics[0]", "metric", 1),
        ..e
    })?;
    let metric = spec
        .metrics
        .first()
        .ok_or_else(|| Error::validation("metric", "missing"))?;
    let tolerance = request.tolerance.unwrap_or(0.1);
    let mut calc = core::ReplicaCalculator::new(
        core::Tolerances {
            scale_up: request.scale_up_tolerance.unwrap_or(tolerance),
            scale_down: request.scale_down_tolerance.unwrap_or(tolerance),
        },
        request.readiness.periods(),
    );
    calc.pod_level_resources = true;
    let observation = Observation {
        replicas: request.current_replicas,
        status_replicas: None,
        selector: core::SelectorState::Valid,
        pods: request.pods.clone(),
        pod_metrics: None,
        pods_metrics: Default::default(),
        object_metrics: Default::default(),
        external_metrics: Default::default(),
    };
    let amounts = pod_amounts(&observation);
    let containers = pod_containers(&observation, &amounts);
    let pods = core_pods(&observation, &amounts, &containers);
    let usage = sample_amounts(&request.pod_metrics);
    let usage_containers = sample_containers(&request.pod_metrics, &usage);
    let resource_samples = samples(&request.pod_metrics, &usage_containers);
    let pod_values = pods_samples(&request.pods_metrics);
    let external: Vec<i64> = request.external_values.iter().map(|q| q.0).collect();
    let object = || {
        request
            .object_value
            .map(|q| q.0)
            .ok_or_else(|| Error::validation("objectValue", "missing: an Object metric needs it"))
    };
    let now = request.now.map_or(0, |t| t.0);
    let current = request.current_replicas;
    let container =
        (metric.kind == MetricKind::ContainerResource).then_some(metric.container.as_str());
    let refused = |e: core::ReplicaCalcError<'_>| Error::refused(e.to_string());
    let utilization = |p: core::UtilizationProposal| ReplicaProposal {
        replicas: p.replicas,
        average_utilization: Some(p.utilization),
        usage: Milli(p.raw_average_milli),
    };
    let value = |p: core::ValueProposal| ReplicaProposal {
        replicas: p.replicas,
        average_utilization: None,
        usage: Milli(p.usage_milli),
    };
    let unsupported = || {
        Error::validation(
            "metric",
            format!(
                "a {:?} metric with this target is not computed by the replica calculator",
                metric.kind
            ),
        )
    };
    let resource = ResourceName::from(metric.name.as_str());
    match (&metric.kind, metric.target) {
        (MetricKind::Resource | MetricKind::ContainerResource, MetricTarget::Utilization(t)) => {
            calc.resource_utilization_replicas(
                current,
                t,
                resource,
                container,
                &pods,
                &resource_samples,
                now,
            )
            .map(utilization)
            .map_err(refused)
        }
        (MetricKind::Resource | MetricKind::ContainerResource, MetricTarget::AverageValue(t)) => {
            calc.resource_average_value_replicas(
                current,
                t,
                resource,
                container,
                &pods,
                &resource_samples,
                now,
            )
            .map(value)
            .map_err(refused)
        }
        (MetricKind::Pods, MetricTarget::AverageValue(t)) => calc
            .pods_metric_replicas(current, t, &metric.name, &pods, &pod_values, now)
            .map(value)
            .map_err(refused),
        (MetricKind::Object, MetricTarget::Value(t)) => calc
            .object_value_replicas(current, t, object()?, &pods)
            .map(value)
            .map_err(refused),
        (MetricKind::Object, MetricTarget::AverageValue(t)) => calc
            .object_average_value_replicas(current, t, object()?)
            .map(value)
            .map_err(refused),
        (MetricKind::External, MetricTarget::Value(t)) => calc
            .external_value_replicas(current, t, &external, &metric.name, &pods)
            .map(value)
            .map_err(refused),
        (MetricKind::External, MetricTarget::AverageValue(t)) => calc
            .external_average_value_replicas(current, t, &external, &metric.name)
            .map(value)
            .map_err(refused),
        _ => Err(unsupported()),
    }
}

// ---- limits ---------------------------------------------------------------------------------

/// A replica count after limits, and the `ScalingLimited` reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitedReplicas {
    /// The count.
    pub replicas: i32,
    /// `DesiredWithinRange`, `TooFewReplicas`, `TooManyReplicas`, `ScaleUpLimit`, `ScaleDownLimit`.
    pub reason: String,
}

/// The legacy limits of an HPA without `behavior` [convertDesiredReplicasWithRules].
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LegacyLimitsRequest {
    /// Current replicas.
    pub current_replicas: i32,
    /// Desired replicas.
    pub desired_replicas: i32,
    /// `minReplicas`.
    pub min_replicas: i32,
    /// `maxReplicas`.
    pub max_replicas: i32,
    /// Scale-up factor (2.0).
    #[serde(default)]
    pub scale_up_limit_factor: Option<f64>,
    /// Scale-up minimum (4.0).
    #[serde(default)]
    pub scale_up_limit_minimum: Option<f64>,
}

/// Applies the legacy limits.
pub fn limit_replicas_legacy(request: &LegacyLimitsRequest) -> LimitedReplicas {
    let limited = core::limit_replicas_legacy(
        request.current_replicas,
        request.desired_replicas,
        request.min_replicas,
        request.max_replicas,
        request.scale_up_limit_factor.unwrap_or(2.0),
        request.scale_up_limit_minimum.unwrap_or(4.0),
    );
    LimitedReplicas {
        replicas: limited.replicas,
        reason: limited.reason.as_str().to_string(),
    }
}

/// A scale event of `behavior`'s rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleEvent {
    /// Pods added (scale-up) or removed (scale-down).
    pub replica_change: i32,
    /// When.
    pub timestamp: Instant,
    /// Left every policy period: its slot may be reused.
    #[serde(default)]
    pub outdated: bool,
}

impl ScaleEvent {
    fn to_core(self) -> core::ScaleEvent {
        core::ScaleEvent {
            replica_change: self.replica_change,
            timestamp_ms: self.timestamp.0,
            outdated: self.outdated,
        }
    }

    fn from_core(e: &core::ScaleEvent) -> Self {
        Self {
            replica_change: e.replica_change,
            timestamp: Instant(e.timestamp_ms),
            outdated: e.outdated,
        }
    }
}

fn core_events(list: &[ScaleEvent]) -> Vec<core::ScaleEvent> {
    list.iter().map(|e| e.to_core()).collect()
}

/// The limits of an HPA with `behavior` [normalizeDesiredReplicasWithBehaviors].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BehaviorLimitsRequest {
    /// Current replicas.
    pub current_replicas: i32,
    /// Desired (stabilized) replicas.
    pub desired_replicas: i32,
    /// `minReplicas`.
    pub min_replicas: i32,
    /// `maxReplicas`.
    pub max_replicas: i32,
    /// `behavior.scaleUp`.
    #[serde(default)]
    pub scale_up: Option<RulesManifest>,
    /// `behavior.scaleDown`.
    #[serde(default)]
    pub scale_down: Option<RulesManifest>,
    /// Recent scale-ups.
    #[serde(default)]
    pub scale_up_events: Vec<ScaleEvent>,
    /// Recent scale-downs.
    #[serde(default)]
    pub scale_down_events: Vec<ScaleEvent>,
    /// Now (default: the Unix epoch).
    #[serde(default)]
    pub now: Option<Instant>,
}

fn rules_or_default(rules: Option<&RulesManifest>, path: &str) -> Result<core::ScalingRules> {
    rules.map_or(Ok(core::ScalingRules::default()), |r| read_rules(r, path))
}

/// Applies `behavior`'s rate limits and the bounds.
///
/// # Errors
///
/// More policies than the core holds.
pub fn limit_replicas_with_behavior(request: &BehaviorLimitsRequest) -> Result<LimitedReplicas> {
    let up = rules_or_default(request.scale_up.as_ref(), "scaleUp")?;
    let down = rules_or_default(request.scale_down.as_ref(), "scaleDown")?;
    let limited = core::limit_replicas_with_behavior(
        request.current_replicas,
        request.desired_replicas,
        request.min_replicas,
        request.max_replicas,
        &up,
        &down,
        &core_events(&request.scale_up_events),
        &core_events(&request.scale_down_events),
        request.now.map_or(0, |t| t.0),
    );
    Ok(LimitedReplicas {
        replicas: limited.replicas,
        reason: limited.reason.as_str().to_string(),
    })
}

/// The most (scale-up) or least (scale-down) replicas the policies allow now
/// [calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaleLimitRequest {
    /// `ScaleUp` or `ScaleDown`.
    pub direction: ScalingDirection,
    /// Current replicas.
    pub current_replicas: i32,
    /// The rules of that direction.
    pub rules: RulesManifest,
    /// Recent scale-ups.
    #[serde(default)]
    pub scale_up_events: Vec<ScaleEvent>,
    /// Recent scale-downs.
    #[serde(default)]
    pub scale_down_events: Vec<ScaleEvent>,
    /// Now (default: the Unix epoch).
    #[serde(default)]
    pub now: Option<Instant>,
}

/// The limit of one direction.
///
/// # Errors
///
/// More policies than the core holds.
pub fn scale_limit(request: &ScaleLimitRequest) -> Result<i32> {
    let rules = read_rules(&request.rules, "rules")?;
    let up = core_events(&request.scale_up_events);
    let down = core_events(&request.scale_down_events);
    let now = request.now.map_or(0, |t| t.0);
    Ok(match request.direction {
        ScalingDirection::ScaleUp => {
            core::scale_up_limit(request.current_replicas, &up, &down, &rules, now)
        }
        ScalingDirection::ScaleDown => {
            core::scale_down_limit(request.current_replicas, &up, &down, &rules, now)
        }
    })
}

/// The replicas added (or removed) by `events` within the last `periodSeconds`
/// [getReplicasChangePerPeriod].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicasChangeRequest {
    /// The period.
    pub period_seconds: i32,
    /// The events.
    pub events: Vec<ScaleEvent>,
    /// Now (default: the Unix epoch).
    #[serde(default)]
    pub now: Option<Instant>,
}

/// The change within the period.
pub fn replicas_change_per_period(request: &ReplicasChangeRequest) -> i32 {
    core::replicas_change_per_period(
        request.period_seconds,
        &core_events(&request.events),
        request.now.map_or(0, |t| t.0),
    )
}

/// Records a scale event [storeScaleEvent]: outdated events are reused in place.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreScaleEventRequest {
    /// The events of the direction.
    pub events: Vec<ScaleEvent>,
    /// The rules of the direction (their longest policy period bounds what is kept).
    pub rules: RulesManifest,
    /// Pods added or removed.
    pub replica_change: i32,
    /// Now (default: the Unix epoch).
    #[serde(default)]
    pub now: Option<Instant>,
}

/// The events after recording.
///
/// # Errors
///
/// More events than the core holds (128 per direction), or bad rules.
pub fn store_scale_event(request: &StoreScaleEventRequest) -> Result<Vec<ScaleEvent>> {
    let rules = read_rules(&request.rules, "rules")?;
    let mut list: heapless::Vec<core::ScaleEvent, 128> =
        heapless::Vec::from_slice(&core_events(&request.events))
            .map_err(|()| Error::validation("events", "more than 128 events"))?;
    core::store_scale_event(
        &mut list,
        &rules,
        request.replica_change,
        request.now.map_or(0, |t| t.0),
    )
    .map_err(|e| Error::refused(e.to_string()))?;
    Ok(list.iter().map(ScaleEvent::from_core).collect())
}

// ---- stabilization --------------------------------------------------------------------------

/// A past recommendation of the stabilization window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Recommended replicas.
    pub replicas: i32,
    /// When.
    pub timestamp: Instant,
}

/// Stabilization of a recommendation: without `behavior` (`window` set, the controller's
/// downscale stabilization) [stabilizeRecommendation] or with it (`scaleUpWindow`,
/// `scaleDownWindow` and `currentReplicas` set) [stabilizeRecommendationWithBehaviors].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StabilizeRequest {
    /// The history.
    pub recommendations: Vec<Recommendation>,
    /// This sync's recommendation.
    pub desired_replicas: i32,
    /// Without `behavior`: the downscale stabilization window.
    #[serde(default)]
    pub window: Option<Duration>,
    /// With `behavior`: current replicas.
    #[serde(default)]
    pub current_replicas: Option<i32>,
    /// With `behavior`: `scaleUp.stabilizationWindowSeconds`.
    #[serde(default)]
    pub scale_up_window: Option<Duration>,
    /// With `behavior`: `scaleDown.stabilizationWindowSeconds`.
    #[serde(default)]
    pub scale_down_window: Option<Duration>,
    /// Now (default: the Unix epoch).
    #[serde(default)]
    pub now: Option<Instant>,
}

/// The stabilized count and the history after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stabilized {
    /// The stabilized recommendation.
    pub replicas: i32,
    /// The history, this recommendation recorded.
    pub recommendations: Vec<Recommendation>,
}

/// Stabilizes a recommendation.
///
/// # Errors
///
/// Neither `window` nor the behavior's windows, or more than 256 recommendations.
pub fn stabilize(request: &StabilizeRequest) -> Result<Stabilized> {
    let list: Vec<core::Recommendation> = request
        .recommendations
        .iter()
        .map(|r| core::Recommendation {
            replicas: r.replicas,
            timestamp_ms: r.timestamp.0,
        })
        .collect();
    let mut history: heapless::Vec<core::Recommendation, 256> = heapless::Vec::from_slice(&list)
        .map_err(|()| Error::validation("recommendations", "more than 256 recommendations"))?;
    let now = request.now.map_or(0, |t| t.0);
    let refused = |e: core::HpaError| Error::refused(e.to_string());
    let replicas = match (
        request.window,
        request.scale_up_window,
        request.scale_down_window,
    ) {
        (Some(window), None, None) => {
            core::stabilize_recommendation(&mut history, request.desired_replicas, window.0, now)
                .map_err(refused)?
        }
        (None, Some(up), Some(down)) => {
            let current = request.current_replicas.ok_or_else(|| {
                Error::validation(
                    "currentReplicas",
                    "missing: stabilization with behavior needs it",
                )
            })?;
            core::stabilize_recommendation_with_behavior(
                &mut history,
                current,
                request.desired_replicas,
                up.0,
                down.0,
                now,
            )
            .map_err(refused)?
        }
        _ => {
            return Err(Error::validation(
                "window",
                "give either `window` or both `scaleUpWindow` and `scaleDownWindow`",
            ));
        }
    };
    Ok(Stabilized {
        replicas,
        recommendations: history
            .iter()
            .map(|r| Recommendation {
                replicas: r.replicas,
                timestamp: Instant(r.timestamp_ms),
            })
            .collect(),
    })
}
