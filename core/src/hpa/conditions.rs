//! The HPA's status conditions, with upstream's types and reasons [setCondition].

use heapless::Vec;

use super::pod::ConditionStatus;

/// The condition types the HPA controller writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ConditionType {
    /// Whether the target's scale can be read and written, and whether a backoff applies.
    AbleToScale,
    /// Whether metrics gave a replica count.
    ScalingActive,
    /// Whether a bound (min, max or rate) changed the count.
    ScalingLimited,
    /// Whether the HPA scaled the workload to zero (HPAScaleToZero).
    ScaledToZero,
}

/// The reasons the HPA controller gives, spelled as upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[allow(missing_docs)] // each variant is upstream's reason string, documented in the table below
pub enum ConditionReason {
    SucceededGetScale,
    FailedGetScale,
    ReadyForNewScale,
    ScaleDownStabilized,
    ScaleUpStabilized,
    SucceededRescale,
    FailedUpdateScale,
    ValidMetricFound,
    ScalingDisabled,
    InvalidSelector,
    AmbiguousSelector,
    FailedGetResourceMetric,
    FailedGetContainerResourceMetric,
    FailedGetPodsMetric,
    FailedGetObjectMetric,
    FailedGetExternalMetric,
    InvalidMetricSourceType,
    DesiredWithinRange,
    TooFewReplicas,
    TooManyReplicas,
    ScaleUpLimit,
    ScaleDownLimit,
    ScaledToZero,
    NotScaledToZero,
}

impl ConditionReason {
    /// The reason as written in status.
    ///
    /// ```
    /// use podscale::hpa::ConditionReason;
    /// assert_eq!(ConditionReason::ScaleDownStabilized.as_str(), "ScaleDownStabilized");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SucceededGetScale => "SucceededGetScale",
            Self::FailedGetScale => "FailedGetScale",
            Self::ReadyForNewScale => "ReadyForNewScale",
            Self::ScaleDownStabilized => "ScaleDownStabilized",
            Self::ScaleUpStabilized => "ScaleUpStabilized",
            Self::SucceededRescale => "SucceededRescale",
            Self::FailedUpdateScale => "FailedUpdateScale",
            Self::ValidMetricFound => "ValidMetricFound",
            Self::ScalingDisabled => "ScalingDisabled",
            Self::InvalidSelector => "InvalidSelector",
            Self::AmbiguousSelector => "AmbiguousSelector",
            Self::FailedGetResourceMetric => "FailedGetResourceMetric",
            Self::FailedGetContainerResourceMetric => "FailedGetContainerResourceMetric",
            Self::FailedGetPodsMetric => "FailedGetPodsMetric",
            Self::FailedGetObjectMetric => "FailedGetObjectMetric",
            Self::FailedGetExternalMetric => "FailedGetExternalMetric",
            Self::InvalidMetricSourceType => "InvalidMetricSourceType",
            Self::DesiredWithinRange => "DesiredWithinRange",
            Self::TooFewReplicas => "TooFewReplicas",
            Self::TooManyReplicas => "TooManyReplicas",
            Self::ScaleUpLimit => "ScaleUpLimit",
            Self::ScaleDownLimit => "ScaleDownLimit",
            Self::ScaledToZero => "ScaledToZero",
            Self::NotScaledToZero => "NotScaledToZero",
        }
    }
}

