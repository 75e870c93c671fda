//! The HorizontalPodAutoscaler: a configured HPA with single decisions and replays over typed
//! arrays, and the controller's pieces one at a time (the functions upstream's tests call).

use napi::Env;
use napi::bindgen_prelude::{ClassInstance, Either};
use napi::bindgen_prelude::{
    Float64Array, FromNapiValue, Int32Array, JsObjectValue, JsValue, Object, Uint8Array, Unknown,
};
use napi_derive::napi;
use podscale_bindings::Error;
use std::cell::RefCell;
use std::fmt::Write as _;

use podscale::hpa as core;
use podscale_bindings::hpa::{self, ReplayInput, Usage, metric_kind_name, template_requests};
use podscale_bindings::units::format_milli;
use serde::Serialize;

use crate::convert::{
    InstantArg, call, decode, encode, from_json, instant, instants, is_absent, to_json,
};
use crate::error::{Failure, guard};

/// Reads caller-owned state (`undefined`, `null` or `{}` is a fresh state).
pub(crate) fn read_state<T>(env: &Env, state: Option<&Object<'_>>, fresh: T) -> Result<T, Failure>
where
    T: serde::de::DeserializeOwned,
{
    match state {
        None => Ok(fresh),
        Some(object) if Object::keys(object)?.is_empty() => Ok(fresh),
        Some(object) => decode(env, &object.to_unknown(), "state"),
    }
}

/// Writes `state` back into the caller's object, in place, so that a loop passing the same
/// object keeps it current; the object is also handed back in answers.
pub(crate) fn write_state<T: Serialize>(
    env: &Env,
    target: Option<&mut Object<'_>>,
    state: &T,
) -> Result<(), Failure> {
    let Some(target) = target else {
        return Ok(());
    };
    let fresh = Object::from_unknown(encode(env, state)?)?;
    for key in Object::keys(target)? {
        target.delete_named_property(&key)?;
    }
    for key in Object::keys(&fresh)? {
        let value: Unknown<'_> = fresh.get_named_property(&key)?;
        target.set_named_property(&key, value)?;
    }
    Ok(())
}

type CoreState = hpa::HpaState;

/// An HPA's state from sync to sync: the recommendation history, scale events, conditions,
/// `desiredReplicas` and `lastScaleTime`. Every method that takes a state also takes its
/// plain-object form ({@link HpaStateData}, what `JSON.stringify(state)` writes), updated in
/// place; a `HpaState` skips converting it at every call, which a tight loop notices.
///
/// ```js
/// const state = new HpaState()
/// hpa.decideUniform(state, Date.now(), 2, 190)
/// const saved = JSON.stringify(state)            // checkpoint
/// const again = HpaState.fromJSON(JSON.parse(saved))
/// ```
#[napi]
#[derive(Debug, Default)]
pub struct HpaState {
    inner: CoreState,
}

#[napi]
impl HpaState {
    /// The state of an HPA never synced.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// A state from its plain-object form.
    ///
    /// @throws {ValidationError} a malformed state, naming the field.
    #[napi(factory, js_name = "fromJSON", ts_args_type = "data: HpaStateData")]
    pub fn from_json(env: Env, data: Unknown<'_>) -> napi::Result<Self> {
        guard(&env, || {
            Ok(Self {
                inner: decode(&env, &data, "state")?,
            })
        })
    }

    /// The plain-object form (what `JSON.stringify` writes), exact: {@link HpaState.fromJSON}
    /// reads it back to the same state.
    #[napi(js_name = "toJSON", ts_return_type = "HpaStateData")]
    pub fn to_json<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner))
    }

    /// `status.desiredReplicas`.
    #[napi(getter)]
    pub fn desired_replicas(&self) -> i32 {
        self.inner.desired_replicas
    }

    /// `status.lastScaleTime`, Unix milliseconds.
    #[napi(getter)]
    pub fn last_scale_time(&self) -> Option<f64> {
        self.inner.last_scale_time_ms.map(|t| t as f64)
    }

    /// `status.conditions`.
    #[napi(getter, ts_return_type = "Condition[]")]
    pub fn conditions<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || {
            encode(env, &hpa::conditions(&self.inner.conditions))
        })
    }
}

