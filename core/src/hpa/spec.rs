//! What the user asks for (`spec`) and how the controller is configured (flags, feature gates).

use heapless::Vec;

use super::behavior::{Behavior, ScalingDirection};
use super::error::HpaError;
use super::pod_grouping::ReadinessPeriods;
use super::resource::ResourceName;

/// How many metrics one HPA can hold.
pub const MAX_METRICS: usize = 16;

/// A metric's `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MetricTarget {
    /// `type: Utilization` with `averageUtilization`, percent of requests.
    Utilization(i32),
    /// `type: AverageValue` with `averageValue`, milli-units per pod.
    AverageValue(i64),
    /// `type: Value` with `value`, milli-units.
    Value(i64),
    /// A target whose value field is missing. The API server rejects it; upstream's controller
    /// fails the metric (`FailedGet*Metric`), and so does podscale.
    Unset,
}

/// One entry of `spec.metrics`.
///
/// ```
/// use podscale::hpa::{MetricSpec, MetricTarget};
/// let cpu = MetricSpec::resource_utilization("cpu", 50);
/// let queue = MetricSpec::External { metric: "queue_depth", target: MetricTarget::AverageValue(30_000) };
/// assert!(queue.is_object_or_external() && !cpu.is_object_or_external());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MetricSpec<'a> {
    /// `type: Resource`: a resource of whole pods (metrics.k8s.io).
    Resource {
        /// Resource name, for example `cpu`.
        #[cfg_attr(feature = "serde", serde(borrow))]
        name: ResourceName<'a>,
        /// Target.
        target: MetricTarget,
    },
    /// `type: ContainerResource`: a resource of one container of each pod.
    ContainerResource {
        /// Resource name.
        #[cfg_attr(feature = "serde", serde(borrow))]
        name: ResourceName<'a>,
        /// Container name.
        container: &'a str,
        /// Target.
        target: MetricTarget,
    },
    /// `type: Pods`: a custom metric per pod (custom.metrics.k8s.io).
    Pods {
        /// Metric name.
        metric: &'a str,
        /// Target (AverageValue).
        target: MetricTarget,
    },
    /// `type: Object`: a custom metric of another object.
    Object {
        /// Metric name.
        metric: &'a str,
        /// Target (Value or AverageValue).
        target: MetricTarget,
    },
    /// `type: External`: a metric from outside the cluster (external.metrics.k8s.io).
    External {
        /// Metric name.
        metric: &'a str,
        /// Target (Value or AverageValue).
        target: MetricTarget,
    },
    /// A source type this version does not know; it fails with `InvalidMetricSourceType`.
    Unknown {
        /// The `type` given.
        kind: &'a str,
    },
}

impl<'a> MetricSpec<'a> {
    /// A Resource metric with a Utilization target, as `kubectl autoscale --cpu-percent` makes.
    pub fn resource_utilization(name: &'a str, percent: i32) -> Self {
        Self::Resource {
            name: ResourceName::from(name),
            target: MetricTarget::Utilization(percent),
        }
    }

    /// Whether the metric is an Object or External one (which allows scaling from zero).
    pub const fn is_object_or_external(&self) -> bool {
        matches!(self, Self::Object { .. } | Self::External { .. })
    }
}

/// The HPA spec: replica bounds, metrics and behavior.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HpaSpec<'a> {
    /// `minReplicas`; unset means 1.
    pub min_replicas: Option<i32>,
    /// `maxReplicas`.
    pub max_replicas: i32,
    /// `metrics`, never empty.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub metrics: Vec<MetricSpec<'a>, MAX_METRICS>,
    /// `behavior` as written, before API defaulting; `None` selects the legacy path.
    pub behavior: Option<Behavior>,
}

