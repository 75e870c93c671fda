//! Histograms: options, plain and decaying histograms, checkpoints (upstream
//! `pkg/recommender/util`).
//!
//! A case builds options (the recommender's CPU or memory options, or random linear or
//! exponential ones, a few of them invalid), a plain or decaying histogram over them, and runs a
//! random sequence of operations; every answer (percentiles and bucket starts by their bits, the
//! checkpoints, and the full state: every bucket weight's bits, the total, the bucket range and
//! the decay reference) must be upstream's.
//!
//! Excluded, and why:
//! * NaN and infinite values, weights and options: Go converts NaN and out-of-range floats to
//!   `int` in an implementation-defined way (bucket indices), and podscale refuses them.
//! * Negative weights: upstream panics (podscale returns an error).
//! * Weights that would overflow to infinity: upstream carries on with `Inf` and then NaN,
//!   podscale refuses them. Values stay below 1e4 and decay factors below 2^100 (the reference
//!   moves after 100 half-lives), so no sum comes near `f64::MAX`.
//! * Linear bucket indices `value / bucket_size` of 2^63 or more: Go's float-to-int conversion
//!   overflows (implementation-defined); values stay within 16 times `max_value`.
//! * Half-lives above `MAX_HALF_LIFE_MS`: `100 * halfLife` overflows Go's `time.Duration`.
//! * Checkpoints with duplicate buckets: upstream's checkpoint is a Go map.

use podscale::vpa::{
    BucketWeight, DecayingHistogram, GO_ZERO_TIME_MS, Histogram, HistogramCheckpoint,
    HistogramError, HistogramOptions, MAX_HALF_LIFE_MS, VPA_DEFAULT_HALF_LIFE_MS,
};
use proptest::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::{log_uniform, refused};

/// Bucket capacity of the histograms under test: generated options never need more.
const CAPACITY: usize = 512;

/// Longest operation sequence.
const MAX_OPS: usize = 40;

/// Histogram options as upstream's constructors take them.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptionsCase {
    /// The recommender's CPU options (cores).
    Cpu,
    /// The recommender's memory options (bytes).
    Memory,
    /// `NewLinearHistogramOptions(max_value, bucket_size, epsilon)`.
    Linear {
        /// `maxValue`.
        max_value: f64,
        /// `bucketSize`.
        bucket_size: f64,
        /// `epsilon`.
        epsilon: f64,
    },
    /// `NewExponentialHistogramOptions(max_value, first_bucket_size, ratio, epsilon)`.
    Exponential {
        /// `maxValue`.
        max_value: f64,
        /// `firstBucketSize`.
        first_bucket_size: f64,
        /// `ratio`.
        ratio: f64,
        /// `epsilon`.
        epsilon: f64,
    },
}

impl OptionsCase {
    /// podscale's options.
    fn build(&self) -> Result<HistogramOptions, HistogramError> {
        match *self {
            Self::Cpu => Ok(HistogramOptions::vpa_cpu()),
            Self::Memory => Ok(HistogramOptions::vpa_memory()),
            Self::Linear {
                max_value,
                bucket_size,
                epsilon,
            } => HistogramOptions::linear(max_value, bucket_size, epsilon),
            Self::Exponential {
                max_value,
                first_bucket_size,
                ratio,
                epsilon,
            } => HistogramOptions::exponential(max_value, first_bucket_size, ratio, epsilon),
        }
    }
}

/// A checkpoint to load: the total and `[index, weight]` pairs in increasing index order.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointCase {
    /// `TotalWeight`.
    pub total_weight: f64,
    /// `BucketWeights`.
    pub bucket_weights: Vec<[u32; 2]>,
    /// `ReferenceTimestamp`, Unix milliseconds.
    pub reference_ms: i64,
}

