//! The time-stepped simulation: pods, the metrics pipeline and the autoscalers, one step at a
//! time.
//!
//! Pods created at the same step are alike for their whole life: the same creation time, start
//! and readiness, the same share of the load (but for the extra millicore of an uneven split,
//! which goes to the oldest pods by position). So the simulation keeps them as one cohort, a
//! count and its times, and its work per step is per cohort, not per pod; a pod's usage and
//! sample follow from its cohort and its position whenever they are asked for. The HPA sees the
//! cohorts too ([`sync_cohorts`](crate::hpa::sync_cohorts)), which decides exactly as on every pod.

use core::fmt::Write as _;

use heapless::{String, Vec};

use crate::cron::Zone;
use crate::hpa::{
    CohortMetricData, CohortObservation, CohortSample, ConditionStatus, ConditionType, Container,
    Decision, HpaState, MAX_METRICS, MetricProposal, MetricSpec, Pod, PodClass, PodCohort,
    PodPhase, ReadyCondition, ResourceAmount, ResourceName, SampleTiming, classify_pod,
    sync_cohorts_into,
};
use crate::keda::{
    CronActivity, CronTrigger, HeldFirings, MAX_TRIGGERS, ScaledObjectState, TriggerObservation,
    poll,
};
use crate::vpa::{AggregateContainerState, ContainerState, DecayingHistogram, recommend_pod};

use super::demand::{Load, SeriesCursor};
use super::error::SimError;
use super::metrics_pipeline::{Share, UsageHistory, WindowSample};
use super::pod_template::PodTemplate;
use super::record::{HpaStep, KedaStep, PodStage, PodView, StepRecord, VpaStep};
use super::scenario::Scenario;

/// The longest pod name: `pod-` and a 20-digit ordinal.
const NAME_CAPACITY: usize = 24;

/// How long before the start the initial pods were created: past the HPA's CPU
/// initialization period (5 min by default), so they are trusted from the first sync.
const INITIAL_POD_AGE_MS: i64 = 24 * 3_600_000;

/// The step of a stage reached before the simulation's history begins (the initial pods').
const BEFORE_HISTORY: i64 = i64::MIN / 4;

/// Pods created at the same step, alike for their whole life.
#[derive(Debug, Clone)]
struct Cohort {
    created_ms: i64,
    /// The step at which it was created (-1 for the initial pods, created before the start).
    created_step: i64,
    /// The position of its oldest pod among all pods, oldest first.
    first: usize,
    count: usize,
    /// The first step at which its pods were running, once they were.
    running_step: Option<i64>,
    /// The first step at which they were ready, and the ready base total then.
    ready: Option<(i64, i128)>,
    /// The first scrape whose window its pods' counters cover (they have a sample from there).
    first_sample_step: Option<i64>,
    /// Scrapes its counters had before the start (the initial pods: a whole window's).
    scrapes_before_start: i64,
    /// The VPA's per-container state, the same for each of its pods.
    vpa: ContainerState,
}

impl Cohort {
    /// One past its last pod's position.
    fn end(&self) -> usize {
        self.first.saturating_add(self.count)
    }

    /// Whether its pods have a sample at the last scrape.
    fn has_sample<const P: usize>(&self, history: &UsageHistory<P>) -> bool {
        self.first_sample_step
            .is_some_and(|step| step <= history.last_scrape_step())
    }
}

/// Where an HPA metric's data comes from in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetricSource {
    /// The pods' CPU (Resource, or ContainerResource of the template's container).
    PodCpu,
    /// The External metric of the cron trigger at this position.
    Trigger(usize),
    /// Nothing the simulation has: the sync fails.
    Unsupported,
}

/// What the HPA's metric proposals depend on when every pod is settled: the replica counts,
/// the one cohort the HPA is shown (its pod is the newest settled cohort's, its count all
/// pods), its samples' sum and the External metrics' values. The spec and the controller
/// configuration are the scenario's throughout. The time and the samples' timestamps change
/// from sync to sync, but only the pods' class reads them, and a settled cohort stays Ready
/// (see [`Simulation::settle`]); so equal inputs make equal proposals
/// [computeReplicasForMetric], and the last sync's can be reused.
#[derive(Debug, Clone, Copy)]
struct ProposalInputs {
    /// `spec.replicas`; `status.replicas` is `count`, all pods being settled.
    replicas: i32,
    /// The newest settled cohort, whose pod the HPA is shown (named after its first pod).
    newest_created_ms: i64,
    newest_first: usize,
    count: usize,
    sum_milli: i128,
    /// The External metrics' values, by metric (0 for the other metrics).
    external: [i64; MAX_METRICS],
}

