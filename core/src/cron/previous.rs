//! The most recent firing of a schedule at or before an instant: what the civil window mode of
//! the cron trigger compares.
//!
//! robfig/cron has no `Prev`. This search walks the same firings `next_after` produces — every
//! instant whose local wall clock in the zone matches the schedule at second 0, so a wall time
//! skipped by a DST gap never fires and one repeated by an overlap fires twice — backwards.

use super::schedule::Schedule;
use super::wall_clock::{Cursor, civil, date};
use super::zone::Zone;

/// The instants (in seconds) the search covers: a firing must be representable in milliseconds,
/// with room for the days searched.
const LAST_SECOND: i64 = i64::MAX / 1000 - 400 * 86_400;
const FIRST_SECOND: i64 = i64::MIN / 1000 + 2000 * 86_400;

/// As far back as `next_after` looks forward.
const SEARCH_DAYS: i64 = 5 * 366;

/// The widest wall-clock span an overlap can reorder (DST shifts are at most two hours).
const OVERLAP_SECONDS: i64 = 3 * 3600;

impl Schedule {
    /// The latest firing at or before `at_ms` (Unix milliseconds), evaluated in `zone` unless
    /// the expression has its own `TZ=` zone, or `None` if there is none within five years.
    ///
    /// ```
    /// use podscale::cron::{Schedule, Zone};
    /// let daily = Schedule::parse("0 6 * * *")?;
    /// // 2024-05-01 12:00 UTC: the latest firing is 06:00 that morning.
    /// assert_eq!(daily.previous_at_or_before(1_714_564_800_000, Zone::UTC), Some(1_714_543_200_000));
    /// # Ok::<(), podscale::cron::CronError<'static>>(())
    /// ```
    pub fn previous_at_or_before(&self, at_ms: i64, zone: Zone) -> Option<i64> {
        if !self.can_fire() {
            return None;
        }
        let zone = self.zone().unwrap_or(zone);
        let at = at_ms.div_euclid(1000);
        if !(FIRST_SECOND..=LAST_SECOND).contains(&at) {
            return None;
        }
        let zone = &mut Cursor::new(zone);
        let today = civil(at, zone);
        // Wall times later than this cannot map to an instant at or before `at`.
        let latest_wall = zone.local(at).saturating_add(OVERLAP_SECONDS);
        let mut best: Option<i64> = None;
        // Once a firing is found, wall times more than an overlap earlier cannot beat it.
        let mut stop_below_wall: Option<i64> = None;
        for back in 0..=SEARCH_DAYS {
            let noon = date(
                today.year,
                today.month.into(),
                i64::from(today.day).saturating_sub(back),
                12,
                0,
                0,
                zone,
            );
            let day = civil(noon, zone);
            if !(self.fires_in_month(day.month) && self.fires_on_day(day.day, day.weekday)) {
                if stop_below_wall.is_some() {
                    break;
                }
                continue;
            }
            let wall_midnight = local_seconds(day.year, day.month, day.day);
            for hour in (0..24u32).rev() {
                if !self.fires_at_hour(hour) {
                    continue;
                }
                for minute in (0..60u32).rev() {
                    if !self.fires_at_minute(minute) {
                        continue;
                    }
                    let wall = wall_midnight
                        .saturating_add(i64::from(hour).saturating_mul(3600))
                        .saturating_add(i64::from(minute).saturating_mul(60));
                    if wall > latest_wall {
                        continue;
                    }
                    if stop_below_wall.is_some_and(|stop| wall < stop) {
                        return best.and_then(|s| s.checked_mul(1000));
                    }
                    for instant in instants_of_wall_time(wall, zone) {
                        let Some(instant) = instant else { continue };
                        if instant <= at && best.is_none_or(|b| instant > b) {
                            best = Some(instant);
                            stop_below_wall.get_or_insert(wall.saturating_sub(OVERLAP_SECONDS));
                        }
                    }
                }
            }
        }
        best.and_then(|s| s.checked_mul(1000))
    }
}

/// Seconds since the epoch of a local midnight, read as if the zone were UTC.
fn local_seconds(year: i64, month: u32, day: u32) -> i64 {
    date(
        year,
        month.into(),
        day.into(),
        0,
        0,
        0,
        &mut Cursor::new(Zone::UTC),
    )
}

/// The instants (at most two) whose local wall clock in `zone` reads `wall`.
fn instants_of_wall_time(wall: i64, zone: &mut Cursor) -> [Option<i64>; 2] {
    let mut found: [Option<i64>; 2] = [None, None];
    // The offsets in effect a little before and after the instant the wall time roughly is: it
    // maps to an instant under one of them, or under none in a gap.
    let rough = wall.saturating_sub(zone.offset(wall));
    let probes = [
        rough.saturating_sub(OVERLAP_SECONDS),
        rough.saturating_add(OVERLAP_SECONDS),
    ];
    for (slot, probe) in found.iter_mut().zip(probes) {
        let instant = wall.saturating_sub(zone.offset(probe));
        let local = zone.local(instant);
        if local == wall {
            *slot = Some(instant);
        }
    }
    match found {
        [first, second] if first == second => [first, None],
        distinct => distinct,
    }
}
