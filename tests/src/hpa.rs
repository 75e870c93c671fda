//! The `hpa` family: each suite calls the core function its upstream test exercises.

use std::collections::HashMap;

use podscale::hpa::*;
use serde_json::Value;

use crate::json::*;

pub(crate) fn run(vector: &Value) -> Outcome<()> {
    let suite = string(vector, "suite")?;
    let input = field(vector, "input")?;
    let expect = field(vector, "expect")?;
    match suite {
        "defaults" => defaults(input, expect),
        "group_pods" => group_pods(input, expect),
        "replica_calculator" => replica_calculator(input, expect),
        "legacy_limits" => legacy_limits(input, expect),
        "stabilize_legacy" => stabilize_legacy(input, expect),
        "stabilize_behavior" => stabilize_behavior(input, expect),
        "scale_limit" => scale_limit(input, expect),
        "behavior_rate" => behavior_rate(input, expect),
        "scale_events" => scale_events(input, expect),
        "controller" => controller(input, expect),
        other => Err(format!("unknown hpa suite {other:?}")),
    }
}

// ---- parsing --------------------------------------------------------------------------------

fn direction(v: &Value) -> Outcome<ScalingDirection> {
    match string(v, "direction")? {
        "scale_up" => Ok(ScalingDirection::ScaleUp),
        "scale_down" => Ok(ScalingDirection::ScaleDown),
        other => Err(format!("unknown direction {other:?}")),
    }
}

fn policy(v: &Value) -> Outcome<ScalingPolicy> {
    let kind = match string(v, "type")? {
        "Pods" => ScalingPolicyType::Pods,
        "Percent" => ScalingPolicyType::Percent,
        other => return Err(format!("unknown policy type {other:?}")),
    };
    Ok(ScalingPolicy {
        kind,
        value: int32(v, "value")?,
        period_seconds: int32(v, "period_seconds")?,
    })
}

fn select_policy(s: &str) -> Outcome<SelectPolicy> {
    match s {
        "Max" => Ok(SelectPolicy::Max),
        "Min" => Ok(SelectPolicy::Min),
        "Disabled" => Ok(SelectPolicy::Disabled),
        other => Err(format!("unknown selectPolicy {other:?}")),
    }
}

fn rules(v: &Value) -> Outcome<ScalingRules> {
    let policies = match v.get("policies") {
        None | Some(Value::Null) => None,
        Some(_) => {
            let list = array(v, "policies")?
                .iter()
                .map(policy)
                .collect::<Outcome<Vec<_>>>()?;
            Some(heapless::Vec::from_slice(&list).map_err(|()| "too many policies".to_string())?)
        }
    };
    let select_policy = match v.get("select_policy") {
        None | Some(Value::Null) => None,
        Some(_) => Some(select_policy(string(v, "select_policy")?)?),
    };
    Ok(ScalingRules {
        stabilization_window_seconds: opt_int32(v, "stabilization_window_seconds")?,
        select_policy,
        policies,
        tolerance: opt_float(v, "tolerance")?,
    })
}

fn opt_rules(v: &Value, key: &str) -> Outcome<Option<ScalingRules>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(r) => rules(r).map(Some),
    }
}

fn recommendations(list: &[Value]) -> Outcome<Vec<Recommendation>> {
    list.iter()
        .map(|r| {
            Ok(Recommendation {
                replicas: int32(r, "replicas")?,
                timestamp_ms: seconds_ms(r, "timestamp")?,
            })
        })
        .collect()
}

fn events(list: &[Value]) -> Outcome<Vec<ScaleEvent>> {
    list.iter()
        .map(|e| {
            Ok(ScaleEvent {
                replica_change: int32(e, "replica_change")?,
                timestamp_ms: seconds_ms(e, "timestamp")?,
                outdated: match e.get("outdated") {
                    None | Some(Value::Null) => false,
                    Some(_) => boolean(e, "outdated")?,
                },
            })
        })
        .collect()
}

fn amounts(v: &Value, key: &str) -> Outcome<&'static [ResourceAmount<'static>]> {
    let map = field(v, key)?
        .as_object()
        .ok_or_else(|| format!("field {key:?} is not an object"))?;
    let mut out = Vec::new();
    for (resource, milli) in map {
        let milli = milli
            .as_i64()
            .ok_or_else(|| format!("{key}.{resource} is not an integer"))?;
        out.push(ResourceAmount::new(leak_str(resource), milli));
    }
    Ok(leak(out))
}

