//! The updater's choice of pods to evict: the priority of updating a pod, the decision whether
//! to update it at all, and the eviction order [updater/priority].

use super::container_recommendation::RecommendedContainerResources;
use super::pod::Pod;
use super::policy::{ContainerScalingMode, PodResourcePolicy};
use super::resources::ResourceKind;

/// How urgently a pod should get its recommendation [PodPriority].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PodPriority {
    /// Some container's request is below its lower bound or above its upper bound.
    pub outside_recommended_range: bool,
    /// Some container's target is above its request (or it has no request).
    pub scale_up: bool,
    /// The summed relative change of total requests per resource,
    /// `|max(requests, 1) - targets| / max(requests, 1)` in milli-units.
    pub resource_diff: f64,
}

impl PodPriority {
    /// Whether `self` is less urgent than `other` [PodPriority.Less]: scaling up first, then
    /// the larger change.
    ///
    /// ```
    /// use podscale::vpa::PodPriority;
    /// let up = PodPriority { outside_recommended_range: false, scale_up: true, resource_diff: 0.1 };
    /// let down = PodPriority { outside_recommended_range: false, scale_up: false, resource_diff: 9.0 };
    /// assert!(down.less(&up));
    /// ```
    pub fn less(&self, other: &Self) -> bool {
        if self.scale_up != other.scale_up {
            return other.scale_up;
        }
        self.resource_diff < other.resource_diff
    }
}

/// A container amount in milli-units, as `Quantity.MilliValue()`: CPU millicores as they are,
/// memory bytes times 1000 (saturating).
fn milli(kind: ResourceKind, amount: i64) -> i64 {
    match kind {
        ResourceKind::Cpu => amount,
        ResourceKind::Memory => amount.saturating_mul(1000),
    }
}

/// The update priority of `pod` for the processed (capped) recommendation
/// [defaultPriorityProcessor.GetUpdatePriority].
///
/// Containers count when observed (see [`Pod::observed_containers`]) and recommended. Each
/// resource of a target is compared with the container's current request (its status when it
/// reports resources, else its spec); a missing request counts as a scale-up outside the range.
///
/// ```
/// use podscale::vpa::{update_priority, ContainerResources, Pod, PodContainer,
///     RecommendedContainerResources, Resources};
/// let spec = ContainerResources { requests: Resources::cpu(4000), limits: Resources::NONE };
/// let containers = [PodContainer::new("app", spec)];
/// let mut rec = RecommendedContainerResources::new("app");
/// rec.target = Resources::cpu(2000);
/// let p = update_priority(&Pod::new(&containers), &[rec]);
/// assert_eq!((p.scale_up, p.resource_diff), (false, 0.5));
/// ```
pub fn update_priority(
    pod: &Pod<'_>,
    recommendation: &[RecommendedContainerResources<'_>],
) -> PodPriority {
    let mut outside_recommended_range = false;
    let mut scale_up = false;
    // Per resource: summed requests and summed targets (milli-units), and whether any target
    // named the resource (upstream's map keys).
    let mut total_request = [0i64; 2];
    let mut total_recommended = [0i64; 2];
    let mut recommended = [false; 2];

    for container in pod.containers {
        if !pod.is_observed(container.name) {
            continue;
        }
        let Some(rec) = recommendation
            .iter()
            .find(|r| r.container_name == container.name)
        else {
            continue;
        };
        let requests = container.effective_resources().requests;
        for (index, kind) in ResourceKind::ALL.into_iter().enumerate() {
            let Some(target) = rec.target.get(kind) else {
                continue;
            };
            if let (Some(total), Some(seen)) =
                (total_recommended.get_mut(index), recommended.get_mut(index))
            {
                *total = total.saturating_add(milli(kind, target));
                *seen = true;
            }
            match requests.get(kind) {
                Some(request) => {
                    if let Some(total) = total_request.get_mut(index) {
                        *total = total.saturating_add(milli(kind, request));
                    }
                    if milli(kind, target) > milli(kind, request) {
                        scale_up = true;
                    }
                    let below = rec
                        .lower_bound
                        .get(kind)
                        .is_some_and(|lower| request < lower);
                    let above = rec
                        .upper_bound
                        .get(kind)
                        .is_some_and(|upper| request > upper);
                    if below || above {
                        outside_recommended_range = true;
                    }
                }
                None => {
                    // Treated as a zero request, which any target exceeds.
                    scale_up = true;
                    outside_recommended_range = true;
                }
            }
        }
    }

    let mut resource_diff = 0.0;
    for ((request, target), seen) in total_request.iter().zip(total_recommended).zip(recommended) {
        if seen {
            let request = (*request as f64).max(1.0);
            resource_diff += libm::fabs(request - target as f64) / request;
        }
    }
    PodPriority {
        outside_recommended_range,
        scale_up,
        resource_diff,
    }
}

/// The updater flags behind the eviction decision [UpdateConfig].
///
/// ```
/// use podscale::vpa::UpdateConfig;
/// assert_eq!(UpdateConfig::default().min_change_priority, 0.1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UpdateConfig {
    /// `--pod-update-threshold` (0.1): the least `resource_diff` worth an update within range.
    pub min_change_priority: f64,
    /// `--in-recommendation-bounds-eviction-lifetime-threshold` (12h): the least age of a pod
    /// updated within range.
    pub pod_lifetime_update_threshold_ms: i64,
    /// `--evict-after-oom-threshold` (10 min), or the VPA's `evictAfterOOMSeconds` under the
    /// `PerVPAConfig` gate: an OOM kill sooner than this after start is a quick OOM.
    pub evict_after_oom_threshold_ms: i64,
}

