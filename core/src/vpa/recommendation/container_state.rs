//! One container instance (a pod's container) feeding its aggregate: CPU sample deduplication,
//! one memory peak per aggregation window, and OOM events as bumped-up memory samples
//! [ContainerState].

use core::fmt;

use super::aggregate_state::AggregateContainerState;
use super::resources::{memory_amount_from_bytes, scale_resource};
use super::sample_histogram::SampleHistogram;
use crate::vpa::GO_ZERO_TIME_MS;
use crate::vpa::go_time::is_zero;

/// Why an OOM event was not recorded [ContainerState.RecordOOM]. `E` is the histogram's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OomError<E> {
    /// The OOM happened more than one aggregation interval before the latest memory sample.
    TooOld {
        /// When the OOM happened, Unix milliseconds.
        timestamp_ms: i64,
        /// The latest memory sample, Unix milliseconds.
        last_memory_sample_ms: i64,
    },
    /// The bumped-up memory sample was rejected (it came out negative).
    SampleRejected {
        /// The memory the OOM sample asked for, in bytes.
        memory_needed_bytes: i64,
    },
    /// The memory histogram refused the sample.
    Histogram(E),
}

impl<E: fmt::Display> fmt::Display for OomError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooOld {
                timestamp_ms,
                last_memory_sample_ms,
            } => write!(
                f,
                "OOM event will be discarded - it is too old (timestamp_ms = {timestamp_ms}, \
                 last memory sample at {last_memory_sample_ms})"
            ),
            Self::SampleRejected {
                memory_needed_bytes,
            } => write!(
                f,
                "adding OOM sample failed (memory_needed_bytes = {memory_needed_bytes})"
            ),
            Self::Histogram(e) => write!(f, "adding OOM sample failed: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for OomError<E> {}

/// The per-instance state of one container [ContainerState].
///
/// The container forwards accepted samples to the aggregate of its container name, which holds
/// the histograms; this state is small (a few times and the current window's peaks).
///
/// ```
/// use podscale::vpa::{AggregateContainerState, AggregationConfig, ContainerState};
/// let mut aggregate = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
/// let mut container = ContainerState::new();
/// let t = 1_700_000_000_000;
/// assert!(container.add_memory_sample(&mut aggregate, t, 100 << 20)?);
/// // A higher peak in the same 24h window replaces the first one, at the window's end.
/// assert!(container.add_memory_sample(&mut aggregate, t + 3_600_000, 200 << 20)?);
/// assert_eq!(container.window_end_ms, t + 86_400_000);
/// assert_eq!(aggregate.memory_peaks.percentile(0.5), 215_785_635.88227338); // 200Mi's bucket end
/// assert!(container.add_cpu_sample(&mut aggregate, t, 250)?);
/// assert!(!container.add_cpu_sample(&mut aggregate, t, 250)?); // a duplicate
/// # Ok::<(), podscale::vpa::HistogramError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContainerState {
    /// The latest accepted CPU sample, Go's zero time before any [LastCPUSampleStart].
    pub last_cpu_sample_start_ms: i64,
    /// The highest memory sample of the current window, in bytes [memoryPeak].
    pub memory_peak_bytes: i64,
    /// The memory an OOM in the current window asked for, in bytes [oomPeak].
    pub oom_peak_bytes: i64,
    /// The end (exclusive) of the current memory aggregation window, Go's zero time before
    /// the first memory sample [WindowEnd].
    pub window_end_ms: i64,
    /// The latest memory sample, Go's zero time before any [lastMemorySampleStart].
    pub last_memory_sample_start_ms: i64,
}

impl Default for ContainerState {
    fn default() -> Self {
        Self::new()
    }
}

impl ContainerState {
    /// A container with no samples yet: every time at Go's zero time [NewContainerState].
    pub const fn new() -> Self {
        Self {
            last_cpu_sample_start_ms: GO_ZERO_TIME_MS,
            memory_peak_bytes: 0,
            oom_peak_bytes: 0,
            window_end_ms: GO_ZERO_TIME_MS,
            last_memory_sample_start_ms: GO_ZERO_TIME_MS,
        }
    }

