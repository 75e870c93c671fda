//! The VPA recommender: histograms, aggregates, container states (fed from numpy arrays),
//! recommendations and the post-processing.

use numpy::{PyArray1, PyReadonlyArray1};
use podscale_bindings::vpa::{self as b, ContainerRecommendation, ResourceKindName, ResourceList};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{answer, guard, ok, py_duration, py_instant, read, read_kwargs, to_py_err};
use crate::hpa::{kwargs_function, state_class};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyHistogramOptions>()?;
    m.add_class::<PyHistogram>()?;
    m.add_class::<PyContainerAggregate>()?;
    m.add_class::<PyContainerState>()?;
    m.add_class::<PyResourcePolicy>()?;
    for f in [
        wrap_pyfunction!(recommend, m)?,
        wrap_pyfunction!(apply_vpa_policy, m)?,
        wrap_pyfunction!(apply_pod_limit_range, m)?,
        wrap_pyfunction!(apply_capping, m)?,
        wrap_pyfunction!(proportional_limit, m)?,
        wrap_pyfunction!(update_priority, m)?,
        wrap_pyfunction!(priority_less, m)?,
        wrap_pyfunction!(is_quick_oom, m)?,
        wrap_pyfunction!(eviction_order, m)?,
        wrap_pyfunction!(resources_as_resource_list, m)?,
        wrap_pyfunction!(humanize_memory, m)?,
        wrap_pyfunction!(with_margin, m)?,
        wrap_pyfunction!(with_confidence_multiplier, m)?,
        wrap_pyfunction!(with_min_resource, m)?,
        wrap_pyfunction!(pod_min_resources, m)?,
        wrap_pyfunction!(memory_amount_from_bytes, m)?,
        wrap_pyfunction!(cpu_amount_from_cores, m)?,
        wrap_pyfunction!(cores_from_cpu_amount, m)?,
        wrap_pyfunction!(scale_resource, m)?,
        wrap_pyfunction!(round_up_to_scale, m)?,
        wrap_pyfunction!(_replay_recommendations, m)?,
    ] {
        m.add_function(f)?;
    }
    Ok(())
}

/// A histogram's bucketing: `HistogramOptions(preset="cpu")`, or
/// `HistogramOptions(type="exponential", max_value=…, first_bucket_size=…, ratio=…, epsilon=…)`.
#[pyclass(module = "podscale._native", name = "HistogramOptions", frozen)]
pub(crate) struct PyHistogramOptions {
    inner: b::HistogramOptions,
    spec: b::HistogramOptionsSpec,
}

#[pymethods]
impl PyHistogramOptions {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        guard(py, || {
            let spec: b::HistogramOptionsSpec = read_kwargs(py, kwargs)?;
            ok(py, b::HistogramOptions::new(&spec)).map(|inner| Self { inner, spec })
        })
    }

    /// Pickling: the keyword arguments it was made with.
    fn __getnewargs_ex__(&self, py: Python<'_>) -> PyResult<((), PyObject)> {
        let spec = answer(py, &self.spec)?;
        let kwargs = PyDict::new(py);
        for (k, v) in spec.bind(py).downcast::<PyDict>()?.iter() {
            if !v.is_none() {
                let key: String = k.extract()?;
                let snake: String = key
                    .chars()
                    .flat_map(|c| {
                        if c.is_ascii_uppercase() {
                            vec!['_', c.to_ascii_lowercase()]
                        } else {
                            vec![c]
                        }
                    })
                    .collect();
                kwargs.set_item(snake, v)?;
            }
        }
        Ok(((), kwargs.into_any().unbind()))
    }

    /// The number of buckets.
    #[getter]
    fn num_buckets(&self) -> usize {
        self.inner.num_buckets()
    }

    /// The bucket `value` falls in.
    fn find_bucket(&self, value: f64) -> usize {
        self.inner.find_bucket(value)
    }

    /// Where `bucket` starts (None past the last).
    fn bucket_start(&self, bucket: usize) -> Option<f64> {
        self.inner.bucket_start(bucket)
    }
}

state_class!(
    PyHistogram,
    "Histogram",
    b::Histogram,
    "A VPA histogram, plain or decaying."
);

