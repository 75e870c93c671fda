//! A demand series from a CSV file: what the workload is asked to do over time.
//!
//! ```text
//! # One client from 1:00 to 10:00 (lines starting with # are comments).
//! time,clients
//! 0s,0
//! 1m,1
//! 10m,0
//! 20m,0
//! ```
//!
//! The header names the time column and one value column, which says what the values are:
//!
//! | column | values | the workload |
//! | --- | --- | --- |
//! | `cpu` | a CPU quantity (`500m`, `0.5`, `2`) | uses that much CPU in total, if its pods can |
//! | `rps` | requests per second (`12.5`) | is sent requests at that rate, whatever the answer time (open loop); each costs `--cpu-per-request` |
//! | `clients` | a whole number | has that many clients, each sending a request, waiting for the answer, pausing `--think-time` and repeating (closed loop) |
//!
//! Times are either all offsets from the start (`0s`, `90s`, `1m30s`, `2h`; a bare number is
//! seconds) or all RFC 3339 instants (`2024-05-01T10:00:00+09:00`). Each value holds from
//! its time until the next row's; the simulation runs from the first row to the last.

use std::path::{Path, PathBuf};

use podscale::sim::DemandPoint;

use crate::error::InputError;
use crate::manifest::quantity::parse_scaled;
use crate::time::{parse_duration_ms, parse_rfc3339_ms};

/// What the values of a demand series count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemandKind {
    /// CPU, millicores.
    Cpu,
    /// Requests per second arriving regardless of answers, in milli-requests per second.
    RequestsPerSecond,
    /// Clients in a closed loop.
    Clients,
}

impl DemandKind {
    /// The column name.
    pub const fn column(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::RequestsPerSecond => "rps",
            Self::Clients => "clients",
        }
    }
}

/// How the times of a series are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBase {
    /// Offsets from the start of the simulation, milliseconds.
    Relative,
    /// Unix milliseconds.
    Absolute,
}

/// A demand series, sorted by time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandSeries {
    /// The file it came from.
    pub file: PathBuf,
    /// What the values count.
    pub kind: DemandKind,
    /// How its times are written.
    pub time_base: TimeBase,
    /// The points: time (offset or Unix milliseconds, as `time_base` says) and value.
    pub points: Vec<DemandPoint>,
}

