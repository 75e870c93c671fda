//! Limits that keep their ratio to requests when requests change, and the request bounds a
//! LimitRange implies [utils/vpa/limit_and_request_scaling.go].
//!
//! Amounts are CPU millicores and memory bytes. Upstream scales CPU in milli-units and memory
//! in whole units (`Quantity.Value()`, which rounds a fractional quantity up), with big
//! integers: podscale uses 128-bit integers and Euclidean division, as `big.Int.Div` does.
//! A missing amount (`None`) behaves as upstream's zero quantity.

use core::fmt;

use heapless::Vec;

use super::resources::{ResourceKind, Resources};

/// How a scaled amount is rounded [roundingMode].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// Floor (`noRounding`, `roundDownToFullUnit`).
    Down,
    /// Ceiling of CPU milli-units; memory is already whole bytes (`roundUpToFullUnit`).
    Up,
}

/// `scaled * result / base` with upstream's rounding, and whether it was capped at `i64::MAX`
/// [scaleQuantityProportionallyCPU, scaleQuantityProportionallyMem].
///
/// A zero base leaves `scaled` unchanged: upstream's CPU path does so, and its memory path
/// would divide by zero (a panic in Go). A product beyond 128 bits is capped as well.
pub(crate) fn scale_proportionally(
    kind: ResourceKind,
    scaled: i128,
    base: i128,
    result: i128,
    rounding: Rounding,
) -> (i64, bool) {
    let clamp = |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
    if base == 0 {
        return (clamp(scaled), false);
    }
    let Some(product) = scaled.checked_mul(result) else {
        return (i64::MAX, true);
    };
    let quotient = product.div_euclid(base);
    let remainder = product.rem_euclid(base);
    let Ok(mut value) = i64::try_from(quotient) else {
        return (i64::MAX, true);
    };
    // Only CPU rounds up: memory is already a whole number of bytes, the unit of rounding.
    if kind == ResourceKind::Cpu && rounding == Rounding::Up && remainder != 0 {
        value = value.saturating_add(1);
    }
    (value, false)
}

/// Whether `Quantity.Value()` of the amount is zero: for CPU any amount in `(-1000m, 0]`
/// (Value rounds up to whole cores), for memory exactly zero bytes.
fn value_is_zero(kind: ResourceKind, amount: i64) -> bool {
    match kind {
        ResourceKind::Cpu => amount > -1000 && amount <= 0,
        ResourceKind::Memory => amount == 0,
    }
}

/// The amount when present and its `Value()` is not zero: upstream's `q == nil || q.Value() == 0`
/// test, negated.
fn nonzero(kind: ResourceKind, amount: Option<i64>) -> Option<i64> {
    amount.filter(|&a| !value_is_zero(kind, a))
}

/// Why a proportional limit was not kept exactly [getProportionalResourceLimit].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum LimitAnnotationReason {
    /// Neither the container nor the LimitRange default sets a limit.
    NoOriginalLimit,
    /// The recommendation is missing or zero.
    NoRecommendation,
    /// The proportional limit does not fit in `i64`; it was capped.
    CappedToInt64,
}

/// An annotation upstream attaches to a pod when it sets limits.
///
/// ```
/// use podscale::vpa::{LimitAnnotation, LimitAnnotationReason, ResourceKind};
/// let a = LimitAnnotation { resource: ResourceKind::Memory, reason: LimitAnnotationReason::NoOriginalLimit };
/// assert_eq!(a.to_string(), "memory: limit NOT set since originalLimit is nil or 0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LimitAnnotation {
    /// The resource.
    pub resource: ResourceKind,
    /// What happened.
    pub reason: LimitAnnotationReason,
}

