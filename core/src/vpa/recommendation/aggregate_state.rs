//! The usage history of one container name across the pods of a VPA: the CPU usage histogram,
//! the memory peak histogram and the sample counts behind the confidence
//! [AggregateContainerState].

use super::policy::{ContainerResourcePolicy, ContainerScalingMode, ControlledResources};
use super::resources::{bytes_from_memory_amount, cores_from_cpu_amount};
use super::sample_histogram::SampleHistogram;
use crate::vpa::GO_ZERO_TIME_MS;
use crate::vpa::go_time::{is_zero, sub_ns};
use crate::vpa::{
    DecayingHistogram, HistogramError, HistogramOptions, VPA_DEFAULT_HALF_LIFE_MS,
    VpaCheckpointStatus,
};

/// The weight of one CPU sample [minSampleWeight].
///
/// Until VPA 1.3 the weight was `max(request in cores, 0.1)`; since 1.4 every CPU sample weighs
/// 0.1, whatever the request.
pub const MIN_SAMPLE_WEIGHT: f64 = 0.1;

/// The recommender flags that shape the container model [AggregationsConfig].
///
/// ```
/// use podscale::vpa::AggregationConfig;
/// let c = AggregationConfig::default();
/// assert_eq!(c.memory_aggregation_interval_ms, 24 * 3600 * 1000);
/// assert_eq!(c.oom_min_bump_up_bytes, 104_857_600.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AggregationConfig {
    /// `--memory-aggregation-interval`: one memory peak is kept per interval (default 24h).
    pub memory_aggregation_interval_ms: i64,
    /// `--memory-aggregation-interval-count`: aggregates expire after `interval * count`
    /// without samples (default 8).
    pub memory_aggregation_interval_count: i64,
    /// `--oom-bump-up-ratio` (default 1.2).
    pub oom_bump_up_ratio: f64,
    /// `--oom-min-bump-up-bytes` (default 100 MiB).
    pub oom_min_bump_up_bytes: f64,
    /// `--cpu-histogram-decay-half-life` (default 24h), for
    /// [`AggregateContainerState::with_vpa_histograms`].
    pub cpu_histogram_decay_half_life_ms: i64,
    /// `--memory-histogram-decay-half-life` (default 24h), for
    /// [`AggregateContainerState::with_vpa_histograms`].
    pub memory_histogram_decay_half_life_ms: i64,
}

impl Default for AggregationConfig {
    /// The flags' defaults [DefaultMemoryAggregationInterval, DefaultOOMBumpUpRatio, ...].
    fn default() -> Self {
        Self {
            memory_aggregation_interval_ms: 24 * 3600 * 1000,
            memory_aggregation_interval_count: 8,
            oom_bump_up_ratio: 1.2,
            oom_min_bump_up_bytes: 104_857_600.0,
            cpu_histogram_decay_half_life_ms: VPA_DEFAULT_HALF_LIFE_MS,
            memory_histogram_decay_half_life_ms: VPA_DEFAULT_HALF_LIFE_MS,
        }
    }
}

