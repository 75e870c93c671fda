//! VPA suites `histogram_options`, `histogram`, `checkpoint` and `decaying_histogram`: options
//! queries, and op sequences applied to a fresh plain or decaying histogram.
//!
//! Floats are compared bit for bit (`*_bits` fields where given), except where a vector's
//! `check` states a tolerance: `"bucket weights: abs X"` compares state bucket weights within
//! `X` and everything else exactly.
//!
//! The runner's `serde_json` is built without `float_roundtrip`, so it can read a decimal an
//! ulp off (it reads `1.0000000000000001e-11` as `1e-11`), inputs and expected values alike.
//! Each vector is therefore re-read from its file with exact floats first (see
//! [`exact_floats`]).

use podscale::vpa::{
    BucketWeight, DecayingHistogram, GO_ZERO_TIME_MS, Histogram, HistogramCheckpoint,
    HistogramError, HistogramOptions,
};
use serde_json::Value;

use crate::json::*;

// ---- parsing --------------------------------------------------------------------------------

fn options(v: &Value) -> Outcome<HistogramOptions> {
    let built = match string(v, "kind")? {
        "linear" => HistogramOptions::linear(
            float(v, "max_value")?,
            float(v, "bucket_size")?,
            float(v, "epsilon")?,
        ),
        "exponential" => HistogramOptions::exponential(
            float(v, "max_value")?,
            float(v, "first_bucket_size")?,
            float(v, "ratio")?,
            float(v, "epsilon")?,
        ),
        other => return Err(format!("unknown histogram options kind {other:?}")),
    };
    built.map_err(|e| format!("options: {e}"))
}

/// A vector time: integer Unix seconds, or null for Go's zero time.
fn time_ms(v: &Value, key: &str) -> Outcome<i64> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(GO_ZERO_TIME_MS),
        Some(_) => seconds_ms(v, key),
    }
}

fn index(v: &Value, what: &str) -> Outcome<usize> {
    v.as_u64()
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| format!("{what} is not a bucket index"))
}

/// `0x…` hex of an f64's bits.
fn bits(v: &Value, key: &str) -> Outcome<u64> {
    let text = string(v, key)?;
    let hex = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("field {key:?} is not 0x-prefixed"))?;
    u64::from_str_radix(hex, 16).map_err(|e| format!("field {key:?}: {e}"))
}

/// Compares floats bit for bit, naming both values and their bits on mismatch.
fn check_f64(what: &str, expected: f64, got: f64) -> Outcome<()> {
    if expected.to_bits() == got.to_bits() {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {expected:?} ({:#018x}), got {got:?} ({:#018x})",
            expected.to_bits(),
            got.to_bits()
        ))
    }
}

/// The tolerance a vector's `check` allows on state bucket weights (`None`: bit-exact).
fn weight_tolerance(vector: &Value) -> Outcome<Option<f64>> {
    let check = string(vector, "check")?;
    if check == "exact" {
        return Ok(None);
    }
    let tolerance = check
        .strip_prefix("bucket weights: abs ")
        .and_then(|rest| rest.split([' ', '(', ';']).next())
        .and_then(|number| number.parse::<f64>().ok())
        .ok_or_else(|| format!("unknown check {check:?}"))?;
    Ok(Some(tolerance))
}

// ---- histogram_options ----------------------------------------------------------------------

pub(crate) fn histogram_options(vector: &Value) -> Outcome<()> {
    let exact = exact_floats::reread(vector)?;
    let vector = &exact;
    let input = field(vector, "input")?;
    let options = options(field(input, "options")?)?;
    let queries = array(input, "queries")?;
    let results = array(field(vector, "expected")?, "results")?;
    if queries.len() != results.len() {
        return Err(format!(
            "{} queries but {} results",
            queries.len(),
            results.len()
        ));
    }
    for (i, (query, result)) in queries.iter().zip(results).enumerate() {
        let what = format!("queries[{i}]");
        match string(query, "op")? {
            "num_buckets" => check(
                &format!("{what} num_buckets"),
                int(result, "expect")?,
                i64::try_from(options.num_buckets()).unwrap_or(i64::MAX),
            )?,
            "find_bucket" => {
                let value = float(query, "value")?;
                check(
                    &format!("{what} find_bucket({value})"),
                    int(result, "expect")?,
                    i64::try_from(options.find_bucket(value)).unwrap_or(i64::MAX),
                )?;
            }
            "bucket_start" => {
                let bucket = index(field(query, "bucket")?, "bucket")?;
                let got = options
                    .bucket_start(bucket)
                    .ok_or_else(|| format!("{what}: bucket {bucket} out of range"))?;
                let what = format!("{what} bucket_start({bucket})");
                // The bits are authoritative; `expect` is their decimal.
                let expected = f64::from_bits(bits(result, "expect_bits")?);
                check_f64(&what, expected, got)?;
                check_f64(
                    &format!("{what} expect"),
                    float(result, "expect")?,
                    expected,
                )?;
            }
            other => return Err(format!("{what}: unknown query {other:?}")),
        }
    }
    Ok(())
}

