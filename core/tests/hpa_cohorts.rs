//! `n` pods that differ only by name and sample value decide exactly as one cohort of `n` whose
//! samples add up to the same sum: [`decide_cohorts`] against [`decide`] on random cohorts
//! (phases, readiness, start times, sample timestamps, missing samples and requests) under random
//! metrics, behavior and history.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use heapless::Vec as HVec;
use podscale::hpa::*;
use proptest::prelude::*;

/// Now: any instant works, the rules only compare differences.
const NOW_MS: i64 = 1_700_000_000_000;

/// One cohort: what each of its pods shows, and each pod's sample value.
#[derive(Debug, Clone)]
struct CohortCase {
    phase: PodPhase,
    deleting: bool,
    start_ago_s: Option<i64>,
    ready: Option<(ConditionStatus, i64)>,
    /// The container's CPU request, or a container requesting memory only.
    cpu_request: Option<i64>,
    /// Each pod's sample value: as many as the cohort has pods.
    values: Vec<i64>,
    /// When the samples were taken (seconds ago) and their window; `None` when the metrics API
    /// has none of the cohort's pods.
    sampled: Option<(i64, i64)>,
}

fn cohort_case() -> impl Strategy<Value = CohortCase> {
    let phase = prop::sample::select(vec![
        PodPhase::Running,
        PodPhase::Running,
        PodPhase::Running,
        PodPhase::Pending,
        PodPhase::Succeeded,
        PodPhase::Failed,
        PodPhase::Unknown,
    ]);
    let status = prop::sample::select(vec![
        ConditionStatus::True,
        ConditionStatus::True,
        ConditionStatus::False,
        ConditionStatus::Unknown,
    ]);
    (
        phase,
        prop::bool::weighted(0.1),
        prop::option::weighted(0.9, 0i64..900),
        prop::option::weighted(0.9, (status, 0i64..900)),
        prop::option::weighted(0.95, 1i64..2_000),
        0u32..7,
        prop::option::weighted(0.8, (0i64..120, prop::sample::select(vec![15, 30, 60]))),
        prop::collection::vec(0i64..5_000, 7),
    )
        .prop_map(
            |(phase, deleting, start, ready, cpu_request, count, sampled, values)| CohortCase {
                phase,
                deleting,
                start_ago_s: start,
                ready,
                cpu_request,
                values: values[..count as usize].to_vec(),
                sampled,
            },
        )
}

/// A metric of the spec, on the pods' CPU, their custom metric, or an object or external value.
fn metric() -> impl Strategy<Value = MetricSpec<'static>> {
    prop_oneof![
        (10i32..150).prop_map(|p| MetricSpec::resource_utilization("cpu", p)),
        (1i64..3_000).prop_map(|v| MetricSpec::Resource {
            name: "cpu".into(),
            target: MetricTarget::AverageValue(v),
        }),
        (10i32..150).prop_map(|p| MetricSpec::ContainerResource {
            name: "cpu".into(),
            container: "app",
            target: MetricTarget::Utilization(p),
        }),
        (1i64..3_000).prop_map(|v| MetricSpec::Pods {
            metric: "queue",
            target: MetricTarget::AverageValue(v),
        }),
        (1i64..3_000).prop_map(|v| MetricSpec::Object {
            metric: "rps",
            target: MetricTarget::Value(v),
        }),
        (1i64..3_000).prop_map(|v| MetricSpec::External {
            metric: "lag",
            target: MetricTarget::Value(v),
        }),
    ]
}

fn behavior() -> impl Strategy<Value = Option<Behavior>> {
    let rules = prop::option::of((0i32..600, 1i32..10, 15i32..120).prop_map(
        |(window, pods, period)| ScalingRules {
            stabilization_window_seconds: Some(window),
            ..ScalingRules::with_policies(&[ScalingPolicy::pods(pods, period)]).unwrap()
        },
    ));
    prop::option::of((rules.clone(), rules).prop_map(|(up, down)| Behavior {
        scale_up: up,
        scale_down: down,
    }))
}

