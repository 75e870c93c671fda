//! A real kube-apiserver and etcd on 127.0.0.1 for controller tests, as controller-runtime's
//! envtest provides them.
//!
//! The binaries are upstream's, built from the Go modules pinned in `tests/controlplane/go.mod` by
//! `make controlplane` into `~/.cache/podscale/control-plane/<k8s>-<etcd>/` (or the directory in
//! `PODSCALE_CONTROL_PLANE_DIR`). [`ControlPlane::start`] generates a CA, a serving certificate,
//! a service-account key and an admin client certificate (group `system:masters`), starts etcd
//! and kube-apiserver on free loopback ports, waits for `/readyz`, and writes a kubeconfig.
//! Dropping the [`ControlPlane`] kills both processes by process id and removes the temporary
//! directory, also when a test panics. A watchdog process kills them too if the test process
//! itself dies without unwinding (an abort, `SIGKILL`).
//!
//! ```no_run
//! let cp = podscale_controlplane::ControlPlane::start()?;
//! let version = cp.get_json("/version")?;
//! assert_eq!(version["gitVersion"], podscale_controlplane::versions().kubernetes);
//! # Ok::<(), podscale_controlplane::Error>(())
//! ```

mod certs;

use std::fmt;
use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use tempfile::TempDir;
use ureq::Agent;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};

use crate::certs::Credentials;

/// Overrides the directory that holds the `kube-apiserver` and `etcd` binaries.
pub const DIR_ENV: &str = "PODSCALE_CONTROL_PLANE_DIR";
/// Overrides how long, in seconds, startup may take before it fails (default 120).
pub const TIMEOUT_ENV: &str = "PODSCALE_CONTROL_PLANE_TIMEOUT";

const GO_MOD: &str = include_str!("../../go.mod");
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(100);
/// How many times startup is retried when a port picked as free was taken in the meantime.
const PORT_ATTEMPTS: usize = 3;

/// The error of every fallible call here: one message, with the processes' log tails when
/// startup failed.
#[derive(Debug)]
pub struct Error {
    message: String,
    port_in_use: bool,
}

impl Error {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            port_in_use: false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn io_error(context: impl fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::new(format!("{context}: {e}"))
}

/// The upstream versions the binaries are built from, read from `tests/controlplane/go.mod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    /// `k8s.io/kubernetes`, for example `v1.37.2`.
    pub kubernetes: &'static str,
    /// `go.etcd.io/etcd/server/v3`, for example `v3.7.0`.
    pub etcd: &'static str,
}

/// The pinned versions: the same go.mod lines the Makefile reads to name the cache directory.
pub fn versions() -> Versions {
    let required = |module: &str| -> &'static str {
        GO_MOD
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                (words.next() == Some(module))
                    .then(|| words.next())
                    .flatten()
            })
            .find(|version| *version != "=>")
            .unwrap_or_else(|| panic!("tests/controlplane/go.mod does not require {module}"))
    };
    Versions {
        kubernetes: required("k8s.io/kubernetes"),
        etcd: required("go.etcd.io/etcd/server/v3"),
    }
}

/// Where the binaries are: `$PODSCALE_CONTROL_PLANE_DIR`, else where `make controlplane` puts
/// them (`$HOME/.cache/podscale/control-plane/<k8s>-<etcd>`).
pub fn binary_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from);
    let Versions { kubernetes, etcd } = versions();
    home.join(".cache/podscale/control-plane")
        .join(format!("{kubernetes}-{etcd}"))
}

fn find_binary(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        return Ok(path);
    }
    let Versions { kubernetes, etcd } = versions();
    Err(Error::new(format!(
        "{name} not found at {}: run `make controlplane` (it builds kube-apiserver {kubernetes} \
         and etcd {etcd} from tests/controlplane), or set {DIR_ENV} to a directory holding both",
        path.display()
    )))
}

/// Free TCP ports on 127.0.0.1, distinct from each other. They are free when this returns;
/// another process may still take one before ours binds it, which `start` retries.
fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let listeners = (0..N)
        .map(|_| TcpListener::bind(("127.0.0.1", 0)))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(io_error("finding a free port on 127.0.0.1"))?;
    let mut ports = [0; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener
            .local_addr()
            .map_err(io_error("reading a bound port"))?
            .port();
    }
    Ok(ports)
}

