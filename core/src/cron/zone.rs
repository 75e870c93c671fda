//! IANA time zones by name, from compiled-in tz data: no file system, no allocation.

use core::fmt;

use tz::timezone::{AlternateTime, MonthWeekDay, RuleDay, TimeZoneRef, TransitionRule};

const SECONDS_PER_DAY: i64 = 86_400;

/// A time zone of the IANA database (tzdb 2026b), or UTC.
///
/// Looked up by name at run time as Go's `time.LoadLocation` does: the name must match exactly
/// (case included); `""` and `"UTC"` are UTC. `"Local"` (the process's zone in Go) is refused:
/// a decision must not depend on the machine it runs on.
///
/// ```
/// use podscale::cron::Zone;
/// let seoul = Zone::from_name("Asia/Seoul")?;
/// assert_eq!(seoul.offset_seconds(1_700_000_000), 9 * 3600);
/// assert_eq!(seoul.name(), "Asia/Seoul");
/// assert!(Zone::from_name("Mars/Olympus").is_err());
/// # Ok::<(), podscale::cron::ZoneError<'static>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Zone {
    name: &'static str,
    rules: Option<&'static TimeZoneRef<'static>>,
}

impl Zone {
    /// Coordinated Universal Time.
    pub const UTC: Self = Self {
        name: "UTC",
        rules: None,
    };

    /// The zone named `name` [time.LoadLocation].
    ///
    /// # Errors
    ///
    /// [`ZoneError::Unknown`] for a name that is not in the database, [`ZoneError::Local`] for
    /// `"Local"`.
    pub fn from_name(name: &str) -> Result<Self, ZoneError<'_>> {
        match name {
            "" | "UTC" => return Ok(Self::UTC),
            "Local" => return Err(ZoneError::Local),
            _ => {}
        }
        // The database lookup ignores case; Go's loader, reading files, does not. The name list
        // is sorted ignoring ASCII case ("MET" < "Mexico/General" < "MST"), so search it that
        // way, then require the exact spelling.
        let canonical = tzdb_data::TZ_NAMES
            .binary_search_by(|probe| {
                let probe = probe.bytes().map(|b| b.to_ascii_lowercase());
                probe.cmp(name.bytes().map(|b| b.to_ascii_lowercase()))
            })
            .ok()
            .and_then(|index| tzdb_data::TZ_NAMES.get(index))
            .copied()
            .filter(|canonical| *canonical == name);
        match (canonical, tzdb_data::find_tz(name.as_bytes())) {
            (Some(canonical), Some(rules)) => Ok(Self {
                name: canonical,
                rules: Some(rules),
            }),
            _ => Err(ZoneError::Unknown { name }),
        }
    }

    /// The zone's name as given to [`Zone::from_name`] (`"UTC"` for UTC).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The offset from UTC, in seconds, in effect at `unix_seconds` [Location.lookup].
    pub fn offset_seconds(&self, unix_seconds: i64) -> i32 {
        let Some(rules) = self.rules else {
            return 0;
        };
        match rules.find_local_time_type(unix_seconds) {
            Ok(local) => local.ut_offset(),
            // Past the last transition of a zone without a rule for the future, Go keeps the
            // last transition's offset.
            Err(_) => rules
                .transitions()
                .last()
                .and_then(|last| rules.local_time_types().get(last.local_time_type_index()))
                .map_or(0, |local| local.ut_offset()),
        }
    }
}

/// A stretch of time `[start, end)` (Unix seconds) over which a zone's UTC offset is `offset`.
///
/// Not necessarily the longest such stretch: callers only rely on the offset being constant
/// inside it, so a lookup that cannot cheaply find the bounds returns a one-second period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) offset: i32,
    pub(crate) start: i64,
    pub(crate) end: i64,
}

/// No instant: a period to look up again.
pub(crate) const EMPTY: Period = Period {
    offset: 0,
    start: 1,
    end: 0,
};

impl Period {
    /// Whether `unix` lies in the period.
    pub(crate) const fn contains(&self, unix: i64) -> bool {
        self.start <= unix && unix < self.end
    }
}

