//! Criterion benchmarks of the simulator.
//!
//! Run with `cargo bench -p podscale --bench sim`. Targets (issue 6): a week at 15 s steps
//! for one workload of up to 100 pods under 10 ms; 1,000 such workloads under 5 s on one core
//! (5 ms each).

// Bench fixtures are plain test code: indexing, unwraps and arithmetic on small known inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use podscale::hpa::{HpaSpec, MetricSpec};
use podscale::sim::{Demand, DemandPoint, HpaSetup, PodTemplate, Scenario, Simulation};

const HOUR_MS: i64 = 3_600_000;
const WEEK_MS: i64 = 7 * 24 * HOUR_MS;

/// A daily cycle, one point an hour: from `low_m` at 03:00 up to `high_m` at 15:00 and back.
fn daily(low_m: i64, high_m: i64) -> Vec<DemandPoint> {
    (0..7 * 24)
        .map(|hour: i64| {
            let from_peak = (hour % 24 - 15).abs().min(24 - (hour % 24 - 15).abs());
            let value = high_m - (high_m - low_m) * from_peak / 12;
            DemandPoint::new(hour * HOUR_MS, value)
        })
        .collect()
}

/// Steps a week of one workload whose demand swings between `low_m` and `high_m` on pods
/// requesting 200m at a 50% target: up to `high_m / 100` pods.
fn week(demand: &[DemandPoint], max: i32) -> i64 {
    let spec = HpaSpec::new(1, max, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap();
    let pod = PodTemplate {
        cpu_limit_m: Some(500),
        ..PodTemplate::new(200)
    };
    let mut scenario = Scenario::new(0, WEEK_MS, Demand::Cpu(demand), pod);
    scenario.hpa = Some(HpaSetup::new(&spec));
    let mut sim: Simulation<128> = Simulation::new(scenario).unwrap();
    let mut replica_steps = 0;
    while let Some(record) = sim.step().unwrap() {
        replica_steps += i64::from(record.spec_replicas);
    }
    replica_steps
}

/// The same week with 100 pods and no autoscaler: the cost of pods and the metrics pipeline
/// alone, without the HPA's decisions.
fn week_without_hpa(demand: &[DemandPoint]) -> i64 {
    let pod = PodTemplate {
        cpu_limit_m: Some(500),
        ..PodTemplate::new(200)
    };
    let mut scenario = Scenario::new(0, WEEK_MS, Demand::Cpu(demand), pod);
    scenario.initial_replicas = 100;
    let mut sim: Simulation<128> = Simulation::new(scenario).unwrap();
    let mut usage = 0;
    while let Some(record) = sim.step().unwrap() {
        usage += record.usage_m;
    }
    usage
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    let hundred = daily(500, 10_000);
    let ten = daily(100, 1_000);
    group.bench_function("week_15s_up_to_100_pods", |b| {
        b.iter(|| week(black_box(&hundred), 100));
    });
    group.bench_function("week_15s_up_to_10_pods", |b| {
        b.iter(|| week(black_box(&ten), 10));
    });
    group.bench_function("week_15s_100_pods_no_autoscaler", |b| {
        b.iter(|| week_without_hpa(black_box(&hundred)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
