//! VPA suites of the container model, estimators, recommender and post-processing: each calls
//! the core functions the upstream test (or derivation) exercises.
//!
//! Times are vector seconds, core milliseconds. The `container_state` suite records the exact
//! calls into the histograms with a [`Recorder`] (upstream's mocks); every other suite runs the
//! real decaying histograms.
//!
//! The runner's `serde_json` is built without `float_roundtrip`, so it can read a 17-digit
//! decimal one ulp off. Float inputs go through [`exact_float`] and expected floats are compared
//! with [`check_float`], both of which work from the vector's shortest round-trip decimal.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::rc::Rc;

use podscale::vpa::*;
use serde_json::Value;

use crate::json::*;

// ---- floats ---------------------------------------------------------------------------------

/// The double a vector float denotes, from the value the runner's parser read.
///
/// Vector floats are the shortest round-trip decimals of the intended doubles. `serde_json`
/// without `float_roundtrip` reads decimals of up to 15 or 16 digits exactly (Clinger's fast
/// path) and longer ones up to an ulp off. So the candidates are the doubles within two ulps of
/// the parsed value whose own shortest decimal reads back as the parsed value; of those, the one
/// with the shortest decimal is the one the vector wrote (a short decimal is read exactly). A
/// tie is reported: the vector cannot be read exactly.
fn exact(parsed: f64, what: &str) -> Outcome<f64> {
    if !parsed.is_finite() || parsed == 0.0 {
        return Ok(parsed);
    }
    let step = |x: f64, up: bool| {
        let bits = x.to_bits();
        f64::from_bits(if up == (x > 0.0) { bits + 1 } else { bits - 1 })
    };
    let mut candidates = vec![parsed];
    for up in [false, true] {
        let mut c = parsed;
        for _ in 0..2 {
            c = step(c, up);
            candidates.push(c);
        }
    }
    let mut consistent: Vec<(usize, f64)> = candidates
        .into_iter()
        .filter(|c| reparses_to(*c, parsed))
        .map(|c| (significant_digits(c), c))
        .collect();
    consistent.sort_by_key(|(digits, _)| *digits);
    match consistent.as_slice() {
        [(_, only)] => Ok(*only),
        [(shortest, best), (next, _), ..] if shortest < next => Ok(*best),
        _ => Err(format!(
            "{what}: cannot recover the exact double of {parsed:?} (candidates {consistent:?})"
        )),
    }
}

/// The number of significant digits of `x`'s shortest round-trip decimal.
fn significant_digits(x: f64) -> usize {
    let text = format!("{x:e}");
    let mantissa = text.split('e').next().unwrap_or("");
    mantissa.chars().filter(char::is_ascii_digit).count()
}

/// Whether `x`'s shortest decimal reads back, with the runner's parser, as `parsed`.
fn reparses_to(x: f64, parsed: f64) -> bool {
    serde_json::from_str::<f64>(&format!("{x:?}")).is_ok_and(|p| p.to_bits() == parsed.to_bits())
}

fn exact_float(v: &Value, key: &str) -> Outcome<f64> {
    exact(float(v, key)?, key)
}

fn exact_value(v: &Value, what: &str) -> Outcome<f64> {
    exact(
        v.as_f64()
            .ok_or_else(|| format!("{what} is not a number"))?,
        what,
    )
}

/// Compares a computed float with a vector float bit for bit. When the vector's double cannot
/// be recovered (see [`exact`]), the computed one must at least read back as the vector's text
/// does.
fn check_float(what: &str, expected: &Value, got: f64) -> Outcome<()> {
    let parsed = expected
        .as_f64()
        .ok_or_else(|| format!("{what} is not a number"))?;
    let matches = match exact(parsed, what) {
        Ok(want) => want.to_bits() == got.to_bits(),
        Err(_) => reparses_to(got, parsed),
    };
    if matches {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected}, got {got:?}"))
    }
}

// ---- parsing --------------------------------------------------------------------------------

fn ms(seconds: i64) -> i64 {
    seconds * 1000
}

/// A `{cpu_m, memory_bytes}` object; missing or null is empty.
fn resources(v: &Value, key: &str) -> Outcome<Resources> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Resources::NONE),
        Some(r) => {
            let opt = |k: &str| match r.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(_) => int(r, k).map(Some),
            };
            Ok(Resources {
                cpu_m: opt("cpu_m")?,
                memory_bytes: opt("memory_bytes")?,
            })
        }
    }
}

fn aggregation_config(v: &Value) -> Outcome<AggregationConfig> {
    let mut config = AggregationConfig {
        memory_aggregation_interval_ms: ms(int(v, "memory_aggregation_interval_s")?),
        memory_aggregation_interval_count: int(v, "memory_aggregation_interval_count")?,
        oom_bump_up_ratio: exact_float(v, "oom_bump_up_ratio")?,
        oom_min_bump_up_bytes: exact_float(v, "oom_min_bump_up_bytes")?,
        ..AggregationConfig::default()
    };
    if v.get("cpu_half_life_s").is_some() {
        config.cpu_histogram_decay_half_life_ms = ms(int(v, "cpu_half_life_s")?);
        config.memory_histogram_decay_half_life_ms = ms(int(v, "memory_half_life_s")?);
    }
    Ok(config)
}

