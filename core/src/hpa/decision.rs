//! One sync of an HPA: metrics, stabilization, limits, conditions [reconcileAutoscaler].

use heapless::Vec;

use crate::go_float::seconds_to_ms;

use super::behavior::{Behavior, RulesView, ScalingDirection};
use super::cohort::{CohortMetricData, CohortObservation, Fetched, PodList};
use super::conditions::{ConditionReason, ConditionType, Conditions};
use super::error::{HpaError, ReplicaCalcError};
use super::metric_sample::{PodMetricSample, PodResourceMetrics};
use super::pod::{ConditionStatus, Pod};
use super::replica_calculator::{Alignments, ReplicaCalculator};
use super::replica_limits::{limit_replicas_legacy, limit_with_rules};
use super::scale_events::{ScaleEvent, event_slot, record_scale_event};
use super::spec::{ControllerConfig, HpaSpec, MAX_METRICS, MetricSpec, MetricTarget};
use super::stabilization::{self, Recommendation, Slot};
use super::tolerance::Tolerances;

/// The data fetched for one metric of `spec.metrics`, in the same position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricData<'a> {
    /// The resource metrics API's PodMetrics items (Resource and ContainerResource).
    Resource(&'a [PodResourceMetrics<'a>]),
    /// The custom metrics API's values per pod (Pods).
    Pods(&'a [PodMetricSample<'a>]),
    /// The custom metrics API's value for the object (Object), milli-units.
    Object(i64),
    /// The external metrics API's values (External), milli-units.
    External(&'a [i64]),
    /// The API call failed.
    Unavailable,
}

/// What the target's scale subresource's selector turned out to be [validateAndParseSelector].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SelectorState {
    /// Parsed, and no other HPA selects the same pods.
    #[default]
    Valid,
    /// Empty or unparsable: `InvalidSelector`.
    Invalid,
    /// Its pods are also selected by another HPA: `AmbiguousSelector`.
    Ambiguous,
}

/// What the controller observed for this sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation<'a> {
    /// The scale subresource's `spec.replicas`: the current replica count.
    pub spec_replicas: i32,
    /// The scale subresource's `status.replicas`.
    pub status_replicas: i32,
    /// The scale subresource's selector.
    pub selector: SelectorState,
    /// Pods matching the selector.
    pub pods: &'a [Pod<'a>],
    /// The data of each metric, in `spec.metrics` order.
    ///
    /// Per-pod samples are matched to pods by name. Samples in the same order as `pods`, or
    /// sorted by pod name (as the metrics APIs list them), are matched in linear or `n log n`
    /// time; any other order costs a scan per pod, so sort them first when there are many.
    pub metrics: &'a [MetricData<'a>],
}

impl<'a> Observation<'a> {
    /// An observation with a valid selector.
    pub const fn new(
        spec_replicas: i32,
        status_replicas: i32,
        pods: &'a [Pod<'a>],
        metrics: &'a [MetricData<'a>],
    ) -> Self {
        Self {
            spec_replicas,
            status_replicas,
            selector: SelectorState::Valid,
            pods,
            metrics,
        }
    }
}

/// Everything one HPA carries from sync to sync. The caller owns it and can serialize it; a
/// controller that checkpoints it continues exactly after a restart.
///
/// `R` bounds the recommendation history: it needs `longest stabilization window / sync period +
/// 2` entries (22 for the default 300 s at 15 s; 242 for the maximal 3600 s). `E` bounds each
/// scale-event list: `longest policy period / sync period + 1` (2 for the default 15 s policies;
/// 121 for the maximal 1800 s). The defaults fit every valid spec at a 15 s sync. When a list is
/// full of entries that still count, [`decide`] returns an error and changes nothing.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HpaState<const R: usize = 256, const E: usize = 128> {
    /// Recent recommendations; `None` until the first sync seeds it with the current count.
    pub recommendations: Option<Vec<Recommendation, R>>,
    /// Recent scale-ups (only kept when `behavior` is set).
    pub scale_up_events: Vec<ScaleEvent, E>,
    /// Recent scale-downs (only kept when `behavior` is set).
    pub scale_down_events: Vec<ScaleEvent, E>,
    /// Status conditions.
    pub conditions: Conditions,
    /// `status.desiredReplicas`.
    pub desired_replicas: i32,
    /// `status.lastScaleTime`, Unix milliseconds.
    pub last_scale_time_ms: Option<i64>,
}

impl<const R: usize, const E: usize> Default for HpaState<R, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const R: usize, const E: usize> HpaState<R, E> {
    /// The state of an HPA never synced.
    pub const fn new() -> Self {
        Self {
            recommendations: None,
            scale_up_events: Vec::new(),
            scale_down_events: Vec::new(),
            conditions: Conditions::new_const(),
            desired_replicas: 0,
            last_scale_time_ms: None,
        }
    }

