//! `podscale-conformance FILE...`: runs vector files, prints one line per failing vector and
//! `N passed, M failed`, and exits non-zero on any failure.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: podscale-conformance FILE...");
        return ExitCode::from(2);
    }
    let mut report = podscale_conformance::Report::default();
    for file in &files {
        report.merge(podscale_conformance::run_file(Path::new(file)));
    }
    print!("{}", report.render());
    if report.failures.is_empty() && report.passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
