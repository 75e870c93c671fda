//! Kubernetes `resource.Quantity` strings (`200m`, `0.5`, `250Mi`, `1e3`) read into the core's
//! integer units, rounding up as `Quantity.MilliValue()` and `Quantity.Value()` do.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// Digits a quantity may have: far more than any real one, few enough for `i128` arithmetic.
const MAX_DIGITS: usize = 30;
/// Largest decimal exponent accepted, either way.
const MAX_EXPONENT: i32 = 30;

/// Parses `text` and returns it times `10^unit_exponent`, rounded away from zero: 3 gives
/// milli-units (`MilliValue`), 0 whole units (`Value`).
///
/// # Errors
///
/// Text that is not a quantity, or one too large for `i64` in that unit.
///
/// ```
/// use podscale_controller::manifest::quantity::parse_scaled;
/// assert_eq!(parse_scaled("200m", 3), Ok(200));
/// assert_eq!(parse_scaled("0.5", 3), Ok(500));
/// assert_eq!(parse_scaled("250Mi", 0), Ok(262_144_000));
/// assert_eq!(parse_scaled("1.5k", 0), Ok(1500));
/// assert_eq!(parse_scaled("1u", 3), Ok(1)); // rounds up
/// assert!(parse_scaled("200 m", 3).is_err());
/// ```
pub fn parse_scaled(text: &str, unit_exponent: i32) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a quantity (write it as 200m, 0.5, 2, 250Mi or 1G)");
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or("")),
        Some(b'+') => (false, text.get(1..).unwrap_or("")),
        _ => (false, text),
    };
    let number_len = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (number, suffix) = body.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.contains('.')
        || whole.len().saturating_add(fraction.len()) > MAX_DIGITS
    {
        return Err(bad());
    }
    let mut mantissa: i128 = 0;
    for digit in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa * 10 + i128::from(digit - b'0');
    }
    // value = mantissa * 2^binary * 10^decimal
    let (binary, mut decimal): (u32, i32) = match suffix {
        "Ki" => (10, 0),
        "Mi" => (20, 0),
        "Gi" => (30, 0),
        "Ti" => (40, 0),
        "Pi" => (50, 0),
        "Ei" => (60, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "" => (0, 0),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        _ => {
            let exponent = suffix
                .strip_prefix(['e', 'E'])
                .and_then(|e| e.parse::<i32>().ok())
                .filter(|e| e.abs() <= MAX_EXPONENT)
                .ok_or_else(bad)?;
            (0, exponent)
        }
    };
    let fraction_digits = i32::try_from(fraction.len()).map_err(|_| bad())?;
    decimal = decimal + unit_exponent - fraction_digits;
    let too_large = || format!("`{text}` is too large");
    let mut numerator = mantissa
        .checked_mul(1_i128 << binary)
        .ok_or_else(too_large)?;
    let mut denominator: i128 = 1;
    let power = 10_i128
        .checked_pow(decimal.unsigned_abs())
        .ok_or_else(too_large)?;
    if decimal >= 0 {
        numerator = numerator.checked_mul(power).ok_or_else(too_large)?;
    } else {
        denominator = power;
    }
    // Round away from zero, as inf.Dec's RoundUp in Quantity.ScaledValue.
    let value = numerator / denominator + i128::from(numerator % denominator != 0);
    let value = if negative { -value } else { value };
    i64::try_from(value).map_err(|_| too_large())
}

/// A quantity read in milli-units: CPU in millicores, a metric target in milli-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilliQuantity(pub i64);

/// A quantity read in whole units: memory in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(pub i64);

/// Reads a quantity written as a string or a bare YAML number, as the API server accepts both.
struct QuantityVisitor(i32);

impl Visitor<'_> for QuantityVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quantity such as 200m, 0.5 or 250Mi")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        parse_scaled(v.trim(), self.0).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // Rust prints the shortest text that reads back as `v`: 0.5 stays "0.5".
        if v.is_finite() {
            self.visit_str(&format!("{v}"))
        } else {
            Err(E::custom(format!("`{v}` is not a quantity")))
        }
    }
}

impl<'de> Deserialize<'de> for MilliQuantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(QuantityVisitor(3)).map(Self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(QuantityVisitor(0)).map(Self)
    }
}

/// `requests` or `limits`: the two resources the core models; others (GPUs, storage) are
/// accepted and ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ResourceList {
    /// `cpu`, millicores.
    pub cpu: Option<MilliQuantity>,
    /// `memory`, bytes.
    pub memory: Option<Quantity>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_rounding() {
        assert_eq!(parse_scaled("1", 3), Ok(1000));
        assert_eq!(parse_scaled("1.0001", 3), Ok(1001));
        assert_eq!(parse_scaled("100n", 3), Ok(1));
        assert_eq!(parse_scaled("1Ki", 0), Ok(1024));
        assert_eq!(parse_scaled("1e3", 0), Ok(1000));
        assert_eq!(parse_scaled("1E-3", 3), Ok(1));
        assert_eq!(parse_scaled(".5", 3), Ok(500));
        assert_eq!(parse_scaled("-1", 3), Ok(-1000));
        for bad in [
            "",
            ".",
            "1..2",
            "m",
            "1mi",
            "1e",
            "1e99",
            "0x10",
            "1 Gi",
            "99999999999Ei",
        ] {
            assert!(parse_scaled(bad, 3).is_err(), "{bad}");
        }
    }
}
