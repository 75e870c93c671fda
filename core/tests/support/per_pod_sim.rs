//! The simulator before cohorts (podscale 0.1's `Simulation`, with every pod kept on its own),
//! kept as an independent reference: the same scenario must give the same timeline, pod for pod.
// Test support: the reference keeps the old code's shape.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_debug_implementations,
    unreachable_pub
)]

use core::fmt::Write as _;

use heapless::{String, Vec};

use podscale::hpa::{
    ConditionStatus, ConditionType, Container, ContainerUsage, HpaState, MAX_METRICS, MetricData,
    MetricSpec, Observation, Pod, PodPhase, PodResourceMetrics, ReadyCondition, ResourceAmount,
    ResourceName, sync,
};
use podscale::keda::{CronTrigger, ScaledObjectState, TriggerObservation, poll};
use podscale::sim::{
    DemandPoint, HpaStep, KedaStep, Load, MetricsPipeline, PodStage, PodView, Scenario, SimError,
    StepRecord, VpaStep,
};
use podscale::vpa::{
    AggregateContainerState, ContainerState, DecayingHistogram, RecommenderConfig, recommend_pod,
};

/// Points kept per pod: the window's scrapes and the one it starts from.
const POINTS: usize = podscale::sim::MAX_WINDOW_SCRAPES + 1;

fn window_scrapes(pipeline: &MetricsPipeline) -> i64 {
    pipeline
        .window_ms
        .checked_div(pipeline.resolution_ms)
        .unwrap_or(0)
}

/// Reads a step-shaped series at increasing instants.
#[derive(Debug, Clone, Copy, Default)]
struct SeriesCursor {
    passed: usize,
}

impl SeriesCursor {
    fn value_at(&mut self, points: &[DemandPoint], now_ms: i64) -> i64 {
        while points.get(self.passed).is_some_and(|p| p.from_ms <= now_ms) {
            self.passed = self.passed.saturating_add(1);
        }
        self.passed
            .checked_sub(1)
            .and_then(|i| points.get(i))
            .map_or(0, |p| p.value)
    }
}

/// One pod's CPU counter and the points the pipeline scraped from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UsageCounter {
    /// CPU used since the container started, millicore-milliseconds.
    cumulative: i64,
    /// The last scrapes' readings of `cumulative`, a ring indexed by scrape count.
    points: [i64; POINTS],
    /// How many scrapes read this counter.
    scrapes: usize,
    /// Usage over the window ending at the last scrape, millicores.
    sample_m: Option<i64>,
}

impl UsageCounter {
    /// A container that has not started.
    const fn new() -> Self {
        Self {
            cumulative: 0,
            points: [0; POINTS],
            scrapes: 0,
            sample_m: None,
        }
    }

    /// A container that has used `usage_m` steadily for at least a window before the first
    /// scrape, so the first scrape already reports it.
    fn steady(pipeline: &MetricsPipeline, usage_m: i64) -> Self {
        let mut counter = Self::new();
        let scrapes = usize::try_from(window_scrapes(pipeline)).unwrap_or(0);
        for _ in 0..scrapes {
            counter.scrape(pipeline);
            counter.accrue(usage_m, pipeline.resolution_ms);
        }
        counter
    }

    /// Adds `usage_m` held for `duration_ms`.
    fn accrue(&mut self, usage_m: i64, duration_ms: i64) {
        self.cumulative = self
            .cumulative
            .saturating_add(usage_m.saturating_mul(duration_ms));
    }

    /// Reads the counter and updates the sample.
    fn scrape(&mut self, pipeline: &MetricsPipeline) {
        let slot = |n: usize| n.checked_rem(POINTS).unwrap_or(0);
        if let Some(point) = self.points.get_mut(slot(self.scrapes)) {
            *point = self.cumulative;
        }
        let window = usize::try_from(window_scrapes(pipeline)).unwrap_or(0);
        self.sample_m = self
            .scrapes
            .checked_sub(window)
            .and_then(|start| self.points.get(slot(start)))
            .map(|start| {
                self.cumulative
                    .saturating_sub(*start)
                    .checked_div(pipeline.window_ms)
                    .unwrap_or(0)
            });
        self.scrapes = self.scrapes.saturating_add(1);
    }
}

