//! Replaying an HPA over series: at each instant, identical Running and Ready pods of the pod
//! template use what the series says, and the HPA syncs as the controller would.

use podscale::hpa::{self as core, MetricData, MetricSpec, ResourceAmount, ResourceName};
use serde::Serialize;

use super::{Decision, HorizontalPodAutoscaler, HpaState, explain};
use crate::error::{Error, Result};

/// What the pods use at each step, in milli-units of the metrics' resource (millicores for
/// `cpu`, milli-bytes for `memory`); `NaN` is a missing sample. Object and External metrics read
/// the step's value itself (the total, for `Total` and `PerPod`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Usage<'a> {
    /// Each pod uses the step's value.
    Average(&'a [f64]),
    /// The step's value is shared evenly by the pods of that step.
    Total(&'a [f64]),
    /// Row-major `steps × columns`: pod `j` uses column `j` (pods beyond the columns have no
    /// sample).
    PerPod {
        /// The values.
        values: &'a [f64],
        /// Columns per step.
        columns: usize,
    },
}

/// A replay's input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayInput<'a> {
    /// The sync instants, Unix milliseconds, non-decreasing.
    pub times: &'a [i64],
    /// What the pods use.
    pub usage: Usage<'a>,
    /// The replica count at each step, as recorded (open loop: what would the HPA have decided
    /// then). Without it, each step starts from the previous step's decision (closed loop, pods
    /// ready at once).
    pub replicas: Option<&'a [i64]>,
    /// The replica count before the first step, closed loop (default: `minReplicas`).
    pub initial_replicas: Option<i32>,
}

/// The `ScalingLimited` and `ScalingActive` reasons of [`ReplayColumns`], by code.
pub const REASONS: &[&str] = &[
    "",
    "DesiredWithinRange",
    "TooFewReplicas",
    "TooManyReplicas",
    "ScaleUpLimit",
    "ScaleDownLimit",
    "ValidMetricFound",
    "ScalingDisabled",
    "InvalidSelector",
    "AmbiguousSelector",
    "FailedGetResourceMetric",
    "FailedGetContainerResourceMetric",
    "FailedGetPodsMetric",
    "FailedGetObjectMetric",
    "FailedGetExternalMetric",
    "InvalidMetricSourceType",
    "ScaleDownStabilized",
    "ScaleUpStabilized",
    "ReadyForNewScale",
    "SucceededRescale",
];

fn reason_code(reason: Option<core::ConditionReason>) -> u8 {
    let text = reason.map_or("", core::ConditionReason::as_str);
    REASONS
        .iter()
        .position(|r| *r == text)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(0)
}

/// One replay, a column per field, a row per step.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayColumns {
    /// The step's instant.
    pub time: Vec<i64>,
    /// Replicas when the step began.
    pub replicas: Vec<i32>,
    /// Replicas decided.
    pub desired_replicas: Vec<i32>,
    /// The metrics' largest proposal (`-1`: none).
    pub metric_replicas: Vec<i32>,
    /// Whether the scale was written.
    pub rescale: Vec<bool>,
    /// The first metric's average utilization, percent (`-1`: none).
    pub utilization: Vec<i32>,
    /// `ScalingLimited` is True.
    pub scaling_limited: Vec<bool>,
    /// `ScalingLimited`'s reason, a code into [`REASONS`].
    pub scaling_limited_reason: Vec<u8>,
    /// `ScalingActive`'s reason, a code into [`REASONS`].
    pub scaling_active_reason: Vec<u8>,
    /// `AbleToScale`'s reason, a code into [`REASONS`].
    pub able_to_scale_reason: Vec<u8>,
}

/// The per-step summary a replay records.
struct Summary {
    desired: i32,
    rescale: bool,
    metric_replicas: Option<i32>,
    utilization: Option<i32>,
}

/// An empty `Vec` of one element type as an empty `Vec` of another of the same layout, keeping
/// its allocation (the standard library collects in place when layouts match). Lets a step's
/// buffers, whose borrowed lifetimes differ from step to step, reuse one allocation.
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// The containers of the replayed pods: the template's, or one without requests.
pub(crate) fn template_containers(hpa: &HorizontalPodAutoscaler) -> Vec<core::Container<'_>> {
    if hpa.template.is_empty() {
        vec![core::Container::new(DEFAULT_CONTAINER, &[])]
    } else {
        hpa.template
            .iter()
            .map(|c| core::Container::new(&c.name, &c.requests))
            .collect()
    }
}

