//! What the workload is asked to do: a CPU series, or requests that each cost CPU, arriving at a
//! fixed rate (open loop) or from clients waiting for each answer (closed loop).

use super::error::SimError;

/// One point of a step-shaped series: `value` holds from `from_ms` until the next point.
/// Before the first point the value is 0.
///
/// ```
/// use podscale::sim::DemandPoint;
/// let load = [DemandPoint::new(60_000, 700), DemandPoint::new(600_000, 0)];
/// assert_eq!(load[0].value, 700);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DemandPoint {
    /// From when the value holds, Unix milliseconds.
    pub from_ms: i64,
    /// The value: millicores, milli-requests per second or clients, as the [`Demand`] says.
    pub value: i64,
}

impl DemandPoint {
    /// A point.
    pub const fn new(from_ms: i64, value: i64) -> Self {
        Self { from_ms, value }
    }
}

/// The workload's demand over time.
///
/// ```
/// use podscale::sim::{Demand, DemandPoint};
/// // One client from 1:00 to 10:00, each request 40 ms of CPU, 10 ms pause between requests.
/// let clients = [DemandPoint::new(60_000, 1), DemandPoint::new(600_000, 0)];
/// let load = Demand::ClosedLoop { clients: &clients, think_time_ms: 10, cpu_per_request_us: 40_000 };
/// assert!(load.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demand<'a> {
    /// CPU the workload would use if nothing capped it, in millicores.
    Cpu(&'a [DemandPoint]),
    /// Requests arriving at a rate that does not depend on how fast they are served (users
    /// on the internet), in milli-requests per second, each costing `cpu_per_request_us`
    /// microseconds of one core.
    OpenLoop {
        /// Arrival rate, milli-requests per second.
        requests_per_second_milli: &'a [DemandPoint],
        /// CPU time one request costs, microseconds of one core.
        cpu_per_request_us: i64,
    },
    /// Clients that each send a request, wait for the answer, pause `think_time_ms`, and send
    /// the next one (a load generator loop such as `while sleep 0.01; do wget ...; done`).
    ClosedLoop {
        /// Number of clients.
        clients: &'a [DemandPoint],
        /// The pause between an answer and the next request, milliseconds.
        think_time_ms: i64,
        /// CPU time one request costs, microseconds of one core.
        cpu_per_request_us: i64,
    },
}

/// What the demand amounts to at one step, given the pods that serve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Load {
    /// The CPU the workload asks for, millicores: what it would use with enough pods.
    pub offered_m: i64,
    /// The CPU the ready pods serve, millicores: `offered_m` capped at their limits.
    pub served_m: i64,
    /// Requests served, milli-requests per second (`None` for a CPU series).
    pub throughput_milli_rps: Option<i64>,
}

/// A single request runs on one thread: at most one core, and at most the pod's limit.
const ONE_CORE_M: i64 = 1000;

