//! Properties of the VPA recommender's container model, estimators and capping, on random
//! sample streams and policies.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use podscale::vpa::*;
use proptest::prelude::*;

/// 2023-11-14T22:13:20Z.
const START_MS: i64 = 1_700_000_000_000;
const MINUTE_MS: i64 = 60_000;

/// One event of a container's life, times relative to the previous event.
#[derive(Debug, Clone)]
enum Event {
    Cpu {
        after_ms: i64,
        usage_m: i64,
    },
    Memory {
        after_ms: i64,
        bytes: i64,
    },
    Oom {
        after_ms: i64,
        request_bytes: i64,
    },
    /// Ask for a recommendation now.
    Query,
}

/// Mostly forward in time (a scrape a minute to a few hours), sometimes backwards or a repeat,
/// with usage from idle to extremes.
fn event() -> impl Strategy<Value = Event> {
    let after = prop_oneof![
        8 => 0..=4 * 60 * MINUTE_MS,
        1 => -30 * MINUTE_MS..=-1,
        1 => 0..=40 * 24 * 60 * MINUTE_MS,
    ];
    let usage = prop_oneof![
        8 => 0i64..=8_000,
        1 => Just(0i64),
        1 => -10i64..=i64::MAX / 2,
    ];
    let bytes = prop_oneof![
        8 => 0i64..=(16i64 << 30),
        1 => -10i64..=i64::MAX,
    ];
    prop_oneof![
        4 => (after.clone(), usage).prop_map(|(after_ms, usage_m)| Event::Cpu { after_ms, usage_m }),
        4 => (after.clone(), bytes.clone()).prop_map(|(after_ms, bytes)| Event::Memory { after_ms, bytes }),
        1 => (after, bytes).prop_map(|(after_ms, request_bytes)| Event::Oom { after_ms, request_bytes }),
        1 => Just(Event::Query),
    ]
}

/// Checks one container's recommendation: ordered bounds between the pod minimum and the cap,
/// and finite intermediates.
fn check_recommendation(
    config: &RecommenderConfig,
    aggregate: &AggregateContainerState<DecayingHistogram>,
    rec: &RecommendedContainerResources<'_>,
    min: Resources,
) {
    for kind in ResourceKind::ALL {
        let lower = rec.lower_bound.get(kind).unwrap();
        let target = rec.target.get(kind).unwrap();
        let upper = rec.upper_bound.get(kind).unwrap();
        let floor = min.get(kind).unwrap();
        assert!(floor <= lower, "{kind}: {lower} below the minimum {floor}");
        assert!(
            lower <= target,
            "{kind}: lower {lower} above target {target}"
        );
        assert!(
            target <= upper,
            "{kind}: target {target} above upper {upper}"
        );
        // The margin can add 15% to a value capped at 1e14.
        assert!(
            upper <= MAX_RESOURCE_AMOUNT + MAX_RESOURCE_AMOUNT / 5,
            "{kind}: {upper}"
        );
        assert_eq!(rec.uncapped_target.get(kind), Some(target));
    }
    for p in [0.5, 0.9, 0.95] {
        assert!(!aggregate.cpu_usage.percentile(p).is_nan());
        assert!(!aggregate.memory_peaks.percentile(p).is_nan());
    }
    let c = confidence(aggregate, config.confidence_interval_cpu_ms);
    assert!(c.is_finite() && c >= 0.0, "confidence {c}");
}

