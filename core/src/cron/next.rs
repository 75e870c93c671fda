//! The next firing of a schedule [SpecSchedule.Next].

use super::schedule::Schedule;
use super::wall_clock::{add_date, civil, date, truncate};
use super::zone::Zone;

/// robfig gives up when the search passes five years after its start.
const SEARCH_YEARS: i64 = 5;

/// A bound on loop iterations, far above what any real zone needs (a five-year search visits
/// at most a few thousand days), so that corrupt zone data cannot make a call run forever.
const MAX_STEPS: u32 = 200_000;

impl Schedule {
    /// The first firing strictly after `after_ms` (Unix milliseconds), evaluated in `zone` unless
    /// the expression has its own `TZ=` zone, or `None` if there is none within five years
    /// [SpecSchedule.Next].
    ///
    /// Exactly as robfig/cron v3.0.1: wall-clock times skipped by a DST gap do not fire; those
    /// repeated by an overlap fire twice.
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
        let zone = self.zone().unwrap_or(zone);
        // The upcoming whole second.
        let mut t = after_ms.div_euclid(1000).saturating_add(1);
        let mut added = false;
        let year_limit = civil(t, &zone).year.saturating_add(SEARCH_YEARS);
        let mut steps = 0u32;
        'wrap: loop {
            if civil(t, &zone).year > year_limit {
                return None;
            }
            loop {
                steps = steps.saturating_add(1);
                if steps > MAX_STEPS {
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
                steps = steps.saturating_add(1);
                if steps > MAX_STEPS {
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
                t = add_date(t, 0, 0, 1, &zone);
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
                steps = steps.saturating_add(1);
                if steps > MAX_STEPS {
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
                t = t.saturating_add(3600);
                if civil(t, &zone).hour == 0 {
                    continue 'wrap;
                }
            }
            loop {
                steps = steps.saturating_add(1);
                if steps > MAX_STEPS {
                    return None;
                }
                if self.fires_at_minute(civil(t, &zone).minute) {
                    break;
                }
                if !added {
                    added = true;
                    t = truncate(t, 60);
                }
                t = t.saturating_add(60);
                if civil(t, &zone).minute == 0 {
                    continue 'wrap;
                }
            }
            // The seconds field is always {0}.
            while civil(t, &zone).second != 0 {
                steps = steps.saturating_add(1);
                if steps > MAX_STEPS {
                    return None;
                }
                added = true;
                t = t.saturating_add(1);
                if civil(t, &zone).second == 0 {
                    continue 'wrap;
                }
            }
            return Some(t.saturating_mul(1000));
        }
    }
}
