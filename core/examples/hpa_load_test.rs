//! Replays a load test through the HPA engine, one 15 s sync at a time.
//!
//! A Deployment's pods request 200m CPU (limit 500m); its HPA targets 50% CPU utilization with
//! 1 to 10 replicas and no `behavior`, so the legacy path and the controller defaults apply:
//! a 5-minute downscale stabilization window and a 10% tolerance. 700m of demand arrives at 1:00,
//! holds until 10:00 and then stops.
//!
//! Run with `cargo run --release -p podscale --example hpa_load_test`.

use podscale::hpa::{
    ConditionReason, ConditionStatus, ConditionType, Container, ContainerUsage, ControllerConfig,
    HpaError, HpaSpec, HpaState, MetricData, MetricSpec, Observation, Pod, PodResourceMetrics,
    ReadyCondition, ResourceAmount, sync,
};

/// `--horizontal-pod-autoscaler-sync-period`.
const SYNC_MS: i64 = 15_000;
const SYNC_STEP: usize = SYNC_MS as usize;
const END_MS: i64 = 20 * 60_000;
const LOAD_START_MS: i64 = 60_000;
/// The last sync that still sees the load; the next one sees idle pods.
const LOAD_END_MS: i64 = 600_000;
const DEMAND_MILLI: i64 = 700;
const REQUEST_MILLI: i64 = 200;
const LIMIT_MILLI: i64 = 500;
/// What a pod burns with no traffic, or while it is still starting.
const IDLE_MILLI: i64 = 10;
/// Creation to Ready: image pull, process start, first successful readiness probe.
const STARTUP_MS: i64 = 30_000;
/// metrics-server's sample window.
const WINDOW_MS: i64 = 30_000;

/// A pod of the simulated Deployment.
struct SimPod {
    name: String,
    created_ms: i64,
}

impl SimPod {
    fn ready_at_ms(&self) -> i64 {
        self.created_ms.saturating_add(STARTUP_MS)
    }

    fn is_ready(&self, now_ms: i64) -> bool {
        now_ms >= self.ready_at_ms()
    }

    /// The pod as the API server shows it. It is Running from creation (start time = creation),
    /// and Ready flips to True after `STARTUP_MS`.
    ///
    /// Upstream distrusts a CPU sample during the initialization period (300 s from start) unless
    /// its window began after the Ready transition: start-up CPU spikes would otherwise trigger a
    /// needless scale-up. With a 30 s window a new pod therefore counts as unready until 60 s
    /// after creation, 30 s after it started serving. On a scale-up unready pods count at 0 usage,
    /// so the HPA only grows further while even that pessimistic average is above target.
    fn pod<'a>(&'a self, containers: &'a [Container<'a>], now_ms: i64) -> Pod<'a> {
        let (status, last_transition_time_ms) = if self.is_ready(now_ms) {
            (ConditionStatus::True, self.ready_at_ms())
        } else {
            (ConditionStatus::False, self.created_ms)
        };
        Pod {
            start_time_ms: Some(self.created_ms),
            ready: Some(ReadyCondition {
                status,
                last_transition_time_ms,
            }),
            ..Pod::running_ready(&self.name, containers)
        }
    }
}

fn demand_milli(now_ms: i64) -> i64 {
    if (LOAD_START_MS..=LOAD_END_MS).contains(&now_ms) {
        DEMAND_MILLI
    } else {
        0
    }
}

