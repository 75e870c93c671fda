//! `bench_compare`: the table of `make bench-compare`, upstream's Go code against the podscale
//! core on the same workloads.
//!
//! ```text
//! bench_compare go-filter
//! bench_compare criterion-filter
//! bench_compare table --go GO_BENCH_OUTPUT --criterion CRITERION_HOME
//! ```
//!
//! [`ROWS`] is the one list of compared workloads: `go-filter` and `criterion-filter` print the
//! regular expressions that select them (for `go test -bench` and `cargo bench`), and `table`
//! reads both runs' results and prints one Markdown row per workload: the operation, Go's ns/op
//! and allocs/op (`go test -bench -benchmem`; the median when `-count` repeats a benchmark),
//! podscale's ns/op (the median of criterion's estimate,
//! `<CRITERION_HOME>/**/new/estimates.json`) and the ratio of the two. A workload missing from
//! either run is an error, so the table is never silently short.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One compared workload: the same inputs through both sides (each side's benchmark file says
/// how its inputs mirror the other's).
struct Row {
    /// What the table calls it.
    operation: &'static str,
    /// The Go benchmark in `tests/upstream/bench_*_test.go`, without the `-GOMAXPROCS` suffix.
    go: &'static str,
    /// The criterion benchmark id in `core/benches/*.rs`.
    criterion: &'static str,
}

const fn row(operation: &'static str, go: &'static str, criterion: &'static str) -> Row {
    Row {
        operation,
        go,
        criterion,
    }
}

/// The workloads of issue 5, in table order.
const ROWS: &[Row] = &[
    row(
        "HPA decision: 1 cpu metric, 10 pods",
        "BenchmarkHpa/one_resource_metric_10_pods",
        "hpa/one_resource_metric_10_pods",
    ),
    row(
        "HPA decision: 5 metrics, 1000 pods",
        "BenchmarkHpa/five_metrics_1000_pods",
        "hpa/five_metrics_1000_pods",
    ),
    row(
        "cron parse `00,15,30,45 * * * *`",
        "BenchmarkCronParse/quarter_hours",
        "cron_parse/quarter_hours",
    ),
    row(
        "cron parse `30 6 * * Mon-Fri`",
        "BenchmarkCronParse/weekdays",
        "cron_parse/weekdays",
    ),
    row(
        "cron next, quarter hours, UTC",
        "BenchmarkCronNext/utc_quarter_hours",
        "cron_next/utc_quarter_hours",
    ),
    row(
        "cron next, quarter hours, New York",
        "BenchmarkCronNext/new_york_quarter_hours",
        "cron_next/new_york_quarter_hours",
    ),
    row(
        "cron next, daily 02:30, UTC",
        "BenchmarkCronNext/utc_daily",
        "cron_next/utc_daily",
    ),
    row(
        "cron next, daily 02:30, New York",
        "BenchmarkCronNext/new_york_daily",
        "cron_next/new_york_daily",
    ),
    row(
        "cron next, daily 02:30, UTC, DST eve",
        "BenchmarkCronNext/utc_daily_before_gap",
        "cron_next/utc_daily_before_gap",
    ),
    row(
        "cron next, daily 02:30, New York, over the DST gap",
        "BenchmarkCronNext/new_york_daily_before_gap",
        "cron_next/new_york_daily_before_gap",
    ),
    row(
        "cron next, weekdays, New York, over the weekend",
        "BenchmarkCronNext/new_york_weekdays_friday_evening",
        "cron_next/new_york_weekdays_friday_evening",
    ),
    row(
        "VPA add sample, cpu histogram",
        "BenchmarkVpa/add_sample_cpu",
        "vpa/add_sample_cpu",
    ),
    row(
        "VPA add sample, memory histogram",
        "BenchmarkVpa/add_sample_memory",
        "vpa/add_sample_memory",
    ),
    row(
        "VPA percentile, cpu histogram",
        "BenchmarkVpa/percentile_cpu",
        "vpa/percentile_cpu",
    ),
    row(
        "VPA percentile, memory histogram",
        "BenchmarkVpa/percentile_memory",
        "vpa/percentile_memory",
    ),
    row(
        "VPA recommendation, 3-container pod",
        "BenchmarkRecommendation/three_container_pod",
        "recommendation/three_container_pod",
    ),
];

