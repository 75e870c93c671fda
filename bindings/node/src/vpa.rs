//! The VerticalPodAutoscaler recommender: histograms and their checkpoints, a container name's
//! aggregate fed by each pod's container, recommendations, replays over typed arrays, and the
//! post-processing (resource policy, capping, proportional limits, the updater's priority).

use napi::Env;
use napi::bindgen_prelude::{
    ClassInstance, Float64Array, JsObjectValue, JsValue, Object, Uint8Array, Unknown,
};
use napi_derive::napi;
use podscale_bindings::Error;
use podscale_bindings::units::Duration;
use podscale_bindings::vpa::{self as b, ResourceKindName, ResourceList};

use crate::convert::{
    InstantArg, decode, encode, from_json, instant, instants, is_absent, to_json,
};
use crate::error::{Failure, guard};
use crate::hpa::float_series;

/// An optional argument's value, decoded; `None` when left out.
fn optional<T: serde::de::DeserializeOwned>(
    env: &Env,
    value: Option<Unknown<'_>>,
    path: &str,
) -> Result<Option<T>, Failure> {
    match value {
        Some(v) if !is_absent(&v)? => decode(env, &v, path).map(Some),
        _ => Ok(None),
    }
}

/// A duration argument: seconds, or Go text (`'24h'`).
fn duration(env: &Env, value: &Unknown<'_>, path: &str) -> Result<i64, Failure> {
    decode::<Duration>(env, value, path).map(|d| d.0)
}

/// A histogram's bucketing: the VPA's presets (`{preset: 'cpu'}`, `{preset: 'memory'}`) or
/// `linear` and `exponential` options as upstream constructs them.
#[napi]
#[derive(Debug)]
pub struct HistogramOptions {
    inner: b::HistogramOptions,
}

#[napi]
impl HistogramOptions {
    /// Options from `{preset}` or `{type: 'linear', maxValue, bucketSize, epsilon}` or
    /// `{type: 'exponential', maxValue, firstBucketSize, ratio, epsilon}`.
    ///
    /// @throws {ValidationError} a missing parameter or options upstream refuses.
    #[napi(constructor, ts_args_type = "spec: HistogramOptionsSpec")]
    pub fn new(env: Env, spec: Unknown<'_>) -> napi::Result<Self> {
        guard(&env, || {
            let spec: b::HistogramOptionsSpec = decode(&env, &spec, "")?;
            Ok(Self {
                inner: b::HistogramOptions::new(&spec)?,
            })
        })
    }

    /// The number of buckets.
    #[napi(getter)]
    pub fn num_buckets(&self) -> u32 {
        self.inner.num_buckets() as u32
    }

    /// The bucket `value` falls in.
    #[napi]
    pub fn find_bucket(&self, value: f64) -> u32 {
        self.inner.find_bucket(value) as u32
    }

    /// Where bucket `bucket` starts; `null` past the last.
    #[napi]
    pub fn bucket_start(&self, bucket: u32) -> Option<f64> {
        self.inner.bucket_start(bucket as usize)
    }
}

/// A VPA histogram, plain or decaying (newer samples weigh more, with a half-life, as the
/// recommender's do).
#[napi]
#[derive(Debug)]
pub struct Histogram {
    inner: b::Histogram,
}

