//! A parsed five-field cron expression in KEDA's dialect (robfig/cron v3 with
//! `Minute | Hour | Dom | Month | Dow`): which minutes, hours, days and months fire.

use super::error::{CronError, CronField};
use super::wall_clock::{Cursor, civil};
use super::zone::{Zone, ZoneError};

/// Set on a field written `*` or `?` (alone, or with step 1): it decides how day-of-month and
/// day-of-week combine [starBit].
const STAR: u64 = 1 << 63;

/// A field's range and names [bounds].
struct Bounds {
    field: CronField,
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
}

const MINUTES: Bounds = Bounds {
    field: CronField::Minute,
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    field: CronField::Hour,
    min: 0,
    max: 23,
    names: &[],
};
const DAYS_OF_MONTH: Bounds = Bounds {
    field: CronField::DayOfMonth,
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    field: CronField::Month,
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DAYS_OF_WEEK: Bounds = Bounds {
    field: CronField::DayOfWeek,
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// A cron schedule: one bit per allowed minute, hour, day of month, month and day of week, and
/// the zone of a `TZ=`/`CRON_TZ=` prefix if the expression had one [SpecSchedule].
///
/// Seconds are always 0: KEDA's parser has no seconds field.
///
/// ```
/// use podscale::cron::Schedule;
/// let quarter_hours = Schedule::parse("00,15,30,45 * * * *")?;
/// assert!(quarter_hours.fires_at_minute(15) && !quarter_hours.fires_at_minute(16));
/// let weekdays = Schedule::parse("30 6 * * Mon-Fri")?;
/// assert!(weekdays.fires_on_weekday(1) && !weekdays.fires_on_weekday(0));
/// # Ok::<(), podscale::cron::CronError<'static>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    minute: u64,
    hour: u64,
    day_of_month: u64,
    month: u64,
    day_of_week: u64,
    zone: Option<Zone>,
}

impl Schedule {
    /// Parses `spec` as KEDA does [Parser.Parse]: exactly five fields, no seconds, no
    /// descriptors; numbers, `jan`-`dec` and `sun`-`sat` (any case), ranges, steps, lists, `*`
    /// and `?`; an optional `TZ=Zone ` or `CRON_TZ=Zone ` prefix (`TZ=Local ` is accepted and
    /// changes nothing, as in robfig).
    ///
    /// Parsing allocates nothing: the error borrows the offending text from `spec`.
    ///
    /// # Errors
    ///
    /// The first problem found, fields left to right, with robfig's message.
    pub fn parse(spec: &str) -> Result<Self, CronError<'_>> {
        // Most specs are five plain fields: read them in one pass, leaving every other text,
        // and every error, to the reading below.
        match parse_plain(spec.as_bytes()) {
            Some(schedule) => Ok(schedule),
            None => Self::parse_general(spec),
        }
    }

    /// [`Schedule::parse`] for any text [Parser.Parse].
    fn parse_general(spec: &str) -> Result<Self, CronError<'_>> {
        if spec.is_empty() {
            return Err(CronError::Empty);
        }
        let mut zone = None;
        let mut rest = spec;
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            let (Some(space), Some(equals)) = (spec.find(' '), spec.find('=')) else {
                return Err(CronError::PrefixWithoutSpace { spec });
            };
            let name = spec.get(equals.saturating_add(1)..space).unwrap_or("");
            zone = match Zone::from_name(name) {
                Ok(zone) => Some(zone),
                // robfig keeps Go's time.Local, which its Next reads as "the zone of the
                // instant given": the same as no prefix, and nothing machine-dependent.
                Err(ZoneError::Local) => None,
                Err(ZoneError::Unknown { .. }) => return Err(CronError::BadLocation { name }),
            };
            rest = spec.get(space..).unwrap_or("").trim();
        }
        if rest.starts_with('@') {
            return Err(CronError::Descriptor { spec: rest });
        }
        let found = rest.split_whitespace().count();
        if found != 5 {
            return Err(CronError::FieldCount {
                found,
                fields: rest,
            });
        }
        let mut fields = rest.split_whitespace();
        let mut next = |bounds: &Bounds| parse_field(fields.next().unwrap_or(""), bounds);
        Ok(Self {
            minute: next(&MINUTES)?,
            hour: next(&HOURS)?,
            day_of_month: next(&DAYS_OF_MONTH)?,
            month: next(&MONTHS)?,
            day_of_week: next(&DAYS_OF_WEEK)?,
            zone,
        })
    }

    /// The zone of a `TZ=`/`CRON_TZ=` prefix, which overrides the zone the schedule is
    /// evaluated in.
    pub const fn zone(&self) -> Option<Zone> {
        self.zone
    }

    /// Whether the minute field allows `minute` (0 to 59).
    pub const fn fires_at_minute(&self, minute: u32) -> bool {
        bit(self.minute, minute)
    }

    /// Whether the hour field allows `hour` (0 to 23).
    pub const fn fires_at_hour(&self, hour: u32) -> bool {
        bit(self.hour, hour)
    }

    /// Whether the month field allows `month` (1 to 12).
    pub const fn fires_in_month(&self, month: u32) -> bool {
        bit(self.month, month)
    }

    /// Whether the day-of-week field allows `weekday` (0 = Sunday to 6).
    pub const fn fires_on_weekday(&self, weekday: u32) -> bool {
        bit(self.day_of_week, weekday)
    }

    /// Whether any instant can match: every field allows some value and some day can match.
    /// An empty field (a list of commas) parses, as in robfig, but never fires.
    pub const fn can_fire(&self) -> bool {
        let days_of_month = self.day_of_month & !STAR != 0;
        let days_of_week = self.day_of_week & !STAR != 0;
        let day = if self.day_of_month & STAR != 0 || self.day_of_week & STAR != 0 {
            days_of_month && days_of_week
        } else {
            days_of_month || days_of_week
        };
        self.minute & !STAR != 0 && self.hour & !STAR != 0 && self.month & !STAR != 0 && day
    }

    /// Whether the schedule fires at `instant_ms`: its wall clock in `zone` (or the expression's
    /// own `TZ=` zone) reads second 0 and matches every field. These are the firings of
    /// [`Schedule::next_after`] in every zone whose DST changes move the clock by whole hours at
    /// the top of an hour; where they do not (Lord Howe, Chatham), robfig's search, and so
    /// `next_after`, can step over some of them or stop on a minute of an hour that does not
    /// match.
    ///
    /// ```
    /// use podscale::cron::{Schedule, Zone};
    /// let hourly = Schedule::parse("0 * * * *")?;
    /// assert!(hourly.matches(3_600_000, Zone::UTC));
    /// assert!(!hourly.matches(3_600_001, Zone::UTC));
    /// # Ok::<(), podscale::cron::CronError<'static>>(())
    /// ```
    pub fn matches(&self, instant_ms: i64, zone: Zone) -> bool {
        let zone = self.zone.unwrap_or(zone);
        if instant_ms.rem_euclid(1000) != 0 {
            return false;
        }
        let c = civil(instant_ms.div_euclid(1000), &mut Cursor::new(zone));
        c.second == 0
            && self.fires_at_minute(c.minute)
            && self.fires_at_hour(c.hour)
            && self.fires_in_month(c.month)
            && self.fires_on_day(c.day, c.weekday)
    }

    /// The allowed minutes, bit `m` for minute `m`.
    pub(super) const fn minute_bits(&self) -> u64 {
        self.minute & !STAR
    }

    /// The allowed hours, bit `h` for hour `h`.
    pub(super) const fn hour_bits(&self) -> u64 {
        self.hour & !STAR
    }

    /// The allowed months, bit `m` for month `m` (1 to 12).
    pub(super) const fn month_bits(&self) -> u64 {
        self.month & !STAR
    }

    /// Whether every day of every month matches.
    pub(super) const fn fires_every_day(&self) -> bool {
        self.month & !STAR == 0x1ffe
            && self.day_of_month & !STAR == 0xffff_fffe
            && self.day_of_week & !STAR == 0x7f
    }

    /// Whether a day with this day of month and weekday matches [dayMatches]: if either field is
    /// starred both must match (the starred one always does); otherwise either may.
    pub const fn fires_on_day(&self, day_of_month: u32, weekday: u32) -> bool {
        let dom = bit(self.day_of_month, day_of_month);
        let dow = bit(self.day_of_week, weekday);
        if self.day_of_month & STAR != 0 || self.day_of_week & STAR != 0 {
            dom && dow
        } else {
            dom || dow
        }
    }
}

