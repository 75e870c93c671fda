//! The VPA's bucketed histogram with fixed-size storage [histogram.go].

use super::checkpoint::{BucketWeight, HISTOGRAM_CHECKPOINT_VERSION, HistogramCheckpoint};
use super::error::HistogramError;
use super::go_math::{round, saturate_to_u32};
use super::options::{HistogramOptions, VPA_NUM_BUCKETS};

/// `MaxCheckpointWeight`: the weight of the heaviest bucket in a checkpoint.
pub const MAX_CHECKPOINT_WEIGHT: u32 = 10_000;

/// An approximate distribution: one weight per bucket of its [`HistogramOptions`], the total
/// weight, and the range of non-empty buckets [histogram].
///
/// Storage is a fixed array of `N` bucket weights (by default [`VPA_NUM_BUCKETS`], enough for
/// the VPA's CPU and memory options and for every linear option upstream's tests use), so the
/// histogram never allocates: `Histogram<176>` is 1,496 bytes on 64-bit targets (1,408 of them
/// the weights, 64 the options; a few bytes less on 32-bit ones), and each extra bucket of
/// capacity costs 8 bytes. [`Histogram::new`] refuses options with more than `N` buckets.
///
/// A bucket is empty when its weight is below the options' epsilon. Weights below epsilon still
/// count in the total and can become non-empty with later samples, exactly as upstream.
///
/// ```
/// use podscale::vpa::{Histogram, HistogramOptions};
/// let mut h: Histogram = Histogram::new(HistogramOptions::linear(10.0, 1.0, 1e-15)?)?;
/// for (value, weight) in [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0)] {
///     h.add_sample(value, weight)?;
/// }
/// // Percentile returns the end of the bucket holding the quantile.
/// assert_eq!(h.percentile(0.5), 4.0);
/// assert_eq!(h.percentile(1.0), 5.0);
/// assert_eq!((h.min_bucket(), h.max_bucket(), h.total_weight()), (1, 4, 10.0));
/// # Ok::<(), podscale::vpa::HistogramError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "HistogramRepr<N>", into = "HistogramRepr<N>")
)]
pub struct Histogram<const N: usize = VPA_NUM_BUCKETS> {
    options: HistogramOptions,
    /// Cumulative weight of the samples in each bucket; only the first `num_buckets` are used.
    bucket_weight: [f64; N],
    /// Cumulative weight of all samples, accumulated in sample order (not bucket order).
    total_weight: f64,
    /// The first non-empty bucket, or the last bucket when the histogram is empty.
    min_bucket: usize,
    /// The last non-empty bucket, or 0 when the histogram is empty.
    max_bucket: usize,
}

impl Histogram<VPA_NUM_BUCKETS> {
    /// An empty histogram with the VPA's CPU options, [`HistogramOptions::vpa_cpu`].
    ///
    /// ```
    /// use podscale::vpa::Histogram;
    /// let cpu = Histogram::vpa_cpu();
    /// assert!(cpu.is_empty());
    /// ```
    pub const fn vpa_cpu() -> Self {
        Self::empty(HistogramOptions::vpa_cpu())
    }

    /// An empty histogram with the VPA's memory options, [`HistogramOptions::vpa_memory`].
    pub const fn vpa_memory() -> Self {
        Self::empty(HistogramOptions::vpa_memory())
    }

    /// The default options have exactly `VPA_NUM_BUCKETS` buckets (checked in the tests).
    const fn empty(options: HistogramOptions) -> Self {
        Self {
            options,
            bucket_weight: [0.0; VPA_NUM_BUCKETS],
            total_weight: 0.0,
            min_bucket: options.last_bucket(),
            max_bucket: 0,
        }
    }
}

