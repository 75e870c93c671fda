//! Reading requests from any serde data model (a Python dict through `pythonize`, a JavaScript
//! object through napi, JSON text) with the field path of the first bad field.

use serde::de::{Deserialize, DeserializeOwned, Deserializer};

use crate::error::{Error, Result};

/// Reads a `T` from `deserializer`; an error names the field path and says what was expected.
///
/// ```
/// use podscale_bindings::decode::from_json;
/// use podscale_bindings::hpa::HorizontalPodAutoscalerSpec;
/// let err = from_json::<HorizontalPodAutoscalerSpec>(
///     r#"{"scaleTargetRef": {"name": "web"}, "maxReplicas": "ten"}"#).unwrap_err();
/// assert_eq!(err.path, "maxReplicas");
/// assert_eq!(err.message, "invalid type: string \"ten\", expected i32");
/// ```
///
/// # Errors
///
/// A [`Validation`](crate::ErrorKind::Validation) error at the first field that does not read.
pub fn decode<'de, T: Deserialize<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<T>
where
    D::Error: std::fmt::Display,
{
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = strip_position(&e.into_inner().to_string());
        // Some deserializers start their message with the path they tracked themselves.
        let message = message
            .strip_prefix(&format!("{path}: "))
            .map_or(message.clone(), str::to_string);
        Error::validation(path, message)
    })
}

/// Drops serde_json's ` at line L column C`: the field path says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => message[..at].to_string(),
        _ => message.to_string(),
    }
}

/// Reads a `T` from JSON text (what the Node package and the tests use).
///
/// # Errors
///
/// As [`decode`]; text that is not JSON is an error at the whole input.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = decode(&mut deserializer)?;
    deserializer
        .end()
        .map_err(|e| Error::validation("", e.to_string()))?;
    Ok(value)
}

/// Reads a `T` from a `serde_json::Value`.
///
/// # Errors
///
/// As [`decode`].
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    decode(value)
}
