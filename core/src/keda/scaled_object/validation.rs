//! What KEDA's admission webhook and controller refuse in a ScaledObject, for the checks that
//! need no cluster [validateWorkload].

use super::error::ScaledObjectError;
use super::fallback::FallbackBehavior;
use super::generated_hpa::MAX_NAME_LENGTH;
use super::spec::{MetricTargetType, ScaledObjectSpec};

impl<'a> ScaledObjectSpec<'a> {
    /// Every check KEDA's webhook makes that needs no cluster, in the webhook's order
    /// [validateWorkload]: name lengths, the cpu/memory scale-to-zero rule, `scalingModifiers`,
    /// replica bounds, fallback, triggers. (The webhook also refuses a target already scaled by
    /// another ScaledObject or HPA, and cpu/memory triggers on containers without requests;
    /// those need the cluster's objects.)
    ///
    /// # Errors
    ///
    /// The first failing check, with KEDA's message.
    ///
    /// ```
    /// use podscale::keda::{ScaledObjectSpec, Trigger};
    /// let mut so = ScaledObjectSpec::new("so", &[Trigger::named("cron", "a"), Trigger::named("cron", "a")])?;
    /// assert_eq!(
    ///     so.validate().unwrap_err().to_string(),
    ///     "triggerName \"a\" is defined multiple times in the ScaledObject/ScaledJob, but it must be unique"
    /// );
    /// # Ok::<(), podscale::keda::ScaledObjectError>(())
    /// ```
    pub fn validate(&self) -> Result<(), ScaledObjectError<'a>> {
        self.check_names()?;
        self.check_cpu_memory_scale_to_zero()?;
        if let Some(modifiers) = self.scaling_modifiers() {
            modifiers.validate(&self.triggers)?;
        }
        self.check_replica_count_bounds()?;
        self.check_fallback()?;
        self.check_triggers()
    }

    /// The ScaledObject's name and its HPA's name must fit a label value (63 characters).
    ///
    /// # Errors
    ///
    /// The first name that is too long.
    pub fn check_names(&self) -> Result<(), ScaledObjectError<'a>> {
        if self.name.len() > MAX_NAME_LENGTH {
            return Err(ScaledObjectError::NameTooLong {
                name: self.name,
                length: self.name.len(),
            });
        }
        let (prefix, name) = self.hpa_name_parts();
        let length = prefix.len().saturating_add(name.len());
        if length > MAX_NAME_LENGTH {
            return Err(ScaledObjectError::HpaNameTooLong {
                prefix,
                name,
                length,
            });
        }
        Ok(())
    }

    /// Only `cpu`/`memory` triggers cannot scale to zero, so they need a minimum above 0
    /// [verifyCPUMemoryScalers].
    ///
    /// # Errors
    ///
    /// At least one trigger, all `cpu` or `memory`, and `minReplicaCount` unset or 0.
    pub fn check_cpu_memory_scale_to_zero(&self) -> Result<(), ScaledObjectError<'a>> {
        let only_cpu_memory =
            !self.triggers.is_empty() && self.triggers.iter().all(|t| t.is_cpu_or_memory());
        if only_cpu_memory && self.min_replica_count.unwrap_or(0) == 0 {
            return Err(ScaledObjectError::CpuMemoryOnlyScaleToZero);
        }
        Ok(())
    }

    /// The replica bounds [CheckReplicaCountBoundsAreValid]: the minimum (as the HPA sees it
    /// when set, so an explicit 0 counts as 1; 0 when unset) must not exceed the maximum, and
    /// `idleReplicaCount` must be below it.
    ///
    /// Quirk kept from KEDA: `idleReplicaCount: 0` is refused when `minReplicaCount` is unset,
    /// but accepted with an explicit `minReplicaCount: 0`.
    ///
    /// # Errors
    ///
    /// The first bound violated, with KEDA's message.
    ///
    /// ```
    /// use podscale::keda::ScaledObjectSpec;
    /// let mut so = ScaledObjectSpec::default();
    /// so.idle_replica_count = Some(0);
    /// assert_eq!(
    ///     so.check_replica_count_bounds().unwrap_err().to_string(),
    ///     "IdleReplicaCount=0 must be less than MinReplicaCount=0"
    /// );
    /// so.min_replica_count = Some(0);
    /// assert!(so.check_replica_count_bounds().is_ok());
    /// ```
    pub fn check_replica_count_bounds(&self) -> Result<(), ScaledObjectError<'a>> {
        let min = if self.min_replica_count.is_some() {
            self.hpa_min_replicas()
        } else {
            0
        };
        let max = self.hpa_max_replicas();
        if min > max {
            return Err(ScaledObjectError::MinAboveMax { min, max });
        }
        match self.idle_replica_count {
            Some(idle) if idle >= min => Err(ScaledObjectError::IdleNotBelowMin { idle, min }),
            _ => Ok(()),
        }
    }

    /// `fallback` [CheckFallbackValid]: threshold and replicas at least 0; with modifiers,
    /// `metricType` not `Value`; without, some non-cpu/memory trigger with an `AverageValue`
    /// target. `behavior: scalingModifiers` also needs a formula.
    ///
    /// # Errors
    ///
    /// The first check failing, with KEDA's message.
    pub fn check_fallback(&self) -> Result<(), ScaledObjectError<'a>> {
        let Some(fallback) = self.fallback else {
            return Ok(());
        };
        if fallback.failure_threshold < 0 || fallback.replicas < 0 {
            return Err(ScaledObjectError::InvalidFallbackCounts {
                failure_threshold: fallback.failure_threshold,
                replicas: fallback.replicas,
            });
        }
        match self.scaling_modifiers() {
            Some(modifiers) => {
                if modifiers.metric_type == Some(MetricTargetType::Value) {
                    return Err(ScaledObjectError::FallbackNeedsAverageValueModifiers);
                }
            }
            None => {
                let average_value = self.triggers.iter().any(|t| {
                    !t.is_cpu_or_memory()
                        && matches!(t.metric_type, None | Some(MetricTargetType::AverageValue))
                });
                if !average_value {
                    return Err(ScaledObjectError::FallbackNeedsAverageValueTrigger);
                }
            }
        }
        let has_formula = self
            .scaling_modifiers()
            .is_some_and(|m| !m.formula.is_empty());
        if fallback.behavior == FallbackBehavior::ScalingModifiers && !has_formula {
            return Err(ScaledObjectError::FallbackNeedsFormula);
        }
        Ok(())
    }

    /// The trigger list [ValidateTriggers]: `useCachedMetrics` is not allowed on `cpu`,
    /// `memory` or `cron`, and names (when given) are unique. Triggers are checked in order,
    /// the first problem wins.
    ///
    /// # Errors
    ///
    /// The first problem, with KEDA's message.
    pub fn check_triggers(&self) -> Result<(), ScaledObjectError<'a>> {
        for (i, trigger) in self.triggers.iter().enumerate() {
            if trigger.use_cached_metrics
                && matches!(trigger.trigger_type, "cpu" | "memory" | "cron")
            {
                return Err(ScaledObjectError::CachedMetricsUnsupported {
                    trigger_type: trigger.trigger_type,
                });
            }
            if !trigger.name.is_empty() {
                let earlier = self.triggers.get(..i).unwrap_or(&[]);
                if earlier.iter().any(|t| t.name == trigger.name) {
                    return Err(ScaledObjectError::DuplicateTriggerName { name: trigger.name });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::keda::{AdvancedConfig, Fallback, ScalingModifiers, Trigger};

    #[test]
    fn bounds_texts() {
        let mut so = ScaledObjectSpec {
            min_replica_count: Some(101),
            ..ScaledObjectSpec::default()
        };
        assert_eq!(
            so.check_replica_count_bounds(),
            Err(ScaledObjectError::MinAboveMax { min: 101, max: 100 })
        );
        so.min_replica_count = Some(100);
        assert!(so.check_replica_count_bounds().is_ok());
        so.min_replica_count = Some(1);
        so.max_replica_count = Some(5);
        so.idle_replica_count = Some(1);
        assert_eq!(
            so.check_replica_count_bounds(),
            Err(ScaledObjectError::IdleNotBelowMin { idle: 1, min: 1 })
        );
    }

    #[test]
    fn cached_metrics_and_duplicate_names() {
        let mut cached = Trigger::new("cron");
        cached.use_cached_metrics = true;
        let so = ScaledObjectSpec::new("so", &[cached]).unwrap();
        assert_eq!(
            so.check_triggers(),
            Err(ScaledObjectError::CachedMetricsUnsupported {
                trigger_type: "cron"
            })
        );
        let mut prometheus = Trigger::new("prometheus");
        prometheus.use_cached_metrics = true;
        let so = ScaledObjectSpec::new(
            "so",
            &[prometheus, Trigger::new("cron"), Trigger::new("cron")],
        )
        .unwrap();
        assert!(so.check_triggers().is_ok()); // unnamed triggers may repeat
    }

    #[test]
    fn cpu_memory_only_needs_a_minimum() {
        let mut so = ScaledObjectSpec::new("so", &[Trigger::new("cpu")]).unwrap();
        assert_eq!(
            so.validate(),
            Err(ScaledObjectError::CpuMemoryOnlyScaleToZero)
        );
        so.min_replica_count = Some(1);
        assert!(so.validate().is_ok());
    }

    #[test]
    fn fallback_checks() {
        let mut so =
            ScaledObjectSpec::new("so", &[Trigger::new("cpu"), Trigger::new("cron")]).unwrap();
        so.fallback = Some(Fallback {
            failure_threshold: 3,
            replicas: -1,
            ..Fallback::default()
        });
        assert_eq!(
            so.check_fallback(),
            Err(ScaledObjectError::InvalidFallbackCounts {
                failure_threshold: 3,
                replicas: -1
            })
        );
        so.fallback = Some(Fallback {
            failure_threshold: 3,
            replicas: 2,
            ..Fallback::default()
        });
        assert!(so.check_fallback().is_ok());
        if let Some(cron) = so.triggers.get_mut(1) {
            cron.metric_type = Some(MetricTargetType::Value);
        }
        assert_eq!(
            so.check_fallback(),
            Err(ScaledObjectError::FallbackNeedsAverageValueTrigger)
        );
        so.advanced = Some(AdvancedConfig {
            scaling_modifiers: ScalingModifiers {
                formula: "x",
                target: "1",
                metric_type: Some(MetricTargetType::Value),
                ..ScalingModifiers::default()
            },
            ..AdvancedConfig::default()
        });
        assert_eq!(
            so.check_fallback(),
            Err(ScaledObjectError::FallbackNeedsAverageValueModifiers)
        );
    }

    #[test]
    fn names() {
        let long = "a-very-long-scaled-object-name-that-goes-on-and-on-and-on-past-63";
        let so = ScaledObjectSpec::new(long, &[]).unwrap();
        assert!(matches!(
            so.check_names(),
            Err(ScaledObjectError::NameTooLong { .. })
        ));
    }
}
