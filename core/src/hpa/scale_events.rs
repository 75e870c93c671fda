//! Past rescales and the rate limits that policies derive from them [getReplicasChangePerPeriod,
//! calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors, storeScaleEvent].

use heapless::Vec;

use crate::go_float::{ceil_to_i32, seconds_to_ms, trunc_to_i32};

use super::behavior::{RulesView, ScalingDirection, ScalingPolicyType, ScalingRules, SelectPolicy};
use super::error::HpaError;

/// One rescale: how many replicas it added (or removed) and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScaleEvent {
    /// Replicas added (in the scale-up list) or removed (in the scale-down list), positive.
    pub replica_change: i32,
    /// When the rescale happened, Unix milliseconds.
    pub timestamp_ms: i64,
    /// Older than the longest policy period at the last rescale: free to be reused.
    pub outdated: bool,
}

/// The sum of `replica_change` over events strictly newer than `now - period`
/// [getReplicasChangePerPeriod]. The `outdated` flag does not matter here.
///
/// ```
/// use podscale::hpa::{replicas_change_per_period, ScaleEvent};
/// let events = [
///     ScaleEvent { replica_change: 3, timestamp_ms: -10_000, outdated: false },
///     ScaleEvent { replica_change: 5, timestamp_ms: -90_000, outdated: false },
/// ];
/// assert_eq!(replicas_change_per_period(60, &events, 0), 3);
/// ```
pub fn replicas_change_per_period(period_seconds: i32, events: &[ScaleEvent], now_ms: i64) -> i32 {
    let cutoff = now_ms.saturating_sub(seconds_to_ms(i64::from(period_seconds)));
    events
        .iter()
        .filter(|e| e.timestamp_ms > cutoff)
        .fold(0i32, |sum, e| sum.saturating_add(e.replica_change))
}

/// The highest replica count the scale-up policies allow now
/// [calculateScaleUpLimitWithScalingRules].
///
/// For each policy the count at the start of its period is `current - added + removed`; a Pods
/// policy adds its value, a Percent policy multiplies by `1 + value/100` in `f64` and rounds up
/// (10% of 100 allows 111). `Max` picks the largest proposal, `Min` the smallest, `Disabled`
/// allows none.
///
/// ```
/// use podscale::hpa::{scale_up_limit, ScalingDirection, ScalingRules};
/// let rules = ScalingRules::default().defaulted(ScalingDirection::ScaleUp);
/// assert_eq!(scale_up_limit(3, &[], &[], &rules, 0), 7); // max(3 + 4, 2 * 3)
/// ```
pub fn scale_up_limit(
    current: i32,
    scale_up_events: &[ScaleEvent],
    scale_down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now_ms: i64,
) -> i32 {
    let direction = ScalingDirection::ScaleUp;
    let rules = RulesView::of(Some(rules), direction);
    policy_limit(
        direction,
        current,
        scale_up_events,
        scale_down_events,
        rules,
        now_ms,
    )
}

/// The lowest replica count the scale-down policies allow now
/// [calculateScaleDownLimitWithBehaviors].
///
/// A Pods policy subtracts its value from the count at the start of its period, a Percent policy
/// multiplies by `1 - value/100` in `f64` and truncates. `Max` allows the largest change (the
/// lowest count), `Min` the smallest, `Disabled` none.
///
/// ```
/// use podscale::hpa::{scale_down_limit, ScalingPolicy, ScalingRules};
/// let rules = ScalingRules::with_policies(&[ScalingPolicy::percent(30, 60)])?;
/// assert_eq!(scale_down_limit(7, &[], &[], &rules, 0), 4); // 7 * 0.7 = 4.8999…
/// # Ok::<(), podscale::hpa::HpaError>(())
/// ```
pub fn scale_down_limit(
    current: i32,
    scale_up_events: &[ScaleEvent],
    scale_down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now_ms: i64,
) -> i32 {
    let direction = ScalingDirection::ScaleDown;
    let rules = RulesView::of(Some(rules), direction);
    policy_limit(
        direction,
        current,
        scale_up_events,
        scale_down_events,
        rules,
        now_ms,
    )
}