impl<const N: usize> Histogram<N> {
    /// An empty histogram [NewHistogram].
    ///
    /// ```
    /// use podscale::vpa::{Histogram, HistogramError, HistogramOptions};
    /// let h: Histogram = Histogram::new(HistogramOptions::vpa_cpu())?;
    /// assert!(h.is_empty());
    /// assert_eq!((h.min_bucket(), h.max_bucket()), (175, 0));
    /// let small = Histogram::<16>::new(HistogramOptions::vpa_memory());
    /// assert_eq!(small, Err(HistogramError::TooManyBuckets { needed: 176, capacity: 16 }));
    /// # Ok::<(), HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HistogramError::TooManyBuckets`] when the options have more than `N` buckets.
    pub const fn new(options: HistogramOptions) -> Result<Self, HistogramError> {
        if options.num_buckets() > N {
            return Err(HistogramError::TooManyBuckets {
                needed: options.num_buckets(),
                capacity: N,
            });
        }
        Ok(Self {
            options,
            bucket_weight: [0.0; N],
            total_weight: 0.0,
            min_bucket: options.last_bucket(),
            max_bucket: 0,
        })
    }

    /// The bucketing.
    pub const fn options(&self) -> &HistogramOptions {
        &self.options
    }

    /// The total weight of all samples, empty buckets included.
    pub const fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// The first non-empty bucket, or the last bucket when the histogram is empty.
    pub const fn min_bucket(&self) -> usize {
        self.min_bucket
    }

    /// The last non-empty bucket, or 0 when the histogram is empty.
    pub const fn max_bucket(&self) -> usize {
        self.max_bucket
    }

    /// The weight of every bucket of the options, in bucket order (weights outside
    /// `min_bucket..=max_bucket` are below epsilon, but can be above zero).
    ///
    /// ```
    /// use podscale::vpa::{Histogram, HistogramOptions};
    /// let mut h: Histogram = Histogram::new(HistogramOptions::linear(10.0, 1.0, 1e-15)?)?;
    /// h.add_sample(2.5, 3.0)?;
    /// assert_eq!(h.bucket_weights().len(), 11);
    /// assert_eq!(h.bucket_weights()[2], 3.0);
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    pub fn bucket_weights(&self) -> &[f64] {
        self.bucket_weight
            .get(..self.options.num_buckets())
            .unwrap_or(&self.bucket_weight)
    }

    /// The weight of bucket `bucket` (0 beyond the last bucket).
    fn weight(&self, bucket: usize) -> f64 {
        self.bucket_weight.get(bucket).copied().unwrap_or(0.0)
    }

    /// Whether every bucket is below epsilon [histogram.IsEmpty].
    pub fn is_empty(&self) -> bool {
        self.weight(self.min_bucket) < self.options.epsilon()
    }

    /// Adds a sample of `value` with `weight` [histogram.AddSample].
    ///
    /// The weight goes to the bucket of `value` and to the total; the bucket widens the
    /// `min_bucket..=max_bucket` range only once its weight reaches epsilon.
    ///
    /// ```
    /// use podscale::vpa::{Histogram, HistogramError, HistogramOptions};
    /// let mut h: Histogram = Histogram::new(HistogramOptions::linear(1.0, 0.1, 1e-15)?)?;
    /// h.add_sample(0.1, 3e-16)?; // below epsilon: counted, but still empty
    /// assert!(h.is_empty());
    /// assert_eq!(h.add_sample(0.1, -1.0), Err(HistogramError::InvalidWeight { value: -1.0 }));
    /// # Ok::<(), HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HistogramError::InvalidWeight`] for a negative (where upstream panics), NaN or infinite
    /// weight, [`HistogramError::InvalidValue`] for a NaN value,
    /// [`HistogramError::WeightOverflow`] when the bucket or the total would overflow.
    pub fn add_sample(&mut self, value: f64, weight: f64) -> Result<(), HistogramError> {
        check_sample(value, weight)?;
        let bucket = self.options.find_bucket(value);
        if !self.can_add(bucket, weight, 1.0) {
            return Err(HistogramError::WeightOverflow { weight });
        }
        self.add_to(bucket, weight);
        Ok(())
    }

    /// Whether adding `weight` to `bucket`, after the non-empty range (and the total) are
    /// scaled by `scale`, keeps that bucket and the total finite.
    pub(crate) fn can_add(&self, bucket: usize, weight: f64, scale: f64) -> bool {
        let w = self.weight(bucket) * self.scale_of(bucket, scale);
        (w + weight).is_finite() && (self.total_weight * scale + weight).is_finite()
    }

