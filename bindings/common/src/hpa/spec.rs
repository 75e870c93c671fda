//! The HPA's spec in owned form, read once from the manifest, and the controller's options.

use podscale::hpa::{self as core, MAX_METRICS, MetricSpec, MetricTarget, ResourceName};
use podscale_controller::manifest::hpa::{
    Hpa, HpaSpecManifest, MetricManifest, TargetManifest, TargetType,
};
use podscale_controller::manifest::{Metadata, Origin};
use serde::{Deserialize, Serialize};

use super::PodTemplateSpec;
use crate::error::{Error, Result};
use crate::units::Duration;

/// How to read an HPA and what the controller is configured with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HpaOptions {
    /// kube-controller-manager's flags and feature gates (default: its defaults).
    #[serde(default)]
    pub controller: Option<ControllerOptions>,
    /// The pods' template (a Deployment's `spec.template`): what replayed pods request.
    #[serde(default)]
    pub pod_template: Option<PodTemplateSpec>,
    /// Refuse what the API server refuses (default `true`). `false` takes the spec as stored,
    /// as upstream's controller sees it: an unknown metric `type` or a target without its value
    /// then fails at decision time with upstream's condition instead.
    #[serde(default)]
    pub validate: Option<bool>,
}

/// kube-controller-manager's HPA flags and feature gates; unset fields take its defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControllerOptions {
    /// `--horizontal-pod-autoscaler-tolerance` (0.1).
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (300 s).
    #[serde(default)]
    pub downscale_stabilization: Option<Duration>,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (300 s).
    #[serde(default)]
    pub cpu_initialization_period: Option<Duration>,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    #[serde(default)]
    pub initial_readiness_delay: Option<Duration>,
    /// The legacy path's scale-up factor (2.0; upstream's tests use 8).
    #[serde(default)]
    pub scale_up_limit_factor: Option<f64>,
    /// The legacy path's scale-up minimum (4.0).
    #[serde(default)]
    pub scale_up_limit_minimum: Option<f64>,
    /// Feature gates.
    #[serde(default)]
    pub feature_gates: Option<FeatureGateOptions>,
}

/// The feature gates the HPA reads, named as `--feature-gates` names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureGateOptions {
    /// `HPAScaleToZero` (on).
    #[serde(rename = "HPAScaleToZero", default)]
    pub hpa_scale_to_zero: Option<bool>,
    /// `HPAConfigurableTolerance` (on).
    #[serde(rename = "HPAConfigurableTolerance", default)]
    pub hpa_configurable_tolerance: Option<bool>,
    /// `PodLevelResources` (on).
    #[serde(rename = "PodLevelResources", default)]
    pub pod_level_resources: Option<bool>,
}

impl ControllerOptions {
    /// The core's configuration: these options over kube-controller-manager's defaults.
    pub fn to_config(&self) -> core::ControllerConfig {
        let d = core::ControllerConfig::default();
        let gates = self.feature_gates.unwrap_or_default();
        core::ControllerConfig {
            tolerance: self.tolerance.unwrap_or(d.tolerance),
            downscale_stabilization_window_ms: self
                .downscale_stabilization
                .map_or(d.downscale_stabilization_window_ms, |x| x.0),
            readiness: core::ReadinessPeriods {
                cpu_initialization_period_ms: self
                    .cpu_initialization_period
                    .map_or(d.readiness.cpu_initialization_period_ms, |x| x.0),
                delay_of_initial_readiness_status_ms: self
                    .initial_readiness_delay
                    .map_or(d.readiness.delay_of_initial_readiness_status_ms, |x| x.0),
            },
            scale_up_limit_factor: self
                .scale_up_limit_factor
                .unwrap_or(d.scale_up_limit_factor),
            scale_up_limit_minimum: self
                .scale_up_limit_minimum
                .unwrap_or(d.scale_up_limit_minimum),
            feature_gates: core::FeatureGates {
                hpa_scale_to_zero: gates
                    .hpa_scale_to_zero
                    .unwrap_or(d.feature_gates.hpa_scale_to_zero),
                hpa_configurable_tolerance: gates
                    .hpa_configurable_tolerance
                    .unwrap_or(d.feature_gates.hpa_configurable_tolerance),
                pod_level_resources: gates
                    .pod_level_resources
                    .unwrap_or(d.feature_gates.pod_level_resources),
            },
        }
    }
}

