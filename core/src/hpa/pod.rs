//! Pods as the HPA sees them: phase, readiness, start time and resource requests.

use super::error::ReplicaCalcError;
use super::resource::{ResourceAmount, ResourceName, find_amount};

/// The phase of a pod (`status.phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PodPhase {
    /// Accepted but not all containers are running yet.
    Pending,
    /// Bound to a node with all containers created.
    Running,
    /// All containers terminated successfully.
    Succeeded,
    /// All containers terminated, at least one in failure.
    Failed,
    /// The state could not be obtained.
    Unknown,
}

/// The status of a pod condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ConditionStatus {
    /// `"True"`.
    True,
    /// `"False"`.
    False,
    /// `"Unknown"`.
    Unknown,
}

/// A pod's `Ready` condition.
///
/// ```
/// use podscale::hpa::{ConditionStatus, ReadyCondition};
/// let ready = ReadyCondition { status: ConditionStatus::True, last_transition_time_ms: -60_000 };
/// assert_eq!(ready.status, ConditionStatus::True);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReadyCondition {
    /// Whether the pod is ready.
    pub status: ConditionStatus,
    /// When the status last changed, in Unix milliseconds.
    pub last_transition_time_ms: i64,
}

/// Where a container sits in the pod spec, which decides whether its requests count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ContainerKind {
    /// An entry of `spec.containers`.
    Regular,
    /// An entry of `spec.initContainers` with `restartPolicy: Always`: its requests count.
    Sidecar,
    /// Any other init container: its requests do not count.
    Init,
}

/// A container of a pod spec with its resource requests.
///
/// ```
/// use podscale::hpa::{Container, ContainerKind, ResourceAmount};
/// let requests = [ResourceAmount::new("cpu", 100)];
/// let proxy = Container { kind: ContainerKind::Sidecar, ..Container::new("proxy", &requests) };
/// assert_eq!(proxy.kind, ContainerKind::Sidecar);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Container<'a> {
    /// Container name, unique in the pod.
    pub name: &'a str,
    /// Regular, sidecar or plain init container.
    pub kind: ContainerKind,
    /// `resources.requests`.
    pub requests: &'a [ResourceAmount<'a>],
}

impl<'a> Container<'a> {
    /// A regular container (`spec.containers`).
    pub const fn new(name: &'a str, requests: &'a [ResourceAmount<'a>]) -> Self {
        Self {
            name,
            kind: ContainerKind::Regular,
            requests,
        }
    }

    fn request(&self, resource: ResourceName<'_>) -> Option<i64> {
        find_amount(self.requests, resource)
    }
}

/// A pod matched by the HPA's selector.
///
/// Pod names are unique within a namespace and the metrics APIs return one entry per pod;
/// podscale relies on both. With duplicate names a decision is still made without panic, but it
/// may differ from upstream's, whose maps keep one entry per name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pod<'a> {
    /// `metadata.name`.
    pub name: &'a str,
    /// `status.phase`.
    pub phase: PodPhase,
    /// Whether `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// `status.startTime` in Unix milliseconds, if set.
    pub start_time_ms: Option<i64>,
    /// The `Ready` condition, if the pod has one.
    pub ready: Option<ReadyCondition>,
    /// Containers and sidecars (`spec.containers` and `spec.initContainers`).
    pub containers: &'a [Container<'a>],
    /// Pod-level `spec.resources.requests`, if the pod sets them (KEP-2837).
    pub pod_requests: Option<&'a [ResourceAmount<'a>]>,
    /// `spec.overhead`, the RuntimeClass's overhead the admission controller copies into the pod,
    /// if set. Upstream counts it only together with pod-level requests: the request is then
    /// `resourcehelpers.PodRequests`, which adds the overhead; the per-container sum does not.
    pub overhead: Option<&'a [ResourceAmount<'a>]>,
}

