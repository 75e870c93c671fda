//! Where the controller reads "now": the system clock in a cluster, a clock the test moves in
//! tests, so a stabilization window or a cooldown passes without waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current instant, in Unix milliseconds (the core's unit of time).
pub trait Clock: Send + Sync + 'static {
    /// The current instant, Unix milliseconds.
    fn now_ms(&self) -> i64;
}

/// The machine's wall clock.
///
/// ```
/// use podscale_controller::clock::{Clock, SystemClock};
/// assert!(SystemClock.now_ms() > 1_700_000_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        // A clock before 1970 reads as 1970; one past i64 milliseconds (year 292 million) as
        // the largest instant.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that stands still until told to move; clones share the same instant.
///
/// ```
/// use podscale_controller::clock::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// let seen_by_controller = clock.clone();
/// clock.advance(15_000);
/// assert_eq!(seen_by_controller.now_ms(), 16_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(now_ms)))
    }

    /// Moves the clock to `now_ms`.
    pub fn set(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }

    /// Moves the clock `by_ms` forward (saturating).
    pub fn advance(&self, by_ms: i64) {
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(by_ms))
            });
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
