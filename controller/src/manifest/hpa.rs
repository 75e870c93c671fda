//! The `autoscaling/v2` HorizontalPodAutoscaler (and `autoscaling/v1`'s CPU percentage), mapped
//! onto the core's [`HpaSpec`] with its `behavior`.

use heapless::Vec as FixedVec;
use podscale::hpa::{
    Behavior, HpaSpec, MAX_METRICS, MAX_POLICIES, MetricSpec, MetricTarget, ResourceName,
    ScalingPolicy, ScalingRules, SelectPolicy,
};
use serde::Deserialize;

use super::quantity::MilliQuantity;
use super::{Metadata, Origin, TargetRef};
use crate::error::InputError;

/// A HorizontalPodAutoscaler of either API version.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Hpa {
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec`.
    pub spec: HpaSpecManifest,
}

/// `spec`: v2's fields, and v1's `targetCPUUtilizationPercentage`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaSpecManifest {
    /// `scaleTargetRef`.
    pub scale_target_ref: TargetRef,
    /// `minReplicas`.
    pub min_replicas: Option<i32>,
    /// `maxReplicas`.
    pub max_replicas: i32,
    /// `metrics` (v2).
    #[serde(default)]
    pub metrics: Vec<MetricManifest>,
    /// `behavior` (v2).
    pub behavior: Option<BehaviorManifest>,
    /// `targetCPUUtilizationPercentage` (v1).
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: Option<i32>,
}

/// One entry of `metrics`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricManifest {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `resource`.
    pub resource: Option<ResourceSource>,
    /// `containerResource`.
    pub container_resource: Option<ContainerResourceSource>,
    /// `pods`.
    pub pods: Option<NamedMetricSource>,
    /// `object`.
    pub object: Option<NamedMetricSource>,
    /// `external`.
    pub external: Option<NamedMetricSource>,
}

/// `resource`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResourceSource {
    /// `name`.
    pub name: String,
    /// `target`.
    pub target: TargetManifest,
}

/// `containerResource`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ContainerResourceSource {
    /// `name`.
    pub name: String,
    /// `container`.
    pub container: String,
    /// `target`.
    pub target: TargetManifest,
}

/// `pods`, `object` or `external`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NamedMetricSource {
    /// `metric`.
    pub metric: MetricIdentifier,
    /// `target`.
    pub target: TargetManifest,
}

/// `metric`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MetricIdentifier {
    /// `name`.
    pub name: String,
}

/// `target`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetManifest {
    /// `type`: `Utilization`, `AverageValue` or `Value`.
    #[serde(rename = "type")]
    pub kind: TargetType,
    /// `averageUtilization`.
    pub average_utilization: Option<i32>,
    /// `averageValue`.
    pub average_value: Option<MilliQuantity>,
    /// `value`.
    pub value: Option<MilliQuantity>,
}

/// `target.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TargetType {
    /// `Utilization`.
    Utilization,
    /// `AverageValue`.
    AverageValue,
    /// `Value`.
    Value,
}

/// `behavior`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BehaviorManifest {
    /// `scaleUp`.
    pub scale_up: Option<RulesManifest>,
    /// `scaleDown`.
    pub scale_down: Option<RulesManifest>,
}

/// `behavior.scaleUp` or `behavior.scaleDown`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesManifest {
    /// `stabilizationWindowSeconds`.
    pub stabilization_window_seconds: Option<i32>,
    /// `selectPolicy`.
    pub select_policy: Option<SelectPolicyManifest>,
    /// `policies`.
    pub policies: Option<Vec<PolicyManifest>>,
    /// `tolerance`, a quantity (`0.05`, `50m`).
    pub tolerance: Option<MilliQuantity>,
}

/// `selectPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SelectPolicyManifest {
    /// `Max`.
    Max,
    /// `Min`.
    Min,
    /// `Disabled`.
    Disabled,
}

/// One of `policies`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyManifest {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: PolicyType,
    /// `value`.
    pub value: i32,
    /// `periodSeconds`.
    pub period_seconds: i32,
}

/// A policy's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PolicyType {
    /// `Pods`.
    Pods,
    /// `Percent`.
    Percent,
}

impl BehaviorManifest {
    /// The core's [`Behavior`]; `path` is where this `behavior` sits, for errors.
    ///
    /// # Errors
    ///
    /// More policies than the core holds, or rules the API server would refuse.
    pub fn to_behavior(&self, origin: &Origin, path: &str) -> Result<Behavior, InputError> {
        let rules = |rules: &Option<RulesManifest>, direction: &str| {
            rules
                .as_ref()
                .map(|r| r.to_rules(origin, &format!("{path}.{direction}")))
                .transpose()
        };
        let behavior = Behavior {
            scale_up: rules(&self.scale_up, "scaleUp")?,
            scale_down: rules(&self.scale_down, "scaleDown")?,
        };
        Ok(behavior)
    }
}

