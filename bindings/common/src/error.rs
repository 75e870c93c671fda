//! The one error of the bindings: what kind of failure, where in the input (the field path as
//! written in manifests, `spec.metrics[0].resource.target.averageUtilization`), the bad value
//! when known, and a message.

use std::fmt;

use serde::Serialize;

/// What kind of failure an [`Error`] is. Python maps `Validation` to `podscale.ValidationError`
/// (a `ValueError`), the others to `podscale.Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorKind {
    /// The input is malformed or refused before anything is decided: a missing or mistyped
    /// field, a value out of range, a spec the API server would refuse.
    Validation,
    /// The input was valid but the core refused to decide with it (a full recommendation
    /// history, metric data that does not match the spec, a time zone that cannot be loaded).
    Refused,
    /// A bug: something the bindings did not expect (a panic caught at the boundary).
    Internal,
}

/// A refused input or decision.
///
/// ```
/// use podscale_bindings::{Error, ErrorKind};
/// let e = Error::validation("spec.maxReplicas", "must be at least 1").with_value("0");
/// assert_eq!(e.to_string(), "spec.maxReplicas: must be at least 1 (got 0)");
/// assert_eq!(e.kind, ErrorKind::Validation);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Error {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The field path in the input, in the manifests' own names; empty for the input as a whole.
    pub path: String,
    /// The bad value as text, when the bindings know it. Bindings that hold the caller's input
    /// can instead look `path` up in it to hand back the original object.
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The bindings' result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`ErrorKind::Validation`] error at `path`.
    pub fn validation(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Validation,
            path: path.into(),
            value: None,
            message: message.into(),
        }
    }

    /// A [`ErrorKind::Refused`] error: the core refused valid input.
    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Refused,
            path: String::new(),
            value: None,
            message: message.into(),
        }
    }

    /// A [`ErrorKind::Internal`] error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Internal,
            path: String::new(),
            value: None,
            message: message.into(),
        }
    }

    /// The same error, with the bad value.
    #[must_use]
    pub fn with_value(mut self, value: impl fmt::Display) -> Self {
        self.value = Some(value.to_string());
        self
    }

    /// The same error under `prefix`: a field of `prefix`, or `prefix` itself when the path is
    /// empty. Indexes join without a dot (`metrics` + `[0].type`).
    #[must_use]
    pub fn at(mut self, prefix: &str) -> Self {
        self.path = join_path(prefix, &self.path);
        self
    }
}

/// `prefix.path`, `prefix[0]…` or either alone when the other is empty.
pub(crate) fn join_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(value) = &self.value {
            write!(f, " (got {value})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<podscale_controller::error::InputError> for Error {
    /// A manifest error of the controller's readers: its field path (or file and line) kept.
    fn from(e: podscale_controller::error::InputError) -> Self {
        use podscale_controller::error::Location;
        match *e.location {
            Location::Field { path, .. } => Self::validation(path, e.message),
            Location::Line { line, .. } => {
                Self::validation("", format!("line {line}: {}", e.message))
            }
            Location::File => Self::validation("", e.message),
        }
    }
}
