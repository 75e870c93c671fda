//! Suites C and D of the `keda` family: ScaledObject poll sequences (KEDA's executor, then the
//! idealised HPA of spec section 6.2) and the generated HPA with its validation.

use podscale::hpa::{MetricSpec, MetricTarget};
use podscale::keda::*;
use serde_json::{Value, json};

use crate::json::*;
use crate::time::rfc3339_ms;

// ---- parsing --------------------------------------------------------------------------------

fn opt_str<'v>(v: &'v Value, key: &str) -> Outcome<Option<&'v str>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => string(v, key).map(Some),
    }
}

fn opt_bool(v: &Value, key: &str) -> Outcome<bool> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(_) => boolean(v, key),
    }
}

fn opt_instant(v: &Value, key: &str) -> Outcome<Option<i64>> {
    opt_str(v, key)?.map(rfc3339_ms).transpose()
}

fn string_map(v: &Value, key: &str) -> Outcome<Vec<(&'static str, &'static str)>> {
    let Some(map) = v.get(key) else {
        return Ok(Vec::new());
    };
    let map = map
        .as_object()
        .ok_or_else(|| format!("field {key:?} is not an object"))?;
    map.iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .ok_or_else(|| format!("{key}.{k} is not a string"))?;
            Ok((leak_str(k), leak_str(v)))
        })
        .collect()
}

fn metric_type(v: &Value) -> Outcome<Option<MetricTargetType>> {
    MetricTargetType::parse(opt_str(v, "metricType")?.unwrap_or("")).map_err(|e| e.to_string())
}

fn trigger(v: &Value) -> Outcome<Trigger<'static>> {
    Ok(Trigger {
        trigger_type: leak_str(string(v, "type")?),
        name: leak_str(opt_str(v, "name")?.unwrap_or("")),
        use_cached_metrics: opt_bool(v, "useCachedMetrics")?,
        metric_type: metric_type(v)?,
    })
}

fn advanced(v: &Value) -> Outcome<AdvancedConfig<'static>> {
    let mut advanced = AdvancedConfig {
        restore_to_original_replica_count: opt_bool(v, "restoreToOriginalReplicaCount")?,
        ..AdvancedConfig::default()
    };
    if let Some(hpa) = v.get("horizontalPodAutoscalerConfig") {
        if hpa.get("behavior").is_some_and(|b| !b.is_null()) {
            return Err("horizontalPodAutoscalerConfig.behavior is not read by this runner".into());
        }
        advanced.horizontal_pod_autoscaler_config = Some(HorizontalPodAutoscalerConfig {
            name: leak_str(opt_str(hpa, "name")?.unwrap_or("")),
            behavior: None,
        });
    }
    if let Some(m) = v.get("scalingModifiers") {
        advanced.scaling_modifiers = ScalingModifiers {
            formula: leak_str(opt_str(m, "formula")?.unwrap_or("")),
            target: leak_str(opt_str(m, "target")?.unwrap_or("")),
            activation_target: leak_str(opt_str(m, "activationTarget")?.unwrap_or("")),
            metric_type: metric_type(m)?,
        };
    }
    Ok(advanced)
}

fn fallback(v: &Value) -> Outcome<Fallback> {
    Ok(Fallback {
        failure_threshold: int32(v, "failureThreshold")?,
        replicas: int32(v, "replicas")?,
        behavior: FallbackBehavior::parse(leak_str(opt_str(v, "behavior")?.unwrap_or("")))
            .map_err(|e| e.to_string())?,
    })
}

/// A ScaledObject as the vectors write it (a flattened manifest).
fn scaled_object(v: &Value) -> Outcome<ScaledObjectSpec<'static>> {
    let triggers = match v.get("triggers") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) => array(v, "triggers")?
            .iter()
            .map(trigger)
            .collect::<Outcome<Vec<_>>>()?,
    };
    let annotations = string_map(v, "annotations")?;
    let mut so = ScaledObjectSpec::new(leak_str(opt_str(v, "name")?.unwrap_or("")), &triggers)
        .map_err(|e| e.to_string())?;
    so.creation_timestamp_ms = opt_instant(v, "creationTimestamp")?;
    so.annotations = Annotations::from_pairs(annotations).map_err(|e| e.to_string())?;
    so.polling_interval_seconds = opt_int32(v, "pollingInterval")?;
    so.initial_cooldown_period_seconds = opt_int32(v, "initialCooldownPeriod")?;
    so.cooldown_period_seconds = opt_int32(v, "cooldownPeriod")?;
    so.idle_replica_count = opt_int32(v, "idleReplicaCount")?;
    so.min_replica_count = opt_int32(v, "minReplicaCount")?;
    so.max_replica_count = opt_int32(v, "maxReplicaCount")?;
    so.advanced = match v.get("advanced") {
        None | Some(Value::Null) => None,
        Some(a) => Some(advanced(a)?),
    };
    so.fallback = match v.get("fallback") {
        None | Some(Value::Null) => None,
        Some(f) => Some(fallback(f)?),
    };
    Ok(so)
}

