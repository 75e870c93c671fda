//! Fuzzes VPA checkpoints: `VpaCheckpointStatus::from_object_json` and `from_status_json` on
//! the raw input, and `DecayingHistogram::load_checkpoint` on an arbitrary checkpoint built from
//! the same bytes (after arbitrary samples), then a save/load round trip.
//!
//! The raw bytes are the JSON as they are, so JSON seeds and dictionary entries work directly;
//! the same bytes, read through `arbitrary`, also give the checkpoint case. Floats include NaN,
//! infinities and negatives; times include the extremes and Go's zero time.
//!
//! Besides "no panic", every case checks invariants that hold for any input (see `check`).

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use podscale::vpa::{
    BucketWeight, DecayingHistogram, GO_ZERO_TIME_MS, HISTOGRAM_CHECKPOINT_VERSION,
    HistogramCheckpoint, HistogramError, HistogramOptions, VpaCheckpointStatus,
};

const HOUR_MS: i64 = 3_600_000;

const SPECIAL_F64: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    0.1,
    1e-4,
    -1.0,
    1e12,
    f64::MAX,
    f64::MIN_POSITIVE,
    5e-324,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

const SPECIAL_MS: &[i64] = &[
    GO_ZERO_TIME_MS,
    0,
    1_700_000_000_000,
    1_700_006_400_000,
    1_700_049_600_000, // noon: a rounding half
    i64::MAX,
    i64::MIN,
];

/// A float: mostly a special value, sometimes anything.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Float {
    Special(u8),
    Any(f64),
    Small(u16),
}

impl Float {
    fn get(self) -> f64 {
        match self {
            Self::Special(i) => SPECIAL_F64[usize::from(i) % SPECIAL_F64.len()],
            Self::Any(x) => x,
            Self::Small(x) => f64::from(x) / 100.0,
        }
    }
}

/// An instant: a special one, an hour offset from 2023-11-14, or anything.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Instant {
    Special(u8),
    Hours(i16),
    Any(i64),
}

impl Instant {
    fn get(self) -> i64 {
        match self {
            Self::Special(i) => SPECIAL_MS[usize::from(i) % SPECIAL_MS.len()],
            Self::Hours(h) => 1_700_000_000_000 + i64::from(h) * HOUR_MS,
            Self::Any(t) => t,
        }
    }
}

#[derive(Debug, Arbitrary)]
struct CheckpointCase {
    options: u8,
    half_life: HalfLife,
    samples: Vec<(Float, Float, Instant)>,
    version: Option<u32>,
    reference: Instant,
    total_weight: Float,
    bucket_weights: Vec<(u16, u32)>,
    /// Sort the buckets as `save_checkpoint` writes them (most upstream checkpoints are valid).
    sorted: bool,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum HalfLife {
    Day,
    Hour,
    Any(i64),
}

fn options(choice: u8) -> HistogramOptions {
    match choice % 4 {
        0 => HistogramOptions::vpa_cpu(),
        1 => HistogramOptions::vpa_memory(),
        2 => HistogramOptions::linear(10.0, 1.0, 1e-15).unwrap(),
        _ => HistogramOptions::exponential(500.0, 40.0, 1.5, 0.001).unwrap(),
    }
}

/// Invariants of any histogram podscale produced: finite, non-negative weights; a valid range;
/// percentiles that are numbers and never decrease with p.
fn check(h: &DecayingHistogram) {
    let inner = h.histogram();
    let last = inner.options().num_buckets() - 1;
    assert!(inner.min_bucket() <= last && inner.max_bucket() <= last);
    assert!(inner.total_weight().is_finite() && inner.total_weight() >= 0.0);
    assert!(
        inner
            .bucket_weights()
            .iter()
            .all(|w| w.is_finite() && *w >= 0.0)
    );
    let mut previous = f64::NEG_INFINITY;
    for p in [-1.0, 0.0, 0.5, 0.9, 0.95, 1.0, 2.0] {
        let value = h.percentile(p);
        assert!(!value.is_nan());
        assert!(value >= previous, "percentile({p}) = {value} < {previous}");
        previous = value;
    }
}

/// Loads a checkpoint podscale produced or accepted: only a total at the very top of the double
/// range (whose rescaled weights round past it) may be refused.
fn load_valid(h: &mut DecayingHistogram, cp: &HistogramCheckpoint) {
    match h.load_checkpoint(cp) {
        Ok(()) => check(h),
        Err(HistogramError::WeightOverflow { .. }) => assert!(cp.total_weight > 1e300),
        Err(e) => panic!("a valid checkpoint was refused: {e}"),
    }
}

fn json(data: &[u8]) {
    for parsed in [
        VpaCheckpointStatus::from_object_json(data),
        VpaCheckpointStatus::from_status_json(data),
    ] {
        match parsed {
            Ok(status) => {
                // Whatever the importer accepts loads into the default histograms.
                load_valid(&mut DecayingHistogram::vpa_cpu(), &status.cpu_histogram);
                load_valid(
                    &mut DecayingHistogram::vpa_memory(),
                    &status.memory_histogram,
                );
                assert!(status.total_samples_count >= 0);
            }
            Err(e) => {
                assert!(e.offset <= data.len());
                let _ = e.to_string();
            }
        }
    }
}

fn checkpoint(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let case = CheckpointCase::arbitrary(u)?;
    let options = options(case.options);
    let half_life = match case.half_life {
        HalfLife::Day => 86_400_000,
        HalfLife::Hour => HOUR_MS,
        HalfLife::Any(h) => h,
    };
    let Ok(mut h) = DecayingHistogram::<176>::new(options, half_life) else {
        return Ok(());
    };
    for (value, weight, t) in case.samples.iter().take(64) {
        let before = h.clone();
        if h.add_sample(value.get(), weight.get(), t.get()).is_err() {
            assert_eq!(h, before, "a refused sample changed the histogram");
        }
    }
    check(&h);

    let mut cp: HistogramCheckpoint = HistogramCheckpoint::empty(options);
    cp.version = case.version.unwrap_or(HISTOGRAM_CHECKPOINT_VERSION);
    cp.reference_ms = case.reference.get();
    cp.total_weight = case.total_weight.get();
    let mut entries = case.bucket_weights;
    if case.sorted {
        entries.sort_unstable();
        entries.dedup_by_key(|e| e.0);
    }
    for (index, weight) in entries {
        if cp
            .bucket_weights
            .push(BucketWeight::new(u32::from(index), weight))
            .is_err()
        {
            break;
        }
    }

    let before = h.clone();
    match h.load_checkpoint(&cp) {
        Ok(()) => assert_eq!(h.reference_ms(), cp.reference_ms),
        Err(e) => {
            assert_eq!(h, before, "a refused checkpoint changed the histogram");
            let _ = e.to_string();
        }
    }
    check(&h);

    // What podscale saves, it loads again, with the same total and reference.
    let saved = h.save_checkpoint();
    let mut again = DecayingHistogram::<176>::new(options, half_life).unwrap();
    load_valid(&mut again, &saved);
    if again.reference_ms() == saved.reference_ms && !saved.bucket_weights.is_empty() {
        assert_eq!(again.histogram().total_weight(), saved.total_weight);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    json(data);
    let _ = checkpoint(&mut Unstructured::new(data));
});
