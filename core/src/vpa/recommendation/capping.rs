//! Post-processing of recommendations: the recommender's policy bounds before the status is
//! written [ApplyVPAPolicy], and the updater's and admission controller's capping to policy,
//! LimitRanges and (for `RequestsOnly`) current limits [cappingRecommendationProcessor.Apply].

use core::fmt;

use heapless::Vec;

use super::container_recommendation::{RecommendationField, RecommendedContainerResources};
use super::limit_range::LimitRangeItem;
use super::pod::Pod;
use super::policy::{ContainerResourcePolicy, ControlledValues, PodResourcePolicy};
use super::proportional_limit::{
    Rounding, boundary_request, proportional_resource_limit, scale_proportionally,
};
use super::resources::{ResourceKind, Resources};

/// What capping did to one resource of a container's target [cappingAction].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CappingAction {
    /// Raised to the policy's `minAllowed`.
    MinAllowed,
    /// Lowered to the policy's `maxAllowed`.
    MaxAllowed,
    /// Lowered to the container's current limit (`RequestsOnly`).
    ContainerLimit,
    /// Raised so the proportional limit meets the container LimitRange `min`.
    LimitRangeMin,
    /// Lowered so the proportional limit meets the container LimitRange `max`.
    LimitRangeMax,
}

/// One capping annotation, written as upstream's text (`cpu capped to minAllowed`).
///
/// ```
/// use podscale::vpa::{CappingAction, CappingAnnotation, ResourceKind};
/// let a = CappingAnnotation { resource: ResourceKind::Memory, action: CappingAction::LimitRangeMin };
/// assert_eq!(a.to_string(), "memory capped to fit Min in container LimitRange");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CappingAnnotation {
    /// The resource capped.
    pub resource: ResourceKind,
    /// How.
    pub action: CappingAction,
}

impl fmt::Display for CappingAnnotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            CappingAction::MinAllowed => "capped to minAllowed",
            CappingAction::MaxAllowed => "capped to maxAllowed",
            CappingAction::ContainerLimit => "capped to container limit",
            CappingAction::LimitRangeMin => "capped to fit Min in container LimitRange",
            CappingAction::LimitRangeMax => "capped to fit Max in container LimitRange",
        };
        write!(f, "{} {action}", self.resource)
    }
}

/// The most annotations one container can get: five actions for each of two resources, all on
/// the target (bounds are capped silently).
pub const MAX_CAPPING_ANNOTATIONS: usize = 10;

/// A container's capped recommendation and the annotations of its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CappedRecommendation<'a> {
    /// The recommendation after capping.
    pub recommendation: RecommendedContainerResources<'a>,
    /// What capping did to the target, in the order it happened.
    pub annotations: Vec<CappingAnnotation, MAX_CAPPING_ANNOTATIONS>,
}

/// Why capping produced no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CappingError {
    /// The recommendation list, with a request-based entry added for each pod container
    /// without a recommendation, exceeds the output's capacity.
    TooManyContainers {
        /// The capacity.
        capacity: usize,
    },
}

impl fmt::Display for CappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyContainers { capacity } => {
                write!(
                    f,
                    "more container recommendations than the capacity of {capacity}"
                )
            }
        }
    }
}

impl core::error::Error for CappingError {}

/// Raises `value` to a present, non-zero minimum [maybeCapToMin].
fn cap_to_min(value: i64, min: Option<i64>) -> Option<i64> {
    min.filter(|&m| m != 0 && value < m)
}

/// Lowers `value` to a present, non-zero maximum [maybeCapToMax].
fn cap_to_max(value: i64, max: Option<i64>) -> Option<i64> {
    max.filter(|&m| m != 0 && value > m)
}

/// Records an annotation; the list has room for every annotation one container can get.
fn note(
    annotations: Option<&mut Vec<CappingAnnotation, MAX_CAPPING_ANNOTATIONS>>,
    resource: ResourceKind,
    action: CappingAction,
) {
    if let Some(list) = annotations {
        let _ = list.push(CappingAnnotation { resource, action });
    }
}

