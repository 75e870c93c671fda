//! After the recommendation: the VPA's resource policy, capping to a pod's limit ranges,
//! proportional limits, and the updater's eviction priority.

use std::collections::BTreeMap;

use podscale::vpa::{self as core, RecommendationField};
use podscale_controller::manifest::vpa::{Vpa, VpaSpec};
use podscale_controller::manifest::{Metadata, TargetRef};
use serde::{Deserialize, Serialize};

use super::{ContainerRecommendation, ResourceKindName, ResourceList};
use crate::error::{Error, Result};
use crate::units::{Bytes, Instant, Milli};

/// `spec.resourcePolicy` of a VerticalPodAutoscaler, the controller crate's manifest struct.
pub use podscale_controller::manifest::vpa::ResourcePolicy as ResourcePolicySpec;

/// A VPA's resource policy, read and checked once.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePolicy(Vpa);

impl ResourcePolicy {
    /// A policy from `resourcePolicy`.
    ///
    /// # Errors
    ///
    /// A `minAllowed` above its `maxAllowed` (at `containerPolicies[i].minAllowed`).
    pub fn new(spec: ResourcePolicySpec) -> Result<Self> {
        let vpa = Vpa {
            metadata: Metadata {
                name: String::new(),
                annotations: BTreeMap::default(),
            },
            spec: VpaSpec {
                target_ref: TargetRef {
                    kind: String::new(),
                    name: String::new(),
                },
                resource_policy: Some(spec),
            },
        };
        let policy = Self(vpa);
        policy.with_view(|_| ()).map_err(|e| Error {
            path: e.path.replacen("spec.resourcePolicy.", "", 1),
            ..e
        })?;
        Ok(policy)
    }

    /// Runs `f` on the core's view of the policy.
    fn with_view<T>(&self, f: impl FnOnce(&core::PodResourcePolicy<'_>) -> T) -> Result<T> {
        let list = self
            .0
            .container_policies(&crate::hpa::spec_origin())
            .map_err(Error::from)?;
        Ok(f(&core::PodResourcePolicy::new(&list)))
    }

    /// The scaling mode of `container`: `Auto` or `Off`.
    pub fn scaling_mode(&self, container: &str) -> String {
        let mode = self
            .with_view(|p| p.scaling_mode(container))
            .unwrap_or(core::ContainerScalingMode::Auto);
        match mode {
            core::ContainerScalingMode::Auto => "Auto",
            core::ContainerScalingMode::Off => "Off",
        }
        .to_string()
    }
}

fn core_list(list: &[ContainerRecommendation]) -> Vec<core::RecommendedContainerResources<'_>> {
    list.iter().map(ContainerRecommendation::to_core).collect()
}

fn answer_list(list: &[core::RecommendedContainerResources<'_>]) -> Vec<ContainerRecommendation> {
    list.iter()
        .map(ContainerRecommendation::from_core)
        .collect()
}

/// Bounds recommendations by the policy's `minAllowed` and `maxAllowed` (and a global maximum)
/// as the recommender does before writing the status [ApplyVPAPolicy].
///
/// # Errors
///
/// None once the policy is read; the `Result` is the policy view's.
pub fn apply_vpa_policy(
    recommendations: &[ContainerRecommendation],
    policy: Option<&ResourcePolicy>,
    global_max_allowed: ResourceList,
) -> Result<Vec<ContainerRecommendation>> {
    let mut list = core_list(recommendations);
    match policy {
        Some(p) => p.with_view(|view| {
            core::apply_vpa_policy(&mut list, Some(view), global_max_allowed.to_core())
        })?,
        None => core::apply_vpa_policy(&mut list, None, global_max_allowed.to_core()),
    }
    Ok(answer_list(&list))
}

/// `resources` of a container: requests and limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirements {
    /// `requests`.
    #[serde(default)]
    pub requests: ResourceList,
    /// `limits`.
    #[serde(default)]
    pub limits: ResourceList,
}

impl Requirements {
    fn to_core(self) -> core::ContainerResources {
        core::ContainerResources {
            requests: self.requests.to_core(),
            limits: self.limits.to_core(),
        }
    }
}

/// A container of a pod's `spec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `resources`.
    #[serde(default)]
    pub resources: Requirements,
}

/// `lastState.terminated` of a container status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Terminated {
    /// `reason` (`OOMKilled` counts).
    #[serde(default)]
    pub reason: String,
    /// `startedAt`.
    pub started_at: Instant,
    /// `finishedAt`.
    pub finished_at: Instant,
}