impl<'a> Pod<'a> {
    /// A Running pod that started long ago and has been Ready as long: the steady state.
    ///
    /// ```
    /// use podscale::hpa::{Container, Pod, PodPhase, ResourceAmount};
    /// let requests = [ResourceAmount::new("cpu", 200)];
    /// let containers = [Container::new("app", &requests)];
    /// let pod = Pod::running_ready("web-0", &containers);
    /// assert_eq!(pod.phase, PodPhase::Running);
    /// ```
    pub const fn running_ready(name: &'a str, containers: &'a [Container<'a>]) -> Self {
        Self {
            name,
            phase: PodPhase::Running,
            deleting: false,
            start_time_ms: Some(i64::MIN / 2),
            ready: Some(ReadyCondition {
                status: ConditionStatus::True,
                last_transition_time_ms: i64::MIN / 2,
            }),
            containers,
            pod_requests: None,
            overhead: None,
        }
    }

    /// The request of a pod with pod-level requests [calculatePodLevelRequests]: upstream reads
    /// `resourcehelpers.PodRequests`, the containers' aggregate with the supported pod-level
    /// values laid over it, so a resource the pod level does not set comes from the containers,
    /// plus the pod overhead, which may also supply a resource neither of them lists.
    fn pod_level_request(
        &self,
        pod_requests: &[ResourceAmount<'a>],
        resource: ResourceName<'a>,
    ) -> Result<i64, ReplicaCalcError<'a>> {
        // applyPodLevelResources
        let pod_level = find_amount(pod_requests, resource)
            .filter(|_| is_supported_pod_level_resource(resource));
        let requested = pod_level.or_else(|| self.aggregate_container_request(resource));
        // PodRequests: "Add overhead for running a pod to the sum of requests" (addResourceList:
        // a resource only the overhead lists enters with the overhead's amount).
        let overhead = self.overhead.and_then(|o| find_amount(o, resource));
        add_requests(requested, overhead).ok_or(ReplicaCalcError::MissingPodLevelRequest {
            resource,
            pod: self.name,
        })
    }

    /// The containers' aggregate request for `resource`, `None` when no container lists it
    /// [AggregateContainerRequests]: containers and sidecars add up; an init container needs its
    /// own request plus the sidecars started before it; the pod needs the larger of the two.
    fn aggregate_container_request(&self, resource: ResourceName<'_>) -> Option<i64> {
        let mut running = None;
        let mut sidecars = None;
        let mut init_peak: Option<i64> = None;
        for c in self.containers {
            let own = c.request(resource);
            let during_init = match c.kind {
                ContainerKind::Regular => {
                    running = add_requests(running, own);
                    None
                }
                ContainerKind::Sidecar => {
                    running = add_requests(running, own);
                    sidecars = add_requests(sidecars, own);
                    sidecars
                }
                ContainerKind::Init => add_requests(own, sidecars),
            };
            init_peak = init_peak.max(during_init);
        }
        running.max(init_peak)
    }

    /// Running with Ready condition `True` [podutil.IsPodReady]; deleting pods count, as upstream.
    pub(crate) fn is_running_and_ready(&self) -> bool {
        self.phase == PodPhase::Running
            && self
                .ready
                .is_some_and(|r| r.status == ConditionStatus::True)
    }

    /// The pod's request for `resource`, in milli-units [calculateRequests].
    ///
    /// Pod-level requests win when `pod_level_resources` is on, the pod sets one for a supported
    /// resource (cpu, memory, huge pages) and no container is named; a resource the pod level
    /// leaves out then comes from the containers' aggregate (init containers included, as the
    /// kubelet sizes the pod), and the pod overhead is added. Otherwise requests of containers
    /// and sidecars are summed, or only `container`'s, without the overhead
    /// [calculatePodRequestsFromContainers].
    ///
    /// # Errors
    ///
    /// A considered container without a request for `resource`, a named container absent from the
    /// pod, or pod-level requests lacking `resource`.
    ///
    /// ```
    /// use podscale::hpa::{Container, Pod, ResourceAmount};
    /// let a = [ResourceAmount::new("cpu", 200)];
    /// let b = [ResourceAmount::new("cpu", 50)];
    /// let containers = [Container::new("app", &a), Container::new("log", &b)];
    /// let pod = Pod::running_ready("web-0", &containers);
    /// assert_eq!(pod.request("cpu".into(), None, true), Ok(250));
    /// assert_eq!(pod.request("cpu".into(), Some("log"), true), Ok(50));
    /// assert!(pod.request("memory".into(), None, true).is_err());
    /// ```
    pub fn request(
        &self,
        resource: ResourceName<'a>,
        container: Option<&'a str>,
        pod_level_resources: bool,
    ) -> Result<i64, ReplicaCalcError<'a>> {
        if let (true, Some(pod_requests), None) =
            (pod_level_resources, self.pod_requests, container)
        {
            // IsPodLevelRequestsSet: only a supported resource makes the requests pod-level.
            if pod_requests
                .iter()
                .any(|a| is_supported_pod_level_resource(a.resource))
            {
                return self.pod_level_request(pod_requests, resource);
            }
        }
        // calculatePodRequestsFromContainers: regular containers first, then sidecars.
        let counted = self
            .containers
            .iter()
            .filter(|c| c.kind == ContainerKind::Regular)
            .chain(
                self.containers
                    .iter()
                    .filter(|c| c.kind == ContainerKind::Sidecar),
            );
        let mut total: i64 = 0;
        for c in counted {
            if container.is_none_or(|name| name == c.name) {
                let request = c
                    .request(resource)
                    .ok_or(ReplicaCalcError::MissingRequest {
                        resource,
                        container: c.name,
                        pod: self.name,
                    })?;
                total = total.saturating_add(request);
                if container.is_some() {
                    return Ok(total);
                }
            }
        }
        match container {
            Some(container) => Err(ReplicaCalcError::ContainerNotFound {
                container,
                pod: self.name,
            }),
            None => Ok(total),
        }
    }
}

