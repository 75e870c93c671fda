//! Go's float-to-integer conversions, made total.
//!
//! Go converts an out-of-range float to an integer in an implementation-defined way (on amd64,
//! `int32(+Inf)` is `MinInt32`). Upstream never reaches those cases with validated input; podscale
//! saturates instead, and maps NaN to zero, so that no input can produce a nonsensical count.

/// `int32(math.Ceil(x))`, saturating.
pub(crate) fn ceil_to_i32(x: f64) -> i32 {
    libm::ceil(x) as i32
}

/// `int32(x)` (truncation toward zero), saturating.
pub(crate) fn trunc_to_i32(x: f64) -> i32 {
    x as i32
}

/// `int64(math.Ceil(x))`, saturating.
pub(crate) fn ceil_to_i64(x: f64) -> i64 {
    libm::ceil(x) as i64
}

/// Saturates a wide integer into `i32`.
pub(crate) fn saturate_i32(x: i128) -> i32 {
    i32::try_from(x).unwrap_or(if x < 0 { i32::MIN } else { i32::MAX })
}

/// Saturates a wide integer into `i64`.
pub(crate) fn saturate_i64(x: i128) -> i64 {
    i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX })
}

/// Seconds (as upstream's API fields hold them) to milliseconds, saturating.
pub(crate) fn seconds_to_ms(seconds: i64) -> i64 {
    seconds.saturating_mul(1000)
}
