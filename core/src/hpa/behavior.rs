//! `spec.behavior`: scaling rules per direction and their API defaults.

use heapless::Vec;

use super::error::HpaError;

/// How many policies one direction's rules can hold.
pub const MAX_POLICIES: usize = 8;

/// The scale-up policies of the API defaults: 4 pods or 100% per 15 s, whichever is more.
const DEFAULT_SCALE_UP_POLICIES: [ScalingPolicy; 2] =
    [ScalingPolicy::pods(4, 15), ScalingPolicy::percent(100, 15)];
/// The scale-down policy of the API defaults: 100% per 15 s.
const DEFAULT_SCALE_DOWN_POLICIES: [ScalingPolicy; 1] = [ScalingPolicy::percent(100, 15)];

/// The kind of a scaling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ScalingPolicyType {
    /// An absolute number of pods per period.
    Pods,
    /// A percentage of the replicas at the start of the period.
    Percent,
}

/// One policy: at most `value` pods (or percent) of change per `period_seconds`.
///
/// ```
/// use podscale::hpa::ScalingPolicy;
/// let policy = ScalingPolicy::percent(100, 15);
/// assert_eq!(policy.period_seconds, 15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScalingPolicy {
    /// `type`.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: ScalingPolicyType,
    /// `value`: pods, or percent.
    pub value: i32,
    /// `periodSeconds`.
    pub period_seconds: i32,
}

impl ScalingPolicy {
    /// A `Pods` policy.
    pub const fn pods(value: i32, period_seconds: i32) -> Self {
        Self {
            kind: ScalingPolicyType::Pods,
            value,
            period_seconds,
        }
    }

    /// A `Percent` policy.
    pub const fn percent(value: i32, period_seconds: i32) -> Self {
        Self {
            kind: ScalingPolicyType::Percent,
            value,
            period_seconds,
        }
    }
}

/// `selectPolicy`: which policy wins when several apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SelectPolicy {
    /// The policy allowing the largest change (the default).
    #[default]
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No change in this direction at all.
    Disabled,
}

/// `behavior.scaleUp` or `behavior.scaleDown`. `None` fields are unset, as in the manifest.
///
/// ```
/// use podscale::hpa::{ScalingRules, ScalingDirection};
/// let user = ScalingRules { stabilization_window_seconds: Some(60), ..ScalingRules::default() };
/// let defaulted = user.defaulted(ScalingDirection::ScaleDown);
/// assert_eq!(defaulted.stabilization_window_seconds, Some(60));
/// assert_eq!(defaulted.policies.as_ref().map(|p| p.len()), Some(1)); // Percent 100% per 15 s
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ScalingRules {
    /// `stabilizationWindowSeconds`.
    pub stabilization_window_seconds: Option<i32>,
    /// `selectPolicy`.
    pub select_policy: Option<SelectPolicy>,
    /// `policies`.
    pub policies: Option<Vec<ScalingPolicy, MAX_POLICIES>>,
    /// `tolerance` (HPAConfigurableTolerance), as a fraction: `0.05` is 5%.
    pub tolerance: Option<f64>,
}

/// A direction of scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ScalingDirection {
    /// More replicas.
    ScaleUp,
    /// Fewer replicas.
    ScaleDown,
}

impl ScalingRules {
    /// Rules with the given policies and every other field unset.
    ///
    /// # Errors
    ///
    /// More than [`MAX_POLICIES`] policies.
    pub fn with_policies(policies: &[ScalingPolicy]) -> Result<Self, HpaError> {
        let policies = Vec::from_slice(policies).map_err(|()| HpaError::CapacityExceeded {
            field: "policies",
            capacity: MAX_POLICIES,
        })?;
        Ok(Self {
            policies: Some(policies),
            ..Self::default()
        })
    }

    /// Fills unset fields with the API defaults [GenerateHPAScaleUpRules,
    /// GenerateHPAScaleDownRules]. A user's field, policies included, replaces the default whole.
    pub fn defaulted(&self, direction: ScalingDirection) -> Self {
        let view = RulesView::of(Some(self), direction);
        Self {
            stabilization_window_seconds: view.stabilization_window_seconds,
            select_policy: Some(view.select_policy),
            // The policies come from a Vec of the same capacity or a default list of two.
            policies: Some(Vec::from_slice(view.policies).unwrap_or_default()),
            tolerance: self.tolerance,
        }
    }

    pub(crate) fn policy_list(&self) -> &[ScalingPolicy] {
        self.policies.as_deref().unwrap_or(&[])
    }