/// Applies `min` then `max` to every present entry of `list`; the maximum wins a conflict.
fn apply_bounds(
    list: &mut Resources,
    min: Resources,
    max: Resources,
    actions: (CappingAction, CappingAction),
    mut annotations: Option<&mut Vec<CappingAnnotation, MAX_CAPPING_ANNOTATIONS>>,
) {
    for kind in ResourceKind::ALL {
        let Some(mut value) = list.get(kind) else {
            continue;
        };
        if let Some(raised) = cap_to_min(value, min.get(kind)) {
            value = raised;
            note(annotations.as_deref_mut(), kind, actions.0);
        }
        if let Some(lowered) = cap_to_max(value, max.get(kind)) {
            value = lowered;
            note(annotations.as_deref_mut(), kind, actions.1);
        }
        list.set(kind, value);
    }
}

/// Request bounds derived from a container LimitRange's `min` and `max` for a container with
/// these requests and limits [getMinAllowedRecommendation, getMaxAllowedRecommendation].
fn limit_range_request_bounds(
    item: &LimitRangeItem,
    requests: Resources,
    limits: Resources,
) -> (Resources, Resources) {
    let bound = |boundary: Resources| {
        if boundary.is_empty() {
            return Resources::NONE;
        }
        let mut out = Resources::NONE;
        for kind in ResourceKind::ALL {
            out.set(
                kind,
                boundary_request(
                    kind,
                    requests.get(kind),
                    limits.get(kind),
                    boundary.get(kind),
                    item.default.get(kind),
                ),
            );
        }
        out
    };
    let max = bound(item.max);
    let mut min = bound(item.min);
    // Both the limit and the request must reach the LimitRange minimum.
    if !item.min.is_empty() {
        for kind in ResourceKind::ALL {
            let for_request = item.min.get(kind).unwrap_or(0);
            if for_request > min.get(kind).unwrap_or(0) {
                min.set(kind, for_request);
            }
        }
    }
    (min, max)
}

/// Caps a recommendation for one container [getCappedRecommendationForContainer]: container
/// LimitRange, then policy bounds, then (for `RequestsOnly`) the current limits, on the target
/// (annotated), the lower bound and the upper bound. The uncapped target stays.
fn cap_container(
    recommendation: &mut RecommendedContainerResources<'_>,
    requests: Resources,
    limits: Resources,
    container_policy: Option<&ContainerResourcePolicy<'_>>,
    controlled_values: ControlledValues,
    limit_range: Option<&LimitRangeItem>,
) -> Vec<CappingAnnotation, MAX_CAPPING_ANNOTATIONS> {
    let mut annotations = Vec::new();
    let lr_bounds = limit_range.map(|item| limit_range_request_bounds(item, requests, limits));
    for field in [
        RecommendationField::Target,
        RecommendationField::LowerBound,
        RecommendationField::UpperBound,
    ] {
        let mut notes = (field == RecommendationField::Target).then_some(&mut annotations);
        let list = recommendation.field_mut(field);
        if let Some((min, max)) = lr_bounds {
            apply_bounds(
                list,
                min,
                max,
                (CappingAction::LimitRangeMin, CappingAction::LimitRangeMax),
                notes.as_deref_mut(),
            );
        }
        if let Some(policy) = container_policy {
            apply_bounds(
                list,
                policy.min_allowed,
                policy.max_allowed,
                (CappingAction::MinAllowed, CappingAction::MaxAllowed),
                notes.as_deref_mut(),
            );
        }
        if controlled_values == ControlledValues::RequestsOnly {
            // [capRecommendationToContainerLimit]: only limits that are set cap.
            for kind in ResourceKind::ALL {
                if let (Some(value), Some(limit)) = (list.get(kind), limits.get(kind)) {
                    if value > limit {
                        list.set(kind, limit);
                        note(notes.as_deref_mut(), kind, CappingAction::ContainerLimit);
                    }
                }
            }
        }
    }
    annotations
}

