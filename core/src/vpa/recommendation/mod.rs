//! The container model, estimators, the pod recommender, capping and the updater's priority.
//!
//! The flow follows upstream's: each pod's container is a [`ContainerState`] that filters its
//! samples (CPU deduplication, one memory peak per window, OOMs as bumped-up peaks) into the
//! [`AggregateContainerState`] of its container name; [`recommend_pod`] turns the aggregates
//! into target, lower and upper bound (percentile, safety margin, confidence, per-container
//! minimum); [`apply_vpa_policy`] bounds them before the status is written; the updater caps
//! them for a pod ([`apply_capping`]) and ranks pods for eviction ([`update_priority`],
//! [`should_update`], [`sort_by_priority`]). The histograms sit behind [`SampleHistogram`].
//!
//! Amounts are integer millicores (`*_m`) and bytes (`*_bytes`), instants Unix milliseconds
//! (`*_ms`), with Go's zero time as [`GO_ZERO_TIME_MS`](crate::vpa::GO_ZERO_TIME_MS). Each
//! function names the upstream function it ports in brackets.
//!
//! ```
//! use podscale::vpa::*;
//!
//! let mut aggregate = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
//! let mut container = ContainerState::new();
//! let start = 1_700_000_000_000;
//! for minute in 0..60 {
//!     let t = start + minute * 60_000;
//!     container.add_cpu_sample(&mut aggregate, t, 500)?; // half a core
//!     container.add_memory_sample(&mut aggregate, t, 4 << 20)?; // 4 MiB
//! }
//! let list = recommend_pod::<_, 1>(&RecommenderConfig::default(), &[("app", &aggregate)])?;
//! let target = resources_as_resource_list(list[0].target, &RecommendationFormat::default());
//! // 500m lands in the bucket ending at 511m, plus the 15% margin; memory is the pod minimum.
//! assert_eq!(target.to_string(), "cpu: 587m, memory: 250Mi");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aggregate_state;
mod capping;
mod container_recommendation;
mod container_state;
mod estimator;
mod integer_cpu;
mod limit_range;
mod pod;
mod pod_recommender;
mod policy;
mod proportional_limit;
mod quantity;
mod resources;
mod sample_histogram;
mod update_priority;

pub use aggregate_state::{AggregateContainerState, AggregationConfig, MIN_SAMPLE_WEIGHT};
pub use capping::{
    CappedRecommendation, CappingAction, CappingAnnotation, CappingError, MAX_CAPPING_ANNOTATIONS,
    apply_capping, apply_pod_limit_range, apply_vpa_policy,
};
pub use container_recommendation::{RecommendationField, RecommendedContainerResources};
pub use container_state::{ContainerState, OomError};
pub use estimator::{
    LOWER_BOUND_CONFIDENCE, UPPER_BOUND_CONFIDENCE, confidence, cpu_percentile, memory_percentile,
    with_confidence_multiplier, with_margin, with_min_resource,
};
pub use integer_cpu::{INTEGER_CPU_ANNOTATION_SUFFIX, round_cpu_to_whole_cores};
pub use limit_range::{LimitRangeItem, merge_limit_range_items};
pub use pod::{ContainerResources, ContainerTermination, Pod, PodContainer};
pub use pod_recommender::{
    ContainerEstimate, RecommenderConfig, RecommenderError, estimate_container_resources,
    pod_min_resources, recommend_pod,
};
pub use policy::{
    ContainerResourcePolicy, ContainerScalingMode, ControlledResources, ControlledValues,
    DEFAULT_CONTAINER_POLICY, PodResourcePolicy,
};
pub use proportional_limit::{
    LimitAnnotation, LimitAnnotationReason, ProportionalLimit, boundary_request,
    proportional_limits, proportional_resource_limit,
};
pub use quantity::{
    CpuQuantity, FormattedResources, HumanizedMemory, HumanizedQuantity, MemoryFormat,
    MemoryQuantity, RecommendationFormat, resources_as_resource_list,
};
pub use resources::{
    MAX_RESOURCE_AMOUNT, ResourceKind, Resources, RoundingError, bytes_from_memory_amount,
    cores_from_cpu_amount, cpu_amount_from_cores, memory_amount_from_bytes, round_up_to_scale,
    scale_resource,
};
pub use sample_histogram::SampleHistogram;
pub use update_priority::{
    PodPriority, UpdateConfig, is_quick_oom, should_update, sort_by_priority, update_priority,
};
