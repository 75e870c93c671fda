//! The tolerance band around a usage ratio of 1.0.

/// Scale-down and scale-up tolerances [Tolerances].
///
/// A usage ratio `r` is within tolerance, so no scaling happens, when
/// `1 - scale_down <= r <= 1 + scale_up` (both bounds inclusive, in `f64`).
///
/// ```
/// use podscale::hpa::Tolerances;
/// let t = Tolerances::symmetric(0.1);
/// assert!(t.is_within(1.1));
/// assert!(!t.is_within(1.1000001));
/// assert!(t.is_within(0.9));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tolerances {
    /// How far below 1.0 the ratio may fall without a scale-down.
    pub scale_down: f64,
    /// How far above 1.0 the ratio may rise without a scale-up.
    pub scale_up: f64,
}

impl Tolerances {
    /// The same tolerance in both directions, as the `--horizontal-pod-autoscaler-tolerance` flag.
    pub const fn symmetric(tolerance: f64) -> Self {
        Self {
            scale_down: tolerance,
            scale_up: tolerance,
        }
    }

    /// Whether `usage_ratio` is too close to 1.0 to act on [Tolerances.isWithin]. NaN never is.
    pub fn is_within(&self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

impl Default for Tolerances {
    /// The controller flag's default, 0.1 each way.
    fn default() -> Self {
        Self::symmetric(0.1)
    }
}
