//! Histogram bucketing: linear and exponential bucket boundaries, and the VPA's defaults for
//! CPU and memory [histogram_options.go, aggregations_config.go].

use super::error::HistogramError;
use super::go_math::{log, pow_int, trunc_to_i64};

/// Buckets of the VPA's default CPU and memory histograms: `NumBuckets()` of
/// [`HistogramOptions::vpa_cpu`] and [`HistogramOptions::vpa_memory`], and the default capacity
/// of [`Histogram`](super::Histogram).
pub const VPA_NUM_BUCKETS: usize = 176;

/// `HistogramBucketSizeGrowth` of `aggregations_config.go`: each bucket is 5% wider than the
/// previous one.
pub const VPA_BUCKET_SIZE_GROWTH: f64 = 0.05;

/// The default histograms' epsilon, `0.001 * minSampleWeight` (an exact Go constant, so the
/// double nearest to 1e-4): the weight below which a bucket counts as empty.
pub const VPA_HISTOGRAM_EPSILON: f64 = 1e-4;

/// The most buckets any options may have: checkpoints store bucket indices as `u32`.
const MAX_NUM_BUCKETS: usize = u32::MAX as usize;

/// Go's `Log(1.05)`, the default ratio's logarithm.
const LOG_1_05: f64 = 0.048_790_164_169_432_05;

/// For the VPA defaults, where each bucket begins under Go's `FindBucket`, and an index into
/// that table, so a sample's bucket is found by a lookup and at most two comparisons instead of
/// a logarithm and two divisions (or a binary search) on every sample.
#[derive(Clone, Copy)]
struct Boundaries(&'static BucketTable);

impl PartialEq for Boundaries {
    /// A table is a function of the parameters, which [`HistogramOptions`] compares itself.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl core::fmt::Debug for Boundaries {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Boundaries(..)")
    }
}

/// Low bits of a double dropped to form its cell: the 11 exponent bits and 5 mantissa bits
/// remain, so a cell spans at most a factor 1 + 1/32 of positive doubles. That is narrower than
/// any bucket of ratio 1.05 (whose width is at least 5/105 of its start), so a cell holds at most
/// one bucket start.
const CELL_SHIFT: u32 = 52 - 5;

/// Cells between the first and the last bucket start of either default table (about 17
/// octaves of 32 cells each); [`BucketTable::new`] refuses to compile if they do not fit.
const CELLS: usize = 576;

/// The boundary table of one default bucketing and its coarse index.
///
/// `starts[b - 1]` is the smallest double that Go's `FindBucket` puts in bucket `b` or above,
/// so `FindBucket(v)` is the number of entries `<= v`. Both arrays are computed at compile time
/// from the exact Go formula ([`find_bucket_go`]). They agree with it everywhere because that
/// formula is non-decreasing in `v`: far from a boundary its rounding error (a few ulps of a
/// quotient below 176) cannot move the truncated result, and within 2000 ulps of every
/// boundary the tests check each double.
///
/// `bucket_starts[b]` is Go's `GetBucketStart(b)` ([`exponential_start`], evaluated at compile
/// time by the same `const fn` as at run time, so with the same bits): percentiles read it on
/// every recommendation, where computing Go's `Pow` each time showed in profiles.
struct BucketTable {
    starts: [f64; VPA_NUM_BUCKETS - 1],
    bucket_starts: [f64; VPA_NUM_BUCKETS],
    /// The cell of `starts[0]`: cell 0 of `bucket_at_cell`.
    first_cell: u64,
    /// The bucket of each cell's smallest double.
    bucket_at_cell: [u8; CELLS],
}

static VPA_CPU_BOUNDARIES: BucketTable = BucketTable::new(0.01);
static VPA_MEMORY_BOUNDARIES: BucketTable = BucketTable::new(1e7);

