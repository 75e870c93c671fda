//! `podscale simulate` from the bindings: the same manifests and demand series, the same run
//! (the controller crate's [`podscale_controller::simulate::run`]), a column per field.
//!
//! ```
//! use podscale_bindings::simulate::{Demand, SimulateOptions, simulate};
//! let deployment = r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
//!   "spec": {"template": {"spec": {"containers": [{"name": "app",
//!     "resources": {"requests": {"cpu": "200m"}}}]}}}}"#;
//! let hpa = r#"{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
//!   "metadata": {"name": "web"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"},
//!   "maxReplicas": 10, "metrics": [{"type": "Resource", "resource": {"name": "cpu",
//!   "target": {"type": "Utilization", "averageUtilization": 50}}}]}}"#;
//! let demand = Demand::Csv { name: "load.csv".into(), text: "time,cpu\n0s,400m\n10m,400m\n".into() };
//! let out = simulate(&[("web.yaml".into(), deployment.into()), ("hpa.yaml".into(), hpa.into())],
//!                    &demand, &SimulateOptions::default())?;
//! assert_eq!(out.spec_replicas.last(), Some(&4)); // 400m at 50% of 200m
//! # Ok::<(), podscale_bindings::Error>(())
//! ```

use podscale::sim::DemandPoint;
use podscale_controller::demand_csv::{DemandKind, DemandSeries, TimeBase};
use podscale_controller::manifest::Manifests;
use podscale_controller::simulate::{SimulateError, SimulateOptions as RunOptions, run};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::units::{Duration, Instant};

/// A demand series: a CSV as `podscale simulate --demand` reads it, a Prometheus
/// `query_range` answer, or columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// CSV text (`time,cpu`, `time,rps` or `time,clients`), named for errors.
    Csv {
        /// A name for errors (the file).
        name: String,
        /// The text.
        text: String,
    },
    /// The JSON text of a Prometheus `query_range` answer (CPU per pod, in cores).
    Prometheus {
        /// A name for errors.
        name: String,
        /// The text.
        text: String,
    },
    /// Columns: instants (Unix ms, or offsets in ms from `start` when `relative`) and values
    /// (millicores for `cpu`, milli-requests per second for `rps`, clients for `clients`).
    Columns {
        /// `cpu`, `rps` or `clients`.
        kind: DemandColumn,
        /// The times.
        times: Vec<i64>,
        /// The values.
        values: Vec<i64>,
        /// Times are offsets from the start.
        relative: bool,
    },
}

/// What a demand column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DemandColumn {
    /// CPU, millicores.
    Cpu,
    /// Requests per second, milli-requests.
    Rps,
    /// Closed-loop clients.
    Clients,
}

/// What the manifests and the demand do not say (`podscale simulate`'s options).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimulateOptions {
    /// `--step` (15 s).
    #[serde(default)]
    pub step: Option<Duration>,
    /// `--sync-period` (15 s).
    #[serde(default)]
    pub sync_period: Option<Duration>,
    /// `--cpu-per-request`: CPU one request costs (`rps` and `clients` demand).
    #[serde(default)]
    pub cpu_per_request: Option<Duration>,
    /// `--think-time`: a client's pause between requests (`clients` demand).
    #[serde(default)]
    pub think_time: Option<Duration>,
    /// `--pod-startup` (10 s).
    #[serde(default)]
    pub pod_startup: Option<Duration>,
    /// `--readiness-delay` (the readiness probe's `initialDelaySeconds`, else 5 s).
    #[serde(default)]
    pub readiness_delay: Option<Duration>,
    /// `--start`: where relative times start (the Unix epoch).
    #[serde(default)]
    pub start: Option<Instant>,
    /// A title.
    #[serde(default)]
    pub title: Option<String>,
}

