//! Properties of the VPA histograms, checkpoints and checkpoint import, on random inputs.
// Tests may index and unwrap: a panic here is a failed test, not a library panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use podscale::vpa::{
    BucketWeight, DecayingHistogram, GO_ZERO_TIME_MS, Histogram, HistogramCheckpoint,
    HistogramOptions, VPA_DEFAULT_HALF_LIFE_MS, VpaCheckpointStatus,
};
use proptest::prelude::*;

const HOUR: i64 = 3_600_000;
/// 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000_000;

/// The options the recommender uses, and the linear ones of upstream's tests.
fn options() -> impl Strategy<Value = HistogramOptions> {
    prop_oneof![
        Just(HistogramOptions::vpa_cpu()),
        Just(HistogramOptions::vpa_memory()),
        Just(HistogramOptions::linear(10.0, 1.0, 1e-15).unwrap()),
        Just(HistogramOptions::linear(5.0, 0.3, 0.001).unwrap()),
    ]
}

/// A value across the whole range of `options`, below and above it included.
fn value_for(options: &HistogramOptions) -> impl Strategy<Value = f64> + use<> {
    let top = options.max_value() * 1.2;
    prop_oneof![
        3 => (0.0..1.0f64).prop_map(move |x| x * x * top),
        1 => Just(0.0),
        1 => -10.0..0.0f64,
    ]
}

/// Samples `(value, weight, offset from T0)` within a few half-lives of each other, so that no
/// decayed weight falls below epsilon.
fn samples(
    options: &HistogramOptions,
    len: usize,
) -> impl Strategy<Value = Vec<(f64, f64, i64)>> + use<> {
    prop::collection::vec((value_for(options), 1.0..100.0f64, 0..4 * HOUR), 1..len)
}

fn decaying(options: HistogramOptions, samples: &[(f64, f64, i64)]) -> DecayingHistogram {
    let mut h = DecayingHistogram::<176>::new(options, HOUR).unwrap();
    for &(value, weight, offset) in samples {
        h.add_sample(value, weight, T0 + offset).unwrap();
    }
    h
}

const PERCENTILES: [f64; 12] = [
    0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0, 1.5,
];

/// `δ` of the checkpoint module's precision statement, with a little slack for rounding.
fn checkpoint_precision(h: &Histogram) -> f64 {
    let weights = h.bucket_weights();
    let range = &weights[h.min_bucket()..=h.max_bucket()];
    let k = range.len() as f64;
    let in_range: f64 = range.iter().sum();
    let total = h.total_weight();
    k / 20_000.0 + (k * h.options().epsilon() + (total - in_range).abs()) / total + 1e-9
}

/// Owned inputs for anything-goes calls.
#[derive(Debug, Clone)]
enum Op {
    Add(f64, f64, i64),
    Sub(f64, f64, i64),
    Percentile(f64),
    SaveLoad,
    MergeFresh(i64),
}

fn wild_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(-0.0),
        Just(5e-324),
        any::<f64>(),
        -1e3..1e3f64,
    ]
}

fn wild_time() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(GO_ZERO_TIME_MS),
        Just(0),
        any::<i64>(),
        (0..1000 * HOUR).prop_map(|o| T0 + o),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (wild_f64(), wild_f64(), wild_time()).prop_map(|(v, w, t)| Op::Add(v, w, t)),
        2 => (wild_f64(), wild_f64(), wild_time()).prop_map(|(v, w, t)| Op::Sub(v, w, t)),
        2 => wild_f64().prop_map(Op::Percentile),
        1 => Just(Op::SaveLoad),
        1 => wild_time().prop_map(Op::MergeFresh),
    ]
}

/// Options from arbitrary parameters, when valid.
fn wild_options() -> impl Strategy<Value = Option<HistogramOptions>> {
    prop_oneof![
        options().prop_map(Some),
        (wild_f64(), wild_f64(), wild_f64())
            .prop_map(|(m, s, e)| HistogramOptions::linear(m, s, e).ok()),
        (wild_f64(), wild_f64(), 1.0..3.0f64, wild_f64())
            .prop_map(|(m, f, r, e)| HistogramOptions::exponential(m, f, r, e).ok()),
    ]
}

