//! Go duration strings (`15s`, `1m0.5s`, `20.059s`), as `metav1.Duration` carries them in
//! JSON: a PodMetrics `window`.

/// Nanoseconds per unit, as Go's `time.ParseDuration` knows them.
fn unit_ns(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        // `µs` is U+00B5 (micro sign), `μs` U+03BC (Greek mu): Go accepts both.
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// `2^63`: one past the largest positive duration, and the magnitude of the most negative.
const LIMIT: u64 = 1 << 63;

/// Parses `text` as Go's `time.ParseDuration` does and returns nanoseconds: a sign, then one
/// or more `number unit` terms (`1h2m0.5s`), or a lone `0`. A fraction is scaled through
/// `f64` as Go scales it, so the nanoseconds are Go's to the last digit.
pub(super) fn parse_ns(text: &str) -> Result<i64, String> {
    let invalid = || format!("`{text}` is not a Go duration (write it as 15s, 1m0.5s or 250ms)");
    let overflow = || format!("`{text}` is longer than a Go duration can be");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        // [leadingInt]: whole part; more digits than fit is an overflow.
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let mut whole: u64 = 0;
        for digit in rest.bytes().take(whole_len) {
            whole = whole
                .checked_mul(10)
                .and_then(|w| w.checked_add(u64::from(digit - b'0')))
                .filter(|w| *w <= LIMIT)
                .ok_or_else(overflow)?;
        }
        rest = rest.get(whole_len..).unwrap_or_default();
        // [leadingFraction]: digits past what fits in the fraction are read but dropped.
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut fraction_len = 0;
        if let Some(after_point) = rest.strip_prefix('.') {
            fraction_len = after_point.bytes().take_while(u8::is_ascii_digit).count();
            let mut dropping = false;
            for digit in after_point.bytes().take(fraction_len) {
                if dropping {
                    continue;
                }
                match fraction
                    .checked_mul(10)
                    .and_then(|f| f.checked_add(u64::from(digit - b'0')))
                    .filter(|f| *f <= LIMIT)
                {
                    Some(f) => {
                        fraction = f;
                        scale *= 10.0;
                    }
                    None => dropping = true,
                }
            }
            rest = after_point.get(fraction_len..).unwrap_or_default();
        }
        if whole_len == 0 && fraction_len == 0 {
            return Err(invalid());
        }
        let unit_len = rest
            .bytes()
            .take_while(|b| *b != b'.' && !b.is_ascii_digit())
            .count();
        // Units end at an ASCII byte, so this is a char boundary.
        let unit = rest.get(..unit_len).unwrap_or_default();
        rest = rest.get(unit_len..).unwrap_or_default();
        if unit.is_empty() {
            return Err(format!("`{text}` is missing a unit (ns, us, ms, s, m, h)"));
        }
        let unit = unit_ns(unit).ok_or_else(|| {
            format!("`{text}` has an unknown unit `{unit}` (ns, us, ms, s, m, h)")
        })?;
        if whole > LIMIT / unit {
            return Err(overflow());
        }
        let mut term = whole * unit;
        if fraction > 0 {
            // Go: uint64(float64(f) * (float64(unit) / scale)), at most 3.6e12.
            term += (fraction as f64 * (unit as f64 / scale)) as u64;
            if term > LIMIT {
                return Err(overflow());
            }
        }
        total = total
            .checked_add(term)
            .filter(|t| *t <= LIMIT)
            .ok_or_else(overflow)?;
    }
    if negative {
        // -2^63 is the one magnitude that only fits negated.
        Ok(0_i64.wrapping_sub_unsigned(total))
    } else {
        i64::try_from(total).map_err(|_| overflow())
    }
}

/// Parses a Go duration into whole milliseconds, truncated toward zero as Go's
/// `Duration.Milliseconds()` truncates.
pub(super) fn parse_ms(text: &str) -> Result<i64, String> {
    parse_ns(text).map(|ns| ns / 1_000_000)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn go_formats_and_forms() {
        // What Go's Duration.String() writes, and what ParseDuration also reads.
        for (text, ns) in [
            ("0", 0),
            ("0s", 0),
            ("15s", 15_000_000_000),
            ("20.059s", 20_059_000_000),
            ("1m0.5s", 60_500_000_000),
            ("1h2m3.5s", 3_723_500_000_000),
            ("500ms", 500_000_000),
            ("1.5\u{b5}s", 1_500),
            ("1.5\u{3bc}s", 1_500),
            ("2us", 2_000),
            ("100ns", 100),
            ("-1.5s", -1_500_000_000),
            ("+3s", 3_000_000_000),
            (".5s", 500_000_000),
            ("5.s", 5_000_000_000),
            ("1.0000000001s", 1_000_000_000),
            ("0.333333333333333333333h", 1_200_000_000_000),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
        ] {
            assert_eq!(parse_ns(text), Ok(ns), "{text}");
        }
    }

    #[test]
    fn refuses_what_go_refuses() {
        for text in [
            "",
            "-",
            "s",
            "15",
            "1.s.",
            ".s",
            "1d",
            "1 s",
            "1s ",
            "1S",
            "--1s",
            "1e3s",
            "2562047h47m16.854775808s",
            "9223372036854775808ns",
            "99999999999999999999s",
        ] {
            assert!(parse_ns(text).is_err(), "{text}");
        }
        assert!(parse_ns("15").unwrap_err().contains("missing a unit"));
        assert!(parse_ns("1d").unwrap_err().contains("unknown unit `d`"));
    }

    #[test]
    fn milliseconds_truncate_toward_zero() {
        assert_eq!(parse_ms("10.7679s"), Ok(10_767));
        assert_eq!(parse_ms("999999ns"), Ok(0));
        assert_eq!(parse_ms("-1.9ms"), Ok(-1));
    }
}
