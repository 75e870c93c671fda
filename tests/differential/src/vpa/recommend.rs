//! The container model and the pod recommender (upstream `pkg/recommender/model` and
//! `pkg/recommender/logic`).
//!
//! A case is one pod of one to three containers. Each container name has one or two aggregates
//! (label sets), each fed by one or two container instances (pods); random CPU, memory and OOM
//! events go through each instance's `ContainerState` into its aggregate. The aggregates of a
//! name are used as they are or merged into a fresh one (as the recommender's
//! `AggregateStateByContainerName` does); the container's policy sets its mode and controlled
//! resources. Then the recommender's target, lower and upper bounds must be upstream's, to the
//! millicore and the byte, and so must each event's accepted/rejected answer.
//!
//! Histories range from none and one sample to weeks (young and old, for the confidence), with
//! samples out of order and duplicates (rejected), random recommender flags (percentiles,
//! margin, pod minimums, confidence intervals) and aggregation flags (memory interval, OOM
//! bump-up, half-lives).
//!
//! Excluded, and why:
//! * Amounts near `i64::MAX`: upstream's `memoryUsed + OOMMinBumpUp` overflows Go's int64.
//!   Amounts stay below 1e13 (memory) and 1e7 millicores (CPU).
//! * Non-positive memory aggregation intervals and half-lives: upstream's flags are durations
//!   that it never validates, but a zero half-life divides by zero in the decay factor.
//! * The `PerVPAConfig` per-container overrides: they set the same fields the aggregation flags
//!   set, which are covered.

use podscale::vpa::{
    AggregateContainerState, AggregationConfig, ContainerResourcePolicy, ContainerScalingMode,
    ContainerState, ControlledResources, DecayingHistogram, OomError, RecommenderConfig, Resources,
    recommend_pod,
};
use proptest::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::{log_uniform, refused};

/// Container names, in an order that is not sorted (the answer is sorted by name).
const NAMES: [&str; 3] = ["sidecar", "app", "db"];

/// One input to a `ContainerState`.
#[derive(Debug, Clone, Serialize)]
pub struct UsageEvent {
    /// Index of the aggregate (label set) in the container's list.
    pub aggregate: usize,
    /// Index of the container instance within that aggregate.
    pub instance: usize,
    /// `cpu` (millicores), `memory` (bytes) or `oom` (the memory request, bytes).
    pub kind: &'static str,
    /// When: the sample's `MeasureStart` or the OOM's timestamp, Unix milliseconds.
    pub t_ms: i64,
    /// The usage or the request.
    pub amount: i64,
}

/// One container name of the pod.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerCase {
    /// The container name.
    pub name: &'static str,
    /// `Auto` or `Off` (an `Off` container is left out of the recommendation).
    pub mode: &'static str,
    /// `controlledResources` of the policy; `None` for the default (both).
    pub controlled_resources: Option<Vec<&'static str>>,
    /// Number of container instances of each aggregate.
    pub aggregates: Vec<usize>,
    /// Merge the aggregates into a fresh one; otherwise there is exactly one, used as is.
    pub merge: bool,
    /// Applied in order.
    pub events: Vec<UsageEvent>,
}

/// A pod's history and the recommender's flags.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendCase {
    /// `model.NewAggregationsConfig` arguments.
    pub aggregation: AggregationConfig,
    /// `logic.RecommendationConfig`.
    pub recommender: RecommenderConfig,
    /// One to three containers with distinct names.
    pub containers: Vec<ContainerCase>,
}

/// Random pods.
pub fn cases() -> BoxedStrategy<RecommendCase> {
    let containers = proptest::sample::subsequence(NAMES.to_vec(), 1..=3)
        .prop_shuffle()
        .prop_flat_map(|names| names.into_iter().map(container).collect::<Vec<_>>());
    (aggregation(), recommender(), containers)
        .prop_map(|(aggregation, recommender, containers)| RecommendCase {
            aggregation,
            recommender,
            containers,
        })
        .boxed()
}

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// A duration flag: the default 24h, or anything from a minute (an hour for half-lives) to
/// two weeks.
fn duration(low_ms: i64) -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(DAY_MS),
        log_uniform(low_ms as f64, (14 * DAY_MS) as f64).prop_map(|ms| ms as i64),
    ]
}

