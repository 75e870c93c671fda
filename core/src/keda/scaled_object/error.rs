//! Why a ScaledObject is refused: KEDA's validation errors with KEDA's texts, and podscale's own
//! capacity and input errors.

use core::fmt;

use crate::hpa::HpaError;

use super::formula::FormulaError;
use super::go_strconv::go_parse_float_error;

/// Why a ScaledObject (or an input about it) was refused.
///
/// Where KEDA has an error message, `Display` prints KEDA's text exactly, so logs and status
/// conditions read the same as the operator's; the other variants name the field and the value.
///
/// ```
/// use podscale::keda::ScaledObjectError;
/// let err = ScaledObjectError::IdleNotBelowMin { idle: 1, min: 1 };
/// assert_eq!(err.to_string(), "IdleReplicaCount=1 must be less than MinReplicaCount=1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScaledObjectError<'a> {
    /// `minReplicaCount` (as the HPA sees it) above `maxReplicaCount`
    /// [CheckReplicaCountBoundsAreValid].
    MinAboveMax {
        /// The minimum compared.
        min: i32,
        /// The maximum compared.
        max: i32,
    },
    /// `idleReplicaCount` not below the minimum [CheckReplicaCountBoundsAreValid].
    IdleNotBelowMin {
        /// `idleReplicaCount`.
        idle: i32,
        /// The minimum compared (0 when `minReplicaCount` is unset).
        min: i32,
    },
    /// `useCachedMetrics` on a trigger type that cannot cache [ValidateTriggers].
    CachedMetricsUnsupported {
        /// The trigger's `type`.
        trigger_type: &'a str,
    },
    /// Two triggers share a `name` [ValidateTriggers].
    DuplicateTriggerName {
        /// The repeated name.
        name: &'a str,
    },
    /// The ScaledObject's name is longer than a label value may be (63).
    NameTooLong {
        /// The name.
        name: &'a str,
        /// Its length in bytes.
        length: usize,
    },
    /// The HPA's name (custom, or `keda-hpa-` and the ScaledObject's name) is longer than 63.
    HpaNameTooLong {
        /// `keda-hpa-` for the default name, empty for a custom one.
        prefix: &'static str,
        /// The custom name, or the ScaledObject's name when the default applies.
        name: &'a str,
        /// The HPA name's length in bytes.
        length: usize,
    },
    /// Every trigger is `cpu` or `memory` and the minimum is 0 [verifyCPUMemoryScalers].
    CpuMemoryOnlyScaleToZero,
    /// Two trigger metrics have the same External metric name [getScaledObjectMetricSpecs].
    DuplicateMetricName {
        /// The metric name.
        metric: &'a str,
        /// The ScaledObject's name.
        scaled_object: &'a str,
    },
    /// A trigger asks for a `Utilization` target on an external metric [GetMetricTargetType].
    UtilizationUnsupported,
    /// `fallback.failureThreshold` or `fallback.replicas` is negative [CheckFallbackValid].
    InvalidFallbackCounts {
        /// `failureThreshold`.
        failure_threshold: i32,
        /// `replicas`.
        replicas: i32,
    },
    /// Fallback with `scalingModifiers.metricType: Value` [CheckFallbackValid].
    FallbackNeedsAverageValueModifiers,
    /// Fallback without any non-cpu/memory `AverageValue` trigger [CheckFallbackValid].
    FallbackNeedsAverageValueTrigger,
    /// `fallback.behavior: scalingModifiers` without a formula to pass nil to.
    FallbackNeedsFormula,
    /// `scalingModifiers` is set but its formula is empty [ValidateAndCompileScalingModifiers].
    FormulaMissing,
    /// A formula without a target [validateScalingModifiersFormula].
    TargetMissing,
    /// The formula does not parse, names an unknown trigger, or fails on dummy values
    /// [validateScalingModifiersFormula].
    Formula(FormulaError<'a>),
    /// `scalingModifiers.target` is not a float above 0 [validateScalingModifiersTarget].
    InvalidTarget {
        /// The target given.
        target: &'a str,
    },
    /// `scalingModifiers.metricType: Utilization` [validateScalingModifiersTarget].
    UtilizationTarget,
    /// `scalingModifiers.activationTarget` is not a float [getScaledObjectState].
    InvalidActivationTarget {
        /// The activation target given.
        activation_target: &'a str,
    },
    /// A `fallback.behavior` KEDA's CRD does not accept.
    UnknownFallbackBehavior {
        /// The value given.
        value: &'a str,
    },
    /// A `metricType` other than `AverageValue`, `Value` or `Utilization`.
    UnknownMetricType {
        /// The value given.
        value: &'a str,
    },
    /// `autoscaling.keda.sh/paused-replicas` is not a 32-bit integer [GetPausedReplicaCount].
    InvalidPausedReplicas {
        /// The annotation's value.
        value: &'a str,
    },
    /// One observation per trigger is needed.
    ObservationCount {
        /// Entries in `triggers`.
        triggers: usize,
        /// Entries given.
        observations: usize,
    },
    /// More entries than the fixed capacity of a list.
    CapacityExceeded {
        /// The list, for example `triggers`.
        field: &'static str,
        /// Its capacity.
        capacity: usize,
    },
    /// The generated HPA spec fails the HPA's own validation.
    Hpa(HpaError),
}

