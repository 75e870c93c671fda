//! One metric through the replica calculator, every metric kind [ReplicaCalculator.Get*Replicas].
//!
//! # What the generator covers
//!
//! 0 to 50 pods (0 for upstream's "no pods" error), each Running, Pending, Failed, Succeeded
//! or Unknown, some being deleted, with or without a start time and a Ready condition (True, False,
//! Unknown) whose ages sit around the CPU initialization period (300 s) and the initial
//! readiness delay (30 s); one to three containers (regular, sidecar or plain init), each with
//! or without CPU and memory requests (a missing request is upstream's error), sometimes
//! pod-level requests, and sometimes a pod overhead (`spec.overhead`, which counts only with
//! pod-level requests). Resource samples for most pods (a pod without one is "missing"), with
//! containers lacking usage, samples without containers, and samples for pods not in the list;
//! custom per-pod samples with and without a window; an object value; 0 to 5 external values.
//! Resource or ContainerResource (named, absent or sidecar container) on cpu or memory,
//! Utilization and AverageValue targets, Pods, Object and External Value and AverageValue.
//! Replica counts from 0; tolerances the default 0.1 or per direction from 0 to 1.
//!
//! **Succeeded pods** go to the harness as Failed ([`PodCase::phase`]): podscale follows the
//! newer upstream, PR #141302 (kubernetes/kubernetes), in which groupPods ignores a Succeeded
//! pod on exactly the branch that ignores a Failed one, and no release has it yet (v1.37.2,
//! the harness's, ignores only Failed). Everywhere else on the replica calculator's path the
//! phase matters only as "is it Running" (getReadyPodsCount counts Running and Ready pods),
//! which is false for both, so v1.37.2 fed Failed computes exactly what the newer code computes
//! for Succeeded, and the newer rule is checked against the real code.
//!
//! # What it leaves out, and why
//!
//! - **Non-positive targets.** API validation rejects them, and upstream then divides by zero
//!   and converts the resulting infinity or NaN to int32, which Go leaves
//!   implementation-defined; podscale returns an error instead.
//! - **Proposals beyond int32, sums beyond int64.** Go's float-to-int32 conversion of an
//!   out-of-range value is implementation-defined, and its int64 sums wrap: samples, requests
//!   and values are bounded so that every sum stays far below `i64::MAX` and every proposal
//!   inside int32 (requests are 0 or at least 100 m so a utilization cannot explode). The
//!   external sum's own saturation at `i64::MAX` is still exercised, with a nonzero replica
//!   count, where upstream clamps the proposal.
//! - **The per-pod usage with 0 status replicas** (Object and External AverageValue) is not
//!   compared: v1.37.2 converts `ceil(usage / 0)` to int64 (implementation-defined), where
//!   newer upstream and podscale report 0. The replica proposal is compared.

use podscale::hpa::{
    ConditionStatus, Container, ContainerKind, ContainerUsage, Pod, PodMetricSample, PodPhase,
    PodResourceMetrics, ReadinessPeriods, ReadyCondition, ReplicaCalculator, ResourceAmount,
    ResourceName, Tolerances,
};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::{NOW_MS, from_upstream, instant_ms};
use crate::{Harness, Verdict};

/// Which upstream method, hence which podscale function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Function {
    /// GetResourceReplicas: Resource or ContainerResource, Utilization target.
    ResourceUtilization,
    /// GetRawResourceReplicas: Resource or ContainerResource, AverageValue target.
    ResourceAverageValue,
    /// GetMetricReplicas: Pods metric.
    Pods,
    /// GetObjectMetricReplicas: Object, Value target.
    ObjectValue,
    /// GetObjectPerPodMetricReplicas: Object, AverageValue target.
    ObjectAverageValue,
    /// GetExternalMetricReplicas: External, Value target.
    ExternalValue,
    /// GetExternalPerPodMetricReplicas: External, AverageValue target.
    ExternalAverageValue,
}