#[napi]
impl Histogram {
    /// A histogram with `options`; decaying when `options2.halfLife` (seconds or text such as
    /// `'24h'`) is given.
    ///
    /// @throws {ValidationError} a half-life upstream refuses.
    #[napi(
        constructor,
        ts_args_type = "options: HistogramOptions, settings?: { halfLife?: Duration }"
    )]
    pub fn new(
        env: Env,
        options: &HistogramOptions,
        settings: Option<Object<'_>>,
    ) -> napi::Result<Self> {
        guard(&env, || {
            let half_life = match &settings {
                Some(s) => {
                    let h: Unknown<'_> = s.get_named_property("halfLife")?;
                    if is_absent(&h)? {
                        None
                    } else {
                        Some(duration(&env, &h, "halfLife")?)
                    }
                }
                None => None,
            };
            Ok(Self {
                inner: b::Histogram::new(&options.inner, half_life)?,
            })
        })
    }

    /// A histogram from the plain-object form {@link Histogram.toJSON} wrote.
    ///
    /// @throws {ValidationError} a malformed histogram.
    #[napi(factory, js_name = "fromJSON", ts_args_type = "data: HistogramData")]
    pub fn from_json(env: Env, data: Unknown<'_>) -> napi::Result<Self> {
        guard(&env, || {
            Ok(Self {
                inner: decode(&env, &data, "")?,
            })
        })
    }

    /// The plain-object form, exact (what `JSON.stringify` writes).
    #[napi(js_name = "toJSON", ts_return_type = "HistogramData")]
    pub fn to_json<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner))
    }

    /// Adds a sample: `value` (cores or bytes) with `weight` (default 1) at `time` (which only
    /// a decaying histogram reads; default the Unix epoch).
    ///
    /// @throws {PodscaleError} a negative weight or a value upstream refuses; nothing changes.
    #[napi(ts_args_type = "value: number, weight?: number, time?: Instant")]
    pub fn add_sample(
        &mut self,
        env: Env,
        value: f64,
        weight: Option<f64>,
        time: Option<InstantArg<'_>>,
    ) -> napi::Result<()> {
        guard(&env, || {
            let t = time.map(|t| instant(&t, "time")).transpose()?.unwrap_or(0);
            Ok(self.inner.add_sample(value, weight.unwrap_or(1.0), t)?)
        })
    }

    /// Subtracts a sample.
    ///
    /// @throws {PodscaleError} as {@link Histogram.addSample}.
    #[napi(ts_args_type = "value: number, weight?: number, time?: Instant")]
    pub fn subtract_sample(
        &mut self,
        env: Env,
        value: f64,
        weight: Option<f64>,
        time: Option<InstantArg<'_>>,
    ) -> napi::Result<()> {
        guard(&env, || {
            let t = time.map(|t| instant(&t, "time")).transpose()?.unwrap_or(0);
            Ok(self
                .inner
                .subtract_sample(value, weight.unwrap_or(1.0), t)?)
        })
    }

    /// Adds every sample of `other` (the same kind and options).
    ///
    /// @throws {PodscaleError} histograms that do not merge.
    #[napi]
    pub fn merge(&mut self, env: Env, other: &Histogram) -> napi::Result<()> {
        guard(&env, || Ok(self.inner.merge(&other.inner)?))
    }

    /// The `percentile` (0 to 1) of the samples: the end of the bucket it falls in.
    #[napi]
    pub fn percentile(&self, percentile: f64) -> f64 {
        self.inner.percentile(percentile)
    }

    /// No weight above epsilon.
    #[napi]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// `{minBucket, maxBucket, totalWeight, bucketWeights: [[bucket, weight]…],
    /// referenceTimestamp}`, the non-empty buckets listed.
    #[napi(ts_return_type = "HistogramState")]
    pub fn state<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner.state()))
    }

    /// The checkpoint a `VerticalPodAutoscalerCheckpoint` stores (`referenceTimestamp`,
    /// `bucketWeights`, `totalWeight`).
    #[napi(ts_return_type = "HistogramCheckpoint")]
    pub fn save_checkpoint<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner.save_checkpoint()))
    }

    /// Loads a checkpoint, adding to what the histogram holds.
    ///
    /// @throws {ValidationError} a malformed checkpoint.
    /// @throws {PodscaleError} one upstream refuses; nothing changes then.
    #[napi(ts_args_type = "checkpoint: HistogramCheckpoint")]
    pub fn load_checkpoint(&mut self, env: Env, checkpoint: Unknown<'_>) -> napi::Result<()> {
        guard(&env, || {
            let c: b::HistogramCheckpoint = decode(&env, &checkpoint, "")?;
            Ok(self.inner.load_checkpoint(&c)?)
        })
    }
}

/// The aggregate state of one container name: CPU usage and memory peaks in decaying
/// histograms, sample counts and times, as the recommender keeps it.
#[napi]
#[derive(Debug)]
pub struct ContainerAggregate {
    inner: b::ContainerAggregate,
}

fn resource_kind(env: &Env, value: &Unknown<'_>) -> Result<ResourceKindName, Failure> {
    decode(env, value, "resource")
}

