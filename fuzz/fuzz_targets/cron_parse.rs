//! Fuzzes cron parsing and the firing searches: `Schedule::parse`, then `next_after` and
//! `previous_at_or_before` from a few instants in a few zones.
//!
//! The input is raw bytes. Up to the first NUL byte they are the expression (tried only if they
//! are UTF-8), so that plain-text seeds and dictionary entries work as they are; the bytes after
//! the NUL choose the zone (mostly from a pool of zones with unusual rules, sometimes any
//! string) and the instants (DST transitions, extremes, or anything).
//!
//! Besides "no panic", every call checks invariants that hold for any input (see `check`).

#![no_main]

use std::fmt::Write as _;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use podscale::cron::{Schedule, Zone};

/// Zones with unusual rules: 30-minute DST (Lord Howe), 2-hour DST (Troll), 45-minute offsets
/// (Kathmandu, Chatham), negative DST (Dublin), DST at midnight (Sao Paulo, until 2019), a
/// skipped day (Apia, 2011-12-30), and a half-hour offset with DST (St John's).
const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Antarctica/Troll",
    "Pacific/Chatham",
    "Asia/Seoul",
    "Europe/Dublin",
    "America/St_Johns",
    "Pacific/Apia",
];

/// Instants (Unix ms) next to DST transitions of the pool's zones, and the extremes.
const SPECIAL_MS: &[i64] = &[
    0,
    -1,
    1,
    1_710_054_000_000,  // 2024-03-10 07:00 UTC: New York springs forward
    1_730_613_600_000,  // 2024-11-03 06:00 UTC: New York falls back
    1_711_846_800_000,  // 2024-03-31 01:00 UTC: London and Troll spring forward
    1_729_990_800_000,  // 2024-10-27 01:00 UTC: London falls back
    1_325_239_200_000,  // 2011-12-30 10:00 UTC: Apia skips a day
    1_541_300_400_000,  // 2018-11-04 03:00 UTC: Sao Paulo springs forward at midnight
    1_712_415_600_000,  // 2024-04-06 15:00 UTC: Lord Howe falls back 30 minutes
    1_728_142_200_000,  // 2024-10-05 15:30 UTC: Lord Howe springs forward 30 minutes
    1_712_412_000_000,  // 2024-04-06 14:00 UTC: Chatham falls back
    1_714_526_220_000,  // 2024-05-01 01:17 UTC
    547_610_400_000,    // 1987-05-10 02:00 UTC: Seoul's last DST
    946_684_800_000,    // 2000-01-01
    2_147_483_640_000,  // 2038-01-19 03:14 UTC
    -2_208_988_800_000, // 1900-01-01: local mean time in most zones
    1_709_208_000_000,  // 2024-02-29 12:00 UTC
    1_735_689_540_000,  // 2024-12-31 23:59 UTC
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    i64::MAX / 2,
    i64::MIN / 2,
    // Around the largest and smallest seconds that scale back to milliseconds.
    i64::MAX / 1000 * 1000,
    i64::MIN / 1000 * 1000,
    (i64::MAX / 1000 - 3600) * 1000,
];

fn pick<T: Copy>(items: &[T], index: u8) -> T {
    items[usize::from(index) % items.len()]
}

#[derive(Debug, Clone, Arbitrary)]
enum ZoneIn {
    Pool(u8),
    Custom(String),
}

