//! The simulator keeps pods in cohorts; the one before kept every pod on its own
//! (`support/per_pod_sim.rs`). On random scenarios (demand of every kind, pods that start slowly
//! or at once, every metrics pipeline shape, HPAs with and without behavior and readiness flags,
//! KEDA cron triggers and the VPA), both give the same timeline: every record, every pod's
//! stage, usage and metrics at every step, and the autoscalers' states at the end.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

#[path = "support/per_pod_sim.rs"]
mod per_pod_sim;

use per_pod_sim::PerPodSimulation;
use podscale::hpa::{
    Behavior, ControllerConfig, HpaSpec, MetricSpec, MetricTarget, ReadinessPeriods, ScalingPolicy,
    ScalingRules,
};
use podscale::keda::{CronTrigger, ScaledObjectSpec, Trigger, external_metric_spec};
use podscale::sim::{
    Demand, DemandPoint, HpaSetup, KedaSetup, MetricsPipeline, PodTemplate, PodView, Scenario,
    Simulation, VpaSetup,
};
use proptest::prelude::*;

/// 2024-05-01 00:00 UTC.
const START_MS: i64 = 1_714_521_600_000;

/// Starts: a quiet spring day, and the eves of Berlin's changes to and from summer time (at
/// 01:00 UTC), where the cron trigger's next firings cannot be reused across the change.
const STARTS: [i64; 3] = [START_MS, 1_711_843_200_000, 1_729_987_200_000];
const PODS: usize = 24;

#[derive(Debug, Clone)]
struct Case {
    start_ms: i64,
    kind: u8,
    points: Vec<DemandPoint>,
    cost_us: i64,
    think_ms: i64,
    request_m: i64,
    limit_m: Option<i64>,
    idle_m: i64,
    startup_ms: i64,
    readiness_ms: i64,
    initial: i32,
    step_ms: i64,
    steps: i64,
    resolution_steps: i64,
    window_scrapes: i64,
    hpa: Option<HpaCase>,
    cron: bool,
    vpa_steps: Option<i64>,
}

#[derive(Debug, Clone)]
struct HpaCase {
    min: i32,
    max: i32,
    target: i32,
    average_value: bool,
    container_metric: bool,
    behavior: bool,
    sync_steps: i64,
    cpu_initialization_s: i64,
    initial_readiness_s: i64,
}

fn hpa_case() -> impl Strategy<Value = HpaCase> {
    (
        (1i32..4, 0i32..20, 10i32..120),
        (prop::bool::weighted(0.2), prop::bool::weighted(0.2)),
        (prop::bool::weighted(0.3), 1i64..=3),
        (prop::sample::select(vec![0i64, 30, 60, 300]), 0i64..60),
    )
        .prop_map(
            |(
                (min, extra, target),
                (average_value, container_metric),
                (behavior, sync),
                (init, delay),
            )| {
                HpaCase {
                    min,
                    max: min + extra,
                    target,
                    average_value,
                    container_metric,
                    behavior,
                    sync_steps: sync,
                    cpu_initialization_s: init,
                    initial_readiness_s: delay,
                }
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            0u8..3,
            prop::collection::vec((0i64..240, 0i64..6_000), 0..24),
            1_000i64..200_000,
            0i64..200,
        ),
        (
            20i64..800,
            prop::option::of(100i64..1_500),
            0i64..50,
            prop_oneof![
                8 => prop::sample::select(vec![0i64, 5_000, 10_000, 15_000, 40_000, 95_000]),
                1 => Just(24 * 3_600_000 + 30_000),
            ],
            prop::sample::select(vec![0i64, 5_000, 15_000, 30_000, 100_000]),
        ),
        (
            0i32..12,
            prop::sample::select(vec![5_000i64, 15_000]),
            40i64..400,
            1i64..=3,
            1i64..=4,
        ),
        (
            prop::option::weighted(0.85, hpa_case()),
            prop::bool::weighted(0.25),
            prop::option::weighted(0.3, 1i64..=4),
        ),
        prop::sample::select(STARTS.to_vec()),
    )
        .prop_map(
            |(
                (kind, mut raw, cost_us, think_ms),
                (request_m, limit_m, idle_m, startup_ms, readiness_ms),
                (initial, step_ms, steps, resolution_steps, window_scrapes),
                (hpa, cron, vpa_steps),
                start_ms,
            )| {
                raw.sort_unstable();
                let points = raw
                    .into_iter()
                    .map(|(minute, value)| DemandPoint::new(start_ms + minute * 30_000, value))
                    .collect();
                Case {
                    start_ms,
                    kind,
                    points,
                    cost_us,
                    think_ms,
                    request_m,
                    limit_m,
                    idle_m,
                    startup_ms,
                    readiness_ms,
                    initial,
                    step_ms,
                    steps,
                    resolution_steps,
                    window_scrapes,
                    hpa,
                    cron,
                    vpa_steps,
                }
            },
        )
}

