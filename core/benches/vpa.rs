//! Criterion benchmarks of the VPA histograms: adding a sample and reading a percentile on the
//! default CPU and memory decaying histograms, plus checkpoints.
//!
//! Run with `cargo bench -p podscale --bench vpa`. Targets: under 20 ns for
//! `vpa/add_sample_*`, under 300 ns for `vpa/percentile_*`.
//!
//! The histograms hold a week of per-minute samples with a daily cycle (built once, outside the
//! timing), so percentile walks cover realistic, populated ranges.

// Bench fixtures are plain test code: indexing, unwraps and arithmetic on small known inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use podscale::vpa::{DecayingHistogram, VpaCheckpointStatus};

/// 2023-11-14T22:13:20Z.
const START_MS: i64 = 1_700_000_000_000;
const MINUTE_MS: i64 = 60_000;
const WEEK_MINUTES: i64 = 7 * 24 * 60;

/// A daily cycle between `low` and `2 * low`.
fn cycle(low: f64, minute: i64) -> f64 {
    let phase = (minute % 1440) as f64 / 1440.0 * std::f64::consts::TAU;
    low * (1.5 + 0.5 * phase.sin())
}

/// A week of per-minute CPU samples (cores, weight 0.1) and memory peaks (bytes, weight 1).
fn week() -> (DecayingHistogram, DecayingHistogram) {
    let (mut cpu, mut memory) = (
        DecayingHistogram::vpa_cpu(),
        DecayingHistogram::vpa_memory(),
    );
    for minute in 0..WEEK_MINUTES {
        let t = START_MS + minute * MINUTE_MS;
        cpu.add_sample(cycle(0.25, minute), 0.1, t).unwrap();
        memory.add_sample(cycle(300e6, minute), 1.0, t).unwrap();
    }
    (cpu, memory)
}

/// 1024 values around the cycle, so that successive samples hit different buckets.
fn values(low: f64) -> Vec<f64> {
    (0..1024).map(|i| cycle(low, i * 7)).collect()
}

fn add_sample(c: &mut Criterion) {
    let (cpu, memory) = week();
    let now = START_MS + WEEK_MINUTES * MINUTE_MS;
    for (name, mut histogram, values, weight) in [
        ("vpa/add_sample_cpu", cpu, values(0.25), 0.1),
        ("vpa/add_sample_memory", memory, values(300e6), 1.0),
    ] {
        let mut i = 0usize;
        c.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                // Within the 100-half-life window: no reference shift, as in steady operation.
                let t = now + (i as i64) * 1000;
                histogram
                    .add_sample(black_box(values[i]), black_box(weight), black_box(t))
                    .unwrap();
            });
        });
    }
}

fn percentile(c: &mut Criterion) {
    let (cpu, memory) = week();
    for (name, histogram) in [
        ("vpa/percentile_cpu", cpu),
        ("vpa/percentile_memory", memory),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| black_box(&histogram).percentile(black_box(0.9)));
        });
    }
}

fn checkpoints(c: &mut Criterion) {
    let (cpu, _) = week();
    let saved = cpu.save_checkpoint();
    c.bench_function("vpa/save_checkpoint_cpu", |b| {
        b.iter(|| black_box(&cpu).save_checkpoint());
    });
    c.bench_function("vpa/load_checkpoint_cpu", |b| {
        b.iter(|| {
            let mut fresh = DecayingHistogram::vpa_cpu();
            fresh.load_checkpoint(black_box(&saved)).unwrap();
            fresh
        });
    });
    let weights: Vec<String> = saved
        .bucket_weights
        .iter()
        .map(|b| format!("\"{}\":{}", b.index, b.weight))
        .collect();
    let json = format!(
        r#"{{"apiVersion":"autoscaling.k8s.io/v1","kind":"VerticalPodAutoscalerCheckpoint","metadata":{{"name":"web-app","namespace":"default","resourceVersion":"1234"}},"spec":{{"containerName":"app","vpaObjectName":"web"}},"status":{{"cpuHistogram":{{"bucketWeights":{{{}}},"referenceTimestamp":"2023-11-21T00:00:00Z","totalWeight":{}}},"firstSampleStart":"2023-11-14T22:13:20Z","lastSampleStart":"2023-11-21T22:12:20Z","lastUpdateTime":"2023-11-21T22:13:00Z","memoryHistogram":{{"bucketWeights":{{"30":10000,"31":8000}},"referenceTimestamp":"2023-11-22T00:00:00Z","totalWeight":7.5}},"totalSamplesCount":10080,"version":"v3"}}}}"#,
        weights.join(","),
        saved.total_weight
    );
    c.bench_function("vpa/import_checkpoint_json", |b| {
        b.iter(|| VpaCheckpointStatus::from_object_json(black_box(json.as_bytes())).unwrap());
    });
}

criterion_group!(benches, add_sample, percentile, checkpoints);
criterion_main!(benches);