/// A decision as the JavaScript `Decision` class holds it.
fn decision<'e>(env: &'e Env, d: hpa::Decision) -> Result<Unknown<'e>, Failure> {
    let numbers = (
        d.current_replicas,
        d.desired_replicas,
        d.rescale,
        d.metric_replicas,
    );
    // Sized for a decision with a few metrics and its four conditions: one allocation.
    let mut text = Vec::with_capacity(1024);
    serde_json::to_writer(&mut text, &d)
        .map_err(|e| Error::internal(format!("a decision that does not serialize: {e}")))?;
    let text = String::from_utf8(text).map_err(|e| Error::internal(e.to_string()))?;
    Ok(crate::error::make_decision(env, text, numbers)?)
}

/// A state argument: the class, or its plain-object form.
type StateArg<'e> = Either<ClassInstance<'e, HpaState>, Object<'e>>;

/// Runs `f` on the state behind `arg`, writing a plain object back in place afterwards.
fn with_state<R>(
    env: &Env,
    arg: Option<&mut StateArg<'_>>,
    f: impl FnOnce(&mut CoreState) -> Result<R, Failure>,
) -> Result<R, Failure> {
    match arg {
        // On failure the core leaves the state as it was, so the class's own is lent directly.
        Some(Either::A(class)) => f(&mut class.inner),
        Some(Either::B(object)) => {
            let mut state = read_state(env, Some(object), CoreState::new())?;
            let out = f(&mut state)?;
            write_state(env, Some(object), &state)?;
            Ok(out)
        }
        None => f(&mut CoreState::new()),
    }
}

