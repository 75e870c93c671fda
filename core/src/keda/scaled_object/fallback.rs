//! `fallback`: after `failureThreshold` consecutive failures of a trigger's metric, KEDA serves a
//! metric that makes the HPA hold a chosen replica count [GetMetricsWithFallback, doFallback].

use heapless::Vec;

use crate::hpa::MetricTarget;

use super::error::ScaledObjectError;
use super::scaling_modifiers::ScalingModifiers;
use super::spec::{MAX_TRIGGERS, MetricTargetType, ScaledObjectSpec};
use super::trigger_activity::TriggerObservation;

/// `fallback.behavior`: which replica count the fallback metric asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum FallbackBehavior {
    /// `static` (the default): `fallback.replicas`.
    #[default]
    Static,
    /// `currentReplicas`: the target's current count.
    CurrentReplicas,
    /// `currentReplicasIfHigher`: the larger of the current count and `fallback.replicas`.
    CurrentReplicasIfHigher,
    /// `currentReplicasIfLower`: the smaller of the current count and `fallback.replicas`.
    CurrentReplicasIfLower,
    /// `scalingModifiers`: the failing trigger enters the formula as `nil` (for `??`), and a
    /// `nil` formula result becomes `fallback.replicas × target`.
    ScalingModifiers,
}

impl FallbackBehavior {
    /// Parses `fallback.behavior`; empty means the default, `static`.
    ///
    /// # Errors
    ///
    /// A value outside the CRD's enum.
    ///
    /// ```
    /// use podscale::keda::FallbackBehavior;
    /// assert_eq!(FallbackBehavior::parse("currentReplicasIfHigher"), Ok(FallbackBehavior::CurrentReplicasIfHigher));
    /// assert_eq!(FallbackBehavior::parse(""), Ok(FallbackBehavior::Static));
    /// assert!(FallbackBehavior::parse("dynamic").is_err());
    /// ```
    pub fn parse(value: &str) -> Result<Self, ScaledObjectError<'_>> {
        match value {
            "" | "static" => Ok(Self::Static),
            "currentReplicas" => Ok(Self::CurrentReplicas),
            "currentReplicasIfHigher" => Ok(Self::CurrentReplicasIfHigher),
            "currentReplicasIfLower" => Ok(Self::CurrentReplicasIfLower),
            "scalingModifiers" => Ok(Self::ScalingModifiers),
            other => Err(ScaledObjectError::UnknownFallbackBehavior { value: other }),
        }
    }
}

/// `fallback`.
///
/// ```
/// use podscale::keda::{Fallback, FallbackBehavior};
/// let fallback = Fallback { failure_threshold: 3, replicas: 6, behavior: FallbackBehavior::CurrentReplicasIfHigher };
/// assert_eq!(fallback.replicas_for(2), 6);
/// assert_eq!(fallback.replicas_for(9), 9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Fallback {
    /// `failureThreshold`: fallback starts when the failure count exceeds it (strictly).
    pub failure_threshold: i32,
    /// `replicas`.
    pub replicas: i32,
    /// `behavior`.
    pub behavior: FallbackBehavior,
}

impl Fallback {
    /// Whether KEDA applies this fallback at all [HasValidFallback]: threshold and replicas at
    /// least 0, and with modifiers a target that Go's `ParseInt` reads as an integer above 0 (a
    /// quirk: target `"2.5"` silently disables fallback).
    pub fn is_usable(&self, modifiers: Option<&ScalingModifiers<'_>>) -> bool {
        let modifier_target_ok =
            modifiers.is_none_or(|m| m.target.parse::<i64>().is_ok_and(|t| t > 0));
        self.failure_threshold >= 0 && self.replicas >= 0 && modifier_target_ok
    }

    /// The replica count the fallback metric asks for, by behavior [doFallback]. `static` (and
    /// `scalingModifiers`, whose count only applies to a `nil` formula) ignore the current
    /// count.
    pub fn replicas_for(&self, current_replicas: i32) -> i32 {
        match self.behavior {
            FallbackBehavior::Static | FallbackBehavior::ScalingModifiers => self.replicas,
            FallbackBehavior::CurrentReplicas => current_replicas,
            FallbackBehavior::CurrentReplicasIfHigher => current_replicas.max(self.replicas),
            FallbackBehavior::CurrentReplicasIfLower => current_replicas.min(self.replicas),
        }
    }
}

/// `status.health[metric].status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum HealthStatus {
    /// The last fetch succeeded.
    Happy,
    /// The last fetch failed.
    Failing,
}

