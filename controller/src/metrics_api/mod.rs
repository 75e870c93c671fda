//! Where metric values come from: the same aggregated APIs the HorizontalPodAutoscaler reads
//! (`metrics.k8s.io`, `custom.metrics.k8s.io`, `external.metrics.k8s.io`), behind
//! [`MetricsSource`] so that other sources (and tests) plug in.
//!
//! Values are owned and already in the core's units: milli-units for every quantity, as
//! upstream's metrics client reads them (`Quantity.MilliValue()`, rounded up), instants in
//! Unix milliseconds, windows in milliseconds.
//!
//! [`MetricsApi`] reads them from a cluster, one module per API: `resource_metrics`
//! (`metrics.k8s.io/v1beta1`), `custom_metrics` (`custom.metrics.k8s.io/v1beta2`) and
//! `external_metrics` (`external.metrics.k8s.io/v1beta1`).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use k8s_openapi::api::autoscaling::v2::MetricIdentifier;

use crate::label_selector::{LabelSelector, SelectorError};

mod client;
mod custom_metrics;
mod external_metrics;
mod go_duration;
#[cfg(test)]
mod mock_server;
mod request;
mod resource_metrics;
mod wire;

pub use client::MetricsApi;

/// The future a [`MetricsSource`] answers with.
pub type MetricsFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, MetricsError>> + Send + 'a>>;

/// A metric of the custom or external metrics API: its name and, when the spec gives one, its
/// label selector, serialized as a query string selector (`queue=orders,tier in (a,b)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricQuery {
    /// `metric.name`.
    pub name: String,
    /// `metric.selector`, serialized as [`LabelSelector`] prints it; `None` when the spec has
    /// none or an empty one (both select every series, and neither is sent).
    pub selector: Option<String>,
}

impl MetricQuery {
    /// The query for an HPA metric's `metric` field, its selector serialized as upstream's
    /// `metav1.LabelSelectorAsSelector(..).String()` writes it.
    ///
    /// # Errors
    ///
    /// A selector that is not valid, naming the field at fault.
    ///
    /// ```
    /// use k8s_openapi::api::autoscaling::v2::MetricIdentifier;
    /// use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    /// use podscale_controller::metrics_api::MetricQuery;
    /// let identifier = MetricIdentifier {
    ///     name: "s0-rabbitmq-orders".into(),
    ///     selector: Some(LabelSelector {
    ///         match_labels: Some([("scaledobject.keda.sh/name".into(), "orders".into())].into()),
    ///         match_expressions: None,
    ///     }),
    /// };
    /// let query = MetricQuery::from_identifier(&identifier)?;
    /// assert_eq!(query.selector.as_deref(), Some("scaledobject.keda.sh/name=orders"));
    /// # Ok::<(), podscale_controller::label_selector::SelectorError>(())
    /// ```
    pub fn from_identifier(identifier: &MetricIdentifier) -> Result<Self, SelectorError> {
        let selector = match &identifier.selector {
            Some(selector) => LabelSelector::from_label_selector(selector)?.to_string(),
            None => String::new(),
        };
        Ok(Self {
            name: identifier.name.clone(),
            selector: (!selector.is_empty()).then_some(selector),
        })
    }
}

/// The object an Object metric describes (`describedObject`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedObject {
    /// `apiVersion`, `group/version` or `v1`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `name`.
    pub name: String,
}

/// One pod's `PodMetrics` from `metrics.k8s.io`, whole: a pod without containers, or with a
/// container lacking a resource, is listed too, for the core to leave out as upstream's
/// `getPodMetrics` does once the resource is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodUsage {
    /// The pod's name.
    pub pod: String,
    /// `timestamp`, Unix milliseconds.
    pub timestamp_ms: i64,
    /// `window`, milliseconds.
    pub window_ms: i64,
    /// `containers`, in the order listed.
    pub containers: Vec<ContainerUsage>,
}

/// One container of a [`PodUsage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUsage {
    /// The container's name.
    pub name: String,
    /// `usage`: resource name (`cpu`, `memory`, …) to milli-units.
    pub usage: BTreeMap<String, i64>,
}

/// One pod's value of a Pods metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodValue {
    /// The pod's name.
    pub pod: String,
    /// The value, milli-units.
    pub value_milli: i64,
    /// `timestamp`, Unix milliseconds.
    pub timestamp_ms: i64,
    /// `windowSeconds`, in milliseconds; upstream's default of one minute when absent.
    pub window_ms: i64,
}

/// The value of an Object metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectValue {
    /// The value, milli-units.
    pub value_milli: i64,
    /// `timestamp`, Unix milliseconds.
    pub timestamp_ms: i64,
}

/// Why a metric could not be read; the HPA's rules turn it into a condition, never a scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsError {
    /// The API answered with an error status, or did not answer.
    Unavailable {
        /// Which API and path was asked.
        request: String,
        /// What went wrong.
        message: String,
    },
    /// The API answered with something that is not what it documents.
    Malformed {
        /// Which API and path was asked.
        request: String,
        /// The field and what was wrong with it.
        message: String,
    },
    /// The API answered, but without any value for the metric.
    NoMetrics {
        /// Which API and path was asked.
        request: String,
    },
}

impl fmt::Display for MetricsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable { request, message } => {
                write!(f, "unable to fetch metrics from {request}: {message}")
            }
            Self::Malformed { request, message } => {
                write!(f, "unexpected answer from {request}: {message}")
            }
            Self::NoMetrics { request } => write!(f, "no metrics returned from {request}"),
        }
    }
}

impl std::error::Error for MetricsError {}

/// A source of metric values, one method per metrics API the HPA reads. Every method answers
/// for one namespace.
pub trait MetricsSource: Send + Sync + 'static {
    /// `metrics.k8s.io`: the PodMetrics of the pods matching `pod_selector` (Resource and
    /// ContainerResource metrics) [resourceMetricsClient.GetResourceMetric].
    fn pod_usage<'a>(
        &'a self,
        namespace: &'a str,
        pod_selector: &'a str,
    ) -> MetricsFuture<'a, Vec<PodUsage>>;

    /// `custom.metrics.k8s.io`: `metric` of each pod matching `pod_selector` (Pods metrics)
    /// [customMetricsClient.GetRawMetric].
    fn pods_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
        pod_selector: &'a str,
    ) -> MetricsFuture<'a, Vec<PodValue>>;

    /// `custom.metrics.k8s.io`: `metric` of one object (Object metrics)
    /// [customMetricsClient.GetObjectMetric].
    fn object_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
        object: &'a DescribedObject,
    ) -> MetricsFuture<'a, ObjectValue>;

    /// `external.metrics.k8s.io`: the values of `metric` (External metrics), one per series,
    /// each in milli-units [externalMetricsClient.GetExternalMetric].
    fn external_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
    ) -> MetricsFuture<'a, Vec<i64>>;
}