fn recommender_config(v: &Value) -> Outcome<RecommenderConfig> {
    Ok(RecommenderConfig {
        target_cpu_percentile: exact_float(v, "target_cpu_percentile")?,
        lower_bound_cpu_percentile: exact_float(v, "lower_bound_cpu_percentile")?,
        upper_bound_cpu_percentile: exact_float(v, "upper_bound_cpu_percentile")?,
        target_memory_percentile: exact_float(v, "target_memory_percentile")?,
        lower_bound_memory_percentile: exact_float(v, "lower_bound_memory_percentile")?,
        upper_bound_memory_percentile: exact_float(v, "upper_bound_memory_percentile")?,
        safety_margin_fraction: exact_float(v, "safety_margin_fraction")?,
        pod_min_cpu_millicores: exact_float(v, "pod_min_cpu_millicores")?,
        pod_min_memory_mb: exact_float(v, "pod_min_memory_mb")?,
        confidence_interval_cpu_ms: ms(int(v, "confidence_interval_cpu_s")?),
        confidence_interval_memory_ms: ms(int(v, "confidence_interval_memory_s")?),
    })
}

fn vpa_aggregate(config: AggregationConfig) -> Outcome<AggregateContainerState<DecayingHistogram>> {
    AggregateContainerState::with_vpa_histograms(config, 0).map_err(|e| e.to_string())
}

fn recommendations(
    v: &Value,
    key: &str,
) -> Outcome<Option<Vec<RecommendedContainerResources<'static>>>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => array(v, key)?
            .iter()
            .map(|r| {
                Ok(RecommendedContainerResources {
                    container_name: leak_str(string(r, "container")?),
                    target: resources(r, "target")?,
                    lower_bound: resources(r, "lower_bound")?,
                    upper_bound: resources(r, "upper_bound")?,
                    uncapped_target: resources(r, "uncapped_target")?,
                })
            })
            .collect::<Outcome<Vec<_>>>()
            .map(Some),
    }
}

fn container_resources(v: &Value) -> Outcome<ContainerResources> {
    Ok(ContainerResources {
        requests: resources(v, "requests")?,
        limits: resources(v, "limits")?,
    })
}

fn pod(v: &Value) -> Outcome<Pod<'static>> {
    let statuses: Vec<(String, ContainerResources)> = match v.get("container_statuses") {
        None | Some(Value::Null) => Vec::new(),
        Some(_) => array(v, "container_statuses")?
            .iter()
            .map(|s| Ok((string(s, "name")?.to_string(), container_resources(s)?)))
            .collect::<Outcome<_>>()?,
    };
    let mut containers = Vec::new();
    for c in array(v, "containers")? {
        let name = leak_str(string(c, "name")?);
        let mut container = PodContainer::new(name, container_resources(c)?);
        container.status = statuses.iter().find(|(n, _)| n == name).map(|(_, r)| *r);
        containers.push(container);
    }
    Ok(Pod::new(leak(containers)))
}

fn policy(v: &Value) -> Outcome<Option<PodResourcePolicy<'static>>> {
    let Some(p) = v.get("policy").filter(|p| !p.is_null()) else {
        return Ok(None);
    };
    let mut entries = Vec::new();
    for c in array(p, "container_policies")? {
        let controlled_values = match c.get("controlled_values").and_then(Value::as_str) {
            None => None,
            Some("RequestsAndLimits") => Some(ControlledValues::RequestsAndLimits),
            Some("RequestsOnly") => Some(ControlledValues::RequestsOnly),
            Some(other) => return Err(format!("unknown controlled_values {other:?}")),
        };
        let mode = match c.get("mode").and_then(Value::as_str) {
            None => None,
            Some("Auto") => Some(ContainerScalingMode::Auto),
            Some("Off") => Some(ContainerScalingMode::Off),
            Some(other) => return Err(format!("unknown mode {other:?}")),
        };
        entries.push(ContainerResourcePolicy {
            mode,
            min_allowed: resources(c, "min_allowed")?,
            max_allowed: resources(c, "max_allowed")?,
            controlled_values,
            ..ContainerResourcePolicy::named(leak_str(string(c, "container_name")?))
        });
    }
    Ok(Some(PodResourcePolicy::new(leak(entries))))
}

fn limit_range(v: &Value, key: &str) -> Outcome<Option<LimitRangeItem>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(item) => Ok(Some(LimitRangeItem {
            min: resources(item, "min")?,
            max: resources(item, "max")?,
            default: resources(item, "default")?,
        })),
    }
}