    /// Records that the scale subresource could not be read: `AbleToScale=False FailedGetScale`.
    pub fn scale_read_failed(&mut self, now_ms: i64) {
        self.conditions.set(
            ConditionType::AbleToScale,
            ConditionStatus::False,
            ConditionReason::FailedGetScale,
            now_ms,
        );
    }

    /// Completes a rescale that [`decide`] asked for, once the caller has written (or failed to
    /// write) the scale subresource.
    ///
    /// On success: `AbleToScale=True SucceededRescale`, the scale event, `lastScaleTime`,
    /// `desiredReplicas` and `ScaledToZero`. On failure: `AbleToScale=False FailedUpdateScale`
    /// and `desiredReplicas` stays as it was.
    ///
    /// # Errors
    ///
    /// [`HpaError::ScaleEventsFull`], only if the state changed since [`decide`] checked room.
    pub fn complete_rescale(
        &mut self,
        spec: &HpaSpec<'_>,
        config: &ControllerConfig,
        decision: &Decision<'_>,
        written: bool,
        now_ms: i64,
    ) -> Result<(), HpaError> {
        if !decision.rescale {
            return Ok(());
        }
        if !written {
            self.conditions.set(
                ConditionType::AbleToScale,
                ConditionStatus::False,
                ConditionReason::FailedUpdateScale,
                now_ms,
            );
            return Ok(());
        }
        let (current, desired) = (decision.current_replicas, decision.desired_replicas);
        if let Some(behavior) = &spec.behavior {
            let (direction, change) = if desired > current {
                (ScalingDirection::ScaleUp, desired.saturating_sub(current))
            } else {
                (ScalingDirection::ScaleDown, current.saturating_sub(desired))
            };
            let rules = direction_rules(behavior, direction);
            let events = match direction {
                ScalingDirection::ScaleUp => &mut self.scale_up_events,
                ScalingDirection::ScaleDown => &mut self.scale_down_events,
            };
            record_scale_event(
                events,
                rules.longest_policy_period_seconds(),
                change,
                now_ms,
            )?;
        }
        self.conditions.set(
            ConditionType::AbleToScale,
            ConditionStatus::True,
            ConditionReason::SucceededRescale,
            now_ms,
        );
        self.last_scale_time_ms = Some(now_ms);
        self.desired_replicas = desired;
        if config.feature_gates.hpa_scale_to_zero {
            let to_zero = current > 0
                && desired == 0
                && spec.min_replicas() == 0
                && spec.metrics.iter().any(MetricSpec::is_object_or_external);
            let (status, reason) = if to_zero {
                (ConditionStatus::True, ConditionReason::ScaledToZero)
            } else {
                (ConditionStatus::False, ConditionReason::NotScaledToZero)
            };
            self.conditions
                .set(ConditionType::ScaledToZero, status, reason, now_ms);
        } else {
            self.conditions.remove(ConditionType::ScaledToZero);
        }
        Ok(())
    }
}

/// The value a metric reports in `status.currentMetrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MetricValue {
    /// `averageUtilization`, percent.
    pub average_utilization: Option<i32>,
    /// `averageValue`, milli-units.
    pub average_value_milli: Option<i64>,
    /// `value`, milli-units.
    pub value_milli: Option<i64>,
}

/// One metric's replica proposal and current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MetricProposal {
    /// Proposed replicas.
    pub replicas: i32,
    /// Current value, for status.
    pub current: MetricValue,
}

/// Why the controller rescales, as its `SuccessfulRescale` event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RescaleReason {
    /// "Current number of replicas above Spec.MaxReplicas".
    AboveMaxReplicas,
    /// "Current number of replicas below Spec.MinReplicas".
    BelowMinReplicas,
    /// "`<metric>` above target": the metric at this index of `spec.metrics` proposed the most.
    MetricAboveTarget(usize),
    /// "All metrics below target".
    AllMetricsBelowTarget,
}

/// The outcome of one sync.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    /// The scale's `spec.replicas` when the sync began.
    pub current_replicas: i32,
    /// The replica count decided: the new size when `rescale`, else `status.desiredReplicas`.
    pub desired_replicas: i32,
    /// Whether the scale subresource should be written with `desired_replicas`.
    pub rescale: bool,
    /// Why, when there is a reason to change size.
    pub reason: Option<RescaleReason>,
    /// Each metric's proposal or error, in `spec.metrics` order; empty when metrics were not
    /// evaluated (current count outside the bounds, or scaling disabled at zero).
    pub metrics: Vec<Result<MetricProposal, ReplicaCalcError<'a>>, MAX_METRICS>,
    /// The largest valid proposal, when the metrics gave one.
    pub metric_replicas: Option<i32>,
}