fn timeout() -> Result<Duration> {
    match std::env::var(TIMEOUT_ENV) {
        Ok(secs) => secs
            .trim()
            .parse()
            .map(Duration::from_secs)
            .map_err(|e| Error::new(format!("{TIMEOUT_ENV}={secs:?}: {e}"))),
        Err(_) => Ok(DEFAULT_TIMEOUT),
    }
}

/// The last `lines` lines of a file, or why it could not be read.
fn tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

/// One running process of the control plane, its log file beside it.
#[derive(Debug)]
struct Process {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Process {
    fn spawn(name: &'static str, binary: &Path, args: &[String], dir: &Path) -> Result<Self> {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).map_err(io_error(format!("creating {}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(io_error("duplicating a log file"))?;
        let child = Command::new(binary)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(io_error(format!("starting {}", binary.display())))?;
        Ok(Self { name, child, log })
    }

    /// An error if the process has exited: its status and the end of its log.
    fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                let log = tail(&self.log, 40);
                Err(Error {
                    port_in_use: log.contains("address already in use"),
                    message: format!(
                        "{} exited ({status}); the end of {}:\n{log}",
                        self.name,
                        self.log.display()
                    ),
                })
            }
            Err(e) => Err(Error::new(format!("waiting for {}: {e}", self.name))),
        }
    }

    /// Kills by process id and reaps, so the id is gone when this returns.
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // Fails only if it exited in between; wait() reaps it either way.
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A `sh` that reads process ids from its stdin and, when the stdin closes, `kill -9`s them all
/// and removes the temporary directory. The stdin closes when the process holding the other end
/// dies, however it dies. [`Drop`] kills the watchdog first and then does both itself.
#[derive(Debug)]
struct Watchdog {
    child: Child,
    pids: ChildStdin,
}

impl Watchdog {
    fn spawn(dir: &Path) -> Result<Self> {
        let script = r#"pids=; while read -r pid; do pids="$pids $pid"; done
kill -9 $pids 2>/dev/null; rm -rf -- "$1""#;
        let mut child = Command::new("sh")
            .args(["-c", script, "sh"])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(io_error("starting the watchdog (sh)"))?;
        let pids = child.stdin.take().expect("stdin is piped");
        Ok(Self { child, pids })
    }