fn condition_status(s: &str) -> Outcome<ConditionStatus> {
    match s {
        "True" => Ok(ConditionStatus::True),
        "False" => Ok(ConditionStatus::False),
        "Unknown" => Ok(ConditionStatus::Unknown),
        other => Err(format!("unknown condition status {other:?}")),
    }
}

fn pods(v: &Value) -> Outcome<&'static [Pod<'static>]> {
    let mut out = Vec::new();
    for p in array(v, "pods")? {
        let phase = match string(p, "phase")? {
            "Running" => PodPhase::Running,
            "Pending" => PodPhase::Pending,
            "Failed" => PodPhase::Failed,
            "Succeeded" => PodPhase::Succeeded,
            "Unknown" => PodPhase::Unknown,
            other => return Err(format!("unknown pod phase {other:?}")),
        };
        let start_time_ms = match p.get("start_time") {
            None | Some(Value::Null) => None,
            Some(_) => Some(seconds_ms(p, "start_time")?),
        };
        let ready = match p.get("ready_condition") {
            None | Some(Value::Null) => None,
            Some(c) => Some(ReadyCondition {
                status: condition_status(string(c, "status")?)?,
                last_transition_time_ms: seconds_ms(c, "last_transition_time")?,
            }),
        };
        let mut containers = Vec::new();
        for c in array(p, "containers")? {
            let kind = match c.get("kind").and_then(Value::as_str) {
                None | Some("Regular") => ContainerKind::Regular,
                Some("Sidecar") => ContainerKind::Sidecar,
                Some("Init") => ContainerKind::Init,
                Some(other) => return Err(format!("unknown container kind {other:?}")),
            };
            containers.push(Container {
                kind,
                ..Container::new(leak_str(string(c, "name")?), amounts(c, "requests_milli")?)
            });
        }
        let pod_requests = match p.get("pod_requests_milli") {
            None | Some(Value::Null) => None,
            Some(_) => Some(amounts(p, "pod_requests_milli")?),
        };
        // spec.overhead; optional, absent in every vector that predates it.
        let overhead = match p.get("overhead_milli") {
            None | Some(Value::Null) => None,
            Some(_) => Some(amounts(p, "overhead_milli")?),
        };
        out.push(Pod {
            name: leak_str(string(p, "name")?),
            phase,
            deleting: boolean(p, "deleting")?,
            start_time_ms,
            ready,
            containers: leak(containers),
            pod_requests,
            overhead,
        });
    }
    Ok(leak(out))
}

fn resource_metrics(v: &Value) -> Outcome<&'static [PodResourceMetrics<'static>]> {
    let mut out = Vec::new();
    for m in array(v, "resource_metrics")? {
        let mut containers = Vec::new();
        for c in array(m, "containers")? {
            containers.push(ContainerUsage::new(
                leak_str(string(c, "name")?),
                amounts(c, "usage_milli")?,
            ));
        }
        out.push(PodResourceMetrics::new(
            leak_str(string(m, "pod")?),
            seconds_ms(m, "timestamp")?,
            seconds_ms(m, "window_seconds")?,
            leak(containers),
        ));
    }
    Ok(leak(out))
}

fn pod_metrics(v: &Value) -> Outcome<&'static [PodMetricSample<'static>]> {
    let mut out = Vec::new();
    for m in array(v, "pod_metrics")? {
        out.push(PodMetricSample {
            pod: leak_str(string(m, "pod")?),
            value_milli: int(m, "value_milli")?,
            timestamp_ms: seconds_ms(m, "timestamp")?,
            window_ms: seconds_ms(m, "window_seconds")?,
        });
    }
    Ok(leak(out))
}

fn external_values(v: &Value) -> Outcome<&'static [i64]> {
    let list = array(v, "external_metrics_milli")?
        .iter()
        .map(|x| {
            x.as_i64()
                .ok_or_else(|| "external_metrics_milli entry is not an integer".to_string())
        })
        .collect::<Outcome<Vec<_>>>()?;
    Ok(leak(list))
}