/// The longest pod name: `pod-` and a 20-digit ordinal.
const NAME_CAPACITY: usize = 24;

/// How long before the start the initial pods were created: past the HPA's CPU
/// initialization period (5 min by default), so they are trusted from the first sync.
const INITIAL_POD_AGE_MS: i64 = 24 * 3_600_000;

/// One pod of the simulated workload.
#[derive(Debug, Clone)]
struct SimPod {
    name: String<NAME_CAPACITY>,
    created_ms: i64,
    /// CPU used during the current step, millicores.
    usage_m: i64,
    counter: UsageCounter,
    /// The VPA's per-container state (sample deduplication, memory peaks).
    vpa: ContainerState,
}

/// Where a pod is at an instant, from its creation time and the template's delays.
fn stage(created_ms: i64, startup_ms: i64, readiness_delay_ms: i64, now_ms: i64) -> PodStage {
    let running_ms = created_ms.saturating_add(startup_ms);
    if now_ms < running_ms {
        PodStage::Pending
    } else if now_ms < running_ms.saturating_add(readiness_delay_ms) {
        PodStage::Starting
    } else {
        PodStage::Ready
    }
}

/// The simulator as it was before cohorts: every pod on its own, with its own CPU counter and
/// VPA container state, and the HPA fed every pod. Kept to check the cohort simulator against.
#[derive(Debug, Clone)]
pub struct PerPodSimulation<'a, const P: usize = 128, const R: usize = 256, const E: usize = 128> {
    scenario: Scenario<'a>,
    /// The next step's instant; `None` once the end is passed.
    now_ms: Option<i64>,
    /// The last step's instant (the start before the first step).
    last_ms: i64,
    pods: Vec<SimPod, P>,
    /// The next pod's ordinal, for its name.
    next_ordinal: u64,
    /// The workload's `spec.replicas`.
    replicas: i32,
    demand: SeriesCursor,
    load: Load,
    cron_active: Option<bool>,
    hpa: HpaState<R, E>,
    keda: ScaledObjectState,
    vpa: Option<AggregateContainerState<DecayingHistogram>>,
    failed: bool,
}

impl<'a, const P: usize, const R: usize, const E: usize> PerPodSimulation<'a, P, R, E> {
    /// A simulation at the scenario's start, with its initial pods ready.
    ///
    /// # Errors
    ///
    /// As [`Scenario::validate`] with capacity `P`, and the VPA's histogram options.
    pub fn new(scenario: Scenario<'a>) -> Result<Self, SimError> {
        scenario.validate(P)?;
        let vpa = match &scenario.vpa {
            Some(setup) => Some(AggregateContainerState::with_vpa_histograms(
                setup.aggregation,
                scenario.start_ms,
            )?),
            None => None,
        };
        let mut sim = Self {
            scenario,
            now_ms: Some(scenario.start_ms),
            last_ms: scenario.start_ms,
            pods: Vec::new(),
            next_ordinal: 0,
            replicas: scenario.initial_replicas,
            demand: SeriesCursor::default(),
            load: Load::default(),
            cron_active: None,
            hpa: HpaState::new(),
            keda: ScaledObjectState::new(),
            vpa,
            failed: false,
        };
        let created_ms = scenario.start_ms.saturating_sub(INITIAL_POD_AGE_MS);
        sim.resize(created_ms)?;
        // The initial pods have served the starting demand for a while: the first scrape
        // already reports it.
        let start = scenario.start_ms;
        sim.spread_load(start);
        let pipeline = scenario.metrics;
        for pod in &mut sim.pods {
            pod.counter = UsageCounter::steady(&pipeline, pod.usage_m);
        }
        Ok(sim)
    }

