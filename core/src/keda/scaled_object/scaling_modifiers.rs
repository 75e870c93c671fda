//! `advanced.scalingModifiers`: one composite metric computed by a formula over the triggers'
//! values replaces their external metrics [HandleScalingModifiers].

use crate::hpa::{MetricSpec, MetricTarget};

use super::error::ScaledObjectError;
use super::fallback::{Fallback, FallbackBehavior};
use super::formula::{FormulaError, check_formula, evaluate_formula};
use super::go_strconv::go_parse_float;
use super::spec::{MetricTargetType, Trigger};

/// The name of the metric that replaces the external metrics [CompositeMetricName].
pub const COMPOSITE_METRIC_NAME: &str = "composite-metric";

/// `advanced.scalingModifiers`. Fields are the manifest's strings, empty when unset; the
/// methods parse them as KEDA does.
///
/// ```
/// use podscale::keda::{ScalingModifiers, Trigger};
/// let modifiers = ScalingModifiers {
///     formula: "queue / 2 + cron",
///     target: "5",
///     activation_target: "1",
///     metric_type: None,
/// };
/// let triggers = [Trigger::named("prometheus", "queue"), Trigger::named("cron", "cron")];
/// modifiers.validate(&triggers)?;
/// let value = modifiers.composite_value(|name| match name {
///     "queue" => Some(7.0),
///     _ => Some(0.0),
/// })?;
/// assert_eq!(value, Some(3.5));
/// assert!(modifiers.is_active(value, false)?); // 3.5 > activationTarget 1
/// # Ok::<(), podscale::keda::ScaledObjectError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScalingModifiers<'a> {
    /// `formula`: an expression over the named triggers (see [`evaluate_formula`]).
    pub formula: &'a str,
    /// `target`: the composite metric's HPA target, a float above 0.
    pub target: &'a str,
    /// `activationTarget`: the ScaledObject is active when the composite value is above it
    /// (default 0).
    pub activation_target: &'a str,
    /// `metricType`: `AverageValue` (default) or `Value`.
    pub metric_type: Option<MetricTargetType>,
}

impl<'a> ScalingModifiers<'a> {
    /// Whether every field is empty: the ScaledObject then does not use modifiers
    /// [IsUsingModifiers].
    pub const fn is_empty(&self) -> bool {
        self.formula.is_empty()
            && self.target.is_empty()
            && self.activation_target.is_empty()
            && self.metric_type.is_none()
    }

    /// Checks what KEDA's webhook checks [ValidateAndCompileScalingModifiers]: a formula is
    /// given, with a target; it names only named, non-cpu/memory triggers and runs on KEDA's
    /// dummy values; the target is a float above 0; `metricType` is not `Utilization`.
    ///
    /// # Errors
    ///
    /// The first failing check, with KEDA's message.
    pub fn validate(&self, triggers: &[Trigger<'_>]) -> Result<(), ScaledObjectError<'a>> {
        if self.formula.is_empty() {
            return Err(ScaledObjectError::FormulaMissing);
        }
        // [validateScalingModifiersFormula]
        if self.target.is_empty() {
            return Err(ScaledObjectError::TargetMissing);
        }
        check_formula(self.formula, |name| {
            triggers.iter().any(|t| formula_binds(t, name))
        })
        .map_err(ScaledObjectError::Formula)?;
        // [validateScalingModifiersTarget]
        if !self.target_value().is_some_and(|t| t > 0.0) {
            return Err(ScaledObjectError::InvalidTarget {
                target: self.target,
            });
        }
        if self.metric_type == Some(MetricTargetType::Utilization) {
            return Err(ScaledObjectError::UtilizationTarget);
        }
        Ok(())
    }

    /// `target` parsed as Go's `ParseFloat` does; `None` when it does not parse.
    pub fn target_value(&self) -> Option<f64> {
        go_parse_float(self.target)
    }

    /// `activationTarget` parsed, 0 when empty [getScaledObjectState].
    ///
    /// # Errors
    ///
    /// A value that is not a float.
    pub fn activation_value(&self) -> Result<f64, ScaledObjectError<'a>> {
        if self.activation_target.is_empty() {
            return Ok(0.0);
        }
        go_parse_float(self.activation_target).ok_or(ScaledObjectError::InvalidActivationTarget {
            activation_target: self.activation_target,
        })
    }

    /// The composite metric's entry in the generated HPA [getScaledObjectMetricSpecs]: External
    /// `composite-metric` with the target in milli-units (truncated), as `AverageValue` or
    /// `Value`. `None` when the target is not a float above 0: KEDA then keeps the triggers'
    /// own metrics.
    ///
    /// # Errors
    ///
    /// `metricType: Utilization`.
    pub fn metric_spec(&self) -> Result<Option<MetricSpec<'static>>, ScaledObjectError<'a>> {
        if self.metric_type == Some(MetricTargetType::Utilization) {
            return Err(ScaledObjectError::UtilizationTarget);
        }
        let Some(target) = self.target_value().filter(|t| *t > 0.0) else {
            return Ok(None);
        };
        // resource.NewMilliQuantity(int64(target*1000)): truncation, saturating here.
        let milli = (target * 1000.0) as i64;
        let target = match self.metric_type {
            Some(MetricTargetType::Value) => MetricTarget::Value(milli),
            _ => MetricTarget::AverageValue(milli),
        };
        Ok(Some(MetricSpec::External {
            metric: COMPOSITE_METRIC_NAME,
            target,
        }))
    }

    /// The composite metric's value: the formula over the triggers' values, as a
    /// milli-precision quantity (truncated toward zero) [calculateScalingModifiersFormula].
    ///
    /// `values` gives each named trigger's metric value, `None` for a trigger passed as nil.
    /// `Ok(None)` is a `nil` result (only possible with `??`).
    ///
    /// # Errors
    ///
    /// The formula's syntax or runtime error.
    pub fn composite_value(
        &self,
        values: impl Fn(&str) -> Option<f64>,
    ) -> Result<Option<f64>, FormulaError<'a>> {
        Ok(evaluate_formula(self.formula, values)?.map(to_milli_precision))
    }

