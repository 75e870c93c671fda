//! # podscale
//!
//! The decision logic of Kubernetes autoscaling as a deterministic, allocation-free core.
//!
//! This crate is `#![no_std]` and never allocates: every list it keeps has a capacity fixed at
//! compile time (const generics, [`heapless`]) and every list it reads is a slice the caller owns.
//! Time is an input (`i64` Unix milliseconds), never read from a clock, so the same inputs give
//! the same decision on any machine, including `thumbv7em-none-eabihf` and
//! `wasm32-unknown-unknown`.
//!
//! | module | upstream |
//! | --- | --- |
//! | [`hpa`] | the HorizontalPodAutoscaler controller of Kubernetes v1.37 |
//! | [`checkpoint`] | (podscale's own) a versioned envelope for saved state |
//!
//! Every public function is total: invalid input is an error value naming the field and the bad
//! value, never a panic.
//!
//! # Example
//!
//! One sync of an HPA targeting 50% CPU on pods that request 200m and use 180m each:
//!
//! ```
//! use podscale::hpa::*;
//!
//! let requests = [ResourceAmount::new("cpu", 200)];
//! let containers = [Container::new("app", &requests)];
//! let pods = [Pod::running_ready("web-0", &containers), Pod::running_ready("web-1", &containers)];
//! let usage = [ResourceAmount::new("cpu", 180)];
//! let usage_per_container = [ContainerUsage::new("app", &usage)];
//! let samples = [
//!     PodResourceMetrics::new("web-0", 0, 30_000, &usage_per_container),
//!     PodResourceMetrics::new("web-1", 0, 30_000, &usage_per_container),
//! ];
//! let spec = HpaSpec::new(1, 10, &[MetricSpec::resource_utilization("cpu", 50)])?;
//! let data = [MetricData::Resource(&samples)];
//! let observation = Observation::new(2, 2, &pods, &data);
//!
//! let mut state: HpaState = HpaState::new();
//! let decision = decide(&spec, &ControllerConfig::default(), &mut state, &observation, 0)?;
//! assert_eq!(decision.desired_replicas, 4); // 90% of request against a 50% target
//! # Ok::<(), podscale::hpa::HpaError>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Docs name the upstream function each rule is ported from in brackets, `[groupPods]`: a
// reference for readers to check against upstream, not a link to an item of this crate.
#![allow(rustdoc::broken_intra_doc_links)]
// Never panic: every shortcut that can panic (unwrap, indexing, overflowing arithmetic) is spelled
// out as a checked or saturating operation instead.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod checkpoint;
pub mod civil_date;
pub mod cron;
mod go_float;
pub mod hpa;
pub mod keda;
pub mod sim;
pub mod vpa;

// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
