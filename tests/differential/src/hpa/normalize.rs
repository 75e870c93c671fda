//! What the controller makes of the metrics' proposal [normalizeDesiredReplicasWithBehaviors,
//! normalizeDesiredReplicas, storeScaleEvent].
//!
//! podscale's side is its whole decision, [`decide`] then [`HpaState::complete_rescale`], fed
//! one External AverageValue metric whose proposal is exactly the case's desired count (a
//! value of `desired` against a per-pod target of 1 with `desired` status replicas is within
//! tolerance, so the proposal is the status count; for 0 the ratio is NaN and the proposal
//! `ceil(0)`). The current count is kept inside `[max(min, 1), max]`: outside it upstream's
//! reconcileAutoscaler never reaches the normalization.
//!
//! # What the generator covers
//!
//! Legacy HPAs (no behavior) and behaviors with each direction unset or set, each field unset
//! or set (stabilization windows 0 to 3600 s, select policy Max, Min or Disabled, 0 to 4 Pods
//! and Percent policies with periods up to 1800 s), so API defaulting is exercised too.
//! Recommendation histories and scale-event lists (with the outdated flag either way) whose ages
//! sit on, just inside and just outside the windows and periods in use, or anywhere.
//!
//! # What it leaves out, and why
//!
//! Nothing that validation admits, except sizes: replica counts stay in the hundreds, policy
//! values in the thousands and histories short, so Go's int32 arithmetic on replica counts
//! (periodStart + value, the Percent products) cannot overflow. (Empty policy lists, which
//! validation rejects, are generated too: upstream is well defined on them.)

use podscale::hpa::{
    Behavior, ConditionType, ControllerConfig, HpaSpec, HpaState, MetricData, MetricSpec,
    MetricTarget, Observation, Recommendation, ScaleEvent, ScalingPolicy, ScalingRules,
    SelectPolicy, decide,
};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::{NOW_MS, age_of, from_upstream, instant_ms};
use crate::{Harness, Verdict};

/// One scaling policy.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PolicyCase {
    /// `Pods` or `Percent`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Pods or percent per period.
    pub value: i32,
    /// The period.
    pub period_seconds: i32,
}

/// One direction's rules as written in the spec, before API defaulting.
#[derive(Debug, Clone, Serialize)]
pub struct RulesCase {
    /// stabilizationWindowSeconds.
    pub stabilization_window_seconds: Option<i32>,
    /// selectPolicy: `Max`, `Min` or `Disabled`.
    pub select_policy: Option<&'static str>,
    /// policies.
    pub policies: Option<Vec<PolicyCase>>,
}

/// spec.behavior, before API defaulting.
#[derive(Debug, Clone, Serialize)]
pub struct BehaviorCase {
    /// scaleUp.
    pub scale_up: Option<RulesCase>,
    /// scaleDown.
    pub scale_down: Option<RulesCase>,
}

/// A stored recommendation.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AgedRecommendation {
    /// Replicas.
    pub replicas: i32,
    /// Age, seconds.
    pub age_s: i64,
}

/// A stored scale event.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AgedScaleEvent {
    /// Replicas added or removed.
    pub replica_change: i32,
    /// Age, seconds.
    pub age_s: i64,
    /// Marked outdated by an earlier store.
    pub outdated: bool,
}

/// One normalization of a proposal.
#[derive(Debug, Clone, Serialize)]
pub struct NormalizeCase {
    /// scale.spec.replicas.
    pub current_replicas: i32,
    /// The metrics' proposal.
    pub desired_replicas: i32,
    /// minReplicas.
    pub min_replicas: i32,
    /// maxReplicas.
    pub max_replicas: i32,
    /// spec.behavior; `None` for the legacy path.
    pub behavior: Option<BehaviorCase>,
    /// The controller's recommendation history.
    pub recommendations: Vec<AgedRecommendation>,
    /// The controller's scale-up events.
    pub scale_up_events: Vec<AgedScaleEvent>,
    /// The controller's scale-down events.
    pub scale_down_events: Vec<AgedScaleEvent>,
}

/// A stored recommendation after the call; age `None` for one recorded by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AnswerRecommendation {
    replicas: i32,
    age_s: Option<i64>,
}

/// A stored scale event after the call; age `None` for one recorded by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AnswerScaleEvent {
    replica_change: i32,
    age_s: Option<i64>,
    outdated: bool,
}

/// An answer, from either side. The conditions are compared by status and reason; their
/// messages are not, because podscale's conditions carry none ([`podscale::hpa::Condition`]
/// leaves the message to the caller) and the harness does not report upstream's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Answer {
    desired_replicas: i32,
    able_to_scale_status: String,
    able_to_scale_reason: String,
    scaling_limited_status: String,
    scaling_limited_reason: String,
    recommendations: Vec<AnswerRecommendation>,
    scale_up_events: Vec<AnswerScaleEvent>,
    scale_down_events: Vec<AnswerScaleEvent>,
}

