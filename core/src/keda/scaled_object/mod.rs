//! KEDA's ScaledObject semantics around any trigger: activation from zero, cooldown, idle and
//! minimum replicas, paused annotations, fallback, `scalingModifiers` formulas, and the HPA KEDA
//! generates for the 1 <-> N part.
//!
//! The pieces follow KEDA's files: [`scaled_object_activity`] (the scale loop's
//! `getScaledObjectState`), [`request_scale`] (the executor's `RequestScale`),
//! [`metric_with_fallback`] (`fallback.go`), [`evaluate_formula`] and [`ScalingModifiers`]
//! (`modifiers/formula.go` and expr-lang), the generated HPA (`controllers/keda/hpa.go`) and
//! validation (`scaledobject_webhook.go`, `scaledobject_types.go`, `scaletriggers_types.go`).
//! Each function names the upstream function it ports in brackets.
//!
//! Triggers enter as observations (`{active, metric, error}` per trigger), so any scaler works;
//! the cron trigger computes its own. Time is Unix milliseconds (`*_ms`); the manifest's
//! durations are seconds (`*_seconds`).
//!
//! ```
//! use podscale::keda::*;
//!
//! // A cron window with desiredReplicas 10 and minReplicaCount 0 (cooldown 300 s).
//! let so = ScaledObjectSpec::new("web", &[Trigger::new("cron")])?;
//! let mut state: ScaledObjectState = ScaledObjectState::new();
//! let mut replicas = 0;
//! for (t, window_open) in [(0, false), (30_000, true), (60_000, false), (360_001, false)] {
//!     let metric = if window_open { 10.0 } else { 0.0 };
//!     let seen = TriggerObservation { active: window_open, metric, error: false };
//!     let decision = poll(&so, &mut state, &[seen], replicas, t)?;
//!     if let Some(action) = decision.action {
//!         replicas = action.scale_to; // KEDA writes 0 -> 1 and back; the HPA does 1 -> 10
//!     }
//! }
//! assert_eq!(replicas, 0); // scaled in strictly after lastActiveTime (30 s) + 300 s
//! # Ok::<(), ScaledObjectError>(())
//! ```

mod annotations;
mod error;
mod executor;
mod fallback;
mod formula;
mod generated_hpa;
mod go_strconv;
mod scaling_modifiers;
mod spec;
mod state;
mod trigger_activity;
mod validation;

pub use annotations::{
    Annotations, FORCE_ACTIVATION_ANNOTATION, PAUSED_ANNOTATION, PAUSED_REPLICAS_ANNOTATION,
    PAUSED_SCALE_IN_ANNOTATION, PAUSED_SCALE_OUT_ANNOTATION, annotation_flag,
};
pub use error::ScaledObjectError;
pub use executor::{
    ActiveReason, ExecutorDecision, ReadyReason, ScaleAction, ScaleActionKind, poll, request_scale,
    request_scale_with,
};
pub use fallback::{
    Fallback, FallbackBehavior, FallbackDecision, FallbackHealth, HealthStatus, MetricHealth,
    WorkloadReplicas, metric_with_fallback,
};
pub use formula::{
    FormulaError, MAX_FORMULA_DEPTH, ValueKind, check_formula, evaluate_formula, parse_formula,
};
pub use generated_hpa::{
    DEFAULT_HPA_MAX_REPLICAS, DEFAULT_HPA_MIN_REPLICAS, DEFAULT_HPA_NAME_PREFIX, GeneratedHpa,
    HpaName, MAX_NAME_LENGTH, SCALED_OBJECT_NAME_LABEL, external_metric_spec,
};
pub use go_strconv::{go_parse_bool, go_parse_float};
pub use scaling_modifiers::{COMPOSITE_METRIC_NAME, ScalingModifiers};
pub use spec::{
    AdvancedConfig, DEFAULT_COOLDOWN_PERIOD_SECONDS, DEFAULT_INITIAL_COOLDOWN_PERIOD_SECONDS,
    DEFAULT_POLLING_INTERVAL_SECONDS, HorizontalPodAutoscalerConfig, MAX_TRIGGERS,
    MetricTargetType, ScaledObjectSpec, Trigger,
};
pub use state::ScaledObjectState;
pub use trigger_activity::{Activity, TriggerObservation, scaled_object_activity};