impl BucketTable {
    // Evaluated at compile time only (the statics above): an index out of range or an
    // overflow there is a compile error, not a panic at run time.
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    const fn new(first: f64) -> Self {
        let starts = boundaries(first);
        let first_cell = starts[0].to_bits() >> CELL_SHIFT;
        let last_cell = starts[VPA_NUM_BUCKETS - 2].to_bits() >> CELL_SHIFT;
        assert!(
            last_cell - first_cell < CELLS as u64,
            "the cell index does not cover every bucket start"
        );
        let mut bucket_starts = [0.0; VPA_NUM_BUCKETS];
        let mut bucket = 0;
        while bucket < VPA_NUM_BUCKETS {
            bucket_starts[bucket] = exponential_start(first, 1.05, bucket);
            bucket += 1;
        }
        let mut bucket_at_cell = [0u8; CELLS];
        let (mut cell, mut bucket) = (0, 0);
        while cell < CELLS {
            let smallest = f64::from_bits((first_cell + cell as u64) << CELL_SHIFT);
            while bucket < VPA_NUM_BUCKETS - 1 && starts[bucket] <= smallest {
                bucket += 1;
            }
            bucket_at_cell[cell] = bucket as u8;
            cell += 1;
        }
        Self {
            starts,
            bucket_starts,
            first_cell,
            bucket_at_cell,
        }
    }

    /// The number of bucket starts `<= value`: Go's `FindBucket(value)` for this bucketing.
    #[inline]
    fn find(&self, value: f64) -> usize {
        // Positive doubles order as their bits. Outside the index are values past the last
        // start's cell, and values below the first start's cell (wrapped around; negative
        // values and NaN have the sign bit or NaN bits set, and land there too).
        let cell = (value.to_bits() >> CELL_SHIFT).wrapping_sub(self.first_cell);
        let from = match usize::try_from(cell)
            .ok()
            .and_then(|c| self.bucket_at_cell.get(c))
        {
            Some(&bucket) => usize::from(bucket),
            // NaN compares false: bucket 0, as Go's formula gives.
            None if self.starts.last().is_some_and(|last| value >= *last) => {
                return VPA_NUM_BUCKETS - 1;
            }
            None => return 0,
        };
        let within_cell = self
            .starts
            .iter()
            .skip(from)
            .take_while(|start| **start <= value);
        from.saturating_add(within_cell.count())
    }
}

/// Go's exponential `GetBucketStart(bucket)` as computed [HistogramOptions.GetBucketStart]: 0 for
/// bucket 0, otherwise `first * (Pow(ratio, bucket) - 1) / (ratio - 1)` with Go's `Pow`.
const fn exponential_start(first: f64, ratio: f64, bucket: usize) -> f64 {
    if bucket == 0 {
        return 0.0;
    }
    // Bucket indices are below 2^32, so this is `bucket` itself; saturating as a guard
    // (`i64::try_from` is not `const`).
    let exponent = if bucket as u64 > i64::MAX as u64 {
        i64::MAX
    } else {
        bucket as i64
    };
    let power = pow_int(ratio, exponent);
    first * (power - 1.0) / (ratio - 1.0)
}

/// Go's exponential `FindBucket(value)` as computed: `trunc(Log(value*(ratio-1)/first + 1) /
/// Log(ratio))`, 0 below `first` (and for NaN), clamped to `last`.
const fn find_bucket_go(value: f64, first: f64, ratio: f64, log_ratio: f64, last: usize) -> usize {
    if value < first {
        return 0;
    }
    let bucket = trunc_to_i64(log(value * (ratio - 1.0) / first + 1.0) / log_ratio);
    if bucket <= 0 {
        0
    } else if bucket as u64 >= last as u64 {
        last
    } else {
        bucket as usize
    }
}