fn history() -> impl Strategy<Value = Option<Vec<Recommendation>>> {
    prop::option::of(prop::collection::vec(
        (0i32..40, 0i64..600).prop_map(|(replicas, ago)| Recommendation {
            replicas,
            timestamp_ms: NOW_MS - ago * 1000,
        }),
        0..24,
    ))
}

/// Pod names of cohort `c`: `c<c>-<j>`, so that errors name the cohort's first pod either way.
fn names(cohorts: &[CohortCase]) -> Vec<Vec<String>> {
    cohorts
        .iter()
        .enumerate()
        .map(|(c, case)| {
            (0..case.values.len())
                .map(|j| format!("c{c}-{j}"))
                .collect()
        })
        .collect()
}

fn requests(case: &CohortCase) -> [ResourceAmount<'static>; 1] {
    match case.cpu_request {
        Some(cpu) => [ResourceAmount::cpu(cpu)],
        None => [ResourceAmount::memory(64 << 20)],
    }
}

fn view<'a>(case: &CohortCase, name: &'a str, containers: &'a [Container<'a>]) -> Pod<'a> {
    Pod {
        name,
        phase: case.phase,
        deleting: case.deleting,
        start_time_ms: case.start_ago_s.map(|s| NOW_MS - s * 1000),
        ready: case.ready.map(|(status, ago)| ReadyCondition {
            status,
            last_transition_time_ms: NOW_MS - ago * 1000,
        }),
        containers,
        pod_requests: None,
        overhead: None,
    }
}

fn timing(ago_s: i64, window_s: i64) -> SampleTiming {
    SampleTiming {
        timestamp_ms: NOW_MS - ago_s * 1000,
        window_ms: window_s * 1000,
    }
}

#[derive(Debug, Clone)]
struct Case {
    cohorts: Vec<CohortCase>,
    metrics: Vec<MetricSpec<'static>>,
    min: i32,
    max: i32,
    current: i32,
    behavior: Option<Behavior>,
    history: Option<Vec<Recommendation>>,
    object_milli: i64,
    external_milli: i64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(cohort_case(), 0..6),
        prop::collection::vec(metric(), 1..4),
        (1i32..5, 0i32..40, 0i32..45),
        behavior(),
        history(),
        (0i64..10_000, 0i64..10_000),
    )
        .prop_map(
            |(cohorts, metrics, (min, extra, current), behavior, history, (object, external))| {
                Case {
                    cohorts,
                    metrics,
                    min,
                    max: min + extra,
                    current,
                    behavior,
                    history,
                    object_milli: object,
                    external_milli: external,
                }
            },
        )
}

