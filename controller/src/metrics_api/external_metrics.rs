//! `external.metrics.k8s.io/v1beta1`: values of a metric from outside the cluster's objects
//! (a queue's length, a cloud service's rate), as KEDA or prometheus-adapter serve them
//! (`ExternalMetricValueList`).

use serde::Deserialize;

use super::client::MetricsApi;
use super::request::{ApiRequest, canonical_selector};
use super::wire::decode;
use super::{MetricQuery, MetricsError};
use crate::manifest::quantity::MilliQuantity;

const API: &str = "external metrics API";
const ROOT: &str = "/apis/external.metrics.k8s.io/v1beta1";

#[derive(Deserialize)]
struct ExternalMetricValueList {
    items: Option<Vec<ExternalMetricValue>>,
}

/// Only the value is read: upstream reads nothing else but the first item's timestamp, which
/// the HPA does not use for External metrics.
#[derive(Deserialize)]
struct ExternalMetricValue {
    value: MilliQuantity,
}

/// The values of `metric` in `namespace`, in milli-units
/// [externalMetricsClient.GetExternalMetric].
pub(super) async fn external_metric(
    api: &MetricsApi,
    namespace: &str,
    metric: &MetricQuery,
) -> Result<Vec<i64>, MetricsError> {
    // NamespacedMetrics(namespace).List(name, selector): the metric is the resource, its
    // selector the list's labelSelector.
    let selector = metric
        .selector
        .as_deref()
        .map(canonical_selector)
        .unwrap_or_default();
    let request = ApiRequest::new(API, ROOT)
        .namespace(namespace)?
        .segment(&metric.name)?
        .query("labelSelector", &selector);
    let body = api.get(&request).await?;
    let list: ExternalMetricValueList = decode(&request, &body)?;
    let items = list.items.unwrap_or_default();
    // [GetExternalMetric]: "no metrics returned from external metrics API".
    if items.is_empty() {
        return Err(MetricsError::NoMetrics {
            request: request.to_string(),
        });
    }
    Ok(items.into_iter().map(|item| item.value.0).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::super::MetricsSource;
    use super::super::mock_server::{Answer, fixture, serve};
    use super::*;

    const KEDA: &str = fixture!("external_metrics_keda.json");
    const ADAPTER: &str = fixture!("external_metrics_prometheus_adapter.json");

    #[tokio::test]
    async fn keda_scaled_object_metric() {
        let (api, server) = serve(vec![Answer::ok(KEDA)]);
        let query = MetricQuery {
            name: "s0-rabbitmq-orders".into(),
            selector: Some("scaledobject.keda.sh/name=orders-consumer".into()),
        };
        let values = api.external_metric("shop", &query).await.unwrap();
        server.expect(&[
            "/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/s0-rabbitmq-orders\
             ?labelSelector=scaledobject.keda.sh%2Fname%3Dorders-consumer",
        ]);
        assert_eq!(values, [42_000]);
    }

    #[tokio::test]
    async fn several_series_without_selector() {
        let (api, server) = serve(vec![Answer::ok(ADAPTER)]);
        let query = MetricQuery {
            name: "queue_messages_ready".into(),
            selector: None,
        };
        let values = api.external_metric("shop", &query).await.unwrap();
        server.expect(&[
            "/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/queue_messages_ready",
        ]);
        // 1250m, 3 and 7500; 100n rounds up to 1m.
        assert_eq!(values, [1_250, 3_000, 7_500_000, 1]);
    }

    #[tokio::test]
    async fn errors() {
        let query = MetricQuery {
            name: "s0-rabbitmq-orders".into(),
            selector: None,
        };
        let path = "/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/s0-rabbitmq-orders";
        let (api, _server) = serve(vec![Answer::status(
            500,
            fixture!("status_keda_internal_error.json"),
        )]);
        let error = api.external_metric("shop", &query).await.unwrap_err();
        let MetricsError::Unavailable { request, message } = error else {
            panic!("{error:?}");
        };
        assert_eq!(request, format!("external metrics API (GET {path})"));
        assert!(
            message.starts_with("HTTP 500 InternalError: Internal error occurred: "),
            "{message}"
        );

        let empty = KEDA.replace(
            &KEDA[KEDA.find(r#""items""#).unwrap()..KEDA.rfind('}').unwrap()],
            r#""items": []"#,
        );
        let (api, _server) = serve(vec![Answer::ok_owned(empty)]);
        let error = api.external_metric("shop", &query).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("no metrics returned from external metrics API (GET {path})")
        );

        let bad = KEDA.replace(r#""value": "42""#, r#""value": null"#);
        let (api, _server) = serve(vec![Answer::ok_owned(bad)]);
        let error = api.external_metric("shop", &query).await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("items[0].value: invalid type: null"),
            "{error}"
        );
    }
}
