//! The seven replica calculations, one per metric source and target type [ReplicaCalculator].

use crate::go_float::{ceil_to_i32, ceil_to_i64, saturate_i32, saturate_i64};

use super::cohort::{CohortSample, PodCohort, PodList, Samples};
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
/// Pods come one at a time or in cohorts (a count and a sum of samples); the sums saturate,
/// which only a cohort's caller-given sum can reach.
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
        self.resource_utilization_replicas_in(
            current_replicas,
            target_utilization,
            resource,
            container,
            PodList::Each(pods),
            Samples::Each(samples),
            now_ms,
            &mut Alignments::default(),
        )
    }

    /// [`Self::resource_utilization_replicas`] for pods one by one or in cohorts, remembering
    /// which sample lists are aligned with the pods.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn resource_utilization_replicas_in<'a>(
        &self,
        current_replicas: i32,
        target_utilization: i32,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
        pods: PodList<'a>,
        samples: Samples<'a, PodResourceMetrics<'a>>,
        now_ms: i64,
        alignments: &mut Alignments,
    ) -> Result<UtilizationProposal, ReplicaCalcError<'a>> {
        check_target("target.averageUtilization", i64::from(target_utilization))?;
        if samples.is_empty_for(pods) {
            return Err(ReplicaCalcError::NoResourceMetrics { resource });
        }
        let inputs = PodInputs::of_resource(pods, samples, resource, container)?;
        let target = Target::Utilization {
            percent: target_utilization,
            resource,
            container,
        };
        let (replicas, first) = self.pod_based(
            current_replicas,
            inputs,
            target,
            Some(resource),
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
        self.resource_average_value_replicas_in(
            current_replicas,
            target_milli,
            resource,
            container,
            PodList::Each(pods),
            Samples::Each(samples),
            now_ms,
            &mut Alignments::default(),
        )
    }

    /// [`Self::resource_average_value_replicas`] for pods one by one or in cohorts, remembering
    /// which sample lists are aligned with the pods.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn resource_average_value_replicas_in<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
        pods: PodList<'a>,
        samples: Samples<'a, PodResourceMetrics<'a>>,
        now_ms: i64,
        alignments: &mut Alignments,
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        check_target("target.averageValue", target_milli)?;
        if samples.is_empty_for(pods) {
            return Err(ReplicaCalcError::NoResourceMetrics { resource });
        }
        let inputs = PodInputs::of_resource(pods, samples, resource, container)?;
        let target = Target::Plain {
            milli: target_milli,
        };
        let (replicas, first) = self.pod_based(
            current_replicas,
            inputs,
            target,
            Some(resource),
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
        self.pods_metric_replicas_in(
            current_replicas,
            target_milli,
            metric,
            PodList::Each(pods),
            Samples::Each(samples),
            now_ms,
            &mut Alignments::default(),
        )
    }

    /// [`Self::pods_metric_replicas`] for pods one by one or in cohorts, remembering which
    /// sample lists are aligned with the pods.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn pods_metric_replicas_in<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        metric: &'a str,
        pods: PodList<'a>,
        samples: Samples<'a, PodMetricSample<'a>>,
        now_ms: i64,
        alignments: &mut Alignments,
    ) -> Result<ValueProposal, ReplicaCalcError<'a>> {
        check_target("target.averageValue", target_milli)?;
        if samples.is_empty_for(pods) {
            return Err(ReplicaCalcError::NoPodMetrics { metric });
        }
        let inputs = match (pods, samples) {
            (PodList::Each(pods), Samples::Each(items)) => PodInputs::Each {
                pods,
                samples: SampleSet::Pods(items),
            },
            (PodList::Cohorts(cohorts), Samples::Cohorts(samples)) => {
                PodInputs::Cohorts { cohorts, samples }
            }
            _ => return Err(ReplicaCalcError::DataMismatch),
        };
        let target = Target::Plain {
            milli: target_milli,
        };
        let (replicas, first) =
            self.pod_based(current_replicas, inputs, target, None, now_ms, alignments)?;
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
        self.object_value_replicas_in(
            current_replicas,
            target_milli,
            value_milli,
            PodList::Each(pods),
        )
    }

    /// [`Self::object_value_replicas`] for pods one by one or in cohorts.
    pub(crate) fn object_value_replicas_in<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        value_milli: i64,
        pods: PodList<'a>,
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
        self.external_value_replicas_in(
            current_replicas,
            target_milli,
            values_milli,
            metric,
            PodList::Each(pods),
        )
    }

    /// [`Self::external_value_replicas`] for pods one by one or in cohorts.
    pub(crate) fn external_value_replicas_in<'a>(
        &self,
        current_replicas: i32,
        target_milli: i64,
        values_milli: &[i64],
        metric: &'a str,
        pods: PodList<'a>,
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
        pods: PodList<'a>,
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
        let replicas = usage_ratio * pods.ready_count() as f64;
        Ok(if replicas > f64::from(i32::MAX) {
            i32::MAX
        } else {
            ceil_to_i32(replicas)
        })
    }

    /// The shared body of GetResourceReplicas and calcPlainMetricReplicas.
    fn pod_based<'a>(
        &self,
        current_replicas: i32,
        inputs: PodInputs<'a>,
        target: Target<'a>,
        resource: Option<ResourceName<'a>>,
        now_ms: i64,
        alignments: &mut Alignments,
    ) -> Result<(i32, FirstPass), ReplicaCalcError<'a>> {
        // Filled in place: the totals are a few hundred bytes, not worth moving.
        let mut totals = Totals::default();
        match inputs {
            PodInputs::Each { pods, samples } => {
                self.tally_pods(
                    pods,
                    samples,
                    target,
                    resource,
                    now_ms,
                    alignments,
                    &mut totals,
                )?;
            }
            PodInputs::Cohorts { cohorts, samples } => {
                self.tally_cohorts(cohorts, samples, target, resource, now_ms, &mut totals)?;
            }
        }
        self.proposal(current_replicas, &totals, target)
    }

    /// One pass over the pods, each matched to its sample by name [groupPods, calculateRequests].
    #[allow(clippy::too_many_arguments)]
    fn tally_pods<'a>(
        &self,
        pods: &'a [Pod<'a>],
        samples: SampleSet<'a>,
        target: Target<'a>,
        resource: Option<ResourceName<'a>>,
        now_ms: i64,
        alignments: &mut Alignments,
        totals: &mut Totals<'a>,
    ) -> Result<(), ReplicaCalcError<'a>> {
        if pods.is_empty() {
            return Err(ReplicaCalcError::NoPodsReturned);
        }
        let Totals {
            tally,
            request_error,
            ..
        } = totals;
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
                matched = matched.saturating_add(1);
            }
            if let Some(s) = sample {
                matched_count = matched_count.saturating_add(1);
                matched_sum = matched_sum.saturating_add(i128::from(s.value));
            }
            let class = classify(pod, sample.map(|s| s.timing), cpu, &self.readiness, now_ms);
            let request = self.request(pod, target).unwrap_or_else(|error| {
                request_error.get_or_insert(error);
                0
            });
            tally.add(
                class,
                sample.map(|s| i128::from(s.value)),
                1,
                request,
                target,
            );
        }
        if aligned && !known_aligned {
            alignments.insert(key);
        }
        // Samples for pods not in the list ("superfluous") still count, as in upstream's map.
        (totals.total_count, totals.total_sum) = if matched == samples.len() {
            (matched_count, matched_sum)
        } else {
            samples.totals()
        };
        Ok(())
    }

    /// One pass over cohorts, each weighing as its pods: the same classification and requests
    /// as [`Self::tally_pods`] gives each of them.
    fn tally_cohorts<'a>(
        &self,
        cohorts: &'a [PodCohort<'a>],
        samples: &'a [Option<CohortSample>],
        target: Target<'a>,
        resource: Option<ResourceName<'a>>,
        now_ms: i64,
        totals: &mut Totals<'a>,
    ) -> Result<(), ReplicaCalcError<'a>> {
        if PodList::Cohorts(cohorts).is_empty() {
            return Err(ReplicaCalcError::NoPodsReturned);
        }
        if samples.len() != cohorts.len() {
            return Err(ReplicaCalcError::DataMismatch);
        }
        let Totals {
            tally,
            total_count,
            total_sum,
            request_error,
        } = totals;
        let cpu = resource == Some(ResourceName::Cpu);
        for (cohort, sample) in cohorts.iter().zip(samples) {
            if cohort.count == 0 {
                continue;
            }
            if let Some(s) = sample {
                *total_count = total_count.saturating_add(cohort.count as usize);
                *total_sum = total_sum.saturating_add(s.sum_milli);
            }
            let timing = sample.map(|s| s.timing);
            let class = classify(&cohort.pod, timing, cpu, &self.readiness, now_ms);
            let request = self.request(&cohort.pod, target).unwrap_or_else(|error| {
                request_error.get_or_insert(error);
                0
            });
            tally.add(
                class,
                sample.map(|s| s.sum_milli),
                cohort.count,
                request,
                target,
            );
        }
        Ok(())
    }

    /// The pod's request for a Utilization target [calculateRequests]; plain targets need none.
    fn request<'a>(&self, pod: &Pod<'a>, target: Target<'a>) -> Result<i128, ReplicaCalcError<'a>> {
        match target {
            Target::Utilization {
                resource,
                container,
                ..
            } => pod
                .request(resource, container, self.pod_level_resources)
                .map(i128::from),
            Target::Plain { .. } => Ok(0),
        }
    }

    /// The replica count from the totals of one pass: the first pass over ready pods, then the
    /// second with missing and unready pods filled in [GetResourceReplicas,
    /// calcPlainMetricReplicas].
    fn proposal<'a>(
        &self,
        current_replicas: i32,
        totals: &Totals<'a>,
        target: Target<'a>,
    ) -> Result<(i32, FirstPass), ReplicaCalcError<'a>> {
        let tally = &totals.tally;
        let (map_count, map_sum) = totals.map();
        if map_count == 0 {
            return Err(ReplicaCalcError::NoMetricsForTargetedPods);
        }
        if let Some(error) = totals.request_error {
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
#[derive(Debug)]
pub(crate) struct Alignments {
    known: heapless::Vec<AlignmentKey, 4>,
}

impl Default for Alignments {
    fn default() -> Self {
        Self { known: no_keys() }
    }
}

/// An empty list of keys, made out of line: built inside a decision, the compiler zeroes its
/// buffer (uninitialized by design) on every call.
#[inline(never)]
fn no_keys() -> heapless::Vec<AlignmentKey, 4> {
    heapless::Vec::new()
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
    /// Adds `count` pods of `class`, each requesting `request`, whose samples sum to `sample`
    /// (`None`: they have none).
    fn add(
        &mut self,
        class: PodClass,
        sample: Option<i128>,
        count: u32,
        request: i128,
        target: Target<'_>,
    ) {
        // A request is an i64 and a count a u32: their product is far inside i128.
        let weight = i128::from(count);
        let requests = request.wrapping_mul(weight);
        let count = count as usize;
        match class {
            PodClass::Ready => {
                self.ready_count = self.ready_count.saturating_add(count);
                self.ready_sum = self.ready_sum.saturating_add(sample.unwrap_or(0));
                self.ready_requests = self.ready_requests.saturating_add(requests);
            }
            PodClass::Missing => {
                self.missing_count = self.missing_count.saturating_add(count);
                self.missing_requests = self.missing_requests.saturating_add(requests);
                if let Target::Utilization { percent, .. } = target {
                    // On a scale-down a missing pod is assumed at max(100%, target) of its request.
                    let fallback = i128::from(percent.max(100));
                    let fill = request
                        .saturating_mul(fallback)
                        .checked_div(100)
                        .unwrap_or(0);
                    // Under 2^95 before the count, as the request is an i64 and the percent an i32.
                    let fill = fill.wrapping_mul(weight);
                    self.missing_fill = self.missing_fill.saturating_add(fill);
                }
            }
            PodClass::Unready | PodClass::Ignored => {
                if class == PodClass::Unready {
                    self.unready_count = self.unready_count.saturating_add(count);
                    self.unready_requests = self.unready_requests.saturating_add(requests);
                }
                // removeMetricsForPods: their samples leave the map.
                if let Some(value) = sample {
                    self.removed_count = self.removed_count.saturating_add(count);
                    self.removed_sum = self.removed_sum.saturating_add(value);
                }
            }
        }
    }
}

/// The pods and their samples for one pod-based metric: one by one, or in cohorts.
#[derive(Debug, Clone, Copy)]
enum PodInputs<'a> {
    Each {
        pods: &'a [Pod<'a>],
        samples: SampleSet<'a>,
    },
    Cohorts {
        cohorts: &'a [PodCohort<'a>],
        samples: &'a [Option<CohortSample>],
    },
}