/// The sync on every pod, and on the cohorts; errors compared by their text (they borrow names).
fn both(case: &Case) -> (String, String) {
    let mut spec = HpaSpec::new(case.min, case.max, &case.metrics).unwrap();
    spec.behavior = case.behavior.clone();
    let config = ControllerConfig::default();
    let mut start: HpaState<64, 16> = HpaState::new();
    start.recommendations = case.history.as_ref().map(|h| HVec::from_slice(h).unwrap());

    let names = names(&case.cohorts);
    let requests: Vec<_> = case.cohorts.iter().map(requests).collect();
    let containers: Vec<[Container<'_>; 1]> = requests
        .iter()
        .map(|r| [Container::new("app", r)])
        .collect();
    let usage: Vec<Vec<[ResourceAmount<'_>; 1]>> = case
        .cohorts
        .iter()
        .map(|c| c.values.iter().map(|&v| [ResourceAmount::cpu(v)]).collect())
        .collect();
    let per_container: Vec<Vec<[ContainerUsage<'_>; 1]>> = usage
        .iter()
        .map(|u| u.iter().map(|a| [ContainerUsage::new("app", a)]).collect())
        .collect();

    // Every pod, and every sample.
    let mut pods = Vec::new();
    let mut resource_samples = Vec::new();
    let mut pod_samples = Vec::new();
    for (c, cohort) in case.cohorts.iter().enumerate() {
        for (j, name) in names[c].iter().enumerate() {
            pods.push(view(cohort, name, &containers[c]));
            if let Some((ago, window)) = cohort.sampled {
                let t = timing(ago, window);
                resource_samples.push(PodResourceMetrics::new(
                    name,
                    t.timestamp_ms,
                    t.window_ms,
                    &per_container[c][j],
                ));
                pod_samples.push(PodMetricSample {
                    pod: name,
                    value_milli: cohort.values[j],
                    timestamp_ms: t.timestamp_ms,
                    window_ms: t.window_ms,
                });
            }
        }
    }
    let external = [case.external_milli];
    let data: Vec<MetricData<'_>> = case
        .metrics
        .iter()
        .map(|m| match m {
            MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. } => {
                MetricData::Resource(&resource_samples)
            }
            MetricSpec::Pods { .. } => MetricData::Pods(&pod_samples),
            MetricSpec::Object { .. } => MetricData::Object(case.object_milli),
            _ => MetricData::External(&external),
        })
        .collect();
    let status = pods.len() as i32;
    let mut per_pod = start.clone();
    let observation = Observation::new(case.current, status, &pods, &data);
    let each = sync(&spec, &config, &mut per_pod, &observation, NOW_MS);

    // The same pods in cohorts.
    let cohorts: Vec<PodCohort<'_>> = case
        .cohorts
        .iter()
        .enumerate()
        .map(|(c, cohort)| PodCohort {
            pod: view(
                cohort,
                names[c].first().map_or("c-none", String::as_str),
                &containers[c],
            ),
            count: names[c].len() as u32,
        })
        .collect();
    let sums: Vec<Option<CohortSample>> = case
        .cohorts
        .iter()
        .map(|c| {
            c.sampled.map(|(ago, window)| CohortSample {
                timing: timing(ago, window),
                sum_milli: c.values.iter().map(|&v| i128::from(v)).sum(),
            })
        })
        .collect();
    let cohort_data: Vec<CohortMetricData<'_>> = case
        .metrics
        .iter()
        .map(|m| match m {
            MetricSpec::Resource { .. } | MetricSpec::ContainerResource { .. } => {
                CohortMetricData::Resource(&sums)
            }
            MetricSpec::Pods { .. } => CohortMetricData::Pods(&sums),
            MetricSpec::Object { .. } => CohortMetricData::Object(case.object_milli),
            _ => CohortMetricData::External(&external),
        })
        .collect();
    let mut in_cohorts = start;
    let observation = CohortObservation::new(case.current, status, &cohorts, &cohort_data);
    let grouped = sync_cohorts(&spec, &config, &mut in_cohorts, &observation, NOW_MS);
    (
        format!("{each:?}\n{per_pod:?}"),
        format!("{grouped:?}\n{in_cohorts:?}"),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn cohorts_decide_as_their_pods(case in case()) {
        let (each, grouped) = both(&case);
        prop_assert_eq!(each, grouped);
    }
}

/// A cohort of 0 pods is no pods at all, whatever its entry says.
#[test]
fn an_empty_cohort_is_no_pods() {
    let requests = [ResourceAmount::cpu(100)];
    let containers = [Container::new("app", &requests)];
    let cohorts = [PodCohort {
        pod: Pod::running_ready("gone", &containers),
        count: 0,
    }];
    let samples = [Some(CohortSample {
        timing: timing(0, 15),
        sum_milli: 500,
    })];
    let data = [CohortMetricData::Resource(&samples)];
    let spec = HpaSpec::new(1, 10, &[MetricSpec::resource_utilization("cpu", 50)]).unwrap();
    let mut state: HpaState = HpaState::new();
    let observation = CohortObservation::new(2, 0, &cohorts, &data);
    let decision = decide_cohorts(
        &spec,
        &ControllerConfig::default(),
        &mut state,
        &observation,
        NOW_MS,
    )
    .unwrap();
    assert_eq!(
        decision.first_error(),
        Some(&ReplicaCalcError::NoResourceMetrics {
            resource: ResourceName::Cpu
        })
    );
}
