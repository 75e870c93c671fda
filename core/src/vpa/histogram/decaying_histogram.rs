//! A histogram whose samples lose half their weight every half-life [decaying_histogram.go].

use super::checkpoint::HistogramCheckpoint;
use super::error::HistogramError;
use super::go_math::{exp2, ldexp, round};
use super::go_time::{self, GO_ZERO_TIME_MS, sub_ns};
use super::histogram::{Histogram, check_sample};
use super::options::{HistogramOptions, VPA_NUM_BUCKETS};

/// `DefaultCPUHistogramDecayHalfLife` and `DefaultMemoryHistogramDecayHalfLife`: 24 hours, in
/// milliseconds (flags `--cpu-histogram-decay-half-life`, `--memory-histogram-decay-half-life`).
pub const VPA_DEFAULT_HALF_LIFE_MS: i64 = 86_400_000;

/// `maxDecayExponent`: once a sample would weigh more than `2^100`, the reference moves forward.
pub const MAX_DECAY_EXPONENT: i64 = 100;

/// The longest half-life accepted, in milliseconds (about 1067 days): beyond it, `halfLife *
/// maxDecayExponent` overflows Go's `time.Duration` (and wraps upstream).
pub const MAX_HALF_LIFE_MS: i64 = i64::MAX / MAX_DECAY_EXPONENT / NS_PER_MS;

const NS_PER_MS: i64 = 1_000_000;

/// A [`Histogram`] in which a sample added at time `t` weighs `weight * 2^((t - reference) /
/// half_life)`: newer samples count more, and a sample's importance halves with each half-life
/// [decayingHistogram].
///
/// Only relative weights matter, so the reference can move at any time by scaling every weight
/// by a power of two; upstream moves it forward (to a multiple of the half-life, counted from
/// Go's zero time) whenever a sample is more than 100 half-lives after it. The reference starts
/// at Go's zero time, so the first sample always moves it (and zeroes the histogram, which is
/// empty anyway).
///
/// Times are Unix milliseconds; [`GO_ZERO_TIME_MS`] is Go's zero `time.Time`. Durations follow
/// Go's saturating `time.Duration` arithmetic. `DecayingHistogram<176>` is 1,512 bytes on 64-bit
/// targets.
///
/// ```
/// use podscale::vpa::{DecayingHistogram, HistogramOptions, VPA_DEFAULT_HALF_LIFE_MS};
/// let mut cpu: DecayingHistogram =
///     DecayingHistogram::new(HistogramOptions::vpa_cpu(), VPA_DEFAULT_HALF_LIFE_MS)?;
/// let t = 1_700_000_000_000; // 2023-11-14T22:13:20Z
/// cpu.add_sample(0.5, 0.1, t)?;
/// assert_eq!(cpu.reference_ms(), 1_700_006_400_000); // the nearest UTC midnight
/// cpu.add_sample(1.0, 0.1, t + 2 * VPA_DEFAULT_HALF_LIFE_MS)?; // weighs 4 times as much
/// assert_eq!(cpu.percentile(0.5), 1.0162813885540904); // the end of bucket 36
/// # Ok::<(), podscale::vpa::HistogramError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "DecayingRepr<N>", into = "DecayingRepr<N>")
)]
pub struct DecayingHistogram<const N: usize = VPA_NUM_BUCKETS> {
    histogram: Histogram<N>,
    half_life_ms: i64,
    /// Always a multiple of the half-life from the zero time, unless loaded from a checkpoint.
    reference_ms: i64,
}

/// A move of the reference: the new reference and the power of two that rescales the weights.
#[derive(Clone, Copy)]
struct Shift {
    reference_ms: i64,
    factor: f64,
}

impl DecayingHistogram<VPA_NUM_BUCKETS> {
    /// An empty CPU histogram as the recommender creates it: [`HistogramOptions::vpa_cpu`] and
    /// a 24-hour half-life.
    ///
    /// ```
    /// use podscale::vpa::DecayingHistogram;
    /// let mut cpu = DecayingHistogram::vpa_cpu();
    /// cpu.add_sample(0.25, 0.1, 1_700_000_000_000)?;
    /// assert_eq!(cpu.percentile(0.9), 0.2584036635602064);
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    pub const fn vpa_cpu() -> Self {
        Self {
            histogram: Histogram::vpa_cpu(),
            half_life_ms: VPA_DEFAULT_HALF_LIFE_MS,
            reference_ms: GO_ZERO_TIME_MS,
        }
    }

