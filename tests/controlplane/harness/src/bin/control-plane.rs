//! Starts a test control plane and keeps it up until stdin closes (Ctrl-D) or the process is
//! stopped: `cargo run -p podscale-controlplane --bin control-plane`, then point kubectl or a
//! controller at the kubeconfig it prints. The drop tests also use it as a process to kill.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use podscale_controlplane::ControlPlane;

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let cp = match ControlPlane::start() {
        Ok(cp) => cp,
        Err(e) => {
            eprintln!("control plane failed to start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let [etcd, apiserver] = cp.pids();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready in {:.1}s", started.elapsed().as_secs_f64());
    let _ = writeln!(out, "server: {}", cp.server_url());
    let _ = writeln!(out, "kubeconfig: {}", cp.kubeconfig_path().display());
    let _ = writeln!(out, "dir: {}", cp.dir().display());
    let _ = writeln!(out, "pids: {etcd} {apiserver}");
    let _ = writeln!(out, "(close stdin to stop)");
    let _ = out.flush();
    drop(out);
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    match cp.stop() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
