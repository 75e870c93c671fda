//! Events on a PodScaler (`events.k8s.io/v1`), as the HPA writes them on itself: one per
//! rescale with its reason, one per failure. A repeat of the same event (same reason and
//! note) within a few minutes becomes a series of the first instead of a new object, as the
//! client-go recorder's correlator does; a different note is a different event, so that every
//! rescale stays readable.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};

/// How long a repeat joins the first event's series [eventSeriesCacheTTL: 6 min].
const SERIES_WINDOW_MS: i64 = 6 * 60 * 1000;

/// `Normal` or `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Something happened as it should.
    Normal,
    /// Something the user should look at.
    Warning,
}

impl EventType {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }
}

/// One event to publish.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PodScalerEvent {
    /// `Normal` or `Warning`.
    pub type_: EventType,
    /// The HPA's reason: `SuccessfulRescale`, `FailedRescale`, `FailedGetScale`, ….
    pub reason: &'static str,
    /// What happened: `New size: 4; reason: cpu resource utilization (percentage of request)
    /// above target`.
    pub note: String,
    /// What the controller was doing: `Scale`, `GetScale`, `Validate`, ….
    pub action: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeriesKey {
    namespace: String,
    name: String,
    uid: String,
    event: PodScalerEvent,
}

#[derive(Debug, Clone)]
struct SeriesEntry {
    event_name: String,
    count: i32,
    last_ms: i64,
}

/// Publishes events for one controller instance.
pub struct EventRecorder {
    client: Client,
    controller: String,
    instance: String,
    series: Mutex<HashMap<SeriesKey, SeriesEntry>>,
    sequence: AtomicU64,
}

impl std::fmt::Debug for EventRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRecorder")
            .field("controller", &self.controller)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

fn micro_time(ms: i64) -> MicroTime {
    MicroTime(jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH))
}

impl EventRecorder {
    /// A recorder reporting as `controller` (the Deployment's name) and `instance` (the pod).
    pub fn new(client: Client, controller: String, instance: String) -> Self {
        Self {
            client,
            controller,
            instance,
            series: Mutex::new(HashMap::new()),
            sequence: AtomicU64::new(0),
        }
    }

    /// Publishes `event` about `regarding` at `now_ms`.
    ///
    /// # Errors
    ///
    /// The API server refused the event.
    pub async fn publish(
        &self,
        regarding: &ObjectReference,
        event: &PodScalerEvent,
        now_ms: i64,
    ) -> Result<(), kube::Error> {
        let namespace = regarding.namespace.clone().unwrap_or_default();
        let key = SeriesKey {
            namespace: namespace.clone(),
            name: regarding.name.clone().unwrap_or_default(),
            uid: regarding.uid.clone().unwrap_or_default(),
            event: event.clone(),
        };
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let repeat = self.series.lock().ok().and_then(|mut series| {
            series.retain(|_, e| now_ms.saturating_sub(e.last_ms) < SERIES_WINDOW_MS);
            series.get(&key).cloned()
        });
        let entry = if let Some(mut entry) = repeat {
            entry.count = entry.count.saturating_add(1);
            entry.last_ms = now_ms;
            let patch = serde_json::json!({"series": EventSeries {
                count: entry.count,
                last_observed_time: micro_time(now_ms),
            }});
            api.patch(
                &entry.event_name,
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?;
            entry
        } else {
            let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
            let event_name = format!(
                "{}.{:x}{:04x}",
                key.name,
                now_ms.max(0).unsigned_abs(),
                sequence & 0xffff
            );
            let object = Event {
                metadata: ObjectMeta {
                    name: Some(event_name.clone()),
                    namespace: Some(namespace),
                    ..ObjectMeta::default()
                },
                event_time: Some(micro_time(now_ms)),
                type_: Some(event.type_.as_str().to_owned()),
                reason: Some(event.reason.to_owned()),
                note: Some(event.note.clone()),
                action: Some(event.action.to_owned()),
                regarding: Some(regarding.clone()),
                reporting_controller: Some(self.controller.clone()),
                reporting_instance: Some(self.instance.clone()),
                ..Event::default()
            };
            api.create(&PostParams::default(), &object).await?;
            SeriesEntry {
                event_name,
                count: 1,
                last_ms: now_ms,
            }
        };
        if let Ok(mut series) = self.series.lock() {
            series.insert(key, entry);
        }
        Ok(())
    }
}
