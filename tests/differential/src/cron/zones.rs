//! The zones cases are evaluated in, and the instants they are evaluated at: uniform over the
//! years of the zone data, and concentrated around each zone's offset changes (DST and
//! historical), where robfig's wall-clock arithmetic is hardest to reproduce.

use std::sync::LazyLock;

use podscale::cron::Zone;
use proptest::prelude::*;

/// The IANA zones cases use: DST on both hemispheres, DST changes at midnight (Havana, Sao
/// Paulo's old rules, Asuncion), negative DST (Dublin, Casablanca's Ramadan suspensions), DST of
/// half an hour (Lord Howe) and of two hours (Troll, whose standard offset is 0), offsets of half
/// and three quarters of an hour (Kolkata, Kathmandu, Eucla, Chatham, St Johns, Marquesas), zones
/// whose standard offset changed (Caracas, Moscow, Nuuk, Scoresbysund, Istanbul, Colombo, Tehran,
/// Norfolk, Casey), a day skipped by crossing the date line (Apia, Kiritimati), and UTC.
///
/// Left out because their rules differ between the harness's tzdb (Go's embedded 2025c, see
/// `tests/upstream/cron.go`) and podscale's (tzdb_data's 2026b): America/Vancouver and
/// Canada/Pacific (permanent DST in British Columbia from 2026-11-01) and Europe/Chisinau and
/// Europe/Tiraspol (changes from 2022-03-27). Every zone below has the same offsets in both
/// releases from 1850 to 2100 (compared every 15 minutes). `Local` is left out too: Go loads the
/// operator machine's zone for it and podscale refuses it by design.
pub(crate) const ZONES: &[&str] = &[
    "UTC",
    "Etc/UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/St_Johns",
    "America/Havana",
    "America/Asuncion",
    "America/Nuuk",
    "America/Caracas",
    "America/Mexico_City",
    "America/Scoresbysund",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Prague",
    "Europe/Moscow",
    "Europe/Lisbon",
    "Europe/Istanbul",
    "Africa/Casablanca",
    "Africa/Cairo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Asia/Jerusalem",
    "Asia/Gaza",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Colombo",
    "Asia/Dhaka",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Australia/Eucla",
    "Australia/Perth",
    "Pacific/Chatham",
    "Pacific/Auckland",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Pacific/Marquesas",
    "Pacific/Norfolk",
    "Antarctica/Troll",
    "Antarctica/Casey",
];

/// Names both sides must refuse (Go's file lookup is case-sensitive, as is podscale's).
pub(crate) const UNKNOWN_ZONES: &[&str] = &[
    "Mars/Olympus",
    "america/new_york",
    "EST5EDT6",
    "Asia/Calcutta2",
];

/// Unix milliseconds of 1900-01-01 and 2045-01-01: the span of ordinary instants. The five-year
/// search of `Next` reaches 2050 from the end of it.
const FIRST_MS: i64 = -2_208_988_800_000;
const LAST_MS: i64 = 2_366_841_600_000;

/// Unix milliseconds of 0001-01-01 and 9999-12-31: the span of the rare far-off instants.
const FAR_FIRST_MS: i64 = -62_135_596_800_000;
const FAR_LAST_MS: i64 = 253_402_214_400_000;

/// Zones that skipped a whole calendar day, and the first instant after it. robfig's day loop
/// never ends when its search reaches such a day (the next day's midnight resolves back into the
/// current day: upstream has no answer), so instants in these zones start after the skip.
const SKIPPED_DAYS: &[(&str, i64)] = &[
    // 2011-12-30 did not happen in Samoa: 2011-12-31 00:00 +14 is 2011-12-30 10:00 UTC.
    ("Pacific/Apia", 1_325_239_200_000),
    // 1994-12-31 did not happen in the Line Islands: 1995-01-01 00:00 +14 is 1994-12-31 10:00 UTC.
    ("Pacific/Kiritimati", 788_868_000_000),
];

/// The earliest instant cases may use in `zone`.
pub(crate) fn earliest_ms(zone: &str) -> i64 {
    SKIPPED_DAYS
        .iter()
        .find(|(name, _)| *name == zone)
        .map_or(FAR_FIRST_MS, |(_, after)| *after)
}

/// Each zone's offset changes between 1900 and 2045, in Unix seconds (index as [`ZONES`]).
static TRANSITIONS: LazyLock<Vec<Vec<i64>>> = LazyLock::new(|| {
    ZONES
        .iter()
        .map(|name| Zone::from_name(name).map_or_else(|_| Vec::new(), transitions))
        .collect()
});

/// Offset changes found by sampling every 12 hours and bisecting to the second; two changes
/// less than 12 hours apart with the same offset on both sides are missed, which only costs a
/// little concentration.
fn transitions(zone: Zone) -> Vec<i64> {
    const STEP: i64 = 12 * 3600;
    let mut found = Vec::new();
    let mut t = FIRST_MS / 1000;
    let mut offset = zone.offset_seconds(t);
    while t < LAST_MS / 1000 {
        let next = t + STEP;
        let next_offset = zone.offset_seconds(next);
        if next_offset != offset {
            // The first second with the new offset lies in (t, next].
            let (mut low, mut high) = (t, next);
            while high - low > 1 {
                let mid = low + (high - low) / 2;
                if zone.offset_seconds(mid) == offset {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            found.push(high);
        }
        t = next;
        offset = next_offset;
    }
    found
}

/// A zone name: one of [`ZONES`] almost always, now and then one that does not exist.
pub(crate) fn zone_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        40 => prop::sample::select(ZONES),
        1 => prop::sample::select(UNKNOWN_ZONES),
    ]
}

/// An instant (Unix milliseconds) to evaluate a schedule at in `zone`: uniform over 1900-2045,
/// near one of the zone's offset changes, or (rarely) anywhere in years 1 to 9999; rounded to
/// the minute or the second more often than not, since firings are whole minutes.
pub(crate) fn instant_in(zone: &'static str) -> BoxedStrategy<i64> {
    let earliest = earliest_ms(zone);
    let transitions = ZONES
        .iter()
        .position(|name| *name == zone)
        .and_then(|index| TRANSITIONS.get(index))
        .filter(|list| !list.is_empty())
        .cloned();
    let uniform = (FIRST_MS.max(earliest)..LAST_MS).boxed();
    let far = (earliest..FAR_LAST_MS).boxed();
    let raw = match transitions {
        Some(list) => {
            let near = (prop::sample::select(list), near_offset_ms())
                .prop_map(move |(at, offset)| (at * 1000 + offset).max(earliest))
                .boxed();
            prop_oneof![4 => uniform, 6 => near, 1 => far].boxed()
        }
        None => prop_oneof![8 => uniform, 1 => far].boxed(),
    };
    (raw, 0..10u8)
        .prop_map(|(ms, rounding)| match rounding {
            0..=4 => ms - ms.rem_euclid(60_000),
            5..=6 => ms - ms.rem_euclid(1000),
            _ => ms,
        })
        .boxed()
}

/// How far from an offset change: mostly within the hours around it, sometimes days.
fn near_offset_ms() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => -3 * 3_600_000i64..3 * 3_600_000,
        2 => -3 * 86_400_000i64..3 * 86_400_000,
        1 => -40 * 86_400_000i64..40 * 86_400_000,
    ]
}
