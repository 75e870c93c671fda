//! Properties of cron schedules and the cron trigger, checked against brute-force minute walks.

use podscale::cron::{Schedule, Zone};
use podscale::keda::{CronTrigger, WindowMode};
use proptest::prelude::*;

/// Zones whose DST changes move the clock by whole hours at the top of an hour, away from
/// midnight. Where they do not (Lord Howe's half-hour shift, Chatham's change at :45, São
/// Paulo's midnight that never happens), robfig's search keeps the minute it had before the
/// change, or steps a day into the missing midnight, and can return a minute that is not a
/// firing, or step over some: upstream's answers, which podscale keeps (unit tests in
/// `cron/next.rs` pin two, [`sao_paulo_midnight_gap_keeps_robfigs_answer`] a third). Searches
/// in those zones are checked against the civil properties only.
const WHOLE_HOUR_ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "Asia/Kathmandu",
    "Asia/Seoul",
];

const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Asia/Seoul",
    "Pacific/Chatham",
];

/// 2012-01-01 to 2026-01-01: historical DST transitions of every zone above.
const FROM_MS: i64 = 1_325_376_000_000;
const TO_MS: i64 = 1_767_225_600_000;

/// Expressions dense enough that a minute walk to the next firing stays short, but with lists,
/// ranges, steps, names and both day-field rules.
fn dense_expression() -> impl Strategy<Value = String> {
    let minute = prop::sample::select(vec![
        "*",
        "0",
        "30",
        "*/7",
        "5/15",
        "0,15,30,45",
        "10-20",
        "59",
        "*/1",
    ]);
    let hour = prop::sample::select(vec!["*", "1", "2", "*/3", "0-6", "1,2,3", "22-23"]);
    let dom = prop::sample::select(vec!["*", "?", "1-31", "*/2", "13", "1,15"]);
    let month = prop::sample::select(vec!["*", "*/1", "jan-dec", "3,11"]);
    let dow = prop::sample::select(vec!["*", "?", "Mon-Fri", "0", "sat,sun", "5"]);
    (minute, hour, dom, month, dow).prop_map(|(a, b, c, d, e)| format!("{a} {b} {c} {d} {e}"))
}

fn zone(names: &'static [&'static str]) -> impl Strategy<Value = Zone> {
    prop::sample::select(names).prop_map(|name| Zone::from_name(name).unwrap())
}

/// Minute-aligned instants strictly between `from` and `to`, at most `limit` of them.
fn minutes_between(from: i64, to: i64, limit: usize) -> impl Iterator<Item = i64> {
    let first = (from.div_euclid(60_000) + 1) * 60_000;
    (0..)
        .map(move |k| first + k * 60_000)
        .take_while(move |m| *m < to)
        .take(limit)
}

/// São Paulo's clocks went from 2018-11-03 23:59 to 2018-11-04 01:00. From 01:59 on the 3rd,
/// robfig v3.0.1 answers 01:00 on the 4th for `* 1 */2 * *`, an even day that does not fire
/// (checked by running robfig's `Next` itself); podscale gives upstream's answer.
#[test]
fn sao_paulo_midnight_gap_keeps_robfigs_answer() {
    let schedule = Schedule::parse("* 1 */2 * *").unwrap();
    let zone = Zone::from_name("America/Sao_Paulo").unwrap();
    let from = 1_541_221_140_000; // 2018-11-03T04:59:00Z, 01:59 in São Paulo
    assert_eq!(schedule.next_after(from, zone), Some(1_541_300_400_000));
    assert!(!schedule.matches(1_541_300_400_000, zone));
}

