//! The cron family: podscale's cron expressions and KEDA cron trigger against robfig/cron
//! v3.0.1 (with KEDA's parser options) and KEDA's own activity rule.
//!
//! Three kinds of case, each answered by one harness op (`tests/upstream/cron.go`):
//!
//! - [`ParseCase`], op `cron_parse`: does KEDA's parser accept the text? (Accept or reject is
//!   compared, not the message.) podscale: [`Schedule::parse`].
//! - [`NextCase`], op `cron_next`: robfig's `Schedule.Next` from an instant viewed in a zone.
//!   podscale: [`Schedule::next_after`].
//! - [`ActiveCase`], op `cron_active`: KEDA's `cronScaler.GetMetricsAndActivity` at an instant:
//!   active or not, the metric value, and the two next firings it compares. podscale:
//!   [`CronTrigger::evaluate`] in [`WindowMode::Keda`]. ([`WindowMode::Civil`] is podscale's own
//!   rule, with nothing upstream to compare it with.)
//!
//! # Zone data
//!
//! Both sides read the same tz rules: the harness pins Go to its embedded tzdata (2025c), and
//! the zones generated ([`zones::ZONES`]) have the same offsets there as in podscale's tzdb
//! 2026b; the zones that differ are left out, as that list says.
//!
//! # Excluded inputs
//!
//! - Instants in Pacific/Apia and Pacific/Kiritimati before the calendar day each skipped: robfig
//!   loops forever when its search reaches a day that does not exist ([`zones::earliest_ms`]).
//! - The trigger zone `Local`: Go loads the operator machine's zone for it (podscale refuses it
//!   by design). A `TZ=Local` prefix in an expression is generated: robfig reads it as "the zone
//!   of the instant given", which does not depend on the machine.
//! - `desiredReplicas` beyond ±10^6: KEDA's metric is a milli-quantity, `int64(value * 1000)`,
//!   which Go leaves implementation-defined past the range of `int64`; real counts are small.

use podscale::cron::{Schedule, Zone};
use podscale::keda::{CronTrigger, MetricNameForm, WindowMode};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{Family, Harness, HarnessFault, Verdict};

mod expressions;
mod zones;

/// The cron family.
#[derive(Debug)]
pub struct Cron;

/// One cron case.
#[derive(Debug, Clone, Serialize)]
pub enum CronCase {
    /// Accept or reject an expression.
    Parse(ParseCase),
    /// The next firing after an instant in a zone.
    Next(NextCase),
    /// The trigger's activity at an instant.
    Active(ActiveCase),
}

/// Text given to KEDA's cron parser.
#[derive(Debug, Clone, Serialize)]
pub struct ParseCase {
    /// The expression, untrimmed.
    pub spec: String,
}

/// The next firing of `spec`, evaluated in `zone`, strictly after `after_ms`.
#[derive(Debug, Clone, Serialize)]
pub struct NextCase {
    /// The expression (well-formed almost always).
    pub spec: String,
    /// The IANA zone the instant is viewed in (a `TZ=` prefix in `spec` overrides it).
    pub zone: String,
    /// Unix milliseconds.
    pub after_ms: i64,
}

/// A cron trigger's metadata and the instant it is evaluated at.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveCase {
    /// `timezone`.
    pub timezone: String,
    /// `start`.
    pub start: String,
    /// `end`.
    pub end: String,
    /// `desiredReplicas`.
    pub desired_replicas: i64,
    /// "Now", Unix milliseconds.
    pub now_ms: i64,
}

impl Family for Cron {
    const NAME: &'static str = "cron";
    type Case = CronCase;

    fn cases() -> BoxedStrategy<CronCase> {
        prop_oneof![
            3 => expressions::spec().prop_map(|spec| CronCase::Parse(ParseCase { spec })),
            4 => next_cases().prop_map(CronCase::Next),
            4 => active_cases().prop_map(CronCase::Active),
        ]
        .boxed()
    }

