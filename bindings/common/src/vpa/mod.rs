//! The VerticalPodAutoscaler recommender: histograms (plain and decaying) and their
//! checkpoints, the aggregate state of a container name fed by each pod's container, the
//! recommendation, and the post-processing (the VPA's resource policy, capping to limit ranges,
//! proportional limits, the updater's priority).
//!
//! Resource lists are as in manifests: `{"cpu": "587m", "memory": "250Mi"}`; checkpoints are
//! the `VerticalPodAutoscalerCheckpoint` status's shape (`referenceTimestamp`,
//! `bucketWeights`, `totalWeight`).
//!
//! ```
//! use podscale_bindings::vpa::{AggregationOptions, ContainerAggregate, ContainerState, RecommenderOptions, recommend};
//! let mut aggregate = ContainerAggregate::new(&AggregationOptions::default(), 0, false)?;
//! let mut container = ContainerState::default();
//! let start = 1_700_000_000_000;
//! for minute in 0..60 {
//!     let t = start + minute * 60_000;
//!     container.add_cpu_sample(&mut aggregate, t, 500)?;      // half a core
//!     container.add_memory_sample(&mut aggregate, t, 4 << 20)?; // 4 MiB
//! }
//! let list = recommend(&RecommenderOptions::default(), &[("app", &aggregate)])?;
//! assert_eq!(list[0].target.cpu.unwrap().0, 587);   // 500m's bucket ends at 511m, plus 15%
//! assert_eq!(list[0].target.memory.unwrap().0, 262_144_000); // the pod minimum, 250Mi
//! # Ok::<(), podscale_bindings::Error>(())
//! ```

mod post;

use std::collections::BTreeMap;

use podscale::vpa::{self as core, GO_ZERO_TIME_MS, HistogramError, SampleHistogram};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::units::{Bytes, Duration, Instant, Milli};

/// The estimator's arithmetic, as the core gives it.
pub use podscale::vpa::{
    HumanizedMemory, RecommendationFormat, bytes_from_memory_amount, cores_from_cpu_amount,
    cpu_amount_from_cores, memory_amount_from_bytes, pod_min_resources, round_up_to_scale,
    scale_resource, with_confidence_multiplier, with_margin, with_min_resource,
};
pub use post::*;

fn histogram_error(e: HistogramError) -> Error {
    Error::refused(e.to_string())
}

/// A resource list: `cpu` (a quantity of cores) and `memory` (bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceList {
    /// `cpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Milli>,
    /// `memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
}

impl ResourceList {
    /// The core's resources.
    pub fn to_core(self) -> core::Resources {
        core::Resources {
            cpu_m: self.cpu.map(|q| q.0),
            memory_bytes: self.memory.map(|q| q.0),
        }
    }

    /// From the core's resources.
    pub fn from_core(r: core::Resources) -> Self {
        Self {
            cpu: r.cpu_m.map(Milli),
            memory: r.memory_bytes.map(Bytes),
        }
    }
}

// ---- histogram options ----------------------------------------------------------------------

/// A histogram's bucketing: the VPA's presets (`{"preset": "cpu"}`, `{"preset": "memory"}`) or
/// explicit `linear` and `exponential` options as upstream constructs them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistogramOptionsSpec {
    /// `cpu` or `memory`: the recommender's own options.
    #[serde(default)]
    pub preset: Option<ResourceKindName>,
    /// `linear` or `exponential`.
    #[serde(default, rename = "type")]
    pub kind: Option<BucketingKind>,
    /// Largest value.
    #[serde(default)]
    pub max_value: Option<f64>,
    /// Bucket size (linear).
    #[serde(default)]
    pub bucket_size: Option<f64>,
    /// First bucket's size (exponential).
    #[serde(default)]
    pub first_bucket_size: Option<f64>,
    /// Growth ratio (exponential).
    #[serde(default)]
    pub ratio: Option<f64>,
    /// Weights below it count as empty.
    #[serde(default)]
    pub epsilon: Option<f64>,
}

/// `cpu` or `memory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKindName {
    /// CPU.
    Cpu,
    /// Memory.
    Memory,
}

impl ResourceKindName {
    /// The core's kind.
    pub fn to_core(self) -> core::ResourceKind {
        match self {
            Self::Cpu => core::ResourceKind::Cpu,
            Self::Memory => core::ResourceKind::Memory,
        }
    }
}

/// A bucketing's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BucketingKind {
    /// Equal buckets.
    Linear,
    /// Buckets growing by a ratio.
    Exponential,
}

