//! Fuzzes the VPA recommender end to end: arbitrary sequences of CPU and memory samples, OOM
//! events and queries over a few containers of one pod, with arbitrary flags, then capping,
//! the recommender's policy post-processor and the update priority on every query.
//!
//! Besides "no panic", every query checks what holds for any input: the histograms never
//! refuse a sample the model passes them, no NaN reaches an estimate, the three estimates are
//! ordered (up to the 1e14 clamp of the upper bound) and at least the pod minimum, and the
//! policy post-processor respects `maxAllowed`.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use podscale::vpa::{
    AggregateContainerState, AggregationConfig, ContainerResourcePolicy, ContainerResources,
    ContainerState, DecayingHistogram, LimitRangeItem, MAX_RESOURCE_AMOUNT, OomError, Pod,
    PodContainer, PodResourcePolicy, RecommendedContainerResources, RecommenderConfig,
    ResourceKind, Resources, apply_capping, apply_vpa_policy, confidence, pod_min_resources,
    recommend_pod, update_priority,
};

const CONTAINERS: [&str; 3] = ["app", "sidecar", "init"];

/// Times: mostly forward by a scrape interval, sometimes anywhere.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Step {
    Minutes(u8),
    Hours(u8),
    Back(u16),
    Any(i64),
}

impl Step {
    fn apply(self, now: i64) -> i64 {
        match self {
            Self::Minutes(m) => now.saturating_add(i64::from(m) * 60_000),
            Self::Hours(h) => now.saturating_add(i64::from(h) * 3_600_000),
            Self::Back(s) => now.saturating_sub(i64::from(s) * 1000),
            Self::Any(t) => t,
        }
    }
}

/// An amount: mostly realistic, sometimes extreme.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Amount {
    Small(u16),
    Mebibytes(u16),
    Any(i64),
}

