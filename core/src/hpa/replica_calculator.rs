//! The seven replica calculations, one per metric source and target type [ReplicaCalculator].

use crate::go_float::{ceil_to_i32, ceil_to_i64, saturate_i32, saturate_i64};

use super::error::ReplicaCalcError;
use super::metric_sample::{Lookup, PodMetricSample, PodResourceMetrics, SampleSet};
use super::pod::Pod;
use super::pod_grouping::{PodClass, ReadinessPeriods, classify};
use super::resource::ResourceName;
use super::tolerance::Tolerances;

/// What a Resource or ContainerResource Utilization metric proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UtilizationProposal {
    /// Proposed replicas.
    pub replicas: i32,
    /// Current average utilization in percent of requests (`currentAverageUtilization`).
    pub utilization: i32,
    /// Current average usage per pod, milli-units (`currentAverageValue`).
    pub raw_average_milli: i64,
}

/// What any other metric proposes: replicas and the usage reported in status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ValueProposal {
    /// Proposed replicas.
    pub replicas: i32,
    /// The usage reported in status, milli-units: the average per pod for AverageValue targets,
    /// the value itself for Value targets.
    pub usage_milli: i64,
}

/// The replica calculator: tolerances and readiness flags, applied to one metric at a time.
///
/// ```
/// use podscale::hpa::*;
/// let calc = ReplicaCalculator::default();
/// // An External metric at 3 against a per-pod target of 1 with 1 replica: 3 replicas.
/// let proposal = calc.external_average_value_replicas(1, 1000, &[3000], "queue")?;
/// assert_eq!(proposal.replicas, 3);
/// # Ok::<(), podscale::hpa::ReplicaCalcError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReplicaCalculator {
    /// Scale-down and scale-up tolerance.
    pub tolerances: Tolerances,
    /// The CPU initialization period and the initial readiness delay.
    pub readiness: ReadinessPeriods,
    /// The `PodLevelResources` feature gate: whether pod-level requests are used.
    pub pod_level_resources: bool,
}

/// How the sample map turns into a ratio: against requests (Utilization) or a plain target.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Utilization {
        percent: i32,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
    },
    Plain {
        milli: i64,
    },
}

/// Sums over one pass of pods and samples: the sample map of upstream, kept as totals.
///
/// Counts are bounded by the slice lengths and the sums add at most that many `i64` values, far
/// below `i128::MAX`: plain (wrapping) additions are exact here and keep the per-pod loop cheap.
#[derive(Debug, Default)]
struct Tally {
    ready_count: usize,
    ready_sum: i128,
    ready_requests: i128,
    missing_count: usize,
    missing_requests: i128,
    missing_fill: i128,
    unready_count: usize,
    unready_requests: i128,
    removed_count: usize,
    removed_sum: i128,
}

fn utilization_of(sum: i128, requests: i128) -> Option<i32> {
    // 64-bit division when the operands fit: 128-bit division is a slow library call.
    if let (Ok(sum), Ok(requests)) = (i64::try_from(sum), i64::try_from(requests)) {
        if let Some(scaled) = sum.checked_mul(100) {
            return scaled
                .checked_div(requests)
                .map(|u| saturate_i32(i128::from(u)));
        }
    }
    sum.saturating_mul(100)
        .checked_div(requests)
        .map(saturate_i32)
}

/// `sum / count` truncated toward zero as Go's integer division, 0 for no entries; in 64 bits
/// when the sum fits, as 128-bit division is a slow library call.
fn average(sum: i128, count: usize) -> i64 {
    match (i64::try_from(sum), i64::try_from(count)) {
        (Ok(sum), Ok(count)) => sum.checked_div(count).unwrap_or(0),
        _ => saturate_i64(sum.checked_div(count as i128).unwrap_or(0)),
    }
}

