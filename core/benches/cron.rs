//! Criterion benchmarks of cron expressions and KEDA's cron trigger.
//!
//! Run with `cargo bench -p podscale --bench cron`. Targets: under 1 µs for `cron_parse/*`,
//! under 2 µs for `cron_next/*`, under 5 µs for `cron_window/*`.

// Bench fixtures are plain test code: unwraps on small known inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use podscale::cron::{Schedule, Zone};
use podscale::keda::{CronTrigger, WindowMode};

/// 2024-05-01 01:17 UTC (Wednesday): 10:17 in Seoul, 21:17 the day before in New York.
const ORDINARY_MS: i64 = 1_714_526_220_000;
/// 2024-03-10 01:30 EST (06:30 UTC), half an hour before New York springs forward: 02:30 does
/// not exist that night.
const BEFORE_GAP_MS: i64 = 1_710_052_200_000;
/// 2024-05-03 22:00 UTC (Friday): 18:00 EDT, a weekday schedule's next firing is Monday.
const FRIDAY_EVENING_MS: i64 = 1_714_773_600_000;

const QUARTER_HOURS: &str = "00,15,30,45 * * * *";
const WEEKDAYS: &str = "30 6 * * Mon-Fri";
const DAILY_0230: &str = "30 2 * * *";

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("cron_parse");
    for (name, spec) in [("quarter_hours", QUARTER_HOURS), ("weekdays", WEEKDAYS)] {
        Schedule::parse(spec).unwrap();
        group.bench_function(name, |b| b.iter(|| Schedule::parse(black_box(spec))));
    }
    group.finish();
}

fn next(c: &mut Criterion) {
    let utc = Zone::UTC;
    let new_york = Zone::from_name("America/New_York").unwrap();
    let quarter_hours = Schedule::parse(QUARTER_HOURS).unwrap();
    let weekdays = Schedule::parse(WEEKDAYS).unwrap();
    let daily = Schedule::parse(DAILY_0230).unwrap();

    let cases = [
        // 01:30 UTC.
        (
            "utc_quarter_hours",
            quarter_hours,
            ORDINARY_MS,
            utc,
            1_714_527_000_000,
        ),
        // 21:30 EDT.
        (
            "new_york_quarter_hours",
            quarter_hours,
            ORDINARY_MS,
            new_york,
            1_714_527_000_000,
        ),
        // 2024-05-01 02:30 UTC.
        ("utc_daily", daily, ORDINARY_MS, utc, 1_714_530_600_000),
        // 2024-05-01 02:30 EDT.
        (
            "new_york_daily",
            daily,
            ORDINARY_MS,
            new_york,
            1_714_545_000_000,
        ),
        // 2024-03-10 02:30 UTC, the next day.
        (
            "utc_daily_before_gap",
            daily,
            BEFORE_GAP_MS,
            utc,
            1_710_124_200_000,
        ),
        // 02:30 is skipped on 2024-03-10: 2024-03-11 02:30 EDT.
        (
            "new_york_daily_before_gap",
            daily,
            BEFORE_GAP_MS,
            new_york,
            1_710_138_600_000,
        ),
        // Friday 18:00 EDT: Monday 2024-05-06 06:30 EDT, over the weekend.
        (
            "new_york_weekdays_friday_evening",
            weekdays,
            FRIDAY_EVENING_MS,
            new_york,
            1_714_991_400_000,
        ),
    ];
    let mut group = c.benchmark_group("cron_next");
    for (name, schedule, after_ms, zone, expected) in cases {
        assert_eq!(
            schedule.next_after(after_ms, zone),
            Some(expected),
            "{name}"
        );
        group.bench_function(name, |b| {
            b.iter(|| black_box(&schedule).next_after(black_box(after_ms), zone));
        });
    }
    group.finish();
}

fn window(c: &mut Criterion) {
    let seoul = CronTrigger::from_metadata(
        &[
            ("timezone", "Asia/Seoul"),
            ("start", QUARTER_HOURS),
            ("end", "05,20,35,50 * * * *"),
            ("desiredReplicas", "1"),
        ],
        0,
    )
    .unwrap();
    // Weekday mornings to every evening, in New York.
    let new_york = CronTrigger::from_metadata(
        &[
            ("timezone", "America/New_York"),
            ("start", WEEKDAYS),
            ("end", "0 18 * * *"),
            ("desiredReplicas", "5"),
        ],
        1,
    )
    .unwrap();

    // (name, trigger, mode, now, expected activity).
    let cases = [
        // 10:17 KST: inside the 10:15-10:20 window.
        (
            "seoul_quarter_hours_keda",
            seoul,
            WindowMode::Keda,
            ORDINARY_MS,
            true,
        ),
        (
            "seoul_quarter_hours_civil",
            seoul,
            WindowMode::Civil,
            ORDINARY_MS,
            true,
        ),
        // Friday 2024-05-03 10:00 EDT: inside the 06:30-18:00 window.
        (
            "new_york_weekdays_keda",
            new_york,
            WindowMode::Keda,
            1_714_744_800_000,
            true,
        ),
        (
            "new_york_weekdays_civil",
            new_york,
            WindowMode::Civil,
            1_714_744_800_000,
            true,
        ),
        // Saturday 2024-05-04 10:00 EDT: KEDA is active all weekend (the next end comes before
        // the next start), the civil window is not.
        (
            "new_york_weekend_keda",
            new_york,
            WindowMode::Keda,
            1_714_831_200_000,
            true,
        ),
        (
            "new_york_weekend_civil",
            new_york,
            WindowMode::Civil,
            1_714_831_200_000,
            false,
        ),
    ];
    let mut group = c.benchmark_group("cron_window");
    for (name, trigger, mode, now_ms, active) in cases {
        let trigger = CronTrigger {
            window_mode: mode,
            ..trigger
        };
        assert_eq!(trigger.evaluate(now_ms).unwrap().active, active, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| black_box(&trigger).evaluate(black_box(now_ms)));
        });
    }
    group.finish();
}

criterion_group!(benches, parse, next, window);
criterion_main!(benches);
