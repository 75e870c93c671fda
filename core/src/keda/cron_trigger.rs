//! KEDA's `cron` trigger: metadata, validation, window activity, metric value and metric name
//! [cronScaler].

use core::fmt;

use crate::cron::{CronError, Schedule, Zone, ZoneError};

/// How the trigger decides whether "now" is inside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum WindowMode {
    /// KEDA v2.20 exactly: active when the next `end` firing comes no later than the next `start`
    /// firing [cronScaler.GetMetricsAndActivity]. Surprising when start and end use different
    /// day sets (a weekday start with a daily end stays active all weekend), when a range of
    /// starts only opens at its last value, and when a start never fires (always active).
    #[default]
    Keda,
    /// podscale's alternative: active when the most recent `start` firing (at or before now) is
    /// later than the most recent `end` firing, which is what a window means on a calendar.
    Civil,
}

/// Which KEDA release's metric name to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MetricNameForm {
    /// v2.20 and later: commas become `Cm` (kedacore/keda#7448).
    #[default]
    Current,
    /// Before v2.20: commas are kept, which made names with lists invalid.
    BeforeV2_20,
}

/// A validated `cron` trigger.
///
/// ```
/// use podscale::keda::CronTrigger;
/// let trigger = CronTrigger::from_metadata(&[
///     ("timezone", "Asia/Seoul"),
///     ("start", "00,15,30,45 * * * *"),
///     ("end", "05,20,35,50 * * * *"),
///     ("desiredReplicas", "1"),
/// ], 0)?;
/// assert_eq!(
///     trigger.metric_name().to_string(),
///     "s0-cron-Asia-Seoul-00Cm15Cm30Cm45xxxx-05Cm20Cm35Cm50xxxx"
/// );
/// // 2024-05-01 10:17 KST is inside a quarter-hour window.
/// let activity = trigger.evaluate(1_714_526_220_000)?;
/// assert!(activity.active);
/// assert_eq!(activity.metric_value, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CronTrigger<'a> {
    /// `timezone`, as given: loaded at each evaluation, as KEDA does.
    pub timezone: &'a str,
    /// `start`, as given (trimmed).
    pub start_text: &'a str,
    /// `end`, as given (trimmed).
    pub end_text: &'a str,
    /// The parsed `start`.
    pub start: Schedule,
    /// The parsed `end`.
    pub end: Schedule,
    /// `desiredReplicas`.
    pub desired_replicas: i64,
    /// The trigger's position in `spec.triggers`, which prefixes its metric name.
    pub trigger_index: usize,
    /// How activity is decided.
    pub window_mode: WindowMode,
    /// Which metric name form to produce.
    pub metric_name_form: MetricNameForm,
}

/// The trigger's state at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CronActivity {
    /// Whether the trigger is active.
    pub active: bool,
    /// The metric KEDA reports: `desiredReplicas` while active, 0 otherwise (and 0 for a negative
    /// `desiredReplicas`, as since v2.20).
    pub metric_value: f64,
    /// The next `start` firing, Unix milliseconds; `None` if it never fires within five years.
    pub next_start_ms: Option<i64>,
    /// The next `end` firing.
    pub next_end_ms: Option<i64>,
}

/// Go's zero `time.Time` (0001-01-01 00:00 UTC) in Unix milliseconds: what robfig's `Next`
/// returns when it finds no firing, and what KEDA then compares with.
const GO_ZERO_TIME_MS: i64 = -62_135_596_800_000;

/// The metadata keys, in KEDA's order of checking.
const KEYS: [&str; 4] = ["start", "end", "timezone", "desiredReplicas"];