/// Builds each step's observation from the template and the series. The pods are built once
/// (they are the same at every step); the step's samples reuse the buffers of the step before.
pub(crate) struct Runner<'h, 'c> {
    usage: Usage<'h>,
    names: &'h [String],
    containers: &'c [core::Container<'h>],
    pods: Vec<core::Pod<'c>>,
    resource: ResourceName<'h>,
    usage_container: &'h str,
    window_ms: i64,
    samples: Vec<core::PodResourceMetrics<'static>>,
    pod_values: Vec<core::PodMetricSample<'static>>,
    per_pod: Vec<Option<i64>>,
}

const DEFAULT_CONTAINER: &str = "app";

impl<'h, 'c> Runner<'h, 'c> {
    pub(crate) fn new(
        hpa: &'h HorizontalPodAutoscaler,
        containers: &'c [core::Container<'h>],
        usage: Usage<'h>,
        steps: usize,
    ) -> Result<Self> {
        let check = |len: usize, what: &str| {
            if len == steps || steps == 0 {
                Ok(())
            } else {
                Err(Error::validation(
                    what,
                    format!("{len} values for {steps} times"),
                ))
            }
        };
        match usage {
            Usage::Average(v) | Usage::Total(v) => check(v.len(), "usage")?,
            Usage::PerPod { values, columns } => {
                if columns == 0 || values.len() % columns != 0 {
                    return Err(Error::validation(
                        "usage",
                        "per-pod usage needs at least one column",
                    ));
                }
                check(values.len() / columns, "usage")?;
            }
        }
        let mut resource: Option<ResourceName<'h>> = None;
        let mut usage_container: Option<&'h str> = None;
        for (index, m) in hpa.spec.metrics.iter().enumerate() {
            let name = match m.kind {
                super::spec::MetricKind::Resource => Some(ResourceName::from(m.name.as_str())),
                super::spec::MetricKind::ContainerResource => {
                    usage_container = Some(&m.container);
                    Some(ResourceName::from(m.name.as_str()))
                }
                _ => None,
            };
            if let (Some(name), Some(first)) = (name, resource) {
                if name != first {
                    return Err(Error::validation(
                        format!("spec.metrics[{index}]"),
                        "a replay feeds one usage series: every Resource metric must name the same resource",
                    ));
                }
            }
            resource = resource.or(name);
        }
        let usage_container = usage_container
            .or_else(|| hpa.template.first().map(|c| c.name.as_str()))
            .unwrap_or(DEFAULT_CONTAINER);
        Ok(Self {
            usage,
            names: &hpa.pod_names,
            containers,
            pods: Vec::new(),
            resource: resource.unwrap_or(ResourceName::Cpu),
            usage_container,
            window_ms: 30_000,
            samples: Vec::new(),
            pod_values: Vec::new(),
            per_pod: Vec::new(),
        })
    }

    /// A per-step amount in the core's integer milli-units (`None`: no sample).
    fn milli(x: f64, index: usize) -> Result<Option<i64>> {
        if x.is_nan() {
            Ok(None)
        } else if x.is_finite() && (0.0..9.0e18).contains(&x) {
            // Finite, non-negative and inside i64: the cast after rounding is exact.
            Ok(Some(x.round() as i64))
        } else {
            Err(Error::validation(
                format!("usage[{index}]"),
                "not a finite, non-negative amount",
            )
            .with_value(x))
        }
    }

    /// One sync of `replicas` pods at `now_ms`, step `index` of the series; with `explained`,
    /// the full answer too.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        spec: &core::HpaSpec<'_>,
        config: &core::ControllerConfig,
        state: &mut HpaState,
        index: usize,
        replicas: i32,
        now_ms: i64,
        explained: bool,
    ) -> Result<(Summary, Option<Decision>)> {
        let count = usize::try_from(replicas.max(0)).unwrap_or(0);
        if count > self.names.len() {
            return Err(Error::validation(
                format!("replicas[{index}]"),
                format!("more pods than a replay holds ({})", self.names.len()),
            )
            .with_value(replicas));
        }
        while self.pods.len() < count {
            let name = self.names.get(self.pods.len()).map_or("", String::as_str);
            self.pods
                .push(core::Pod::running_ready(name, self.containers));
        }
        let pods = self.pods.get(..count).unwrap_or(&[]);
        // What each pod uses: one value for all (Average, Total), or a column each (PerPod).
        let (uniform, value) = match self.usage {
            Usage::Average(v) => {
                let x = v.get(index).copied().unwrap_or(f64::NAN);
                (Some(Self::milli(x, index)?), Self::milli(x, index)?)
            }
            Usage::Total(v) => {
                let total = v.get(index).copied().unwrap_or(f64::NAN);
                let share = if count == 0 {
                    f64::NAN
                } else {
                    total / count as f64
                };
                (Some(Self::milli(share, index)?), Self::milli(total, index)?)
            }
            Usage::PerPod { values, columns } => {
                let row = values
                    .get(index * columns..(index + 1) * columns)
                    .unwrap_or(&[]);
                self.per_pod.clear();
                for pod in 0..count {
                    let x = row.get(pod).copied().unwrap_or(f64::NAN);
                    self.per_pod.push(Self::milli(x, index)?);
                }
                let total: f64 = row.iter().take(count).filter(|x| !x.is_nan()).sum();
                (None, Self::milli(total, index)?)
            }
        };
        if let Some(each) = uniform {
            return self.run_uniform(
                spec,
                config,
                state,
                (index, now_ms, replicas),
                count,
                each,
                value,
                explained,
            );
        }
        // From here on, a column each (PerPod).
        let amounts: Vec<[ResourceAmount<'_>; 1]> = self
            .per_pod
            .iter()
            .map(|u| {
                [ResourceAmount {
                    resource: self.resource,
                    milli: u.unwrap_or(0),
                }]
            })
            .collect();
        let usages: Vec<[core::ContainerUsage<'_>; 1]> = amounts
            .iter()
            .map(|a| [core::ContainerUsage::new(self.usage_container, a)])
            .collect();
        let mut samples: Vec<core::PodResourceMetrics<'_>> =
            recycle(std::mem::take(&mut self.samples));
        let mut pod_values: Vec<core::PodMetricSample<'_>> =
            recycle(std::mem::take(&mut self.pod_values));
        // Only the samples some metric reads.
        let wants_samples = spec.metrics.iter().any(|m| {
            matches!(
                m,
                MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. }
            )
        });
        let wants_values = spec
            .metrics
            .iter()
            .any(|m| matches!(m, MetricSpec::Pods { .. }));
        for ((pod, amount), containers) in pods
            .iter()
            .zip(&self.per_pod)
            .zip(&usages)
            .filter(|_| wants_samples || wants_values)
        {
            if let Some(v) = *amount {
                if wants_samples {
                    samples.push(core::PodResourceMetrics::new(
                        pod.name,
                        now_ms,
                        self.window_ms,
                        containers,
                    ));
                }
                if wants_values {
                    pod_values.push(core::PodMetricSample {
                        pod: pod.name,
                        value_milli: v,
                        timestamp_ms: now_ms,
                        window_ms: self.window_ms,
                    });
                }
            }
        }
        let external = [value.unwrap_or(0)];
        let mut data: heapless::Vec<MetricData<'_>, { core::MAX_METRICS }> = heapless::Vec::new();
        for m in &spec.metrics {
            let d = match (m, value) {
                (_, None) | (MetricSpec::Unknown { .. }, _) => MetricData::Unavailable,
                (MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. }, _) => {
                    MetricData::Resource(&samples)
                }
                (MetricSpec::Pods { .. }, _) => MetricData::Pods(&pod_values),
                (MetricSpec::Object { .. }, Some(v)) => MetricData::Object(v),
                (MetricSpec::External { .. }, Some(_)) => MetricData::External(&external),
            };
            // The spec holds at most MAX_METRICS metrics.
            let _ = data.push(d);
        }
        let observation = core::Observation::new(replicas, replicas, pods, &data);
        let decision = core::sync(spec, config, state, &observation, now_ms)
            .map_err(|e| Error::refused(format!("step {index}: {e}")))?;
        let (summary, answer) = summarize(spec, &decision, state, explained);
        drop(decision);
        drop(data);
        self.samples = recycle(samples);
        self.pod_values = recycle(pod_values);
        Ok((summary, answer))
    }

    /// [`Self::run`] when every pod uses the same amount (`each`; `value` is the step's own
    /// value): the pods reach the core as one cohort ([`core::sync_cohorts`], the same rules as
    /// [`core::sync`] on the pods one by one), so a step costs the same for 1 pod or 1,000.
    #[allow(clippy::too_many_arguments)]
    fn run_uniform(
        &self,
        spec: &core::HpaSpec<'_>,
        config: &core::ControllerConfig,
        state: &mut HpaState,
        (index, now_ms, replicas): (usize, i64, i32),
        count: usize,
        each: Option<i64>,
        value: Option<i64>,
        explained: bool,
    ) -> Result<(Summary, Option<Decision>)> {
        let name = self.names.first().map_or("", String::as_str);
        let cohorts = [core::PodCohort {
            pod: core::Pod::running_ready(name, self.containers),
            count: u32::try_from(count).unwrap_or(u32::MAX),
        }];
        let timing = core::SampleTiming {
            timestamp_ms: now_ms,
            window_ms: self.window_ms,
        };
        // `count` pods each sampled at `each`: their sum, as the per-pod path adds them up.
        let samples = [each.map(|each| core::CohortSample {
            timing,
            sum_milli: i128::from(each).saturating_mul(count as i128),
        })];
        // No pods: no cohort and no samples, as the per-pod path sees none.
        let present = usize::from(count > 0);
        let cohorts = cohorts.get(..present).unwrap_or(&[]);
        let samples = samples.get(..present).unwrap_or(&[]);
        let external = [value.unwrap_or(0)];
        let mut data: heapless::Vec<core::CohortMetricData<'_>, { core::MAX_METRICS }> =
            heapless::Vec::new();
        for m in &spec.metrics {
            let d = match (m, value) {
                (_, None) | (MetricSpec::Unknown { .. }, _) => core::CohortMetricData::Unavailable,
                (MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. }, _) => {
                    core::CohortMetricData::Resource(samples)
                }
                (MetricSpec::Pods { .. }, _) => core::CohortMetricData::Pods(samples),
                (MetricSpec::Object { .. }, Some(v)) => core::CohortMetricData::Object(v),
                (MetricSpec::External { .. }, Some(_)) => {
                    core::CohortMetricData::External(&external)
                }
            };
            // The spec holds at most MAX_METRICS metrics.
            let _ = data.push(d);
        }
        let observation = core::CohortObservation::new(replicas, replicas, cohorts, &data);
        let decision = core::sync_cohorts(spec, config, state, &observation, now_ms)
            .map_err(|e| Error::refused(format!("step {index}: {e}")))?;
        Ok(summarize(spec, &decision, state, explained))
    }

    pub(crate) fn step(
        &mut self,
        spec: &core::HpaSpec<'_>,
        config: &core::ControllerConfig,
        state: &mut HpaState,
        index: usize,
        replicas: i32,
        now_ms: i64,
    ) -> Result<Decision> {
        let (_, answer) = self.run(spec, config, state, index, replicas, now_ms, true)?;
        answer.ok_or_else(|| Error::internal("no decision"))
    }
}