/// Runs `case` on both sides.
pub(crate) fn check(case: &NormalizeCase, harness: &mut Harness) -> Result<(), Verdict> {
    let podscale = podscale_answer(case)?;
    let upstream: Answer = from_upstream("hpa_normalize", harness.ask("hpa_normalize", case)?)?;
    if podscale == upstream {
        Ok(())
    } else {
        Err(Verdict::disagree(&podscale, &upstream))
    }
}

fn rules(case: &RulesCase) -> Result<ScalingRules, Verdict> {
    let mut rules = match &case.policies {
        Some(policies) => {
            let policies: Vec<ScalingPolicy> = policies
                .iter()
                .map(|p| match p.kind {
                    "Pods" => ScalingPolicy::pods(p.value, p.period_seconds),
                    _ => ScalingPolicy::percent(p.value, p.period_seconds),
                })
                .collect();
            ScalingRules::with_policies(&policies).map_err(|e| refused(&e))?
        }
        None => ScalingRules::default(),
    };
    rules.stabilization_window_seconds = case.stabilization_window_seconds;
    rules.select_policy = case.select_policy.map(|s| match s {
        "Min" => SelectPolicy::Min,
        "Disabled" => SelectPolicy::Disabled,
        _ => SelectPolicy::Max,
    });
    Ok(rules)
}

/// A case podscale cannot even represent: the generator is wrong, so the run stops.
fn refused(why: &impl std::fmt::Display) -> Verdict {
    Verdict::Fault(crate::HarnessFault::Refused(format!(
        "podscale refused a generated hpa case: {why}"
    )))
}

fn scale_events<C: FromIterator<ScaleEvent>>(events: &[AgedScaleEvent]) -> C {
    // At most 6 events: far within podscale's capacity.
    events
        .iter()
        .map(|e| ScaleEvent {
            replica_change: e.replica_change,
            timestamp_ms: instant_ms(e.age_s),
            outdated: e.outdated,
        })
        .collect()
}

fn report_events(events: &[ScaleEvent]) -> Vec<AnswerScaleEvent> {
    events
        .iter()
        .map(|e| AnswerScaleEvent {
            replica_change: e.replica_change,
            age_s: age_of(e.timestamp_ms),
            outdated: e.outdated,
        })
        .collect()
}

/// podscale's answer: its decision on a metric that proposes exactly `desired_replicas`.
fn podscale_answer(case: &NormalizeCase) -> Result<Answer, Verdict> {
    let behavior = match &case.behavior {
        Some(b) => Some(Behavior {
            scale_up: b.scale_up.as_ref().map(rules).transpose()?,
            scale_down: b.scale_down.as_ref().map(rules).transpose()?,
        }),
        None => None,
    };
    let metric = MetricSpec::External {
        metric: "m",
        target: MetricTarget::AverageValue(1000),
    };
    let spec = HpaSpec {
        min_replicas: Some(case.min_replicas),
        max_replicas: case.max_replicas,
        metrics: core::iter::once(metric).collect(),
        behavior,
    };
    let config = ControllerConfig::default();
    let mut state: HpaState = HpaState::new();
    state.recommendations = Some(
        case.recommendations
            .iter()
            .map(|r| Recommendation {
                replicas: r.replicas,
                timestamp_ms: instant_ms(r.age_s),
            })
            .collect(),
    );
    state.scale_up_events = scale_events(&case.scale_up_events);
    state.scale_down_events = scale_events(&case.scale_down_events);

    let value = [i64::from(case.desired_replicas) * 1000];
    let data = [MetricData::External(&value)];
    let observation = Observation::new(case.current_replicas, case.desired_replicas, &[], &data);
    let decision =
        decide(&spec, &config, &mut state, &observation, NOW_MS).map_err(|e| refused(&e))?;
    let conditions = state.conditions.clone();
    state
        .complete_rescale(&spec, &config, &decision, true, NOW_MS)
        .map_err(|e| refused(&e))?;

    // Status and reason as upstream spells them ("True", "ScaleDownStabilized"), or empty when
    // the condition is not set.
    let status_and_reason = |kind| {
        conditions
            .get(kind)
            .map(|c| (format!("{:?}", c.status), c.reason.as_str().to_owned()))
            .unwrap_or_default()
    };
    let (able_status, able_reason) = status_and_reason(ConditionType::AbleToScale);
    let (limited_status, limited_reason) = status_and_reason(ConditionType::ScalingLimited);
    Ok(Answer {
        desired_replicas: decision.desired_replicas,
        able_to_scale_status: able_status,
        able_to_scale_reason: able_reason,
        scaling_limited_status: limited_status,
        scaling_limited_reason: limited_reason,
        recommendations: state
            .recommendations
            .iter()
            .flatten()
            .map(|r| AnswerRecommendation {
                replicas: r.replicas,
                age_s: age_of(r.timestamp_ms),
            })
            .collect(),
        scale_up_events: report_events(&state.scale_up_events),
        scale_down_events: report_events(&state.scale_down_events),
    })
}