/// Scales one list and resource of the pod's recommendations so that their sum (or the sum of
/// the limits they imply) fits a Pod LimitRange [applyPodLimitRange].
///
/// For each pod container the recommendation (or, without one, its request) and the limit
/// that keeps its limit/request ratio are summed. When the LimitRange `min` exceeds the summed
/// recommendations, each is scaled up to it (CPU rounding up, memory down, so the memory sum
/// can end a byte short); otherwise when the limits fall outside `[min, max]`, each
/// recommendation is scaled by `bound / summed limits`, rounding down. Recommendations for
/// containers not in the pod are untouched. A list without the resource counts as zero and,
/// when scaled, gets the entry (upstream writes into the map; into a nil map it would panic).
///
/// ```
/// use podscale::vpa::{apply_pod_limit_range, ContainerResources, LimitRangeItem, Pod, PodContainer,
///     RecommendationField, RecommendedContainerResources, ResourceKind, Resources};
/// let one = ContainerResources { requests: Resources::cpu(1), limits: Resources::cpu(1) };
/// let containers = [PodContainer::new("a", one), PodContainer::new("b", one)];
/// let mut recs = [RecommendedContainerResources::new("a"), RecommendedContainerResources::new("b")];
/// recs[0].target = Resources::cpu(15);
/// recs[1].target = Resources::cpu(100);
/// let lr = LimitRangeItem { min: Resources::cpu(150), ..LimitRangeItem::default() };
/// apply_pod_limit_range(&mut recs, &Pod::new(&containers), &lr, ResourceKind::Cpu, RecommendationField::Target);
/// assert_eq!((recs[0].target.cpu_m, recs[1].target.cpu_m), (Some(20), Some(131)));
/// ```
pub fn apply_pod_limit_range(
    recommendations: &mut [RecommendedContainerResources<'_>],
    pod: &Pod<'_>,
    limit_range: &LimitRangeItem,
    kind: ResourceKind,
    field: RecommendationField,
) {
    let min = i128::from(limit_range.min.get(kind).unwrap_or(0));
    let max = i128::from(limit_range.max.get(kind).unwrap_or(0));
    let default = limit_range.default.get(kind);
    let recommended = |recommendations: &[RecommendedContainerResources<'_>], name: &str| {
        recommendations
            .iter()
            .find(|r| r.container_name == name)
            .map(|r| r.field(field).get(kind).unwrap_or(0))
    };

    let mut sum_limit: i128 = 0;
    let mut sum_recommendation: i128 = 0;
    for container in pod.containers {
        let resources = container.effective_resources();
        let request = resources.requests.get(kind);
        let value = recommended(recommendations, container.name).unwrap_or(request.unwrap_or(0));
        let limit = proportional_resource_limit(
            kind,
            resources.limits.get(kind),
            request,
            Some(value),
            default,
        );
        if let Some(limit) = limit.limit {
            sum_limit = sum_limit.saturating_add(i128::from(limit));
        }
        sum_recommendation = sum_recommendation.saturating_add(i128::from(value));
    }

    if min <= sum_limit && min <= sum_recommendation && (max == 0 || max >= sum_limit) {
        return;
    }
    let (base, target, rounding) = if min > sum_recommendation && sum_limit != 0 {
        (sum_recommendation, min, Rounding::Up)
    } else if sum_limit == 0 {
        return;
    } else {
        let mut target = 0;
        if min > sum_limit {
            target = min;
        }
        if max != 0 && max < sum_limit {
            target = max;
        }
        (sum_limit, target, Rounding::Down)
    };
    for container in pod.containers {
        if let Some(r) = recommendations
            .iter_mut()
            .find(|r| r.container_name == container.name)
        {
            let list = r.field_mut(field);
            let value = i128::from(list.get(kind).unwrap_or(0));
            let (scaled, _) = scale_proportionally(kind, value, base, target, rounding);
            list.set(kind, scaled);
        }
    }
}

/// The recommendation for `pod`, capped to the VPA's policy and the namespace's LimitRanges
/// [cappingRecommendationProcessor.Apply].
///
/// `recommendation` is the VPA status (`None` when it has none), `policy` the VPA's
/// `resourcePolicy`, and the LimitRange items those of type `Container` and `Pod`, merged
/// ([`merge_limit_range_items`](crate::vpa::merge_limit_range_items)); `Some` of an empty item
/// is a present item that sets nothing.
///
/// Without a recommendation and without a policy there is nothing to cap (`Ok(None)`).
/// With a Pod LimitRange, pod containers without a recommendation first get one equal to their
/// requests, then the sums are fitted ([`apply_pod_limit_range`]) for the upper bound, target
/// and lower bound. Each recommendation of a container in the pod is then capped; the others
/// are dropped. (podscale sees CPU and memory only: a container whose requests name neither
/// gets no inserted entry, where upstream inserts one without CPU and memory.)
///
/// # Errors
///
/// [`CappingError::TooManyContainers`] when the list does not fit in `N`.
///
/// ```
/// use podscale::vpa::{apply_capping, ContainerResourcePolicy, ContainerResources, Pod, PodContainer,
///     PodResourcePolicy, RecommendedContainerResources, Resources};
/// let containers = [PodContainer::new("app", ContainerResources::default())];
/// let policies = [ContainerResourcePolicy { min_allowed: Resources::cpu(400), ..ContainerResourcePolicy::named("app") }];
/// let mut rec = RecommendedContainerResources::new("app");
/// rec.target = Resources::new(300, 50_000);
/// let capped = apply_capping::<4>(Some(&[rec]), Some(&PodResourcePolicy::new(&policies)), None, None, &Pod::new(&containers))?
///     .unwrap();
/// assert_eq!(capped[0].recommendation.target, Resources::new(400, 50_000));
/// assert_eq!(capped[0].annotations[0].to_string(), "cpu capped to minAllowed");
/// # Ok::<(), podscale::vpa::CappingError>(())
/// ```
pub fn apply_capping<'a, const N: usize>(
    recommendation: Option<&[RecommendedContainerResources<'a>]>,
    policy: Option<&PodResourcePolicy<'_>>,
    container_limit_range: Option<&LimitRangeItem>,
    pod_limit_range: Option<&LimitRangeItem>,
    pod: &Pod<'a>,
) -> Result<Option<Vec<CappedRecommendation<'a>, N>>, CappingError> {
    if recommendation.is_none() && policy.is_none() {
        return Ok(None);
    }
    let too_many = CappingError::TooManyContainers { capacity: N };
    let mut list: Vec<RecommendedContainerResources<'a>, N> =
        Vec::from_slice(recommendation.unwrap_or(&[])).map_err(|()| too_many)?;

    if let Some(item) = pod_limit_range {
        // [insertRequestsForMissingRecommendations]
        for container in pod.containers {
            let requests = container.effective_resources().requests;
            if requests.is_empty() || list.iter().any(|r| r.container_name == container.name) {
                continue;
            }
            let mut inserted = RecommendedContainerResources::new(container.name);
            inserted.target = requests;
            list.push(inserted).map_err(|_| too_many)?;
        }
        for field in [
            RecommendationField::UpperBound,
            RecommendationField::Target,
            RecommendationField::LowerBound,
        ] {
            for kind in ResourceKind::ALL {
                apply_pod_limit_range(&mut list, pod, item, kind, field);
            }
        }
    }

    let default_policy = PodResourcePolicy::default();
    let policy = policy.unwrap_or(&default_policy);
    let mut capped = Vec::new();
    for mut recommendation in list {
        let Some(container) = pod.container(recommendation.container_name) else {
            continue;
        };
        let resources = container.effective_resources();
        let annotations = cap_container(
            &mut recommendation,
            resources.requests,
            resources.limits,
            policy.container_policy(container.name),
            policy.controlled_values(container.name),
            container_limit_range,
        );
        // At most as many entries as `list`, which fit in N.
        capped
            .push(CappedRecommendation {
                recommendation,
                annotations,
            })
            .map_err(|_| too_many)?;
    }
    Ok(Some(capped))
}