impl<'a> CronTrigger<'a> {
    /// Reads and validates `trigger.metadata` (key/value pairs) as KEDA does [parseCronMetadata,
    /// cronMetadata.Validate]: all four keys required (values trimmed, blank is missing),
    /// `desiredReplicas` a JSON integer other than 0, `start` and `end` valid and not the same
    /// text. The time zone is not checked here, as in KEDA: [`CronTrigger::evaluate`] fails
    /// instead. Call [`CronTrigger::check_zone`] to refuse it up front.
    ///
    /// # Errors
    ///
    /// Every missing or malformed key, then the first failed validation, as KEDA joins them.
    pub fn from_metadata(
        metadata: &[(&'a str, &'a str)],
        trigger_index: usize,
    ) -> Result<Self, CronMetadataError<'a>> {
        let value = |key: &str| {
            metadata
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let mut error = CronMetadataError::default();
        for (missing, key) in error.missing.iter_mut().zip(KEYS) {
            *missing = value(key).is_none();
        }
        let (start_text, end_text) = (value("start").unwrap_or(""), value("end").unwrap_or(""));
        let timezone = value("timezone").unwrap_or("");
        let desired_replicas = match value("desiredReplicas") {
            None => 0,
            Some(text) => parse_json_int(text).unwrap_or_else(|| {
                error.invalid_desired_replicas = Some(text);
                0
            }),
        };
        // cronMetadata.Validate: only its first failure is reported.
        let start = Schedule::parse(start_text).map_err(CronValidationError::Start);
        let end = Schedule::parse(end_text).map_err(CronValidationError::End);
        let validation = match (&start, &end) {
            (Err(e), _) | (_, Err(e)) => Some(*e),
            _ if start_text == end_text => Some(CronValidationError::SameStartAndEnd),
            _ if desired_replicas == 0 => Some(CronValidationError::NoDesiredReplicas),
            _ => None,
        };
        error.validation = validation;
        match (start, end) {
            (Ok(start), Ok(end)) if !error.is_error() => Ok(Self {
                timezone,
                start_text,
                end_text,
                start,
                end,
                desired_replicas,
                trigger_index,
                window_mode: WindowMode::Keda,
                metric_name_form: MetricNameForm::Current,
            }),
            _ => Err(error),
        }
    }

    /// The trigger's zone [time.LoadLocation].
    ///
    /// # Errors
    ///
    /// A zone name that is not in the database, or `Local`.
    pub fn check_zone(&self) -> Result<Zone, ZoneError<'a>> {
        Zone::from_name(self.timezone)
    }

    /// Whether the trigger is active at `now_ms`, and its metric [cronScaler.GetMetricsAndActivity].
    ///
    /// One instant is used for "now" and both next firings (KEDA reads the clock three times,
    /// which makes activity flicker at window edges, kedacore/keda#3854).
    ///
    /// # Errors
    ///
    /// The zone cannot be loaded: every evaluation fails, as in KEDA, and an erroring trigger
    /// blocks scale-to-zero.
    pub fn evaluate(&self, now_ms: i64) -> Result<CronActivity, CronEvaluationError<'a>> {
        let zone = self.check_zone().map_err(CronEvaluationError::Zone)?;
        let next_start_ms = self.start.next_after(now_ms, zone);
        let next_end_ms = self.end.next_after(now_ms, zone);
        Ok(self.activity(now_ms, zone, next_start_ms, next_end_ms))
    }

    /// [`Self::evaluate`] in the trigger's zone, already loaded, reusing the next firings of
    /// an earlier evaluation while they still hold (see `Schedule::next_after_holding`): the
    /// same activity, at a fraction of the cost, for a caller that evaluates at instants that
    /// do not go back, such as a simulation.
    pub(crate) fn evaluate_in(
        &self,
        zone: Zone,
        held: &mut HeldFirings,
        now_ms: i64,
    ) -> CronActivity {
        let next_start_ms = held.start.next_after(&self.start, zone, now_ms);
        let next_end_ms = held.end.next_after(&self.end, zone, now_ms);
        self.activity(now_ms, zone, next_start_ms, next_end_ms)
    }

    /// The activity at `now_ms` given the next firings [cronScaler.GetMetricsAndActivity].
    fn activity(
        &self,
        now_ms: i64,
        zone: Zone,
        next_start_ms: Option<i64>,
        next_end_ms: Option<i64>,
    ) -> CronActivity {
        let active = match self.window_mode {
            // KEDA's two-branch test as written, not its usual reduction to "the next end comes
            // no later than the next start": robfig's Next can return an instant at or before
            // now (around an offset change off the hour, such as St. John's 00:01 fall-back in
            // 1995), and then only the literal test agrees. A missing firing is Go's zero time.
            WindowMode::Keda => {
                let start = next_start_ms.unwrap_or(GO_ZERO_TIME_MS);
                let end = next_end_ms.unwrap_or(GO_ZERO_TIME_MS);
                if start < end {
                    now_ms > start && now_ms < end
                } else {
                    now_ms > start || now_ms < end
                }
            }
            WindowMode::Civil => {
                let last_start = self.start.previous_at_or_before(now_ms, zone);
                let last_end = self.end.previous_at_or_before(now_ms, zone);
                match (last_start, last_end) {
                    (Some(start), Some(end)) => start > end,
                    (Some(_), None) => true,
                    (None, _) => false,
                }
            }
        };
        // Since v2.20 a negative (or non-finite) value is reported as 0.
        let desired = self.desired_replicas as f64;
        let metric_value = if active && desired > 0.0 {
            desired
        } else {
            0.0
        };
        CronActivity {
            active,
            metric_value,
            next_start_ms,
            next_end_ms,
        }
    }

    /// The metric name KEDA gives the trigger's external metric [GenerateMetricNameWithIndex,
    /// NormalizeString]: `s<index>-cron-<zone>-<start>-<end>` with spaces removed, `*`, `/`,
    /// `?` and `,` spelled `x`, `Sl`, `Qm` and `Cm`, and `/ . : % ( )` turned into `-`.
    pub const fn metric_name(&self) -> CronMetricName<'a> {
        CronMetricName { trigger: *self }
    }
}

