//! Calls to upstream systems (ServiceNow, Okta, Statuspage): each is timed
//! into `switchboard_backend_call_duration_seconds{backend, operation,
//! outcome}`, and the last outcome per backend is kept for `/readyz`, which
//! names each configured upstream's state without asking it (a probe must
//! not wait for a slow upstream, nor add load to one that struggles).
//!
//! With traces on ([`enable_tracing`], called by the gateway when an OTLP
//! endpoint is configured), each call is a client span ([`span`]) and the
//! request carries the W3C `traceparent` of that span ([`traceparent`]), so
//! the upstream's own traces join the gateway's. Adapters need no tracing
//! library of their own: the gateway lends the propagation.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing::Instrument as _;

/// The `traceparent` value of the current span, as the gateway's tracing
/// computes it.
pub type TraceParent = fn() -> Option<String>;

static TRACING: OnceLock<TraceParent> = OnceLock::new();

/// Turns tracing of upstream calls and statements on for this process,
/// with `traceparent` giving the W3C header of the current span.
pub fn enable_tracing(traceparent: TraceParent) {
    let _ = TRACING.set(traceparent);
}

/// Whether spans are wanted (an OTLP exporter is configured).
pub fn tracing_on() -> bool {
    TRACING.get().is_some()
}

/// The W3C `traceparent` header for a request sent from the current span,
/// when tracing is on and the span is part of a trace.
pub fn traceparent() -> Option<String> {
    TRACING.get().and_then(|current| current())
}

/// A client span for a call to `backend` (`operation` names the API, never
/// an id), or a disabled span when tracing is off.
pub fn span(backend: &'static str, operation: &str) -> tracing::Span {
    if !tracing_on() {
        return tracing::Span::none();
    }
    tracing::info_span!(
        target: "switchboard::upstream",
        "upstream call",
        otel.name = %format!("{backend} {operation}"),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        switchboard.backend = backend,
        switchboard.operation = %operation,
    )
}

/// Runs `call` to `backend` in its span (see [`span`]), timed and
/// recorded (see [`record`]); `outcome` names how it ended.
pub async fn traced<T>(
    backend: &'static str,
    operation: String,
    call: impl Future<Output = T>,
    outcome: impl FnOnce(&T) -> &'static str,
) -> T {
    let span = span(backend, &operation);
    let started = Instant::now();
    let result = call.instrument(span.clone()).await;
    let ended = outcome(&result);
    if ended != "ok" {
        span.record("otel.status_code", "error");
    }
    record(backend, operation, ended, started.elapsed());
    result
}

/// The last call to one upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastCall {
    /// `ok`, `error`, or `not_sent` (refused before it left: a circuit
    /// breaker is open).
    pub outcome: &'static str,
    /// When it ended.
    pub at: Instant,
}

fn last_calls() -> &'static Mutex<HashMap<&'static str, LastCall>> {
    static LAST: OnceLock<Mutex<HashMap<&'static str, LastCall>>> = OnceLock::new();
    LAST.get_or_init(Default::default)
}

/// Records a call to `backend` that ended with `outcome` after `took`.
pub fn record(
    backend: &'static str,
    operation: impl Into<metrics::SharedString>,
    outcome: &'static str,
    took: Duration,
) {
    metrics::histogram!("switchboard_backend_call_duration_seconds",
        "backend" => backend,
        "operation" => operation.into(),
        "outcome" => outcome)
    .record(took.as_secs_f64());
    let call = LastCall {
        outcome,
        at: Instant::now(),
    };
    last_calls()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(backend, call);
}

/// The last call to `backend` in this process, if any.
pub fn last_call(backend: &str) -> Option<LastCall> {
    last_calls()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(backend)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_outcome_per_backend_is_kept() {
        assert_eq!(last_call("test-upstream"), None);
        record("test-upstream", "GET /x", "error", Duration::from_millis(3));
        record("test-upstream", "GET /x", "ok", Duration::from_millis(2));
        assert_eq!(last_call("test-upstream").unwrap().outcome, "ok");
        assert_eq!(last_call("test-other"), None);
    }
}