#[pymethods]
impl PyHistogram {
    /// A histogram with `options`; decaying when `half_life` (seconds or a timedelta) is given.
    #[new]
    #[pyo3(signature = (options, *, half_life = None))]
    fn new(
        py: Python<'_>,
        options: &Bound<'_, PyHistogramOptions>,
        half_life: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let half_life = half_life.map(|h| py_duration(h, "half_life")).transpose()?;
            ok(py, b::Histogram::new(&options.get().inner, half_life))
                .map(|h| Self { inner: Box::new(h) })
        })
    }

    /// Pickling: a placeholder to restore the state into.
    fn __getnewargs__(&self, py: Python<'_>) -> PyResult<(Py<PyHistogramOptions>,)> {
        let spec = b::HistogramOptionsSpec {
            preset: Some(ResourceKindName::Cpu),
            ..Default::default()
        };
        let inner = b::HistogramOptions(podscale::vpa::HistogramOptions::vpa_cpu());
        Ok((Py::new(py, PyHistogramOptions { inner, spec })?,))
    }

    /// Adds a sample (`time` matters to a decaying histogram only).
    #[pyo3(signature = (value, weight = 1.0, time = None))]
    fn add_sample(
        &mut self,
        py: Python<'_>,
        value: f64,
        weight: f64,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let t = time
            .map(|t| py_instant(t, "time"))
            .transpose()?
            .unwrap_or(0);
        ok(py, self.inner.add_sample(value, weight, t))
    }

    /// Subtracts a sample.
    #[pyo3(signature = (value, weight = 1.0, time = None))]
    fn subtract_sample(
        &mut self,
        py: Python<'_>,
        value: f64,
        weight: f64,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let t = time
            .map(|t| py_instant(t, "time"))
            .transpose()?
            .unwrap_or(0);
        ok(py, self.inner.subtract_sample(value, weight, t))
    }

    /// Adds every sample of `other` (same kind and options).
    fn merge(&mut self, py: Python<'_>, other: &Bound<'_, PyHistogram>) -> PyResult<()> {
        let other = other.borrow().inner.clone();
        ok(py, self.inner.merge(&other))
    }

    /// The percentile (0 to 1): the end of the bucket it falls in.
    fn percentile(&self, percentile: f64) -> f64 {
        self.inner.percentile(percentile)
    }

    /// No weight above epsilon.
    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// `{"minBucket", "maxBucket", "totalWeight", "bucketWeights": [[i, w]…], "referenceTimestamp"}`.
    fn state(&self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &self.inner.state())
    }

    /// The checkpoint a `VerticalPodAutoscalerCheckpoint` stores.
    fn save_checkpoint(&self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &self.inner.save_checkpoint())
    }

    /// Loads a checkpoint, adding to what the histogram holds.
    fn load_checkpoint(&mut self, py: Python<'_>, checkpoint: &Bound<'_, PyAny>) -> PyResult<()> {
        let c: b::HistogramCheckpoint = read(checkpoint, "")?;
        self.inner
            .load_checkpoint(&c)
            .map_err(|e| to_py_err(py, e, Some(checkpoint)))
    }
}

state_class!(
    PyContainerAggregate,
    "ContainerAggregate",
    b::ContainerAggregate,
    "The aggregate state of a container name: CPU and memory-peak histograms, sample counts and times."
);

