//! A sync told to the user: the status written by server-side apply, with the HPA's condition
//! types, reasons and messages, and the events on every rescale.

use k8s_openapi::api::autoscaling::v2::{
    ContainerResourceMetricStatus, ExternalMetricStatus, MetricIdentifier, MetricStatus,
    MetricValueStatus, ObjectMetricStatus, PodsMetricStatus, ResourceMetricStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use podscale::hpa::{ConditionReason, ConditionStatus};
use podscale::keda::ExecutorDecision;

use super::config::ScalerConfig;
use super::resource::{
    PodScaler, PodScalerCondition, PodScalerStatus, Recommendation, ScheduleStatus,
};
use super::state::ScalerState;
use super::sync::{HorizontalOutcome, ScheduleStep};

/// Why a sync stopped before deciding, for the `Ready` condition and a warning event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProblem {
    /// A CamelCase reason: `InvalidSpec`, `FailedGetScale`, `InvalidCheckpoint`, …
    pub reason: &'static str,
    /// What went wrong, naming the field or the object.
    pub message: String,
}

/// Everything one sync observed and did, to be told in the status and events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    /// The target's replicas when the sync began.
    pub current_replicas: Option<i32>,
    /// The schedules' step.
    pub schedules: Option<ScheduleStep>,
    /// What KEDA's executor did.
    pub executor: Option<ExecutorDecision>,
    /// The HPA's decision.
    pub horizontal: Option<HorizontalOutcome>,
    /// The VPA's recommendation.
    pub recommendation: Option<Recommendation>,
    /// Why the sync stopped early, if it did.
    pub problem: Option<SyncProblem>,
    /// Trouble that did not stop the sync (a metric that could not be read).
    pub warnings: Vec<String>,
}

/// An instant in Unix milliseconds as an API `Time` (the epoch for one out of range).
pub fn api_time(ms: i64) -> Time {
    Time(jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH))
}

/// A milli-unit amount as a quantity, as `resource.NewMilliQuantity` prints small ones.
pub fn milli_quantity(milli: i64) -> Quantity {
    if milli % 1000 == 0 {
        Quantity((milli / 1000).to_string())
    } else {
        Quantity(format!("{milli}m"))
    }
}

fn status_text(status: ConditionStatus) -> &'static str {
    match status {
        ConditionStatus::True => "True",
        ConditionStatus::False => "False",
        ConditionStatus::Unknown => "Unknown",
    }
}

/// The HPA's message for a condition reason [setCondition call sites in horizontal.go].
fn hpa_message(
    reason: ConditionReason,
    report: &SyncReport,
    scaler: &PodScaler,
    config: Option<&ScalerConfig<'_>>,
) -> String {
    let horizontal = report.horizontal.as_ref();
    let first_error = horizontal
        .and_then(|h| h.metrics.iter().find_map(|m| m.as_ref().err()))
        .cloned()
        .unwrap_or_default();
    let valid_metric = || {
        let index = horizontal
            .and_then(|h| h.metrics.iter().position(Result::is_ok))
            .unwrap_or(0);
        config
            .and_then(|c| c.hpa.metrics.get(index))
            .map(|m| scaler.describe_metric(m, index))
            .unwrap_or_default()
    };
    match reason {
        ConditionReason::SucceededGetScale => {
            "the HPA controller was able to get the target's current scale".to_owned()
        }
        ConditionReason::FailedGetScale => format!(
            "the HPA controller was unable to get the target's current scale: {}",
            report
                .problem
                .as_ref()
                .map(|p| p.message.as_str())
                .unwrap_or_default()
        ),
        ConditionReason::ReadyForNewScale => "recommended size matches current size".to_owned(),
        ConditionReason::ScaleDownStabilized => "recent recommendations were higher than current \
            one, applying the highest recent recommendation"
            .to_owned(),
        ConditionReason::ScaleUpStabilized => "recent recommendations were lower than current \
            one, applying the lowest recent recommendation"
            .to_owned(),
        ConditionReason::SucceededRescale => format!(
            "the HPA controller was able to update the target scale to {}",
            horizontal.map_or(0, |h| h.desired_replicas)
        ),
        ConditionReason::FailedUpdateScale => {
            "the HPA controller was unable to update the target scale".to_owned()
        }
        ConditionReason::ValidMetricFound => format!(
            "the HPA was able to successfully calculate a replica count from {}",
            valid_metric()
        ),
        ConditionReason::ScalingDisabled => {
            "scaling is disabled since the replica count of the target is zero".to_owned()
        }
        ConditionReason::InvalidSelector | ConditionReason::AmbiguousSelector => {
            "the target's selector cannot be used to find its pods".to_owned()
        }
        ConditionReason::FailedGetResourceMetric
        | ConditionReason::FailedGetContainerResourceMetric
        | ConditionReason::FailedGetPodsMetric
        | ConditionReason::FailedGetObjectMetric
        | ConditionReason::FailedGetExternalMetric
        | ConditionReason::InvalidMetricSourceType => {
            format!("the HPA was unable to compute the replica count: {first_error}")
        }
        ConditionReason::DesiredWithinRange => {
            "the desired count is within the acceptable range".to_owned()
        }
        ConditionReason::TooFewReplicas => {
            "the desired replica count is less than the minimum replica count".to_owned()
        }
        ConditionReason::TooManyReplicas => {
            "the desired replica count is more than the maximum replica count".to_owned()
        }
        ConditionReason::ScaleUpLimit => {
            "the desired replica count is increasing faster than the maximum scale rate".to_owned()
        }
        ConditionReason::ScaleDownLimit => {
            "the desired replica count is decreasing faster than the maximum scale rate".to_owned()
        }
        ConditionReason::ScaledToZero | ConditionReason::NotScaledToZero => String::new(),
    }
}