// ---------------------------------------------------------------------------------------------
// Generators.

/// Windows and periods (seconds): the defaults, short and long ones, the API maximum.
fn window_s() -> impl Strategy<Value = i32> {
    prop_oneof![
        3 => prop::sample::select(vec![0i32, 15, 30, 60, 120, 300, 600]),
        1 => 0i32..=3600,
    ]
}

fn period_s() -> impl Strategy<Value = i32> {
    prop_oneof![
        3 => prop::sample::select(vec![1i32, 15, 30, 60, 120, 300]),
        1 => 1i32..=1800,
    ]
}

fn policy() -> impl Strategy<Value = PolicyCase> {
    (
        prop_oneof![Just("Pods"), Just("Percent")],
        prop_oneof![
            2 => prop::sample::select(vec![1i32, 2, 4, 10, 50, 100, 200]),
            1 => 1i32..=1000,
        ],
        period_s(),
    )
        .prop_map(|(kind, value, period_seconds)| PolicyCase {
            kind,
            value,
            period_seconds,
        })
}

fn rules_case() -> impl Strategy<Value = RulesCase> {
    (
        prop::option::of(window_s()),
        prop::option::of(prop_oneof![
            3 => Just("Max"),
            2 => Just("Min"),
            1 => Just("Disabled"),
        ]),
        prop::option::of(prop_oneof![
            1 => Just(Vec::new()),
            12 => prop::collection::vec(policy(), 1..=4),
        ]),
    )
        .prop_map(|(window, select, policies)| RulesCase {
            stabilization_window_seconds: window,
            select_policy: select,
            policies,
        })
}

/// Ages (seconds) on, just inside and just outside the windows and periods the case uses.
fn age_s(marks: Vec<i64>) -> impl Strategy<Value = i64> {
    let near: Vec<i64> = marks
        .iter()
        .flat_map(|m| [m - 1, *m, m + 1])
        .filter(|a| *a >= 0)
        .collect();
    prop_oneof![
        3 => prop::sample::select(near),
        1 => 0i64..4000,
    ]
}

/// The windows and periods of `behavior` after defaulting (and the legacy 300 s window).
fn marks(behavior: Option<&BehaviorCase>) -> Vec<i64> {
    let mut marks = vec![0, 15, 300];
    for rules in behavior
        .iter()
        .flat_map(|b| [&b.scale_up, &b.scale_down])
        .flatten()
    {
        marks.extend(rules.stabilization_window_seconds.map(i64::from));
        for p in rules.policies.iter().flatten() {
            marks.push(i64::from(p.period_seconds));
        }
    }
    marks
}

fn scale_event(marks: Vec<i64>) -> impl Strategy<Value = AgedScaleEvent> {
    (1i32..=50, age_s(marks), prop::bool::weighted(0.2)).prop_map(
        |(replica_change, age_s, outdated)| AgedScaleEvent {
            replica_change,
            age_s,
            outdated,
        },
    )
}

/// Random valid normalizations (see the module doc).
pub(crate) fn cases() -> BoxedStrategy<NormalizeCase> {
    let behavior = prop::option::weighted(
        0.7,
        (
            prop::option::weighted(0.7, rules_case()),
            prop::option::weighted(0.7, rules_case()),
        )
            .prop_map(|(scale_up, scale_down)| BehaviorCase {
                scale_up,
                scale_down,
            }),
    );
    (1i32..=200, behavior)
        .prop_flat_map(|(max, behavior)| {
            let marks = marks(behavior.as_ref());
            (
                Just(max),
                Just(behavior),
                0i32..=max,
                prop::collection::vec(
                    (0i32..=max.saturating_mul(2), age_s(marks.clone()))
                        .prop_map(|(replicas, age_s)| AgedRecommendation { replicas, age_s }),
                    0..=12,
                ),
                prop::collection::vec(scale_event(marks.clone()), 0..=6),
                prop::collection::vec(scale_event(marks), 0..=6),
            )
        })
        .prop_flat_map(|(max, behavior, min, recommendations, up, down)| {
            (
                Just((max, behavior, min, recommendations, up, down)),
                min.max(1)..=max,
                prop_oneof![
                    3 => 0i32..=max,
                    1 => 0i32..=max.saturating_mul(3),
                ],
            )
        })
        .prop_map(
            |((max, behavior, min, recommendations, up, down), current, desired)| NormalizeCase {
                current_replicas: current,
                desired_replicas: desired,
                min_replicas: min,
                max_replicas: max,
                behavior,
                recommendations,
                scale_up_events: up,
                scale_down_events: down,
            },
        )
        .boxed()
}