/// The aggregated history of a container name [AggregateContainerState].
///
/// `H` is the histogram type; the recommender's is [`DecayingHistogram`] with the VPA bucket
/// options ([`AggregateContainerState::with_vpa_histograms`]). First and last sample times and
/// the count follow **CPU samples only**, as upstream. Times are Unix milliseconds,
/// [`GO_ZERO_TIME_MS`](crate::vpa::GO_ZERO_TIME_MS) before the first sample.
///
/// ```
/// use podscale::vpa::{AggregateContainerState, AggregationConfig};
/// let mut a = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
/// a.add_cpu_sample(1_700_000_060_000, 500)?;
/// a.add_cpu_sample(1_700_000_000_000, 400)?;
/// assert_eq!((a.first_sample_start_ms, a.last_sample_start_ms), (1_700_000_000_000, 1_700_000_060_000));
/// assert_eq!(a.total_samples_count, 2);
/// assert_eq!(a.cpu_usage.percentile(1.0), 0.5111345375888706); // the end of 500m's bucket
/// # Ok::<(), podscale::vpa::HistogramError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AggregateContainerState<H> {
    /// CPU usage in cores, one sample per metrics scrape [AggregateCPUUsage].
    pub cpu_usage: H,
    /// Memory peaks in bytes, one sample per container and aggregation interval
    /// [AggregateMemoryPeaks].
    pub memory_peaks: H,
    /// The earliest CPU sample, Go's zero time before any.
    pub first_sample_start_ms: i64,
    /// The latest CPU sample, Go's zero time before any.
    pub last_sample_start_ms: i64,
    /// How many CPU samples were added (Go's `int`).
    pub total_samples_count: i64,
    /// When the aggregate was created; it expires from here while it has no samples.
    pub creation_time_ms: i64,
    /// The intervals and OOM parameters in force for this aggregate.
    pub config: AggregationConfig,
    /// The container's scaling mode, from its policy.
    pub scaling_mode: ContainerScalingMode,
    /// The resources recommended for it, from its policy.
    pub controlled_resources: ControlledResources,
}

impl AggregateContainerState<DecayingHistogram> {
    /// An aggregate over the recommender's histograms: decaying, with the VPA's CPU and memory
    /// bucket options and the half-lives of `config` [NewAggregateContainerState].
    ///
    /// # Errors
    ///
    /// [`HistogramError::InvalidHalfLife`] for a half-life that is not positive or too long.
    pub fn with_vpa_histograms(
        config: AggregationConfig,
        creation_time_ms: i64,
    ) -> Result<Self, HistogramError> {
        Ok(Self::new(
            DecayingHistogram::new(
                HistogramOptions::vpa_cpu(),
                config.cpu_histogram_decay_half_life_ms,
            )?,
            DecayingHistogram::new(
                HistogramOptions::vpa_memory(),
                config.memory_histogram_decay_half_life_ms,
            )?,
            config,
            creation_time_ms,
        ))
    }

    /// [`Self::add_cpu_sample`] for `count` containers measured alike at the same instant:
    /// the histogram's weights come out bit for bit as from `count` calls, with one bucket
    /// lookup.
    ///
    /// # Errors
    ///
    /// As [`Self::add_cpu_sample`]; the samples added before the refused one stay, uncounted.
    pub(crate) fn add_cpu_samples(
        &mut self,
        measure_start_ms: i64,
        usage_m: i64,
        count: u32,
    ) -> Result<(), HistogramError> {
        self.cpu_usage.add_samples(
            cores_from_cpu_amount(usage_m),
            MIN_SAMPLE_WEIGHT,
            measure_start_ms,
            count,
        )?;
        self.count_cpu_samples(measure_start_ms, count);
        Ok(())
    }

    /// The aggregate as upstream checkpoints it, version `"v3"`, written at `now_ms`
    /// [AggregateContainerState.SaveToCheckpoint].
    ///
    /// ```
    /// use podscale::vpa::{AggregateContainerState, AggregationConfig};
    /// let mut a = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
    /// a.add_cpu_sample(1_700_000_000_000, 250)?;
    /// let checkpoint = a.save_checkpoint(1_700_000_060_000);
    /// let mut restored = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
    /// restored.load_checkpoint(&checkpoint)?;
    /// assert_eq!(restored.total_samples_count, 1);
    /// assert_eq!(restored.cpu_usage.percentile(0.9), a.cpu_usage.percentile(0.9));
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    pub fn save_checkpoint(&self, now_ms: i64) -> VpaCheckpointStatus {
        VpaCheckpointStatus {
            last_update_time_ms: now_ms,
            cpu_histogram: self.cpu_usage.save_checkpoint(),
            memory_histogram: self.memory_peaks.save_checkpoint(),
            first_sample_start_ms: self.first_sample_start_ms,
            last_sample_start_ms: self.last_sample_start_ms,
            total_samples_count: self.total_samples_count,
        }
    }