impl fmt::Display for LimitAnnotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self.reason {
            LimitAnnotationReason::NoOriginalLimit => {
                "limit NOT set since originalLimit is nil or 0"
            }
            LimitAnnotationReason::NoRecommendation => {
                "limit NOT set since recommendedRequest is nil or 0"
            }
            LimitAnnotationReason::CappedToInt64 => {
                "failed to keep limit to request ratio; capping limit to int64"
            }
        };
        write!(f, "{}: {text}", self.resource)
    }
}

/// A limit for one resource and the annotation that explains it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ProportionalLimit {
    /// The new limit (millicores or bytes), `None` when no limit should be set.
    pub limit: Option<i64>,
    /// Why the limit is missing or capped.
    pub annotation: Option<LimitAnnotation>,
}

/// The limit that keeps `original_limit / original_request` for `recommended_request`
/// [getProportionalResourceLimit].
///
/// A missing or zero original limit takes the LimitRange default; without either there is no
/// limit. Without a recommendation there is no limit either. Without an original request, or
/// with one equal to the limit, the limit equals the recommendation. Otherwise
/// `floor(limit * recommendation / request)`, capped at `i64::MAX`.
///
/// ```
/// use podscale::vpa::{proportional_resource_limit, ResourceKind};
/// let l = proportional_resource_limit(ResourceKind::Cpu, Some(2000), Some(1500), Some(1000), None);
/// assert_eq!(l.limit, Some(1333));
/// let l = proportional_resource_limit(ResourceKind::Memory, None, Some(1), Some(10), Some(2));
/// assert_eq!(l.limit, Some(20)); // the LimitRange default keeps its ratio too
/// ```
pub fn proportional_resource_limit(
    kind: ResourceKind,
    original_limit: Option<i64>,
    original_request: Option<i64>,
    recommended_request: Option<i64>,
    default_limit: Option<i64>,
) -> ProportionalLimit {
    let none = |reason| ProportionalLimit {
        limit: None,
        annotation: Some(LimitAnnotation {
            resource: kind,
            reason,
        }),
    };
    let limit = nonzero(kind, original_limit).or(default_limit);
    let Some(limit) = nonzero(kind, limit) else {
        return none(LimitAnnotationReason::NoOriginalLimit);
    };
    let Some(recommended) = nonzero(kind, recommended_request) else {
        return none(LimitAnnotationReason::NoRecommendation);
    };
    let exact = ProportionalLimit {
        limit: Some(recommended),
        annotation: None,
    };
    let Some(request) = nonzero(kind, original_request) else {
        return exact;
    };
    // Equal in milli-units: for whole bytes that is equal bytes.
    if request == limit {
        return exact;
    }
    let (scaled, capped) = scale_proportionally(
        kind,
        i128::from(limit),
        i128::from(request),
        i128::from(recommended),
        Rounding::Down,
    );
    ProportionalLimit {
        limit: Some(scaled),
        annotation: capped.then_some(LimitAnnotation {
            resource: kind,
            reason: LimitAnnotationReason::CappedToInt64,
        }),
    }
}

/// Limits for both resources, with their annotations [GetProportionalLimit].
///
/// When neither resource gets a limit, upstream returns no limits and drops the annotations.
///
/// ```
/// use podscale::vpa::{proportional_limits, Resources};
/// let (limits, notes) = proportional_limits(
///     Resources::new(2000, 2 << 30), Resources::new(1000, 1 << 30), Resources::new(500, 3 << 30), Resources::NONE);
/// assert_eq!(limits, Resources::new(1000, 6 << 30));
/// assert!(notes.is_empty());
/// ```
pub fn proportional_limits(
    original_limits: Resources,
    original_requests: Resources,
    recommendation: Resources,
    default_limits: Resources,
) -> (Resources, Vec<LimitAnnotation, 2>) {
    let mut limits = Resources::NONE;
    let mut annotations = Vec::new();
    for kind in ResourceKind::ALL {
        let result = proportional_resource_limit(
            kind,
            original_limits.get(kind),
            original_requests.get(kind),
            recommendation.get(kind),
            default_limits.get(kind),
        );
        if let Some(limit) = result.limit {
            limits.set(kind, limit);
        }
        if let Some(annotation) = result.annotation {
            // Two resources, capacity two: this cannot fail.
            let _ = annotations.push(annotation);
        }
    }
    if limits.is_empty() {
        annotations.clear();
    }
    (limits, annotations)
}

