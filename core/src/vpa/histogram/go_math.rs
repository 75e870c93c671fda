//! Go's `math.Log`, `math.Exp2`, `math.Pow` (integer exponents), `math.Frexp` and `math.Ldexp`,
//! ported operation for operation, and the float-to-integer conversions the VPA uses.
//!
//! The VPA's bucket boundaries and decay factors are computed by Go's own math, not by the C
//! library: on linux/amd64 (the reference platform) `Log` is an assembly routine that performs
//! exactly the operations of the pure-Go `log`, and `Exp2`, `Pow`, `Frexp` and `Ldexp` are the
//! pure-Go functions. `libm`'s versions differ in the last bit often enough to move a bucket
//! boundary (memory bucket 4 starts at `43101249.99999996` under Go and at `43101250.00000001`
//! under `libm::pow`), so these are ported line by line from `src/math/{log,exp,pow,frexp,
//! ldexp}.go`. Only `floor` comes from `libm`: it is exact in every implementation.
//!
//! Rust never contracts `a * b + c` into a fused multiply-add, so every operation below rounds
//! separately, as Go does on amd64 (`GOAMD64=v1`), on every target podscale builds for.
//!
//! ```
//! use podscale::vpa::go_math;
//! // Go: math.Log(5001.000000000005) / math.Log(1.05) is 174.57193097036574.
//! let buckets = go_math::log(5001.000000000005) / go_math::log(1.05);
//! assert_eq!(buckets, 174.57193097036574);
//! assert_eq!(go_math::exp2(-0.5), 0.7071067811865475); // one ulp below 1/sqrt(2)
//! assert_eq!(go_math::pow_int(1.05, -2), 1.0 / (1.05 * 1.05));
//! ```

// Go's constants are kept digit for digit as written in its source (each rounds to the
// intended double, shown in hex), hence `excessive_precision` allowances below.

/// `Ln2Hi` of `log.go` and `exp.go`: the high part of ln 2 (`0x3fe62e42fee00000`).
#[allow(clippy::excessive_precision)]
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
/// `Ln2Lo`: the low part of ln 2 (`0x3dea39ef35793c76`).
#[allow(clippy::excessive_precision)]
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;

/// `shift`, `mask` and `bias` of Go's `bits.go`: the layout of a binary64.
const SHIFT: u32 = 52;
const MASK: u64 = 0x7ff;
const BIAS: i64 = 1023;

/// Go's `normalize`: a subnormal `x` scaled into the normal range, with the power of two taken
/// out.
///
/// This and the functions of `Pow` below are `const fn` so that the default histograms' bucket
/// starts can be tabulated at compile time with exactly the run-time algorithm.
const fn normalize(x: f64) -> (f64, i64) {
    // 2**-1022, `SmallestNormal` of bits.go.
    const SMALLEST_NORMAL: f64 = 2.225_073_858_507_201_4e-308;
    if x.abs() < SMALLEST_NORMAL {
        // (1 << 52) as a float: exact.
        return (x * 4_503_599_627_370_496.0, -52);
    }
    (x, 0)
}

/// The biased exponent field of a binary64, as an integer in `0..=2047`.
const fn exponent_field(bits: u64) -> i64 {
    // Masked to 11 bits: the cast is lossless.
    ((bits >> SHIFT) & MASK) as i64
}

/// Splits `f` into a fraction in `[0.5, 1)` (with `f`'s sign) and a power of two, so that
/// `f == frac * 2^exp` [math.Frexp].
///
/// Zero, infinities and NaN come back unchanged with exponent 0.
///
/// ```
/// use podscale::vpa::go_math::frexp;
/// assert_eq!(frexp(8.0), (0.5, 4));
/// assert_eq!(frexp(-0.75), (-0.75, 0));
/// assert_eq!(frexp(0.0), (0.0, 0));
/// ```
pub const fn frexp(f: f64) -> (f64, i64) {
    if f == 0.0 || f.is_infinite() || f.is_nan() {
        return (f, 0);
    }
    let (f, e) = normalize(f);
    let mut bits = f.to_bits();
    // The field is at most 2047 and e at least -52: no overflow.
    let exp = e
        .saturating_add(exponent_field(bits))
        .saturating_sub(BIAS)
        .saturating_add(1);
    bits &= !(MASK << SHIFT);
    // -1 + bias = 1022: the exponent field of [0.5, 1).
    bits |= 1022u64 << SHIFT;
    (f64::from_bits(bits), exp)
}