impl Decision<'_> {
    /// A decision to rescale from `current`, nothing decided yet.
    pub(crate) fn new(current: i32) -> Self {
        Self {
            current_replicas: current,
            desired_replicas: 0,
            rescale: true,
            reason: None,
            metrics: no_metrics(),
            metric_replicas: None,
        }
    }

    /// Back to [`Self::new`], in place.
    fn reset(&mut self, current: i32) {
        self.current_replicas = current;
        self.desired_replicas = 0;
        self.rescale = true;
        self.reason = None;
        self.metrics.clear();
        self.metric_replicas = None;
    }

    /// The first metric error, which upstream reports in `ScalingActive`.
    pub fn first_error(&self) -> Option<&ReplicaCalcError<'_>> {
        self.metrics.iter().find_map(|m| m.as_ref().err())
    }
}

/// An empty list of metric outcomes, made out of line: built inside [`decide`], the compiler
/// zeroes its buffer (almost a kilobyte, uninitialized by design) on every sync.
#[inline(never)]
fn no_metrics<'a>() -> Vec<Result<MetricProposal, ReplicaCalcError<'a>>, MAX_METRICS> {
    Vec::new()
}

/// The tolerances of this HPA [tolerancesForHpa].
pub fn tolerances_for(spec: &HpaSpec<'_>, config: &ControllerConfig) -> Tolerances {
    let mut tolerances = Tolerances::symmetric(config.tolerance);
    if let (true, Some(behavior)) = (
        config.feature_gates.hpa_configurable_tolerance,
        &spec.behavior,
    ) {
        if let Some(t) = behavior.scale_down.as_ref().and_then(|r| r.tolerance) {
            tolerances.scale_down = t;
        }
        if let Some(t) = behavior.scale_up.as_ref().and_then(|r| r.tolerance) {
            tolerances.scale_up = t;
        }
    }
    tolerances
}

fn direction_rules(behavior: &Behavior, direction: ScalingDirection) -> RulesView<'_> {
    let rules = match direction {
        ScalingDirection::ScaleUp => behavior.scale_up.as_ref(),
        ScalingDirection::ScaleDown => behavior.scale_down.as_ref(),
    };
    RulesView::of(rules, direction)
}

fn failure_reason(metric: &MetricSpec<'_>) -> ConditionReason {
    match metric {
        MetricSpec::Resource { .. } => ConditionReason::FailedGetResourceMetric,
        MetricSpec::ContainerResource { .. } => ConditionReason::FailedGetContainerResourceMetric,
        MetricSpec::Pods { .. } => ConditionReason::FailedGetPodsMetric,
        MetricSpec::Object { .. } => ConditionReason::FailedGetObjectMetric,
        MetricSpec::External { .. } => ConditionReason::FailedGetExternalMetric,
        MetricSpec::Unknown { .. } => ConditionReason::InvalidMetricSourceType,
    }
}

