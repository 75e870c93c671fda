//! Fuzzes the HPA pipeline: `decide`, `complete_rescale` and `sync` over a few consecutive syncs.
//!
//! The input is an owned, `Arbitrary` mirror of the borrowed core types. Names come from small
//! pools so that pods, samples, containers and resources match each other often; numbers are
//! biased toward small values and extremes; floats include NaN, infinities and negatives.
//!
//! Besides "no panic", every sync checks invariants that hold for any input (see `check_sync`).

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use podscale::hpa::{
    Behavior, ConditionReason, ConditionStatus, ConditionType, Container, ContainerKind,
    ContainerUsage, ControllerConfig, Decision, FeatureGates, HpaSpec, HpaState, MetricData,
    MetricSpec, MetricTarget, Observation, Pod, PodMetricSample, PodPhase, PodResourceMetrics,
    ReadinessPeriods, ReadyCondition, Recommendation, ResourceAmount, ResourceName, ScaleEvent,
    ScalingPolicy, ScalingPolicyType, ScalingRules, SelectPolicy, SelectorState, decide, sync,
};

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/// A list of at most `N` elements. Stops early when the input runs out, so short inputs do not
/// produce long lists of default values.
#[derive(Debug, Clone)]
struct Bounded<T, const N: usize>(Vec<T>);

impl<'a, T: Arbitrary<'a>, const N: usize> Arbitrary<'a> for Bounded<T, N> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut items = Vec::new();
        while items.len() < N && !u.is_empty() && u.arbitrary::<bool>()? {
            items.push(T::arbitrary(u)?);
        }
        Ok(Self(items))
    }
}

fn pick<T: Copy>(items: &[T], index: u8) -> T {
    items[usize::from(index) % items.len()]
}

const POD_NAMES: &[&str] = &["web-0", "web-1", "web-2", "web-3"];
const RESOURCES: &[&str] = &["cpu", "memory", "gpu"];
const CONTAINERS: &[&str] = &["app", "proxy", "init"];
const METRICS: &[&str] = &["queue", "rps"];

/// A name: mostly from a pool (which one depends on the field), sometimes anything.
#[derive(Debug, Clone, Arbitrary)]
enum Name {
    Pool(u8),
    Custom(String),
}

impl Name {
    fn get<'a>(&'a self, pool: &[&'static str]) -> &'a str {
        match self {
            Self::Pool(i) => pick(pool, *i),
            Self::Custom(s) => s,
        }
    }
}

const SPECIAL_I64: &[i64] = &[
    0,
    1,
    -1,
    2,
    100,
    1000,
    15_000,
    30_000,
    60_000,
    300_000,
    i32::MAX as i64,
    i32::MIN as i64,
    i32::MAX as i64 + 1,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    i64::MAX / 2,
    i64::MIN / 2,
    1 << 53,
    (1 << 53) + 1,
];

#[derive(Debug, Clone, Copy, Arbitrary)]
enum I64In {
    Small(i8),
    Milli(i16),
    Special(u8),
    Any(i64),
}

impl I64In {
    fn get(self) -> i64 {
        match self {
            Self::Small(v) => i64::from(v),
            Self::Milli(v) => i64::from(v) * 10,
            Self::Special(i) => pick(SPECIAL_I64, i),
            Self::Any(v) => v,
        }
    }
}

const SPECIAL_I32: &[i32] = &[
    0,
    1,
    -1,
    2,
    100,
    i32::MAX,
    i32::MIN,
    i32::MAX - 1,
    i32::MIN + 1,
    i32::MAX / 2,
    1800,
    3600,
];

#[derive(Debug, Clone, Copy, Arbitrary)]
enum I32In {
    Small(i8),
    Special(u8),
    Any(i32),
}

impl I32In {
    fn get(self) -> i32 {
        match self {
            Self::Small(v) => i32::from(v),
            Self::Special(i) => pick(SPECIAL_I32, i),
            Self::Any(v) => v,
        }
    }
}

/// A replica count: mostly a small one (`x % 16`; `x % 4` for minReplicas, `x % 16 + 1` for
/// maxReplicas and the current count), so that counts fall inside the bounds often; sometimes
/// anything.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum ReplicasIn {
    Typical(u8),
    Any(I32In),
}

impl ReplicasIn {
    fn get(self) -> i32 {
        match self {
            Self::Typical(x) => i32::from(x % 16),
            Self::Any(v) => v.get(),
        }
    }

