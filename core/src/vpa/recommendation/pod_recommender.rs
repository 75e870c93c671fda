//! The recommender's per-pod step: six estimates per container, the pod minimum split across
//! containers, and the sorted list written to the VPA status [logic/recommender.go].

use core::fmt;

use heapless::Vec;

use super::aggregate_state::AggregateContainerState;
use super::container_recommendation::RecommendedContainerResources;
use super::estimator::{
    LOWER_BOUND_CONFIDENCE, UPPER_BOUND_CONFIDENCE, confidence, cpu_percentile, memory_percentile,
    with_confidence_multiplier, with_margin, with_min_resource,
};
use super::policy::ContainerScalingMode;
use super::resources::{
    Resources, cpu_amount_from_cores, memory_amount_from_bytes, scale_resource,
};
use super::sample_histogram::SampleHistogram;

/// The recommender flags behind the estimates [RecommendationConfig].
///
/// ```
/// use podscale::vpa::RecommenderConfig;
/// let c = RecommenderConfig::default();
/// assert_eq!((c.target_cpu_percentile, c.safety_margin_fraction), (0.9, 0.15));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RecommenderConfig {
    /// `--target-cpu-percentile` (0.9).
    pub target_cpu_percentile: f64,
    /// `--recommendation-lower-bound-cpu-percentile` (0.5).
    pub lower_bound_cpu_percentile: f64,
    /// `--recommendation-upper-bound-cpu-percentile` (0.95).
    pub upper_bound_cpu_percentile: f64,
    /// `--target-memory-percentile` (0.9).
    pub target_memory_percentile: f64,
    /// `--recommendation-lower-bound-memory-percentile` (0.5).
    pub lower_bound_memory_percentile: f64,
    /// `--recommendation-upper-bound-memory-percentile` (0.95).
    pub upper_bound_memory_percentile: f64,
    /// `--recommendation-margin-fraction` (0.15), added to all three estimates.
    pub safety_margin_fraction: f64,
    /// `--pod-recommendation-min-cpu-millicores` (25), split evenly across containers.
    pub pod_min_cpu_millicores: f64,
    /// `--pod-recommendation-min-memory-mb` (250, in MiB), split evenly across containers.
    pub pod_min_memory_mb: f64,
    /// `--confidence-interval-cpu` (24h): the unit of CPU confidence.
    pub confidence_interval_cpu_ms: i64,
    /// `--confidence-interval-memory` (24h): the unit of memory confidence.
    pub confidence_interval_memory_ms: i64,
}

impl Default for RecommenderConfig {
    /// The flags' defaults [DefaultRecommenderConfig].
    fn default() -> Self {
        Self {
            target_cpu_percentile: 0.9,
            lower_bound_cpu_percentile: 0.5,
            upper_bound_cpu_percentile: 0.95,
            target_memory_percentile: 0.9,
            lower_bound_memory_percentile: 0.5,
            upper_bound_memory_percentile: 0.95,
            safety_margin_fraction: 0.15,
            pod_min_cpu_millicores: 25.0,
            pod_min_memory_mb: 250.0,
            confidence_interval_cpu_ms: 24 * 3600 * 1000,
            confidence_interval_memory_ms: 24 * 3600 * 1000,
        }
    }
}

/// Why [`recommend_pod`] produced no list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecommenderError<'a> {
    /// More containers than the output's capacity.
    TooManyContainers {
        /// The output's capacity.
        capacity: usize,
    },
    /// Two aggregates with one container name (upstream merges them into one map entry first).
    DuplicateContainer {
        /// The name.
        container_name: &'a str,
    },
}

impl fmt::Display for RecommenderError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyContainers { capacity } => {
                write!(f, "more containers than the capacity of {capacity}")
            }
            Self::DuplicateContainer { container_name } => {
                write!(f, "container_name {container_name:?} appears twice")
            }
        }
    }
}

impl core::error::Error for RecommenderError<'_> {}

/// The per-container minimum when `container_count` containers share the pod minimum
/// [podResourceRecommender.GetRecommendedPodResources].
///
/// `trunc(25 * 0.001 * 1000 * (1/N))` millicores and `trunc(250 * 1024 * 1024 * (1/N))` bytes
/// with the defaults: 25m and 250Mi for one container, 12m and 125Mi for two. With no
/// containers there is nothing to split, and the whole minimum comes back.
///
/// ```
/// use podscale::vpa::{pod_min_resources, RecommenderConfig, Resources};
/// let c = RecommenderConfig::default();
/// assert_eq!(pod_min_resources(&c, 1), Resources::new(25, 262_144_000));
/// assert_eq!(pod_min_resources(&c, 3), Resources::new(8, 87_381_333));
/// ```
pub fn pod_min_resources(config: &RecommenderConfig, container_count: usize) -> Resources {
    let fraction = 1.0 / container_count.max(1) as f64;
    let cpu = scale_resource(
        cpu_amount_from_cores(config.pod_min_cpu_millicores * 0.001),
        fraction,
    );
    let memory = scale_resource(
        memory_amount_from_bytes(config.pod_min_memory_mb * 1024.0 * 1024.0),
        fraction,
    );
    Resources::new(cpu, memory)
}

