//! Criterion benchmarks of the HPA decision and its building blocks.
//!
//! Run with `cargo bench -p podscale --bench hpa`. Targets: under 300 ns for
//! `hpa/one_resource_metric_10_pods`, under 50 µs for `hpa/five_metrics_1000_pods`.
//!
//! There is no allocation counter here: a `#[global_allocator]` needs an `unsafe impl
//! GlobalAlloc`, which the workspace's `unsafe_code = "forbid"` rejects in benches too. The core
//! cannot allocate anyway: it is `#![no_std]` and does not link `alloc`.

// Bench fixtures are plain test code: indexing, unwraps and arithmetic on small known inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use heapless::Vec as HVec;
use podscale::hpa::{
    Behavior, Container, ContainerUsage, ControllerConfig, HpaSpec, HpaState, MetricData,
    MetricSpec, MetricTarget, Observation, Pod, PodMetricSample, PodResourceMetrics,
    ReadinessPeriods, Recommendation, ReplicaCalculator, ResourceAmount, ResourceName, ScaleEvent,
    ScalingRules, Tolerances, decide, limit_replicas_with_behavior, stabilize_recommendation,
};

/// A fixed "now": any instant works, decisions only look at differences.
const NOW_MS: i64 = 1_700_000_000_000;
/// The controller's default sync period.
const SYNC_MS: i64 = 15_000;
const MIB_MILLI: i64 = 1024 * 1024 * 1000;

/// `count` recommendations of `replicas`, one per sync, the newest 5 s ago, oldest first.
fn history<const R: usize>(count: usize, replicas: i32) -> HVec<Recommendation, R> {
    let mut list = HVec::new();
    for k in (0..count as i64).rev() {
        list.push(Recommendation {
            replicas,
            timestamp_ms: NOW_MS - 5_000 - k * SYNC_MS,
        })
        .unwrap();
    }
    list
}

fn pod_names(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("web-7d9f8c6b5-{i:05}"))
        .collect()
}