impl Demand<'_> {
    /// The series the demand follows.
    pub const fn series(&self) -> &[DemandPoint] {
        match self {
            Self::Cpu(points) => points,
            Self::OpenLoop {
                requests_per_second_milli,
                ..
            } => requests_per_second_milli,
            Self::ClosedLoop { clients, .. } => clients,
        }
    }

    /// Checks the series is sorted and every number in range.
    ///
    /// # Errors
    ///
    /// [`SimError::UnsortedDemand`], or [`SimError::InvalidField`] for a negative value, a
    /// request cost that is not positive, or a negative think time.
    pub fn validate(&self) -> Result<(), SimError> {
        let points = self.series();
        for (index, pair) in points.windows(2).enumerate() {
            if let [a, b] = pair {
                if b.from_ms < a.from_ms {
                    return Err(SimError::UnsortedDemand {
                        index: index.saturating_add(1),
                    });
                }
            }
        }
        if let Some(p) = points.iter().find(|p| p.value < 0) {
            return Err(SimError::InvalidField {
                field: "demand.value",
                value: p.value,
            });
        }
        match *self {
            Self::Cpu(_) => {}
            Self::OpenLoop {
                cpu_per_request_us, ..
            } => positive("cpu_per_request_us", cpu_per_request_us)?,
            Self::ClosedLoop {
                think_time_ms,
                cpu_per_request_us,
                ..
            } => {
                positive("cpu_per_request_us", cpu_per_request_us)?;
                if think_time_ms < 0 {
                    return Err(SimError::InvalidField {
                        field: "think_time_ms",
                        value: think_time_ms,
                    });
                }
            }
        }
        Ok(())
    }

    /// The load at a step whose series value is `value`, served by `ready_pods` pods each
    /// capped at `pod_capacity_m` millicores (their CPU limit).
    ///
    /// The closed loop uses the asymptotic bounds of operational analysis: a client alone
    /// cycles through a response time `R0 = cost / min(limit, 1 core)` and its pause `Z`, so
    /// `N` clients offer `N * cost / (R0 + Z)`; no more than the pods' capacity is served.
    /// Between the two bounds real queueing would serve a little less; the bound keeps the
    /// model hand-checkable and exact in integers.
    ///
    /// ```
    /// use podscale::sim::{Demand, Load};
    /// // One client, 40 ms of CPU a request, 10 ms pause, pods limited to 500m: a request takes
    /// // 80 ms, a cycle 90 ms, so the client keeps 40/90 of a core busy.
    /// let load = Demand::ClosedLoop { clients: &[], think_time_ms: 10, cpu_per_request_us: 40_000 };
    /// let l = load.load(1, 3, 500);
    /// assert_eq!(l.offered_m, 444);
    /// assert_eq!(l.served_m, 444);
    /// assert_eq!(l.throughput_milli_rps, Some(11_100)); // 444m served at 40 ms each
    /// ```
    pub fn load(&self, value: i64, ready_pods: i64, pod_capacity_m: i64) -> Load {
        let wide = i128::from;
        let capacity = wide(ready_pods.max(0)).saturating_mul(wide(pod_capacity_m.max(0)));
        let value = wide(value.max(0));
        let (offered, cost_us) = match *self {
            Self::Cpu(_) => (value, None),
            Self::OpenLoop {
                cpu_per_request_us, ..
            } => {
                // milli-requests/s times core-us per request is 10^6 millicores.
                let cpu = value.saturating_mul(wide(cpu_per_request_us));
                let cpu = divide(cpu, 1_000_000);
                (cpu, Some(cpu_per_request_us))
            }
            Self::ClosedLoop {
                think_time_ms,
                cpu_per_request_us,
                ..
            } => {
                let cost = wide(cpu_per_request_us.max(1));
                let speed = wide(pod_capacity_m.clamp(1, ONE_CORE_M));
                let response_us = divide(cost.saturating_mul(wide(ONE_CORE_M)), speed);
                let cycle_us =
                    response_us.saturating_add(wide(think_time_ms.max(0)).saturating_mul(1000));
                let per_client_m = divide(cost.saturating_mul(wide(ONE_CORE_M)), cycle_us);
                (value.saturating_mul(per_client_m), Some(cpu_per_request_us))
            }
        };
        let served = offered.min(capacity);
        let throughput = cost_us
            .map(|cost| saturate(divide(served.saturating_mul(1_000_000), wide(cost.max(1)))));
        Load {
            offered_m: saturate(offered),
            served_m: saturate(served),
            throughput_milli_rps: throughput,
        }
    }
}

fn positive(field: &'static str, value: i64) -> Result<(), SimError> {
    if value > 0 {
        Ok(())
    } else {
        Err(SimError::InvalidField { field, value })
    }
}

/// `a / b` truncated, 0 for a zero `b`; in 64 bits when both fit, as 128-bit division is a slow
/// library call.
fn divide(a: i128, b: i128) -> i128 {
    if let (Ok(a), Ok(b)) = (i64::try_from(a), i64::try_from(b)) {
        if let Some(quotient) = a.checked_div(b) {
            return i128::from(quotient);
        }
    }
    a.checked_div(b).unwrap_or(0)
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// Reads a step-shaped series at increasing instants in amortized constant time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SeriesCursor {
    /// The number of points at or before the last instant read.
    passed: usize,
}

impl SeriesCursor {
    /// The value at `now_ms`; instants must not decrease between calls.
    pub(crate) fn value_at(&mut self, points: &[DemandPoint], now_ms: i64) -> i64 {
        while points.get(self.passed).is_some_and(|p| p.from_ms <= now_ms) {
            self.passed = self.passed.saturating_add(1);
        }
        self.passed
            .checked_sub(1)
            .and_then(|i| points.get(i))
            .map_or(0, |p| p.value)
    }
}