/// `frac * 2^exp`, with Go's rounding of subnormal results [math.Ldexp].
///
/// Zero, infinities and NaN come back unchanged; results too large are ±Inf, too small ±0.
/// Go's `exp` is an `int`; podscale saturates the exponent sum where Go's would wrap, which
/// only matters for exponents beyond ±2^62 (the result is ±0 or ±Inf either way).
///
/// ```
/// use podscale::vpa::go_math::ldexp;
/// assert_eq!(ldexp(0.5, 4), 8.0);
/// assert_eq!(ldexp(1.0, -1075), 0.0);
/// assert_eq!(ldexp(1.0, 1024), f64::INFINITY);
/// assert_eq!(ldexp(1.0, -1074), 5e-324);
/// ```
#[inline]
pub const fn ldexp(frac: f64, exp: i64) -> f64 {
    // Fast path (every decay factor takes it): a normal `frac` and a normal result. Go's code
    // below then just adds `exp` to the exponent field, and so does this. (Comparisons rather
    // than `RangeInclusive::contains` and `try_from`, which are not `const`.)
    let bits = frac.to_bits();
    let field = exponent_field(bits);
    if 1 <= field && field <= 2046 && -2046 <= exp && exp <= 2046 {
        let scaled = field.saturating_add(exp);
        if 1 <= scaled && scaled <= 2046 {
            // Positive here: its magnitude is itself.
            let scaled = scaled.unsigned_abs();
            return f64::from_bits((bits & !(MASK << SHIFT)) | (scaled << SHIFT));
        }
    }
    if frac == 0.0 || frac.is_infinite() || frac.is_nan() {
        return frac;
    }
    let (frac, e) = normalize(frac);
    let mut bits = frac.to_bits();
    let mut exp = exp
        .saturating_add(e)
        .saturating_add(exponent_field(bits))
        .saturating_sub(BIAS);
    if exp < -1075 {
        return 0.0_f64.copysign(frac);
    }
    if exp > 1023 {
        return if frac < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let mut m = 1.0;
    if exp < -1022 {
        // Denormal: build the normal number 2^53 times larger, and let one multiplication by
        // 2**-53 round it.
        exp = exp.saturating_add(53);
        m = 1.0 / 9_007_199_254_740_992.0;
    }
    bits &= !(MASK << SHIFT);
    // exp is in [-1022, 1023] here, so exp + bias is in [1, 2046]: positive, its magnitude is
    // itself.
    let field = exp.saturating_add(BIAS).unsigned_abs();
    bits |= field << SHIFT;
    m * f64::from_bits(bits)
}

/// The natural logarithm, bit for bit as Go computes it on amd64 [math.archLog].
///
/// On amd64 Go's `math.Log` is the assembly routine `log_amd64.s`. It performs the operations
/// of the pure-Go `log` in the same order, with two differences that this port keeps: the
/// fraction and exponent are taken straight from the bits, without normalising subnormals
/// first (so `Log(5e-324)` is `-709.0895657128241` on amd64, not `-744.44…`), and the
/// reduction doubles the fraction when it is `<=` (not `<`) `Sqrt2/2`.
///
/// `log(+Inf) = +Inf`, `log(±0) = -Inf`, `log(x < 0) = NaN`, `log(NaN) = NaN`.
///
/// ```
/// use podscale::vpa::go_math::log;
/// assert_eq!(log(1.0), 0.0);
/// assert_eq!(log(1.05), 0.04879016416943205);
/// assert_eq!(log(5e-324), -709.0895657128241); // amd64's answer
/// assert!(log(-1.0).is_nan());
/// assert_eq!(log(0.0), f64::NEG_INFINITY);
/// ```
#[inline]
#[allow(clippy::excessive_precision)]
pub const fn log(x: f64) -> f64 {
    const L1: f64 = 6.666_666_666_666_735_130e-01; // 3FE55555 55555593
    const L2: f64 = 3.999_999_999_940_941_908e-01; // 3FD99999 9997FA04
    const L3: f64 = 2.857_142_874_366_239_149e-01; // 3FD24924 94229359
    const L4: f64 = 2.222_219_843_214_978_396e-01; // 3FCC71C5 1D8E78AF
    const L5: f64 = 1.818_357_216_161_805_012e-01; // 3FC74664 96CB03DE
    const L6: f64 = 1.531_383_769_920_937_332e-01; // 3FC39A09 D078C69F
    const L7: f64 = 1.479_819_860_511_658_591e-01; // 3FC2F112 DF3E5244
    // 0x3FE0000000000000: the exponent field of [0.5, 1).
    const HALF_BITS: u64 = 0x3fe0_0000_0000_0000;

    // Special cases, tested on the bits as the assembly does.
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_sign_negative() {
        return f64::NAN;
    }
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }

    // f1, ki := Frexp(x), from the bits: the mantissa with the exponent of 0.5, and the biased
    // exponent minus 0x3FE (subnormals are not normalised first).
    let bits = x.to_bits();
    let mut f1 = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | HALF_BITS);
    // At most 2047 - 1022: exact.
    let mut k = exponent_field(bits).saturating_sub(0x3fe) as f64;
    // if f1 <= Sqrt2/2 { k--; f1 *= 2 } (CMPSD "not less than" with the constant on the left).
    if f1 <= core::f64::consts::FRAC_1_SQRT_2 {
        k -= 1.0;
        f1 *= 2.0;
    }
    let f = f1 - 1.0;

    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    let t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// `2^x`, bit for bit as Go computes it on amd64 (the pure-Go `exp2`) [math.Exp2].
