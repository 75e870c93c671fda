//! Reading the JSON of a `VerticalPodAutoscalerCheckpoint` (as the upstream recommender writes
//! it) into podscale state, without allocating: see [`VpaCheckpointStatus`].

use core::fmt;

use super::checkpoint::{BucketWeight, HistogramCheckpoint};
use super::go_time::GO_ZERO_TIME_MS;
use super::json_lexer::{JsonStr, JsonType, LexError, Lexer, MAX_DEPTH, SyntaxError};
use super::options::{HistogramOptions, VPA_NUM_BUCKETS};
use super::rfc3339;

/// `SupportedCheckpointVersion` of the recommender: the only checkpoint version it (and
/// podscale) reads.
pub const VPA_CHECKPOINT_VERSION: &str = "v3";

/// The state in a `VerticalPodAutoscalerCheckpoint`'s `status`
/// [VerticalPodAutoscalerCheckpointStatus], read from upstream's JSON by
/// [`Self::from_object_json`] (or [`Self::from_status_json`]) without allocating.
///
/// Times are Unix milliseconds, [`GO_ZERO_TIME_MS`] for Go's zero time (a `null` in the JSON).
/// The histogram checkpoints carry the VPA's default CPU and memory options, as version `"v3"`
/// implies, and load into [`DecayingHistogram`](super::DecayingHistogram)s with those options.
/// The value is about 3 KB.
///
/// The recommender stores each container's aggregate in a `VerticalPodAutoscalerCheckpoint`
/// object whose `status` holds `cpuHistogram` and `memoryHistogram` (`referenceTimestamp`,
/// `bucketWeights` as an object of bucket index to weight, `totalWeight`), `firstSampleStart`,
/// `lastSampleStart`, `totalSamplesCount`, `lastUpdateTime` and `version`. Reading it lets a
/// podscale recommender start from upstream's history instead of from nothing.
///
/// # Why a tokenizer of its own
///
/// The core has no `alloc`, so `serde_json` (which needs it for maps with integer keys, for
/// unescaping and for skipping unknown fields) is out, and `serde-json-core` cannot skip the
/// object's arbitrary `metadata` or read an object with integer keys into a fixed array. The
/// object needs very little JSON: a pull tokenizer over `&[u8]` (objects, arrays, strings with
/// their escapes, numbers, literals) that reads the known fields in place, decodes short
/// strings into stack buffers, and skips everything else with a fixed-size bit stack. Input is
/// never trusted: every malformed or out-of-range byte is a [`CheckpointImportError`] naming the
/// JSON path, the byte offset and the problem, never a panic.
///
/// # Semantics (Go's `encoding/json` and `metav1.Time`, with podscale's checks)
///
/// * Unknown members are skipped (after a syntax check); member names match exactly or
///   ASCII-case-insensitively, as Go matches struct fields.
/// * A repeated member is read again into the same value, as Go does: a second
///   `bucketWeights` adds to the first, a repeated key's last weight wins.
/// * `null` leaves a field unchanged, except timestamps (the zero time) and `bucketWeights`
///   (no buckets), as in Go. Missing fields keep their zero values.
/// * Timestamps are RFC 3339 (`time.Parse(time.RFC3339, …)`), kept to the millisecond.
/// * `bucketWeights` keys are decimal `int`s (`strconv.ParseInt`: an optional sign, leading zeros
///   allowed), values `uint32`s; `totalSamplesCount` is an `int`; integer fields refuse
///   fractions and exponents, as Go does.
/// * podscale refuses, with the field's path, what upstream would refuse later or misread: a
///   `version` other than `"v3"` (the only bucketing podscale reads, and upstream's
///   `SupportedCheckpointVersion`), a bucket outside `0..176`, a negative or non-finite
///   `totalWeight`, and a negative `totalSamplesCount`.
/// * Nesting in skipped members is limited to 512 levels.
///
/// ```
/// use podscale::vpa::VpaCheckpointStatus;
/// let json = br#"{
///   "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscalerCheckpoint",
///   "metadata": {"name": "hamster-vpa-hamster", "namespace": "default"},
///   "spec": {"containerName": "hamster", "vpaObjectName": "hamster-vpa"},
///   "status": {
///     "cpuHistogram": {"bucketWeights": {"25": 10000, "26": 512}, "referenceTimestamp": "2023-11-15T00:00:00Z", "totalWeight": 2.5},
///     "firstSampleStart": "2023-11-14T22:13:20Z",
///     "lastSampleStart": "2023-11-15T10:00:00Z",
///     "lastUpdateTime": null,
///     "memoryHistogram": {"referenceTimestamp": null},
///     "totalSamplesCount": 42,
///     "version": "v3"
///   }
/// }"#;
/// let status = VpaCheckpointStatus::from_object_json(json)?;
/// assert_eq!(status.cpu_histogram.reference_ms, 1_700_006_400_000);
/// assert_eq!(status.cpu_histogram.bucket_weights.len(), 2);
/// assert_eq!(status.total_samples_count, 42);
///
/// let bad = br#"{"status": {"version": "v3", "cpuHistogram": {"bucketWeights": {"12": -1}}}}"#;
/// let err = VpaCheckpointStatus::from_object_json(bad).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"status.cpuHistogram.bucketWeights["12"]: -1 is not an integer from 0 to 4294967295 (uint32) (at byte 70)"#
/// );
/// # Ok::<(), podscale::vpa::CheckpointImportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VpaCheckpointStatus {
    /// `lastUpdateTime`: when the recommender wrote the checkpoint.
    pub last_update_time_ms: i64,
    /// `cpuHistogram`, with [`HistogramOptions::vpa_cpu`].
    pub cpu_histogram: HistogramCheckpoint,
    /// `memoryHistogram`, with [`HistogramOptions::vpa_memory`].
    pub memory_histogram: HistogramCheckpoint,
    /// `firstSampleStart`: the earliest CPU sample.
    pub first_sample_start_ms: i64,
    /// `lastSampleStart`: the latest CPU sample.
    pub last_sample_start_ms: i64,
    /// `totalSamplesCount`: CPU samples aggregated.
    pub total_samples_count: i64,
}

