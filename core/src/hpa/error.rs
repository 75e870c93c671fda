//! Errors of the HPA engine: what upstream reports as a failed metric, and what podscale refuses.

use core::fmt;

use super::resource::ResourceName;

/// Why one metric could not produce a replica proposal.
///
/// The `Display` text is upstream's error message, so logs and status conditions read the same as
/// the HPA controller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaCalcError<'a> {
    /// The resource metrics API returned no items at all [resourceMetricsClient.GetResourceMetric].
    NoResourceMetrics {
        /// The resource asked for.
        resource: ResourceName<'a>,
    },
    /// The custom metrics API returned no items for a Pods metric [customMetricsClient.GetRawMetric].
    NoPodMetrics {
        /// The metric asked for.
        metric: &'a str,
    },
    /// The external metrics API returned no items [externalMetricsClient.GetExternalMetric].
    NoExternalMetrics {
        /// The metric asked for.
        metric: &'a str,
    },
    /// The caller could not fetch the metric from its API.
    MetricUnavailable,
    /// The metric data handed in does not fit the metric's type (for example pod samples for an
    /// External metric).
    DataMismatch,
    /// The selector matched no pods.
    NoPodsReturned,
    /// Every sample belonged to an ignored or unready pod.
    NoMetricsForTargetedPods,
    /// No sample belonged to a listed pod.
    NoMetricsMatchedKnownPods,
    /// A considered container has no request for the resource.
    MissingRequest {
        /// The resource.
        resource: ResourceName<'a>,
        /// The container.
        container: &'a str,
        /// The pod.
        pod: &'a str,
    },
    /// The pod sets pod-level requests, but not for this resource.
    MissingPodLevelRequest {
        /// The resource.
        resource: ResourceName<'a>,
        /// The pod.
        pod: &'a str,
    },
    /// A ContainerResource metric names a container that a pod lacks.
    ContainerNotFound {
        /// The container.
        container: &'a str,
        /// The pod.
        pod: &'a str,
    },
    /// The metric's target type does not apply to its source (for example a Value target on a
    /// Resource metric).
    UnsupportedTarget {
        /// The metric source type, for example `resource`.
        source: &'static str,
    },
    /// A metric source type this version does not know.
    UnknownSourceType {
        /// The `type` given.
        kind: &'a str,
    },
    /// A target that upstream's API validation rejects (zero or negative), which would otherwise
    /// divide by zero.
    InvalidTarget {
        /// The target field, for example `target.averageUtilization`.
        field: &'static str,
        /// The value given.
        value: i64,
    },
}

impl fmt::Display for ReplicaCalcError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoResourceMetrics { resource } => write!(
                f,
                "unable to get metrics for resource {resource}: no metrics returned from resource metrics API"
            ),
            Self::NoPodMetrics { metric } => write!(
                f,
                "unable to get metric {metric}: no metrics returned from custom metrics API"
            ),
            Self::NoExternalMetrics { metric } => write!(
                f,
                "unable to get external metric {metric}: no metrics returned from external metrics API"
            ),
            Self::MetricUnavailable => f.write_str("unable to fetch the metric from its API"),
            Self::DataMismatch => f.write_str("metric data does not match the metric source type"),
            Self::NoPodsReturned => {
                f.write_str("no pods returned by selector while calculating replica count")
            }
            Self::NoMetricsForTargetedPods => {
                f.write_str("did not receive metrics for targeted pods (pods might be unready)")
            }
            Self::NoMetricsMatchedKnownPods => {
                f.write_str("no metrics returned matched known pods")
            }
            Self::MissingRequest {
                resource,
                container,
                pod,
            } => write!(
                f,
                "missing request for {resource} in container {container} of Pod {pod}"
            ),
            Self::MissingPodLevelRequest { resource, pod } => {
                write!(f, "missing pod-level request for {resource} in Pod {pod}")
            }
            Self::ContainerNotFound { container, pod } => {
                write!(f, "container {container} not found in Pod {pod}")
            }
            Self::UnsupportedTarget { source } => write!(
                f,
                "invalid {source} metric source: no target of a supported type was set"
            ),
            Self::UnknownSourceType { kind } => write!(f, "unknown metric source type \"{kind}\""),
            Self::InvalidTarget { field, value } => {
                write!(f, "{field} must be greater than 0, got {value}")
            }
        }
    }
}

impl core::error::Error for ReplicaCalcError<'_> {}

/// Why podscale refused to decide: invalid input or a full caller-owned buffer.
///
/// Nothing in the caller's state has changed when this is returned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HpaError {
    /// A spec field is out of its valid range.
    InvalidField {
        /// The field path, as in the manifest (for example `behavior.scaleUp.policies[0].value`).
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A tolerance is negative or not a number.
    InvalidTolerance {
        /// The field path.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// More entries than the fixed capacity of a list.
    CapacityExceeded {
        /// The list, for example `metrics`.
        field: &'static str,
        /// Its capacity.
        capacity: usize,
    },
    /// `observation.metrics` must hold one entry per `spec.metrics` entry.
    MetricDataCount {
        /// Entries in `spec.metrics`.
        metrics: usize,
        /// Entries in `observation.metrics`.
        data: usize,
    },
    /// The recommendation history is full and none of its entries has left the stabilization
    /// windows, so recording this sync would lose a recommendation that still counts.
    RecommendationHistoryFull {
        /// The history's capacity (the `R` of [`HpaState`](super::HpaState)).
        capacity: usize,
    },
    /// The scale-event list is full and none of its events is older than the longest policy
    /// period, so recording this rescale would lose an event that still limits the rate.
    ScaleEventsFull {
        /// The list's capacity (the `E` of [`HpaState`](super::HpaState)).
        capacity: usize,
    },
}

impl fmt::Display for HpaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidField { field, value } => write!(f, "invalid value {value} for {field}"),
            Self::InvalidTolerance { field, value } => {
                write!(
                    f,
                    "invalid value {value} for {field}: must be a number >= 0"
                )
            }
            Self::CapacityExceeded { field, capacity } => {
                write!(f, "{field} holds at most {capacity} entries")
            }
            Self::MetricDataCount { metrics, data } => write!(
                f,
                "observation.metrics has {data} entries but spec.metrics has {metrics}"
            ),
            Self::RecommendationHistoryFull { capacity } => write!(
                f,
                "recommendation history is full ({capacity} entries, all inside the stabilization windows); raise its capacity"
            ),
            Self::ScaleEventsFull { capacity } => write!(
                f,
                "scale events are full ({capacity} entries, all inside the longest policy period); raise their capacity"
            ),
        }
    }
}

impl core::error::Error for HpaError {}