fn aggregation() -> impl Strategy<Value = AggregationConfig> {
    let defaults = AggregationConfig::default();
    prop_oneof![
        1 => Just(defaults),
        3 => (
            duration(MINUTE_MS),
            1i64..=16,
            prop_oneof![Just(1.2), 1.0..3.0f64],
            prop_oneof![Just(104_857_600.0), 0.0..1e9f64],
            duration(HOUR_MS),
            duration(HOUR_MS),
        )
            .prop_map(
                |(interval, count, ratio, min_bump, cpu_half_life, memory_half_life)| {
                    AggregationConfig {
                        memory_aggregation_interval_ms: interval,
                        memory_aggregation_interval_count: count,
                        oom_bump_up_ratio: ratio,
                        oom_min_bump_up_bytes: min_bump,
                        cpu_histogram_decay_half_life_ms: cpu_half_life,
                        memory_histogram_decay_half_life_ms: memory_half_life,
                    }
                },
            ),
    ]
}

fn percentile() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.5), Just(0.9), Just(0.95), 0.0..=1.0f64]
}

fn recommender() -> impl Strategy<Value = RecommenderConfig> {
    let defaults = RecommenderConfig::default();
    prop_oneof![
        1 => Just(defaults),
        3 => (
            [percentile(), percentile(), percentile(), percentile(), percentile(), percentile()],
            prop_oneof![Just(0.15), 0.0..1.0f64],
            prop_oneof![Just(25.0), 0.0..500.0f64],
            prop_oneof![Just(250.0), 0.0..2000.0f64],
            duration(HOUR_MS),
            duration(HOUR_MS),
        )
            .prop_map(|(p, margin, min_cpu, min_memory, cpu_interval, memory_interval)| {
                RecommenderConfig {
                    target_cpu_percentile: p[0],
                    lower_bound_cpu_percentile: p[1],
                    upper_bound_cpu_percentile: p[2],
                    target_memory_percentile: p[3],
                    lower_bound_memory_percentile: p[4],
                    upper_bound_memory_percentile: p[5],
                    safety_margin_fraction: margin,
                    pod_min_cpu_millicores: min_cpu,
                    pod_min_memory_mb: min_memory,
                    confidence_interval_cpu_ms: cpu_interval,
                    confidence_interval_memory_ms: memory_interval,
                }
            }),
    ]
}

/// The step between consecutive events: mostly forward at the history's pace, sometimes
/// zero (duplicates) or backwards (out of order).
fn step(pace_ms: i64) -> impl Strategy<Value = i64> {
    prop_oneof![
        30 => 1..=2 * pace_ms,
        1 => Just(0i64),
        2 => (1..=2 * pace_ms).prop_map(|d| -d),
        1 => (1..=2 * DAY_MS).prop_map(|d| -d),
        2 => 1..=3 * DAY_MS,
    ]
}

fn event_kind() -> impl Strategy<Value = &'static str> {
    prop_oneof![5 => Just("cpu"), 4 => Just("memory"), 1 => Just("oom")]
}

fn amount(kind: &'static str) -> BoxedStrategy<i64> {
    match kind {
        "cpu" => prop_oneof![
            1 => Just(0i64),
            1 => Just(-1i64),
            4 => 1i64..2_000,
            2 => log_uniform(1.0, 1e7).prop_map(|m| m as i64),
        ]
        .boxed(),
        "memory" => prop_oneof![
            1 => Just(0i64),
            1 => Just(-1i64),
            6 => log_uniform(1e5, 1e13).prop_map(|b| b as i64),
        ]
        .boxed(),
        _ => prop_oneof![
            1 => Just(0i64),
            4 => log_uniform(1e6, 1e12).prop_map(|b| b as i64),
        ]
        .boxed(),
    }
}

fn container(name: &'static str) -> impl Strategy<Value = ContainerCase> {
    let mode = prop_oneof![6 => Just("Auto"), 1 => Just("Off")];
    let controlled = prop_oneof![
        4 => Just(None),
        1 => Just(Some(vec!["cpu", "memory"])),
        1 => Just(Some(vec!["memory"])),
        1 => Just(Some(vec!["cpu"])),
        1 => Just(Some(vec![])),
    ];
    let aggregates = proptest::collection::vec(1usize..=2, 1..=2);
    // The history's pace: a sample every few seconds to every few hours, so that 0 to 80
    // events span anything from seconds (young, low confidence) to weeks.
    let pace = prop_oneof![
        Just(MINUTE_MS),
        log_uniform(1_000.0, (6 * HOUR_MS) as f64).prop_map(|p| p as i64)
    ];
    let start = 1_600_000_000_000i64..1_800_000_000_000;
    (mode, controlled, aggregates, any::<bool>(), pace, start).prop_flat_map(
        move |(mode, controlled_resources, aggregates, merge, pace, start)| {
            let slots: Vec<(usize, usize)> = aggregates
                .iter()
                .enumerate()
                .flat_map(|(a, &n)| (0..n).map(move |i| (a, i)))
                .collect();
            let event = (
                proptest::sample::select(slots),
                step(pace),
                event_kind().prop_flat_map(|kind| (Just(kind), amount(kind))),
            );
            let merge = merge || aggregates.len() > 1;
            proptest::collection::vec(event, 0..80).prop_map(move |events| {
                let mut t = start;
                let events = events
                    .into_iter()
                    .map(|((aggregate, instance), step, (kind, amount))| {
                        t += step;
                        UsageEvent {
                            aggregate,
                            instance,
                            kind,
                            t_ms: t,
                            amount,
                        }
                    })
                    .collect();
                ContainerCase {
                    name,
                    mode,
                    controlled_resources: controlled_resources.clone(),
                    aggregates: aggregates.clone(),
                    merge,
                    events,
                }
            })
        },
    )
}