const fn bit(bits: u64, value: u32) -> bool {
    value < 63 && bits & (1u64 << value) != 0
}

/// The fields in order: their bounds and names [Parser.Parse].
const FIELDS: [&Bounds; 5] = [&MINUTES, &HOURS, &DAYS_OF_MONTH, &MONTHS, &DAYS_OF_WEEK];

/// [`Schedule::parse`] for the common case, in one pass over the bytes: five fields separated by
/// spaces, each a list of `*`, `?`, numbers of plain digits, names, ranges and steps, all within
/// bounds. `None` for anything else (a `TZ=` prefix, another whitespace, a sign, an error),
/// which the general reading then decides: this one only ever accepts what it accepts, with the
/// same bits.
fn parse_plain(spec: &[u8]) -> Option<Schedule> {
    let mut reader = Reader { bytes: spec, at: 0 };
    let mut bits = [0u64; 5];
    for (field, bounds) in bits.iter_mut().zip(FIELDS) {
        reader.skip_spaces();
        if reader.peek() == END {
            return None;
        }
        *field = reader.field(bounds)?;
    }
    reader.skip_spaces();
    if reader.peek() != END {
        return None;
    }
    let [minute, hour, day_of_month, month, day_of_week] = bits;
    Some(Schedule {
        minute,
        hour,
        day_of_month,
        month,
        day_of_week,
        zone: None,
    })
}

