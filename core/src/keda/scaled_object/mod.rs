//! ScaledObject semantics (in progress).
