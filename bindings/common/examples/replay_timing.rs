//! Times a week's replay (40,320 steps) and single uniform decisions, without Python.

use podscale_bindings::decode::from_json;
use podscale_bindings::hpa::{HorizontalPodAutoscaler, HpaState, ReplayInput, Usage};

fn main() -> Result<(), podscale_bindings::Error> {
    let hpa = HorizontalPodAutoscaler::new(
        from_json(
            r#"{"scaleTargetRef": {"name": "web"}, "minReplicas": 1, "maxReplicas": 20,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 50}}}]}"#,
        )?,
        from_json(
            r#"{"podTemplate": {"spec": {"containers": [
                {"name": "app", "resources": {"requests": {"cpu": "200m"}}}]}}}"#,
        )?,
    )?;
    let steps = 40_320_usize;
    let times: Vec<i64> = (0..steps as i64).map(|i| i * 15_000).collect();
    let usage: Vec<f64> = (0..steps)
        .map(|i| 150.0 + 100.0 * ((i as f64) / 5760.0 * std::f64::consts::TAU).sin())
        .collect();
    for _ in 0..3 {
        let mut state = HpaState::new();
        let start = std::time::Instant::now();
        let out = hpa.replay(
            &mut state,
            &ReplayInput {
                times: &times,
                usage: Usage::Average(&usage),
                replicas: None,
                initial_replicas: None,
            },
        )?;
        println!(
            "replay: {:?} (max replicas {:?})",
            start.elapsed(),
            out.replicas.iter().max()
        );
    }
    let mut state = HpaState::new();
    let start = std::time::Instant::now();
    for i in 0..100_000_i64 {
        let _ = hpa.decide_uniform(&mut state, i * 15_000, 2, 150.0 + (i % 7) as f64 * 20.0)?;
    }
    println!("decide_uniform: {:?} per call", start.elapsed() / 100_000);
    Ok(())
}