/// Compares recommendation lists entry by entry (a missing list is empty).
fn check_recommendations(
    expected: &[RecommendedContainerResources<'_>],
    got: &[RecommendedContainerResources<'_>],
) -> Outcome<()> {
    check(
        "recommendation containers",
        expected
            .iter()
            .map(|r| r.container_name)
            .collect::<Vec<_>>(),
        got.iter().map(|r| r.container_name).collect::<Vec<_>>(),
    )?;
    for (want, have) in expected.iter().zip(got) {
        check(
            &format!("{} recommendation", want.container_name),
            want,
            have,
        )?;
    }
    Ok(())
}

// ---- container_state ------------------------------------------------------------------------

/// One call into a histogram, as the upstream mocks record it.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    histogram: &'static str,
    call: &'static str,
    value: f64,
    weight: f64,
    t_ms: i64,
}

/// A histogram that records its calls into a log shared by the CPU and memory histograms.
#[derive(Debug, Clone)]
struct Recorder {
    name: &'static str,
    log: Rc<RefCell<Vec<Call>>>,
}

impl Recorder {
    fn record(&self, call: &'static str, value: f64, weight: f64, t_ms: i64) {
        self.log.borrow_mut().push(Call {
            histogram: self.name,
            call,
            value,
            weight,
            t_ms,
        });
    }
}

impl SampleHistogram for Recorder {
    type Error = Infallible;

    fn add_sample(&mut self, value: f64, weight: f64, time_ms: i64) -> Result<(), Infallible> {
        self.record("add", value, weight, time_ms);
        Ok(())
    }

    fn subtract_sample(&mut self, value: f64, weight: f64, time_ms: i64) -> Result<(), Infallible> {
        self.record("subtract", value, weight, time_ms);
        Ok(())
    }

    fn percentile(&self, _: f64) -> f64 {
        0.0
    }

    fn is_empty(&self) -> bool {
        true
    }

    fn merge(&mut self, _: &Self) -> Result<(), Infallible> {
        Ok(())
    }
}

pub(crate) fn container_state(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    let log = Rc::new(RefCell::new(Vec::new()));
    let recorder = |name| Recorder {
        name,
        log: Rc::clone(&log),
    };
    let mut aggregate = AggregateContainerState::new(
        recorder("cpu"),
        recorder("memory"),
        aggregation_config(field(input, "config")?)?,
        0,
    );
    let mut container = ContainerState::new();
    let mut accepted = Vec::new();
    for op in array(input, "ops")? {
        let t = ms(int(op, "t")?);
        let ok = match string(op, "op")? {
            "add_cpu" => container
                .add_cpu_sample(&mut aggregate, t, int(op, "usage_m")?)
                .unwrap_or_else(|never| match never {}),
            "add_memory" => container
                .add_memory_sample(&mut aggregate, t, int(op, "usage_bytes")?)
                .unwrap_or_else(|never| match never {}),
            "record_oom" => container
                .record_oom(&mut aggregate, t, int(op, "request_bytes")?)
                .is_ok(),
            other => return Err(format!("unknown op {other:?}")),
        };
        accepted.push(ok);
    }
    let want_accepted: Vec<bool> = array(expected, "accepted")?
        .iter()
        .filter_map(Value::as_bool)
        .collect();
    check("accepted", want_accepted, accepted)?;

    let calls = log.borrow();
    let want_calls = array(expected, "histogram_calls")?;
    check("number of histogram calls", want_calls.len(), calls.len())?;
    for (i, (want, got)) in want_calls.iter().zip(calls.iter()).enumerate() {
        check(
            &format!("call {i} histogram"),
            string(want, "histogram")?,
            got.histogram,
        )?;
        check(&format!("call {i} kind"), string(want, "call")?, got.call)?;
        check_float(&format!("call {i} value"), field(want, "value")?, got.value)?;
        check_float(
            &format!("call {i} weight"),
            field(want, "weight")?,
            got.weight,
        )?;
        check(&format!("call {i} t"), ms(int(want, "t")?), got.t_ms)?;
    }

    let last = field(expected, "final")?;
    check(
        "window end",
        ms(int(last, "window_end_unix_s")?),
        container.window_end_ms,
    )?;
    check(
        "memory peak",
        int(last, "memory_peak_bytes")?,
        container.memory_peak_bytes,
    )?;
    check(
        "oom peak",
        int(last, "oom_peak_bytes")?,
        container.oom_peak_bytes,
    )
}

// ---- aggregate_state ------------------------------------------------------------------------

/// Compares a decaying histogram with `{min_bucket, max_bucket, total_weight, bucket_weights,
/// reference_unix_s}`, bucket weights within `tolerance`.
fn check_histogram(
    what: &str,
    want: &Value,
    got: &DecayingHistogram,
    tolerance: f64,
) -> Outcome<()> {
    let h = got.histogram();
    check(
        &format!("{what} min bucket"),
        int(want, "min_bucket")?,
        h.min_bucket() as i64,
    )?;
    check(
        &format!("{what} max bucket"),
        int(want, "max_bucket")?,
        h.max_bucket() as i64,
    )?;
    check_float(
        &format!("{what} total weight"),
        field(want, "total_weight")?,
        h.total_weight(),
    )?;
    check(
        &format!("{what} reference"),
        ms(int(want, "reference_unix_s")?),
        got.reference_ms(),
    )?;
    let nonzero: Vec<(usize, f64)> = h
        .bucket_weights()
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, w)| *w != 0.0)
        .collect();
    let expected = array(want, "bucket_weights")?;
    check(&format!("{what} buckets"), expected.len(), nonzero.len())?;
    for (pair, (index, weight)) in expected.iter().zip(nonzero) {
        let want_index = pair
            .get(0)
            .and_then(Value::as_u64)
            .ok_or("bad bucket pair")?;
        let want_weight = exact_value(pair.get(1).ok_or("bad bucket pair")?, "bucket weight")?;
        check(&format!("{what} bucket index"), want_index as usize, index)?;
        if (want_weight - weight).abs() > tolerance {
            return Err(format!(
                "{what} bucket {index}: expected {want_weight:?}, got {weight:?}"
            ));
        }
    }
    Ok(())
}

