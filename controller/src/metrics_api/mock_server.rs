//! An API server for tests: answers each request of a [`MetricsApi`] in turn from a list, and
//! records what was asked, so tests check the exact requests.

#![allow(clippy::expect_used)]

use std::sync::{Arc, Mutex};

use http::{Request, Response};
use kube::client::Body;
use tokio::task::JoinHandle;

use super::client::MetricsApi;

/// A recorded answer of `tests/fixtures/metrics_api/`.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/metrics_api/",
            $name
        ))
    };
}
pub(super) use fixture;

/// How the server answers one request.
#[derive(Debug, Clone)]
pub(super) enum Answer {
    /// An HTTP answer.
    Reply { status: u16, body: String },
    /// No answer at all, ever.
    Silence,
}

impl Answer {
    /// `200 OK` with `body`.
    pub(super) fn ok(body: &str) -> Self {
        Self::status(200, body)
    }

    /// `200 OK` with `body`.
    pub(super) fn ok_owned(body: String) -> Self {
        Self::Reply { status: 200, body }
    }

    /// `status` with `body`.
    pub(super) fn status(status: u16, body: &str) -> Self {
        Self::Reply {
            status,
            body: body.to_owned(),
        }
    }
}

/// What the server saw; stops answering when dropped.
#[derive(Debug)]
pub(super) struct Server {
    seen: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Asserts that exactly `uris` (path and query) were asked, in order, each a GET, and
    /// those to the metrics APIs for JSON (discovery is kube's own request).
    #[track_caller]
    pub(super) fn expect(&self, uris: &[&str]) {
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        let expected: Vec<String> = uris
            .iter()
            .map(|uri| {
                let accept = if uri.contains("metrics.k8s.io/") {
                    "application/json"
                } else {
                    "-"
                };
                format!("GET {uri} accept={accept}")
            })
            .collect();
        assert_eq!(seen, expected);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A [`MetricsApi`] on a `kube::Client` whose API server answers with `answers`, in order.
pub(super) fn serve(answers: Vec<Answer>) -> (MetricsApi, Server) {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let task = tokio::spawn(async move {
        // Held so that a silent answer never completes.
        let mut unanswered = Vec::new();
        for answer in answers {
            let Some((request, respond)) = handle.next_request().await else {
                return;
            };
            let accept = request
                .headers()
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            let uri = request
                .uri()
                .path_and_query()
                .map(ToString::to_string)
                .unwrap_or_default();
            if let Ok(mut seen) = record.lock() {
                seen.push(format!("{} {uri} accept={accept}", request.method()));
            }
            match answer {
                Answer::Reply { status, body } => {
                    let content_type = if body.trim_start().starts_with('{') {
                        "application/json"
                    } else {
                        "text/plain; charset=utf-8"
                    };
                    let response = Response::builder()
                        .status(status)
                        .header(http::header::CONTENT_TYPE, content_type)
                        .body(Body::from(body.into_bytes()))
                        .expect("a valid test response");
                    respond.send_response(response);
                }
                Answer::Silence => unanswered.push(respond),
            }
        }
        std::future::pending::<()>().await;
    });
    let client = kube::Client::new(service, "default");
    (MetricsApi::new(client), Server { seen, task })
}