/// `status.health[metric]`: consecutive failures of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MetricHealth {
    /// `numberOfFailures`.
    pub number_of_failures: i32,
    /// `status`.
    pub status: HealthStatus,
}

/// `status.health`: one entry per external metric, kept by the caller (part of
/// [`ScaledObjectState`](super::ScaledObjectState)).
///
/// KEDA keys the entries by metric name; podscale keys them by the trigger's position in
/// `spec.triggers` (one metric per trigger), so no names need storing. Clear it when the
/// trigger list changes, as KEDA drops the entries of metrics that are gone
/// [updateHealthStatus]. `N` bounds the positions (the default fits every trigger).
///
/// ```
/// use podscale::keda::{FallbackHealth, HealthStatus};
/// let mut health: FallbackHealth = FallbackHealth::new();
/// health.record_failure(1)?;
/// let entry = health.get(1).unwrap();
/// assert_eq!((entry.number_of_failures, entry.status), (1, HealthStatus::Failing));
/// assert!(health.get(0).is_none());
/// # Ok::<(), podscale::keda::ScaledObjectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FallbackHealth<const N: usize = MAX_TRIGGERS> {
    /// The entry of each trigger position; `None` where no fetch was recorded yet.
    pub metrics: Vec<Option<MetricHealth>, N>,
}

impl<const N: usize> Default for FallbackHealth<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FallbackHealth<N> {
    /// No entries.
    pub const fn new() -> Self {
        Self {
            metrics: Vec::new(),
        }
    }

    /// The entry of trigger position `index`.
    pub fn get(&self, index: usize) -> Option<MetricHealth> {
        self.metrics.get(index).copied().flatten()
    }

    fn slot(
        &mut self,
        index: usize,
    ) -> Result<&mut Option<MetricHealth>, ScaledObjectError<'static>> {
        let full = ScaledObjectError::CapacityExceeded {
            field: "health",
            capacity: N,
        };
        while self.metrics.len() <= index {
            self.metrics.push(None).map_err(|_| full)?;
        }
        self.metrics.get_mut(index).ok_or(full)
    }

    /// A successful fetch: 0 failures, `Happy`.
    ///
    /// # Errors
    ///
    /// `index` beyond the capacity `N`.
    pub fn record_success(
        &mut self,
        index: usize,
    ) -> Result<MetricHealth, ScaledObjectError<'static>> {
        let entry = MetricHealth {
            number_of_failures: 0,
            status: HealthStatus::Happy,
        };
        *self.slot(index)? = Some(entry);
        Ok(entry)
    }

    /// A failed fetch: one more failure (saturating), `Failing` [IncrementFailure].
    ///
    /// # Errors
    ///
    /// `index` beyond the capacity `N`.
    pub fn record_failure(
        &mut self,
        index: usize,
    ) -> Result<MetricHealth, ScaledObjectError<'static>> {
        let slot = self.slot(index)?;
        let failures = slot.map_or(0, |h| h.number_of_failures).saturating_add(1);
        let entry = MetricHealth {
            number_of_failures: failures,
            status: HealthStatus::Failing,
        };
        *slot = Some(entry);
        Ok(entry)
    }

    /// Whether any metric is failing more than `failure_threshold` times: the `Fallback`
    /// condition is then true [fallbackExceededThreshold].
    pub fn is_falling_back(&self, failure_threshold: i32) -> bool {
        self.metrics
            .iter()
            .flatten()
            .any(|h| h.status == HealthStatus::Failing && h.number_of_failures > failure_threshold)
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.metrics.clear();
    }
}

/// The target's replica counts fallback may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WorkloadReplicas {
    /// The scale subresource's `spec.replicas` (for the `currentReplicas*` behaviors).
    pub current: i32,
    /// Running and ready pods (for a `Value` target, which divides by it).
    pub ready: i32,
}

/// What one metric fetch amounts to once fallback has seen it [GetMetricsWithFallback].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum FallbackDecision {
    /// The fetch succeeded: use its value.
    Healthy,
    /// The fetch failed and the error stands: no fallback configured or usable, the failure
    /// count not above the threshold, or a `Value` target with no ready pod.
    Failing,
    /// Fallback is active: the metric is replaced by this value (milli-precision), which the
    /// HPA turns into the fallback replica count.
    Replaced {
        /// The metric value served instead.
        value: f64,
    },
    /// Fallback is active under `behavior: scalingModifiers`: the trigger enters the formula
    /// as `nil`.
    Nil,
}

