//! The metrics pipeline between the pods and the autoscalers: a scrape of each pod's cumulative
//! CPU counter every `resolution`, and a usage rate over `window`, as metrics-server computes it.
//!
//! The simulation does not keep a counter per pod. A pod's usage at a step is its stage's (0
//! pending, the idle usage starting) or, once ready, the step's share of the load: the same base
//! for every ready pod, and one millicore more for the oldest few while the load does not divide
//! evenly. Since a window is a whole number of steps, a pod's sample is the sum of its usage over
//! the window's steps divided by their number; [`UsageHistory`] keeps what that sum needs for any
//! pod: a running total of the ready base, its value at the last scrapes, and how many steps gave
//! the extra millicore to how many pods.

use heapless::Vec;

use super::error::SimError;

/// How many scrapes one window may span.
pub const MAX_WINDOW_SCRAPES: usize = 8;

/// Scrapes remembered: the window's and the one it starts from.
const SCRAPES: usize = MAX_WINDOW_SCRAPES + 1;

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
    pub(crate) fn window_scrapes(&self) -> i64 {
        self.window_ms.checked_div(self.resolution_ms).unwrap_or(0)
    }
}

/// Whether `value` is a positive multiple of a positive `unit`.
pub(crate) fn is_multiple(value: i64, unit: i64) -> bool {
    value > 0 && unit > 0 && value.checked_rem(unit) == Some(0)
}

/// How the ready pods shared one step's load: each used `base_m`, and the oldest `extra_pods` of
/// them one millicore more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Share {
    pub(crate) base_m: i64,
    pub(crate) extra_pods: usize,
}

/// Steps of one scrape interval in which the oldest `pods` ready pods used one millicore more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Split {
    pods: usize,
    steps: u64,
}

/// The splits of one interval, one entry per distinct `pods` (never 0), most pods first: at most
/// `P - 1` entries, as fewer pods than ready ever get the extra millicore.
type Splits<const P: usize> = Vec<Split, P>;

/// What a pod's sample over the window of the last scrape needs, for every pod at once.
///
/// Steps are numbered from the simulation's start (step 0); scrape `j` happens at step `j * m`
/// (`m` steps per scrape) and closes interval `j`, the steps `(j - 1) * m .. j * m`. The window
/// of scrape `j` is the `k` intervals up to the one it closes (`k` scrapes per window). Before
/// the start, the history holds a window of virtual steps in which every pod used what it uses
/// at the start: the initial pods' counters report it from the first scrape.
#[derive(Debug, Clone)]
pub(crate) struct UsageHistory<const P: usize> {
    steps_per_scrape: i64,
    window_scrapes: i64,
    /// The ready base added up over every step so far (and the virtual ones, extrapolated as
    /// negative steps), millicore-steps.
    ready_base_total: i128,
    /// The last scrape's number.
    last_scrape: i64,
    /// Where the last scrape is in the rings below, which hold `window_scrapes + 1` entries:
    /// the next position holds the oldest scrape, and the interval in progress.
    last_slot: usize,
    /// `ready_base_total` at each of the last `window_scrapes + 1` scrapes.
    at_scrape: [i128; SCRAPES],
    /// The splits of the window's intervals and of the interval in progress.
    splits: [Splits<P>; SCRAPES],
}

impl<const P: usize> UsageHistory<P> {
    /// A history whose virtual steps before the start all shared the load as `before`; the
    /// first scrape is due at step 0.
    pub(crate) fn new(pipeline: &MetricsPipeline, step_ms: i64, before: Share) -> Self {
        let steps_per_scrape = pipeline.resolution_ms.checked_div(step_ms).unwrap_or(1);
        // validate() bounds the window to MAX_WINDOW_SCRAPES scrapes.
        let window_scrapes = pipeline
            .window_scrapes()
            .clamp(1, MAX_WINDOW_SCRAPES as i64);
        let total_at = |scrape: i64| {
            let step = scrape.saturating_mul(steps_per_scrape);
            i128::from(before.base_m).saturating_mul(i128::from(step))
        };
        let oldest = window_scrapes.saturating_neg();
        let mut history = Self {
            steps_per_scrape,
            window_scrapes,
            ready_base_total: total_at(oldest),
            last_scrape: oldest,
            last_slot: 0,
            at_scrape: [0; SCRAPES],
            splits: Default::default(),
        };
        // Virtual scrapes -k .. -1, and the intervals after each: the last one (-m .. 0) is in
        // progress until the first scrape closes it.
        history.close_scrape();
        history.note_split(before.extra_pods, steps_per_scrape);
        for scrape in oldest.saturating_add(1)..0 {
            history.ready_base_total = total_at(scrape);
            history.scrape();
            history.note_split(before.extra_pods, steps_per_scrape);
        }
        history.ready_base_total = 0;
        history
    }

    /// The ring length.
    fn slots(&self) -> usize {
        usize::try_from(self.window_scrapes)
            .unwrap_or(0)
            .saturating_add(1)
    }