    fn watch(&mut self, pid: u32) -> Result<()> {
        writeln!(self.pids, "{pid}").map_err(io_error("handing a pid to the watchdog"))
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running etcd and kube-apiserver, with an admin credential. Dropping it stops both.
#[derive(Debug)]
pub struct ControlPlane {
    // Field order is drop order: the temporary directory goes after `Drop::drop` stopped the
    // processes that write into it.
    watchdog: Option<Watchdog>,
    apiserver: Option<Process>,
    etcd: Option<Process>,
    creds: Credentials,
    server_url: String,
    etcd_url: String,
    kubeconfig: PathBuf,
    agent: Agent,
    dir: TempDir,
}

impl ControlPlane {
    /// Starts etcd and kube-apiserver and waits until the API server is ready.
    ///
    /// # Errors
    ///
    /// A message naming `make controlplane` when the binaries are missing; the end of the
    /// process logs when a process exits or readiness times out.
    pub fn start() -> Result<Self> {
        let dir = binary_dir();
        let apiserver = find_binary(&dir, "kube-apiserver")?;
        let etcd = find_binary(&dir, "etcd")?;
        let timeout = timeout()?;
        let mut attempt = 1;
        loop {
            match Self::start_once(&apiserver, &etcd, timeout) {
                Err(e) if e.port_in_use && attempt < PORT_ATTEMPTS => attempt += 1,
                result => return result,
            }
        }
    }

    fn start_once(apiserver: &Path, etcd: &Path, timeout: Duration) -> Result<Self> {
        let started = Instant::now();
        let dir = tempfile::Builder::new()
            .prefix("podscale-control-plane-")
            .tempdir()
            .map_err(io_error("creating a temporary directory"))?;
        let path = dir.path().to_owned();
        let creds = Credentials::generate()?;
        let write = |name: &str, text: &str| -> Result<PathBuf> {
            let file = path.join(name);
            fs::write(&file, text).map_err(io_error(format!("writing {}", file.display())))?;
            Ok(file)
        };
        let ca_file = write("ca.crt", &creds.ca_cert)?;
        let serving_cert = write("apiserver.crt", &creds.serving_cert)?;
        let serving_key = write("apiserver.key", &creds.serving_key)?;
        let sa_key = write("service-account.key", &creds.service_account_key)?;
        let sa_pub = write("service-account.pub", &creds.service_account_public_key)?;
        write("admin.crt", &creds.admin_cert)?;
        write("admin.key", &creds.admin_key)?;

        let [etcd_port, peer_port, secure_port] = free_ports()?;
        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let server_url = format!("https://127.0.0.1:{secure_port}");
        let agent = admin_agent(&creds)?;
        let mut cp = Self {
            watchdog: Some(Watchdog::spawn(&path)?),
            apiserver: None,
            etcd: None,
            kubeconfig: path.join("kubeconfig"),
            creds,
            server_url,
            etcd_url,
            agent,
            dir,
        };
        let deadline = started + timeout;

        let etcd_args = [
            "--name=default".to_owned(),
            format!("--data-dir={}", path.join("etcd").display()),
            format!("--listen-client-urls={}", cp.etcd_url),
            format!("--advertise-client-urls={}", cp.etcd_url),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=default={peer_url}"),
            // Throwaway data: skip fsync, as envtest does.
            "--unsafe-no-fsync=true".to_owned(),
        ];
        let process = Process::spawn("etcd", etcd, &etcd_args, &path)?;
        cp.watch(&process)?;
        cp.etcd = Some(process);
        cp.wait_for_etcd(deadline)?;

        let apiserver_args = [
            format!("--etcd-servers={}", cp.etcd_url),
            "--bind-address=127.0.0.1".to_owned(),
            "--advertise-address=127.0.0.1".to_owned(),
            // The endpoint reconciler refuses a loopback advertise address; nothing in the tests
            // dials the `kubernetes` service from inside a cluster.
            "--endpoint-reconciler-type=none".to_owned(),
            format!("--secure-port={secure_port}"),
            format!("--cert-dir={}", path.join("apiserver-certs").display()),
            format!("--tls-cert-file={}", serving_cert.display()),
            format!("--tls-private-key-file={}", serving_key.display()),
            format!("--client-ca-file={}", ca_file.display()),
            "--authorization-mode=RBAC".to_owned(),
            format!("--service-account-key-file={}", sa_pub.display()),
            format!("--service-account-signing-key-file={}", sa_key.display()),
            "--service-account-issuer=https://kubernetes.default.svc".to_owned(),
            "--service-cluster-ip-range=10.0.0.0/24".to_owned(),
            "--allow-privileged=true".to_owned(),
            // No controller-manager runs: nothing would create the default ServiceAccount that
            // this plugin requires of every pod (envtest disables it for the same reason).
            "--disable-admission-plugins=ServiceAccount".to_owned(),
        ];
        let process = Process::spawn("kube-apiserver", apiserver, &apiserver_args, &path)?;
        cp.watch(&process)?;
        cp.apiserver = Some(process);
        cp.wait_for_apiserver(deadline)?;

        let kubeconfig = cp.kubeconfig_yaml();
        fs::write(&cp.kubeconfig, kubeconfig).map_err(io_error("writing the kubeconfig"))?;
        Ok(cp)
    }

    fn watch(&mut self, process: &Process) -> Result<()> {
        let watchdog = self.watchdog.as_mut().expect("set at start");
        watchdog.watch(process.child.id())
    }

    fn processes(&mut self) -> impl Iterator<Item = &mut Process> {
        self.etcd.iter_mut().chain(self.apiserver.iter_mut())
    }

    /// Whether both processes still run.
    ///
    /// # Errors
    ///
    /// If either has exited, with its exit status and the end of its log.
    pub fn check_running(&mut self) -> Result<()> {
        self.processes().try_for_each(Process::check_alive)
    }

    /// Polls until `ready` says yes, failing early if a process exits, or at the deadline.
    fn wait_until(
        &mut self,
        what: &str,
        deadline: Instant,
        mut ready: impl FnMut(&Agent) -> Result<(), String>,
    ) -> Result<()> {
        loop {
            self.check_running()?;
            let last = match ready(&self.agent) {
                Ok(()) => return Ok(()),
                Err(last) => last,
            };
            if Instant::now() >= deadline {
                return Err(Error::new(format!(
                    "{what} not ready in time (last answer: {last}); set {TIMEOUT_ENV} to wait \
                     longer\n{}",
                    self.logs(40)
                )));
            }
            std::thread::sleep(POLL);
        }
    }

    fn wait_for_etcd(&mut self, deadline: Instant) -> Result<()> {
        let url = format!("{}/health", self.etcd_url);
        self.wait_until("etcd", deadline, |agent| {
            let body = agent
                .get(&url)
                .call()
                .map_err(|e| e.to_string())?
                .body_mut()
                .read_to_string()
                .map_err(|e| e.to_string())?;
            if body.contains(r#""health":"true""#) {
                Ok(())
            } else {
                Err(body)
            }
        })
    }

    fn wait_for_apiserver(&mut self, deadline: Instant) -> Result<()> {
        let url = format!("{}/readyz", self.server_url);
        self.wait_until("kube-apiserver", deadline, |agent| {
            let mut response = agent.get(&url).call().map_err(|e| e.to_string())?;
            let status = response.status();
            let body = response
                .body_mut()
                .read_to_string()
                .map_err(|e| e.to_string())?;
            if status == 200 {
                Ok(())
            } else {
                Err(format!("{status}: {body}"))
            }
        })
    }

    /// The last `lines` lines of each process's log, headed by its path.
    pub fn logs(&self, lines: usize) -> String {
        let mut out = String::new();
        for p in self.etcd.iter().chain(&self.apiserver) {
            out += &format!(
                "--- {} ({}):\n{}\n",
                p.name,
                p.log.display(),
                tail(&p.log, lines)
            );
        }
        out
    }

    fn kubeconfig_yaml(&self) -> String {
        let b64 = |pem: &str| BASE64.encode(pem);
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: podscale-test\n  cluster:\n    \
             server: {}\n    certificate-authority-data: {}\nusers:\n- name: admin\n  user:\n    \
             client-certificate-data: {}\n    client-key-data: {}\ncontexts:\n- name: \
             podscale-test\n  context:\n    cluster: podscale-test\n    user: admin\n\
             current-context: podscale-test\n",
            self.server_url,
            b64(&self.creds.ca_cert),
            b64(&self.creds.admin_cert),
            b64(&self.creds.admin_key),
        )
    }

    /// A kubeconfig for the admin user (context `podscale-test`), certificates inline.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// `https://127.0.0.1:PORT`.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// `http://127.0.0.1:PORT` of etcd.
    pub fn etcd_url(&self) -> &str {
        &self.etcd_url
    }

    /// PEM of the CA that signed the serving and the admin certificates.
    pub fn ca_pem(&self) -> &str {
        &self.creds.ca_cert
    }

    /// PEM of the admin client certificate (CN `admin`, O `system:masters`).
    pub fn client_cert_pem(&self) -> &str {
        &self.creds.admin_cert
    }

    /// PEM (PKCS#8) of the admin client key.
    pub fn client_key_pem(&self) -> &str {
        &self.creds.admin_key
    }

    /// The temporary directory: certificates, kubeconfig, logs, etcd data.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Process ids of etcd and kube-apiserver, in that order.
    pub fn pids(&self) -> [u32; 2] {
        let pid = |p: &Option<Process>| p.as_ref().map_or(0, |p| p.child.id());
        [pid(&self.etcd), pid(&self.apiserver)]
    }

    /// An HTTP agent that trusts the CA and presents the admin certificate.
    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    /// The JSON body of a GET on `path` (for example `/version`).
    ///
    /// # Errors
    ///
    /// Unless the answer is 200 with a JSON body; the error holds the status and body.
    pub fn get_json(&self, path: &str) -> Result<Value> {
        let response = self.agent.get(format!("{}{path}", self.server_url)).call();
        json_response("GET", path, 200, response)
    }

    /// Creates a CustomResourceDefinition (apiextensions.k8s.io/v1, as JSON) and waits until
    /// it is Established and its resource is served, as envtest's CRD install does. An existing
    /// CRD of the same name is left as it is.
    ///
    /// # Errors
    ///
    /// If the API server refuses the CRD, or it is not served before the startup timeout.
    pub fn install_crd(&self, crd: &Value) -> Result<()> {
        let path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
        let response = self
            .agent
            .post(format!("{}{path}", self.server_url))
            .header("Content-Type", "application/json")
            .send(crd.to_string());
        match json_response("POST", path, 201, response) {
            Ok(_) => {}
            Err(e) if e.message.contains("AlreadyExists") => {}
            Err(e) => return Err(e),
        }
        let field = |pointer: &str| {
            crd.pointer(pointer)
                .and_then(Value::as_str)
                .ok_or_else(|| Error::new(format!("the CRD has no string at {pointer}")))
        };
        let name = field("/metadata/name")?;
        let group = field("/spec/group")?;
        let plural = field("/spec/names/plural")?;
        let versions: Vec<&str> = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|v| v["served"] == true)
            .filter_map(|v| v["name"].as_str())
            .collect();

        let deadline = Instant::now() + timeout()?;
        let crd_path = format!("{path}/{name}");
        let established = |got: &Value| {
            got.pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|conds| {
                    conds
                        .iter()
                        .any(|c| c["type"] == "Established" && c["status"] == "True")
                })
        };
        let served = |version: &str| {
            self.get_json(&format!("/apis/{group}/{version}"))
                .is_ok_and(|list| {
                    list["resources"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(|r| r["name"] == plural))
                })
        };
        loop {
            let got = self.get_json(&crd_path)?;
            if established(&got) && versions.iter().all(|v| served(v)) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::new(format!(
                    "CRD {name} not established and served in time: {}",
                    got["status"]
                )));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Stops both processes now, as dropping does.
    ///
    /// # Errors
    ///
    /// If either had already exited on its own (it crashed during the test), with the end of
    /// its log.
    pub fn stop(mut self) -> Result<()> {
        let result = self.check_running();
        self.stop_processes();
        result
    }