/// The boundary table of the default options with `first` (ratio 1.05, 176 buckets): for each
/// bucket `b >= 1`, a binary search over the (ordered) bit patterns of positive doubles for the
/// smallest one that [`find_bucket_go`] puts at `b` or above.
const fn boundaries(first: f64) -> [f64; VPA_NUM_BUCKETS - 1] {
    let last = VPA_NUM_BUCKETS - 1;
    let mut table = [0.0; VPA_NUM_BUCKETS - 1];
    let mut bucket = 1;
    let mut rest: &mut [f64] = &mut table;
    while let Some((slot, tail)) = rest.split_first_mut() {
        // find_bucket_go(0) = 0 < bucket <= find_bucket_go(+Inf) = last: the answer is in
        // (lo, hi], and hi > lo throughout.
        let (mut lo, mut hi) = (0u64, f64::INFINITY.to_bits());
        while hi.saturating_sub(lo) > 1 {
            let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
            if find_bucket_go(f64::from_bits(mid), first, 1.05, LOG_1_05, last) >= bucket {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        *slot = f64::from_bits(hi);
        bucket = bucket.saturating_add(1);
        rest = tail;
    }
    table
}

/// How bucket boundaries are laid out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bucketing {
    /// Buckets of equal width; bucket `b` starts at `b * bucket_size`.
    Linear {
        /// The width of every bucket.
        bucket_size: f64,
    },
    /// Bucket `n` has width `first_bucket_size * ratio^n`; bucket 0 covers
    /// `[0, first_bucket_size)`.
    Exponential {
        /// The width of bucket 0.
        first_bucket_size: f64,
        /// The growth of each bucket's width over the previous one's, above 1.
        ratio: f64,
    },
}

/// The number and size of a histogram's buckets [HistogramOptions].
///
/// Built by [`HistogramOptions::linear`] or [`HistogramOptions::exponential`], which validate
/// the parameters as upstream's constructors do (and also refuse NaN and infinities, which
/// upstream lets through to a panic), or taken from the VPA defaults. Two histograms can be
/// merged only when their options are equal.
///
/// With the `serde` feature, options serialize as their constructor's parameters, for example
/// `{"exponential": {"max_value": 1000.0, "first_bucket_size": 0.01, "ratio": 1.05, "epsilon":
/// 0.0001}}`, and are validated again when deserialized.
///
/// ```
/// use podscale::vpa::HistogramOptions;
/// let cpu = HistogramOptions::vpa_cpu();
/// assert_eq!(cpu.num_buckets(), 176);
/// assert_eq!(cpu.find_bucket(0.5), 25); // 500 millicores
/// assert_eq!(cpu.bucket_start(26), Some(0.5111345375888706));
/// assert_eq!(cpu.bucket_start(176), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "OptionsRepr", into = "OptionsRepr")
)]
pub struct HistogramOptions {
    bucketing: Bucketing,
    max_value: f64,
    epsilon: f64,
    num_buckets: usize,
    /// `Log(ratio)` for exponential bucketing (0 for linear): the same bits each time, so
    /// computed once.
    log_ratio: f64,
    /// The precomputed boundaries, for the bucketing of the VPA defaults.
    boundaries: Option<Boundaries>,
}

/// Checks that `value` is finite and above `bound`.
fn require_above(
    field: &'static str,
    value: f64,
    bound: f64,
    requirement: &'static str,
) -> Result<(), HistogramError> {
    if value.is_finite() && value > bound {
        Ok(())
    } else {
        Err(HistogramError::InvalidOption {
            field,
            value,
            requirement,
        })
    }
}

const POSITIVE: &str = "a finite number > 0";

/// `int(math.Ceil(x)) + 1` as a bucket count, refusing counts beyond [`MAX_NUM_BUCKETS`].
fn bucket_count(quotient: f64, max_value: f64) -> Result<usize, HistogramError> {
    let count = trunc_to_i64(libm::ceil(quotient)).saturating_add(1);
    usize::try_from(count)
        .ok()
        .filter(|n| (1..=MAX_NUM_BUCKETS).contains(n))
        .ok_or(HistogramError::InvalidOption {
            field: "maxValue",
            value: max_value,
            requirement: "small enough for at most 2^32 - 1 buckets",
        })
}

