//! The estimators the pod recommender chains: a percentile of a histogram, a safety margin, a
//! confidence multiplier and a minimum [logic/estimator.go].
//!
//! Each step truncates to an integer amount, so the order of the steps matters and is
//! upstream's: percentile, then margin, then (for the bounds) the confidence multiplier, then
//! the per-container minimum.

use super::aggregate_state::AggregateContainerState;
use super::resources::{cpu_amount_from_cores, memory_amount_from_bytes, scale_resource};
use super::sample_histogram::SampleHistogram;
use crate::vpa::go_math::pow_int;
use crate::vpa::go_time::sub_ns;

/// The upper bound's confidence multiplier and exponent: `x * (1 + 1/confidence)`, so ×2 after
/// a day of history and ×∞ (capped) without any [CreatePodResourceRecommender].
pub const UPPER_BOUND_CONFIDENCE: (f64, i64) = (1.0, 1);

/// The lower bound's confidence multiplier and exponent: `x * (1 + 0.001/confidence)^-2`, ≈×0.6
/// after 5 minutes of history, ≈×0.95 after an hour, ×0 without any
/// [CreatePodResourceRecommender].
pub const LOWER_BOUND_CONFIDENCE: (f64, i64) = (0.001, -2);

/// Go's `math.Min`: NaN and -Inf win, and `-0` is below `+0` [math.Min].
fn go_min(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && x == y {
        if x.is_sign_negative() { x } else { y }
    } else if x < y {
        x
    } else {
        y
    }
}

/// Go's `Duration.Minutes()` of a nanosecond duration: whole minutes plus the fraction.
fn minutes(ns: i64) -> f64 {
    const MINUTE_NS: i64 = 60_000_000_000;
    let whole = ns.checked_div(MINUTE_NS).unwrap_or(0);
    let rest = ns.checked_rem(MINUTE_NS).unwrap_or(0);
    whole as f64 + rest as f64 / 6e10
}

/// How much history backs an aggregate, in units of `confidence_interval_ms` (a day by
/// default) [getConfidence].
///
/// The smaller of the time between the first and last CPU sample, and the CPU sample count at
/// one sample a minute: about N for N days of steady per-minute samples, 0 without samples or
/// with one.
///
/// ```
/// use podscale::vpa::{confidence, AggregateContainerState, AggregationConfig};
/// let mut a = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
/// for k in 0..9 {
///     a.add_cpu_sample(k * 120_000, 1000)?; // every two minutes
/// }
/// assert_eq!(confidence(&a, 86_400_000), 0.00625); // 9 samples / 1440 minutes
/// # Ok::<(), podscale::vpa::HistogramError>(())
/// ```
pub fn confidence<H: SampleHistogram>(
    aggregate: &AggregateContainerState<H>,
    confidence_interval_ms: i64,
) -> f64 {
    let interval_ns = sub_ns(confidence_interval_ms, 0);
    let lifespan = sub_ns(
        aggregate.last_sample_start_ms,
        aggregate.first_sample_start_ms,
    ) as f64
        / interval_ns as f64;
    let samples = aggregate.total_samples_count as f64 / minutes(interval_ns);
    go_min(lifespan, samples)
}

/// Millicores at a percentile of the CPU usage histogram, truncated [percentileCPUEstimator].
pub fn cpu_percentile<H: SampleHistogram>(
    aggregate: &AggregateContainerState<H>,
    percentile: f64,
) -> i64 {
    cpu_amount_from_cores(aggregate.cpu_usage.percentile(percentile))
}

/// Bytes at a percentile of the memory peak histogram, truncated [percentileMemoryEstimator].
pub fn memory_percentile<H: SampleHistogram>(
    aggregate: &AggregateContainerState<H>,
    percentile: f64,
) -> i64 {
    memory_amount_from_bytes(aggregate.memory_peaks.percentile(percentile))
}