/// One metric's proposal [computeReplicasForMetric].
fn compute_metric<'a>(
    calc: &ReplicaCalculator,
    metric: &MetricSpec<'a>,
    data: Fetched<'a>,
    observation: &Observed<'a>,
    now_ms: i64,
    alignments: &mut Alignments,
) -> Result<MetricProposal, ReplicaCalcError<'a>> {
    let current = observation.spec_replicas;
    let pods = observation.pods;
    if let MetricSpec::Unknown { kind } = *metric {
        return Err(ReplicaCalcError::UnknownSourceType { kind });
    }
    if data == Fetched::Unavailable {
        return Err(ReplicaCalcError::MetricUnavailable);
    }
    let value = |replicas, current| Ok(MetricProposal { replicas, current });
    match (*metric, data) {
        (MetricSpec::Resource { name, target }, Fetched::Resource(samples))
        | (MetricSpec::ContainerResource { name, target, .. }, Fetched::Resource(samples)) => {
            let container = match *metric {
                MetricSpec::ContainerResource { container, .. } => Some(container),
                _ => None,
            };
            match target {
                // computeStatusForResourceMetricGeneric checks AverageValue first.
                MetricTarget::AverageValue(milli) => {
                    let p = calc.resource_average_value_replicas_in(
                        current, milli, name, container, pods, samples, now_ms, alignments,
                    )?;
                    value(
                        p.replicas,
                        MetricValue {
                            average_value_milli: Some(p.usage_milli),
                            ..MetricValue::default()
                        },
                    )
                }
                MetricTarget::Utilization(percent) => {
                    let p = calc.resource_utilization_replicas_in(
                        current, percent, name, container, pods, samples, now_ms, alignments,
                    )?;
                    value(
                        p.replicas,
                        MetricValue {
                            average_utilization: Some(p.utilization),
                            average_value_milli: Some(p.raw_average_milli),
                            value_milli: None,
                        },
                    )
                }
                MetricTarget::Value(_) | MetricTarget::Unset => {
                    Err(ReplicaCalcError::UnsupportedTarget { source: "resource" })
                }
            }
        }
        (MetricSpec::Pods { metric, target }, Fetched::Pods(samples)) => match target {
            MetricTarget::AverageValue(milli) => {
                let p = calc.pods_metric_replicas_in(
                    current, milli, metric, pods, samples, now_ms, alignments,
                )?;
                value(
                    p.replicas,
                    MetricValue {
                        average_value_milli: Some(p.usage_milli),
                        ..MetricValue::default()
                    },
                )
            }
            _ => Err(ReplicaCalcError::UnsupportedTarget { source: "pods" }),
        },
        (MetricSpec::Object { target, .. }, Fetched::Object(usage)) => match target {
            MetricTarget::Value(milli) => {
                let p = calc.object_value_replicas_in(current, milli, usage, pods)?;
                value(
                    p.replicas,
                    MetricValue {
                        value_milli: Some(p.usage_milli),
                        ..MetricValue::default()
                    },
                )
            }
            MetricTarget::AverageValue(milli) => {
                let p =
                    calc.object_average_value_replicas(observation.status_replicas, milli, usage)?;
                value(
                    p.replicas,
                    MetricValue {
                        average_value_milli: Some(p.usage_milli),
                        ..MetricValue::default()
                    },
                )
            }
            MetricTarget::Utilization(_) | MetricTarget::Unset => {
                Err(ReplicaCalcError::UnsupportedTarget { source: "object" })
            }
        },
        (MetricSpec::External { metric, target }, Fetched::External(values)) => match target {
            // computeStatusForExternalMetric checks AverageValue first.
            MetricTarget::AverageValue(milli) => {
                let p = calc.external_average_value_replicas(
                    observation.status_replicas,
                    milli,
                    values,
                    metric,
                )?;
                value(
                    p.replicas,
                    MetricValue {
                        average_value_milli: Some(p.usage_milli),
                        ..MetricValue::default()
                    },
                )
            }
            MetricTarget::Value(milli) => {
                let p = calc.external_value_replicas_in(current, milli, values, metric, pods)?;
                value(
                    p.replicas,
                    MetricValue {
                        value_milli: Some(p.usage_milli),
                        ..MetricValue::default()
                    },
                )
            }
            MetricTarget::Utilization(_) | MetricTarget::Unset => {
                Err(ReplicaCalcError::UnsupportedTarget { source: "external" })
            }
        },
        _ => Err(ReplicaCalcError::DataMismatch),
    }
}

/// Decides one sync of an HPA and records it in `state`, up to writing the scale.
///
/// This is upstream's `reconcileAutoscaler` up to the scale update: it seeds the recommendation
/// history, evaluates every metric, stabilizes, applies min, max and the rate limits, and sets
/// the conditions. When [`Decision::rescale`] is true, write `desired_replicas` to the scale
/// subresource and then call [`HpaState::complete_rescale`]; [`sync`] does both for callers that
/// cannot fail to write (simulations, notebooks).
///
/// # Errors
///
/// Invalid input (mismatched metric data, an empty metric list) or a full history; `state` is
/// then unchanged.
pub fn decide<'a, const R: usize, const E: usize>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &Observation<'a>,
    now_ms: i64,
) -> Result<Decision<'a>, HpaError> {
    let observed = Observed {
        spec_replicas: observation.spec_replicas,
        status_replicas: observation.status_replicas,
        selector: observation.selector,
        pods: PodList::Each(observation.pods),
        metrics: MetricList::Each(observation.metrics),
    };
    let mut decision = Decision::new(observation.spec_replicas);
    decide_observed(spec, config, state, &observed, now_ms, &mut decision, None)?;
    Ok(decision)
}

