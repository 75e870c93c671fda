//! JavaScript values to the bindings' serde types and back.
//!
//! Inputs are read into a `serde_json::Value` first, by a walk of our own rather than napi's
//! deserializer, because JavaScript has shapes JSON lacks and people pass them: a `Date` is an
//! instant (Unix milliseconds), a typed array is a list of numbers, `undefined` is an absent
//! field, and a whole number beyond ±2^53 is not silently saturated. The common crate then reads
//! the value with the field path of the first bad field.

use napi::bindgen_prelude::{
    Array, Either3, Float64Array, FromNapiValue, JsObjectValue, JsValue, Null, Object, ToNapiValue,
    Unknown,
};
use napi::{Env, ValueType};
use podscale_bindings::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::error::{Failure, throw};

/// An instant as JavaScript gives it: a `Date`, Unix milliseconds, or RFC 3339 text.
pub(crate) type InstantArg<'a> = Either3<f64, String, napi::JsDate<'a>>;

/// Nesting deeper than this is refused rather than walked (a cyclic object would never end).
const MAX_DEPTH: usize = 64;

/// Reads `value` as JSON, naming `path` (`spec.metrics[0]`) in errors.
pub(crate) fn to_json(value: &Unknown<'_>, path: &str) -> Result<Value, Failure> {
    walk(value, path, 0)
}

fn walk(value: &Unknown<'_>, path: &str, depth: usize) -> Result<Value, Failure> {
    if depth > MAX_DEPTH {
        return Err(Error::validation(path, "nested too deeply (a cycle?)").into());
    }
    Ok(match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Value::Null,
        ValueType::Boolean => Value::Bool(bool::from_unknown(*value)?),
        ValueType::Number => number(f64::from_unknown(*value)?),
        ValueType::String => Value::String(String::from_unknown(*value)?),
        ValueType::BigInt => {
            let text = String::from_unknown(value.coerce_to_string()?.to_unknown())?;
            text.parse::<i64>()
                .map(Value::from)
                .map_err(|_| Error::validation(path, "a BigInt beyond 64 bits").with_value(&text))?
        }
        ValueType::Object => {
            let object = Object::from_unknown(*value)?;
            if object.is_date()? {
                let date = napi::JsDate::from_unknown(*value)?;
                let ms = date.value_of()?;
                if !ms.is_finite() {
                    return Err(Error::validation(path, "an invalid Date")
                        .with_value("Invalid Date")
                        .into());
                }
                number(ms)
            } else if object.is_array()? {
                let array = Array::from_unknown(*value)?;
                let mut out = Vec::with_capacity(array.len() as usize);
                for i in 0..array.len() {
                    let item: Unknown<'_> = array.get_element(i)?;
                    out.push(walk(&item, &format!("{path}[{i}]"), depth + 1)?);
                }
                Value::Array(out)
            } else if object.is_typedarray()? {
                typed_array(value, path)?
            } else {
                let mut map = Map::new();
                for key in Object::keys(&object)? {
                    let item: Unknown<'_> = object.get_named_property(&key)?;
                    // `undefined` is an absent field, as JSON.stringify has it.
                    if item.get_type()? == ValueType::Undefined {
                        continue;
                    }
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    map.insert(key, walk(&item, &child, depth + 1)?);
                }
                Value::Object(map)
            }
        }
        other => {
            return Err(Error::validation(path, format!("a {other:?} is not data")).into());
        }
    })
}

