//! Properties KEDA's ScaledObject semantics imply, checked on random inputs.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use podscale::keda::*;
use proptest::prelude::*;

const BEHAVIORS: [FallbackBehavior; 5] = [
    FallbackBehavior::Static,
    FallbackBehavior::CurrentReplicas,
    FallbackBehavior::CurrentReplicasIfHigher,
    FallbackBehavior::CurrentReplicasIfLower,
    FallbackBehavior::ScalingModifiers,
];

fn annotations_strategy() -> impl Strategy<Value = Annotations> {
    (
        prop::bool::weighted(0.1),
        prop::option::weighted(0.1, -1i32..5),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(paused, paused_replicas, paused_scale_in, paused_scale_out, force_activation)| {
                Annotations {
                    paused,
                    paused_replicas,
                    paused_scale_in,
                    paused_scale_out,
                    force_activation,
                }
            },
        )
}

fn fallback_strategy() -> impl Strategy<Value = Option<Fallback>> {
    prop::option::weighted(0.3, (-1i32..4, -1i32..6, 0usize..5)).prop_map(|f| {
        f.map(|(failure_threshold, replicas, behavior)| Fallback {
            failure_threshold,
            replicas,
            behavior: BEHAVIORS[behavior],
        })
    })
}

/// ScaledObjects with one trigger and arbitrary bounds, periods, annotations and fallback,
/// including values KEDA's webhook would refuse: the executor must stay total on them.
fn spec_strategy() -> impl Strategy<Value = ScaledObjectSpec<'static>> {
    (
        prop::option::of(-2i32..6),
        prop::option::weighted(0.3, -1i32..4),
        prop::option::of(-5i32..20),
        prop::option::of(prop_oneof![-10i32..700, Just(i32::MAX), Just(i32::MIN)]),
        prop::option::of(-10i32..700),
        prop::option::of(-1_000_000i64..1_000_000),
        annotations_strategy(),
        fallback_strategy(),
    )
        .prop_map(
            |(min, idle, max, cooldown, initial, creation, annotations, fallback)| {
                let mut so = ScaledObjectSpec::new("so", &[Trigger::new("cron")]).unwrap();
                so.min_replica_count = min;
                so.idle_replica_count = idle;
                so.max_replica_count = max;
                so.cooldown_period_seconds = cooldown;
                so.initial_cooldown_period_seconds = initial;
                so.creation_timestamp_ms = creation;
                so.annotations = annotations;
                so.fallback = fallback;
                so
            },
        )
}

fn instant() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => -2_000_000i64..2_000_000,
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
    ]
}

fn activity() -> impl Strategy<Value = Activity> {
    (any::<bool>(), any::<bool>()).prop_map(|(is_active, is_error)| Activity {
        is_active,
        is_error,
    })
}