fn check_target(field: &'static str, value: i64) -> Result<(), ReplicaCalcError<'static>> {
    if value > 0 {
        Ok(())
    } else {
        Err(ReplicaCalcError::InvalidTarget { field, value })
    }
}

impl ReplicaCalculator {
    /// A calculator with the given tolerances and readiness flags (pod-level requests on).
    pub const fn new(tolerances: Tolerances, readiness: ReadinessPeriods) -> Self {
        Self {
            tolerances,
            readiness,
            pod_level_resources: true,
        }
    }

    /// A Resource or ContainerResource metric with a Utilization target [GetResourceReplicas].
    ///
    /// `samples` is the resource metrics API's answer; `container` selects a ContainerResource
    /// metric.
    ///
    /// # Errors
    ///
    /// Upstream's errors: no samples, no pods, no usable samples, missing requests.
    #[allow(clippy::too_many_arguments)]
    pub fn resource_utilization_replicas<'a>(
        &self,
        current_replicas: i32,
        target_utilization: i32,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
        pods: &'a [Pod<'a>],
        samples: &'a [PodResourceMetrics<'a>],
        now_ms: i64,
    ) -> Result<UtilizationProposal, ReplicaCalcError<'a>> {
        self.resource_utilization_replicas_cached(
            current_replicas,
            target_utilization,
            resource,
            container,
            pods,
            samples,
            now_ms,
            &mut Alignments::default(),
        )
    }

    /// [`Self::resource_utilization_replicas`], remembering which sample lists are aligned with the pods.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn resource_utilization_replicas_cached<'a>(
        &self,
        current_replicas: i32,
        target_utilization: i32,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
        pods: &'a [Pod<'a>],
        samples: &'a [PodResourceMetrics<'a>],
        now_ms: i64,
        alignments: &mut Alignments,
    ) -> Result<UtilizationProposal, ReplicaCalcError<'a>> {
        check_target("target.averageUtilization", i64::from(target_utilization))?;
        if samples.is_empty() {
            return Err(ReplicaCalcError::NoResourceMetrics { resource });
        }
        let set = SampleSet::Resource {
            items: samples,
            resource,
            container,
        };
        let target = Target::Utilization {
            percent: target_utilization,
            resource,
            container,
        };
        let (replicas, first) = self.pod_based(
            current_replicas,
            set,
            target,
            Some(resource),
            pods,
            now_ms,
            alignments,
        )?;
        Ok(UtilizationProposal {
            replicas,
            utilization: first.utilization,
            raw_average_milli: first.usage,
        })
    }

    /// A Resource or ContainerResource metric with an AverageValue target
    /// [GetRawResourceReplicas].
    ///
    /// # Errors
    ///
    /// Upstream's errors: no samples, no pods, no usable samples.
    #[allow(clippy::too_many_arguments)]
    pub fn resource_average_value_replicas<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
        pods: &'a [Pod<'a>],
        samples: &'a [PodResourceMetrics<'a>],
        now_ms: i64,
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        self.resource_average_value_replicas_cached(
            current_replicas,
            target_milli,
            resource,
            container,
            pods,
            samples,
            now_ms,
            &mut Alignments::default(),
        )
    }

    /// [`Self::resource_average_value_replicas`], remembering which sample lists are aligned with the pods.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn resource_average_value_replicas_cached<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
        pods: &'a [Pod<'a>],
        samples: &'a [PodResourceMetrics<'a>],
        now_ms: i64,
        alignments: &mut Alignments,
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        check_target("target.averageValue", target_milli)?;
        if samples.is_empty() {
            return Err(ReplicaCalcError::NoResourceMetrics { resource });
        }
        let set = SampleSet::Resource {
            items: samples,
            resource,
            container,
        };
        let target = Target::Plain {
            milli: target_milli,
        };
        let (replicas, first) = self.pod_based(
            current_replicas,
            set,
            target,
            Some(resource),
            pods,
            now_ms,
            alignments,
        )?;
        Ok(ValueProposal {
            replicas,
            usage_milli: first.usage,
        })
    }

    /// A Pods metric with an AverageValue target [GetMetricReplicas].
    ///
    /// # Errors
    ///
    /// Upstream's errors: no samples, no pods, no usable samples.
    pub fn pods_metric_replicas<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        metric: &'a str,
        pods: &'a [Pod<'a>],
        samples: &'a [PodMetricSample<'a>],
        now_ms: i64,
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        self.pods_metric_replicas_cached(
            current_replicas,
            target_milli,
            metric,
            pods,
            samples,
            now_ms,
            &mut Alignments::default(),
        )
    }

    /// [`Self::pods_metric_replicas`], remembering which sample lists are aligned with the pods.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn pods_metric_replicas_cached<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        metric: &'a str,
        pods: &'a [Pod<'a>],
        samples: &'a [PodMetricSample<'a>],
        now_ms: i64,
        alignments: &mut Alignments,
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        check_target("target.averageValue", target_milli)?;
        if samples.is_empty() {
            return Err(ReplicaCalcError::NoPodMetrics { metric });
        }
        let target = Target::Plain {
            milli: target_milli,
        };
        let (replicas, first) = self.pod_based(
            current_replicas,
            SampleSet::Pods(samples),
            target,
            None,
            pods,
            now_ms,
            alignments,
        )?;
        Ok(ValueProposal {
            replicas,
            usage_milli: first.usage,
        })
    }

    /// An Object metric with a Value target [GetObjectMetricReplicas].
    ///
    /// # Errors
    ///
    /// A non-positive target, or no pods when a change is due.
    pub fn object_value_replicas<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        value_milli: i64,
        pods: &'a [Pod<'a>],
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        check_target("target.value", target_milli)?;
        let ratio = value_milli as f64 / target_milli as f64;
        let replicas = self.usage_ratio_replicas(current_replicas, ratio, pods)?;
        Ok(ValueProposal {
            replicas,
            usage_milli: value_milli,
        })
    }

    /// An Object metric with an AverageValue target [GetObjectPerPodMetricReplicas].
    ///
    /// `status_replicas` is the scale subresource's `status.replicas`, as upstream uses.
    ///
    /// # Errors
    ///
    /// A non-positive target.
    pub fn object_average_value_replicas(
        &self,
        status_replicas: i32,
        target_milli: i64,
        value_milli: i64,
    ) -> Result<ValueProposal, ReplicaCalcError<'static>> {
        check_target("target.averageValue", target_milli)?;
        let mut replicas = status_replicas;
        let ratio = value_milli as f64 / (target_milli as f64 * f64::from(status_replicas));
        if !self.tolerances.is_within(ratio) {
            // Upstream converts without a bound here; podscale saturates.
            replicas = ceil_to_i32(value_milli as f64 / target_milli as f64);
        }
        Ok(ValueProposal {
            replicas,
            usage_milli: per_pod_usage(value_milli, status_replicas),
        })
    }

    /// An External metric with a Value target [GetExternalMetricReplicas].
    ///
    /// # Errors
    ///
    /// A non-positive target, no values, or no pods when a change is due.
    pub fn external_value_replicas<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        values_milli: &[i64],
        metric: &'a str,
        pods: &'a [Pod<'a>],
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        check_target("target.value", target_milli)?;
        if values_milli.is_empty() {
            return Err(ReplicaCalcError::NoExternalMetrics { metric });
        }
        let mut usage: i64 = 0;
        for &value in values_milli {
            if value > 0 && usage > i64::MAX.saturating_sub(value) {
                usage = i64::MAX;
                break;
            }
            usage = usage.saturating_add(value);
        }
        let ratio = usage as f64 / target_milli as f64;
        let replicas = self.usage_ratio_replicas(current_replicas, ratio, pods)?;
        Ok(ValueProposal {
            replicas,
            usage_milli: usage,
        })
    }

    /// An External metric with an AverageValue target [GetExternalPerPodMetricReplicas].
    ///
    /// # Errors
    ///
    /// A non-positive target, or no values.
    pub fn external_average_value_replicas<'a>(
        &self,
        status_replicas: i32,
        target_milli: i64,
        values_milli: &[i64],
        metric: &'a str,
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        check_target("target.averageValue", target_milli)?;
        if values_milli.is_empty() {
            return Err(ReplicaCalcError::NoExternalMetrics { metric });
        }
        let mut usage: i64 = 0;
        for &value in values_milli {
            usage = usage.wrapping_add(value);
            if usage < 0 {
                // Upstream reads any negative running sum as an overflow, negative inputs included.
                usage = i64::MAX;
                break;
            }
        }
        let mut replicas = status_replicas;
        let ratio = usage as f64 / (target_milli as f64 * f64::from(status_replicas));
        if !self.tolerances.is_within(ratio) {
            let exact = libm::ceil(usage as f64 / target_milli as f64);
            replicas = if exact > f64::from(i32::MAX) {
                i32::MAX
            } else {
                ceil_to_i32(exact)
            };
        }
        Ok(ValueProposal {
            replicas,
            usage_milli: per_pod_usage(usage, status_replicas),
        })
    }

    /// [getUsageRatioReplicaCount]
    fn usage_ratio_replicas<'a>(
        &self,
        current_replicas: i32,
        usage_ratio: f64,
        pods: &'a [Pod<'a>],
    ) -> Result<i32, ReplicaCalcError<'a>> {
        if current_replicas == 0 {
            // Scale from (or to) zero: neither tolerance nor pods apply.
            return Ok(ceil_to_i32(usage_ratio));
        }
        if self.tolerances.is_within(usage_ratio) {
            return Ok(current_replicas);
        }
        // getReadyPodsCount
        if pods.is_empty() {
            return Err(ReplicaCalcError::NoPodsReturned);
        }
        let ready = pods.iter().filter(|p| p.is_running_and_ready()).count();
        let replicas = usage_ratio * ready as f64;
        Ok(if replicas > f64::from(i32::MAX) {
            i32::MAX
        } else {
            ceil_to_i32(replicas)
        })
    }

    /// The shared body of GetResourceReplicas and calcPlainMetricReplicas.
    #[allow(clippy::too_many_arguments)]
    fn pod_based<'a>(
        &self,
        current_replicas: i32,
        samples: SampleSet<'a>,
        target: Target<'a>,
        resource: Option<ResourceName<'a>>,
        pods: &'a [Pod<'a>],
        now_ms: i64,
        alignments: &mut Alignments,
    ) -> Result<(i32, FirstPass), ReplicaCalcError<'a>> {
        if pods.is_empty() {
            return Err(ReplicaCalcError::NoPodsReturned);
        }
        let mut tally = Tally::default();
        let mut request_error = None;
        let mut lookup = Lookup::default();
        let key = AlignmentKey::of(&samples, pods);
        let known_aligned = alignments.contains(key);
        let mut aligned = samples.len() == pods.len();
        // Entries matched to a pod, and those of them with a value: when every entry matched,
        // these are the map's totals and no second pass over the samples is needed.
        let (mut matched, mut matched_count, mut matched_sum) = (0usize, 0usize, 0i128);
        let cpu = resource == Some(ResourceName::Cpu);
        for (index, pod) in pods.iter().enumerate() {
            let (listed, sample) = if known_aligned {
                (true, samples.sample(index))
            } else {
                let position = samples.position(pod.name, &mut lookup);
                aligned &= position == Some(index);
                (position.is_some(), position.and_then(|p| samples.sample(p)))
            };
            if listed {
                matched = matched.wrapping_add(1);
            }
            if let Some(s) = sample {
                matched_count = matched_count.wrapping_add(1);
                matched_sum = matched_sum.wrapping_add(i128::from(s.value));
            }
            let class = classify(pod, sample.map(|s| s.timing), cpu, &self.readiness, now_ms);
            // calculateRequests covers every listed pod, ignored and unready ones too.
            let request = match target {
                Target::Utilization {
                    resource,
                    container,
                    ..
                } => match pod.request(resource, container, self.pod_level_resources) {
                    Ok(request) => i128::from(request),
                    Err(error) => {
                        request_error.get_or_insert(error);
                        0
                    }
                },
                Target::Plain { .. } => 0,
            };
            tally.add(class, sample.map(|s| s.value), request, target);
        }
        if aligned && !known_aligned {
            alignments.insert(key);
        }
        // Samples for pods not in the list ("superfluous") still count, as in upstream's map.
        let (total_count, total_sum) = if matched == samples.len() {
            (matched_count, matched_sum)
        } else {
            samples.totals()
        };
        let map_count = total_count.saturating_sub(tally.removed_count);
        let map_sum = total_sum.saturating_sub(tally.removed_sum);
        if map_count == 0 {
            return Err(ReplicaCalcError::NoMetricsForTargetedPods);
        }
        if let Some(error) = request_error {
            return Err(error);
        }

        // First pass: the ratio over ready pods with samples.
        let (usage_ratio, first) = match target {
            Target::Utilization { percent, .. } => {
                let utilization = utilization_of(tally.ready_sum, tally.ready_requests)
                    .filter(|_| tally.ready_requests != 0)
                    .ok_or(ReplicaCalcError::NoMetricsMatchedKnownPods)?;
                let raw = average(tally.ready_sum, tally.ready_count);
                let ratio = f64::from(utilization) / f64::from(percent);
                (
                    ratio,
                    FirstPass {
                        utilization,
                        usage: raw,
                    },
                )
            }
            Target::Plain { milli } => {
                let usage = average(map_sum, map_count);
                (
                    usage as f64 / milli as f64,
                    FirstPass {
                        utilization: 0,
                        usage,
                    },
                )
            }
        };

        let scale_up_with_unready = tally.unready_count > 0 && usage_ratio > 1.0;
        if !scale_up_with_unready && tally.missing_count == 0 {
            if self.tolerances.is_within(usage_ratio) {
                return Ok((current_replicas, first));
            }
            return Ok((ceil_to_i32(usage_ratio * tally.ready_count as f64), first));
        }

        // Second pass: fill in missing pods (and unready ones on a scale-up), then recompute.
        let fill_missing = tally.missing_count > 0 && usage_ratio != 1.0;
        let scale_down = usage_ratio < 1.0;
        let mut new_count = map_count;
        if fill_missing {
            new_count = new_count.saturating_add(tally.missing_count);
        }
        if scale_up_with_unready {
            new_count = new_count.saturating_add(tally.unready_count);
        }
        let new_ratio = match target {
            Target::Utilization { percent, .. } => {
                let mut sum = tally.ready_sum;
                let mut requests = tally.ready_requests;
                if fill_missing {
                    requests = requests.saturating_add(tally.missing_requests);
                    if scale_down {
                        sum = sum.saturating_add(tally.missing_fill);
                    }
                }
                if scale_up_with_unready {
                    requests = requests.saturating_add(tally.unready_requests);
                }
                let utilization = utilization_of(sum, requests)
                    .filter(|_| requests != 0)
                    .ok_or(ReplicaCalcError::NoMetricsMatchedKnownPods)?;
                f64::from(utilization) / f64::from(percent)
            }
            Target::Plain { milli } => {
                let mut sum = map_sum;
                if fill_missing && scale_down {
                    let fill = i128::from(milli).saturating_mul(tally.missing_count as i128);
                    sum = sum.saturating_add(fill);
                }
                let usage = average(sum, new_count);
                usage as f64 / milli as f64
            }
        };

        let direction_flipped =
            (usage_ratio < 1.0 && new_ratio > 1.0) || (usage_ratio > 1.0 && new_ratio < 1.0);
        if self.tolerances.is_within(new_ratio) || direction_flipped {
            return Ok((current_replicas, first));
        }
        let new_replicas = ceil_to_i32(new_ratio * new_count as f64);
        if (new_ratio < 1.0 && new_replicas > current_replicas)
            || (new_ratio > 1.0 && new_replicas < current_replicas)
        {
            return Ok((current_replicas, first));
        }
        Ok((new_replicas, first))
    }
}