fn check_checkpoint(what: &str, want: &Value, got: &HistogramCheckpoint) -> Outcome<()> {
    check_float(
        &format!("{what} total weight"),
        field(want, "total_weight")?,
        got.total_weight,
    )?;
    check(
        &format!("{what} reference"),
        ms(int(want, "reference_unix_s")?),
        got.reference_ms,
    )?;
    let expected: Vec<(u64, u64)> = array(want, "bucket_weights")?
        .iter()
        .map(|p| {
            Ok((
                p.get(0).and_then(Value::as_u64).ok_or("bad bucket pair")?,
                p.get(1).and_then(Value::as_u64).ok_or("bad bucket pair")?,
            ))
        })
        .collect::<Outcome<_>>()?;
    let stored: Vec<(u64, u64)> = got
        .bucket_weights
        .iter()
        .map(|b| (u64::from(b.index), u64::from(b.weight)))
        .collect();
    check(&format!("{what} buckets"), expected, stored)
}

pub(crate) fn aggregate_state(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    match string(vector, "id")? {
        "aggregate/by_container_name" => {
            let t = ms(int(input, "sample_time_unix_s")?);
            // Every pod's container has its own aggregate (the pods' labels differ); the VPA
            // merges them by container name into fresh aggregates.
            let mut by_name: BTreeMap<String, AggregateContainerState<DecayingHistogram>> =
                BTreeMap::new();
            for p in array(input, "pods")? {
                let containers = field(p, "containers")?
                    .as_object()
                    .ok_or("containers is not an object")?;
                for (name, usage) in containers {
                    let mut aggregate = vpa_aggregate(AggregationConfig::default())?;
                    let mut container = ContainerState::new();
                    container
                        .add_cpu_sample(&mut aggregate, t, int(usage, "cpu_m")?)
                        .map_err(|e| e.to_string())?;
                    container
                        .add_memory_sample(&mut aggregate, t, int(usage, "memory_bytes")?)
                        .map_err(|e| e.to_string())?;
                    let merged = match by_name.get_mut(name) {
                        Some(merged) => merged,
                        None => by_name
                            .entry(name.clone())
                            .or_insert(vpa_aggregate(AggregationConfig::default())?),
                    };
                    merged.merge(&aggregate).map_err(|e| e.to_string())?;
                }
            }
            let counts = field(expected, "total_samples_count")?
                .as_object()
                .ok_or("total_samples_count is not an object")?;
            for (name, count) in counts {
                let got = by_name.get(name).ok_or(format!("no aggregate {name}"))?;
                check(
                    &format!("{name} samples"),
                    count.as_i64(),
                    Some(got.total_samples_count),
                )?;
            }
            let tolerance = 1e-15;
            let app = field(expected, "app-A")?;
            let got = by_name.get("app-A").ok_or("no aggregate app-A")?;
            check_histogram(
                "app-A cpu",
                field(app, "cpu_histogram")?,
                &got.cpu_usage,
                tolerance,
            )?;
            check_histogram(
                "app-A memory",
                field(app, "memory_histogram")?,
                &got.memory_peaks,
                tolerance,
            )
        }
        "aggregate/save_checkpoint" => {
            let mut aggregate = vpa_aggregate(AggregationConfig::default())?;
            aggregate.first_sample_start_ms = ms(int(input, "first_sample_start_unix_s")?);
            aggregate.last_sample_start_ms = ms(int(input, "last_sample_start_unix_s")?);
            aggregate.total_samples_count = int(input, "total_samples_count")?;
            for (key, histogram) in [
                ("cpu_adds", &mut aggregate.cpu_usage),
                ("memory_adds", &mut aggregate.memory_peaks),
            ] {
                for add in array(input, key)? {
                    let item = |i: usize| -> Outcome<&Value> {
                        add.get(i).ok_or_else(|| format!("short {key} entry"))
                    };
                    histogram
                        .add_sample(
                            exact_value(item(0)?, "value")?,
                            exact_value(item(1)?, "weight")?,
                            ms(item(2)?.as_i64().ok_or("bad time")?),
                        )
                        .map_err(|e| e.to_string())?;
                }
            }
            let checkpoint = aggregate.save_checkpoint(0);
            check(
                "version",
                string(expected, "version")?,
                VPA_CHECKPOINT_VERSION,
            )?;
            check(
                "first sample",
                ms(int(expected, "first_sample_start_unix_s")?),
                checkpoint.first_sample_start_ms,
            )?;
            check(
                "last sample",
                ms(int(expected, "last_sample_start_unix_s")?),
                checkpoint.last_sample_start_ms,
            )?;
            check(
                "samples",
                int(expected, "total_samples_count")?,
                checkpoint.total_samples_count,
            )?;
            check_checkpoint(
                "cpu",
                field(expected, "cpu_histogram")?,
                &checkpoint.cpu_histogram,
            )?;
            check_checkpoint(
                "memory",
                field(expected, "memory_histogram")?,
                &checkpoint.memory_histogram,
            )
        }
        "aggregate/is_expired" => {
            let config = AggregationConfig {
                memory_aggregation_interval_ms: ms(int(input, "memory_aggregation_interval_s")?),
                memory_aggregation_interval_count: int(input, "memory_aggregation_interval_count")?,
                ..AggregationConfig::default()
            };
            let mut got = Vec::new();
            for case in array(input, "cases")? {
                let mut aggregate = vpa_aggregate(config)?;
                aggregate.total_samples_count = int(case, "total_samples_count")?;
                if case.get("last_sample_start_unix_s").is_some() {
                    aggregate.last_sample_start_ms = ms(int(case, "last_sample_start_unix_s")?);
                }
                if case.get("creation_time_unix_s").is_some() {
                    aggregate.creation_time_ms = ms(int(case, "creation_time_unix_s")?);
                }
                got.push(aggregate.is_expired(ms(int(case, "now_unix_s")?)));
            }
            let want: Vec<bool> = array(expected, "expired")?
                .iter()
                .filter_map(Value::as_bool)
                .collect();
            check("expired", want, got)
        }
        other => Err(format!("unknown aggregate_state vector {other:?}")),
    }
}