/// `lastState` of a container status.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LastState {
    /// `terminated`.
    #[serde(default)]
    pub terminated: Option<Terminated>,
}

/// One of `status.containerStatuses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    /// `name`.
    pub name: String,
    /// `resources` (in-place resize: what the container runs with).
    #[serde(default)]
    pub resources: Option<Requirements>,
    /// `lastState`.
    #[serde(default)]
    pub last_state: LastState,
}

/// `spec` of a pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpaPodSpec {
    /// `containers`.
    #[serde(default)]
    pub containers: Vec<Container>,
}

/// `status` of a pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpaPodStatus {
    /// `startTime`.
    #[serde(default)]
    pub start_time: Option<Instant>,
    /// `containerStatuses`.
    #[serde(default)]
    pub container_statuses: Vec<ContainerStatus>,
}

/// A pod, the fields capping and the updater read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpaPod {
    /// `spec`.
    #[serde(default)]
    pub spec: VpaPodSpec,
    /// `status`.
    #[serde(default)]
    pub status: VpaPodStatus,
}

impl VpaPod {
    fn containers(&self) -> Vec<core::PodContainer<'_>> {
        self.spec
            .containers
            .iter()
            .map(|c| {
                let status = self
                    .status
                    .container_statuses
                    .iter()
                    .find(|s| s.name == c.name);
                core::PodContainer {
                    status: status.and_then(|s| s.resources).map(Requirements::to_core),
                    last_termination: status.and_then(|s| s.last_state.terminated.as_ref()).map(
                        |t| core::ContainerTermination {
                            oom_killed: t.reason == "OOMKilled",
                            started_at_ms: t.started_at.0,
                            finished_at_ms: t.finished_at.0,
                        },
                    ),
                    ..core::PodContainer::new(&c.name, c.resources.to_core())
                }
            })
            .collect()
    }
}

/// A `LimitRange` item (`type: Container` or `Pod`): `min`, `max` and `default`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRangeItem {
    /// `min`.
    #[serde(default)]
    pub min: ResourceList,
    /// `max`.
    #[serde(default)]
    pub max: ResourceList,
    /// `default`.
    #[serde(default)]
    pub default: ResourceList,
}

impl LimitRangeItem {
    fn to_core(self) -> core::LimitRangeItem {
        core::LimitRangeItem {
            min: self.min.to_core(),
            max: self.max.to_core(),
            default: self.default.to_core(),
        }
    }
}

/// A recommendation's bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Bound {
    /// `target`.
    Target,
    /// `lowerBound`.
    LowerBound,
    /// `upperBound`.
    UpperBound,
}

/// Scales one bound of the recommendations of a pod's containers so their sum fits a `Pod`
/// limit range [applyPodLimitRange].
pub fn apply_pod_limit_range(
    recommendations: &[ContainerRecommendation],
    pod: &VpaPod,
    limit_range: LimitRangeItem,
    resource: ResourceKindName,
    bound: Bound,
) -> Vec<ContainerRecommendation> {
    let mut list = core_list(recommendations);
    let containers = pod.containers();
    let field = match bound {
        Bound::Target => RecommendationField::Target,
        Bound::LowerBound => RecommendationField::LowerBound,
        Bound::UpperBound => RecommendationField::UpperBound,
    };
    core::apply_pod_limit_range(
        &mut list,
        &core::Pod::new(&containers),
        &limit_range.to_core(),
        resource.to_core(),
        field,
    );
    answer_list(&list)
}

/// What capping did: the recommendations and, per container, what was capped and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capped {
    /// The capped recommendations.
    pub recommendations: Vec<ContainerRecommendation>,
    /// Per container, the annotations (`cpu capped to maxAllowed`, …).
    pub annotations: BTreeMap<String, Vec<String>>,
}