    /// The factor [`Self::scale`] would apply to `bucket`.
    fn scale_of(&self, bucket: usize, scale: f64) -> f64 {
        if (self.min_bucket..=self.max_bucket).contains(&bucket) {
            scale
        } else {
            1.0
        }
    }

    /// Whether merging `other` after scaling this histogram by `scale` and `other` by
    /// `other_scale` keeps every weight finite (checked over `other`'s whole current range, a
    /// little more than the merge adds).
    pub(crate) fn can_merge(&self, other: &Self, scale: f64, other_scale: f64) -> bool {
        (other.min_bucket..=other.max_bucket).all(|b| {
            let mine = self.weight(b) * self.scale_of(b, scale);
            let theirs = other.weight(b) * other.scale_of(b, other_scale);
            (mine + theirs).is_finite()
        }) && (self.total_weight * scale + other.total_weight * other_scale).is_finite()
    }

    /// [`Self::add_sample`] for a validated sample, its bucket found.
    /// [`Self::add_to`] `count` times over, once adding `count` times `weight` is known to stay
    /// finite: the same additions, one at a time, and the same range (a bucket's weight only
    /// grows, so it reaches epsilon by its last addition if by any).
    pub(crate) fn add_to_times(&mut self, bucket: usize, weight: f64, count: u32) {
        let Some(slot) = self.bucket_weight.get_mut(bucket) else {
            return;
        };
        let (mut bucket_weight, mut total) = (*slot, self.total_weight);
        for _ in 0..count {
            bucket_weight += weight;
            total += weight;
        }
        *slot = bucket_weight;
        self.total_weight = total;
        if count > 0 && bucket_weight >= self.options.epsilon() {
            self.min_bucket = self.min_bucket.min(bucket);
            self.max_bucket = self.max_bucket.max(bucket);
        }
    }

    pub(crate) fn add_to(&mut self, bucket: usize, weight: f64) {
        let Some(slot) = self.bucket_weight.get_mut(bucket) else {
            return;
        };
        *slot += weight;
        self.total_weight += weight;
        if *slot >= self.options.epsilon() {
            self.min_bucket = self.min_bucket.min(bucket);
            self.max_bucket = self.max_bucket.max(bucket);
        }
    }