impl VpaCheckpointStatus {
    /// Reads a whole `VerticalPodAutoscalerCheckpoint` object (`apiVersion`, `kind`,
    /// `metadata`, `spec` and `status`; only `status` is used, the rest is syntax-checked and
    /// skipped). See [`VpaCheckpointStatus`] for the rules.
    ///
    /// # Errors
    ///
    /// [`CheckpointImportError`] for malformed JSON, a field of the wrong type, an
    /// out-of-range value, or a missing or unsupported `status.version`.
    pub fn from_object_json(json: &[u8]) -> Result<Self, CheckpointImportError> {
        let mut reader = Reader::new(json);
        let mut status = StatusScratch::new();
        let root = JsonPath::ROOT;
        if reader.object_or_null(root)? {
            let mut first = true;
            while let Some(key) = reader.key(root, &mut first)? {
                let name = Name::of(key);
                if name.is("status") {
                    reader.status(&mut status)?;
                } else {
                    reader.skip(root.with(PathTail::Member(name.snippet())))?;
                }
            }
        }
        reader.end(root)?;
        status.finish(reader.offset())
    }

    /// Reads the `status` object alone. Error paths still start with `status`.
    ///
    /// ```
    /// use podscale::vpa::VpaCheckpointStatus;
    /// let err = VpaCheckpointStatus::from_status_json(br#"{"version": "v2"}"#).unwrap_err();
    /// assert_eq!(err.to_string(), r#"status.version: checkpoint version "v2" is not supported (only "v3") (at byte 12)"#);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Self::from_object_json`].
    pub fn from_status_json(json: &[u8]) -> Result<Self, CheckpointImportError> {
        let mut reader = Reader::new(json);
        let mut status = StatusScratch::new();
        reader.status(&mut status)?;
        reader.end(JsonPath::STATUS)?;
        status.finish(reader.offset())
    }
}

/// Up to 24 bytes of a JSON key or value, for error messages: decoded, shown escaped, with `…`
/// when cut.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JsonSnippet {
    bytes: [u8; JsonSnippet::CAPACITY],
    len: u8,
    truncated: bool,
}

impl JsonSnippet {
    const CAPACITY: usize = 24;

    fn new(text: &[u8]) -> Self {
        let mut bytes = [0u8; Self::CAPACITY];
        let len = text.len().min(Self::CAPACITY);
        if let (Some(to), Some(from)) = (bytes.get_mut(..len), text.get(..len)) {
            to.copy_from_slice(from);
        }
        Self {
            bytes,
            len: u8::try_from(len).unwrap_or(0),
            truncated: text.len() > Self::CAPACITY,
        }
    }

    /// The bytes kept.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Whether the text was longer than what is kept.
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for JsonSnippet {
    /// The text in double quotes, with `"`, `\` and non-printable bytes escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for &b in self.as_bytes() {
            match b {
                b'"' | b'\\' => write!(f, "\\{}", char::from(b))?,
                0x20..=0x7e => write!(f, "{}", char::from(b))?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        if self.truncated {
            f.write_str("…")?;
        }
        f.write_str("\"")
    }
}

impl fmt::Debug for JsonSnippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The last step of a [`JsonPath`], when it is not a member podscale reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathTail {
    /// A member podscale skips, for example `metadata`.
    Member(JsonSnippet),
    /// A `bucketWeights` key, shown as `["12"]`.
    Key(JsonSnippet),
}

/// Where in the document a problem is: for example `status.cpuHistogram.bucketWeights["12"]`.
///
/// Paths are written as in the whole object (starting with `status`), whichever entry point
/// read the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonPath {
    fields: &'static str,
    tail: Option<PathTail>,
}

