//! The pods of the simulated workload: what each requests and may use, and how long it takes
//! to start and to become ready.

use super::error::SimError;

/// The pod template of the workload's Deployment, one container.
///
/// ```
/// use podscale::sim::PodTemplate;
/// // php-apache: requests 200m, limited to 500m.
/// let pod = PodTemplate { cpu_limit_m: Some(500), ..PodTemplate::new(200) };
/// assert_eq!(pod.capacity_m(), 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PodTemplate<'a> {
    /// The container's name, as metrics and the VPA name it.
    pub container: &'a str,
    /// `resources.requests.cpu`, millicores: what utilization is measured against.
    pub cpu_request_m: i64,
    /// `resources.limits.cpu`, millicores: CFS throttling caps the pod's usage there. Without
    /// a limit a pod may use what the demand gives it.
    pub cpu_limit_m: Option<i64>,
    /// What a running pod burns with no traffic, millicores.
    pub idle_cpu_m: i64,
    /// Working set of a running pod, bytes (what the VPA's memory samples see).
    pub memory_bytes: i64,
    /// From creation to the container running: scheduling, image pull, process start. The pod
    /// is `Pending` meanwhile and has no metrics.
    pub startup_ms: i64,
    /// From the container running to `Ready` (readiness probe delay and first success). The
    /// Service sends it no traffic before.
    pub readiness_delay_ms: i64,
}

/// Capacity of a pod with no CPU limit: large enough never to bind, small enough to multiply.
const UNLIMITED_M: i64 = 1 << 40;

impl<'a> PodTemplate<'a> {
    /// A container `app` requesting `cpu_request_m`, without limit, idle at 0, 8 MiB of
    /// memory, running 10 s after creation and ready 5 s later.
    pub const fn new(cpu_request_m: i64) -> Self {
        Self {
            container: "app",
            cpu_request_m,
            cpu_limit_m: None,
            idle_cpu_m: 0,
            memory_bytes: 8 << 20,
            startup_ms: 10_000,
            readiness_delay_ms: 5_000,
        }
    }

    /// The most CPU a pod can use, millicores: its limit, or unbounded.
    pub fn capacity_m(&self) -> i64 {
        self.cpu_limit_m.unwrap_or(UNLIMITED_M)
    }

    /// Checks every field is in range.
    ///
    /// # Errors
    ///
    /// [`SimError::InvalidField`] for a request or limit that is not positive, or a negative
    /// idle usage, memory, start-up time or readiness delay.
    pub fn validate(&self) -> Result<(), SimError> {
        let positive = [
            ("cpu_request_m", self.cpu_request_m),
            ("cpu_limit_m", self.cpu_limit_m.unwrap_or(1)),
        ];
        let non_negative = [
            ("idle_cpu_m", self.idle_cpu_m),
            ("memory_bytes", self.memory_bytes),
            ("startup_ms", self.startup_ms),
            ("readiness_delay_ms", self.readiness_delay_ms),
        ];
        if let Some((field, value)) = positive.into_iter().find(|(_, v)| *v <= 0) {
            return Err(SimError::InvalidField { field, value });
        }
        if let Some((field, value)) = non_negative.into_iter().find(|(_, v)| *v < 0) {
            return Err(SimError::InvalidField { field, value });
        }
        if self.cpu_limit_m.is_some_and(|l| l > UNLIMITED_M) {
            return Err(SimError::InvalidField {
                field: "cpu_limit_m",
                value: self.capacity_m(),
            });
        }
        Ok(())
    }
}