impl Function {
    const fn per_pod(self) -> bool {
        matches!(self, Self::ObjectAverageValue | Self::ExternalAverageValue)
    }
}

/// Requests or usage, milli-units; `None` is "not listed".
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Amounts {
    /// CPU.
    pub cpu: Option<i64>,
    /// Memory.
    pub memory: Option<i64>,
}

impl Amounts {
    fn to_core(self) -> Vec<ResourceAmount<'static>> {
        let mut out = Vec::new();
        if let Some(cpu) = self.cpu {
            out.push(ResourceAmount::cpu(cpu));
        }
        if let Some(memory) = self.memory {
            out.push(ResourceAmount::memory(memory));
        }
        out
    }
}

/// A container of a pod.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerCase {
    /// Unique within the pod.
    pub name: String,
    /// `Regular`, `Sidecar` (an init container with restartPolicy Always) or `Init`.
    pub kind: &'static str,
    /// Its requests.
    pub requests: Amounts,
}

/// The Ready condition.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ReadyCase {
    /// `True`, `False` or `Unknown`.
    pub status: &'static str,
    /// Age of its lastTransitionTime, seconds.
    pub age_s: i64,
}

/// A pod of the target.
#[derive(Debug, Clone, Serialize)]
pub struct PodCase {
    /// Unique.
    pub name: String,
    /// `Running`, `Pending`, `Failed`, `Succeeded` or `Unknown`; a Succeeded pod is sent to the
    /// harness as Failed (see the module doc and [`phase_in_v1_37`]).
    #[serde(serialize_with = "phase_in_v1_37")]
    pub phase: &'static str,
    /// Has a deletionTimestamp.
    pub deleting: bool,
    /// Age of status.startTime, seconds; `None` for no start time.
    pub start_age_s: Option<i64>,
    /// The Ready condition, if any.
    pub ready: Option<ReadyCase>,
    /// Containers, in order (init containers in their own order among themselves).
    pub containers: Vec<ContainerCase>,
    /// Pod-level requests (`spec.resources.requests`), if set.
    pub pod_requests: Option<Amounts>,
    /// The pod overhead (`spec.overhead`), if set.
    pub overhead: Option<Amounts>,
}

/// The phase v1.37.2 must see for `phase` to decide as upstream with PR #141302 does
/// (kubernetes/kubernetes#141302, "ignore Succeeded pods in the HPA"): that change adds
/// Succeeded to groupPods' `DeletionTimestamp != nil || Phase == Failed` branch and changes
/// nothing else, and the only other phase test on the path (getReadyPodsCount's
/// `Phase == Running`) is false for both phases. So Succeeded travels as Failed.
fn phase_in_v1_37<S: serde::Serializer>(phase: &&'static str, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(if *phase == "Succeeded" {
        "Failed"
    } else {
        phase
    })
}

/// A container's usage in a resource sample.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerUsageCase {
    /// Container name.
    pub name: String,
    /// Its usage.
    pub usage: Amounts,
}

/// One item of the resource metrics API.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceEntry {
    /// Pod name (possibly of no listed pod).
    pub pod: String,
    /// Age of the sample's timestamp, seconds.
    pub age_s: i64,
    /// The sample's window, seconds.
    pub window_s: i64,
    /// Per-container usage.
    pub containers: Vec<ContainerUsageCase>,
}

/// One item of the custom metrics API for a pod.
#[derive(Debug, Clone, Serialize)]
pub struct PodSampleCase {
    /// Pod name (possibly of no listed pod).
    pub pod: String,
    /// Value, milli-units.
    pub value_milli: i64,
    /// Age of the sample's timestamp, seconds.
    pub age_s: i64,
    /// windowSeconds, if set (upstream then assumes 60 s).
    pub window_s: Option<i64>,
}

