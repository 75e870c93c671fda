//! Leader election on a `coordination.k8s.io/v1` Lease, so that of several replicas of the
//! controller exactly one writes scales at a time.
//!
//! The protocol is client-go's `leaderelection` package with its `LeaseLock`, step for step:
//!
//! - The Lease's spec is the election record: `holderIdentity`, `leaseDurationSeconds`,
//!   `acquireTime`, `renewTime`, `leaseTransitions`.
//! - Every write is a PUT carrying the `resourceVersion` last read, so two replicas that both
//!   decide to take the lease cannot both succeed: the API server answers the second with 409
//!   Conflict, which here means "someone else wrote first: not leader", never an error.
//! - Whether the holder's lease has expired is judged by *this* replica's clock: the instant it
//!   last saw the record change (client-go's `observedTime`) plus the lease duration. The
//!   holder's `renewTime` is written for humans and never compared with the local clock, so
//!   clock skew between replicas does not matter, only that their clocks run at the same rate.
//! - A leader that cannot renew within `renew_deadline` (shorter than the lease duration)
//!   stops acting before any other replica may take over.
//! - On graceful shutdown the leader clears `holderIdentity` (client-go's `ReleaseOnCancel`), so
//!   another replica takes over at its next retry instead of waiting out the lease.
//!
//! [`LeaderElector::try_acquire_or_renew`] is one step of the protocol, driven by the test or by
//! [`LeaderElector::run`], the loop that keeps a [`watch`] channel saying whether this replica
//! leads. "Now" is read from a [`Clock`], so tests move time instead of waiting.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::PostParams;
use kube::{Api, Client};
use tokio::sync::watch;

use crate::clock::Clock;

/// client-go's `JitterFactor`: a candidate waits between one and 2.2 retry periods between
/// attempts, so replicas that start together do not keep colliding.
const JITTER_FACTOR: f64 = 1.2;

/// How long the lease is held and how often it is renewed, as client-go's
/// `LeaderElectionConfig` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTimings {
    /// How long a non-leader waits, after it last saw the record change, before it may take the
    /// lease. Written to the Lease in whole seconds.
    pub lease_duration: Duration,
    /// How long the leader keeps acting without a successful renewal before it steps down.
    pub renew_deadline: Duration,
    /// How long to wait between attempts to acquire or renew.
    pub retry_period: Duration,
}

