//! One hour in the life of a container under the VPA recommender, and what it recommends.
//!
//! The container requests 100m CPU and 50Mi memory, burns half a core (0.5 s busy of every
//! second) and holds a few MB of memory. The metrics server reports it once a minute for an
//! hour; the recommender then computes target, lower and upper bound with its default flags.
//!
//! Run with `cargo run --release -p podscale --example vpa_recommendation`.

use podscale::vpa::{
    AggregateContainerState, AggregationConfig, ContainerResources, ContainerState, CpuQuantity,
    MemoryFormat, MemoryQuantity, Pod, PodContainer, RecommendationFormat, RecommenderConfig,
    Resources, confidence, cpu_percentile, memory_percentile, pod_min_resources, recommend_pod,
    resources_as_resource_list, update_priority,
};

/// 2023-11-14T22:13:20Z.
const START_MS: i64 = 1_700_000_000_000;
const MINUTE_MS: i64 = 60_000;
const MIB: i64 = 1024 * 1024;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = RecommenderConfig::default();
    let mut aggregate =
        AggregateContainerState::with_vpa_histograms(AggregationConfig::default(), START_MS)?;
    let mut container = ContainerState::new();

    // One scrape a minute for an hour: 500m of CPU, 3 to 4 MiB of working set.
    for minute in 0..60 {
        let t = START_MS + minute * MINUTE_MS;
        container.add_cpu_sample(&mut aggregate, t, 500)?;
        container.add_memory_sample(&mut aggregate, t, 3 * MIB + (minute % 7) * 128 * 1024)?;
    }

    let list = recommend_pod::<_, 1>(&config, &[("app", &aggregate)])?;
    let rec = list[0];
    let format = RecommendationFormat::default();
    println!("container \"app\" after one hour of samples (request: cpu: 100m, memory: 50Mi)");
    println!();
    for (name, list) in [
        ("target", rec.target),
        ("lowerBound", rec.lower_bound),
        ("upperBound", rec.upper_bound),
    ] {
        println!("  {name:<11} {}", resources_as_resource_list(list, &format));
    }
    let decimal = |bytes: Option<i64>| MemoryQuantity {
        bytes: bytes.unwrap_or(0),
        format: MemoryFormat::DecimalSi,
    };
    println!(
        "  (VPA 1.4 and earlier wrote memory in decimal SI: target {}, upper bound {})",
        decimal(rec.target.memory_bytes),
        decimal(rec.upper_bound.memory_bytes)
    );

    // Why these numbers.
    let p90 = cpu_percentile(&aggregate, config.target_cpu_percentile);
    let memory_p90 = memory_percentile(&aggregate, config.target_memory_percentile);
    let conf = confidence(&aggregate, config.confidence_interval_cpu_ms);
    let min = pod_min_resources(&config, 1);
    let target_cpu = rec.target.cpu_m.unwrap_or(0);
    println!();
    println!("why:");
    println!(
        "  cpu target: every sample falls in the histogram bucket [477m, 511m); percentiles \
         report a bucket's end, so p90 = {}, plus the 15% safety margin (+{}) = {}.",
        CpuQuantity(p90),
        CpuQuantity(target_cpu - p90),
        CpuQuantity(target_cpu)
    );
    println!(
        "  confidence: min(59 minutes between first and last sample, 60 samples at one a \
         minute) in days = {conf:.4}."
    );
    println!(
        "  cpu lower bound: p50 plus margin ({}) times (1 + 0.001/confidence)^-2 = {:.3}, \
         truncated: {}.",
        CpuQuantity(target_cpu),
        (1.0 + 0.001 / conf).powi(-2),
        CpuQuantity(rec.lower_bound.cpu_m.unwrap_or(0))
    );
    println!(
        "  cpu upper bound: p95 plus margin times 1 + 1/confidence = {:.1}: with an hour of \
         history the recommender is far from sure how high usage can go.",
        1.0 + 1.0 / conf
    );
    println!(
        "  memory: the peaks (3-4 MiB) all fall in the first bucket, [0, 10 MB): p90 = {} \
         bytes, plus margin {} bytes, far below the pod minimum of {} \
         (--pod-recommendation-min-memory-mb=250, one container), which target and lower bound \
         take; the upper bound ({}) is the margin-added p95 times {:.1}.",
        memory_p90,
        memory_p90 + memory_p90 * 15 / 100,
        MemoryQuantity::new(min.memory_bytes.unwrap_or(0)),
        MemoryQuantity::new(rec.upper_bound.memory_bytes.unwrap_or(0)),
        1.0 + 1.0 / conf
    );

    // What the updater would do with the running pod.
    let spec = ContainerResources {
        requests: Resources::new(100, 50 * MIB),
        limits: Resources::NONE,
    };
    let containers = [PodContainer::new("app", spec)];
    let priority = update_priority(&Pod::new(&containers), &list);
    println!();
    println!(
        "updater: request below the lower bound: {}; scale up: {}; relative change {:.2}: \
         the pod is evicted (or resized) right away, whatever its age.",
        priority.outside_recommended_range, priority.scale_up, priority.resource_diff
    );
    Ok(())
}
