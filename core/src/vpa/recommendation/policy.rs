//! A VPA's `resourcePolicy`: per-container bounds, controlled resources and values, and the
//! lookup of the policy that applies to a container [GetContainerResourcePolicy].

use super::resources::{ResourceKind, Resources};

/// The container name of the default policy, which applies to containers without their own.
pub const DEFAULT_CONTAINER_POLICY: &str = "*";

/// Whether VPA manages a container at all (`mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ContainerScalingMode {
    /// `Auto`, the default: recommend and apply.
    #[default]
    Auto,
    /// `Off`: no recommendation; the container does not count in the pod minimum split.
    Off,
}

/// Which values VPA sets (`controlledValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ControlledValues {
    /// `RequestsAndLimits`, the default: requests follow the target, limits keep their ratio.
    #[default]
    RequestsAndLimits,
    /// `RequestsOnly`: limits stay, and the target is capped at the current limit.
    RequestsOnly,
}

/// Which resources VPA recommends for a container (`controlledResources`).
///
/// ```
/// use podscale::vpa::{ControlledResources, ResourceKind};
/// assert!(ControlledResources::default().contains(ResourceKind::Memory));
/// assert!(!ControlledResources::CPU_ONLY.contains(ResourceKind::Memory));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ControlledResources {
    /// CPU is recommended.
    pub cpu: bool,
    /// Memory is recommended.
    pub memory: bool,
}

impl ControlledResources {
    /// CPU and memory, upstream's default [DefaultControlledResources].
    pub const BOTH: Self = Self {
        cpu: true,
        memory: true,
    };
    /// CPU alone.
    pub const CPU_ONLY: Self = Self {
        cpu: true,
        memory: false,
    };
    /// Memory alone.
    pub const MEMORY_ONLY: Self = Self {
        cpu: false,
        memory: true,
    };

    /// Whether `kind` is controlled.
    pub const fn contains(&self, kind: ResourceKind) -> bool {
        match kind {
            ResourceKind::Cpu => self.cpu,
            ResourceKind::Memory => self.memory,
        }
    }

    /// Keeps only the controlled entries of `resources` [FilterControlledResources].
    ///
    /// ```
    /// use podscale::vpa::{ControlledResources, Resources};
    /// assert_eq!(ControlledResources::CPU_ONLY.filter(Resources::new(10, 20)), Resources::cpu(10));
    /// ```
    pub const fn filter(&self, resources: Resources) -> Resources {
        Resources {
            cpu_m: if self.cpu { resources.cpu_m } else { None },
            memory_bytes: if self.memory {
                resources.memory_bytes
            } else {
                None
            },
        }
    }
}

impl Default for ControlledResources {
    /// Both resources.
    fn default() -> Self {
        Self::BOTH
    }
}

/// One entry of `resourcePolicy.containerPolicies` [ContainerResourcePolicy].
///
/// The four `PerVPAConfig` overrides are honoured by
/// [`AggregateContainerState::update_from_policy`](crate::vpa::AggregateContainerState::update_from_policy);
/// leave them `None` unless that feature gate is on.
///
/// ```
/// use podscale::vpa::{ContainerResourcePolicy, Resources};
/// let p = ContainerResourcePolicy {
///     max_allowed: Resources::new(2000, 4 << 30),
///     ..ContainerResourcePolicy::named("app")
/// };
/// assert_eq!(p.container_name, "app");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContainerResourcePolicy<'a> {
    /// The container this entry is for, or `*` for the default.
    pub container_name: &'a str,
    /// `mode`, `Auto` when unset.
    pub mode: Option<ContainerScalingMode>,
    /// `minAllowed`: recommendations are raised to these (zero or missing entries are ignored).
    pub min_allowed: Resources,
    /// `maxAllowed`: recommendations are lowered to these (zero or missing entries are ignored).
    pub max_allowed: Resources,
    /// `controlledResources`, both when unset.
    pub controlled_resources: Option<ControlledResources>,
    /// `controlledValues`, `RequestsAndLimits` when unset.
    pub controlled_values: Option<ControlledValues>,
    /// `oomBumpUpRatio` (PerVPAConfig).
    pub oom_bump_up_ratio: Option<f64>,
    /// `oomMinBumpUp` in bytes, as `MilliValue()/1000` (PerVPAConfig).
    pub oom_min_bump_up_bytes: Option<f64>,
    /// `memoryAggregationIntervalSeconds`, in milliseconds (PerVPAConfig).
    pub memory_aggregation_interval_ms: Option<i64>,
    /// `memoryAggregationIntervalCount` (PerVPAConfig).
    pub memory_aggregation_interval_count: Option<i64>,
}

impl<'a> ContainerResourcePolicy<'a> {
    /// An entry for `container_name` with nothing set.
    pub const fn named(container_name: &'a str) -> Self {
        Self {
            container_name,
            mode: None,
            min_allowed: Resources::NONE,
            max_allowed: Resources::NONE,
            controlled_resources: None,
            controlled_values: None,
            oom_bump_up_ratio: None,
            oom_min_bump_up_bytes: None,
            memory_aggregation_interval_ms: None,
            memory_aggregation_interval_count: None,
        }
    }
}

/// A VPA's `resourcePolicy` [PodResourcePolicy].
///
/// ```
/// use podscale::vpa::{ContainerResourcePolicy, ControlledValues, PodResourcePolicy};
/// let entries = [
///     ContainerResourcePolicy { controlled_values: Some(ControlledValues::RequestsOnly), ..ContainerResourcePolicy::named("*") },
///     ContainerResourcePolicy::named("app"),
/// ];
/// let policy = PodResourcePolicy::new(&entries);
/// assert_eq!(policy.container_policy("app").map(|p| p.container_name), Some("app"));
/// assert_eq!(policy.container_policy("sidecar").map(|p| p.container_name), Some("*"));
/// assert_eq!(policy.controlled_values("sidecar"), ControlledValues::RequestsOnly);
/// assert_eq!(policy.controlled_values("app"), ControlledValues::RequestsAndLimits);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PodResourcePolicy<'a> {
    /// `containerPolicies`.
    pub container_policies: &'a [ContainerResourcePolicy<'a>],
}

impl<'a> PodResourcePolicy<'a> {
    /// A policy with these entries.
    pub const fn new(container_policies: &'a [ContainerResourcePolicy<'a>]) -> Self {
        Self { container_policies }
    }

    /// The entry named for the container, else the last `*` entry, else none
    /// [GetContainerResourcePolicy].
    pub fn container_policy(
        &self,
        container_name: &str,
    ) -> Option<&'a ContainerResourcePolicy<'a>> {
        let mut default = None;
        for policy in self.container_policies {
            if policy.container_name == container_name {
                return Some(policy);
            }
            if policy.container_name == DEFAULT_CONTAINER_POLICY {
                default = Some(policy);
            }
        }
        default
    }

    /// The container's `controlledValues`, `RequestsAndLimits` by default
    /// [GetContainerControlledValues].
    pub fn controlled_values(&self, container_name: &str) -> ControlledValues {
        self.container_policy(container_name)
            .and_then(|p| p.controlled_values)
            .unwrap_or_default()
    }

    /// The container's scaling mode, `Auto` by default.
    pub fn scaling_mode(&self, container_name: &str) -> ContainerScalingMode {
        self.container_policy(container_name)
            .and_then(|p| p.mode)
            .unwrap_or_default()
    }
}
