//! The command line: `podscale simulate` and `podscale demo` (clap derive).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::demand_csv::DemandSeries;
use crate::manifest::Manifests;
use crate::progress::Progress;
use crate::simulate::{SimulateError, SimulateOptions, run};
use crate::time::{parse_duration_ms, parse_rfc3339_ms};
use crate::timeline::Timeline;

/// Kubernetes autoscaling decisions, replayed: what the HPA, KEDA and the VPA would do.
#[derive(Debug, Parser)]
#[command(name = "podscale", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a demand series through a workload's manifests and show what its autoscalers do.
    Simulate(SimulateArgs),
    /// Replay the three walkthroughs (HPA php-apache, KEDA cron, VPA) and write their plots.
    Demo(DemoArgs),
    /// Print the PodScaler CustomResourceDefinition as YAML, for `kubectl apply -f -`.
    #[cfg(feature = "cluster")]
    Crd,
    /// Run the PodScaler controller against the cluster of the kubeconfig (or in-cluster).
    #[cfg(feature = "cluster")]
    Run(RunArgs),
}

/// `podscale run`.
#[cfg(feature = "cluster")]
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// How often each PodScaler is synced (the HPA's --horizontal-pod-autoscaler-sync-period).
    #[arg(long, default_value = "15s", value_parser = parse_duration_ms)]
    pub sync_period: i64,
    /// Watch one namespace only [default: every namespace].
    #[arg(long)]
    pub namespace: Option<String>,
    /// Where /metrics, /healthz and /readyz listen.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub ops_addr: std::net::SocketAddr,
    /// Compete for a Lease, so that of several replicas only one acts.
    #[arg(long)]
    pub leader_elect: bool,
    /// The Lease's namespace [default: $POD_NAMESPACE, else `default`].
    #[arg(long)]
    pub lease_namespace: Option<String>,
    /// The Lease's name.
    #[arg(long, default_value = "podscale")]
    pub lease_name: String,
    /// This replica's identity in the Lease [default: $POD_NAME, else the host name].
    #[arg(long)]
    pub identity: Option<String>,
    /// How long a Lease holds without renewal.
    #[arg(long, default_value = "15s", value_parser = parse_duration_ms)]
    pub lease_duration: i64,
    /// How long the leader keeps trying to renew before it stops acting.
    #[arg(long, default_value = "10s", value_parser = parse_duration_ms)]
    pub renew_deadline: i64,
    /// Time between election attempts.
    #[arg(long, default_value = "2s", value_parser = parse_duration_ms)]
    pub retry_period: i64,
    /// PodScalers synced at the same time.
    #[arg(long, default_value_t = 16)]
    pub concurrency: u16,
    /// The HPA's tolerance (--horizontal-pod-autoscaler-tolerance), unless a PodScaler's
    /// behavior sets its own per direction.
    #[arg(long, default_value_t = 0.1)]
    pub tolerance: f64,
    /// The HPA's scale-down stabilization window without `behavior`
    /// (--horizontal-pod-autoscaler-downscale-stabilization).
    #[arg(long, default_value = "5m", value_parser = parse_duration_ms)]
    pub downscale_stabilization: i64,
    /// --horizontal-pod-autoscaler-cpu-initialization-period.
    #[arg(long, default_value = "5m", value_parser = parse_duration_ms)]
    pub cpu_initialization_period: i64,
    /// --horizontal-pod-autoscaler-initial-readiness-delay.
    #[arg(long, default_value = "30s", value_parser = parse_duration_ms)]
    pub initial_readiness_delay: i64,
    /// Log format: `text` or `json`.
    #[arg(long, default_value = "text")]
    pub log_format: crate::telemetry::LogFormat,
    /// Log filter (RUST_LOG syntax); RUST_LOG wins when set.
    #[arg(long, default_value = "info")]
    pub log_filter: String,
}

