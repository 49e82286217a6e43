//! Graceful shutdown. On SIGTERM or SIGINT the server stops accepting connections, closes idle
//! keep-alive connections, gives in-flight requests `[server] shutdown_timeout_seconds` to
//! finish and then closes what is left; event streams end at once (they would otherwise hold
//! the stop for the whole timeout); then the feeds and MQTT stop, and the process exits 0. A
//! second signal ends the process at once (exit status 128 + the signal's number).
//!
//! actix-web's own signal handling is off (SIGINT there is a forced stop): the server stops
//! when [`Stopping`] says so, and the binary turns signals into that with [`Signals`].

use std::sync::Arc;

use tokio::sync::watch;

/// Asks a running service to stop (cheap to clone).
#[derive(Clone)]
pub struct ShutdownHandle {
    stop: Arc<watch::Sender<bool>>,
}

impl ShutdownHandle {
    pub(crate) fn new(stop: Arc<watch::Sender<bool>>) -> ShutdownHandle {
        ShutdownHandle { stop }
    }

    /// Starts a graceful stop: no new connections, streams end, in-flight requests finish
    /// within the shutdown timeout.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}

/// What ends when the service stops: the server's listener, and each event stream.
#[derive(Clone)]
pub struct Stopping(watch::Receiver<bool>);

/// The switch and what watches it; the service stops when the switch is set or dropped.
pub fn channel() -> (Arc<watch::Sender<bool>>, Stopping) {
    let (stop, stopping) = watch::channel(false);
    (Arc::new(stop), Stopping(stopping))
}

impl Stopping {
    /// Resolves once a stop is asked for (at once when it already was).
    pub async fn wait(mut self) {
        // An error means the switch is gone with its application: stopped too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// SIGTERM and SIGINT, listened for from creation on (so that a signal sent once the
/// service says it listens is never the default, fatal one).
pub struct Signals {
    #[cfg(unix)]
    term: actix_rt::signal::unix::Signal,
    #[cfg(unix)]
    int: actix_rt::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers. Must run inside the runtime.
    pub fn listen() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use actix_rt::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The first signal stops `service` gracefully; a second ends the process at once (the
    /// server takes no second command while it drains, so only an exit can be sooner).
    pub async fn stop(mut self, service: ShutdownHandle, timeout: std::time::Duration) {
        let (name, _) = self.next().await;
        log::info!(
            "{name}: shutting down; no new connections, in-flight requests get {} s to \
             finish (send it again to stop at once)",
            timeout.as_secs()
        );
        service.stop();
        let (name, number) = self.next().await;
        log::warn!("{name} again: exiting now");
        std::process::exit(128 + number);
    }

    /// The name and number of the next signal received.
    async fn next(&mut self) -> (&'static str, i32) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => ("SIGTERM", 15),
                _ = self.int.recv() => ("SIGINT", 2),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = actix_rt::signal::ctrl_c().await;
            ("Ctrl-C", 2)
        }
    }
}
