//! KEDA's quarter-hour Seoul schedule over two hours, replayed by the simulator and checked by
//! hand.
//!
//! The ScaledObject: a cron trigger `start: 00,15,30,45 * * * *`, `end: 05,20,35,50 * * * *`,
//! `timezone: Asia/Seoul`, `desiredReplicas: 1`; `minReplicaCount: 0`, `cooldownPeriod: 300`,
//! `pollingInterval: 30`. KEDA owns 0 <-> 1; the HPA it generates (External metric, average
//! value 1 per pod, min 1, max 100) owns 1 <-> N and syncs every 15 s.
//!
//! The hand check: the replay starts at 09:58:00 KST, so polls fall on :00 and :30 of every
//! minute. KEDA's rule (active when the next `end` comes no later than the next `start`) makes
//! each window [:00, :05): at 10:00:00 the next start is 10:15 and the next end 10:05, active;
//! at 10:05:00 the next end (10:20) is after the next start (10:15), inactive. The first poll
//! in the window activates 0 -> 1 at once; the last active poll is 10:04:30, and scale-in
//! needs `lastActiveTime + cooldown` strictly before now: 10:09:30 < now, first true at the
//! 10:10:00 poll. So one replica from :00:00 to :09:45 of every quarter hour, eight times in
//! two hours. Meanwhile the HPA keeps 1: the metric is 1 (one replica) in the window; after it
//! the metric proposes 0, but the 5-minute downscale stabilization window still holds the 1s
//! recommended since :00 (`ScaleDownStabilized`), and KEDA scales to zero before they leave it.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use podscale::hpa::ConditionReason;
use podscale::keda::{
    CronTrigger, ScaleActionKind, ScaledObjectSpec, Trigger, external_metric_spec,
};
use podscale::sim::{Demand, HpaSetup, KedaSetup, PodTemplate, Scenario, Simulation, StepRecord};

/// 2024-05-01 09:58:00 KST.
const START_MS: i64 = 1_714_525_080_000;
const MINUTE_MS: i64 = 60_000;

/// Minutes and seconds after 09:58:00 KST of a KST wall time on that day.
fn kst(hour: i64, minute: i64, second: i64) -> i64 {
    START_MS + ((hour - 9) * 60 + minute - 58) * MINUTE_MS + second * 1000
}

fn replay() -> Vec<StepRecord> {
    let trigger = CronTrigger::from_metadata(
        &[
            ("timezone", "Asia/Seoul"),
            ("start", "00,15,30,45 * * * *"),
            ("end", "05,20,35,50 * * * *"),
            ("desiredReplicas", "1"),
        ],
        0,
    )
    .unwrap();
    let mut so = ScaledObjectSpec::new("quarter-hour", &[Trigger::new("cron")]).unwrap();
    so.min_replica_count = Some(0);
    so.cooldown_period_seconds = Some(300);
    so.polling_interval_seconds = Some(30);
    let metric_name = trigger.metric_name().to_string();
    let metric = external_metric_spec(&metric_name, None, 1000).unwrap();
    let hpa = so.generate_hpa(&[metric]).unwrap();
    let triggers = [trigger];

    let mut scenario = Scenario::new(
        START_MS,
        START_MS + 120 * MINUTE_MS,
        Demand::Cpu(&[]),
        PodTemplate::new(100),
    );
    scenario.initial_replicas = 0;
    scenario.keda = Some(KedaSetup {
        scaled_object: &so,
        triggers: &triggers,
    });
    scenario.hpa = Some(HpaSetup::new(&hpa.spec));
    let sim: Simulation<4> = Simulation::new(scenario).unwrap();
    sim.collect::<Result<Vec<_>, _>>().unwrap()
}

#[test]
fn one_replica_for_ten_minutes_every_quarter_hour() {
    let records = replay();
    assert_eq!(records.len(), 481); // two hours of 15 s steps, both ends included
    for r in &records {
        let local = (r.time_ms - kst(10, 0, 0)).rem_euclid(15 * MINUTE_MS);
        let before_first = r.time_ms < kst(10, 0, 0);
        let expected = if !before_first && local < 10 * MINUTE_MS {
            1
        } else {
            0
        };
        assert_eq!(r.spec_replicas, expected, "at {}", r.time_ms);
    }
    let kinds = |kind| {
        records
            .iter()
            .filter_map(|r| r.keda.and_then(|k| k.action))
            .filter(|a| a.kind == kind)
            .count()
    };
    assert_eq!(kinds(ScaleActionKind::Activate), 8);
    assert_eq!(kinds(ScaleActionKind::Deactivate), 8);
}

#[test]
fn window_edges_cooldown_and_hpa() {
    let records = replay();
    let at = |t| records.iter().find(|r| r.time_ms == t).unwrap();
    // KEDA polls every 30 s; the HPA syncs every 15 s.
    assert!(at(kst(10, 0, 15)).keda.is_none() && at(kst(10, 0, 15)).hpa.is_some());

    let open = at(kst(10, 0, 0));
    let action = open.keda.unwrap().action.unwrap();
    assert_eq!(
        (action.kind, action.scale_from, action.scale_to),
        (ScaleActionKind::Activate, 0, 1)
    );
    assert_eq!(open.cron_active, Some(true));
    // The pod runs 10 s after creation and is Ready 5 s later.
    assert_eq!(at(kst(10, 0, 0)).ready_replicas, 0);
    assert_eq!(at(kst(10, 0, 15)).ready_replicas, 1);

    assert_eq!(at(kst(10, 4, 30)).cron_active, Some(true));
    assert_eq!(at(kst(10, 5, 0)).cron_active, Some(false));
    // After the window, the HPA's metric proposes 0; the stabilization window keeps 1.
    let h = at(kst(10, 5, 0)).hpa.unwrap();
    assert_eq!((h.metric_replicas, h.desired_replicas), (Some(0), 1));
    assert_eq!(
        h.able_to_scale.unwrap().reason,
        ConditionReason::ScaleDownStabilized
    );

    // Cooling down: 10:09:30 is exactly lastActiveTime + 300 s, not yet past.
    assert_eq!(at(kst(10, 9, 30)).keda.unwrap().action, None);
    let close = at(kst(10, 10, 0)).keda.unwrap().action.unwrap();
    assert_eq!(
        (close.kind, close.scale_to),
        (ScaleActionKind::Deactivate, 0)
    );
    // At zero the HPA stands aside.
    let h = at(kst(10, 10, 15)).hpa.unwrap();
    assert_eq!(
        h.scaling_active.unwrap().reason,
        ConditionReason::ScalingDisabled
    );
}
