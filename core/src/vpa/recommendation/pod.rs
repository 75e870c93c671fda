//! The parts of a pod that capping and the updater read: each container's requests and limits
//! (spec and, with in-place resize, status), its last termination, the observed-containers
//! annotation and the start time.

use super::resources::Resources;

/// A container's `resources` block, restricted to CPU and memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContainerResources {
    /// `requests`.
    pub requests: Resources,
    /// `limits`.
    pub limits: Resources,
}

/// A container's `lastState.terminated`, as far as the quick-OOM rule reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContainerTermination {
    /// The reason was `OOMKilled`.
    pub oom_killed: bool,
    /// `startedAt`, Unix milliseconds.
    pub started_at_ms: i64,
    /// `finishedAt`, Unix milliseconds.
    pub finished_at_ms: i64,
}

/// One (non-init) container of a pod.
///
/// ```
/// use podscale::vpa::{ContainerResources, PodContainer, Resources};
/// let spec = ContainerResources { requests: Resources::cpu(1000), limits: Resources::cpu(2000) };
/// let mut c = PodContainer::new("app", spec);
/// assert_eq!(c.effective_resources().requests.cpu_m, Some(1000));
/// // After an in-place resize the status holds what the container really has.
/// c.status = Some(ContainerResources { requests: Resources::cpu(500), limits: Resources::cpu(1000) });
/// assert_eq!(c.effective_resources().requests.cpu_m, Some(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PodContainer<'a> {
    /// The container's name.
    pub name: &'a str,
    /// `spec.containers[].resources`.
    pub spec: ContainerResources,
    /// `status.containerStatuses[].resources`, when the status reports them.
    pub status: Option<ContainerResources>,
    /// `status.containerStatuses[].lastState.terminated`, if any.
    pub last_termination: Option<ContainerTermination>,
}

impl<'a> PodContainer<'a> {
    /// A container with these spec resources and no status.
    pub const fn new(name: &'a str, spec: ContainerResources) -> Self {
        Self {
            name,
            spec,
            status: None,
            last_termination: None,
        }
    }

    /// The requests and limits the container actually has: from its status when the status
    /// reports resources, else from the spec [ContainerRequestsAndLimits].
    pub const fn effective_resources(&self) -> ContainerResources {
        match self.status {
            Some(status) => status,
            None => self.spec,
        }
    }
}

/// A pod as capping and the updater see it.
///
/// ```
/// use podscale::vpa::{ContainerResources, Pod, PodContainer};
/// let containers = [PodContainer::new("app", ContainerResources::default())];
/// let pod = Pod::new(&containers);
/// assert!(pod.container("app").is_some());
/// assert!(pod.is_observed("app"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pod<'a> {
    /// `spec.containers`, in order.
    pub containers: &'a [PodContainer<'a>],
    /// The parsed `vpaObservedContainers` annotation, when present and valid: only these
    /// containers count for the update priority and quick OOMs.
    pub observed_containers: Option<&'a [&'a str]>,
    /// `status.startTime`, Unix milliseconds, if set.
    pub start_time_ms: Option<i64>,
}

impl<'a> Pod<'a> {
    /// A pod with these containers, no annotation and no start time.
    pub const fn new(containers: &'a [PodContainer<'a>]) -> Self {
        Self {
            containers,
            observed_containers: None,
            start_time_ms: None,
        }
    }

    /// The container named `name` [getContainer].
    pub fn container(&self, name: &str) -> Option<&'a PodContainer<'a>> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// Whether `name` counts under the observed-containers annotation (all do without one)
    /// [parseVpaObservedContainers].
    pub fn is_observed(&self, name: &str) -> bool {
        self.observed_containers
            .is_none_or(|observed| observed.contains(&name))
    }
}
