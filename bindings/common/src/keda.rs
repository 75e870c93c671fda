//! KEDA: cron schedules in KEDA's dialect, the cron trigger's window, and a `ScaledObject`'s
//! polls (activation, cooldown, idle replicas, fallback, paused annotations) and generated HPA.
//!
//! ```
//! use std::collections::BTreeMap;
//! use podscale_bindings::keda::{CronTrigger, CronTriggerOptions};
//! let metadata: BTreeMap<String, String> = [
//!     ("timezone", "Asia/Seoul"), ("start", "00,15,30,45 * * * *"),
//!     ("end", "05,20,35,50 * * * *"), ("desiredReplicas", "1"),
//! ].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
//! let trigger = CronTrigger::from_metadata(&metadata, 0, CronTriggerOptions::default())?;
//! assert!(trigger.evaluate(1_714_526_220_000)?.active); // 10:17 KST
//! # Ok::<(), podscale_bindings::Error>(())
//! ```

use std::collections::BTreeMap;

use podscale::cron::{Schedule, Zone};
use podscale::hpa::{MetricSpec, MetricTarget};
use podscale::keda::{
    self as core, AdvancedConfig, Annotations, FallbackBehavior, HorizontalPodAutoscalerConfig,
    MetricNameForm, MetricTargetType, ScalingModifiers, Trigger, WindowMode,
};
use podscale_controller::manifest::TargetRef;
use podscale_controller::manifest::scaled_object::{HpaConfigManifest, TriggerManifest};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hpa::Behavior;
use crate::units::{Instant, Milli};

/// A ScaledObject's state between polls (`lastActiveTime`, the fallback health): plain data
/// the caller owns; serializes exactly.
pub type ScaledObjectState = core::ScaledObjectState;

fn zone(name: &str) -> Result<Zone> {
    Zone::from_name(name).map_err(|e| Error::validation("timezone", e.to_string()).with_value(name))
}

/// A cron expression in KEDA's dialect (robfig/cron v3, five fields, `TZ=` prefixes).
///
/// ```
/// use podscale_bindings::keda::CronSchedule;
/// let weekdays = CronSchedule::parse("0 9 * * Mon-Fri")?;
/// // Friday 2024-05-03 10:00 in Seoul: next is Monday 09:00.
/// assert_eq!(weekdays.next_after(1_714_698_000_000, "Asia/Seoul")?, Some(1_714_953_600_000));
/// let err = CronSchedule::parse("61 * * * *").unwrap_err();
/// assert_eq!(err.message, "end of range (61) above maximum (59): 61");
/// # Ok::<(), podscale_bindings::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    text: String,
    schedule: Schedule,
}

impl CronSchedule {
    /// Parses `text`.
    ///
    /// # Errors
    ///
    /// robfig's message for an expression KEDA refuses (robfig panics on a `TZ=` prefix without
    /// a space; that is an error here).
    pub fn parse(text: &str) -> Result<Self> {
        let schedule = Schedule::parse(text)
            .map_err(|e| Error::validation("", e.robfig_message().to_string()).with_value(text))?;
        Ok(Self {
            text: text.to_string(),
            schedule,
        })
    }

    /// The expression as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first firing strictly after `after_ms` in the IANA zone `timezone` (`None`: none in
    /// the next five years, as robfig gives up).
    ///
    /// # Errors
    ///
    /// An unknown zone.
    pub fn next_after(&self, after_ms: i64, timezone: &str) -> Result<Option<i64>> {
        Ok(self.schedule.next_after(after_ms, zone(timezone)?))
    }

    /// The last firing at or before `at_ms` (podscale's own, for the civil window).
    ///
    /// # Errors
    ///
    /// An unknown zone.
    pub fn previous_at_or_before(&self, at_ms: i64, timezone: &str) -> Result<Option<i64>> {
        Ok(self.schedule.previous_at_or_before(at_ms, zone(timezone)?))
    }

    /// [`CronSchedule::next_after`] for each instant.
    ///
    /// # Errors
    ///
    /// An unknown zone.
    pub fn next_after_many(&self, after_ms: &[i64], timezone: &str) -> Result<Vec<Option<i64>>> {
        let zone = zone(timezone)?;
        Ok(after_ms
            .iter()
            .map(|t| self.schedule.next_after(*t, zone))
            .collect())
    }
}