// ---- histogram ops --------------------------------------------------------------------------

/// The histogram under test: plain (`half_life_s` null) or decaying.
#[derive(Clone)]
enum Subject {
    Plain(Box<Histogram>),
    Decaying(Box<DecayingHistogram>),
}

impl Subject {
    fn fresh(options: HistogramOptions, half_life_ms: Option<i64>) -> Outcome<Self> {
        let err = |e: HistogramError| format!("new histogram: {e}");
        Ok(match half_life_ms {
            None => Self::Plain(Box::new(Histogram::new(options).map_err(err)?)),
            Some(h) => Self::Decaying(Box::new(DecayingHistogram::new(options, h).map_err(err)?)),
        })
    }

    fn histogram(&self) -> &Histogram {
        match self {
            Self::Plain(h) => h,
            Self::Decaying(h) => h.histogram(),
        }
    }

    fn reference_ms(&self) -> Option<i64> {
        match self {
            Self::Plain(_) => None,
            Self::Decaying(h) => Some(h.reference_ms()),
        }
    }

    fn add(&mut self, value: f64, weight: f64, t_ms: i64) -> Result<(), HistogramError> {
        match self {
            Self::Plain(h) => h.add_sample(value, weight),
            Self::Decaying(h) => h.add_sample(value, weight, t_ms),
        }
    }

    fn subtract(&mut self, value: f64, weight: f64, t_ms: i64) -> Result<(), HistogramError> {
        match self {
            Self::Plain(h) => h.subtract_sample(value, weight),
            Self::Decaying(h) => h.subtract_sample(value, weight, t_ms),
        }
    }

    fn merge(&mut self, other: &mut Self) -> Outcome<()> {
        let merged = match (self, other) {
            (Self::Plain(h), Self::Plain(o)) => h.merge(o),
            (Self::Decaying(h), Self::Decaying(o)) => h.merge(o),
            _ => return Err("merge of a plain and a decaying histogram".into()),
        };
        merged.map_err(|e| format!("merge: {e}"))
    }

    fn save(&self) -> HistogramCheckpoint {
        match self {
            Self::Plain(h) => h.save_checkpoint(),
            Self::Decaying(h) => h.save_checkpoint(),
        }
    }

    fn load(&mut self, checkpoint: &HistogramCheckpoint) -> Result<(), HistogramError> {
        match self {
            Self::Plain(h) => h.load_checkpoint(checkpoint),
            Self::Decaying(h) => h.load_checkpoint(checkpoint),
        }
    }
}

/// A vector checkpoint (`{total_weight, bucket_weights: [[index, weight]…], reference_unix_s?}`)
/// as the core's, in the histogram's options and the current format.
fn checkpoint(v: &Value, options: HistogramOptions) -> Outcome<HistogramCheckpoint> {
    let mut checkpoint = HistogramCheckpoint::empty(options);
    checkpoint.total_weight = float(v, "total_weight")?;
    checkpoint.reference_ms = time_ms(v, "reference_unix_s")?;
    let mut entries = bucket_weight_pairs(v)?;
    // Upstream's checkpoint is a map: the order of the vector's pairs carries no meaning.
    entries.sort_by_key(|e| e.index);
    checkpoint
        .bucket_weights
        .extend_from_slice(&entries)
        .map_err(|()| "too many checkpoint buckets".to_string())?;
    Ok(checkpoint)
}

/// The `[index, weight]` pairs of a vector checkpoint (integers).
fn bucket_weight_pairs(v: &Value) -> Outcome<Vec<BucketWeight>> {
    let mut entries = Vec::new();
    for pair in array(v, "bucket_weights")? {
        let (index, weight) = match pair.as_array().map(Vec::as_slice) {
            Some([i, w]) => (i.as_u64(), w.as_u64()),
            _ => (None, None),
        };
        let (Some(index), Some(weight)) = (index, weight) else {
            return Err(format!("bad checkpoint bucket weight {pair}"));
        };
        let index = u32::try_from(index).map_err(|_| format!("bucket {index} does not fit u32"))?;
        let weight =
            u32::try_from(weight).map_err(|_| format!("weight {weight} does not fit u32"))?;
        entries.push(BucketWeight::new(index, weight));
    }
    Ok(entries)
}