/// The request bound that keeps the container's limit/request ratio when its limit must stay
/// within `boundary_limit` [GetBoundaryRequest].
///
/// A missing or zero limit takes the LimitRange default; without either there is no bound (0,
/// which capping ignores). Without a request the bound is the boundary itself. Otherwise
/// `floor(request * boundary / limit)`.
///
/// ```
/// use podscale::vpa::{boundary_request, ResourceKind};
/// // Limit twice the request: a 1000m max limit allows at most 500m of request.
/// assert_eq!(boundary_request(ResourceKind::Cpu, Some(500), Some(1000), Some(1000), None), 500);
/// assert_eq!(boundary_request(ResourceKind::Memory, Some(50), Some(600), Some(500), None), 41);
/// ```
pub fn boundary_request(
    kind: ResourceKind,
    original_request: Option<i64>,
    original_limit: Option<i64>,
    boundary_limit: Option<i64>,
    default_limit: Option<i64>,
) -> i64 {
    let limit = nonzero(kind, original_limit).or(default_limit);
    let Some(limit) = nonzero(kind, limit) else {
        return 0;
    };
    let boundary = boundary_limit.unwrap_or(0);
    let Some(request) = nonzero(kind, original_request) else {
        return boundary;
    };
    scale_proportionally(
        kind,
        i128::from(request),
        i128::from(limit),
        i128::from(boundary),
        Rounding::Down,
    )
    .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_rounds_and_caps() {
        use ResourceKind::{Cpu, Memory};
        assert_eq!(
            scale_proportionally(Cpu, 15, 115, 150, Rounding::Up),
            (20, false)
        );
        assert_eq!(
            scale_proportionally(Cpu, 15, 115, 90, Rounding::Down),
            (11, false)
        );
        assert_eq!(
            scale_proportionally(Memory, 1 << 30, 3 << 30, 4 << 30, Rounding::Up),
            (1_431_655_765, false)
        );
        assert_eq!(scale_proportionally(Cpu, 1, 0, 5, Rounding::Up), (1, false));
        assert_eq!(
            scale_proportionally(Memory, 10_i128.pow(13), 1, 10_i128.pow(13), Rounding::Down),
            (i64::MAX, true)
        );
        assert_eq!(
            scale_proportionally(Cpu, i128::MAX, 2, 2, Rounding::Down),
            (i64::MAX, true)
        );
        // Euclidean, as big.Int.Div: -7 / 2 is -4.
        assert_eq!(
            scale_proportionally(Cpu, -7, 2, 1, Rounding::Down),
            (-4, false)
        );
    }

    #[test]
    fn cpu_value_rounds_up_to_cores() {
        assert!(value_is_zero(ResourceKind::Cpu, 0));
        assert!(!value_is_zero(ResourceKind::Cpu, 1));
        assert!(value_is_zero(ResourceKind::Cpu, -999));
        assert!(!value_is_zero(ResourceKind::Cpu, -1000));
        assert_eq!(nonzero(ResourceKind::Memory, Some(0)), None);
    }

    #[test]
    fn no_limit_drops_annotations() {
        let (limits, notes) = proportional_limits(
            Resources::NONE,
            Resources::NONE,
            Resources::new(1, 1),
            Resources::NONE,
        );
        assert!(limits.is_empty());
        assert!(notes.is_empty());
        let (limits, notes) = proportional_limits(
            Resources::cpu(10),
            Resources::NONE,
            Resources::new(1, 1),
            Resources::NONE,
        );
        assert_eq!(limits, Resources::cpu(1));
        assert_eq!(notes.len(), 1);
    }
}
