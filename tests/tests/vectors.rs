//! `cargo test` runs every copied vector file through the same runner as the command line.

use std::path::PathBuf;

#[test]
fn every_vector_file_passes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    let mut report = podscale_conformance::Report::default();
    for file in &files {
        report.merge(podscale_conformance::run_file(file));
    }
    assert!(report.failures.is_empty(), "{}", report.render());
    assert!(report.passed > 200, "only {} vectors ran", report.passed);
}
