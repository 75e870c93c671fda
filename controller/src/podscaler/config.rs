//! A `PodScaler`'s spec mapped onto the core's specs: the HPA (its metrics and one External
//! metric per schedule), the ScaledObject that scales to zero and back, and the VPA's container
//! policies. Every check the API server's schema and rules make is made again here, so a spec
//! that got past an older CRD becomes a `Ready=False InvalidSpec` condition naming the field.

use std::fmt;
use std::path::PathBuf;

use k8s_openapi::api::autoscaling::v2::MetricSpec as ApiMetricSpec;
use podscale::hpa::{HpaSpec, MAX_METRICS, MetricSpec, MetricTarget};
use podscale::keda::{
    CronTrigger, CronValidationError, ScaledObjectSpec, Trigger, WindowMode as CoreWindowMode,
};
use podscale::vpa::ContainerResourcePolicy;
use serde_json::json;

use super::resource::{PodScaler, VerticalMode, WindowMode};
use crate::error::{InputError, Location};
use crate::manifest::{Hpa, Origin, Vpa};
use crate::metrics_api::{DescribedObject, MetricQuery};

/// Why a spec cannot be acted on: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The field, `spec.metrics[0].resource.target.averageUtilization`.
    pub path: String,
    /// What is wrong, with the value.
    pub message: String,
}

impl SpecError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for SpecError {}

impl From<InputError> for SpecError {
    fn from(e: InputError) -> Self {
        let path = match *e.location {
            Location::Field { path, .. } => path,
            _ => "spec".to_owned(),
        };
        Self::new(path, e.message)
    }
}

/// Where each metric of the core's HPA spec gets its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricFeed {
    /// `metrics.k8s.io`, summed over the pod's containers.
    Resource,
    /// `metrics.k8s.io`, one container.
    ContainerResource,
    /// `custom.metrics.k8s.io`, per pod.
    Pods(MetricQuery),
    /// `custom.metrics.k8s.io`, one object.
    Object(MetricQuery, DescribedObject),
    /// `external.metrics.k8s.io`.
    External(MetricQuery),
    /// The schedule at this index of `spec.schedules`: its `desiredReplicas` while open.
    Schedule(usize),
}

/// The owned pieces the core's specs borrow: the spec as an `autoscaling/v2` HPA and a VPA
/// (read by the same code as `podscale simulate`'s manifests), and the schedules' metric names.
#[derive(Debug, Clone)]
pub struct PreparedSpec {
    hpa: Hpa,
    vpa: Option<Vpa>,
    schedule_metric_names: Vec<String>,
    /// Where each metric of [`ScalerConfig::hpa`] reads its data, in the same order.
    pub feeds: Vec<MetricFeed>,
    origin: Origin,
    name: String,
    creation_timestamp_ms: Option<i64>,
}

/// A PodScaler as the core sees it, borrowing from a [`PreparedSpec`].
#[derive(Debug, Clone)]
pub struct ScalerConfig<'a> {
    /// The HPA: the spec's metrics, then one External metric per schedule.
    pub hpa: HpaSpec<'a>,
    /// The ScaledObject that scales between zero (or idle) and the HPA's range, when the spec
    /// has schedules.
    pub scaled_object: Option<ScaledObjectSpec<'a>>,
    /// The schedules as KEDA cron triggers, in `spec.schedules` order.
    pub schedules: Vec<CronTrigger<'a>>,
    /// The VPA's container policies, when `vertical.mode` is `Recommend`.
    pub vertical: Option<Vec<ContainerResourcePolicy<'a>>>,
}

