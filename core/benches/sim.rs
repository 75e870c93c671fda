//! Criterion benchmarks of the simulator.
//!
//! Run with `cargo bench -p podscale --bench sim`. Targets (issue 6): a week at 15 s steps
//! (40,320 steps) for one workload of up to 100 pods under 10 ms; 1,000 such workloads under
//! 5 s on one core (5 ms each). Everything runs on the bench's one thread.
//!
//! - `week_15s_{1,10,100}_pod(s)`: one workload whose CPU demand follows a daily cycle up to
//!   what `N` pods serve at the HPA's 50% target, so the HPA moves between a few pods at night
//!   and `N` in the afternoon.
//! - `week_15s_100_pods_no_autoscaler`: 100 pods and no autoscaler, the cost of the pods and
//!   the metrics pipeline alone.
//! - `1000_workloads_a_week_each`: the fleet of [`fleet`], a deterministic mix described there.

// Bench fixtures are plain test code: indexing, unwraps and arithmetic on small known inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    missing_docs
)]

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use podscale::hpa::{Behavior, HpaSpec, MetricSpec, ScalingPolicy, ScalingRules, SelectPolicy};
use podscale::keda::{CronTrigger, ScaledObjectSpec, Trigger, external_metric_spec};
use podscale::sim::{
    Demand, DemandPoint, HpaSetup, KedaSetup, PodTemplate, Scenario, Simulation, VpaSetup,
};

/// 2024-05-06 00:00 UTC, a Monday.
const START_MS: i64 = 1_714_953_600_000;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
const WEEK_MS: i64 = 7 * DAY_MS;

/// A daily cycle, one point an hour: from `low_m` at 03:00 up to `high_m` at 15:00 and back.
fn daily(low_m: i64, high_m: i64) -> Vec<DemandPoint> {
    (0..7 * 24)
        .map(|hour: i64| {
            let from_peak = (hour % 24 - 15).abs().min(24 - (hour % 24 - 15).abs());
            let value = high_m - (high_m - low_m) * from_peak / 12;
            DemandPoint::new(START_MS + hour * HOUR_MS, value)
        })
        .collect()
}

