//! The install manifests of deploy/ and the Dockerfile, checked against the code they deploy:
//! the CRD is the one `podscale crd` prints, the container's arguments are ones the command
//! accepts, its probes and port are the ones the ops server serves, and it runs unprivileged.
//!
//! The tests marked ignored need the binaries of `make controlplane`: they apply the manifests
//! to a real kube-apiserver and then act as the controller's ServiceAccount (by impersonation),
//! running the controller's own code (a sync, the leader election, the metrics clients) to
//! show that deploy/rbac.yaml grants all it needs, and asking for what it must not do to show
//! that it grants no more. `cargo test -p podscale-controller --test deploy -- --include-ignored`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, SecurityContext};
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams, WatchParams,
};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use kube::{Client, CustomResourceExt as _};
use podscale_controller::cli::{Cli, Command, RunArgs};
use podscale_controller::clock::ManualClock;
use podscale_controller::leader_election::{LeaderElector, LeaseTimings};
use podscale_controller::metrics_api::{
    DescribedObject, MetricQuery, MetricsApi, MetricsError, MetricsSource,
};
use podscale_controller::podscaler::PodScaler;
use podscale_controller::telemetry::LogFormat;
use serde::Deserialize as _;
use serde_json::{Value, json};
use support::cluster::World;

const NEEDS: &str = "needs the control plane binaries (make controlplane)";

