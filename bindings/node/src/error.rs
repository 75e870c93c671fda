//! Errors as JavaScript `Error` subclasses: `PodscaleError` for a decision the core refuses,
//! `ValidationError extends PodscaleError` for input refused before anything is decided, both
//! with the field path (`spec.metrics[0].resource.target.averageUtilization`) and the bad
//! value. No panic reaches Node: every export runs inside [`guard`].

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use napi::bindgen_prelude::{
    FnArgs, FromNapiValue, Function, JsObjectValue, Object, ObjectRef, Unknown,
};
use napi::{Env, Status};
use podscale_bindings::{Error, ErrorKind};

/// The classes, defined in JavaScript so that they are real `Error` subclasses (with a stack
/// and `instanceof Error`), which a napi class cannot be.
const CLASSES: &str = r"(() => {
  class PodscaleError extends Error {
    constructor(message, details) {
      super(message);
      const d = details ?? {};
      this.kind = d.kind ?? 'Refused';
      this.path = d.path ?? '';
      this.value = d.value;
      this.detail = d.detail ?? message;
      this.code = d.kind === 'Validation' ? 'PODSCALE_VALIDATION' : 'PODSCALE_' + String(this.kind).toUpperCase();
    }
  }
  Object.defineProperty(PodscaleError.prototype, 'name', { value: 'PodscaleError', writable: true, configurable: true });
  class ValidationError extends PodscaleError {}
  Object.defineProperty(ValidationError.prototype, 'name', { value: 'ValidationError', writable: true, configurable: true });

  // An HPA decision: its numbers as own properties; its explanation kept as the JSON text the
  // core's answer serializes to, parsed when first read. No native object backs it, so
  // deciding in a loop leaves nothing for the garbage collector to finalize.
  class Decision {
    #text;
    #data = null;
    constructor(text, currentReplicas, desiredReplicas, rescale, metricReplicas) {
      this.#text = text;
      this.currentReplicas = currentReplicas;
      this.desiredReplicas = desiredReplicas;
      this.rescale = rescale;
      this.metricReplicas = metricReplicas;
    }
    #read() { return (this.#data ??= JSON.parse(this.#text)); }
    get reason() { return this.#read().reason; }
    get reasonMetric() { return this.#read().reasonMetric; }
    // Each read is the caller's own copy, as a plain-object answer would be.
    get metrics() { return JSON.parse(this.#text).metrics; }
    get conditions() { return JSON.parse(this.#text).conditions; }
    condition(type) { return this.conditions.find((c) => c.type === type) ?? null; }
    toJSON() { return JSON.parse(this.#text); }
  }
  Object.defineProperty(Decision, 'name', { value: 'Decision' });
  const makeDecision = (text, current, desired, rescale, metricReplicas) =>
    new Decision(text, current, desired, rescale, metricReplicas);
  return { PodscaleError, ValidationError, Decision, makeDecision };
})()";

thread_local! {
    // Per thread, so per Node environment (a worker has its own thread and module instance).
    static CLASSES_REF: RefCell<Option<ObjectRef<false>>> = const { RefCell::new(None) };
}

/// Defines the error classes and puts them on the module's exports.
pub(crate) fn register(env: &Env, exports: &mut Object<'_>) -> napi::Result<()> {
    let classes: Object<'_> = env.run_script(CLASSES)?;
    for name in ["PodscaleError", "ValidationError", "Decision"] {
        let class: Unknown<'_> = classes.get_named_property(name)?;
        exports.set_named_property(name, class)?;
    }

    let reference = classes.create_ref::<false>()?;
    CLASSES_REF.with(|r| r.replace(Some(reference)));
    Ok(())
}

/// A `Decision` object: the explanation as JSON `text` (parsed when read) and its numbers.
pub(crate) fn make_decision<'e>(
    env: &'e Env,
    text: String,
    numbers: (i32, i32, bool, Option<i32>),
) -> napi::Result<Unknown<'e>> {
    let classes = CLASSES_REF.with(|r| {
        r.borrow()
            .as_ref()
            .map(|reference| reference.get_value(env))
            .transpose()
    })?;
    let classes = classes.ok_or_else(|| napi::Error::from_reason("classes not registered"))?;
    type Make<'f> = Function<'f, FnArgs<(String, i32, i32, bool, Option<i32>)>, Unknown<'f>>;
    let make: Make<'_> = classes.get_named_property("makeDecision")?;
    let (current, desired, rescale, metric_replicas) = numbers;
    make.call((text, current, desired, rescale, metric_replicas).into())
}

/// Throws `error` as a `ValidationError` or `PodscaleError`, with `value` (the caller's own bad
/// value when the bindings found it in the input) or else the error's text of it.
pub(crate) fn throw(env: &Env, error: &Error, value: Option<Unknown<'_>>) -> napi::Error {
    match build(env, error, value) {
        Ok(object) => match env.throw(object) {
            Ok(()) => napi::Error::new(Status::PendingException, error.to_string()),
            Err(e) => e,
        },
        // The classes are missing (never: `register` runs at load); a plain Error still says it.
        Err(_) => napi::Error::new(Status::GenericFailure, error.to_string()),
    }
}

fn build<'e>(env: &'e Env, error: &Error, value: Option<Unknown<'_>>) -> napi::Result<Object<'e>> {
    let classes = CLASSES_REF.with(|r| {
        r.borrow()
            .as_ref()
            .map(|reference| reference.get_value(env))
            .transpose()
    })?;
    let classes =
        classes.ok_or_else(|| napi::Error::from_reason("error classes not registered"))?;
    let class_name = match error.kind {
        ErrorKind::Validation => "ValidationError",
        ErrorKind::Refused | ErrorKind::Internal => "PodscaleError",
    };
    let class: Function<'_, FnArgs<(String, Object<'_>)>, Unknown<'_>> =
        classes.get_named_property(class_name)?;
    let mut details = Object::new(env)?;
    details.set_named_property("kind", kind_name(error.kind))?;
    details.set_named_property("path", error.path.as_str())?;
    details.set_named_property("detail", error.message.as_str())?;
    match value {
        Some(v) => details.set_named_property("value", v)?,
        None => {
            if let Some(text) = &error.value {
                details.set_named_property("value", text.as_str())?;
            }
        }
    }
    let instance = class.new_instance((error.to_string(), details).into())?;
    Object::from_unknown(instance)
}

const fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation => "Validation",
        ErrorKind::Refused => "Refused",
        ErrorKind::Internal => "Internal",
    }
}

/// A failure inside an export: a bindings error not yet thrown, or a napi error (already thrown,
/// or to be thrown as napi does).
#[derive(Debug)]
pub(crate) enum Failure {
    /// Thrown as a `PodscaleError` or `ValidationError`.
    Podscale(Error),
    /// A napi failure (a JS exception pending, or napi's own error).
    Napi(napi::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Podscale(e)
    }
}

impl From<napi::Error> for Failure {
    fn from(e: napi::Error) -> Self {
        Self::Napi(e)
    }
}

/// Runs an export's body, turning its failures and any panic into a thrown JavaScript error.
///
/// A panic is a bug, never an expected outcome: it becomes a `PodscaleError` of kind
/// `Internal` instead of unwinding into Node (which would abort the process).
pub(crate) fn guard<T>(env: &Env, body: impl FnOnce() -> Result<T, Failure>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(Failure::Podscale(e))) => Err(throw(env, &e, None)),
        Ok(Err(Failure::Napi(e))) => Err(e),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(throw(
                env,
                &Error::internal(format!("internal error (please report it): {what}")),
                None,
            ))
        }
    }
}