/// A simulation's timeline, a column per field, a row per step. Optional values are `NaN`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationColumns {
    /// The title (workload and autoscalers).
    pub title: String,
    /// The step's instant, Unix ms.
    pub time: Vec<i64>,
    /// Pods that exist.
    pub spec_replicas: Vec<i64>,
    /// Pods that are Ready.
    pub ready_replicas: Vec<i64>,
    /// CPU the demand asks for, millicores.
    pub demand_cpu: Vec<i64>,
    /// CPU served, millicores.
    pub served_cpu: Vec<i64>,
    /// CPU all pods use, millicores.
    pub usage_cpu: Vec<i64>,
    /// Ready pods' usage, percent of request.
    pub utilization: Vec<f64>,
    /// The HPA's `desiredReplicas` at its syncs.
    pub hpa_desired_replicas: Vec<f64>,
    /// The utilization the HPA saw.
    pub hpa_utilization: Vec<f64>,
    /// `ScalingLimited`'s reason at syncs (empty otherwise).
    pub hpa_scaling_limited: Vec<String>,
    /// `AbleToScale`'s reason at syncs (empty otherwise).
    pub hpa_able_to_scale: Vec<String>,
    /// KEDA's activity at its polls (`NaN`: no poll; 1 active, 0 not).
    pub keda_active: Vec<f64>,
    /// KEDA's scale write, `kind:from->to` (empty otherwise).
    pub keda_action: Vec<String>,
    /// The VPA's CPU target, millicores.
    pub vpa_target_cpu: Vec<f64>,
    /// The VPA's memory target, bytes.
    pub vpa_target_memory: Vec<f64>,
    /// The VPA's CPU lower bound.
    pub vpa_lower_bound_cpu: Vec<f64>,
    /// The VPA's CPU upper bound.
    pub vpa_upper_bound_cpu: Vec<f64>,
    /// The HPA's target utilization, when a CPU utilization metric has one.
    pub target_utilization: Option<i32>,
    /// The HPA's bounds.
    pub min_replicas: Option<i32>,
    /// The HPA's bounds.
    pub max_replicas: Option<i32>,
}

fn opt(v: Option<i64>) -> f64 {
    v.map_or(f64::NAN, |x| x as f64)
}