impl HistogramOptions {
    /// Buckets of width `bucket_size` from 0, the last one starting at or above `max_value`
    /// [NewLinearHistogramOptions]: `ceil(max_value / bucket_size) + 1` buckets.
    ///
    /// ```
    /// use podscale::vpa::HistogramOptions;
    /// let options = HistogramOptions::linear(5.0, 0.3, 0.001)?;
    /// assert_eq!(options.num_buckets(), 18);
    /// assert_eq!(options.bucket_start(17), Some(5.1));
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HistogramError::InvalidOption`] unless every parameter is a finite number above 0, or
    /// when the options would need more than `2^32 - 1` buckets.
    pub fn linear(max_value: f64, bucket_size: f64, epsilon: f64) -> Result<Self, HistogramError> {
        require_above("maxValue", max_value, 0.0, POSITIVE)?;
        require_above("bucketSize", bucket_size, 0.0, POSITIVE)?;
        require_above("epsilon", epsilon, 0.0, POSITIVE)?;
        Ok(Self {
            bucketing: Bucketing::Linear { bucket_size },
            max_value,
            epsilon,
            num_buckets: bucket_count(max_value / bucket_size, max_value)?,
            log_ratio: 0.0,
            boundaries: None,
        })
    }

    /// Buckets growing by `ratio`, the first covering `[0, first_bucket_size)`, the last one
    /// starting at or above `max_value` [NewExponentialHistogramOptions]:
    /// `ceil(Log(max_value*(ratio-1)/first_bucket_size + 1) / Log(ratio)) + 1` buckets, with
    /// Go's `Log`.
    ///
    /// ```
    /// use podscale::vpa::HistogramOptions;
    /// let options = HistogramOptions::exponential(500.0, 40.0, 1.5, 0.001)?;
    /// assert_eq!(options.num_buckets(), 6);
    /// assert_eq!(options.bucket_start(5), Some(527.5));
    /// assert_eq!(HistogramOptions::exponential(1000.0, 0.01, 1.05, 1e-4)?, HistogramOptions::vpa_cpu());
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`HistogramError::InvalidOption`] unless `max_value`, `first_bucket_size` and `epsilon`
    /// are finite numbers above 0 and `ratio` a finite number above 1, or when the options
    /// would need more than `2^32 - 1` buckets.
    pub fn exponential(
        max_value: f64,
        first_bucket_size: f64,
        ratio: f64,
        epsilon: f64,
    ) -> Result<Self, HistogramError> {
        require_above("maxValue", max_value, 0.0, POSITIVE)?;
        require_above("firstBucketSize", first_bucket_size, 0.0, POSITIVE)?;
        require_above("ratio", ratio, 1.0, "a finite number > 1")?;
        require_above("epsilon", epsilon, 0.0, POSITIVE)?;
        let log_ratio = log(ratio);
        // log(ratio, x) = Log(x) / Log(ratio), evaluated left to right as written upstream.
        let quotient = log(max_value * (ratio - 1.0) / first_bucket_size + 1.0) / log_ratio;
        let num_buckets = bucket_count(quotient, max_value)?;
        // The defaults' bucketing, however it was built, uses the precomputed boundaries.
        let boundaries = match (first_bucket_size, ratio, num_buckets) {
            (0.01, 1.05, VPA_NUM_BUCKETS) => Some(Boundaries(&VPA_CPU_BOUNDARIES)),
            (1e7, 1.05, VPA_NUM_BUCKETS) => Some(Boundaries(&VPA_MEMORY_BOUNDARIES)),
            _ => None,
        };
        Ok(Self {
            bucketing: Bucketing::Exponential {
                first_bucket_size,
                ratio,
            },
            max_value,
            epsilon,
            num_buckets,
            log_ratio,
            boundaries,
        })
    }

    /// The VPA's CPU histogram, in cores [cpuHistogramOptions]: exponential from 0.01 cores
    /// (10 millicores) growing by 5% up to 1000 cores, epsilon 1e-4, 176 buckets.
    ///
    /// ```
    /// use podscale::vpa::HistogramOptions;
    /// let cpu = HistogramOptions::vpa_cpu();
    /// assert_eq!(cpu.bucket_start(175), Some(1021.1094089048601));
    /// ```
    pub const fn vpa_cpu() -> Self {
        Self::vpa_default(1000.0, 0.01, &VPA_CPU_BOUNDARIES)
    }

    /// The VPA's memory histogram, in bytes [memoryHistogramOptions]: exponential from 1e7
    /// bytes growing by 5% up to 1e12 bytes, epsilon 1e-4, 176 buckets.
    ///
    /// ```
    /// use podscale::vpa::HistogramOptions;
    /// let memory = HistogramOptions::vpa_memory();
    /// // Go's Log rounding puts the exact start of bucket 2 into bucket 1.
    /// assert_eq!(memory.find_bucket(20_500_000.0), 1);
    /// assert_eq!(memory.bucket_start(4), Some(43101249.99999996));
    /// ```
    pub const fn vpa_memory() -> Self {
        Self::vpa_default(1e12, 1e7, &VPA_MEMORY_BOUNDARIES)
    }

    /// The defaults share the ratio, epsilon and bucket count (checked against the constructor
    /// in the tests), so they can be `const`.
    const fn vpa_default(
        max_value: f64,
        first_bucket_size: f64,
        boundaries: &'static BucketTable,
    ) -> Self {
        Self {
            bucketing: Bucketing::Exponential {
                first_bucket_size,
                // 1.0 + HistogramBucketSizeGrowth, computed at run time upstream: the same
                // double as the literal 1.05.
                ratio: 1.05,
            },
            max_value,
            epsilon: VPA_HISTOGRAM_EPSILON,
            num_buckets: VPA_NUM_BUCKETS,
            log_ratio: LOG_1_05,
            boundaries: Some(Boundaries(boundaries)),
        }
    }

    /// The bucket layout.
    pub const fn bucketing(&self) -> Bucketing {
        self.bucketing
    }

    /// The `maxValue` the options were built with.
    pub const fn max_value(&self) -> f64 {
        self.max_value
    }

    /// The number of buckets [HistogramOptions.NumBuckets].
    pub const fn num_buckets(&self) -> usize {
        self.num_buckets
    }

    /// The minimum weight for a bucket to count as non-empty [HistogramOptions.Epsilon].
    pub const fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The index of the last bucket.
    pub(crate) const fn last_bucket(&self) -> usize {
        self.num_buckets.saturating_sub(1)
    }

    /// The bucket `value` falls into; values outside the covered range go to the first or the
    /// last bucket [HistogramOptions.FindBucket].
    ///
    /// Linear: `trunc(value / bucket_size)`, clamped. Exponential: 0 below
    /// `first_bucket_size` (negative values included), otherwise
    /// `trunc(Log(value*(ratio-1)/first_bucket_size + 1) / Log(ratio))`, clamped to the last
    /// bucket. Go's float-to-int conversion of NaN and infinities is implementation-defined
    /// (on amd64 `+Inf` can land in bucket 0, or index out of range and panic); here NaN goes to
    /// bucket 0 and `±Inf` saturate to the last and first bucket.
    ///
    /// ```
    /// use podscale::vpa::HistogramOptions;
    /// let options = HistogramOptions::linear(1.0, 0.1, 1e-15)?;
    /// assert_eq!(options.find_bucket(0.3), 2); // 0.3 / 0.1 = 2.9999999999999996
    /// assert_eq!(options.find_bucket(-5.0), 0);
    /// assert_eq!(options.find_bucket(f64::INFINITY), 10);
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    #[inline]
    pub fn find_bucket(&self, value: f64) -> usize {
        let bucket = match self.bucketing {
            Bucketing::Linear { bucket_size } => trunc_to_i64(value / bucket_size),
            Bucketing::Exponential {
                first_bucket_size,
                ratio,
            } => {
                if let Some(Boundaries(table)) = self.boundaries {
                    return table.find(value);
                }
                return find_bucket_go(
                    value,
                    first_bucket_size,
                    ratio,
                    self.log_ratio,
                    self.last_bucket(),
                );
            }
        };
        usize::try_from(bucket)
            .unwrap_or(if bucket < 0 { 0 } else { usize::MAX })
            .min(self.last_bucket())
    }

    /// Where bucket `bucket` starts, or `None` beyond the last bucket (where upstream panics)
    /// [HistogramOptions.GetBucketStart].
    ///
    /// Linear: `bucket * bucket_size`. Exponential: 0 for bucket 0, otherwise
    /// `first_bucket_size * (Pow(ratio, bucket) - 1) / (ratio - 1)` with Go's `Pow`.
    ///
    /// ```
    /// use podscale::vpa::HistogramOptions;
    /// let memory = HistogramOptions::vpa_memory();
    /// assert_eq!(memory.bucket_start(0), Some(0.0));
    /// assert_eq!(memory.bucket_start(2), Some(20499999.99999999));
    /// ```
    pub fn bucket_start(&self, bucket: usize) -> Option<f64> {
        if bucket >= self.num_buckets {
            return None;
        }
        Some(self.start_of(bucket))
    }

    /// [`Self::bucket_start`] for a bucket known to exist.
    pub(crate) fn start_of(&self, bucket: usize) -> f64 {
        match self.bucketing {
            // Bucket indices are below 2^32: exact in a double.
            Bucketing::Linear { bucket_size } => bucket as f64 * bucket_size,
            Bucketing::Exponential {
                first_bucket_size,
                ratio,
            } => {
                // The defaults' starts are tabulated (the same bits, see `BucketTable`).
                if let Some(start) = self
                    .boundaries
                    .and_then(|Boundaries(table)| table.bucket_starts.get(bucket))
                {
                    return *start;
                }
                exponential_start(first_bucket_size, ratio, bucket)
            }
        }
    }
}

