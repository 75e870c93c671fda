//! Fuzzes KEDA's cron trigger: `CronTrigger::from_metadata` on arbitrary metadata, then
//! `evaluate` at an arbitrary instant in either window mode, and the metric name.
//!
//! Metadata values come mostly from small pools of valid and invalid cron expressions, zone
//! names and `desiredReplicas` texts (which pool depends on the key), sometimes from anything;
//! keys are mostly the four the trigger reads, in any order and possibly repeated.
//!
//! Besides "no panic", every evaluation checks invariants that hold for any input (see
//! `check`).

#![no_main]

use std::fmt::Write as _;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use podscale::keda::{CronTrigger, MetricNameForm, WindowMode};

/// A list of at most `N` elements. Stops early when the input runs out.
#[derive(Debug, Clone)]
struct Bounded<T, const N: usize>(Vec<T>);

impl<'a, T: Arbitrary<'a>, const N: usize> Arbitrary<'a> for Bounded<T, N> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut items = Vec::new();
        while items.len() < N && !u.is_empty() && u.arbitrary::<bool>()? {
            items.push(T::arbitrary(u)?);
        }
        Ok(Self(items))
    }
}

fn pick<T: Copy>(items: &[T], index: u8) -> T {
    items[usize::from(index) % items.len()]
}

const CRONS: &[&str] = &[
    // Valid.
    "00,15,30,45 * * * *",
    "05,20,35,50 * * * *",
    "30 6 * * Mon-Fri",
    "0 18 * * Mon-Fri",
    "0 9 * * *",
    "0 17 * * *",
    "*/5 * * * *",
    "* * * * *",
    "0 0 1 1 *",
    "0 0 29 2 *",
    "0 0 30 2 *", // never fires
    "30 2 * * *", // skipped by spring-forward gaps
    "30 1 * * *", // repeated by fall-back overlaps
    "0 0 * * Sun",
    "0 0 1-7 * Mon", // day of month OR day of week
    "0 0 31 * *",
    "59 23 31 12 *",
    "0 0 * * ?",
    "0-59/7 0-23/5 * JAN-dec/2 *",
    "TZ=Asia/Seoul 0 9 * * *",
    "CRON_TZ=America/New_York 0 2 * * *",
    "CRON_TZ=Pacific/Apia 0 0 30 12 *",
    // Not pooled: an empty list (`, * * * *`, `0 , * * *`) parses and never fires, but each
    // `next_after` then runs to its step bound (about 20 ms), which slows the fuzzer a
    // hundredfold. cron_parse covers it; `Custom` texts can still reach it here.
    // Invalid.
    "",
    "   ",
    "@hourly",
    "* * * *",
    "* * * * * *",
    "60 * * * *",
    "0 24 * * *",
    "0 0 0 * *",
    "0 0 * 13 *",
    "0 0 * * 7",
    "5-1 * * * *",
    "*/0 * * * *",
    "1-2-3 * * * *",
    "1/2/3 * * * *",
    "a * * * *",
    "-5 * * * *",
    "0/-1 * * * *",
    "99999999999999999999 * * * *",
    "TZ=Mars/Olympus 0 0 * * *",
    "TZ=UTC",
    "CRON_TZ=Local 0 0 * * *",
];

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
    // Unusual or refused.
    "Etc/UTC",
    "Etc/GMT+5",
    "EST5EDT",
    "",
    "Local",
    "Mars/Olympus",
    "asia/seoul",
    "Asia/Seoul ",
];

const REPLICAS: &[&str] = &[
    "1",
    "2",
    "10",
    " 3 ",
    "0",
    "-1",
    "-0",
    "01",
    "1.5",
    "1e3",
    "abc",
    "",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
];

const KEYS: &[&str] = &["start", "end", "timezone", "desiredReplicas"];

/// A metadata value: from the pool of its key (or of the chosen pool for other keys), or
/// anything.
#[derive(Debug, Clone, Arbitrary)]
enum TextIn {
    Cron(u8),
    Zone(u8),
    Replicas(u8),
    Custom(String),
}

impl TextIn {
    fn get(&self) -> &str {
        match self {
            Self::Cron(i) => pick(CRONS, *i),
            Self::Zone(i) => pick(ZONES, *i),
            Self::Replicas(i) => pick(REPLICAS, *i),
            Self::Custom(s) => s,
        }
    }
}

#[derive(Debug, Clone, Arbitrary)]
enum KeyIn {
    Known(u8),
    Custom(String),
}

impl KeyIn {
    fn get(&self) -> &str {
        match self {
            Self::Known(i) => pick(KEYS, *i),
            Self::Custom(s) => s,
        }
    }
}

/// A value for a known key: its own pool most of the time.
#[derive(Debug, Clone, Arbitrary)]
enum ValueIn {
    Pooled(u8),
    Other(TextIn),
}