impl HistogramOptionsSpec {
    /// The core's options.
    ///
    /// # Errors
    ///
    /// A missing parameter, or options upstream refuses (naming the parameter).
    pub fn to_core(&self) -> Result<core::HistogramOptions> {
        let need = |v: Option<f64>, name: &str| {
            v.ok_or_else(|| Error::validation(name, "missing: this bucketing needs it"))
        };
        let built = match (self.preset, self.kind) {
            (Some(ResourceKindName::Cpu), None) => return Ok(core::HistogramOptions::vpa_cpu()),
            (Some(ResourceKindName::Memory), None) => {
                return Ok(core::HistogramOptions::vpa_memory());
            }
            (Some(_), Some(_)) => {
                return Err(Error::validation(
                    "preset",
                    "give a preset or a type, not both",
                ));
            }
            (None, None) => {
                return Err(Error::validation(
                    "type",
                    "missing: linear or exponential (or a preset)",
                ));
            }
            (None, Some(BucketingKind::Linear)) => core::HistogramOptions::linear(
                need(self.max_value, "maxValue")?,
                need(self.bucket_size, "bucketSize")?,
                need(self.epsilon, "epsilon")?,
            ),
            (None, Some(BucketingKind::Exponential)) => core::HistogramOptions::exponential(
                need(self.max_value, "maxValue")?,
                need(self.first_bucket_size, "firstBucketSize")?,
                need(self.ratio, "ratio")?,
                need(self.epsilon, "epsilon")?,
            ),
        };
        built.map_err(|e| Error::validation("", e.to_string()))
    }
}

/// A histogram's bucketing, read once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramOptions(pub core::HistogramOptions);

impl HistogramOptions {
    /// Options from their spec.
    ///
    /// # Errors
    ///
    /// As [`HistogramOptionsSpec::to_core`].
    pub fn new(spec: &HistogramOptionsSpec) -> Result<Self> {
        spec.to_core().map(Self)
    }

    /// The number of buckets.
    pub fn num_buckets(&self) -> usize {
        self.0.num_buckets()
    }

    /// The bucket `value` falls in.
    pub fn find_bucket(&self, value: f64) -> usize {
        self.0.find_bucket(value)
    }

    /// Where bucket `bucket` starts (`None` past the last).
    pub fn bucket_start(&self, bucket: usize) -> Option<f64> {
        self.0.bucket_start(bucket)
    }
}

// ---- histograms -----------------------------------------------------------------------------

/// A histogram checkpoint, as a `VerticalPodAutoscalerCheckpoint` stores it: weights scaled to
/// integers (the largest 10000) by bucket index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistogramCheckpoint {
    /// The decaying histogram's reference instant (absent for Go's zero time).
    #[serde(default)]
    pub reference_timestamp: Option<Instant>,
    /// Bucket index to scaled weight.
    #[serde(default)]
    pub bucket_weights: BTreeMap<u32, u32>,
    /// The total weight.
    pub total_weight: f64,
}

impl HistogramCheckpoint {
    fn from_core(c: &core::HistogramCheckpoint) -> Self {
        Self {
            reference_timestamp: (c.reference_ms != GO_ZERO_TIME_MS)
                .then_some(Instant(c.reference_ms)),
            bucket_weights: c
                .bucket_weights
                .iter()
                .map(|b| (b.index, b.weight))
                .collect(),
            total_weight: c.total_weight,
        }
    }

    fn to_core(&self, options: core::HistogramOptions) -> Result<core::HistogramCheckpoint> {
        let mut c = core::HistogramCheckpoint::empty(options);
        c.total_weight = self.total_weight;
        c.reference_ms = self.reference_timestamp.map_or(GO_ZERO_TIME_MS, |t| t.0);
        for (index, weight) in &self.bucket_weights {
            c.bucket_weights
                .push(core::BucketWeight::new(*index, *weight))
                .map_err(|_| {
                    Error::validation("bucketWeights", "more buckets than the histogram has")
                })?;
        }
        Ok(c)
    }
}

/// A histogram's state, its non-empty buckets listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistogramState {
    /// The first non-empty bucket (0 when empty).
    pub min_bucket: usize,
    /// The last non-empty bucket (0 when empty).
    pub max_bucket: usize,
    /// The total weight.
    pub total_weight: f64,
    /// `[bucket, weight]` of every non-empty bucket.
    pub bucket_weights: Vec<(usize, f64)>,
    /// The decaying histogram's reference instant.
    pub reference_timestamp: Option<Instant>,
}

fn state_of(h: &core::Histogram, reference_ms: Option<i64>) -> HistogramState {
    HistogramState {
        min_bucket: h.min_bucket(),
        max_bucket: h.max_bucket(),
        total_weight: h.total_weight(),
        bucket_weights: h
            .bucket_weights()
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, w)| *w != 0.0)
            .collect(),
        reference_timestamp: reference_ms.map(Instant),
    }
}

/// A VPA histogram: plain, or decaying with a half-life (samples weigh more the newer they
/// are, as the recommender's do). Serializes exactly (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Histogram {
    /// Without decay.
    Plain(Box<core::Histogram>),
    /// With decay.
    Decaying(Box<core::DecayingHistogram>),
}

impl Histogram {
    /// A histogram with `options`, decaying when `half_life_ms` is given.
    ///
    /// # Errors
    ///
    /// Options or a half-life upstream refuses.
    pub fn new(options: &HistogramOptions, half_life_ms: Option<i64>) -> Result<Self> {
        Ok(match half_life_ms {
            None => Self::Plain(Box::new(
                core::Histogram::new(options.0)
                    .map_err(|e| Error::validation("options", e.to_string()))?,
            )),
            Some(h) => Self::Decaying(Box::new(
                core::DecayingHistogram::new(options.0, h)
                    .map_err(|e| Error::validation("halfLife", e.to_string()))?,
            )),
        })
    }

