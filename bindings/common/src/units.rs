//! The units of the manifests: instants, durations and Kubernetes quantities, read from what
//! people write (`"2024-05-01T10:00:00+09:00"`, `"1m30s"`, `"200m"`, `"250Mi"`) or from plain
//! numbers, and written back the way the API server prints them.
//!
//! Numbers mean: an instant is Unix milliseconds, a duration is seconds (manifests count
//! seconds), a CPU quantity is cores (`0.5` is `500m`), a memory quantity is bytes.

use std::fmt;

use podscale_controller::manifest::quantity::parse_scaled;
use podscale_controller::time::{format_rfc3339, parse_duration_ms, parse_rfc3339_ms};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An instant, Unix milliseconds. Reads an integer (milliseconds) or RFC 3339 text; a float
/// must be a whole number of milliseconds.
///
/// ```
/// use podscale_bindings::decode::from_json;
/// use podscale_bindings::units::Instant;
/// assert_eq!(from_json::<Instant>("\"1970-01-01T09:00:01+09:00\"")?, Instant(1000));
/// assert_eq!(from_json::<Instant>("1500")?, Instant(1500));
/// # Ok::<(), podscale_bindings::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Instant(pub i64);

impl Instant {
    /// RFC 3339 text in UTC (`2024-05-01T01:00:00Z`).
    pub fn rfc3339(self) -> String {
        format_rfc3339(self.0, 0)
    }
}

struct InstantVisitor;

impl Visitor<'_> for InstantVisitor {
    type Value = Instant;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an instant: Unix milliseconds or RFC 3339 text")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Instant, E> {
        Ok(Instant(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Instant, E> {
        i64::try_from(v)
            .map(Instant)
            .map_err(|_| E::custom(format!("{v} ms is too far in the future")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Instant, E> {
        whole(v)
            .map(Instant)
            .ok_or_else(|| E::custom(format!("{v} is not a whole number of Unix milliseconds")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Instant, E> {
        parse_rfc3339_ms(v).map(Instant).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(InstantVisitor)
    }
}

/// `v` as an `i64` when it is a whole number inside the range.
fn whole(v: f64) -> Option<i64> {
    // Finite, whole and inside ±2^63: the cast is exact.
    (v.is_finite() && v.fract() == 0.0 && v.abs() < 9.2e18).then_some(v as i64)
}

/// A duration, milliseconds. Reads a number of seconds (fractions allowed, to the millisecond)
/// or Go duration text (`15s`, `1m30s`, `40ms`); writes seconds.
///
/// ```
/// use podscale_bindings::decode::from_json;
/// use podscale_bindings::units::Duration;
/// assert_eq!(from_json::<Duration>("\"1m30s\"")?, Duration(90_000));
/// assert_eq!(from_json::<Duration>("0.25")?, Duration(250));
/// # Ok::<(), podscale_bindings::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub i64);

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            s.serialize_i64(self.0 / 1000)
        } else {
            s.serialize_f64(self.0 as f64 / 1000.0)
        }
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration: seconds or text such as 1m30s")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        v.checked_mul(1000)
            .map(Duration)
            .ok_or_else(|| E::custom(format!("{v} s is too long")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        i64::try_from(v)
            .map_err(|_| E::custom(format!("{v} s is too long")))
            .and_then(|v| self.visit_i64(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        whole((v * 1000.0).round())
            .filter(|_| v.is_finite())
            .map(Duration)
            .ok_or_else(|| E::custom(format!("{v} is not a number of seconds")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration_ms(v).map(Duration).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DurationVisitor)
    }
}

/// A quantity in milli-units (CPU in millicores, a metric value in milli-units): reads
/// `"200m"`, `"0.5"`, `2` or `0.25` as `Quantity.MilliValue()` does (rounding up), writes
/// `"200m"` or `"2"`.
///
/// ```
/// use podscale_bindings::decode::from_json;
/// use podscale_bindings::units::Milli;
/// assert_eq!(from_json::<Milli>("\"250m\"")?, Milli(250));
/// assert_eq!(from_json::<Milli>("1.5")?, Milli(1500));
/// assert_eq!(serde_json::to_string(&Milli(1500)).unwrap(), "\"1500m\"");
/// assert_eq!(serde_json::to_string(&Milli(2000)).unwrap(), "\"2\"");
/// # Ok::<(), podscale_bindings::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Milli(pub i64);

impl<'de> Deserialize<'de> for Milli {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        podscale_controller::manifest::quantity::MilliQuantity::deserialize(d).map(|q| Self(q.0))
    }
}

impl Serialize for Milli {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_milli(self.0))
    }
}

/// A quantity in whole units (memory in bytes): reads `"250Mi"`, `"1G"`, `1024` as
/// `Quantity.Value()` does (rounding up), writes `"250Mi"` (the largest binary suffix that
/// divides it) or the plain number.
///
/// ```
/// use podscale_bindings::decode::from_json;
/// use podscale_bindings::units::Bytes;
/// assert_eq!(from_json::<Bytes>("\"250Mi\"")?, Bytes(262_144_000));
/// assert_eq!(serde_json::to_string(&Bytes(262_144_000)).unwrap(), "\"250Mi\"");
/// # Ok::<(), podscale_bindings::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub i64);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        podscale_controller::manifest::quantity::Quantity::deserialize(d).map(|q| Self(q.0))
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_bytes(self.0))
    }
}

/// Milli-units as the API prints them: `"1500m"`, `"2"`.
pub fn format_milli(milli: i64) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// Bytes as a binary-suffixed quantity when one divides them (`"250Mi"`), else plain.
pub fn format_bytes(bytes: i64) -> String {
    if bytes != 0 {
        for (shift, suffix) in [
            (60, "Ei"),
            (50, "Pi"),
            (40, "Ti"),
            (30, "Gi"),
            (20, "Mi"),
            (10, "Ki"),
        ] {
            let unit = 1_i64 << shift;
            if bytes % unit == 0 {
                return format!("{}{suffix}", bytes / unit);
            }
        }
    }
    bytes.to_string()
}

/// Parses quantity text into units of `10^-unit_exponent` (3: milli-units, 0: whole units),
/// rounding up as `Quantity.ScaledValue` does.
///
/// # Errors
///
/// Text that is not a quantity, or too large.
pub fn parse_quantity(text: &str, unit_exponent: i32) -> Result<i64, crate::Error> {
    parse_scaled(text.trim(), unit_exponent)
        .map_err(|m| crate::Error::validation("", m).with_value(text))
}