/// The ServiceAccount of deploy/rbac.yaml, as the API server names it.
const NAMESPACE: &str = "podscale-system";
const SERVICE_ACCOUNT: &str = "podscale";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn deploy_dir() -> PathBuf {
    repo_root().join("deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every document of a YAML file, as JSON values; each must be an object with a kind.
fn documents(path: &Path) -> Vec<Value> {
    let text = read(path);
    serde_norway::Deserializer::from_str(&text)
        .enumerate()
        .map(|(index, document)| {
            let value = Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{} document {}: {e}", path.display(), index + 1));
            for field in ["apiVersion", "kind"] {
                assert!(
                    value[field].is_string(),
                    "{} document {}: no {field}",
                    path.display(),
                    index + 1
                );
            }
            value
        })
        .collect()
}

/// The one document of `kind` in deploy/`file`.
fn the(file: &str, kind: &str) -> Value {
    let mut found: Vec<Value> = documents(&deploy_dir().join(file))
        .into_iter()
        .filter(|d| d["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} in deploy/{file}");
    found.remove(0)
}

/// The YAML files of `dir` and below.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The resources of deploy/kustomization.yaml, in its order.
fn kustomization_resources() -> Vec<String> {
    let kustomization = documents(&deploy_dir().join("kustomization.yaml")).remove(0);
    kustomization["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

fn deployment() -> Deployment {
    serde_json::from_value(the("deployment.yaml", "Deployment")).unwrap()
}

fn pod_spec() -> PodSpec {
    deployment().spec.template.spec.unwrap()
}

fn controller_container() -> Container {
    let containers = pod_spec().containers;
    assert_eq!(containers.len(), 1, "one container");
    containers.into_iter().next().unwrap()
}

/// `podscale ARGS...` as the command line parses it.
fn run_args(args: &[String]) -> RunArgs {
    let cli = Cli::try_parse_from(std::iter::once("podscale".to_owned()).chain(args.to_vec()))
        .unwrap_or_else(|e| panic!("`podscale {}` is refused:\n{e}", args.join(" ")));
    match cli.command {
        Command::Run(run) => run,
        other => panic!("`podscale {}` is {other:?}, not `run`", args.join(" ")),
    }
}

/// The Dockerfile's instruction `name`'s argument (the last one, as Docker takes it).
fn dockerfile(name: &str) -> String {
    read(&repo_root().join("Dockerfile"))
        .lines()
        .filter_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .next_back()
        .unwrap_or_else(|| panic!("the Dockerfile has no {name}"))
        .trim()
        .to_owned()
}

#[test]
fn crd_yaml_is_what_podscale_crd_prints() {
    let want = serde_norway::to_string(&PodScaler::crd()).unwrap();
    let path = deploy_dir().join("crd.yaml");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let line = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| have.lines().count().min(want.lines().count()));
        panic!(
            "{} is not what `podscale crd` prints (first difference at line {}): run\n    \
             cargo run -p podscale-controller -- crd > deploy/crd.yaml",
            path.display(),
            line + 1
        );
    }
}

#[test]
fn every_manifest_parses_and_the_kustomization_lists_every_file() {
    // Typed, so that a field of the wrong shape fails here; unknown fields are left to the
    // API server's strict validation (the ignored tests apply every document).
    fn typed<T: serde::de::DeserializeOwned>(document: &Value, file: &Path) {
        if let Err(e) = serde_json::from_value::<T>(document.clone()) {
            panic!(
                "{}: {} {}: {e}",
                file.display(),
                document["kind"],
                document["metadata"]["name"]
            );
        }
    }
    use k8s_openapi::api::core::v1 as core;
    use k8s_openapi::api::rbac::v1 as rbac;
    let files = yaml_files(&deploy_dir());
    assert!(files.len() >= 6, "{files:?}");
    for file in &files {
        if file.ends_with("kustomization.yaml") {
            continue;
        }
        let documents = documents(file);
        assert!(!documents.is_empty(), "{}", file.display());
        for document in &documents {
            assert!(
                document["metadata"]["name"].is_string(),
                "{}: a {} without a name",
                file.display(),
                document["kind"]
            );
            match document["kind"].as_str().unwrap() {
                "CustomResourceDefinition" => typed::<
                    k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
                >(document, file),
                "Namespace" => typed::<core::Namespace>(document, file),
                "ServiceAccount" => typed::<core::ServiceAccount>(document, file),
                "Service" => typed::<core::Service>(document, file),
                "ClusterRole" => typed::<rbac::ClusterRole>(document, file),
                "ClusterRoleBinding" => typed::<rbac::ClusterRoleBinding>(document, file),
                "Role" => typed::<rbac::Role>(document, file),
                "RoleBinding" => typed::<rbac::RoleBinding>(document, file),
                "Deployment" => typed::<Deployment>(document, file),
                "PodDisruptionBudget" => {
                    typed::<k8s_openapi::api::policy::v1::PodDisruptionBudget>(document, file);
                }
                "PodScaler" => typed::<PodScaler>(document, file),
                other => panic!("{}: no check for kind {other}", file.display()),
            }
        }
    }

    // Every manifest of deploy/ itself is installed; examples/ is applied on its own.
    let listed: BTreeSet<String> = kustomization_resources().into_iter().collect();
    let present: BTreeSet<String> = files
        .iter()
        .filter(|f| f.parent() == Some(deploy_dir().as_path()))
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| name != "kustomization.yaml")
        .collect();
    assert_eq!(listed, present, "deploy/kustomization.yaml resources");
    let order = kustomization_resources();
    let position = |name: &str| order.iter().position(|r| r == name).unwrap();
    // For a plain `kubectl apply -f` of the files in this order (kustomize sorts by kind
    // itself): the namespace and the CRD before what lives in them or uses them.
    assert!(position("namespace.yaml") < position("rbac.yaml"));
    assert!(position("rbac.yaml") < position("deployment.yaml"));

    // The image the kustomization sets is the one the Deployment names.
    let kustomization = documents(&deploy_dir().join("kustomization.yaml")).remove(0);
    let images = kustomization["images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    let image = controller_container().image.unwrap();
    assert_eq!(
        image,
        format!(
            "{}:{}",
            images[0]["name"].as_str().unwrap(),
            images[0]["newTag"].as_str().unwrap()
        )
    );
    // The tag is the crate's version: a release bumps both.
    assert!(
        image.ends_with(&format!(":{}", env!("CARGO_PKG_VERSION"))),
        "{image}"
    );
}

#[test]
fn the_deployment_runs_the_controller_with_arguments_the_command_accepts() {
    let deployment = deployment();
    let spec = &deployment.spec;
    assert_eq!(spec.replicas, Some(2));
    let container = controller_container();
    // The image's ENTRYPOINT is the binary: the manifest gives arguments only.
    assert_eq!(container.command, None);
    let args = container.args.clone().unwrap();
    let run = run_args(&args);
    assert!(
        run.leader_elect,
        "two replicas need --leader-elect: {args:?}"
    );
    assert_eq!(run.log_format, LogFormat::Json);
    // The Lease goes where the Role allows it: the pod's namespace, by the downward API.
    assert_eq!(run.lease_namespace, None);
    assert_eq!(run.identity, None);
    let env = container.env.unwrap();
    let field = |name: &str| {
        env.iter()
            .find(|e| e.name == name)
            .and_then(|e| e.value_from.as_ref())
            .and_then(|v| v.field_ref.as_ref())
            .map(|f| f.field_path.clone())
    };
    assert_eq!(field("POD_NAME").as_deref(), Some("metadata.name"));
    assert_eq!(
        field("POD_NAMESPACE").as_deref(),
        Some("metadata.namespace")
    );
    assert_eq!(
        deployment.metadata.namespace.as_deref(),
        Some(NAMESPACE),
        "where the Role is"
    );
    let pod = pod_spec();
    assert_eq!(pod.service_account_name.as_deref(), Some(SERVICE_ACCOUNT));
    assert_ne!(pod.automount_service_account_token, Some(false));

    // The image's default command is a valid one too, and the manifests' user is its user.
    let entrypoint: Vec<String> = serde_json::from_str(&dockerfile("ENTRYPOINT")).unwrap();
    assert_eq!(entrypoint, ["/podscale"]);
    let cmd: Vec<String> = serde_json::from_str(&dockerfile("CMD")).unwrap();
    assert!(run_args(&cmd).leader_elect);
    let security = effective_security_context();
    assert_eq!(
        dockerfile("USER"),
        format!(
            "{}:{}",
            security.run_as_user.unwrap(),
            security.run_as_group.unwrap()
        )
    );
}

#[test]
fn the_probes_and_the_metrics_service_use_the_ops_port() {
    let container = controller_container();
    let run = run_args(&container.args.clone().unwrap());
    let ports = container.ports.unwrap();
    let ops = ports
        .iter()
        .find(|p| p.name.as_deref() == Some("ops"))
        .expect("a port named ops");
    // Where `podscale run` listens for /metrics, /healthz and /readyz (--ops-addr).
    assert_eq!(i32::from(run.ops_addr.port()), ops.container_port);
    assert!(
        run.ops_addr.ip().is_unspecified(),
        "the kubelet probes the pod's IP"
    );
    for (probe, path) in [
        (container.liveness_probe, "/healthz"),
        (container.readiness_probe, "/readyz"),
    ] {
        let get = probe
            .and_then(|p| p.http_get)
            .unwrap_or_else(|| panic!("an HTTP probe of {path}"));
        assert_eq!(get.path.as_deref(), Some(path));
        assert_eq!(
            get.port,
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("ops".to_owned())
        );
    }
    let service = the("deployment.yaml", "Service");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "ops");
    let labels = deployment().spec.template.metadata.unwrap().labels.unwrap();
    for (key, value) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(labels.get(key).map(String::as_str), value.as_str(), "{key}");
    }
}

/// The container's security context with the pod's filled in where the container leaves a
/// field unset, as the kubelet applies them.
fn effective_security_context() -> SecurityContext {
    let pod = pod_spec().security_context.unwrap_or_default();
    let mut container = controller_container().security_context.unwrap_or_default();
    container.run_as_non_root = container.run_as_non_root.or(pod.run_as_non_root);
    container.run_as_user = container.run_as_user.or(pod.run_as_user);
    container.run_as_group = container.run_as_group.or(pod.run_as_group);
    container.seccomp_profile = container.seccomp_profile.or(pod.seccomp_profile);
    container
}

#[test]
fn the_container_runs_unprivileged_on_a_read_only_root() {
    let security = effective_security_context();
    assert_eq!(security.run_as_non_root, Some(true));
    assert_eq!(security.run_as_user, Some(65532));
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_ne!(security.privileged, Some(true));
    let capabilities = security.capabilities.unwrap();
    assert_eq!(capabilities.drop.unwrap(), ["ALL"]);
    assert_eq!(capabilities.add, None);
    assert_eq!(security.seccomp_profile.unwrap().type_, "RuntimeDefault");
    let pod = pod_spec();
    assert_ne!(pod.host_network, Some(true));
    assert_eq!(pod.volumes, None, "the binary writes nothing: no volume");
    // Sized from the 64 MB RSS target: requested, with headroom under the limit.
    let resources = controller_container().resources.unwrap();
    let requests = resources.requests.unwrap();
    let limits = resources.limits.unwrap();
    assert_eq!(requests["memory"].0, "64Mi");
    assert!(limits.contains_key("memory") && requests.contains_key("cpu"));
}

#[test]
fn the_leader_election_role_names_the_lease_podscale_run_uses() {
    let run = run_args(&controller_container().args.unwrap());
    let role = the("rbac.yaml", "Role");
    assert_eq!(role["metadata"]["namespace"], NAMESPACE);
    let named: Vec<&Value> = role["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["resourceNames"].is_array())
        .collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0]["resourceNames"], json!([run.lease_name]));
    // The ServiceAccount every binding names is the one the Deployment runs as.
    for binding in documents(&deploy_dir().join("rbac.yaml"))
        .iter()
        .filter(|d| d["kind"].as_str().unwrap().ends_with("Binding"))
    {
        assert_eq!(
            binding["subjects"],
            json!([{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}])
        );
    }
}