/// The `[index, weight]` pairs of a vector state (weights as floats).
fn weight_pairs(v: &Value, key: &str) -> Outcome<Vec<(usize, f64)>> {
    array(v, key)?
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([i, w]) => Ok((
                index(i, "bucket")?,
                w.as_f64().ok_or_else(|| format!("bad weight in {pair}"))?,
            )),
            _ => Err(format!("bad {key} entry {pair}")),
        })
        .collect()
}

fn check_reference(what: &str, expected: &Value, subject: &Subject) -> Outcome<()> {
    match (subject.reference_ms(), expected.get("reference_unix_s")) {
        (None, None) => Ok(()),
        (Some(got), Some(_)) => check(
            &format!("{what} reference"),
            time_ms(expected, "reference_unix_s")?,
            got,
        ),
        (Some(_), None) => Err(format!("{what}: no expected reference_unix_s")),
        (None, Some(_)) => Err(format!("{what}: a plain histogram has no reference")),
    }
}

fn check_state(
    what: &str,
    expected: &Value,
    subject: &Subject,
    tolerance: Option<f64>,
) -> Outcome<()> {
    let h = subject.histogram();
    check(
        &format!("{what} min_bucket"),
        index(field(expected, "min_bucket")?, "min_bucket")?,
        h.min_bucket(),
    )?;
    check(
        &format!("{what} max_bucket"),
        index(field(expected, "max_bucket")?, "max_bucket")?,
        h.max_bucket(),
    )?;
    check_f64(
        &format!("{what} total_weight"),
        float(expected, "total_weight")?,
        h.total_weight(),
    )?;
    let got: Vec<(usize, f64)> = h
        .bucket_weights()
        .iter()
        .enumerate()
        .filter(|(_, w)| **w != 0.0)
        .map(|(i, w)| (i, *w))
        .collect();
    let want = weight_pairs(expected, "bucket_weights")?;
    let indices = |pairs: &[(usize, f64)]| pairs.iter().map(|p| p.0).collect::<Vec<_>>();
    check(
        &format!("{what} non-zero buckets"),
        indices(&want),
        indices(&got),
    )?;
    for ((bucket, want), (_, got)) in want.iter().zip(&got) {
        let what = format!("{what} bucket_weights[{bucket}]");
        match tolerance {
            None => check_f64(&what, *want, *got)?,
            Some(tolerance) if (want - got).abs() <= tolerance => {}
            Some(tolerance) => {
                return Err(format!(
                    "{what}: expected {want:?} within {tolerance:e}, got {got:?}"
                ));
            }
        }
    }
    check_reference(what, expected, subject)
}

fn check_saved(what: &str, expected: &Value, subject: &Subject) -> Outcome<()> {
    let saved = subject.save();
    check_f64(
        &format!("{what} total_weight"),
        float(expected, "total_weight")?,
        saved.total_weight,
    )?;
    let mut want = bucket_weight_pairs(expected)?;
    want.sort_by_key(|e| e.index);
    check(
        &format!("{what} bucket_weights"),
        want.as_slice(),
        saved.bucket_weights.as_slice(),
    )?;
    match subject.reference_ms() {
        Some(got) => check(
            &format!("{what} reference"),
            time_ms(expected, "reference_unix_s")?,
            got,
        ),
        None => Ok(()),
    }
}