// ---- estimator ------------------------------------------------------------------------------

pub(crate) fn estimator(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    let id = string(vector, "id")?;
    if id.starts_with("estimator/confidence_") && id != "estimator/confidence_multiplier_table" {
        let base = resources(input, "base")?;
        let interval_ms = ms(int(input, "confidence_interval_s")?);
        let mut aggregate = vpa_aggregate(AggregationConfig::default())?;
        for sample in array(input, "cpu_samples")? {
            let t = sample.get(0).and_then(Value::as_i64).ok_or("bad sample")?;
            let usage = sample.get(1).and_then(Value::as_i64).ok_or("bad sample")?;
            aggregate
                .add_cpu_sample(ms(t), usage)
                .map_err(|e| e.to_string())?;
        }
        let conf = confidence(&aggregate, interval_ms);
        check_float("confidence", field(expected, "confidence")?, conf)?;
        let multiplier = exact_float(input, "multiplier")?;
        let exponent = exact_float(input, "exponent")?;
        if exponent.fract() != 0.0 {
            return Err(format!("exponent {exponent} is not an integer"));
        }
        let exponent = exponent as i64;
        let cpu = with_confidence_multiplier(base.cpu_m.unwrap_or(0), multiplier, exponent, conf);
        let memory =
            with_confidence_multiplier(base.memory_bytes.unwrap_or(0), multiplier, exponent, conf);
        check("cpu", int(expected, "cpu_m")?, cpu)?;
        return check("memory", int(expected, "memory_bytes")?, memory);
    }
    match id {
        "estimator/margin" => {
            let base = resources(input, "base")?;
            let fraction = exact_float(input, "margin_fraction")?;
            check(
                "cpu",
                int(expected, "cpu_m")?,
                with_margin(base.cpu_m.unwrap_or(0), fraction),
            )?;
            check(
                "memory",
                int(expected, "memory_bytes")?,
                with_margin(base.memory_bytes.unwrap_or(0), fraction),
            )
        }
        "estimator/confidence_multiplier_table" => {
            let results = array(expected, "results")?;
            for (row, want) in array(input, "rows")?.iter().zip(results) {
                let label = string(row, "label")?;
                let got = with_confidence_multiplier(
                    int(row, "base")?,
                    exact_float(row, "multiplier")?,
                    exact_float(row, "exponent")? as i64,
                    exact_float(row, "confidence")?,
                );
                match want {
                    Value::Number(n) => check(label, n.as_i64(), Some(got))?,
                    // 0 * Inf is NaN, whose int64 conversion Go leaves to the platform: the
                    // vector names both outcomes. podscale takes arm64's, 0.
                    Value::String(s) if s.starts_with("NaN -> int64") => {
                        if got != 0 && got != i64::MIN {
                            return Err(format!(
                                "{label}: expected a platform NaN conversion, got {got}"
                            ));
                        }
                    }
                    other => return Err(format!("{label}: unreadable expectation {other}")),
                }
            }
            Ok(())
        }
        "estimator/memory_bucket4_pow_sensitivity" => {
            let mut histogram: Histogram =
                Histogram::new(HistogramOptions::vpa_memory()).map_err(|e| e.to_string())?;
            for add in array(input, "memory_histogram_adds")? {
                let value = exact_value(add.get(0).ok_or("bad add")?, "value")?;
                let weight = exact_value(add.get(1).ok_or("bad add")?, "weight")?;
                SampleHistogram::add_sample(&mut histogram, value, weight, 0)
                    .map_err(|e| e.to_string())?;
            }
            let percentile = exact_float(input, "percentile")?;
            let value = SampleHistogram::percentile(&histogram, percentile);
            let bits = u64::from_str_radix(
                string(expected, "percentile_bits")?.trim_start_matches("0x"),
                16,
            )
            .map_err(|e| e.to_string())?;
            check("percentile bits", bits, value.to_bits())?;
            check_float("percentile", field(expected, "percentile_value")?, value)?;
            check(
                "bucket",
                int(expected, "bucket")?,
                histogram.max_bucket() as i64,
            )?;
            let before = memory_amount_from_bytes(value);
            check(
                "bytes before margin",
                int(expected, "memory_bytes_before_margin")?,
                before,
            )?;
            check(
                "bytes after margin",
                int(expected, "memory_bytes_after_margin")?,
                with_margin(before, exact_float(input, "margin_fraction")?),
            )
        }
        other => Err(format!("unknown estimator vector {other:?}")),
    }
}

// ---- pod_recommender ------------------------------------------------------------------------

pub(crate) fn pod_recommender(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    let config = RecommenderConfig {
        pod_min_cpu_millicores: exact_float(input, "pod_min_cpu_millicores")?,
        pod_min_memory_mb: exact_float(input, "pod_min_memory_mb")?,
        ..RecommenderConfig::default()
    };
    let count = usize::try_from(int(input, "containers")?).map_err(|e| e.to_string())?;
    let min = pod_min_resources(&config, count);
    check(
        "per-container minimum",
        resources(expected, "per_container_min")?,
        min,
    )?;
    // Upstream's test stubs the estimators with constants; the minimum wraps them.
    let estimate = resources(input, "estimators_return")?;
    let target = Resources::new(
        with_min_resource(estimate.cpu_m.unwrap_or(0), min.cpu_m.unwrap_or(0)),
        with_min_resource(
            estimate.memory_bytes.unwrap_or(0),
            min.memory_bytes.unwrap_or(0),
        ),
    );
    check("target", resources(expected, "target")?, target)
}

