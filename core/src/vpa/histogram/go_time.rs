//! Go's `time.Time` arithmetic as the VPA recommender uses it, on Unix milliseconds.
//!
//! podscale's instants are `i64` Unix milliseconds. Go's zero `time.Time` (0001-01-01T00:00:00Z)
//! is an ordinary instant on that scale, [`GO_ZERO_TIME_MS`], so it needs no separate flag: an
//! instant equal to it *is* the zero time, exactly as `time.Unix(-62135596800, 0).IsZero()` is
//! true in Go. `time.Unix(0, 0)` is not the zero time.
//!
//! Go's `time.Duration` is `int64` nanoseconds and `Time.Sub` saturates at its bounds
//! (±292 years); [`sub_ns`] reproduces that, so the first sample of a decaying histogram (whose
//! reference is the zero time) sees the same saturated `-2^63` ns as upstream.
//!
//! ```
//! use podscale::vpa::go_time::{self, GO_ZERO_TIME_MS};
//! // Sub(zero, 2023-11-14T22:13:20Z) saturates.
//! assert_eq!(go_time::sub_ns(GO_ZERO_TIME_MS, 1_700_000_000_000), i64::MIN);
//! // Round to 24h relative to the zero time: the nearest UTC midnight.
//! assert_eq!(go_time::round(1_700_000_000_000, 86_400_000), 1_700_006_400_000);
//! ```

/// Go's zero `time.Time`, 0001-01-01T00:00:00Z, in Unix milliseconds.
pub const GO_ZERO_TIME_MS: i64 = -62_135_596_800_000;

/// Whether `t_ms` is Go's zero time [Time.IsZero].
///
/// ```
/// use podscale::vpa::go_time::{is_zero, GO_ZERO_TIME_MS};
/// assert!(is_zero(GO_ZERO_TIME_MS));
/// assert!(!is_zero(0));
/// ```
pub const fn is_zero(t_ms: i64) -> bool {
    t_ms == GO_ZERO_TIME_MS
}

/// `t.Sub(u)` as a Go `time.Duration` in nanoseconds, saturating at `i64::MIN` and `i64::MAX`
/// as Go does [Time.Sub].
///
/// ```
/// use podscale::vpa::go_time::sub_ns;
/// assert_eq!(sub_ns(3_000, 1_000), 2_000_000_000);
/// assert_eq!(sub_ns(i64::MAX, 0), i64::MAX);
/// ```
pub fn sub_ns(t_ms: i64, u_ms: i64) -> i64 {
    // Plain i64 arithmetic in the common case (this is on every sample's path).
    match t_ms
        .checked_sub(u_ms)
        .and_then(|ms| ms.checked_mul(1_000_000))
    {
        Some(ns) => ns,
        None if t_ms < u_ms => i64::MIN,
        None => i64::MAX,
    }
}

/// `t.Round(d)`: the multiple of `d` since the zero time nearest to `t`, halves rounding up
/// (later) [Time.Round]. A non-positive `d` returns `t` unchanged, as Go does.
///
/// Because the grid starts at the zero time and not at the Unix epoch, rounding to a duration
/// that does not divide 719162 days (the distance between the two) differs from rounding Unix
/// time: 72h is such a duration. Results beyond the `i64` range saturate.
///
/// ```
/// use podscale::vpa::go_time::round;
/// let hour = 3_600_000;
/// assert_eq!(round(1_234_567_890_000, hour), 1_234_569_600_000);
/// assert_eq!(round(1_800_000, hour), hour); // a half rounds up
/// assert_eq!(round(-1_800_000, hour), 0); // also before 1970
/// // 72h: the grid runs from year 1, so the epoch is not on it.
/// assert_eq!(round(0, 3 * 24 * hour), 86_400_000);
/// ```
pub fn round(t_ms: i64, d_ms: i64) -> i64 {
    if d_ms <= 0 {
        return t_ms;
    }
    let d = i128::from(d_ms);
    let since_zero = i128::from(t_ms).saturating_sub(i128::from(GO_ZERO_TIME_MS));
    // d > 0: the Euclidean remainder always exists and lies in [0, d).
    let r = since_zero.checked_rem_euclid(d).unwrap_or(0);
    // lessThanHalf: r + r < d.
    let rounded = if r.saturating_add(r) < d {
        i128::from(t_ms).saturating_sub(r)
    } else {
        i128::from(t_ms).saturating_add(d.saturating_sub(r))
    };
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_time_is_year_one() {
        // 719162 days from 0001-01-01 to 1970-01-01.
        assert_eq!(GO_ZERO_TIME_MS, -719_162 * 86_400_000);
    }

    #[test]
    fn first_sample_shift_exponent() {
        // Spec section 4: Sub(zero, modern) / 24h + 0.5, floored, is -106752.
        let ns = sub_ns(GO_ZERO_TIME_MS, 1_700_006_400_000);
        assert_eq!(ns, i64::MIN);
        assert_eq!(super::super::go_math::round(ns as f64 / 86_400e9), -106_752);
    }

    #[test]
    fn round_matches_go() {
        let day = 86_400_000;
        // Spec section 4: 1700000000 s rounds to 2023-11-15T00:00:00Z.
        assert_eq!(round(1_700_000_000_000, day), 1_700_006_400_000);
        // Exactly noon rounds up.
        assert_eq!(round(1_700_049_600_000, day), 1_700_092_800_000);
        assert_eq!(round(1_700_049_599_999, day), 1_700_006_400_000);
        assert_eq!(round(GO_ZERO_TIME_MS, day), GO_ZERO_TIME_MS);
        // Near the ends of the range: no overflow, and within half a day.
        assert!(round(i64::MAX, day) >= i64::MAX - day / 2);
        assert!(round(i64::MIN, day) <= i64::MIN + day / 2);
        assert_eq!(round(42, 0), 42);
        assert_eq!(round(42, -5), 42);
    }
}