    /// Removes a sample of `value` with `weight` [histogram.SubtractSample].
    ///
    /// The bucket and the total each lose `weight`; a result below epsilon becomes exactly 0
    /// (`safeSub`), and the non-empty range shrinks past buckets that fell below epsilon.
    ///
    /// ```
    /// use podscale::vpa::{Histogram, HistogramOptions};
    /// let mut h: Histogram = Histogram::new(HistogramOptions::vpa_memory())?;
    /// h.add_sample(5e8, 1.0)?;
    /// h.subtract_sample(5e8, 1.0)?;
    /// assert!(h.is_empty());
    /// assert_eq!(h.total_weight(), 0.0);
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Self::add_sample`].
    pub fn subtract_sample(&mut self, value: f64, weight: f64) -> Result<(), HistogramError> {
        check_sample(value, weight)?;
        self.subtract_from(self.options.find_bucket(value), weight);
        Ok(())
    }

    /// [`Self::subtract_sample`] for a validated sample, its bucket found.
    pub(crate) fn subtract_from(&mut self, bucket: usize, weight: f64) {
        let epsilon = self.options.epsilon();
        self.total_weight = safe_sub(self.total_weight, weight, epsilon);
        if let Some(slot) = self.bucket_weight.get_mut(bucket) {
            *slot = safe_sub(*slot, weight, epsilon);
        }
        self.update_min_and_max_bucket();
    }

    /// Adds every sample of `other` [histogram.Merge].
    ///
    /// Bucket weights in `other`'s `min_bucket..=max_bucket` are added, its total is added (even
    /// when it is empty), and the range widens to cover `other`'s, without an epsilon check.
    ///
    /// ```
    /// use podscale::vpa::{Histogram, HistogramOptions};
    /// let options = HistogramOptions::linear(10.0, 1.0, 1e-15)?;
    /// let mut a: Histogram = Histogram::new(options)?;
    /// let mut b: Histogram = Histogram::new(options)?;
    /// a.add_sample(1.0, 1.0)?;
    /// b.add_sample(8.0, 3.0)?;
    /// a.merge(&b)?;
    /// assert_eq!(a.percentile(0.5), 9.0);
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HistogramError::OptionsMismatch`] when the options differ (upstream panics),
    /// [`HistogramError::WeightOverflow`] when a weight would overflow; nothing changes then.
    pub fn merge(&mut self, other: &Self) -> Result<(), HistogramError> {
        if self.options != other.options {
            return Err(HistogramError::OptionsMismatch);
        }
        if !self.can_merge(other, 1.0, 1.0) {
            return Err(HistogramError::WeightOverflow {
                weight: other.total_weight,
            });
        }
        self.merge_checked(other);
        Ok(())
    }

    /// [`Self::merge`] for histograms with equal options whose sum cannot overflow.
    pub(crate) fn merge_checked(&mut self, other: &Self) {
        let range = other.min_bucket..=other.max_bucket;
        if let (Some(mine), Some(theirs)) = (
            self.bucket_weight.get_mut(range.clone()),
            other.bucket_weight.get(range),
        ) {
            for (w, o) in mine.iter_mut().zip(theirs) {
                *w += *o;
            }
        }
        self.total_weight += other.total_weight;
        self.min_bucket = self.min_bucket.min(other.min_bucket);
        self.max_bucket = self.max_bucket.max(other.max_bucket);
    }

    /// The end of the bucket holding the `percentile` quantile (0.5 is the median), or the
    /// start of the last bucket when that is the one; 0.0 when the histogram is empty
    /// [histogram.Percentile].
    ///
    /// The threshold is `percentile * total_weight`; bucket weights from `min_bucket` are summed
    /// in bucket order until they reach it. So `percentile <= 0` gives the end of `min_bucket`
    /// and `percentile > 1` (or NaN) the end of `max_bucket`.
    ///
    /// ```
    /// use podscale::vpa::{Histogram, HistogramOptions};
    /// let mut h: Histogram = Histogram::new(HistogramOptions::vpa_cpu())?;
    /// h.add_sample(0.5, 0.1)?; // 500 millicores: bucket 25
    /// assert_eq!(h.percentile(0.9), 0.5111345375888706); // the start of bucket 26
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    pub fn percentile(&self, percentile: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let threshold = percentile * self.total_weight;
        let mut partial_sum = 0.0;
        let mut bucket = self.min_bucket;
        while bucket < self.max_bucket {
            partial_sum += self.weight(bucket);
            if partial_sum >= threshold {
                break;
            }
            bucket = bucket.saturating_add(1);
        }
        if bucket < self.options.last_bucket() {
            // The end of the bucket.
            self.options.start_of(bucket.saturating_add(1))
        } else {
            // The last bucket has no upper bound: its start.
            self.options.start_of(bucket)
        }
    }

    /// Upstream's test equality [histogram.Equals]: the same options, the same
    /// `min_bucket..=max_bucket`, and every weight in that range within 1e-15. Totals and
    /// weights outside the range are not compared.
    ///
    /// ```
    /// use podscale::vpa::{Histogram, HistogramOptions};
    /// let options = HistogramOptions::linear(10.0, 1.0, 1e-15)?;
    /// let (mut a, mut b): (Histogram, Histogram) = (Histogram::new(options)?, Histogram::new(options)?);
    /// a.add_sample(1.0, 0.1)?;
    /// a.add_sample(1.0, 0.2)?;
    /// b.add_sample(1.0, 0.3)?;
    /// assert_ne!(a, b); // 0.30000000000000004 and 0.3
    /// assert!(a.upstream_equals(&b));
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    pub fn upstream_equals(&self, other: &Self) -> bool {
        self.options == other.options
            && self.min_bucket == other.min_bucket
            && self.max_bucket == other.max_bucket
            && (self.min_bucket..=self.max_bucket).all(|b| {
                let diff = self.weight(b) - other.weight(b);
                (-1e-15..=1e-15).contains(&diff)
            })
    }