    /// The larger of the window's usage peak and OOM peak [GetMaxMemoryPeak].
    pub const fn max_memory_peak(&self) -> i64 {
        if self.memory_peak_bytes > self.oom_peak_bytes {
            self.memory_peak_bytes
        } else {
            self.oom_peak_bytes
        }
    }

    /// Adds a CPU sample of `usage_m` millicores [ContainerState.addCPUSample].
    ///
    /// Returns whether it was accepted: a negative usage, or a sample not strictly after the
    /// latest accepted one (a duplicate or out of order), is dropped.
    ///
    /// # Errors
    ///
    /// When the CPU histogram refuses the sample (the VPA histograms never do); nothing changes
    /// then.
    pub fn add_cpu_sample<H: SampleHistogram>(
        &mut self,
        aggregate: &mut AggregateContainerState<H>,
        measure_start_ms: i64,
        usage_m: i64,
    ) -> Result<bool, H::Error> {
        if !self.accepts_cpu_sample(measure_start_ms, usage_m) {
            return Ok(false);
        }
        aggregate.add_cpu_sample(measure_start_ms, usage_m)?;
        self.last_cpu_sample_start_ms = measure_start_ms;
        Ok(true)
    }

    /// Whether [`Self::add_cpu_sample`] would take this sample: a usage that is not negative,
    /// strictly after the latest accepted sample [ContainerState.addCPUSample].
    pub(crate) const fn accepts_cpu_sample(&self, measure_start_ms: i64, usage_m: i64) -> bool {
        usage_m >= 0 && measure_start_ms > self.last_cpu_sample_start_ms
    }

    /// Notes a sample [`Self::accepts_cpu_sample`] took, once its aggregate has it.
    pub(crate) const fn note_cpu_sample(&mut self, measure_start_ms: i64) {
        self.last_cpu_sample_start_ms = measure_start_ms;
    }

    /// Adds a memory sample (working set, in bytes) [ContainerState.addMemorySample].
    ///
    /// Returns whether it was accepted: a negative usage, or a sample strictly older than the
    /// latest memory sample, is dropped. Only the peak of each aggregation window reaches the
    /// aggregate, at the window's end.
    ///
    /// # Errors
    ///
    /// When the memory histogram refuses a call (the VPA histograms never do for the model's
    /// samples). The state is then updated up to the refused call, as upstream orders it: a
    /// replaced peak may already be out of the histogram.
    pub fn add_memory_sample<H: SampleHistogram>(
        &mut self,
        aggregate: &mut AggregateContainerState<H>,
        measure_start_ms: i64,
        usage_bytes: i64,
    ) -> Result<bool, H::Error> {
        self.add_memory(aggregate, measure_start_ms, usage_bytes, false, 1)
    }

    /// [`Self::add_memory_sample`] for `count` containers in this same state measured alike: the
    /// aggregate receives what `count` such containers would each send it, in the same order.
    ///
    /// # Errors
    ///
    /// As [`Self::add_memory_sample`].
    pub(crate) fn add_memory_samples<H: SampleHistogram>(
        &mut self,
        aggregate: &mut AggregateContainerState<H>,
        measure_start_ms: i64,
        usage_bytes: i64,
        count: u32,
    ) -> Result<bool, H::Error> {
        self.add_memory(aggregate, measure_start_ms, usage_bytes, false, count)
    }

