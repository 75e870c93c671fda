//! One sync of a PodScaler, as methods on the resource: the schedules (KEDA's executor:
//! activation, cooldown, scale to zero), then the HPA on the metrics and the schedules'
//! values, then the VPA recommender. Each step that writes the scale is split in two: decide
//! (on a copy of the state), then commit with whether the write succeeded, so the caller can
//! write in between and the state records exactly what happened.

use podscale::hpa::{
    ControllerConfig, Decision, HpaError, MetricSpec, MetricTarget, Observation, RescaleReason,
    SelectorState, decide,
};
use podscale::keda::{
    CronActivity, ExecutorDecision, ScaleAction, ScaleActionKind, TriggerObservation,
    request_scale_with, scaled_object_activity,
};

use super::config::ScalerConfig;
use super::observation::{
    CoreViews, MetricReading, PodView, core_container_usage, core_containers, core_metric_data,
    core_pod_metrics, core_pods,
};
use super::resource::PodScaler;
use super::state::ScalerState;

/// The target's `scale` subresource as read at the start of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleReading {
    /// `spec.replicas`.
    pub spec_replicas: i32,
    /// `status.replicas`.
    pub status_replicas: i32,
    /// `status.selector` parsed (or not, or shared with another PodScaler).
    pub selector: SelectorState,
}

/// What the HPA step reads from the cluster.
#[derive(Debug, Clone, Copy)]
pub struct ClusterView<'a> {
    /// The target's scale, after the schedules' step.
    pub scale: &'a ScaleReading,
    /// The target's pods.
    pub pods: &'a [PodView],
    /// Each metric's reading: the spec's metrics, then the schedules', in the HPA spec's order.
    pub readings: &'a [MetricReading],
}

/// The schedules' state at an instant, and what KEDA's executor would write.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleStep {
    /// Each schedule's activity, in `spec.schedules` order.
    pub activities: Vec<CronActivity>,
    /// The write the executor asks for, if any (decided assuming it succeeds).
    pub action: Option<ScaleAction>,
}

/// The HPA's decision, owned (the core's borrows the spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HorizontalOutcome {
    /// `spec.replicas` when the HPA step began.
    pub current_replicas: i32,
    /// The replicas decided.
    pub desired_replicas: i32,
    /// Whether the scale should be written with `desired_replicas`.
    pub rescale: bool,
    /// The `SuccessfulRescale` event's reason, as the HPA words it.
    pub reason: Option<String>,
    /// Each metric's current value and proposal, or why it has none, in the HPA spec's order
    /// (the spec's metrics, then one per schedule).
    pub metrics: Vec<Result<MetricValueReport, String>>,
}

/// One metric's current value, for `status.currentMetrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricValueReport {
    /// The replicas it proposes.
    pub replicas: i32,
    /// `averageUtilization`, percent.
    pub average_utilization: Option<i32>,
    /// `averageValue`, milli-units.
    pub average_value_milli: Option<i64>,
    /// `value`, milli-units.
    pub value_milli: Option<i64>,
}

/// The schedules' values as the External metrics the HPA reads: `desiredReplicas` while open,
/// else 0, in milli-units [cronScaler.GetMetricsAndActivity].
pub fn schedule_readings(config: &ScalerConfig<'_>, step: &ScheduleStep) -> Vec<MetricReading> {
    config
        .schedules
        .iter()
        .zip(&step.activities)
        .map(|(trigger, activity)| {
            let value = if activity.active && trigger.desired_replicas > 0 {
                trigger.desired_replicas.saturating_mul(1000)
            } else {
                0
            };
            MetricReading::External(vec![value])
        })
        .collect()
}