/// The updater's capping of a recommendation for one pod [cappingRecommendationProcessor.Apply]:
/// the policy, the container and pod limit ranges, proportional limits. `None` when there is
/// neither a recommendation nor a policy.
///
/// # Errors
///
/// More than 64 containers.
pub fn apply_capping(
    recommendations: Option<&[ContainerRecommendation]>,
    policy: Option<&ResourcePolicy>,
    container_limit_range: Option<LimitRangeItem>,
    pod_limit_range: Option<LimitRangeItem>,
    pod: &VpaPod,
) -> Result<Option<Capped>> {
    let list = recommendations.map(core_list);
    let containers = pod.containers();
    let core_pod = core::Pod::new(&containers);
    let container_range = container_limit_range.map(LimitRangeItem::to_core);
    let pod_range = pod_limit_range.map(LimitRangeItem::to_core);
    let run = |view: Option<&core::PodResourcePolicy<'_>>| {
        core::apply_capping::<{ super::MAX_CONTAINERS }>(
            list.as_deref(),
            view,
            container_range.as_ref(),
            pod_range.as_ref(),
            &core_pod,
        )
        .map(|capped| {
            capped.map(|c| Capped {
                recommendations: c
                    .iter()
                    .map(|x| ContainerRecommendation::from_core(&x.recommendation))
                    .collect(),
                annotations: c
                    .iter()
                    .filter(|x| !x.annotations.is_empty())
                    .map(|x| {
                        (
                            x.recommendation.container_name.to_string(),
                            x.annotations.iter().map(ToString::to_string).collect(),
                        )
                    })
                    .collect(),
            })
        })
        .map_err(|e| Error::refused(e.to_string()))
    };
    match policy {
        Some(p) => p.with_view(|view| run(Some(view)))?,
        None => run(None),
    }
}

/// A new limit proportional to the new request [getProportionalResourceLimit].
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProportionalLimitRequest {
    /// `cpu` or `memory`.
    pub resource: ResourceKindName,
    /// The container's limit.
    #[serde(default)]
    pub original_limit: Option<Milli>,
    /// The container's request.
    #[serde(default)]
    pub original_request: Option<Milli>,
    /// The recommended request.
    #[serde(default)]
    pub recommended_request: Option<Milli>,
    /// The limit range's default limit.
    #[serde(default)]
    pub default_limit: Option<Milli>,
}

/// The new limit, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProportionalLimit {
    /// The limit (`"2"`, `"1500m"`, `"512Mi"`), if any.
    pub limit: Option<String>,
    /// Why the limit is missing or capped.
    pub annotation: Option<String>,
}

/// Computes a proportional limit. Quantities are read as `MilliValue()` and, for memory,
/// rounded up to whole bytes as `Value()` does.
pub fn proportional_limit(request: &ProportionalLimitRequest) -> ProportionalLimit {
    let kind = request.resource.to_core();
    let amount = |q: Option<Milli>| {
        q.map(|m| match request.resource {
            ResourceKindName::Cpu => m.0,
            ResourceKindName::Memory => m.0.div_euclid(1000) + i64::from(m.0.rem_euclid(1000) != 0),
        })
    };
    let got = core::proportional_resource_limit(
        kind,
        amount(request.original_limit),
        amount(request.original_request),
        amount(request.recommended_request),
        amount(request.default_limit),
    );
    ProportionalLimit {
        limit: got.limit.map(|l| match request.resource {
            ResourceKindName::Cpu => crate::units::format_milli(l),
            ResourceKindName::Memory => crate::units::format_bytes(l),
        }),
        annotation: got.annotation.map(|a| a.to_string()),
    }
}

/// The updater's priority of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodPriority {
    /// A request is outside the recommended range.
    pub outside_recommended_range: bool,
    /// A target is above its request.
    pub scale_up: bool,
    /// The summed relative change of total requests per resource.
    pub resource_diff: f64,
}

impl PodPriority {
    fn to_core(self) -> core::PodPriority {
        core::PodPriority {
            outside_recommended_range: self.outside_recommended_range,
            scale_up: self.scale_up,
            resource_diff: self.resource_diff,
        }
    }

    /// Whether `self` ranks below `other` [PodPriority.Less]: scale-ups first, then the larger
    /// change.
    pub fn less(self, other: Self) -> bool {
        self.to_core().less(&other.to_core())
    }
}

/// A pod's update priority against the recommendations [GetUpdatePriority].
pub fn update_priority(pod: &VpaPod, recommendations: &[ContainerRecommendation]) -> PodPriority {
    let containers = pod.containers();
    let list = core_list(recommendations);
    let p = core::update_priority(&core::Pod::new(&containers), &list);
    PodPriority {
        outside_recommended_range: p.outside_recommended_range,
        scale_up: p.scale_up,
        resource_diff: p.resource_diff,
    }
}

/// Whether a container of the pod was OOM-killed within `threshold_ms` of starting [isQuickOOM].
///
/// # Errors
///
/// None once the policy is read.
pub fn is_quick_oom(
    pod: &VpaPod,
    policy: Option<&ResourcePolicy>,
    threshold_ms: i64,
) -> Result<bool> {
    let containers = pod.containers();
    let core_pod = core::Pod::new(&containers);
    match policy {
        Some(p) => p.with_view(|view| core::is_quick_oom(&core_pod, Some(view), threshold_ms)),
        None => Ok(core::is_quick_oom(&core_pod, None, threshold_ms)),
    }
}