///
/// `exp2(+Inf) = +Inf`, `exp2(-Inf) = 0`, `exp2(NaN) = NaN`; above `1023.9999999999999` the
/// result is `+Inf`, below `-1074` it is 0.
///
/// ```
/// use podscale::vpa::go_math::exp2;
/// assert_eq!(exp2(10.0), 1024.0);
/// assert_eq!(exp2(-1.0), 0.5);
/// assert_eq!(exp2(1024.0), f64::INFINITY);
/// assert_eq!(exp2(-1075.0), 0.0);
/// ```
#[inline]
pub fn exp2(x: f64) -> f64 {
    const OVERFLOW: f64 = 1.023_999_999_999_999_9e+03;
    const UNDERFLOW: f64 = -1.0740e+03;

    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == f64::NEG_INFINITY {
        return 0.0;
    }
    if x > OVERFLOW {
        return f64::INFINITY;
    }
    if x < UNDERFLOW {
        return 0.0;
    }

    // Argument reduction: x = k + t with |t| <= 1/2, k rounded half away from zero.
    let k: i64 = if x > 0.0 {
        trunc_to_i64(x + 0.5)
    } else if x < 0.0 {
        trunc_to_i64(x - 0.5)
    } else {
        0
    };
    // |k| <= 1075: exact.
    let t = x - k as f64;
    let hi = t * LN2_HI;
    let lo = -t * LN2_LO;
    expmulti(hi, lo, k)
}

/// `e^r * 2^k` where `r = hi - lo` and `|r| <= ln(2)/2` [math.expmulti].
#[inline]
#[allow(clippy::excessive_precision)]
fn expmulti(hi: f64, lo: f64, k: i64) -> f64 {
    const P1: f64 = 1.666_666_666_666_666_574_15e-01; // 0x3FC55555; 0x55555555
    const P2: f64 = -2.777_777_777_701_559_338_42e-03; // 0xBF66C16C; 0x16BEBD93
    const P3: f64 = 6.613_756_321_437_934_361_17e-05; // 0x3F11566A; 0xAF25DE2C
    const P4: f64 = -1.653_390_220_546_525_153_90e-06; // 0xBEBBBD41; 0xC5D26BF1
    const P5: f64 = 4.138_136_797_057_238_460_39e-08; // 0x3E663769; 0x72BEA4D0

    let r = hi - lo;
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    ldexp(y, k)
}

/// Go's `isOddInt` for an integral float: odd and below 2^53 in magnitude.
const fn is_odd_int(y: f64) -> bool {
    // 2^53: above it every binary64 is even.
    if y.abs() >= 9_007_199_254_740_992.0 {
        return false;
    }
    trunc_to_i64(y) & 1 == 1
}

