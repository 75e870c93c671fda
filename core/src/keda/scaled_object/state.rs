//! What KEDA keeps in a ScaledObject's status between polls, owned by the caller.

use super::fallback::FallbackHealth;
use super::spec::MAX_TRIGGERS;

/// The status a ScaledObject carries from poll to poll: `lastActiveTime` and the fallback
/// health counters. Plain data: the caller owns it, can serialize it (`serde` feature) and can
/// checkpoint it ([`Checkpoint`](crate::checkpoint::Checkpoint)); a controller that restores
/// it continues exactly.
///
/// `N` bounds the trigger positions tracked for fallback (the default fits every trigger).
///
/// ```
/// use podscale::keda::ScaledObjectState;
/// let state: ScaledObjectState = ScaledObjectState::new();
/// assert_eq!(state.last_active_time_ms, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScaledObjectState<const N: usize = MAX_TRIGGERS> {
    /// `status.lastActiveTime`, Unix milliseconds: the last poll that saw the ScaledObject
    /// active without errors, or the last activation.
    ///
    /// KEDA stores it as RFC 3339 with whole seconds; podscale keeps the exact instant (see
    /// [`request_scale`](super::request_scale)).
    pub last_active_time_ms: Option<i64>,
    /// `status.health`, per trigger position.
    pub health: FallbackHealth<N>,
}

impl<const N: usize> Default for ScaledObjectState<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> ScaledObjectState<N> {
    /// The state of a ScaledObject never polled.
    pub const fn new() -> Self {
        Self {
            last_active_time_ms: None,
            health: FallbackHealth::new(),
        }
    }
}