/// A JavaScript number as JSON: whole numbers that an `i64` holds exactly stay integers.
fn number(x: f64) -> Value {
    // Within ±2^53 every whole double is exact, and the cast cannot lose anything.
    if x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0 {
        if x == 0.0 {
            return Value::from(0);
        }
        return Value::from(x as i64);
    }
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn typed_array(value: &Unknown<'_>, path: &str) -> Result<Value, Failure> {
    match Float64Array::from_unknown(*value) {
        Ok(array) => Ok(Value::Array(array.iter().map(|x| number(*x)).collect())),
        Err(_) => {
            Err(Error::validation(path, "only a Float64Array can stand for a list here").into())
        }
    }
}

/// Reads a `T` from a JavaScript value; a bad field becomes a `ValidationError` with its path
/// under `prefix` and the caller's own value at that path.
pub(crate) fn decode<T: DeserializeOwned>(
    env: &Env,
    value: &Unknown<'_>,
    prefix: &str,
) -> Result<T, Failure> {
    let json = to_json(value, prefix)?;
    from_json(env, json, prefix)
}

/// Reads a `T` from JSON already walked from JavaScript.
pub(crate) fn from_json<T: DeserializeOwned>(
    env: &Env,
    json: Value,
    prefix: &str,
) -> Result<T, Failure> {
    match podscale_bindings::decode::from_value::<T>(json.clone()) {
        Ok(t) => Ok(t),
        Err(e) => {
            let found = lookup(&json, &e.path).cloned();
            let e = e.at(prefix);
            let original = match found {
                Some(v) if e.value.is_none() && !v.is_null() => Some(json_to_js(env, &v)?),
                _ => None,
            };
            Err(Failure::Napi(throw(env, &e, original)))
        }
    }
}

/// The value at `path` (`metrics[0].resource.name`) in `json`.
fn lookup<'j>(json: &'j Value, path: &str) -> Option<&'j Value> {
    let mut here = json;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            here = here.get(name)?;
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped.find(']')?;
            let index: usize = stripped[..end].parse().ok()?;
            here = here.get(index)?;
            rest = &stripped[end + 1..];
        }
    }
    Some(here)
}

/// A serde value as a plain JavaScript object.
///
/// Through `serde_json::Value` rather than napi's serializer, which drops the tag of an enum's
/// struct variants (so a state would not read back) and turns integers above 2^32 into BigInts.
pub(crate) fn encode<'e, T: Serialize>(env: &'e Env, value: &T) -> Result<Unknown<'e>, Failure> {
    let json = serde_json::to_value(value)
        .map_err(|e| Error::internal(format!("an answer that does not serialize: {e}")))?;
    Ok(json_to_js(env, &json)?)
}

/// A JSON value as the JavaScript value `JSON.parse` would give.
pub(crate) fn json_to_js<'e>(env: &'e Env, json: &Value) -> napi::Result<Unknown<'e>> {
    Ok(match json {
        Value::Null => Null.into_unknown(env)?,
        Value::Bool(b) => b.into_unknown(env)?,
        // Every JSON number is a double in JavaScript; integers beyond 2^53 round as there.
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN).into_unknown(env)?,
        Value::String(s) => s.as_str().into_unknown(env)?,
        Value::Array(items) => {
            let mut array = env.create_array(items.len() as u32)?;
            for (i, item) in items.iter().enumerate() {
                array.set(i as u32, json_to_js(env, item)?)?;
            }
            array.to_unknown()
        }
        Value::Object(map) => {
            let mut object = Object::new(env)?;
            for (key, item) in map {
                object.set_named_property(key, json_to_js(env, item)?)?;
            }
            object.to_unknown()
        }
    })
}

/// An instant argument as Unix milliseconds, naming `what` in errors.
pub(crate) fn instant(arg: &InstantArg<'_>, what: &str) -> Result<i64, Failure> {
    match arg {
        Either3::A(ms) => whole_ms(*ms, what),
        Either3::B(text) => podscale_controller::time::parse_rfc3339_ms(text)
            .map_err(|m| Error::validation(what, m).with_value(text).into()),
        Either3::C(date) => whole_ms(date.value_of()?, what),
    }
}

fn whole_ms(ms: f64, what: &str) -> Result<i64, Failure> {
    if ms.is_finite() && ms.fract() == 0.0 && ms.abs() < 9.2e18 {
        Ok(ms as i64)
    } else {
        Err(
            Error::validation(what, "not a whole number of Unix milliseconds")
                .with_value(ms)
                .into(),
        )
    }
}

