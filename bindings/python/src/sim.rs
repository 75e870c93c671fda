//! `podscale simulate` from Python: the batch behind `podscale.simulate()`.

use numpy::{PyArray1, PyReadonlyArray1};
use podscale_bindings::simulate::{self as b, Demand, DemandColumn, SimulateOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{guard, ok, read, read_kwargs};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_simulate, m)?)?;
    Ok(())
}

/// Runs a simulation: `manifests` are `(name, YAML or JSON text)`; the demand is CSV text,
/// a Prometheus answer's JSON text (`demand_format`), or `times` (int64 Unix ms, or offsets
/// when `relative`) and `values` with their `column` kind; options are `podscale simulate`'s.
#[pyfunction]
#[pyo3(signature = (manifests, *, demand_format, demand_name = "demand", demand_text = None, column = None, times = None, values = None, relative = false, **options))]
#[allow(clippy::too_many_arguments)]
fn _simulate(
    py: Python<'_>,
    manifests: Vec<(String, String)>,
    demand_format: &str,
    demand_name: &str,
    demand_text: Option<String>,
    column: Option<&Bound<'_, PyAny>>,
    times: Option<PyReadonlyArray1<'_, i64>>,
    values: Option<PyReadonlyArray1<'_, i64>>,
    relative: bool,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyObject> {
    guard(py, || {
        let options: SimulateOptions = read_kwargs(py, options)?;
        let missing = |what: &str| {
            crate::convert::to_py_err(
                py,
                podscale_bindings::Error::validation(what, "missing"),
                None,
            )
        };
        let demand = match demand_format {
            "csv" => Demand::Csv {
                name: demand_name.to_string(),
                text: demand_text.ok_or_else(|| missing("demand"))?,
            },
            "prometheus" => Demand::Prometheus {
                name: demand_name.to_string(),
                text: demand_text.ok_or_else(|| missing("demand"))?,
            },
            _ => {
                let column: DemandColumn =
                    read(column.ok_or_else(|| missing("column"))?, "column")?;
                Demand::Columns {
                    kind: column,
                    times: times.ok_or_else(|| missing("times"))?.as_slice()?.to_vec(),
                    values: values
                        .ok_or_else(|| missing("values"))?
                        .as_slice()?
                        .to_vec(),
                    relative,
                }
            }
        };
        let out = ok(
            py,
            py.allow_threads(|| b::simulate(&manifests, &demand, &options)),
        )?;
        let dict = PyDict::new(py);
        dict.set_item("title", out.title)?;
        dict.set_item("target_utilization", out.target_utilization)?;
        dict.set_item("min_replicas", out.min_replicas)?;
        dict.set_item("max_replicas", out.max_replicas)?;
        let columns = PyDict::new(py);
        columns.set_item("time", PyArray1::from_vec(py, out.time))?;
        columns.set_item("spec_replicas", PyArray1::from_vec(py, out.spec_replicas))?;
        columns.set_item("ready_replicas", PyArray1::from_vec(py, out.ready_replicas))?;
        columns.set_item("demand_cpu", PyArray1::from_vec(py, out.demand_cpu))?;
        columns.set_item("served_cpu", PyArray1::from_vec(py, out.served_cpu))?;
        columns.set_item("usage_cpu", PyArray1::from_vec(py, out.usage_cpu))?;
        columns.set_item("utilization", PyArray1::from_vec(py, out.utilization))?;
        columns.set_item(
            "hpa_desired_replicas",
            PyArray1::from_vec(py, out.hpa_desired_replicas),
        )?;
        columns.set_item(
            "hpa_utilization",
            PyArray1::from_vec(py, out.hpa_utilization),
        )?;
        columns.set_item("hpa_scaling_limited", out.hpa_scaling_limited)?;
        columns.set_item("hpa_able_to_scale", out.hpa_able_to_scale)?;
        columns.set_item("keda_active", PyArray1::from_vec(py, out.keda_active))?;
        columns.set_item("keda_action", out.keda_action)?;
        columns.set_item("vpa_target_cpu", PyArray1::from_vec(py, out.vpa_target_cpu))?;
        columns.set_item(
            "vpa_target_memory",
            PyArray1::from_vec(py, out.vpa_target_memory),
        )?;
        columns.set_item(
            "vpa_lower_bound_cpu",
            PyArray1::from_vec(py, out.vpa_lower_bound_cpu),
        )?;
        columns.set_item(
            "vpa_upper_bound_cpu",
            PyArray1::from_vec(py, out.vpa_upper_bound_cpu),
        )?;
        dict.set_item("columns", columns)?;
        Ok(dict.into_any().unbind())
    })
}
