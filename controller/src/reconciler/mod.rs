//! The controller's glue: read the cluster for one PodScaler, let the resource's methods
//! decide, write the scale, the status and the events. Nothing here decides anything.

mod event_recorder;
mod pod_cache;
mod scale_target;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::autoscaling::v1::Scale;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::runtime::reflector::Store;
use kube::{Client, Resource, ResourceExt};
use podscale::hpa::{ControllerConfig, SelectorState};
use serde_json::json;

pub use event_recorder::{EventRecorder, EventType, PodScalerEvent};
pub use pod_cache::{pod_reflector, select_pods};
pub use scale_target::{ScaleError, ScaleTargets, read_scale, write_scale};

use crate::clock::Clock;
use crate::label_selector::LabelSelector;
use crate::metrics_api::{MetricQuery, MetricsSource, PodUsage};
use crate::podscaler::{
    ClusterView, MetricFeed, MetricReading, PodScaler, ScaleReading, ScalerConfig, ScalerState,
    SyncProblem, SyncReport, schedule_action_reason, schedule_readings,
};

/// The field manager of every write: the status by server-side apply, the scale by update.
pub const FIELD_MANAGER: &str = "podscale";

/// How the controller runs, from its flags.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often each PodScaler is synced (`--sync-period`, 15 s as the HPA's).
    pub sync_period: Duration,
    /// The HPA's controller flags (tolerance, stabilization, readiness periods).
    pub hpa: ControllerConfig,
    /// The name events are reported under (the controller's Deployment).
    pub reporter: String,
    /// This replica in events' `reportingInstance` (its pod name).
    pub instance: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            sync_period: Duration::from_secs(15),
            hpa: ControllerConfig::default(),
            reporter: "podscale".to_owned(),
            instance: "podscale".to_owned(),
        }
    }
}

/// What one sync did, for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncSummary {
    /// The target's replicas when the sync began.
    pub current_replicas: Option<i32>,
    /// The replicas decided.
    pub desired_replicas: Option<i32>,
    /// The count written to the scale, when the sync rescaled.
    pub rescaled_to: Option<i32>,
    /// Why the sync stopped early (`InvalidSpec`, `FailedGetScale`, …).
    pub problem: Option<&'static str>,
}

/// Why a sync could not be recorded; it is retried.
#[derive(Debug)]
pub enum SyncError {
    /// The status write failed.
    Status(kube::Error),
    /// The PodScaler has no namespace or name.
    Unnamed,
    /// This replica lost the lease during the sync; it stopped before writing.
    NotLeader,
}

impl SyncError {
    /// A short fixed word for metrics labels.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Status(_) => "StatusWriteFailed",
            Self::Unnamed => "Unnamed",
            Self::NotLeader => "NotLeader",
        }
    }
}

impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(e) => write!(f, "writing the status failed: {e}"),
            Self::Unnamed => f.write_str("the PodScaler has no namespace or name"),
            Self::NotLeader => f.write_str("this replica lost the lease; nothing written"),
        }
    }
}

impl std::error::Error for SyncError {}

/// Everything a sync needs: the API client, the metrics source, the clock, the pod cache,
/// and the state of each PodScaler since its last sync.
pub struct Context<M, C> {
    client: Client,
    metrics: M,
    clock: C,
    pods: Store<Pod>,
    targets: ScaleTargets,
    states: Mutex<HashMap<String, Held>>,
    recorder: EventRecorder,
    settings: Settings,
    leading: Option<tokio::sync::watch::Receiver<bool>>,
}

impl<M, C> std::fmt::Debug for Context<M, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What this replica keeps of a PodScaler between syncs.
#[derive(Debug, Clone)]
struct Held {
    namespace: String,
    name: String,
    /// The `metadata.generation` last synced.
    generation: Option<i64>,
    /// When it was last synced, by the context's clock.
    synced_at_ms: i64,
    state: ScalerState,
}

/// Events of one sync, published after the status.
type PendingEvents = Vec<PodScalerEvent>;

fn event(
    type_: EventType,
    reason: &'static str,
    note: String,
    action: &'static str,
) -> PodScalerEvent {
    PodScalerEvent {
        type_,
        reason,
        note,
        action,
    }
}

