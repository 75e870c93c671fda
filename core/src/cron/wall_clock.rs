//! Go's wall-clock arithmetic in a zone: the four `time` operations robfig's `Next` relies on,
//! reproduced exactly, DST gaps and overlaps included.
//!
//! Instants are Unix seconds here; civil dates use the proleptic Gregorian calendar.

use super::zone::Zone;

const SECONDS_PER_DAY: i64 = 86_400;

/// A local date and time: what Go's `Year()`, `Month()`, … return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i64,
    /// 1 to 12.
    pub(crate) month: u32,
    /// 1 to 31.
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    /// 0 (Sunday) to 6.
    pub(crate) weekday: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
/// Saturating: years beyond ±10^15 lose precision but never overflow.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
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

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
// After the era split every intermediate is below 146 097 * 5: plain arithmetic cannot overflow.
#[allow(clippy::arithmetic_side_effects)]
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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

/// The local fields of `unix` in `zone` [Time.In, Time.Date, Time.Clock, Time.Weekday].
pub(crate) fn civil(unix: i64, zone: &Zone) -> Civil {
    let local = unix.saturating_add(i64::from(zone.offset_seconds(unix)));
    let days = local.div_euclid(SECONDS_PER_DAY);
    let seconds_of_day = local.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = days.saturating_add(4).rem_euclid(7) as u32;
    Civil {
        year,
        month,
        day,
        hour: (seconds_of_day / 3600) as u32,
        minute: (seconds_of_day / 60 % 60) as u32,
        second: (seconds_of_day % 60) as u32,
        weekday,
    }
}

/// The instant of a wall-clock time in `zone` [time.Date].
///
/// Out-of-range fields carry over as Go's do (day 32 of a 31-day month is the 1st of the next).
/// A wall time that does not exist (a spring-forward gap) or exists twice (a fall-back overlap)
/// resolves as Go resolves it: take the offset in effect at the wall time read as UTC, and if
/// the instant it gives lies in another offset period, take that period's offset instead.
pub(crate) fn date(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    zone: &Zone,
) -> i64 {
    // Only the month needs normalizing before the day count; everything below a month is linear.
    let month_index = month.saturating_sub(1);
    let year = year.saturating_add(month_index.div_euclid(12));
    let month = month_index.rem_euclid(12).saturating_add(1);
    let days = days_from_civil(year, month, 1).saturating_add(day.saturating_sub(1));
    let wall = days
        .saturating_mul(SECONDS_PER_DAY)
        .saturating_add(hour.saturating_mul(3600))
        .saturating_add(minute.saturating_mul(60))
        .saturating_add(second);
    let first = i64::from(zone.offset_seconds(wall));
    if first == 0 {
        return wall;
    }
    // If `wall - first` still falls in the period that gave `first`, its offset is `first` again;
    // otherwise Go looks the offset up at `wall - first`. Both cases are this one lookup.
    wall.saturating_sub(i64::from(zone.offset_seconds(wall.saturating_sub(first))))
}

/// `t.AddDate(years, months, days)` [Time.AddDate]: local fields plus the change, rebuilt with
/// [`date`].
pub(crate) fn add_date(unix: i64, years: i64, months: i64, days: i64, zone: &Zone) -> i64 {
    let c = civil(unix, zone);
    date(
        c.year.saturating_add(years),
        i64::from(c.month).saturating_add(months),
        i64::from(c.day).saturating_add(days),
        i64::from(c.hour),
        i64::from(c.minute),
        i64::from(c.second),
        zone,
    )
}

/// `t.Truncate(d)` for `d` a whole number of seconds dividing a day [Time.Truncate]: Go
/// truncates since year 1, which is a whole number of days before the Unix epoch.
pub(crate) fn truncate(unix: i64, seconds: i64) -> i64 {
    unix.saturating_sub(unix.rem_euclid(seconds))
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
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn date_resolves_gaps_and_overlaps_as_go() {
        // The spec's section 3.1 examples (2012-03-11 02:30 in New York does not exist).
        let ny = Zone::from_name("America/New_York").unwrap_or(Zone::UTC);
        let gap = date(2012, 3, 11, 2, 30, 0, &ny);
        assert_eq!(civil(gap, &ny).hour, 1); // 01:30 EST
        let overlap = date(2012, 11, 4, 1, 30, 0, &ny);
        assert_eq!(ny.offset_seconds(overlap), -4 * 3600); // the first (EDT) occurrence
        let london = Zone::from_name("Europe/London").unwrap_or(Zone::UTC);
        let gap = date(2024, 3, 31, 1, 30, 0, &london);
        assert_eq!(civil(gap, &london).hour, 2); // 02:30 BST
        let overlap = date(2024, 10, 27, 1, 30, 0, &london);
        assert_eq!(london.offset_seconds(overlap), 0); // the second (GMT) occurrence
        let sao_paulo = Zone::from_name("America/Sao_Paulo").unwrap_or(Zone::UTC);
        let midnight = date(2018, 11, 4, 0, 0, 0, &sao_paulo);
        let c = civil(midnight, &sao_paulo);
        assert_eq!((c.day, c.hour), (3, 23)); // 2018-11-03 23:00 -03
    }

    #[test]
    fn date_carries_overflowing_fields() {
        let utc = Zone::UTC;
        assert_eq!(
            date(2024, 1, 32, 0, 0, 0, &utc),
            date(2024, 2, 1, 0, 0, 0, &utc)
        );
        assert_eq!(
            date(2024, 13, 1, 0, 0, 0, &utc),
            date(2025, 1, 1, 0, 0, 0, &utc)
        );
        assert_eq!(
            date(2024, 3, 0, 0, 0, 0, &utc),
            date(2024, 2, 29, 0, 0, 0, &utc)
        );
    }
}
