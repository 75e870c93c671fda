//! A versioned envelope for caller-owned state, so a checkpoint written by one release is either
//! read exactly by the next or refused with a clear error, never misread.

use core::fmt;

/// The checkpoint format this release writes and reads.
pub const CHECKPOINT_VERSION: u32 = 1;

/// State (an [`HpaState`](crate::hpa::HpaState), for example) with the format version it was
/// written in. With the `serde` feature it serializes as `{"version": 1, "state": …}`.
///
/// ```
/// use podscale::checkpoint::Checkpoint;
/// use podscale::hpa::HpaState;
/// let saved = Checkpoint::new(HpaState::<32, 8>::new());
/// let restored: HpaState<32, 8> = saved.into_state()?;
/// assert_eq!(restored, HpaState::new());
/// # Ok::<(), podscale::checkpoint::CheckpointError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Checkpoint<T> {
    /// The format version, [`CHECKPOINT_VERSION`] when written by this release.
    pub version: u32,
    /// The state.
    pub state: T,
}

impl<T> Checkpoint<T> {
    /// Wraps `state` in the current format version.
    pub const fn new(state: T) -> Self {
        Self {
            version: CHECKPOINT_VERSION,
            state,
        }
    }

    /// The state, if this release can read its version.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::UnsupportedVersion`] for any version but [`CHECKPOINT_VERSION`].
    pub fn into_state(self) -> Result<T, CheckpointError> {
        if self.version == CHECKPOINT_VERSION {
            Ok(self.state)
        } else {
            Err(CheckpointError::UnsupportedVersion {
                version: self.version,
            })
        }
    }
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointError {
    /// Written in a format version this release does not read.
    UnsupportedVersion {
        /// The checkpoint's `version`.
        version: u32,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedVersion { version } => write!(
                f,
                "checkpoint version {version} is not supported (this release reads version {CHECKPOINT_VERSION})"
            ),
        }
    }
}

impl core::error::Error for CheckpointError {}
