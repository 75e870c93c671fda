//! The HPA walkthrough's php-apache load test, replayed by the simulator and checked by hand.
//!
//! Pods request 200m CPU with a 500m limit; each request burns 40 ms of CPU; one client sends a
//! request, waits for the answer, pauses 10 ms and repeats, from 1:00 until 10:00. The HPA
//! targets 50% CPU with 1 to 10 replicas and no `behavior` (the legacy path: a 10% tolerance,
//! a 5-minute downscale stabilization window, scale-ups limited to max(2 x current, 4)).
//! Pods run 10 s after creation and are Ready 5 s later; metrics-server scrapes every 15 s,
//! the HPA syncs every 15 s.
//!
//! The plateau, from the closed-loop model: one client has at most one request in flight, and
//! a request runs at most at the 500m limit, so it takes 40 ms / 0.5 = 80 ms; with the 10 ms
//! pause a cycle is 90 ms, so the client keeps 40/90 of a core busy: 444m, whatever the number
//! of pods (more pods only share it). At 50% of 200m each pod should use 100m, so the HPA
//! wants ceil(444 / 100) = 5 pods. At 5 pods utilization is 444 * 100 / 1000 = 44% (integer
//! percent, as upstream), a ratio of 0.88, outside the tolerance, but ceil(0.88 * 5) = 5:
//! the plateau holds at 5.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use podscale::hpa::{ConditionReason, ConditionStatus, HpaSpec, MetricSpec, RescaleReason};
use podscale::sim::{
    Demand, DemandPoint, HpaSetup, PodStage, PodTemplate, Scenario, Simulation, StepRecord,
};

const CLIENTS: [DemandPoint; 2] = [DemandPoint::new(60_000, 1), DemandPoint::new(600_000, 0)];

fn php_apache<'a>(spec: &'a HpaSpec<'static>) -> Scenario<'a> {
    let demand = Demand::ClosedLoop {
        clients: &CLIENTS,
        think_time_ms: 10,
        cpu_per_request_us: 40_000,
    };
    let pod = PodTemplate {
        cpu_limit_m: Some(500),
        ..PodTemplate::new(200)
    };
    let mut scenario = Scenario::new(0, 1_200_000, demand, pod);
    scenario.hpa = Some(HpaSetup::new(spec));
    scenario
}

fn spec() -> HpaSpec<'static> {
    HpaSpec::new(1, 10, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap()
}

fn run(scenario: Scenario<'_>) -> Vec<StepRecord> {
    let sim: Simulation<16> = Simulation::new(scenario).unwrap();
    sim.collect::<Result<Vec<_>, _>>().unwrap()
}

fn at(records: &[StepRecord], seconds: i64) -> &StepRecord {
    records
        .iter()
        .find(|r| r.time_ms == seconds * 1000)
        .unwrap()
}

