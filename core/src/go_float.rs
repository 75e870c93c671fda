//! Go's float-to-integer conversions, made total.
//!
//! Go converts an out-of-range float to an integer in an implementation-defined way (on amd64,
//! `int32(+Inf)` is `MinInt32`). Upstream never reaches those cases with validated input; podscale
//! saturates instead, and maps NaN to zero, so that no input can produce a nonsensical count.

/// `int32(math.Ceil(x))`, saturating.
pub(crate) fn ceil_to_i32(x: f64) -> i32 {
    saturate_i32(i128::from(ceil_to_i64(x)))
}

/// `int32(x)` (truncation toward zero), saturating.
pub(crate) fn trunc_to_i32(x: f64) -> i32 {
    x as i32
}

/// `int64(math.Ceil(x))`, saturating.
///
/// Truncated toward zero, then one up when that fell short of `x`: the integer `math.Ceil`
/// gives (from 2^52 on `x` is already an integer, and NaN gives 0 either way), without the
/// software rounding `libm::ceil` needs on targets without a rounding instruction, such as
/// baseline x86-64.
pub(crate) fn ceil_to_i64(x: f64) -> i64 {
    let truncated = x as i64;
    if (truncated as f64) < x {
        truncated.saturating_add(1)
    } else {
        truncated
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The conversions as `libm::ceil` and Rust's saturating casts give them.
    fn reference(x: f64) -> (i32, i64) {
        (libm::ceil(x) as i32, libm::ceil(x) as i64)
    }

    #[test]
    fn ceil_conversions_match_libm() {
        let mut edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.5,
            -2.5,
            1e-300,
            -1e-300,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            2_147_483_647.0,
            2_147_483_647.5,
            2_147_483_648.0,
            -2_147_483_648.0,
            -2_147_483_648.5,
            -2_147_483_649.0,
            9.223_372_036_854_775e18,
            9.3e18,
            -9.3e18,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            1.0 + f64::EPSILON,
            -1.0 - f64::EPSILON,
        ]
        .to_vec();
        // A deterministic spread of magnitudes and fractions.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            edges.push(f64::from_bits(state));
            let scale = f64::from(u32::try_from(state >> 40).unwrap_or(0));
            edges.push((state % 1000) as f64 / 7.0 - scale);
        }
        for x in edges {
            assert_eq!((ceil_to_i32(x), ceil_to_i64(x)), reference(x), "x = {x:e}");
        }
    }
}