    /// Restores the sample times and count and adds the checkpointed histograms
    /// [AggregateContainerState.LoadFromCheckpoint]. (The version was checked when the
    /// checkpoint was read.)
    ///
    /// # Errors
    ///
    /// As [`DecayingHistogram::load_checkpoint`]; nothing changes on error (upstream sets the
    /// times and count first).
    pub fn load_checkpoint(
        &mut self,
        checkpoint: &VpaCheckpointStatus,
    ) -> Result<(), HistogramError> {
        let mut memory = self.memory_peaks.clone();
        memory.load_checkpoint(&checkpoint.memory_histogram)?;
        let mut cpu = self.cpu_usage.clone();
        cpu.load_checkpoint(&checkpoint.cpu_histogram)?;
        self.memory_peaks = memory;
        self.cpu_usage = cpu;
        self.total_samples_count = checkpoint.total_samples_count;
        self.first_sample_start_ms = checkpoint.first_sample_start_ms;
        self.last_sample_start_ms = checkpoint.last_sample_start_ms;
        Ok(())
    }
}

impl<H: SampleHistogram> AggregateContainerState<H> {
    /// An aggregate over two empty histograms [NewAggregateContainerState].
    pub const fn new(
        cpu_usage: H,
        memory_peaks: H,
        config: AggregationConfig,
        creation_time_ms: i64,
    ) -> Self {
        Self {
            cpu_usage,
            memory_peaks,
            first_sample_start_ms: GO_ZERO_TIME_MS,
            last_sample_start_ms: GO_ZERO_TIME_MS,
            total_samples_count: 0,
            creation_time_ms,
            config,
            scaling_mode: ContainerScalingMode::Auto,
            controlled_resources: ControlledResources::BOTH,
        }
    }

    /// Adds a CPU usage sample of `usage_m` millicores measured at `measure_start_ms`
    /// [AggregateContainerState.addCPUSample]: `usage_m / 1000` cores with weight
    /// [`MIN_SAMPLE_WEIGHT`], then the first and last times and the count.
    ///
    /// No check on order or sign happens here; [`ContainerState`](crate::vpa::ContainerState)
    /// filters samples before they reach the aggregate.
    ///
    /// # Errors
    ///
    /// When the histogram refuses the sample (the VPA histograms never do for a finite value);
    /// nothing changes then.
    pub fn add_cpu_sample(&mut self, measure_start_ms: i64, usage_m: i64) -> Result<(), H::Error> {
        self.cpu_usage.add_sample(
            cores_from_cpu_amount(usage_m),
            MIN_SAMPLE_WEIGHT,
            measure_start_ms,
        )?;
        self.count_cpu_samples(measure_start_ms, 1);
        Ok(())
    }

    /// The first and last sample times and the count, after `count` CPU samples at
    /// `measure_start_ms` [AggregateContainerState.addCPUSample].
    fn count_cpu_samples(&mut self, measure_start_ms: i64, count: u32) {
        if measure_start_ms > self.last_sample_start_ms {
            self.last_sample_start_ms = measure_start_ms;
        }
        if is_zero(self.first_sample_start_ms) || measure_start_ms < self.first_sample_start_ms {
            self.first_sample_start_ms = measure_start_ms;
        }
        self.total_samples_count = self.total_samples_count.saturating_add(i64::from(count));
    }

    /// Adds a memory peak of `usage_bytes` with weight 1.0 at `time_ms`, which the container
    /// state sets to the end of the aggregation window [AggregateContainerState.AddSample].
    ///
    /// # Errors
    ///
    /// When the histogram refuses the sample.
    pub fn add_memory_sample(&mut self, time_ms: i64, usage_bytes: i64) -> Result<(), H::Error> {
        self.memory_peaks
            .add_sample(bytes_from_memory_amount(usage_bytes), 1.0, time_ms)
    }

