//! The hpa family: podscale's HPA against kube-controller-manager's own code (v1.37.2).
//!
//! Two kinds of case, each answered by one harness op (`tests/upstream/hpa*.go`):
//!
//! - [`replicas::ReplicaCase`], op `hpa_replicas`: one metric through the replica calculator
//!   (upstream's seven `Get*Replicas` methods; podscale's [`podscale::hpa::ReplicaCalculator`]).
//! - [`normalize::NormalizeCase`], op `hpa_normalize`: what the controller makes of the metrics'
//!   proposal: stabilization, the rate policies of `behavior` (or the legacy limits without it),
//!   min and max, the conditions they set, and the history and scale events they leave
//!   (upstream's `normalizeDesiredReplicas[WithBehaviors]` then `storeScaleEvent`; podscale's
//!   [`podscale::hpa::decide`] then [`podscale::hpa::HpaState::complete_rescale`]).
//!
//! # Time
//!
//! Instants that upstream compares with `time.Now()` travel as ages in whole seconds. The
//! harness places them before the instant it reads while building the inputs and calls upstream
//! strictly later (by well under a second); podscale gets the same ages before instant 0 and
//! decides at [`NOW_MS`] = 1 ms. Every strict comparison then agrees on both sides, exact
//! boundaries included (an age equal to a window is "not after the cutoff" and "before the
//! cutoff" in both), which the generators aim at deliberately. That needs upstream to decide
//! less than a second after the harness's instant; a call that ends later (a stalled machine)
//! is a harness fault, never an answer, so it cannot show up as a disagreement.

use proptest::prelude::*;
use serde::Serialize;

use crate::{Family, Harness, Verdict};

pub mod normalize;
pub mod replicas;

/// The instant podscale decides at: 1 ms after the instant the ages count back from.
pub const NOW_MS: i64 = 1;

/// The instant `age_s` whole seconds before the reference instant, in podscale's milliseconds.
pub(crate) const fn instant_ms(age_s: i64) -> i64 {
    -age_s * 1000
}

/// The age in whole seconds podscale reports for an instant: `None` for one recorded during
/// the decision (at [`NOW_MS`]), as the harness reports instants stamped by upstream itself.
pub(crate) const fn age_of(instant_ms: i64) -> Option<i64> {
    if instant_ms == NOW_MS {
        None
    } else {
        Some(-instant_ms / 1000)
    }
}

/// The hpa family.
#[derive(Debug)]
pub struct Hpa;

/// One hpa case.
#[derive(Debug, Clone, Serialize)]
pub enum HpaCase {
    /// One metric through the replica calculator.
    Replicas(replicas::ReplicaCase),
    /// The normalization of a proposal.
    Normalize(normalize::NormalizeCase),
}

impl Family for Hpa {
    const NAME: &'static str = "hpa";
    type Case = HpaCase;

    fn cases() -> BoxedStrategy<HpaCase> {
        prop_oneof![
            3 => replicas::cases().prop_map(HpaCase::Replicas),
            2 => normalize::cases().prop_map(HpaCase::Normalize),
        ]
        .boxed()
    }

    fn check(case: &HpaCase, harness: &mut Harness) -> Result<(), Verdict> {
        match case {
            HpaCase::Replicas(case) => replicas::check(case, harness),
            HpaCase::Normalize(case) => normalize::check(case, harness),
        }
    }
}

/// `value` decoded as `T`, or a fault naming what the harness sent.
pub(crate) fn from_upstream<T: serde::de::DeserializeOwned>(
    op: &str,
    value: serde_json::Value,
) -> Result<T, Verdict> {
    serde_json::from_value(value.clone()).map_err(|why| {
        Verdict::Fault(crate::HarnessFault::Refused(format!(
            "{op}: unexpected answer {value}: {why}"
        )))
    })
}
