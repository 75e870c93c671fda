//! The HorizontalPodAutoscaler: `HorizontalPodAutoscaler`, its state and decisions, replays
//! over numpy arrays, and the controller's pieces as functions of keyword arguments.

use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use podscale_bindings::hpa::{
    self as b, HorizontalPodAutoscaler, HpaOptions, HpaState, ReplayInput, Usage,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{answer, guard, ok, py_instant, read, read_kwargs, to_py_err};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyHpaState>()?;
    m.add_class::<PyDecision>()?;
    m.add_class::<PyHorizontalPodAutoscaler>()?;
    m.add("REPLAY_REASONS", b::REASONS.to_vec())?;
    m.add_function(wrap_pyfunction!(default_behavior, m)?)?;
    m.add_function(wrap_pyfunction!(group_pods, m)?)?;
    m.add_function(wrap_pyfunction!(calculate_replicas, m)?)?;
    m.add_function(wrap_pyfunction!(limit_replicas_legacy, m)?)?;
    m.add_function(wrap_pyfunction!(limit_replicas_with_behavior, m)?)?;
    m.add_function(wrap_pyfunction!(scale_limit, m)?)?;
    m.add_function(wrap_pyfunction!(replicas_change_per_period, m)?)?;
    m.add_function(wrap_pyfunction!(store_scale_event, m)?)?;
    m.add_function(wrap_pyfunction!(stabilize, m)?)?;
    Ok(())
}

/// Defines a state class: a plain value with `to_dict()`, `from_dict()`, pickling, copying and
/// equality, serialized exactly as the core serializes it.
macro_rules! state_class {
    ($rust:ident, $name:literal, $inner:ty, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(module = "podscale._native", name = $name, eq, subclass)]
        #[derive(Clone, PartialEq)]
        pub(crate) struct $rust {
            pub(crate) inner: Box<$inner>,
        }

        #[pymethods]
        impl $rust {
            /// The state as a dict (what `from_dict` reads back).
            fn to_dict(&self, py: Python<'_>) -> PyResult<PyObject> {
                answer(py, &*self.inner)
            }

            /// The state from a dict `to_dict()` wrote.
            #[classmethod]
            fn from_dict(
                _cls: &Bound<'_, pyo3::types::PyType>,
                value: &Bound<'_, PyAny>,
            ) -> PyResult<Self> {
                guard(value.py(), || {
                    Ok(Self {
                        inner: Box::new(read(value, "")?),
                    })
                })
            }

            /// Pickling: the state is the dict.
            fn __getstate__(&self, py: Python<'_>) -> PyResult<PyObject> {
                self.to_dict(py)
            }

            fn __setstate__(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
                self.inner = Box::new(read(state, "")?);
                Ok(())
            }
        }
    };
}
pub(crate) use state_class;

state_class!(
    PyHpaState,
    "HpaState",
    HpaState,
    "What an HPA carries from sync to sync: recommendations, scale events, conditions, desiredReplicas, lastScaleTime."
);

#[pymethods]
impl PyHpaState {
    /// A state never synced.
    #[new]
    fn new() -> Self {
        Self {
            inner: Box::new(HpaState::new()),
        }
    }

    /// `status.desiredReplicas`.
    #[getter]
    fn desired_replicas(&self) -> i32 {
        self.inner.desired_replicas
    }

    /// `status.lastScaleTime`, Unix ms.
    #[getter]
    fn last_scale_time(&self) -> Option<i64> {
        self.inner.last_scale_time_ms
    }

    /// The conditions, as the status lists them.
    #[getter]
    fn conditions(&self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &b::conditions(&self.inner.conditions))
    }

    fn __repr__(&self) -> String {
        format!(
            "HpaState(desired_replicas={}, recommendations={}, conditions={})",
            self.inner.desired_replicas,
            self.inner.recommendations.as_ref().map_or(0, |r| r.len()),
            self.inner.conditions.as_slice().len()
        )
    }
}

/// One sync's decision, with its explanation.
#[pyclass(module = "podscale._native", name = "Decision", frozen, eq)]
#[derive(PartialEq)]
pub(crate) struct PyDecision {
    inner: b::Decision,
}