/// [`decide`] with the pods in cohorts: the same sync, rule for rule, on pods counted in
/// cohorts (see [`PodCohort`](super::PodCohort)). `n` pods that differ only by name and sample
/// value decide exactly as one cohort of `n` whose samples add up to the same sum.
///
/// ```
/// use podscale::hpa::*;
/// let requests = [ResourceAmount::cpu(200)];
/// let containers = [Container::new("app", &requests)];
/// // 100 pods created together, using 180m each: 90% of their request against a 50% target.
/// let cohorts = [PodCohort { pod: Pod::running_ready("web-0", &containers), count: 100 }];
/// let timing = SampleTiming { timestamp_ms: 0, window_ms: 15_000 };
/// let samples = [Some(CohortSample { timing, sum_milli: 100 * 180 })];
/// let data = [CohortMetricData::Resource(&samples)];
/// let observation = CohortObservation::new(100, 100, &cohorts, &data);
/// let spec = HpaSpec::new(1, 500, &[MetricSpec::resource_utilization("cpu", 50)])?;
/// let mut state: HpaState = HpaState::new();
/// let decision = decide_cohorts(&spec, &ControllerConfig::default(), &mut state, &observation, 0)?;
/// assert_eq!(decision.desired_replicas, 180);
/// # Ok::<(), podscale::hpa::HpaError>(())
/// ```
///
/// # Errors
///
/// As [`decide`].
pub fn decide_cohorts<'a, const R: usize, const E: usize>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &CohortObservation<'a>,
    now_ms: i64,
) -> Result<Decision<'a>, HpaError> {
    let mut decision = Decision::new(observation.spec_replicas);
    decide_cohorts_into(
        spec,
        config,
        state,
        observation,
        now_ms,
        &mut decision,
        None,
    )?;
    Ok(decision)
}

/// [`decide_cohorts`] into a decision the caller keeps (its earlier content is replaced): a
/// decision holds a list of every metric's outcome, almost a kilobyte, which a caller syncing
/// at every step of a simulation saves moving around.
///
/// `reuse`, when given, is every metric's proposal from an earlier sync whose metric inputs
/// the caller knows to be equivalent (see [`sync_cohorts_into`]); the metrics are then not
/// evaluated again.
pub(crate) fn decide_cohorts_into<'a, const R: usize, const E: usize>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &CohortObservation<'a>,
    now_ms: i64,
    decision: &mut Decision<'a>,
    reuse: Option<&[MetricProposal]>,
) -> Result<(), HpaError> {
    let observed = Observed {
        spec_replicas: observation.spec_replicas,
        status_replicas: observation.status_replicas,
        selector: observation.selector,
        pods: PodList::Cohorts(observation.cohorts),
        metrics: MetricList::Cohorts(observation.metrics),
    };
    decide_observed(spec, config, state, &observed, now_ms, decision, reuse)
}

/// An observation with its pods one by one or in cohorts: what the pipeline reads.
#[derive(Debug, Clone, Copy)]
struct Observed<'a> {
    spec_replicas: i32,
    status_replicas: i32,
    selector: SelectorState,
    pods: PodList<'a>,
    metrics: MetricList<'a>,
}

/// The metrics' data, for pods one by one or in cohorts.
#[derive(Debug, Clone, Copy)]
enum MetricList<'a> {
    Each(&'a [MetricData<'a>]),
    Cohorts(&'a [CohortMetricData<'a>]),
}

impl<'a> MetricList<'a> {
    fn len(&self) -> usize {
        match self {
            Self::Each(list) => list.len(),
            Self::Cohorts(list) => list.len(),
        }
    }

    fn get(&self, index: usize) -> Option<Fetched<'a>> {
        match self {
            Self::Each(list) => list.get(index).map(|&d| Fetched::from(d)),
            Self::Cohorts(list) => list.get(index).map(|&d| Fetched::from(d)),
        }
    }
}

/// The body of [`decide`] and [`decide_cohorts`] [reconcileAutoscaler], into `decision`;
/// `reuse` as in [`decide_cohorts_into`].
///
/// The conditions are written only if the sync succeeds (its status update). They are changed
/// in place and put back when it fails, rather than built in a copy and copied out on success:
/// that copy, read back right after its fields were written one by one, showed in profiles.
fn decide_observed<'a, const R: usize, const E: usize>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &Observed<'a>,
    now_ms: i64,
    decision: &mut Decision<'a>,
    reuse: Option<&[MetricProposal]>,
) -> Result<(), HpaError> {
    let saved = state.conditions.clone();
    let outcome = decide_in_place(spec, config, state, observation, now_ms, decision, reuse);
    if outcome.is_err() {
        state.conditions = saved;
    }
    outcome
}