type Aggregate = AggregateContainerState<DecayingHistogram>;

/// Feeds a container's events into its aggregates and returns the aggregate the recommender
/// reads, with the accepted flags; or podscale's refusal.
fn aggregate(
    config: AggregationConfig,
    container: &ContainerCase,
) -> Result<(Aggregate, Vec<bool>), Value> {
    let new = || Aggregate::with_vpa_histograms(config, 0).map_err(|e| refused("aggregate", e));
    let mut aggregates = Vec::new();
    let mut instances = Vec::new();
    for &count in &container.aggregates {
        aggregates.push(new()?);
        instances.push(vec![ContainerState::new(); count]);
    }
    let mut accepted = Vec::with_capacity(container.events.len());
    for (n, e) in container.events.iter().enumerate() {
        let (Some(aggregate), Some(state)) = (
            aggregates.get_mut(e.aggregate),
            instances
                .get_mut(e.aggregate)
                .and_then(|i| i.get_mut(e.instance)),
        ) else {
            return Err(refused("event", format!("no instance for event {n}")));
        };
        let ok = match e.kind {
            "cpu" => state.add_cpu_sample(aggregate, e.t_ms, e.amount),
            "memory" => state.add_memory_sample(aggregate, e.t_ms, e.amount),
            _ => match state.record_oom(aggregate, e.t_ms, e.amount) {
                Ok(()) => Ok(true),
                Err(OomError::TooOld { .. } | OomError::SampleRejected { .. }) => Ok(false),
                Err(OomError::Histogram(e)) => Err(e),
            },
        };
        accepted.push(ok.map_err(|err| refused(&format!("event {n}"), err))?);
    }
    let mut result = if container.merge {
        let mut fresh = new()?;
        for other in &aggregates {
            fresh.merge(other).map_err(|e| refused("merge", e))?;
        }
        fresh
    } else if let [only] = aggregates.as_slice() {
        only.clone()
    } else {
        return Err(refused("case", "several aggregates without merge"));
    };
    let mut policy = ContainerResourcePolicy::named(container.name);
    policy.mode = Some(if container.mode == "Off" {
        ContainerScalingMode::Off
    } else {
        ContainerScalingMode::Auto
    });
    policy.controlled_resources =
        container
            .controlled_resources
            .as_ref()
            .map(|names| ControlledResources {
                cpu: names.contains(&"cpu"),
                memory: names.contains(&"memory"),
            });
    result.update_from_policy(Some(&policy));
    Ok((result, accepted))
}

fn resources(r: Resources) -> Value {
    json!({ "cpu_m": r.cpu_m, "memory_bytes": r.memory_bytes })
}

/// podscale's answer to `case`, in the harness's shape.
pub fn podscale(case: &RecommendCase) -> Value {
    let mut aggregates = Vec::with_capacity(case.containers.len());
    let mut accepted = Vec::with_capacity(case.containers.len());
    for container in &case.containers {
        match aggregate(case.aggregation, container) {
            Ok((a, ok)) => {
                aggregates.push((container.name, a));
                accepted.push(ok);
            }
            Err(refusal) => return refusal,
        }
    }
    let pod: Vec<(&str, &Aggregate)> = aggregates.iter().map(|(n, a)| (*n, a)).collect();
    let list = match recommend_pod::<_, 3>(&case.recommender, &pod) {
        Ok(list) => list,
        Err(e) => return refused("recommend_pod", e),
    };
    let containers: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({
                "name": r.container_name,
                "target": resources(r.target),
                "lower_bound": resources(r.lower_bound),
                "upper_bound": resources(r.upper_bound),
            })
        })
        .collect();
    json!({ "accepted": accepted, "containers": containers })
}
