//! One container's recommendation as the VPA status holds it [RecommendedContainerResources].

use super::resources::Resources;

/// Which of the recommendation's lists a rule works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RecommendationField {
    /// `target`: what requests are set to.
    Target,
    /// `lowerBound`: below it the updater evicts to scale up.
    LowerBound,
    /// `upperBound`: above it the updater evicts to scale down.
    UpperBound,
    /// `uncappedTarget`: the target before policies and limits.
    UncappedTarget,
}

/// The recommendation for one container [RecommendedContainerResources].
///
/// A missing list is an empty [`Resources`].
///
/// ```
/// use podscale::vpa::{RecommendationField, RecommendedContainerResources, Resources};
/// let mut r = RecommendedContainerResources::new("app");
/// *r.field_mut(RecommendationField::Target) = Resources::new(587, 262_144_000);
/// assert_eq!(r.target.cpu_m, Some(587));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RecommendedContainerResources<'a> {
    /// The container's name.
    pub container_name: &'a str,
    /// Recommended requests.
    pub target: Resources,
    /// The lowest requests considered fine.
    pub lower_bound: Resources,
    /// The highest requests considered fine.
    pub upper_bound: Resources,
    /// The target before post-processing (equal to the target as the estimator writes it).
    pub uncapped_target: Resources,
}

impl<'a> RecommendedContainerResources<'a> {
    /// A recommendation with every list empty.
    pub const fn new(container_name: &'a str) -> Self {
        Self {
            container_name,
            target: Resources::NONE,
            lower_bound: Resources::NONE,
            upper_bound: Resources::NONE,
            uncapped_target: Resources::NONE,
        }
    }

    /// The list `field`.
    pub const fn field(&self, field: RecommendationField) -> &Resources {
        match field {
            RecommendationField::Target => &self.target,
            RecommendationField::LowerBound => &self.lower_bound,
            RecommendationField::UpperBound => &self.upper_bound,
            RecommendationField::UncappedTarget => &self.uncapped_target,
        }
    }

    /// The list `field`, to change.
    pub fn field_mut(&mut self, field: RecommendationField) -> &mut Resources {
        match field {
            RecommendationField::Target => &mut self.target,
            RecommendationField::LowerBound => &mut self.lower_bound,
            RecommendationField::UpperBound => &mut self.upper_bound,
            RecommendationField::UncappedTarget => &mut self.uncapped_target,
        }
    }
}