/// Target, lower and upper bound for one container [podResourceRecommender.estimateContainerResources].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContainerEstimate {
    /// Percentile `target_*` plus margin, at least the minimum.
    pub target: Resources,
    /// Percentile `lower_bound_*` plus margin, times `(1 + 0.001/confidence)^-2`, at least the
    /// minimum.
    pub lower_bound: Resources,
    /// Percentile `upper_bound_*` plus margin, times `1 + 1/confidence`, at least the minimum.
    pub upper_bound: Resources,
}

/// The three estimates for one aggregate, given the per-container minimum, keeping only the
/// aggregate's controlled resources [podResourceRecommender.estimateContainerResources].
///
/// ```
/// use podscale::vpa::{estimate_container_resources, pod_min_resources, AggregateContainerState,
///     AggregationConfig, RecommenderConfig, Resources};
/// let config = RecommenderConfig::default();
/// let empty = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
/// let e = estimate_container_resources(&config, &empty, pod_min_resources(&config, 1));
/// // No samples: every estimate is the pod minimum.
/// assert_eq!(e.target, Resources::new(25, 262_144_000));
/// assert_eq!(e.upper_bound, e.target);
/// # Ok::<(), podscale::vpa::HistogramError>(())
/// ```
pub fn estimate_container_resources<H: SampleHistogram>(
    config: &RecommenderConfig,
    aggregate: &AggregateContainerState<H>,
    min: Resources,
) -> ContainerEstimate {
    let margin = config.safety_margin_fraction;
    let cpu_confidence = confidence(aggregate, config.confidence_interval_cpu_ms);
    let memory_confidence = confidence(aggregate, config.confidence_interval_memory_ms);
    let (upper_m, upper_e) = UPPER_BOUND_CONFIDENCE;
    let (lower_m, lower_e) = LOWER_BOUND_CONFIDENCE;
    let min_cpu = min.cpu_m.unwrap_or(0);
    let min_memory = min.memory_bytes.unwrap_or(0);

    // Percentile, then margin, then (bounds only) confidence, then the minimum: each step
    // truncates, so this order is upstream's to the millicore.
    let cpu = |percentile: f64| with_margin(cpu_percentile(aggregate, percentile), margin);
    let memory = |percentile: f64| with_margin(memory_percentile(aggregate, percentile), margin);

    let target = Resources::new(
        with_min_resource(cpu(config.target_cpu_percentile), min_cpu),
        with_min_resource(memory(config.target_memory_percentile), min_memory),
    );
    let lower_bound = Resources::new(
        with_min_resource(
            with_confidence_multiplier(
                cpu(config.lower_bound_cpu_percentile),
                lower_m,
                lower_e,
                cpu_confidence,
            ),
            min_cpu,
        ),
        with_min_resource(
            with_confidence_multiplier(
                memory(config.lower_bound_memory_percentile),
                lower_m,
                lower_e,
                memory_confidence,
            ),
            min_memory,
        ),
    );
    let upper_bound = Resources::new(
        with_min_resource(
            with_confidence_multiplier(
                cpu(config.upper_bound_cpu_percentile),
                upper_m,
                upper_e,
                cpu_confidence,
            ),
            min_cpu,
        ),
        with_min_resource(
            with_confidence_multiplier(
                memory(config.upper_bound_memory_percentile),
                upper_m,
                upper_e,
                memory_confidence,
            ),
            min_memory,
        ),
    );
    let controlled = aggregate.controlled_resources;
    ContainerEstimate {
        target: controlled.filter(target),
        lower_bound: controlled.filter(lower_bound),
        upper_bound: controlled.filter(upper_bound),
    }
}