/// `x^n`, bit for bit as Go's `math.Pow(x, float64(n))` computes it [math.Pow].
///
/// This is the algorithm of Go 1.26's `pow.go` (checked against Go 1.26.8; the "int8 fast path"
/// found in some golang/go snapshots is not in it): the special cases first, then
/// square-and-multiply on `Frexp` mantissas, least significant bit first, with the powers of
/// two kept apart until one final [`ldexp`]. For a negative `n`
/// the reciprocal is taken before that final scaling. Only integer exponents are ported: the
/// VPA never uses others (bucket starts, and confidence multipliers with exponents 1 and -2),
/// and Go's fractional path goes through an amd64 assembly `Exp` that is not reproduced here.
///
/// ```
/// use podscale::vpa::go_math::pow_int;
/// assert_eq!(pow_int(2.0, 10), 1024.0);
/// assert_eq!(pow_int(3.0, 0), 1.0);
/// assert_eq!(pow_int(f64::INFINITY, -2), 0.0);
/// assert_eq!(pow_int(0.0, -1), f64::INFINITY);
/// assert_eq!(pow_int(-0.0, -1), f64::NEG_INFINITY);
/// ```
pub const fn pow_int(x: f64, n: i64) -> f64 {
    // float64(n): rounds to nearest, as Go's conversion does on amd64.
    let y = n as f64;
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if y == 1.0 {
        return x;
    }
    if x.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        let odd_negative_zero = x.is_sign_negative() && is_odd_int(y);
        return if y < 0.0 {
            if odd_negative_zero {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        } else if odd_negative_zero {
            x
        } else {
            0.0
        };
    }
    if x.is_infinite() {
        if x == f64::NEG_INFINITY {
            // Pow(-Inf, y) = Pow(-0, -y). n = i64::MIN negates to 2^63, which is even, as is
            // i64::MIN itself: the saturated i64::MAX is odd, so special-case it.
            let negated = if n == i64::MIN {
                return if y < 0.0 { 0.0 } else { f64::INFINITY };
            } else {
                n.saturating_neg()
            };
            return pow_int(1.0 / x, negated);
        }
        return if y < 0.0 { 0.0 } else { f64::INFINITY };
    }

    // y is integral: Modf(Abs(y)) has no fractional part, so there is no NaN for x < 0.
    let yi = y.abs();
    // 1 << 63
    if yi >= 9_223_372_036_854_775_808.0 {
        // A huge even exponent: overflow or underflow for every x but -1.
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }

    // ans = a1 * 2^ae
    let mut a1 = 1.0;
    let mut ae: i64 = 0;
    let (mut x1, mut xe) = frexp(x);
    // yi < 2^63: exact.
    let mut i = trunc_to_i64(yi);
    while i != 0 {
        if xe < -(1 << 12) || xe > (1 << 12) {
            // xe would overflow the shift below; the final Ldexp under- or overflows anyway.
            ae = ae.saturating_add(xe);
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae = ae.saturating_add(xe);
        }
        x1 *= x1;
        xe = xe.saturating_mul(2);
        if x1 < 0.5 {
            x1 += x1;
            xe = xe.saturating_sub(1);
        }
        i >>= 1;
    }

    // ans = a1 * 2^ae; for y < 0, 1/ans, computed in the opposite order.
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = ae.saturating_neg();
    }
    ldexp(a1, ae)
}

/// Go's `round` of the VPA's histogram package: `int(math.Floor(x + 0.5))`, halves up.
///
/// Saturates where Go's conversion is implementation-defined (see [`trunc_to_i64`]).
///
/// ```
/// use podscale::vpa::go_math::round;
/// assert_eq!(round(2.5), 3);
/// assert_eq!(round(-2.5), -2);
/// assert_eq!(round(-106751.99116730063), -106752);
/// ```
pub fn round(x: f64) -> i64 {
    trunc_to_i64(libm::floor(x + 0.5))
}

/// Go's `int64(x)` (and `int(x)`): truncation toward zero.
///
/// Go leaves NaN and out-of-range values implementation-defined (on amd64 they become
/// `math.MinInt64`, on arm64 they saturate, with NaN as 0). podscale saturates (`+Inf` and
/// values above the range give `i64::MAX`, `-Inf` and values below give `i64::MIN`) and maps NaN
/// to 0, so no input gives a nonsensical sign. Upstream never converts such values where the
/// result reaches an output (spec section 6.4).
///
/// ```
/// use podscale::vpa::go_math::trunc_to_i64;
/// assert_eq!(trunc_to_i64(-1.9), -1);
/// assert_eq!(trunc_to_i64(1e300), i64::MAX);
/// assert_eq!(trunc_to_i64(f64::NAN), 0);
/// ```
pub const fn trunc_to_i64(x: f64) -> i64 {
    // `as` saturates and maps NaN to 0: exactly the documented rule.
    x as i64
}