fn readiness(v: &Value) -> Outcome<ReadinessPeriods> {
    Ok(ReadinessPeriods {
        cpu_initialization_period_ms: seconds_ms(v, "cpu_initialization_period_seconds")?,
        delay_of_initial_readiness_status_ms: seconds_ms(
            v,
            "delay_of_initial_readiness_status_seconds",
        )?,
    })
}

fn rules_json(r: &ScalingRules) -> Value {
    serde_json::json!({
        "stabilization_window_seconds": r.stabilization_window_seconds,
        "select_policy": r.select_policy.map(|s| format!("{s:?}")),
        "policies": r.policies.as_ref().map(|ps| ps.iter().map(|p| serde_json::json!({
            "type": format!("{:?}", p.kind), "value": p.value, "period_seconds": p.period_seconds,
        })).collect::<Vec<_>>()),
    })
}

// ---- suites ---------------------------------------------------------------------------------

fn defaults(input: &Value, expect: &Value) -> Outcome<()> {
    let got = rules_json(&rules(field(input, "rules")?)?.defaulted(direction(input)?));
    for key in ["stabilization_window_seconds", "select_policy", "policies"] {
        check(key, field(expect, key)?, field(&got, key)?)?;
    }
    Ok(())
}

fn group_pods(input: &Value, expect: &Value) -> Outcome<()> {
    let resource = input
        .get("resource")
        .and_then(Value::as_str)
        .map(ResourceName::from);
    let periods = readiness(input)?;
    let mut samples = HashMap::new();
    for m in array(input, "metrics")? {
        samples.insert(
            string(m, "pod")?.to_string(),
            SampleTiming {
                timestamp_ms: seconds_ms(m, "timestamp")?,
                window_ms: seconds_ms(m, "window_seconds")?,
            },
        );
    }
    let (mut ready, mut unready, mut missing, mut ignored) =
        (0, Vec::new(), Vec::new(), Vec::new());
    for pod in pods(input)? {
        match classify_pod(pod, samples.get(pod.name).copied(), resource, &periods, 0) {
            PodClass::Ready => ready += 1,
            PodClass::Unready => unready.push(pod.name),
            PodClass::Missing => missing.push(pod.name),
            PodClass::Ignored => ignored.push(pod.name),
        }
    }
    check("ready_pod_count", int(expect, "ready_pod_count")?, ready)?;
    for (key, mut got) in [
        ("unready_pods", unready),
        ("missing_pods", missing),
        ("ignored_pods", ignored),
    ] {
        got.sort_unstable();
        let want: Vec<&str> = array(expect, key)?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        check(key, want, got)?;
    }
    Ok(())
}

fn replica_calculator(input: &Value, expect: &Value) -> Outcome<()> {
    let tolerances = field(input, "tolerances")?;
    let calc = ReplicaCalculator::new(
        Tolerances {
            scale_down: float(tolerances, "scale_down")?,
            scale_up: float(tolerances, "scale_up")?,
        },
        readiness(input)?,
    );
    let current = int32(input, "current_replicas")?;
    let target = int(input, "target")?;
    let pods = pods(input)?;
    let function = string(input, "function")?;
    let resource = || string(input, "resource").map(|r| ResourceName::from(leak_str(r)));
    let container = || input.get("container").and_then(Value::as_str).map(leak_str);
    let object = || int(input, "object_metric_milli");
    enum Got {
        Utilization(UtilizationProposal),
        Value(ValueProposal),
    }
    let got = match function {
        "GetResourceReplicas" => {
            let target =
                i32::try_from(target).map_err(|_| "target does not fit int32".to_string())?;
            calc.resource_utilization_replicas(
                current,
                target,
                resource()?,
                container(),
                pods,
                resource_metrics(input)?,
                0,
            )
            .map(Got::Utilization)
        }
        "GetRawResourceReplicas" => calc
            .resource_average_value_replicas(
                current,
                target,
                resource()?,
                container(),
                pods,
                resource_metrics(input)?,
                0,
            )
            .map(Got::Value),
        "GetMetricReplicas" => calc
            .pods_metric_replicas(current, target, "metric", pods, pod_metrics(input)?, 0)
            .map(Got::Value),
        "GetObjectMetricReplicas" => calc
            .object_value_replicas(current, target, object()?, pods)
            .map(Got::Value),
        "GetObjectPerPodMetricReplicas" => calc
            .object_average_value_replicas(current, target, object()?)
            .map(Got::Value),
        "GetExternalMetricReplicas" => calc
            .external_value_replicas(current, target, external_values(input)?, "metric", pods)
            .map(Got::Value),
        "GetExternalPerPodMetricReplicas" => calc
            .external_average_value_replicas(current, target, external_values(input)?, "metric")
            .map(Got::Value),
        other => return Err(format!("unknown function {other:?}")),
    };
    if let Some(want) = expect.get("error_contains").and_then(Value::as_str) {
        return match got {
            Err(e) if e.to_string().contains(want) => Ok(()),
            Err(e) => Err(format!(
                "expected an error containing {want:?}, got error {e:?} ({e})"
            )),
            Ok(_) => Err(format!(
                "expected an error containing {want:?}, got a proposal"
            )),
        };
    }
    match got.map_err(|e| format!("unexpected error: {e}"))? {
        Got::Utilization(p) => {
            check("replicas", int32(expect, "replicas")?, p.replicas)?;
            check("utilization", int32(expect, "utilization")?, p.utilization)?;
            check(
                "raw_value_milli",
                int(expect, "raw_value_milli")?,
                p.raw_average_milli,
            )
        }
        Got::Value(p) => {
            check("replicas", int32(expect, "replicas")?, p.replicas)?;
            check("usage_milli", int(expect, "usage_milli")?, p.usage_milli)
        }
    }
}

