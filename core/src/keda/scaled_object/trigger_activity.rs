//! From each trigger's result to the ScaledObject's: active? erroring? [getScaledObjectState].

use super::error::ScaledObjectError;
use super::scaling_modifiers::formula_binds;
use super::spec::ScaledObjectSpec;

/// What one trigger reported at one poll: its activity, its metric value, or an error.
///
/// For `cpu` and `memory` triggers only `error` matters (they report no external metric).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TriggerObservation {
    /// The scaler's `IsActive`: for most scalers the metric is above its activation threshold;
    /// for cron, the window rule.
    pub active: bool,
    /// The metric value the scaler reports (what the HPA and formulas see).
    pub metric: f64,
    /// The scaler failed (metric spec or metric fetch); `active` and `metric` are then ignored.
    pub error: bool,
}

impl TriggerObservation {
    /// An active trigger reporting `metric`.
    pub const fn active(metric: f64) -> Self {
        Self {
            active: true,
            metric,
            error: false,
        }
    }

    /// An inactive trigger reporting `metric`.
    pub const fn inactive(metric: f64) -> Self {
        Self {
            active: false,
            metric,
            error: false,
        }
    }

    /// A trigger that failed.
    pub const fn failed() -> Self {
        Self {
            active: false,
            metric: 0.0,
            error: true,
        }
    }
}

/// The ScaledObject's activity at one poll, as the executor takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Activity {
    /// `isActive`.
    pub is_active: bool,
    /// `isError`: some trigger failed.
    pub is_error: bool,
}