#[test]
fn the_example_is_kubectl_autoscale_of_the_hpa_walkthrough_as_a_podscaler() {
    let example = documents(&deploy_dir().join("examples/php-apache.yaml"));
    let walkthrough = repo_root().join("controller/examples/walkthroughs");
    let kind = |documents: &[Value], kind: &str| {
        documents
            .iter()
            .find(|d| d["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    // The walkthrough's own Deployment and Service (requests 200m, limits 500m)...
    let original = documents(&walkthrough.join("php-apache.yaml"));
    for k in ["Deployment", "Service"] {
        assert_eq!(kind(&example, k), kind(&original, k), "{k}");
    }
    // ... and the HPA that `kubectl autoscale deployment php-apache --cpu-percent=50 --min=1
    // --max=10` creates, field for field, as a PodScaler.
    let hpa = kind(
        &documents(&walkthrough.join("php-apache-hpa.yaml")),
        "HorizontalPodAutoscaler",
    );
    let scaler = kind(&example, "PodScaler");
    assert_eq!(scaler["spec"], hpa["spec"]);
    assert_eq!(scaler["metadata"], hpa["metadata"]);
    let scaler: PodScaler = serde_json::from_value(scaler).unwrap();
    assert_eq!(scaler.spec.metrics.len(), 1);
    scaler.prepare().unwrap();
}

// --- On the real control plane -----------------------------------------------------------

/// deploy/ applied once per test binary (tests run side by side: the first one applies).
static INSTALLED: tokio::sync::Mutex<bool> = tokio::sync::Mutex::const_new(false);

/// Applies every manifest the kustomization lists, in its order, by server-side apply with
/// strict field validation (an unknown or misspelled field is an error, not dropped), then
/// waits until the API server's authorizer has the new bindings.
async fn install() {
    let mut installed = INSTALLED.lock().await;
    if *installed {
        return;
    }
    let admin = support::cluster::client().await;
    for file in kustomization_resources() {
        for document in documents(&deploy_dir().join(&file)) {
            apply(&admin, &document).await;
        }
    }
    let sa = service_account_client().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // One request per binding: the ClusterRole's and the Role's.
        let cluster = Api::<Pod>::all(sa.clone())
            .list(&ListParams::default().limit(1))
            .await;
        let leases = Api::<Lease>::namespaced(sa.clone(), NAMESPACE)
            .get_opt("podscale")
            .await;
        if cluster.is_ok() && leases.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the bindings never took effect: {cluster:?} {leases:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    *installed = true;
}

/// Server-side apply of one manifest, its resource found by discovery.
async fn apply(client: &Client, document: &Value) {
    let object: DynamicObject = serde_json::from_value(document.clone()).unwrap();
    let gvk = GroupVersionKind::try_from(object.types.as_ref().unwrap()).unwrap();
    let (resource, capabilities) = kube::discovery::pinned_kind(client, &gvk)
        .await
        .unwrap_or_else(|e| panic!("{gvk:?}: {e}"));
    let api: Api<DynamicObject> = if capabilities.scope == Scope::Namespaced {
        let namespace = object.metadata.namespace.as_deref().unwrap_or("default");
        Api::namespaced_with(client.clone(), namespace, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    };
    let name = object.metadata.name.clone().unwrap();
    api.patch(
        &name,
        &PatchParams::apply("podscale-deploy-test")
            .force()
            .validation_strict(),
        &Patch::Apply(document),
    )
    .await
    .unwrap_or_else(|e| panic!("applying {} {name}: {e}", gvk.kind));
}

/// A client that acts as the controller's ServiceAccount: the admin credential, asking the
/// API server to impersonate the account with the groups its token would carry, so every
/// request is authorized exactly as the controller's pod would be.
async fn service_account_client() -> Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(support::cluster::kubeconfig()).unwrap();
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .unwrap();
    config.auth_info.impersonate = Some(format!(
        "system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"
    ));
    config.auth_info.impersonate_groups = Some(vec![
        "system:serviceaccounts".to_owned(),
        format!("system:serviceaccounts:{NAMESPACE}"),
        "system:authenticated".to_owned(),
    ]);
    Client::try_from(config).unwrap()
}

fn status_code<T: std::fmt::Debug>(result: &Result<T, kube::Error>) -> Option<u16> {
    match result {
        Err(kube::Error::Api(status)) => Some(status.code),
        _ => None,
    }
}

/// `cpu_50` of the e2e tests: `kubectl autoscale deployment NAME --cpu-percent=50 --min=1
/// --max=10`.
fn cpu_50(kind: &str, api_version: &str, target: &str) -> Value {
    json!({
        "scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": target},
        "minReplicas": 1,
        "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
    })
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn the_manifests_apply_strictly_and_the_pod_meets_the_restricted_standard() {
    install().await;
    let admin = support::cluster::client().await;
    // Everything the kustomization lists is there now, as written.
    let deployments: Api<Deployment> = Api::namespaced(admin.clone(), NAMESPACE);
    assert_eq!(
        deployments.get("podscale").await.unwrap().spec.replicas,
        Some(2)
    );
    // No kubelet runs here, so the pod itself is created as a dry run: the API server's
    // PodSecurity admission judges it against the namespace's `enforce: restricted` label.
    let pods: Api<Pod> = Api::namespaced(admin.clone(), NAMESPACE);
    let template = deployment().spec.template;
    let pod = Pod {
        metadata: kube::api::ObjectMeta {
            name: Some("podscale-dry-run".to_owned()),
            labels: template.metadata.and_then(|m| m.labels),
            ..Default::default()
        },
        spec: template.spec,
        ..Pod::default()
    };
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    pods.create(&dry_run, &pod)
        .await
        .unwrap_or_else(|e| panic!("the controller's pod is refused: {e}"));
    // The same pod without its security contexts is refused, so the check above means
    // something.
    let mut loose = pod.clone();
    let spec = loose.spec.as_mut().unwrap();
    spec.security_context = None;
    spec.containers[0].security_context = None;
    let refused = pods.create(&dry_run, &loose).await;
    assert_eq!(status_code(&refused), Some(403), "{refused:?}");
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn as_the_service_account_a_sync_scales_writes_the_status_and_publishes_events() {
    install().await;
    let sa = service_account_client().await;
    // The pod cache of this world runs as the ServiceAccount, over every namespace.
    let w = World::acting_as("deploy-sync", sa.clone()).await;
    w.deployment("web", 1, "200m").await;
    w.podscaler("web", cpu_50("Deployment", "apps/v1", "web"))
        .await
        .expect(NEEDS);

    // The PodScaler loop's list and watch, cluster-wide as `podscale run` does.
    let scalers: Api<PodScaler> = Api::all(sa.clone());
    let list = scalers.list(&ListParams::default()).await.unwrap();
    let scaler = list
        .items
        .iter()
        .find(|s| {
            s.metadata.namespace.as_deref() == Some("deploy-sync")
                && s.metadata.name.as_deref() == Some("web")
        })
        .cloned()
        .unwrap();
    let version = list.metadata.resource_version.unwrap();
    // An error status (403 among them) fails the call itself, before any event.
    let watch = scalers
        .watch(&WatchParams::default().timeout(1), &version)
        .await
        .unwrap();
    drop(watch);

    // Scale get and update, status by server-side apply, an event created.
    w.set_cpu("web", 400).await;
    let synced = w.ctx.sync(&scaler).await.unwrap();
    assert_eq!(synced.problem, None);
    assert_eq!(synced.rescaled_to, Some(4));
    assert_eq!(w.replicas("web").await, 4);
    let status = w.podscalers().get("web").await.unwrap().status.unwrap();
    assert_eq!(status.desired_replicas, Some(4));
    let events = w.events("web").await;
    assert!(
        events.iter().any(|(t, r, n)| t == "Normal"
            && r == "SuccessfulRescale"
            && n.starts_with("New size: 4;")),
        "{events:?}"
    );
    let managers: Vec<String> = w
        .podscalers()
        .get("web")
        .await
        .unwrap()
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.subresource.as_deref() == Some("status"))
        .filter_map(|m| m.manager)
        .collect();
    assert_eq!(managers, ["podscale"]);

    // A target that is not there: a warning event, and the same one at the next sync becomes
    // a series of the first (the event's patch).
    w.podscaler("ghost", cpu_50("Deployment", "apps/v1", "ghost"))
        .await
        .unwrap();
    for _ in 0..2 {
        w.clock.advance(15_000);
        assert_eq!(w.sync("ghost").await.problem, Some("FailedGetScale"));
    }
    let api: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(w.client.clone(), "deploy-sync");
    let ghost = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("ghost"))
        .collect::<Vec<_>>();
    assert_eq!(ghost.len(), 1, "{ghost:?}");
    assert_eq!(ghost[0].reporting_controller.as_deref(), Some("podscale"));
    assert_eq!(ghost[0].series.as_ref().map(|s| s.count), Some(2));

    // A kind rbac.yaml does not grant (its comment says how to add one): refused, and said so
    // in the PodScaler's events, never a scale.
    w.podscaler("legacy", cpu_50("ReplicationController", "v1", "legacy"))
        .await
        .unwrap();
    assert_eq!(w.sync("legacy").await.problem, Some("FailedGetScale"));
    let events = w.events("legacy").await;
    assert!(
        events.iter().any(|(t, r, n)| t == "Warning"
            && r == "FailedGetScale"
            && n.contains("forbidden")
            && n.contains("replicationcontrollers/scale")),
        "{events:?}"
    );
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn as_the_service_account_the_leader_election_takes_renews_and_releases_its_lease() {
    install().await;
    let sa = service_account_client().await;
    let admin = support::cluster::client().await;
    let clock = ManualClock::new(support::cluster::START_MS);
    let run = run_args(&controller_container().args.unwrap());
    let elector = |namespace: &str, lease: &str| {
        LeaderElector::new(
            sa.clone(),
            namespace,
            lease,
            "podscale-0",
            LeaseTimings::default(),
            clock.clone(),
        )
        .unwrap()
    };
    // Where `podscale run` in the Deployment competes: $POD_NAMESPACE, --lease-name.
    let mut ours = elector(NAMESPACE, &run.lease_name);
    assert!(ours.try_acquire_or_renew().await.unwrap(), "created");
    clock.advance(2_000);
    assert!(ours.try_acquire_or_renew().await.unwrap(), "renewed");
    let leases: Api<Lease> = Api::namespaced(admin.clone(), NAMESPACE);
    let held = leases.get(&run.lease_name).await.unwrap().spec.unwrap();
    assert_eq!(held.holder_identity.as_deref(), Some("podscale-0"));
    // A second look from scratch reads the Lease (get) and takes it over on its own record.
    let mut again = elector(NAMESPACE, &run.lease_name);
    assert!(again.try_acquire_or_renew().await.unwrap(), "same identity");
    assert!(again.release().await.unwrap(), "released");
    let released = leases.get(&run.lease_name).await.unwrap().spec.unwrap();
    assert_eq!(released.holder_identity, None);

    // Any other Lease, here or elsewhere (the control plane's own among them), is not ours.
    for (namespace, lease) in [
        (NAMESPACE, "another"),
        ("kube-system", "kube-controller-manager"),
    ] {
        let result = elector(namespace, lease).try_acquire_or_renew().await;
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("forbidden"),
            "{namespace}/{lease}: {message}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn as_the_service_account_every_metrics_request_is_authorized() {
    install().await;
    let sa = service_account_client().await;
    // No metrics-server or adapter runs here, so an authorized request finds no such API
    // (404) while a refused one is 403: the answer tells which it was. These are the
    // controller's own clients, sending the paths they send in a cluster.
    let metrics = MetricsApi::new(sa.clone());
    let query = MetricQuery {
        name: "http_requests".to_owned(),
        selector: Some("verb=GET".to_owned()),
    };
    let service = DescribedObject {
        api_version: "v1".to_owned(),
        kind: "Service".to_owned(),
        name: "frontend".to_owned(),
    };
    let answers = [
        metrics.pod_usage("shop", "app=web").await.map(|_| ()),
        metrics
            .pods_metric("shop", &query, "app=web")
            .await
            .map(|_| ()),
        metrics
            .object_metric("shop", &query, &service)
            .await
            .map(|_| ()),
        metrics.external_metric("shop", &query).await.map(|_| ()),
    ];
    for answer in answers {
        match answer {
            Err(MetricsError::Unavailable { request, message }) => {
                assert!(message.starts_with("HTTP 404"), "{request}: {message}");
            }
            other => panic!("{other:?}"),
        }
    }
    // What those APIs serve beyond that is not granted.
    for path in [
        "/apis/metrics.k8s.io/v1beta1/nodes",
        "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods/web-0",
        "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods",
        "/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/queue/x",
    ] {
        let request = http::Request::get(path).body(Vec::new()).unwrap();
        let answer = sa.request_text(request).await;
        assert_eq!(status_code(&answer), Some(403), "{path}: {answer:?}");
    }
}

#[tokio::test]
#[ignore = "needs the control plane binaries (make controlplane)"]
async fn the_service_account_is_refused_what_the_controller_never_does() {
    install().await;
    let sa = service_account_client().await;
    let w = World::new("deploy-refused").await;
    w.deployment("web", 1, "200m").await;
    w.podscaler("web", cpu_50("Deployment", "apps/v1", "web"))
        .await
        .expect(NEEDS);
    let ns = "deploy-refused";
    let pod = w.pods().list(&ListParams::default()).await.unwrap().items[0].clone();
    let pod_name = pod.metadata.name.clone().unwrap();
    // It works at all: what it does need, it gets.
    Api::<Pod>::namespaced(sa.clone(), ns)
        .list(&ListParams::default())
        .await
        .unwrap();

    let mut refused: Vec<(&str, Result<(), kube::Error>)> = Vec::new();
    let pods: Api<Pod> = Api::namespaced(sa.clone(), ns);
    refused.push((
        "delete a pod",
        pods.delete(&pod_name, &DeleteParams::default())
            .await
            .map(|_| ()),
    ));
    refused.push(("get a pod", pods.get(&pod_name).await.map(|_| ())));
    let mut new_pod = pod.clone();
    new_pod.metadata = kube::api::ObjectMeta {
        name: Some("intruder".to_owned()),
        ..Default::default()
    };
    refused.push((
        "create a pod",
        pods.create(&PostParams::default(), &new_pod)
            .await
            .map(|_| ()),
    ));
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::all(sa.clone());
    refused.push((
        "list secrets",
        secrets.list(&ListParams::default()).await.map(|_| ()),
    ));
    refused.push((
        "read a secret",
        Api::<k8s_openapi::api::core::v1::Secret>::namespaced(sa.clone(), NAMESPACE)
            .get("anything")
            .await
            .map(|_| ()),
    ));
    let scalers: Api<PodScaler> = Api::namespaced(sa.clone(), ns);
    let spec_patch = json!({"spec": {"maxReplicas": 100}});
    refused.push((
        "patch a PodScaler's spec",
        scalers
            .patch("web", &PatchParams::default(), &Patch::Merge(&spec_patch))
            .await
            .map(|_| ()),
    ));
    let scaler = w.podscalers().get("web").await.unwrap();
    refused.push((
        "replace a PodScaler",
        scalers
            .replace("web", &PostParams::default(), &scaler)
            .await
            .map(|_| ()),
    ));
    refused.push((
        "replace a PodScaler's status (only server-side apply patches it)",
        scalers
            .replace_status("web", &PostParams::default(), &scaler)
            .await
            .map(|_| ()),
    ));
    refused.push((
        "delete a PodScaler",
        scalers
            .delete("web", &DeleteParams::default())
            .await
            .map(|_| ()),
    ));
    let deployments: Api<Deployment> = Api::namespaced(sa.clone(), ns);
    let replicas = json!({"spec": {"replicas": 7}});
    refused.push((
        "patch a Deployment (only its scale is written)",
        deployments
            .patch("web", &PatchParams::default(), &Patch::Merge(&replicas))
            .await
            .map(|_| ()),
    ));
    refused.push(("get a Deployment", deployments.get("web").await.map(|_| ())));
    refused.push((
        "patch a Deployment's scale (only update, with the version read)",
        deployments
            .patch_scale("web", &PatchParams::default(), &Patch::Merge(&replicas))
            .await
            .map(|_| ()),
    ));
    let core_event: k8s_openapi::api::core::v1::Event = serde_json::from_value(json!({
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "PodScaler", "name": "web", "namespace": ns},
        "reason": "Test",
    }))
    .unwrap();
    refused.push((
        "create a core/v1 event",
        Api::<k8s_openapi::api::core::v1::Event>::namespaced(sa.clone(), ns)
            .create(&PostParams::default(), &core_event)
            .await
            .map(|_| ()),
    ));
    let binding: k8s_openapi::api::rbac::v1::ClusterRoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "podscale-escalates"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT,
                      "namespace": NAMESPACE}],
    }))
    .unwrap();
    refused.push((
        "bind itself to cluster-admin",
        Api::all(sa.clone())
            .create(&PostParams::default(), &binding)
            .await
            .map(|_| ()),
    ));

    let allowed: Vec<String> = refused
        .iter()
        .filter(|(_, result)| status_code(result) != Some(403))
        .map(|(what, result)| format!("{what}: {result:?}"))
        .collect();
    assert!(
        allowed.is_empty(),
        "not refused with 403:\n{}",
        allowed.join("\n")
    );
    // Nothing changed.
    assert_eq!(w.replicas("web").await, 1);
    assert_eq!(
        w.podscalers().get("web").await.unwrap().spec.max_replicas,
        10
    );
}