fn legacy_limits(input: &Value, expect: &Value) -> Outcome<()> {
    let got = limit_replicas_legacy(
        int32(input, "current_replicas")?,
        int32(input, "desired_replicas")?,
        int32(input, "min_replicas")?,
        int32(input, "max_replicas")?,
        float(input, "scale_up_limit_factor")?,
        float(input, "scale_up_limit_minimum")?,
    );
    check("replicas", int32(expect, "replicas")?, got.replicas)?;
    check("reason", string(expect, "reason")?, got.reason.as_str())
}

fn history(input: &Value) -> Outcome<heapless::Vec<Recommendation, 256>> {
    heapless::Vec::from_slice(&recommendations(array(input, "recommendations")?)?)
        .map_err(|()| "too many recommendations".to_string())
}

fn stabilize_legacy(input: &Value, expect: &Value) -> Outcome<()> {
    let mut history = history(input)?;
    let got = stabilize_recommendation(
        &mut history,
        int32(input, "desired_replicas")?,
        seconds_ms(input, "window_seconds")?,
        0,
    )
    .map_err(|e| e.to_string())?;
    check("replicas", int32(expect, "replicas")?, got)?;
    check(
        "recommendations_after_len",
        int(expect, "recommendations_after_len")?,
        history.len() as i64,
    )
}

fn stabilize_behavior(input: &Value, expect: &Value) -> Outcome<()> {
    let mut history = history(input)?;
    let got = stabilize_recommendation_with_behavior(
        &mut history,
        int32(input, "current_replicas")?,
        int32(input, "desired_replicas")?,
        seconds_ms(input, "scale_up_window_seconds")?,
        seconds_ms(input, "scale_down_window_seconds")?,
        0,
    )
    .map_err(|e| e.to_string())?;
    check("replicas", int32(expect, "replicas")?, got)?;
    if let Some(after) = expect
        .get("recommendations_after")
        .and_then(Value::as_array)
    {
        let want: Vec<i64> = after.iter().filter_map(Value::as_i64).collect();
        let got: Vec<i64> = history.iter().map(|r| i64::from(r.replicas)).collect();
        check("recommendations_after", want, got)?;
    }
    Ok(())
}

fn scale_limit(input: &Value, expect: &Value) -> Outcome<()> {
    let current = int32(input, "current_replicas")?;
    let rules = rules(field(input, "rules")?)?;
    let up = events(array(input, "scale_up_events")?)?;
    let down = events(array(input, "scale_down_events")?)?;
    let got = match direction(input)? {
        ScalingDirection::ScaleUp => scale_up_limit(current, &up, &down, &rules, 0),
        ScalingDirection::ScaleDown => scale_down_limit(current, &up, &down, &rules, 0),
    };
    check("limit", int32(expect, "limit")?, got)
}

