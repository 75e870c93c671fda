//! KEDA's `ScaledObject` (`keda.sh/v1alpha1`) with cron triggers, mapped onto the core's
//! [`ScaledObjectSpec`], [`CronTrigger`]s and the HPA KEDA generates for them.

use std::collections::BTreeMap;

use podscale::hpa::MetricSpec;
use podscale::keda::{
    AdvancedConfig, Annotations, CronTrigger, GeneratedHpa, HorizontalPodAutoscalerConfig,
    MAX_TRIGGERS, MetricTargetType, ScaledObjectSpec, Trigger, external_metric_spec,
};
use serde::Deserialize;

use super::hpa::BehaviorManifest;
use super::{Metadata, Origin, TargetRef};
use crate::error::InputError;

/// A ScaledObject, the fields KEDA's operator reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScaledObject {
    /// `metadata`.
    pub metadata: Metadata,
    /// `spec`.
    pub spec: ScaledObjectManifest,
}

/// `spec`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectManifest {
    /// `scaleTargetRef`.
    pub scale_target_ref: TargetRef,
    /// `pollingInterval`, seconds.
    pub polling_interval: Option<i32>,
    /// `initialCooldownPeriod`, seconds.
    pub initial_cooldown_period: Option<i32>,
    /// `cooldownPeriod`, seconds.
    pub cooldown_period: Option<i32>,
    /// `idleReplicaCount`.
    pub idle_replica_count: Option<i32>,
    /// `minReplicaCount`.
    pub min_replica_count: Option<i32>,
    /// `maxReplicaCount`.
    pub max_replica_count: Option<i32>,
    /// `advanced`.
    pub advanced: Option<AdvancedManifest>,
    /// `triggers`.
    pub triggers: Vec<TriggerManifest>,
}

/// `advanced`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedManifest {
    /// `horizontalPodAutoscalerConfig`.
    pub horizontal_pod_autoscaler_config: Option<HpaConfigManifest>,
    /// `restoreToOriginalReplicaCount`.
    #[serde(default)]
    pub restore_to_original_replica_count: bool,
    /// `scalingModifiers`: formulas over several triggers; not simulated.
    pub scaling_modifiers: Option<serde_norway::Value>,
}

/// `advanced.horizontalPodAutoscalerConfig`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HpaConfigManifest {
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `behavior`.
    pub behavior: Option<BehaviorManifest>,
}

/// One of `triggers`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerManifest {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `name`.
    #[serde(default)]
    pub name: String,
    /// `metricType`.
    #[serde(default)]
    pub metric_type: String,
    /// `useCachedMetrics`.
    #[serde(default)]
    pub use_cached_metrics: bool,
    /// `metadata`: strings, as the CRD types them.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// The core's view of a ScaledObject: its spec, one cron trigger per trigger, and the names
/// of the external metrics KEDA gives the generated HPA.
#[derive(Debug, Clone)]
pub struct KedaParts<'a> {
    /// The ScaledObject.
    pub scaled_object: ScaledObjectSpec<'a>,
    /// Its triggers, all cron.
    pub triggers: Vec<CronTrigger<'a>>,
    /// Each trigger's external metric name, `s0-cron-Asia-Seoul-00,15,30,45xxxx-05,20,35,50xxxx`.
    pub metric_names: Vec<String>,
}