#[napi]
impl ContainerAggregate {
    /// An empty aggregate. `options`: the recommender's aggregation flags
    /// (`memoryAggregationInterval`, `memoryAggregationIntervalCount`, `oomBumpUpRatio`,
    /// `oomMinBumpUpBytes`, `cpuHistogramDecayHalfLife`, `memoryHistogramDecayHalfLife`), and
    /// `creationTime` and `trace` (log each histogram call for {@link
    /// ContainerAggregate.histogramUpdates}).
    ///
    /// @throws {ValidationError} a bad option.
    #[napi(
        constructor,
        ts_args_type = "options?: AggregationOptions & { creationTime?: Instant; trace?: boolean }"
    )]
    pub fn new(env: Env, options: Option<Unknown<'_>>) -> napi::Result<Self> {
        guard(&env, || {
            let mut json = match options {
                Some(o) if !is_absent(&o)? => to_json(&o, "")?,
                _ => serde_json::Value::Object(serde_json::Map::new()),
            };
            let map = json
                .as_object_mut()
                .ok_or_else(|| Error::validation("", "an options object"))?;
            let created = match map.remove("creationTime") {
                None | Some(serde_json::Value::Null) => 0,
                Some(t) => {
                    from_json::<podscale_bindings::units::Instant>(&env, t, "creationTime")?.0
                }
            };
            let trace = match map.remove("trace") {
                None | Some(serde_json::Value::Null) => false,
                Some(t) => from_json::<bool>(&env, t, "trace")?,
            };
            let options: b::AggregationOptions = from_json(&env, json, "")?;
            Ok(Self {
                inner: b::ContainerAggregate::new(&options, created, trace)?,
            })
        })
    }

    /// An aggregate from the plain-object form {@link ContainerAggregate.toJSON} wrote.
    ///
    /// @throws {ValidationError} a malformed aggregate.
    #[napi(
        factory,
        js_name = "fromJSON",
        ts_args_type = "data: ContainerAggregateData"
    )]
    pub fn from_json(env: Env, data: Unknown<'_>) -> napi::Result<Self> {
        guard(&env, || {
            Ok(Self {
                inner: decode(&env, &data, "")?,
            })
        })
    }

    /// The plain-object form, exact.
    #[napi(js_name = "toJSON", ts_return_type = "ContainerAggregateData")]
    pub fn to_json<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner))
    }

    /// The histogram calls logged since the last call (with `trace`), in order:
    /// `{histogram, call, value, weight, time}`.
    #[napi(ts_return_type = "HistogramUpdate[]")]
    pub fn histogram_updates<'e>(&mut self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || {
            let updates = self.inner.histogram_updates();
            encode(env, &updates)
        })
    }

    /// Adds a CPU sample (millicores) straight to the aggregate, without a pod's
    /// deduplication.
    ///
    /// @throws {PodscaleError} a sample the histogram refuses.
    #[napi(ts_args_type = "time: Instant, cpu: number")]
    pub fn add_cpu_sample(&mut self, env: Env, time: InstantArg<'_>, cpu: i64) -> napi::Result<()> {
        guard(&env, || {
            let t = instant(&time, "time")?;
            Ok(self.inner.add_cpu_sample(t, cpu)?)
        })
    }

    /// Adds a memory peak (bytes) straight to the aggregate.
    ///
    /// @throws {PodscaleError} a sample the histogram refuses.
    #[napi(ts_args_type = "time: Instant, memory: number")]
    pub fn add_memory_sample(
        &mut self,
        env: Env,
        time: InstantArg<'_>,
        memory: i64,
    ) -> napi::Result<()> {
        guard(&env, || {
            let t = instant(&time, "time")?;
            Ok(self.inner.add_memory_sample(t, memory)?)
        })
    }

    /// Adds every sample of `other` (upstream's `MergeContainerState`).
    ///
    /// @throws {PodscaleError} histograms that do not merge.
    #[napi]
    pub fn merge(&mut self, env: Env, other: &ContainerAggregate) -> napi::Result<()> {
        guard(&env, || Ok(self.inner.merge(&other.inner)?))
    }

    /// Whether the aggregate has expired at `now` (no samples for
    /// `memoryAggregationInterval × count`).
    #[napi(ts_args_type = "now: Instant")]
    pub fn is_expired(&self, env: Env, now: InstantArg<'_>) -> napi::Result<bool> {
        guard(&env, || Ok(self.inner.is_expired(instant(&now, "now")?)))
    }

    /// The estimator's confidence in the samples over `interval` (seconds or text).
    #[napi(ts_args_type = "interval: Duration")]
    pub fn confidence(&self, env: Env, interval: Unknown<'_>) -> napi::Result<f64> {
        guard(&env, || {
            Ok(self
                .inner
                .confidence(duration(&env, &interval, "interval")?))
        })
    }

    /// A percentile (0 to 1) of the CPU histogram (cores) or the memory peaks (bytes).
    #[napi(ts_args_type = "resource: 'cpu' | 'memory', percentile: number")]
    pub fn percentile(
        &self,
        env: Env,
        resource: Unknown<'_>,
        percentile: f64,
    ) -> napi::Result<f64> {
        guard(&env, || {
            Ok(match resource_kind(&env, &resource)? {
                ResourceKindName::Cpu => self.inner.cpu_histogram().percentile(percentile),
                ResourceKindName::Memory => self.inner.memory_histogram().percentile(percentile),
            })
        })
    }

    /// The state of the `cpu` or `memory` histogram.
    #[napi(
        ts_args_type = "resource: 'cpu' | 'memory'",
        ts_return_type = "HistogramState"
    )]
    pub fn histogram_state<'e>(
        &self,
        env: &'e Env,
        resource: Unknown<'e>,
    ) -> napi::Result<Unknown<'e>> {
        guard(env, || {
            let kind = resource_kind(env, &resource)?;
            encode(env, &self.inner.histogram_state(kind))
        })
    }

    /// The `VerticalPodAutoscalerCheckpoint` status at `now`.
    #[napi(ts_args_type = "now: Instant", ts_return_type = "AggregateCheckpoint")]
    pub fn save_checkpoint<'e>(
        &self,
        env: &'e Env,
        now: InstantArg<'e>,
    ) -> napi::Result<Unknown<'e>> {
        guard(env, || {
            encode(env, &self.inner.save_checkpoint(instant(&now, "now")?))
        })
    }

    /// Loads a checkpoint status.
    ///
    /// @throws {ValidationError} a malformed checkpoint or another version.
    /// @throws {PodscaleError} one the histograms refuse; nothing changes then.
    #[napi(ts_args_type = "checkpoint: AggregateCheckpoint")]
    pub fn load_checkpoint(&mut self, env: Env, checkpoint: Unknown<'_>) -> napi::Result<()> {
        guard(&env, || {
            let c: b::AggregateCheckpoint = decode(&env, &checkpoint, "")?;
            Ok(self.inner.load_checkpoint(&c)?)
        })
    }

    /// How many CPU samples were added.
    #[napi(getter)]
    pub fn get_total_samples_count(&self) -> f64 {
        self.inner.0.total_samples_count as f64
    }

    /// Sets the sample count (as upstream's tests do).
    #[napi(setter)]
    pub fn set_total_samples_count(&mut self, value: i64) {
        self.inner.0.total_samples_count = value;
    }

    /// The first CPU sample, Unix milliseconds.
    #[napi(getter)]
    pub fn get_first_sample_start(&self) -> f64 {
        self.inner.0.first_sample_start_ms as f64
    }

    /// Sets the first CPU sample's instant.
    #[napi(setter, ts_args_type = "value: Instant")]
    pub fn set_first_sample_start(&mut self, env: Env, value: InstantArg<'_>) -> napi::Result<()> {
        guard(&env, || {
            self.inner.0.first_sample_start_ms = instant(&value, "firstSampleStart")?;
            Ok(())
        })
    }

    /// The last CPU sample, Unix milliseconds.
    #[napi(getter)]
    pub fn get_last_sample_start(&self) -> f64 {
        self.inner.0.last_sample_start_ms as f64
    }

    /// Sets the last CPU sample's instant.
    #[napi(setter, ts_args_type = "value: Instant")]
    pub fn set_last_sample_start(&mut self, env: Env, value: InstantArg<'_>) -> napi::Result<()> {
        guard(&env, || {
            self.inner.0.last_sample_start_ms = instant(&value, "lastSampleStart")?;
            Ok(())
        })
    }

    /// When the aggregate was created, Unix milliseconds.
    #[napi(getter)]
    pub fn get_creation_time(&self) -> f64 {
        self.inner.0.creation_time_ms as f64
    }

    /// Sets the creation instant.
    #[napi(setter, ts_args_type = "value: Instant")]
    pub fn set_creation_time(&mut self, env: Env, value: InstantArg<'_>) -> napi::Result<()> {
        guard(&env, || {
            self.inner.0.creation_time_ms = instant(&value, "creationTime")?;
            Ok(())
        })
    }
}