/// Go's `uint32(int)` of a checkpoint weight, saturating where Go would wrap.
///
/// Checkpoint weights are at most 10000 (`MaxCheckpointWeight`), so Go never wraps; negative
/// values (which Go would wrap to huge weights) become 0 here.
///
/// ```
/// use podscale::vpa::go_math::saturate_to_u32;
/// assert_eq!(saturate_to_u32(10_000), 10_000);
/// assert_eq!(saturate_to_u32(-1), 0);
/// assert_eq!(saturate_to_u32(1 << 40), u32::MAX);
/// ```
pub fn saturate_to_u32(x: i64) -> u32 {
    u32::try_from(x).unwrap_or(if x < 0 { 0 } else { u32::MAX })
}

#[cfg(test)]
mod tests {
    // Go's printed results are compared digit for digit, even where they are one ulp away from
    // a well-known constant.
    #![allow(clippy::arithmetic_side_effects, clippy::approx_constant)]

    use super::*;

    /// The int8 fast path of a newer `pow.go` (spec section 1.5), to show where it differs.
    fn pow_int8_fast_path(x: f64, n: u8) -> f64 {
        let mut r = 1.0;
        let mut n = n;
        while n > 1 {
            let mut tmp = x;
            let mut c: u8 = 1;
            while c <= n / 2 {
                tmp *= tmp;
                c *= 2;
            }
            n -= c;
            r *= tmp;
        }
        for _ in 0..n {
            r *= x;
        }
        r
    }

    #[test]
    fn log_matches_go() {
        // Values printed by Go 1.26.8 on linux/amd64.
        assert_eq!(log(2.0), core::f64::consts::LN_2);
        assert_eq!(log(10.0), 2.302_585_092_994_046);
        assert_eq!(log(1.05), 0.048_790_164_169_432_05);
        assert_eq!(log(5001.000000000005), 8.517_393_171_418_904);
        assert_eq!(log(f64::INFINITY), f64::INFINITY);
        assert!(log(f64::NAN).is_nan());
        assert_eq!(log(5e-324), -709.089_565_712_824_1);
        assert_eq!(log(0.01), -4.605_170_185_988_092);
        // Fractions exactly at Sqrt2/2 take the doubling branch, as in log_amd64.s.
        assert_eq!(log(0.707_106_781_186_547_6), -0.346_573_590_279_972_6);
        assert_eq!(log(1.414_213_562_373_095_1), 0.346_573_590_279_972_7);
        assert_eq!(log(2.828_427_124_746_190_3), 1.039_720_770_839_918);
        assert_eq!(
            log(f64::from_bits(0x0006_a09e_667f_3bcd)),
            -708.742_992_122_544
        );
        assert_eq!(log(1e12), 27.631_021_115_928_547);
        // The spec's bucket-count quotient (section 2.3).
        assert_eq!(log(5001.000000000005) / log(1.05), 174.571_930_970_365_74);
    }

    #[test]
    fn exp2_matches_go() {
        assert_eq!(exp2(0.0), 1.0);
        assert_eq!(exp2(0.5), 1.414_213_562_373_095);
        assert_eq!(exp2(-0.5), 0.707_106_781_186_547_5);
        assert_eq!(exp2(0.333_333_333_333_333_3), 1.259_921_049_894_873_2);
        assert_eq!(exp2(-106_752.0), 0.0);
        assert_eq!(exp2(-100.0), 7.888_609_052_210_118e-31);
        assert_eq!(exp2(100.0), 1.267_650_600_228_229_4e30);
        assert_eq!(exp2(-1074.0), 5e-324);
        assert_eq!(exp2(1023.0), 8.988_465_674_311_58e307);
        assert_eq!(exp2(f64::NEG_INFINITY), 0.0);
        assert!(exp2(f64::NAN).is_nan());
    }

