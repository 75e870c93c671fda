//! Manifests from the Kubernetes, KEDA and VPA docs load unchanged; malformed manifests, demand
//! CSVs and Prometheus answers give errors naming the file and the line or field.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::PathBuf;

use podscale::hpa::SelectPolicy;
use podscale_controller::demand_csv::DemandSeries;
use podscale_controller::manifest::Manifests;
use podscale_controller::simulate::{SimulateOptions, run};

fn file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn load(names: &[&str]) -> Manifests {
    Manifests::read(&names.iter().map(|n| file(n)).collect::<Vec<_>>()).unwrap()
}

/// The error of adding `text` as `bad.yaml`.
fn error(text: &str) -> String {
    Manifests::default()
        .add("bad.yaml", text)
        .unwrap_err()
        .to_string()
}

#[test]
fn docs_manifests_load_unchanged() {
    let m = load(&[
        "examples/walkthroughs/php-apache.yaml",
        "examples/walkthroughs/php-apache-hpa.yaml",
    ]);
    assert_eq!(
        m.workload.as_ref().unwrap().object.metadata.name,
        "php-apache"
    );
    assert_eq!(m.ignored.len(), 1); // the Service
    assert!(m.ignored[0].starts_with("Service/php-apache"));

    let m = load(&["tests/manifests/docs-hpa-multiple-metrics.yaml"]);
    let hpa = m.hpa.unwrap();
    let spec = hpa.object.to_spec(&hpa.origin).unwrap();
    assert_eq!(spec.metrics.len(), 3);

    let m = load(&["tests/manifests/docs-hpa-behavior.yaml"]);
    let hpa = m.hpa.unwrap();
    let spec = hpa.object.to_spec(&hpa.origin).unwrap();
    let behavior = spec.behavior.unwrap();
    let down = behavior.scale_down.unwrap();
    assert_eq!(down.select_policy, Some(SelectPolicy::Min));
    assert_eq!(down.policies.unwrap().len(), 2);
    assert_eq!(behavior.scale_up.unwrap().tolerance, Some(0.05));

    let m = load(&["tests/manifests/docs-keda-cron.yaml"]);
    let so = m.scaled_object.unwrap();
    let parts = so.object.to_keda(&so.origin).unwrap();
    assert_eq!(parts.triggers[0].timezone, "Asia/Kolkata");
    assert_eq!(parts.triggers[0].desired_replicas, 10);
    let hpa = parts.generated_hpa(&so.origin).unwrap();
    assert_eq!(hpa.name.as_str(), "keda-hpa-office-hours");

    let m = load(&["tests/manifests/docs-vpa.yaml"]);
    assert_eq!(m.vpa.unwrap().object.spec.target_ref.name, "my-app");
    let m = load(&["examples/walkthroughs/hamster.yaml"]);
    let vpa = m.vpa.unwrap();
    let policies = vpa.object.container_policies(&vpa.origin).unwrap();
    assert_eq!(policies[0].container_name, "*");
    assert_eq!(policies[0].max_allowed.cpu_m, Some(1000));
    assert_eq!(policies[0].min_allowed.memory_bytes, Some(50 << 20));
    assert_eq!(m.workload.unwrap().object.replicas(), 2);
}