impl fmt::Display for ScaledObjectError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MinAboveMax { min, max } => write!(
                f,
                "MinReplicaCount={min} must be less than MaxReplicaCount={max}"
            ),
            Self::IdleNotBelowMin { idle, min } => write!(
                f,
                "IdleReplicaCount={idle} must be less than MinReplicaCount={min}"
            ),
            Self::CachedMetricsUnsupported { trigger_type } => write!(
                f,
                "property \"useCachedMetrics\" is not supported for {} scaler",
                GoQuoted(trigger_type)
            ),
            Self::DuplicateTriggerName { name } => write!(
                f,
                "triggerName {} is defined multiple times in the ScaledObject/ScaledJob, but it must be unique",
                GoQuoted(name)
            ),
            Self::NameTooLong { name, length } => write!(
                f,
                "ScaledObject name {} is {length} characters long, must be no more than 63",
                GoQuoted(name)
            ),
            Self::HpaNameTooLong {
                prefix,
                name,
                length,
            } => write!(
                f,
                "HPA name \"{prefix}{name}\" is {length} characters long, must be no more than 63"
            ),
            Self::CpuMemoryOnlyScaleToZero => f.write_str(
                "scaledobject has only cpu/memory triggers AND minReplica is 0 (scale to zero doesn't work in this case)",
            ),
            Self::DuplicateMetricName {
                metric,
                scaled_object,
            } => write!(
                f,
                "metricName {metric} defined multiple times in ScaledObject {scaled_object}"
            ),
            Self::UtilizationUnsupported => f.write_str(
                "'Utilization' metric type is unsupported for external metrics, allowed values are 'Value' or 'AverageValue'",
            ),
            Self::InvalidFallbackCounts {
                failure_threshold,
                replicas,
            } => write!(
                f,
                "FailureThreshold={failure_threshold} & Replicas={replicas} must both be greater than or equal to 0"
            ),
            Self::FallbackNeedsAverageValueModifiers => f.write_str(
                "when using ScalingModifiers, ScaledObject.Spec.Advanced.ScalingModifiers.MetricType must be AverageValue to have fallback enabled",
            ),
            Self::FallbackNeedsAverageValueTrigger => f.write_str(
                "at least one trigger (that is not cpu or memory) has to have the `AverageValue` type for the fallback to be enabled",
            ),
            Self::FallbackNeedsFormula => f.write_str(
                "fallback behavior \"scalingModifiers\" needs advanced.scalingModifiers.formula",
            ),
            Self::FormulaMissing => f.write_str("error ScalingModifiers.Formula is mandatory"),
            Self::TargetMissing => f.write_str(
                "error validating formula in ScalingModifiers\nformula is given but target is empty",
            ),
            Self::Formula(e) => write!(f, "error validating formula in ScalingModifiers\n{e}"),
            Self::InvalidTarget { target } => {
                f.write_str("error validating target in ScalingModifiers\nerror converting target for scalingModifiers (string->float) to valid target: ")?;
                // Go wraps ParseFloat's error; a parsed value <= 0 wraps a nil error.
                match go_parse_float_error(target) {
                    Some(reason) => write!(
                        f,
                        "strconv.ParseFloat: parsing {}: {reason}",
                        GoQuoted(target)
                    ),
                    None => f.write_str("%!w(<nil>)"),
                }
            }
            Self::UtilizationTarget => f.write_str(
                "error validating target in ScalingModifiers\nerror trigger type is Utilization, but it needs to be AverageValue or Value for external metrics",
            ),
            Self::InvalidActivationTarget { activation_target } => write!(
                f,
                "scalingModifiers.ActivationTarget parsing error strconv.ParseFloat: parsing {}: {}",
                GoQuoted(activation_target),
                go_parse_float_error(activation_target).unwrap_or("invalid syntax")
            ),
            Self::UnknownFallbackBehavior { value } => write!(
                f,
                "invalid value {} for fallback.behavior: must be static, currentReplicas, currentReplicasIfHigher, currentReplicasIfLower or scalingModifiers",
                GoQuoted(value)
            ),
            Self::UnknownMetricType { value } => write!(
                f,
                "invalid value {} for metricType: must be AverageValue, Value or Utilization",
                GoQuoted(value)
            ),
            Self::InvalidPausedReplicas { value } => write!(
                f,
                "invalid value {} for annotation autoscaling.keda.sh/paused-replicas: must be a 32-bit integer",
                GoQuoted(value)
            ),
            Self::ObservationCount {
                triggers,
                observations,
            } => write!(
                f,
                "observations has {observations} entries but triggers has {triggers}"
            ),
            Self::CapacityExceeded { field, capacity } => {
                write!(f, "{field} holds at most {capacity} entries")
            }
            Self::Hpa(e) => write!(f, "generated HPA: {e}"),
        }
    }
}