fn state_with(last_active_time_ms: Option<i64>) -> ScaledObjectState {
    let mut state = ScaledObjectState::new();
    state.last_active_time_ms = last_active_time_ms;
    state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Without fallback, an erroring trigger never lets KEDA scale the target to zero (and
    /// never scales it in at all).
    #[test]
    fn errors_block_scale_to_zero_without_fallback(
        mut so in spec_strategy(),
        is_active in any::<bool>(),
        current in -1i32..12,
        last in prop::option::of(instant()),
        now in instant(),
    ) {
        so.fallback = None;
        let mut state = state_with(last);
        let d = request_scale(&so, &mut state, Activity { is_active, is_error: true }, current, now);
        if let Some(action) = d.action {
            prop_assert_ne!(action.kind, ScaleActionKind::Deactivate);
            prop_assert!(action.scale_to != 0 || current == 0, "{:?}", action);
        }
    }

    /// Scale-in only happens once the cooldown has strictly passed: after `lastActiveTime +
    /// cooldownPeriod`, or before any activity after `creationTimestamp +
    /// initialCooldownPeriod`.
    #[test]
    fn never_deactivates_before_cooldown(
        so in spec_strategy(),
        activity in activity(),
        current in -1i32..12,
        last in prop::option::of(instant()),
        now in instant(),
    ) {
        let mut state = state_with(last);
        let d = request_scale(&so, &mut state, activity, current, now);
        if let Some(action) = d.action.filter(|a| a.kind == ScaleActionKind::Deactivate) {
            match last {
                Some(last) => prop_assert!(
                    i128::from(last) + i128::from(so.cooldown_period_ms()) < i128::from(now),
                    "{action:?} at {now} with lastActiveTime {last}"
                ),
                None => {
                    let created = so.creation_timestamp_ms.unwrap_or(now);
                    prop_assert!(
                        i128::from(created) + i128::from(so.initial_cooldown_period_ms()) < i128::from(now),
                        "{action:?} at {now}, created {created}"
                    );
                }
            }
            prop_assert!(!activity.is_active && !so.annotations.force_activation);
        }
    }

    /// Under `paused-scale-in` KEDA never lowers the count; under `paused-scale-out` it never
    /// activates.
    #[test]
    fn paused_scale_in_and_out(
        mut so in spec_strategy(),
        activity in activity(),
        current in -1i32..12,
        last in prop::option::of(instant()),
        now in instant(),
        scale_in in any::<bool>(),
    ) {
        so.annotations.paused_scale_in = scale_in;
        so.annotations.paused_scale_out = !scale_in;
        let mut state = state_with(last);
        let d = request_scale(&so, &mut state, activity, current, now);
        if let Some(action) = d.action {
            if scale_in {
                prop_assert!(action.scale_to >= action.scale_from, "{:?}", action);
            } else {
                prop_assert_ne!(action.kind, ScaleActionKind::Activate);
            }
        }
    }

    /// Paused ScaledObjects change nothing.
    #[test]
    fn paused_changes_nothing(
        mut so in spec_strategy(),
        activity in activity(),
        current in -1i32..12,
        last in prop::option::of(instant()),
        now in instant(),
    ) {
        so.annotations.paused = true;
        let mut state = state_with(last);
        let before = state.clone();
        let d = request_scale(&so, &mut state, activity, current, now);
        prop_assert!(d.paused);
        prop_assert_eq!(d.action, None);
        prop_assert_eq!(state, before);
    }

    /// An active (or force-activated) ScaledObject at zero replicas is activated to at least 1,
    /// and `lastActiveTime` becomes now.
    #[test]
    fn activates_from_zero(
        mut so in spec_strategy(),
        is_error in any::<bool>(),
        last in prop::option::of(instant()),
        now in instant(),
    ) {
        so.annotations.paused = false;
        so.annotations.paused_replicas = None;
        so.annotations.paused_scale_out = false;
        let mut state = state_with(last);
        let d = request_scale(&so, &mut state, Activity { is_active: true, is_error }, 0, now);
        let action = d.action.unwrap();
        prop_assert_eq!(action.kind, ScaleActionKind::Activate);
        prop_assert!(action.scale_to >= 1);
        prop_assert_eq!(state.last_active_time_ms, Some(now));
        prop_assert_eq!(d.active, Some(ActiveReason::ScalerActive));
    }

    /// Same inputs, same decision and state; and over a sequence of polls with increasing
    /// instants `lastActiveTime` never decreases and never passes the current poll.
    #[test]
    fn deterministic_and_monotonic(
        so in spec_strategy(),
        polls in prop::collection::vec((activity(), -1i32..12, 0i64..120_000), 1..40),
    ) {
        let mut a: ScaledObjectState = ScaledObjectState::new();
        let mut b: ScaledObjectState = ScaledObjectState::new();
        let mut now = 0i64;
        let mut previous_last = None;
        for (activity, current, step) in polls {
            now += step;
            let da = request_scale(&so, &mut a, activity, current, now);
            let db = request_scale(&so, &mut b, activity, current, now);
            prop_assert_eq!(da, db);
            prop_assert_eq!(&a, &b);
            if let Some(last) = a.last_active_time_ms {
                prop_assert!(last <= now);
                prop_assert!(previous_last.is_none_or(|p| p <= last));
            }
            previous_last = a.last_active_time_ms;
        }
    }

    /// Aggregation: an erroring trigger makes the ScaledObject erroring; an active trigger
    /// without error makes it active (no modifiers, no cpu/memory).
    #[test]
    fn aggregation(observations in prop::collection::vec((any::<bool>(), -5.0f64..50.0, any::<bool>()), 1..8)) {
        let triggers: Vec<Trigger<'static>> = observations.iter().map(|_| Trigger::new("cron")).collect();
        let so = ScaledObjectSpec::new("so", &triggers).unwrap();
        let seen: Vec<TriggerObservation> = observations
            .iter()
            .map(|&(active, metric, error)| TriggerObservation { active, metric, error })
            .collect();
        let activity = scaled_object_activity(&so, &seen).unwrap();
        prop_assert_eq!(activity.is_error, seen.iter().any(|o| o.error));
        prop_assert_eq!(activity.is_active, seen.iter().any(|o| o.active && !o.error));
    }

    /// Formulas never panic, whatever the text, and evaluating twice gives the same result.
    #[test]
    fn formula_total_on_any_text(formula in ".{0,64}") {
        let values = |name: &str| (name.len() % 3 != 0).then_some(name.len() as f64 - 2.0);
        let first = evaluate_formula(&formula, values);
        prop_assert_eq!(first, evaluate_formula(&formula, values));
        let _ = check_formula(&formula, |name| name.len() % 2 == 0);
        let _ = parse_formula(&formula);
    }

    /// Formulas over the language's own alphabet, where most texts get past the lexer.
    #[test]
    fn formula_total_on_formula_like_text(
        formula in "[ab0-9 .e_x()?:!<>=&|+*/%^-]{0,48}|(max|min|abs|floor|ceil|round|int|float|nil|true|false|and|or|not|[ab(),?:+*/%-]| ){0,24}"
    ) {
        let values = |name: &str| match name {
            "a" => Some(1.5),
            "b" => None,
            _ => Some(0.0),
        };
        let _ = evaluate_formula(&formula, values);
        let _ = check_formula(&formula, |name| name == "a");
    }

    /// Deep nesting is refused, not a stack overflow.
    #[test]
    fn deep_nesting_is_an_error(depth in 0usize..4000, open in prop::sample::select(vec!["(", "-", "!", "max(", "a ?? ("])) {
        let formula = format!("{}1", open.repeat(depth));
        let _ = evaluate_formula(&formula, |_| Some(1.0));
    }

    /// Validation and HPA generation stay total on arbitrary specs.
    #[test]
    fn validation_and_hpa_are_total(so in spec_strategy(), target in -2000i64..5000) {
        let _ = so.validate();
        let metric = external_metric_spec("s0-cron-Etc-UTC-06xxx-020xxx", None, target).unwrap();
        if let Ok(hpa) = so.generate_hpa(&[metric]) {
            let min = hpa.spec.min_replicas.unwrap();
            prop_assert!(min >= 0 && min <= hpa.spec.max_replicas);
        }
    }
}

#[cfg(feature = "serde")]
mod serde_round_trip {
    use super::*;

    proptest! {
        /// The caller-owned state survives a JSON round trip.
        #[test]
        fn state(
            last in prop::option::of(any::<i64>()),
            failures in prop::collection::vec(prop::option::of((any::<i32>(), any::<bool>())), 0..16),
        ) {
            let mut state: ScaledObjectState = ScaledObjectState::new();
            state.last_active_time_ms = last;
            for (i, entry) in failures.iter().enumerate() {
                match entry {
                    None => { let _ = state.health.metrics.push(None); }
                    Some((n, failing)) => {
                        let _ = state.health.metrics.push(Some(MetricHealth {
                            number_of_failures: *n,
                            status: if *failing { HealthStatus::Failing } else { HealthStatus::Happy },
                        }));
                    }
                }
                prop_assert_eq!(state.health.metrics.len(), i + 1);
            }
            let text = serde_json::to_string(&state).unwrap();
            let back: ScaledObjectState = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, state);
        }

        /// Specs (borrowing their strings from the JSON text) survive a round trip too.
        #[test]
        fn spec(so in spec_strategy()) {
            let text = serde_json::to_string(&so).unwrap();
            let back: ScaledObjectSpec<'_> = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, so);
        }
    }
}
