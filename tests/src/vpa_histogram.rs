//! VPA suites histogram_options, histogram, checkpoint and decaying_histogram (being written).

use serde_json::Value;

use crate::json::Outcome;

pub(crate) fn histogram_options(_vector: &Value) -> Outcome<()> {
    Err("histogram_options is not implemented yet".into())
}

pub(crate) fn ops(_vector: &Value) -> Outcome<()> {
    Err("histogram ops are not implemented yet".into())
}