    /// The scenario being run.
    pub const fn scenario(&self) -> &Scenario<'a> {
        &self.scenario
    }

    /// The HPA's state after the last step.
    pub const fn hpa_state(&self) -> &HpaState<R, E> {
        &self.hpa
    }

    /// KEDA's state after the last step.
    pub const fn keda_state(&self) -> &ScaledObjectState {
        &self.keda
    }

    /// The VPA's aggregate of the container after the last step.
    pub const fn vpa_aggregate(&self) -> Option<&AggregateContainerState<DecayingHistogram>> {
        self.vpa.as_ref()
    }

    /// The pods during the last step, oldest first.
    pub fn pods(&self) -> impl Iterator<Item = PodView<'_>> + '_ {
        let template = self.scenario.pod;
        let now = self.last_ms;
        self.pods.iter().map(move |pod| PodView {
            name: &pod.name,
            created_ms: pod.created_ms,
            stage: stage(
                pod.created_ms,
                template.startup_ms,
                template.readiness_delay_ms,
                now,
            ),
            usage_m: pod.usage_m,
            utilization_percent: percent(pod.usage_m, template.cpu_request_m),
            metrics_m: pod.counter.sample_m,
        })
    }

    /// Runs the next step, or returns `None` after the last one.
    ///
    /// # Errors
    ///
    /// An autoscaler refused its inputs (see [`SimError`]), or a scale write asked for more
    /// than `P` pods. The simulation stops there: later calls return `None`.
    pub fn step(&mut self) -> Result<Option<StepRecord>, SimError> {
        let Some(now) = self.now_ms.filter(|_| !self.failed) else {
            return Ok(None);
        };
        match self.advance(now) {
            Ok(record) => {
                self.last_ms = now;
                self.now_ms = now
                    .checked_add(self.scenario.step_ms)
                    .filter(|next| *next <= self.scenario.end_ms);
                Ok(Some(record))
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// Runs steps into `records` until it is full or the scenario ends, and returns how many
    /// were written.
    ///
    /// # Errors
    ///
    /// As [`step`](Self::step); the records before the error are written.
    pub fn run_into(&mut self, records: &mut [StepRecord]) -> Result<usize, SimError> {
        let mut written: usize = 0;
        for slot in records.iter_mut() {
            match self.step()? {
                Some(record) => *slot = record,
                None => break,
            }
            written = written.saturating_add(1);
        }
        Ok(written)
    }

    fn is_due(&self, period_ms: i64, now_ms: i64) -> bool {
        now_ms
            .saturating_sub(self.scenario.start_ms)
            .checked_rem(period_ms)
            == Some(0)
    }

    fn advance(&mut self, now: i64) -> Result<StepRecord, SimError> {
        let scenario = self.scenario;
        let mut record = StepRecord {
            time_ms: now,
            spec_replicas: 0,
            ready_replicas: 0,
            offered_m: 0,
            served_m: 0,
            throughput_milli_rps: None,
            usage_m: 0,
            ready_utilization_percent: None,
            hpa: None,
            keda: None,
            cron_active: None,
            vpa: None,
        };
        if self.is_due(scenario.metrics.resolution_ms, now) {
            for pod in &mut self.pods {
                if stage(
                    pod.created_ms,
                    scenario.pod.startup_ms,
                    scenario.pod.readiness_delay_ms,
                    now,
                ) != PodStage::Pending
                {
                    pod.counter.scrape(&scenario.metrics);
                }
            }
        }
        if let Some(setup) = scenario.vpa {
            if self.is_due(setup.sample_interval_ms, now) {
                record.vpa = self.sample_vpa(&setup.recommender, now)?;
            }
        }
        if let Some(keda) = scenario.keda {
            if self.is_due(keda.scaled_object.polling_interval_ms(), now) {
                let mut observations: Vec<TriggerObservation, { podscale::keda::MAX_TRIGGERS }> =
                    Vec::new();
                let mut any_active = false;
                let trigger_count = SimError::TriggerCount {
                    scaled_object: keda.scaled_object.triggers.len(),
                    cron_triggers: keda.triggers.len(),
                };
                for (index, trigger) in keda.triggers.iter().enumerate() {
                    let activity = trigger
                        .evaluate(now)
                        .map_err(|_| SimError::CronZone { trigger: index })?;
                    any_active |= activity.active;
                    let observation = TriggerObservation {
                        active: activity.active,
                        metric: activity.metric_value,
                        error: false,
                    };
                    observations.push(observation).map_err(|_| trigger_count)?;
                }
                self.cron_active = Some(any_active);
                let decision = poll(
                    keda.scaled_object,
                    &mut self.keda,
                    &observations,
                    self.replicas,
                    now,
                )
                .map_err(|_| trigger_count)?;
                if let Some(action) = decision.action.filter(|a| a.written) {
                    self.replicas = action.scale_to;
                }
                record.keda = Some(KedaStep {
                    active: any_active,
                    action: decision.action,
                });
            }
        }
        if let Some(hpa) = scenario.hpa {
            if self.is_due(hpa.sync_period_ms, now) {
                let outcome = self.sync_hpa(now)?;
                if outcome.rescale {
                    self.replicas = outcome.desired_replicas;
                }
                record.hpa = Some(outcome);
            }
        }
        self.resize(now)?;
        self.spread_load(now);
        let mut ready: i64 = 0;
        let mut usage: i64 = 0;
        let mut ready_usage: i64 = 0;
        for pod in &mut self.pods {
            let stage = stage(
                pod.created_ms,
                scenario.pod.startup_ms,
                scenario.pod.readiness_delay_ms,
                now,
            );
            if stage == PodStage::Ready {
                ready = ready.saturating_add(1);
                ready_usage = ready_usage.saturating_add(pod.usage_m);
            }
            usage = usage.saturating_add(pod.usage_m);
            pod.counter.accrue(pod.usage_m, scenario.step_ms);
        }
        record.spec_replicas = self.replicas;
        record.ready_replicas = i32::try_from(ready).unwrap_or(i32::MAX);
        record.offered_m = self.load.offered_m;
        record.served_m = self.load.served_m;
        record.throughput_milli_rps = self.load.throughput_milli_rps;
        record.usage_m = usage;
        record.ready_utilization_percent = (ready > 0).then(|| {
            percent(
                ready_usage,
                scenario.pod.cpu_request_m.saturating_mul(ready),
            )
        });
        record.cron_active = self.cron_active;
        Ok(record)
    }

    /// Creates or deletes pods to match `replicas`: new pods are created at `now_ms`, and
    /// the newest go first (the least ready, as the ReplicaSet ranks them, since every pod
    /// follows the same template).
    fn resize(&mut self, now_ms: i64) -> Result<(), SimError> {
        let target = usize::try_from(self.replicas).unwrap_or(0);
        if target > P {
            return Err(SimError::PodCapacity {
                replicas: self.replicas,
                capacity: P,
            });
        }
        self.pods.truncate(target);
        while self.pods.len() < target {
            let mut name = String::new();
            // 4 + 20 digits always fit.
            let _ = write!(name, "pod-{}", self.next_ordinal);
            self.next_ordinal = self.next_ordinal.saturating_add(1);
            let pod = SimPod {
                name,
                created_ms: now_ms,
                usage_m: 0,
                counter: UsageCounter::new(),
                vpa: ContainerState::new(),
            };
            if self.pods.push(pod).is_err() {
                break;
            }
        }
        Ok(())
    }

    /// Spreads the demand at `now_ms` evenly over the ready pods, each capped at its limit;
    /// starting pods idle, pending ones use nothing.
    fn spread_load(&mut self, now_ms: i64) {
        let template = self.scenario.pod;
        let is_at = |pod: &SimPod, wanted| {
            stage(
                pod.created_ms,
                template.startup_ms,
                template.readiness_delay_ms,
                now_ms,
            ) == wanted
        };
        let ready = self
            .pods
            .iter()
            .filter(|p| is_at(p, PodStage::Ready))
            .count();
        let ready = i64::try_from(ready).unwrap_or(i64::MAX);
        let capacity = template.capacity_m();
        let value = self.demand.value_at(self.scenario.demand.series(), now_ms);
        self.load = self.scenario.demand.load(value, ready, capacity);
        // The millicores that do not divide evenly go one each to the oldest ready pods, so
        // the pods serve exactly what was served.
        let share = self.load.served_m.checked_div(ready).unwrap_or(0);
        let mut remainder = self.load.served_m.checked_rem(ready).unwrap_or(0);
        let idle = template.idle_cpu_m.min(capacity);
        for pod in &mut self.pods {
            pod.usage_m = match stage(
                pod.created_ms,
                template.startup_ms,
                template.readiness_delay_ms,
                now_ms,
            ) {
                PodStage::Pending => 0,
                PodStage::Starting => idle,
                PodStage::Ready => {
                    let extra = i64::from(remainder > 0);
                    remainder = remainder.saturating_sub(extra);
                    share.saturating_add(extra).max(idle).min(capacity)
                }
            };
        }
    }

    /// One HPA sync on what the pods and the metrics pipeline show at `now_ms`.
    fn sync_hpa(&mut self, now_ms: i64) -> Result<HpaStep, SimError> {
        let Some(setup) = self.scenario.hpa else {
            return Err(SimError::InvalidField {
                field: "hpa",
                value: 0,
            });
        };
        let template = self.scenario.pod;
        let requests = [ResourceAmount::cpu(template.cpu_request_m)];
        let containers = [Container::new(template.container, &requests)];
        let window_ms = self.scenario.metrics.window_ms;
        let last_scrape_ms = now_ms.saturating_sub(
            now_ms
                .saturating_sub(self.scenario.start_ms)
                .checked_rem(self.scenario.metrics.resolution_ms)
                .unwrap_or(0),
        );

        let mut pods: Vec<Pod<'_>, P> = Vec::new();
        let mut usage: Vec<[ResourceAmount<'_>; 1], P> = Vec::new();
        for pod in &self.pods {
            let ready_ms = pod
                .created_ms
                .saturating_add(template.startup_ms)
                .saturating_add(template.readiness_delay_ms);
            let stage = stage(
                pod.created_ms,
                template.startup_ms,
                template.readiness_delay_ms,
                now_ms,
            );
            let (phase, ready) = match stage {
                PodStage::Pending => (PodPhase::Pending, (ConditionStatus::False, pod.created_ms)),
                PodStage::Starting => (PodPhase::Running, (ConditionStatus::False, pod.created_ms)),
                PodStage::Ready => (PodPhase::Running, (ConditionStatus::True, ready_ms)),
            };
            let view = Pod {
                name: &pod.name,
                phase,
                deleting: false,
                start_time_ms: Some(pod.created_ms),
                ready: Some(ReadyCondition {
                    status: ready.0,
                    last_transition_time_ms: ready.1,
                }),
                containers: &containers,
                pod_requests: None,
                overhead: None,
            };
            // Capacity P holds every pod.
            let _ = pods.push(view);
            let _ = usage.push([ResourceAmount::cpu(pod.counter.sample_m.unwrap_or(0))]);
        }
        let mut per_container: Vec<[ContainerUsage<'_>; 1], P> = Vec::new();
        for amounts in &usage {
            let _ = per_container.push([ContainerUsage::new(template.container, amounts)]);
        }
        let mut samples: Vec<PodResourceMetrics<'_>, P> = Vec::new();
        for ((pod, containers), view) in self.pods.iter().zip(&per_container).zip(&pods) {
            if pod.counter.sample_m.is_some() && view.phase == PodPhase::Running {
                let _ = samples.push(PodResourceMetrics::new(
                    &pod.name,
                    last_scrape_ms,
                    window_ms,
                    containers,
                ));
            }
        }

        // External metrics: each cron trigger's value, evaluated now as KEDA's metrics adapter
        // does on the HPA's query.
        let mut external = [[0_i64; 1]; MAX_METRICS];
        let triggers: &[CronTrigger<'a>] = self.scenario.keda.map_or(&[], |k| k.triggers);
        for (index, (metric, value)) in setup.spec.metrics.iter().zip(&mut external).enumerate() {
            match metric {
                MetricSpec::Resource {
                    name: ResourceName::Cpu,
                    ..
                } => {}
                MetricSpec::ContainerResource {
                    name: ResourceName::Cpu,
                    container,
                    ..
                } if *container == template.container => {}
                MetricSpec::External { metric, .. } => {
                    let (position, trigger) = triggers
                        .iter()
                        .enumerate()
                        .find(|(_, t)| displays_as(&t.metric_name(), metric))
                        .ok_or(SimError::UnsupportedMetric { index })?;
                    let activity = trigger
                        .evaluate(now_ms)
                        .map_err(|_| SimError::CronZone { trigger: position })?;
                    self.cron_active = Some(activity.active);
                    let desired = trigger.desired_replicas;
                    value[0] = if activity.active && desired > 0 {
                        desired.saturating_mul(1000)
                    } else {
                        0
                    };
                }
                _ => return Err(SimError::UnsupportedMetric { index }),
            }
        }
        let mut data: Vec<MetricData<'_>, MAX_METRICS> = Vec::new();
        for (metric, value) in setup.spec.metrics.iter().zip(&external) {
            let entry = match metric {
                MetricSpec::External { .. } => MetricData::External(value),
                _ => MetricData::Resource(&samples),
            };
            let _ = data.push(entry);
        }
        let existing = i32::try_from(pods.len()).unwrap_or(i32::MAX);
        let observation = Observation::new(self.replicas, existing, &pods, &data);
        let decision = sync(
            setup.spec,
            &setup.config,
            &mut self.hpa,
            &observation,
            now_ms,
        )?;
        let conditions = &self.hpa.conditions;
        Ok(HpaStep {
            desired_replicas: decision.desired_replicas,
            metric_replicas: decision.metric_replicas,
            rescale: decision.rescale,
            reason: decision.reason,
            utilization_percent: decision
                .metrics
                .first()
                .and_then(|m| m.as_ref().ok())
                .and_then(|p| p.current.average_utilization),
            able_to_scale: conditions.get(ConditionType::AbleToScale).copied(),
            scaling_active: conditions.get(ConditionType::ScalingActive).copied(),
            scaling_limited: conditions.get(ConditionType::ScalingLimited).copied(),
        })
    }

    /// Feeds every running pod's latest sample to the VPA and recommends.
    fn sample_vpa(
        &mut self,
        config: &RecommenderConfig,
        now: i64,
    ) -> Result<Option<VpaStep>, SimError> {
        let Some(aggregate) = self.vpa.as_mut() else {
            return Ok(None);
        };
        let template = self.scenario.pod;
        let resolution = self.scenario.metrics.resolution_ms;
        let last_scrape_ms = now.saturating_sub(
            now.saturating_sub(self.scenario.start_ms)
                .checked_rem(resolution)
                .unwrap_or(0),
        );
        for pod in &mut self.pods {
            if let Some(usage_m) = pod.counter.sample_m {
                pod.vpa.add_cpu_sample(aggregate, last_scrape_ms, usage_m)?;
                pod.vpa
                    .add_memory_sample(aggregate, last_scrape_ms, template.memory_bytes)?;
            }
        }
        let list =
            recommend_pod::<_, 1>(config, &[(template.container, &*aggregate)]).map_err(|_| {
                SimError::InvalidField {
                    field: "pod.container",
                    value: 1,
                }
            })?;
        Ok(list.first().map(|r| VpaStep {
            target: r.target,
            lower_bound: r.lower_bound,
            upper_bound: r.upper_bound,
        }))
    }
}

impl<'a, const P: usize, const R: usize, const E: usize> Iterator
    for PerPodSimulation<'a, P, R, E>
{
    type Item = Result<StepRecord, SimError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.step().transpose()
    }
}

/// `part` as a percentage of `whole`, rounded down; 0 of nothing.
fn percent(part: i64, whole: i64) -> i64 {
    part.saturating_mul(100).checked_div(whole).unwrap_or(0)
}

/// Whether `value` displays as exactly `text`, without formatting into a buffer.
fn displays_as(value: &impl core::fmt::Display, text: &str) -> bool {
    struct Matcher<'t> {
        rest: &'t str,
    }
    impl core::fmt::Write for Matcher<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.rest = self.rest.strip_prefix(s).ok_or(core::fmt::Error)?;
            Ok(())
        }
    }
    let mut matcher = Matcher { rest: text };
    write!(matcher, "{value}").is_ok() && matcher.rest.is_empty()
}
