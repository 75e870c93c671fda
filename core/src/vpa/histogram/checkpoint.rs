//! Histogram checkpoints: the compact, integer form a histogram is saved in and loaded from
//! [vpa_types.HistogramCheckpoint]; see [`HistogramCheckpoint`].

use super::go_time::GO_ZERO_TIME_MS;
use super::options::{HistogramOptions, VPA_NUM_BUCKETS};

/// The histogram checkpoint format this release writes and reads.
pub const HISTOGRAM_CHECKPOINT_VERSION: u32 = 1;

/// One stored bucket: its index and its weight relative to the heaviest bucket (10000).
///
/// ```
/// use podscale::vpa::BucketWeight;
/// let entry = BucketWeight::new(12, 10_000);
/// assert_eq!((entry.index, entry.weight), (12, 10_000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BucketWeight {
    /// The bucket index.
    pub index: u32,
    /// The scaled, rounded weight (upstream's `uint32`).
    pub weight: u32,
}

impl BucketWeight {
    /// An entry for bucket `index` with `weight`.
    pub const fn new(index: u32, weight: u32) -> Self {
        Self { index, weight }
    }
}

/// A saved histogram, plain or decaying [vpa_types.HistogramCheckpoint].
///
/// Written by [`Histogram::save_checkpoint`](super::Histogram::save_checkpoint) and
/// [`DecayingHistogram::save_checkpoint`](super::DecayingHistogram::save_checkpoint), read by
/// their `load_checkpoint`, and built from upstream's JSON by
/// [`VpaCheckpointStatus::from_object_json`](super::VpaCheckpointStatus::from_object_json).
/// Capacity is `N` buckets, as for the histogram; `HistogramCheckpoint<176>` is 1,504 bytes on
/// 64-bit targets.
///
/// # Format (version 1)
///
/// A [`HistogramCheckpoint`] holds what upstream's `HistogramCheckpoint` holds, plus what
/// podscale needs to refuse a checkpoint instead of misreading it:
///
/// | field | meaning |
/// | --- | --- |
/// | `version` | [`HISTOGRAM_CHECKPOINT_VERSION`]; any other version is refused on load |
/// | `options` | the bucketing the weights refer to; loading into other options is refused (upstream relies on its `"v3"` aggregate version for this) |
/// | `reference_ms` | the decay reference, Unix milliseconds ([`GO_ZERO_TIME_MS`] for a plain histogram) |
/// | `total_weight` | the histogram's total weight, exact |
/// | `bucket_weights` | `(index, weight)` pairs in strictly increasing index order, weights scaled so the heaviest is 10000 and rounded |
///
/// With the `serde` feature it serializes as, for example,
/// `{"version":1,"options":{"linear":{"max_value":10.0,"bucket_size":1.0,"epsilon":1e-15}},
/// "reference_ms":-62135596800000,"total_weight":6.0,"bucket_weights":[{"index":0,"weight":1},
/// {"index":1,"weight":2}]}`.
///
/// # Precision
///
/// Saving rounds each bucket to a multiple of 1/10000 of the heaviest one, so a save/load round
/// trip moves each cumulative fraction of the distribution by at most `K/20000`, where `K` is
/// the number of buckets in `min_bucket..=max_bucket` (at most 176/20000 = 0.88% for the VPA
/// defaults). Buckets that reload below epsilon leave the non-empty range, and weight outside
/// that range is spread over the stored buckets. So, with `δ = K/20000 + (K·epsilon + |total −
/// Σ weights in range|) / total`, the reloaded `percentile(p)` lies between the original's
/// `percentile(p − δ)` and `percentile(p + δ)`.
///
/// ```
/// use podscale::vpa::{DecayingHistogram, HistogramOptions};
/// let mut h: DecayingHistogram = DecayingHistogram::new(HistogramOptions::vpa_cpu(), 86_400_000)?;
/// h.add_sample(0.5, 0.1, 1_700_000_000_000)?;
/// let checkpoint = h.save_checkpoint();
/// assert_eq!(checkpoint.reference_ms, 1_700_006_400_000);
///
/// let mut restored: DecayingHistogram = DecayingHistogram::new(HistogramOptions::vpa_cpu(), 86_400_000)?;
/// restored.load_checkpoint(&checkpoint)?;
/// assert_eq!(restored.percentile(0.9), h.percentile(0.9));
/// # Ok::<(), podscale::vpa::HistogramError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HistogramCheckpoint<const N: usize = VPA_NUM_BUCKETS> {
    /// The format version, [`HISTOGRAM_CHECKPOINT_VERSION`] when written by this release.
    pub version: u32,
    /// The bucketing the indices refer to.
    pub options: HistogramOptions,
    /// The decay reference timestamp, Unix milliseconds; Go's zero time for a plain histogram.
    pub reference_ms: i64,
    /// The total weight of the histogram.
    pub total_weight: f64,
    /// The stored buckets, in strictly increasing index order.
    pub bucket_weights: heapless::Vec<BucketWeight, N>,
}

impl<const N: usize> HistogramCheckpoint<N> {
    /// A checkpoint of an empty histogram with `options`: no buckets, total 0, the zero time
    /// as reference, the current version.
    ///
    /// ```
    /// use podscale::vpa::{Histogram, HistogramCheckpoint, HistogramOptions};
    /// let empty: Histogram = Histogram::new(HistogramOptions::vpa_memory())?;
    /// assert_eq!(empty.save_checkpoint(), HistogramCheckpoint::empty(HistogramOptions::vpa_memory()));
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    pub const fn empty(options: HistogramOptions) -> Self {
        Self {
            version: HISTOGRAM_CHECKPOINT_VERSION,
            options,
            reference_ms: GO_ZERO_TIME_MS,
            total_weight: 0.0,
            bucket_weights: heapless::Vec::new(),
        }
    }
}