/// Two requests for one resource added as `addResourceList` adds them: a side that does not
/// list the resource contributes nothing, and the sum is absent only when both are.
fn add_requests(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.saturating_add(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a resource can be requested at pod level: cpu, memory and huge pages
/// [resourcehelpers.IsSupportedPodLevelResource].
fn is_supported_pod_level_resource(resource: ResourceName<'_>) -> bool {
    match resource {
        ResourceName::Cpu | ResourceName::Memory => true,
        ResourceName::Other(name) => name.starts_with("hugepages-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPU_100: [ResourceAmount<'static>; 1] = [ResourceAmount::cpu(100)];
    const CPU_30: [ResourceAmount<'static>; 1] = [ResourceAmount::cpu(30)];
    const MEMORY_ONLY: [ResourceAmount<'static>; 1] = [ResourceAmount::memory(64)];

    fn pod<'a>(containers: &'a [Container<'a>]) -> Pod<'a> {
        Pod::running_ready("p", containers)
    }

    // The cases of upstream's TestCalculateRequests.
    #[test]
    fn sums_containers_and_sidecars_but_not_plain_init_containers() {
        let containers = [
            Container::new("app", &CPU_100),
            Container {
                kind: ContainerKind::Sidecar,
                ..Container::new("proxy", &CPU_30)
            },
            Container {
                kind: ContainerKind::Init,
                ..Container::new("migrate", &MEMORY_ONLY)
            },
        ];
        assert_eq!(
            pod(&containers).request(ResourceName::Cpu, None, true),
            Ok(130)
        );
        assert_eq!(
            pod(&containers).request(ResourceName::Cpu, Some("proxy"), true),
            Ok(30)
        );
    }

    #[test]
    fn missing_request_and_missing_container_are_errors() {
        let containers = [
            Container::new("app", &CPU_100),
            Container::new("log", &MEMORY_ONLY),
        ];
        assert_eq!(
            pod(&containers).request(ResourceName::Cpu, None, true),
            Err(ReplicaCalcError::MissingRequest {
                resource: ResourceName::Cpu,
                container: "log",
                pod: "p"
            })
        );
        // Only the named container is considered.
        assert_eq!(
            pod(&containers).request(ResourceName::Cpu, Some("app"), true),
            Ok(100)
        );
        assert_eq!(
            pod(&containers).request(ResourceName::Cpu, Some("nope"), true),
            Err(ReplicaCalcError::ContainerNotFound {
                container: "nope",
                pod: "p"
            })
        );
    }

    #[test]
    fn pod_level_requests_win_unless_a_container_is_named_or_the_gate_is_off() {
        let containers = [Container::new("app", &CPU_100)];
        let pod_requests = [ResourceAmount::cpu(500)];
        let with_pod_level = Pod {
            pod_requests: Some(&pod_requests),
            ..pod(&containers)
        };
        assert_eq!(
            with_pod_level.request(ResourceName::Cpu, None, true),
            Ok(500)
        );
        assert_eq!(
            with_pod_level.request(ResourceName::Cpu, Some("app"), true),
            Ok(100)
        );
        assert_eq!(
            with_pod_level.request(ResourceName::Cpu, None, false),
            Ok(100)
        );
        assert_eq!(
            with_pod_level.request(ResourceName::Memory, None, true),
            Err(ReplicaCalcError::MissingPodLevelRequest {
                resource: ResourceName::Memory,
                pod: "p"
            })
        );
    }

    #[test]
    fn pod_level_requests_fall_back_to_the_containers_aggregate() {
        // Found by the differential test against v1.37.2 (resourcehelpers.PodRequests).
        let cpu_and_memory = [ResourceAmount::cpu(100), ResourceAmount::memory(64)];
        let containers = [
            Container::new("app", &CPU_100),
            Container {
                kind: ContainerKind::Sidecar,
                ..Container::new("proxy", &CPU_30)
            },
            Container {
                kind: ContainerKind::Init,
                ..Container::new("migrate", &cpu_and_memory)
            },
        ];
        let memory_at_pod_level = [ResourceAmount::memory(500)];
        let pod_level = Pod {
            pod_requests: Some(&memory_at_pod_level),
            ..pod(&containers)
        };
        // cpu: max(app + proxy, migrate + proxy) = max(130, 130); memory from the pod level.
        assert_eq!(pod_level.request(ResourceName::Cpu, None, true), Ok(130));
        assert_eq!(pod_level.request(ResourceName::Memory, None, true), Ok(500));
        // Pod-level requests naming no supported resource are not pod-level requests.
        let unsupported = [ResourceAmount::new("nvidia.com/gpu", 1000)];
        let not_pod_level = Pod {
            pod_requests: Some(&unsupported),
            ..pod(&containers)
        };
        assert_eq!(
            not_pod_level.request(ResourceName::Cpu, None, true),
            Ok(130)
        );
        let empty = Pod {
            pod_requests: Some(&[]),
            ..pod(&containers)
        };
        assert_eq!(empty.request(ResourceName::Cpu, None, true), Ok(130));
    }

    #[test]
    fn overhead_counts_with_pod_level_requests_only() {
        // Found by the differential test against v1.37.2 (resourcehelpers.PodRequests adds
        // spec.overhead; calculatePodRequestsFromContainers does not).
        let containers = [Container::new("app", &CPU_100)];
        let overhead = [ResourceAmount::cpu(100)];
        let cpu_at_pod_level = [ResourceAmount::cpu(200)];
        let memory_at_pod_level = [ResourceAmount::memory(500)];
        let with = |pod_requests| Pod {
            pod_requests,
            overhead: Some(&overhead),
            ..pod(&containers)
        };
        assert_eq!(
            with(Some(&cpu_at_pod_level)).request(ResourceName::Cpu, None, true),
            Ok(300)
        );
        // cpu from the containers, then the overhead.
        assert_eq!(
            with(Some(&memory_at_pod_level)).request(ResourceName::Cpu, None, true),
            Ok(200)
        );
        // No pod-level requests, a named container or the gate off: the containers alone.
        assert_eq!(with(None).request(ResourceName::Cpu, None, true), Ok(100));
        assert_eq!(
            with(Some(&cpu_at_pod_level)).request(ResourceName::Cpu, Some("app"), true),
            Ok(100)
        );
        assert_eq!(
            with(Some(&cpu_at_pod_level)).request(ResourceName::Cpu, None, false),
            Ok(100)
        );
        // The overhead alone supplies a resource nothing else requests.
        let memory_only = [Container::new("app", &MEMORY_ONLY)];
        let overhead_only = Pod {
            pod_requests: Some(&memory_at_pod_level),
            overhead: Some(&overhead),
            ..pod(&memory_only)
        };
        assert_eq!(
            overhead_only.request(ResourceName::Cpu, None, true),
            Ok(100)
        );
        assert_eq!(
            Pod {
                overhead: None,
                ..overhead_only
            }
            .request(ResourceName::Cpu, None, true),
            Err(ReplicaCalcError::MissingPodLevelRequest {
                resource: ResourceName::Cpu,
                pod: "p"
            })
        );
    }

    #[test]
    fn error_messages_match_upstream() {
        let err = ReplicaCalcError::MissingRequest {
            resource: ResourceName::Cpu,
            container: "c",
            pod: "p",
        };
        let mut text = heapless::String::<64>::new();
        let _ = core::fmt::write(&mut text, format_args!("{err}"));
        assert_eq!(
            text.as_str(),
            "missing request for cpu in container c of Pod p"
        );
    }
}