impl ProposalInputs {
    /// Whether `self` and `other` are the same inputs for the first `metrics` metrics (the
    /// others are unused); compared field by field, as the values of unused metrics need not
    /// be read.
    fn matches(&self, other: &Self, metrics: usize) -> bool {
        self.replicas == other.replicas
            && self.newest_created_ms == other.newest_created_ms
            && self.newest_first == other.newest_first
            && self.count == other.count
            && self.sum_milli == other.sum_milli
            && self
                .external
                .iter()
                .zip(&other.external)
                .take(metrics)
                .all(|(a, b)| a == b)
    }
}

/// The sources of the scenario's HPA metrics, matched once: an External metric reads the cron
/// trigger whose metric name it has.
fn metric_sources(scenario: &Scenario<'_>) -> [MetricSource; MAX_METRICS] {
    let mut sources = [MetricSource::Unsupported; MAX_METRICS];
    let Some(hpa) = scenario.hpa else {
        return sources;
    };
    let triggers = scenario.keda.map_or(&[][..], |k| k.triggers);
    for (metric, source) in hpa.spec.metrics.iter().zip(&mut sources) {
        *source = match metric {
            MetricSpec::Resource {
                name: ResourceName::Cpu,
                ..
            } => MetricSource::PodCpu,
            MetricSpec::ContainerResource {
                name: ResourceName::Cpu,
                container,
                ..
            } if *container == scenario.pod.container => MetricSource::PodCpu,
            MetricSpec::External { metric, .. } => triggers
                .iter()
                .position(|t| displays_as(&t.metric_name(), metric))
                .map_or(MetricSource::Unsupported, MetricSource::Trigger),
            _ => MetricSource::Unsupported,
        };
    }
    sources
}

/// A cron trigger's zone, loaded once (`None` when it cannot be: every evaluation fails, as
/// KEDA's does), and its next firings while they hold.
#[derive(Debug, Clone, Copy)]
struct CronState {
    zone: Option<Zone>,
    held: HeldFirings,
}

/// The cron trigger at `index` evaluated at `now_ms` [cronScaler.GetMetricsAndActivity].
fn evaluate(
    trigger: &CronTrigger<'_>,
    state: Option<&mut CronState>,
    index: usize,
    now_ms: i64,
) -> Result<CronActivity, SimError> {
    let zone_error = SimError::CronZone { trigger: index };
    let state = state.ok_or(zone_error)?;
    let zone = state.zone.ok_or(zone_error)?;
    Ok(trigger.evaluate_in(zone, &mut state.held, now_ms))
}

/// An action due every `period` steps from the first.
#[derive(Debug, Clone, Copy)]
struct Every {
    period: i64,
    next: i64,
}

impl Every {
    /// Every `period_ms` (a whole number of steps, as the scenario was checked).
    fn new(period_ms: i64, step_ms: i64) -> Self {
        Self {
            period: period_ms.checked_div(step_ms).unwrap_or(1).max(1),
            next: 0,
        }
    }

    /// Whether it is due at `step`; steps come in order.
    fn due(&mut self, step: i64) -> bool {
        if step == self.next {
            self.next = self.next.saturating_add(self.period);
            true
        } else {
            false
        }
    }
}

/// The periodic actions of a simulation.
#[derive(Debug, Clone, Copy)]
struct Periods {
    scrape: Every,
    vpa_sample: Every,
    keda_poll: Every,
    hpa_sync: Every,
}