/// The updater's flags; unset fields take its defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdaterOptions {
    /// `--pod-update-threshold` (0.1).
    #[serde(default)]
    pub min_change_priority: Option<f64>,
    /// `--in-recommendation-bounds-eviction-lifetime-threshold` (12 h).
    #[serde(default)]
    pub pod_lifetime_update_threshold: Option<crate::units::Duration>,
    /// `--evict-after-oom-threshold` (10 min).
    #[serde(default)]
    pub evict_after_oom_threshold: Option<crate::units::Duration>,
}

impl UpdaterOptions {
    /// The core's configuration.
    pub fn to_core(&self) -> core::UpdateConfig {
        let d = core::UpdateConfig::default();
        core::UpdateConfig {
            min_change_priority: self.min_change_priority.unwrap_or(d.min_change_priority),
            pod_lifetime_update_threshold_ms: self
                .pod_lifetime_update_threshold
                .map_or(d.pod_lifetime_update_threshold_ms, |x| x.0),
            evict_after_oom_threshold_ms: self
                .evict_after_oom_threshold
                .map_or(d.evict_after_oom_threshold_ms, |x| x.0),
        }
    }
}

/// A pod the updater may evict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvictionCandidate {
    /// The pod's name.
    pub name: String,
    /// Its priority.
    pub priority: PodPriority,
    /// `status.startTime`.
    #[serde(default)]
    pub start_time: Option<Instant>,
    /// It was OOM-killed quickly ([`is_quick_oom`]).
    #[serde(default)]
    pub quick_oom: bool,
}

/// The pods the updater would evict now, in its order [UpdatePriorityCalculator].
pub fn eviction_order(
    options: &UpdaterOptions,
    candidates: &[EvictionCandidate],
    now_ms: i64,
) -> Vec<String> {
    let config = options.to_core();
    let mut chosen: Vec<&EvictionCandidate> = candidates
        .iter()
        .filter(|c| {
            core::should_update(
                &config,
                &c.priority.to_core(),
                c.quick_oom,
                c.start_time.map(|t| t.0),
                now_ms,
            )
        })
        .collect();
    core::sort_by_priority(&mut chosen, |c| c.priority.to_core());
    chosen.into_iter().map(|c| c.name.clone()).collect()
}

/// A resource list as the recommender writes it into the status [ResourcesAsResourceList]:
/// CPU rounded up to a multiple of `roundCpuMillicores`, memory to `roundMemoryBytes`, memory
/// humanized (`"800.61Mi"`) with `humanizeMemory`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommendationFormatOptions {
    /// `--humanize-memory`.
    #[serde(default)]
    pub humanize_memory: bool,
    /// `--round-cpu-millicores` (1).
    #[serde(default)]
    pub round_cpu_millicores: Option<i64>,
    /// `--round-memory-bytes` (1).
    #[serde(default)]
    pub round_memory_bytes: Option<i64>,
}

/// The status's resource list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResources {
    /// `cpu`.
    pub cpu: Option<Milli>,
    /// `memory`: the humanized quantity when asked for, else bytes.
    pub memory: Option<String>,
    /// `memory`'s value, whole bytes rounded up (`Quantity.Value()`).
    #[serde(rename = "memoryBytes")]
    pub memory_bytes: Option<Bytes>,
}

/// Formats resources as the status writes them.
pub fn resources_as_resource_list(
    resources: ResourceList,
    format: &RecommendationFormatOptions,
) -> StatusResources {
    let d = core::RecommendationFormat::default();
    let f = core::RecommendationFormat {
        humanize_memory: format.humanize_memory,
        round_cpu_millicores: format
            .round_cpu_millicores
            .unwrap_or(d.round_cpu_millicores),
        round_memory_bytes: format.round_memory_bytes.unwrap_or(d.round_memory_bytes),
    };
    let got = core::resources_as_resource_list(resources.to_core(), &f);
    StatusResources {
        cpu: got.cpu_m.map(Milli),
        memory: match got.humanized_memory {
            Some(h) => Some(h.to_string()),
            None => got.memory_bytes.map(crate::units::format_bytes),
        },
        memory_bytes: got.memory_bytes.map(Bytes),
    }
}