/// One pod's container as the recommender tracks it: CPU deduplication, the memory peak of
/// the current aggregation window, OOM kills.
#[napi]
#[derive(Debug, Default)]
pub struct ContainerState {
    inner: b::ContainerState,
}

#[napi]
impl ContainerState {
    /// A container never sampled.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// A state from the plain-object form {@link ContainerState.toJSON} wrote.
    ///
    /// @throws {ValidationError} a malformed state.
    #[napi(
        factory,
        js_name = "fromJSON",
        ts_args_type = "data: ContainerStateData"
    )]
    pub fn from_json(env: Env, data: Unknown<'_>) -> napi::Result<Self> {
        guard(&env, || {
            Ok(Self {
                inner: decode(&env, &data, "")?,
            })
        })
    }

    /// The plain-object form, exact.
    #[napi(js_name = "toJSON", ts_return_type = "ContainerStateData")]
    pub fn to_json<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner))
    }

    /// Feeds a CPU sample (millicores) into `aggregate`; whether it was accepted (a sample
    /// not newer than the last is not).
    ///
    /// @throws {PodscaleError} a sample the histogram refuses.
    #[napi(ts_args_type = "aggregate: ContainerAggregate, time: Instant, cpu: number")]
    pub fn add_cpu_sample(
        &mut self,
        env: Env,
        mut aggregate: ClassInstance<'_, ContainerAggregate>,
        time: InstantArg<'_>,
        cpu: i64,
    ) -> napi::Result<bool> {
        guard(&env, || {
            let t = instant(&time, "time")?;
            Ok(self.inner.add_cpu_sample(&mut aggregate.inner, t, cpu)?)
        })
    }

    /// Feeds a memory sample (bytes); whether it was accepted.
    ///
    /// @throws {PodscaleError} a sample the histogram refuses.
    #[napi(ts_args_type = "aggregate: ContainerAggregate, time: Instant, memory: number")]
    pub fn add_memory_sample(
        &mut self,
        env: Env,
        mut aggregate: ClassInstance<'_, ContainerAggregate>,
        time: InstantArg<'_>,
        memory: i64,
    ) -> napi::Result<bool> {
        guard(&env, || {
            let t = instant(&time, "time")?;
            Ok(self
                .inner
                .add_memory_sample(&mut aggregate.inner, t, memory)?)
        })
    }

    /// Records an OOM kill of the container, which requested `request` bytes; whether it was
    /// recorded (one older than the current window is not).
    ///
    /// @throws {PodscaleError} a sample the histogram refuses.
    #[napi(ts_args_type = "aggregate: ContainerAggregate, time: Instant, request: number")]
    pub fn record_oom(
        &mut self,
        env: Env,
        mut aggregate: ClassInstance<'_, ContainerAggregate>,
        time: InstantArg<'_>,
        request: i64,
    ) -> napi::Result<bool> {
        guard(&env, || {
            let t = instant(&time, "time")?;
            Ok(self.inner.record_oom(&mut aggregate.inner, t, request)?)
        })
    }

    /// Feeds samples in order: `series.cpu[i]` (millicores) and `series.memory[i]` (bytes)
    /// measured at `series.times[i]` (Unix milliseconds); `NaN` is no sample. Returns whether
    /// each was accepted, as `Uint8Array`s.
    ///
    /// @throws {ValidationError} series of different lengths.
    /// @throws {PodscaleError} a sample the histograms refuse (naming its index).
    #[napi(
        ts_args_type = "aggregate: ContainerAggregate, series: SampleSeries",
        ts_return_type = "{ cpu: Uint8Array; memory: Uint8Array }"
    )]
    pub fn add_samples<'e>(
        &mut self,
        env: &'e Env,
        mut aggregate: ClassInstance<'e, ContainerAggregate>,
        series: Object<'e>,
    ) -> napi::Result<Object<'e>> {
        guard(env, || {
            let times = float_series(&series, "times")?
                .ok_or_else(|| Error::validation("times", "missing: the sample instants"))?;
            let times = instants(&times, "times")?;
            let cpu = float_series(&series, "cpu")?;
            let memory = float_series(&series, "memory")?;
            let (cpu_ok, memory_ok) = self.inner.add_samples(
                &mut aggregate.inner,
                &times,
                cpu.as_deref(),
                memory.as_deref(),
            )?;
            let mut out = Object::new(env)?;
            out.set_named_property(
                "cpu",
                Uint8Array::new(cpu_ok.into_iter().map(u8::from).collect()),
            )?;
            out.set_named_property(
                "memory",
                Uint8Array::new(memory_ok.into_iter().map(u8::from).collect()),
            )?;
            Ok(out)
        })
    }

    /// The end of the current memory aggregation window, Unix milliseconds.
    #[napi(getter)]
    pub fn window_end(&self) -> f64 {
        self.inner.0.window_end_ms as f64
    }

    /// The memory peak of the current window, bytes.
    #[napi(getter)]
    pub fn memory_peak(&self) -> f64 {
        self.inner.0.memory_peak_bytes as f64
    }

    /// The OOM peak of the current window, bytes.
    #[napi(getter)]
    pub fn oom_peak(&self) -> f64 {
        self.inner.0.oom_peak_bytes as f64
    }
}