/// [`decide_observed`] with the conditions changed in `state`, also when it fails.
fn decide_in_place<'a, const R: usize, const E: usize>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &Observed<'a>,
    now_ms: i64,
    decision: &mut Decision<'a>,
    reuse: Option<&[MetricProposal]>,
) -> Result<(), HpaError> {
    if spec.metrics.is_empty() {
        return Err(HpaError::InvalidField {
            field: "metrics",
            value: 0,
        });
    }
    if observation.metrics.len() != spec.metrics.len() {
        return Err(HpaError::MetricDataCount {
            metrics: spec.metrics.len(),
            data: observation.metrics.len(),
        });
    }
    let gates = config.feature_gates;
    let conditions = &mut state.conditions;
    conditions.set(
        ConditionType::AbleToScale,
        ConditionStatus::True,
        ConditionReason::SucceededGetScale,
        now_ms,
    );
    let current = observation.spec_replicas;
    // recordInitialRecommendation: an absent history starts with the current count.
    let seed = [Recommendation {
        replicas: current,
        timestamp_ms: now_ms,
    }];
    let history: &[Recommendation] = state.recommendations.as_deref().unwrap_or(&seed);

    let min = spec.min_replicas();
    let max = spec.max_replicas;
    let has_object_or_external = spec.metrics.iter().any(MetricSpec::is_object_or_external);
    let scaled_to_zero = gates.hpa_scale_to_zero
        && conditions
            .get(ConditionType::ScaledToZero)
            .is_some_and(|c| c.status == ConditionStatus::True);
    let can_scale_from_zero = scaled_to_zero && has_object_or_external;

    decision.reset(current);
    let mut needs_metrics = true;
    if current == 0 {
        if !((min != 0 && scaled_to_zero) || can_scale_from_zero) {
            // A manual scale to zero turns the HPA off.
            decision.rescale = false;
            needs_metrics = false;
            conditions.set(
                ConditionType::ScalingActive,
                ConditionStatus::False,
                ConditionReason::ScalingDisabled,
                now_ms,
            );
            if !gates.hpa_scale_to_zero {
                conditions.remove(ConditionType::ScaledToZero);
            }
        }
    } else if current > max {
        decision.reason = Some(RescaleReason::AboveMaxReplicas);
        decision.desired_replicas = max;
        needs_metrics = false;
    } else if current < min {
        decision.reason = Some(RescaleReason::BelowMinReplicas);
        decision.desired_replicas = min;
        needs_metrics = false;
    }

    // API defaulting of both directions, done once per sync.
    let rules = spec.behavior.as_ref().map(|b| {
        (
            direction_rules(b, ScalingDirection::ScaleUp),
            direction_rules(b, ScalingDirection::ScaleDown),
        )
    });
    let mut recorded: Option<(Slot, i32)> = None;
    if needs_metrics {
        let outcome = compute_metrics(
            spec,
            config,
            observation,
            decision,
            conditions,
            now_ms,
            reuse,
        );
        let Some((metric_replicas, best_index)) = outcome else {
            // computeReplicasForMetrics gave up: nothing is scaled or recorded.
            decision.rescale = false;
            decision.desired_replicas = state.desired_replicas;
            commit(state, None, current, now_ms)?;
            return Ok(());
        };
        decision.metric_replicas = Some(metric_replicas);
        let mut desired = 0;
        if metric_replicas > desired {
            desired = metric_replicas;
        }
        if desired > current {
            decision.reason = Some(RescaleReason::MetricAboveTarget(best_index));
        } else if desired < current {
            decision.reason = Some(RescaleReason::AllMetricsBelowTarget);
        }
        let (stabilized, slot) = match &rules {
            None => {
                // normalizeDesiredReplicas
                let plan = stabilization::plan_legacy(
                    history,
                    desired,
                    config.downscale_stabilization_window_ms,
                    now_ms,
                );
                let reason = if plan.replicas != desired {
                    ConditionReason::ScaleDownStabilized
                } else {
                    ConditionReason::ReadyForNewScale
                };
                conditions.set(
                    ConditionType::AbleToScale,
                    ConditionStatus::True,
                    reason,
                    now_ms,
                );
                let limited = limit_replicas_legacy(
                    current,
                    plan.replicas,
                    min,
                    max,
                    config.scale_up_limit_factor,
                    config.scale_up_limit_minimum,
                );
                set_limited(
                    conditions,
                    limited.replicas != plan.replicas,
                    limited.reason,
                    now_ms,
                );
                (limited.replicas, plan.slot)
            }
            Some((up, down)) => {
                // normalizeDesiredReplicasWithBehaviors
                let up_window_ms =
                    seconds_to_ms(i64::from(up.stabilization_window_seconds.unwrap_or(0)));
                // maybeInitScaleDownStabilizationWindow: the flag, in whole seconds.
                let flag_seconds = config.downscale_stabilization_window_ms / 1000;
                let down_window_ms = seconds_to_ms(
                    down.stabilization_window_seconds
                        .map_or(flag_seconds, i64::from),
                );
                let plan = stabilization::plan_with_behavior(
                    history,
                    current,
                    desired,
                    up_window_ms,
                    down_window_ms,
                    now_ms,
                );
                let reason = if plan.replicas == desired {
                    ConditionReason::ReadyForNewScale
                } else if desired >= current {
                    ConditionReason::ScaleUpStabilized
                } else {
                    ConditionReason::ScaleDownStabilized
                };
                conditions.set(
                    ConditionType::AbleToScale,
                    ConditionStatus::True,
                    reason,
                    now_ms,
                );
                let limited = limit_with_rules(
                    current,
                    plan.replicas,
                    (min, max),
                    *up,
                    *down,
                    (&state.scale_up_events, &state.scale_down_events),
                    now_ms,
                );
                set_limited(
                    conditions,
                    limited.replicas != plan.replicas,
                    limited.reason,
                    now_ms,
                );
                (limited.replicas, plan.slot)
            }
        };
        recorded = Some((slot, desired));
        decision.desired_replicas = stabilized;
        // Scaling from zero with a raised minReplicas lands on at least minReplicas.
        if current == 0 && min != 0 && scaled_to_zero && decision.desired_replicas < min {
            decision.desired_replicas = min;
            decision
                .reason
                .get_or_insert(RescaleReason::BelowMinReplicas);
        }
        decision.rescale = decision.desired_replicas != current;
    }

    if decision.rescale {
        if let Some((up, down)) = &rules {
            // Refuse now, before anything is written, if the event could not be stored later.
            let (direction_rules, events) = if decision.desired_replicas > current {
                (up, &state.scale_up_events)
            } else {
                (down, &state.scale_down_events)
            };
            let longest = direction_rules.longest_policy_period_seconds();
            if events.is_full() && event_slot(events, longest, now_ms).is_none() {
                return Err(HpaError::ScaleEventsFull { capacity: E });
            }
        }
    } else {
        decision.desired_replicas = current;
    }
    commit(state, recorded, current, now_ms)?;
    if !decision.rescale {
        state.desired_replicas = current;
    }
    Ok(())
}

