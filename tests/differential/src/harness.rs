//! The upstream side: one long-lived `upstream-harness` process (the Go module in
//! `tests/upstream/`), asked one case at a time over JSON lines.

use std::fmt;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde::Serialize;
use serde_json::Value;

/// A running harness process.
#[derive(Debug)]
pub struct Harness {
    child: Child,
    requests: BufWriter<ChildStdin>,
    answers: BufReader<ChildStdout>,
    line: String,
}

/// Why the harness gave no answer. Upstream's own errors (a replica calculator that finds no
/// metrics, say) are answers, not faults: the op puts them in its result.
#[derive(Debug)]
pub enum HarnessFault {
    /// Writing the request or reading the answer failed (the process died, most likely).
    Io(io::Error),
    /// The answer line was not JSON, or had neither `result` nor `fault`.
    Malformed(String),
    /// The harness could not run the request: unknown op, or a case it could not decode.
    Refused(String),
}

impl fmt::Display for HarnessFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "upstream harness i/o: {e}"),
            Self::Malformed(line) => write!(f, "upstream harness answered {line:?}"),
            Self::Refused(why) => write!(f, "upstream harness refused the case: {why}"),
        }
    }
}

impl std::error::Error for HarnessFault {}

impl From<io::Error> for HarnessFault {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

#[derive(Serialize)]
struct Request<'a, C> {
    op: &'a str,
    case: &'a C,
}

impl Harness {
    /// Starts the harness binary at `path`. Its stderr (upstream's klog lines) is passed through.
    ///
    /// # Errors
    /// When the binary cannot be started.
    pub fn spawn(path: &Path) -> io::Result<Self> {
        let mut child = Command::new(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let requests = child.stdin.take().map(BufWriter::new);
        let answers = child.stdout.take().map(BufReader::new);
        match (requests, answers) {
            (Some(requests), Some(answers)) => Ok(Self {
                child,
                requests,
                answers,
                line: String::new(),
            }),
            _ => Err(io::Error::other("harness pipes were not opened")),
        }
    }

    /// Sends `case` to the upstream op `op` and returns its `result`.
    ///
    /// # Errors
    /// See [`HarnessFault`].
    pub fn ask<C: Serialize>(&mut self, op: &str, case: &C) -> Result<Value, HarnessFault> {
        serde_json::to_writer(&mut self.requests, &Request { op, case })
            .map_err(|e| HarnessFault::Io(e.into()))?;
        self.requests.write_all(b"\n")?;
        self.requests.flush()?;
        self.line.clear();
        if self.answers.read_line(&mut self.line)? == 0 {
            return Err(HarnessFault::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the harness closed its output",
            )));
        }
        let mut answer: Value = serde_json::from_str(&self.line)
            .map_err(|_| HarnessFault::Malformed(self.line.clone()))?;
        if let Some(fault) = answer.get("fault").and_then(Value::as_str) {
            return Err(HarnessFault::Refused(fault.to_owned()));
        }
        answer
            .get_mut("result")
            .map(Value::take)
            .ok_or_else(|| HarnessFault::Malformed(self.line.clone()))
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Closing stdin ends the harness's read loop; wait so no zombie is left behind.
        let _ = self.requests.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
