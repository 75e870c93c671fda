//! Replays KEDA's quarter-hour Seoul schedule for one hour: the cron trigger decides the window,
//! KEDA's executor owns 0 <-> 1 (activation, cooldown), and the HPA it generates owns 1 <-> N.
//!
//! The ScaledObject: `start: 00,15,30,45 * * * *`, `end: 05,20,35,50 * * * *`,
//! `timezone: Asia/Seoul`, `desiredReplicas: 1`, `minReplicaCount: 0`, `cooldownPeriod: 300`,
//! `pollingInterval: 30`.
//!
//! Run with `cargo run --release -p podscale --example keda_cron_schedule`.

use podscale::hpa::{
    ControllerConfig, HpaSpec, HpaState, MetricData, MetricSpec, MetricTarget, Observation, sync,
};
use podscale::keda::{
    CronTrigger, ScaleActionKind, ScaledObjectSpec, ScaledObjectState, Trigger, TriggerObservation,
    poll,
};

/// 2024-05-01 09:58 KST: two minutes before the first window of the hour.
const START_MS: i64 = 1_714_525_080_000;
const END_MS: i64 = START_MS + 62 * 60_000;
/// KEDA's `pollingInterval` and the HPA's sync period.
const POLL_MS: i64 = 30_000;
const HPA_SYNC_MS: i64 = 15_000;
const KST_OFFSET_MS: i64 = 9 * 3_600_000;

fn kst(ms: i64) -> String {
    let seconds = (ms + KST_OFFSET_MS).div_euclid(1000);
    let (h, m, s) = (seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    format!("{h:02}:{m:02}:{s:02}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let trigger = CronTrigger::from_metadata(
        &[
            ("timezone", "Asia/Seoul"),
            ("start", "00,15,30,45 * * * *"),
            ("end", "05,20,35,50 * * * *"),
            ("desiredReplicas", "1"),
        ],
        0,
    )?;
    let mut scaled_object = ScaledObjectSpec::new("quarter-hour", &[Trigger::new("cron")])?;
    scaled_object.min_replica_count = Some(0);
    scaled_object.cooldown_period_seconds = Some(300);
    scaled_object.polling_interval_seconds = Some(30);
    let mut keda_state: ScaledObjectState = ScaledObjectState::new();

    // The HPA KEDA generates: min max(0, 1) = 1, max 100, the trigger's external metric at an
    // average value of 1 per pod, so the cron metric (desiredReplicas or 0) is a replica count.
    let metric_name = trigger.metric_name().to_string();
    let metric = MetricSpec::External {
        metric: &metric_name,
        target: MetricTarget::AverageValue(1000),
    };
    let hpa = HpaSpec::new(1, 100, &[metric])?;
    let config = ControllerConfig::default();
    let mut hpa_state: HpaState = HpaState::new();

    println!("metric: {metric_name}");
    println!(
        "{:>8}  {:>6}  {:>6}  {:>8}  event",
        "KST", "window", "metric", "replicas"
    );
    let mut replicas = 0;
    let mut was_active = None;
    let mut now = START_MS;
    while now <= END_MS {
        let activity = trigger.evaluate(now)?;
        let mut events = Vec::new();
        match was_active {
            None => events.push("start of the replay"),
            Some(active) if active != activity.active => {
                events.push(if activity.active {
                    "window opens"
                } else {
                    "window closes"
                });
            }
            Some(_) => {}
        }
        was_active = Some(activity.active);
        if now % POLL_MS == 0 {
            let observation = TriggerObservation {
                active: activity.active,
                metric: activity.metric_value,
                error: false,
            };
            let decision = poll(
                &scaled_object,
                &mut keda_state,
                &[observation],
                replicas,
                now,
            )?;
            if let Some(action) = decision.action {
                replicas = action.scale_to;
                events.push(match action.kind {
                    ScaleActionKind::Activate => "KEDA activates: 0 -> 1",
                    ScaleActionKind::Deactivate => "KEDA scales to zero after the cooldown",
                    ScaleActionKind::ToMin => "KEDA scales to minReplicaCount",
                });
            }
        }
        // While the target has replicas, the HPA decides 1..N every sync period; at zero it
        // reports ScalingDisabled and leaves the count alone.
        if replicas > 0 {
            let values = [(activity.metric_value * 1000.0) as i64];
            let data = [MetricData::External(&values)];
            let observation = Observation::new(replicas, replicas, &[], &data);
            let decision = sync(&hpa, &config, &mut hpa_state, &observation, now)?;
            if decision.rescale {
                events.push("HPA rescales");
                replicas = decision.desired_replicas;
            }
        }
        if !events.is_empty() {
            let window = if activity.active { "open" } else { "closed" };
            println!(
                "{:>8}  {window:>6}  {:>6}  {replicas:>8}  {}",
                kst(now),
                activity.metric_value,
                events.join("; ")
            );
        }
        now += HPA_SYNC_MS;
    }
    println!();
    println!(
        "Each window opens at :00/:15/:30/:45 and closes five minutes later. KEDA activates the"
    );
    println!(
        "target at the first poll inside the window and scales it to zero at the first poll strictly"
    );
    println!(
        "more than cooldownPeriod (300 s) after the last active poll: about 5 minutes after the end."
    );
    Ok(())
}