#[pymethods]
impl PyDecision {
    /// The scale's replicas when the sync began.
    #[getter]
    fn current_replicas(&self) -> i32 {
        self.inner.current_replicas
    }

    /// The replicas decided.
    #[getter]
    fn desired_replicas(&self) -> i32 {
        self.inner.desired_replicas
    }

    /// Whether the scale is written.
    #[getter]
    fn rescale(&self) -> bool {
        self.inner.rescale
    }

    /// `AboveMaxReplicas`, `BelowMinReplicas`, `MetricAboveTarget`, `AllMetricsBelowTarget`.
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.inner.reason.as_deref()
    }

    /// For `MetricAboveTarget`, the metric's index in `spec.metrics`.
    #[getter]
    fn reason_metric(&self) -> Option<usize> {
        self.inner.reason_metric
    }

    /// The metrics' largest proposal.
    #[getter]
    fn metric_replicas(&self) -> Option<i32> {
        self.inner.metric_replicas
    }

    /// Each metric: type, name, replicas, current value, error.
    #[getter]
    fn metrics(&self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &self.inner.metrics)
    }

    /// The conditions after the sync.
    #[getter]
    fn conditions(&self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &self.inner.conditions)
    }

    /// The condition of `type`, if set.
    fn condition(&self, py: Python<'_>, kind: &str) -> PyResult<PyObject> {
        match self.inner.condition(kind) {
            Some(c) => answer(py, c),
            None => Ok(py.None()),
        }
    }

    /// Everything, as a dict with the manifests' names.
    fn to_dict(&self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        let limited = self
            .inner
            .condition("ScalingLimited")
            .map_or(String::new(), |c| format!(", limited={}", c.reason));
        format!(
            "Decision(current_replicas={}, desired_replicas={}, rescale={}, reason={:?}{limited})",
            self.inner.current_replicas,
            self.inner.desired_replicas,
            if self.inner.rescale { "True" } else { "False" },
            self.inner.reason.as_deref().unwrap_or("None"),
        )
    }
}

/// An `autoscaling/v2` HorizontalPodAutoscaler.
#[pyclass(
    module = "podscale._native",
    name = "HorizontalPodAutoscaler",
    subclass,
    frozen
)]
pub(crate) struct PyHorizontalPodAutoscaler {
    inner: HorizontalPodAutoscaler,
}

/// A pod template: a `spec.template` (`{"spec": {"containers": …}}`), or a whole Deployment.
fn pod_template(value: &Bound<'_, PyAny>) -> PyResult<b::PodTemplateSpec> {
    if let Ok(template) = value.get_item("spec").and_then(|s| s.get_item("template")) {
        return read(&template, "spec.template");
    }
    read(value, "")
}

#[pymethods]
impl PyHorizontalPodAutoscaler {
    #[new]
    #[pyo3(signature = (spec, *, controller = None, pod_template = None, validate = true))]
    fn new(
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
        controller: Option<&Bound<'_, PyAny>>,
        pod_template: Option<&Bound<'_, PyAny>>,
        validate: bool,
    ) -> PyResult<Self> {
        guard(py, || {
            let options = HpaOptions {
                controller: controller.map(|c| read(c, "controller")).transpose()?,
                pod_template: pod_template.map(self::pod_template).transpose()?,
                validate: Some(validate),
            };
            let is_manifest = spec.get_item("spec").is_ok();
            let inner = if is_manifest {
                let manifest: podscale_bindings::hpa::HpaManifest = read(spec, "")?;
                HorizontalPodAutoscaler::from_manifest(manifest, options)
            } else {
                let spec_value: b::HorizontalPodAutoscalerSpec = read(spec, "")?;
                HorizontalPodAutoscaler::new(spec_value, options)
            };
            inner
                .map(|inner| Self { inner })
                .map_err(|e| to_py_err(py, e, Some(spec)))
        })
    }