    /// The shared path of usage and OOM memory samples [ContainerState.addMemorySample], for
    /// `count` containers in this state.
    fn add_memory<H: SampleHistogram>(
        &mut self,
        aggregate: &mut AggregateContainerState<H>,
        ts: i64,
        usage: i64,
        is_oom: bool,
        count: u32,
    ) -> Result<bool, H::Error> {
        // OOM samples are always processed, even when older than the latest sample.
        if usage < 0 || (!is_oom && ts < self.last_memory_sample_start_ms) {
            return Ok(false);
        }
        self.last_memory_sample_start_ms = ts;
        if is_zero(self.window_end_ms) {
            // The first sample opens the first window.
            self.window_end_ms = ts;
        }
        let window_end = self.window_end_ms;

        // The peak a higher sample replaces in the same window.
        let mut replaced = None;
        let add_new_peak = if ts < window_end {
            // Same window: replace the peak only when this sample is higher. An empty window
            // (no peak yet) takes nothing, as upstream.
            let old_peak = self.max_memory_peak();
            replaced = Some(old_peak);
            old_peak != 0 && usage > old_peak
        } else {
            // A new window: keep WindowEnd on the grid first_sample + k * interval.
            let interval = aggregate.config.memory_aggregation_interval_ms;
            let elapsed = ts.saturating_sub(window_end);
            let truncated = if interval <= 0 {
                elapsed
            } else {
                elapsed.saturating_sub(elapsed.checked_rem(interval).unwrap_or(0))
            };
            let shift = truncated.saturating_add(interval);
            self.window_end_ms = window_end.saturating_add(shift);
            self.memory_peak_bytes = 0;
            self.oom_peak_bytes = 0;
            true
        };
        if add_new_peak {
            for _ in 0..count {
                if let Some(old_peak) = replaced {
                    aggregate.subtract_memory_sample(window_end, old_peak)?;
                }
                aggregate.add_memory_sample(self.window_end_ms, usage)?;
            }
            if is_oom {
                self.oom_peak_bytes = usage;
            } else {
                self.memory_peak_bytes = usage;
            }
        }
        Ok(true)
    }

