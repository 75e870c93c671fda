//! Durations (`15s`, `1m30s`, `40ms`) and instants (RFC 3339) as the command reads and writes
//! them, in integer milliseconds as the core counts time.

use podscale::civil_date::{civil_from_days, days_from_civil};

/// Parses a duration: one or more `<integer><unit>` parts with units `ms`, `s`, `m`, `h`, `d`
/// (as Go and Prometheus write them), or a bare integer of seconds.
///
/// # Errors
///
/// Anything else, or a value that overflows, as a message naming the text.
///
/// ```
/// use podscale_controller::time::parse_duration_ms;
/// assert_eq!(parse_duration_ms("1m30s"), Ok(90_000));
/// assert_eq!(parse_duration_ms("40ms"), Ok(40));
/// assert_eq!(parse_duration_ms("600"), Ok(600_000));
/// assert!(parse_duration_ms("1.5s").is_err());
/// ```
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a duration (write it as 15s, 1m30s, 40ms or 2h)");
    if text.is_empty() {
        return Err(bad());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .ok_or_else(bad);
    }
    let mut total: i64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, tail) = rest.split_at(digits);
        let units = tail.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, tail) = tail.split_at(units);
        let value: i64 = number.parse().map_err(|_| bad())?;
        let scale: i64 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        total = value
            .checked_mul(scale)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = tail;
    }
    Ok(total)
}

/// Years the parser accepts: enough for any replay, small enough that no sum overflows.
const YEARS: std::ops::RangeInclusive<i64> = 1..=9999;

/// Parses an RFC 3339 instant (`2024-05-01T10:00:00+09:00`, `2024-05-01T01:00:00.5Z`; a space
/// may stand for the `T`) to Unix milliseconds.
///
/// # Errors
///
/// Anything else, as a message naming the text.
///
/// ```
/// use podscale_controller::time::parse_rfc3339_ms;
/// assert_eq!(parse_rfc3339_ms("2024-05-01T10:00:00+09:00"), Ok(1_714_525_200_000));
/// assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:01.25Z"), Ok(1_250));
/// assert!(parse_rfc3339_ms("2024-13-01T00:00:00Z").is_err());
/// ```
pub fn parse_rfc3339_ms(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not an RFC 3339 time such as 2024-05-01T10:00:00+09:00");
    let b = text.trim().as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let separators_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    if !separators_ok {
        return Err(bad());
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(0..4),
        number(5..7),
        number(8..10),
        number(11..13),
        number(14..16),
        number(17..19),
    ) else {
        return Err(bad());
    };
    let mut rest = b.get(19..).unwrap_or(&[]);
    let mut millis: i64 = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        // Milliseconds are the core's unit: further digits are truncated.
        for (i, digit) in fraction.iter().take(digits.min(3)).enumerate() {
            let weight = [100, 10, 1].get(i).copied().unwrap_or(0);
            millis += i64::from(digit - b'0') * weight;
        }
        rest = fraction.get(digits..).unwrap_or(&[]);
    }
    let offset_s: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return Err(bad());
            }
            let [h1, h2, m1, m2] = digits.map(|d| i64::from(d - b'0'));
            let offset = (h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return Err(bad()),
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !YEARS.contains(&year)
        || !(1..=days_in_month).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Ok(seconds * 1000 + millis)
}

/// Formats Unix milliseconds as RFC 3339 at a UTC offset (seconds east): `Z` at 0, the
/// fraction only when there are milliseconds.
///
/// ```
/// use podscale_controller::time::format_rfc3339;
/// assert_eq!(format_rfc3339(1_714_525_200_000, 0), "2024-05-01T01:00:00Z");
/// assert_eq!(format_rfc3339(1_714_525_200_500, 9 * 3600), "2024-05-01T10:00:00.500+09:00");
/// ```
pub fn format_rfc3339(unix_ms: i64, offset_s: i32) -> String {
    let local_ms = unix_ms.saturating_add(i64::from(offset_s).saturating_mul(1000));
    let (days, ms_of_day) = (
        local_ms.div_euclid(86_400_000),
        local_ms.rem_euclid(86_400_000),
    );
    let (year, month, day) = civil_from_days(days);
    let seconds = ms_of_day / 1000;
    let millis = ms_of_day % 1000;
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if millis != 0 {
        text.push_str(&format!(".{millis:03}"));
    }
    if offset_s == 0 {
        text.push('Z');
    } else {
        let sign = if offset_s < 0 { '-' } else { '+' };
        let abs = offset_s.unsigned_abs();
        text.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60));
    }
    text
}

/// A wall-clock time of day, `HH:MM:SS`, at a UTC offset (seconds east).
///
/// ```
/// use podscale_controller::time::format_time_of_day;
/// assert_eq!(format_time_of_day(1_714_525_200_000, 9 * 3600), "10:00:00");
/// ```
pub fn format_time_of_day(unix_ms: i64, offset_s: i32) -> String {
    let local_s = unix_ms
        .div_euclid(1000)
        .saturating_add(i64::from(offset_s))
        .rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02}",
        local_s / 3600,
        local_s / 60 % 60,
        local_s % 60
    )
}

/// Elapsed time, `M:SS` under an hour and `H:MM:SS` from there.
///
/// ```
/// use podscale_controller::time::format_elapsed;
/// assert_eq!(format_elapsed(915_000), "15:15");
/// assert_eq!(format_elapsed(7_200_000), "2:00:00");
/// ```
pub fn format_elapsed(ms: i64) -> String {
    let s = ms.div_euclid(1000);
    if s < 3600 {
        format!("{}:{:02}", s / 60, s % 60)
    } else {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// A duration as the manifests write one: `15s`, `5m`, `1h30m`, `40ms`.
///
/// ```
/// use podscale_controller::time::format_duration;
/// assert_eq!(format_duration(90_000), "1m30s");
/// assert_eq!(format_duration(40), "40ms");
/// ```
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut text = String::new();
    let mut rest = ms;
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        let count = rest / size;
        if count != 0 {
            text.push_str(&format!("{count}{unit}"));
            rest -= count * size;
        }
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_844, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m.into(), d.into()), days);
        }
    }

    #[test]
    fn rfc3339_round_trip() {
        for ms in [0, 1_714_525_200_000, 1_714_525_200_123, -86_400_000] {
            assert_eq!(parse_rfc3339_ms(&format_rfc3339(ms, 0)), Ok(ms));
            assert_eq!(parse_rfc3339_ms(&format_rfc3339(ms, -5 * 3600)), Ok(ms));
        }
    }

    #[test]
    fn bad_durations() {
        for text in ["", "s", "1x", "1.5s", "-1s", "99999999999999999999s"] {
            assert!(parse_duration_ms(text).is_err(), "{text}");
        }
    }
}
