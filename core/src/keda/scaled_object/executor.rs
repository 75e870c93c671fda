//! The 0 <-> 1 decision KEDA owns: activation, cooldown, idle and minimum replicas
//! [RequestScale].

use crate::hpa::ConditionStatus;

use super::error::ScaledObjectError;
use super::spec::ScaledObjectSpec;
use super::state::ScaledObjectState;
use super::trigger_activity::{Activity, TriggerObservation, scaled_object_activity};

/// The reason of the ScaledObject's `Active` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ActiveReason {
    /// `True`: a trigger is active, or activation is forced.
    ScalerActive,
    /// `False`: no trigger is active, but the cooldown has not passed yet.
    ScalerCooldown,
    /// `False`: no trigger is active.
    ScalerNotActive,
}

impl ActiveReason {
    /// The reason as written in status.
    ///
    /// ```
    /// use podscale::keda::ActiveReason;
    /// assert_eq!(ActiveReason::ScalerCooldown.as_str(), "ScalerCooldown");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ScalerActive => "ScalerActive",
            Self::ScalerCooldown => "ScalerCooldown",
            Self::ScalerNotActive => "ScalerNotActive",
        }
    }

    /// The condition's status.
    pub const fn status(self) -> ConditionStatus {
        match self {
            Self::ScalerActive => ConditionStatus::True,
            Self::ScalerCooldown | Self::ScalerNotActive => ConditionStatus::False,
        }
    }
}

/// The reason of the ScaledObject's `Ready` condition, as the executor sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ReadyReason {
    /// `True`: every trigger works.
    ScaledObjectReady,
    /// `Unknown`: active, but some trigger errors.
    PartialTriggerError,
    /// `False`: inactive, some trigger errors and there is no fallback.
    TriggerError,
}

impl ReadyReason {
    /// The reason as written in status.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ScaledObjectReady => "ScaledObjectReady",
            Self::PartialTriggerError => "PartialTriggerError",
            Self::TriggerError => "TriggerError",
        }
    }

    /// The condition's status.
    pub const fn status(self) -> ConditionStatus {
        match self {
            Self::ScaledObjectReady => ConditionStatus::True,
            Self::PartialTriggerError => ConditionStatus::Unknown,
            Self::TriggerError => ConditionStatus::False,
        }
    }
}

/// Which replica write KEDA made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ScaleActionKind {
    /// From 0 (or below the minimum in idle mode) to `minReplicaCount`, or 1
    /// [scaleFromZeroOrIdle].
    Activate,
    /// To `idleReplicaCount`, or `minReplicaCount` (0), after the cooldown [scaleToZeroOrIdle].
    Deactivate,
    /// Up to `minReplicaCount` while inactive, without idle mode.
    ToMin,
}

impl ScaleActionKind {
    /// A short name: `activate`, `deactivate`, `to_min`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Activate => "activate",
            Self::Deactivate => "deactivate",
            Self::ToMin => "to_min",
        }
    }
}

/// A write of the scale target's replica count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScaleAction {
    /// Why.
    pub kind: ScaleActionKind,
    /// The count before.
    pub scale_from: i32,
    /// The count written.
    pub scale_to: i32,
    /// Whether the write succeeded (always true with [`request_scale`]).
    pub written: bool,
}

/// What one executor call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExecutorDecision {
    /// The ScaledObject is paused: nothing else was decided.
    pub paused: bool,
    /// The replica write, if any.
    pub action: Option<ScaleAction>,
    /// The `Active` condition's reason; `None` when paused (left as it was).
    pub active: Option<ActiveReason>,
    /// The `Ready` condition's reason.
    pub ready: ReadyReason,
    /// `lastActiveTime` after the call (also in the state).
    pub last_active_time_ms: Option<i64>,
}