impl Default for LeaseTimings {
    /// kube-controller-manager's defaults: 15 s, 10 s, 2 s.
    fn default() -> Self {
        Self {
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

impl LeaseTimings {
    /// The checks of client-go's `NewLeaderElector`: the lease outlasts the renew deadline (so a
    /// leader that cannot renew stops before anyone may take over), and the renew deadline
    /// leaves room for more than one jittered retry. The lease duration is also a whole number
    /// of seconds (at least one) that fits the Lease's `int32`.
    ///
    /// # Errors
    ///
    /// [`LeaderElectionError::InvalidConfig`] naming the violated rule.
    pub fn validate(&self) -> Result<(), LeaderElectionError> {
        let invalid = |why: &str| Err(LeaderElectionError::InvalidConfig(why.to_owned()));
        if self.retry_period.is_zero() {
            return invalid("retry_period must be greater than zero");
        }
        if self.lease_duration <= self.renew_deadline {
            return invalid("lease_duration must be greater than renew_deadline");
        }
        if self.renew_deadline.as_secs_f64() <= JITTER_FACTOR * self.retry_period.as_secs_f64() {
            return invalid("renew_deadline must be greater than 1.2 × retry_period");
        }
        if self.lease_duration.subsec_nanos() != 0 || self.lease_duration.as_secs() == 0 {
            return invalid("lease_duration must be a whole number of seconds, at least one");
        }
        if i32::try_from(self.lease_duration.as_secs()).is_err() {
            return invalid("lease_duration does not fit the Lease's leaseDurationSeconds");
        }
        Ok(())
    }

    fn lease_duration_seconds(&self) -> i32 {
        // validate() has checked that it fits.
        i32::try_from(self.lease_duration.as_secs()).unwrap_or(i32::MAX)
    }
}

/// The election record, as the Lease's spec holds it (client-go's `LeaderElectionRecord`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeaderElectionRecord {
    /// Who holds the lease; empty when nobody does (released, or never held).
    pub holder_identity: String,
    /// How long the holder's lease lasts after a replica sees it change.
    pub lease_duration_seconds: i32,
    /// When the current holder acquired the lease, by the holder's clock.
    pub acquire_time: Option<Timestamp>,
    /// When the current holder last renewed, by the holder's clock (informational only).
    pub renew_time: Option<Timestamp>,
    /// How many times the lease changed hands.
    pub lease_transitions: i32,
}

impl LeaderElectionRecord {
    /// client-go's `LeaseSpecToLeaderElectionRecord`.
    fn from_spec(spec: Option<&LeaseSpec>) -> Self {
        let Some(spec) = spec else {
            return Self::default();
        };
        Self {
            holder_identity: spec.holder_identity.clone().unwrap_or_default(),
            lease_duration_seconds: spec.lease_duration_seconds.unwrap_or(0),
            acquire_time: spec.acquire_time.as_ref().map(|t| t.0),
            renew_time: spec.renew_time.as_ref().map(|t| t.0),
            lease_transitions: spec.lease_transitions.unwrap_or(0),
        }
    }

    /// client-go's `LeaderElectionRecordToLeaseSpec`.
    fn to_spec(&self) -> LeaseSpec {
        LeaseSpec {
            // An empty holder is written as absent, as `kubectl get lease` shows a free lease.
            holder_identity: (!self.holder_identity.is_empty())
                .then(|| self.holder_identity.clone()),
            lease_duration_seconds: Some(self.lease_duration_seconds),
            acquire_time: self.acquire_time.map(MicroTime),
            renew_time: self.renew_time.map(MicroTime),
            lease_transitions: Some(self.lease_transitions),
            ..LeaseSpec::default()
        }
    }
}

/// Why a step of the election could not be decided. A conflict is not one of these: losing a
/// race for the lease is an answer (not leader), not a failure.
#[derive(Debug)]
pub enum LeaderElectionError {
    /// The timings break a rule of [`LeaseTimings::validate`], or the identity is empty.
    InvalidConfig(String),
    /// The API server could not be asked, or refused for another reason than a conflict.
    Api {
        /// What was being done (`get lease ns/name`, …).
        action: String,
        /// The client's error.
        source: kube::Error,
    },
}

impl fmt::Display for LeaderElectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidConfig(why) => write!(f, "invalid leader election settings: {why}"),
            Self::Api { action, source } => write!(f, "leader election: {action}: {source}"),
        }
    }
}

impl std::error::Error for LeaderElectionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidConfig(_) => None,
            Self::Api { source, .. } => Some(source),
        }
    }
}

/// True for the answers that mean another writer got there first: 409 Conflict on an update
/// with a stale `resourceVersion`, 409 AlreadyExists on a create that lost the race.
fn lost_race(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(status) if status.is_conflict() || status.is_already_exists())
}

/// One replica's side of the election on one Lease.
pub struct LeaderElector {
    api: Api<Lease>,
    namespace: String,
    name: String,
    identity: String,
    timings: LeaseTimings,
    clock: Arc<dyn Clock>,
    /// The Lease as last read or written: its `resourceVersion` is the one the next write
    /// carries (client-go's `LeaseLock.lease`).
    lease: Option<Lease>,
    /// The record as last seen changed, and when, by the local clock (client-go's
    /// `observedRecord` and `observedTime`).
    observed: Option<(LeaderElectionRecord, i64)>,
    /// When this replica last acquired or renewed successfully, by the local clock. `None`
    /// while it is not leading.
    renewed_at_ms: Option<i64>,
    leading: watch::Sender<bool>,
}

impl fmt::Debug for LeaderElector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaderElector")
            .field("lease", &format_args!("{}/{}", self.namespace, self.name))
            .field("identity", &self.identity)
            .field("timings", &self.timings)
            .field("observed", &self.observed)
            .field("renewed_at_ms", &self.renewed_at_ms)
            .finish_non_exhaustive()
    }
}