/// One replica calculation.
#[derive(Debug, Clone, Serialize)]
pub struct ReplicaCase {
    /// The method.
    pub function: Function,
    /// currentReplicas, or statusReplicas for the two per-pod functions.
    pub replicas: i32,
    /// Percent for Utilization, milli-units otherwise.
    pub target: i64,
    /// `cpu` or `memory` (resource functions).
    pub resource: &'static str,
    /// ContainerResource's container; empty for a Resource metric.
    pub container: String,
    /// Scale-down tolerance.
    pub tolerance_down: f64,
    /// Scale-up tolerance.
    pub tolerance_up: f64,
    /// The pods the selector lists.
    pub pods: Vec<PodCase>,
    /// Resource metrics API items.
    pub resource_metrics: Vec<ResourceEntry>,
    /// Custom metrics API items.
    pub pod_metrics: Vec<PodSampleCase>,
    /// The object metric's value.
    pub object_value_milli: i64,
    /// The external metric's values.
    pub external_values_milli: Vec<i64>,
}

/// An answer, from either side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Answer {
    error: bool,
    replicas: i32,
    utilization: i32,
    usage_milli: i64,
    /// Upstream's error text (not compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl Answer {
    const fn error() -> Self {
        Self {
            error: true,
            replicas: 0,
            utilization: 0,
            usage_milli: 0,
            message: None,
        }
    }

    const fn value(replicas: i32, usage_milli: i64) -> Self {
        Self {
            error: false,
            replicas,
            utilization: 0,
            usage_milli,
            message: None,
        }
    }

    /// Whether the two agree on what `function` compares.
    fn agrees(&self, upstream: &Self, case: &ReplicaCase) -> bool {
        if self.error || upstream.error {
            return self.error == upstream.error;
        }
        let usage_defined = !(case.function.per_pod() && case.replicas == 0);
        self.replicas == upstream.replicas
            && self.utilization == upstream.utilization
            && (!usage_defined || self.usage_milli == upstream.usage_milli)
    }
}

/// Runs `case` on both sides.
pub(crate) fn check(case: &ReplicaCase, harness: &mut Harness) -> Result<(), Verdict> {
    let podscale = podscale_answer(case);
    let upstream: Answer = from_upstream("hpa_replicas", harness.ask("hpa_replicas", case)?)?;
    if podscale.agrees(&upstream, case) {
        Ok(())
    } else {
        Err(Verdict::disagree(&podscale, &upstream))
    }
}

fn phase(name: &str) -> PodPhase {
    match name {
        "Pending" => PodPhase::Pending,
        "Failed" => PodPhase::Failed,
        "Succeeded" => PodPhase::Succeeded,
        "Unknown" => PodPhase::Unknown,
        _ => PodPhase::Running,
    }
}

fn condition_status(name: &str) -> ConditionStatus {
    match name {
        "True" => ConditionStatus::True,
        "False" => ConditionStatus::False,
        _ => ConditionStatus::Unknown,
    }
}

fn container_kind(name: &str) -> ContainerKind {
    match name {
        "Sidecar" => ContainerKind::Sidecar,
        "Init" => ContainerKind::Init,
        _ => ContainerKind::Regular,
    }
}