    /// The ring position after `slot`.
    fn next_slot(&self, slot: usize) -> usize {
        let next = slot.saturating_add(1);
        if next >= self.slots() { 0 } else { next }
    }

    /// Adds a step giving the oldest `pods` pods the extra millicore to the interval in
    /// progress, `steps` times over.
    fn note_split(&mut self, pods: usize, steps: i64) {
        let steps = u64::try_from(steps).unwrap_or(0);
        if pods == 0 || steps == 0 {
            return;
        }
        let slot = self.next_slot(self.last_slot);
        let Some(splits) = self.splits.get_mut(slot) else {
            return;
        };
        match splits.iter().position(|s| s.pods <= pods) {
            Some(at) => match splits.get_mut(at) {
                Some(split) if split.pods == pods => {
                    split.steps = split.steps.saturating_add(steps);
                }
                // Distinct counts below P fit in P - 1 entries.
                _ => {
                    let _ = splits.insert(at, Split { pods, steps });
                }
            },
            None => {
                let _ = splits.push(Split { pods, steps });
            }
        }
    }

    /// The next scrape (they come every `steps_per_scrape` steps): the interval in progress
    /// joins the window, the oldest leaves it.
    pub(crate) fn scrape(&mut self) {
        self.last_scrape = self.last_scrape.saturating_add(1);
        self.last_slot = self.next_slot(self.last_slot);
        self.close_scrape();
    }

    /// Records the running total at the last scrape and opens the next interval.
    fn close_scrape(&mut self) {
        let total = self.ready_base_total;
        if let Some(slot) = self.at_scrape.get_mut(self.last_slot) {
            *slot = total;
        }
        let next = self.next_slot(self.last_slot);
        if let Some(splits) = self.splits.get_mut(next) {
            splits.clear();
        }
    }

    /// Adds a step in which the ready pods shared the load as `share`.
    pub(crate) fn accrue(&mut self, share: Share) {
        self.ready_base_total = self
            .ready_base_total
            .saturating_add(i128::from(share.base_m));
        self.note_split(share.extra_pods, 1);
    }

    /// The ready base added up so far: what a pod becoming ready now starts from.
    pub(crate) const fn ready_base_total(&self) -> i128 {
        self.ready_base_total
    }

    /// The last scrape's step (a negative one before the first real scrape).
    pub(crate) fn last_scrape_step(&self) -> i64 {
        self.last_scrape.saturating_mul(self.steps_per_scrape)
    }

    /// Steps per scrape.
    pub(crate) const fn steps_per_scrape(&self) -> i64 {
        self.steps_per_scrape
    }

    /// Steps per window.
    pub(crate) fn window_steps(&self) -> i64 {
        self.window_scrapes.saturating_mul(self.steps_per_scrape)
    }

    /// The first step of the last scrape's window.
    pub(crate) fn window_start_step(&self) -> i64 {
        self.last_scrape_step().saturating_sub(self.window_steps())
    }

    /// The ready base added up over the last scrape's window, for a pod ready since `ready`: a
    /// step and the running total then. The window's start when it was ready before; nothing
    /// when it was not ready by the scrape.
    pub(crate) fn ready_base_in_window(&self, ready: Option<(i64, i128)>) -> i128 {
        let total_at = |slot: usize| self.at_scrape.get(slot).copied().unwrap_or(0);
        let end = total_at(self.last_slot);
        let start = match ready {
            None => return 0,
            Some((step, _)) if step >= self.last_scrape_step() => return 0,
            Some((step, total)) if step > self.window_start_step() => total,
            // The window starts at the oldest scrape of the ring.
            Some(_) => total_at(self.next_slot(self.last_slot)),
        };
        end.saturating_sub(start)
    }

    /// How many of the oldest pods get one millicore more than the window's base in their
    /// sample, for a pod whose usage over the window adds up to `base_sum` millicore-steps
    /// before the extra millicores: `base_sum / steps` rounds down to `a`, and a pod gets
    /// `a + 1` when its extra steps make up the rest, that is when at least
    /// `steps - base_sum % steps` of the window's steps gave it the extra millicore. The pods
    /// that had the extra in at least `d` steps are the oldest `p`, where `p` is the `d`-th
    /// largest split of the window.
    pub(crate) fn sample(&self, base_sum: i128) -> WindowSample {
        let steps = self.window_steps().max(1);
        // 64-bit division when the sum fits: 128-bit division is a slow library call. A window
        // of one step (metrics-server's, at 15 s steps) needs none.
        let (floor, rest) = match i64::try_from(base_sum) {
            _ if steps == 1 => (base_sum, 0),
            Ok(sum) => (
                i128::from(sum.checked_div(steps).unwrap_or(0)),
                i128::from(sum.checked_rem(steps).unwrap_or(0)),
            ),
            Err(_) => (
                base_sum.checked_div(i128::from(steps)).unwrap_or(0),
                base_sum.checked_rem(i128::from(steps)).unwrap_or(0),
            ),
        };
        let needed = u64::try_from(i128::from(steps).saturating_sub(rest)).unwrap_or(u64::MAX);
        WindowSample {
            base_m: i64::try_from(floor).unwrap_or(i64::MAX),
            raised_pods: self.nth_largest_split(needed),
        }
    }