/// How the HPA words a metric in its events and conditions [metricNameForSpec].
pub fn metric_description(metric: &MetricSpec<'_>, object_kind: Option<&str>) -> String {
    match metric {
        MetricSpec::Resource { name, target } => match target {
            MetricTarget::Utilization(_) => {
                format!(
                    "{} resource utilization (percentage of request)",
                    name.as_str()
                )
            }
            _ => format!("{} resource", name.as_str()),
        },
        MetricSpec::ContainerResource { name, target, .. } => match target {
            MetricTarget::Utilization(_) => format!(
                "{} container resource utilization (percentage of request)",
                name.as_str()
            ),
            _ => format!("{} container resource", name.as_str()),
        },
        MetricSpec::Pods { metric, .. } => format!("pods metric {metric}"),
        MetricSpec::Object { metric, .. } => {
            format!("{} metric {metric}", object_kind.unwrap_or("object"))
        }
        MetricSpec::External { metric, .. } => format!("external metric {metric}"),
        MetricSpec::Unknown { kind } => format!("{kind} metric"),
    }
}

impl PodScaler {
    /// Evaluates every schedule at `now_ms` and decides the executor's write from
    /// `current_replicas`, on a copy of the state [ScaleExecutor.RequestScale].
    ///
    /// # Errors
    ///
    /// A schedule that cannot be evaluated (its zone, which was checked, cannot fail here).
    pub fn schedule_step(
        &self,
        config: &ScalerConfig<'_>,
        state: &ScalerState,
        current_replicas: i32,
        now_ms: i64,
    ) -> Result<ScheduleStep, String> {
        let mut activities = Vec::with_capacity(config.schedules.len());
        for (index, trigger) in config.schedules.iter().enumerate() {
            let activity = trigger
                .evaluate(now_ms)
                .map_err(|e| format!("spec.schedules[{index}]: {e}"))?;
            activities.push(activity);
        }
        if config.scaled_object.is_none() {
            return Ok(ScheduleStep {
                activities,
                action: None,
            });
        }
        let mut trial = state.scaled_object.clone();
        let decision = self.execute(
            config,
            &activities,
            &mut trial,
            current_replicas,
            now_ms,
            true,
        )?;
        Ok(ScheduleStep {
            activities,
            action: decision.action,
        })
    }

    /// Records the schedules' step in `state`, with whether its write succeeded.
    ///
    /// # Errors
    ///
    /// As [`Self::schedule_step`].
    pub fn commit_schedule_step(
        &self,
        config: &ScalerConfig<'_>,
        state: &mut ScalerState,
        step: &ScheduleStep,
        written: bool,
        current_replicas: i32,
        now_ms: i64,
    ) -> Result<Option<ExecutorDecision>, String> {
        if config.scaled_object.is_none() {
            return Ok(None);
        }
        let mut next = state.scaled_object.clone();
        let decision = self.execute(
            config,
            &step.activities,
            &mut next,
            current_replicas,
            now_ms,
            written,
        )?;
        state.scaled_object = next;
        Ok(Some(decision))
    }

    fn execute(
        &self,
        config: &ScalerConfig<'_>,
        activities: &[CronActivity],
        scaled_object_state: &mut podscale::keda::ScaledObjectState,
        current_replicas: i32,
        now_ms: i64,
        written: bool,
    ) -> Result<ExecutorDecision, String> {
        let Some(scaled_object) = &config.scaled_object else {
            return Err("no schedules".to_owned());
        };
        let observations: Vec<TriggerObservation> = activities
            .iter()
            .map(|a| TriggerObservation {
                active: a.active,
                metric: a.metric_value,
                error: false,
            })
            .collect();
        let activity =
            scaled_object_activity(scaled_object, &observations).map_err(|e| e.to_string())?;
        Ok(request_scale_with(
            scaled_object,
            scaled_object_state,
            activity,
            current_replicas,
            now_ms,
            |_| written,
        ))
    }

