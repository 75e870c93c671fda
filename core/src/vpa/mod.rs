//! The VerticalPodAutoscaler recommender of kubernetes/autoscaler (VPA 1.7/1.8 line), bit-exact:
//! histograms, the container model, estimators, post-processing and the updater's priority.

mod histogram;
mod recommendation;

pub use histogram::*;
pub use recommendation::*;