// ---- pipeline -------------------------------------------------------------------------------

pub(crate) fn pipeline(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    let config_json = field(input, "config")?;
    let aggregation = aggregation_config(config_json)?;
    let config = recommender_config(config_json)?;

    let mut names = Vec::new();
    let mut aggregates = Vec::new();
    let mut accepted: BTreeMap<&str, Vec<Vec<bool>>> = BTreeMap::new();
    for container in array(input, "containers")? {
        let name = leak_str(string(container, "name")?);
        let mut aggregate = vpa_aggregate(aggregation)?;
        let mut per_stream = Vec::new();
        for stream in array(container, "streams")? {
            // One pod's instance of the container, feeding the shared aggregate.
            let mut state = ContainerState::new();
            let mut flags = Vec::new();
            for event in stream.as_array().ok_or("stream is not an array")? {
                let kind = event.get(0).and_then(Value::as_str).ok_or("bad event")?;
                let t = ms(event.get(1).and_then(Value::as_i64).ok_or("bad event")?);
                let amount = event.get(2).and_then(Value::as_i64).ok_or("bad event")?;
                flags.push(match kind {
                    "cpu" => state
                        .add_cpu_sample(&mut aggregate, t, amount)
                        .map_err(|e| e.to_string())?,
                    "memory" => state
                        .add_memory_sample(&mut aggregate, t, amount)
                        .map_err(|e| e.to_string())?,
                    "oom" => state.record_oom(&mut aggregate, t, amount).is_ok(),
                    other => return Err(format!("unknown event {other:?}")),
                });
            }
            per_stream.push(flags);
        }
        accepted.insert(name, per_stream);
        names.push(name);
        aggregates.push(aggregate);
    }
    let pairs: Vec<(&str, &AggregateContainerState<DecayingHistogram>)> =
        names.iter().copied().zip(aggregates.iter()).collect();
    let list = recommend_pod::<_, 8>(&config, &pairs).map_err(|e| e.to_string())?;
    let min = pod_min_resources(&config, pairs.len());

    for (name, aggregate) in &pairs {
        let want = field(expected, name)?;
        let got = list
            .iter()
            .find(|r| r.container_name == *name)
            .ok_or(format!("no recommendation for {name}"))?;
        check(
            &format!("{name} target"),
            resources(want, "target")?,
            got.target,
        )?;
        check(
            &format!("{name} lower bound"),
            resources(want, "lower_bound")?,
            got.lower_bound,
        )?;
        check(
            &format!("{name} upper bound"),
            resources(want, "upper_bound")?,
            got.upper_bound,
        )?;
        check(
            &format!("{name} uncapped target"),
            got.target,
            got.uncapped_target,
        )?;

        let intermediate = field(want, "intermediate")?;
        check(
            &format!("{name} samples"),
            int(intermediate, "total_samples_count")?,
            aggregate.total_samples_count,
        )?;
        check(
            &format!("{name} first sample"),
            ms(int(intermediate, "first_sample_start_unix_s")?),
            aggregate.first_sample_start_ms,
        )?;
        check(
            &format!("{name} last sample"),
            ms(int(intermediate, "last_sample_start_unix_s")?),
            aggregate.last_sample_start_ms,
        )?;
        check_float(
            &format!("{name} confidence"),
            field(intermediate, "confidence")?,
            confidence(aggregate, config.confidence_interval_cpu_ms),
        )?;
        for (key, histogram) in [
            ("cpu_percentile_cores", &aggregate.cpu_usage),
            ("memory_percentile_bytes", &aggregate.memory_peaks),
        ] {
            let table = field(intermediate, key)?
                .as_object()
                .ok_or(format!("{key} is not an object"))?;
            for (p, value) in table {
                let p: f64 = p.parse().map_err(|_| format!("bad percentile {p:?}"))?;
                check_float(&format!("{name} {key} {p}"), value, histogram.percentile(p))?;
            }
        }
        check(
            &format!("{name} cpu reference"),
            ms(int(intermediate, "cpu_histogram_reference_unix_s")?),
            aggregate.cpu_usage.reference_ms(),
        )?;
        check(
            &format!("{name} memory reference"),
            ms(int(intermediate, "memory_histogram_reference_unix_s")?),
            aggregate.memory_peaks.reference_ms(),
        )?;
        check(
            &format!("{name} per-container minimum"),
            resources(intermediate, "per_container_min")?,
            min,
        )?;
        if let Some(flags) = intermediate.get("accepted") {
            let want: Vec<Vec<bool>> =
                serde_json::from_value(flags.clone()).map_err(|e| e.to_string())?;
            check(&format!("{name} accepted"), Some(&want), accepted.get(name))?;
        }
    }
    Ok(())
}

// ---- resource_conversion --------------------------------------------------------------------