/// Runs `podscale simulate` on `manifests` (`(name, YAML or JSON text)`, any number of
/// documents each; a Deployment and its HPA, ScaledObject or VPA) and `demand`.
///
/// # Errors
///
/// As the command: a bad manifest (its field path, prefixed by the manifest's name and
/// document), a bad demand row, an option the demand needs, or a step the core refuses.
pub fn simulate(
    manifests: &[(String, String)],
    demand: &Demand,
    options: &SimulateOptions,
) -> Result<SimulationColumns> {
    let mut read = Manifests::default();
    for (name, text) in manifests {
        read.add(name, text).map_err(input)?;
    }
    let series = match demand {
        Demand::Csv { name, text } => DemandSeries::parse(name, text).map_err(input)?,
        Demand::Prometheus { name, text } => {
            podscale_controller::prometheus::parse(name, text).map_err(input)?
        }
        Demand::Columns {
            kind,
            times,
            values,
            relative,
        } => {
            if times.len() != values.len() {
                return Err(Error::validation(
                    "demand",
                    format!("{} times but {} values", times.len(), values.len()),
                ));
            }
            if let Some(i) = times.windows(2).position(|w| w.get(1) < w.first()) {
                return Err(Error::validation(
                    format!("demand.times[{}]", i + 1),
                    "earlier than the time before",
                ));
            }
            DemandSeries {
                file: "demand".into(),
                kind: match kind {
                    DemandColumn::Cpu => DemandKind::Cpu,
                    DemandColumn::Rps => DemandKind::RequestsPerSecond,
                    DemandColumn::Clients => DemandKind::Clients,
                },
                time_base: if *relative {
                    TimeBase::Relative
                } else {
                    TimeBase::Absolute
                },
                points: times
                    .iter()
                    .zip(values)
                    .map(|(t, v)| DemandPoint::new(*t, *v))
                    .collect(),
            }
        }
    };
    let d = RunOptions::default();
    let run_options = RunOptions {
        step_ms: options.step.map_or(d.step_ms, |x| x.0),
        sync_period_ms: options.sync_period.map_or(d.sync_period_ms, |x| x.0),
        cpu_per_request_us: options.cpu_per_request.map(|x| x.0.saturating_mul(1000)),
        think_time_ms: options.think_time.map(|x| x.0),
        startup_ms: options.pod_startup.map_or(d.startup_ms, |x| x.0),
        readiness_delay_ms: options.readiness_delay.map(|x| x.0),
        start_ms: options.start.map_or(d.start_ms, |x| x.0),
        title: options.title.clone(),
    };
    if run_options.step_ms <= 0 || run_options.sync_period_ms <= 0 {
        return Err(Error::validation(
            "step",
            "the step and sync period must be positive",
        ));
    }
    let timeline = run(&read, &series, &run_options, &mut |_, _| {}).map_err(|e| match e {
        SimulateError::Input(e) => input(e),
        SimulateError::Option(m) => Error::validation("", m),
        e @ SimulateError::Simulation { .. } => Error::refused(e.to_string()),
    })?;
    let mut out = SimulationColumns {
        title: timeline.info.title.clone(),
        target_utilization: timeline.info.target_utilization,
        min_replicas: timeline.info.min_replicas,
        max_replicas: timeline.info.max_replicas,
        ..SimulationColumns::default()
    };
    for r in &timeline.records {
        out.time.push(r.time_ms);
        out.spec_replicas.push(i64::from(r.spec_replicas));
        out.ready_replicas.push(i64::from(r.ready_replicas));
        out.demand_cpu.push(r.offered_m);
        out.served_cpu.push(r.served_m);
        out.usage_cpu.push(r.usage_m);
        out.utilization.push(opt(r.ready_utilization_percent));
        out.hpa_desired_replicas
            .push(opt(r.hpa.map(|h| i64::from(h.desired_replicas))));
        out.hpa_utilization.push(opt(r
            .hpa
            .and_then(|h| h.utilization_percent)
            .map(i64::from)));
        let reason = |c: Option<podscale::hpa::Condition>| {
            c.map_or(String::new(), |c| c.reason.as_str().to_string())
        };
        out.hpa_scaling_limited
            .push(reason(r.hpa.and_then(|h| h.scaling_limited)));
        out.hpa_able_to_scale
            .push(reason(r.hpa.and_then(|h| h.able_to_scale)));
        out.keda_active
            .push(opt(r.keda.map(|k| i64::from(k.active))));
        out.keda_action
            .push(r.keda.and_then(|k| k.action).map_or(String::new(), |a| {
                format!("{}:{}->{}", a.kind.as_str(), a.scale_from, a.scale_to)
            }));
        out.vpa_target_cpu
            .push(opt(r.vpa.and_then(|v| v.target.cpu_m)));
        out.vpa_target_memory
            .push(opt(r.vpa.and_then(|v| v.target.memory_bytes)));
        out.vpa_lower_bound_cpu
            .push(opt(r.vpa.and_then(|v| v.lower_bound.cpu_m)));
        out.vpa_upper_bound_cpu
            .push(opt(r.vpa.and_then(|v| v.upper_bound.cpu_m)));
    }
    Ok(out)
}

/// A demand or manifest error: the path when it is a field, the whole text as the message
/// (it names the file and line).
fn input(e: podscale_controller::error::InputError) -> Error {
    use podscale_controller::error::Location;
    let file = e.file.display().to_string();
    let place = match &*e.location {
        Location::File => file,
        Location::Line { line, .. } => format!("{file}:{line}"),
        Location::Field { document, line, .. } => {
            let line = line.map(|l| format!(":{l}")).unwrap_or_default();
            let document = document
                .map(|d| format!(" (document {d})"))
                .unwrap_or_default();
            format!("{file}{line}{document}")
        }
    };
    let mut err = Error::from(e);
    err.message = format!("{place}: {}", err.message);
    err
}
