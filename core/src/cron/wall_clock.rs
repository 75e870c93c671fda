//! Go's wall-clock arithmetic in a zone: the four `time` operations robfig's `Next` relies on,
//! reproduced exactly, DST gaps and overlaps included.
//!
//! Instants are Unix seconds here; civil dates use the proleptic Gregorian calendar.

use super::zone::{EMPTY, Period, Zone};
use crate::civil_date::{civil_from_days, days_from_civil};

const SECONDS_PER_DAY: i64 = 86_400;

/// A zone with the period of constant offset last looked up: a search asks for offsets at
/// instants close together, and most fall in the same period, where the answer needs no lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor {
    zone: Zone,
    period: Period,
    /// The period after `period`, when the lookup found it too.
    next: Period,
}

impl Cursor {
    pub(crate) const fn new(zone: Zone) -> Self {
        Self {
            zone,
            // Empty: the first question looks the period up.
            period: EMPTY,
            next: EMPTY,
        }
    }

    /// A cursor on `period` of `zone`, with the period after it if known (else [`EMPTY`]).
    pub(crate) const fn at(zone: Zone, period: Period, next: Period) -> Self {
        Self { zone, period, next }
    }

    /// The period containing `unix` [Location.lookup].
    #[inline]
    pub(crate) fn period(&mut self, unix: i64) -> Period {
        if !self.period.contains(unix) {
            self.move_to(unix);
        }
        self.period
    }

    /// Makes the period of `unix` the current one.
    #[inline(never)]
    fn move_to(&mut self, unix: i64) {
        if self.next.contains(unix) {
            self.period = self.next;
            self.next = EMPTY;
        } else {
            (self.period, self.next) = self.zone.periods(unix);
        }
    }

    /// The offset in effect at `unix`, as [`Zone::offset_seconds`].
    #[inline]
    pub(crate) fn offset(&mut self, unix: i64) -> i64 {
        i64::from(self.period(unix).offset)
    }

    /// The wall clock at `unix` read as seconds since 1970-01-01 00:00 local.
    #[inline]
    pub(crate) fn local(&mut self, unix: i64) -> i64 {
        unix.saturating_add(self.offset(unix))
    }

    /// The local hour (0 to 23) at `unix` [Time.Hour].
    pub(crate) fn hour(&mut self, unix: i64) -> u32 {
        (self.local(unix).rem_euclid(SECONDS_PER_DAY) / 3600) as u32
    }

    /// The local minute (0 to 59) at `unix` [Time.Minute].
    pub(crate) fn minute(&mut self, unix: i64) -> u32 {
        (self.local(unix).rem_euclid(3600) / 60) as u32
    }

    /// The local second (0 to 59) at `unix` [Time.Second].
    pub(crate) fn second(&mut self, unix: i64) -> u32 {
        self.local(unix).rem_euclid(60) as u32
    }
}

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

/// The local fields of `unix` in `zone` [Time.In, Time.Date, Time.Clock, Time.Weekday].
pub(crate) fn civil(unix: i64, zone: &mut Cursor) -> Civil {
    let local = zone.local(unix);
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
    zone: &mut Cursor,
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
    let first = zone.offset(wall);
    if first == 0 {
        return wall;
    }
    // If `wall - first` still falls in the period that gave `first`, its offset is `first` again;
    // otherwise Go looks the offset up at `wall - first`. Both cases are this one lookup.
    wall.saturating_sub(zone.offset(wall.saturating_sub(first)))
}

/// `t.AddDate(years, months, days)` [Time.AddDate]: local fields plus the change, rebuilt with
/// [`date`].
pub(crate) fn add_date(unix: i64, years: i64, months: i64, days: i64, zone: &mut Cursor) -> i64 {
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
    fn date_resolves_gaps_and_overlaps_as_go() {
        // The spec's section 3.1 examples (2012-03-11 02:30 in New York does not exist).
        let ny = &mut Cursor::new(Zone::from_name("America/New_York").unwrap_or(Zone::UTC));
        let gap = date(2012, 3, 11, 2, 30, 0, ny);
        assert_eq!(civil(gap, ny).hour, 1); // 01:30 EST
        let overlap = date(2012, 11, 4, 1, 30, 0, ny);
        assert_eq!(ny.offset(overlap), -4 * 3600); // the first (EDT) occurrence
        let london = &mut Cursor::new(Zone::from_name("Europe/London").unwrap_or(Zone::UTC));
        let gap = date(2024, 3, 31, 1, 30, 0, london);
        assert_eq!(civil(gap, london).hour, 2); // 02:30 BST
        let overlap = date(2024, 10, 27, 1, 30, 0, london);
        assert_eq!(london.offset(overlap), 0); // the second (GMT) occurrence
        let sao_paulo = &mut Cursor::new(Zone::from_name("America/Sao_Paulo").unwrap_or(Zone::UTC));
        let midnight = date(2018, 11, 4, 0, 0, 0, sao_paulo);
        let c = civil(midnight, sao_paulo);
        assert_eq!((c.day, c.hour), (3, 23)); // 2018-11-03 23:00 -03
    }

    #[test]
    fn date_carries_overflowing_fields() {
        let utc = &mut Cursor::new(Zone::UTC);
        assert_eq!(
            date(2024, 1, 32, 0, 0, 0, utc),
            date(2024, 2, 1, 0, 0, 0, utc)
        );
        assert_eq!(
            date(2024, 13, 1, 0, 0, 0, utc),
            date(2025, 1, 1, 0, 0, 0, utc)
        );
        assert_eq!(
            date(2024, 3, 0, 0, 0, 0, utc),
            date(2024, 2, 29, 0, 0, 0, utc)
        );
    }
}