/// A step's summary, and with `explained` the full answer, from the core's decision.
fn summarize(
    spec: &core::HpaSpec<'_>,
    decision: &core::Decision<'_>,
    state: &HpaState,
    explained: bool,
) -> (Summary, Option<Decision>) {
    let summary = Summary {
        desired: decision.desired_replicas,
        rescale: decision.rescale,
        metric_replicas: decision.metric_replicas,
        utilization: decision
            .metrics
            .first()
            .and_then(|m| m.as_ref().ok())
            .and_then(|p| p.current.average_utilization),
    };
    (summary, explained.then(|| explain(spec, decision, state)))
}

impl HorizontalPodAutoscaler {
    /// Replays the HPA over `input`, syncing at each instant with `state` (which carries on
    /// from any earlier sync, and is left as after the last step).
    ///
    /// ```
    /// use podscale_bindings::decode::from_json;
    /// use podscale_bindings::hpa::{HorizontalPodAutoscaler, HpaState, ReplayInput, Usage};
    /// let hpa = HorizontalPodAutoscaler::new(
    ///     from_json(r#"{"scaleTargetRef": {"name": "web"}, "maxReplicas": 10,
    ///                   "metrics": [{"type": "Resource", "resource": {"name": "cpu",
    ///                       "target": {"type": "Utilization", "averageUtilization": 50}}}]}"#)?,
    ///     from_json(r#"{"podTemplate": {"spec": {"containers": [
    ///                   {"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}}}"#)?,
    /// )?;
    /// let times: Vec<i64> = (0..4).map(|i| i * 15_000).collect();
    /// let total = [400.0; 4]; // 400m shared by the pods
    /// let mut state = HpaState::new();
    /// let out = hpa.replay(&mut state, &ReplayInput {
    ///     times: &times, usage: Usage::Total(&total), replicas: None, initial_replicas: Some(1) })?;
    /// assert_eq!(out.desired_replicas, [4, 4, 4, 4]); // 200% of request on one pod: 4 pods
    /// # Ok::<(), podscale_bindings::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Series of different lengths, a negative or infinite amount (naming the step), more than
    /// one resource among the metrics, or a step the core refuses.
    pub fn replay(&self, state: &mut HpaState, input: &ReplayInput<'_>) -> Result<ReplayColumns> {
        let steps = input.times.len();
        if let Some(r) = input.replicas {
            if r.len() != steps {
                return Err(Error::validation(
                    "replicas",
                    format!("{} values for {steps} times", r.len()),
                ));
            }
        }
        let spec = self.spec.view();
        let containers = template_containers(self);
        let mut runner = Runner::new(self, &containers, input.usage, steps)?;
        let mut out = ReplayColumns {
            time: Vec::with_capacity(steps),
            replicas: Vec::with_capacity(steps),
            desired_replicas: Vec::with_capacity(steps),
            metric_replicas: Vec::with_capacity(steps),
            rescale: Vec::with_capacity(steps),
            utilization: Vec::with_capacity(steps),
            scaling_limited: Vec::with_capacity(steps),
            scaling_limited_reason: Vec::with_capacity(steps),
            scaling_active_reason: Vec::with_capacity(steps),
            able_to_scale_reason: Vec::with_capacity(steps),
        };
        let mut current = input
            .initial_replicas
            .unwrap_or_else(|| spec.min_replicas());
        let mut previous = i64::MIN;
        for (index, &now) in input.times.iter().enumerate() {
            if now < previous {
                return Err(Error::validation(
                    format!("times[{index}]"),
                    "earlier than the time before",
                )
                .with_value(now));
            }
            previous = now;
            if let Some(r) = input.replicas.and_then(|r| r.get(index)) {
                current = i32::try_from(*r).ok().filter(|r| *r >= 0).ok_or_else(|| {
                    Error::validation(format!("replicas[{index}]"), "not a replica count")
                        .with_value(r)
                })?;
            }
            let (summary, _) =
                runner.run(&spec, &self.config, state, index, current, now, false)?;
            let condition = |kind| state.conditions.get(kind);
            out.time.push(now);
            out.replicas.push(current);
            out.desired_replicas.push(summary.desired);
            out.metric_replicas
                .push(summary.metric_replicas.unwrap_or(-1));
            out.rescale.push(summary.rescale);
            out.utilization.push(summary.utilization.unwrap_or(-1));
            let limited = condition(core::ConditionType::ScalingLimited);
            out.scaling_limited
                .push(limited.is_some_and(|c| c.status == core::ConditionStatus::True));
            out.scaling_limited_reason
                .push(reason_code(limited.map(|c| c.reason)));
            out.scaling_active_reason.push(reason_code(
                condition(core::ConditionType::ScalingActive).map(|c| c.reason),
            ));
            out.able_to_scale_reason.push(reason_code(
                condition(core::ConditionType::AbleToScale).map(|c| c.reason),
            ));
            if summary.rescale {
                current = summary.desired;
            }
        }
        Ok(out)
    }
}