/// A metric's source type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricKind {
    /// `Resource`.
    Resource,
    /// `ContainerResource`.
    ContainerResource,
    /// `Pods`.
    Pods,
    /// `Object`.
    Object,
    /// `External`.
    External,
    /// A type upstream does not know (only when not validating).
    Unknown(String),
}

/// One metric of the spec, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedMetric {
    /// Source type.
    pub kind: MetricKind,
    /// Resource or metric name.
    pub name: String,
    /// `containerResource.container`.
    pub container: String,
    /// Target.
    pub target: MetricTarget,
}

/// An HPA spec in owned form; [`OwnedHpaSpec::view`] lends it to the core without copying.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedHpaSpec {
    /// `minReplicas`.
    pub min_replicas: Option<i32>,
    /// `maxReplicas`.
    pub max_replicas: i32,
    /// `metrics`.
    pub metrics: Vec<OwnedMetric>,
    /// `behavior`, as written (not defaulted).
    pub behavior: Option<core::Behavior>,
}

/// The origin the controller's readers name in errors; the bindings keep only the path.
pub(crate) fn origin() -> Origin {
    Origin {
        file: std::path::PathBuf::new(),
        document: 1,
        object: String::new(),
    }
}

impl OwnedHpaSpec {
    /// Reads a spec; errors name fields under `spec.`.
    pub(crate) fn read(manifest: &HpaSpecManifest, validate: bool) -> Result<Self> {
        if validate {
            let hpa = Hpa {
                metadata: Metadata {
                    name: String::new(),
                    annotations: Default::default(),
                },
                spec: manifest.clone(),
            };
            let spec = hpa.to_spec(&origin()).map_err(Error::from)?;
            return Ok(Self::from_core(&spec));
        }
        let mut metrics = Vec::new();
        if let Some(percent) = manifest.target_cpu_utilization_percentage {
            metrics.push(OwnedMetric {
                kind: MetricKind::Resource,
                name: "cpu".into(),
                container: String::new(),
                target: MetricTarget::Utilization(percent),
            });
        }
        for (index, m) in manifest.metrics.iter().enumerate() {
            metrics.push(lenient_metric(m).map_err(|e| e.at(&format!("spec.metrics[{index}]")))?);
        }
        if metrics.len() > MAX_METRICS {
            return Err(Error::validation(
                "spec.metrics",
                format!("more than {MAX_METRICS} metrics"),
            ));
        }
        let behavior = manifest
            .behavior
            .as_ref()
            .map(|b| b.to_behavior(&origin(), "spec.behavior"))
            .transpose()
            .map_err(Error::from)?;
        Ok(Self {
            min_replicas: manifest.min_replicas,
            max_replicas: manifest.max_replicas,
            metrics,
            behavior,
        })
    }

    /// An owned copy of a core spec.
    pub fn from_core(spec: &core::HpaSpec<'_>) -> Self {
        let metrics = spec
            .metrics
            .iter()
            .map(|m| {
                let (kind, name, container, target) = match *m {
                    MetricSpec::Resource { name, target } => {
                        (MetricKind::Resource, name.as_str(), "", target)
                    }
                    MetricSpec::ContainerResource {
                        name,
                        container,
                        target,
                    } => (
                        MetricKind::ContainerResource,
                        name.as_str(),
                        container,
                        target,
                    ),
                    MetricSpec::Pods { metric, target } => (MetricKind::Pods, metric, "", target),
                    MetricSpec::Object { metric, target } => {
                        (MetricKind::Object, metric, "", target)
                    }
                    MetricSpec::External { metric, target } => {
                        (MetricKind::External, metric, "", target)
                    }
                    MetricSpec::Unknown { kind } => (
                        MetricKind::Unknown(kind.to_string()),
                        "",
                        "",
                        MetricTarget::Unset,
                    ),
                };
                OwnedMetric {
                    kind,
                    name: name.to_string(),
                    container: container.to_string(),
                    target,
                }
            })
            .collect();
        Self {
            min_replicas: spec.min_replicas,
            max_replicas: spec.max_replicas,
            metrics,
            behavior: spec.behavior.clone(),
        }
    }