pub(crate) fn resource_conversion(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    let cases = array(input, "cases")?;
    let results = array(expected, "results")?;
    check("number of results", cases.len(), results.len())?;
    let id = string(vector, "id")?;
    for (i, (case, want)) in cases.iter().zip(results).enumerate() {
        let what = format!("case {i}");
        match id {
            "conv/cores_from_cpu_amount" => {
                check_float(&what, want, cores_from_cpu_amount(int(case, "cpu_m")?))?;
            }
            "conv/scale_resource" | "conv/scale_resource_clamp" => {
                let got = scale_resource(int(case, "amount")?, exact_float(case, "factor")?);
                check(&what, want.as_i64(), Some(got))?;
            }
            "conv/round_up_to_scale" => {
                let value = int(case, "value")?;
                let (got, error) = match round_up_to_scale(value, int(case, "scale")?) {
                    Ok(v) => (v, None),
                    // Upstream returns the value unchanged with its error.
                    Err(e) => (value, Some(e)),
                };
                check(&what, int(want, "value")?, got)?;
                let want_error = want.get("error").and_then(Value::as_str);
                check(
                    &format!("{what} error"),
                    want_error.is_some(),
                    error.is_some(),
                )?;
                if let (Some(text), Some(e)) = (want_error, error) {
                    if !e.to_string().starts_with(text) {
                        return Err(format!("{what}: error {e} does not start with {text:?}"));
                    }
                }
            }
            "conv/resources_as_resource_list" => {
                let format = RecommendationFormat {
                    humanize_memory: boolean(case, "humanize")?,
                    round_cpu_millicores: int(case, "round_cpu_millicores")?,
                    round_memory_bytes: int(case, "round_memory_bytes")?,
                };
                let got = resources_as_resource_list(
                    Resources::new(int(case, "cpu_m")?, int(case, "memory_bytes")?),
                    &format,
                );
                check(&format!("{what} cpu"), Some(int(want, "cpu_m")?), got.cpu_m)?;
                if let Some(text) = want.get("memory_quantity").and_then(Value::as_str) {
                    check(
                        &format!("{what} memory quantity"),
                        Some(text.to_string()),
                        got.humanized_memory.map(|h| h.to_string()),
                    )?;
                }
                let bytes_key = if want.get("memory_value_bytes_ceil").is_some() {
                    "memory_value_bytes_ceil"
                } else {
                    "memory_bytes"
                };
                check(
                    &format!("{what} {bytes_key}"),
                    Some(int(want, bytes_key)?),
                    got.memory_bytes,
                )?;
            }
            "conv/humanize_memory_quantity" => {
                let got = HumanizedMemory(int(case, "bytes")?).to_string();
                check(&what, want.as_str(), Some(got.as_str()))?;
            }
            other => return Err(format!("unknown resource_conversion vector {other:?}")),
        }
    }
    Ok(())
}

// ---- capping --------------------------------------------------------------------------------

pub(crate) fn capping(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    let function = string(input, "function")?;
    let recs = recommendations(input, "recommendation")?;
    let want_recs = recommendations(expected, "recommendation")?;
    if function.starts_with("ApplyVPAPolicy") {
        let mut list = recs.ok_or("no recommendation")?;
        apply_vpa_policy(
            &mut list,
            policy(input)?.as_ref(),
            resources(input, "global_max_allowed")?,
        );
        return check_recommendations(&want_recs.ok_or("no expected recommendation")?, &list);
    }
    let pod = pod(field(input, "pod")?)?;
    if function.starts_with("applyPodLimitRange") {
        let field_name = function
            .split("field=")
            .nth(1)
            .and_then(|f| f.strip_suffix(')'))
            .ok_or("no field in function")?;
        let rec_field = match field_name {
            "Target" => RecommendationField::Target,
            "LowerBound" => RecommendationField::LowerBound,
            "UpperBound" => RecommendationField::UpperBound,
            other => return Err(format!("unknown field {other:?}")),
        };
        let kind = match string(input, "resource")? {
            "cpu" => ResourceKind::Cpu,
            "memory" => ResourceKind::Memory,
            other => return Err(format!("unknown resource {other:?}")),
        };
        let mut list = recs.ok_or("no recommendation")?;
        let item = limit_range(input, "pod_limit_range")?.ok_or("no pod limit range")?;
        apply_pod_limit_range(&mut list, &pod, &item, kind, rec_field);
        return check_recommendations(&want_recs.ok_or("no expected recommendation")?, &list);
    }
    if function != "cappingRecommendationProcessor.Apply" {
        return Err(format!("unknown capping function {function:?}"));
    }
    let got = apply_capping::<8>(
        recs.as_deref(),
        policy(input)?.as_ref(),
        limit_range(input, "container_limit_range")?.as_ref(),
        limit_range(input, "pod_limit_range")?.as_ref(),
        &pod,
    )
    .map_err(|e| e.to_string())?;
    let Some(got) = got else {
        check("recommendation", true, want_recs.is_none())?;
        return check("annotations", &Value::Null, field(expected, "annotations")?);
    };
    let list: Vec<_> = got.iter().map(|c| c.recommendation).collect();
    check_recommendations(&want_recs.ok_or("expected no recommendation")?, &list)?;
    // Annotations are unordered sets per container (Go iterates maps).
    let mut got_notes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for capped in got.iter().filter(|c| !c.annotations.is_empty()) {
        got_notes.insert(
            capped.recommendation.container_name.to_string(),
            capped.annotations.iter().map(ToString::to_string).collect(),
        );
    }
    let want_notes: BTreeMap<String, BTreeSet<String>> =
        serde_json::from_value(field(expected, "annotations")?.clone())
            .map_err(|e| e.to_string())?;
    check("annotations", want_notes, got_notes)
}