fn observation(v: &Value) -> Outcome<TriggerObservation> {
    Ok(TriggerObservation {
        active: boolean(v, "active")?,
        metric: float(v, "metric")?,
        error: opt_bool(v, "error")?,
    })
}

// ---- suite C --------------------------------------------------------------------------------

/// The idealised HPA of spec section 6.2, one evaluation at an observation instant: the max of
/// `ceil(metric / target)` over non-erroring triggers, clamped to the HPA's bounds; never below
/// the current count while a trigger errors; paused-scale-in/out forbid decreases/increases.
fn ideal_hpa(
    so: &ScaledObjectSpec<'_>,
    replicas: i32,
    observations: &[TriggerObservation],
    targets: &[f64],
) -> i32 {
    if replicas < 1 {
        return replicas;
    }
    let proposal = observations
        .iter()
        .zip(targets)
        .filter(|(o, _)| !o.error)
        .map(|(o, target)| (o.metric / target).ceil() as i32)
        .max();
    let Some(proposal) = proposal else {
        return replicas;
    };
    let mut desired = proposal
        .max(so.hpa_min_replicas())
        .min(so.hpa_max_replicas());
    if observations.iter().any(|o| o.error) || so.annotations.paused_scale_in {
        desired = desired.max(replicas);
    }
    if so.annotations.paused_scale_out {
        desired = desired.min(replicas);
    }
    desired
}

/// Suite C: one ScaledObject polled at each observation instant; KEDA's action, Active reason
/// and `lastActiveTime` after each poll, then the replica count after the idealised HPA.
pub(crate) fn sequence(vector: &Value) -> Outcome<()> {
    let so_json = field(vector, "scaledObject")?;
    let so = scaled_object(so_json)?;
    let targets = array(so_json, "triggers")?
        .iter()
        .map(|t| float(t, "hpaTargetAverageValue"))
        .collect::<Outcome<Vec<_>>>()?;
    match string(vector, "hpa_model")? {
        "ideal" => {}
        other => return Err(format!("unknown hpa_model {other:?}")),
    }
    let initial = field(vector, "initial")?;
    let mut replicas = int32(initial, "replicas")?;
    let mut state: ScaledObjectState = ScaledObjectState::new();
    state.last_active_time_ms = opt_instant(initial, "lastActiveTime")?;
    let mut condition: Option<&str> = None;
    let observations = array(vector, "observations")?;
    let expected = array(vector, "expected")?;
    check(
        "number of expected entries",
        observations.len(),
        expected.len(),
    )?;
    for (obs, exp) in observations.iter().zip(expected) {
        let t = string(obs, "t")?;
        let at = |e: String| format!("at {t}: {e}");
        let now = rfc3339_ms(t)?;
        check("t", now, rfc3339_ms(string(exp, "t")?)?).map_err(at)?;
        let seen = array(obs, "triggers")?
            .iter()
            .map(observation)
            .collect::<Outcome<Vec<_>>>()?;
        let decision =
            poll(&so, &mut state, &seen, replicas, now).map_err(|e| at(e.to_string()))?;

        let expected_action = match field(exp, "keda_action")? {
            Value::Null => None,
            a => Some((
                string(a, "kind")?.to_string(),
                int32(a, "scale_from")?,
                int32(a, "scale_to")?,
            )),
        };
        let action = decision
            .action
            .map(|a| (a.kind.as_str().to_string(), a.scale_from, a.scale_to));
        check("keda_action", expected_action, action).map_err(at)?;
        // A paused poll leaves the Active condition as it was.
        if let Some(reason) = decision.active {
            condition = Some(reason.as_str());
        }
        check(
            "active_condition",
            Some(string(exp, "active_condition")?),
            condition,
        )
        .map_err(at)?;
        check(
            "last_active_time",
            opt_instant(exp, "last_active_time")?,
            state.last_active_time_ms,
        )
        .map_err(at)?;

        if let Some(a) = decision.action.filter(|a| a.written) {
            replicas = a.scale_to;
        }
        if decision.paused {
            // KEDA's controller deletes the HPA of a paused ScaledObject and holds the target at
            // `paused-replicas` when given (spec 5.8).
            replicas = so.annotations.paused_replicas.unwrap_or(replicas);
        } else {
            replicas = ideal_hpa(&so, replicas, &seen, &targets);
        }
        check("replicas_after", int32(exp, "replicas_after")?, replicas).map_err(at)?;
    }
    Ok(())
}