/// Feeds events to a container of a one-container pod, asking for recommendations on queries
/// and at the end.
fn replay(events: &[Event]) -> AggregateContainerState<DecayingHistogram> {
    let config = RecommenderConfig::default();
    let mut aggregate =
        AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), START_MS)
            .unwrap();
    let mut container = ContainerState::new();
    let mut now = START_MS;
    let query = |aggregate: &AggregateContainerState<DecayingHistogram>| {
        let list = recommend_pod::<_, 1>(&config, &[("app", aggregate)]).unwrap();
        check_recommendation(&config, aggregate, &list[0], pod_min_resources(&config, 1));
    };
    for e in events {
        match *e {
            Event::Cpu { after_ms, usage_m } => {
                now += after_ms;
                container
                    .add_cpu_sample(&mut aggregate, now, usage_m)
                    .unwrap();
            }
            Event::Memory { after_ms, bytes } => {
                now += after_ms;
                container
                    .add_memory_sample(&mut aggregate, now, bytes)
                    .unwrap();
            }
            Event::Oom {
                after_ms,
                request_bytes,
            } => {
                now += after_ms;
                // Stale or negative OOMs are refused with an error; the histogram never refuses.
                if let Err(OomError::Histogram(e)) =
                    container.record_oom(&mut aggregate, now, request_bytes)
                {
                    panic!("histogram refused an OOM sample: {e}");
                }
            }
            Event::Query => query(&aggregate),
        }
    }
    query(&aggregate);
    aggregate
}

/// A `Resources` with each entry missing, zero or positive.
fn bound() -> impl Strategy<Value = Resources> {
    let entry = prop_oneof![
        Just(None),
        Just(Some(0i64)),
        (1i64..=10_000_000).prop_map(Some)
    ];
    (entry.clone(), entry).prop_map(|(cpu_m, memory_bytes)| Resources {
        cpu_m,
        memory_bytes,
    })
}

fn full() -> impl Strategy<Value = Resources> {
    (0i64..=20_000_000, 0i64..=20_000_000).prop_map(|(c, m)| Resources::new(c, m))
}

