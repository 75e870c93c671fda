//! What a PodScaler carries from sync to sync, and its checkpoint in `status.checkpoint`: the
//! HPA's recommendations and scale events, the ScaledObject's last active time, and the VPA's
//! histograms. A controller that restarts, or a replica that takes over the lease, reads it
//! back and continues exactly where the last writer stopped.

use std::collections::BTreeMap;

use podscale::checkpoint::{CHECKPOINT_VERSION, Checkpoint};
use podscale::hpa::HpaState;
use podscale::keda::ScaledObjectState;
use podscale::vpa::{AggregateContainerState, ContainerState, DecayingHistogram};
use serde::{Deserialize, Serialize};

use super::resource::PodScalerStatus;

/// The VPA's model of one container name across the target's pods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerticalHistory {
    /// Every pod's samples of this container, merged [AggregateContainerState].
    pub aggregate: AggregateContainerState<DecayingHistogram>,
    /// Each pod's own sample bookkeeping (last CPU sample, memory peak of the current
    /// interval), by pod name [ContainerState].
    #[serde(default)]
    pub pods: BTreeMap<String, ContainerState>,
}

/// The state of one PodScaler between syncs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalerState {
    /// The HPA's recommendation history, scale events and conditions.
    pub hpa: HpaState,
    /// The ScaledObject's last active time (for the cooldown).
    #[serde(default)]
    pub scaled_object: ScaledObjectState,
    /// The VPA's histograms, by container name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vertical: BTreeMap<String, VerticalHistory>,
}

/// Why a checkpoint in status could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointReadError(pub String);

impl std::fmt::Display for CheckpointReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "status.checkpoint: {}", self.0)
    }
}

impl std::error::Error for CheckpointReadError {}

impl ScalerState {
    /// The state checkpointed in `status`, or a fresh one when there is none.
    ///
    /// # Errors
    ///
    /// A checkpoint of another format version, or one that does not parse; the caller starts
    /// afresh and says so in a condition, rather than misreading it.
    ///
    /// ```
    /// use podscale_controller::podscaler::{PodScalerStatus, ScalerState};
    /// let mut state = ScalerState::default();
    /// state.hpa.desired_replicas = 4;
    /// let status = PodScalerStatus { checkpoint: Some(state.checkpoint()), ..Default::default() };
    /// assert_eq!(ScalerState::from_status(Some(&status))?, state);
    /// # Ok::<(), podscale_controller::podscaler::CheckpointReadError>(())
    /// ```
    pub fn from_status(status: Option<&PodScalerStatus>) -> Result<Self, CheckpointReadError> {
        let Some(value) = status.and_then(|s| s.checkpoint.as_ref()) else {
            return Ok(Self::default());
        };
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(CHECKPOINT_VERSION)) {
            return Err(CheckpointReadError(format!(
                "format version {} is not {CHECKPOINT_VERSION}, the one this release reads",
                version.map_or_else(|| "(missing)".to_owned(), |v| v.to_string())
            )));
        }
        let checkpoint: Checkpoint<Self> = serde_path_to_error::deserialize(value)
            .map_err(|e| CheckpointReadError(format!("{}: {}", e.path(), e.inner())))?;
        checkpoint
            .into_state()
            .map_err(|e| CheckpointReadError(e.to_string()))
    }

    /// The state as `status.checkpoint`: `{"version": 1, "state": {...}}`.
    pub fn checkpoint(&self) -> serde_json::Value {
        // Plain data of numbers, strings and maps with string keys: serializing cannot fail.
        serde_json::to_value(Checkpoint::new(self)).unwrap_or(serde_json::Value::Null)
    }
}
