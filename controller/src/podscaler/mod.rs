//! The `PodScaler` resource and its decisions: the resource's types, their mapping onto the
//! core's specs, the checkpointed state, and one sync as a method on the resource.

mod config;
// KubeSchema's derive copies each struct into a private scope to build its schema; the
// copies trip `unreachable_pub`, the originals are exported below.
mod observation;
mod report;
#[allow(unreachable_pub)]
mod resource;
mod state;
mod sync;
mod vertical;

pub use config::{MetricFeed, PreparedSpec, ScalerConfig, SpecError};
pub use observation::{ContainerView, MetricReading, PodView, pod_labels};
pub use report::{SyncProblem, SyncReport, api_time, milli_quantity};
pub use state::{CheckpointReadError, ScalerState, VerticalHistory};
pub use sync::{
    ClusterView, HorizontalOutcome, MetricValueReport, ScaleReading, ScheduleStep,
    metric_description, schedule_action_reason, schedule_readings,
};

pub use resource::{
    ContainerMode, ContainerPolicy, ContainerRecommendation, PodScaler, PodScalerCondition,
    PodScalerSpec, PodScalerStatus, Recommendation, Schedule, ScheduleStatus, VerticalMode,
    VerticalSpec, WindowMode,
};

#[cfg(test)]
mod tests;
