//! Why a histogram refused an operation: the cases where upstream panics, returns an error, or
//! would silently compute with NaN.

use core::fmt;

/// Why histogram options, a histogram operation or a checkpoint load was refused.
///
/// Nothing in the histogram has changed when this is returned. `Display` names the field (with
/// upstream's parameter names where there is one) and the bad value.
///
/// ```
/// use podscale::vpa::{HistogramError, HistogramOptions};
/// let err = HistogramOptions::exponential(1000.0, 0.01, 1.0, 1e-4).unwrap_err();
/// assert_eq!(err, HistogramError::InvalidOption { field: "ratio", value: 1.0, requirement: "a finite number > 1" });
/// assert_eq!(err.to_string(), "invalid histogram option ratio = 1: must be a finite number > 1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HistogramError {
    /// A histogram option is out of range [NewLinearHistogramOptions,
    /// NewExponentialHistogramOptions].
    InvalidOption {
        /// Upstream's parameter name: `maxValue`, `bucketSize`, `firstBucketSize`, `ratio` or
        /// `epsilon`.
        field: &'static str,
        /// The value given.
        value: f64,
        /// What the value must be.
        requirement: &'static str,
    },
    /// The options need more buckets than the histogram's fixed capacity (its `N`).
    TooManyBuckets {
        /// `NumBuckets()` of the options.
        needed: usize,
        /// The histogram's capacity.
        capacity: usize,
    },
    /// A sample value is NaN (upstream indexes out of range and panics for exponential options).
    InvalidValue {
        /// The value given.
        value: f64,
    },
    /// A sample weight is negative (upstream panics), NaN or infinite.
    InvalidWeight {
        /// The weight given.
        value: f64,
    },
    /// Adding this weight (a sample's, times its decay factor for a decaying histogram, or a
    /// merged histogram's or a checkpoint's total) would take a bucket weight or the total
    /// weight past the largest finite double. Upstream would carry on with infinities (and then
    /// NaN); podscale keeps every weight finite.
    WeightOverflow {
        /// The weight being added.
        weight: f64,
    },
    /// The two histograms (or a histogram and a checkpoint) use different bucketing (upstream
    /// panics in `Merge`).
    OptionsMismatch,
    /// A decay half-life is not positive, or so long that `100 × halfLife` overflows Go's
    /// `time.Duration`.
    InvalidHalfLife {
        /// The half-life given, in milliseconds.
        value_ms: i64,
    },
    /// Two decaying histograms have different half-lives (upstream panics in `Merge`).
    HalfLifeMismatch {
        /// This histogram's half-life, in milliseconds.
        this_ms: i64,
        /// The other histogram's half-life, in milliseconds.
        other_ms: i64,
    },
    /// A checkpoint was written in a format version this release does not read.
    UnsupportedCheckpointVersion {
        /// The checkpoint's `version`.
        version: u32,
    },
    /// A checkpoint's `total_weight` is negative (upstream's error), NaN or infinite.
    InvalidTotalWeight {
        /// The value given.
        value: f64,
    },
    /// A checkpoint names a bucket beyond the options' last bucket (upstream's error).
    BucketOutOfRange {
        /// The bucket index.
        bucket: u32,
        /// `NumBuckets()` of the options.
        num_buckets: usize,
    },
    /// A checkpoint's buckets are not in strictly increasing index order (as
    /// `save_checkpoint` writes them), so an index repeats or the list was reordered.
    BucketsNotIncreasing {
        /// Position of the offending entry in `bucket_weights`.
        position: usize,
        /// Its bucket index.
        bucket: u32,
    },
    /// A deserialized histogram's state is inconsistent.
    InvalidState {
        /// The field, for example `min_bucket`.
        field: &'static str,
        /// The value found.
        value: f64,
    },
}

impl fmt::Display for HistogramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidOption {
                field,
                value,
                requirement,
            } => write!(
                f,
                "invalid histogram option {field} = {value}: must be {requirement}"
            ),
            Self::TooManyBuckets { needed, capacity } => write!(
                f,
                "histogram options need {needed} buckets but the histogram holds {capacity}"
            ),
            Self::InvalidValue { value } => {
                write!(f, "invalid sample value {value}: must be a number")
            }
            Self::InvalidWeight { value } => write!(
                f,
                "invalid sample weight {value}: must be a finite number >= 0"
            ),
            Self::WeightOverflow { weight } => write!(
                f,
                "adding weight {weight} would take the histogram's weights past the largest finite number"
            ),
            Self::OptionsMismatch => f.write_str("can't merge histograms with different options"),
            Self::InvalidHalfLife { value_ms } => write!(
                f,
                "invalid decay half-life {value_ms} ms: must be > 0 and at most {} ms",
                super::decaying_histogram::MAX_HALF_LIFE_MS
            ),
            Self::HalfLifeMismatch { this_ms, other_ms } => write!(
                f,
                "can't merge decaying histograms with different half life periods ({this_ms} ms and {other_ms} ms)"
            ),
            Self::UnsupportedCheckpointVersion { version } => write!(
                f,
                "histogram checkpoint version {version} is not supported (this release reads version {})",
                super::checkpoint::HISTOGRAM_CHECKPOINT_VERSION
            ),
            Self::InvalidTotalWeight { value } => write!(
                f,
                "cannot load checkpoint with total_weight {value}: must be a finite number >= 0"
            ),
            Self::BucketOutOfRange {
                bucket,
                num_buckets,
            } => write!(
                f,
                "checkpoint has bucket {bucket} that is exceeding histogram buckets {num_buckets}"
            ),
            Self::BucketsNotIncreasing { position, bucket } => write!(
                f,
                "checkpoint bucket_weights[{position}] (bucket {bucket}) does not follow a lower bucket index"
            ),
            Self::InvalidState { field, value } => {
                write!(f, "invalid histogram state: {field} = {value}")
            }
        }
    }
}

impl core::error::Error for HistogramError {}