/// podscale's answer to `case`.
fn podscale_answer(case: &ReplicaCase) -> Answer {
    // The core borrows everything: build the owned layers first, innermost out.
    let requests: Vec<Vec<Vec<ResourceAmount<'_>>>> = case
        .pods
        .iter()
        .map(|p| p.containers.iter().map(|c| c.requests.to_core()).collect())
        .collect();
    let pod_requests: Vec<Option<Vec<ResourceAmount<'_>>>> = case
        .pods
        .iter()
        .map(|p| p.pod_requests.map(Amounts::to_core))
        .collect();
    let overheads: Vec<Option<Vec<ResourceAmount<'_>>>> = case
        .pods
        .iter()
        .map(|p| p.overhead.map(Amounts::to_core))
        .collect();
    let containers: Vec<Vec<Container<'_>>> = case
        .pods
        .iter()
        .zip(&requests)
        .map(|(p, requests)| {
            p.containers
                .iter()
                .zip(requests)
                .map(|(c, r)| Container {
                    name: &c.name,
                    kind: container_kind(c.kind),
                    requests: r,
                })
                .collect()
        })
        .collect();
    let pods: Vec<Pod<'_>> = case
        .pods
        .iter()
        .zip(&containers)
        .zip(&pod_requests)
        .zip(&overheads)
        .map(|(((p, containers), pod_requests), overhead)| Pod {
            name: &p.name,
            phase: phase(p.phase),
            deleting: p.deleting,
            start_time_ms: p.start_age_s.map(instant_ms),
            ready: p.ready.map(|r| ReadyCondition {
                status: condition_status(r.status),
                last_transition_time_ms: instant_ms(r.age_s),
            }),
            containers,
            pod_requests: pod_requests.as_deref(),
            overhead: overhead.as_deref(),
        })
        .collect();
    let usages: Vec<Vec<Vec<ResourceAmount<'_>>>> = case
        .resource_metrics
        .iter()
        .map(|e| e.containers.iter().map(|c| c.usage.to_core()).collect())
        .collect();
    let container_usages: Vec<Vec<ContainerUsage<'_>>> = case
        .resource_metrics
        .iter()
        .zip(&usages)
        .map(|(e, usages)| {
            e.containers
                .iter()
                .zip(usages)
                .map(|(c, u)| ContainerUsage::new(&c.name, u))
                .collect()
        })
        .collect();
    let resource_samples: Vec<PodResourceMetrics<'_>> = case
        .resource_metrics
        .iter()
        .zip(&container_usages)
        .map(|(e, c)| PodResourceMetrics::new(&e.pod, instant_ms(e.age_s), e.window_s * 1000, c))
        .collect();
    let pod_samples: Vec<PodMetricSample<'_>> = case
        .pod_metrics
        .iter()
        .map(|s| PodMetricSample {
            pod: &s.pod,
            value_milli: s.value_milli,
            timestamp_ms: instant_ms(s.age_s),
            // getRawMetric's default window for samples without windowSeconds.
            window_ms: s.window_s.unwrap_or(60) * 1000,
        })
        .collect();

    let calc = ReplicaCalculator {
        tolerances: Tolerances {
            scale_down: case.tolerance_down,
            scale_up: case.tolerance_up,
        },
        readiness: ReadinessPeriods::default(),
        // PodLevelResources is beta and on in v1.37.
        pod_level_resources: true,
    };
    let resource = ResourceName::from(case.resource);
    let container = (!case.container.is_empty()).then_some(case.container.as_str());
    let value = |p: Result<podscale::hpa::ValueProposal, _>| {
        p.map_or_else(
            |_| Answer::error(),
            |p| Answer::value(p.replicas, p.usage_milli),
        )
    };
    match case.function {
        Function::ResourceUtilization => calc
            .resource_utilization_replicas(
                case.replicas,
                // Targets are generated in int32 range (percent).
                case.target as i32,
                resource,
                container,
                &pods,
                &resource_samples,
                NOW_MS,
            )
            .map_or_else(
                |_| Answer::error(),
                |p| Answer {
                    utilization: p.utilization,
                    ..Answer::value(p.replicas, p.raw_average_milli)
                },
            ),
        Function::ResourceAverageValue => value(calc.resource_average_value_replicas(
            case.replicas,
            case.target,
            resource,
            container,
            &pods,
            &resource_samples,
            NOW_MS,
        )),
        Function::Pods => value(calc.pods_metric_replicas(
            case.replicas,
            case.target,
            "m",
            &pods,
            &pod_samples,
            NOW_MS,
        )),
        Function::ObjectValue => value(calc.object_value_replicas(
            case.replicas,
            case.target,
            case.object_value_milli,
            &pods,
        )),
        Function::ObjectAverageValue => value(calc.object_average_value_replicas(
            case.replicas,
            case.target,
            case.object_value_milli,
        )),
        Function::ExternalValue => value(calc.external_value_replicas(
            case.replicas,
            case.target,
            &case.external_values_milli,
            "m",
            &pods,
        )),
        Function::ExternalAverageValue => value(calc.external_average_value_replicas(
            case.replicas,
            case.target,
            &case.external_values_milli,
            "m",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Generators.

/// Ages (seconds) near the boundaries that matter: the CPU initialization period (300 s), the
/// initial readiness delay (30 s), sample windows; and anything up to an hour.
fn age_s() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => prop::sample::select(vec![0i64, 1, 15, 29, 30, 31, 59, 60, 61, 269, 270, 299, 300, 301, 330, 331]),
        2 => 0i64..3600,
    ]
}

/// A request: 0 or at least 100 m (see the module doc: no exploding utilization).
fn request_milli() -> impl Strategy<Value = i64> + Clone {
    prop_oneof![1 => Just(0i64), 12 => 100i64..=4000]
}

/// CPU and memory amounts, each unlisted with probability `unlisted`.
fn amounts(
    value: impl Strategy<Value = i64> + Clone,
    unlisted: f64,
) -> impl Strategy<Value = Amounts> {
    // proptest's weighted options refuse a probability of exactly 1: draw the odds instead.
    (value.clone(), value, 0.0f64..1.0, 0.0f64..1.0).prop_map(move |(cpu, memory, a, b)| Amounts {
        cpu: (a >= unlisted).then_some(cpu),
        memory: (b >= unlisted).then_some(memory),
    })
}

/// How often a request or a usage is left out, per case: a pod without a request fails the
/// whole calculation, so most cases leave none out.
fn unlisted_rate() -> impl Strategy<Value = f64> {
    prop_oneof![6 => Just(0.0), 2 => Just(0.01), 1 => Just(0.1)]
}

fn container_kind_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![8 => Just("Regular"), 1 => Just("Sidecar"), 1 => Just("Init")]
}

fn pod(index: usize, unlisted: f64) -> impl Strategy<Value = PodCase> {
    let phase = prop_oneof![
        12 => Just("Running"),
        2 => Just("Pending"),
        1 => Just("Failed"),
        1 => Just("Succeeded"),
        1 => Just("Unknown"),
    ];
    let ready = (
        prop_oneof![6 => Just("True"), 2 => Just("False"), 1 => Just("Unknown")],
        age_s(),
    )
        .prop_map(|(status, age_s)| ReadyCase { status, age_s });
    // The first container is a regular one, as every pod has one.
    let containers = (
        amounts(request_milli(), unlisted),
        prop::collection::vec(
            (container_kind_name(), amounts(request_milli(), unlisted)),
            0..=2,
        ),
    )
        .prop_map(|(first, more)| {
            let mut out = vec![ContainerCase {
                name: "c0".into(),
                kind: "Regular",
                requests: first,
            }];
            for (i, (kind, requests)) in more.into_iter().enumerate() {
                out.push(ContainerCase {
                    name: format!("c{}", i + 1),
                    kind,
                    requests,
                });
            }
            out
        });
    (
        phase,
        prop::bool::weighted(0.08),
        prop::option::weighted(0.93, age_s()),
        prop::option::weighted(0.93, ready),
        containers,
        prop::option::weighted(0.12, amounts(prop_oneof![Just(0i64), 100i64..=8000], 0.5)),
        // Overheads, like requests, are 0 or at least 100 m, so a request plus an overhead is too.
        prop::option::weighted(0.2, amounts(request_milli(), 0.3)),
    )
        .prop_map(
            move |(phase, deleting, start_age_s, ready, containers, pod_requests, overhead)| {
                PodCase {
                    name: format!("p{index:02}"),
                    phase,
                    deleting,
                    start_age_s,
                    ready,
                    containers,
                    pod_requests,
                    overhead,
                }
            },
        )
}

/// A usage amount for one container: at most 20 cores' worth, so sums stay small.
fn usage_milli() -> impl Strategy<Value = i64> + Clone {
    0i64..=20_000
}

fn resource_entry(
    pod: String,
    containers: Vec<String>,
    unlisted: f64,
) -> impl Strategy<Value = ResourceEntry> {
    let n = containers.len();
    (
        age_s(),
        prop::sample::select(vec![15i64, 30, 60]),
        prop::collection::vec(amounts(usage_milli(), unlisted), n..=n),
        // Rarely: no containers at all (upstream drops such a pod).
        prop::bool::weighted(0.03),
    )
        .prop_map(move |(age_s, window_s, usages, empty)| ResourceEntry {
            pod: pod.clone(),
            age_s,
            window_s,
            containers: if empty {
                Vec::new()
            } else {
                containers
                    .iter()
                    .zip(usages)
                    .map(|(name, usage)| ContainerUsageCase {
                        name: name.clone(),
                        usage,
                    })
                    .collect()
            },
        })
}

fn pod_sample(pod: String) -> impl Strategy<Value = PodSampleCase> {
    (
        prop_oneof![1 => -1000i64..0, 20 => 0i64..=10_000_000],
        age_s(),
        prop::option::weighted(0.7, prop::sample::select(vec![15i64, 30, 60, 120])),
    )
        .prop_map(move |(value_milli, age_s, window_s)| PodSampleCase {
            pod: pod.clone(),
            value_milli,
            age_s,
            window_s,
        })
}

/// Which pods have samples (`true`), and how many samples for unlisted pods follow.
fn sample_presence(pods: usize) -> impl Strategy<Value = (Vec<bool>, usize)> {
    (
        prop::collection::vec(prop::bool::weighted(0.85), pods..=pods),
        prop_oneof![8 => Just(0usize), 1 => 1usize..=2],
    )
}

fn samples_for<T: std::fmt::Debug + 'static>(
    pods: &[PodCase],
    presence: &[bool],
    extra: usize,
    make: impl Fn(&PodCase) -> BoxedStrategy<T>,
    make_extra: impl Fn(String) -> BoxedStrategy<T>,
) -> BoxedStrategy<Vec<T>> {
    let mut parts: Vec<BoxedStrategy<T>> = pods
        .iter()
        .zip(presence)
        .filter(|(_, present)| **present)
        .map(|(p, _)| make(p))
        .collect();
    parts.extend((0..extra).map(|i| make_extra(format!("x{i}"))));
    parts.boxed()
}