    fn check(case: &CronCase, harness: &mut Harness) -> Result<(), Verdict> {
        match case {
            CronCase::Parse(case) => check_parse(case, harness),
            CronCase::Next(case) => check_next(case, harness),
            CronCase::Active(case) => check_active(case, harness),
        }
    }
}

fn next_cases() -> BoxedStrategy<NextCase> {
    (expressions::expression(), zones::zone_name())
        .prop_flat_map(|(spec, zone)| {
            zones::instant_in(zone).prop_map(move |after_ms| NextCase {
                spec: spec.clone(),
                zone: zone.to_owned(),
                after_ms,
            })
        })
        .boxed()
}

/// Windows: an end on the same days as the start most of the time (a daily or weekday window),
/// an unrelated end otherwise; "now" anywhere, or right at a firing of either (within a second
/// or a minute of it, exactly on it), where the half-open window's edges are.
fn active_cases() -> BoxedStrategy<ActiveCase> {
    let start_and_end = expressions::fields().prop_flat_map(|start| {
        let related = expressions::window_end(start.clone()).prop_map(|end| end.join(" "));
        let end = prop_oneof![3 => related, 1 => expressions::expression()];
        (Just(start.join(" ")), end)
    });
    let desired_replicas =
        prop_oneof![8 => 1..=20i64, 1 => -3..=0i64, 1 => -1_000_000..=1_000_000i64];
    let edge_ms =
        prop::sample::select(&[0i64, 0, -1, 1, -999, 1000, -1000, 59_999, -60_000, 60_000][..]);
    (
        start_and_end,
        zones::zone_name(),
        desired_replicas,
        prop::option::weighted(0.4, (any::<bool>(), edge_ms)),
    )
        .prop_flat_map(|((start, end), timezone, desired_replicas, edge)| {
            zones::instant_in(timezone).prop_map(move |base_ms| {
                let now_ms = edge
                    .and_then(|(at_end, offset)| {
                        let text = if at_end { &end } else { &start };
                        let zone = Zone::from_name(timezone).ok()?;
                        let firing = Schedule::parse(text).ok()?.next_after(base_ms, zone)?;
                        Some(firing + offset).filter(|now| *now >= zones::earliest_ms(timezone))
                    })
                    .unwrap_or(base_ms);
                ActiveCase {
                    timezone: timezone.to_owned(),
                    start: start.clone(),
                    end: end.clone(),
                    desired_replicas,
                    now_ms,
                }
            })
        })
        .boxed()
}

/// Asks `op` and reads its answer as `A`.
fn ask<C: Serialize, A: for<'de> Deserialize<'de>>(
    harness: &mut Harness,
    op: &str,
    case: &C,
) -> Result<A, Verdict> {
    let answer = harness.ask(op, case)?;
    serde_json::from_value(answer.clone()).map_err(|e| {
        Verdict::Fault(HarnessFault::Malformed(format!(
            "{op} answered {answer}: {e}"
        )))
    })
}

/// Whether the parser accepts the text; upstream's message rides along for the report.
#[derive(Debug, Serialize, Deserialize)]
struct ParseAnswer {
    accepted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn check_parse(case: &ParseCase, harness: &mut Harness) -> Result<(), Verdict> {
    let upstream: ParseAnswer = ask(harness, "cron_parse", case)?;
    let podscale = match Schedule::parse(&case.spec) {
        Ok(_) => ParseAnswer {
            accepted: true,
            error: None,
        },
        Err(e) => ParseAnswer {
            accepted: false,
            error: Some(e.robfig_message().to_string()),
        },
    };
    if podscale.accepted == upstream.accepted {
        Ok(())
    } else {
        Err(Verdict::disagree(&podscale, &upstream))
    }
}

/// The next firing, or why there is none: the text or the zone was refused. Messages are not
/// compared, only which input was refused.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct NextAnswer {
    #[serde(default)]
    parse_error: Option<String>,
    #[serde(default)]
    zone_error: Option<String>,
    next_ms: Option<i64>,
}