    /// Records an OOM kill at `timestamp_ms` of a container that requested
    /// `requested_memory_bytes` as an artificial memory sample [ContainerState.RecordOOM].
    ///
    /// The sample asks for `max(used + oom_min_bump_up_bytes, trunc(used * oom_bump_up_ratio))`
    /// where `used = max(request, window's usage peak)`. The previous OOM peak is left out so
    /// that repeated OOMs do not compound.
    ///
    /// # Errors
    ///
    /// [`OomError::TooOld`] when the OOM is more than one aggregation interval older than the
    /// latest memory sample (the rule of VPA 1.8; 1.7 measured from the window end instead),
    /// [`OomError::SampleRejected`] when the resulting sample is negative, and
    /// [`OomError::Histogram`] when the memory histogram refuses it (see
    /// [`ContainerState::add_memory_sample`]).
    ///
    /// ```
    /// use podscale::vpa::{AggregateContainerState, AggregationConfig, ContainerState};
    /// let mut aggregate = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
    /// let mut container = ContainerState::new();
    /// container.record_oom(&mut aggregate, 1_700_000_000_000, 1000 << 20)?; // a 1000Mi request
    /// assert_eq!(container.oom_peak_bytes, 1200 << 20); // x1.2 beats +100Mi
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_oom<H: SampleHistogram>(
        &mut self,
        aggregate: &mut AggregateContainerState<H>,
        timestamp_ms: i64,
        requested_memory_bytes: i64,
    ) -> Result<(), OomError<H::Error>> {
        let last = self.last_memory_sample_start_ms;
        let interval = aggregate.config.memory_aggregation_interval_ms;
        if !is_zero(last) && timestamp_ms < last.saturating_sub(interval) {
            return Err(OomError::TooOld {
                timestamp_ms,
                last_memory_sample_ms: last,
            });
        }
        let used = requested_memory_bytes.max(self.memory_peak_bytes);
        let bumped_by_min = used.saturating_add(memory_amount_from_bytes(
            aggregate.config.oom_min_bump_up_bytes,
        ));
        let bumped_by_ratio = scale_resource(used, aggregate.config.oom_bump_up_ratio);
        let needed = bumped_by_min.max(bumped_by_ratio);
        match self.add_memory(aggregate, timestamp_ms, needed, true, 1) {
            Ok(true) => Ok(()),
            Ok(false) => Err(OomError::SampleRejected {
                memory_needed_bytes: needed,
            }),
            Err(e) => Err(OomError::Histogram(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    extern crate std;
    use core::convert::Infallible;
    use std::vec::Vec;

    use super::*;
    use crate::vpa::AggregationConfig;

    const DAY_MS: i64 = 86_400_000;

    /// Records calls as (sign, value, time).
    #[derive(Debug, Default)]
    struct Log(Vec<(i8, f64, i64)>);

    impl SampleHistogram for Log {
        type Error = Infallible;
        fn add_sample(&mut self, value: f64, _: f64, time_ms: i64) -> Result<(), Infallible> {
            self.0.push((1, value, time_ms));
            Ok(())
        }
        fn subtract_sample(&mut self, value: f64, _: f64, time_ms: i64) -> Result<(), Infallible> {
            self.0.push((-1, value, time_ms));
            Ok(())
        }
        fn percentile(&self, _: f64) -> f64 {
            0.0
        }
        fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
        fn merge(&mut self, _: &Self) -> Result<(), Infallible> {
            Ok(())
        }
    }

    fn aggregate() -> AggregateContainerState<Log> {
        AggregateContainerState::new(
            Log::default(),
            Log::default(),
            AggregationConfig::default(),
            0,
        )
    }

    #[test]
    fn cpu_dedup_and_order() {
        let mut a = aggregate();
        let mut c = ContainerState::new();
        assert!(c.add_cpu_sample(&mut a, 1_000, 5).unwrap());
        assert!(!c.add_cpu_sample(&mut a, 1_000, 5).unwrap());
        assert!(!c.add_cpu_sample(&mut a, 999, 5).unwrap());
        assert!(!c.add_cpu_sample(&mut a, 2_000, -1).unwrap());
        assert!(c.add_cpu_sample(&mut a, 2_000, 0).unwrap());
        assert_eq!(a.total_samples_count, 2);
        // A sample at Unix 0 is a real time, not Go's zero time.
        let mut c = ContainerState::new();
        assert!(c.add_cpu_sample(&mut a, 0, 1).unwrap());
    }

    #[test]
    fn lower_sample_in_window_changes_nothing() {
        let mut a = aggregate();
        let mut c = ContainerState::new();
        assert!(c.add_memory_sample(&mut a, 0, 100).unwrap());
        assert!(c.add_memory_sample(&mut a, 10, 50).unwrap());
        assert_eq!(a.memory_peaks.0, [(1, 100.0, DAY_MS)]);
        assert_eq!(c.memory_peak_bytes, 100);
    }

    #[test]
    fn window_shift_keeps_grid() {
        let mut a = aggregate();
        let mut c = ContainerState::new();
        assert!(c.add_memory_sample(&mut a, 5, 1).unwrap());
        // 2.5 days later: the window end moves by two whole intervals plus one.
        assert!(c.add_memory_sample(&mut a, 5 + DAY_MS * 5 / 2, 2).unwrap());
        assert_eq!(c.window_end_ms, 5 + 3 * DAY_MS);
    }

    #[test]
    fn stale_oom_is_refused_and_repeated_ooms_do_not_compound() {
        let mut a = aggregate();
        let mut c = ContainerState::new();
        assert!(c.add_memory_sample(&mut a, 2 * DAY_MS, 1_000).unwrap());
        assert_eq!(
            c.record_oom(&mut a, DAY_MS - 1, 0),
            Err(OomError::TooOld {
                timestamp_ms: DAY_MS - 1,
                last_memory_sample_ms: 2 * DAY_MS
            })
        );
        assert_eq!(c.record_oom(&mut a, 2 * DAY_MS, 1 << 30), Ok(()));
        let first = c.oom_peak_bytes;
        assert_eq!(c.record_oom(&mut a, 2 * DAY_MS, 1 << 30), Ok(()));
        assert_eq!(c.oom_peak_bytes, first);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let mut a = aggregate();
        a.config.memory_aggregation_interval_ms = 0;
        let mut c = ContainerState::new();
        // Before Go's zero time: older than the (zero) latest sample.
        assert!(!c.add_memory_sample(&mut a, i64::MIN, i64::MAX).unwrap());
        assert!(
            c.add_memory_sample(&mut a, GO_ZERO_TIME_MS, i64::MAX)
                .unwrap()
        );
        assert!(c.add_memory_sample(&mut a, i64::MAX, i64::MAX).unwrap());
        assert!(c.record_oom(&mut a, i64::MAX, i64::MAX).is_ok());
        a.config.memory_aggregation_interval_ms = -5;
        assert!(c.add_memory_sample(&mut a, i64::MAX, 1).unwrap());
        assert!(c.record_oom(&mut a, i64::MIN, i64::MIN).is_err());
    }
}