// ---- proportional_limit ---------------------------------------------------------------------

pub(crate) fn proportional_limit(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    let kind = match string(input, "resource")? {
        "cpu" => ResourceKind::Cpu,
        "memory" => ResourceKind::Memory,
        other => return Err(format!("unknown resource {other:?}")),
    };
    // Core amounts: CPU in millicores (MilliValue), memory in bytes (Value, rounding up).
    let amount = |key: &str| -> Outcome<Option<i64>> {
        match input.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => {
                let milli = int(input, key)?;
                Ok(Some(match kind {
                    ResourceKind::Cpu => milli,
                    ResourceKind::Memory => {
                        milli.div_euclid(1000) + i64::from(milli.rem_euclid(1000) != 0)
                    }
                }))
            }
        }
    };
    let got = proportional_resource_limit(
        kind,
        amount("original_limit_milli")?,
        amount("original_request_milli")?,
        amount("recommended_request_milli")?,
        amount("default_limit_milli")?,
    );
    check(
        "annotation",
        boolean(expected, "annotation")?,
        got.annotation.is_some(),
    )?;
    match field(expected, "limit")? {
        Value::Null => check("limit", None, got.limit),
        limit => {
            let got = got.limit.ok_or("expected a limit, got none")?;
            if limit.get("milli").is_some() {
                let got_milli = match kind {
                    ResourceKind::Cpu => Some(got),
                    ResourceKind::Memory => got.checked_mul(1000),
                };
                check("limit (milli)", Some(int(limit, "milli")?), got_milli)
            } else {
                check("limit (units)", int(limit, "value_units")?, got)
            }
        }
    }
}

// ---- update_priority ------------------------------------------------------------------------

fn priority(v: &Value) -> Outcome<PodPriority> {
    Ok(PodPriority {
        outside_recommended_range: boolean(v, "outside_recommended_range")?,
        scale_up: boolean(v, "scale_up")?,
        resource_diff: exact_float(v, "resource_diff")?,
    })
}

pub(crate) fn update_priority(vector: &Value) -> Outcome<()> {
    let input = field(vector, "input")?;
    let expected = field(vector, "expected")?;
    let function = string(input, "function")?;
    if function == "defaultPriorityProcessor.GetUpdatePriority" {
        let pod = pod(field(input, "pod")?)?;
        let recs = recommendations(input, "recommendation")?.unwrap_or_default();
        let got = podscale::vpa::update_priority(&pod, &recs);
        check(
            "outside_recommended_range",
            boolean(expected, "outside_recommended_range")?,
            got.outside_recommended_range,
        )?;
        check("scale_up", boolean(expected, "scale_up")?, got.scale_up)?;
        return check_float(
            "resource_diff",
            field(expected, "resource_diff")?,
            got.resource_diff,
        );
    }
    if function == "PodPriority.Less" {
        let mut prio_less = Vec::new();
        let mut other_less = Vec::new();
        for case in array(input, "cases")? {
            let a = priority(field(case, "prio")?)?;
            let b = priority(field(case, "other")?)?;
            prio_less.push(a.less(&b));
            other_less.push(b.less(&a));
        }
        let bools = |key| -> Outcome<Vec<bool>> {
            Ok(array(expected, key)?
                .iter()
                .filter_map(Value::as_bool)
                .collect())
        };
        check("prio_less_other", bools("prio_less_other")?, prio_less)?;
        return check("other_less_prio", bools("other_less_prio")?, other_less);
    }
    if !function.starts_with("UpdatePriorityCalculator.AddPod") {
        return Err(format!("unknown update_priority function {function:?}"));
    }
    let config_json = field(input, "config")?;
    let config = UpdateConfig {
        min_change_priority: exact_float(config_json, "min_change_priority")?,
        pod_lifetime_update_threshold_ms: ms(int(config_json, "pod_lifetime_update_threshold_s")?),
        evict_after_oom_threshold_ms: ms(int(config_json, "evict_after_oom_threshold_s")?),
    };
    let mut candidates = Vec::new();
    for p in array(input, "pods")? {
        let name = string(p, "name")?;
        let prio = priority(field(p, "priority")?)?;
        // The pod started at 0 and is `age_s` old now. An OOM, if any, ended `oom_run_s` after
        // the container started.
        let now_ms = ms(int(p, "age_s")?);
        let quick_oom = match p.get("oom_run_s") {
            Some(run) => {
                let mut container = PodContainer::new("c", ContainerResources::default());
                container.last_termination = Some(ContainerTermination {
                    oom_killed: true,
                    started_at_ms: 0,
                    finished_at_ms: ms(run.as_i64().ok_or("bad oom_run_s")?),
                });
                let containers = [container];
                is_quick_oom(
                    &Pod::new(&containers),
                    None,
                    config.evict_after_oom_threshold_ms,
                )
            }
            None => false,
        };
        if let Some(want) = p.get("quick_oom").and_then(Value::as_bool) {
            check(&format!("{name} quick OOM"), want, quick_oom)?;
        }
        if should_update(&config, &prio, quick_oom, Some(0), now_ms) {
            candidates.push((name, prio));
        }
    }
    sort_by_priority(&mut candidates, |c| c.1);
    let want: Vec<&str> = array(expected, "evicted_in_order")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    check(
        "evicted_in_order",
        want,
        candidates.iter().map(|c| c.0).collect::<Vec<_>>(),
    )
}