impl LeaderElector {
    /// An elector for the Lease `namespace/lease_name`, competing as `identity` (unique per
    /// replica: the pod name is the usual choice). Nothing is sent until the first step.
    ///
    /// # Errors
    ///
    /// [`LeaderElectionError::InvalidConfig`] if the timings break a rule of
    /// [`LeaseTimings::validate`], or the identity is empty (an empty holder means "free",
    /// client-go refuses it too).
    pub fn new(
        client: Client,
        namespace: &str,
        lease_name: &str,
        identity: &str,
        timings: LeaseTimings,
        clock: impl Clock,
    ) -> Result<Self, LeaderElectionError> {
        timings.validate()?;
        if identity.is_empty() {
            return Err(LeaderElectionError::InvalidConfig(
                "the identity must not be empty".to_owned(),
            ));
        }
        let (leading, _) = watch::channel(false);
        Ok(Self {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_owned(),
            name: lease_name.to_owned(),
            identity: identity.to_owned(),
            timings,
            clock: Arc::new(clock),
            lease: None,
            observed: None,
            renewed_at_ms: None,
            leading,
        })
    }

    /// This replica's identity, as written to `holderIdentity`.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The timings in use.
    pub fn timings(&self) -> LeaseTimings {
        self.timings
    }

    /// The record as last seen (read or written), if any.
    pub fn observed_record(&self) -> Option<&LeaderElectionRecord> {
        self.observed.as_ref().map(|(record, _)| record)
    }