    /// The composite metric KEDA serves to the HPA [HandleScalingModifiers]: the first fallback
    /// metric while any trigger is in fallback, else the formula's value; a `nil` result under
    /// `fallback.behavior: scalingModifiers` becomes `fallback.replicas × target`.
    ///
    /// # Errors
    ///
    /// The formula's syntax or runtime error (KEDA then serves no composite metric).
    ///
    /// ```
    /// use podscale::keda::{Fallback, FallbackBehavior, ScalingModifiers};
    /// let modifiers = ScalingModifiers { formula: "a ?? b", target: "2", ..Default::default() };
    /// let fallback = Fallback { failure_threshold: 3, replicas: 7, behavior: FallbackBehavior::ScalingModifiers };
    /// let value = modifiers.composite_metric(Some(&fallback), None, |_| None)?; // both failing
    /// assert_eq!(value, Some(14.0));
    /// # Ok::<(), podscale::keda::FormulaError>(())
    /// ```
    pub fn composite_metric(
        &self,
        fallback: Option<&Fallback>,
        first_fallback_metric: Option<f64>,
        values: impl Fn(&str) -> Option<f64>,
    ) -> Result<Option<f64>, FormulaError<'a>> {
        if first_fallback_metric.is_some() {
            return Ok(first_fallback_metric);
        }
        match self.composite_value(values)? {
            Some(value) => Ok(Some(value)),
            None => Ok(fallback
                .filter(|f| f.behavior == FallbackBehavior::ScalingModifiers)
                .map(|f| {
                    let target = self.target_value().unwrap_or(0.0);
                    to_milli_precision(f64::from(f.replicas) * target)
                })),
        }
    }

    /// Whether the ScaledObject is active under modifiers [getScaledObjectState]: no trigger
    /// errored and the composite value is strictly above `activationTarget`. The triggers' own
    /// activity does not count.
    ///
    /// # Errors
    ///
    /// An `activationTarget` that is not a float (KEDA then reports the ScaledObject as erroring).
    pub fn is_active(
        &self,
        composite: Option<f64>,
        any_trigger_error: bool,
    ) -> Result<bool, ScaledObjectError<'a>> {
        if any_trigger_error {
            return Ok(false);
        }
        let activation = self.activation_value()?;
        Ok(composite.is_some_and(|value| value > activation))
    }
}