    /// Checks the ranges the API server enforces: a window of 0 to 3600 s, policy values above 0,
    /// periods of 1 to 1800 s, a tolerance of at least 0.
    ///
    /// # Errors
    ///
    /// The first field out of range, with its path.
    pub fn validate(&self, direction: ScalingDirection) -> Result<(), HpaError> {
        let (window, value, period, tolerance) = match direction {
            ScalingDirection::ScaleUp => (
                "behavior.scaleUp.stabilizationWindowSeconds",
                "behavior.scaleUp.policies[].value",
                "behavior.scaleUp.policies[].periodSeconds",
                "behavior.scaleUp.tolerance",
            ),
            ScalingDirection::ScaleDown => (
                "behavior.scaleDown.stabilizationWindowSeconds",
                "behavior.scaleDown.policies[].value",
                "behavior.scaleDown.policies[].periodSeconds",
                "behavior.scaleDown.tolerance",
            ),
        };
        if let Some(w) = self.stabilization_window_seconds {
            if !(0..=3600).contains(&w) {
                return Err(HpaError::InvalidField {
                    field: window,
                    value: i64::from(w),
                });
            }
        }
        for policy in self.policy_list() {
            if policy.value <= 0 {
                return Err(HpaError::InvalidField {
                    field: value,
                    value: i64::from(policy.value),
                });
            }
            if !(1..=1800).contains(&policy.period_seconds) {
                return Err(HpaError::InvalidField {
                    field: period,
                    value: i64::from(policy.period_seconds),
                });
            }
        }
        if let Some(t) = self.tolerance {
            if t.is_nan() || t < 0.0 {
                return Err(HpaError::InvalidTolerance {
                    field: tolerance,
                    value: t,
                });
            }
        }
        Ok(())
    }
}

/// One direction's rules with API defaults applied, borrowed rather than copied: what the
/// decision reads on every sync.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RulesView<'r> {
    pub(crate) stabilization_window_seconds: Option<i32>,
    pub(crate) select_policy: SelectPolicy,
    pub(crate) policies: &'r [ScalingPolicy],
}

impl<'r> RulesView<'r> {
    /// `rules` (absent: all unset) with defaults for unset fields [GenerateHPAScaleUpRules,
    /// GenerateHPAScaleDownRules].
    pub(crate) fn of(rules: Option<&'r ScalingRules>, direction: ScalingDirection) -> Self {
        let (window, defaults): (Option<i32>, &'static [ScalingPolicy]) = match direction {
            ScalingDirection::ScaleUp => (Some(0), &DEFAULT_SCALE_UP_POLICIES),
            // The scale-down window stays unset: the controller's flag fills it.
            ScalingDirection::ScaleDown => (None, &DEFAULT_SCALE_DOWN_POLICIES),
        };
        Self {
            stabilization_window_seconds: rules
                .and_then(|r| r.stabilization_window_seconds)
                .or(window),
            select_policy: rules.and_then(|r| r.select_policy).unwrap_or_default(),
            policies: rules
                .and_then(|r| r.policies.as_deref())
                .unwrap_or(defaults),
        }
    }

    /// The longest `periodSeconds` among the policies, 0 without any [getLongestPolicyPeriod].
    pub(crate) fn longest_policy_period_seconds(&self) -> i32 {
        self.policies
            .iter()
            .map(|p| p.period_seconds)
            .max()
            .unwrap_or(0)
    }
}

/// `spec.behavior`, before API defaulting.
///
/// ```
/// use podscale::hpa::{Behavior, ScalingRules};
/// let behavior = Behavior { scale_down: Some(ScalingRules { stabilization_window_seconds: Some(60), ..Default::default() }), ..Default::default() };
/// let defaulted = behavior.defaulted();
/// assert_eq!(defaulted.scale_up.and_then(|r| r.stabilization_window_seconds), Some(0));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Behavior {
    /// `scaleUp`.
    pub scale_up: Option<ScalingRules>,
    /// `scaleDown`.
    pub scale_down: Option<ScalingRules>,
}

impl Behavior {
    /// Both directions with API defaults filled in [SetDefaults_HorizontalPodAutoscalerBehavior].
    pub fn defaulted(&self) -> Self {
        let fill = |rules: &Option<ScalingRules>, direction| {
            Some(rules.clone().unwrap_or_default().defaulted(direction))
        };
        Self {
            scale_up: fill(&self.scale_up, ScalingDirection::ScaleUp),
            scale_down: fill(&self.scale_down, ScalingDirection::ScaleDown),
        }
    }
}