/// The key of a PodScaler's state: its uid, so a PodScaler deleted and created again under
/// the same name starts afresh.
fn state_key(scaler: &PodScaler) -> String {
    scaler.metadata.uid.clone().unwrap_or_else(|| {
        format!(
            "{}/{}",
            scaler.namespace().unwrap_or_default(),
            scaler.name_any()
        )
    })
}

impl<M: MetricsSource, C: Clock> Context<M, C> {
    /// A context over `client`, reading metrics from `metrics`, time from `clock`, and pods
    /// from `pods` (a [`pod_reflector`] cache).
    pub fn new(client: Client, metrics: M, clock: C, pods: Store<Pod>, settings: Settings) -> Self {
        Self {
            recorder: EventRecorder::new(
                client.clone(),
                settings.reporter.clone(),
                settings.instance.clone(),
            ),
            client,
            metrics,
            clock,
            pods,
            targets: ScaleTargets::default(),
            states: Mutex::new(HashMap::new()),
            settings,
            leading: None,
        }
    }

    /// Writes only while `leading` is true: a replica that loses the lease in the middle of a
    /// sync stops before its next write, so two replicas never both write.
    #[must_use]
    pub fn with_leadership(mut self, leading: tokio::sync::watch::Receiver<bool>) -> Self {
        self.leading = Some(leading);
        self
    }

    /// Whether this replica may write (it holds the lease, or there is no election).
    pub fn is_leading(&self) -> bool {
        self.leading.as_ref().is_none_or(|l| *l.borrow())
    }

