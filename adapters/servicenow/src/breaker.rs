//! A circuit breaker: after `failures` consecutive failures the instance is
//! not called for `cooldown`; then one probe decides (half-open).

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is in flight; everyone else fails fast.
    HalfOpen,
}

/// The breaker of one instance.
#[derive(Debug)]
pub(crate) struct Breaker {
    state: Mutex<State>,
    failures: u32,
    cooldown: Duration,
}

impl Breaker {
    /// A closed breaker.
    pub(crate) fn new(failures: u32, cooldown: Duration) -> Self {
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            failures: failures.max(1),
            cooldown,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes the state as `switchboard_breaker_state{backend}` (0
    /// closed, 1 half-open, 2 open).
    fn report(state: &State) {
        let value = match state {
            State::Closed { .. } => 0.0,
            State::HalfOpen => 1.0,
            State::Open { .. } => 2.0,
        };
        metrics::gauge!("switchboard_breaker_state", "backend" => crate::BACKEND).set(value);
    }

    /// Whether a request may go out now (a half-open probe is let through once).
    pub(crate) fn allow(&self) -> bool {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if Instant::now() >= until => {
                *state = State::HalfOpen;
                Self::report(&state);
                true
            }
            State::Open { .. } | State::HalfOpen => false,
        }
    }

    /// The instance answered (any answer that is not a failure of the instance).
    pub(crate) fn success(&self) {
        let mut state = self.lock();
        let was_closed = matches!(*state, State::Closed { .. });
        *state = State::Closed { failures: 0 };
        if !was_closed {
            Self::report(&state);
        }
    }

    /// The instance failed (transport error, timeout, 5xx, 429).
    pub(crate) fn failure(&self) {
        let mut state = self.lock();
        let opened = match *state {
            State::Closed { failures } if failures + 1 < self.failures => {
                *state = State::Closed {
                    failures: failures + 1,
                };
                false
            }
            _ => true,
        };
        if opened {
            if !matches!(*state, State::Open { .. }) {
                tracing::error!(
                    adapter.name = crate::BACKEND,
                    cooldown_ms = self.cooldown.as_millis() as u64,
                    "the circuit breaker opened: ServiceNow keeps failing"
                );
            }
            *state = State::Open {
                until: Instant::now() + self.cooldown,
            };
            Self::report(&state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_and_probes_once() {
        let b = Breaker::new(2, Duration::from_millis(0));
        b.failure();
        assert!(b.allow());
        b.success();
        b.failure();
        b.failure();
        // Cooldown 0: the next call is the probe, the one after waits for it.
        assert!(b.allow());
        assert!(!b.allow());
        b.success();
        assert!(b.allow());
        let slow = Breaker::new(1, Duration::from_secs(60));
        slow.failure();
        assert!(!slow.allow());
    }
}