fn behavior_rate(input: &Value, expect: &Value) -> Outcome<()> {
    let got = limit_replicas_with_behavior(
        int32(input, "current_replicas")?,
        int32(input, "desired_replicas")?,
        int32(input, "min_replicas")?,
        int32(input, "max_replicas")?,
        &rules(field(input, "scale_up")?)?,
        &rules(field(input, "scale_down")?)?,
        &events(array(input, "scale_up_events")?)?,
        &events(array(input, "scale_down_events")?)?,
        0,
    );
    check("replicas", int32(expect, "replicas")?, got.replicas)?;
    check("reason", string(expect, "reason")?, got.reason.as_str())
}

fn scale_events(input: &Value, expect: &Value) -> Outcome<()> {
    let before = events(array(input, "events_before")?)?;
    check(
        "replicas_change_last_60s_before",
        int32(expect, "replicas_change_last_60s_before")?,
        replicas_change_per_period(60, &before, 0),
    )?;
    let mut list: heapless::Vec<ScaleEvent, 128> =
        heapless::Vec::from_slice(&before).map_err(|()| "too many events".to_string())?;
    let (prev, new) = (
        int32(input, "prev_replicas")?,
        int32(input, "new_replicas")?,
    );
    // storeScaleEvent does nothing for an HPA without behavior.
    if let Some(rules) = opt_rules(input, "rules")? {
        let change = match direction(input)? {
            ScalingDirection::ScaleUp => new - prev,
            ScalingDirection::ScaleDown => prev - new,
        };
        store_scale_event(&mut list, &rules, change, 0).map_err(|e| e.to_string())?;
    }
    let want: Vec<(i64, bool)> = array(expect, "events_after")?
        .iter()
        .map(|e| Ok((int(e, "replica_change")?, boolean(e, "outdated")?)))
        .collect::<Outcome<_>>()?;
    let got: Vec<(i64, bool)> = list
        .iter()
        .map(|e| (i64::from(e.replica_change), e.outdated))
        .collect();
    check("events_after", want, got)
}

fn metric_target(m: &Value) -> Outcome<MetricTarget> {
    let t = field(m, "target")?;
    let value_key = match string(t, "type")? {
        "Utilization" => "average_utilization",
        "AverageValue" => "average_value_milli",
        _ => "value_milli",
    };
    if t.get(value_key).is_none_or(Value::is_null) {
        return Ok(MetricTarget::Unset);
    }
    match string(t, "type")? {
        "Utilization" => Ok(MetricTarget::Utilization(int32(t, "average_utilization")?)),
        "AverageValue" => Ok(MetricTarget::AverageValue(int(t, "average_value_milli")?)),
        "Value" => Ok(MetricTarget::Value(int(t, "value_milli")?)),
        other => Err(format!("unknown target type {other:?}")),
    }
}