/// One histogram operation.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum HistogramOp {
    /// `AddSample(value, weight, t)`.
    Add {
        /// The sample.
        value: f64,
        /// Its weight (before decay).
        weight: f64,
        /// When it was taken (only decaying histograms read it).
        t_ms: i64,
    },
    /// `SubtractSample(value, weight, t)`.
    Sub {
        /// The sample.
        value: f64,
        /// Its weight (before decay).
        weight: f64,
        /// When it was taken.
        t_ms: i64,
    },
    /// `Percentile(p)`, by bits.
    Percentile {
        /// The quantile, usually in `[0, 1]`.
        p: f64,
    },
    /// `IsEmpty()`.
    IsEmpty,
    /// `options.NumBuckets()`.
    NumBuckets,
    /// `options.FindBucket(value)`.
    FindBucket {
        /// The value.
        value: f64,
    },
    /// `options.GetBucketStart(bucket)`, by bits.
    BucketStart {
        /// An existing bucket.
        bucket: usize,
    },
    /// `SaveToChekpoint()`.
    Save,
    /// `LoadFromCheckpoint(checkpoint)`: "ok" or "error".
    Load {
        /// The checkpoint.
        checkpoint: CheckpointCase,
    },
    /// A fresh histogram loaded from this one's checkpoint replaces it.
    Reload,
    /// A fresh histogram gets `other`, then is merged into this one.
    Merge {
        /// `Add` and `Sub` operations only.
        other: Vec<HistogramOp>,
    },
    /// Every field: weights, total, bucket range, reference.
    State,
}

/// Options, the kind of histogram, and the operations.
#[derive(Debug, Clone, Serialize)]
pub struct HistogramCase {
    /// The bucketing.
    pub options: OptionsCase,
    /// `None`: `NewHistogram`; otherwise `NewDecayingHistogram` with this half-life.
    pub half_life_ms: Option<i64>,
    /// Applied in order.
    pub ops: Vec<HistogramOp>,
}

/// Random histogram cases.
pub fn cases() -> BoxedStrategy<HistogramCase> {
    let half_life = prop_oneof![
        2 => Just(None),
        1 => Just(Some(VPA_DEFAULT_HALF_LIFE_MS)),
        1 => (1_000i64..=MAX_HALF_LIFE_MS).prop_map(Some),
        2 => log_uniform(1_000.0, MAX_HALF_LIFE_MS as f64)
            .prop_map(|ms| Some((ms as i64).clamp(1, MAX_HALF_LIFE_MS))),
    ];
    (options(), half_life)
        .prop_flat_map(|(options, half_life_ms)| {
            let built = options.build().ok();
            let base = 1_000_000_000_000i64..2_000_000_000_000;
            (Just(options), Just(half_life_ms), base).prop_flat_map(
                move |(options, half_life_ms, base)| {
                    let ops = proptest::collection::vec(op(built, base, half_life_ms), 0..MAX_OPS);
                    (Just(options), Just(half_life_ms), ops)
                },
            )
        })
        .prop_map(|(options, half_life_ms, ops)| HistogramCase {
            options,
            half_life_ms,
            ops,
        })
        .boxed()
}

/// Epsilons: upstream's, the tests' 1e-15, and anything from 1e-12 to 1.
fn epsilon() -> impl Strategy<Value = f64> {
    prop_oneof![Just(1e-4), Just(1e-15), log_uniform(1e-12, 1.0)]
}

/// Options: the defaults, random valid linear and exponential ones (at most [`CAPACITY`]
/// buckets), and a few invalid ones (a parameter 0 or negative, a ratio of at most 1), which
/// both sides must refuse.
fn options() -> impl Strategy<Value = OptionsCase> {
    let linear = (log_uniform(1e-3, 1e9), 1.0..450.0f64, epsilon()).prop_map(
        |(max_value, buckets, epsilon)| OptionsCase::Linear {
            max_value,
            bucket_size: max_value / buckets,
            epsilon,
        },
    );
    let exponential = (
        log_uniform(1e-3, 1e7),
        prop_oneof![Just(1.05), 1.0001..4.0f64],
        1.0..400.0f64,
        epsilon(),
    )
        .prop_map(|(first_bucket_size, ratio, buckets, epsilon)| {
            // About `buckets` buckets: the start of bucket n is first*(ratio^n - 1)/(ratio - 1).
            let max_value = first_bucket_size * (ratio.powf(buckets) - 1.0) / (ratio - 1.0);
            OptionsCase::Exponential {
                max_value,
                first_bucket_size,
                ratio,
                epsilon,
            }
        });
    let invalid = (
        prop_oneof![Just(0.0), Just(-1.0), log_uniform(1e-3, 1e3)],
        prop_oneof![Just(0.0), Just(-0.5), log_uniform(1e-3, 1.0)],
        prop_oneof![Just(1.0), Just(0.5), Just(1.5)],
        prop_oneof![Just(0.0), Just(-1e-4), Just(1e-4)],
        any::<bool>(),
    )
        .prop_map(|(max_value, size, ratio, epsilon, linear)| {
            if linear {
                OptionsCase::Linear {
                    max_value,
                    bucket_size: size,
                    epsilon,
                }
            } else {
                OptionsCase::Exponential {
                    max_value,
                    first_bucket_size: size,
                    ratio,
                    epsilon,
                }
            }
        });
    prop_oneof![
        3 => Just(OptionsCase::Cpu),
        3 => Just(OptionsCase::Memory),
        3 => linear,
        3 => exponential,
        1 => invalid,
    ]
    .prop_filter("at most CAPACITY buckets", |o| {
        o.build().map_or(true, |b| b.num_buckets() <= CAPACITY)
    })
}