/// The serialized form of [`HistogramOptions`]: its constructor's parameters.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum OptionsRepr {
    Linear {
        max_value: f64,
        bucket_size: f64,
        epsilon: f64,
    },
    Exponential {
        max_value: f64,
        first_bucket_size: f64,
        ratio: f64,
        epsilon: f64,
    },
}

#[cfg(feature = "serde")]
impl From<HistogramOptions> for OptionsRepr {
    fn from(options: HistogramOptions) -> Self {
        match options.bucketing {
            Bucketing::Linear { bucket_size } => Self::Linear {
                max_value: options.max_value,
                bucket_size,
                epsilon: options.epsilon,
            },
            Bucketing::Exponential {
                first_bucket_size,
                ratio,
            } => Self::Exponential {
                max_value: options.max_value,
                first_bucket_size,
                ratio,
                epsilon: options.epsilon,
            },
        }
    }
}

#[cfg(feature = "serde")]
impl TryFrom<OptionsRepr> for HistogramOptions {
    type Error = HistogramError;

    fn try_from(repr: OptionsRepr) -> Result<Self, HistogramError> {
        match repr {
            OptionsRepr::Linear {
                max_value,
                bucket_size,
                epsilon,
            } => Self::linear(max_value, bucket_size, epsilon),
            OptionsRepr::Exponential {
                max_value,
                first_bucket_size,
                ratio,
                epsilon,
            } => Self::exponential(max_value, first_bucket_size, ratio, epsilon),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::unreachable,
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing
    )]