/// One cron trigger type for every schedule: the ScaledObject's triggers only carry types.
const CRON_TRIGGERS: [Trigger<'static>; MAX_METRICS] = [Trigger::new("cron"); MAX_METRICS];

impl PodScaler {
    /// Checks the spec and prepares what the core's specs borrow.
    ///
    /// # Errors
    ///
    /// The first field the API server's schema or rules would refuse, or that the core
    /// cannot act on (an unknown metric type, a cron expression or time zone KEDA refuses,
    /// more metrics than the core holds), naming the field and the value.
    pub fn prepare(&self) -> Result<PreparedSpec, SpecError> {
        let spec = &self.spec;
        let name = self.metadata.name.clone().unwrap_or_default();
        let origin = Origin {
            file: PathBuf::from(format!(
                "PodScaler {}/{name}",
                self.metadata.namespace.as_deref().unwrap_or_default()
            )),
            document: 1,
            object: format!("PodScaler/{name}"),
        };
        let min = spec.min_replicas.unwrap_or(1);
        if min < 0 {
            return Err(SpecError::new(
                "spec.minReplicas",
                format!("{min} is negative"),
            ));
        }
        if spec.max_replicas < 1 || spec.max_replicas < min {
            return Err(SpecError::new(
                "spec.maxReplicas",
                format!(
                    "{} must be at least 1 and at least minReplicas ({min})",
                    spec.max_replicas
                ),
            ));
        }
        let scales_to_zero = min == 0 || spec.idle_replicas.is_some();
        if scales_to_zero && spec.schedules.is_empty() {
            return Err(SpecError::new(
                "spec.schedules",
                "scaling to zero (minReplicas 0 or idleReplicas) needs at least one schedule to \
                 wake the workload",
            ));
        }
        if let Some(idle) = spec.idle_replicas {
            if idle != 0 || idle >= min {
                return Err(SpecError::new(
                    "spec.idleReplicas",
                    format!("{idle} must be 0 and less than minReplicas ({min})"),
                ));
            }
        }
        if spec.metrics.is_empty() && spec.schedules.is_empty() {
            return Err(SpecError::new(
                "spec.metrics",
                "empty: give at least one metric or one schedule",
            ));
        }
        if spec.metrics.len().saturating_add(spec.schedules.len()) > MAX_METRICS {
            return Err(SpecError::new(
                "spec.metrics",
                format!("more than {MAX_METRICS} metrics and schedules together"),
            ));
        }
        let mut feeds = Vec::new();
        for (index, metric) in spec.metrics.iter().enumerate() {
            feeds.push(feed(metric, index)?);
        }
        let mut schedule_metric_names = Vec::new();
        for (index, schedule) in spec.schedules.iter().enumerate() {
            let trigger = cron_trigger(schedule, index)?;
            schedule_metric_names.push(trigger.metric_name().to_string());
            feeds.push(MetricFeed::Schedule(index));
        }
        // The HPA never goes below one replica: zero is the ScaledObject's [newHPAForScaledObject].
        let hpa_json = json!({
            "metadata": {"name": name},
            "spec": {
                "scaleTargetRef": spec.scale_target_ref,
                "minReplicas": min.max(1),
                "maxReplicas": spec.max_replicas,
                "metrics": spec.metrics,
                "behavior": spec.behavior,
            }
        });
        let hpa: Hpa = serde_path_to_error::deserialize(hpa_json)
            .map_err(|e| SpecError::new(format!("spec.{}", e.path()), e.inner().to_string()))?;
        let vpa = match &spec.vertical {
            Some(vertical) if vertical.mode == VerticalMode::Recommend => {
                let vpa_json = json!({
                    "metadata": {"name": name},
                    "spec": {
                        "targetRef": spec.scale_target_ref,
                        "resourcePolicy": {"containerPolicies": vertical.container_policies},
                    }
                });
                let vpa: Vpa = serde_path_to_error::deserialize(vpa_json).map_err(|e| {
                    let path = e.path().to_string().replace(
                        "spec.resourcePolicy.containerPolicies",
                        "spec.vertical.containerPolicies",
                    );
                    SpecError::new(path, e.inner().to_string())
                })?;
                Some(vpa)
            }
            _ => None,
        };
        let creation_timestamp_ms = self
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_millisecond());
        let prepared = PreparedSpec {
            hpa,
            vpa,
            schedule_metric_names,
            feeds,
            origin,
            name,
            creation_timestamp_ms,
        };
        // Everything the core checks, checked once here.
        prepared.config(self)?;
        Ok(prepared)
    }
}

impl PreparedSpec {
    /// The core's specs for `scaler`, the PodScaler this was prepared from.
    ///
    /// # Errors
    ///
    /// As [`PodScaler::prepare`].
    pub fn config<'a>(&'a self, scaler: &'a PodScaler) -> Result<ScalerConfig<'a>, SpecError> {
        let spec = &scaler.spec;
        let mut hpa = self.hpa.to_spec(&self.origin)?;
        let mut schedules = Vec::new();
        for (index, (schedule, name)) in spec
            .schedules
            .iter()
            .zip(&self.schedule_metric_names)
            .enumerate()
        {
            schedules.push(cron_trigger(schedule, index)?);
            // The cron scaler's target is one replica's worth: 1, in milli-units
            // [cronScaler.GetMetricSpecForScaling].
            let metric = MetricSpec::External {
                metric: name.as_str(),
                target: MetricTarget::AverageValue(1000),
            };
            hpa.metrics.push(metric).map_err(|_| {
                SpecError::new(
                    "spec.schedules",
                    format!("more than {MAX_METRICS} metrics and schedules together"),
                )
            })?;
        }
        let scaled_object = if schedules.is_empty() {
            None
        } else {
            let triggers = CRON_TRIGGERS.get(..schedules.len()).unwrap_or_default();
            let mut so = ScaledObjectSpec::new(&self.name, triggers)
                .map_err(|e| SpecError::new("spec.schedules", e.to_string()))?;
            so.creation_timestamp_ms = self.creation_timestamp_ms;
            so.min_replica_count = Some(spec.min_replicas.unwrap_or(1));
            so.max_replica_count = Some(spec.max_replicas);
            so.idle_replica_count = spec.idle_replicas;
            so.cooldown_period_seconds = spec.cooldown_period_seconds;
            so.initial_cooldown_period_seconds = spec.initial_cooldown_period_seconds;
            Some(so)
        };
        let vertical = self
            .vpa
            .as_ref()
            .map(|vpa| vpa.container_policies(&self.origin))
            .transpose()
            .map_err(|e| {
                let mut e = SpecError::from(e);
                e.path = e.path.replace(
                    "spec.resourcePolicy.containerPolicies",
                    "spec.vertical.containerPolicies",
                );
                e
            })?;
        Ok(ScalerConfig {
            hpa,
            scaled_object,
            schedules,
            vertical,
        })
    }
}

