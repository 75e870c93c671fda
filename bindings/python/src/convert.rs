//! From Python values to the bindings' requests and back: keyword arguments in Python's
//! spelling become the manifests' (`current_replicas` is `currentReplicas`), instants and
//! durations in any of their Python forms become milliseconds and seconds, errors become the
//! package's exceptions.

use std::panic::{AssertUnwindSafe, catch_unwind};

use podscale_bindings::{Error, ErrorKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use pythonize::{Depythonizer, pythonize};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_quantity, m)?)?;
    m.add_function(wrap_pyfunction!(format_quantity, m)?)?;
    m.add_function(wrap_pyfunction!(to_unix_ms, m)?)?;
    Ok(())
}

static ERRORS: GILOnceCell<(Py<PyType>, Py<PyType>)> = GILOnceCell::new();

/// `podscale.Error` and `podscale.ValidationError`, defined in Python (`ValidationError` is
/// also a `ValueError`, which a pyo3 exception type cannot be).
fn error_types(py: Python<'_>) -> PyResult<&(Py<PyType>, Py<PyType>)> {
    ERRORS.get_or_try_init(py, || {
        let module = py.import("podscale._errors")?;
        let error = module.getattr("Error")?.downcast_into::<PyType>()?.unbind();
        let validation = module
            .getattr("ValidationError")?
            .downcast_into::<PyType>()?
            .unbind();
        Ok((error, validation))
    })
}

/// The value at `path` (`spec.metrics[0].target`) in `input`, when it is there.
fn lookup<'py>(input: &Bound<'py, PyAny>, path: &str) -> Option<Bound<'py, PyAny>> {
    let mut current = input.clone();
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (key, indexes) = match segment.find('[') {
            Some(at) => (&segment[..at], &segment[at..]),
            None => (segment, ""),
        };
        if !key.is_empty() {
            current = current.get_item(key).ok()?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let index: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get_item(index).ok()?;
        }
    }
    Some(current)
}

/// The package's exception for `error`; the bad value is looked up in `input` by its path.
pub(crate) fn to_py_err(py: Python<'_>, error: Error, input: Option<&Bound<'_, PyAny>>) -> PyErr {
    let (base, validation) = match error_types(py) {
        Ok(types) => types,
        Err(e) => return e,
    };
    let text = error.to_string();
    let result = match error.kind {
        ErrorKind::Validation => {
            let value: PyObject = input
                .filter(|_| !error.path.is_empty())
                .and_then(|i| lookup(i, &error.path))
                .map(Bound::unbind)
                .or_else(|| {
                    error
                        .value
                        .as_ref()
                        .map(|v| PyString::new(py, v).into_any().unbind())
                })
                .unwrap_or_else(|| py.None());
            validation
                .bind(py)
                .call1((text, error.path.clone(), value, error.message.clone()))
        }
        ErrorKind::Refused | ErrorKind::Internal => {
            base.bind(py).call1((text, error.message.clone()))
        }
    };
    match result {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    }
}

/// Runs `f`, turning a panic into `podscale.Error` (the last resort: the core never panics,
/// and a bug must not end the interpreter).
pub(crate) fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(to_py_err(
                py,
                Error::internal(format!("internal error (please report it): {what}")),
                None,
            ))
        }
    }
}

/// `current_replicas` as `currentReplicas`.
pub(crate) fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

struct PyKinds {
    datetime: Py<PyType>,
    timedelta: Py<PyType>,
    generic: Option<Py<PyType>>,
    datetime64: Option<Py<PyType>>,
}

static KINDS: GILOnceCell<PyKinds> = GILOnceCell::new();

fn kinds(py: Python<'_>) -> PyResult<&PyKinds> {
    KINDS.get_or_try_init(py, || {
        let datetime = py.import("datetime")?;
        let numpy = py.import("numpy").ok();
        let numpy_type = |name: &str| -> Option<Py<PyType>> {
            numpy
                .as_ref()
                .and_then(|n| n.getattr(name).ok())
                .and_then(|t| t.downcast_into::<PyType>().ok())
                .map(Bound::unbind)
        };
        Ok(PyKinds {
            datetime: datetime
                .getattr("datetime")?
                .downcast_into::<PyType>()?
                .unbind(),
            timedelta: datetime
                .getattr("timedelta")?
                .downcast_into::<PyType>()?
                .unbind(),
            generic: numpy_type("generic"),
            datetime64: numpy_type("datetime64"),
        })
    })
}

fn validation(path: &str, message: impl Into<String>) -> Error {
    Error::validation(path, message)
}

