//! Why a cron expression was refused, with robfig/cron's messages.

use core::fmt;

/// The five fields of a KEDA cron expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CronField {
    /// Minute, 0 to 59.
    Minute,
    /// Hour, 0 to 23.
    Hour,
    /// Day of month, 1 to 31.
    DayOfMonth,
    /// Month, 1 to 12 or `jan` to `dec`.
    Month,
    /// Day of week, 0 (Sunday) to 6 or `sun` to `sat`.
    DayOfWeek,
}

impl CronField {
    /// The field's name in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::DayOfMonth => "day-of-month",
            Self::Month => "month",
            Self::DayOfWeek => "day-of-week",
        }
    }
}

/// Why [`Schedule::parse`](super::Schedule::parse) refused an expression.
///
/// `Display` gives robfig/cron v3.0.1's message followed by the field it concerns;
/// [`CronError::robfig_message`] gives robfig's message alone, as KEDA reports it.
///
/// ```
/// use podscale::cron::Schedule;
/// let err = Schedule::parse("0 0 * * 7").unwrap_err();
/// assert_eq!(err.robfig_message().to_string(), "end of range (7) above maximum (6): 7");
/// assert_eq!(err.to_string(), "end of range (7) above maximum (6): 7 (day-of-week field)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronError<'a> {
    /// The expression is empty.
    Empty,
    /// `@hourly` and friends: KEDA's parser does not enable descriptors.
    Descriptor {
        /// The expression.
        spec: &'a str,
    },
    /// Not exactly five whitespace-separated fields.
    FieldCount {
        /// How many fields there were.
        found: usize,
        /// The fields, as written (after any `TZ=` prefix).
        fields: &'a str,
    },
    /// A `TZ=`/`CRON_TZ=` prefix naming an unknown zone.
    BadLocation {
        /// The zone name.
        name: &'a str,
    },
    /// A `TZ=`/`CRON_TZ=` prefix not followed by a space: robfig panics here; KEDA recovers.
    PrefixWithoutSpace {
        /// The expression.
        spec: &'a str,
    },
    /// A value that is neither a number nor a name of the field.
    ParseInt {
        /// The field.
        field: CronField,
        /// The text.
        text: &'a str,
        /// Whether the text is a number too large for Go's `int` rather than not a number.
        out_of_range: bool,
    },
    /// A negative number (only reachable in a step).
    Negative {
        /// The field.
        field: CronField,
        /// The number.
        value: i64,
        /// The text.
        text: &'a str,
    },
    /// `a-b-c`.
    TooManyHyphens {
        /// The field.
        field: CronField,
        /// The item.
        item: &'a str,
    },
    /// `a/b/c`.
    TooManySlashes {
        /// The field.
        field: CronField,
        /// The item.
        item: &'a str,
    },
    /// A range starting below the field's minimum.
    BelowMinimum {
        /// The field.
        field: CronField,
        /// The start.
        start: u64,
        /// The field's minimum.
        minimum: u64,
        /// The item.
        item: &'a str,
    },
    /// A range ending above the field's maximum.
    AboveMaximum {
        /// The field.
        field: CronField,
        /// The end.
        end: u64,
        /// The field's maximum.
        maximum: u64,
        /// The item.
        item: &'a str,
    },
    /// A range whose start is after its end (no wrap-around ranges).
    Reversed {
        /// The field.
        field: CronField,
        /// The start.
        start: u64,
        /// The end.
        end: u64,
        /// The item.
        item: &'a str,
    },
    /// A step of zero.
    ZeroStep {
        /// The field.
        field: CronField,
        /// The item.
        item: &'a str,
    },
}

impl<'a> CronError<'a> {
    /// The field the error is in, when it is in one.
    pub const fn field(&self) -> Option<CronField> {
        match *self {
            Self::ParseInt { field, .. }
            | Self::Negative { field, .. }
            | Self::TooManyHyphens { field, .. }
            | Self::TooManySlashes { field, .. }
            | Self::BelowMinimum { field, .. }
            | Self::AboveMaximum { field, .. }
            | Self::Reversed { field, .. }
            | Self::ZeroStep { field, .. } => Some(field),
            _ => None,
        }
    }

    /// robfig/cron's own message, word for word.
    pub const fn robfig_message(&self) -> RobfigMessage<'_, 'a> {
        RobfigMessage(self)
    }
}

/// [`CronError::robfig_message`]: displays robfig/cron's message for an error.
#[derive(Debug, Clone, Copy)]
pub struct RobfigMessage<'e, 'a>(&'e CronError<'a>);

impl fmt::Display for RobfigMessage<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            CronError::Empty => f.write_str("empty spec string"),
            CronError::Descriptor { spec } => {
                write!(f, "parser does not accept descriptors: {spec}")
            }
            CronError::FieldCount { found, fields } => {
                // Go prints the []string of fields: space-separated in brackets.
                write!(f, "expected exactly 5 fields, found {found}: [")?;
                for (index, field) in fields.split_whitespace().enumerate() {
                    if index > 0 {
                        f.write_str(" ")?;
                    }
                    f.write_str(field)?;
                }
                f.write_str("]")
            }
            CronError::BadLocation { name } => {
                write!(f, "provided bad location {name}: unknown time zone {name}")
            }
            CronError::PrefixWithoutSpace { spec } => write!(
                f,
                "time zone prefix without a following expression (robfig/cron panics on it): {spec}"
            ),
            CronError::ParseInt {
                text, out_of_range, ..
            } => {
                let reason = if out_of_range {
                    "value out of range"
                } else {
                    "invalid syntax"
                };
                write!(f, "failed to parse int from {text}: strconv.Atoi: parsing ")?;
                write_go_quoted(f, text)?;
                write!(f, ": {reason}")
            }
            CronError::Negative { value, text, .. } => {
                write!(f, "negative number ({value}) not allowed: {text}")
            }
            CronError::TooManyHyphens { item, .. } => write!(f, "too many hyphens: {item}"),
            CronError::TooManySlashes { item, .. } => write!(f, "too many slashes: {item}"),
            CronError::BelowMinimum {
                start,
                minimum,
                item,
                ..
            } => {
                write!(
                    f,
                    "beginning of range ({start}) below minimum ({minimum}): {item}"
                )
            }
            CronError::AboveMaximum {
                end, maximum, item, ..
            } => {
                write!(f, "end of range ({end}) above maximum ({maximum}): {item}")
            }
            CronError::Reversed {
                start, end, item, ..
            } => {
                write!(
                    f,
                    "beginning of range ({start}) beyond end of range ({end}): {item}"
                )
            }
            CronError::ZeroStep { item, .. } => {
                write!(f, "step of range should be a positive number: {item}")
            }
        }
    }
}

/// Go's `strconv.Quote`, as `strconv.Atoi` errors print their input.
fn write_go_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if c.is_control() => write!(f, "\\x{:02x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for CronError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.robfig_message())?;
        match self.field() {
            Some(field) => write!(f, " ({} field)", field.as_str()),
            None => Ok(()),
        }
    }
}

impl core::error::Error for CronError<'_> {}