#[test]
fn climbs_to_five_and_holds() {
    let spec = spec();
    let records = run(php_apache(&spec));
    assert_eq!(records.len(), 81); // 0 s to 1200 s every 15 s

    // 1:00: the load starts, but the sync at 1:00 reads the scrape of [0:45, 1:00): idle.
    let r = at(&records, 60);
    assert_eq!((r.spec_replicas, r.offered_m, r.served_m), (1, 444, 444));
    assert_eq!(r.hpa.unwrap().utilization_percent, Some(0));
    assert_eq!(r.throughput_milli_rps, Some(11_100)); // 444m at 40 ms a request

    // 1:15: one pod at 444m is 222% of its request: 5 wanted, but the legacy scale-up limit
    // is max(2 * 1, 4) = 4.
    let h = at(&records, 75).hpa.unwrap();
    assert_eq!(
        (h.utilization_percent, h.metric_replicas),
        (Some(222), Some(5))
    );
    assert_eq!(h.desired_replicas, 4);
    assert_eq!(h.reason, Some(RescaleReason::MetricAboveTarget(0)));
    let limited = h.scaling_limited.unwrap();
    assert_eq!(
        (limited.status, limited.reason),
        (ConditionStatus::True, ConditionReason::ScaleUpLimit)
    );

    // 1:30: the three new pods are Ready from 1:30 but have no sample yet (metrics-server
    // needs two scrapes), so for a scale-up they count at 0: 444 * 100 / 800 = 55%, a ratio
    // of 1.1, inside the tolerance: the metric proposes 4. The legacy path still writes 5,
    // the highest recommendation of the last 5 minutes (the 5 of 1:15, before the limit).
    let h = at(&records, 90).hpa.unwrap();
    assert_eq!(
        (h.utilization_percent, h.metric_replicas),
        (Some(222), Some(4))
    );
    assert_eq!((h.desired_replicas, h.rescale), (5, true));
    assert_eq!(at(&records, 90).ready_replicas, 4);

    // 1:45 to 10:00: the plateau, every pod Ready, 444m shared: 44%.
    for r in records
        .iter()
        .filter(|r| (105_000..=600_000).contains(&r.time_ms))
    {
        assert_eq!(
            (r.spec_replicas, r.ready_replicas),
            (5, 5),
            "at {}",
            r.time_ms
        );
    }
    for r in records
        .iter()
        .filter(|r| (120_000..=600_000).contains(&r.time_ms))
    {
        let h = r.hpa.unwrap();
        assert_eq!(
            (h.utilization_percent, h.metric_replicas),
            (Some(44), Some(5))
        );
    }

    // The load stops at 10:00; the sync at 10:15 is the first to read idle pods and proposes
    // the minimum. The 5-minute window holds the 5 recommended at 10:00 (a recommendation
    // exactly at the cutoff still counts, as upstream's `Before`), so the scale-down comes at
    // 10:15 + 5:00 = 15:15, to 1.
    let h = at(&records, 615).hpa.unwrap();
    assert_eq!((h.metric_replicas, h.desired_replicas), (Some(0), 5));
    assert_eq!(
        h.able_to_scale.unwrap().reason,
        ConditionReason::ScaleDownStabilized
    );
    assert_eq!(at(&records, 900).spec_replicas, 5);
    let r = at(&records, 915);
    assert_eq!(r.spec_replicas, 1);
    let h = r.hpa.unwrap();
    assert_eq!(h.reason, Some(RescaleReason::AllMetricsBelowTarget));
    assert_eq!(
        h.scaling_limited.unwrap().reason,
        ConditionReason::TooFewReplicas
    );
    assert!(
        records
            .iter()
            .filter(|r| r.time_ms > 915_000)
            .all(|r| r.spec_replicas == 1)
    );
}

#[test]
fn pods_share_the_load_within_their_limit() {
    let spec = spec();
    let mut sim: Simulation<16> = Simulation::new(php_apache(&spec)).unwrap();
    while let Some(record) = sim.step().unwrap() {
        let usage: i64 = sim.pods().map(|p| p.usage_m).sum();
        assert_eq!(usage, record.usage_m);
        assert!(sim.pods().all(|p| p.usage_m <= 500));
        assert_eq!(record.usage_m, record.served_m); // idle pods burn nothing here
        if record.time_ms == 300_000 {
            let shares: Vec<i64> = sim.pods().map(|p| p.usage_m).collect();
            assert_eq!(shares, [89, 89, 89, 89, 88]); // 444m, the remainder to the oldest
            assert!(sim.pods().all(|p| p.stage == PodStage::Ready));
            assert_eq!(sim.pods().map(|p| p.utilization_percent).max(), Some(44));
        }
    }
}

#[test]
fn one_pod_alone_is_capped_at_its_limit() {
    // Without an HPA, three clients would keep 3 * 444m busy; one pod serves only its 500m.
    let clients = [DemandPoint::new(0, 3)];
    let demand = Demand::ClosedLoop {
        clients: &clients,
        think_time_ms: 10,
        cpu_per_request_us: 40_000,
    };
    let pod = PodTemplate {
        cpu_limit_m: Some(500),
        ..PodTemplate::new(200)
    };
    let mut sim: Simulation<4> = Simulation::new(Scenario::new(0, 60_000, demand, pod)).unwrap();
    let r = sim.step().unwrap().unwrap();
    assert_eq!((r.offered_m, r.served_m, r.usage_m), (1332, 500, 500));
    assert_eq!(r.ready_utilization_percent, Some(250));
}
