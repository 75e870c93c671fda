//! Requests read from JSON (as the Node package reads them): field paths, bad values, and the
//! answers' shapes.

use podscale_bindings::decode::from_json;
use podscale_bindings::hpa::{
    HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, HpaOptions, HpaState,
};
use podscale_bindings::keda::{ScaledObject, ScaledObjectState, TriggerObservation};
use podscale_bindings::vpa::{ResourcePolicy, ResourcePolicySpec};
use podscale_bindings::{Error, ErrorKind};

fn spec(target: &str) -> String {
    format!(
        r#"{{"scaleTargetRef": {{"name": "web"}}, "maxReplicas": 10, "metrics": [{{"type": "Resource",
            "resource": {{"name": "cpu", "target": {{"type": "Utilization", "averageUtilization": {target}}}}}}}]}}"#
    )
}

#[test]
fn a_mistyped_field_names_its_path() {
    let err = from_json::<HorizontalPodAutoscalerSpec>(&spec("\"half\"")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    assert_eq!(err.path, "metrics[0].resource.target.averageUtilization");
    assert_eq!(err.message, "invalid type: string \"half\", expected i32");
}

#[test]
fn a_spec_the_api_server_refuses_names_its_field() -> Result<(), Error> {
    let err = HorizontalPodAutoscaler::new(
        from_json(r#"{"scaleTargetRef": {"name": "web"}, "maxReplicas": 10, "metrics": [{"type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]}"#)?,
        HpaOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.path, "metrics[0].resource.target.averageUtilization");
    Ok(())
}

#[test]
fn unknown_options_are_refused() {
    let err = from_json::<HpaOptions>(r#"{"controler": {}}"#).unwrap_err();
    assert!(err.message.contains("unknown field `controler`"), "{err}");
}

#[test]
fn state_round_trips_through_json() -> Result<(), Error> {
    let hpa = HorizontalPodAutoscaler::new(
        from_json(&spec("50"))?,
        from_json(
            r#"{"podTemplate": {"spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}}}"#,
        )?,
    )?;
    let mut state = HpaState::new();
    for (i, usage) in [100.0, 400.0, 50.0].into_iter().enumerate() {
        hpa.decide_uniform(&mut state, i as i64 * 15_000, 2, usage)?;
    }
    let text = serde_json::to_string(&state).map_err(|e| Error::internal(e.to_string()))?;
    assert_eq!(from_json::<HpaState>(&text)?, state);
    Ok(())
}

#[test]
fn a_scaled_object_polls_and_its_state_round_trips() -> Result<(), Error> {
    let so = ScaledObject::new(from_json(
        r#"{"metadata": {"name": "so"}, "spec": {"cooldownPeriod": 60, "triggers": [{"type": "cron", "metadata":
            {"timezone": "Etc/UTC", "start": "0 * * * *", "end": "30 * * * *", "desiredReplicas": "3"}}]}}"#,
    )?)?;
    let mut state = ScaledObjectState::new();
    let seen = [TriggerObservation {
        active: true,
        metric: 3.0,
        error: false,
    }];
    let poll = so.poll(&mut state, &seen, 0, 0)?;
    assert_eq!(poll.action.map(|a| a.scale_to), Some(1));
    let text = serde_json::to_string(&state).map_err(|e| Error::internal(e.to_string()))?;
    assert_eq!(from_json::<ScaledObjectState>(&text)?, state);
    assert_eq!(so.generated_hpa()?.name, "keda-hpa-so");
    Ok(())
}

#[test]
fn an_inverted_policy_names_its_field() -> Result<(), Error> {
    let spec: ResourcePolicySpec = from_json(
        r#"{"containerPolicies": [{"containerName": "app", "minAllowed": {"cpu": "2"}, "maxAllowed": {"cpu": "1"}}]}"#,
    )?;
    let err = ResourcePolicy::new(spec).unwrap_err();
    assert_eq!(err.path, "containerPolicies[0].minAllowed");
    Ok(())
}

/// A replay of one usage for every pod goes to the core as one cohort; the same usage given pod
/// by pod goes pod by pod. Both must decide alike, step for step, through scale-ups, the
/// stabilized scale-down and missing samples.
#[test]
fn a_uniform_replay_decides_as_the_pods_one_by_one() -> Result<(), Error> {
    use podscale_bindings::hpa::{ReplayInput, Usage};
    let hpa = HorizontalPodAutoscaler::new(
        from_json(&spec("50"))?,
        from_json(
            r#"{"podTemplate": {"spec": {"containers": [
                {"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}}}"#,
        )?,
    )?;
    let steps = 400_usize;
    let times: Vec<i64> = (0..steps as i64).map(|i| i * 15_000).collect();
    // Rising, then a plateau, a gap of missing samples, and a fall to idle.
    let average: Vec<f64> = (0..steps)
        .map(|i| match i {
            0..=99 => 20.0 + 3.0 * i as f64,
            100..=149 => 310.0,
            150..=154 => f64::NAN,
            155..=249 => 190.0 - (i - 155) as f64,
            _ => 7.0,
        })
        .collect();
    let columns = 10;
    let per_pod: Vec<f64> = average
        .iter()
        .flat_map(|v| std::iter::repeat_n(*v, columns))
        .collect();
    let run = |usage| {
        hpa.replay(
            &mut HpaState::new(),
            &ReplayInput {
                times: &times,
                usage,
                replicas: None,
                initial_replicas: Some(1),
            },
        )
    };
    let cohort = run(Usage::Average(&average))?;
    let one_by_one = run(Usage::PerPod {
        values: &per_pod,
        columns,
    })?;
    assert_eq!(cohort.desired_replicas, one_by_one.desired_replicas);
    assert_eq!(cohort.rescale, one_by_one.rescale);
    assert_eq!(cohort.metric_replicas, one_by_one.metric_replicas);
    assert_eq!(cohort.utilization, one_by_one.utilization);
    // The series does exercise scaling both ways.
    let most = cohort.desired_replicas.iter().max().copied();
    assert!(most >= Some(5), "{most:?}");
    assert_eq!(cohort.desired_replicas.last(), Some(&1));
    Ok(())
}
