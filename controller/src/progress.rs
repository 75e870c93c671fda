//! A progress bar on standard error for runs that take more than a second: quick runs (and
//! output to a file or a pipe) stay quiet.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How long a run goes before the bar appears.
const QUIET_FOR: Duration = Duration::from_secs(1);
/// Cells of the bar.
const WIDTH: usize = 30;

/// A progress bar for one run.
#[derive(Debug)]
pub struct Progress {
    started: Instant,
    /// Whether standard error is a terminal; the bar never goes to a file.
    terminal: bool,
    shown: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// A bar that starts counting now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// The line the bar shows at `done` of `total` steps.
    ///
    /// ```
    /// use podscale_controller::progress::Progress;
    /// assert_eq!(Progress::line(15, 30), "[###############               ]  50% 15/30 steps");
    /// ```
    pub fn line(done: usize, total: usize) -> String {
        let total = total.max(1);
        let done = done.min(total);
        let filled = done.saturating_mul(WIDTH) / total;
        let percent = done.saturating_mul(100) / total;
        format!(
            "[{}{}] {percent:>3}% {done}/{total} steps",
            "#".repeat(filled),
            " ".repeat(WIDTH.saturating_sub(filled))
        )
    }

    /// Reports `done` of `total` steps.
    pub fn update(&mut self, done: usize, total: usize) {
        if !self.terminal || self.started.elapsed() < QUIET_FOR {
            return;
        }
        self.shown = true;
        let mut err = std::io::stderr().lock();
        // A failed write to the terminal only loses the bar.
        let _ = write!(err, "\r{}", Self::line(done, total));
        let _ = err.flush();
    }

    /// Ends the bar's line, if it was shown.
    pub fn finish(&mut self) {
        if self.shown {
            let _ = writeln!(std::io::stderr());
            self.shown = false;
        }
    }
}
