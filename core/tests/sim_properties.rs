//! Properties of the simulator on random scenarios: the same scenario gives the same timeline,
//! replicas stay within the HPA's bounds, no pod uses more than its limit, and the pods' usage
//! adds up to what the step records.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use podscale::hpa::{HpaSpec, MetricSpec};
use podscale::sim::{
    Demand, DemandPoint, HpaSetup, MetricsPipeline, PodStage, PodTemplate, Scenario, Simulation,
    StepRecord,
};
use proptest::prelude::*;

const STEP_MS: i64 = 15_000;
const END_MS: i64 = 2 * 3_600_000;

#[derive(Debug, Clone)]
struct Case {
    kind: u8,
    points: Vec<DemandPoint>,
    cost_us: i64,
    think_ms: i64,
    request_m: i64,
    limit_m: Option<i64>,
    idle_m: i64,
    startup_ms: i64,
    readiness_ms: i64,
    min: i32,
    max: i32,
    initial: i32,
    target: i32,
    window_scrapes: i64,
    resolution_steps: i64,
    sync_steps: i64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            0_u8..3,
            prop::collection::vec((0..END_MS / 60_000, 0_i64..5_000), 0..6),
            1_000_i64..200_000,
            0_i64..200,
        ),
        (
            50_i64..1_000,
            prop::option::of(100_i64..2_000),
            0_i64..60,
            0_i64..90,
            0_i64..40,
        ),
        (1_i32..4, 0_i32..12, 0_i32..16, 10_i32..95),
        (1_i64..=3, 1_i64..=2, 1_i64..=2),
    )
        .prop_map(
            |(
                (kind, mut raw, cost_us, think_ms),
                (request_m, limit_m, idle_m, startup_s, readiness_s),
                (min, extra, initial, target),
                (window_scrapes, resolution_steps, sync_steps),
            )| {
                raw.sort_unstable();
                let points = raw
                    .into_iter()
                    .map(|(minute, value)| DemandPoint::new(minute * 60_000, value))
                    .collect();
                let max = min + extra;
                Case {
                    kind,
                    points,
                    cost_us,
                    think_ms,
                    request_m,
                    limit_m,
                    idle_m,
                    startup_ms: startup_s * 1000,
                    readiness_ms: readiness_s * 1000,
                    min,
                    max,
                    initial: initial.clamp(min, max),
                    target,
                    window_scrapes,
                    resolution_steps,
                    sync_steps,
                }
            },
        )
}

/// The records and, at every step, each pod's stage and usage.
type Timeline = (Vec<StepRecord>, Vec<Vec<(PodStage, i64)>>);

fn simulate(case: &Case) -> Timeline {
    let demand = match case.kind {
        0 => Demand::Cpu(&case.points),
        1 => Demand::OpenLoop {
            requests_per_second_milli: &case.points,
            cpu_per_request_us: case.cost_us,
        },
        _ => Demand::ClosedLoop {
            clients: &case.points,
            think_time_ms: case.think_ms,
            cpu_per_request_us: case.cost_us,
        },
    };
    let pod = PodTemplate {
        cpu_limit_m: case.limit_m,
        idle_cpu_m: case.idle_m,
        startup_ms: case.startup_ms,
        readiness_delay_ms: case.readiness_ms,
        ..PodTemplate::new(case.request_m)
    };
    let spec = HpaSpec::new(
        case.min,
        case.max,
        &[MetricSpec::resource_utilization("cpu", case.target)],
    )
    .unwrap();
    let mut scenario = Scenario::new(0, END_MS, demand, pod);
    scenario.initial_replicas = case.initial;
    let resolution_ms = STEP_MS * case.resolution_steps;
    scenario.metrics = MetricsPipeline {
        resolution_ms,
        window_ms: resolution_ms * case.window_scrapes,
    };
    scenario.hpa = Some(HpaSetup {
        sync_period_ms: STEP_MS * case.sync_steps,
        ..HpaSetup::new(&spec)
    });
    let mut sim: Simulation<16> = Simulation::new(scenario).unwrap();
    let (mut records, mut pods) = (Vec::new(), Vec::new());
    while let Some(record) = sim.step().unwrap() {
        records.push(record);
        pods.push(sim.pods().map(|p| (p.stage, p.usage_m)).collect());
    }
    (records, pods)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn same_scenario_same_timeline(case in case()) {
        prop_assert_eq!(simulate(&case), simulate(&case));
    }

    #[test]
    fn invariants_hold(case in case()) {
        let (records, pods) = simulate(&case);
        prop_assert_eq!(records.len(), (END_MS / STEP_MS + 1) as usize);
        let limit = case.limit_m.unwrap_or(i64::MAX);
        for (record, pods) in records.iter().zip(&pods) {
            prop_assert!((case.min..=case.max).contains(&record.spec_replicas));
            prop_assert_eq!(pods.len(), record.spec_replicas as usize);
            prop_assert!(record.ready_replicas <= record.spec_replicas);
            prop_assert!(record.served_m <= record.offered_m);
            prop_assert!(record.served_m <= i64::from(record.ready_replicas).saturating_mul(limit));
            prop_assert!(pods.iter().all(|(_, usage)| (0..=limit).contains(usage)));
            prop_assert_eq!(pods.iter().map(|(_, usage)| usage).sum::<i64>(), record.usage_m);
            let ready = pods.iter().filter(|(stage, _)| *stage == PodStage::Ready).count();
            prop_assert_eq!(ready, record.ready_replicas as usize);
            // Pending pods use nothing.
            prop_assert!(pods.iter().all(|(stage, usage)| *stage != PodStage::Pending || *usage == 0));
            if let Some(h) = record.hpa {
                prop_assert!((case.min..=case.max).contains(&h.desired_replicas));
            }
        }
    }
}
