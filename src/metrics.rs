//! Prometheus metrics: the process's recorder, what the gateway measures
//! itself, and the `/metrics` answer.
//!
//! Names are OpenTelemetry's semantic conventions as Prometheus exports them
//! (dots become underscores, the base unit is the suffix, counters end in
//! `_total`): `http_server_request_duration_seconds`,
//! `http_server_active_requests`; the gateway's own carry the `switchboard_`
//! prefix. Label values are bounded: routes are the router's templates,
//! operation names are kept only when they look like GraphQL names (at most
//! [`MAX_OPERATION_NAMES`] of them), error codes only when they look like
//! codes. No label carries an id, a token, an address or any customer data.
//!
//! Adapters record their own calls through the same `metrics` facade
//! (`switchboard_backend_call_duration_seconds{backend, operation,
//! outcome}`), and the event buses their messages.

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// OpenTelemetry's advised buckets for request durations, in seconds.
pub const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Distinct operation names labelled, at most; later ones count as `other`.
pub const MAX_OPERATION_NAMES: usize = 200;

/// HTTP request durations.
pub const HTTP_DURATION: &str = "http_server_request_duration_seconds";
/// HTTP requests being answered now.
pub const HTTP_ACTIVE: &str = "http_server_active_requests";
/// GraphQL operations executed, by type, name and outcome.
pub const OPERATIONS: &str = "switchboard_graphql_operations_total";
/// GraphQL operation durations, by type.
pub const OPERATION_DURATION: &str = "switchboard_graphql_operation_duration_seconds";
/// Errors in answers, by `extensions.code`.
pub const ERRORS: &str = "switchboard_graphql_errors_total";
/// Open WebSocket connections.
pub const WEBSOCKETS: &str = "switchboard_websocket_connections";
/// Subscriptions running (WebSocket and SSE).
pub const SUBSCRIPTIONS: &str = "switchboard_subscriptions_active";
/// Rate-limit refusals, by limit.
pub const REFUSALS: &str = "switchboard_rate_limit_refusals_total";
/// Database pool connections, by state (`in_use`, `idle`).
pub const POOL: &str = "switchboard_db_pool_connections";
/// Requests waiting for a database connection.
pub const POOL_WAITING: &str = "switchboard_db_pool_waiting";
/// The pool's largest size.
pub const POOL_MAX: &str = "switchboard_db_pool_max_connections";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed by the first call (every later call,
/// from any gateway in the process, shares it); `None` when another
/// recorder was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&DURATION_BUCKETS)
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if let Err(error) = metrics::set_global_recorder(recorder) {
                tracing::warn!(%error, "metrics are off: another recorder is installed");
                return None;
            }
            describe();
            // Histogram samples wait in buffers until upkeep folds them in,
            // scraped or not; a thread of its own outlives any runtime.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                });
            if let Err(error) = spawned {
                tracing::warn!(%error, "the metrics upkeep thread did not start");
            }
            Some(handle)
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        HTTP_DURATION,
        "Duration of HTTP server requests, in seconds."
    );
    describe_gauge!(HTTP_ACTIVE, "HTTP server requests being answered.");
    describe_counter!(
        OPERATIONS,
        "GraphQL operations executed (subscriptions once started), by type, name and outcome."
    );
    describe_histogram!(
        OPERATION_DURATION,
        "Duration of GraphQL operations from parsing to the answer, in seconds."
    );
    describe_counter!(ERRORS, "Errors in GraphQL answers, by extensions.code.");
    describe_gauge!(WEBSOCKETS, "Open WebSocket connections.");
    describe_gauge!(
        SUBSCRIPTIONS,
        "Subscriptions running, over WebSocket and SSE."
    );
    describe_counter!(REFUSALS, "Requests refused by a rate limit, by limit.");
    describe_counter!(
        "switchboard_limit_store_errors_total",
        "Rate-limit attempts the shared store (Redis) did not answer; counted per replica instead."
    );
    describe_gauge!(POOL, "Database pool connections, by state.");
    describe_gauge!(POOL_WAITING, "Requests waiting for a database connection.");
    describe_gauge!(POOL_MAX, "The database pool's largest size.");
    describe_histogram!(
        "switchboard_backend_call_duration_seconds",
        "Duration of calls to backends (SQL statements, ServiceNow, Okta, Statuspage), by backend, operation and outcome, in seconds."
    );
    describe_counter!(
        "switchboard_events_published_total",
        "Events published by this replica, by bus."
    );
    describe_counter!(
        "switchboard_events_delivered_total",
        "Events handed to subscriptions and listening caches in this replica, by bus."
    );
    describe_counter!(
        "switchboard_events_relayed_total",
        "Events sent to, received from or dropped on the way to other replicas."
    );
    describe_gauge!(
        "switchboard_breaker_state",
        "A backend's circuit breaker: 0 closed, 1 half-open, 2 open."
    );
    describe_counter!(
        "switchboard_database_timeouts_total",
        "Database uses that outlived the statement timeout (their connections are closed)."
    );
    describe_gauge!(
        "switchboard_audit_entries_waiting",
        "Audit entries waiting for the database to store them."
    );
    describe_counter!(
        "switchboard_audit_entries_dropped_total",
        "Audit entries dropped from a full waiting queue."
    );
}

