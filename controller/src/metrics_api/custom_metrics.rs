//! `custom.metrics.k8s.io/v1beta2`: Pods metrics (one value per pod) and Object metrics (one
//! value for one object), as an adapter such as prometheus-adapter serves them
//! (`MetricValueList`).
//!
//! An Object metric's path names the object's resource qualified by its group
//! (`ingresses.networking.k8s.io`, `services`), as upstream's `qualResourceForKind` writes
//! `GroupResource.String()`. Upstream maps the kind with a discovery RESTMapper at the
//! group's preferred version; here the kind is looked up at the version `apiVersion` names
//! ([`kube::discovery::pinned_kind`]: `GET /apis/{group}/{version}`, or `/api/v1` for the
//! core group and for an empty or unparsable `apiVersion`, which upstream also reads as the
//! core group), and the answer is kept for the life of the [`MetricsApi`]. A kind's plural is
//! the same at every version, so the two differ only for a version the cluster no longer
//! serves, which upstream still maps and this reports as unavailable.

use serde::Deserialize;

use super::client::{MetricsApi, describe};
use super::request::{ApiRequest, canonical_selector};
use super::wire::{UnixMs, decode};
use super::{DescribedObject, MetricQuery, MetricsError, ObjectValue, PodValue};
use crate::manifest::quantity::MilliQuantity;

const API: &str = "custom metrics API";
const ROOT: &str = "/apis/custom.metrics.k8s.io/v1beta2";
/// The window of a value that gives none [metricServerDefaultMetricWindow].
const DEFAULT_WINDOW_MS: i64 = 60_000;

#[derive(Deserialize)]
struct MetricValueList {
    items: Option<Vec<MetricValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricValue {
    described_object: ObjectReference,
    timestamp: UnixMs,
    window_seconds: Option<i64>,
    value: MilliQuantity,
}

#[derive(Deserialize)]
struct ObjectReference {
    name: String,
}

/// The metric's selector as sent (`metricLabelSelector`); none is an empty one, which is not
/// sent.
fn metric_selector(metric: &MetricQuery) -> String {
    metric
        .selector
        .as_deref()
        .map(canonical_selector)
        .unwrap_or_default()
}

/// `metric` of each pod in `namespace` matching `pod_selector`
/// [customMetricsClient.GetRawMetric].
pub(super) async fn pods_metric(
    api: &MetricsApi,
    namespace: &str,
    metric: &MetricQuery,
    pod_selector: &str,
) -> Result<Vec<PodValue>, MetricsError> {
    // NamespacedMetrics(namespace).GetForObjects(Pod, selector, name, metricSelector): every
    // pod is `*`, which Go's URL escaping sends as `%2A`.
    let request = ApiRequest::new(API, ROOT)
        .namespace(namespace)?
        .segment("pods")?
        .segment("*")?
        .segment(&metric.name)?
        .query("labelSelector", &canonical_selector(pod_selector))
        .query("metricLabelSelector", &metric_selector(metric));
    let body = api.get(&request).await?;
    let list: MetricValueList = decode(&request, &body)?;
    let items = list.items.unwrap_or_default();
    // [GetRawMetric]: "no metrics returned from custom metrics API".
    if items.is_empty() {
        return Err(MetricsError::NoMetrics {
            request: request.to_string(),
        });
    }
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            Ok(PodValue {
                pod: item.described_object.name,
                value_milli: item.value.0,
                timestamp_ms: item.timestamp.0,
                window_ms: window_ms(&request, index, item.window_seconds)?,
            })
        })
        .collect()
}

/// `windowSeconds` in milliseconds, one minute when absent [GetRawMetric].
fn window_ms(
    request: &ApiRequest,
    index: usize,
    window_seconds: Option<i64>,
) -> Result<i64, MetricsError> {
    let Some(seconds) = window_seconds else {
        return Ok(DEFAULT_WINDOW_MS);
    };
    seconds
        .checked_mul(1_000)
        .ok_or_else(|| MetricsError::Malformed {
            request: request.to_string(),
            message: format!("items[{index}].windowSeconds: {seconds} is out of range"),
        })
}

