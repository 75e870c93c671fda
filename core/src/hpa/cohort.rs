//! Pods given in cohorts: a number of pods the replica calculation cannot tell apart, with the sum
//! of their samples, instead of each pod and each sample.
//!
//! Upstream's replica calculator only ever adds up its pods: it counts ready, unready, missing
//! and ignored pods and sums their requests and samples [groupPods, GetResourceReplicas,
//! calcPlainMetricReplicas]. `n` pods that share everything it reads but their names and sample
//! values (phase, readiness, start time, requests, when their samples were taken) therefore
//! weigh exactly as one cohort of `n` whose samples add up to the same total. A simulator that
//! creates pods in batches, or a controller that tracks a Deployment's pods by ReplicaSet and
//! creation time, then pays per cohort instead of per pod. [`decide_cohorts`](super::decide_cohorts)
//! is [`decide`](super::decide) on cohorts, rule for rule the same code.

use super::decision::SelectorState;
use super::metric_sample::{PodMetricSample, PodResourceMetrics, SampleTiming};
use super::pod::Pod;

/// Pods that the replica calculation treats alike, given once with their number.
///
/// Each of the `count` pods looks to the HPA as `pod` does (phase, deletion, start time,
/// readiness, containers and requests); only names differ, and errors name `pod`. Their samples
/// for each metric come in [`CohortMetricData`], summed.
///
/// ```
/// use podscale::hpa::{Container, Pod, PodCohort, ResourceAmount};
/// let requests = [ResourceAmount::cpu(200)];
/// let containers = [Container::new("app", &requests)];
/// // The 12 pods a ReplicaSet created at one instant.
/// let cohort = PodCohort { pod: Pod::running_ready("web-0", &containers), count: 12 };
/// assert_eq!(cohort.count, 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodCohort<'a> {
    /// What each pod of the cohort shows the HPA.
    pub pod: Pod<'a>,
    /// How many pods; a cohort of 0 counts as no pods.
    pub count: u32,
}

/// The samples of one cohort's pods for one metric: taken together, over the same window, and
/// summed.
///
/// ```
/// use podscale::hpa::{CohortSample, SampleTiming};
/// // 3 pods measured at 120m, 121m and 121m by the same scrape.
/// let timing = SampleTiming { timestamp_ms: 1_700_000_000_000, window_ms: 15_000 };
/// let sample = CohortSample { timing, sum_milli: 362 };
/// assert_eq!(sample.sum_milli, 362);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CohortSample {
    /// When every pod's sample was taken, and its window.
    pub timing: SampleTiming,
    /// The pods' values added up, milli-units.
    pub sum_milli: i128,
}

/// The data fetched for one metric of `spec.metrics`, for pods given in cohorts: as
/// [`MetricData`](super::MetricData), with per-pod samples replaced by one entry per cohort.
///
/// A cohort's entry is `None` when the metrics API listed none of its pods (they count as
/// missing); the list holds one entry per cohort, in the same order.
///
/// ```
/// use podscale::hpa::{CohortMetricData, CohortSample, SampleTiming};
/// let timing = SampleTiming { timestamp_ms: 0, window_ms: 15_000 };
/// // Two cohorts: the first measured, the second just created and not yet scraped.
/// let samples = [Some(CohortSample { timing, sum_milli: 1_200 }), None];
/// let data = CohortMetricData::Resource(&samples);
/// assert!(matches!(data, CohortMetricData::Resource(s) if s.len() == 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortMetricData<'a> {
    /// Resource and ContainerResource metrics: each cohort's samples of the resource.
    Resource(&'a [Option<CohortSample>]),
    /// Pods metrics: each cohort's samples of the custom metric.
    Pods(&'a [Option<CohortSample>]),
    /// The custom metrics API's value for the object (Object), milli-units.
    Object(i64),
    /// The external metrics API's values (External), milli-units.
    External(&'a [i64]),
    /// The API call failed.
    Unavailable,
}

/// What the controller observed for one sync, with the pods in cohorts: as
/// [`Observation`](super::Observation).
///
/// ```
/// use podscale::hpa::*;
/// let requests = [ResourceAmount::cpu(200)];
/// let containers = [Container::new("app", &requests)];
/// let cohorts = [PodCohort { pod: Pod::running_ready("web-0", &containers), count: 10 }];
/// let timing = SampleTiming { timestamp_ms: 0, window_ms: 15_000 };
/// let samples = [Some(CohortSample { timing, sum_milli: 10 * 180 })];
/// let data = [CohortMetricData::Resource(&samples)];
/// let observation = CohortObservation::new(10, 10, &cohorts, &data);
/// assert_eq!(observation.cohorts[0].count, 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortObservation<'a> {
    /// The scale subresource's `spec.replicas`: the current replica count.
    pub spec_replicas: i32,
    /// The scale subresource's `status.replicas`.
    pub status_replicas: i32,
    /// The scale subresource's selector.
    pub selector: SelectorState,
    /// The pods matching the selector, in cohorts.
    pub cohorts: &'a [PodCohort<'a>],
    /// The data of each metric, in `spec.metrics` order.
    pub metrics: &'a [CohortMetricData<'a>],
}

