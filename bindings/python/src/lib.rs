//! `podscale._native`: the Python face of `podscale-bindings`. Each function reads its
//! arguments into the bindings' serde requests (`pythonize`), calls them, and writes the answer
//! back as plain Python data; errors become `podscale.ValidationError` (with the field path and
//! the bad value) or `podscale.Error`. A panic, which the core never raises, is caught here and
//! becomes `podscale.Error` too.

mod convert;
mod hpa;
mod keda;
mod sim;
mod vpa;

use pyo3::prelude::*;

/// The module. It keeps no global state and its classes guard their own data, so it runs
/// without the GIL on free-threaded builds.
#[pymodule(gil_used = false)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    convert::register(m)?;
    hpa::register(m)?;
    keda::register(m)?;
    vpa::register(m)?;
    sim::register(m)?;
    Ok(())
}