/// An aware `datetime` as Unix milliseconds; a naive one is an error at `path`.
fn datetime_ms(value: &Bound<'_, PyAny>, path: &str) -> Result<i64, Error> {
    let tz = value
        .getattr("tzinfo")
        .map_err(|e| validation(path, e.to_string()))?;
    let offset = if tz.is_none() {
        tz.clone()
    } else {
        value
            .call_method0("utcoffset")
            .map_err(|e| validation(path, e.to_string()))?
    };
    if offset.is_none() {
        return Err(validation(
            path,
            "a naive datetime is ambiguous: give it a time zone (datetime.timezone.utc, zoneinfo)",
        )
        .with_value(value.to_string()));
    }
    // Exact to the microsecond: (value - epoch) // 1 ms, computed by Python's own arithmetic.
    let py = value.py();
    let datetime = py
        .import("datetime")
        .map_err(|e| validation(path, e.to_string()))?;
    let epoch = datetime
        .getattr("datetime")
        .and_then(|d| {
            d.call1((
                1970,
                1,
                1,
                0,
                0,
                0,
                0,
                datetime.getattr("timezone")?.getattr("utc")?,
            ))
        })
        .map_err(|e| validation(path, e.to_string()))?;
    let unit = datetime
        .getattr("timedelta")
        .and_then(|t| t.call1((0, 0, 0, 1)))
        .map_err(|e| validation(path, e.to_string()))?;
    value
        .sub(epoch)
        .and_then(|d| d.floor_div(unit))
        .and_then(|ms| ms.extract::<i64>())
        .map_err(|e| validation(path, e.to_string()))
}

/// A `numpy.datetime64` as Unix milliseconds (NaT is an error).
fn datetime64_ms(value: &Bound<'_, PyAny>, path: &str) -> Result<i64, Error> {
    let ms = value
        .call_method1("astype", ("datetime64[ms]",))
        .and_then(|v| v.call_method1("astype", ("int64",)))
        .and_then(|v| v.extract::<i64>())
        .map_err(|e| validation(path, e.to_string()))?;
    if ms == i64::MIN {
        return Err(validation(path, "NaT is not an instant"));
    }
    Ok(ms)
}

/// An instant argument: Unix milliseconds (an integer), an aware `datetime`, a
/// `numpy.datetime64` or RFC 3339 text.
pub(crate) fn instant(value: &Bound<'_, PyAny>, path: &str) -> Result<i64, Error> {
    if let Ok(ms) = value.downcast::<PyInt>().map(|v| v.extract::<i64>()) {
        return ms.map_err(|e| validation(path, e.to_string()));
    }
    let py = value.py();
    let k = kinds(py).map_err(|e| validation(path, e.to_string()))?;
    if value.is_instance(k.datetime.bind(py)).unwrap_or(false) {
        return datetime_ms(value, path);
    }
    if k.datetime64
        .as_ref()
        .is_some_and(|t| value.is_instance(t.bind(py)).unwrap_or(false))
    {
        return datetime64_ms(value, path);
    }
    if let Ok(text) = value.extract::<String>() {
        return podscale_bindings::decode::from_value::<podscale_bindings::units::Instant>(
            serde_json::Value::String(text),
        )
        .map(|i| i.0)
        .map_err(|e| e.at(path));
    }
    if k.generic
        .as_ref()
        .is_some_and(|t| value.is_instance(t.bind(py)).unwrap_or(false))
    {
        if let Ok(ms) = value.call_method0("item").and_then(|v| v.extract::<i64>()) {
            return Ok(ms);
        }
    }
    Err(validation(
        path,
        "not an instant: give an aware datetime, a numpy.datetime64 or Unix milliseconds",
    )
    .with_value(value.repr().map(|r| r.to_string()).unwrap_or_default()))
}

/// A duration argument in milliseconds: seconds (a number), a `timedelta`, or Go text (`"1m30s"`).
pub(crate) fn duration_ms(value: &Bound<'_, PyAny>, path: &str) -> Result<i64, Error> {
    let py = value.py();
    let k = kinds(py).map_err(|e| validation(path, e.to_string()))?;
    let normalized = if value.is_instance(k.timedelta.bind(py)).unwrap_or(false) {
        let seconds = value
            .call_method0("total_seconds")
            .and_then(|s| s.extract::<f64>())
            .map_err(|e| validation(path, e.to_string()))?;
        serde_json::Value::from(seconds)
    } else if let Ok(text) = value.extract::<String>() {
        serde_json::Value::String(text)
    } else if let Ok(seconds) = value.extract::<i64>() {
        serde_json::Value::from(seconds)
    } else if let Ok(seconds) = value.extract::<f64>() {
        serde_json::Value::from(seconds)
    } else {
        return Err(validation(
            path,
            "not a duration: give seconds, a timedelta or text such as 1m30s",
        ));
    };
    podscale_bindings::decode::from_value::<podscale_bindings::units::Duration>(normalized)
        .map(|d| d.0)
        .map_err(|e| e.at(path))
}