#[pymethods]
impl PyContainerAggregate {
    /// An empty aggregate created at `creation_time`; options are the recommender's
    /// aggregation flags; with `trace`, `histogram_updates()` lists each histogram call.
    #[new]
    #[pyo3(signature = (*, creation_time = None, trace = false, **options))]
    fn new(
        py: Python<'_>,
        creation_time: Option<&Bound<'_, PyAny>>,
        trace: bool,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let options: b::AggregationOptions = read_kwargs(py, options)?;
            let created = creation_time
                .map(|t| py_instant(t, "creation_time"))
                .transpose()?
                .unwrap_or(0);
            ok(py, b::ContainerAggregate::new(&options, created, trace))
                .map(|a| Self { inner: Box::new(a) })
        })
    }

    /// The histogram calls since the last call (with `trace`).
    fn histogram_updates(&mut self, py: Python<'_>) -> PyResult<PyObject> {
        answer(py, &self.inner.histogram_updates())
    }

    /// Adds a CPU sample (millicores) straight to the aggregate.
    fn add_cpu_sample(
        &mut self,
        py: Python<'_>,
        time: &Bound<'_, PyAny>,
        cpu: i64,
    ) -> PyResult<()> {
        let t = py_instant(time, "time")?;
        ok(py, self.inner.add_cpu_sample(t, cpu))
    }

    /// Adds a memory peak (bytes) straight to the aggregate.
    fn add_memory_sample(
        &mut self,
        py: Python<'_>,
        time: &Bound<'_, PyAny>,
        memory: i64,
    ) -> PyResult<()> {
        let t = py_instant(time, "time")?;
        ok(py, self.inner.add_memory_sample(t, memory))
    }

    /// Adds every sample of `other`.
    fn merge(&mut self, py: Python<'_>, other: &Bound<'_, PyContainerAggregate>) -> PyResult<()> {
        let other = other.borrow().inner.clone();
        ok(py, self.inner.merge(&other))
    }

    /// Whether the aggregate has expired at `now`.
    fn is_expired(&self, now: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.is_expired(py_instant(now, "now")?))
    }

    /// The estimator's confidence over `interval` (seconds or a timedelta).
    fn confidence(&self, interval: &Bound<'_, PyAny>) -> PyResult<f64> {
        Ok(self.inner.confidence(py_duration(interval, "interval")?))
    }

    /// A percentile (0 to 1) of the CPU histogram (cores) or the memory peaks (bytes).
    fn percentile(
        &self,
        py: Python<'_>,
        resource: &Bound<'_, PyAny>,
        percentile: f64,
    ) -> PyResult<f64> {
        let kind: ResourceKindName = read(resource, "resource")?;
        let _ = py;
        Ok(match kind {
            ResourceKindName::Cpu => self.inner.cpu_histogram().percentile(percentile),
            ResourceKindName::Memory => self.inner.memory_histogram().percentile(percentile),
        })
    }

    /// The state of the `cpu` or `memory` histogram.
    fn histogram_state(&self, py: Python<'_>, resource: &Bound<'_, PyAny>) -> PyResult<PyObject> {
        let kind: ResourceKindName = read(resource, "resource")?;
        answer(py, &self.inner.histogram_state(kind))
    }

    /// The `VerticalPodAutoscalerCheckpoint` status at `now`.
    fn save_checkpoint(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<PyObject> {
        answer(py, &self.inner.save_checkpoint(py_instant(now, "now")?))
    }

    /// Loads a checkpoint status.
    fn load_checkpoint(&mut self, py: Python<'_>, checkpoint: &Bound<'_, PyAny>) -> PyResult<()> {
        let c: b::AggregateCheckpoint = read(checkpoint, "")?;
        self.inner
            .load_checkpoint(&c)
            .map_err(|e| to_py_err(py, e, Some(checkpoint)))
    }

    /// How many CPU samples were added.
    #[getter]
    fn get_total_samples_count(&self) -> i64 {
        self.inner.0.total_samples_count
    }

    #[setter]
    fn set_total_samples_count(&mut self, value: i64) {
        self.inner.0.total_samples_count = value;
    }

    /// The first CPU sample, Unix ms.
    #[getter]
    fn get_first_sample_start(&self) -> i64 {
        self.inner.0.first_sample_start_ms
    }

    #[setter]
    fn set_first_sample_start(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.0.first_sample_start_ms = py_instant(value, "first_sample_start")?;
        Ok(())
    }

    /// The last CPU sample, Unix ms.
    #[getter]
    fn get_last_sample_start(&self) -> i64 {
        self.inner.0.last_sample_start_ms
    }

    #[setter]
    fn set_last_sample_start(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.0.last_sample_start_ms = py_instant(value, "last_sample_start")?;
        Ok(())
    }

    /// When the aggregate was created, Unix ms.
    #[getter]
    fn get_creation_time(&self) -> i64 {
        self.inner.0.creation_time_ms
    }

    #[setter]
    fn set_creation_time(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.0.creation_time_ms = py_instant(value, "creation_time")?;
        Ok(())
    }
}