/// The limit of `rules` in `direction` [calculateScaleUpLimitWithScalingRules,
/// calculateScaleDownLimitWithBehaviors]: the two upstream functions differ only in the
/// proposal of each policy and in which proposal each `selectPolicy` picks.
pub(crate) fn policy_limit(
    direction: ScalingDirection,
    current: i32,
    scale_up_events: &[ScaleEvent],
    scale_down_events: &[ScaleEvent],
    rules: RulesView<'_>,
    now_ms: i64,
) -> i32 {
    let select = rules.select_policy;
    if select == SelectPolicy::Disabled {
        return current;
    }
    // Max means the largest change: the highest count up, the lowest count down.
    let highest = matches!(
        (direction, select),
        (ScalingDirection::ScaleUp, SelectPolicy::Max)
            | (ScalingDirection::ScaleDown, SelectPolicy::Min)
    );
    let mut result = if highest { i32::MIN } else { i32::MAX };
    for policy in rules.policies {
        let added = replicas_change_per_period(policy.period_seconds, scale_up_events, now_ms);
        let removed = replicas_change_per_period(policy.period_seconds, scale_down_events, now_ms);
        let period_start = current.saturating_sub(added).saturating_add(removed);
        let fraction = f64::from(policy.value) / 100.0;
        let proposed = match (direction, policy.kind) {
            (ScalingDirection::ScaleUp, ScalingPolicyType::Pods) => {
                period_start.saturating_add(policy.value)
            }
            (ScalingDirection::ScaleUp, ScalingPolicyType::Percent) => {
                ceil_to_i32(f64::from(period_start) * (1.0 + fraction))
            }
            (ScalingDirection::ScaleDown, ScalingPolicyType::Pods) => {
                period_start.saturating_sub(policy.value)
            }
            (ScalingDirection::ScaleDown, ScalingPolicyType::Percent) => {
                trunc_to_i32(f64::from(period_start) * (1.0 - fraction))
            }
        };
        result = if highest {
            result.max(proposed)
        } else {
            result.min(proposed)
        };
    }
    result
}

/// Where a new event goes: over the last outdated one, or at the end.
pub(crate) fn event_slot(
    events: &[ScaleEvent],
    longest_period_seconds: i32,
    now_ms: i64,
) -> Option<usize> {
    let cutoff = now_ms.saturating_sub(seconds_to_ms(i64::from(longest_period_seconds)));
    events
        .iter()
        .rposition(|e| e.outdated || e.timestamp_ms < cutoff)
}

/// Records a rescale of `change` replicas in `events` [storeScaleEvent, markScaleEventsOutdated].
///
/// `rules` are the rules of the rescale's direction; unset policies mean the default ones, whose
/// periods are 15 s in both directions.
///
/// Events older than the longest policy period of `rules` are marked outdated, the last outdated
/// one is reused, otherwise the event is appended. A list therefore needs
/// `longest period / sync period + 1` entries.
///
/// # Errors
///
/// [`HpaError::ScaleEventsFull`] when appending to a full list; nothing changes.
///
/// ```
/// use heapless::Vec;
/// use podscale::hpa::{store_scale_event, ScaleEvent, ScalingDirection, ScalingRules};
/// let rules = ScalingRules::default().defaulted(ScalingDirection::ScaleUp); // 15 s periods
/// let mut events: Vec<ScaleEvent, 8> = Vec::new();
/// store_scale_event(&mut events, &rules, 2, -60_000)?;
/// store_scale_event(&mut events, &rules, 3, 0)?; // reuses the event from a minute ago
/// assert_eq!(events.len(), 1);
/// # Ok::<(), podscale::hpa::HpaError>(())
/// ```
pub fn store_scale_event<const E: usize>(
    events: &mut Vec<ScaleEvent, E>,
    rules: &ScalingRules,
    change: i32,
    now_ms: i64,
) -> Result<(), HpaError> {
    let longest =
        RulesView::of(Some(rules), ScalingDirection::ScaleUp).longest_policy_period_seconds();
    record_scale_event(events, longest, change, now_ms)
}

/// [`store_scale_event`] with the longest policy period already known.
pub(crate) fn record_scale_event<const E: usize>(
    events: &mut Vec<ScaleEvent, E>,
    longest: i32,
    change: i32,
    now_ms: i64,
) -> Result<(), HpaError> {
    let slot = event_slot(events, longest, now_ms);
    let event = ScaleEvent {
        replica_change: change,
        timestamp_ms: now_ms,
        outdated: false,
    };
    if slot.is_none() && events.is_full() {
        return Err(HpaError::ScaleEventsFull { capacity: E });
    }
    let cutoff = now_ms.saturating_sub(seconds_to_ms(i64::from(longest)));
    for e in events.iter_mut() {
        if e.timestamp_ms < cutoff {
            e.outdated = true;
        }
    }
    match slot.and_then(|index| events.get_mut(index)) {
        Some(entry) => *entry = event,
        None => events
            .push(event)
            .map_err(|_| HpaError::ScaleEventsFull { capacity: E })?,
    }
    Ok(())
}