impl Default for UpdateConfig {
    /// The flags' defaults.
    fn default() -> Self {
        Self {
            min_change_priority: 0.1,
            pod_lifetime_update_threshold_ms: 12 * 3600 * 1000,
            evict_after_oom_threshold_ms: 10 * 60 * 1000,
        }
    }
}

/// Whether an observed container of `pod` that VPA manages was OOM-killed sooner than
/// `threshold_ms` after it started [UpdatePriorityCalculator.AddPod].
///
/// ```
/// use podscale::vpa::{is_quick_oom, ContainerResources, ContainerTermination, Pod, PodContainer};
/// let mut c = PodContainer::new("app", ContainerResources::default());
/// c.last_termination = Some(ContainerTermination { oom_killed: true, started_at_ms: 0, finished_at_ms: 60_000 });
/// let containers = [c];
/// assert!(is_quick_oom(&Pod::new(&containers), None, 600_000));
/// ```
pub fn is_quick_oom(
    pod: &Pod<'_>,
    policy: Option<&PodResourcePolicy<'_>>,
    threshold_ms: i64,
) -> bool {
    pod.containers.iter().any(|container| {
        let managed =
            policy.is_none_or(|p| p.scaling_mode(container.name) != ContainerScalingMode::Off);
        pod.is_observed(container.name)
            && managed
            && container.last_termination.is_some_and(|t| {
                t.oom_killed && t.finished_at_ms.saturating_sub(t.started_at_ms) < threshold_ms
            })
    })
}

/// Whether the updater considers a pod for an update [UpdatePriorityCalculator.AddPod].
///
/// A request outside the recommended range always qualifies. Otherwise, without a quick OOM,
/// the pod must have a start time, be at least `pod_lifetime_update_threshold_ms` old and
/// change by at least `min_change_priority`. A quick OOM qualifies unless nothing would change.
///
/// ```
/// use podscale::vpa::{should_update, PodPriority, UpdateConfig};
/// let p = PodPriority { outside_recommended_range: false, scale_up: true, resource_diff: 0.25 };
/// let day_ms = 86_400_000;
/// assert!(should_update(&UpdateConfig::default(), &p, false, Some(0), day_ms));
/// assert!(!should_update(&UpdateConfig::default(), &p, false, Some(0), 3_600_000)); // too young
/// ```
pub fn should_update(
    config: &UpdateConfig,
    priority: &PodPriority,
    quick_oom: bool,
    start_time_ms: Option<i64>,
    now_ms: i64,
) -> bool {
    if !priority.outside_recommended_range && !quick_oom {
        let Some(start) = start_time_ms else {
            return false;
        };
        if now_ms < start.saturating_add(config.pod_lifetime_update_threshold_ms) {
            return false;
        }
        if priority.resource_diff < config.min_change_priority {
            return false;
        }
    }
    !(quick_oom && priority.resource_diff == 0.0)
}