    fn check_leading(&self) -> Result<(), SyncError> {
        if self.is_leading() {
            Ok(())
        } else {
            Err(SyncError::NotLeader)
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The pod cache.
    pub fn pods(&self) -> &Store<Pod> {
        &self.pods
    }

    /// Forgets every PodScaler's state, so the next sync of each reads its checkpoint: for a
    /// replica that lost the lease (another one wrote since).
    pub fn forget_all(&self) {
        if let Ok(mut states) = self.states.lock() {
            states.clear();
        }
    }

    /// Forgets the state of PodScalers not in `live` (their uids): they were deleted.
    /// Returns the namespace and name of each one forgotten.
    pub fn retain(&self, live: &std::collections::HashSet<String>) -> Vec<(String, String)> {
        let mut gone = Vec::new();
        if let Ok(mut states) = self.states.lock() {
            states.retain(|uid, held| {
                let keep = live.contains(uid);
                if !keep {
                    gone.push((held.namespace.clone(), held.name.clone()));
                }
                keep
            });
        }
        gone
    }

    /// The state to continue from: this replica's own from the last sync, else the
    /// checkpoint in status (after a restart or a failover).
    fn load_state(&self, scaler: &PodScaler, report: &mut SyncReport) -> ScalerState {
        let cached = self
            .states
            .lock()
            .ok()
            .and_then(|states| states.get(&state_key(scaler)).map(|h| h.state.clone()));
        if let Some(state) = cached {
            return state;
        }
        match ScalerState::from_status(scaler.status.as_ref()) {
            Ok(state) => state,
            Err(e) => {
                report
                    .warnings
                    .push(format!("{e}; starting without the checkpoint"));
                ScalerState::default()
            }
        }
    }

    fn store_state(&self, scaler: &PodScaler, state: ScalerState, synced_at_ms: i64) {
        if let Ok(mut states) = self.states.lock() {
            let held = Held {
                namespace: scaler.namespace().unwrap_or_default(),
                name: scaler.name_any(),
                generation: scaler.metadata.generation,
                synced_at_ms,
                state,
            };
            states.insert(state_key(scaler), held);
        }
    }

    /// How long until `scaler` is due for its next sync: `None` when it is due now (never
    /// synced here, its spec changed since, or a sync period has passed). A PodScaler is
    /// synced once per period however often it changes otherwise (each status write is a
    /// change), as the HPA's queue adds each key at most once per resync period
    /// [NewDefaultHPARateLimiter].
    pub fn due_in(&self, scaler: &PodScaler) -> Option<Duration> {
        let states = self.states.lock().ok()?;
        let held = states.get(&state_key(scaler))?;
        if held.generation != scaler.metadata.generation {
            return None;
        }
        let period = i64::try_from(self.settings.sync_period.as_millis()).unwrap_or(i64::MAX);
        let next = held.synced_at_ms.saturating_add(period);
        let wait = next.saturating_sub(self.clock.now_ms());
        (wait > 0).then(|| Duration::from_millis(wait.unsigned_abs()))
    }

    /// One sync of `scaler`: reads its target's scale, pods and metrics, decides, writes the
    /// scale when the count changes, then the status and the events.
    ///
    /// # Errors
    ///
    /// The status could not be written; everything else is reported in the status.
    pub async fn sync(&self, scaler: &PodScaler) -> Result<SyncSummary, SyncError> {
        let now_ms = self.clock.now_ms();
        let Some(namespace) = scaler.namespace() else {
            return Err(SyncError::Unnamed);
        };
        let mut report = SyncReport::default();
        let mut events = PendingEvents::new();
        let mut state = self.load_state(scaler, &mut report);
        let mut summary = SyncSummary::default();
        let prepared = match scaler.prepare() {
            Ok(prepared) => prepared,
            Err(e) => {
                report.problem = Some(SyncProblem {
                    reason: "InvalidSpec",
                    message: e.to_string(),
                });
                summary.problem = Some("InvalidSpec");
                let previous = scaler
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"))
                    .and_then(|c| c.message.clone());
                // Once per distinct mistake, not at every sync.
                if previous.as_deref() != Some(e.to_string().as_str()) {
                    events.push(event(
                        EventType::Warning,
                        "InvalidSpec",
                        e.to_string(),
                        "Validate",
                    ));
                }
                let status = scaler.status_after(None, &state, &report, now_ms);
                self.finish(scaler, status, events, state, now_ms).await?;
                return Ok(summary);
            }
        };
        let config = match prepared.config(scaler) {
            Ok(config) => config,
            Err(e) => {
                // `prepare` made the same checks; kept total all the same.
                report.problem = Some(SyncProblem {
                    reason: "InvalidSpec",
                    message: e.to_string(),
                });
                let status = scaler.status_after(None, &state, &report, now_ms);
                self.finish(scaler, status, events, state, now_ms).await?;
                return Ok(summary);
            }
        };
        let target_name = scaler.spec.scale_target_ref.name.clone();
        let target = match self
            .targets
            .api(&self.client, &namespace, &scaler.spec.scale_target_ref)
            .await
        {
            Ok(api) => read_scale(&api, &target_name)
                .await
                .map(|scale| (api, scale)),
            Err(e) => Err(e),
        };
        let (api, scale) = match target {
            Ok(found) => found,
            Err(e) => {
                state.hpa.scale_read_failed(now_ms);
                let message = format!(
                    "{} {}/{}: {e}",
                    scaler.spec.scale_target_ref.kind, namespace, target_name
                );
                report.problem = Some(SyncProblem {
                    reason: "FailedGetScale",
                    message: message.clone(),
                });
                summary.problem = Some("FailedGetScale");
                events.push(event(
                    EventType::Warning,
                    "FailedGetScale",
                    message,
                    "GetScale",
                ));
                let status = scaler.status_after(Some(&config), &state, &report, now_ms);
                self.finish(scaler, status, events, state, now_ms).await?;
                return Ok(summary);
            }
        };
        let mut current = scale.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        let status_replicas = scale.status.as_ref().map_or(0, |s| s.replicas);
        report.current_replicas = Some(current);
        summary.current_replicas = Some(current);
        let selector_text = scale
            .status
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default();
        // An empty selector would select every pod of the namespace [validateAndParseSelector].
        let selector = LabelSelector::parse(&selector_text)
            .ok()
            .filter(|_| !selector_text.is_empty());
        let pods = selector
            .as_ref()
            .map(|s| select_pods(&self.pods, &namespace, s))
            .unwrap_or_default();
        let needs_usage = prepared
            .feeds
            .iter()
            .any(|f| matches!(f, MetricFeed::Resource | MetricFeed::ContainerResource))
            || config.vertical.is_some();
        let usage = if needs_usage && selector.is_some() {
            Some(self.metrics.pod_usage(&namespace, &selector_text).await)
        } else {
            None
        };
        let mut readings = Vec::new();
        for feed in &prepared.feeds {
            let reading = match feed {
                MetricFeed::Resource | MetricFeed::ContainerResource => match &usage {
                    Some(Ok(list)) => MetricReading::Resource(list.clone()),
                    Some(Err(e)) => MetricReading::Failed(e.clone()),
                    None => MetricReading::Resource(Vec::new()),
                },
                MetricFeed::Pods(query) => {
                    self.pods_reading(&namespace, query, &selector_text).await
                }
                MetricFeed::Object(query, object) => {
                    match self.metrics.object_metric(&namespace, query, object).await {
                        Ok(value) => MetricReading::Object(value),
                        Err(e) => MetricReading::Failed(e),
                    }
                }
                MetricFeed::External(query) => {
                    match self.metrics.external_metric(&namespace, query).await {
                        Ok(values) => MetricReading::External(values),
                        Err(e) => MetricReading::Failed(e),
                    }
                }
                // The schedules' readings come from their step below.
                MetricFeed::Schedule(_) => continue,
            };
            if let MetricReading::Failed(e) = &reading {
                report.warnings.push(e.to_string());
            }
            readings.push(reading);
        }
        let mut scale = scale;
        if config.scaled_object.is_some() {
            match scaler.schedule_step(&config, &state, current, now_ms) {
                Ok(step) => {
                    let mut written = true;
                    if let Some(action) = step.action {
                        self.check_leading()?;
                        match write_scale(&api, &target_name, &scale, action.scale_to).await {
                            Ok(after) => {
                                events.push(event(
                                    EventType::Normal,
                                    "SuccessfulRescale",
                                    format!(
                                        "New size: {}; reason: {}",
                                        action.scale_to,
                                        schedule_action_reason(&action)
                                    ),
                                    "Scale",
                                ));
                                summary.rescaled_to = Some(action.scale_to);
                                scale = after;
                            }
                            Err(e) => {
                                written = false;
                                events.push(event(
                                    EventType::Warning,
                                    "FailedRescale",
                                    format!("New size: {}; error: {e}", action.scale_to),
                                    "Scale",
                                ));
                            }
                        }
                    }
                    let before = current;
                    if written {
                        if let Some(action) = step.action {
                            current = action.scale_to;
                        }
                    }
                    report.executor = scaler
                        .commit_schedule_step(&config, &mut state, &step, written, before, now_ms)
                        .unwrap_or_default();
                    readings.extend(schedule_readings(&config, &step));
                    report.schedules = Some(step);
                }
                Err(e) => {
                    report.problem = Some(SyncProblem {
                        reason: "FailedGetScheduleState",
                        message: e,
                    });
                }
            }
        }
        if report.problem.is_none() {
            self.horizontal(
                scaler,
                &config,
                &mut state,
                HorizontalInput {
                    api: &api,
                    target_name: &target_name,
                    scale: &scale,
                    reading: ScaleReading {
                        spec_replicas: current,
                        status_replicas,
                        selector: if selector.is_some() {
                            SelectorState::Valid
                        } else {
                            SelectorState::Invalid
                        },
                    },
                    pods: &pods,
                    readings: &readings,
                    now_ms,
                },
                &mut report,
                &mut events,
                &mut summary,
            )
            .await;
        }
        let samples: &[PodUsage] = match &usage {
            Some(Ok(list)) => list,
            _ => &[],
        };
        match scaler.vertical_step(&config, &mut state, samples, now_ms) {
            Ok(recommendation) => report.recommendation = recommendation,
            Err(e) => report.warnings.push(format!("vertical: {e}")),
        }
        summary.desired_replicas = report
            .horizontal
            .as_ref()
            .map(|h| h.desired_replicas)
            .or(Some(current));
        let status = scaler.status_after(Some(&config), &state, &report, now_ms);
        self.finish(scaler, status, events, state, now_ms).await?;
        Ok(summary)
    }

    async fn pods_reading(
        &self,
        namespace: &str,
        query: &MetricQuery,
        selector: &str,
    ) -> MetricReading {
        match self.metrics.pods_metric(namespace, query, selector).await {
            Ok(values) => MetricReading::Pods(values),
            Err(e) => MetricReading::Failed(e),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn horizontal(
        &self,
        scaler: &PodScaler,
        config: &ScalerConfig<'_>,
        state: &mut ScalerState,
        input: HorizontalInput<'_>,
        report: &mut SyncReport,
        events: &mut PendingEvents,
        summary: &mut SyncSummary,
    ) {
        let outcome = match scaler.horizontal_step(
            config,
            &self.settings.hpa,
            state,
            ClusterView {
                scale: &input.reading,
                pods: input.pods,
                readings: input.readings,
            },
            input.now_ms,
        ) {
            Ok(outcome) => outcome,
            Err(e) => {
                report.problem = Some(SyncProblem {
                    reason: "FailedComputeReplicas",
                    message: e.to_string(),
                });
                return;
            }
        };
        if let Some(Err(first)) = outcome.metrics.iter().find(|m| m.is_err()) {
            events.push(event(
                EventType::Warning,
                "FailedComputeMetricsReplicas",
                format!(
                    "invalid metrics ({} invalid out of {}), first error is: {first}",
                    outcome.metrics.iter().filter(|m| m.is_err()).count(),
                    outcome.metrics.len()
                ),
                "ComputeReplicas",
            ));
        }
        let mut written = false;
        if outcome.rescale && self.is_leading() {
            match write_scale(
                input.api,
                input.target_name,
                input.scale,
                outcome.desired_replicas,
            )
            .await
            {
                Ok(_) => {
                    written = true;
                    summary.rescaled_to = Some(outcome.desired_replicas);
                    events.push(event(
                        EventType::Normal,
                        "SuccessfulRescale",
                        format!(
                            "New size: {}; reason: {}",
                            outcome.desired_replicas,
                            outcome.reason.as_deref().unwrap_or("")
                        ),
                        "Scale",
                    ));
                }
                Err(e) => {
                    events.push(event(
                        EventType::Warning,
                        "FailedRescale",
                        format!(
                            "New size: {}; reason: {}; error: {e}",
                            outcome.desired_replicas,
                            outcome.reason.as_deref().unwrap_or("")
                        ),
                        "Scale",
                    ));
                }
            }
        }
        if let Err(e) = scaler.complete_horizontal(
            config,
            &self.settings.hpa,
            state,
            &outcome,
            written,
            input.now_ms,
        ) {
            report.warnings.push(e.to_string());
        }
        report.horizontal = Some(outcome);
    }

    /// Keeps the state, writes the status by server-side apply, then publishes the events.
    async fn finish(
        &self,
        scaler: &PodScaler,
        status: crate::podscaler::PodScalerStatus,
        events: PendingEvents,
        state: ScalerState,
        started_ms: i64,
    ) -> Result<(), SyncError> {
        // Kept even if the status write fails: the scale may have been written already, and
        // the next sync must continue from what happened.
        self.store_state(scaler, state, started_ms);
        self.check_leading()?;
        let (namespace, name) = (scaler.namespace().unwrap_or_default(), scaler.name_any());
        let api: Api<PodScaler> = Api::namespaced(self.client.clone(), &namespace);
        let patch = json!({
            "apiVersion": PodScaler::api_version(&()),
            "kind": PodScaler::kind(&()),
            "status": status,
        });
        api.patch_status(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await
        .map_err(SyncError::Status)?;
        let reference = scaler.object_ref(&());
        let now_ms = self.clock.now_ms();
        for e in &events {
            if let Err(error) = self.recorder.publish(&reference, e, now_ms).await {
                tracing::warn!(%error, reason = %e.reason, "publishing an event failed");
            }
        }
        Ok(())
    }
}

/// The HPA step's inputs.
struct HorizontalInput<'a> {
    api: &'a Api<DynamicObject>,
    target_name: &'a str,
    scale: &'a Scale,
    reading: ScaleReading,
    pods: &'a [crate::podscaler::PodView],
    readings: &'a [MetricReading],
    now_ms: i64,
}

#[cfg(test)]
mod tests;