/// The recommendation for a pod's containers, sorted by name, as written to the VPA status
/// (before post-processing) [GetRecommendedPodResources, MapToListOfRecommendedContainerResources].
///
/// `containers` pairs each container name with its aggregate (all pods' instances merged).
/// Aggregates whose scaling mode is `Off` are left out and do not count in the minimum split
/// [GetContainerNameToAggregateStateMap]. The uncapped target equals the target.
///
/// # Errors
///
/// [`RecommenderError::TooManyContainers`] beyond `N` containers,
/// [`RecommenderError::DuplicateContainer`] for a repeated name.
///
/// ```
/// use podscale::vpa::{recommend_pod, AggregateContainerState, AggregationConfig,
///     RecommenderConfig, Resources};
/// let app = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
/// let sidecar = AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0)?;
/// let list = recommend_pod::<_, 4>(&RecommenderConfig::default(), &[("sidecar", &sidecar), ("app", &app)])?;
/// assert_eq!(list[0].container_name, "app");
/// assert_eq!(list[1].target, Resources::new(12, 131_072_000)); // half the pod minimum
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn recommend_pod<'a, H: SampleHistogram, const N: usize>(
    config: &RecommenderConfig,
    containers: &[(&'a str, &AggregateContainerState<H>)],
) -> Result<Vec<RecommendedContainerResources<'a>, N>, RecommenderError<'a>> {
    let managed = || {
        containers
            .iter()
            .filter(|(_, aggregate)| aggregate.scaling_mode != ContainerScalingMode::Off)
    };
    let min = pod_min_resources(config, managed().count());
    let mut list: Vec<RecommendedContainerResources<'a>, N> = Vec::new();
    for (name, aggregate) in managed() {
        if list.iter().any(|r| r.container_name == *name) {
            return Err(RecommenderError::DuplicateContainer {
                container_name: name,
            });
        }
        let estimate = estimate_container_resources(config, aggregate, min);
        let recommendation = RecommendedContainerResources {
            container_name: name,
            target: estimate.target,
            lower_bound: estimate.lower_bound,
            upper_bound: estimate.upper_bound,
            uncapped_target: estimate.target,
        };
        list.push(recommendation)
            .map_err(|_| RecommenderError::TooManyContainers { capacity: N })?;
    }
    // Names are unique, so an unstable sort is deterministic; byte order, as Go's sort.Strings.
    list.sort_unstable_by(|a, b| a.container_name.cmp(b.container_name));
    Ok(list)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::vpa::{AggregationConfig, ControlledResources, DecayingHistogram};

    fn aggregate() -> AggregateContainerState<DecayingHistogram> {
        AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), 0).unwrap()
    }

    #[test]
    fn off_containers_leave_the_split() {
        let config = RecommenderConfig::default();
        let app = aggregate();
        let mut off = aggregate();
        off.scaling_mode = ContainerScalingMode::Off;
        let list = recommend_pod::<_, 2>(&config, &[("app", &app), ("off", &off)]).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].target, Resources::new(25, 262_144_000));
    }

    #[test]
    fn duplicates_and_capacity_are_errors() {
        let config = RecommenderConfig::default();
        let a = aggregate();
        assert_eq!(
            recommend_pod::<_, 4>(&config, &[("app", &a), ("app", &a)]),
            Err(RecommenderError::DuplicateContainer {
                container_name: "app"
            })
        );
        assert_eq!(
            recommend_pod::<_, 1>(&config, &[("a", &a), ("b", &a)]),
            Err(RecommenderError::TooManyContainers { capacity: 1 })
        );
    }

    #[test]
    fn uncontrolled_resources_are_left_out() {
        let config = RecommenderConfig::default();
        let mut a = aggregate();
        a.controlled_resources = ControlledResources::MEMORY_ONLY;
        let e = estimate_container_resources(&config, &a, pod_min_resources(&config, 1));
        assert_eq!(e.target, Resources::memory(262_144_000));
        assert_eq!(e.upper_bound.cpu_m, None);
    }

    #[test]
    fn one_sample_has_no_confidence() {
        // One sample: first and last coincide, so confidence is 0. The upper bound is the cap
        // and the lower bound the minimum.
        let config = RecommenderConfig::default();
        let mut a = aggregate();
        a.add_cpu_sample(1_700_000_000_000, 1000).unwrap();
        let e = estimate_container_resources(&config, &a, pod_min_resources(&config, 1));
        assert_eq!(e.upper_bound.cpu_m, Some(crate::vpa::MAX_RESOURCE_AMOUNT));
        assert_eq!(e.lower_bound.cpu_m, Some(25));
        assert_eq!(e.target.cpu_m, Some(1168)); // 1016m bucket end + 15%
        // No memory peak: memory upper bound is 0 * Inf, and the minimum replaces it.
        assert_eq!(e.upper_bound.memory_bytes, Some(262_144_000));
    }
}