impl Zone {
    /// The period of constant offset containing `unix_seconds`: the same offset as
    /// [`Zone::offset_seconds`] everywhere in it [Location.lookup, which also returns the
    /// bounds of the zone period it finds].
    #[cfg(test)]
    pub(crate) fn period(&self, unix_seconds: i64) -> Period {
        self.periods(unix_seconds).0
    }

    /// The period containing `unix_seconds` and, when it comes at no extra cost, the period
    /// after it (otherwise an empty one): a search that crosses an offset change needs it next.
    pub(crate) fn periods(&self, unix_seconds: i64) -> (Period, Period) {
        let Some(rules) = self.rules else {
            let always = Period {
                offset: 0,
                start: i64::MIN,
                end: i64::MAX,
            };
            return (always, EMPTY);
        };
        // The tz data has no leap seconds: transition times are Unix times.
        let transitions = rules.transitions();
        let types = rules.local_time_types();
        let last_start = match transitions.last() {
            Some(last) if unix_seconds < last.unix_leap_time() => {
                // Within the table: between the transitions around `unix_seconds`.
                let index = transitions.partition_point(|tr| tr.unix_leap_time() <= unix_seconds);
                let (start, type_index) =
                    match index.checked_sub(1).and_then(|i| transitions.get(i)) {
                        Some(before) => (before.unix_leap_time(), before.local_time_type_index()),
                        None => (i64::MIN, 0),
                    };
                let Some(after) = transitions.get(index) else {
                    return (self.one_second(unix_seconds), EMPTY);
                };
                let current = types.get(type_index).map(|local| Period {
                    offset: local.ut_offset(),
                    start,
                    end: after.unix_leap_time(),
                });
                // The next period, if the table also ends it.
                let next = match (
                    types.get(after.local_time_type_index()),
                    transitions.get(index.saturating_add(1)),
                ) {
                    (Some(local), Some(end)) => Period {
                        offset: local.ut_offset(),
                        start: after.unix_leap_time(),
                        end: end.unix_leap_time(),
                    },
                    _ => EMPTY,
                };
                return match current {
                    Some(current) => (current, next),
                    None => (self.one_second(unix_seconds), EMPTY),
                };
            }
            Some(last) => last.unix_leap_time(),
            None => i64::MIN,
        };
        // Past the table: the zone's rule for the future.
        let periods = match rules.extra_rule() {
            Some(TransitionRule::Fixed(local)) => Some((
                Period {
                    offset: local.ut_offset(),
                    start: i64::MIN,
                    end: i64::MAX,
                },
                EMPTY,
            )),
            Some(TransitionRule::Alternate(rule)) => rule_periods(rule, unix_seconds),
            None => None,
        };
        match periods {
            Some((current, next)) => (
                Period {
                    start: current.start.max(last_start),
                    ..current
                },
                next,
            ),
            None => (self.one_second(unix_seconds), EMPTY),
        }
    }

    /// The period of just `unix_seconds`, with tz-rs's offset: always right, never reused.
    fn one_second(&self, unix_seconds: i64) -> Period {
        Period {
            offset: self.offset_seconds(unix_seconds),
            start: unix_seconds,
            end: unix_seconds.saturating_add(1),
        }
    }
}