/// A HorizontalPodAutoscaler (`autoscaling/v2`): its `spec` as written in manifests, the
/// controller's flags, and the pod template replays use.
///
/// ```js
/// const hpa = new HorizontalPodAutoscaler({
///   scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10,
///   metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
/// }, { podTemplate: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '200m' } } }] } } })
/// ```
#[napi]
#[derive(Debug)]
pub struct HorizontalPodAutoscaler {
    inner: hpa::HorizontalPodAutoscaler,
    /// The pod template's containers and requests, for decisions over identical pods.
    template: Vec<(String, Vec<core::ResourceAmount<'static>>)>,
    /// `pod-0`, `pod-1`, ...: the names of identical pods, grown as counts need them.
    pod_names: RefCell<Vec<String>>,
}

#[napi]
impl HorizontalPodAutoscaler {
    /// An HPA from its `spec` (or a whole `HorizontalPodAutoscaler` manifest) and options:
    /// `controller` (kube-controller-manager's flags and feature gates), `podTemplate` (a
    /// Deployment's `spec.template`, or the Deployment itself: what replayed pods request) and
    /// `validate` (default `true`: refuse what the API server refuses).
    ///
    /// @throws {ValidationError} a spec the API server refuses, naming the field
    /// (`metrics[0].resource.target.averageUtilization`).
    #[napi(
        constructor,
        ts_args_type = "spec: HorizontalPodAutoscalerSpec | HorizontalPodAutoscalerManifest, options?: HpaOptions"
    )]
    pub fn new(env: Env, spec: Unknown<'_>, options: Option<Unknown<'_>>) -> napi::Result<Self> {
        guard(&env, || {
            let mut options_json = match options {
                Some(o) if !is_absent(&o)? => to_json(&o, "")?,
                _ => serde_json::Value::Object(serde_json::Map::new()),
            };
            // A whole Deployment stands for its `spec.template`.
            if let Some(template) = options_json.pointer("/podTemplate/spec/template").cloned() {
                options_json["podTemplate"] = template;
            }
            let options: hpa::HpaOptions = from_json(&env, options_json, "")?;
            let template = options
                .pod_template
                .as_ref()
                .map(|t| {
                    t.spec
                        .containers
                        .iter()
                        .map(|c| (c.name.clone(), template_requests(&c.resources.requests)))
                        .collect()
                })
                .unwrap_or_default();
            let spec_json = to_json(&spec, "")?;
            let inner = if spec_json.get("spec").is_some() {
                let manifest: hpa::HpaManifest = from_json(&env, spec_json, "")?;
                hpa::HorizontalPodAutoscaler::from_manifest(manifest, options)?
            } else {
                let spec: hpa::HorizontalPodAutoscalerSpec = from_json(&env, spec_json, "")?;
                hpa::HorizontalPodAutoscaler::new(spec, options)?
            };
            Ok(Self {
                inner,
                template,
                pod_names: RefCell::new(Vec::new()),
            })
        })
    }

    /// `minReplicas` (1 when unset).
    #[napi(getter)]
    pub fn min_replicas(&self) -> i32 {
        self.inner.spec().view().min_replicas()
    }

    /// `maxReplicas`.
    #[napi(getter)]
    pub fn max_replicas(&self) -> i32 {
        self.inner.spec().max_replicas
    }

    /// `behavior` with upstream's defaults filled in; `null` for an HPA without `behavior`
    /// (the legacy path).
    #[napi(getter, ts_return_type = "Behavior | null")]
    pub fn behavior<'e>(&self, env: &'e Env) -> napi::Result<Unknown<'e>> {
        guard(env, || encode(env, &self.inner.behavior()))
    }

    /// One sync at `request.now`, recorded in `state` as if the scale write succeeded. Give
    /// either `request.observation` (the scale's replicas, the pods, the metrics APIs' answers)
    /// or `request.replicas` and `request.usage` for that many identical Running and Ready pods
    /// of the pod template, each using `usage` (milli-units of the metrics' resource, or
    /// quantity text such as `'190m'`; Object and External metrics read it as their value).
    ///
    /// @throws {ValidationError} a malformed request or state, naming the field.
    /// @throws {PodscaleError} a decision the core refuses (a full history); `state` is then
    /// unchanged.
    #[napi(
        ts_args_type = "state: HpaState | HpaStateData, request: DecideRequest",
        ts_return_type = "Decision"
    )]
    pub fn decide<'e>(
        &self,
        env: &'e Env,
        mut state: StateArg<'e>,
        request: Object<'e>,
    ) -> napi::Result<Unknown<'e>> {
        guard(env, || {
            let now: InstantArg<'_> = request.get_named_property("now").map_err(|_| {
                Error::validation(
                    "now",
                    "an instant: a Date, Unix milliseconds or RFC 3339 text",
                )
            })?;
            let now = instant(&now, "now")?;
            // `usage` first: present, it is the fast path of identical pods, read in two more
            // property lookups; absent, the observation is read whole.
            let usage: Unknown<'_> = request.get_named_property("usage")?;
            let decision_made = if is_absent(&usage)? {
                let observation: Unknown<'_> = request.get_named_property("observation")?;
                if is_absent(&observation)? {
                    return Err(Error::validation(
                        "observation",
                        "give an observation, or replicas and usage",
                    )
                    .into());
                }
                let observation: hpa::Observation = decode(env, &observation, "observation")?;
                with_state(env, Some(&mut state), |s| {
                    Ok(self.inner.decide(s, &observation, now)?)
                })?
            } else {
                let replicas: i32 = request
                    .get_named_property("replicas")
                    .map_err(|_| Error::validation("replicas", "a replica count, with usage"))?;
                let usage = usage_milli(&usage)?;
                let (numbers, text) = with_state(env, Some(&mut state), |s| {
                    self.decide_uniform(s, now, replicas, usage)
                })?;
                return Ok(crate::error::make_decision(env, text, numbers)?);
            };
            decision(env, decision_made)
        })
    }

    /// Replays the HPA over a series: at each of `series.times` (Unix milliseconds), identical
    /// Running and Ready pods of the pod template use what the series says, and the HPA syncs.
    /// Give one of `usage` (each pod's, milli-units), `total` (shared evenly by the pods) or
    /// `perPod` (row-major, `columns` wide: pod `j` uses column `j`); `NaN` is a missing
    /// sample. With `replicas` (the recorded counts) each step starts from them (open loop);
    /// without, from the previous decision (closed loop, from `initialReplicas`, default
    /// `minReplicas`). Series are `Float64Array`s (plain arrays of numbers are copied).
    /// `state` carries on from earlier syncs and is left as after the last step.
    ///
    /// @throws {ValidationError} series of different lengths, times going back, bad amounts.
    /// @throws {PodscaleError} a step the core refuses.
    #[napi(
        ts_args_type = "state: HpaState | HpaStateData | null, series: ReplaySeries",
        ts_return_type = "ReplayColumns"
    )]
    pub fn replay<'e>(
        &self,
        env: &'e Env,
        state: Option<StateArg<'e>>,
        series: Object<'e>,
    ) -> napi::Result<Object<'e>> {
        guard(env, || {
            let mut state = state;
            let times = float_series(&series, "times")?
                .ok_or_else(|| Error::validation("times", "missing: the sync instants"))?;
            let ms = instants(&times, "times")?;
            let columns: Option<u32> = series
                .get_named_property("columns")
                .map_err(|_| Error::validation("columns", "a column count"))?;
            let initial: Option<i32> = series
                .get_named_property("initialReplicas")
                .map_err(|_| Error::validation("initialReplicas", "a replica count"))?;
            let replica_counts: Option<Vec<i64>> = match float_series(&series, "replicas")? {
                None => None,
                Some(r) => Some(
                    r.iter()
                        .enumerate()
                        .map(|(i, v)| {
                            if v.fract() == 0.0 && (0.0..2.2e9).contains(v) {
                                Ok(*v as i64)
                            } else {
                                Err(Error::validation(
                                    format!("replicas[{i}]"),
                                    "not a replica count",
                                )
                                .with_value(v))
                            }
                        })
                        .collect::<Result<_, _>>()?,
                ),
            };
            let average = float_series(&series, "usage")?;
            let total = float_series(&series, "total")?;
            let per_pod = float_series(&series, "perPod")?;
            let usage = match (&average, &total, &per_pod) {
                (Some(u), None, None) => Usage::Average(u),
                (None, Some(t), None) => Usage::Total(t),
                (None, None, Some(p)) => Usage::PerPod {
                    values: p,
                    columns: columns.ok_or_else(|| {
                        Error::validation("columns", "needed with perPod: the pods per step")
                    })? as usize,
                },
                _ => {
                    return Err(
                        Error::validation("usage", "give one of usage, total or perPod").into(),
                    );
                }
            };
            let input = ReplayInput {
                times: &ms,
                usage,
                replicas: replica_counts.as_deref(),
                initial_replicas: initial,
            };
            let out = with_state(env, state.as_mut(), |s| Ok(self.inner.replay(s, &input)?))?;
            let mut answer = Object::new(env)?;
            let time: Vec<f64> = out.time.iter().map(|t| *t as f64).collect();
            answer.set_named_property("time", Float64Array::new(time))?;
            answer.set_named_property("replicas", Int32Array::new(out.replicas))?;
            answer.set_named_property("desiredReplicas", Int32Array::new(out.desired_replicas))?;
            answer.set_named_property("metricReplicas", Int32Array::new(out.metric_replicas))?;
            answer.set_named_property(
                "rescale",
                Uint8Array::new(out.rescale.iter().map(|b| u8::from(*b)).collect()),
            )?;
            answer.set_named_property("utilization", Int32Array::new(out.utilization))?;
            answer.set_named_property(
                "scalingLimited",
                Uint8Array::new(out.scaling_limited.iter().map(|b| u8::from(*b)).collect()),
            )?;
            answer.set_named_property(
                "scalingLimitedReason",
                Uint8Array::new(out.scaling_limited_reason),
            )?;
            answer.set_named_property(
                "scalingActiveReason",
                Uint8Array::new(out.scaling_active_reason),
            )?;
            answer.set_named_property(
                "ableToScaleReason",
                Uint8Array::new(out.able_to_scale_reason),
            )?;
            answer.set_named_property("reasons", hpa::REASONS.to_vec())?;
            Ok(answer)
        })
    }
}