fn function() -> impl Strategy<Value = Function> {
    prop_oneof![
        4 => Just(Function::ResourceUtilization),
        2 => Just(Function::ResourceAverageValue),
        2 => Just(Function::Pods),
        1 => Just(Function::ObjectValue),
        1 => Just(Function::ObjectAverageValue),
        1 => Just(Function::ExternalValue),
        1 => Just(Function::ExternalAverageValue),
    ]
}

fn tolerances() -> impl Strategy<Value = (f64, f64)> {
    let one = prop_oneof![
        2 => prop::sample::select(vec![0.0, 0.05, 0.1, 0.2, 0.5]),
        1 => 0.0f64..1.0,
    ];
    prop_oneof![2 => Just((0.1, 0.1)), 1 => (one.clone(), one)]
}

fn target(function: Function) -> BoxedStrategy<i64> {
    match function {
        Function::ResourceUtilization => prop_oneof![
            2 => prop::sample::select(vec![50i64, 60, 80, 100, 150]),
            1 => 1i64..=200,
        ]
        .boxed(),
        _ => prop_oneof![
            2 => prop::sample::select(vec![100i64, 500, 1000, 5000]),
            1 => 1i64..=1_000_000,
        ]
        .boxed(),
    }
}

/// External values: mostly moderate (a sum of five stays inside int32 as a ratio over a target
/// of 1 m); with a nonzero replica count, sometimes near `i64::MAX` to reach upstream's
/// saturating sum, where upstream clamps the proposal to int32.
fn external_values(replicas: i32) -> BoxedStrategy<Vec<i64>> {
    let moderate = prop_oneof![1 => -1_000_000i64..0, 10 => 0i64..=400_000_000];
    if replicas == 0 {
        prop::collection::vec(moderate, 0..=5).boxed()
    } else {
        let value = prop_oneof![12 => moderate, 1 => (i64::MAX / 4)..=i64::MAX];
        prop::collection::vec(value, 0..=5).boxed()
    }
}

