//! The recommender's capping post-processor (upstream `vpa_utils.ApplyVPAPolicy`): each
//! container's target and bounds raised to its policy's `minAllowed`, then lowered to its
//! `maxAllowed`, whose missing resources come from the global maximum.
//!
//! A case is one to three container recommendations (any resource may be absent), an optional
//! pod policy of zero to four container policies (named after a container, `*`, or no container
//! at all, repeated names included; `minAllowed` and `maxAllowed` absent, empty or partial,
//! zero amounts included, min above max included) and a global maximum.
//!
//! Nothing is excluded: amounts are non-negative integers as the recommender writes them.

use podscale::vpa::{
    ContainerResourcePolicy, PodResourcePolicy, RecommendedContainerResources, Resources,
    apply_vpa_policy,
};
use proptest::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::log_uniform;

/// A resource list: CPU in millicores and memory in bytes, each possibly absent.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ResourcesCase {
    /// CPU, millicores.
    pub cpu_m: Option<i64>,
    /// Memory, bytes.
    pub memory_bytes: Option<i64>,
}

impl From<ResourcesCase> for Resources {
    fn from(r: ResourcesCase) -> Self {
        Self {
            cpu_m: r.cpu_m,
            memory_bytes: r.memory_bytes,
        }
    }
}

/// One container's recommendation.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendationCase {
    /// The container.
    pub container_name: &'static str,
    /// `Target`.
    pub target: ResourcesCase,
    /// `LowerBound`.
    pub lower_bound: ResourcesCase,
    /// `UpperBound`.
    pub upper_bound: ResourcesCase,
    /// `UncappedTarget` (left alone).
    pub uncapped_target: ResourcesCase,
}

/// One container policy.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerPolicyCase {
    /// A container's name, `*`, or a name no container has.
    pub container_name: &'static str,
    /// `minAllowed`; `None` when absent.
    pub min_allowed: Option<ResourcesCase>,
    /// `maxAllowed`; `None` when absent.
    pub max_allowed: Option<ResourcesCase>,
}

/// `ApplyVPAPolicy(recommendation, policy, globalMaxAllowed)`.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyCase {
    /// The recommendation's containers.
    pub recommendations: Vec<RecommendationCase>,
    /// `None`: the VPA has no resource policy.
    pub policy: Option<Vec<ContainerPolicyCase>>,
    /// `--container-recommendation-max-allowed-cpu` and `-memory`.
    pub global_max_allowed: ResourcesCase,
}

fn amount(scale: f64) -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(0i64)),
        4 => log_uniform(1.0, scale).prop_map(|v| Some(v as i64)),
    ]
}

/// CPU up to 1e7 millicores, memory up to 1e13 bytes.
pub(crate) fn resources() -> impl Strategy<Value = ResourcesCase> {
    (amount(1e7), amount(1e13)).prop_map(|(cpu_m, memory_bytes)| ResourcesCase {
        cpu_m,
        memory_bytes,
    })
}

fn recommendation(container_name: &'static str) -> impl Strategy<Value = RecommendationCase> {
    (resources(), resources(), resources(), resources()).prop_map(
        move |(target, lower_bound, upper_bound, uncapped_target)| RecommendationCase {
            container_name,
            target,
            lower_bound,
            upper_bound,
            uncapped_target,
        },
    )
}

fn container_policy() -> impl Strategy<Value = ContainerPolicyCase> {
    (
        proptest::sample::select(vec!["app", "sidecar", "db", "*", "other"]),
        proptest::option::of(resources()),
        proptest::option::of(resources()),
    )
        .prop_map(
            |(container_name, min_allowed, max_allowed)| ContainerPolicyCase {
                container_name,
                min_allowed,
                max_allowed,
            },
        )
}

/// Random recommendations and policies.
pub fn cases() -> BoxedStrategy<PolicyCase> {
    let recommendations = proptest::sample::subsequence(vec!["app", "sidecar", "db"], 1..=3)
        .prop_shuffle()
        .prop_flat_map(|names| names.into_iter().map(recommendation).collect::<Vec<_>>());
    let policy =
        proptest::option::weighted(0.8, proptest::collection::vec(container_policy(), 0..=4));
    (recommendations, policy, resources())
        .prop_map(|(recommendations, policy, global_max_allowed)| PolicyCase {
            recommendations,
            policy,
            global_max_allowed,
        })
        .boxed()
}

fn resources_answer(r: Resources) -> Value {
    json!({ "cpu_m": r.cpu_m, "memory_bytes": r.memory_bytes })
}

/// podscale's answer to `case`, in the harness's shape.
pub fn podscale(case: &PolicyCase) -> Value {
    let mut list: Vec<RecommendedContainerResources<'_>> = case
        .recommendations
        .iter()
        .map(|r| RecommendedContainerResources {
            container_name: r.container_name,
            target: r.target.into(),
            lower_bound: r.lower_bound.into(),
            upper_bound: r.upper_bound.into(),
            uncapped_target: r.uncapped_target.into(),
        })
        .collect();
    let container_policies: Option<Vec<ContainerResourcePolicy<'_>>> =
        case.policy.as_ref().map(|policies| {
            policies
                .iter()
                .map(|p| {
                    let mut policy = ContainerResourcePolicy::named(p.container_name);
                    policy.min_allowed = p.min_allowed.map_or(Resources::NONE, Into::into);
                    policy.max_allowed = p.max_allowed.map_or(Resources::NONE, Into::into);
                    policy
                })
                .collect()
        });
    let policy = container_policies.as_deref().map(PodResourcePolicy::new);
    apply_vpa_policy(&mut list, policy.as_ref(), case.global_max_allowed.into());
    let answer: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({
                "container_name": r.container_name,
                "target": resources_answer(r.target),
                "lower_bound": resources_answer(r.lower_bound),
                "upper_bound": resources_answer(r.upper_bound),
                "uncapped_target": resources_answer(r.uncapped_target),
            })
        })
        .collect();
    Value::Array(answer)
}