impl<'a> PodInputs<'a> {
    /// The inputs of a Resource or ContainerResource metric.
    fn of_resource(
        pods: PodList<'a>,
        samples: Samples<'a, PodResourceMetrics<'a>>,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
    ) -> Result<Self, ReplicaCalcError<'a>> {
        match (pods, samples) {
            (PodList::Each(pods), Samples::Each(items)) => Ok(Self::Each {
                pods,
                samples: SampleSet::Resource {
                    items,
                    resource,
                    container,
                },
            }),
            (PodList::Cohorts(cohorts), Samples::Cohorts(samples)) => {
                Ok(Self::Cohorts { cohorts, samples })
            }
            _ => Err(ReplicaCalcError::DataMismatch),
        }
    }
}

/// What one pass over pods and samples found.
#[derive(Debug, Default)]
struct Totals<'a> {
    tally: Tally,
    /// Entries of upstream's sample map: the samples with a value, of listed pods or not.
    total_count: usize,
    /// Their sum.
    total_sum: i128,
    /// The first pod whose request could not be read.
    request_error: Option<ReplicaCalcError<'a>>,
}

impl Totals<'_> {
    /// The size and sum of the sample map once unready and ignored pods' samples left it.
    fn map(&self) -> (usize, i128) {
        (
            self.total_count.saturating_sub(self.tally.removed_count),
            self.total_sum.saturating_sub(self.tally.removed_sum),
        )
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