state_class!(
    PyContainerState,
    "ContainerState",
    b::ContainerState,
    "One pod's container as the recommender tracks it: CPU deduplication, the memory peak of the window, OOMs."
);

#[pymethods]
impl PyContainerState {
    /// A container never sampled.
    #[new]
    fn new() -> Self {
        Self {
            inner: Box::default(),
        }
    }

    /// Feeds a CPU sample (millicores); whether it was accepted.
    fn add_cpu_sample(
        &mut self,
        py: Python<'_>,
        aggregate: &Bound<'_, PyContainerAggregate>,
        time: &Bound<'_, PyAny>,
        cpu: i64,
    ) -> PyResult<bool> {
        let t = py_instant(time, "time")?;
        ok(
            py,
            self.inner
                .add_cpu_sample(&mut aggregate.borrow_mut().inner, t, cpu),
        )
    }

    /// Feeds a memory sample (bytes); whether it was accepted.
    fn add_memory_sample(
        &mut self,
        py: Python<'_>,
        aggregate: &Bound<'_, PyContainerAggregate>,
        time: &Bound<'_, PyAny>,
        memory: i64,
    ) -> PyResult<bool> {
        let t = py_instant(time, "time")?;
        ok(
            py,
            self.inner
                .add_memory_sample(&mut aggregate.borrow_mut().inner, t, memory),
        )
    }

    /// Records an OOM kill of a container requesting `request` bytes; whether it was recorded.
    fn record_oom(
        &mut self,
        py: Python<'_>,
        aggregate: &Bound<'_, PyContainerAggregate>,
        time: &Bound<'_, PyAny>,
        request: i64,
    ) -> PyResult<bool> {
        let t = py_instant(time, "time")?;
        ok(
            py,
            self.inner
                .record_oom(&mut aggregate.borrow_mut().inner, t, request),
        )
    }

    /// The batch behind `add_samples()`: int64 Unix ms and float64 amounts.
    #[pyo3(signature = (aggregate, times, cpu = None, memory = None))]
    fn _add_samples(
        &mut self,
        py: Python<'_>,
        aggregate: &Bound<'_, PyContainerAggregate>,
        times: PyReadonlyArray1<'_, i64>,
        cpu: Option<PyReadonlyArray1<'_, f64>>,
        memory: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<(PyObject, PyObject)> {
        guard(py, || {
            let times = times.as_slice()?;
            let cpu = cpu.as_ref().map(|c| c.as_slice()).transpose()?;
            let memory = memory.as_ref().map(|m| m.as_slice()).transpose()?;
            let mut aggregate = aggregate.borrow_mut();
            let aggregate_ref: &mut b::ContainerAggregate = &mut aggregate.inner;
            let state: &mut b::ContainerState = &mut self.inner;
            // A million samples take tens of milliseconds; other threads run meanwhile.
            let (cpu_ok, memory_ok) = ok(
                py,
                py.allow_threads(|| state.add_samples(aggregate_ref, times, cpu, memory)),
            )?;
            Ok((
                PyArray1::from_vec(py, cpu_ok).into_any().unbind(),
                PyArray1::from_vec(py, memory_ok).into_any().unbind(),
            ))
        })
    }

    /// The end of the current memory aggregation window, Unix ms.
    #[getter]
    fn window_end(&self) -> i64 {
        self.inner.0.window_end_ms
    }

    /// The memory peak of the current window, bytes.
    #[getter]
    fn memory_peak(&self) -> i64 {
        self.inner.0.memory_peak_bytes
    }

    /// The OOM peak of the current window, bytes.
    #[getter]
    fn oom_peak(&self) -> i64 {
        self.inner.0.oom_peak_bytes
    }
}

/// A VerticalPodAutoscaler's `resourcePolicy`.
#[pyclass(module = "podscale._native", name = "ResourcePolicy", frozen)]
pub(crate) struct PyResourcePolicy {
    inner: b::ResourcePolicy,
}

#[pymethods]
impl PyResourcePolicy {
    #[new]
    fn new(py: Python<'_>, resource_policy: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(py, || {
            let spec: b::ResourcePolicySpec = read(resource_policy, "")?;
            b::ResourcePolicy::new(spec)
                .map(|inner| Self { inner })
                .map_err(|e| to_py_err(py, e, Some(resource_policy)))
        })
    }

    /// `Auto` or `Off` for `container`.
    fn scaling_mode(&self, container: &str) -> String {
        self.inner.scaling_mode(container)
    }
}