    /// A receiver that says whether this replica leads, kept up to date by [`Self::run`] (and
    /// by each step when driven by hand). It starts `false`.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.leading.subscribe()
    }

    /// Whether this replica may act as leader now: the record it last saw names it, and it
    /// renewed within `renew_deadline` by its clock. A leader that stops renewing stops being
    /// one here before any other replica may take over (the lease duration is longer).
    pub fn is_leader(&self) -> bool {
        let Some(renewed_at) = self.renewed_at_ms else {
            return false;
        };
        self.observed_names_me()
            && self.clock.now_ms().saturating_sub(renewed_at)
                < duration_ms(self.timings.renew_deadline)
    }

    /// client-go's `IsLeader`: the last observed record names this replica.
    fn observed_names_me(&self) -> bool {
        self.observed
            .as_ref()
            .is_some_and(|(record, _)| record.holder_identity == self.identity)
    }

    /// client-go's `isLeaseValid`: the observed holder's lease has not run out, counting from
    /// when this replica saw the record change, by its own clock.
    fn lease_valid(&self, now_ms: i64) -> bool {
        self.observed.as_ref().is_some_and(|(record, observed_at)| {
            let duration = i64::from(record.lease_duration_seconds).saturating_mul(1000);
            observed_at.saturating_add(duration) > now_ms
        })
    }

    /// client-go's `setObservedRecord`, for a record that (as far as we know) changed now.
    fn set_observed(&mut self, record: LeaderElectionRecord, now_ms: i64) {
        self.observed = Some((record, now_ms));
    }

    /// Sends whether this replica leads to the subscribers, when it changed.
    fn publish(&self) {
        let leading = self.is_leader();
        self.leading.send_if_modified(|was| {
            let changed = *was != leading;
            *was = leading;
            changed
        });
    }

    fn action(&self, verb: &str) -> String {
        format!("{verb} lease {}/{}", self.namespace, self.name)
    }

    /// `LeaseLock.Update`: a PUT of the record onto the Lease last seen, with its
    /// `resourceVersion`. `Ok(false)` when another writer got there first (409).
    async fn update(&mut self, record: &LeaderElectionRecord) -> Result<bool, LeaderElectionError> {
        let Some(mut lease) = self.lease.clone() else {
            // Unreachable in practice: both callers first read or wrote the Lease. Without one
            // there is no resourceVersion to write on top of, so nothing is written.
            return Ok(false);
        };
        lease.spec = Some(record.to_spec());
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(written) => {
                self.lease = Some(written);
                Ok(true)
            }
            Err(e) if lost_race(&e) => Ok(false),
            Err(source) => Err(LeaderElectionError::Api {
                action: self.action("update"),
                source,
            }),
        }
    }

    /// Marks a successful acquire or renewal made at `now_ms`.
    fn leading_since(&mut self, record: LeaderElectionRecord, now_ms: i64) {
        self.set_observed(record, now_ms);
        self.renewed_at_ms = Some(now_ms);
        self.publish();
    }

    /// One step of the election (client-go's `tryAcquireOrRenew`): renew the lease if this
    /// replica holds it, take it if it is free or has expired by the local clock, and
    /// otherwise leave it. `Ok(true)` when this replica holds the lease after the step.
    ///
    /// A write refused because someone else wrote the Lease since it was read (409) is
    /// `Ok(false)`: not leader.
    ///
    /// # Errors
    ///
    /// When the Lease cannot be read, created or written for another reason (the API server
    /// is unreachable, the request is forbidden, …). The caller counts it as a failed attempt.
    pub async fn try_acquire_or_renew(&mut self) -> Result<bool, LeaderElectionError> {
        let now_ms = self.clock.now_ms();
        let now = timestamp(now_ms);
        let mut record = LeaderElectionRecord {
            holder_identity: self.identity.clone(),
            lease_duration_seconds: self.timings.lease_duration_seconds(),
            acquire_time: Some(now),
            renew_time: Some(now),
            lease_transitions: 0,
        };

        // 1. Fast path: the leader renews on top of the Lease it wrote last, without reading
        // it first. If someone else wrote in between, the PUT is refused and the slow path
        // reads what they wrote.
        if self.observed_names_me() && self.lease_valid(now_ms) {
            if let Some((observed, _)) = &self.observed {
                record.acquire_time = observed.acquire_time;
                record.lease_transitions = observed.lease_transitions;
            }
            match self.update(&record).await {
                Ok(true) => {
                    self.leading_since(record, now_ms);
                    return Ok(true);
                }
                Ok(false) => {
                    tracing::debug!(lease = %self.name, "renewal conflicted, reading the lease");
                }
                Err(e) => tracing::warn!(error = %e, "renewal failed, reading the lease"),
            }
        }

        // 2. Read the Lease, or create it if there is none.
        let current = match self.api.get_opt(&self.name).await {
            Ok(current) => current,
            Err(source) => {
                return Err(LeaderElectionError::Api {
                    action: self.action("get"),
                    source,
                });
            }
        };
        let Some(current) = current else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    namespace: Some(self.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(record.to_spec()),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    self.lease = Some(created);
                    self.leading_since(record, now_ms);
                    Ok(true)
                }
                // Another replica created it between our read and our create.
                Err(e) if lost_race(&e) => {
                    self.renewed_at_ms = None;
                    self.publish();
                    Ok(false)
                }
                Err(source) => Err(LeaderElectionError::Api {
                    action: self.action("create"),
                    source,
                }),
            };
        };

        // 3. The record as read: restart the expiry countdown only if it changed since last
        // seen, which is what makes expiry a local judgement.
        let read = LeaderElectionRecord::from_spec(current.spec.as_ref());
        self.lease = Some(current);
        if self.observed_record() != Some(&read) {
            self.set_observed(read.clone(), now_ms);
        }
        if !self.observed_names_me() {
            // Someone else (or nobody) holds it: whatever happens below, we are not acting on
            // an old renewal any more.
            self.renewed_at_ms = None;
            self.publish();
        }
        if !read.holder_identity.is_empty() && self.lease_valid(now_ms) && !self.observed_names_me()
        {
            tracing::debug!(holder = %read.holder_identity, "lease held and not expired");
            return Ok(false);
        }

        // 4. Take or renew it. Renewing keeps the acquire time and the transition count;
        // taking it from someone else (or from nobody) counts one more transition.
        if self.observed_names_me() {
            record.acquire_time = read.acquire_time;
            record.lease_transitions = read.lease_transitions;
        } else {
            record.lease_transitions = read.lease_transitions.saturating_add(1);
        }
        if self.update(&record).await? {
            self.leading_since(record, now_ms);
            Ok(true)
        } else {
            tracing::debug!(lease = %self.name, "lost the race for the lease");
            Ok(false)
        }
    }

    /// Gives the lease up if this replica holds it (client-go's `release`): stops acting first,
    /// then writes the record with no holder and a one-second duration, so another replica
    /// takes it at its next step instead of waiting out the lease. `Ok(true)` when the lease
    /// was released by this call, `Ok(false)` when this replica did not hold it (or lost it
    /// while releasing).
    ///
    /// # Errors
    ///
    /// When the Lease cannot be read or written for another reason than a conflict.
    pub async fn release(&mut self) -> Result<bool, LeaderElectionError> {
        // Stop acting before the lease can go to anyone else.
        self.renewed_at_ms = None;
        self.publish();
        // Read first, for a current resourceVersion and to be sure the lease is still ours:
        // releasing someone else's would let a third replica in beside them.
        let current = match self.api.get_opt(&self.name).await {
            Ok(Some(current)) => current,
            Ok(None) => return Ok(false),
            Err(source) => {
                return Err(LeaderElectionError::Api {
                    action: self.action("get"),
                    source,
                });
            }
        };
        let read = LeaderElectionRecord::from_spec(current.spec.as_ref());
        self.lease = Some(current);
        let now_ms = self.clock.now_ms();
        if read.holder_identity != self.identity {
            if self.observed_record() != Some(&read) {
                self.set_observed(read, now_ms);
            }
            return Ok(false);
        }
        let now = timestamp(now_ms);
        let released = LeaderElectionRecord {
            holder_identity: String::new(),
            lease_duration_seconds: 1,
            acquire_time: Some(now),
            renew_time: Some(now),
            lease_transitions: read.lease_transitions,
        };
        let written = self.update(&released).await?;
        if written {
            self.set_observed(released, now_ms);
        }
        Ok(written)
    }

    /// How long the current step may take: a leader must have its answer before its renew
    /// deadline passes, so that it never acts past it unknowingly.
    fn step_budget(&self) -> Duration {
        match self.renewed_at_ms {
            Some(renewed_at) if self.observed_names_me() => {
                let elapsed = self.clock.now_ms().saturating_sub(renewed_at);
                let left = duration_ms(self.timings.renew_deadline).saturating_sub(elapsed);
                Duration::from_millis(u64::try_from(left).unwrap_or(0))
            }
            _ => self.timings.renew_deadline,
        }
    }

    /// Runs the election until `shutdown` resolves, keeping [`Self::subscribe`]'s channel up
    /// to date (client-go's `Run`, with `acquire` and `renew`).
    ///
    /// A candidate tries every retry period, jittered; a leader renews every retry period and
    /// steps down (the channel turns `false`) when it has not renewed within the renew
    /// deadline, or sees that someone else holds the lease. Unlike client-go's `Run`, which
    /// returns after losing the lease (and kube-controller-manager then exits), a replica that
    /// steps down becomes a candidate again: the channel is what stops it acting.
    ///
    /// On shutdown the channel turns `false` and a held lease is released
    /// (`ReleaseOnCancel`), within the renew deadline.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut was_leader = false;
        loop {
            self.publish();
            let budget = self.step_budget();
            let step = tokio::time::timeout(budget, self.try_acquire_or_renew());
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                result = step => match result {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "leader election step failed"),
                    Err(_) => tracing::warn!(?budget, "leader election step timed out"),
                },
            }
            self.publish();
            let leader = self.is_leader();
            if leader != was_leader {
                if leader {
                    tracing::info!(identity = %self.identity, lease = %self.name, "became leader");
                } else {
                    tracing::info!(identity = %self.identity, lease = %self.name, "stopped leading");
                }
                was_leader = leader;
            }
            let pause = if leader {
                // Wake up before the renew deadline, to step down on time if renewals keep
                // failing.
                self.timings.retry_period.min(self.step_budget())
            } else {
                jittered(self.timings.retry_period)
            };
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        let held = self.observed_names_me() && self.renewed_at_ms.is_some();
        self.renewed_at_ms = None;
        self.publish();
        if held {
            match tokio::time::timeout(self.timings.renew_deadline, self.release()).await {
                Ok(Ok(true)) => tracing::info!(lease = %self.name, "released the lease"),
                Ok(Ok(false)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "releasing the lease failed"),
                Err(_) => tracing::warn!("releasing the lease timed out"),
            }
        }
    }
}