/// Whether `trigger` is bound in formulas as `name`: named, and not cpu or memory (those have no
/// external metric to feed in) [validateScalingModifiersFormula].
pub(super) fn formula_binds(trigger: &Trigger<'_>, name: &str) -> bool {
    !trigger.is_cpu_or_memory() && !trigger.name.is_empty() && trigger.name == name
}

/// A value as KEDA stores it in a milli quantity and reads it back: `int64(x * 1000)` then
/// divided by 1000 (saturating where Go's conversion is implementation-defined; NaN gives 0).
#[allow(clippy::cast_precision_loss)] // milli values of real metrics are far below 2^53
fn to_milli_precision(value: f64) -> f64 {
    ((value * 1000.0) as i64) as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]

    use super::*;

    fn modifiers(formula: &'static str, target: &'static str) -> ScalingModifiers<'static> {
        ScalingModifiers {
            formula,
            target,
            ..ScalingModifiers::default()
        }
    }

    const TRIGGERS: [Trigger<'static>; 3] = [
        Trigger::named("cron", "cron"),
        Trigger::named("prometheus", "queue"),
        Trigger::named("cpu", "cpu_load"),
    ];

    #[test]
    fn validation_order_and_texts() {
        assert_eq!(
            modifiers("", "1").validate(&TRIGGERS),
            Err(ScaledObjectError::FormulaMissing)
        );
        assert_eq!(
            modifiers("cron", "").validate(&TRIGGERS),
            Err(ScaledObjectError::TargetMissing)
        );
        // cpu and memory triggers are not bound in formulas.
        assert!(matches!(
            modifiers("cron + cpu_load", "1").validate(&TRIGGERS),
            Err(ScaledObjectError::Formula(FormulaError::UnknownName { .. }))
        ));
        assert_eq!(
            modifiers("cron", "0").validate(&TRIGGERS),
            Err(ScaledObjectError::InvalidTarget { target: "0" })
        );
        assert_eq!(
            modifiers("cron", "abc").validate(&TRIGGERS),
            Err(ScaledObjectError::InvalidTarget { target: "abc" })
        );
        let mut utilization = modifiers("cron", "2.5");
        utilization.metric_type = Some(MetricTargetType::Utilization);
        assert_eq!(
            utilization.validate(&TRIGGERS),
            Err(ScaledObjectError::UtilizationTarget)
        );
        assert_eq!(modifiers("cron * queue", "2.5").validate(&TRIGGERS), Ok(()));
    }

    #[test]
    fn composite_is_milli_truncated() {
        let m = modifiers("queue / 3", "1");
        assert_eq!(m.composite_value(|_| Some(1.0)).unwrap(), Some(0.333));
        assert_eq!(m.composite_value(|_| Some(-1.0)).unwrap(), Some(-0.333));
    }

    #[test]
    fn activity_is_strictly_above_activation_target() {
        let mut m = modifiers("queue", "1");
        m.activation_target = "2";
        assert!(!m.is_active(Some(2.0), false).unwrap());
        assert!(m.is_active(Some(2.001), false).unwrap());
        assert!(!m.is_active(Some(5.0), true).unwrap());
        assert!(!m.is_active(None, false).unwrap());
        m.activation_target = "x";
        assert!(m.is_active(Some(5.0), false).is_err());
    }

    #[test]
    fn composite_metric_spec() {
        let m = modifiers("queue", "2.5");
        assert_eq!(
            m.metric_spec().unwrap(),
            Some(MetricSpec::External {
                metric: COMPOSITE_METRIC_NAME,
                target: MetricTarget::AverageValue(2500)
            })
        );
        let mut value = modifiers("queue", "0.0005");
        value.metric_type = Some(MetricTargetType::Value);
        assert_eq!(
            value.metric_spec().unwrap(),
            Some(MetricSpec::External {
                metric: COMPOSITE_METRIC_NAME,
                target: MetricTarget::Value(0)
            })
        );
        assert_eq!(modifiers("queue", "-1").metric_spec().unwrap(), None);
    }

    #[test]
    fn fallback_metric_wins_over_formula() {
        let m = modifiers("max(a, b)", "1");
        assert_eq!(
            m.composite_metric(None, Some(12.0), |_| Some(1.0)).unwrap(),
            Some(12.0)
        );
        assert_eq!(
            m.composite_metric(None, None, |_| Some(1.0)).unwrap(),
            Some(1.0)
        );
    }
}
