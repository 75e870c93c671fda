//! KEDA: `CronSchedule`, `CronTrigger` (with windows over numpy arrays), `ScaledObject` and its
//! state.

use std::collections::BTreeMap;

use numpy::{PyArray1, PyReadonlyArray1};
use podscale_bindings::keda::{self as b, CronTriggerOptions, ScaledObjectState};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{answer, guard, ok, py_instant, read, to_py_err};
use crate::hpa::state_class;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCronSchedule>()?;
    m.add_class::<PyCronTrigger>()?;
    m.add_class::<PyScaledObject>()?;
    m.add_class::<PyScaledObjectState>()?;
    Ok(())
}

/// A cron expression in KEDA's dialect (robfig/cron v3, five fields, `TZ=` prefixes).
#[pyclass(module = "podscale._native", name = "CronSchedule", frozen)]
pub(crate) struct PyCronSchedule {
    inner: b::CronSchedule,
}

#[pymethods]
impl PyCronSchedule {
    #[new]
    fn new(py: Python<'_>, expression: &str) -> PyResult<Self> {
        guard(py, || {
            ok(py, b::CronSchedule::parse(expression)).map(|inner| Self { inner })
        })
    }

    /// The expression as written.
    #[getter]
    fn expression(&self) -> &str {
        self.inner.text()
    }

    /// The first firing strictly after `after` in the IANA zone `timezone`, Unix ms (None when
    /// there is none in five years).
    #[pyo3(signature = (after, timezone = "Etc/UTC"))]
    fn next_after(
        &self,
        py: Python<'_>,
        after: &Bound<'_, PyAny>,
        timezone: &str,
    ) -> PyResult<Option<i64>> {
        guard(py, || {
            let after = py_instant(after, "after")?;
            ok(py, self.inner.next_after(after, timezone))
        })
    }

    /// The last firing at or before `at`, Unix ms.
    #[pyo3(signature = (at, timezone = "Etc/UTC"))]
    fn previous_at_or_before(
        &self,
        py: Python<'_>,
        at: &Bound<'_, PyAny>,
        timezone: &str,
    ) -> PyResult<Option<i64>> {
        guard(py, || {
            let at = py_instant(at, "at")?;
            ok(py, self.inner.previous_at_or_before(at, timezone))
        })
    }

    /// `next_after` for an int64 array of Unix ms; `i64::MIN` (NaT) for none.
    #[pyo3(signature = (after, timezone = "Etc/UTC"))]
    fn _next_after_many<'py>(
        &self,
        py: Python<'py>,
        after: PyReadonlyArray1<'py, i64>,
        timezone: &str,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        guard(py, || {
            let after = after.as_slice()?;
            let out = ok(
                py,
                py.allow_threads(|| self.inner.next_after_many(after, timezone)),
            )?;
            Ok(PyArray1::from_vec(
                py,
                out.into_iter().map(|t| t.unwrap_or(i64::MIN)).collect(),
            ))
        })
    }

    fn __repr__(&self) -> String {
        format!("CronSchedule({:?})", self.inner.text())
    }
}

/// A `cron` trigger of a ScaledObject: its metadata checked as KEDA checks it.
#[pyclass(module = "podscale._native", name = "CronTrigger", subclass, frozen)]
pub(crate) struct PyCronTrigger {
    inner: b::CronTrigger,
}