impl NextAnswer {
    fn outcome(&self) -> (bool, bool, Option<i64>) {
        (
            self.parse_error.is_some(),
            self.zone_error.is_some(),
            self.next_ms,
        )
    }
}

fn check_next(case: &NextCase, harness: &mut Harness) -> Result<(), Verdict> {
    let upstream: NextAnswer = ask(harness, "cron_next", case)?;
    // As the harness: the text first, then the zone.
    let podscale = match Schedule::parse(&case.spec) {
        Err(e) => NextAnswer {
            parse_error: Some(e.robfig_message().to_string()),
            zone_error: None,
            next_ms: None,
        },
        Ok(schedule) => match Zone::from_name(&case.zone) {
            Err(e) => NextAnswer {
                parse_error: None,
                zone_error: Some(e.to_string()),
                next_ms: None,
            },
            Ok(zone) => NextAnswer {
                parse_error: None,
                zone_error: None,
                next_ms: schedule.next_after(case.after_ms, zone),
            },
        },
    };
    if podscale.outcome() == upstream.outcome() {
        Ok(())
    } else {
        Err(Verdict::disagree(&podscale, &upstream))
    }
}

/// The trigger's state, or why it has none. Messages are not compared, only which input was
/// refused.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct ActiveAnswer {
    #[serde(default)]
    parse_error: Option<String>,
    #[serde(default)]
    zone_error: Option<String>,
    active: bool,
    metric_value: f64,
    next_start_ms: Option<i64>,
    next_end_ms: Option<i64>,
}

impl ActiveAnswer {
    fn refused(parse_error: Option<String>, zone_error: Option<String>) -> Self {
        Self {
            parse_error,
            zone_error,
            active: false,
            metric_value: 0.0,
            next_start_ms: None,
            next_end_ms: None,
        }
    }

    fn outcome(&self) -> (bool, bool, bool, f64, Option<i64>, Option<i64>) {
        (
            self.parse_error.is_some(),
            self.zone_error.is_some(),
            self.active,
            self.metric_value,
            self.next_start_ms,
            self.next_end_ms,
        )
    }
}

fn check_active(case: &ActiveCase, harness: &mut Harness) -> Result<(), Verdict> {
    let upstream: ActiveAnswer = ask(harness, "cron_active", case)?;
    let podscale = podscale_activity(case);
    if podscale.outcome() == upstream.outcome() {
        Ok(())
    } else {
        Err(Verdict::disagree(&podscale, &upstream))
    }
}

/// podscale's answer to an [`ActiveCase`]. The trigger is built field by field rather than by
/// [`CronTrigger::from_metadata`], whose metadata validation is not what is compared here: the
/// harness too evaluates any start and end that parse.
fn podscale_activity(case: &ActiveCase) -> ActiveAnswer {
    let (start, end) = match (Schedule::parse(&case.start), Schedule::parse(&case.end)) {
        (Err(e), _) => {
            return ActiveAnswer::refused(Some(format!("start: {}", e.robfig_message())), None);
        }
        (_, Err(e)) => {
            return ActiveAnswer::refused(Some(format!("end: {}", e.robfig_message())), None);
        }
        (Ok(start), Ok(end)) => (start, end),
    };
    let trigger = CronTrigger {
        timezone: &case.timezone,
        start_text: &case.start,
        end_text: &case.end,
        start,
        end,
        desired_replicas: case.desired_replicas,
        trigger_index: 0,
        window_mode: WindowMode::Keda,
        metric_name_form: MetricNameForm::Current,
    };
    match trigger.evaluate(case.now_ms) {
        Err(e) => ActiveAnswer::refused(None, Some(e.to_string())),
        Ok(activity) => ActiveAnswer {
            parse_error: None,
            zone_error: None,
            active: activity.active,
            metric_value: activity.metric_value,
            next_start_ms: activity.next_start_ms,
            next_end_ms: activity.next_end_ms,
        },
    }
}