impl RulesManifest {
    fn to_rules(&self, origin: &Origin, path: &str) -> Result<ScalingRules, InputError> {
        let policies = match &self.policies {
            None => None,
            Some(list) => {
                let mut policies: FixedVec<ScalingPolicy, MAX_POLICIES> = FixedVec::new();
                for p in list {
                    let policy = match p.kind {
                        PolicyType::Pods => ScalingPolicy::pods(p.value, p.period_seconds),
                        PolicyType::Percent => ScalingPolicy::percent(p.value, p.period_seconds),
                    };
                    policies.push(policy).map_err(|_| {
                        origin.error(
                            format!("{path}.policies"),
                            format!("more than {MAX_POLICIES} policies"),
                        )
                    })?;
                }
                Some(policies)
            }
        };
        Ok(ScalingRules {
            stabilization_window_seconds: self.stabilization_window_seconds,
            select_policy: self.select_policy.map(|s| match s {
                SelectPolicyManifest::Max => SelectPolicy::Max,
                SelectPolicyManifest::Min => SelectPolicy::Min,
                SelectPolicyManifest::Disabled => SelectPolicy::Disabled,
            }),
            policies,
            // A quantity of milli-units: 50m is 0.05, divided as upstream's
            // AsApproximateFloat64 gives the nearest double.
            tolerance: self.tolerance.map(|t| t.0 as f64 / 1000.0),
        })
    }
}

impl TargetManifest {
    fn to_target(&self, origin: &Origin, path: &str) -> Result<MetricTarget, InputError> {
        let (value, field) = match self.kind {
            TargetType::Utilization => (
                self.average_utilization.map(MetricTarget::Utilization),
                "averageUtilization",
            ),
            TargetType::AverageValue => (
                self.average_value.map(|q| MetricTarget::AverageValue(q.0)),
                "averageValue",
            ),
            TargetType::Value => (self.value.map(|q| MetricTarget::Value(q.0)), "value"),
        };
        value.ok_or_else(|| {
            origin.error(
                format!("{path}.{field}"),
                format!("missing: a target of type {:?} needs it", self.kind),
            )
        })
    }
}

impl Hpa {
    /// The core's [`HpaSpec`], borrowing names from the manifest.
    ///
    /// # Errors
    ///
    /// A metric whose source is missing or whose target lacks its value, more metrics than
    /// the core holds, or bounds and behavior the API server would refuse; each names its
    /// field.
    pub fn to_spec(&self, origin: &Origin) -> Result<HpaSpec<'_>, InputError> {
        let spec = &self.spec;
        let mut metrics: FixedVec<MetricSpec<'_>, MAX_METRICS> = FixedVec::new();
        let mut push = |metric| {
            metrics.push(metric).map_err(|_| {
                origin.error("spec.metrics", format!("more than {MAX_METRICS} metrics"))
            })
        };
        if let Some(percent) = spec.target_cpu_utilization_percentage {
            push(MetricSpec::resource_utilization("cpu", percent))?;
        }
        for (index, metric) in spec.metrics.iter().enumerate() {
            let path = format!("spec.metrics[{index}]");
            let missing = |source: &str| {
                origin.error(
                    format!("{path}.{source}"),
                    format!("missing: a metric of type {} needs it", metric.kind),
                )
            };
            let mapped = match metric.kind.as_str() {
                "Resource" => {
                    let source = metric
                        .resource
                        .as_ref()
                        .ok_or_else(|| missing("resource"))?;
                    MetricSpec::Resource {
                        name: ResourceName::from(source.name.as_str()),
                        target: source
                            .target
                            .to_target(origin, &format!("{path}.resource.target"))?,
                    }
                }
                "ContainerResource" => {
                    let source = metric
                        .container_resource
                        .as_ref()
                        .ok_or_else(|| missing("containerResource"))?;
                    MetricSpec::ContainerResource {
                        name: ResourceName::from(source.name.as_str()),
                        container: &source.container,
                        target: source
                            .target
                            .to_target(origin, &format!("{path}.containerResource.target"))?,
                    }
                }
                "Pods" | "Object" | "External" => {
                    let (field, source) = match metric.kind.as_str() {
                        "Pods" => ("pods", &metric.pods),
                        "Object" => ("object", &metric.object),
                        _ => ("external", &metric.external),
                    };
                    let source = source.as_ref().ok_or_else(|| missing(field))?;
                    let name = source.metric.name.as_str();
                    let target = source
                        .target
                        .to_target(origin, &format!("{path}.{field}.target"))?;
                    match field {
                        "pods" => MetricSpec::Pods {
                            metric: name,
                            target,
                        },
                        "object" => MetricSpec::Object {
                            metric: name,
                            target,
                        },
                        _ => MetricSpec::External {
                            metric: name,
                            target,
                        },
                    }
                }
                other => {
                    return Err(origin.error(
                        format!("{path}.type"),
                        format!(
                            "`{other}` is not a metric source type (Resource, ContainerResource, \
                             Pods, Object or External)"
                        ),
                    ));
                }
            };
            push(mapped)?;
        }
        let behavior = spec
            .behavior
            .as_ref()
            .map(|b| b.to_behavior(origin, "spec.behavior"))
            .transpose()?;
        let mut core = HpaSpec::new(spec.min_replicas.unwrap_or(1), spec.max_replicas, &metrics)
            .map_err(|e| origin.error("spec", e.to_string()))?;
        // `new` sets minReplicas; an unset one stays unset, as written.
        core.min_replicas = spec.min_replicas;
        core.behavior = behavior;
        core.validate()
            .map_err(|e| origin.error("spec", e.to_string()))?;
        Ok(core)
    }
}