/// Whether `value` respects `[min, max]` as the policy defines it: zero or missing bounds do
/// not bind, and a maximum below the minimum wins.
fn within(value: i64, min: Option<i64>, max: Option<i64>) -> bool {
    let min = min.filter(|m| *m != 0);
    let max = max.filter(|m| *m != 0);
    match (min, max) {
        (Some(lo), Some(hi)) if lo > hi => value == hi,
        _ => min.is_none_or(|lo| value >= lo) && max.is_none_or(|hi| value <= hi),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No sequence of samples, OOMs and queries panics, errors in the histograms, or yields a
    /// recommendation with unordered bounds, values outside `[minimum, cap]` or a NaN on the
    /// way.
    #[test]
    fn any_history_gives_sane_recommendations(events in prop::collection::vec(event(), 0..120)) {
        replay(&events);
    }

    /// With the confidence held fixed, a CPU sample at or above the current upper-bound
    /// percentile never lowers the upper bound. (The recommender's own confidence grows with
    /// every sample, which does lower the bound: see `confidence_can_lower_the_upper_bound`.)
    #[test]
    fn a_high_sample_never_lowers_the_upper_bound(
        history in prop::collection::vec((0i64..=2 * 60 * MINUTE_MS, 0i64..=4_000), 1..80),
        extra in 0i64..=6_000,
        gap in 1i64..=6 * 60 * MINUTE_MS,
        fixed_confidence in prop_oneof![Just(0.0), 0.001f64..30.0],
    ) {
        let config = RecommenderConfig::default();
        let mut aggregate =
            AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), START_MS).unwrap();
        let mut now = START_MS;
        for (after, usage) in &history {
            now += after;
            aggregate.add_cpu_sample(now, *usage).unwrap();
        }
        let (m, e) = UPPER_BOUND_CONFIDENCE;
        let upper = |a: &AggregateContainerState<DecayingHistogram>| {
            let base = with_margin(cpu_percentile(a, config.upper_bound_cpu_percentile), config.safety_margin_fraction);
            with_confidence_multiplier(base, m, e, fixed_confidence)
        };
        let before = upper(&aggregate);
        let percentile_m = cpu_percentile(&aggregate, config.upper_bound_cpu_percentile);
        // At or above the percentile (which is a bucket end, so just above the bucket).
        let value = percentile_m + extra;
        aggregate.add_cpu_sample(now + gap, value).unwrap();
        prop_assert!(upper(&aggregate) >= before, "{} < {before}", upper(&aggregate));
    }

    /// The recommender's policy bounds hold for every list of every container.
    #[test]
    fn vpa_policy_respects_min_and_max_allowed(
        target in full(), lower in full(), upper in full(),
        min in bound(), max in bound(), global in bound(),
    ) {
        let policies = [ContainerResourcePolicy { min_allowed: min, max_allowed: max, ..ContainerResourcePolicy::named("app") }];
        let policy = PodResourcePolicy::new(&policies);
        let mut recs = [RecommendedContainerResources { container_name: "app", target, lower_bound: lower, upper_bound: upper, uncapped_target: target }];
        apply_vpa_policy(&mut recs, Some(&policy), global);
        for kind in ResourceKind::ALL {
            let max_kind = max.get(kind).or(global.get(kind));
            for list in [recs[0].target, recs[0].lower_bound, recs[0].upper_bound] {
                prop_assert!(within(list.get(kind).unwrap(), min.get(kind), max_kind));
            }
            prop_assert_eq!(recs[0].uncapped_target, target);
        }
    }

    /// The updater's capping respects the policy too, whatever the pod's requests and limits,
    /// as long as no LimitRange and no `RequestsOnly` limit compete with it.
    #[test]
    fn capping_respects_min_and_max_allowed(
        target in full(), lower in full(), upper in full(),
        min in bound(), max in bound(),
        requests in bound(), limits in bound(),
    ) {
        let policies = [ContainerResourcePolicy { min_allowed: min, max_allowed: max, ..ContainerResourcePolicy::named("*") }];
        let policy = PodResourcePolicy::new(&policies);
        let containers = [PodContainer::new("app", ContainerResources { requests, limits })];
        let pod = Pod::new(&containers);
        let recs = [RecommendedContainerResources { container_name: "app", target, lower_bound: lower, upper_bound: upper, uncapped_target: target }];
        let capped = apply_capping::<2>(Some(&recs), Some(&policy), None, None, &pod).unwrap().unwrap();
        let rec = capped[0].recommendation;
        for kind in ResourceKind::ALL {
            for list in [rec.target, rec.lower_bound, rec.upper_bound] {
                prop_assert!(within(list.get(kind).unwrap(), min.get(kind), max.get(kind)));
            }
        }
    }

    /// A pod LimitRange never panics, whatever the sums; inserted and scaled entries stay
    /// within `i64`.
    #[test]
    fn pod_limit_ranges_are_total(
        targets in prop::collection::vec(full(), 1..4),
        specs in prop::collection::vec((bound(), bound()), 1..4),
        min in bound(), max in bound(), default in bound(),
    ) {
        let names = ["a", "b", "c", "d"];
        let containers: Vec<PodContainer<'_>> = specs.iter().enumerate()
            .map(|(i, (requests, limits))| PodContainer::new(names[i], ContainerResources { requests: *requests, limits: *limits }))
            .collect();
        let recs: Vec<RecommendedContainerResources<'_>> = targets.iter().enumerate()
            .map(|(i, t)| RecommendedContainerResources { target: *t, ..RecommendedContainerResources::new(names[i]) })
            .collect();
        let item = LimitRangeItem { min, max, default };
        let result = apply_capping::<8>(Some(&recs), None, Some(&item), Some(&item), &Pod::new(&containers)).unwrap();
        prop_assert!(result.is_some());
    }
}

/// The literal reading of "adding a sample never lowers the upper bound" does not hold for the
/// recommender: its confidence grows with the history, and the upper bound's multiplier
/// `1 + 1/confidence` shrinks. With one sample the bound is the 1e14 cap; a second one, even a
/// higher one, brings it down.
#[test]
fn confidence_can_lower_the_upper_bound() {
    let config = RecommenderConfig::default();
    let mut aggregate =
        AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), START_MS)
            .unwrap();
    aggregate.add_cpu_sample(START_MS, 100).unwrap();
    let first = recommend_pod::<_, 1>(&config, &[("app", &aggregate)]).unwrap()[0];
    assert_eq!(first.upper_bound.cpu_m, Some(MAX_RESOURCE_AMOUNT));
    aggregate.add_cpu_sample(START_MS + MINUTE_MS, 200).unwrap();
    let second = recommend_pod::<_, 1>(&config, &[("app", &aggregate)]).unwrap()[0];
    assert!(second.upper_bound.cpu_m < first.upper_bound.cpu_m);
}

