//! Runs conformance vector files (schemas in `shared/specs/`) through the podscale core.
//!
//! Each file names its family (`hpa`, later `keda` and `vpa`); each vector either passes or
//! fails with a line saying what was expected and what came out. A malformed vector, an unknown
//! suite or an unknown family is a failure, never a skip.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

mod disputes;
mod hpa;
mod json;
mod keda;
mod keda_cron;
mod keda_scaled_object;
mod time;
mod vpa;
mod vpa_histogram;
mod vpa_recommendation;

/// The outcome of one vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `file:suite/name`.
    pub id: String,
    /// What went wrong: `expected …, got …`, or why the vector could not be run.
    pub detail: String,
}

/// The outcome of one or more files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Vectors that passed.
    pub passed: usize,
    /// Vectors that failed, in file order.
    pub failures: Vec<Failure>,
    /// Vectors whose expected value upstream's own code contradicts (see `disputes.rs`):
    /// neither passed nor failed, each with the evidence.
    pub disputed: Vec<Failure>,
}

impl Report {
    /// Adds another report's counts and failures.
    pub fn merge(&mut self, other: Report) {
        self.passed += other.passed;
        self.failures.extend(other.failures);
        self.disputed.extend(other.disputed);
    }

    /// One line per failure and per dispute, then `N passed, M failed` (and `, K disputed`
    /// when there are any).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.disputed {
            let _ = writeln!(out, "DISPUTED {}: {}", f.id, f.detail);
        }
        for f in &self.failures {
            let _ = writeln!(out, "FAIL {}: {}", f.id, f.detail);
        }
        let _ = write!(
            out,
            "{} passed, {} failed",
            self.passed,
            self.failures.len()
        );
        if !self.disputed.is_empty() {
            let _ = write!(out, ", {} disputed", self.disputed.len());
        }
        out.push('\n');
        out
    }
}

/// Runs every vector of the file at `path`.
pub fn run_file(path: &Path) -> Report {
    let label = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let failed = |detail: String| Report {
        passed: 0,
        failures: vec![Failure {
            id: label.clone(),
            detail,
        }],
        disputed: Vec::new(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return failed(format!("cannot read: {e}")),
    };
    let doc: Value = match serde_json::from_str(&text) {
        Ok(doc) => doc,
        Err(e) => return failed(format!("not JSON: {e}")),
    };
    run_document(&label, &doc)
}

/// Runs every vector of a parsed vector file.
///
/// `hpa` files hold one `vectors` array whose entries name their suite; `keda` files hold one
/// array per suite, keyed by the suite's name.
pub fn run_document(label: &str, doc: &Value) -> Report {
    let family = doc.get("family").and_then(Value::as_str).unwrap_or("");
    let mut cases: Vec<(String, &Value)> = Vec::new();
    let mut report = Report::default();
    let fail = |id: String, detail: String| Failure { id, detail };
    match family {
        "hpa" => match doc.get("vectors").and_then(Value::as_array) {
            Some(vectors) => {
                for (index, vector) in vectors.iter().enumerate() {
                    let suite = vector.get("suite").and_then(Value::as_str).unwrap_or("?");
                    let name = vector
                        .get("name")
                        .and_then(Value::as_str)
                        .map_or_else(|| format!("#{index}"), String::from);
                    cases.push((format!("{suite}/{name}"), vector));
                }
            }
            None => report
                .failures
                .push(fail(label.into(), "no \"vectors\" array".into())),
        },
        "vpa" => match doc.get("vectors").and_then(Value::as_array) {
            Some(vectors) => {
                for (index, vector) in vectors.iter().enumerate() {
                    let id = vector
                        .get("id")
                        .and_then(Value::as_str)
                        .map_or_else(|| format!("#{index}"), String::from);
                    cases.push((id, vector));
                }
            }
            None => report
                .failures
                .push(fail(label.into(), "no \"vectors\" array".into())),
        },
        "keda" => match doc.as_object() {
            Some(object) => {
                // Every array at the top level is a suite; other keys describe the file.
                for (suite, vectors) in object {
                    let Some(vectors) = vectors.as_array() else {
                        continue;
                    };
                    if !keda::SUITES.contains(&suite.as_str()) {
                        report
                            .failures
                            .push(fail(format!("{label}:{suite}"), "unknown suite".into()));
                        continue;
                    }
                    let counted = doc
                        .get("counts")
                        .and_then(|c| c.get(suite))
                        .and_then(Value::as_u64);
                    if counted.is_some_and(|n| n != vectors.len() as u64) {
                        report.failures.push(fail(
                            format!("{label}:{suite}"),
                            format!(
                                "counts says {counted:?} vectors, the suite has {}",
                                vectors.len()
                            ),
                        ));
                    }
                    for (index, vector) in vectors.iter().enumerate() {
                        let id = vector
                            .get("id")
                            .and_then(Value::as_str)
                            .map_or_else(|| format!("#{index}"), String::from);
                        cases.push((format!("{suite}/{id}"), vector));
                    }
                }
            }
            None => report
                .failures
                .push(fail(label.into(), "not a JSON object".into())),
        },
        other => report.failures.push(fail(
            label.into(),
            format!("unknown vector family {other:?}"),
        )),
    }
    for (case, vector) in cases {
        let outcome = match family {
            "hpa" => hpa::run(vector),
            "vpa" => vpa::run(vector),
            _ => keda::run(case.split('/').next().unwrap_or(""), vector),
        };
        let dispute = disputes::DISPUTES
            .iter()
            .find(|d| d.file == label && d.vector == case);
        match (outcome, dispute) {
            (Ok(()), None) => report.passed += 1,
            (Ok(()), Some(_)) => report.failures.push(fail(
                format!("{label}:{case}"),
                "passes, but is listed as disputed: remove its entry from disputes.rs".into(),
            )),
            (Err(detail), _) => match disputes::find(label, &case, &detail) {
                Some(d) => report.disputed.push(fail(
                    format!("{label}:{case}"),
                    format!("{detail}; upstream's own code: {}", d.evidence),
                )),
                None => report
                    .failures
                    .push(fail(format!("{label}:{case}"), detail)),
            },
        }
    }
    report
}