/// How a cron trigger decides, beyond its metadata.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronTriggerOptions {
    /// `Keda` (default: KEDA v2.20's rule) or `Civil` (podscale's: the latest firings decide).
    #[serde(default)]
    pub window_mode: Option<WindowMode>,
    /// The metric name's form: `Current` (default) or `BeforeV2_20`.
    #[serde(default)]
    pub metric_name_form: Option<MetricNameForm>,
}

/// A `cron` trigger: its metadata parsed and checked as KEDA checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronTrigger {
    timezone: String,
    start: CronSchedule,
    end: CronSchedule,
    desired_replicas: i64,
    index: usize,
    window_mode: WindowMode,
    metric_name_form: MetricNameForm,
}

/// A trigger's activity at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CronActivity {
    /// Inside the window.
    pub active: bool,
    /// The metric the scaler reports: `desiredReplicas` inside, 0 outside.
    pub metric_value: f64,
    /// The next `start` firing.
    pub next_start: Option<Instant>,
    /// The next `end` firing.
    pub next_end: Option<Instant>,
}

/// [`CronTrigger::evaluate_many`]'s columns (`i64::MIN`: no firing).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronColumns {
    /// Inside the window.
    pub active: Vec<bool>,
    /// The metric value.
    pub metric_value: Vec<f64>,
    /// The next `start` firing.
    pub next_start: Vec<i64>,
    /// The next `end` firing.
    pub next_end: Vec<i64>,
}

impl CronTrigger {
    /// A trigger from its `metadata` (`timezone`, `start`, `end`, `desiredReplicas`), the
    /// trigger's position in `triggers` (it is part of the metric name) and options.
    ///
    /// # Errors
    ///
    /// KEDA's message for missing keys, a bad `desiredReplicas`, an expression that does not
    /// parse or equal `start` and `end`, at `metadata` (or `metadata.start`, `metadata.end`,
    /// `metadata.desiredReplicas` when one key is at fault).
    pub fn from_metadata(
        metadata: &BTreeMap<String, String>,
        index: usize,
        options: CronTriggerOptions,
    ) -> Result<Self> {
        let pairs: Vec<(&str, &str)> = metadata
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let trigger = core::CronTrigger::from_metadata(&pairs, index).map_err(|e| {
            let path = match (
                e.missing.iter().filter(|m| **m).count(),
                e.invalid_desired_replicas,
                e.validation,
            ) {
                (0, None, Some(core::CronValidationError::Start(_))) => "metadata.start",
                (0, None, Some(core::CronValidationError::End(_))) => "metadata.end",
                (0, _, Some(core::CronValidationError::NoDesiredReplicas)) | (0, Some(_), None) => {
                    "metadata.desiredReplicas"
                }
                _ => "metadata",
            };
            Error::validation(path, e.to_string())
        })?;
        Ok(Self {
            timezone: trigger.timezone.to_string(),
            start: CronSchedule {
                text: trigger.start_text.to_string(),
                schedule: trigger.start,
            },
            end: CronSchedule {
                text: trigger.end_text.to_string(),
                schedule: trigger.end,
            },
            desired_replicas: trigger.desired_replicas,
            index,
            window_mode: options.window_mode.unwrap_or(trigger.window_mode),
            metric_name_form: options.metric_name_form.unwrap_or(trigger.metric_name_form),
        })
    }