impl FallbackDecision {
    /// Whether the fallback is active for this metric.
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Replaced { .. } | Self::Nil)
    }

    /// The observation the ScaledObject's activity sees: a replaced metric counts as active and
    /// not errored, so KEDA activates from zero with it; a failing one stays an error.
    ///
    /// Under `behavior: scalingModifiers` the trigger stays an error here: KEDA passes `nil`
    /// only to the formula of the metric the HPA reads ([`Self::formula_value`]).
    ///
    /// ```
    /// use podscale::keda::{FallbackDecision, TriggerObservation};
    /// let seen = FallbackDecision::Replaced { value: 6.0 }.observation(TriggerObservation::failed());
    /// assert_eq!(seen, TriggerObservation::active(6.0));
    /// ```
    pub fn observation(self, fetched: TriggerObservation) -> TriggerObservation {
        match self {
            Self::Healthy => fetched,
            Self::Failing | Self::Nil => TriggerObservation {
                error: true,
                ..fetched
            },
            Self::Replaced { value } => TriggerObservation::active(value),
        }
    }

    /// The trigger's value in a `scalingModifiers` formula: the fetched or replaced value, or
    /// `None` (nil) when failing.
    pub fn formula_value(self, fetched: TriggerObservation) -> Option<f64> {
        match self {
            Self::Healthy if !fetched.error => Some(fetched.metric),
            Self::Replaced { value } => Some(value),
            Self::Healthy | Self::Failing | Self::Nil => None,
        }
    }
}