    /// The histogram as a checkpoint: the total weight, and the weights of
    /// `min_bucket..=max_bucket` scaled so that the heaviest is [`MAX_CHECKPOINT_WEIGHT`] and
    /// rounded (`floor(x + 0.5)`) to integers; buckets that round to 0 are left out
    /// [histogram.SaveToChekpoint].
    ///
    /// A bucket lighter than 1/20000 of the heaviest is therefore lost. The reference
    /// timestamp is Go's zero time (a plain histogram has none).
    ///
    /// ```
    /// use podscale::vpa::{BucketWeight, Histogram, HistogramOptions};
    /// let mut h: Histogram = Histogram::new(HistogramOptions::linear(10.0, 1.0, 1e-15)?)?;
    /// h.add_sample(1.0, 1.0)?;
    /// h.add_sample(2.0, 10_000.0)?;
    /// h.add_sample(3.0, 50.0)?;
    /// let checkpoint = h.save_checkpoint();
    /// assert_eq!(checkpoint.total_weight, 10_051.0);
    /// assert_eq!(
    ///     checkpoint.bucket_weights.as_slice(),
    ///     [BucketWeight::new(1, 1), BucketWeight::new(2, 10_000), BucketWeight::new(3, 50)]
    /// );
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    pub fn save_checkpoint(&self) -> HistogramCheckpoint<N> {
        let mut checkpoint = HistogramCheckpoint::empty(self.options);
        checkpoint.total_weight = self.total_weight;
        let range = self.bucket_weight.get(self.min_bucket..=self.max_bucket);
        let range = range.unwrap_or(&[]);
        let max = range
            .iter()
            .fold(0.0, |max, &w| if w > max { w } else { max });
        let ratio = f64::from(MAX_CHECKPOINT_WEIGHT) / max;
        for (offset, &w) in range.iter().enumerate() {
            let weight = saturate_to_u32(round(w * ratio));
            let index = u32::try_from(self.min_bucket.saturating_add(offset));
            if let (true, Ok(index)) = (weight > 0, index) {
                // At most num_buckets <= N entries: the push cannot fail.
                let _ = checkpoint
                    .bucket_weights
                    .push(BucketWeight::new(index, weight));
            }
        }
        checkpoint
    }

    /// Adds the samples of a checkpoint [histogram.LoadFromCheckpoint].
    ///
    /// The stored weights are rescaled so that they sum to the checkpoint's total weight and
    /// added to their buckets, the range widens to cover them, and the total grows by the
    /// checkpoint's total; buckets that come back below epsilon then leave the range
    /// (kubernetes/autoscaler#7726). A checkpoint whose weights sum to 0 changes nothing.
    ///
    /// ```
    /// use podscale::vpa::{BucketWeight, Histogram, HistogramCheckpoint, HistogramOptions};
    /// let options = HistogramOptions::linear(10.0, 1.0, 1e-15)?;
    /// let mut checkpoint: HistogramCheckpoint = HistogramCheckpoint::empty(options);
    /// checkpoint.total_weight = 6.0;
    /// checkpoint.bucket_weights.extend([BucketWeight::new(0, 1), BucketWeight::new(1, 2)]);
    /// let mut h: Histogram = Histogram::new(options)?;
    /// h.load_checkpoint(&checkpoint)?;
    /// assert_eq!(&h.bucket_weights()[..2], [2.0, 4.0]);
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Checked before anything changes: [`HistogramError::UnsupportedCheckpointVersion`],
    /// [`HistogramError::OptionsMismatch`] when the checkpoint was saved with other options,
    /// [`HistogramError::InvalidTotalWeight`] for a negative (upstream's error), NaN or infinite
    /// total, [`HistogramError::BucketOutOfRange`] (upstream's error),
    /// [`HistogramError::BucketsNotIncreasing`], and [`HistogramError::WeightOverflow`] when a
    /// reloaded weight would overflow.
    pub fn load_checkpoint(
        &mut self,
        checkpoint: &HistogramCheckpoint<N>,
    ) -> Result<(), HistogramError> {
        let sum = self.validate_checkpoint(checkpoint)?;
        if sum == 0 {
            return Ok(());
        }
        // A sum of at most N u32 values: exact in a double below 2^53.
        let ratio = checkpoint.total_weight / sum as f64;
        let fits = checkpoint.bucket_weights.iter().all(|entry| {
            let bucket = usize::try_from(entry.index).unwrap_or(usize::MAX);
            (self.weight(bucket) + f64::from(entry.weight) * ratio).is_finite()
        });
        if !(fits && (self.total_weight + checkpoint.total_weight).is_finite()) {
            return Err(HistogramError::WeightOverflow {
                weight: checkpoint.total_weight,
            });
        }
        for entry in &checkpoint.bucket_weights {
            let Ok(bucket) = usize::try_from(entry.index) else {
                continue;
            };
            self.min_bucket = self.min_bucket.min(bucket);
            self.max_bucket = self.max_bucket.max(bucket);
            if let Some(slot) = self.bucket_weight.get_mut(bucket) {
                *slot += f64::from(entry.weight) * ratio;
            }
        }
        self.total_weight += checkpoint.total_weight;
        self.update_min_and_max_bucket();
        Ok(())
    }

