//! The `keda` family: cron expressions and the cron trigger, ScaledObject sequences and the HPA
//! KEDA generates.

use serde_json::Value;

use crate::json::Outcome;

/// The suites of a `keda` vector file, each a top-level array.
pub(crate) const SUITES: &[&str] = &[
    "cron_next",
    "cron_parse_errors",
    "cron_window",
    "trigger_metadata_validation",
    "scaledobject_sequences",
    "hpa_and_bounds",
];

pub(crate) fn run(suite: &str, vector: &Value) -> Outcome<()> {
    match suite {
        "cron_next" => crate::keda_cron::next(vector),
        "cron_parse_errors" => crate::keda_cron::parse_error(vector),
        "cron_window" => crate::keda_cron::window(vector),
        "trigger_metadata_validation" => crate::keda_cron::metadata_validation(vector),
        "scaledobject_sequences" => crate::keda_scaled_object::sequence(vector),
        "hpa_and_bounds" => crate::keda_scaled_object::hpa_and_bounds(vector),
        other => Err(format!("keda suite {other:?} is not implemented yet")),
    }
}