/// Milliseconds of a duration, saturating.
fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The instant of Unix milliseconds; out of jiff's range (year ±9999) it clamps to the nearer
/// end, which only a broken clock reaches.
fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// client-go's `wait.Jitter(d, JitterFactor)`: `d` plus up to 1.2 × `d`. The randomness is
/// std's per-map hash keys, enough to spread replicas apart without a random number crate.
fn jittered(d: Duration) -> Duration {
    let bits = RandomState::new().build_hasher().finish() >> 11;
    let fraction = bits as f64 / (1u64 << 53) as f64;
    d.mul_f64(1.0 + JITTER_FACTOR * fraction)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use http::{Method, Request, Response, StatusCode};
    use kube::client::Body;
    use serde_json::{Value, json};
    use tower_test::mock::{self, Handle};

    const START_MS: i64 = 1_800_000_000_000;

    fn mock_client() -> (Client, Handle<Request<Body>, Response<Body>>) {
        let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
        (Client::new(service, "default"), handle)
    }

    fn elector(client: Client, clock: &ManualClock) -> LeaderElector {
        LeaderElector::new(
            client,
            "ops",
            "podscale",
            "replica-a",
            LeaseTimings::default(),
            clock.clone(),
        )
        .unwrap()
    }

    fn respond(send: mock::SendResponse<Response<Body>>, status: StatusCode, body: &Value) {
        send.send_response(
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(body).unwrap()))
                .unwrap(),
        );
    }

    async fn body_json(request: Request<Body>) -> Value {
        let bytes = request.into_body().collect_bytes().await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// Answers the first step of a new elector: no Lease yet (404), then its creation,
    /// stored as resourceVersion 1.
    async fn serve_first_creation(handle: &mut Handle<Request<Body>, Response<Body>>) {
        let (_, send) = handle.next_request().await.unwrap();
        respond(send, StatusCode::NOT_FOUND, &status(404, "NotFound"));
        let (request, send) = handle.next_request().await.unwrap();
        let mut created = body_json(request).await;
        created["metadata"]["resourceVersion"] = json!("1");
        respond(send, StatusCode::CREATED, &created);
    }

    fn status(code: u16, reason: &str) -> Value {
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": reason, "reason": reason, "code": code,
        })
    }

    fn lease(resource_version: &str, holder: &str, transitions: i32, renew: &str) -> Value {
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "podscale", "namespace": "ops", "resourceVersion": resource_version},
            "spec": {
                "holderIdentity": holder,
                "leaseDurationSeconds": 15,
                "acquireTime": "2027-01-15T08:00:00.000000Z",
                "renewTime": renew,
                "leaseTransitions": transitions,
            },
        })
    }

    const LEASE_PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/ops/leases/podscale";

    #[test]
    fn timings_follow_client_go_rules() {
        assert!(LeaseTimings::default().validate().is_ok());
        let bad = |lease, renew, retry| {
            LeaseTimings {
                lease_duration: Duration::from_millis(lease),
                renew_deadline: Duration::from_millis(renew),
                retry_period: Duration::from_millis(retry),
            }
            .validate()
            .unwrap_err()
            .to_string()
        };
        assert!(bad(10_000, 10_000, 2_000).contains("greater than renew_deadline"));
        assert!(bad(15_000, 2_400, 2_000).contains("1.2"));
        assert!(bad(15_500, 10_000, 2_000).contains("whole number"));
        assert!(bad(15_000, 10_000, 0).contains("retry_period"));
    }

    #[test]
    fn record_round_trips_through_the_spec() {
        let record = LeaderElectionRecord {
            holder_identity: "a".into(),
            lease_duration_seconds: 15,
            acquire_time: Some(timestamp(START_MS)),
            renew_time: Some(timestamp(START_MS + 2_000)),
            lease_transitions: 3,
        };
        let spec = record.to_spec();
        assert_eq!(LeaderElectionRecord::from_spec(Some(&spec)), record);
        let free = LeaderElectionRecord::default().to_spec();
        assert_eq!(free.holder_identity, None);
    }

    #[tokio::test]
    async fn creates_the_lease_when_there_is_none() {
        let (client, mut handle) = mock_client();
        let clock = ManualClock::new(START_MS);
        let mut le = elector(client, &clock);
        let leading = le.subscribe();
        let server = tokio::spawn(async move {
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::GET);
            assert_eq!(request.uri().path(), LEASE_PATH);
            respond(send, StatusCode::NOT_FOUND, &status(404, "NotFound"));

            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::POST);
            assert_eq!(
                request.uri().path(),
                "/apis/coordination.k8s.io/v1/namespaces/ops/leases"
            );
            let body = body_json(request).await;
            assert_eq!(body["metadata"]["name"], "podscale");
            assert_eq!(body["spec"]["holderIdentity"], "replica-a");
            assert_eq!(body["spec"]["leaseDurationSeconds"], 15);
            assert_eq!(body["spec"]["leaseTransitions"], 0);
            // "now" is the manual clock's, written as a MicroTime.
            let now = "2027-01-15T08:00:00.000000Z";
            assert_eq!(body["spec"]["acquireTime"], now);
            assert_eq!(body["spec"]["renewTime"], now);
            let mut created = body.clone();
            created["metadata"]["resourceVersion"] = json!("7");
            respond(send, StatusCode::CREATED, &created);
        });
        assert!(le.try_acquire_or_renew().await.unwrap());
        server.await.unwrap();
        assert!(le.is_leader());
        assert!(*leading.borrow());
        assert_eq!(
            le.lease
                .as_ref()
                .unwrap()
                .metadata
                .resource_version
                .as_deref(),
            Some("7")
        );
    }

    #[tokio::test]
    async fn takes_an_expired_lease_with_a_put_carrying_the_resource_version() {
        let (client, mut handle) = mock_client();
        let clock = ManualClock::new(START_MS);
        let mut le = elector(client, &clock);
        let held_by_b = lease("41", "replica-b", 2, "2027-01-15T08:00:00.000000Z");
        let first = held_by_b.clone();
        let server = tokio::spawn(async move {
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::GET);
            assert_eq!(request.uri().path(), LEASE_PATH);
            respond(send, StatusCode::OK, &first);
            handle
        });
        // Held by another replica and just seen: not ours.
        assert!(!le.try_acquire_or_renew().await.unwrap());
        let mut handle = server.await.unwrap();

        // The same record 15 s later by our clock: expired, whatever its renewTime says.
        clock.advance(15_000);
        let server = tokio::spawn(async move {
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::GET);
            respond(send, StatusCode::OK, &held_by_b);

            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::PUT);
            assert_eq!(request.uri().path(), LEASE_PATH);
            let body = body_json(request).await;
            assert_eq!(body["metadata"]["resourceVersion"], "41");
            assert_eq!(body["spec"]["holderIdentity"], "replica-a");
            assert_eq!(body["spec"]["leaseTransitions"], 3);
            let mut written = body.clone();
            written["metadata"]["resourceVersion"] = json!("42");
            respond(send, StatusCode::OK, &written);

            // Renewal: the fast path writes on top of version 42 without reading first, and
            // keeps the acquire time and the transition count.
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::PUT);
            let body = body_json(request).await;
            assert_eq!(body["metadata"]["resourceVersion"], "42");
            assert_eq!(body["spec"]["leaseTransitions"], 3);
            assert_eq!(body["spec"]["acquireTime"], "2027-01-15T08:00:15.000000Z");
            assert_eq!(body["spec"]["renewTime"], "2027-01-15T08:00:17.000000Z");
            let mut written = body.clone();
            written["metadata"]["resourceVersion"] = json!("43");
            respond(send, StatusCode::OK, &written);
        });
        assert!(le.try_acquire_or_renew().await.unwrap());
        clock.advance(2_000);
        assert!(le.try_acquire_or_renew().await.unwrap());
        server.await.unwrap();
        assert_eq!(le.observed_record().unwrap().lease_transitions, 3);
    }

    #[tokio::test]
    async fn a_conflict_is_not_leader_and_not_an_error() {
        let (client, mut handle) = mock_client();
        let clock = ManualClock::new(START_MS);
        let mut le = elector(client, &clock);
        let free = json!({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "podscale", "namespace": "ops", "resourceVersion": "9"},
            "spec": {"leaseDurationSeconds": 1, "leaseTransitions": 4},
        });
        let server = tokio::spawn(async move {
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::GET);
            respond(send, StatusCode::OK, &free);
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::PUT);
            let body = body_json(request).await;
            assert_eq!(body["metadata"]["resourceVersion"], "9");
            assert_eq!(body["spec"]["leaseTransitions"], 5);
            respond(send, StatusCode::CONFLICT, &status(409, "Conflict"));
        });
        assert!(!le.try_acquire_or_renew().await.unwrap());
        server.await.unwrap();
        assert!(!le.is_leader());
    }

    #[tokio::test]
    async fn a_renewal_conflict_falls_back_to_reading_and_yields() {
        let (client, mut handle) = mock_client();
        let clock = ManualClock::new(START_MS);
        let mut le = elector(client, &clock);
        let leading = le.subscribe();
        let server = tokio::spawn(async move {
            serve_first_creation(&mut handle).await;

            // The renewal's PUT loses to a write by replica-b …
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::PUT);
            respond(send, StatusCode::CONFLICT, &status(409, "Conflict"));
            // … so the elector reads, and finds replica-b holding a fresh lease.
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::GET);
            respond(
                send,
                StatusCode::OK,
                &lease("2", "replica-b", 1, "2027-01-15T08:00:02.000000Z"),
            );
        });
        assert!(le.try_acquire_or_renew().await.unwrap());
        assert!(*leading.borrow());
        clock.advance(2_000);
        assert!(!le.try_acquire_or_renew().await.unwrap());
        server.await.unwrap();
        assert!(!le.is_leader());
        assert!(!*leading.borrow());
    }

    #[tokio::test]
    async fn other_errors_are_errors() {
        let (client, mut handle) = mock_client();
        let clock = ManualClock::new(START_MS);
        let mut le = elector(client, &clock);
        let server = tokio::spawn(async move {
            let (_, send) = handle.next_request().await.unwrap();
            respond(send, StatusCode::FORBIDDEN, &status(403, "Forbidden"));
        });
        let e = le.try_acquire_or_renew().await.unwrap_err();
        server.await.unwrap();
        assert!(e.to_string().contains("get lease ops/podscale"), "{e}");
    }

    #[tokio::test]
    async fn leadership_lapses_at_the_renew_deadline() {
        let (client, mut handle) = mock_client();
        let clock = ManualClock::new(START_MS);
        let mut le = elector(client, &clock);
        let server = tokio::spawn(async move {
            serve_first_creation(&mut handle).await;
        });
        assert!(le.try_acquire_or_renew().await.unwrap());
        server.await.unwrap();
        clock.advance(9_999);
        assert!(le.is_leader());
        clock.advance(1);
        assert!(
            !le.is_leader(),
            "no renewal for the renew deadline: step down"
        );
        assert_eq!(le.step_budget(), Duration::ZERO);
    }

    #[tokio::test]
    async fn an_empty_identity_is_refused() {
        let (client, _handle) = mock_client();
        let e = LeaderElector::new(
            client,
            "ops",
            "podscale",
            "",
            LeaseTimings::default(),
            ManualClock::new(START_MS),
        )
        .unwrap_err();
        assert!(e.to_string().contains("identity"), "{e}");
    }

    #[tokio::test]
    async fn release_clears_the_holder_on_the_lease_just_read() {
        let (client, mut handle) = mock_client();
        let clock = ManualClock::new(START_MS);
        let mut le = elector(client, &clock);
        let leading = le.subscribe();
        let server = tokio::spawn(async move {
            serve_first_creation(&mut handle).await;

            // Release reads first, for the current resourceVersion …
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::GET);
            assert_eq!(request.uri().path(), LEASE_PATH);
            respond(
                send,
                StatusCode::OK,
                &lease("5", "replica-a", 0, "2027-01-15T08:00:04.000000Z"),
            );
            // … then writes no holder and a one-second lease on top of it.
            let (request, send) = handle.next_request().await.unwrap();
            assert_eq!(request.method(), Method::PUT);
            assert_eq!(request.uri().path(), LEASE_PATH);
            let body = body_json(request).await;
            assert_eq!(body["metadata"]["resourceVersion"], "5");
            assert_eq!(body["spec"].get("holderIdentity"), None);
            assert_eq!(body["spec"]["leaseDurationSeconds"], 1);
            assert_eq!(body["spec"]["leaseTransitions"], 0);
            assert_eq!(body["spec"]["renewTime"], "2027-01-15T08:00:05.000000Z");
            let mut written = body.clone();
            written["metadata"]["resourceVersion"] = json!("6");
            respond(send, StatusCode::OK, &written);
        });
        assert!(le.try_acquire_or_renew().await.unwrap());
        assert!(*leading.borrow());
        clock.advance(5_000);
        assert!(le.release().await.unwrap());
        server.await.unwrap();
        assert!(!le.is_leader());
        assert!(!*leading.borrow());
        assert_eq!(le.observed_record().unwrap().holder_identity, "");
    }

    #[test]
    fn jitter_stays_within_client_go_bounds() {
        let d = Duration::from_secs(2);
        for _ in 0..100 {
            let j = jittered(d);
            assert!(j >= d && j <= d.mul_f64(2.2), "{j:?}");
        }
    }
}
