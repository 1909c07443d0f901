//! The graceful drain: what the process does between a stop signal and
//! its exit, so a replica leaves its load balancer without failing a
//! request.
//!
//! The first SIGTERM (or Ctrl-C) *starts* the drain: `/readyz` answers 503
//! "draining" at once and every response carries `Connection: close`, while
//! requests and new connections are still served for the grace period
//! (`server.drain_grace_ms`: the balancer needs a moment to take the
//! replica out). Then the drain *closes*: the listener stops accepting,
//! WebSocket subscribers get close 1001 "going away" and event streams end
//! without `complete`, so their clients reconnect, to another replica;
//! running requests finish, until `server.drain_deadline_ms`, after which
//! the process exits anyway. A second signal stops at once: no more grace,
//! no more deadline.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::watch;

/// Where the process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Serving,
    /// Readiness is off; everything is still served.
    Draining,
    /// No new connections; long-lived ones are told to go.
    Closing,
    /// Exit now, whatever still runs.
    Stopping,
}

/// The drain's state, shared by the listener, readiness and every
/// long-lived connection.
#[derive(Clone)]
pub struct Drain {
    phase: Arc<watch::Sender<Phase>>,
    /// Long-lived connections (WebSockets) still open: the server does not
    /// wait for upgraded connections by itself.
    held: Arc<watch::Sender<usize>>,
}

impl Default for Drain {
    fn default() -> Self {
        Self {
            phase: Arc::new(watch::Sender::new(Phase::Serving)),
            held: Arc::new(watch::Sender::new(0)),
        }
    }
}

/// How long each step of the drain may take.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// From the start to the close.
    pub grace: Duration,
    /// From the close to the exit, at most.
    pub deadline: Duration,
}

impl Drain {
    /// Starts draining: readiness turns off (once; later calls change
    /// nothing).
    pub fn start(&self) {
        self.advance(Phase::Draining);
    }

    /// Closes: no new connections, long-lived ones are told to go.
    pub fn close(&self) {
        self.advance(Phase::Closing);
    }

    /// Stops at once: the process exits without waiting for what runs.
    pub fn stop(&self) {
        self.advance(Phase::Stopping);
    }

    fn advance(&self, to: Phase) {
        self.phase.send_if_modified(|phase| {
            let later = *phase < to;
            if later {
                *phase = to;
            }
            later
        });
    }

    /// Whether the drain was told to stop at once.
    pub fn stopping(&self) -> bool {
        *self.phase.borrow() == Phase::Stopping
    }

    /// Whether the drain has started.
    pub fn draining(&self) -> bool {
        *self.phase.borrow() != Phase::Serving
    }

    /// Completes when the drain closes (at once if it has).
    pub fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        self.reaching(Phase::Closing)
    }

    /// Completes when the drain is told to stop at once.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        self.reaching(Phase::Stopping)
    }

    fn reaching(&self, wanted: Phase) -> impl Future<Output = ()> + Send + 'static {
        let mut phase = self.phase.subscribe();
        async move {
            // The sender lives as long as any `Drain`, so this only ends
            // when the phase comes.
            let _ = phase.wait_for(|phase| *phase >= wanted).await;
        }
    }

    /// Counts a long-lived connection until the guard drops.
    pub fn hold(&self) -> Held {
        self.held.send_modify(|held| *held += 1);
        Held(self.held.clone())
    }

    /// Completes when no long-lived connection is open.
    pub async fn released(&self) {
        let mut held = self.held.subscribe();
        let _ = held.wait_for(|held| *held == 0).await;
    }

    /// Waits for `signal`, then drains: starts, waits out the grace (or an
    /// earlier close), closes.
    pub async fn run(self, signal: impl Future<Output = ()>, timing: Timing) {
        signal.await;
        self.start();
        tracing::info!(
            grace_ms = timing.grace.as_millis() as u64,
            deadline_ms = timing.deadline.as_millis() as u64,
            "draining: /readyz answers 503; new connections are served for the grace period, \
             then running requests get the deadline to finish"
        );
        tokio::select! {
            () = tokio::time::sleep(timing.grace) => {}
            () = self.closing() => {}
        }
        self.close();
        tracing::info!(
            "drain closed: no new connections; subscribers are told to reconnect elsewhere"
        );
    }
}

/// A long-lived connection, counted while it lives.
pub struct Held(Arc<watch::Sender<usize>>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.send_modify(|held| *held -= 1);
    }
}

/// While draining, asks clients to close their connection after the
/// answer, so a keep-alive client's next request goes through the load
/// balancer to another replica.
pub async fn connection_close(
    State(drain): State<Drain>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    // A WebSocket handshake's answer keeps `Connection: Upgrade`.
    if drain.draining() && response.status() != axum::http::StatusCode::SWITCHING_PROTOCOLS {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drain_starts_then_closes_and_counts_what_it_holds() {
        let drain = Drain::default();
        assert!(!drain.draining());
        let held = drain.hold();
        let closing = tokio::spawn(drain.closing());
        drain.start();
        assert!(drain.draining());
        tokio::task::yield_now().await;
        assert!(!closing.is_finished(), "closed before the close");
        drain.close();
        closing.await.unwrap();
        let released = tokio::spawn({
            let drain = drain.clone();
            async move { drain.released().await }
        });
        tokio::task::yield_now().await;
        assert!(
            !released.is_finished(),
            "released while a connection is held"
        );
        drop(held);
        released.await.unwrap();
        // Closed stays closed; a late start changes nothing.
        drain.start();
        drain.closing().await;
        assert!(!drain.stopping());
        drain.stop();
        drain.stopped().await;
        drain.close();
        assert!(drain.stopping(), "a close after the stop undid it");
    }
}