/// Applies `ops` to `subject`; with `expected`, checks each result.
fn apply(
    subject: &mut Subject,
    ops: &[Value],
    expected: Option<&[Value]>,
    options: HistogramOptions,
    half_life_ms: Option<i64>,
    tolerance: Option<f64>,
) -> Outcome<()> {
    for (i, op) in ops.iter().enumerate() {
        let name = string(op, "op")?;
        let what = format!("ops[{i}] {name}");
        let want = match expected {
            Some(results) => Some(
                results
                    .get(i)
                    .ok_or_else(|| format!("{what}: no expected result"))?,
            ),
            None => None,
        };
        let expect_null = || match want {
            Some(w) if !w.is_null() => Err(format!("{what}: expected {w}, the op returns nothing")),
            _ => Ok(()),
        };
        match name {
            "add" | "sub" => {
                let value = float(op, "value")?;
                let weight = float(op, "weight")?;
                let t_ms = time_ms(op, "t")?;
                let done = if name == "add" {
                    subject.add(value, weight, t_ms)
                } else {
                    subject.subtract(value, weight, t_ms)
                };
                done.map_err(|e| format!("{what}: {e}"))?;
                expect_null()?;
            }
            "merge" => {
                let mut other = Subject::fresh(options, half_life_ms)?;
                apply(
                    &mut other,
                    array(op, "other_ops")?,
                    None,
                    options,
                    half_life_ms,
                    tolerance,
                )?;
                subject.merge(&mut other)?;
                expect_null()?;
            }
            "load_checkpoint" => {
                let checkpoint = checkpoint(field(op, "checkpoint")?, options)?;
                let outcome = match subject.load(&checkpoint) {
                    Ok(()) => "ok",
                    Err(_) => "error",
                };
                if let Some(w) = want {
                    check(&what, w.as_str().unwrap_or("?"), outcome)?;
                }
            }
            "percentile" => {
                let p = float(op, "p")?;
                let got = subject.histogram().percentile(p);
                if let Some(w) = want {
                    let w = w
                        .as_f64()
                        .ok_or_else(|| format!("{what}: expected result is not a number"))?;
                    check_f64(&format!("{what}({p})"), w, got)?;
                }
            }
            "is_empty" => {
                let got = subject.histogram().is_empty();
                if let Some(w) = want {
                    let w = w
                        .as_bool()
                        .ok_or_else(|| format!("{what}: expected result is not a boolean"))?;
                    check(&what, w, got)?;
                }
            }
            "state" => {
                if let Some(w) = want {
                    check_state(&what, w, subject, tolerance)?;
                }
            }
            "save_checkpoint" => {
                if let Some(w) = want {
                    check_saved(&what, w, subject)?;
                }
            }
            other => return Err(format!("ops[{i}]: unknown op {other:?}")),
        }
    }
    Ok(())
}

pub(crate) fn ops(vector: &Value) -> Outcome<()> {
    let exact = exact_floats::reread(vector)?;
    let vector = &exact;
    let input = field(vector, "input")?;
    let options = options(field(input, "options")?)?;
    let half_life_ms = match input.get("half_life_s") {
        None | Some(Value::Null) => None,
        Some(_) => Some(seconds_ms(input, "half_life_s")?),
    };
    let ops = array(input, "ops")?;
    let results = array(field(vector, "expected")?, "op_results")?;
    if ops.len() != results.len() {
        return Err(format!(
            "{} ops but {} op_results",
            ops.len(),
            results.len()
        ));
    }
    let tolerance = weight_tolerance(vector)?;
    let mut subject = Subject::fresh(options, half_life_ms)?;
    apply(
        &mut subject,
        ops,
        Some(results),
        options,
        half_life_ms,
        tolerance,
    )
}

/// Re-reading vectors with exactly parsed floats.
///
/// The runner hands suites a `serde_json::Value` parsed without `float_roundtrip`, whose floats
/// can be an ulp off. This module reads the vector files again with a small JSON reader that
/// parses every number with Rust's correctly rounded `str::parse::<f64>`, and finds the vector
/// by `id`. Files are the `.json` arguments of the command line and `tests/vectors/*.json` (what
/// `cargo test` runs). A vector found nowhere (for example one built in memory) is used as
/// given.
mod exact_floats {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::OnceLock;

    use serde_json::{Map, Number, Value};

    use crate::json::Outcome;

    static INDEX: OnceLock<HashMap<String, Vec<Value>>> = OnceLock::new();

