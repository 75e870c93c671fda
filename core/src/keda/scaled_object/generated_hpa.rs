//! The HPA KEDA generates for a ScaledObject (1 <-> N is the HPA's job): name, replica bounds,
//! metrics and behavior [newHPAForScaledObject].

use core::fmt::Write as _;

use heapless::{String, Vec};

use crate::hpa::{
    Behavior, HpaSpec, MAX_METRICS, MetricSpec, MetricTarget, ScalingRules, SelectPolicy,
};

use super::error::ScaledObjectError;
use super::spec::{MetricTargetType, ScaledObjectSpec};

/// The label KEDA puts on every external metric's selector, valued with the ScaledObject's name:
/// how its metrics server knows which ScaledObject a metric belongs to.
pub const SCALED_OBJECT_NAME_LABEL: &str = "scaledobject.keda.sh/name";
/// The generated HPA's name is this prefix and the ScaledObject's name, unless set.
pub const DEFAULT_HPA_NAME_PREFIX: &str = "keda-hpa-";
/// The HPA's `minReplicas` when `minReplicaCount` is unset or 0 [defaultHPAMinReplicas].
pub const DEFAULT_HPA_MIN_REPLICAS: i32 = 1;
/// The HPA's `maxReplicas` when `maxReplicaCount` is unset [defaultHPAMaxReplicas].
pub const DEFAULT_HPA_MAX_REPLICAS: i32 = 100;
/// The longest ScaledObject or HPA name KEDA's webhook accepts (a label value's limit).
pub const MAX_NAME_LENGTH: usize = 63;

/// An HPA name.
pub type HpaName = String<MAX_NAME_LENGTH>;

/// The HPA KEDA creates: its name and spec. Every External metric of `spec.metrics` carries the
/// selector `matchLabels {SCALED_OBJECT_NAME_LABEL: selector_value}`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GeneratedHpa<'m> {
    /// `metadata.name`.
    pub name: HpaName,
    /// The spec: bounds, metrics (sorted as KEDA sorts them) and behavior.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub spec: HpaSpec<'m>,
    /// The value of the [`SCALED_OBJECT_NAME_LABEL`] selector on External metrics.
    pub selector_value: &'m str,
}

/// The HPA entry of a trigger's external metric, from its name, `metricType` and target in
/// milli-units [GetMetricTargetType, GetMetricTarget]. Any type other than `AverageValue` puts
/// the target in `value`.
///
/// # Errors
///
/// `Utilization`, which external metrics do not support.
///
/// ```
/// use podscale::hpa::{MetricSpec, MetricTarget};
/// use podscale::keda::{external_metric_spec, MetricTargetType};
/// let cron = external_metric_spec("s0-cron-Etc-UTC-06xxx-020xxx", None, 1000)?;
/// assert_eq!(cron, MetricSpec::External { metric: "s0-cron-Etc-UTC-06xxx-020xxx", target: MetricTarget::AverageValue(1000) });
/// assert!(external_metric_spec("m", Some(MetricTargetType::Utilization), 1000).is_err());
/// # Ok::<(), podscale::keda::ScaledObjectError>(())
/// ```
pub fn external_metric_spec(
    metric: &str,
    metric_type: Option<MetricTargetType>,
    target_milli: i64,
) -> Result<MetricSpec<'_>, ScaledObjectError<'static>> {
    let target = match metric_type {
        None | Some(MetricTargetType::AverageValue) => MetricTarget::AverageValue(target_milli),
        Some(MetricTargetType::Value) => MetricTarget::Value(target_milli),
        Some(MetricTargetType::Utilization) => {
            return Err(ScaledObjectError::UtilizationUnsupported);
        }
    };
    Ok(MetricSpec::External { metric, target })
}

/// A metric's source type as the HPA API spells it: what KEDA sorts metrics by.
fn source_type<'m>(metric: &MetricSpec<'m>) -> &'m str {
    match metric {
        MetricSpec::Resource { .. } => "Resource",
        MetricSpec::ContainerResource { .. } => "ContainerResource",
        MetricSpec::Pods { .. } => "Pods",
        MetricSpec::Object { .. } => "Object",
        MetricSpec::External { .. } => "External",
        MetricSpec::Unknown { kind } => kind,
    }
}

