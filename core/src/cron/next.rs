//! The next firing of a schedule [SpecSchedule.Next].

use super::schedule::Schedule;
use super::wall_clock::{add_date, civil, date, truncate};
use super::zone::Zone;

/// robfig gives up when the search passes five years after its start.
const SEARCH_YEARS: i64 = 5;

/// A bound on loop iterations, far above what a five-year search of any zone needs (a few
/// thousand days and, with the jumps below, a few steps per day), so that no input can make a
/// call run long.
const MAX_STEPS: u32 = 50_000;

/// Instants (in seconds) beyond which the search stops: a firing must be representable in
/// milliseconds, with room for a year of steps.
const LAST_SECOND: i64 = i64::MAX / 1000 - 400 * 86_400;
const FIRST_SECOND: i64 = i64::MIN / 1000 + 400 * 86_400;

impl Schedule {
    /// The first firing strictly after `after_ms` (Unix milliseconds), evaluated in `zone` unless
    /// the expression has its own `TZ=` zone, or `None` if there is none within five years
    /// [SpecSchedule.Next].
    ///
    /// Exactly as robfig/cron v3.0.1: wall-clock times skipped by a DST gap do not fire; those
    /// repeated by an overlap fire twice. Around an offset change that is not at the top of an
    /// hour, robfig can even return an instant at or before `after_ms` (the first occurrence of a
    /// repeated midnight), and so does this. Two departures, where robfig gives no answer: a
    /// schedule with an empty field (`"0 , * * *"` parses, as in robfig) returns `None` at
    /// once instead of searching five years, and a calendar day skipped by its zone (Samoa's
    /// 2011-12-30) is stepped over instead of looping forever.
    ///
    /// ```
    /// use podscale::cron::{Schedule, Zone};
    /// let daily = Schedule::parse("0 2 * * *")?;
    /// let new_york = Zone::from_name("America/New_York").unwrap();
    /// // 2024-03-09 02:00 EST fires; 2024-03-10 02:00 does not exist; next is 03-11 02:00 EDT.
    /// let saturday = 1_709_967_600_000;
    /// assert_eq!(daily.next_after(saturday, new_york), Some(1_710_136_800_000));
    /// assert_eq!(Schedule::parse("0 0 30 2 *")?.next_after(0, Zone::UTC), None);
    /// # Ok::<(), podscale::cron::CronError<'static>>(())
    /// ```
    pub fn next_after(&self, after_ms: i64, zone: Zone) -> Option<i64> {
        if !self.can_fire() {
            return None;
        }
        let zone = self.zone().unwrap_or(zone);
        // The upcoming whole second.
        let mut t = after_ms.div_euclid(1000).checked_add(1)?;
        if !(FIRST_SECOND..=LAST_SECOND).contains(&t) {
            return None;
        }
        let mut added = false;
        let year_limit = civil(t, &zone).year.saturating_add(SEARCH_YEARS);
        let mut steps = 0u32;
        let mut step = || {
            steps = steps.saturating_add(1);
            steps <= MAX_STEPS
        };
        'wrap: loop {
            if civil(t, &zone).year > year_limit || t > LAST_SECOND {
                return None;
            }
            loop {
                if !step() {
                    return None;
                }
                let c = civil(t, &zone);
                if self.fires_in_month(c.month) {
                    break;
                }
                if !added {
                    added = true;
                    t = date(c.year, i64::from(c.month), 1, 0, 0, 0, &zone);
                }
                t = add_date(t, 0, 1, 0, &zone);
                if civil(t, &zone).month == 1 {
                    continue 'wrap;
                }
            }
            loop {
                if !step() {
                    return None;
                }
                let c = civil(t, &zone);
                if self.fires_on_day(c.day, c.weekday) {
                    break;
                }
                if !added {
                    added = true;
                    t = date(c.year, i64::from(c.month), i64::from(c.day), 0, 0, 0, &zone);
                }
                let before = t;
                t = add_date(t, 0, 0, 1, &zone);
                if t <= before {
                    // The next calendar day does not exist in this zone (Samoa skipped
                    // 2011-12-30): its midnight resolves back into today. robfig loops forever
                    // here; step a day of absolute time instead.
                    t = before.saturating_add(86_400);
                }
                // A DST change can land the next day off midnight: move back to it (robfig#157).
                let hour = i64::from(civil(t, &zone).hour);
                if hour != 0 {
                    t = if hour > 12 {
                        t.saturating_add((24i64.saturating_sub(hour)).saturating_mul(3600))
                    } else {
                        t.saturating_sub(hour.saturating_mul(3600))
                    };
                }
                if civil(t, &zone).day == 1 {
                    continue 'wrap;
                }
            }
            loop {
                if !step() {
                    return None;
                }
                let c = civil(t, &zone);
                if self.fires_at_hour(c.hour) {
                    break;
                }
                if !added {
                    added = true;
                    let (month, day, hour) = (c.month, c.day, c.hour);
                    t = date(c.year, month.into(), day.into(), hour.into(), 0, 0, &zone);
                }
                // Hour by hour, as robfig, but straight to the next allowed hour (or midnight)
                // when no offset change lies in between: the wall clock then moves with it.
                // Counted from the hour `t` reads now: the reset above can move it (03:00 in a
                // spring-forward gap resolves to 04:00), and robfig steps from there.
                let hours = self.hours_until_next_hour(civil(t, &zone).hour);
                let jump = t.saturating_add(hours.saturating_mul(3600));
                t = if hours > 1 && zone.offset_seconds(jump) == zone.offset_seconds(t) {
                    jump
                } else {
                    t.saturating_add(3600)
                };
                if civil(t, &zone).hour == 0 {
                    continue 'wrap;
                }
            }
            loop {
                if !step() {
                    return None;
                }
                let c = civil(t, &zone);
                if self.fires_at_minute(c.minute) {
                    break;
                }
                if !added {
                    added = true;
                    t = truncate(t, 60);
                }
                // Counted from the minute `t` reads after the truncation, which can move the wall
                // clock back a minute under an offset with seconds (local mean time).
                let minutes = self.minutes_until_next_minute(civil(t, &zone).minute);
                let jump = t.saturating_add(minutes.saturating_mul(60));
                t = if minutes > 1 && zone.offset_seconds(jump) == zone.offset_seconds(t) {
                    jump
                } else {
                    t.saturating_add(60)
                };
                if civil(t, &zone).minute == 0 {
                    continue 'wrap;
                }
            }
            // The seconds field is always {0}.
            while civil(t, &zone).second != 0 {
                if !step() {
                    return None;
                }
                added = true;
                t = t.saturating_add(1);
                if civil(t, &zone).second == 0 {
                    continue 'wrap;
                }
            }
            return t.checked_mul(1000);
        }
    }

    /// Hours from `hour` to the next allowed hour of the day, or to midnight if none is left.
    fn hours_until_next_hour(&self, hour: u32) -> i64 {
        let next = (hour.saturating_add(1)..24)
            .find(|h| self.fires_at_hour(*h))
            .unwrap_or(24);
        i64::from(next.saturating_sub(hour))
    }

    /// Minutes from `minute` to the next allowed minute of the hour, or to the next hour.
    fn minutes_until_next_minute(&self, minute: u32) -> i64 {
        let next = (minute.saturating_add(1)..60)
            .find(|m| self.fires_at_minute(*m))
            .unwrap_or(60);
        i64::from(next.saturating_sub(minute))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn robfig_can_return_an_hour_it_does_not_allow_across_an_off_the_hour_dst_change() {
        // Chatham falls back from 03:45 to 02:45 on 2022-04-03. From 00:59 local, robfig reaches
        // hour 3, then its minute loop walks through the fall-back into hour 2 and stops at
        // minute 59: 02:59 +12:45, although "*/3" does not allow hour 2.
        let (schedule, chatham) = (
            Schedule::parse("59 */3 1-31 * *").unwrap(),
            Zone::from_name("Pacific/Chatham").unwrap(),
        );
        assert_eq!(
            schedule.next_after(1_648_898_040_000, chatham),
            Some(1_648_908_840_000)
        );
    }

    #[test]
    fn robfig_keeps_the_half_hour_across_lord_howes_half_hour_fall_back() {
        // Lord Howe falls back from 02:00 to 01:30 on 2025-04-06. The hour loop, stepping an
        // hour at a time from before the change, arrives at 22:30 and the minute loop accepts
        // it: 22:00 to 22:29 (which match "* 22-23 13 * 0" on that Sunday) are stepped over.
        let (schedule, lord_howe) = (
            Schedule::parse("* 22-23 13 * 0").unwrap(),
            Zone::from_name("Australia/Lord_Howe").unwrap(),
        );
        assert_eq!(
            schedule.next_after(1_743_339_540_000, lord_howe),
            Some(1_743_940_800_000)
        );
    }

    #[test]
    fn never_firing_and_out_of_range_searches_return_none_at_once() {
        let (empty, every) = (
            Schedule::parse("0 , * * *").unwrap(),
            Schedule::parse("* * * * *").unwrap(),
        );
        assert_eq!(empty.next_after(0, Zone::UTC), None);
        assert_eq!(every.next_after(i64::MAX, Zone::UTC), None);
        assert_eq!(every.next_after(i64::MIN, Zone::UTC), None);
        assert_eq!(every.previous_at_or_before(i64::MIN, Zone::UTC), None);
    }

    #[test]
    fn a_day_the_zone_skips_is_stepped_over() {
        // Samoa skipped 2011-12-30; robfig loops forever on it. Monday 2012-01-02 00:00 +14.
        let (mondays, apia) = (
            Schedule::parse("0 0 * * Mon").unwrap(),
            Zone::from_name("Pacific/Apia").unwrap(),
        );
        assert_eq!(
            mondays.next_after(1_324_944_000_000, apia),
            Some(1_325_412_000_000)
        );
    }
}