/// `podscale simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Manifest files: the Deployment, and its HorizontalPodAutoscaler, ScaledObject or
    /// VerticalPodAutoscaler (several documents per file are fine; other kinds are skipped).
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "MANIFEST",
        required = true
    )]
    pub manifests: Vec<PathBuf>,
    /// The demand: a CSV (`time,cpu`, `time,rps` or `time,clients`) or the JSON of a
    /// Prometheus query_range answer with one CPU series per pod (`.json`).
    #[arg(long, value_name = "FILE")]
    pub demand: PathBuf,
    /// Time between simulation steps.
    #[arg(long, default_value = "15s", value_parser = parse_duration_ms)]
    pub step: i64,
    /// The HPA's sync period (--horizontal-pod-autoscaler-sync-period).
    #[arg(long, default_value = "15s", value_parser = parse_duration_ms)]
    pub sync_period: i64,
    /// CPU time one request costs (for `rps` and `clients` demand), e.g. 40ms.
    #[arg(long, value_parser = parse_duration_ms)]
    pub cpu_per_request: Option<i64>,
    /// A client's pause between an answer and its next request (for `clients` demand).
    #[arg(long, value_parser = parse_duration_ms)]
    pub think_time: Option<i64>,
    /// From a pod's creation to its container running.
    #[arg(long, default_value = "10s", value_parser = parse_duration_ms)]
    pub pod_startup: i64,
    /// From running to Ready [default: the readiness probe's initialDelaySeconds, else 5s].
    #[arg(long, value_parser = parse_duration_ms)]
    pub readiness_delay: Option<i64>,
    /// Where relative demand times start (RFC 3339), for cron schedules.
    #[arg(long, value_parser = parse_rfc3339_ms)]
    pub start: Option<i64>,
    /// Write every step as CSV here.
    #[arg(long, value_name = "CSV")]
    pub out: Option<PathBuf>,
    /// Draw the timeline as SVG here.
    #[arg(long, value_name = "SVG")]
    pub plot: Option<PathBuf>,
    /// Do not print the table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `podscale demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to write the plots and CSVs.
    #[arg(long, default_value = "target/demo", value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// Reads a demand file: JSON (a Prometheus answer) by its extension, else CSV.
///
/// # Errors
///
/// As the file's reader.
pub fn read_demand(path: &Path) -> Result<DemandSeries, SimulateError> {
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let series = if json {
        crate::prometheus::read(path)?
    } else {
        DemandSeries::read_csv(path)?
    };
    Ok(series)
}

/// Writes a file, naming it in the error.
///
/// # Errors
///
/// The file cannot be written.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<(), SimulateError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| SimulateError::Option(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(path, contents)
        .map_err(|e| SimulateError::Option(format!("cannot write {}: {e}", path.display())))
}

/// The CSV and SVG of a timeline, written where asked.
///
/// # Errors
///
/// A file cannot be written, or the plot cannot be drawn.
pub fn write_outputs(
    timeline: &Timeline,
    csv: Option<&Path>,
    svg: Option<&Path>,
) -> Result<(), SimulateError> {
    if let Some(path) = csv {
        let mut bytes = Vec::new();
        timeline
            .write_csv(&mut bytes)
            .map_err(|e| SimulateError::Option(e.to_string()))?;
        write_file(path, &bytes)?;
    }
    if let Some(path) = svg {
        let svg = crate::plot::render_svg(timeline)
            .map_err(|e| SimulateError::Option(format!("cannot draw {}: {e}", path.display())))?;
        write_file(path, svg.as_bytes())?;
    }
    Ok(())
}

fn simulate(args: &SimulateArgs, out: &mut dyn Write) -> Result<(), SimulateError> {
    let manifests = Manifests::read(&args.manifests)?;
    for skipped in &manifests.ignored {
        eprintln!("podscale: not simulated: {skipped}");
    }
    let series = read_demand(&args.demand)?;
    let options = SimulateOptions {
        step_ms: args.step,
        sync_period_ms: args.sync_period,
        // Milliseconds on the command line, microseconds in the core.
        cpu_per_request_us: args.cpu_per_request.map(|ms| ms.saturating_mul(1000)),
        think_time_ms: args.think_time,
        startup_ms: args.pod_startup,
        readiness_delay_ms: args.readiness_delay,
        start_ms: args.start.unwrap_or(0),
        title: None,
    };
    let mut progress = Progress::new();
    let result = run(&manifests, &series, &options, &mut |done, total| {
        progress.update(done, total);
    });
    progress.finish();
    let timeline = result?;
    if !args.quiet {
        timeline
            .write_table(out)
            .map_err(|e| SimulateError::Option(e.to_string()))?;
    }
    write_outputs(&timeline, args.out.as_deref(), args.plot.as_deref())?;
    for path in args.out.iter().chain(&args.plot) {
        eprintln!("podscale: wrote {}", path.display());
    }
    Ok(())
}