/// Sample values for `options`: bucket starts exactly (and just below), values spread from
/// far below the first bucket to 16 times `max_value`, zero and negatives.
fn value(options: Option<HistogramOptions>) -> BoxedStrategy<f64> {
    let Some(options) = options else {
        return prop_oneof![Just(0.0), -10.0..10.0f64].boxed();
    };
    let max = options.max_value();
    let buckets = options.num_buckets();
    let start = move |b: usize| options.bucket_start(b.min(buckets - 1)).unwrap_or(0.0);
    prop_oneof![
        2 => (0..buckets).prop_map(start),
        1 => (1..buckets).prop_map(move |b| just_below(start(b))),
        3 => log_uniform(max * 1e-9, max * 16.0),
        1 => 0.0..=max,
        1 => Just(0.0),
        1 => log_uniform(1e-9, max * 16.0).prop_map(|v| -v),
    ]
    .boxed()
}

/// The largest double below a positive finite `x` (`f64::next_down`, newer than the MSRV).
fn just_below(x: f64) -> f64 {
    if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        x
    }
}

/// Weights: zero, below any epsilon, the recommender's 0.1 and 1.0, and up to 1e4.
fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(0.0),
        2 => Just(0.1),
        2 => Just(1.0),
        1 => log_uniform(1e-9, 1e-3),
        4 => log_uniform(1e-6, 1e4),
    ]
}

/// Sample times around `base`: within the hour, the month, decades ahead (forcing reference
/// shifts far apart), and before `base` (older than the reference).
fn time(base: i64, half_life_ms: Option<i64>) -> BoxedStrategy<i64> {
    let half_life = half_life_ms.unwrap_or(VPA_DEFAULT_HALF_LIFE_MS);
    prop_oneof![
        3 => (0i64..3_600_000).prop_map(move |d| base + d),
        3 => (0i64..30 * 86_400_000).prop_map(move |d| base + d),
        1 => (0i64..50 * 365 * 86_400_000).prop_map(move |d| base + d),
        // Right around 100 half-lives after base, where the reference moves.
        1 => (-2i64..=2).prop_map(move |k| base.saturating_add(half_life.saturating_mul(100)) + k),
        1 => (0i64..30 * 86_400_000).prop_map(move |d| base - d),
    ]
    .boxed()
}

fn sample(
    options: Option<HistogramOptions>,
    base: i64,
    half_life_ms: Option<i64>,
) -> impl Strategy<Value = HistogramOp> {
    (
        // Mostly adds, so that histograms fill up; a subtraction of more than a bucket holds
        // empties it.
        proptest::bool::weighted(0.8),
        value(options),
        weight(),
        time(base, half_life_ms),
    )
        .prop_map(|(add, value, weight, t_ms)| {
            if add {
                HistogramOp::Add {
                    value,
                    weight,
                    t_ms,
                }
            } else {
                HistogramOp::Sub {
                    value,
                    weight,
                    t_ms,
                }
            }
        })
}

fn checkpoint(
    options: Option<HistogramOptions>,
    base: i64,
    half_life_ms: Option<i64>,
) -> impl Strategy<Value = CheckpointCase> {
    let buckets = options.map_or(1, |o| o.num_buckets()) as u32;
    let total = prop_oneof![
        1 => Just(0.0),
        1 => Just(-1.0),
        6 => log_uniform(1e-6, 1e6),
    ];
    // Indices up to 3 past the last bucket (refused by both); weights up to MaxCheckpointWeight
    // and, rarely, beyond.
    let entries = proptest::collection::btree_map(
        0..buckets + 3,
        prop_oneof![4 => 0u32..=10_000, 1 => Just(0u32), 1 => any::<u32>()],
        0..12,
    );
    let reference = prop_oneof![
        Just(GO_ZERO_TIME_MS),
        time(base, half_life_ms),
        time(base, half_life_ms).prop_map(move |t| {
            let h = half_life_ms.unwrap_or(VPA_DEFAULT_HALF_LIFE_MS);
            t - t.rem_euclid(h)
        }),
    ];
    (total, entries, reference).prop_map(|(total_weight, entries, reference_ms)| CheckpointCase {
        total_weight,
        bucket_weights: entries.into_iter().map(|(i, w)| [i, w]).collect(),
        reference_ms,
    })
}

