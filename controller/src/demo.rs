//! `podscale demo`: the three walkthroughs of `examples/walkthroughs/`, replayed from the
//! files themselves (compiled in, so the command works from any directory).
//!
//! | walkthrough | files | what it shows |
//! | --- | --- | --- |
//! | `php-apache` | `php-apache.yaml`, `php-apache-hpa.yaml`, `php-apache-load.csv` | the Kubernetes HPA walkthrough: the climb, the plateau at 5 pods, the scale-down 5 minutes after the load stops |
//! | `quarter-hour` | `quarter-hour.yaml`, `quarter-hour-clock.csv` | KEDA's cron trigger, Seoul time: one replica from :00 to :10 of every quarter hour |
//! | `hamster` | `hamster.yaml`, `hamster-cpu.csv` | the VPA recommendation for containers burning half a core: 587m |

use std::io::Write;
use std::path::Path;

use crate::cli::write_outputs;
use crate::demand_csv::DemandSeries;
use crate::manifest::Manifests;
use crate::simulate::{SimulateError, SimulateOptions, run};
use crate::timeline::Timeline;

/// Where the walkthroughs' files are, as errors and the table name them.
pub const DIRECTORY: &str = "controller/examples/walkthroughs";

/// One walkthrough: its files and the options its demand needs.
#[derive(Debug, Clone, Copy)]
pub struct Walkthrough {
    /// The name of its plot and CSV: `php-apache` gives `php-apache.svg`.
    pub name: &'static str,
    /// A title for the table and the plot.
    pub title: &'static str,
    /// Manifest files: name and contents.
    pub manifests: &'static [(&'static str, &'static str)],
    /// The demand CSV: name and contents.
    pub demand: (&'static str, &'static str),
    /// A request's CPU cost, microseconds (`--cpu-per-request`).
    pub cpu_per_request_us: Option<i64>,
    /// A client's pause, milliseconds (`--think-time`).
    pub think_time_ms: Option<i64>,
    /// The command that replays it by hand, from the repository's root.
    pub command: &'static str,
}

macro_rules! walkthrough_file {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../examples/walkthroughs/", $name)),
        )
    };
}

/// The walkthroughs, in the order the demo runs them.
pub const WALKTHROUGHS: [Walkthrough; 3] = [
    Walkthrough {
        name: "php-apache",
        title: "HPA walkthrough: php-apache under one closed-loop client (HPA at 50% CPU, 1 to 10 pods)",
        manifests: &[
            walkthrough_file!("php-apache.yaml"),
            walkthrough_file!("php-apache-hpa.yaml"),
        ],
        demand: walkthrough_file!("php-apache-load.csv"),
        cpu_per_request_us: Some(40_000),
        think_time_ms: Some(10),
        command: "podscale simulate -f php-apache.yaml -f php-apache-hpa.yaml \
                  --demand php-apache-load.csv --cpu-per-request 40ms --think-time 10ms",
    },
    Walkthrough {
        name: "quarter-hour",
        title: "KEDA cron: one replica every quarter hour, Seoul time (cooldown 300 s)",
        manifests: &[walkthrough_file!("quarter-hour.yaml")],
        demand: walkthrough_file!("quarter-hour-clock.csv"),
        cpu_per_request_us: None,
        think_time_ms: None,
        command: "podscale simulate -f quarter-hour.yaml --demand quarter-hour-clock.csv",
    },
    Walkthrough {
        name: "hamster",
        title: "VPA: two hamsters burning half a core each, recommended every minute",
        manifests: &[walkthrough_file!("hamster.yaml")],
        demand: walkthrough_file!("hamster-cpu.csv"),
        cpu_per_request_us: None,
        think_time_ms: None,
        command: "podscale simulate -f hamster.yaml --demand hamster-cpu.csv",
    },
];

impl Walkthrough {
    /// Replays the walkthrough.
    ///
    /// # Errors
    ///
    /// As [`run`]; the files are part of the crate, so only a broken build fails here.
    ///
    /// ```
    /// use podscale_controller::demo::WALKTHROUGHS;
    /// let timeline = WALKTHROUGHS[0].run()?;
    /// let plateau = timeline.records.iter().find(|r| r.time_ms == 300_000).unwrap();
    /// assert_eq!(plateau.spec_replicas, 5);
    /// # Ok::<(), podscale_controller::simulate::SimulateError>(())
    /// ```
    pub fn run(&self) -> Result<Timeline, SimulateError> {
        let mut manifests = Manifests::default();
        for (name, text) in self.manifests {
            manifests.add(Path::new(DIRECTORY).join(name), text)?;
        }
        let (name, text) = self.demand;
        let series = DemandSeries::parse(Path::new(DIRECTORY).join(name), text)?;
        let options = SimulateOptions {
            cpu_per_request_us: self.cpu_per_request_us,
            think_time_ms: self.think_time_ms,
            title: Some(self.title.to_string()),
            ..SimulateOptions::default()
        };
        run(&manifests, &series, &options, &mut |_, _| {})
    }
}

/// Runs every walkthrough: prints its table to `out` and writes `NAME.svg` and `NAME.csv`
/// into `out_dir`.
///
/// # Errors
///
/// A walkthrough fails, or a file cannot be written.
pub fn run_all(out_dir: &Path, out: &mut dyn Write) -> Result<(), SimulateError> {
    let io = |e: std::io::Error| SimulateError::Option(e.to_string());
    let mut written = Vec::new();
    for walkthrough in &WALKTHROUGHS {
        writeln!(out, "== {}", walkthrough.name).map_err(io)?;
        writeln!(out, "   (cd {DIRECTORY} && {})", walkthrough.command).map_err(io)?;
        let timeline = walkthrough.run()?;
        timeline.write_table(out).map_err(io)?;
        writeln!(out).map_err(io)?;
        let svg = out_dir.join(format!("{}.svg", walkthrough.name));
        let csv = out_dir.join(format!("{}.csv", walkthrough.name));
        write_outputs(&timeline, Some(&csv), Some(&svg))?;
        written.push(svg);
        written.push(csv);
    }
    writeln!(out, "Plots and timelines written:").map_err(io)?;
    for path in written {
        writeln!(out, "  {}", path.display()).map_err(io)?;
    }
    Ok(())
}