fn controller(input: &Value, expect: &Value) -> Outcome<()> {
    let c = field(input, "config")?;
    let gates = field(input, "feature_gates")?;
    let config = ControllerConfig {
        tolerance: float(c, "tolerance")?,
        downscale_stabilization_window_ms: seconds_ms(c, "downscale_stabilization_window_seconds")?,
        readiness: readiness(c)?,
        scale_up_limit_factor: float(c, "scale_up_limit_factor")?,
        scale_up_limit_minimum: float(c, "scale_up_limit_minimum")?,
        feature_gates: FeatureGates {
            hpa_scale_to_zero: boolean(gates, "HPAScaleToZero")?,
            hpa_configurable_tolerance: boolean(gates, "HPAConfigurableTolerance")?,
            pod_level_resources: true,
        },
    };
    let api_errors = field(input, "metric_api_errors")?;
    let failing = |api: &str| {
        api_errors
            .get(api)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let mut metrics = Vec::new();
    let mut data = Vec::new();
    for m in array(input, "metrics")? {
        let kind = string(m, "type")?;
        let (spec, source) = match kind {
            "Resource" => (
                MetricSpec::Resource {
                    name: ResourceName::from(leak_str(string(m, "name")?)),
                    target: metric_target(m)?,
                },
                if failing("resource") {
                    MetricData::Unavailable
                } else {
                    MetricData::Resource(resource_metrics(input)?)
                },
            ),
            "ContainerResource" => (
                MetricSpec::ContainerResource {
                    name: ResourceName::from(leak_str(string(m, "name")?)),
                    container: leak_str(string(m, "container")?),
                    target: metric_target(m)?,
                },
                if failing("resource") {
                    MetricData::Unavailable
                } else {
                    MetricData::Resource(resource_metrics(input)?)
                },
            ),
            "Pods" => (
                MetricSpec::Pods {
                    metric: leak_str(string(m, "metric")?),
                    target: metric_target(m)?,
                },
                if failing("custom") {
                    MetricData::Unavailable
                } else {
                    MetricData::Pods(pod_metrics(input)?)
                },
            ),
            "Object" => (
                MetricSpec::Object {
                    metric: leak_str(string(m, "metric")?),
                    target: metric_target(m)?,
                },
                if failing("custom") {
                    MetricData::Unavailable
                } else {
                    MetricData::Object(int(input, "object_metric_milli")?)
                },
            ),
            "External" => (
                MetricSpec::External {
                    metric: leak_str(string(m, "metric")?),
                    target: metric_target(m)?,
                },
                if failing("external") {
                    MetricData::Unavailable
                } else {
                    MetricData::External(external_values(input)?)
                },
            ),
            other => (
                MetricSpec::Unknown {
                    kind: leak_str(other),
                },
                MetricData::Unavailable,
            ),
        };
        metrics.push(spec);
        data.push(source);
    }
    let behavior = match input.get("behavior") {
        None | Some(Value::Null) => None,
        Some(b) => Some(Behavior {
            scale_up: opt_rules(b, "scale_up")?,
            scale_down: opt_rules(b, "scale_down")?,
        }),
    };
    let spec = HpaSpec {
        min_replicas: opt_int32(input, "min_replicas")?,
        max_replicas: int32(input, "max_replicas")?,
        metrics: heapless::Vec::from_slice(&metrics)
            .map_err(|()| "too many metrics".to_string())?,
        behavior,
    };
    let mut state: HpaState = HpaState::new();
    for cond in array(input, "conditions_before")? {
        let kind = ConditionType::parse(string(cond, "type")?).ok_or("unknown condition type")?;
        let reason =
            ConditionReason::parse(string(cond, "reason")?).ok_or("unknown condition reason")?;
        state
            .conditions
            .set(kind, condition_status(string(cond, "status")?)?, reason, 0);
    }
    if let Some(list) = input.get("recommendations").and_then(Value::as_array) {
        state.recommendations = Some(
            heapless::Vec::from_slice(&recommendations(list)?)
                .map_err(|()| "too many recommendations")?,
        );
    }
    state.scale_up_events = heapless::Vec::from_slice(&events(array(input, "scale_up_events")?)?)
        .map_err(|()| "too many events")?;
    state.scale_down_events =
        heapless::Vec::from_slice(&events(array(input, "scale_down_events")?)?)
            .map_err(|()| "too many events")?;
    state.desired_replicas = int32(input, "status_desired_replicas")?;
    let data = leak(data);
    let observation = Observation::new(
        int32(input, "spec_replicas")?,
        int32(input, "status_replicas")?,
        pods(input)?,
        data,
    );
    let decision = sync(&spec, &config, &mut state, &observation, 0).map_err(|e| e.to_string())?;
    check(
        "desired_replicas",
        int32(expect, "desired_replicas")?,
        state.desired_replicas,
    )?;
    check("rescale", boolean(expect, "rescale")?, decision.rescale)?;
    let want: Vec<(String, String, String)> = array(expect, "conditions")?
        .iter()
        .map(|c| {
            Ok((
                string(c, "type")?.into(),
                string(c, "status")?.into(),
                string(c, "reason")?.into(),
            ))
        })
        .collect::<Outcome<_>>()?;
    let got: Vec<(String, String, String)> = state
        .conditions
        .as_slice()
        .iter()
        .map(|c| {
            (
                c.kind.as_str().into(),
                format!("{:?}", c.status),
                c.reason.as_str().into(),
            )
        })
        .collect();
    check("conditions", want, got)?;
    if let Some(want) = expect.get("cpu_utilization").and_then(Value::as_i64) {
        let got = decision
            .metrics
            .iter()
            .find_map(|m| m.as_ref().ok().and_then(|p| p.current.average_utilization))
            .map(i64::from);
        check("cpu_utilization", Some(want), got)?;
    }
    Ok(())
}
