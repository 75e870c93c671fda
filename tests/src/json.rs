//! Reading vector fields with errors that name the field.

use serde_json::Value;

pub(crate) type Outcome<T> = Result<T, String>;

pub(crate) fn field<'v>(v: &'v Value, key: &str) -> Outcome<&'v Value> {
    v.get(key).ok_or_else(|| format!("missing field {key:?}"))
}

pub(crate) fn int(v: &Value, key: &str) -> Outcome<i64> {
    field(v, key)?
        .as_i64()
        .ok_or_else(|| format!("field {key:?} is not an integer"))
}

pub(crate) fn int32(v: &Value, key: &str) -> Outcome<i32> {
    i32::try_from(int(v, key)?).map_err(|_| format!("field {key:?} does not fit int32"))
}

pub(crate) fn opt_int32(v: &Value, key: &str) -> Outcome<Option<i32>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => int32(v, key).map(Some),
    }
}

pub(crate) fn float(v: &Value, key: &str) -> Outcome<f64> {
    field(v, key)?
        .as_f64()
        .ok_or_else(|| format!("field {key:?} is not a number"))
}

pub(crate) fn opt_float(v: &Value, key: &str) -> Outcome<Option<f64>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => float(v, key).map(Some),
    }
}

pub(crate) fn boolean(v: &Value, key: &str) -> Outcome<bool> {
    field(v, key)?
        .as_bool()
        .ok_or_else(|| format!("field {key:?} is not a boolean"))
}

pub(crate) fn string<'v>(v: &'v Value, key: &str) -> Outcome<&'v str> {
    field(v, key)?
        .as_str()
        .ok_or_else(|| format!("field {key:?} is not a string"))
}

pub(crate) fn array<'v>(v: &'v Value, key: &str) -> Outcome<&'v [Value]> {
    field(v, key)?
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| format!("field {key:?} is not an array"))
}

/// Vector times are whole seconds relative to the decision instant; core takes milliseconds.
pub(crate) fn seconds_ms(v: &Value, key: &str) -> Outcome<i64> {
    int(v, key)?
        .checked_mul(1000)
        .ok_or_else(|| format!("field {key:?} overflows milliseconds"))
}

/// Leaks a string for the borrowed views core takes: the runner is a short-lived process.
pub(crate) fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

pub(crate) fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

pub(crate) fn check<T: PartialEq + std::fmt::Debug>(
    what: &str,
    expected: T,
    got: T,
) -> Outcome<()> {
    if expected == got {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {got:?}"))
    }
}