/// A VerticalPodAutoscaler's `resourcePolicy` (`containerPolicies` with `containerName`,
/// `mode`, `minAllowed`, `maxAllowed`, `controlledResources`, `controlledValues`).
#[napi]
#[derive(Debug)]
pub struct ResourcePolicy {
    inner: b::ResourcePolicy,
}

#[napi]
impl ResourcePolicy {
    /// A policy from its manifest form.
    ///
    /// @throws {ValidationError} a malformed policy, naming the field.
    #[napi(constructor, ts_args_type = "resourcePolicy: PodResourcePolicy")]
    pub fn new(env: Env, resource_policy: Unknown<'_>) -> napi::Result<Self> {
        guard(&env, || {
            let spec: b::ResourcePolicySpec = decode(&env, &resource_policy, "")?;
            Ok(Self {
                inner: b::ResourcePolicy::new(spec)?,
            })
        })
    }

    /// `Auto` or `Off` for `container` (its own policy, else the `*` one).
    #[napi]
    pub fn scaling_mode(&self, container: String) -> String {
        self.inner.scaling_mode(&container)
    }
}

fn recommendations(
    env: &Env,
    value: &Unknown<'_>,
) -> Result<Vec<b::ContainerRecommendation>, Failure> {
    decode(env, value, "recommendations")
}

/// The pod's recommendation from each container name's aggregate (upstream's
/// `GetRecommendedPodResources`): `containers` maps names to aggregates (an object or a `Map`,
/// or `[name, aggregate]` pairs). `options`: the recommender's flags (percentiles,
/// `safetyMarginFraction`, `podMinCpuMillicores`, `podMinMemoryMb`, confidence intervals).
///
/// @throws {PodscaleError} more containers than a pod holds.
#[napi(
    ts_args_type = "containers: Record<string, ContainerAggregate> | Array<[string, ContainerAggregate]>, options?: RecommenderOptions",
    ts_return_type = "ContainerRecommendation[]"
)]
pub(crate) fn recommend<'e>(
    env: &'e Env,
    containers: Object<'e>,
    options: Option<Unknown<'e>>,
) -> napi::Result<Unknown<'e>> {
    guard(env, || {
        let options: b::RecommenderOptions = optional(env, options, "options")?.unwrap_or_default();
        let mut names: Vec<String> = Vec::new();
        let mut aggregates: Vec<ClassInstance<'_, ContainerAggregate>> = Vec::new();
        if containers.is_array()? {
            let len = containers.get_array_length()?;
            for i in 0..len {
                let pair: Object<'_> = containers.get_element(i)?;
                let name: String = pair.get_element(0).map_err(|_| {
                    Error::validation(format!("containers[{i}][0]"), "a container name")
                })?;
                let aggregate: ClassInstance<'_, ContainerAggregate> =
                    pair.get_element(1).map_err(|_| {
                        Error::validation(format!("containers[{i}][1]"), "a ContainerAggregate")
                    })?;
                names.push(name);
                aggregates.push(aggregate);
            }
        } else {
            for name in Object::keys(&containers)? {
                let aggregate: ClassInstance<'_, ContainerAggregate> =
                    containers.get_named_property(&name).map_err(|_| {
                        Error::validation(format!("containers.{name}"), "a ContainerAggregate")
                    })?;
                names.push(name);
                aggregates.push(aggregate);
            }
        }
        let pairs: Vec<(&str, &b::ContainerAggregate)> = names
            .iter()
            .zip(&aggregates)
            .map(|(n, a)| (n.as_str(), &a.inner))
            .collect();
        encode(env, &b::recommend(&options, &pairs)?)
    })
}

