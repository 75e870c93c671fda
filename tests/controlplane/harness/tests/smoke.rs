//! The control plane against itself: real requests to the real API server, and proof that
//! every way a test can end stops both processes.
//!
//! These need the binaries of `make controlplane`, so they are ignored by a plain `cargo test`:
//! `make controlplane && cargo test -p podscale-controlplane -- --include-ignored`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use podscale_controlplane::{ControlPlane, versions};
use serde_json::{Value, json};

const NEEDS_BINARIES: &str = "needs `make controlplane`";

/// `method path` with a JSON body; panics unless the status is `want`, returns the JSON body.
fn call(
    cp: &ControlPlane,
    method: &str,
    path: &str,
    content_type: &str,
    body: Option<&Value>,
    want: u16,
) -> Value {
    let url = format!("{}{path}", cp.server_url());
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(&url)
        .header("Content-Type", content_type)
        .header("Accept", "application/json")
        .body(body.map(Value::to_string).unwrap_or_default())
        .unwrap();
    let mut response = cp
        .agent()
        .run(request)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    assert_eq!(status, want, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
}

fn post(cp: &ControlPlane, path: &str, body: &Value) -> Value {
    call(cp, "POST", path, "application/json", Some(body), 201)
}

fn get(cp: &ControlPlane, path: &str) -> Value {
    call(cp, "GET", path, "application/json", None, 200)
}

#[test]
#[ignore = "needs `make controlplane`"]
fn apiserver_serves_the_scale_subresource_and_crds() {
    let started = Instant::now();
    let cp = ControlPlane::start().unwrap_or_else(|e| panic!("{NEEDS_BINARIES}?\n{e}"));
    eprintln!("control plane ready in {:?}", started.elapsed());

    // The binary is the pinned release, stamped as upstream stamps it.
    assert_eq!(get(&cp, "/version")["gitVersion"], versions().kubernetes);

    // Authentication is real: the same CA without the admin certificate is anonymous, and
    // RBAC lets anonymous see the version but not list namespaces.
    let anonymous = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&[
                    ureq::tls::Certificate::from_pem(cp.ca_pem().as_bytes()).unwrap(),
                ]))
                .build(),
        )
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let status = anonymous
        .get(format!("{}/api/v1/namespaces", cp.server_url()))
        .call()
        .unwrap()
        .status();
    assert_eq!(status, 403);

    post(
        &cp,
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "smoke"}}),
    );
    let labels = json!({"app": "web"});
    post(
        &cp,
        "/apis/apps/v1/namespaces/smoke/deployments",
        &json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "pause:3.10"}]},
                },
            },
        }),
    );

    let scale_path = "/apis/apps/v1/namespaces/smoke/deployments/web/scale";
    let scale = get(&cp, scale_path);
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 2);
    // No controller-manager runs, so nothing reconciles the Deployment: no pods, no selector
    // status beyond what the registry computes.
    assert_eq!(scale["status"]["replicas"], 0);

    let patched = call(
        &cp,
        "PATCH",
        scale_path,
        "application/merge-patch+json",
        Some(&json!({"spec": {"replicas": 5}})),
        200,
    );
    assert_eq!(patched["spec"]["replicas"], 5);
    assert_eq!(get(&cp, scale_path)["spec"]["replicas"], 5);
    // The subresource writes the Deployment itself.
    let deployment = get(&cp, "/apis/apps/v1/namespaces/smoke/deployments/web");
    assert_eq!(deployment["spec"]["replicas"], 5);

    // A Scale with a stale resourceVersion is refused: optimistic concurrency holds.
    let mut stale = scale.clone();
    stale["spec"]["replicas"] = json!(7);
    let conflict = call(
        &cp,
        "PUT",
        scale_path,
        "application/json",
        Some(&stale),
        409,
    );
    assert_eq!(conflict["reason"], "Conflict");

    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.smoke.podscale.dev"},
        "spec": {
            "group": "smoke.podscale.dev",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{
                "name": "v1",
                "served": true,
                "storage": true,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {
                        "type": "object",
                        "properties": {"size": {"type": "integer", "minimum": 1}},
                    }},
                }},
            }],
        },
    });
    cp.install_crd(&crd).unwrap();
    let widgets = "/apis/smoke.podscale.dev/v1/namespaces/smoke/widgets";
    let widget = |name: &str, size: i64| {
        json!({
            "apiVersion": "smoke.podscale.dev/v1",
            "kind": "Widget",
            "metadata": {"name": name},
            "spec": {"size": size},
        })
    };
    post(&cp, widgets, &widget("one", 3));
    // The schema is enforced, so the CRD is really installed, not merely accepted.
    let invalid = call(
        &cp,
        "POST",
        widgets,
        "application/json",
        Some(&widget("two", 0)),
        422,
    );
    assert_eq!(invalid["reason"], "Invalid");
    assert_eq!(get(&cp, widgets)["items"].as_array().unwrap().len(), 1);
    // Installing it again is a no-op.
    cp.install_crd(&crd).unwrap();

    let kubeconfig = std::fs::read_to_string(cp.kubeconfig_path()).unwrap();
    assert!(kubeconfig.contains(&format!("server: {}", cp.server_url())));
    assert!(kubeconfig.contains("client-key-data: "));

    cp.stop().unwrap();
    eprintln!("smoke test done in {:?}", started.elapsed());
}

