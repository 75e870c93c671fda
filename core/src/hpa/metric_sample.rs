//! Metric samples as the metrics APIs return them, and their lookup by pod name.

use super::resource::{ResourceAmount, ResourceName, find_amount};

/// One container's usage in a `metrics.k8s.io` PodMetrics item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerUsage<'a> {
    /// Container name.
    pub name: &'a str,
    /// `usage`, in milli-units.
    pub usage: &'a [ResourceAmount<'a>],
}

impl<'a> ContainerUsage<'a> {
    /// A container's usage.
    pub const fn new(name: &'a str, usage: &'a [ResourceAmount<'a>]) -> Self {
        Self { name, usage }
    }
}

/// A `metrics.k8s.io` PodMetrics item: one pod's usage per container.
///
/// ```
/// use podscale::hpa::{ContainerUsage, PodResourceMetrics, ResourceAmount};
/// let usage = [ResourceAmount::new("cpu", 120)];
/// let containers = [ContainerUsage::new("app", &usage)];
/// let sample = PodResourceMetrics::new("web-0", 1_700_000_000_000, 30_000, &containers);
/// assert_eq!(sample.window_ms, 30_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodResourceMetrics<'a> {
    /// The pod's name.
    pub pod: &'a str,
    /// When the sample was taken (end of its window), in Unix milliseconds.
    pub timestamp_ms: i64,
    /// The window the usage was averaged over, in milliseconds.
    pub window_ms: i64,
    /// Usage per container.
    pub containers: &'a [ContainerUsage<'a>],
}

impl<'a> PodResourceMetrics<'a> {
    /// A PodMetrics item.
    pub const fn new(
        pod: &'a str,
        timestamp_ms: i64,
        window_ms: i64,
        containers: &'a [ContainerUsage<'a>],
    ) -> Self {
        Self {
            pod,
            timestamp_ms,
            window_ms,
            containers,
        }
    }

    /// The pod's usage of `resource` [getPodMetrics, getContainerMetrics]: the sum over its
    /// containers, or one container's. `None` (the pod counts as missing) when the pod has no
    /// containers, a container lacks the resource, or the named container is absent.
    pub fn usage(&self, resource: ResourceName<'_>, container: Option<&str>) -> Option<i64> {
        match container {
            Some(name) => self
                .containers
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| find_amount(c.usage, resource)),
            None => {
                if self.containers.is_empty() {
                    return None;
                }
                let mut total: i64 = 0;
                for c in self.containers {
                    total = total.saturating_add(find_amount(c.usage, resource)?);
                }
                Some(total)
            }
        }
    }
}

/// A `custom.metrics.k8s.io` value for one pod (a Pods metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodMetricSample<'a> {
    /// The pod's name.
    pub pod: &'a str,
    /// The value, in milli-units.
    pub value_milli: i64,
    /// When the sample was taken, in Unix milliseconds.
    pub timestamp_ms: i64,
    /// The sample's window in milliseconds (60 000 when the API gives none).
    pub window_ms: i64,
}

/// When a pod's sample was taken and over which window: what readiness rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SampleTiming {
    /// Sample timestamp, Unix milliseconds.
    pub timestamp_ms: i64,
    /// Sample window, milliseconds.
    pub window_ms: i64,
}

/// A pod's sample after extraction: its value and timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub(crate) value: i64,
    pub(crate) timing: SampleTiming,
}

/// The sample map of upstream (`PodMetricsInfo`), read in place from the caller's slice.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SampleSet<'s> {
    Resource {
        items: &'s [PodResourceMetrics<'s>],
        resource: ResourceName<'s>,
        container: Option<&'s str>,
    },
    Pods(&'s [PodMetricSample<'s>]),
}

impl<'s> SampleSet<'s> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Resource { items, .. } => items.len(),
            Self::Pods(items) => items.len(),
        }
    }

    /// The list's address, which identifies it within one decision.
    pub(crate) fn address(&self) -> usize {
        match self {
            Self::Resource { items, .. } => items.as_ptr() as usize,
            Self::Pods(items) => items.as_ptr() as usize,
        }
    }

    fn name(&self, index: usize) -> Option<&'s str> {
        match self {
            Self::Resource { items, .. } => items.get(index).map(|item| item.pod),
            Self::Pods(items) => items.get(index).map(|item| item.pod),
        }
    }

    /// The entry's value and timing; `None` for an entry upstream drops (no usage for the
    /// resource or container).
    pub(crate) fn sample(&self, index: usize) -> Option<Sample> {
        match *self {
            Self::Resource {
                items,
                resource,
                container,
            } => {
                let item = items.get(index)?;
                let timing = SampleTiming {
                    timestamp_ms: item.timestamp_ms,
                    window_ms: item.window_ms,
                };
                item.usage(resource, container)
                    .map(|value| Sample { value, timing })
            }
            Self::Pods(items) => items.get(index).map(|item| Sample {
                value: item.value_milli,
                timing: SampleTiming {
                    timestamp_ms: item.timestamp_ms,
                    window_ms: item.window_ms,
                },
            }),
        }
    }

    /// Count and sum of the entries that carry a value: the map's size and total.
    pub(crate) fn totals(&self) -> (usize, i128) {
        let mut count = 0usize;
        let mut sum: i128 = 0;
        for index in 0..self.len() {
            if let Some(sample) = self.sample(index) {
                count = count.saturating_add(1);
                sum = sum.saturating_add(i128::from(sample.value));
            }
        }
        (count, sum)
    }

    fn is_sorted_by_name(&self) -> bool {
        (1..self.len()).all(|i| match (self.name(i.saturating_sub(1)), self.name(i)) {
            (Some(a), Some(b)) => a < b,
            _ => false,
        })
    }

    /// The position of `pod`'s entry, if any.
    ///
    /// Samples listed in the same order as the pods are found in one step each; samples sorted by
    /// pod name (as the metrics APIs list them) by binary search; any other order by a scan.
    pub(crate) fn position(&self, pod: &str, lookup: &mut Lookup) -> Option<usize> {
        let len = self.len();
        if self.name(lookup.cursor) == Some(pod) {
            let found = lookup.cursor;
            lookup.cursor = found.saturating_add(1);
            return Some(found);
        }
        let sorted = *lookup
            .sorted
            .get_or_insert_with(|| self.is_sorted_by_name());
        let found = if sorted {
            let (mut low, mut high) = (0usize, len);
            let mut found = None;
            while low < high {
                let mid = low.saturating_add(high.saturating_sub(low) / 2);
                match self.name(mid).map(|name| name.cmp(pod)) {
                    Some(core::cmp::Ordering::Less) => low = mid.saturating_add(1),
                    Some(core::cmp::Ordering::Greater) => high = mid,
                    Some(core::cmp::Ordering::Equal) => {
                        found = Some(mid);
                        break;
                    }
                    None => break,
                }
            }
            found
        } else {
            (0..len).find(|&index| self.name(index) == Some(pod))
        };
        if let Some(index) = found {
            lookup.cursor = index.saturating_add(1);
        }
        found
    }
}

/// Where the previous lookup matched, and whether the samples turned out sorted by name.
#[derive(Debug, Default)]
pub(crate) struct Lookup {
    cursor: usize,
    sorted: Option<bool>,
}