    /// `behavior` with the API server's defaults (None without `behavior`).
    #[getter]
    fn behavior(&self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &self.inner.behavior())
    }

    /// `minReplicas` (1 when unset).
    #[getter]
    fn min_replicas(&self) -> i32 {
        self.inner.spec().view().min_replicas()
    }

    /// `maxReplicas`.
    #[getter]
    fn max_replicas(&self) -> i32 {
        self.inner.spec().max_replicas
    }

    /// One sync at `now`, recorded in `state` as if the scale write succeeded. Give either an
    /// `observation` (the scale, pods and metrics APIs' answers) or `replicas` and `usage` for
    /// that many identical Running and Ready pods of the pod template.
    #[pyo3(signature = (state, observation = None, *, now, replicas = None, usage = None))]
    fn decide(
        &self,
        py: Python<'_>,
        state: &Bound<'_, PyHpaState>,
        observation: Option<&Bound<'_, PyAny>>,
        now: &Bound<'_, PyAny>,
        replicas: Option<i32>,
        usage: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyDecision> {
        guard(py, || {
            let now_ms = py_instant(now, "now")?;
            let mut state = state.borrow_mut();
            let decision = match (observation, replicas, usage) {
                (Some(o), None, None) => {
                    let observation: b::Observation = read(o, "")?;
                    self.inner
                        .decide(&mut state.inner, &observation, now_ms)
                        .map_err(|e| to_py_err(py, e, Some(o)))?
                }
                (None, Some(replicas), Some(usage)) => {
                    let usage = usage_milli(usage)?;
                    ok(
                        py,
                        self.inner
                            .decide_uniform(&mut state.inner, now_ms, replicas, usage),
                    )?
                }
                _ => {
                    return Err(to_py_err(
                        py,
                        podscale_bindings::Error::validation(
                            "observation",
                            "give an observation, or replicas and usage",
                        ),
                        None,
                    ));
                }
            };
            Ok(PyDecision { inner: decision })
        })
    }

    /// The replay behind `replay()`: arrays already in the core's units.
    #[pyo3(signature = (state, times, *, usage = None, total = None, per_pod = None, replicas = None, initial_replicas = None))]
    #[allow(clippy::too_many_arguments)]
    fn _replay(
        &self,
        py: Python<'_>,
        state: &Bound<'_, PyHpaState>,
        times: PyReadonlyArray1<'_, i64>,
        usage: Option<PyReadonlyArray1<'_, f64>>,
        total: Option<PyReadonlyArray1<'_, f64>>,
        per_pod: Option<PyReadonlyArray2<'_, f64>>,
        replicas: Option<PyReadonlyArray1<'_, i64>>,
        initial_replicas: Option<i32>,
    ) -> PyResult<PyObject> {
        guard(py, || {
            let times = times.as_slice()?;
            let columns = per_pod.as_ref().map_or(0, |p| p.as_array().ncols());
            let usage = match (&usage, &total, &per_pod) {
                (Some(u), None, None) => Usage::Average(u.as_slice()?),
                (None, Some(t), None) => Usage::Total(t.as_slice()?),
                (None, None, Some(p)) => Usage::PerPod {
                    values: p.as_slice()?,
                    columns,
                },
                _ => {
                    return Err(to_py_err(
                        py,
                        podscale_bindings::Error::validation(
                            "usage",
                            "give one of usage, total or per_pod",
                        ),
                        None,
                    ));
                }
            };
            let replicas = replicas.as_ref().map(|r| r.as_slice()).transpose()?;
            let input = ReplayInput {
                times,
                usage,
                replicas,
                initial_replicas,
            };
            let mut state = state.borrow_mut();
            let hpa = &self.inner;
            let state_ref: &mut HpaState = &mut state.inner;
            // Weeks of steps take milliseconds; other Python threads run meanwhile.
            let out = py.allow_threads(|| hpa.replay(state_ref, &input));
            let out = ok(py, out)?;
            let dict = PyDict::new(py);
            dict.set_item("time", PyArray1::from_vec(py, out.time))?;
            dict.set_item("replicas", PyArray1::from_vec(py, out.replicas))?;
            dict.set_item(
                "desired_replicas",
                PyArray1::from_vec(py, out.desired_replicas),
            )?;
            dict.set_item(
                "metric_replicas",
                PyArray1::from_vec(py, out.metric_replicas),
            )?;
            dict.set_item("rescale", PyArray1::from_vec(py, out.rescale))?;
            dict.set_item("utilization", PyArray1::from_vec(py, out.utilization))?;
            dict.set_item(
                "scaling_limited",
                PyArray1::from_vec(py, out.scaling_limited),
            )?;
            dict.set_item(
                "scaling_limited_reason",
                PyArray1::from_vec(py, out.scaling_limited_reason),
            )?;
            dict.set_item(
                "scaling_active_reason",
                PyArray1::from_vec(py, out.scaling_active_reason),
            )?;
            dict.set_item(
                "able_to_scale_reason",
                PyArray1::from_vec(py, out.able_to_scale_reason),
            )?;
            Ok(dict.into_any().unbind())
        })
    }

    fn __repr__(&self) -> String {
        let spec = self.inner.spec();
        format!(
            "HorizontalPodAutoscaler(min_replicas={}, max_replicas={}, metrics={})",
            spec.view().min_replicas(),
            spec.max_replicas,
            spec.metrics.len()
        )
    }
}