    #[test]
    fn frexp_and_ldexp_handle_subnormals() {
        assert_eq!(frexp(5e-324), (0.5, -1073));
        assert_eq!(ldexp(0.5, -1073), 5e-324);
        assert_eq!(ldexp(0.75, -1074), 5e-324); // 0.75 * 2^-1074 rounds to the nearest even
        assert_eq!(ldexp(-1.0, 5000), f64::NEG_INFINITY);
        assert_eq!(ldexp(-1.0, -5000), -0.0);
        assert!(ldexp(-1.0, -5000).is_sign_negative());
        assert_eq!(ldexp(1.0, i64::MIN), 0.0);
        assert_eq!(ldexp(1.0, i64::MAX), f64::INFINITY);
    }

    #[test]
    fn pow_special_cases() {
        assert_eq!(pow_int(f64::NAN, 0), 1.0);
        assert!(pow_int(f64::NAN, 2).is_nan());
        assert_eq!(pow_int(-0.0, 3).to_bits(), (-0.0f64).to_bits());
        assert_eq!(pow_int(-0.0, 2).to_bits(), 0.0f64.to_bits());
        assert_eq!(pow_int(f64::NEG_INFINITY, 3), f64::NEG_INFINITY);
        assert_eq!(pow_int(f64::NEG_INFINITY, 2), f64::INFINITY);
        assert_eq!(
            pow_int(f64::NEG_INFINITY, -3).to_bits(),
            (-0.0f64).to_bits()
        );
        assert_eq!(pow_int(f64::NEG_INFINITY, i64::MIN), 0.0);
        assert_eq!(pow_int(-1.0, i64::MIN), 1.0);
        assert_eq!(pow_int(0.5, i64::MIN), f64::INFINITY);
        assert_eq!(pow_int(2.0, i64::MIN), 0.0);
        assert_eq!(pow_int(2.0, 1100), f64::INFINITY);
        assert_eq!(pow_int(2.0, -1074), 5e-324);
        assert_eq!(pow_int(-2.0, 3), -8.0);
        assert_eq!(pow_int(1e300, i64::MAX - 1), f64::INFINITY);
    }

    #[test]
    fn pow_matches_go() {
        assert_eq!(pow_int(1.05, 175), 5_106.547_044_524_304_5);
    }

    #[test]
    fn pow_confidence_exponents() {
        // Pow(x, 1) = x and Pow(x, -2) = 1/(x*x), exactly (spec section 1.5).
        for x in [1.001, 1.5, 3.0, 1.000_041_666_666_666_7, 0.1] {
            assert_eq!(pow_int(x, 1).to_bits(), x.to_bits());
            assert_eq!(pow_int(x, -2).to_bits(), (1.0 / (x * x)).to_bits());
        }
    }

    #[test]
    fn classic_pow_is_plain_square_and_multiply_for_vpa_ratios() {
        // Spec section 1.5: on normal results the Frexp form equals plain LSB-first
        // square-and-multiply on doubles.
        for n in 0..200i64 {
            let (mut acc, mut sq, mut bits) = (1.0f64, 1.05f64, n);
            while bits != 0 {
                if bits & 1 == 1 {
                    acc *= sq;
                }
                sq *= sq;
                bits >>= 1;
            }
            assert_eq!(pow_int(1.05, n).to_bits(), acc.to_bits(), "1.05^{n}");
        }
    }

    #[test]
    fn int8_fast_path_differs_in_bits_but_not_in_vpa_integers() {
        // Spec section 11.1: the variants disagree in the last bits for some powers of 1.05,
        // never in the truncated millicores or bytes of a default bucket start.
        let mut differing = 0;
        for n in 1..=127u8 {
            let classic = pow_int(1.05, i64::from(n));
            let fast = pow_int8_fast_path(1.05, n);
            if classic.to_bits() != fast.to_bits() {
                differing += 1;
            }
            let start = |p: f64| 0.01 * (p - 1.0) / (1.05 - 1.0);
            assert_eq!(
                trunc_to_i64(start(classic) * 1000.0),
                trunc_to_i64(start(fast) * 1000.0)
            );
        }
        assert!(differing > 0);
    }

    #[test]
    fn round_and_truncation() {
        assert_eq!(round(f64::NAN), 0);
        assert_eq!(round(f64::NEG_INFINITY), i64::MIN);
        assert_eq!(trunc_to_i64(-0.0), 0);
        assert_eq!(trunc_to_i64(9.3e18), i64::MAX);
    }
}