/// The next firings of a trigger's two schedules as of an earlier evaluation, with the
/// instants they hold for: what [`CronTrigger::evaluate_in`] reuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct HeldFirings {
    start: HeldFiring,
    end: HeldFiring,
}

/// A schedule's next firing after any instant in `from_ms..until_ms` (empty at first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct HeldFiring {
    from_ms: i64,
    until_ms: i64,
    next_ms: Option<i64>,
}

impl HeldFiring {
    /// `schedule`'s next firing after `now_ms`, looked up again unless it still holds.
    fn next_after(&mut self, schedule: &Schedule, zone: Zone, now_ms: i64) -> Option<i64> {
        if !(self.from_ms..self.until_ms).contains(&now_ms) {
            let (next_ms, until_ms) = schedule.next_after_holding(now_ms, zone);
            *self = Self {
                from_ms: now_ms,
                until_ms,
                next_ms,
            };
        }
        self.next_ms
    }
}

/// Go's `json.Unmarshal` into an `int64`: `-?(0|[1-9][0-9]*)` within range.
fn parse_json_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let valid = match digits.as_bytes() {
        [b'0'] => true,
        [first, rest @ ..] => {
            first.is_ascii_digit() && *first != b'0' && rest.iter().all(u8::is_ascii_digit)
        }
        [] => false,
    };
    if !valid {
        return None;
    }
    let mut value: i64 = 0;
    let negative = digits.len() != text.len();
    for digit in digits.bytes() {
        let digit = i64::from(digit.wrapping_sub(b'0'));
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(digit)?
        } else {
            value.checked_add(digit)?
        };
    }
    Some(value)
}

/// The metric name of a [`CronTrigger`]; `Display` writes it without allocating.
#[derive(Debug, Clone, Copy)]
pub struct CronMetricName<'a> {
    trigger: CronTrigger<'a>,
}

impl fmt::Display for CronMetricName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.trigger;
        write!(f, "s{}-cron-", t.trigger_index)?;
        write_normalized(f, t.timezone)?;
        f.write_str("-")?;
        write_squashed(f, t.start_text, t.metric_name_form)?;
        f.write_str("-")?;
        write_squashed(f, t.end_text, t.metric_name_form)
    }
}