    use super::*;

    #[test]
    fn vpa_defaults_equal_the_constructor() {
        let cpu = HistogramOptions::exponential(1000.0, 0.01, 1.0 + VPA_BUCKET_SIZE_GROWTH, 1e-4);
        assert_eq!(cpu, Ok(HistogramOptions::vpa_cpu()));
        let memory = HistogramOptions::exponential(1e12, 1e7, 1.0 + VPA_BUCKET_SIZE_GROWTH, 1e-4);
        assert_eq!(memory, Ok(HistogramOptions::vpa_memory()));
        // 0.001 * minSampleWeight(0.1), exact in Go: the literal 1e-4.
        assert_eq!(VPA_HISTOGRAM_EPSILON, 1e-4);
    }

    #[test]
    fn vpa_default_bucket_starts() {
        // Spec section 2.3.
        let cpu = HistogramOptions::vpa_cpu();
        for (bucket, start, millicores) in [
            (24, 0.445_019_988_742_739_74, 445),
            (25, 0.477_270_988_179_876_73, 477),
            (26, 0.511_134_537_588_870_6, 511),
            (27, 0.546_691_264_468_314_2, 546),
            (35, 0.903_203_073_518_449_5, 903),
            (36, 0.958_363_227_194_371_7, 958),
            (37, 1.016_281_388_554_090_4, 1016),
        ] {
            assert_eq!(cpu.bucket_start(bucket), Some(start));
            assert_eq!(trunc_to_i64(start * 1000.0), millicores);
        }
        let memory = HistogramOptions::vpa_memory();
        let bytes = [
            0, 10_000_000, 20_499_999, 31_524_999, 43_101_249, 55_256_312, 68_019_128, 81_420_084,
        ];
        for (bucket, expected) in bytes.into_iter().enumerate() {
            let start = memory.bucket_start(bucket).unwrap_or(f64::NAN);
            assert_eq!(trunc_to_i64(start), expected);
        }
    }