/// `base + trunc(base * fraction)` [cpuMarginEstimator, memoryMarginEstimator].
///
/// The sum is not clamped again (it cannot overflow: `base` is at most 1e14).
///
/// ```
/// use podscale::vpa::with_margin;
/// assert_eq!(with_margin(3140, 0.1), 3454);
/// assert_eq!(with_margin(511, 0.15), 587);
/// ```
pub fn with_margin(base: i64, fraction: f64) -> i64 {
    base.saturating_add(scale_resource(base, fraction))
}

/// `trunc(base * (1 + multiplier/confidence)^exponent)`, clamped to `[0, 1e14]`
/// [cpuConfidenceMultiplier, memoryConfidenceMultiplier].
///
/// The power is Go's `math.Pow` with an integer exponent. With no confidence the factor is
/// infinite (an upper bound clamps to 1e14) or zero (a lower bound falls to the pod minimum).
/// A zero base with an infinite factor is NaN in Go, which becomes 0 here (Go's conversion is
/// platform-defined); the pod minimum replaces it either way.
///
/// ```
/// use podscale::vpa::{with_confidence_multiplier, LOWER_BOUND_CONFIDENCE, UPPER_BOUND_CONFIDENCE};
/// let (m, e) = UPPER_BOUND_CONFIDENCE;
/// assert_eq!(with_confidence_multiplier(1000, m, e, 1.0), 2000); // a day of history
/// assert_eq!(with_confidence_multiplier(1000, m, e, 0.0), 100_000_000_000_000);
/// let (m, e) = LOWER_BOUND_CONFIDENCE;
/// assert_eq!(with_confidence_multiplier(1000, m, e, 1.0 / 24.0), 953); // an hour
/// assert_eq!(with_confidence_multiplier(1000, m, e, 0.0), 0);
/// ```
pub fn with_confidence_multiplier(
    base: i64,
    multiplier: f64,
    exponent: i64,
    confidence: f64,
) -> i64 {
    scale_resource(base, pow_int(1.0 + multiplier / confidence, exponent))
}

/// At least `min`: `max(base, min)` [cpuMinResourceEstimator, memoryMinResourceEstimator].
///
/// ```
/// use podscale::vpa::with_min_resource;
/// assert_eq!(with_min_resource(1, 25), 25);
/// ```
pub const fn with_min_resource(base: i64, min: i64) -> i64 {
    if base > min { base } else { min }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_min_special_cases() {
        assert!(go_min(f64::NAN, 1.0).is_nan());
        assert!(go_min(1.0, f64::NAN).is_nan());
        assert_eq!(go_min(f64::NAN, f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert!(go_min(0.0, -0.0).is_sign_negative());
        assert!(go_min(-0.0, 0.0).is_sign_negative());
        assert_eq!(go_min(2.0, 1.0), 1.0);
    }

    #[test]
    fn minutes_like_go() {
        assert_eq!(minutes(86_400_000_000_000), 1440.0);
        assert_eq!(minutes(90_000_000_000), 1.5);
        assert_eq!(minutes(0), 0.0);
    }

    #[test]
    fn multiplier_table() {
        let (m, e) = UPPER_BOUND_CONFIDENCE;
        assert_eq!(with_confidence_multiplier(1000, m, e, 0.5), 3000);
        assert_eq!(with_confidence_multiplier(1000, m, e, 7.0), 1142);
        assert_eq!(with_confidence_multiplier(0, m, e, 0.0), 0);
        let (m, e) = LOWER_BOUND_CONFIDENCE;
        assert_eq!(
            with_confidence_multiplier(1000, m, e, 0.003472222222222222),
            602
        );
        assert_eq!(
            with_confidence_multiplier(1000, m, e, 0.020833333333333332),
            910
        );
        // NaN confidence (a zero interval) gives 0, never a panic.
        assert_eq!(with_confidence_multiplier(1000, m, e, f64::NAN), 0);
    }
}
