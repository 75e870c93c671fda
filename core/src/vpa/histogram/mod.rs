//! The VPA recommender's histograms, bit-exact with upstream on linux/amd64: Go's math
//! ([`go_math`]) and time arithmetic ([`go_time`]), histogram options, plain and decaying
//! histograms, checkpoints, and the import of upstream's `VerticalPodAutoscalerCheckpoint` JSON.
//!
//! | file | upstream |
//! | --- | --- |
//! | [`go_math`], [`go_time`] | Go's `math.Log`/`Exp2`/`Pow`/`Ldexp`/`Frexp`, `time.Time.Sub`/`Round` |
//! | `options.rs`: [`HistogramOptions`] | `util/histogram_options.go`, `model/aggregations_config.go` |
//! | `histogram.rs`: [`Histogram`] | `util/histogram.go` |
//! | `decaying_histogram.rs`: [`DecayingHistogram`] | `util/decaying_histogram.go` |
//! | `checkpoint.rs`: [`HistogramCheckpoint`] | `HistogramCheckpoint`, `SaveToChekpoint`, `LoadFromCheckpoint` |
//! | `checkpoint_import.rs`: [`VpaCheckpointStatus`] | `VerticalPodAutoscalerCheckpointStatus` JSON |
//!
//! Everything is fixed-size: a histogram holds `N` bucket weights (by default
//! [`VPA_NUM_BUCKETS`] = 176, the VPA defaults' count), a checkpoint at most `N` stored buckets.
//! Operations where upstream panics (negative weights, merging different options, out-of-range
//! checkpoint buckets) or would compute with NaN return a [`HistogramError`] instead, leaving
//! the histogram unchanged.
//!
//! ```
//! use podscale::vpa::DecayingHistogram;
//! // NewDecayingHistogram(memoryHistogramOptions, 24h), as the recommender makes it.
//! let mut memory = DecayingHistogram::vpa_memory();
//! memory.add_sample(600e6, 1.0, 1_700_086_400_000)?;
//! assert_eq!(memory.percentile(0.95), 623227119.0763164); // the end of bucket 28
//! # Ok::<(), podscale::vpa::HistogramError>(())
//! ```

mod checkpoint;
mod checkpoint_import;
mod decaying_histogram;
mod error;
pub mod go_math;
pub mod go_time;
// `histogram::histogram`: the plain histogram is one concept among this module's several.
#[allow(clippy::module_inception)]
mod histogram;
mod json_lexer;
mod options;
mod rfc3339;

pub use checkpoint::{BucketWeight, HISTOGRAM_CHECKPOINT_VERSION, HistogramCheckpoint};
pub use checkpoint_import::{
    CheckpointImportError, ImportProblem, JsonPath, JsonSnippet, PathTail, VPA_CHECKPOINT_VERSION,
    VpaCheckpointStatus,
};
pub use decaying_histogram::{
    DecayingHistogram, MAX_DECAY_EXPONENT, MAX_HALF_LIFE_MS, VPA_DEFAULT_HALF_LIFE_MS,
};
pub use error::HistogramError;
pub use go_time::GO_ZERO_TIME_MS;
pub use histogram::{Histogram, MAX_CHECKPOINT_WEIGHT};
pub use json_lexer::JsonType;
pub use options::{
    Bucketing, HistogramOptions, VPA_BUCKET_SIZE_GROWTH, VPA_HISTOGRAM_EPSILON, VPA_NUM_BUCKETS,
};