    /// The underlying histogram (the decaying one's weights are scaled by its reference).
    pub fn histogram(&self) -> &core::Histogram {
        match self {
            Self::Plain(h) => h,
            Self::Decaying(h) => h.histogram(),
        }
    }

    /// The decaying histogram's reference instant.
    pub fn reference_ms(&self) -> Option<i64> {
        match self {
            Self::Plain(_) => None,
            Self::Decaying(h) => Some(h.reference_ms()),
        }
    }

    /// Adds a sample (the time is ignored by a plain histogram).
    ///
    /// # Errors
    ///
    /// A negative weight or a value upstream refuses; the histogram is unchanged.
    pub fn add_sample(&mut self, value: f64, weight: f64, time_ms: i64) -> Result<()> {
        match self {
            Self::Plain(h) => h.add_sample(value, weight),
            Self::Decaying(h) => h.add_sample(value, weight, time_ms),
        }
        .map_err(histogram_error)
    }

    /// Subtracts a sample.
    ///
    /// # Errors
    ///
    /// As [`Histogram::add_sample`].
    pub fn subtract_sample(&mut self, value: f64, weight: f64, time_ms: i64) -> Result<()> {
        match self {
            Self::Plain(h) => h.subtract_sample(value, weight),
            Self::Decaying(h) => h.subtract_sample(value, weight, time_ms),
        }
        .map_err(histogram_error)
    }

    /// Adds every sample of `other`.
    ///
    /// # Errors
    ///
    /// Histograms of different kinds or options.
    pub fn merge(&mut self, other: &Self) -> Result<()> {
        match (self, other) {
            (Self::Plain(h), Self::Plain(o)) => h.merge(o).map_err(histogram_error),
            (Self::Decaying(h), Self::Decaying(o)) => {
                let mut o = o.clone();
                h.merge(&mut o).map_err(histogram_error)
            }
            _ => Err(Error::validation(
                "",
                "a plain and a decaying histogram do not merge",
            )),
        }
    }

    /// The `percentile` (0 to 1) of the samples: the end of the bucket it falls in.
    pub fn percentile(&self, percentile: f64) -> f64 {
        self.histogram().percentile(percentile)
    }

    /// No weight above epsilon.
    pub fn is_empty(&self) -> bool {
        self.histogram().is_empty()
    }

    /// The state, non-empty buckets listed.
    pub fn state(&self) -> HistogramState {
        state_of(self.histogram(), self.reference_ms())
    }

    /// A checkpoint [SaveToChekpoint].
    pub fn save_checkpoint(&self) -> HistogramCheckpoint {
        HistogramCheckpoint::from_core(&match self {
            Self::Plain(h) => h.save_checkpoint(),
            Self::Decaying(h) => h.save_checkpoint(),
        })
    }

    /// Loads a checkpoint [LoadFromCheckpoint], adding to what the histogram holds.
    ///
    /// # Errors
    ///
    /// A checkpoint upstream refuses (bucket out of range, negative weight); the histogram is
    /// unchanged.
    pub fn load_checkpoint(&mut self, checkpoint: &HistogramCheckpoint) -> Result<()> {
        let options = *self.histogram().options();
        let c = checkpoint.to_core(options)?;
        match self {
            Self::Plain(h) => h.load_checkpoint(&c),
            Self::Decaying(h) => h.load_checkpoint(&c),
        }
        .map_err(histogram_error)
    }
}

// ---- aggregates -----------------------------------------------------------------------------

/// One call the container model made into an aggregate's histogram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistogramUpdate {
    /// `cpu` or `memory`.
    pub histogram: ResourceKindName,
    /// `add` or `subtract`.
    pub call: HistogramCall,
    /// The value (cores or bytes).
    pub value: f64,
    /// The weight.
    pub weight: f64,
    /// The sample's instant.
    pub time: Instant,
}

/// A histogram call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistogramCall {
    /// `AddSample`.
    Add,
    /// `SubtractSample`.
    Subtract,
}

/// A decaying histogram that can also log the calls made into it (an aggregate's
/// [`ContainerAggregate::histogram_updates`]); the log is not part of its state.
#[derive(Debug, Clone, PartialEq)]
pub struct Traced {
    histogram: core::DecayingHistogram,
    kind: ResourceKindName,
    log: Option<Vec<(u64, HistogramUpdate)>>,
}

/// Orders the calls of the CPU and memory histograms' logs among themselves.
static SEQUENCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Traced {
    /// The histogram.
    pub fn histogram(&self) -> &core::DecayingHistogram {
        &self.histogram
    }

    fn record(&mut self, call: HistogramCall, value: f64, weight: f64, time_ms: i64) {
        if let Some(log) = &mut self.log {
            let seq = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            log.push((
                seq,
                HistogramUpdate {
                    histogram: self.kind,
                    call,
                    value,
                    weight,
                    time: Instant(time_ms),
                },
            ));
        }
    }
}