/// Decides one sync and completes it as if the scale write succeeded: for simulations.
///
/// # Errors
///
/// As [`decide`].
pub fn sync<'a, const R: usize, const E: usize>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &Observation<'a>,
    now_ms: i64,
) -> Result<Decision<'a>, HpaError> {
    let decision = decide(spec, config, state, observation, now_ms)?;
    state.complete_rescale(spec, config, &decision, true, now_ms)?;
    Ok(decision)
}

/// [`sync`] with the pods in cohorts: [`decide_cohorts`], then the rescale completed as if the
/// scale write succeeded.
///
/// ```
/// use podscale::hpa::*;
/// let requests = [ResourceAmount::cpu(200)];
/// let containers = [Container::new("app", &requests)];
/// let cohorts = [PodCohort { pod: Pod::running_ready("web-0", &containers), count: 4 }];
/// let timing = SampleTiming { timestamp_ms: 0, window_ms: 15_000 };
/// let samples = [Some(CohortSample { timing, sum_milli: 4 * 200 })];
/// let data = [CohortMetricData::Resource(&samples)];
/// let spec = HpaSpec::new(1, 10, &[MetricSpec::resource_utilization("cpu", 50)])?;
/// let mut state: HpaState = HpaState::new();
/// let observation = CohortObservation::new(4, 4, &cohorts, &data);
/// let decision = sync_cohorts(&spec, &ControllerConfig::default(), &mut state, &observation, 0)?;
/// assert_eq!((decision.desired_replicas, state.desired_replicas), (8, 8));
/// # Ok::<(), podscale::hpa::HpaError>(())
/// ```
///
/// # Errors
///
/// As [`decide`].
pub fn sync_cohorts<'a, const R: usize, const E: usize>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &CohortObservation<'a>,
    now_ms: i64,
) -> Result<Decision<'a>, HpaError> {
    let mut decision = Decision::new(observation.spec_replicas);
    sync_cohorts_into(
        spec,
        config,
        state,
        observation,
        now_ms,
        &mut decision,
        None,
    )?;
    Ok(decision)
}

/// [`sync_cohorts`] into a decision the caller keeps (see [`decide_cohorts_into`]).
///
/// `reuse`: every metric's proposal from an earlier sync, for a caller that knows this sync's
/// metric inputs to be equivalent to that one's (the same `spec`, `config`, replica counts and
/// metric data, and pods that each class and request as they did then), so that
/// [computeReplicasForMetric] would propose the same again; the metrics are then not evaluated.
/// Everything after the proposals (stabilization, limits, conditions) runs as always.
pub(crate) fn sync_cohorts_into<'a, const R: usize, const E: usize>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &CohortObservation<'a>,
    now_ms: i64,
    decision: &mut Decision<'a>,
    reuse: Option<&[MetricProposal]>,
) -> Result<(), HpaError> {
    decide_cohorts_into(spec, config, state, observation, now_ms, decision, reuse)?;
    state.complete_rescale(spec, config, decision, true, now_ms)
}

