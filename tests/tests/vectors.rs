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

/// The disputed vector, with its case 6 memory expectation replaced by `expected`.
fn disputed_vector_expecting(expected: u64) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors/vpa.json");
    let text = std::fs::read_to_string(path).expect("vpa.json is readable");
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("vpa.json is JSON");
    let vectors = doc["vectors"].as_array_mut().expect("a vectors array");
    vectors.retain(|v| v["id"] == "conv/resources_as_resource_list");
    assert_eq!(vectors.len(), 1, "the disputed vector is in vpa.json");
    vectors[0]["expected"]["results"][6]["memory_value_bytes_ceil"] = expected.into();
    doc
}

#[test]
fn the_disputed_vector_is_reported_as_disputed_not_passed() {
    let report =
        podscale_conformance::run_document("vpa.json", &disputed_vector_expecting(839_494_370));
    assert_eq!(
        (report.passed, report.failures.len(), report.disputed.len()),
        (0, 0, 1)
    );
    assert!(
        report
            .render()
            .ends_with("0 passed, 0 failed, 1 disputed\n")
    );
}

#[test]
fn a_dispute_that_no_longer_fails_is_stale() {
    // Upstream's own answer: the corrected vector passes, so the dispute entry must go.
    let report =
        podscale_conformance::run_document("vpa.json", &disputed_vector_expecting(839_500_432));
    assert_eq!((report.passed, report.disputed.len()), (0, 0));
    assert_eq!(report.failures.len(), 1);
    assert!(report.failures[0].detail.contains("listed as disputed"));
}

#[test]
fn a_disputed_vector_failing_differently_is_a_failure() {
    let report = podscale_conformance::run_document("vpa.json", &disputed_vector_expecting(1));
    assert_eq!(
        (report.passed, report.failures.len(), report.disputed.len()),
        (0, 1, 0)
    );
}