/// Sorts by source type, keeping the order of equal types (insertion sort, as Go's `sort.Slice`
/// does for up to 12 elements; KEDA's unstable sort may reorder equal types beyond that).
fn sort_by_source_type(metrics: &mut [MetricSpec<'_>]) {
    for i in 1..metrics.len() {
        let mut j = i;
        while let Some(before) = j.checked_sub(1) {
            let out_of_order = match (metrics.get(before), metrics.get(j)) {
                (Some(a), Some(b)) => source_type(a) > source_type(b),
                _ => false,
            };
            if !out_of_order {
                break;
            }
            metrics.swap(before, j);
            j = before;
        }
    }
}

impl<'a> ScaledObjectSpec<'a> {
    /// The HPA's `minReplicas`: `minReplicaCount` when above 0, else 1 [GetHPAMinReplicas].
    ///
    /// ```
    /// use podscale::keda::ScaledObjectSpec;
    /// let mut so = ScaledObjectSpec::default();
    /// assert_eq!((so.hpa_min_replicas(), so.hpa_max_replicas()), (1, 100));
    /// so.min_replica_count = Some(0);
    /// assert_eq!(so.hpa_min_replicas(), 1); // KEDA itself handles 0
    /// so.min_replica_count = Some(5);
    /// assert_eq!(so.hpa_min_replicas(), 5);
    /// ```
    pub fn hpa_min_replicas(&self) -> i32 {
        match self.min_replica_count {
            Some(min) if min > 0 => min,
            _ => DEFAULT_HPA_MIN_REPLICAS,
        }
    }

    /// The HPA's `maxReplicas`: `maxReplicaCount`, or 100 [GetHPAMaxReplicas].
    pub fn hpa_max_replicas(&self) -> i32 {
        self.max_replica_count.unwrap_or(DEFAULT_HPA_MAX_REPLICAS)
    }

    /// The HPA's name: `advanced.horizontalPodAutoscalerConfig.name`, or `keda-hpa-` and the
    /// ScaledObject's name [getHPAName].
    ///
    /// # Errors
    ///
    /// A name longer than [`MAX_NAME_LENGTH`], which KEDA's webhook refuses.
    ///
    /// ```
    /// use podscale::keda::ScaledObjectSpec;
    /// let so = ScaledObjectSpec::new("cron-scaledobject", &[])?;
    /// assert_eq!(so.hpa_name()?.as_str(), "keda-hpa-cron-scaledobject");
    /// # Ok::<(), podscale::keda::ScaledObjectError>(())
    /// ```
    pub fn hpa_name(&self) -> Result<HpaName, ScaledObjectError<'a>> {
        let (prefix, name) = self.hpa_name_parts();
        let length = prefix.len().saturating_add(name.len());
        let too_long = ScaledObjectError::HpaNameTooLong {
            prefix,
            name,
            length,
        };
        let mut out = HpaName::new();
        write!(out, "{prefix}{name}").map_err(|_| too_long)?;
        Ok(out)
    }

    /// The HPA name as a prefix and a name: `keda-hpa-` and the ScaledObject's name, or no
    /// prefix and the custom name [getHPAName, getDefaultHpaName].
    pub(super) fn hpa_name_parts(&self) -> (&'static str, &'a str) {
        match self.hpa_config().map_or("", |c| c.name) {
            "" => (DEFAULT_HPA_NAME_PREFIX, self.name),
            custom => ("", custom),
        }
    }

    /// The HPA's `behavior` [newHPAForScaledObject]: `advanced.horizontalPodAutoscalerConfig.
    /// behavior` as written, with `scaleDown.selectPolicy: Disabled` under `paused-scale-in`
    /// and `scaleUp.selectPolicy: Disabled` under `paused-scale-out` (creating the rules when
    /// absent).
    ///
    /// ```
    /// use podscale::hpa::SelectPolicy;
    /// use podscale::keda::ScaledObjectSpec;
    /// let mut so = ScaledObjectSpec::default();
    /// assert_eq!(so.hpa_behavior(), None);
    /// so.annotations.paused_scale_in = true;
    /// let behavior = so.hpa_behavior().unwrap();
    /// assert_eq!(behavior.scale_down.and_then(|r| r.select_policy), Some(SelectPolicy::Disabled));
    /// assert_eq!(behavior.scale_up, None);
    /// ```
    pub fn hpa_behavior(&self) -> Option<Behavior> {
        let mut behavior = self.hpa_config().and_then(|c| c.behavior.clone());
        let disable = |rules: &mut Option<ScalingRules>| {
            rules
                .get_or_insert_with(ScalingRules::default)
                .select_policy = Some(SelectPolicy::Disabled);
        };
        if self.annotations.paused_scale_in {
            disable(&mut behavior.get_or_insert_with(Behavior::default).scale_down);
        }
        if self.annotations.paused_scale_out {
            disable(&mut behavior.get_or_insert_with(Behavior::default).scale_up);
        }
        behavior
    }

    /// The HPA's `metrics` from each trigger's metric spec as its scaler builds it (External
    /// for most triggers, see [`external_metric_spec`]; Resource for `cpu`/`memory`)
    /// [getScaledObjectMetricSpecs]: sorted by source type; with `scalingModifiers` (and a
    /// target above 0) the Resource metrics followed by one External `composite-metric`.
    ///
    /// # Errors
    ///
    /// Two External metrics with the same name; `scalingModifiers.metricType: Utilization`;
    /// more metrics than an HPA holds.
    ///
    /// ```
    /// use podscale::hpa::{MetricSpec, MetricTarget};
    /// use podscale::keda::{external_metric_spec, ScaledObjectSpec, Trigger};
    /// let so = ScaledObjectSpec::new("so", &[Trigger::new("cpu"), Trigger::new("cron")])?;
    /// let cpu = MetricSpec::resource_utilization("cpu", 60);
    /// let cron = external_metric_spec("s1-cron-Etc-UTC-06xxx-020xxx", None, 1000)?;
    /// let metrics = so.hpa_metrics(&[cpu, cron])?;
    /// assert_eq!(metrics.as_slice(), &[cron, cpu]); // External sorts before Resource
    /// # Ok::<(), podscale::keda::ScaledObjectError>(())
    /// ```
    pub fn hpa_metrics<'m>(
        &self,
        trigger_metrics: &[MetricSpec<'m>],
    ) -> Result<Vec<MetricSpec<'m>, MAX_METRICS>, ScaledObjectError<'m>>
    where
        'a: 'm,
    {
        let full = ScaledObjectError::CapacityExceeded {
            field: "metrics",
            capacity: MAX_METRICS,
        };
        for (i, metric) in trigger_metrics.iter().enumerate() {
            if let MetricSpec::External { metric: name, .. } = metric {
                let earlier = trigger_metrics.get(..i).unwrap_or(&[]);
                let repeated = earlier
                    .iter()
                    .any(|m| matches!(m, MetricSpec::External { metric, .. } if metric == name));
                if repeated {
                    return Err(ScaledObjectError::DuplicateMetricName {
                        metric: name,
                        scaled_object: self.name,
                    });
                }
            }
        }
        let mut metrics: Vec<MetricSpec<'m>, MAX_METRICS> =
            Vec::from_slice(trigger_metrics).map_err(|()| full)?;
        sort_by_source_type(&mut metrics);
        if let Some(modifiers) = self.scaling_modifiers() {
            let composite = modifiers.metric_spec().map_err(|_| {
                // The only error is the Utilization type; its lifetime is static.
                ScaledObjectError::UtilizationTarget
            })?;
            if let Some(composite) = composite {
                // Only Resource metrics are kept (not ContainerResource), then the composite.
                metrics.retain(|m| matches!(m, MetricSpec::Resource { .. }));
                metrics.push(composite).map_err(|_| full)?;
            }
        }
        Ok(metrics)
    }

    /// The whole generated HPA [newHPAForScaledObject]: name, `minReplicas`/`maxReplicas`
    /// ([`hpa_min_replicas`](Self::hpa_min_replicas), [`hpa_max_replicas`](Self::hpa_max_replicas);
    /// both the paused count under `paused-replicas`, 0 becoming 1), metrics and behavior.
    ///
    /// # Errors
    ///
    /// As [`hpa_name`](Self::hpa_name) and [`hpa_metrics`](Self::hpa_metrics), or bounds the
    /// HPA API refuses (for example `minReplicaCount` above `maxReplicaCount`).
    ///
    /// ```
    /// use podscale::keda::{external_metric_spec, ScaledObjectSpec, Trigger};
    /// let mut so = ScaledObjectSpec::new("web", &[Trigger::new("cron")])?;
    /// so.max_replica_count = Some(20);
    /// let cron = external_metric_spec("s0-cron-Etc-UTC-06xxx-020xxx", None, 1000)?;
    /// let hpa = so.generate_hpa(&[cron])?;
    /// assert_eq!(hpa.name.as_str(), "keda-hpa-web");
    /// assert_eq!((hpa.spec.min_replicas, hpa.spec.max_replicas), (Some(1), 20));
    /// assert_eq!(hpa.selector_value, "web");
    /// # Ok::<(), podscale::keda::ScaledObjectError>(())
    /// ```
    pub fn generate_hpa<'m>(
        &self,
        trigger_metrics: &[MetricSpec<'m>],
    ) -> Result<GeneratedHpa<'m>, ScaledObjectError<'m>>
    where
        'a: 'm,
    {
        let (min, max) = match self.annotations.paused_replicas {
            // The HPA's minReplicas cannot be 0.
            Some(0) => (1, 1),
            Some(paused) => (paused, paused),
            None => (self.hpa_min_replicas(), self.hpa_max_replicas()),
        };
        let spec = HpaSpec {
            min_replicas: Some(min),
            max_replicas: max,
            metrics: self.hpa_metrics(trigger_metrics)?,
            behavior: self.hpa_behavior(),
        };
        spec.validate()?;
        Ok(GeneratedHpa {
            name: self.hpa_name()?,
            spec,
            selector_value: self.name,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::hpa::ScalingPolicy;
    use crate::keda::{AdvancedConfig, HorizontalPodAutoscalerConfig, ScalingModifiers, Trigger};

    fn external(name: &str) -> MetricSpec<'_> {
        external_metric_spec(name, None, 1000).unwrap()
    }

    #[test]
    fn names() {
        let mut so = ScaledObjectSpec::new("so", &[]).unwrap();
        so.advanced = Some(AdvancedConfig {
            horizontal_pod_autoscaler_config: Some(HorizontalPodAutoscalerConfig {
                name: "my-hpa",
                behavior: None,
            }),
            ..AdvancedConfig::default()
        });
        assert_eq!(so.hpa_name().unwrap().as_str(), "my-hpa");
        let long = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; // 55
        let so = ScaledObjectSpec::new(long, &[]).unwrap();
        assert_eq!(
            so.hpa_name(),
            Err(ScaledObjectError::HpaNameTooLong {
                prefix: "keda-hpa-",
                name: long,
                length: 64
            })
        );
        let so = ScaledObjectSpec::new(long.get(..54).unwrap(), &[]).unwrap();
        assert_eq!(so.hpa_name().unwrap().len(), 63);
    }

    #[test]
    fn metrics_sort_stably_and_reject_duplicates() {
        let so = ScaledObjectSpec::new("so", &[]).unwrap();
        let cpu = MetricSpec::resource_utilization("cpu", 50);
        let mem = MetricSpec::resource_utilization("memory", 50);
        let m = so
            .hpa_metrics(&[cpu, external("b"), mem, external("a")])
            .unwrap();
        assert_eq!(m.as_slice(), &[external("b"), external("a"), cpu, mem]);
        assert_eq!(
            so.hpa_metrics(&[external("a"), cpu, external("a")]),
            Err(ScaledObjectError::DuplicateMetricName {
                metric: "a",
                scaled_object: "so"
            })
        );
    }

    #[test]
    fn modifiers_replace_external_metrics() {
        let mut so = ScaledObjectSpec::new(
            "so",
            &[Trigger::named("cron", "a"), Trigger::named("cpu", "c")],
        )
        .unwrap();
        so.advanced = Some(AdvancedConfig {
            scaling_modifiers: ScalingModifiers {
                formula: "a",
                target: "2",
                ..ScalingModifiers::default()
            },
            ..AdvancedConfig::default()
        });
        let cpu = MetricSpec::resource_utilization("cpu", 50);
        let m = so.hpa_metrics(&[external("a"), cpu]).unwrap();
        assert_eq!(
            m.as_slice(),
            &[
                cpu,
                MetricSpec::External {
                    metric: "composite-metric",
                    target: MetricTarget::AverageValue(2000)
                }
            ]
        );
    }

    #[test]
    fn behavior_passthrough_and_pausing() {
        let mut so = ScaledObjectSpec::new("so", &[]).unwrap();
        let rules = ScalingRules::with_policies(&[ScalingPolicy::pods(1, 60)]).unwrap();
        let behavior = Behavior {
            scale_up: Some(rules.clone()),
            scale_down: None,
        };
        so.advanced = Some(AdvancedConfig {
            horizontal_pod_autoscaler_config: Some(HorizontalPodAutoscalerConfig {
                name: "",
                behavior: Some(behavior.clone()),
            }),
            ..AdvancedConfig::default()
        });
        assert_eq!(so.hpa_behavior(), Some(behavior));
        so.annotations.paused_scale_out = true;
        let paused = so.hpa_behavior().unwrap();
        let up = paused.scale_up.unwrap();
        assert_eq!(up.select_policy, Some(SelectPolicy::Disabled));
        assert_eq!(up.policies, rules.policies); // the rest is kept
        assert_eq!(paused.scale_down, None);
    }

    #[test]
    fn paused_replicas_pin_the_hpa() {
        let mut so = ScaledObjectSpec::new("so", &[]).unwrap();
        so.annotations.paused_replicas = Some(0);
        let hpa = so.generate_hpa(&[external("m")]).unwrap();
        assert_eq!((hpa.spec.min_replicas, hpa.spec.max_replicas), (Some(1), 1));
        so.annotations.paused_replicas = Some(-2);
        assert!(matches!(
            so.generate_hpa(&[external("m")]),
            Err(ScaledObjectError::Hpa(_))
        ));
    }
}