    #[test]
    fn find_bucket_of_a_bucket_start_is_one_below() {
        // Spec section 2.1's boundary artifact, for every b >= 2 of the VPA options.
        for options in [HistogramOptions::vpa_cpu(), HistogramOptions::vpa_memory()] {
            for bucket in 2..VPA_NUM_BUCKETS {
                let start = options.start_of(bucket);
                assert_eq!(options.find_bucket(start), bucket - 1, "bucket {bucket}");
            }
        }
    }

    /// The boundary tables agree with Go's formula at every double within 2000 ulps of each
    /// boundary (where rounding could matter), and at a spread of values in between.
    #[test]
    fn boundary_tables_match_the_formula() {
        for options in [HistogramOptions::vpa_cpu(), HistogramOptions::vpa_memory()] {
            let Bucketing::Exponential {
                first_bucket_size,
                ratio,
            } = options.bucketing
            else {
                unreachable!()
            };
            let go = |v: f64| find_bucket_go(v, first_bucket_size, ratio, LOG_1_05, 175);
            let table = &options.boundaries.unwrap().0.starts;
            for &start in table {
                let bits = start.to_bits();
                for b in bits - 2000..=bits + 2000 {
                    let v = f64::from_bits(b);
                    assert_eq!(options.find_bucket(v), go(v), "{v:e}");
                }
            }
            let mut v = first_bucket_size / 4.0;
            while v < options.max_value() * 4.0 {
                assert_eq!(options.find_bucket(v), go(v), "{v:e}");
                v *= 1.000_37;
            }
            for v in [
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                0.0,
                f64::MAX,
            ] {
                assert_eq!(options.find_bucket(v), go(v), "{v:e}");
            }
        }
    }