    /// Checks a checkpoint against these options and returns the sum of its weights.
    fn validate_checkpoint(
        &self,
        checkpoint: &HistogramCheckpoint<N>,
    ) -> Result<u64, HistogramError> {
        if checkpoint.version != HISTOGRAM_CHECKPOINT_VERSION {
            return Err(HistogramError::UnsupportedCheckpointVersion {
                version: checkpoint.version,
            });
        }
        if checkpoint.options != self.options {
            return Err(HistogramError::OptionsMismatch);
        }
        let total = checkpoint.total_weight;
        if !(total.is_finite() && total >= 0.0) {
            return Err(HistogramError::InvalidTotalWeight { value: total });
        }
        let mut sum: u64 = 0;
        let mut previous: Option<u32> = None;
        for (position, entry) in checkpoint.bucket_weights.iter().enumerate() {
            let in_range =
                usize::try_from(entry.index).is_ok_and(|index| index < self.options.num_buckets());
            if !in_range {
                return Err(HistogramError::BucketOutOfRange {
                    bucket: entry.index,
                    num_buckets: self.options.num_buckets(),
                });
            }
            if previous.is_some_and(|p| p >= entry.index) {
                return Err(HistogramError::BucketsNotIncreasing {
                    position,
                    bucket: entry.index,
                });
            }
            previous = Some(entry.index);
            sum = sum.saturating_add(u64::from(entry.weight));
        }
        Ok(sum)
    }

    /// Multiplies the weights of `min_bucket..=max_bucket` and the total by `factor`, then
    /// drops buckets that fell below epsilon from the range [histogram.scale]. Percentiles do
    /// not change (up to those dropped buckets). `factor` is a non-negative power of two here.
    pub(crate) fn scale(&mut self, factor: f64) {
        if let Some(range) = self
            .bucket_weight
            .get_mut(self.min_bucket..=self.max_bucket)
        {
            for w in range {
                *w *= factor;
            }
        }
        self.total_weight *= factor;
        self.update_min_and_max_bucket();
    }

    /// Moves `min_bucket` up and `max_bucket` down past buckets below epsilon
    /// [histogram.updateMinAndMaxBucket].
    fn update_min_and_max_bucket(&mut self) {
        let epsilon = self.options.epsilon();
        let last = self.options.last_bucket();
        while self.weight(self.min_bucket) < epsilon && self.min_bucket < last {
            self.min_bucket = self.min_bucket.saturating_add(1);
        }
        while self.weight(self.max_bucket) < epsilon && self.max_bucket > 0 {
            self.max_bucket = self.max_bucket.saturating_sub(1);
        }
    }
}

/// Refuses NaN values and negative, NaN or infinite weights.
pub(crate) fn check_sample(value: f64, weight: f64) -> Result<(), HistogramError> {
    if value.is_nan() {
        return Err(HistogramError::InvalidValue { value });
    }
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(HistogramError::InvalidWeight { value: weight });
    }
    Ok(())
}