/// `metric` of `object` in `namespace` [customMetricsClient.GetObjectMetric].
pub(super) async fn object_metric(
    api: &MetricsApi,
    namespace: &str,
    metric: &MetricQuery,
    object: &DescribedObject,
) -> Result<ObjectValue, MetricsError> {
    let (group, version) = group_version(&object.api_version);
    let request = if object.kind == "Namespace" && group.is_empty() {
        // [GetObjectMetric]: a Namespace's metric is asked root-scoped, for the autoscaler's
        // own namespace whatever name the reference gives, so that no reference reaches
        // outside it: RootScopedMetrics().GetForObject → namespaces/{ns}/metrics/{name}.
        ApiRequest::new(API, ROOT)
            .namespace(namespace)?
            .segment("metrics")?
            .segment(&metric.name)?
    } else {
        // NamespacedMetrics(namespace).GetForObject(groupKind, name, metric, selector).
        let resource = qualified_resource(api, group, version, &object.kind).await?;
        ApiRequest::new(API, ROOT)
            .namespace(namespace)?
            .segment(&resource)?
            .segment(&object.name)?
            .segment(&metric.name)?
    }
    .query("metricLabelSelector", &metric_selector(metric));
    let body = api.get(&request).await?;
    let list: MetricValueList = decode(&request, &body)?;
    let mut items = list.items.unwrap_or_default();
    // [namespacedMetrics.GetForObject]: exactly one value, or "the custom metrics API server
    // returned N results when we asked for exactly one".
    if items.len() > 1 {
        return Err(MetricsError::Malformed {
            request: request.to_string(),
            message: format!(
                "items: {} values where exactly one was asked for",
                items.len()
            ),
        });
    }
    let Some(item) = items.pop() else {
        return Err(MetricsError::NoMetrics {
            request: request.to_string(),
        });
    };
    Ok(ObjectValue {
        value_milli: item.value.0,
        timestamp_ms: item.timestamp.0,
    })
}

/// The group and version of an `apiVersion` [schema.ParseGroupVersion]: `v1` and the empty
/// string are the core group; text with more than one `/` is read as the core group too, as
/// `schema.FromAPIVersionAndKind` drops a group it cannot parse.
fn group_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        None => ("", api_version),
        Some((_, version)) if version.contains('/') => ("", ""),
        Some((group, version)) => (group, version),
    }
}