/// A decision's numbers: current and desired replicas, rescale, the metrics' proposal.
type Numbers = (i32, i32, bool, Option<i32>);

impl HorizontalPodAutoscaler {
    /// One sync over `replicas` identical Running and Ready pods of the template, each using
    /// `usage` milli-units, straight on the core: the pods and their samples are built as
    /// `podscale-bindings`' replay builds them (its single-decision path allocates for every
    /// step what a loop of decisions can keep), and the explanation is written as JSON in the
    /// same shape as its `Decision`, without an intermediate copy.
    fn decide_uniform(
        &self,
        state: &mut CoreState,
        now_ms: i64,
        replicas: i32,
        usage: f64,
    ) -> Result<(Numbers, String), Failure> {
        let spec = self.inner.spec().view();
        // The usage is of the metrics' one resource (and the ContainerResource's container).
        let mut resource: Option<core::ResourceName<'_>> = None;
        let mut usage_container: Option<&str> = None;
        for (index, metric) in spec.metrics.iter().enumerate() {
            let name = match metric {
                core::MetricSpec::Resource { name, .. } => Some(*name),
                core::MetricSpec::ContainerResource {
                    name, container, ..
                } => {
                    usage_container = Some(container);
                    Some(*name)
                }
                _ => None,
            };
            if let (Some(name), Some(first)) = (name, resource)
                && name != first
            {
                return Err(Error::validation(
                    format!("metrics[{index}]"),
                    "one usage feeds the pods: every Resource metric must name the same resource",
                )
                .into());
            }
            resource = resource.or(name);
        }
        let resource = resource.unwrap_or(core::ResourceName::Cpu);
        let containers: Vec<core::Container<'_>> = if self.template.is_empty() {
            vec![core::Container::new(DEFAULT_CONTAINER, &[])]
        } else {
            self.template
                .iter()
                .map(|(name, requests)| core::Container::new(name, requests))
                .collect()
        };
        let usage_container = usage_container
            .or_else(|| containers.first().map(|c| c.name))
            .unwrap_or(DEFAULT_CONTAINER);
        // NaN is a missing sample; otherwise whole milli-units, rounded.
        let milli = if usage.is_nan() {
            None
        } else if usage.is_finite() && (0.0..9.0e18).contains(&usage) {
            // Finite, non-negative and inside i64: the cast after rounding is exact.
            Some(usage.round() as i64)
        } else {
            return Err(
                Error::validation("usage", "not a finite, non-negative amount")
                    .with_value(usage)
                    .into(),
            );
        };
        let count = usize::try_from(replicas.max(0)).unwrap_or(0);
        let mut names = self.pod_names.borrow_mut();
        while names.len() < count {
            let next = format!("pod-{}", names.len());
            names.push(next);
        }
        let pods: Vec<core::Pod<'_>> = names
            .iter()
            .take(count)
            .map(|n| core::Pod::running_ready(n, &containers))
            .collect();
        let amount = [core::ResourceAmount {
            resource,
            milli: milli.unwrap_or(0),
        }];
        let per_container = [core::ContainerUsage::new(usage_container, &amount)];
        let wants = |f: fn(&core::MetricSpec<'_>) -> bool| spec.metrics.iter().any(f);
        let samples: Vec<core::PodResourceMetrics<'_>> = match milli {
            Some(_)
                if wants(|m| {
                    matches!(
                        m,
                        core::MetricSpec::Resource { .. }
                            | core::MetricSpec::ContainerResource { .. }
                    )
                }) =>
            {
                pods.iter()
                    .map(|p| {
                        core::PodResourceMetrics::new(
                            p.name,
                            now_ms,
                            SAMPLE_WINDOW_MS,
                            &per_container,
                        )
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let pod_values: Vec<core::PodMetricSample<'_>> = match milli {
            Some(v) if wants(|m| matches!(m, core::MetricSpec::Pods { .. })) => pods
                .iter()
                .map(|p| core::PodMetricSample {
                    pod: p.name,
                    value_milli: v,
                    timestamp_ms: now_ms,
                    window_ms: SAMPLE_WINDOW_MS,
                })
                .collect(),
            _ => Vec::new(),
        };
        let external = [milli.unwrap_or(0)];
        let data: heapless::Vec<core::MetricData<'_>, { core::MAX_METRICS }> = spec
            .metrics
            .iter()
            .map(|m| match (m, milli) {
                (_, None) | (core::MetricSpec::Unknown { .. }, _) => core::MetricData::Unavailable,
                (
                    core::MetricSpec::Resource { .. } | core::MetricSpec::ContainerResource { .. },
                    _,
                ) => core::MetricData::Resource(&samples),
                (core::MetricSpec::Pods { .. }, _) => core::MetricData::Pods(&pod_values),
                (core::MetricSpec::Object { .. }, Some(v)) => core::MetricData::Object(v),
                (core::MetricSpec::External { .. }, Some(_)) => {
                    core::MetricData::External(&external)
                }
            })
            .collect();
        let observation = core::Observation::new(replicas, replicas, &pods, &data);
        let d = core::sync(&spec, self.inner.config(), state, &observation, now_ms)
            .map_err(|e| Error::refused(e.to_string()))?;
        let (reason, reason_metric) = match d.reason {
            None => (None, None),
            Some(core::RescaleReason::AboveMaxReplicas) => (Some("AboveMaxReplicas"), None),
            Some(core::RescaleReason::BelowMinReplicas) => (Some("BelowMinReplicas"), None),
            Some(core::RescaleReason::MetricAboveTarget(i)) => (Some("MetricAboveTarget"), Some(i)),
            Some(core::RescaleReason::AllMetricsBelowTarget) => {
                (Some("AllMetricsBelowTarget"), None)
            }
        };
        // The explanation as the JSON of `hpa::Decision`, written directly: its keys and the
        // core's condition words need no escaping, only names from the spec and error texts do
        // (a serializer scans every string for escapes; in a loop of decisions that shows).
        let mut out = String::with_capacity(768);
        let _ = write!(
            out,
            "{{\"currentReplicas\":{},\"desiredReplicas\":{},\"rescale\":{},\"reason\":",
            d.current_replicas, d.desired_replicas, d.rescale
        );
        match reason {
            Some(r) => {
                let _ = write!(out, "\"{r}\"");
            }
            None => out.push_str("null"),
        }
        out.push_str(",\"reasonMetric\":");
        json_opt(&mut out, reason_metric);
        out.push_str(",\"metricReplicas\":");
        json_opt(&mut out, d.metric_replicas);
        out.push_str(",\"metrics\":[");
        for (i, (result, metric)) in d.metrics.iter().zip(&spec.metrics).enumerate() {
            if i > 0 {
                out.push(',');
            }
            let (kind, name) = metric_kind_name(metric);
            out.push_str("{\"type\":");
            json_str(&mut out, kind)?;
            out.push_str(",\"name\":");
            json_str(&mut out, name)?;
            match result {
                Ok(p) => {
                    let _ = write!(out, ",\"replicas\":{},\"current\":{{", p.replicas);
                    let mut separator = "";
                    if let Some(u) = p.current.average_utilization {
                        let _ = write!(out, "{separator}\"averageUtilization\":{u}");
                        separator = ",";
                    }
                    if let Some(v) = p.current.average_value_milli {
                        let _ = write!(out, "{separator}\"averageValue\":\"{}\"", format_milli(v));
                        separator = ",";
                    }
                    if let Some(v) = p.current.value_milli {
                        let _ = write!(out, "{separator}\"value\":\"{}\"", format_milli(v));
                    }
                    out.push_str("},\"error\":null}");
                }
                Err(e) => {
                    out.push_str(",\"replicas\":null,\"current\":{},\"error\":");
                    json_str(&mut out, &e.to_string())?;
                    out.push('}');
                }
            }
        }
        out.push_str("],\"conditions\":[");
        for (i, c) in state.conditions.as_slice().iter().enumerate() {
            let status = match c.status {
                core::ConditionStatus::True => "True",
                core::ConditionStatus::False => "False",
                core::ConditionStatus::Unknown => "Unknown",
            };
            let _ = write!(
                out,
                "{}{{\"type\":\"{}\",\"status\":\"{status}\",\"reason\":\"{}\",\"lastTransitionTime\":{}}}",
                if i > 0 { "," } else { "" },
                c.kind.as_str(),
                c.reason.as_str(),
                c.last_transition_time_ms,
            );
        }
        out.push_str("]}");
        let text = out;
        Ok((
            (
                d.current_replicas,
                d.desired_replicas,
                d.rescale,
                d.metric_replicas,
            ),
            text,
        ))
    }
}

/// The container of template-less pods, as `podscale-bindings` names it.
const DEFAULT_CONTAINER: &str = "app";

/// The metrics pipeline's window for the samples of identical pods (metrics-server's 30 s).
const SAMPLE_WINDOW_MS: i64 = 30_000;

/// `value` as JSON (`null` when absent).
fn json_opt<T: std::fmt::Display>(out: &mut String, value: Option<T>) {
    match value {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
}

/// `text` as a JSON string, escaped.
fn json_str(out: &mut String, text: &str) -> Result<(), Failure> {
    let quoted = serde_json::to_string(text)
        .map_err(|e| Error::internal(format!("a name that does not serialize: {e}")))?;
    out.push_str(&quoted);
    Ok(())
}

/// `behavior` with upstream's defaults filled in (`GenerateHPAScaleUpRules` and
/// `GenerateHPAScaleDownRules`): every rule a spec leaves out.
///
/// @throws {ValidationError} a malformed `behavior`, naming the field.
#[napi(
    js_name = "defaultBehavior",
    ts_args_type = "behavior: Behavior",
    ts_return_type = "Behavior"
)]
pub(crate) fn default_behavior<'e>(
    env: &'e Env,
    behavior: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    call(env, &behavior, "behavior", |b| hpa::default_behavior(&b))
}

