//! Stabilization windows over the history of recommendations [stabilizeRecommendation,
//! stabilizeRecommendationWithBehaviors].

use heapless::Vec;

use super::error::HpaError;

/// One recorded recommendation: the replica count metrics proposed at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Recommendation {
    /// The proposed (not yet stabilized) replica count.
    pub replicas: i32,
    /// When it was proposed, Unix milliseconds.
    pub timestamp_ms: i64,
}

/// Where this sync's recommendation goes: over the last entry that left every window, or at the
/// end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Overwrite(usize),
    Append,
}

/// No index: a history holds fewer entries than `usize::MAX`.
const NONE: usize = usize::MAX;

impl Slot {
    /// Over the last entry that left every window (`NONE`: there is none), or at the end.
    fn after(last_expired: usize) -> Self {
        if last_expired == NONE {
            Self::Append
        } else {
            Self::Overwrite(last_expired)
        }
    }
}

/// A stabilized count and where to record the unstabilized one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stabilized {
    pub(crate) replicas: i32,
    pub(crate) slot: Slot,
}

/// Scale-down-only stabilization of an HPA without `behavior` [stabilizeRecommendation]: the
/// maximum of `desired` and every recommendation not older than `window_ms`.
pub(crate) fn plan_legacy(
    history: &[Recommendation],
    desired: i32,
    window_ms: i64,
    now_ms: i64,
) -> Stabilized {
    let cutoff = now_ms.saturating_sub(window_ms);
    let mut replicas = desired;
    let mut last_expired = NONE;
    for (index, rec) in history.iter().enumerate() {
        if rec.timestamp_ms < cutoff {
            last_expired = index;
        } else if rec.replicas > replicas {
            replicas = rec.replicas;
        }
    }
    Stabilized {
        replicas,
        slot: Slot::after(last_expired),
    }
}

/// Stabilization with `behavior` windows [stabilizeRecommendationWithBehaviors]: a scale-up goes
/// to the lowest recommendation of the up window, a scale-down to the highest of the down window,
/// never past `current`.
pub(crate) fn plan_with_behavior(
    history: &[Recommendation],
    current: i32,
    desired: i32,
    up_window_ms: i64,
    down_window_ms: i64,
    now_ms: i64,
) -> Stabilized {
    let up_cutoff = now_ms.saturating_sub(up_window_ms);
    let down_cutoff = now_ms.saturating_sub(down_window_ms);
    // Before both cutoffs: before the earlier one.
    let expired_before = up_cutoff.min(down_cutoff);
    let last_expired = history
        .iter()
        .rposition(|rec| rec.timestamp_ms < expired_before)
        .unwrap_or(NONE);
    let slot = Slot::after(last_expired);
    // Upstream takes `up` (the lowest of `desired` and the up window) and `down` (the highest
    // of `desired` and the down window), then clamps `current` to `[up, down]`. As
    // `up <= desired <= down`, only one side can move `current`: `up` when `desired` is above
    // it, `down` when below, neither when equal; only that window is read.
    let replicas = match desired.cmp(&current) {
        core::cmp::Ordering::Equal => current,
        core::cmp::Ordering::Greater => {
            let mut up = desired;
            for rec in history {
                let candidate = if rec.timestamp_ms > up_cutoff {
                    rec.replicas
                } else {
                    i32::MAX
                };
                up = up.min(candidate);
            }
            current.max(up)
        }
        core::cmp::Ordering::Less => {
            let mut down = desired;
            for rec in history {
                let candidate = if rec.timestamp_ms > down_cutoff {
                    rec.replicas
                } else {
                    i32::MIN
                };
                down = down.max(candidate);
            }
            current.min(down)
        }
    };
    Stabilized { replicas, slot }
}

/// Records `rec` at `slot`.
///
/// # Errors
///
/// [`HpaError::RecommendationHistoryFull`] when appending to a full history; nothing changes.
pub(crate) fn record<const R: usize>(
    history: &mut Vec<Recommendation, R>,
    slot: Slot,
    rec: Recommendation,
) -> Result<(), HpaError> {
    match slot {
        Slot::Overwrite(index) => {
            if let Some(entry) = history.get_mut(index) {
                *entry = rec;
                return Ok(());
            }
            history
                .push(rec)
                .map_err(|_| HpaError::RecommendationHistoryFull { capacity: R })
        }
        Slot::Append => history
            .push(rec)
            .map_err(|_| HpaError::RecommendationHistoryFull { capacity: R }),
    }
}

