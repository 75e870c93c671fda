//! A demand series from a Prometheus `query_range` answer: last week's real CPU, replayed.
//!
//! Query the workload's CPU per pod, in cores, and save the JSON the HTTP API answers:
//!
//! ```text
//! curl -sG http://prometheus:9090/api/v1/query_range \
//!   --data-urlencode 'query=sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="shop",pod=~"web-.*",container!=""}[1m]))' \
//!   --data-urlencode start=2024-05-01T00:00:00Z --data-urlencode end=2024-05-08T00:00:00Z \
//!   --data-urlencode step=15s > web-cpu.json
//! ```
//!
//! The workload's demand at each timestamp is the sum of the series there (a pod missing at
//! a timestamp adds nothing), in millicores, rounded to the nearest. Note what this replays:
//! the CPU the pods *used*, which the real limits and replica counts may already have capped.

use std::collections::BTreeMap;
use std::path::Path;

use podscale::sim::DemandPoint;
use serde::Deserialize;

use crate::demand_csv::{DemandKind, DemandSeries, TimeBase};
use crate::error::{InputError, Location};

/// The answer's envelope.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    status: String,
    #[serde(default)]
    error: Option<String>,
    data: Option<Data>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    result: Vec<Series>,
}

#[derive(Debug, Deserialize)]
struct Series {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// A value in cores, as Prometheus writes it (`"0.4443"`, `"1e-3"`), in millicores rounded to
/// the nearest; `None` for anything that is not a finite, non-negative number.
fn millicores(text: &str) -> Option<i64> {
    let cores: f64 = text.parse().ok()?;
    let milli = (cores * 1000.0).round();
    // Finite, non-negative and inside i64: the cast below is exact.
    (milli.is_finite() && (0.0..9.0e15).contains(&milli)).then_some(milli as i64)
}

/// Reads a `query_range` answer from a file.
///
/// # Errors
///
/// As [`parse`].
pub fn read(path: &Path) -> Result<DemandSeries, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::file(path, format!("cannot read: {e}")))?;
    parse(path, &text)
}

/// Parses a `query_range` answer read from `file` into a CPU demand series.
///
/// # Errors
///
/// JSON that does not parse (with its line and column), an answer that is not a successful
/// `matrix`, no points at all, or a value that is not a finite non-negative number (with the
/// path of the value, `data.result[2].values[17]`).
///
/// ```
/// use podscale_controller::prometheus::parse;
/// let json = r#"{"status":"success","data":{"resultType":"matrix","result":[
///   {"metric":{"pod":"web-0"},"values":[[1714521600,"0.25"],[1714521615,"0.3"]]},
///   {"metric":{"pod":"web-1"},"values":[[1714521615,"0.2"]]}]}}"#;
/// let series = parse("web.json", json)?;
/// let values: Vec<i64> = series.points.iter().map(|p| p.value).collect();
/// assert_eq!(values, [250, 500]);
/// assert_eq!(series.points[0].from_ms, 1_714_521_600_000);
/// # Ok::<(), podscale_controller::error::InputError>(())
/// ```
pub fn parse(file: impl AsRef<Path>, text: &str) -> Result<DemandSeries, InputError> {
    let file = file.as_ref();
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let answer: Answer = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // serde_json appends " at line L column C"; the line leads instead.
        let message = message
            .rfind(" at line ")
            .and_then(|at| message.get(..at))
            .unwrap_or(&message)
            .to_string();
        let location = if inner.is_syntax() || inner.is_eof() || path == "." {
            Location::Line {
                line: inner.line(),
                column: Some(inner.column()),
            }
        } else {
            Location::Field {
                document: None,
                object: None,
                path,
                line: Some(inner.line()),
            }
        };
        InputError::new(file, location, message)
    })?;
    let field = |path: &str, message: String| {
        InputError::new(
            file,
            Location::Field {
                document: None,
                object: None,
                path: path.to_string(),
                line: None,
            },
            message,
        )
    };
    if answer.status != "success" {
        return Err(field(
            "status",
            format!(
                "`{}`: the query failed{}",
                answer.status,
                answer.error.map(|e| format!(": {e}")).unwrap_or_default()
            ),
        ));
    }
    let Some(data) = answer.data else {
        return Err(field("data", "missing".to_string()));
    };
    if data.result_type != "matrix" {
        return Err(field(
            "data.resultType",
            format!(
                "`{}`: a replay needs a range query's `matrix` (use /api/v1/query_range)",
                data.result_type
            ),
        ));
    }
    // Sum the series per timestamp; BTreeMap keeps the timestamps sorted, so the same file
    // always gives the same series.
    let mut total: BTreeMap<i64, i64> = BTreeMap::new();
    for (s, series) in data.result.iter().enumerate() {
        for (v, (timestamp, value)) in series.values.iter().enumerate() {
            let path = format!("data.result[{s}].values[{v}]");
            let pod = series
                .metric
                .get("pod")
                .map(|p| format!(" (pod {p})"))
                .unwrap_or_default();
            let ms = (timestamp * 1000.0).round();
            if !ms.is_finite() || ms.abs() > 9.0e15 {
                return Err(field(
                    &path,
                    format!("timestamp {timestamp} is out of range"),
                ));
            }
            let milli = millicores(value).ok_or_else(|| {
                field(
                    &path,
                    format!(
                        "`{value}`{pod} is not a CPU usage in cores (a finite number, 0 or more)"
                    ),
                )
            })?;
            // Checked above: |ms| fits in i64.
            let entry = total.entry(ms as i64).or_insert(0);
            *entry = entry.saturating_add(milli);
        }
    }
    if total.is_empty() {
        return Err(field(
            "data.result",
            "no points: the query matched no series in that range".to_string(),
        ));
    }
    Ok(DemandSeries {
        file: file.to_path_buf(),
        kind: DemandKind::Cpu,
        time_base: TimeBase::Absolute,
        points: total
            .into_iter()
            .map(|(from_ms, value)| DemandPoint::new(from_ms, value))
            .collect(),
    })
}
