//! Everything a simulation runs on: the clock, the workload and the autoscalers watching it.

use crate::hpa::{ControllerConfig, HpaSpec};
use crate::keda::{CronTrigger, ScaledObjectSpec};
use crate::vpa::{AggregationConfig, RecommenderConfig};

use super::demand::Demand;
use super::error::SimError;
use super::metrics_pipeline::{MetricsPipeline, is_multiple};
use super::pod_template::PodTemplate;

/// The HorizontalPodAutoscaler of the workload.
///
/// ```
/// use podscale::hpa::{HpaSpec, MetricSpec};
/// use podscale::sim::HpaSetup;
/// let spec = HpaSpec::new(1, 10, &[MetricSpec::resource_utilization("cpu", 50)])?;
/// let hpa = HpaSetup::new(&spec);
/// assert_eq!(hpa.sync_period_ms, 15_000);
/// # Ok::<(), podscale::hpa::HpaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HpaSetup<'a> {
    /// The HPA's spec. `Resource` and `ContainerResource` CPU metrics read the simulated pods;
    /// `External` metrics named as a cron trigger's read that trigger.
    pub spec: &'a HpaSpec<'a>,
    /// The controller's flags and feature gates.
    pub config: ControllerConfig,
    /// `--horizontal-pod-autoscaler-sync-period`, milliseconds: a whole number of steps.
    pub sync_period_ms: i64,
}

impl<'a> HpaSetup<'a> {
    /// `spec` with kube-controller-manager's defaults: 15 s syncs.
    pub fn new(spec: &'a HpaSpec<'a>) -> Self {
        Self {
            spec,
            config: ControllerConfig::default(),
            sync_period_ms: 15_000,
        }
    }
}

/// A KEDA ScaledObject whose triggers are cron triggers: KEDA polls them every
/// `pollingInterval` and owns 0 <-> 1; the HPA it generates (an [`HpaSetup`] built with
/// [`ScaledObjectSpec::generate_hpa`]) owns 1 <-> N.
///
/// ```
/// use podscale::keda::{CronTrigger, ScaledObjectSpec, Trigger};
/// use podscale::sim::KedaSetup;
/// let cron = CronTrigger::from_metadata(&[("timezone", "Asia/Seoul"),
///     ("start", "0 * * * *"), ("end", "5 * * * *"), ("desiredReplicas", "1")], 0)?;
/// let so = ScaledObjectSpec::new("hourly", &[Trigger::new("cron")])?;
/// let triggers = [cron];
/// let keda = KedaSetup { scaled_object: &so, triggers: &triggers };
/// assert_eq!(keda.scaled_object.polling_interval_ms(), 30_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KedaSetup<'a> {
    /// The ScaledObject; its polling interval must be a whole number of steps.
    pub scaled_object: &'a ScaledObjectSpec<'a>,
    /// One cron trigger per entry of `scaled_object.triggers`, in the same order.
    pub triggers: &'a [CronTrigger<'a>],
}

/// The VPA recommender watching the workload's container.
///
/// ```
/// use podscale::sim::VpaSetup;
/// assert_eq!(VpaSetup::default().sample_interval_ms, 60_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VpaSetup {
    /// The container model's flags (histogram half-lives, memory aggregation).
    pub aggregation: AggregationConfig,
    /// The estimators' flags (percentiles, margin, minimums).
    pub recommender: RecommenderConfig,
    /// `--recommender-interval`, milliseconds: how often it samples usage and recommends.
    pub sample_interval_ms: i64,
}

impl Default for VpaSetup {
    /// The recommender's defaults: a one-minute loop.
    fn default() -> Self {
        Self {
            aggregation: AggregationConfig::default(),
            recommender: RecommenderConfig::default(),
            sample_interval_ms: 60_000,
        }
    }
}