/// [NormalizeString]: `/ . : % ( )` become `-`.
fn write_normalized(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for c in text.chars() {
        match c {
            '/' | '.' | ':' | '%' | '(' | ')' => f.write_str("-")?,
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}

/// [parseCronTimeFormat] followed by [NormalizeString].
fn write_squashed(f: &mut fmt::Formatter<'_>, text: &str, form: MetricNameForm) -> fmt::Result {
    for c in text.chars() {
        match c {
            ' ' => {}
            '*' => f.write_str("x")?,
            '/' => f.write_str("Sl")?,
            '?' => f.write_str("Qm")?,
            ',' if form == MetricNameForm::Current => f.write_str("Cm")?,
            '.' | ':' | '%' | '(' | ')' => f.write_str("-")?,
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}

/// The first failed validation of [`CronTrigger::from_metadata`] [cronMetadata.Validate].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronValidationError<'a> {
    /// `start` does not parse.
    Start(CronError<'a>),
    /// `end` does not parse.
    End(CronError<'a>),
    /// `start` and `end` are the same text.
    SameStartAndEnd,
    /// `desiredReplicas` is 0 (or missing).
    NoDesiredReplicas,
}

impl fmt::Display for CronValidationError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start(e) => write!(f, "error parsing start schedule: {}", e.robfig_message()),
            Self::End(e) => write!(f, "error parsing end schedule: {}", e.robfig_message()),
            Self::SameStartAndEnd => {
                f.write_str("start and end can not have exactly same time input")
            }
            Self::NoDesiredReplicas => f.write_str("no desiredReplicas specified"),
        }
    }
}

/// Why a trigger's metadata was refused: every missing key, a malformed `desiredReplicas`, and
/// the first failed validation, as KEDA reports them together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CronMetadataError<'a> {
    /// Which of `start`, `end`, `timezone`, `desiredReplicas` are missing (in that order).
    pub missing: [bool; 4],
    /// A `desiredReplicas` that is not a JSON integer.
    pub invalid_desired_replicas: Option<&'a str>,
    /// The first failed validation.
    pub validation: Option<CronValidationError<'a>>,
}

impl CronMetadataError<'_> {
    fn is_error(&self) -> bool {
        self.missing.iter().any(|m| *m)
            || self.invalid_desired_replicas.is_some()
            || self.validation.is_some()
    }
}

impl fmt::Display for CronMetadataError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("error parsing cron metadata: ")?;
        let mut first = true;
        let mut separator = |f: &mut fmt::Formatter<'_>| {
            let text = if first { "" } else { "; " };
            first = false;
            f.write_str(text)
        };
        for (missing, key) in self.missing.iter().zip(KEYS) {
            if *missing {
                separator(f)?;
                write!(
                    f,
                    "missing required parameter \"{key}\" in [triggerMetadata]"
                )?;
            }
        }
        if let Some(text) = self.invalid_desired_replicas {
            separator(f)?;
            write!(
                f,
                "unable to set param \"desiredReplicas\" value \"{text}\": not a JSON integer"
            )?;
        }
        if let Some(validation) = &self.validation {
            separator(f)?;
            write!(f, "{validation}")?;
        }
        Ok(())
    }
}

impl core::error::Error for CronMetadataError<'_> {}

/// Why an evaluation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronEvaluationError<'a> {
    /// The trigger's `timezone` cannot be loaded.
    Zone(ZoneError<'a>),
}

impl fmt::Display for CronEvaluationError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zone(e) => write!(f, "unable to load timezone: {e}"),
        }
    }
}

impl core::error::Error for CronEvaluationError<'_> {}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]

    use super::*;
    use proptest::prelude::*;

    const ZONES: [&str; 6] = [
        "UTC",
        "Europe/Berlin",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "Asia/Kolkata",
    ];

    const WINDOWS: [(&str, &str); 5] = [
        ("*/10 * * * *", "5-59/10 * * * *"),
        ("0 8 * * 1-5", "0 20 * * 1-5"),
        ("30 2 * * *", "45 3 * * *"),
        ("* 1 */2 * *", "59 1 */2 * *"),
        ("0 0 1 * *", "0 12 15 * *"),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Reusing next firings while they hold gives every evaluation KEDA's, across offset
        /// changes too.
        #[test]
        fn evaluating_with_held_firings_is_evaluating(
            zone in 0..ZONES.len(),
            window in 0..WINDOWS.len(),
            // Spring 2018 to autumn 2025, near offset changes more often than not.
            start_s in prop_oneof![
                1_520_000_000i64..1_760_000_000,
                Just(1_541_200_000i64),
                Just(1_711_843_000i64),
                Just(1_729_987_000i64),
            ],
            step_s in prop::sample::select(&[1i64, 15, 30, 60, 900, 3_600][..]),
        ) {
            let (start, end) = WINDOWS[window];
            let metadata = [
                ("timezone", ZONES[zone]),
                ("start", start),
                ("end", end),
                ("desiredReplicas", "2"),
            ];
            let trigger = CronTrigger::from_metadata(&metadata, 0).unwrap();
            let loaded = trigger.check_zone().unwrap();
            let mut held = HeldFirings::default();
            for k in 0..400 {
                let now_ms = (start_s + k * step_s) * 1000;
                prop_assert_eq!(
                    trigger.evaluate_in(loaded, &mut held, now_ms),
                    trigger.evaluate(now_ms).unwrap(),
                    "at {}", now_ms
                );
            }
        }
    }
}