/// Measures every HTTP request: its duration by method, route and status,
/// and how many are being answered.
pub async fn track_http(request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string());
    let active = gauge!(HTTP_ACTIVE, "http_request_method" => method, "url_scheme" => "http");
    active.increment(1.0);
    let started = Instant::now();
    let response = next.run(request).await;
    active.decrement(1.0);
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed().as_secs_f64();
    match route {
        Some(route) => histogram!(HTTP_DURATION,
            "http_request_method" => method,
            "http_route" => route,
            "http_response_status_code" => status,
            "url_scheme" => "http")
        .record(elapsed),
        None => histogram!(HTTP_DURATION,
            "http_request_method" => method,
            "http_response_status_code" => status,
            "url_scheme" => "http")
        .record(elapsed),
    }
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "_OTHER",
    }
}

/// Counts one executed operation of type `kind` (`query`, `mutation`).
pub fn operation(kind: &'static str, name: Option<&str>, ok: bool, took: Duration) {
    let outcome = if ok { "ok" } else { "error" };
    counter!(OPERATIONS,
        "graphql_operation_type" => kind,
        "graphql_operation_name" => operation_name_label(name),
        "outcome" => outcome)
    .increment(1);
    histogram!(OPERATION_DURATION, "graphql_operation_type" => kind).record(took.as_secs_f64());
}

/// Counts one subscription of type `subscription` once its first result
/// (or its end) says whether it started well; subscriptions have no
/// duration, they run as long as their client wants.
pub fn subscription(name: Option<&str>, ok: bool) {
    subscriptions(name, ok, 1);
}

/// Counts `n` subscriptions alike (the members of one shared execution
/// that heard its first result together: one counter lookup, not `n`).
pub fn subscriptions(name: Option<&str>, ok: bool, n: u64) {
    let outcome = if ok { "ok" } else { "error" };
    counter!(OPERATIONS,
        "graphql_operation_type" => "subscription",
        "graphql_operation_name" => operation_name_label(name),
        "outcome" => outcome)
    .increment(n);
}

/// The label of an operation name: the name when it is a GraphQL name of
/// at most 64 characters among the first [`MAX_OPERATION_NAMES`] seen,
/// `anonymous` without one, `other` otherwise.
fn operation_name_label(name: Option<&str>) -> String {
    static NAMES: OnceLock<RwLock<HashSet<String>>> = OnceLock::new();
    let Some(name) = name else {
        return "anonymous".into();
    };
    let valid = name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return "other".into();
    }
    let names = NAMES.get_or_init(|| RwLock::new(HashSet::new()));
    if names.read().is_ok_and(|known| known.contains(name)) {
        return name.into();
    }
    match names.write() {
        Ok(mut known) if known.len() < MAX_OPERATION_NAMES => {
            known.insert(name.to_string());
            name.into()
        }
        _ => "other".into(),
    }
}

/// Counts an error of an answer by its code.
pub fn error(code: Option<&str>) {
    let code = match code {
        Some(code)
            if code.len() <= 40 && code.chars().all(|c| c.is_ascii_uppercase() || c == '_') =>
        {
            code.to_string()
        }
        Some(_) => "OTHER".into(),
        None => "NONE".into(),
    };
    counter!(ERRORS, "code" => code).increment(1);
}

/// Counts a refusal by the rate limit named `limit`.
pub fn refused(limit: &'static str) {
    counter!(REFUSALS, "limit" => limit).increment(1);
}

/// Raises a gauge while it lives (a connection, a subscription).
pub struct Live(metrics::Gauge);

impl Live {
    /// One more open WebSocket connection, until dropped.
    pub fn websocket() -> Self {
        Self::of(gauge!(WEBSOCKETS))
    }

    /// One more running subscription, until dropped.
    pub fn subscription() -> Self {
        Self::of(gauge!(SUBSCRIPTIONS))
    }

    fn of(gauge: metrics::Gauge) -> Self {
        gauge.increment(1.0);
        Self(gauge)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// What `/metrics` answers from: the recorder and the pool it reads at
/// each scrape.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    db: switchboard_sql::Db,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics of a gateway on `db`, or `None` when no recorder could be
    /// installed.
    pub fn new(db: switchboard_sql::Db) -> Option<Self> {
        install().map(|handle| Self { handle, db })
    }

    /// The Prometheus text of everything measured, with the pool's state
    /// read now.
    pub fn render(&self) -> Response {
        render(&self.handle, &self.db)
    }
}

fn render(handle: &PrometheusHandle, db: &switchboard_sql::Db) -> Response {
    let pool = db.pool_status();
    gauge!(POOL, "state" => "in_use").set(pool.in_use as f64);
    gauge!(POOL, "state" => "idle").set(pool.idle as f64);
    gauge!(POOL_WAITING).set(pool.waiting as f64);
    gauge!(POOL_MAX).set(pool.max as f64);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