/// The period of a DST rule (a POSIX TZ string's) containing `unix_seconds`, and the one after
/// when known without more work; `None` where the simple reading below might not hold
/// (Julian-day rules, which no zone uses now, a rule whose start and end coincide, a year far
/// out).
///
/// With both changes in February to November, a year's two changes lie weeks inside that year
/// even after the rule's times of day (under a week) and offsets (under a day) move them, so the
/// changes of consecutive years never interleave: the period is between the two changes of the
/// UTC year of `unix_seconds`, or between one of them and the nearest change of the year before
/// or after. [tzset, as tz-rs's AlternateTime::find_local_time_type computes it]
fn rule_periods(rule: &AlternateTime, unix_seconds: i64) -> Option<(Period, Period)> {
    let (RuleDay::MonthWeekDay(start_day), RuleDay::MonthWeekDay(end_day)) =
        (rule.dst_start(), rule.dst_end())
    else {
        return None;
    };
    let in_year = |month: u8| (2..=11).contains(&month);
    if !in_year(start_day.month()) || !in_year(end_day.month()) {
        return None;
    }
    let (std, dst) = (rule.std().ut_offset(), rule.dst().ut_offset());
    let start_in_utc = i64::from(rule.dst_start_time()).saturating_sub(i64::from(std));
    let end_in_utc = i64::from(rule.dst_end_time()).saturating_sub(i64::from(dst));
    // A year whose first day is within days of `unix_seconds`'s (the mean Gregorian year is
    // 146 097 / 400 days, and calendar years stray from it by under two days): the reading
    // above holds for any year whose first day is within weeks of that of `unix_seconds`.
    let days = unix_seconds.div_euclid(SECONDS_PER_DAY);
    let year = days
        .saturating_mul(400)
        .div_euclid(146_097)
        .saturating_add(1970);
    if !(-1_000_000..=1_000_000).contains(&year) {
        return None;
    }
    // The two changes of `year`, earlier first, each with the offset it starts.
    let changes = |year: i64| {
        let (january_first, leap) = (january_first(year), is_leap(year));
        let dst_starts =
            rule_day_seconds(january_first, leap, start_day).saturating_add(start_in_utc);
        let dst_ends = rule_day_seconds(january_first, leap, end_day).saturating_add(end_in_utc);
        if dst_starts < dst_ends {
            ((dst_starts, dst), (dst_ends, std))
        } else {
            ((dst_ends, std), (dst_starts, dst))
        }
    };
    let period = |(start, offset): (i64, i32), end: i64| Period { offset, start, end };
    let (first, second) = changes(year);
    if first.0 == second.0 {
        return None;
    }
    Some(if unix_seconds < first.0 {
        // Three weeks before the year: after the previous year's last change (by December
        // 9th), which starts the offset that the year's last change starts again when the
        // two changes are months apart, so that they come in the same order every year.
        let year_opening = january_first(year)
            .saturating_sub(21)
            .saturating_mul(SECONDS_PER_DAY);
        let months_apart = start_day.month().abs_diff(end_day.month()) >= 2;
        let start = if months_apart && year_opening <= unix_seconds {
            // The start of this period is no concern of the searches: a bound is enough.
            (year_opening, second.1)
        } else {
            changes(year.saturating_sub(1)).1
        };
        (period(start, first.0), period(first, second.0))
    } else if unix_seconds < second.0 {
        (period(first, second.0), EMPTY)
    } else {
        let (after, after_second) = changes(year.saturating_add(1));
        (period(second, after.0), period(after, after_second.0))
    })
}

/// Midnight UTC (Unix seconds) of the `week`th `week_day` (0 = Sunday) of `month` in the year
/// starting on day `january_first` (days since 1970-01-01), week 5 being the last
/// [MonthWeekDay::transition_date].
fn rule_day_seconds(january_first: i64, leap: bool, rule: &MonthWeekDay) -> i64 {
    let month = rule.month();
    let (before, length): (i64, i64) = match month {
        1 => (0, 31),
        2 => (31, 28),
        3 => (59, 31),
        4 => (90, 30),
        5 => (120, 31),
        6 => (151, 30),
        7 => (181, 31),
        8 => (212, 31),
        9 => (243, 30),
        10 => (273, 31),
        11 => (304, 30),
        _ => (334, 31),
    };
    let (before, length) = match (leap, month) {
        (true, 2) => (before, 29),
        (true, 3..) => (before.saturating_add(1), length),
        _ => (before, length),
    };
    let first = january_first.saturating_add(before);
    // 1970-01-01 was a Thursday.
    let first_week_day = first.saturating_add(4).rem_euclid(7);
    let first_occurrence = i64::from(rule.week_day())
        .saturating_sub(first_week_day)
        .rem_euclid(7);
    let weeks_later = i64::from(rule.week()).saturating_sub(1).saturating_mul(7);
    let mut day = first_occurrence.saturating_add(weeks_later);
    if day >= length {
        day = day.saturating_sub(7);
    }
    first.saturating_add(day).saturating_mul(SECONDS_PER_DAY)
}

