//! Properties the HPA spec implies, checked on random inputs.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use heapless::Vec as HVec;
use podscale::hpa::*;
use proptest::prelude::*;

const CPU: &str = "cpu";

/// Owned pods with one container each, and their CPU samples.
#[derive(Debug, Clone)]
struct Fleet {
    names: Vec<String>,
    requests: Vec<[ResourceAmount<'static>; 1]>,
    usage: Vec<[ResourceAmount<'static>; 1]>,
}

impl Fleet {
    fn new(requests: &[i64], usage: &[i64]) -> Self {
        Self {
            names: (0..requests.len()).map(|i| format!("pod-{i}")).collect(),
            requests: requests
                .iter()
                .map(|&r| [ResourceAmount::new(CPU, r)])
                .collect(),
            usage: usage
                .iter()
                .map(|&u| [ResourceAmount::new(CPU, u)])
                .collect(),
        }
    }
}

/// Runs `f` with borrowed views of the fleet: ready pods and their samples.
fn with_fleet<R>(fleet: &Fleet, f: impl FnOnce(&[Pod<'_>], &[PodResourceMetrics<'_>]) -> R) -> R {
    let containers: Vec<[Container<'_>; 1]> = fleet
        .requests
        .iter()
        .map(|r| [Container::new("app", r)])
        .collect();
    let pods: Vec<Pod<'_>> = fleet
        .names
        .iter()
        .zip(&containers)
        .map(|(n, c)| Pod::running_ready(n, c))
        .collect();
    let usage: Vec<[ContainerUsage<'_>; 1]> = fleet
        .usage
        .iter()
        .map(|u| [ContainerUsage::new("app", u)])
        .collect();
    let samples: Vec<PodResourceMetrics<'_>> = fleet
        .names
        .iter()
        .zip(&usage)
        .map(|(n, u)| PodResourceMetrics::new(n, 0, 30_000, u))
        .collect();
    f(&pods, &samples)
}

fn fleet_strategy() -> impl Strategy<Value = Fleet> {
    (1usize..40).prop_flat_map(|n| {
        (
            prop::collection::vec(1i64..4_000, n),
            prop::collection::vec(0i64..8_000, n),
        )
            .prop_map(|(r, u)| Fleet::new(&r, &u))
    })
}

fn policy_strategy() -> impl Strategy<Value = ScalingPolicy> {
    (prop::bool::ANY, 1i32..200, 1i32..1800).prop_map(|(pods, value, period)| {
        if pods {
            ScalingPolicy::pods(value, period)
        } else {
            ScalingPolicy::percent(value, period)
        }
    })
}

fn rules_strategy() -> impl Strategy<Value = Option<ScalingRules>> {
    prop::option::of(
        (
            prop::option::of(0i32..3600),
            prop::option::of(prop::sample::select(vec![
                SelectPolicy::Max,
                SelectPolicy::Min,
                SelectPolicy::Disabled,
            ])),
            prop::option::of(prop::collection::vec(policy_strategy(), 1..4)),
        )
            .prop_map(|(window, select, policies)| ScalingRules {
                stabilization_window_seconds: window,
                select_policy: select,
                policies: policies.map(|p| HVec::from_slice(&p).unwrap()),
                tolerance: None,
            }),
    )
}

fn behavior_strategy() -> impl Strategy<Value = Option<Behavior>> {
    prop::option::of(
        (rules_strategy(), rules_strategy()).prop_map(|(up, down)| Behavior {
            scale_up: up,
            scale_down: down,
        }),
    )
}

fn history_strategy() -> impl Strategy<Value = Vec<Recommendation>> {
    prop::collection::vec(
        (0i32..60, -4_000i64..0).prop_map(|(replicas, s)| Recommendation {
            replicas,
            timestamp_ms: s * 1000,
        }),
        0..40,
    )
}

fn events_strategy() -> impl Strategy<Value = Vec<ScaleEvent>> {
    prop::collection::vec(
        (1i32..20, -2_000i64..0).prop_map(|(change, s)| ScaleEvent {
            replica_change: change,
            timestamp_ms: s * 1000,
            outdated: false,
        }),
        0..6,
    )
}

/// One sync of a CPU-utilization HPA over `fleet`.
fn decide_once(
    fleet: &Fleet,
    current: i32,
    target: i32,
    bounds: (i32, i32),
    behavior: Option<Behavior>,
    state: &mut HpaState,
) -> Result<i32, HpaError> {
    let mut spec = HpaSpec::new(
        bounds.0,
        bounds.1,
        &[MetricSpec::resource_utilization(CPU, target)],
    )?;
    spec.behavior = behavior;
    with_fleet(fleet, |pods, samples| {
        let data = [MetricData::Resource(samples)];
        let observation = Observation::new(current, current, pods, &data);
        sync(&spec, &ControllerConfig::default(), state, &observation, 0)
            .map(|d| d.desired_replicas)
    })
}

fn state_with(
    history: Vec<Recommendation>,
    up: Vec<ScaleEvent>,
    down: Vec<ScaleEvent>,
) -> HpaState {
    let mut state = HpaState::new();
    state.recommendations = Some(HVec::from_slice(&history).unwrap());
    state.scale_up_events = HVec::from_slice(&up).unwrap();
    state.scale_down_events = HVec::from_slice(&down).unwrap();
    state
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Starting inside [min, max], the decision stays inside [min, max].
    #[test]
    fn result_within_bounds(
        fleet in fleet_strategy(), target in 1i32..200, min in 1i32..20, span in 0i32..30,
        behavior in behavior_strategy(), history in history_strategy(),
        up in events_strategy(), down in events_strategy(), offset in 0i32..50,
    ) {
        let max = min + span;
        let current = min + offset % (span + 1);
        let mut state = state_with(history, up, down);
        let desired = decide_once(&fleet, current, target, (min, max), behavior, &mut state).unwrap();
        prop_assert!((min..=max).contains(&desired), "{desired} outside [{min}, {max}]");
    }

    /// A usage ratio inside the tolerance band proposes the current count.
    #[test]
    fn within_tolerance_keeps_replicas(fleet in fleet_strategy(), target in 1i32..200, current in 1i32..100) {
        let calc = ReplicaCalculator::default();
        let proposal = with_fleet(&fleet, |pods, samples| {
            calc.resource_utilization_replicas(current, target, ResourceName::Cpu, None, pods, samples, 0).unwrap()
        });
        let ratio = f64::from(proposal.utilization) / f64::from(target);
        if calc.tolerances.is_within(ratio) {
            prop_assert_eq!(proposal.replicas, current);
        }
    }

    /// More usage on ready pods never proposes fewer replicas (current = pod count).
    #[test]
    fn more_usage_never_fewer_replicas(fleet in fleet_strategy(), target in 1i32..200, pod in 0usize..40, extra in 1i64..5_000) {
        let calc = ReplicaCalculator::default();
        let current = fleet.names.len() as i32;
        let mut busier = fleet.clone();
        let index = pod % busier.usage.len();
        busier.usage[index][0].milli += extra;
        let propose = |f: &Fleet| with_fleet(f, |pods, samples| {
            calc.resource_utilization_replicas(current, target, ResourceName::Cpu, None, pods, samples, 0).unwrap().replicas
        });
        prop_assert!(propose(&busier) >= propose(&fleet));
    }

    /// Without behavior, a scale-down never goes below a recommendation still in the window.
    #[test]
    fn scale_down_respects_window(desired in 0i32..60, history in history_strategy(), window_s in 0i64..3600) {
        let mut list: HVec<Recommendation, 64> = HVec::from_slice(&history).unwrap();
        let got = stabilize_recommendation(&mut list, desired, window_s * 1000, 0).unwrap();
        let floor = history.iter().filter(|r| r.timestamp_ms >= -window_s * 1000).map(|r| r.replicas).max();
        prop_assert!(got >= desired);
        if let Some(floor) = floor {
            prop_assert!(got >= floor);
        }
    }

    /// With behavior, no step exceeds what the policies allow.
    #[test]
    fn policy_limits_hold(
        current in 1i32..200, desired in 0i32..400, up in rules_strategy(), down in rules_strategy(),
        up_events in events_strategy(), down_events in events_strategy(),
    ) {
        let behavior = Behavior { scale_up: up, scale_down: down }.defaulted();
        let (up, down) = (behavior.scale_up.unwrap(), behavior.scale_down.unwrap());
        let got = limit_replicas_with_behavior(current, desired, 0, 1000, &up, &down, &up_events, &down_events, 0);
        if got.replicas > current {
            prop_assert!(got.replicas <= scale_up_limit(current, &up_events, &down_events, &up, 0).max(current));
            prop_assert!(got.replicas <= desired);
        }
        if got.replicas < current {
            prop_assert!(got.replicas >= scale_down_limit(current, &up_events, &down_events, &down, 0).min(current));
            prop_assert!(got.replicas >= desired);
        }
    }

    /// The same input always gives the same decision and the same state.
    #[test]
    fn deterministic(
        fleet in fleet_strategy(), target in 1i32..200, current in 1i32..30,
        behavior in behavior_strategy(), history in history_strategy(),
    ) {
        let mut a = state_with(history.clone(), vec![], vec![]);
        let mut b = state_with(history, vec![], vec![]);
        let da = decide_once(&fleet, current, target, (1, 30), behavior.clone(), &mut a);
        let db = decide_once(&fleet, current, target, (1, 30), behavior, &mut b);
        prop_assert_eq!(da, db);
        prop_assert_eq!(a, b);
    }

    /// The order of the samples does not matter: samples aligned with the pods (read by
    /// position after the first metric), reversed (matched by name) and sorted give the same
    /// decision for several metrics sharing one sample list.
    #[test]
    fn sample_order_does_not_change_the_decision(fleet in fleet_strategy(), target in 1i32..200, current in 1i32..40) {
        let mut spec = HpaSpec::new(1, 100, &[
            MetricSpec::resource_utilization(CPU, target),
            MetricSpec::Resource { name: ResourceName::Cpu, target: MetricTarget::AverageValue(i64::from(target) * 5) },
            MetricSpec::ContainerResource { name: ResourceName::Cpu, container: "app", target: MetricTarget::Utilization(target) },
        ]).unwrap();
        spec.behavior = Some(Behavior::default());
        let decide_with = |reorder: fn(&mut Vec<PodResourceMetrics<'_>>)| {
            with_fleet(&fleet, |pods, samples| {
                let mut samples = samples.to_vec();
                reorder(&mut samples);
                let data = [MetricData::Resource(&samples), MetricData::Resource(&samples), MetricData::Resource(&samples)];
                let observation = Observation::new(current, current, pods, &data);
                let mut state: HpaState = HpaState::new();
                let d = decide(&spec, &ControllerConfig::default(), &mut state, &observation, 0).unwrap();
                (d.desired_replicas, d.metrics.iter().map(|m| m.as_ref().ok().copied()).collect::<Vec<_>>())
            })
        };
        let aligned = decide_with(|_| {});
        prop_assert_eq!(&aligned, &decide_with(|s| s.reverse()));
        prop_assert_eq!(&aligned, &decide_with(|s| s.sort_by(|a, b| a.pod.cmp(b.pod))));
    }

    /// Arbitrary (even invalid) numbers never panic, and an error leaves the state unchanged.
    #[test]
    fn no_input_panics(
        requests in prop::collection::vec(any::<i64>(), 1..8), usage in prop::collection::vec(any::<i64>(), 1..8),
        target in any::<i32>(), current in any::<i32>(), status in any::<i32>(), min in any::<i32>(), max in any::<i32>(),
        tolerance in any::<f64>(), external in prop::collection::vec(any::<i64>(), 0..4), object in any::<i64>(),
        now in any::<i64>(), history in history_strategy(),
    ) {
        let n = requests.len().min(usage.len());
        let fleet = Fleet::new(&requests[..n], &usage[..n]);
        let spec = HpaSpec {
            min_replicas: Some(min),
            max_replicas: max,
            metrics: HVec::from_slice(&[
                MetricSpec::resource_utilization(CPU, target),
                MetricSpec::Object { metric: "o", target: MetricTarget::AverageValue(i64::from(target)) },
                MetricSpec::External { metric: "e", target: MetricTarget::Value(i64::from(target)) },
            ]).unwrap(),
            behavior: Some(Behavior::default()),
        };
        let config = ControllerConfig { tolerance, ..ControllerConfig::default() };
        let mut state = state_with(history, vec![], vec![]);
        let before = state.clone();
        with_fleet(&fleet, |pods, samples| {
            let data = [MetricData::Resource(samples), MetricData::Object(object), MetricData::External(&external)];
            let observation = Observation::new(current, status, pods, &data);
            if decide(&spec, &config, &mut state, &observation, now).is_err() {
                assert_eq!(state, before);
            }
        });
    }
}

#[cfg(feature = "serde")]
mod serialization {
    use super::*;

    proptest! {
        /// State survives a JSON round trip exactly.
        #[test]
        fn state_round_trips(history in history_strategy(), up in events_strategy(), desired in 0i32..100) {
            let mut state = state_with(history, up, vec![]);
            state.desired_replicas = desired;
            state.conditions.set(ConditionType::ScaledToZero, ConditionStatus::True, ConditionReason::ScaledToZero, 5);
            let json = serde_json::to_string(&state).unwrap();
            let back: HpaState = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &state);
            let saved = serde_json::to_string(&podscale::checkpoint::Checkpoint::new(state.clone())).unwrap();
            prop_assert!(saved.starts_with(r#"{"version":1,"#), "{}", saved);
            let restored: podscale::checkpoint::Checkpoint<HpaState> = serde_json::from_str(&saved).unwrap();
            prop_assert_eq!(restored.into_state().unwrap(), state);
        }
    }
}