/// Records one fetch of the metric of trigger `index` in `health` and decides whether fallback
/// replaces it [GetMetricsWithFallback].
///
/// `failed` says whether the fetch failed; `target` is the trigger's HPA target (for the
/// fallback value's scale). Health is only tracked when the ScaledObject has a usable
/// fallback, as in KEDA.
///
/// # Errors
///
/// `index` beyond the capacity of `health`.
///
/// ```
/// use podscale::hpa::MetricTarget;
/// use podscale::keda::*;
/// let mut so = ScaledObjectSpec::new("so", &[Trigger::new("prometheus")])?;
/// so.fallback = Some(Fallback { failure_threshold: 2, replicas: 6, behavior: FallbackBehavior::Static });
/// let mut health: FallbackHealth = FallbackHealth::new();
/// let target = MetricTarget::AverageValue(5_000); // 5 per pod
/// let replicas = WorkloadReplicas { current: 1, ready: 1 };
/// let mut decide = |failed| metric_with_fallback(&so, &mut health, 0, failed, target, replicas);
/// assert_eq!(decide(true)?, FallbackDecision::Failing); // 1 failure
/// assert_eq!(decide(true)?, FallbackDecision::Failing); // 2: not above the threshold
/// assert_eq!(decide(true)?, FallbackDecision::Replaced { value: 30.0 }); // 6 pods × 5
/// assert_eq!(decide(false)?, FallbackDecision::Healthy);
/// # Ok::<(), ScaledObjectError>(())
/// ```
pub fn metric_with_fallback<'a, const N: usize>(
    spec: &ScaledObjectSpec<'a>,
    health: &mut FallbackHealth<N>,
    index: usize,
    failed: bool,
    target: MetricTarget,
    replicas: WorkloadReplicas,
) -> Result<FallbackDecision, ScaledObjectError<'a>> {
    let modifiers = spec.scaling_modifiers();
    let usable = spec.fallback.filter(|f| f.is_usable(modifiers));
    if !failed {
        if usable.is_some() {
            health.record_success(index)?;
        }
        return Ok(FallbackDecision::Healthy);
    }
    let Some(fallback) = usable else {
        return Ok(FallbackDecision::Failing);
    };
    let entry = health.record_failure(index)?;
    if entry.number_of_failures <= fallback.failure_threshold {
        return Ok(FallbackDecision::Failing);
    }
    if fallback.behavior == FallbackBehavior::ScalingModifiers {
        return Ok(FallbackDecision::Nil);
    }
    // [doFallback]
    let mut count = f64::from(fallback.replicas_for(replicas.current));
    let value_target = match modifiers {
        Some(m) => m.metric_type == Some(MetricTargetType::Value),
        None => matches!(target, MetricTarget::Value(_)),
    };
    if value_target {
        // A Value target is compared with the whole metric: divide by the ready pods, and fail
        // (the error stands) when there are none.
        if replicas.ready <= 0 {
            return Ok(FallbackDecision::Failing);
        }
        count /= f64::from(replicas.ready);
    }
    #[allow(clippy::cast_precision_loss)] // targets are milli-units far below 2^53
    let normalisation = match modifiers {
        Some(m) => m.target_value().unwrap_or(0.0),
        None => match target {
            MetricTarget::AverageValue(milli) | MetricTarget::Value(milli) => milli as f64 / 1000.0,
            MetricTarget::Utilization(_) | MetricTarget::Unset => 0.0,
        },
    };
    // NewMilliQuantity(int64(normalisationValue*1000*replicas)), in Go's evaluation order.
    let milli = (normalisation * 1000.0 * count) as i64;
    #[allow(clippy::cast_precision_loss)]
    let value = milli as f64 / 1000.0;
    Ok(FallbackDecision::Replaced { value })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::keda::Trigger;

    fn spec(fallback: Fallback) -> ScaledObjectSpec<'static> {
        let mut so = ScaledObjectSpec::new("so", &[Trigger::new("prometheus")]).unwrap();
        so.fallback = Some(fallback);
        so
    }

    #[test]
    fn behaviors_pick_replicas() {
        let f = |behavior| Fallback {
            failure_threshold: 0,
            replicas: 5,
            behavior,
        };
        assert_eq!(f(FallbackBehavior::Static).replicas_for(9), 5);
        assert_eq!(f(FallbackBehavior::CurrentReplicas).replicas_for(9), 9);
        assert_eq!(
            f(FallbackBehavior::CurrentReplicasIfHigher).replicas_for(3),
            5
        );
        assert_eq!(
            f(FallbackBehavior::CurrentReplicasIfLower).replicas_for(3),
            3
        );
        assert_eq!(
            f(FallbackBehavior::CurrentReplicasIfLower).replicas_for(8),
            5
        );
    }

    #[test]
    fn value_target_divides_by_ready_pods() {
        let so = spec(Fallback {
            failure_threshold: 0,
            replicas: 6,
            behavior: FallbackBehavior::Static,
        });
        let mut health: FallbackHealth = FallbackHealth::new();
        let target = MetricTarget::Value(2_000);
        let ready = |ready| WorkloadReplicas { current: 3, ready };
        assert_eq!(
            metric_with_fallback(&so, &mut health, 0, true, target, ready(4)).unwrap(),
            FallbackDecision::Replaced { value: 3.0 } // 2 × 1000 × 6/4, in milli
        );
        assert_eq!(
            metric_with_fallback(&so, &mut health, 0, true, target, ready(0)).unwrap(),
            FallbackDecision::Failing
        );
    }

    #[test]
    fn unusable_fallback_tracks_nothing() {
        let so = spec(Fallback {
            failure_threshold: -1,
            replicas: 6,
            behavior: FallbackBehavior::Static,
        });
        let mut health: FallbackHealth = FallbackHealth::new();
        let target = MetricTarget::AverageValue(1000);
        let r = WorkloadReplicas::default();
        assert_eq!(
            metric_with_fallback(&so, &mut health, 0, true, target, r).unwrap(),
            FallbackDecision::Failing
        );
        assert_eq!(health.get(0), None);
    }

    #[test]
    fn scaling_modifiers_behavior_passes_nil() {
        let mut so = spec(Fallback {
            failure_threshold: 0,
            replicas: 6,
            behavior: FallbackBehavior::ScalingModifiers,
        });
        so.advanced = Some(crate::keda::AdvancedConfig {
            scaling_modifiers: ScalingModifiers {
                formula: "a ?? 1",
                target: "2",
                ..ScalingModifiers::default()
            },
            ..crate::keda::AdvancedConfig::default()
        });
        let mut health: FallbackHealth = FallbackHealth::new();
        let decision = metric_with_fallback(
            &so,
            &mut health,
            2,
            true,
            MetricTarget::AverageValue(1000),
            WorkloadReplicas::default(),
        )
        .unwrap();
        assert_eq!(decision, FallbackDecision::Nil);
        assert!(health.is_falling_back(0));
        assert_eq!(decision.formula_value(TriggerObservation::failed()), None);
    }

    #[test]
    fn capacity_is_an_error() {
        let mut health: FallbackHealth<2> = FallbackHealth::new();
        assert!(health.record_failure(1).is_ok());
        assert_eq!(
            health.record_failure(2),
            Err(ScaledObjectError::CapacityExceeded {
                field: "health",
                capacity: 2
            })
        );
    }
}