impl Periods {
    fn of(scenario: &Scenario<'_>) -> Self {
        let every = |period_ms| Every::new(period_ms, scenario.step_ms);
        Self {
            scrape: every(scenario.metrics.resolution_ms),
            vpa_sample: every(scenario.vpa.map_or(0, |v| v.sample_interval_ms)),
            keda_poll: every(
                scenario
                    .keda
                    .map_or(0, |k| k.scaled_object.polling_interval_ms()),
            ),
            hpa_sync: every(scenario.hpa.map_or(0, |h| h.sync_period_ms)),
        }
    }
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

/// A simulation of one workload under its autoscalers.
///
/// `P` bounds the pods; `R` and `E` are the HPA state's capacities (see
/// [`HpaState`]). Nothing allocates: the simulation is one value the caller owns. Each
/// [`step`](Self::step) advances the clock by `step_ms` and returns what happened; the pods of
/// the step are then in [`pods`](Self::pods). It is also an [`Iterator`] over the records.
///
/// At each instant, in this order: the metrics pipeline scrapes (if due), the VPA samples and
/// recommends, KEDA polls, the HPA syncs, their scale writes take effect (new pods are created,
/// the newest pods go first), and the demand is spread over the ready pods for the step.
///
/// ```
/// use podscale::hpa::{HpaSpec, MetricSpec};
/// use podscale::sim::{Demand, DemandPoint, HpaSetup, PodTemplate, Scenario, Simulation};
///
/// // 700m of CPU demand on pods requesting 200m, an HPA at 50%: 7 pods.
/// let demand = [DemandPoint::new(0, 700)];
/// let spec = HpaSpec::new(1, 10, &[MetricSpec::resource_utilization("cpu", 50)])?;
/// let mut scenario = Scenario::new(0, 600_000, Demand::Cpu(&demand), PodTemplate::new(200));
/// scenario.hpa = Some(HpaSetup::new(&spec));
/// let mut sim: Simulation<16> = Simulation::new(scenario)?;
/// let mut last = None;
/// while let Some(record) = sim.step()? {
///     assert!(record.spec_replicas >= 1 && record.spec_replicas <= 10);
///     last = Some(record);
/// }
/// assert_eq!(last.map(|r| r.spec_replicas), Some(7));
/// assert!(sim.pods().all(|p| p.usage_m == 100));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Simulation<'a, const P: usize = 128, const R: usize = 256, const E: usize = 128> {
    scenario: Scenario<'a>,
    /// The next step's instant; `None` once the end is passed.
    now_ms: Option<i64>,
    /// The next step's number (0 at the start).
    next_step: i64,
    /// When the periodic actions are due.
    every: Periods,
    /// The last step's instant (the start before the first step).
    last_ms: i64,
    /// The pods, oldest first, in cohorts.
    cohorts: Vec<Cohort, P>,
    /// Each pod's name, by position.
    names: Vec<String<NAME_CAPACITY>, P>,
    /// How many of the oldest cohorts were running, and ready, at the last step.
    running_cohorts: usize,
    ready_cohorts: usize,
    /// How many of the oldest cohorts the HPA is shown as one: ready for a whole window, with
    /// samples, and past the point where its classification could change.
    settled_cohorts: usize,
    /// The next pod's ordinal, for its name.
    next_ordinal: u64,
    /// The workload's `spec.replicas`.
    replicas: i32,
    demand: SeriesCursor,
    load: Load,
    /// How the ready pods shared the last step's load.
    share: Share,
    /// What the ready pods used in the last step, and as a percentage of their requests.
    ready_usage_m: i64,
    ready_utilization_percent: Option<i64>,
    /// The demand value and ready pods the load and its share were worked out for.
    spread_for: Option<(i64, i64)>,
    history: UsageHistory<P>,
    /// Where each HPA metric's data comes from.
    sources: [MetricSource; MAX_METRICS],
    /// The cron triggers' zones and next firings.
    crons: Vec<CronState, MAX_TRIGGERS>,
    cron_active: Option<bool>,
    hpa: HpaState<R, E>,
    /// The metric proposals of the last HPA sync, and what they were evaluated on, when every
    /// pod was settled and every metric gave one.
    proposals: Option<(ProposalInputs, Vec<MetricProposal, MAX_METRICS>)>,
    keda: ScaledObjectState,
    vpa: Option<AggregateContainerState<DecayingHistogram>>,
    failed: bool,
}