impl<'a> HpaSpec<'a> {
    /// A spec without behavior. Empty `metrics` become CPU at 80% utilization, as the API server
    /// defaults them [SetDefaults_HorizontalPodAutoscaler].
    ///
    /// # Errors
    ///
    /// More than [`MAX_METRICS`] metrics, or bounds that fail [`HpaSpec::validate`].
    pub fn new(
        min_replicas: i32,
        max_replicas: i32,
        metrics: &[MetricSpec<'a>],
    ) -> Result<Self, HpaError> {
        let mut spec = Self {
            min_replicas: Some(min_replicas),
            max_replicas,
            metrics: Vec::from_slice(metrics).map_err(|()| HpaError::CapacityExceeded {
                field: "metrics",
                capacity: MAX_METRICS,
            })?,
            behavior: None,
        };
        if spec.metrics.is_empty() {
            let _ = spec
                .metrics
                .push(MetricSpec::resource_utilization("cpu", 80));
        }
        spec.validate()?;
        Ok(spec)
    }

    /// `minReplicas`, or 1 when unset.
    pub fn min_replicas(&self) -> i32 {
        self.min_replicas.unwrap_or(1)
    }

    /// Checks what the API server would: `0 <= minReplicas <= maxReplicas`, `maxReplicas >= 1`,
    /// at least one metric, and the behavior ranges.
    ///
    /// # Errors
    ///
    /// The first field out of range, with its path and value.
    ///
    /// ```
    /// use podscale::hpa::{HpaSpec, MetricSpec, HpaError};
    /// let err = HpaSpec::new(5, 2, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid value 5 for minReplicas");
    /// ```
    pub fn validate(&self) -> Result<(), HpaError> {
        if self.max_replicas < 1 {
            return Err(HpaError::InvalidField {
                field: "maxReplicas",
                value: i64::from(self.max_replicas),
            });
        }
        let min = self.min_replicas();
        if min < 0 || min > self.max_replicas {
            return Err(HpaError::InvalidField {
                field: "minReplicas",
                value: i64::from(min),
            });
        }
        if self.metrics.is_empty() {
            return Err(HpaError::InvalidField {
                field: "metrics",
                value: 0,
            });
        }
        if let Some(behavior) = &self.behavior {
            if let Some(rules) = &behavior.scale_up {
                rules.validate(ScalingDirection::ScaleUp)?;
            }
            if let Some(rules) = &behavior.scale_down {
                rules.validate(ScalingDirection::ScaleDown)?;
            }
        }
        Ok(())
    }
}

/// Feature gates of kube-controller-manager that change decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FeatureGates {
    /// `HPAScaleToZero` (beta, on, in v1.37).
    pub hpa_scale_to_zero: bool,
    /// `HPAConfigurableTolerance` (beta, on, since v1.35).
    pub hpa_configurable_tolerance: bool,
    /// `PodLevelResources` (beta, on, since v1.34).
    pub pod_level_resources: bool,
}

impl Default for FeatureGates {
    /// The v1.37 defaults: all on.
    fn default() -> Self {
        Self {
            hpa_scale_to_zero: true,
            hpa_configurable_tolerance: true,
            pod_level_resources: true,
        }
    }
}

/// The controller's flags and feature gates.
///
/// ```
/// use podscale::hpa::ControllerConfig;
/// let config = ControllerConfig::default();
/// assert_eq!(config.downscale_stabilization_window_ms, 300_000);
/// assert_eq!(config.tolerance, 0.1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ControllerConfig {
    /// `--horizontal-pod-autoscaler-tolerance`.
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-downscale-stabilization`, milliseconds.
    pub downscale_stabilization_window_ms: i64,
    /// The CPU initialization period and initial readiness delay flags.
    pub readiness: ReadinessPeriods,
    /// `scaleUpLimitFactor` of the legacy path (a package constant, 2.0; upstream tests use 8).
    pub scale_up_limit_factor: f64,
    /// `scaleUpLimitMinimum` of the legacy path (4.0).
    pub scale_up_limit_minimum: f64,
    /// Feature gates.
    pub feature_gates: FeatureGates,
}

impl Default for ControllerConfig {
    /// kube-controller-manager's defaults [RecommendedDefaultHPAControllerConfiguration].
    fn default() -> Self {
        Self {
            tolerance: 0.1,
            downscale_stabilization_window_ms: 300_000,
            readiness: ReadinessPeriods::default(),
            scale_up_limit_factor: 2.0,
            scale_up_limit_minimum: 4.0,
            feature_gates: FeatureGates::default(),
        }
    }
}