impl Serialize for Traced {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.histogram.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Traced {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let histogram = core::DecayingHistogram::deserialize(d)?;
        // The kind only labels the log; a restored aggregate relabels both (see `relabel`).
        Ok(Self {
            histogram,
            kind: ResourceKindName::Cpu,
            log: None,
        })
    }
}

impl SampleHistogram for Traced {
    type Error = HistogramError;

    fn add_sample(&mut self, value: f64, weight: f64, time_ms: i64) -> Result<(), HistogramError> {
        self.histogram.add_sample(value, weight, time_ms)?;
        self.record(HistogramCall::Add, value, weight, time_ms);
        Ok(())
    }

    fn subtract_sample(
        &mut self,
        value: f64,
        weight: f64,
        time_ms: i64,
    ) -> Result<(), HistogramError> {
        self.histogram.subtract_sample(value, weight, time_ms)?;
        self.record(HistogramCall::Subtract, value, weight, time_ms);
        Ok(())
    }

    fn percentile(&self, percentile: f64) -> f64 {
        self.histogram.percentile(percentile)
    }

    fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    fn merge(&mut self, other: &Self) -> Result<(), HistogramError> {
        let mut other = other.histogram.clone();
        self.histogram.merge(&mut other)
    }
}

/// The recommender's aggregation parameters; unset fields take its defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AggregationOptions {
    /// `--memory-aggregation-interval` (24 h).
    #[serde(default)]
    pub memory_aggregation_interval: Option<Duration>,
    /// `--memory-aggregation-interval-count` (8).
    #[serde(default)]
    pub memory_aggregation_interval_count: Option<i64>,
    /// `--oom-bump-up-ratio` (1.2).
    #[serde(default)]
    pub oom_bump_up_ratio: Option<f64>,
    /// `--oom-min-bump-up-bytes` (100 MiB).
    #[serde(default)]
    pub oom_min_bump_up_bytes: Option<f64>,
    /// `--cpu-histogram-decay-half-life` (24 h).
    #[serde(default)]
    pub cpu_histogram_decay_half_life: Option<Duration>,
    /// `--memory-histogram-decay-half-life` (24 h).
    #[serde(default)]
    pub memory_histogram_decay_half_life: Option<Duration>,
}

impl AggregationOptions {
    /// The core's configuration.
    pub fn to_core(&self) -> core::AggregationConfig {
        let d = core::AggregationConfig::default();
        core::AggregationConfig {
            memory_aggregation_interval_ms: self
                .memory_aggregation_interval
                .map_or(d.memory_aggregation_interval_ms, |x| x.0),
            memory_aggregation_interval_count: self
                .memory_aggregation_interval_count
                .unwrap_or(d.memory_aggregation_interval_count),
            oom_bump_up_ratio: self.oom_bump_up_ratio.unwrap_or(d.oom_bump_up_ratio),
            oom_min_bump_up_bytes: self
                .oom_min_bump_up_bytes
                .unwrap_or(d.oom_min_bump_up_bytes),
            cpu_histogram_decay_half_life_ms: self
                .cpu_histogram_decay_half_life
                .map_or(d.cpu_histogram_decay_half_life_ms, |x| x.0),
            memory_histogram_decay_half_life_ms: self
                .memory_histogram_decay_half_life
                .map_or(d.memory_histogram_decay_half_life_ms, |x| x.0),
        }
    }
}

/// The aggregate state of one container name: CPU usage and memory peaks in decaying
/// histograms, sample counts and times [AggregateContainerState]. Serializes exactly.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ContainerAggregate(pub core::AggregateContainerState<Traced>);

impl<'de> Deserialize<'de> for ContainerAggregate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut aggregate = Self(core::AggregateContainerState::deserialize(d)?);
        aggregate.relabel();
        Ok(aggregate)
    }
}

/// A `VerticalPodAutoscalerCheckpoint`'s status: one container's aggregate, saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateCheckpoint {
    /// `lastUpdateTime`.
    pub last_update_time: Instant,
    /// `version`.
    pub version: String,
    /// `cpuHistogram`.
    pub cpu_histogram: HistogramCheckpoint,
    /// `memoryHistogram`.
    pub memory_histogram: HistogramCheckpoint,
    /// `firstSampleStart`.
    pub first_sample_start: Instant,
    /// `lastSampleStart`.
    pub last_sample_start: Instant,
    /// `totalSamplesCount`.
    pub total_samples_count: i64,
}

impl ContainerAggregate {
    /// An empty aggregate created at `creation_ms`; with `trace`, it logs each histogram call
    /// ([`ContainerAggregate::histogram_updates`]).
    ///
    /// # Errors
    ///
    /// A half-life the histograms refuse.
    pub fn new(options: &AggregationOptions, creation_ms: i64, trace: bool) -> Result<Self> {
        let config = options.to_core();
        let plain = core::AggregateContainerState::with_vpa_histograms(config, creation_ms)
            .map_err(|e| Error::validation("", e.to_string()))?;
        let wrap = |histogram, kind| Traced {
            histogram,
            kind,
            log: trace.then(Vec::new),
        };
        Ok(Self(core::AggregateContainerState {
            cpu_usage: wrap(plain.cpu_usage, ResourceKindName::Cpu),
            memory_peaks: wrap(plain.memory_peaks, ResourceKindName::Memory),
            first_sample_start_ms: plain.first_sample_start_ms,
            last_sample_start_ms: plain.last_sample_start_ms,
            total_samples_count: plain.total_samples_count,
            creation_time_ms: plain.creation_time_ms,
            config: plain.config,
            scaling_mode: plain.scaling_mode,
            controlled_resources: plain.controlled_resources,
        }))
    }