/// The speed-up issue 5 asks for on every row.
const GOAL: f64 = 10.0;

/// Printed under the table: what the numbers are and where the two sides differ.
const FOOTNOTES: &str = "\
podscale allocs/op: 0 on every row by construction, not measured: the core is `#![no_std]` and \
does not link `alloc`.
Go: `go test -bench -benchmem -count 3`, the median of the three 1 s runs. podscale: the median \
of criterion's estimate (1 s warm-up, 3 s measurement).
HPA rows: Go runs reconcileAutoscaler's decision on a real HorizontalController \
(recordInitialRecommendation, computeReplicasForMetrics, normalizeDesiredReplicasWithBehaviors); \
its fake metrics client returns prebuilt maps (the real client's conversion is not timed) and \
it lists pods from its informer cache, which podscale takes as input. podscale's state is a \
fresh clone per iteration (cold in cache), Go's history is warm.
cron next rows: both sides take Unix milliseconds and a zone and return Unix milliseconds.
Details: the header comments of tests/upstream/bench_*_test.go.";

/// One Go benchmark's result.
struct GoResult {
    ns_per_op: f64,
    allocs_per_op: u64,
}

/// The benchmarks of `go test -bench -benchmem` output, by name without the `-GOMAXPROCS`
/// suffix: the median run of each, by ns/op, when `-count` repeated it.
///
/// A line naming a benchmark without its numbers is an error: `go test` merges the test
/// binary's stderr into its stdout, so a log line can split a result line, and that must not
/// pass unnoticed.
fn parse_go(output: &str) -> Result<BTreeMap<String, GoResult>, String> {
    let mut runs: BTreeMap<String, Vec<GoResult>> = BTreeMap::new();
    for line in output.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some((&name, rest)) = fields.split_first() else {
            continue;
        };
        if !name.starts_with("Benchmark") {
            continue;
        }
        // Each number precedes its unit: `N ns/op`, `N B/op`, `N allocs/op`.
        let before = |unit: &str| {
            rest.windows(2)
                .find(|pair| pair[1] == unit)
                .map(|pair| pair[0])
                .ok_or_else(|| format!("no {unit} in Go benchmark line: {line:?}"))
        };
        let ns_per_op = before("ns/op")?
            .parse()
            .map_err(|e| format!("ns/op in {line:?}: {e}"))?;
        let allocs_per_op = before("allocs/op")?
            .parse()
            .map_err(|e| format!("allocs/op in {line:?} (was -benchmem given?): {e}"))?;
        runs.entry(strip_gomaxprocs(name).to_owned())
            .or_default()
            .push(GoResult {
                ns_per_op,
                allocs_per_op,
            });
    }
    Ok(runs
        .into_iter()
        .map(|(name, mut runs)| {
            // `runs` is never empty: its entry was made by its first run. The upper median of
            // an even count, so that no run is invented by averaging.
            runs.sort_by(|a, b| a.ns_per_op.total_cmp(&b.ns_per_op));
            let median = runs.swap_remove(runs.len() / 2);
            (name, median)
        })
        .collect())
}

/// `BenchmarkX/y-2` is `BenchmarkX/y` run with GOMAXPROCS=2; without a suffix GOMAXPROCS was 1.
fn strip_gomaxprocs(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((base, procs)) if !procs.is_empty() && procs.bytes().all(|b| b.is_ascii_digit()) => {
            base
        }
        _ => name,
    }
}

