//! The optional post-processor that gives a container whole CPU cores
//! [IntegerCPUPostProcessor].
//!
//! Upstream runs it (with `--cpu-integer-post-processor-enabled`) for containers whose VPA
//! carries the annotation `vpa-post-processor.kubernetes.io/<container>_integerCPU: "true"`,
//! before the policy post-processor; reading the annotation is the caller's part.

use super::container_recommendation::{RecommendationField, RecommendedContainerResources};

/// The annotation key suffix that asks for whole cores: the full key is
/// `vpa-post-processor.kubernetes.io/<container>_integerCPU`.
pub const INTEGER_CPU_ANNOTATION_SUFFIX: &str = "_integerCPU";

/// Millicores rounded away from zero to whole cores, as `Quantity.RoundUp(0)` does
/// [negativeScaleInt64]; saturating at the `i64` range.
fn whole_cores(cpu_m: i64) -> i64 {
    let cores = cpu_m / 1000;
    let rounded = if cpu_m % 1000 == 0 {
        cores
    } else if cpu_m > 0 {
        cores.saturating_add(1)
    } else {
        cores.saturating_sub(1)
    };
    rounded.saturating_mul(1000)
}

/// Rounds the CPU of the target, both bounds and the uncapped target up to whole cores
/// [IntegerCPUPostProcessor.Process].
///
/// ```
/// use podscale::vpa::{round_cpu_to_whole_cores, RecommendedContainerResources, Resources};
/// let mut rec = RecommendedContainerResources::new("app");
/// rec.target = Resources::new(587, 262_144_000);
/// rec.upper_bound = Resources::cpu(2000);
/// round_cpu_to_whole_cores(&mut rec);
/// assert_eq!(rec.target, Resources::new(1000, 262_144_000));
/// assert_eq!(rec.upper_bound.cpu_m, Some(2000));
/// ```
pub fn round_cpu_to_whole_cores(recommendation: &mut RecommendedContainerResources<'_>) {
    for field in [
        RecommendationField::Target,
        RecommendationField::LowerBound,
        RecommendationField::UpperBound,
        RecommendationField::UncappedTarget,
    ] {
        let list = recommendation.field_mut(field);
        if let Some(cpu) = list.cpu_m {
            list.cpu_m = Some(whole_cores(cpu));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_away_from_zero() {
        assert_eq!(whole_cores(0), 0);
        assert_eq!(whole_cores(1), 1000);
        assert_eq!(whole_cores(1000), 1000);
        assert_eq!(whole_cores(1001), 2000);
        assert_eq!(whole_cores(-1), -1000);
        assert_eq!(whole_cores(i64::MAX), i64::MAX);
        assert_eq!(whole_cores(i64::MIN), i64::MIN);
    }
}