impl core::error::Error for ScaledObjectError<'_> {}

impl From<HpaError> for ScaledObjectError<'_> {
    fn from(e: HpaError) -> Self {
        Self::Hpa(e)
    }
}

impl<'a> From<FormulaError<'a>> for ScaledObjectError<'a> {
    fn from(e: FormulaError<'a>) -> Self {
        Self::Formula(e)
    }
}

/// A string as Go's `%q` prints it (for the ASCII printable range and common escapes), so
/// KEDA's messages come out byte for byte.
pub(super) struct GoQuoted<'s>(pub(super) &'s str);

impl fmt::Display for GoQuoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                '\r' => f.write_str("\\r")?,
                c if u32::from(c) < 0x20 || u32::from(c) == 0x7f => {
                    write!(f, "\\x{:02x}", u32::from(c))?;
                }
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn render(e: &dyn fmt::Display) -> heapless::String<256> {
        let mut text = heapless::String::new();
        fmt::write(&mut text, format_args!("{e}")).unwrap();
        text
    }

    #[test]
    fn go_quoting_escapes_like_percent_q() {
        let b = render(&GoQuoted("a\"b\\c\nd\u{1}"));
        assert_eq!(b.as_str(), "\"a\\\"b\\\\c\\nd\\x01\"");
    }

    #[test]
    fn keda_texts() {
        let b = render(&ScaledObjectError::CachedMetricsUnsupported {
            trigger_type: "cron",
        });
        assert_eq!(
            b.as_str(),
            "property \"useCachedMetrics\" is not supported for \"cron\" scaler"
        );
        let b = render(&ScaledObjectError::InvalidTarget { target: "-1" });
        assert!(b.as_str().ends_with("to valid target: %!w(<nil>)"));
        let b = render(&ScaledObjectError::InvalidTarget { target: "x" });
        assert!(
            b.as_str()
                .ends_with("strconv.ParseFloat: parsing \"x\": invalid syntax")
        );
    }
}