impl JsonPath {
    const ROOT: Self = Self::at("");
    const STATUS: Self = Self::at("status");

    const fn at(fields: &'static str) -> Self {
        Self { fields, tail: None }
    }

    const fn with(self, tail: PathTail) -> Self {
        Self {
            fields: self.fields,
            tail: Some(tail),
        }
    }

    /// The dotted members podscale reads, from the root (`status.cpuHistogram.bucketWeights`);
    /// empty for the root.
    pub const fn fields(&self) -> &'static str {
        self.fields
    }

    /// A last step below [`Self::fields`]: a skipped member or a bucket key.
    pub const fn tail(&self) -> Option<&PathTail> {
        self.tail.as_ref()
    }
}

impl fmt::Display for JsonPath {
    /// Dotted member names and bracketed keys; `(root)` for the document itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.fields)?;
        match &self.tail {
            None if self.fields.is_empty() => f.write_str("(root)"),
            None => Ok(()),
            Some(PathTail::Member(name)) => {
                // Member names are shown bare when they are plain ASCII.
                let plain = name.as_bytes().iter().all(u8::is_ascii_graphic);
                if plain && !name.is_truncated() {
                    if !self.fields.is_empty() {
                        f.write_str(".")?;
                    }
                    for &b in name.as_bytes() {
                        write!(f, "{}", char::from(b))?;
                    }
                    Ok(())
                } else {
                    write!(f, "[{name}]")
                }
            }
            Some(PathTail::Key(key)) => write!(f, "[{key}]"),
        }
    }
}

/// The paths of one histogram's fields.
struct HistogramPaths {
    whole: JsonPath,
    reference_timestamp: JsonPath,
    bucket_weights: JsonPath,
    total_weight: JsonPath,
}

const CPU_PATHS: HistogramPaths = HistogramPaths {
    whole: JsonPath::at("status.cpuHistogram"),
    reference_timestamp: JsonPath::at("status.cpuHistogram.referenceTimestamp"),
    bucket_weights: JsonPath::at("status.cpuHistogram.bucketWeights"),
    total_weight: JsonPath::at("status.cpuHistogram.totalWeight"),
};

const MEMORY_PATHS: HistogramPaths = HistogramPaths {
    whole: JsonPath::at("status.memoryHistogram"),
    reference_timestamp: JsonPath::at("status.memoryHistogram.referenceTimestamp"),
    bucket_weights: JsonPath::at("status.memoryHistogram.bucketWeights"),
    total_weight: JsonPath::at("status.memoryHistogram.totalWeight"),
};

/// What is wrong at a [`JsonPath`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProblem {
    /// The input ends inside a value.
    UnexpectedEnd,
    /// A byte that cannot appear here.
    UnexpectedByte {
        /// The byte.
        byte: u8,
    },
    /// A backslash escape JSON does not define.
    InvalidEscape,
    /// A raw control character inside a string.
    ControlCharacter,
    /// Containers nested deeper than the limit.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// Something other than whitespace after the document.
    TrailingData,
    /// A value of the wrong type.
    WrongType {
        /// The type the field has.
        expected: JsonType,
        /// The type found.
        found: JsonType,
    },
    /// A number that does not fit the field.
    InvalidNumber {
        /// The number, as written.
        text: JsonSnippet,
        /// What the field holds.
        requirement: &'static str,
    },
    /// A `bucketWeights` key that is not a decimal integer.
    InvalidBucketKey {
        /// The key.
        key: JsonSnippet,
    },
    /// A `bucketWeights` key outside the histogram's buckets.
    BucketOutOfRange {
        /// The bucket index.
        bucket: i64,
        /// The number of buckets.
        num_buckets: usize,
    },
    /// A timestamp that is not RFC 3339.
    InvalidTimestamp {
        /// The string.
        text: JsonSnippet,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `version` other than [`VPA_CHECKPOINT_VERSION`] (empty when missing).
    UnsupportedVersion {
        /// The version found.
        found: JsonSnippet,
    },
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedEnd => f.write_str("unexpected end of input"),
            Self::UnexpectedByte { byte } if byte.is_ascii_graphic() => {
                write!(f, "unexpected character '{}'", char::from(*byte))
            }
            Self::UnexpectedByte { byte } => write!(f, "unexpected byte 0x{byte:02x}"),
            Self::InvalidEscape => f.write_str("invalid escape in string"),
            Self::ControlCharacter => f.write_str("control character in string"),
            Self::TooDeep { limit } => write!(f, "nested deeper than {limit} levels"),
            Self::TrailingData => f.write_str("unexpected data after the document"),
            Self::WrongType { expected, found } => {
                write!(
                    f,
                    "expected {}, found {}",
                    expected.as_str(),
                    found.as_str()
                )
            }
            Self::InvalidNumber { text, requirement } => {
                // Numbers are shown as written, without quotes.
                for &b in text.as_bytes() {
                    write!(f, "{}", char::from(b))?;
                }
                write!(f, " is not {requirement}")
            }
            Self::InvalidBucketKey { key } => write!(f, "bucket key {key} is not an integer"),
            Self::BucketOutOfRange {
                bucket,
                num_buckets,
            } => write!(
                f,
                "bucket {bucket} is outside the histogram's {num_buckets} buckets"
            ),
            Self::InvalidTimestamp { text, reason } => {
                write!(f, "{text} is not an RFC 3339 timestamp: {reason}")
            }
            Self::UnsupportedVersion { found } if found.as_bytes().is_empty() => write!(
                f,
                "checkpoint version is missing (only \"{VPA_CHECKPOINT_VERSION}\" is supported)"
            ),
            Self::UnsupportedVersion { found } => write!(
                f,
                "checkpoint version {found} is not supported (only \"{VPA_CHECKPOINT_VERSION}\")"
            ),
        }
    }
}