/// Chatham's clocks went back from 03:45 to 02:45 on 2024-04-07 (14:00Z on the 6th). From that
/// instant robfig v3.0.1 answers 13:20Z for `5-59/2 3-23/2 * * *`, 40 minutes *before* it
/// (checked by running robfig's `Next` itself); podscale gives upstream's answer, and KEDA's
/// window rule reads it as written (`CronTrigger::evaluate`).
#[test]
fn chatham_fall_back_keeps_robfigs_earlier_answer() {
    let schedule = Schedule::parse("5-59/2 3-23/2 * * *").unwrap();
    let zone = Zone::from_name("Pacific/Chatham").unwrap();
    assert_eq!(
        schedule.next_after(1_712_412_000_000, zone),
        Some(1_712_409_600_000)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The next firing is strictly later, is a firing, and no minute in between fires.
    #[test]
    fn next_is_the_first_matching_minute(expr in dense_expression(), zone in zone(WHOLE_HOUR_ZONES), from in FROM_MS..TO_MS) {
        let schedule = Schedule::parse(&expr).unwrap();
        let Some(next) = schedule.next_after(from, zone) else {
            // Dense expressions here always fire within five years; "3,11" months with day 13
            // and Friday-only rules still do.
            return Err(TestCaseError::fail(format!("{expr:?} never fires after {from}")));
        };
        prop_assert!(next > from);
        prop_assert!(schedule.matches(next, zone), "{} is not a firing of {:?}", next, expr);
        for minute in minutes_between(from, next, 200_000) {
            prop_assert!(!schedule.matches(minute, zone), "{:?} skipped {} before {}", expr, minute, next);
        }
    }

    /// The most recent firing is at or before the instant, is a firing, and nothing later is.
    #[test]
    fn previous_is_the_last_matching_minute(expr in dense_expression(), zone in zone(ZONES), at in FROM_MS..TO_MS) {
        let schedule = Schedule::parse(&expr).unwrap();
        let previous = schedule.previous_at_or_before(at, zone).unwrap();
        prop_assert!(previous <= at);
        prop_assert!(schedule.matches(previous, zone));
        for minute in minutes_between(previous, at + 1, 200_000) {
            prop_assert!(!schedule.matches(minute, zone), "{:?}: {} fires after {}", expr, minute, previous);
        }
    }

    /// KEDA's window rule agrees with a forward scan: active iff an end fires no later than
    /// the first start after now.
    #[test]
    fn keda_window_agrees_with_a_forward_scan(start in dense_expression(), end in dense_expression(), zone_name in prop::sample::select(WHOLE_HOUR_ZONES), now in FROM_MS..TO_MS) {
        prop_assume!(start != end);
        let metadata = [("timezone", zone_name), ("start", start.as_str()), ("end", end.as_str()), ("desiredReplicas", "3")];
        let trigger = CronTrigger::from_metadata(&metadata, 0).unwrap();
        let zone = Zone::from_name(zone_name).unwrap();
        let activity = trigger.evaluate(now).unwrap();
        let (s, e) = (trigger.start, trigger.end);
        let mut expected = None;
        for minute in minutes_between(now, i64::MAX, 2_000_000) {
            match (s.matches(minute, zone), e.matches(minute, zone)) {
                (_, true) => { expected = Some(true); break; }
                (true, false) => { expected = Some(false); break; }
                _ => {}
            }
        }
        prop_assert_eq!(Some(activity.active), expected);
        prop_assert_eq!(activity.metric_value, if activity.active { 3.0 } else { 0.0 });
    }

    /// The civil window agrees with a backward scan: active iff the latest firing at or before
    /// now is a start and not also an end.
    #[test]
    fn civil_window_agrees_with_a_backward_scan(start in dense_expression(), end in dense_expression(), zone_name in prop::sample::select(ZONES), now in FROM_MS..TO_MS) {
        prop_assume!(start != end);
        let metadata = [("timezone", zone_name), ("start", start.as_str()), ("end", end.as_str()), ("desiredReplicas", "3")];
        let trigger = CronTrigger { window_mode: WindowMode::Civil, ..CronTrigger::from_metadata(&metadata, 0).unwrap() };
        let zone = Zone::from_name(zone_name).unwrap();
        let activity = trigger.evaluate(now).unwrap();
        let (s, e) = (trigger.start, trigger.end);
        let mut expected = false;
        let mut minute = now.div_euclid(60_000) * 60_000;
        for _ in 0..2_000_000 {
            match (s.matches(minute, zone), e.matches(minute, zone)) {
                (_, true) => { expected = false; break; }
                (true, false) => { expected = true; break; }
                _ => minute -= 60_000,
            }
        }
        prop_assert_eq!(activity.active, expected);
    }

    /// Metadata validation never accepts an expression the parser rejects.
    #[test]
    fn validation_never_accepts_what_parsing_rejects(start in "[0-9*/,?a-zA-Z -]{0,20}", end in "[0-9*/,?a-zA-Z -]{0,20}", desired in "-?[0-9]{0,3}") {
        let metadata = [("timezone", "UTC"), ("start", start.as_str()), ("end", end.as_str()), ("desiredReplicas", desired.as_str())];
        if CronTrigger::from_metadata(&metadata, 0).is_ok() {
            prop_assert!(Schedule::parse(start.trim()).is_ok());
            prop_assert!(Schedule::parse(end.trim()).is_ok());
        }
    }
}