/// What [`Reader::peek`] returns past the end: a byte no plain spec contains.
const END: u8 = 0;

/// A position in a spec's bytes, for [`parse_plain`].
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> u8 {
        self.bytes.get(self.at).copied().unwrap_or(END)
    }

    fn advance(&mut self) {
        self.at = self.at.saturating_add(1);
    }

    fn skip_spaces(&mut self) {
        while self.peek() == b' ' {
            self.advance();
        }
    }

    /// A comma-separated list up to a space or the end, empty items dropped [getField].
    fn field(&mut self, bounds: &Bounds) -> Option<u64> {
        let mut bits = 0;
        loop {
            match self.peek() {
                b' ' | END => return Some(bits),
                b',' => self.advance(),
                _ => bits |= self.item(bounds)?,
            }
        }
    }

    /// `base[/step]` [getRange]: `None` wherever [`parse_item`] might not return these bits.
    fn item(&mut self, bounds: &Bounds) -> Option<u64> {
        let (start, end, starred) = match self.peek() {
            b'*' | b'?' => {
                self.advance();
                (bounds.min, bounds.max, true)
            }
            _ => {
                let start = self.value(bounds)?;
                if self.peek() == b'-' {
                    self.advance();
                    (start, self.value(bounds)?, false)
                } else if self.peek() == b'/' {
                    // `N/step` means `N-max/step`.
                    (start, bounds.max, false)
                } else {
                    (start, start, false)
                }
            }
        };
        let step = if self.peek() == b'/' {
            self.advance();
            self.number()?
        } else {
            1
        };
        // Anything else after the item (a second hyphen or slash, a star's range) is the
        // general reading's to judge.
        if !matches!(self.peek(), b',' | b' ' | END) {
            return None;
        }
        if start < bounds.min || end > bounds.max || start > end || step == 0 {
            return None;
        }
        // [getBits]; `end` is at most 59 here.
        let (start, end) = (u32::try_from(start).ok()?, u32::try_from(end).ok()?);
        if step == 1 {
            let star = if starred { STAR } else { 0 };
            let below_end = u64::MAX.checked_shr(63u32.checked_sub(end)?)?;
            return Some((below_end & u64::MAX.checked_shl(start)?) | star);
        }
        let step = u32::try_from(step).unwrap_or(u32::MAX);
        let mut bits = 0u64;
        let mut value = start;
        while value <= end {
            bits |= 1u64.checked_shl(value)?;
            value = value.saturating_add(step);
        }
        Some(bits)
    }

    /// A name of the field (three letters, any case) or a number [parseIntOrName].
    fn value(&mut self, bounds: &Bounds) -> Option<u64> {
        if !self.peek().is_ascii_alphabetic() {
            return self.number();
        }
        let text = self.bytes.get(self.at..self.at.saturating_add(3))?;
        self.at = self.at.saturating_add(3);
        if self.peek().is_ascii_alphanumeric() {
            return None;
        }
        bounds
            .names
            .iter()
            .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(text))
            .map(|(_, value)| *value)
    }

    /// One to eighteen ASCII digits, which cannot overflow [mustParseInt].
    fn number(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        let mut digits = 0u32;
        while let digit @ b'0'..=b'9' = self.peek() {
            digits = digits.saturating_add(1);
            if digits > 18 {
                return None;
            }
            value = value
                .saturating_mul(10)
                .saturating_add(u64::from(digit.wrapping_sub(b'0')));
            self.advance();
        }
        (digits > 0).then_some(value)
    }
}

/// A comma-separated list; empty items are dropped [getField].
fn parse_field<'a>(text: &'a str, bounds: &Bounds) -> Result<u64, CronError<'a>> {
    let mut bits = 0;
    for item in text.split(',').filter(|item| !item.is_empty()) {
        bits |= parse_item(item, bounds)?;
    }
    Ok(bits)
}

