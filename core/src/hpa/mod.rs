//! The HorizontalPodAutoscaler of Kubernetes v1.37, decision for decision.
//!
//! The pieces follow upstream's files: [`classify_pod`] and the [`ReplicaCalculator`]
//! (`replica_calculator.go`), [`Tolerances`], [`Behavior`] and its API defaults
//! (`defaults.go`), stabilization, scale events and limits, and the pipeline [`decide`]
//! (`horizontal.go`). Each function names the upstream function it ports in brackets.
//!
//! Time is Unix milliseconds everywhere (`*_ms`); quantities are milli-units (`*_milli`).

mod behavior;
mod cohort;
mod conditions;
mod decision;
mod error;
mod metric_sample;
mod pod;
mod pod_grouping;
mod replica_calculator;
mod replica_limits;
mod resource;
mod scale_events;
mod spec;
mod stabilization;
mod tolerance;

pub use behavior::{
    Behavior, MAX_POLICIES, ScalingDirection, ScalingPolicy, ScalingPolicyType, ScalingRules,
    SelectPolicy,
};
pub use cohort::{CohortMetricData, CohortObservation, CohortSample, PodCohort};
pub use conditions::{Condition, ConditionReason, ConditionType, Conditions};
pub(crate) use decision::sync_cohorts_into;
pub use decision::{
    Decision, HpaState, MetricData, MetricProposal, MetricValue, Observation, RescaleReason,
    SelectorState, decide, decide_cohorts, sync, sync_cohorts, tolerances_for,
};
pub use error::{HpaError, ReplicaCalcError};
pub use metric_sample::{ContainerUsage, PodMetricSample, PodResourceMetrics, SampleTiming};
pub use pod::{ConditionStatus, Container, ContainerKind, Pod, PodPhase, ReadyCondition};
pub use pod_grouping::{PodClass, ReadinessPeriods, classify_pod};
pub use replica_calculator::{ReplicaCalculator, UtilizationProposal, ValueProposal};
pub use replica_limits::{Limited, limit_replicas_legacy, limit_replicas_with_behavior};
pub use resource::{ResourceAmount, ResourceName};
pub use scale_events::{
    ScaleEvent, replicas_change_per_period, scale_down_limit, scale_up_limit, store_scale_event,
};
pub use spec::{ControllerConfig, FeatureGates, HpaSpec, MAX_METRICS, MetricSpec, MetricTarget};
pub use stabilization::{
    Recommendation, stabilize_recommendation, stabilize_recommendation_with_behavior,
};
pub use tolerance::Tolerances;
