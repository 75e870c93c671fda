//! From manifests and a demand series to a [`Timeline`]: the scenario the core simulates, built
//! from what the manifests say, and the run.

use std::fmt;

use podscale::hpa::{MetricSpec, ResourceName};
use podscale::keda::GeneratedHpa;
use podscale::sim::{
    Demand, DemandPoint, HpaSetup, KedaSetup, PodTemplate, Scenario, SimError, Simulation,
    StepRecord, VpaSetup, VpaStep,
};
use podscale::vpa::{
    ContainerScalingMode, PodResourcePolicy, RecommendedContainerResources, Resources,
    apply_vpa_policy,
};

use crate::demand_csv::{DemandKind, DemandSeries, TimeBase};
use crate::error::InputError;
use crate::manifest::{Loaded, Manifests, Origin};
use crate::timeline::{Timeline, TimelineInfo};

/// The most pods a simulation holds: `maxReplicas` above it is refused up front.
pub const POD_CAPACITY: usize = 512;

/// The simulation's stack: its pods live in fixed-capacity buffers (the core never
/// allocates), which are larger than a default thread stack at [`POD_CAPACITY`].
const SIMULATION_STACK_BYTES: usize = 256 << 20;

/// What the manifests and the demand file do not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulateOptions {
    /// Time between steps, milliseconds (`--step`).
    pub step_ms: i64,
    /// The HPA's sync period, milliseconds (`--sync-period`).
    pub sync_period_ms: i64,
    /// CPU one request costs, microseconds of one core (`--cpu-per-request`): needed by `rps`
    /// and `clients` demand.
    pub cpu_per_request_us: Option<i64>,
    /// A closed-loop client's pause between an answer and its next request, milliseconds
    /// (`--think-time`).
    pub think_time_ms: Option<i64>,
    /// From a pod's creation to its container running, milliseconds (`--pod-startup`).
    pub startup_ms: i64,
    /// From running to Ready, milliseconds (`--readiness-delay`); default: the readiness
    /// probe's `initialDelaySeconds`, else 5 s.
    pub readiness_delay_ms: Option<i64>,
    /// Where relative demand times start, Unix milliseconds (`--start`).
    pub start_ms: i64,
    /// A title for the table and the plot.
    pub title: Option<String>,
}

impl Default for SimulateOptions {
    /// 15 s steps and syncs (kube-controller-manager's and metrics-server's defaults), pods
    /// running 10 s after creation, relative times starting at the Unix epoch.
    fn default() -> Self {
        Self {
            step_ms: 15_000,
            sync_period_ms: 15_000,
            cpu_per_request_us: None,
            think_time_ms: None,
            startup_ms: 10_000,
            readiness_delay_ms: None,
            start_ms: 0,
            title: None,
        }
    }
}

/// Why a simulation could not run.
#[derive(Debug, Clone, PartialEq)]
pub enum SimulateError {
    /// A manifest or the demand file.
    Input(InputError),
    /// A command-line option.
    Option(String),
    /// The core refused a step (the scenario was valid; an engine refused what it saw).
    Simulation {
        /// The step's instant, Unix milliseconds.
        time_ms: i64,
        /// Why.
        error: SimError,
    },
}

impl fmt::Display for SimulateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(e) => e.fmt(f),
            Self::Option(e) => f.write_str(e),
            Self::Simulation { time_ms, error } => write!(
                f,
                "the simulation stopped at {}: {error}",
                crate::time::format_rfc3339(*time_ms, 0)
            ),
        }
    }
}

impl std::error::Error for SimulateError {}

impl From<InputError> for SimulateError {
    fn from(e: InputError) -> Self {
        Self::Input(e)
    }
}

/// Checks that `target` names the workload.
fn check_target(
    origin: &Origin,
    path: &str,
    target: &str,
    workload: &Loaded<crate::manifest::Deployment>,
) -> Result<(), InputError> {
    let name = &workload.object.metadata.name;
    if target == name {
        Ok(())
    } else {
        Err(origin.error(
            path,
            format!("`{target}` is not the workload of these manifests, `{name}`"),
        ))
    }
}