/// Aggregates one observation per trigger (in `spec.triggers` order) into the ScaledObject's
/// activity, as KEDA's scale loop does [getScaledObjectState]:
///
/// - active when any trigger is active without error; erroring when any trigger errored;
/// - with `scalingModifiers`, activity is recomputed: active when no trigger errored and the
///   composite value is strictly above `activationTarget` (a formula that fails to evaluate
///   gives no composite value, so inactive; an unparsable `activationTarget` makes the
///   ScaledObject inactive and erroring);
/// - when every trigger is `cpu` or `memory` and none errored, active (they could never
///   activate from zero).
///
/// A trigger in fallback should be passed as the observation fallback gives
/// ([`FallbackDecision::observation`](super::FallbackDecision::observation)).
///
/// # Errors
///
/// A number of observations different from the number of triggers.
///
/// ```
/// use podscale::keda::*;
/// let so = ScaledObjectSpec::new("so", &[Trigger::new("cron"), Trigger::new("prometheus")])?;
/// let activity = scaled_object_activity(&so, &[
///     TriggerObservation::active(10.0),
///     TriggerObservation::failed(),
/// ])?;
/// assert_eq!(activity, Activity { is_active: true, is_error: true });
/// # Ok::<(), ScaledObjectError>(())
/// ```
pub fn scaled_object_activity<'a>(
    spec: &ScaledObjectSpec<'a>,
    observations: &[TriggerObservation],
) -> Result<Activity, ScaledObjectError<'a>> {
    if observations.len() != spec.triggers.len() {
        return Err(ScaledObjectError::ObservationCount {
            triggers: spec.triggers.len(),
            observations: observations.len(),
        });
    }
    let pairs = || spec.triggers.iter().zip(observations);
    let is_error = observations.iter().any(|o| o.error);
    let mut is_active = pairs().any(|(t, o)| !t.is_cpu_or_memory() && o.active && !o.error);
    if let Some(modifiers) = spec.scaling_modifiers() {
        // The triggers' own activity is reset even when there is an error.
        is_active = false;
        if !is_error {
            let values = |name: &str| {
                pairs()
                    .find(|(t, _)| formula_binds(t, name))
                    .map(|(_, o)| o.metric)
            };
            let composite = modifiers.composite_value(values).ok().flatten();
            match modifiers.is_active(composite, is_error) {
                Ok(active) => is_active = active,
                // KEDA returns at once, skipping the cpu/memory rule below.
                Err(_) => {
                    return Ok(Activity {
                        is_active: false,
                        is_error: true,
                    });
                }
            }
        }
    }
    if spec.triggers.len() <= spec.cpu_memory_trigger_count() && !is_error {
        is_active = true;
    }
    Ok(Activity {
        is_active,
        is_error,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::keda::{AdvancedConfig, ScalingModifiers, Trigger};

    fn activity(so: &ScaledObjectSpec<'_>, observations: &[TriggerObservation]) -> Activity {
        scaled_object_activity(so, observations).unwrap()
    }

    #[test]
    fn any_active_without_error() {
        let so =
            ScaledObjectSpec::new("so", &[Trigger::new("cron"), Trigger::new("cron")]).unwrap();
        let idle = TriggerObservation::inactive(0.0);
        assert_eq!(activity(&so, &[idle, idle]), Activity::default());
        assert_eq!(
            activity(&so, &[idle, TriggerObservation::active(4.0)]),
            Activity {
                is_active: true,
                is_error: false
            }
        );
        // An erroring trigger's `active` does not count.
        let broken_active = TriggerObservation {
            active: true,
            metric: 3.0,
            error: true,
        };
        assert_eq!(
            activity(&so, &[idle, broken_active]),
            Activity {
                is_active: false,
                is_error: true
            }
        );
    }

    #[test]
    fn cpu_memory_only_is_always_active_unless_erroring() {
        let so =
            ScaledObjectSpec::new("so", &[Trigger::new("cpu"), Trigger::new("memory")]).unwrap();
        let idle = TriggerObservation::inactive(0.0);
        assert!(activity(&so, &[idle, idle]).is_active);
        assert!(!activity(&so, &[idle, TriggerObservation::failed()]).is_active);
        // With another trigger, cpu/memory cannot activate.
        let mixed =
            ScaledObjectSpec::new("so", &[Trigger::new("cpu"), Trigger::new("cron")]).unwrap();
        assert!(!activity(&mixed, &[TriggerObservation::active(1.0), idle]).is_active);
    }

    #[test]
    fn modifiers_recompute_activity() {
        let mut so = ScaledObjectSpec::new(
            "so",
            &[
                Trigger::named("cron", "cron"),
                Trigger::named("prometheus", "queue"),
            ],
        )
        .unwrap();
        so.advanced = Some(AdvancedConfig {
            scaling_modifiers: ScalingModifiers {
                formula: "queue * cron",
                target: "1",
                activation_target: "5",
                metric_type: None,
            },
            ..AdvancedConfig::default()
        });
        let obs = |cron: f64, queue: f64| {
            [
                TriggerObservation {
                    active: cron > 0.0,
                    metric: cron,
                    error: false,
                },
                TriggerObservation::active(queue),
            ]
        };
        assert!(!activity(&so, &obs(0.0, 100.0)).is_active); // 0 is not > 5
        assert!(!activity(&so, &obs(1.0, 5.0)).is_active); // 5 is not > 5
        assert!(activity(&so, &obs(1.0, 6.0)).is_active);
        let mut failing = obs(1.0, 6.0);
        if let Some(queue) = failing.get_mut(1) {
            *queue = TriggerObservation::failed();
        }
        assert_eq!(
            activity(&so, &failing),
            Activity {
                is_active: false,
                is_error: true
            }
        );
        if let Some(a) = so.advanced.as_mut() {
            a.scaling_modifiers.activation_target = "many";
        }
        assert_eq!(
            activity(&so, &obs(1.0, 6.0)),
            Activity {
                is_active: false,
                is_error: true
            }
        );
    }

    #[test]
    fn observation_count_must_match() {
        let so = ScaledObjectSpec::new("so", &[Trigger::new("cron")]).unwrap();
        assert_eq!(
            scaled_object_activity(&so, &[]),
            Err(ScaledObjectError::ObservationCount {
                triggers: 1,
                observations: 0
            })
        );
    }
}