/// `x - s`, or exactly 0 when that is below epsilon [histogram.safeSub].
fn safe_sub(x: f64, s: f64, epsilon: f64) -> f64 {
    let difference = x - s;
    if difference < epsilon {
        0.0
    } else {
        difference
    }
}

/// The serialized form of a [`Histogram`]: the options, the total, the range, and every
/// non-zero bucket weight (exact doubles, in bucket order).
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
struct HistogramRepr<const N: usize> {
    options: HistogramOptions,
    total_weight: f64,
    min_bucket: u32,
    max_bucket: u32,
    bucket_weights: heapless::Vec<(u32, f64), N>,
}

#[cfg(feature = "serde")]
impl<const N: usize> From<Histogram<N>> for HistogramRepr<N> {
    fn from(h: Histogram<N>) -> Self {
        let mut bucket_weights = heapless::Vec::new();
        for (index, &w) in h.bucket_weights().iter().enumerate() {
            if let (true, Ok(index)) = (w != 0.0, u32::try_from(index)) {
                // At most num_buckets <= N entries: the push cannot fail.
                let _ = bucket_weights.push((index, w));
            }
        }
        Self {
            options: h.options,
            total_weight: h.total_weight,
            min_bucket: u32::try_from(h.min_bucket).unwrap_or(u32::MAX),
            max_bucket: u32::try_from(h.max_bucket).unwrap_or(u32::MAX),
            bucket_weights,
        }
    }
}

#[cfg(feature = "serde")]
impl<const N: usize> TryFrom<HistogramRepr<N>> for Histogram<N> {
    type Error = HistogramError;