/// The median ns/iteration of every criterion benchmark under `home`, by benchmark id.
///
/// Criterion keeps each benchmark in `<home>/<group>/[<function>/]new/`, with `benchmark.json`
/// naming its id (`full_id`) and `estimates.json` holding the estimates in nanoseconds.
fn read_criterion(home: &Path) -> Result<BTreeMap<String, f64>, String> {
    let mut medians = BTreeMap::new();
    let mut pending = vec![home.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("reading {}: {e}", dir.display()))?
                .path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|name| name == "new") {
                let id = json_field(&path.join("benchmark.json"), &["full_id"])?;
                let median =
                    json_field(&path.join("estimates.json"), &["median", "point_estimate"])?;
                let id = id
                    .as_str()
                    .ok_or_else(|| format!("{}: full_id is not a string", path.display()))?;
                let median = median
                    .as_f64()
                    .ok_or_else(|| format!("{}: median is not a number", path.display()))?;
                medians.insert(id.to_owned(), median);
            } else {
                pending.push(path);
            }
        }
    }
    Ok(medians)
}

/// The value at `keys` in the JSON file at `path`.
fn json_field(path: &Path, keys: &[&str]) -> Result<serde_json::Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for key in keys {
        value = value
            .get_mut(*key)
            .map(serde_json::Value::take)
            .ok_or_else(|| format!("{}: no field {}", path.display(), keys.join(".")))?;
    }
    Ok(value)
}

/// A duration in nanoseconds, with three significant digits and a unit that keeps it short.
fn format_ns(ns: f64) -> String {
    let (value, unit) = if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// The Markdown table of `ROWS`, its footnotes and a summary line against [`GOAL`].
fn table(
    go: &BTreeMap<String, GoResult>,
    podscale: &BTreeMap<String, f64>,
) -> Result<String, String> {
    let mut missing = Vec::new();
    let mut below_goal = Vec::new();
    let mut out = String::from(
        "| operation | Go ns/op | Go allocs/op | podscale ns/op | ratio |\n\
         | --- | ---: | ---: | ---: | ---: |\n",
    );
    for row in ROWS {
        let (Some(go_result), Some(&podscale_ns)) = (go.get(row.go), podscale.get(row.criterion))
        else {
            if !go.contains_key(row.go) {
                missing.push(format!("Go benchmark {}", row.go));
            }
            if !podscale.contains_key(row.criterion) {
                missing.push(format!("criterion benchmark {}", row.criterion));
            }
            continue;
        };
        let ratio = go_result.ns_per_op / podscale_ns;
        if ratio < GOAL {
            below_goal.push(row.operation);
        }
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {ratio:.1}x |",
            row.operation,
            format_ns(go_result.ns_per_op),
            go_result.allocs_per_op,
            format_ns(podscale_ns),
        );
    }
    if !missing.is_empty() {
        return Err(format!("missing results: {}", missing.join(", ")));
    }
    out.push('\n');
    for line in FOOTNOTES.lines() {
        let _ = writeln!(out, "- {line}");
    }
    out.push('\n');
    if below_goal.is_empty() {
        let _ = writeln!(out, "All {} rows at {GOAL}x or more.", ROWS.len());
    } else {
        let _ = writeln!(
            out,
            "{} of {} rows below {GOAL}x: {}.",
            below_goal.len(),
            ROWS.len(),
            below_goal.join("; ")
        );
    }
    Ok(out)
}

/// `go test -bench` regexp of the top-level benchmarks in [`ROWS`] (each runs all its
/// sub-benchmarks, which are all rows).
fn go_filter() -> String {
    let tops: BTreeSet<&str> = ROWS
        .iter()
        .map(|row| row.go.split_once('/').map_or(row.go, |(top, _)| top))
        .collect();
    format!("^({})$", tops.into_iter().collect::<Vec<_>>().join("|"))
}