/// A week of one workload on pods requesting 200m (limit 500m) under an HPA at 50% CPU
/// between 1 and `max` replicas; returns the replica-steps, so nothing is optimized away.
fn week(demand: &[DemandPoint], max: i32) -> i64 {
    let spec = HpaSpec::new(1, max, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap();
    let pod = PodTemplate {
        cpu_limit_m: Some(500),
        ..PodTemplate::new(200)
    };
    let mut scenario = Scenario::new(START_MS, START_MS + WEEK_MS, Demand::Cpu(demand), pod);
    scenario.hpa = Some(HpaSetup::new(&spec));
    let mut sim: Simulation<128> = Simulation::new(scenario).unwrap();
    let mut replica_steps = 0;
    while let Some(record) = sim.step().unwrap() {
        replica_steps += i64::from(record.spec_replicas);
    }
    replica_steps
}

/// The same week with 100 pods and no autoscaler.
fn week_without_hpa(demand: &[DemandPoint]) -> i64 {
    let pod = PodTemplate {
        cpu_limit_m: Some(500),
        ..PodTemplate::new(200)
    };
    let mut scenario = Scenario::new(START_MS, START_MS + WEEK_MS, Demand::Cpu(demand), pod);
    scenario.initial_replicas = 100;
    let mut sim: Simulation<128> = Simulation::new(scenario).unwrap();
    let mut usage = 0;
    while let Some(record) = sim.step().unwrap() {
        usage += record.usage_m;
    }
    usage
}

/// splitmix64: a small deterministic generator, so the fleet is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The autoscalers of one workload of the fleet.
enum Autoscaling {
    /// An HPA on CPU utilization, with or without behavior.
    Hpa(HpaSpec<'static>),
    /// A KEDA ScaledObject with a business-hours cron trigger; its generated HPA has the
    /// trigger's External metric and CPU utilization.
    KedaCron(Box<KedaCron>),
    /// The VPA recommender alone, on a fixed replica count.
    Vpa,
    /// An HPA on CPU and the VPA recommender watching the same pods.
    HpaAndVpa(HpaSpec<'static>),
}

/// A KEDA ScaledObject, its cron trigger and the HPA it generates.
struct KedaCron {
    scaled_object: ScaledObjectSpec<'static>,
    triggers: [CronTrigger<'static>; 1],
    hpa: HpaSpec<'static>,
}

/// One workload of the fleet: its demand, pods and autoscalers.
struct Workload {
    demand: Vec<DemandPoint>,
    /// CPU per request, microseconds, for request-based (open-loop) demand.
    cost_us: Option<i64>,
    pod: PodTemplate<'static>,
    initial_replicas: i32,
    autoscaling: Autoscaling,
}

/// A week of demand every 15 minutes, with up to ±10% jitter, between `low` and `high`:
/// a daily cycle peaking at a random hour, quieter on the weekend (shape 0); business hours,
/// weekdays 08:00 to 20:00 (shape 1); or a low base with one to three bursts a day (shape 2).
fn demand_curve(rng: &mut Rng, shape: u64, low: i64, high: i64) -> Vec<DemandPoint> {
    let peak_hour = rng.range(10, 20);
    let mut bursts = Vec::new();
    for day in 0..7 {
        for _ in 0..rng.range(1, 3) {
            let start = day * 96 + rng.range(0, 95);
            bursts.push(start..start + rng.range(2, 12));
        }
    }
    (0..7 * 96)
        .map(|quarter: i64| {
            let day = quarter / 96;
            let hour = (quarter % 96) / 4;
            let weekend = day >= 5;
            let level = match shape {
                0 => {
                    let from_peak = (hour - peak_hour).abs().min(24 - (hour - peak_hour).abs());
                    let top = if weekend {
                        low + (high - low) * 6 / 10
                    } else {
                        high
                    };
                    top - (top - low) * from_peak / 12
                }
                1 => {
                    if !weekend && (8..20).contains(&hour) {
                        high
                    } else {
                        low
                    }
                }
                _ => {
                    if bursts.iter().any(|b| b.contains(&quarter)) {
                        high
                    } else {
                        low
                    }
                }
            };
            let jitter = level * rng.range(-10, 10) / 100;
            DemandPoint::new(START_MS + quarter * 15 * MINUTE_MS, (level + jitter).max(0))
        })
        .collect()
}

/// Scale down by at most one pod a minute after a 10-minute window; scale up by 100% or 4
/// pods (whichever is more) every 30 s.
fn behavior() -> Behavior {
    Behavior {
        scale_up: Some(ScalingRules {
            select_policy: Some(SelectPolicy::Max),
            ..ScalingRules::with_policies(&[
                ScalingPolicy::percent(100, 30),
                ScalingPolicy::pods(4, 30),
            ])
            .unwrap()
        }),
        scale_down: Some(ScalingRules {
            stabilization_window_seconds: Some(600),
            ..ScalingRules::with_policies(&[ScalingPolicy::pods(1, 60)]).unwrap()
        }),
    }
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The fleet: 1,000 workloads drawn from a fixed seed.
///
/// - Peak size: uniform from 1 to 100 pods. The demand's peak is what that many pods serve at
///   the workload's target; its low is 5% to 40% of the peak.
/// - Demand: one of the three shapes of [`demand_curve`] (daily cycle 50%, business hours
///   25%, bursts 25%), points every 15 minutes; 80% as CPU, 20% as requests at a fixed cost.
/// - Pods: request 100m to 500m, a limit of twice the request (70%) or none, 5 to 60 s to
///   start, 0 to 30 s more to be ready, 0 to 20m idle.
/// - Autoscaling: 65% an HPA at 50% to 80% CPU (a third of them with the scale-up and
///   scale-down policies of [`behavior`]); 15% a KEDA business-hours cron trigger in
///   Europe/Berlin (desired replicas half the peak, minReplicaCount 0 or 1) plus CPU; 12% the
///   VPA alone on the peak's replica count; 8% an HPA and the VPA.
fn fleet() -> Vec<Workload> {
    let mut rng = Rng(0x05EE_D0FF_1EE7);
    (0..1000)
        .map(|index| {
            let peak_pods = rng.range(1, 100);
            let request_m = rng.range(2, 10) * 50;
            let target = rng.range(50, 80);
            let high = peak_pods * request_m * target / 100;
            let low = high * rng.range(5, 40) / 100;
            let shape = match rng.next() % 4 {
                0 | 1 => 0,
                2 => 1,
                _ => 2,
            };
            let mut demand = demand_curve(&mut rng, shape, low, high);
            let cost_us = rng.chance(20).then(|| rng.range(2, 50) * 1000);
            if let Some(cost) = cost_us {
                // milli-requests per second that cost the same CPU.
                for point in &mut demand {
                    point.value = point.value * 1_000_000 / cost;
                }
            }
            let pod = PodTemplate {
                cpu_limit_m: rng.chance(70).then_some(2 * request_m),
                idle_cpu_m: rng.range(0, 20),
                startup_ms: rng.range(5, 60) * 1000,
                readiness_delay_ms: rng.range(0, 30) * 1000,
                ..PodTemplate::new(request_m)
            };
            let max = peak_pods as i32;
            let cpu = MetricSpec::resource_utilization("cpu", target as i32);
            let roll = rng.next() % 100;
            let mut hpa = HpaSpec::new(1, max, &[cpu]).unwrap();
            let (autoscaling, initial_replicas) = match roll {
                0..65 => {
                    if rng.chance(33) {
                        hpa.behavior = Some(behavior());
                    }
                    (Autoscaling::Hpa(hpa), 1)
                }
                65..80 => {
                    let desired = leak((max / 2).max(1).to_string());
                    let trigger = CronTrigger::from_metadata(
                        &[
                            ("timezone", "Europe/Berlin"),
                            ("start", "0 8 * * 1-5"),
                            ("end", "0 20 * * 1-5"),
                            ("desiredReplicas", desired),
                        ],
                        0,
                    )
                    .unwrap();
                    let name = leak(format!("workload-{index}"));
                    let mut so = ScaledObjectSpec::new(name, &[Trigger::new("cron")]).unwrap();
                    so.min_replica_count = Some(i32::from(rng.chance(50)));
                    so.max_replica_count = Some(max);
                    let metric = leak(trigger.metric_name().to_string());
                    let external = external_metric_spec(metric, None, 1000).unwrap();
                    let hpa = so.generate_hpa(&[external, cpu]).unwrap().spec;
                    let autoscaling = Autoscaling::KedaCron(Box::new(KedaCron {
                        scaled_object: so,
                        triggers: [trigger],
                        hpa,
                    }));
                    (autoscaling, 1)
                }
                80..92 => (Autoscaling::Vpa, max),
                _ => (Autoscaling::HpaAndVpa(hpa), 1),
            };
            Workload {
                demand,
                cost_us,
                pod,
                initial_replicas,
                autoscaling,
            }
        })
        .collect()
}

/// A week of one workload of the fleet; returns the replica-steps.
fn run(workload: &Workload) -> i64 {
    let demand = match workload.cost_us {
        None => Demand::Cpu(&workload.demand),
        Some(cost) => Demand::OpenLoop {
            requests_per_second_milli: &workload.demand,
            cpu_per_request_us: cost,
        },
    };
    let mut scenario = Scenario::new(START_MS, START_MS + WEEK_MS, demand, workload.pod);
    scenario.initial_replicas = workload.initial_replicas;
    match &workload.autoscaling {
        Autoscaling::Hpa(spec) => scenario.hpa = Some(HpaSetup::new(spec)),
        Autoscaling::KedaCron(keda) => {
            scenario.keda = Some(KedaSetup {
                scaled_object: &keda.scaled_object,
                triggers: &keda.triggers,
            });
            scenario.hpa = Some(HpaSetup::new(&keda.hpa));
        }
        Autoscaling::Vpa => scenario.vpa = Some(VpaSetup::default()),
        Autoscaling::HpaAndVpa(spec) => {
            scenario.hpa = Some(HpaSetup::new(spec));
            scenario.vpa = Some(VpaSetup::default());
        }
    }
    let mut sim: Simulation<128> = Simulation::new(scenario).unwrap();
    let mut replica_steps = 0;
    while let Some(record) = sim.step().unwrap() {
        replica_steps += i64::from(record.spec_replicas);
    }
    replica_steps
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    for (pods, name) in [
        (1, "week_15s_1_pod"),
        (10, "week_15s_10_pods"),
        (100, "week_15s_100_pods"),
    ] {
        let demand = daily(i64::from(pods) * 5, i64::from(pods) * 100);
        group.bench_function(name, |b| b.iter(|| week(black_box(&demand), pods)));
    }
    let hundred = daily(500, 10_000);
    group.bench_function("week_15s_100_pods_no_autoscaler", |b| {
        b.iter(|| week_without_hpa(black_box(&hundred)));
    });
    group.finish();
    // Seconds an iteration: ten of them, not criterion's growing batches.
    let mut group = c.benchmark_group("sim");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    let workloads = fleet();
    group.bench_function("1000_workloads_a_week_each", |b| {
        b.iter(|| workloads.iter().map(|w| run(black_box(w))).sum::<i64>());
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
