//! Go's `strconv` parsers as KEDA calls them on manifest strings: `ParseBool`, `ParseFloat`.

/// Go's `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`, nothing else.
///
/// ```
/// use podscale::keda::go_parse_bool;
/// assert_eq!(go_parse_bool("True"), Some(true));
/// assert_eq!(go_parse_bool("0"), Some(false));
/// assert_eq!(go_parse_bool("yes"), None);
/// assert_eq!(go_parse_bool("tRUE"), None);
/// ```
pub fn go_parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal floats with an optional sign and exponent, and
/// `inf`, `infinity`, `nan` in any case. A finite literal too large for `f64` is an error, as
/// Go's `ErrRange` is.
///
/// Go also reads hexadecimal floats (`0x1p-2`) and `_` separators after a base prefix; those
/// are refused here (no ScaledObject field needs them).
///
/// ```
/// use podscale::keda::go_parse_float;
/// assert_eq!(go_parse_float("2.5"), Some(2.5));
/// assert_eq!(go_parse_float("1e3"), Some(1000.0));
/// assert_eq!(go_parse_float("+Inf"), Some(f64::INFINITY));
/// assert_eq!(go_parse_float("1e400"), None);
/// assert_eq!(go_parse_float("2,5"), None);
/// ```
pub fn go_parse_float(value: &str) -> Option<f64> {
    match value.parse::<f64>() {
        Ok(x) if x.is_infinite() && !spells_infinity(value) => None,
        Ok(x) => Some(x),
        Err(_) => None,
    }
}

/// The tail of Go's `ParseFloat` error text for `value`, `None` when it parses.
pub(super) fn go_parse_float_error(value: &str) -> Option<&'static str> {
    match value.parse::<f64>() {
        Ok(x) if x.is_infinite() && !spells_infinity(value) => Some("value out of range"),
        Ok(_) => None,
        Err(_) => Some("invalid syntax"),
    }
}

/// Whether a float literal spells infinity itself (`inf`, `+Infinity`), rather than overflowing.
fn spells_infinity(value: &str) -> bool {
    value
        .as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"inf"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_float_errors_follow_go() {
        assert_eq!(go_parse_float_error("1.5"), None);
        assert_eq!(go_parse_float_error("+Inf"), None);
        assert_eq!(go_parse_float_error("1e400"), Some("value out of range"));
        assert_eq!(go_parse_float_error(""), Some("invalid syntax"));
        assert!(go_parse_float("nan").is_some_and(f64::is_nan));
        assert_eq!(go_parse_float(".5"), Some(0.5));
        assert_eq!(go_parse_float("-0"), Some(-0.0));
    }
}