    /// An empty memory histogram as the recommender creates it: [`HistogramOptions::vpa_memory`]
    /// and a 24-hour half-life.
    pub const fn vpa_memory() -> Self {
        Self {
            histogram: Histogram::vpa_memory(),
            half_life_ms: VPA_DEFAULT_HALF_LIFE_MS,
            reference_ms: GO_ZERO_TIME_MS,
        }
    }
}

impl<const N: usize> DecayingHistogram<N> {
    /// An empty decaying histogram whose reference is Go's zero time [NewDecayingHistogram].
    ///
    /// ```
    /// use podscale::vpa::{DecayingHistogram, HistogramError, HistogramOptions, GO_ZERO_TIME_MS};
    /// let h: DecayingHistogram = DecayingHistogram::new(HistogramOptions::vpa_memory(), 3_600_000)?;
    /// assert_eq!(h.reference_ms(), GO_ZERO_TIME_MS);
    /// assert!(DecayingHistogram::<176>::new(HistogramOptions::vpa_memory(), 0).is_err());
    /// # Ok::<(), HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HistogramError::InvalidHalfLife`] unless `0 < half_life_ms <=` [`MAX_HALF_LIFE_MS`];
    /// [`HistogramError::TooManyBuckets`] when the options have more than `N` buckets.
    pub const fn new(options: HistogramOptions, half_life_ms: i64) -> Result<Self, HistogramError> {
        if half_life_ms <= 0 || half_life_ms > MAX_HALF_LIFE_MS {
            return Err(HistogramError::InvalidHalfLife {
                value_ms: half_life_ms,
            });
        }
        match Histogram::new(options) {
            Ok(histogram) => Ok(Self {
                histogram,
                half_life_ms,
                reference_ms: GO_ZERO_TIME_MS,
            }),
            Err(e) => Err(e),
        }
    }

    /// The decayed weights, as a plain histogram.
    pub const fn histogram(&self) -> &Histogram<N> {
        &self.histogram
    }

    /// The bucketing.
    pub const fn options(&self) -> &HistogramOptions {
        self.histogram.options()
    }

    /// The half-life, in milliseconds.
    pub const fn half_life_ms(&self) -> i64 {
        self.half_life_ms
    }

    /// The reference timestamp, Unix milliseconds ([`GO_ZERO_TIME_MS`] until the first sample).
    pub const fn reference_ms(&self) -> i64 {
        self.reference_ms
    }

    /// Whether every bucket is below epsilon [decayingHistogram.IsEmpty].
    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    /// The end of the bucket holding the `percentile` quantile of the decayed weights
    /// [decayingHistogram.Percentile]; see [`Histogram::percentile`].
    pub fn percentile(&self, percentile: f64) -> f64 {
        self.histogram.percentile(percentile)
    }