    fn min(self) -> i32 {
        match self {
            Self::Typical(x) => i32::from(x % 4),
            Self::Any(v) => v.get(),
        }
    }

    fn at_least_one(self) -> i32 {
        match self {
            Self::Typical(x) => i32::from(x % 16) + 1,
            Self::Any(v) => v.get(),
        }
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum F64In {
    Nan,
    Inf,
    NegInf,
    Zero,
    NegZero,
    /// Hundredths: 10 is 0.1, -5 is -0.05, 200 is 2.0.
    Hundredths(i16),
    Any(f64),
}

impl F64In {
    fn get(self) -> f64 {
        match self {
            Self::Nan => f64::NAN,
            Self::Inf => f64::INFINITY,
            Self::NegInf => f64::NEG_INFINITY,
            Self::Zero => 0.0,
            Self::NegZero => -0.0,
            Self::Hundredths(v) => f64::from(v) / 100.0,
            Self::Any(v) => v,
        }
    }
}

/// An instant: relative to the first sync's `now` (most of the time) or absolute.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum TimeIn {
    RelSeconds(i16),
    RelMs(i32),
    Abs(I64In),
}

impl TimeIn {
    fn at(self, base: i64) -> i64 {
        match self {
            Self::RelSeconds(s) => base.saturating_add(i64::from(s) * 1000),
            Self::RelMs(ms) => base.saturating_add(i64::from(ms)),
            Self::Abs(v) => v.get(),
        }
    }
}

/// A duration in milliseconds.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum DurationIn {
    Seconds(u16),
    Any(I64In),
}