    /// The tabulated bucket starts are, bit for bit, what Go's formula with `pow_int` gives at
    /// run time, for every bucket of both default bucketings.
    #[test]
    fn bucket_start_tables_match_pow_at_run_time() {
        for (table, first) in [(&VPA_CPU_BOUNDARIES, 0.01), (&VPA_MEMORY_BOUNDARIES, 1e7)] {
            // Opaque inputs: the formula below is evaluated at run time, not folded.
            let (first, ratio) = core::hint::black_box((first, 1.05));
            assert_eq!(table.bucket_starts[0].to_bits(), 0.0f64.to_bits());
            for bucket in 1..VPA_NUM_BUCKETS {
                let power = pow_int(ratio, i64::try_from(bucket).unwrap());
                let start = first * (power - 1.0) / (ratio - 1.0);
                assert_eq!(
                    table.bucket_starts[bucket].to_bits(),
                    start.to_bits(),
                    "bucket {bucket} of {first:e}"
                );
            }
        }
        // And the options read them.
        for options in [HistogramOptions::vpa_cpu(), HistogramOptions::vpa_memory()] {
            let Bucketing::Exponential {
                first_bucket_size,
                ratio,
            } = options.bucketing
            else {
                unreachable!()
            };
            for bucket in 0..VPA_NUM_BUCKETS {
                let exponent = core::hint::black_box(i64::try_from(bucket).unwrap());
                let expected = if bucket == 0 {
                    0.0
                } else {
                    first_bucket_size * (pow_int(ratio, exponent) - 1.0) / (ratio - 1.0)
                };
                assert_eq!(options.start_of(bucket).to_bits(), expected.to_bits());
            }
        }
    }

    /// The cell index gives the binary search's answer at both edges of every cell, and in
    /// the middle of each.
    #[test]
    fn the_cell_index_agrees_with_a_binary_search() {
        for table in [&VPA_CPU_BOUNDARIES, &VPA_MEMORY_BOUNDARIES] {
            let search = |v: f64| table.starts.partition_point(|start| *start <= v);
            for cell in 0..=CELLS as u64 {
                let edge = (table.first_cell + cell) << CELL_SHIFT;
                for bits in [edge - 1, edge, edge + 1, edge + (1 << (CELL_SHIFT - 1))] {
                    let v = f64::from_bits(bits);
                    assert_eq!(table.find(v), search(v), "{v:e}");
                }
            }
        }
    }

    #[test]
    fn invalid_options_are_refused() {
        let err = |field, value| HistogramError::InvalidOption {
            field,
            value,
            requirement: POSITIVE,
        };
        assert_eq!(
            HistogramOptions::linear(0.0, 1.0, 1.0),
            Err(err("maxValue", 0.0))
        );
        assert_eq!(
            HistogramOptions::linear(1.0, -1.0, 1.0),
            Err(err("bucketSize", -1.0))
        );
        assert!(HistogramOptions::linear(1.0, 1.0, f64::NAN).is_err());
        assert!(HistogramOptions::linear(f64::INFINITY, 1.0, 1.0).is_err());
        assert!(HistogramOptions::linear(1e300, 1e-300, 1.0).is_err());
        assert!(HistogramOptions::exponential(1.0, 0.0, 2.0, 1.0).is_err());
        assert!(HistogramOptions::exponential(1.0, 1.0, f64::NAN, 1.0).is_err());
        assert!(HistogramOptions::exponential(1e300, 1e-300, 1.000_000_000_1, 1.0).is_err());
    }

    #[test]
    fn find_bucket_is_total() {
        for options in [
            HistogramOptions::vpa_memory(),
            HistogramOptions::linear(10.0, 1.0, 1e-15).unwrap_or(HistogramOptions::vpa_cpu()),
        ] {
            let last = options.num_buckets() - 1;
            assert_eq!(options.find_bucket(f64::NAN), 0);
            assert_eq!(options.find_bucket(f64::NEG_INFINITY), 0);
            assert_eq!(options.find_bucket(f64::INFINITY), last);
            assert_eq!(options.find_bucket(f64::MAX), last);
            assert_eq!(options.find_bucket(-0.0), 0);
        }
    }
}
