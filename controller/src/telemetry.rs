//! What the controller tells its operators: Prometheus metrics (a prometheus-client registry,
//! served by [`crate::ops_server`]) and logs (tracing, as text or JSON lines).
//!
//! The reconciler reports through [`Metrics`]: each reconcile ends in exactly one of
//! [`Metrics::reconciled`] or [`Metrics::reconcile_failed`], so that
//! `podscale_reconcile_errors_total / podscale_reconciles_total` is the error ratio.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tracing_subscriber::EnvFilter;

/// The labels of the per-PodScaler gauges.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScalerLabels {
    namespace: String,
    name: String,
}

/// The label of `podscale_reconcile_errors_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    reason: String,
}

/// The controller's metrics and the registry that exposes them.
///
/// ```
/// use std::time::Duration;
/// use podscale_controller::telemetry::Metrics;
/// let metrics = Metrics::new();
/// metrics.reconciled("shop", "web", 3, 5, Duration::from_millis(2));
/// assert!(metrics.encode().contains(r#"podscale_desired_replicas{namespace="shop",name="web"} 5"#));
/// ```
pub struct Metrics {
    registry: Registry,
    reconciles: Counter,
    errors: Family<ErrorLabels, Counter>,
    decision_duration: Histogram,
    current: Family<ScalerLabels, Gauge>,
    desired: Family<ScalerLabels, Gauge>,
    leader: Gauge,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("reconciles", &self.reconciles.get())
            .field("leader", &self.leader.get())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Decision latency buckets: 0.1 ms doubling to about 3.3 s. A decision of the core alone
/// takes microseconds; one that waits on the metrics APIs takes up to seconds.
fn decision_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_1, 2.0, 16)
}

impl Metrics {
    /// A fresh registry with every metric registered (and none of the per-PodScaler series
    /// until a PodScaler is reconciled).
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let reconciles = Counter::default();
        // prometheus-client adds the `_total` suffix of counters, and the unit suffix.
        registry.register(
            "podscale_reconciles",
            "PodScaler reconciles, successful or not",
            reconciles.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "podscale_reconcile_errors",
            "PodScaler reconciles that failed, by reason",
            errors.clone(),
        );
        let decision_duration = Histogram::new(decision_buckets());
        registry.register_with_unit(
            "podscale_decision_duration",
            "Time from the start of a reconcile to its scaling decision",
            Unit::Seconds,
            decision_duration.clone(),
        );
        let current = Family::<ScalerLabels, Gauge>::default();
        registry.register(
            "podscale_current_replicas",
            "Replicas of the PodScaler's target when last reconciled",
            current.clone(),
        );
        let desired = Family::<ScalerLabels, Gauge>::default();
        registry.register(
            "podscale_desired_replicas",
            "Replicas the PodScaler decided on when last reconciled",
            desired.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "podscale_leader",
            "1 while this replica holds the leader lease, else 0",
            leader.clone(),
        );
        Self {
            registry,
            reconciles,
            errors,
            decision_duration,
            current,
            desired,
            leader,
        }
    }

    /// A reconcile of `namespace/name` that decided `desired` replicas for a target at
    /// `current`, `duration` after it started.
    pub fn reconciled(
        &self,
        namespace: &str,
        name: &str,
        current: i32,
        desired: i32,
        duration: Duration,
    ) {
        self.reconciles.inc();
        self.decision_duration.observe(duration.as_secs_f64());
        let labels = ScalerLabels {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        };
        self.current.get_or_create(&labels).set(i64::from(current));
        self.desired.get_or_create(&labels).set(i64::from(desired));
    }

    /// A reconcile that failed; `reason` is a short fixed word (`TargetNotFound`,
    /// `MetricsUnavailable`, …), never an error message, so the label set stays small.
    pub fn reconcile_failed(&self, reason: &str) {
        self.reconciles.inc();
        self.errors
            .get_or_create(&ErrorLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Drops the gauges of a PodScaler that was deleted, so its last values do not linger.
    pub fn forget(&self, namespace: &str, name: &str) {
        let labels = ScalerLabels {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        };
        self.current.remove(&labels);
        self.desired.remove(&labels);
    }

    /// Whether this replica leads (`podscale_leader` 1 or 0).
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// The registry in the OpenMetrics text format, ending in `# EOF`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail, and none of these metrics' encoders fails; if one
        // ever did, the scrape gets what was written and the log says why.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding the metrics failed");
        }
        out
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = TelemetryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(TelemetryError::InvalidFormat(other.to_owned())),
        }
    }
}

/// Why logging could not be set up.
#[derive(Debug)]
pub enum TelemetryError {
    /// Not `text` or `json`.
    InvalidFormat(String),
    /// The filter (from `RUST_LOG`, or the one given) does not parse.
    InvalidFilter {
        /// Where the filter came from: `RUST_LOG` or `the log filter`.
        source_name: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A global subscriber (or `log` logger) is already installed.
    AlreadyInitialized(String),
}

impl fmt::Display for TelemetryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidFormat(s) => write!(f, "unknown log format {s:?} (text or json)"),
            Self::InvalidFilter {
                source_name,
                message,
            } => write!(f, "{source_name}: {message}"),
            Self::AlreadyInitialized(why) => write!(f, "logging is already set up: {why}"),
        }
    }
}