/// Bench 1: one Resource cpu Utilization metric (50%) over 10 running, ready pods requesting
/// 200m each, with default behavior and 20 recommendations in the last 5 minutes.
fn one_resource_metric_10_pods(c: &mut Criterion) {
    let names = pod_names(10);
    let requests = [ResourceAmount::cpu(200)];
    let containers = [Container::new("app", &requests)];
    let pods: Vec<Pod<'_>> = names
        .iter()
        .map(|n| Pod::running_ready(n, &containers))
        .collect();
    // 120m of 200m: 60% against 50%, a scale-up from 10 to 12.
    let usage = [ResourceAmount::cpu(120)];
    let usage_per_container = [ContainerUsage::new("app", &usage)];
    let samples: Vec<PodResourceMetrics<'_>> = names
        .iter()
        .map(|n| PodResourceMetrics::new(n, NOW_MS - 10_000, 30_000, &usage_per_container))
        .collect();
    let mut spec = HpaSpec::new(1, 100, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap();
    spec.behavior = Some(Behavior::default());
    let data = [MetricData::Resource(&samples)];
    let observation = Observation::new(10, 10, &pods, &data);
    let config = ControllerConfig::default();
    // Sized for default behavior at a 15 s sync: a 300 s window needs 22 recommendations and the
    // 15 s policies 2 events per direction (the README's capacity table).
    let mut state: HpaState<32, 8> = HpaState::new();
    state.recommendations = Some(history(20, 10));

    let check = decide(&spec, &config, &mut state.clone(), &observation, NOW_MS).unwrap();
    assert_eq!((check.desired_replicas, check.rescale), (12, true));

    // decide records a recommendation in the state, so every iteration gets a fresh clone of the
    // same 20-entry state; iter_batched_ref keeps the clone (setup) and the drop out of the timing.
    // The batch's clones (about 1 KB each) are cold in cache when decide reads and writes them,
    // as a controller's state of one HPA among many would be; the variant below keeps it hot.
    c.benchmark_group("hpa")
        .bench_function("one_resource_metric_10_pods", |b| {
            b.iter_batched_ref(
                || state.clone(),
                |state| {
                    black_box(decide(
                        black_box(&spec),
                        &config,
                        state,
                        black_box(&observation),
                        NOW_MS,
                    ))
                    .unwrap();
                },
                BatchSize::SmallInput,
            );
        });

    // The same decision on one state kept hot in cache: after a first call has set the
    // conditions, each call appends the 21st recommendation and truncating back to 20 (a length
    // store) restores the state exactly, so every iteration does identical work.
    let mut warm = state.clone();
    decide(&spec, &config, &mut warm, &observation, NOW_MS).unwrap();
    warm.recommendations.as_mut().unwrap().truncate(20);
    c.benchmark_group("hpa")
        .bench_function("one_resource_metric_10_pods_warm_state", |b| {
            b.iter(|| {
                black_box(decide(
                    black_box(&spec),
                    &config,
                    &mut warm,
                    black_box(&observation),
                    NOW_MS,
                ))
                .unwrap();
                warm.recommendations.as_mut().unwrap().truncate(20);
            });
        });
}

const CONTAINER_REQUESTS: [[ResourceAmount<'static>; 2]; 2] = [
    [
        ResourceAmount::cpu(200),
        ResourceAmount::memory(256 * MIB_MILLI),
    ],
    [
        ResourceAmount::cpu(50),
        ResourceAmount::memory(64 * MIB_MILLI),
    ],
];

/// Four usage profiles, cycled over the pods, per container: (app cpu, app memory, log cpu, log
/// memory).
const PROFILES: [[i64; 4]; 4] = [
    [150, 200 * MIB_MILLI, 20, 40 * MIB_MILLI],
    [170, 230 * MIB_MILLI, 25, 45 * MIB_MILLI],
    [130, 180 * MIB_MILLI, 15, 35 * MIB_MILLI],
    [160, 210 * MIB_MILLI, 30, 50 * MIB_MILLI],
];

fn five_metrics_1000_pods(c: &mut Criterion) {
    let names = pod_names(1000);
    let containers = [
        Container::new("app", &CONTAINER_REQUESTS[0]),
        Container::new("sidecar-log", &CONTAINER_REQUESTS[1]),
    ];
    let pods: Vec<Pod<'_>> = names
        .iter()
        .map(|n| Pod::running_ready(n, &containers))
        .collect();
    let usages: Vec<[[ResourceAmount<'_>; 2]; 2]> = PROFILES
        .iter()
        .map(|p| {
            [
                [ResourceAmount::cpu(p[0]), ResourceAmount::memory(p[1])],
                [ResourceAmount::cpu(p[2]), ResourceAmount::memory(p[3])],
            ]
        })
        .collect();
    let per_container: Vec<[ContainerUsage<'_>; 2]> = usages
        .iter()
        .map(|u| {
            [
                ContainerUsage::new("app", &u[0]),
                ContainerUsage::new("sidecar-log", &u[1]),
            ]
        })
        .collect();
    let samples: Vec<PodResourceMetrics<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| PodResourceMetrics::new(n, NOW_MS - 10_000, 30_000, &per_container[i % 4]))
        .collect();
    let pod_samples: Vec<PodMetricSample<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| PodMetricSample {
            pod: n,
            value_milli: 90_000 + (i as i64 % 20) * 1_000,
            timestamp_ms: NOW_MS - 10_000,
            window_ms: 60_000,
        })
        .collect();
    let queue = [29_500_000_i64];

    let metrics = [
        MetricSpec::resource_utilization("cpu", 60),
        MetricSpec::Resource {
            name: ResourceName::Memory,
            target: MetricTarget::AverageValue(300 * MIB_MILLI),
        },
        MetricSpec::ContainerResource {
            name: ResourceName::Cpu,
            container: "app",
            target: MetricTarget::Utilization(70),
        },
        MetricSpec::Pods {
            metric: "http_requests_per_second",
            target: MetricTarget::AverageValue(100_000),
        },
        MetricSpec::External {
            metric: "queue_depth",
            target: MetricTarget::AverageValue(30_000),
        },
    ];
    let mut spec = HpaSpec::new(10, 2000, &metrics).unwrap();
    // A one-hour scale-down window: the 240 recommendations all count.
    spec.behavior = Some(Behavior {
        scale_up: None,
        scale_down: Some(ScalingRules {
            stabilization_window_seconds: Some(3600),
            ..ScalingRules::default()
        }),
    });
    let data = [
        MetricData::Resource(&samples),
        MetricData::Resource(&samples),
        MetricData::Resource(&samples),
        MetricData::Pods(&pod_samples),
        MetricData::External(&queue),
    ];
    let observation = Observation::new(1000, 1000, &pods, &data);
    let config = ControllerConfig::default();
    let mut state: HpaState<256, 128> = HpaState::new();
    state.recommendations = Some(history(240, 1000));

    let check = decide(&spec, &config, &mut state.clone(), &observation, NOW_MS).unwrap();
    assert!(check.metrics.iter().all(Result::is_ok), "{check:?}");
    assert!(check.rescale, "{check:?}");

    // As bench 1: a fresh clone of the 240-entry state per iteration, outside the timing.
    c.benchmark_group("hpa")
        .bench_function("five_metrics_1000_pods", |b| {
            b.iter_batched_ref(
                || state.clone(),
                |state| {
                    black_box(decide(
                        black_box(&spec),
                        &config,
                        state,
                        black_box(&observation),
                        NOW_MS,
                    ))
                    .unwrap();
                },
                BatchSize::SmallInput,
            );
        });

    // The calculator alone, on the first metric's inputs: pure, so plain `iter`.
    let calc = ReplicaCalculator::new(Tolerances::default(), ReadinessPeriods::default());
    let proposal = calc
        .resource_utilization_replicas(1000, 60, ResourceName::Cpu, None, &pods, &samples, NOW_MS)
        .unwrap();
    assert!(proposal.replicas > 1000, "{proposal:?}");
    c.benchmark_group("replica_calculator")
        .bench_function("resource_utilization_1000_pods", |b| {
            b.iter(|| {
                calc.resource_utilization_replicas(
                    black_box(1000),
                    60,
                    ResourceName::Cpu,
                    None,
                    black_box(&pods),
                    black_box(&samples),
                    NOW_MS,
                )
            });
        });

    // The same samples in another order than the pods, as the metrics API may return them
    // (i * 7919 mod 1000 is a permutation): the proposal is the same, the lookups are not.
    let unordered: Vec<PodResourceMetrics<'_>> =
        (0..1000).map(|i| samples[i * 7919 % 1000]).collect();
    assert_eq!(
        calc.resource_utilization_replicas(
            1000,
            60,
            ResourceName::Cpu,
            None,
            &pods,
            &unordered,
            NOW_MS
        ),
        Ok(proposal)
    );
    c.benchmark_group("replica_calculator").bench_function(
        "resource_utilization_1000_pods_unordered",
        |b| {
            b.iter(|| {
                calc.resource_utilization_replicas(
                    black_box(1000),
                    60,
                    ResourceName::Cpu,
                    None,
                    black_box(&pods),
                    black_box(&unordered),
                    NOW_MS,
                )
            });
        },
    );
}

fn stabilization_legacy_240(c: &mut Criterion) {
    // 240 recommendations inside a one-hour window: every one counts, and the new one is appended.
    let mut history: HVec<Recommendation, 256> = history(240, 1000);
    let window_ms = 3_600_000;
    assert_eq!(
        stabilize_recommendation(&mut history.clone(), 900, window_ms, NOW_MS),
        Ok(1000)
    );
    // Each call appends one entry; truncating back to 240 (a length store: Recommendation is
    // Copy) keeps every iteration's work identical and costs next to nothing.
    c.benchmark_group("stabilization")
        .bench_function("legacy_240", |b| {
            b.iter(|| {
                let r = stabilize_recommendation(
                    &mut history,
                    black_box(900),
                    black_box(window_ms),
                    NOW_MS,
                );
                history.truncate(240);
                r
            });
        });
}

fn scale_limit_default_rules(c: &mut Criterion) {
    let behavior = Behavior::default().defaulted();
    let up = behavior.scale_up.unwrap();
    let down = behavior.scale_down.unwrap();
    // One sync ago the HPA went from 8 to 10; earlier events have left the 15 s periods.
    let up_events = [
        ScaleEvent {
            replica_change: 2,
            timestamp_ms: NOW_MS - 10_000,
            outdated: false,
        },
        ScaleEvent {
            replica_change: 3,
            timestamp_ms: NOW_MS - 40_000,
            outdated: true,
        },
    ];
    let down_events = [ScaleEvent {
        replica_change: 1,
        timestamp_ms: NOW_MS - 70_000,
        outdated: true,
    }];
    let limited =
        limit_replicas_with_behavior(10, 50, 1, 100, &up, &down, &up_events, &down_events, NOW_MS);
    assert_eq!(limited.replicas, 16); // max(8 + 4, 2 * 8)
    c.benchmark_group("scale_limit")
        .bench_function("default_rules", |b| {
            b.iter(|| {
                limit_replicas_with_behavior(
                    black_box(10),
                    black_box(50),
                    1,
                    100,
                    black_box(&up),
                    black_box(&down),
                    black_box(&up_events),
                    black_box(&down_events),
                    NOW_MS,
                )
            });
        });
}

criterion_group!(
    benches,
    one_resource_metric_10_pods,
    five_metrics_1000_pods,
    stabilization_legacy_240,
    scale_limit_default_rules
);
criterion_main!(benches);
