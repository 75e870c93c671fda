//! podscale for Node.js: the podscale core's Kubernetes autoscaling decisions (the
//! HorizontalPodAutoscaler, KEDA's cron trigger and ScaledObject, the VerticalPodAutoscaler
//! recommender) and its simulator, as a napi-rs addon.
//!
//! Every export reads plain JavaScript objects with the Kubernetes field names, translates them
//! through `podscale-bindings` (the translation the Python package shares), calls the core and
//! hands back plain objects. Nothing here decides anything.

// napi-derive registers the exports only outside `cfg(test)`, so a test build sees them unused.
#![cfg_attr(test, allow(dead_code))]

mod convert;
mod error;
mod hpa;
mod keda;
mod simulate;
mod vpa;

use napi::Env;
use napi::bindgen_prelude::Object;
use napi_derive::napi;

/// Adds the error classes, which are JavaScript classes, to the exports.
#[napi(module_exports)]
pub(crate) fn module_exports(mut exports: Object<'_>, env: Env) -> napi::Result<()> {
    error::register(&env, &mut exports)
}