    /// Labels the histograms after a restore (their kind is not part of the state).
    pub fn relabel(&mut self) {
        self.0.cpu_usage.kind = ResourceKindName::Cpu;
        self.0.memory_peaks.kind = ResourceKindName::Memory;
    }

    /// The histogram calls logged since the last call (empty without `trace`), CPU and memory
    /// in the order they happened.
    pub fn histogram_updates(&mut self) -> Vec<HistogramUpdate> {
        let mut all: Vec<(u64, HistogramUpdate)> = Vec::new();
        for h in [&mut self.0.cpu_usage, &mut self.0.memory_peaks] {
            if let Some(log) = &mut h.log {
                all.append(log);
            }
        }
        all.sort_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, u)| u).collect()
    }

    /// Adds a CPU sample straight to the aggregate (no per-pod deduplication).
    ///
    /// # Errors
    ///
    /// A sample the histogram refuses.
    pub fn add_cpu_sample(&mut self, time_ms: i64, cpu_m: i64) -> Result<()> {
        self.0
            .add_cpu_sample(time_ms, cpu_m)
            .map_err(histogram_error)
    }

    /// Adds a memory peak straight to the aggregate.
    ///
    /// # Errors
    ///
    /// A sample the histogram refuses.
    pub fn add_memory_sample(&mut self, time_ms: i64, bytes: i64) -> Result<()> {
        self.0
            .add_memory_sample(time_ms, bytes)
            .map_err(histogram_error)
    }

    /// Adds every sample of `other` [MergeContainerState].
    ///
    /// # Errors
    ///
    /// Histograms that do not merge.
    pub fn merge(&mut self, other: &Self) -> Result<()> {
        self.0.merge(&other.0).map_err(histogram_error)
    }

    /// No samples and created more than `memoryAggregationInterval × count` ago, or the last
    /// sample is that old [isExpired].
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.0.is_expired(now_ms)
    }

    /// The CPU histogram (cores).
    pub fn cpu_histogram(&self) -> &core::DecayingHistogram {
        &self.0.cpu_usage.histogram
    }

    /// The memory peaks histogram (bytes).
    pub fn memory_histogram(&self) -> &core::DecayingHistogram {
        &self.0.memory_peaks.histogram
    }

    /// The state of a histogram.
    pub fn histogram_state(&self, kind: ResourceKindName) -> HistogramState {
        let h = match kind {
            ResourceKindName::Cpu => self.cpu_histogram(),
            ResourceKindName::Memory => self.memory_histogram(),
        };
        state_of(h.histogram(), Some(h.reference_ms()))
    }

    /// The estimator's confidence in the samples over `interval_ms` [getConfidence].
    pub fn confidence(&self, interval_ms: i64) -> f64 {
        core::confidence(&self.0, interval_ms)
    }

    /// A checkpoint at `now_ms` [SaveToCheckpoint].
    pub fn save_checkpoint(&self, now_ms: i64) -> AggregateCheckpoint {
        let plain = self.plain();
        let c = plain.save_checkpoint(now_ms);
        AggregateCheckpoint {
            last_update_time: Instant(c.last_update_time_ms),
            version: core::VPA_CHECKPOINT_VERSION.to_string(),
            cpu_histogram: HistogramCheckpoint::from_core(&c.cpu_histogram),
            memory_histogram: HistogramCheckpoint::from_core(&c.memory_histogram),
            first_sample_start: Instant(c.first_sample_start_ms),
            last_sample_start: Instant(c.last_sample_start_ms),
            total_samples_count: c.total_samples_count,
        }
    }

    /// Loads a checkpoint [LoadFromCheckpoint].
    ///
    /// # Errors
    ///
    /// A checkpoint of another version or one the histograms refuse; nothing changes then.
    pub fn load_checkpoint(&mut self, checkpoint: &AggregateCheckpoint) -> Result<()> {
        let mut plain = self.plain();
        let status = core::VpaCheckpointStatus {
            last_update_time_ms: checkpoint.last_update_time.0,
            cpu_histogram: checkpoint
                .cpu_histogram
                .to_core(*plain.cpu_usage.options())
                .map_err(|e| e.at("cpuHistogram"))?,
            memory_histogram: checkpoint
                .memory_histogram
                .to_core(*plain.memory_peaks.options())
                .map_err(|e| e.at("memoryHistogram"))?,
            first_sample_start_ms: checkpoint.first_sample_start.0,
            last_sample_start_ms: checkpoint.last_sample_start.0,
            total_samples_count: checkpoint.total_samples_count,
        };
        if checkpoint.version != core::VPA_CHECKPOINT_VERSION {
            return Err(Error::validation(
                "version",
                format!("not {}", core::VPA_CHECKPOINT_VERSION),
            )
            .with_value(&checkpoint.version));
        }
        plain
            .load_checkpoint(&status)
            .map_err(|e| Error::refused(e.to_string()))?;
        self.0.cpu_usage.histogram = plain.cpu_usage;
        self.0.memory_peaks.histogram = plain.memory_peaks;
        self.0.first_sample_start_ms = plain.first_sample_start_ms;
        self.0.last_sample_start_ms = plain.last_sample_start_ms;
        self.0.total_samples_count = plain.total_samples_count;
        Ok(())
    }

    /// The aggregate over plain decaying histograms (a copy).
    fn plain(&self) -> core::AggregateContainerState<core::DecayingHistogram> {
        let a = &self.0;
        core::AggregateContainerState {
            cpu_usage: a.cpu_usage.histogram.clone(),
            memory_peaks: a.memory_peaks.histogram.clone(),
            first_sample_start_ms: a.first_sample_start_ms,
            last_sample_start_ms: a.last_sample_start_ms,
            total_samples_count: a.total_samples_count,
            creation_time_ms: a.creation_time_ms,
            config: a.config,
            scaling_mode: a.scaling_mode,
            controlled_resources: a.controlled_resources,
        }
    }
}