    fn view(&self) -> core::CronTrigger<'_> {
        core::CronTrigger {
            timezone: &self.timezone,
            start_text: &self.start.text,
            end_text: &self.end.text,
            start: self.start.schedule,
            end: self.end.schedule,
            desired_replicas: self.desired_replicas,
            trigger_index: self.index,
            window_mode: self.window_mode,
            metric_name_form: self.metric_name_form,
        }
    }

    /// `desiredReplicas`.
    pub fn desired_replicas(&self) -> i64 {
        self.desired_replicas
    }

    /// The external metric name KEDA gives the trigger (`s0-cron-Asia-Seoul-00,15,30,45xxxx-…`).
    pub fn metric_name(&self) -> String {
        self.view().metric_name().to_string()
    }

    /// Checks that the zone loads (KEDA only loads it when evaluating).
    ///
    /// # Errors
    ///
    /// An unknown zone, at `metadata.timezone`.
    pub fn check_zone(&self) -> Result<()> {
        self.view().check_zone().map(|_| ()).map_err(|e| {
            Error::validation("metadata.timezone", e.to_string()).with_value(&self.timezone)
        })
    }

    /// The activity at `now_ms`.
    ///
    /// # Errors
    ///
    /// KEDA's runtime error for a zone that cannot be loaded ([`Refused`](crate::ErrorKind::Refused)).
    pub fn evaluate(&self, now_ms: i64) -> Result<CronActivity> {
        let a = self
            .view()
            .evaluate(now_ms)
            .map_err(|e| Error::refused(e.to_string()))?;
        Ok(CronActivity {
            active: a.active,
            metric_value: a.metric_value,
            next_start: a.next_start_ms.map(Instant),
            next_end: a.next_end_ms.map(Instant),
        })
    }

    /// The activity at each instant.
    ///
    /// # Errors
    ///
    /// As [`CronTrigger::evaluate`].
    pub fn evaluate_many(&self, times: &[i64]) -> Result<CronColumns> {
        let view = self.view();
        let mut out = CronColumns {
            active: Vec::with_capacity(times.len()),
            metric_value: Vec::with_capacity(times.len()),
            next_start: Vec::with_capacity(times.len()),
            next_end: Vec::with_capacity(times.len()),
        };
        for &t in times {
            let a = view
                .evaluate(t)
                .map_err(|e| Error::refused(e.to_string()))?;
            out.active.push(a.active);
            out.metric_value.push(a.metric_value);
            out.next_start.push(a.next_start_ms.unwrap_or(i64::MIN));
            out.next_end.push(a.next_end_ms.unwrap_or(i64::MIN));
        }
        Ok(out)
    }
}

// ---- ScaledObject ---------------------------------------------------------------------------

/// `metadata` of a ScaledObject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `annotations` (the paused ones are read).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `creationTimestamp` (the initial cooldown counts from it).
    #[serde(default)]
    pub creation_timestamp: Option<Instant>,
}

/// `advanced.scalingModifiers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingModifiersSpec {
    /// `formula`.
    #[serde(default)]
    pub formula: String,
    /// `target`.
    #[serde(default)]
    pub target: String,
    /// `activationTarget`.
    #[serde(default)]
    pub activation_target: String,
    /// `metricType`.
    #[serde(default)]
    pub metric_type: String,
}

/// `advanced`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedSpec {
    /// `horizontalPodAutoscalerConfig`.
    #[serde(default)]
    pub horizontal_pod_autoscaler_config: Option<HpaConfigManifest>,
    /// `restoreToOriginalReplicaCount`.
    #[serde(default)]
    pub restore_to_original_replica_count: bool,
    /// `scalingModifiers`.
    #[serde(default)]
    pub scaling_modifiers: Option<ScalingModifiersSpec>,
}

/// `fallback`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FallbackSpec {
    /// `failureThreshold`.
    pub failure_threshold: i32,
    /// `replicas`.
    pub replicas: i32,
    /// `behavior`: `static` (default), `currentReplicas`, `currentReplicasIfHigher`,
    /// `currentReplicasIfLower`.
    #[serde(default)]
    pub behavior: String,
}

/// `spec` of a `keda.sh/v1alpha1` ScaledObject.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    /// `scaleTargetRef`.
    #[serde(default)]
    pub scale_target_ref: Option<TargetRef>,
    /// `pollingInterval`, seconds (30).
    #[serde(default)]
    pub polling_interval: Option<i32>,
    /// `initialCooldownPeriod`, seconds (0).
    #[serde(default)]
    pub initial_cooldown_period: Option<i32>,
    /// `cooldownPeriod`, seconds (300).
    #[serde(default)]
    pub cooldown_period: Option<i32>,
    /// `idleReplicaCount`.
    #[serde(default)]
    pub idle_replica_count: Option<i32>,
    /// `minReplicaCount` (0).
    #[serde(default)]
    pub min_replica_count: Option<i32>,
    /// `maxReplicaCount` (100).
    #[serde(default)]
    pub max_replica_count: Option<i32>,
    /// `advanced`.
    #[serde(default)]
    pub advanced: Option<AdvancedSpec>,
    /// `fallback`.
    #[serde(default)]
    pub fallback: Option<FallbackSpec>,
    /// `triggers`.
    #[serde(default)]
    pub triggers: Vec<TriggerManifest>,
}

/// A ScaledObject manifest (`metadata` and `spec`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScaledObjectManifest {
    /// `metadata`.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: ScaledObjectSpec,
}