impl ConditionReason {
    /// The reason named `reason`, as written in status; `None` for a reason the HPA never writes.
    ///
    /// ```
    /// use podscale::hpa::ConditionReason;
    /// assert_eq!(ConditionReason::parse("TooManyReplicas"), Some(ConditionReason::TooManyReplicas));
    /// ```
    pub fn parse(reason: &str) -> Option<Self> {
        Some(match reason {
            "SucceededGetScale" => Self::SucceededGetScale,
            "FailedGetScale" => Self::FailedGetScale,
            "ReadyForNewScale" => Self::ReadyForNewScale,
            "ScaleDownStabilized" => Self::ScaleDownStabilized,
            "ScaleUpStabilized" => Self::ScaleUpStabilized,
            "SucceededRescale" => Self::SucceededRescale,
            "FailedUpdateScale" => Self::FailedUpdateScale,
            "ValidMetricFound" => Self::ValidMetricFound,
            "ScalingDisabled" => Self::ScalingDisabled,
            "InvalidSelector" => Self::InvalidSelector,
            "AmbiguousSelector" => Self::AmbiguousSelector,
            "FailedGetResourceMetric" => Self::FailedGetResourceMetric,
            "FailedGetContainerResourceMetric" => Self::FailedGetContainerResourceMetric,
            "FailedGetPodsMetric" => Self::FailedGetPodsMetric,
            "FailedGetObjectMetric" => Self::FailedGetObjectMetric,
            "FailedGetExternalMetric" => Self::FailedGetExternalMetric,
            "InvalidMetricSourceType" => Self::InvalidMetricSourceType,
            "DesiredWithinRange" => Self::DesiredWithinRange,
            "TooFewReplicas" => Self::TooFewReplicas,
            "TooManyReplicas" => Self::TooManyReplicas,
            "ScaleUpLimit" => Self::ScaleUpLimit,
            "ScaleDownLimit" => Self::ScaleDownLimit,
            "ScaledToZero" => Self::ScaledToZero,
            "NotScaledToZero" => Self::NotScaledToZero,
            _ => return None,
        })
    }
}

impl core::fmt::Display for ConditionReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ConditionType {
    /// The type as written in status.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AbleToScale => "AbleToScale",
            Self::ScalingActive => "ScalingActive",
            Self::ScalingLimited => "ScalingLimited",
            Self::ScaledToZero => "ScaledToZero",
        }
    }
}

impl ConditionType {
    /// The type named `kind`, as written in status.
    pub fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "AbleToScale" => Self::AbleToScale,
            "ScalingActive" => Self::ScalingActive,
            "ScalingLimited" => Self::ScalingLimited,
            "ScaledToZero" => Self::ScaledToZero,
            _ => return None,
        })
    }
}

/// One status condition (its message is left to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Condition {
    /// `type`.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: ConditionType,
    /// `status`.
    pub status: ConditionStatus,
    /// `reason`.
    pub reason: ConditionReason,
    /// `lastTransitionTime`, Unix milliseconds: when `status` last changed.
    pub last_transition_time_ms: i64,
}

/// The conditions of one HPA, in the order upstream keeps them: the first set of a type appends,
/// later sets change it in place.
///
/// ```
/// use podscale::hpa::{ConditionReason, Conditions, ConditionStatus, ConditionType};
/// let mut conditions = Conditions::default();
/// conditions.set(ConditionType::AbleToScale, ConditionStatus::True, ConditionReason::SucceededGetScale, 0);
/// conditions.set(ConditionType::AbleToScale, ConditionStatus::True, ConditionReason::ReadyForNewScale, 15_000);
/// assert_eq!(conditions.get(ConditionType::AbleToScale).map(|c| c.reason), Some(ConditionReason::ReadyForNewScale));
/// assert_eq!(conditions.as_slice().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Conditions {
    list: Vec<Condition, 4>,
}

impl Conditions {
    /// Upserts a condition [setCondition]; the transition time changes only with the status.
    pub fn set(
        &mut self,
        kind: ConditionType,
        status: ConditionStatus,
        reason: ConditionReason,
        now_ms: i64,
    ) {
        if let Some(existing) = self.list.iter_mut().find(|c| c.kind == kind) {
            if existing.status != status {
                existing.last_transition_time_ms = now_ms;
            }
            existing.status = status;
            existing.reason = reason;
            return;
        }
        // Four types, four slots: a new type always fits.
        let _ = self.list.push(Condition {
            kind,
            status,
            reason,
            last_transition_time_ms: now_ms,
        });
    }

    /// Removes a condition of `kind`, keeping the order of the others [removeCondition].
    pub fn remove(&mut self, kind: ConditionType) {
        if let Some(index) = self.list.iter().position(|c| c.kind == kind) {
            let _ = self.list.remove(index);
        }
    }

    /// The condition of `kind`, if set.
    pub fn get(&self, kind: ConditionType) -> Option<&Condition> {
        self.list.iter().find(|c| c.kind == kind)
    }

    /// Every condition in status order.
    pub fn as_slice(&self) -> &[Condition] {
        &self.list
    }
}

impl Conditions {
    /// No conditions, usable in `const` contexts.
    pub const fn new_const() -> Self {
        Self { list: Vec::new() }
    }
}