/// `value` with every `datetime` and `numpy.datetime64` as Unix milliseconds, every
/// `timedelta` as seconds and every numpy scalar as its Python value, so that serde reads it;
/// dictionaries and lists are copied, other values shared.
pub(crate) fn normalize<'py>(
    value: &Bound<'py, PyAny>,
    path: &str,
) -> Result<Bound<'py, PyAny>, Error> {
    let py = value.py();
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        // Serde reads 64-bit integers; a larger one goes on as a float, which the field then
        // refuses with its own path (or, beyond any float, is refused here).
        if value.extract::<i64>().is_err() && value.extract::<u64>().is_err() {
            let x = value.extract::<f64>().map_err(|_| {
                validation(path, "an integer out of range").with_value(value.to_string())
            })?;
            return Ok(PyFloat::new(py, x).into_any());
        }
        return Ok(value.clone());
    }
    if value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBool>()
        || value.is_instance_of::<PyFloat>()
        || value.is_none()
    {
        return Ok(value.clone());
    }
    if let Ok(dict) = value.downcast::<PyDict>() {
        let out = PyDict::new(py);
        for (k, v) in dict.iter() {
            let key = k.str().map(|s| s.to_string()).unwrap_or_default();
            let child = if path.is_empty() {
                key
            } else {
                format!("{path}.{key}")
            };
            // JSON keys are text: an integer key (a bucket index) is written as its digits.
            let normalized_key = if k.is_instance_of::<PyInt>() {
                PyString::new(py, &k.str().map(|s| s.to_string()).unwrap_or_default()).into_any()
            } else {
                k.clone()
            };
            out.set_item(normalized_key, normalize(&v, &child)?)
                .map_err(|e| validation(path, e.to_string()))?;
        }
        return Ok(out.into_any());
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let out = PyList::empty(py);
        for (i, v) in value
            .try_iter()
            .map_err(|e| validation(path, e.to_string()))?
            .enumerate()
        {
            let v = v.map_err(|e| validation(path, e.to_string()))?;
            out.append(normalize(&v, &format!("{path}[{i}]"))?)
                .map_err(|e| validation(path, e.to_string()))?;
        }
        return Ok(out.into_any());
    }
    let k = kinds(py).map_err(|e| validation(path, e.to_string()))?;
    if value.is_instance(k.datetime.bind(py)).unwrap_or(false) {
        return Ok(datetime_ms(value, path)?
            .into_pyobject(py)
            .map_err(|e| validation(path, e.to_string()))?
            .into_any());
    }
    if value.is_instance(k.timedelta.bind(py)).unwrap_or(false) {
        return value
            .call_method0("total_seconds")
            .map_err(|e| validation(path, e.to_string()));
    }
    if k.datetime64
        .as_ref()
        .is_some_and(|t| value.is_instance(t.bind(py)).unwrap_or(false))
    {
        return Ok(datetime64_ms(value, path)?
            .into_pyobject(py)
            .map_err(|e| validation(path, e.to_string()))?
            .into_any());
    }
    if k.generic
        .as_ref()
        .is_some_and(|t| value.is_instance(t.bind(py)).unwrap_or(false))
    {
        return value
            .call_method0("item")
            .map_err(|e| validation(path, e.to_string()));
    }
    // A numpy array or another sequence: as a list.
    if value.hasattr("tolist").unwrap_or(false) {
        let list = value
            .call_method0("tolist")
            .map_err(|e| validation(path, e.to_string()))?;
        return normalize(&list, path);
    }
    Ok(value.clone())
}

/// A normalized value as JSON data: requests are then read exactly as the Node package reads
/// them, with the same messages.
fn json_value(value: &Bound<'_, PyAny>) -> Result<serde_json::Value, Error> {
    let mut deserializer = Depythonizer::from_object(value);
    serde::Deserialize::deserialize(&mut deserializer).map_err(|e: pythonize::PythonizeError| {
        Error::validation("", format!("not plain data: {e}"))
    })
}

/// Reads `T` from `value` (normalized first); errors name the field and carry the bad value.
pub(crate) fn read<T: DeserializeOwned>(value: &Bound<'_, PyAny>, path: &str) -> PyResult<T> {
    let py = value.py();
    let normalized = normalize(value, "").map_err(|e| to_py_err(py, e.at(path), Some(value)))?;
    let json = json_value(&normalized).map_err(|e| to_py_err(py, e.at(path), Some(value)))?;
    podscale_bindings::decode::from_value(json).map_err(|e| {
        let lookup_path = e.path.clone();
        let value_obj = lookup(&normalized, &lookup_path).map(|v| v.unbind());
        let mut err = e.at(path);
        if err.value.is_none() {
            err.value = value_obj.and_then(|v| v.bind(py).repr().ok().map(|r| r.to_string()));
        }
        to_py_err(py, err, Some(value).filter(|_| path.is_empty()))
    })
}

