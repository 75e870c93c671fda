//! The upstream side: one long-lived `upstream-harness` process (the Go module in
//! `tests/upstream/`), asked one case at a time over JSON lines.

use std::fmt;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// How long one answer may take. Upstream answers in microseconds; an input that makes it loop
/// (robfig's search across a skipped calendar day does) must stop the run, not hang it.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A running harness process.
#[derive(Debug)]
pub struct Harness {
    child: Child,
    requests: BufWriter<ChildStdin>,
    /// Answer lines, read on their own thread so that waiting for one can time out.
    answers: Receiver<io::Result<String>>,
}

/// Why the harness gave no answer. Upstream's own errors (a replica calculator that finds no
/// metrics, say) are answers, not faults: the op puts them in its result.
#[derive(Debug)]
pub enum HarnessFault {
    /// Writing the request or reading the answer failed (the process died, most likely).
    Io(io::Error),
    /// The answer line was not JSON, or had neither `result` nor `fault`.
    Malformed(String),
    /// No answer within [`ANSWER_TIMEOUT`]; the harness was stopped.
    Timeout,
    /// The harness could not run the request: unknown op, or a case it could not decode.
    Refused(String),
}

impl fmt::Display for HarnessFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "upstream harness i/o: {e}"),
            Self::Malformed(line) => write!(f, "upstream harness answered {line:?}"),
            Self::Timeout => write!(f, "upstream harness gave no answer in {ANSWER_TIMEOUT:?}"),
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
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("harness pipes were not opened"));
        };
        let (send, answers) = channel();
        // Ends when the harness closes its output (it exited or was killed) or we hang up.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            requests: BufWriter::new(stdin),
            answers,
        })
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
        let line = match self.answers.recv_timeout(ANSWER_TIMEOUT) {
            Ok(line) => line?,
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                return Err(HarnessFault::Timeout);
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(HarnessFault::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the harness closed its output",
                )));
            }
        };
        let mut answer: Value =
            serde_json::from_str(&line).map_err(|_| HarnessFault::Malformed(line.clone()))?;
        if let Some(fault) = answer.get("fault").and_then(Value::as_str) {
            return Err(HarnessFault::Refused(fault.to_owned()));
        }
        answer
            .get_mut("result")
            .map(Value::take)
            .ok_or(HarnessFault::Malformed(line))
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // The harness holds no state worth a graceful end; wait so no zombie is left behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
