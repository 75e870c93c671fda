//! What the user writes in a ScaledObject: its fields, KEDA's defaults and the trigger list.

use heapless::Vec;

use crate::go_float::seconds_to_ms;
use crate::hpa::Behavior;

use super::annotations::Annotations;
use super::error::ScaledObjectError;
use super::fallback::Fallback;
use super::scaling_modifiers::ScalingModifiers;

/// How many triggers one ScaledObject can hold (the generated HPA holds as many metrics).
pub const MAX_TRIGGERS: usize = crate::hpa::MAX_METRICS;
/// `pollingInterval` when unset, seconds.
pub const DEFAULT_POLLING_INTERVAL_SECONDS: i32 = 30;
/// `cooldownPeriod` when unset, seconds [defaultCooldownPeriod].
pub const DEFAULT_COOLDOWN_PERIOD_SECONDS: i32 = 300;
/// `initialCooldownPeriod` when unset, seconds [defaultInitialCooldownPeriod].
pub const DEFAULT_INITIAL_COOLDOWN_PERIOD_SECONDS: i32 = 0;

/// A metric target type as a trigger or `scalingModifiers` names it (`metricType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MetricTargetType {
    /// `AverageValue`: the metric divided by the replica count is compared with the target
    /// (the default).
    AverageValue,
    /// `Value`: the metric itself is compared with the target.
    Value,
    /// `Utilization`: refused for external metrics.
    Utilization,
}

impl MetricTargetType {
    /// Parses a `metricType` field; empty means unset.
    ///
    /// # Errors
    ///
    /// Any other spelling, naming the value.
    ///
    /// ```
    /// use podscale::keda::MetricTargetType;
    /// assert_eq!(MetricTargetType::parse("Value"), Ok(Some(MetricTargetType::Value)));
    /// assert_eq!(MetricTargetType::parse(""), Ok(None));
    /// assert!(MetricTargetType::parse("value").is_err());
    /// ```
    pub fn parse(value: &str) -> Result<Option<Self>, ScaledObjectError<'_>> {
        match value {
            "" => Ok(None),
            "AverageValue" => Ok(Some(Self::AverageValue)),
            "Value" => Ok(Some(Self::Value)),
            "Utilization" => Ok(Some(Self::Utilization)),
            other => Err(ScaledObjectError::UnknownMetricType { value: other }),
        }
    }

    /// The spelling in the manifest.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AverageValue => "AverageValue",
            Self::Value => "Value",
            Self::Utilization => "Utilization",
        }
    }
}

/// One entry of `spec.triggers`, without its metadata (each trigger type reads its own).
///
/// ```
/// use podscale::keda::Trigger;
/// let cpu = Trigger::new("cpu");
/// let cron = Trigger::named("cron", "office-hours");
/// assert!(cpu.is_cpu_or_memory() && !cron.is_cpu_or_memory());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Trigger<'a> {
    /// `type`, for example `cron`, `cpu`, `prometheus`.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub trigger_type: &'a str,
    /// `name`; empty when unset, as in KEDA.
    pub name: &'a str,
    /// `useCachedMetrics`.
    pub use_cached_metrics: bool,
    /// `metricType`; unset means `AverageValue`.
    pub metric_type: Option<MetricTargetType>,
}

impl<'a> Trigger<'a> {
    /// A trigger of `trigger_type` without a name.
    pub const fn new(trigger_type: &'a str) -> Self {
        Self {
            trigger_type,
            name: "",
            use_cached_metrics: false,
            metric_type: None,
        }
    }

    /// A trigger of `trigger_type` named `name` (the name formulas refer to it by).
    pub const fn named(trigger_type: &'a str, name: &'a str) -> Self {
        Self {
            trigger_type,
            name,
            use_cached_metrics: false,
            metric_type: None,
        }
    }

    /// Whether this is a `cpu` or `memory` trigger: a Resource metric of the HPA, which can
    /// neither activate from zero nor enter a formula.
    pub fn is_cpu_or_memory(&self) -> bool {
        matches!(self.trigger_type, "cpu" | "memory")
    }
}

/// `advanced.horizontalPodAutoscalerConfig`.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HorizontalPodAutoscalerConfig<'a> {
    /// `name` of the generated HPA; empty for `keda-hpa-<ScaledObject name>`.
    pub name: &'a str,
    /// `behavior`, copied into the generated HPA.
    pub behavior: Option<Behavior>,
}

/// `advanced`.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdvancedConfig<'a> {
    /// `horizontalPodAutoscalerConfig`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub horizontal_pod_autoscaler_config: Option<HorizontalPodAutoscalerConfig<'a>>,
    /// `restoreToOriginalReplicaCount` (only matters when the ScaledObject is deleted).
    pub restore_to_original_replica_count: bool,
    /// `scalingModifiers`; all fields empty when unset, as in KEDA.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub scaling_modifiers: ScalingModifiers<'a>,
}

