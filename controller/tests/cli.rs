//! The `podscale` binary end to end: `simulate` with the walkthrough files, its errors and
//! exit codes, and `demo`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn podscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_podscale"))
        .args(args)
        .current_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/walkthroughs"
        ))
        .output()
        .unwrap()
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("podscale-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn simulate_prints_the_timeline_and_writes_csv_and_svg() {
    let dir = scratch("simulate");
    let (csv, svg) = (dir.join("timeline.csv"), dir.join("timeline.svg"));
    let out = podscale(&[
        "simulate",
        "-f",
        "php-apache.yaml",
        "-f",
        "php-apache-hpa.yaml",
        "--demand",
        "php-apache-load.csv",
        "--cpu-per-request",
        "40ms",
        "--think-time",
        "10ms",
        "--out",
        csv.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("not simulated: Service/php-apache"),
        "{stderr}"
    );
    // The scale-down, five minutes after the first idle sync.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("15:15") && l.contains("scale to 1")),
        "{stdout}"
    );
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().count(), 82);
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(svg_text.starts_with("<svg") && svg_text.contains("spec.replicas"));

    // The same files again: byte-identical CSV.
    let again = dir.join("again.csv");
    let out = podscale(&[
        "simulate",
        "-q",
        "-f",
        "php-apache.yaml",
        "-f",
        "php-apache-hpa.yaml",
        "--demand",
        "php-apache-load.csv",
        "--cpu-per-request",
        "40ms",
        "--think-time",
        "10ms",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&csv).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn bad_inputs_exit_1_naming_the_file() {
    let dir = scratch("bad");
    let bad = dir.join("load.csv");
    std::fs::write(&bad, "time,clients\n0s,one\n").unwrap();
    let out = podscale(&[
        "simulate",
        "-f",
        "php-apache.yaml",
        "--demand",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("load.csv:2: clients: `one` is not a whole number of clients"),
        "{stderr}"
    );

    // A closed loop without its request cost.
    let out = podscale(&[
        "simulate",
        "-f",
        "php-apache.yaml",
        "--demand",
        "php-apache-load.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("`clients` demand needs --think-time"),
        "{stderr}"
    );

    let out = podscale(&[
        "simulate",
        "-f",
        "missing.yaml",
        "--demand",
        "php-apache-load.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("missing.yaml: cannot read")
    );

    // Usage errors are clap's, exit 2.
    let out = podscale(&["simulate", "--step", "fast"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_prints_three_timelines_and_writes_three_plots() {
    let dir = scratch("demo");
    let out = podscale(&["demo", "--out-dir", dir.to_str().unwrap()]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    for name in ["php-apache", "quarter-hour", "hamster"] {
        assert!(stdout.contains(&format!("== {name}")), "{stdout}");
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"));
    }
    assert!(stdout.contains("activate 0->1"));
    assert!(stdout.contains("587m 250Mi"));
}

#[test]
fn simulate_replays_a_prometheus_answer() {
    let dir = scratch("prometheus");
    let json = dir.join("php-apache-cpu.json");
    // Two pods' CPU in cores over a minute, as query_range answers it.
    std::fs::write(
        &json,
        r#"{"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"pod":"php-apache-0"},"values":[[1714521600,"0.3"],[1714521615,"0.35"],[1714521660,"0.35"]]},
          {"metric":{"pod":"php-apache-1"},"values":[[1714521615,"0.35"],[1714521660,"0.35"]]}]}}"#,
    )
    .unwrap();
    let csv = dir.join("timeline.csv");
    let out = podscale(&[
        "simulate",
        "-q",
        "-f",
        "php-apache.yaml",
        "-f",
        "php-apache-hpa.yaml",
        "--demand",
        json.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 5); // 00:00:00 to 00:01:00 UTC, every 15 s
    assert!(
        rows[0].starts_with("2024-05-01T00:00:00Z,0,300m,300,"),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains(",700m,700,"), "{}", rows[1]);
}

#[test]
#[cfg(feature = "cluster")]
fn crd_prints_the_podscaler_definition() {
    let out = podscale(&["crd"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n")
    );
    assert!(text.contains("name: podscalers.podscale.dev"));
    assert!(
        text.contains("rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas'"),
        "{text}"
    );
}

#[test]
#[cfg(feature = "cluster")]
fn run_refuses_bad_flags_before_reaching_the_cluster() {
    let out = podscale(&["run", "--tolerance=-0.5"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("--tolerance -0.5: must be a number, 0 or more"),
        "{stderr}"
    );
    let out = podscale(&["run", "--sync-period", "soon"]);
    assert_eq!(out.status.code(), Some(2));
}
