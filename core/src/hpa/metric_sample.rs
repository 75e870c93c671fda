//! Metric samples as the metrics APIs return them, and their lookup by pod name.

use super::pod::{ResourceAmount, find_amount};

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
    pub fn usage(&self, resource: &str, container: Option<&str>) -> Option<i64> {
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
        resource: &'s str,
        container: Option<&'s str>,
    },
    Pods(&'s [PodMetricSample<'s>]),
}

impl<'s> SampleSet<'s> {
    fn len_raw(&self) -> usize {
        match self {
            Self::Resource { items, .. } => items.len(),
            Self::Pods(items) => items.len(),
        }
    }

    fn entry(&self, index: usize) -> Option<(&'s str, Option<Sample>)> {
        match *self {
            Self::Resource {
                items,
                resource,
                container,
            } => items.get(index).map(|item| {
                let timing = SampleTiming {
                    timestamp_ms: item.timestamp_ms,
                    window_ms: item.window_ms,
                };
                (
                    item.pod,
                    item.usage(resource, container)
                        .map(|value| Sample { value, timing }),
                )
            }),
            Self::Pods(items) => items.get(index).map(|item| {
                let timing = SampleTiming {
                    timestamp_ms: item.timestamp_ms,
                    window_ms: item.window_ms,
                };
                (
                    item.pod,
                    Some(Sample {
                        value: item.value_milli,
                        timing,
                    }),
                )
            }),
        }
    }

    /// Count and sum of the entries that carry a value: the map's size and total.
    pub(crate) fn totals(&self) -> (usize, i128) {
        let mut count = 0usize;
        let mut sum: i128 = 0;
        for index in 0..self.len_raw() {
            if let Some((_, Some(sample))) = self.entry(index) {
                count = count.saturating_add(1);
                sum = sum.saturating_add(i128::from(sample.value));
            }
        }
        (count, sum)
    }

    /// The sample of `pod`, if the map holds one.
    ///
    /// `cursor` is where the previous lookup matched: samples listed in the same order as the pods
    /// are found in one step each, any other order still works by a full scan.
    pub(crate) fn find(&self, pod: &str, cursor: &mut usize) -> Option<Sample> {
        let len = self.len_raw();
        let start = if *cursor < len { *cursor } else { 0 };
        let probe = (start..len).chain(0..start);
        for index in probe {
            if let Some((name, sample)) = self.entry(index) {
                if name == pod {
                    *cursor = index.saturating_add(1);
                    return sample;
                }
            }
        }
        None
    }
}