fn op(
    options: Option<HistogramOptions>,
    base: i64,
    half_life_ms: Option<i64>,
) -> impl Strategy<Value = HistogramOp> {
    let buckets = options.map_or(1, |o| o.num_buckets());
    let p = prop_oneof![
        Just(0.0),
        Just(0.5),
        Just(0.9),
        Just(0.95),
        Just(1.0),
        0.0..=1.0f64,
        -0.1..1.1f64,
    ];
    prop_oneof![
        12 => sample(options, base, half_life_ms),
        4 => p.prop_map(|p| HistogramOp::Percentile { p }),
        1 => Just(HistogramOp::IsEmpty),
        1 => Just(HistogramOp::NumBuckets),
        1 => value(options).prop_map(|value| HistogramOp::FindBucket { value }),
        1 => (0..buckets).prop_map(|bucket| HistogramOp::BucketStart { bucket }),
        1 => Just(HistogramOp::Save),
        1 => checkpoint(options, base, half_life_ms).prop_map(|checkpoint| HistogramOp::Load { checkpoint }),
        1 => Just(HistogramOp::Reload),
        1 => proptest::collection::vec(sample(options, base, half_life_ms), 0..6)
            .prop_map(|other| HistogramOp::Merge { other }),
        2 => Just(HistogramOp::State),
    ]
}

/// The histogram under test, plain or decaying.
#[derive(Debug, Clone)]
enum Subject {
    Plain(Histogram<CAPACITY>),
    Decaying(DecayingHistogram<CAPACITY>),
}

impl Subject {
    fn new(options: HistogramOptions, half_life_ms: Option<i64>) -> Result<Self, HistogramError> {
        Ok(match half_life_ms {
            None => Self::Plain(Histogram::new(options)?),
            Some(h) => Self::Decaying(DecayingHistogram::new(options, h)?),
        })
    }

    fn plain(&self) -> &Histogram<CAPACITY> {
        match self {
            Self::Plain(h) => h,
            Self::Decaying(h) => h.histogram(),
        }
    }

    fn reference_ms(&self) -> i64 {
        match self {
            Self::Plain(_) => GO_ZERO_TIME_MS,
            Self::Decaying(h) => h.reference_ms(),
        }
    }

    fn sample(
        &mut self,
        add: bool,
        value: f64,
        weight: f64,
        t_ms: i64,
    ) -> Result<(), HistogramError> {
        match (self, add) {
            (Self::Plain(h), true) => h.add_sample(value, weight),
            (Self::Plain(h), false) => h.subtract_sample(value, weight),
            (Self::Decaying(h), true) => h.add_sample(value, weight, t_ms),
            (Self::Decaying(h), false) => h.subtract_sample(value, weight, t_ms),
        }
    }

    fn save(&self) -> HistogramCheckpoint<CAPACITY> {
        match self {
            Self::Plain(h) => h.save_checkpoint(),
            Self::Decaying(h) => h.save_checkpoint(),
        }
    }

    fn load(&mut self, checkpoint: &HistogramCheckpoint<CAPACITY>) -> Result<(), HistogramError> {
        match self {
            Self::Plain(h) => h.load_checkpoint(checkpoint),
            Self::Decaying(h) => h.load_checkpoint(checkpoint),
        }
    }

    fn merge(&mut self, other: &mut Self) -> Result<(), HistogramError> {
        match (self, other) {
            (Self::Plain(h), Self::Plain(o)) => h.merge(o),
            (Self::Decaying(h), Self::Decaying(o)) => h.merge(o),
            _ => Err(HistogramError::OptionsMismatch),
        }
    }
}

/// A saved checkpoint in the harness's shape.
fn checkpoint_answer(checkpoint: &HistogramCheckpoint<CAPACITY>) -> Value {
    let buckets: Vec<[u32; 2]> = checkpoint
        .bucket_weights
        .iter()
        .map(|b| [b.index, b.weight])
        .collect();
    json!({
        "total_weight_bits": checkpoint.total_weight.to_bits(),
        "bucket_weights": buckets,
        "reference_ms": checkpoint.reference_ms,
    })
}

