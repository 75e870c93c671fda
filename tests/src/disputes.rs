//! Expected values in the shared vector files that upstream's own code contradicts.
//!
//! The vector files are copied unchanged, so a wrong expected value cannot be fixed in them.
//! Each entry here names the vector, the exact failure it produces, and upstream's answer as
//! the Go harness (`tests/upstream`) computes it; the differential run (`make difftest`) asks
//! upstream the same question on every run. A disputed vector is reported as disputed, not
//! passed. If it ever passes, or fails in any other way, the entry is stale and the run fails.

/// One contradicted expectation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dispute {
    /// The vector file's name.
    pub(crate) file: &'static str,
    /// The vector's id within the file, as the report prints it.
    pub(crate) vector: &'static str,
    /// The exact failure detail the runner prints for it.
    pub(crate) detail: &'static str,
    /// Why the expectation is wrong: what upstream's own code returns for the same input.
    pub(crate) evidence: &'static str,
}

/// Every dispute. Keep each one until the shared file is corrected.
pub(crate) const DISPUTES: &[Dispute] = &[Dispute {
    file: "vpa.json",
    vector: "conv/resources_as_resource_list",
    detail: "case 6 memory_value_bytes_ceil: expected Some(839494370), got Some(839500432)",
    evidence: "ResourcesAsResourceList(memory 839500000, humanize) is \"800.61Mi\" = \
               800.61 x 2^20 = 839500431.36 bytes, whose Quantity.Value() is 839500432 \
               (vertical-pod-autoscaler v1.8.1 with apimachinery v0.37.2, run by the \
               vpa_resources_as_resource_list op of tests/upstream); the vector's note \
               multiplied wrongly",
}];

/// The dispute that `failure` (of vector `id` in `file`) is, if any.
pub(crate) fn find(file: &str, id: &str, detail: &str) -> Option<&'static Dispute> {
    DISPUTES
        .iter()
        .find(|d| d.file == file && d.vector == id && d.detail == detail)
}