impl ZoneIn {
    fn name(&self) -> &str {
        match self {
            Self::Pool(i) => pick(ZONES, *i),
            Self::Custom(s) => s,
        }
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum InstantIn {
    Special(u8),
    /// A special instant moved by up to ±68 years (seconds), or by a few minutes.
    NearSeconds(u8, i32),
    NearMs(u8, i16),
    Any(i64),
}

impl InstantIn {
    fn get(self) -> i64 {
        match self {
            Self::Special(i) => pick(SPECIAL_MS, i),
            Self::NearSeconds(i, s) => pick(SPECIAL_MS, i).saturating_add(i64::from(s) * 1000),
            Self::NearMs(i, ms) => pick(SPECIAL_MS, i).saturating_add(i64::from(ms) * 100),
            Self::Any(v) => v,
        }
    }
}

#[derive(Debug, Clone, Arbitrary)]
struct Probe {
    zone: ZoneIn,
    first: InstantIn,
    /// Up to three more instants.
    more: Vec<InstantIn>,
}

fuzz_target!(|data: &[u8]| {
    let (expression, rest) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let Ok(expression) = std::str::from_utf8(expression) else {
        return;
    };
    let mut u = Unstructured::new(rest);
    // An exhausted input still gives a probe: UTC, at the epoch.
    let Ok(probe) = Probe::arbitrary(&mut u) else {
        return;
    };

    let schedule = match Schedule::parse(expression) {
        Ok(schedule) => schedule,
        Err(e) => {
            let mut text = String::new();
            write!(text, "{e}").unwrap();
            let mut robfig = String::new();
            write!(robfig, "{}", e.robfig_message()).unwrap();
            assert!(
                !robfig.is_empty() && text.starts_with(&robfig),
                "{text:?} / {robfig:?}"
            );
            if let Some(field) = e.field() {
                assert!(
                    text.ends_with(&format!(" ({} field)", field.as_str())),
                    "{text:?}"
                );
            }
            return;
        }
    };

    let zone = match Zone::from_name(probe.zone.name()) {
        Ok(zone) => zone,
        Err(e) => {
            let mut text = String::new();
            write!(text, "{e}").unwrap();
            Zone::UTC
        }
    };
    if never_fires(&schedule) {
        // An empty list (`,`) parses to an empty field. Each search then runs to its bound
        // (`next_after` takes about 20 ms, reported), so one instant is enough.
        let at_ms = probe.first.get();
        assert_eq!(schedule.next_after(at_ms, zone), None, "{schedule:?}");
        assert_eq!(
            schedule.previous_at_or_before(at_ms, zone),
            None,
            "{schedule:?}"
        );
        return;
    }
    for instant in std::iter::once(probe.first).chain(probe.more.into_iter().take(3)) {
        check(&schedule, instant.get(), zone);
    }
});

/// Whether a field allows no value at all, or no day matches the day fields.
fn never_fires(s: &Schedule) -> bool {
    !(0..60).any(|m| s.fires_at_minute(m))
        || !(0..24).any(|h| s.fires_at_hour(h))
        || !(1..=12).any(|m| s.fires_in_month(m))
        || !(1..=31).any(|d| (0..7).any(|w| s.fires_on_day(d, w)))
}

/// The largest change of a UTC offset at a DST transition in the tz database, milliseconds.
const LARGEST_DST_SHIFT_MS: i64 = 2 * 3_600_000;

fn check(schedule: &Schedule, at_ms: i64, zone: Zone) {
    // A `TZ=` prefix overrides the zone the schedule is evaluated in.
    let effective = schedule.zone().unwrap_or(zone);
    let next = schedule.next_after(at_ms, zone);
    if let Some(next) = next {
        // robfig's Next can answer an instant before `at` when `at` falls in an hour that a
        // DST change repeats: for `5-59/2 3-23/2 * * *` in Pacific/Chatham from
        // 2024-04-06T14:00Z it answers 13:20Z, 40 minutes earlier (robfig v3.0.1, run). That is
        // upstream's answer, kept; an answer earlier than the largest DST shift (Newfoundland's
        // double daylight time, two hours) is a bug.
        assert!(
            next > at_ms.saturating_sub(LARGEST_DST_SHIFT_MS),
            "next {next} long before {at_ms} in {effective:?}: {schedule:?}"
        );
        assert!(
            at_whole_minute(next, effective),
            "next {next} (after {at_ms} in {effective:?}) not at a whole minute: {schedule:?}"
        );
    }
    let previous = schedule.previous_at_or_before(at_ms, zone);
    if let Some(previous) = previous {
        assert!(
            previous <= at_ms,
            "previous {previous} after {at_ms} in {effective:?}: {schedule:?}"
        );
        assert!(
            at_whole_minute(previous, effective),
            "previous {previous} (before {at_ms} in {effective:?}) not at a whole minute: \
             {schedule:?}"
        );
    }
}

/// Second 0 of a minute of the zone's wall clock. Local mean time offsets have seconds, so the
/// instant itself need not be a whole UTC minute.
fn at_whole_minute(instant_ms: i64, zone: Zone) -> bool {
    let seconds = instant_ms.div_euclid(1000);
    let local = seconds.saturating_add(i64::from(zone.offset_seconds(seconds)));
    instant_ms.rem_euclid(1000) == 0 && local.rem_euclid(60) == 0
}