/// A what-if scenario: one workload, its demand, and the autoscalers acting on it, stepped
/// from `start_ms` to `end_ms` (both included) every `step_ms`.
///
/// ```
/// use podscale::sim::{Demand, DemandPoint, PodTemplate, Scenario};
/// let demand = [DemandPoint::new(0, 300)];
/// let scenario = Scenario::new(0, 3_600_000, Demand::Cpu(&demand), PodTemplate::new(200));
/// assert_eq!(scenario.step_ms, 15_000);
/// assert!(scenario.validate(10).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scenario<'a> {
    /// The first step, Unix milliseconds.
    pub start_ms: i64,
    /// The last step, Unix milliseconds.
    pub end_ms: i64,
    /// Time between steps, milliseconds. Demand and usage hold constant within a step; every
    /// period below is a whole number of steps.
    pub step_ms: i64,
    /// What the workload is asked to do.
    pub demand: Demand<'a>,
    /// Its pods.
    pub pod: PodTemplate<'a>,
    /// Pods at the start, running and ready since long before.
    pub initial_replicas: i32,
    /// How usage reaches the autoscalers.
    pub metrics: MetricsPipeline,
    /// The HPA, if any.
    pub hpa: Option<HpaSetup<'a>>,
    /// The KEDA ScaledObject, if any.
    pub keda: Option<KedaSetup<'a>>,
    /// The VPA recommender, if any.
    pub vpa: Option<VpaSetup>,
}

impl<'a> Scenario<'a> {
    /// One replica, 15 s steps, metrics-server's pipeline, and no autoscaler yet.
    pub const fn new(start_ms: i64, end_ms: i64, demand: Demand<'a>, pod: PodTemplate<'a>) -> Self {
        Self {
            start_ms,
            end_ms,
            step_ms: 15_000,
            demand,
            pod,
            initial_replicas: 1,
            metrics: MetricsPipeline {
                resolution_ms: 15_000,
                window_ms: 15_000,
            },
            hpa: None,
            keda: None,
            vpa: None,
        }
    }

    /// Checks the scenario for a simulation holding `pod_capacity` pods.
    ///
    /// # Errors
    ///
    /// The first field out of range: a step that is not positive, an end before the start,
    /// a period that is not a whole number of steps, an invalid demand or pod template, more
    /// initial replicas than `pod_capacity`, or KEDA triggers that do not match the
    /// ScaledObject's.
    pub fn validate(&self, pod_capacity: usize) -> Result<(), SimError> {
        if self.step_ms <= 0 {
            return Err(SimError::InvalidField {
                field: "step_ms",
                value: self.step_ms,
            });
        }
        if self.end_ms < self.start_ms {
            return Err(SimError::InvalidField {
                field: "end_ms",
                value: self.end_ms,
            });
        }
        self.demand.validate()?;
        self.pod.validate()?;
        self.metrics.validate(self.step_ms)?;
        let capacity = i64::try_from(pod_capacity).unwrap_or(i64::MAX);
        if self.initial_replicas < 0 || i64::from(self.initial_replicas) > capacity {
            return Err(SimError::InvalidField {
                field: "initial_replicas",
                value: i64::from(self.initial_replicas),
            });
        }
        let step = |field, value_ms| {
            if is_multiple(value_ms, self.step_ms) {
                Ok(())
            } else {
                Err(SimError::NotMultipleOfStep {
                    field,
                    value_ms,
                    step_ms: self.step_ms,
                })
            }
        };
        if let Some(hpa) = &self.hpa {
            step("hpa.sync_period_ms", hpa.sync_period_ms)?;
            hpa.spec.validate()?;
        }
        if let Some(keda) = &self.keda {
            step(
                "keda.polling_interval",
                keda.scaled_object.polling_interval_ms(),
            )?;
            if keda.triggers.len() != keda.scaled_object.triggers.len() {
                return Err(SimError::TriggerCount {
                    scaled_object: keda.scaled_object.triggers.len(),
                    cron_triggers: keda.triggers.len(),
                });
            }
        }
        if let Some(vpa) = &self.vpa {
            step("vpa.sample_interval_ms", vpa.sample_interval_ms)?;
        }
        Ok(())
    }
}