/// Sorts pods as the replica calculator does (`groupPods`): ready, unready (CPU during its
/// initialization period), missing a sample, and ignored (deleted or failed).
///
/// @throws {ValidationError} a malformed request, naming the field.
#[napi(
    js_name = "groupPods",
    ts_args_type = "request: GroupPodsRequest",
    ts_return_type = "PodGroups"
)]
pub(crate) fn group_pods<'e>(env: &'e Env, request: Unknown<'e>) -> napi::Result<Unknown<'e>> {
    call(env, &request, "", |r| hpa::group_pods(&r))
}

/// One metric's replica proposal from the replica calculator (upstream's `GetResourceReplicas`,
/// `GetRawResourceReplicas`, `GetMetricReplicas`, `GetObjectMetricReplicas`, ...; chosen by the
/// metric's `type` and target), with the usage it saw.
///
/// @throws {ValidationError} a malformed request.
/// @throws {PodscaleError} the calculator's own errors (no metrics for the pods, ...), with
/// upstream's text.
#[napi(
    js_name = "calculateReplicas",
    ts_args_type = "request: ReplicaCalculation",
    ts_return_type = "ReplicaProposal"
)]
pub(crate) fn calculate_replicas<'e>(
    env: &'e Env,
    request: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    call(env, &request, "", |r| hpa::calculate_replicas(&r))
}