/// One executor call, assuming every replica write succeeds [RequestScale].
///
/// See [`request_scale_with`] for the rules.
///
/// ```
/// use podscale::keda::*;
/// let so = ScaledObjectSpec::new("so", &[Trigger::new("cron")])?; // min 0, cooldown 300 s
/// let mut state: ScaledObjectState = ScaledObjectState::new();
/// let on = Activity { is_active: true, is_error: false };
/// let off = Activity::default();
///
/// let d = request_scale(&so, &mut state, on, 0, 1_000);
/// assert_eq!(d.action.map(|a| (a.scale_from, a.scale_to)), Some((0, 1)));
/// assert_eq!(state.last_active_time_ms, Some(1_000));
///
/// // Inactive: cooling down until strictly after lastActiveTime + 300 s.
/// let d = request_scale(&so, &mut state, off, 4, 301_000);
/// assert_eq!((d.action, d.active), (None, Some(ActiveReason::ScalerCooldown)));
/// let d = request_scale(&so, &mut state, off, 4, 301_001);
/// assert_eq!(d.action.map(|a| (a.kind, a.scale_to)), Some((ScaleActionKind::Deactivate, 0)));
/// # Ok::<(), ScaledObjectError>(())
/// ```
pub fn request_scale<const N: usize>(
    spec: &ScaledObjectSpec<'_>,
    state: &mut ScaledObjectState<N>,
    activity: Activity,
    current_replicas: i32,
    now_ms: i64,
) -> ExecutorDecision {
    request_scale_with(spec, state, activity, current_replicas, now_ms, |_| true)
}

/// One executor call [RequestScale]; `write` performs each replica write and says whether it
/// succeeded.
///
/// `current_replicas` is the target's `spec.replicas` as read just before (KEDA reads it on
/// every call). Paused (`paused: true` or `paused-replicas`): nothing happens. Otherwise, with
/// `min = minReplicaCount or 0`:
///
/// Active (a trigger is active, or `force-activation`): `Active=True ScalerActive`, then the
/// first case that applies:
/// 1. `current == 0`, or idle mode and `current < min`: unless `paused-scale-out`, write
///    `min` if above 0 else 1 (activate), and on success `lastActiveTime = now`;
/// 2. some trigger errors: `Ready=Unknown PartialTriggerError`; `lastActiveTime` is **not**
///    refreshed;
/// 3. otherwise `lastActiveTime = now` (the HPA handles 1..N).
///
/// Inactive: `Active=False ScalerNotActive`, then the first case that applies:
/// 1. some trigger errors and `fallback.replicas != 0`: nothing (the HPA gets fallback
///    metrics);
/// 2. some trigger errors and no fallback: `Ready=False TriggerError`, nothing else; an
///    erroring trigger blocks scale-to-zero (with `fallback.replicas == 0` it does not: KEDA
///    falls through to case 3);
/// 3. idle mode and `current > idle`, or `current > 0` and `min == 0`: unless
///    `paused-scale-in`, if cooled down write `idle`, else `min` (deactivate, from any count);
///    if not, `Active=False ScalerCooldown`. Cooled down means `lastActiveTime + cooldownPeriod
///    < now`, or, before any activity, `creationTimestamp + initialCooldownPeriod < now`, both
///    strictly;
/// 4. no idle mode and `current < min`: write `min` (to_min);
/// 5. otherwise nothing.
///
/// Instants are exact milliseconds. KEDA itself stores `lastActiveTime` with whole seconds and
/// reads the clock a few milliseconds after each tick, so when the cooldown is a multiple of
/// the polling interval, the poll exactly `cooldownPeriod` after the last active one usually
/// already scales in there; here (as in the conformance vectors) it does not: the comparison is
/// strict on exact instants.
pub fn request_scale_with<const N: usize>(
    spec: &ScaledObjectSpec<'_>,
    state: &mut ScaledObjectState<N>,
    activity: Activity,
    current_replicas: i32,
    now_ms: i64,
    mut write: impl FnMut(&ScaleAction) -> bool,
) -> ExecutorDecision {
    let mut decision = ExecutorDecision {
        paused: false,
        action: None,
        active: None,
        ready: ReadyReason::ScaledObjectReady,
        last_active_time_ms: state.last_active_time_ms,
    };
    // [handlePaused]
    if spec.annotations.is_paused() {
        decision.paused = true;
        return decision;
    }
    let min = spec.min_replicas();
    let idle = spec.idle_replica_count;
    let mut scale = |kind, to| {
        let mut action = ScaleAction {
            kind,
            scale_from: current_replicas,
            scale_to: to,
            written: false,
        };
        action.written = write(&action);
        action
    };
    if activity.is_active || spec.annotations.force_activation {
        decision.active = Some(ActiveReason::ScalerActive);
        if (idle.is_some() && current_replicas < min) || current_replicas == 0 {
            // [scaleFromZeroOrIdle]
            if !spec.annotations.paused_scale_out {
                let to = match spec.min_replica_count {
                    Some(m) if m > 0 => m,
                    _ => 1,
                };
                let action = scale(ScaleActionKind::Activate, to);
                if action.written {
                    state.last_active_time_ms = Some(now_ms);
                }
                decision.action = Some(action);
            }
        } else if activity.is_error {
            decision.ready = ReadyReason::PartialTriggerError;
        } else {
            state.last_active_time_ms = Some(now_ms);
        }
    } else {
        decision.active = Some(ActiveReason::ScalerNotActive);
        if activity.is_error && spec.fallback.is_some_and(|f| f.replicas != 0) {
            // The HPA will get fallback metrics once the threshold is passed; scaling to zero
            // now would disable it (implicit maintenance-mode deactivation).
        } else if activity.is_error && spec.fallback.is_none() {
            decision.ready = ReadyReason::TriggerError;
        } else if idle.is_some_and(|i| current_replicas > i) || (current_replicas > 0 && min == 0) {
            // [scaleToZeroOrIdle]
            if !spec.annotations.paused_scale_in {
                if is_cooled_down(spec, state, now_ms) {
                    // [getIdleOrMinimumReplicaCount]
                    let to = idle.unwrap_or(min);
                    decision.action = Some(scale(ScaleActionKind::Deactivate, to));
                } else {
                    decision.active = Some(ActiveReason::ScalerCooldown);
                }
            }
        } else if idle.is_none() && current_replicas < min {
            decision.action = Some(scale(ScaleActionKind::ToMin, min));
        }
    }
    decision.last_active_time_ms = state.last_active_time_ms;
    decision
}