/// The demand the core runs on, with times made absolute.
fn demand<'p>(
    series: &DemandSeries,
    points: &'p [DemandPoint],
    options: &SimulateOptions,
) -> Result<Demand<'p>, SimulateError> {
    let need = |flag: &str, value: Option<i64>| {
        value.ok_or_else(|| {
            SimulateError::Option(format!(
                "{}: `{}` demand needs {flag}",
                series.file.display(),
                series.kind.column()
            ))
        })
    };
    Ok(match series.kind {
        DemandKind::Cpu => Demand::Cpu(points),
        DemandKind::RequestsPerSecond => Demand::OpenLoop {
            requests_per_second_milli: points,
            cpu_per_request_us: need("--cpu-per-request", options.cpu_per_request_us)?,
        },
        DemandKind::Clients => Demand::ClosedLoop {
            clients: points,
            think_time_ms: need("--think-time", options.think_time_ms)?,
            cpu_per_request_us: need("--cpu-per-request", options.cpu_per_request_us)?,
        },
    })
}

/// Checks every HPA metric is one the simulation has data for, naming the first that is not.
fn check_metrics(
    origin: &Origin,
    metrics: &[MetricSpec<'_>],
    container: &str,
    cron_metrics: &[String],
) -> Result<(), InputError> {
    for (index, metric) in metrics.iter().enumerate() {
        let simulated = match metric {
            MetricSpec::Resource { name, .. } => *name == ResourceName::Cpu,
            MetricSpec::ContainerResource {
                name, container: c, ..
            } => *name == ResourceName::Cpu && *c == container,
            MetricSpec::External { metric, .. } => cron_metrics.iter().any(|m| m == metric),
            _ => false,
        };
        if !simulated {
            return Err(origin.error(
                format!("spec.metrics[{index}]"),
                "the simulator has data only for the pods' CPU (Resource or ContainerResource \
                 cpu) and KEDA cron triggers",
            ));
        }
    }
    Ok(())
}

/// Runs the simulation of `manifests` under `demand`, calling `progress(done, total)` every
/// few hundred steps.
///
/// # Errors
///
/// Manifests that do not describe one workload (no Deployment, autoscalers aimed at another
/// one, both an HPA and a ScaledObject), metrics the simulator has no data for, a demand that
/// needs an option not given, a scenario the core refuses, or a step an engine refuses.
pub fn run(
    manifests: &Manifests,
    series: &DemandSeries,
    options: &SimulateOptions,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Timeline, SimulateError> {
    let Some(workload) = &manifests.workload else {
        return Err(SimulateError::Option(
            "no Deployment among the manifests: pass the workload's manifest with -f, the \
             simulator needs its pods' CPU request"
                .to_string(),
        ));
    };
    let hpa = manifests.hpa.as_ref();
    let keda = manifests.scaled_object.as_ref();
    if let (Some(hpa), Some(so)) = (hpa, keda) {
        return Err(SimulateError::Input(hpa.origin.error(
            "",
            format!(
                "the ScaledObject {} generates its own HPA for the workload; pass one or the other",
                so.origin.object
            ),
        )));
    }

    // The autoscalers, in the core's terms; each borrows from its manifest.
    let hpa_spec = match hpa {
        Some(h) => {
            check_target(
                &h.origin,
                "spec.scaleTargetRef.name",
                &h.object.spec.scale_target_ref.name,
                workload,
            )?;
            Some(h.object.to_spec(&h.origin)?)
        }
        None => None,
    };
    let keda_parts = match keda {
        Some(k) => {
            check_target(
                &k.origin,
                "spec.scaleTargetRef.name",
                &k.object.spec.scale_target_ref.name,
                workload,
            )?;
            Some(k.object.to_keda(&k.origin)?)
        }
        None => None,
    };
    let generated: Option<GeneratedHpa<'_>> = match (&keda_parts, keda) {
        (Some(parts), Some(k)) => Some(parts.generated_hpa(&k.origin)?),
        _ => None,
    };
    let spec = hpa_spec.as_ref().or(generated.as_ref().map(|g| &g.spec));
    let spec_origin = hpa.map(|h| &h.origin).or(keda.map(|k| &k.origin));

    // The modeled container: the one a ContainerResource metric names, else the first.
    let metric_container = spec.and_then(|s| {
        s.metrics.iter().find_map(|m| match m {
            MetricSpec::ContainerResource { container, .. } => Some(*container),
            _ => None,
        })
    });
    let container = workload
        .object
        .modeled_container(&workload.origin, metric_container)?;
    if let (Some(spec), Some(origin)) = (spec, spec_origin) {
        let cron_metrics = keda_parts.as_ref().map_or(&[][..], |p| &p.metric_names[..]);
        check_metrics(origin, &spec.metrics, container.name, cron_metrics)?;
        if usize::try_from(spec.max_replicas).unwrap_or(usize::MAX) > POD_CAPACITY {
            return Err(SimulateError::Input(origin.error(
                "spec.maxReplicas",
                format!(
                    "{} is more pods than the simulator holds ({POD_CAPACITY})",
                    spec.max_replicas
                ),
            )));
        }
    }
    let vpa_policies = match &manifests.vpa {
        Some(v) => {
            check_target(
                &v.origin,
                "spec.targetRef.name",
                &v.object.spec.target_ref.name,
                workload,
            )?;
            Some(v.object.container_policies(&v.origin)?)
        }
        None => None,
    };

    // The demand, with relative times anchored at the start.
    let offset = match series.time_base {
        TimeBase::Relative => options.start_ms,
        TimeBase::Absolute => 0,
    };
    let points: Vec<DemandPoint> = series
        .points
        .iter()
        .map(|p| DemandPoint::new(p.from_ms.saturating_add(offset), p.value))
        .collect();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Err(SimulateError::Input(InputError::file(
            &series.file,
            "no demand rows",
        )));
    };
    let (start_ms, end_ms) = (first.from_ms, last.from_ms);
    let demand = demand(series, &points, options)?;

    let pod = PodTemplate {
        container: container.name,
        cpu_request_m: container.cpu_request_m,
        cpu_limit_m: container.cpu_limit_m,
        startup_ms: options.startup_ms,
        readiness_delay_ms: options
            .readiness_delay_ms
            .or(container.readiness_delay_ms)
            .unwrap_or(5_000),
        ..PodTemplate::new(container.cpu_request_m)
    };
    let mut scenario = Scenario::new(start_ms, end_ms, demand, pod);
    scenario.step_ms = options.step_ms;
    // metrics-server scrapes every 15 s; with a longer step it can only scrape every step.
    scenario.metrics.resolution_ms = scenario.metrics.resolution_ms.max(options.step_ms);
    scenario.metrics.window_ms = scenario.metrics.resolution_ms;
    scenario.initial_replicas = workload.object.replicas();
    if usize::try_from(scenario.initial_replicas).unwrap_or(usize::MAX) > POD_CAPACITY {
        return Err(SimulateError::Input(workload.origin.error(
            "spec.replicas",
            format!("more pods than the simulator holds ({POD_CAPACITY})"),
        )));
    }
    scenario.hpa = spec.map(|spec| HpaSetup {
        sync_period_ms: options.sync_period_ms,
        ..HpaSetup::new(spec)
    });
    scenario.keda = keda_parts.as_ref().map(|p| KedaSetup {
        scaled_object: &p.scaled_object,
        triggers: &p.triggers,
    });
    scenario.vpa = vpa_policies.as_ref().map(|_| VpaSetup::default());

    let records = run_steps(scenario, progress)?;

    // The recommender applies the VPA's resource policy before writing its status.
    let mut records = records;
    if let Some(policies) = &vpa_policies {
        let policy = PodResourcePolicy::new(policies);
        for record in &mut records {
            record.vpa = record
                .vpa
                .and_then(|step| apply_policy(&policy, container.name, step));
        }
    }

    let zone = keda_parts
        .as_ref()
        .and_then(|p| p.triggers.first())
        .map(|t| t.timezone.to_string());
    let target_utilization = spec.and_then(|s| {
        s.metrics.iter().find_map(|m| match m {
            MetricSpec::Resource {
                name: ResourceName::Cpu,
                target: podscale::hpa::MetricTarget::Utilization(p),
            }
            | MetricSpec::ContainerResource {
                name: ResourceName::Cpu,
                target: podscale::hpa::MetricTarget::Utilization(p),
                ..
            } => Some(*p),
            _ => None,
        })
    });
    let title = options.title.clone().unwrap_or_else(|| {
        let mut parts = vec![workload.origin.object.clone()];
        parts.extend(hpa.map(|h| h.origin.object.clone()));
        parts.extend(keda.map(|k| k.origin.object.clone()));
        parts.extend(manifests.vpa.as_ref().map(|v| v.origin.object.clone()));
        parts.join(", ")
    });
    Ok(Timeline {
        info: TimelineInfo {
            title,
            start_ms,
            demand: points.clone(),
            absolute_time: series.time_base == TimeBase::Absolute || options.start_ms != 0,
            zone,
            container: container.name.to_string(),
            cpu_request_m: container.cpu_request_m,
            cpu_limit_m: container.cpu_limit_m,
            demand_kind: series.kind,
            target_utilization,
            min_replicas: spec.map(|s| s.min_replicas()),
            max_replicas: spec.map(|s| s.max_replicas),
            has_hpa: spec.is_some(),
            has_keda: keda.is_some(),
            has_vpa: vpa_policies.is_some(),
            step_ms: options.step_ms,
        },
        records,
    })
}