impl std::error::Error for TelemetryError {}

/// The filter: `RUST_LOG` when set and not empty (an operator's override wins), else `filter`.
fn log_filter(filter: &str, rust_log: Option<&str>) -> Result<EnvFilter, TelemetryError> {
    let (source_name, directives) = match rust_log.filter(|s| !s.trim().is_empty()) {
        Some(env) => ("RUST_LOG", env),
        None => ("the log filter", filter),
    };
    EnvFilter::try_new(directives).map_err(|e| TelemetryError::InvalidFilter {
        source_name,
        message: e.to_string(),
    })
}

/// Installs the global tracing subscriber: `format` lines on stderr, filtered by `RUST_LOG`
/// when set, else by `filter` (`info`, `podscale_controller=debug,kube=info`, …).
///
/// # Errors
///
/// [`TelemetryError::InvalidFilter`] when the filter does not parse;
/// [`TelemetryError::AlreadyInitialized`] when called a second time (or after another
/// subscriber was installed): nothing panics.
pub fn init_tracing(format: LogFormat, filter: &str) -> Result<(), TelemetryError> {
    let rust_log = std::env::var(EnvFilter::DEFAULT_ENV).ok();
    let filter = log_filter(filter, rust_log.as_deref())?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| TelemetryError::AlreadyInitialized(e.to_string()))
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

    #[test]
    fn encodes_every_metric_in_openmetrics_text() {
        let m = Metrics::new();
        m.reconciled("shop", "web", 3, 5, Duration::from_micros(300));
        m.reconciled("shop", "api", 2, 2, Duration::from_millis(40));
        m.reconcile_failed("MetricsUnavailable");
        m.set_leader(true);
        let text = m.encode();
        for line in [
            "# TYPE podscale_reconciles counter",
            "podscale_reconciles_total 3",
            r#"podscale_reconcile_errors_total{reason="MetricsUnavailable"} 1"#,
            "# TYPE podscale_decision_duration_seconds histogram",
            "# UNIT podscale_decision_duration_seconds seconds",
            "podscale_decision_duration_seconds_count 2",
            r#"podscale_decision_duration_seconds_bucket{le="0.0004"} 1"#,
            r#"podscale_decision_duration_seconds_bucket{le="+Inf"} 2"#,
            r#"podscale_current_replicas{namespace="shop",name="web"} 3"#,
            r#"podscale_desired_replicas{namespace="shop",name="web"} 5"#,
            r#"podscale_current_replicas{namespace="shop",name="api"} 2"#,
            "podscale_leader 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "no line {line:?} in\n{text}"
            );
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn forget_removes_a_deleted_scalers_gauges() {
        let m = Metrics::new();
        m.reconciled("shop", "web", 3, 5, Duration::ZERO);
        m.reconciled("shop", "api", 1, 1, Duration::ZERO);
        m.forget("shop", "web");
        m.set_leader(false);
        let text = m.encode();
        assert!(!text.contains(r#"name="web""#), "{text}");
        assert!(text.contains(r#"podscale_desired_replicas{namespace="shop",name="api"} 1"#));
        assert!(text.lines().any(|l| l == "podscale_leader 0"));
        // The reconcile count stays: it is a counter of what happened.
        assert!(text.lines().any(|l| l == "podscale_reconciles_total 2"));
    }

    #[test]
    fn rust_log_wins_over_the_given_filter() {
        let f = log_filter("info", Some("podscale_controller=trace")).unwrap();
        assert_eq!(f.to_string(), "podscale_controller=trace");
        let f = log_filter("warn", None).unwrap();
        assert_eq!(f.to_string(), "warn");
        let f = log_filter("warn", Some("  ")).unwrap();
        assert_eq!(f.to_string(), "warn");
        let e = log_filter("info", Some("=[")).unwrap_err().to_string();
        assert!(e.starts_with("RUST_LOG: "), "{e}");
        let e = log_filter("=[", None).unwrap_err().to_string();
        assert!(e.starts_with("the log filter: "), "{e}");
    }

    #[test]
    fn log_format_parses() {
        assert_eq!("json".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!("text".parse::<LogFormat>().unwrap(), LogFormat::Text);
        assert!("yaml".parse::<LogFormat>().is_err());
    }

    #[test]
    fn a_second_init_is_an_error_not_a_panic() {
        // The only test of this binary that installs a global subscriber, so the first call
        // succeeds unless RUST_LOG is broken in the environment running the tests.
        if log_filter("info", std::env::var("RUST_LOG").ok().as_deref()).is_err() {
            return;
        }
        init_tracing(LogFormat::Json, "warn").unwrap();
        let e = init_tracing(LogFormat::Text, "info").unwrap_err();
        assert!(matches!(e, TelemetryError::AlreadyInitialized(_)), "{e}");
    }
}