/// Whether the cooldown has strictly passed [scaleToZeroOrIdle]: since `lastActiveTime`, or,
/// when there never was activity, since creation plus `initialCooldownPeriod` (an unset
/// creation time is "now", as KEDA sets it).
fn is_cooled_down<const N: usize>(
    spec: &ScaledObjectSpec<'_>,
    state: &ScaledObjectState<N>,
    now_ms: i64,
) -> bool {
    match state.last_active_time_ms {
        Some(last) => last.saturating_add(spec.cooldown_period_ms()) < now_ms,
        None => {
            spec.creation_timestamp_ms
                .unwrap_or(now_ms)
                .saturating_add(spec.initial_cooldown_period_ms())
                < now_ms
        }
    }
}

/// One tick of the scale loop for one ScaledObject [checkScalers]: aggregates the triggers'
/// observations ([`scaled_object_activity`]) and runs the executor ([`request_scale`]).
///
/// # Errors
///
/// A number of observations different from the number of triggers; the state is unchanged.
///
/// ```
/// use podscale::keda::*;
/// let mut so = ScaledObjectSpec::new("so", &[Trigger::new("cron")])?;
/// so.min_replica_count = Some(2);
/// let mut state: ScaledObjectState = ScaledObjectState::new();
/// let d = poll(&so, &mut state, &[TriggerObservation::inactive(0.0)], 0, 0)?;
/// assert_eq!(d.action.map(|a| (a.kind, a.scale_to)), Some((ScaleActionKind::ToMin, 2)));
/// # Ok::<(), ScaledObjectError>(())
/// ```
pub fn poll<'a, const N: usize>(
    spec: &ScaledObjectSpec<'a>,
    state: &mut ScaledObjectState<N>,
    observations: &[TriggerObservation],
    current_replicas: i32,
    now_ms: i64,
) -> Result<ExecutorDecision, ScaledObjectError<'a>> {
    let activity = scaled_object_activity(spec, observations)?;
    Ok(request_scale(
        spec,
        state,
        activity,
        current_replicas,
        now_ms,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::keda::{Annotations, Fallback, FallbackBehavior, Trigger};

    const ON: Activity = Activity {
        is_active: true,
        is_error: false,
    };
    const OFF: Activity = Activity {
        is_active: false,
        is_error: false,
    };
    const ON_ERR: Activity = Activity {
        is_active: true,
        is_error: true,
    };
    const OFF_ERR: Activity = Activity {
        is_active: false,
        is_error: true,
    };

    fn so() -> ScaledObjectSpec<'static> {
        let mut so = ScaledObjectSpec::new("so", &[Trigger::new("cron")]).unwrap();
        so.creation_timestamp_ms = Some(0);
        so
    }

    fn kind(d: &ExecutorDecision) -> Option<(ScaleActionKind, i32, i32)> {
        d.action.map(|a| (a.kind, a.scale_from, a.scale_to))
    }

    #[test]
    fn activation_goes_to_min_or_one() {
        let mut state: ScaledObjectState = ScaledObjectState::new();
        let d = request_scale(&so(), &mut state, ON, 0, 10);
        assert_eq!(kind(&d), Some((ScaleActionKind::Activate, 0, 1)));
        let mut with_min = so();
        with_min.min_replica_count = Some(3);
        let d = request_scale(&with_min, &mut state, ON, 0, 20);
        assert_eq!(kind(&d), Some((ScaleActionKind::Activate, 0, 3)));
        assert_eq!(d.last_active_time_ms, Some(20));
    }

    #[test]
    fn active_with_error_keeps_last_active_time() {
        let mut state: ScaledObjectState = ScaledObjectState::new();
        state.last_active_time_ms = Some(5);
        let d = request_scale(&so(), &mut state, ON_ERR, 2, 100);
        assert_eq!(d.action, None);
        assert_eq!(d.ready, ReadyReason::PartialTriggerError);
        assert_eq!(state.last_active_time_ms, Some(5));
        // But activation from zero still happens, and refreshes it.
        let d = request_scale(&so(), &mut state, ON_ERR, 0, 200);
        assert_eq!(kind(&d), Some((ScaleActionKind::Activate, 0, 1)));
        assert_eq!(state.last_active_time_ms, Some(200));
    }

    #[test]
    fn error_blocks_scale_to_zero_without_fallback() {
        let mut state: ScaledObjectState = ScaledObjectState::new();
        let d = request_scale(&so(), &mut state, OFF_ERR, 4, 1_000_000);
        assert_eq!(d.action, None);
        assert_eq!(d.ready, ReadyReason::TriggerError);
        assert_eq!(d.active, Some(ActiveReason::ScalerNotActive));
        // With fallback.replicas != 0 too, but Ready stays True.
        let mut with_fallback = so();
        with_fallback.fallback = Some(Fallback {
            failure_threshold: 3,
            replicas: 2,
            behavior: FallbackBehavior::Static,
        });
        let d = request_scale(&with_fallback, &mut state, OFF_ERR, 4, 1_000_000);
        assert_eq!((d.action, d.ready), (None, ReadyReason::ScaledObjectReady));
        // fallback.replicas == 0 falls through to scale-in: a KEDA quirk kept as is.
        with_fallback.fallback = Some(Fallback {
            failure_threshold: 3,
            replicas: 0,
            behavior: FallbackBehavior::Static,
        });
        let d = request_scale(&with_fallback, &mut state, OFF_ERR, 4, 1_000_000);
        assert_eq!(kind(&d), Some((ScaleActionKind::Deactivate, 4, 0)));
    }

    #[test]
    fn cooldown_is_strict_on_exact_instants() {
        let mut state: ScaledObjectState = ScaledObjectState::new();
        state.last_active_time_ms = Some(1_000);
        let d = request_scale(&so(), &mut state, OFF, 3, 301_000);
        assert_eq!(d.active, Some(ActiveReason::ScalerCooldown));
        assert_eq!(d.action, None);
        let d = request_scale(&so(), &mut state, OFF, 3, 301_001);
        assert_eq!(kind(&d), Some((ScaleActionKind::Deactivate, 3, 0)));
        assert_eq!(d.active, Some(ActiveReason::ScalerNotActive));
    }

    #[test]
    fn initial_cooldown_applies_before_any_activity() {
        let mut spec = so();
        spec.initial_cooldown_period_seconds = Some(60);
        let mut state: ScaledObjectState = ScaledObjectState::new();
        let d = request_scale(&spec, &mut state, OFF, 2, 60_000);
        assert_eq!(d.active, Some(ActiveReason::ScalerCooldown));
        let d = request_scale(&spec, &mut state, OFF, 2, 60_001);
        assert_eq!(kind(&d), Some((ScaleActionKind::Deactivate, 2, 0)));
        // No creation time: KEDA takes "now", which is never strictly before now.
        spec.creation_timestamp_ms = None;
        spec.initial_cooldown_period_seconds = None;
        let d = request_scale(&spec, &mut state, OFF, 2, 60_001);
        assert_eq!(d.active, Some(ActiveReason::ScalerCooldown));
    }

    #[test]
    fn idle_mode() {
        let mut spec = so();
        spec.idle_replica_count = Some(0);
        spec.min_replica_count = Some(2);
        let mut state: ScaledObjectState = ScaledObjectState::new();
        // Inactive above idle, never active: scale straight to idle.
        let d = request_scale(&spec, &mut state, OFF, 3, 1);
        assert_eq!(kind(&d), Some((ScaleActionKind::Deactivate, 3, 0)));
        // Active below min in idle mode: activate to min (from 1 too).
        let d = request_scale(&spec, &mut state, ON, 1, 2);
        assert_eq!(kind(&d), Some((ScaleActionKind::Activate, 1, 2)));
        // Inactive at idle: nothing, and no to_min in idle mode.
        let d = request_scale(&spec, &mut state, OFF, 0, 400_000);
        assert_eq!(d.action, None);
    }

    #[test]
    fn to_min_without_idle() {
        let mut spec = so();
        spec.min_replica_count = Some(2);
        let mut state: ScaledObjectState = ScaledObjectState::new();
        let d = request_scale(&spec, &mut state, OFF, 1, 1);
        assert_eq!(kind(&d), Some((ScaleActionKind::ToMin, 1, 2)));
        // Above min with min > 0: KEDA leaves it to the HPA, cooldown does not apply.
        let d = request_scale(&spec, &mut state, OFF, 5, 1);
        assert_eq!(
            (d.action, d.active),
            (None, Some(ActiveReason::ScalerNotActive))
        );
    }

    #[test]
    fn annotations() {
        let mut spec = so();
        let mut state: ScaledObjectState = ScaledObjectState::new();
        spec.annotations = Annotations {
            paused_scale_out: true,
            ..Annotations::default()
        };
        let d = request_scale(&spec, &mut state, ON, 0, 1);
        assert_eq!((d.action, state.last_active_time_ms), (None, None));
        assert_eq!(d.active, Some(ActiveReason::ScalerActive));

        spec.annotations = Annotations {
            paused_scale_in: true,
            ..Annotations::default()
        };
        let d = request_scale(&spec, &mut state, OFF, 4, 1_000_000);
        assert_eq!(
            (d.action, d.active),
            (None, Some(ActiveReason::ScalerNotActive))
        );

        spec.annotations = Annotations {
            force_activation: true,
            ..Annotations::default()
        };
        let d = request_scale(&spec, &mut state, OFF, 0, 7);
        assert_eq!(kind(&d), Some((ScaleActionKind::Activate, 0, 1)));
        assert_eq!(d.active, Some(ActiveReason::ScalerActive));
        let d = request_scale(&spec, &mut state, OFF, 3, 9);
        assert_eq!((d.action, d.last_active_time_ms), (None, Some(9)));

        spec.annotations = Annotations {
            paused_replicas: Some(4),
            ..Annotations::default()
        };
        let d = request_scale(&spec, &mut state, ON, 0, 11);
        assert!(d.paused);
        assert_eq!(
            (d.action, d.active, d.last_active_time_ms),
            (None, None, Some(9))
        );
    }

    #[test]
    fn failed_writes() {
        let mut state: ScaledObjectState = ScaledObjectState::new();
        let d = request_scale_with(&so(), &mut state, ON, 0, 5, |_| false);
        assert_eq!(d.action.map(|a| a.written), Some(false));
        assert_eq!(state.last_active_time_ms, None);
        state.last_active_time_ms = Some(0);
        let d = request_scale_with(&so(), &mut state, OFF, 2, 400_000, |_| false);
        assert_eq!(
            d.action.map(|a| (a.kind, a.written)),
            Some((ScaleActionKind::Deactivate, false))
        );
        assert_eq!(d.active, Some(ActiveReason::ScalerNotActive));
    }

    #[test]
    fn extreme_instants_do_not_overflow() {
        let mut state: ScaledObjectState = ScaledObjectState::new();
        state.last_active_time_ms = Some(i64::MAX);
        let d = request_scale(&so(), &mut state, OFF, 1, i64::MAX);
        assert_eq!(d.active, Some(ActiveReason::ScalerCooldown));
        state.last_active_time_ms = Some(i64::MIN);
        let d = request_scale(&so(), &mut state, OFF, 1, i64::MIN);
        assert_eq!(d.active, Some(ActiveReason::ScalerCooldown));
    }
}