impl<'a, const P: usize, const R: usize, const E: usize> Simulation<'a, P, R, E> {
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
            next_step: 0,
            every: Periods::of(&scenario),
            last_ms: scenario.start_ms,
            cohorts: Vec::new(),
            names: Vec::new(),
            running_cohorts: 0,
            ready_cohorts: 0,
            settled_cohorts: 0,
            next_ordinal: 0,
            replicas: scenario.initial_replicas,
            demand: SeriesCursor::default(),
            load: Load::default(),
            share: Share::default(),
            ready_usage_m: 0,
            ready_utilization_percent: None,
            spread_for: None,
            history: UsageHistory::new(&scenario.metrics, scenario.step_ms, Share::default()),
            sources: metric_sources(&scenario),
            crons: Vec::new(),
            cron_active: None,
            hpa: HpaState::new(),
            proposals: None,
            keda: ScaledObjectState::new(),
            vpa,
            failed: false,
        };
        for trigger in scenario.keda.map_or(&[][..], |k| k.triggers) {
            let state = CronState {
                zone: trigger.check_zone().ok(),
                held: HeldFirings::default(),
            };
            // validate() matched the triggers to the ScaledObject's, at most MAX_TRIGGERS; an
            // evaluation without its state fails as a zone that cannot be loaded.
            let _ = sim.crons.push(state);
        }
        let created_ms = scenario.start_ms.saturating_sub(INITIAL_POD_AGE_MS);
        sim.resize(created_ms, -1)?;
        // The initial pods have run and served the starting demand for a while: whatever stage
        // they are in at the start, they were in before, and the first scrape already reports it.
        let template = scenario.pod;
        let window_scrapes = scenario.metrics.window_scrapes();
        for cohort in &mut sim.cohorts {
            cohort.scrapes_before_start = window_scrapes;
            match stage(
                cohort.created_ms,
                template.startup_ms,
                template.readiness_delay_ms,
                scenario.start_ms,
            ) {
                PodStage::Pending => {}
                PodStage::Starting => cohort.running_step = Some(BEFORE_HISTORY),
                PodStage::Ready => {
                    cohort.running_step = Some(BEFORE_HISTORY);
                    cohort.ready = Some((BEFORE_HISTORY, 0));
                }
            }
        }
        sim.spread_load(scenario.start_ms, 0);
        sim.history = UsageHistory::new(&scenario.metrics, scenario.step_ms, sim.share);
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
        let idle = template.idle_cpu_m.min(template.capacity_m());
        let share = self.share;
        self.cohorts.iter().flat_map(move |cohort| {
            let stage = stage(
                cohort.created_ms,
                template.startup_ms,
                template.readiness_delay_ms,
                now,
            );
            let sample = cohort
                .has_sample(&self.history)
                .then(|| self.window_sample(cohort));
            (cohort.first..cohort.end()).map(move |position| {
                let usage_m = match stage {
                    PodStage::Pending => 0,
                    PodStage::Starting => idle,
                    PodStage::Ready => share
                        .base_m
                        .saturating_add(i64::from(position < share.extra_pods)),
                };
                PodView {
                    name: self.names.get(position).map_or("", String::as_str),
                    created_ms: cohort.created_ms,
                    stage,
                    usage_m,
                    utilization_percent: percent(usage_m, template.cpu_request_m),
                    metrics_m: sample.map(|s| s.of(position)),
                }
            })
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
        let outcome = self.advance(now);
        if outcome.is_ok() {
            self.last_ms = now;
            self.next_step = self.next_step.saturating_add(1);
            self.now_ms = now
                .checked_add(self.scenario.step_ms)
                .filter(|next| *next <= self.scenario.end_ms);
        } else {
            self.failed = true;
        }
        outcome
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

    /// The instant of the last scrape.
    fn last_scrape_ms(&self) -> i64 {
        let step = self.history.last_scrape_step();
        self.scenario
            .start_ms
            .saturating_add(step.saturating_mul(self.scenario.step_ms))
    }

    /// The step at `now`; always a record when it succeeds (the `Option` is [`Self::step`]'s,
    /// so that the record is built where it is returned).
    fn advance(&mut self, now: i64) -> Result<Option<StepRecord>, SimError> {
        let step = self.next_step;
        let (mut vpa, mut keda, mut hpa) = (None, None, None);
        // Pods that run by now are scraped now: their stage counts from this step.
        self.mark_stages(now, step);
        if self.every.scrape.due(step) {
            self.history.scrape();
        }
        if self.scenario.vpa.is_some() && self.every.vpa_sample.due(step) {
            vpa = self.sample_vpa()?;
        }
        if let Some(setup) = self.scenario.keda {
            if self.every.keda_poll.due(step) {
                let mut observations: Vec<TriggerObservation, MAX_TRIGGERS> = Vec::new();
                let mut any_active = false;
                let trigger_count = SimError::TriggerCount {
                    scaled_object: setup.scaled_object.triggers.len(),
                    cron_triggers: setup.triggers.len(),
                };
                for (index, trigger) in setup.triggers.iter().enumerate() {
                    let activity = evaluate(trigger, self.crons.get_mut(index), index, now)?;
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
                    setup.scaled_object,
                    &mut self.keda,
                    &observations,
                    self.replicas,
                    now,
                )
                .map_err(|_| trigger_count)?;
                if let Some(action) = decision.action.filter(|a| a.written) {
                    self.replicas = action.scale_to;
                }
                keda = Some(KedaStep {
                    active: any_active,
                    action: decision.action,
                });
            }
        }
        if self.scenario.hpa.is_some() && self.every.hpa_sync.due(step) {
            let outcome = self.sync_hpa(now, &mut hpa)?;
            if outcome.rescale {
                self.replicas = outcome.desired_replicas;
            }
        }
        if usize::try_from(self.replicas).ok() != Some(self.total_pods()) {
            self.resize(now, step)?;
        }
        self.spread_load(now, step);
        self.history.accrue(self.share);

        let total = self.total_pods();
        let position_of = |cohort: usize| self.cohorts.get(cohort).map_or(total, |c| c.first);
        let ready = position_of(self.ready_cohorts);
        let starting = position_of(self.running_cohorts).saturating_sub(ready);
        let ready = i64::try_from(ready).unwrap_or(i64::MAX);
        let starting = i64::try_from(starting).unwrap_or(i64::MAX);
        let usage_m = self
            .ready_usage_m
            .saturating_add(self.idle_m().saturating_mul(starting));
        Ok(Some(StepRecord {
            time_ms: now,
            spec_replicas: self.replicas,
            ready_replicas: i32::try_from(ready).unwrap_or(i32::MAX),
            offered_m: self.load.offered_m,
            served_m: self.load.served_m,
            throughput_milli_rps: self.load.throughput_milli_rps,
            usage_m,
            ready_utilization_percent: self.ready_utilization_percent,
            hpa,
            keda,
            cron_active: self.cron_active,
            vpa,
        }))
    }

    /// The number of pods.
    fn total_pods(&self) -> usize {
        self.cohorts.last().map_or(0, Cohort::end)
    }

    /// Creates or deletes pods to match `replicas`: new pods are created at `now_ms` (step
    /// `step`), and the newest go first (the least ready, as the ReplicaSet ranks them, since
    /// every pod follows the same template).
    fn resize(&mut self, now_ms: i64, step: i64) -> Result<(), SimError> {
        let target = usize::try_from(self.replicas).unwrap_or(0);
        if target > P {
            return Err(SimError::PodCapacity {
                replicas: self.replicas,
                capacity: P,
            });
        }
        let total = self.total_pods();
        if target < total {
            while self.cohorts.last().is_some_and(|c| c.first >= target) {
                self.cohorts.pop();
            }
            if let Some(last) = self.cohorts.last_mut() {
                last.count = target.saturating_sub(last.first);
            }
            let len = self.cohorts.len();
            self.running_cohorts = self.running_cohorts.min(len);
            self.ready_cohorts = self.ready_cohorts.min(len);
            self.settled_cohorts = self.settled_cohorts.min(len);
            self.names.truncate(target);
        } else if target > total {
            let cohort = Cohort {
                created_ms: now_ms,
                created_step: step,
                first: total,
                count: target.saturating_sub(total),
                running_step: None,
                ready: None,
                first_sample_step: None,
                scrapes_before_start: 0,
                vpa: ContainerState::new(),
            };
            // At most P pods, so at most P cohorts of one pod or more.
            let _ = self.cohorts.push(cohort);
            while self.names.len() < target {
                let mut name = String::new();
                // 4 + 20 digits always fit.
                let _ = write!(name, "pod-{}", self.next_ordinal);
                self.next_ordinal = self.next_ordinal.saturating_add(1);
                let _ = self.names.push(name);
            }
        }
        Ok(())
    }

    /// Notes the cohorts that started running or became ready at step `step` (`now_ms`).
    /// Stages follow age, and cohorts are oldest first: both are prefixes.
    #[inline]
    fn mark_stages(&mut self, now_ms: i64, step: i64) {
        // Usually every pod is ready, with nothing left to note.
        if self.ready_cohorts != self.cohorts.len() {
            self.mark_new_stages(now_ms, step);
        }
    }

    /// [`Self::mark_stages`] when some pods are not ready.
    fn mark_new_stages(&mut self, now_ms: i64, step: i64) {
        let template = self.scenario.pod;
        let steps_per_scrape = self.history.steps_per_scrape();
        let window_steps = self.history.window_steps();
        let stage_of = |c: &Cohort| {
            stage(
                c.created_ms,
                template.startup_ms,
                template.readiness_delay_ms,
                now_ms,
            )
        };
        while let Some(cohort) = self.cohorts.get_mut(self.running_cohorts) {
            if stage_of(cohort) == PodStage::Pending {
                break;
            }
            let running = *cohort.running_step.get_or_insert(step);
            // Scraped from the first scrape after it both existed and ran; a sample once its
            // counter has a window's scrapes (the initial pods had theirs before the start).
            let first_scrape = round_up(
                running.max(cohort.created_step.saturating_add(1)),
                steps_per_scrape,
            );
            let scrapes_needed = window_steps
                .saturating_sub(cohort.scrapes_before_start.saturating_mul(steps_per_scrape));
            cohort.first_sample_step = Some(first_scrape.saturating_add(scrapes_needed));
            self.running_cohorts = self.running_cohorts.saturating_add(1);
        }
        let total = self.history.ready_base_total();
        while let Some(cohort) = self.cohorts.get_mut(self.ready_cohorts) {
            if stage_of(cohort) != PodStage::Ready {
                break;
            }
            cohort.ready.get_or_insert((step, total));
            self.ready_cohorts = self.ready_cohorts.saturating_add(1);
        }
    }

    /// Spreads the demand at `now_ms` (step `step`) evenly over the ready pods, each capped at
    /// its limit; starting pods idle, pending ones use nothing.
    fn spread_load(&mut self, now_ms: i64, step: i64) {
        self.mark_stages(now_ms, step);
        let template = self.scenario.pod;
        let ready = self
            .cohorts
            .get(self.ready_cohorts)
            .map_or(self.total_pods(), |c| c.first);
        let ready = i64::try_from(ready).unwrap_or(i64::MAX);
        let value = self.demand.value_at(self.scenario.demand.series(), now_ms);
        // Demand and ready pods change far less often than every step: the same load, and the
        // same division of it, again.
        if self.spread_for == Some((value, ready)) {
            return;
        }
        self.spread_for = Some((value, ready));
        let capacity = template.capacity_m();
        self.load = self.scenario.demand.load(value, ready, capacity);
        // The millicores that do not divide evenly go one each to the oldest ready pods, so
        // the pods serve exactly what was served.
        let share = self.load.served_m.checked_div(ready).unwrap_or(0);
        let remainder = self.load.served_m.checked_rem(ready).unwrap_or(0);
        let idle = template.idle_cpu_m.min(capacity);
        let usage = |extra: i64| share.saturating_add(extra).max(idle).min(capacity);
        let base_m = usage(0);
        let raised = usage(1) > base_m;
        let extra_pods = if raised {
            usize::try_from(remainder).unwrap_or(0)
        } else {
            0
        };
        self.share = Share { base_m, extra_pods };
        self.ready_usage_m = base_m
            .saturating_mul(ready)
            .saturating_add(i64::try_from(extra_pods).unwrap_or(i64::MAX));
        self.ready_utilization_percent = (ready > 0).then(|| {
            percent(
                self.ready_usage_m,
                template.cpu_request_m.saturating_mul(ready),
            )
        });
    }

    /// The samples of a cohort's pods at the last scrape (which it must have).
    fn window_sample(&self, cohort: &Cohort) -> WindowSample {
        window_sample(&self.history, cohort, self.idle_m())
    }

    fn idle_m(&self) -> i64 {
        let template = self.scenario.pod;
        template.idle_cpu_m.min(template.capacity_m())
    }

    /// One HPA sync on what the pods and the metrics pipeline show at `now_ms`, written to
    /// `step` (in place: moving the step between frames showed in profiles).
    fn sync_hpa<'s>(
        &mut self,
        now_ms: i64,
        step: &'s mut Option<HpaStep>,
    ) -> Result<&'s HpaStep, SimError> {
        let Some(setup) = self.scenario.hpa else {
            return Err(SimError::InvalidField {
                field: "hpa",
                value: 0,
            });
        };
        let template = self.scenario.pod;
        let requests = [ResourceAmount::cpu(template.cpu_request_m)];
        let containers = [Container::new(template.container, &requests)];
        let timing = SampleTiming {
            timestamp_ms: self.last_scrape_ms(),
            window_ms: self.scenario.metrics.window_ms,
        };
        self.settle(&containers, timing, &setup.config.readiness, now_ms);

        let idle = self.idle_m();
        let (history, names) = (&self.history, &self.names[..]);
        let mut cohorts: Vec<PodCohort<'_>, P> = Vec::new();
        let mut samples: Vec<Option<CohortSample>, P> = Vec::new();
        // The settled cohorts as one: ready through the window, so their pods' usage adds up
        // to the same base over it, and their samples to one sum.
        let settled = self.cohorts.get(..self.settled_cohorts).unwrap_or(&[]);
        let mut inputs = None;
        if let (Some(oldest), Some(newest)) = (settled.first(), settled.last()) {
            let sample = window_sample(history, oldest, idle);
            let count = newest.end();
            let sum_milli = sample.sum(0, count);
            let _ = cohorts.push(PodCohort {
                pod: pod_view(&template, names, newest, &containers, now_ms),
                count: u32::try_from(count).unwrap_or(u32::MAX),
            });
            let _ = samples.push(Some(CohortSample { timing, sum_milli }));
            inputs = (self.settled_cohorts == self.cohorts.len()).then_some(ProposalInputs {
                replicas: self.replicas,
                newest_created_ms: newest.created_ms,
                newest_first: newest.first,
                count,
                sum_milli,
                external: [0; MAX_METRICS],
            });
        }
        for cohort in self.cohorts.get(self.settled_cohorts..).unwrap_or(&[]) {
            let pod = pod_view(&template, names, cohort, &containers, now_ms);
            // Only running pods are listed by the metrics API.
            let sample =
                (cohort.has_sample(history) && pod.phase == PodPhase::Running).then(|| {
                    CohortSample {
                        timing,
                        sum_milli: window_sample(history, cohort, idle)
                            .sum(cohort.first, cohort.count),
                    }
                });
            // Capacity P holds a cohort per pod.
            let _ = cohorts.push(PodCohort {
                pod,
                count: u32::try_from(cohort.count).unwrap_or(u32::MAX),
            });
            let _ = samples.push(sample);
        }

        // External metrics: each cron trigger's value, evaluated now as KEDA's metrics adapter
        // does on the HPA's query.
        let mut external = [[0_i64; 1]; MAX_METRICS];
        let triggers: &[CronTrigger<'a>] = self.scenario.keda.map_or(&[], |k| k.triggers);
        let metrics = setup.spec.metrics.len();
        let sources = self.sources.iter().take(metrics);
        for (index, (source, value)) in sources.zip(&mut external).enumerate() {
            match *source {
                MetricSource::PodCpu => {}
                MetricSource::Trigger(position) => {
                    let trigger = triggers
                        .get(position)
                        .ok_or(SimError::UnsupportedMetric { index })?;
                    let state = self.crons.get_mut(position);
                    let activity = evaluate(trigger, state, position, now_ms)?;
                    self.cron_active = Some(activity.active);
                    let desired = trigger.desired_replicas;
                    value[0] = if activity.active && desired > 0 {
                        desired.saturating_mul(1000)
                    } else {
                        0
                    };
                }
                MetricSource::Unsupported => return Err(SimError::UnsupportedMetric { index }),
            }
        }
        let mut data: Vec<CohortMetricData<'_>, MAX_METRICS> = Vec::new();
        for (metric, value) in setup.spec.metrics.iter().zip(&external) {
            let entry = match metric {
                MetricSpec::External { .. } => CohortMetricData::External(value),
                _ => CohortMetricData::Resource(&samples),
            };
            let _ = data.push(entry);
        }
        let existing = i32::try_from(self.total_pods()).unwrap_or(i32::MAX);
        let observation = CohortObservation::new(self.replicas, existing, &cohorts, &data);
        let mut decision = Decision::new(self.replicas);
        // Every pod settled, as at the last sync, with the same replicas, pods and values: each
        // metric proposes what it proposed then (see ProposalInputs).
        if let Some(inputs) = inputs.as_mut() {
            for (value, [external]) in inputs.external.iter_mut().zip(&external).take(metrics) {
                *value = *external;
            }
        }
        let reuse = match (&inputs, &self.proposals) {
            (Some(now), Some((then, proposals))) if now.matches(then, metrics) => {
                Some(&proposals[..])
            }
            _ => None,
        };
        sync_cohorts_into(
            setup.spec,
            &setup.config,
            &mut self.hpa,
            &observation,
            now_ms,
            &mut decision,
            reuse,
        )?;
        if reuse.is_none() {
            self.proposals = inputs.and_then(|inputs| {
                let mut proposals = Vec::new();
                for outcome in &decision.metrics {
                    // At most MAX_METRICS outcomes.
                    proposals.push(*outcome.as_ref().ok()?).ok()?;
                }
                (proposals.len() == metrics).then_some((inputs, proposals))
            });
        }
        let conditions = &self.hpa.conditions;
        Ok(step.insert(HpaStep {
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
        }))
    }

    /// Extends the settled cohorts: ready since before the last scrape's window (so their
    /// samples share one base), with samples, and classified ready for CPU by the HPA. A
    /// Running pod that stays Ready and keeps being sampled only ever moves towards that class
    /// (its CPU initialization period ends; its samples' windows move past its readiness), so a
    /// settled cohort stays settled, and the HPA would class each of its pods as it classes the
    /// newest.
    fn settle(
        &mut self,
        containers: &[Container<'_>],
        timing: SampleTiming,
        readiness: &crate::hpa::ReadinessPeriods,
        now_ms: i64,
    ) {
        let window_start = self.history.window_start_step();
        while let Some(cohort) = self.cohorts.get(self.settled_cohorts) {
            let ready_through_window = cohort.ready.is_some_and(|(step, _)| step <= window_start);
            if !ready_through_window || !cohort.has_sample(&self.history) {
                break;
            }
            let pod = pod_view(&self.scenario.pod, &self.names, cohort, containers, now_ms);
            let class = classify_pod(
                &pod,
                Some(timing),
                Some(ResourceName::Cpu),
                readiness,
                now_ms,
            );
            if class != PodClass::Ready {
                break;
            }
            self.settled_cohorts = self.settled_cohorts.saturating_add(1);
        }
    }

    /// Feeds every pod's latest sample to the VPA and recommends.
    fn sample_vpa(&mut self) -> Result<Option<VpaStep>, SimError> {
        let Some(setup) = self.scenario.vpa.as_ref() else {
            return Ok(None);
        };
        let config = &setup.recommender;
        let idle = self.idle_m();
        let last_scrape_ms = self.last_scrape_ms();
        let template = self.scenario.pod;
        let Some(aggregate) = self.vpa.as_mut() else {
            return Ok(None);
        };
        // The CPU samples by value: the histogram receives them as from each pod in turn, since
        // equal samples add equal weights and different buckets do not interact.
        let mut batch = CpuBatch::default();
        // Cohorts ready through the whole window share one sample base.
        let window_start = self.history.window_start_step();
        let mut ready_through_window = None;
        for cohort in &mut self.cohorts {
            if !cohort.has_sample(&self.history) {
                continue;
            }
            let sample = if cohort.ready.is_some_and(|(step, _)| step <= window_start) {
                *ready_through_window
                    .get_or_insert_with(|| window_sample(&self.history, cohort, idle))
            } else {
                window_sample(&self.history, cohort, idle)
            };
            let count = u32::try_from(cohort.count).unwrap_or(u32::MAX);
            if cohort.vpa.accepts_cpu_sample(last_scrape_ms, sample.base_m) {
                let raised = sample
                    .raised_pods
                    .saturating_sub(cohort.first)
                    .min(cohort.count);
                let raised = u32::try_from(raised).unwrap_or(u32::MAX);
                batch.add(
                    aggregate,
                    last_scrape_ms,
                    sample.base_m.saturating_add(1),
                    raised,
                )?;
                batch.add(
                    aggregate,
                    last_scrape_ms,
                    sample.base_m,
                    count.saturating_sub(raised),
                )?;
                cohort.vpa.note_cpu_sample(last_scrape_ms);
            }
            cohort.vpa.add_memory_samples(
                aggregate,
                last_scrape_ms,
                template.memory_bytes,
                count,
            )?;
        }
        batch.flush(aggregate, last_scrape_ms)?;
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

/// The HPA's view of a cohort's pods at `now_ms`, named as its first pod.
fn pod_view<'v>(
    template: &PodTemplate<'_>,
    names: &'v [String<NAME_CAPACITY>],
    cohort: &Cohort,
    containers: &'v [Container<'v>],
    now_ms: i64,
) -> Pod<'v> {
    let ready_ms = cohort
        .created_ms
        .saturating_add(template.startup_ms)
        .saturating_add(template.readiness_delay_ms);
    let stage = stage(
        cohort.created_ms,
        template.startup_ms,
        template.readiness_delay_ms,
        now_ms,
    );
    let (phase, ready) = match stage {
        PodStage::Pending => (
            PodPhase::Pending,
            (ConditionStatus::False, cohort.created_ms),
        ),
        PodStage::Starting => (
            PodPhase::Running,
            (ConditionStatus::False, cohort.created_ms),
        ),
        PodStage::Ready => (PodPhase::Running, (ConditionStatus::True, ready_ms)),
    };
    Pod {
        name: names.get(cohort.first).map_or("", String::as_str),
        phase,
        deleting: false,
        start_time_ms: Some(cohort.created_ms),
        ready: Some(ReadyCondition {
            status: ready.0,
            last_transition_time_ms: ready.1,
        }),
        containers,
        pod_requests: None,
        overhead: None,
    }
}