impl PodScaler {
    /// The status after a sync: the HPA's conditions with their messages, `Ready`, current
    /// metrics, replica counts, schedules, the recommendation and the checkpoint. Conditions
    /// keep their transition time while their status holds.
    pub fn status_after(
        &self,
        config: Option<&ScalerConfig<'_>>,
        state: &ScalerState,
        report: &SyncReport,
        now_ms: i64,
    ) -> PodScalerStatus {
        let previous = self.status.as_ref();
        let mut conditions: Vec<PodScalerCondition> = state
            .hpa
            .conditions
            .as_slice()
            .iter()
            .map(|c| PodScalerCondition {
                type_: c.kind.as_str().to_owned(),
                status: status_text(c.status).to_owned(),
                reason: Some(c.reason.as_str().to_owned()),
                message: Some(hpa_message(c.reason, report, self, config)),
                last_transition_time: Some(api_time(c.last_transition_time_ms)),
            })
            .collect();
        let (ready_status, ready_reason, ready_message) = match &report.problem {
            Some(problem) => ("False", problem.reason, problem.message.clone()),
            None if !report.warnings.is_empty() => {
                ("True", "SyncedWithWarnings", report.warnings.join("; "))
            }
            None => ("True", "Synced", "the last sync completed".to_owned()),
        };
        let ready_since = previous
            .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"))
            .filter(|c| c.status == ready_status)
            .and_then(|c| c.last_transition_time.clone())
            .unwrap_or_else(|| api_time(now_ms));
        conditions.push(PodScalerCondition {
            type_: "Ready".to_owned(),
            status: ready_status.to_owned(),
            reason: Some(ready_reason.to_owned()),
            message: Some(ready_message),
            last_transition_time: Some(ready_since),
        });
        let schedules = report
            .schedules
            .as_ref()
            .map(|step| {
                self.spec
                    .schedules
                    .iter()
                    .zip(&step.activities)
                    .map(|(s, a)| ScheduleStatus {
                        active: a.active,
                        desired_replicas: if a.active { s.desired_replicas } else { 0 },
                    })
                    .collect()
            })
            .unwrap_or_default();
        PodScalerStatus {
            observed_generation: self.metadata.generation,
            last_sync_time: Some(api_time(now_ms)),
            current_replicas: report.current_replicas,
            desired_replicas: report
                .horizontal
                .as_ref()
                .map(|h| h.desired_replicas)
                .or_else(|| report.executor.and_then(|e| e.action).map(|a| a.scale_to))
                .or(report.current_replicas),
            last_scale_time: state.hpa.last_scale_time_ms.map(api_time),
            current_metrics: self.current_metrics(config, report),
            conditions,
            schedules,
            recommendation: report.recommendation.clone(),
            checkpoint: Some(state.checkpoint()),
        }
    }

    /// `status.currentMetrics` from the HPA's proposals, as `autoscaling/v2` reports them.
    fn current_metrics(
        &self,
        config: Option<&ScalerConfig<'_>>,
        report: &SyncReport,
    ) -> Vec<MetricStatus> {
        let (Some(horizontal), Some(_)) = (&report.horizontal, config) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (metric, value) in self.spec.metrics.iter().zip(&horizontal.metrics) {
            let Ok(value) = value else { continue };
            let current = MetricValueStatus {
                average_utilization: value.average_utilization,
                average_value: value.average_value_milli.map(milli_quantity),
                value: value.value_milli.map(milli_quantity),
            };
            let mut status = MetricStatus {
                type_: metric.type_.clone(),
                ..MetricStatus::default()
            };
            match metric.type_.as_str() {
                "Resource" => {
                    status.resource = metric.resource.as_ref().map(|r| ResourceMetricStatus {
                        name: r.name.clone(),
                        current,
                    });
                }
                "ContainerResource" => {
                    status.container_resource =
                        metric
                            .container_resource
                            .as_ref()
                            .map(|r| ContainerResourceMetricStatus {
                                name: r.name.clone(),
                                container: r.container.clone(),
                                current,
                            });
                }
                "Pods" => {
                    status.pods = metric.pods.as_ref().map(|p| PodsMetricStatus {
                        metric: p.metric.clone(),
                        current,
                    });
                }
                "Object" => {
                    status.object = metric.object.as_ref().map(|o| ObjectMetricStatus {
                        described_object: o.described_object.clone(),
                        metric: o.metric.clone(),
                        current,
                    });
                }
                "External" => {
                    status.external = metric.external.as_ref().map(|e| ExternalMetricStatus {
                        metric: MetricIdentifier {
                            name: e.metric.name.clone(),
                            selector: e.metric.selector.clone(),
                        },
                        current,
                    });
                }
                _ => continue,
            }
            out.push(status);
        }
        out
    }
}
