//! RFC 3339 timestamps as `metav1.Time` reads them (`time.Parse(time.RFC3339, s)`), to Unix
//! milliseconds.
//!
//! The grammar is Go's: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of any length after `.` or
//! `,`, then `Z` or `±HH:MM`, with uppercase `T` and `Z`. Fields are range-checked as Go does
//! (day against the month's length, no leap second 60, offsets up to 23:59). podscale keeps
//! milliseconds: finer fractions are truncated toward the earlier millisecond.

use crate::civil_date::days_from_civil;

/// `YYYY-MM-DDTHH:MM:SS(.frac)?(Z|±HH:MM)` to Unix milliseconds, or why not.
pub(crate) fn parse_ms(text: &[u8]) -> Result<i64, &'static str> {
    const SHAPE: &str = "not of the form YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)";
    let number = |from: usize, len: usize| -> Result<i64, &'static str> {
        let digits = text.get(from..from.saturating_add(len)).ok_or(SHAPE)?;
        digits.iter().try_fold(0i64, |acc, &b| {
            let digit = char::from(b).to_digit(10).ok_or(SHAPE)?;
            Ok(acc.saturating_mul(10).saturating_add(i64::from(digit)))
        })
    };
    let separator = |at: usize, expected: u8| -> Result<(), &'static str> {
        if text.get(at) == Some(&expected) {
            Ok(())
        } else {
            Err(SHAPE)
        }
    };
    let year = number(0, 4)?;
    separator(4, b'-')?;
    let month = number(5, 2)?;
    separator(7, b'-')?;
    let day = number(8, 2)?;
    separator(10, b'T')?;
    let hour = number(11, 2)?;
    separator(13, b':')?;
    let minute = number(14, 2)?;
    separator(16, b':')?;
    let second = number(17, 2)?;

    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if !(1..=days_in_month(year, month)).contains(&day) {
        return Err("day out of range");
    }
    if hour > 23 {
        return Err("hour out of range");
    }
    if minute > 59 {
        return Err("minute out of range");
    }
    if second > 59 {
        return Err("second out of range");
    }

    let mut rest = text.get(19..).ok_or(SHAPE)?;
    let mut millis = 0i64;
    if let [b'.' | b',', fraction @ ..] = rest {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(SHAPE);
        }
        // The first three digits, right-padded with zeros: truncation to the millisecond.
        for position in 0..3 {
            let digit = fraction
                .get(position)
                .filter(|_| position < digits)
                .and_then(|&b| char::from(b).to_digit(10))
                .map_or(0, i64::from);
            millis = millis.saturating_mul(10).saturating_add(digit);
        }
        rest = fraction.get(digits..).ok_or(SHAPE)?;
    }

    let offset_seconds = match rest {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| -> Result<i64, &'static str> {
                let tens = char::from(a).to_digit(10).ok_or(SHAPE)?;
                let ones = char::from(b).to_digit(10).ok_or(SHAPE)?;
                Ok(i64::from(tens.saturating_mul(10).saturating_add(ones)))
            };
            let (hours, minutes) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if hours > 23 || minutes > 59 {
                return Err("time zone offset out of range");
            }
            let magnitude = hours
                .saturating_mul(3600)
                .saturating_add(minutes.saturating_mul(60));
            if *sign == b'-' {
                magnitude.saturating_neg()
            } else {
                magnitude
            }
        }
        _ => return Err(SHAPE),
    };

    let days = days_from_civil(year, month, day);
    let seconds = days
        .saturating_mul(86_400)
        .saturating_add(hour.saturating_mul(3600))
        .saturating_add(minute.saturating_mul(60))
        .saturating_add(second)
        .saturating_sub(offset_seconds);
    Ok(seconds.saturating_mul(1000).saturating_add(millis))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vpa::GO_ZERO_TIME_MS;

    #[test]
    fn parses_go_rfc3339() {
        assert_eq!(parse_ms(b"2018-01-02T03:04:05Z"), Ok(1_514_862_245_000));
        assert_eq!(parse_ms(b"0001-01-01T00:00:00Z"), Ok(GO_ZERO_TIME_MS));
        assert_eq!(parse_ms(b"1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_ms(b"2023-11-15T00:00:00Z"), Ok(1_700_006_400_000));
        assert_eq!(
            parse_ms(b"2023-11-15T01:30:00+01:30"),
            Ok(1_700_006_400_000)
        );
        assert_eq!(
            parse_ms(b"2023-11-14T23:00:00-01:00"),
            Ok(1_700_006_400_000)
        );
        assert_eq!(
            parse_ms(b"2023-11-15T00:00:00.1239Z"),
            Ok(1_700_006_400_123)
        );
        assert_eq!(parse_ms(b"2023-11-15T00:00:00,5Z"), Ok(1_700_006_400_500));
        assert_eq!(parse_ms(b"1969-12-31T23:59:59.9996Z"), Ok(-1));
        assert_eq!(parse_ms(b"2024-02-29T00:00:00Z"), Ok(1_709_164_800_000));
        assert_eq!(parse_ms(b"9999-12-31T23:59:59Z"), Ok(253_402_300_799_000));
    }

    #[test]
    fn refuses_what_go_refuses() {
        for text in [
            &b"2023-02-29T00:00:00Z"[..],
            b"2023-13-01T00:00:00Z",
            b"2023-00-01T00:00:00Z",
            b"2023-01-01T24:00:00Z",
            b"2023-01-01T00:60:00Z",
            b"2023-01-01T00:00:60Z",
            b"2023-01-01t00:00:00Z",
            b"2023-01-01T00:00:00z",
            b"2023-01-01T00:00:00",
            b"2023-01-01T00:00:00.Z",
            b"2023-01-01T00:00:00+0100",
            b"2023-01-01T00:00:00+24:00",
            b"2023-01-01 00:00:00Z",
            b"23-01-01T00:00:00Z",
            b"",
            b"2023-01-01T00:00:00ZZ",
        ] {
            assert!(parse_ms(text).is_err(), "{:?}", core::str::from_utf8(text));
        }
    }
}