/// One pod's container as the recommender tracks it: CPU deduplication, the memory peak of
/// the current aggregation window, OOM handling [ContainerState]. Serializes exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContainerState(pub core::ContainerState);

impl ContainerState {
    /// Feeds a CPU sample (millicores, measured from `time_ms`); whether it was accepted.
    ///
    /// # Errors
    ///
    /// A sample the histogram refuses.
    pub fn add_cpu_sample(
        &mut self,
        aggregate: &mut ContainerAggregate,
        time_ms: i64,
        cpu_m: i64,
    ) -> Result<bool> {
        self.0
            .add_cpu_sample(&mut aggregate.0, time_ms, cpu_m)
            .map_err(histogram_error)
    }

    /// Feeds a memory sample (bytes); whether it was accepted.
    ///
    /// # Errors
    ///
    /// A sample the histogram refuses.
    pub fn add_memory_sample(
        &mut self,
        aggregate: &mut ContainerAggregate,
        time_ms: i64,
        bytes: i64,
    ) -> Result<bool> {
        self.0
            .add_memory_sample(&mut aggregate.0, time_ms, bytes)
            .map_err(histogram_error)
    }

    /// Records an OOM kill of a container that requested `request_bytes`; whether it was
    /// recorded (an OOM older than the current window is not).
    ///
    /// # Errors
    ///
    /// A sample the histogram refuses.
    pub fn record_oom(
        &mut self,
        aggregate: &mut ContainerAggregate,
        time_ms: i64,
        request_bytes: i64,
    ) -> Result<bool> {
        match self.0.record_oom(&mut aggregate.0, time_ms, request_bytes) {
            Ok(()) => Ok(true),
            Err(core::OomError::Histogram(e)) => Err(histogram_error(e)),
            Err(_) => Ok(false),
        }
    }

    /// Feeds samples in order: `cpu_m[i]` and `memory_bytes[i]` measured at `times[i]` (`NaN`
    /// or a negative value: no sample). Returns whether each CPU and memory sample was accepted.
    ///
    /// # Errors
    ///
    /// Series of different lengths, or a sample the histograms refuse (naming its index).
    pub fn add_samples(
        &mut self,
        aggregate: &mut ContainerAggregate,
        times: &[i64],
        cpu_m: Option<&[f64]>,
        memory_bytes: Option<&[f64]>,
    ) -> Result<(Vec<bool>, Vec<bool>)> {
        let n = times.len();
        for (series, name) in [(cpu_m, "cpu"), (memory_bytes, "memory")] {
            if let Some(s) = series.filter(|s| s.len() != n) {
                return Err(Error::validation(
                    name,
                    format!("{} values for {n} times", s.len()),
                ));
            }
        }
        let mut cpu_ok = Vec::with_capacity(if cpu_m.is_some() { n } else { 0 });
        let mut memory_ok = Vec::with_capacity(if memory_bytes.is_some() { n } else { 0 });
        // Whole amounts: NaN and negatives are "no sample"; finite values round to the nearest.
        let amount =
            |x: f64| (x.is_finite() && (0.0..9.0e18).contains(&x)).then(|| x.round() as i64);
        for (i, &t) in times.iter().enumerate() {
            if let Some(v) = cpu_m.and_then(|s| s.get(i)) {
                let ok = match amount(*v) {
                    Some(m) => self
                        .add_cpu_sample(aggregate, t, m)
                        .map_err(|e| e.at(&format!("cpu[{i}]")))?,
                    None => false,
                };
                cpu_ok.push(ok);
            }
            if let Some(v) = memory_bytes.and_then(|s| s.get(i)) {
                let ok = match amount(*v) {
                    Some(b) => self
                        .add_memory_sample(aggregate, t, b)
                        .map_err(|e| e.at(&format!("memory[{i}]")))?,
                    None => false,
                };
                memory_ok.push(ok);
            }
        }
        Ok((cpu_ok, memory_ok))
    }
}