impl<'a> CohortObservation<'a> {
    /// An observation with a valid selector.
    pub const fn new(
        spec_replicas: i32,
        status_replicas: i32,
        cohorts: &'a [PodCohort<'a>],
        metrics: &'a [CohortMetricData<'a>],
    ) -> Self {
        Self {
            spec_replicas,
            status_replicas,
            selector: SelectorState::Valid,
            cohorts,
            metrics,
        }
    }
}

/// The pods of one sync, one by one or in cohorts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PodList<'a> {
    Each(&'a [Pod<'a>]),
    Cohorts(&'a [PodCohort<'a>]),
}

impl PodList<'_> {
    /// Whether there is no pod at all.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Self::Each(pods) => pods.is_empty(),
            Self::Cohorts(cohorts) => cohorts.iter().all(|c| c.count == 0),
        }
    }

    /// The pods Running with Ready `True` [getReadyPodsCount].
    pub(crate) fn ready_count(&self) -> usize {
        match self {
            Self::Each(pods) => pods.iter().filter(|p| p.is_running_and_ready()).count(),
            Self::Cohorts(cohorts) => cohorts
                .iter()
                .filter(|c| c.pod.is_running_and_ready())
                .fold(0usize, |n, c| n.saturating_add(c.count as usize)),
        }
    }
}

/// One metric's data, one by one or in cohorts: what the decision reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetched<'a> {
    Resource(Samples<'a, PodResourceMetrics<'a>>),
    Pods(Samples<'a, PodMetricSample<'a>>),
    Object(i64),
    External(&'a [i64]),
    Unavailable,
}

/// Per-pod samples of type `S`, or one summed entry per cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Samples<'a, S> {
    Each(&'a [S]),
    Cohorts(&'a [Option<CohortSample>]),
}

impl<S> Samples<'_, S> {
    /// Whether the metrics API returned nothing for `pods`: no item at all, or no cohort of
    /// one pod or more with samples.
    pub(crate) fn is_empty_for(&self, pods: PodList<'_>) -> bool {
        match (self, pods) {
            (Self::Each(items), _) => items.is_empty(),
            (Self::Cohorts(entries), PodList::Cohorts(cohorts)) => !entries
                .iter()
                .zip(cohorts)
                .any(|(entry, cohort)| entry.is_some() && cohort.count > 0),
            (Self::Cohorts(entries), PodList::Each(_)) => entries.iter().all(Option::is_none),
        }
    }
}

impl<'a> From<super::MetricData<'a>> for Fetched<'a> {
    fn from(data: super::MetricData<'a>) -> Self {
        use super::MetricData;
        match data {
            MetricData::Resource(items) => Self::Resource(Samples::Each(items)),
            MetricData::Pods(items) => Self::Pods(Samples::Each(items)),
            MetricData::Object(value) => Self::Object(value),
            MetricData::External(values) => Self::External(values),
            MetricData::Unavailable => Self::Unavailable,
        }
    }
}

impl<'a> From<CohortMetricData<'a>> for Fetched<'a> {
    fn from(data: CohortMetricData<'a>) -> Self {
        match data {
            CohortMetricData::Resource(entries) => Self::Resource(Samples::Cohorts(entries)),
            CohortMetricData::Pods(entries) => Self::Pods(Samples::Cohorts(entries)),
            CohortMetricData::Object(value) => Self::Object(value),
            CohortMetricData::External(values) => Self::External(values),
            CohortMetricData::Unavailable => Self::Unavailable,
        }
    }
}
