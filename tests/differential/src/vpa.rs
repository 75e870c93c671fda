//! The VPA recommender family: podscale's `vpa` module against kubernetes/autoscaler's
//! vertical-pod-autoscaler v1.8.1 (the harness's `tests/upstream/vpa*.go`).
//!
//! Each case is one of:
//!
//! | case | podscale | upstream op |
//! | --- | --- | --- |
//! | [`histogram`] | `HistogramOptions`, `Histogram`, `DecayingHistogram` | `vpa_histogram`: `util.New*HistogramOptions`, `NewHistogram`, `NewDecayingHistogram` |
//! | [`recommend`] | `ContainerState`, `AggregateContainerState`, `recommend_pod` | `vpa_recommend`: `model.ContainerState`, `NewAggregateContainerState`, `logic.CreatePodResourceRecommender` |
//! | [`resource_list`] | `resources_as_resource_list` | `vpa_resources_as_resource_list`: `model.ResourcesAsResourceList` |
//! | [`policy`] | `apply_vpa_policy` | `vpa_apply_policy`: `vpa_utils.ApplyVPAPolicy` |
//!
//! Floats are compared by their bits. Answers on both sides are built as the same JSON shape
//! and compared as JSON values.

use proptest::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::{Family, Harness, Verdict};

pub mod histogram;
pub mod policy;
pub mod recommend;
pub mod resource_list;

/// The vpa family.
#[derive(Debug)]
pub struct Vpa;

/// One generated VPA input; its JSON is the reproducer printed for a disagreement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VpaCase {
    /// Histogram options and a sequence of histogram operations.
    Histogram(histogram::HistogramCase),
    /// Usage events for up to three containers, then the pod recommendation.
    Recommend(recommend::RecommendCase),
    /// One status resource list.
    ResourceList(resource_list::ResourceListCase),
    /// A recommendation bounded by a resource policy.
    ApplyPolicy(policy::PolicyCase),
}

impl Family for Vpa {
    const NAME: &'static str = "vpa";
    type Case = VpaCase;

    fn cases() -> BoxedStrategy<VpaCase> {
        prop_oneof![
            4 => histogram::cases().prop_map(VpaCase::Histogram),
            4 => recommend::cases().prop_map(VpaCase::Recommend),
            1 => resource_list::cases().prop_map(VpaCase::ResourceList),
            1 => policy::cases().prop_map(VpaCase::ApplyPolicy),
        ]
        .boxed()
    }

    fn check(case: &VpaCase, harness: &mut Harness) -> Result<(), Verdict> {
        let (podscale, upstream) = match case {
            VpaCase::Histogram(c) => (histogram::podscale(c), harness.ask("vpa_histogram", c)?),
            VpaCase::Recommend(c) => (recommend::podscale(c), harness.ask("vpa_recommend", c)?),
            VpaCase::ResourceList(c) => (
                resource_list::podscale(c),
                harness.ask("vpa_resources_as_resource_list", c)?,
            ),
            VpaCase::ApplyPolicy(c) => (policy::podscale(c), harness.ask("vpa_apply_policy", c)?),
        };
        agree(&podscale, &upstream)
    }
}

/// Ok when the two answers are the same JSON value.
fn agree(podscale: &Value, upstream: &Value) -> Result<(), Verdict> {
    if podscale == upstream {
        Ok(())
    } else {
        Err(Verdict::disagree(podscale, upstream))
    }
}

/// A value that podscale refused to compute, as an answer upstream can never give.
fn refused(what: &str, error: impl std::fmt::Display) -> Value {
    serde_json::json!({ "podscale_refused": format!("{what}: {error}") })
}

/// A float drawn log-uniformly from `[low, high]` (both positive).
fn log_uniform(low: f64, high: f64) -> impl Strategy<Value = f64> {
    (low.ln()..=high.ln()).prop_map(f64::exp)
}