/// The recommender's percentiles, margin, minimums and confidence intervals; unset fields take
/// its defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommenderOptions {
    /// `--target-cpu-percentile` (0.9).
    #[serde(default)]
    pub target_cpu_percentile: Option<f64>,
    /// Lower bound CPU percentile (0.5).
    #[serde(default)]
    pub lower_bound_cpu_percentile: Option<f64>,
    /// Upper bound CPU percentile (0.95).
    #[serde(default)]
    pub upper_bound_cpu_percentile: Option<f64>,
    /// `--target-memory-percentile` (0.9).
    #[serde(default)]
    pub target_memory_percentile: Option<f64>,
    /// Lower bound memory percentile (0.5).
    #[serde(default)]
    pub lower_bound_memory_percentile: Option<f64>,
    /// Upper bound memory percentile (0.95).
    #[serde(default)]
    pub upper_bound_memory_percentile: Option<f64>,
    /// `--recommendation-margin-fraction` (0.15).
    #[serde(default)]
    pub safety_margin_fraction: Option<f64>,
    /// `--pod-recommendation-min-cpu-millicores` (25).
    #[serde(default)]
    pub pod_min_cpu_millicores: Option<f64>,
    /// `--pod-recommendation-min-memory-mb` (250).
    #[serde(default)]
    pub pod_min_memory_mb: Option<f64>,
    /// The CPU confidence interval (1 day).
    #[serde(default)]
    pub confidence_interval_cpu: Option<Duration>,
    /// The memory confidence interval (1 day).
    #[serde(default)]
    pub confidence_interval_memory: Option<Duration>,
}

impl RecommenderOptions {
    /// The core's configuration.
    pub fn to_core(&self) -> core::RecommenderConfig {
        let d = core::RecommenderConfig::default();
        core::RecommenderConfig {
            target_cpu_percentile: self
                .target_cpu_percentile
                .unwrap_or(d.target_cpu_percentile),
            lower_bound_cpu_percentile: self
                .lower_bound_cpu_percentile
                .unwrap_or(d.lower_bound_cpu_percentile),
            upper_bound_cpu_percentile: self
                .upper_bound_cpu_percentile
                .unwrap_or(d.upper_bound_cpu_percentile),
            target_memory_percentile: self
                .target_memory_percentile
                .unwrap_or(d.target_memory_percentile),
            lower_bound_memory_percentile: self
                .lower_bound_memory_percentile
                .unwrap_or(d.lower_bound_memory_percentile),
            upper_bound_memory_percentile: self
                .upper_bound_memory_percentile
                .unwrap_or(d.upper_bound_memory_percentile),
            safety_margin_fraction: self
                .safety_margin_fraction
                .unwrap_or(d.safety_margin_fraction),
            pod_min_cpu_millicores: self
                .pod_min_cpu_millicores
                .unwrap_or(d.pod_min_cpu_millicores),
            pod_min_memory_mb: self.pod_min_memory_mb.unwrap_or(d.pod_min_memory_mb),
            confidence_interval_cpu_ms: self
                .confidence_interval_cpu
                .map_or(d.confidence_interval_cpu_ms, |x| x.0),
            confidence_interval_memory_ms: self
                .confidence_interval_memory
                .map_or(d.confidence_interval_memory_ms, |x| x.0),
        }
    }
}

/// One container's recommendation, as the VPA's status lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRecommendation {
    /// `containerName`.
    pub container_name: String,
    /// `target`.
    #[serde(default)]
    pub target: ResourceList,
    /// `lowerBound`.
    #[serde(default)]
    pub lower_bound: ResourceList,
    /// `upperBound`.
    #[serde(default)]
    pub upper_bound: ResourceList,
    /// `uncappedTarget`.
    #[serde(default)]
    pub uncapped_target: ResourceList,
}

impl ContainerRecommendation {
    /// From the core's.
    pub fn from_core(r: &core::RecommendedContainerResources<'_>) -> Self {
        Self {
            container_name: r.container_name.to_string(),
            target: ResourceList::from_core(r.target),
            lower_bound: ResourceList::from_core(r.lower_bound),
            upper_bound: ResourceList::from_core(r.upper_bound),
            uncapped_target: ResourceList::from_core(r.uncapped_target),
        }
    }

    /// The core's, borrowing the name.
    pub fn to_core(&self) -> core::RecommendedContainerResources<'_> {
        core::RecommendedContainerResources {
            container_name: &self.container_name,
            target: self.target.to_core(),
            lower_bound: self.lower_bound.to_core(),
            upper_bound: self.upper_bound.to_core(),
            uncapped_target: self.uncapped_target.to_core(),
        }
    }
}

/// Most containers a pod recommendation holds.
pub const MAX_CONTAINERS: usize = 64;

/// The pod's recommendation from each container name's aggregate [GetRecommendedPodResources].
///
/// # Errors
///
/// More than [`MAX_CONTAINERS`] containers, or what the core refuses.
pub fn recommend(
    options: &RecommenderOptions,
    containers: &[(&str, &ContainerAggregate)],
) -> Result<Vec<ContainerRecommendation>> {
    let pairs: Vec<(&str, &core::AggregateContainerState<Traced>)> =
        containers.iter().map(|(n, a)| (*n, &a.0)).collect();
    let list = core::recommend_pod::<_, MAX_CONTAINERS>(&options.to_core(), &pairs)
        .map_err(|e| Error::refused(e.to_string()))?;
    Ok(list
        .iter()
        .map(ContainerRecommendation::from_core)
        .collect())
}