fn clock(ms: i64) -> String {
    let seconds = ms / 1000;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// What one sync saw and decided, detached from the borrowed inputs.
struct Step {
    ready: usize,
    desired: i32,
    /// The metric's proposal before stabilization and limits.
    wanted: i32,
    /// Averaged over trusted pods only, as `kubectl get hpa` shows it.
    utilization: Option<i32>,
}

/// Builds what the controller would observe at `now_ms` and runs one sync on it.
fn sync_at(
    fleet: &[SimPod],
    containers: &[Container<'_>],
    spec: &HpaSpec<'_>,
    config: &ControllerConfig,
    state: &mut HpaState,
    now_ms: i64,
) -> Result<Step, HpaError> {
    // The Service spreads demand evenly over Ready pods only; CFS throttling caps each at its
    // limit, and the demand beyond that is simply not served.
    let ready = fleet.iter().filter(|p| p.is_ready(now_ms)).count();
    let share = demand_milli(now_ms)
        .checked_div(i64::try_from(ready).unwrap_or(i64::MAX))
        .unwrap_or(0)
        .clamp(IDLE_MILLI, LIMIT_MILLI);

    // The engine only borrows: these owned buffers outlive the decision. A pod still starting
    // has no traffic and just idles.
    let usage: Vec<[ResourceAmount; 1]> = fleet
        .iter()
        .map(|p| {
            if p.is_ready(now_ms) {
                share
            } else {
                IDLE_MILLI
            }
        })
        .map(|milli| [ResourceAmount::new("cpu", milli)])
        .collect();
    let per_container: Vec<[ContainerUsage; 1]> = usage
        .iter()
        .map(|u| [ContainerUsage::new("app", u)])
        .collect();
    // Every pod has a fresh sample (usage is steady within a step, so the 30 s average is the
    // current rate), starting pods included: the readiness rules decide whether it counts.
    let samples: Vec<PodResourceMetrics> = fleet
        .iter()
        .zip(&per_container)
        .map(|(p, c)| PodResourceMetrics::new(&p.name, now_ms, WINDOW_MS, c))
        .collect();
    let pods: Vec<Pod> = fleet.iter().map(|p| p.pod(containers, now_ms)).collect();
    let data = [MetricData::Resource(&samples)];
    let current = i32::try_from(fleet.len()).unwrap_or(i32::MAX);
    let observation = Observation::new(current, current, &pods, &data);

    let decision = sync(spec, config, state, &observation, now_ms)?;
    Ok(Step {
        ready,
        desired: decision.desired_replicas,
        wanted: decision.metric_replicas.unwrap_or(0),
        utilization: decision
            .metrics
            .first()
            .and_then(|m| m.as_ref().ok())
            .and_then(|p| p.current.average_utilization),
    })
}

fn main() -> Result<(), HpaError> {
    let requests = [ResourceAmount::new("cpu", REQUEST_MILLI)];
    let containers = [Container::new("app", &requests)];
    let spec = HpaSpec::new(1, 10, &[MetricSpec::resource_utilization("cpu", 50)])?;
    // No `behavior`: the legacy path, with the controller's flag defaults.
    let config = ControllerConfig::default();
    let mut state: HpaState = HpaState::new();
    // One replica that has run for an hour: past every readiness period, so always trusted.
    let mut fleet = vec![SimPod {
        name: "web-0".into(),
        created_ms: -3_600_000,
    }];
    let mut new_names = (1..).map(|i| format!("web-{i}"));
    let (mut first_up, mut last_up, mut plateau, mut scale_down) = (None, None, 0, None);

    println!(
        "{:>5}  {:>5}  {:>7}  {:>5}  {:>7}  event",
        "time", "load", "ready", "util", "desired"
    );
    for now in (0..=END_MS).step_by(SYNC_STEP) {
        let current = i32::try_from(fleet.len()).unwrap_or(i32::MAX);
        let step = sync_at(&fleet, &containers, &spec, &config, &mut state, now)?;
        let (desired, wanted) = (step.desired, step.wanted);
        let reason = |kind| {
            state
                .conditions
                .get(kind)
                .filter(|c| c.status == ConditionStatus::True)
                .map(|c| c.reason)
        };
        let event = if desired > current {
            first_up.get_or_insert(now);
            last_up = Some(now);
            match reason(ConditionType::ScalingLimited) {
                Some(limit) => format!("scale up (metrics want {wanted}, {limit})"),
                None => "scale up".to_owned(),
            }
        } else if desired < current {
            scale_down.get_or_insert((now, desired));
            "scale down".to_owned()
        } else if reason(ConditionType::AbleToScale) == Some(ConditionReason::ScaleDownStabilized) {
            format!("scale-down held (metrics want {wanted}, ScaleDownStabilized)")
        } else {
            String::new()
        };
        let utilization = step
            .utilization
            .map_or_else(|| "-".to_owned(), |u| format!("{u}%"));
        println!(
            "{:>5}  {:>4}m  {:>3}/{:<3}  {utilization:>5}  {desired:>7}  {event}",
            clock(now),
            demand_milli(now),
            step.ready,
            fleet.len(),
        );

        // The Deployment follows the scale write at once: new pods start now, and the newest
        // pods go first on a scale-down (as a ReplicaSet picks them).
        let target = usize::try_from(desired).unwrap_or(0);
        while fleet.len() < target {
            fleet.push(SimPod {
                name: new_names.next().unwrap_or_default(),
                created_ms: now,
            });
        }
        fleet.truncate(target);
        if now == LOAD_END_MS {
            plateau = fleet.len();
        }
    }

    println!();
    if let (Some(first), Some(last)) = (first_up, last_up) {
        println!(
            "Load arrived at {}: scaled up from {} to {}, plateau {plateau} replicas.",
            clock(LOAD_START_MS),
            clock(first),
            clock(last),
        );
    }
    if let Some((down, replicas)) = scale_down {
        println!(
            "Load stopped after {}: the 5-minute stabilization window held {plateau} replicas; \
             scaled down to {replicas} at {}, {} later.",
            clock(LOAD_END_MS),
            clock(down),
            clock(down.saturating_sub(LOAD_END_MS)),
        );
    }
    Ok(())
}