impl DemandSeries {
    /// Reads a CSV file.
    ///
    /// # Errors
    ///
    /// As [`DemandSeries::parse`], or the file cannot be read.
    pub fn read_csv(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::file(path, format!("cannot read: {e}")))?;
        Self::parse(path, &text)
    }

    /// Parses CSV text read from `file`.
    ///
    /// # Errors
    ///
    /// A header that is not `time` and one of `cpu`, `rps`, `clients`; a row with a bad time
    /// or value, a time earlier than the row before, or absolute and relative times mixed;
    /// fewer than one row. Each names the line.
    ///
    /// ```
    /// use podscale_controller::demand_csv::{DemandKind, DemandSeries};
    /// let series = DemandSeries::parse("load.csv", "time,cpu\n0s,250m\n1m,0.5\n")?;
    /// assert_eq!(series.kind, DemandKind::Cpu);
    /// assert_eq!(series.points[1].from_ms, 60_000);
    /// assert_eq!(series.points[1].value, 500);
    /// let err = DemandSeries::parse("load.csv", "time,cpu\n0s,250m\n1m,lots\n").unwrap_err();
    /// assert_eq!(err.to_string(), "load.csv:3: cpu: `lots` is not a quantity (write it as 200m, 0.5, 2, 250Mi or 1G)");
    /// # Ok::<(), podscale_controller::error::InputError>(())
    /// ```
    pub fn parse(file: impl AsRef<Path>, text: &str) -> Result<Self, InputError> {
        let file = file.as_ref();
        let mut header: Option<DemandKind> = None;
        let mut time_base: Option<TimeBase> = None;
        let mut points: Vec<DemandPoint> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index.saturating_add(1);
            let row = raw.trim();
            if row.is_empty() || row.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = row.split(',').map(str::trim).collect();
            let [time, value] = cells.as_slice() else {
                return Err(InputError::line(
                    file,
                    line,
                    format!("expected 2 columns, found {}", cells.len()),
                ));
            };
            let Some(kind) = header else {
                let kind = match (*time, *value) {
                    ("time", "cpu") => DemandKind::Cpu,
                    ("time", "rps") => DemandKind::RequestsPerSecond,
                    ("time", "clients") => DemandKind::Clients,
                    _ => {
                        return Err(InputError::line(
                            file,
                            line,
                            format!(
                                "the header is `{row}`; write `time,cpu`, `time,rps` or \
                                 `time,clients`"
                            ),
                        ));
                    }
                };
                header = Some(kind);
                continue;
            };
            let (base, from_ms) = match parse_rfc3339_ms(time) {
                Ok(ms) => (TimeBase::Absolute, ms),
                Err(_) => match parse_duration_ms(time) {
                    Ok(ms) => (TimeBase::Relative, ms),
                    Err(_) => {
                        return Err(InputError::line(
                            file,
                            line,
                            format!(
                                "time: `{time}` is neither an offset (0s, 1m30s) nor an RFC \
                                 3339 time (2024-05-01T10:00:00+09:00)"
                            ),
                        ));
                    }
                },
            };
            match time_base {
                Some(first) if first != base => {
                    return Err(InputError::line(
                        file,
                        line,
                        "time: absolute and relative times are mixed; write all rows one way",
                    ));
                }
                _ => time_base = Some(base),
            }
            if points.last().is_some_and(|p| from_ms < p.from_ms) {
                return Err(InputError::line(
                    file,
                    line,
                    format!("time: `{time}` is earlier than the row before"),
                ));
            }
            let value = parse_value(kind, value)
                .map_err(|e| InputError::line(file, line, format!("{}: {e}", kind.column())))?;
            points.push(DemandPoint::new(from_ms, value));
        }
        let (Some(kind), Some(time_base)) = (header, time_base) else {
            return Err(InputError::file(
                file,
                "no rows: write a header (`time,cpu`) and at least one `time,value` row",
            ));
        };
        Ok(Self {
            file: file.to_path_buf(),
            kind,
            time_base,
            points,
        })
    }
}

/// One value in the core's unit for `kind`.
fn parse_value(kind: DemandKind, text: &str) -> Result<i64, String> {
    let value = match kind {
        DemandKind::Cpu => parse_scaled(text, 3)?,
        // A rate: decimal, read in milli-requests per second; a quantity's syntax suits it.
        DemandKind::RequestsPerSecond => parse_scaled(text, 3)
            .map_err(|_| format!("`{text}` is not a number of requests per second"))?,
        DemandKind::Clients => text
            .parse::<i64>()
            .map_err(|_| format!("`{text}` is not a whole number of clients"))?,
    };
    if value < 0 {
        return Err(format!("`{text}` is negative"));
    }
    Ok(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("", "f.csv: no rows"),
            ("when,cpu\n", "f.csv:1: the header"),
            ("time,cpu\n0s\n", "f.csv:2: expected 2 columns, found 1"),
            ("time,cpu\n1m,1\n0s,1\n", "f.csv:3: time: `0s` is earlier"),
            (
                "time,cpu\n0s,1\n2024-05-01T00:00:00Z,1\n",
                "f.csv:3: time: absolute",
            ),
            (
                "time,clients\n0s,1.5\n",
                "f.csv:2: clients: `1.5` is not a whole",
            ),
            ("time,rps\n0s,-1\n", "f.csv:2: rps: `-1` is negative"),
            ("# c\ntime,cpu\nyesterday,1\n", "f.csv:3: time: `yesterday`"),
        ];
        for (text, expected) in cases {
            let err = DemandSeries::parse("f.csv", text).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{err}");
        }
    }

    #[test]
    fn rps_in_milli() {
        let s = DemandSeries::parse("f.csv", "time,rps\n0,12.5\n").unwrap();
        assert_eq!(s.points, [DemandPoint::new(0, 12_500)]);
    }
}