/// Bounds recommendations by the policy's `minAllowed` and `maxAllowed` (and
/// `globalMaxAllowed`), as the recommender does before writing the status.
///
/// @throws {ValidationError} malformed recommendations.
#[napi(
    ts_args_type = "recommendations: ContainerRecommendation[], policy?: ResourcePolicy | null, globalMaxAllowed?: ResourceList",
    ts_return_type = "ContainerRecommendation[]"
)]
pub(crate) fn apply_vpa_policy<'e>(
    env: &'e Env,
    recommendations: Unknown<'e>,
    policy: Option<&ResourcePolicy>,
    global_max_allowed: Option<Unknown<'e>>,
) -> napi::Result<Unknown<'e>> {
    guard(env, || {
        let list = self::recommendations(env, &recommendations)?;
        let global: ResourceList =
            optional(env, global_max_allowed, "globalMaxAllowed")?.unwrap_or_default();
        encode(
            env,
            &b::apply_vpa_policy(&list, policy.map(|p| &p.inner), global)?,
        )
    })
}

/// Scales one bound (`'target'`, `'lowerBound'`, `'upperBound'`) of a pod's recommendations
/// for `resource` to fit a `Pod` limit range (upstream's `applyPodLimitRange`).
///
/// @throws {ValidationError} a malformed argument.
#[napi(
    ts_args_type = "recommendations: ContainerRecommendation[], pod: VpaPod, limitRange: LimitRangeItem, options: { resource: 'cpu' | 'memory'; bound: 'target' | 'lowerBound' | 'upperBound' }",
    ts_return_type = "ContainerRecommendation[]"
)]
pub(crate) fn apply_pod_limit_range<'e>(
    env: &'e Env,
    recommendations: Unknown<'e>,
    pod: Unknown<'e>,
    limit_range: Unknown<'e>,
    options: Object<'e>,
) -> napi::Result<Unknown<'e>> {
    guard(env, || {
        let list = self::recommendations(env, &recommendations)?;
        let pod: b::VpaPod = decode(env, &pod, "pod")?;
        let item: b::LimitRangeItem = decode(env, &limit_range, "limitRange")?;
        let kind: ResourceKindName =
            decode(env, &options.get_named_property("resource")?, "resource")?;
        let bound: b::Bound = decode(env, &options.get_named_property("bound")?, "bound")?;
        encode(
            env,
            &b::apply_pod_limit_range(&list, &pod, item, kind, bound),
        )
    })
}

/// The updater's capping for one pod (the VPA's policy, then the container and pod limit
/// ranges): `{recommendations, annotations}`, or `null` without recommendations.
///
/// @throws {ValidationError} a malformed argument.
/// @throws {PodscaleError} more containers than a pod holds.
#[napi(
    ts_args_type = "recommendations: ContainerRecommendation[] | null, pod: VpaPod, options?: { policy?: ResourcePolicy; containerLimitRange?: LimitRangeItem; podLimitRange?: LimitRangeItem }",
    ts_return_type = "Capped | null"
)]
pub(crate) fn apply_capping<'e>(
    env: &'e Env,
    recommendations: Option<Unknown<'e>>,
    pod: Unknown<'e>,
    options: Option<Object<'e>>,
) -> napi::Result<Unknown<'e>> {
    guard(env, || {
        let list = match recommendations {
            Some(r) if !is_absent(&r)? => Some(self::recommendations(env, &r)?),
            _ => None,
        };
        let pod: b::VpaPod = decode(env, &pod, "pod")?;
        let (policy, container_range, pod_range) = match &options {
            Some(o) => {
                let policy: Option<ClassInstance<'_, ResourcePolicy>> = o
                    .get_named_property("policy")
                    .map_err(|_| Error::validation("policy", "a ResourcePolicy"))?;
                let container_range = optional::<b::LimitRangeItem>(
                    env,
                    Some(o.get_named_property("containerLimitRange")?),
                    "containerLimitRange",
                )?;
                let pod_range = optional::<b::LimitRangeItem>(
                    env,
                    Some(o.get_named_property("podLimitRange")?),
                    "podLimitRange",
                )?;
                (policy, container_range, pod_range)
            }
            None => (None, None, None),
        };
        let out = b::apply_capping(
            list.as_deref(),
            policy.as_ref().map(|p| &p.inner),
            container_range,
            pod_range,
            &pod,
        )?;
        encode(env, &out)
    })
}

/// A new limit keeping the limit-to-request ratio for a new request (upstream's
/// `GetProportionalLimit`): `{limit, annotation}`.
///
/// @throws {ValidationError} a malformed request.
#[napi(
    ts_args_type = "request: ProportionalLimitRequest",
    ts_return_type = "ProportionalLimit"
)]
pub(crate) fn proportional_limit<'e>(
    env: &'e Env,
    request: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    crate::convert::call(env, &request, "", |r: b::ProportionalLimitRequest| {
        Ok(b::proportional_limit(&r))
    })
}