    fn try_from(repr: HistogramRepr<N>) -> Result<Self, HistogramError> {
        let mut h = Self::new(repr.options)?;
        let invalid = |field, value: f64| Err(HistogramError::InvalidState { field, value });
        let bucket = |index: u32| {
            usize::try_from(index)
                .ok()
                .filter(|&b| b < repr.options.num_buckets())
        };
        if !(repr.total_weight.is_finite() && repr.total_weight >= 0.0) {
            return invalid("total_weight", repr.total_weight);
        }
        let (Some(min_bucket), Some(max_bucket)) =
            (bucket(repr.min_bucket), bucket(repr.max_bucket))
        else {
            return invalid(
                "min_bucket",
                f64::from(repr.min_bucket.max(repr.max_bucket)),
            );
        };
        for &(index, w) in &repr.bucket_weights {
            let slot = bucket(index).and_then(|b| h.bucket_weight.get_mut(b));
            match slot {
                Some(slot) if w.is_finite() && w >= 0.0 => *slot = w,
                _ => return invalid("bucket_weights", f64::from(index)),
            }
        }
        h.total_weight = repr.total_weight;
        h.min_bucket = min_bucket;
        h.max_bucket = max_bucket;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn linear(max: f64, size: f64) -> Histogram {
        Histogram::new(HistogramOptions::linear(max, size, 1e-15).unwrap()).unwrap()
    }

    #[test]
    fn sub_epsilon_samples_count_in_the_total_only() {
        let mut h = linear(1.0, 0.1);
        h.add_sample(9.9, 3.000_000_000_000_000_2e-15).unwrap();
        h.add_sample(0.1, 3e-16).unwrap();
        h.add_sample(999.9, 3e-16).unwrap();
        assert!(!h.is_empty());
        assert_eq!((h.min_bucket(), h.max_bucket()), (10, 10));
        assert_eq!(h.total_weight(), 3.6e-15);
    }

    #[test]
    fn invalid_samples_change_nothing() {
        let mut h = linear(10.0, 1.0);
        h.add_sample(1.0, 1.0).unwrap();
        let before = h.clone();
        assert!(matches!(
            h.add_sample(f64::NAN, 1.0),
            Err(HistogramError::InvalidValue { value }) if value.is_nan()
        ));
        assert!(h.add_sample(1.0, f64::NAN).is_err());
        assert!(h.add_sample(1.0, f64::INFINITY).is_err());
        assert!(h.subtract_sample(1.0, -0.5).is_err());
        assert_eq!(h, before);
    }

    #[test]
    fn default_constructors_equal_new() {
        assert_eq!(
            Ok(Histogram::vpa_cpu()),
            Histogram::new(HistogramOptions::vpa_cpu())
        );
        assert_eq!(
            Ok(Histogram::vpa_memory()),
            Histogram::new(HistogramOptions::vpa_memory())
        );
    }

    #[test]
    fn weights_never_overflow() {
        let mut h = linear(10.0, 1.0);
        h.add_sample(1.0, f64::MAX).unwrap();
        let before = h.clone();
        assert_eq!(
            h.add_sample(1.0, f64::MAX),
            Err(HistogramError::WeightOverflow { weight: f64::MAX })
        );
        // A different bucket, but the total would overflow.
        assert!(h.add_sample(5.0, f64::MAX).is_err());
        assert!(h.merge(&before).is_err());
        let mut checkpoint = before.save_checkpoint();
        checkpoint.total_weight = f64::MAX;
        assert!(h.load_checkpoint(&checkpoint).is_err());
        assert_eq!(h, before);
    }

    #[test]
    fn merge_refuses_other_options() {
        let mut a = linear(10.0, 1.0);
        let b = linear(10.0, 2.0);
        assert_eq!(a.merge(&b), Err(HistogramError::OptionsMismatch));
    }

    #[test]
    fn empty_other_still_adds_its_total() {
        let mut a = linear(10.0, 1.0);
        let mut b = linear(10.0, 1.0);
        b.add_sample(3.0, 1e-16).unwrap();
        a.merge(&b).unwrap();
        assert_eq!(a.total_weight(), 1e-16);
        assert!(a.is_empty());
    }

    #[test]
    fn checkpoint_validation() {
        let mut h = linear(10.0, 1.0);
        let mut checkpoint = HistogramCheckpoint::empty(*h.options());
        checkpoint.total_weight = 1.0;
        checkpoint.bucket_weights.extend([BucketWeight::new(11, 0)]);
        assert_eq!(
            h.load_checkpoint(&checkpoint),
            Err(HistogramError::BucketOutOfRange {
                bucket: 11,
                num_buckets: 11
            })
        );
        checkpoint.bucket_weights.clear();
        checkpoint
            .bucket_weights
            .extend([BucketWeight::new(3, 1), BucketWeight::new(3, 1)]);
        assert_eq!(
            h.load_checkpoint(&checkpoint),
            Err(HistogramError::BucketsNotIncreasing {
                position: 1,
                bucket: 3
            })
        );
        checkpoint.bucket_weights.clear();
        checkpoint.total_weight = -1.0;
        assert!(h.load_checkpoint(&checkpoint).is_err());
        checkpoint.total_weight = 5.0;
        checkpoint.version = 0;
        assert!(h.load_checkpoint(&checkpoint).is_err());
        checkpoint.version = HISTOGRAM_CHECKPOINT_VERSION;
        checkpoint.options = HistogramOptions::vpa_cpu();
        assert_eq!(
            h.load_checkpoint(&checkpoint),
            Err(HistogramError::OptionsMismatch)
        );
        // A zero sum changes nothing, not even the total.
        checkpoint.options = *h.options();
        checkpoint.bucket_weights.extend([BucketWeight::new(3, 0)]);
        h.load_checkpoint(&checkpoint).unwrap();
        assert_eq!(h, linear(10.0, 1.0));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn documented_sizes() {
        assert_eq!(size_of::<Histogram>(), 1496);
        assert_eq!(size_of::<HistogramOptions>(), 64);
        assert_eq!(size_of::<crate::vpa::DecayingHistogram>(), 1512);
        assert_eq!(size_of::<HistogramCheckpoint>(), 1504);
    }

    #[test]
    fn percentile_of_the_last_bucket_is_its_start() {
        let mut h = linear(1.0, 0.1);
        h.add_sample(5.0, 1.0).unwrap();
        assert_eq!(h.percentile(0.5), 1.0);
    }
}