/// Which sample lists were found to hold, at each position, the sample of the pod at the same
/// position of the pod list. Metrics of one HPA often share one list (CPU and memory both come
/// from the resource metrics API): after the first pass has matched it name by name, the others
/// read it by position.
#[derive(Debug, Default)]
pub(crate) struct Alignments {
    known: heapless::Vec<AlignmentKey, 4>,
}

/// A sample list and a pod list, by address and length: the same borrowed slices within one
/// decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AlignmentKey {
    samples: usize,
    samples_len: usize,
    pods: usize,
    pods_len: usize,
}

impl AlignmentKey {
    fn of(samples: &SampleSet<'_>, pods: &[Pod<'_>]) -> Self {
        Self {
            samples: samples.address(),
            samples_len: samples.len(),
            pods: pods.as_ptr() as usize,
            pods_len: pods.len(),
        }
    }
}

impl Alignments {
    fn contains(&self, key: AlignmentKey) -> bool {
        self.known.contains(&key)
    }

    fn insert(&mut self, key: AlignmentKey) {
        // Full: the extra lists are matched by name, as without this memory.
        let _ = self.known.push(key);
    }
}

/// What the first pass reports in status.
#[derive(Debug, Clone, Copy)]
struct FirstPass {
    utilization: i32,
    usage: i64,
}