fn recommendations(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<ContainerRecommendation>> {
    read(value, name)
}

/// The pod's recommendation from each container name's aggregate: `containers` maps names to
/// aggregates (or is a list of `(name, aggregate)`); options are the recommender's flags.
#[pyfunction]
#[pyo3(signature = (containers, **options))]
fn recommend(
    py: Python<'_>,
    containers: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyObject> {
    guard(py, || {
        let options: b::RecommenderOptions = read_kwargs(py, options)?;
        let items: Vec<(String, Bound<'_, PyContainerAggregate>)> =
            if let Ok(d) = containers.downcast::<PyDict>() {
                d.iter()
                    .map(|(k, v)| Ok((k.extract()?, v.downcast_into()?)))
                    .collect::<PyResult<_>>()?
            } else {
                containers
                    .try_iter()?
                    .map(|item| item?.extract())
                    .collect::<PyResult<_>>()?
            };
        let borrowed: Vec<PyRef<'_, PyContainerAggregate>> =
            items.iter().map(|(_, a)| a.borrow()).collect();
        let pairs: Vec<(&str, &b::ContainerAggregate)> = items
            .iter()
            .zip(&borrowed)
            .map(|((n, _), a)| (n.as_str(), &*a.inner))
            .collect();
        answer(py, &ok(py, b::recommend(&options, &pairs))?)
    })
}

/// Bounds recommendations by the policy's minAllowed and maxAllowed (and `global_max_allowed`).
#[pyfunction]
#[pyo3(signature = (recommendations, policy = None, global_max_allowed = None))]
fn apply_vpa_policy(
    py: Python<'_>,
    recommendations: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, PyResourcePolicy>>,
    global_max_allowed: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyObject> {
    guard(py, || {
        let list = self::recommendations(recommendations, "recommendations")?;
        let global: ResourceList = global_max_allowed
            .map(|g| read(g, "global_max_allowed"))
            .transpose()?
            .unwrap_or_default();
        let out = ok(
            py,
            b::apply_vpa_policy(&list, policy.map(|p| &p.get().inner), global),
        )?;
        answer(py, &out)
    })
}

/// Scales one bound (`target`, `lowerBound`, `upperBound`) of a pod's recommendations to fit
/// a Pod limit range for `resource`.
#[pyfunction]
#[pyo3(signature = (recommendations, pod, limit_range, *, resource, bound))]
fn apply_pod_limit_range(
    py: Python<'_>,
    recommendations: &Bound<'_, PyAny>,
    pod: &Bound<'_, PyAny>,
    limit_range: &Bound<'_, PyAny>,
    resource: &Bound<'_, PyAny>,
    bound: &Bound<'_, PyAny>,
) -> PyResult<PyObject> {
    guard(py, || {
        let list = self::recommendations(recommendations, "recommendations")?;
        let pod: b::VpaPod = read(pod, "pod")?;
        let item: b::LimitRangeItem = read(limit_range, "limit_range")?;
        let kind: ResourceKindName = read(resource, "resource")?;
        let bound: b::Bound = read(bound, "bound")?;
        answer(
            py,
            &b::apply_pod_limit_range(&list, &pod, item, kind, bound),
        )
    })
}

/// The updater's capping for one pod: `{"recommendations", "annotations"}` or None.
#[pyfunction]
#[pyo3(signature = (recommendations, pod, *, policy = None, container_limit_range = None, pod_limit_range = None))]
fn apply_capping(
    py: Python<'_>,
    recommendations: Option<&Bound<'_, PyAny>>,
    pod: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, PyResourcePolicy>>,
    container_limit_range: Option<&Bound<'_, PyAny>>,
    pod_limit_range: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyObject> {
    guard(py, || {
        let list = recommendations
            .map(|r| self::recommendations(r, "recommendations"))
            .transpose()?;
        let pod: b::VpaPod = read(pod, "pod")?;
        let container_range: Option<b::LimitRangeItem> = container_limit_range
            .map(|r| read(r, "container_limit_range"))
            .transpose()?;
        let pod_range: Option<b::LimitRangeItem> = pod_limit_range
            .map(|r| read(r, "pod_limit_range"))
            .transpose()?;
        let out = ok(
            py,
            b::apply_capping(
                list.as_deref(),
                policy.map(|p| &p.get().inner),
                container_range,
                pod_range,
                &pod,
            ),
        )?;
        answer(py, &out)
    })
}

kwargs_function!(
    proportional_limit,
    b::ProportionalLimitRequest,
    |r: &b::ProportionalLimitRequest| Ok::<_, podscale_bindings::Error>(b::proportional_limit(r)),
    "A new limit proportional to the new request: {\"limit\", \"annotation\"}."
);

/// The updater's priority of `pod` against `recommendations`.
#[pyfunction]
fn update_priority(
    py: Python<'_>,
    pod: &Bound<'_, PyAny>,
    recommendations: &Bound<'_, PyAny>,
) -> PyResult<PyObject> {
    guard(py, || {
        let pod: b::VpaPod = read(pod, "pod")?;
        let list = self::recommendations(recommendations, "recommendations")?;
        answer(py, &b::update_priority(&pod, &list))
    })
}

/// Whether `priority` ranks below `other` (scale-ups first, then the larger change).
#[pyfunction]
fn priority_less(priority: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
    let priority: b::PodPriority = read(priority, "priority")?;
    let other: b::PodPriority = read(other, "other")?;
    Ok(priority.less(other))
}

/// Whether a container of `pod` was OOM-killed within `threshold` of starting.
#[pyfunction]
#[pyo3(signature = (pod, *, threshold = None, policy = None))]
fn is_quick_oom(
    py: Python<'_>,
    pod: &Bound<'_, PyAny>,
    threshold: Option<&Bound<'_, PyAny>>,
    policy: Option<&Bound<'_, PyResourcePolicy>>,
) -> PyResult<bool> {
    guard(py, || {
        let pod: b::VpaPod = read(pod, "pod")?;
        let threshold = threshold
            .map(|t| py_duration(t, "threshold"))
            .transpose()?
            .unwrap_or(600_000);
        ok(
            py,
            b::is_quick_oom(&pod, policy.map(|p| &p.get().inner), threshold),
        )
    })
}

/// The pods the updater would evict at `now`, in its order; options are its flags.
#[pyfunction]
#[pyo3(signature = (candidates, *, now, **options))]
fn eviction_order(
    py: Python<'_>,
    candidates: &Bound<'_, PyAny>,
    now: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<String>> {
    guard(py, || {
        let options: b::UpdaterOptions = read_kwargs(py, options)?;
        let list: Vec<b::EvictionCandidate> = read(candidates, "candidates")?;
        Ok(b::eviction_order(&options, &list, py_instant(now, "now")?))
    })
}

/// Resources as the recommender writes them into the status.
#[pyfunction]
#[pyo3(signature = (resources, **format))]
fn resources_as_resource_list(
    py: Python<'_>,
    resources: &Bound<'_, PyAny>,
    format: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyObject> {
    guard(py, || {
        let list: ResourceList = read(resources, "resources")?;
        let format: b::RecommendationFormatOptions = read_kwargs(py, format)?;
        answer(py, &b::resources_as_resource_list(list, &format))
    })
}

/// Bytes as `--humanize-memory` writes them (`"800.61Mi"`).
#[pyfunction]
fn humanize_memory(bytes: i64) -> String {
    b::HumanizedMemory(bytes).to_string()
}

/// `base` plus `fraction` of it [WithMargin].
#[pyfunction]
fn with_margin(base: i64, fraction: f64) -> i64 {
    b::with_margin(base, fraction)
}

/// `base × (1 + multiplier / confidence)^exponent` [WithConfidenceMultiplier].
#[pyfunction]
fn with_confidence_multiplier(base: i64, multiplier: f64, exponent: i64, confidence: f64) -> i64 {
    b::with_confidence_multiplier(base, multiplier, exponent, confidence)
}

/// `max(amount, minimum)` [WithMinResource].
#[pyfunction]
fn with_min_resource(amount: i64, minimum: i64) -> i64 {
    b::with_min_resource(amount, minimum)
}

/// The per-container minimum for a pod of `containers` containers: `{"cpu", "memory"}`.
#[pyfunction]
#[pyo3(signature = (containers, **options))]
fn pod_min_resources(
    py: Python<'_>,
    containers: usize,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyObject> {
    let options: b::RecommenderOptions = read_kwargs(py, options)?;
    answer(
        py,
        &ResourceList::from_core(b::pod_min_resources(&options.to_core(), containers)),
    )
}

/// Bytes (a float, as histograms give them) as a whole amount.
#[pyfunction]
fn memory_amount_from_bytes(bytes: f64) -> i64 {
    b::memory_amount_from_bytes(bytes)
}

/// Cores as millicores.
#[pyfunction]
fn cpu_amount_from_cores(cores: f64) -> i64 {
    b::cpu_amount_from_cores(cores)
}

/// Millicores as cores.
#[pyfunction]
fn cores_from_cpu_amount(cpu: i64) -> f64 {
    b::cores_from_cpu_amount(cpu)
}

/// `amount × factor`, saturating [scaleQuantity].
#[pyfunction]
fn scale_resource(amount: i64, factor: f64) -> i64 {
    b::scale_resource(amount, factor)
}

/// `value` rounded up to a multiple of `scale` [RoundUpToScale].
#[pyfunction]
fn round_up_to_scale(py: Python<'_>, value: i64, scale: i64) -> PyResult<i64> {
    b::round_up_to_scale(value, scale).map_err(|e| {
        to_py_err(
            py,
            podscale_bindings::Error::validation("scale", e.to_string()).with_value(scale),
            None,
        )
    })
}

/// The batch behind `replay_recommendations()`.
#[pyfunction]
#[pyo3(signature = (times, cpu, memory, *, container, every, policy = None, aggregation = None, recommender = None))]
#[allow(clippy::too_many_arguments)]
fn _replay_recommendations(
    py: Python<'_>,
    times: PyReadonlyArray1<'_, i64>,
    cpu: Option<PyReadonlyArray1<'_, f64>>,
    memory: Option<PyReadonlyArray1<'_, f64>>,
    container: &str,
    every: &Bound<'_, PyAny>,
    policy: Option<&Bound<'_, PyResourcePolicy>>,
    aggregation: Option<&Bound<'_, PyAny>>,
    recommender: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyObject> {
    guard(py, || {
        let aggregation: b::AggregationOptions = aggregation
            .map(|a| read(a, "aggregation"))
            .transpose()?
            .unwrap_or_default();
        let recommender: b::RecommenderOptions = recommender
            .map(|r| read(r, "recommender"))
            .transpose()?
            .unwrap_or_default();
        let every_ms = py_duration(every, "every")?;
        let replay = b::RecommendationReplay {
            container,
            times: times.as_slice()?,
            cpu_m: cpu.as_ref().map(|c| c.as_slice()).transpose()?,
            memory_bytes: memory.as_ref().map(|m| m.as_slice()).transpose()?,
            every_ms,
        };
        let policy = policy.map(|p| &p.get().inner);
        let out = ok(
            py,
            py.allow_threads(|| {
                b::replay_recommendations(&aggregation, &recommender, policy, &replay)
            }),
        )?;
        let dict = PyDict::new(py);
        dict.set_item("time", PyArray1::from_vec(py, out.time))?;
        dict.set_item("target_cpu", PyArray1::from_vec(py, out.target_cpu))?;
        dict.set_item("target_memory", PyArray1::from_vec(py, out.target_memory))?;
        dict.set_item(
            "lower_bound_cpu",
            PyArray1::from_vec(py, out.lower_bound_cpu),
        )?;
        dict.set_item(
            "lower_bound_memory",
            PyArray1::from_vec(py, out.lower_bound_memory),
        )?;
        dict.set_item(
            "upper_bound_cpu",
            PyArray1::from_vec(py, out.upper_bound_cpu),
        )?;
        dict.set_item(
            "upper_bound_memory",
            PyArray1::from_vec(py, out.upper_bound_memory),
        )?;
        Ok(dict.into_any().unbind())
    })
}