/// A usage: a number of milli-units, or quantity text (`"190m"`).
fn usage_milli(value: &Bound<'_, PyAny>) -> PyResult<f64> {
    if let Ok(x) = value.extract::<f64>() {
        return Ok(x);
    }
    let text: String = value.extract()?;
    ok(
        value.py(),
        podscale_bindings::units::parse_quantity(&text, 3),
    )
    .map(|m| m as f64)
}

/// `behavior` with the API server's defaults filled in (both directions).
#[pyfunction]
fn default_behavior(py: Python<'_>, behavior: &Bound<'_, PyAny>) -> PyResult<PyObject> {
    guard(py, || {
        let manifest: b::BehaviorManifest = read(behavior, "")?;
        let out = b::default_behavior(&manifest).map_err(|e| to_py_err(py, e, Some(behavior)))?;
        answer(py, &out)
    })
}

/// Defines a function of keyword arguments: request in, answer out.
macro_rules! kwargs_function {
    ($name:ident, $request:ty, $call:expr, $doc:literal) => {
        #[doc = $doc]
        #[pyfunction]
        #[pyo3(signature = (**kwargs))]
        fn $name(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<PyObject> {
            guard(py, || {
                let request: $request = read_kwargs(py, kwargs)?;
                #[allow(clippy::redundant_closure_call)]
                let out = ok(py, ($call)(&request))?;
                answer(py, &out)
            })
        }
    };
}
pub(crate) use kwargs_function;

kwargs_function!(
    group_pods,
    b::GroupPodsRequest,
    b::group_pods,
    "Groups pods as the replica calculator does (ready, unready, missing, ignored)."
);
kwargs_function!(
    calculate_replicas,
    b::ReplicaCalculation,
    b::calculate_replicas,
    "One metric through the replica calculator."
);
kwargs_function!(
    limit_replicas_legacy,
    b::LegacyLimitsRequest,
    |r: &b::LegacyLimitsRequest| Ok::<_, podscale_bindings::Error>(b::limit_replicas_legacy(r)),
    "The limits of an HPA without behavior."
);
kwargs_function!(
    limit_replicas_with_behavior,
    b::BehaviorLimitsRequest,
    b::limit_replicas_with_behavior,
    "The rate limits and bounds of an HPA with behavior."
);
kwargs_function!(
    scale_limit,
    b::ScaleLimitRequest,
    b::scale_limit,
    "The most (ScaleUp) or least (ScaleDown) replicas the policies allow now."
);
kwargs_function!(
    replicas_change_per_period,
    b::ReplicasChangeRequest,
    |r: &b::ReplicasChangeRequest| Ok::<_, podscale_bindings::Error>(
        b::replicas_change_per_period(r)
    ),
    "The replicas added or removed by events within the period."
);
kwargs_function!(
    store_scale_event,
    b::StoreScaleEventRequest,
    b::store_scale_event,
    "Records a scale event; returns the events after."
);
kwargs_function!(
    stabilize,
    b::StabilizeRequest,
    b::stabilize,
    "Stabilizes a recommendation over the history's window."
);
