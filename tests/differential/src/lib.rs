//! Differential testing of the podscale core against the upstream Go code itself.
//!
//! Each [`Family`] generates random but valid inputs, computes podscale's answer, asks the Go
//! harness in `tests/upstream/` for upstream's answer to the same input, and says whether the
//! two agree. [`run`] drives a family for a number of cases with proptest, so that every
//! disagreement is shrunk to a minimal reproducer before it is reported.
//!
//! Inputs on which upstream itself is undefined (integer overflow in Go, Go map iteration order)
//! are never generated; each family's generator says where it avoids them and why.

use std::fmt::Debug;

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;

pub mod cron;
pub mod harness;
pub mod hpa;
pub mod vpa;

pub use harness::{ANSWER_TIMEOUT, Harness, HarnessFault};

/// One kind of input, run through both sides.
pub trait Family {
    /// The name used on the command line and in reports (`hpa`, `cron`, `vpa`).
    const NAME: &'static str;
    /// One generated input. Its JSON form is the reproducer printed for a disagreement.
    type Case: Debug + Clone + Serialize;

    /// Random valid inputs.
    fn cases() -> BoxedStrategy<Self::Case>;

    /// Runs `case` through podscale and through upstream (via `harness`).
    ///
    /// # Errors
    /// [`Verdict::Disagree`] with both answers when they differ; [`Verdict::Fault`] when the
    /// harness could not answer.
    fn check(case: &Self::Case, harness: &mut Harness) -> Result<(), Verdict>;
}

/// Why a case did not pass.
#[derive(Debug)]
pub enum Verdict {
    /// podscale and upstream answered differently.
    Disagree {
        /// podscale's answer, as JSON or prose.
        podscale: String,
        /// upstream's answer, as JSON or prose.
        upstream: String,
    },
    /// The harness failed; the run stops.
    Fault(HarnessFault),
}

impl From<HarnessFault> for Verdict {
    fn from(fault: HarnessFault) -> Self {
        Self::Fault(fault)
    }
}

impl Verdict {
    /// A disagreement between two answers that serialize to JSON.
    pub fn disagree(podscale: &impl Serialize, upstream: &impl Serialize) -> Self {
        Self::Disagree {
            podscale: to_json(podscale),
            upstream: to_json(upstream),
        }
    }
}

/// `value` as one line of JSON (for reports; a value that cannot be serialized says so).
pub fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("<not serializable: {e}>"))
}

/// A disagreement, shrunk to a minimal input.
#[derive(Debug)]
pub struct Disagreement {
    /// The minimal input, as JSON.
    pub case: String,
    /// podscale's answer to it.
    pub podscale: String,
    /// upstream's answer to it.
    pub upstream: String,
}

/// What a run of one family found.
#[derive(Debug, Default)]
pub struct Summary {
    /// Cases run (shrinking steps not counted).
    pub cases: u64,
    /// Every disagreement found, each shrunk; at most [`MAX_REPORTED`].
    pub disagreements: Vec<Disagreement>,
}

/// A run stops after this many distinct disagreements: past that, the first ones need fixing.
pub const MAX_REPORTED: usize = 10;

/// Shrinking asks the harness once per step; bound it so a pathological case still ends.
const MAX_SHRINK_STEPS: u32 = 4_096;

/// Why a run stopped early: the harness failed, on this case if there was one.
#[derive(Debug)]
pub struct RunFault {
    /// What went wrong.
    pub fault: HarnessFault,
    /// The case being asked, as JSON: the reproducer of an upstream panic or hang.
    pub case: Option<String>,
}

impl std::fmt::Display for RunFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.case {
            Some(case) => write!(f, "{} on case {case}", self.fault),
            None => write!(f, "{}", self.fault),
        }
    }
}

impl std::error::Error for RunFault {}

/// Runs `cases` random inputs of family `F`, from `seed`, and shrinks each disagreement.
///
/// Progress goes to stderr every 10,000 cases so long runs show they are alive.
///
/// # Errors
/// When the harness fails (it died, hung, or refused a case it should understand), with the
/// case it was asked.
pub fn run<F: Family>(harness: &mut Harness, cases: u64, seed: u64) -> Result<Summary, RunFault> {
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = F::cases();
    let mut summary = Summary::default();
    while summary.cases < cases && summary.disagreements.len() < MAX_REPORTED {
        let mut tree = strategy.new_tree(&mut runner).map_err(|why| RunFault {
            fault: HarnessFault::Refused(format!("cannot generate a {} case: {why}", F::NAME)),
            case: None,
        })?;
        summary.cases += 1;
        if summary.cases % 10_000 == 0 {
            eprintln!("{}: {} of {cases} cases", F::NAME, summary.cases);
        }
        let Some(answers) = disagreement::<F>(&tree.current(), harness)? else {
            continue;
        };
        summary
            .disagreements
            .push(shrink::<F>(&mut tree, answers, harness)?);
    }
    Ok(summary)
}

/// `Some((podscale, upstream))` when the two answer `case` differently.
fn disagreement<F: Family>(
    case: &F::Case,
    harness: &mut Harness,
) -> Result<Option<(String, String)>, RunFault> {
    match F::check(case, harness) {
        Ok(()) => Ok(None),
        Err(Verdict::Disagree { podscale, upstream }) => Ok(Some((podscale, upstream))),
        Err(Verdict::Fault(fault)) => Err(RunFault {
            fault,
            case: Some(to_json(case)),
        }),
    }
}

/// proptest's shrinking walk: simplify while the case still disagrees, step back when it stops.
fn shrink<F: Family>(
    tree: &mut impl ValueTree<Value = F::Case>,
    answers: (String, String),
    harness: &mut Harness,
) -> Result<Disagreement, RunFault> {
    let mut smallest = (tree.current(), answers);
    let mut still_failing = true;
    for _ in 0..MAX_SHRINK_STEPS {
        let moved = if still_failing {
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !moved {
            break;
        }
        let case = tree.current();
        match disagreement::<F>(&case, harness)? {
            Some(answers) => {
                smallest = (case, answers);
                still_failing = true;
            }
            None => still_failing = false,
        }
    }
    let (case, (podscale, upstream)) = smallest;
    Ok(Disagreement {
        case: to_json(&case),
        podscale,
        upstream,
    })
}