/// The samples of a cohort's pods at the last scrape: their usage over the window before the
/// extra millicores (idle while starting, the ready base once ready), and who had those.
fn window_sample<const P: usize>(
    history: &UsageHistory<P>,
    cohort: &Cohort,
    idle_m: i64,
) -> WindowSample {
    let start = history.window_start_step();
    let end = history.last_scrape_step();
    let running = cohort.running_step.unwrap_or(end).max(start);
    let ready = cohort.ready.map_or(end, |(step, _)| step).min(end);
    let starting_steps = ready.saturating_sub(running).max(0);
    let base = i128::from(idle_m)
        .saturating_mul(i128::from(starting_steps))
        .saturating_add(history.ready_base_in_window(cohort.ready));
    history.sample(base)
}

/// CPU samples of one instant gathered by value, each value added to the histogram in one go.
#[derive(Debug, Default)]
struct CpuBatch {
    groups: Vec<(i64, u32), 8>,
}

impl CpuBatch {
    fn add(
        &mut self,
        aggregate: &mut AggregateContainerState<DecayingHistogram>,
        measure_start_ms: i64,
        usage_m: i64,
        count: u32,
    ) -> Result<(), SimError> {
        if count == 0 {
            return Ok(());
        }
        if let Some(group) = self.groups.iter_mut().find(|(u, _)| *u == usage_m) {
            group.1 = group.1.saturating_add(count);
            return Ok(());
        }
        if self.groups.is_full() {
            self.flush(aggregate, measure_start_ms)?;
        }
        let _ = self.groups.push((usage_m, count));
        Ok(())
    }

    fn flush(
        &mut self,
        aggregate: &mut AggregateContainerState<DecayingHistogram>,
        measure_start_ms: i64,
    ) -> Result<(), SimError> {
        for (usage_m, count) in self.groups.iter().copied() {
            aggregate.add_cpu_samples(measure_start_ms, usage_m, count)?;
        }
        self.groups.clear();
        Ok(())
    }
}

/// `value` rounded up to a multiple of a positive `unit`.
fn round_up(value: i64, unit: i64) -> i64 {
    let rest = value.checked_rem_euclid(unit).unwrap_or(0);
    if rest == 0 {
        value
    } else {
        value.saturating_add(unit.saturating_sub(rest))
    }
}

impl<'a, const P: usize, const R: usize, const E: usize> Iterator for Simulation<'a, P, R, E> {
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
