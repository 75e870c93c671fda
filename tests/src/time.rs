//! RFC 3339 instants, as the KEDA vectors write them, to Unix milliseconds.

use crate::json::Outcome;

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` into Unix milliseconds.
pub(crate) fn rfc3339_ms(text: &str) -> Outcome<i64> {
    let bad = || format!("not an RFC 3339 instant: {text:?}");
    let number = |range: std::ops::Range<usize>| -> Outcome<i64> {
        text.get(range)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let mut rest = text.get(19..).ok_or_else(bad)?;
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits: String = fraction.chars().take_while(char::is_ascii_digit).collect();
        let padded = format!("{digits:0<3}");
        millis = padded
            .get(0..3)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(bad)?;
        rest = fraction.get(digits.len()..).ok_or_else(bad)?;
    }
    let offset_seconds = match rest {
        "Z" => 0,
        _ => {
            let sign = match rest.get(0..1) {
                Some("+") => 1,
                Some("-") => -1,
                _ => return Err(bad()),
            };
            let hours = rest
                .get(1..3)
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(bad)?;
            let minutes = rest
                .get(4..6)
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(bad)?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + hour * 3600 + minute * 60 + second;
    Ok((local - offset_seconds) * 1000 + millis)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::rfc3339_ms;

    #[test]
    fn parses_offsets_and_fractions() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(rfc3339_ms("1970-01-01T09:00:00+09:00"), Ok(0));
        assert_eq!(rfc3339_ms("2024-05-02T12:00:00.5Z"), Ok(1_714_651_200_500));
        assert!(rfc3339_ms("yesterday").is_err());
    }
}