/// Criterion's filter regexp for exactly the ids in [`ROWS`]. Ids are letters, digits, `_` and
/// `/`, none of which is special in a regexp.
fn criterion_filter() -> String {
    let ids: Vec<&str> = ROWS.iter().map(|row| row.criterion).collect();
    format!("^({})$", ids.join("|"))
}

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let command = args
        .next()
        .ok_or_else(|| "a command is needed".to_owned())?;
    match command.as_str() {
        "go-filter" => Ok(go_filter()),
        "criterion-filter" => Ok(criterion_filter()),
        "table" => {
            let (mut go_output, mut criterion_home) = (None, None);
            while let Some(arg) = args.next() {
                let value = args
                    .next()
                    .map(PathBuf::from)
                    .ok_or_else(|| format!("{arg} needs a value"))?;
                match arg.as_str() {
                    "--go" => go_output = Some(value),
                    "--criterion" => criterion_home = Some(value),
                    _ => return Err(format!("unknown argument {arg:?}")),
                }
            }
            let go_output = go_output.ok_or_else(|| "--go is needed".to_owned())?;
            let criterion_home =
                criterion_home.ok_or_else(|| "--criterion is needed".to_owned())?;
            let go_text = std::fs::read_to_string(&go_output)
                .map_err(|e| format!("reading {}: {e}", go_output.display()))?;
            table(&parse_go(&go_text)?, &read_criterion(&criterion_home)?)
        }
        _ => Err(format!("unknown command {command:?}")),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(text) => {
            println!("{}", text.trim_end());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench_compare: {message}");
            eprintln!(
                "usage: bench_compare go-filter | criterion-filter | table --go FILE --criterion DIR"
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_lines_are_parsed_and_named_without_gomaxprocs() {
        let output = "goos: linux\n\
            BenchmarkHpa/one_resource_metric_10_pods-2   63255   30803 ns/op   8159 B/op   99 allocs/op\n\
            BenchmarkVpa/percentile_cpu  17299646  70.26 ns/op  0 B/op  0 allocs/op\n\
            PASS\n";
        let results = parse_go(output).unwrap();
        let hpa = &results["BenchmarkHpa/one_resource_metric_10_pods"];
        assert_eq!((hpa.ns_per_op, hpa.allocs_per_op), (30803.0, 99));
        assert_eq!(results["BenchmarkVpa/percentile_cpu"].ns_per_op, 70.26);
    }

    #[test]
    fn repeated_go_runs_give_their_median() {
        let output = "BenchmarkVpa/percentile_cpu-2  1  90 ns/op  0 B/op  0 allocs/op\n\
            BenchmarkVpa/percentile_cpu-2  1  70 ns/op  0 B/op  0 allocs/op\n\
            BenchmarkVpa/percentile_cpu-2  1  80 ns/op  0 B/op  0 allocs/op\n";
        assert_eq!(
            parse_go(output).unwrap()["BenchmarkVpa/percentile_cpu"].ns_per_op,
            80.0
        );
    }

    #[test]
    fn a_split_go_line_is_an_error() {
        let output = "BenchmarkHpa/one_resource_metric_10_pods-2 \tI1128 07:26:47 a log line\n";
        assert!(parse_go(output).is_err());
    }

    #[test]
    fn a_missing_row_is_an_error() {
        let err = table(&BTreeMap::new(), &BTreeMap::new()).unwrap_err();
        assert!(err.contains("hpa/one_resource_metric_10_pods"), "{err}");
    }

    #[test]
    fn filters_select_the_rows() {
        assert!(go_filter().starts_with("^(BenchmarkCronNext|BenchmarkCronParse|"));
        assert!(criterion_filter().contains("|vpa/percentile_cpu|"));
    }

    #[test]
    fn durations_keep_three_digits() {
        assert_eq!(format_ns(24.149), "24.1 ns");
        assert_eq!(format_ns(30_803.0), "30.8 µs");
        assert_eq!(format_ns(4_709_622.0), "4.71 ms");
    }
}