    /// Decides the HPA's step on `state.hpa`, up to the scale write [reconcileAutoscaler].
    ///
    /// # Errors
    ///
    /// Readings that do not match the spec, or a full history; `state` is then unchanged.
    pub fn horizontal_step(
        &self,
        config: &ScalerConfig<'_>,
        controller: &ControllerConfig,
        state: &mut ScalerState,
        cluster: ClusterView<'_>,
        now_ms: i64,
    ) -> Result<HorizontalOutcome, HpaError> {
        let ClusterView {
            scale,
            pods,
            readings,
        } = cluster;
        let views = CoreViews::new(pods, readings);
        let containers = core_containers(pods, &views);
        let core_pod_list = core_pods(pods, &views, &containers);
        let usage = core_container_usage(readings, &views);
        let pod_metrics = core_pod_metrics(readings, &usage);
        let data = core_metric_data(readings, &views, &pod_metrics);
        let observation = Observation {
            spec_replicas: scale.spec_replicas,
            status_replicas: scale.status_replicas,
            selector: scale.selector,
            pods: &core_pod_list,
            metrics: &data,
        };
        let decision = decide(
            &config.hpa,
            controller,
            &mut state.hpa,
            &observation,
            now_ms,
        )?;
        let describe = |index: usize| {
            config
                .hpa
                .metrics
                .get(index)
                .map(|m| self.describe_metric(m, index))
                .unwrap_or_default()
        };
        let reason = decision.reason.map(|r| match r {
            RescaleReason::AboveMaxReplicas => {
                "Current number of replicas above Spec.MaxReplicas".to_owned()
            }
            RescaleReason::BelowMinReplicas => {
                "Current number of replicas below Spec.MinReplicas".to_owned()
            }
            RescaleReason::MetricAboveTarget(index) => format!("{} above target", describe(index)),
            RescaleReason::AllMetricsBelowTarget => "All metrics below target".to_owned(),
        });
        let metrics = decision
            .metrics
            .iter()
            .map(|m| match m {
                Ok(p) => Ok(MetricValueReport {
                    replicas: p.replicas,
                    average_utilization: p.current.average_utilization,
                    average_value_milli: p.current.average_value_milli,
                    value_milli: p.current.value_milli,
                }),
                Err(e) => Err(e.to_string()),
            })
            .collect();
        Ok(HorizontalOutcome {
            current_replicas: decision.current_replicas,
            desired_replicas: decision.desired_replicas,
            rescale: decision.rescale,
            reason,
            metrics,
        })
    }

    /// Records the HPA's step in `state`, with whether its scale write succeeded.
    ///
    /// # Errors
    ///
    /// A full scale-event list (only if the state changed since the decision).
    pub fn complete_horizontal(
        &self,
        config: &ScalerConfig<'_>,
        controller: &ControllerConfig,
        state: &mut ScalerState,
        outcome: &HorizontalOutcome,
        written: bool,
        now_ms: i64,
    ) -> Result<(), HpaError> {
        let decision = Decision {
            current_replicas: outcome.current_replicas,
            desired_replicas: outcome.desired_replicas,
            rescale: outcome.rescale,
            reason: None,
            metrics: heapless::Vec::new(),
            metric_replicas: None,
        };
        state
            .hpa
            .complete_rescale(&config.hpa, controller, &decision, written, now_ms)
    }

    /// How the HPA words the metric at `index` of the core's spec: one of `spec.metrics`, or a
    /// schedule after them.
    pub fn describe_metric(&self, metric: &MetricSpec<'_>, index: usize) -> String {
        let user_metrics = self.spec.metrics.len();
        if let Some(schedule_index) = index.checked_sub(user_metrics) {
            if let Some(s) = self.spec.schedules.get(schedule_index) {
                return format!(
                    "schedule {schedule_index} ({} to {} in {})",
                    s.start, s.end, s.timezone
                );
            }
        }
        let kind = self
            .spec
            .metrics
            .get(index)
            .and_then(|m| m.object.as_ref())
            .map(|o| o.described_object.kind.as_str());
        metric_description(metric, kind)
    }
}

/// The executor's write as the event on the target says it.
pub fn schedule_action_reason(action: &ScaleAction) -> &'static str {
    match action.kind {
        ScaleActionKind::Activate => "a schedule is active",
        ScaleActionKind::Deactivate => "no schedule active for the cooldown period",
        ScaleActionKind::ToMin => "Current number of replicas below Spec.MinReplicas",
    }
}