    /// The spec in the core's borrowed form.
    pub fn view(&self) -> core::HpaSpec<'_> {
        let mut metrics = heapless::Vec::new();
        for m in &self.metrics {
            let spec = match &m.kind {
                MetricKind::Resource => MetricSpec::Resource {
                    name: ResourceName::from(m.name.as_str()),
                    target: m.target,
                },
                MetricKind::ContainerResource => MetricSpec::ContainerResource {
                    name: ResourceName::from(m.name.as_str()),
                    container: &m.container,
                    target: m.target,
                },
                MetricKind::Pods => MetricSpec::Pods {
                    metric: &m.name,
                    target: m.target,
                },
                MetricKind::Object => MetricSpec::Object {
                    metric: &m.name,
                    target: m.target,
                },
                MetricKind::External => MetricSpec::External {
                    metric: &m.name,
                    target: m.target,
                },
                MetricKind::Unknown(kind) => MetricSpec::Unknown { kind },
            };
            // `read` checked the count.
            let _ = metrics.push(spec);
        }
        core::HpaSpec {
            min_replicas: self.min_replicas,
            max_replicas: self.max_replicas,
            metrics,
            behavior: self.behavior.clone(),
        }
    }
}

/// A metric as stored, without the API server's checks: a missing target value is `Unset`.
fn lenient_metric(m: &MetricManifest) -> Result<OwnedMetric> {
    let target = |t: &TargetManifest| match t.kind {
        TargetType::Utilization => t
            .average_utilization
            .map_or(MetricTarget::Unset, MetricTarget::Utilization),
        TargetType::AverageValue => t
            .average_value
            .map_or(MetricTarget::Unset, |q| MetricTarget::AverageValue(q.0)),
        TargetType::Value => t
            .value
            .map_or(MetricTarget::Unset, |q| MetricTarget::Value(q.0)),
    };
    let missing = |field: &str| {
        Error::validation(
            field,
            format!("missing: a metric of type {} needs it", m.kind),
        )
    };
    let named = |kind,
                 source: &Option<podscale_controller::manifest::hpa::NamedMetricSource>,
                 field: &str| {
        let s = source.as_ref().ok_or_else(|| missing(field))?;
        Ok(OwnedMetric {
            kind,
            name: s.metric.name.clone(),
            container: String::new(),
            target: target(&s.target),
        })
    };
    match m.kind.as_str() {
        "Resource" => {
            let s = m.resource.as_ref().ok_or_else(|| missing("resource"))?;
            Ok(OwnedMetric {
                kind: MetricKind::Resource,
                name: s.name.clone(),
                container: String::new(),
                target: target(&s.target),
            })
        }
        "ContainerResource" => {
            let s = m
                .container_resource
                .as_ref()
                .ok_or_else(|| missing("containerResource"))?;
            Ok(OwnedMetric {
                kind: MetricKind::ContainerResource,
                name: s.name.clone(),
                container: s.container.clone(),
                target: target(&s.target),
            })
        }
        "Pods" => named(MetricKind::Pods, &m.pods, "pods"),
        "Object" => named(MetricKind::Object, &m.object, "object"),
        "External" => named(MetricKind::External, &m.external, "external"),
        other => Ok(OwnedMetric {
            kind: MetricKind::Unknown(other.to_string()),
            name: String::new(),
            container: String::new(),
            target: MetricTarget::Unset,
        }),
    }
}