/// Reads `T` from keyword arguments in Python's spelling (`current_replicas=3` is the
/// request's `currentReplicas`). Errors name the keyword as given.
pub(crate) fn read_kwargs<T: DeserializeOwned>(
    py: Python<'_>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<T> {
    let dict = PyDict::new(py);
    let mut names: Vec<(String, String)> = Vec::new();
    if let Some(kwargs) = kwargs {
        for (k, v) in kwargs.iter() {
            let name: String = k.extract()?;
            let key = camel(&name);
            names.push((key.clone(), name));
            dict.set_item(key, v)?;
        }
    }
    let normalized = normalize(dict.as_any(), "").map_err(|e| to_py_err(py, e, None))?;
    let json = json_value(&normalized).map_err(|e| to_py_err(py, e, None))?;
    podscale_bindings::decode::from_value(json).map_err(|mut e| {
        // Name the keyword as the caller wrote it.
        let head = e.path.split(['.', '[']).next().unwrap_or("").to_string();
        if let Some((_, original)) = names.iter().find(|(k, _)| *k == head) {
            e.path = format!("{original}{}", &e.path[head.len()..]);
        }
        let value = kwargs.and_then(|k| lookup(k.as_any(), &e.path));
        if e.value.is_none() {
            e.value = value.and_then(|v| v.repr().ok().map(|r| r.to_string()));
        }
        to_py_err(py, e, None)
    })
}

/// The answer as plain Python data (dicts, lists, numbers, strings).
pub(crate) fn answer<T: Serialize>(py: Python<'_>, value: &T) -> PyResult<PyObject> {
    pythonize(py, value).map(Bound::unbind).map_err(|e| {
        to_py_err(
            py,
            Error::internal(format!("cannot write the answer: {e}")),
            None,
        )
    })
}

/// A bindings result as a Python result.
pub(crate) fn ok<T>(py: Python<'_>, result: podscale_bindings::Result<T>) -> PyResult<T> {
    result.map_err(|e| to_py_err(py, e, None))
}

/// `instant()` raising the package's exception.
pub(crate) fn py_instant(value: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    instant(value, name).map_err(|e| to_py_err(value.py(), e, None))
}

/// `duration_ms()` raising the package's exception.
pub(crate) fn py_duration(value: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    duration_ms(value, name).map_err(|e| to_py_err(value.py(), e, None))
}

/// Parses a Kubernetes quantity (`"200m"`, `"250Mi"`, `0.5`) into milli-units (`milli=True`,
/// the default: `"200m"` is 200) or whole units rounded up (`"250Mi"` is 262144000).
#[pyfunction]
#[pyo3(signature = (quantity, *, milli = true))]
fn parse_quantity(py: Python<'_>, quantity: &Bound<'_, PyAny>, milli: bool) -> PyResult<i64> {
    let text = if let Ok(s) = quantity.extract::<String>() {
        s
    } else if let Ok(i) = quantity.extract::<i64>() {
        i.to_string()
    } else if let Ok(f) = quantity.extract::<f64>() {
        if !f.is_finite() {
            return Err(to_py_err(
                py,
                Error::validation("", "not a quantity").with_value(f),
                None,
            ));
        }
        format!("{f}")
    } else {
        return Err(PyTypeError::new_err("a quantity is a string or a number"));
    };
    ok(
        py,
        podscale_bindings::units::parse_quantity(&text, if milli { 3 } else { 0 }),
    )
}

/// Formats an amount as the API server prints it: milli-units as `"1500m"` or `"2"`
/// (`resource="cpu"`, the default), bytes as `"250Mi"` (`resource="memory"`).
#[pyfunction]
#[pyo3(signature = (amount, resource = "cpu"))]
fn format_quantity(py: Python<'_>, amount: i64, resource: &str) -> PyResult<String> {
    match resource {
        "memory" => Ok(podscale_bindings::units::format_bytes(amount)),
        "cpu" => Ok(podscale_bindings::units::format_milli(amount)),
        other => Err(to_py_err(
            py,
            Error::validation("resource", "cpu or memory").with_value(other),
            None,
        )),
    }
}

/// An instant (aware `datetime`, `numpy.datetime64`, RFC 3339 text or Unix milliseconds) as
/// Unix milliseconds.
#[pyfunction]
fn to_unix_ms(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    py_instant(value, "")
}
