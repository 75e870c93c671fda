//! `metrics.k8s.io/v1beta1`: each pod's CPU and memory per container, as metrics-server
//! serves them (`PodMetricsList`), for Resource and ContainerResource metrics.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::client::MetricsApi;
use super::request::{ApiRequest, canonical_selector};
use super::wire::{DurationMs, UnixMs, decode};
use super::{ContainerUsage, MetricsError, PodUsage};
use crate::manifest::quantity::MilliQuantity;

const API: &str = "resource metrics API";
const ROOT: &str = "/apis/metrics.k8s.io/v1beta1";

#[derive(Deserialize)]
struct PodMetricsList {
    items: Option<Vec<PodMetrics>>,
}

#[derive(Deserialize)]
struct PodMetrics {
    metadata: Metadata,
    timestamp: UnixMs,
    window: DurationMs,
    containers: Option<Vec<ContainerMetrics>>,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
}

#[derive(Deserialize)]
struct ContainerMetrics {
    name: String,
    usage: Option<BTreeMap<String, MilliQuantity>>,
}

/// The PodMetrics of the pods in `namespace` matching `pod_selector`
/// [resourceMetricsClient.GetResourceMetric].
pub(super) async fn pod_usage(
    api: &MetricsApi,
    namespace: &str,
    pod_selector: &str,
) -> Result<Vec<PodUsage>, MetricsError> {
    // PodMetricses(namespace).List(ListOptions{LabelSelector: selector.String()})
    let request = ApiRequest::new(API, ROOT)
        .namespace(namespace)?
        .segment("pods")?
        .query("labelSelector", &canonical_selector(pod_selector));
    let body = api.get(&request).await?;
    read(&request, &body)
}