/// `base[/step]` with `base` one of `*`, `?`, `value` or `value-value` [getRange].
fn parse_item<'a>(item: &'a str, bounds: &Bounds) -> Result<u64, CronError<'a>> {
    let field = bounds.field;
    let mut range_and_step = item.split('/');
    let range = range_and_step.next().unwrap_or("");
    let step_text = range_and_step.next();
    let extra_slashes = range_and_step.next().is_some();
    let mut low_and_high = range.split('-');
    let low = low_and_high.next().unwrap_or("");
    let high = low_and_high.next();
    let extra_hyphens = low_and_high.next().is_some();
    let single_value = high.is_none();

    let (start, mut end, mut extra) = if low == "*" || low == "?" {
        // Anything after a hyphen is ignored here, as upstream does.
        (bounds.min, bounds.max, STAR)
    } else {
        let start = parse_int_or_name(low, bounds)?;
        let end = match (high, extra_hyphens) {
            (None, _) => start,
            (Some(high), false) => parse_int_or_name(high, bounds)?,
            (Some(_), true) => return Err(CronError::TooManyHyphens { field, item }),
        };
        (start, end, 0)
    };
    let step = match (step_text, extra_slashes) {
        (None, _) => 1,
        (Some(step_text), false) => {
            let step = parse_unsigned(step_text, field)?;
            // `N/step` means `N-max/step`.
            if single_value {
                end = bounds.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        (Some(_), true) => return Err(CronError::TooManySlashes { field, item }),
    };
    if start < bounds.min {
        return Err(CronError::BelowMinimum {
            field,
            start,
            minimum: bounds.min,
            item,
        });
    }
    if end > bounds.max {
        return Err(CronError::AboveMaximum {
            field,
            end,
            maximum: bounds.max,
            item,
        });
    }
    if start > end {
        return Err(CronError::Reversed {
            field,
            start,
            end,
            item,
        });
    }
    if step == 0 {
        return Err(CronError::ZeroStep { field, item });
    }
    // [getBits]; `end` is at most 59 here.
    let mut bits = 0u64;
    let mut value = start;
    while value <= end {
        bits |= 1u64 << value;
        value = value.saturating_add(step);
    }
    Ok(bits | extra)
}

/// A name of the field (any case) or a number [parseIntOrName].
fn parse_int_or_name<'a>(text: &'a str, bounds: &Bounds) -> Result<u64, CronError<'a>> {
    if let Some((_, value)) = bounds
        .names
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Ok(*value);
    }
    parse_unsigned(text, bounds.field)
}

/// A non-negative number as Go's `strconv.Atoi` reads it: an optional sign, then ASCII digits,
/// within `int64` [mustParseInt].
fn parse_unsigned(text: &str, field: CronField) -> Result<u64, CronError<'_>> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'+') => (false, text.get(1..).unwrap_or("")),
        Some(b'-') => (true, text.get(1..).unwrap_or("")),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CronError::ParseInt {
            field,
            text,
            out_of_range: false,
        });
    }
    let mut magnitude: u64 = 0;
    for digit in digits.bytes() {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(digit.wrapping_sub(b'0'))))
            .ok_or(CronError::ParseInt {
                field,
                text,
                out_of_range: true,
            })?;
    }
    let limit = if negative {
        i64::MIN.unsigned_abs()
    } else {
        i64::MAX.unsigned_abs()
    };
    if magnitude > limit {
        return Err(CronError::ParseInt {
            field,
            text,
            out_of_range: true,
        });
    }
    if negative && magnitude > 0 {
        let value = 0i64.saturating_sub_unsigned(magnitude);
        return Err(CronError::Negative { field, value, text });
    }
    Ok(magnitude)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The one-pass reading accepts only what the general one accepts, with the same bits.
        #[test]
        fn plain_reading_agrees_with_the_general_one(
            spec in "[ 0-9a-zA-Z*?,/+\\-]{0,24}|([0-9*?,/\\-]{1,6} ){4}[0-9a-zA-Z*?,/\\-]{1,8}",
        ) {
            if let Some(plain) = parse_plain(spec.as_bytes()) {
                prop_assert_eq!(Schedule::parse_general(&spec), Ok(plain));
            }
        }
    }

    #[test]
    fn plain_reading_takes_the_common_forms() {
        for spec in [
            "00,15,30,45 * * * *",
            "30 6 * * Mon-Fri",
            "*/5 1-5/2 ? JAN-mar,dec sun",
            "5/15 ,, 1,,2 * *",
        ] {
            assert_eq!(
                parse_plain(spec.as_bytes()).map(Ok),
                Some(Schedule::parse_general(spec))
            );
        }
        for spec in [
            "*-5 * * * *",
            "TZ=UTC * * * * *",
            "+5 * * * *",
            "*\t* * * *",
            "60 * * * *",
        ] {
            assert_eq!(parse_plain(spec.as_bytes()), None);
        }
    }
}