/// Stabilizes `desired` for an HPA without `behavior` and records it [stabilizeRecommendation].
///
/// Only scale-down is stabilized: the result is the highest recommendation of the last
/// `window_ms`, `desired` included. The oldest-position entry that left the window is reused, so
/// a history needs `window / sync period + 2` entries (22 for the default 5 minutes at 15 s).
///
/// # Errors
///
/// [`HpaError::RecommendationHistoryFull`] when every entry is still inside the window and the
/// history is full; the history is unchanged.
///
/// ```
/// use heapless::Vec;
/// use podscale::hpa::{stabilize_recommendation, Recommendation};
/// let mut history: Vec<Recommendation, 32> = Vec::new();
/// history.push(Recommendation { replicas: 8, timestamp_ms: -60_000 }).unwrap();
/// // Metrics now want 3, but 8 was recommended a minute ago: stay at 8.
/// assert_eq!(stabilize_recommendation(&mut history, 3, 300_000, 0), Ok(8));
/// assert_eq!(history.len(), 2);
/// ```
pub fn stabilize_recommendation<const R: usize>(
    history: &mut Vec<Recommendation, R>,
    desired: i32,
    window_ms: i64,
    now_ms: i64,
) -> Result<i32, HpaError> {
    let plan = plan_legacy(history, desired, window_ms, now_ms);
    record(
        history,
        plan.slot,
        Recommendation {
            replicas: desired,
            timestamp_ms: now_ms,
        },
    )?;
    Ok(plan.replicas)
}

/// Stabilizes `desired` with the windows of `behavior` and records it
/// [stabilizeRecommendationWithBehaviors]. The unstabilized `desired` is what gets recorded.
///
/// # Errors
///
/// [`HpaError::RecommendationHistoryFull`] when every entry is still inside a window and the
/// history is full; the history is unchanged.
///
/// ```
/// use heapless::Vec;
/// use podscale::hpa::{stabilize_recommendation_with_behavior, Recommendation};
/// let mut history: Vec<Recommendation, 32> = Vec::new();
/// history.push(Recommendation { replicas: 4, timestamp_ms: -30_000 }).unwrap();
/// // Up window 60 s: going from 2 to 9 only reaches the lowest recent recommendation, 4.
/// let r = stabilize_recommendation_with_behavior(&mut history, 2, 9, 60_000, 300_000, 0);
/// assert_eq!(r, Ok(4));
/// ```
pub fn stabilize_recommendation_with_behavior<const R: usize>(
    history: &mut Vec<Recommendation, R>,
    current: i32,
    desired: i32,
    up_window_ms: i64,
    down_window_ms: i64,
    now_ms: i64,
) -> Result<i32, HpaError> {
    let plan = plan_with_behavior(
        history,
        current,
        desired,
        up_window_ms,
        down_window_ms,
        now_ms,
    );
    record(
        history,
        plan.slot,
        Recommendation {
            replicas: desired,
            timestamp_ms: now_ms,
        },
    )?;
    Ok(plan.replicas)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]

    use super::*;
    use proptest::prelude::*;

    /// Upstream's loop as written [stabilizeRecommendationWithBehaviors]: both windows and the
    /// oldest-entry search in one pass, then `current` clamped to `[up, down]`.
    fn upstream_with_behavior(
        history: &[Recommendation],
        current: i32,
        desired: i32,
        up_window_ms: i64,
        down_window_ms: i64,
        now_ms: i64,
    ) -> (i32, Option<usize>) {
        let up_cutoff = now_ms - up_window_ms;
        let down_cutoff = now_ms - down_window_ms;
        let (mut up, mut down, mut old) = (desired, desired, None);
        for (i, rec) in history.iter().enumerate() {
            if rec.timestamp_ms > up_cutoff {
                up = up.min(rec.replicas);
            }
            if rec.timestamp_ms > down_cutoff {
                down = down.max(rec.replicas);
            }
            if rec.timestamp_ms < up_cutoff && rec.timestamp_ms < down_cutoff {
                old = Some(i);
            }
        }
        let mut recommendation = current;
        if recommendation < up {
            recommendation = up;
        }
        if recommendation > down {
            recommendation = down;
        }
        (recommendation, old)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Reading only the window on `desired`'s side of `current` gives upstream's answer
        /// and slot, including entries exactly at a cutoff and windows of 0.
        #[test]
        fn one_sided_scan_agrees_with_upstream(
            entries in prop::collection::vec((0..12i32, -50..=5i64), 0..40),
            current in 0..12i32,
            desired in 0..12i32,
            up_steps in 0..6i64,
            down_steps in 0..45i64,
        ) {
            // Timestamps on a 15 s grid around now, so that some fall exactly on a cutoff.
            let now_ms = 1_000_000;
            let mut history: Vec<Recommendation, 64> = Vec::new();
            for &(replicas, step) in &entries {
                let timestamp_ms = now_ms + step * 15_000;
                history.push(Recommendation { replicas, timestamp_ms }).unwrap();
            }
            let (up_ms, down_ms) = (up_steps * 15_000, down_steps * 15_000);
            let plan = plan_with_behavior(&history, current, desired, up_ms, down_ms, now_ms);
            let (replicas, old) =
                upstream_with_behavior(&history, current, desired, up_ms, down_ms, now_ms);
            prop_assert_eq!(plan.replicas, replicas);
            prop_assert_eq!(plan.slot, old.map_or(Slot::Append, Slot::Overwrite));
        }
    }
}