    fn stop_processes(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            w.stop();
        }
        // The API server first, so it never sees its storage go away while still serving.
        if let Some(mut p) = self.apiserver.take() {
            p.stop();
        }
        if let Some(mut p) = self.etcd.take() {
            p.stop();
        }
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        self.stop_processes();
    }
}

fn admin_agent(creds: &Credentials) -> Result<Agent> {
    let tls_error = |what: &str| {
        let what = what.to_owned();
        move |e: ureq::Error| Error::new(format!("parsing the {what}: {e}"))
    };
    let ca = Certificate::from_pem(creds.ca_cert.as_bytes()).map_err(tls_error("CA"))?;
    let cert =
        Certificate::from_pem(creds.admin_cert.as_bytes()).map_err(tls_error("admin cert"))?;
    let key = PrivateKey::from_pem(creds.admin_key.as_bytes()).map_err(tls_error("admin key"))?;
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(vec![ca])))
        .client_cert(Some(ClientCert::new_with_certs(&[cert], key)))
        .build();
    Ok(Agent::config_builder()
        .tls_config(tls)
        // Loopback only: never through a proxy from the environment.
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into())
}

/// The JSON body if the status is `want`, else an error with the status and body.
fn json_response(
    method: &str,
    path: &str,
    want: u16,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Value> {
    let mut response = response.map_err(|e| Error::new(format!("{method} {path}: {e}")))?;
    let status = response.status().as_u16();
    let mut body = String::new();
    response
        .body_mut()
        .as_reader()
        .read_to_string(&mut body)
        .map_err(io_error(format!("{method} {path}: reading the body")))?;
    if status != want {
        return Err(Error::new(format!("{method} {path}: {status}: {body}")));
    }
    serde_json::from_str(&body).map_err(|e| Error::new(format!("{method} {path}: {e}: {body}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_go_mod() {
        let v = versions();
        assert!(v.kubernetes.starts_with("v1."), "{v:?}");
        assert!(v.etcd.starts_with("v3."), "{v:?}");
    }

    #[test]
    fn missing_binaries_name_the_make_target() {
        let dir = tempfile::tempdir().unwrap();
        let e = find_binary(dir.path(), "etcd").unwrap_err().to_string();
        assert!(e.contains("make controlplane"), "{e}");
        assert!(e.contains(DIR_ENV), "{e}");
    }

    #[test]
    fn free_ports_are_distinct() {
        let [a, b, c] = free_ports().unwrap();
        assert!(a != b && b != c && a != c);
    }
}