    /// Removes a memory peak added before [AggregateContainerState.SubtractSample].
    ///
    /// # Errors
    ///
    /// When the histogram refuses the sample.
    pub fn subtract_memory_sample(
        &mut self,
        time_ms: i64,
        usage_bytes: i64,
    ) -> Result<(), H::Error> {
        self.memory_peaks
            .subtract_sample(bytes_from_memory_amount(usage_bytes), 1.0, time_ms)
    }

    /// Adds another aggregate's history [AggregateContainerState.MergeContainerState]: both
    /// histograms, the earlier first sample, the later last sample and the summed count.
    ///
    /// # Errors
    ///
    /// When a histogram refuses the merge (different options or half-lives); nothing changes
    /// then, which is why the CPU histogram is merged into a copy first.
    pub fn merge(&mut self, other: &Self) -> Result<(), H::Error>
    where
        H: Clone,
    {
        let mut cpu = self.cpu_usage.clone();
        cpu.merge(&other.cpu_usage)?;
        self.memory_peaks.merge(&other.memory_peaks)?;
        self.cpu_usage = cpu;
        if is_zero(self.first_sample_start_ms)
            || (!is_zero(other.first_sample_start_ms)
                && other.first_sample_start_ms < self.first_sample_start_ms)
        {
            self.first_sample_start_ms = other.first_sample_start_ms;
        }
        if other.last_sample_start_ms > self.last_sample_start_ms {
            self.last_sample_start_ms = other.last_sample_start_ms;
        }
        self.total_samples_count = self
            .total_samples_count
            .saturating_add(other.total_samples_count);
        Ok(())
    }

    /// Whether no CPU sample was ever added [AggregateContainerState.isEmpty].
    pub const fn is_empty(&self) -> bool {
        self.total_samples_count == 0
    }

    /// Whether the aggregate is due for garbage collection at `now_ms`
    /// [AggregateContainerState.isExpired]: `interval * count` or more since the last sample,
    /// or since creation while it has none.
    ///
    /// ```
    /// use podscale::vpa::{AggregateContainerState, AggregationConfig};
    /// const DAY_MS: i64 = 86_400_000;
    /// let a = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
    /// assert!(!a.is_expired(8 * DAY_MS - 1));
    /// assert!(a.is_expired(8 * DAY_MS));
    /// # Ok::<(), podscale::vpa::HistogramError>(())
    /// ```
    pub fn is_expired(&self, now_ms: i64) -> bool {
        let window_ns = sub_ns(self.config.memory_aggregation_interval_ms, 0)
            .saturating_mul(self.config.memory_aggregation_interval_count);
        let since = if self.is_empty() {
            self.creation_time_ms
        } else {
            self.last_sample_start_ms
        };
        sub_ns(now_ms, since) >= window_ns
    }