impl DurationIn {
    fn get(self) -> i64 {
        match self {
            Self::Seconds(s) => i64::from(s) * 1000,
            Self::Any(v) => v.get(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Spec and config
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Arbitrary)]
enum TargetIn {
    Utilization(I32In),
    AverageValue(I64In),
    Value(I64In),
    Unset,
}

impl TargetIn {
    fn get(self) -> MetricTarget {
        match self {
            Self::Utilization(v) => MetricTarget::Utilization(v.get()),
            Self::AverageValue(v) => MetricTarget::AverageValue(v.get()),
            Self::Value(v) => MetricTarget::Value(v.get()),
            Self::Unset => MetricTarget::Unset,
        }
    }
}

#[derive(Debug, Clone, Arbitrary)]
enum MetricSpecIn {
    Resource {
        name: Name,
        target: TargetIn,
    },
    ContainerResource {
        name: Name,
        container: Name,
        target: TargetIn,
    },
    Pods {
        metric: Name,
        target: TargetIn,
    },
    Object {
        metric: Name,
        target: TargetIn,
    },
    External {
        metric: Name,
        target: TargetIn,
    },
    Unknown {
        kind: Name,
    },
}

impl MetricSpecIn {
    fn get(&self) -> MetricSpec<'_> {
        match self {
            Self::Resource { name, target } => MetricSpec::Resource {
                name: ResourceName::from(name.get(RESOURCES)),
                target: target.get(),
            },
            Self::ContainerResource {
                name,
                container,
                target,
            } => MetricSpec::ContainerResource {
                name: ResourceName::from(name.get(RESOURCES)),
                container: container.get(CONTAINERS),
                target: target.get(),
            },
            Self::Pods { metric, target } => MetricSpec::Pods {
                metric: metric.get(METRICS),
                target: target.get(),
            },
            Self::Object { metric, target } => MetricSpec::Object {
                metric: metric.get(METRICS),
                target: target.get(),
            },
            Self::External { metric, target } => MetricSpec::External {
                metric: metric.get(METRICS),
                target: target.get(),
            },
            Self::Unknown { kind } => MetricSpec::Unknown {
                kind: kind.get(&["Unknown", "Custom"]),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
struct PolicyIn {
    percent: bool,
    value: I32In,
    period_seconds: I32In,
}

#[derive(Debug, Clone, Arbitrary)]
struct RulesIn {
    stabilization_window_seconds: Option<I32In>,
    select_policy: Option<u8>,
    policies: Option<Bounded<PolicyIn, 8>>,
    tolerance: Option<F64In>,
}

impl RulesIn {
    fn get(&self) -> ScalingRules {
        let mut rules = ScalingRules {
            stabilization_window_seconds: self.stabilization_window_seconds.map(I32In::get),
            select_policy: self.select_policy.map(|i| {
                pick(
                    &[SelectPolicy::Max, SelectPolicy::Min, SelectPolicy::Disabled],
                    i,
                )
            }),
            policies: None,
            tolerance: self.tolerance.map(F64In::get),
        };
        if let Some(policies) = &self.policies {
            let list: Vec<ScalingPolicy> = policies
                .0
                .iter()
                .map(|p| ScalingPolicy {
                    kind: if p.percent {
                        ScalingPolicyType::Percent
                    } else {
                        ScalingPolicyType::Pods
                    },
                    value: p.value.get(),
                    period_seconds: p.period_seconds.get(),
                })
                .collect();
            // Bounded to 8 = MAX_POLICIES: always fits.
            let with = ScalingRules::with_policies(&list);
            assert!(with.is_ok(), "at most MAX_POLICIES policies");
            rules.policies = with.ok().and_then(|r| r.policies);
        }
        rules
    }
}

#[derive(Debug, Clone, Arbitrary)]
struct SpecIn {
    min_replicas: Option<ReplicasIn>,
    max_replicas: ReplicasIn,
    /// 1 mod 32: no metrics at all (an invalid spec). Special cases avoid 0, which is what an
    /// exhausted input reads as.
    no_metrics: u8,
    first_metric: MetricSpecIn,
    more_metrics: Bounded<MetricSpecIn, 7>,
    behavior: Option<(Option<RulesIn>, Option<RulesIn>)>,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum ConfigIn {
    Default,
    Custom {
        tolerance: F64In,
        downscale_stabilization_window: DurationIn,
        cpu_initialization_period: DurationIn,
        delay_of_initial_readiness_status: DurationIn,
        scale_up_limit_factor: F64In,
        scale_up_limit_minimum: F64In,
        hpa_scale_to_zero: bool,
        hpa_configurable_tolerance: bool,
        pod_level_resources: bool,
    },
}

impl ConfigIn {
    fn get(self) -> ControllerConfig {
        match self {
            Self::Default => ControllerConfig::default(),
            Self::Custom {
                tolerance,
                downscale_stabilization_window,
                cpu_initialization_period,
                delay_of_initial_readiness_status,
                scale_up_limit_factor,
                scale_up_limit_minimum,
                hpa_scale_to_zero,
                hpa_configurable_tolerance,
                pod_level_resources,
            } => ControllerConfig {
                tolerance: tolerance.get(),
                downscale_stabilization_window_ms: downscale_stabilization_window.get(),
                readiness: ReadinessPeriods {
                    cpu_initialization_period_ms: cpu_initialization_period.get(),
                    delay_of_initial_readiness_status_ms: delay_of_initial_readiness_status.get(),
                },
                scale_up_limit_factor: scale_up_limit_factor.get(),
                scale_up_limit_minimum: scale_up_limit_minimum.get(),
                feature_gates: FeatureGates {
                    hpa_scale_to_zero,
                    hpa_configurable_tolerance,
                    pod_level_resources,
                },
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

const CONDITION_TYPES: &[ConditionType] = &[
    ConditionType::AbleToScale,
    ConditionType::ScalingActive,
    ConditionType::ScalingLimited,
    ConditionType::ScaledToZero,
];

const CONDITION_STATUSES: &[ConditionStatus] = &[
    ConditionStatus::True,
    ConditionStatus::False,
    ConditionStatus::Unknown,
];

const REASONS: &[ConditionReason] = &[
    ConditionReason::SucceededGetScale,
    ConditionReason::FailedGetScale,
    ConditionReason::ReadyForNewScale,
    ConditionReason::ScaleDownStabilized,
    ConditionReason::ScaleUpStabilized,
    ConditionReason::SucceededRescale,
    ConditionReason::FailedUpdateScale,
    ConditionReason::ValidMetricFound,
    ConditionReason::ScalingDisabled,
    ConditionReason::InvalidSelector,
    ConditionReason::AmbiguousSelector,
    ConditionReason::FailedGetResourceMetric,
    ConditionReason::FailedGetContainerResourceMetric,
    ConditionReason::FailedGetPodsMetric,
    ConditionReason::FailedGetObjectMetric,
    ConditionReason::FailedGetExternalMetric,
    ConditionReason::InvalidMetricSourceType,
    ConditionReason::DesiredWithinRange,
    ConditionReason::TooFewReplicas,
    ConditionReason::TooManyReplicas,
    ConditionReason::ScaleUpLimit,
    ConditionReason::ScaleDownLimit,
    ConditionReason::ScaledToZero,
    ConditionReason::NotScaledToZero,
];

#[derive(Debug, Clone, Copy, Arbitrary)]
struct ConditionIn {
    kind: u8,
    status: u8,
    reason: u8,
    time: TimeIn,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
struct RecommendationIn {
    replicas: ReplicasIn,
    time: TimeIn,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
struct EventIn {
    change: I32In,
    time: TimeIn,
    outdated: bool,
}

#[derive(Debug, Clone, Arbitrary)]
struct StateIn {
    recommendations: Option<Bounded<RecommendationIn, 40>>,
    scale_up_events: Bounded<EventIn, 20>,
    scale_down_events: Bounded<EventIn, 20>,
    conditions: Bounded<ConditionIn, 6>,
    desired_replicas: ReplicasIn,
    last_scale_time: Option<TimeIn>,
}

impl StateIn {
    /// Entries beyond the state's capacity are dropped (a full list is still reachable).
    fn get<const R: usize, const E: usize>(&self, base: i64) -> HpaState<R, E> {
        let mut state = HpaState::<R, E>::new();
        if let Some(recs) = &self.recommendations {
            // The field's type names the `heapless::Vec`, which this crate does not depend on.
            state.recommendations = Some(Default::default());
            if let Some(history) = state.recommendations.as_mut() {
                for r in &recs.0 {
                    let _ = history.push(Recommendation {
                        replicas: r.replicas.get(),
                        timestamp_ms: r.time.at(base),
                    });
                }
            }
        }
        for e in &self.scale_up_events.0 {
            let _ = state.scale_up_events.push(event(e, base));
        }
        for e in &self.scale_down_events.0 {
            let _ = state.scale_down_events.push(event(e, base));
        }
        for c in &self.conditions.0 {
            state.conditions.set(
                pick(CONDITION_TYPES, c.kind),
                pick(CONDITION_STATUSES, c.status),
                pick(REASONS, c.reason),
                c.time.at(base),
            );
        }
        state.desired_replicas = self.desired_replicas.get();
        state.last_scale_time_ms = self.last_scale_time.map(|t| t.at(base));
        state
    }
}

fn event(e: &EventIn, base: i64) -> ScaleEvent {
    ScaleEvent {
        replica_change: e.change.get(),
        timestamp_ms: e.time.at(base),
        outdated: e.outdated,
    }
}

// ---------------------------------------------------------------------------------------------
// Observation
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Arbitrary)]
struct AmountIn {
    resource: Name,
    milli: I64In,
}

impl AmountIn {
    fn get(&self) -> ResourceAmount<'_> {
        ResourceAmount::new(self.resource.get(RESOURCES), self.milli.get())
    }
}

#[derive(Debug, Clone, Arbitrary)]
struct ContainerIn {
    name: Name,
    kind: u8,
    requests: Bounded<AmountIn, 3>,
}

#[derive(Debug, Clone, Arbitrary)]
struct PodIn {
    name: Name,
    phase: u8,
    deleting: bool,
    start_time: Option<TimeIn>,
    ready: Option<(u8, TimeIn)>,
    containers: Bounded<ContainerIn, 4>,
    pod_requests: Option<Bounded<AmountIn, 3>>,
    /// spec.overhead; it counts only with pod-level requests.
    overhead: Option<Bounded<AmountIn, 3>>,
}

#[derive(Debug, Clone, Arbitrary)]
struct ContainerUsageIn {
    name: Name,
    usage: Bounded<AmountIn, 3>,
}

/// One sample, read as a PodMetrics item (Resource data), a custom metric value (Pods), or a
/// value of an Object or External metric, depending on the data's kind.
#[derive(Debug, Clone, Arbitrary)]
struct SampleIn {
    pod: Name,
    value: I64In,
    timestamp: TimeIn,
    window_ms: I64In,
    containers: Bounded<ContainerUsageIn, 4>,
}

/// The data of one metric: `kind` mod 8 is 3 Unavailable, 4 to 7 Resource, Pods, Object or
/// External whatever the metric is (often mismatched), else the kind the metric expects.
#[derive(Debug, Clone, Arbitrary)]
struct MetricDataIn {
    kind: u8,
    samples: Bounded<SampleIn, 64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum DataKind {
    Unavailable,
    Resource,
    Pods,
    Object,
    External,
}

impl MetricDataIn {
    fn kind(&self, metric: Option<&MetricSpec<'_>>) -> DataKind {
        match self.kind % 8 {
            3 => DataKind::Unavailable,
            4 => DataKind::Resource,
            5 => DataKind::Pods,
            6 => DataKind::Object,
            7 => DataKind::External,
            _ => match metric {
                Some(MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. }) => {
                    DataKind::Resource
                }
                Some(MetricSpec::Pods { .. }) => DataKind::Pods,
                Some(MetricSpec::Object { .. }) => DataKind::Object,
                Some(MetricSpec::External { .. }) => DataKind::External,
                Some(MetricSpec::Unknown { .. }) | None => DataKind::Unavailable,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum StepIn {
    SyncPeriod,
    Seconds(u16),
    Ms(u32),
}

impl StepIn {
    fn get(self) -> i64 {
        match self {
            Self::SyncPeriod => 15_000,
            Self::Seconds(s) => i64::from(s) * 1000,
            Self::Ms(ms) => i64::from(ms),
        }
    }
}

#[derive(Debug, Clone, Arbitrary)]
struct SyncIn {
    step: StepIn,
    /// 1 mod 16: the scale subresource could not be read this sync.
    read: u8,
    spec_replicas: ReplicasIn,
    status_replicas: Option<ReplicasIn>,
    /// Valid unless 1 (Invalid) or 2 (Ambiguous) mod 16.
    selector: u8,
    pods: Bounded<PodIn, 64>,
    metrics: Bounded<MetricDataIn, 8>,
    /// 1 mod 16: keep the data list's own length instead of fitting it to `spec.metrics`.
    data_len: u8,
    written: bool,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum NowIn {
    Typical(u32),
    Zero,
    Any(I64In),
}

#[derive(Debug, Clone, Arbitrary)]
struct Input {
    small_state: bool,
    now: NowIn,
    config: ConfigIn,
    spec: SpecIn,
    state: StateIn,
    first: SyncIn,
    more: Bounded<SyncIn, 3>,
}

// ---------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------

fuzz_target!(|input: Input| {
    if input.small_state {
        run::<4, 2>(&input);
    } else {
        run::<256, 128>(&input);
    }
});

fn build_spec(input: &SpecIn) -> HpaSpec<'_> {
    let mut spec = HpaSpec {
        min_replicas: input.min_replicas.map(ReplicasIn::min),
        max_replicas: input.max_replicas.at_least_one(),
        metrics: Default::default(),
        behavior: input.behavior.as_ref().map(|(up, down)| Behavior {
            scale_up: up.as_ref().map(RulesIn::get),
            scale_down: down.as_ref().map(RulesIn::get),
        }),
    };
    let metrics = core::iter::once(&input.first_metric).chain(&input.more_metrics.0);
    for m in metrics.filter(|_| input.no_metrics % 32 != 1) {
        // At most 8 of MAX_METRICS = 16.
        assert!(spec.metrics.push(m.get()).is_ok(), "at most MAX_METRICS");
    }
    spec
}

fn run<const R: usize, const E: usize>(input: &Input) {
    let base = match input.now {
        NowIn::Typical(x) => 1_700_000_000_000 + i64::from(x),
        NowIn::Zero => 0,
        NowIn::Any(v) => v.get(),
    };
    let config = input.config.get();
    let spec = build_spec(&input.spec);
    let mut state: HpaState<R, E> = input.state.get(base);
    let mut now = base;
    for (index, s) in core::iter::once(&input.first)
        .chain(&input.more.0)
        .enumerate()
    {
        if index > 0 {
            now = now.saturating_add(s.step.get());
        }
        if s.read % 16 == 1 && index > 0 {
            let before = state.clone();
            state.scale_read_failed(now);
            let c = state.conditions.get(ConditionType::AbleToScale);
            assert!(c.is_some_and(|c| c.status == ConditionStatus::False
                && c.reason == ConditionReason::FailedGetScale));
            assert_eq!(state.recommendations, before.recommendations);
            assert_eq!(state.desired_replicas, before.desired_replicas);
            continue;
        }

        // Layer by layer, since every borrowed type points into the one below.
        let container_requests: Vec<Vec<Vec<ResourceAmount<'_>>>> = s
            .pods
            .0
            .iter()
            .map(|p| {
                p.containers
                    .0
                    .iter()
                    .map(|c| c.requests.0.iter().map(AmountIn::get).collect())
                    .collect()
            })
            .collect();
        let pod_requests: Vec<Option<Vec<ResourceAmount<'_>>>> = s
            .pods
            .0
            .iter()
            .map(|p| {
                p.pod_requests
                    .as_ref()
                    .map(|r| r.0.iter().map(AmountIn::get).collect())
            })
            .collect();
        let overheads: Vec<Option<Vec<ResourceAmount<'_>>>> = s
            .pods
            .0
            .iter()
            .map(|p| {
                p.overhead
                    .as_ref()
                    .map(|r| r.0.iter().map(AmountIn::get).collect())
            })
            .collect();
        let containers: Vec<Vec<Container<'_>>> = s
            .pods
            .0
            .iter()
            .zip(&container_requests)
            .map(|(p, requests)| {
                p.containers
                    .0
                    .iter()
                    .zip(requests)
                    .map(|(c, r)| Container {
                        name: c.name.get(CONTAINERS),
                        kind: pick(
                            &[
                                ContainerKind::Regular,
                                ContainerKind::Regular,
                                ContainerKind::Sidecar,
                                ContainerKind::Init,
                            ],
                            c.kind,
                        ),
                        requests: r,
                    })
                    .collect()
            })
            .collect();
        let pods: Vec<Pod<'_>> = s
            .pods
            .0
            .iter()
            .zip(&containers)
            .zip(&pod_requests)
            .zip(&overheads)
            .map(|(((p, c), r), o)| Pod {
                name: p.name.get(POD_NAMES),
                phase: pick(
                    &[
                        PodPhase::Running,
                        PodPhase::Running,
                        PodPhase::Pending,
                        PodPhase::Succeeded,
                        PodPhase::Failed,
                        PodPhase::Unknown,
                    ],
                    p.phase,
                ),
                deleting: p.deleting,
                start_time_ms: p.start_time.map(|t| t.at(base)),
                ready: p.ready.map(|(status, t)| ReadyCondition {
                    status: pick(CONDITION_STATUSES, status),
                    last_transition_time_ms: t.at(base),
                }),
                containers: c,
                pod_requests: r.as_deref(),
                overhead: o.as_deref(),
            })
            .collect();

        // Fitted to `spec.metrics` by cycling through the entries given, unless kept as is.
        let unavailable = MetricDataIn {
            kind: 3,
            samples: Bounded(Vec::new()),
        };
        let given = &s.metrics.0;
        let data_in: Vec<(&MetricDataIn, DataKind)> = if s.data_len % 16 == 1 {
            given.iter().collect::<Vec<_>>()
        } else {
            (0..spec.metrics.len())
                .map(|i| given.get(i % given.len().max(1)).unwrap_or(&unavailable))
                .collect()
        }
        .into_iter()
        .enumerate()
        .map(|(i, d)| (d, d.kind(spec.metrics.get(i))))
        .collect();
        let usage_amounts: Vec<Vec<Vec<Vec<ResourceAmount<'_>>>>> = data_in
            .iter()
            .map(|(d, _)| {
                d.samples
                    .0
                    .iter()
                    .map(|item| {
                        item.containers
                            .0
                            .iter()
                            .map(|c| c.usage.0.iter().map(AmountIn::get).collect())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let usages: Vec<Vec<Vec<ContainerUsage<'_>>>> = data_in
            .iter()
            .zip(&usage_amounts)
            .map(|((d, _), amounts)| {
                d.samples
                    .0
                    .iter()
                    .zip(amounts)
                    .map(|(item, amounts)| {
                        item.containers
                            .0
                            .iter()
                            .zip(amounts)
                            .map(|(c, a)| ContainerUsage::new(c.name.get(CONTAINERS), a))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let resource_items: Vec<Vec<PodResourceMetrics<'_>>> = data_in
            .iter()
            .zip(&usages)
            .map(|((d, _), usages)| {
                d.samples
                    .0
                    .iter()
                    .zip(usages)
                    .map(|(item, u)| PodResourceMetrics {
                        pod: item.pod.get(POD_NAMES),
                        timestamp_ms: item.timestamp.at(base),
                        window_ms: item.window_ms.get(),
                        containers: u,
                    })
                    .collect()
            })
            .collect();
        let pod_samples: Vec<Vec<PodMetricSample<'_>>> = data_in
            .iter()
            .map(|(d, _)| {
                d.samples
                    .0
                    .iter()
                    .map(|item| PodMetricSample {
                        pod: item.pod.get(POD_NAMES),
                        value_milli: item.value.get(),
                        timestamp_ms: item.timestamp.at(base),
                        window_ms: item.window_ms.get(),
                    })
                    .collect()
            })
            .collect();
        let values: Vec<Vec<i64>> = data_in
            .iter()
            .map(|(d, _)| d.samples.0.iter().map(|item| item.value.get()).collect())
            .collect();
        let data: Vec<MetricData<'_>> = data_in
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| match kind {
                DataKind::Resource => MetricData::Resource(&resource_items[i]),
                DataKind::Pods => MetricData::Pods(&pod_samples[i]),
                DataKind::Object => MetricData::Object(values[i].first().copied().unwrap_or(0)),
                DataKind::External => MetricData::External(&values[i]),
                DataKind::Unavailable => MetricData::Unavailable,
            })
            .collect();

        let spec_replicas = s.spec_replicas.at_least_one();
        let observation = Observation {
            spec_replicas,
            status_replicas: s.status_replicas.map_or(spec_replicas, ReplicasIn::get),
            selector: match s.selector % 16 {
                1 => SelectorState::Invalid,
                2 => SelectorState::Ambiguous,
                _ => SelectorState::Valid,
            },
            pods: &pods,
            metrics: &data,
        };
        check_sync(&spec, &config, &mut state, &observation, now, s.written);
    }
}

/// One sync, `decide` then `complete_rescale`, with every invariant that holds for any input.
fn check_sync<const R: usize, const E: usize>(
    spec: &HpaSpec<'_>,
    config: &ControllerConfig,
    state: &mut HpaState<R, E>,
    observation: &Observation<'_>,
    now: i64,
    written: bool,
) {
    let before = state.clone();
    let result = decide(spec, config, state, observation, now);

    // Determinism, and `sync` is `decide` + `complete_rescale(written: true)`.
    let mut via_sync = before.clone();
    let synced = sync(spec, config, &mut via_sync, observation, now);
    match (&result, &synced) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "decide and sync decided differently"),
        (Err(a), Err(b)) => assert_eq!(a, b, "decide and sync failed differently"),
        _ => panic!("decide gave {result:?} but sync gave {synced:?}"),
    }

    let decision = match result {
        Err(error) => {
            assert_eq!(
                *state, before,
                "decide failed with {error:?} but changed the state"
            );
            return;
        }
        Ok(decision) => decision,
    };
    check_decision(spec, config, &before, state, observation, &decision);

    let decided = state.clone();
    let completed = state.complete_rescale(spec, config, &decision, written, now);
    assert!(
        completed.is_ok(),
        "complete_rescale right after a successful decide failed: {completed:?}"
    );
    if !decision.rescale {
        assert_eq!(
            *state, decided,
            "complete_rescale without a rescale changed the state"
        );
    } else if written {
        assert_eq!(state.desired_replicas, decision.desired_replicas);
        assert_eq!(state.last_scale_time_ms, Some(now));
        let able = state.conditions.get(ConditionType::AbleToScale);
        assert!(
            able.is_some_and(|c| c.status == ConditionStatus::True
                && c.reason == ConditionReason::SucceededRescale)
        );
        assert_eq!(state.recommendations, decided.recommendations);
        let (current, desired) = (decision.current_replicas, decision.desired_replicas);
        if spec.behavior.is_some() {
            let (events, change) = if desired > current {
                (&state.scale_up_events, desired.saturating_sub(current))
            } else {
                (&state.scale_down_events, current.saturating_sub(desired))
            };
            assert!(
                events
                    .iter()
                    .any(|e| e.timestamp_ms == now && !e.outdated && e.replica_change == change),
                "the rescale was not recorded as a scale event"
            );
        } else {
            assert_eq!(state.scale_up_events, decided.scale_up_events);
            assert_eq!(state.scale_down_events, decided.scale_down_events);
        }
        assert_eq!(
            *state, via_sync,
            "decide + complete_rescale(true) differs from sync"
        );
    } else {
        assert_eq!(state.desired_replicas, decided.desired_replicas);
        assert_eq!(state.last_scale_time_ms, decided.last_scale_time_ms);
        assert_eq!(state.recommendations, decided.recommendations);
        assert_eq!(state.scale_up_events, decided.scale_up_events);
        assert_eq!(state.scale_down_events, decided.scale_down_events);
        let able = state.conditions.get(ConditionType::AbleToScale);
        assert!(able.is_some_and(|c| c.status == ConditionStatus::False
            && c.reason == ConditionReason::FailedUpdateScale));
    }
}

/// What a successful `decide` guarantees, read off `decision.rs`.
fn check_decision<const R: usize, const E: usize>(
    spec: &HpaSpec<'_>,
    config: &ControllerConfig,
    before: &HpaState<R, E>,
    after: &HpaState<R, E>,
    observation: &Observation<'_>,
    d: &Decision<'_>,
) {
    let current = observation.spec_replicas;
    let (min, max) = (spec.min_replicas(), spec.max_replicas);
    assert_eq!(d.current_replicas, current);

    // A rescale always changes the size; otherwise the decision is the current count, or the
    // previous desiredReplicas when the controller gave up on the metrics.
    if d.rescale {
        assert_ne!(d.desired_replicas, current, "rescale to the current size");
        assert_eq!(after.desired_replicas, before.desired_replicas);
    } else {
        assert!(
            d.desired_replicas == current || d.desired_replicas == before.desired_replicas,
            "no rescale, yet desired {} is neither current {current} nor the previous {}",
            d.desired_replicas,
            before.desired_replicas
        );
        assert_eq!(after.desired_replicas, d.desired_replicas);
    }

    // `decide` records a recommendation and conditions, nothing else.
    assert_eq!(after.scale_up_events, before.scale_up_events);
    assert_eq!(after.scale_down_events, before.scale_down_events);
    assert_eq!(after.last_scale_time_ms, before.last_scale_time_ms);
    // The history is seeded when absent, never shrinks and grows by at most one entry.
    let history = after.recommendations.as_ref().map(|h| h.len());
    let previous = before.recommendations.as_ref().map(|h| h.len());
    let floor = previous.unwrap_or(1);
    assert!(
        history.is_some_and(|len| floor <= len && len <= floor + 1 && len <= R),
        "history went from {previous:?} to {history:?}"
    );
    assert!(after.conditions.get(ConditionType::AbleToScale).is_some());

    // Metrics are evaluated all or not at all.
    assert!(d.metrics.is_empty() || d.metrics.len() == spec.metrics.len());
    if d.metric_replicas.is_some() {
        assert_eq!(d.metrics.len(), spec.metrics.len());
        assert!(d.metrics.iter().any(Result::is_ok));
    }

    // Outside the bounds the count goes straight to the bound.
    if current != 0 && current > max {
        assert!(d.rescale && d.desired_replicas == max && d.metrics.is_empty());
    } else if current != 0 && current < min {
        assert!(d.rescale && d.desired_replicas == min && d.metrics.is_empty());
    }

    // From within [min, max] (or from zero with minReplicas >= 1), a count computed from the
    // metrics stays within [min, max]:
    // - with behavior, stabilization lands between current and the proposal, and the rate
    //   limits only move toward current, capped by max going up and floored by min going down;
    // - without, the result is at most max; it is at least min unless the legacy scale-up
    //   limit max(factor * current, minimum) can fall below min, which a factor >= 1 and a
    //   minimum >= 0 rule out;
    // - from zero with minReplicas >= 1, the count is raised to minReplicas.
    let computed = d.metric_replicas.is_some();
    let from_zero = current == 0 && min > 0;
    if computed && min <= max && ((min <= current && current <= max) || from_zero) {
        assert!(
            d.desired_replicas <= max,
            "desired {} above maxReplicas {max} (current {current})",
            d.desired_replicas
        );
        let floor_holds = spec.behavior.is_some()
            || from_zero
            || (config.scale_up_limit_factor >= 1.0 && config.scale_up_limit_minimum >= 0.0);
        if floor_holds {
            assert!(
                d.desired_replicas >= min,
                "desired {} below minReplicas {min} (current {current})",
                d.desired_replicas
            );
        }
    }
}
