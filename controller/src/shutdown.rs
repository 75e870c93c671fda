//! When to stop: the kubelet sends SIGTERM when it deletes the pod (and SIGKILL after the
//! grace period), a terminal sends SIGINT on Ctrl-C. Either one starts the graceful shutdown:
//! stop reconciling, release the leader lease, stop serving.
//!
//! The handlers are installed by [`ShutdownSignal::install`], before the process starts its
//! loops, so a signal that arrives early is not lost, nor does it kill the process outright.

use std::io;

/// Which signal asked the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: the kubelet (or `kill`).
    Terminate,
    /// SIGINT: Ctrl-C.
    Interrupt,
}

/// Installed signal handlers; [`Self::recv`] resolves on the first of SIGTERM or SIGINT.
#[derive(Debug)]
pub struct ShutdownSignal {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    /// Installs the handlers; from here on SIGTERM and SIGINT no longer end the process by
    /// themselves, they wake [`Self::recv`]. Must be called inside a tokio runtime.
    ///
    /// # Errors
    ///
    /// When a handler cannot be installed.
    pub fn install() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for SIGTERM or SIGINT (Ctrl-C elsewhere than on Unix).
    pub async fn recv(mut self) -> Signal {
        #[cfg(unix)]
        {
            // `recv` answers None only if the signal driver is gone, that is the runtime is
            // shutting down: stopping is what is asked then too.
            tokio::select! {
                _ = self.terminate.recv() => Signal::Terminate,
                _ = self.interrupt.recv() => Signal::Interrupt,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
            Signal::Interrupt
        }
    }
}

/// A future that resolves on SIGTERM or Ctrl-C, for `with_graceful_shutdown` and the like;
/// it logs which signal came.
///
/// # Errors
///
/// When the handlers cannot be installed (then nothing would stop the process gracefully,
/// so the caller should not start).
pub fn shutdown_signal() -> io::Result<impl Future<Output = Signal> + Send + 'static> {
    let signal = ShutdownSignal::install()?;
    Ok(async move {
        let received = signal.recv().await;
        tracing::info!(signal = ?received, "shutting down");
        received
    })
}

#[cfg(all(test, unix))]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn sigterm_resolves_the_shutdown_future() {
        let signal = shutdown_signal().unwrap();
        // The handler is installed, so this SIGTERM to the test process wakes the future
        // instead of ending the process.
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let got = tokio::time::timeout(Duration::from_secs(5), signal)
            .await
            .expect("SIGTERM is seen");
        assert_eq!(got, Signal::Terminate);
    }
}