/// What one trigger's scaler reported at a poll.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerObservation {
    /// The scaler's `IsActive`.
    pub active: bool,
    /// The metric value it reports.
    #[serde(default)]
    pub metric: f64,
    /// The scaler failed.
    #[serde(default)]
    pub error: bool,
}

/// The scale KEDA writes at a poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleAction {
    /// What: `ScaleToZero`, `ScaleToIdle`, `ScaleFromZero`, `ScaleToMin`, `Fallback`, … (KEDA's).
    pub kind: String,
    /// The count before.
    pub scale_from: i32,
    /// The count written.
    pub scale_to: i32,
    /// Whether KEDA writes it (it skips writes that change nothing).
    pub written: bool,
}

/// One poll of the ScaledObject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Poll {
    /// Paused by annotation: nothing else happened.
    pub paused: bool,
    /// The scale KEDA writes, if any.
    pub action: Option<ScaleAction>,
    /// The `Active` condition's reason after the poll (unchanged when paused).
    pub active: Option<String>,
    /// The `Active` condition's status.
    pub active_status: Option<String>,
    /// The `Ready` condition's reason.
    pub ready: String,
    /// `status.lastActiveTime` after the poll.
    pub last_active_time: Option<Instant>,
}

/// The annotations KEDA reads on a ScaledObject, parsed as KEDA parses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PausedAnnotations {
    /// `autoscaling.keda.sh/paused`.
    pub paused: bool,
    /// `autoscaling.keda.sh/paused-replicas`.
    pub paused_replicas: Option<i32>,
    /// `autoscaling.keda.sh/paused-scale-in`.
    pub paused_scale_in: bool,
    /// `autoscaling.keda.sh/paused-scale-out`.
    pub paused_scale_out: bool,
    /// `autoscaling.keda.sh/force-activation`.
    pub force_activation: bool,
}

/// The HPA KEDA generates for the ScaledObject.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedHpa {
    /// `metadata.name`.
    pub name: String,
    /// `spec.minReplicas`.
    pub min_replicas: i32,
    /// `spec.maxReplicas`.
    pub max_replicas: i32,
    /// `spec.metrics`, as the manifest lists them.
    pub metrics: Vec<serde_json::Value>,
    /// `spec.behavior`.
    pub behavior: Option<Behavior>,
}

/// A ScaledObject, read once; each poll lends it to the core.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaledObject {
    manifest: ScaledObjectManifest,
    behavior: Option<podscale::hpa::Behavior>,
}

fn condition_status(status: podscale::hpa::ConditionStatus) -> &'static str {
    match status {
        podscale::hpa::ConditionStatus::True => "True",
        podscale::hpa::ConditionStatus::False => "False",
        podscale::hpa::ConditionStatus::Unknown => "Unknown",
    }
}

impl ScaledObject {
    /// A ScaledObject from its manifest. Only what cannot be read is refused here (a bad
    /// `metricType`, paused annotation or fallback `behavior`); [`ScaledObject::validate`]
    /// checks the rest as KEDA's webhook does.
    ///
    /// # Errors
    ///
    /// The field that cannot be read.
    pub fn new(manifest: ScaledObjectManifest) -> Result<Self> {
        let behavior = manifest
            .spec
            .advanced
            .as_ref()
            .and_then(|a| a.horizontal_pod_autoscaler_config.as_ref())
            .and_then(|c| c.behavior.as_ref())
            .map(|b| {
                b.to_behavior(
                    &crate::hpa::spec_origin(),
                    "spec.advanced.horizontalPodAutoscalerConfig.behavior",
                )
            })
            .transpose()
            .map_err(Error::from)?;
        let object = Self { manifest, behavior };
        object.with_view(|_| Ok(()))?;
        Ok(object)
    }