#[pymethods]
impl PyCronTrigger {
    #[new]
    #[pyo3(signature = (metadata, *, index = 0, window_mode = None, metric_name_form = None))]
    fn new(
        py: Python<'_>,
        metadata: &Bound<'_, PyAny>,
        index: usize,
        window_mode: Option<&Bound<'_, PyAny>>,
        metric_name_form: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let map: BTreeMap<String, String> = read(metadata, "metadata")?;
            let options = CronTriggerOptions {
                window_mode: window_mode.map(|w| read(w, "window_mode")).transpose()?,
                metric_name_form: metric_name_form
                    .map(|f| read(f, "metric_name_form"))
                    .transpose()?,
            };
            b::CronTrigger::from_metadata(&map, index, options)
                .map(|inner| Self { inner })
                .map_err(|e| {
                    let e = podscale_bindings::Error {
                        path: e
                            .path
                            .replacen("metadata.", "", 1)
                            .replacen("metadata", "", 1),
                        ..e
                    };
                    to_py_err(py, e, Some(metadata))
                })
        })
    }

    /// The external metric name KEDA gives the trigger.
    #[getter]
    fn metric_name(&self) -> String {
        self.inner.metric_name()
    }

    /// `desiredReplicas`.
    #[getter]
    fn desired_replicas(&self) -> i64 {
        self.inner.desired_replicas()
    }

    /// Checks that the time zone loads (KEDA only loads it when evaluating).
    fn check_zone(&self, py: Python<'_>) -> PyResult<()> {
        ok(py, self.inner.check_zone())
    }

    /// The trigger at `now`: `{"active", "metricValue", "nextStart", "nextEnd"}`.
    fn evaluate(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<PyObject> {
        guard(py, || {
            let now = py_instant(now, "now")?;
            answer(py, &ok(py, self.inner.evaluate(now))?)
        })
    }

    /// `evaluate` over an int64 array of Unix ms: arrays `active`, `metric_value`,
    /// `next_start`, `next_end` (`i64::MIN` for none).
    fn _evaluate_many(
        &self,
        py: Python<'_>,
        times: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<PyObject> {
        guard(py, || {
            let times = times.as_slice()?;
            let out = ok(py, py.allow_threads(|| self.inner.evaluate_many(times)))?;
            let dict = PyDict::new(py);
            dict.set_item("active", PyArray1::from_vec(py, out.active))?;
            dict.set_item("metric_value", PyArray1::from_vec(py, out.metric_value))?;
            dict.set_item("next_start", PyArray1::from_vec(py, out.next_start))?;
            dict.set_item("next_end", PyArray1::from_vec(py, out.next_end))?;
            Ok(dict.into_any().unbind())
        })
    }

    fn __repr__(&self) -> String {
        format!("CronTrigger(metric_name={:?})", self.inner.metric_name())
    }
}

state_class!(
    PyScaledObjectState,
    "ScaledObjectState",
    ScaledObjectState,
    "What a ScaledObject carries from poll to poll: lastActiveTime and the fallback health."
);

#[pymethods]
impl PyScaledObjectState {
    /// A state never polled.
    #[new]
    #[pyo3(signature = (*, last_active_time = None))]
    fn new(py: Python<'_>, last_active_time: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut inner = Box::new(ScaledObjectState::new());
        inner.last_active_time_ms = last_active_time
            .map(|t| py_instant(t, "last_active_time"))
            .transpose()?;
        let _ = py;
        Ok(Self { inner })
    }

    /// `status.lastActiveTime`, Unix ms.
    #[getter]
    fn last_active_time(&self) -> Option<i64> {
        self.inner.last_active_time_ms
    }

    fn __repr__(&self) -> String {
        format!(
            "ScaledObjectState(last_active_time={:?})",
            self.inner.last_active_time_ms
        )
    }
}

/// A KEDA ScaledObject (`keda.sh/v1alpha1`): polls and the HPA it generates.
#[pyclass(module = "podscale._native", name = "ScaledObject", subclass, frozen)]
pub(crate) struct PyScaledObject {
    inner: b::ScaledObject,
}

#[pymethods]
impl PyScaledObject {
    #[new]
    fn new(py: Python<'_>, manifest: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, || {
            let read_manifest: b::ScaledObjectManifest = read(manifest, "")?;
            b::ScaledObject::new(read_manifest)
                .map(|inner| Self { inner })
                .map_err(|e| to_py_err(py, e, Some(manifest)))
        })
    }

    /// Checks the ScaledObject as KEDA's admission webhook does.
    fn validate(&self, py: Python<'_>) -> PyResult<()> {
        guard(py, || ok(py, self.inner.validate()))
    }

    /// The generated HPA's `(minReplicas, maxReplicas)`.
    #[getter]
    fn hpa_bounds(&self, py: Python<'_>) -> PyResult<(i32, i32)> {
        ok(py, self.inner.hpa_bounds())
    }

    /// The generated HPA's name.
    #[getter]
    fn hpa_name(&self, py: Python<'_>) -> PyResult<String> {
        ok(py, self.inner.hpa_name())
    }

    /// The paused annotations as KEDA reads them: `{"paused", "pausedReplicas",
    /// "pausedScaleIn", "pausedScaleOut", "forceActivation"}`.
    #[getter]
    fn annotations(&self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &ok(py, self.inner.annotations())?)
    }

    /// The `paused-replicas` annotation, if set.
    #[getter]
    fn paused_replicas(&self, py: Python<'_>) -> PyResult<Option<i32>> {
        ok(py, self.inner.paused_replicas())
    }

    /// The HPA KEDA generates (cron triggers only): `{"name", "minReplicas", "maxReplicas",
    /// "metrics", "behavior"}`.
    fn generated_hpa(&self, py: Python<'_>) -> PyResult<PyObject> {
        guard(py, || answer(py, &ok(py, self.inner.generated_hpa())?))
    }

    /// One poll at `now` with the target at `replicas` and one observation per trigger
    /// (`{"active": bool, "metric": float, "error": bool}`); updates `state`.
    #[pyo3(signature = (state, triggers, *, replicas, now))]
    fn poll(
        &self,
        py: Python<'_>,
        state: &Bound<'_, PyScaledObjectState>,
        triggers: &Bound<'_, PyAny>,
        replicas: i32,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<PyObject> {
        guard(py, || {
            let seen: Vec<b::TriggerObservation> = read(triggers, "triggers")?;
            let now = py_instant(now, "now")?;
            let mut state = state.borrow_mut();
            let out = ok(py, self.inner.poll(&mut state.inner, &seen, replicas, now))?;
            answer(py, &out)
        })
    }
}
