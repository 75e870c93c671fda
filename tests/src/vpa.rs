//! The `vpa` family: each suite calls the core functions its upstream test exercises.

use serde_json::Value;

use crate::json::*;

pub(crate) fn run(vector: &Value) -> Outcome<()> {
    match string(vector, "suite")? {
        "histogram_options" => crate::vpa_histogram::histogram_options(vector),
        "histogram" | "checkpoint" | "decaying_histogram" => crate::vpa_histogram::ops(vector),
        "container_state" => crate::vpa_recommendation::container_state(vector),
        "aggregate_state" => crate::vpa_recommendation::aggregate_state(vector),
        "estimator" => crate::vpa_recommendation::estimator(vector),
        "pod_recommender" => crate::vpa_recommendation::pod_recommender(vector),
        "pipeline" => crate::vpa_recommendation::pipeline(vector),
        "resource_conversion" => crate::vpa_recommendation::resource_conversion(vector),
        "capping" => crate::vpa_recommendation::capping(vector),
        "proportional_limit" => crate::vpa_recommendation::proportional_limit(vector),
        "update_priority" => crate::vpa_recommendation::update_priority(vector),
        other => Err(format!("unknown vpa suite {other:?}")),
    }
}