const SPECIAL_MS: &[i64] = &[
    1_714_526_220_000, // 2024-05-01 01:17 UTC = 10:17 KST
    1_710_054_000_000, // 2024-03-10 07:00 UTC: New York springs forward
    1_710_052_200_000, // 2024-03-10 06:30 UTC = 01:30 EST
    1_730_613_600_000, // 2024-11-03 06:00 UTC: New York falls back
    1_711_846_800_000, // 2024-03-31 01:00 UTC: London and Troll spring forward
    1_729_990_800_000, // 2024-10-27 01:00 UTC: London falls back
    1_325_239_200_000, // 2011-12-30 10:00 UTC: Apia skips a day
    1_541_300_400_000, // 2018-11-04 03:00 UTC: Sao Paulo springs forward at midnight
    1_712_415_600_000, // 2024-04-06 15:00 UTC: Lord Howe falls back 30 minutes
    1_728_142_200_000, // 2024-10-05 15:30 UTC: Lord Howe springs forward 30 minutes
    1_712_412_000_000, // 2024-04-06 14:00 UTC: Chatham falls back
    0,
    -1,
    -2_208_988_800_000, // 1900-01-01
    2_147_483_640_000,  // 2038-01-19 03:14 UTC
    i64::MAX,
    i64::MIN,
    i64::MAX / 1000 * 1000,
    i64::MIN / 1000 * 1000,
];

#[derive(Debug, Clone, Copy, Arbitrary)]
enum NowIn {
    /// A special instant moved by up to ±22 days (minutes) and ±2 minutes (seconds).
    Near(u8, i16, i8),
    Special(u8),
    Any(i64),
}

impl NowIn {
    fn get(self) -> i64 {
        match self {
            Self::Near(i, minutes, seconds) => pick(SPECIAL_MS, i)
                .saturating_add(i64::from(minutes) * 60_000)
                .saturating_add(i64::from(seconds) * 1000),
            Self::Special(i) => pick(SPECIAL_MS, i),
            Self::Any(v) => v,
        }
    }
}

#[derive(Debug, Clone, Arbitrary)]
struct Input {
    start: Option<ValueIn>,
    end: Option<ValueIn>,
    timezone: Option<ValueIn>,
    desired_replicas: Option<ValueIn>,
    /// Appended after the four: repeated keys (the last one wins) and unknown ones.
    extra: Bounded<(KeyIn, TextIn), 4>,
    /// Placed first instead of last.
    extra_first: bool,
    trigger_index: u16,
    civil: bool,
    before_v2_20: bool,
    now: NowIn,
    /// Up to two later evaluations, this many seconds after the previous one.
    later: Bounded<u16, 2>,
}

fn value<'a>(key: &str, v: &'a ValueIn) -> &'a str {
    match v {
        ValueIn::Pooled(i) => match key {
            "start" | "end" => pick(CRONS, *i),
            "timezone" => pick(ZONES, *i),
            _ => pick(REPLICAS, *i),
        },
        ValueIn::Other(t) => t.get(),
    }
}

fuzz_target!(|input: Input| {
    let mut metadata: Vec<(&str, &str)> = Vec::new();
    let named = [
        ("start", &input.start),
        ("end", &input.end),
        ("timezone", &input.timezone),
        ("desiredReplicas", &input.desired_replicas),
    ];
    for (key, v) in named {
        if let Some(v) = v {
            metadata.push((key, value(key, v)));
        }
    }
    let extra = input.extra.0.iter().map(|(k, t)| (k.get(), t.get()));
    if input.extra_first {
        metadata.splice(0..0, extra);
    } else {
        metadata.extend(extra);
    }

    let index = usize::from(input.trigger_index);
    let mut trigger = match CronTrigger::from_metadata(&metadata, index) {
        Ok(trigger) => trigger,
        Err(e) => {
            let mut text = String::new();
            write!(text, "{e}").unwrap();
            assert!(
                text.starts_with("error parsing cron metadata: "),
                "{text:?}"
            );
            return;
        }
    };
    trigger.window_mode = if input.civil {
        WindowMode::Civil
    } else {
        WindowMode::Keda
    };
    if input.before_v2_20 {
        trigger.metric_name_form = MetricNameForm::BeforeV2_20;
    }

    let mut name = String::new();
    write!(name, "{}", trigger.metric_name()).unwrap();
    assert!(name.starts_with(&format!("s{index}-cron-")), "{name:?}");

    let mut now = input.now.get();
    check(&trigger, now);
    for step in &input.later.0 {
        now = now.saturating_add(i64::from(*step) * 1000);
        check(&trigger, now);
    }
});

fn check(trigger: &CronTrigger<'_>, now_ms: i64) {
    let zone_ok = trigger.check_zone().is_ok();
    let activity = match trigger.evaluate(now_ms) {
        Ok(activity) => activity,
        Err(e) => {
            assert!(!zone_ok, "evaluate failed with a loadable zone: {e}");
            let mut text = String::new();
            write!(text, "{e}").unwrap();
            return;
        }
    };
    assert!(zone_ok, "evaluate succeeded with an unloadable zone");
    let value = activity.metric_value;
    assert!(value.is_finite(), "{activity:?}");
    if activity.active {
        let expected = if trigger.desired_replicas > 0 {
            trigger.desired_replicas as f64
        } else {
            0.0
        };
        assert_eq!(value, expected, "{activity:?}");
    } else {
        assert_eq!(value, 0.0, "inactive with a metric: {activity:?}");
    }
    for next in [activity.next_start_ms, activity.next_end_ms].into_iter().flatten() {
        assert!(
            next > now_ms,
            "next firing {next} not after {now_ms}: {activity:?}"
        );
    }
}