#[test]
fn a_second_object_of_a_kind_names_both() {
    let err = Manifests::read(&[
        file("tests/manifests/docs-vpa.yaml"),
        file("examples/walkthroughs/hamster.yaml"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("hamster.yaml: document 1 (VerticalPodAutoscaler/hamster-vpa): a second"),
        "{err}"
    );
    assert!(
        err.contains(
            "a second VerticalPodAutoscaler; the first is VerticalPodAutoscaler/my-app-vpa"
        ),
        "{err}"
    );
}

#[test]
fn metrics_the_simulator_has_no_data_for_are_named() {
    let m = load(&[
        "examples/walkthroughs/php-apache.yaml",
        "tests/manifests/docs-hpa-multiple-metrics.yaml",
    ]);
    let series = DemandSeries::parse("load.csv", "time,cpu\n0s,1\n1m,1\n").unwrap();
    let err = run(&m, &series, &SimulateOptions::default(), &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("docs-hpa-multiple-metrics.yaml: document 1 (HorizontalPodAutoscaler/php-apache): spec.metrics[1]: the simulator has data only"),
        "{err}"
    );
}

const HPA_HEAD: &str = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n";

#[test]
fn malformed_manifests_name_file_document_line_and_field() {
    let cases: Vec<(String, &str)> = vec![
        (
            "kind: Service\napiVersion: v1\nmetadata: {name: a}\n---\nkey: [unclosed\n".into(),
            "bad.yaml:6: document 2: did not find expected ',' or ']'",
        ),
        (
            format!("{HPA_HEAD}  maxReplicas: ten\n"),
            "bad.yaml:7: document 1 (HorizontalPodAutoscaler/web): spec.maxReplicas: invalid type: string \"ten\", expected i32",
        ),
        (
            format!("{HPA_HEAD}  minReplicas: 1\n"),
            "bad.yaml:6: document 1 (HorizontalPodAutoscaler/web): spec: missing field `maxReplicas`",
        ),
        (
            format!("{HPA_HEAD}  maxReplicas: 3\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target: {{type: Utilization}}\n"),
            "bad.yaml: document 1 (HorizontalPodAutoscaler/web): spec.metrics[0].resource.target.averageUtilization: missing: a target of type Utilization needs it",
        ),
        (
            format!("{HPA_HEAD}  maxReplicas: 3\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target: {{type: Percent, averageUtilization: 5}}\n"),
            "spec.metrics[0].resource.target.type: unknown variant `Percent`, expected one of `Utilization`, `AverageValue`, `Value`",
        ),
        (
            format!("{HPA_HEAD}  minReplicas: 5\n  maxReplicas: 2\n"),
            "bad.yaml: document 1 (HorizontalPodAutoscaler/web): spec: invalid value 5 for minReplicas",
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        resources:\n          requests: {cpu: 2OOm}\n".into(),
            "bad.yaml:10: document 1 (Deployment/web): spec.template.spec.containers[0].resources.requests.cpu: `2OOm` is not a quantity",
        ),
        (
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: so}\nspec:\n  scaleTargetRef: {name: web}\n  triggers:\n  - type: prometheus\n    metadata: {query: up}\n".into(),
            "bad.yaml: document 1 (ScaledObject/so): spec.triggers[0].type: `prometheus` triggers read live metrics",
        ),
        (
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: so}\nspec:\n  scaleTargetRef: {name: web}\n  triggers:\n  - type: cron\n    metadata: {timezone: Mars/Olympus, start: 0 6 * * *, end: 0 20 * * *, desiredReplicas: \"2\"}\n".into(),
            "bad.yaml: document 1 (ScaledObject/so): spec.triggers[0].metadata.timezone: unknown time zone Mars/Olympus",
        ),
        (
            "apiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\nmetadata: {name: old}\nspec: {}\n".into(),
            "bad.yaml: document 1 (HorizontalPodAutoscaler/old): apiVersion: autoscaling/v2beta1 is not supported",
        ),
        (
            "metadata: {name: nameless}\n".into(),
            "bad.yaml: document 1 (/nameless): apiVersion: missing",
        ),
    ];
    for (text, expected) in cases {
        let err = error(&text);
        assert!(err.contains(expected), "\n  got: {err}\n want: {expected}");
    }
}

#[test]
fn malformed_csv_names_the_line() {
    let err = DemandSeries::parse("load.csv", "# load\ntime,clients\n0s,1\n30s,many\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "load.csv:4: clients: `many` is not a whole number of clients"
    );
}

#[test]
fn prometheus_answers() {
    use podscale_controller::prometheus::parse;
    let ok = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"pod":"web-0"},"values":[[1714521600,"0.25"],[1714521615,"0.3"]]},
        {"metric":{"pod":"web-1"},"values":[[1714521615,"0.2004"]]}]}}"#;
    let series = parse("web.json", ok).unwrap();
    assert_eq!(series.points.len(), 2);
    assert_eq!(series.points[1].value, 500);

    let cases = [
        (
            r#"{"status":"success","data":{"resultType":"matrix","result":[}"#,
            "web.json:1:61: expected value",
        ),
        (
            "{\"status\":\"success\",\n\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"pod\":\"web-0\"},\"values\":[[1714521600,\"NaN\"]]}]}}",
            "web.json: data.result[0].values[0]: `NaN` (pod web-0) is not a CPU usage in cores",
        ),
        (
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            "web.json: data.resultType: `vector`: a replay needs a range query's `matrix`",
        ),
        (
            r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
            "web.json: status: `error`: the query failed: parse error",
        ),
        (
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,2]]}]}}"#,
            "web.json:1: data.result[0].values[0][1]: invalid type: integer `2`, expected a string",
        ),
    ];
    for (text, expected) in cases {
        let err = parse("web.json", text).unwrap_err().to_string();
        assert!(
            err.starts_with(expected),
            "\n  got: {err}\n want: {expected}"
        );
    }
}
