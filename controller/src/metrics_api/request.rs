//! The URL of one metrics API request, built and escaped as client-go's `rest.Request` builds
//! it, so the aggregated API sees the same bytes as from the HorizontalPodAutoscaler:
//! `/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/%2A/http_requests?labelSelector=app%3Dweb`.

use std::fmt;
use std::fmt::Write as _;

use super::MetricsError;
use crate::label_selector::LabelSelector;

/// One GET request to a metrics API: which API (for messages), the escaped path and the
/// encoded query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ApiRequest {
    api: &'static str,
    path: String,
    query: Vec<(&'static str, String)>,
}

impl ApiRequest {
    /// A request under `root` (`/apis/metrics.k8s.io/v1beta1`), named `api` in messages.
    pub(super) fn new(api: &'static str, root: &str) -> Self {
        Self {
            api,
            path: root.to_owned(),
            query: Vec::new(),
        }
    }

    /// Adds `namespaces/{namespace}`; nothing for an empty namespace, as client-go's
    /// `Request.Namespace` skips it.
    pub(super) fn namespace(self, namespace: &str) -> Result<Self, MetricsError> {
        if namespace.is_empty() {
            return Ok(self);
        }
        self.segment("namespaces")?.segment(namespace)
    }

    /// Adds one path segment, escaped as Go's `url.URL` escapes a path.
    ///
    /// # Errors
    ///
    /// A segment that client-go refuses [IsValidPathSegmentName]: `.`, `..`, or one holding
    /// `/` or `%`. Nothing is sent then, and the error is reported as the API being
    /// unavailable, as upstream reports it ("unable to fetch metrics").
    pub(super) fn segment(mut self, segment: &str) -> Result<Self, MetricsError> {
        if matches!(segment, "." | "..") || segment.contains(['/', '%']) {
            return Err(MetricsError::Unavailable {
                request: self.to_string(),
                message: format!(
                    "`{segment}` cannot be a path segment (it may not be `.` or `..`, nor hold \
                     `/` or `%`)"
                ),
            });
        }
        self.path.push('/');
        escape_into(&mut self.path, segment, Escape::Path);
        Ok(self)
    }

    /// Adds a query parameter; an empty value is left out, as client-go leaves out empty
    /// `omitempty` options.
    pub(super) fn query(mut self, name: &'static str, value: &str) -> Self {
        if !value.is_empty() {
            self.query.push((name, value.to_owned()));
        }
        self
    }

    /// The path and query as sent: parameters sorted by name and escaped as Go's
    /// `url.Values.Encode` writes them.
    pub(super) fn uri(&self) -> String {
        let mut uri = self.path.clone();
        let mut query: Vec<&(&str, String)> = self.query.iter().collect();
        query.sort_by_key(|(name, _)| *name);
        for (index, (name, value)) in query.into_iter().enumerate() {
            uri.push(if index == 0 { '?' } else { '&' });
            escape_into(&mut uri, name, Escape::QueryComponent);
            uri.push('=');
            escape_into(&mut uri, value, Escape::QueryComponent);
        }
        uri
    }
}

/// A selector as the HPA sends it: parsed and printed back in canonical form
/// (`labels.Parse(..).String()`), so `b=2, a=1` goes out as `a=1,b=2`. Text that does not
/// parse goes out as given and the API server judges it; the reconciler has refused it
/// before then, as the HPA refuses an invalid `status.selector`.
pub(super) fn canonical_selector(selector: &str) -> String {
    LabelSelector::parse(selector).map_or_else(|_| selector.to_owned(), |s| s.to_string())
}

impl fmt::Display for ApiRequest {
    /// `resource metrics API (GET /apis/metrics.k8s.io/v1beta1/namespaces/shop/pods)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (GET {})", self.api, self.uri())
    }
}

/// Go's two escaping modes that client-go's URLs use [shouldEscape].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// `encodePath`: the reserved `$&+,/:;=@` stay, `?` and `*` do not.
    Path,
    /// `encodeQueryComponent`: every reserved byte is escaped, a space becomes `+`.
    QueryComponent,
}

fn escape_into(out: &mut String, text: &str, mode: Escape) {
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || (mode == Escape::Path && b"$&+,/:;=@".contains(&byte));
        if keep {
            out.push(char::from(byte));
        } else if mode == Escape::QueryComponent && byte == b' ' {
            out.push('+');
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_go_url_does() {
        let request = ApiRequest::new("custom metrics API", "/apis/custom.metrics.k8s.io/v1beta2")
            .namespace("shop")
            .unwrap()
            .segment("pods")
            .unwrap()
            .segment("*")
            .unwrap()
            .segment("requests:rate@1m é")
            .unwrap()
            .query("metricLabelSelector", "verb in (GET,PUT)")
            .query("labelSelector", "app=web,!canary")
            .query("fieldSelector", "");
        assert_eq!(
            request.uri(),
            "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/%2A/requests:rate@1m%20%C3%A9\
             ?labelSelector=app%3Dweb%2C%21canary&metricLabelSelector=verb+in+%28GET%2CPUT%29"
        );
        assert_eq!(
            request.to_string(),
            format!("custom metrics API (GET {})", request.uri())
        );
    }

    #[test]
    fn refuses_segments_client_go_refuses() {
        for bad in [".", "..", "a/b", "100%"] {
            let error = ApiRequest::new("external metrics API", "/apis/x/v1")
                .segment(bad)
                .unwrap_err();
            let MetricsError::Unavailable { request, message } = error else {
                panic!("{error:?}");
            };
            assert_eq!(request, "external metrics API (GET /apis/x/v1)");
            assert!(message.contains(&format!("`{bad}`")), "{message}");
        }
        assert_eq!(canonical_selector(" b=2, a=1"), "a=1,b=2");
        assert_eq!(canonical_selector("a=1||"), "a=1||");
        let no_namespace = ApiRequest::new("x", "/apis/x/v1").namespace("").unwrap();
        assert_eq!(no_namespace.uri(), "/apis/x/v1");
    }
}