impl Tally {
    fn add(&mut self, class: PodClass, sample: Option<i64>, request: i128, target: Target<'_>) {
        let sample = sample.map(i128::from);
        match class {
            PodClass::Ready => {
                self.ready_count = self.ready_count.wrapping_add(1);
                self.ready_sum = self.ready_sum.wrapping_add(sample.unwrap_or(0));
                self.ready_requests = self.ready_requests.wrapping_add(request);
            }
            PodClass::Missing => {
                self.missing_count = self.missing_count.wrapping_add(1);
                self.missing_requests = self.missing_requests.wrapping_add(request);
                if let Target::Utilization { percent, .. } = target {
                    // On a scale-down a missing pod is assumed at max(100%, target) of its request.
                    let fallback = i128::from(percent.max(100));
                    let fill = request
                        .saturating_mul(fallback)
                        .checked_div(100)
                        .unwrap_or(0);
                    self.missing_fill = self.missing_fill.saturating_add(fill);
                }
            }
            PodClass::Unready | PodClass::Ignored => {
                if class == PodClass::Unready {
                    self.unready_count = self.unready_count.wrapping_add(1);
                    self.unready_requests = self.unready_requests.wrapping_add(request);
                }
                // removeMetricsForPods: their samples leave the map.
                if let Some(value) = sample {
                    self.removed_count = self.removed_count.wrapping_add(1);
                    self.removed_sum = self.removed_sum.wrapping_add(value);
                }
            }
        }
    }
}

/// The per-pod usage reported for per-pod Object and External targets [getPerPodUsage].
fn per_pod_usage(usage: i64, status_replicas: i32) -> i64 {
    if usage as f64 >= i64::MAX as f64 {
        return i64::MAX;
    }
    if status_replicas == 0 {
        return 0;
    }
    ceil_to_i64(usage as f64 / f64::from(status_replicas))
}