/// One pod as both simulators show it.
fn pod(view: PodView<'_>) -> String {
    format!("{view:?}")
}

/// Runs `case` through both simulators side by side, comparing as they go.
fn compare(case: &Case) -> Result<(), TestCaseError> {
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
    let pod_template = PodTemplate {
        cpu_limit_m: case.limit_m,
        idle_cpu_m: case.idle_m,
        startup_ms: case.startup_ms,
        readiness_delay_ms: case.readiness_ms,
        ..PodTemplate::new(case.request_m)
    };
    let end = case.start_ms + case.steps * case.step_ms;
    let mut scenario = Scenario::new(case.start_ms, end, demand, pod_template);
    scenario.step_ms = case.step_ms;
    scenario.initial_replicas = case.initial;
    let resolution_ms = case.step_ms * case.resolution_steps;
    scenario.metrics = MetricsPipeline {
        resolution_ms,
        window_ms: resolution_ms * case.window_scrapes,
    };

    // A cron trigger active for 5 minutes every 10, with its External metric in the HPA.
    let trigger = CronTrigger::from_metadata(
        &[
            ("timezone", "Europe/Berlin"),
            ("start", "*/10 * * * *"),
            ("end", "5-59/10 * * * *"),
            ("desiredReplicas", "3"),
        ],
        0,
    )
    .unwrap();
    let metric_name = trigger.metric_name().to_string();
    let triggers = [trigger];
    let mut scaled_object = ScaledObjectSpec::new("so", &[Trigger::new("cron")]).unwrap();
    scaled_object.polling_interval_seconds = Some(30);
    scaled_object.min_replica_count = Some(0);

    let mut metrics = Vec::new();
    let mut spec = None;
    if let Some(h) = &case.hpa {
        let target = if h.average_value {
            MetricTarget::AverageValue(i64::from(h.target) * 5)
        } else {
            MetricTarget::Utilization(h.target)
        };
        metrics.push(MetricSpec::Resource {
            name: "cpu".into(),
            target,
        });
        if h.container_metric {
            metrics.push(MetricSpec::ContainerResource {
                name: "cpu".into(),
                container: "app",
                target: MetricTarget::Utilization(h.target + 10),
            });
        }
        if case.cron {
            metrics.push(external_metric_spec(&metric_name, None, 1000).unwrap());
        }
        let mut s = HpaSpec::new(h.min, h.max, &metrics).unwrap();
        if h.behavior {
            s.behavior = Some(Behavior {
                scale_up: Some(ScalingRules::with_policies(&[ScalingPolicy::pods(2, 30)]).unwrap()),
                scale_down: Some(ScalingRules {
                    stabilization_window_seconds: Some(60),
                    ..ScalingRules::with_policies(&[ScalingPolicy::percent(50, 30)]).unwrap()
                }),
            });
        }
        spec = Some(s);
    }
    if let (Some(h), Some(spec)) = (&case.hpa, &spec) {
        let config = ControllerConfig {
            readiness: ReadinessPeriods {
                cpu_initialization_period_ms: h.cpu_initialization_s * 1000,
                delay_of_initial_readiness_status_ms: h.initial_readiness_s * 1000,
            },
            ..ControllerConfig::default()
        };
        scenario.hpa = Some(HpaSetup {
            spec,
            config,
            sync_period_ms: case.step_ms * h.sync_steps,
        });
    }
    if case.cron {
        scenario.keda = Some(KedaSetup {
            scaled_object: &scaled_object,
            triggers: &triggers,
        });
    }
    if let Some(vpa_steps) = case.vpa_steps {
        scenario.vpa = Some(VpaSetup {
            sample_interval_ms: case.step_ms * vpa_steps,
            ..VpaSetup::default()
        });
    }

    let reference: Result<PerPodSimulation<PODS, 64, 16>, _> = PerPodSimulation::new(scenario);
    let cohorts: Result<Simulation<PODS, 64, 16>, _> = Simulation::new(scenario);
    let (mut reference, mut cohorts) = match (reference, cohorts) {
        (Ok(r), Ok(c)) => (r, c),
        (r, c) => {
            prop_assert_eq!(r.err(), c.err());
            return Ok(());
        }
    };
    let views = |pods: Vec<String>| pods;
    prop_assert_eq!(
        views(reference.pods().map(pod).collect()),
        views(cohorts.pods().map(pod).collect())
    );
    loop {
        let (expected, actual) = (reference.step(), cohorts.step());
        prop_assert_eq!(&expected, &actual);
        let expected_pods: Vec<String> = reference.pods().map(pod).collect();
        let actual_pods: Vec<String> = cohorts.pods().map(pod).collect();
        prop_assert_eq!(expected_pods, actual_pods, "at {:?}", expected);
        if !matches!(expected, Ok(Some(_))) {
            break;
        }
    }
    prop_assert_eq!(reference.hpa_state(), cohorts.hpa_state());
    prop_assert_eq!(reference.keda_state(), cohorts.keda_state());
    prop_assert_eq!(reference.vpa_aggregate(), cohorts.vpa_aggregate());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn cohorts_simulate_as_every_pod(case in case()) {
        compare(&case)?;
    }
}