// ---- suite D --------------------------------------------------------------------------------

/// A quantity of milli-units as the API prints it: `1`, `500m`.
fn quantity(milli: i64) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// One `spec.metrics` entry of the generated HPA as JSON (External metrics only: the vectors'
/// triggers are all cron).
fn metric_json(metric: &MetricSpec<'_>, selector_value: &str) -> Outcome<Value> {
    let MetricSpec::External { metric, target } = metric else {
        return Err(format!(
            "unexpected metric in the generated HPA: {metric:?}"
        ));
    };
    let target = match target {
        MetricTarget::AverageValue(m) => {
            json!({"type": "AverageValue", "averageValue": quantity(*m)})
        }
        MetricTarget::Value(m) => json!({"type": "Value", "value": quantity(*m)}),
        other => return Err(format!("unexpected external target {other:?}")),
    };
    Ok(json!({
        "type": "External",
        "external": {
            "metric": {
                "name": metric,
                "selector": {"matchLabels": {SCALED_OBJECT_NAME_LABEL: selector_value}},
            },
            "target": target,
        },
    }))
}

/// Each trigger's metric spec as its scaler builds it; only cron triggers are in the vectors.
fn trigger_metrics(input: &Value) -> Outcome<Vec<MetricSpec<'static>>> {
    array(input, "triggers")?
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let kind = string(t, "type")?;
            if kind != "cron" {
                return Err(format!("trigger type {kind:?} is not built by this runner"));
            }
            let metadata = string_map(t, "metadata")?;
            let cron = CronTrigger::from_metadata(&metadata, index)
                .map_err(|e| format!("cron trigger {index}: {e}"))?;
            let name = leak_str(&cron.metric_name().to_string());
            // The cron trigger's target is the constant 1 [GetMetricTarget].
            external_metric_spec(name, metric_type(t)?, 1000).map_err(|e| e.to_string())
        })
        .collect()
}

/// Suite D: HPA bounds, name and metrics of a (partial) ScaledObject, or its validation.
pub(crate) fn hpa_and_bounds(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?
        .as_object()
        .ok_or("field \"expected\" is not an object")?;
    let so = scaled_object(input)?;
    for (key, want) in expected {
        match key.as_str() {
            "hpaMinReplicas" => check(key, want.as_i64(), Some(i64::from(so.hpa_min_replicas())))?,
            "hpaMaxReplicas" => check(key, want.as_i64(), Some(i64::from(so.hpa_max_replicas())))?,
            "hpaName" => check(
                key,
                want.as_str().map(String::from),
                Some(so.hpa_name().map_err(|e| e.to_string())?.to_string()),
            )?,
            "hpaMetrics" => {
                let metrics = trigger_metrics(input)?;
                let hpa = so.generate_hpa(&metrics).map_err(|e| e.to_string())?;
                let got = hpa
                    .spec
                    .metrics
                    .iter()
                    .map(|m| metric_json(m, hpa.selector_value))
                    .collect::<Outcome<Vec<_>>>()?;
                check(key, want.clone(), Value::Array(got))?;
            }
            "valid" => {
                let valid = want.as_bool().ok_or("expected.valid is not a boolean")?;
                match (valid, so.validate()) {
                    (true, Ok(())) => {}
                    (true, Err(e)) => return Err(format!("expected valid, got error {e:?}: {e}")),
                    (false, Ok(())) => {
                        return Err("expected an error, the ScaledObject is valid".into());
                    }
                    (false, Err(e)) => {
                        let text = e.to_string();
                        if let Some(exact) = expected.get("error").and_then(Value::as_str) {
                            check("error", exact, text.as_str())?;
                        }
                        if let Some(part) = expected.get("error_contains").and_then(Value::as_str) {
                            if !text.contains(part) {
                                return Err(format!("error {text:?} does not contain {part:?}"));
                            }
                        }
                    }
                }
            }
            "error" | "error_contains" => {
                if expected.get("valid").is_none() {
                    return Err(format!("expected.{key} without expected.valid"));
                }
            }
            other => return Err(format!("unknown expectation {other:?}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(quantity(1000), "1");
        assert_eq!(quantity(2500), "2500m");
    }
}