    /// Adds a sample taken at `t_ms` with `weight` times its decay factor
    /// [decayingHistogram.AddSample]. The reference moves first if `t_ms` is more than 100
    /// half-lives after it.
    ///
    /// ```
    /// use podscale::vpa::{DecayingHistogram, HistogramOptions};
    /// let mut h: DecayingHistogram = DecayingHistogram::new(HistogramOptions::linear(10.0, 1.0, 1e-15)?, 3_600_000)?;
    /// h.add_sample(2.0, 1000.0, 1_234_567_890_000)?;
    /// h.add_sample(1.0, 1.0, 1_234_639_890_000)?; // 20 hours later: weighs 2^20 times more
    /// assert_eq!(h.percentile(0.999), 2.0);
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Histogram::add_sample`]; [`HistogramError::WeightOverflow`] also when the decayed
    /// weight itself is not finite. Nothing changes on error.
    pub fn add_sample(&mut self, value: f64, weight: f64, t_ms: i64) -> Result<(), HistogramError> {
        self.add_samples(value, weight, t_ms, 1)
    }

    /// [`Self::add_sample`] `count` times over, as for `count` containers measured alike: the
    /// bucket and the decayed weight are found once (the reference moves at most at the first
    /// add, so the later ones would find the same), then added one at a time, so the weights
    /// come out bit for bit as from `count` separate calls.
    ///
    /// # Errors
    ///
    /// As [`Self::add_sample`]; the adds before the refused one stay.
    pub(crate) fn add_samples(
        &mut self,
        value: f64,
        weight: f64,
        t_ms: i64,
        count: u32,
    ) -> Result<(), HistogramError> {
        let Some(more) = count.checked_sub(1) else {
            return Ok(());
        };
        let (bucket, decayed) = self.decay(value, weight, t_ms, true)?;
        self.histogram.add_to(bucket, decayed);
        // Positive weights only grow the sums: when twice all the rest fits, every partial sum
        // does, and the checks can be skipped.
        let rest = decayed * f64::from(more);
        if self.histogram.can_add(bucket, rest + rest, 1.0) {
            self.histogram.add_to_times(bucket, decayed, more);
            return Ok(());
        }
        for _ in 0..more {
            if !self.histogram.can_add(bucket, decayed, 1.0) {
                return Err(HistogramError::WeightOverflow { weight: decayed });
            }
            self.histogram.add_to(bucket, decayed);
        }
        Ok(())
    }

    /// Removes a sample taken at `t_ms` with `weight` times its decay factor
    /// [decayingHistogram.SubtractSample]. The reference moves first if `t_ms` is more than 100
    /// half-lives after it.
    ///
    /// ```
    /// use podscale::vpa::{DecayingHistogram, HistogramOptions};
    /// let mut h: DecayingHistogram = DecayingHistogram::new(HistogramOptions::vpa_memory(), 86_400_000)?;
    /// h.add_sample(5e8, 1.0, 1_700_086_400_000)?;
    /// h.subtract_sample(5e8, 1.0, 1_700_086_400_000)?;
    /// assert!(h.is_empty());
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Self::add_sample`].
    pub fn subtract_sample(
        &mut self,
        value: f64,
        weight: f64,
        t_ms: i64,
    ) -> Result<(), HistogramError> {
        let (bucket, decayed) = self.decay(value, weight, t_ms, false)?;
        self.histogram.subtract_from(bucket, decayed);
        Ok(())
    }

    /// Validates a sample (that it can be added, when `adding`), moves the reference if needed,
    /// and returns its bucket and decayed weight [decayingHistogram.decayFactor]. Everything is
    /// checked before anything changes.
    fn decay(
        &mut self,
        value: f64,
        weight: f64,
        t_ms: i64,
        adding: bool,
    ) -> Result<(usize, f64), HistogramError> {
        check_sample(value, weight)?;
        let bucket = self.options().find_bucket(value);
        // Max timestamp before the exponent grows too large.
        let max_allowed = self
            .reference_ms
            .saturating_add(self.half_life_ms.saturating_mul(MAX_DECAY_EXPONENT));
        let shift = (t_ms > max_allowed).then(|| self.shift_to(t_ms));
        let reference_ms = shift.map_or(self.reference_ms, |s| s.reference_ms);
        let factor = exp2(sub_ns(t_ms, reference_ms) as f64 / self.half_life_ns() as f64);
        let decayed = weight * factor;
        let scale = shift.map_or(1.0, |s| s.factor);
        let fits = !adding || self.histogram.can_add(bucket, decayed, scale);
        if !(decayed.is_finite() && fits) {
            return Err(HistogramError::WeightOverflow { weight: decayed });
        }
        if let Some(shift) = shift {
            self.apply(shift);
        }
        Ok((bucket, decayed))
    }

    /// The half-life as a Go `time.Duration`: at most `i64::MAX / 100` by construction.
    fn half_life_ns(&self) -> i64 {
        self.half_life_ms.saturating_mul(NS_PER_MS)
    }

    /// How the reference would move to `new_reference_ms` [decayingHistogram.shiftReferenceTimestamp]:
    /// it is rounded to a multiple of the half-life (from Go's zero time, halves up), and the
    /// weights scale by `2^round((old - new) / half_life)`.
    fn shift_to(&self, new_reference_ms: i64) -> Shift {
        let reference_ms = go_time::round(new_reference_ms, self.half_life_ms);
        let exponent =
            round(sub_ns(self.reference_ms, reference_ms) as f64 / self.half_life_ns() as f64);
        Shift {
            reference_ms,
            factor: ldexp(1.0, exponent),
        }
    }

    fn apply(&mut self, shift: Shift) {
        // Scale all weights by 2^exponent.
        self.histogram.scale(shift.factor);
        self.reference_ms = shift.reference_ms;
    }

    /// Adds every sample of `other` [decayingHistogram.Merge].
    ///
    /// As upstream, whichever of the two has the older reference is first moved to the other's
    /// (rounded to the half-life): if that is `other`, **`other` is modified**, which is why it
    /// is borrowed mutably. Then the plain merge runs.
    ///
    /// ```
    /// use podscale::vpa::{DecayingHistogram, HistogramOptions};
    /// let options = HistogramOptions::linear(10.0, 1.0, 1e-15)?;
    /// let mut a: DecayingHistogram = DecayingHistogram::new(options, 3_600_000)?;
    /// let mut b: DecayingHistogram = DecayingHistogram::new(options, 3_600_000)?;
    /// a.add_sample(1.0, 1.0, 1_234_567_890_000)?;
    /// b.add_sample(3.0, 1.0, 1_234_575_090_000)?;
    /// a.merge(&mut b)?;
    /// assert_eq!(a.reference_ms(), b.reference_ms());
    /// assert_eq!(a.percentile(1.0), 4.0);
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HistogramError::HalfLifeMismatch`] or [`HistogramError::OptionsMismatch`] (upstream
    /// panics), [`HistogramError::WeightOverflow`] when a weight would overflow; all before
    /// anything changes.
    pub fn merge(&mut self, other: &mut Self) -> Result<(), HistogramError> {
        if self.half_life_ms != other.half_life_ms {
            return Err(HistogramError::HalfLifeMismatch {
                this_ms: self.half_life_ms,
                other_ms: other.half_life_ms,
            });
        }
        if self.options() != other.options() {
            return Err(HistogramError::OptionsMismatch);
        }
        // Align the older reference with the younger one.
        let mine =
            (self.reference_ms < other.reference_ms).then(|| self.shift_to(other.reference_ms));
        let theirs =
            (other.reference_ms < self.reference_ms).then(|| other.shift_to(self.reference_ms));
        let factor = |shift: Option<Shift>| shift.map_or(1.0, |s| s.factor);
        if !self
            .histogram
            .can_merge(&other.histogram, factor(mine), factor(theirs))
        {
            return Err(HistogramError::WeightOverflow {
                weight: other.histogram.total_weight(),
            });
        }
        if let Some(shift) = mine {
            self.apply(shift);
        }
        if let Some(shift) = theirs {
            other.apply(shift);
        }
        self.histogram.merge_checked(&other.histogram);
        Ok(())
    }

    /// Upstream's test equality [decayingHistogram.Equals]: equal half-lives and references, and
    /// [`Histogram::upstream_equals`].
    pub fn upstream_equals(&self, other: &Self) -> bool {
        self.half_life_ms == other.half_life_ms
            && self.reference_ms == other.reference_ms
            && self.histogram.upstream_equals(&other.histogram)
    }

    /// The histogram as a checkpoint, with its reference timestamp
    /// [decayingHistogram.SaveToChekpoint]; see [`Histogram::save_checkpoint`].
    pub fn save_checkpoint(&self) -> HistogramCheckpoint<N> {
        let mut checkpoint = self.histogram.save_checkpoint();
        checkpoint.reference_ms = self.reference_ms;
        checkpoint
    }

    /// Adds the samples of a checkpoint as they are, then takes its reference timestamp,
    /// without rescaling what was already there [decayingHistogram.LoadFromCheckpoint]; see
    /// [`Histogram::load_checkpoint`]. A checkpoint whose weights sum to 0 still sets the
    /// reference.
    ///
    /// ```
    /// use podscale::vpa::{BucketWeight, DecayingHistogram, HistogramCheckpoint, HistogramOptions};
    /// let options = HistogramOptions::linear(10.0, 1.0, 1e-15)?;
    /// let mut checkpoint: HistogramCheckpoint = HistogramCheckpoint::empty(options);
    /// checkpoint.total_weight = 6.0;
    /// checkpoint.bucket_weights.extend([BucketWeight::new(0, 1)]);
    /// checkpoint.reference_ms = 1_514_862_245_000; // 2018-01-02T03:04:05Z
    /// let mut h: DecayingHistogram = DecayingHistogram::new(options, 3_600_000)?;
    /// h.load_checkpoint(&checkpoint)?;
    /// assert_eq!(h.reference_ms(), 1_514_862_245_000);
    /// assert!(!h.is_empty());
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Histogram::load_checkpoint`]; nothing changes on error.
    pub fn load_checkpoint(
        &mut self,
        checkpoint: &HistogramCheckpoint<N>,
    ) -> Result<(), HistogramError> {
        self.histogram.load_checkpoint(checkpoint)?;
        self.reference_ms = checkpoint.reference_ms;
        Ok(())
    }
}

/// The serialized form of a [`DecayingHistogram`].
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
struct DecayingRepr<const N: usize> {
    histogram: Histogram<N>,
    half_life_ms: i64,
    reference_ms: i64,
}

#[cfg(feature = "serde")]
impl<const N: usize> From<DecayingHistogram<N>> for DecayingRepr<N> {
    fn from(h: DecayingHistogram<N>) -> Self {
        Self {
            histogram: h.histogram,
            half_life_ms: h.half_life_ms,
            reference_ms: h.reference_ms,
        }
    }
}

#[cfg(feature = "serde")]
impl<const N: usize> TryFrom<DecayingRepr<N>> for DecayingHistogram<N> {
    type Error = HistogramError;

    fn try_from(repr: DecayingRepr<N>) -> Result<Self, HistogramError> {
        let mut h = Self::new(*repr.histogram.options(), repr.half_life_ms)?;
        h.histogram = repr.histogram;
        h.reference_ms = repr.reference_ms;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const HOUR: i64 = 3_600_000;

    fn linear() -> DecayingHistogram {
        DecayingHistogram::new(HistogramOptions::linear(10.0, 1.0, 1e-15).unwrap(), HOUR).unwrap()
    }

    #[test]
    fn first_sample_moves_the_reference() {
        let mut h = linear();
        h.add_sample(2.0, 1000.0, 1_234_567_890_000).unwrap();
        assert_eq!(h.reference_ms(), 1_234_569_600_000);
        // 2^(-1710/3600) of 1000.
        assert_eq!(
            h.histogram().total_weight(),
            1000.0 * exp2(-1710.0 / 3600.0)
        );
    }

    #[test]
    fn long_term_decay_shifts_by_101_half_lives() {
        // TestLongtermDecay: the reference moves from 1234569600 to 1234933200 (-101).
        let mut h = linear();
        h.add_sample(2.0, 1.0, 1_234_567_890_000).unwrap();
        h.add_sample(1.0, 1.0, 1_234_567_890_000 + 101 * HOUR)
            .unwrap();
        assert_eq!(h.reference_ms(), 1_234_933_200_000);
        assert_eq!(h.percentile(1.0), 2.0);
    }

    #[test]
    fn default_constructors_equal_new() {
        let cpu = DecayingHistogram::new(HistogramOptions::vpa_cpu(), VPA_DEFAULT_HALF_LIFE_MS);
        assert_eq!(cpu, Ok(DecayingHistogram::vpa_cpu()));
        let memory =
            DecayingHistogram::new(HistogramOptions::vpa_memory(), VPA_DEFAULT_HALF_LIFE_MS);
        assert_eq!(memory, Ok(DecayingHistogram::vpa_memory()));
    }

    #[test]
    fn half_life_bounds() {
        let options = HistogramOptions::vpa_cpu();
        assert!(DecayingHistogram::<176>::new(options, MAX_HALF_LIFE_MS).is_ok());
        assert_eq!(
            DecayingHistogram::<176>::new(options, MAX_HALF_LIFE_MS + 1),
            Err(HistogramError::InvalidHalfLife {
                value_ms: MAX_HALF_LIFE_MS + 1
            })
        );
        assert!(DecayingHistogram::<176>::new(options, -1).is_err());
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let mut h = linear();
        for t in [
            i64::MIN,
            i64::MAX,
            0,
            GO_ZERO_TIME_MS,
            i64::MAX - 1,
            i64::MIN + 1,
        ] {
            h.add_sample(3.0, 1.0, t).unwrap();
            h.subtract_sample(3.0, 0.5, t).unwrap();
            let _ = h.percentile(0.5);
        }
    }

    #[test]
    fn merge_checks_before_changing() {
        let mut a = linear();
        let mut b = DecayingHistogram::new(*a.options(), 2 * HOUR).unwrap();
        a.add_sample(1.0, 1.0, 0).unwrap();
        let before = a.clone();
        assert!(a.merge(&mut b).is_err());
        assert_eq!(a, before);
    }

    #[test]
    fn merge_moves_the_older_other() {
        let mut a = linear();
        let mut b = linear();
        a.add_sample(1.0, 1.0, 10 * HOUR).unwrap();
        b.add_sample(2.0, 1.0, 0).unwrap();
        a.merge(&mut b).unwrap();
        assert_eq!(b.reference_ms(), a.reference_ms());
    }
}
