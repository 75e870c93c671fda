//! Test support shared by the controller's test files.

pub(crate) mod cluster;