/// A day of a daily cycle up to 60 pods, with behavior policies and the VPA: long enough for
/// dozens of cohorts to come, settle and go.
#[test]
fn a_day_of_a_daily_cycle_simulates_as_every_pod() {
    let hour = 3_600_000;
    let demand: Vec<DemandPoint> = (0..24)
        .map(|h: i64| {
            let from_peak = (h - 15).abs().min(24 - (h - 15).abs());
            DemandPoint::new(START_MS + h * hour, 6_000 - 6_000 * from_peak / 13 + h * 7)
        })
        .collect();
    let template = PodTemplate {
        cpu_limit_m: Some(500),
        idle_cpu_m: 3,
        startup_ms: 20_000,
        readiness_delay_ms: 10_000,
        ..PodTemplate::new(200)
    };
    let mut spec = HpaSpec::new(1, 60, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap();
    spec.behavior = Some(Behavior {
        scale_up: Some(ScalingRules::with_policies(&[ScalingPolicy::pods(4, 60)]).unwrap()),
        scale_down: None,
    });
    let mut scenario = Scenario::new(
        START_MS,
        START_MS + 24 * hour,
        Demand::Cpu(&demand),
        template,
    );
    scenario.hpa = Some(HpaSetup::new(&spec));
    scenario.vpa = Some(VpaSetup::default());
    let mut reference: PerPodSimulation<64> = PerPodSimulation::new(scenario).unwrap();
    let mut cohorts: Simulation<64> = Simulation::new(scenario).unwrap();
    let mut peak = 0;
    while let Some(expected) = reference.step().unwrap() {
        let actual = cohorts.step().unwrap();
        assert_eq!(Some(expected), actual);
        peak = peak.max(expected.spec_replicas);
        if expected.time_ms % (15 * 60_000) == 0 {
            let pods = |v: Vec<PodView<'_>>| v.into_iter().map(pod).collect::<Vec<_>>();
            assert_eq!(
                pods(reference.pods().collect()),
                pods(cohorts.pods().collect())
            );
        }
    }
    assert!(peak > 40, "the cycle reaches {peak} pods");
    assert_eq!(reference.hpa_state(), cohorts.hpa_state());
    assert_eq!(reference.vpa_aggregate(), cohorts.vpa_aggregate());
}
