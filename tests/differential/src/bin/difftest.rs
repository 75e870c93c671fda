//! `difftest`: runs random inputs through podscale and through upstream's Go code.
//!
//! ```text
//! difftest --harness PATH [--cases N] [--seed S] [FAMILY...]
//! ```
//!
//! FAMILY is any of `hpa`, `cron`, `vpa` (all when none is named). Exits non-zero on any
//! disagreement, printing each as a minimal reproducer.

use std::path::PathBuf;
use std::process::ExitCode;

use podscale_differential::{Harness, HarnessFault, RunFault, Summary, cron, hpa, run, vpa};

struct Args {
    harness: PathBuf,
    cases: u64,
    seed: u64,
    families: Vec<String>,
}

const FAMILIES: &[&str] = &["hpa", "cron", "vpa"];

fn parse_args() -> Result<Args, String> {
    let mut harness = None;
    let mut cases = 3_000;
    let mut seed = 0;
    let mut families = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--harness" => harness = Some(PathBuf::from(value("--harness")?)),
            "--cases" => {
                let v = value("--cases")?;
                cases = v
                    .parse()
                    .map_err(|_| format!("--cases: not a count: {v:?}"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = v
                    .parse()
                    .map_err(|_| format!("--seed: not a number: {v:?}"))?;
            }
            f if FAMILIES.contains(&f) => families.push(f.to_owned()),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; families are {FAMILIES:?}"
                ));
            }
        }
    }
    let harness = harness.ok_or("--harness PATH is required (make builds it)")?;
    if families.is_empty() {
        families = FAMILIES.iter().map(|f| (*f).to_owned()).collect();
    }
    Ok(Args {
        harness,
        cases,
        seed,
        families,
    })
}

fn run_family(
    name: &str,
    harness: &mut Harness,
    cases: u64,
    seed: u64,
) -> Result<Summary, RunFault> {
    match name {
        "hpa" => run::<hpa::Hpa>(harness, cases, seed),
        "cron" => run::<cron::Cron>(harness, cases, seed),
        "vpa" => run::<vpa::Vpa>(harness, cases, seed),
        _ => Err(RunFault {
            fault: HarnessFault::Refused(format!("family {name} has no driver")),
            case: None,
        }),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("difftest: {why}");
            return ExitCode::from(2);
        }
    };
    let mut harness = match Harness::spawn(&args.harness) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("difftest: cannot start the harness: {e}");
            return ExitCode::from(2);
        }
    };
    let mut disagreements = 0;
    for family in &args.families {
        let summary = match run_family(family, &mut harness, args.cases, args.seed) {
            Ok(s) => s,
            Err(fault) => {
                eprintln!("difftest: {family}: {fault}");
                return ExitCode::from(2);
            }
        };
        for d in &summary.disagreements {
            println!("DISAGREE {family}: {}", d.case);
            println!("  podscale: {}", d.podscale);
            println!("  upstream: {}", d.upstream);
        }
        println!(
            "{family}: {} cases, {} disagreements (seed {})",
            summary.cases,
            summary.disagreements.len(),
            args.seed
        );
        disagreements += summary.disagreements.len();
    }
    if disagreements == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
