//! The VPA recommender's part of a sync: every container's usage sample into its name's
//! aggregate, then the recommendation, capped by the container policies
//! [Recommender.RunOnce: LoadRealTimeMetrics, UpdateVPAs].

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use podscale::vpa::{
    AggregateContainerState, AggregationConfig, ContainerState, PodResourcePolicy,
    RecommenderConfig, Resources, apply_vpa_policy, recommend_pod,
};

use super::config::ScalerConfig;
use super::resource::{ContainerRecommendation, PodScaler, Recommendation};
use super::state::{ScalerState, VerticalHistory};
use crate::metrics_api::PodUsage;

/// Containers one recommendation covers; a pod with more gets an error, not a partial answer.
const MAX_CONTAINERS: usize = 32;

/// A recommendation's amounts as quantities: CPU in millicores, memory in bytes.
fn quantities(resources: Resources) -> BTreeMap<String, Quantity> {
    let mut map = BTreeMap::new();
    if let Some(cpu) = resources.cpu_m {
        map.insert("cpu".to_owned(), Quantity(format!("{cpu}m")));
    }
    if let Some(memory) = resources.memory_bytes {
        map.insert("memory".to_owned(), Quantity(memory.to_string()));
    }
    map
}

impl PodScaler {
    /// Feeds this sync's usage into the VPA's model and returns the recommendation, or `None`
    /// when `vertical` is off (the model is then dropped).
    ///
    /// # Errors
    ///
    /// A histogram that refuses a sample, or more containers than one recommendation holds.
    pub fn vertical_step(
        &self,
        config: &ScalerConfig<'_>,
        state: &mut ScalerState,
        usage: &[PodUsage],
        now_ms: i64,
    ) -> Result<Option<Recommendation>, String> {
        let Some(policies) = &config.vertical else {
            state.vertical.clear();
            return Ok(None);
        };
        let policy = PodResourcePolicy::new(policies);
        let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for pod in usage {
            for container in &pod.containers {
                let history = match state.vertical.get_mut(&container.name) {
                    Some(history) => history,
                    None => {
                        let aggregate = AggregateContainerState::with_vpa_histograms(
                            AggregationConfig::default(),
                            now_ms,
                        )
                        .map_err(|e| e.to_string())?;
                        state
                            .vertical
                            .entry(container.name.clone())
                            .or_insert(VerticalHistory {
                                aggregate,
                                pods: BTreeMap::new(),
                            })
                    }
                };
                history
                    .aggregate
                    .update_from_policy(policy.container_policy(&container.name));
                let bookkeeping = history
                    .pods
                    .entry(pod.pod.clone())
                    .or_insert_with(ContainerState::new);
                // metrics.k8s.io reports memory in milli-bytes here; the VPA counts bytes.
                if let Some(cpu_m) = container.usage.get("cpu") {
                    bookkeeping
                        .add_cpu_sample(&mut history.aggregate, pod.timestamp_ms, *cpu_m)
                        .map_err(|e| e.to_string())?;
                }
                if let Some(memory_milli) = container.usage.get("memory") {
                    let bytes = memory_milli.saturating_add(999) / 1000;
                    bookkeeping
                        .add_memory_sample(&mut history.aggregate, pod.timestamp_ms, bytes)
                        .map_err(|e| e.to_string())?;
                }
                seen.entry(container.name.as_str())
                    .or_default()
                    .insert(pod.pod.as_str());
            }
        }
        // Pods that are gone keep nothing; names that are gone stay until their aggregate
        // expires, as the recommender's garbage collection keeps them.
        for (name, history) in &mut state.vertical {
            let live = seen.get(name.as_str());
            history
                .pods
                .retain(|pod, _| live.is_some_and(|l| l.contains(pod.as_str())));
        }
        state
            .vertical
            .retain(|name, h| seen.contains_key(name.as_str()) || !h.aggregate.is_expired(now_ms));
        let containers: Vec<(&str, &AggregateContainerState<_>)> = state
            .vertical
            .iter()
            .map(|(name, h)| (name.as_str(), &h.aggregate))
            .collect();
        let mut list =
            recommend_pod::<_, MAX_CONTAINERS>(&RecommenderConfig::default(), &containers)
                .map_err(|e| e.to_string())?;
        apply_vpa_policy(&mut list, Some(&policy), Resources::NONE);
        Ok(Some(Recommendation {
            container_recommendations: list
                .iter()
                .map(|r| ContainerRecommendation {
                    container_name: r.container_name.to_owned(),
                    target: quantities(r.target),
                    lower_bound: quantities(r.lower_bound),
                    upper_bound: quantities(r.upper_bound),
                    uncapped_target: quantities(r.uncapped_target),
                })
                .collect(),
        }))
    }
}
