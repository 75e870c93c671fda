//! Which pods count, which are unready, missing or ignored [groupPods].

use super::metric_sample::SampleTiming;
use super::pod::{ConditionStatus, Pod, PodPhase};
use super::resource::ResourceName;

/// The class a pod falls in for one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PodClass {
    /// Counted with its sample.
    Ready,
    /// Pending, or (for CPU) not yet trustworthy: counted as 0 usage on a scale-up only.
    Unready,
    /// Running without a sample: assumed at its request (or the target) on a scale-down, at 0 on
    /// a scale-up.
    Missing,
    /// Deleting, Failed or Succeeded: not counted at all.
    Ignored,
}

/// The two controller flags that decide when a CPU sample can be trusted.
///
/// ```
/// use podscale::hpa::ReadinessPeriods;
/// let flags = ReadinessPeriods::default();
/// assert_eq!(flags.cpu_initialization_period_ms, 300_000);
/// assert_eq!(flags.delay_of_initial_readiness_status_ms, 30_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReadinessPeriods {
    /// `--horizontal-pod-autoscaler-cpu-initialization-period`, milliseconds.
    pub cpu_initialization_period_ms: i64,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay`, milliseconds.
    pub delay_of_initial_readiness_status_ms: i64,
}

impl Default for ReadinessPeriods {
    /// Upstream's flag defaults: 5 minutes and 30 seconds.
    fn default() -> Self {
        Self {
            cpu_initialization_period_ms: 300_000,
            delay_of_initial_readiness_status_ms: 30_000,
        }
    }
}

/// Classifies one pod for a metric on `resource` (`None` for custom metrics) [groupPods].
///
/// Readiness and the initialization period only matter for `cpu`.
///
/// ```
/// use podscale::hpa::{classify_pod, Container, Pod, PodClass, PodPhase, ReadinessPeriods, ResourceName, SampleTiming};
/// let containers: [Container; 0] = [];
/// let pending = Pod { phase: PodPhase::Pending, ..Pod::running_ready("p", &containers) };
/// let sample = SampleTiming { timestamp_ms: 0, window_ms: 60_000 };
/// let periods = ReadinessPeriods::default();
/// assert_eq!(classify_pod(&pending, Some(sample), Some(ResourceName::Cpu), &periods, 0), PodClass::Unready);
/// let running = Pod::running_ready("r", &containers);
/// assert_eq!(classify_pod(&running, None, Some(ResourceName::Cpu), &periods, 0), PodClass::Missing);
/// assert_eq!(classify_pod(&running, Some(sample), Some(ResourceName::Cpu), &periods, 0), PodClass::Ready);
/// ```
pub fn classify_pod(
    pod: &Pod<'_>,
    sample: Option<SampleTiming>,
    resource: Option<ResourceName<'_>>,
    periods: &ReadinessPeriods,
    now_ms: i64,
) -> PodClass {
    classify(
        pod,
        sample,
        resource == Some(ResourceName::Cpu),
        periods,
        now_ms,
    )
}

/// [`classify_pod`] with the resource check done once per metric by the caller.
pub(crate) fn classify(
    pod: &Pod<'_>,
    sample: Option<SampleTiming>,
    cpu: bool,
    periods: &ReadinessPeriods,
    now_ms: i64,
) -> PodClass {
    // IsPodTerminal covers Failed and, since upstream PR #141302, Succeeded.
    if pod.deleting || matches!(pod.phase, PodPhase::Failed | PodPhase::Succeeded) {
        return PodClass::Ignored;
    }
    if pod.phase == PodPhase::Pending {
        return PodClass::Unready;
    }
    let Some(sample) = sample else {
        return PodClass::Missing;
    };
    if cpu && cpu_sample_untrusted(pod, sample, periods, now_ms) {
        return PodClass::Unready;
    }
    PodClass::Ready
}

fn cpu_sample_untrusted(
    pod: &Pod<'_>,
    sample: SampleTiming,
    periods: &ReadinessPeriods,
    now_ms: i64,
) -> bool {
    let (Some(ready), Some(start)) = (pod.ready, pod.start_time_ms) else {
        return true;
    };
    if start.saturating_add(periods.cpu_initialization_period_ms) > now_ms {
        // Still initializing: trust neither an unready pod nor a sample whose window began
        // before the pod's last readiness change.
        ready.status == ConditionStatus::False
            || sample.timestamp_ms
                < ready
                    .last_transition_time_ms
                    .saturating_add(sample.window_ms)
    } else {
        // Past initialization: an unready pod that never became ready in time.
        ready.status == ConditionStatus::False
            && start.saturating_add(periods.delay_of_initial_readiness_status_ms)
                > ready.last_transition_time_ms
    }
}