    /// The vector with exact floats: the one with its `id` and shape in a vector file.
    pub(super) fn reread(vector: &Value) -> Outcome<Value> {
        let id = vector
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| "vector has no id".to_string())?;
        let index = INDEX.get_or_init(build);
        let found = index
            .get(id)
            .and_then(|copies| copies.iter().find(|exact| same_shape(vector, exact)));
        Ok(found.unwrap_or(vector).clone())
    }

    fn build() -> HashMap<String, Vec<Value>> {
        let mut files: Vec<PathBuf> = std::env::args()
            .skip(1)
            .map(PathBuf::from)
            .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
            .collect();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors");
        if let Ok(entries) = std::fs::read_dir(dir) {
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json")),
            );
        }
        let mut index: HashMap<String, Vec<Value>> = HashMap::new();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let mut reader = Reader {
                bytes: text.as_bytes(),
                pos: 0,
            };
            let Some(doc) = reader.value() else {
                continue;
            };
            if doc.get("family").and_then(Value::as_str) != Some("vpa") {
                continue;
            }
            for vector in doc
                .get("vectors")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = vector.get("id").and_then(Value::as_str) {
                    index
                        .entry(id.to_string())
                        .or_default()
                        .push(vector.clone());
                }
            }
        }
        index
    }

    /// Equal but for floats, which may differ by the few ulps of an inexact parse.
    fn same_shape(given: &Value, exact: &Value) -> bool {
        match (given, exact) {
            (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
                _ if a == b => true,
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                    (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
                }
                _ => false,
            },
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_shape(x, y))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, x)| b.get(k).is_some_and(|y| same_shape(x, y)))
            }
            _ => given == exact,
        }
    }

    /// A recursive-descent JSON reader (test data only) with exact numbers.
    struct Reader<'a> {
        bytes: &'a [u8],
        pos: usize,
    }

    impl Reader<'_> {
        fn ws(&mut self) {
            while self
                .bytes
                .get(self.pos)
                .is_some_and(u8::is_ascii_whitespace)
            {
                self.pos += 1;
            }
        }

        fn eat(&mut self, byte: u8) -> Option<()> {
            self.ws();
            (self.bytes.get(self.pos) == Some(&byte)).then(|| self.pos += 1)
        }

        fn value(&mut self) -> Option<Value> {
            self.ws();
            match *self.bytes.get(self.pos)? {
                b'{' => {
                    self.pos += 1;
                    let mut map = Map::new();
                    if self.eat(b'}').is_some() {
                        return Some(Value::Object(map));
                    }
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.eat(b':')?;
                        map.insert(key, self.value()?);
                        if self.eat(b',').is_none() {
                            self.eat(b'}')?;
                            return Some(Value::Object(map));
                        }
                    }
                }
                b'[' => {
                    self.pos += 1;
                    let mut list = Vec::new();
                    if self.eat(b']').is_some() {
                        return Some(Value::Array(list));
                    }
                    loop {
                        list.push(self.value()?);
                        if self.eat(b',').is_none() {
                            self.eat(b']')?;
                            return Some(Value::Array(list));
                        }
                    }
                }
                b'"' => self.string().map(Value::String),
                b't' => self.word("true", Value::Bool(true)),
                b'f' => self.word("false", Value::Bool(false)),
                b'n' => self.word("null", Value::Null),
                _ => self.number(),
            }
        }

        fn word(&mut self, word: &str, value: Value) -> Option<Value> {
            let end = self.pos + word.len();
            (self.bytes.get(self.pos..end)? == word.as_bytes()).then(|| {
                self.pos = end;
                value
            })
        }

        fn number(&mut self) -> Option<Value> {
            let start = self.pos;
            while self
                .bytes
                .get(self.pos)
                .is_some_and(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
            {
                self.pos += 1;
            }
            let text = std::str::from_utf8(self.bytes.get(start..self.pos)?).ok()?;
            if !text.contains(['.', 'e', 'E']) {
                if let Ok(i) = text.parse::<i64>() {
                    return Some(Value::from(i));
                }
                if let Ok(u) = text.parse::<u64>() {
                    return Some(Value::from(u));
                }
            }
            Number::from_f64(text.parse::<f64>().ok()?).map(Value::Number)
        }

        fn string(&mut self) -> Option<String> {
            if self.bytes.get(self.pos) != Some(&b'"') {
                return None;
            }
            self.pos += 1;
            let mut out: Vec<u16> = Vec::new();
            let mut bytes: Vec<u8> = Vec::new();
            loop {
                let b = *self.bytes.get(self.pos)?;
                self.pos += 1;
                match b {
                    b'"' => break,
                    b'\\' => {
                        let e = *self.bytes.get(self.pos)?;
                        self.pos += 1;
                        let c = match e {
                            b'n' => '\n',
                            b't' => '\t',
                            b'r' => '\r',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'u' => {
                                let hex =
                                    std::str::from_utf8(self.bytes.get(self.pos..self.pos + 4)?)
                                        .ok()?;
                                self.pos += 4;
                                out.push(u16::from_str_radix(hex, 16).ok()?);
                                continue;
                            }
                            other => char::from(other),
                        };
                        bytes.extend(flush(&mut out));
                        bytes.extend(c.to_string().as_bytes());
                    }
                    _ => {
                        bytes.extend(flush(&mut out));
                        bytes.push(b);
                    }
                }
            }
            bytes.extend(flush(&mut out));
            String::from_utf8(bytes).ok()
        }
    }

    /// Pending `\u` escapes (UTF-16 code units) as UTF-8.
    fn flush(units: &mut Vec<u16>) -> Vec<u8> {
        let text: String = char::decode_utf16(units.drain(..))
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        text.into_bytes()
    }
}