fn read(request: &ApiRequest, body: &str) -> Result<Vec<PodUsage>, MetricsError> {
    let list: PodMetricsList = decode(request, body)?;
    let items = list.items.unwrap_or_default();
    // [GetResourceMetric]: "no metrics returned from resource metrics API".
    if items.is_empty() {
        return Err(MetricsError::NoMetrics {
            request: request.to_string(),
        });
    }
    // Every pod is kept whole, even one without containers or with a container lacking a
    // resource: which resource is wanted is the caller's to say, and the core's
    // `PodResourceMetrics::usage` then leaves such a pod out, as upstream's getPodMetrics
    // (no containers, or any container lacking the resource) and getContainerMetrics do.
    Ok(items
        .into_iter()
        .map(|item| PodUsage {
            pod: item.metadata.name,
            timestamp_ms: item.timestamp.0,
            window_ms: item.window.0,
            containers: item
                .containers
                .unwrap_or_default()
                .into_iter()
                .map(|c| ContainerUsage {
                    name: c.name,
                    usage: c
                        .usage
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(resource, MilliQuantity(milli))| (resource, milli))
                        .collect(),
                })
                .collect(),
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::super::MetricsSource;
    use super::super::mock_server::{Answer, fixture, serve};
    use super::*;

    const LIST: &str = fixture!("pod_metrics_list.json");
    const PATH: &str = "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods";

    fn usage(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[tokio::test]
    async fn metrics_server_pod_metrics_list() {
        let (api, server) = serve(vec![Answer::ok(LIST)]);
        // The scale subresource's selector goes out in canonical form.
        let pods = api
            .pod_usage("shop", "tier notin (db), app=php-apache")
            .await
            .unwrap();
        server.expect(&[&format!(
            "{PATH}?labelSelector=app%3Dphp-apache%2Ctier+notin+%28db%29"
        )]);
        assert_eq!(
            pods,
            vec![
                PodUsage {
                    pod: "php-apache-5d9b6c7f4-2xkqp".into(),
                    timestamp_ms: 1_795_869_015_000,
                    window_ms: 15_000,
                    containers: vec![ContainerUsage {
                        name: "php-apache".into(),
                        // 250263371n rounds up to 251m; 10860Ki is 11120640 bytes.
                        usage: usage(&[("cpu", 251), ("memory", 11_120_640_000)]),
                    }],
                },
                PodUsage {
                    pod: "php-apache-5d9b6c7f4-8mzl7".into(),
                    timestamp_ms: 1_795_869_013_000,
                    window_ms: 10_767,
                    containers: vec![
                        ContainerUsage {
                            name: "php-apache".into(),
                            usage: usage(&[("cpu", 2), ("memory", 268_435_456_000)]),
                        },
                        ContainerUsage {
                            name: "istio-proxy".into(),
                            usage: usage(&[("cpu", 4), ("memory", 49_020_928_000)]),
                        },
                    ],
                },
                PodUsage {
                    pod: "php-apache-5d9b6c7f4-q4jcn".into(),
                    timestamp_ms: 1_795_869_002_000,
                    window_ms: 60_500,
                    containers: vec![ContainerUsage {
                        name: "php-apache".into(),
                        usage: usage(&[("cpu", 1_000), ("memory", 134_217_728_000)]),
                    }],
                },
                // Kept, though it has no containers yet: the core leaves it out.
                PodUsage {
                    pod: "php-apache-5d9b6c7f4-zz9tb".into(),
                    timestamp_ms: 1_795_869_015_000,
                    window_ms: 20_059,
                    containers: vec![],
                },
            ]
        );
    }

    #[tokio::test]
    async fn an_empty_selector_sends_none() {
        let (api, server) = serve(vec![Answer::ok(LIST)]);
        api.pod_usage("shop", "").await.unwrap();
        server.expect(&[PATH]);
    }

    #[tokio::test]
    async fn an_empty_list_is_no_metrics() {
        let (api, server) = serve(vec![Answer::ok(fixture!("pod_metrics_empty.json"))]);
        let error = api.pod_usage("shop", "app=php-apache").await.unwrap_err();
        server.expect(&[&format!("{PATH}?labelSelector=app%3Dphp-apache")]);
        assert_eq!(
            error.to_string(),
            format!(
                "no metrics returned from resource metrics API (GET \
                 {PATH}?labelSelector=app%3Dphp-apache)"
            )
        );
    }

    #[tokio::test]
    async fn bad_fields_are_named() {
        for (from, to, field) in [
            (
                r#""cpu": "4m""#,
                r#""cpu": "4 m""#,
                "items[1].containers[1].usage.cpu: `4 m` is not a quantity",
            ),
            (
                r#""window": "1m0.5s""#,
                r#""window": "1m0.5""#,
                "items[2].window: `1m0.5` is missing a unit",
            ),
            (
                r#""timestamp": "2026-11-28T12:30:02Z""#,
                r#""timestamp": "yesterday""#,
                "items[2].timestamp: `yesterday` is not an RFC 3339 instant",
            ),
            (
                r#""name": "php-apache-5d9b6c7f4-zz9tb""#,
                r#""name": 7"#,
                "items[3].metadata.name: invalid type: integer `7`",
            ),
        ] {
            assert!(LIST.contains(from), "{from}");
            let (api, _server) = serve(vec![Answer::ok_owned(LIST.replace(from, to))]);
            let error = api.pod_usage("shop", "").await.unwrap_err();
            let MetricsError::Malformed { request, message } = error else {
                panic!("{error:?}");
            };
            assert_eq!(request, format!("resource metrics API (GET {PATH})"));
            assert!(message.starts_with(field), "{message}");
        }
    }

    #[tokio::test]
    async fn an_unavailable_api_service_is_unavailable() {
        let (api, server) = serve(vec![Answer::status(
            503,
            fixture!("service_unavailable.txt"),
        )]);
        let error = api.pod_usage("shop", "app=php-apache").await.unwrap_err();
        server.expect(&[&format!("{PATH}?labelSelector=app%3Dphp-apache")]);
        assert_eq!(
            error,
            MetricsError::Unavailable {
                request: format!(
                    "resource metrics API (GET {PATH}?labelSelector=app%3Dphp-apache)"
                ),
                message: "HTTP 503: service unavailable".into(),
            }
        );
    }

    #[tokio::test]
    async fn an_unregistered_api_is_unavailable() {
        let (api, _server) = serve(vec![Answer::status(
            404,
            fixture!("status_api_not_found.json"),
        )]);
        let error = api.pod_usage("shop", "").await.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "unable to fetch metrics from resource metrics API (GET {PATH}): HTTP 404 \
                 NotFound: the server could not find the requested resource"
            )
        );
    }

    #[tokio::test]
    async fn no_answer_in_time_is_unavailable() {
        let (api, _server) = serve(vec![Answer::Silence]);
        let api = api.with_timeout(std::time::Duration::from_millis(50));
        let error = api.pod_usage("shop", "").await.unwrap_err();
        assert_eq!(
            error,
            MetricsError::Unavailable {
                request: format!("resource metrics API (GET {PATH})"),
                message: "no answer within 50 ms".into(),
            }
        );
    }
}
