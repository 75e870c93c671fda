//! The next firing of a schedule [SpecSchedule.Next].

use super::schedule::Schedule;
use super::wall_clock::{Cursor, add_date, civil, date, truncate};
use super::zone::{Period, Zone, days_in_month};
use crate::civil_date::{civil_from_days, days_from_civil};

const SECONDS_PER_DAY: i64 = 86_400;

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
        self.search_next(after_ms, zone, true)
    }

    /// [`Schedule::next_after`], and until when its answer holds: `next_after(t)` gives the
    /// same answer for every `t` from `after_ms` up to (not including) the instant returned
    /// with it, which is `after_ms + 1` (no later `t`) unless the following can be shown.
    ///
    /// Under one UTC offset, robfig's search is plain civil arithmetic: the first whole minute
    /// after `t` that every field allows, so the same for every `t` before that minute. Its walk
    /// reaches back to the first of `t`'s month at most (the month field's reset) and reads
    /// wall clocks as UTC (a day at most off): so the answer holds up to itself when the zone
    /// keeps one offset from 32 days before `after_ms` to a day after the answer.
    pub(crate) fn next_after_holding(&self, after_ms: i64, zone: Zone) -> (Option<i64>, i64) {
        const REACH_BACK_SECONDS: i64 = 32 * SECONDS_PER_DAY;
        let next = self.next_after(after_ms, zone);
        let once = after_ms.saturating_add(1);
        let Some(answer) = next.filter(|answer| *answer > after_ms) else {
            return (next, once);
        };
        let zone = self.zone().unwrap_or(zone);
        let first = after_ms.div_euclid(1000).saturating_sub(REACH_BACK_SECONDS);
        let last = answer.div_euclid(1000).saturating_add(SECONDS_PER_DAY);
        let (period, _) = zone.periods(first);
        if period.contains(first) && period.contains(last) {
            (next, answer)
        } else {
            (next, once)
        }
    }

    /// [`Schedule::next_after`]; `one_period` false leaves every step to robfig's walk, for
    /// tests to check the civil shortcut against.
    fn search_next(&self, after_ms: i64, zone: Zone, one_period: bool) -> Option<i64> {
        if !self.can_fire() {
            return None;
        }
        let zone = self.zone().unwrap_or(zone);
        // The upcoming whole second.
        let t = after_ms.div_euclid(1000).checked_add(1)?;
        if !(FIRST_SECOND..=LAST_SECOND).contains(&t) {
            return None;
        }
        let (period, next) = zone.periods(t);
        // Most searches never meet an offset change: answered in civil arithmetic at once.
        if one_period {
            // Whether the answer lies past the period is not kept: noting it here costs the
            // common case more than it saves the rare one.
            let mut past_period = false;
            if let Some(answer) = self.next_in_one_period(t, period, false, None, &mut past_period)
            {
                return answer;
            }
        }
        self.walk(t, Cursor::at(zone, period, next), one_period)
    }

    /// robfig's walk from the whole second `t` [SpecSchedule.Next], with the civil shortcut
    /// tried again after its first reset unless `one_period` is false.
    #[inline(never)]
    fn walk(&self, mut t: i64, mut zone: Cursor, one_period: bool) -> Option<i64> {
        let zone = &mut zone;
        // The start of a period where the shortcut's answer lies past the period's end: it
        // does not help again until the search leaves that period.
        let mut skip = None;
        let first = civil(t, zone);
        let year_limit = first.year.saturating_add(SEARCH_YEARS);
        // `t`'s local fields, kept while `t` does not move.
        let mut c = first;
        let mut added = false;
        let mut steps = 0u32;
        let mut step = || {
            steps = steps.saturating_add(1);
            steps <= MAX_STEPS
        };
        let mut first_turn = true;
        'wrap: loop {
            if !first_turn {
                c = civil(t, zone);
            }
            first_turn = false;
            if c.year > year_limit || t > LAST_SECOND {
                return None;
            }
            // Past the offset change, the rest of the search may again lie in one period.
            if added && one_period {
                let period = zone.period(t);
                if skip != Some(period.start) {
                    let mut past_period = false;
                    let limit = Some(year_limit);
                    if let Some(answer) =
                        self.next_in_one_period(t, period, true, limit, &mut past_period)
                    {
                        return answer;
                    }
                    if past_period {
                        skip = Some(period.start);
                    }
                }
            }
            loop {
                if !step() {
                    return None;
                }
                if self.fires_in_month(c.month) {
                    break;
                }
                if !added {
                    added = true;
                    t = date(c.year, i64::from(c.month), 1, 0, 0, 0, zone);
                }
                t = add_date(t, 0, 1, 0, zone);
                c = civil(t, zone);
                if c.month == 1 {
                    continue 'wrap;
                }
            }
            loop {
                if !step() {
                    return None;
                }
                if self.fires_on_day(c.day, c.weekday) {
                    break;
                }
                if !added {
                    added = true;
                    t = date(c.year, i64::from(c.month), i64::from(c.day), 0, 0, 0, zone);
                }
                let before = t;
                t = add_date(t, 0, 0, 1, zone);
                if t <= before {
                    // The next calendar day does not exist in this zone (Samoa skipped
                    // 2011-12-30): its midnight resolves back into today. robfig loops forever
                    // here; step a day of absolute time instead.
                    t = before.saturating_add(86_400);
                }
                // A DST change can land the next day off midnight: move back to it (robfig#157).
                let hour = i64::from(zone.hour(t));
                if hour != 0 {
                    t = if hour > 12 {
                        t.saturating_add((24i64.saturating_sub(hour)).saturating_mul(3600))
                    } else {
                        t.saturating_sub(hour.saturating_mul(3600))
                    };
                }
                c = civil(t, zone);
                if c.day == 1 {
                    continue 'wrap;
                }
            }
            loop {
                if !step() {
                    return None;
                }
                if self.fires_at_hour(zone.hour(t)) {
                    break;
                }
                if !added {
                    added = true;
                    // `c` is still `t`'s: the hour loop moves `t` only after this reset.
                    let (month, day, hour) = (c.month, c.day, c.hour);
                    t = date(c.year, month.into(), day.into(), hour.into(), 0, 0, zone);
                }
                // Hour by hour, as robfig, but straight to the next allowed hour (or midnight)
                // when no offset change lies in between: the wall clock then moves with it.
                // Counted from the hour `t` reads now: the reset above can move it (03:00 in a
                // spring-forward gap resolves to 04:00), and robfig steps from there.
                let hours = self.hours_until_next_hour(zone.hour(t));
                let jump = t.saturating_add(hours.saturating_mul(3600));
                t = if hours > 1 && zone.offset(jump) == zone.offset(t) {
                    jump
                } else {
                    t.saturating_add(3600)
                };
                if zone.hour(t) == 0 {
                    continue 'wrap;
                }
            }
            loop {
                if !step() {
                    return None;
                }
                if self.fires_at_minute(zone.minute(t)) {
                    break;
                }
                if !added {
                    added = true;
                    t = truncate(t, 60);
                }
                // Counted from the minute `t` reads after the truncation, which can move the wall
                // clock back a minute under an offset with seconds (local mean time).
                let minutes = self.minutes_until_next_minute(zone.minute(t));
                let jump = t.saturating_add(minutes.saturating_mul(60));
                t = if minutes > 1 && zone.offset(jump) == zone.offset(t) {
                    jump
                } else {
                    t.saturating_add(60)
                };
                if zone.minute(t) == 0 {
                    continue 'wrap;
                }
            }
            // The seconds field is always {0}.
            while zone.second(t) != 0 {
                if !step() {
                    return None;
                }
                added = true;
                t = t.saturating_add(1);
                if zone.second(t) == 0 {
                    continue 'wrap;
                }
            }
            return t.checked_mul(1000);
        }
    }

    /// robfig's search from `t` [SpecSchedule.Next] when one offset holds over all of it, in
    /// civil arithmetic; `None` when that cannot be shown, and the walk must decide, with
    /// `past_period` set when the answer lies past the end of `period` (or the offset is not
    /// of whole minutes): then no later instant of the period does better.
    ///
    /// Under one offset, Go's wall-clock operations are plain civil arithmetic, and robfig's
    /// search finds the first whole minute at or after `t` that every field allows (in a year up
    /// to `year_limit`). robfig's walk then visits instants from its first reset (back to the
    /// start of the first field that does not match) to that minute, and [time.Date] looks the
    /// offset up both at each of them and at its wall clock read as UTC: all of these must lie
    /// in the period of `t`. `added` says robfig has already reset, and steps from `t` as it is.
    /// `period` is `t`'s; `year_limit` is robfig's, known once the search has started.
    fn next_in_one_period(
        &self,
        t: i64,
        period: Period,
        added: bool,
        year_limit: Option<i64>,
        past_period: &mut bool,
    ) -> Option<Option<i64>> {
        let offset = i64::from(period.offset);
        // Under an offset of whole minutes, truncating an instant to the minute [Time.Truncate]
        // truncates its wall clock too.
        if offset.rem_euclid(60) != 0 {
            *past_period = true;
            return None;
        }
        let local = t.checked_add(offset)?;
        let days = local.div_euclid(SECONDS_PER_DAY);
        let second_of_day = local.rem_euclid(SECONDS_PER_DAY);
        let hour = (second_of_day / 3600) as u32;
        // The first whole minute at or after `local`.
        let first_minute = (second_of_day.saturating_add(59) / 60) as u32;
        let (reset, stop_local, fires) = match year_limit {
            // Every day matches: the firing is today or tomorrow, years before robfig's limit,
            // and the date is not needed. (Once the search has started, the limit may be near.)
            None if self.fires_every_day() => {
                let reset = if self.fires_at_hour(hour) {
                    // The minute's start, or (all fields matching) no reset: `t` itself.
                    local.saturating_sub(second_of_day % 60)
                } else {
                    local.saturating_sub(second_of_day % 3600)
                };
                let (day, minute) = match self.first_time_from(first_minute) {
                    Some(minute) => (days, minute),
                    None => {
                        let minute = self.first_time_from(0)?;
                        (days.saturating_add(1), minute)
                    }
                };
                let stop_local = day
                    .saturating_mul(SECONDS_PER_DAY)
                    .saturating_add(i64::from(minute).saturating_mul(60));
                (reset, stop_local, true)
            }
            _ => {
                let (year, month, day) = civil_from_days(days);
                // 1970-01-01 was a Thursday.
                let weekday = days.saturating_add(4).rem_euclid(7) as u32;
                let year_limit = year_limit.unwrap_or(year.saturating_add(SEARCH_YEARS));
                let month_matches = self.fires_in_month(month);
                let reset = if added {
                    // robfig no longer truncates: its steps keep the wall clock's lower fields,
                    // which the civil search takes as zero. From a midnight they are (and from
                    // the first of a month when the month is to change).
                    if second_of_day != 0 || (!month_matches && day != 1) {
                        return None;
                    }
                    local
                } else if !month_matches {
                    days_from_civil(year, i64::from(month), 1).saturating_mul(SECONDS_PER_DAY)
                } else if !self.fires_on_day(day, weekday) {
                    local.saturating_sub(second_of_day)
                } else if !self.fires_at_hour(hour) {
                    local.saturating_sub(second_of_day % 3600)
                } else {
                    // The minute's start, or (all fields matching) no reset: `t` itself.
                    local.saturating_sub(second_of_day % 60)
                };
                let start = (days, year, month, day, weekday);
                // Past this local time, a firing cannot lie in the period.
                let give_up = period.end.saturating_add(offset.min(0));
                match self.first_civil_match(start, first_minute, year_limit, give_up) {
                    Ok(found) => (reset, found, true),
                    Err(limit) => (reset, limit, false),
                }
            }
        };
        let stop = stop_local.checked_sub(offset)?;
        let first = reset.checked_sub(offset)?;
        if stop.max(stop_local) >= period.end {
            *past_period = true;
            return None;
        }
        if period.start > first.min(reset) || stop > LAST_SECOND {
            return None;
        }
        Some(if fires { stop.checked_mul(1000) } else { None })
    }

    /// The first minute (as local seconds since 1970-01-01 00:00) from minute `first_minute`
    /// (0 to 1440) of day `start` that every field allows, or, if none comes in a year up to
    /// `year_limit`, the error: the local midnight opening the year after. The search stops
    /// early, with the error of a local midnight at or after `give_up`, once it gets there.
    ///
    /// `start` is the day as days since 1970-01-01, year, month, day of month and weekday.
    fn first_civil_match(
        &self,
        start: (i64, i64, u32, u32, u32),
        first_minute: u32,
        year_limit: i64,
        give_up: i64,
    ) -> Result<i64, i64> {
        let (mut days, mut year, mut month, mut day, mut weekday) = start;
        let mut first_minute = first_minute;
        let limit =
            || days_from_civil(year_limit.saturating_add(1), 1, 1).saturating_mul(SECONDS_PER_DAY);
        // Each turn moves at least a day ahead, and a month jump lands within a year: at most
        // about 400 turns a year.
        loop {
            if year > year_limit {
                return Err(limit());
            }
            let midnight = days.saturating_mul(SECONDS_PER_DAY);
            if midnight >= give_up {
                return Err(midnight);
            }
            if !self.fires_in_month(month) {
                // Straight to the first day of the next allowed month.
                month = match next_bit(self.month_bits(), month.saturating_add(1)) {
                    Some(next) => next,
                    None => {
                        year = year.saturating_add(1);
                        next_bit(self.month_bits(), 1).ok_or_else(limit)?
                    }
                };
                day = 1;
                days = days_from_civil(year, i64::from(month), 1);
                weekday = days.saturating_add(4).rem_euclid(7) as u32;
                first_minute = 0;
                continue;
            }
            if self.fires_on_day(day, weekday) {
                if let Some(minute) = self.first_time_from(first_minute) {
                    return Ok(days
                        .saturating_mul(SECONDS_PER_DAY)
                        .saturating_add(i64::from(minute).saturating_mul(60)));
                }
            }
            days = days.saturating_add(1);
            weekday = if weekday >= 6 {
                0
            } else {
                weekday.saturating_add(1)
            };
            first_minute = 0;
            day = day.saturating_add(1);
            if i64::from(day) > days_in_month(year, month as u8) {
                day = 1;
                month = month.saturating_add(1);
                if month > 12 {
                    month = 1;
                    year = year.saturating_add(1);
                }
            }
        }
    }

    /// The first allowed minute of the day (as minutes since midnight) at or after
    /// `first_minute`, if any.
    fn first_time_from(&self, first_minute: u32) -> Option<u32> {
        let (hour, minute) = (first_minute / 60, first_minute % 60);
        if self.fires_at_hour(hour) {
            if let Some(minute) = next_bit(self.minute_bits(), minute) {
                return Some(hour.saturating_mul(60).saturating_add(minute));
            }
        }
        let hour = next_bit(self.hour_bits(), hour.saturating_add(1))?;
        let minute = next_bit(self.minute_bits(), 0)?;
        Some(hour.saturating_mul(60).saturating_add(minute))
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

/// The lowest set bit of `bits` at or above `from`.
const fn next_bit(bits: u64, from: u32) -> Option<u32> {
    match bits.checked_shr(from) {
        Some(rest) if rest != 0 => Some(from.saturating_add(rest.trailing_zeros())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    /// Zones with every kind of offset change: DST both ways, half-hour and 45-minute offsets,
    /// off-the-hour changes, changes at midnight, a skipped day, local mean time.
    const ZONES: [&str; 12] = [
        "UTC",
        "America/New_York",
        "Europe/London",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "Pacific/Apia",
        "Asia/Kathmandu",
        "America/Santiago",
        "Africa/Casablanca",
        "Europe/Dublin",
        "America/St_Johns",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The civil shortcut gives what robfig's walk gives.
        #[test]
        fn one_period_shortcut_agrees_with_the_walk(
            minute in "\\*|[0-5]?[0-9]|\\*/(7|15|30)|0,15,30,45|5-9",
            hour in "\\*|1?[0-9]|2[0-3]|\\*/(2|3|5)|0-3|1,2,3",
            day in "\\*|\\?|[1-9]|[12][0-9]|3[01]|1-7|\\*/10",
            month in "\\*|[1-9]|1[0-2]|2|2-4|\\*/4",
            weekday in "\\*|\\?|[0-6]|1-5|0,6",
            zone in 0..ZONES.len(),
            instant in prop_oneof![
                -2_500_000_000i64..4_200_000_000,
                1_700_000_000i64..1_800_000_000,
            ],
            near_change in any::<bool>(),
            shift in -200_000i64..200_000,
            milliseconds in 0i64..1000,
        ) {
            let spec = [minute, hour, day, month, weekday].join(" ");
            let schedule = Schedule::parse(&spec).unwrap();
            let zone = Zone::from_name(ZONES[zone]).unwrap();
            // Near an offset change, where the shortcut must step aside.
            let base = if near_change {
                let period = zone.period(instant);
                if period.end < i64::MAX { period.end } else { instant }
            } else {
                instant
            };
            let after_ms = base.saturating_add(shift).saturating_mul(1000).saturating_add(milliseconds);
            prop_assert_eq!(
                schedule.search_next(after_ms, zone, true),
                schedule.search_next(after_ms, zone, false),
                "{} after {} in {:?}", spec, after_ms, zone
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// A next firing that holds does hold: any later instant before it has the same next
        /// firing, near offset changes too.
        #[test]
        fn a_held_next_firing_holds(
            minute in "\\*|[0-5]?[0-9]|\\*/(7|15|30)|0,15,30,45|5-9",
            hour in "\\*|1?[0-9]|2[0-3]|\\*/(2|3|5)|0-3|1,2,3",
            day in "\\*|\\?|[1-9]|[12][0-9]|3[01]|1-7|\\*/10",
            month in "\\*|[1-9]|1[0-2]|2|2-4|\\*/4",
            weekday in "\\*|\\?|[0-6]|1-5|0,6",
            zone in 0..ZONES.len(),
            instant in 1_500_000_000i64..1_800_000_000,
            near_change in any::<bool>(),
            shift in -3_000_000i64..200_000,
            milliseconds in 0i64..1000,
            fraction in 0.0f64..1.0,
        ) {
            let spec = [minute, hour, day, month, weekday].join(" ");
            let schedule = Schedule::parse(&spec).unwrap();
            let zone = Zone::from_name(ZONES[zone]).unwrap();
            let base = if near_change {
                let period = zone.period(instant);
                if period.end < i64::MAX { period.end } else { instant }
            } else {
                instant
            };
            let after_ms = base.saturating_add(shift).saturating_mul(1000).saturating_add(milliseconds);
            let (next, until) = schedule.next_after_holding(after_ms, zone);
            prop_assert_eq!(next, schedule.next_after(after_ms, zone));
            prop_assert!(until > after_ms);
            let last = until.saturating_sub(1);
            let span = last.saturating_sub(after_ms) as f64;
            let spread = (0..16)
                .map(|k| after_ms.saturating_add((span * (f64::from(k) + fraction) / 16.0) as i64));
            for later in spread.chain([last]) {
                prop_assert_eq!(
                    schedule.next_after(later, zone), next,
                    "{} after {} (held from {} until {}) in {:?}", spec, later, after_ms, until, zone
                );
            }
        }
    }

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