/// Writes the PodScaler CRD as YAML.
#[cfg(feature = "cluster")]
fn print_crd(out: &mut dyn Write) -> Result<(), SimulateError> {
    use kube::CustomResourceExt as _;
    let yaml = serde_norway::to_string(&crate::podscaler::PodScaler::crd())
        .map_err(|e| SimulateError::Option(format!("cannot print the CRD: {e}")))?;
    out.write_all(yaml.as_bytes())
        .map_err(|e| SimulateError::Option(e.to_string()))
}

/// The HPA's controller flags, checked as kube-controller-manager checks them.
#[cfg(feature = "cluster")]
fn hpa_config(args: &RunArgs) -> Result<podscale::hpa::ControllerConfig, SimulateError> {
    let mut config = podscale::hpa::ControllerConfig::default();
    if !(args.tolerance.is_finite() && args.tolerance >= 0.0) {
        return Err(SimulateError::Option(format!(
            "--tolerance {}: must be a number, 0 or more",
            args.tolerance
        )));
    }
    for (flag, value) in [
        ("--downscale-stabilization", args.downscale_stabilization),
        (
            "--cpu-initialization-period",
            args.cpu_initialization_period,
        ),
        ("--initial-readiness-delay", args.initial_readiness_delay),
    ] {
        if value < 0 {
            return Err(SimulateError::Option(format!(
                "{flag}: {value} ms is negative"
            )));
        }
    }
    config.tolerance = args.tolerance;
    config.downscale_stabilization_window_ms = args.downscale_stabilization;
    config.readiness.cpu_initialization_period_ms = args.cpu_initialization_period;
    config.readiness.delay_of_initial_readiness_status_ms = args.initial_readiness_delay;
    Ok(config)
}

/// `podscale run`: the controller, until SIGTERM or Ctrl-C.
#[cfg(feature = "cluster")]
fn run_controller(args: &RunArgs) -> Result<(), SimulateError> {
    use std::time::Duration;

    use crate::clock::SystemClock;
    use crate::leader_election::LeaseTimings;
    use crate::manager::{RunOptions, run};
    use crate::metrics_api::MetricsApi;
    use crate::reconciler::Settings;

    let failed =
        |what: &str, e: &dyn std::fmt::Display| SimulateError::Option(format!("{what}: {e}"));
    let millis = |ms: i64| Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    crate::telemetry::init_tracing(args.log_format, &args.log_filter)
        .map_err(|e| failed("logging", &e))?;
    let identity = args
        .identity
        .clone()
        .or_else(|| std::env::var("POD_NAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "podscale".to_owned());
    let lease_namespace = args
        .lease_namespace
        .clone()
        .or_else(|| std::env::var("POD_NAMESPACE").ok())
        .unwrap_or_else(|| "default".to_owned());
    let options = RunOptions {
        settings: Settings {
            sync_period: millis(args.sync_period),
            hpa: hpa_config(args)?,
            instance: identity.clone(),
            ..Settings::default()
        },
        namespace: args.namespace.clone(),
        ops_addr: args.ops_addr,
        leader_election: args.leader_elect,
        lease: (lease_namespace, args.lease_name.clone()),
        identity,
        lease_timings: LeaseTimings {
            lease_duration: millis(args.lease_duration),
            renew_deadline: millis(args.renew_deadline),
            retry_period: millis(args.retry_period),
        },
        concurrency: args.concurrency,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| failed("cannot start the runtime", &e))?;
    runtime.block_on(async {
        let shutdown = crate::shutdown::shutdown_signal().map_err(|e| failed("signals", &e))?;
        let client = kube::Client::try_default()
            .await
            .map_err(|e| failed("cannot reach the cluster", &e))?;
        let metrics = MetricsApi::new(client.clone()).with_timeout(Duration::from_secs(10));
        run(client, metrics, SystemClock, options, async move {
            let signal = shutdown.await;
            tracing::info!(?signal, "shutting down");
        })
        .await
        .map_err(|e| failed("controller", &e))
    })
}

/// Runs the command with the process's arguments; the exit code is 0 on success, 1 on a
/// refused input, 2 on a usage error.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match &cli.command {
        Command::Simulate(args) => simulate(args, &mut out),
        Command::Demo(args) => crate::demo::run_all(&args.out_dir, &mut out),
        #[cfg(feature = "cluster")]
        Command::Crd => print_crd(&mut out),
        #[cfg(feature = "cluster")]
        Command::Run(args) => run_controller(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            eprintln!("podscale: error: {e}");
            ExitCode::FAILURE
        }
    }
}