/// Whether an optional argument was left out (`undefined` or `null`).
pub(crate) fn is_absent(value: &Unknown<'_>) -> napi::Result<bool> {
    Ok(matches!(
        value.get_type()?,
        ValueType::Undefined | ValueType::Null
    ))
}

/// The shape of most exports: one request object in, one answer out, both plain objects.
pub(crate) fn call<'e, Req, Ans>(
    env: &'e Env,
    request: &Unknown<'_>,
    prefix: &str,
    f: impl FnOnce(Req) -> podscale_bindings::Result<Ans>,
) -> napi::Result<Unknown<'e>>
where
    Req: DeserializeOwned,
    Ans: Serialize,
{
    crate::error::guard(env, || {
        let request = decode(env, request, prefix)?;
        let answer = f(request)?;
        encode(env, &answer)
    })
}

/// Instants of a `Float64Array` (Unix milliseconds) as integers, naming `what[i]` in errors.
pub(crate) fn instants(values: &[f64], what: &str) -> Result<Vec<i64>, Failure> {
    values
        .iter()
        .enumerate()
        .map(|(i, t)| whole_ms(*t, &format!("{what}[{i}]")))
        .collect()
}

/// Parses a Kubernetes quantity (`'200m'`, `'250Mi'`, `0.5`) into milli-units (the default:
/// `'200m'` is 200) or, with `options.milli` false, whole units rounded up (`'250Mi'` is
/// 262144000), as `Quantity.MilliValue()` and `Value()` do.
///
/// @throws {ValidationError} text that is not a quantity, or one too large.
#[napi_derive::napi(ts_args_type = "quantity: string | number, options?: { milli?: boolean }")]
pub(crate) fn parse_quantity(
    env: Env,
    quantity: napi::bindgen_prelude::Either<String, f64>,
    options: Option<Object<'_>>,
) -> napi::Result<f64> {
    crate::error::guard(&env, || {
        let milli: Option<bool> = match &options {
            Some(o) => o.get_named_property("milli")?,
            None => None,
        };
        let text = match quantity {
            napi::bindgen_prelude::Either::A(text) => text,
            napi::bindgen_prelude::Either::B(x) if x.is_finite() => format!("{x}"),
            napi::bindgen_prelude::Either::B(x) => {
                return Err(Error::validation("", "not a quantity").with_value(x).into());
            }
        };
        let exponent = if milli.unwrap_or(true) { 3 } else { 0 };
        Ok(podscale_bindings::units::parse_quantity(&text, exponent)? as f64)
    })
}

/// Formats an amount as the API server prints it: milli-units as `'1500m'` or `'2'`
/// (`resource` `'cpu'`, the default), bytes as `'250Mi'` (`'memory'`).
///
/// @throws {ValidationError} another resource, or an amount that is not whole.
#[napi_derive::napi(ts_args_type = "amount: number, resource?: 'cpu' | 'memory'")]
pub(crate) fn format_quantity(
    env: Env,
    amount: f64,
    resource: Option<String>,
) -> napi::Result<String> {
    crate::error::guard(&env, || {
        let amount = whole_ms(amount, "amount")?;
        match resource.as_deref().unwrap_or("cpu") {
            "memory" => Ok(podscale_bindings::units::format_bytes(amount)),
            "cpu" => Ok(podscale_bindings::units::format_milli(amount)),
            other => Err(Error::validation("resource", "cpu or memory")
                .with_value(other)
                .into()),
        }
    })
}

/// An instant (a `Date`, RFC 3339 text or Unix milliseconds) as Unix milliseconds.
///
/// @throws {ValidationError} text that is not RFC 3339, an invalid `Date`, a fraction of a
/// millisecond.
#[napi_derive::napi(ts_args_type = "value: Instant")]
pub(crate) fn to_unix_ms(env: Env, value: InstantArg<'_>) -> napi::Result<f64> {
    crate::error::guard(&env, || Ok(instant(&value, "")? as f64))
}