/// Why a checkpoint's JSON was refused: where (JSON path and byte offset) and what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointImportError {
    /// The field.
    pub path: JsonPath,
    /// The byte offset in the input where the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub problem: ImportProblem,
}

impl fmt::Display for CheckpointImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (at byte {})",
            self.path, self.problem, self.offset
        )
    }
}

impl core::error::Error for CheckpointImportError {}

/// A member name, decoded into a stack buffer when short enough to be one podscale knows.
struct Name<'a> {
    raw: JsonStr<'a>,
    buf: [u8; 32],
    len: Option<usize>,
}

impl<'a> Name<'a> {
    fn of(raw: JsonStr<'a>) -> Self {
        let mut buf = [0u8; 32];
        let len = raw.decode(&mut buf).map(<[u8]>::len);
        Self { raw, buf, len }
    }

    fn decoded(&self) -> Option<&[u8]> {
        self.buf.get(..self.len?)
    }

    /// Go's field matching: exact, or else ASCII case-insensitive.
    fn is(&self, field: &str) -> bool {
        self.decoded()
            .is_some_and(|name| name.eq_ignore_ascii_case(field.as_bytes()))
    }

    fn snippet(&self) -> JsonSnippet {
        snippet_of(self.raw)
    }
}

/// The decoded text of a string for messages (its first bytes when long).
fn snippet_of(raw: JsonStr<'_>) -> JsonSnippet {
    let mut buf = [0u8; 64];
    match raw.decode(&mut buf) {
        Some(text) => JsonSnippet::new(text),
        None => {
            let mut snippet = JsonSnippet::new(&buf);
            snippet.truncated = true;
            snippet
        }
    }
}

/// A number's text for messages.
fn number_snippet(text: &str) -> JsonSnippet {
    JsonSnippet::new(text.as_bytes())
}

/// `strconv.ParseInt(text, 10, 64)`: an optional sign and decimal digits.
fn parse_i64(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate toward the sign so that i64::MIN parses.
    digits.iter().try_fold(0i64, |acc, &b| {
        let digit = i64::from(char::from(b).to_digit(10)?);
        let shifted = acc.checked_mul(10)?;
        if negative {
            shifted.checked_sub(digit)
        } else {
            shifted.checked_add(digit)
        }
    })
}

/// The status fields as read so far (Go decodes repeated members into the same value).
struct StatusScratch {
    last_update_time_ms: i64,
    first_sample_start_ms: i64,
    last_sample_start_ms: i64,
    total_samples_count: i64,
    version: JsonSnippet,
    version_offset: Option<usize>,
    cpu: HistogramScratch,
    memory: HistogramScratch,
}

struct HistogramScratch {
    reference_ms: i64,
    total_weight: f64,
    weights: [Option<u32>; VPA_NUM_BUCKETS],
}

impl HistogramScratch {
    const fn new() -> Self {
        Self {
            reference_ms: GO_ZERO_TIME_MS,
            total_weight: 0.0,
            weights: [None; VPA_NUM_BUCKETS],
        }
    }

