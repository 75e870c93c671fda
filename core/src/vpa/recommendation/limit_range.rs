//! LimitRange items of a namespace, merged per type as the VPA reads them
//! [limitsChecker.getLimitRangeItem].

use super::resources::{ResourceKind, Resources};

/// One `LimitRange` item (of type `Container` or `Pod`), CPU and memory only.
///
/// An empty [`Resources`] stands for both a missing and an empty list: no rule tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LimitRangeItem {
    /// `min`.
    pub min: Resources,
    /// `max`.
    pub max: Resources,
    /// `default`: the limit of containers without one.
    pub default: Resources,
}

impl LimitRangeItem {
    /// Whether the item sets nothing.
    pub const fn is_empty(&self) -> bool {
        self.min.is_empty() && self.max.is_empty() && self.default.is_empty()
    }
}

/// Merges the items of one type across a namespace's LimitRanges, in order
/// [limitsChecker.getLimitRangeItem]: the lowest `max` and the highest `min` per resource, and
/// the last non-empty `default`. Items that set nothing are skipped; `None` when none is left.
///
/// ```
/// use podscale::vpa::{merge_limit_range_items, LimitRangeItem, Resources};
/// let a = LimitRangeItem { max: Resources::new(4000, 8 << 30), ..LimitRangeItem::default() };
/// let b = LimitRangeItem { max: Resources::cpu(2000), min: Resources::cpu(100), ..LimitRangeItem::default() };
/// let merged = merge_limit_range_items(&[a, b]).unwrap();
/// assert_eq!(merged.max, Resources::new(2000, 8 << 30));
/// assert_eq!(merged.min, Resources::cpu(100));
/// assert_eq!(merge_limit_range_items(&[LimitRangeItem::default()]), None);
/// ```
pub fn merge_limit_range_items(items: &[LimitRangeItem]) -> Option<LimitRangeItem> {
    let mut result: Option<LimitRangeItem> = None;
    for item in items.iter().filter(|i| !i.is_empty()) {
        let merged = result.get_or_insert_with(LimitRangeItem::default);
        if !item.default.is_empty() {
            merged.default = item.default;
        }
        for kind in ResourceKind::ALL {
            if let Some(max) = item.max.get(kind) {
                let lower = merged.max.get(kind).map_or(max, |current| current.min(max));
                merged.max.set(kind, lower);
            }
            if let Some(min) = item.min.get(kind) {
                let higher = merged.min.get(kind).map_or(min, |current| current.max(min));
                merged.min.set(kind, higher);
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn last_default_wins_and_bounds_tighten() {
        let a = LimitRangeItem {
            min: Resources::new(10, 10),
            default: Resources::cpu(1),
            ..LimitRangeItem::default()
        };
        let b = LimitRangeItem {
            min: Resources::cpu(20),
            max: Resources::memory(5),
            default: Resources::cpu(2),
        };
        let merged = merge_limit_range_items(&[a, LimitRangeItem::default(), b]).unwrap();
        assert_eq!(merged.min, Resources::new(20, 10));
        assert_eq!(merged.max, Resources::memory(5));
        assert_eq!(merged.default, Resources::cpu(2));
        assert_eq!(merge_limit_range_items(&[]), None);
    }
}