impl Amount {
    fn get(self) -> i64 {
        match self {
            Self::Small(v) => i64::from(v),
            Self::Mebibytes(v) => i64::from(v) << 20,
            Self::Any(v) => v,
        }
    }
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Op {
    Cpu {
        container: u8,
        pod: bool,
        step: Step,
        usage: Amount,
    },
    Memory {
        container: u8,
        pod: bool,
        step: Step,
        usage: Amount,
    },
    Oom {
        container: u8,
        pod: bool,
        step: Step,
        request: Amount,
    },
    Query,
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// Percentiles, margin and OOM ratio, as raw floats (NaN and infinities included).
    percentiles: [f64; 6],
    margin: f64,
    oom_ratio: f64,
    oom_min_bump: f64,
    interval_hours: u8,
    confidence_hours: u8,
    half_life_hours: u8,
    containers: u8,
    max_allowed: [Option<Amount>; 2],
    min_allowed: [Option<Amount>; 2],
    requests: [Option<Amount>; 2],
    limits: [Option<Amount>; 2],
    pod_limit_range: bool,
    ops: Vec<Op>,
}

fn resources(pair: [Option<Amount>; 2]) -> Resources {
    Resources {
        cpu_m: pair[0].map(Amount::get),
        memory_bytes: pair[1].map(Amount::get),
    }
}

fn run(input: Input) {
    let hours = |h: u8| i64::from(h.max(1)) * 3_600_000;
    let aggregation = AggregationConfig {
        memory_aggregation_interval_ms: hours(input.interval_hours),
        oom_bump_up_ratio: input.oom_ratio,
        oom_min_bump_up_bytes: input.oom_min_bump,
        cpu_histogram_decay_half_life_ms: hours(input.half_life_hours),
        memory_histogram_decay_half_life_ms: hours(input.half_life_hours),
        ..AggregationConfig::default()
    };
    let p = input.percentiles;
    let config = RecommenderConfig {
        target_cpu_percentile: p[0],
        lower_bound_cpu_percentile: p[1],
        upper_bound_cpu_percentile: p[2],
        target_memory_percentile: p[3],
        lower_bound_memory_percentile: p[4],
        upper_bound_memory_percentile: p[5],
        safety_margin_fraction: input.margin,
        confidence_interval_cpu_ms: hours(input.confidence_hours),
        confidence_interval_memory_ms: hours(input.confidence_hours),
        ..RecommenderConfig::default()
    };
    let count = usize::from(input.containers % 3) + 1;
    let names = &CONTAINERS[..count];
    let mut aggregates: Vec<AggregateContainerState<DecayingHistogram>> = names
        .iter()
        .map(|_| {
            AggregateContainerState::with_vpa_histograms(aggregation, 1_700_000_000_000).unwrap()
        })
        .collect();
    // Two pods: each container name has an instance in each.
    let mut instances = vec![[ContainerState::new(); 2]; count];
    let mut now = 1_700_000_000_000i64;

    let spec = ContainerResources {
        requests: resources(input.requests),
        limits: resources(input.limits),
    };
    let pod_containers: Vec<PodContainer<'_>> =
        names.iter().map(|n| PodContainer::new(n, spec)).collect();
    let pod = Pod::new(&pod_containers);
    let policies = [ContainerResourcePolicy {
        min_allowed: resources(input.min_allowed),
        max_allowed: resources(input.max_allowed),
        ..ContainerResourcePolicy::named("*")
    }];
    let policy = PodResourcePolicy::new(&policies);
    let limit_range = LimitRangeItem {
        min: resources(input.min_allowed),
        max: resources(input.max_allowed),
        default: resources(input.limits),
    };

    let query = |aggregates: &[AggregateContainerState<DecayingHistogram>]| {
        let pairs: Vec<(&str, &AggregateContainerState<DecayingHistogram>)> =
            names.iter().copied().zip(aggregates.iter()).collect();
        let list = recommend_pod::<_, 3>(&config, &pairs).unwrap();
        let min = pod_min_resources(&config, count);
        let percentiles_ordered = p[1] <= p[0] && p[0] <= p[2] && p[4] <= p[3] && p[3] <= p[5];
        for (rec, aggregate) in list.iter().zip(pairs.iter().map(|(_, a)| *a)) {
            assert!(!confidence(aggregate, config.confidence_interval_cpu_ms).is_nan());
            for kind in ResourceKind::ALL {
                let (lower, target, upper) = (
                    rec.lower_bound.get(kind).unwrap(),
                    rec.target.get(kind).unwrap(),
                    rec.upper_bound.get(kind).unwrap(),
                );
                let floor = min.get(kind).unwrap();
                assert!(lower >= floor && target >= floor && upper >= floor);
                // Percentiles are monotone in p, margins and confidence factors keep the order,
                // except that the confidence factor clamps the upper bound at 1e14 while the
                // target (margin only) can exceed it, as upstream.
                if percentiles_ordered && input.margin.is_finite() {
                    assert!(
                        lower <= target,
                        "{kind}: lower {lower} above target {target}"
                    );
                    assert!(
                        target <= upper || upper == MAX_RESOURCE_AMOUNT,
                        "{kind}: target {target} above upper {upper}"
                    );
                }
            }
        }
        let mut processed: Vec<RecommendedContainerResources<'_>> = list.to_vec();
        apply_vpa_policy(&mut processed, Some(&policy), Resources::NONE);
        for rec in &processed {
            for kind in ResourceKind::ALL {
                let max = policies[0].max_allowed.get(kind).filter(|m| *m != 0);
                for list in [rec.target, rec.lower_bound, rec.upper_bound] {
                    if let (Some(value), Some(max)) = (list.get(kind), max) {
                        assert!(value <= max);
                    }
                }
            }
        }
        let lr = input.pod_limit_range.then_some(&limit_range);
        if let Some(capped) =
            apply_capping::<6>(Some(&processed), Some(&policy), lr, lr, &pod).unwrap()
        {
            let recs: Vec<_> = capped.iter().map(|c| c.recommendation).collect();
            let priority = update_priority(&pod, &recs);
            assert!(!priority.resource_diff.is_nan());
        }
    };

    for op in input.ops.iter().take(512) {
        match *op {
            Op::Cpu {
                container,
                pod,
                step,
                usage,
            } => {
                let i = usize::from(container) % count;
                now = step.apply(now);
                let state = &mut instances[i][usize::from(pod)];
                state
                    .add_cpu_sample(&mut aggregates[i], now, usage.get())
                    .unwrap();
            }
            Op::Memory {
                container,
                pod,
                step,
                usage,
            } => {
                let i = usize::from(container) % count;
                now = step.apply(now);
                let state = &mut instances[i][usize::from(pod)];
                state
                    .add_memory_sample(&mut aggregates[i], now, usage.get())
                    .unwrap();
            }
            Op::Oom {
                container,
                pod,
                step,
                request,
            } => {
                let i = usize::from(container) % count;
                now = step.apply(now);
                let state = &mut instances[i][usize::from(pod)];
                if let Err(OomError::Histogram(e)) =
                    state.record_oom(&mut aggregates[i], now, request.get())
                {
                    panic!("the memory histogram refused an OOM sample: {e}");
                }
            }
            Op::Query => query(&aggregates),
        }
    }
    query(&aggregates);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = Input::arbitrary(&mut Unstructured::new(data)) {
        run(input);
    }
});
