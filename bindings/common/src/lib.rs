//! # podscale-bindings
//!
//! The owned, serde-typed requests and answers over the [`podscale`] core that the Python and
//! Node packages wrap, so both read the same Kubernetes field names, refuse the same inputs
//! with the same field paths, and give the same answers.
//!
//! - Requests are the manifests' own shapes, field names as in YAML (`minReplicas`,
//!   `scaleTargetRef`, `stabilizationWindowSeconds`): an `autoscaling/v2` HPA spec is read into
//!   the controller crate's [`HpaSpecManifest`](podscale_controller::manifest::hpa::HpaSpecManifest).
//!   Each binding deserializes them from its own values (`pythonize`, napi's serde) with
//!   [`decode::decode`], which names the first bad field (`metrics[0].resource.target.averageUtilization`).
//! - Units ([`units`]): instants are Unix milliseconds or RFC 3339 text, durations seconds or
//!   Go text (`"1m30s"`), quantities strings (`"200m"`, `"250Mi"`) or numbers.
//! - Answers serialize with the same names; series come back as columns ([`hpa::ReplayColumns`]).
//! - State the caller owns ([`hpa::HpaState`], [`keda::ScaledObjectState`], the VPA's
//!   aggregates and histograms) round-trips through serde exactly.
//! - One error type, [`Error`]: kind, field path, bad value, message.
//!
//! Nothing here decides: every rule is the core's.
//!
//! | module | what |
//! | --- | --- |
//! | [`hpa`] | HorizontalPodAutoscaler: decisions, replays, the controller's pieces |
//! | [`keda`] | KEDA: cron schedules and triggers, ScaledObject polls, the generated HPA |
//! | [`vpa`] | VerticalPodAutoscaler recommender: histograms, aggregates, recommendations, capping |
//! | [`simulate`] | the `podscale simulate` run from manifests and a demand series |

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Docs name the upstream function a request mirrors in brackets, `[groupPods]`, as core does: a
// reference for readers, not a link to an item of this crate.
#![allow(rustdoc::broken_intra_doc_links)]

pub mod decode;
pub mod error;
pub mod hpa;
pub mod keda;
pub mod simulate;
pub mod units;
pub mod vpa;

pub use error::{Error, ErrorKind, Result};