/// True while a process with this id exists and has not terminated. A zombie counts as gone:
/// it has exited and only waits for whoever inherited it to reap it.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
        state != Some(Some('Z'))
    })
}

fn command_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn assert_both_running(pids: [u32; 2]) {
    assert_eq!(command_name(pids[0]), "etcd");
    assert_eq!(command_name(pids[1]), "kube-apiserver");
    assert!(pids.iter().all(|&p| running(p)));
}

/// Polls: a process killed by another may take a moment to go.
fn assert_gone_soon(pids: [u32; 2]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|&p| running(p)) {
        assert!(Instant::now() < deadline, "still running: {pids:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs `make controlplane`"]
fn drop_kills_both_processes_and_removes_the_directory() {
    let cp = ControlPlane::start().unwrap_or_else(|e| panic!("{NEEDS_BINARIES}?\n{e}"));
    let pids = cp.pids();
    let dir = cp.dir().to_owned();
    assert_both_running(pids);
    assert!(dir.join("kubeconfig").is_file());
    drop(cp);
    // Drop reaps them, so they are gone at once, not even zombies.
    for pid in pids {
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "{pid} left");
    }
    assert!(!dir.exists(), "{} left", dir.display());
}

#[test]
#[ignore = "needs `make controlplane`"]
fn a_panicking_test_still_stops_both_processes() {
    let (send, receive) = std::sync::mpsc::channel::<([u32; 2], PathBuf)>();
    let outcome = std::thread::spawn(move || {
        let cp = ControlPlane::start().unwrap_or_else(|e| panic!("{NEEDS_BINARIES}?\n{e}"));
        send.send((cp.pids(), cp.dir().to_owned())).unwrap();
        panic!("a failing assertion in a test");
    })
    .join();
    assert!(outcome.is_err());
    let (pids, dir) = receive.recv().expect("the control plane started");
    for pid in pids {
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "{pid} left");
    }
    assert!(!dir.exists());
}

#[test]
#[ignore = "needs `make controlplane`"]
fn a_killed_test_process_still_stops_both_processes() {
    // The process that owns the control plane dies by SIGKILL, so no Drop runs: the watchdog
    // must kill etcd and kube-apiserver.
    let mut owner = Command::new(env!("CARGO_BIN_EXE_control-plane"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(owner.stdout.take().unwrap());
    let mut pids = None;
    let mut dir = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(path) = line.strip_prefix("dir: ") {
            dir = Some(PathBuf::from(path));
        } else if let Some(rest) = line.strip_prefix("pids: ") {
            let ids: Vec<u32> = rest.split(' ').map(|p| p.parse().unwrap()).collect();
            pids = Some([ids[0], ids[1]]);
            break;
        }
    }
    let pids = pids.unwrap_or_else(|| panic!("{NEEDS_BINARIES}? the owner printed no pids"));
    let dir = dir.expect("the owner printed its directory");
    assert_both_running(pids);
    assert!(dir.join("kubeconfig").is_file());
    owner.kill().unwrap();
    owner.wait().unwrap();
    assert_gone_soon(pids);
    let deadline = Instant::now() + Duration::from_secs(10);
    while dir.exists() {
        assert!(Instant::now() < deadline, "{} left", dir.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}