/// A ScaledObject: its name, creation time, annotations and `spec`.
///
/// Fields are as written in the manifest (`None` and `""` are unset); the methods give KEDA's
/// defaults. Durations are whole seconds here, as in the manifest, and milliseconds everywhere
/// else.
///
/// ```
/// use podscale::keda::{ScaledObjectSpec, Trigger};
/// let mut so = ScaledObjectSpec::new("web", &[Trigger::new("cron")])?;
/// assert_eq!(so.cooldown_period_ms(), 300_000);
/// assert_eq!(so.min_replicas(), 0);
/// so.min_replica_count = Some(2);
/// assert_eq!(so.min_replicas(), 2);
/// # Ok::<(), podscale::keda::ScaledObjectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScaledObjectSpec<'a> {
    /// `metadata.name`.
    pub name: &'a str,
    /// `metadata.creationTimestamp`, Unix milliseconds; `None` when not yet set, which KEDA
    /// reads as "now".
    pub creation_timestamp_ms: Option<i64>,
    /// The scaling annotations.
    pub annotations: Annotations,
    /// `pollingInterval`, seconds.
    pub polling_interval_seconds: Option<i32>,
    /// `initialCooldownPeriod`, seconds.
    pub initial_cooldown_period_seconds: Option<i32>,
    /// `cooldownPeriod`, seconds.
    pub cooldown_period_seconds: Option<i32>,
    /// `idleReplicaCount`.
    pub idle_replica_count: Option<i32>,
    /// `minReplicaCount`.
    pub min_replica_count: Option<i32>,
    /// `maxReplicaCount`.
    pub max_replica_count: Option<i32>,
    /// `advanced`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub advanced: Option<AdvancedConfig<'a>>,
    /// `triggers`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub triggers: Vec<Trigger<'a>, MAX_TRIGGERS>,
    /// `fallback`.
    pub fallback: Option<Fallback>,
}

impl<'a> ScaledObjectSpec<'a> {
    /// A ScaledObject named `name` with these triggers and every other field unset.
    ///
    /// # Errors
    ///
    /// More than [`MAX_TRIGGERS`] triggers.
    pub fn new(name: &'a str, triggers: &[Trigger<'a>]) -> Result<Self, ScaledObjectError<'a>> {
        Ok(Self {
            name,
            triggers: Vec::from_slice(triggers).map_err(|()| {
                ScaledObjectError::CapacityExceeded {
                    field: "triggers",
                    capacity: MAX_TRIGGERS,
                }
            })?,
            ..Self::default()
        })
    }

    /// `pollingInterval` with its default, milliseconds.
    pub fn polling_interval_ms(&self) -> i64 {
        seconds_to_ms(i64::from(
            self.polling_interval_seconds
                .unwrap_or(DEFAULT_POLLING_INTERVAL_SECONDS),
        ))
    }

    /// `cooldownPeriod` with its default, milliseconds.
    pub fn cooldown_period_ms(&self) -> i64 {
        seconds_to_ms(i64::from(
            self.cooldown_period_seconds
                .unwrap_or(DEFAULT_COOLDOWN_PERIOD_SECONDS),
        ))
    }

    /// `initialCooldownPeriod` with its default, milliseconds.
    pub fn initial_cooldown_period_ms(&self) -> i64 {
        seconds_to_ms(i64::from(
            self.initial_cooldown_period_seconds
                .unwrap_or(DEFAULT_INITIAL_COOLDOWN_PERIOD_SECONDS),
        ))
    }

    /// The minimum KEDA itself scales to: `minReplicaCount`, or 0 [RequestScale].
    pub fn min_replicas(&self) -> i32 {
        self.min_replica_count.unwrap_or(0)
    }

    /// `advanced.horizontalPodAutoscalerConfig`, if set.
    pub fn hpa_config(&self) -> Option<&HorizontalPodAutoscalerConfig<'a>> {
        self.advanced
            .as_ref()
            .and_then(|a| a.horizontal_pod_autoscaler_config.as_ref())
    }

    /// `advanced.scalingModifiers` when in use: set, with any field non-empty
    /// [IsUsingModifiers].
    pub fn scaling_modifiers(&self) -> Option<&ScalingModifiers<'a>> {
        self.advanced
            .as_ref()
            .map(|a| &a.scaling_modifiers)
            .filter(|m| !m.is_empty())
    }

    /// How many triggers are `cpu` or `memory`.
    pub fn cpu_memory_trigger_count(&self) -> usize {
        self.triggers
            .iter()
            .filter(|t| t.is_cpu_or_memory())
            .count()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn durations_convert_with_saturation() {
        let mut so = ScaledObjectSpec::new("so", &[]).unwrap();
        assert_eq!(so.polling_interval_ms(), 30_000);
        assert_eq!(so.initial_cooldown_period_ms(), 0);
        so.cooldown_period_seconds = Some(i32::MAX);
        assert_eq!(so.cooldown_period_ms(), i64::from(i32::MAX) * 1000);
        so.cooldown_period_seconds = Some(-5);
        assert_eq!(so.cooldown_period_ms(), -5000);
    }

    #[test]
    fn too_many_triggers() {
        let many = [Trigger::new("cron"); MAX_TRIGGERS + 1];
        assert_eq!(
            ScaledObjectSpec::new("so", &many),
            Err(ScaledObjectError::CapacityExceeded {
                field: "triggers",
                capacity: MAX_TRIGGERS
            })
        );
    }

    #[test]
    fn empty_scaling_modifiers_are_not_in_use() {
        let mut so = ScaledObjectSpec::new("so", &[]).unwrap();
        so.advanced = Some(AdvancedConfig::default());
        assert!(so.scaling_modifiers().is_none());
        if let Some(advanced) = so.advanced.as_mut() {
            advanced.scaling_modifiers.activation_target = "1";
        }
        assert!(so.scaling_modifiers().is_some());
    }
}