fn set_limited(conditions: &mut Conditions, limited: bool, reason: ConditionReason, now_ms: i64) {
    let status = if limited {
        ConditionStatus::True
    } else {
        ConditionStatus::False
    };
    conditions.set(ConditionType::ScalingLimited, status, reason, now_ms);
}

/// Writes the seed and this sync's recommendation, or nothing if the history has no room (the
/// conditions are in `state` already).
fn commit<const R: usize, const E: usize>(
    state: &mut HpaState<R, E>,
    recorded: Option<(Slot, i32)>,
    current: i32,
    now_ms: i64,
) -> Result<(), HpaError> {
    let len = state
        .recommendations
        .as_ref()
        .map_or(1, |history| history.len());
    let appends = matches!(recorded, Some((Slot::Append, _)));
    if R == 0 || (appends && len >= R) {
        return Err(HpaError::RecommendationHistoryFull { capacity: R });
    }
    let history = state.recommendations.get_or_insert_with(|| {
        let mut seeded = Vec::new();
        // R > 0 was checked above.
        let _ = seeded.push(Recommendation {
            replicas: current,
            timestamp_ms: now_ms,
        });
        seeded
    });
    if let Some((slot, replicas)) = recorded {
        stabilization::record(
            history,
            slot,
            Recommendation {
                replicas,
                timestamp_ms: now_ms,
            },
        )?;
    }
    Ok(())
}

/// Evaluates every metric [computeReplicasForMetrics]. `None` means the controller gives up this
/// sync; otherwise the largest proposal and the index of the metric that made it. `reuse`: the
/// proposals of every metric, known to be what evaluating them would give again.
fn compute_metrics<'a>(
    spec: &HpaSpec<'a>,
    config: &ControllerConfig,
    observation: &Observed<'a>,
    decision: &mut Decision<'a>,
    conditions: &mut Conditions,
    now_ms: i64,
    reuse: Option<&[MetricProposal]>,
) -> Option<(i32, usize)> {
    let selector_reason = match observation.selector {
        SelectorState::Valid => None,
        SelectorState::Invalid => Some(ConditionReason::InvalidSelector),
        SelectorState::Ambiguous => Some(ConditionReason::AmbiguousSelector),
    };
    if let Some(reason) = selector_reason {
        conditions.set(
            ConditionType::ScalingActive,
            ConditionStatus::False,
            reason,
            now_ms,
        );
        return None;
    }
    match reuse.filter(|proposals| proposals.len() == spec.metrics.len()) {
        Some(proposals) => {
            for proposal in proposals {
                // As many as spec.metrics, which MAX_METRICS bounds.
                let _ = decision.metrics.push(Ok(*proposal));
            }
        }
        None => {
            let calc = ReplicaCalculator {
                tolerances: tolerances_for(spec, config),
                readiness: config.readiness,
                pod_level_resources: config.feature_gates.pod_level_resources,
            };
            let mut alignments = Alignments::default();
            for (index, metric) in spec.metrics.iter().enumerate() {
                // decide checked there is data for every metric.
                let data = observation
                    .metrics
                    .get(index)
                    .unwrap_or(Fetched::Unavailable);
                let outcome =
                    compute_metric(&calc, metric, data, observation, now_ms, &mut alignments);
                // MAX_METRICS bounds spec.metrics, so every outcome fits.
                let _ = decision.metrics.push(outcome);
            }
        }
    }
    let mut replicas = 0i32;
    let mut best = 0usize;
    let mut invalid = 0usize;
    let mut first_invalid = None;
    for (index, (metric, outcome)) in spec.metrics.iter().zip(&decision.metrics).enumerate() {
        match outcome {
            Ok(p) => {
                if replicas == 0 || p.replicas > replicas {
                    replicas = p.replicas;
                    best = index;
                }
            }
            Err(_) => {
                invalid = invalid.saturating_add(1);
                first_invalid.get_or_insert(failure_reason(metric));
            }
        }
    }
    if invalid >= spec.metrics.len() || (invalid > 0 && replicas < observation.spec_replicas) {
        if let Some(reason) = first_invalid {
            conditions.set(
                ConditionType::ScalingActive,
                ConditionStatus::False,
                reason,
                now_ms,
            );
        }
        return None;
    }
    conditions.set(
        ConditionType::ScalingActive,
        ConditionStatus::True,
        ConditionReason::ValidMetricFound,
        now_ms,
    );
    Some((replicas, best))
}