    fn checkpoint(&self, options: HistogramOptions) -> HistogramCheckpoint {
        let mut checkpoint = HistogramCheckpoint::empty(options);
        checkpoint.reference_ms = self.reference_ms;
        checkpoint.total_weight = self.total_weight;
        for (index, weight) in self.weights.iter().enumerate() {
            if let (Some(weight), Ok(index)) = (weight, u32::try_from(index)) {
                // At most VPA_NUM_BUCKETS entries: the push cannot fail.
                let _ = checkpoint
                    .bucket_weights
                    .push(BucketWeight::new(index, *weight));
            }
        }
        checkpoint
    }
}

impl StatusScratch {
    const fn new() -> Self {
        Self {
            last_update_time_ms: GO_ZERO_TIME_MS,
            first_sample_start_ms: GO_ZERO_TIME_MS,
            last_sample_start_ms: GO_ZERO_TIME_MS,
            total_samples_count: 0,
            version: JsonSnippet {
                bytes: [0; JsonSnippet::CAPACITY],
                len: 0,
                truncated: false,
            },
            version_offset: None,
            cpu: HistogramScratch::new(),
            memory: HistogramScratch::new(),
        }
    }

    fn finish(self, end: usize) -> Result<VpaCheckpointStatus, CheckpointImportError> {
        if self.version.is_truncated()
            || self.version.as_bytes() != VPA_CHECKPOINT_VERSION.as_bytes()
        {
            return Err(CheckpointImportError {
                path: JsonPath::at("status.version"),
                offset: self.version_offset.unwrap_or(end),
                problem: ImportProblem::UnsupportedVersion {
                    found: self.version,
                },
            });
        }
        Ok(VpaCheckpointStatus {
            last_update_time_ms: self.last_update_time_ms,
            cpu_histogram: self.cpu.checkpoint(HistogramOptions::vpa_cpu()),
            memory_histogram: self.memory.checkpoint(HistogramOptions::vpa_memory()),
            first_sample_start_ms: self.first_sample_start_ms,
            last_sample_start_ms: self.last_sample_start_ms,
            total_samples_count: self.total_samples_count,
        })
    }
}

/// A syntax error at `path`.
fn syntax(path: JsonPath) -> impl Fn(LexError) -> CheckpointImportError {
    move |e| CheckpointImportError {
        path,
        offset: e.offset,
        problem: match e.error {
            SyntaxError::UnexpectedEnd => ImportProblem::UnexpectedEnd,
            SyntaxError::UnexpectedByte(byte) => ImportProblem::UnexpectedByte { byte },
            SyntaxError::InvalidEscape => ImportProblem::InvalidEscape,
            SyntaxError::ControlCharacter => ImportProblem::ControlCharacter,
            SyntaxError::TooDeep => ImportProblem::TooDeep { limit: MAX_DEPTH },
        },
    }
}

/// The lexer, with errors that carry paths.
struct Reader<'a> {
    lexer: Lexer<'a>,
}

const UINT32: &str = "an integer from 0 to 4294967295 (uint32)";
const COUNT: &str = "an integer from 0 to 9223372036854775807";
const WEIGHT: &str = "a finite number >= 0";

impl<'a> Reader<'a> {
    const fn new(json: &'a [u8]) -> Self {
        Self {
            lexer: Lexer::new(json),
        }
    }

    fn offset(&self) -> usize {
        self.lexer.offset()
    }

    fn error(
        &self,
        path: JsonPath,
        offset: usize,
        problem: ImportProblem,
    ) -> CheckpointImportError {
        CheckpointImportError {
            path,
            offset,
            problem,
        }
    }

    /// The next value's type, when it is `expected`; `None` (consumed) for `null`.
    fn expect(
        &mut self,
        path: JsonPath,
        expected: JsonType,
    ) -> Result<Option<usize>, CheckpointImportError> {
        let found = self.lexer.peek_type().map_err(syntax(path))?;
        let offset = self.offset();
        if found == JsonType::Null {
            self.lexer.null().map_err(syntax(path))?;
            return Ok(None);
        }
        if found != expected {
            return Err(self.error(path, offset, ImportProblem::WrongType { expected, found }));
        }
        Ok(Some(offset))
    }

    /// Opens an object, or consumes `null` and returns false.
    fn object_or_null(&mut self, path: JsonPath) -> Result<bool, CheckpointImportError> {
        if self.expect(path, JsonType::Object)?.is_none() {
            return Ok(false);
        }
        self.lexer.begin_object().map_err(syntax(path))?;
        Ok(true)
    }

