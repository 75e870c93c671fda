//! KEDA v2.20: the cron trigger, and the ScaledObject semantics around any trigger.
//!
//! KEDA owns the 0 <-> 1 part of scaling (activation, cooldown, idle replicas, fallback, paused
//! annotations) and hands 1 <-> N to an HPA it generates; both halves are here, the HPA itself
//! is [`crate::hpa`].

mod cron_trigger;
mod scaled_object;

pub(crate) use cron_trigger::HeldFirings;
pub use cron_trigger::{
    CronActivity, CronEvaluationError, CronMetadataError, CronMetricName, CronTrigger,
    CronValidationError, MetricNameForm, WindowMode,
};
pub use scaled_object::*;
