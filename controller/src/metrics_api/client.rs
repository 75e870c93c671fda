//! [`MetricsApi`]: the [`MetricsSource`] that asks the cluster's aggregated metrics APIs
//! through the API server, as the HorizontalPodAutoscaler's REST metrics client does.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::request::ApiRequest;
use super::{
    DescribedObject, MetricQuery, MetricsError, MetricsFuture, MetricsSource, ObjectValue,
    PodUsage, PodValue,
};
use super::{custom_metrics, external_metrics, resource_metrics};

/// The metrics APIs of one cluster, read through a [`kube::Client`]: `metrics.k8s.io/v1beta1`,
/// `custom.metrics.k8s.io/v1beta2` and `external.metrics.k8s.io/v1beta1`.
///
/// Every failure to get an answer (an APIService that is not registered, a 503 from one
/// whose backend is down, an error `Status`, no answer within the
/// [timeout](MetricsApi::with_timeout)) is [`MetricsError::Unavailable`] naming the request.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use podscale_controller::metrics_api::{MetricsApi, MetricsSource};
/// let api = MetricsApi::new(kube::Client::try_default().await?)
///     .with_timeout(std::time::Duration::from_secs(10));
/// for pod in api.pod_usage("shop", "app=php-apache").await? {
///     println!("{}: {:?}", pod.pod, pod.containers);
/// }
/// # Ok(())
/// # }
/// ```
pub struct MetricsApi {
    client: kube::Client,
    timeout: Option<Duration>,
    /// `(group, kind)` to the resource the custom metrics API names it by
    /// (`deployments.apps`), as discovered.
    resources: Mutex<BTreeMap<(String, String), String>>,
}

impl MetricsApi {
    /// Reads metrics through `client`, with no time limit of its own (the client's
    /// connect and read timeouts still apply).
    pub fn new(client: kube::Client) -> Self {
        Self {
            client,
            timeout: None,
            resources: Mutex::new(BTreeMap::new()),
        }
    }

    /// Gives up on a request that has not been answered within `timeout`.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub(super) fn client(&self) -> &kube::Client {
        &self.client
    }

    /// Runs `future` within the timeout, if there is one; `None` when it ran out.
    pub(super) async fn in_time<T>(&self, future: impl Future<Output = T>) -> Option<T> {
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, future).await.ok(),
            None => Some(future.await),
        }
    }

    /// The error for a request that ran out of time.
    pub(super) fn timed_out(&self, request: String) -> MetricsError {
        let limit = self.timeout.unwrap_or_default();
        MetricsError::Unavailable {
            request,
            message: format!("no answer within {} ms", limit.as_millis()),
        }
    }

    /// GETs `request` and returns the body of a successful answer.
    pub(super) async fn get(&self, request: &ApiRequest) -> Result<String, MetricsError> {
        let unavailable = |message: String| MetricsError::Unavailable {
            request: request.to_string(),
            message,
        };
        let http_request = http::Request::get(request.uri())
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| unavailable(format!("cannot build the request: {e}")))?;
        self.in_time(self.client.request_text(http_request))
            .await
            .ok_or_else(|| self.timed_out(request.to_string()))?
            .map_err(|e| unavailable(describe(&e)))
    }

    /// The discovered resource name for a group and kind, if already known.
    pub(super) fn known_resource(&self, group: &str, kind: &str) -> Option<String> {
        let resources = self
            .resources
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        resources.get(&(group.to_owned(), kind.to_owned())).cloned()
    }

    /// Remembers a discovered resource name.
    pub(super) fn remember_resource(&self, group: &str, kind: &str, resource: &str) {
        let mut resources = self
            .resources
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        resources.insert((group.to_owned(), kind.to_owned()), resource.to_owned());
    }
}

/// A client error in a sentence: an API error as its code, reason and message.
pub(super) fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            // kube fills in a reason of its own (with blanks) for a body that is not a
            // Status, such as the aggregator's plain `service unavailable`.
            let reason = if status.reason.is_empty() || status.reason.contains(' ') {
                String::new()
            } else {
                format!(" {}", status.reason)
            };
            format!("HTTP {}{reason}: {}", status.code, status.message)
        }
        other => other.to_string(),
    }
}

impl fmt::Debug for MetricsApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsApi")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl MetricsSource for MetricsApi {
    fn pod_usage<'a>(
        &'a self,
        namespace: &'a str,
        pod_selector: &'a str,
    ) -> MetricsFuture<'a, Vec<PodUsage>> {
        Box::pin(resource_metrics::pod_usage(self, namespace, pod_selector))
    }

    fn pods_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
        pod_selector: &'a str,
    ) -> MetricsFuture<'a, Vec<PodValue>> {
        Box::pin(custom_metrics::pods_metric(
            self,
            namespace,
            metric,
            pod_selector,
        ))
    }

    fn object_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
        object: &'a DescribedObject,
    ) -> MetricsFuture<'a, ObjectValue> {
        Box::pin(custom_metrics::object_metric(
            self, namespace, metric, object,
        ))
    }

    fn external_metric<'a>(
        &'a self,
        namespace: &'a str,
        metric: &'a MetricQuery,
    ) -> MetricsFuture<'a, Vec<i64>> {
        Box::pin(external_metrics::external_metric(self, namespace, metric))
    }
}
