//! Time-stepped what-if simulation of one workload under its autoscalers (podscale's own).
//!
//! A [`Scenario`] describes the workload (a [`Demand`] series: CPU, or requests with a CPU
//! cost each, open or closed loop; pods from a [`PodTemplate`] with start-up latency,
//! readiness delay and a CPU limit that caps what a pod can use), the [`MetricsPipeline`]
//! between pods and autoscalers (resolution and window), and the autoscalers themselves: an
//! HPA synced every period ([`HpaSetup`]), a KEDA ScaledObject polling cron triggers
//! ([`KedaSetup`]), and the VPA recommender sampling the container ([`VpaSetup`]). The
//! decisions are the engines of [`crate::hpa`], [`crate::keda`] and [`crate::vpa`], unchanged.
//!
//! A [`Simulation`] owns every piece of state in fixed capacity and advances one step per
//! call, returning a [`StepRecord`]: spec and ready replicas, demand and usage, the HPA's
//! decision with its reason and conditions, KEDA's poll and the cron activity, and the VPA's
//! recommendation; the pods of the step (usage, utilization, what metrics report) are in
//! [`Simulation::pods`]. Time is an input and all arithmetic is in integers (the engines'
//! own float math follows upstream's), so the same scenario gives the same timeline on every
//! target.
//!
//! ```
//! use podscale::sim::{Demand, DemandPoint, PodTemplate, Scenario, Simulation, VpaSetup};
//!
//! // A container burning half a core for an hour, the VPA sampling it every minute.
//! let demand = [DemandPoint::new(0, 500)];
//! let mut scenario = Scenario::new(0, 3_600_000, Demand::Cpu(&demand), PodTemplate::new(100));
//! scenario.vpa = Some(VpaSetup::default());
//! let mut sim: Simulation<1> = Simulation::new(scenario)?;
//! let mut target = None;
//! for record in &mut sim {
//!     target = record?.vpa.map(|v| v.target.cpu_m).or(target);
//! }
//! assert_eq!(target, Some(Some(587))); // 500m's bucket ends at 511m, plus the 15% margin
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod demand;
mod error;
mod metrics_pipeline;
mod pod_template;
mod record;
mod scenario;
mod simulation;

pub use demand::{Demand, DemandPoint, Load};
pub use error::SimError;
pub use metrics_pipeline::{MAX_WINDOW_SCRAPES, MetricsPipeline};
pub use pod_template::PodTemplate;
pub use record::{HpaStep, KedaStep, PodStage, PodView, StepRecord, VpaStep};
pub use scenario::{HpaSetup, KedaSetup, Scenario, VpaSetup};
pub use simulation::Simulation;
