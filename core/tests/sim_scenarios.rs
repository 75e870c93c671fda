//! The simulator refuses what it cannot simulate, by name, and stops cleanly on errors.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use podscale::hpa::{HpaSpec, MetricSpec, MetricTarget};
use podscale::sim::{
    Demand, DemandPoint, HpaSetup, MetricsPipeline, PodTemplate, Scenario, SimError, Simulation,
    StepRecord,
};

const LOAD: [DemandPoint; 1] = [DemandPoint::new(0, 2_000)];

fn scenario() -> Scenario<'static> {
    Scenario::new(0, 600_000, Demand::Cpu(&LOAD), PodTemplate::new(200))
}

#[test]
fn invalid_scenarios_name_the_field() {
    let mut s = scenario();
    s.step_ms = 0;
    assert_eq!(
        Simulation::<4>::new(s).unwrap_err(),
        SimError::InvalidField {
            field: "step_ms",
            value: 0
        }
    );
    let mut s = scenario();
    s.metrics = MetricsPipeline {
        resolution_ms: 10_000,
        window_ms: 10_000,
    };
    assert_eq!(
        Simulation::<4>::new(s).unwrap_err(),
        SimError::NotMultipleOfStep {
            field: "metrics.resolution_ms",
            value_ms: 10_000,
            step_ms: 15_000
        }
    );
    let mut s = scenario();
    s.initial_replicas = 5;
    assert_eq!(
        Simulation::<4>::new(s).unwrap_err(),
        SimError::InvalidField {
            field: "initial_replicas",
            value: 5
        }
    );
    let unsorted = [DemandPoint::new(60_000, 1), DemandPoint::new(0, 2)];
    let s = Scenario::new(0, 60_000, Demand::Cpu(&unsorted), PodTemplate::new(200));
    assert_eq!(
        Simulation::<4>::new(s).unwrap_err(),
        SimError::UnsortedDemand { index: 1 }
    );
    let s = Scenario {
        pod: PodTemplate {
            cpu_limit_m: Some(0),
            ..PodTemplate::new(200)
        },
        ..scenario()
    };
    assert_eq!(
        Simulation::<4>::new(s).unwrap_err().to_string(),
        "cpu_limit_m = 0 is out of range"
    );
    let spec = HpaSpec::new(1, 4, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap();
    let mut s = scenario();
    s.hpa = Some(HpaSetup {
        sync_period_ms: 20_000,
        ..HpaSetup::new(&spec)
    });
    assert!(matches!(
        Simulation::<4>::new(s),
        Err(SimError::NotMultipleOfStep {
            field: "hpa.sync_period_ms",
            ..
        })
    ));
}

#[test]
fn more_pods_than_capacity_stop_the_run() {
    // 2000m at 50% of 200m wants 20 pods; the simulation holds 4.
    let spec = HpaSpec::new(1, 20, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap();
    let mut s = scenario();
    s.hpa = Some(HpaSetup::new(&spec));
    let mut sim: Simulation<4> = Simulation::new(s).unwrap();
    // The legacy scale-up limit allows max(2 * 1, 4) = 4 first: that fits.
    assert_eq!(sim.step().unwrap().unwrap().spec_replicas, 4);
    // Then max(2 * 4, 4) = 8: it does not.
    assert_eq!(
        sim.step(),
        Err(SimError::PodCapacity {
            replicas: 8,
            capacity: 4
        })
    );
    assert_eq!(sim.step(), Ok(None)); // stopped
}

#[test]
fn unsupported_metrics_are_refused() {
    let spec = HpaSpec::new(
        1,
        4,
        &[MetricSpec::Pods {
            metric: "rps",
            target: MetricTarget::AverageValue(1000),
        }],
    )
    .unwrap();
    let mut s = scenario();
    s.hpa = Some(HpaSetup::new(&spec));
    let mut sim: Simulation<4> = Simulation::new(s).unwrap();
    assert_eq!(sim.step(), Err(SimError::UnsupportedMetric { index: 0 }));
}

#[test]
fn open_loop_and_buffers() {
    // 25 requests a second at 40 ms of CPU each: 1000m, over two 500m-limited pods.
    let rate = [DemandPoint::new(0, 25_000)];
    let demand = Demand::OpenLoop {
        requests_per_second_milli: &rate,
        cpu_per_request_us: 40_000,
    };
    let pod = PodTemplate {
        cpu_limit_m: Some(500),
        ..PodTemplate::new(200)
    };
    let mut s = Scenario::new(0, 60_000, demand, pod);
    s.initial_replicas = 2;
    let mut sim: Simulation<4> = Simulation::new(s).unwrap();
    let mut buffer = [StepRecord {
        time_ms: 0,
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
    }; 8];
    assert_eq!(sim.run_into(&mut buffer), Ok(5)); // 0, 15, 30, 45 and 60 s
    let r = buffer[4];
    assert_eq!(
        (r.offered_m, r.served_m, r.throughput_milli_rps),
        (1_000, 1_000, Some(25_000))
    );
    assert_eq!(r.ready_utilization_percent, Some(250));
    assert!(
        sim.pods()
            .all(|p| p.usage_m == 500 && p.metrics_m == Some(500))
    );
    assert_eq!(sim.run_into(&mut buffer), Ok(0));
}
