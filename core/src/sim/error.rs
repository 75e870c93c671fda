//! Why a simulation refuses a scenario or stops.

use core::fmt;

use crate::hpa::HpaError;
use crate::vpa::HistogramError;

/// Why a simulation could not start or continue. Each variant names the field and the value.
///
/// ```
/// use podscale::sim::SimError;
/// let e = SimError::InvalidField { field: "step_ms", value: 0 };
/// assert_eq!(e.to_string(), "step_ms = 0 is out of range");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SimError {
    /// A number of the scenario is out of range (negative, zero where a period is needed, or
    /// too large to add to the clock).
    InvalidField {
        /// The field, as the scenario names it.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A period that is not a whole number of steps: the simulation only acts on step
    /// boundaries, so it would silently act late.
    NotMultipleOfStep {
        /// The field.
        field: &'static str,
        /// Its value, milliseconds.
        value_ms: i64,
        /// The step, milliseconds.
        step_ms: i64,
    },
    /// The demand series is not sorted by time.
    UnsortedDemand {
        /// Position of the first point earlier than its predecessor.
        index: usize,
    },
    /// More pods asked for than the simulation holds (its `P`).
    PodCapacity {
        /// The replica count written to the workload.
        replicas: i32,
        /// The capacity.
        capacity: usize,
    },
    /// An HPA metric the simulation has no data for (only CPU of the pods, and the External
    /// metrics of the cron triggers, are simulated).
    UnsupportedMetric {
        /// Its position in the HPA's `spec.metrics`.
        index: usize,
    },
    /// The HPA engine refused the sync.
    Hpa(HpaError),
    /// KEDA's executor refused the poll: the ScaledObject lists a different number of
    /// triggers than the cron triggers given.
    TriggerCount {
        /// Entries of the ScaledObject's `triggers`.
        scaled_object: usize,
        /// Cron triggers given to the simulation.
        cron_triggers: usize,
    },
    /// A cron trigger's time zone cannot be loaded
    /// ([`CronTrigger::check_zone`](crate::keda::CronTrigger::check_zone) says why).
    CronZone {
        /// The trigger's position among the cron triggers.
        trigger: usize,
    },
    /// The VPA histograms refused a sample or their options.
    Vpa(HistogramError),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidField { field, value } => write!(f, "{field} = {value} is out of range"),
            Self::NotMultipleOfStep {
                field,
                value_ms,
                step_ms,
            } => write!(
                f,
                "{field} = {value_ms} ms is not a positive multiple of the {step_ms} ms step"
            ),
            Self::UnsortedDemand { index } => {
                write!(f, "demand point {index} is earlier than the one before it")
            }
            Self::PodCapacity { replicas, capacity } => write!(
                f,
                "{replicas} replicas exceed the simulation's capacity of {capacity} pods"
            ),
            Self::UnsupportedMetric { index } => {
                write!(
                    f,
                    "HPA metric {index} is neither pod CPU nor a cron trigger's"
                )
            }
            Self::Hpa(e) => write!(f, "HPA: {e}"),
            Self::TriggerCount {
                scaled_object,
                cron_triggers,
            } => write!(
                f,
                "the ScaledObject has {scaled_object} triggers but {cron_triggers} cron triggers \
                 were given"
            ),
            Self::CronZone { trigger } => {
                write!(f, "cron trigger {trigger}: its timezone cannot be loaded")
            }
            Self::Vpa(e) => write!(f, "VPA: {e}"),
        }
    }
}

impl core::error::Error for SimError {}

impl From<HpaError> for SimError {
    fn from(e: HpaError) -> Self {
        Self::Hpa(e)
    }
}

impl From<HistogramError> for SimError {
    fn from(e: HistogramError) -> Self {
        Self::Vpa(e)
    }
}