/// RFC 3339 with whole seconds, as metav1.Time writes it.
fn rfc3339(ms: i64) -> String {
    let (days, secs) = (
        ms.div_euclid(1000).div_euclid(86_400),
        ms.div_euclid(1000).rem_euclid(86_400),
    );
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn time_json(ms: i64) -> String {
    if ms == GO_ZERO_TIME_MS {
        "null".to_string()
    } else {
        format!("\"{}\"", rfc3339(ms))
    }
}

fn histogram_json(checkpoint: &HistogramCheckpoint) -> String {
    let weights: Vec<String> = checkpoint
        .bucket_weights
        .iter()
        .map(|b| format!("\"{}\":{}", b.index, b.weight))
        .collect();
    format!(
        "{{\"bucketWeights\":{{{}}},\"referenceTimestamp\":{},\"totalWeight\":{:?}}}",
        weights.join(","),
        time_json(checkpoint.reference_ms),
        checkpoint.total_weight
    )
}

/// Whole seconds between 1970 and 2100, or Go's zero time.
fn checkpoint_time() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(GO_ZERO_TIME_MS),
        (0i64..4_102_444_800).prop_map(|s| s * 1000)
    ]
}

fn histogram_checkpoint(options: HistogramOptions) -> impl Strategy<Value = HistogramCheckpoint> {
    (
        checkpoint_time(),
        0.0..1e6f64,
        prop::collection::btree_map(0u32..176, any::<u32>(), 0..40),
    )
        .prop_map(move |(reference_ms, total_weight, weights)| {
            let mut checkpoint = HistogramCheckpoint::empty(options);
            checkpoint.reference_ms = reference_ms;
            checkpoint.total_weight = total_weight;
            for (index, weight) in weights {
                checkpoint
                    .bucket_weights
                    .push(BucketWeight::new(index, weight))
                    .unwrap();
            }
            checkpoint
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Percentiles never decrease as p grows, for plain and decaying histograms.
    #[test]
    fn percentiles_are_monotone_in_p(
        (options, samples, removed) in options().prop_flat_map(|o| {
            (Just(o), samples(&o, 40), prop::collection::vec(any::<prop::sample::Index>(), 0..10))
        }),
        ps in prop::collection::vec(-0.5..1.5f64, 2..20),
    ) {
        let mut h = decaying(options, &samples);
        for index in removed {
            let (value, weight, offset) = samples[index.index(samples.len())];
            h.subtract_sample(value, weight / 2.0, T0 + offset).unwrap();
        }
        let mut ps = ps;
        ps.sort_by(f64::total_cmp);
        let values: Vec<f64> = ps.iter().map(|&p| h.percentile(p)).collect();
        for pair in values.windows(2) {
            prop_assert!(pair[0] <= pair[1], "{ps:?} -> {values:?}");
        }
        let mut plain = Histogram::<176>::new(options).unwrap();
        for &(value, weight, _) in &samples {
            plain.add_sample(value, weight).unwrap();
        }
        let values: Vec<f64> = ps.iter().map(|&p| plain.percentile(p)).collect();
        for pair in values.windows(2) {
            prop_assert!(pair[0] <= pair[1], "{ps:?} -> {values:?}");
        }
    }

    /// A save/load round trip moves no percentile by more than the documented precision, and
    /// keeps the total and the reference exactly.
    #[test]
    fn checkpoint_round_trip_preserves_percentiles(
        (options, samples) in options().prop_flat_map(|o| (Just(o), samples(&o, 60))),
    ) {
        let h = decaying(options, &samples);
        let checkpoint = h.save_checkpoint();
        prop_assert!(checkpoint.bucket_weights.iter().any(|b| b.weight == 10_000));
        let mut loaded = DecayingHistogram::<176>::new(options, HOUR).unwrap();
        loaded.load_checkpoint(&checkpoint).unwrap();
        prop_assert_eq!(loaded.reference_ms(), h.reference_ms());
        prop_assert_eq!(loaded.histogram().total_weight(), h.histogram().total_weight());
        let delta = checkpoint_precision(h.histogram());
        prop_assert!(delta < 0.01);
        for p in PERCENTILES {
            let got = loaded.percentile(p);
            prop_assert!(h.percentile(p - delta) <= got, "p {p}: {} > {got}", h.percentile(p - delta));
            prop_assert!(got <= h.percentile(p + delta), "p {p}: {got} > {}", h.percentile(p + delta));
        }
        // Saving what was loaded gives the same checkpoint back.
        prop_assert_eq!(loaded.save_checkpoint(), checkpoint);
    }

    /// Moving the decay reference forward (here through a merge with an empty histogram whose
    /// reference is later) scales every weight by a power of two: percentiles stay bit-exact.
    #[test]
    fn shifting_the_reference_keeps_percentiles(
        (options, samples) in options().prop_flat_map(|o| (Just(o), samples(&o, 40))),
        half_lives in 0i64..8,
    ) {
        let h = decaying(options, &samples);
        let mut shifted = h.clone();
        let mut later = DecayingHistogram::<176>::new(options, HOUR).unwrap();
        let mut marker = HistogramCheckpoint::empty(options);
        marker.reference_ms = h.reference_ms() + half_lives * HOUR;
        later.load_checkpoint(&marker).unwrap();
        shifted.merge(&mut later).unwrap();
        prop_assert_eq!(shifted.reference_ms(), marker.reference_ms);
        for p in PERCENTILES {
            prop_assert_eq!(shifted.percentile(p).to_bits(), h.percentile(p).to_bits());
        }
    }

    /// Moving every sample by whole half-lives moves the reference with them and nothing else.
    #[test]
    fn translating_samples_by_half_lives_changes_nothing_else(
        (options, samples) in options().prop_flat_map(|o| (Just(o), samples(&o, 40))),
        days in -5000i64..5000,
    ) {
        let mut moved = DecayingHistogram::<176>::new(options, VPA_DEFAULT_HALF_LIFE_MS).unwrap();
        let mut original = DecayingHistogram::<176>::new(options, VPA_DEFAULT_HALF_LIFE_MS).unwrap();
        for &(value, weight, offset) in &samples {
            original.add_sample(value, weight, T0 + offset * 6).unwrap();
            moved.add_sample(value, weight, T0 + offset * 6 + days * VPA_DEFAULT_HALF_LIFE_MS).unwrap();
        }
        prop_assert_eq!(moved.reference_ms(), original.reference_ms() + days * VPA_DEFAULT_HALF_LIFE_MS);
        prop_assert_eq!(moved.histogram(), original.histogram());
    }

    /// No sequence of operations with any numbers or times panics; invalid ones are refused
    /// without changing anything, weights stay finite, and percentiles are never NaN.
    #[test]
    fn nothing_panics(
        options in wild_options(),
        half_life in prop_oneof![Just(1i64), Just(HOUR), Just(VPA_DEFAULT_HALF_LIFE_MS), any::<i64>()],
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let Some(options) = options else { return Ok(()) };
        let Ok(mut h) = DecayingHistogram::<176>::new(options, half_life) else { return Ok(()) };
        for op in ops {
            let before = h.clone();
            match op {
                Op::Add(v, w, t) => {
                    if h.add_sample(v, w, t).is_err() {
                        prop_assert_eq!(&h, &before);
                    }
                }
                Op::Sub(v, w, t) => {
                    if h.subtract_sample(v, w, t).is_err() {
                        prop_assert_eq!(&h, &before);
                    }
                }
                Op::Percentile(p) => {
                    prop_assert!(!h.percentile(p).is_nan());
                }
                Op::SaveLoad => {
                    let checkpoint = h.save_checkpoint();
                    let mut fresh = DecayingHistogram::<176>::new(options, half_life).unwrap();
                    let _ = fresh.load_checkpoint(&checkpoint);
                    let _ = fresh.percentile(0.5);
                }
                Op::MergeFresh(t) => {
                    let mut other = DecayingHistogram::<176>::new(options, half_life).unwrap();
                    let _ = other.add_sample(1.0, 1.0, t);
                    h.merge(&mut other).unwrap();
                }
            }
            let last = options.num_buckets() - 1;
            let inner = h.histogram();
            prop_assert!(inner.min_bucket() <= last && inner.max_bucket() <= last);
            // Weights stay finite and non-negative whatever comes in.
            prop_assert!(inner.total_weight().is_finite() && inner.total_weight() >= 0.0);
            prop_assert!(inner.bucket_weights().iter().all(|w| w.is_finite() && *w >= 0.0));
        }
    }

    /// Checkpoints with any contents load or are refused, and never panic.
    #[test]
    fn any_checkpoint_loads_or_is_refused(
        options in options(),
        total in wild_f64(),
        reference in wild_time(),
        version in prop_oneof![Just(1u32), any::<u32>()],
        weights in prop::collection::vec((0u32..200, any::<u32>()), 0..50),
    ) {
        let mut checkpoint = HistogramCheckpoint::empty(options);
        checkpoint.version = version;
        checkpoint.total_weight = total;
        checkpoint.reference_ms = reference;
        for (index, weight) in weights {
            let _ = checkpoint.bucket_weights.push(BucketWeight::new(index, weight));
        }
        let mut h = DecayingHistogram::<176>::new(options, HOUR).unwrap();
        let before = h.clone();
        match h.load_checkpoint(&checkpoint) {
            Ok(()) => prop_assert_eq!(h.reference_ms(), reference),
            Err(_) => prop_assert_eq!(&h, &before),
        }
        let _ = h.percentile(0.9);
    }

    /// What the recommender writes, podscale reads back exactly.
    #[test]
    fn checkpoint_json_imports_exactly(
        cpu in histogram_checkpoint(HistogramOptions::vpa_cpu()),
        memory in histogram_checkpoint(HistogramOptions::vpa_memory()),
        times in (checkpoint_time(), checkpoint_time(), checkpoint_time()),
        count in 0i64..10_000_000,
    ) {
        let json = format!(
            r#"{{"apiVersion":"autoscaling.k8s.io/v1","kind":"VerticalPodAutoscalerCheckpoint","metadata":{{"name":"a-b","namespace":"c","labels":{{"x":"y"}},"managedFields":[{{"manager":"recommender","fieldsV1":{{"f:status":{{}}}}}}]}},"spec":{{"containerName":"b","vpaObjectName":"a"}},"status":{{"cpuHistogram":{},"firstSampleStart":{},"lastSampleStart":{},"lastUpdateTime":{},"memoryHistogram":{},"totalSamplesCount":{count},"version":"v3"}}}}"#,
            histogram_json(&cpu),
            time_json(times.0),
            time_json(times.1),
            time_json(times.2),
            histogram_json(&memory),
        );
        let status = VpaCheckpointStatus::from_object_json(json.as_bytes()).unwrap();
        prop_assert_eq!(status.cpu_histogram, cpu);
        prop_assert_eq!(status.memory_histogram, memory);
        prop_assert_eq!(
            (status.first_sample_start_ms, status.last_sample_start_ms, status.last_update_time_ms),
            times
        );
        prop_assert_eq!(status.total_samples_count, count);
    }

    /// Arbitrary bytes, and arbitrary corruptions of a valid object, are refused or read, never
    /// a panic; errors render.
    #[test]
    fn import_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        let _ = VpaCheckpointStatus::from_object_json(&bytes).map_err(|e| e.to_string());
        let _ = VpaCheckpointStatus::from_status_json(&bytes).map_err(|e| e.to_string());
        let valid = br#"{"status":{"cpuHistogram":{"bucketWeights":{"3":10000,"17":22},"referenceTimestamp":"2024-05-01T00:00:00Z","totalWeight":1.5e2},"version":"v3","totalSamplesCount":12,"lastSampleStart":"2024-05-01T10:00:00Z"}}"#;
        prop_assert!(VpaCheckpointStatus::from_object_json(valid).is_ok());
        let prefix = &valid[..cut.index(valid.len())];
        prop_assert!(VpaCheckpointStatus::from_object_json(prefix).is_err());
        let mut corrupted = valid.to_vec();
        let at = flip.0.index(corrupted.len());
        corrupted[at] = flip.1;
        let _ = VpaCheckpointStatus::from_object_json(&corrupted).map_err(|e| e.to_string());
    }
}

#[cfg(feature = "serde")]
mod serde_round_trip {
    use super::*;

    /// Floats equal within an ulp: the dev-dependency `serde_json` is built without
    /// `float_roundtrip`, so its reader can be one ulp off (the writer is exact).
    fn close(a: f64, b: f64) -> bool {
        a == b || (a.to_bits() as i64 - b.to_bits() as i64).abs() <= 1
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn state_round_trips_through_json(
            (options, samples) in options().prop_flat_map(|o| (Just(o), samples(&o, 40))),
        ) {
            let h = decaying(options, &samples);
            let json = serde_json::to_string(&h).unwrap();
            let back: DecayingHistogram = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.reference_ms(), h.reference_ms());
            prop_assert_eq!(back.half_life_ms(), h.half_life_ms());
            prop_assert_eq!(back.options(), h.options());
            let (a, b) = (back.histogram(), h.histogram());
            prop_assert_eq!((a.min_bucket(), a.max_bucket()), (b.min_bucket(), b.max_bucket()));
            prop_assert!(close(a.total_weight(), b.total_weight()));
            for (x, y) in a.bucket_weights().iter().zip(b.bucket_weights()) {
                prop_assert!(close(*x, *y), "{x} vs {y}");
            }

            let checkpoint = h.save_checkpoint();
            let json = serde_json::to_string(&checkpoint).unwrap();
            let back: HistogramCheckpoint = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back.bucket_weights, &checkpoint.bucket_weights);
            prop_assert_eq!(back.options, checkpoint.options);
            prop_assert!(close(back.total_weight, checkpoint.total_weight));
        }

        #[test]
        fn invalid_serialized_state_is_refused(
            half_life in prop_oneof![Just(0i64), Just(-1i64), Just(i64::MAX)],
            min_bucket in 176u32..1000,
        ) {
            let h = DecayingHistogram::<176>::new(HistogramOptions::vpa_cpu(), HOUR).unwrap();
            let mut json: serde_json::Value = serde_json::to_value(&h).unwrap();
            json["half_life_ms"] = half_life.into();
            prop_assert!(serde_json::from_value::<DecayingHistogram>(json.clone()).is_err());
            json["half_life_ms"] = HOUR.into();
            json["histogram"]["min_bucket"] = min_bucket.into();
            prop_assert!(serde_json::from_value::<DecayingHistogram>(json.clone()).is_err());
            json["histogram"]["min_bucket"] = 175.into();
            json["histogram"]["options"]["exponential"]["ratio"] = 1.0.into();
            prop_assert!(serde_json::from_value::<DecayingHistogram>(json).is_err());
        }
    }

    #[test]
    fn import_result_round_trips() {
        let json = br#"{"status":{"cpuHistogram":{"bucketWeights":{"3":10000,"17":22},"referenceTimestamp":"2024-05-01T00:00:00Z","totalWeight":150},"version":"v3"}}"#;
        let status = VpaCheckpointStatus::from_object_json(json).unwrap();
        let text = serde_json::to_string(&status).unwrap();
        let back: VpaCheckpointStatus = serde_json::from_str(&text).unwrap();
        assert_eq!(back, status);
    }
}