    /// The `n`-th largest split of the last scrape's window (counting each step), 0 when fewer
    /// than `n` steps gave any pod the extra millicore.
    fn nth_largest_split(&self, n: u64) -> usize {
        // The window's intervals are every ring entry but the one in progress; with a window
        // of one scrape, the last one.
        let in_progress = self.next_slot(self.last_slot);
        if self.window_scrapes == 1 {
            let mut counted: u64 = 0;
            for split in self.splits.get(self.last_slot).into_iter().flatten() {
                counted = counted.saturating_add(split.steps);
                if counted >= n {
                    return split.pods;
                }
            }
            return 0;
        }
        // Walk the intervals' lists together, largest split first.
        let slots = self.slots().min(SCRAPES);
        let mut cursors = [0usize; SCRAPES];
        let mut counted: u64 = 0;
        loop {
            let mut best: Option<(usize, Split)> = None;
            for (slot, (list, cursor)) in self.splits.iter().zip(&cursors).enumerate().take(slots) {
                if slot == in_progress {
                    continue;
                }
                if let Some(split) = list.get(*cursor) {
                    if best.is_none_or(|(_, b)| split.pods > b.pods) {
                        best = Some((slot, *split));
                    }
                }
            }
            let Some((slot, split)) = best else {
                return 0;
            };
            counted = counted.saturating_add(split.steps);
            if counted >= n {
                return split.pods;
            }
            if let Some(cursor) = cursors.get_mut(slot) {
                *cursor = cursor.saturating_add(1);
            }
        }
    }
}

/// Every pod's sample over a window in which its usage adds up to the same base: `base_m`, and
/// one millicore more for the oldest `raised_pods` pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowSample {
    pub(crate) base_m: i64,
    pub(crate) raised_pods: usize,
}

impl WindowSample {
    /// The sample of the pod at `position` (0 the oldest).
    pub(crate) fn of(&self, position: usize) -> i64 {
        self.base_m
            .saturating_add(i64::from(position < self.raised_pods))
    }

    /// The samples of the `count` pods from `first` on, added up.
    pub(crate) fn sum(&self, first: usize, count: usize) -> i128 {
        let raised = self.raised_pods.saturating_sub(first).min(count);
        i128::from(self.base_m)
            .saturating_mul(count as i128)
            .saturating_add(raised as i128)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]

    use super::*;

    /// What the pod at `position` used over the window, added up, given the ready base.
    fn samples(history: &UsageHistory<16>, base_sum: i128) -> [i64; 5] {
        let sample = history.sample(base_sum);
        [0, 1, 2, 3, 4].map(|position| sample.of(position))
    }

    #[test]
    fn the_start_reports_the_usage_before_it() {
        let pipeline = MetricsPipeline {
            resolution_ms: 15_000,
            window_ms: 30_000,
        };
        // Before the start, 480m each and one more for the two oldest.
        let before = Share {
            base_m: 480,
            extra_pods: 2,
        };
        let mut history: UsageHistory<16> = UsageHistory::new(&pipeline, 15_000, before);
        history.scrape();
        let base = history.ready_base_in_window(Some((i64::MIN / 4, 0)));
        assert_eq!(base, 2 * 480);
        assert_eq!(samples(&history, base), [481, 481, 480, 480, 480]);
    }

    #[test]
    fn a_sample_averages_the_window_and_its_extra_millicores() {
        // A window of two scrapes, two steps each: four steps.
        let pipeline = MetricsPipeline {
            resolution_ms: 30_000,
            window_ms: 60_000,
        };
        let mut history: UsageHistory<16> = UsageHistory::new(&pipeline, 15_000, Share::default());
        for (step, (base_m, extra_pods)) in [(100, 3), (100, 1), (300, 0), (50, 4)]
            .into_iter()
            .enumerate()
        {
            if step % 2 == 0 {
                history.scrape();
            }
            history.accrue(Share { base_m, extra_pods });
        }
        history.scrape();
        // Ready through the window: 550 millicore-steps each, and 3, 2, 2, 1 and 0 extra
        // steps by position: 553 / 4, 552 / 4 and so on.
        let base = history.ready_base_in_window(Some((0, 0)));
        assert_eq!(base, 550);
        assert_eq!(samples(&history, base), [138, 138, 138, 137, 137]);
        // The two newest pods, ready since the third step, have 350 of them, and one extra
        // step for the older: 351 / 4 and 350 / 4.
        let total_at_third_step = history.ready_base_total() - 350;
        let late = history.ready_base_in_window(Some((2, total_at_third_step)));
        assert_eq!(late, 350);
        assert_eq!(history.sample(late).sum(3, 2), 87 + 87);
    }
}