impl ScaledObject {
    /// The core's ScaledObject and cron triggers, borrowing from the manifest.
    ///
    /// # Errors
    ///
    /// A trigger other than `cron` (the only one the simulator can replay), cron metadata KEDA
    /// refuses or a time zone it cannot load, `scalingModifiers`, or a spec KEDA's webhook
    /// refuses; each names its field.
    pub fn to_keda(&self, origin: &Origin) -> Result<KedaParts<'_>, InputError> {
        let spec = &self.spec;
        let mut triggers = Vec::new();
        let mut cron = Vec::new();
        let mut metric_names = Vec::new();
        if spec.triggers.len() > MAX_TRIGGERS {
            return Err(origin.error(
                "spec.triggers",
                format!("more than {MAX_TRIGGERS} triggers"),
            ));
        }
        for (index, t) in spec.triggers.iter().enumerate() {
            let path = format!("spec.triggers[{index}]");
            if t.kind != "cron" {
                return Err(origin.error(
                    format!("{path}.type"),
                    format!(
                        "`{}` triggers read live metrics the simulator does not have; only \
                         `cron` triggers can be replayed",
                        t.kind
                    ),
                ));
            }
            let metric_type = MetricTargetType::parse(&t.metric_type)
                .map_err(|e| origin.error(format!("{path}.metricType"), e.to_string()))?;
            triggers.push(Trigger {
                trigger_type: &t.kind,
                name: &t.name,
                use_cached_metrics: t.use_cached_metrics,
                metric_type,
            });
            let metadata: Vec<(&str, &str)> = t
                .metadata
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let trigger = CronTrigger::from_metadata(&metadata, index)
                .map_err(|e| origin.error(format!("{path}.metadata"), e.to_string()))?;
            trigger
                .check_zone()
                .map_err(|e| origin.error(format!("{path}.metadata.timezone"), e.to_string()))?;
            metric_names.push(trigger.metric_name().to_string());
            cron.push(trigger);
        }
        if spec
            .advanced
            .as_ref()
            .is_some_and(|a| a.scaling_modifiers.is_some())
        {
            return Err(origin.error(
                "spec.advanced.scalingModifiers",
                "formulas over several triggers are not simulated yet",
            ));
        }
        let advanced = match &spec.advanced {
            None => None,
            Some(a) => Some(AdvancedConfig {
                horizontal_pod_autoscaler_config: match &a.horizontal_pod_autoscaler_config {
                    None => None,
                    Some(c) => Some(HorizontalPodAutoscalerConfig {
                        name: &c.name,
                        behavior: c
                            .behavior
                            .as_ref()
                            .map(|b| {
                                b.to_behavior(
                                    origin,
                                    "spec.advanced.horizontalPodAutoscalerConfig.behavior",
                                )
                            })
                            .transpose()?,
                    }),
                },
                restore_to_original_replica_count: a.restore_to_original_replica_count,
                scaling_modifiers: Default::default(),
            }),
        };
        let annotations = Annotations::from_pairs(
            self.metadata
                .annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .map_err(|e| origin.error("metadata.annotations", e.to_string()))?;
        let mut so = ScaledObjectSpec::new(&self.metadata.name, &triggers)
            .map_err(|e| origin.error("spec.triggers", e.to_string()))?;
        so.annotations = annotations;
        so.polling_interval_seconds = spec.polling_interval;
        so.initial_cooldown_period_seconds = spec.initial_cooldown_period;
        so.cooldown_period_seconds = spec.cooldown_period;
        so.idle_replica_count = spec.idle_replica_count;
        so.min_replica_count = spec.min_replica_count;
        so.max_replica_count = spec.max_replica_count;
        so.advanced = advanced;
        so.validate()
            .map_err(|e| origin.error("spec", e.to_string()))?;
        if so.polling_interval_ms() <= 0 {
            return Err(origin.error(
                "spec.pollingInterval",
                format!(
                    "{} is not a positive number of seconds",
                    so.polling_interval_ms() / 1000
                ),
            ));
        }
        Ok(KedaParts {
            scaled_object: so,
            triggers: cron,
            metric_names,
        })
    }
}

impl KedaParts<'_> {
    /// The HPA KEDA generates: one External metric per cron trigger (target 1 per replica, the
    /// trigger reporting `desiredReplicas` while active), bounds and behavior.
    ///
    /// # Errors
    ///
    /// As [`ScaledObjectSpec::generate_hpa`], naming the ScaledObject's `spec`.
    pub fn generated_hpa(&self, origin: &Origin) -> Result<GeneratedHpa<'_>, InputError> {
        let mut metrics: Vec<MetricSpec<'_>> = Vec::new();
        for (index, (name, trigger)) in self
            .metric_names
            .iter()
            .zip(&self.scaled_object.triggers)
            .enumerate()
        {
            // The cron scaler's target is one replica's worth: 1, in milli-units.
            let metric = external_metric_spec(name, trigger.metric_type, 1000).map_err(|e| {
                origin.error(format!("spec.triggers[{index}].metricType"), e.to_string())
            })?;
            metrics.push(metric);
        }
        self.scaled_object
            .generate_hpa(&metrics)
            .map_err(|e| origin.error("spec", e.to_string()))
    }
}
