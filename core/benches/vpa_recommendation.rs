//! Criterion benchmarks of the VPA recommender's per-pod step and its building blocks.
//!
//! Run with `cargo bench -p podscale --bench vpa_recommendation`. Target: under 3 µs for
//! `recommendation/three_container_pod`.
//!
//! The aggregates hold a week of per-minute history (built once, outside the timing), so the
//! percentile walks cover realistic, populated histograms.

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
use podscale::vpa::{
    AggregateContainerState, AggregationConfig, ContainerResourcePolicy, ContainerResources,
    ContainerState, DecayingHistogram, Pod, PodContainer, PodResourcePolicy, RecommenderConfig,
    Resources, apply_capping, apply_vpa_policy, recommend_pod, update_priority,
};

/// 2023-11-14T22:13:20Z.
const START_MS: i64 = 1_700_000_000_000;
const MINUTE_MS: i64 = 60_000;
const MIB: i64 = 1024 * 1024;

/// A week of per-minute samples with a daily cycle: CPU between `base` and `2 * base`
/// millicores, memory between `mem` and `1.5 * mem` bytes.
fn aggregate(base_m: i64, mem_bytes: i64) -> AggregateContainerState<DecayingHistogram> {
    let mut aggregate =
        AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), START_MS)
            .unwrap();
    let mut container = ContainerState::new();
    for minute in 0..7 * 24 * 60 {
        let t = START_MS + minute * MINUTE_MS;
        // A triangle wave over the day, plus a little deterministic jitter.
        let phase = minute % 1440;
        let wave = if phase < 720 { phase } else { 1440 - phase };
        let cpu = base_m + base_m * wave / 720 + (minute * 37 % 23);
        let memory = mem_bytes + mem_bytes * wave / 1440 + (minute * 7919 % 65_536);
        container.add_cpu_sample(&mut aggregate, t, cpu).unwrap();
        container
            .add_memory_sample(&mut aggregate, t, memory)
            .unwrap();
    }
    aggregate
}

fn three_container_pod(c: &mut Criterion) {
    let config = RecommenderConfig::default();
    let app = aggregate(500, 512 * MIB);
    let sidecar = aggregate(20, 64 * MIB);
    let exporter = aggregate(5, 16 * MIB);
    let containers = [
        ("app", &app),
        ("istio-proxy", &sidecar),
        ("exporter", &exporter),
    ];

    // The recommender's whole per-pod step: 18 estimates (6 per container, each a percentile
    // walk over 176 buckets), confidences, the minimum split, and the sorted list.
    c.benchmark_group("recommendation")
        .bench_function("three_container_pod", |b| {
            b.iter(|| recommend_pod::<_, 4>(black_box(&config), black_box(&containers)).unwrap());
        });

    // What follows in a real loop: the recommender's policy, then the updater's capping and
    // priority for one running pod.
    let list = recommend_pod::<_, 4>(&config, &containers).unwrap();
    let policies = [ContainerResourcePolicy {
        min_allowed: Resources::new(50, 64 * MIB),
        max_allowed: Resources::new(2000, 2048 * MIB),
        ..ContainerResourcePolicy::named("*")
    }];
    let policy = PodResourcePolicy::new(&policies);
    let spec = |cpu, memory| ContainerResources {
        requests: Resources::new(cpu, memory),
        limits: Resources::new(2 * cpu, memory),
    };
    let pod_containers = [
        PodContainer::new("app", spec(250, 256 * MIB)),
        PodContainer::new("istio-proxy", spec(100, 128 * MIB)),
        PodContainer::new("exporter", spec(10, 32 * MIB)),
    ];
    let pod = Pod::new(&pod_containers);
    c.benchmark_group("recommendation").bench_function(
        "policy_capping_priority_three_containers",
        |b| {
            b.iter_batched_ref(
                || list.clone(),
                |list| {
                    apply_vpa_policy(list, Some(black_box(&policy)), Resources::NONE);
                    let capped =
                        apply_capping::<4>(Some(list), Some(&policy), None, None, black_box(&pod))
                            .unwrap()
                            .unwrap();
                    let recs: heapless::Vec<_, 4> =
                        capped.iter().map(|c| c.recommendation).collect();
                    black_box(update_priority(&pod, &recs))
                },
                BatchSize::SmallInput,
            );
        },
    );

    // Ingesting one scrape: a CPU and a memory sample of one container.
    let mut state = ContainerState::new();
    let mut warm = app.clone();
    let mut t = START_MS + 7 * 24 * 60 * MINUTE_MS;
    c.benchmark_group("recommendation")
        .bench_function("one_scrape", |b| {
            b.iter(|| {
                t += MINUTE_MS;
                state
                    .add_cpu_sample(&mut warm, black_box(t), black_box(730))
                    .unwrap();
                state
                    .add_memory_sample(&mut warm, t, black_box(600 * MIB))
                    .unwrap()
            });
        });
}

criterion_group!(benches, three_container_pod);
criterion_main!(benches);