/// A day of steady per-minute samples: the confidence is one day, so the upper bound doubles
/// the 95th percentile plus margin, as upstream's comments promise.
#[test]
fn a_day_of_history_doubles_the_upper_bound() {
    let config = RecommenderConfig::default();
    let mut aggregate =
        AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), START_MS)
            .unwrap();
    let mut container = ContainerState::new();
    for minute in 0..=1440 {
        let t = START_MS + minute * MINUTE_MS;
        container.add_cpu_sample(&mut aggregate, t, 500).unwrap();
    }
    let c = confidence(&aggregate, config.confidence_interval_cpu_ms);
    assert_eq!(c, 1.0);
    let rec = recommend_pod::<_, 1>(&config, &[("app", &aggregate)]).unwrap()[0];
    let base = with_margin(cpu_percentile(&aggregate, 0.95), 0.15);
    assert_eq!(rec.upper_bound.cpu_m, Some(2 * base));
}

#[cfg(feature = "serde")]
mod serde_round_trip {
    use serde_json::Value;

    use super::*;

    /// JSON values equal up to one ulp per float: the dev-dependency `serde_json` is built
    /// without `float_roundtrip`, so it may read a float back an ulp off. Everything else
    /// (integers, times, counts, names, enums) must match exactly.
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                x.to_bits().abs_diff(y.to_bits()) <= 1 && x.signum() == y.signum()
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }

    /// Serializes `value`, reads it back and checks the two agree (see [`same`]).
    fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
        let json = serde_json::to_string(value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        let (a, b) = (
            serde_json::to_value(value).unwrap(),
            serde_json::to_value(&back).unwrap(),
        );
        assert!(same(&a, &b), "round trip changed {a} into {b}");
        back
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Container and aggregate state survive a JSON round trip.
        #[test]
        fn state_round_trips(events in prop::collection::vec(event(), 0..60)) {
            let mut aggregate =
                AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), START_MS).unwrap();
            let mut container = ContainerState::new();
            let mut now = START_MS;
            for e in &events {
                match *e {
                    Event::Cpu { after_ms, usage_m } => {
                        now += after_ms;
                        container.add_cpu_sample(&mut aggregate, now, usage_m).unwrap();
                    }
                    Event::Memory { after_ms, bytes } => {
                        now += after_ms;
                        container.add_memory_sample(&mut aggregate, now, bytes).unwrap();
                    }
                    Event::Oom { after_ms, request_bytes } => {
                        now += after_ms;
                        let _ = container.record_oom(&mut aggregate, now, request_bytes);
                    }
                    Event::Query => {}
                }
            }
            let restored = round_trip(&aggregate);
            prop_assert_eq!(restored.total_samples_count, aggregate.total_samples_count);
            prop_assert_eq!(restored.cpu_usage.reference_ms(), aggregate.cpu_usage.reference_ms());
            // Containers hold only integers: exact.
            prop_assert_eq!(round_trip(&container), container);
        }

        /// Configs and policies round-trip too.
        #[test]
        fn config_round_trips(min in bound(), max in bound(), ratio in 1.0f64..3.0) {
            let policy = ContainerResourcePolicy { min_allowed: min, max_allowed: max, oom_bump_up_ratio: Some(ratio), ..ContainerResourcePolicy::named("app") };
            let json = serde_json::to_string(&policy).unwrap();
            let back: ContainerResourcePolicy<'_> = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.min_allowed, min);
            prop_assert_eq!(back.max_allowed, max);
            prop_assert!(same(&serde_json::to_value(back).unwrap(), &serde_json::to_value(policy).unwrap()));
            round_trip(&RecommenderConfig::default());
            round_trip(&AggregationConfig::default());
            round_trip(&UpdateConfig::default());
        }
    }
}
