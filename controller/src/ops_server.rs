//! The controller's HTTP endpoints for the cluster around it: `/metrics` for Prometheus,
//! `/healthz` for the kubelet's liveness probe, `/readyz` for its readiness probe.
//!
//! Liveness and readiness answer different questions, as in controller-runtime's health
//! probes: `/healthz` fails only when a loop of the process has stopped (restarting the pod
//! would help), `/readyz` fails until the caches are synced (the pod is up but cannot act yet;
//! restarting it would not help). Both read a shared [`Health`] that the runtime updates.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use http::header::CONTENT_TYPE;
use tokio::net::TcpListener;

use crate::telemetry::Metrics;

/// The content type of the OpenMetrics text format, which is what [`Metrics::encode`] writes.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the probes report; clones share it, so the runtime keeps one and the server another.
///
/// ```
/// use podscale_controller::ops_server::Health;
/// let health = Health::new();
/// let seen_by_server = health.clone();
/// assert!(!seen_by_server.is_ready());
/// health.set_synced(true);
/// assert!(seen_by_server.is_ready());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<HealthState>);

#[derive(Debug, Default)]
struct HealthState {
    synced: AtomicBool,
    /// Why a loop stopped, once one has.
    stopped: Mutex<Option<String>>,
}

impl Health {
    /// Live, not ready: the caches are not synced yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the caches are synced (`/readyz` answers 200 only while they are). The runtime
    /// sets it once its reflectors have listed everything, and may clear it on shutdown so
    /// the pod leaves its Service's endpoints first.
    pub fn set_synced(&self, synced: bool) {
        self.0.synced.store(synced, Ordering::SeqCst);
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.0.synced.load(Ordering::SeqCst) && self.stopped().is_none()
    }

    /// A loop of the process ended when it should not have: `/healthz` answers 500 with
    /// `reason` from now on, so the kubelet restarts the pod.
    pub fn set_stopped(&self, reason: impl Into<String>) {
        *self.lock_stopped() = Some(reason.into());
    }

    /// Why a loop stopped, if one has.
    pub fn stopped(&self) -> Option<String> {
        self.lock_stopped().clone()
    }

    fn lock_stopped(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // The lock only guards an Option being replaced: a panic elsewhere cannot leave it
        // half written, so a poisoned lock is still good.
        self.0
            .stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Clone)]
struct OpsState {
    metrics: Arc<Metrics>,
    health: Health,
}

async fn get_metrics(State(state): State<OpsState>) -> Response {
    (
        [(CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}

async fn get_healthz(State(state): State<OpsState>) -> Response {
    match state.health.stopped() {
        None => (StatusCode::OK, "ok\n").into_response(),
        Some(reason) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{reason}\n")).into_response(),
    }
}

async fn get_readyz(State(state): State<OpsState>) -> Response {
    if let Some(reason) = state.health.stopped() {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response();
    }
    if state.health.is_ready() {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced\n").into_response()
    }
}

/// The HTTP server of the endpoints, bound and not yet serving.
#[derive(Debug)]
pub struct OpsServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
}

impl OpsServer {
    /// Binds `addr` (port 0 picks a free port: see [`Self::local_addr`]).
    ///
    /// # Errors
    ///
    /// When the address cannot be bound (in use, not local, no permission).
    pub async fn bind(addr: SocketAddr, metrics: Arc<Metrics>, health: Health) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let router = Router::new()
            .route("/metrics", get(get_metrics))
            .route("/healthz", get(get_healthz))
            .route("/readyz", get(get_readyz))
            .with_state(OpsState { metrics, health });
        Ok(Self {
            listener,
            local_addr,
            router,
        })
    }

    /// The address bound, with the port picked when asked for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then stops accepting and returns once the requests
    /// in flight are answered.
    ///
    /// # Errors
    ///
    /// When serving fails (axum retries failed accepts itself, so this is rare).
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        tracing::info!(addr = %self.local_addr, "serving /metrics, /healthz and /readyz");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpStream;
    use tokio::sync::watch;

    /// A plain HTTP/1.1 GET: status, headers (lower-cased names), body.
    async fn get(addr: SocketAddr, path: &str) -> (u16, Vec<(String, String)>, String) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .map(|l| {
                let (k, v) = l.split_once(": ").unwrap();
                (k.to_ascii_lowercase(), v.to_owned())
            })
            .collect();
        (status, headers, body.to_owned())
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    async fn start() -> (
        SocketAddr,
        Arc<Metrics>,
        Health,
        watch::Sender<bool>,
        tokio::task::JoinHandle<io::Result<()>>,
    ) {
        let metrics = Arc::new(Metrics::new());
        let health = Health::new();
        let server = OpsServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            metrics.clone(),
            health.clone(),
        )
        .await
        .unwrap();
        let addr = server.local_addr();
        assert_ne!(addr.port(), 0);
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(server.serve(async move {
            let _ = stopped.wait_for(|s| *s).await;
        }));
        (addr, metrics, health, stop, task)
    }

    #[tokio::test]
    async fn serves_metrics_health_and_readiness_then_shuts_down() {
        let (addr, metrics, health, stop, task) = start().await;

        metrics.reconciled("shop", "web", 3, 5, Duration::from_millis(12));
        metrics.set_leader(true);
        let (status, headers, body) = get(addr, "/metrics").await;
        assert_eq!(status, 200);
        assert_eq!(
            header(&headers, "content-type"),
            Some(OPENMETRICS_CONTENT_TYPE)
        );
        assert!(body.contains("podscale_current_replicas{namespace=\"shop\",name=\"web\"} 3\n"));
        assert!(body.contains("podscale_desired_replicas{namespace=\"shop\",name=\"web\"} 5\n"));
        assert!(body.contains("\npodscale_leader 1\n"));
        assert!(body.ends_with("# EOF\n"), "{body}");

        // Alive but not ready until the caches are synced.
        assert_eq!(get(addr, "/healthz").await.0, 200);
        let (status, _, body) = get(addr, "/readyz").await;
        assert_eq!((status, body.as_str()), (503, "caches not synced\n"));
        health.set_synced(true);
        assert_eq!(get(addr, "/readyz").await.0, 200);

        // A deleted PodScaler's gauges leave the next scrape.
        metrics.forget("shop", "web");
        let (_, _, body) = get(addr, "/metrics").await;
        assert!(!body.contains("name=\"web\""), "{body}");

        assert_eq!(get(addr, "/nothing-here").await.0, 404);

        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the server stops on shutdown")
            .unwrap()
            .unwrap();
        assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
    }

    #[tokio::test]
    async fn a_stopped_loop_fails_liveness_and_readiness() {
        let (addr, _, health, stop, task) = start().await;
        health.set_synced(true);
        health.set_stopped("the PodScaler watch ended");
        let (status, _, body) = get(addr, "/healthz").await;
        assert_eq!(
            (status, body.as_str()),
            (500, "the PodScaler watch ended\n")
        );
        assert_eq!(get(addr, "/readyz").await.0, 503);
        drop(stop);
        // A dropped sender also ends the server: wait_for returns an error, the signal fires.
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn binding_a_taken_port_is_an_error() {
        let (addr, metrics, health, stop, _task) = start().await;
        let e = OpsServer::bind(addr, metrics, health).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
        stop.send(true).unwrap();
    }
}