/// The legacy path's limits (an HPA without `behavior`): min/max and the scale-up limit
/// `max(factor × current, minimum)`, with the `ScalingLimited` reason.
///
/// @throws {ValidationError} a malformed request.
#[napi(
    js_name = "limitReplicasLegacy",
    ts_args_type = "request: LegacyLimitsRequest",
    ts_return_type = "LimitedReplicas"
)]
pub(crate) fn limit_replicas_legacy<'e>(
    env: &'e Env,
    request: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    call(env, &request, "", |r| Ok(hpa::limit_replicas_legacy(&r)))
}

/// The behavior path's limits: the scaling policies over recent scale events, then
/// min/max, with the `ScalingLimited` reason.
///
/// @throws {ValidationError} a malformed request or rules.
#[napi(
    js_name = "limitReplicasWithBehavior",
    ts_args_type = "request: BehaviorLimitsRequest",
    ts_return_type = "LimitedReplicas"
)]
pub(crate) fn limit_replicas_with_behavior<'e>(
    env: &'e Env,
    request: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    call(env, &request, "", |r| hpa::limit_replicas_with_behavior(&r))
}

/// The most (scale up) or fewest (scale down) replicas one direction's policies allow now.
///
/// @throws {ValidationError} a malformed request or rules.
#[napi(
    js_name = "scaleLimit",
    ts_args_type = "request: ScaleLimitRequest",
    ts_return_type = "number"
)]
pub(crate) fn scale_limit<'e>(env: &'e Env, request: Unknown<'e>) -> napi::Result<Unknown<'e>> {
    call(env, &request, "", |r| hpa::scale_limit(&r))
}