/// podscale's answer to `case`, in the harness's shape.
pub fn podscale(case: &HistogramCase) -> Value {
    let options = match case.options.build() {
        Ok(options) => options,
        Err(_) => return json!({ "options_error": true, "results": [] }),
    };
    let fresh = || Subject::new(options, case.half_life_ms);
    let mut h = match fresh() {
        Ok(h) => h,
        Err(e) => return refused("new histogram", e),
    };
    let mut results = Vec::with_capacity(case.ops.len());
    for op in &case.ops {
        let result = match op {
            HistogramOp::Add {
                value,
                weight,
                t_ms,
            } => h.sample(true, *value, *weight, *t_ms).map(|()| Value::Null),
            HistogramOp::Sub {
                value,
                weight,
                t_ms,
            } => h
                .sample(false, *value, *weight, *t_ms)
                .map(|()| Value::Null),
            HistogramOp::Percentile { p } => Ok(json!(h.plain().percentile(*p).to_bits())),
            HistogramOp::IsEmpty => Ok(json!(h.plain().is_empty())),
            HistogramOp::NumBuckets => Ok(json!(options.num_buckets())),
            HistogramOp::FindBucket { value } => Ok(json!(options.find_bucket(*value))),
            HistogramOp::BucketStart { bucket } => {
                Ok(json!(options.bucket_start(*bucket).map(f64::to_bits)))
            }
            HistogramOp::Save => Ok(checkpoint_answer(&h.save())),
            HistogramOp::Load { checkpoint } => load(&mut h, options, checkpoint),
            HistogramOp::Reload => {
                let saved = h.save();
                fresh().and_then(|mut reloaded| {
                    reloaded.load(&saved)?;
                    h = reloaded;
                    Ok(Value::Null)
                })
            }
            HistogramOp::Merge { other } => merge(&mut h, &fresh, other),
            HistogramOp::State => Ok(state(&h)),
        };
        match result {
            Ok(value) => results.push(value),
            Err(e) => return refused(&format!("op {} ({op:?})", results.len()), e),
        }
    }
    json!({ "options_error": false, "results": results })
}

/// `LoadFromCheckpoint`: upstream's two errors answer "error", anything else podscale refuses
/// is a disagreement.
fn load(
    h: &mut Subject,
    options: HistogramOptions,
    case: &CheckpointCase,
) -> Result<Value, HistogramError> {
    let mut checkpoint = HistogramCheckpoint::<CAPACITY>::empty(options);
    checkpoint.total_weight = case.total_weight;
    checkpoint.reference_ms = case.reference_ms;
    for &[index, weight] in &case.bucket_weights {
        if checkpoint
            .bucket_weights
            .push(BucketWeight::new(index, weight))
            .is_err()
        {
            return Err(HistogramError::TooManyBuckets {
                needed: case.bucket_weights.len(),
                capacity: CAPACITY,
            });
        }
    }
    match h.load(&checkpoint) {
        Ok(()) => Ok(json!("ok")),
        Err(
            HistogramError::InvalidTotalWeight { .. } | HistogramError::BucketOutOfRange { .. },
        ) => Ok(json!("error")),
        Err(e) => Err(e),
    }
}

fn merge(
    h: &mut Subject,
    fresh: &impl Fn() -> Result<Subject, HistogramError>,
    other_ops: &[HistogramOp],
) -> Result<Value, HistogramError> {
    let mut other = fresh()?;
    for op in other_ops {
        match op {
            HistogramOp::Add {
                value,
                weight,
                t_ms,
            } => other.sample(true, *value, *weight, *t_ms)?,
            HistogramOp::Sub {
                value,
                weight,
                t_ms,
            } => other.sample(false, *value, *weight, *t_ms)?,
            _ => {}
        }
    }
    h.merge(&mut other)?;
    Ok(Value::Null)
}

fn state(h: &Subject) -> Value {
    let plain = h.plain();
    let weights: Vec<u64> = plain.bucket_weights().iter().map(|w| w.to_bits()).collect();
    json!({
        "weight_bits": weights,
        "total_weight_bits": plain.total_weight().to_bits(),
        "min_bucket": plain.min_bucket(),
        "max_bucket": plain.max_bucket(),
        "reference_ms": h.reference_ms(),
    })
}