/// The VPA's status recommendation: `Off` containers get none; the others are capped to
/// `minAllowed`/`maxAllowed` and keep only their controlled resources.
fn apply_policy(policy: &PodResourcePolicy<'_>, container: &str, step: VpaStep) -> Option<VpaStep> {
    if policy.scaling_mode(container) == ContainerScalingMode::Off {
        return None;
    }
    let mut list = [RecommendedContainerResources {
        target: step.target,
        lower_bound: step.lower_bound,
        upper_bound: step.upper_bound,
        uncapped_target: step.target,
        ..RecommendedContainerResources::new(container)
    }];
    apply_vpa_policy(&mut list, Some(policy), Resources::NONE);
    let [capped] = list;
    let controlled = policy
        .container_policy(container)
        .and_then(|p| p.controlled_resources);
    let filter = |r: Resources| controlled.map_or(r, |c| c.filter(r));
    Some(VpaStep {
        target: filter(capped.target),
        lower_bound: filter(capped.lower_bound),
        upper_bound: filter(capped.upper_bound),
    })
}

/// Steps the simulation to the end on a thread with a stack large enough for its pods.
fn run_steps(
    scenario: Scenario<'_>,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Vec<StepRecord>, SimulateError> {
    let total = scenario
        .end_ms
        .saturating_sub(scenario.start_ms)
        .checked_div(scenario.step_ms)
        .and_then(|n| usize::try_from(n).ok())
        .map_or(0, |n| n.saturating_add(1));
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("simulation".to_string())
            .stack_size(SIMULATION_STACK_BYTES)
            .spawn_scoped(scope, move || {
                let mut sim: Simulation<'_, POD_CAPACITY> =
                    Simulation::new(scenario).map_err(|error| SimulateError::Simulation {
                        time_ms: scenario.start_ms,
                        error,
                    })?;
                let mut records = Vec::with_capacity(total);
                let mut next_ms = scenario.start_ms;
                loop {
                    match sim.step() {
                        Ok(Some(record)) => {
                            next_ms = record.time_ms.saturating_add(scenario.step_ms);
                            records.push(record);
                        }
                        Ok(None) => break,
                        Err(error) => {
                            return Err(SimulateError::Simulation {
                                time_ms: next_ms,
                                error,
                            });
                        }
                    }
                    if records.len() % 256 == 0 {
                        progress(records.len(), total);
                    }
                }
                progress(records.len(), total);
                Ok(records)
            })
            .map_err(|e| SimulateError::Option(format!("cannot start the simulation: {e}")))?;
        worker.join().unwrap_or_else(|_| {
            Err(SimulateError::Option(
                "the simulation thread stopped unexpectedly".to_string(),
            ))
        })
    })
}
