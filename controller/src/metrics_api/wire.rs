//! Reading the JSON the metrics APIs answer with: instants and windows as they travel
//! (`metav1.Time`, `metav1.Duration`), and errors that name the field at fault
//! (`items[2].containers[0].usage.cpu`). Quantities use the manifest reader's
//! [`MilliQuantity`](crate::manifest::quantity::MilliQuantity).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use super::MetricsError;
use super::go_duration;
use super::request::ApiRequest;

/// An RFC 3339 instant (`metav1.Time`, `2026-11-28T12:30:15Z`), in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct UnixMs(pub(super) i64);

/// A Go duration string (`metav1.Duration`, `1m0.5s`), in milliseconds truncated toward zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DurationMs(pub(super) i64);

/// Reads a JSON string through `parse`; `what` names the expected form.
struct TextVisitor<F> {
    what: &'static str,
    parse: F,
}

impl<F: FnOnce(&str) -> Result<i64, String>> Visitor<'_> for TextVisitor<F> {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for UnixMs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor {
            what: "an RFC 3339 instant such as 2026-11-28T12:30:15Z",
            parse: |text: &str| {
                text.parse::<jiff::Timestamp>()
                    .map(jiff::Timestamp::as_millisecond)
                    .map_err(|e| format!("`{text}` is not an RFC 3339 instant: {e}"))
            },
        })
        .map(Self)
    }
}

impl<'de> Deserialize<'de> for DurationMs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor {
            what: "a Go duration such as 15s or 1m0.5s",
            parse: go_duration::parse_ms,
        })
        .map(Self)
    }
}

/// What every answer is checked for first: a `Status` in place of the list.
#[derive(Deserialize)]
struct Kind {
    kind: Option<String>,
    status: Option<String>,
    message: Option<String>,
}

/// Reads an answer as `T`.
///
/// # Errors
///
/// A failed `Status` answered with a success code is [`MetricsError::Unavailable`], as
/// client-go turns it into an error; text that is not JSON, or does not fit `T`, is
/// [`MetricsError::Malformed`] naming the field (`items[2].containers[0].usage.cpu: ...`).
pub(super) fn decode<T: DeserializeOwned>(
    request: &ApiRequest,
    body: &str,
) -> Result<T, MetricsError> {
    if let Ok(Kind {
        kind: Some(kind),
        status,
        message,
    }) = serde_json::from_str::<Kind>(body)
    {
        if kind == "Status" && status.as_deref() != Some("Success") {
            return Err(MetricsError::Unavailable {
                request: request.to_string(),
                message: message.unwrap_or_else(|| "the API answered with a failed Status".into()),
            });
        }
    }
    let deserializer = &mut serde_json::Deserializer::from_str(body);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = inner.to_string();
        let message = if inner.is_syntax() || inner.is_eof() {
            // Where JSON breaks, serde_json's " at line L column C" is the place to look.
            format!("not JSON: {text}")
        } else {
            // Where it does not fit, the field path says more than the line.
            let short = text
                .rfind(" at line ")
                .and_then(|at| text.get(..at))
                .unwrap_or(&text);
            if path == "." {
                short.to_owned()
            } else {
                format!("{path}: {short}")
            }
        };
        MetricsError::Malformed {
            request: request.to_string(),
            message,
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq, Deserialize)]
    struct Sample {
        at: UnixMs,
        window: DurationMs,
    }

    fn test_request() -> ApiRequest {
        ApiRequest::new("test API", "/apis/test/v1")
    }

    #[test]
    fn instants_and_windows() {
        let sample: Sample = decode(
            &test_request(),
            r#"{"at":"2026-11-28T12:30:15.250+01:00","window":"1m0.5s"}"#,
        )
        .unwrap();
        assert_eq!(sample.at, UnixMs(1_795_865_415_250));
        assert_eq!(sample.window, DurationMs(60_500));
    }

    #[test]
    fn errors_name_the_field() {
        let error = decode::<Sample>(
            &test_request(),
            r#"{"at":"2026-11-28 noon","window":"15s"}"#,
        )
        .unwrap_err();
        let MetricsError::Malformed { request, message } = error else {
            panic!("{error:?}");
        };
        assert_eq!(request, "test API (GET /apis/test/v1)");
        assert!(
            message.starts_with("at: `2026-11-28 noon` is not an RFC 3339"),
            "{message}"
        );
        let error = decode::<Sample>(
            &test_request(),
            r#"{"at":"2026-11-28T12:30:15Z","window":15}"#,
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("window: invalid type: integer `15`, expected a Go duration"),
            "{error}"
        );
        let error = decode::<Sample>(&test_request(), r#"{"at":"#).unwrap_err();
        assert!(error.to_string().contains("not JSON: EOF"), "{error}");
    }

    #[test]
    fn a_failed_status_is_unavailable() {
        let body = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"boom"}"#;
        assert_eq!(
            decode::<Sample>(&test_request(), body),
            Err(MetricsError::Unavailable {
                request: "test API (GET /apis/test/v1)".into(),
                message: "boom".into()
            })
        );
    }
}