    fn key(
        &mut self,
        path: JsonPath,
        first: &mut bool,
    ) -> Result<Option<JsonStr<'a>>, CheckpointImportError> {
        self.lexer.next_key(first).map_err(syntax(path))
    }

    fn skip(&mut self, path: JsonPath) -> Result<(), CheckpointImportError> {
        self.lexer.skip_value().map_err(syntax(path))
    }

    /// Only whitespace may follow the document.
    fn end(&mut self, path: JsonPath) -> Result<(), CheckpointImportError> {
        if self.lexer.at_end() {
            Ok(())
        } else {
            Err(self.error(path, self.offset(), ImportProblem::TrailingData))
        }
    }

    /// A number's text, or `None` for `null`.
    fn number(
        &mut self,
        path: JsonPath,
    ) -> Result<Option<(&'a str, usize)>, CheckpointImportError> {
        let Some(offset) = self.expect(path, JsonType::Number)? else {
            return Ok(None);
        };
        let text = self.lexer.number().map_err(syntax(path))?;
        Ok(Some((text, offset)))
    }

    /// An integer field (Go `int`: no fraction or exponent) that must be at least 0.
    fn count(&mut self, path: JsonPath) -> Result<Option<i64>, CheckpointImportError> {
        let Some((text, offset)) = self.number(path)? else {
            return Ok(None);
        };
        match parse_i64(text.as_bytes()).filter(|n| *n >= 0) {
            Some(n) => Ok(Some(n)),
            None => Err(self.error(
                path,
                offset,
                ImportProblem::InvalidNumber {
                    text: number_snippet(text),
                    requirement: COUNT,
                },
            )),
        }
    }

    /// A `uint32` (`strconv.ParseUint`: digits only); `null` is 0, as Go decodes it into a map.
    fn uint32(&mut self, path: JsonPath) -> Result<u32, CheckpointImportError> {
        let Some((text, offset)) = self.number(path)? else {
            return Ok(0);
        };
        let digits_only = text.bytes().all(|b| b.is_ascii_digit());
        match parse_i64(text.as_bytes()).and_then(|n| u32::try_from(n).ok()) {
            Some(n) if digits_only => Ok(n),
            _ => Err(self.error(
                path,
                offset,
                ImportProblem::InvalidNumber {
                    text: number_snippet(text),
                    requirement: UINT32,
                },
            )),
        }
    }

    /// A `float64` weight that must be finite and at least 0.
    fn weight(&mut self, path: JsonPath) -> Result<Option<f64>, CheckpointImportError> {
        let Some((text, offset)) = self.number(path)? else {
            return Ok(None);
        };
        // Rust's parser rounds correctly, as strconv.ParseFloat does; 1e400 becomes +Inf.
        match text.parse::<f64>() {
            Ok(w) if w.is_finite() && w >= 0.0 => Ok(Some(w)),
            _ => Err(self.error(
                path,
                offset,
                ImportProblem::InvalidNumber {
                    text: number_snippet(text),
                    requirement: WEIGHT,
                },
            )),
        }
    }

    /// A `metav1.Time`: an RFC 3339 string, or `null` for the zero time.
    fn time(&mut self, path: JsonPath) -> Result<i64, CheckpointImportError> {
        let Some(offset) = self.expect(path, JsonType::String)? else {
            return Ok(GO_ZERO_TIME_MS);
        };
        let text = self.lexer.string().map_err(syntax(path))?;
        let mut buf = [0u8; 64];
        let parsed = match text.decode(&mut buf) {
            Some(decoded) => rfc3339::parse_ms(decoded),
            None => Err("too long"),
        };
        parsed.map_err(|reason| {
            self.error(
                path,
                offset,
                ImportProblem::InvalidTimestamp {
                    text: snippet_of(text),
                    reason,
                },
            )
        })
    }

    fn status(&mut self, status: &mut StatusScratch) -> Result<(), CheckpointImportError> {
        let path = JsonPath::STATUS;
        if !self.object_or_null(path)? {
            return Ok(());
        }
        let mut first = true;
        while let Some(key) = self.key(path, &mut first)? {
            let name = Name::of(key);
            if name.is("lastUpdateTime") {
                status.last_update_time_ms = self.time(JsonPath::at("status.lastUpdateTime"))?;
            } else if name.is("version") {
                let path = JsonPath::at("status.version");
                if let Some(offset) = self.expect(path, JsonType::String)? {
                    let text = self.lexer.string().map_err(syntax(path))?;
                    status.version = snippet_of(text);
                    status.version_offset = Some(offset);
                }
            } else if name.is("cpuHistogram") {
                self.histogram(&CPU_PATHS, &mut status.cpu)?;
            } else if name.is("memoryHistogram") {
                self.histogram(&MEMORY_PATHS, &mut status.memory)?;
            } else if name.is("firstSampleStart") {
                status.first_sample_start_ms =
                    self.time(JsonPath::at("status.firstSampleStart"))?;
            } else if name.is("lastSampleStart") {
                status.last_sample_start_ms = self.time(JsonPath::at("status.lastSampleStart"))?;
            } else if name.is("totalSamplesCount") {
                if let Some(count) = self.count(JsonPath::at("status.totalSamplesCount"))? {
                    status.total_samples_count = count;
                }
            } else {
                self.skip(path.with(PathTail::Member(name.snippet())))?;
            }
        }
        Ok(())
    }

    fn histogram(
        &mut self,
        paths: &HistogramPaths,
        histogram: &mut HistogramScratch,
    ) -> Result<(), CheckpointImportError> {
        if !self.object_or_null(paths.whole)? {
            return Ok(());
        }
        let mut first = true;
        while let Some(key) = self.key(paths.whole, &mut first)? {
            let name = Name::of(key);
            if name.is("referenceTimestamp") {
                histogram.reference_ms = self.time(paths.reference_timestamp)?;
            } else if name.is("bucketWeights") {
                self.bucket_weights(paths.bucket_weights, &mut histogram.weights)?;
            } else if name.is("totalWeight") {
                if let Some(w) = self.weight(paths.total_weight)? {
                    histogram.total_weight = w;
                }
            } else {
                self.skip(paths.whole.with(PathTail::Member(name.snippet())))?;
            }
        }
        Ok(())
    }

    fn bucket_weights(
        &mut self,
        path: JsonPath,
        weights: &mut [Option<u32>; VPA_NUM_BUCKETS],
    ) -> Result<(), CheckpointImportError> {
        if !self.object_or_null(path)? {
            // null sets Go's map to nil.
            *weights = [None; VPA_NUM_BUCKETS];
            return Ok(());
        }
        let mut first = true;
        while let Some(key) = self.key(path, &mut first)? {
            let key_offset = key.offset();
            let snippet = snippet_of(key);
            let path = path.with(PathTail::Key(snippet));
            let mut buf = [0u8; 64];
            let index = key.decode(&mut buf).and_then(parse_i64);
            let Some(index) = index else {
                return Err(self.error(
                    path,
                    key_offset,
                    ImportProblem::InvalidBucketKey { key: snippet },
                ));
            };
            let slot = usize::try_from(index).ok().and_then(|i| weights.get_mut(i));
            let Some(slot) = slot else {
                return Err(self.error(
                    path,
                    key_offset,
                    ImportProblem::BucketOutOfRange {
                        bucket: index,
                        num_buckets: VPA_NUM_BUCKETS,
                    },
                ));
            };
            *slot = Some(self.uint32(path)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    extern crate std;
    use std::string::ToString;

    use super::*;

    fn status_error(json: &str) -> std::string::String {
        VpaCheckpointStatus::from_object_json(json.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_what_the_recommender_writes() {
        let json = br#"{"apiVersion":"autoscaling.k8s.io/v1","kind":"VerticalPodAutoscalerCheckpoint","metadata":{"creationTimestamp":"2024-05-01T10:00:00Z","labels":{},"managedFields":[{"fieldsV1":{"f:status":{".":{}}}}],"name":"x","namespace":"default","resourceVersion":"123"},"spec":{"containerName":"app","vpaObjectName":"x"},"status":{"cpuHistogram":{"bucketWeights":{"0":26,"2":10000,"10":16},"referenceTimestamp":"2024-05-01T00:00:00Z","totalWeight":14.5},"firstSampleStart":"2024-04-29T10:01:02Z","lastSampleStart":"2024-05-01T09:59:01Z","lastUpdateTime":"2024-05-01T10:00:00Z","memoryHistogram":{"bucketWeights":{"17":10000},"referenceTimestamp":"2024-05-02T00:00:00Z","totalWeight":3.2},"totalSamplesCount":2874,"version":"v3"}}"#;
        let status = VpaCheckpointStatus::from_object_json(json).unwrap();
        assert_eq!(status.last_update_time_ms, 1_714_557_600_000);
        assert_eq!(status.first_sample_start_ms, 1_714_384_862_000);
        assert_eq!(status.total_samples_count, 2874);
        let cpu = &status.cpu_histogram;
        assert_eq!(cpu.options, HistogramOptions::vpa_cpu());
        assert_eq!(cpu.reference_ms, 1_714_521_600_000);
        assert_eq!(cpu.total_weight, 14.5);
        assert_eq!(
            cpu.bucket_weights.as_slice(),
            [
                BucketWeight::new(0, 26),
                BucketWeight::new(2, 10_000),
                BucketWeight::new(10, 16)
            ]
        );
        assert_eq!(
            status.memory_histogram.options,
            HistogramOptions::vpa_memory()
        );
        assert_eq!(
            status.memory_histogram.bucket_weights.as_slice(),
            [BucketWeight::new(17, 10_000)]
        );
    }

    #[test]
    fn go_decoding_rules() {
        // Case-insensitive names, repeated members merged, last key wins, "+007" is 7, null
        // weight is 0, null time is the zero time.
        let json = br#"{"STATUS":{"Version":"v3","cpuHistogram":{"bucketWeights":{"7":1,"+007":5}},
            "cpuhistogram":{"bucketWeights":{"3":null},"referenceTimestamp":null,"totalWeight":null},
            "totalSamplesCount":null}} "#;
        let status = VpaCheckpointStatus::from_object_json(json).unwrap();
        assert_eq!(
            status.cpu_histogram.bucket_weights.as_slice(),
            [BucketWeight::new(3, 0), BucketWeight::new(7, 5)]
        );
        assert_eq!(status.cpu_histogram.reference_ms, GO_ZERO_TIME_MS);
        // bucketWeights: null clears.
        let json = br#"{"status":{"version":"v3","cpuHistogram":{"bucketWeights":{"7":1}},"cpuHistogram":{"bucketWeights":null}}}"#;
        let status = VpaCheckpointStatus::from_object_json(json).unwrap();
        assert!(status.cpu_histogram.bucket_weights.is_empty());
    }

    #[test]
    fn errors_name_the_path() {
        assert_eq!(
            status_error(
                r#"{"status":{"version":"v3","cpuHistogram":{"bucketWeights":{"12":1.5}}}}"#
            ),
            r#"status.cpuHistogram.bucketWeights["12"]: 1.5 is not an integer from 0 to 4294967295 (uint32) (at byte 64)"#
        );
        assert_eq!(
            status_error(
                r#"{"status":{"version":"v3","memoryHistogram":{"bucketWeights":{"176":1}}}}"#
            ),
            r#"status.memoryHistogram.bucketWeights["176"]: bucket 176 is outside the histogram's 176 buckets (at byte 62)"#
        );
        assert_eq!(
            status_error(r#"{"status":{"version":"v3","cpuHistogram":{"bucketWeights":{"x":1}}}}"#),
            r#"status.cpuHistogram.bucketWeights["x"]: bucket key "x" is not an integer (at byte 59)"#
        );
        assert_eq!(
            status_error(r#"{"status":{"version":"v3","cpuHistogram":{"totalWeight":-1}}}"#),
            "status.cpuHistogram.totalWeight: -1 is not a finite number >= 0 (at byte 56)"
        );
        assert_eq!(
            status_error(r#"{"status":{"version":"v3","cpuHistogram":{"totalWeight":1e400}}}"#),
            "status.cpuHistogram.totalWeight: 1e400 is not a finite number >= 0 (at byte 56)"
        );
        assert_eq!(
            status_error(r#"{"status":{"version":"v3","lastSampleStart":"2024-02-30T00:00:00Z"}}"#),
            r#"status.lastSampleStart: "2024-02-30T00:00:00Z" is not an RFC 3339 timestamp: day out of range (at byte 44)"#
        );
        assert_eq!(
            status_error(r#"{"status":{"version":"v3","totalSamplesCount":"5"}}"#),
            "status.totalSamplesCount: expected a number, found a string (at byte 46)"
        );
        assert_eq!(
            status_error(r#"{"status":{"version":"v3","totalSamplesCount":-5}}"#),
            "status.totalSamplesCount: -5 is not an integer from 0 to 9223372036854775807 (at byte 46)"
        );
        assert_eq!(
            status_error(r#"{"metadata":{"labels":{"a":tru}},"status":{}}"#),
            "metadata: unexpected character '}' (at byte 30)"
        );
        assert_eq!(
            status_error(r#"{"status":{}}"#),
            r#"status.version: checkpoint version is missing (only "v3" is supported) (at byte 13)"#
        );
        assert_eq!(
            status_error(r#"{"status":{"version":"v3"}} x"#),
            "(root): unexpected data after the document (at byte 28)"
        );
        assert_eq!(
            status_error("[]"),
            "(root): expected an object, found an array (at byte 0)"
        );
        assert_eq!(
            status_error(""),
            "(root): unexpected end of input (at byte 0)"
        );
        assert_eq!(
            status_error(r#"{"status":{"version":"v3","cpuHistogram":{"bucketWeights":{"1":1"#),
            r#"status.cpuHistogram.bucketWeights: unexpected end of input (at byte 64)"#
        );
    }

    #[test]
    fn long_and_odd_keys_are_shown_safely() {
        let err = status_error(r#"{"a\u0000very long member name that goes on and on": tru}"#);
        assert_eq!(
            err,
            r#"["a\x00very long member name …"]: unexpected character '}' (at byte 56)"#
        );
    }
}