/// Where the metric at `spec.metrics[index]` reads its data.
fn feed(metric: &ApiMetricSpec, index: usize) -> Result<MetricFeed, SpecError> {
    let path = format!("spec.metrics[{index}]");
    let missing = |field: &str| {
        SpecError::new(
            format!("{path}.{field}"),
            format!("missing: a metric of type {} needs it", metric.type_),
        )
    };
    let query = |identifier: &k8s_openapi::api::autoscaling::v2::MetricIdentifier, field: &str| {
        MetricQuery::from_identifier(identifier)
            .map_err(|e| SpecError::new(format!("{path}.{field}.metric.selector"), e.to_string()))
    };
    Ok(match metric.type_.as_str() {
        "Resource" => {
            metric
                .resource
                .as_ref()
                .ok_or_else(|| missing("resource"))?;
            MetricFeed::Resource
        }
        "ContainerResource" => {
            metric
                .container_resource
                .as_ref()
                .ok_or_else(|| missing("containerResource"))?;
            MetricFeed::ContainerResource
        }
        "Pods" => {
            let source = metric.pods.as_ref().ok_or_else(|| missing("pods"))?;
            MetricFeed::Pods(query(&source.metric, "pods")?)
        }
        "Object" => {
            let source = metric.object.as_ref().ok_or_else(|| missing("object"))?;
            let object = &source.described_object;
            MetricFeed::Object(
                query(&source.metric, "object")?,
                DescribedObject {
                    api_version: object.api_version.clone().unwrap_or_default(),
                    kind: object.kind.clone(),
                    name: object.name.clone(),
                },
            )
        }
        "External" => {
            let source = metric
                .external
                .as_ref()
                .ok_or_else(|| missing("external"))?;
            MetricFeed::External(query(&source.metric, "external")?)
        }
        other => {
            return Err(SpecError::new(
                format!("{path}.type"),
                format!(
                    "`{other}` is not a metric source type (Resource, ContainerResource, Pods, \
                     Object or External)"
                ),
            ));
        }
    })
}

/// The schedule at `spec.schedules[index]` as KEDA's cron trigger, its time zone checked up
/// front (KEDA only fails at each evaluation).
fn cron_trigger(
    schedule: &super::resource::Schedule,
    index: usize,
) -> Result<CronTrigger<'_>, SpecError> {
    let path = format!("spec.schedules[{index}]");
    if schedule.desired_replicas < 1 {
        return Err(SpecError::new(
            format!("{path}.desiredReplicas"),
            format!("{} must be at least 1", schedule.desired_replicas),
        ));
    }
    let desired = schedule.desired_replicas.to_string();
    let metadata = [
        ("timezone", schedule.timezone.as_str()),
        ("start", schedule.start.as_str()),
        ("end", schedule.end.as_str()),
        ("desiredReplicas", desired.as_str()),
    ];
    let parsed = CronTrigger::from_metadata(&metadata, index).map_err(|e| {
        const KEYS: [&str; 4] = ["start", "end", "timezone", "desiredReplicas"];
        let missing = e
            .missing
            .iter()
            .zip(KEYS)
            .find(|(m, _)| **m)
            .map(|(_, k)| k);
        let (field, value) = match (missing, e.validation) {
            (Some(key), _) => (key, String::new()),
            (None, Some(CronValidationError::Start(_))) => ("start", schedule.start.clone()),
            (None, Some(CronValidationError::End(_) | CronValidationError::SameStartAndEnd)) => {
                ("end", schedule.end.clone())
            }
            (None, _) => ("desiredReplicas", desired.clone()),
        };
        let message = if value.is_empty() {
            e.to_string()
        } else {
            format!("`{value}`: {e}")
        };
        SpecError::new(format!("{path}.{field}"), message)
    })?;
    let window_mode = match schedule.window_mode {
        Some(WindowMode::Civil) => CoreWindowMode::Civil,
        Some(WindowMode::Keda) | None => CoreWindowMode::Keda,
    };
    // Rebuilt on the schedule's own text: the metadata above is borrowed from this call.
    let trigger = CronTrigger {
        timezone: schedule.timezone.trim(),
        start_text: schedule.start.trim(),
        end_text: schedule.end.trim(),
        start: parsed.start,
        end: parsed.end,
        desired_replicas: parsed.desired_replicas,
        trigger_index: index,
        window_mode,
        metric_name_form: parsed.metric_name_form,
    };
    trigger.check_zone().map_err(|e| {
        SpecError::new(
            format!("{path}.timezone"),
            format!("`{}`: {e}", schedule.timezone),
        )
    })?;
    Ok(trigger)
}
