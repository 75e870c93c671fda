//! The metrics pipeline between the pods and the autoscalers: a scrape of each pod's cumulative
//! CPU counter every `resolution`, and a usage rate over `window`, as metrics-server computes it.

use super::error::SimError;

/// How many scrapes one window may span.
pub const MAX_WINDOW_SCRAPES: usize = 8;

/// Points kept per pod: the window's scrapes and the one it starts from.
const POINTS: usize = MAX_WINDOW_SCRAPES + 1;

/// metrics-server as the autoscalers see it.
///
/// Every `resolution_ms` (`--metric-resolution`) it reads each running pod's cumulative CPU
/// counter; a pod's usage is the counter's rise over the last `window_ms` divided by the
/// window, stamped with the scrape's time. metrics-server takes the rate between two
/// consecutive scrapes, so its window is one resolution; a longer window (a whole number of
/// scrapes) models a smoother pipeline such as a Prometheus `rate()` over several scrapes.
/// Between scrapes the autoscalers read the last one. A pod appears only once it has run a
/// whole window, as metrics-server drops containers with a single point.
///
/// ```
/// use podscale::sim::MetricsPipeline;
/// let pipeline = MetricsPipeline::default();
/// assert_eq!((pipeline.resolution_ms, pipeline.window_ms), (15_000, 15_000));
/// assert!(pipeline.validate(15_000).is_ok());
/// assert!(MetricsPipeline { resolution_ms: 15_000, window_ms: 20_000 }.validate(5_000).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MetricsPipeline {
    /// Time between scrapes, milliseconds (metrics-server's default is 15 s).
    pub resolution_ms: i64,
    /// The span usage is averaged over, milliseconds: a whole number of scrapes, at most
    /// [`MAX_WINDOW_SCRAPES`].
    pub window_ms: i64,
}

impl Default for MetricsPipeline {
    fn default() -> Self {
        Self {
            resolution_ms: 15_000,
            window_ms: 15_000,
        }
    }
}

impl MetricsPipeline {
    /// Checks the resolution is a whole number of `step_ms` steps and the window a whole
    /// number of scrapes, at most [`MAX_WINDOW_SCRAPES`].
    ///
    /// # Errors
    ///
    /// [`SimError::NotMultipleOfStep`] or [`SimError::InvalidField`].
    pub fn validate(&self, step_ms: i64) -> Result<(), SimError> {
        if !is_multiple(self.resolution_ms, step_ms) {
            return Err(SimError::NotMultipleOfStep {
                field: "metrics.resolution_ms",
                value_ms: self.resolution_ms,
                step_ms,
            });
        }
        let scrapes = self.window_scrapes();
        if !is_multiple(self.window_ms, self.resolution_ms) || scrapes > MAX_WINDOW_SCRAPES as i64 {
            return Err(SimError::InvalidField {
                field: "metrics.window_ms",
                value: self.window_ms,
            });
        }
        Ok(())
    }

    /// The number of scrapes a window spans.
    fn window_scrapes(&self) -> i64 {
        self.window_ms.checked_div(self.resolution_ms).unwrap_or(0)
    }
}

/// Whether `value` is a positive multiple of a positive `unit`.
pub(crate) fn is_multiple(value: i64, unit: i64) -> bool {
    value > 0 && unit > 0 && value.checked_rem(unit) == Some(0)
}

/// One pod's CPU counter and the points the pipeline scraped from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UsageCounter {
    /// CPU used since the container started, millicore-milliseconds.
    cumulative: i64,
    /// The last scrapes' readings of `cumulative`, a ring indexed by scrape count.
    points: [i64; POINTS],
    /// How many scrapes read this counter.
    scrapes: usize,
    /// Usage over the window ending at the last scrape, millicores.
    pub(crate) sample_m: Option<i64>,
}

impl UsageCounter {
    /// A container that has not started.
    pub(crate) const fn new() -> Self {
        Self {
            cumulative: 0,
            points: [0; POINTS],
            scrapes: 0,
            sample_m: None,
        }
    }

    /// A container that has used `usage_m` steadily for at least a window before the first
    /// scrape, so the first scrape already reports it.
    pub(crate) fn steady(pipeline: &MetricsPipeline, usage_m: i64) -> Self {
        let mut counter = Self::new();
        let scrapes = usize::try_from(pipeline.window_scrapes()).unwrap_or(0);
        for _ in 0..scrapes {
            counter.scrape(pipeline);
            counter.accrue(usage_m, pipeline.resolution_ms);
        }
        counter
    }

    /// Adds `usage_m` held for `duration_ms`.
    pub(crate) fn accrue(&mut self, usage_m: i64, duration_ms: i64) {
        self.cumulative = self
            .cumulative
            .saturating_add(usage_m.saturating_mul(duration_ms));
    }

    /// Reads the counter and updates the sample.
    pub(crate) fn scrape(&mut self, pipeline: &MetricsPipeline) {
        let slot = |n: usize| n.checked_rem(POINTS).unwrap_or(0);
        if let Some(point) = self.points.get_mut(slot(self.scrapes)) {
            *point = self.cumulative;
        }
        let window = usize::try_from(pipeline.window_scrapes()).unwrap_or(0);
        self.sample_m = self
            .scrapes
            .checked_sub(window)
            .and_then(|start| self.points.get(slot(start)))
            .map(|start| {
                self.cumulative
                    .saturating_sub(*start)
                    .checked_div(pipeline.window_ms)
                    .unwrap_or(0)
            });
        self.scrapes = self.scrapes.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_sample_needs_a_whole_window() {
        let pipeline = MetricsPipeline {
            resolution_ms: 15_000,
            window_ms: 30_000,
        };
        let mut counter = UsageCounter::new();
        counter.scrape(&pipeline);
        counter.accrue(100, 15_000);
        counter.scrape(&pipeline);
        assert_eq!(counter.sample_m, None);
        counter.accrue(300, 15_000);
        counter.scrape(&pipeline);
        assert_eq!(counter.sample_m, Some(200));
        for _ in 0..20 {
            counter.accrue(50, 15_000);
            counter.scrape(&pipeline);
        }
        assert_eq!(counter.sample_m, Some(50));
    }

    #[test]
    fn a_steady_counter_reports_at_once() {
        let pipeline = MetricsPipeline::default();
        let mut counter = UsageCounter::steady(&pipeline, 480);
        counter.scrape(&pipeline);
        assert_eq!(counter.sample_m, Some(480));
    }
}