/// The recommender's post-processor: each container's target and bounds raised to its
/// policy's `minAllowed` and lowered to its `maxAllowed`, missing maxima taken from the global
/// `--container-recommendation-max-allowed-*` flags [ApplyVPAPolicy].
///
/// `controlledValues` and LimitRanges play no part here; the uncapped target stays.
///
/// ```
/// use podscale::vpa::{apply_vpa_policy, ContainerResourcePolicy, PodResourcePolicy,
///     RecommendedContainerResources, Resources};
/// let policies = [ContainerResourcePolicy { max_allowed: Resources::cpu(40), ..ContainerResourcePolicy::named("foo") }];
/// let mut recs = [RecommendedContainerResources::new("foo")];
/// recs[0].target = Resources::new(42, 44_040_192);
/// apply_vpa_policy(&mut recs, Some(&PodResourcePolicy::new(&policies)), Resources::memory(41_943_040));
/// assert_eq!(recs[0].target, Resources::new(40, 41_943_040));
/// ```
pub fn apply_vpa_policy(
    recommendations: &mut [RecommendedContainerResources<'_>],
    policy: Option<&PodResourcePolicy<'_>>,
    global_max_allowed: Resources,
) {
    for recommendation in recommendations {
        let container_policy =
            policy.and_then(|p| p.container_policy(recommendation.container_name));
        let min = container_policy.map_or(Resources::NONE, |p| p.min_allowed);
        let mut max = container_policy.map_or(Resources::NONE, |p| p.max_allowed);
        for kind in ResourceKind::ALL {
            if let (None, Some(global)) = (max.get(kind), global_max_allowed.get(kind)) {
                max.set(kind, global);
            }
        }
        for field in [
            RecommendationField::Target,
            RecommendationField::LowerBound,
            RecommendationField::UpperBound,
        ] {
            apply_bounds(
                recommendation.field_mut(field),
                min,
                max,
                (CappingAction::MinAllowed, CappingAction::MaxAllowed),
                None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    extern crate std;
    use std::string::ToString;
    use std::vec::Vec;

    use super::*;
    use crate::vpa::{ContainerResources, PodContainer};

    fn rec(name: &str, target: Resources) -> RecommendedContainerResources<'_> {
        RecommendedContainerResources {
            target,
            lower_bound: target,
            upper_bound: target,
            uncapped_target: target,
            ..RecommendedContainerResources::new(name)
        }
    }

    fn notes(capped: &CappedRecommendation<'_>) -> Vec<std::string::String> {
        capped.annotations.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn nothing_to_do_without_recommendation_and_policy() {
        let containers = [PodContainer::new("app", ContainerResources::default())];
        let pod = Pod::new(&containers);
        assert_eq!(apply_capping::<2>(None, None, None, None, &pod), Ok(None));
        // A policy alone starts from an empty recommendation.
        let policy = PodResourcePolicy::default();
        assert_eq!(
            apply_capping::<2>(None, Some(&policy), None, None, &pod).unwrap(),
            Some(Vec::new().into_iter().collect())
        );
    }

    #[test]
    fn recommendations_for_absent_containers_are_dropped() {
        let containers = [PodContainer::new("app", ContainerResources::default())];
        let recs = [
            rec("gone", Resources::cpu(5)),
            rec("app", Resources::cpu(7)),
        ];
        let capped = apply_capping::<4>(Some(&recs), None, None, None, &Pod::new(&containers))
            .unwrap()
            .unwrap();
        assert_eq!(capped.len(), 1);
        assert_eq!(capped[0].recommendation.container_name, "app");
    }

    #[test]
    fn max_allowed_wins_over_min_allowed() {
        let containers = [PodContainer::new("app", ContainerResources::default())];
        let policies = [ContainerResourcePolicy {
            min_allowed: Resources::cpu(500),
            max_allowed: Resources::cpu(200),
            ..ContainerResourcePolicy::named("app")
        }];
        let recs = [rec("app", Resources::new(100, 10))];
        let capped = apply_capping::<2>(
            Some(&recs),
            Some(&PodResourcePolicy::new(&policies)),
            None,
            None,
            &Pod::new(&containers),
        )
        .unwrap()
        .unwrap();
        assert_eq!(capped[0].recommendation.target, Resources::new(200, 10));
        assert_eq!(
            notes(&capped[0]),
            ["cpu capped to minAllowed", "cpu capped to maxAllowed"]
        );
        // Only the target is annotated, all three lists are capped.
        assert_eq!(capped[0].recommendation.upper_bound.cpu_m, Some(200));
        assert_eq!(capped[0].recommendation.uncapped_target.cpu_m, Some(100));
    }

    #[test]
    fn every_action_on_both_resources_fits_the_annotations() {
        // LimitRange min above its max, policy min above its max, and a lower limit:
        // five caps for each resource.
        let spec = ContainerResources {
            requests: Resources::NONE,
            limits: Resources::new(1, 1),
        };
        let containers = [PodContainer::new("app", spec)];
        let lr = LimitRangeItem {
            min: Resources::new(100, 100),
            max: Resources::new(50, 50),
            default: Resources::NONE,
        };
        let policies = [ContainerResourcePolicy {
            min_allowed: Resources::new(1000, 1000),
            max_allowed: Resources::new(500, 500),
            controlled_values: Some(ControlledValues::RequestsOnly),
            ..ContainerResourcePolicy::named("*")
        }];
        let recs = [rec("app", Resources::new(10, 10))];
        let capped = apply_capping::<2>(
            Some(&recs),
            Some(&PodResourcePolicy::new(&policies)),
            Some(&lr),
            None,
            &Pod::new(&containers),
        )
        .unwrap()
        .unwrap();
        assert_eq!(capped[0].annotations.len(), MAX_CAPPING_ANNOTATIONS);
        assert_eq!(capped[0].recommendation.target, Resources::new(1, 1));
    }

    #[test]
    fn limit_range_default_limit_keeps_the_ratio() {
        // No limit of its own: the LimitRange default (2x the request) sets the ratio, so a
        // 1000m max limit allows at most 500m of request.
        let spec = ContainerResources {
            requests: Resources::cpu(100),
            limits: Resources::NONE,
        };
        let containers = [PodContainer::new("app", spec)];
        let lr = LimitRangeItem {
            max: Resources::cpu(1000),
            default: Resources::cpu(200),
            ..LimitRangeItem::default()
        };
        let recs = [rec("app", Resources::cpu(800))];
        let capped = apply_capping::<2>(Some(&recs), None, Some(&lr), None, &Pod::new(&containers))
            .unwrap()
            .unwrap();
        assert_eq!(capped[0].recommendation.target.cpu_m, Some(500));
        assert_eq!(
            notes(&capped[0]),
            ["cpu capped to fit Max in container LimitRange"]
        );
    }

    #[test]
    fn pod_limit_range_inserts_requests_and_respects_capacity() {
        let spec = ContainerResources {
            requests: Resources::cpu(100),
            limits: Resources::NONE,
        };
        let containers = [PodContainer::new("a", spec), PodContainer::new("b", spec)];
        let pod = Pod::new(&containers);
        let recs = [rec("a", Resources::cpu(300))];
        let lr = LimitRangeItem::default();
        let capped = apply_capping::<2>(Some(&recs), None, None, Some(&lr), &pod)
            .unwrap()
            .unwrap();
        assert_eq!(capped[1].recommendation.container_name, "b");
        assert_eq!(capped[1].recommendation.target, Resources::cpu(100));
        assert_eq!(
            apply_capping::<1>(Some(&recs), None, None, Some(&lr), &pod),
            Err(CappingError::TooManyContainers { capacity: 1 })
        );
    }

    #[test]
    fn vpa_policy_fills_missing_maxima_from_the_global_flags() {
        let policies = [ContainerResourcePolicy {
            max_allowed: Resources::cpu(100),
            ..ContainerResourcePolicy::named("*")
        }];
        let mut recs = [rec("x", Resources::new(300, 300))];
        apply_vpa_policy(
            &mut recs,
            Some(&PodResourcePolicy::new(&policies)),
            Resources::new(50, 200),
        );
        // The policy's CPU maximum wins over the global one; memory takes the global one.
        assert_eq!(recs[0].target, Resources::new(100, 200));
        // Without a policy the global maxima still apply.
        let mut recs = [rec("x", Resources::new(300, 300))];
        apply_vpa_policy(&mut recs, None, Resources::memory(200));
        assert_eq!(recs[0].lower_bound, Resources::new(300, 200));
    }
}