    /// Runs `f` on the core's view of the ScaledObject.
    fn with_view<T>(&self, f: impl FnOnce(&core::ScaledObjectSpec<'_>) -> Result<T>) -> Result<T> {
        let spec = &self.manifest.spec;
        let metric_type = |text: &str, path: String| {
            MetricTargetType::parse(text)
                .map_err(|e| Error::validation(path, e.to_string()).with_value(text))
        };
        let mut triggers = Vec::new();
        for (i, t) in spec.triggers.iter().enumerate() {
            triggers.push(Trigger {
                trigger_type: &t.kind,
                name: &t.name,
                use_cached_metrics: t.use_cached_metrics,
                metric_type: metric_type(&t.metric_type, format!("spec.triggers[{i}].metricType"))?,
            });
        }
        let mut so = core::ScaledObjectSpec::new(&self.manifest.metadata.name, &triggers)
            .map_err(|e| Error::validation("spec.triggers", e.to_string()))?;
        so.creation_timestamp_ms = self.manifest.metadata.creation_timestamp.map(|t| t.0);
        so.annotations = Annotations::from_pairs(
            self.manifest
                .metadata
                .annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .map_err(|e| Error::validation("metadata.annotations", e.to_string()))?;
        so.polling_interval_seconds = spec.polling_interval;
        so.initial_cooldown_period_seconds = spec.initial_cooldown_period;
        so.cooldown_period_seconds = spec.cooldown_period;
        so.idle_replica_count = spec.idle_replica_count;
        so.min_replica_count = spec.min_replica_count;
        so.max_replica_count = spec.max_replica_count;
        so.advanced = match &spec.advanced {
            None => None,
            Some(a) => Some(AdvancedConfig {
                horizontal_pod_autoscaler_config: a.horizontal_pod_autoscaler_config.as_ref().map(
                    |c| HorizontalPodAutoscalerConfig {
                        name: &c.name,
                        behavior: self.behavior.clone(),
                    },
                ),
                restore_to_original_replica_count: a.restore_to_original_replica_count,
                scaling_modifiers: match &a.scaling_modifiers {
                    None => ScalingModifiers::default(),
                    Some(m) => ScalingModifiers {
                        formula: &m.formula,
                        target: &m.target,
                        activation_target: &m.activation_target,
                        metric_type: metric_type(
                            &m.metric_type,
                            "spec.advanced.scalingModifiers.metricType".into(),
                        )?,
                    },
                },
            }),
        };
        so.fallback = match &spec.fallback {
            None => None,
            Some(f) => Some(core::Fallback {
                failure_threshold: f.failure_threshold,
                replicas: f.replicas,
                behavior: FallbackBehavior::parse(&f.behavior).map_err(|e| {
                    Error::validation("spec.fallback.behavior", e.to_string())
                        .with_value(&f.behavior)
                })?,
            }),
        };
        f(&so)
    }

    /// Checks the ScaledObject as KEDA's admission webhook does.
    ///
    /// # Errors
    ///
    /// KEDA's message for the first problem, at `spec`.
    pub fn validate(&self) -> Result<()> {
        self.with_view(|so| {
            so.validate()
                .map_err(|e| Error::validation("spec", e.to_string()))
        })
    }

    /// The generated HPA's `minReplicas` and `maxReplicas`.
    ///
    /// # Errors
    ///
    /// None once constructed; the `Result` is the view's.
    pub fn hpa_bounds(&self) -> Result<(i32, i32)> {
        self.with_view(|so| Ok((so.hpa_min_replicas(), so.hpa_max_replicas())))
    }

    /// The generated HPA's name (`keda-hpa-<name>` or `advanced…name`).
    ///
    /// # Errors
    ///
    /// A name longer than Kubernetes allows.
    pub fn hpa_name(&self) -> Result<String> {
        self.with_view(|so| {
            so.hpa_name()
                .map(|n| n.to_string())
                .map_err(|e| Error::validation("metadata.name", e.to_string()))
        })
    }

    /// The HPA KEDA generates. Only `cron` triggers' metrics are known here (other scalers ask
    /// their sources for theirs).
    ///
    /// # Errors
    ///
    /// A trigger of another type, cron metadata KEDA refuses, or a ScaledObject KEDA refuses.
    pub fn generated_hpa(&self) -> Result<GeneratedHpa> {
        let mut names = Vec::new();
        for (i, t) in self.manifest.spec.triggers.iter().enumerate() {
            let path = format!("spec.triggers[{i}]");
            if t.kind != "cron" {
                return Err(Error::validation(
                    format!("{path}.type"),
                    "only cron triggers' metric specs are known without their scaler",
                )
                .with_value(&t.kind));
            }
            let trigger = CronTrigger::from_metadata(&t.metadata, i, CronTriggerOptions::default())
                .map_err(|e| e.at(&path))?;
            names.push(trigger.metric_name());
        }
        self.with_view(|so| {
            let mut metrics = Vec::new();
            for (i, (name, t)) in names.iter().zip(&so.triggers).enumerate() {
                // The cron scaler's target is one replica's worth: 1, in milli-units.
                metrics.push(
                    core::external_metric_spec(name, t.metric_type, 1000).map_err(|e| {
                        Error::validation(format!("spec.triggers[{i}].metricType"), e.to_string())
                    })?,
                );
            }
            let hpa = so
                .generate_hpa(&metrics)
                .map_err(|e| Error::validation("spec", e.to_string()))?;
            let metrics = hpa
                .spec
                .metrics
                .iter()
                .map(|m| metric_json(m, hpa.selector_value))
                .collect();
            Ok(GeneratedHpa {
                name: hpa.name.to_string(),
                min_replicas: hpa.spec.min_replicas(),
                max_replicas: hpa.spec.max_replicas,
                metrics,
                behavior: hpa.spec.behavior.as_ref().map(Behavior::from_core),
            })
        })
    }

    /// One poll of KEDA's scale loop at `now_ms`, with `replicas` the target's current count
    /// and one observation per trigger; updates `state`.
    ///
    /// # Errors
    ///
    /// An observation count that is not the trigger count, or a ScaledObject the core refuses.
    pub fn poll(
        &self,
        state: &mut ScaledObjectState,
        triggers: &[TriggerObservation],
        replicas: i32,
        now_ms: i64,
    ) -> Result<Poll> {
        let seen: Vec<core::TriggerObservation> = triggers
            .iter()
            .map(|t| core::TriggerObservation {
                active: t.active,
                metric: t.metric,
                error: t.error,
            })
            .collect();
        self.with_view(|so| {
            let d = core::poll(so, state, &seen, replicas, now_ms)
                .map_err(|e| Error::refused(e.to_string()))?;
            Ok(Poll {
                paused: d.paused,
                action: d.action.map(|a| ScaleAction {
                    kind: a.kind.as_str().to_string(),
                    scale_from: a.scale_from,
                    scale_to: a.scale_to,
                    written: a.written,
                }),
                active: d.active.map(|r| r.as_str().to_string()),
                active_status: d.active.map(|r| condition_status(r.status()).to_string()),
                ready: d.ready.as_str().to_string(),
                last_active_time: d.last_active_time_ms.map(Instant),
            })
        })
    }

    /// What the paused annotations say (`autoscaling.keda.sh/paused`, `paused-replicas`,
    /// `paused-scale-in`, `paused-scale-out`, `force-activation`), as KEDA reads them.
    ///
    /// # Errors
    ///
    /// None once constructed.
    pub fn annotations(&self) -> Result<PausedAnnotations> {
        self.with_view(|so| {
            let a = &so.annotations;
            Ok(PausedAnnotations {
                paused: a.paused,
                paused_replicas: a.paused_replicas,
                paused_scale_in: a.paused_scale_in,
                paused_scale_out: a.paused_scale_out,
                force_activation: a.force_activation,
            })
        })
    }

    /// The paused annotations' `paused-replicas`, if set.
    ///
    /// # Errors
    ///
    /// None once constructed.
    pub fn paused_replicas(&self) -> Result<Option<i32>> {
        self.with_view(|so| Ok(so.annotations.paused_replicas))
    }
}

/// One generated `spec.metrics` entry as the manifest writes it.
fn metric_json(metric: &MetricSpec<'_>, selector: &str) -> serde_json::Value {
    let (kind, field, name, target) = match metric {
        MetricSpec::External { metric, target } => ("External", "external", *metric, *target),
        MetricSpec::Object { metric, target } => ("Object", "object", *metric, *target),
        MetricSpec::Pods { metric, target } => ("Pods", "pods", *metric, *target),
        MetricSpec::Resource { name, target }
        | MetricSpec::ContainerResource { name, target, .. } => {
            ("Resource", "resource", name.as_str(), *target)
        }
        MetricSpec::Unknown { kind } => (*kind, "", "", MetricTarget::Unset),
    };
    let target = match target {
        MetricTarget::Utilization(p) => {
            serde_json::json!({"type": "Utilization", "averageUtilization": p})
        }
        MetricTarget::AverageValue(m) => {
            serde_json::json!({"type": "AverageValue", "averageValue": Milli(m)})
        }
        MetricTarget::Value(m) => serde_json::json!({"type": "Value", "value": Milli(m)}),
        MetricTarget::Unset => serde_json::Value::Null,
    };
    serde_json::json!({
        "type": kind,
        field: {
            "metric": {"name": name, "selector": {"matchLabels": {core::SCALED_OBJECT_NAME_LABEL: selector}}},
            "target": target,
        },
    })
}
