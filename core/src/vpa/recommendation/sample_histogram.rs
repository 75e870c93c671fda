//! The one seam between the container model and the histograms: what an aggregate needs from
//! its CPU and memory histograms [util.Histogram].
//!
//! The model is generic over it, so tests can record the exact calls the model makes (as the
//! upstream tests do with mocks), and the VPA's [`DecayingHistogram`] (or a plain
//! [`Histogram`], which ignores times) plugs in.

use crate::vpa::{DecayingHistogram, Histogram, HistogramError};

/// A weighted histogram of samples, as the aggregate container state uses it [Histogram].
///
/// Times are Unix milliseconds; a decaying histogram weighs a sample by its time, a plain one
/// ignores it. The model passes finite values and the weights 0.1 (CPU) and 1.0 (memory), which
/// the VPA histograms always accept; an implementation that refuses a call must leave itself
/// unchanged and say why in `Error`.
///
/// A histogram that keeps only the largest sample, to show the shape of an implementation:
///
/// ```
/// use core::convert::Infallible;
/// use podscale::vpa::SampleHistogram;
///
/// #[derive(Default)]
/// struct Peak(f64);
///
/// impl SampleHistogram for Peak {
///     type Error = Infallible;
///     fn add_sample(&mut self, value: f64, _weight: f64, _time_ms: i64) -> Result<(), Infallible> {
///         self.0 = self.0.max(value);
///         Ok(())
///     }
///     fn subtract_sample(&mut self, _: f64, _: f64, _: i64) -> Result<(), Infallible> {
///         Ok(())
///     }
///     fn percentile(&self, _percentile: f64) -> f64 {
///         self.0
///     }
///     fn is_empty(&self) -> bool {
///         self.0 == 0.0
///     }
///     fn merge(&mut self, other: &Self) -> Result<(), Infallible> {
///         self.0 = self.0.max(other.0);
///         Ok(())
///     }
/// }
///
/// let mut h = Peak::default();
/// h.add_sample(0.5, 0.1, 0)?;
/// assert_eq!(h.percentile(0.9), 0.5);
/// # Ok::<(), Infallible>(())
/// ```
pub trait SampleHistogram {
    /// Why a call was refused (`core::convert::Infallible` when it never is).
    type Error;

    /// Adds `value` with `weight` at `time_ms` [Histogram.AddSample].
    ///
    /// # Errors
    ///
    /// When the histogram refuses the sample; it is then unchanged.
    fn add_sample(&mut self, value: f64, weight: f64, time_ms: i64) -> Result<(), Self::Error>;

    /// Removes `weight` at `value` again, as when a memory peak is replaced by a higher one in
    /// the same aggregation window [Histogram.SubtractSample].
    ///
    /// # Errors
    ///
    /// When the histogram refuses the sample; it is then unchanged.
    fn subtract_sample(&mut self, value: f64, weight: f64, time_ms: i64)
    -> Result<(), Self::Error>;

    /// The end of the bucket holding the given quantile, or 0.0 when empty
    /// [Histogram.Percentile].
    fn percentile(&self, percentile: f64) -> f64;

    /// Whether no bucket holds at least epsilon weight [Histogram.IsEmpty].
    fn is_empty(&self) -> bool;

    /// Adds the contents of `other` [Histogram.Merge]. A decaying histogram first brings the
    /// older of the two to the newer reference time, as upstream does.
    ///
    /// # Errors
    ///
    /// When the two cannot be merged (different bucketing or half-life); `self` is then
    /// unchanged.
    fn merge(&mut self, other: &Self) -> Result<(), Self::Error>;
}

/// The recommender's histogram: samples decay with the half-life.
impl<const N: usize> SampleHistogram for DecayingHistogram<N> {
    type Error = HistogramError;

    fn add_sample(&mut self, value: f64, weight: f64, time_ms: i64) -> Result<(), HistogramError> {
        DecayingHistogram::add_sample(self, value, weight, time_ms)
    }

    fn subtract_sample(
        &mut self,
        value: f64,
        weight: f64,
        time_ms: i64,
    ) -> Result<(), HistogramError> {
        DecayingHistogram::subtract_sample(self, value, weight, time_ms)
    }

    fn percentile(&self, percentile: f64) -> f64 {
        DecayingHistogram::percentile(self, percentile)
    }

    fn is_empty(&self) -> bool {
        DecayingHistogram::is_empty(self)
    }

    /// Upstream moves the older of the two histograms to the younger reference in place,
    /// `other` included; here `other` is borrowed, so a copy of it moves instead. `self` ends up
    /// the same.
    fn merge(&mut self, other: &Self) -> Result<(), HistogramError> {
        let mut other = other.clone();
        DecayingHistogram::merge(self, &mut other)
    }
}

/// A plain histogram: sample times are ignored.
impl<const N: usize> SampleHistogram for Histogram<N> {
    type Error = HistogramError;

    fn add_sample(&mut self, value: f64, weight: f64, _time_ms: i64) -> Result<(), HistogramError> {
        Histogram::add_sample(self, value, weight)
    }

    fn subtract_sample(
        &mut self,
        value: f64,
        weight: f64,
        _time_ms: i64,
    ) -> Result<(), HistogramError> {
        Histogram::subtract_sample(self, value, weight)
    }

    fn percentile(&self, percentile: f64) -> f64 {
        Histogram::percentile(self, percentile)
    }

    fn is_empty(&self) -> bool {
        Histogram::is_empty(self)
    }

    fn merge(&mut self, other: &Self) -> Result<(), HistogramError> {
        Histogram::merge(self, other)
    }
}