/// The replicas added (or removed) by the events within the last `periodSeconds`.
///
/// @throws {ValidationError} a malformed request.
#[napi(
    js_name = "replicasChangePerPeriod",
    ts_args_type = "request: ReplicasChangeRequest",
    ts_return_type = "number"
)]
pub(crate) fn replicas_change_per_period<'e>(
    env: &'e Env,
    request: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    call(env, &request, "", |r| {
        Ok(hpa::replicas_change_per_period(&r))
    })
}

/// Records a scale event as upstream's `storeScaleEvent` does (outdated events replaced
/// first), returning the new list.
///
/// @throws {ValidationError} a malformed request or rules.
/// @throws {PodscaleError} a full event list.
#[napi(
    js_name = "storeScaleEvent",
    ts_args_type = "request: StoreScaleEventRequest",
    ts_return_type = "ScaleEvent[]"
)]
pub(crate) fn store_scale_event<'e>(
    env: &'e Env,
    request: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    call(env, &request, "", |r| hpa::store_scale_event(&r))
}

/// Stabilizes a recommendation over the history: the legacy path's downscale window
/// (`window`), or the behavior path's per-direction windows (`currentReplicas` with
/// `scaleUpWindow`/`scaleDownWindow`); returns the replicas and the history after.
///
/// @throws {ValidationError} a malformed request.
/// @throws {PodscaleError} a full history.
#[napi(
    js_name = "stabilize",
    ts_args_type = "request: StabilizeRequest",
    ts_return_type = "Stabilized"
)]
pub(crate) fn stabilize<'e>(env: &'e Env, request: Unknown<'e>) -> napi::Result<Unknown<'e>> {
    call(env, &request, "", |r| hpa::stabilize(&r))
}

