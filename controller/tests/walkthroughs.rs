//! Each walkthrough's timeline against expectations checked by hand (the reasoning is the
//! core's, in core/tests/sim_php_apache.rs, sim_keda_cron.rs and sim_vpa.rs), through the
//! manifests and demand files of examples/walkthroughs.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use podscale::hpa::{ConditionReason, RescaleReason};
use podscale::keda::ScaleActionKind;
use podscale::sim::StepRecord;
use podscale_controller::demo::WALKTHROUGHS;

fn walkthrough(name: &str) -> Vec<StepRecord> {
    let w = WALKTHROUGHS.iter().find(|w| w.name == name).unwrap();
    w.run().unwrap().records
}

fn at(records: &[StepRecord], ms: i64) -> &StepRecord {
    records.iter().find(|r| r.time_ms == ms).unwrap()
}

/// php-apache: one client, 40 ms of CPU a request at most at the 500m limit (80 ms), 10 ms
/// pause: 40/90 of a core, 444m, however many pods share it. At 50% of 200m a pod should use
/// 100m, so ceil(444 / 100) = 5 pods; at 5, 44% is a ratio of 0.88, outside the tolerance,
/// but ceil(0.88 * 5) = 5: the plateau holds.
#[test]
fn php_apache_climbs_plateaus_and_scales_down_five_minutes_after() {
    let records = walkthrough("php-apache");
    assert_eq!(records.len(), 81); // 0:00 to 20:00 every 15 s
    let r = at(&records, 60_000);
    assert_eq!((r.spec_replicas, r.offered_m, r.served_m), (1, 444, 444));

    // 1:15: 222% on one pod wants 5; the legacy limit max(2 * 1, 4) allows 4.
    let h = at(&records, 75_000).hpa.unwrap();
    assert_eq!(
        (h.utilization_percent, h.metric_replicas),
        (Some(222), Some(5))
    );
    assert_eq!((h.desired_replicas, h.rescale), (4, true));
    assert_eq!(
        h.scaling_limited.unwrap().reason,
        ConditionReason::ScaleUpLimit
    );
    // 1:30: the highest recommendation of the window, 5, is written.
    let h = at(&records, 90_000).hpa.unwrap();
    assert_eq!((h.desired_replicas, h.rescale), (5, true));

    // The plateau: 5 pods, all ready, 44% as the HPA sees it.
    for r in records
        .iter()
        .filter(|r| (120_000..=600_000).contains(&r.time_ms))
    {
        assert_eq!(
            (r.spec_replicas, r.ready_replicas),
            (5, 5),
            "at {}",
            r.time_ms
        );
        assert_eq!(r.hpa.unwrap().utilization_percent, Some(44));
        // The client stops at 10:00, which the HPA reads at the next sync.
        let used = if r.time_ms < 600_000 { 44 } else { 0 };
        assert_eq!(r.ready_utilization_percent, Some(used));
    }

    // The load stops at 10:00; 10:15 reads idle pods; the 5-minute window holds 5 until
    // 15:15.
    let h = at(&records, 615_000).hpa.unwrap();
    assert_eq!((h.metric_replicas, h.desired_replicas), (Some(0), 5));
    assert_eq!(
        h.able_to_scale.unwrap().reason,
        ConditionReason::ScaleDownStabilized
    );
    assert_eq!(at(&records, 900_000).spec_replicas, 5);
    let h = at(&records, 915_000).hpa.unwrap();
    assert_eq!(h.reason, Some(RescaleReason::AllMetricsBelowTarget));
    assert!(
        records
            .iter()
            .filter(|r| r.time_ms >= 915_000)
            .all(|r| r.spec_replicas == 1)
    );
}

/// KEDA: from 09:58 KST, polls at :00 and :30; each window [:00, :05) activates at once, the
/// last active poll is :04:30, and the cooldown (300 s, strictly) ends at the :10:00 poll.
#[test]
fn keda_quarter_hour_one_replica_from_00_to_10() {
    let records = walkthrough("quarter-hour");
    assert_eq!(records.len(), 481);
    let ten_kst = 1_714_525_200_000; // 2024-05-01T10:00:00+09:00
    for r in &records {
        let local = (r.time_ms - ten_kst).rem_euclid(15 * 60_000);
        let expected = i32::from(r.time_ms >= ten_kst && local < 10 * 60_000);
        assert_eq!(r.spec_replicas, expected, "at {}", r.time_ms);
    }
    let count = |kind| {
        records
            .iter()
            .filter_map(|r| r.keda.and_then(|k| k.action))
            .filter(|a| a.kind == kind)
            .count()
    };
    assert_eq!(count(ScaleActionKind::Activate), 8);
    assert_eq!(count(ScaleActionKind::Deactivate), 8);
    // 10:09:30 is exactly lastActiveTime + 300 s: still cooling down.
    assert_eq!(at(&records, ten_kst + 570_000).keda.unwrap().action, None);
}

/// VPA: every CPU sample is 500m, in the bucket [477m, 511m); p90 reports the bucket's end,
/// plus the 15% margin: 587m. Memory samples (8 MiB) sit far below the pod minimum, 250Mi.
/// The hamster VPA's policy (100m..1 CPU, 50Mi..500Mi) caps the bounds, not the target.
#[test]
fn hamster_recommendation_is_587m_and_the_policy_caps_the_bounds() {
    let records = walkthrough("hamster");
    let samples: Vec<_> = records.iter().filter_map(|r| r.vpa).collect();
    assert_eq!(samples.len(), 61); // every minute of the hour, both ends included
    let last = samples.last().unwrap();
    assert_eq!(last.target.cpu_m, Some(587));
    assert_eq!(last.target.memory_bytes, Some(250 << 20));
    // With an hour of history the upper bound is many cores: maxAllowed, 1 CPU, caps it.
    assert!(samples.iter().all(|v| v.upper_bound.cpu_m == Some(1000)));
    assert!(
        samples
            .iter()
            .all(|v| v.upper_bound.memory_bytes <= Some(500 << 20))
    );
    // The lower bound starts at minAllowed and grows toward the target as confidence grows.
    assert_eq!(samples[0].lower_bound.cpu_m, Some(100));
    assert!(
        samples
            .windows(2)
            .all(|w| w[0].lower_bound.cpu_m <= w[1].lower_bound.cpu_m)
    );
    assert!(last.lower_bound.cpu_m.unwrap() > 500 && last.lower_bound.cpu_m <= last.target.cpu_m);
}

#[test]
fn the_same_files_give_byte_identical_csv_and_svg() {
    for w in &WALKTHROUGHS {
        let render = || {
            let timeline = w.run().unwrap();
            let mut csv = Vec::new();
            timeline.write_csv(&mut csv).unwrap();
            let svg = podscale_controller::plot::render_svg(&timeline).unwrap();
            (csv, svg)
        };
        let (csv_a, svg_a) = render();
        let (csv_b, svg_b) = render();
        assert_eq!(csv_a, csv_b, "{}", w.name);
        assert_eq!(svg_a, svg_b, "{}", w.name);
    }
}

#[test]
fn the_csv_has_one_row_per_step() {
    let timeline = WALKTHROUGHS[0].run().unwrap();
    let mut csv = Vec::new();
    timeline.write_csv(&mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 82);
    assert!(lines[0].starts_with("time,elapsed_s,demand_clients,offered_cpu_m"));
    // 15:15: the scale-down to 1.
    let row = lines
        .iter()
        .find(|l| l.starts_with("1970-01-01T00:15:15Z"))
        .unwrap();
    assert!(row.contains(",all metrics below target,"), "{row}");
}
