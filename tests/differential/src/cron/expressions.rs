//! Cron expressions: well-formed ones from KEDA's grammar (robfig/cron v3 with
//! `Minute | Hour | Dom | Month | Dow`), and near-valid junk around it for the parser.

use proptest::prelude::*;

use super::zones::ZONES;

/// One field's range and names.
struct FieldShape {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: FieldShape = FieldShape {
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: FieldShape = FieldShape {
    min: 0,
    max: 23,
    names: &[],
};
const DAY_OF_MONTH: FieldShape = FieldShape {
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: FieldShape = FieldShape {
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
const DAY_OF_WEEK: FieldShape = FieldShape {
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};
const FIELDS: [&FieldShape; 5] = [&MINUTE, &HOUR, &DAY_OF_MONTH, &MONTH, &DAY_OF_WEEK];

/// A value of the field: a number, written plainly, with leading zeros or with a `+` (Go's
/// `strconv.Atoi` takes both), or a name in any mix of case.
fn value(shape: &'static FieldShape) -> BoxedStrategy<String> {
    let number = (shape.min..=shape.max, 0..10u8)
        .prop_map(|(n, style)| match style {
            0 => format!("0{n}"),
            1 => format!("+{n}"),
            _ => n.to_string(),
        })
        .boxed();
    if shape.names.is_empty() {
        return number;
    }
    let name = (prop::sample::select(shape.names), any::<u8>())
        .prop_map(|(name, case)| {
            name.chars()
                .enumerate()
                .map(|(i, c)| {
                    if case >> i & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect()
        })
        .boxed();
    prop_oneof![3 => number, 1 => name].boxed()
}

/// An ascending pair of values of the field (by the values they stand for).
fn range(shape: &'static FieldShape) -> BoxedStrategy<String> {
    (value(shape), value(shape))
        .prop_map(move |(a, b)| {
            if numeric(shape, &a) <= numeric(shape, &b) {
                format!("{a}-{b}")
            } else {
                format!("{b}-{a}")
            }
        })
        .boxed()
}

/// What a value written by [`value`] stands for.
fn numeric(shape: &FieldShape, text: &str) -> u32 {
    let lower = text.to_ascii_lowercase();
    shape
        .names
        .iter()
        .position(|name| *name == lower)
        .map_or_else(
            || text.trim_start_matches('+').parse().unwrap_or(0),
            |i| i as u32 + shape.min,
        )
}

/// One item of a list: `*`, `?`, a value, a range, each maybe with a step.
fn item(shape: &'static FieldShape) -> BoxedStrategy<String> {
    let span = shape.max - shape.min + 1;
    let step = 1..=span + 1;
    prop_oneof![
        3 => prop::sample::select(&["*", "?"][..]).prop_map(str::to_owned),
        4 => value(shape),
        3 => range(shape),
        3 => (prop::sample::select(&["*", "?"][..]), step.clone()).prop_map(|(s, n)| format!("{s}/{n}")),
        2 => (range(shape), step.clone()).prop_map(|(r, n)| format!("{r}/{n}")),
        1 => (value(shape), step).prop_map(|(v, n)| format!("{v}/{n}")),
    ]
    .boxed()
}

/// A well-formed field: mostly one item, sometimes a list.
fn field(shape: &'static FieldShape) -> BoxedStrategy<String> {
    prop_oneof![
        6 => item(shape),
        2 => prop::collection::vec(item(shape), 2..=4).prop_map(|items| items.join(",")),
    ]
    .boxed()
}

/// Fields that make firings rare or impossible: the 29th to 31st of short months. Searches then
/// run to robfig's five-year limit (and past it: no firing is the zero time).
fn rare_days() -> BoxedStrategy<[String; 2]> {
    (
        29..=31u32,
        prop::sample::select(&["2", "feb", "4", "6", "9", "11", "2,4", "4,6,9,11"][..]),
    )
        .prop_map(|(day, months)| [day.to_string(), months.to_owned()])
        .boxed()
}

/// Five well-formed fields (minute, hour, day of month, month, day of week). Each field is
/// starred about half the time, as real schedules are, which also exercises the rule that
/// combines day of month and day of week.
pub(crate) fn fields() -> BoxedStrategy<[String; 5]> {
    let star = || prop::sample::select(&["*", "*", "?", "*/1"][..]).prop_map(str::to_owned);
    let maybe = move |shape: &'static FieldShape, starred: u32| {
        prop_oneof![starred => star(), 10 - starred => field(shape)].boxed()
    };
    let ordinary = (
        maybe(&MINUTE, 2),
        maybe(&HOUR, 3),
        maybe(&DAY_OF_MONTH, 6),
        maybe(&MONTH, 7),
        maybe(&DAY_OF_WEEK, 6),
    )
        .prop_map(|(a, b, c, d, e)| [a, b, c, d, e]);
    let rare = (
        maybe(&MINUTE, 2),
        maybe(&HOUR, 3),
        rare_days(),
        maybe(&DAY_OF_WEEK, 8),
    )
        .prop_map(|(a, b, [c, d], e)| [a, b, c, d, e]);
    prop_oneof![12 => ordinary, 1 => rare].boxed()
}

/// A zone prefix, `TZ=Zone ` or `CRON_TZ=Zone `, which robfig accepts (KEDA documents nothing
/// about it) and which overrides the trigger's zone for that schedule.
fn zone_prefix() -> BoxedStrategy<String> {
    let zone = prop_oneof![
        20 => prop::sample::select(ZONES),
        // `Local` here means "the zone of the instant given": robfig's Next treats a schedule
        // in time.Local as local to its argument, so nothing depends on the machine.
        1 => Just("Local"),
        1 => Just(""),
    ];
    (prop::sample::select(&["TZ=", "CRON_TZ="][..]), zone)
        .prop_map(|(key, zone)| format!("{key}{zone} "))
        .boxed()
}

/// Joins fields with spaces; sometimes with runs of blanks and tabs, leading or trailing.
fn join(fields: Vec<String>) -> BoxedStrategy<String> {
    let count = fields.len();
    (
        prop::collection::vec(
            prop::sample::select(&[" ", " ", " ", "  ", "\t", " \t "][..]),
            count + 1,
        ),
        0..8u8,
    )
        .prop_map(move |(separators, ends)| {
            let mut text = String::new();
            if ends == 0 {
                text.push_str(separators[count]);
            }
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    text.push_str(separators[i]);
                }
                text.push_str(field);
            }
            if ends == 1 {
                text.push_str(separators[count]);
            }
            text
        })
        .boxed()
}

/// A well-formed expression, with a zone prefix now and then.
pub(crate) fn expression() -> BoxedStrategy<String> {
    (fields(), prop::option::weighted(0.08, zone_prefix()))
        .prop_flat_map(|(fields, prefix)| {
            join(fields.to_vec())
                .prop_map(move |text| format!("{}{text}", prefix.clone().unwrap_or_default()))
        })
        .boxed()
}

/// `base` with its minute and hour fields (and, sometimes, its day of week) replaced: the end of
/// a window that starts at `base`, on the same days.
pub(crate) fn window_end(base: [String; 5]) -> BoxedStrategy<[String; 5]> {
    (
        field(&MINUTE),
        field(&HOUR),
        prop::option::weighted(0.2, field(&DAY_OF_WEEK)),
    )
        .prop_map(move |(minute, hour, weekday)| {
            let mut end = base.clone();
            end[0] = minute;
            end[1] = hour;
            if let Some(weekday) = weekday {
                end[4] = weekday;
            }
            end
        })
        .boxed()
}

/// Text a field might hold that robfig may or may not accept: out-of-range numbers, negative
/// numbers, bad steps and ranges, misplaced names, cron syntax robfig does not have (`L`, `W`,
/// `#`, `H`), empty list items, and random runs of the grammar's characters.
fn junk_field(shape: &'static FieldShape) -> BoxedStrategy<String> {
    let out_of_range = (shape.min.saturating_sub(2)..=shape.max + 3).prop_map(|n| n.to_string());
    let fixed = prop::sample::select(
        &[
            "",
            "-5",
            "-0",
            "+",
            "-",
            "5-",
            "-5-6",
            "5--6",
            "1-2-3",
            "*/0",
            "*/",
            "/5",
            "1/2/3",
            "*-5",
            "?-3/2",
            "*/-1",
            "3-1",
            "5/0",
            "L",
            "W",
            "5#2",
            "H",
            "1.5",
            "x",
            "mon",
            "MON-SUN",
            "sun-sat",
            "jan-dec/3",
            "January",
            "Sunday",
            "99999999999999999999",
            "9223372036854775807",
            "9223372036854775808",
            "00000",
            ",",
            ",,",
            "1,,2",
            "*,",
            ",5",
            "7",
            "0",
            "60",
            "24",
            "32",
            "13",
            "0-0",
            "*/100",
            "**",
            "??",
            "*?",
            "+-1",
        ][..],
    )
    .prop_map(str::to_owned);
    let random = "[0-9*?/,+\\-a-zA-Z]{1,6}";
    prop_oneof![
        4 => fixed,
        3 => out_of_range,
        3 => random,
        4 => field(shape),
    ]
    .boxed()
}

/// Anything the parser might be given: well-formed expressions, expressions with one junk
/// field, the wrong number of fields, descriptors (KEDA's parser refuses them), zone prefixes
/// that are unknown or not followed by a space (robfig then panics, which KEDA recovers into an
/// error), Unicode white space, and empty or blank text.
pub(crate) fn spec() -> BoxedStrategy<String> {
    let one_junk_field = (fields(), 0..5usize)
        .prop_flat_map(|(fields, at)| {
            junk_field(FIELDS[at]).prop_map(move |junk| {
                let mut fields = fields.clone();
                fields[at] = junk;
                fields
            })
        })
        .prop_flat_map(|fields| join(fields.to_vec()));
    let wrong_count = (
        fields(),
        prop::sample::select(&[0usize, 1, 3, 4, 6, 7][..]),
        field(&MINUTE),
    )
        .prop_flat_map(|(fields, count, extra)| {
            let mut list: Vec<String> = fields.to_vec();
            list.push(extra.clone());
            list.push(extra);
            list.truncate(count);
            join(list)
        });
    let descriptor = prop::sample::select(
        &[
            "@hourly",
            "@daily",
            "@midnight",
            "@weekly",
            "@monthly",
            "@yearly",
            "@annually",
            "@every 1h",
            "@every 5m",
            "@reboot",
            "@ 0 * * * *",
        ][..],
    )
    .prop_map(str::to_owned);
    let odd_prefix = (
        prop::sample::select(
            &[
                "TZ=",
                "CRON_TZ=",
                "TZ",
                "tz=",
                "CRON_TZ",
                "TZ=UTC",
                "TZ=Mars/Olympus ",
                "TZ=America/New_York\t",
                "TZ=Etc/UTC  ",
            ][..],
        ),
        fields(),
    )
        .prop_map(|(prefix, fields)| format!("{prefix}{}", fields.join(" ")));
    let unicode_blanks = (
        fields(),
        prop::sample::select(
            &[
                "\u{a0}", "\u{85}", "\u{3000}", "\u{2009}", "\u{b}", "\u{c}", "\r", "\n",
                "\u{200b}", "\u{feff}",
            ][..],
        ),
    )
        .prop_map(|(fields, blank)| fields.join(blank));
    let blank = prop::sample::select(&["", " ", "\t", "  \n"][..]).prop_map(str::to_owned);
    prop_oneof![
        6 => expression(),
        8 => one_junk_field,
        2 => wrong_count,
        1 => descriptor,
        2 => odd_prefix,
        1 => unicode_blanks,
        1 => blank,
    ]
    .boxed()
}
