//! `simulate`: the manifests and demand of `podscale simulate`, replayed through the core (the
//! controller crate's run, via `podscale-bindings`), a typed-array column per field.

use napi::bindgen_prelude::{
    Array, Float64Array, FromNapiValue, JsObjectValue, JsValue, Object, Unknown,
};
use napi::{Env, ValueType};
use podscale_bindings::Error;
use podscale_bindings::simulate::{self, Demand, DemandColumn, SimulateOptions};
use serde_json::Value;

use crate::convert::{decode, is_absent, to_json};
use crate::error::{Failure, guard};

/// A manifest argument: YAML (or JSON) text, one or more documents, or an object.
fn manifest(index: usize, value: &Unknown<'_>) -> Result<(String, String), Failure> {
    let name = format!("manifests[{index}]");
    let text = match to_json(value, &name)? {
        Value::String(text) => text,
        object @ Value::Object(_) => object.to_string(),
        other => {
            return Err(
                Error::validation(&name, "a manifest is YAML text or an object")
                    .with_value(other)
                    .into(),
            );
        }
    };
    Ok((name, text))
}

/// The demand: CSV text, a Prometheus `query_range` answer (object or JSON text), or columns
/// `{times, cpu | rps | clients, relative?}` of typed arrays or plain arrays.
fn demand(value: &Unknown<'_>) -> Result<Demand, Failure> {
    if value.get_type()? == ValueType::String {
        let text = String::from_unknown(*value)?;
        let name = "demand".to_string();
        return Ok(if text.trim_start().starts_with('{') {
            Demand::Prometheus { name, text }
        } else {
            Demand::Csv { name, text }
        });
    }
    let json = to_json(value, "demand")?;
    let Value::Object(map) = json else {
        return Err(
            Error::validation("demand", "CSV text, a query_range answer or columns")
                .with_value(json)
                .into(),
        );
    };
    if map.contains_key("status") || map.contains_key("data") {
        return Ok(Demand::Prometheus {
            name: "demand".into(),
            text: Value::Object(map).to_string(),
        });
    }
    let whole = |v: &Value, path: String| -> Result<i64, Failure> {
        v.as_i64().ok_or_else(|| {
            Error::validation(path, "not a whole number")
                .with_value(v)
                .into()
        })
    };
    let column = |key: &str| -> Result<Option<Vec<i64>>, Failure> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| whole(v, format!("demand.{key}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(
                Error::validation(format!("demand.{key}"), "an array of numbers")
                    .with_value(other)
                    .into(),
            ),
        }
    };
    let times = column("times")?.ok_or_else(|| Error::validation("demand.times", "missing"))?;
    let (kind, values) = match (column("cpu")?, column("rps")?, column("clients")?) {
        (Some(v), None, None) => (DemandColumn::Cpu, v),
        (None, Some(v), None) => (DemandColumn::Rps, v),
        (None, None, Some(v)) => (DemandColumn::Clients, v),
        _ => return Err(Error::validation("demand", "exactly one of cpu, rps, clients").into()),
    };
    let relative = match map.get("relative") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Error::validation("demand.relative", "a boolean")
                .with_value(other)
                .into());
        }
    };
    Ok(Demand::Columns {
        kind,
        times,
        values,
        relative,
    })
}

fn floats(v: Vec<i64>) -> Float64Array {
    Float64Array::new(v.into_iter().map(|x| x as f64).collect())
}

/// Replays Kubernetes manifests against a demand series, as `podscale simulate` does, and
/// returns the timeline as columns (one entry per step; `NaN` where an autoscaler did not act).
///
/// `request.manifests`: YAML text (several documents allowed), a manifest object, or a list of
/// them: a Deployment and its autoscalers (an `autoscaling/v2` HorizontalPodAutoscaler or a
/// KEDA ScaledObject, and optionally a VerticalPodAutoscaler); other kinds are skipped.
/// `request.demand`: CSV text (`time,cpu`, `time,rps`, `time,clients`), a Prometheus
/// `query_range` answer, or columns `{times, cpu}` (millicores; `rps` in milli-requests per
/// second; `clients`), Unix milliseconds or, with `relative: true`, offsets from `start`.
/// `request.options`: `step`, `syncPeriod`, `cpuPerRequest`, `thinkTime`, `podStartup`,
/// `readinessDelay` (seconds, or text such as `'40ms'`), `start` (an instant), `title`.
///
/// @throws {ValidationError} a bad manifest, demand or option, naming where.
/// @throws {PodscaleError} a step the core refuses.
#[napi_derive::napi(
    ts_args_type = "request: SimulateRequest",
    ts_return_type = "SimulationColumns"
)]
pub(crate) fn simulate<'e>(env: &'e Env, request: Object<'e>) -> napi::Result<Object<'e>> {
    guard(env, || {
        let list: Unknown<'_> = request.get_named_property("manifests")?;
        let mut manifests = Vec::new();
        if list.is_array()? {
            let array = Array::from_unknown(list)?;
            for i in 0..array.len() {
                let item: Unknown<'_> = array.get_element(i)?;
                manifests.push(manifest(i as usize, &item)?);
            }
        } else {
            manifests.push(manifest(0, &list)?);
        }
        let demand = demand(&request.get_named_property("demand")?)?;
        let options: Unknown<'_> = request.get_named_property("options")?;
        let options: SimulateOptions = if is_absent(&options)? {
            SimulateOptions::default()
        } else {
            decode(env, &options, "options")?
        };
        let c = simulate::simulate(&manifests, &demand, &options)?;
        let mut out = Object::new(env)?;
        out.set_named_property("title", c.title)?;
        out.set_named_property("time", floats(c.time))?;
        out.set_named_property("specReplicas", floats(c.spec_replicas))?;
        out.set_named_property("readyReplicas", floats(c.ready_replicas))?;
        out.set_named_property("demandCpu", floats(c.demand_cpu))?;
        out.set_named_property("servedCpu", floats(c.served_cpu))?;
        out.set_named_property("usageCpu", floats(c.usage_cpu))?;
        out.set_named_property("utilization", Float64Array::new(c.utilization))?;
        out.set_named_property(
            "hpaDesiredReplicas",
            Float64Array::new(c.hpa_desired_replicas),
        )?;
        out.set_named_property("hpaUtilization", Float64Array::new(c.hpa_utilization))?;
        out.set_named_property("hpaScalingLimited", c.hpa_scaling_limited)?;
        out.set_named_property("hpaAbleToScale", c.hpa_able_to_scale)?;
        out.set_named_property("kedaActive", Float64Array::new(c.keda_active))?;
        out.set_named_property("kedaAction", c.keda_action)?;
        out.set_named_property("vpaTargetCpu", Float64Array::new(c.vpa_target_cpu))?;
        out.set_named_property("vpaTargetMemory", Float64Array::new(c.vpa_target_memory))?;
        out.set_named_property("vpaLowerBoundCpu", Float64Array::new(c.vpa_lower_bound_cpu))?;
        out.set_named_property("vpaUpperBoundCpu", Float64Array::new(c.vpa_upper_bound_cpu))?;
        out.set_named_property("targetUtilization", c.target_utilization)?;
        out.set_named_property("minReplicas", c.min_replicas)?;
        out.set_named_property("maxReplicas", c.max_replicas)?;
        Ok(out)
    })
}
