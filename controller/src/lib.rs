//! The `podscale` command: the reference PodScaler controller (`podscale run`), and replays of
//! Kubernetes manifests and a demand series through the podscale core (`podscale simulate`).
//!
//! `podscale run` drives the core from cluster state: [`podscaler`] is the `PodScaler`
//! resource, its mapping onto the core's specs, its checkpointed state and one sync as methods
//! on the resource; [`reconciler`] reads the target's scale, pods and metrics and writes the
//! scale, the status and the events; [`metrics_api`] reads the metrics APIs the HPA reads, and
//! [`label_selector`] their selectors; [`leader_election`], [`telemetry`], [`ops_server`] and
//! [`shutdown`] are the operational parts, and [`manager`] runs them all. Time comes from a
//! [`clock`] the tests move.
//!
//! `podscale simulate -f MANIFEST... --demand FILE` reads a Deployment and its autoscalers (an
//! `autoscaling/v2` HorizontalPodAutoscaler, a KEDA `ScaledObject` with cron triggers, a
//! `VerticalPodAutoscaler`) as they are written for a cluster, a demand series (a CSV, or the
//! JSON of a Prometheus `query_range` answer with one series per pod), and runs
//! [`podscale::sim`] on them: a timeline table on the terminal, a CSV and an SVG plot.
//! `podscale demo` replays the three walkthroughs of `examples/walkthroughs/`.
//!
//! Each concern is one module: [`manifest`] (the Kubernetes objects and their mapping onto the
//! core's specs), [`demand_csv`] and [`prometheus`] (demand series), [`simulate`] (the
//! scenario and the run), [`timeline`] (table and CSV), [`plot`] (SVG), [`progress`],
//! [`cli`] and [`demo`]. Nothing here decides anything: every decision is the core's.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// `[reconcileAutoscaler]` names the upstream function a rule comes from, as in the core; they
// are not links.
#![allow(rustdoc::broken_intra_doc_links)]
// The command never panics on any input: bad files are errors naming the file and the field.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::todo,
    clippy::unimplemented
)]

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cluster")]
pub mod clock;
pub mod demand_csv;
#[cfg(feature = "cli")]
pub mod demo;
pub mod error;
#[cfg(feature = "cluster")]
pub mod label_selector;
#[cfg(feature = "cluster")]
pub mod leader_election;
#[cfg(feature = "cluster")]
pub mod manager;
pub mod manifest;
#[cfg(feature = "cluster")]
pub mod metrics_api;
#[cfg(feature = "cluster")]
pub mod ops_server;
#[cfg(feature = "cli")]
pub mod plot;
#[cfg(feature = "cluster")]
pub mod podscaler;
#[cfg(feature = "cli")]
pub mod progress;
pub mod prometheus;
#[cfg(feature = "cluster")]
pub mod reconciler;
#[cfg(feature = "cluster")]
pub mod shutdown;
pub mod simulate;
#[cfg(feature = "cluster")]
pub mod telemetry;
pub mod time;
pub mod timeline;
