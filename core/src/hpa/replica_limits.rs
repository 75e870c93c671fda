//! Bounds on the stabilized count: minReplicas, maxReplicas and the scale rate
//! [convertDesiredReplicasWithRules, convertDesiredReplicasWithBehaviorRate].

use crate::go_float::trunc_to_i32;

use super::behavior::{RulesView, ScalingDirection, ScalingRules};
use super::conditions::ConditionReason;
use super::scale_events::{ScaleEvent, policy_limit};

/// A bounded replica count and the reason of the `ScalingLimited` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Limited {
    /// The count after the bounds.
    pub replicas: i32,
    /// `DesiredWithinRange`, `TooFewReplicas`, `TooManyReplicas`, `ScaleUpLimit` or
    /// `ScaleDownLimit`.
    pub reason: ConditionReason,
}

/// The legacy bounds of an HPA without `behavior` [convertDesiredReplicasWithRules].
///
/// A scale-up may reach `max(factor * current, minimum)` (upstream's constants: 2 and 4).
///
/// ```
/// use podscale::hpa::{limit_replicas_legacy, ConditionReason};
/// let limited = limit_replicas_legacy(3, 20, 1, 10, 2.0, 4.0);
/// assert_eq!(limited.replicas, 6);
/// assert_eq!(limited.reason, ConditionReason::ScaleUpLimit);
/// ```
pub fn limit_replicas_legacy(
    current: i32,
    desired: i32,
    min_replicas: i32,
    max_replicas: i32,
    scale_up_limit_factor: f64,
    scale_up_limit_minimum: f64,
) -> Limited {
    // calculateScaleUpLimit
    let scale_up_limit =
        trunc_to_i32((scale_up_limit_factor * f64::from(current)).max(scale_up_limit_minimum));
    let (maximum, reason) = if max_replicas > scale_up_limit {
        (scale_up_limit, ConditionReason::ScaleUpLimit)
    } else {
        (max_replicas, ConditionReason::TooManyReplicas)
    };
    if desired < min_replicas {
        Limited {
            replicas: min_replicas,
            reason: ConditionReason::TooFewReplicas,
        }
    } else if desired > maximum {
        Limited {
            replicas: maximum,
            reason,
        }
    } else {
        Limited {
            replicas: desired,
            reason: ConditionReason::DesiredWithinRange,
        }
    }
}

/// The bounds of an HPA with `behavior` [convertDesiredReplicasWithBehaviorRate].
///
/// Only the direction of travel is bounded: max and the scale-up policies going up, min and the
/// scale-down policies going down. Unset fields of `scale_up` and `scale_down` take the API
/// defaults.
///
/// ```
/// use podscale::hpa::{limit_replicas_with_behavior, Behavior, ConditionReason};
/// let behavior = Behavior::default().defaulted();
/// let (up, down) = (behavior.scale_up.unwrap(), behavior.scale_down.unwrap());
/// let limited = limit_replicas_with_behavior(2, 50, 1, 100, &up, &down, &[], &[], 0);
/// assert_eq!(limited.replicas, 6); // max(2 + 4, 2 * 2) per 15 s
/// assert_eq!(limited.reason, ConditionReason::ScaleUpLimit);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn limit_replicas_with_behavior(
    current: i32,
    desired: i32,
    min_replicas: i32,
    max_replicas: i32,
    scale_up: &ScalingRules,
    scale_down: &ScalingRules,
    scale_up_events: &[ScaleEvent],
    scale_down_events: &[ScaleEvent],
    now_ms: i64,
) -> Limited {
    limit_with_rules(
        current,
        desired,
        (min_replicas, max_replicas),
        RulesView::of(Some(scale_up), ScalingDirection::ScaleUp),
        RulesView::of(Some(scale_down), ScalingDirection::ScaleDown),
        (scale_up_events, scale_down_events),
        now_ms,
    )
}

/// [`limit_replicas_with_behavior`] on rules already viewed with their defaults.
pub(crate) fn limit_with_rules(
    current: i32,
    desired: i32,
    (min_replicas, max_replicas): (i32, i32),
    scale_up: RulesView<'_>,
    scale_down: RulesView<'_>,
    (scale_up_events, scale_down_events): (&[ScaleEvent], &[ScaleEvent]),
    now_ms: i64,
) -> Limited {
    if desired > current {
        let limit = policy_limit(
            ScalingDirection::ScaleUp,
            current,
            scale_up_events,
            scale_down_events,
            scale_up,
            now_ms,
        )
        .max(current);
        let (maximum, reason) = if max_replicas > limit {
            (limit, ConditionReason::ScaleUpLimit)
        } else {
            (max_replicas, ConditionReason::TooManyReplicas)
        };
        if desired > maximum {
            return Limited {
                replicas: maximum,
                reason,
            };
        }
    } else if desired < current {
        let limit = policy_limit(
            ScalingDirection::ScaleDown,
            current,
            scale_up_events,
            scale_down_events,
            scale_down,
            now_ms,
        )
        .min(current);
        let (minimum, reason) = if min_replicas < limit {
            (limit, ConditionReason::ScaleDownLimit)
        } else {
            (min_replicas, ConditionReason::TooFewReplicas)
        };
        if desired < minimum {
            return Limited {
                replicas: minimum,
                reason,
            };
        }
    }
    Limited {
        replicas: desired,
        reason: ConditionReason::DesiredWithinRange,
    }
}
