//! Suites A, A', B and B' of the `keda` family: cron expressions and the cron trigger.

use podscale::cron::{Schedule, Zone};
use podscale::keda::{CronTrigger, MetricNameForm, WindowMode};
use serde_json::Value;

use crate::json::*;
use crate::time::rfc3339_ms;

fn zone(name: &str) -> Outcome<Zone> {
    Zone::from_name(name).map_err(|e| format!("zone {name:?}: {e}"))
}

fn instant(v: &Value, key: &str) -> Outcome<Option<i64>> {
    match field(v, key)? {
        Value::Null => Ok(None),
        _ => rfc3339_ms(string(v, key)?).map(Some),
    }
}

/// Suite A: `Next` from an instant in a zone.
pub(crate) fn next(vector: &Value) -> Outcome<()> {
    let expr = string(vector, "expr")?;
    let schedule = Schedule::parse(expr).map_err(|e| format!("parse {expr:?}: {e}"))?;
    let from = instant(vector, "from")?.ok_or("no \"from\" instant")?;
    let got = schedule.next_after(from, zone(string(vector, "tz")?)?);
    check("next", instant(vector, "expected_next")?, got)
}

/// Suite A': expressions KEDA refuses, with robfig's message.
pub(crate) fn parse_error(vector: &Value) -> Outcome<()> {
    let expr = string(vector, "expr")?;
    let expected = string(vector, "expected_error")?;
    match Schedule::parse(expr) {
        Ok(_) => Err(format!(
            "expected the error {expected:?}, the expression parsed"
        )),
        // robfig panics on a prefix without a space; the vector describes the panic.
        Err(e @ podscale::cron::CronError::PrefixWithoutSpace { .. })
            if expected.starts_with("robfig panics") =>
        {
            let _ = e;
            Ok(())
        }
        Err(e) => check(
            "error",
            expected.to_string(),
            e.robfig_message().to_string(),
        ),
    }
}

fn metadata_pairs(v: &Value) -> Outcome<Vec<(&'static str, &'static str)>> {
    let map = v.as_object().ok_or("metadata is not an object")?;
    map.iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .ok_or_else(|| format!("metadata {k:?} is not a string"))?;
            Ok((leak_str(k), leak_str(v)))
        })
        .collect()
}

/// Suite B: validity, activity, metric value and name of a trigger at an instant.
pub(crate) fn window(vector: &Value) -> Outcome<()> {
    let t = field(vector, "trigger")?;
    let mut metadata = Vec::new();
    for key in ["timezone", "start", "end", "desiredReplicas"] {
        metadata.push((key, leak_str(string(t, key)?)));
    }
    let index = usize::try_from(int(t, "triggerIndex")?).map_err(|_| "negative triggerIndex")?;
    let expected = field(vector, "expected")?;
    // podscale's own vectors select the civil window; upstream's never do.
    let window_mode = match t.get("windowMode").and_then(Value::as_str) {
        None | Some("Keda") => WindowMode::Keda,
        Some("Civil") => WindowMode::Civil,
        Some(other) => return Err(format!("unknown windowMode {other:?}")),
    };
    let trigger = match CronTrigger::from_metadata(&metadata, index) {
        Ok(trigger) => CronTrigger {
            window_mode,
            ..trigger
        },
        Err(e) => {
            if boolean(expected, "valid")? {
                return Err(format!("expected a valid trigger, got: {e}"));
            }
            let want = string(expected, "error")?;
            return match e.validation {
                Some(validation) => check("error", want.to_string(), validation.to_string()),
                None => Err(format!("expected {want:?}, got: {e}")),
            };
        }
    };
    if !boolean(expected, "valid")? {
        return Err(format!(
            "expected the error {:?}, the trigger was accepted",
            expected.get("error")
        ));
    }
    // Upstream's vectors carry every field; podscale's civil-mode vectors only those they pin.
    let optional = |key: &str| t.get("windowMode").is_some() && expected.get(key).is_none();
    if !optional("metric_name") {
        check(
            "metric_name",
            string(expected, "metric_name")?.to_string(),
            trigger.metric_name().to_string(),
        )?;
    }
    if let Some(legacy) = vector
        .get("legacy")
        .and_then(|l| l.get("metric_name_before_v2_20"))
    {
        let before = CronTrigger {
            metric_name_form: MetricNameForm::BeforeV2_20,
            ..trigger
        };
        check(
            "legacy metric_name",
            legacy.as_str().map(String::from),
            Some(before.metric_name().to_string()),
        )?;
    }
    let now = rfc3339_ms(string(vector, "now")?)?;
    match trigger.evaluate(now) {
        Err(e) => check(
            "runtime_error",
            string(expected, "runtime_error")?.to_string(),
            e.to_string(),
        ),
        Ok(activity) => {
            check("active", boolean(expected, "active")?, activity.active)?;
            check(
                "metric_value",
                float(expected, "metric_value")?,
                activity.metric_value,
            )?;
            for (key, got) in [
                ("next_start", activity.next_start_ms),
                ("next_end", activity.next_end_ms),
            ] {
                if !optional(key) {
                    check(key, instant(expected, key)?, got)?;
                }
            }
            Ok(())
        }
    }
}

/// Suite B': metadata validation.
pub(crate) fn metadata_validation(vector: &Value) -> Outcome<()> {
    let metadata = metadata_pairs(field(vector, "metadata")?)?;
    let expected = field(vector, "expected")?;
    match (
        CronTrigger::from_metadata(&metadata, 0),
        boolean(expected, "valid")?,
    ) {
        (Ok(_), true) => Ok(()),
        (Ok(_), false) => Err("expected an error, the metadata was accepted".into()),
        (Err(e), true) => Err(format!("expected valid metadata, got: {e}")),
        (Err(e), false) => {
            let text = e.to_string();
            for want in array(expected, "error_contains")?
                .iter()
                .filter_map(Value::as_str)
            {
                if !text.contains(want) {
                    return Err(format!("error {text:?} does not contain {want:?}"));
                }
            }
            Ok(())
        }
    }
}
