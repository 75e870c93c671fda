//! VPA suites of the container model, estimators, recommender and post-processing (being written).

use serde_json::Value;

use crate::json::Outcome;

pub(crate) fn container_state(_vector: &Value) -> Outcome<()> {
    Err("container_state is not implemented yet".into())
}

pub(crate) fn aggregate_state(_vector: &Value) -> Outcome<()> {
    Err("aggregate_state is not implemented yet".into())
}

pub(crate) fn estimator(_vector: &Value) -> Outcome<()> {
    Err("estimator is not implemented yet".into())
}

pub(crate) fn pod_recommender(_vector: &Value) -> Outcome<()> {
    Err("pod_recommender is not implemented yet".into())
}

pub(crate) fn pipeline(_vector: &Value) -> Outcome<()> {
    Err("pipeline is not implemented yet".into())
}

pub(crate) fn resource_conversion(_vector: &Value) -> Outcome<()> {
    Err("resource_conversion is not implemented yet".into())
}

pub(crate) fn capping(_vector: &Value) -> Outcome<()> {
    Err("capping is not implemented yet".into())
}

pub(crate) fn proportional_limit(_vector: &Value) -> Outcome<()> {
    Err("proportional_limit is not implemented yet".into())
}

pub(crate) fn update_priority(_vector: &Value) -> Outcome<()> {
    Err("update_priority is not implemented yet".into())
}