/// Random valid replica calculations (see the module doc for the bounds and why).
pub(crate) fn cases() -> BoxedStrategy<ReplicaCase> {
    let pods = (
        prop_oneof![1 => Just(0usize), 30 => 1usize..=50],
        unlisted_rate(),
    )
        .prop_flat_map(|(n, unlisted)| {
            let pods: Vec<_> = (0..n).map(|i| pod(i, unlisted)).collect();
            (pods, Just(unlisted))
        });
    (
        function(),
        pods,
        prop_oneof![1 => Just(0i32), 12 => 1i32..=60],
        tolerances(),
        prop_oneof![3 => Just("cpu"), 1 => Just("memory")],
        prop_oneof![
            6 => Just(String::new()),
            2 => Just("c0".to_owned()),
            1 => Just("c1".to_owned()),
            1 => Just("zz".to_owned()),
        ],
    )
        .prop_flat_map(
            |(function, (pods, unlisted), replicas, (down, up), resource, container)| {
                let n = pods.len();
                (
                    Just((
                        function, pods, unlisted, replicas, down, up, resource, container,
                    )),
                    target(function),
                    sample_presence(n),
                    prop_oneof![1 => -1_000_000i64..0, 10 => 0i64..=1_000_000_000],
                    external_values(replicas),
                )
            },
        )
        .prop_flat_map(
            |(
                (function, pods, unlisted, replicas, down, up, resource, container),
                target,
                (presence, extra),
                object,
                external,
            )| {
                let resource_metrics = match function {
                    Function::ResourceUtilization | Function::ResourceAverageValue => samples_for(
                        &pods,
                        &presence,
                        extra,
                        |p| {
                            let names = p
                                .containers
                                .iter()
                                .filter(|c| c.kind != "Init")
                                .map(|c| c.name.clone())
                                .collect();
                            resource_entry(p.name.clone(), names, unlisted).boxed()
                        },
                        move |name| resource_entry(name, vec!["c0".into()], unlisted).boxed(),
                    ),
                    _ => Just(Vec::new()).boxed(),
                };
                let pod_metrics = match function {
                    Function::Pods => samples_for(
                        &pods,
                        &presence,
                        extra,
                        |p| pod_sample(p.name.clone()).boxed(),
                        |name| pod_sample(name).boxed(),
                    ),
                    _ => Just(Vec::new()).boxed(),
                };
                let resource_fn = matches!(
                    function,
                    Function::ResourceUtilization | Function::ResourceAverageValue
                );
                let object_fn = matches!(
                    function,
                    Function::ObjectValue | Function::ObjectAverageValue
                );
                let external_fn = matches!(
                    function,
                    Function::ExternalValue | Function::ExternalAverageValue
                );
                (resource_metrics, pod_metrics).prop_map(move |(resource_metrics, pod_metrics)| {
                    ReplicaCase {
                        function,
                        replicas,
                        target,
                        resource: if resource_fn { resource } else { "" },
                        container: if resource_fn {
                            container.clone()
                        } else {
                            String::new()
                        },
                        tolerance_down: down,
                        tolerance_up: up,
                        pods: pods.clone(),
                        resource_metrics,
                        pod_metrics,
                        object_value_milli: if object_fn { object } else { 0 },
                        external_values_milli: if external_fn {
                            external.clone()
                        } else {
                            Vec::new()
                        },
                    }
                })
            },
        )
        .boxed()
}