/// Days from 1970-01-01 to January 1st of `year`, proleptic Gregorian: the days of the years
/// between, and one more for each February 29th among them.
fn january_first(year: i64) -> i64 {
    let leap_days = year
        .saturating_sub(1969)
        .div_euclid(4)
        .saturating_sub(year.saturating_sub(1901).div_euclid(100))
        .saturating_add(year.saturating_sub(1601).div_euclid(400));
    year.saturating_sub(1970)
        .saturating_mul(365)
        .saturating_add(leap_days)
}

/// Whether `year` has a February 29th, proleptic Gregorian.
const fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1 to 12) of `year`, proleptic Gregorian.
pub(crate) fn days_in_month(year: i64, month: u8) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <&'de str>::deserialize(deserializer)?;
        Self::from_name(name).map_err(serde::de::Error::custom)
    }
}

/// Why a zone name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneError<'a> {
    /// Not a zone of the database.
    Unknown {
        /// The name given.
        name: &'a str,
    },
    /// `"Local"`: the machine's zone, which a deterministic decision cannot use.
    Local,
}

impl fmt::Display for ZoneError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Go's wording, which KEDA passes on.
            Self::Unknown { name } => write!(f, "unknown time zone {name}"),
            Self::Local => f.write_str(
                "time zone \"Local\" depends on the machine; name an IANA zone such as Etc/UTC",
            ),
        }
    }
}

impl core::error::Error for ZoneError<'_> {}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]

    use super::*;

    /// Every name in the database loads under its own spelling, and only under it: the list
    /// is sorted ignoring case, which a plain binary search got wrong for "Mexico/General".
    #[test]
    fn every_database_name_loads_by_its_exact_spelling() {
        for name in tzdb_data::TZ_NAMES {
            let zone = Zone::from_name(name);
            assert_eq!(zone.map(|z| z.name()), Ok(*name), "{name}");
        }
        assert!(Zone::from_name("mexico/general").is_err());
        assert!(Zone::from_name("america/new_york").is_err());
    }
    use crate::civil_date::days_from_civil;
    use proptest::prelude::*;

    #[test]
    fn january_first_is_hinnants() {
        for year in (-3000..5000).chain([-1_000_001, 1_000_001]) {
            assert_eq!(january_first(year), days_from_civil(year, 1, 1), "{year}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// A period's offset is tz-rs's everywhere in it, and the period after it (when given)
        /// starts where it ends.
        #[test]
        fn periods_have_tz_rs_offsets(
            zone in 0..tzdb_data::TZ_NAMES.len(),
            instant in prop_oneof![
                -3_000_000_000i64..5_000_000_000,
                1_600_000_000i64..2_000_000_000,
                -100_000_000_000i64..100_000_000_000,
            ],
            fractions in proptest::collection::vec(0.0f64..1.0, 4),
        ) {
            let name = tzdb_data::TZ_NAMES[zone];
            let zone = Zone { name, rules: tzdb_data::find_tz(name.as_bytes()) };
            let (period, next) = zone.periods(instant);
            prop_assert!(period.contains(instant));
            prop_assert!(next == EMPTY || next.start == period.end);
            for p in [period, next] {
                if p == EMPTY {
                    continue;
                }
                let lo = p.start.max(instant - 400 * 86_400);
                let hi = p.end.min(lo.saturating_add(1200 * 86_400));
                let spread = fractions.iter().map(|f| lo + ((hi - lo) as f64 * f) as i64);
                for probe in [lo, hi - 1].into_iter().chain(spread) {
                    prop_assert_eq!(p.offset, zone.offset_seconds(probe), "{:?} {:?} at {}", zone, p, probe);
                }
            }
        }
    }
}