/// [`replay_recommendations`]' columns: one row per recommendation (`NaN`: not recommended).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationColumns {
    /// When, Unix ms.
    pub time: Vec<i64>,
    /// `target.cpu`, millicores.
    pub target_cpu: Vec<f64>,
    /// `target.memory`, bytes.
    pub target_memory: Vec<f64>,
    /// `lowerBound.cpu`.
    pub lower_bound_cpu: Vec<f64>,
    /// `lowerBound.memory`.
    pub lower_bound_memory: Vec<f64>,
    /// `upperBound.cpu`.
    pub upper_bound_cpu: Vec<f64>,
    /// `upperBound.memory`.
    pub upper_bound_memory: Vec<f64>,
}

/// A replay of the recommender over one container's samples.
#[derive(Debug, Clone, Copy)]
pub struct RecommendationReplay<'a> {
    /// The container's name (the policy's `containerName`).
    pub container: &'a str,
    /// The sample instants, Unix ms, non-decreasing.
    pub times: &'a [i64],
    /// CPU usage, millicores (`NaN`: no sample).
    pub cpu_m: Option<&'a [f64]>,
    /// Memory usage, bytes (`NaN`: no sample).
    pub memory_bytes: Option<&'a [f64]>,
    /// How often the recommender runs (its `--recommender-interval`, 1 min).
    pub every_ms: i64,
}

/// Feeds the samples through a pod's container into an aggregate and recommends every
/// `every_ms` (and after the last sample), the VPA's policy applied as before the status is
/// written.
///
/// # Errors
///
/// Series of different lengths, times out of order, or a sample the histograms refuse.
pub fn replay_recommendations(
    aggregation: &AggregationOptions,
    recommender: &RecommenderOptions,
    policy: Option<&ResourcePolicy>,
    replay: &RecommendationReplay<'_>,
) -> Result<RecommendationColumns> {
    if replay.every_ms <= 0 {
        return Err(Error::validation("every", "must be positive").with_value(replay.every_ms));
    }
    if let Some(i) = replay.times.windows(2).position(|w| w.get(1) < w.first()) {
        return Err(Error::validation(
            format!("times[{}]", i + 1),
            "earlier than the time before",
        ));
    }
    for (series, name) in [(replay.cpu_m, "cpu"), (replay.memory_bytes, "memory")] {
        if let Some(s) = series.filter(|s| s.len() != replay.times.len()) {
            return Err(Error::validation(
                name,
                format!("{} values for {} times", s.len(), replay.times.len()),
            ));
        }
    }
    let first = replay.times.first().copied().unwrap_or(0);
    let mut aggregate = ContainerAggregate::new(aggregation, first, false)?;
    let mut container = ContainerState::default();
    let mut out = RecommendationColumns::default();
    let mut next = first.saturating_add(replay.every_ms);
    let n = replay.times.len();
    let mut record = |aggregate: &ContainerAggregate, t: i64| -> Result<()> {
        let list = recommend(recommender, &[(replay.container, aggregate)])?;
        let list = match policy {
            Some(p) => apply_vpa_policy(&list, Some(p), ResourceList::default())?,
            None => list,
        };
        let r = list.first();
        let f = |v: Option<i64>| v.map_or(f64::NAN, |x| x as f64);
        out.time.push(t);
        out.target_cpu
            .push(f(r.and_then(|r| r.target.cpu).map(|q| q.0)));
        out.target_memory
            .push(f(r.and_then(|r| r.target.memory).map(|q| q.0)));
        out.lower_bound_cpu
            .push(f(r.and_then(|r| r.lower_bound.cpu).map(|q| q.0)));
        out.lower_bound_memory
            .push(f(r.and_then(|r| r.lower_bound.memory).map(|q| q.0)));
        out.upper_bound_cpu
            .push(f(r.and_then(|r| r.upper_bound.cpu).map(|q| q.0)));
        out.upper_bound_memory
            .push(f(r.and_then(|r| r.upper_bound.memory).map(|q| q.0)));
        Ok(())
    };
    for start in 0..n {
        let t = replay.times.get(start).copied().unwrap_or(0);
        while t >= next {
            record(&aggregate, next)?;
            next = next.saturating_add(replay.every_ms);
        }
        fn one(s: Option<&[f64]>, at: usize) -> Option<&[f64]> {
            s.map(|s| s.get(at..=at).unwrap_or(&[]))
        }
        let times = replay.times.get(start..=start).unwrap_or(&[]);
        container
            .add_samples(
                &mut aggregate,
                times,
                one(replay.cpu_m, start),
                one(replay.memory_bytes, start),
            )
            .map_err(|e| Error {
                path: e.path.replace("[0]", &format!("[{start}]")),
                ..e
            })?;
    }
    if let Some(last) = replay.times.last() {
        record(&aggregate, *last)?;
    }
    Ok(out)
}