/// Orders pods for eviction, most urgent first [UpdatePriorityCalculator.GetSortedPods].
///
/// A stable insertion sort: no allocation, and pods of equal priority keep their order (Go's
/// `sort.Sort` keeps it only up to 12 pods).
///
/// ```
/// use podscale::vpa::{sort_by_priority, PodPriority};
/// let p = |diff| PodPriority { outside_recommended_range: false, scale_up: false, resource_diff: diff };
/// let mut pods = [("POD1", p(4.0)), ("POD2", p(1.5)), ("POD3", p(9.0))];
/// sort_by_priority(&mut pods, |pod| pod.1);
/// assert_eq!(pods.map(|pod| pod.0), ["POD3", "POD1", "POD2"]);
/// ```
pub fn sort_by_priority<T>(items: &mut [T], priority: impl Fn(&T) -> PodPriority) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 {
            let (Some(current), Some(previous)) = (items.get(j), items.get(j.saturating_sub(1)))
            else {
                break;
            };
            // byPriorityDesc.Less(j, j-1): item j-1 is less urgent than item j.
            if !priority(previous).less(&priority(current)) {
                break;
            }
            items.swap(j, j.saturating_sub(1));
            j = j.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]

    use super::*;
    use crate::vpa::{
        ContainerResourcePolicy, ContainerResources, ContainerTermination, PodContainer, Resources,
    };

    fn priority(scale_up: bool, resource_diff: f64) -> PodPriority {
        PodPriority {
            outside_recommended_range: false,
            scale_up,
            resource_diff,
        }
    }

    #[test]
    fn only_observed_and_recommended_containers_count() {
        let spec = ContainerResources {
            requests: Resources::cpu(1000),
            limits: Resources::NONE,
        };
        let containers = [
            PodContainer::new("app", spec),
            PodContainer::new("side", spec),
        ];
        let mut recs = [
            RecommendedContainerResources::new("app"),
            RecommendedContainerResources::new("side"),
        ];
        recs[0].target = Resources::cpu(500);
        recs[1].target = Resources::cpu(4000);
        let mut pod = Pod::new(&containers);
        let observed = ["app"];
        pod.observed_containers = Some(&observed);
        let p = update_priority(&pod, &recs);
        assert_eq!((p.scale_up, p.resource_diff), (false, 0.5));
        pod.observed_containers = None;
        let p = update_priority(&pod, &recs);
        assert_eq!((p.scale_up, p.resource_diff), (true, 1.25));
    }

    #[test]
    fn a_missing_request_is_outside_the_range() {
        let containers = [PodContainer::new("app", ContainerResources::default())];
        let mut recs = [RecommendedContainerResources::new("app")];
        recs[0].target = Resources::memory(1000);
        let p = update_priority(&Pod::new(&containers), &recs);
        assert!(p.outside_recommended_range && p.scale_up);
        // A zero total request counts as 1 milli-unit: 1e6 milli-bytes away.
        assert_eq!(p.resource_diff, 999_999.0);
    }

    #[test]
    fn decision_rules() {
        let config = UpdateConfig::default();
        let day = 86_400_000;
        let outside = PodPriority {
            outside_recommended_range: true,
            scale_up: false,
            resource_diff: 0.0,
        };
        // Outside the range: always, even without a start time.
        assert!(should_update(&config, &outside, false, None, 0));
        // Inside: needs a start time, age and change.
        assert!(!should_update(
            &config,
            &priority(true, 1.0),
            false,
            None,
            day
        ));
        assert!(!should_update(
            &config,
            &priority(true, 0.05),
            false,
            Some(0),
            day
        ));
        assert!(should_update(
            &config,
            &priority(true, 0.1),
            false,
            Some(0),
            day
        ));
        // A quick OOM skips age and change, unless nothing would change.
        assert!(should_update(&config, &priority(true, 0.01), true, None, 0));
        assert!(!should_update(&config, &priority(true, 0.0), true, None, 0));
    }

    #[test]
    fn quick_oom_skips_unmanaged_containers() {
        let mut container = PodContainer::new("app", ContainerResources::default());
        container.last_termination = Some(ContainerTermination {
            oom_killed: true,
            started_at_ms: 0,
            finished_at_ms: 1000,
        });
        let containers = [container];
        let pod = Pod::new(&containers);
        assert!(is_quick_oom(&pod, None, 600_000));
        assert!(!is_quick_oom(&pod, None, 1000));
        let policies = [ContainerResourcePolicy {
            mode: Some(ContainerScalingMode::Off),
            ..ContainerResourcePolicy::named("app")
        }];
        assert!(!is_quick_oom(
            &pod,
            Some(&PodResourcePolicy::new(&policies)),
            600_000
        ));
    }

    #[test]
    fn sorting_is_stable_and_scale_up_first() {
        let mut pods = [
            ("a", priority(false, 1.0)),
            ("b", priority(true, 0.1)),
            ("c", priority(false, 1.0)),
            ("d", priority(false, 2.0)),
            ("e", priority(true, 0.1)),
        ];
        sort_by_priority(&mut pods, |p| p.1);
        assert_eq!(pods.map(|p| p.0), ["b", "e", "d", "a", "c"]);
    }
}