/// A usage: a number of milli-units, or quantity text (`'190m'`).
fn usage_milli(value: &Unknown<'_>) -> Result<f64, Failure> {
    if let Ok(x) = f64::from_unknown(*value) {
        return Ok(x);
    }
    if value.get_type()? == napi::ValueType::String {
        let text = String::from_unknown(*value)?;
        return Ok(
            podscale_bindings::units::parse_quantity(&text, 3).map_err(|e| e.at("usage"))? as f64,
        );
    }
    f64::from_unknown(*value)
        .map_err(|_| Error::validation("usage", "milli-units or quantity text").into())
}

/// A numeric series of `object[key]`: a `Float64Array` or an array of numbers; `None` when
/// absent.
pub(crate) fn float_series(object: &Object<'_>, key: &str) -> Result<Option<Vec<f64>>, Failure> {
    let value: Unknown<'_> = object.get_named_property(key)?;
    if is_absent(&value)? {
        return Ok(None);
    }
    if let Ok(array) = Float64Array::from_unknown(value) {
        return Ok(Some(array.to_vec()));
    }
    match to_json(&value, key)? {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                serde_json::Value::Number(n) => n
                    .as_f64()
                    .ok_or_else(|| Error::validation(format!("{key}[{i}]"), "not a number").into()),
                // NaN and infinities arrive as null from the walk: a missing sample.
                serde_json::Value::Null => Ok(f64::NAN),
                other => Err(Error::validation(format!("{key}[{i}]"), "not a number")
                    .with_value(other)
                    .into()),
            })
            .collect::<Result<Vec<_>, Failure>>()
            .map(Some),
        other => Err(
            Error::validation(key, "a Float64Array or an array of numbers")
                .with_value(other)
                .into(),
        ),
    }
}
