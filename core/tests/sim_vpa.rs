//! The VPA recommendation for a container burning half a core, through the simulator.
//!
//! One pod, no limit, 500m of demand; the recommender samples every minute for an hour (61
//! samples, both ends included). The hand check: every CPU sample is 500m, which falls in the
//! histogram bucket [477m, 511m); percentiles report a bucket's end, so p90 is 511m, and the
//! 15% safety margin makes 587m. Memory: 8 MiB peaks sit in the first bucket, far below the
//! pod minimum of 250Mi, which the target takes.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use podscale::sim::{Demand, DemandPoint, PodTemplate, Scenario, Simulation, VpaSetup};
use podscale::vpa::{
    AggregateContainerState, AggregationConfig, ContainerState, RecommenderConfig, recommend_pod,
};

const START_MS: i64 = 1_700_000_000_000;
const MINUTE_MS: i64 = 60_000;

#[test]
fn half_a_core_recommends_587m() {
    let demand = [DemandPoint::new(START_MS, 500)];
    let mut scenario = Scenario::new(
        START_MS,
        START_MS + 60 * MINUTE_MS,
        Demand::Cpu(&demand),
        PodTemplate::new(100),
    );
    scenario.vpa = Some(VpaSetup::default());
    let mut sim: Simulation<1> = Simulation::new(scenario).unwrap();
    let mut recommendations = Vec::new();
    while let Some(record) = sim.step().unwrap() {
        assert_eq!(record.usage_m, 500);
        if let Some(vpa) = record.vpa {
            recommendations.push((record.time_ms, vpa));
        }
    }
    assert_eq!(recommendations.len(), 61);
    assert!(
        recommendations
            .iter()
            .all(|(t, _)| (t - START_MS) % MINUTE_MS == 0)
    );
    let (_, last) = recommendations.last().unwrap();
    assert_eq!(last.target.cpu_m, Some(587));
    assert_eq!(last.target.memory_bytes, Some(250 * 1024 * 1024));
    assert_eq!(sim.vpa_aggregate().unwrap().total_samples_count, 61);

    // The simulator feeds the recommender exactly what a direct replay does.
    let mut aggregate =
        AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), START_MS)
            .unwrap();
    let mut container = ContainerState::new();
    for minute in 0..=60 {
        let t = START_MS + minute * MINUTE_MS;
        container.add_cpu_sample(&mut aggregate, t, 500).unwrap();
        container
            .add_memory_sample(&mut aggregate, t, 8 << 20)
            .unwrap();
    }
    let direct =
        recommend_pod::<_, 1>(&RecommenderConfig::default(), &[("app", &aggregate)]).unwrap();
    assert_eq!(last.target, direct[0].target);
    assert_eq!(last.lower_bound, direct[0].lower_bound);
    assert_eq!(last.upper_bound, direct[0].upper_bound);
}