    /// Takes the mode, controlled resources and (for `PerVPAConfig`) the OOM and interval
    /// overrides from the container's policy, or the defaults without one
    /// [AggregateContainerState.UpdateFromPolicy].
    ///
    /// An override replaces the value in [`AggregateContainerState::config`]; without one the
    /// value there stays.
    pub fn update_from_policy(&mut self, policy: Option<&ContainerResourcePolicy<'_>>) {
        self.scaling_mode = policy.and_then(|p| p.mode).unwrap_or_default();
        self.controlled_resources = policy
            .and_then(|p| p.controlled_resources)
            .unwrap_or_default();
        if let Some(p) = policy {
            if let Some(ratio) = p.oom_bump_up_ratio {
                self.config.oom_bump_up_ratio = ratio;
            }
            if let Some(bytes) = p.oom_min_bump_up_bytes {
                self.config.oom_min_bump_up_bytes = bytes;
            }
            if let Some(interval) = p.memory_aggregation_interval_ms {
                self.config.memory_aggregation_interval_ms = interval;
            }
            if let Some(count) = p.memory_aggregation_interval_count {
                self.config.memory_aggregation_interval_count = count;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use core::convert::Infallible;

    use super::*;

    /// Sums weights, so merges and subtractions are visible.
    #[derive(Debug, Default, Clone, PartialEq)]
    struct Total(f64);

    impl SampleHistogram for Total {
        type Error = Infallible;
        fn add_sample(&mut self, _: f64, weight: f64, _: i64) -> Result<(), Infallible> {
            self.0 += weight;
            Ok(())
        }
        fn subtract_sample(&mut self, _: f64, weight: f64, _: i64) -> Result<(), Infallible> {
            self.0 -= weight;
            Ok(())
        }
        fn percentile(&self, _: f64) -> f64 {
            self.0
        }
        fn is_empty(&self) -> bool {
            self.0 == 0.0
        }
        fn merge(&mut self, other: &Self) -> Result<(), Infallible> {
            self.0 += other.0;
            Ok(())
        }
    }

    fn aggregate() -> AggregateContainerState<Total> {
        AggregateContainerState::new(Total(0.0), Total(0.0), AggregationConfig::default(), 0)
    }

    #[test]
    fn merge_takes_earliest_first_and_latest_last() {
        let mut a = aggregate();
        let mut b = aggregate();
        a.add_cpu_sample(10, 1).unwrap();
        b.add_cpu_sample(5, 1).unwrap();
        b.add_cpu_sample(20, 1).unwrap();
        b.add_memory_sample(30, 100).unwrap();
        a.merge(&b).unwrap();
        assert_eq!(a.first_sample_start_ms, 5);
        assert_eq!(a.last_sample_start_ms, 20);
        assert_eq!(a.total_samples_count, 3);
        assert_eq!(a.memory_peaks, Total(1.0));

        // An empty aggregate takes over the other's times; an empty other changes none.
        let mut empty = aggregate();
        empty.merge(&a).unwrap();
        assert_eq!(empty.first_sample_start_ms, 5);
        a.merge(&aggregate()).unwrap();
        assert_eq!(a.first_sample_start_ms, 5);
        assert_eq!(a.last_sample_start_ms, 20);
    }

    #[test]
    fn failed_merge_changes_nothing() {
        let mut a =
            AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0).unwrap();
        a.add_cpu_sample(1_700_000_000_000, 100).unwrap();
        let other_config = AggregationConfig {
            memory_histogram_decay_half_life_ms: 3_600_000,
            ..AggregationConfig::default()
        };
        let mut b = AggregateContainerState::with_vpa_histograms(other_config, 0).unwrap();
        b.add_cpu_sample(1_700_000_000_000, 900).unwrap();
        let before = a.clone();
        assert!(a.merge(&b).is_err());
        assert_eq!(a, before);
    }

    #[test]
    fn expiry_counts_from_last_sample() {
        let mut a = aggregate();
        a.add_cpu_sample(1_000, 1).unwrap();
        let window = 8 * 86_400_000;
        assert!(!a.is_expired(1_000 + window - 1));
        assert!(a.is_expired(1_000 + window));
    }

    #[test]
    fn policy_overrides() {
        let mut a = aggregate();
        let policy = ContainerResourcePolicy {
            mode: Some(ContainerScalingMode::Off),
            controlled_resources: Some(ControlledResources::CPU_ONLY),
            oom_bump_up_ratio: Some(2.0),
            ..ContainerResourcePolicy::named("app")
        };
        a.update_from_policy(Some(&policy));
        assert_eq!(a.scaling_mode, ContainerScalingMode::Off);
        assert_eq!(a.controlled_resources, ControlledResources::CPU_ONLY);
        assert_eq!(a.config.oom_bump_up_ratio, 2.0);
        a.update_from_policy(None);
        assert_eq!(a.scaling_mode, ContainerScalingMode::Auto);
        assert_eq!(a.controlled_resources, ControlledResources::BOTH);
    }
}