/// The updater's priority of `pod` against `recommendations`: outside the recommended
/// range, scaling up, and the relative resource difference.
///
/// @throws {ValidationError} a malformed argument.
#[napi(
    ts_args_type = "pod: VpaPod, recommendations: ContainerRecommendation[]",
    ts_return_type = "PodPriority"
)]
pub(crate) fn update_priority<'e>(
    env: &'e Env,
    pod: Unknown<'e>,
    recommendations: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    guard(env, || {
        let pod: b::VpaPod = decode(env, &pod, "pod")?;
        let list = self::recommendations(env, &recommendations)?;
        encode(env, &b::update_priority(&pod, &list))
    })
}

/// Whether `priority` ranks below `other` (upstream's `PodPriority.Less`: pods outside the
/// recommended range first, then scale-ups, then the larger change).
///
/// @throws {ValidationError} a malformed priority.
#[napi(ts_args_type = "priority: PodPriority, other: PodPriority")]
pub(crate) fn priority_less(
    env: Env,
    priority: Unknown<'_>,
    other: Unknown<'_>,
) -> napi::Result<bool> {
    guard(&env, || {
        let a: b::PodPriority = decode(&env, &priority, "priority")?;
        let o: b::PodPriority = decode(&env, &other, "other")?;
        Ok(a.less(o))
    })
}

/// Whether a container of `pod` was OOM-killed within `options.threshold` (default 10 min)
/// of starting, for containers the policy leaves on.
///
/// @throws {ValidationError} a malformed pod.
#[napi(ts_args_type = "pod: VpaPod, options?: { threshold?: Duration; policy?: ResourcePolicy }")]
pub(crate) fn is_quick_oom(
    env: Env,
    pod: Unknown<'_>,
    options: Option<Object<'_>>,
) -> napi::Result<bool> {
    guard(&env, || {
        let pod: b::VpaPod = decode(&env, &pod, "pod")?;
        let mut threshold = 600_000;
        let mut policy: Option<ClassInstance<'_, ResourcePolicy>> = None;
        if let Some(o) = &options {
            let t: Unknown<'_> = o.get_named_property("threshold")?;
            if !is_absent(&t)? {
                threshold = duration(&env, &t, "threshold")?;
            }
            policy = o
                .get_named_property("policy")
                .map_err(|_| Error::validation("policy", "a ResourcePolicy"))?;
        }
        Ok(b::is_quick_oom(
            &pod,
            policy.as_ref().map(|p| &p.inner),
            threshold,
        )?)
    })
}

/// The pods the updater would evict at `options.now`, in its order; the other options are
/// its flags (`minChangePriority`, `podLifetimeUpdateThreshold`, `evictAfterOomThreshold`).
///
/// @throws {ValidationError} a malformed candidate or option.
#[napi(
    ts_args_type = "candidates: EvictionCandidate[], options: UpdaterOptions & { now: Instant }"
)]
pub(crate) fn eviction_order(
    env: Env,
    candidates: Unknown<'_>,
    options: Unknown<'_>,
) -> napi::Result<Vec<String>> {
    guard(&env, || {
        let mut json = to_json(&options, "")?;
        let now = json
            .as_object_mut()
            .and_then(|m| m.remove("now"))
            .ok_or_else(|| Error::validation("now", "missing: the instant"))?;
        let now = from_json::<podscale_bindings::units::Instant>(&env, now, "now")?.0;
        let options: b::UpdaterOptions = from_json(&env, json, "")?;
        let list: Vec<b::EvictionCandidate> = decode(&env, &candidates, "candidates")?;
        Ok(b::eviction_order(&options, &list, now))
    })
}

/// Resources as the recommender writes them into the status (`format`: `humanizeMemory`,
/// `roundCpuMillicores`, `roundMemoryBytes`).
///
/// @throws {ValidationError} a malformed argument.
#[napi(
    ts_args_type = "resources: ResourceList, format?: RecommendationFormatOptions",
    ts_return_type = "StatusResources"
)]
pub(crate) fn resources_as_resource_list<'e>(
    env: &'e Env,
    resources: Unknown<'e>,
    format: Option<Unknown<'e>>,
) -> napi::Result<Unknown<'e>> {
    guard(env, || {
        let list: ResourceList = decode(env, &resources, "resources")?;
        let format: b::RecommendationFormatOptions =
            optional(env, format, "format")?.unwrap_or_default();
        encode(env, &b::resources_as_resource_list(list, &format))
    })
}

/// Bytes as `--humanize-memory` writes them (`'800.61Mi'`).
#[napi]
pub(crate) fn humanize_memory(bytes: i64) -> String {
    b::HumanizedMemory(bytes).to_string()
}

/// `base` plus `fraction` of it (upstream's `WithMargin`).
#[napi]
pub(crate) fn with_margin(base: i64, fraction: f64) -> i64 {
    b::with_margin(base, fraction)
}

/// `base × (1 + multiplier / confidence)^exponent` as upstream computes it
/// (`WithConfidenceMultiplier`).
#[napi]
pub(crate) fn with_confidence_multiplier(
    base: i64,
    multiplier: f64,
    exponent: i64,
    confidence: f64,
) -> i64 {
    b::with_confidence_multiplier(base, multiplier, exponent, confidence)
}

/// `amount`, but at least `minimum` (upstream's `WithMinResource`).
#[napi]
pub(crate) fn with_min_resource(amount: i64, minimum: i64) -> i64 {
    b::with_min_resource(amount, minimum)
}