/// The resource a kind is served as, qualified by its group as the custom metrics API
/// expects it (`deployments.apps`; `services` in the core group) [qualResourceForKind].
async fn qualified_resource(
    api: &MetricsApi,
    group: &str,
    version: &str,
    kind: &str,
) -> Result<String, MetricsError> {
    if let Some(resource) = api.known_resource(group, kind) {
        return Ok(resource);
    }
    let version = if group.is_empty() && version.is_empty() {
        "v1"
    } else {
        version
    };
    let path = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    let request = format!("discovery (GET {path})");
    let group_kind = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    };
    let unmapped = |message: String| MetricsError::Unavailable {
        request: request.clone(),
        message: format!("unable to map kind {group_kind} to a resource: {message}"),
    };
    if version.is_empty() {
        return Err(unmapped("the apiVersion names no version".into()));
    }
    let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
    let (resource, _) = api
        .in_time(kube::discovery::pinned_kind(api.client(), &gvk))
        .await
        .ok_or_else(|| api.timed_out(request.clone()))?
        .map_err(|e| unmapped(describe(&e)))?;
    let qualified = if resource.group.is_empty() {
        resource.plural
    } else {
        format!("{}.{}", resource.plural, resource.group)
    };
    api.remember_resource(group, kind, &qualified);
    Ok(qualified)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::super::MetricsSource;
    use super::super::mock_server::{Answer, fixture, serve};
    use super::*;

    const PODS: &str = fixture!("custom_metrics_pods.json");
    const OBJECT: &str = fixture!("custom_metrics_object.json");
    const NETWORKING: &str = fixture!("discovery_networking_v1.json");
    const CORE: &str = fixture!("discovery_core_v1.json");
    const PODS_PATH: &str =
        "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/%2A/http_requests_per_second";
    const INGRESS_PATH: &str = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/\
                                ingresses.networking.k8s.io/main-route/requests-per-second";

    fn metric(name: &str, selector: Option<&str>) -> MetricQuery {
        MetricQuery {
            name: name.into(),
            selector: selector.map(Into::into),
        }
    }

    fn ingress() -> DescribedObject {
        DescribedObject {
            api_version: "networking.k8s.io/v1".into(),
            kind: "Ingress".into(),
            name: "main-route".into(),
        }
    }

    #[tokio::test]
    async fn prometheus_adapter_pods_metric() {
        let (api, server) = serve(vec![Answer::ok(PODS)]);
        let values = api
            .pods_metric(
                "shop",
                &metric("http_requests_per_second", Some("verb in (GET,POST)")),
                "app=web",
            )
            .await
            .unwrap();
        server.expect(&[&format!(
            "{PODS_PATH}?labelSelector=app%3Dweb&metricLabelSelector=verb+in+%28GET%2CPOST%29"
        )]);
        assert_eq!(
            values,
            vec![
                PodValue {
                    pod: "web-6c8d7b9f5-4hxkq".into(),
                    value_milli: 1_500,
                    timestamp_ms: 1_795_869_015_000,
                    // No windowSeconds: upstream's one minute.
                    window_ms: 60_000,
                },
                PodValue {
                    pod: "web-6c8d7b9f5-9lmzt".into(),
                    value_milli: 2_000,
                    timestamp_ms: 1_795_869_015_000,
                    window_ms: 60_000,
                },
                PodValue {
                    pod: "web-6c8d7b9f5-tq2vd".into(),
                    // 833333u rounds up to 834m.
                    value_milli: 834,
                    timestamp_ms: 1_795_869_015_000,
                    window_ms: 60_000,
                },
            ]
        );
    }

    #[tokio::test]
    async fn pods_metric_window_and_errors() {
        let with_window =
            PODS.replacen(r#""value": "2""#, r#""windowSeconds": 30, "value": "2""#, 1);
        let (api, _server) = serve(vec![Answer::ok_owned(with_window)]);
        let values = api
            .pods_metric("shop", &metric("http_requests_per_second", None), "")
            .await
            .unwrap();
        assert_eq!(
            values.iter().map(|v| v.window_ms).collect::<Vec<_>>(),
            [60_000, 30_000, 60_000]
        );

        let bad = PODS.replacen(r#""value": "2""#, r#""value": "two""#, 1);
        let (api, server) = serve(vec![Answer::ok_owned(bad)]);
        let error = api
            .pods_metric("shop", &metric("http_requests_per_second", None), "")
            .await
            .unwrap_err();
        server.expect(&[PODS_PATH]);
        let MetricsError::Malformed { message, .. } = error else {
            panic!("{error:?}");
        };
        assert!(
            message.starts_with("items[1].value: `two` is not a quantity"),
            "{message}"
        );

        let empty = r#"{"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta2",
            "metadata":{},"items":[]}"#;
        let (api, _server) = serve(vec![Answer::ok(empty)]);
        let error = api
            .pods_metric("shop", &metric("http_requests_per_second", None), "")
            .await
            .unwrap_err();
        assert_eq!(
            error,
            MetricsError::NoMetrics {
                request: format!("custom metrics API (GET {PODS_PATH})")
            }
        );
    }

    #[tokio::test]
    async fn an_unknown_metric_is_unavailable() {
        let (api, _server) = serve(vec![Answer::status(
            404,
            fixture!("status_metric_not_found.json"),
        )]);
        let error = api
            .pods_metric("shop", &metric("http_requests_per_second", None), "app=web")
            .await
            .unwrap_err();
        assert_eq!(
            error,
            MetricsError::Unavailable {
                request: format!("custom metrics API (GET {PODS_PATH}?labelSelector=app%3Dweb)"),
                message: "HTTP 404 NotFound: the server could not find the metric \
                          http_requests_per_second for pods"
                    .into(),
            }
        );
    }

    #[tokio::test]
    async fn object_metric_discovers_the_resource_once() {
        let (api, server) = serve(vec![
            Answer::ok(NETWORKING),
            Answer::ok(OBJECT),
            Answer::ok(OBJECT),
        ]);
        let query = metric("requests-per-second", None);
        let value = api.object_metric("shop", &query, &ingress()).await.unwrap();
        assert_eq!(
            value,
            ObjectValue {
                value_milli: 10_250,
                timestamp_ms: 1_795_869_000_000,
            }
        );
        let selected = metric("requests-per-second", Some("method=GET"));
        api.object_metric("shop", &selected, &ingress())
            .await
            .unwrap();
        server.expect(&[
            "/apis/networking.k8s.io/v1",
            INGRESS_PATH,
            &format!("{INGRESS_PATH}?metricLabelSelector=method%3DGET"),
        ]);
    }

    #[tokio::test]
    async fn core_kinds_and_namespaces() {
        let (api, server) = serve(vec![Answer::ok(CORE), Answer::ok(OBJECT)]);
        let service = DescribedObject {
            api_version: "v1".into(),
            kind: "Service".into(),
            name: "frontend".into(),
        };
        api.object_metric("shop", &metric("connections", None), &service)
            .await
            .unwrap();
        server.expect(&[
            "/api/v1",
            "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/services/frontend/connections",
        ]);

        // A Namespace is asked root-scoped for the autoscaler's own namespace, without
        // discovery, whatever the reference names.
        let (api, server) = serve(vec![Answer::ok(OBJECT)]);
        let namespace = DescribedObject {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            name: "elsewhere".into(),
        };
        api.object_metric("shop", &metric("queue_depth", Some("q=orders")), &namespace)
            .await
            .unwrap();
        server.expect(&[
            "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/metrics/queue_depth\
             ?metricLabelSelector=q%3Dorders",
        ]);
    }

    #[tokio::test]
    async fn object_metric_errors() {
        // A kind the group does not serve.
        let (api, server) = serve(vec![Answer::ok(NETWORKING)]);
        let gateway = DescribedObject {
            kind: "Gateway".into(),
            ..ingress()
        };
        let error = api
            .object_metric("shop", &metric("rps", None), &gateway)
            .await
            .unwrap_err();
        server.expect(&["/apis/networking.k8s.io/v1"]);
        let MetricsError::Unavailable { request, message } = error else {
            panic!("{error:?}");
        };
        assert_eq!(request, "discovery (GET /apis/networking.k8s.io/v1)");
        assert!(
            message.starts_with("unable to map kind Gateway.networking.k8s.io to a resource"),
            "{message}"
        );

        // Two values where one was asked for, then none.
        let two = OBJECT.replace(r#""items": ["#, r#""items": [{"describedObject": {"name": "x"}, "timestamp": "2026-11-28T12:30:00Z", "value": "1"},"#);
        let none = r#"{"kind":"MetricValueList","apiVersion":"custom.metrics.k8s.io/v1beta2","metadata":{},"items":[]}"#;
        let (api, _server) = serve(vec![
            Answer::ok(NETWORKING),
            Answer::ok_owned(two),
            Answer::ok(none),
        ]);
        let query = metric("requests-per-second", None);
        let error = api
            .object_metric("shop", &query, &ingress())
            .await
            .unwrap_err();
        assert_eq!(
            error,
            MetricsError::Malformed {
                request: format!("custom metrics API (GET {INGRESS_PATH})"),
                message: "items: 2 values where exactly one was asked for".into(),
            }
        );
        let error = api
            .object_metric("shop", &query, &ingress())
            .await
            .unwrap_err();
        assert_eq!(
            error,
            MetricsError::NoMetrics {
                request: format!("custom metrics API (GET {INGRESS_PATH})"),
            }
        );
    }

    #[test]
    fn group_versions() {
        assert_eq!(group_version("v1"), ("", "v1"));
        assert_eq!(group_version(""), ("", ""));
        assert_eq!(group_version("apps/v1"), ("apps", "v1"));
        assert_eq!(group_version("a/b/c"), ("", ""));
    }
}
