//! Proleptic Gregorian dates as day counts since 1970-01-01, for the Go time models of the cron
//! search and the VPA checkpoint import, and for callers that read or print dates themselves.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
/// Saturating: years beyond ±10^15 lose precision but never overflow.
///
/// ```
/// use podscale::civil_date::days_from_civil;
/// assert_eq!(days_from_civil(1970, 1, 1), 0);
/// assert_eq!(days_from_civil(2024, 5, 1), 19_844);
/// assert_eq!(days_from_civil(1969, 12, 31), -1);
/// ```
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 {
        year.saturating_sub(1)
    } else {
        year
    };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let shifted_month = if month > 2 {
        month.saturating_sub(3)
    } else {
        month.saturating_add(9)
    };
    let day_of_year = (153i64.saturating_mul(shifted_month).saturating_add(2) / 5)
        .saturating_add(day)
        .saturating_sub(1);
    let day_of_era = year_of_era
        .saturating_mul(365)
        .saturating_add(year_of_era / 4)
        .saturating_sub(year_of_era / 100)
        .saturating_add(day_of_year);
    era.saturating_mul(146_097)
        .saturating_add(day_of_era)
        .saturating_sub(719_468)
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01.
///
/// ```
/// use podscale::civil_date::civil_from_days;
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(19_844), (2024, 5, 1));
/// assert_eq!(civil_from_days(-1), (1969, 12, 31));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    match u32::try_from(days.wrapping_add(NERI_SCHNEIDER_SHIFT)) {
        Ok(shifted) if shifted < 1 << 30 => civil_from_shifted_days(shifted),
        _ => civil_from_days_hinnant(days),
    }
}

/// Days from 0000-03-01 less 82 cycles of 400 years to 1970-01-01: day counts from there are
/// non-negative for any date after year -32 800.
const NERI_SCHNEIDER_SHIFT: i64 = 719_468 + 146_097 * 82;

/// [`civil_from_days`] for `shifted` days since the start of [`NERI_SCHNEIDER_SHIFT`], below
/// 2^30 (Neri and Schneider's Euclidean affine functions, "Euclidean affine functions and their
/// application to calendar algorithms", 2022: the cheapest exact form, in 32-bit words).
// With `shifted` below 2^30, `4 * shifted + 3` fits 32 bits and every other intermediate is
// smaller or computed in 64 bits: plain arithmetic cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
const fn civil_from_shifted_days(shifted: u32) -> (i64, u32, u32) {
    // Centuries.
    let n1 = 4 * shifted + 3;
    let century = n1 / 146_097;
    let day_of_century = n1 % 146_097 / 4;
    // Years.
    let n2 = 4 * day_of_century + 3;
    let p2 = 2_939_745u64 * n2 as u64;
    let year_of_century = (p2 >> 32) as u32;
    let day_of_year = (p2 as u32) / 2_939_745 / 4;
    // Months and days, the year starting in March.
    let n3 = 2141 * day_of_year + 197_913;
    let month = n3 >> 16;
    let day = (n3 & 0xffff) / 2141 + 1;
    let (month, january_or_february) = if day_of_year >= 306 {
        (month - 12, 1)
    } else {
        (month, 0)
    };
    let year = (100 * century + year_of_century) as i64 - 400 * 82 + january_or_february;
    (year, month, day)
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
// After the era split every intermediate is below 146 097 * 5: plain arithmetic cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
fn civil_from_days_hinnant(days: i64) -> (i64, u32, u32) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era.saturating_add(era.saturating_mul(400));
    let year = if month <= 2 {
        year.saturating_add(1)
    } else {
        year
    };
    // In range by construction: month 1..=12, day 1..=31.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_across_eras() {
        for days in [
            -800_000i64,
            -719_468,
            -1,
            0,
            1,
            59,
            60,
            365,
            11_016,
            20_000,
            2_000_000,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days_hinnant(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn neri_schneider_is_hinnant() {
        let low = -NERI_SCHNEIDER_SHIFT;
        let high = (1i64 << 30) - NERI_SCHNEIDER_SHIFT;
        // Every day from 1000 years before the shift's start to 10 000 years ahead, then
        // samples up to the end of its range and beyond.
        let every = (low - 400_000)..15_000_000;
        let sampled = (low..high + 400_000).step_by(997);
        for days in every
            .chain(sampled)
            .chain([low - 1, low, high - 1, high, i64::MIN, i64::MAX])
        {
            let (y, m, d) = civil_from_days(days);
            assert_eq!((y, m, d), civil_from_days_hinnant(days), "{days}");
        }
    }
}