/// Each container's share of the pod minimums (`--pod-recommendation-min-cpu-millicores`,
/// `--pod-recommendation-min-memory-mb`) for a pod of `containers` containers.
///
/// @throws {ValidationError} a bad option.
#[napi(
    ts_args_type = "containers: number, options?: RecommenderOptions",
    ts_return_type = "ResourceList"
)]
pub(crate) fn pod_min_resources<'e>(
    env: &'e Env,
    containers: u32,
    options: Option<Unknown<'e>>,
) -> napi::Result<Unknown<'e>> {
    guard(env, || {
        let options: b::RecommenderOptions = optional(env, options, "options")?.unwrap_or_default();
        encode(
            env,
            &ResourceList::from_core(b::pod_min_resources(
                &options.to_core(),
                containers as usize,
            )),
        )
    })
}

/// Bytes (a float, as histograms give them) as a whole amount.
#[napi]
pub(crate) fn memory_amount_from_bytes(bytes: f64) -> i64 {
    b::memory_amount_from_bytes(bytes)
}

/// Cores as millicores.
#[napi]
pub(crate) fn cpu_amount_from_cores(cores: f64) -> i64 {
    b::cpu_amount_from_cores(cores)
}

/// Millicores as cores.
#[napi]
pub(crate) fn cores_from_cpu_amount(cpu: i64) -> f64 {
    b::cores_from_cpu_amount(cpu)
}

/// `amount × factor`, saturating (upstream's `scaleQuantity`).
#[napi]
pub(crate) fn scale_resource(amount: i64, factor: f64) -> i64 {
    b::scale_resource(amount, factor)
}

/// `value` rounded up to a multiple of `scale` (upstream's `RoundUpToScale`).
///
/// @throws {ValidationError} a scale upstream refuses.
#[napi]
pub(crate) fn round_up_to_scale(env: Env, value: i64, scale: i64) -> napi::Result<i64> {
    guard(&env, || {
        b::round_up_to_scale(value, scale)
            .map_err(|e| Failure::from(Error::validation("scale", e.to_string()).with_value(scale)))
    })
}

/// Replays the recommender over one container's samples: they feed a pod's container into
/// an aggregate and the recommender runs `every` (default 1 min) and after the last sample,
/// the policy applied. `series.times` are Unix milliseconds, `series.cpu` millicores and
/// `series.memory` bytes (`NaN`: no sample). Returns one row per recommendation.
///
/// @throws {ValidationError} series of different lengths, times going back.
/// @throws {PodscaleError} a sample the histograms refuse.
#[napi(
    ts_args_type = "series: SampleSeries, options: { container: string; every?: Duration; policy?: ResourcePolicy; aggregation?: AggregationOptions; recommender?: RecommenderOptions }",
    ts_return_type = "RecommendationColumns"
)]
pub(crate) fn replay_recommendations<'e>(
    env: &'e Env,
    series: Object<'e>,
    options: Object<'e>,
) -> napi::Result<Object<'e>> {
    guard(env, || {
        let times = float_series(&series, "times")?
            .ok_or_else(|| Error::validation("times", "missing: the sample instants"))?;
        let times = instants(&times, "times")?;
        let cpu = float_series(&series, "cpu")?;
        let memory = float_series(&series, "memory")?;
        let container: String = options
            .get_named_property("container")
            .map_err(|_| Error::validation("container", "the container's name"))?;
        let every: Unknown<'_> = options.get_named_property("every")?;
        let every_ms = if is_absent(&every)? {
            60_000
        } else {
            duration(env, &every, "every")?
        };
        let policy: Option<ClassInstance<'_, ResourcePolicy>> = options
            .get_named_property("policy")
            .map_err(|_| Error::validation("policy", "a ResourcePolicy"))?;
        let aggregation: b::AggregationOptions = optional(
            env,
            Some(options.get_named_property("aggregation")?),
            "aggregation",
        )?
        .unwrap_or_default();
        let recommender: b::RecommenderOptions = optional(
            env,
            Some(options.get_named_property("recommender")?),
            "recommender",
        )?
        .unwrap_or_default();
        let replay = b::RecommendationReplay {
            container: &container,
            times: &times,
            cpu_m: cpu.as_deref(),
            memory_bytes: memory.as_deref(),
            every_ms,
        };
        let c = b::replay_recommendations(
            &aggregation,
            &recommender,
            policy.as_ref().map(|p| &p.inner),
            &replay,
        )?;
        let mut out = Object::new(env)?;
        out.set_named_property(
            "time",
            Float64Array::new(c.time.into_iter().map(|t| t as f64).collect()),
        )?;
        out.set_named_property("targetCpu", Float64Array::new(c.target_cpu))?;
        out.set_named_property("targetMemory", Float64Array::new(c.target_memory))?;
        out.set_named_property("lowerBoundCpu", Float64Array::new(c.lower_bound_cpu))?;
        out.set_named_property("lowerBoundMemory", Float64Array::new(c.lower_bound_memory))?;
        out.set_named_property("upperBoundCpu", Float64Array::new(c.upper_bound_cpu))?;
        out.set_named_property("upperBoundMemory", Float64Array::new(c.upper_bound_memory))?;
        Ok(out)
    })
}
